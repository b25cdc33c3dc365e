//! Outputs a person looks at, next to the JSON (issue 5): an overlay PNG per session showing what
//! was counted ([`overlay`]), a self-contained HTML report for the client ([`html`], with SVG
//! charts from [`svg`]), and a CSV table with one row per session ([`csv`]).
//!
//! Images are drawn while each photo is still decoded (see [`analyze_series_with_images`]):
//! only small, encoded images are kept per session, never the photos themselves.

pub mod csv;
pub mod html;
pub mod overlay;
pub mod svg;
mod text;

use std::sync::Mutex;

use image::{imageops, DynamicImage, GenericImageView, RgbImage};

use crate::analyze::{analyze_series_decoding, Decode, SeriesInput};
use crate::error::{Error, Result};
use crate::load::LoadLimits;
use crate::region::Region;
use crate::report::{Report, SessionReport};

/// Longest side (px) of the region image embedded in the HTML report: sharp on a laptop screen
/// or a printed page, while a 20-session report stays a few MB.
pub const HTML_IMAGE_MAX_SIDE: u32 = 720;
/// JPEG quality (0–100) of the images embedded in the HTML report: photos of skin compress ≈ 10×
/// better as JPEG than as PNG, with no visible loss at this quality.
pub const HTML_JPEG_QUALITY: u8 = 85;

/// Which images to draw for each session while its photo is loaded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImageOptions {
    /// Draw the overlay PNG ([`overlay::render_overlay`]).
    pub overlay: bool,
    /// Draw the region's image for the HTML report (JPEG, ≤ [`HTML_IMAGE_MAX_SIDE`] px).
    pub html: bool,
}

/// The encoded images of one session (each `None` unless asked for).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionImages {
    /// The overlay, PNG bytes.
    pub overlay_png: Option<Vec<u8>>,
    /// The region as the HTML report shows it, JPEG bytes.
    pub region_jpeg: Option<Vec<u8>>,
}

/// Like [`crate::analyze_series`], and also draws the images `options` asks for from each photo
/// while it is decoded (each photo is decoded once and dropped after its session). Returns the
/// report and, per session in order, its images. `on_done` is called as each session finishes
/// (in any order), e.g. for progress.
pub fn analyze_series_with_images(
    series: &SeriesInput,
    limits: &LoadLimits,
    options: ImageOptions,
    on_done: impl Fn(usize, &SessionReport) + Sync,
) -> Result<(Report, Vec<SessionImages>)> {
    let images = Mutex::new(vec![SessionImages::default(); series.sessions.len()]);
    // The overlay and the HTML image show context around the region, beyond the rows measured:
    // with either, every photo is decoded whole.
    let decode = if options.overlay || options.html {
        Decode::Whole
    } else {
        Decode::MeasuredRows
    };
    let report = analyze_series_decoding(series, limits, decode, |i, photo, analysis| {
        let mut drawn = SessionImages::default();
        if options.overlay {
            let img = overlay::render_overlay(&photo.image, analysis);
            drawn.overlay_png = Some(encode_png(&img, &series.sessions[i].photo)?);
        }
        if options.html {
            let view = View::of(
                &photo.image,
                analysis.report.context.region,
                HTML_IMAGE_MAX_SIDE,
                1,
            );
            drawn.region_jpeg = Some(encode_jpeg(&view.image, &series.sessions[i].photo)?);
        }
        // A poisoned lock means another session's hook panicked; that panic is reported.
        if let Ok(mut all) = images.lock() {
            all[i] = drawn;
        }
        on_done(i, &analysis.report);
        Ok(())
    })?;
    let images = images.into_inner().unwrap_or_default();
    Ok((report, images))
}

/// A part of a photo resampled for display: `image` pixel (u, v) shows photo point
/// (`origin.0` + (u + 0.5) / `scale.0`, `origin.1` + (v + 0.5) / `scale.1`).
#[derive(Clone, Debug)]
pub struct View {
    /// The resampled pixels (sRGB, 8 bits).
    pub image: RgbImage,
    /// The photo point (px) at the image's top-left corner.
    pub origin: (f64, f64),
    /// Image px per photo px, horizontally and vertically.
    pub scale: (f64, f64),
}

impl View {
    /// `area` of `photo`, shrunk (area-averaged) so its longer side is at most `max_side` px, or
    /// enlarged by the largest whole factor up to `max_zoom` (nearest neighbour, so every photo
    /// pixel stays a crisp square) that keeps it within `max_side`.
    pub fn of(photo: &DynamicImage, area: Region, max_side: u32, max_zoom: u32) -> View {
        let (w, h) = (area.width.max(1), area.height.max(1));
        let long = w.max(h);
        let max_side = max_side.max(1);
        let image = if long > max_side {
            let s = f64::from(max_side) / f64::from(long);
            let tw = ((f64::from(w) * s).round() as u32).max(1);
            let th = ((f64::from(h) * s).round() as u32).max(1);
            let sub = photo.view(area.x, area.y, area.width, area.height);
            DynamicImage::ImageRgba8(imageops::thumbnail(&*sub, tw, th)).into_rgb8()
        } else {
            let zoom = (max_side / long).clamp(1, max_zoom.max(1));
            let crop = photo
                .crop_imm(area.x, area.y, area.width, area.height)
                .into_rgb8();
            if zoom > 1 {
                imageops::resize(&crop, w * zoom, h * zoom, imageops::FilterType::Nearest)
            } else {
                crop
            }
        };
        let scale = (
            f64::from(image.width()) / f64::from(w),
            f64::from(image.height()) / f64::from(h),
        );
        View {
            image,
            origin: (f64::from(area.x), f64::from(area.y)),
            scale,
        }
    }

    /// The image position (px, continuous) of photo point (`x`, `y`).
    pub fn to_image(&self, x: f64, y: f64) -> (f64, f64) {
        (
            (x - self.origin.0) * self.scale.0,
            (y - self.origin.1) * self.scale.1,
        )
    }
}

/// PNG bytes of `img`; `what` names the session in the (unlikely) error.
pub fn encode_png(img: &RgbImage, what: &str) -> Result<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| encode_error(what, "PNG", e))?;
    Ok(out.into_inner())
}

/// JPEG bytes of `img` at [`HTML_JPEG_QUALITY`]; `what` names the session in the error.
pub fn encode_jpeg(img: &RgbImage, what: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, HTML_JPEG_QUALITY)
        .encode_image(img)
        .map_err(|e| encode_error(what, "JPEG", e))?;
    Ok(out)
}

fn encode_error(what: &str, format: &str, e: image::ImageError) -> Error {
    Error::Output {
        path: what.into(),
        source: std::io::Error::other(format!("cannot encode the {format} image: {e}")),
    }
}

/// The file name of each session's overlay, from its `photos` as given: the photo's name without
/// its folder and extension, then `.overlay.png`; a name already taken by an earlier session
/// (ignoring case) gets the session's number: `s1.overlay.png`, `s1-2.overlay.png`.
pub fn overlay_file_names(photos: &[&str]) -> Vec<String> {
    let mut taken = std::collections::HashSet::new();
    photos
        .iter()
        .enumerate()
        .map(|(i, photo)| {
            let stem = std::path::Path::new(photo)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .filter(|s| !s.is_empty() && s != "." && s != "..")
                .unwrap_or_else(|| format!("session-{}", i + 1));
            let mut name = format!("{stem}.overlay.png");
            let mut suffix = i + 1;
            while !taken.insert(name.to_lowercase()) {
                name = format!("{stem}-{suffix}.overlay.png");
                suffix += photos.len();
            }
            name
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_shrink_large_areas_and_zoom_small_ones() {
        let photo = DynamicImage::ImageRgb8(RgbImage::from_fn(300, 200, |x, y| {
            image::Rgb([x as u8, y as u8, 0])
        }));
        let area = Region {
            x: 10,
            y: 20,
            width: 200,
            height: 100,
        };
        let small = View::of(&photo, area, 100, 4);
        assert_eq!(small.image.dimensions(), (100, 50));
        assert_eq!(small.to_image(110.0, 70.0), (50.0, 25.0));
        let zoomed = View::of(&photo, area, 700, 4);
        assert_eq!(zoomed.image.dimensions(), (600, 300));
        assert_eq!(zoomed.image.get_pixel(2, 2).0, [10, 20, 0]);
        assert_eq!(zoomed.image.get_pixel(3, 3).0, [11, 21, 0]);
        assert_eq!(zoomed.to_image(11.0, 20.0), (3.0, 0.0));
        let whole = View::of(&photo, Region::whole(300, 200), 300, 1);
        assert_eq!(whole.image.dimensions(), (300, 200));
    }

    #[test]
    fn overlay_names_follow_the_photos_and_never_repeat() {
        let names = overlay_file_names(&["a/s1.jpg", "b/S1.png", "s2", "..", "s1-2.tif"]);
        assert_eq!(
            names,
            [
                "s1.overlay.png",
                "S1-2.overlay.png",
                "s2.overlay.png",
                "session-4.overlay.png",
                "s1-2-5.overlay.png"
            ]
        );
    }
}

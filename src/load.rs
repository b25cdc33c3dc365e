//! Loading a photo: decode with limits, apply its EXIF orientation, read its capture date.
//!
//! `image::open` ignores EXIF orientation, and phone photos are often stored sideways, so we go
//! through `ImageReader` → decoder → `orientation()` → `apply_orientation`. Decoders can panic on
//! hostile input; that panic is caught here and reported as that file's error.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageError, ImageReader};

use crate::error::{Error, Result};

/// Caps on what a photo may decode to, checked from its header before pixels are allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadLimits {
    /// Largest accepted width or height (px).
    pub max_side: u32,
    /// Largest accepted pixel count (px).
    pub max_pixels: u64,
    /// Largest accepted decoded buffer (bytes).
    pub max_decoded_bytes: u64,
}

/// Default largest side: 32768 px, above any phone or DSLR sensor.
pub const DEFAULT_MAX_SIDE: u32 = 32_768;
/// Default largest pixel count: 200 MP, four times a 50 MP clinic camera.
pub const DEFAULT_MAX_PIXELS: u64 = 200_000_000;
/// Default largest decoded buffer: 1.5 GiB (200 MP of 8-bit RGB is 0.6 GB; 16-bit RGBA 1.6 GB).
pub const DEFAULT_MAX_DECODED_BYTES: u64 = 1536 * 1024 * 1024;

impl Default for LoadLimits {
    fn default() -> Self {
        LoadLimits {
            max_side: DEFAULT_MAX_SIDE,
            max_pixels: DEFAULT_MAX_PIXELS,
            max_decoded_bytes: DEFAULT_MAX_DECODED_BYTES,
        }
    }
}

/// A decoded photo, upright as displayed.
#[derive(Clone, Debug)]
pub struct Photo {
    /// The pixels after the EXIF orientation has been applied.
    pub image: DynamicImage,
    /// EXIF DateTimeOriginal as ISO 8601 local time (`YYYY-MM-DDTHH:MM:SS`), if present and valid.
    pub capture_date: Option<String>,
    /// The EXIF orientation that was applied (1–8, TIFF numbering; 1 when absent).
    pub orientation: u8,
}

/// Reads and decodes the photo at `path`. Errors name `path`.
pub fn load_photo(path: &Path, limits: &LoadLimits) -> Result<Photo> {
    let io_error = |source| Error::PhotoIo {
        path: path.to_path_buf(),
        source,
    };
    // A compressed photo is never larger than its decoded pixels: refuse a file over the decoded
    // limit before reading it into memory.
    let size = std::fs::metadata(path).map_err(io_error)?.len();
    if size > limits.max_decoded_bytes {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            reason: format!(
                "the file is {} MiB, over the limit of {} MiB",
                size >> 20,
                limits.max_decoded_bytes >> 20
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(io_error)?;
    decode_photo(&bytes, path, limits)
}

/// Decodes an in-memory photo; `name` is used in errors only. Never panics: a decoder panic is
/// reported as a [`Error::Decode`] for `name`.
pub fn decode_photo(bytes: &[u8], name: &Path, limits: &LoadLimits) -> Result<Photo> {
    if bytes.is_empty() {
        return Err(Error::decode(name, "the file is empty"));
    }
    crate::error::catch_panic(
        || decode_unguarded(bytes, name, limits),
        |message| Error::decode(name, format!("the decoder crashed: {message}")),
    )
}

fn decode_unguarded(bytes: &[u8], name: &Path, limits: &LoadLimits) -> Result<Photo> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::decode(name, e.to_string()))?;
    if reader.format().is_none() {
        return Err(Error::NotAnImage {
            path: name.to_path_buf(),
            detail: None,
        });
    }
    let mut reader = reader;
    // Sides and pixels are checked by `check_size` below, from the header, with the numbers in
    // the message; the decoders' own allocations are capped here.
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(limits.max_decoded_bytes);
    reader.limits(image_limits);

    let format = reader.format();
    let mut decoder = reader.into_decoder().map_err(|e| image_error(name, e))?;
    let (width, height) = decoder.dimensions();
    check_size(name, width, height, decoder.total_bytes(), limits)?;
    if format == Some(image::ImageFormat::Jpeg) && !jpeg_has_end_marker(bytes) {
        // The JPEG decoder fills a scan cut short with grey instead of failing, so a photo
        // truncated by an interrupted copy or download would be measured as if it were whole.
        return Err(Error::decode(
            name,
            "the JPEG is truncated (its end-of-image marker is missing)",
        ));
    }

    let exif = decoder.exif_metadata().unwrap_or(None);
    let orientation = exif
        .as_deref()
        .and_then(image::metadata::Orientation::from_exif_chunk)
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let capture_date = exif.as_deref().and_then(exif_date_time_original);

    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| image_error(name, e))?;
    image.apply_orientation(orientation);
    Ok(Photo {
        image,
        capture_date,
        orientation: orientation_number(orientation),
    })
}

fn check_size(name: &Path, width: u32, height: u32, bytes: u64, limits: &LoadLimits) -> Result<()> {
    let too_large = |reason: String| Error::TooLarge {
        path: name.to_path_buf(),
        reason,
    };
    if width == 0 || height == 0 {
        return Err(Error::decode(
            name,
            format!("the image is {width}×{height} px"),
        ));
    }
    if width > limits.max_side || height > limits.max_side {
        return Err(too_large(format!(
            "{width}×{height} px exceeds the limit of {} px per side",
            limits.max_side
        )));
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(too_large(format!(
            "{width}×{height} px is {} MP, over the limit of {} MP",
            format_megapixels(pixels),
            format_megapixels(limits.max_pixels)
        )));
    }
    if bytes > limits.max_decoded_bytes {
        return Err(too_large(format!(
            "decoding needs {} MiB, over the limit of {} MiB",
            bytes >> 20,
            limits.max_decoded_bytes >> 20
        )));
    }
    Ok(())
}

/// Whether a JPEG's marker structure reaches its end-of-image marker (FF D9): walks the marker
/// segments from SOI, skipping each segment by its length (so an EXIF thumbnail's own markers
/// are never mistaken for the photo's) and each scan's entropy-coded data (where 0xFF is only
/// followed by a stuffed 00 or a restart marker).
fn jpeg_has_end_marker(bytes: &[u8]) -> bool {
    let mut pos = 2; // after SOI (FF D8)
    let mut in_scan = false;
    while pos + 1 < bytes.len() {
        if bytes[pos] != 0xFF {
            // Entropy-coded data, or stray bytes between segments (tolerated, as libjpeg does).
            pos += 1;
            continue;
        }
        let marker = bytes[pos + 1];
        match marker {
            // Fill byte before a marker.
            0xFF => pos += 1,
            // Stuffed zero or restart marker inside a scan.
            0x00 | 0xD0..=0xD7 if in_scan => pos += 2,
            0xD9 => return true,
            // Stand-alone markers without a length.
            0x00 | 0x01 | 0xD0..=0xD8 => pos += 2,
            _ => {
                let Some(len) = bytes.get(pos + 2..pos + 4) else {
                    return false;
                };
                let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                if len < 2 {
                    return false;
                }
                pos += 2 + len;
                in_scan = marker == 0xDA;
            }
        }
    }
    false
}

fn format_megapixels(pixels: u64) -> String {
    // Enough digits that a small limit (e.g. 0.01 MP) is not shown as 0.0.
    let mp = pixels as f64 / 1e6;
    let s = format!("{mp:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

fn image_error(name: &Path, error: ImageError) -> Error {
    match error {
        ImageError::Unsupported(e) => Error::NotAnImage {
            path: name.to_path_buf(),
            detail: Some(crate::error::one_line(&e.to_string())),
        },
        ImageError::Limits(e) => Error::TooLarge {
            path: name.to_path_buf(),
            reason: crate::error::one_line(&e.to_string()),
        },
        other => Error::decode(name, other.to_string()),
    }
}

fn orientation_number(orientation: image::metadata::Orientation) -> u8 {
    use image::metadata::Orientation::*;
    match orientation {
        NoTransforms => 1,
        FlipHorizontal => 2,
        Rotate180 => 3,
        FlipVertical => 4,
        Rotate90FlipH => 5,
        Rotate90 => 6,
        Rotate270FlipH => 7,
        Rotate270 => 8,
    }
}

/// EXIF DateTimeOriginal (tag 0x9003) from a raw EXIF (TIFF) block, as `YYYY-MM-DDTHH:MM:SS`.
/// DateTime (0x0132) is deliberately ignored: editors rewrite it.
pub fn exif_date_time_original(exif_tiff: &[u8]) -> Option<String> {
    let exif = exif::Reader::new().read_raw(exif_tiff.to_vec()).ok()?;
    let field = exif.get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY)?;
    let exif::Value::Ascii(ref values) = field.value else {
        return None;
    };
    let dt = exif::DateTime::from_ascii(values.first()?).ok()?;
    // Cameras write all-blank or zero dates when the clock was never set.
    if dt.year == 0 || dt.month == 0 || dt.day == 0 {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(i32::from(dt.year), u32::from(dt.month), u32::from(dt.day))?;
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_bytes(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(width, height, image::Rgb([200, 150, 120]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn decodes_a_png() {
        let photo =
            decode_photo(&png_bytes(7, 5), Path::new("a.png"), &LoadLimits::default()).unwrap();
        assert_eq!((photo.image.width(), photo.image.height()), (7, 5));
        assert_eq!(photo.orientation, 1);
        assert_eq!(photo.capture_date, None);
    }

    #[test]
    fn refuses_empty_text_and_truncated_files() {
        let limits = LoadLimits::default();
        let name = Path::new("x.jpg");
        assert!(matches!(
            decode_photo(b"", name, &limits),
            Err(Error::Decode { .. })
        ));
        assert!(matches!(
            decode_photo(b"hello, I am text", name, &limits),
            Err(Error::NotAnImage { .. })
        ));
        let png = png_bytes(64, 64);
        let truncated = &png[..png.len() / 2];
        assert!(matches!(
            decode_photo(truncated, name, &limits),
            Err(Error::Decode { .. })
        ));
    }

    #[test]
    fn truncated_jpegs_are_refused() {
        let img = image::RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, ((x ^ y) * 3) as u8])
        });
        let mut jpeg = Vec::new();
        img.write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
            .unwrap();
        assert!(jpeg_has_end_marker(&jpeg));
        let mut trailing = jpeg.clone();
        trailing.extend_from_slice(b"trailing bytes after EOI");
        assert!(jpeg_has_end_marker(&trailing));
        let limits = LoadLimits::default();
        let name = Path::new("cut.jpg");
        for cut in [
            jpeg.len() / 4,
            jpeg.len() / 2,
            jpeg.len() - 2,
            jpeg.len() - 1,
        ] {
            assert!(!jpeg_has_end_marker(&jpeg[..cut]), "cut at {cut}");
            assert!(
                matches!(
                    decode_photo(&jpeg[..cut], name, &limits),
                    Err(Error::Decode { .. })
                ),
                "cut at {cut}"
            );
        }
        assert!(decode_photo(&trailing, name, &limits).is_ok());
    }

    #[test]
    fn limits_are_enforced_at_their_edges() {
        let png = png_bytes(10, 10);
        let name = Path::new("big.png");
        let exact = LoadLimits {
            max_side: 10,
            max_pixels: 100,
            max_decoded_bytes: 300,
        };
        assert!(decode_photo(&png, name, &exact).is_ok());
        for tighter in [
            LoadLimits {
                max_side: 9,
                ..exact
            },
            LoadLimits {
                max_pixels: 99,
                ..exact
            },
            LoadLimits {
                max_decoded_bytes: 299,
                ..exact
            },
        ] {
            assert!(matches!(
                decode_photo(&png, name, &tighter),
                Err(Error::TooLarge { .. })
            ));
        }
    }
}

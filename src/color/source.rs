//! The luminance of a photo's window read back pixel by pixel, or run by run, from the photo
//! itself, with each pixel's colour (per-dot sampling), so that the luminance plane's buffer
//! can go to another stage.

use image::DynamicImage;

use super::{decode_rgb, linear_rgb, pixel_luminance, LINEAR_FROM_U16, LINEAR_FROM_U8};
use crate::plane::Plane;
use crate::region::Region;

/// The luminance of a window of a photo, read a pixel at a time once the full plane is no
/// longer needed: recomputed from the photo (bit-identical to [`luminance`](super::luminance)), so the 4 B/px
/// plane's buffer can be freed or lent to another stage; kept as a plane only for pixel layouts
/// that [`luminance`](super::luminance) converts as a whole first (float images).
pub struct LuminanceSource<'a> {
    image: &'a DynamicImage,
    rect: Region,
    kept: Option<Plane>,
    /// Window width (px).
    pub width: usize,
    /// Window height (px).
    pub height: usize,
}

impl<'a> LuminanceSource<'a> {
    /// From `plane`, the [`luminance`](super::luminance) of `rect` in `image` (dropped unless it must be kept).
    pub fn new(image: &'a DynamicImage, rect: Region, plane: Plane) -> Self {
        let kept = (!reads_straight(image)).then_some(plane);
        Self::keeping(image, rect, kept)
    }

    /// The luminance of `rect` in `image`, never stored as a plane for the pixel layouts read
    /// straight from the photo (8- and 16-bit), and the number of pixels of `rect` with a
    /// clipped channel (as [`luminance`](super::luminance) counts them).
    pub fn of(image: &'a DynamicImage, rect: Region) -> (Self, u64) {
        if reads_straight(image) {
            let clipped = super::clipped_pixels(image, rect);
            (Self::keeping(image, rect, None), clipped)
        } else {
            let (plane, clipped) = super::luminance(image, rect);
            (Self::keeping(image, rect, Some(plane)), clipped)
        }
    }

    /// The source of `rect` in `image`, reading the luminance from `kept` when given.
    fn keeping(image: &'a DynamicImage, rect: Region, kept: Option<Plane>) -> Self {
        LuminanceSource {
            image,
            rect,
            kept,
            width: rect.width as usize,
            height: rect.height as usize,
        }
    }

    /// Hints the cache lines of the photo's pixels `xs` of row `y` (px, within the window;
    /// clipped to the photo) and, where the luminance plane is kept, of its values there (see
    /// [`crate::prefetch`]): they are read soon. Changes nothing.
    pub fn prefetch_run(&self, y: usize, xs: std::ops::Range<usize>) {
        if let Some(plane) = &self.kept {
            let start = y * plane.width;
            crate::prefetch::prefetch_span(&plane.data, start + xs.start..start + xs.end);
        }
        let bytes = self.image.as_bytes();
        let pixel = usize::from(self.image.color().bytes_per_pixel());
        let row = (self.rect.y as usize + y) * self.image.width() as usize;
        let column = self.rect.x as usize;
        let span = (row + column + xs.start) * pixel..(row + column + xs.end) * pixel;
        crate::prefetch::prefetch_span(bytes, span);
    }

    /// Y (linear, 0..1) at (`x`, `y`) px within the window.
    pub fn get(&self, x: usize, y: usize) -> f32 {
        if let Some(plane) = &self.kept {
            return plane.get(x, y);
        }
        let (ix, iy) = (self.rect.x + x as u32, self.rect.y + y as u32);
        // Never falls through: other layouts keep their plane (see `new`).
        with_pixel!(self.image, ix, iy, pixel_luminance, 0.0)
    }

    /// ([`linear_rgb`], [`LuminanceSource::get`]) of the pixel at (`x`, `y`) px within the
    /// window, the same values as the two calls, from one look-up of the pixel (per-dot sampling
    /// reads both for millions of ring pixels).
    pub fn rgb_and_y(&self, x: usize, y: usize) -> ([f32; 3], f32) {
        let (ix, iy) = (self.rect.x + x as u32, self.rect.y + y as u32);
        if self.kept.is_some() {
            return (linear_rgb(self.image, ix, iy), self.get(x, y));
        }
        fn both<T: Copy + Into<usize>>(channels: &[T], table: &[f32]) -> ([f32; 3], f32) {
            (
                decode_rgb(channels, table),
                pixel_luminance(channels, table),
            )
        }
        // Never falls through: other layouts keep their plane (see `new`).
        with_pixel!(self.image, ix, iy, both, ([0.0; 3], 0.0))
    }

    /// [`LuminanceSource::rgb_and_y`] of the pixels `xs` of row `y` (px, within the window),
    /// handed to `f(x, rgb, lum)` in order (linear RGB and luminance, 0..1): the same values, the
    /// photo's layout looked up once per run instead of once per pixel (per-dot sampling reads
    /// runs of ring pixels). Panics if the run lies outside the image, as `rgb_and_y` does.
    pub fn for_each_rgb_and_y_in_run(
        &self,
        y: usize,
        xs: std::ops::Range<usize>,
        mut f: impl FnMut(usize, [f32; 3], f32),
    ) {
        if self.kept.is_some() {
            for x in xs {
                let (rgb, lum) = self.rgb_and_y(x, y);
                f(x, rgb, lum);
            }
            return;
        }
        let (first, iy) = (xs.start, self.rect.y as usize + y);
        let columns = self.rect.x as usize + xs.start..self.rect.x as usize + xs.end;
        let mut at = |k: usize, rgb, lum| f(first + k, rgb, lum);
        // Never falls through: other layouts keep their plane (see `new`).
        with_buffer!(
            self.image,
            |img, table| run_rgb_and_y(img, iy, columns, table, &mut at),
            ()
        )
    }

    /// For a photo with 8-bit channels: `f(x, codes, lum)` for the pixels `xs` of row `y`
    /// (px, within the window), in order, with the pixel's sRGB channel codes (R, G, B; a grey
    /// pixel's code three times), which [`linear_from_u8`](super::linear_from_u8) decodes to the linear RGB of
    /// [`LuminanceSource::for_each_rgb_and_y_in_run`], and the same luminance. Returns false,
    /// calling nothing, for any other layout; true when it read the run. Panics if the run
    /// lies outside the image.
    pub fn for_each_code_and_y_in_run(
        &self,
        y: usize,
        xs: std::ops::Range<usize>,
        mut f: impl FnMut(usize, [u8; 3], f32),
    ) -> bool {
        if self.kept.is_some() {
            return false;
        }
        let (first, iy) = (xs.start, self.rect.y as usize + y);
        let columns = self.rect.x as usize + xs.start..self.rect.x as usize + xs.end;
        let mut at = |k: usize, codes, lum| f(first + k, codes, lum);
        match self.image {
            DynamicImage::ImageRgb8(img) => run_codes_and_y(img, iy, columns, &mut at),
            DynamicImage::ImageRgba8(img) => run_codes_and_y(img, iy, columns, &mut at),
            DynamicImage::ImageLuma8(img) => run_codes_and_y(img, iy, columns, &mut at),
            DynamicImage::ImageLumaA8(img) => run_codes_and_y(img, iy, columns, &mut at),
            _ => return false,
        }
        true
    }
}

/// The window's luminance Y (linear, 0..1), a span of a row at a time: the values of the
/// [`luminance`](super::luminance) plane, bit for bit, recomputed from the photo (or read from
/// the plane it keeps).
impl crate::plane::Rows for LuminanceSource<'_> {
    fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    fn span_into(&self, y: usize, from: usize, out: &mut [f32]) {
        if let Some(plane) = &self.kept {
            out.copy_from_slice(&plane.row(y)[from..from + out.len()]);
            return;
        }
        assert!(from + out.len() <= self.width, "a span within the window");
        let iy = self.rect.y as usize + y;
        let x0 = self.rect.x as usize + from;
        let columns = x0..x0 + out.len();
        match self.image {
            DynamicImage::ImageRgb8(img) => {
                super::luminance_of_rgb8_run::<3>(run_channels(img, iy, columns), out);
                return;
            }
            DynamicImage::ImageRgba8(img) => {
                super::luminance_of_rgb8_run::<4>(run_channels(img, iy, columns), out);
                return;
            }
            _ => {}
        }
        // Never falls through: other layouts keep their plane (see `new`).
        with_buffer!(
            self.image,
            |img, table| run_luminance(img, iy, columns, table, out),
            ()
        )
    }

    fn stored(&self) -> Option<&Plane> {
        self.kept.as_ref()
    }
}

/// Whether the luminance of `image` is read straight from its pixels (8- and 16-bit layouts),
/// not from a plane converted as a whole first.
fn reads_straight(image: &DynamicImage) -> bool {
    matches!(
        image,
        DynamicImage::ImageRgb8(_)
            | DynamicImage::ImageRgba8(_)
            | DynamicImage::ImageLuma8(_)
            | DynamicImage::ImageLumaA8(_)
            | DynamicImage::ImageRgb16(_)
            | DynamicImage::ImageRgba16(_)
            | DynamicImage::ImageLuma16(_)
            | DynamicImage::ImageLumaA16(_)
    )
}

/// The interleaved channels of the pixels `columns` (px) of row `row` of `img`. Panics outside
/// the image, as `get_pixel` does.
fn run_channels<P: image::Pixel>(
    img: &image::ImageBuffer<P, Vec<P::Subpixel>>,
    row: usize,
    columns: std::ops::Range<usize>,
) -> &[P::Subpixel] {
    let c = usize::from(P::CHANNEL_COUNT);
    assert!(
        row < img.height() as usize && columns.end <= img.width() as usize,
        "run outside the image"
    );
    let start = (row * img.width() as usize + columns.start) * c;
    &img.as_raw()[start..start + columns.len() * c]
}

/// The luminances of the pixels `columns` (px) of row `row` of `img` into `out` (one per
/// pixel), through `table` and the one formula of the luminance plane. Panics outside the image.
fn run_luminance<P>(
    img: &image::ImageBuffer<P, Vec<P::Subpixel>>,
    row: usize,
    columns: std::ops::Range<usize>,
    table: &[f32],
    out: &mut [f32],
) where
    P: image::Pixel,
    P::Subpixel: Into<usize>,
{
    let c = usize::from(P::CHANNEL_COUNT);
    let pixels = run_channels(img, row, columns);
    for (o, channels) in out.iter_mut().zip(pixels.chunks_exact(c)) {
        *o = pixel_luminance(channels, table);
    }
}

/// `f(k, codes, lum)` for the `k`-th pixel of `columns` (px) of row `row` of an 8-bit `img`
/// (see [`LuminanceSource::for_each_code_and_y_in_run`]).
fn run_codes_and_y<P: image::Pixel<Subpixel = u8>>(
    img: &image::ImageBuffer<P, Vec<u8>>,
    row: usize,
    columns: std::ops::Range<usize>,
    f: &mut impl FnMut(usize, [u8; 3], f32),
) {
    let c = usize::from(P::CHANNEL_COUNT);
    let pixels = run_channels(img, row, columns);
    let table = &LINEAR_FROM_U8[..];
    for (k, channels) in pixels.chunks_exact(c).enumerate() {
        let codes = match *channels {
            [r, g, b, ..] => [r, g, b],
            [v, ..] => [v; 3],
            [] => [0; 3],
        };
        f(k, codes, pixel_luminance(channels, table));
    }
}

/// `f(k, rgb, lum)` for the `k`-th pixel of `columns` (px) of row `row` of `img`, decoded through
/// `table` as [`LuminanceSource::rgb_and_y`] decodes one pixel. Panics outside the image, as
/// `get_pixel` does.
fn run_rgb_and_y<P>(
    img: &image::ImageBuffer<P, Vec<P::Subpixel>>,
    row: usize,
    columns: std::ops::Range<usize>,
    table: &[f32],
    f: &mut impl FnMut(usize, [f32; 3], f32),
) where
    P: image::Pixel,
    P::Subpixel: Into<usize>,
{
    let c = usize::from(P::CHANNEL_COUNT);
    let pixels = run_channels(img, row, columns);
    for (k, channels) in pixels.chunks_exact(c).enumerate() {
        f(
            k,
            decode_rgb(channels, table),
            pixel_luminance(channels, table),
        );
    }
}

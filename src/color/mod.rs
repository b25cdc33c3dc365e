//! Colour: sRGB decoding to linear light, relative luminance Y, CIELAB.
//!
//! All measurements of darkness are made on linear-light luminance Y (Rec. 709 primaries, D65,
//! 0..1), where a change of exposure is a pure scale factor that cancels in ratios. Lightness is
//! reported as CIELAB L* (D65), computed with `palette`.

use std::sync::LazyLock;

use image::DynamicImage;
use palette::{FromColor, Lab, LinSrgb};
use rayon::prelude::*;

use crate::plane::Plane;
use crate::region::Region;

/// Rec. 709 / sRGB luminance weights for linear R, G, B.
pub const LUMINANCE_WEIGHTS: [f32; 3] = [0.2126, 0.7152, 0.0722];

/// An 8-bit or 16-bit channel value counted as clipped (saturated) when it is at least this
/// fraction of full scale: 254/255.
pub const CLIPPED_FRACTION: f32 = 254.0 / 255.0;

/// The sRGB transfer function inverted: encoded value in 0..1 → linear light 0..1.
#[inline]
pub fn srgb_to_linear(encoded: f32) -> f32 {
    if encoded <= 0.04045 {
        encoded / 12.92
    } else {
        ((encoded + 0.055) / 1.055).powf(2.4)
    }
}

// 256- and 65536-entry tables: decoding through powf per channel per pixel is the slowest part of
// a naive conversion.
static LINEAR_FROM_U8: LazyLock<[f32; 256]> =
    LazyLock::new(|| std::array::from_fn(|i| srgb_to_linear(i as f32 / 255.0)));
static LINEAR_FROM_U16: LazyLock<Vec<f32>> = LazyLock::new(|| {
    (0..=u16::MAX)
        .map(|i| srgb_to_linear(f32::from(i) / 65535.0))
        .collect()
});

/// `$body` with `$img` bound to the buffer of `$image` for each 8- and 16-bit layout and
/// `$table` to that depth's sRGB decoding table; `$other` for any other layout (float images).
/// One arm per layout, so a function generic over the channel type called in `$body` is
/// monomorphised per layout: no dynamic dispatch per pixel. The list of the layouts read
/// straight from the photo (`with_pixel!` below, [`LuminanceSource::for_each_rgb_and_y_in_run`]);
/// [`LuminanceSource::for_each_code_and_y_in_run`] lists its 8-bit ones.
macro_rules! with_buffer {
    ($image:expr, |$img:ident, $table:ident| $body:expr, $other:expr) => {{
        let (u8s, u16s) = (&LINEAR_FROM_U8[..], &LINEAR_FROM_U16[..]);
        match $image {
            DynamicImage::ImageRgb8($img) => {
                let $table = u8s;
                $body
            }
            DynamicImage::ImageRgba8($img) => {
                let $table = u8s;
                $body
            }
            DynamicImage::ImageLuma8($img) => {
                let $table = u8s;
                $body
            }
            DynamicImage::ImageLumaA8($img) => {
                let $table = u8s;
                $body
            }
            DynamicImage::ImageRgb16($img) => {
                let $table = u16s;
                $body
            }
            DynamicImage::ImageRgba16($img) => {
                let $table = u16s;
                $body
            }
            DynamicImage::ImageLuma16($img) => {
                let $table = u16s;
                $body
            }
            DynamicImage::ImageLumaA16($img) => {
                let $table = u16s;
                $body
            }
            _ => $other,
        }
    }};
}

/// `$decode(channels, table)` on the pixel at (`$x`, `$y`) of `$image` for each 8- and 16-bit
/// layout (see [`with_buffer!`]); `$other` for any other layout.
macro_rules! with_pixel {
    ($image:expr, $x:expr, $y:expr, $decode:path, $other:expr) => {
        with_buffer!(
            $image,
            |img, table| $decode(&img.get_pixel($x, $y).0, table),
            $other
        )
    };
}

mod source;
pub use source::LuminanceSource;

/// Linear luminance of the pixels of `rect` in `image`, as a plane of Y values (0..1), plus the
/// number of pixels with a clipped (saturated) channel. `rect` must lie inside the image.
pub fn luminance(image: &DynamicImage, rect: Region) -> (Plane, u64) {
    luminance_into(image, rect, Vec::new())
}

/// [`luminance`] in `buffer`'s allocation where it holds the plane (its values do not matter):
/// the same values, bit for bit.
pub fn luminance_into(image: &DynamicImage, rect: Region, mut buffer: Vec<f32>) -> (Plane, u64) {
    let (w, h) = (rect.width as usize, rect.height as usize);
    // Every value is overwritten below.
    buffer.resize(w * h, 0.0);
    let mut plane = Plane {
        width: w,
        height: h,
        data: buffer,
    };
    let x0 = rect.x as usize;
    let y0 = rect.y as usize;
    let stride = image.width() as usize;
    // One arm per pixel layout: (buffer, channels, decoding table, clipped-at value).
    macro_rules! fill_from {
        ($img:expr, $channels:expr, $table:expr, $clip:expr) => {
            fill(
                &mut plane,
                $img.as_raw(),
                stride,
                $channels,
                x0,
                y0,
                &$table[..],
                $clip,
            )
        };
    }
    let clipped: u64 = match image {
        DynamicImage::ImageRgb8(img) => fill_from!(img, 3, LINEAR_FROM_U8, 254),
        DynamicImage::ImageRgba8(img) => fill_from!(img, 4, LINEAR_FROM_U8, 254),
        DynamicImage::ImageLuma8(img) => fill_from!(img, 1, LINEAR_FROM_U8, 254),
        DynamicImage::ImageLumaA8(img) => fill_from!(img, 2, LINEAR_FROM_U8, 254),
        DynamicImage::ImageRgb16(img) => fill_from!(img, 3, LINEAR_FROM_U16, 65278),
        DynamicImage::ImageRgba16(img) => fill_from!(img, 4, LINEAR_FROM_U16, 65278),
        DynamicImage::ImageLuma16(img) => fill_from!(img, 1, LINEAR_FROM_U16, 65278),
        DynamicImage::ImageLumaA16(img) => fill_from!(img, 2, LINEAR_FROM_U16, 65278),
        // Float or future formats: rare for photos; go through 16-bit RGB.
        other => fill_from!(other.to_rgb16(), 3, LINEAR_FROM_U16, 65278),
    };
    (plane, clipped)
}

/// Fills `plane` with the luminance of the window at (`x0`, `y0`) of an interleaved buffer with
/// `channels` channels (1–2: grey, 3–4: RGB) and rows of `stride` px; returns clipped pixels.
#[allow(clippy::too_many_arguments)]
fn fill<T>(
    plane: &mut Plane,
    raw: &[T],
    stride: usize,
    channels: usize,
    x0: usize,
    y0: usize,
    table: &[f32],
    clip_at: T,
) -> u64
where
    T: Copy + Sync + Into<usize> + PartialOrd,
{
    let w = plane.width;
    plane
        .data
        .par_chunks_mut(w.max(1))
        .enumerate()
        .map(|(y, out)| {
            let start = ((y0 + y) * stride + x0) * channels;
            let src = &raw[start..start + w * channels];
            match channels {
                1 => fill_row::<T, 1>(out, src, table, clip_at),
                2 => fill_row::<T, 2>(out, src, table, clip_at),
                3 => fill_row::<T, 3>(out, src, table, clip_at),
                _ => fill_row::<T, 4>(out, src, table, clip_at),
            }
        })
        .sum()
}

/// One row of [`fill`] for pixels of `C` channels (1–4): the luminances of `src` into `out`;
/// returns the pixels with a clipped colour channel. With the channel count a constant, each
/// pixel's channels are fixed offsets and its clipping one test of three comparisons, not a
/// loop that stops at the first (one thread, 24 MP photo: the luminance stage 44 → 35 ms, fastest of 9).
#[inline(always)]
fn fill_row<T, const C: usize>(out: &mut [f32], src: &[T], table: &[f32], clip_at: T) -> u64
where
    T: Copy + Into<usize> + PartialOrd,
{
    let mut clipped = 0u64;
    for (o, px) in out.iter_mut().zip(src.chunks_exact(C)) {
        *o = pixel_luminance(px, table);
        // RGB's three colour channels, or grey's one (never alpha).
        let hit = if C >= 3 {
            (px[0] >= clip_at) | (px[1] >= clip_at) | (px[2] >= clip_at)
        } else {
            px[0] >= clip_at
        };
        clipped += u64::from(hit);
    }
    clipped
}

/// Luminance Y (0..1) of one interleaved pixel (1–2 channels: grey, 3–4: RGB) through the
/// decoding `table`: the one formula of [`luminance`] and [`LuminanceSource`].
#[inline]
fn pixel_luminance<T: Copy + Into<usize>>(px: &[T], table: &[f32]) -> f32 {
    if px.len() >= 3 {
        LUMINANCE_WEIGHTS[0] * table[px[0].into()]
            + LUMINANCE_WEIGHTS[1] * table[px[1].into()]
            + LUMINANCE_WEIGHTS[2] * table[px[2].into()]
    } else {
        table[px[0].into()]
    }
}

/// The linear value (0..1) of an 8-bit sRGB channel `code`: what
/// [`LuminanceSource::for_each_code_and_y_in_run`]'s codes decode to.
pub fn linear_from_u8(code: u8) -> f32 {
    LINEAR_FROM_U8[usize::from(code)]
}

/// Linear RGB of one interleaved pixel through the decoding `table`: the first three channels
/// (RGB, RGBA), or the first repeated (grey, grey + alpha).
#[inline]
fn decode_rgb<T: Copy + Into<usize>>(channels: &[T], table: &[f32]) -> [f32; 3] {
    match channels {
        [r, g, b, ..] => [table[(*r).into()], table[(*g).into()], table[(*b).into()]],
        [v, ..] => [table[(*v).into()]; 3],
        [] => [0.0; 3],
    }
}

/// Linear-light RGB (0..1 each) of the pixel at (`x`, `y`) of `image`; grey images give R=G=B.
pub fn linear_rgb(image: &DynamicImage, x: u32, y: u32) -> [f32; 3] {
    with_pixel!(image, x, y, decode_rgb, {
        use image::GenericImageView;
        decode_rgb(&image.get_pixel(x, y).0, &LINEAR_FROM_U8[..])
    })
}

/// Relative luminance Y (0..1) of a linear-light RGB triple.
#[inline]
pub fn luminance_of(rgb: [f32; 3]) -> f32 {
    LUMINANCE_WEIGHTS[0] * rgb[0] + LUMINANCE_WEIGHTS[1] * rgb[1] + LUMINANCE_WEIGHTS[2] * rgb[2]
}

/// CIELAB (D65) `[L*, a*, b*]` of a linear-light sRGB triple; L* in 0..100.
pub fn lab_from_linear(rgb: [f32; 3]) -> [f32; 3] {
    let lab: Lab<palette::white_point::D65, f32> =
        Lab::from_color(LinSrgb::new(rgb[0], rgb[1], rgb[2]));
    [lab.l, lab.a, lab.b]
}

/// CIELAB L* (D65, 0..100) of a relative luminance `y` (0..1).
pub fn lightness_from_luminance(y: f32) -> f32 {
    lab_from_linear([y, y, y])[0]
}

#[cfg(test)]
mod tests;

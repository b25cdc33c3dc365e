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

/// Per colour channel (R, G, B), each 8-bit code's linear value times that channel's luminance
/// weight: the three products [`pixel_luminance`] adds for an 8-bit colour pixel, the same IEEE
/// products computed once, so a pixel's luminance is three look-ups and two additions in the
/// same order, bit for bit the same value. (Stages read the luminance again from the photo,
/// about four times per photo: each full read of a 24 MP photo is ≈ 2 ms faster on two threads.)
static WEIGHTED_FROM_U8: LazyLock<[[f32; 256]; 3]> = LazyLock::new(|| {
    std::array::from_fn(|c| std::array::from_fn(|i| LUMINANCE_WEIGHTS[c] * LINEAR_FROM_U8[i]))
});

/// The luminances of the 8-bit colour pixels `pixels` (`C` bytes each, R, G, B first: 3 or 4)
/// into `out`: [`pixel_luminance`]'s values, bit for bit, through [`WEIGHTED_FROM_U8`].
#[inline]
pub(crate) fn luminance_of_rgb8_run<const C: usize>(pixels: &[u8], out: &mut [f32]) {
    let [r, g, b] = &*WEIGHTED_FROM_U8;
    for (o, px) in out.iter_mut().zip(pixels.chunks_exact(C)) {
        *o = r[usize::from(px[0])] + g[usize::from(px[1])] + b[usize::from(px[2])];
    }
}

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
    let (w, h) = (rect.width as usize, rect.height as usize);
    let mut plane = Plane::filled(w, h, 0.0);
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
        clipped += u64::from(is_clipped::<T, C>(px, clip_at));
    }
    clipped
}

/// Whether a pixel of `C` channels (1–4) has a clipped colour channel: RGB's three, or grey's
/// one (never alpha), at or above `clip_at`.
#[inline(always)]
fn is_clipped<T: Copy + PartialOrd, const C: usize>(px: &[T], clip_at: T) -> bool {
    if C >= 3 {
        (px[0] >= clip_at) | (px[1] >= clip_at) | (px[2] >= clip_at)
    } else {
        px[0] >= clip_at
    }
}

/// The pixels of `rect` in `image` with a clipped colour channel, counted as [`luminance`]
/// counts them, without computing the luminance (rows in parallel). `rect` must lie inside
/// the image.
pub(crate) fn clipped_pixels(image: &DynamicImage, rect: Region) -> u64 {
    let (x0, y0, w) = (rect.x as usize, rect.y as usize, rect.width as usize);
    let stride = image.width() as usize;
    fn count<T: Copy + Sync + PartialOrd, const C: usize>(
        raw: &[T],
        (stride, x0, y0, w, h): (usize, usize, usize, usize, usize),
        clip_at: T,
    ) -> u64 {
        (y0..y0 + h)
            .into_par_iter()
            .map(|y| {
                let start = (y * stride + x0) * C;
                raw[start..start + w * C]
                    .chunks_exact(C)
                    .filter(|px| is_clipped::<T, C>(px, clip_at))
                    .count() as u64
            })
            .sum()
    }
    let at = (stride, x0, y0, w, rect.height as usize);
    match image {
        DynamicImage::ImageRgb8(img) => (y0..y0 + rect.height as usize)
            .into_par_iter()
            .map(|y| {
                let start = (y * stride + x0) * 3;
                clipped_rgb8(&img.as_raw()[start..start + w * 3])
            })
            .sum(),
        DynamicImage::ImageRgba8(img) => count::<_, 4>(img.as_raw(), at, 254),
        DynamicImage::ImageLuma8(img) => count::<_, 1>(img.as_raw(), at, 254),
        DynamicImage::ImageLumaA8(img) => count::<_, 2>(img.as_raw(), at, 254),
        DynamicImage::ImageRgb16(img) => count::<_, 3>(img.as_raw(), at, 65278),
        DynamicImage::ImageRgba16(img) => count::<_, 4>(img.as_raw(), at, 65278),
        DynamicImage::ImageLuma16(img) => count::<_, 1>(img.as_raw(), at, 65278),
        DynamicImage::ImageLumaA16(img) => count::<_, 2>(img.as_raw(), at, 65278),
        other => count::<_, 3>(other.to_rgb16().as_raw(), at, 65278),
    }
}

/// The pixels of the 8-bit RGB run `bytes` (three per pixel) with a channel at or above 254
/// ([`is_clipped`]). On x86-64, sixteen pixels at a time: three vector compares of 16 bytes
/// (SSE2, which every x86-64 CPU has) give a bit per byte, a pixel's three bits are folded
/// onto its first, and those are counted (pixel by pixel, the count took as long as computing
/// the luminance: 16 ms on two threads for a 24 MP photo).
fn clipped_rgb8(bytes: &[u8]) -> u64 {
    let per_pixel = |run: &[u8]| -> u64 {
        run.chunks_exact(3)
            .map(|p| u64::from(is_clipped::<u8, 3>(p, 254)))
            .sum()
    };
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8,
            _mm_set1_epi8,
        };
        // Bit 3i for pixel i of the sixteen.
        const FIRST_BITS: u64 = 0x2492_4924_9249;
        let mut chunks = bytes.chunks_exact(48);
        let mut clipped = 0u64;
        for chunk in chunks.by_ref() {
            // SAFETY: SSE2 is part of the x86-64 baseline; each unaligned load reads 16 of the
            // chunk's 48 bytes.
            let flags = unsafe {
                let limit = _mm_set1_epi8(254u8 as i8);
                let at = |offset: usize| {
                    let v = _mm_loadu_si128(chunk.as_ptr().add(offset).cast::<__m128i>());
                    // v ≥ 254 exactly where max(v, 254) == v.
                    let high = _mm_cmpeq_epi8(_mm_max_epu8(v, limit), v);
                    u64::from(_mm_movemask_epi8(high) as u16)
                };
                at(0) | (at(16) << 16) | (at(32) << 32)
            };
            clipped += u64::from(((flags | (flags >> 1) | (flags >> 2)) & FIRST_BITS).count_ones());
        }
        clipped + per_pixel(chunks.remainder())
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        per_pixel(bytes)
    }
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

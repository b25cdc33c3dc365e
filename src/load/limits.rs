//! The caps on what a photo may decode to, checked from its header before any pixel is
//! allocated, and the one-line errors that name the file over them.

use std::path::Path;

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

/// Bytes of a `width` × `height` image of `color` (within the limits checked beforehand).
pub(super) fn decoded_bytes(width: u32, height: u32, color: image::ColorType) -> usize {
    width as usize * height as usize * usize::from(color.bytes_per_pixel())
}

/// Checks a `width` × `height` px photo needing `bytes` decoded against `limits`, from its
/// header: an empty image is a decoding error, one over a limit [`Error::TooLarge`]; both name
/// the file `name`.
pub(super) fn check_size(
    name: &Path,
    width: u32,
    height: u32,
    bytes: u64,
    limits: &LoadLimits,
) -> Result<()> {
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
            // Rounded up: 1.7 MiB is over a 1 MiB limit.
            bytes.div_ceil(1 << 20),
            limits.max_decoded_bytes >> 20
        )));
    }
    Ok(())
}

/// `pixels` in megapixels, with up to three decimals and no trailing zeros.
pub(super) fn format_megapixels(pixels: u64) -> String {
    // Enough digits that a small limit (e.g. 0.01 MP) is not shown as 0.0.
    let mp = pixels as f64 / 1e6;
    let s = format!("{mp:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

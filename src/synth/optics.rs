//! Lighting, optics, sensor noise and the sRGB transfer function.

use image::RgbImage;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::rng::{hash3, normal_from_bits};

/// Read noise as a fraction of [`Optics::noise`]: the noise floor in the
/// dark, linear light.
pub const READ_NOISE_REL: f64 = 0.05;

/// Gaussian radius of the ISP unsharp mask, px.
pub const SHARPEN_SIGMA_PX: f64 = 1.0;

/// Gaussian blurs narrower than this (px) are skipped as no-ops.
const MIN_BLUR_SIGMA_PX: f64 = 0.05;

/// Scene illumination as seen by the camera (a function of image position,
/// not of the scalp).
///
/// Irradiance factor at pixel centre `(x, y)` px of a `W×H` image:
/// `exposure · (1 + gx·(x/W − ½) + gy·(y/H − ½)) · (1 − vignette·r²)`, with
/// `r` the distance from the image centre relative to the half-diagonal,
/// clamped at 0; channel `c` is further multiplied by `white_balance[c]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Lighting {
    /// Overall multiplier of linear light (1.0 nominal).
    pub exposure: f64,
    /// Per-channel gains on linear R, G, B (1.0 neutral).
    pub white_balance: [f64; 3],
    /// Relative illumination change across the full image width and height
    /// (e.g. `(0.6, 0.0)` = −30 % at the left edge to +30 % at the right).
    pub gradient: (f64, f64),
    /// Relative fall-off at the image corners (e.g. 0.3 = corners 30 % darker).
    pub vignette: f64,
    /// A specular highlight on the scalp's surface (an oily scalp under a flash or ring light),
    /// if any.
    #[serde(default)]
    pub sheen: Option<Sheen>,
}

/// A specular highlight: light reflected by the skin's surface, above the pigment (which lies
/// in the dermis), so it adds to dots and skin alike, in the light's colour (the white
/// balance's gains), in proportion to the illumination there.
///
/// Added linear light at continuous px `(x, y)` of a `W×H` image, channel `c`:
/// `strength · L(x, y) · wb_c · exp(−(u²/σ_u² + v²/σ_v²)/2)`, with `(u, v)` the offset from
/// the centre `(centre.0·W, centre.1·H)` rotated by `angle_deg` and `σ = size · min(W, H)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sheen {
    /// Centre as fractions of the image's width and height.
    pub centre: (f64, f64),
    /// Gaussian σ along and across the highlight, as fractions of the image's shorter side.
    pub size: (f64, f64),
    /// Direction of the highlight's long axis, degrees from the image's x axis.
    pub angle_deg: f64,
    /// Reflected light at the centre as a fraction of the illumination there (the skin's own
    /// diffuse reflectance is 0.03–0.5 of it, types VI–I).
    pub strength: f64,
}

impl Sheen {
    /// The highlight's profile, 0..1 (1 at its centre), at continuous px `(x, y)` of a
    /// `width × height` image.
    pub fn profile(&self, x: f64, y: f64, width: u32, height: u32) -> f64 {
        let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
        let side = w.min(h);
        let (dx, dy) = (x - self.centre.0 * w, y - self.centre.1 * h);
        let (sin, cos) = self.angle_deg.to_radians().sin_cos();
        let (u, v) = (cos * dx + sin * dy, -sin * dx + cos * dy);
        let (su, sv) = (self.size.0 * side, self.size.1 * side);
        if su <= 0.0 || sv <= 0.0 {
            return 0.0;
        }
        (-0.5 * ((u / su).powi(2) + (v / sv).powi(2))).exp()
    }
}

impl Default for Lighting {
    fn default() -> Self {
        Self::neutral()
    }
}

impl Lighting {
    /// Uniform, neutral, nominal exposure.
    pub fn neutral() -> Self {
        Self {
            exposure: 1.0,
            white_balance: [1.0; 3],
            gradient: (0.0, 0.0),
            vignette: 0.0,
            sheen: None,
        }
    }

    /// A typical handheld indoor photo: slightly warm, uneven, vignetted.
    pub fn uneven() -> Self {
        Self {
            exposure: 0.9,
            white_balance: [1.06, 1.0, 0.9],
            gradient: (0.4, 0.15),
            vignette: 0.25,
            sheen: None,
        }
    }

    /// Grey irradiance factor (before white balance) at continuous px `(x, y)`.
    pub fn illumination(&self, x: f64, y: f64, width: u32, height: u32) -> f64 {
        let w = f64::from(width.max(1));
        let h = f64::from(height.max(1));
        let g = 1.0 + self.gradient.0 * (x / w - 0.5) + self.gradient.1 * (y / h - 0.5);
        let (cx, cy) = (w / 2.0, h / 2.0);
        let r2 = ((x - cx).powi(2) + (y - cy).powi(2)) / (cx * cx + cy * cy);
        (self.exposure * g * (1.0 - self.vignette * r2)).max(0.0)
    }
}

/// Lens and sensor/ISP model, applied in this order:
///
/// 1. defocus: Gaussian blur of linear light, σ = `blur_sigma_px`;
/// 2. sensor noise, per pixel and channel, independent Gaussian with standard
///    deviation (linear light, `I` = blurred signal, 0..1 nominal)
///    `σ(I) = noise · √(max(I, 0) + READ_NOISE_REL²)`, i.e. shot-noise variance
///    `noise²·I` (σ = `noise` at full white) plus read noise
///    `noise·READ_NOISE_REL`; drawn from a hash of (`seed`, x, y, channel);
/// 3. clip to [0, 1] and encode with the exact sRGB transfer function;
/// 4. ISP sharpening: unsharp mask in the sRGB domain,
///    `s + sharpen·(s − G_σ(s))` with σ = [`SHARPEN_SIGMA_PX`], clipped to [0, 1];
/// 5. quantise to 8 bits (round to nearest).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Optics {
    /// Defocus blur, Gaussian σ in px (0 = sharp).
    pub blur_sigma_px: f64,
    /// Unsharp-mask amount in the sRGB domain (0 = none, ≈0.5–1 phone-like).
    pub sharpen: f64,
    /// Relative shot-noise scale: noise σ at full white, linear light (0 = none).
    pub noise: f64,
    /// Seed of the sensor noise (vary per photo; the skin uses the scene seed).
    pub seed: u64,
}

impl Default for Optics {
    fn default() -> Self {
        Self::ideal()
    }
}

impl Optics {
    /// A perfect camera: no blur, no sharpening, no noise.
    pub fn ideal() -> Self {
        Self {
            blur_sigma_px: 0.0,
            sharpen: 0.0,
            noise: 0.0,
            seed: 0,
        }
    }

    /// A typical phone close-up: slight defocus, ISP sharpening, mild noise.
    pub fn phone(seed: u64) -> Self {
        Self {
            blur_sigma_px: 0.8,
            sharpen: 0.6,
            noise: 0.02,
            seed,
        }
    }

    /// Noise standard deviation (linear light) for a signal `i` (linear light).
    pub fn noise_sigma(&self, i: f64) -> f64 {
        self.noise * (i.max(0.0) + READ_NOISE_REL * READ_NOISE_REL).sqrt()
    }
}

/// Exact sRGB decoding of an 8-bit value to linear light 0..1.
pub fn srgb_to_linear(v: u8) -> f64 {
    let s = f64::from(v) / 255.0;
    if s <= 0.04045 {
        s / 12.92
    } else {
        ((s + 0.055) / 1.055).powf(2.4)
    }
}

/// Exact sRGB encoding of linear light (clipped to 0..1) to a 0..1 sRGB value.
pub fn linear_to_srgb(l: f64) -> f64 {
    let l = l.clamp(0.0, 1.0);
    if l <= 0.003_130_8 {
        12.92 * l
    } else {
        1.055 * l.powf(1.0 / 2.4) - 0.055
    }
}

/// Interleaved RGB float image, row-major.
pub(crate) struct FloatImage {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

fn gaussian_kernel(sigma: f64) -> Vec<f32> {
    let r = (3.0 * sigma).ceil().max(1.0) as i64;
    let w: Vec<f64> = (-r..=r)
        .map(|k| (-((k * k) as f64) / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f64 = w.iter().sum();
    w.iter().map(|x| (x / sum) as f32).collect()
}

impl FloatImage {
    /// Separable Gaussian blur with clamp-to-edge borders (deterministic:
    /// every output value is summed in a fixed order).
    pub fn gaussian_blur(&self, sigma: f64) -> FloatImage {
        if sigma < MIN_BLUR_SIGMA_PX || self.width == 0 || self.height == 0 {
            return FloatImage {
                width: self.width,
                height: self.height,
                data: self.data.clone(),
            };
        }
        let k = gaussian_kernel(sigma);
        let r = (k.len() / 2) as i64;
        let (w, h) = (self.width, self.height);
        let stride = w * 3;
        let mut tmp = vec![0f32; self.data.len()];
        tmp.par_chunks_mut(stride).enumerate().for_each(|(y, out)| {
            let row = &self.data[y * stride..(y + 1) * stride];
            for x in 0..w {
                let mut acc = [0f32; 3];
                for (ki, &kv) in k.iter().enumerate() {
                    let sx = (x as i64 + ki as i64 - r).clamp(0, w as i64 - 1) as usize;
                    for c in 0..3 {
                        acc[c] += kv * row[sx * 3 + c];
                    }
                }
                out[x * 3..x * 3 + 3].copy_from_slice(&acc);
            }
        });
        let mut out = vec![0f32; self.data.len()];
        out.par_chunks_mut(stride)
            .enumerate()
            .for_each(|(y, orow)| {
                for (ki, &kv) in k.iter().enumerate() {
                    let sy = (y as i64 + ki as i64 - r).clamp(0, h as i64 - 1) as usize;
                    let src = &tmp[sy * stride..(sy + 1) * stride];
                    for (o, &s) in orow.iter_mut().zip(src) {
                        *o += kv * s;
                    }
                }
            });
        FloatImage {
            width: w,
            height: h,
            data: out,
        }
    }
}

/// Applies steps 1–5 of [`Optics`] to a linear-light image.
pub(crate) fn develop(linear: FloatImage, optics: &Optics) -> RgbImage {
    let (w, h) = (linear.width, linear.height);
    let stride = w * 3;
    let mut img = linear.gaussian_blur(optics.blur_sigma_px);
    let noise = optics.noise.is_finite() && optics.noise > 0.0;
    img.data
        .par_chunks_mut(stride)
        .enumerate()
        .for_each(|(y, row)| {
            for (idx, v) in row.iter_mut().enumerate() {
                let mut l = f64::from(*v);
                if noise {
                    let bits = hash3(optics.seed, (idx / 3) as i64, y as i64, (idx % 3) as i64);
                    l += optics.noise_sigma(l) * normal_from_bits(bits);
                }
                *v = linear_to_srgb(l) as f32;
            }
        });
    let amount = if optics.sharpen.is_finite() {
        optics.sharpen.max(0.0) as f32
    } else {
        0.0
    };
    if amount > 0.0 {
        let blurred = img.gaussian_blur(SHARPEN_SIGMA_PX);
        img.data
            .par_iter_mut()
            .zip(blurred.data.par_iter())
            .for_each(|(s, &b)| *s = (*s + amount * (*s - b)).clamp(0.0, 1.0));
    }
    let bytes: Vec<u8> = img
        .data
        .par_iter()
        .map(|&s| (s * 255.0).round().clamp(0.0, 255.0) as u8)
        .collect();
    RgbImage::from_raw(w as u32, h as u32, bytes).expect("buffer size matches dimensions")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srgb_round_trip() {
        for v in 0..=255u8 {
            let back = (linear_to_srgb(srgb_to_linear(v)) * 255.0).round() as u8;
            assert_eq!(back, v);
        }
        assert!((linear_to_srgb(0.5) - 0.735_356_6).abs() < 1e-6);
    }

    #[test]
    fn blur_preserves_mean_and_constants() {
        let img = FloatImage {
            width: 5,
            height: 4,
            data: vec![0.25; 60],
        };
        let b = img.gaussian_blur(1.3);
        assert!(b.data.iter().all(|&v| (v - 0.25).abs() < 1e-6));
    }

    #[test]
    fn lighting_gradient_and_vignette() {
        let l = Lighting {
            gradient: (0.6, 0.0),
            vignette: 0.3,
            ..Lighting::neutral()
        };
        assert!((l.illumination(0.0, 50.0, 100, 100) - 0.7 * 0.85).abs() < 1e-12);
        assert!((l.illumination(100.0, 50.0, 100, 100) - 1.3 * 0.85).abs() < 1e-12);
        assert!((l.illumination(0.0, 0.0, 100, 100) - 0.7 * 0.7).abs() < 1e-12);
        assert!((l.illumination(50.0, 50.0, 100, 100) - 1.0).abs() < 1e-12);
    }
}

//! Skin: base colour plus position-locked mottling, pores and fine texture.

use serde::{Deserialize, Serialize};

use super::optics::srgb_to_linear;
use super::rng::{fbm, hash2, mix64, unit_f64, value_noise};

/// Lattice spacing of the fine skin texture, mm.
pub const TEXTURE_SCALE_MM: f64 = 0.08;

/// Number of octaves of the mottling noise.
const MOTTLING_OCTAVES: u32 = 3;

/// Smallest pore radius drawn, px: smaller pores are widened to this and
/// weakened to keep their integrated darkening (anti-aliasing).
const PORE_MIN_RADIUS_PX: f64 = 0.7;

/// Pore strengths vary uniformly in `[PORE_STRENGTH_MIN, 1] × pore_darkness`.
const PORE_STRENGTH_MIN: f64 = 0.5;

/// Domain-separation salts so each noise field is independent for one seed.
const SALT_MOTTLING: u64 = 0x6D6F_7474_6C65_0001;
const SALT_TEXTURE: u64 = 0x7465_7874_7572_0002;
const SALT_PORES: u64 = 0x706F_7265_7300_0003;

/// Skin appearance. All variation is a grey (channel-independent)
/// multiplier of the base colour and a deterministic function of the scalp
/// position (mm) and the scene seed, so a reframed photo shows the same skin
/// and a pigment's luminance darkness does not depend on where it sits.
///
/// Reflectance at a point: `base_lin · (1 + mottling·m) · (1 + texture·t) · (1 − pore)`,
/// with `m`, `t` ∈ [−1, 1] value noise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Skin {
    /// Base colour, 8-bit sRGB (as it appears under neutral lighting with exposure 1).
    pub srgb: [u8; 3],
    /// Relative amplitude of large-scale mottling (e.g. 0.06 = ±6 %).
    pub mottling: f64,
    /// Lattice spacing of the coarsest mottling octave, mm (≈3–10).
    pub mottling_scale_mm: f64,
    /// Pore (follicle opening) density, pores per mm².
    pub pores_per_mm2: f64,
    /// Relative darkening at a pore's centre (≈0.03–0.1).
    pub pore_darkness: f64,
    /// Pore diameter (full width at about half darkening), mm (≈0.04–0.1).
    pub pore_diameter_mm: f64,
    /// Relative amplitude of fine texture noise at [`TEXTURE_SCALE_MM`] (≈0.02).
    pub texture: f64,
}

impl Skin {
    /// Preset for Fitzpatrick skin type `type_` 1..=6 (I very light ≈ sRGB
    /// (236,200,178) … VI very dark ≈ (70,48,38)); values outside are clamped.
    pub fn fitzpatrick(type_: u8) -> Skin {
        let t = type_.clamp(1, 6);
        let srgb = match t {
            1 => [236, 200, 178],
            2 => [224, 182, 155],
            3 => [200, 154, 122],
            4 => [164, 116, 86],
            5 => [116, 80, 58],
            _ => [70, 48, 38],
        };
        Skin {
            srgb,
            mottling: if t <= 3 { 0.06 } else { 0.05 },
            mottling_scale_mm: 6.0,
            pores_per_mm2: 1.5,
            pore_darkness: if t <= 3 { 0.07 } else { 0.05 },
            pore_diameter_mm: 0.07,
            texture: 0.02,
        }
    }

    /// Perfectly uniform skin of one colour (no mottling, pores or texture).
    pub fn flat(srgb: [u8; 3]) -> Skin {
        Skin {
            srgb,
            mottling: 0.0,
            mottling_scale_mm: 6.0,
            pores_per_mm2: 0.0,
            pore_darkness: 0.0,
            pore_diameter_mm: 0.07,
            texture: 0.0,
        }
    }

    /// Base colour in linear light, 0..1 per channel.
    pub fn base_linear(&self) -> [f64; 3] {
        self.srgb.map(srgb_to_linear)
    }

    /// Grey reflectance multiplier (≈1) at scalp point `p_mm`, for a photo
    /// scale of `px_per_mm` (which only sets the anti-aliasing of features
    /// smaller than a pixel).
    pub fn multiplier(&self, seed: u64, p_mm: (f64, f64), px_per_mm: f64) -> f64 {
        let mut m = 1.0;
        if self.mottling != 0.0 && self.mottling_scale_mm > 0.0 {
            let s = self.mottling_scale_mm;
            m *= 1.0
                + self.mottling
                    * fbm(
                        mix64(seed ^ SALT_MOTTLING),
                        p_mm.0 / s,
                        p_mm.1 / s,
                        MOTTLING_OCTAVES,
                    );
        }
        if self.texture != 0.0 {
            // Texture finer than ~1.5 px averages out within a pixel.
            let atten = (TEXTURE_SCALE_MM * px_per_mm / 1.5).min(1.0);
            m *= 1.0
                + self.texture
                    * atten
                    * value_noise(
                        mix64(seed ^ SALT_TEXTURE),
                        p_mm.0 / TEXTURE_SCALE_MM,
                        p_mm.1 / TEXTURE_SCALE_MM,
                    );
        }
        if self.pores_per_mm2 > 0.0 && self.pore_darkness != 0.0 && self.pore_diameter_mm > 0.0 {
            m *= 1.0 - self.pore_darkening(seed, p_mm, px_per_mm);
        }
        m
    }

    /// Relative darkening by pores at `p_mm`: one pore per cell of a square
    /// lattice with cell area `1 / pores_per_mm2`, jittered within its cell;
    /// each pore is a `(1 − d²/R²)²` bump of radius `R = pore_diameter_mm`.
    fn pore_darkening(&self, seed: u64, p_mm: (f64, f64), px_per_mm: f64) -> f64 {
        let cell = 1.0 / self.pores_per_mm2.sqrt();
        let mut radius = self.pore_diameter_mm;
        let mut strength = self.pore_darkness;
        let min_r = PORE_MIN_RADIUS_PX / px_per_mm;
        if radius < min_r {
            strength *= (radius / min_r).powi(2);
            radius = min_r;
        }
        let reach = (radius / cell).ceil() as i64;
        let gx = (p_mm.0 / cell).floor() as i64;
        let gy = (p_mm.1 / cell).floor() as i64;
        let salt = mix64(seed ^ SALT_PORES);
        let inv_r2 = 1.0 / (radius * radius);
        let mut transmit = 1.0;
        for j in gy - reach..=gy + reach {
            for i in gx - reach..=gx + reach {
                let h = hash2(salt, i, j);
                let jx = unit_f64(h);
                let jy = unit_f64(mix64(h));
                let dx = p_mm.0 - (i as f64 + jx) * cell;
                let dy = p_mm.1 - (j as f64 + jy) * cell;
                let q = (dx * dx + dy * dy) * inv_r2;
                if q < 1.0 {
                    let k = PORE_STRENGTH_MIN + (1.0 - PORE_STRENGTH_MIN) * unit_f64(mix64(h ^ 1));
                    let bump = (1.0 - q) * (1.0 - q);
                    transmit *= 1.0 - strength * k * bump;
                }
            }
        }
        1.0 - transmit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_get_darker() {
        let y = |s: Skin| {
            let l = s.base_linear();
            0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2]
        };
        for t in 1..6 {
            assert!(y(Skin::fitzpatrick(t)) > y(Skin::fitzpatrick(t + 1)));
        }
        assert_eq!(Skin::fitzpatrick(1).srgb, [236, 200, 178]);
        assert_eq!(Skin::fitzpatrick(6).srgb, [70, 48, 38]);
    }

    #[test]
    fn multiplier_is_position_locked_and_bounded() {
        let s = Skin::fitzpatrick(3);
        let mut min: f64 = 2.0;
        let mut max: f64 = 0.0;
        for k in 0..4000 {
            let p = (k as f64 * 0.013, (k % 97) as f64 * 0.11);
            let m = s.multiplier(9, p, 20.0);
            assert_eq!(m, s.multiplier(9, p, 20.0));
            min = min.min(m);
            max = max.max(m);
        }
        assert!(min > 0.8 && max < 1.1, "{min} {max}");
        assert!(max - min > 0.02);
        assert_eq!(Skin::flat([1, 2, 3]).multiplier(1, (0.3, 0.4), 20.0), 1.0);
    }
}

//! Scars: bands of healed tissue whose colour differs from the skin's.
//!
//! The commonest scar SMP covers is the linear scar a strip harvest (FUT) leaves across the back
//! of the head: a band 1–10 mm wide of paler, smoother tissue without follicles. On dark skin
//! it is much lighter than the skin around it (less melanin; 2–5× in linear light), on light skin
//! a little lighter and pinker or whiter. Pigment lies in the dermis under it as elsewhere, so
//! a dot's darkness against the scar's own tissue is the dot's darkness.

use serde::{Deserialize, Serialize};

use super::dots::LUMA;
use super::hair::dist_to_segment;
use super::optics::{linear_to_srgb, srgb_to_linear};
use super::rng::smootherstep;

/// A healed scar along a segment of the scalp (mm): its tissue replaces the skin's base colour
/// within `width_mm / 2` of the segment, fading into the skin over `edge_mm` beyond; its
/// mottling, texture and pores are half the skin's in amplitude (scar tissue is smoother and
/// has few follicles).
///
/// Base colour at a point: `skin · (1 − w) + scar · w`, `w` = 1 inside the band, a smooth
/// (quintic) step to 0 across the edge.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scar {
    /// One end of the scar's centre line, scalp mm.
    pub from_mm: (f64, f64),
    /// The other end, scalp mm.
    pub to_mm: (f64, f64),
    /// Width of the band of full scar tissue, mm.
    pub width_mm: f64,
    /// Width of the soft transition into the skin on each side, mm.
    pub edge_mm: f64,
    /// The scar tissue's colour, 8-bit sRGB (under neutral lighting with exposure 1, as
    /// [`super::Skin::srgb`]).
    pub srgb: [u8; 3],
}

impl Scar {
    /// How much of the scar's tissue makes up the skin at scalp point `p_mm`: 1 inside its band,
    /// 0 beyond its edge.
    pub fn weight(&self, p_mm: (f64, f64)) -> f64 {
        let d = dist_to_segment(p_mm, self.from_mm, self.to_mm) - self.width_mm.max(0.0) / 2.0;
        if d <= 0.0 {
            1.0
        } else if self.edge_mm > 0.0 {
            1.0 - smootherstep(d / self.edge_mm)
        } else {
            0.0
        }
    }

    /// The scar tissue's colour in linear light, 0..1 per channel.
    pub fn linear(&self) -> [f64; 3] {
        self.srgb.map(srgb_to_linear)
    }

    /// The colour (8-bit sRGB) of tissue `ratio` times as light as `skin` in linear luminance
    /// (Rec. 709 Y), its channels' differences from Y (its colour) scaled by `saturation` (1
    /// keeps the skin's chroma in proportion, 0 is grey): a hypopigmented scar on that skin.
    /// Channels are clamped to 0..1 of linear light (`linear_to_srgb` clamps).
    pub fn tissue_srgb(skin: [u8; 3], ratio: f64, saturation: f64) -> [u8; 3] {
        let lin = skin.map(srgb_to_linear).map(|c| c * ratio);
        let y: f64 = LUMA.iter().zip(lin).map(|(k, c)| k * c).sum();
        lin.map(|c| (linear_to_srgb(y + (c - y) * saturation) * 255.0).round() as u8)
    }
}

/// The base colour (linear, before the white balance) and the weight of the variation
/// multiplier `M(q)` at scalp point `q`: the skin's where no scar reaches, blended into the
/// scars' tissue where they do (a later scar over an earlier one).
pub(crate) fn base_at(
    skin_lin: [f64; 3],
    scars: &[(Scar, [f64; 3])],
    q: (f64, f64),
) -> ([f64; 3], f64) {
    let mut base = skin_lin;
    let mut texture = 1.0;
    for (scar, lin) in scars {
        let w = scar.weight(q);
        if w > 0.0 {
            for c in 0..3 {
                base[c] = base[c] * (1.0 - w) + lin[c] * w;
            }
            texture *= 1.0 - w / 2.0;
        }
    }
    (base, texture)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scar() -> Scar {
        Scar {
            from_mm: (0.0, 5.0),
            to_mm: (10.0, 5.0),
            width_mm: 2.0,
            edge_mm: 1.0,
            srgb: [200, 150, 140],
        }
    }

    #[test]
    fn weight_is_one_in_the_band_and_fades_over_the_edge() {
        let s = scar();
        assert_eq!(s.weight((5.0, 5.0)), 1.0);
        assert_eq!(s.weight((5.0, 6.0)), 1.0);
        assert!((s.weight((5.0, 6.5)) - 0.5).abs() < 1e-12);
        assert_eq!(s.weight((5.0, 7.0)), 0.0);
        // Round ends: beyond the segment's end the same distances hold.
        assert!((s.weight((11.5, 5.0)) - 0.5).abs() < 1e-12);
        let crisp = Scar { edge_mm: 0.0, ..s };
        assert_eq!(crisp.weight((5.0, 6.01)), 0.0);
    }

    #[test]
    fn tissue_is_lighter_by_the_ratio_and_paler_by_the_saturation() {
        let skin = [70, 48, 38];
        let y = |c: [u8; 3]| {
            let l = c.map(srgb_to_linear);
            LUMA.iter().zip(l).map(|(k, v)| k * v).sum::<f64>()
        };
        let same = Scar::tissue_srgb(skin, 1.0, 1.0);
        assert_eq!(same, skin);
        let light = Scar::tissue_srgb(skin, 3.0, 1.0);
        assert!((y(light) / y(skin) - 3.0).abs() < 0.05, "{light:?}");
        let grey = Scar::tissue_srgb(skin, 3.0, 0.0);
        assert!(grey[0] == grey[1] && grey[1] == grey[2], "{grey:?}");
        assert!((y(grey) / y(skin) - 3.0).abs() < 0.05, "{grey:?}");
    }

    #[test]
    fn base_blends_the_tissue_and_calms_the_texture() {
        let skin = [0.2, 0.1, 0.05];
        let s = scar();
        let scars = [(s, s.linear())];
        assert_eq!(base_at(skin, &scars, (5.0, 9.0)), (skin, 1.0));
        let (inside, texture) = base_at(skin, &scars, (5.0, 5.0));
        assert_eq!(inside, s.linear());
        assert_eq!(texture, 0.5);
    }
}

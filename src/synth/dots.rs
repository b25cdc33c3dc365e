//! Pigment dots: geometry, alpha profile and colour, and how a prepared dot is drawn (their
//! placement and fading: `placement`).

use serde::{Deserialize, Serialize};
use std::f64::consts::{PI, TAU};

use super::camera::Camera;
use super::rng::smootherstep;

/// Rec. 709 / sRGB luminance weights for linear-light R, G, B.
pub const LUMA: [f64; 3] = [0.2126, 0.7152, 0.0722];

/// Largest relative deviation of an outline from its ellipse: the sum of the
/// absolute irregularity coefficients is clamped to this (±15 %), which keeps
/// every outline star-convex about its centre.
pub const IRREGULARITY_MAX: f64 = 0.15;

/// Smallest usable softness (edge half-width as a fraction of the radius).
pub const SOFTNESS_MIN: f64 = 0.02;

/// Largest usable softness; below 1 so that every dot keeps a core of alpha 1.
pub const SOFTNESS_MAX: f64 = 0.95;

/// Largest supported ellipse aspect ratio (major / minor axis).
pub const ASPECT_MAX: f64 = 3.0;

/// Extra absorption per unit tint for R, G, B (relative to a neutral
/// pigment): a tinted pigment absorbs more red and green than blue, so it
/// looks blue-grey. The overall scale is solved per dot so that the luminance
/// darkness is unchanged.
pub const TINT_ABSORPTION: [f64; 3] = [0.25, 0.10, -0.55];

/// Edge transitions narrower than this many px are area-sampled (4×4
/// sub-samples per pixel) instead of point-sampled at the pixel centre.
const SUPERSAMPLE_EDGE_PX: f64 = 3.0;

/// Sub-samples per axis for area-sampled edge pixels.
const SUPERSAMPLE_N: usize = 4;

/// One pigment deposit on the scalp.
///
/// Its outline (the `alpha = 0.5` contour) in polar coordinates about the
/// centre, in the dot's own frame (major axis along `angle_rad`), is
/// `ρ(φ) = e(φ) · (1 + h(φ))` where `e` is an ellipse with semi-axes
/// `R·√aspect` and `R/√aspect` (`R = diameter_mm / 2`, so the ellipse has the
/// area of the circle of diameter `diameter_mm`) and
/// `h(φ) = i₀cos3φ + i₁sin3φ + i₂cos4φ + i₃sin4φ`, clamped to ±[`IRREGULARITY_MAX`].
///
/// Alpha at a point with normalised radius `s = ρ_point / ρ(φ)` is
/// `1 − smootherstep((s − (1 − w)) / 2w)` with `w = softness`: exactly 1 for
/// `s ≤ 1 − w`, exactly 0.5 at the outline `s = 1`, exactly 0 for `s ≥ 1 + w`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Dot {
    /// Centre x on the scalp, mm.
    pub x_mm: f64,
    /// Centre y on the scalp, mm.
    pub y_mm: f64,
    /// Equivalent diameter of the underlying ellipse, mm (outline area before
    /// irregularity = π·(diameter_mm/2)²).
    pub diameter_mm: f64,
    /// Ellipse major/minor axis ratio, ≥ 1 (clamped to [`ASPECT_MAX`]).
    pub aspect: f64,
    /// Direction of the major axis on the scalp, radians from +x towards +y.
    pub angle_rad: f64,
    /// Luminance darkness at the core, 0..1: `1 − Y(skin·T)/Y(skin)` where
    /// alpha = 1 (linear light, Rec. 709 luminance).
    pub darkness: f64,
    /// Edge half-width as a fraction of the outline radius (dimensionless):
    /// ≈0.15 crisp fresh dot, 0.5–0.8 blown out with a halo. Clamped to
    /// [`SOFTNESS_MIN`]..[`SOFTNESS_MAX`].
    pub softness: f64,
    /// Relative outline harmonics `[cos 3φ, sin 3φ, cos 4φ, sin 4φ]`
    /// (dimensionless; keep Σ|iₖ| ≤ [`IRREGULARITY_MAX`]).
    pub irregularity: [f64; 4],
    /// Pigment blueness 0..1 (0 = neutral grey-black).
    pub tint: f64,
}

impl Dot {
    /// A round, neutral, crisp dot (`aspect` 1, `softness` 0.15, no
    /// irregularity, no tint). Position and diameter in mm, darkness 0..1.
    pub fn round(x_mm: f64, y_mm: f64, diameter_mm: f64, darkness: f64) -> Self {
        Self {
            x_mm,
            y_mm,
            diameter_mm,
            aspect: 1.0,
            angle_rad: 0.0,
            darkness,
            softness: 0.15,
            irregularity: [0.0; 4],
            tint: 0.0,
        }
    }

    fn aspect_clamped(&self) -> f64 {
        if self.aspect.is_finite() {
            self.aspect.clamp(1.0, ASPECT_MAX)
        } else {
            1.0
        }
    }

    /// Softness clamped to the supported range (dimensionless).
    pub fn softness_clamped(&self) -> f64 {
        if self.softness.is_finite() {
            self.softness.clamp(SOFTNESS_MIN, SOFTNESS_MAX)
        } else {
            SOFTNESS_MIN
        }
    }

    /// Semi-axes `(major, minor)` of the underlying ellipse, mm.
    pub fn semi_axes_mm(&self) -> (f64, f64) {
        let r = self.diameter_mm.max(0.0) / 2.0;
        let q = self.aspect_clamped().sqrt();
        (r * q, r / q)
    }

    /// Sum of absolute irregularity coefficients, clamped to [`IRREGULARITY_MAX`].
    fn irregularity_bound(&self) -> f64 {
        self.irregularity
            .iter()
            .map(|c| c.abs())
            .sum::<f64>()
            .min(IRREGULARITY_MAX)
    }

    /// Relative outline modulation `h(φ)` given `cos φ`, `sin φ` in the dot frame.
    #[inline]
    fn harmonic(&self, c: f64, s: f64) -> f64 {
        let c2 = c * c - s * s;
        let s2 = 2.0 * c * s;
        let c3 = c2 * c - s2 * s;
        let s3 = s2 * c + c2 * s;
        let c4 = c2 * c2 - s2 * s2;
        let s4 = 2.0 * s2 * c2;
        let i = &self.irregularity;
        (i[0] * c3 + i[1] * s3 + i[2] * c4 + i[3] * s4).clamp(-IRREGULARITY_MAX, IRREGULARITY_MAX)
    }

    /// Outline radius (alpha = 0.5) in mm at angle `phi` (radians, in the
    /// dot's own frame, 0 = major axis).
    pub fn outline_radius_mm(&self, phi: f64) -> f64 {
        let (a, b) = self.semi_axes_mm();
        let (s, c) = phi.sin_cos();
        if a <= 0.0 {
            return 0.0;
        }
        let e = 1.0 / ((c / a).powi(2) + (s / b).powi(2)).sqrt();
        e * (1.0 + self.harmonic(c, s))
    }

    /// Upper bound of the outline radius over all directions, mm (used by the
    /// no-stacking rule).
    pub fn max_outline_radius_mm(&self) -> f64 {
        self.semi_axes_mm().0 * (1.0 + self.irregularity_bound())
    }

    /// Lower bound of the outline radius over all directions, mm.
    pub fn min_outline_radius_mm(&self) -> f64 {
        self.semi_axes_mm().1 * (1.0 - self.irregularity_bound())
    }

    /// Area enclosed by the alpha = 0.5 outline, mm² (numerical integral of
    /// `½∮ρ(φ)²dφ`, exact to ~1e-12 for these smooth periodic outlines).
    pub fn outline_area_mm2(&self) -> f64 {
        // Trapezoid rule on a smooth periodic integrand: converges
        // geometrically, 256 steps are exact to rounding for aspect ≤ 3.
        const N: usize = 256;
        let sum: f64 = (0..N)
            .map(|k| {
                let phi = (k as f64 + 0.5) * TAU / N as f64;
                self.outline_radius_mm(phi).powi(2)
            })
            .sum();
        0.5 * sum * TAU / N as f64
    }

    /// Diameter of the circle with the same area as the outline, mm.
    pub fn equivalent_diameter_mm(&self) -> f64 {
        2.0 * (self.outline_area_mm2() / PI).sqrt()
    }

    /// Normalised radius `s` (1 on the outline) of a point given relative to
    /// the dot centre in the dot's own frame, mm.
    #[inline]
    fn normalised_radius(&self, u: f64, v: f64, inv_a2: f64, inv_b2: f64) -> f64 {
        let r2 = u * u + v * v;
        if r2 <= 0.0 {
            return 0.0;
        }
        let r = r2.sqrt();
        let e = (u * u * inv_a2 + v * v * inv_b2).sqrt();
        e / (1.0 + self.harmonic(u / r, v / r))
    }

    /// Pigment alpha (0..1) at a scalp point, mm.
    pub fn alpha_at_mm(&self, p_mm: (f64, f64)) -> f64 {
        let (a, b) = self.semi_axes_mm();
        if a <= 0.0 {
            return 0.0;
        }
        let (sa, ca) = self.angle_rad.sin_cos();
        let dx = p_mm.0 - self.x_mm;
        let dy = p_mm.1 - self.y_mm;
        let u = ca * dx + sa * dy;
        let v = -sa * dx + ca * dy;
        let s = self.normalised_radius(u, v, 1.0 / (a * a), 1.0 / (b * b));
        alpha_profile(s, self.softness_clamped())
    }

    /// Per-channel absorption `d_c` (linear light) such that the transmittance
    /// is `T_c = 1 − d_c·alpha` and the core's luminance darkness against
    /// `skin_lin` (linear RGB, as lit) is exactly [`Dot::darkness`].
    ///
    /// The tint tilts absorption by [`TINT_ABSORPTION`]; if that would need
    /// more than total absorption in a channel, the tint is reduced (bisection)
    /// until it fits, keeping the luminance darkness exact.
    pub fn channel_absorption(&self, skin_lin: [f64; 3]) -> [f64; 3] {
        let d = if self.darkness.is_finite() {
            self.darkness.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let tint = if self.tint.is_finite() {
            self.tint.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let y_skin: f64 = (0..3).map(|c| LUMA[c] * skin_lin[c]).sum();
        if y_skin <= 0.0 || tint == 0.0 || d == 0.0 {
            return [d; 3];
        }
        let solve = |t: f64| -> [f64; 3] {
            let w = [0, 1, 2].map(|c| 1.0 + t * TINT_ABSORPTION[c]);
            let yw: f64 = (0..3).map(|c| LUMA[c] * skin_lin[c] * w[c]).sum();
            let k = d * y_skin / yw;
            w.map(|wc| k * wc)
        };
        let fits = |a: &[f64; 3]| a.iter().all(|&x| x <= 1.0);
        let full = solve(tint);
        if fits(&full) {
            return full;
        }
        let (mut lo, mut hi) = (0.0, tint);
        for _ in 0..50 {
            let mid = 0.5 * (lo + hi);
            if fits(&solve(mid)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        solve(lo)
    }
}

/// Alpha as a function of the normalised radius `s` (1 = outline) and the
/// edge half-width `w` (softness): 1 inside `1 − w`, 0.5 at 1, 0 beyond `1 + w`.
#[inline]
pub(crate) fn alpha_profile(s: f64, w: f64) -> f64 {
    if s <= 1.0 - w {
        1.0
    } else if s >= 1.0 + w {
        0.0
    } else {
        // Written so that s = 1 gives t = 0.5 (and alpha 0.5) exactly.
        1.0 - smootherstep((s - 1.0) / (2.0 * w) + 0.5)
    }
}

/// A dot prepared for rasterising through one camera.
pub(crate) struct PreparedDot {
    dot: Dot,
    /// Centre, continuous px.
    cx: f64,
    cy: f64,
    /// Linear map from a px offset to dot-frame mm `(u, v)`: `[m00, m01, m10, m11]`.
    m: [f64; 4],
    inv_a2: f64,
    inv_b2: f64,
    w: f64,
    /// Pixel bounding box, clipped to the image: `[x0, x1) × [y0, y1)`.
    pub x0: u32,
    pub x1: u32,
    pub y0: u32,
    pub y1: u32,
    /// Range of centre `s` where a pixel's footprint may straddle the edge
    /// transition and must be area-sampled (`None`: point-sample everything).
    ss_band: Option<(f64, f64)>,
}

impl PreparedDot {
    /// Prepares `dot` for `camera`; `None` if it has no area or lies entirely
    /// outside the image.
    pub(crate) fn new(dot: &Dot, camera: &Camera) -> Option<Self> {
        let (a, b) = dot.semi_axes_mm();
        if a <= 0.0 || !a.is_finite() || !dot.x_mm.is_finite() || !dot.y_mm.is_finite() {
            return None;
        }
        let w = dot.softness_clamped();
        let ppm = camera.px_per_mm;
        let (cx, cy) = camera.to_px((dot.x_mm, dot.y_mm));
        // px offset → scalp mm offset: rotate by −camera rotation, / ppm;
        // then scalp → dot frame: rotate by −angle. Combined rotation −(θc + angle).
        let total = camera.rotation_deg.to_radians() + dot.angle_rad;
        let (st, ct) = total.sin_cos();
        let m = [ct / ppm, st / ppm, -st / ppm, ct / ppm];
        let extent = dot.max_outline_radius_mm() * (1.0 + w) * ppm + 1.0;
        let clip = |lo: f64, hi: f64, n: u32| -> (u32, u32) {
            let l = lo.floor().max(0.0).min(f64::from(n));
            let h = hi.ceil().max(0.0).min(f64::from(n));
            (l as u32, h as u32)
        };
        let (x0, x1) = clip(cx - extent, cx + extent, camera.width);
        let (y0, y1) = clip(cy - extent, cy + extent, camera.height);
        if x0 >= x1 || y0 >= y1 {
            return None;
        }
        let r_min_px = dot.min_outline_radius_mm() * ppm;
        let ss_band = if 2.0 * w * r_min_px < SUPERSAMPLE_EDGE_PX {
            let delta = 1.5 / r_min_px.max(1e-6);
            Some((1.0 - w - delta, 1.0 + w + delta))
        } else {
            None
        };
        Some(Self {
            dot: *dot,
            cx,
            cy,
            m,
            inv_a2: 1.0 / (a * a),
            inv_b2: 1.0 / (b * b),
            w,
            x0,
            x1,
            y0,
            y1,
            ss_band,
        })
    }

    /// Normalised radius at continuous px coordinates.
    #[inline]
    fn s_at(&self, px: f64, py: f64) -> f64 {
        let dx = px - self.cx;
        let dy = py - self.cy;
        let u = self.m[0] * dx + self.m[1] * dy;
        let v = self.m[2] * dx + self.m[3] * dy;
        self.dot.normalised_radius(u, v, self.inv_a2, self.inv_b2)
    }

    /// Alpha point-sampled at the centre of pixel `(i, j)` (used by the truth).
    #[inline]
    pub(crate) fn alpha_center(&self, i: u32, j: u32) -> f64 {
        alpha_profile(self.s_at(f64::from(i) + 0.5, f64::from(j) + 0.5), self.w)
    }

    /// Alpha averaged over the area of pixel `(i, j)` (used by the renderer):
    /// area-sampled near crisp edges, point-sampled elsewhere.
    #[inline]
    pub(crate) fn alpha_pixel(&self, i: u32, j: u32) -> f64 {
        let px = f64::from(i) + 0.5;
        let py = f64::from(j) + 0.5;
        let s = self.s_at(px, py);
        match self.ss_band {
            Some((lo, hi)) if s > lo && s < hi => {
                let step = 1.0 / SUPERSAMPLE_N as f64;
                let mut sum = 0.0;
                for sy in 0..SUPERSAMPLE_N {
                    let oy = (sy as f64 + 0.5) * step - 0.5;
                    for sx in 0..SUPERSAMPLE_N {
                        let ox = (sx as f64 + 0.5) * step - 0.5;
                        sum += alpha_profile(self.s_at(px + ox, py + oy), self.w);
                    }
                }
                sum * step * step
            }
            _ => alpha_profile(s, self.w),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_is_half_on_outline() {
        for &w in &[0.05, 0.15, 0.5, 0.8] {
            assert_eq!(alpha_profile(1.0, w), 0.5);
            assert_eq!(alpha_profile(0.0, w), 1.0);
            assert_eq!(alpha_profile(1.0 + w, w), 0.0);
            assert!(alpha_profile(0.99, w) > 0.5 && alpha_profile(1.01, w) < 0.5);
        }
        let d = Dot {
            irregularity: [0.05, -0.03, 0.04, 0.02],
            aspect: 1.3,
            angle_rad: 0.7,
            ..Dot::round(1.0, 2.0, 0.4, 0.6)
        };
        for k in 0..36 {
            let phi = k as f64 * TAU / 36.0;
            let r = d.outline_radius_mm(phi);
            let theta = phi + d.angle_rad;
            let p = (1.0 + r * theta.cos(), 2.0 + r * theta.sin());
            assert!((d.alpha_at_mm(p) - 0.5).abs() < 1e-9);
        }
    }

    #[test]
    fn equivalent_diameter_of_ellipse() {
        let d = Dot {
            aspect: 1.8,
            ..Dot::round(0.0, 0.0, 0.5, 0.6)
        };
        assert!((d.equivalent_diameter_mm() - 0.5).abs() < 1e-9);
        let d3 = Dot {
            aspect: ASPECT_MAX,
            ..d
        };
        assert!((d3.equivalent_diameter_mm() - 0.5).abs() < 1e-12);
        // With harmonics the area grows by ½Σiₖ² (to first order).
        let irr = [0.05, -0.03, 0.04, 0.02];
        let di = Dot {
            irregularity: irr,
            ..Dot::round(0.0, 0.0, 0.5, 0.6)
        };
        let gain: f64 = 1.0 + 0.5 * irr.iter().map(|c| c * c).sum::<f64>();
        assert!((di.outline_area_mm2() / (PI * 0.0625) - gain).abs() < 1e-9);
    }

    #[test]
    fn tinted_absorption_keeps_luminance_darkness() {
        let skin = [0.55, 0.33, 0.21];
        for &(dark, tint) in &[(0.6, 0.5), (0.95, 1.0), (0.3, 0.0), (1.0, 0.8)] {
            let d = Dot {
                tint,
                ..Dot::round(0.0, 0.0, 0.4, dark)
            };
            let a = d.channel_absorption(skin);
            let y = |v: [f64; 3]| (0..3).map(|c| LUMA[c] * v[c]).sum::<f64>();
            let core = [0, 1, 2].map(|c| skin[c] * (1.0 - a[c]));
            assert!((1.0 - y(core) / y(skin) - dark).abs() < 1e-9);
            assert!(a.iter().all(|&x| (0.0..=1.0).contains(&x)));
            if tint > 0.0 && dark < 0.9 {
                assert!(a[2] < a[0] && a[2] < a[1], "blue absorbs least: {a:?}");
            }
        }
    }
}

//! Hairs and stubble: thin dark curved strokes that are not pigment.

use serde::{Deserialize, Serialize};
use std::f64::consts::TAU;

use super::camera::Camera;
use super::rng::SplitMix64;

/// Width range of long hairs, mm.
pub const HAIR_WIDTH_MM: (f64, f64) = (0.04, 0.09);
/// Length range of long hairs, mm.
pub const HAIR_LENGTH_MM: (f64, f64) = (4.0, 20.0);
/// Darkness range of long hairs (luminance darkness at full coverage, 0..1).
pub const HAIR_DARKNESS: (f64, f64) = (0.5, 0.85);
/// Width range of stubble, mm.
pub const STUBBLE_WIDTH_MM: (f64, f64) = (0.08, 0.14);
/// Length range of stubble, mm.
pub const STUBBLE_LENGTH_MM: (f64, f64) = (0.6, 2.5);
/// Darkness range of stubble (0..1).
pub const STUBBLE_DARKNESS: (f64, f64) = (0.45, 0.8);

/// Largest sideways bend of a long hair's control point, as a fraction of its length.
const HAIR_BEND: f64 = 0.25;
/// Largest sideways bend of stubble, as a fraction of its length.
const STUBBLE_BEND: f64 = 0.1;
/// Spread (σ, radians) of hair directions around the scene's growth direction.
const HAIR_DIRECTION_SIGMA: f64 = 0.35;
/// Spread (σ, radians) of stubble directions around the growth direction.
const STUBBLE_DIRECTION_SIGMA: f64 = 0.5;
/// Target length of one flattening segment, px.
const SEGMENT_PX: f64 = 4.0;
/// Maximum number of flattening segments per hair.
const MAX_SEGMENTS: usize = 256;

/// A hair or stubble shaft lying on the scalp: a quadratic Bézier centre line
/// with a constant width and round ends, composited multiplicatively like
/// pigment (`T = 1 − darkness · coverage`, neutral in colour). Hairs never
/// count in the truth.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Hair {
    /// Start, control and end points of the centre line, scalp mm.
    pub points_mm: [(f64, f64); 3],
    /// Shaft width, mm.
    pub width_mm: f64,
    /// Darkness where the shaft fully covers a pixel, 0..1.
    pub darkness: f64,
}

impl Hair {
    /// Point on the centre line at parameter `t` ∈ [0, 1], mm.
    pub fn point_at(&self, t: f64) -> (f64, f64) {
        let [p0, p1, p2] = self.points_mm;
        let u = 1.0 - t;
        (
            u * u * p0.0 + 2.0 * u * t * p1.0 + t * t * p2.0,
            u * u * p0.1 + 2.0 * u * t * p1.1 + t * t * p2.1,
        )
    }

    /// Arc length of the centre line, mm (64-segment polyline estimate).
    pub fn length_mm(&self) -> f64 {
        let mut prev = self.point_at(0.0);
        let mut len = 0.0;
        for k in 1..=64 {
            let p = self.point_at(f64::from(k) / 64.0);
            len += (p.0 - prev.0).hypot(p.1 - prev.1);
            prev = p;
        }
        len
    }
}

/// One straight piece of a flattened hair, in px.
struct Segment {
    a: (f64, f64),
    b: (f64, f64),
    /// Pixel bounding box `[x0, x1) × [y0, y1)`, clipped to the image.
    x0: u32,
    x1: u32,
    y0: u32,
    y1: u32,
}

/// A hair flattened to a polyline in image px.
pub(crate) struct PreparedHair {
    segments: Vec<Segment>,
    half_width: f64,
    darkness: f64,
    pub x0: u32,
    pub x1: u32,
    pub y0: u32,
    pub y1: u32,
}

/// Fraction of a 1-px-wide box centred at distance `d` (px) from the centre
/// line that a band of half-width `hw` (px) covers.
#[inline]
fn band_coverage(d: f64, hw: f64) -> f64 {
    ((d + 0.5).min(hw) - (d - 0.5).max(-hw)).clamp(0.0, 1.0)
}

/// Distance (in the points' units) from `p` to the segment from `a` to `b`.
#[inline]
pub(crate) fn dist_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (abx, aby) = (b.0 - a.0, b.1 - a.1);
    let (apx, apy) = (p.0 - a.0, p.1 - a.1);
    let len2 = abx * abx + aby * aby;
    let t = if len2 > 0.0 {
        ((apx * abx + apy * aby) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (apx - t * abx).hypot(apy - t * aby)
}

impl PreparedHair {
    pub(crate) fn new(hair: &Hair, camera: &Camera) -> Option<Self> {
        let hw = hair.width_mm.max(0.0) * camera.px_per_mm / 2.0;
        let darkness = hair.darkness.clamp(0.0, 1.0);
        if hw <= 0.0 || darkness <= 0.0 || !hw.is_finite() {
            return None;
        }
        let len_px = hair.length_mm() * camera.px_per_mm;
        let n = ((len_px / SEGMENT_PX).ceil() as usize).clamp(2, MAX_SEGMENTS);
        let pts: Vec<(f64, f64)> = (0..=n)
            .map(|k| camera.to_px(hair.point_at(k as f64 / n as f64)))
            .collect();
        let reach = hw + 1.0;
        let clip = |lo: f64, hi: f64, max: u32| -> (u32, u32) {
            let l = (lo - reach).floor().max(0.0).min(f64::from(max));
            let h = (hi + reach).ceil().max(0.0).min(f64::from(max));
            (l as u32, h as u32)
        };
        let segments: Vec<Segment> = pts
            .windows(2)
            .filter_map(|w| {
                let (a, b) = (w[0], w[1]);
                let (x0, x1) = clip(a.0.min(b.0), a.0.max(b.0), camera.width);
                let (y0, y1) = clip(a.1.min(b.1), a.1.max(b.1), camera.height);
                (x0 < x1 && y0 < y1).then_some(Segment {
                    a,
                    b,
                    x0,
                    x1,
                    y0,
                    y1,
                })
            })
            .collect();
        if segments.is_empty() {
            return None;
        }
        let x0 = segments.iter().map(|s| s.x0).min()?;
        let x1 = segments.iter().map(|s| s.x1).max()?;
        let y0 = segments.iter().map(|s| s.y0).min()?;
        let y1 = segments.iter().map(|s| s.y1).max()?;
        Some(Self {
            segments,
            half_width: hw,
            darkness,
            x0,
            x1,
            y0,
            y1,
        })
    }

    /// Multiplies the hair's transmittance into rows `[row0, row0 + rows)`
    /// of `band` (interleaved RGB, `width` px per row). `scratch` must hold
    /// at least `rows × width` values.
    pub(crate) fn composite(
        &self,
        band: &mut [f32],
        row0: u32,
        rows: u32,
        width: u32,
        scratch: &mut [f32],
    ) {
        let y0 = self.y0.max(row0);
        let y1 = self.y1.min(row0 + rows);
        if y0 >= y1 {
            return;
        }
        let w = width as usize;
        for y in y0..y1 {
            let base = (y - row0) as usize * w;
            scratch[base + self.x0 as usize..base + self.x1 as usize].fill(0.0);
        }
        for s in &self.segments {
            let sy0 = s.y0.max(y0);
            let sy1 = s.y1.min(y1);
            for y in sy0..sy1 {
                let base = (y - row0) as usize * w;
                let py = f64::from(y) + 0.5;
                for x in s.x0..s.x1 {
                    let d = dist_to_segment((f64::from(x) + 0.5, py), s.a, s.b);
                    let cov = band_coverage(d, self.half_width) as f32;
                    let cell = &mut scratch[base + x as usize];
                    if cov > *cell {
                        *cell = cov;
                    }
                }
            }
        }
        let dark = self.darkness as f32;
        for y in y0..y1 {
            let base = (y - row0) as usize * w;
            for x in self.x0..self.x1 {
                let cov = scratch[base + x as usize];
                if cov > 0.0 {
                    let t = 1.0 - dark * cov;
                    let i = (base + x as usize) * 3;
                    band[i] *= t;
                    band[i + 1] *= t;
                    band[i + 2] *= t;
                }
            }
        }
    }
}

/// One shaft starting uniformly in `area_mm`, pointing along `dir` ± `sigma`.
#[allow(clippy::too_many_arguments)]
fn random_shaft(
    area_mm: (f64, f64, f64, f64),
    dir: f64,
    sigma: f64,
    length: (f64, f64),
    width: (f64, f64),
    darkness: (f64, f64),
    bend: f64,
    rng: &mut SplitMix64,
) -> Hair {
    let (x0, y0, x1, y1) = area_mm;
    let start = (rng.uniform(x0, x1), rng.uniform(y0, y1));
    let theta = dir + sigma * rng.normal();
    let len = rng.in_range(length);
    let (s, c) = theta.sin_cos();
    let end = (start.0 + len * c, start.1 + len * s);
    let off = rng.uniform(-bend, bend) * len;
    let ctrl = (
        0.5 * (start.0 + end.0) - off * s,
        0.5 * (start.1 + end.1) + off * c,
    );
    Hair {
        points_mm: [start, ctrl, end],
        width_mm: rng.in_range(width),
        darkness: rng.in_range(darkness),
    }
}

/// Places `n_hairs` long hairs and `n_stubble` stubble shafts whose roots
/// are uniform in `area_mm = (x0, y0, x1, y1)` (mm), all growing roughly in
/// one random direction, with lengths, widths and darkness uniform in
/// [`HAIR_LENGTH_MM`], [`HAIR_WIDTH_MM`], [`HAIR_DARKNESS`] (resp. the
/// `STUBBLE_*` ranges). Long hairs may extend beyond the area.
pub fn place_hairs(
    area_mm: (f64, f64, f64, f64),
    n_hairs: usize,
    n_stubble: usize,
    rng: &mut SplitMix64,
) -> Vec<Hair> {
    let dir = rng.uniform(0.0, TAU);
    let mut out = Vec::with_capacity(n_hairs + n_stubble);
    for _ in 0..n_hairs {
        out.push(random_shaft(
            area_mm,
            dir,
            HAIR_DIRECTION_SIGMA,
            HAIR_LENGTH_MM,
            HAIR_WIDTH_MM,
            HAIR_DARKNESS,
            HAIR_BEND,
            rng,
        ));
    }
    for _ in 0..n_stubble {
        out.push(random_shaft(
            area_mm,
            dir,
            STUBBLE_DIRECTION_SIGMA,
            STUBBLE_LENGTH_MM,
            STUBBLE_WIDTH_MM,
            STUBBLE_DARKNESS,
            STUBBLE_BEND,
            rng,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_of_band() {
        assert_eq!(band_coverage(0.0, 2.0), 1.0);
        assert!((band_coverage(0.0, 0.4) - 0.8).abs() < 1e-12);
        assert!((band_coverage(2.0, 2.0) - 0.5).abs() < 1e-12);
        assert_eq!(band_coverage(3.0, 2.0), 0.0);
    }

    #[test]
    fn placed_hairs_have_their_ranges() {
        let mut rng = SplitMix64::new(3);
        let hairs = place_hairs((0.0, 0.0, 30.0, 30.0), 10, 40, &mut rng);
        assert_eq!(hairs.len(), 50);
        for (k, h) in hairs.iter().enumerate() {
            let (len, width, dark) = if k < 10 {
                (HAIR_LENGTH_MM, HAIR_WIDTH_MM, HAIR_DARKNESS)
            } else {
                (STUBBLE_LENGTH_MM, STUBBLE_WIDTH_MM, STUBBLE_DARKNESS)
            };
            let l = h.length_mm();
            // A bent shaft is a little longer than its chord.
            assert!(l >= len.0 && l <= len.1 * 1.2, "length {l}");
            assert!(h.width_mm >= width.0 && h.width_mm <= width.1);
            assert!(h.darkness >= dark.0 && h.darkness <= dark.1);
        }
    }
}

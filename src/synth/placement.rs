//! Placing pigment dots: the distribution of a session's new dots, dart throwing under the
//! no-stacking rule, and fading between sessions.

use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

use super::dots::{Dot, ASPECT_MAX, IRREGULARITY_MAX, SOFTNESS_MAX, SOFTNESS_MIN};
use super::rng::SplitMix64;

/// No-stacking rule: two dots' centres are at least this factor times the sum
/// of their largest outline radii apart (they may touch, never stack).
pub const NO_STACK_FACTOR: f64 = 0.9;

/// Dart-throwing budget per requested dot in [`place_dots`].
pub const PLACEMENT_ATTEMPTS_PER_DOT: usize = 60;

/// Distribution of new dots for [`place_dots`]. Ranges are `(min, max)` and
/// sampled uniformly.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DotParams {
    /// Target number of new dots per cm² of the placement area.
    pub density_per_cm2: f64,
    /// Equivalent diameter range, mm.
    pub diameter_mm: (f64, f64),
    /// Luminance darkness range, 0..1.
    pub darkness: (f64, f64),
    /// Largest ellipse aspect ratio (≥ 1); aspect is uniform in `[1, aspect_max]`.
    pub aspect_max: f64,
    /// Softness range (edge half-width / radius).
    pub softness: (f64, f64),
    /// Largest total relative outline irregularity (Σ|iₖ|), ≤ [`IRREGULARITY_MAX`].
    pub irregularity: f64,
    /// Tint (pigment blueness) range, 0..1.
    pub tint: (f64, f64),
}

impl DotParams {
    /// Healed result after the full course: 0.25–0.45 mm, darkness 0.5–0.8,
    /// 120 dots/cm².
    pub fn healed() -> Self {
        Self {
            density_per_cm2: 120.0,
            diameter_mm: (0.25, 0.45),
            darkness: (0.5, 0.8),
            aspect_max: 1.25,
            softness: (0.2, 0.35),
            irregularity: 0.10,
            tint: (0.0, 0.3),
        }
    }

    /// Fine healed impressions from a fine needle: 0.16–0.30 mm (radii of
    /// 0.08–0.15 mm), darkness 0.5–0.8, 150 dots/cm². At 15 px/mm they are
    /// 2.4–4.5 px across, the finest the generator renders.
    pub fn fine_healed() -> Self {
        Self {
            density_per_cm2: 150.0,
            diameter_mm: (0.16, 0.30),
            ..Self::healed()
        }
    }

    /// Straight after a session: crisp, dark, neutral, 0.25–0.4 mm,
    /// darkness 0.65–0.9, 130 dots/cm².
    pub fn fresh() -> Self {
        Self {
            density_per_cm2: 130.0,
            diameter_mm: (0.25, 0.4),
            darkness: (0.65, 0.9),
            aspect_max: 1.15,
            softness: (0.1, 0.18),
            irregularity: 0.06,
            tint: (0.0, 0.05),
        }
    }

    /// A healed first session: sparse and light, 0.25–0.4 mm, darkness
    /// 0.3–0.5, 60 dots/cm².
    pub fn first_session() -> Self {
        Self {
            density_per_cm2: 60.0,
            diameter_mm: (0.25, 0.4),
            darkness: (0.3, 0.5),
            aspect_max: 1.2,
            softness: (0.2, 0.35),
            irregularity: 0.10,
            tint: (0.0, 0.2),
        }
    }

    /// Blown-out (migrated) pigment: 0.6–1.2 mm with soft halos, darkness
    /// 0.35–0.65, bluish, 45 dots/cm².
    pub fn blown_out() -> Self {
        Self {
            density_per_cm2: 45.0,
            diameter_mm: (0.6, 1.2),
            darkness: (0.35, 0.65),
            aspect_max: 1.5,
            softness: (0.5, 0.8),
            irregularity: IRREGULARITY_MAX,
            tint: (0.3, 0.7),
        }
    }

    /// Crisp, round, evenly dark dots: 0.3–0.5 mm, darkness 0.8–0.9, 50 dots/cm², softness
    /// 0.1–0.2, the kind the OpenCV peer's generator draws. Placed in touching clusters
    /// ([`super::place_touching_clusters`]), neighbours differ only in size and place.
    pub fn crisp() -> Self {
        Self {
            density_per_cm2: 50.0,
            diameter_mm: (0.3, 0.5),
            darkness: (0.8, 0.9),
            aspect_max: 1.05,
            softness: (0.1, 0.2),
            irregularity: 0.02,
            tint: (0.0, 0.3),
        }
    }

    /// The largest outline radius (mm) a dot drawn from this distribution can have: its
    /// largest equivalent radius, stretched by the largest aspect and irregularity.
    pub(super) fn max_outline_radius_mm(&self) -> f64 {
        self.diameter_mm.0.max(self.diameter_mm.1).max(0.0) / 2.0
            * self.aspect_max.clamp(1.0, ASPECT_MAX).sqrt()
            * (1.0 + self.irregularity.clamp(0.0, IRREGULARITY_MAX))
    }

    /// Draws one dot (everything but the position) from this distribution.
    pub(super) fn sample(&self, rng: &mut SplitMix64) -> Dot {
        let diameter_mm = rng.in_range(self.diameter_mm).max(0.0);
        let darkness = rng.in_range(self.darkness).clamp(0.0, 1.0);
        let aspect = rng.uniform(1.0, self.aspect_max.clamp(1.0, ASPECT_MAX));
        let angle_rad = rng.uniform(0.0, PI);
        let softness = rng
            .in_range(self.softness)
            .clamp(SOFTNESS_MIN, SOFTNESS_MAX);
        let irr = self.irregularity.clamp(0.0, IRREGULARITY_MAX) / 4.0;
        let irregularity = [0; 4].map(|_| rng.uniform(-irr, irr));
        let tint = rng.in_range(self.tint).clamp(0.0, 1.0);
        Dot {
            x_mm: 0.0,
            y_mm: 0.0,
            diameter_mm,
            aspect,
            angle_rad,
            darkness,
            softness,
            irregularity,
            tint,
        }
    }
}

/// Uniform grid of dot indices for neighbour queries during placement.
pub(super) struct Grid {
    x0: f64,
    y0: f64,
    cell: f64,
    nx: usize,
    ny: usize,
    cells: Vec<Vec<usize>>,
}

impl Grid {
    pub(super) fn new(area: (f64, f64, f64, f64), cell: f64) -> Self {
        let nx = (((area.2 - area.0) / cell).ceil() as usize).clamp(1, 4096);
        let ny = (((area.3 - area.1) / cell).ceil() as usize).clamp(1, 4096);
        // Cells grow if the area is too large for the cap above.
        let cell = cell
            .max((area.2 - area.0) / nx as f64)
            .max((area.3 - area.1) / ny as f64);
        Self {
            x0: area.0,
            y0: area.1,
            cell,
            nx,
            ny,
            cells: vec![Vec::new(); nx * ny],
        }
    }

    fn cell_of(&self, x: f64, y: f64) -> (usize, usize) {
        let i = ((x - self.x0) / self.cell)
            .floor()
            .clamp(0.0, (self.nx - 1) as f64);
        let j = ((y - self.y0) / self.cell)
            .floor()
            .clamp(0.0, (self.ny - 1) as f64);
        (i as usize, j as usize)
    }

    pub(super) fn insert(&mut self, x: f64, y: f64, idx: usize) {
        let (i, j) = self.cell_of(x, y);
        self.cells[j * self.nx + i].push(idx);
    }

    /// Indices in the 3×3 cells around `(x, y)`.
    pub(super) fn near(&self, x: f64, y: f64) -> impl Iterator<Item = usize> + '_ {
        let (i, j) = self.cell_of(x, y);
        let (i0, i1) = (i.saturating_sub(1), (i + 1).min(self.nx - 1));
        let (j0, j1) = (j.saturating_sub(1), (j + 1).min(self.ny - 1));
        (j0..=j1).flat_map(move |jj| {
            (i0..=i1).flat_map(move |ii| self.cells[jj * self.nx + ii].iter().copied())
        })
    }
}

/// Whether two dots respect the no-stacking rule (centre distance ≥
/// [`NO_STACK_FACTOR`] × the sum of their largest outline radii).
pub fn dots_separated(a: &Dot, b: &Dot) -> bool {
    let min = NO_STACK_FACTOR * (a.max_outline_radius_mm() + b.max_outline_radius_mm());
    let dx = a.x_mm - b.x_mm;
    let dy = a.y_mm - b.y_mm;
    dx * dx + dy * dy >= min * min
}

/// Places new dots by dart throwing in `area_mm = (x0, y0, x1, y1)` (mm).
///
/// Aims for `density_per_cm2 × area / 100` dots (area in mm²), each drawn
/// from `params`, with centres uniform in the area and rejected unless they
/// respect the no-stacking rule ([`dots_separated`]) against every dot in
/// `existing` and every dot placed so far. Gives up after
/// [`PLACEMENT_ATTEMPTS_PER_DOT`] × target attempts, so at densities near
/// jamming fewer dots are returned. Returns only the new dots.
pub fn place_dots(
    area_mm: (f64, f64, f64, f64),
    params: &DotParams,
    existing: &[Dot],
    rng: &mut SplitMix64,
) -> Vec<Dot> {
    let (x0, y0, x1, y1) = area_mm;
    let area = (x1 - x0).max(0.0) * (y1 - y0).max(0.0);
    let target = (params.density_per_cm2.max(0.0) * area / 100.0).round() as usize;
    if target == 0 {
        return Vec::new();
    }
    let cand_r_max = params.max_outline_radius_mm();
    let margin = 2.0
        * cand_r_max.max(
            existing
                .iter()
                .map(Dot::max_outline_radius_mm)
                .fold(0.0, f64::max),
        );
    // Existing dots that could conflict with a centre inside the area.
    let relevant: Vec<Dot> = existing
        .iter()
        .filter(|d| {
            d.x_mm >= x0 - margin
                && d.x_mm <= x1 + margin
                && d.y_mm >= y0 - margin
                && d.y_mm <= y1 + margin
        })
        .copied()
        .collect();
    let r_max_all = relevant
        .iter()
        .map(Dot::max_outline_radius_mm)
        .fold(cand_r_max, f64::max);
    // With cells of 2·r_max, every possible conflict is within the 3×3 block.
    let cell = (2.0 * r_max_all).max(1e-3);
    let grid_area = (x0 - margin, y0 - margin, x1 + margin, y1 + margin);
    let mut grid = Grid::new(grid_area, cell);
    let mut all: Vec<Dot> = relevant;
    for (k, d) in all.iter().enumerate() {
        grid.insert(d.x_mm, d.y_mm, k);
    }
    let n_existing = all.len();
    let budget = target * PLACEMENT_ATTEMPTS_PER_DOT;
    let mut attempts = 0;
    while all.len() - n_existing < target && attempts < budget {
        attempts += 1;
        let mut dot = params.sample(rng);
        dot.x_mm = rng.uniform(x0, x1);
        dot.y_mm = rng.uniform(y0, y1);
        if grid
            .near(dot.x_mm, dot.y_mm)
            .all(|k| dots_separated(&dot, &all[k]))
        {
            grid.insert(dot.x_mm, dot.y_mm, all.len());
            all.push(dot);
        }
    }
    all.split_off(n_existing)
}

/// A faded follow-up of the same dots: darkness × `darkness_factor`
/// (clamped to 0..1), diameter and softness × `spread_factor` (pigment
/// migration), tint + `tint_shift` (clamped to 0..1). Positions are kept.
///
/// A `spread_factor` above ≈1.1 can break the no-stacking separation of
/// neighbouring dots, as real migration does.
pub fn fade(dots: &[Dot], darkness_factor: f64, spread_factor: f64, tint_shift: f64) -> Vec<Dot> {
    dots.iter()
        .map(|d| Dot {
            darkness: (d.darkness * darkness_factor).clamp(0.0, 1.0),
            diameter_mm: d.diameter_mm * spread_factor.max(0.0),
            softness: (d.softness * spread_factor.max(0.0)).clamp(SOFTNESS_MIN, SOFTNESS_MAX),
            tint: (d.tint + tint_shift).clamp(0.0, 1.0),
            ..*d
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_respects_no_stacking_and_density() {
        let mut rng = SplitMix64::new(5);
        let area = (0.0, 0.0, 20.0, 20.0);
        let s1 = place_dots(area, &DotParams::first_session(), &[], &mut rng);
        assert_eq!(s1.len(), 240);
        let s2 = place_dots(area, &DotParams::healed(), &s1, &mut rng);
        assert!(s2.len() > 400, "placed {}", s2.len());
        let all: Vec<Dot> = s1.iter().chain(&s2).copied().collect();
        for (i, a) in all.iter().enumerate() {
            assert!(a.x_mm >= 0.0 && a.x_mm < 20.0 && a.y_mm >= 0.0 && a.y_mm < 20.0);
            for b in &all[i + 1..] {
                assert!(dots_separated(a, b), "stacked: {a:?} {b:?}");
            }
        }
        // Same seed, same dots.
        let mut rng2 = SplitMix64::new(5);
        assert_eq!(
            place_dots(area, &DotParams::first_session(), &[], &mut rng2),
            s1
        );
    }

    #[test]
    fn fade_scales_fields() {
        let d = Dot::round(1.0, 1.0, 0.4, 0.8);
        let f = fade(&[d], 0.5, 1.2, 0.3)[0];
        assert!((f.darkness - 0.4).abs() < 1e-12);
        assert!((f.diameter_mm - 0.48).abs() < 1e-12);
        assert!((f.softness - 0.18).abs() < 1e-12);
        assert!((f.tint - 0.3).abs() < 1e-12);
        assert_eq!((f.x_mm, f.y_mm), (1.0, 1.0));
    }
}

//! How evenly the dots are spread: dot density in a grid of square cells over the region, the
//! cells' coefficient of variation, and the thinnest cells — the patches to fill next time.
//!
//! The grid is centred on the region with `ceil(width / cell)` × `ceil(height / cell)` cells, so
//! a cell on an edge overhangs the region by less than half its side: each cell has more than
//! half of its width and of its height inside. A corner cell can still be mostly outside; only
//! cells with at least [`MIN_CELL_INSIDE`] of their area inside the region take part, and each
//! cell's density is its dots over its area *inside the region*.

use serde::Serialize;

use crate::region::Region;

/// Cell side with a scale (mm). At a finished density of ≈ 100 dots/cm² a 5 mm cell holds
/// ≈ 25 dots, so counting noise alone moves a cell's density by only ≈ 20%, while a patch an
/// artist would fill in one pass (a few mm across) still shows as a thin cell.
pub const CELL_MM: f64 = 5.0;
/// Cell side without a scale, in typical dot diameters (the dot size the measurement was tuned
/// to): 12.5 diameters is [`CELL_MM`] for the 0.4 mm dot the measurement assumes by default.
pub const CELL_DOT_DIAMETERS: f64 = 12.5;
/// A cell takes part only if at least this fraction of its area lies inside the region: a
/// sliver of a corner holds too few dots for its density to mean anything.
pub const MIN_CELL_INSIDE: f64 = 0.5;
/// Fewest taking-part cells for a coefficient of variation: with fewer, one cell's counting
/// noise decides the number.
pub const MIN_CELLS_FOR_CV: usize = 4;
/// How many of the thinnest cells are listed.
pub const THINNEST_CELLS: usize = 3;
/// Most cells per axis: a region far larger than a scalp photo, or an absurdly small scale,
/// gets larger cells instead of millions of them.
pub const MAX_CELLS_PER_AXIS: usize = 256;

/// Density uniformity of one session's dots.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Uniformity {
    /// Cell side (mm): [`CELL_MM`], or null without a scale.
    pub cell_mm: Option<f64>,
    /// Cell side in photo px: [`CELL_MM`] × px/mm, or without a scale [`CELL_DOT_DIAMETERS`]
    /// typical dot diameters (px); larger when [`MAX_CELLS_PER_AXIS`] requires it.
    pub cell_px: f64,
    /// Coefficient of variation (standard deviation / mean, dimensionless) of the cells'
    /// densities, each cell weighted by its area inside the region; null with fewer than
    /// [`MIN_CELLS_FOR_CV`] cells or no dots.
    pub cv: Option<f64>,
    /// The coefficient of variation that counting noise alone gives: 1/√n̄, n̄ the mean number
    /// of dots per full cell (a Poisson count's spread); null whenever `cv` is. A `cv` much
    /// above it means density really varies across the region.
    pub noise_cv: Option<f64>,
    /// Up to [`THINNEST_CELLS`] cells with the lowest density, thinnest first.
    pub thinnest: Vec<Cell>,
}

/// One grid cell.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cell {
    /// Centre x of the cell's part inside the region (photo px, as displayed; pixel i spans
    /// i..i+1).
    pub x: f64,
    /// Centre y of the cell's part inside the region (photo px).
    pub y: f64,
    /// Dots per cm² with a scale; without one, dots per full cell (`cell_px`² px²).
    pub density: f64,
}

/// The cells' layout along one axis: the first cell's start (px, may lie before the region)
/// and the number of cells.
fn axis(start: u32, length: u32, cell: f64) -> (f64, usize) {
    let length = f64::from(length);
    let n = ((length / cell).ceil() as usize).clamp(1, MAX_CELLS_PER_AXIS);
    let first = f64::from(start) + (length - n as f64 * cell) / 2.0;
    (first, n)
}

/// The part of cell `i` (starting at `first`, side `cell`) inside `start..start + length`:
/// (its start, its length), in px.
fn inside(first: f64, i: usize, cell: f64, start: u32, length: u32) -> (f64, f64) {
    let lo = (first + i as f64 * cell).max(f64::from(start));
    let hi = (first + (i + 1) as f64 * cell).min(f64::from(start) + f64::from(length));
    (lo, (hi - lo).max(0.0))
}

/// The cell side (px) for a region: `CELL_MM` × `px_per_mm` with a scale, else
/// `CELL_DOT_DIAMETERS` × `dot_px` (a non-finite or non-positive `dot_px` counts as
/// [`crate::measure::NOMINAL_DOT_PX`]); at least 1 px, and large enough that neither side of
/// `region` needs more than [`MAX_CELLS_PER_AXIS`] cells.
pub fn cell_side_px(region: Region, px_per_mm: Option<f64>, dot_px: f64) -> f64 {
    let dot_px = if dot_px.is_finite() && dot_px > 0.0 {
        dot_px
    } else {
        crate::measure::NOMINAL_DOT_PX
    };
    let wanted = match px_per_mm.filter(|s| s.is_finite() && *s > 0.0) {
        Some(s) => CELL_MM * s,
        None => CELL_DOT_DIAMETERS * dot_px,
    };
    let longest = f64::from(region.width.max(region.height));
    let wanted = if wanted.is_finite() { wanted } else { longest };
    wanted.max(1.0).max(longest / MAX_CELLS_PER_AXIS as f64)
}

/// Uniformity of the dots centred at `points` (photo px) over `region`, with the scale
/// `px_per_mm` when known and the typical dot diameter `dot_px` (px, used for the cell size
/// only without a scale). Points outside the region count in the nearest edge cell; points with
/// a non-finite coordinate are ignored. Sums run in a fixed order in f64, so the result does not
/// depend on threading.
pub fn uniformity(
    points: &[(f64, f64)],
    region: Region,
    px_per_mm: Option<f64>,
    dot_px: f64,
) -> Uniformity {
    let scale = px_per_mm.filter(|s| s.is_finite() && *s > 0.0);
    let cell = cell_side_px(region, scale, dot_px);
    let (fx, nx) = axis(region.x, region.width, cell);
    let (fy, ny) = axis(region.y, region.height, cell);
    let mut counts = vec![0u64; nx * ny];
    for &(x, y) in points {
        if !(x.is_finite() && y.is_finite()) {
            continue;
        }
        let i = (((x - fx) / cell).floor().max(0.0) as usize).min(nx - 1);
        let j = (((y - fy) / cell).floor().max(0.0) as usize).min(ny - 1);
        counts[j * nx + i] += 1;
    }
    // (centre x, centre y, area inside in px², density), row by row.
    let mut cells: Vec<(f64, f64, f64, f64)> = Vec::new();
    let (mut dots, mut full_cells) = (0.0, 0.0);
    for j in 0..ny {
        let (y0, h) = inside(fy, j, cell, region.y, region.height);
        for i in 0..nx {
            let (x0, w) = inside(fx, i, cell, region.x, region.width);
            let area = w * h;
            if area <= 0.0 || area < MIN_CELL_INSIDE * cell * cell {
                continue;
            }
            let n = counts[j * nx + i] as f64;
            dots += n;
            full_cells += area / (cell * cell);
            let density = match scale {
                Some(s) => n / (area / (s * s) / 100.0),
                None => n * cell * cell / area,
            };
            cells.push((x0 + w / 2.0, y0 + h / 2.0, area, density));
        }
    }
    let cv = weighted_cv(&cells);
    Uniformity {
        cell_mm: scale.map(|s| cell / s),
        cell_px: cell,
        cv,
        noise_cv: cv.map(|_| (full_cells / dots).sqrt()),
        thinnest: thinnest(&cells),
    }
}

/// Area-weighted coefficient of variation of the cells' densities; `None` with fewer than
/// [`MIN_CELLS_FOR_CV`] cells or a zero mean.
fn weighted_cv(cells: &[(f64, f64, f64, f64)]) -> Option<f64> {
    if cells.len() < MIN_CELLS_FOR_CV {
        return None;
    }
    let total: f64 = cells.iter().map(|c| c.2).sum();
    let mean = cells.iter().map(|c| c.2 * c.3).sum::<f64>() / total;
    if !(mean.is_finite() && mean > 0.0) {
        return None;
    }
    let var = cells
        .iter()
        .map(|c| c.2 * (c.3 - mean).powi(2))
        .sum::<f64>()
        / total;
    Some(var.sqrt() / mean)
}

/// The [`THINNEST_CELLS`] lowest-density cells, thinnest first; ties keep row-major order.
fn thinnest(cells: &[(f64, f64, f64, f64)]) -> Vec<Cell> {
    let mut order: Vec<usize> = (0..cells.len()).collect();
    // A stable sort: equal densities stay in row-major order.
    order.sort_by(|&a, &b| cells[a].3.total_cmp(&cells[b].3));
    order
        .into_iter()
        .take(THINNEST_CELLS)
        .map(|k| Cell {
            x: cells[k].0,
            y: cells[k].1,
            density: cells[k].3,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(w: u32, h: u32) -> Region {
        Region {
            x: 10,
            y: 20,
            width: w,
            height: h,
        }
    }

    /// Points on a regular lattice with `step` px spacing over `region`.
    fn lattice(r: Region, step: f64) -> Vec<(f64, f64)> {
        let mut p = Vec::new();
        let mut y = f64::from(r.y) + step / 2.0;
        while y < r.bottom() as f64 {
            let mut x = f64::from(r.x) + step / 2.0;
            while x < r.right() as f64 {
                p.push((x, y));
                x += step;
            }
            y += step;
        }
        p
    }

    #[test]
    fn an_even_lattice_has_zero_cv_and_the_right_density() {
        // 20 × 20 mm at 10 px/mm: 4 × 4 cells of 5 mm, exactly inside; 1 mm lattice = 100/cm².
        let r = region(200, 200);
        let u = uniformity(&lattice(r, 10.0), r, Some(10.0), 4.0);
        assert_eq!(u.cell_mm, Some(5.0));
        assert_eq!(u.cell_px, 50.0);
        assert!(u.cv.unwrap() < 1e-12, "{u:?}");
        // 25 dots per cell: counting noise alone would give a cv of 1/5.
        assert!((u.noise_cv.unwrap() - 0.2).abs() < 1e-12);
        assert_eq!(u.thinnest.len(), THINNEST_CELLS);
        for c in &u.thinnest {
            assert!((c.density - 100.0).abs() < 1e-9, "{c:?}");
        }
        // Ties keep row-major order: the first cells of the top row.
        assert_eq!((u.thinnest[0].x, u.thinnest[0].y), (35.0, 45.0));
        assert_eq!((u.thinnest[1].x, u.thinnest[1].y), (85.0, 45.0));
    }

    #[test]
    fn a_hole_is_the_thinnest_cell_and_raises_the_cv() {
        let r = region(200, 200);
        // Empty the cell from (110, 120) to (160, 170) (third column, third row).
        let points: Vec<_> = lattice(r, 10.0)
            .into_iter()
            .filter(|&(x, y)| !((110.0..160.0).contains(&x) && (120.0..170.0).contains(&y)))
            .collect();
        let u = uniformity(&points, r, Some(10.0), 4.0);
        assert_eq!(
            u.thinnest[0],
            Cell {
                x: 135.0,
                y: 145.0,
                density: 0.0
            }
        );
        // One empty cell of 16, the rest at 100: mean 93.75, sd = 93.75·√(1/15) → cv = √15 / 15.
        let cv = u.cv.unwrap();
        assert!((cv - (1.0f64 / 15.0).sqrt()).abs() < 1e-9, "{cv}");
    }

    #[test]
    fn partial_cells_count_by_their_inside_area_and_corner_slivers_are_left_out() {
        // 16 × 16 mm at 10 px/mm: 4 × 4 cells of 5 mm overhanging 2 mm each side. Edge cells
        // have 3 of 5 mm inside (60%), corners 36% (left out): 12 cells, each reading the
        // lattice's 100 dots/cm² over its inside area, so the cv is 0.
        let r = region(160, 160);
        let u = uniformity(&lattice(r, 10.0), r, Some(10.0), 4.0);
        assert!(u.cv.unwrap() < 1e-9, "{u:?}");
        assert!(u.thinnest.iter().all(|c| (c.density - 100.0).abs() < 1e-9));
        // 16 × 8 mm: 4 × 2 cells, 4 mm of 5 inside vertically; corners 3 × 4 mm = 48% are
        // left out, leaving the 4 middle cells.
        let r = region(160, 80);
        let u = uniformity(&lattice(r, 10.0), r, Some(10.0), 4.0);
        assert!(u.cv.unwrap() < 1e-9, "{u:?}");
        // The first listed (row-major) is the second cell of the top row, centred on the part
        // of it inside the region (x 40..90, y 20..60).
        assert_eq!((u.thinnest[0].x, u.thinnest[0].y), (65.0, 40.0));
    }

    #[test]
    fn too_few_cells_or_no_dots_give_no_cv() {
        // 12 × 8 mm: 3 × 2 cells, the four corners have 3.5 × 4 mm = 56%: 6 cells, enough.
        let r = region(120, 80);
        assert!(uniformity(&lattice(r, 10.0), r, Some(10.0), 4.0)
            .cv
            .is_some());
        // 8 × 8 mm: 2 × 2 cells of 4 × 4 mm inside = 64%: 4 cells, just enough.
        let r = region(80, 80);
        assert!(uniformity(&lattice(r, 10.0), r, Some(10.0), 4.0)
            .cv
            .is_some());
        // 8 × 5 mm: 2 × 1 cells: too few.
        let r = region(80, 50);
        let u = uniformity(&lattice(r, 10.0), r, Some(10.0), 4.0);
        assert_eq!(u.cv, None);
        assert_eq!(u.thinnest.len(), 2);
        // No dots: every cell is empty, no cv, the thinnest still say where.
        let r = region(200, 200);
        let u = uniformity(&[], r, Some(10.0), 4.0);
        assert_eq!(u.cv, None);
        assert_eq!(u.thinnest[0].density, 0.0);
        // A region smaller than half a cell each way: no cell takes part.
        let r = region(20, 20);
        let u = uniformity(&lattice(r, 10.0), r, Some(10.0), 4.0);
        assert_eq!((u.cv, u.thinnest.len()), (None, 0));
    }

    #[test]
    fn without_a_scale_cells_are_dot_diameters_and_density_is_per_cell() {
        let r = region(200, 200);
        let u = uniformity(&lattice(r, 10.0), r, None, 4.0);
        assert_eq!(u.cell_mm, None);
        assert_eq!(u.cell_px, 50.0);
        // 5 × 5 lattice points per 50 px cell.
        assert!((u.thinnest[0].density - 25.0).abs() < 1e-9);
        // A nonsense dot size falls back to the nominal one.
        let u = uniformity(&[], r, None, f64::NAN);
        assert_eq!(
            u.cell_px,
            CELL_DOT_DIAMETERS * crate::measure::NOMINAL_DOT_PX
        );
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let r = Region::whole(u32::MAX, 1);
        let u = uniformity(&[(f64::NAN, 0.0), (-5.0, 1e30)], r, Some(0.5), 0.0);
        assert!(u.cell_px >= f64::from(u32::MAX) / MAX_CELLS_PER_AXIS as f64);
        let r = region(1, 1);
        let u = uniformity(&[(10.5, 20.5)], r, Some(f64::INFINITY), 1e-300);
        assert!(u.cell_mm.is_none());
        let _ = uniformity(&[(10.5, 20.5)], r, None, f64::MAX);
    }
}

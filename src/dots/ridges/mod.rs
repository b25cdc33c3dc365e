//! Hair lines: long, thin, dark ridges on lighter skin, found with the Hessian at hair width.
//!
//! Width and shape tests on a dot's own territory cannot tell a real hair crossing (two hairs,
//! each 0.1–0.2 mm wide after the lens' blur, meeting in an X) from a small impression: both
//! are a compact dark spot a few pixels across. What tells them apart is the context: a hair
//! continues as a thin line far beyond the spot, with skin beside it. This module marks those
//! lines so that a candidate sitting on one (its core mostly on the line) is set aside as hair.
//!
//! A line inside dark pigment (texture within a tattooed area, a hair across a dot) is not
//! marked: a hair pixel must have skin on at least one side.

use std::ops::Range;

use rayon::prelude::*;

use super::components::RunComponents;
use crate::plane::{Plane, RowWindow};

/// Hessian scale of hair (mm): hairs are 0.04–0.14 mm wide, a line of width w answers most
/// strongly at σ ≈ w / (2√3) … w/2; 0.045 mm suits the 0.1–0.2 mm a blurred hair shows.
pub const HAIR_SIGMA_MM: f32 = 0.045;
/// Scales searched, as multiples of [`HAIR_SIGMA_MM`]: fine hair, and thick hair or stubble
/// (up to 0.14 mm, wider still where two hairs lie side by side).
pub const HAIR_SCALES: [f32; 2] = [1.0, 2.0];
/// Smallest Hessian scale (px): below this the finite differences only see noise.
pub const MIN_HAIR_SIGMA_PX: f32 = 0.7;
/// A ridge's weaker curvature is at most this fraction of its stronger one (a line, not a
/// blob: a round dot's two curvatures are equal, an elliptical dot's within 2×).
pub const RIDGE_EIGEN_RATIO: f32 = 0.35;
/// Smoothed darkness a hair line must reach: faint skin creases and shadows stay below
/// (≈ 0.05), hairs seen on skin are 0.2–0.6 dark.
pub const MIN_HAIR_DARKNESS: f32 = 0.1;
/// A line pixel lies on skin when one side of it, [`SIDE_OFFSET_SIGMAS`] σ away across the line,
/// is at most this fraction as dark as the line: a hair on skin has skin beside it; a line
/// within a tattooed area has pigment on both sides.
pub const LIGHT_SIDE_FRACTION: f32 = 0.5;
/// How far across the line its sides are sampled, in hair σ (beyond a blurred hair's edge).
pub const SIDE_OFFSET_SIGMAS: f32 = 3.0;
/// A hair scale is searched on a grid of every `step`-th pixel of its smoothed plane, `step`
/// the largest power of two leaving at least this many grid steps per σ (px): every pixel
/// below σ = 8 px (up to ≈ 90 px/mm), on a grid of 2 px up to σ = 16 px, of 4 up to 32 px,
/// and so on, the step doubling with σ. The plane smoothed at σ holds no detail much finer
/// than σ, and the grid's second differences err by about h²/(4σ²) ≈ 1.6% across a line at
/// h = σ/4, far inside the ridge test's margins. The widened lines snap to the grid by at most half a step, an eighth of their
/// half-width. (Blurring at σ = 9–18 px and testing every pixel took 250–400 ms of a 24 MP
/// close-up at 100–200 px/mm.)
pub const HAIR_GRID_STEPS_PER_SIGMA: f32 = 4.0;
/// A connected ridge network counts as hair when it extends over at least this many typical dot
/// diameters: a hair runs for millimetres, while the ridge a single elliptical dot or a pore
/// leaves is no longer than the dot.
pub const MIN_HAIR_LENGTH_DIAMETERS: f32 = 2.0;

/// Per pixel of `d` (darkness, 1 − Y/S): on a hair line standing on skin, widened to the hair's
/// width. `px_per_mm` sets the hair scale, `dot_diameter_px` the shortest hair (see
/// [`MIN_HAIR_LENGTH_DIAMETERS`]). `spare` is a buffer whose bytes serve as scratch when it
/// holds one per pixel (else a fresh buffer is allocated), reused (its contents are
/// overwritten).
///
/// A scale searched at every pixel (σ under 8 px, see [`HAIR_GRID_STEPS_PER_SIGMA`]) never
/// stores its smoothed plane: each strip of rows is smoothed with the rows around it that its
/// ridges' tests read, and marked while in cache (no 4 B/px plane written and read back per
/// scale). A scale searched on a grid is smoothed at the grid's pixels only, into a stored grid
/// of a quarter of the pixels or fewer, whose ridges are marked in parallel chunks of rows
/// (see `hair_lines_on_grids`).
pub(super) fn hair_lines(
    d: &Plane,
    px_per_mm: f32,
    dot_diameter_px: f32,
    spare: &mut [f32],
) -> Vec<bool> {
    hair_lines_on_grids(
        d,
        px_per_mm,
        dot_diameter_px,
        HAIR_GRID_STEPS_PER_SIGMA,
        spare,
    )
}

/// [`hair_lines`] with its scales searched on grids of at least `steps_per_sigma` steps per σ
/// (∞: every pixel, the oracle of the grids).
fn hair_lines_on_grids(
    d: &Plane,
    px_per_mm: f32,
    dot_diameter_px: f32,
    steps_per_sigma: f32,
    spare: &mut [f32],
) -> Vec<bool> {
    let n = d.width * d.height;
    let mut mask = vec![false; n];
    if d.width < 3 || d.height < 3 {
        return mask;
    }
    // A scratch shared by the scales: fresh full-size buffers are slow to allocate (a 1 B/px
    // scratch in a spare 4 B/px buffer, when the caller has one, is faulted in already).
    let mut own: Vec<u8>;
    let spare_bytes: &mut [u8] = bytemuck::cast_slice_mut(spare);
    let kind: &mut [u8] = if spare_bytes.len() >= n {
        &mut spare_bytes[..n]
    } else {
        // Zeroed by the allocator (fresh pages, faulted in as the rows are marked, on every
        // thread), not by a pass of its own on this one.
        own = vec![0; n];
        &mut own
    };
    // A scale searched on a grid has its smoothed grid stored (a quarter of `d`'s pixels or
    // fewer).
    let mut grid = Plane::default();
    for factor in HAIR_SCALES {
        let sigma = (factor * HAIR_SIGMA_MM * px_per_mm).max(MIN_HAIR_SIGMA_PX);
        let step = super::grid_step_keeping(sigma, steps_per_sigma);
        let size = if step == 1 {
            d.gaussian_blur_strips(sigma, ridge_reach(sigma), kind, |g, rows, kind_rows| {
                mark_ridges(g, rows, sigma, kind_rows)
            });
            (d.width, d.height)
        } else {
            // All in grid units (grid pixels, σ in grid steps) up to the widening.
            d.gaussian_blur_sampled_into(sigma, step, &mut grid);
            let (gw, gh) = (grid.width, grid.height);
            if gw < 3 || gh < 3 {
                continue;
            }
            let window = grid.window();
            let grid_sigma = sigma / step as f32;
            kind[..gw * gh]
                .par_chunks_mut(GRID_MARK_ROWS * gw)
                .enumerate()
                .for_each(|(i, kind_rows)| {
                    let top = i * GRID_MARK_ROWS;
                    let rows = top..top + kind_rows.len() / gw;
                    mark_ridges(&window, rows, grid_sigma, kind_rows);
                });
            (gw, gh)
        };
        let grid_kind = &kind[..size.0 * size.1];
        let scale = (step, sigma, dot_diameter_px);
        lines_at(grid_kind, size.0, scale, (d.width, d.height), &mut mask);
    }
    mask
}

/// Rows of a grid marked per task (see [`hair_lines_on_grids`]).
const GRID_MARK_ROWS: usize = 64;

/// How many rows (px) from a pixel the ridge tests at Hessian scale `sigma` (px) read the
/// smoothed plane: one for the Hessian, and the centreline test's sides
/// ([`SIDE_OFFSET_SIGMAS`] σ across the line, rounded to the nearest pixel).
fn ridge_reach(sigma: f32) -> usize {
    ((SIDE_OFFSET_SIGMAS * sigma).ceil() as usize).max(1)
}

/// Marks in `mask` (of the `width` × `height` px plane) the hair lines whose ridges `kind`
/// marks (see [`mark_ridges`]): a byte per pixel of a grid `w` pixels wide, every `step`-th
/// pixel of the plane (1: every pixel), smoothed at Hessian scale `sigma` (px), in a photo
/// whose typical dot is `dot_diameter_px` across.
fn lines_at(
    kind: &[u8],
    w: usize,
    (step, sigma, dot_diameter_px): (usize, f32, f32),
    (width, height): (usize, usize),
    mask: &mut [bool],
) {
    // Length of each ridge network (8-connected), from its bounding box's diagonal (px).
    let min_length = MIN_HAIR_LENGTH_DIAMETERS * dot_diameter_px;
    // From the networks' runs and boxes: no per-network member lists.
    let networks = RunComponents::find_in_mask(kind, w, true);
    let is_long: Vec<bool> = networks
        .bounds()
        .iter()
        .map(|&(x0, y0, x1, y1)| {
            let (box_w, box_h) = (((x1 - x0 + 1) * step) as u64, ((y1 - y0 + 1) * step) as u64);
            ((box_w.pow(2) + box_h.pow(2)) as f32).sqrt() >= min_length
        })
        .collect();
    // The long networks' centreline pixels, as each photo row's columns (px) in increasing
    // order (runs come in raster order; rows off the grid have none): centrelines are
    // sparse, and each widened row reads 2·reach + 1 source rows. Listed straight from
    // the runs, never stored as a full-size mask (a fresh 1 B/px allocation per scale).
    // Rows in parallel.
    let centre_columns: Vec<Vec<usize>> = (0..height)
        .into_par_iter()
        .map(|y| {
            // (A row on the grid is within it: it has ⌈height / step⌉ rows.)
            if !y.is_multiple_of(step) {
                return Vec::new();
            }
            let gy = y / step;
            let row = &kind[gy * w..(gy + 1) * w];
            networks
                .row_runs(gy)
                .filter(|(network, _)| is_long[*network])
                .flat_map(|(_, columns)| columns.filter(|&x| row[x] == 2))
                .map(|x| x * step)
                .collect()
        })
        .collect();

    // Widen the centrelines to the hair's width.
    widen(
        &centre_columns,
        (width, height),
        f64::from(sigma) + 0.5,
        mask,
    );
}

/// Per pixel of rows `rows` of `g` (darkness smoothed at Hessian scale `sigma`, in the plane's
/// own pixels: grid steps on a grid; a plane at least 3 × 3 px, the window holding at least
/// [`ridge_reach`] rows around `rows`), into `kind` (a byte
/// per pixel of those rows, every byte written): 0 = not a ridge, 1 = ridge, 2 = ridge
/// centreline with skin on one side. The plane's outermost rows and columns are 0.
fn mark_ridges(g: &RowWindow, rows: Range<usize>, sigma: f32, kind: &mut [u8]) {
    let (w, h) = (g.width, g.height);
    let offset = SIDE_OFFSET_SIGMAS * sigma;
    let mut is_ridge = vec![false; w - 2];
    for (y, row) in rows.zip(kind.chunks_exact_mut(w)) {
        row.fill(0);
        if y == 0 || y == h - 1 {
            continue;
        }
        let (up, mid, down) = (g.row(y - 1), g.row(y), g.row(y + 1));
        ridge_flags([up, mid, down], &mut is_ridge);
        // A ridge's Hessian again, the same sums as its flag's, for the few ridges.
        crate::mask::for_each_set_run(&is_ridge, |xs| {
            for x in xs {
                let x = x + 1;
                let c = mid[x];
                let dxx = mid[x - 1] - 2.0 * c + mid[x + 1];
                let dyy = up[x] - 2.0 * c + down[x];
                let dxy = (down[x + 1] - down[x - 1] - up[x + 1] + up[x - 1]) / 4.0;
                let (strong, _) = super::hessian_eigenvalues(dxx, dyy, dxy);
                row[x] = if on_centreline(g, (x, y), (dxx, dyy, dxy), strong, offset) {
                    2
                } else {
                    1
                };
            }
        });
    }
}

/// Per interior pixel of the middle one of three consecutive `rows` (`is_ridge.len() + 2`
/// px each), whether it is a ridge dark enough: at least [`MIN_HAIR_DARKNESS`], a negative
/// strong curvature and a weak one at most [`RIDGE_EIGEN_RATIO`] of it. Every test evaluated
/// (no early exit), so that the row's tests run as vector operations; the ridges (a few
/// percent of the pixels) are then traced one by one. (A NaN is never a ridge: darkness from
/// luminance is never NaN.)
///
/// Compiled twice and chosen at run time, for CPUs with AVX2 (8 lanes) and for the rest (4):
/// the same IEEE operations (no fused multiply-add), so the same flags on any CPU.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn ridge_flags(rows: [&[f32]; 3], is_ridge: &mut [bool]) {
    ridge_flags_body(rows, is_ridge);
}

/// The body of [`ridge_flags`], inlined into each of its versions and compiled there for that
/// version's CPU; called directly (by the tests) it is the version for every x86-64 CPU, which
/// the dispatch never picks on a CPU with AVX2.
#[inline(always)]
fn ridge_flags_body([up, mid, down]: [&[f32]; 3], is_ridge: &mut [bool]) {
    // Each neighbour as a slice of the flags' length: no bounds checks in the loop.
    let n = is_ridge.len();
    let (up_left, up_at, up_right) = (&up[..n], &up[1..n + 1], &up[2..n + 2]);
    let (left, centre, right) = (&mid[..n], &mid[1..n + 1], &mid[2..n + 2]);
    let (down_left, down_at, down_right) = (&down[..n], &down[1..n + 1], &down[2..n + 2]);
    for (x, flag) in is_ridge.iter_mut().enumerate() {
        let c = centre[x];
        let dxx = left[x] - 2.0 * c + right[x];
        let dyy = up_at[x] - 2.0 * c + down_at[x];
        let dxy = (down_right[x] - down_left[x] - up_right[x] + up_left[x]) / 4.0;
        let (strong, weak) = super::hessian_eigenvalues(dxx, dyy, dxy);
        *flag =
            (c >= MIN_HAIR_DARKNESS) & (strong < 0.0) & (weak.abs() <= RIDGE_EIGEN_RATIO * -strong);
    }
}

/// Whether the ridge pixel (`x`, `y`) of `g`, with Hessian `(dxx, dyy, dxy)` and strong
/// (across-the-line) curvature `strong`, lies on the line's centreline with skin on one side:
/// no darker than itself one pixel across the line, and one side `offset` px across at most
/// [`LIGHT_SIDE_FRACTION`] as dark.
fn on_centreline(
    g: &RowWindow,
    (x, y): (usize, usize),
    (dxx, dyy, dxy): (f32, f32, f32),
    strong: f32,
    offset: f32,
) -> bool {
    let (w, h) = (g.width, g.height);
    let c = g.get(x, y);
    // Unit normal: the eigenvector of the strong (across-the-line) curvature.
    let (nx, ny) = if dxy.abs() > 1e-12 {
        let (vx, vy) = (dxy, strong - dxx);
        let len = (vx * vx + vy * vy).sqrt();
        (vx / len, vy / len)
    } else if dxx < dyy {
        (1.0, 0.0)
    } else {
        (0.0, 1.0)
    };
    let at = |t: f32| {
        let sx = nearest_index(x as f32 + t * nx, w);
        let sy = nearest_index(y as f32 + t * ny, h);
        g.get(sx, sy)
    };
    c >= at(1.0) && c >= at(-1.0) && at(offset).min(at(-offset)) <= LIGHT_SIDE_FRACTION * c
}

/// The index nearest to `v` among `0..size` (`size` ≥ 1): `v` rounded half away from zero,
/// clamped to the range (0 for NaN), as `v.round().clamp(0.0, (size − 1) as f32) as usize`
/// gives it. Without `f32::round`, which the x86-64 baseline (no SSE4.1) calls in the maths
/// library: a call per rounding, eight per ridge pixel traced. Clamping first changes nothing
/// (the bounds are whole numbers), and for v ≥ 0 adding ½ in f64 is exact, so truncating
/// the sum rounds half away from zero.
#[inline]
fn nearest_index(v: f32, size: usize) -> usize {
    (f64::from(v.clamp(0.0, (size - 1) as f32)) + 0.5) as usize
}

/// Sets in `mask` every pixel within the disc of `radius` px (as
/// [`for_each_in_ring`](crate::plane::for_each_in_ring) draws it) of a centre pixel of the
/// `width` × `height` grid, one output row per task. `columns[y]` lists row `y`'s centre
/// pixels by column.
fn widen(columns: &[Vec<usize>], (width, height): (usize, usize), radius: f64, mask: &mut [bool]) {
    let reach = radius.ceil() as isize;
    let outer2 = radius * radius + 0.25;
    mask.par_chunks_mut(width).enumerate().for_each(|(y, row)| {
        for dy in -reach..=reach {
            let source = y as isize + dy;
            let spare = outer2 - (dy * dy) as f64;
            if source < 0 || source as usize >= height || spare < 0.0 {
                continue;
            }
            // |dx| ≤ ⌊√spare⌋ ⇔ dx² + dy² ≤ outer²: `spare` is exact (radius comes from an f32)
            // and sqrt is exact on perfect squares. (The cast truncates: the floor of a root.)
            let half = spare.sqrt() as usize;
            for &x in &columns[source as usize] {
                row[x.saturating_sub(half)..=(x + half).min(width - 1)].fill(true);
            }
        }
    });
}

#[cfg(test)]
mod tests;

//! Blob candidates: scale-normalised Laplacian-of-Gaussian maxima over a few scales, kept where
//! dark enough and darkest at their centre, strongest first, each marked when it sits on a ridge.
//! The maxima themselves are found in `maxima`.

mod clusters;
mod maxima;
mod scan;

use rayon::prelude::*;

use super::{
    blob_grid_step, BLOB_SCALES, BLOB_SIGMA_DIAMETERS, CENTRE_FILL_RATIO, MIN_BLOB_EIGEN_RATIO,
    MIN_PEAK_DARKNESS, NMS_RADIUS_DIAMETERS, NOISE_BLOCK_DIAMETERS, PEAK_NOISE_SIGMAS,
};
use crate::grid::BlockAxis;
use crate::plane::{for_each_in_ring, Plane, RowWindow};
use crate::quantile::quantile;
use clusters::clusters;
use maxima::{laplacian_maxima, peak_offset};
use scan::full_resolution_candidates;

/// Noise (robust standard deviation of darkness on skin) per block of a smoothed darkness
/// plane: dim parts of a photo (a dark corner, vignetting, dark skin) are noisier than bright
/// ones, and a single global threshold would let their noise pass for faint dots.
struct NoiseMap {
    columns: BlockAxis,
    rows: BlockAxis,
    sigma: Vec<f32>,
}

impl NoiseMap {
    fn new(p: &Plane, block: usize) -> Self {
        let (columns, rows) = (
            BlockAxis::new(p.width, block),
            BlockAxis::new(p.height, block),
        );
        let grid_w = columns.cells();
        let sigma: Vec<Option<f32>> = (0..grid_w * rows.cells())
            .into_par_iter()
            .map_init(Vec::new, |below, i| {
                let ((x0, x1), (y0, y1)) = (columns.span(i % grid_w), rows.span(i / grid_w));
                block_noise(below, (y0..y1).map(|y| &p.row(y)[x0..x1]), 1)
            })
            .collect();
        // Blocks with too little skin take the whole plane's noise, computed only if one does
        // (a pass over every pixel, per scale).
        let global = sigma
            .iter()
            .any(Option::is_none)
            .then(|| super::skin_noise(p));
        let sigma = sigma
            .into_iter()
            .map(|block| block.or(global).unwrap_or(0.0))
            .collect();
        NoiseMap {
            columns,
            rows,
            sigma,
        }
    }

    fn at(&self, x: usize, y: usize) -> f32 {
        self.sigma[self.rows.cell_of(y) * self.columns.cells() + self.columns.cell_of(x)]
    }
}

/// The noise of one block whose rows (the block's span of each) are `rows`, sampled at every
/// `step`-th value of every `step`-th row: 1.4826 × the median of −v over its sampled values
/// v < 0, or none with fewer than [`MIN_NOISE_SAMPLES`] of them. `below` is a gathering
/// buffer (its contents do not matter).
fn block_noise<'a>(
    below: &mut Vec<f32>,
    rows: impl Iterator<Item = &'a [f32]>,
    step: usize,
) -> Option<f32> {
    // The skin field sits at the skin's median, so skin straddles 0 while pigment only adds
    // darkness: the negative side is skin alone, however dense the dots.
    below.clear();
    // Every row of the sampling grid: the noise sets the threshold of the faintest dots, and
    // a sparser sample of rows let a hair crossing through on a real photo (see
    // tests/real_photos.rs).
    for row in rows.step_by(step) {
        extend_negated_negatives(below, row, step);
    }
    (below.len() >= MIN_NOISE_SAMPLES).then(|| 1.4826 * quantile(below, 0.5))
}

/// A noise block with fewer sampled values below zero than this has too little skin for a
/// noise of its own (it takes the whole plane's).
const MIN_NOISE_SAMPLES: usize = 32;

/// Appends −v for every v < 0 among every `step`-th value of `row` (from its first) to
/// `values`, in order. Branch-free: each value is written, and the end moves on past it only
/// if it was negative (on skin the sign is a coin toss, which a filter's branch mispredicts;
/// the three full-resolution scales' noise maps of a 24 MP photo took 92 ms of one core that
/// way, 84 ms this way, every value sampled).
fn extend_negated_negatives(values: &mut Vec<f32>, row: &[f32], step: usize) {
    let start = values.len();
    values.resize(start + row.len().div_ceil(step), 0.0);
    let out = &mut values[start..];
    let mut end = 0;
    for &v in row.iter().step_by(step) {
        out[end] = -v;
        end += usize::from(v < 0.0);
    }
    values.truncate(start + end);
}

/// A blob candidate: position (px), scale-normalised response, diameter (px) of its scale.
#[derive(Clone, Copy, Debug)]
pub(super) struct Candidate {
    pub x: usize,
    pub y: usize,
    pub response: f32,
    pub diameter: f32,
    /// On a ridge (one Hessian eigenvalue near zero): a hair, or a dot that a hair crosses.
    pub ridge: bool,
}

/// Blob candidates of darkness plane `d` around the typical dot diameter `diameter_px`, with
/// smoothed darkness at least [`MIN_PEAK_DARKNESS`] and [`PEAK_NOISE_SIGMAS`] times the local
/// noise of that smoothing, in order of scale and then raster order of the grid searched; not
/// yet tested at their centres nor suppressed (see [`centre_is_filled`], [`suppress`]).
///
/// Each scale smooths D at σ = [`BLOB_SIGMA_DIAMETERS`] × the scale's multiple of
/// `diameter_px` (px). A scale whose [`blob_grid_step`] is 1 (every scale up to
/// [`super::MAX_FINE_SEARCH_BLOB_SCALE`] below σ = 16 px) is searched at every pixel, strip by
/// strip as it is blurred (see [`full_resolution_candidates`]): its smoothed plane is never
/// stored.
///
/// Any other scale is searched on a grid of every [`blob_grid_step`]-th pixel of its smoothed
/// plane, smoothed on that grid only: from the previous scale's plane where it can be, taken at
/// this scale's grid, then blurred there by √(σ² − σ′²), σ′ the previous scale's σ (a quarter
/// of the work of blurring `d` at σ on the grid; why the grid may be taken first: see
/// `coarser_sigma`). Its values then differ from those of the whole blur of `d` by the
/// kernels' truncation at 3σ, a few 10⁻⁴ of the plane's range. Each of its candidates lies
/// where the parabolas through the grid's responses around its maximum peak
/// ([`peak_offset`]), rounded to the nearest pixel. As at every pixel, the outermost grid rows
/// and columns hold no maximum: a grid scale finds no candidate within a step of the photo's
/// edge (up to two at the right and bottom), where the finer scales still look. Its noise
/// blocks count grid pixels, each standing for step² pixels.
pub(super) fn detect(d: &Plane, diameter_px: f32) -> Vec<Candidate> {
    let block = ((NOISE_BLOCK_DIAMETERS * diameter_px).round() as usize).max(16);
    // Each scale's multiple of the diameter, σ (px) and grid step (px).
    let scales: Vec<(f32, f32, usize)> = BLOB_SCALES
        .iter()
        .map(|&factor| {
            let sigma = (BLOB_SIGMA_DIAMETERS * (diameter_px * factor)).max(0.5);
            (factor, sigma, blob_grid_step(factor, sigma))
        })
        .collect();
    // Whether the scale after a plane of σ `from_sigma` px on a grid of `from_step` px takes
    // its grid from that plane.
    let grid_taken_from = |(from_sigma, from_step): (f32, usize),
                           (_, sigma, step): (f32, f32, usize)| {
        step > 1 && step.is_multiple_of(from_step) && from_sigma < sigma
    };
    let mut candidates = Vec::new();
    // The coarse scales' grids share small buffers of their own: `decimated` holds the grid
    // taken from the previous scale's plane, `grid` the scale's smoothed grid.
    let (mut grid, mut decimated) = (Plane::default(), Plane::default());
    // The σ (px) and grid step of the previous scale's plane.
    let mut previous: Option<(f32, usize)> = None;
    for (i, &(factor, sigma, step)) in scales.iter().enumerate() {
        let scale_d = diameter_px * factor;
        if step == 1 {
            // The next scale's grid, if it takes it from this plane, taken as it is blurred.
            let next_step = scales
                .get(i + 1)
                .filter(|&&next| grid_taken_from((sigma, 1), next))
                .map(|&(_, _, next_step)| next_step);
            candidates.extend(full_resolution_candidates(
                d,
                (sigma, scale_d),
                block,
                next_step.map(|s| (s, &mut decimated)),
            ));
            previous = Some((sigma, 1));
            continue;
        }
        match previous {
            Some((from_sigma, from_step))
                if grid_taken_from((from_sigma, from_step), (factor, sigma, step)) =>
            {
                if from_step > 1 {
                    grid.gaussian_blur_sampled_into(0.0, step / from_step, &mut decimated);
                }
                decimated.gaussian_blur_into(coarser_sigma(from_sigma, sigma, step), &mut grid);
            }
            // The first scale, when it is searched on a grid (dots large in pixels), or one with
            // no finer plane before it on a grid it divides: blurred from `d` at the grid's
            // pixels only.
            _ => d.gaussian_blur_sampled_into(sigma, step, &mut grid),
        }
        candidates.extend(grid_candidates(
            &grid,
            (sigma, scale_d),
            step,
            block,
            (d.width, d.height),
        ));
        previous = Some((sigma, step));
    }
    candidates
}

/// The candidates of a scale searched on a grid (see [`detect`]): `grid` holds the plane
/// smoothed at σ = `sigma` px at every `step`-th pixel of a plane of `size` px, whose dots at
/// this scale are `scale_d` px across; noise blocks of `block` px.
fn grid_candidates(
    grid: &Plane,
    (sigma, scale_d): (f32, f32),
    step: usize,
    block: usize,
    (width, height): (usize, usize),
) -> Vec<Candidate> {
    // All in grid units (grid pixels, σ in grid steps); positions back in px.
    let grid_sigma = sigma / step as f32;
    let noise = NoiseMap::new(grid, block.div_ceil(step));
    let hessian_step = grid_sigma.round().max(1.0) as usize;
    let window = grid.window();
    // No maximum darker than MIN_PEAK_DARKNESS is accepted: the maxima search skips the
    // pixels below it (most of the skin) without comparing their neighbours.
    laplacian_maxima(grid, grid_sigma, MIN_PEAK_DARKNESS, |x, y, r| {
        // (MIN_PEAK_DARKNESS is the maxima search's floor.)
        if grid.get(x, y) < PEAK_NOISE_SIGMAS * noise.at(x, y) {
            return None;
        }
        let ridge = blob_ratio(&window, x, y, hessian_step) < MIN_BLOB_EIGEN_RATIO;
        let (ox, oy) = peak_offset(grid, x, y);
        let at = |g: usize, o: f32, size: usize| {
            (((g as f32 + o) * step as f32).round() as usize).min(size - 1)
        };
        Some(Candidate {
            x: at(x, ox, width),
            y: at(y, oy, height),
            response: r,
            diameter: scale_d,
            ridge,
        })
    })
}

/// How many blob candidates the blob scales find in darkness plane `d` around the typical dot
/// diameter `diameter_px` (px), before their centres are tested and the weaker of two close
/// ones suppressed: the blob search alone, for benchmarks.
pub fn count_blob_candidates(d: &Plane, diameter_px: f32) -> usize {
    detect(d, diameter_px).len()
}

/// The σ (in grid steps of `step` px) of the blur that takes a plane smoothed at σ′ =
/// `from_sigma` px, taken at every `step`-th pixel, to the plane smoothed at σ = `sigma` px on
/// that grid: √(σ² − σ′²) / step, the Gaussians' σ² adding up.
///
/// Taking the grid before that blur loses nothing the grid could hold: the blob scales grow
/// by at most 1.43×, and a grid step is at most σ/2 ([`blob_grid_step`]), so σ′ spans at
/// least 1.4 steps, and what the grid cannot hold was damped to under 10⁻⁴ (e^(−2π²·0.7²))
/// by σ′ already.
fn coarser_sigma(from_sigma: f32, sigma: f32, step: usize) -> f32 {
    (sigma * sigma - from_sigma * from_sigma).sqrt() / step as f32
}

/// How far (px, whole rows) around candidate `c` [`centre_is_filled`] reads.
pub(super) fn centre_reach(c: &Candidate) -> usize {
    centre_radius(c).ceil() as usize
}

/// The radius (px) of candidate `c`'s centre disc: a quarter of its diameter.
fn centre_radius(c: &Candidate) -> f32 {
    0.25 * c.diameter
}

/// Whether candidate `c`'s centre is filled: `flood` (D lightly smoothed) at the candidate at
/// least [`CENTRE_FILL_RATIO`] of its darkest within a quarter of the candidate's diameter.
/// `flood` holds the rows [`centre_reach`] around the candidate (as far as the plane goes).
pub(super) fn centre_is_filled(flood: &RowWindow, c: &Candidate) -> bool {
    flood.get(c.x, c.y) >= CENTRE_FILL_RATIO * disc_max(flood, c.x, c.y, centre_radius(c))
}

/// Strongest first, drops candidates within [`NMS_RADIUS_DIAMETERS`] of a kept dot's diameter
/// (or their own): the indices of those kept, in `candidates`, strongest first. Where the hair
/// lines are known (`hair_lines`, a flag per pixel of the `width` × `height` plane), a
/// candidate that answers to a cluster of touching dots (see [`clusters::is_cluster`]) that no
/// hair line crosses is dropped first, so that it suppresses none of them. Deterministic: ties
/// break on position, then on order in `candidates`.
pub(super) fn suppress(
    candidates: &[Candidate],
    (width, height): (usize, usize),
    diameter_px: f32,
    hair_lines: Option<&[bool]>,
) -> Vec<usize> {
    // A stable sort on all threads: the same order as `sort_by` (equal keys keep their
    // order), in about half the time on two (a 24 MP photo's centred candidates took 6 ms).
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.par_sort_by(|&i, &j| {
        let (a, b) = (&candidates[i], &candidates[j]);
        b.response
            .total_cmp(&a.response)
            .then(a.y.cmp(&b.y))
            .then(a.x.cmp(&b.x))
    });
    let largest = super::largest_dot_px(diameter_px);
    let cell = (NMS_RADIUS_DIAMETERS * largest).ceil().max(1.0) as usize;
    let gw = width / cell + 1;
    let gh = height / cell + 1;
    let cluster = match hair_lines {
        Some(lines) => clusters(candidates, cell, (width, height), lines),
        None => vec![false; candidates.len()],
    };
    let mut grid: Vec<Vec<usize>> = vec![Vec::new(); gw * gh];
    let mut kept: Vec<usize> = Vec::new();
    'next: for i in order {
        if cluster[i] {
            continue;
        }
        let c = &candidates[i];
        let (cx, cy) = (c.x / cell, c.y / cell);
        for gy in cy.saturating_sub(1)..=(cy + 1).min(gh - 1) {
            for gx in cx.saturating_sub(1)..=(cx + 1).min(gw - 1) {
                for &k in &grid[gy * gw + gx] {
                    let other = &candidates[k];
                    let dist2 = (c.x as f32 - other.x as f32).powi(2)
                        + (c.y as f32 - other.y as f32).powi(2);
                    let radius = NMS_RADIUS_DIAMETERS * other.diameter.max(c.diameter);
                    if dist2 < radius * radius {
                        continue 'next;
                    }
                }
            }
        }
        grid[cy * gw + cx].push(i);
        kept.push(i);
    }
    kept
}

/// Ratio of the weaker to the stronger (negative) Hessian eigenvalue at (x, y), with finite
/// differences of `step` px: ≈ 1 for a round blob, ≈ 0 on a ridge, ≤ 0 on a saddle. `p`
/// holds rows `y` − `step` to `y` + `step` (as far as the plane goes).
fn blob_ratio(p: &RowWindow, x: usize, y: usize, step: usize) -> f32 {
    let h = step
        .min(x)
        .min(y)
        .min(p.width - 1 - x)
        .min(p.height - 1 - y);
    if h == 0 {
        return 1.0;
    }
    let v = |dx: isize, dy: isize| {
        p.get(
            (x as isize + dx * h as isize) as usize,
            (y as isize + dy * h as isize) as usize,
        )
    };
    let c = v(0, 0);
    let dxx = v(1, 0) - 2.0 * c + v(-1, 0);
    let dyy = v(0, 1) - 2.0 * c + v(0, -1);
    let dxy = (v(1, 1) - v(1, -1) - v(-1, 1) + v(-1, -1)) / 4.0;
    let (strong, weak) = super::hessian_eigenvalues(dxx, dyy, dxy);
    if strong >= 0.0 {
        return 0.0;
    }
    weak / strong
}

/// Largest value of `p` over the disc of `radius` px around (x, y).
fn disc_max(p: &RowWindow, x: usize, y: usize, radius: f32) -> f32 {
    let mut best = f32::NEG_INFINITY;
    for_each_in_ring(
        (x, y),
        0.0,
        f64::from(radius),
        (p.width, p.height),
        |xx, yy| {
            best = best.max(p.get(xx, yy));
        },
    );
    best
}

/// Mean of `value(x, y)` over the disc of `radius` px around pixel (`x`, `y`) of a `size`
/// (width, height) grid (summed in f64); 0 when the disc holds no pixel.
pub(super) fn disc_mean(
    value: impl Fn(usize, usize) -> f32,
    size: (usize, usize),
    (x, y): (usize, usize),
    radius: f32,
) -> f32 {
    let (mut sum, mut n) = (0f64, 0u32);
    for_each_in_ring((x, y), 0.0, f64::from(radius), size, |xx, yy| {
        sum += f64::from(value(xx, yy));
        n += 1;
    });
    if n == 0 {
        0.0
    } else {
        (sum / f64::from(n)) as f32
    }
}

#[cfg(test)]
mod tests;

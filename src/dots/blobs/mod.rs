//! Blob candidates: scale-normalised Laplacian-of-Gaussian maxima over a few scales, kept where
//! dark enough and darkest at their centre, strongest first, each marked when it sits on a ridge.
//! The maxima themselves are found in `maxima`.

mod maxima;

use rayon::prelude::*;

use super::{
    blob_grid_step, BLOB_SCALES, BLOB_SIGMA_DIAMETERS, CENTRE_FILL_RATIO, MIN_BLOB_EIGEN_RATIO,
    MIN_PEAK_DARKNESS, NMS_RADIUS_DIAMETERS, NOISE_BLOCK_DIAMETERS, PEAK_NOISE_SIGMAS,
};
use crate::grid::BlockAxis;
use crate::plane::{for_each_in_ring, Plane};
use crate::prefetch::prefetch_square;
use crate::quantile::quantile;
use maxima::{laplacian_maxima, peak_offset};

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
                // The skin field sits at the skin's median, so skin straddles 0 while pigment
                // only adds darkness: the negative side is skin alone, however dense the dots.
                // (One gathering buffer per thread, reused from block to block.)
                below.clear();
                // Every row: the noise sets the threshold of the faintest dots, and a sample
                // of rows let a hair crossing through on a real photo (see
                // tests/real_photos.rs).
                for y in y0..y1 {
                    extend_negated_negatives(below, &p.row(y)[x0..x1]);
                }
                (below.len() >= 32).then(|| 1.4826 * quantile(below, 0.5))
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

/// Appends −v for every v < 0 of `row` to `values`, in order. Branch-free: each value is
/// written, and the end moves on past it only if it was negative (on skin the sign is a coin
/// toss, which a filter's branch mispredicts; the three full-resolution scales' noise maps of
/// a 24 MP photo took 92 ms of one core that way, 84 ms this way).
fn extend_negated_negatives(values: &mut Vec<f32>, row: &[f32]) {
    let start = values.len();
    values.resize(start + row.len(), 0.0);
    let out = &mut values[start..];
    let mut end = 0;
    for &v in row {
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
/// yet suppressed (see [`centred_and_suppressed`]). `smoothed` is a buffer for each
/// full-resolution scale's smoothing, reused (its contents are overwritten).
///
/// A scale above [`super::MAX_PIXEL_SEARCH_BLOB_SCALE`] is searched on a grid of every
/// [`blob_grid_step`]-th pixel of its smoothed plane, smoothed on that grid only (see
/// [`blob_smoothings`]). Each
/// of its candidates lies where the parabolas through the grid's responses around its maximum
/// peak ([`peak_offset`]), rounded to the nearest pixel. As at every pixel, the outermost grid
/// rows and columns hold no maximum: a grid scale finds no candidate within a step of the
/// photo's edge (up to two at the right and bottom), where the finer scales still look. Its
/// noise blocks count grid pixels, each standing for step² pixels.
pub(super) fn detect(d: &Plane, diameter_px: f32, smoothed: &mut Plane) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    let block = ((NOISE_BLOCK_DIAMETERS * diameter_px).round() as usize).max(16);
    blob_smoothings(d, diameter_px, smoothed, |factor, sigma, step, smoothed| {
        let scale_d = diameter_px * factor;
        // Below, all in grid units (grid pixels, σ in grid steps); positions back in px.
        let grid_sigma = sigma / step as f32;
        let noise = NoiseMap::new(smoothed, block.div_ceil(step));
        let hessian_step = grid_sigma.round().max(1.0) as usize;
        // No maximum darker than MIN_PEAK_DARKNESS is accepted: the maxima search skips the
        // pixels below it (most of the skin) without comparing their neighbours.
        candidates.extend(laplacian_maxima(
            smoothed,
            grid_sigma,
            MIN_PEAK_DARKNESS,
            |x, y, r| {
                // (MIN_PEAK_DARKNESS is the maxima search's floor.)
                if smoothed.get(x, y) < PEAK_NOISE_SIGMAS * noise.at(x, y) {
                    return None;
                }
                let ridge = blob_ratio(smoothed, x, y, hessian_step) < MIN_BLOB_EIGEN_RATIO;
                let (x, y) = if step == 1 {
                    (x, y)
                } else {
                    let (ox, oy) = peak_offset(smoothed, x, y);
                    let at = |g: usize, o: f32, size: usize| {
                        (((g as f32 + o) * step as f32).round() as usize).min(size - 1)
                    };
                    (at(x, ox, d.width), at(y, oy, d.height))
                };
                Some(Candidate {
                    x,
                    y,
                    response: r,
                    diameter: scale_d,
                    ridge,
                })
            },
        ));
    });
    candidates
}

/// The darkness plane `d` smoothed at each blob scale in turn (σ = [`BLOB_SIGMA_DIAMETERS`] ×
/// the scale's multiple of `diameter_px`, px), on the scale's grid ([`blob_grid_step`]):
/// `visit(factor, σ px, step px, plane)` for each of [`BLOB_SCALES`], the plane holding the
/// smoothed value at pixel (`i·step`, `j·step`) at (`i`, `j`). `smoothed` is the buffer of the
/// full-resolution scales, reused (its contents are overwritten).
///
/// A grid scale is smoothed from the previous scale's plane where it can be: taken at this
/// scale's grid, then blurred there by √(σ² − σ′²), σ′ the previous scale's σ (a quarter of
/// the work of blurring `d` at σ on the grid; why the grid may be taken first: see
/// `coarser_sigma`). Its values then differ from those of the whole blur of `d` by the
/// kernels' truncation at 3σ, a few 10⁻⁴ of the plane's range.
pub fn blob_smoothings(
    d: &Plane,
    diameter_px: f32,
    smoothed: &mut Plane,
    mut visit: impl FnMut(f32, f32, usize, &Plane),
) {
    // One smoothing buffer for the full-resolution scales: a fresh 4 B/px plane per scale is
    // slow to allocate. The coarse scales' grids share small buffers of their own: held in
    // `smoothed`, the buffer would be handed on shrunk, and growing it back to a full plane
    // (for the flood plane) cost a sequential zeroing of three quarters of it.
    let (mut grid, mut decimated) = (Plane::default(), Plane::default());
    // The σ (px) and grid step of the plane the previous scale left in `smoothed` (step 1) or
    // `grid`.
    let mut previous: Option<(f32, usize)> = None;
    for factor in BLOB_SCALES {
        let sigma = (BLOB_SIGMA_DIAMETERS * (diameter_px * factor)).max(0.5);
        let step = blob_grid_step(factor, sigma);
        let plane = match previous {
            _ if step == 1 => {
                d.gaussian_blur_into(sigma, smoothed);
                &*smoothed
            }
            Some((from_sigma, from_step))
                if step.is_multiple_of(from_step) && from_sigma < sigma =>
            {
                let source = if from_step == 1 { &*smoothed } else { &grid };
                source.gaussian_blur_sampled_into(0.0, step / from_step, &mut decimated);
                decimated.gaussian_blur_into(coarser_sigma(from_sigma, sigma, step), &mut grid);
                &grid
            }
            // (Only if the scales were not in increasing order: a grid scale with no finer
            // plane before it on a grid it divides.)
            _ => {
                d.gaussian_blur_sampled_into(sigma, step, &mut grid);
                &grid
            }
        };
        visit(factor, sigma, step, plane);
        previous = Some((sigma, step));
    }
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

/// How many candidates ahead [`centred_and_suppressed`] hints a candidate's centre disc.
const PREFETCH_CANDIDATES_AHEAD: usize = 2;

/// The candidates of [`detect`] whose centre is filled (at least [`CENTRE_FILL_RATIO`] of the
/// darkest of `flood`, D lightly smoothed, within a quarter of the candidate's diameter), then
/// [`suppress`]ed. Separate from `detect` so that the flood plane is made only once the blob
/// scales are done with their smoothing buffer, in that buffer (a 4 B/px plane less at the
/// peak of memory).
pub(super) fn centred_and_suppressed(
    candidates: Vec<Candidate>,
    flood: &Plane,
    diameter_px: f32,
) -> Vec<Candidate> {
    let centre_radius = |c: &Candidate| 0.25 * c.diameter;
    // The disc of the candidate a few ahead is hinted into the cache (see `crate::prefetch`):
    // consecutive candidates lie far apart on the plane (scale by scale, each in raster
    // order), and the test waited on the misses of each disc's rows.
    let filled: Vec<bool> = candidates
        .par_iter()
        .enumerate()
        .map(|(i, c)| {
            if let Some(ahead) = candidates.get(i + PREFETCH_CANDIDATES_AHEAD) {
                let reach = centre_radius(ahead).ceil() as usize;
                prefetch_square(&flood.data, flood.width, (ahead.x, ahead.y), reach);
            }
            flood.get(c.x, c.y) >= CENTRE_FILL_RATIO * disc_max(flood, c.x, c.y, centre_radius(c))
        })
        .collect();
    let centred: Vec<Candidate> = candidates
        .into_iter()
        .zip(filled)
        .filter(|(_, filled)| *filled)
        .map(|(c, _)| c)
        .collect();
    suppress(centred, flood.width, flood.height, diameter_px)
}

/// Strongest first, drops candidates within [`NMS_RADIUS_DIAMETERS`] of a kept dot's diameter
/// (or their own). Deterministic: ties break on position.
pub(super) fn suppress(
    mut candidates: Vec<Candidate>,
    width: usize,
    height: usize,
    diameter_px: f32,
) -> Vec<Candidate> {
    // A stable sort on all threads: the same order as `sort_by` (equal keys keep their
    // order), in about half the time on two (a 24 MP photo's centred candidates took 6 ms).
    candidates.par_sort_by(|a, b| {
        b.response
            .total_cmp(&a.response)
            .then(a.y.cmp(&b.y))
            .then(a.x.cmp(&b.x))
    });
    let largest = diameter_px * BLOB_SCALES[BLOB_SCALES.len() - 1];
    let cell = (NMS_RADIUS_DIAMETERS * largest).ceil().max(1.0) as usize;
    let gw = width / cell + 1;
    let gh = height / cell + 1;
    let mut grid: Vec<Vec<usize>> = vec![Vec::new(); gw * gh];
    let mut kept: Vec<Candidate> = Vec::new();
    'next: for c in candidates {
        let (cx, cy) = (c.x / cell, c.y / cell);
        for gy in cy.saturating_sub(1)..=(cy + 1).min(gh - 1) {
            for gx in cx.saturating_sub(1)..=(cx + 1).min(gw - 1) {
                for &k in &grid[gy * gw + gx] {
                    let other = kept[k];
                    let dist2 = (c.x as f32 - other.x as f32).powi(2)
                        + (c.y as f32 - other.y as f32).powi(2);
                    let radius = NMS_RADIUS_DIAMETERS * other.diameter.max(c.diameter);
                    if dist2 < radius * radius {
                        continue 'next;
                    }
                }
            }
        }
        grid[cy * gw + cx].push(kept.len());
        kept.push(c);
    }
    kept
}

/// Ratio of the weaker to the stronger (negative) Hessian eigenvalue at (x, y), with finite
/// differences of `step` px: ≈ 1 for a round blob, ≈ 0 on a ridge, ≤ 0 on a saddle.
fn blob_ratio(p: &Plane, x: usize, y: usize, step: usize) -> f32 {
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
fn disc_max(p: &Plane, x: usize, y: usize, radius: f32) -> f32 {
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

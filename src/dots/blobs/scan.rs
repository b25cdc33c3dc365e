//! The blob scales searched at every pixel, strip by strip as D is blurred: the smoothed plane
//! is never stored. Each strip spans whole rows of noise blocks, so that its blocks' noise, its
//! maxima and their tests all read the strip's own window of blurred rows.

use std::ops::Range;

use super::maxima::{strip_maxima, MAXIMA_STRIP_ROWS};
use super::{blob_ratio, block_noise, Candidate};
use super::{MIN_BLOB_EIGEN_RATIO, MIN_PEAK_DARKNESS, PEAK_NOISE_SIGMAS};
use crate::dots::noise::NoiseHistogram;
use crate::grid::BlockAxis;
use crate::plane::{Plane, RowWindow};

/// What one strip of a full-resolution scale found.
struct StripFinds {
    /// Whether any of the strip's noise blocks held too little skin for a noise of its own.
    block_without_noise: bool,
    /// The candidates, in raster order, each with its smoothed darkness if its block had no
    /// noise of its own (its test against the whole plane's noise waits for the other strips).
    candidates: Vec<(Candidate, Option<f32>)>,
}

/// The candidates of a blob scale searched at every pixel (see [`super::detect`]), in raster
/// order: maxima of −σ²∇² of `d` smoothed at σ = `sigma` px, for dots `scale_d` px across,
/// tested against the noise of blocks of `block` px. With `grid = Some((step, plane))`, the
/// smoothed value at every `step`-th pixel of every `step`-th row is written into `plane`
/// (⌈width / step⌉ × ⌈height / step⌉, as [`Plane::gaussian_blur_sampled_into`] at σ 0 takes it
/// from the stored plane, bit for bit): the next scale's grid.
///
/// The same candidates as searching the stored smoothed plane, bit for bit: each strip's
/// window holds the whole blur's rows (see [`Plane::gaussian_blur_in_strips`]), and a block
/// with too little skin takes the noise of the whole smoothed plane from the histograms of all
/// the strips, blurred a second time only then (see [`NoiseHistogram`]).
pub(super) fn full_resolution_candidates(
    d: &Plane,
    (sigma, scale_d): (f32, f32),
    block: usize,
    grid: Option<(usize, &mut Plane)>,
) -> Vec<Candidate> {
    let (w, h) = (d.width, d.height);
    let (columns, block_rows) = (BlockAxis::new(w, block), BlockAxis::new(h, block));
    let hessian_step = sigma.round().max(1.0) as usize;
    // Rows held around a strip: the maxima read two rows beyond it (the response's rows
    // around it, and theirs), the ridge test `hessian_step`.
    let halo = hessian_step.max(2);
    // Strips of whole block rows, about as long as the blur's own strips.
    let per_strip = d
        .blur_strip_rows(sigma, halo)
        .div_ceil(block_rows.block())
        .max(1);
    let strips: Vec<Range<usize>> = (0..block_rows.cells())
        .step_by(per_strip)
        .map(|first| {
            let last = (first + per_strip).min(block_rows.cells()) - 1;
            block_rows.span(first).0..block_rows.span(last).1
        })
        .collect();
    // The next scale's grid, written in place: each strip gets the grid rows that lie in it.
    let grid_step = grid.as_ref().map(|(step, _)| *step);
    let mut grid_parts: Vec<&mut [f32]> = Vec::new();
    if let Some((step, plane)) = grid {
        (plane.width, plane.height) = (w.div_ceil(step), h.div_ceil(step));
        // Every value is overwritten by the strips.
        plane.data.resize(plane.width * plane.height, 0.0);
        let mut rest = plane.data.as_mut_slice();
        for ys in &strips {
            let rows = ys.end.div_ceil(step) - ys.start.div_ceil(step);
            let (part, after) = rest.split_at_mut(rows * plane.width);
            grid_parts.push(part);
            rest = after;
        }
    }
    grid_parts.resize_with(strips.len(), Default::default);
    let work = strips.iter().cloned().zip(grid_parts).collect();
    let s2 = sigma * sigma;
    // The noise is sampled on the grid a plane smoothed at σ can be taken at without aliasing
    // (a grid scale's noise is sampled on its own grid): neighbouring values closer than σ/2
    // are nearly the same value, and add nothing to the median's precision.
    let noise_step = crate::dots::unaliased_grid_step(sigma);
    let searched = w >= 3 && h >= 3;
    let finds = d.gaussian_blur_in_strips_with(sigma, halo, work, |window, ys, grid_part| {
        // The strip's blocks' noise, block row by block row.
        let mut below = Vec::new();
        let first_block_row = block_rows.cell_of(ys.start);
        let noise: Vec<Option<f32>> = (first_block_row..)
            .map(|r| block_rows.span(r))
            .take_while(|&(y0, _)| y0 < ys.end)
            .flat_map(|(y0, y1)| (0..columns.cells()).map(move |c| (columns.span(c), (y0, y1))))
            .map(|((x0, x1), (y0, y1))| {
                block_noise(
                    &mut below,
                    (y0..y1).map(|y| &window.row(y)[x0..x1]),
                    noise_step,
                )
            })
            .collect();
        let mut candidates = Vec::new();
        if searched {
            // The interior rows of the strip, a few at a time (the response buffer stays
            // small).
            let interior = ys.start.max(1)..ys.end.min(h - 1);
            let (mut response, mut maxima) = (Vec::new(), Vec::new());
            for first in interior.clone().step_by(MAXIMA_STRIP_ROWS) {
                let rows = first..(first + MAXIMA_STRIP_ROWS).min(interior.end);
                strip_maxima(
                    window,
                    s2,
                    MIN_PEAK_DARKNESS,
                    rows,
                    &mut response,
                    &mut maxima,
                );
            }
            for (x, y, response) in maxima {
                let block = (block_rows.cell_of(y) - first_block_row) * columns.cells()
                    + columns.cell_of(x);
                let v = window.get(x, y);
                // (MIN_PEAK_DARKNESS is the maxima search's floor.)
                if noise[block].is_some_and(|sigma| v < PEAK_NOISE_SIGMAS * sigma) {
                    continue;
                }
                let candidate = Candidate {
                    x,
                    y,
                    response,
                    diameter: scale_d,
                    ridge: blob_ratio(window, x, y, hessian_step) < MIN_BLOB_EIGEN_RATIO,
                };
                candidates.push((candidate, noise[block].is_none().then_some(v)));
            }
        }
        if let Some(step) = grid_step {
            let grid_rows = ys.filter(|y| y.is_multiple_of(step));
            for (y, out) in grid_rows.zip(grid_part.chunks_exact_mut(w.div_ceil(step))) {
                for (o, &v) in out.iter_mut().zip(window.row(y).iter().step_by(step)) {
                    *o = v;
                }
            }
        }
        StripFinds {
            block_without_noise: noise.iter().any(Option::is_none),
            candidates,
        }
    });
    // Blocks with too little skin take the whole smoothed plane's noise, which takes a second
    // blur of it, only if one does.
    let global = finds
        .iter()
        .any(|strip| strip.block_without_noise)
        .then(|| whole_plane_noise(d, sigma, &strips));
    finds
        .into_iter()
        .flat_map(|strip| strip.candidates)
        .filter(|(_, v)| match (v, global) {
            (Some(v), Some(sigma)) => *v >= PEAK_NOISE_SIGMAS * sigma,
            _ => true,
        })
        .map(|(candidate, _)| candidate)
        .collect()
}

/// [`crate::dots::skin_noise`] of `d` smoothed at σ = `sigma` px, blurred in `strips` (which
/// cover its rows once) without being stored.
fn whole_plane_noise(d: &Plane, sigma: f32, strips: &[Range<usize>]) -> f32 {
    d.gaussian_blur_in_strips(sigma, 0, strips, |window: &RowWindow, ys| {
        let mut histogram = NoiseHistogram::new();
        for y in ys {
            histogram.add_row(window.row(y));
        }
        histogram
    })
    .into_iter()
    .fold(NoiseHistogram::new(), NoiseHistogram::merged)
    .robust_sigma()
}

//! The blob search's maxima: −σ²∇² of a smoothed plane (the scale-normalised Laplacian of
//! Gaussian), its strict local maxima found strip by strip without a full-size response plane,
//! and the sub-pixel offset of a peak on a grid.

use rayon::prelude::*;

use crate::plane::{Plane, RowWindow};

/// Row `y` of −σ²∇²p, the scale-normalised Laplacian of an already smoothed plane (positive on
/// dark blobs; `s2` = σ²), edges clamped, into `out`.
#[cfg(test)]
pub(super) fn laplacian_row(p: &RowWindow, y: usize, s2: f32, out: &mut [f32]) {
    laplacian_span(p, y, s2, 0..p.width, out);
}

/// Pixels `xs` of row `y` of −σ²∇²p (see `laplacian_row`) into the same places of `out`, a
/// row's worth of values; the others are left as they are. `p` holds rows `y` − 1 to `y` + 1
/// (as far as the plane goes).
#[inline(always)]
pub(super) fn laplacian_span(
    p: &RowWindow,
    y: usize,
    s2: f32,
    xs: std::ops::Range<usize>,
    out: &mut [f32],
) {
    let (w, h) = (p.width, p.height);
    let up = p.row(y.saturating_sub(1));
    let mid = p.row(y);
    let down = p.row((y + 1).min(h - 1));
    let at = |x: usize| {
        let l = mid[x.saturating_sub(1)];
        let r = mid[(x + 1).min(w - 1)];
        -s2 * (l + r + up[x] + down[x] - 4.0 * mid[x])
    };
    // The pixels with both neighbours in the row, without clamped indices, as zipped slices,
    // so that they vectorise (the same sums in the same order as `at`); the row's ends by `at`.
    let inner = xs.start.max(1)..xs.end.min(w.saturating_sub(1));
    if inner.is_empty() {
        for x in xs {
            out[x] = at(x);
        }
        return;
    }
    for x in (xs.start..inner.start).chain(inner.end..xs.end) {
        out[x] = at(x);
    }
    let (a, b) = (inner.start, inner.end);
    let pixels = out[a..b]
        .iter_mut()
        .zip(mid[a - 1..b + 1].windows(3))
        .zip(up[a..b].iter().zip(&down[a..b]));
    for ((o, m), (u, d)) in pixels {
        *o = -s2 * (m[0] + m[2] + u + d - 4.0 * m[1]);
    }
}

/// Sub-pixel offset (each in −0.5..=0.5 grid px) of the peak of −∇²p at the interior maximum
/// (`x`, `y`) of the response: the vertex of the parabola through the response there and at
/// its two neighbours, along each axis (σ² scaling cancels out).
pub(super) fn peak_offset(p: &Plane, x: usize, y: usize) -> (f32, f32) {
    let lap = |x: usize, y: usize| {
        -(p.get(x - 1, y) + p.get(x + 1, y) + p.get(x, y - 1) + p.get(x, y + 1) - 4.0 * p.get(x, y))
    };
    let vertex = |before: f32, at: f32, after: f32| {
        let curvature = before - 2.0 * at + after;
        let offset = 0.5 * (before - after) / curvature;
        // (Not finite only for an infinite response, which darkness never gives: then no
        // offset rather than a NaN that would move the candidate to the photo's edge.)
        if curvature < 0.0 && offset.is_finite() {
            offset.clamp(-0.5, 0.5)
        } else {
            0.0
        }
    };
    let c = lap(x, y);
    let inside_x = x >= 2 && x + 2 < p.width;
    let inside_y = y >= 2 && y + 2 < p.height;
    (
        if inside_x {
            vertex(lap(x - 1, y), c, lap(x + 1, y))
        } else {
            0.0
        },
        if inside_y {
            vertex(lap(x, y - 1), c, lap(x, y + 1))
        } else {
            0.0
        },
    )
}

/// Rows per task of [`laplacian_maxima`].
pub(super) const MAXIMA_STRIP_ROWS: usize = 32;
/// Pixels per chunk of a row in [`laplacian_maxima`]: a chunk with no pixel at its floor is
/// skipped. Short enough that most chunks of skin between dots hold none (dots ≈ 12 px across,
/// ≈ 35 px apart at 25 px/mm), long enough that the per-chunk work still vectorises.
pub(super) const MAXIMA_CHUNK_PX: usize = 32;

/// `accept(x, y, response)` of every strict local maximum ≥ 0 of −σ²∇²p (the smoothed plane
/// `p` at scale `sigma`, px) where p ≥ `floor` that it accepts, in raster order. Plateaus yield
/// their first pixel in raster order; the outermost rows and columns are never maxima.
///
/// Strip-parallel and fused: the response is computed a strip of rows at a time (plus one row
/// either side) and each maximum is judged at once, so neither a full-size response plane nor
/// the millions of maxima that noise makes are ever stored. Only where it can hold a maximum:
/// each row is cut into chunks of [`MAXIMA_CHUNK_PX`], a chunk with no pixel at the floor is
/// never judged, and the response is computed only around the chunks judged. Most of a
/// photo's skin is below the floor: about half the chunks are skipped, and a full-resolution
/// scale of a 24 MP photo is searched in 36 ms of one core (46 ms judging every chunk, 42 ms
/// by whole rows).
pub(super) fn laplacian_maxima<T: Send>(
    p: &Plane,
    sigma: f32,
    floor: f32,
    accept: impl Fn(usize, usize, f32) -> Option<T> + Sync,
) -> Vec<T> {
    let (w, h) = (p.width, p.height);
    if w < 3 || h < 3 {
        return Vec::new();
    }
    let s2 = sigma * sigma;
    let p = &p.window();
    let strips = (h - 2).div_ceil(MAXIMA_STRIP_ROWS);
    (0..strips)
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new()),
            |(response, maxima), s| {
                let first = 1 + s * MAXIMA_STRIP_ROWS;
                let last = (first + MAXIMA_STRIP_ROWS).min(h - 1);
                maxima.clear();
                strip_maxima(p, s2, floor, first..last, response, maxima);
                maxima
                    .iter()
                    .filter_map(|&(x, y, v)| accept(x, y, v))
                    .collect::<Vec<T>>()
            },
        )
        .flatten_iter()
        .collect()
}

/// The maxima of [`laplacian_maxima`] (`s2` = σ²) in `rows` (interior rows of a plane at least
/// 3 × 3 px, of which `p` holds `rows` and 2 rows either side, as far as the plane goes), as
/// (x, y, response) in raster order, appended to `maxima`; `response` is a buffer (its
/// contents do not matter).
///
/// Compiled twice and chosen at run time, for CPUs with AVX2 (8 lanes) and for the rest (4):
/// the same IEEE operations (no fused multiply-add), so the same maxima on any CPU.
#[multiversion::multiversion(targets("x86_64+avx2"))]
pub(super) fn strip_maxima(
    p: &RowWindow,
    s2: f32,
    floor: f32,
    rows: std::ops::Range<usize>,
    response: &mut Vec<f32>,
    maxima: &mut Vec<(usize, usize, f32)>,
) {
    strip_maxima_body(p, s2, floor, rows, response, maxima);
}

/// The body of [`strip_maxima`], inlined into each of its versions and compiled there for that
/// version's CPU; called directly (by the tests) it is the version for every x86-64 CPU, which
/// the dispatch never picks on a CPU with AVX2.
#[inline(always)]
pub(super) fn strip_maxima_body(
    p: &RowWindow,
    s2: f32,
    floor: f32,
    rows: std::ops::Range<usize>,
    response: &mut Vec<f32>,
    maxima: &mut Vec<(usize, usize, f32)>,
) {
    let w = p.width;
    let (first, last) = (rows.start, rows.end);
    // Chunk c holds the interior pixels 1 + c·MAXIMA_CHUNK_PX .. (the last one fewer).
    let chunks = (w - 2).div_ceil(MAXIMA_CHUNK_PX);
    let chunk_pixels = |c: usize| {
        let x0 = 1 + c * MAXIMA_CHUNK_PX;
        x0..(x0 + MAXIMA_CHUNK_PX).min(w - 1)
    };
    // Per row of the strip and chunk, whether the chunk holds a pixel at the floor (NaN never
    // does, as in the test below).
    let judged: Vec<bool> = rows
        .clone()
        .flat_map(|y| {
            let row = p.row(y);
            (0..chunks).map(move |c| {
                row[chunk_pixels(c)]
                    .iter()
                    .fold(false, |any, &v| any | (v >= floor))
            })
        })
        .collect();
    let is_judged = |y: usize, c: usize| rows.contains(&y) && judged[(y - first) * chunks + c];
    // Response rows first − 1 ..= last (the rows above and below the strip included), each
    // computed over the chunks judged in it or in a row beside it, one pixel beyond them either
    // side; the rest of it is never read.
    response.resize((last - first + 2) * w, 0.0);
    for (k, out) in response.chunks_exact_mut(w).enumerate() {
        let y = first - 1 + k;
        for c in 0..chunks {
            if is_judged(y, c) || is_judged(y + 1, c) || y > 0 && is_judged(y - 1, c) {
                let xs = chunk_pixels(c);
                laplacian_span(p, y, s2, xs.start - 1..xs.end + 1, out);
            }
        }
    }
    // Per pixel of a chunk, whether it is a maximum: every test evaluated (no early exit), so
    // that the chunk's tests run as vector compares; the few maxima are then picked out of the
    // flags.
    let mut is_max = [false; MAXIMA_CHUNK_PX];
    for y in rows.clone() {
        let k = y - first + 1;
        let above = &response[(k - 1) * w..k * w];
        let row = &response[k * w..(k + 1) * w];
        let below = &response[(k + 1) * w..(k + 2) * w];
        let smoothed = p.row(y);
        for c in (0..chunks).filter(|&c| is_judged(y, c)) {
            let xs = chunk_pixels(c);
            let (x0, n) = (xs.start, xs.len());
            let mut any = false;
            for (i, flag) in is_max[..n].iter_mut().enumerate() {
                // Pixel x: strictly greater than neighbours before it in raster order, ≥ those
                // after; not negative, and on a plane at least `floor` dark.
                let x = x0 + i;
                let v = row[x];
                // (Never NaN: a NaN pixel fails `v > above[x]` either way.)
                *flag = (v >= 0.0)
                    & (smoothed[x] >= floor)
                    & (v > above[x - 1])
                    & (v > above[x])
                    & (v > above[x + 1])
                    & (v > row[x - 1])
                    & (v >= row[x + 1])
                    & (v >= below[x - 1])
                    & (v >= below[x])
                    & (v >= below[x + 1]);
                any |= *flag;
            }
            if !any {
                continue;
            }
            for (i, _) in is_max[..n].iter().enumerate().filter(|(_, m)| **m) {
                maxima.push((x0 + i, y, row[x0 + i]));
            }
        }
    }
}

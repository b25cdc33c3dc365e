//! The flood plane (D lightly smoothed, which the watershed floods) made strip by strip and
//! never stored: the watershed keeps only its levels (1 B/px), and each blob candidate's centre
//! test and value are read from the strips as they pass. Its values under the dot outlines,
//! the centroids' weights, are blurred again, row by row, once the outlines are known
//! ([`values_under`]).

use rayon::prelude::*;

use super::blobs::{centre_is_filled, centre_reach, Candidate};
use super::watershed::{flood_level, FloodLevels};
use crate::plane::{Plane, RowSource};

/// The flood plane, `d` blurred at σ = `sigma` px, as the watershed's levels over `floor`
/// (see [`flood_level`]); with, for each of `candidates` in order, the flood plane's value at
/// its pixel if its centre is filled ([`centre_is_filled`]), else none.
pub(super) fn flood_levels(
    d: &Plane,
    sigma: f32,
    floor: f32,
    candidates: &[Candidate],
) -> (FloodLevels, Vec<Option<f32>>) {
    let (w, h) = (d.width, d.height);
    // The candidates by row (stably: in their order within a row), each strip's found by
    // a search of its rows.
    let mut by_row: Vec<usize> = (0..candidates.len()).collect();
    by_row.sort_by_key(|&i| candidates[i].y);
    let halo = candidates.iter().map(centre_reach).max().unwrap_or(0);
    // Every value is overwritten by the strips.
    let mut levels = vec![0u8; w * h];
    let tested: Vec<Vec<(usize, Option<f32>)>> =
        d.gaussian_blur_strips(sigma, halo, &mut levels, |window, rows, out| {
            for (y, out_row) in rows.clone().zip(out.chunks_exact_mut(w)) {
                for (o, &v) in out_row.iter_mut().zip(window.row(y)) {
                    *o = flood_level(v, floor);
                }
            }
            let first = by_row.partition_point(|&i| candidates[i].y < rows.start);
            let end = by_row.partition_point(|&i| candidates[i].y < rows.end);
            by_row[first..end]
                .iter()
                .map(|&i| {
                    let c = &candidates[i];
                    (i, centre_is_filled(window, c).then(|| window.get(c.x, c.y)))
                })
                .collect()
        });
    let mut centred = vec![None; candidates.len()];
    for (i, value) in tested.into_iter().flatten() {
        centred[i] = value;
    }
    let levels = FloodLevels {
        levels,
        width: w,
        height: h,
    };
    (levels, centred)
}

/// Values at the flagged pixels of a mask, in raster order, with where each row's begin: what
/// [`values_under`] returns.
pub(super) struct ValuesUnder {
    /// One value per flagged pixel, in raster order.
    pub values: Vec<f32>,
    /// Per row of the mask, the index in `values` of its first flagged pixel's value.
    pub row_starts: Vec<usize>,
}

/// D blurred at σ = `sigma` px at the pixels of `mask` (one byte per pixel) that have bit
/// `flag` set, in raster order: the blurred plane is never stored, and the values are written
/// straight into their places (each row's first place counted beforehand, and returned with
/// them). The same values as reading them from the stored blurred plane, bit for bit.
pub(super) fn values_under(d: RowSource, sigma: f32, mask: &[u8], flag: u8) -> ValuesUnder {
    let (width, height) = d.size();
    assert_eq!(mask.len(), width * height, "a byte per pixel");
    let flagged = |b: &u8| b & flag != 0;
    let mut starts: Vec<usize> = mask
        .par_chunks(width.max(1))
        .map(|row| row.iter().filter(|b| flagged(b)).count())
        .collect();
    let mut total = 0;
    for start in &mut starts {
        (*start, total) = (total, total + *start);
    }
    let mut bits = vec![0u32; total];
    {
        // Each row writes its own places (see super::atomic_view).
        let shared = super::atomic_view::u32s(&mut bits);
        // The blur's output is the values' places, not one item per pixel: it is handed
        // items of no size (no allocation), and the rows write through `shared`.
        let mut nothing = vec![(); width * height];
        d.gaussian_blur_rows(sigma, &mut nothing, |y, blurred, _| {
            let mut at = starts[y];
            let row = &mask[y * width..(y + 1) * width];
            crate::mask::for_each_run_in_row(row, flagged, crate::mask::no_byte_set, |xs| {
                for &v in &blurred[xs] {
                    shared[at].store(v.to_bits(), std::sync::atomic::Ordering::Relaxed);
                    at += 1;
                }
            });
        });
    }
    ValuesUnder {
        values: bits.into_iter().map(f32::from_bits).collect(),
        row_starts: starts,
    }
}

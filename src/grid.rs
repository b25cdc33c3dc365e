//! Blocks laid over an image for per-block statistics (the skin field, the noise map), and the
//! grid-wide operations on their values (filling gaps, the bound on how fast light can fall).
//! The blocks are centred on the image: the part-blocks left over are split between both ends of
//! each axis, so a photo turned a quarter or flipped is cut into the same blocks (to within one
//! pixel) and measures the same. A grid anchored at the top-left corner puts a thin part-block at the right and bottom
//! edges only, and a turned photo then gets a different field there.

use std::iter::StepBy;
use std::ops::Range;

/// Blocks of `block` px along one axis of `size` px, centred on the axis.
///
/// ```
/// use smptrack::grid::BlockAxis;
/// let axis = BlockAxis::new(150, 80);
/// assert_eq!(axis.cells(), 2);
/// assert_eq!(axis.span(0), (0, 75));
/// assert_eq!(axis.span(1), (75, 150));
/// assert_eq!(axis.cell_of(74), 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockAxis {
    block: usize,
    size: usize,
    cells: usize,
    /// How far the first full block's start lies before pixel 0 (px): half the spare length.
    offset: usize,
}

impl BlockAxis {
    /// Blocks of `block` px (at least 1) over `size` px: as many as it takes to cover the axis,
    /// with the spare length split between the first and the last block.
    pub fn new(size: usize, block: usize) -> Self {
        let block = block.max(1);
        let cells = size.div_ceil(block).max(1);
        let offset = (cells * block).saturating_sub(size) / 2;
        BlockAxis {
            block,
            size,
            cells,
            offset,
        }
    }

    /// Number of blocks.
    pub fn cells(&self) -> usize {
        self.cells
    }

    /// Nominal block length (px); the first and last blocks may be shorter.
    pub fn block(&self) -> usize {
        self.block
    }

    /// Pixels `start..end` of block `i`.
    pub fn span(&self, i: usize) -> (usize, usize) {
        let start = (i * self.block).saturating_sub(self.offset);
        let end = ((i + 1) * self.block)
            .saturating_sub(self.offset)
            .min(self.size);
        (start.min(end), end)
    }

    /// The block holding pixel `p`.
    pub fn cell_of(&self, p: usize) -> usize {
        ((p + self.offset) / self.block).min(self.cells - 1)
    }

    /// Centre of block `i` (px, pixel centres at p + 0.5).
    pub fn centre(&self, i: usize) -> f32 {
        let (start, end) = self.span(i);
        (start + end) as f32 / 2.0
    }

    /// For interpolating between block centres at pixel `p`: the block whose centre is at or
    /// before `p`'s centre and the weight of the next block (below 0 or above 1 beyond the
    /// outermost centres, for linear extrapolation). One block: (0, 0).
    pub fn locate(&self, p: usize) -> (usize, f32) {
        if self.cells < 2 {
            return (0, 0.0);
        }
        let pos = p as f32 + 0.5;
        let i = (((pos + self.offset as f32) / self.block as f32 - 0.5)
            .floor()
            .max(0.0) as usize)
            .min(self.cells - 2);
        let (c0, c1) = (self.centre(i), self.centre(i + 1));
        (i, (pos - c0) / (c1 - c0))
    }
}

/// [`BlockAxis::locate`] of every pixel along an axis, laid out for interpolating a whole row
/// at once: each pixel's weight of the next block centre, and the runs of pixels that lie
/// between the same two centres. Within a run the four block values are fixed, so the
/// per-pixel work is a short loop over contiguous weights that vectorises (looking up each
/// pixel's block, as `locate` per pixel did, made the skin field's interpolation the hottest
/// loop of the analysis).
#[derive(Clone, Debug)]
pub struct AxisWeights {
    /// Per pixel, the weight of the next block (see [`BlockAxis::locate`]).
    pub weights: Vec<f32>,
    /// Runs `(block, start, end)`: pixels `start..end` lie after block `block`'s centre (or
    /// before the second centre, at the start), in order, covering the axis.
    runs: Vec<(usize, usize, usize)>,
}

impl AxisWeights {
    /// The weights and runs of every pixel of `axis`.
    pub fn new(axis: &BlockAxis) -> Self {
        let mut weights = Vec::with_capacity(axis.size);
        let mut runs: Vec<(usize, usize, usize)> = Vec::new();
        for p in 0..axis.size {
            let (cell, weight) = axis.locate(p);
            weights.push(weight);
            match runs.last_mut() {
                Some((last, _, end)) if *last == cell => *end = p + 1,
                _ => runs.push((cell, p, p + 1)),
            }
        }
        AxisWeights { weights, runs }
    }

    /// The runs `(block, start, end)` that cover pixels `from..to`, clipped to them.
    pub fn runs_within(
        &self,
        from: usize,
        to: usize,
    ) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        // Runs are in order and cover the axis: the first that ends after `from` is found by
        // bisection (a single pixel's look-up, `SkinLookup::at`, asks for a span of one).
        let first = self.runs.partition_point(|&(_, _, end)| end <= from);
        self.runs[first..]
            .iter()
            .take_while(move |(_, start, _)| *start < to)
            .map(move |&(cell, start, end)| (cell, start.max(from), end.min(to)))
    }
}

/// The blocks within `reach` blocks of block `i` (row-major index) of a grid `gw × gh`, diagonals
/// included, itself among them, in row-major order: a block's neighbourhood, cut at the grid's
/// edges.
pub fn blocks_around(i: usize, gw: usize, gh: usize, reach: usize) -> impl Iterator<Item = usize> {
    let (x, y) = (i % gw, i / gw);
    let xs = x.saturating_sub(reach)..(x + reach + 1).min(gw);
    (y.saturating_sub(reach)..(y + reach + 1).min(gh))
        .flat_map(move |ny| xs.clone().map(move |nx| ny * gw + nx))
}

/// Over a `gw` × `gh` grid of block values (`None`: no value), the lowest value each block can
/// have if light falls by at most the fraction `max_step` per block from every other block: max
/// over blocks j of value_j × (1 − max_step)^(Chebyshev distance). For the skin field
/// (`crate::flatten::MAX_LIGHT_STEP`) a block below it is pigment, however much of it there is
/// (the inside of a solid bar several blocks wide has no skin to show in any statistic of its
/// own). Two chamfer passes in log space give the exact cone maximum in time linear in the blocks (less 0.01%, so that no
/// block is below its own value by rounding).
pub fn light_envelope(values: &[Option<f32>], gw: usize, gh: usize, max_step: f32) -> Vec<f32> {
    let fall = -(1.0 - max_step).ln();
    let mut floor: Vec<f32> = values
        .iter()
        .map(|v| v.map_or(f32::NEG_INFINITY, |v| v.max(1e-9).ln()))
        .collect();
    let forward = [(-1isize, 0isize), (-1, -1), (0, -1), (1, -1)];
    let relax = |bx: usize, by: usize, steps: &[(isize, isize)], floor: &mut [f32]| {
        for (dx, dy) in steps {
            let (x, y) = (bx as isize + dx, by as isize + dy);
            if x >= 0 && y >= 0 && (x as usize) < gw && (y as usize) < gh {
                let from = floor[y as usize * gw + x as usize] - fall;
                let here = &mut floor[by * gw + bx];
                *here = here.max(from);
            }
        }
    };
    for by in 0..gh {
        for bx in 0..gw {
            relax(bx, by, &forward, &mut floor);
        }
    }
    let backward = forward.map(|(dx, dy)| (-dx, -dy));
    for by in (0..gh).rev() {
        for bx in (0..gw).rev() {
            relax(bx, by, &backward, &mut floor);
        }
    }
    // A block's own value is part of the maximum: the margin keeps exp(ln v) rounding from
    // putting any block below itself.
    floor.into_iter().map(|f| (f - 1e-4).exp()).collect()
}

/// A `gw` × `gh` grid of block values with each `None` replaced by the mean of its available
/// 4-neighbours, growing outwards; 1.0 everywhere when no block has a value (an image with no
/// skin block at all: never happens with real skin).
pub fn fill_missing(values: &[Option<f32>], gw: usize, gh: usize) -> Vec<f32> {
    let mut current: Vec<Option<f32>> = values.to_vec();
    if current.iter().all(Option::is_none) {
        return vec![1.0; values.len()];
    }
    while current.iter().any(Option::is_none) {
        let previous = current.clone();
        for by in 0..gh {
            for bx in 0..gw {
                if previous[by * gw + bx].is_some() {
                    continue;
                }
                let mut sum = 0.0;
                let mut n = 0;
                for (dx, dy) in [(-1isize, 0isize), (1, 0), (0, -1), (0, 1)] {
                    let (x, y) = (bx as isize + dx, by as isize + dy);
                    if x >= 0 && y >= 0 && (x as usize) < gw && (y as usize) < gh {
                        if let Some(v) = previous[y as usize * gw + x as usize] {
                            sum += v;
                            n += 1;
                        }
                    }
                }
                if n > 0 {
                    current[by * gw + bx] = Some(sum / n as f32);
                }
            }
        }
    }
    current.into_iter().map(|v| v.unwrap_or(1.0)).collect()
}

/// Rows of `rows` (a block `width` px wide) to read a block statistic from: every n-th row,
/// n the largest step that keeps at least `min_rows` rows and, to within one row, at least
/// `samples` pixels (every row of a smaller block), starting half a step in so that the rows sit
/// evenly within the block. Whole rows, not a lattice of pixels: contiguous reads, and no phase
/// locked to a 2×2 colour filter mosaic.
///
/// ```
/// use smptrack::grid::sampled_rows;
/// // 100 × 100 px, 1000 samples, 16 rows: every 6th row, from row 2.
/// let rows: Vec<usize> = sampled_rows(0..100, 100, 1000, 16).collect();
/// assert_eq!(rows.len(), 17);
/// assert_eq!((rows[0], rows[1]), (2, 8));
/// // A block of 1000 px or fewer is read whole.
/// assert_eq!(sampled_rows(0..10, 100, 1000, 16).count(), 10);
/// ```
pub fn sampled_rows(
    rows: Range<usize>,
    width: usize,
    samples: usize,
    min_rows: usize,
) -> StepBy<Range<usize>> {
    let height = rows.len();
    let step = (height * width / samples.max(1))
        .min(height / min_rows.max(1))
        .max(1);
    (rows.start + (step - 1) / 2..rows.end).step_by(step)
}

#[cfg(test)]
mod tests {
    #[test]
    fn blocks_around_stay_within_the_grid() {
        let corner: Vec<usize> = super::blocks_around(0, 4, 3, 1).collect();
        assert_eq!(corner, [0, 1, 4, 5]);
        assert_eq!(super::blocks_around(5, 4, 3, 2).count(), 12);
        assert_eq!(super::blocks_around(5, 4, 3, 1).count(), 9);
    }

    #[test]
    fn axis_weights_are_locate_in_runs_that_cover_the_axis() {
        for (size, block) in [(150, 80), (1, 4), (7, 7), (100, 9), (33, 100)] {
            let axis = BlockAxis::new(size, block);
            let weights = AxisWeights::new(&axis);
            let runs: Vec<_> = weights.runs_within(0, size).collect();
            assert_eq!(runs.first().map(|r| r.1), Some(0));
            assert_eq!(runs.last().map(|r| r.2), Some(size));
            for pair in runs.windows(2) {
                assert_eq!(pair[0].2, pair[1].1, "runs are contiguous");
            }
            for &(cell, start, end) in &runs {
                for p in start..end {
                    assert_eq!(
                        axis.locate(p),
                        (cell, weights.weights[p]),
                        "{size}/{block} at {p}"
                    );
                }
            }
            // Clipped to a window inside one run and across runs.
            let window: Vec<_> = weights.runs_within(size / 2, size / 2 + 1).collect();
            assert_eq!(window.len(), 1);
            assert_eq!((window[0].1, window[0].2), (size / 2, size / 2 + 1));
            // Any span: the runs that overlap it, clipped, in order (found by bisection).
            for from in 0..=size {
                for to in from..=size.min(from + 25) {
                    let expected: Vec<_> = runs
                        .iter()
                        .filter(|(_, start, end)| *start < to && *end > from)
                        .map(|&(cell, start, end)| (cell, start.max(from), end.min(to)))
                        .collect();
                    let found: Vec<_> = weights.runs_within(from, to).collect();
                    assert_eq!(found, expected, "{size}/{block} span {from}..{to}");
                }
            }
        }
    }

    use super::*;
    use crate::flatten::MAX_LIGHT_STEP;

    /// Light may fall by up to the skin field's `MAX_LIGHT_STEP` per block; pigment blocks several blocks wide
    /// (no skin in them or their neighbours) fall far further and are set aside.
    #[test]
    fn the_light_envelope_keeps_falls_of_light_and_sets_aside_solid_pigment() {
        let (gw, gh) = (6, 5);
        let fall = |step: f32| -> Vec<Option<f32>> {
            (0..gw * gh)
                .map(|i| Some((1.0 - step).powi((i % gw) as i32)))
                .collect()
        };
        let below = |values: &[Option<f32>]| -> usize {
            let floor = light_envelope(values, gw, gh, MAX_LIGHT_STEP);
            values
                .iter()
                .zip(&floor)
                .filter(|(v, f)| v.unwrap() < **f)
                .count()
        };
        assert_eq!(below(&fall(MAX_LIGHT_STEP * 0.95)), 0);
        assert_eq!(below(&fall(MAX_LIGHT_STEP * 1.05)), gh * (gw - 1));
        // A solid bar two blocks wide and three long, 90% dark, on even light.
        let mut bar: Vec<Option<f32>> = vec![Some(0.5); gw * gh];
        for (bx, by) in [(2, 1), (3, 1), (2, 2), (3, 2), (2, 3), (3, 3)] {
            bar[by * gw + bx] = Some(0.05);
        }
        assert_eq!(below(&bar), 6);
        // Missing blocks neither raise nor lower anything.
        bar[0] = None;
        let floor = light_envelope(&bar, gw, gh, MAX_LIGHT_STEP)[0];
        assert!(
            (floor / (0.5 * (1.0 - MAX_LIGHT_STEP)) - 1.0).abs() < 2e-4,
            "{floor}"
        );
    }

    #[test]
    fn blocks_cover_the_axis_in_order_and_mirror() {
        for size in [1usize, 7, 80, 81, 150, 199, 200, 6000] {
            for block in [1usize, 4, 16, 80, 96, 300] {
                let axis = BlockAxis::new(size, block);
                let mut next = 0;
                for i in 0..axis.cells() {
                    let (start, end) = axis.span(i);
                    assert_eq!(start, next, "{size}/{block} block {i}");
                    assert!(end > start && end - start <= block.max(1));
                    for p in start..end {
                        assert_eq!(axis.cell_of(p), i);
                    }
                    next = end;
                }
                assert_eq!(next, size);
                // The first and last blocks differ by at most one pixel.
                let first = axis.span(0);
                let last = axis.span(axis.cells() - 1);
                let (a, b) = (first.1 - first.0, last.1 - last.0);
                assert!(a.abs_diff(b) <= 1, "{size}/{block}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn interpolation_weights_run_between_centres() {
        let axis = BlockAxis::new(200, 80);
        // Blocks 0..60, 60..140, 140..200: centres 30, 100, 170.
        let (i, w) = axis.locate(29);
        assert_eq!(i, 0);
        assert!((w + 0.5 / 70.0).abs() < 1e-6);
        let (i, w) = axis.locate(100);
        assert_eq!(i, 1);
        assert!((w - 0.5 / 70.0).abs() < 1e-6);
        let (i, w) = axis.locate(0);
        assert_eq!(i, 0);
        assert!(w < 0.0, "extrapolated before the first centre");
        let (i, w) = axis.locate(199);
        assert_eq!(i, 1);
        assert!(w > 1.0, "extrapolated beyond the last centre");
        assert_eq!(BlockAxis::new(50, 80).locate(10), (0, 0.0));
    }
}

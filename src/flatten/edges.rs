//! A skin field that follows a tone edge: in the blocks that lie on a sharp change of the
//! skin's own tone (a scar, a birthmark: see `crate::measure::tone`), the skin's level is taken
//! pixel by pixel from a grey closing of the denoised photo instead of between block centres.
//!
//! A block several dot diameters wide, interpolated between centres, spreads each side's level
//! over the other: the darker side's skin reads as pigment. A closing (the largest value over a
//! window, then the smallest over the same window) removes every dark feature narrower than the
//! window, dots and hairs, and keeps a step where it is: a scar's edge stays sharp, its dots
//! vanish. The closing lies on the skin's bright side (it keeps the upper envelope of its
//! texture and noise); scaled by the ratio of the blocks' own values to it, it reads the
//! skin's median level as the blocks do.

use rayon::prelude::*;

use super::{block_rows, SkinField};
use crate::grid::blocks_around;
use crate::plane::Plane;
use crate::quantile::quantile;

/// The closing's window (side, px) in typical dot diameters: a little wider than the largest
/// dots (blown-out or clustered ones run to 1.5× the typical), so that no dot survives it,
/// while a band of skin narrower than this between two paler ones is lost (filled at their
/// level, where its dots read lighter than they are).
pub const EDGE_CLOSING_DIAMETERS: f64 = 2.0;

/// The skin's level per pixel in the blocks that follow a tone edge (see
/// [`SkinField::following_edges`]).
#[derive(Clone, Debug, Default)]
pub(super) struct EdgeDetail {
    /// Per block (row-major), its pixels' skin level (row-major within the block's span), for
    /// the blocks followed only.
    pub blocks: Vec<Option<Box<[f32]>>>,
}

impl SkinField {
    /// This field, following the skin's level pixel by pixel in the blocks within `reach`
    /// blocks of one where `on_edge` (per block, row-major) is set: there, the level is the
    /// grey closing of `calm` (the luminance denoised: [`SkinField::calm`]) over a square
    /// 2 × ⌊`window` / 2⌋ + 1 px wide, scaled by the median ratio of those blocks' values to its median
    /// over each, and never below the lowest block value within `reach` blocks (a
    /// cluster of dots wider than the window is not skin). With no block on an edge, the field
    /// as it was, bit for bit. The levels held cost 4 B per pixel of those blocks (a photo
    /// crossed by a scar: a third to a half of a luminance plane).
    pub fn following_edges(
        mut self,
        calm: &Plane,
        on_edge: &[bool],
        window: usize,
        reach: usize,
    ) -> SkinField {
        debug_assert_eq!(on_edge.len(), self.values.len());
        let (grid_w, grid_h) = self.grid();
        // The blocks beside an edge too: their values, and so the interpolation across them,
        // hold some of the other side's level (a step bends a block's level less than the
        // tone ratio a block or two from it, and is flagged only where it bends most).
        let followed: Vec<usize> = (0..on_edge.len())
            .filter(|&i| blocks_around(i, grid_w, grid_h, reach).any(|j| on_edge[j]))
            .collect();
        if followed.is_empty() {
            return self;
        }
        let radius = window / 2;
        // The closing along each row of blocks, from its first followed block to its last (a
        // closing reads 2 × radius around what it gives: taken block by block, that margin
        // made four times a block's area; along a row, twice).
        let block_rows_followed: Vec<usize> = {
            let mut by: Vec<usize> = followed.iter().map(|&i| i / grid_w).collect();
            by.dedup();
            by
        };
        let bands: Vec<((usize, usize), Vec<f32>)> = block_rows_followed
            .par_iter()
            .map(|&by| {
                let in_row = followed.iter().filter(|&&i| i / grid_w == by);
                let first = in_row.clone().min().map_or(0, |&i| i % grid_w);
                let last = in_row.max().map_or(0, |&i| i % grid_w);
                let (x0, x1) = (self.columns.span(first).0, self.columns.span(last).1);
                let band = closing_of(calm, (x0, x1), self.rows.span(by), radius);
                ((by, x0), band)
            })
            .collect();
        // Each block's closing, and its median over the rows the block's value was read from.
        let closed: Vec<(Vec<f32>, f32)> = followed
            .par_iter()
            .map(|&i| {
                let (x0, x1) = self.columns.span(i % grid_w);
                let (y0, y1) = self.rows.span(i / grid_w);
                let at = bands.partition_point(|((by, _), _)| *by < i / grid_w);
                let ((_, band_x0), band) = &bands[at];
                let band_w = band.len() / (y1 - y0).max(1);
                let width = x1 - x0;
                let closing: Vec<f32> = (0..y1 - y0)
                    .flat_map(|r| &band[r * band_w + (x0 - band_x0)..][..width])
                    .copied()
                    .collect();
                let mut sampled: Vec<f32> = block_rows(y0, y1, width)
                    .flat_map(|row| &closing[(row - y0) * width..][..width])
                    .copied()
                    .collect();
                let level = quantile(&mut sampled, 0.5);
                (closing, level)
            })
            .collect();
        drop(bands);
        // The closing keeps the bright side of the skin's texture and noise (its pores, fine
        // lines and mottling narrower than the window are filled): the blocks' own values, the
        // median of their skin, are this fraction of it. A ratio taken from the pixels near
        // the closing instead read textured skin (a real forearm's, at 48 px a dot) at its
        // bright side, all its skin as pigment. Pooled over the blocks, in their order: the
        // same scale at any thread count.
        let mut ratios: Vec<f32> = followed
            .iter()
            .zip(&closed)
            .map(|(&i, (_, level))| self.values[i] / level)
            .filter(|r| r.is_finite() && *r > 0.0)
            .collect();
        if ratios.is_empty() {
            return self;
        }
        let scale = quantile(&mut ratios, 0.5);
        let mut detail = EdgeDetail {
            blocks: vec![None; self.values.len()],
        };
        for (&i, (mut closing, _)) in followed.iter().zip(closed) {
            let floor = blocks_around(i, grid_w, grid_h, reach)
                .map(|j| self.values[j])
                .fold(f32::INFINITY, f32::min);
            for v in &mut closing {
                *v = (scale * *v).max(floor);
            }
            detail.blocks[i] = Some(closing.into_boxed_slice());
        }
        self.detail = Some(std::sync::Arc::new(detail));
        self
    }

    /// Over columns `from..from + out.len()` of row `row`, the detail's level (if any) in place
    /// of what `out` holds, block by block.
    pub(super) fn detail_into(&self, row: usize, from: usize, out: &mut [f32]) {
        let Some(detail) = &self.detail else {
            return;
        };
        let grid_w = self.columns.cells();
        let by = self.rows.cell_of(row);
        let (y0, _) = self.rows.span(by);
        let to = from + out.len();
        if out.is_empty() {
            return;
        }
        for bx in self.columns.cell_of(from)..=self.columns.cell_of(to - 1) {
            let Some(levels) = &detail.blocks[by * grid_w + bx] else {
                continue;
            };
            let (x0, x1) = self.columns.span(bx);
            let (start, end) = (x0.max(from), x1.min(to));
            let width = x1 - x0;
            let row_levels = &levels[(row - y0) * width..][..width];
            out[start - from..end - from].copy_from_slice(&row_levels[start - x0..end - x0]);
        }
    }
}

/// The grey closing of `plane` over a square of side 2 × `radius` + 1 (windows cut at the
/// plane's border), at the pixels of columns `x0..x1` and rows `y0..y1`, row-major: the
/// largest value over each window, then the smallest of those. Written here because
/// `imageproc`'s grey morphology is for 8-bit images only; it reads the plane within
/// 2 × `radius` of the span, in separable passes of a running extreme.
fn closing_of(
    plane: &Plane,
    (x0, x1): (usize, usize),
    (y0, y1): (usize, usize),
    radius: usize,
) -> Vec<f32> {
    // The dilation is needed within `radius` of the span, which reads `plane` within 2 ×
    // `radius`.
    let (ax0, ax1) = (
        x0.saturating_sub(2 * radius),
        (x1 + 2 * radius).min(plane.width),
    );
    let (ay0, ay1) = (
        y0.saturating_sub(2 * radius),
        (y1 + 2 * radius).min(plane.height),
    );
    let w = ax1 - ax0;
    let mut area: Vec<f32> = (ay0..ay1)
        .flat_map(|row| plane.row(row)[ax0..ax1].iter().copied())
        .collect();
    let mut scratch = Scratch::default();
    extreme_pass(&mut area, w, radius, f32::max, &mut scratch);
    extreme_pass(&mut area, w, radius, f32::min, &mut scratch);
    (y0..y1)
        .flat_map(|row| {
            let start = (row - ay0) * w + (x0 - ax0);
            area[start..start + (x1 - x0)].iter().copied()
        })
        .collect()
}

/// Buffers of the running extremes, reused along a block's rows and columns.
#[derive(Default)]
struct Scratch {
    line: Vec<f32>,
    out: Vec<f32>,
    prefix: Vec<f32>,
    suffix: Vec<f32>,
}

/// `area` (rows of `w` values) replaced by `pick` (max or min) over the square of side 2 ×
/// `radius` + 1 around each value (cut at its border): a running extreme along its rows, then
/// along its columns. Generic in `pick` so that it is inlined.
fn extreme_pass<F: Fn(f32, f32) -> f32 + Copy>(
    area: &mut [f32],
    w: usize,
    radius: usize,
    pick: F,
    scratch: &mut Scratch,
) {
    let h = area.len() / w.max(1);
    for row in area.chunks_mut(w.max(1)) {
        running_extreme(row, radius, pick, scratch);
        row.copy_from_slice(&scratch.out);
    }
    for x in 0..w {
        let mut line = std::mem::take(&mut scratch.line);
        line.clear();
        line.extend((0..h).map(|r| area[r * w + x]));
        running_extreme(&line, radius, pick, scratch);
        for (r, v) in scratch.out.iter().enumerate() {
            area[r * w + x] = *v;
        }
        scratch.line = line;
    }
}

/// Into `scratch.out`, for each position of `values`, `pick` (max or min) over `values`
/// within `radius` of it (cut at the ends). Van Herk / Gil-Werman: prefix and suffix extremes
/// over segments of the window's length, three comparisons per value whatever the radius.
fn running_extreme<F: Fn(f32, f32) -> f32 + Copy>(
    values: &[f32],
    radius: usize,
    pick: F,
    scratch: &mut Scratch,
) {
    let n = values.len();
    let (prefix, suffix, out) = (&mut scratch.prefix, &mut scratch.suffix, &mut scratch.out);
    out.clear();
    if n == 0 {
        return;
    }
    let span = 2 * radius + 1;
    prefix.clear();
    prefix.extend_from_slice(values);
    suffix.clear();
    suffix.extend_from_slice(values);
    for start in (0..n).step_by(span) {
        let end = (start + span).min(n);
        for i in start + 1..end {
            prefix[i] = pick(prefix[i - 1], values[i]);
        }
        for i in (start..end - 1).rev() {
            suffix[i] = pick(suffix[i + 1], values[i]);
        }
    }
    // The window [i − radius, i + radius] cut to 0..n spans at most two segments: the suffix
    // of the first from its start, the prefix of the second to its end. Within one segment it
    // starts the segment (the prefix to its end) or, cut by the last value, ends it (the
    // suffix from its start).
    out.extend((0..n).map(|i| {
        let (a, b) = (i.saturating_sub(radius), (i + radius).min(n - 1));
        if a / span != b / span {
            pick(suffix[a], prefix[b])
        } else if b == n - 1 {
            suffix[a]
        } else {
            prefix[b]
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The running extreme read the slow way.
    fn naive(values: &[f32], radius: usize, pick: fn(f32, f32) -> f32) -> Vec<f32> {
        (0..values.len())
            .map(|i| {
                let (a, b) = (i.saturating_sub(radius), (i + radius).min(values.len() - 1));
                values[a..=b].iter().copied().fold(values[a], pick)
            })
            .collect()
    }

    #[test]
    fn the_running_extreme_is_the_windows_extreme() {
        let values: Vec<f32> = (0..37u32)
            .map(|i| ((i * 7919) % 23) as f32 - 11.0)
            .collect();
        let mut scratch = Scratch::default();
        for radius in [0, 1, 2, 5, 18, 40] {
            for n in [1, 5, 36, 37] {
                let values = &values[..n];
                running_extreme(values, radius, f32::max, &mut scratch);
                assert_eq!(
                    scratch.out,
                    naive(values, radius, f32::max),
                    "max, {radius}, {n}"
                );
                running_extreme(values, radius, f32::min, &mut scratch);
                assert_eq!(
                    scratch.out,
                    naive(values, radius, f32::min),
                    "min, {radius}, {n}"
                );
            }
        }
    }

    #[test]
    fn a_closing_fills_dots_and_keeps_a_step() {
        // Skin at 0.3 left of column 20, 0.5 from it; dark dots 5 px across on either side.
        let (w, h) = (40, 30);
        let mut plane = Plane {
            width: w,
            height: h,
            data: (0..w * h)
                .map(|i| if i % w < 20 { 0.3 } else { 0.5 })
                .collect(),
        };
        for (cx, cy) in [(8, 10), (30, 20), (17, 5)] {
            for y in cy - 2..=cy + 2 {
                for x in cx - 2..=cx + 2 {
                    plane.data[y * w + x] *= 0.4;
                }
            }
        }
        let closed = closing_of(&plane, (0, w), (0, h), 3);
        for (i, v) in closed.iter().enumerate() {
            let want = if i % w < 20 { 0.3 } else { 0.5 };
            assert_eq!(*v, want, "pixel ({}, {})", i % w, i / w);
        }
        // A span of the plane reads the same as the whole plane's closing there.
        let part = closing_of(&plane, (12, 27), (4, 19), 3);
        for (k, v) in part.iter().enumerate() {
            let (x, y) = (12 + k % 15, 4 + k / 15);
            assert_eq!(*v, closed[y * w + x]);
        }
    }

    /// The window's two edges: a cluster of pigment wider than the window survives the closing
    /// (at its centre, its own level), and a strip of darker skin narrower than it between
    /// lighter skin is filled at the lighter level.
    #[test]
    fn a_closing_keeps_what_is_wider_than_its_window_and_fills_what_is_narrower() {
        let (w, h) = (40, 30);
        // Light skin at 0.5, a dark strip 5 px wide (columns 10–14) at 0.3, a cluster 9 px
        // square (columns 25–33, rows 10–18) at 0.2.
        let data = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                match (x, y) {
                    (10..=14, _) => 0.3,
                    (25..=33, 10..=18) => 0.2,
                    _ => 0.5,
                }
            })
            .collect();
        let plane = Plane {
            width: w,
            height: h,
            data,
        };
        // A window of 7 px.
        let closed = closing_of(&plane, (0, w), (0, h), 3);
        assert_eq!(closed[20 * w + 12], 0.5, "the strip is filled");
        assert_eq!(closed[14 * w + 29], 0.2, "the cluster's centre stays");
        // A window of 11 px fills the cluster too.
        let wider = closing_of(&plane, (0, w), (0, h), 5);
        assert_eq!(wider[14 * w + 29], 0.5);
    }

    /// Skin at 0.3 left of column 60 and 0.45 (1.5×) from it, dark dots 6 px across every 15
    /// px: blocks of 24 px spread each side's level over the other; following the edge in the
    /// blocks on it and beside them, each side reads its own level, and blocks beyond stay as
    /// they were, bit for bit.
    #[test]
    fn the_field_follows_a_step_where_it_is_told_to() {
        let (w, h) = (144, 96);
        let mut plane = Plane {
            width: w,
            height: h,
            data: (0..w * h)
                .map(|i| if i % w < 60 { 0.3 } else { 0.45 })
                .collect(),
        };
        for cy in (7..h).step_by(15) {
            for cx in (7..w).step_by(15) {
                for y in cy - 3..cy + 3 {
                    for x in cx - 3..cx + 3 {
                        plane.data[y * w + x] *= 0.4;
                    }
                }
            }
        }
        let field = SkinField::estimate(&plane, 24);
        let (grid_w, grid_h) = field.grid();
        assert_eq!((grid_w, grid_h), (6, 4));
        // Column 2 of blocks (px 48–71) holds the step.
        let on_edge: Vec<bool> = (0..grid_w * grid_h).map(|i| i % grid_w == 2).collect();
        let calm = SkinField::calm(&plane);
        let followed = field.clone().following_edges(&calm, &on_edge, 12, 1);
        let near = |v: f32, want: f32| (v / want - 1.0).abs() < 0.02;
        for y in [20, 50, 80] {
            // Skin pixels either side of the step, within a block or so of it.
            for (x, want) in [(33, 0.3), (50, 0.3), (56, 0.3), (64, 0.45), (85, 0.45)] {
                assert!(
                    near(followed.at(x, y), want),
                    "({x}, {y}): {}",
                    followed.at(x, y)
                );
            }
            // The blocks' field did not: it blurs the step over a block each side.
            // The blocks' field did not: the step's block reads the lighter side's level, and
            // the darker side's skin beside it reads as pigment (D ≈ 0.3 at 56).
            assert!(field.at(56, y) > 0.42 && field.at(50, y) > 0.38);
            // Column 0 and 5 of blocks are beyond the reach of 1.
            for x in [3, 20, 125, 140] {
                assert_eq!(followed.at(x, y).to_bits(), field.at(x, y).to_bits());
            }
        }
        // Told of no edge, the field is the same.
        let none = field
            .clone()
            .following_edges(&calm, &vec![false; grid_w * grid_h], 12, 1);
        assert!(none.detail.is_none());
    }
}

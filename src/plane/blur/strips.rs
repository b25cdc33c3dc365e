//! A blur handed to its consumer a strip of rows at a time, with the blurred rows around the
//! strip: for a per-pixel result that reads a few neighbouring rows of the blurred plane (a
//! Hessian, a search along a line), without ever storing the blurred plane. Each strip is
//! blurred a column tile at a time, so that its horizontal pass holds a tile's columns only.

use std::ops::Range;

use rayon::prelude::*;

use super::{
    horizontal_span, plane_kernel, Plane, RowWindow, StripBuffers, ThreadStripBuffers,
    VERTICAL_TILE,
};

/// Fewest output rows per strip of [`Plane::gaussian_blur_strips`], and how many times its
/// `halo` a strip is at least: each strip blurs its halo rows again, a fraction 2 · halo / strip
/// of the work (an eighth at 16 × the halo).
const MIN_STRIP_ROWS: usize = 32;
/// See [`MIN_STRIP_ROWS`].
const STRIP_HALOS: usize = 16;
/// A plane is cut into at least this many strips: enough for every thread, and where σ and
/// the halo are large (at 200 px/mm, the hair lines' and the flood plane's strips would be
/// 860–880 rows long at 16 halos), a strip's blurred window, a few MB per thread, stays small
/// (a 24 MP photo at 200 px/mm: 500-row strips, peak 271 → 250 MB at the same speed; a
/// quarter of the plane before).
const MIN_STRIPS: usize = 8;

impl Plane {
    /// The output rows per strip that [`Plane::gaussian_blur_strips`] takes for `sigma` (px)
    /// and `halo` (rows): at least 8 kernel radii, 16 halos and 32 rows (each strip's rows
    /// recomputed around it stay a small part of the work), at most an eighth of the plane
    /// (so that a strip's window stays small where σ is large), at least 1. A caller choosing
    /// its own strips for [`Plane::gaussian_blur_in_strips`] does well to make them about as
    /// long.
    pub fn blur_strip_rows(&self, sigma: f32, halo: usize) -> usize {
        let floor = (STRIP_HALOS * halo).max(MIN_STRIP_ROWS);
        let floor = if sigma <= 0.0 {
            floor
        } else {
            floor.max(8 * (plane_kernel(sigma, (self.width, self.height)).len() / 2))
        };
        floor.min(self.height.div_ceil(MIN_STRIPS)).max(1)
    }

    /// Blurs as [`Plane::gaussian_blur`] does (σ = `sigma` px), a strip of consecutive rows at
    /// a time, strips in parallel, without keeping the blurred plane: `visit(window, rows,
    /// out_strip)` gets the strip's output rows `rows`, the blurred rows from `halo` rows above
    /// them to `halo` rows below (as far as the plane goes) in `window`, and the strip's part
    /// of `out` (`width` items per row, the rows of `rows`). The same values, bit for bit.
    /// Strips are [`Plane::blur_strip_rows`] rows long (the last one shorter). Returns what
    /// each visit returned, strips in order (none for an empty plane).
    ///
    /// # Panics
    /// If `out` does not hold one item per pixel.
    pub fn gaussian_blur_strips<T: Send, R: Send>(
        &self,
        sigma: f32,
        halo: usize,
        out: &mut [T],
        visit: impl Fn(&RowWindow, Range<usize>, &mut [T]) -> R + Sync,
    ) -> Vec<R> {
        let w = self.width;
        assert_eq!(out.len(), w * self.height, "one output item per pixel");
        if w == 0 || self.height == 0 {
            return Vec::new();
        }
        let strip = self.blur_strip_rows(sigma, halo);
        let work: Vec<(Range<usize>, &mut [T])> = out
            .chunks_mut(strip * w)
            .enumerate()
            .map(|(s, out_strip)| (s * strip..s * strip + out_strip.len() / w, out_strip))
            .collect();
        self.blur_strips_with(sigma, halo, work, visit)
    }

    /// [`Plane::gaussian_blur_strips`] over strips of the caller's choosing: `visit(window,
    /// rows)` for each range of `strips` (rows of the plane, clipped to it), in parallel, with
    /// the blurred rows from `halo` rows above `rows` to `halo` rows below (as far as the plane
    /// goes) in `window`. Returns what each visit returned, in the order of `strips`. For
    /// strips that must align with something else (blocks of a grid, say); see
    /// [`Plane::blur_strip_rows`] for a good length. The same values, bit for bit.
    pub fn gaussian_blur_in_strips<R: Send>(
        &self,
        sigma: f32,
        halo: usize,
        strips: &[Range<usize>],
        visit: impl Fn(&RowWindow, Range<usize>) -> R + Sync,
    ) -> Vec<R> {
        let work = strips.iter().map(|rows| (rows.clone(), ())).collect();
        self.gaussian_blur_in_strips_with(sigma, halo, work, |window, rows, ()| visit(window, rows))
    }

    /// [`Plane::gaussian_blur_in_strips`], each strip of `work` with an item of its own (its
    /// part of an output, say) handed to its visit: `visit(window, rows, item)`.
    pub fn gaussian_blur_in_strips_with<X: Send, R: Send>(
        &self,
        sigma: f32,
        halo: usize,
        work: Vec<(Range<usize>, X)>,
        visit: impl Fn(&RowWindow, Range<usize>, X) -> R + Sync,
    ) -> Vec<R> {
        let h = self.height;
        let work: Vec<(Range<usize>, X)> = work
            .into_iter()
            .map(|(rows, item)| (rows.start.min(h)..rows.end.min(h), item))
            .collect();
        if self.width == 0 {
            // (No rows to hold: each visit gets an empty window.)
            let window = RowWindow {
                rows: &[],
                width: 0,
                top: 0,
                height: h,
            };
            return work
                .into_iter()
                .map(|(rows, item)| visit(&window, rows, item))
                .collect();
        }
        self.blur_strips_with(sigma, halo, work, visit)
    }

    /// The strips of [`Plane::gaussian_blur_in_strips`], each with an item of its own (its
    /// part of an output, say), on a plane at least 1 px wide.
    fn blur_strips_with<X: Send, R: Send>(
        &self,
        sigma: f32,
        halo: usize,
        work: Vec<(Range<usize>, X)>,
        visit: impl Fn(&RowWindow, Range<usize>, X) -> R + Sync,
    ) -> Vec<R> {
        let (w, h) = (self.width, self.height);
        // (Strips lie within the plane, so a window never ends before it starts.)
        let held_of =
            |rows: &Range<usize>| rows.start.saturating_sub(halo)..(rows.end + halo).min(h);
        if sigma <= 0.0 {
            // The plane as it is: each strip's window is its own rows, in place.
            return work
                .into_par_iter()
                .map(|(rows, item)| {
                    let held = held_of(&rows);
                    let window = RowWindow {
                        rows: &self.data[held.start * w..held.end * w],
                        width: w,
                        top: held.start,
                        height: h,
                    };
                    visit(&window, rows, item)
                })
                .collect();
        }
        let kernel = plane_kernel(sigma, (w, h));
        let radius = kernel.len() / 2;
        let thread_buffers = ThreadStripBuffers::new(w, radius);
        work.into_par_iter()
            .map(|(rows, item)| {
                thread_buffers.with(|buffers| {
                    // Output rows held, and the source rows their vertical pass reads.
                    let held = held_of(&rows);
                    buffers.blur_in_tiles(self, &kernel, held.clone());
                    let window = RowWindow {
                        rows: &buffers.blurred,
                        width: w,
                        top: held.start,
                        height: h,
                    };
                    visit(&window, rows, item)
                })
            })
            .collect()
    }
}

impl StripBuffers {
    /// The blur with `kernel` of the rows `held` of the stored `plane` into `self.blurred` (`held.len()` rows of `plane.width`),
    /// a column tile of [`VERTICAL_TILE`] at a time: the tile's horizontal pass over the source
    /// rows its vertical pass reads (the tile's columns only) into `self.horizontal`, then that
    /// vertical pass. The horizontal buffer holds a tile's columns, not whole rows (a sixth of
    /// them for a 6000 px wide photo: at 100 px/mm, 11 MB less per thread for the blob scales'
    /// strips), and no value is computed twice. The same values as the passes over whole rows,
    /// bit for bit.
    pub(super) fn blur_in_tiles(
        &mut self,
        plane: &Plane,
        kernel: &[f32],
        held: std::ops::Range<usize>,
    ) {
        let (w, h, radius) = (plane.width, plane.height, kernel.len() / 2);
        let top = held.start.saturating_sub(radius);
        let bottom = (held.end + radius).min(h);
        self.blurred.resize(held.len() * w, 0.0);
        for x0 in (0..w).step_by(VERTICAL_TILE) {
            let columns = x0..(x0 + VERTICAL_TILE).min(w);
            let tile_w = columns.len();
            self.horizontal.resize((bottom - top) * tile_w, 0.0);
            for (sy, out) in (top..bottom).zip(self.horizontal.chunks_exact_mut(tile_w)) {
                horizontal_span(plane.row(sy), kernel, &mut self.edges, columns.clone(), out);
            }
            let tile = RowWindow {
                rows: &self.horizontal,
                width: tile_w,
                top,
                height: h,
            };
            tile.vertical_pass_of_columns(kernel, 0..tile_w, &mut self.blurred, (w, x0), |dy| {
                held.start + dy
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every strip's window holds exactly its rows and `halo` around them (clipped to the
    /// plane), each the whole-plane blur's row bit for bit, and the strips cover every row
    /// once, in order of their output: for planes narrower than the kernel, many strips, one
    /// strip, halos of 0 to beyond the plane, σ of 0 to wider than the plane.
    #[test]
    fn strips_hold_the_whole_blur_rows_around_them() {
        // (2100 px: three column tiles of the blur, each with its own horizontal pass.)
        for (w, h) in [(37, 301), (5, 90), (300, 7), (1, 1), (2100, 40)] {
            let mut p = Plane::filled(w, h, 0.0);
            for (i, v) in p.data.iter_mut().enumerate() {
                *v = ((i * 7919) % 1013) as f32 / 1013.0;
            }
            for sigma in [0.0, 0.7, 2.5, 60.0] {
                let whole = p.gaussian_blur(sigma);
                for halo in [0, 1, 4, 9, 400] {
                    let mut out = vec![u32::MAX; w * h];
                    p.gaussian_blur_strips(sigma, halo, &mut out, |window, rows, out_strip| {
                        let expected = rows.start.saturating_sub(halo)..(rows.end + halo).min(h);
                        assert_eq!(
                            window.rows_held(),
                            expected,
                            "{w}×{h} σ {sigma} halo {halo}"
                        );
                        for y in expected {
                            assert!(window.row(y) == whole.row(y), "{w}×{h} σ {sigma} row {y}");
                        }
                        assert_eq!(out_strip.len(), rows.len() * w);
                        for (row, y) in out_strip.chunks_mut(w).zip(rows) {
                            row.fill(y as u32);
                        }
                    });
                    assert!(out.iter().enumerate().all(|(i, &y)| y as usize == i / w));
                }
            }
        }
    }

    /// Strip lengths at the edges of their rule: 32 rows, 16 halos or 8 kernel radii, whichever
    /// is longest, but at most an eighth of the plane, and at least one row.
    #[test]
    fn strip_rows_follow_their_rule_at_its_edges() {
        let plane = |h: usize| Plane::filled(10, h, 0.0);
        let tall = plane(100_000);
        assert_eq!(tall.blur_strip_rows(0.0, 0), MIN_STRIP_ROWS);
        assert_eq!(tall.blur_strip_rows(0.0, 3), 3 * STRIP_HALOS);
        // σ 10: radius 30, 8 radii.
        assert_eq!(tall.blur_strip_rows(10.0, 3), 240);
        assert_eq!(tall.blur_strip_rows(10.0, 20), 20 * STRIP_HALOS);
        // Capped at an eighth of the plane (rounded up), never below a row.
        assert_eq!(plane(800).blur_strip_rows(10.0, 20), 800 / MIN_STRIPS);
        assert_eq!(plane(801).blur_strip_rows(10.0, 20), 101);
        assert_eq!(plane(3).blur_strip_rows(10.0, 20), 1);
        assert_eq!(plane(0).blur_strip_rows(10.0, 20), 1);
    }

    /// Strips of the caller's choosing (uneven, empty, reaching past the plane) get windows of
    /// the whole-plane blur's rows around them, bit for bit, and their results come back in
    /// the order of the strips.
    #[test]
    fn strips_of_the_callers_choosing_hold_the_whole_blur_rows_in_order() {
        let (w, h) = (23, 97);
        let mut p = Plane::filled(w, h, 0.0);
        for (i, v) in p.data.iter_mut().enumerate() {
            *v = ((i * 7919) % 1013) as f32 / 1013.0;
        }
        let strips = [0..5, 5..5, 5..60, 60..61, 61..97, 90..200];
        for sigma in [0.0, 1.3, 40.0] {
            let whole = p.gaussian_blur(sigma);
            for halo in [0, 3, 200] {
                let seen = p.gaussian_blur_in_strips(sigma, halo, &strips, |window, rows| {
                    let expected = rows.start.saturating_sub(halo)..(rows.end + halo).min(h);
                    if !expected.is_empty() {
                        assert_eq!(window.rows_held(), expected, "σ {sigma} halo {halo}");
                    }
                    for y in expected {
                        assert!(window.row(y) == whole.row(y), "σ {sigma} row {y}");
                    }
                    rows
                });
                let clipped: Vec<_> = strips
                    .iter()
                    .map(|r| r.start.min(h)..r.end.min(h))
                    .collect();
                assert_eq!(seen, clipped, "σ {sigma} halo {halo}");
            }
        }
    }

    /// The horizontal pass over any span of columns gives those columns' textbook sums (each
    /// from 0 in kernel order over the row's clamped neighbours), bit for bit: spans within the
    /// clamped edges, across them, and the whole row, for rows from one pixel (narrower than
    /// the kernel) to many.
    #[test]
    fn horizontal_spans_are_the_textbook_sums() {
        for sigma in [0.7f32, 2.5] {
            let kernel = super::super::gaussian_kernel(sigma);
            let r = kernel.len() / 2;
            for w in [1, r, 2 * r - 1, 2 * r, 2 * r + 1, 3 * r + 2, 40] {
                let row: Vec<f32> = (0..w).map(|x| ((x * 7919) % 101) as f32 / 101.0).collect();
                let textbook: Vec<f32> = (0..w)
                    .map(|x| {
                        let mut acc = 0f32;
                        for (k, &weight) in kernel.iter().enumerate() {
                            acc += weight * row[(x + k).saturating_sub(r).min(w - 1)];
                        }
                        acc
                    })
                    .collect();
                for a in 0..w {
                    for b in a..=w {
                        let mut span = vec![f32::NAN; b - a];
                        horizontal_span(&row, &kernel, &mut Vec::new(), a..b, &mut span);
                        let same = span
                            .iter()
                            .zip(&textbook[a..b])
                            .all(|(s, v)| s.to_bits() == v.to_bits());
                        assert!(same, "σ {sigma}, {w} px, columns {a}..{b}");
                    }
                }
            }
        }
    }
}

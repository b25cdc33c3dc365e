//! A blur handed to its consumer a strip of rows at a time, with the blurred rows around the
//! strip: for a per-pixel result that reads a few neighbouring rows of the blurred plane (a
//! Hessian, a search along a line), without ever storing the blurred plane.

use rayon::prelude::*;

use super::{plane_kernel, Plane, RowWindow, StripBuffers};

/// Fewest output rows per strip of [`Plane::gaussian_blur_strips`], and how many times its
/// `halo` a strip is at least: each strip blurs its halo rows again, a fraction 2 · halo / strip
/// of the work (an eighth at 16 × the halo).
const MIN_STRIP_ROWS: usize = 32;
/// See [`MIN_STRIP_ROWS`].
const STRIP_HALOS: usize = 16;

impl Plane {
    /// Blurs as [`Plane::gaussian_blur`] does (σ = `sigma` px), a strip of consecutive rows at
    /// a time, strips in parallel, without keeping the blurred plane: `visit(window, rows,
    /// out_strip)` gets the strip's output rows `rows`, the blurred rows from `halo` rows above
    /// them to `halo` rows below (as far as the plane goes) in `window`, and the strip's part
    /// of `out` (`width` items per row, the rows of `rows`). The same values, bit for bit.
    ///
    /// # Panics
    /// If `out` does not hold one item per pixel.
    pub fn gaussian_blur_strips<T: Send>(
        &self,
        sigma: f32,
        halo: usize,
        out: &mut [T],
        visit: impl Fn(&RowWindow, std::ops::Range<usize>, &mut [T]) + Sync,
    ) {
        let (w, h) = (self.width, self.height);
        assert_eq!(out.len(), w * h, "one output item per pixel");
        if w == 0 || h == 0 {
            return;
        }
        if sigma <= 0.0 {
            // The plane as it is: each strip's window is its own rows, in place.
            let strip = (STRIP_HALOS * halo).max(MIN_STRIP_ROWS);
            out.par_chunks_mut(strip * w)
                .enumerate()
                .for_each(|(s, out_strip)| {
                    let rows = s * strip..s * strip + out_strip.len() / w;
                    let held = rows.start.saturating_sub(halo)..(rows.end + halo).min(h);
                    let window = RowWindow {
                        rows: &self.data[held.start * w..held.end * w],
                        width: w,
                        top: held.start,
                        height: h,
                    };
                    visit(&window, rows, out_strip);
                });
            return;
        }
        let kernel = plane_kernel(sigma, (w, h));
        let radius = kernel.len() / 2;
        let strip = (8 * radius)
            .max(STRIP_HALOS * halo)
            .max(MIN_STRIP_ROWS)
            .min(h.div_ceil(4).max(1));
        // (Rows copied only where the plane is narrower than the kernel.)
        let copy_row = |y: usize, row: &mut [f32]| row.copy_from_slice(self.row(y));
        out.par_chunks_mut(strip * w).enumerate().for_each_init(
            || StripBuffers::new(w, radius),
            |buffers, (s, out_strip)| {
                let y0 = s * strip;
                let rows = y0..y0 + out_strip.len() / w;
                // Output rows held, and the source rows their vertical pass reads.
                let held = rows.start.saturating_sub(halo)..(rows.end + halo).min(h);
                let top = held.start.saturating_sub(radius);
                let bottom = (held.end + radius).min(h);
                buffers.horizontal_pass(Some(self), &copy_row, &kernel, (w, top..bottom));
                let StripBuffers {
                    horizontal,
                    blurred,
                    ..
                } = buffers;
                blurred.resize(held.len() * w, 0.0);
                let source_rows = RowWindow {
                    rows: horizontal,
                    width: w,
                    top,
                    height: h,
                };
                source_rows.vertical_pass(&kernel, blurred, |dy| held.start + dy);
                let window = RowWindow {
                    rows: blurred,
                    width: w,
                    top: held.start,
                    height: h,
                };
                visit(&window, rows, out_strip);
            },
        );
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
        for (w, h) in [(37, 301), (5, 90), (300, 7), (1, 1)] {
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
}

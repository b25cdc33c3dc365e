//! A single-channel f32 image and the filters the pipeline runs on it.
//!
//! We keep our own small type rather than `ImageBuffer<Luma<f32>>` because the hot filters
//! (separable Gaussian blur) are written row-parallel with rayon here: imageproc's versions are
//! sequential and allocate per call, which dominates on 12–50 MP photos.

mod blur;
mod sampled;

pub use blur::{gaussian_blur_of_into, gaussian_blur_rows_of, PointBlur, RowSource, RowWindow};

/// A `width` × `height` grid of f32 values, row-major.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plane {
    /// Width (px).
    pub width: usize,
    /// Height (px).
    pub height: usize,
    /// Values, row-major; `data[y * width + x]`.
    pub data: Vec<f32>,
}

impl Plane {
    /// A plane filled with `value`.
    pub fn filled(width: usize, height: usize, value: f32) -> Self {
        Plane {
            width,
            height,
            data: vec![value; width * height],
        }
    }

    /// The value at (`x`, `y`) in px.
    #[inline]
    pub fn get(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.width + x]
    }

    /// Row `y`.
    #[inline]
    pub fn row(&self, y: usize) -> &[f32] {
        &self.data[y * self.width..(y + 1) * self.width]
    }
}

/// A `width` × `height` grid of values read a span of a row at a time: a stored [`Plane`], or
/// values computed again as they are read (a photo's luminance: see
/// [`crate::color::LuminanceSource`]), so that a stage can read a plane that is never stored.
pub trait Rows: Sync {
    /// (width, height) in px.
    fn size(&self) -> (usize, usize);

    /// The values at columns `from..from + out.len()` of row `y`, into `out`.
    fn span_into(&self, y: usize, from: usize, out: &mut [f32]);

    /// The plane itself when its values are stored (read in place, not copied).
    fn stored(&self) -> Option<&Plane> {
        None
    }
}

impl Rows for Plane {
    fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    fn span_into(&self, y: usize, from: usize, out: &mut [f32]) {
        out.copy_from_slice(&self.row(y)[from..from + out.len()]);
    }

    fn stored(&self) -> Option<&Plane> {
        Some(self)
    }
}

/// Calls `f(x, y)` for every pixel of a `width` × `height` grid whose centre lies at a distance
/// in `inner..=outer` px from the centre of pixel (`cx`, `cy`) (a disc when `inner` is 0), in
/// raster order: the pixels of [`for_each_run_in_ring`]'s runs, one by one.
pub fn for_each_in_ring(
    centre: (usize, usize),
    inner: f64,
    outer: f64,
    size: (usize, usize),
    mut f: impl FnMut(usize, usize),
) {
    for_each_run_in_ring(centre, inner, outer, size, |y, xs| {
        for x in xs {
            f(x, y);
        }
    });
}

/// Calls `f(y, x0..x1)` for each run of consecutive pixels, within row `y`, of the pixels of
/// [`for_each_in_ring`], in raster order (one run per row of a disc, one or two of a ring).
///
/// Each row's runs are found from the squared distances directly instead of testing every
/// pixel of the bounding square: per-dot sampling walks millions of ring pixels per photo, and a
/// thin ring fills little of its square.
pub fn for_each_run_in_ring(
    (cx, cy): (usize, usize),
    inner: f64,
    outer: f64,
    (width, height): (usize, usize),
    mut f: impl FnMut(usize, std::ops::Range<usize>),
) {
    let r = outer.ceil() as isize;
    let (inner2, outer2) = (inner * inner, outer * outer + 0.25);
    let (cx, cy) = (cx as isize, cy as isize);
    let (w, h) = (width as isize, height as isize);
    for dy in -r..=r {
        let y = cy + dy;
        if y < 0 || y >= h {
            continue;
        }
        let dy2 = (dy * dy) as f64;
        // Widest |dx| inside the outer circle, and the narrowest |dx| outside the inner one;
        // each is the square root, truncated, corrected to the exact integer test. (Truncated
        // by the cast: the same as `floor` for a root, which the x86-64 baseline would call in
        // the maths library, twice per row of every ring and disc.)
        let Some(far) = widest_within(outer2 - dy2, r) else {
            continue;
        };
        let near = {
            let mut k = (inner2 - dy2).max(0.0).sqrt() as isize;
            while k > 0 && ((k - 1) * (k - 1)) as f64 + dy2 >= inner2 {
                k -= 1;
            }
            while ((k * k) as f64 + dy2) < inner2 {
                k += 1;
            }
            k
        };
        if near > far {
            continue;
        }
        let mut run = |from: isize, to: isize| {
            let (x0, x1) = ((cx + from).max(0), (cx + to).min(w - 1));
            if x0 <= x1 {
                f(y as usize, x0 as usize..x1 as usize + 1);
            }
        };
        if near == 0 {
            run(-far, far);
        } else {
            run(-far, -near);
            run(near, far);
        }
    }
}

/// The largest `m` in `0..=limit` with `m² ≤ budget`, or `None` when `budget < 0`.
fn widest_within(budget: f64, limit: isize) -> Option<isize> {
    if budget < 0.0 {
        return None;
    }
    // (The cast truncates the root: its floor.)
    let mut m = (budget.sqrt() as isize).min(limit);
    while m > 0 && ((m * m) as f64) > budget {
        m -= 1;
    }
    while m < limit && (((m + 1) * (m + 1)) as f64) <= budget {
        m += 1;
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bounding-square walk `for_each_in_ring` replaced, kept as its oracle.
    fn ring_by_square(
        (cx, cy): (usize, usize),
        inner: f64,
        outer: f64,
        (width, height): (usize, usize),
    ) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let r = outer.ceil() as isize;
        let (inner2, outer2) = (inner * inner, outer * outer + 0.25);
        for dy in -r..=r {
            let y = cy as isize + dy;
            if y < 0 || y as usize >= height {
                continue;
            }
            for dx in -r..=r {
                let x = cx as isize + dx;
                if x < 0 || x as usize >= width {
                    continue;
                }
                let dist2 = (dx * dx + dy * dy) as f64;
                if dist2 >= inner2 && dist2 <= outer2 {
                    out.push((x as usize, y as usize));
                }
            }
        }
        out
    }

    #[test]
    fn ring_runs_visit_the_same_pixels_in_the_same_order_as_the_square_walk() {
        let size = (23, 17);
        let radii = [
            0.0, 0.3, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.7, 5.0, 7.25, 9.0, 12.6, 30.0,
        ];
        for (i, &inner) in radii.iter().enumerate() {
            for &outer in &radii[i..] {
                for centre in [(0, 0), (11, 8), (22, 16), (3, 14), (20, 2)] {
                    let mut runs = Vec::new();
                    for_each_in_ring(centre, inner, outer, size, |x, y| runs.push((x, y)));
                    assert_eq!(
                        runs,
                        ring_by_square(centre, inner, outer, size),
                        "inner {inner} outer {outer} centre {centre:?}"
                    );
                }
            }
        }
        // Inner beyond outer: nothing.
        let mut n = 0;
        for_each_in_ring((5, 5), 4.0, 2.0, (11, 11), |_, _| n += 1);
        assert_eq!(n, 0);
    }
}

//! Area, shape and centroid of each dot's opened outline: sums over its pixels, taken
//! row-parallel in integers, so that they are exact and their order does not matter.

use rayon::prelude::*;

use super::flood::ValuesUnder;
use super::outline::OPENED;

/// What a dot's area, shape and darkness-weighted centroid come from.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Shape {
    /// n, Σx, Σy, Σx², Σy², Σxy over the dot's pixels, each at its centre (x = column + 0.5,
    /// px), as [`super::outline::elongation`] takes them; n is its area (px).
    pub moments: [f64; 6],
    /// The centroid (x, y) of its pixel centres weighted by the smoothed darkness there
    /// (negative darkness weighing 0), px; their unweighted centroid when every weight is
    /// below 2⁻³² (see `WEIGHT_BITS`: no opened pixel of the dot measurably darker than the
    /// skin), and (0, 0) for a dot with no pixels.
    pub centroid: (f64, f64),
}

/// Fractional bits of a weight in [`ExactSums`]: weights are summed as integer multiples of
/// 2⁻³² (darkness is at most 1; what a weight holds below 2⁻³² ≈ 2·10⁻¹⁰ is dropped).
const WEIGHT_BITS: i32 = 32;

/// Sums over a dot's pixels, exact: coordinates doubled (2·column + 1, odd integers, so that
/// pixel centres are whole), weights in fixed point ([`WEIGHT_BITS`]). Integer sums give the
/// same total in any order, so rows are summed in parallel with no effect on the result; a sum
/// in f64 depended on its order, and the pass ran on one thread (its stage, 2 threads, 24 MP:
/// 73 → 55–62 ms).
#[derive(Clone, Copy, Default)]
struct ExactSums {
    n: u64,
    x: u64,
    y: u64,
    xx: u128,
    yy: u128,
    xy: u128,
    weight: u128,
    weighted_x: u128,
    weighted_y: u128,
}

impl ExactSums {
    fn add_pixel(&mut self, x: u64, y: u64, weight: f32) {
        self.n += 1;
        self.x += x;
        self.y += y;
        let (x, y) = (u128::from(x), u128::from(y));
        self.xx += x * x;
        self.yy += y * y;
        self.xy += x * y;
        // (`as` saturates: NaN and negatives weigh 0, and no weight overflows.)
        let w = u128::from((f64::from(weight) * 2f64.powi(WEIGHT_BITS)) as u64);
        self.weight += w;
        self.weighted_x += w * x;
        self.weighted_y += w * y;
    }

    fn add(&mut self, other: &ExactSums) {
        self.n += other.n;
        self.x += other.x;
        self.y += other.y;
        self.xx += other.xx;
        self.yy += other.yy;
        self.xy += other.xy;
        self.weight += other.weight;
        self.weighted_x += other.weighted_x;
        self.weighted_y += other.weighted_y;
    }

    /// The sums in pixel units: each rounded once to f64. Below 2⁵³ (every moment of a
    /// 24 MP photo's dots) they are exact, the same values as summing in f64; beyond it (a
    /// dot of 2¹⁹ px or more on a photo tens of thousands of pixels wide) the f64 sums were
    /// rounded at each pixel, these once.
    fn shape(&self) -> Shape {
        let f = |v: u128| v as f64;
        let centroid = if self.n == 0 {
            (0.0, 0.0)
        } else if self.weight == 0 {
            // Where the dot is, not the plane's corner (which a region may contain: the dot
            // was counted there, or not at all, wherever it lay).
            let twice_n = 2.0 * self.n as f64;
            (self.x as f64 / twice_n, self.y as f64 / twice_n)
        } else {
            let twice_weight = 2.0 * f(self.weight);
            (
                f(self.weighted_x) / twice_weight,
                f(self.weighted_y) / twice_weight,
            )
        };
        Shape {
            moments: [
                self.n as f64,
                self.x as f64 / 2.0,
                self.y as f64 / 2.0,
                f(self.xx) / 4.0,
                f(self.yy) / 4.0,
                f(self.xy) / 4.0,
            ],
            centroid,
        }
    }
}

/// At most this many bytes (about) of [`ExactSums`] arrays held by [`shapes`]' tasks at once.
const MAX_TASK_SUMS_BYTES: usize = 32 << 20;

/// Tasks per thread of [`shapes`] (see [`task_count`]): two, for balance. (With four, the
/// arrays of sums that the tasks held at once raised a 24 MP photo's stage peak by 3 MB,
/// 236 → 233 MB for the whole process, at the same speed: 1.40 / 1.41 s, 9 runs.)
const TASKS_PER_THREAD: usize = 2;

/// Number of tasks [`shapes`] splits the rows into for `count` dots on `threads` threads: each
/// task's sums take a dense array of all the dots (128 B each), so [`TASKS_PER_THREAD`] per
/// thread, not one per row, and fewer when `count` is large, so that their arrays together
/// stay within [`MAX_TASK_SUMS_BYTES`] (≈ 50 000 dots on a 50 MP photo × 2 tasks per thread
/// on 16 threads would be 200 MB); at least 1 (from 262 144 dots, the rows are summed on one
/// thread).
fn task_count(count: usize, threads: usize) -> usize {
    let per_task = count.max(1) * std::mem::size_of::<ExactSums>();
    (TASKS_PER_THREAD * threads)
        .min(MAX_TASK_SUMS_BYTES / per_task)
        .max(1)
}

/// The [`Shape`] of each of `count` dots: over the pixels of `labels` (`width` px per row; 0
/// for none, else 1 + the dot's index) that have [`OPENED`] set in `mask` (one byte per pixel).
/// The weights are `on_opened`: one value per such pixel, in raster order, with each row's
/// first ([`super::flood::values_under`] of `mask` at [`OPENED`]). Row-parallel; the same
/// result at any thread count.
pub(super) fn shapes(
    labels: &[u32],
    mask: &[u8],
    on_opened: &ValuesUnder,
    width: usize,
    count: usize,
) -> Vec<Shape> {
    if width == 0 {
        return vec![Shape::default(); count];
    }
    let opened = |b: &u8| b & OPENED != 0;
    let ValuesUnder { values, row_starts } = on_opened;
    let rows = row_starts.len();
    let min_rows = rows
        .div_ceil(task_count(count, rayon::current_num_threads()))
        .max(1);
    let sums = labels
        .par_chunks(width)
        .zip(mask.par_chunks(width))
        .enumerate()
        .with_min_len(min_rows)
        .fold(
            || vec![ExactSums::default(); count],
            |mut sums, (y, (labels, mask))| {
                let mut on_opened = values[row_starts[y]..].iter();
                let y = 2 * y as u64 + 1;
                crate::mask::for_each_run_in_row(mask, opened, crate::mask::no_byte_set, |xs| {
                    for x in xs {
                        let weight = on_opened.next().copied().unwrap_or(0.0);
                        let label = labels[x];
                        if label != 0 {
                            sums[label as usize - 1].add_pixel(2 * x as u64 + 1, y, weight);
                        }
                    }
                });
                sums
            },
        )
        // The identity is empty: no second array of sums per task beside its fold's.
        .reduce(Vec::new, |mut a, b| {
            if a.is_empty() {
                return b;
            }
            a.iter_mut().zip(&b).for_each(|(a, b)| a.add(b));
            a
        });
    if sums.is_empty() {
        // No rows.
        return vec![Shape::default(); count];
    }
    sums.iter().map(ExactSums::shape).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`shapes`] with `on_opened` and each row's first of them, as `values_under` gives them.
    fn shapes_of(
        labels: &[u32],
        mask: &[u8],
        on_opened: &[f32],
        width: usize,
        count: usize,
    ) -> Vec<Shape> {
        let row_starts = mask
            .chunks(width.max(1))
            .scan(0, |start, row| {
                let first = *start;
                *start += row.iter().filter(|b| **b & OPENED != 0).count();
                Some(first)
            })
            .collect();
        let values = on_opened.to_vec();
        shapes(
            labels,
            mask,
            &ValuesUnder { values, row_starts },
            width,
            count,
        )
    }

    /// Shapes summed pixel by pixel in f64, in raster order: the oracle.
    fn shapes_by_pixel(
        labels: &[u32],
        mask: &[u8],
        on_opened: &[f32],
        width: usize,
        count: usize,
    ) -> Vec<([f64; 6], [f64; 3])> {
        let mut sums = vec![([0f64; 6], [0f64; 3]); count];
        let mut weights = on_opened.iter();
        for (i, &l) in labels.iter().enumerate() {
            if mask[i] & OPENED == 0 {
                continue;
            }
            let w = f64::from(weights.next().unwrap().max(0.0));
            let (x, y) = ((i % width) as f64 + 0.5, (i / width) as f64 + 0.5);
            let (m, c) = &mut sums[l as usize - 1];
            for (s, v) in m.iter_mut().zip([1.0, x, y, x * x, y * y, x * y]) {
                *s += v;
            }
            for (s, v) in c.iter_mut().zip([w * x, w * y, w]) {
                *s += v;
            }
        }
        sums
    }

    /// The outline mask of `outlined` pixels, of which `opened` ones are opened.
    fn outline_mask(outlined: &[bool], opened: &[bool]) -> Vec<u8> {
        use super::super::outline::OUTLINED;
        outlined
            .iter()
            .zip(opened)
            .map(|(&outlined, &opened)| {
                assert!(outlined || !opened, "opened pixels are outlined");
                if opened {
                    OUTLINED | OPENED
                } else {
                    u8::from(outlined) * OUTLINED
                }
            })
            .collect()
    }

    #[test]
    fn shapes_are_the_pixel_sums_at_any_thread_count() {
        let mut rng = crate::synth::SplitMix64::new(21);
        let (w, h, count) = (53, 211, 7);
        let labels: Vec<u32> = (0..w * h)
            .map(|_| rng.uniform(0.0, count as f64 + 1.0) as u32)
            .collect();
        let outlined: Vec<bool> = labels
            .iter()
            .map(|&l| l != 0 && rng.uniform(0.0, 1.0) < 0.8)
            .collect();
        let opened: Vec<bool> = outlined
            .iter()
            .map(|&o| o && rng.uniform(0.0, 1.0) < 0.8)
            .collect();
        let mask = outline_mask(&outlined, &opened);
        // Darkness with some negative values (weighing 0), in steps of 2⁻¹⁰ so that the f64
        // sums of the oracle are exact too.
        let on_opened: Vec<f32> = (0..opened.iter().filter(|o| **o).count())
            .map(|_| (rng.uniform(-0.2, 1.0) * 1024.0).round() as f32 / 1024.0)
            .collect();
        let oracle = shapes_by_pixel(&labels, &mask, &on_opened, w, count);
        for threads in [1, 2, 5] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let ours = pool.install(|| shapes_of(&labels, &mask, &on_opened, w, count));
            for (k, (shape, (moments, weighted))) in ours.iter().zip(&oracle).enumerate() {
                assert_eq!(shape.moments, *moments, "dot {k}, {threads} threads");
                assert!(moments[0] > 10.0, "dot {k} has pixels");
                let centroid = (weighted[0] / weighted[2], weighted[1] / weighted[2]);
                assert_eq!(shape.centroid, centroid, "dot {k}, {threads} threads");
            }
        }
    }

    /// The task count at its edges: 2 per thread, the budget, one task at least.
    #[test]
    fn tasks_hold_at_most_the_budget_of_sums_and_there_is_always_one() {
        let size = std::mem::size_of::<ExactSums>();
        assert_eq!(task_count(20_000, 2), 4);
        assert_eq!(task_count(0, 2), 4);
        assert_eq!(task_count(0, 1), 2);
        // At the budget's edge: exactly 4 tasks' arrays fit, not 5.
        let count = MAX_TASK_SUMS_BYTES / (4 * size);
        assert_eq!(task_count(count, 16), 4);
        assert_eq!(task_count(count + 1, 16), 3);
        // More dots than one task's budget: still one task.
        assert_eq!(task_count(MAX_TASK_SUMS_BYTES, 16), 1);
        for (count, threads) in [(50_000, 16), (250_000, 64), (1_000, 64)] {
            let tasks = task_count(count, threads);
            assert!(tasks * count * size <= MAX_TASK_SUMS_BYTES, "{count} dots");
            assert!(tasks <= TASKS_PER_THREAD * threads);
        }
    }

    #[test]
    fn a_dot_with_no_weight_is_centred_on_its_pixels_and_a_plane_with_no_rows_has_no_shapes() {
        // Dot 1: two pixels, both on skin (negative darkness). Dot 2: three pixels whose
        // weights are all below 2⁻³², which the fixed point drops (NaN weighs 0 too). Dot 3:
        // no pixel.
        let labels = [0, 1, 1, 0, 2, 0, 2, 2];
        let outlined = [false, true, true, false, true, false, true, true];
        let mask = outline_mask(&outlined, &outlined);
        let on_opened = [-0.1, -0.3, 1e-10, f32::NAN, 2e-10];
        let dots = shapes_of(&labels, &mask, &on_opened, 4, 3);
        assert_eq!(dots[0].centroid, (2.0, 0.5));
        assert_eq!(dots[0].moments, [2.0, 4.0, 1.0, 8.5, 0.5, 2.0]);
        assert_eq!(dots[1].centroid, (6.5 / 3.0, 1.5));
        assert_eq!(dots[1].moments[0], 3.0);
        assert_eq!(dots[2], Shape::default());
        // A weight just at 2⁻³² is kept: the centroid is that pixel's centre.
        let on_opened = [-0.1, -0.3, 1e-10, 2f32.powi(-32), 2e-10];
        let dots = shapes_of(&labels, &mask, &on_opened, 4, 3);
        assert_eq!(dots[1].centroid, (2.5, 1.5));
        // Outlined pixels not opened are not counted, nor weighed.
        let opened = [false, true, false, false, false, false, true, true];
        let dots = shapes_of(
            &labels,
            &outline_mask(&outlined, &opened),
            &[0.5, 1.0, 3.0],
            4,
            3,
        );
        assert_eq!(dots[0].moments, [1.0, 1.5, 0.5, 2.25, 0.25, 0.75]);
        assert_eq!(dots[1].centroid, ((2.5 + 3.0 * 3.5) / 4.0, 1.5));
        assert_eq!(shapes_of(&[], &[], &[], 0, 2), vec![Shape::default(); 2]);
        assert_eq!(shapes_of(&[], &[], &[], 3, 2), vec![Shape::default(); 2]);
    }
}

//! A Gaussian blur evaluated only every `step`-th pixel of every `step`-th row: a plane smoothed
//! at a coarse scale holds no detail finer than its σ, and the blob search at that scale needs
//! no more samples (see `dots::blobs`).

use rayon::prelude::*;

use super::blur::{gaussian_kernel, weighted_sum, RowWindow};
use super::Plane;

impl Plane {
    /// [`Plane::gaussian_blur`] (σ = `sigma` px) at every `step`-th pixel of every `step`-th
    /// row, into `out`, resized to ⌈width / `step`⌉ × ⌈height / `step`⌉ in its allocation:
    /// `out.get(i, j)` is the blurred value at pixel (`i·step`, `j·step`), bit for bit.
    ///
    /// Only the sampled columns of the horizontal pass and the sampled rows of the vertical
    /// pass are summed: about (1/step + 1/step²)/2 of the whole blur's work (37% at step 2,
    /// 16% at step 4), and no full-size plane is written.
    ///
    /// # Panics
    /// If `step` is 0.
    ///
    /// ```
    /// use smptrack::plane::Plane;
    ///
    /// let mut p = Plane::filled(9, 7, 0.0);
    /// p.data[3 * 9 + 4] = 1.0;
    /// let mut sampled = Plane::default();
    /// p.gaussian_blur_sampled_into(1.5, 2, &mut sampled);
    /// assert_eq!((sampled.width, sampled.height), (5, 4));
    /// assert_eq!(sampled.get(2, 1), p.gaussian_blur(1.5).get(4, 2));
    /// ```
    pub fn gaussian_blur_sampled_into(&self, sigma: f32, step: usize, out: &mut Plane) {
        assert!(step >= 1, "a sampling step of at least 1 px");
        let (w, h) = (self.width, self.height);
        let (sw, sh) = (w.div_ceil(step), h.div_ceil(step));
        (out.width, out.height) = (sw, sh);
        // Every value is overwritten below.
        out.data.resize(sw * sh, 0.0);
        if sw == 0 || sh == 0 {
            return;
        }
        if sigma <= 0.0 {
            out.data
                .par_chunks_mut(sw)
                .enumerate()
                .for_each(|(j, row)| {
                    let source = self.row(j * step).iter().step_by(step);
                    for (o, v) in row.iter_mut().zip(source) {
                        *o = *v;
                    }
                });
            return;
        }
        // The kernel and its cap as the whole blur has them, so that the sums are its sums.
        let kernel = gaussian_kernel(sigma.min(w.max(h) as f32));
        let radius = kernel.len() / 2;
        // Strips of output rows, one per task: each runs the horizontal pass over the source
        // rows its strip needs (the strip's span and `radius` rows either side) into a
        // thread-local buffer, then the vertical pass. Strips span ≥ 8 radii of source rows, so
        // that the rows recomputed at their edges are at most a fifth of the work.
        let strip = (8 * radius)
            .div_ceil(step)
            .max(16)
            .min(sh.div_ceil(4).max(1));
        out.data
            .par_chunks_mut(strip * sw)
            .enumerate()
            .for_each_init(
                || (Vec::new(), Vec::new(), Vec::new()),
                |(padded, phases, horizontal), (s, out_strip)| {
                    let j0 = s * strip;
                    let rows = out_strip.len() / sw;
                    let top = (j0 * step).saturating_sub(radius);
                    let bottom = ((j0 + rows - 1) * step + radius + 1).min(h);
                    horizontal.resize((bottom - top) * sw, 0.0);
                    for (sy, out) in (top..bottom).zip(horizontal.chunks_exact_mut(sw)) {
                        sampled_horizontal_pass(self.row(sy), &kernel, step, (padded, phases), out);
                    }
                    let rows = RowWindow {
                        rows: horizontal,
                        width: sw,
                        top,
                        height: h,
                    };
                    rows.vertical_pass(&kernel, out_strip, |dj| (j0 + dj) * step);
                },
            );
    }
}

/// The horizontal pass of a blur of `row` with `kernel`, edges clamped, at every `step`-th
/// pixel, into `out` (⌈`row.len()` / `step`⌉ values); `padded` and `phases` are scratch.
///
/// With `padded[j] = row[j − r]` clamped (r the kernel's radius), `out[i] = Σₖ kernel[k] ·
/// padded[i·step + k]`. The padded row is dealt into `step` phases, phase p holding
/// `padded[p], padded[p + step], …`, so that `padded[i·step + k]` is `phase[k % step][i + k /
/// step]`: each tap reads a contiguous run of a phase, as [`weighted_sum`] needs, and each sum
/// keeps the kernel's order (the whole blur's sums, bit for bit).
fn sampled_horizontal_pass(
    row: &[f32],
    kernel: &[f32],
    step: usize,
    (padded, phases): (&mut Vec<f32>, &mut Vec<f32>),
    out: &mut [f32],
) {
    let (w, r) = (row.len(), kernel.len() / 2);
    padded.clear();
    padded.extend(std::iter::repeat_n(row[0], r));
    padded.extend_from_slice(row);
    padded.extend(std::iter::repeat_n(row[w - 1], r));
    let phase_len = padded.len().div_ceil(step);
    // (Each phase's tail past the padded row is never read: out[i] reads at most padded index
    // (⌈w / step⌉ − 1)·step + 2r ≤ w − 1 + 2r.)
    phases.resize(step * phase_len, 0.0);
    for (p, phase) in phases.chunks_exact_mut(phase_len).enumerate() {
        for (v, source) in phase.iter_mut().zip(padded.iter().skip(p).step_by(step)) {
            *v = *source;
        }
    }
    let n = out.len();
    weighted_sum(out, kernel, |k| {
        let start = (k % step) * phase_len + k / step;
        &phases[start..start + n]
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every sampled value is the whole blur's value at its pixel, bit for bit: steps 1–5, σ
    /// from none to wider than the plane, sizes not divisible by the step and narrower than the
    /// kernel, strips across several tasks.
    #[test]
    fn sampled_blur_is_the_whole_blur_at_the_sampled_pixels() {
        let mut rng = crate::synth::SplitMix64::new(17);
        // (4133 × 9 and 1025 × 70: sampled rows wider than a vertical-pass tile at step 1.)
        for (w, h) in [(1, 1), (7, 3), (40, 150), (301, 97), (4133, 9), (1025, 70)] {
            let p = Plane {
                width: w,
                height: h,
                data: (0..w * h).map(|_| rng.uniform(-0.2, 1.0) as f32).collect(),
            };
            for sigma in [0.0, 0.6, 2.3, 8.1, 60.0] {
                let whole = p.gaussian_blur(sigma);
                let mut sampled = Plane::filled(3, 3, f32::NAN);
                for step in 1..=5 {
                    p.gaussian_blur_sampled_into(sigma, step, &mut sampled);
                    let size = (w.div_ceil(step), h.div_ceil(step));
                    assert_eq!((sampled.width, sampled.height), size);
                    assert_eq!(sampled.data.len(), size.0 * size.1);
                    for j in 0..size.1 {
                        for i in 0..size.0 {
                            assert_eq!(
                                sampled.get(i, j).to_bits(),
                                whole.get(i * step, j * step).to_bits(),
                                "{w}×{h} σ {sigma} step {step} at ({i}, {j})"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "sampling step")]
    fn a_step_of_zero_is_refused() {
        Plane::filled(4, 4, 0.0).gaussian_blur_sampled_into(1.0, 0, &mut Plane::default());
    }
}

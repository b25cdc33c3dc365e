//! One bit per pixel of the darkness plane: whether the pixel is light enough to be skin in a
//! dot's ring ([`crate::dots::RING_EXCLUDE_DARKNESS`], judged on the denoised photo). Per-dot
//! sampling reads it after the darkness plane's buffer has gone to the labels: 1 bit per pixel
//! (3 MB for 24 MP) instead of a 4 B/px plane, and fewer misses to memory than its values cost.

use rayon::prelude::*;

use crate::plane::Plane;

/// Bits per word of [`LightBits`].
const WORD_BITS: usize = 64;

/// Per pixel of a plane, whether its value is below a bound; rows padded to whole words.
pub(super) struct LightBits {
    words_per_row: usize,
    words: Vec<u64>,
}

impl LightBits {
    /// The pixels of `d` whose value is below `bound` (NaN never is).
    #[cfg(test)]
    pub(super) fn below(d: &Plane, bound: f32) -> Self {
        let mut copy = d.clone();
        Self::rewriting_rows(&mut copy, bound, |y, _, judged| {
            judged.copy_from_slice(d.row(y));
        })
    }

    /// Rewrites `plane` row by row, rows in parallel: `rewrite(y, row, judged)` takes row `y`
    /// in `row`, writes its new values over it and the values to be judged into `judged` (one
    /// per pixel, a scratch row of its thread). Returns the pixels whose judged value is below
    /// `bound` (NaN never is), each row's bits taken while the row is in cache (a pass of its
    /// own over a 24 MP plane cost 6 ms).
    pub(super) fn rewriting_rows(
        plane: &mut Plane,
        bound: f32,
        rewrite: impl Fn(usize, &mut [f32], &mut [f32]) + Sync,
    ) -> Self {
        let width = plane.width;
        let words_per_row = width.div_ceil(WORD_BITS);
        let mut words = vec![0u64; words_per_row * plane.height];
        if words_per_row > 0 {
            words
                .par_chunks_mut(words_per_row)
                .zip(plane.data.par_chunks_mut(width))
                .enumerate()
                .for_each_init(Vec::new, |judged, (y, (bits, row))| {
                    judged.resize(width, 0.0);
                    rewrite(y, row, judged);
                    bits_below(judged, bound, bits);
                });
        }
        LightBits {
            words_per_row,
            words,
        }
    }

    /// Whether pixel (`x`, `y`) is below the bound.
    #[inline]
    pub(super) fn get(&self, x: usize, y: usize) -> bool {
        let word = self.words[y * self.words_per_row + x / WORD_BITS];
        (word >> (x % WORD_BITS)) & 1 == 1
    }

    /// Hints into the cache the words that hold pixels `xs` of row `y` (see
    /// [`crate::prefetch`]). Changes nothing.
    pub(super) fn prefetch_run(&self, y: usize, xs: std::ops::Range<usize>) {
        let start = y * self.words_per_row;
        let words = (xs.start / WORD_BITS)..xs.end.div_ceil(WORD_BITS).min(self.words_per_row);
        crate::prefetch::prefetch_span(&self.words, start + words.start..start + words.end);
    }
}

/// Into `bits` (one per 64 values of `row`), the values of `row` below `bound`, bit `i` of
/// word `k` for value `64 k + i` (NaN never is).
fn bits_below(row: &[f32], bound: f32, bits: &mut [u64]) {
    for (word, values) in bits.iter_mut().zip(row.chunks(WORD_BITS)) {
        let mut fours = values.chunks_exact(4);
        let mut w = 0u64;
        for (k, four) in fours.by_ref().enumerate() {
            w |= u64::from(four_below(four, bound)) << (4 * k);
        }
        let done = values.len() - fours.remainder().len();
        for (i, v) in fours.remainder().iter().enumerate() {
            w |= u64::from(*v < bound) << (done + i);
        }
        *word = w;
    }
}

/// Bit `i` set for each of the four `values` below `bound`. On x86-64 one vector compare and
/// mask move (SSE, which every x86-64 CPU has): bit by bit the pass cost as much as writing
/// the darkness itself.
#[inline(always)]
fn four_below(values: &[f32], bound: f32) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_cmplt_ps, _mm_loadu_ps, _mm_movemask_ps, _mm_set1_ps};
        assert!(values.len() >= 4);
        // SAFETY: SSE is part of the x86-64 baseline; the load reads the four values checked
        // above (unaligned loads allowed).
        unsafe {
            let v = _mm_loadu_ps(values.as_ptr());
            _mm_movemask_ps(_mm_cmplt_ps(v, _mm_set1_ps(bound))) as u32
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        values[..4]
            .iter()
            .enumerate()
            .fold(0, |w, (i, v)| w | (u32::from(*v < bound) << i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pixel's bit is the comparison, for widths below, at and across word boundaries;
    /// NaN is never below; an empty plane has no bits.
    #[test]
    fn bits_are_the_comparison() {
        let mut rng = crate::synth::SplitMix64::new(5);
        for width in [1, 63, 64, 65, 130] {
            let height = 4;
            let mut data: Vec<f32> = (0..width * height)
                .map(|_| rng.uniform(-0.1, 0.3) as f32)
                .collect();
            // The bound itself is not below it; NaN never is.
            data[0] = 0.08;
            data[width] = f32::NAN;
            let d = Plane {
                width,
                height,
                data,
            };
            let bits = LightBits::below(&d, 0.08);
            let mut set = 0;
            for y in 0..height {
                for x in 0..width {
                    assert_eq!(
                        bits.get(x, y),
                        d.get(x, y) < 0.08,
                        "width {width} ({x}, {y})"
                    );
                    set += usize::from(bits.get(x, y));
                }
            }
            assert!(!bits.get(0, 0) && !bits.get(0, 1));
            if width > 60 {
                assert!(set > 0 && set < width * height - 2, "width {width}: a mix");
            }
        }
        assert!(LightBits::below(&Plane::default(), 0.0).words.is_empty());
    }
}

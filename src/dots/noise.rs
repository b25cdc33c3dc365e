//! The skin's noise over a whole plane: the robust standard deviation of smoothed darkness on
//! skin, read from a histogram of the negative side (where only skin lies). It sets the
//! sizing's threshold, and stands in for the local noise of the blob search's blocks that hold
//! too little skin.

use rayon::prelude::*;

use crate::plane::Plane;

/// Robust standard deviation of smoothed darkness on skin: 1.4826 × the median of |D| over the
/// pixels with D < 0. The skin field is the skin's median, so skin straddles 0 while pigment
/// only adds darkness: the negative side is skin alone, however dense the dots. 0 when fewer
/// than 16 pixels lie below 0.
///
/// The median is read from a histogram of every pixel (bins of [`NOISE_HISTOGRAM_STEP`]: the
/// lower middle value's bin centre), not
/// from a sample: a sample taken in raster order picks other pixels when the photo is turned,
/// and the noise sets the thresholds that decide which faint dots are found.
pub fn skin_noise(smoothed: &Plane) -> f32 {
    smoothed
        .data
        .par_chunks(smoothed.width.max(1))
        .fold(NoiseHistogram::new, |mut histogram, row| {
            histogram.add_row(row);
            histogram
        })
        .reduce(NoiseHistogram::new, NoiseHistogram::merged)
        .robust_sigma()
}

/// The histogram behind [`skin_noise`], filled row by row and merged: the same noise from rows
/// counted in any order or grouping (the counts are whole numbers), for a plane seen a strip
/// or a row at a time and never stored.
///
/// ```
/// use smptrack::dots::{skin_noise, NoiseHistogram};
/// use smptrack::plane::Plane;
///
/// let mut p = Plane::filled(8, 4, 0.3);
/// for (i, v) in p.data.iter_mut().enumerate().filter(|(i, _)| i % 3 != 0) {
///     *v = -0.001 * (i % 7) as f32;
/// }
/// let (mut top, mut bottom) = (NoiseHistogram::new(), NoiseHistogram::new());
/// (0..2).for_each(|y| top.add_row(p.row(y)));
/// (2..4).for_each(|y| bottom.add_row(p.row(y)));
/// assert_eq!(bottom.merged(top).robust_sigma(), skin_noise(&p));
/// ```
#[derive(Clone, Debug)]
pub struct NoiseHistogram {
    /// Counts per bin, then the [`NOISE_SPARE_BINS`].
    counts: Vec<u32>,
    /// Each row's bins (a buffer reused from row to row).
    row_bins: Vec<u32>,
}

impl Default for NoiseHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl NoiseHistogram {
    /// No value counted.
    pub fn new() -> Self {
        NoiseHistogram {
            counts: vec![0; NOISE_HISTOGRAM_BINS + NOISE_SPARE_BINS],
            row_bins: Vec::new(),
        }
    }

    /// Counts the values (darkness) of `row`.
    pub fn add_row(&mut self, row: &[f32]) {
        // Each row's bins first, all of them, in a pass that vectorises (a value's bin, or a
        // spare bin for one that is not negative), then counted without a test: on skin the
        // sign is a coin toss, which a filter's branch mispredicts (24 MP, one thread: 43 →
        // 21 ms; a division per value in the counting loop itself made it slower, 46 → 66 ms).
        // The spare bins take turns so that their counts do not wait on each other.
        noise_bins(row, &mut self.row_bins);
        for &bin in &self.row_bins {
            self.counts[bin as usize] += 1;
        }
    }

    /// The values of both histograms counted.
    pub fn merged(mut self, other: Self) -> Self {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self
    }

    /// [`skin_noise`] of the values counted (darkness).
    pub fn robust_sigma(&self) -> f32 {
        let bins = NOISE_HISTOGRAM_BINS;
        let histogram = &self.counts[..bins];
        let below: u64 = histogram.iter().map(|c| u64::from(*c)).sum();
        if below < 16 {
            return 0.0;
        }
        // The bin holding the middle value; its centre is the median to within half a bin.
        let mut running = 0u64;
        let bin = histogram
            .iter()
            .position(|c| {
                running += u64::from(*c);
                2 * running >= below
            })
            .unwrap_or(bins - 1);
        1.4826 * (bin as f32 + 0.5) * NOISE_HISTOGRAM_STEP
    }
}

/// Spare bins of [`skin_noise`]'s counts, taking turns for the values that are not negative.
pub(super) const NOISE_SPARE_BINS: usize = 8;

/// The bin of each value of `row` in [`skin_noise`]'s histogram, into `out` (resized to the
/// row): for a negative value v, ⌊−v / [`NOISE_HISTOGRAM_STEP`]⌋ (the quotient rounded as
/// IEEE division rounds it), at most the last bin; for any other value (NaN too), one of the
/// [`NOISE_SPARE_BINS`] spare bins past the last, by column.
pub(super) fn noise_bins(row: &[f32], out: &mut Vec<u32>) {
    const LAST: f32 = (NOISE_HISTOGRAM_BINS - 1) as f32;
    out.resize(row.len(), 0);
    for (x, (bin, &v)) in out.iter_mut().zip(row).enumerate() {
        // The quotient clamped before truncating: the same bin as truncating, then clamping
        // (LAST is a whole number). Not `clamp`, which keeps a NaN.
        #[allow(clippy::manual_clamp)]
        let quotient = (-v / NOISE_HISTOGRAM_STEP).max(0.0).min(LAST);
        // SAFETY: `quotient` lies in 0..=LAST (`max` returns 0 for NaN), which i32 holds.
        // Unchecked, the conversion is one vector instruction; `as` saturates and checks for
        // NaN, which LLVM compiles to a branchy scalar conversion per value (its bins alone 26 → 10 ms).
        let truncated = unsafe { quotient.to_int_unchecked::<i32>() };
        let spare = (NOISE_HISTOGRAM_BINS + x % NOISE_SPARE_BINS) as u32;
        *bin = if v < 0.0 { truncated as u32 } else { spare };
    }
}

/// Bin width of the noise histogram (darkness): a hundredth of the quietest skin noise seen
/// (σ ≈ 0.005 on bright, smoothed skin), so the median is exact to ≈ 0.7% or better.
pub const NOISE_HISTOGRAM_STEP: f32 = 5e-5;
/// Bins of the noise histogram: |D| up to 0.2 (noise beyond that is not skin texture but a
/// failed exposure, and lands in the last bin).
pub const NOISE_HISTOGRAM_BINS: usize = 4000;

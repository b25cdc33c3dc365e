//! The skin's level in a noisy block: where its denoised pixels crowd, when the first pass's
//! percentile stands too far above the skin for the second pass's exclusion (see
//! [`NOISY_SKIN_NOISE`]).

use super::{MIN_SKIN_FRACTION, SKIN_EXCLUDE_DARKNESS};
use crate::quantile::quantile;

/// A block whose pixel noise is over this fraction of its skin's luminance is noisy, and its
/// second pass excludes pigment below the skin's level (where its denoised pixels crowd)
/// instead of below the first pass: where the first pass stands more than the exclusion's
/// margin above the skin ([`FIRST_PASS_NOISE_SIGMAS`] × the noise over
/// [`SKIN_EXCLUDE_DARKNESS`]; 0.145), and the exclusion would cut into the skin itself. The noise is read on the brighter half of the
/// block's denoised copy, 1.4826 × the median of |raw − denoised| / first pass on the quieter
/// side (≈ 0.95 σ of white noise): ≈ 0.03–0.05 under a phone's noise on well-lit skin of
/// types I–IV, ≈ 0.13 on type VI skin in a phone close-up (Y ≈ 0.03), 0.19–0.26 at 1.5–2× that.
pub const NOISY_SKIN_NOISE: f32 = SKIN_EXCLUDE_DARKNESS / FIRST_PASS_NOISE_SIGMAS;

/// How far the first pass can stand above the skin, in the skin's noise σ: the 70th percentile
/// of a normal spread lies 0.52 σ above its median (0.55 here, for the noise read from
/// |raw − denoised|, ≈ 0.95 σ). A noisy block's skin level lies no lower below its first
/// pass: a mode further down is pigment, where dense dots crowd a block more than its skin.
pub const FIRST_PASS_NOISE_SIGMAS: f32 = 0.55;

/// The skin's level in a noisy block may lie at most this fraction below its first pass, however
/// noisy: 20% for a noise σ of 36% of the luminance (a photo beyond any use), while pigment
/// (≥ 0.3 dark, even faded) must stay excluded from a block it nearly fills.
pub const MAX_SKIN_LEVEL_DROP: f32 = 0.2;

/// A block's noise is read from at least twice this many sampled pixels, and at least half this
/// many on each side of their denoised copy (see [`NOISY_SKIN_NOISE`]); with fewer it is taken
/// as quiet.
pub const MIN_SKIN_NOISE_SAMPLES: usize = 32;

/// Pixels (at most) that a block's skin level is read from (its noise and mode), evenly spaced:
/// the noise within ≈ ±12% (≈ 0.03–0.05 under a phone's noise on well-lit skin, 0.13 on type
/// VI skin, against [`NOISY_SKIN_NOISE`]'s 0.145) and the mode within a few tenths of the
/// denoised skin's spread, which the exclusion's margin absorbs. With 64, the noise of type VI
/// skin under a phone's noise crossed the threshold in more blocks, and moved such scenes
/// without a scale apart from those with one (`tests/no_scale.rs`). It runs on every block of
/// every field: a 24 MP photo takes ≈ 40 ms (3%) longer.
pub const SKIN_LEVEL_SAMPLES: usize = 256;

/// The raw values (linear luminance) of the skin among a block's `pixels`, each three values
/// (raw, first-pass skin, denoised), moved to the start of the slice; `None` when fewer than
/// [`MIN_SKIN_FRACTION`] of them are skin. Skin is a pixel whose denoised value is at most
/// [`SKIN_EXCLUDE_DARKNESS`] darker than the skin's [`skin_level`] (the first pass's skin
/// unless the block is noisy).
pub(super) fn skin_of_block(pixels: &mut [f32]) -> Option<&mut [f32]> {
    let all = pixels.len() / 3;
    let level = skin_level(pixels);
    let mut n = 0;
    for i in 0..all {
        let (v, s, c) = (pixels[3 * i], pixels[3 * i + 1], pixels[3 * i + 2]);
        // At or above: on black (0 ≥ 0) every pixel is skin; strictly above, none was, every
        // block had no value, and the field was filled white (L* 100).
        if c >= level * s * (1.0 - SKIN_EXCLUDE_DARKNESS) {
            pixels[n] = v;
            n += 1;
        }
    }
    if (n as f32) < MIN_SKIN_FRACTION * all as f32 {
        return None;
    }
    Some(&mut pixels[..n])
}

/// The skin's level in a block, relative to its first pass (`pixels` as in [`skin_of_block`];
/// read from at most [`SKIN_LEVEL_SAMPLES`] of them, evenly spaced): 1 unless its pixel noise
/// (read on the brighter half of its denoised copy) is over [`NOISY_SKIN_NOISE`], else where the
/// denoised pixels crowd, the half-sample mode of their ratio to the first pass's skin, no more
/// than [`FIRST_PASS_NOISE_SIGMAS`] × that noise (and [`MAX_SKIN_LEVEL_DROP`]) below 1.
///
/// The first pass's 70th percentile of raw luminance stands 0.52 σ above the skin's median when
/// no pigment lies in the block (σ the skin's spread, pixel noise included). On a dim photo of
/// dark skin the noise is 20–25% of the luminance, that percentile 10–13% above the skin, and
/// the exclusion then cut the skin's lower half away with the pigment: the field stood 3–12%
/// high, the skin read dark by as much, and the noise on it (read from the negative side of the
/// darkness) low, so that noise peaks were counted as dots (318 on bare type VI skin at 15
/// px/mm and twice a phone's noise). Pigment only darkens, so the skin is where the pixels
/// crowd; a mode ignores the pigment's spread-out darker pixels, as a median or a percentile
/// does not.
fn skin_level(pixels: &[f32]) -> f32 {
    let all = pixels.len() / 3;
    let step = all.div_ceil(SKIN_LEVEL_SAMPLES).max(1);
    let sampled = || pixels.chunks_exact(3).step_by(step).filter(|p| p[1] > 0.0);
    // On the stack: this runs on every block of every field (15 000 blocks of a 24 MP photo).
    let mut calm = [0f32; SKIN_LEVEL_SAMPLES];
    let mut n = 0;
    for (c, p) in calm.iter_mut().zip(sampled()) {
        *c = p[2] / p[1];
        n += 1;
    }
    if n < 2 * MIN_SKIN_NOISE_SAMPLES {
        return 1.0;
    }
    let middle = quantile(&mut calm[..n], 0.5);
    // The noise on the brighter half of the denoised copy (skin unless pigment fills half the
    // block), from the quieter of its two sides: noise is symmetric, while the gaps between
    // dense dots stand only above their blurred copy and the dots' edges only below.
    let (mut above, mut below) = ([0f32; SKIN_LEVEL_SAMPLES], [0f32; SKIN_LEVEL_SAMPLES]);
    let (mut n_above, mut n_below) = (0, 0);
    for p in sampled().filter(|p| p[2] / p[1] >= middle) {
        let d = (p[0] - p[2]) / p[1];
        if d > 0.0 {
            above[n_above] = d;
            n_above += 1;
        } else {
            below[n_below] = -d;
            n_below += 1;
        }
    }
    if n_above.min(n_below) < MIN_SKIN_NOISE_SAMPLES / 2 {
        return 1.0;
    }
    let quieter = quantile(&mut above[..n_above], 0.5).min(quantile(&mut below[..n_below], 0.5));
    let sigma = 1.4826 * quieter;
    // Not greater (NaN too): quiet.
    if sigma.partial_cmp(&NOISY_SKIN_NOISE) != Some(std::cmp::Ordering::Greater) {
        return 1.0;
    }
    // The same ratios as `calm` (which the median above only reordered), sorted for the mode.
    let ratios = &mut calm[..n];
    ratios.sort_unstable_by(f32::total_cmp);
    let drop = (FIRST_PASS_NOISE_SIGMAS * sigma).min(MAX_SKIN_LEVEL_DROP);
    half_sample_mode(ratios).clamp(1.0 - drop, 1.0)
}

/// Bickel and Frühwirth's half-sample mode of `sorted` values (ascending): the narrowest window
/// holding half of them, again and again, down to two or three, whose mean (of two; of the
/// closer pair of three) it is; 1 (no change of level) when there are none.
/// Written here: no crate of ours offers a robust mode, and it is a dozen lines.
fn half_sample_mode(sorted: &[f32]) -> f32 {
    let mut window = sorted;
    while window.len() > 3 {
        let half = window.len().div_ceil(2);
        let start = (0..=window.len() - half)
            .min_by(|&a, &b| {
                let (wa, wb) = (
                    window[a + half - 1] - window[a],
                    window[b + half - 1] - window[b],
                );
                wa.total_cmp(&wb)
            })
            .unwrap_or(0);
        window = &window[start..start + half];
    }
    match *window {
        [a] => a,
        [a, b] => 0.5 * (a + b),
        [a, b, c] if b - a < c - b => 0.5 * (a + b),
        [a, b, c] if b - a > c - b => 0.5 * (b + c),
        [_, b, _] => b,
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::SplitMix64;

    /// A block of skin at 1.0 whose first pass stood `bias` above it, with white noise of σ
    /// `noise` (relative) on the raw pixels and a quarter of it on the denoised ones.
    fn block(noise: f64, bias: f32) -> Vec<f32> {
        let mut rng = SplitMix64::new(7);
        let mut normal = || {
            let (u, v) = (rng.uniform(1e-9, 1.0), rng.uniform(0.0, 1.0));
            ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
        };
        (0..1600)
            .flat_map(|_| {
                let calm = 1.0 + 0.25 * noise as f32 * normal();
                let raw = calm + noise as f32 * normal();
                [raw, 1.0 + bias, calm]
            })
            .collect()
    }

    /// Quiet skin keeps the first pass as it is; skin whose noise (≈ 25%) is past
    /// [`NOISY_SKIN_NOISE`] is judged at its mode, 13% below a first pass that stood 13% high,
    /// within what the noise explains ([`FIRST_PASS_NOISE_SIGMAS`]).
    #[test]
    fn the_level_moves_only_for_noisy_skin_and_only_as_far_as_its_noise_explains() {
        assert_eq!(skin_level(&block(0.03, 0.015)), 1.0);
        assert_eq!(skin_level(&block(0.12, 0.06)), 1.0);
        // Within ≈ 0.6 of the denoised skin's spread (0.055 here), the mode's own scatter.
        let level = skin_level(&block(0.25, 0.13));
        assert!((level - 1.0 / 1.13).abs() < 0.035, "{level}");
        // The first pass 30% high (the mode at 0.77): the drop stops at what the noise explains,
        // ≈ 0.55 × 0.25 / 1.3 ≈ 0.11 (the noise is read relative to the first pass).
        let level = skin_level(&block(0.25, 0.3));
        assert!((0.86..0.93).contains(&level), "{level}");
    }

    #[test]
    fn the_half_sample_mode_finds_where_values_crowd() {
        assert_eq!(half_sample_mode(&[]), 1.0);
        assert_eq!(half_sample_mode(&[0.5]), 0.5);
        assert_eq!(
            half_sample_mode(&[0.2, 0.4, 0.5, 0.52, 0.55, 0.9, 1.0]),
            0.51
        );
    }
}

//! Order statistics over pixel values: the quantiles that the skin field, the noise maps and
//! the per-dot samples take of luminance and darkness.

/// The `q` quantile (0..1) of `values` (reorders them); 0 for an empty slice.
pub fn quantile(values: &mut [f32], q: f32) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    let k = quantile_rank(values.len(), q);
    select(values, k)
}

/// The value of rank `k` (0-based) of `values` in [`f32::total_cmp`] order (reorders them).
///
/// When no value has its sign bit set (luminances, darkness magnitudes: every caller's values
/// in practice), their bits compare as unsigned integers in that same order, and the select
/// runs on those: about 15% faster than comparing by `total_cmp`, which recodes both
/// operands at every comparison. The value of a rank does not depend on how it is found, so
/// the result is the same, bit for bit.
fn select(values: &mut [f32], k: usize) -> f32 {
    let bits: &mut [u32] = bytemuck::cast_slice_mut(values);
    if bits.iter().fold(0, |any, b| any | b) >> 31 == 0 {
        f32::from_bits(*bits.select_nth_unstable(k).1)
    } else {
        let values: &mut [f32] = bytemuck::cast_slice_mut(bits);
        *values.select_nth_unstable_by(k, |a, b| a.total_cmp(b)).1
    }
}

/// The `q` quantile (0..1) of byte `codes`, at the rank [`quantile`] takes; 0 for none. For
/// values that a non-decreasing table maps the codes to (8-bit sRGB decoded to linear), the
/// table's value at this code is [`quantile`] of those values, bit for bit: counted in 256
/// bins, with no sort or select (a dot's skin ring, a few hundred pixels, is read this way
/// per colour channel).
pub fn quantile_of_codes(codes: impl Iterator<Item = u8>, q: f32) -> u8 {
    let mut counts = [0u32; 256];
    let mut len = 0usize;
    for code in codes {
        counts[usize::from(code)] += 1;
        len += 1;
    }
    if len == 0 {
        return 0;
    }
    let rank = quantile_rank(len, q);
    let mut below = 0usize;
    for (code, &n) in counts.iter().enumerate() {
        below += n as usize;
        if below > rank {
            return code as u8;
        }
    }
    u8::MAX
}

/// The rank (0-based) of the `q` quantile among `len` ≥ 1 values: round((len − 1)·q).
fn quantile_rank(len: usize, q: f32) -> usize {
    ((len - 1) as f32 * q.clamp(0.0, 1.0)).round() as usize
}

/// The `low` and `high` quantiles (`low ≤ high`, 0..1) of `values`, the same values as two calls
/// of [`quantile`] (reorders them). The second select runs only over the values above the first
/// (after a select, they are the ones past its rank): a block's bright tail is found among its
/// brightest 30–50% instead of all its pixels.
pub fn quantile_pair(values: &mut [f32], low: f32, high: f32) -> (f32, f32) {
    debug_assert!(low <= high);
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let (k_low, k_high) = (
        quantile_rank(values.len(), low),
        quantile_rank(values.len(), high),
    );
    let low_value = quantile(values, low);
    let high_value = if k_high <= k_low {
        low_value
    } else {
        select(&mut values[k_low + 1..], k_high - k_low - 1)
    };
    (low_value, high_value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_edges() {
        assert_eq!(quantile(&mut [], 0.5), 0.0);
        assert_eq!(quantile(&mut [3.0, 1.0, 2.0], 0.0), 1.0);
        assert_eq!(quantile(&mut [3.0, 1.0, 2.0], 1.0), 3.0);
        assert_eq!(quantile(&mut [3.0, 1.0, 2.0], 0.5), 2.0);
        assert_eq!(quantile_pair(&mut [], 0.5, 0.95), (0.0, 0.0));
        assert_eq!(quantile_pair(&mut [3.0, 1.0, 2.0], 0.5, 0.5), (2.0, 2.0));
        assert_eq!(quantile_pair(&mut [3.0, 1.0, 2.0], 0.0, 1.0), (1.0, 3.0));
    }

    /// Every rank's value is the one `total_cmp` orders there, bit for bit: values all
    /// non-negative (selected as integers, with +0, +∞ and a NaN), and with a negative one
    /// (−0 or below) among them, which `total_cmp` orders differently from the raw bits.
    #[test]
    fn select_is_the_total_order_select() {
        let mut rng = crate::synth::SplitMix64::new(9);
        let specials = [0.0, f32::INFINITY, f32::NAN, f32::MIN_POSITIVE, 1e-40];
        for n in [1, 2, 7, 64, 500] {
            for negative in [None, Some(-0.0), Some(-0.25)] {
                let mut values: Vec<f32> = (0..n)
                    .map(|i| {
                        if i % 9 == 4 {
                            specials[(i / 9) % specials.len()]
                        } else {
                            (rng.uniform(0.0, 1.0) * 8.0).round() as f32 / 8.0
                        }
                    })
                    .collect();
                if let Some(v) = negative {
                    values[n / 2] = v;
                }
                for k in [0, n / 3, n / 2, n - 1] {
                    let mut expected = values.clone();
                    let expected = *expected.select_nth_unstable_by(k, |a, b| a.total_cmp(b)).1;
                    let got = select(&mut values.clone(), k);
                    assert_eq!(
                        got.to_bits(),
                        expected.to_bits(),
                        "n {n} {negative:?} k {k}"
                    );
                }
            }
        }
    }

    /// A quantile of codes is the code of the quantile of their values under a non-decreasing
    /// table (ties in the table too), at every length and quantile.
    #[test]
    fn a_quantile_of_codes_is_the_quantile_of_their_values() {
        let mut rng = crate::synth::SplitMix64::new(4);
        // Strictly increasing, then a flat stretch.
        let table: Vec<f32> = (0..256)
            .map(|c: i32| (c.min(200) as f32 / 255.0).powf(2.2))
            .collect();
        assert_eq!(quantile_of_codes(std::iter::empty(), 0.5), 0);
        // The table the per-dot samples decode codes with never decreases, as this relies on.
        let decoded: Vec<f32> = (0..=255).map(crate::color::linear_from_u8).collect();
        assert!(decoded.windows(2).all(|pair| pair[0] <= pair[1]));
        for n in [1, 2, 3, 10, 101, 400] {
            let codes: Vec<u8> = (0..n).map(|_| rng.uniform(0.0, 256.0) as u8).collect();
            for q in [0.0, 0.25, 0.5, 0.9, 1.0] {
                let mut values: Vec<f32> = codes.iter().map(|&c| table[usize::from(c)]).collect();
                let code = quantile_of_codes(codes.iter().copied(), q);
                assert_eq!(
                    table[usize::from(code)].to_bits(),
                    quantile(&mut values, q).to_bits(),
                    "n {n} q {q}"
                );
            }
        }
    }

    /// The pair is the two single quantiles, bit for bit, whatever the ranks and ties.
    #[test]
    fn a_quantile_pair_is_two_quantiles() {
        let mut rng = crate::synth::SplitMix64::new(3);
        for n in [1, 2, 3, 10, 101, 1600] {
            for ties in [false, true] {
                let values: Vec<f32> = (0..n)
                    .map(|_| {
                        let v = rng.uniform(0.0, 1.0) as f32;
                        if ties {
                            (v * 4.0).round()
                        } else {
                            v
                        }
                    })
                    .collect();
                for (low, high) in [(0.7, 0.95), (0.5, 0.95), (0.0, 1.0), (0.3, 0.31)] {
                    let single = (
                        quantile(&mut values.clone(), low),
                        quantile(&mut values.clone(), high),
                    );
                    let pair = quantile_pair(&mut values.clone(), low, high);
                    assert_eq!(
                        (pair.0.to_bits(), pair.1.to_bits()),
                        (single.0.to_bits(), single.1.to_bits()),
                        "n {n} ties {ties} {low} {high}"
                    );
                }
            }
        }
    }
}

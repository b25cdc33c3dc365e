//! Deterministic random numbers and hash-based noise.
//!
//! We deliberately do not use the `rand` crate: its generators and
//! distribution algorithms may change between versions, and a scene rendered
//! from a seed must stay bit-for-bit identical for as long as tests, samples
//! and benchmarks compare against it. SplitMix64 is eight lines, passes
//! BigCrush, and its output is fixed forever by its definition.
//!
//! Spatial noise (skin mottling, pores, texture, sensor noise) never draws
//! from a sequential generator: it hashes the lattice coordinates together
//! with a seed, so every pixel's value is independent of evaluation order and
//! therefore of the rayon thread count.

use std::f64::consts::TAU;

/// Golden-ratio increment of SplitMix64 (Steele, Lea & Flood 2014).
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64 output finaliser: a bijective avalanche mix of 64 bits.
#[inline]
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of a seed and two signed lattice coordinates.
#[inline]
pub(crate) fn hash2(seed: u64, a: i64, b: i64) -> u64 {
    mix64(seed ^ mix64((a as u64).wrapping_add(GOLDEN_GAMMA) ^ mix64(b as u64).rotate_left(17)))
}

/// Hash of a seed and three lattice coordinates (e.g. x, y, channel).
#[inline]
pub(crate) fn hash3(seed: u64, a: i64, b: i64, c: i64) -> u64 {
    hash2(mix64(seed ^ (c as u64).wrapping_mul(GOLDEN_GAMMA)), a, b)
}

/// Maps 64 random bits to a uniform `f64` in `[0, 1)` (53 significant bits).
#[inline]
pub(crate) fn unit_f64(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Standard normal deviate from 64 random bits (Box–Muller, one output).
#[inline]
pub(crate) fn normal_from_bits(bits: u64) -> f64 {
    // Two 32-bit uniforms; u1 in (0, 1] so that ln(u1) is finite.
    let u1 = ((bits >> 32) as f64 + 1.0) * (1.0 / 4_294_967_296.0);
    let u2 = (bits & 0xFFFF_FFFF) as f64 * (1.0 / 4_294_967_296.0);
    (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()
}

/// Quintic fade `6t⁵ − 15t⁴ + 10t³` (C² smooth, symmetric about t = 0.5).
#[inline]
pub(crate) fn smootherstep(t: f64) -> f64 {
    let t = t.clamp(0.0, 1.0);
    t * t * t * (t * (t * 6.0 - 15.0) + 10.0)
}

/// Value noise in `[-1, 1]` on an integer lattice (lattice spacing 1 unit of
/// `x`, `y`), quintic-interpolated between hashed lattice values.
pub(crate) fn value_noise(seed: u64, x: f64, y: f64) -> f64 {
    let fx = x.floor();
    let fy = y.floor();
    let ix = fx as i64;
    let iy = fy as i64;
    let tx = smootherstep(x - fx);
    let ty = smootherstep(y - fy);
    let v = |i: i64, j: i64| unit_f64(hash2(seed, i, j)) * 2.0 - 1.0;
    let a = v(ix, iy);
    let b = v(ix + 1, iy);
    let c = v(ix, iy + 1);
    let d = v(ix + 1, iy + 1);
    let top = a + (b - a) * tx;
    let bottom = c + (d - c) * tx;
    top + (bottom - top) * ty
}

/// Fractal (fBm) value noise in `[-1, 1]`: `octaves` layers, each at twice
/// the frequency and half the amplitude of the previous, normalised by the
/// total amplitude.
pub(crate) fn fbm(seed: u64, x: f64, y: f64, octaves: u32) -> f64 {
    let mut sum = 0.0;
    let mut amp = 1.0;
    let mut norm = 0.0;
    let mut freq = 1.0;
    for o in 0..octaves {
        sum += amp * value_noise(mix64(seed ^ u64::from(o)), x * freq, y * freq);
        norm += amp;
        amp *= 0.5;
        freq *= 2.0;
    }
    sum / norm
}

/// SplitMix64 pseudo-random generator (Steele, Lea & Flood 2014).
///
/// Hand-written instead of taking `rand` so that a seed reproduces the same
/// scene bit for bit forever, independent of any crate's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// Creates a generator from a 64-bit seed (any value, including 0).
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// Next 64 uniformly distributed random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix64(self.state)
    }

    /// Uniform `f64` in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        unit_f64(self.next_u64())
    }

    /// Uniform `f64` in `[lo, hi)` (returns `lo` when `hi <= lo`).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        if hi <= lo {
            // Still consume one draw so that the stream does not depend on
            // whether a range happens to be degenerate.
            let _ = self.next_u64();
            return lo;
        }
        lo + (hi - lo) * self.next_f64()
    }

    /// Uniform `f64` in the inclusive-exclusive range given as a tuple.
    pub fn in_range(&mut self, range: (f64, f64)) -> f64 {
        self.uniform(range.0, range.1)
    }

    /// Standard normal deviate (mean 0, standard deviation 1).
    pub fn normal(&mut self) -> f64 {
        normal_from_bits(self.next_u64())
    }

    /// A new independent generator, seeded from this one's stream.
    pub fn fork(&mut self) -> Self {
        Self::new(mix64(self.next_u64() ^ 0xA5A5_A5A5_5A5A_5A5A))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // Reference outputs of SplitMix64 seeded with 0 (from the paper's C code).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn uniform_and_normal_moments() {
        let mut r = SplitMix64::new(42);
        let n = 20_000;
        let (mut s, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            let x = r.normal();
            s += x;
            s2 += x * x;
        }
        let mean = s / n as f64;
        let var = s2 / n as f64 - mean * mean;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "var {var}");
        for _ in 0..1000 {
            let u = r.uniform(2.0, 3.0);
            assert!((2.0..3.0).contains(&u));
        }
    }

    #[test]
    fn value_noise_is_bounded_and_continuous() {
        for i in 0..500 {
            let x = i as f64 * 0.037 - 7.0;
            let y = i as f64 * 0.051 + 3.0;
            let v = fbm(7, x, y, 3);
            assert!((-1.0..=1.0).contains(&v));
            let dv = (value_noise(7, x + 1e-6, y) - value_noise(7, x, y)).abs();
            assert!(dv < 1e-4);
        }
    }
}

use super::passes::{weighted_sum_blocks, weighted_sum_chain, AVX2_LANES, LANES};
use super::*;

/// The whole-plane separable blur the strip version replaces, index by index.
fn reference_blur(p: &Plane, sigma: f32) -> Vec<f32> {
    let kernel = gaussian_kernel(sigma.min(p.width.max(p.height) as f32));
    let r = kernel.len() / 2;
    let (w, h) = (p.width, p.height);
    let mut horizontal = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0f32;
            for (k, weight) in kernel.iter().enumerate() {
                acc += weight * p.get((x + k).saturating_sub(r).min(w - 1), y);
            }
            horizontal[y * w + x] = acc;
        }
    }
    let mut out = vec![0f32; w * h];
    for y in 0..h {
        for (k, weight) in kernel.iter().enumerate() {
            let sy = (y + k).saturating_sub(r).min(h - 1);
            for x in 0..w {
                out[y * w + x] += weight * horizontal[sy * w + x];
            }
        }
    }
    out
}

/// The blur evaluated at single pixels, and streamed row by row, gives the whole-plane
/// blur's values bit for bit, edges included (and a copy for σ ≤ 0).
#[test]
fn point_and_row_blurs_are_bit_identical_to_the_plane_blur() {
    let (w, h) = (23, 41);
    let mut p = Plane::filled(w, h, 0.0);
    for (i, v) in p.data.iter_mut().enumerate() {
        *v = ((i * 7919) % 1013) as f32 / 1013.0;
    }
    for sigma in [0.0, 0.7, 2.5, 60.0] {
        let whole = p.gaussian_blur(sigma);
        let point = p.point_blur(sigma);
        for y in 0..h {
            for x in 0..w {
                assert_eq!(
                    point.at(x, y).to_bits(),
                    whole.get(x, y).to_bits(),
                    "σ {sigma}"
                );
            }
        }
        let mut rows = vec![0u32; w * h];
        p.gaussian_blur_rows(sigma, &mut rows, |_, blurred, out| {
            for (o, v) in out.iter_mut().zip(blurred) {
                *o = v.to_bits();
            }
        });
        let bits: Vec<u32> = whole.data.iter().map(|v| v.to_bits()).collect();
        assert_eq!(rows, bits, "σ {sigma}");
        // Each row comes with its own index.
        p.gaussian_blur_rows(sigma, &mut rows, |y, _, out| out.fill(y as u32));
        assert!(rows.iter().enumerate().all(|(i, &y)| y as usize == i / w));
    }
}

#[test]
fn strip_blur_is_bit_identical_to_the_whole_plane_blur() {
    // Tall and narrow (many strips), and wide (several column tiles and row bands of the
    // vertical pass, with a part-tile and a part-band at the ends).
    let wide = (2 * VERTICAL_TILE + 37, 3 * VERTICAL_BAND_ROWS + 5);
    for (w, h) in [(37, 301), wide] {
        let mut p = Plane::filled(w, h, 0.0);
        for (i, v) in p.data.iter_mut().enumerate() {
            *v = ((i * 7919) % 1013) as f32 / 1013.0;
        }
        let mut reused = Plane::filled(3, 3, 9.0);
        for sigma in [0.5, 1.0, 2.5, 7.0, 60.0] {
            let reference = reference_blur(&p, sigma);
            assert!(
                p.gaussian_blur(sigma).data == reference,
                "{w}×{h} σ {sigma}"
            );
            p.gaussian_blur_into(sigma, &mut reused);
            assert!(reused.data == reference, "{w}×{h} σ {sigma}");
            // Computed row by row (taller strips, their edge rows written twice): the same.
            let mut computed = Plane::filled(2, 2, 9.0);
            let rows = |y: usize, row: &mut [f32]| row.copy_from_slice(p.row(y));
            gaussian_blur_of_into((w, h), rows, sigma, &mut computed);
            assert!(computed.data == reference, "computed {w}×{h} σ {sigma}");
        }
    }
}

/// Each CPU's version of `weighted_sum` differs only in its block widths: every width gives
/// the textbook loop's sums bit for bit, touches only whole blocks, and the chain of widths
/// covers every pixel.
#[test]
fn weighted_sums_are_the_textbook_sums_at_every_block_width() {
    let mut rng = crate::synth::SplitMix64::new(7);
    let kernel = gaussian_kernel(2.3);
    // From 0: one block of each width and 5 single pixels with AVX2; three blocks of
    // LANES, one of 8 and 5 single pixels without. Each width alone from a start not 0.
    let start = 3;
    let n = AVX2_LANES + LANES + 8 + 5;
    let rows: Vec<Vec<f32>> = (0..kernel.len())
        .map(|_| (0..n).map(|_| rng.uniform(-1.0, 1.0) as f32).collect())
        .collect();
    let textbook: Vec<u32> = (0..n)
        .map(|x| {
            let mut acc = 0f32;
            for (k, weight) in kernel.iter().enumerate() {
                acc += weight * rows[k][x];
            }
            acc.to_bits()
        })
        .collect();
    let source = |k: usize| rows[k].as_slice();
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();

    let mut out = vec![0f32; n];
    weighted_sum(&mut out, &kernel, source);
    assert_eq!(bits(&out), textbook, "the dispatched version");
    for wide in [true, false] {
        let mut out = vec![0f32; n];
        weighted_sum_chain(&mut out, &kernel, &source, wide);
        assert_eq!(bits(&out), textbook, "the chain, wide: {wide}");
    }

    /// The sums of one block width from `start`, checked against `textbook`.
    fn check<const L: usize>(rows: &[Vec<f32>], kernel: &[f32], start: usize, textbook: &[u32]) {
        let n = textbook.len();
        let mut out = vec![f32::NAN; n];
        let done = weighted_sum_blocks::<L>(&mut out, kernel, &|k| rows[k].as_slice(), start);
        assert_eq!(done, start + (n - start) / L * L, "{L} lanes");
        let out: Vec<u32> = out.iter().map(|x| x.to_bits()).collect();
        assert_eq!(out[start..done], textbook[start..done], "{L} lanes");
        assert!(
            out[..start]
                .iter()
                .chain(&out[done..])
                .all(|v| *v == f32::NAN.to_bits()),
            "{L} lanes wrote outside its blocks"
        );
    }
    check::<AVX2_LANES>(&rows, &kernel, start, &textbook);
    check::<LANES>(&rows, &kernel, start, &textbook);
    check::<8>(&rows, &kernel, start, &textbook);
}

#[test]
fn blur_preserves_a_constant_and_the_mass_of_an_impulse() {
    let flat = Plane::filled(9, 7, 0.5);
    let blurred = flat.gaussian_blur(1.5);
    assert!(blurred.data.iter().all(|v| (v - 0.5).abs() < 1e-6));

    let mut impulse = Plane::filled(31, 31, 0.0);
    impulse.data[15 * 31 + 15] = 1.0;
    let blurred = impulse.gaussian_blur(2.0);
    let mass: f32 = blurred.data.iter().sum();
    assert!((mass - 1.0).abs() < 1e-4);
    assert!(blurred.get(15, 15) > blurred.get(16, 15));
    assert!((blurred.get(14, 15) - blurred.get(16, 15)).abs() < 1e-7);
}

/// A worker thread gets its own strip buffers back from strip to strip of a blur (holding what
/// the last strip left); a strip run inside another on the same thread, or a thread off the
/// pool, gets fresh ones (and never waits for the buffers in use).
#[test]
fn a_thread_reuses_its_strip_buffers_and_a_nested_strip_gets_fresh_ones() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    pool.install(|| {
        let buffers = ThreadStripBuffers::new(10, 2);
        let first = buffers.with(|b| {
            b.horizontal.resize(1000, 1.0);
            b.horizontal.as_ptr() as usize
        });
        let again = buffers.with(|b| (b.horizontal.as_ptr() as usize, b.horizontal.len()));
        assert_eq!(again, (first, 1000));
        let nested = buffers.with(|_| buffers.with(|inner| inner.horizontal.len()));
        assert_eq!(nested, 0);
    });
    let buffers = ThreadStripBuffers::new(10, 2);
    buffers.with(|b| b.horizontal.resize(5, 0.0));
    assert_eq!(buffers.with(|b| b.horizontal.len()), 0);
}

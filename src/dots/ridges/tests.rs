use super::*;

/// [`mark_ridges`] pixel by pixel, each test skipping the rest as it fails: the oracle of
/// the vectorised flags (the centreline test, traced for the ridges alone, is shared).
fn ridges_by_pixel(g: &Plane, sigma: f32) -> Vec<u8> {
    let (w, h) = (g.width, g.height);
    let mut kind = vec![0u8; w * h];
    let offset = SIDE_OFFSET_SIGMAS * sigma;
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let Some((hessian, strong)) = ridge_at(g, x, y) else {
                continue;
            };
            kind[y * w + x] = 1;
            if on_centreline(&g.window(), (x, y), hessian, strong, offset) {
                kind[y * w + x] = 2;
            }
        }
    }
    kind
}

/// The Hessian (dxx, dyy, dxy) and strong curvature at the interior pixel (`x`, `y`) of
/// `g` if it is a ridge dark enough, each test skipping the rest as it fails: the oracle of
/// [`ridge_flags`].
fn ridge_at(g: &Plane, x: usize, y: usize) -> Option<((f32, f32, f32), f32)> {
    let c = g.get(x, y);
    if c < MIN_HAIR_DARKNESS {
        return None;
    }
    let dxx = g.get(x - 1, y) - 2.0 * c + g.get(x + 1, y);
    let dyy = g.get(x, y - 1) - 2.0 * c + g.get(x, y + 1);
    let dxy = (g.get(x + 1, y + 1) - g.get(x - 1, y + 1) - g.get(x + 1, y - 1)
        + g.get(x - 1, y - 1))
        / 4.0;
    let (strong, weak) = crate::dots::hessian_eigenvalues(dxx, dyy, dxy);
    if strong >= 0.0 || weak.abs() > RIDGE_EIGEN_RATIO * -strong {
        return None;
    }
    Some(((dxx, dyy, dxy), strong))
}

/// [`ridge_flags`] on rows of every length from 0 to 19 flags (in an optimised build,
/// `cargo test --release`, every remainder of the 4- and 8-lane vector loops and rows
/// shorter than a vector; the debug build's loops are not vectorised), in the version this
/// CPU dispatches to and in the baseline one: the pixel-by-pixel ridges ([`ridge_at`]),
/// ridges and not in each row.
#[test]
fn ridge_flags_of_every_row_length_are_the_pixel_by_pixel_ridges() {
    let mut rng = crate::synth::SplitMix64::new(9);
    let mut ridges = 0;
    for n in 0..20 {
        let w = n + 2;
        // Horizontal lines of pigment on noisy skin: ridges at most pixels of a line row.
        let g = Plane {
            width: w,
            height: 9,
            data: (0..w * 9)
                .map(|i| {
                    let line = if (i / w) % 4 == 1 { 0.4 } else { 0.0 };
                    line + 0.05 * rng.normal() as f32
                })
                .collect(),
        };
        for y in 1..g.height - 1 {
            let mut flags = vec![true; n];
            let rows = [g.row(y - 1), g.row(y), g.row(y + 1)];
            ridge_flags(rows, &mut flags);
            let expected: Vec<bool> = (1..w - 1).map(|x| ridge_at(&g, x, y).is_some()).collect();
            assert_eq!(flags, expected, "{n} flags, row {y}");
            // The version for every x86-64 CPU, which this one may not dispatch to.
            let mut baseline_flags = vec![true; n];
            ridge_flags_body(rows, &mut baseline_flags);
            assert_eq!(baseline_flags, expected, "{n} flags, row {y}, baseline");
            ridges += expected.iter().filter(|&&r| r).count();
        }
    }
    assert!(ridges > 100, "{ridges} ridges to compare");
}

/// The nearest index is `round` then `clamp`, at halves, near the bounds and beyond them,
/// for NaN and at the largest sizes an f32 holds exactly.
#[test]
fn nearest_index_is_round_then_clamp() {
    let mut values = vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 0.0];
    for base in [0.0f32, 1.0, 2.0, 7.0, 8.0, 9.0, 4094.0, 16_777_214.0] {
        for offset in [-0.5f32, -0.49999997, 0.0, 0.49999997, 0.5, 0.50000006, 1.5] {
            values.extend([base + offset, -(base + offset)]);
        }
    }
    for size in [1, 2, 9, 4096, 16_777_215] {
        for &v in &values {
            let expected = v.round().clamp(0.0, (size - 1) as f32) as usize;
            assert_eq!(nearest_index(v, size), expected, "{v} in 0..{size}");
        }
    }
}

/// Hairs at several angles, dots and noise, smoothed at two scales: the same ridges and
/// centrelines as the pixel-by-pixel loop, at every pixel (both kinds occur), over a buffer
/// of stale bytes.
#[test]
fn ridges_are_the_pixel_by_pixel_ridges() {
    let mut rng = crate::synth::SplitMix64::new(3);
    let (w, h) = (83, 67);
    let mut d = Plane::filled(w, h, 0.0);
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f32, y as f32);
            let hair = (fy - (5.0 + 0.4 * fx)).abs() < 0.8
                || (fx - (60.0 - 0.2 * fy)).abs() < 1.0
                || (fy - 50.0).abs() < 0.6;
            let dot = (fx - 20.0).powi(2) + (fy - 40.0).powi(2) < 16.0;
            let v = if dot {
                0.7
            } else if hair {
                0.45
            } else {
                0.0
            };
            d.data[y * w + x] = v + 0.03 * rng.normal() as f32;
        }
    }
    for sigma in [0.9, 1.8] {
        let g = d.gaussian_blur(sigma);
        // Stale bytes: every one is written.
        let mut kind = vec![7u8; w * h];
        mark_ridges(&g.window(), 0..g.height, sigma, &mut kind);
        let expected = ridges_by_pixel(&g, sigma);
        assert!(expected.contains(&1) && expected.contains(&2), "σ {sigma}");
        assert_eq!(kind, expected, "σ {sigma}");
        // Strip by strip as the hair lines mark them, D smoothed with the rows around each
        // strip that its tests read (several strips, a centreline test reaching across their
        // edges): the same.
        let mut strips = vec![7u8; w * h];
        d.gaussian_blur_strips(sigma, ridge_reach(sigma), &mut strips, |g, rows, k| {
            assert!(rows.len() < h / 2, "several strips");
            mark_ridges(g, rows, sigma, k)
        });
        assert_eq!(strips, expected, "σ {sigma}, by strips");
    }
}

/// A 0.1 mm hair (dark 0.5) across 60 px of skin at 10 px/mm, and a 0.5 mm dot 1 mm from it.
fn scene(with_hair: bool) -> Plane {
    let (w, h) = (60, 40);
    let mut p = Plane::filled(w, h, 0.0);
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
            let dot = ((fx - 45.0).powi(2) + (fy - 33.5).powi(2)).sqrt() < 2.5;
            let hair = with_hair && (fy - (10.0 + 0.3 * fx)).abs() < 0.5;
            let v: f32 = if dot {
                0.7
            } else if hair {
                0.5
            } else {
                0.0
            };
            p.data[y * w + x] = v;
        }
    }
    p
}

#[test]
fn a_long_hair_on_skin_is_marked_and_a_dot_is_not() {
    let mask = hair_lines(&scene(true), 10.0, 5.0, &mut []);
    let at = |x: usize, y: usize| mask[y * 60 + x];
    // On the hair, away from the dot.
    assert!(at(10, 13) || at(10, 12) || at(10, 14));
    // The dot's centre is not hair.
    assert!(!at(45, 33));
    let clean = hair_lines(&scene(false), 10.0, 5.0, &mut []);
    assert!(clean.iter().all(|&m| !m));
}

/// A spare buffer's stale bytes, used as the ridge scratch when it is large enough, change
/// nothing; one too small is left alone.
#[test]
fn a_stale_spare_buffer_changes_no_hair_line() {
    let p = scene(true);
    let fresh = hair_lines(&p, 10.0, 5.0, &mut []);
    assert!(fresh.iter().any(|&m| m));
    let n = p.width * p.height;
    for len in [n / 4, n / 4 + 1, n, 3] {
        let mut spare = vec![f32::from_bits(0x0201_0201); len];
        assert_eq!(hair_lines(&p, 10.0, 5.0, &mut spare), fresh, "{len}");
    }
    // On grids (200 px/mm): the grid's bytes of the scratch are all written before they are
    // read.
    let p = close_up();
    let fresh = hair_lines(&p, 200.0, 100.0, &mut []);
    let mut spare = vec![f32::from_bits(0x0201_0201); p.width * p.height];
    assert_eq!(hair_lines(&p, 200.0, 100.0, &mut spare), fresh);
}

#[test]
fn widening_draws_the_same_discs_as_the_ring() {
    let (w, h) = (41, 29);
    let mut rng = crate::synth::SplitMix64::new(8);
    let centre: Vec<bool> = (0..w * h).map(|_| rng.uniform(0.0, 1.0) < 0.02).collect();
    for radius in [0.5, 1.0, 1.6, 2.0, 2.75, 4.0] {
        let columns: Vec<Vec<usize>> = centre
            .chunks(w)
            .map(|row| (0..w).filter(|&x| row[x]).collect())
            .collect();
        let mut ours = vec![false; w * h];
        widen(&columns, (w, h), radius, &mut ours);
        let mut oracle = vec![false; w * h];
        for i in (0..w * h).filter(|&i| centre[i]) {
            crate::plane::for_each_in_ring((i % w, i / w), 0.0, radius, (w, h), |x, y| {
                oracle[y * w + x] = true;
            });
        }
        assert_eq!(ours, oracle, "radius {radius}");
    }
}

#[test]
fn a_line_inside_pigment_is_not_hair() {
    // A darker streak inside a uniformly dark (0.6) area: pigment on both sides.
    let (w, h) = (60, 40);
    let mut p = Plane::filled(w, h, 0.6);
    for x in 0..w {
        p.data[20 * w + x] = 0.9;
    }
    assert!(hair_lines(&p, 10.0, 5.0, &mut []).iter().all(|&m| !m));
}

/// A 0.1 mm hair (dark 0.5) across 3 mm of skin at 200 px/mm (20 px wide), and a 0.5 mm dot
/// (100 px) whose centre lies 0.5 mm from the hair's centreline (0.2 mm of skin between them).
fn close_up() -> Plane {
    let (w, h) = (600, 400);
    let mut p = Plane::filled(w, h, 0.0);
    let slope: f32 = 0.3;
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
            let dot = ((fx - 450.0).powi(2) + (fy - 340.0).powi(2)).sqrt() < 50.0;
            let across = (fy - (100.0 + slope * fx)).abs() / (1.0 + slope * slope).sqrt();
            p.data[y * w + x] = if dot {
                0.7
            } else if across < 10.0 {
                0.5
            } else {
                0.0
            };
        }
    }
    p
}

/// At 200 px/mm both hair scales (σ = 9 and 18 px) are searched on grids (of 2 and 4 px):
/// they mark the hair as the search at every pixel does, give or take its edges, and leave
/// the dot alone.
#[test]
fn hair_lines_searched_on_grids_are_those_searched_at_every_pixel() {
    let (px_per_mm, dot) = (200.0, 100.0);
    let sigmas = HAIR_SCALES.map(|f| f * HAIR_SIGMA_MM * px_per_mm);
    let steps = sigmas.map(|s| super::super::grid_step_keeping(s, HAIR_GRID_STEPS_PER_SIGMA));
    assert_eq!(steps, [2, 4], "σ {sigmas:?}");
    let p = close_up();
    let grids = hair_lines(&p, px_per_mm, dot, &mut []);
    let every = hair_lines_on_grids(&p, px_per_mm, dot, f32::INFINITY, &mut []);
    let both = grids.iter().zip(&every).filter(|(a, b)| **a && **b).count();
    let either = grids.iter().zip(&every).filter(|(a, b)| **a || **b).count();
    // The hair is 600 × 20 px: most of it is marked.
    assert!(both > 8000, "{both} px marked by both");
    assert!(
        both as f64 >= 0.9 * either as f64,
        "grids and every pixel agree on {both} of {either} px"
    );
    for mask in [&grids, &every] {
        assert!(!mask[340 * 600 + 450], "the dot's centre is hair");
        // The hair's centreline, away from the ends.
        assert!(mask[(100 + 90) * 600 + 300]);
    }
}

/// The hair scales' grid steps keep at least [`HAIR_GRID_STEPS_PER_SIGMA`] steps per σ: every
/// pixel below σ = 8 px, 2 px below 16, 4 px below 32.
#[test]
fn hair_grid_steps_follow_their_rule_at_its_edges() {
    let step = |sigma: f32| super::super::grid_step_keeping(sigma, HAIR_GRID_STEPS_PER_SIGMA);
    for (sigma, expected) in [
        (0.7, 1),
        (7.99, 1),
        (8.0, 2),
        (15.99, 2),
        (16.0, 4),
        (31.99, 4),
        (32.0, 8),
        (f32::NAN, 1),
    ] {
        assert_eq!(step(sigma), expected, "σ {sigma}");
    }
}

/// The hair lines searched on grids (rows marked in parallel) are the same at any number of
/// threads.
#[test]
fn hair_lines_on_grids_are_the_same_at_any_thread_count() {
    let p = close_up();
    let at = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| hair_lines(&p, 200.0, 100.0, &mut []))
    };
    let one = at(1);
    assert!(one.iter().any(|&m| m));
    assert_eq!(one, at(2));
    assert_eq!(one, at(3));
}

use super::maxima::*;
use super::*;

/// −σ²∇²p at pixel (`x`, `y`) (`s2` = σ²) by its definition, independent of
/// `laplacian_span`: the 4-neighbour Laplacian, a neighbour beyond the plane's edge taking the
/// edge pixel's value (indices clamped), summed left, right, up, down as the code promises so
/// that the values compare exactly.
fn laplacian_at(p: &Plane, x: usize, y: usize, s2: f32) -> f32 {
    let at = |dx: isize, dy: isize| {
        let cx = (x as isize + dx).clamp(0, p.width as isize - 1) as usize;
        let cy = (y as isize + dy).clamp(0, p.height as isize - 1) as usize;
        p.data[cy * p.width + cx]
    };
    let (c, l, r, u, d) = (at(0, 0), at(-1, 0), at(1, 0), at(0, -1), at(0, 1));
    -s2 * (l + r + u + d - 4.0 * c)
}

/// The maxima by the textbook loop over a response computed pixel by pixel
/// ([`laplacian_at`]): the oracle of the strip-parallel, flag-vectorised search.
fn maxima_by_pixel(p: &Plane, sigma: f32, floor: f32) -> Vec<(usize, usize, f32)> {
    let (w, h) = (p.width, p.height);
    let r = |x: usize, y: usize| laplacian_at(p, x, y, sigma * sigma);
    let mut found = Vec::new();
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let v = r(x, y);
            if v < 0.0 || p.get(x, y) < floor {
                continue;
            }
            let before = [(x - 1, y - 1), (x, y - 1), (x + 1, y - 1), (x - 1, y)];
            let after = [(x + 1, y), (x - 1, y + 1), (x, y + 1), (x + 1, y + 1)];
            if before.iter().all(|&(i, j)| v > r(i, j)) && after.iter().all(|&(i, j)| v >= r(i, j))
            {
                found.push((x, y, v));
            }
        }
    }
    found
}

/// The grid steps at the edges of their rules: a step doubling at each doubling of
/// FINE_GRID_STEPS_PER_SIGMA · 2 px up to MAX_FINE_SEARCH_BLOB_SCALE (every pixel below), of
/// BLOB_GRID_STEPS_PER_SIGMA · 2 px above it, as the unaliased grid step (the noise's
/// sampling) does at any σ.
#[test]
fn blob_grid_steps_keep_their_steps_per_sigma() {
    use super::super::{
        unaliased_grid_step, BLOB_GRID_STEPS_PER_SIGMA, FINE_GRID_STEPS_PER_SIGMA,
        MAX_BLOB_GRID_STEP, MAX_FINE_SEARCH_BLOB_SCALE,
    };
    let above = BLOB_SCALES[BLOB_SCALES.len() - 1];
    assert!(above > MAX_FINE_SEARCH_BLOB_SCALE);
    const { assert!(BLOB_SCALES[0] <= MAX_FINE_SEARCH_BLOB_SCALE) };
    for (per_sigma, factors) in [
        (BLOB_GRID_STEPS_PER_SIGMA, [above, above]),
        (
            FINE_GRID_STEPS_PER_SIGMA,
            [BLOB_SCALES[0], MAX_FINE_SEARCH_BLOB_SCALE],
        ),
    ] {
        let two = 2.0 * per_sigma;
        for (sigma, step) in [
            (0.5, 1),
            (two - 0.01, 1),
            (two, 2),
            (2.0 * two - 0.01, 2),
            (2.0 * two, 4),
            (4.0 * two, 8),
            (f32::INFINITY, MAX_BLOB_GRID_STEP),
            (1e30, MAX_BLOB_GRID_STEP),
            (f32::NAN, 1),
        ] {
            for factor in factors {
                assert_eq!(blob_grid_step(factor, sigma), step, "×{factor}, σ {sigma}");
            }
            if per_sigma == BLOB_GRID_STEPS_PER_SIGMA {
                assert_eq!(unaliased_grid_step(sigma), step, "σ {sigma}");
            }
        }
    }
    // At 25 px/mm (dots ≈ 12–18 px) every fine scale is searched at every pixel.
    assert_eq!(blob_grid_step(MAX_FINE_SEARCH_BLOB_SCALE, 15.9), 1);
}

/// A plane smoothed at σ′, taken at a grid and blurred there by `coarser_sigma`, is the
/// plane smoothed at σ on that grid to within 0.2% of its range away from the edges: from
/// every pixel to step 2 (the 1.4× scale from the 1.0×), and from step 2 to step 4.
#[test]
fn a_coarser_scale_from_the_previous_one_is_the_direct_blur() {
    let mut rng = crate::synth::SplitMix64::new(23);
    let (w, h) = (240, 200);
    let mut d = Plane::filled(w, h, 0.0);
    for (i, v) in d.data.iter_mut().enumerate() {
        let (x, y) = ((i % w) as f32, (i / w) as f32);
        let dot = ((x % 23.0) - 11.0).powi(2) + ((y % 19.0) - 9.0).powi(2) < 30.0;
        *v = if dot { 0.7 } else { 0.0 } + 0.02 * rng.normal() as f32;
    }
    for (from, to) in [((4.0, 1), (5.7, 2)), ((5.7, 2), (8.1, 4))] {
        let (sigma, step) = to;
        let mut source = Plane::default();
        d.gaussian_blur_sampled_into(from.0, from.1, &mut source);
        let mut decimated = Plane::default();
        source.gaussian_blur_sampled_into(0.0, step / from.1, &mut decimated);
        let cascaded = decimated.gaussian_blur(coarser_sigma(from.0, sigma, step));
        let mut direct = Plane::default();
        d.gaussian_blur_sampled_into(sigma, step, &mut direct);
        assert_eq!(
            (cascaded.width, cascaded.height),
            (direct.width, direct.height)
        );
        let margin = (3.0 * sigma / step as f32).ceil() as usize + 1;
        let mut worst = 0f32;
        for j in margin..direct.height - margin {
            for i in margin..direct.width - margin {
                worst = worst.max((cascaded.get(i, j) - direct.get(i, j)).abs());
            }
        }
        assert!(worst < 0.002 * 0.7, "{from:?} -> {to:?}: off by {worst}");
    }
}

/// An infinite response beside a maximum gives no offset, not NaN.
#[test]
fn an_infinite_neighbour_gives_no_peak_offset() {
    let mut p = Plane::filled(9, 9, 0.0);
    p.data[4 * 9 + 4] = 1.0;
    p.data[4 * 9 + 6] = f32::INFINITY;
    let (ox, oy) = peak_offset(&p, 4, 4);
    assert_eq!((ox, oy), (0.0, 0.0));
}

/// A soft disc's response, sampled on a grid, peaks between grid pixels: the parabolas'
/// vertex finds its centre to a tenth of a grid step, and 0 at the plane's edge.
#[test]
fn peak_offsets_find_the_centre_between_grid_pixels() {
    for (cx, cy) in [
        (20.0f32, 15.0f32),
        (20.3, 14.6),
        (19.55, 15.45),
        (20.49, 15.0),
    ] {
        // A Gaussian blob of σ 3 grid px: its −∇² peaks at its centre.
        let (w, h) = (40, 30);
        let p = Plane {
            width: w,
            height: h,
            data: (0..w * h)
                .map(|i| {
                    let (x, y) = ((i % w) as f32, (i / w) as f32);
                    (-((x - cx).powi(2) + (y - cy).powi(2)) / 18.0).exp()
                })
                .collect(),
        };
        let (x, y) = (cx.round() as usize, cy.round() as usize);
        let (ox, oy) = peak_offset(&p, x, y);
        assert!((x as f32 + ox - cx).abs() < 0.1, "{cx}: {x} + {ox}");
        assert!((y as f32 + oy - cy).abs() < 0.1, "{cy}: {y} + {oy}");
    }
    let flat = Plane::filled(8, 8, 1.0);
    assert_eq!(peak_offset(&flat, 4, 4), (0.0, 0.0), "no curvature");
    let mut edge = Plane::filled(8, 8, 0.0);
    edge.data[8 + 1] = 1.0;
    assert_eq!(peak_offset(&edge, 1, 1), (0.0, 0.0), "too near the edge");
}

/// On a plane of large dots, the candidates of the scales searched on grids (steps 4 and 8
/// here) lie within 1.5 px of a dot's centre, not up to half a step away as the grid
/// pixels themselves do.
#[test]
fn candidates_of_grid_scales_lie_at_the_dots_centres() {
    let (w, h) = (260usize, 200usize);
    let centres: Vec<(f32, f32)> = (0..3)
        .flat_map(|i| (0..2).map(move |j| (50.0 + 77.3 * i as f32, 55.0 + 91.7 * j as f32)))
        .map(|(x, y)| (x + 0.37, y - 0.41))
        .collect();
    let diameter = 30.0f32;
    let r = diameter / 2.0;
    let mut d = Plane::filled(w, h, 0.0);
    for (i, v) in d.data.iter_mut().enumerate() {
        let (x, y) = ((i % w) as f32 + 0.5, (i / w) as f32 + 0.5);
        // Skin noise below 0 (for the noise map), pigment discs with soft edges above.
        *v = -0.01 * (((i * 7919) % 13) as f32 / 13.0);
        for &(cx, cy) in &centres {
            let dist = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
            *v += 0.7 * (0.5 - (dist - r) / 3.0).clamp(0.0, 1.0);
        }
    }
    let candidates = detect(&d, diameter);
    // Per grid step, per centre: candidates found within 1.5 px of it.
    let mut near: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for c in &candidates {
        let sigma = (BLOB_SIGMA_DIAMETERS * c.diameter).max(0.5);
        let step = blob_grid_step(c.diameter / diameter, sigma);
        if step < 4 {
            continue;
        }
        let (k, nearest) = centres
            .iter()
            .map(|&(cx, cy)| {
                ((c.x as f32 + 0.5 - cx).powi(2) + (c.y as f32 + 0.5 - cy).powi(2)).sqrt()
            })
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        assert!(nearest < 1.5, "{c:?} is {nearest} px from a centre");
        near.entry(step).or_insert_with(|| vec![0; centres.len()])[k] += 1;
    }
    // Both grid scales find every dot.
    assert_eq!(
        near.keys().copied().collect::<Vec<_>>(),
        [4, 8],
        "{candidates:?}"
    );
    for (step, found) in &near {
        assert!(found.iter().all(|&n| n >= 1), "step {step}: {found:?}");
    }
}

/// Where dots are large in pixels the fine scales are searched on grids (steps 2 and 4 here),
/// and the dot finder still finds each dot once, at its centre: the smaller of two touching
/// dots (the lesser maximum beside the greater) included.
#[test]
fn dots_large_in_pixels_are_found_through_fine_grids() {
    let (w, h) = (560usize, 380usize);
    let diameter = 100.0f32;
    let fine = |f: &f32| *f <= super::super::MAX_FINE_SEARCH_BLOB_SCALE;
    let steps: Vec<usize> = BLOB_SCALES
        .into_iter()
        .filter(fine)
        .map(|f| blob_grid_step(f, BLOB_SIGMA_DIAMETERS * diameter * f))
        .collect();
    assert_eq!(steps, [2, 2, 4]);
    // (centre x, centre y, radius px): the first two touch, the second 0.6× the first's size.
    let dots = [
        (140.0f32, 130.0f32, 50.0f32),
        (218.7, 152.3, 30.0),
        (400.2, 120.6, 45.0),
        (300.4, 280.1, 40.0),
        (450.9, 290.3, 28.0),
    ];
    let mut d = Plane::filled(w, h, 0.0);
    for (i, v) in d.data.iter_mut().enumerate() {
        let (x, y) = ((i % w) as f32 + 0.5, (i / w) as f32 + 0.5);
        *v = -0.01 * (((i * 7919) % 13) as f32 / 13.0);
        for &(cx, cy, r) in &dots {
            let dist = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
            *v += 0.7 * (0.5 - (dist - r) / 3.0).clamp(0.0, 1.0);
        }
    }
    let map = crate::dots::find_dots(&d, diameter, None);
    assert_eq!(map.dots.len(), dots.len(), "{:?}", map.dots);
    for &(cx, cy, r) in &dots {
        let nearest = map
            .dots
            .iter()
            .map(|dot| ((dot.x - f64::from(cx)).powi(2) + (dot.y - f64::from(cy)).powi(2)).sqrt())
            .fold(f64::INFINITY, f64::min);
        assert!(
            nearest < 2.0,
            "the dot of radius {r} at ({cx}, {cy}): {nearest} px"
        );
    }
}

/// The next scale's grid that a full-resolution scale writes as its strips pass is the sampled
/// blur of the plane, bit for bit: for grid steps that do and do not divide the plane's sides,
/// and planes of one strip and of many.
#[test]
fn full_resolution_scales_write_the_next_grid_in_place() {
    for (w, h, block) in [(61, 403, 16), (40, 30, 16), (33, 250, 40)] {
        let mut d = Plane::filled(w, h, 0.0);
        for (i, v) in d.data.iter_mut().enumerate() {
            *v = ((i * 7919) % 1013) as f32 / 1013.0 - 0.3;
        }
        for step in [2, 3, 4] {
            let mut grid = Plane::filled(1, 1, f32::NAN);
            full_resolution_candidates(&d, (2.5, 7.0), block, Some((step, &mut grid)));
            let mut sampled = Plane::default();
            d.gaussian_blur_sampled_into(2.5, step, &mut sampled);
            assert_eq!((grid.width, grid.height), (sampled.width, sampled.height));
            assert!(
                grid.data
                    .iter()
                    .zip(&sampled.data)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{w} × {h}, step {step}"
            );
        }
    }
    // (The tallest plane spans several strips: each at least `blur_strip_rows` long, its halo
    // the Hessian step, σ rounded.)
    assert!(3 * Plane::filled(61, 403, 0.0).blur_strip_rows(2.5, 3) < 403);
}

#[test]
fn a_block_without_skin_takes_the_whole_planes_noise() {
    // Two blocks of 16 px: the left one skin noise of two amplitudes, the right one all
    // pigment (no value below 0).
    let mut rng = crate::synth::SplitMix64::new(5);
    let (w, h) = (32, 16);
    let mut p = Plane::filled(w, h, 0.5);
    for y in 0..h {
        for x in 0..16 {
            let amplitude = if y < 8 { 0.01 } else { 0.03 };
            p.data[y * w + x] = rng.uniform(-amplitude, amplitude) as f32;
        }
    }
    let noise = NoiseMap::new(&p, 16);
    let mut below: Vec<f32> = p.data.iter().filter(|v| **v < 0.0).map(|v| -v).collect();
    let own = 1.4826 * quantile(&mut below, 0.5);
    assert_eq!(noise.at(3, 3), own, "the skin block's own median");
    assert_eq!(
        noise.at(20, 3),
        super::super::skin_noise(&p),
        "the pigment block"
    );
    assert_ne!(noise.at(20, 3), 0.0);
    // With skin in every block, each keeps its own value.
    let skin = Plane::filled(w, h, -0.02);
    let noise = NoiseMap::new(&skin, 16);
    assert_eq!(noise.at(20, 3), 1.4826 * 0.02);
}

/// A block's noise sampled every `step`-th value of every `step`-th row reads exactly those
/// values (from the block's first row and column), and needs MIN_NOISE_SAMPLES of them below
/// zero.
#[test]
fn block_noise_reads_its_sampling_grid_only() {
    // 16 × 16: the values on the step-2 grid are −0.01, every other one −0.5.
    let (w, h) = (16, 16);
    let data: Vec<f32> = (0..w * h)
        .map(|i| {
            if (i % w) % 2 == 0 && (i / w) % 2 == 0 {
                -0.01
            } else {
                -0.5
            }
        })
        .collect();
    let rows = || data.chunks_exact(w);
    let mut below = Vec::new();
    assert_eq!(block_noise(&mut below, rows(), 2), Some(1.4826 * 0.01));
    assert_eq!(below.len(), 64, "the grid's 8 × 8 values, all below zero");
    assert_eq!(block_noise(&mut below, rows(), 1), Some(1.4826 * 0.5));
    // The edge of the minimum: 32 sampled values below zero give a noise, 31 none.
    for (negatives, noise) in [(MIN_NOISE_SAMPLES, Some(1.4826 * 0.01)), (31, None)] {
        // Two rows of 80 px: the grid takes 40 values of the first, `negatives` below zero.
        let row: Vec<f32> = (0..80)
            .map(|x| if x < 2 * negatives { -0.01 } else { 0.3 })
            .collect();
        let block = [row.as_slice(), &row[..]];
        assert_eq!(
            block_noise(&mut below, block.into_iter(), 2),
            noise,
            "{negatives} below zero"
        );
    }
}

#[test]
fn laplacian_maxima_are_the_textbook_maxima_in_raster_order() {
    let mut rng = crate::synth::SplitMix64::new(11);
    // Sizes across strip boundaries; values rounded to a few levels so that plateaus and
    // ties between neighbours occur.
    for (w, h) in [(3, 3), (17, 5), (40, 2 * MAXIMA_STRIP_ROWS + 7)] {
        let data = (0..w * h).map(|_| (rng.uniform(0.0, 1.0) * 4.0).round() as f32 / 4.0);
        let p = Plane {
            width: w,
            height: h,
            data: data.collect(),
        };
        for floor in [0.0, 0.5] {
            let ours = laplacian_maxima(&p, 1.5, floor, |x, y, v| Some((x, y, v)));
            assert_eq!(
                ours,
                maxima_by_pixel(&p, 1.5, floor),
                "{w}×{h} floor {floor}"
            );
            assert!(
                w < 40 || ours.len() > 20,
                "the large plane has maxima to compare"
            );
        }
    }
}

/// Where little of the plane reaches the floor (skin between dots), the chunks without a pixel
/// at the floor are skipped: the same maxima, also at chunk edges and beside skipped chunks.
#[test]
fn laplacian_maxima_skipping_chunks_below_the_floor_are_the_textbook_maxima() {
    let mut rng = crate::synth::SplitMix64::new(12);
    let (w, h) = (5 * MAXIMA_CHUNK_PX + 9, MAXIMA_STRIP_ROWS + 11);
    let mut p = Plane {
        width: w,
        height: h,
        data: (0..w * h).map(|_| rng.uniform(0.0, 0.1) as f32).collect(),
    };
    // Small dark patches: mostly in a chunk's interior, some across a chunk edge, a strip edge
    // or the plane's.
    let mut patches = vec![
        (MAXIMA_CHUNK_PX, 4),
        (2 * MAXIMA_CHUNK_PX + 1, MAXIMA_STRIP_ROWS),
        (w - 2, h - 2),
        (1, 1),
    ];
    patches.extend((0..12).map(|_| {
        (
            rng.uniform(0.0, w as f64) as usize,
            rng.uniform(0.0, h as f64) as usize,
        )
    }));
    for &(px, py) in &patches {
        for y in py.saturating_sub(1)..(py + 2).min(h) {
            for x in px.saturating_sub(1)..(px + 2).min(w) {
                p.data[y * w + x] = 0.5 + rng.uniform(0.0, 0.5) as f32;
            }
        }
    }
    let floor = 0.4;
    let judged = (1..h - 1)
        .flat_map(|y| (0..(w - 2).div_ceil(MAXIMA_CHUNK_PX)).map(move |c| (y, c)))
        .filter(|&(y, c)| {
            let x0 = 1 + c * MAXIMA_CHUNK_PX;
            (x0..(x0 + MAXIMA_CHUNK_PX).min(w - 1)).any(|x| p.get(x, y) >= floor)
        })
        .count();
    let chunks = (h - 2) * (w - 2).div_ceil(MAXIMA_CHUNK_PX);
    assert!(judged < chunks / 2, "{judged} of {chunks} chunks judged");
    let ours = laplacian_maxima(&p, 1.0, floor, |x, y, v| Some((x, y, v)));
    assert_eq!(ours, maxima_by_pixel(&p, 1.0, floor));
    assert!(ours.len() >= 10, "{} maxima to compare", ours.len());
}

/// A strip search of the maxima (σ² `s2`): [`strip_maxima`] or its body.
type StripSearch =
    fn(&RowWindow, f32, f32, std::ops::Range<usize>, &mut Vec<f32>, &mut Vec<(usize, usize, f32)>);

/// Both versions of the strip search, the one this CPU dispatches to ([`strip_maxima`]) and
/// the one for every x86-64 CPU (its body called directly, which the dispatch never picks on
/// a CPU with AVX2), strip by strip over the plane: the textbook maxima, on planes whose last
/// chunk holds 1 to 9 px (in an optimised build, `cargo test --release`, every remainder of the
/// 4- and 8-lane loops; the debug build's loops are not vectorised) or whole chunks, and at a
/// floor that skips chunks.
#[test]
fn both_versions_of_the_strip_search_find_the_textbook_maxima() {
    let mut rng = crate::synth::SplitMix64::new(14);
    let versions: [(&str, StripSearch); 2] = [
        ("dispatched", strip_maxima),
        ("baseline", strip_maxima_body),
    ];
    let mut compared = 0;
    for w in (3..12).chain([MAXIMA_CHUNK_PX + 2, 3 * MAXIMA_CHUNK_PX + 7]) {
        let h = MAXIMA_STRIP_ROWS + 9;
        let data = (0..w * h).map(|_| (rng.uniform(0.0, 1.0) * 4.0).round() as f32 / 4.0);
        let p = Plane {
            width: w,
            height: h,
            data: data.collect(),
        };
        for floor in [0.0, 0.8] {
            let expected = maxima_by_pixel(&p, 1.5, floor);
            for (name, search) in versions {
                let (mut response, mut maxima) = (vec![f32::NAN; 5], Vec::new());
                for first in (1..h - 1).step_by(MAXIMA_STRIP_ROWS) {
                    let last = (first + MAXIMA_STRIP_ROWS).min(h - 1);
                    // Only the rows it may read: the strip's and two either side.
                    let held = first.saturating_sub(2)..(last + 2).min(h);
                    let window = RowWindow {
                        rows: &p.data[held.start * w..held.end * w],
                        width: w,
                        top: held.start,
                        height: h,
                    };
                    search(
                        &window,
                        2.25,
                        floor,
                        first..last,
                        &mut response,
                        &mut maxima,
                    );
                }
                assert_eq!(maxima, expected, "{name}, {w}×{h} floor {floor}");
            }
            compared += expected.len();
        }
    }
    assert!(compared > 200, "{compared} maxima to compare");
}

/// A row's response, whole or a span at a time as the maxima search asks for it (chunks of
/// `MAXIMA_CHUNK_PX` and a pixel either side), is −σ²∇²p pixel by pixel, at the plane's edges
/// and on planes 1–4 px wide or tall included (1–2 px wide: no pixel with both neighbours in
/// its row); a span leaves the rest of the row as it was.
#[test]
fn laplacian_spans_are_the_pointwise_laplacian() {
    let mut rng = crate::synth::SplitMix64::new(13);
    for (w, h) in [
        (1, 1),
        (1, 4),
        (2, 3),
        (3, 2),
        (4, 1),
        (9, 7),
        (2 * MAXIMA_CHUNK_PX + 5, 4),
    ] {
        let p = Plane {
            width: w,
            height: h,
            data: (0..w * h).map(|_| rng.uniform(-1.0, 1.0) as f32).collect(),
        };
        let s2 = 2.25;
        let spans = [
            0..w,
            0..1,
            w - 1..w,
            1.min(w)..w,
            w / 2..w / 2,
            // The first two chunks' spans, a pixel either side.
            0..w.min(MAXIMA_CHUNK_PX + 2),
            MAXIMA_CHUNK_PX.min(w)..w.min(2 * MAXIMA_CHUNK_PX + 2),
        ];
        for y in 0..h {
            let expected: Vec<f32> = (0..w).map(|x| laplacian_at(&p, x, y, s2)).collect();
            let mut row = vec![f32::NAN; w];
            laplacian_row(&p.window(), y, s2, &mut row);
            assert_eq!(row, expected, "{w}×{h} row {y}");
            for xs in &spans {
                let mut out = vec![f32::NAN; w];
                laplacian_span(&p.window(), y, s2, xs.clone(), &mut out);
                for x in 0..w {
                    if xs.contains(&x) {
                        assert_eq!(out[x], expected[x], "{w}×{h} row {y} {xs:?} at {x}");
                    } else {
                        assert!(out[x].is_nan(), "{w}×{h} row {y} {xs:?} wrote {x}");
                    }
                }
            }
        }
    }
}

use super::noise::{noise_bins, NOISE_SPARE_BINS};
use super::*;
use crate::plane::Plane;

/// Darkness plane with soft discs of `darkness` at `centres`, radius `r` px.
pub(super) fn discs(w: usize, h: usize, centres: &[(f32, f32)], r: f32, darkness: f32) -> Plane {
    let mut p = Plane::filled(w, h, 0.0);
    for y in 0..h {
        for x in 0..w {
            let mut t = 1.0f32;
            for &(cx, cy) in centres {
                let dist = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
                let alpha = (0.5 - (dist - r) / 2.0).clamp(0.0, 1.0);
                t *= 1.0 - darkness * alpha;
            }
            p.data[y * w + x] = 1.0 - t;
        }
    }
    p
}

/// Without a scale, a whole network thinner than the typical dot is hair, round pieces and
/// all: a knot on a long hair, 2/3 to 3/4 of a dot's radius (wider than half a typical dot,
/// so the per-piece width rule alone would keep it, and off any hair line, since the hair
/// covers little of its disc), is not counted. The 2 px hair is 0.1 mm at 20 px/mm.
#[test]
fn without_a_scale_a_round_knot_on_a_long_thin_hair_is_hair() {
    let (w, h) = (240usize, 120usize);
    let dots: Vec<(f32, f32)> = (0..6).map(|i| (20.0 + 40.0 * i as f32, 25.0)).collect();
    for knot_r in [4.0f32, 4.5] {
        let mut p = discs(w, h, &dots, 6.0, 0.7);
        let knot = discs(w, h, &[(120.0, 85.0)], knot_r, 0.6);
        for y in 0..h {
            for x in 0..w {
                let mut t = (1.0 - p.data[y * w + x]) * (1.0 - knot.data[y * w + x]);
                if (84..86).contains(&y) && (4..w - 4).contains(&x) {
                    t *= 1.0 - 0.6;
                }
                p.data[y * w + x] = 1.0 - t;
            }
        }
        let map = find_dots(&p, 12.0, None);
        let mut centres: Vec<(f64, f64)> = map.dots.iter().map(|d| (d.x, d.y)).collect();
        centres.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert_eq!(centres.len(), dots.len(), "knot {knot_r} px: {centres:?}");
        for (found, &(x, y)) in centres.iter().zip(&dots) {
            assert!(
                (found.0 - f64::from(x)).abs() < 1.0 && (found.1 - f64::from(y)).abs() < 1.0,
                "knot {knot_r} px: {centres:?}"
            );
        }
    }
}

/// Three dots, two of them touching, and a hair across the plane (so that with a scale every
/// smoothed plane is made in the spare buffers).
fn dots_and_a_hair() -> Plane {
    let mut p = discs(
        90,
        70,
        &[(20.0, 20.0), (32.0, 20.0), (60.0, 45.0)],
        6.0,
        0.7,
    );
    for x in 0..90 {
        p.data[60 * 90 + x] = 0.5;
    }
    p
}

#[test]
fn spare_buffers_of_any_size_and_contents_change_nothing() {
    let p = dots_and_a_hair();
    for px_per_mm in [None, Some(20.0)] {
        let fresh = find_dots(&p, 12.0, px_per_mm);
        for labels in [vec![f32::NAN; 6], vec![0.9; 200 * 100], vec![-1.0; 90 * 70]] {
            let spare = SpareBuffers { labels };
            let reused = find_dots_reusing(&p, 12.0, px_per_mm, spare);
            assert_eq!(reused.dots, fresh.dots);
            assert_eq!(reused.labels, fresh.labels);
            assert_eq!(reused.cover, fresh.cover);
        }
    }
}

/// Giving up the plane before the watershed (its buffer becomes the labels', the outlines and
/// the centroids' weights blur its rows written again) changes nothing.
#[test]
fn releasing_the_plane_changes_nothing() {
    let p = dots_and_a_hair();
    for px_per_mm in [None, Some(20.0)] {
        let fresh = find_dots(&p, 12.0, px_per_mm);
        assert!(fresh.dots.len() >= 3, "the scene has dots to find");
        let original = p.clone();
        let rows = |y: usize, out: &mut [f32]| out.copy_from_slice(original.row(y));
        let released = find_dots_releasing(p.clone(), &rows, 12.0, px_per_mm);
        assert_eq!(released.dots, fresh.dots);
        assert_eq!(released.labels, fresh.labels);
        assert_eq!(released.cover, fresh.cover);
    }
}

#[test]
fn separates_touching_dots_and_keeps_single_ones_whole() {
    let r = 6.0;
    let pair = discs(60, 40, &[(20.0, 20.0), (20.0 + 2.0 * r, 20.0)], r, 0.7);
    assert_eq!(find_dots(&pair, 2.0 * r, None).dots.len(), 2);
    let triangle = discs(
        60,
        60,
        &[(20.0, 20.0), (32.0, 20.0), (26.0, 20.0 + 10.4)],
        r,
        0.7,
    );
    assert_eq!(find_dots(&triangle, 2.0 * r, None).dots.len(), 3);
    let single = discs(40, 40, &[(20.0, 20.0)], r, 0.7);
    let map = find_dots(&single, 2.0 * r, None);
    assert_eq!(map.dots.len(), 1);
    let dot = &map.dots[0];
    assert!((dot.x - 20.0).abs() < 0.3 && (dot.y - 20.0).abs() < 0.3);
    // Half-maximum outline ≈ the disc of radius r.
    let expected = std::f32::consts::PI * r * r;
    assert!(
        (dot.area_px as f32 - expected).abs() < 0.1 * expected,
        "{}",
        dot.area_px
    );
    assert!((dot.core_darkness - 0.7).abs() < 0.02);
}

#[test]
fn a_thin_line_is_a_ridge_not_a_dot() {
    let mut p = Plane::filled(80, 40, 0.0);
    for x in 5..75 {
        for y in 19..21 {
            p.data[y * 80 + x] = 0.7;
        }
    }
    let map = find_dots(&p, 10.0, None);
    assert!(map.dots.is_empty(), "{:?}", map.dots);
}

/// Fine healed dots (0.16–0.30 mm) are barely wider than stubble (≤ 0.14 mm): a round
/// piece wider than any hair is a dot, even where a hair crosses it and ends beside it. The
/// depth of a dot's deepest pixel reads up to about a pixel short, so this holds from
/// 0.20 mm at 50 px/mm and from 0.24 mm at 25 px/mm (finer dots crossed by a hair are lost
/// there, as the README says).
#[test]
fn a_fine_dot_touched_by_a_hair_is_a_dot_and_the_hair_is_not() {
    for (s, dot_mm, hair_rows) in [(50.0, 0.20, 58..62), (25.0, 0.24, 29..31)] {
        let (w, h) = ((5.6 * s) as usize, (2.4 * s) as usize);
        let r = 0.5 * dot_mm * s;
        let (y0, x0, x1) = (1.2 * s, 1.6 * s, 4.0 * s);
        let mut p = discs(w, h, &[(x0, y0), (x1, y0)], r, 0.7);
        // A hair 0.08 mm wide crossing the first dot and ending between the two.
        for y in hair_rows {
            for x in 4..(2.8 * s) as usize {
                let v = &mut p.data[y * w + x];
                *v = 1.0 - (1.0 - *v) * (1.0 - 0.6);
            }
        }
        let map = find_dots(&p, 2.0 * r, Some(s));
        let mut centres: Vec<(f64, f64)> = map.dots.iter().map(|d| (d.x, d.y)).collect();
        centres.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert_eq!(centres.len(), 2, "{s} px/mm: {centres:?}");
        assert!((centres[0].0 - f64::from(x0)).abs() < 1.5, "{centres:?}");
        assert!((centres[1].0 - f64::from(x1)).abs() < 1.0, "{centres:?}");
        // Under the width of the smallest impression, a round speck is not a dot: drawn
        // 0.14 mm across, its half-maximum outline is under 0.05 mm in half-width, yet
        // larger than the smallest impression's area (so only the width rule rejects it).
        let speck = discs(
            w,
            h,
            &[(x1, y0)],
            0.7 * crate::measure::MIN_DOT_MM as f32 * s,
            0.7,
        );
        assert!(
            find_dots(&speck, 2.0 * r, Some(s)).dots.is_empty(),
            "{s} px/mm"
        );
    }
}

#[test]
fn faint_texture_below_the_threshold_is_ignored() {
    let texture = discs(40, 40, &[(20.0, 20.0)], 4.0, MIN_PEAK_DARKNESS * 0.8);
    assert!(find_dots(&texture, 8.0, None).dots.is_empty());
}

/// The noise is the robust σ of the negative side, the same for a turned plane, and exact
/// to within a histogram bin.
#[test]
fn skin_noise_is_the_robust_sigma_of_skin_and_ignores_orientation() {
    let (w, h) = (97, 61);
    let mut rng = crate::synth::SplitMix64::new(5);
    let mut p = Plane::filled(w, h, 0.0);
    for v in &mut p.data {
        *v = 0.02 * rng.normal() as f32;
    }
    // Pigment adds darkness only on the positive side.
    for v in p.data.iter_mut().step_by(5) {
        *v = v.abs() + 0.5;
    }
    let sigma = skin_noise(&p);
    let mut below: Vec<f32> = p.data.iter().filter(|v| **v < 0.0).map(|v| -v).collect();
    let exact = 1.4826 * crate::quantile::quantile(&mut below, 0.5);
    assert!(
        (sigma - exact).abs() <= 1.4826 * NOISE_HISTOGRAM_STEP,
        "{sigma} vs {exact}"
    );
    assert!((sigma - 0.02).abs() < 0.002, "{sigma}");
    let mut turned = Plane::filled(h, w, 0.0);
    for y in 0..h {
        for x in 0..w {
            turned.data[x * h + (h - 1 - y)] = p.get(x, y);
        }
    }
    assert_eq!(skin_noise(&turned), sigma);
    // Too little skin: no estimate.
    assert_eq!(skin_noise(&Plane::filled(10, 1, -0.01)), 0.0);
    assert!(skin_noise(&Plane::filled(16, 1, -0.01)) > 0.0);
}

#[test]
fn components_are_8_connected_with_their_extent() {
    #[rustfmt::skip]
    let mask = [
        true,  false, false, true,
        false, true,  false, false,
        false, false, false, true,
    ];
    assert_eq!(
        component_shapes(&mask, 4),
        vec![(2, 2, 2), (1, 1, 1), (1, 1, 1)]
    );
}

/// A mask of bytes has the components of the pixels whose byte is not 0, whatever the set
/// bytes hold, on rows of every length from 1 to 40 px (the rows are read a word at a time
/// where no byte is set: whole words, their remainders, and runs across them).
#[test]
fn components_of_a_byte_mask_are_those_of_its_set_bytes() {
    let mut rng = crate::synth::SplitMix64::new(17);
    for width in 1..=40 {
        let bytes: Vec<u8> = (0..width * 13)
            .map(|_| match rng.next_u64() % 8 {
                0 => 1,
                1 => 2,
                2 => 255,
                _ => 0,
            })
            .collect();
        let mask: Vec<bool> = bytes.iter().map(|&b| b != 0).collect();
        assert_eq!(
            component_shapes_in_mask(&bytes, width),
            component_shapes(&mask, width),
            "width {width}"
        );
    }
    // All set, none set.
    assert_eq!(component_shapes_in_mask(&[7; 24], 8), vec![(24, 8, 3)]);
    assert!(component_shapes_in_mask(&[0; 24], 8).is_empty());
}

/// Each value's noise bin is the textbook one, ⌊−v / step⌋ at most the last bin for a negative
/// value, a spare bin by column otherwise: at and beside every 1000th bin edge (the quotient's
/// rounding decides there), for tiny, huge and infinite negatives, and for zeros, positives and
/// NaN.
#[test]
fn noise_bins_are_the_textbook_bins() {
    let mut values = vec![
        -0.0,
        0.0,
        1.0,
        f32::NAN,
        -f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        -f32::MAX,
        -f32::MIN_POSITIVE,
        -1e-45,
        -0.2,
        -1.0,
    ];
    for k in (0..=NOISE_HISTOGRAM_BINS + 1)
        .step_by(1000)
        .chain([1, 2, 3999, 4000])
    {
        let edge = -(k as f32) * NOISE_HISTOGRAM_STEP;
        values.extend([edge, edge.next_up(), edge.next_down()]);
    }
    let mut rng = crate::synth::SplitMix64::new(3);
    values.extend((0..2000).map(|_| rng.uniform(-0.25, 0.05) as f32));
    let mut bins = Vec::new();
    noise_bins(&values, &mut bins);
    assert_eq!(bins.len(), values.len());
    for (x, (&v, &bin)) in values.iter().zip(&bins).enumerate() {
        let expected = if v < 0.0 {
            ((-v / NOISE_HISTOGRAM_STEP) as usize).min(NOISE_HISTOGRAM_BINS - 1)
        } else {
            NOISE_HISTOGRAM_BINS + x % NOISE_SPARE_BINS
        };
        assert_eq!(bin as usize, expected, "value {v:e} at column {x}");
    }
}

/// The cover of a fine dot crossed by a hair and a dot alone (the scene of the test above, at
/// 25 px/mm): each dot's centre is `Dot`, with the dot's own label, and its area is its `Dot`
/// pixels (its fringe with them); the hair's arms off the dot are `Hair`; skin away from both is `Bare`; every `Dot`
/// pixel lies in a kept dot's territory.
#[test]
fn the_cover_marks_the_dots_the_hair_and_the_bare_skin() {
    let (s, r) = (25.0, 0.5 * 0.24 * 25.0);
    let (w, h) = ((5.6 * s) as usize, (2.4 * s) as usize);
    let (y0, x0, x1) = (1.2 * s, 1.6 * s, 4.0 * s);
    let mut p = discs(w, h, &[(x0, y0), (x1, y0)], r, 0.7);
    for y in 29..31 {
        for x in 4..(2.8 * s) as usize {
            let v = &mut p.data[y * w + x];
            *v = 1.0 - (1.0 - *v) * (1.0 - 0.6);
        }
    }
    let map = find_dots(&p, 2.0 * r, Some(s));
    assert_eq!(map.dots.len(), 2);
    assert_eq!(map.cover.len(), w * h);
    let at = |x: f32, y: f32| map.cover[y as usize * w + x as usize];
    for (k, dot) in map.dots.iter().enumerate() {
        let (x, y) = (dot.x as usize, dot.y as usize);
        assert_eq!(map.cover[y * w + x], Cover::Dot, "dot {k}");
        assert_eq!(map.labels[y * w + x] as usize, k + 1, "dot {k}");
        let own = (0..w * h)
            .filter(|&i| map.cover[i] == Cover::Dot && map.labels[i] as usize == k + 1)
            .count();
        assert_eq!(own, dot.area_px as usize, "dot {k}");
    }
    // Both arms of the hair, well off the dot.
    for x in [0.5 * s, 2.5 * s] {
        assert_eq!(at(x, 29.0), Cover::Hair, "x {x}");
    }
    assert_eq!(at(x0, 0.3 * s), Cover::Bare);
    assert_eq!(at(5.4 * s, 2.2 * s), Cover::Bare);
    assert!((0..w * h).all(|i| map.cover[i] != Cover::Dot || map.labels[i] != 0));
    let count = |kind| map.cover.iter().filter(|c| **c == kind).count();
    assert!(
        count(Cover::Hair) >= (1.5 * s) as usize,
        "{}",
        count(Cover::Hair)
    );
}

#[test]
fn a_cover_is_the_one_its_code_names_and_an_unknown_code_is_bare() {
    for cover in [Cover::Bare, Cover::Dot, Cover::Hair] {
        assert_eq!(Cover::from_code(cover as u8), cover);
    }
    assert_eq!(Cover::from_code(3), Cover::Bare);
    assert_eq!(Cover::from_code(u8::MAX), Cover::Bare);
}

/// The outline's own denoising blur takes about its pull ([`outline_pull_px`] of its σ,
/// [`outline_sigma_px`]) from each dot's half-maximum area, for a dot 5 px across as for one 32
/// px across (whose blur is wider, 0.96 px), and the dot's share gives it back: over 64 discs
/// of each radius, at every sub-pixel offset of a 1/8 px lattice (which averages the pixel
/// grid out), the mean `area_px` falls short of the pixels whose centre lies within the disc
/// by 0.5–1.5 × that pull (1.3–1.9 px² at σ = 0.7 px, 2.3 of 2.9 px² at 0.96), and with
/// `outline_pull_px` it is within 0.5 px² of them, and 0.1% of a large disc (0.6 of 804 px²). (Not every radius is as close: at 3.5 px
/// the half-maximum takes 1.9 px² and the opening another 0.9, leaving 1.3 px² short.)
#[test]
fn the_outline_pull_returns_the_area_the_outline_blur_takes() {
    for r in [2.5f32, 4.0, 6.0, 8.0, 16.0] {
        let pull = outline_pull_px(outline_sigma_px(2.0 * r));
        let spacing = (4.0 * r).ceil();
        let (columns, rows) = (8usize, 8usize);
        let (w, h) = (
            (spacing * columns as f32) as usize,
            (spacing * rows as f32) as usize,
        );
        let centres: Vec<(f32, f32)> = (0..columns * rows)
            .map(|i| {
                // Every offset of a 1/8 px lattice over the pixel once, each in the middle of
                // its 1/8 px cell (no pixel centre then lies exactly on a disc's edge, where
                // the truth and the half-maximum would split a tie).
                let (fx, fy) = (
                    ((i % 8) as f32 + 0.5) / 8.0,
                    ((i / 8 % 8) as f32 + 0.5) / 8.0,
                );
                let (cx, cy) = ((i % columns) as f32, (i / columns) as f32);
                ((cx + 0.5) * spacing + fx, (cy + 0.5) * spacing + fy)
            })
            .collect();
        let p = discs(w, h, &centres, r, 0.7);
        let map = find_dots(&p, 2.0 * r, None);
        assert_eq!(map.dots.len(), centres.len(), "r {r}");
        let truth: f32 = centres
            .iter()
            .map(|&(cx, cy)| {
                let reach = r.ceil() as i32 + 1;
                let (px, py) = (cx.floor() as i32, cy.floor() as i32);
                let mut inside = 0;
                for y in py - reach..=py + reach {
                    for x in px - reach..=px + reach {
                        let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
                        inside += i32::from(dx.hypot(dy) <= r);
                    }
                }
                inside as f32
            })
            .sum::<f32>()
            / centres.len() as f32;
        let n = map.dots.len() as f32;
        let outlined = map.dots.iter().map(|d| d.area_px as f32).sum::<f32>() / n;
        assert!(
            map.dots.iter().all(|d| d.outline_pull_px == pull),
            "r {r}: one dot per outline"
        );
        let short = truth - outlined;
        assert!(
            (0.5 * pull..=1.5 * pull).contains(&short),
            "r {r}: outlined {outlined} px² of {truth}"
        );
        assert!(
            (outlined + pull - truth).abs() <= 0.5 + 0.001 * truth,
            "r {r}: outlined {outlined} + {pull} px² of {truth}"
        );
    }
}

/// The outline plane's blur is [`OUTLINE_SIGMA_PX`] up to dots 23⅓ px across, grows by
/// [`OUTLINE_SIGMA_DIAMETERS`] of a dot's diameter beyond, and stops at [`MAX_OUTLINE_SIGMA_PX`]
/// from dots 66⅔ px across; its pull is π σ².
#[test]
fn the_outline_blur_grows_with_the_dots_between_its_bounds() {
    assert_eq!(outline_sigma_px(0.0), OUTLINE_SIGMA_PX);
    assert_eq!(outline_sigma_px(20.0), OUTLINE_SIGMA_PX);
    assert!((outline_sigma_px(40.0) - 1.2).abs() < 1e-6);
    assert!(outline_sigma_px(60.0) < MAX_OUTLINE_SIGMA_PX);
    assert_eq!(outline_sigma_px(70.0), MAX_OUTLINE_SIGMA_PX);
    assert_eq!(outline_sigma_px(f32::INFINITY), MAX_OUTLINE_SIGMA_PX);
    assert_eq!(outline_sigma_px(f32::NAN), OUTLINE_SIGMA_PX);
    assert_eq!(outline_pull_px(OUTLINE_SIGMA_PX), OUTLINE_PULL_PX);
}

/// Touching dots share one outline, and with it one [`OUTLINE_PULL_PX`]: half each for a
/// pair, the whole for a dot alone.
#[test]
fn touching_dots_share_their_outlines_pull() {
    let r = 6.0;
    let p = discs(
        90,
        40,
        &[(20.0, 20.0), (20.0 + 2.0 * r, 20.0), (70.0, 20.0)],
        r,
        0.7,
    );
    let map = find_dots(&p, 2.0 * r, None);
    let mut pulls: Vec<(f64, f32)> = map.dots.iter().map(|d| (d.x, d.outline_pull_px)).collect();
    pulls.sort_by(|a, b| a.0.total_cmp(&b.0));
    let shares: Vec<f32> = pulls.iter().map(|&(_, pull)| pull).collect();
    let half = OUTLINE_PULL_PX / 2.0;
    assert_eq!(shares, [half, half, OUTLINE_PULL_PX], "{pulls:?}");
}

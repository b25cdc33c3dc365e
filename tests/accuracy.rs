//! Measurement validity against the scene generator's ground truth: counts, coverage and
//! darkness across skin tones, scales, densities and dot sizes; invariance to exposure, white
//! balance, lighting gradients, JPEG compression and EXIF rotation; hairs; a four-session series
//! measured through a manifest. Tolerances are the ones issue 3 sets; each failing assertion
//! prints the table it judged.

use image::DynamicImage;
use smptrack::measure::{measure, Measurement};
use smptrack::metrics::{session_metrics, SessionMetrics};
use smptrack::synth::{self, Camera, Dot, DotParams, ExifTags, Hair, Lighting, Scene, Skin};
use smptrack::{load, Region};

/// One scene's truth next to what was measured.
struct Row {
    name: String,
    truth: synth::Truth,
    measured: SessionMetrics,
}

impl Row {
    fn count_error(&self) -> f64 {
        (self.measured.dot_count as f64 - self.truth.dot_count as f64)
            / self.truth.dot_count.max(1) as f64
    }
    fn coverage_error(&self) -> f64 {
        self.measured.coverage_pct - self.truth.coverage_pct
    }
    fn darkness_error(&self) -> f64 {
        self.measured.darkness.unwrap_or(0.0) - self.truth.darkness_median
    }
}

fn table(rows: &[Row]) -> String {
    let mut s = String::from("scene: true/found count | coverage true/measured | darkness\n");
    for r in rows {
        s += &format!(
            "{:<32} {:>4} {:>4} ({:+.1}%) | {:.2} {:.2} | {:.3} {:.3}\n",
            r.name,
            r.truth.dot_count,
            r.measured.dot_count,
            100.0 * r.count_error(),
            r.truth.coverage_pct,
            r.measured.coverage_pct,
            r.truth.darkness_median,
            r.measured.darkness.unwrap_or(f64::NAN)
        );
    }
    s
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn measure_image(
    img: &DynamicImage,
    region: Region,
    px_per_mm: f64,
) -> (SessionMetrics, Measurement) {
    let m = measure(img, region, Some(px_per_mm)).expect("region fits");
    (session_metrics(&m, Some(px_per_mm)), m)
}

/// A camera framing 20 × 15 mm of scalp at `px_per_mm`.
fn frame_20_by_15_mm(px_per_mm: f64) -> Camera {
    Camera::new(
        (20.0 * px_per_mm) as u32,
        (15.0 * px_per_mm) as u32,
        px_per_mm,
    )
}

fn render(scene: &Scene, camera: &Camera) -> DynamicImage {
    DynamicImage::ImageRgb8(synth::render(scene, camera))
}

fn row(name: String, scene: &Scene, camera: &Camera) -> Row {
    let (w, h) = (camera.width, camera.height);
    let (measured, _) = measure_image(
        &render(scene, camera),
        Region::whole(w, h),
        camera.px_per_mm,
    );
    Row {
        name,
        truth: synth::truth(scene, camera, (0, 0, w, h)),
        measured,
    }
}

/// Dots 0.25–1.2 mm across at 15–100 px/mm, skin types I–VI, 20–250 dots/cm², faint to dark.
#[test]
fn counts_coverage_and_darkness_match_the_truth_across_conditions() {
    let sparse = DotParams {
        density_per_cm2: 20.0,
        ..DotParams::healed()
    };
    let dense = DotParams {
        density_per_cm2: 250.0,
        ..DotParams::fresh()
    };
    let cases: Vec<(&str, u8, f64, DotParams)> = vec![
        ("healed", 1, 15.0, DotParams::healed()),
        ("fresh", 6, 15.0, DotParams::fresh()),
        ("first", 4, 20.0, DotParams::first_session()),
        ("dense", 2, 25.0, dense),
        ("blown", 5, 25.0, DotParams::blown_out()),
        ("first", 1, 30.0, DotParams::first_session()),
        ("healed", 3, 35.0, DotParams::healed()),
        ("sparse", 6, 40.0, sparse),
        ("fresh", 2, 50.0, DotParams::fresh()),
        ("blown", 4, 50.0, DotParams::blown_out()),
        ("first", 6, 60.0, DotParams::first_session()),
        ("healed", 5, 100.0, DotParams::healed()),
        ("fine", 2, 25.0, DotParams::fine_healed()),
        ("fine", 6, 30.0, DotParams::fine_healed()),
        ("fine", 4, 50.0, DotParams::fine_healed()),
    ];
    let rows: Vec<Row> = cases
        .into_iter()
        .enumerate()
        .map(|(i, (name, skin, ppm, params))| {
            // About 1.2 cm² of scalp (3 cm² for sparse dots, so one miss is not 4%), at most
            // 720 px on a side.
            let side_mm = if params.density_per_cm2 < 40.0 {
                20.0
            } else {
                13.0
            };
            let w = (ppm * side_mm).min(720.0) as u32;
            let h = w * 3 / 4;
            let camera = Camera::new(w, h, ppm);
            let scene = Scene::typical(&camera, skin, &params, 100 + i as u64);
            row(format!("{name} skin {skin} {ppm} px/mm"), &scene, &camera)
        })
        .collect();
    let report = table(&rows);
    let count: Vec<f64> = rows.iter().map(|r| r.count_error().abs()).collect();
    let coverage: Vec<f64> = rows.iter().map(|r| r.coverage_error().abs()).collect();
    let coverage_rel: Vec<f64> = rows
        .iter()
        .map(|r| r.coverage_error().abs() / r.truth.coverage_pct)
        .collect();
    let darkness: Vec<f64> = rows.iter().map(|r| r.darkness_error().abs()).collect();
    assert!(
        median(count.clone()) <= 0.05,
        "median count error\n{report}"
    );
    assert!(
        count.iter().all(|e| *e <= 0.12),
        "worst count error\n{report}"
    );
    assert!(
        median(coverage) <= 2.0,
        "median coverage error (pp)\n{report}"
    );
    assert!(
        median(coverage_rel) <= 0.10,
        "median relative coverage error\n{report}"
    );
    assert!(median(darkness) <= 0.05, "median darkness error\n{report}");
}

/// A healed scene on skin type III and the same scene changed in one respect.
fn base_scene() -> (Scene, Camera) {
    let camera = Camera::new(600, 450, 25.0);
    let scene = Scene::typical(&camera, 3, &DotParams::healed(), 7);
    (scene, camera)
}

fn assert_invariant(name: &str, base: &SessionMetrics, other: &SessionMetrics) {
    let rel = |a: f64, b: f64| (a - b).abs() / a.abs().max(1e-9);
    let detail = format!("{name}: base {base:?}\n variant {other:?}");
    assert!(
        rel(base.dot_count as f64, other.dot_count as f64) <= 0.05,
        "count moved: {detail}"
    );
    assert!(
        rel(
            base.density_per_cm2.unwrap(),
            other.density_per_cm2.unwrap()
        ) <= 0.05,
        "density moved: {detail}"
    );
    assert!(
        rel(base.coverage_pct, other.coverage_pct) <= 0.05,
        "coverage moved: {detail}"
    );
    assert!(
        (base.darkness.unwrap() - other.darkness.unwrap()).abs() <= 0.03,
        "darkness moved: {detail}"
    );
}

#[test]
fn exposure_white_balance_and_gradients_do_not_move_the_numbers() {
    let (scene, camera) = base_scene();
    let region = Region::whole(camera.width, camera.height);
    let (base, _) = measure_image(&render(&scene, &camera), region, camera.px_per_mm);
    let variants: [(&str, Lighting); 4] = [
        (
            "exposure x0.7",
            Lighting {
                exposure: scene.lighting.exposure * 0.7,
                ..scene.lighting
            },
        ),
        (
            "exposure x1.3",
            Lighting {
                exposure: scene.lighting.exposure * 1.3,
                ..scene.lighting
            },
        ),
        (
            "white balance",
            Lighting {
                white_balance: [0.85, 1.0, 1.25],
                ..scene.lighting
            },
        ),
        (
            // Light falling from 1.5× to 0.5× across the frame (3:1, one side lamp-lit), and
            // corners 35% darker.
            "strong gradient",
            Lighting {
                gradient: (1.0, 0.0),
                vignette: 0.35,
                ..scene.lighting
            },
        ),
    ];
    for (name, lighting) in variants {
        let variant = Scene {
            lighting,
            ..scene.clone()
        };
        let (m, _) = measure_image(&render(&variant, &camera), region, camera.px_per_mm);
        assert_invariant(name, &base, &m);
    }
}

/// Sensor noise does not darken the dots. On the darkest skin (type VI, Y ≈ 0.03 in a phone's
/// close-up, where its noise is σ ≈ 0.1 in darkness per pixel), the skin ring used to leave out
/// the pixels the noise had darkened (judged one by one against the ring's bound on darkness,
/// or flooded into a dot's territory) and read the skin 4–6% light: first-session dots read
/// up to 0.065 darker than in the same photo without noise, a fade between visits hidden by the
/// camera. The same first-session scenes rendered without noise and with a phone's: the median
/// darkness moves by at most 0.03 (the rest, up to +0.025 at 15 px/mm, is the core's: one
/// pixel there, at the dot's centre).
#[test]
fn sensor_noise_does_not_darken_the_dots_on_dark_skin() {
    let mut report = String::new();
    let mut worst: f64 = 0.0;
    for (px_per_mm, seed) in [(15.0, 2), (25.0, 1001), (50.0, 5)] {
        let camera = frame_20_by_15_mm(px_per_mm);
        let scene = Scene::typical(&camera, 6, &DotParams::first_session(), seed);
        let region = Region::whole(camera.width, camera.height);
        let darkness = |noise: f64| {
            let mut noisy = scene.clone();
            noisy.optics.noise = noise;
            let (m, _) = measure_image(&render(&noisy, &camera), region, px_per_mm);
            m.darkness.unwrap()
        };
        let clean = darkness(0.0);
        let moved = darkness(scene.optics.noise) - clean;
        report += &format!("{px_per_mm} px/mm: {moved:+.3}\n");
        worst = worst.max(moved.abs());
    }
    assert!(worst <= 0.03, "darkness moved with noise:\n{report}");
}

/// A dim photo of type VI skin (high ISO: twice a phone close-up's noise, ≈ 25% of the skin's
/// luminance per pixel). The skin field's first pass (a block's 70th percentile) stood 13%
/// above the skin, its second pass cut the skin's lower half away with the pigment, and noise
/// peaks counted as dots: 318 on bare skin at 15 px/mm, first-session counts +107…+269% at
/// 15–25 px/mm. With the skin's level read where the denoised pixels crowd in noisy blocks
/// (`flatten::NOISY_SKIN_NOISE`): 17 on bare skin, the counts −23…+28% (the faintest dots at
/// 15 px/mm sink under the noise; at 25 px/mm it shrank the dots' typical size, and some
/// split). Since the sizing blurs wider rather than cut higher on such skin
/// (`measure::SIZING_MAX_NOISE_RISE`): −9…+24% (at 25 px/mm dots still split; both scenes are
/// warned of noise, at a signal-to-noise of 33 and 43).
#[test]
fn a_dim_noisy_photo_of_dark_skin_counts_no_noise_as_dots() {
    let mut report = String::new();
    let mut worst: f64 = 0.0;
    for (px_per_mm, dots_per_cm2) in [(15.0, 0.0), (15.0, 60.0), (25.0, 60.0)] {
        let camera = frame_20_by_15_mm(px_per_mm);
        let params = DotParams {
            density_per_cm2: dots_per_cm2,
            ..DotParams::first_session()
        };
        let mut scene = Scene::typical(&camera, 6, &params, 1);
        scene.optics.noise *= 2.0;
        let r = row(format!("{px_per_mm} px/mm"), &scene, &camera);
        let (found, truth) = (r.measured.dot_count as f64, r.truth.dot_count as f64);
        report += &format!("{px_per_mm} px/mm, {dots_per_cm2}/cm²: {found} of {truth}\n");
        if truth == 0.0 {
            assert!(found <= 30.0, "noise counted as dots:\n{report}");
        } else {
            worst = worst.max((found / truth - 1.0).abs());
        }
    }
    assert!(worst <= 0.3, "counts off:\n{report}");
}

#[test]
fn jpeg_quality_60_and_exif_rotation_do_not_move_the_numbers() {
    let (scene, camera) = base_scene();
    let upright = synth::render(&scene, &camera);
    let region = Region::whole(camera.width, camera.height);
    let base_img = DynamicImage::ImageRgb8(upright.clone());
    let (base, _) = measure_image(&base_img, region, camera.px_per_mm);

    let limits = load::LoadLimits::default();
    let jpeg = synth::encode_jpeg(&upright, 60, &ExifTags::default());
    let decoded = load::decode_photo(&jpeg, "q60.jpg".as_ref(), &limits).unwrap();
    let (m, _) = measure_image(&decoded.image, region, camera.px_per_mm);
    assert_invariant("JPEG quality 60", &base, &m);

    let sideways = synth::store_with_orientation(&upright, 6);
    let tags = ExifTags {
        orientation: Some(6),
        ..ExifTags::default()
    };
    let jpeg = synth::encode_jpeg(&sideways, 92, &tags);
    let decoded = load::decode_photo(&jpeg, "sideways.jpg".as_ref(), &limits).unwrap();
    assert_eq!(decoded.orientation, 6);
    let (m, _) = measure_image(&decoded.image, region, camera.px_per_mm);
    assert_invariant("stored rotated, EXIF orientation 6", &base, &m);
}

#[test]
fn hairs_and_stubble_are_not_counted() {
    let (scene, camera) = base_scene();
    hairs_move_neither_count_nor_coverage(scene, &camera);
}

/// Fine healed dots (0.16–0.30 mm) are barely wider than the stubble (≤ 0.14 mm) crossing them.
#[test]
fn hairs_and_stubble_are_not_counted_among_fine_dots() {
    hairs_over_a_scene((600, 450, 25.0), 3, DotParams::fine_healed(), 7);
}

/// A close-up at 100 px/mm, where hairs are 4–14 px wide (the finer hair scale, σ = 4.5 px,
/// searched at every pixel, the wider, σ = 9 px, on a grid of 2 px; the grid itself is pinned
/// by the hair-line unit tests). Its 12 hairs and 60 stubble shafts on 0.63 cm² are dense
/// stubble (95 shafts per cm²), which added 16% to the count (76 → 88) while the stubble's own
/// pieces could set the typical dot's width.
#[test]
fn hairs_and_stubble_are_not_counted_in_a_close_up() {
    hairs_over_a_scene((900, 700, 100.0), 3, DotParams::healed(), 11);
}

/// Blown-out dots (0.6–1.2 mm, soft halos) on type VI skin in a 100 px/mm close-up: noise makes
/// their half-maximum edges ragged, and the opening that cuts hair arms off the dots shaved the
/// ragged bits off without filling the matching dents, so coverage read low: −5.4, −2.9 and
/// −6.2 pp on these three 10 × 7.5 mm frames (≈ 24% covered; about 20 dots each, so a dot more
/// or less covered moves a frame by a point or two), then −1.2, −2.0 and −0.9 pp with the
/// fringe kept; the outline plane's denoising blur, 0.7 px whatever the dots' size, left the
/// edges frayed. Grown with the dots (2 px here, `OUTLINE_SIGMA_DIAMETERS`): −0.4, −1.2, −0.5.
#[test]
fn blown_out_dots_on_dark_skin_keep_their_ragged_edges_in_coverage() {
    let camera = Camera::new(1000, 750, 100.0);
    let errors: Vec<f64> = [121, 122, 123]
        .into_iter()
        .map(|seed| {
            let scene = Scene::typical(&camera, 6, &DotParams::blown_out(), seed);
            let r = row(format!("seed {seed}"), &scene, &camera);
            r.measured.coverage_pct - r.truth.coverage_pct
        })
        .collect();
    let mean = errors.iter().sum::<f64>() / errors.len() as f64;
    assert!(
        mean.abs() <= 1.0 && errors.iter().all(|e| e.abs() <= 2.0),
        "coverage errors {errors:?} pp"
    );
}

/// A whole-head photo's scale, 15 px/mm, where a hair (0.04–0.14 mm) is 1–2 px wide and the
/// optics spread it to about a sparse first session's faint dots (0.25–0.4 mm, 4–6 px): the
/// watershed cut its line into pieces as wide as those dots, which were counted as a chain
/// along it: 12 hairs and 60 stubble shafts added 12% to the count (718 → 806), now 3.5% (743).
#[test]
fn hairs_are_not_a_chain_of_dots_at_a_coarse_scale() {
    hairs_over_a_scene((600, 450, 15.0), 2, DotParams::first_session(), 5);
}

/// Blown-out dots (0.6–1.2 mm) in a 100 px/mm close-up, where the fringe that a dot's cover
/// keeps beside its opened outline reaches a quarter of a dot's radius and more: the hairs
/// crossing the dots must stay hair there too. (16 × 12 mm: 6 hairs and 31 stubble shafts per
/// cm². On a 9 × 7 mm frame, 95 shafts per cm², the count rose from 29 to 38: dense stubble
/// over blown-out dots is a soft spot of the count, which the fringe does not touch.)
#[test]
fn hairs_and_stubble_are_not_counted_among_blown_out_dots() {
    hairs_over_a_scene((1600, 1200, 100.0), 3, DotParams::blown_out(), 11);
}

/// Dense stubble (95 shafts per cm², as on a shaved scalp treated for density between its
/// hairs) at 25 px/mm, where a shaft is 2–3.5 px wide and the watershed cuts it into pieces as
/// round as fine dots. The typical dot width that a piece on a hair line is judged against
/// once came from those pieces too, and the count rose by 43% (532 → 763); taken from the
/// round candidates off hair lines, by 11% (591). Held within 15%: crossings of stubble, and
/// of stubble with long hairs, remain the known soft spot (see the README's Accuracy).
#[test]
fn dense_stubble_adds_few_dots() {
    let camera = Camera::new(600, 466, 25.0);
    let mut scene = Scene::typical(&camera, 3, &DotParams::healed(), 7);
    let area = camera.visible_area_mm();
    let cm2 = (area.2 - area.0) * (area.3 - area.1) / 100.0;
    let stubble = (95.0 * cm2).round() as usize;
    let ((bare, _), (hairy, _), moved) = measured_bare_and_hairy(&mut scene, &camera, (0, stubble));
    assert!(
        moved <= 0.15,
        "dense stubble moved the count from {} to {}",
        bare.dot_count,
        hairy.dot_count
    );
    assert!(hairy.hair_coverage_pct > 5.0, "{}", hairy.hair_coverage_pct);
}

/// A first session's faint dots (0.3–0.5 dark) under the scene's hairs and stubble (1 and 8 per
/// cm²) at close range, 50 and 100 px/mm, where a stubble shaft crossing a dot is the darker of
/// the two: read on the shaft, the dot's core was the shaft's, its half-maximum outline only
/// the shaft and the dot's middle, and the dot was set aside as hair. Six scenes (those of
/// `examples/accuracy`): the count was 4.5% low in all (845 of 885), up to 7% in one; now 2.7%
/// (861), each within 3%. Held to 3.5% in all and 5% each.
#[test]
fn faint_dots_crossed_by_stubble_are_counted_at_close_range() {
    let scenes = [
        (1, 50.0f64, 15),
        (2, 100.0, 40),
        (3, 50.0, 55),
        (4, 100.0, 80),
        (5, 100.0, 100),
        (6, 50.0, 115),
    ];
    let rows: Vec<Row> = scenes
        .into_iter()
        .map(|(skin, ppm, seed)| {
            // As examples/accuracy frames them: 20 × 15 mm, at most 1600 px on a side.
            let w = (ppm * (1600.0 / ppm).min(20.0)) as u32;
            let camera = Camera::new(w, w * 3 / 4, ppm);
            let scene = Scene::typical(&camera, skin, &DotParams::first_session(), seed);
            row(format!("first skin {skin} {ppm} px/mm"), &scene, &camera)
        })
        .collect();
    let report = table(&rows);
    let (found, truth) = rows.iter().fold((0, 0), |(f, t), r| {
        (f + r.measured.dot_count, t + r.truth.dot_count)
    });
    let total = (found as f64 - truth as f64) / truth as f64;
    assert!(
        total.abs() <= 0.035,
        "count error in all {total:.3}\n{report}"
    );
    assert!(
        rows.iter().all(|r| r.count_error().abs() <= 0.05),
        "worst count error\n{report}"
    );
}

/// A faint dot (0.34 mm, 0.35 dark) that a darker hair (0.1 mm, 0.75) crosses through its
/// middle, at 100 px/mm, on type III skin: it is counted, and its darkness and lightness are its
/// own, within 0.03 and 2 L* of its twin's off the hair. Its peak lies on the hair, and sampled
/// there it read the hair's: darkness 0.84 and L* 29.5, against its twin's 0.34 and 56.7.
#[test]
fn a_faint_dot_crossed_by_a_darker_hair_reads_its_own_darkness() {
    let camera = Camera::new(600, 300, 100.0);
    let mut scene = Scene::new(Skin::fitzpatrick(3), 5);
    scene.dots = vec![
        Dot::round(-1.2, 0.0, 0.34, 0.35),
        Dot::round(1.2, 0.0, 0.34, 0.35),
    ];
    // From the frame's left edge through the first dot's centre, ending 1.5 mm short of the
    // second's.
    scene.hairs = vec![Hair {
        points_mm: [(-3.2, 0.0), (-1.2, 0.0), (-0.3, 0.0)],
        width_mm: 0.1,
        darkness: 0.75,
    }];
    let (_, m) = measure_image(&render(&scene, &camera), Region::whole(600, 300), 100.0);
    let mut dots = m.dots.clone();
    dots.sort_by(|a, b| a.x.total_cmp(&b.x));
    let found: Vec<(f64, f64, f64)> = dots
        .iter()
        .map(|d| (d.x, d.darkness, d.core_lab[0] as f64))
        .collect();
    assert_eq!(dots.len(), 2, "{found:?}");
    let (crossed, twin) = (&dots[0], &dots[1]);
    assert!(
        (crossed.darkness - twin.darkness).abs() <= 0.03,
        "{found:?}"
    );
    assert!(
        (f64::from(crossed.core_lab[0]) - f64::from(twin.core_lab[0])).abs() <= 2.0,
        "{found:?}"
    );
}

/// `scene` measured whole without hairs, then with `long` long hairs and `stubble` stubble
/// shafts placed over what `camera` sees (seed 99), and how far the hairs moved the count (a
/// fraction of the bare count).
fn measured_bare_and_hairy(
    scene: &mut Scene,
    camera: &Camera,
    (long, stubble): (usize, usize),
) -> (
    (SessionMetrics, Measurement),
    (SessionMetrics, Measurement),
    f64,
) {
    let region = Region::whole(camera.width, camera.height);
    scene.hairs.clear();
    let bare = measure_image(&render(scene, camera), region, camera.px_per_mm);
    let mut rng = synth::SplitMix64::new(99);
    scene.hairs = synth::place_hairs(camera.visible_area_mm(), long, stubble, &mut rng);
    let hairy = measure_image(&render(scene, camera), region, camera.px_per_mm);
    let moved =
        (hairy.0.dot_count as f64 - bare.0.dot_count as f64).abs() / bare.0.dot_count as f64;
    (bare, hairy, moved)
}

/// [`hairs_move_neither_count_nor_coverage`] on a typical scene of `params` on skin type `skin`
/// (seed `seed`), seen by a camera of `(width, height, px_per_mm)`.
fn hairs_over_a_scene(
    (width, height, px_per_mm): (u32, u32, f64),
    skin: u8,
    params: DotParams,
    seed: u64,
) {
    let camera = Camera::new(width, height, px_per_mm);
    let scene = Scene::typical(&camera, skin, &params, seed);
    hairs_move_neither_count_nor_coverage(scene, &camera);
}

fn hairs_move_neither_count_nor_coverage(mut scene: Scene, camera: &Camera) {
    let ((bare, bare_m), (hairy, hairy_m), moved) =
        measured_bare_and_hairy(&mut scene, camera, (12, 60));
    assert!(
        moved <= 0.05,
        "hairs moved the count from {} to {}",
        bare.dot_count,
        hairy.dot_count
    );
    // The hair is seen, and kept out of the pigment coverage.
    assert!(
        hairy_m.hair_px > 5 * bare_m.hair_px.max(1),
        "{} vs {}",
        hairy_m.hair_px,
        bare_m.hair_px
    );
    assert!(hairy.hair_coverage_pct > 0.3, "{}", hairy.hair_coverage_pct);
    // A dark hair lying across a dot's edge darkens it there, which no photo can undo: allow
    // 10% of coverage.
    assert!(
        (hairy.coverage_pct - bare.coverage_pct).abs() <= 0.10 * bare.coverage_pct,
        "hairs moved coverage from {} to {}",
        bare.coverage_pct,
        hairy.coverage_pct
    );
}

#[test]
fn too_few_pixels_per_dot_gives_a_warning_not_a_silent_number() {
    let camera = Camera::new(400, 300, 8.0); // healed dots ≈ 2.5 px across
    let scene = Scene::typical(&camera, 2, &DotParams::healed(), 3);
    let (_, m) = measure_image(&render(&scene, &camera), Region::whole(400, 300), 8.0);
    assert!(
        m.warnings.iter().any(|w| w.contains("px across")),
        "{:?}",
        m.warnings
    );
    let (scene, camera) = base_scene();
    let (_, m) = measure_image(
        &render(&scene, &camera),
        Region::whole(camera.width, camera.height),
        camera.px_per_mm,
    );
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
}

/// The generator's phone blurs by σ 0.8 px; defocused to σ 2.5 px (0.1 mm at 25 px/mm) the
/// same healed dots read coverage about a fifth high and darkness 0.15–0.2 low
/// (`examples/defocus`), and the photo is said to be possibly out of focus. Blown-out dots,
/// soft-edged and large, are in focus at the phone's blur.
#[test]
fn an_out_of_focus_photo_gets_a_warning_and_a_sharp_one_does_not() {
    let camera = Camera::new(500, 375, 25.0);
    let region = Region::whole(500, 375);
    for (params, skin) in [(DotParams::healed(), 2), (DotParams::blown_out(), 5)] {
        let mut scene = Scene::typical(&camera, skin, &params, 11);
        let (_, sharp) = measure_image(&render(&scene, &camera), region, 25.0);
        let softness = sharp.edge_softness.expect("enough dots fitted");
        // Healed dots: the phone's 0.8 px and the pixels' own 0.3 px, on radii of 4–5 px.
        assert!(softness.ratio() < 0.3, "{softness:?}");
        assert!(
            !sharp.warnings.iter().any(|w| w.contains("focus")),
            "{:?}",
            sharp.warnings
        );
        scene.optics.blur_sigma_px = 2.5;
        let (_, blurred) = measure_image(&render(&scene, &camera), region, 25.0);
        let softness = blurred.edge_softness.expect("enough dots fitted");
        if skin == 2 {
            // The fitted edge is the blur's, within a fifth.
            assert!((softness.edge_sigma_px - 2.5).abs() < 0.5, "{softness:?}");
            assert!(
                blurred.warnings.iter().any(|w| w.contains("out of focus")),
                "{:?}",
                blurred.warnings
            );
        } else {
            // Large soft dots hold their numbers at this blur, and are not warned of.
            assert!(!softness.out_of_focus(), "{softness:?}");
        }
    }
}

/// Faint first-session dots on type VI skin stand only a few times the noise above the skin:
/// each dot's edge reads scattered, and the plain lower quartile of the scatter took a blur of
/// σ 1.5 px at 15 px/mm (coverage about half again too high) for sharp. Drawn towards their
/// middle by their noise, the readings warn of it, and still not of the sharp photo.
#[test]
fn faint_dots_on_dark_skin_out_of_focus_are_warned_too() {
    let camera = Camera::new(300, 225, 15.0);
    let region = Region::whole(300, 225);
    let mut scene = Scene::typical(&camera, 6, &DotParams::first_session(), 277);
    let focus_warned =
        |m: &smptrack::measure::Measurement| m.warnings.iter().any(|w| w.contains("out of focus"));
    let (_, sharp) = measure_image(&render(&scene, &camera), region, 15.0);
    assert!(!focus_warned(&sharp), "{:?}", sharp.edge_softness);
    scene.optics.blur_sigma_px = 1.5;
    let (_, blurred) = measure_image(&render(&scene, &camera), region, 15.0);
    assert!(focus_warned(&blurred), "{:?}", blurred.edge_softness);
}

#[test]
fn an_underexposed_photo_gets_a_warning_and_dark_skin_does_not() {
    let camera = Camera::new(400, 300, 25.0);
    let mut scene = Scene::typical(&camera, 6, &DotParams::healed(), 5);
    let region = Region::whole(400, 300);
    let (_, m) = measure_image(&render(&scene, &camera), region, 25.0);
    assert!(
        m.warnings.is_empty(),
        "type VI skin, normal light: {:?}",
        m.warnings
    );
    scene.lighting.exposure *= 0.15;
    let (_, m) = measure_image(&render(&scene, &camera), region, 25.0);
    assert!(
        m.warnings.iter().any(|w| w.contains("underexposed")),
        "{:?}",
        m.warnings
    );
}

/// Layout, density, touch-up and a faded follow-up, each framed differently (shifted, rotated,
/// one zoomed with its own scale), measured through a manifest with a region per photo.
#[test]
fn a_four_session_series_through_a_manifest_tracks_density_and_fade() {
    let spec = synth::SeriesSpec {
        width: 720,
        height: 540,
        ..synth::SeriesSpec::default()
    };
    let series = synth::four_session_series(&spec, 11);
    let dir = tempfile::tempdir().unwrap();
    let mut sessions = Vec::new();
    let mut truths = Vec::new();
    for (i, s) in series.iter().enumerate() {
        let name = format!("s{}.jpg", i + 1);
        let img = synth::render(&s.scene, &s.camera);
        std::fs::write(
            dir.path().join(&name),
            synth::encode_jpeg(&img, 90, &ExifTags::default()),
        )
        .unwrap();
        truths.push(synth::truth(&s.scene, &s.camera, s.region));
        sessions.push(serde_json::json!({
            "photo": name, "date": s.date, "label": s.label, "px_per_mm": s.camera.px_per_mm,
            "region": {"x": s.region.0, "y": s.region.1, "width": s.region.2, "height": s.region.3},
        }));
    }
    let manifest = dir.path().join("manifest.json");
    std::fs::write(
        &manifest,
        serde_json::json!({"client": "T", "sessions": sessions}).to_string(),
    )
    .unwrap();
    let manifest = smptrack::read_manifest(&manifest).unwrap();
    let report = smptrack::analyze_series(
        &smptrack::SeriesInput::from_manifest(&manifest),
        &load::LoadLimits::default(),
        |_, _| {},
    )
    .unwrap();
    let s: Vec<&SessionMetrics> = report.sessions.iter().map(|r| &r.metrics).collect();
    let summary: String = s
        .iter()
        .zip(&truths)
        .zip(&report.sessions)
        .map(|((m, t), r)| {
            format!(
                "{}: count {} (true {}), density {:?} (true {:.1}), darkness {:?} (true {:.3})\n",
                r.context.label.as_deref().unwrap_or(""),
                m.dot_count,
                t.dot_count,
                m.density_per_cm2,
                t.density_per_cm2,
                m.darkness,
                t.darkness_median
            )
        })
        .collect();
    let density: Vec<f64> = s.iter().map(|m| m.density_per_cm2.unwrap()).collect();
    assert!(
        density[0] < density[1] && density[1] < density[2],
        "density must rise session to session\n{summary}"
    );
    let drift = (s[3].dot_count as f64 - s[2].dot_count as f64).abs() / s[2].dot_count as f64;
    assert!(drift <= 0.05, "follow-up count drifted\n{summary}");
    let measured_drop = s[2].darkness.unwrap() - s[3].darkness.unwrap();
    let true_drop = truths[2].darkness_median - truths[3].darkness_median;
    assert!(
        (measured_drop - true_drop).abs() <= 0.03,
        "darkness drop {measured_drop:.3} vs true {true_drop:.3}\n{summary}"
    );
    for (m, t) in s.iter().zip(&truths) {
        let err = (m.density_per_cm2.unwrap() - t.density_per_cm2).abs() / t.density_per_cm2;
        assert!(err <= 0.12, "density off by {:.1}%\n{summary}", 100.0 * err);
    }
    assert_eq!(report.sessions[3].change.as_ref().unwrap().days, Some(185));
}

/// A small photo (16 × 12 mm) of a sparse, faint first session with a vignetted corner. The
/// coarse skin field used for sizing once replaced the corner block, darker than all its
/// neighbours, by their median as if it were a block full of pigment; the corner then read as a
/// large dark patch that set the dot size at its 1.5 mm ceiling, and only 14–37 of 86 dots
/// were found. A dark block is now replaced only if its own bright tail shows pigment.
#[test]
fn a_small_sparse_faint_photo_is_sized_by_its_dots() {
    let camera = Camera::new(400, 300, 25.0);
    let params = DotParams {
        density_per_cm2: 45.0,
        ..DotParams::first_session()
    };
    for seed in [22, 35, 39] {
        let scene = Scene::typical(&camera, 3, &params, seed);
        let r = row(format!("sparse faint seed {seed}"), &scene, &camera);
        let err = r.measured.dot_count as f64 / r.truth.dot_count as f64 - 1.0;
        assert!(
            err.abs() <= 0.12,
            "seed {seed}: {} found, {} true",
            r.measured.dot_count,
            r.truth.dot_count
        );
    }
}

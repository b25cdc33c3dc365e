//! Issue 6's progress insights on generated series with known fade, dot growth, tint drift and
//! thin patches, measured end to end (PNG files, a manifest, `analyze_series`): each flag fires
//! when it should and stays quiet when it should not, and the numbers behind it track the truth.
//! Scenes are small (400 × 300 px at 25 px/mm: 16 × 12 mm of scalp) to keep the run short.

use smptrack::report::{Change, Report};
use smptrack::summary::FlagCode::{self, *};
use smptrack::synth::{self, fade, place_dots, Camera, Dot, DotParams, ExifTags, Scene};
use smptrack::synth::{Lighting, SplitMix64};
use smptrack::{analyze_series, read_manifest, LoadLimits, SeriesInput};

/// One session to render: the scalp, how it is photographed, its date, and whether the
/// manifest gives the scale.
struct Shot {
    scene: Scene,
    camera: Camera,
    date: &'static str,
    scale: bool,
}

fn camera() -> Camera {
    Camera::new(400, 300, 25.0)
}

/// A healed, even scalp (skin type `skin`) as [`camera`] sees it, with hairs, uneven light and
/// phone optics.
fn healed(skin: u8, seed: u64) -> Scene {
    Scene::typical(&camera(), skin, &DotParams::healed(), seed)
}

fn shot(scene: Scene, date: &'static str) -> Shot {
    Shot {
        scene,
        camera: camera(),
        date,
        scale: true,
    }
}

/// `scene` with its dots replaced by `dots`.
fn with_dots(scene: &Scene, dots: Vec<Dot>) -> Scene {
    Scene {
        dots,
        ..scene.clone()
    }
}

/// Renders the shots to PNG, writes a manifest (with `target` dots/cm²) and analyses it.
fn analyze(shots: &[Shot], target: Option<f64>) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let mut sessions = Vec::new();
    for (i, s) in shots.iter().enumerate() {
        let name = format!("s{}.png", i + 1);
        let img = synth::render(&s.scene, &s.camera);
        std::fs::write(
            dir.path().join(&name),
            synth::encode_png(&img, &ExifTags::default()),
        )
        .unwrap();
        let scale = s.scale.then_some(s.camera.px_per_mm);
        sessions.push(serde_json::json!({"photo": name, "date": s.date, "px_per_mm": scale}));
    }
    let path = dir.path().join("manifest.json");
    let manifest = serde_json::json!({"target_density_per_cm2": target, "sessions": sessions});
    std::fs::write(&path, manifest.to_string()).unwrap();
    let manifest = read_manifest(&path).unwrap();
    analyze_series(
        &SeriesInput::from_manifest(&manifest),
        &LoadLimits::default(),
        |_, _| {},
    )
    .unwrap()
}

/// The report's flags as (code, session).
fn flags(r: &Report) -> Vec<(FlagCode, usize)> {
    r.summary
        .flags
        .iter()
        .map(|f| (f.code, f.session))
        .collect()
}

/// Session `i`'s change from the previous session (there is one after the first).
fn change(r: &Report, i: usize) -> &Change {
    r.sessions[i].change.as_ref().unwrap()
}

/// The report's JSON, for failure messages.
fn show(r: &Report) -> String {
    r.to_json()
}

/// Layout, density, and a gently aged follow-up: nothing to flag, and the sessions estimate
/// follows the stated model from the printed densities.
#[test]
fn a_steady_course_raises_no_flags_and_estimates_the_remaining_sessions() {
    let base = healed(2, 1);
    let mut rng = SplitMix64::new(7);
    let area = camera().visible_area_mm();
    let half = DotParams {
        density_per_cm2: 60.0,
        ..DotParams::healed()
    };
    let layout = place_dots(area, &half, &[], &mut rng);
    let mut density = layout.clone();
    density.extend(place_dots(area, &half, &layout, &mut rng));
    let aged = fade(&density, 0.95, 1.02, 0.02);
    let r = analyze(
        &[
            shot(with_dots(&base, layout), "2026-01-10"),
            shot(with_dots(&base, density), "2026-02-09"),
            shot(with_dots(&base, aged), "2026-08-08"),
        ],
        Some(150.0),
    );
    assert_eq!(flags(&r), [], "{}", show(&r));
    let d: Vec<f64> = r
        .sessions
        .iter()
        .map(|s| s.metrics.density_per_cm2.unwrap())
        .collect();
    assert!(d[1] > 1.6 * d[0], "{d:?}");
    // Progress: the latest density over the target.
    let progress = r.summary.progress_pct.unwrap();
    assert!(
        (progress - 100.0 * d[2] / 150.0).abs() <= 0.05,
        "{progress}"
    );
    // Recent gain = mean of the last two gains; sessions = ⌈(target − latest) / gain⌉.
    let gain = (d[2] - d[0]) / 2.0;
    let expected = ((150.0 - d[2]) / gain).ceil() as u32;
    assert_eq!(r.summary.sessions_remaining_estimate, Some(expected));
    // Dots were added in session 2: no fade rate there; the follow-up has one, and it is slow.
    let c2 = &change(&r, 1).insights;
    let c3 = &change(&r, 2).insights;
    assert_eq!(c2.fade_per_30_days, None);
    let rate = c3.fade_per_30_days.unwrap();
    assert!((0.0..0.01).contains(&rate), "{rate}");
    assert!(c3.spread_pct.unwrap().abs() < 6.0, "{c3:?}");
    let u = &r.sessions[1].metrics.insights.uniformity;
    assert_eq!((u.cell_mm, u.cell_px), (Some(5.0), 125.0));
    assert_eq!(u.thinnest.len(), 3);
}

#[test]
fn fast_fade_fires_on_fast_fading_not_on_slow_fading_nor_when_new_dots_mask_it() {
    let base = healed(3, 2);
    let faded = with_dots(&base, fade(&base.dots, 0.6, 1.0, 0.0));
    let r = analyze(
        &[
            shot(base.clone(), "2026-01-10"),
            shot(faded.clone(), "2026-03-11"),
        ],
        None,
    );
    assert_eq!(flags(&r), [(FastFade, 2)], "{}", show(&r));
    // The measured rate tracks the true darkness lost per 30 days.
    let cam = camera();
    let whole = (0, 0, cam.width, cam.height);
    let true_drop = synth::truth(&base, &cam, whole).darkness_median
        - synth::truth(&faded, &cam, whole).darkness_median;
    let rate = change(&r, 1).insights.fade_per_30_days;
    assert!(
        (rate.unwrap() - true_drop * 30.0 / 60.0).abs() <= 0.015,
        "{rate:?} vs true {}",
        true_drop / 2.0
    );

    // A tenth of the darkness in six months: ordinary ageing.
    let slow = with_dots(&base, fade(&base.dots, 0.9, 1.0, 0.0));
    let r = analyze(
        &[shot(base.clone(), "2026-01-10"), shot(slow, "2026-07-09")],
        None,
    );
    assert_eq!(flags(&r), [], "{}", show(&r));

    // The same fast fade, but a session added 40% new dark dots: no rate, no flag.
    let mut rng = SplitMix64::new(3);
    let more = DotParams {
        density_per_cm2: 50.0,
        ..DotParams::fresh()
    };
    let mut dots = faded.dots.clone();
    dots.extend(place_dots(cam.visible_area_mm(), &more, &dots, &mut rng));
    let r = analyze(
        &[
            shot(base, "2026-01-10"),
            shot(with_dots(&faded, dots), "2026-03-11"),
        ],
        None,
    );
    let added = change(&r, 1);
    assert!(added.dot_count > 30, "{}", show(&r));
    assert_eq!(added.insights.fade_per_30_days, None);
    assert!(!flags(&r).contains(&(FastFade, 2)), "{}", show(&r));
}

#[test]
fn blowout_fires_when_dots_spread_or_are_large_and_not_on_slight_spread() {
    let base = healed(2, 3);
    let spread = with_dots(&base, fade(&base.dots, 1.0, 1.3, 0.0));
    let slight = with_dots(&base, fade(&base.dots, 1.0, 1.04, 0.0));
    let r = analyze(
        &[
            shot(base, "2026-01-10"),
            shot(slight, "2026-03-11"),
            shot(spread, "2026-05-10"),
        ],
        None,
    );
    assert_eq!(flags(&r), [(Blowout, 3)], "{}", show(&r));
    let growth = |i: usize| change(&r, i).insights.spread_pct.unwrap();
    // 1.04 then 1.3/1.04 = 1.25: the measured growth follows.
    assert!((growth(1) - 4.0).abs() <= 3.0, "{}", growth(1));
    assert!((growth(2) - 25.0).abs() <= 5.0, "{}", growth(2));

    // Blown-out impressions (0.6–1.2 mm) from the first photo: flagged by their size.
    let blown = Scene::typical(&camera(), 2, &DotParams::blown_out(), 4);
    let r = analyze(&[shot(blown, "2026-01-10")], None);
    assert_eq!(flags(&r), [(Blowout, 1)], "{}", show(&r));
    let p90 = r.sessions[0].metrics.insights.dot_diameter_mm.unwrap().p90;
    assert!(p90 > 0.9, "{p90}");
}

#[test]
fn blue_shift_fires_on_tint_drift_and_not_on_fading_or_a_bluish_white_balance() {
    let base = healed(2, 5);
    let bluer = with_dots(&base, fade(&base.dots, 1.0, 1.0, 0.5));
    let cool_light = Scene {
        lighting: Lighting {
            exposure: 0.8,
            white_balance: [0.95, 1.0, 1.08],
            gradient: (0.2, -0.3),
            vignette: 0.2,
            sheen: None,
        },
        ..base.clone()
    };
    let faded = with_dots(&cool_light, fade(&base.dots, 0.6, 1.0, 0.0));
    let r = analyze(
        &[
            shot(base.clone(), "2026-01-10"),
            shot(bluer, "2026-01-11"),
            shot(base.clone(), "2026-01-12"),
            shot(cool_light, "2026-01-13"),
            shot(faded, "2026-01-14"),
        ],
        None,
    );
    // Days are too few for a fade rate: only colour can flag here.
    assert_eq!(flags(&r), [(BlueShift, 2)], "{}", show(&r));
    let hue = |i: usize| change(&r, i).insights.hue_shift.unwrap();
    assert!(hue(1).db < -5.0, "{:?}", hue(1));
    // Back to the original pigment: the reverse shift, towards yellow.
    assert!(hue(2).db > 5.0, "{:?}", hue(2));
    // A cooler white balance tints skin and pigment alike: hardly a shift.
    assert!(
        hue(3).db.abs() < 1.5 && hue(3).da.abs() < 1.5,
        "{:?}",
        hue(3)
    );
    // Fading a neutral-to-bluish pigment moves it towards the skin (yellow), not blue.
    assert!(hue(4).db > -1.0, "{:?}", hue(4));
}

#[test]
fn patchy_fires_on_a_thin_patch_and_names_it_but_not_on_even_or_sparse_layouts() {
    let base = healed(3, 6);
    // A bare 10 × 5 mm patch right of centre: in the 5 mm grid (x from −10 mm in 5 mm steps,
    // y from −7.5 mm) it empties the two right cells of the middle row.
    let mut patchy = base.clone();
    patchy
        .dots
        .retain(|d| !(d.x_mm > 0.0 && d.x_mm < 10.0 && d.y_mm.abs() < 2.5));
    let sparse = Scene::typical(
        &camera(),
        3,
        &DotParams {
            density_per_cm2: 45.0,
            ..DotParams::healed()
        },
        7,
    );
    let r = analyze(
        &[
            shot(base, "2026-01-10"),
            shot(patchy, "2026-02-10"),
            shot(sparse, "2026-03-10"),
        ],
        None,
    );
    assert_eq!(flags(&r), [(Patchy, 2)], "{}", show(&r));
    let u = &r.sessions[1].metrics.insights.uniformity;
    let thin = &u.thinnest[0];
    // In the patch: x 200..400 px, the middle row centred on y = 150 px.
    assert!(thin.x > 200.0 && thin.y == 150.0, "{thin:?}");
    assert!(thin.density < 10.0, "{thin:?}");
    // The sparse layout's cv is mostly counting noise.
    let s = &r.sessions[2].metrics.insights.uniformity;
    assert!(s.noise_cv.unwrap() > 0.25, "{s:?}");
}

#[test]
fn low_resolution_fires_on_a_coarse_scale_or_tiny_dots() {
    let coarse = Camera::new(240, 180, 12.0);
    let scene = Scene::typical(&coarse, 3, &DotParams::healed(), 8);
    let with_scale = Shot {
        scene: scene.clone(),
        camera: coarse,
        date: "2026-01-10",
        scale: true,
    };
    let without = Shot {
        scene,
        camera: coarse,
        date: "2026-01-10",
        scale: false,
    };
    let r = analyze(&[with_scale, without], None);
    let codes = flags(&r);
    assert_eq!(
        codes.iter().filter(|f| f.0 == LowResolution).count(),
        2,
        "{}",
        show(&r)
    );
    let messages: Vec<&str> = r.summary.flags.iter().map(|f| f.message.as_str()).collect();
    assert!(messages[0].contains("12 px/mm"), "{messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("px across")),
        "{messages:?}"
    );
}

//! Scene-level tests: determinism, truth versus rendered pixels, reframing.

use super::*;
use std::f64::consts::PI;

fn luminance(p: &image::Rgb<u8>) -> f64 {
    (0..3).map(|c| LUMA[c] * srgb_to_linear(p.0[c])).sum()
}

fn busy_scene(seed: u64) -> (Scene, Camera) {
    let camera = Camera {
        width: 300,
        height: 220,
        px_per_mm: 18.0,
        center_mm: (1.0, -0.5),
        rotation_deg: 12.0,
    };
    let mut scene = Scene::typical(&camera, 3, &DotParams::healed(), seed);
    let mut rng = SplitMix64::new(seed ^ 99);
    let extra = place_dots(
        camera.visible_area_mm(),
        &DotParams::blown_out(),
        &scene.dots,
        &mut rng,
    );
    scene.dots.extend(extra);
    (scene, camera)
}

#[test]
fn same_seed_same_bytes_at_any_thread_count() {
    let (scene, camera) = busy_scene(7);
    assert!(!scene.hairs.is_empty() && scene.dots.len() > 50);
    let a = render(&scene, &camera);
    let b = render(&busy_scene(7).0, &camera);
    assert_eq!(a.as_raw(), b.as_raw());
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let c = pool.install(|| render(&scene, &camera));
        assert_eq!(a.as_raw(), c.as_raw(), "{threads} threads");
    }
    let d = render(&busy_scene(8).0, &camera);
    assert_ne!(a.as_raw(), d.as_raw());
    // Encoded bytes are deterministic too.
    let tags = ExifTags {
        orientation: Some(6),
        ..ExifTags::default()
    };
    assert_eq!(encode_jpeg(&a, 90, &tags), encode_jpeg(&b, 90, &tags));
    assert_eq!(encode_png(&a, &tags), encode_png(&b, &tags));
}

/// One isolated dot on flat skin, ideal optics.
fn isolated(dot: Dot, skin: Skin, lighting: Lighting) -> (Scene, Camera) {
    let camera = Camera::new(120, 120, 20.0);
    let mut scene = Scene::new(skin, 1);
    scene.lighting = lighting;
    scene.dots.push(dot);
    (scene, camera)
}

#[test]
fn truth_darkness_matches_rendered_luminance_darkness() {
    let cases = [
        (
            Dot::round(0.0, 0.0, 0.6, 0.6),
            Skin::flat([200, 154, 122]),
            Lighting::neutral(),
        ),
        (
            Dot {
                tint: 0.6,
                aspect: 1.3,
                angle_rad: 0.4,
                ..Dot::round(0.0, 0.0, 0.6, 0.75)
            },
            Skin::flat([164, 116, 86]),
            Lighting {
                exposure: 1.1,
                white_balance: [1.1, 1.0, 0.85],
                ..Lighting::neutral()
            },
        ),
        (
            Dot {
                tint: 1.0,
                ..Dot::round(0.0, 0.0, 0.6, 0.35)
            },
            Skin::flat([236, 200, 178]),
            Lighting::neutral(),
        ),
    ];
    for (dot, skin, lighting) in cases {
        let (scene, camera) = isolated(dot, skin, lighting);
        let img = render(&scene, &camera);
        let core = luminance(img.get_pixel(60, 60));
        let bg = luminance(img.get_pixel(5, 5));
        let measured = 1.0 - core / bg;
        let t = truth(&scene, &camera, (0, 0, 120, 120));
        assert_eq!(t.dot_count, 1);
        assert!(
            (measured - t.darkness_median).abs() < 0.01,
            "measured {measured} truth {}",
            t.darkness_median
        );
        if dot.tint > 0.5 {
            let p = img.get_pixel(60, 60).0;
            let s = img.get_pixel(5, 5).0;
            // Tinted pigment keeps relatively more blue than red.
            let ratio = |c: usize| srgb_to_linear(p[c]) / srgb_to_linear(s[c]);
            assert!(ratio(2) > ratio(0) + 0.02, "{p:?} on {s:?}");
        }
    }
}

/// A highlight adds `strength` × the light, in the light's colour, to the dot at its centre
/// and to the skin alike: the dot's luminance darkness there is d·Y_skin / (Y_skin + strength·Y_light),
/// and far from the highlight the photo is the one without it.
#[test]
fn a_sheen_adds_the_light_s_colour_over_dot_and_skin() {
    let lighting = Lighting {
        white_balance: [1.1, 1.0, 0.85],
        ..Lighting::neutral()
    };
    let dot = Dot::round(0.0, 0.0, 0.6, 0.6);
    let (plain, camera) = isolated(dot, Skin::flat([110, 75, 60]), lighting);
    let sheen = Sheen {
        centre: (0.5, 0.5),
        size: (0.1, 0.05),
        angle_deg: 0.0,
        strength: 0.1,
    };
    let shiny = Scene {
        lighting: Lighting {
            sheen: Some(sheen),
            ..lighting
        },
        ..plain.clone()
    };
    let (a, b) = (render(&plain, &camera), render(&shiny, &camera));
    // 12 px σ along x, 6 across: at (5, 5) the highlight adds e^(−12.6) of itself.
    assert_eq!(a.get_pixel(5, 5), b.get_pixel(5, 5));
    let light_y: f64 = (0..3).map(|c| LUMA[c] * lighting.white_balance[c]).sum();
    let added = 0.1 * light_y * sheen.profile(60.5, 60.5, 120, 120);
    let (skin, core) = (luminance(a.get_pixel(5, 5)), luminance(a.get_pixel(60, 60)));
    let shiny_core = luminance(b.get_pixel(60, 60));
    assert!(
        (shiny_core - (core + added)).abs() < 0.004,
        "{shiny_core} vs {core} + {added}"
    );
    let darkness = 1.0 - shiny_core / (skin + added);
    let expected = 0.6 * skin / (skin + added);
    assert!(
        (darkness - expected).abs() < 0.02,
        "{darkness} vs {expected}"
    );
    // The profile: 1 at the centre, e^(−1/2) a σ along its axis, nothing without a size.
    assert!((sheen.profile(60.0, 60.0, 120, 120) - 1.0).abs() < 1e-12);
    assert!((sheen.profile(72.0, 60.0, 120, 120) - (-0.5f64).exp()).abs() < 1e-12);
    assert!((sheen.profile(60.0, 66.0, 120, 120) - (-0.5f64).exp()).abs() < 1e-12);
    let flat = Sheen {
        size: (0.0, 0.05),
        ..sheen
    };
    assert_eq!(flat.profile(60.0, 60.0, 120, 120), 0.0);
}

#[test]
fn coverage_and_diameter_of_isolated_dot() {
    for (dot, ppm) in [
        (Dot::round(0.013, -0.021, 0.8, 0.6), 40.0),
        (
            Dot {
                aspect: 1.4,
                angle_rad: 1.0,
                softness: 0.6,
                irregularity: [0.04, -0.03, 0.02, 0.03],
                ..Dot::round(0.3, -0.2, 1.0, 0.5)
            },
            25.0,
        ),
    ] {
        let camera = Camera::new(100, 100, ppm);
        let mut scene = Scene::new(Skin::fitzpatrick(2), 3);
        scene.dots.push(dot);
        let t = truth(&scene, &camera, (0, 0, 100, 100));
        let d_px = dot.equivalent_diameter_mm() * ppm;
        assert!((t.mean_diameter_px - d_px).abs() < 1e-9);
        let area_px = PI * (d_px / 2.0).powi(2);
        let covered = t.coverage_pct / 100.0 * 10_000.0;
        assert!(
            (covered / area_px - 1.0).abs() < 0.03,
            "covered {covered} px vs {area_px}"
        );
        if dot.irregularity == [0.0; 4] {
            assert!((t.mean_diameter_px - 0.8 * ppm).abs() < 1e-6);
        }
        assert_eq!(t.dot_centres_px.len(), 1);
        let c = camera.to_px((dot.x_mm, dot.y_mm));
        assert_eq!(t.dot_centres_px[0], c);
        assert!((t.area_mm2 - 10_000.0 / (ppm * ppm)).abs() < 1e-9);
    }
}

#[test]
fn rendered_dot_area_matches_truth() {
    // The rendered alpha integrates to about the outline area (halo and
    // core balance around the 0.5 contour).
    let dot = Dot::round(0.0, 0.0, 0.8, 0.6);
    let (scene, camera) = isolated(dot, Skin::flat([200, 154, 122]), Lighting::neutral());
    let img = render(&scene, &camera);
    let bg = luminance(img.get_pixel(0, 0));
    let dark_px: f64 = img.pixels().map(|p| 1.0 - luminance(p) / bg).sum::<f64>() / 0.6;
    let expected = PI * (0.4 * 20.0f64).powi(2);
    assert!(
        (dark_px / expected - 1.0).abs() < 0.05,
        "{dark_px} vs {expected}"
    );
}

#[test]
fn truth_counts_by_centre_and_ignores_hairs() {
    let (scene, camera) = busy_scene(11);
    let whole = truth(&scene, &camera, (0, 0, camera.width, camera.height));
    let inside = scene
        .dots
        .iter()
        .filter(|d| {
            let (x, y) = camera.to_px((d.x_mm, d.y_mm));
            (0.0..300.0).contains(&x) && (0.0..220.0).contains(&y)
        })
        .count();
    assert_eq!(whole.dot_count, inside);
    // Two halves partition the count.
    let left = truth(&scene, &camera, (0, 0, 150, 220));
    let right = truth(&scene, &camera, (150, 0, 150, 220));
    assert_eq!(left.dot_count + right.dot_count, whole.dot_count);
    assert!(whole.coverage_pct > 5.0 && whole.coverage_pct < 60.0);
    assert!(whole.darkness_median > 0.3 && whole.darkness_median < 0.8);
    let mut bare = scene.clone();
    bare.hairs.clear();
    assert_eq!(truth(&bare, &camera, (0, 0, 300, 220)), whole);
    // Regions are clipped to the image.
    let clipped = truth(&scene, &camera, (250, 200, 1000, 1000));
    assert_eq!(clipped.region, (250, 200, 50, 20));
}

#[test]
fn placed_scene_never_stacks() {
    let (scene, _) = busy_scene(5);
    for (i, a) in scene.dots.iter().enumerate() {
        for b in &scene.dots[i + 1..] {
            assert!(dots_separated(a, b));
        }
    }
}

#[test]
fn reframed_photo_shows_the_same_skin() {
    let mut scene = Scene::new(Skin::fitzpatrick(3), 21);
    let mut rng = SplitMix64::new(4);
    scene.dots = place_dots((-5.0, -5.0, 5.0, 5.0), &DotParams::healed(), &[], &mut rng);
    let cam_a = Camera::new(160, 120, 16.0);
    // Shift by exactly (10, 6) px: the same scalp point lands on pixel centres.
    let cam_b = Camera {
        center_mm: (10.0 / 16.0, 6.0 / 16.0),
        ..cam_a
    };
    let a = render(&scene, &cam_a);
    let b = render(&scene, &cam_b);
    let mut max_diff = 0i32;
    for y in 0..100 {
        for x in 0..140 {
            let pa = a.get_pixel(x + 10, y + 6).0;
            let pb = b.get_pixel(x, y).0;
            for c in 0..3 {
                max_diff = max_diff.max((i32::from(pa[c]) - i32::from(pb[c])).abs());
            }
        }
    }
    assert!(max_diff <= 1, "max diff {max_diff}");
    let ta = truth(&scene, &cam_a, (10, 6, 140, 100));
    let tb = truth(&scene, &cam_b, (0, 0, 140, 100));
    assert_eq!(ta.dot_count, tb.dot_count);
    assert!((ta.coverage_pct - tb.coverage_pct).abs() < 1e-9);
}

#[test]
fn noise_follows_the_documented_model() {
    let mut scene = Scene::new(Skin::flat([180, 180, 180]), 0);
    scene.optics = Optics {
        noise: 0.03,
        seed: 77,
        ..Optics::ideal()
    };
    let camera = Camera::new(200, 200, 10.0);
    let img = render(&scene, &camera);
    let l0 = srgb_to_linear(180);
    let vals: Vec<f64> = img.pixels().map(|p| srgb_to_linear(p.0[1])).collect();
    let mean = vals.iter().sum::<f64>() / vals.len() as f64;
    let sd = (vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / vals.len() as f64).sqrt();
    let model = scene.optics.noise_sigma(l0);
    assert!((mean - l0).abs() < 0.005, "mean {mean} vs {l0}");
    assert!((sd / model - 1.0).abs() < 0.1, "sd {sd} vs model {model}");
    // A different photo seed gives different noise over the same skin.
    scene.optics.seed = 78;
    assert_ne!(render(&scene, &camera).as_raw(), img.as_raw());
}

#[test]
fn hairs_darken_pixels_along_their_path() {
    let camera = Camera::new(200, 100, 20.0);
    let mut scene = Scene::new(Skin::flat([200, 160, 130]), 0);
    scene.hairs.push(Hair {
        points_mm: [(-4.0, 0.0), (0.0, 0.0), (4.0, 0.0)],
        width_mm: 0.1,
        darkness: 0.8,
    });
    let img = render(&scene, &camera);
    let bg = luminance(img.get_pixel(100, 20));
    // Width 2 px centred on the row boundary y = 50: rows 49 and 50 covered.
    let on = luminance(img.get_pixel(100, 50));
    assert!((1.0 - on / bg - 0.8).abs() < 0.01);
    assert_eq!(luminance(img.get_pixel(10, 50)), bg); // beyond the end
    assert!(truth(&scene, &camera, (0, 0, 200, 100)).coverage_pct == 0.0);
}

#[test]
fn typical_600_scene_is_plausible() {
    let camera = Camera {
        rotation_deg: -20.0,
        ..Camera::new(600, 600, 20.0)
    };
    let scene = Scene::typical(&camera, 4, &DotParams::healed(), 2024);
    let img = render(&scene, &camera);
    assert_eq!(img.dimensions(), (600, 600));
    let t = truth(&scene, &camera, (100, 100, 400, 400));
    // 4 cm² at 120 dots/cm² (a few are lost to jamming at the borders).
    assert!(t.dot_count > 400 && t.dot_count < 520, "{}", t.dot_count);
    assert!((t.density_per_cm2 - 120.0).abs() < 15.0);
    assert!(t.mean_diameter_px > 0.25 * 20.0 && t.mean_diameter_px < 0.46 * 20.0);
    assert!(
        t.coverage_pct > 5.0 && t.coverage_pct < 30.0,
        "{}",
        t.coverage_pct
    );
    // Dots are darker than the skin around them.
    let (cx, cy) = t.dot_centres_px[0];
    let core = luminance(img.get_pixel(cx as u32, cy as u32));
    let mean: f64 = img.pixels().map(luminance).sum::<f64>() / 360_000.0;
    assert!(core < mean);
}

#[test]
fn scene_and_truth_round_trip_through_json() {
    let (scene, camera) = busy_scene(3);
    let json = serde_json::to_string(&scene).unwrap();
    let back: Scene = serde_json::from_str(&json).unwrap();
    assert_eq!(
        render(&back, &camera).as_raw(),
        render(&scene, &camera).as_raw()
    );
    let t = truth(&scene, &camera, (0, 0, 300, 220));
    let tj: Truth = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
    assert_eq!(tj.dot_count, t.dot_count);
    assert!((tj.coverage_pct - t.coverage_pct).abs() < 1e-12);
}

/// A scar replaces the skin's colour within its band, fades over its edge, and leaves the skin
/// beyond as it was; an untinted dot on it keeps its darkness against the scar's tissue.
#[test]
fn a_scar_takes_the_skin_s_place_and_keeps_a_dot_s_darkness() {
    let dot = Dot::round(0.0, 0.0, 0.6, 0.6);
    let (plain, camera) = isolated(dot, Skin::flat([110, 75, 60]), Lighting::neutral());
    // 2 mm wide (40 px) along y = 0 (the image's middle row), edges 0.5 mm (10 px).
    let scar = Scar {
        from_mm: (-10.0, 0.0),
        to_mm: (10.0, 0.0),
        width_mm: 2.0,
        edge_mm: 0.5,
        srgb: [190, 150, 140],
    };
    let scarred = Scene {
        scars: vec![scar],
        ..plain.clone()
    };
    let (a, b) = (render(&plain, &camera), render(&scarred, &camera));
    // Beyond the edge (row 60 ± 30 px), the skin as it was; within the band, the scar's tissue.
    assert_eq!(a.get_pixel(5, 5), b.get_pixel(5, 5));
    assert_eq!(a.get_pixel(5, 5).0, [110, 75, 60]);
    assert_eq!(b.get_pixel(5, 50).0, [190, 150, 140]);
    // Halfway across the edge (25 px from the middle), between the two.
    let edge = luminance(b.get_pixel(5, 85));
    let (skin, tissue) = (luminance(a.get_pixel(5, 5)), luminance(b.get_pixel(5, 50)));
    assert!(skin < edge && edge < tissue, "{skin} < {edge} < {tissue}");
    // The dot's core against the tissue around it: 0.6 dark.
    let darkness = 1.0 - luminance(b.get_pixel(60, 60)) / tissue;
    assert!((darkness - 0.6).abs() < 0.01, "{darkness}");
}

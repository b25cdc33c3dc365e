//! Renders one generated scene, measures it, and writes a crop with true dot centres (green) and
//! found dots (red) to /tmp/inspect.png, for looking at what the finder does. Lists the found
//! dots near no true centre, the true dots near no found one, and true dots found twice or more.
//!
//! `cargo run --release --example inspect -- PRESET SKIN PX_PER_MM SEED` (PRESET: healed, fine,
//! fresh, first, blown, or crisp: tests/clusters.rs's dots, whose scenes are those of
//! `CLUSTERS=0.5 HAIRS=0 STUBBLE=0`)
//!
//! Optional: DENSITY, DIAMETERS, GRADIENT, EXPOSURE (below); WIDTH_PX, HEIGHT_PX; HAIRS and
//! STUBBLE (per cm², in place of the scene's own hairs); CLUSTERS (the fraction of the dots placed
//! in touching clusters, in place of the scene's own dots); NOISE (a multiple of the phone's
//! sensor noise: 2 for a dim, high-ISO photo); SAVE_SCENE=PATH writes the whole
//! rendered scene, TRUTH_DUMP=PATH every true dot's centre and diameter (px); X0, Y0 place the
//! crop.

use image::{Rgb, RgbImage};
use smptrack::measure::measure;
use smptrack::synth::{self, Camera, DotParams, Scene};
use smptrack::Region;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let preset = args.first().map(String::as_str).unwrap_or("healed");
    let skin: u8 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2);
    let ppm: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(25.0);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut params = match preset {
        "fresh" => DotParams::fresh(),
        "first" => DotParams::first_session(),
        "blown" => DotParams::blown_out(),
        "fine" => DotParams::fine_healed(),
        // tests/clusters.rs's dots (place them with CLUSTERS=0.5).
        "crisp" => DotParams::crisp(),
        _ => DotParams::healed(),
    };
    // Optional overrides: DENSITY=dots/cm², DIAMETERS=min,max (mm), GRADIENT=gx,gy,
    // EXPOSURE=factor.
    if let Some(v) = std::env::var("DENSITY").ok().and_then(|s| s.parse().ok()) {
        params.density_per_cm2 = v;
    }
    if let Ok(range) = std::env::var("DIAMETERS") {
        let v: Vec<f64> = range.split(',').filter_map(|s| s.parse().ok()).collect();
        let [min, max] = v[..] else {
            panic!("DIAMETERS=min,max (mm), not {range}");
        };
        params.diameter_mm = (min, max);
    }
    let side_mm = (1600.0 / ppm).min(20.0);
    let w = std::env::var("WIDTH_PX")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or((side_mm * ppm) as u32);
    let h = std::env::var("HEIGHT_PX")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or((w * 3) / 4);
    let camera = Camera::new(w, h, ppm);
    let mut scene = Scene::typical(&camera, skin, &params, seed);
    if let Ok(g) = std::env::var("GRADIENT") {
        let v: Vec<f64> = g.split(',').filter_map(|s| s.parse().ok()).collect();
        scene.lighting.gradient = (v[0], v[1]);
    }
    if let Some(k) = std::env::var("NOISE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    {
        scene.optics.noise *= k;
    }
    if let Some(e) = std::env::var("EXPOSURE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    {
        scene.lighting.exposure *= e;
    }
    // Optional touching clusters: CLUSTERS=fraction of the dots in clusters of two or three
    // (placed with seed ^ 0xC1, as tests/clusters.rs), in place of the scene's own dots.
    if let Some(f) = std::env::var("CLUSTERS").ok().and_then(|s| s.parse().ok()) {
        let mut rng = synth::SplitMix64::new(seed ^ 0xC1);
        let area = camera.visible_area_mm();
        scene.dots = synth::place_touching_clusters(area, &params, f, &mut rng)
            .into_iter()
            .map(|(dot, _)| dot)
            .collect();
    }
    // Optional hairs over the scene: HAIRS and STUBBLE, per cm² (seed 99, as tests/accuracy.rs).
    let per_cm2 = |name: &str| -> Option<f64> { std::env::var(name).ok()?.parse().ok() };
    if per_cm2("HAIRS").is_some() || per_cm2("STUBBLE").is_some() {
        let area = camera.visible_area_mm();
        let cm2 = (area.2 - area.0) * (area.3 - area.1) / 100.0;
        let count = |name: &str| (per_cm2(name).unwrap_or(0.0) * cm2).round() as usize;
        let mut rng = synth::SplitMix64::new(99);
        scene.hairs = synth::place_hairs(area, count("HAIRS"), count("STUBBLE"), &mut rng);
    }
    let img = synth::render(&scene, &camera);
    if let Ok(path) = std::env::var("SAVE_SCENE") {
        img.save(path).expect("the scene is written");
    }
    let truth = synth::truth(&scene, &camera, (0, 0, w, h));
    if let Ok(path) = std::env::var("TRUTH_DUMP") {
        let mut out = String::new();
        for d in &scene.dots {
            let (x, y) = camera.to_px((d.x_mm, d.y_mm));
            out += &format!("{x} {y} {}\n", d.diameter_mm * ppm);
        }
        std::fs::write(path, out).unwrap();
    }
    let m = measure(
        &image::DynamicImage::ImageRgb8(img.clone()),
        Region::whole(w, h),
        Some(ppm),
    )
    .unwrap();
    println!(
        "true {} found {} scale {:.1}px coverage true {:.2} measured {:.2} warnings {:?}",
        truth.dot_count,
        m.dots.len(),
        m.dot_scale_px,
        truth.coverage_pct,
        100.0 * m.covered_area_px() / m.region_px as f64,
        m.warnings
    );
    let (cw, ch) = (400.min(w), 300.min(h));
    let x0 = std::env::var("X0")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or((w - cw) / 2);
    let y0 = std::env::var("Y0")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or((h - ch) / 2);
    for d in &m.dots {
        let near = truth
            .dot_centres_px
            .iter()
            .any(|&(x, y)| (x - d.x).hypot(y - d.y) < 0.5 * m.dot_scale_px);
        if !near {
            // How far the nearest hair or stubble shaft's centre line passes (px): most stray
            // dots are pieces of hair.
            let to_hair = scene
                .hairs
                .iter()
                .flat_map(|hair| (0..=100).map(move |t| hair.point_at(f64::from(t) / 100.0)))
                .map(|p| {
                    let (x, y) = camera.to_px(p);
                    (x - d.x).hypot(y - d.y)
                })
                .fold(f64::INFINITY, f64::min);
            println!(
                "unmatched found dot at {:.0},{:.0} diameter {:.1} darkness {:.2}, \
                 {to_hair:.1} px from the nearest hair",
                d.x, d.y, d.diameter_px, d.darkness
            );
        }
    }
    for &(x, y) in &truth.dot_centres_px {
        if !m
            .dots
            .iter()
            .any(|d| (x - d.x).hypot(y - d.y) < 0.5 * m.dot_scale_px)
        {
            println!("missed true dot at {x:.0},{y:.0}");
        }
    }
    for &(x, y) in &truth.dot_centres_px {
        let found = m
            .dots
            .iter()
            .filter(|d| (x - d.x).hypot(y - d.y) < 0.5 * m.dot_scale_px)
            .count();
        if found > 1 {
            println!("true dot at {x:.0},{y:.0} found {found} times");
        }
    }
    let zoom = 2;
    let mut out = RgbImage::new(cw * zoom, ch * zoom);
    for (x, y, p) in out.enumerate_pixels_mut() {
        *p = *img.get_pixel(x0 + x / zoom, y0 + y / zoom);
    }
    let mut mark = |cx: f64, cy: f64, colour: Rgb<u8>, size: i64| {
        let px = ((cx - f64::from(x0)) * f64::from(zoom)) as i64;
        let py = ((cy - f64::from(y0)) * f64::from(zoom)) as i64;
        for d in -size..=size {
            for (x, y) in [(px + d, py), (px, py + d)] {
                if x >= 0 && y >= 0 && (x as u32) < cw * zoom && (y as u32) < ch * zoom {
                    out.put_pixel(x as u32, y as u32, colour);
                }
            }
        }
    };
    for &(x, y) in &truth.dot_centres_px {
        mark(x, y, Rgb([0, 255, 0]), 4);
    }
    for d in &m.dots {
        mark(d.x, d.y, Rgb([255, 0, 0]), 2);
    }
    out.save("/tmp/inspect.png").unwrap();
}

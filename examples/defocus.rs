//! How measurements depend on focus: generated scenes (healed, fresh, first-session, blown-out
//! and fine healed dots, on skin types II and V) photographed through the generator's phone at
//! defocus blurs of σ = 0.8 (the phone's own), 1.5, 2.5 and 4 px, at 15, 25 and 50 px/mm.
//! Prints, per scale and blur, the mean signed error of count (%), coverage (%) and darkness
//! against the generator's truth, the worst count error, and how many scenes were warned of
//! being out of focus (`smptrack::measure::focus`).
//!
//! `cargo run --release --example defocus [-- --each]` (`--each`: one row per scene too, with
//! its edge softness and warnings)
//!
//! An out-of-focus photo is still measured as if sharp (nothing tells the camera's blur from
//! the pigment's own soft edges dot by dot); what the warning adds is that the dots' edges are
//! soft for their size.

use smptrack::measure::measure;
use smptrack::metrics::session_metrics;
use smptrack::synth::{self, Camera, DotParams, Scene};
use smptrack::Region;

fn main() {
    let each = std::env::args().any(|a| a == "--each");
    let presets = [
        ("healed", DotParams::healed()),
        ("fresh", DotParams::fresh()),
        ("first", DotParams::first_session()),
        ("blown", DotParams::blown_out()),
        ("fine", DotParams::fine_healed()),
    ];
    let sigmas = [0.8, 1.5, 2.5, 4.0];
    println!("| px/mm | blur σ px (mm) | count % (mean) | count % (worst) | coverage % (mean) | darkness (mean) | warned out of focus |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for px_per_mm in [15.0, 25.0, 50.0] {
        for sigma in sigmas {
            let (mut count, mut coverage, mut darkness) = (Vec::new(), Vec::new(), Vec::new());
            let mut warned = 0;
            for (name, params) in &presets {
                for skin in [2u8, 5] {
                    // About 20 × 15 mm of scalp, at most 1600 px wide (as examples/accuracy).
                    let w = ((1600.0f64 / px_per_mm).min(20.0) * px_per_mm) as u32;
                    let camera = Camera::new(w, w * 3 / 4, px_per_mm);
                    let mut scene = Scene::typical(&camera, skin, params, 77 + u64::from(skin));
                    scene.optics.blur_sigma_px = sigma;
                    let image = image::DynamicImage::ImageRgb8(synth::render(&scene, &camera));
                    let truth = synth::truth(&scene, &camera, (0, 0, w, camera.height));
                    let region = Region::whole(w, camera.height);
                    let m = measure(&image, region, Some(px_per_mm)).expect("region fits");
                    let s = session_metrics(&m, Some(px_per_mm));
                    let c = 100.0 * (s.dot_count as f64 - truth.dot_count as f64)
                        / truth.dot_count as f64;
                    let v = 100.0 * (s.coverage_pct - truth.coverage_pct) / truth.coverage_pct;
                    let d = s.darkness.unwrap_or(0.0) - truth.darkness_median;
                    warned += usize::from(m.edge_softness.is_some_and(|e| e.out_of_focus()));
                    if each {
                        let softness = m.edge_softness.map_or(f64::NAN, |e| e.ratio());
                        println!("|{px_per_mm}|{sigma}|{name} skin {skin}: {c:+.1}|{v:+.1}|{d:+.3}|{softness:.2}|{:?}|", m.warnings);
                    }
                    count.push(c);
                    coverage.push(v);
                    darkness.push(d);
                }
            }
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            let worst = count
                .iter()
                .copied()
                .fold(0.0f64, |a, b| if b.abs() > a.abs() { b } else { a });
            println!(
                "| {px_per_mm} | {sigma} ({:.2}) | {:+.1} | {worst:+.1} | {:+.1} | {:+.3} | {warned}/{} |",
                sigma / px_per_mm,
                mean(&count),
                mean(&coverage),
                mean(&darkness),
                count.len()
            );
        }
    }
}

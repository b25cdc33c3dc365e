//! How coverage depends on the camera: generated scenes (healed, fresh and first-session dots on
//! skin type III, two seeds each, no hairs) at 15, 25 and 50 px/mm, photographed through a
//! perfect camera, a defocus blur alone (σ = 0.8 px), ISP sharpening alone, both, and the
//! generator's phone (both, with sensor noise). Prints the mean relative coverage error (%)
//! and each scene's.
//!
//! `cargo run --release --example coverage_optics`
//!
//! A blur of σ px pulls every dot's half-maximum outline inwards and takes about π σ² px² from
//! its area (see `smptrack::dots::OUTLINE_PULL_PX`): what the outline's own denoising blur takes
//! is returned; what the camera's takes is the row "blur" minus the row "perfect".

use smptrack::measure::measure;
use smptrack::metrics::session_metrics;
use smptrack::synth::{self, Camera, DotParams, Optics, Scene};
use smptrack::Region;

fn main() {
    let presets = [
        DotParams::healed(),
        DotParams::fresh(),
        DotParams::first_session(),
    ];
    println!("| px/mm | camera | mean coverage error % | per scene % |");
    println!("|---:|---|---:|---|");
    for px_per_mm in [15.0, 25.0, 50.0] {
        for (camera_name, blur_sigma_px, sharpen, noise) in [
            ("perfect", 0.0, 0.0, 0.0),
            ("blur", 0.8, 0.0, 0.0),
            ("sharpen", 0.0, 0.6, 0.0),
            ("blur+sharpen", 0.8, 0.6, 0.0),
            ("phone", 0.8, 0.6, 0.02),
        ] {
            let mut errors = Vec::new();
            for (p, params) in presets.iter().enumerate() {
                for seed in 1..=2u64 {
                    // About 20 × 15 mm of scalp, at most 1600 px wide (as examples/accuracy).
                    let w = ((1600.0f64 / px_per_mm).min(20.0) * px_per_mm) as u32;
                    let camera = Camera::new(w, w * 3 / 4, px_per_mm);
                    let mut scene = Scene::typical(&camera, 3, params, seed * 7 + p as u64);
                    scene.hairs.clear();
                    scene.optics = Optics {
                        blur_sigma_px,
                        sharpen,
                        noise,
                        seed,
                    };
                    let image = image::DynamicImage::ImageRgb8(synth::render(&scene, &camera));
                    let region = Region::whole(camera.width, camera.height);
                    let truth = synth::truth(&scene, &camera, (0, 0, w, camera.height));
                    let m = measure(&image, region, Some(px_per_mm)).expect("region fits");
                    let measured = session_metrics(&m, Some(px_per_mm)).coverage_pct;
                    errors.push(100.0 * (measured - truth.coverage_pct) / truth.coverage_pct);
                }
            }
            let mean = errors.iter().sum::<f64>() / errors.len() as f64;
            let each: Vec<String> = errors.iter().map(|e| format!("{e:+.1}")).collect();
            println!(
                "| {px_per_mm} | {camera_name} | {mean:+.1} | {} |",
                each.join(" ")
            );
        }
    }
}

//! Counts and darkness under shine: generated scenes (30 × 24 mm at 25 px/mm; healed and
//! first-session dots on skin types II, IV, V and VI) with a specular highlight along the frame's
//! middle (`synth::Sheen`, σ 5.3 × 2.4 mm, tilted 30°) reflecting 0–40% of the light. Per scene:
//! the dots found against the truth under the highlight (its profile over 1/2), on its flank
//! (1/10–1/2) and beyond it, the median darkness read in each, the coverage, and the shine
//! warning's fraction and share (`measure::shine`). The README's soft spot on shine quotes it.
//!
//! `cargo run --release --example shine_sweep -- [SEED]` (7 by default). About half a minute.

use image::DynamicImage;
use smptrack::measure::measure;
use smptrack::synth::{self, Camera, DotParams, Scene, Sheen};
use smptrack::Region;

/// A kind of dots: its name and its parameters.
type Preset = (&'static str, fn() -> DotParams);

/// The median of `values` (the upper of the middle two), NaN without any.
fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let seed: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let px_per_mm = 25.0;
    let (w, h) = ((30.0 * px_per_mm) as u32, (24.0 * px_per_mm) as u32);
    let camera = Camera::new(w, h, px_per_mm);
    println!(
        "{:<7} {:>4} {:>5} | {:>15} | {:>21} | {:>21} | {:>21} | {:>13} | shine",
        "dots", "skin", "sheen", "all", "under", "flank", "beyond", "coverage"
    );
    let presets: [Preset; 2] = [
        ("healed", DotParams::healed),
        ("first", DotParams::first_session),
    ];
    for (name, preset) in presets {
        for skin in [2u8, 4, 5, 6] {
            for strength in [0.0, 0.05, 0.1, 0.2, 0.4] {
                let mut scene = Scene::typical(&camera, skin, &preset(), seed);
                let sheen = Sheen {
                    centre: (0.5, 0.5),
                    size: (0.22, 0.1),
                    angle_deg: 30.0,
                    strength,
                };
                scene.lighting.sheen = Some(sheen);
                let image = DynamicImage::ImageRgb8(synth::render(&scene, &camera));
                let truth = synth::truth(&scene, &camera, (0, 0, w, h));
                let m = measure(&image, Region::whole(w, h), Some(px_per_mm)).expect("fits");
                let zone = |x: f64, y: f64| match sheen.profile(x, y, w, h) {
                    p if p > 0.5 => 0,
                    p if p > 0.1 => 1,
                    _ => 2,
                };
                let (mut true_in, mut found_in) = ([0usize; 3], [0usize; 3]);
                let mut darkness: [Vec<f64>; 3] = Default::default();
                for &(x, y) in &truth.dot_centres_px {
                    true_in[zone(x, y)] += 1;
                }
                for d in &m.dots {
                    found_in[zone(d.x, d.y)] += 1;
                    darkness[zone(d.x, d.y)].push(d.darkness);
                }
                let error =
                    |found: usize, truth: usize| 100.0 * (found as f64 / truth.max(1) as f64 - 1.0);
                let zones: Vec<String> = (0..3)
                    .map(|z| {
                        format!(
                            "{:>4}/{:<4} {:>+6.1}% {:.2}",
                            found_in[z],
                            true_in[z],
                            error(found_in[z], true_in[z]),
                            median(darkness[z].clone())
                        )
                    })
                    .collect();
                let shine = m.shine.map_or("-".to_string(), |s| {
                    format!("{:.0}% at {:.2}", 100.0 * s.fraction, s.share)
                });
                println!(
                    "{name:<7} {skin:>4} {strength:>5.2} | {:>4}/{:<4} {:>+5.1}% | {} | {} | {} | {:>5.2}/{:<5.2}% | {shine} (true darkness {:.2})",
                    m.dots.len(),
                    truth.dot_count,
                    error(m.dots.len(), truth.dot_count),
                    zones[0],
                    zones[1],
                    zones[2],
                    100.0 * m.covered_px as f64 / m.region_px as f64,
                    truth.coverage_pct,
                    truth.darkness_median,
                );
            }
        }
    }
}

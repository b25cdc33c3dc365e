//! Counts and darkness under shine: generated scenes (30 × 24 mm at 25 px/mm; healed and
//! first-session dots on skin types II, IV, V and VI) with a specular highlight along the frame's
//! middle (`synth::Sheen`, σ 5.3 × 2.4 mm, tilted 30°) reflecting 0–40% of the light. Per scene:
//! the dots found against the truth under the highlight (its profile over 1/2), on its flank
//! (1/10–1/2) and beyond it, the median darkness read in each, the coverage, and the shine
//! warning's fraction and share (`measure::shine`), and the tone-edge warning's fraction and
//! ratio when it fires (`measure::tone`). The README's soft spot on shine quotes it.
//!
//! `cargo run --release --example shine_sweep -- [SEED]` (7 by default). About half a minute.

use image::DynamicImage;
use smptrack::measure::measure;
use smptrack::measure::tone::MIN_EDGE_FRACTION;
use smptrack::synth::{self, Scene, Sheen};
use smptrack::Region;

#[path = "common/sweep.rs"]
mod sweep;

fn main() {
    let (seed, camera, px_per_mm) = (sweep::seed(), sweep::camera(), sweep::PX_PER_MM);
    let (w, h) = (camera.width, camera.height);
    println!(
        "{:<7} {:>4} {:>5} | {:>15} | {:>21} | {:>21} | {:>21} | {:>13} | shine",
        "dots", "skin", "sheen", "all", "under", "flank", "beyond", "coverage"
    );
    for (name, preset) in sweep::PRESETS {
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
                let zones: [String; 3] = sweep::by_zone(&m, &truth, zone);
                let mut shine = m.shine.map_or("-".to_string(), |s| {
                    format!("{:.0}% at {:.2}", 100.0 * s.fraction, s.share)
                });
                if m.tone_edge.fraction >= MIN_EDGE_FRACTION {
                    shine += &format!(
                        ", tone edge {:.0}% {:.1}x",
                        100.0 * m.tone_edge.fraction,
                        m.tone_edge.ratio
                    );
                }
                println!(
                    "{name:<7} {skin:>4} {strength:>5.2} | {:>4}/{:<4} {:>+5.1}% | {} | {} | {} | {:>5.2}/{:<5.2}% | {shine} (true darkness {:.2})",
                    m.dots.len(),
                    truth.dot_count,
                    sweep::error(m.dots.len(), truth.dot_count),
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

//! Counts and darkness over a scar: generated scenes (30 × 24 mm at 25 px/mm; healed and
//! first-session dots on skin types II, IV, V and VI) crossed by a linear scar 3 mm wide (a
//! strip-harvest scar; `synth::Scar`, edges 1 mm) whose tissue is 1–5× as light as the skin in
//! linear light and 0.6 as saturated. Per scene: the dots found against the truth on the scar
//! (its tissue over half), at its edges and beyond, the median darkness read in each, the
//! coverage, the skin's lightness, and the warnings.
//!
//! `cargo run --release --example scar_sweep -- [SEED]` (7 by default). About ten seconds.
//! `-- SEED --widths` sweeps scars 1, 2 and 6 mm wide, 1.5 and 2.5× as light, at 15 and 50
//! px/mm on types II and VI instead: per scene the count's error, the coverage against the
//! truth and the fraction of the frame on a tone edge (half a minute).
//! `SAVE_DIR=DIR` also writes each scene's photo into DIR (`first_6_1.5.png`: dots, skin type,
//! the scar's ratio), to look at with `smptrack analyze --overlay`.

use image::DynamicImage;
use smptrack::measure::measure;
use smptrack::measure::shine::MIN_SHINY_FRACTION;
use smptrack::measure::tone::MIN_EDGE_FRACTION;
use smptrack::synth::{self, Camera, Scar, Scene};
use smptrack::Region;

#[path = "common/sweep.rs"]
mod sweep;

fn main() {
    if std::env::args().any(|a| a == "--widths") {
        return widths(sweep::seed());
    }
    let (seed, camera, px_per_mm) = (sweep::seed(), sweep::camera(), sweep::PX_PER_MM);
    let (w, h) = (camera.width, camera.height);
    println!(
        "{:<7} {:>4} {:>5} | {:>15} | {:>21} | {:>21} | {:>21} | {:>13} | warnings",
        "dots", "skin", "scar", "all", "on scar", "edges", "beyond", "coverage"
    );
    for (name, preset) in sweep::PRESETS {
        for skin in [2u8, 4, 5, 6] {
            for ratio in [1.0, 1.5, 2.0, 3.0, 5.0] {
                let mut scene = Scene::typical(&camera, skin, &preset(), seed);
                let scar = scar_across(scene.skin.srgb, 3.0, 1.0, ratio);
                if ratio != 1.0 {
                    scene.scars.push(scar);
                }
                let image = DynamicImage::ImageRgb8(synth::render(&scene, &camera));
                if let Ok(dir) = std::env::var("SAVE_DIR") {
                    image
                        .save(format!("{dir}/{name}_{skin}_{ratio:.1}.png"))
                        .expect("saves");
                }
                let truth = synth::truth(&scene, &camera, (0, 0, w, h));
                let m = measure(&image, Region::whole(w, h), Some(px_per_mm)).expect("fits");
                let zone = |x: f64, y: f64| {
                    let p = camera.to_mm((x, y));
                    match scar.weight(p) {
                        s if s > 0.5 => 0,
                        s if s > 0.0 => 1,
                        _ => 2,
                    }
                };
                let zones: [String; 3] = sweep::by_zone(&m, &truth, zone);
                // The tone-edge and shine warnings' numbers, the others' first words.
                let mut warnings: Vec<String> = Vec::new();
                let e = m.tone_edge;
                if e.fraction >= MIN_EDGE_FRACTION {
                    warnings.push(format!(
                        "edge {:.0}% {:.1}x bend {:.1}",
                        100.0 * e.fraction,
                        e.ratio,
                        e.bend
                    ));
                }
                if let Some(s) = m.shine.filter(|s| s.fraction >= MIN_SHINY_FRACTION) {
                    warnings.push(format!("shine {:.0}% {:.2}", 100.0 * s.fraction, s.share));
                }
                warnings.extend(
                    m.warnings
                        .iter()
                        .filter(|w| !w.contains("shine") && !w.contains("tone"))
                        .map(|w| w.split(' ').take(4).collect::<Vec<_>>().join(" ")),
                );
                println!(
                    "{name:<7} {skin:>4} {ratio:>5.1} | {:>4}/{:<4} {:>+5.1}% | {} | {} | {} | {:>5.2}/{:<5.2}% | {} (true darkness {:.2})",
                    m.dots.len(),
                    truth.dot_count,
                    sweep::error(m.dots.len(), truth.dot_count),
                    zones[0],
                    zones[1],
                    zones[2],
                    100.0 * m.covered_px as f64 / m.region_px as f64,
                    truth.coverage_pct,
                    warnings.join(", "),
                    truth.darkness_median,
                );
            }
        }
    }
}

/// A scar across the frame's middle, slightly tilted, `width_mm` wide with edges of `edge_mm`,
/// its tissue `ratio` times as light as skin of colour `skin` in linear light and 0.6 as
/// saturated: the scar of both tables.
fn scar_across(skin: [u8; 3], width_mm: f64, edge_mm: f64, ratio: f64) -> Scar {
    Scar {
        from_mm: (-20.0, -1.5),
        to_mm: (20.0, 2.5),
        width_mm,
        edge_mm,
        srgb: Scar::tissue_srgb(skin, ratio, 0.6),
    }
}

/// Scars of other widths at other scales: a line per scale, kind of dots and skin type, a cell
/// per scar (none first) with the count's error, the coverage found/true and the fraction of
/// the frame on a tone edge.
fn widths(seed: u64) {
    for px_per_mm in [15.0, 50.0] {
        let camera = Camera::new(
            (30.0 * px_per_mm) as u32,
            (24.0 * px_per_mm) as u32,
            px_per_mm,
        );
        let (w, h) = (camera.width, camera.height);
        for (name, preset) in sweep::PRESETS {
            for skin in [2u8, 6] {
                let mut line = format!("{px_per_mm:>4} {name:<7} {skin}");
                for (width_mm, ratio) in [
                    (0.0, 1.0),
                    (1.0, 1.5),
                    (1.0, 2.5),
                    (2.0, 1.5),
                    (2.0, 2.5),
                    (6.0, 1.5),
                    (6.0, 2.5),
                ] {
                    let mut scene = Scene::typical(&camera, skin, &preset(), seed);
                    if ratio != 1.0 {
                        let edge_mm = (width_mm / 3.0f64).min(1.0);
                        scene
                            .scars
                            .push(scar_across(scene.skin.srgb, width_mm, edge_mm, ratio));
                    }
                    let image = DynamicImage::ImageRgb8(synth::render(&scene, &camera));
                    let truth = synth::truth(&scene, &camera, (0, 0, w, h));
                    let m = measure(&image, Region::whole(w, h), Some(px_per_mm)).expect("fits");
                    line += &format!(
                        " | {width_mm}mm {ratio}x {:+6.1}% {:4.1}/{:4.1}% edge {:2.0}%",
                        sweep::error(m.dots.len(), truth.dot_count),
                        100.0 * m.covered_px as f64 / m.region_px as f64,
                        truth.coverage_pct,
                        100.0 * m.tone_edge.fraction
                    );
                }
                println!("{line}");
            }
        }
    }
}

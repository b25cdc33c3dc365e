//! Count error against sensor noise: generated scenes (first-session, healed, fine and blown-out
//! dots; skin types I, III, V, VI; 15, 25 and 50 px/mm; 20 × 15 mm) at 0–3 times a phone
//! close-up's noise, each with its pixel noise, the dots' signal-to-noise and whether the
//! session was warned of noise (`measure::MIN_DOT_SNR`), then how well the warning told the
//! scenes whose counts strayed by 8% or more from those that held (blown-out dots apart: their
//! halos split above the threshold, a soft spot of the detector, not of the noise).
//!
//! `cargo run --release --example noise_sweep -- [SEED]` (2 by default); `JPEG=Q` measures each
//! scene after a JPEG round trip at quality Q. About a minute.

use image::DynamicImage;
use smptrack::color::luminance;
use smptrack::measure::{measure, tone, MIN_DOT_SNR};
use smptrack::synth::{self, Camera, DotParams, Scene};
use smptrack::Region;

type Preset = (&'static str, fn() -> DotParams);

/// An 8% count error or more is a scene the warning should have fired on.
const STRAYED: f64 = 8.0;

fn main() {
    let seed: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let jpeg: Option<u8> = std::env::var("JPEG").ok().and_then(|s| s.parse().ok());
    let presets: [Preset; 4] = [
        ("first", DotParams::first_session),
        ("healed", DotParams::healed),
        ("fine", DotParams::fine_healed),
        ("blown", DotParams::blown_out),
    ];
    println!(
        "{:<7} {:>4} {:>5} {:>5} | {:>5} {:>5} {:>7} {:>6} | {:>10} {:>10} {:>6} {:>6}",
        "dots",
        "skin",
        "px/mm",
        "noise",
        "true",
        "found",
        "error%",
        "scale",
        "pixel σ",
        "skin noise",
        "SNR",
        "warned"
    );
    // (warned, strayed) over the scenes of dots other than blown-out.
    let mut tally = [[0usize; 2]; 2];
    // No scene has a scar or a highlight: the sharpest bend of the skin's level under noise, and
    // the scenes warned of a tone edge (a false alarm each).
    let (mut sharpest_bend, mut tone_alarms) = (1f64, 0usize);
    for (name, preset) in presets {
        for skin in [1u8, 3, 5, 6] {
            for px_per_mm in [15.0f64, 25.0, 50.0] {
                let (w, h) = ((20.0 * px_per_mm) as u32, (15.0 * px_per_mm) as u32);
                let camera = Camera::new(w, h, px_per_mm);
                let region = Region::whole(w, h);
                for noise in [0.0, 1.0, 1.5, 2.0, 3.0] {
                    let mut scene = Scene::typical(&camera, skin, &preset(), seed);
                    let mut clean = scene.clone();
                    clean.optics.noise = 0.0;
                    scene.optics.noise *= noise;
                    let mut img = synth::render(&scene, &camera);
                    if let Some(quality) = jpeg {
                        let tags = synth::ExifTags::default();
                        let bytes = synth::encode_jpeg(&img, quality, &tags);
                        img = image::load_from_memory(&bytes).expect("decodes").to_rgb8();
                    }
                    let image = DynamicImage::ImageRgb8(img);
                    let pixel_sigma = pixel_noise(&image, &synth::render(&clean, &camera), region);
                    let truth = synth::truth(&scene, &camera, (0, 0, w, h));
                    let m = measure(&image, region, Some(px_per_mm)).expect("region fits");
                    let error = 100.0 * (m.dots.len() as f64 / truth.dot_count as f64 - 1.0);
                    let warned = m.warnings.iter().any(|w| w.contains("noisy for its dots"));
                    sharpest_bend = sharpest_bend.max(m.tone_edge.bend);
                    tone_alarms += usize::from(m.tone_edge.fraction >= tone::MIN_EDGE_FRACTION);
                    if name != "blown" {
                        tally[usize::from(warned)][usize::from(error.abs() >= STRAYED)] += 1;
                    }
                    println!(
                        "{name:<7} {skin:>4} {px_per_mm:>5} {noise:>5} | {:>5} {:>5} {error:>+7.1} {:>6.1} \
                         | {pixel_sigma:>10.3} {:>10.4} {:>6.0} {:>6}",
                        truth.dot_count,
                        m.dots.len(),
                        m.dot_scale_px,
                        m.skin_noise,
                        m.dot_snr().unwrap_or(f64::NAN),
                        if warned { "yes" } else { "-" }
                    );
                }
            }
        }
    }
    println!(
        "\ndots other than blown-out: warned (a signal-to-noise under {MIN_DOT_SNR}) {} scenes, \
         {} of them off by {STRAYED}% or more; unwarned {}, {} off by {STRAYED}% or more",
        tally[1][0] + tally[1][1],
        tally[1][1],
        tally[0][0] + tally[0][1],
        tally[0][1]
    );
    println!(
        "tone edges: sharpest bend {sharpest_bend:.2}; {tone_alarms} scenes, without scars or \
         highlights, warned of one (above {})",
        tone::MAX_TONE_BEND
    );
}

/// The pixel noise of `noisy` against the same scene without noise (`clean`): the rms
/// difference of their luminance over the clean photo's skin (pixels at least 90% of its 70th
/// percentile), relative to that percentile.
fn pixel_noise(noisy: &DynamicImage, clean: &image::RgbImage, region: Region) -> f64 {
    let (noisy, _) = luminance(noisy, region);
    let (clean, _) = luminance(&DynamicImage::ImageRgb8(clean.clone()), region);
    let mut sorted = clean.data.clone();
    sorted.sort_unstable_by(f32::total_cmp);
    let skin = f64::from(sorted[sorted.len() * 7 / 10]);
    let (mut squares, mut n) = (0.0, 0.0);
    for (a, b) in noisy.data.iter().zip(&clean.data) {
        if f64::from(*b) > 0.9 * skin {
            squares += f64::from(a - b).powi(2);
            n += 1.0;
        }
    }
    (squares / n).sqrt() / skin
}

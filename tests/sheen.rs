//! Shine on the scalp: a specular highlight (an oily scalp under a flash or ring light) adds
//! light in the light's colour to skin and dots alike. On dark skin it is several times as
//! bright as the skin beside it; the skin field must follow it there, not take the skin around
//! it for pigment. Scenes from the generator with a highlight (`synth::Sheen`) across the frame's
//! middle, against the generator's truth.

use image::DynamicImage;
use smptrack::measure::measure;
use smptrack::synth::{self, Camera, DotParams, Scene, Sheen};
use smptrack::Region;

/// Scale of the scenes (px/mm): 30 × 24 mm of scalp in 750 × 600 px.
const PX_PER_MM: f64 = 25.0;

/// A highlight along the frame's middle, tilted 30°: σ 5.3 mm along, 2.4 mm across, reflecting
/// `strength` of the light at its peak.
fn sheen(strength: f64) -> Sheen {
    Sheen {
        centre: (0.5, 0.5),
        size: (0.22, 0.1),
        angle_deg: 30.0,
        strength,
    }
}

/// Dots found and true beyond the highlight's half maximum, and the whole frame's coverage
/// (measured, true; %), for `preset` dots on Fitzpatrick `skin` under a highlight of
/// `strength`.
fn beside_the_highlight(
    preset: DotParams,
    skin: u8,
    strength: f64,
    seed: u64,
) -> ((usize, usize), (f64, f64)) {
    let (w, h) = ((30.0 * PX_PER_MM) as u32, (24.0 * PX_PER_MM) as u32);
    let camera = Camera::new(w, h, PX_PER_MM);
    let mut scene = Scene::typical(&camera, skin, &preset, seed);
    let sheen = sheen(strength);
    scene.lighting.sheen = Some(sheen);
    let image = DynamicImage::ImageRgb8(synth::render(&scene, &camera));
    let truth = synth::truth(&scene, &camera, (0, 0, w, h));
    let m = measure(&image, Region::whole(w, h), Some(PX_PER_MM)).expect("region fits");
    let beside = |x: f64, y: f64| sheen.profile(x, y, w, h) < 0.5;
    let found = m.dots.iter().filter(|d| beside(d.x, d.y)).count();
    let true_beside = truth
        .dot_centres_px
        .iter()
        .filter(|&&(x, y)| beside(x, y))
        .count();
    let coverage = 100.0 * m.covered_px as f64 / m.region_px as f64;
    ((found, true_beside), (coverage, truth.coverage_pct))
}

/// A highlight reflecting a tenth of the light is 3–4 times as bright as type VI skin (and
/// twice type V's); at a fifth, 2–4 times type V's. The dots beside it count within 6% (a
/// first session on type VI reads +5%: faint dots on the highlight's steep flank, where the skin
/// field's blocks lag the light, −1% without the highlight) and the frame's coverage within 1.5
/// points: before the light envelope's blocks were capped at
/// `flatten::MAX_LIGHT_OVER_MEDIAN`, the skin around such a highlight was taken for pigment:
/// these scenes read 81–85% covered (one 12% against a true 5%), their dots beside the highlight
/// −52…+123%.
#[test]
fn the_skin_around_a_highlight_is_not_taken_for_pigment() {
    let scenes = [
        ("healed, type VI, 0.1", DotParams::healed(), 6, 0.1, 11),
        (
            "first session, type VI, 0.1",
            DotParams::first_session(),
            6,
            0.1,
            12,
        ),
        ("healed, type V, 0.2", DotParams::healed(), 5, 0.2, 13),
        (
            "first session, type V, 0.2",
            DotParams::first_session(),
            5,
            0.2,
            14,
        ),
    ];
    let mut report = String::new();
    let mut failed = false;
    for (name, preset, skin, strength, seed) in scenes {
        let ((found, truth), (coverage, true_coverage)) =
            beside_the_highlight(preset, skin, strength, seed);
        let error = found as f64 / truth as f64 - 1.0;
        report += &format!(
            "{name}: {found} of {truth} beside it ({:+.1}%), coverage {coverage:.2}% (true \
             {true_coverage:.2}%)\n",
            100.0 * error
        );
        failed |= error.abs() > 0.06 || (coverage - true_coverage).abs() > 1.5;
    }
    assert!(!failed, "{report}");
    eprint!("{report}");
}

//! Shine on the scalp: a specular highlight (an oily scalp under a flash or ring light) adds
//! light in the light's colour to skin and dots alike. On dark skin it is several times as
//! bright as the skin beside it; the skin field must follow it there, not take the skin around
//! it for pigment. Scenes from the generator with a highlight (`synth::Sheen`) across the frame's
//! middle, against the generator's truth.

use image::DynamicImage;
use smptrack::measure::measure;
use smptrack::synth::{self, Camera, DotParams, Lighting, Scene, Sheen};
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

/// Whether a scene of `preset` dots on Fitzpatrick `skin` under `lighting` is warned of shine,
/// and the shine measured.
fn warned_of_shine(
    preset: DotParams,
    skin: u8,
    lighting: Lighting,
    seed: u64,
) -> (bool, Option<smptrack::measure::shine::Shine>) {
    let (w, h) = ((30.0 * PX_PER_MM) as u32, (24.0 * PX_PER_MM) as u32);
    let camera = Camera::new(w, h, PX_PER_MM);
    let mut scene = Scene::typical(&camera, skin, &preset, seed);
    scene.lighting = lighting;
    let image = DynamicImage::ImageRgb8(synth::render(&scene, &camera));
    let m = measure(&image, Region::whole(w, h), Some(PX_PER_MM)).expect("region fits");
    let warned = m.warnings.iter().any(|w| w.contains("under shine"));
    (warned, m.shine)
}

/// Shine is warned of where it pales the skin by a quarter or more of its brightness: a
/// highlight of a tenth of the light on skin of types V–VI (healed dots of 0.65 read 0.25 under
/// it on type VI), a fifth on type IV (0.43). Not a tenth on type II (a fifth of that skin's
/// brightness at the peak; darkness 0.62 for 0.65), nor light falling 3:1 across the frame with
/// its corners 35% darker, on the palest skin or the darkest.
#[test]
fn shine_is_warned_of_where_it_pales_the_skin_and_a_strong_gradient_is_not() {
    let shiny = |strength| Lighting {
        sheen: Some(sheen(strength)),
        ..Lighting::uneven()
    };
    let gradient = Lighting {
        gradient: (1.0, 0.0),
        vignette: 0.35,
        ..Lighting::uneven()
    };
    let scenes = [
        (
            "healed, type VI, 0.1",
            DotParams::healed(),
            6,
            shiny(0.1),
            true,
        ),
        (
            "first session, type V, 0.1",
            DotParams::first_session(),
            5,
            shiny(0.1),
            true,
        ),
        (
            "healed, type IV, 0.2",
            DotParams::healed(),
            4,
            shiny(0.2),
            true,
        ),
        (
            "healed, type II, 0.1",
            DotParams::healed(),
            2,
            shiny(0.1),
            false,
        ),
        (
            "healed, type I, 3:1 light",
            DotParams::healed(),
            1,
            gradient,
            false,
        ),
        (
            "first session, type VI, 3:1 light",
            DotParams::first_session(),
            6,
            gradient,
            false,
        ),
        (
            "blown-out, type VI, 3:1 light",
            DotParams::blown_out(),
            6,
            gradient,
            false,
        ),
    ];
    let mut report = String::new();
    let mut failed = false;
    for (i, (name, preset, skin, lighting, expected)) in scenes.into_iter().enumerate() {
        let (warned, shine) = warned_of_shine(preset, skin, lighting, 21 + i as u64);
        report += &format!("{name}: warned {warned} (expected {expected}), {shine:?}\n");
        failed |= warned != expected;
    }
    assert!(!failed, "{report}");
    eprint!("{report}");
}

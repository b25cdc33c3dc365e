//! Photos noisy for their dots: the session is warned where the skin's noise (sensor noise,
//! and texture) is strong against its dots' darkness and width (`measure::MIN_DOT_SNR`), which
//! is where the counts stray, and not where they hold; and the noise does not shrink the
//! typical dot the finder is tuned to (`measure::SIZING_MAX_NOISE_RISE`).

use image::DynamicImage;
use smptrack::measure::{measure, MIN_DOT_SNR};
use smptrack::synth::{self, Camera, DotParams, Scene};
use smptrack::Region;

/// Generated scenes (seed 2, 20 × 15 mm, their own hairs) at 1–3 times a phone close-up's
/// sensor noise: faint first-session dots on type VI skin at 25 px/mm read +18…+23% at 1.5–2×
/// (dots split) and −36% at 3× and 50 px/mm (dots lost), each warned; at a phone's noise, on
/// well-lit type III skin at 3× and on healed dots on type VI at 2×, the counts hold within 6%
/// and nothing is said. (Measured at cb4c4b0: first-session type VI at 25 px/mm
/// signal-to-noise 95 at 1×, 63 at 1.5×, 46 at 2×; healed type VI at 50 px/mm 170 at 2×.)
#[test]
fn noise_that_moves_the_counts_is_warned_and_noise_that_does_not_is_not() {
    assert_eq!(MIN_DOT_SNR, 70.0);
    let (first, healed) = (DotParams::first_session(), DotParams::healed());
    // (scene, its dots, skin type, px/mm, noise in phones' noise, warned)
    let cases: [(&str, &DotParams, u8, f64, f64, bool); 6] = [
        (
            "first, type VI, a phone's noise",
            &first,
            6,
            25.0,
            1.0,
            false,
        ),
        ("first, type VI, 1.5x noise", &first, 6, 25.0, 1.5, true),
        ("first, type VI, 2x noise", &first, 6, 25.0, 2.0, true),
        (
            "first, type VI, 3x noise, 50 px/mm",
            &first,
            6,
            50.0,
            3.0,
            true,
        ),
        ("first, type III, 3x noise", &first, 3, 25.0, 3.0, false),
        (
            "healed, type VI, 2x noise, 50 px/mm",
            &healed,
            6,
            50.0,
            2.0,
            false,
        ),
    ];
    let mut report = String::new();
    let mut failed = false;
    for (name, params, skin, px_per_mm, noise, warned) in cases {
        let camera = frame_20_by_15_mm(px_per_mm);
        let mut scene = Scene::typical(&camera, skin, params, 2);
        scene.optics.noise *= noise;
        let image = DynamicImage::ImageRgb8(synth::render(&scene, &camera));
        let region = Region::whole(camera.width, camera.height);
        let m = measure(&image, region, Some(px_per_mm)).expect("region fits");
        let truth = synth::truth(&scene, &camera, (0, 0, camera.width, camera.height));
        let error = m.dots.len() as f64 / truth.dot_count as f64 - 1.0;
        let noisy: Vec<&String> = (m.warnings.iter())
            .filter(|w| w.starts_with("the photo is noisy for its dots"))
            .collect();
        let snr = m.dot_snr().unwrap_or(f64::NAN);
        report += &format!(
            "{name}: {} of {} ({:+.1}%), signal-to-noise {snr:.0}, warned {}\n",
            m.dots.len(),
            truth.dot_count,
            100.0 * error,
            !noisy.is_empty()
        );
        // Warned exactly when expected, once, and only unwarned counts are held to the truth.
        failed |= noisy.len() != usize::from(warned) || (!warned && error.abs() > 0.06);
        // The warning states the signal-to-noise it judged.
        if let Some(w) = noisy.first() {
            failed |= !w.contains(&format!("a signal-to-noise of {}", snr.floor()));
        }
    }
    assert!(!failed, "{report}");
}

/// Noise does not shrink the typical dot much. The sizing cut its blurred darkness at 5 σ of
/// the skin's noise where that was over 0.2, which on the noisiest skin cut soft dots high on
/// their edge: at 3 times a phone's noise on type VI skin, blown-out dots were sized 36% small
/// and healed dots 26%, and the finder, tuned to them, split them (+23%, +17.5%). Cut no
/// higher than 1.3 × 0.2 and blurred wider beyond (`measure::SIZING_MAX_NOISE_RISE`), the
/// dots are sized within 12% of the same scene without noise (−11%, −6%) and counted within
/// 5% of the truth (+2.2%, +0.8%; seed 2, 20 × 15 mm at 25 px/mm; the blown-out dots +3.7%
/// before their halo bumps joined them).
#[test]
fn noise_does_not_shrink_the_dots_much_or_split_them() {
    let (blown, healed) = (DotParams::blown_out(), DotParams::healed());
    // (scene, its dots, px/mm, noise in phones' noise), all on type VI skin
    let cases: [(&str, &DotParams, f64, f64); 2] = [
        ("blown-out, 3x noise, 25 px/mm", &blown, 25.0, 3.0),
        ("healed, 3x noise, 25 px/mm", &healed, 25.0, 3.0),
    ];
    let mut report = String::new();
    let mut failed = false;
    for (name, params, px_per_mm, noise) in cases {
        let camera = frame_20_by_15_mm(px_per_mm);
        let region = Region::whole(camera.width, camera.height);
        let scene = Scene::typical(&camera, 6, params, 2);
        let measured = |noise: f64| {
            let mut scene = scene.clone();
            scene.optics.noise *= noise;
            let image = DynamicImage::ImageRgb8(synth::render(&scene, &camera));
            measure(&image, region, Some(px_per_mm)).expect("region fits")
        };
        let (quiet, noisy) = (measured(0.0), measured(noise));
        let truth = synth::truth(&scene, &camera, (0, 0, camera.width, camera.height));
        let error = noisy.dots.len() as f64 / truth.dot_count as f64 - 1.0;
        let shrunk = noisy.dot_scale_px / quiet.dot_scale_px - 1.0;
        report += &format!(
            "{name}: typical dot {:.1} px ({:.1} without noise, {:+.1}%), {} of {} ({:+.1}%)\n",
            noisy.dot_scale_px,
            quiet.dot_scale_px,
            100.0 * shrunk,
            noisy.dots.len(),
            truth.dot_count,
            100.0 * error
        );
        failed |= shrunk.abs() > 0.12 || error.abs() > 0.05;
    }
    assert!(!failed, "{report}");
}

/// Blown-out dots on dark skin under noise: the bumps of their soft halos, each a maximum of
/// its own, join the dot whose flank they lie on (`dots::MAX_FLANK_OWN_FRACTION`). On type VI
/// skin at 50 px/mm and twice a phone's noise they read +7.4% (seed 2) and +14.1% (seed 1001)
/// when each bump counted; now +3.7% and +3.7%.
#[test]
fn blown_out_dots_under_noise_are_not_counted_again_for_their_halo_bumps() {
    let px_per_mm = 50.0;
    let camera = frame_20_by_15_mm(px_per_mm);
    let region = Region::whole(camera.width, camera.height);
    let mut report = String::new();
    let mut failed = false;
    for seed in [2, 1001] {
        let mut scene = Scene::typical(&camera, 6, &DotParams::blown_out(), seed);
        scene.optics.noise *= 2.0;
        let image = DynamicImage::ImageRgb8(synth::render(&scene, &camera));
        let m = measure(&image, region, Some(px_per_mm)).expect("region fits");
        let truth = synth::truth(&scene, &camera, (0, 0, camera.width, camera.height));
        let error = m.dots.len() as f64 / truth.dot_count as f64 - 1.0;
        report += &format!(
            "seed {seed}: {} of {} ({:+.1}%)\n",
            m.dots.len(),
            truth.dot_count,
            100.0 * error
        );
        failed |= error.abs() > 0.05;
    }
    assert!(!failed, "{report}");
}

/// A camera framing 20 × 15 mm of scalp at `px_per_mm`.
fn frame_20_by_15_mm(px_per_mm: f64) -> Camera {
    Camera::new(
        (20.0 * px_per_mm) as u32,
        (15.0 * px_per_mm) as u32,
        px_per_mm,
    )
}

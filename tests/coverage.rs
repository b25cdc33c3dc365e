//! Coverage against the generator's truth with the camera taken out: through a perfect camera
//! (no blur, sharpening or noise), what is left is the measurement's own bias, which must not
//! depend on the scale a photo is taken at; and a camera's blur, which no photo tells apart
//! from the dots' own soft edges, takes the area the physics says it takes (π σ² per dot).

use image::DynamicImage;
use smptrack::measure::measure;
use smptrack::metrics::session_metrics;
use smptrack::synth::{self, Camera, DotParams, Optics, Scene};
use smptrack::Region;

/// Measured and true coverage (%) and the true dot count of a scene of `params` on skin type
/// `skin` at `px_per_mm`, without hairs, through `optics`.
fn coverage(
    params: &DotParams,
    skin: u8,
    px_per_mm: f64,
    seed: u64,
    optics: Optics,
) -> (f64, f64, usize) {
    // About 16 × 12 mm of scalp, at most 800 px wide.
    let w = (16.0 * px_per_mm).min(800.0) as u32;
    let camera = Camera::new(w, w * 3 / 4, px_per_mm);
    let mut scene = Scene::typical(&camera, skin, params, seed);
    scene.hairs.clear();
    scene.optics = optics;
    let image = DynamicImage::ImageRgb8(synth::render(&scene, &camera));
    let region = Region::whole(camera.width, camera.height);
    let m = measure(&image, region, Some(px_per_mm)).expect("region fits");
    let truth = synth::truth(&scene, &camera, (0, 0, camera.width, camera.height));
    let measured = session_metrics(&m, Some(px_per_mm)).coverage_pct;
    (measured, truth.coverage_pct, truth.dot_count)
}

/// The scenes of one scale: healed, fresh and first-session dots on skin types II, IV and VI.
fn scenes() -> [(DotParams, u8, u64); 3] {
    [
        (DotParams::healed(), 2, 11),
        (DotParams::fresh(), 4, 12),
        (DotParams::first_session(), 6, 13),
    ]
}

/// Through a perfect camera, coverage reads within 1.5% (relative) of the truth on average at
/// 15, 25 and 50 px/mm (now 0.6%, 0.9% and 0.2% low), so a photo framed closer or wider reads
/// the same. Before the outline blur's pull was returned (`OUTLINE_PULL_PX`) it read 7.4%,
/// 3.4% and 0.9% low.
#[test]
fn coverage_through_a_perfect_camera_does_not_depend_on_the_scale() {
    let mut report = String::new();
    for px_per_mm in [15.0, 25.0, 50.0] {
        let errors: Vec<f64> = scenes()
            .iter()
            .map(|(params, skin, seed)| {
                let (measured, truth, _) =
                    coverage(params, *skin, px_per_mm, *seed, Optics::ideal());
                (measured - truth) / truth
            })
            .collect();
        let mean = errors.iter().sum::<f64>() / errors.len() as f64;
        report += &format!(
            "{px_per_mm} px/mm: mean {:+.2}% of {errors:?}\n",
            100.0 * mean
        );
        assert!(mean.abs() <= 0.015, "{report}");
    }
}

/// A camera blur of σ = 0.8 px (the generator's phone) takes about π σ² (2.0 px²) from each
/// dot's half-maximum area, as the outline's own blur does (see `OUTLINE_PULL_PX`): per true
/// dot, what the blurred photo reads less than the sharp one is 0.5–1.5 times that, at 25 and
/// 50 px/mm. It is not returned (the README says why), and this is its size.
#[test]
fn a_camera_blur_takes_pi_sigma_squared_from_each_dot() {
    let sigma = 0.8;
    let pull = std::f64::consts::PI * sigma * sigma;
    for px_per_mm in [25.0, 50.0] {
        for (params, skin, seed) in scenes() {
            let (sharp, _, dots) = coverage(&params, skin, px_per_mm, seed, Optics::ideal());
            let blurred_optics = Optics {
                blur_sigma_px: sigma,
                ..Optics::ideal()
            };
            let (blurred, _, _) = coverage(&params, skin, px_per_mm, seed, blurred_optics);
            let w = (16.0 * px_per_mm).min(800.0).floor();
            let frame_px = w * (w * 0.75).floor();
            let per_dot = (sharp - blurred) / 100.0 * frame_px / dots as f64;
            assert!(
                (0.5 * pull..=1.5 * pull).contains(&per_dot),
                "{px_per_mm} px/mm, skin {skin}: {per_dot:.2} px² per dot, π σ² = {pull:.2}"
            );
        }
    }
}

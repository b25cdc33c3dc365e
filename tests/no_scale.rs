//! Photos measured without their scale: the dot finder assumes one from the typical dot (see
//! `smptrack::measure::ASSUMED_DOT_MM`), so that hairs and stubble are still told from fine and
//! faint dots by their width.

use image::DynamicImage;
use smptrack::measure::measure;
use smptrack::synth::{self, Camera, DotParams, Scene};
use smptrack::Region;

/// Six generated scenes (their hairs and stubble included; seeds that `examples/accuracy` does
/// not use), measured without their scale, count within 5% of the truth in the median, and each
/// no more than 3 points further from it than with the scale given. With no scale assumed, the
/// fine and faint dots at 15–25 px/mm read 9–48% high (now −1 to +17%).
///
/// (Faint first-session dots on type VI skin at 15 px/mm read 16–17% high with or without the
/// scale: stubble ends and specks as wide as the dots; see the README's soft spots.)
#[test]
fn scenes_without_a_scale_count_their_dots_as_with_it() {
    let cases: [(&str, DotParams, u8, f64); 6] = [
        ("fine", DotParams::fine_healed(), 2, 15.0),
        ("first", DotParams::first_session(), 6, 15.0),
        ("fine", DotParams::fine_healed(), 4, 25.0),
        ("first", DotParams::first_session(), 3, 25.0),
        ("healed", DotParams::healed(), 5, 50.0),
        ("blown", DotParams::blown_out(), 1, 50.0),
    ];
    let mut without_scale = Vec::new();
    let mut report = String::new();
    for (i, (name, params, skin, px_per_mm)) in cases.into_iter().enumerate() {
        // About 20 × 15 mm of scalp, at most 1200 px wide.
        let w = (20.0 * px_per_mm).min(1200.0) as u32;
        let camera = Camera::new(w, w * 3 / 4, px_per_mm);
        let scene = Scene::typical(&camera, skin, &params, 501 + i as u64);
        let image = DynamicImage::ImageRgb8(synth::render(&scene, &camera));
        let truth = synth::truth(&scene, &camera, (0, 0, camera.width, camera.height));
        let error = |scale: Option<f64>| {
            let region = Region::whole(camera.width, camera.height);
            let m = measure(&image, region, scale).expect("region fits");
            (m.dots.len() as f64 - truth.dot_count as f64) / truth.dot_count as f64
        };
        let (none, given) = (error(None), error(Some(px_per_mm)));
        report += &format!(
            "{name} skin {skin} {px_per_mm} px/mm, {} dots: {:+.1}% without the scale, {:+.1}% with it\n",
            truth.dot_count,
            100.0 * none,
            100.0 * given
        );
        assert!(none.abs() <= given.abs() + 0.03, "{report}");
        without_scale.push(none.abs());
    }
    without_scale.sort_by(f64::total_cmp);
    assert!(without_scale[without_scale.len() / 2] <= 0.05, "{report}");
}

//! A region with some dots but far fewer than any SMP session lays down is warned: it misses
//! the work, its scale is far too small, or its photo is so blurred that the dots are lost.

use image::DynamicImage;
use smptrack::measure::{measure, Measurement, MIN_WORK_DENSITY_PER_CM2};
use smptrack::synth::{self, Camera, Dot, DotParams, Scene};
use smptrack::Region;

fn measured(scene: &Scene, camera: &Camera) -> Measurement {
    let image = DynamicImage::ImageRgb8(synth::render(scene, camera));
    let region = Region::whole(camera.width, camera.height);
    measure(&image, region, Some(camera.px_per_mm)).expect("region fits")
}

fn sparse_warned(m: &Measurement) -> bool {
    m.warnings
        .iter()
        .any(|w| w.contains("fewer than any SMP session"))
}

/// Three dots over 3 cm² (1 per cm²) are warned; a first session's sparse layout (60 per cm²)
/// and the same three dots in a 1 cm² frame (3 per cm², under the 5) likewise, and not 6 dots
/// there.
#[test]
fn a_few_dots_in_a_large_region_are_warned_and_a_sparse_layout_is_not() {
    assert_eq!(MIN_WORK_DENSITY_PER_CM2, 5.0);
    let few = |w: u32, h: u32, n: usize| {
        let camera = Camera::new(w, h, 25.0);
        let mut scene = Scene::typical(&camera, 3, &DotParams::healed(), 7);
        let (x0, y0, x1, y1) = camera.visible_area_mm();
        scene.hairs.clear();
        scene.dots = (0..n)
            .map(|i| {
                let f = (i as f64 + 0.5) / n as f64;
                Dot::round(x0 + f * (x1 - x0), y0 + (y1 - y0) / 2.0, 0.4, 0.7)
            })
            .collect();
        let m = measured(&scene, &camera);
        assert_eq!(m.dots.len(), n, "{w} x {h} px, {n} dots: {:?}", m.warnings);
        sparse_warned(&m)
    };
    // 20 × 15 mm.
    assert!(few(500, 375, 3));
    // 10 × 10 mm: 3 dots are 3 per cm², 6 dots 6.
    assert!(few(250, 250, 3));
    assert!(!few(250, 250, 6));

    let camera = Camera::new(500, 375, 25.0);
    let layout = Scene::typical(&camera, 3, &DotParams::first_session(), 8);
    let m = measured(&layout, &camera);
    assert!(!sparse_warned(&m), "{:?}", m.warnings);
}

/// The same layout measured with a scale five times too small (5 px/mm for 25: a digit
/// mistyped) reads 25 times too few dots per cm², under 5: warned, and the warning names the
/// scale among what to check.
#[test]
fn a_scale_far_too_small_is_among_what_the_warning_names() {
    let camera = Camera::new(500, 375, 25.0);
    let layout = Scene::typical(&camera, 3, &DotParams::first_session(), 8);
    let image = DynamicImage::ImageRgb8(synth::render(&layout, &camera));
    let region = Region::whole(camera.width, camera.height);
    let m = measure(&image, region, Some(5.0)).expect("region fits");
    let warning = m
        .warnings
        .iter()
        .find(|w| w.contains("fewer than any SMP session"));
    assert!(
        warning.is_some_and(|w| w.contains("the scale (px/mm) is right")),
        "{:?}",
        m.warnings
    );
}

/// Fine dots on type II skin at 15 px/mm (the scene of `examples/defocus`) blurred by σ 4 px
/// (0.27 mm) are nearly all lost, too few left to judge the focus by: warned, where the same
/// scene in focus is not.
#[test]
fn a_photo_blurred_until_its_dots_are_lost_is_warned() {
    let camera = Camera::new(300, 225, 15.0);
    let mut scene = Scene::typical(&camera, 2, &DotParams::fine_healed(), 79);
    let sharp = measured(&scene, &camera);
    assert!(!sparse_warned(&sharp), "{:?}", sharp.warnings);
    scene.optics.blur_sigma_px = 4.0;
    let blurred = measured(&scene, &camera);
    assert!(
        sparse_warned(&blurred),
        "{} dots: {:?}",
        blurred.dots.len(),
        blurred.warnings
    );
}

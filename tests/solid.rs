//! Solid pigment in the region — a tattooed patch, a filled scar, dots grown together — and
//! lines of it too narrow for the solid squares (linework, a scar's line), among SMP dots: the
//! session is warned that its count is unreliable, plain dots are not, and the patches do not
//! size the filters for dots as wide as themselves.

use image::DynamicImage;
use smptrack::measure::{measure, Measurement};
use smptrack::synth::{self, Camera, Dot, DotParams, Scene};
use smptrack::Region;

/// Diameter of the solid patches (mm): over three times the largest impression.
const PATCH_MM: f64 = 5.0;

/// Healed dots over 20 × 15 mm of type `skin` at `px_per_mm`, with two solid discs
/// [`PATCH_MM`] across when `patches`; their centres (image px).
fn scene(px_per_mm: f64, skin: u8, seed: u64, patches: bool) -> (Scene, Camera, Vec<(f64, f64)>) {
    let w = (20.0 * px_per_mm) as u32;
    let camera = Camera::new(w, w * 3 / 4, px_per_mm);
    let mut scene = Scene::typical(&camera, skin, &DotParams::healed(), seed);
    let (x0, y0, x1, y1) = camera.visible_area_mm();
    let mut centres = Vec::new();
    if patches {
        for (fx, fy) in [(0.3, 0.35), (0.7, 0.65)] {
            let mut patch = Dot::round(x0 + fx * (x1 - x0), y0 + fy * (y1 - y0), PATCH_MM, 0.85);
            patch.softness = 0.05;
            centres.push(camera.to_px((patch.x_mm, patch.y_mm)));
            scene.dots.push(patch);
        }
    }
    (scene, camera, centres)
}

fn measured(scene: &Scene, camera: &Camera) -> Measurement {
    let image = DynamicImage::ImageRgb8(synth::render(scene, camera));
    measure(
        &image,
        Region::whole(camera.width, camera.height),
        Some(camera.px_per_mm),
    )
    .expect("region fits")
}

fn solid_warned(m: &Measurement) -> bool {
    m.warnings.iter().any(|w| w.contains("solid pigment"))
}

/// Healed dots at 25 px/mm have no solid square anywhere; with two 5 mm patches, which the
/// finder splits at their texture, the session is warned.
#[test]
fn solid_patches_among_dots_are_warned_and_plain_dots_are_not() {
    for skin in [2, 5] {
        let (plain, camera, _) = scene(25.0, skin, 41, false);
        let m = measured(&plain, &camera);
        assert_eq!(m.solid.solid_px(), 0, "skin {skin}, no patches");
        assert!(!solid_warned(&m), "skin {skin}: {:?}", m.warnings);

        let (patched, camera, centres) = scene(25.0, skin, 41, true);
        let m = measured(&patched, &camera);
        assert!(solid_warned(&m), "skin {skin}: {:?}", m.warnings);
        for (x, y) in centres {
            assert!(
                m.solid.contains(x, y),
                "skin {skin}: patch at {x:.0},{y:.0}"
            );
        }
    }
}

/// Two 5 mm patches hold about as much pigment as 350 healed dots. Weighted by area, they
/// sized the filters for 1.5 mm dots at 15 px/mm (22.5 px against the dots' 7), which lost
/// three dots in five; the dots away from the patches are still found.
#[test]
fn solid_patches_do_not_size_the_filters() {
    let ppm = 15.0;
    let (plain, camera, _) = scene(ppm, 3, 43, false);
    let plain_scale = measured(&plain, &camera).dot_scale_px;
    let (patched, camera, centres) = scene(ppm, 3, 43, true);
    let m = measured(&patched, &camera);
    assert!(
        (m.dot_scale_px / plain_scale - 1.0).abs() < 0.2,
        "dot scale {:.1} px with patches, {plain_scale:.1} without",
        m.dot_scale_px
    );
    // Dots farther than 1 mm from a patch's edge.
    let away = |(x, y): (f64, f64)| {
        let reach = (PATCH_MM / 2.0 + 1.0) * ppm;
        centres
            .iter()
            .all(|&(cx, cy)| (x - cx).hypot(y - cy) > reach)
    };
    let truth = synth::truth(&patched, &camera, (0, 0, camera.width, camera.height));
    let expected = truth.dot_centres_px.iter().filter(|&&c| away(c)).count() as f64;
    let found = m.dots.iter().filter(|d| away((d.x, d.y))).count() as f64;
    assert!(
        (found / expected - 1.0).abs() < 0.1,
        "{found} dots found away from the patches, {expected} there"
    );
}

/// The overlay of `scene` photographed by `camera`, measured whole with its scale, and the
/// analysis it draws.
fn overlay_of(scene: &Scene, camera: &Camera) -> (image::RgbImage, smptrack::PhotoAnalysis) {
    let photo = smptrack::Photo::new(DynamicImage::ImageRgb8(synth::render(scene, camera)));
    let session = smptrack::SessionInput {
        photo: "scene.png".into(),
        path: "scene.png".into(),
        label: None,
        date: None,
        region: None,
        region_source: "region".into(),
        px_per_mm: Some(camera.px_per_mm),
    };
    let analysis = smptrack::analyze_photo(&photo, &session).expect("measured");
    let overlay = smptrack::render::overlay::render_overlay(&photo.image, &analysis);
    (overlay, analysis)
}

/// The overlay hatches the solid squares (over the patches) and nothing of a plain scene.
#[test]
fn the_overlay_hatches_solid_pigment_only() {
    use smptrack::render::overlay::SOLID;
    let hatched = |patches: bool| {
        let (scene, camera, _) = scene(25.0, 3, 41, patches);
        let (overlay, analysis) = overlay_of(&scene, &camera);
        let solid_px = analysis.measurement.solid.solid_px() as f64;
        let hatch = overlay.pixels().filter(|&&p| p == SOLID).count() as f64;
        (hatch, solid_px)
    };
    assert_eq!(hatched(false), (0.0, 0.0));
    // Two pixels in six over the solid squares, less where the dots' centres mark them, in a
    // picture twice the photo's size (540 px of region and context fit 1200 px twice).
    let (hatch, solid_px) = hatched(true);
    assert!(solid_px > 0.0);
    let share = hatch / (4.0 * solid_px);
    assert!(
        (0.25..=1.0 / 3.0).contains(&share),
        "{hatch} px hatched over {solid_px} photo px"
    );
}

/// A region is tested on its own pixels, in its own coordinates: the patch inside an offset
/// region is found at its centre less the region's corner, and a strip between the patches,
/// whose context margin reaches into both, has no solid square.
#[test]
fn an_offset_region_tests_its_own_squares() {
    let (patched, camera, centres) = scene(25.0, 3, 41, true);
    let image = DynamicImage::ImageRgb8(synth::render(&patched, &camera));
    let (x, y) = centres[1];
    // The second patch, 5 mm (125 px) across, well inside the region's right-hand part.
    let region = Region {
        x: 250,
        y: 150,
        width: 250,
        height: camera.height - 150,
    };
    let m = measure(&image, region, Some(camera.px_per_mm)).expect("region fits");
    assert!(
        m.solid.contains(x - 250.0, y - 150.0),
        "patch at {x:.0},{y:.0}"
    );
    assert!(!m.solid.contains(5.0, 5.0));
    // Between the patches: the first ends at x ≈ 213 px, the second starts at ≈ 287 px.
    let (first, second) = (centres[0].0 + 62.5, centres[1].0 - 62.5);
    let gap = Region {
        x: first.ceil() as u32 + 4,
        y: 0,
        width: (second - first) as u32 - 8,
        height: camera.height,
    };
    let m = measure(&image, gap, Some(camera.px_per_mm)).expect("region fits");
    assert_eq!(m.solid.solid_px(), 0, "{gap:?}");
}

/// Dense dots are no solid pigment: 0.3 mm dots 0.5 mm apart (400/cm², 28% covered) at
/// 15 px/mm leave 3 px of skin between them, which the skin field's denoised copy darkened
/// until it filled the field white: the whole region read as pigment (coverage 99.7%), 367 of
/// the 1200 dots were counted, and the session was warned of solid pigment.
#[test]
fn dense_dots_at_a_coarse_scale_are_dots_on_skin() {
    let (ppm, spacing, radius) = (15.0, 7.5, 2.25);
    let (w, h) = (300u32, 225u32);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let (px, py) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
        let (cx, cy) = (
            (px / spacing).floor() * spacing + spacing / 2.0,
            (py / spacing).floor() * spacing + spacing / 2.0,
        );
        if (px - cx).hypot(py - cy) <= radius {
            image::Rgb([40, 32, 30])
        } else {
            image::Rgb([200, 160, 140])
        }
    });
    let m = measure(
        &DynamicImage::ImageRgb8(img),
        Region::whole(w, h),
        Some(ppm),
    )
    .expect("region fits");
    assert_eq!(m.dots.len(), 40 * 30, "{:?}", m.warnings);
    let coverage = m.covered_px as f64 / m.region_px as f64;
    assert!((0.25..0.40).contains(&coverage), "coverage {coverage}");
    assert!(!solid_warned(&m), "{:?}", m.warnings);
}

/// Length of each line (mm): twice the shortest run that makes one.
const LINE_MM: f64 = 6.0;

/// Healed dots over 20 × 15 mm of type `skin` at `px_per_mm`, with four straight lines
/// `width_mm` wide and [`LINE_MM`] long at unlike angles (drawn as round dots every 0.05 mm)
/// unless `width_mm` is 0; the lines' middles (image px).
fn lined_scene(px_per_mm: f64, skin: u8, width_mm: f64) -> (Scene, Camera, Vec<(f64, f64)>) {
    let w = (20.0 * px_per_mm) as u32;
    let camera = Camera::new(w, w * 3 / 4, px_per_mm);
    let mut scene = Scene::typical(&camera, skin, &DotParams::healed(), 60 + u64::from(skin));
    let (x0, y0, x1, y1) = camera.visible_area_mm();
    let mut middles = Vec::new();
    if width_mm > 0.0 {
        let places = [(0.25, 0.3), (0.7, 0.3), (0.3, 0.7), (0.72, 0.68)];
        for (k, (fx, fy)) in places.into_iter().enumerate() {
            let (cx, cy) = (x0 + fx * (x1 - x0), y0 + fy * (y1 - y0));
            let angle = 0.37 + 0.9 * k as f64;
            middles.push(camera.to_px((cx, cy)));
            for i in 0..=120 {
                let along = (i as f64 / 120.0 - 0.5) * LINE_MM;
                let (x, y) = (cx + along * angle.cos(), cy + along * angle.sin());
                scene.dots.push(Dot::round(x, y, width_mm, 0.8));
            }
        }
    }
    (scene, camera, middles)
}

fn lines_warned(m: &Measurement) -> bool {
    m.warnings.iter().any(|w| w.contains("unbroken lines"))
}

/// The dots found within `reach` px of `at` (image px): whether each lies on a line.
fn near(m: &Measurement, at: (f64, f64), reach: f64) -> Vec<bool> {
    m.dots
        .iter()
        .zip(&m.on_lines)
        .filter(|(d, _)| (d.x - at.0).hypot(d.y - at.1) <= reach)
        .map(|(_, &on)| on)
        .collect()
}

/// Lines 0.6 and 1.2 mm wide among healed dots, at 15 and 25 px/mm on light and dark skin:
/// the pieces found at each line's middle lie on it, and the session is warned; the same dots
/// without the lines have none on a line (of 300–400), and no warning.
#[test]
fn lines_among_dots_are_warned_and_plain_dots_are_not() {
    for (ppm, skin) in [(15.0, 2), (25.0, 5)] {
        let (plain, camera, _) = lined_scene(ppm, skin, 0.0);
        let m = measured(&plain, &camera);
        assert!(m.dots.len() > 300, "{ppm} px/mm: {} dots", m.dots.len());
        assert_eq!(m.on_lines, vec![false; m.dots.len()], "{ppm} px/mm");
        assert!(!lines_warned(&m), "{ppm} px/mm: {:?}", m.warnings);
        for width in [0.6, 1.2] {
            let (lined, camera, middles) = lined_scene(ppm, skin, width);
            let m = measured(&lined, &camera);
            assert!(
                lines_warned(&m),
                "{ppm} px/mm, {width} mm: {:?}",
                m.warnings
            );
            for at in middles {
                let pieces = near(&m, at, 0.5 * ppm);
                assert!(
                    !pieces.is_empty() && pieces.iter().all(|&on| on),
                    "{ppm} px/mm, {width} mm: line at {at:?}: {pieces:?}"
                );
            }
        }
    }
}

/// The overlay rings the pieces of lines in [`LINE_RING`], and no dot of the plain scene.
#[test]
fn the_overlay_rings_pieces_of_lines_apart() {
    use smptrack::render::overlay::{DOT_RING, LINE_RING};
    let rings = |width_mm: f64| {
        let (scene, camera, _) = lined_scene(15.0, 2, width_mm);
        let (overlay, _) = overlay_of(&scene, &camera);
        let count = |colour| overlay.pixels().filter(|&&p| p == colour).count();
        (count(LINE_RING), count(DOT_RING))
    };
    let (line_rings, dot_rings) = rings(0.0);
    assert_eq!(line_rings, 0);
    assert!(dot_rings > 0);
    let (line_rings, dot_rings) = rings(1.2);
    assert!(line_rings > 0 && dot_rings > 0, "{line_rings} {dot_rings}");
}

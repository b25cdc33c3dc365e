//! Touching and overlapping dots, counted one by one: scenes where half the dots lie in
//! clusters of two or three whose outlines meet or overlap (`synth::place_touching_clusters`),
//! under the generator's usual lighting and optics.

use image::DynamicImage;
use smptrack::measure::measure;
use smptrack::synth::{self, Camera, DotParams, Scene};
use smptrack::Region;

/// A scene of `skin` (uneven light, phone optics; seed `seed`; no hairs) of crisp dots
/// (`DotParams::crisp`: 0.3–0.5 mm, alike in darkness), half of them in touching clusters.
fn clustered_scene(camera: &Camera, skin: u8, seed: u64) -> Scene {
    let params = DotParams::crisp();
    let mut scene = Scene::typical(camera, skin, &params, seed);
    let mut rng = synth::SplitMix64::new(seed ^ 0xC1);
    let area = camera.visible_area_mm();
    scene.dots = synth::place_touching_clusters(area, &params, 0.5, &mut rng)
        .into_iter()
        .map(|(dot, _)| dot)
        .collect();
    scene.hairs.clear();
    scene
}

/// Touching dots are counted each: over eight scenes (skin types II, III, V and VI at 25 and
/// 50 px/mm; 1920 dots, half of them in clusters) the count is within 2% of the truth in all
/// and 4.5% in each (now 1.7% low in all, 4.2% at worst), and every dot found is a true dot's,
/// none found twice. A cluster answers a coarser blob
/// scale than its dots, centred between them and as strongly, and taken for one dot it
/// suppressed them all: 2.4% low in all before `blobs::clusters`.
///
/// Still lost (see the README's soft spots): a dot that the blob answer of a larger neighbour
/// swamps, and a lighter dot on a darker one's flank, which the darker dot's flood takes
/// whole.
#[test]
fn touching_dots_are_counted_one_by_one() {
    let mut rows = Vec::new();
    let (mut truth_sum, mut found_sum) = (0usize, 0usize);
    let scenes = [
        (2, 25.0, 3),
        (3, 25.0, 4),
        (5, 25.0, 5),
        (6, 25.0, 6),
        (2, 50.0, 7),
        (3, 50.0, 8),
        (5, 50.0, 9),
        (6, 50.0, 10),
    ];
    let (mut strays, mut doubles) = (0, 0);
    for (skin, px_per_mm, seed) in scenes {
        let camera = Camera::new(800, 600, px_per_mm);
        let scene = clustered_scene(&camera, skin, seed);
        let truth = synth::truth(&scene, &camera, (0, 0, 800, 600));
        let image = DynamicImage::ImageRgb8(synth::render(&scene, &camera));
        let m = measure(&image, Region::whole(800, 600), Some(px_per_mm)).unwrap();
        let error = (m.dots.len() as f64 - truth.dot_count as f64) / truth.dot_count as f64;
        // Each found dot goes to the nearest true dot whose disc, 1 px wider, holds its centre:
        // none may be stray, and no true dot found twice, for the count's gains to be dots.
        let true_dots: Vec<((f64, f64), f64)> = scene
            .dots
            .iter()
            .map(|d| (camera.to_px((d.x_mm, d.y_mm)), d.diameter_mm * px_per_mm))
            .collect();
        let mut found_per_true = vec![0; true_dots.len()];
        for f in &m.dots {
            let distance = |((x, y), _): &((f64, f64), f64)| (x - f.x).hypot(y - f.y);
            let nearest = (0..true_dots.len())
                .filter(|&i| distance(&true_dots[i]) <= 0.5 * true_dots[i].1 + 1.0)
                .min_by(|&i, &j| distance(&true_dots[i]).total_cmp(&distance(&true_dots[j])));
            match nearest {
                Some(i) => found_per_true[i] += 1,
                None => strays += 1,
            }
        }
        doubles += found_per_true.iter().filter(|&&n| n > 1).count();
        rows.push((
            format!("skin {skin}, {px_per_mm} px/mm"),
            truth.dot_count,
            m.dots.len(),
            error,
        ));
        truth_sum += truth.dot_count;
        found_sum += m.dots.len();
    }
    let all = (found_sum as f64 - truth_sum as f64) / truth_sum as f64;
    let table = format!("{rows:#?}\nall: {all:+.3}, {strays} stray, {doubles} found twice");
    assert!(all.abs() <= 0.02, "{table}");
    for (_, _, _, error) in &rows {
        assert!(error.abs() <= 0.045, "{table}");
    }
    assert_eq!((strays, doubles), (0, 0), "{table}");
}

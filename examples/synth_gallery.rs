//! Writes a few generated scenes, one per kind of dot and a range of skin tones, to look at:
//! `cargo run --release --example synth_gallery [-- OUT_DIR]` (default: the system temp
//! directory). Prints each file with its dot and hair counts and its true coverage.

use smptrack::synth::{render, truth, Camera, DotParams, Scene};

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let wide = Camera::new(900, 600, 25.0);
    let zoom = Camera::new(400, 300, 80.0);
    for (name, camera, skin, params) in [
        ("healed_ii", &wide, 2, DotParams::healed()),
        ("fresh_v", &wide, 5, DotParams::fresh()),
        ("blown_iii", &wide, 3, DotParams::blown_out()),
        ("first_vi", &wide, 6, DotParams::first_session()),
        ("zoom_healed_iii", &zoom, 3, DotParams::healed()),
    ] {
        let scene = Scene::typical(camera, skin, &params, 42);
        let img = render(&scene, camera);
        let path = dir.join(format!("synth_{name}.png"));
        img.save(&path).expect("the scene image is written");
        let t = truth(&scene, camera, (0, 0, img.width(), img.height()));
        println!(
            "{}: {} dots, {} hairs, coverage {:.1}%",
            path.display(),
            scene.dots.len(),
            scene.hairs.len(),
            t.coverage_pct
        );
    }
}

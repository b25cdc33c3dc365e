//! Measures a region of a real photo and writes it, downscaled to at most 900 px, with counted
//! dots marked in red, to OUT.png: `cargo run --release --example look -- PHOTO X,Y,W,H PX_PER_MM OUT.png`.

use image::Rgb;
use smptrack::load::{load_photo, LoadLimits};
use smptrack::measure::measure;
use smptrack::Region;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let photo = load_photo(args[0].as_ref(), &LoadLimits::default()).expect("photo loads");
    let region: Region = args[1].parse().expect("region");
    let ppm: f64 = args[2].parse().expect("scale");
    let m = measure(&photo.image, region, Some(ppm)).expect("measures");
    let crop = photo
        .image
        .crop_imm(region.x, region.y, region.width, region.height)
        .to_rgb8();
    // LOOK_SIDE (default 900) sets the long side; above the region's own size it zooms in.
    let side: f64 = std::env::var("LOOK_SIDE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(900.0);
    let scale = side / f64::from(region.width.max(region.height));
    let filter = if scale > 1.0 {
        image::imageops::FilterType::Nearest
    } else {
        image::imageops::FilterType::Triangle
    };
    let mut out = image::imageops::resize(
        &crop,
        (f64::from(region.width) * scale) as u32,
        (f64::from(region.height) * scale) as u32,
        filter,
    );
    for d in &m.dots {
        let cx = ((d.x - f64::from(region.x)) * scale) as i64;
        let cy = ((d.y - f64::from(region.y)) * scale) as i64;
        for k in -4..=4i64 {
            for (x, y) in [(cx + k, cy), (cx, cy + k)] {
                if k.abs() > 1
                    && x >= 0
                    && y >= 0
                    && (x as u32) < out.width()
                    && (y as u32) < out.height()
                {
                    out.put_pixel(x as u32, y as u32, Rgb([255, 0, 0]));
                }
            }
        }
    }
    if std::env::var("DIAMETERS").is_ok() {
        let mut ds: Vec<(f64, f64, f64)> = m
            .dots
            .iter()
            .map(|d| (d.x, d.y, d.diameter_px / ppm))
            .collect();
        ds.sort_by(|a, b| a.2.total_cmp(&b.2));
        for (x, y, mm) in ds {
            println!("dot at {x:.0},{y:.0}: {mm:.3} mm");
        }
    }
    println!(
        "{} dots, scale {:.1} px, skin noise {:.4}, dot signal-to-noise {:.0}, warnings {:?}",
        m.dots.len(),
        m.dot_scale_px,
        m.skin_noise,
        m.dot_snr().unwrap_or(f64::NAN),
        m.warnings
    );
    out.save(&args[3]).expect("saves");
}

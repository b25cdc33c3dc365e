//! Writes an upright (EXIF-oriented) thumbnail of a photo, with a 100 px grid in photo
//! coordinates, to help choose regions: `cargo run --release --example thumb -- PHOTO OUT.png [MAX_SIDE]`.

use image::Rgb;
use smptrack::load::{load_photo, LoadLimits};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let photo = load_photo(args[0].as_ref(), &LoadLimits::default()).expect("photo loads");
    let max_side: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(800);
    let (w, h) = (photo.image.width(), photo.image.height());
    let scale = f64::from(max_side) / f64::from(w.max(h));
    let mut thumb = photo
        .image
        .resize(
            (f64::from(w) * scale) as u32,
            (f64::from(h) * scale) as u32,
            image::imageops::FilterType::Triangle,
        )
        .to_rgb8();
    let step = if w.max(h) > 2500 { 500 } else { 100 };
    for (x, y, p) in thumb.enumerate_pixels_mut() {
        let (px, py) = ((f64::from(x) / scale) as u32, (f64::from(y) / scale) as u32);
        let (nx, ny) = (
            (f64::from(x + 1) / scale) as u32,
            (f64::from(y + 1) / scale) as u32,
        );
        if px / step != nx / step || py / step != ny / step {
            *p = Rgb([0, 200, 255]);
        }
    }
    println!(
        "{w}x{h} orientation {} date {:?}; grid every {step} px",
        photo.orientation, photo.capture_date
    );
    thumb.save(&args[1]).expect("thumbnail saves");
}

//! Loading: decoding, limits, truncation, and top rows against whole photos.

use super::beside::BESIDE_THREAD_NAME;
use super::*;

fn png_bytes(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(width, height, image::Rgb([200, 150, 120]));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

#[test]
fn decodes_a_png() {
    let photo = decode_photo(&png_bytes(7, 5), Path::new("a.png"), &LoadLimits::default()).unwrap();
    assert_eq!((photo.image.width(), photo.image.height()), (7, 5));
    assert_eq!(photo.orientation, 1);
    assert_eq!(photo.capture_date, None);
}

#[test]
fn refuses_empty_text_and_truncated_files() {
    let limits = LoadLimits::default();
    let name = Path::new("x.jpg");
    assert!(matches!(
        decode_photo(b"", name, &limits),
        Err(Error::Decode { .. })
    ));
    assert!(matches!(
        decode_photo(b"hello, I am text", name, &limits),
        Err(Error::NotAnImage { .. })
    ));
    let png = png_bytes(64, 64);
    let truncated = &png[..png.len() / 2];
    assert!(matches!(
        decode_photo(truncated, name, &limits),
        Err(Error::Decode { .. })
    ));
}

#[test]
fn truncated_jpegs_are_refused() {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, ((x ^ y) * 3) as u8])
    });
    let mut jpeg = Vec::new();
    img.write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .unwrap();
    assert!(jpeg::jpeg_layout(&jpeg).has_end_marker);
    let mut trailing = jpeg.clone();
    trailing.extend_from_slice(b"trailing bytes after EOI");
    assert!(jpeg::jpeg_layout(&trailing).has_end_marker);
    let limits = LoadLimits::default();
    let name = Path::new("cut.jpg");
    for cut in [
        jpeg.len() / 4,
        jpeg.len() / 2,
        jpeg.len() - 2,
        jpeg.len() - 1,
    ] {
        assert!(
            !jpeg::jpeg_layout(&jpeg[..cut]).has_end_marker,
            "cut at {cut}"
        );
        assert!(
            matches!(
                decode_photo(&jpeg[..cut], name, &limits),
                Err(Error::Decode { .. })
            ),
            "cut at {cut}"
        );
    }
    assert!(decode_photo(&trailing, name, &limits).is_ok());
}

/// The reason of a refusal to decode, or a panic naming the outcome.
fn decode_reason(bytes: &[u8]) -> String {
    match decode_photo(bytes, Path::new("damaged.jpg"), &LoadLimits::default()) {
        Err(Error::Decode { reason, .. }) => reason,
        Err(other) => panic!("another error: {other}"),
        Ok(_) => panic!("decoded"),
    }
}

/// Damaged JPEGs that the lenient decoder decodes "successfully", filling the rest with grey or
/// with blocks decoded from nothing, are refused: bytes overwritten in the middle of the scan,
/// a file cut in half and closed with an end-of-image marker, and each in 4:2:0 and 4:4:4.
#[test]
fn damaged_jpegs_are_refused() {
    use jpeg_encoder::SamplingFactor::{F_1_1, F_2_2};
    for sampling in [F_2_2, F_1_1] {
        let jpeg = textured_jpeg(320, 240, sampling, false, 0);
        let limits = LoadLimits::default();
        assert!(decode_photo(&jpeg, Path::new("whole.jpg"), &limits).is_ok());
        let scan_start = (2..jpeg.len() - 1)
            .find(|&i| jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA)
            .unwrap();
        let middle = (scan_start + jpeg.len()) / 2;
        // 0xFF 0x5A is no marker at all: the scan is broken there.
        let mut overwritten = jpeg.clone();
        overwritten[middle..middle + 4].copy_from_slice(&[0xFF, 0x5A, 0x13, 0x37]);
        let reason = decode_reason(&overwritten);
        assert!(reason.contains("coded data is damaged"), "{reason}");
        // Cut in the middle of the scan, with an end-of-image marker put back.
        let mut closed = jpeg[..middle].to_vec();
        closed.extend_from_slice(&[0xFF, 0xD9]);
        assert!(jpeg::jpeg_layout(&closed).has_end_marker);
        let reason = decode_reason(&closed);
        assert!(reason.contains("coded data ends early"), "{reason}");
        assert!(reason.contains("of 240 are filler"), "{reason}");
        // Decoding only the top rows, the message still gives the photo's height.
        if sampling == F_2_2 {
            let top = decode_photo_top(&closed, Path::new("damaged.jpg"), &limits, 200);
            let Err(Error::Decode { reason, .. }) = top else {
                panic!("decoded the top rows");
            };
            assert!(reason.contains("of 240 are filler"), "{reason}");
        }
    }
}

#[test]
fn limits_are_enforced_at_their_edges() {
    let png = png_bytes(10, 10);
    let name = Path::new("big.png");
    let exact = LoadLimits {
        max_side: 10,
        max_pixels: 100,
        max_decoded_bytes: 300,
    };
    assert!(decode_photo(&png, name, &exact).is_ok());
    for tighter in [
        LoadLimits {
            max_side: 9,
            ..exact
        },
        LoadLimits {
            max_pixels: 99,
            ..exact
        },
        LoadLimits {
            max_decoded_bytes: 299,
            ..exact
        },
    ] {
        assert!(matches!(
            decode_photo(&png, name, &tighter),
            Err(Error::TooLarge { .. })
        ));
    }
}

/// A textured photo (so that every MCU has detail in all three channels) as a JPEG from the
/// `jpeg-encoder` crate, which can subsample chroma as cameras do and write progressive files.
fn textured_jpeg(
    width: u16,
    height: u16,
    sampling: jpeg_encoder::SamplingFactor,
    progressive: bool,
    restart_interval: u16,
) -> Vec<u8> {
    let img = image::RgbImage::from_fn(u32::from(width), u32::from(height), |x, y| {
        let h =
            (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)).wrapping_mul(2_246_822_519);
        image::Rgb([
            (h >> 24) as u8 / 2 + (x as u8) / 2,
            (h >> 16) as u8 / 2 + (y as u8) / 2,
            (h >> 8) as u8,
        ])
    });
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    encoder.set_sampling_factor(sampling);
    encoder.set_progressive(progressive);
    encoder.set_restart_interval(restart_interval);
    encoder
        .encode(img.as_raw(), width, height, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// The first row among the top `rows` where `a` and `b` differ, if any.
fn first_different_row(a: &DynamicImage, b: &DynamicImage, rows: u32) -> Option<u32> {
    let (a, b) = (a.to_rgb8(), b.to_rgb8());
    (0..rows).find(|&y| (0..a.width()).any(|x| a.get_pixel(x, y) != b.get_pixel(x, y)))
}

#[test]
fn top_rows_of_a_baseline_jpeg_match_the_whole_decode_and_stop_near_them() {
    use jpeg_encoder::SamplingFactor::{F_1_1, F_2_1, F_2_2};
    let limits = LoadLimits::default();
    let name = Path::new("top.jpg");
    for (sampling, restart) in [(F_2_2, 0), (F_2_1, 0), (F_1_1, 0), (F_2_2, 3)] {
        let bytes = textured_jpeg(200, 301, sampling, false, restart);
        let whole = decode_photo(&bytes, name, &limits).unwrap();
        assert!(whole.is_whole());
        for rows in [1, 15, 16, 17, 100, 228, 268] {
            let top = decode_photo_top(&bytes, name, &limits, rows).unwrap();
            let context = format!("{sampling:?}, restart {restart}, rows {rows}");
            assert_eq!(top.full_size, (200, 301), "{context}");
            assert_eq!(top.image.width(), 200, "{context}");
            assert_eq!(top.image.height(), rows + TOP_ROWS_MARGIN, "{context}");
            assert!(!top.is_whole(), "{context}");
            assert_eq!(
                first_different_row(&top.image, &whole.image, rows),
                None,
                "{context}"
            );
        }
        // Within the margin of the bottom, the whole photo is decoded.
        for rows in [269, 301, 302, u32::MAX] {
            let top = decode_photo_top(&bytes, name, &limits, rows).unwrap();
            assert!(top.is_whole(), "{sampling:?}, rows {rows}");
            assert_eq!(top.image.as_bytes(), whole.image.as_bytes());
        }
    }
}

#[test]
fn progressive_jpegs_and_other_formats_are_decoded_whole_for_their_top_rows() {
    let limits = LoadLimits::default();
    let progressive = textured_jpeg(64, 200, jpeg_encoder::SamplingFactor::F_2_2, true, 0);
    let png = png_bytes(64, 200);
    for (bytes, name) in [(progressive, "p.jpg"), (png, "p.png")] {
        let name = Path::new(name);
        let top = decode_photo_top(&bytes, name, &limits, 20).unwrap();
        assert!(top.is_whole(), "{}", name.display());
        let whole = decode_photo(&bytes, name, &limits).unwrap();
        assert_eq!(top.image.as_bytes(), whole.image.as_bytes());
    }
}

#[test]
fn top_rows_follow_the_exif_orientation() {
    let upright = image::RgbImage::from_fn(48, 160, |x, y| {
        image::Rgb([(x * 5) as u8, y as u8, ((x * y) % 251) as u8])
    });
    let limits = LoadLimits::default();
    let name = Path::new("turned.jpg");
    for orientation in 1..=8u16 {
        let bytes = crate::synth::oriented_jpeg(&upright, orientation, 90);
        let whole = decode_photo(&bytes, name, &limits).unwrap();
        let top = decode_photo_top(&bytes, name, &limits, 40).unwrap();
        assert_eq!(top.full_size, (48, 160), "orientation {orientation}");
        assert_eq!(top.orientation, whole.orientation);
        // Only orientations that keep the stored rows' order can stop early.
        assert_eq!(
            top.is_whole(),
            !matches!(orientation, 1 | 2),
            "orientation {orientation}"
        );
        assert_eq!(
            first_different_row(&top.image, &whole.image, 40),
            None,
            "orientation {orientation}"
        );
    }
}

/// `while_decoding` runs once, with the photo's size as displayed and whether its load may hold
/// a second copy (turned, EXIF 5–8, or anything but a sequential JPEG: a progressive one, a
/// PNG), for every photo whose pixels are decoded (whole or its top rows), and never for one
/// refused before that.
#[test]
fn work_beside_the_decoding_sees_the_displayed_size_once() {
    use crate::synth::{encode_jpeg, oriented_jpeg, ExifTags};
    use std::sync::Mutex;

    let seen = Mutex::new(Vec::new());
    let record = |decoding: Decoding, _: &AtomicBool| seen.lock().unwrap().push(decoding);
    let limits = LoadLimits::default();
    let name = Path::new("p.jpg");
    let upright = image::RgbImage::from_fn(48, 160, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let mut photos: Vec<(String, Vec<u8>, bool)> = (1..=8u16)
        .map(|orientation| {
            (
                format!("orientation {orientation}"),
                oriented_jpeg(&upright, orientation, 90),
                orientation >= 5,
            )
        })
        .collect();
    let progressive = textured_jpeg(48, 160, jpeg_encoder::SamplingFactor::F_2_2, true, 0);
    photos.push(("progressive".into(), progressive, true));
    photos.push(("png".into(), png_bytes(48, 160), true));
    for (photo, bytes, second_copy) in photos {
        for rows in [None, Some(40)] {
            let decoded = decode(&bytes, name, &limits, rows, Vec::new(), Some(record)).unwrap();
            assert_eq!(decoded.full_size, (48, 160));
            let calls = std::mem::take(&mut *seen.lock().unwrap());
            let expected = Decoding {
                displayed: (48, 160),
                second_copy,
            };
            assert_eq!(calls, [expected], "{photo}, rows {rows:?}");
        }
    }

    let png = png_bytes(10, 10);
    let small = LoadLimits {
        max_pixels: 99,
        ..limits
    };
    let jpeg = encode_jpeg(&upright, 90, &ExifTags::default());
    let truncated = &jpeg[..jpeg.len() - 2];
    assert!(decode(&png, name, &small, None, Vec::new(), Some(record)).is_err());
    assert!(decode(
        b"not a photo",
        name,
        &limits,
        None,
        Vec::new(),
        Some(record)
    )
    .is_err());
    assert!(decode(b"", name, &limits, None, Vec::new(), Some(record)).is_err());
    assert!(decode(truncated, name, &limits, None, Vec::new(), Some(record)).is_err());
    assert!(seen.lock().unwrap().is_empty(), "run for a refused photo");
}

/// `beside` runs its work exactly once, at the same time as the decoding (which below waits
/// for the work's message, so it would time out if the work ran only after it), on a thread
/// of its own both outside a pool and on a pool's thread (never as a job of the pool, whose
/// threads could measure other photos while they wait for it). Its flag is unset while the
/// decoding runs and set once it is done (work waiting for it ends).
#[test]
fn work_beside_the_decoding_runs_once_while_the_decoding_runs() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;
    use std::time::Duration;

    let runs = &AtomicUsize::new(0);
    let meet = || {
        let (sent, received) = mpsc::channel();
        let decoding = move || received.recv_timeout(Duration::from_secs(20)).is_ok();
        let work = move |done: &AtomicBool| {
            assert!(!done.load(Ordering::SeqCst), "done before the decoding");
            let thread = std::thread::current();
            assert_eq!(thread.name(), Some(BESIDE_THREAD_NAME));
            assert_eq!(rayon::current_thread_index(), None);
            runs.fetch_add(1, Ordering::SeqCst);
            sent.send(()).unwrap();
        };
        (decoding, work)
    };

    // Outside a pool, the global pool's size decides (one thread on a one-core machine).
    let outside = usize::from(rayon::current_num_threads() > 1);
    if outside == 1 {
        let (decoding, work) = meet();
        assert!(beside(decoding, Some(work)), "outside a pool");
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    for k in 0..10 {
        let (decoding, work) = meet();
        assert!(
            pool.install(|| beside(decoding, Some(work))),
            "in a pool, {k}"
        );
    }
    assert_eq!(runs.load(Ordering::SeqCst), outside + 10);

    let nothing = Decoding {
        displayed: (1, 1),
        second_copy: false,
    };
    let no_work = NO_WORK.map(|work| move |done: &AtomicBool| work(nothing, done));
    assert_eq!(beside(|| 5, no_work), 5);

    // Work that runs until the decoding is done ends.
    let until_done = |done: &AtomicBool| {
        let start = std::time::Instant::now();
        while !done.load(Ordering::SeqCst) {
            assert!(start.elapsed() < Duration::from_secs(20), "never set");
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    assert_eq!(beside(|| 7, Some(until_done)), 7);
}

/// In a pool of one thread, `beside` starts no thread: the work runs on the caller's thread,
/// in full (its flag never set), before the decoding.
#[test]
fn on_one_thread_the_work_runs_first_on_that_thread() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let caller = pool.install(|| std::thread::current().id());
    let order = &AtomicUsize::new(0);
    let (work_at, decoded_at) = pool.install(|| {
        let work = |done: &AtomicBool| {
            assert!(!done.load(Ordering::SeqCst), "done before the decoding");
            assert_eq!(std::thread::current().id(), caller);
            order.fetch_add(1, Ordering::SeqCst)
        };
        let work_at = &AtomicUsize::new(usize::MAX);
        let decoded_at = beside(
            || {
                assert_eq!(std::thread::current().id(), caller);
                order.fetch_add(1, Ordering::SeqCst)
            },
            Some(|done: &AtomicBool| work_at.store(work(done), Ordering::SeqCst)),
        );
        (work_at.load(Ordering::SeqCst), decoded_at)
    });
    assert_eq!(
        (work_at, decoded_at),
        (0, 1),
        "the work first, then the decoding"
    );
}

/// Every kind of pixels decodes to what the `image` crate's own decoding gives, colour type and
/// bytes: 8-bit kinds into the buffer whose pages the work beside the decoding faults in ahead
/// of the decoder (with and without that work, whole and top rows), wider ones through
/// `from_decoder`.
#[test]
fn pixels_decode_as_the_image_crate_decodes_them_with_or_without_work_beside() {
    use image::{DynamicImage as D, ImageFormat};
    let rgb = textured_jpeg(200, 301, jpeg_encoder::SamplingFactor::F_2_2, false, 0);
    let colours = image::load_from_memory(&rgb).unwrap();
    let encode = |image: D, format: ImageFormat| {
        let mut out = std::io::Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    };
    let photos = [
        ("rgb.jpg", rgb.clone()),
        (
            "gray.jpg",
            encode(D::ImageLuma8(colours.to_luma8()), ImageFormat::Jpeg),
        ),
        (
            "rgb.png",
            encode(D::ImageRgb8(colours.to_rgb8()), ImageFormat::Png),
        ),
        (
            "rgba.png",
            encode(D::ImageRgba8(colours.to_rgba8()), ImageFormat::Png),
        ),
        (
            "la.png",
            encode(D::ImageLumaA8(colours.to_luma_alpha8()), ImageFormat::Png),
        ),
        (
            "gray16.png",
            encode(D::ImageLuma16(colours.to_luma16()), ImageFormat::Png),
        ),
        (
            "rgb16.png",
            encode(D::ImageRgb16(colours.to_rgb16()), ImageFormat::Png),
        ),
    ];
    let limits = LoadLimits::default();
    let work = |_: Decoding, _: &AtomicBool| {};
    // The allocation an image's pixels are in: its capacity (bytes), 8-bit kinds only.
    let capacity = |image: D| match image {
        D::ImageLuma8(image) => Some(image.into_raw().capacity()),
        D::ImageLumaA8(image) => Some(image.into_raw().capacity()),
        D::ImageRgb8(image) => Some(image.into_raw().capacity()),
        D::ImageRgba8(image) => Some(image.into_raw().capacity()),
        _ => None,
    };
    for (name, bytes) in photos {
        let expected = image::load_from_memory(&bytes).unwrap();
        let path = Path::new(name);
        let expected_bytes = expected.as_bytes().len();
        // A previous photo's buffer, full of other bytes: large enough (and larger than any
        // fresh allocation for this photo would be), or too small.
        let large = vec![0xAB; 2 * expected_bytes];
        let small = vec![0xAB; 10];
        for rows in [None, Some(40)] {
            for (reuse, reused) in [(&Vec::new(), false), (&large, true), (&small, false)] {
                for with_work in [true, false] {
                    let reuse = reuse.clone();
                    let decoded = if with_work {
                        decode(&bytes, path, &limits, rows, reuse, Some(work))
                    } else {
                        decode(&bytes, path, &limits, rows, reuse, NO_WORK)
                    };
                    let context =
                        format!("{name}, rows {rows:?}, reused {reused}, work {with_work}");
                    let image = decoded.unwrap().image;
                    assert_eq!(image.color(), expected.color(), "{context}");
                    assert_eq!(image.width(), expected.width(), "{context}");
                    let len = image.as_bytes().len();
                    assert_eq!(image.as_bytes(), &expected.as_bytes()[..len], "{context}");
                    // Top rows of a one-scan JPEG only; the rest decode whole.
                    let whole = rows.is_none() || !name.ends_with(".jpg");
                    assert_eq!(image.height() == expected.height(), whole, "{context}");
                    // 8-bit pixels in the buffer handed over when it holds them, else in one
                    // of their own size; wider ones in the image `from_decoder` makes.
                    let own = if reused { large.len() } else { len };
                    let eight_bit = !name.contains("16");
                    assert_eq!(capacity(image), eight_bit.then_some(own), "{context}");
                }
            }
        }
    }
}

/// The capture date keeps its time of day when that is one, and its calendar day alone when
/// the time is out of range; an unset or impossible date is no date.
#[test]
fn capture_dates_from_exif_are_days_that_exist() {
    use crate::synth::ExifTags;
    let date_of = |dto: &str| {
        exif_date_time_original(
            &ExifTags {
                date_time_original: Some(dto.into()),
                ..ExifTags::default()
            }
            .to_tiff_bytes(),
        )
    };
    for (exif, report) in [
        ("2024:03:15 10:20:30", "2024-03-15T10:20:30"),
        ("2024:03:15 23:59:59", "2024-03-15T23:59:59"),
        ("2024:03:15 24:00:00", "2024-03-15"),
        ("2024:03:15 12:60:00", "2024-03-15"),
    ] {
        assert_eq!(date_of(exif).as_deref(), Some(report), "{exif}");
    }
    assert_eq!(date_of("0000:00:00 00:00:00"), None);
    assert_eq!(date_of("2023:02:29 10:00:00"), None);
}

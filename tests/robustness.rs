//! Robustness (issue 7): a corpus of broken and unusual photos with the expected error or result
//! for each, decompression bombs refused from their header, and every input the fuzzers found
//! interesting (`tests/corpus/`) replayed: each must end in a value or an error, never a panic.

mod common;

use std::io::Cursor;
use std::path::Path;

use common::*;
use image::{DynamicImage, ImageFormat, RgbImage};
use smptrack::load::decode_photo;
use smptrack::manifest::parse_manifest;
use smptrack::{analyze_photo, Error, LoadLimits, Region, SessionInput};

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut buf = Cursor::new(Vec::new());
    img.write_to(&mut buf, format).expect("encode fixture");
    buf.into_inner()
}

fn session(name: &str) -> SessionInput {
    SessionInput {
        photo: name.into(),
        path: name.into(),
        label: None,
        date: None,
        region: None,
        region_source: "region".into(),
        px_per_mm: Some(PX_PER_MM),
    }
}

/// What a file of the corpus must give.
#[derive(Debug)]
enum Expect {
    /// Decodes to `width` × `height` and is measured: `dots` is whether dots are found.
    Measured { width: u32, height: u32, dots: bool },
    /// Fails with an error of this kind whose message contains the text.
    Fails(&'static str, &'static str),
}

fn kind(e: &Error) -> &'static str {
    match e {
        Error::Decode { .. } => "Decode",
        Error::NotAnImage { .. } => "NotAnImage",
        Error::TooLarge { .. } => "TooLarge",
        Error::Region { .. } => "Region",
        _ => "other",
    }
}

/// A baseline JPEG of `img` in CMYK (Adobe APP14, inverted as Photoshop writes it).
fn cmyk_jpeg(img: &RgbImage) -> Vec<u8> {
    let mut cmyk = Vec::with_capacity(img.len() / 3 * 4);
    for p in img.pixels() {
        let [r, g, b] = p.0.map(|c| f32::from(c) / 255.0);
        let k = 1.0 - r.max(g).max(b);
        let ink = |c: f32| {
            if k < 1.0 {
                (1.0 - c - k) / (1.0 - k)
            } else {
                0.0
            }
        };
        cmyk.extend([ink(r), ink(g), ink(b), k].map(|v| (v * 255.0).round() as u8));
    }
    let mut out = Vec::new();
    let encoder = jpeg_encoder::Encoder::new(&mut out, 92);
    encoder
        .encode(
            &cmyk,
            img.width() as u16,
            img.height() as u16,
            jpeg_encoder::ColorType::Cmyk,
        )
        .expect("encode CMYK JPEG");
    out
}

/// `jpeg` with the frame header's size replaced by `width` × `height`.
fn jpeg_declaring(jpeg: &[u8], width: u16, height: u16) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let sof = out
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline frame header");
    out[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    out
}

#[test]
fn every_broken_or_unusual_file_gives_its_expected_result() {
    use Expect::*;
    let img = scene_image(81);
    let (w, h) = (WIDTH, HEIGHT);
    let rgb = DynamicImage::ImageRgb8(img.clone());
    let png8 = png(&img);
    let jpg = jpeg(&img);
    let mut transparent = rgb.to_rgba8();
    for p in transparent.pixels_mut() {
        p.0[3] = 0;
    }
    let one = DynamicImage::ImageRgb8(RgbImage::from_pixel(1, 1, image::Rgb([200, 150, 120])));
    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("zero bytes", vec![], Fails("Decode", "empty")),
        (
            "JPEG cut in half",
            jpg[..jpg.len() / 2].to_vec(),
            Fails("Decode", "truncated"),
        ),
        (
            "JPEG without its last 2 bytes",
            jpg[..jpg.len() - 2].to_vec(),
            Fails("Decode", "truncated"),
        ),
        (
            "JPEG header only",
            jpg[..200].to_vec(),
            Fails("Decode", "truncated"),
        ),
        (
            "JPEG with bytes overwritten mid-scan",
            overwritten_mid_scan(&jpg),
            Fails("Decode", "coded data is damaged"),
        ),
        (
            "JPEG cut in half, closed with an end-of-image marker",
            [&jpg[..jpg.len() / 2], &[0xFF, 0xD9][..]].concat(),
            Fails("Decode", "coded data ends early"),
        ),
        (
            "PNG cut in half",
            png8[..png8.len() / 2].to_vec(),
            Fails("Decode", ""),
        ),
        (
            "PNG signature only",
            png8[..8].to_vec(),
            Fails("Decode", ""),
        ),
        (
            "text named .jpg",
            b"session notes\n".to_vec(),
            Fails("NotAnImage", "not a JPEG, PNG"),
        ),
        (
            "GIF named .png",
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(),
            Fails("NotAnImage", ""),
        ),
        ("BMP named .jpg", encode_bmp(), Fails("NotAnImage", "")),
        (
            "PNG named .jpg",
            png8.clone(),
            Measured {
                width: w,
                height: h,
                dots: true,
            },
        ),
        (
            "1×1 PNG",
            encode(&one, ImageFormat::Png),
            Measured {
                width: 1,
                height: 1,
                dots: false,
            },
        ),
        (
            "1×1 JPEG",
            encode(&one, ImageFormat::Jpeg),
            Measured {
                width: 1,
                height: 1,
                dots: false,
            },
        ),
        (
            "16-bit RGB PNG",
            encode(&DynamicImage::ImageRgb16(rgb.to_rgb16()), ImageFormat::Png),
            Measured {
                width: w,
                height: h,
                dots: true,
            },
        ),
        (
            "16-bit grey PNG",
            encode(
                &DynamicImage::ImageLuma16(rgb.to_luma16()),
                ImageFormat::Png,
            ),
            Measured {
                width: w,
                height: h,
                dots: true,
            },
        ),
        (
            "RGBA PNG",
            encode(&DynamicImage::ImageRgba8(rgb.to_rgba8()), ImageFormat::Png),
            Measured {
                width: w,
                height: h,
                dots: true,
            },
        ),
        (
            "grey+alpha PNG",
            encode(
                &DynamicImage::ImageLumaA8(rgb.to_luma_alpha8()),
                ImageFormat::Png,
            ),
            Measured {
                width: w,
                height: h,
                dots: true,
            },
        ),
        // Alpha is ignored: the colour channels are measured as they are.
        (
            "fully transparent RGBA PNG",
            encode(&DynamicImage::ImageRgba8(transparent), ImageFormat::Png),
            Measured {
                width: w,
                height: h,
                dots: true,
            },
        ),
        (
            "CMYK JPEG",
            cmyk_jpeg(&img),
            Measured {
                width: w,
                height: h,
                dots: true,
            },
        ),
        (
            "JPEG declaring 65000×65000",
            jpeg_declaring(&jpg, 65_000, 65_000),
            Fails("TooLarge", "per side"),
        ),
        (
            "JPEG declaring 30000×30000",
            jpeg_declaring(&jpg, 30_000, 30_000),
            Fails("TooLarge", "MP"),
        ),
        (
            "PNG declaring 100000×100000",
            png_declaring(100_000, 100_000),
            Fails("TooLarge", "per side"),
        ),
        (
            "PNG declaring 30000×30000",
            png_declaring(30_000, 30_000),
            Fails("TooLarge", "MP"),
        ),
        // Refused by the PNG decoder itself, before its size can be read: the message still
        // says what the limits are (it said only "Memory limit exceeded").
        (
            "PNG declaring 2147483647×2147483647",
            png_declaring(i32::MAX as u32, i32::MAX as u32),
            Fails(
                "TooLarge",
                "its header declares an image over the limits (32768 px per side, 200 MP, \
                 1536 MiB of decoded pixels)",
            ),
        ),
    ];
    let limits = LoadLimits::default();
    for (what, bytes, expect) in cases {
        let name = Path::new("photo.jpg");
        let result = decode_photo(&bytes, name, &limits)
            .and_then(|photo| analyze_photo(&photo, &session("photo.jpg")));
        match (&expect, result) {
            (
                Measured {
                    width,
                    height,
                    dots,
                },
                Ok(a),
            ) => {
                let size = a.report.context.image;
                assert_eq!((size.width, size.height), (*width, *height), "{what}");
                assert!(
                    *dots || !a.report.warnings.is_empty(),
                    "{what}: no dots and no warning"
                );
                assert_eq!(
                    a.metrics.dot_count > 0,
                    *dots,
                    "{what}: {} dots",
                    a.metrics.dot_count
                );
            }
            (Fails(k, text), Err(e)) => {
                let message = e.to_string();
                assert_eq!(kind(&e), *k, "{what}: {message}");
                assert!(message.contains(text), "{what}: {message}");
                assert!(message.contains("photo.jpg"), "{what}: {message}");
                assert!(!message.contains('\n'), "{what}: {message}");
            }
            (expect, got) => panic!("{what}: expected {expect:?}, got {got:?}"),
        }
    }
}

/// `jpeg` with four bytes in the middle of its scan overwritten by 0xFF 0x5A (no marker at all).
fn overwritten_mid_scan(jpeg: &[u8]) -> Vec<u8> {
    let scan = (2..jpeg.len() - 1)
        .find(|&i| jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA)
        .unwrap();
    let middle = (scan + jpeg.len()) / 2;
    let mut out = jpeg.to_vec();
    out[middle..middle + 4].copy_from_slice(&[0xFF, 0x5A, 0x13, 0x37]);
    out
}

/// An all-black photo reads its skin as black (L* 0) and warns that it is underexposed: the
/// skin field found no skin in any block (a strict comparison, 0 > 0) and was filled white, so
/// the report said skin L* 100 and gave no exposure warning.
#[test]
fn an_all_black_photo_is_underexposed() {
    let black = DynamicImage::ImageRgb8(RgbImage::new(400, 300));
    let photo = decode_photo(
        &encode(&black, ImageFormat::Png),
        Path::new("black.png"),
        &LoadLimits::default(),
    )
    .unwrap();
    let a = analyze_photo(&photo, &session("black.png")).unwrap();
    assert_eq!(a.metrics.dot_count, 0);
    assert_eq!(a.report.metrics.skin_lightness, Some(0.0));
    assert!(
        a.report
            .warnings
            .iter()
            .any(|w| w.starts_with("the photo is underexposed (skin at L* 0)")),
        "{:?}",
        a.report.warnings
    );
}

/// A 2×2 BMP (a format we do not read).
fn encode_bmp() -> Vec<u8> {
    let mut out = b"BM".to_vec();
    out.extend(70u32.to_le_bytes());
    out.extend([0; 4]);
    out.extend(54u32.to_le_bytes());
    out.extend(40u32.to_le_bytes());
    out.extend(2i32.to_le_bytes());
    out.extend(2i32.to_le_bytes());
    out.extend(1u16.to_le_bytes());
    out.extend(24u16.to_le_bytes());
    out.extend([0; 24]);
    out.extend([0x80; 16]);
    out
}

#[test]
fn bombs_are_refused_from_the_header_on_the_command_line() {
    let fx = Fixture::new();
    let jpg = jpeg(&scene_image(82));
    fx.write("bomb.jpg", jpeg_declaring(&jpg, 65_000, 65_000));
    fx.write("bomb.png", png_declaring(100_000, 100_000));
    for name in ["bomb.jpg", "bomb.png"] {
        let out = fx.cmd().args(["analyze", name]).output().unwrap();
        assert_failed(&out, 1, &[name, "too large"]);
    }
}

/// A device or a pipe has no size to check before reading: it is read only up to the limit,
/// then refused (/dev/zero as a photo was read until the kernel killed the process at ≈ 11 GB).
#[cfg(target_os = "linux")]
#[test]
fn an_endless_stream_is_read_only_up_to_the_limit() {
    let fx = Fixture::new();
    let out = fx
        .cmd()
        .args(["analyze", "--max-memory-mib", "64", "/dev/zero"])
        .output()
        .unwrap();
    assert_failed(&out, 1, &["/dev/zero", "too large", "more than 64 MiB"]);
    let out = fx
        .cmd()
        .args(["analyze", "--manifest", "/dev/zero"])
        .output()
        .unwrap();
    assert_failed(&out, 1, &["/dev/zero", "more than the 16777216-byte limit"]);
}

/// Damaged JPEGs that a lenient decoder measures as if whole (grey or filler below the damage)
/// are refused, and no report is written.
#[test]
fn damaged_jpegs_are_refused_on_the_command_line() {
    let fx = Fixture::new();
    let jpg = jpeg(&scene_image(84));
    fx.write("overwritten.jpg", overwritten_mid_scan(&jpg));
    fx.write(
        "closed.jpg",
        [&jpg[..jpg.len() / 2], &[0xFF, 0xD9][..]].concat(),
    );
    for (name, why) in [
        ("overwritten.jpg", "coded data is damaged"),
        ("closed.jpg", "coded data ends early"),
    ] {
        let out = fx
            .cmd()
            .args(["analyze", name, "-o", "report.json"])
            .output()
            .unwrap();
        assert_failed(&out, 1, &[name, why]);
        assert!(!fx.path("report.json").exists());
    }
}

#[test]
fn dimension_and_memory_limits_can_be_lowered_and_raised() {
    let fx = Fixture::new();
    let img = DynamicImage::ImageRgb8(scene_image(83));
    fx.write("p.png", png(&img.to_rgb8()));
    // 320 × 240 × 8 bytes (16-bit RGBA) = 600 KiB decoded.
    fx.write(
        "p16.png",
        encode(
            &DynamicImage::ImageRgba16(img.to_rgba16()),
            ImageFormat::Png,
        ),
    );
    let out = fx
        .cmd()
        .args(["analyze", "--max-dimension", "300", "p.png"])
        .output()
        .unwrap();
    assert_failed(&out, 1, &["p.png", "too large", "300 px per side"]);
    run_ok(
        fx.cmd()
            .args(["analyze", "-q", "--max-dimension", "320", "p.png"]),
    );
    // 1 MiB suffices for 16-bit RGBA, which the default also allows; raised for a huge photo.
    run_ok(
        fx.cmd()
            .args(["analyze", "-q", "--max-memory-mib", "1", "p16.png"]),
    );
    fx.write(
        "big16.png",
        encode(
            &DynamicImage::ImageRgba16(image::imageops::resize(
                &img.to_rgba16(),
                640,
                480,
                image::imageops::FilterType::Nearest,
            )),
            ImageFormat::Png,
        ),
    );
    let out = fx
        .cmd()
        .args(["analyze", "--max-memory-mib", "1", "big16.png"])
        .output()
        .unwrap();
    // 640 × 480 × 8 B = 2.3 MiB, rounded up (rounded down it read "needs 1 MiB, over the
    // limit of 1 MiB").
    assert_failed(
        &out,
        1,
        &[
            "big16.png",
            "too large",
            "decoding needs 3 MiB, over the limit of 1 MiB",
        ],
    );
    for bad in [
        ["--max-dimension", "0"],
        ["--max-dimension", "x"],
        ["--max-memory-mib", "0"],
        ["--max-memory-mib", "-3"],
    ] {
        let out = fx
            .cmd()
            .arg("analyze")
            .args(bad)
            .arg("p.png")
            .output()
            .unwrap();
        assert_failed(&out, 2, &[bad[0]]);
    }
}

/// The limits the photo fuzz target runs with (`fuzz/fuzz_targets/decode_analyze.rs`).
const FUZZ_LIMITS: LoadLimits = LoadLimits {
    max_side: 512,
    max_pixels: 128 * 128,
    max_decoded_bytes: 1 << 20,
};

#[test]
fn the_photo_corpus_ends_in_a_value_or_an_error() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/photos");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        // As the fuzz target: the first byte picks region and scale, the rest is the file.
        let Some((&knob, bytes)) = data.split_first() else {
            continue;
        };
        n += 1;
        for limits in [FUZZ_LIMITS, LoadLimits::default()] {
            let Ok(photo) = decode_photo(bytes, &path, &limits) else {
                continue;
            };
            let (w, h) = (photo.image.width(), photo.image.height());
            let mut s = session("fuzz.bin");
            s.px_per_mm = (knob & 2 == 2).then_some(f64::from(knob >> 2) + 1.0);
            s.region = (knob & 1 == 1).then(|| Region {
                x: w / 4,
                y: h / 4,
                width: (w / 2).max(1),
                height: (h / 2).max(1),
            });
            let _ = analyze_photo(&photo, &s);
        }
    }
    assert!(n > 0, "no corpus files in {}", dir.display());
}

#[test]
fn the_manifest_corpus_ends_in_a_value_or_an_error() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/manifests");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let _ = parse_manifest(&text, Path::new("fuzz.json"), Path::new("."));
        let _ = text.parse::<Region>();
        n += 1;
    }
    assert!(n > 0, "no corpus files in {}", dir.display());
}

// ---------------------------------------------------------------------------------------------
// Atomic output
// ---------------------------------------------------------------------------------------------

#[test]
fn a_failed_write_leaves_every_earlier_output_as_it_was() {
    let fx = Fixture::new();
    fx.write("s.png", png(&scene_image(84)));
    fx.write("r.json", "old report");
    fx.write("r.csv", "old csv");
    fx.write("ov/s.overlay.png", "old overlay");
    let before = fx.snapshot();
    // The HTML report is the last file and cannot be written (no one may create files in
    // /proc/self): the JSON, CSV and overlay written in full before it are never put in place.
    let out = fx
        .cmd()
        .args(["analyze", "-q", "s.png", "-o", "r.json", "--csv", "r.csv"])
        .args(["--overlay", "ov", "--html", "/proc/self/r.html"])
        .output()
        .unwrap();
    assert_failed(&out, 3, &["/proc/self/r.html"]);
    assert!(fx.snapshot() == before, "{:?}", fx.snapshot().keys());
    // The same run with a writable HTML path replaces all four.
    run_ok(
        fx.cmd()
            .args(["analyze", "-q", "s.png", "--csv", "r.csv"])
            .args(["--overlay", "ov", "--html", "r.html"]),
    );
    for (name, old) in [("r.csv", "old csv"), ("ov/s.overlay.png", "old overlay")] {
        assert_ne!(
            std::fs::read(fx.path(name)).unwrap(),
            old.as_bytes(),
            "{name}"
        );
    }
    let overlay = image::open(fx.path("ov/s.overlay.png")).expect("a whole PNG");
    assert!(overlay.width() > 0);
}

#[test]
fn a_rename_that_fails_leaves_no_temporary_file_and_earlier_files_whole() {
    let fx = Fixture::new();
    fx.write("a.json", "old a");
    fx.write("dir/keep.txt", "a folder cannot be replaced by a file");
    let files = vec![
        (fx.path("a.json"), b"new a".to_vec()),
        (fx.path("b.png"), b"new b".to_vec()),
        (fx.path("dir"), b"never".to_vec()),
    ];
    let e = smptrack::output::write_all_atomic(&files).unwrap_err();
    assert!(e.to_string().contains("dir"), "{e}");
    let snapshot = fx.snapshot();
    // Files renamed before the failure are whole (new contents); the folder is untouched.
    assert_eq!(snapshot["a.json"].as_deref(), Some(&b"new a"[..]));
    assert_eq!(snapshot["b.png"].as_deref(), Some(&b"new b"[..]));
    assert_eq!(snapshot["dir"], None);
    assert!(
        snapshot.keys().all(|k| !k.contains(".smptrack-")),
        "{:?}",
        snapshot.keys()
    );
}

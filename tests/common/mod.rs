//! Shared fixture helpers for the CLI tests: small synthetic session photos rendered at test time
//! into a temporary folder, and runners that check the binary's output.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use image::RgbImage;
use serde_json::Value;
use smptrack::synth::{
    encode_jpeg, encode_png, fade, place_dots, render, Camera, DotParams, ExifTags, Scene,
    SplitMix64,
};

/// Photo size used by most tests (px) and its scale (px/mm): 16 × 12 mm of scalp.
pub const WIDTH: u32 = 320;
pub const HEIGHT: u32 = 240;
pub const PX_PER_MM: f64 = 20.0;

/// A temporary working folder; removed when dropped.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Self {
        Fixture {
            dir: tempfile::Builder::new()
                .prefix("smptrack-cli-")
                .tempdir()
                .expect("temporary folder"),
        }
    }

    /// The folder's path.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `name` inside the folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `bytes` to `name` (creating sub-folders) and returns its path.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create fixture folder");
        }
        fs::write(&path, bytes).expect("write fixture");
        path
    }

    /// Every file and folder below the root (relative path → file bytes; folders map to
    /// `None`), hidden entries included, so leftover temporary files show up.
    pub fn snapshot(&self) -> BTreeMap<String, Option<Vec<u8>>> {
        fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Option<Vec<u8>>>) {
            let mut entries: Vec<_> = fs::read_dir(dir)
                .expect("list fixture folder")
                .map(|e| e.expect("folder entry").path())
                .collect();
            entries.sort();
            for path in entries {
                let rel = path
                    .strip_prefix(root)
                    .expect("below root")
                    .to_string_lossy()
                    .into_owned();
                if path.is_dir() {
                    out.insert(rel, None);
                    walk(root, &path, out);
                } else {
                    out.insert(rel, Some(fs::read(&path).expect("read fixture")));
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.root(), self.root(), &mut out);
        out
    }

    /// A `smptrack` command running in this folder.
    pub fn cmd(&self) -> Command {
        let mut cmd = smptrack();
        cmd.current_dir(self.root());
        cmd
    }
}

/// The `smptrack` binary under test, with rayon's thread count left to the machine (tests that
/// care set `RAYON_NUM_THREADS` themselves) and a time limit against hangs.
pub fn smptrack() -> Command {
    let mut cmd = Command::cargo_bin("smptrack").expect("smptrack binary");
    cmd.env_remove("RAYON_NUM_THREADS");
    cmd.timeout(std::time::Duration::from_secs(120));
    cmd
}

/// A camera looking at the scalp origin, `WIDTH` × `HEIGHT` at `PX_PER_MM`.
pub fn camera() -> Camera {
    Camera::new(WIDTH, HEIGHT, PX_PER_MM)
}

/// A realistic healed scene (skin type 3) as seen by `camera()`.
pub fn scene_image(seed: u64) -> RgbImage {
    let camera = camera();
    render(
        &Scene::typical(&camera, 3, &DotParams::healed(), seed),
        &camera,
    )
}

/// Three sessions of one scalp, as seen by `camera()`: a sparse first session, more dots added
/// in the second, then a faded follow-up of the same dots.
pub fn series_images(seed: u64) -> Vec<RgbImage> {
    let camera = camera();
    let mut scene = Scene::typical(&camera, 2, &DotParams::first_session(), seed);
    let first = render(&scene, &camera);
    let mut rng = SplitMix64::new(seed ^ 0x5eed);
    let more = place_dots(
        camera.visible_area_mm(),
        &DotParams::healed(),
        &scene.dots,
        &mut rng,
    );
    scene.dots.extend(more);
    let second = render(&scene, &camera);
    scene.dots = fade(&scene.dots, 0.7, 1.05, 0.1);
    let third = render(&scene, &camera);
    vec![first, second, third]
}

/// PNG bytes of `img` without EXIF.
pub fn png(img: &RgbImage) -> Vec<u8> {
    encode_png(img, &ExifTags::default())
}

/// JPEG (quality 92) bytes of `img` without EXIF.
pub fn jpeg(img: &RgbImage) -> Vec<u8> {
    encode_jpeg(img, 92, &ExifTags::default())
}

/// Runs `cmd`, asserts success without panics, and returns the report parsed from stdout with
/// the raw stdout and stderr.
pub fn run_ok(cmd: &mut Command) -> (Value, String, String) {
    let out = cmd.output().expect("run smptrack");
    let stdout = String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8");
    let stderr = String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8");
    assert!(
        out.status.success(),
        "smptrack failed ({:?}):\nstderr: {stderr}\nstdout: {stdout}",
        out.status.code()
    );
    assert_no_panic(&stderr);
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{stdout}\nstderr: {stderr}"));
    (report, stdout, stderr)
}

/// Fails the test if `stderr` shows a panic or an internal error.
pub fn assert_no_panic(stderr: &str) {
    for bad in ["panicked", "internal error", "RUST_BACKTRACE"] {
        assert!(!stderr.contains(bad), "stderr shows a panic: {stderr}");
    }
}

/// Checks a failed run: exit `code`, empty stdout, exactly one stderr line (after any progress
/// lines of photos that were measured before the failure) starting with `smptrack: ` and
/// containing every one of `mentions`. Returns that line.
pub fn assert_failed(out: &Output, code: i32, mentions: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_no_panic(&stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "expected exit {code}; stderr: {stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "stdout must be empty on failure, got: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !is_progress(l)).collect();
    assert_eq!(
        lines.len(),
        1,
        "expected exactly one error line on stderr, got: {stderr:?}"
    );
    assert!(
        stderr.ends_with('\n'),
        "stderr line unterminated: {stderr:?}"
    );
    let line = lines[0];
    assert!(line.starts_with("smptrack: "), "{line}");
    for m in mentions {
        assert!(
            line.contains(m),
            "error line does not mention {m:?}: {line}"
        );
    }
    line.to_string()
}

/// Whether `line` is a per-photo progress line (`smptrack: [i/n] …`).
pub fn is_progress(line: &str) -> bool {
    line.strip_prefix("smptrack: [")
        .and_then(|rest| rest.split_once(']'))
        .is_some_and(|(count, _)| {
            count
                .split_once('/')
                .is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok())
        })
}

/// CRC-32 (IEEE) as PNG chunks use it.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// One PNG chunk: length, type, data, CRC over type and data.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + data.len());
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc_input);
    out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    out
}

/// A tiny PNG whose valid IHDR declares a `width` × `height` 8-bit RGB image, followed by one
/// small IDAT and IEND: a decompression-bomb header.
pub fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit, RGB, deflate, no filter, no interlace
    out.extend(png_chunk(b"IHDR", &ihdr));
    // A zlib stream of a few zero bytes (stored block): far too little data, but well-formed.
    let idat = [
        0x78, 0x01, 0x01, 0x04, 0x00, 0xfb, 0xff, 0, 0, 0, 0, 0x00, 0x04, 0x00, 0x01,
    ];
    out.extend(png_chunk(b"IDAT", &idat));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

/// The sessions array of a report.
pub fn sessions(report: &Value) -> &Vec<Value> {
    report["sessions"].as_array().expect("sessions is an array")
}

/// A number field of a JSON object.
pub fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

/// Writes a three-session client into folder `dir` of `fx` (`""` for the root): photos
/// `s1.png`, `s2.png`, `s3.jpg` rendered from `series_images(seed)`, and manifest `m.json` with
/// `client`, `labels`, dates 2026-01-10 / 02-01 / 07-30, the test scale and a target of
/// 120 dots/cm².
pub fn write_three_session_client(
    fx: &Fixture,
    dir: &str,
    seed: u64,
    client: &str,
    labels: [&str; 3],
) {
    let images = series_images(seed);
    let names = ["s1.png", "s2.png", "s3.jpg"];
    let at = |name: &str| {
        if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        }
    };
    fx.write(&at(names[0]), png(&images[0]));
    fx.write(&at(names[1]), png(&images[1]));
    fx.write(&at(names[2]), jpeg(&images[2]));
    let dates = ["2026-01-10", "2026-02-01", "2026-07-30"];
    let sessions: Vec<Value> = (0..3)
        .map(|i| {
            serde_json::json!({
                "photo": names[i],
                "label": labels[i],
                "date": dates[i],
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "client": client, "px_per_mm": PX_PER_MM, "target_density_per_cm2": 120,
        "sessions": sessions,
    });
    fx.write(&at("m.json"), manifest.to_string());
}

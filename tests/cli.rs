//! Integration tests of the `smptrack analyze` command line (issue 2): every option, the report's
//! exact key set, every bad-input case, EXIF orientation and dates, determinism across runs and
//! thread counts, and the image formats we read.
//!
//! Every fixture is rendered at test time by `smptrack::synth` into a temporary folder (small
//! 320×240 scenes at 20 px/mm). Measured numbers are never hard-coded: the measuring code is
//! still changing, so tests compare runs with each other or with the report's own formulas.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::time::{Duration, Instant};

use common::*;
use image::{DynamicImage, ImageFormat, RgbImage};
use serde_json::Value;
use smptrack::synth::{encode_jpeg, encode_png, store_with_orientation, ExifTags};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Writes the three-session series as s1.png, s2.png, s3.jpg; returns the names.
fn write_series(fx: &Fixture, seed: u64) -> Vec<&'static str> {
    let images = series_images(seed);
    fx.write("s1.png", png(&images[0]));
    fx.write("s2.png", png(&images[1]));
    fx.write("s3.jpg", jpeg(&images[2]));
    vec!["s1.png", "s2.png", "s3.jpg"]
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn set<'a>(names: &[&'a str]) -> BTreeSet<&'a str> {
    names.iter().copied().collect()
}

/// The measured fields of a session (everything that depends only on pixels, region and scale).
const MEASURED: [&str; 19] = [
    "image",
    "region",
    "px_per_mm",
    "region_area_cm2",
    "dot_count",
    "density_per_cm2",
    "coverage_pct",
    "hair_coverage_pct",
    "mean_dot_diameter_px",
    "mean_dot_diameter_mm",
    "pigment_lightness",
    "skin_lightness",
    "darkness",
    "edge_softness",
    "dot_diameter_px",
    "dot_diameter_mm",
    "pigment_lab",
    "skin_lab",
    "uniformity",
];

fn assert_same_measurement(a: &Value, b: &Value, what: &str) {
    for key in MEASURED {
        assert_eq!(a[key], b[key], "{what}: {key} differs:\n{a}\n{b}");
    }
}

fn assert_close(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} is not within {tolerance} of {expected}"
    );
}

/// Checks each later session's `change` against the differences of the printed values.
fn assert_changes_are_differences(report: &Value) {
    let sessions = sessions(report);
    assert!(
        sessions[0]["change"].is_null(),
        "first session has a change"
    );
    for pair in sessions.windows(2) {
        let (prev, cur) = (&pair[0], &pair[1]);
        let change = &cur["change"];
        assert_eq!(
            change["dot_count"].as_i64().unwrap(),
            cur["dot_count"].as_i64().unwrap() - prev["dot_count"].as_i64().unwrap(),
            "change.dot_count of {cur}"
        );
        for key in ["density_per_cm2", "coverage_pct", "darkness"] {
            match (prev[key].as_f64(), cur[key].as_f64()) {
                (Some(p), Some(c)) => {
                    assert_close(num(change, key), c - p, 1e-9, &format!("change.{key}"))
                }
                _ => assert!(
                    change[key].is_null(),
                    "change.{key} should be null: {change}"
                ),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

#[test]
fn photos_are_sessions_in_order_with_changes() {
    let fx = Fixture::new();
    let names = write_series(&fx, 11);
    let (report, _, _) = run_ok(fx.cmd().arg("analyze").args(&names));
    let s = sessions(&report);
    assert_eq!(s.len(), 3);
    for (session, name) in s.iter().zip(&names) {
        assert_eq!(session["photo"], *name);
        assert_eq!(session["image"]["width"], WIDTH);
        assert_eq!(session["image"]["height"], HEIGHT);
        assert_eq!(
            session["region"],
            serde_json::json!({"x": 0, "y": 0, "width": WIDTH, "height": HEIGHT}),
            "default region is the whole photo"
        );
        // Without a scale every scale-dependent number is null.
        for key in [
            "px_per_mm",
            "region_area_cm2",
            "density_per_cm2",
            "mean_dot_diameter_mm",
        ] {
            assert!(session[key].is_null(), "{key} without a scale: {session}");
        }
        assert!(session["dot_count"].as_u64().unwrap() > 0);
        assert!(session["mean_dot_diameter_px"].as_f64().unwrap() > 0.0);
        let coverage = num(session, "coverage_pct");
        assert!((0.0..=100.0).contains(&coverage));
        let darkness = num(session, "darkness");
        assert!((0.0..=1.0).contains(&darkness));
        assert!(session["label"].is_null() && session["date"].is_null());
        assert!(session["warnings"].is_array());
    }
    assert_changes_are_differences(&report);
    for session in &s[1..] {
        assert!(session["change"]["days"].is_null(), "no dates, no days");
        assert!(session["change"]["density_per_cm2"].is_null());
    }
    // Dots were added in session 2: the series must show it.
    assert!(s[1]["dot_count"].as_u64() > s[0]["dot_count"].as_u64());

    // In the reverse order, the same photos measure the same, listed in the new order.
    let reversed: Vec<&str> = names.iter().rev().copied().collect();
    let (back, _, _) = run_ok(fx.cmd().arg("analyze").args(&reversed));
    let b = sessions(&back);
    for (i, session) in b.iter().enumerate() {
        assert_eq!(session["photo"], reversed[i]);
        assert_same_measurement(session, &s[2 - i], reversed[i]);
    }
    assert_changes_are_differences(&back);
}

#[test]
fn px_per_mm_gives_area_density_and_millimetres() {
    let fx = Fixture::new();
    let names = write_series(&fx, 12);
    for scale in [20.0, 23.5] {
        let (report, _, _) = run_ok(
            fx.cmd()
                .args(["analyze", "--px-per-mm", &scale.to_string()])
                .args(&names),
        );
        for session in sessions(&report) {
            assert_eq!(num(session, "px_per_mm"), scale);
            let area = f64::from(WIDTH) * f64::from(HEIGHT) / (scale * scale) / 100.0;
            assert_close(
                num(session, "region_area_cm2"),
                area,
                0.5e-4 + 1e-12,
                "area",
            );
            let count = session["dot_count"].as_u64().unwrap() as f64;
            assert_close(
                num(session, "density_per_cm2"),
                count / area,
                0.05 + 1e-9,
                "density = dot_count / area",
            );
            let px = num(session, "mean_dot_diameter_px");
            assert_close(
                num(session, "mean_dot_diameter_mm"),
                px / scale,
                0.5e-3 + 0.005 / scale + 1e-9,
                "diameter mm = px / scale",
            );
        }
        assert_changes_are_differences(&report);
        // With a scale on both sides the density change is known.
        assert!(sessions(&report)[1]["change"]["density_per_cm2"].is_number());
    }
}

#[test]
fn region_is_reported_and_counts_only_its_dots() {
    let fx = Fixture::new();
    fx.write("p.png", png(&scene_image(21)));
    let (whole, _, _) = run_ok(fx.cmd().args(["analyze", "p.png"]));
    let whole = &sessions(&whole)[0];

    let (part, _, _) = run_ok(fx.cmd().args([
        "analyze",
        "--region",
        "40,30,120,90",
        "--px-per-mm",
        "20",
        "p.png",
    ]));
    let part = &sessions(&part)[0];
    assert_eq!(
        part["region"],
        serde_json::json!({"x": 40, "y": 30, "width": 120, "height": 90})
    );
    assert_eq!(part["image"], whole["image"]);
    let (n_part, n_whole) = (
        part["dot_count"].as_u64().unwrap(),
        whole["dot_count"].as_u64().unwrap(),
    );
    assert!(n_part > 0 && n_part < n_whole, "{n_part} vs {n_whole}");
    // The area is the region's, not the photo's.
    assert_close(
        num(part, "region_area_cm2"),
        120.0 * 90.0 / 400.0 / 100.0,
        1e-12,
        "region area",
    );
    assert_close(
        num(part, "density_per_cm2"),
        n_part as f64 / 0.27,
        0.05 + 1e-9,
        "region density",
    );

    // Spaces around the numbers are accepted; a region equal to the whole photo is the default.
    let (full, _, _) = run_ok(
        fx.cmd()
            .args(["analyze", "--region", "0, 0, 320, 240", "p.png"]),
    );
    assert_same_measurement(&sessions(&full)[0], whole, "explicit whole region");
    // The region may touch the photo's far edges.
    let (corner, _, _) = run_ok(
        fx.cmd()
            .args(["analyze", "--region", "319,239,1,1", "p.png"]),
    );
    assert_eq!(
        sessions(&corner)[0]["region"],
        serde_json::json!({"x": 319, "y": 239, "width": 1, "height": 1})
    );
}

#[test]
fn output_file_holds_the_report_and_nothing_else_is_left() {
    let fx = Fixture::new();
    let names = write_series(&fx, 13);
    let (_, stdout, _) = run_ok(fx.cmd().arg("analyze").args(&names));
    let before = fx.snapshot();

    let out = fx
        .cmd()
        .arg("analyze")
        .args(&names)
        .args(["-o", "report.json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "stdout must be empty with -o");
    assert_eq!(fs::read_to_string(fx.path("report.json")).unwrap(), stdout);
    let mut expected: BTreeSet<String> = before.keys().cloned().collect();
    expected.insert("report.json".into());
    let after: BTreeSet<String> = fx.snapshot().keys().cloned().collect();
    assert_eq!(
        after, expected,
        "only report.json is new (no temporary files)"
    );

    // An existing file is replaced, via --output too, and into a sub-folder.
    fs::create_dir(fx.path("out")).unwrap();
    fx.write(
        "out/r.json",
        "old contents that are longer than nothing at all",
    );
    let out = fx
        .cmd()
        .arg("analyze")
        .args(&names)
        .args(["--output", "out/r.json", "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success() && out.stdout.is_empty());
    assert_eq!(fs::read_to_string(fx.path("out/r.json")).unwrap(), stdout);
    let listing: Vec<_> = fs::read_dir(fx.path("out")).unwrap().collect();
    assert_eq!(listing.len(), 1, "no temporary file left in out/");
}

/// A client folder with a manifest naming photos in a sub-folder.
fn write_client(fx: &Fixture, seed: u64) {
    let images = series_images(seed);
    fx.write("client/photos/s1.png", png(&images[0]));
    fx.write("client/photos/s2.png", png(&images[1]));
    fx.write("client/photos/s3.jpg", jpeg(&images[2]));
    fx.write(
        "client/m.json",
        r#"{
  "client": "C-042",
  "px_per_mm": 20.0,
  "target_density_per_cm2": 120,
  "sessions": [
    {"photo": "photos/s1.png", "date": "2026-01-10", "label": "layout"},
    {"photo": "photos/s2.png", "date": "2026-02-07", "label": "density",
     "region": {"x": 40, "y": 30, "width": 200, "height": 150}, "px_per_mm": 25},
    {"photo": "photos/s3.jpg", "date": "2026-03-07T16:45:00"}
  ]
}
"#,
    );
}

#[test]
fn manifest_resolves_photos_and_echoes_its_fields() {
    let fx = Fixture::new();
    write_client(&fx, 14);
    let (report, stdout, _) = run_ok(fx.cmd().args(["analyze", "--manifest", "client/m.json"]));
    assert_eq!(report["client"], "C-042");
    assert_eq!(num(&report, "target_density_per_cm2"), 120.0);
    let s = sessions(&report);
    assert_eq!(s.len(), 3);
    let photos: Vec<&str> = s.iter().map(|x| x["photo"].as_str().unwrap()).collect();
    assert_eq!(photos, ["photos/s1.png", "photos/s2.png", "photos/s3.jpg"]);
    assert_eq!(s[0]["label"], "layout");
    assert_eq!(s[1]["label"], "density");
    assert!(s[2]["label"].is_null());
    assert_eq!(s[0]["date"], "2026-01-10");
    assert_eq!(s[1]["date"], "2026-02-07");
    assert_eq!(s[2]["date"], "2026-03-07T16:45:00");
    // Top-level scale, overridden by session 2's own.
    assert_eq!(num(&s[0], "px_per_mm"), 20.0);
    assert_eq!(num(&s[1], "px_per_mm"), 25.0);
    assert_eq!(num(&s[2], "px_per_mm"), 20.0);
    assert_close(num(&s[0], "region_area_cm2"), 1.92, 1e-12, "s1 area");
    assert_close(
        num(&s[1], "region_area_cm2"),
        200.0 * 150.0 / 625.0 / 100.0,
        1e-12,
        "s2 area at its own scale",
    );
    assert_eq!(
        s[1]["region"],
        serde_json::json!({"x": 40, "y": 30, "width": 200, "height": 150})
    );
    assert_eq!(s[2]["region"]["width"], WIDTH);
    assert!(s[0]["change"].is_null());
    assert_eq!(s[1]["change"]["days"], 28);
    assert_eq!(s[2]["change"]["days"], 28);
    assert_changes_are_differences(&report);

    // Session 2 measures exactly as the same photo, region and scale given on the command line.
    let (direct, _, _) = run_ok(fx.cmd().args([
        "analyze",
        "--region",
        "40,30,200,150",
        "--px-per-mm",
        "25",
        "client/photos/s2.png",
    ]));
    assert_same_measurement(&sessions(&direct)[0], &s[1], "manifest vs command line");

    // Paths are relative to the manifest, not the working folder: same report from elsewhere.
    fs::create_dir(fx.path("elsewhere")).unwrap();
    let manifest = fx.path("client/m.json");
    let (_, from_elsewhere, _) = run_ok(
        fx.cmd()
            .current_dir(fx.path("elsewhere"))
            .arg("analyze")
            .arg("--manifest")
            .arg(&manifest),
    );
    assert_eq!(from_elsewhere, stdout);

    // -o with a manifest.
    let out = fx
        .cmd()
        .args(["analyze", "--manifest", "client/m.json", "-o", "r.json"])
        .output()
        .unwrap();
    assert!(out.status.success() && out.stdout.is_empty());
    assert_eq!(fs::read_to_string(fx.path("r.json")).unwrap(), stdout);
}

#[test]
fn manifest_with_only_photos_has_nulls() {
    let fx = Fixture::new();
    fx.write("a.png", png(&scene_image(15)));
    fx.write(
        "m.json",
        r#"{"sessions": [{"photo": "a.png"}, {"photo": "a.png"}]}"#,
    );
    let (report, _, _) = run_ok(fx.cmd().args(["analyze", "--manifest", "m.json"]));
    assert!(report["client"].is_null() && report["target_density_per_cm2"].is_null());
    let s = sessions(&report);
    for session in s {
        for key in [
            "label",
            "date",
            "px_per_mm",
            "region_area_cm2",
            "density_per_cm2",
            "dot_diameter_mm",
        ] {
            assert!(session[key].is_null(), "{key}: {session}");
        }
        assert!(session["uniformity"]["cell_mm"].is_null());
    }
    // The same photo twice: no change at all (and no dates, so no fade rate; no scale, so no
    // spread: px diameters are not compared).
    assert_eq!(
        s[1]["change"],
        serde_json::json!({"dot_count": 0, "density_per_cm2": null, "coverage_pct": 0.0,
                           "darkness": 0.0, "days": null, "spread_pct": null,
                           "hue_shift": {"da": 0.0, "db": 0.0}, "fade_per_30_days": null})
    );
    // It says so.
    assert_eq!(s[0]["warnings"], serde_json::json!([]));
    assert_eq!(
        s[1]["warnings"],
        serde_json::json!(["the same photo and region as session 1: measured twice"])
    );
    // No target, no scale: no progress and no estimate.
    assert!(report["summary"]["progress_pct"].is_null());
    assert!(report["summary"]["sessions_remaining_estimate"].is_null());
    // What the missing scale leaves out is said once, naming the sessions without one (not
    // with -q).
    let note = "smptrack: note: no session has a scale (px/mm): density, sizes in mm, \
                progress, dot spread and fade need one (--px-per-mm, or px_per_mm in the manifest)";
    let (_, _, stderr) = run_ok(fx.cmd().args(["analyze", "--manifest", "m.json"]));
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.contains("note:"))
            .collect::<Vec<_>>(),
        [note]
    );
    let (_, _, stderr) = run_ok(fx.cmd().args(["analyze", "--manifest", "m.json", "-q"]));
    assert!(!stderr.contains("note:"), "{stderr}");
    fx.write(
        "m.json",
        r#"{"sessions": [{"photo": "a.png", "px_per_mm": 30}, {"photo": "a.png"}]}"#,
    );
    let (_, _, stderr) = run_ok(fx.cmd().args(["analyze", "--manifest", "m.json"]));
    assert!(
        stderr.contains("smptrack: note: session 2 has no scale (px/mm): density"),
        "{stderr}"
    );
    fx.write(
        "m.json",
        r#"{"sessions": [{"photo": "a.png", "px_per_mm": 30}, {"photo": "a.png", "px_per_mm": 30}]}"#,
    );
    let (_, _, stderr) = run_ok(fx.cmd().args(["analyze", "--manifest", "m.json"]));
    assert!(!stderr.contains("note:"), "{stderr}");
}

/// Mistakes in a series: a manifest whose dates run backwards, with something after its object,
/// or with no object at all, is refused; photos whose EXIF dates run backwards, given on the
/// command line, are measured with a warning (each session's change is taken from the one
/// before it).
#[test]
fn sessions_out_of_visit_order_and_malformed_manifests() {
    let fx = Fixture::new();
    for (name, date) in [
        ("later.jpg", "2026:08:20 10:00:00"),
        ("earlier.jpg", "2026:01:10 09:30:00"),
    ] {
        let tags = ExifTags {
            date_time_original: Some(date.into()),
            ..ExifTags::default()
        };
        fx.write(name, encode_jpeg(&scene_image(16), 92, &tags));
    }
    let cases = [
        (
            r#"{"sessions": [{"photo": "later.jpg", "date": "2026-08-20"},
                             {"photo": "earlier.jpg"},
                             {"photo": "earlier.jpg", "date": "2026-01-10"}]}"#,
            "sessions[2].date (session 3): 2026-01-10 is before session 1's 2026-08-20",
        ),
        (
            r#"{"sessions": [{"photo": "later.jpg"}]} {"sessions": []}"#,
            "something follows the manifest's object",
        ),
        (
            r#"[{"photo": "later.jpg"}]"#,
            "does not start with a JSON object",
        ),
        (
            r#"{"sessions": [{"photo": "later.jpg", "date": "2026-01-10T25:00"}]}"#,
            "'2026-01-10T25:00' is not a date",
        ),
    ];
    for (manifest, why) in cases {
        fx.write("m.json", manifest);
        let out = fx
            .cmd()
            .args(["analyze", "--manifest", "m.json", "-o", "r.json"])
            .output()
            .unwrap();
        assert_failed(&out, 1, &["m.json", why]);
        assert!(!fx.path("r.json").exists());
    }
    let (report, _, stderr) = run_ok(fx.cmd().args(["analyze", "later.jpg", "earlier.jpg"]));
    let s = sessions(&report);
    assert_eq!(s[1]["date"], "2026-01-10T09:30:00");
    let warning = "dated 2026-01-10, before session 1 (2026-08-20): its change compares it \
                   with a later visit; list the sessions in the order of the visits";
    assert!(
        s[1]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == warning),
        "{}",
        s[1]
    );
    assert!(
        stderr.contains(&format!("earlier.jpg: {warning}")),
        "{stderr}"
    );
    assert!(!s[0]["warnings"].to_string().contains("before session"));
    // In the order of the visits: no such warning.
    let (report, _, _) = run_ok(fx.cmd().args(["analyze", "earlier.jpg", "later.jpg"]));
    assert!(!report.to_string().contains("before session"));
}

#[test]
fn manifest_with_a_byte_order_mark_is_read() {
    let fx = Fixture::new();
    fx.write("a.png", png(&scene_image(15)));
    fx.write(
        "m.json",
        "\u{feff}{\"client\": \"BOM\", \"sessions\": [{\"photo\": \"a.png\"}]}",
    );
    let (report, _, _) = run_ok(fx.cmd().args(["analyze", "--manifest", "m.json"]));
    assert_eq!(report["client"], "BOM");
}

#[test]
fn output_onto_an_input_is_refused() {
    let fx = bad_files();
    fx.write("m.json", r#"{"sessions": [{"photo": "good.png"}]}"#);
    let before = fx.snapshot();
    for args in [
        &["analyze", "good.png", "-o", "good.png"][..],
        &["analyze", "good.jpg", "good.png", "-o", "./good.png"][..],
        &["analyze", "--manifest", "m.json", "-o", "m.json"][..],
        &["analyze", "--manifest", "m.json", "-o", "good.png"][..],
    ] {
        let out = fx.cmd().args(args).output().unwrap();
        assert_failed(&out, 2, &["--output"]);
        assert!(fx.snapshot() == before, "{args:?} changed the folder");
    }
}

#[test]
fn max_megapixels_is_a_decoding_limit() {
    let fx = Fixture::new();
    fx.write("p.png", png(&scene_image(16)));
    // 320 × 240 = 0.0768 MP.
    run_ok(
        fx.cmd()
            .args(["analyze", "--max-megapixels", "0.08", "p.png"]),
    );
    let out = fx
        .cmd()
        .args(["analyze", "--max-megapixels", "0.07", "p.png"])
        .output()
        .unwrap();
    assert_failed(&out, 1, &["p.png", "0.07"]);
    for bad in ["0", "-1", "abc", "NaN", "inf", ""] {
        let out = fx
            .cmd()
            .args(["analyze", "--max-megapixels", bad, "p.png"])
            .output()
            .unwrap();
        assert_failed(&out, 2, &["--max-megapixels"]);
    }
}

#[test]
fn quiet_silences_progress_only() {
    let fx = Fixture::new();
    let names = write_series(&fx, 17);
    let (_, loud_out, loud_err) = run_ok(fx.cmd().arg("analyze").args(&names));
    let progress: Vec<&str> = loud_err.lines().filter(|l| is_progress(l)).collect();
    assert_eq!(
        progress.len(),
        names.len(),
        "one progress line per photo: {loud_err}"
    );
    for (k, name) in names.iter().enumerate() {
        assert_eq!(
            progress
                .iter()
                .filter(|l| l.contains(&format!("] session {}, {name}:", k + 1)))
                .count(),
            1,
            "progress names session {} and {name}: {loud_err}",
            k + 1
        );
    }
    for flag in ["--quiet", "-q"] {
        let (_, quiet_out, quiet_err) = run_ok(fx.cmd().arg("analyze").arg(flag).args(&names));
        assert_eq!(quiet_out, loud_out);
        // Warnings (if any) are still printed; nothing else is (not the progress, nor the note
        // that no session has a scale).
        let loud_rest: Vec<&str> = loud_err
            .lines()
            .filter(|l| !is_progress(l) && !l.starts_with("smptrack: note: "))
            .collect();
        let quiet_lines: Vec<&str> = quiet_err.lines().collect();
        assert_eq!(quiet_lines, loud_rest, "{flag}");
        assert!(quiet_lines
            .iter()
            .all(|l| l.starts_with("smptrack: warning: ")));
    }
}

#[test]
fn help_explains_every_option_and_the_exit_codes() {
    for args in [
        &["analyze", "--help"][..],
        &["help", "analyze"],
        &["analyze", "-h"],
    ] {
        let out = smptrack().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let help = String::from_utf8(out.stdout).unwrap();
        for needle in [
            "PHOTO",
            "--manifest",
            "--region",
            "X,Y,W,H",
            "--px-per-mm",
            "-o, --output",
            "--max-megapixels",
            "-q, --quiet",
            "Exit codes",
        ] {
            assert!(
                help.contains(needle),
                "{args:?}: help lacks {needle:?}:\n{help}"
            );
        }
        for code in ["0", "1", "2", "3", "101"] {
            assert!(
                help.lines()
                    .any(|l| l.trim_start().starts_with(&format!("{code} "))),
                "{args:?}: exit code {code} undocumented:\n{help}"
            );
        }
    }
    // The long help gives the units.
    let out = smptrack().args(["analyze", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for unit in ["pixels per millimetre", "megapixels", "pixels of the photo"] {
        assert!(help.contains(unit), "help lacks unit {unit:?}");
    }
    // The top-level help documents the exit codes too.
    let out = smptrack().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("analyze") && help.contains("Exit codes"));
}

#[test]
fn version_is_the_crate_version() {
    for flag in ["--version", "-V"] {
        let out = smptrack().arg(flag).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            format!("smptrack {VERSION}\n")
        );
    }
}

#[test]
fn command_line_mistakes_are_usage_errors() {
    let fx = Fixture::new();
    fx.write("p.png", png(&scene_image(18)));
    fx.write("m.json", r#"{"sessions": [{"photo": "p.png"}]}"#);
    let cases: &[(&[&str], &[&str])] = &[
        (&["analyze"], &["PHOTO", "--manifest"]),
        (
            &["analyze", "p.png", "--px-per-mm", "inf"],
            &["--px-per-mm", "'inf' is not a finite number"],
        ),
        (
            &["analyze", "p.png", "--px-per-mm", "NaN"],
            &["--px-per-mm", "'NaN' is not a finite number"],
        ),
        (
            &["analyze", "p.png", "--px-per-mm", "1e300"],
            &["1e300 pixels per millimetre is outside the plausible range 0.5–5000"],
        ),
        (
            &["analyze", "p.png", "--region", "99999999999,0,10,10"],
            &[
                "--region",
                "X = '99999999999'",
                "is too large (at most 4294967295)",
            ],
        ),
        (
            &["analyze", "p.png", "--region", "0,-5,10,10"],
            &["--region", "Y = '-5'", "is negative"],
        ),
        (
            &["analyze", "p.png", "--region=-0,0,10,10"],
            &["--region", "X = '-0'", "is negative"],
        ),
        (&["analyze", "--bogus", "p.png"], &["--bogus"]),
        (
            &["analyze", "--manifest", "m.json", "p.png"],
            &["--manifest"],
        ),
        (
            &["analyze", "--manifest", "m.json", "--region", "0,0,5,5"],
            &["--region"],
        ),
        (
            &["analyze", "--manifest", "m.json", "--px-per-mm", "20"],
            &["--px-per-mm"],
        ),
        (&["analyze", "p.png", "--px-per-mm"], &["--px-per-mm"]),
        (&["analyze", "p.png", "-o"], &["--output"]),
        (&["frobnicate"], &["frobnicate"]),
    ];
    for (args, mentions) in cases {
        let out = fx.cmd().args(*args).output().unwrap();
        assert_failed(&out, 2, mentions);
    }
    // No arguments at all: the help, on stderr, exit 2.
    let out = smptrack().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("analyze"));
}

// ---------------------------------------------------------------------------------------------
// Report layout
// ---------------------------------------------------------------------------------------------

const SESSION_KEYS: [&str; 24] = [
    "photo",
    "label",
    "date",
    "image",
    "region",
    "px_per_mm",
    "region_area_cm2",
    "dot_count",
    "density_per_cm2",
    "coverage_pct",
    "hair_coverage_pct",
    "mean_dot_diameter_px",
    "mean_dot_diameter_mm",
    "pigment_lightness",
    "skin_lightness",
    "darkness",
    "edge_softness",
    "dot_diameter_px",
    "dot_diameter_mm",
    "pigment_lab",
    "skin_lab",
    "uniformity",
    "warnings",
    "change",
];

fn assert_layout(report: &Value) {
    assert_eq!(
        keys(report),
        set(&[
            "schema_version",
            "tool",
            "client",
            "target_density_per_cm2",
            "summary",
            "sessions"
        ])
    );
    let summary = &report["summary"];
    assert_eq!(
        keys(summary),
        set(&["progress_pct", "sessions_remaining_estimate", "flags"])
    );
    for flag in summary["flags"].as_array().expect("flags array") {
        assert_eq!(keys(flag), set(&["code", "session", "message"]));
        assert!(flag["session"].as_u64().is_some_and(|n| n >= 1));
        let code = flag["code"].as_str().expect("code is a string");
        assert!(
            [
                "fast_fade",
                "blowout",
                "blue_shift",
                "patchy",
                "low_resolution"
            ]
            .contains(&code),
            "{flag}"
        );
    }
    assert_eq!(report["schema_version"], 1);
    assert_eq!(keys(&report["tool"]), set(&["name", "version"]));
    assert_eq!(report["tool"]["name"], "smptrack");
    assert_eq!(report["tool"]["version"], VERSION);
    for (i, session) in sessions(report).iter().enumerate() {
        assert_eq!(keys(session), set(&SESSION_KEYS));
        assert_eq!(keys(&session["image"]), set(&["width", "height"]));
        assert_eq!(
            keys(&session["region"]),
            set(&["x", "y", "width", "height"])
        );
        assert!(session["photo"].is_string());
        assert!(session["dot_count"].is_u64());
        assert!(session["coverage_pct"].is_f64());
        for key in ["dot_diameter_px", "dot_diameter_mm"] {
            if !session[key].is_null() {
                assert_eq!(keys(&session[key]), set(&["mean", "p90"]), "{key}");
            }
        }
        for key in ["pigment_lab", "skin_lab"] {
            if !session[key].is_null() {
                assert_eq!(keys(&session[key]), set(&["L", "a", "b"]), "{key}");
            }
        }
        let uniformity = &session["uniformity"];
        assert_eq!(
            keys(uniformity),
            set(&["cell_mm", "cell_px", "cv", "noise_cv", "thinnest"])
        );
        for cell in uniformity["thinnest"].as_array().expect("thinnest array") {
            assert_eq!(keys(cell), set(&["x", "y", "density"]));
        }
        for w in session["warnings"].as_array().expect("warnings array") {
            assert!(w.is_string());
        }
        if i == 0 {
            assert!(session["change"].is_null());
        } else {
            assert_eq!(
                keys(&session["change"]),
                set(&[
                    "dot_count",
                    "density_per_cm2",
                    "coverage_pct",
                    "darkness",
                    "days",
                    "spread_pct",
                    "hue_shift",
                    "fade_per_30_days"
                ])
            );
            let hue = &session["change"]["hue_shift"];
            if !hue.is_null() {
                assert_eq!(keys(hue), set(&["da", "db"]));
            }
        }
    }
}

#[test]
fn report_has_exactly_the_documented_keys() {
    let fx = Fixture::new();
    write_client(&fx, 19);
    let (report, stdout, _) = run_ok(fx.cmd().args(["analyze", "--manifest", "client/m.json"]));
    assert_layout(&report);
    assert!(stdout.ends_with("}\n"), "the report ends with a newline");
    let (report, _, _) =
        run_ok(
            fx.cmd()
                .args(["analyze", "client/photos/s1.png", "client/photos/s3.jpg"]),
        );
    assert_layout(&report);
    assert!(report["client"].is_null() && report["target_density_per_cm2"].is_null());
    // A single session.
    let (report, _, _) = run_ok(fx.cmd().args(["analyze", "client/photos/s2.png"]));
    assert_layout(&report);
    assert_eq!(sessions(&report).len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

const SENTINEL: &[u8] = b"{\"an existing report\": true}\n\x00binary tail\xff";

/// Runs `args` three ways (to stdout, `-o` onto an existing file, `-o` to a new file) and checks
/// each fails with `code`, one stderr line naming `mentions`, and leaves the folder exactly as
/// it was: the existing file byte-for-byte, no new file, no temporary file.
fn check_bad(fx: &Fixture, args: &[&str], code: i32, mentions: &[&str]) {
    fx.write("existing.json", SENTINEL);
    let before = fx.snapshot();
    let what = format!("{args:?}");
    for output in [None, Some("existing.json"), Some("new.json")] {
        let mut cmd = fx.cmd();
        cmd.args(args);
        if let Some(o) = output {
            cmd.args(["-o", o]);
        }
        let out = cmd.output().unwrap();
        assert_failed(&out, code, mentions);
        assert!(
            fx.snapshot() == before,
            "{what} with -o {output:?} changed the folder"
        );
    }
    assert_eq!(fs::read(fx.path("existing.json")).unwrap(), SENTINEL);
}

/// A folder with one good photo and an assortment of broken files.
fn bad_files() -> Fixture {
    let fx = Fixture::new();
    let img = scene_image(31);
    let png_bytes = png(&img);
    let jpeg_bytes = jpeg(&img);
    fx.write("good.png", &png_bytes);
    fx.write("good.jpg", &jpeg_bytes);
    fs::create_dir(fx.path("folder.png")).unwrap();
    fx.write("empty.jpg", b"");
    fx.write("empty.png", b"");
    fx.write("half.jpg", &jpeg_bytes[..jpeg_bytes.len() / 2]);
    fx.write("tenth.jpg", &jpeg_bytes[..jpeg_bytes.len() / 10]);
    fx.write("no-eoi.jpg", &jpeg_bytes[..jpeg_bytes.len() - 2]);
    fx.write("header-only.jpg", &jpeg_bytes[..300]);
    fx.write("half.png", &png_bytes[..png_bytes.len() / 2]);
    fx.write("no-iend.png", &png_bytes[..png_bytes.len() - 12]);
    fx.write("signature.png", &png_bytes[..8]);
    fx.write("notes.jpg", "Client C-042: second session went well.\n");
    fx.write("gif.png", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;");
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fx.write("random.jpg", noise);
    fx.write("huge.png", png_declaring(100_000, 100_000));
    fx.write("big.png", png_declaring(30_000, 30_000));
    fx
}

#[test]
fn unreadable_photos_fail_cleanly() {
    let fx = bad_files();
    let cases: &[(&str, &[&str])] = &[
        ("missing.png", &["missing.png"]),
        ("folder.png", &["folder.png"]),
        ("empty.jpg", &["empty.jpg", "empty"]),
        ("empty.png", &["empty.png", "empty"]),
        ("half.jpg", &["half.jpg", "truncated"]),
        ("tenth.jpg", &["tenth.jpg"]),
        ("no-eoi.jpg", &["no-eoi.jpg", "truncated"]),
        ("header-only.jpg", &["header-only.jpg"]),
        ("half.png", &["half.png"]),
        ("no-iend.png", &["no-iend.png"]),
        ("signature.png", &["signature.png"]),
        (
            "notes.jpg",
            &["notes.jpg", "not a JPEG, PNG, TIFF or WebP image"],
        ),
        (
            "gif.png",
            &["gif.png", "not a JPEG, PNG, TIFF or WebP image"],
        ),
        ("random.jpg", &["random.jpg"]),
    ];
    for (photo, mentions) in cases {
        check_bad(&fx, &["analyze", photo], 1, mentions);
    }
}

#[test]
fn oversized_images_are_refused_quickly() {
    let fx = bad_files();
    check_bad(
        &fx,
        &["analyze", "--max-megapixels", "0.01", "good.png"],
        1,
        &["good.png", "too large", "0.01"],
    );
    check_bad(
        &fx,
        &["analyze", "--max-megapixels", "0.01", "good.jpg"],
        1,
        &["good.jpg", "too large"],
    );
    for name in ["huge.png", "big.png"] {
        let start = Instant::now();
        let out = fx.cmd().args(["analyze", name]).output().unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{name} took {:?} to refuse",
            start.elapsed()
        );
        assert_failed(&out, 1, &[name, "too large"]);
        check_bad(&fx, &["analyze", name], 1, &[name, "too large"]);
    }
}

#[test]
fn one_bad_photo_fails_the_whole_run() {
    let fx = bad_files();
    let cases: &[(&[&str], &str)] = &[
        (&["analyze", "good.png", "half.png"], "half.png"),
        (&["analyze", "half.jpg", "good.png"], "half.jpg"),
        (
            &["analyze", "good.png", "good.jpg", "missing.png"],
            "missing.png",
        ),
        (
            &["analyze", "--quiet", "good.png", "notes.jpg"],
            "notes.jpg",
        ),
        (&["analyze", "good.jpg", "huge.png", "good.png"], "huge.png"),
    ];
    for (args, bad) in cases {
        check_bad(&fx, args, 1, &[bad]);
    }
    // With --quiet the error is the only line.
    let out = fx
        .cmd()
        .args(["analyze", "--quiet", "good.png", "good.jpg", "half.png"])
        .output()
        .unwrap();
    assert_failed(&out, 1, &["half.png"]);
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    // The first failing photo (in session order) is the one reported.
    let out = fx
        .cmd()
        .args(["analyze", "-q", "good.png", "missing.png", "half.png"])
        .output()
        .unwrap();
    assert_failed(&out, 1, &["missing.png"]);
}

#[test]
fn bad_regions_fail_cleanly() {
    let fx = bad_files();
    // Well-formed but outside the 320×240 photo: a usage error (exit 2, as `--help` and the
    // README document) naming --region and the photo.
    for region in [
        "300,200,40,41",
        "0,0,321,240",
        "0,0,320,241",
        "320,0,1,1",
        "0,240,1,1",
        "4294967295,0,4294967295,1",
    ] {
        check_bad(
            &fx,
            &["analyze", "--region", region, "good.png"],
            2,
            &["--region", "good.png", "outside"],
        );
    }
    // A region that fits the first photo but not the second (a narrower one) still fails.
    fx.write(
        "narrow.png",
        png(&RgbImage::from_pixel(100, 240, image::Rgb([200, 160, 140]))),
    );
    check_bad(
        &fx,
        &[
            "analyze",
            "--region",
            "150,0,50,50",
            "good.png",
            "narrow.png",
        ],
        2,
        &["--region", "narrow.png"],
    );
    // Zero size, and malformed: usage errors naming --region.
    for region in [
        "0,0,0,10",
        "0,0,10,0",
        "1,2,3",
        "1,2,3,4,5",
        "a,2,3,4",
        "-1,2,3,4",
        "1,-2,3,4",
        "1.5,2,3,4",
        "",
        "1;2;3;4",
        "10 20 30 40",
        "4294967296,0,1,1",
        "x=1,y=2,w=3,h=4",
    ] {
        check_bad(
            &fx,
            &["analyze", "--region", region, "good.png"],
            2,
            &["--region"],
        );
        let flag = format!("--region={region}");
        check_bad(&fx, &["analyze", &flag, "good.png"], 2, &["--region"]);
    }
}

#[test]
fn bad_scales_fail_cleanly() {
    let fx = bad_files();
    for scale in [
        "0", "0.0", "-0", "-1", "-0.5", "abc", "", "NaN", "nan", "inf", "-inf", "1e999", "20mm",
        "1,5", "1e9", "5000.1", "0.49",
    ] {
        check_bad(
            &fx,
            &["analyze", "--px-per-mm", scale, "good.png"],
            2,
            &["--px-per-mm"],
        );
    }
}

#[test]
fn implausible_manifest_scales_name_the_session() {
    let fx = bad_files();
    check_bad_manifest(
        &fx,
        r#"{"sessions": [{"photo": "good.png"}, {"photo": "good.png", "px_per_mm": 1e6}]}"#,
        &["sessions[1].px_per_mm", "plausible"],
    );
}

#[test]
fn bad_output_folder_fails_before_measuring() {
    let fx = bad_files();
    let before = fx.snapshot();
    for (output, mention) in [
        ("no-such-folder/r.json", "no-such-folder"),
        ("folder.png", "folder.png"),
        ("no/such/deep/r.json", "no/such/deep"),
        ("good.png/r.json", "good.png"),
    ] {
        let out = fx
            .cmd()
            .args(["analyze", "good.png", "-o", output])
            .output()
            .unwrap();
        assert_failed(&out, 3, &[mention]);
        assert!(fx.snapshot() == before, "-o {output} changed the folder");
    }
}

/// Writes `text` as `m.json` beside the good photos and checks the manifest run fails.
fn check_bad_manifest(fx: &Fixture, text: &str, mentions: &[&str]) {
    fx.write("m.json", text);
    check_bad(fx, &["analyze", "--manifest", "m.json"], 1, mentions);
}

#[test]
fn bad_manifests_fail_cleanly() {
    let fx = bad_files();
    let two = |second: &str| format!(r#"{{"sessions": [{{"photo": "good.png"}}, {second}]}}"#);

    // Not a manifest at all.
    check_bad(
        &fx,
        &["analyze", "--manifest", "nope.json"],
        1,
        &["nope.json"],
    );
    check_bad(
        &fx,
        &["analyze", "--manifest", "folder.png"],
        1,
        &["folder.png"],
    );
    for malformed in [
        "",
        "{",
        "{not json}",
        r#"{"sessions": [{"photo": "good.png",}]}"#,
        r#"{"sessions": [{"photo": "good.png"}]"#,
        r#"["good.png"]"#,
    ] {
        check_bad_manifest(&fx, malformed, &["m.json"]);
    }
    check_bad(
        &fx,
        &["analyze", "--manifest", "notes.jpg"],
        1,
        &["notes.jpg"],
    );
    // Over the manifest size limit (a sparse file: refused from its size, never read).
    let big = fs::File::create(fx.path("big.json")).unwrap();
    big.set_len(smptrack::manifest::MAX_MANIFEST_BYTES + 1)
        .unwrap();
    drop(big);
    check_bad(
        &fx,
        &["analyze", "--manifest", "big.json"],
        1,
        &["big.json", "limit"],
    );
    fs::remove_file(fx.path("big.json")).unwrap();

    // Unknown fields are named with their session.
    check_bad_manifest(
        &fx,
        &two(r#"{"photo": "good.png", "pxpermm": 3}"#),
        &["m.json", "sessions[1]", "pxpermm"],
    );
    check_bad_manifest(
        &fx,
        r#"{"scale": 3, "sessions": [{"photo": "good.png"}]}"#,
        &["m.json", "scale"],
    );
    check_bad_manifest(
        &fx,
        &two(r#"{"photo": "good.png", "region": {"x": 0, "y": 0, "w": 9, "height": 9}}"#),
        &["m.json", "sessions[1]", "region", "`w`"],
    );

    // Missing photos: the session and the `photo` field.
    check_bad_manifest(
        &fx,
        &two(r#"{"photo": "missing.png"}"#),
        &["m.json", "sessions[1]", "photo", "missing.png"],
    );
    check_bad_manifest(
        &fx,
        &two(r#"{"date": "2026-01-10"}"#),
        &["m.json", "sessions[1]", "photo"],
    );
    check_bad_manifest(
        &fx,
        &two(r#"{"photo": ""}"#),
        &["m.json", "sessions[1]", "photo"],
    );
    check_bad_manifest(
        &fx,
        &two(r#"{"photo": "folder.png"}"#),
        &["m.json", "sessions[1]", "photo", "folder.png"],
    );
    check_bad_manifest(
        &fx,
        &two(r#"{"photo": 3}"#),
        &["m.json", "sessions[1]", "photo"],
    );
    // A photo that exists but is broken is named by its file.
    check_bad_manifest(&fx, &two(r#"{"photo": "half.png"}"#), &["half.png"]);

    // Regions: outside the photo (names the session), zero size.
    check_bad_manifest(
        &fx,
        &two(r#"{"photo": "good.png", "region": {"x": 300, "y": 0, "width": 100, "height": 10}}"#),
        &["m.json", "sessions[1]", "region", "outside"],
    );
    check_bad_manifest(
        &fx,
        &two(r#"{"photo": "good.png", "region": {"x": 0, "y": 0, "width": 0, "height": 10}}"#),
        &["m.json", "sessions[1]", "region"],
    );
    check_bad_manifest(
        &fx,
        &two(r#"{"photo": "good.png", "region": {"x": -1, "y": 0, "width": 5, "height": 10}}"#),
        &["m.json", "sessions[1]", "region"],
    );

    // Empty sessions, missing sessions.
    check_bad_manifest(&fx, r#"{"sessions": []}"#, &["m.json", "sessions"]);
    check_bad_manifest(&fx, r#"{"client": "C-1"}"#, &["m.json", "sessions"]);

    // Bad dates.
    for date in ["2026-02-30", "10/01/2026", "2026-1-10", "yesterday", ""] {
        check_bad_manifest(
            &fx,
            &two(&format!(r#"{{"photo": "good.png", "date": "{date}"}}"#)),
            &["m.json", "sessions[1]", "date"],
        );
    }

    // Bad scales and targets.
    for scale in ["0", "-3", "\"20\""] {
        check_bad_manifest(
            &fx,
            &two(&format!(r#"{{"photo": "good.png", "px_per_mm": {scale}}}"#)),
            &["m.json", "sessions[1]", "px_per_mm"],
        );
        check_bad_manifest(
            &fx,
            &format!(r#"{{"px_per_mm": {scale}, "sessions": [{{"photo": "good.png"}}]}}"#),
            &["m.json", "px_per_mm"],
        );
    }
    check_bad_manifest(
        &fx,
        r#"{"target_density_per_cm2": -5, "sessions": [{"photo": "good.png"}]}"#,
        &["m.json", "target_density_per_cm2"],
    );

    // An oversized photo named by a manifest.
    check_bad_manifest(
        &fx,
        &two(r#"{"photo": "huge.png"}"#),
        &["huge.png", "too large"],
    );
}

// ---------------------------------------------------------------------------------------------
// EXIF
// ---------------------------------------------------------------------------------------------

fn tags(orientation: Option<u16>) -> ExifTags {
    ExifTags {
        orientation,
        ..ExifTags::default()
    }
}

#[test]
fn exif_orientation_is_applied_before_the_region() {
    let fx = Fixture::new();
    let upright = series_images(41)[1].clone();
    fx.write("up.png", encode_png(&upright, &tags(None)));
    fx.write("up.jpg", encode_jpeg(&upright, 95, &tags(None)));
    let side = store_with_orientation(&upright, 6);
    assert_eq!(
        (side.width(), side.height()),
        (HEIGHT, WIDTH),
        "stored sideways"
    );
    fx.write("side.png", encode_png(&side, &tags(Some(6))));
    fx.write("side.jpg", encode_jpeg(&side, 95, &tags(Some(6))));
    for o in [2u16, 3, 4, 5, 7, 8] {
        let stored = store_with_orientation(&upright, o);
        fx.write(&format!("o{o}.png"), encode_png(&stored, &tags(Some(o))));
    }

    // In displayed coordinates; this region does not fit the 240-px-wide stored frame.
    let region = "100,40,200,160";
    let mut photos = vec!["up.png", "side.png", "up.jpg", "side.jpg"];
    let others: Vec<String> = [2, 3, 4, 5, 7, 8].map(|o| format!("o{o}.png")).to_vec();
    photos.extend(others.iter().map(String::as_str));
    let (report, _, _) = run_ok(
        fx.cmd()
            .args(["analyze", "--px-per-mm", "20", "--region", region])
            .args(&photos),
    );
    let s = sessions(&report);
    for session in s {
        assert_eq!(
            session["image"],
            serde_json::json!({"width": WIDTH, "height": HEIGHT}),
            "{} is reported as displayed",
            session["photo"]
        );
        assert_eq!(
            session["region"],
            serde_json::json!({"x": 100, "y": 40, "width": 200, "height": 160})
        );
    }
    let (up_png, side_png, up_jpg, side_jpg) = (&s[0], &s[1], &s[2], &s[3]);
    assert!(up_png["dot_count"].as_u64().unwrap() > 20);
    // Lossless: the displayed pixels are identical, so is every measurement.
    assert_same_measurement(side_png, up_png, "PNG stored with orientation 6");
    for (session, name) in s[4..].iter().zip(&others) {
        assert_same_measurement(session, up_png, name);
    }
    // JPEG compresses the sideways pixels in different 8×8 blocks: allow a little.
    let (a, b) = (
        up_jpg["dot_count"].as_u64().unwrap() as f64,
        side_jpg["dot_count"].as_u64().unwrap() as f64,
    );
    assert_close(
        b,
        a,
        (0.03 * a).max(2.0),
        "JPEG dot_count, sideways vs upright",
    );
    let cov = num(up_jpg, "coverage_pct");
    assert_close(
        num(side_jpg, "coverage_pct"),
        cov,
        (0.05 * cov).max(0.5),
        "JPEG coverage_pct, sideways vs upright",
    );

    // Ignoring the orientation would make the region fall outside the stored frame; the same
    // region in stored coordinates must be refused for the sideways photo.
    let out = fx
        .cmd()
        .args(["analyze", "--region", "0,0,240,320", "side.png"])
        .output()
        .unwrap();
    assert_failed(&out, 2, &["--region", "side.png", "outside"]);
}

#[test]
fn exif_date_time_original_is_the_session_date() {
    let fx = Fixture::new();
    let img = scene_image(42);
    let dated = |dto: Option<&str>, dt: Option<&str>| ExifTags {
        orientation: None,
        date_time_original: dto.map(str::to_string),
        date_time: dt.map(str::to_string),
    };
    fx.write(
        "a.jpg",
        encode_jpeg(
            &img,
            90,
            &dated(Some("2024:03:15 10:20:30"), Some("2024:06:01 08:00:00")),
        ),
    );
    fx.write(
        "b.png",
        encode_png(&img, &dated(Some("2024:03:22 09:00:00"), None)),
    );
    fx.write(
        "c.png",
        encode_png(&img, &dated(None, Some("2024:03:29 12:00:00"))),
    );
    fx.write(
        "d.jpg",
        encode_jpeg(&img, 90, &dated(Some("0000:00:00 00:00:00"), None)),
    );
    let (report, _, _) = run_ok(
        fx.cmd()
            .args(["analyze", "a.jpg", "b.png", "c.png", "d.jpg"]),
    );
    let s = sessions(&report);
    assert_eq!(
        s[0]["date"], "2024-03-15T10:20:30",
        "DateTimeOriginal, not DateTime"
    );
    assert_eq!(s[1]["date"], "2024-03-22T09:00:00");
    assert!(
        s[2]["date"].is_null(),
        "DateTime alone is not a capture date"
    );
    assert!(s[3]["date"].is_null(), "an unset camera clock is no date");
    assert_eq!(s[1]["change"]["days"], 7);
    assert!(s[2]["change"]["days"].is_null());
    assert!(s[3]["change"]["days"].is_null());

    // A manifest date wins over EXIF; without one, EXIF is used.
    fx.write(
        "m.json",
        r#"{"sessions": [{"photo": "a.jpg", "date": "2024-01-01"}, {"photo": "b.png"}]}"#,
    );
    let (report, _, _) = run_ok(fx.cmd().args(["analyze", "--manifest", "m.json"]));
    let s = sessions(&report);
    assert_eq!(s[0]["date"], "2024-01-01");
    assert_eq!(s[1]["date"], "2024-03-22T09:00:00");
    assert_eq!(s[1]["change"]["days"], 81);
}

// ---------------------------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------------------------

#[test]
fn reports_are_byte_identical_across_runs_and_thread_counts() {
    let fx = Fixture::new();
    let mut names = write_series(&fx, 51);
    fx.write("s4.png", png(&scene_image(52)));
    names.push("s4.png");
    let args = ["analyze", "--px-per-mm", "20", "--region", "10,10,300,220"];
    let run = |threads: Option<&str>| {
        let mut cmd = fx.cmd();
        if let Some(t) = threads {
            cmd.env("RAYON_NUM_THREADS", t);
        }
        run_ok(cmd.args(args).args(&names)).1
    };
    let first = run(None);
    assert_eq!(sessions(&serde_json::from_str(&first).unwrap()).len(), 4);
    assert_eq!(run(None), first, "two runs differ");
    assert_eq!(run(Some("1")), first, "RAYON_NUM_THREADS=1 differs");
    assert_eq!(run(Some("2")), first, "RAYON_NUM_THREADS=2 differs");
    assert_eq!(run(Some("3")), first, "RAYON_NUM_THREADS=3 differs");
}

// ---------------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------------

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, format).expect("encode fixture");
    buf.into_inner()
}

#[test]
fn every_supported_format_and_depth_loads() {
    let fx = Fixture::new();
    let rgb = DynamicImage::ImageRgb8(scene_image(61));
    let rgb16 = DynamicImage::ImageRgb16(rgb.to_rgb16());
    let rgba = DynamicImage::ImageRgba8(rgb.to_rgba8());
    let rgba16 = DynamicImage::ImageRgba16(rgb.to_rgba16());
    let grey = DynamicImage::ImageLuma8(rgb.to_luma8());
    let grey16 = DynamicImage::ImageLuma16(rgb.to_luma16());
    let grey_alpha = DynamicImage::ImageLumaA8(rgb.to_luma_alpha8());
    // (file, image, same pixels as the 8-bit RGB PNG?)
    let files = [
        ("rgb8.png", encode(&rgb, ImageFormat::Png), true),
        ("rgb16.png", encode(&rgb16, ImageFormat::Png), true),
        ("rgba8.png", encode(&rgba, ImageFormat::Png), true),
        ("rgba16.png", encode(&rgba16, ImageFormat::Png), true),
        ("grey8.png", encode(&grey, ImageFormat::Png), false),
        ("grey16.png", encode(&grey16, ImageFormat::Png), false),
        ("greya8.png", encode(&grey_alpha, ImageFormat::Png), false),
        ("rgb8.tiff", encode(&rgb, ImageFormat::Tiff), true),
        ("rgb16.tif", encode(&rgb16, ImageFormat::Tiff), true),
        ("grey8.tiff", encode(&grey, ImageFormat::Tiff), false),
        ("rgb8.webp", encode(&rgb, ImageFormat::WebP), true),
        ("rgba8.webp", encode(&rgba, ImageFormat::WebP), true),
        ("rgb8.jpg", jpeg(&scene_image(61)), false),
    ];
    // Extensions do not matter: the content decides.
    let mut names: Vec<&str> = Vec::new();
    for (name, bytes, _) in &files {
        fx.write(name, bytes);
        names.push(name);
    }
    fx.write("png-named.jpg", &files[0].1);
    names.push("png-named.jpg");

    let (report, _, _) = run_ok(fx.cmd().args(["analyze", "--px-per-mm", "20"]).args(&names));
    let s = sessions(&report);
    assert_eq!(s.len(), names.len());
    let reference = &s[0];
    assert!(reference["dot_count"].as_u64().unwrap() > 20);
    for (i, session) in s.iter().enumerate() {
        assert_eq!(session["photo"], names[i]);
        assert_eq!(
            session["image"],
            serde_json::json!({"width": WIDTH, "height": HEIGHT}),
            "{}",
            names[i]
        );
        assert!(session["dot_count"].as_u64().unwrap() > 0, "{}", names[i]);
        assert!(session["darkness"].is_number(), "{}", names[i]);
        let lossless_copy = files.get(i).map(|f| f.2).unwrap_or(true);
        if lossless_copy {
            assert_same_measurement(session, reference, names[i]);
        }
    }
}

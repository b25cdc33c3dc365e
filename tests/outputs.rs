//! The outputs a person looks at (issue 5): overlays checked against the generator's true dot
//! centres, the CSV's exact header and cells, the HTML's escaping and self-containment, and
//! outputs that cannot be written (a clear error, nothing half-written left behind).

mod common;

use std::fs;

use common::*;
use image::{Rgb, RgbImage};
use serde_json::Value;
use smptrack::render::overlay::{DOT_CENTRE, REGION_OUTLINE};
use smptrack::synth::{render, truth, DotParams, Scene};

/// The region measured in the overlay tests (px of the 320 × 240 photo): context all round.
const REGION: (u32, u32, u32, u32) = (40, 30, 240, 180);

/// Writes a healed scene (with its hairs and stubble) as `s.png`; returns the scene.
fn write_scene(fx: &Fixture, seed: u64) -> Scene {
    let camera = camera();
    let scene = Scene::typical(&camera, 3, &DotParams::healed(), seed);
    fx.write("s.png", png(&render(&scene, &camera)));
    scene
}

fn region_arg() -> String {
    format!("{},{},{},{}", REGION.0, REGION.1, REGION.2, REGION.3)
}

/// Where the overlay shows a `width` × `height` px region: the frame drawn 2 px outside it (rows
/// and columns with long runs of its colour; the legend's small swatch has short ones) gives the
/// picture px of the region's left and top edges and the picture px per photo px.
fn frame_of(img: &RgbImage, width: u32, height: u32) -> (f64, f64, f64, f64) {
    let long = 100;
    let rows: Vec<u32> = (0..img.height())
        .filter(|&y| {
            (0..img.width())
                .filter(|&x| *img.get_pixel(x, y) == REGION_OUTLINE)
                .count()
                >= long
        })
        .collect();
    let cols: Vec<u32> = (0..img.width())
        .filter(|&x| {
            (0..img.height())
                .filter(|&y| *img.get_pixel(x, y) == REGION_OUTLINE)
                .count()
                >= long
        })
        .collect();
    assert!(
        rows.len() >= 4 && cols.len() >= 4,
        "no region frame in the overlay"
    );
    let (x0, x1) = (cols[0], cols[cols.len() - 1]);
    let (y0, y1) = (rows[0], rows[rows.len() - 1]);
    // The frame's outer box is [x0, x1] = [left − 2, right + 1] in picture px.
    let (left, top) = (f64::from(x0 + 2), f64::from(y0 + 2));
    let sx = (f64::from(x1 - 1) - left) / f64::from(width);
    let sy = (f64::from(y1 - 1) - top) / f64::from(height);
    (left, top, sx, sy)
}

fn frame(img: &RgbImage) -> (f64, f64, f64, f64) {
    frame_of(img, REGION.2, REGION.3)
}

/// Centroids (picture px, pixel centres at i + 0.5) of the 4-connected groups of `colour`
/// inside the rectangle [x0, x1) × [y0, y1).
fn marks(img: &RgbImage, colour: Rgb<u8>, bounds: (u32, u32, u32, u32)) -> Vec<(f64, f64)> {
    let (x0, y0, x1, y1) = bounds;
    let mut seen = vec![false; (img.width() * img.height()) as usize];
    let mut out = Vec::new();
    for y in y0..y1 {
        for x in x0..x1 {
            let i = (y * img.width() + x) as usize;
            if seen[i] || *img.get_pixel(x, y) != colour {
                continue;
            }
            let (mut sum, mut n, mut stack) = ((0.0, 0.0), 0.0, vec![(x, y)]);
            seen[i] = true;
            while let Some((px, py)) = stack.pop() {
                sum = (sum.0 + f64::from(px) + 0.5, sum.1 + f64::from(py) + 0.5);
                n += 1.0;
                for (qx, qy) in [
                    (px.wrapping_sub(1), py),
                    (px + 1, py),
                    (px, py.wrapping_sub(1)),
                    (px, py + 1),
                ] {
                    if qx < x0 || qx >= x1 || qy < y0 || qy >= y1 {
                        continue;
                    }
                    let j = (qy * img.width() + qx) as usize;
                    if !seen[j] && *img.get_pixel(qx, qy) == colour {
                        seen[j] = true;
                        stack.push((qx, qy));
                    }
                }
            }
            out.push((sum.0 / n, sum.1 / n));
        }
    }
    out
}

/// Share of `points` within `tolerance` px of one of `targets`.
fn share_near(points: &[(f64, f64)], targets: &[(f64, f64)], tolerance: f64) -> f64 {
    let near = points
        .iter()
        .filter(|p| {
            targets
                .iter()
                .any(|t| (p.0 - t.0).hypot(p.1 - t.1) <= tolerance)
        })
        .count();
    near as f64 / points.len().max(1) as f64
}

#[test]
fn overlay_marks_sit_on_the_true_dot_centres() {
    let fx = Fixture::new();
    let scene = write_scene(&fx, 21);
    let (report, _, _) = run_ok(fx.cmd().args([
        "analyze",
        "s.png",
        "--region",
        &region_arg(),
        "--px-per-mm",
        "20",
        "--overlay",
        "ov",
        "-q",
    ]));
    let img = image::open(fx.path("ov/s.overlay.png"))
        .expect("the overlay is a PNG")
        .into_rgb8();
    let (left, top, sx, sy) = frame(&img);
    assert!((sx - sy).abs() < 0.02 && sx >= 1.0, "scale {sx} × {sy}");
    // The marks inside the frame, back in photo px.
    let bounds = (
        left as u32,
        top as u32,
        (left + sx * f64::from(REGION.2)) as u32,
        (top + sy * f64::from(REGION.3)) as u32,
    );
    let marked: Vec<(f64, f64)> = marks(&img, DOT_CENTRE, bounds)
        .into_iter()
        .map(|(u, v)| {
            (
                f64::from(REGION.0) + (u - left) / sx,
                f64::from(REGION.1) + (v - top) / sy,
            )
        })
        .collect();
    let counted = num(&sessions(&report)[0], "dot_count") as usize;
    assert_eq!(marked.len(), counted, "one mark per counted dot");
    let truth = truth(&scene, &camera(), REGION);
    assert!(truth.dot_count > 30, "a useful scene: {}", truth.dot_count);
    // Marks sit on true centres, and true centres carry marks (within a px and a half: the
    // finder's own error plus the mark's placement on the zoomed picture).
    let on_truth = share_near(&marked, &truth.dot_centres_px, 1.5);
    let found = share_near(&truth.dot_centres_px, &marked, 1.5);
    assert!(on_truth >= 0.9, "only {on_truth:.3} of marks on true dots");
    assert!(found >= 0.9, "only {found:.3} of true dots marked");
    // And each mark is exactly where the library measured its dot (to the picture's pixel).
    let photo = image::open(fx.path("s.png")).unwrap();
    let region = smptrack::Region {
        x: REGION.0,
        y: REGION.1,
        width: REGION.2,
        height: REGION.3,
    };
    let measured: Vec<(f64, f64)> = smptrack::measure::measure(&photo, region, Some(PX_PER_MM))
        .unwrap()
        .dots
        .iter()
        .map(|d| (d.x, d.y))
        .collect();
    let placed = share_near(&measured, &marked, 0.75 / sx);
    assert_eq!(placed, 1.0, "marks off their measured dots");

    // Hairs and stubble set aside are tinted, inside the region only.
    let hair = num(&sessions(&report)[0], "hair_coverage_pct");
    let magenta = |p: &Rgb<u8>| {
        let [r, g, b] = p.0;
        i32::from(r) - i32::from(g) > 80 && i32::from(b) - i32::from(g) > 80
    };
    let tinted = (bounds.1..bounds.3)
        .flat_map(|y| (bounds.0..bounds.2).map(move |x| (x, y)))
        .filter(|&(x, y)| magenta(img.get_pixel(x, y)))
        .count();
    assert!(
        hair > 0.0 && tinted > 0,
        "hair {hair}% but {tinted} tinted px"
    );
    let outside = (0..bounds.1.saturating_sub(2))
        .flat_map(|y| (0..img.width()).map(move |x| (x, y)))
        .filter(|&(x, y)| magenta(img.get_pixel(x, y)))
        .count();
    assert_eq!(outside, 0, "hair tinted above the region");
}

#[test]
fn overlays_are_named_after_their_photos_one_per_session() {
    let fx = Fixture::new();
    let images = series_images(5);
    fx.write("a/s1.png", png(&images[0]));
    fx.write("b/s1.png", png(&images[1]));
    fx.write("s3.jpg", jpeg(&images[2]));
    let photos = ["a/s1.png", "b/s1.png", "s3.jpg"];
    let (report, _, _) = run_ok(fx.cmd().arg("analyze").args(photos));
    fs::create_dir(fx.path("out")).unwrap();
    let (with_overlays, _, _) = run_ok(
        fx.cmd()
            .arg("analyze")
            .args(photos)
            .args(["--overlay", "out/ov"]),
    );
    // Drawing overlays changes nothing in the report; the folder is created.
    assert_eq!(with_overlays, report);
    let mut names: Vec<String> = fs::read_dir(fx.path("out/ov"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["s1-2.overlay.png", "s1.overlay.png", "s3.overlay.png"]
    );
    for name in names {
        let img = image::open(fx.path(&format!("out/ov/{name}"))).unwrap();
        assert!(img.width() >= 560 && img.height() > 240, "{name}");
    }
}

/// A client folder `c`: a manifest with awkward strings (commas, quotes, markup) and three
/// sessions.
fn write_awkward_client(fx: &Fixture, client: &str, labels: [&str; 3]) {
    write_three_session_client(fx, "c", 9, client, labels);
}

#[test]
fn csv_has_a_header_with_units_and_the_json_values() {
    let fx = Fixture::new();
    write_awkward_client(&fx, "C-042, \"VIP\"", ["layout", "dens;ity", "touch\nup"]);
    let (report, _, _) =
        run_ok(
            fx.cmd()
                .args(["analyze", "--manifest", "c/m.json", "--csv", "r.csv", "-q"]),
        );
    let bytes = fs::read(fx.path("r.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 byte-order mark");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let header = text.lines().next().unwrap();
    assert_eq!(
        header,
        "session,client,photo,label,date (ISO 8601),image.width (px),image.height (px),\
         region.x (px),region.y (px),region.width (px),region.height (px),px_per_mm (px/mm),\
         region_area_cm2 (cm²),dot_count (dots),density_per_cm2 (dots/cm²),coverage_pct (%),\
         hair_coverage_pct (%),mean_dot_diameter_px (px),mean_dot_diameter_mm (mm),\
         pigment_lightness (L*),skin_lightness (L*),darkness (0..1),edge_softness (σ/radius),\
         dot_diameter_px.mean (px),dot_diameter_px.p90 (px),\
         dot_diameter_mm.mean (mm),dot_diameter_mm.p90 (mm),\
         pigment_lab.L (L*),pigment_lab.a (a*),pigment_lab.b (b*),\
         skin_lab.L (L*),skin_lab.a (a*),skin_lab.b (b*),\
         uniformity.cell_mm (mm),uniformity.cell_px (px),uniformity.cv (ratio),\
         uniformity.noise_cv (ratio),uniformity.thinnest (x·y px; dots/cm² or per cell),warnings,\
         change.dot_count (dots),change.density_per_cm2 (dots/cm²),change.coverage_pct (pp),\
         change.darkness (0..1),change.days (days),change.spread_pct (%),\
         change.hue_shift.da (Δa*),change.hue_shift.db (Δb*),\
         change.fade_per_30_days (darkness per 30 days)"
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let columns: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.split(" (").next().unwrap().to_string())
        .collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    for (i, (row, session)) in rows.iter().zip(sessions(&report)).enumerate() {
        assert_eq!(row.len(), columns.len());
        for (column, cell) in columns.iter().zip(row) {
            let expected = match column.as_str() {
                "session" => Value::from(i + 1),
                "client" => report["client"].clone(),
                dotted => dotted.split('.').fold(session.clone(), |v, key| {
                    v.get(key).cloned().unwrap_or(Value::Null)
                }),
            };
            let expected = match expected {
                Value::Null => String::new(),
                Value::String(s) => s,
                Value::Array(items) => items
                    .iter()
                    .map(|w| match w {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            };
            assert_eq!(cell, expected, "session {} column {column}", i + 1);
        }
    }
    // The awkward strings survive quoting.
    assert_eq!(&rows[0][1], "C-042, \"VIP\"");
    assert_eq!(&rows[2][3], "touch\nup");
    assert_eq!(&rows[1][3], "dens;ity");
    // Only the first session has an empty change.
    let change_at = columns
        .iter()
        .position(|c| c == "change.dot_count")
        .unwrap();
    assert_eq!(&rows[0][change_at], "");
    assert!(rows[1][change_at].parse::<i64>().is_ok());
}

#[test]
fn html_escapes_every_user_string_and_fetches_nothing() {
    let fx = Fixture::new();
    let evil = "<script>alert('x')</script>";
    write_awkward_client(
        &fx,
        evil,
        [evil, "a&b \"quoted\"", "<img src=x onerror=alert(1)>"],
    );
    run_ok(fx.cmd().args([
        "analyze",
        "--manifest",
        "c/m.json",
        "--html",
        "r.html",
        "-q",
    ]));
    let html = fs::read_to_string(fx.path("r.html")).unwrap();
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "a script tag got through");
    assert!(!html.contains("<img src=x"), "markup got through");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(html.contains("a&amp;b &quot;quoted&quot;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    // Self-contained: every image is embedded, no style sheet or font is linked.
    assert!(!lower.contains("<link") && !lower.contains("url(") && !lower.contains("@import"));
    for src in html.split("src=\"").skip(1) {
        assert!(
            src.starts_with("data:image/"),
            "external source: {}",
            &src[..40.min(src.len())]
        );
    }
    assert_eq!(
        html.matches("<img ").count(),
        3 + 2,
        "each session's, first and latest"
    );
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 3);
    // The summary's outlook: progress towards the manifest's 120 dots/cm², as in the JSON.
    let (report, _, _) = run_ok(fx.cmd().args(["analyze", "--manifest", "c/m.json", "-q"]));
    let progress = report["summary"]["progress_pct"]
        .as_f64()
        .expect("a target is given");
    assert!(
        html.contains(&format!(
            "Density is at <strong>{progress}%</strong> of the target"
        )),
        "outlook with {progress}%"
    );
    for needle in [
        "Density",
        "Coverage",
        "Darkness",
        "How each number is measured",
        "dots/cm²",
    ] {
        assert!(html.contains(needle), "no {needle}");
    }
}

#[test]
fn an_output_that_cannot_be_written_leaves_nothing_behind() {
    let fx = bad_outputs_fixture();
    let before = fx.snapshot();
    // Checked before measuring: a missing folder, a file where the overlay folder should be.
    for (args, code, mention) in [
        (&["--html", "no-such/r.html"][..], 3, "no-such"),
        (&["--csv", "no-such/r.csv"], 3, "no-such"),
        (&["--overlay", "no-such/ov"], 3, "no-such"),
        (&["--overlay", "s.png"], 3, "s.png"),
        (&["--csv", "same.out", "--html", "same.out"], 2, "same.out"),
        (&["-o", "r.json", "--csv", "./r.json"], 2, "r.json"),
        (&["--html", "s.png"], 2, "s.png"),
    ] {
        let out = fx
            .cmd()
            .args(["analyze", "s.png"])
            .args(args)
            .output()
            .unwrap();
        assert_failed(&out, code, &[mention]);
        assert!(fx.snapshot() == before, "{args:?} changed the folder");
    }
    // Found only when writing (root may write anywhere else): a folder nobody can create files
    // in. The CSV and JSON that could be written are not, and no temporary file is left.
    for args in [
        &["--csv", "r.csv", "-o", "r.json", "--overlay", "/proc/self"][..],
        &["--csv", "r.csv", "--overlay", "/proc/smptrack-ov"],
        &["--overlay", "ov", "--html", "/proc/self/r.html"],
    ] {
        let out = fx
            .cmd()
            .args(["analyze", "s.png", "-q"])
            .args(args)
            .output()
            .unwrap();
        let line = assert_failed(&out, 3, &["cannot write", "/proc/"]);
        assert!(line.contains("/proc/"), "{line}");
        assert!(
            fx.snapshot() == before,
            "{args:?} left files: {:?}",
            fx.snapshot().keys()
        );
    }
}

#[test]
fn an_overlay_never_replaces_an_input() {
    let fx = bad_outputs_fixture();
    let photo = fs::read(fx.path("s.png")).unwrap();
    fx.write("ov/a.png", &photo);
    fx.write("ov/a.overlay.png", &photo);
    let before = fx.snapshot();
    let out = fx
        .cmd()
        .args(["analyze", "ov/a.png", "ov/a.overlay.png", "--overlay", "ov"])
        .output()
        .unwrap();
    assert_failed(&out, 2, &["--overlay", "a.overlay.png", "inputs"]);
    assert!(fx.snapshot() == before);
}

fn bad_outputs_fixture() -> Fixture {
    let fx = Fixture::new();
    fx.write("s.png", png(&scene_image(3)));
    fx
}

#[test]
fn help_names_the_new_outputs() {
    let out = smptrack().args(["analyze", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "--overlay <DIR>",
        "--html <FILE>",
        "--csv <FILE>",
        "progress",
    ] {
        assert!(help.contains(needle), "help lacks {needle:?}:\n{help}");
    }
}

/// Runs `smptrack ARGS` in `fx` with a terminal as its standard error (through `script`, which
/// gives it a pseudo-terminal); returns what the terminal showed, or `None` without `script`.
fn on_a_terminal(fx: &Fixture, args: &str) -> Option<String> {
    let bin = assert_cmd::cargo::cargo_bin("smptrack");
    let line = format!("{} {args}", bin.display());
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(fx.root())
        .env_remove("RAYON_NUM_THREADS")
        .output()
        .ok()?;
    assert!(out.status.success(), "{out:?}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_terminal_shows_a_bar_for_several_photos() {
    let fx = Fixture::new();
    let images = series_images(4);
    for (i, img) in images.iter().enumerate() {
        fx.write(&format!("s{}.png", i + 1), png(img));
    }
    let Some(shown) = on_a_terminal(&fx, "analyze s1.png s2.png s3.png -o r.json") else {
        eprintln!("skipped: `script` (util-linux) is not installed, so no terminal to test on");
        return;
    };
    assert!(shown.contains("/3 photos"), "no bar: {shown:?}");
    assert!(
        !shown.contains("[1/3]"),
        "lines as well as the bar: {shown:?}"
    );
    assert!(fs::read_to_string(fx.path("r.json")).is_ok());
    // One photo: the line, as before; quiet: nothing.
    let one = on_a_terminal(&fx, "analyze s1.png -o r.json").unwrap();
    assert!(one.contains("[1/1] session 1, s1.png"), "{one:?}");
    let quiet = on_a_terminal(&fx, "analyze s1.png s2.png -q -o r.json").unwrap();
    assert!(
        !quiet.contains("photos") && !quiet.contains("[1/2]"),
        "{quiet:?}"
    );
}

#[test]
fn one_photo_without_a_manifest_still_makes_a_full_report() {
    let fx = bad_outputs_fixture();
    run_ok(fx.cmd().args([
        "analyze",
        "s.png",
        "--html",
        "r.html",
        "--csv",
        "r.csv",
        "--overlay",
        ".",
        "-q",
    ]));
    let html = fs::read_to_string(fx.path("r.html")).unwrap();
    assert_eq!(
        html.matches("<img ").count(),
        2,
        "the session, and once more at the top"
    );
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 3);
    assert!(html.contains("· 1 session<"), "one session, no dates");
    assert!(html.contains("not measured"), "no scale: no density");
    let csv = fs::read_to_string(fx.path("r.csv")).unwrap();
    assert_eq!(csv.lines().count(), 2);
    assert!(fx.path("s.overlay.png").is_file());
}

#[test]
fn a_large_region_is_shrunk_and_its_marks_stay_on_the_dots() {
    use smptrack::render::overlay::{render_overlay, OVERLAY_MAX_SIDE};
    // Dark discs (radius 12 px) on a grid, on plain skin: 3000 × 1000 px.
    let centres: Vec<(f64, f64)> = (0..18)
        .flat_map(|i| {
            (0..5).map(move |j| (250.0 + 150.0 * f64::from(i), 200.0 + 150.0 * f64::from(j)))
        })
        .collect();
    let img = RgbImage::from_fn(3000, 1000, |x, y| {
        let (px, py) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
        let inside = centres.iter().any(|c| (px - c.0).hypot(py - c.1) <= 12.0);
        if inside {
            Rgb([80, 64, 56])
        } else {
            Rgb([200, 160, 140])
        }
    });
    let photo = smptrack::Photo::new(image::DynamicImage::ImageRgb8(img));
    let region = smptrack::Region {
        x: 100,
        y: 100,
        width: 2800,
        height: 800,
    };
    let session = smptrack::SessionInput {
        photo: "wide.png".into(),
        path: "wide.png".into(),
        label: None,
        date: None,
        region: Some(region),
        region_source: "region".into(),
        px_per_mm: Some(30.0),
    };
    let analysis = smptrack::analyze_photo(&photo, &session).unwrap();
    assert_eq!(analysis.measurement.dots.len(), centres.len());
    let overlay = render_overlay(&photo.image, &analysis);
    assert_eq!(
        overlay.width(),
        OVERLAY_MAX_SIDE,
        "the picture is shrunk to the limit"
    );
    let (left, top, sx, _) = frame_of(&overlay, region.width, region.height);
    assert!((sx - 0.4).abs() < 0.01, "scale {sx}");
    let bounds = (
        left as u32,
        top as u32,
        (left + sx * 2800.0) as u32,
        (top + sx * 800.0) as u32,
    );
    let marked: Vec<(f64, f64)> = marks(&overlay, DOT_CENTRE, bounds)
        .into_iter()
        .map(|(u, v)| (100.0 + (u - left) / sx, 100.0 + (v - top) / sx))
        .collect();
    assert_eq!(marked.len(), centres.len());
    // Within a picture pixel and a half (3.75 photo px) of the true centre.
    assert_eq!(share_near(&marked, &centres, 1.5 / sx), 1.0, "{marked:?}");
}

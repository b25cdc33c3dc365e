//! The HTML report opened in a real browser (issue 5): headless Chromium loads the file, reports
//! no console errors, and its screenshot shows the three charts and the session images.
//!
//! Needs Chromium (Debian: `apt-get install chromium`; `.ci/run` installs it when it can). Set
//! `SMPTRACK_CHROMIUM` to use another binary. Without one, the test says so and passes.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use image::RgbImage;

/// The browser to use: `SMPTRACK_CHROMIUM`, else the first of the usual names on `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SMPTRACK_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|candidate| candidate.is_file())
}

/// Runs the browser headless on `page` with `extra` arguments and a fresh profile; returns
/// (stdout, stderr).
fn run_browser(browser: &Path, page: &Path, extra: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().expect("browser profile folder");
    let out = assert_cmd::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run the browser");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "browser failed: {stderr}");
    (stdout, stderr)
}

/// Pixels of `img` within `tolerance` (per channel) of `colour`.
fn count_near(img: &RgbImage, colour: [u8; 3], tolerance: i32) -> usize {
    img.pixels()
        .filter(|p| {
            p.0.iter()
                .zip(colour)
                .all(|(a, b)| (i32::from(*a) - i32::from(b)).abs() <= tolerance)
        })
        .count()
}

#[test]
fn the_html_report_renders_in_a_browser() {
    let Some(browser) = chromium() else {
        eprintln!(
            "skipped: no Chromium found (apt-get install chromium, or set SMPTRACK_CHROMIUM); \
             the HTML report was not opened in a browser"
        );
        return;
    };
    let fx = Fixture::new();
    write_three_session_client(&fx, "", 31, "C-042 <b>", ["layout", "density", "follow-up"]);
    run_ok(
        fx.cmd()
            .args(["analyze", "--manifest", "m.json", "--html", "r.html", "-q"]),
    );
    let page = fx.path("r.html");

    // The page as the browser parsed it: the charts are SVG, the images are there.
    let (dom, _) = run_browser(&browser, &page, &["--dump-dom"]);
    assert!(dom.contains("Scalp micropigmentation progress"), "{dom}");
    assert_eq!(
        dom.matches("<svg class=\"chart\"").count(),
        3,
        "charts in the DOM"
    );
    assert_eq!(dom.matches("<img ").count(), 5, "images in the DOM");
    assert!(dom.contains("C-042 &lt;b&gt;"), "client shown as text");

    // A screenshot: no console errors, and the charts and photos drew.
    let shot = fx.path("shot.png");
    let (_, log) = run_browser(
        &browser,
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,2000",
        ],
    );
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let img = image::open(&shot)
        .expect("the screenshot is an image")
        .into_rgb8();
    let n = f64::from(img.width() * img.height());
    let luma: Vec<f64> = img
        .pixels()
        .map(|p| 0.2126 * f64::from(p[0]) + 0.7152 * f64::from(p[1]) + 0.0722 * f64::from(p[2]))
        .collect();
    let mean = luma.iter().sum::<f64>() / n;
    let variance = luma.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / n;
    assert!(
        variance > 200.0,
        "the page looks blank (variance {variance:.0})"
    );
    // Each chart's line and points, in its own colour.
    for (chart, colour) in [
        ("density", [0x25, 0x63, 0xeb]),
        ("coverage", [0x05, 0x96, 0x69]),
        ("darkness", [0x7c, 0x3a, 0xed]),
    ] {
        let drawn = count_near(&img, colour, 40);
        assert!(
            drawn > 150,
            "the {chart} chart drew {drawn} px of its colour"
        );
    }
    // The region photos: skin tones (warm, red above green above blue) over a good part of the
    // page (the first and latest side by side fill most of the top).
    let skin = img
        .pixels()
        .filter(|p| {
            let [r, g, b] = p.0.map(i32::from);
            r > g && g > b && r - b > 25 && (80..=250).contains(&r)
        })
        .count();
    assert!(
        skin as f64 / n > 0.05,
        "photos drew only {skin} skin-coloured px of {n}"
    );
}

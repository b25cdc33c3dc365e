//! `smptrack batch DIR` over a small clinic archive: every client folder found (recursively),
//! each report written beside its manifest and identical to `analyze --manifest`, a broken client
//! named and skipped while the others complete, and the summary table.

mod common;

use std::fs;

use common::*;

/// Writes client folder `folder` with `n` session photos and a manifest naming them.
fn write_client(fx: &Fixture, folder: &str, client: &str, seed: u64, n: usize) {
    let images = series_images(seed);
    let mut sessions = Vec::new();
    for (i, img) in images.iter().take(n).enumerate() {
        let name = format!("s{}.png", i + 1);
        fx.write(&format!("{folder}/{name}"), png(img));
        sessions.push(format!(
            r#"{{"photo": "{name}", "date": "2026-0{}-10"}}"#,
            i + 1
        ));
    }
    fx.write(
        &format!("{folder}/manifest.json"),
        format!(
            r#"{{"client": "{client}", "px_per_mm": {PX_PER_MM}, "sessions": [{}]}}"#,
            sessions.join(", ")
        ),
    );
}

#[test]
fn a_broken_client_is_skipped_and_the_others_complete() {
    let fx = Fixture::new();
    write_client(&fx, "archive/C-001", "C-001", 71, 2);
    write_client(&fx, "archive/2026/C-002", "Client two", 72, 1);
    // A client whose second photo is cut short, with the report of an earlier run.
    write_client(&fx, "archive/C-003", "C-003", 73, 2);
    let s2 = fs::read(fx.path("archive/C-003/s2.png")).unwrap();
    fx.write("archive/C-003/s2.png", &s2[..s2.len() / 2]);
    fx.write("archive/C-003/report.json", "earlier report");
    // A client whose manifest is not JSON.
    fx.write("archive/C-004/manifest.json", "{\"sessions\": [");
    // Neither a client nor walked into.
    fx.write("archive/.trash/C-009/manifest.json", "not even JSON");
    fx.write("archive/notes/readme.txt", "no manifest here");

    let out = fx
        .cmd()
        .args(["batch", "--quiet", "archive"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_no_panic(&stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");

    // One line per broken client, naming it.
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("archive/C-003") && l.contains("s2.png")),
        "{stderr}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("archive/C-004") && l.contains("manifest")),
        "{stderr}"
    );
    assert!(lines.iter().all(|l| l.starts_with("smptrack: client '")));

    // The good clients' reports, byte for byte what `analyze --manifest` prints.
    for folder in ["archive/C-001", "archive/2026/C-002"] {
        let written = fs::read_to_string(fx.path(&format!("{folder}/report.json"))).unwrap();
        let manifest = format!("{folder}/manifest.json");
        let (_, printed, _) = run_ok(fx.cmd().args(["analyze", "-q", "--manifest", &manifest]));
        assert_eq!(written, printed, "{folder}");
    }
    assert_eq!(
        fs::read_to_string(fx.path("archive/C-003/report.json")).unwrap(),
        "earlier report",
        "a failed client's old report is left alone"
    );
    assert!(!fx.path("archive/C-004/report.json").exists());
    assert!(!fx.path("archive/.trash/C-009/report.json").exists());
    // No temporary file is left anywhere.
    for (path, _) in fx.snapshot() {
        assert!(!path.contains(".smptrack-"), "left behind: {path}");
    }

    // The table: a header, one row per client in path order, a count.
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 6, "{stdout}");
    assert_eq!(
        rows[0],
        ["client", "sessions", "dots", "dots/cm²", "status"]
    );
    assert_eq!(rows[1][..2], ["2026/C-002", "(Client"], "{stdout}");
    assert_eq!(rows[1][3..], ["1", rows[1][4], rows[1][5], "ok"]);
    assert_eq!(rows[2][0], "C-001");
    assert_eq!(rows[2][1], "2");
    assert_eq!(rows[2][4], "ok");
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(fx.path("archive/C-001/report.json")).unwrap())
            .unwrap();
    let latest = &sessions(&report)[1];
    assert_eq!(rows[2][2], latest["dot_count"].to_string());
    assert_eq!(
        rows[2][3],
        format!("{:.1}", latest["density_per_cm2"].as_f64().unwrap())
    );
    assert_eq!(rows[3], ["C-003", "-", "-", "-", "failed"]);
    assert_eq!(rows[4], ["C-004", "-", "-", "-", "failed"]);
    assert_eq!(rows[5].join(" "), "4 clients: 2 ok, 2 failed");

    // Without --quiet the failures are numbered with the progress lines: each of 1..4 once.
    let out = fx.cmd().args(["batch", "archive"]).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let mut numbers: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, ["[1/4]", "[2/4]", "[3/4]", "[4/4]"], "{stderr}");
    for client in ["archive/C-003", "archive/C-004"] {
        let skipped = format!("] client '{client}' skipped: ");
        assert_eq!(stderr.matches(&skipped).count(), 1, "{stderr}");
    }
}

#[test]
fn a_sound_archive_succeeds_with_progress_lines() {
    let fx = Fixture::new();
    write_client(&fx, "C-1", "C-1", 74, 1);
    // The archive folder may itself be a client.
    write_client(&fx, ".", "root", 75, 1);
    let out = fx.cmd().args(["batch", "."]).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.lines().all(is_progress), "{stderr}");
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.lines().nth(1).unwrap().starts_with(". (root)"),
        "{stdout}"
    );
    assert!(stdout.ends_with("2 clients: 2 ok, 0 failed\n"), "{stdout}");
    assert!(fx.path("report.json").is_file() && fx.path("C-1/report.json").is_file());
}

#[test]
fn an_unusable_archive_folder_is_one_error() {
    let fx = Fixture::new();
    fx.write("empty/readme.txt", "nothing");
    for (dir, mention) in [("missing", "missing"), ("empty", "no client folder")] {
        let out = fx.cmd().args(["batch", dir]).output().unwrap();
        assert_failed(&out, 1, &[dir, mention]);
    }
    let out = fx.cmd().args(["batch"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_report_that_cannot_be_written_fails_only_its_client() {
    let fx = Fixture::new();
    write_client(&fx, "A", "A", 76, 1);
    write_client(&fx, "B", "B", 77, 1);
    // A folder where B's report should go: the rename cannot replace it.
    fx.write("B/report.json/keep.txt", "a folder");
    let out = fx.cmd().args(["batch", "-q", "."]).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("'./B'") && stderr.contains("report.json"),
        "{stderr}"
    );
    assert!(fx.path("A/report.json").is_file());
    assert!(fx.path("B/report.json/keep.txt").is_file());
    for (path, _) in fx.snapshot() {
        assert!(!path.contains(".smptrack-"), "left behind: {path}");
    }
}

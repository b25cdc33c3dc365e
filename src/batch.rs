//! `smptrack batch DIR`: every client folder of a clinic archive analysed in one run.
//!
//! A client folder is any folder at or below `DIR` holding a [`MANIFEST_FILE_NAME`]; the walk is
//! recursive (an archive may group clients by year or clinic: `archive/2026/C-042/manifest.json`),
//! skips hidden folders (`.git`, `.Trash`…) and does not follow symbolic links to folders (no
//! loops). Clients are analysed in parallel, and each client's photos in parallel too, on one
//! rayon pool: a photo is decoded inside the task that measures it and dropped when that task
//! ends, so memory grows with the number of threads, never with the number of photos. Each
//! client's report is written atomically beside its manifest as [`REPORT_FILE_NAME`]. A client
//! that fails (bad manifest, broken photo, unwritable report) is reported and skipped; its old
//! report, if any, is left untouched, and the other clients complete.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::analyze::{analyze_series, SeriesInput};
use crate::error::{Error, Result};
use crate::load::LoadLimits;
use crate::manifest::read_manifest;
use crate::output::{names_an_input, write_atomic};
use crate::report::Report;

/// The file name that marks a client folder.
pub const MANIFEST_FILE_NAME: &str = "manifest.json";
/// The file name of the report written beside each manifest.
pub const REPORT_FILE_NAME: &str = "report.json";

/// What became of one client folder.
#[derive(Debug)]
pub struct ClientOutcome {
    /// The client's folder (below the batch folder, as found by the walk).
    pub folder: PathBuf,
    /// The client's numbers, or why the client was skipped.
    pub result: Result<ClientSummary>,
}

/// The numbers of one analysed client, for the summary table.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientSummary {
    /// The manifest's `client`, if any.
    pub client: Option<String>,
    /// How many sessions the report holds.
    pub sessions: usize,
    /// The latest session's dot count.
    pub dots_latest: u64,
    /// The latest session's density (dots/cm²), when it has a scale.
    pub density_latest: Option<f64>,
    /// Where the report was written.
    pub report_path: PathBuf,
}

impl ClientSummary {
    fn of(report: &Report, report_path: PathBuf) -> Self {
        let latest = report.sessions.last();
        ClientSummary {
            client: report.client.clone(),
            sessions: report.sessions.len(),
            dots_latest: latest.map_or(0, |s| s.metrics.dot_count),
            density_latest: latest.and_then(|s| s.metrics.density_per_cm2),
            report_path,
        }
    }
}

/// The client folders below `root` (and `root` itself) that hold a [`MANIFEST_FILE_NAME`], in
/// sorted path order. A sub-folder that cannot be listed is returned as an `Err` naming it, in
/// its place, so the caller can report it like a broken client.
pub fn find_client_folders(root: &Path) -> Result<Vec<Result<PathBuf>>> {
    let meta = std::fs::metadata(root).map_err(|e| Error::Batch {
        path: root.to_path_buf(),
        reason: e.to_string(),
    })?;
    if !meta.is_dir() {
        return Err(Error::Batch {
            path: root.to_path_buf(),
            reason: "is not a folder".into(),
        });
    }
    let mut found = Vec::new();
    walk(root, &mut found);
    if found.is_empty() {
        return Err(Error::Batch {
            path: root.to_path_buf(),
            reason: format!("no client folder (none holds a {MANIFEST_FILE_NAME})"),
        });
    }
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<Result<PathBuf>>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            found.push(Err(Error::Batch {
                path: dir.to_path_buf(),
                reason: format!("cannot list the folder: {e}"),
            }));
            return;
        }
    };
    let mut subfolders = Vec::new();
    let mut has_manifest = false;
    for entry in entries.flatten() {
        let name = entry.file_name();
        // file_type() does not follow symbolic links: a linked folder is not walked into.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !name.to_string_lossy().starts_with('.') {
                subfolders.push(entry.path());
            }
        } else if name == MANIFEST_FILE_NAME && entry.path().is_file() {
            has_manifest = true;
        }
    }
    if has_manifest {
        found.push(Ok(dir.to_path_buf()));
    }
    subfolders.sort();
    for sub in subfolders {
        walk(&sub, found);
    }
}

/// Analyses one client folder and writes its report beside the manifest. A panic (a bug) in the
/// analysis is caught and returned as [`Error::Internal`] for this folder, so one client cannot
/// stop a whole archive.
pub fn analyze_client(folder: &Path, limits: &LoadLimits) -> Result<ClientSummary> {
    catch_panic(folder, || analyze_client_unguarded(folder, limits))
}

/// Runs `work` for client `folder`; a panic in it becomes [`Error::Internal`] naming the folder.
fn catch_panic<T>(folder: &Path, work: impl FnOnce() -> Result<T>) -> Result<T> {
    crate::error::catch_panic(work, |message| Error::Internal {
        path: folder.to_path_buf(),
        message,
    })
}

fn analyze_client_unguarded(folder: &Path, limits: &LoadLimits) -> Result<ClientSummary> {
    let manifest = read_manifest(&folder.join(MANIFEST_FILE_NAME))?;
    let series = SeriesInput::from_manifest(&manifest);
    let report_path = folder.join(REPORT_FILE_NAME);
    if names_an_input(
        &report_path,
        series.sessions.iter().map(|s| s.path.as_path()),
    ) {
        return Err(Error::Output {
            path: report_path,
            source: std::io::Error::other("it is one of the client's photos"),
        });
    }
    let report = analyze_series(&series, limits, |_, _| {})?;
    write_atomic(&report_path, report.to_json().as_bytes())?;
    Ok(ClientSummary::of(&report, report_path))
}

/// Analyses every client folder below `root` (see the module documentation), clients in
/// parallel. `on_done(outcome, clients)` is called as each client finishes (in any order), with
/// the number of clients found, e.g. to report a failure at once. Returns every client's outcome in the order of
/// [`find_client_folders`]; an `Err` only when `root` itself cannot be used.
pub fn run_batch(
    root: &Path,
    limits: &LoadLimits,
    on_done: impl Fn(&ClientOutcome, usize) + Sync,
) -> Result<Vec<ClientOutcome>> {
    let folders = find_client_folders(root)?;
    let clients = folders.len();
    let outcomes = folders
        .into_par_iter()
        .map(|found| {
            let outcome = match found {
                Ok(folder) => {
                    let result = analyze_client(&folder, limits);
                    ClientOutcome { folder, result }
                }
                Err(e) => ClientOutcome {
                    folder: match &e {
                        Error::Batch { path, .. } => path.clone(),
                        _ => root.to_path_buf(),
                    },
                    result: Err(e),
                },
            };
            on_done(&outcome, clients);
            outcome
        })
        .collect();
    // The threads' kept planes (shared by all clients, see crate::buffers) are freed.
    crate::buffers::release_thread_planes();
    Ok(outcomes)
}

/// The summary table of a batch, one row per client in `outcomes`' order, columns aligned:
/// `client` (the folder relative to `root`, with the manifest's client id in parentheses when it
/// differs), `sessions`, `dots` and `dots/cm²` of the latest session (`-` when unknown), and
/// `status` (`ok`, or `failed` — the reason is reported separately). Ends with a line counting
/// the clients that succeeded and failed.
pub fn summary_table(root: &Path, outcomes: &[ClientOutcome]) -> String {
    let mut rows: Vec<[String; 5]> = vec![[
        "client".into(),
        "sessions".into(),
        "dots".into(),
        "dots/cm²".into(),
        "status".into(),
    ]];
    for outcome in outcomes {
        let folder = outcome
            .folder
            .strip_prefix(root)
            .ok()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| ".".to_string(), |p| p.display().to_string());
        let folder = printable(&folder);
        rows.push(match &outcome.result {
            Ok(s) => {
                let name = match &s.client {
                    Some(c) if *c != folder => format!("{folder} ({})", printable(c)),
                    _ => folder,
                };
                [
                    name,
                    s.sessions.to_string(),
                    s.dots_latest.to_string(),
                    s.density_latest
                        .map_or_else(|| "-".to_string(), |d| format!("{d:.1}")),
                    "ok".into(),
                ]
            }
            Err(_) => [folder, "-".into(), "-".into(), "-".into(), "failed".into()],
        });
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c > 0 {
                line.push_str("  ");
            }
            // Text left-aligned, numbers right-aligned.
            if c == 0 || c == 4 {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad));
            } else {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    out.push_str(&format!(
        "{} client{}: {} ok, {failed} failed\n",
        outcomes.len(),
        if outcomes.len() == 1 { "" } else { "s" },
        outcomes.len() - failed
    ));
    out
}

/// `text` with every control character (a newline, an escape sequence's ESC) shown as `?`: a
/// client's name or folder from a manifest would otherwise break the table's rows, or recolour
/// the terminal (the table and the progress lines).
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_is_recursive_sorted_and_skips_hidden_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for folder in ["b/c2", "a", "b", ".trash/c9", "b/c2/deeper"] {
            std::fs::create_dir_all(root.join(folder)).unwrap();
            std::fs::write(root.join(folder).join(MANIFEST_FILE_NAME), "{}").unwrap();
        }
        std::fs::create_dir_all(root.join("empty")).unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("link")).unwrap();
        let found: Vec<PathBuf> = find_client_folders(root)
            .unwrap()
            .into_iter()
            .map(|f| f.unwrap().strip_prefix(root).unwrap().to_path_buf())
            .collect();
        let want: Vec<PathBuf> = ["a", "b", "b/c2", "b/c2/deeper"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(found, want);
    }

    /// A client's name and folder come from the user: control characters in them are shown as
    /// `?`, so that a newline cannot break the table's rows nor an escape sequence recolour the
    /// terminal; one client is "1 client".
    #[test]
    fn the_table_shows_control_characters_as_question_marks() {
        let root = Path::new("archive");
        let outcome = ClientOutcome {
            folder: root.join("c\u{1b}[31mred"),
            result: Ok(ClientSummary {
                client: Some("C-042\nfake row".into()),
                sessions: 3,
                dots_latest: 420,
                density_latest: None,
                report_path: PathBuf::from("archive/c/report.json"),
            }),
        };
        let table = summary_table(root, &[outcome]);
        assert_eq!(
            table,
            "client                      sessions  dots  dots/cm²  status\n\
             c?[31mred (C-042?fake row)         3   420         -  ok\n\
             1 client: 1 ok, 0 failed\n"
        );
    }

    /// A panic while analysing one client (a bug, or a dependency's panic that escaped the
    /// decoder guard) is that client's error, naming its folder, with the panic's message.
    #[test]
    fn a_panic_in_one_client_is_that_clients_error() {
        let folder = Path::new("archive/client-7");
        for (outcome, message) in [
            (catch_panic::<()>(folder, || panic!("boom")), "boom"),
            (
                catch_panic::<()>(folder, || panic!("{} at {}", "overflow", 42)),
                "overflow at 42",
            ),
        ] {
            match outcome {
                Err(Error::Internal { path, message: m }) => {
                    assert_eq!(path, folder);
                    assert_eq!(m, message);
                }
                other => panic!("expected an internal error, got {other:?}"),
            }
        }
        match catch_panic::<()>(folder, || std::panic::panic_any(5)) {
            Err(Error::Internal { message, .. }) => assert_eq!(message, "unknown panic"),
            other => panic!("expected an internal error, got {other:?}"),
        }
        assert_eq!(catch_panic(folder, || Ok(3)).unwrap(), 3);
    }

    #[test]
    fn a_folder_without_clients_or_no_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = find_client_folders(dir.path()).unwrap_err().to_string();
        assert!(e.contains("no client folder"), "{e}");
        let e = find_client_folders(&dir.path().join("nope"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("nope"), "{e}");
    }
}

//! The `smptrack` binary: parse arguments, call the library, map errors to exit codes.

mod cli;
mod progress;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use cli::{exit, AnalyzeArgs, BatchArgs, Cli, Command};
use progress::Progress;
use smptrack::batch::{printable, run_batch, summary_table};
use smptrack::output::{names_an_input, write_all_atomic};
use smptrack::render::csv::report_csv;
use smptrack::render::html::render_html;
use smptrack::render::{analyze_series_with_images, overlay_file_names, ImageOptions};
use smptrack::{read_manifest, Error, SeriesInput, SessionInput};

fn main() -> ExitCode {
    // Photo-sized buffers go back to the system when freed (see smptrack::allocator): a 24 MP
    // photo's peak of memory is its data, not glibc's arenas.
    smptrack::allocator::tune_for_photos();
    // A panic is a bug: report it in one line, not a backtrace dump. Decoder panics on hostile
    // input never get here: the library catches them per file.
    std::panic::set_hook(Box::new(|_| {}));
    let code = match std::panic::catch_unwind(run) {
        Ok(code) => code,
        Err(payload) => {
            let message = smptrack::error::panic_message(payload.as_ref()).unwrap_or_default();
            eprintln!(
                "smptrack: internal error (please report this bug): {}",
                one_line(&message)
            );
            exit::INTERNAL
        }
    };
    ExitCode::from(code as u8)
}

fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind::*;
            if matches!(e.kind(), DisplayHelp | DisplayVersion) {
                let _ = e.print();
                return exit::OK;
            }
            if e.kind() == DisplayHelpOnMissingArgumentOrSubcommand {
                let _ = e.print();
                return exit::USAGE;
            }
            // One line: clap's first paragraph (its message, and for a missing argument the
            // indented names that follow it), without the usage block and tips.
            let rendered = e.render().to_string();
            let first = rendered
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ");
            let first = first.strip_prefix("error: ").unwrap_or(&first);
            let first = if first.is_empty() {
                "invalid arguments"
            } else {
                first
            };
            eprintln!("smptrack: {first} (see --help)");
            return exit::USAGE;
        }
    };
    match cli.command {
        Command::Analyze(args) => match analyze(&args) {
            Ok(()) => exit::OK,
            Err(e) => {
                eprintln!("smptrack: {}", one_line(&e.to_string()));
                exit_code(&e)
            }
        },
        Command::Batch(args) => batch(&args),
    }
}

/// `smptrack batch DIR`: failures named on stderr as they happen, progress lines unless
/// `--quiet`, the summary table on stdout; exit 1 when any client failed.
fn batch(args: &BatchArgs) -> i32 {
    let limits = args.limits.to_limits();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let result = run_batch(&args.dir, &limits, |outcome, clients| {
        let i = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        match &outcome.result {
            Ok(s) if !args.quiet => eprintln!(
                "smptrack: [{i}/{clients}] {}: {} session{}",
                printable(&outcome.folder.display().to_string()),
                s.sessions,
                if s.sessions == 1 { "" } else { "s" }
            ),
            Ok(_) => {}
            // Numbered with the progress lines (a failed client is one of the clients done).
            Err(e) => eprintln!(
                "smptrack: {}client '{}' skipped: {}",
                if args.quiet {
                    String::new()
                } else {
                    format!("[{i}/{clients}] ")
                },
                printable(&outcome.folder.display().to_string()),
                printable(&one_line(&e.to_string()))
            ),
        }
    });
    let outcomes = match result {
        Ok(outcomes) => outcomes,
        Err(e) => {
            eprintln!("smptrack: {}", one_line(&e.to_string()));
            return exit::INPUT;
        }
    };
    let table = summary_table(&args.dir, &outcomes);
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(table.as_bytes())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return exit::OUTPUT;
    }
    if outcomes.iter().any(|o| o.result.is_err()) {
        exit::INPUT
    } else {
        exit::OK
    }
}

/// `text` on one line: decoder and OS messages may contain line breaks (or end with one), and
/// an error must be exactly one line on stderr.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn exit_code(e: &Error) -> i32 {
    match e {
        Error::InvalidArgument { .. } => exit::USAGE,
        Error::Region { source_name, .. } if source_name.starts_with("--") => exit::USAGE,
        Error::Output { .. } => exit::OUTPUT,
        Error::Internal { .. } => exit::INTERNAL,
        _ => exit::INPUT,
    }
}

fn analyze(args: &AnalyzeArgs) -> Result<(), Error> {
    let limits = args.limits.to_limits();
    let series = match &args.manifest {
        Some(path) => SeriesInput::from_manifest(&read_manifest(path)?),
        None => SeriesInput {
            sessions: args
                .photos
                .iter()
                .map(|p| SessionInput {
                    photo: p.display().to_string(),
                    path: p.clone(),
                    label: None,
                    date: None,
                    region: args.region,
                    region_source: match args.region {
                        Some(r) => format!("--region {r}"),
                        None => "--region".into(),
                    },
                    px_per_mm: args.px_per_mm,
                })
                .collect(),
            ..SeriesInput::default()
        },
    };
    let outputs = check_outputs(args, &series)?;

    let total = series.sessions.len();
    let progress = Progress::new(total, args.quiet);
    let options = ImageOptions {
        overlay: args.overlay.is_some(),
        html: args.html.is_some(),
    };
    let result = analyze_series_with_images(&series, &limits, options, |i, session| {
        progress.done(i, session)
    });
    progress.finish();
    let (report, images) = result?;
    for session in &report.sessions {
        for w in &session.warnings {
            eprintln!("smptrack: warning: {}: {w}", session.context.photo);
        }
    }
    if !args.quiet {
        if let Some(note) = unscaled_note(&report) {
            eprintln!("smptrack: note: {note}");
        }
    }
    let json = report.to_json();

    // Every file is written in full before any is renamed into place.
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    // The JSON goes to `--output`, or without it to stdout once every file is written.
    let stdout_json = match &args.output {
        Some(path) => {
            files.push((path.clone(), json.into_bytes()));
            None
        }
        None => Some(json),
    };
    if let Some(path) = &args.csv {
        files.push((path.clone(), report_csv(&report, path)?));
    }
    if let Some(path) = &args.html {
        files.push((path.clone(), render_html(&report, &images).into_bytes()));
    }
    for (path, session) in outputs.overlays.iter().zip(images) {
        files.push((path.clone(), session.overlay_png.unwrap_or_default()));
    }
    let created = match &args.overlay {
        Some(dir) if !dir.exists() => {
            std::fs::create_dir(dir).map_err(|source| Error::Output {
                path: dir.clone(),
                source,
            })?;
            Some(dir)
        }
        _ => None,
    };
    if let Err(e) = write_all_atomic(&files) {
        if let Some(dir) = created {
            let _ = std::fs::remove_dir(dir); // only if still empty
        }
        return Err(e);
    }
    if let Some(json) = stdout_json {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(json.as_bytes())
            .and_then(|_| stdout.flush())
            .map_err(|source| Error::Output {
                path: "<stdout>".into(),
                source,
            })?;
    }
    Ok(())
}

/// Where the overlays go (one path per session, empty without `--overlay`).
struct Outputs {
    overlays: Vec<PathBuf>,
}

/// Checks every output before minutes of analysis: its folder exists, it is not a folder, it
/// names no input, and no two outputs name the same file.
fn check_outputs(args: &AnalyzeArgs, series: &SeriesInput) -> Result<Outputs, Error> {
    let mut named: Vec<(String, PathBuf)> = Vec::new();
    for (argument, path) in [
        ("--output", &args.output),
        ("--csv", &args.csv),
        ("--html", &args.html),
    ] {
        if let Some(path) = path {
            check_output_folder(path)?;
            named.push((argument.to_string(), path.clone()));
        }
    }
    let mut overlays = Vec::new();
    if let Some(dir) = &args.overlay {
        check_overlay_folder(dir)?;
        let photos: Vec<&str> = series.sessions.iter().map(|s| s.photo.as_str()).collect();
        for name in overlay_file_names(&photos) {
            let path = dir.join(name);
            if path.is_dir() {
                return Err(Error::Output {
                    path,
                    source: std::io::Error::other("it is a folder"),
                });
            }
            named.push(("--overlay".to_string(), path.clone()));
            overlays.push(path);
        }
    }
    // No output may replace a photo or the manifest.
    let inputs = || {
        series
            .sessions
            .iter()
            .map(|s| s.path.as_path())
            .chain(args.manifest.as_deref())
    };
    for (argument, path) in &named {
        if names_an_input(path, inputs()) {
            return Err(Error::InvalidArgument {
                argument: argument.clone(),
                reason: format!(
                    "'{}' is one of the inputs; writing there would destroy it",
                    path.display()
                ),
            });
        }
    }
    for (i, (a, pa)) in named.iter().enumerate() {
        for (b, pb) in &named[..i] {
            if same_destination(pa, pb) {
                return Err(Error::InvalidArgument {
                    argument: a.clone(),
                    reason: format!(
                        "'{}' is also written by {b}; give each output its own file",
                        pa.display()
                    ),
                });
            }
        }
    }
    Ok(Outputs { overlays })
}

/// Whether two output paths name the same file (the same file name in the same folder).
fn same_destination(a: &Path, b: &Path) -> bool {
    let resolve = |p: &Path| -> Option<PathBuf> {
        let folder = match p.parent() {
            Some(f) if !f.as_os_str().is_empty() => f,
            _ => Path::new("."),
        };
        Some(folder.canonicalize().ok()?.join(p.file_name()?))
    };
    a == b || matches!((resolve(a), resolve(b)), (Some(x), Some(y)) if x == y)
}

/// `--overlay DIR`: DIR is a folder, or does not exist yet in a folder that does.
fn check_overlay_folder(dir: &Path) -> Result<(), Error> {
    if dir.exists() {
        if !dir.is_dir() {
            return Err(Error::Output {
                path: dir.to_path_buf(),
                source: std::io::Error::other("it exists and is not a folder"),
            });
        }
        return Ok(());
    }
    check_output_folder(dir)
}

/// Fails early (before minutes of analysis) when the output's folder does not exist.
fn check_output_folder(path: &std::path::Path) -> Result<(), Error> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    if !folder.is_dir() {
        return Err(Error::Output {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("folder '{}' does not exist", folder.display()),
            ),
        });
    }
    if path.is_dir() {
        return Err(Error::Output {
            path: path.to_path_buf(),
            source: std::io::Error::other("it is a folder"),
        });
    }
    Ok(())
}

/// What a report without a scale leaves out, naming its sessions without one; `None` when every
/// session has a scale.
fn unscaled_note(report: &smptrack::Report) -> Option<String> {
    let unscaled: Vec<String> = (report.sessions.iter().enumerate())
        .filter(|(_, s)| s.context.px_per_mm.is_none())
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    if unscaled.is_empty() {
        return None;
    }
    let which = match unscaled.len() {
        n if n == report.sessions.len() && n > 1 => "no session has a scale".to_string(),
        n if n == report.sessions.len() => "no scale".to_string(),
        1 => format!("session {} has no scale", unscaled[0]),
        _ => format!("sessions {} have no scale", unscaled.join(", ")),
    };
    Some(format!(
        "{which} (px/mm): density, sizes in mm, progress, dot spread and fade need one \
         (--px-per-mm, or px_per_mm in the manifest)"
    ))
}

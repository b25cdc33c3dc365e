//! The `smptrack` binary: parse arguments, call the library, map errors to exit codes.

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use cli::{exit, AnalyzeArgs, Cli, Command};
use smptrack::{
    analyze_series, load::LoadLimits, output::write_atomic, read_manifest, Error, SeriesInput,
    SessionInput,
};

fn main() -> ExitCode {
    // A panic is a bug: report it in one line, not a backtrace dump. Decoder panics on hostile
    // input never get here: the library catches them per file.
    std::panic::set_hook(Box::new(|_| {}));
    let code = match std::panic::catch_unwind(run) {
        Ok(code) => code,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
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
        _ => exit::INPUT,
    }
}

fn analyze(args: &AnalyzeArgs) -> Result<(), Error> {
    let limits = LoadLimits {
        max_pixels: (args.max_megapixels * 1e6) as u64,
        ..LoadLimits::default()
    };
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
    if let Some(out) = &args.output {
        check_output_folder(out)?;
        check_not_an_input(out, &series, args.manifest.as_deref())?;
    }

    let total = series.sessions.len();
    let show_progress = !args.quiet;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let report = analyze_series(&series, &limits, |_, session| {
        if show_progress {
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            let density = session
                .metrics
                .density_per_cm2
                .map(|d| format!(", {d} dots/cm²"))
                .unwrap_or_default();
            eprintln!(
                "smptrack: [{n}/{total}] {}: {} dots{density}, coverage {}%",
                session.context.photo, session.metrics.dot_count, session.metrics.coverage_pct
            );
        }
    })?;
    for session in &report.sessions {
        for w in &session.warnings {
            eprintln!("smptrack: warning: {}: {w}", session.context.photo);
        }
    }
    let json = report.to_json();
    match &args.output {
        Some(path) => write_atomic(path, json.as_bytes())?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(json.as_bytes())
                .and_then(|_| stdout.flush())
                .map_err(|source| Error::Output {
                    path: "<stdout>".into(),
                    source,
                })?;
        }
    }
    Ok(())
}

/// Refuses an output path that names one of the inputs: the report must never replace a photo
/// or the manifest.
fn check_not_an_input(
    out: &std::path::Path,
    series: &SeriesInput,
    manifest: Option<&std::path::Path>,
) -> Result<(), Error> {
    let Ok(out_real) = out.canonicalize() else {
        return Ok(()); // does not exist yet, so it is no input
    };
    let inputs = series
        .sessions
        .iter()
        .map(|s| s.path.as_path())
        .chain(manifest);
    for input in inputs {
        if input.canonicalize().is_ok_and(|p| p == out_real) {
            return Err(Error::InvalidArgument {
                argument: "--output".into(),
                reason: format!(
                    "'{}' is one of the inputs; writing the report there would destroy it",
                    out.display()
                ),
            });
        }
    }
    Ok(())
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

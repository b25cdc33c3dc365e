//! Progress on standard error for the binary (not part of the library): a bar (indicatif) when
//! standard error is a terminal and there are several photos, else one line per photo.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use smptrack::SessionReport;

/// Progress on standard error: a bar for several photos on a terminal, else one line per
/// photo, or nothing with `--quiet`.
pub enum Progress {
    /// `--quiet`: nothing.
    Silent,
    /// One line per finished photo, in the order they finish: `smptrack: [n/total] session k,
    /// photo: … dots, …` (`n` photos done of `total`; the photo is session `k`).
    Lines {
        /// Photos finished so far.
        done: AtomicUsize,
        /// Photos in the run.
        total: usize,
    },
    /// A bar with the count of photos and the last one finished.
    Bar(ProgressBar),
}

impl Progress {
    /// The progress display for a run of `total` photos.
    pub fn new(total: usize, quiet: bool) -> Self {
        if quiet {
            return Progress::Silent;
        }
        if total >= 2 && std::io::stderr().is_terminal() {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "smptrack: {bar:30.cyan/blue} {pos}/{len} photos, {elapsed} {wide_msg}",
            ) {
                bar.set_style(style.progress_chars("█▉▊▋▌▍▎▏ "));
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            return Progress::Bar(bar);
        }
        Progress::Lines {
            done: AtomicUsize::new(0),
            total,
        }
    }

    /// Reports one finished session, the `index`-th (from 0) of the run (called from any
    /// thread, in the order photos finish).
    pub fn done(&self, index: usize, session: &SessionReport) {
        let metrics = &session.metrics;
        let density = metrics
            .density_per_cm2
            .map(|d| format!(", {d} dots/cm²"))
            .unwrap_or_default();
        // The session's number too: photos finish in any order, and "[2/4] s3.jpg" alone
        // read as if s3 were session 2.
        let summary = format!(
            "session {}, {}: {} dots{density}, coverage {}%",
            index + 1,
            session.context.photo,
            metrics.dot_count,
            metrics.coverage_pct
        );
        match self {
            Progress::Silent => {}
            Progress::Lines { done, total } => {
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                eprintln!("smptrack: [{n}/{total}] {summary}");
            }
            Progress::Bar(bar) => {
                bar.inc(1);
                bar.set_message(summary);
            }
        }
    }

    /// Clears the bar, so what follows (warnings, an error) starts on a clean line.
    pub fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

//! Where a photo's analysis spends its time, for developers tuning it.
//!
//! Built with `cargo build --release --features stage-timings`, every [`stage_done`] mark
//! prints to standard error the wall time since the previous mark on the same thread:
//!
//! ```text
//! smptrack: stage sizing: 412.3 ms, cpu 790 ms (resident 371 MB, stage peak 380 MB, peak 417 MB)
//! ```
//!
//! The CPU time (Linux only, in 10 ms ticks) is the whole process's, user and system, over the
//! same interval: a stage whose CPU time is not about the number of threads times its wall time
//! leaves cores idle (a sequential part, or an uneven split). The memory figures (Linux only)
//! are the process's resident set when the stage ends, the highest it was during the stage
//! (where the kernel lets its peak be reset, Linux ≥ 4.0) and the highest so far.
//!
//! Marks follow the data flow of [`crate::measure::measure`] and [`crate::dots::find_dots`];
//! [`stage_start`] opens a photo. Run one photo at a time (`RAYON_NUM_THREADS=1` and `=2` side
//! by side show which stages do not run in parallel). Without the feature every mark compiles
//! to nothing.

#[cfg(feature = "stage-timings")]
use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(feature = "stage-timings")]
thread_local! {
    static LAST_MARK: std::cell::Cell<Option<std::time::Instant>> =
        const { std::cell::Cell::new(None) };
    /// The process's CPU time (ms) at the last mark, when known.
    static LAST_CPU_MS: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Starts timing a photo's stages on this thread (prints nothing).
#[inline(always)]
pub fn stage_start() {
    #[cfg(feature = "stage-timings")]
    {
        LAST_MARK.with(|last| last.set(Some(std::time::Instant::now())));
        LAST_CPU_MS.with(|last| last.set(process_cpu_ms()));
    }
}

/// Marks the end of stage `name`: with the `stage-timings` feature, prints its wall time (ms)
/// since the previous mark on this thread; else nothing.
#[inline(always)]
pub fn stage_done(name: &str) {
    #[cfg(feature = "stage-timings")]
    LAST_MARK.with(|last| {
        let now = std::time::Instant::now();
        let cpu = process_cpu_ms();
        let cpu_before = LAST_CPU_MS.with(|last| last.replace(cpu));
        if let Some(before) = last.replace(Some(now)) {
            let cpu_note = match (cpu, cpu_before) {
                (Some(now), Some(before)) => format!(", cpu {} ms", now.saturating_sub(before)),
                _ => String::new(),
            };
            eprintln!(
                "smptrack: stage {name}: {:.1} ms{cpu_note}{}",
                (now - before).as_secs_f64() * 1e3,
                memory_note()
            );
        }
    });
    #[cfg(not(feature = "stage-timings"))]
    let _ = name;
}

/// The process's user and system CPU time (ms) from `/proc/self/stat` (fields 14 and 15, in
/// ticks of 10 ms, the usual `USER_HZ` of 100), or `None` where that file does not exist.
#[cfg(feature = "stage-timings")]
fn process_cpu_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let mut fields = stat.get(stat.rfind(')')? + 2..)?.split_whitespace();
    // Field 3 (state) is the first here: utime and stime are fields 14 and 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) * 10)
}

/// ", resident … MB, peak … MB" from `/proc/self/status` (VmRSS, VmHWM), or nothing where
/// that file does not exist.
#[cfg(feature = "stage-timings")]
fn memory_note() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let field = |key: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kib| kib / 1024)
    };
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(now), Some(stage_peak)) => {
            // The kernel's peak is reset at every mark ("5" to clear_refs, Linux ≥ 4.0), so
            // that each stage shows its own; the process's peak is the highest of them.
            let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
            let peak = PEAK_MB
                .fetch_max(stage_peak, Ordering::Relaxed)
                .max(stage_peak);
            if reset {
                format!(" (resident {now} MB, stage peak {stage_peak} MB, peak {peak} MB)")
            } else {
                format!(" (resident {now} MB, peak {peak} MB)")
            }
        }
        _ => String::new(),
    }
}

/// The highest resident set (MB) any stage has shown so far.
#[cfg(feature = "stage-timings")]
static PEAK_MB: AtomicU64 = AtomicU64::new(0);

//! Command-line definitions (a module of the binary, with `progress`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use smptrack::Region;

/// Exit codes, also listed in `--help` and the README.
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// A photo or manifest could not be read or measured (missing, corrupt, too large, a
    /// manifest's region outside its photo…).
    pub const INPUT: i32 = 1;
    /// Bad command line: unknown option, malformed value, conflicting options, a `--region`
    /// outside the photo.
    pub const USAGE: i32 = 2;
    /// An output (report, CSV, HTML, overlay) could not be written.
    pub const OUTPUT: i32 = 3;
    /// Internal error (a bug): please report it.
    pub const INTERNAL: i32 = 101;
}

const EXIT_CODES_HELP: &str = "\
Exit codes:
  0    success
  1    a photo or manifest could not be read or measured (missing, not an image, corrupt,
       too large, a manifest region outside its photo, malformed manifest)
  2    bad command line (unknown option, malformed --region or one outside the photo,
       --px-per-mm not a number of pixels per millimetre in 0.5–5000, …)
  3    an output (report, CSV, HTML, overlay) could not be written
  101  internal error (a bug; please report it)";

const BATCH_EXIT_CODES_HELP: &str = "\
Exit codes:
  0    every client's report was written
  1    a client failed (bad manifest, broken photo, unwritable report.json), or DIR holds
       no client (no manifest.json at or below it), or DIR cannot be read
  2    bad command line (unknown option, malformed limit, …)
  3    the summary table could not be written to standard output
  101  internal error (a bug; please report it)";

/// Measure Scalp Micropigmentation (SMP) progress from session photos.
#[derive(Debug, Parser)]
#[command(name = "smptrack", version, about, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure each session photo and write a JSON progress report.
    ///
    /// Each photo is one session, in the order given; or give one client's sessions in a
    /// manifest. Reports per session: dot count, density (dots/cm², with a scale), coverage (%),
    /// dot diameters (px, mm), pigment and skin colour (CIELAB), darkness (0..1), uniformity
    /// over a grid of cells, and the change since the previous session (spread, hue shift, fade
    /// per 30 days). A summary gives progress towards the target density, an estimate of the
    /// sessions remaining and flags (fast fade, blow-out, blue shift, patchy, low resolution).
    #[command(after_help = EXIT_CODES_HELP)]
    Analyze(AnalyzeArgs),

    /// Analyse every client of a clinic archive: each folder at or below DIR holding a
    /// manifest.json.
    ///
    /// The walk is recursive (hidden folders and symbolic links to folders are skipped). Clients
    /// are analysed in parallel; each client's report is written atomically beside its manifest
    /// as report.json. A client that fails (bad manifest, broken photo, unwritable report) is
    /// named in one line on standard error and skipped, leaving any earlier report.json
    /// untouched; the others complete. A summary table (client, sessions, latest dots and
    /// dots/cm², status) is printed on standard output at the end. Exit status 1 when any
    /// client failed.
    #[command(after_help = BATCH_EXIT_CODES_HELP)]
    Batch(BatchArgs),
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The archive folder: every folder at or below it holding a manifest.json is a client.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    #[command(flatten)]
    pub limits: LimitArgs,

    /// Print no progress on standard error (failures are still printed, the table still shown).
    #[arg(short, long)]
    pub quiet: bool,
}

/// Decoding limits, checked from each photo's header before its pixels are allocated.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Refuse photos larger than this many megapixels (decoding limit).
    #[arg(
        long,
        value_name = "MP",
        default_value_t = 200.0,
        value_parser = parse_megapixels,
        allow_hyphen_values = true
    )]
    pub max_megapixels: f64,

    /// Refuse photos wider or taller than this many pixels (decoding limit).
    #[arg(
        long,
        value_name = "PX",
        default_value_t = smptrack::load::DEFAULT_MAX_SIDE,
        value_parser = clap::value_parser!(u32).range(1..),
        allow_hyphen_values = true
    )]
    pub max_dimension: u32,

    /// Refuse photos whose decoded pixels would need more than this many MiB of memory
    /// (decoding limit; 16-bit RGBA needs 8 bytes per pixel, 8-bit RGB 3).
    #[arg(
        long,
        value_name = "MIB",
        default_value_t = smptrack::load::DEFAULT_MAX_DECODED_BYTES >> 20,
        value_parser = clap::value_parser!(u64).range(1..=(1 << 24)),
        allow_hyphen_values = true
    )]
    pub max_memory_mib: u64,
}

impl LimitArgs {
    /// The library's limits for these options.
    pub fn to_limits(&self) -> smptrack::LoadLimits {
        smptrack::LoadLimits {
            max_side: self.max_dimension,
            max_pixels: (self.max_megapixels * 1e6) as u64,
            max_decoded_bytes: self.max_memory_mib << 20,
        }
    }
}

#[derive(Debug, Args)]
// Photos or a manifest: without either, clap names both ("<PHOTO>...|--manifest <FILE>").
#[command(group(clap::ArgGroup::new("sessions").required(true).args(["photos", "manifest"])))]
pub struct AnalyzeArgs {
    /// Session photos (JPEG, PNG, TIFF, WebP), one per session, oldest first (or --manifest).
    #[arg(value_name = "PHOTO")]
    pub photos: Vec<PathBuf>,

    /// JSON manifest of one client's sessions (photos, dates, labels, regions, scales); photo
    /// paths in it are relative to its folder. Replaces PHOTO, --region and --px-per-mm.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["photos", "region", "px_per_mm"])]
    pub manifest: Option<PathBuf>,

    /// Region to measure, in pixels of the photo as displayed (after EXIF rotation): left, top,
    /// width, height. Default: the whole photo.
    // allow_hyphen_values: `--region -1,2,3,4` must be refused as a bad --region value, not as an
    // unknown option `-1` that never names --region.
    #[arg(long, value_name = "X,Y,W,H", value_parser = parse_region, allow_hyphen_values = true)]
    pub region: Option<Region>,

    /// Image scale in pixels per millimetre (e.g. from a ruler in the photo), 0.5–5000.
    /// Enables density (dots/cm²), region area (cm²) and dot diameters in mm.
    #[arg(long, value_name = "PX_PER_MM", value_parser = parse_scale, allow_hyphen_values = true)]
    pub px_per_mm: Option<f64>,

    /// Write the report to FILE instead of standard output (written atomically: an existing
    /// file is only replaced by a complete report).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also write one overlay PNG per session into DIR (created if missing), named after the
    /// photo (`s1.overlay.png`): the region outlined, every counted dot ringed with its centre
    /// marked, hair and stubble set aside tinted magenta, solid pigment (where dots cannot be
    /// told apart) hatched red, pieces of lines of pigment ringed yellow, and a legend with the
    /// session's numbers.
    #[arg(long, value_name = "DIR")]
    pub overlay: Option<PathBuf>,

    /// Also write a self-contained HTML report to FILE (for the client: images and charts
    /// embedded, nothing fetched from the network).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Also write the report as CSV to FILE: one row per session, nested fields flattened
    /// (`change.dot_count`), units in the header.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,

    #[command(flatten)]
    pub limits: LimitArgs,

    /// Print no progress on standard error (warnings and errors are still printed). Progress is
    /// a bar when standard error is a terminal and there are several photos, else one line per
    /// photo.
    #[arg(short, long)]
    pub quiet: bool,
}

fn parse_region(s: &str) -> Result<Region, String> {
    s.parse()
}

fn parse_positive(s: &str, what: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number ({what})"))?;
    if !v.is_finite() {
        return Err(format!("'{s}' is not a finite number ({what})"));
    }
    if v <= 0.0 {
        return Err(format!("'{s}' must be greater than 0 ({what})"));
    }
    Ok(v)
}

fn parse_scale(s: &str) -> Result<f64, String> {
    let v = parse_positive(s, "pixels per millimetre")?;
    smptrack::measure::check_px_per_mm(v)?;
    Ok(v)
}

fn parse_megapixels(s: &str) -> Result<f64, String> {
    parse_positive(s, "megapixels")
}

//! The library's front door: photos in, a [`Report`] out.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use rayon::prelude::*;

use crate::buffers::{release_thread_planes, with_thread_planes, PlaneBuffers};
use crate::error::{Error, Result};
use crate::load::{load_preparing, Decoding, LoadLimits, Photo};
use crate::manifest::Manifest;
use crate::measure::{
    context_area, measure_reusing, ready_buffers_until, Measurement, FIRST_PLANES,
};
use crate::metrics::{session_metrics, SessionMetrics};
use crate::region::Region;
use crate::report::{
    link_changes, session_report, ImageSize, Report, SessionContext, SessionReport, ToolInfo,
    SCHEMA_VERSION,
};
use crate::summary::summarize;

/// One session to analyse.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionInput {
    /// The photo as the user wrote it (reported as `photo`).
    pub photo: String,
    /// Where to read it.
    pub path: PathBuf,
    /// Label, if any.
    pub label: Option<String>,
    /// Date (`YYYY-MM-DD…`); when absent the photo's EXIF DateTimeOriginal is used.
    pub date: Option<String>,
    /// Region in px of the displayed photo; the whole photo when absent.
    pub region: Option<Region>,
    /// Names where the region came from, for errors (e.g. `--region`).
    pub region_source: String,
    /// Scale (px/mm), if known.
    pub px_per_mm: Option<f64>,
}

/// A client's series of sessions.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SeriesInput {
    /// Client identifier.
    pub client: Option<String>,
    /// Target density (dots/cm²).
    pub target_density_per_cm2: Option<f64>,
    /// Sessions in order.
    pub sessions: Vec<SessionInput>,
}

impl SeriesInput {
    /// The series described by a validated manifest.
    pub fn from_manifest(manifest: &Manifest) -> Self {
        SeriesInput {
            client: manifest.client.clone(),
            target_density_per_cm2: manifest.target_density_per_cm2,
            sessions: manifest
                .sessions
                .iter()
                .enumerate()
                .map(|(i, s)| SessionInput {
                    photo: s.photo.clone(),
                    path: s.photo_path.clone(),
                    label: s.label.clone(),
                    date: s.date.clone(),
                    region: s.region,
                    region_source: format!(
                        "manifest '{}', sessions[{i}].region (session {})",
                        manifest.path.display(),
                        i + 1
                    ),
                    px_per_mm: s.px_per_mm,
                })
                .collect(),
        }
    }
}

/// The measured result of one photo: its numbers and the raw measurement behind them.
#[derive(Clone, Debug)]
pub struct PhotoAnalysis {
    /// The session's report entry (rounded, `change` not yet filled).
    pub report: SessionReport,
    /// Unrounded numbers.
    pub metrics: SessionMetrics,
    /// Per-dot samples and coverage.
    pub measurement: Measurement,
}

/// Measures one decoded photo for `session` (the photo is not read again).
pub fn analyze_photo(photo: &Photo, session: &SessionInput) -> Result<PhotoAnalysis> {
    analyze_photo_reusing(photo, session, &mut PlaneBuffers::default())
}

/// [`analyze_photo`] with plane buffers carried over from the previous photo measured on this
/// thread, and left for the next (see [`crate::buffers`]): the same analysis.
pub fn analyze_photo_reusing(
    photo: &Photo,
    session: &SessionInput,
    buffers: &mut PlaneBuffers,
) -> Result<PhotoAnalysis> {
    let (width, height) = photo.full_size;
    let region = session.region.unwrap_or(Region::whole(width, height));
    region
        .check_within(width, height)
        .map_err(|reason| Error::Region {
            source_name: session.region_source.clone(),
            reason: format!("{reason} of photo '{}'", session.photo),
        })?;
    if let Some(s) = session.px_per_mm {
        crate::measure::check_px_per_mm(s)
            .map_err(|reason| Error::argument("px_per_mm", reason))?;
    }
    let measurement = measure_reusing(&photo.image, region, session.px_per_mm, buffers)?;
    let metrics = session_metrics(&measurement, session.px_per_mm);
    let context = SessionContext {
        photo: session.photo.clone(),
        label: session.label.clone(),
        date: session.date.clone().or_else(|| photo.capture_date.clone()),
        image: ImageSize { width, height },
        region,
        px_per_mm: session.px_per_mm,
    };
    let report = session_report(context, &metrics, measurement.warnings.clone());
    Ok(PhotoAnalysis {
        report,
        metrics,
        measurement,
    })
}

/// Loads and measures every session (in parallel across photos) and builds the report.
/// `on_done(index, entry)` is called as each session finishes (in any order), e.g. for progress.
/// If any photo fails, the first failing session's error (in session order) is returned.
/// A photo measured in a region is decoded only down to the rows the measurement reads, where
/// its format allows (see [`crate::load::load_photo_top`]).
pub fn analyze_series(
    series: &SeriesInput,
    limits: &LoadLimits,
    on_done: impl Fn(usize, &SessionReport) + Sync,
) -> Result<Report> {
    analyze_series_decoding(series, limits, Decode::MeasuredRows, |i, _, analysis| {
        on_done(i, &analysis.report);
        Ok(())
    })
}

/// Planes readied while a photo decodes whose load may hold a second photo-sized buffer (see
/// [`Decoding::second_copy`]: a turned photo's upright copy, a progressive JPEG's
/// coefficients, another format's intermediate image): one fewer than [`FIRST_PLANES`]. With
/// both readied, that moment (24 MP: 2 × 72 MB beside 2 × 96 MB, 336 MB) would be above the
/// measurement's own peak of memory (310 MB); with one (240 MB) it stays below it.
pub(crate) const PLANES_READIED_BESIDE_A_SECOND_COPY: usize = FIRST_PLANES - 1;

/// The work run beside the decoding of `session`'s photo: readies in `planes` the first planes
/// of its measurement ([`FIRST_PLANES`], or [`PLANES_READIED_BESIDE_A_SECOND_COPY`]).
fn ready_beside<'a>(
    planes: &'a mut PlaneBuffers,
    session: &'a SessionInput,
) -> impl FnOnce(Decoding, &AtomicBool) + Send + 'a {
    move |decoding, decoded| {
        let count = if decoding.second_copy {
            PLANES_READIED_BESIDE_A_SECOND_COPY
        } else {
            FIRST_PLANES
        };
        let (region, px_per_mm) = (session.region, session.px_per_mm);
        // Pages are faulted in only until the photo is decoded (see
        // PlaneBuffers::reserve_until).
        ready_buffers_until(
            planes,
            decoding.displayed,
            region,
            px_per_mm,
            count,
            decoded,
        );
    }
}

/// How much of each photo [`analyze_series_decoding`] decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decode {
    /// The whole photo, for a hook that draws from it.
    Whole,
    /// At least the rows the measurement reads (see [`crate::load::load_photo_top`]).
    MeasuredRows,
}

/// Loads `session`'s photo: whole, or the rows its measurement reads, into `reuse`'s allocation
/// where it holds them; `while_decoding` runs beside the decoding of its pixels (see
/// [`load_preparing`]).
fn load_session(
    session: &SessionInput,
    limits: &LoadLimits,
    decode: Decode,
    reuse: Vec<u8>,
    while_decoding: Option<impl FnOnce(Decoding, &AtomicBool) + Send>,
) -> Result<Photo> {
    let rows = match (decode, session.region) {
        (Decode::MeasuredRows, Some(region)) => {
            // The context area clipped to an image of unbounded height: its bottom is the last
            // row measured (+1), whatever the photo's true height.
            let rows = context_area(region, session.px_per_mm, u32::MAX, u32::MAX).bottom();
            Some(u32::try_from(rows).unwrap_or(u32::MAX))
        }
        _ => None,
    };
    load_preparing(&session.path, limits, rows, reuse, while_decoding)
}

/// [`analyze_series`] with a hook that sees each decoded photo next to its analysis:
/// `on_photo(index, photo, analysis)` runs (in any order, in parallel) while that photo is
/// still in memory, and only then is the photo dropped — so images can be drawn from every
/// photo of a long series without keeping them all. An error from the hook fails that session
/// like a photo error. Each photo is decoded once.
pub fn analyze_series_with(
    series: &SeriesInput,
    limits: &LoadLimits,
    on_photo: impl Fn(usize, &Photo, &PhotoAnalysis) -> Result<()> + Sync,
) -> Result<Report> {
    analyze_series_decoding(series, limits, Decode::Whole, on_photo)
}

/// [`analyze_series_with`], decoding each photo as `decode` says.
pub(crate) fn analyze_series_decoding(
    series: &SeriesInput,
    limits: &LoadLimits,
    decode: Decode,
    on_photo: impl Fn(usize, &Photo, &PhotoAnalysis) -> Result<()> + Sync,
) -> Result<Report> {
    let results: Vec<Result<SessionReport>> = series
        .sessions
        .par_iter()
        .enumerate()
        .map(|(i, session)| {
            // The thread's plane buffers, kept from the photo it measured last and topped up
            // while this one decodes (see crate::buffers); fresh ones if the thread is inside
            // another photo already.
            let (photo, analysis) = with_thread_planes(|planes| match planes {
                Some(planes) => {
                    let pixels = planes.take_pixels();
                    let ready = ready_beside(planes, session);
                    let photo = load_session(session, limits, decode, pixels, Some(ready))?;
                    let analysis = analyze_photo_reusing(&photo, session, planes)?;
                    Ok::<_, Error>((photo, analysis))
                }
                None => {
                    let no_work = None::<fn(Decoding, &AtomicBool)>;
                    let photo = load_session(session, limits, decode, Vec::new(), no_work)?;
                    let analysis = analyze_photo(&photo, session)?;
                    Ok((photo, analysis))
                }
            })?;
            on_photo(i, &photo, &analysis)?;
            // The photo's pixels are the next photo's on this thread (see crate::buffers).
            with_thread_planes(|planes| {
                if let Some(planes) = planes {
                    planes.keep_pixels(photo.image);
                }
            });
            Ok(analysis.report)
        })
        .collect();
    release_thread_planes();
    let mut sessions = results.into_iter().collect::<Result<Vec<_>>>()?;
    link_changes(&mut sessions);
    warn_of_series_mistakes(&series.sessions, &mut sessions);
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo::default(),
        client: series.client.clone(),
        target_density_per_cm2: series.target_density_per_cm2,
        summary: summarize(series.target_density_per_cm2, &sessions),
        sessions,
    })
}

/// Adds a warning to each session of `reports` (those of `inputs`, in order) that a series
/// should not hold, since each session's `change` is taken from the one before it: a session
/// dated before the previous dated one (dates from EXIF, or from a manifest's sessions in part,
/// which a manifest with every date given refuses outright), and the same photo and region
/// measured again (the same file, however its path was written).
fn warn_of_series_mistakes(inputs: &[SessionInput], reports: &mut [SessionReport]) {
    let files: Vec<PathBuf> = inputs
        .iter()
        .map(|s| std::fs::canonicalize(&s.path).unwrap_or_else(|_| s.path.clone()))
        .collect();
    let mut visits = crate::report::VisitOrder::default();
    for i in 0..reports.len() {
        let date = reports[i]
            .context
            .date
            .as_deref()
            .and_then(crate::report::parse_date);
        if let Some(day) = date {
            if let Some((before, k)) = visits.follow(day, i + 1) {
                reports[i].warnings.push(format!(
                    "dated {day}, before session {k} ({before}): its change compares it with a \
                     later visit; list the sessions in the order of the visits"
                ));
            }
        }
        let region = reports[i].context.region;
        if let Some(k) =
            (0..i).find(|&k| files[k] == files[i] && reports[k].context.region == region)
        {
            reports[i].warnings.push(format!(
                "the same photo and region as session {}: measured twice",
                k + 1
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::oriented_jpeg;

    /// A photo whose load may hold a second copy (stored turned, EXIF 5–8, or a progressive JPEG)
    /// has one plane fewer readied while it decodes than one stored upright, flipped or upside
    /// down (1–4, baseline), whole or in a region; planes left over from a photo that failed
    /// after its planes were readied are freed down to that number.
    #[test]
    fn a_photo_loaded_with_a_second_copy_has_one_plane_fewer_readied() {
        let dir = tempfile::tempdir().unwrap();
        let upright = image::RgbImage::from_pixel(90, 60, image::Rgb([180, 140, 120]));
        let mut photos: Vec<(String, Vec<u8>, usize)> = (1..=8u16)
            .map(|orientation| {
                let expected = if orientation >= 5 {
                    PLANES_READIED_BESIDE_A_SECOND_COPY
                } else {
                    FIRST_PLANES
                };
                (
                    format!("orientation {orientation}"),
                    oriented_jpeg(&upright, orientation, 90),
                    expected,
                )
            })
            .collect();
        let mut progressive = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut progressive, 90);
        encoder.set_progressive(true);
        encoder
            .encode(upright.as_raw(), 90, 60, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        photos.push((
            "progressive".into(),
            progressive,
            PLANES_READIED_BESIDE_A_SECOND_COPY,
        ));
        let inner = Region {
            x: 10,
            y: 5,
            width: 40,
            height: 30,
        };
        for (name, bytes, expected) in photos {
            let path = dir.path().join("photo.jpg");
            std::fs::write(&path, bytes).unwrap();
            for region in [None, Some(inner)] {
                let session = SessionInput {
                    photo: name.clone(),
                    path: path.clone(),
                    label: None,
                    date: None,
                    region,
                    region_source: "region".into(),
                    px_per_mm: Some(20.0),
                };
                // From no planes, and from three left over, large enough for any of these.
                for leftover in [0, FIRST_PLANES] {
                    let mut planes = PlaneBuffers::default();
                    planes.reserve(leftover, 90 * 60);
                    let ready = ready_beside(&mut planes, &session);
                    let limits = LoadLimits::default();
                    let photo =
                        load_session(&session, &limits, Decode::Whole, Vec::new(), Some(ready))
                            .unwrap();
                    assert_eq!(photo.full_size, (90, 60), "{name}");
                    assert_eq!(planes.len(), expected, "{name}, {region:?}, {leftover}");
                }
            }
        }
    }
}

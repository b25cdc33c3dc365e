//! The progress report: per-session numbers, the change since the previous session, and JSON.
//!
//! Numbers are rounded to the precision they carry (so reports diff cleanly), and `change` is
//! computed from the rounded values, so it always equals the difference of what is printed.

use serde::Serialize;

use crate::insights::{change_insights, ChangeInsights};
use crate::metrics::SessionMetrics;
use crate::region::Region;
use crate::summary::Summary;

/// Version of the report's layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole report for one client.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Layout version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The tool that wrote the report.
    pub tool: ToolInfo,
    /// Client identifier from the manifest, if any.
    pub client: Option<String>,
    /// Target density (dots/cm²) from the manifest, if any.
    pub target_density_per_cm2: Option<f64>,
    /// Progress towards the target, sessions still needed, and flags ([`crate::summary`]).
    pub summary: Summary,
    /// One entry per photo, in session order.
    pub sessions: Vec<SessionReport>,
}

/// Name and version of the tool.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolInfo {
    /// `smptrack`.
    pub name: String,
    /// The crate version.
    pub version: String,
}

impl Default for ToolInfo {
    fn default() -> Self {
        ToolInfo {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// Displayed image size (px, after EXIF orientation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ImageSize {
    /// Width (px).
    pub width: u32,
    /// Height (px).
    pub height: u32,
}

/// One session's entry: what the session is, its numbers (rounded), cautions and change. The
/// JSON is flat: `photo`, `label`, `date`, `image`, `region`, `px_per_mm`, then the numbers of
/// [`SessionMetrics`] (px, mm, cm², percent, CIELAB L*, darkness 0..1), `warnings`, `change`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionReport {
    /// The photo, date, size, region and scale.
    #[serde(flatten)]
    pub context: SessionContext,
    /// The numbers, rounded to [`precision`].
    #[serde(flatten)]
    pub metrics: SessionMetrics,
    /// Cautions about this session's numbers.
    pub warnings: Vec<String>,
    /// Difference from the previous session; null for the first.
    pub change: Option<Change>,
}

/// Differences from the previous session (this minus previous).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// Change in dot count.
    pub dot_count: i64,
    /// Change in dots per cm² (null unless both sessions have a scale).
    pub density_per_cm2: Option<f64>,
    /// Change in coverage (percentage points).
    pub coverage_pct: f64,
    /// Change in darkness (null unless both sessions have dots).
    pub darkness: Option<f64>,
    /// Days between the two sessions' dates (null unless both are known).
    pub days: Option<i64>,
    /// Dot spread (percent), hue shift (CIELAB) and fade per 30 days, flattened into the
    /// change: `spread_pct`, `hue_shift`, `fade_per_30_days`.
    #[serde(flatten)]
    pub insights: ChangeInsights,
}

/// Decimal places of each reported quantity.
pub mod precision {
    /// Scale (px/mm).
    pub const PX_PER_MM: i32 = 4;
    /// Area (cm²).
    pub const AREA_CM2: i32 = 4;
    /// Density (dots/cm²).
    pub const DENSITY: i32 = 1;
    /// Coverage (percent).
    pub const COVERAGE_PCT: i32 = 2;
    /// Diameter (px).
    pub const DIAMETER_PX: i32 = 2;
    /// Diameter (mm).
    pub const DIAMETER_MM: i32 = 3;
    /// Lightness (L*).
    pub const LIGHTNESS: i32 = 2;
    /// Darkness (0..1).
    pub const DARKNESS: i32 = 3;
    /// Edge softness (σ over radius).
    pub const EDGE_SOFTNESS: i32 = 2;
}

/// `value` rounded to `decimals` places (half away from zero); −0 becomes 0.
pub fn round_to(value: f64, decimals: i32) -> f64 {
    let factor = 10f64.powi(decimals);
    let r = (value * factor).round() / factor;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

fn round_opt(value: Option<f64>, decimals: i32) -> Option<f64> {
    value
        .filter(|v| v.is_finite())
        .map(|v| round_to(v, decimals))
}

/// What a session is, apart from its measured numbers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionContext {
    /// Photo path as given.
    pub photo: String,
    /// Label, if any.
    pub label: Option<String>,
    /// Manifest date, else EXIF DateTimeOriginal (ISO 8601), else null.
    pub date: Option<String>,
    /// Displayed image size (px, after EXIF orientation).
    pub image: ImageSize,
    /// Region measured (px).
    pub region: Region,
    /// Scale (px/mm), if known.
    pub px_per_mm: Option<f64>,
}

/// `metrics` rounded to the precision each quantity carries ([`precision`]).
pub fn rounded(metrics: &SessionMetrics) -> SessionMetrics {
    use precision::*;
    SessionMetrics {
        region_area_cm2: round_opt(metrics.region_area_cm2, AREA_CM2),
        dot_count: metrics.dot_count,
        density_per_cm2: round_opt(metrics.density_per_cm2, DENSITY),
        coverage_pct: round_to(metrics.coverage_pct, COVERAGE_PCT),
        hair_coverage_pct: round_to(metrics.hair_coverage_pct, COVERAGE_PCT),
        mean_dot_diameter_px: round_opt(metrics.mean_dot_diameter_px, DIAMETER_PX),
        mean_dot_diameter_mm: round_opt(metrics.mean_dot_diameter_mm, DIAMETER_MM),
        pigment_lightness: round_opt(metrics.pigment_lightness, LIGHTNESS),
        skin_lightness: round_opt(metrics.skin_lightness, LIGHTNESS),
        darkness: round_opt(metrics.darkness, DARKNESS),
        edge_softness: round_opt(metrics.edge_softness, EDGE_SOFTNESS),
        insights: metrics.insights.rounded(),
    }
}

/// Builds a session's report entry (rounded, without `change`).
pub fn session_report(
    mut context: SessionContext,
    metrics: &SessionMetrics,
    warnings: Vec<String>,
) -> SessionReport {
    context.px_per_mm = round_opt(context.px_per_mm, precision::PX_PER_MM);
    SessionReport {
        context,
        metrics: rounded(metrics),
        warnings,
        change: None,
    }
}

/// The change from `previous` to `current`, from their rounded values (the spread, hue shift
/// and fade of [`change_insights`] included).
pub fn change_between(previous: &SessionReport, current: &SessionReport) -> Change {
    use precision::*;
    let (before, now) = (&previous.metrics, &current.metrics);
    let diff =
        |a: Option<f64>, b: Option<f64>, decimals| a.zip(b).map(|(a, b)| round_to(b - a, decimals));
    let days = days_between(
        previous.context.date.as_deref(),
        current.context.date.as_deref(),
    );
    Change {
        dot_count: now.dot_count as i64 - before.dot_count as i64,
        density_per_cm2: diff(before.density_per_cm2, now.density_per_cm2, DENSITY),
        coverage_pct: round_to(now.coverage_pct - before.coverage_pct, COVERAGE_PCT),
        darkness: diff(before.darkness, now.darkness, DARKNESS),
        days,
        insights: change_insights(before, now, days),
    }
}

/// Whole calendar days from `earlier` to `later` (each `YYYY-MM-DD…`); `None` if either is
/// missing or not a date.
pub fn days_between(earlier: Option<&str>, later: Option<&str>) -> Option<i64> {
    let a = parse_date(earlier?)?;
    let b = parse_date(later?)?;
    Some((b - a).num_days())
}

/// The calendar date of `text`: `YYYY-MM-DD`, optionally followed by `T` or a space and a
/// time of day, `HH:MM` or `HH:MM:SS` (as EXIF dates are written), optionally with a fraction
/// of a second and a zone (`Z`, `±HH:MM`); `None` for anything else, an impossible time
/// (`T25:00`) included.
pub fn parse_date(text: &str) -> Option<chrono::NaiveDate> {
    let day = text.get(..10)?;
    let rest = &text[10..];
    if let Some(time) = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' ')) {
        // A zone (`Z`, `+01:00`) and a fraction of a second, as `date -Iseconds` and
        // JavaScript write them, say nothing of the calendar day here and are set aside.
        let time = time.strip_suffix('Z').unwrap_or(time);
        let time = match time.rfind(['+', '-']) {
            Some(at) if time.len() - at == 6 && time.as_bytes()[at + 3] == b':' => &time[..at],
            _ => time,
        };
        let time = time.split_once('.').map_or(time, |(whole, fraction)| {
            if !fraction.is_empty() && fraction.bytes().all(|b| b.is_ascii_digit()) {
                whole
            } else {
                time
            }
        });
        let valid = ["%H:%M:%S", "%H:%M"]
            .iter()
            .any(|format| chrono::NaiveTime::parse_from_str(time, format).is_ok());
        if !valid {
            return None;
        }
    } else if !rest.is_empty() {
        return None;
    }
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

/// The order of a series' dated sessions, followed session by session: sessions are visits,
/// each compared with the one before it, so a date before an earlier session's is a mistake
/// (a manifest refuses it, photos dated by EXIF get a warning).
#[derive(Clone, Copy, Debug, Default)]
pub struct VisitOrder {
    /// The date of the last dated session so far, and its number (from 1).
    latest: Option<(chrono::NaiveDate, usize)>,
}

impl VisitOrder {
    /// Notes that session `number` (from 1) is dated `day`; returns the previous dated
    /// session's date and number when `day` is before it.
    pub fn follow(
        &mut self,
        day: chrono::NaiveDate,
        number: usize,
    ) -> Option<(chrono::NaiveDate, usize)> {
        let backwards = self.latest.filter(|&(before, _)| day < before);
        self.latest = Some((day, number));
        backwards
    }
}

/// Fills in every session's `change` from its predecessor (the first gets null).
pub fn link_changes(sessions: &mut [SessionReport]) {
    for i in 1..sessions.len() {
        let change = change_between(&sessions[i - 1], &sessions[i]);
        sessions[i].change = Some(change);
    }
}

impl Report {
    /// The report as pretty-printed JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("report serialises");
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_stable_and_has_no_negative_zero() {
        assert_eq!(round_to(0.12345, 3), 0.123);
        assert_eq!(round_to(-0.0004, 3), 0.0);
        assert!(round_to(-0.0004, 3).is_sign_positive());
        assert_eq!(round_to(12.345_678, 1), 12.3);
    }

    #[test]
    fn days_between_dates_and_datetimes() {
        assert_eq!(
            days_between(Some("2026-01-10"), Some("2026-01-20")),
            Some(10)
        );
        assert_eq!(
            days_between(Some("2024-02-28T23:59:00"), Some("2024-03-01")),
            Some(2)
        );
        assert_eq!(days_between(None, Some("2026-01-20")), None);
        // A time of day, with T or a space, HH:MM or HH:MM:SS; nothing else, and no
        // impossible time.
        for valid in [
            "2026-01-20",
            "2026-01-20T09:30",
            "2026-01-20 09:30:59",
            "2026-01-20T09:30:00Z",
            "2026-01-20T09:30:00+01:00",
            "2026-01-20T09:30:00.123-05:30",
            "2026-01-20T09:30:00.000Z",
        ] {
            assert!(parse_date(valid).is_some(), "{valid}");
        }
        for invalid in [
            "2026-01-20T25:00:00",
            "2026-01-20T09:60",
            "2026-01-20T",
            "2026-01-20x",
            "2026-01-20T09:30:00.Z",
            "2026-01-20T09:30:00+1:00",
            "2026-02-30",
        ] {
            assert_eq!(parse_date(invalid), None, "{invalid}");
        }
        assert_eq!(days_between(Some("2026-13-01"), Some("2026-01-20")), None);
        assert_eq!(parse_date("2026-01-10x"), None);
    }
}

//! The series at a glance: progress towards the target density, an estimate of the sessions
//! still needed, and flags naming the usual reasons a client needs five sessions instead of
//! three — fast fading, blown-out (spreading) dots, pigment drifting blue/green, patchy
//! coverage — and photos too coarse to judge.
//!
//! Everything here is computed from the rounded report (the printed numbers), so a reader can
//! check every flag against the sessions it names.

use serde::Serialize;

use crate::insights::pigment_tint;
use crate::report::{round_to, SessionReport};

/// `fast_fade` when a session lost more darkness than this per 30 days (`fade_per_30_days`).
/// A quarter of a typical healed darkness (0.6 → 0.45) lost within six months; ordinary healed
/// SMP takes years to fade that much, which is why it lasts 3–5 years between touch-ups.
pub const FAST_FADE_PER_30_DAYS: f64 = 0.025;
/// `blowout` when the mean dot diameter grew by more than this percentage since the previous
/// session (`spread_pct`). Dots of a new session differ from the old ones by ≈ 10% at most
/// (0.25–0.45 mm needles and depths); a fifth larger is pigment migrating under the skin.
pub const BLOWOUT_SPREAD_PCT: f64 = 20.0;
/// `blowout` also when one dot in ten is larger than this (mm, `dot_diameter_mm.p90`): healed
/// SMP impressions photograph at 0.1–0.6 mm; 0.75 mm is beyond any intended impression.
pub const BLOWOUT_P90_MM: f64 = 0.75;
/// `blue_shift` when the pigment's tint relative to the skin moved towards blue (−b*) or
/// towards green (−a*) by more than this many CIELAB units since the previous session
/// (`hue_shift`). A colour difference of ≈ 2.3 is just noticeable side by side; 3 is visible
/// and above the photo-to-photo scatter of the tint.
pub const BLUE_SHIFT_AB: f64 = 3.0;
/// `patchy` when the cells' density varies by more than this beyond counting noise:
/// `cv² > PATCHY_CV² + noise_cv²` (`uniformity`). Counting noise alone gives a sparse first
/// session (≈ 11–15 dots per 5 mm cell) a cv of 0.3–0.4, so a fixed cv threshold would call
/// every first session patchy; beyond the noise, random even layouts stay under ≈ 0.25, while
/// one bare cell in ten, or two in twelve, reach 0.33–0.45.
pub const PATCHY_CV: f64 = 0.3;
/// `low_resolution` when the mean dot is fewer px across than this: at 15–25 px/mm (dots
/// ≈ 5–8 px) counts stray by up to ±10% (README, Accuracy); 6 px is a 0.25 mm dot at the
/// 25 px/mm recommended for faint work.
pub const LOW_RESOLUTION_DOT_PX: f64 = 6.0;
/// `low_resolution` also when the scale is below this (px/mm), the coarsest scale the accuracy
/// was measured at: below it even 0.4 mm dots are only a few px across.
pub const LOW_RESOLUTION_PX_PER_MM: f64 = 15.0;
/// The recent gain per session is the mean density gain of this many latest sessions.
pub const GAIN_SESSIONS: usize = 2;
/// Estimates above this many sessions are reported as null: no treatment plan runs that long,
/// and a gain that small is measurement scatter rather than progress.
pub const MAX_SESSIONS_ESTIMATE: u32 = 20;

/// Progress and flags for the whole series.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// The latest session's density as a percentage of `target_density_per_cm2` (may exceed
    /// 100); null without a target or without the latest session's density.
    pub progress_pct: Option<f64>,
    /// Sessions still needed to reach the target at the recent pace ([`sessions_remaining`]);
    /// 0 once reached; null when it cannot be estimated.
    pub sessions_remaining_estimate: Option<u32>,
    /// Reasons to look closer, by session then in the order of [`FlagCode`].
    pub flags: Vec<Flag>,
}

/// What a flag is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagCode {
    /// Dots too few px across, or a scale too coarse, to trust the numbers.
    LowResolution,
    /// Density uneven across the region beyond counting noise ([`PATCHY_CV`]).
    Patchy,
    /// Dots spreading ([`BLOWOUT_SPREAD_PCT`]) or blown out ([`BLOWOUT_P90_MM`]).
    Blowout,
    /// Pigment drifting towards blue or green ([`BLUE_SHIFT_AB`]).
    BlueShift,
    /// Darkness fading fast ([`FAST_FADE_PER_30_DAYS`]).
    FastFade,
}

/// One flag.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Flag {
    /// What it is about (`fast_fade`, `blowout`, `blue_shift`, `patchy`, `low_resolution`).
    pub code: FlagCode,
    /// The session it concerns, counted from 1 (for a change: the later session).
    pub session: usize,
    /// One sentence with the numbers and the threshold.
    pub message: String,
}

/// The summary of the rounded, linked `sessions` for a target density (dots/cm²) if any.
pub fn summarize(target: Option<f64>, sessions: &[SessionReport]) -> Summary {
    let target = target.filter(|t| t.is_finite() && *t > 0.0);
    let latest = sessions.last().and_then(|s| s.metrics.density_per_cm2);
    let densities: Vec<Option<f64>> = sessions.iter().map(|s| s.metrics.density_per_cm2).collect();
    Summary {
        progress_pct: target.zip(latest).map(|(t, d)| round_to(100.0 * d / t, 1)),
        sessions_remaining_estimate: sessions_remaining(target, &densities),
        flags: sessions
            .iter()
            .enumerate()
            .flat_map(|(i, s)| session_flags(i + 1, s))
            .collect(),
    }
}

/// The latest sessions whose gains make the recent gain: the last [`GAIN_SESSIONS`] + 1 of
/// `sessions` (all of them when there are fewer).
pub fn recent_sessions<T>(sessions: &[T]) -> &[T] {
    &sessions[sessions.len().saturating_sub(GAIN_SESSIONS + 1)..]
}

/// Sessions still needed to reach `target` (dots/cm²) given each session's density, oldest
/// first. The model is linear: each further session adds the recent gain, the mean density
/// gain of the last [`GAIN_SESSIONS`] sessions (the last one's alone when there are only two
/// sessions), so the estimate is ⌈(target − latest) / gain⌉. 0 when the latest density has
/// reached the target; `None` without a target or the latest density, with fewer than two
/// sessions, when a density of the gain is unknown, when the gain is not positive (nothing is
/// being added), or when the estimate exceeds [`MAX_SESSIONS_ESTIMATE`].
pub fn sessions_remaining(target: Option<f64>, densities: &[Option<f64>]) -> Option<u32> {
    let target = target.filter(|t| t.is_finite() && *t > 0.0)?;
    let latest = (*densities.last()?)?;
    if latest >= target {
        return Some(0);
    }
    let recent = recent_sessions(densities);
    let steps = recent.len().checked_sub(1)?;
    if steps == 0 {
        return None;
    }
    let mut total = 0.0;
    for pair in recent.windows(2) {
        total += pair[1]? - pair[0]?;
    }
    let gain = total / steps as f64;
    if !(gain.is_finite() && gain > 0.0) {
        return None;
    }
    let sessions = ((target - latest) / gain).ceil();
    (sessions <= f64::from(MAX_SESSIONS_ESTIMATE)).then_some(sessions as u32)
}

/// The flags of rounded session `s`, numbered `number` (from 1), in [`FlagCode`] order.
pub fn session_flags(number: usize, s: &SessionReport) -> Vec<Flag> {
    let m = &s.metrics;
    let mut flags = Vec::new();
    let mut flag = |code, message: String| {
        flags.push(Flag {
            code,
            session: number,
            message,
        })
    };
    let previous = number.saturating_sub(1);

    let dot_px = m.insights.dot_diameter_px.map(|d| d.mean);
    if let Some(scale) = s
        .context
        .px_per_mm
        .filter(|p| *p < LOW_RESOLUTION_PX_PER_MM)
    {
        flag(
            FlagCode::LowResolution,
            format!(
                "the scale is {scale} px/mm (under {LOW_RESOLUTION_PX_PER_MM}): dots are only a \
                 few px across; photograph closer"
            ),
        );
    } else if let Some(px) = dot_px.filter(|d| *d < LOW_RESOLUTION_DOT_PX) {
        flag(
            FlagCode::LowResolution,
            format!(
                "dots are {px} px across on average (under {LOW_RESOLUTION_DOT_PX} px): counts \
                 and sizes are uncertain; photograph closer or at a higher resolution"
            ),
        );
    }

    let u = &m.insights.uniformity;
    let noise = u.noise_cv.unwrap_or(0.0);
    let limit = (PATCHY_CV * PATCHY_CV + noise * noise).sqrt();
    if let Some(cv) = u.cv.filter(|cv| *cv > limit) {
        let cell = match u.cell_mm {
            Some(mm) => format!("{mm} mm"),
            None => format!("{} px", u.cell_px),
        };
        let thinnest = u
            .thinnest
            .first()
            .map(|c| format!("; thinnest near x {}, y {} px", c.x, c.y))
            .unwrap_or_default();
        flag(
            FlagCode::Patchy,
            format!(
                "density varies between {cell} cells by cv {cv} (over {:.3}: {PATCHY_CV} beyond \
                 the counting noise of {noise}){thinnest}: fill the thin patches",
                limit
            ),
        );
    }

    let change = s.change.as_ref().map(|c| &c.insights);
    let spread = change
        .and_then(|c| c.spread_pct)
        .filter(|p| *p > BLOWOUT_SPREAD_PCT);
    let p90 = m
        .insights
        .dot_diameter_mm
        .map(|d| d.p90)
        .filter(|p| *p > BLOWOUT_P90_MM);
    if spread.is_some() || p90.is_some() {
        let mut why = Vec::new();
        if let Some(p) = spread {
            why.push(format!(
                "the mean dot diameter grew {p}% since session {previous} (over \
                 {BLOWOUT_SPREAD_PCT}%)"
            ));
        }
        if let Some(p) = p90 {
            why.push(format!(
                "one dot in ten is {p} mm or larger (over {BLOWOUT_P90_MM} mm)"
            ));
        }
        flag(
            FlagCode::Blowout,
            format!(
                "{}: pigment is spreading under the skin (blow-out)",
                why.join(" and ")
            ),
        );
    }

    if let Some(h) = change.and_then(|c| c.hue_shift) {
        let towards = [(-h.db, "blue", "b*"), (-h.da, "green", "a*")];
        let moved: Vec<String> = towards
            .iter()
            .filter(|(by, _, _)| *by > BLUE_SHIFT_AB)
            .map(|(by, colour, axis)| format!("towards {colour} by {by} ({axis})"))
            .collect();
        if !moved.is_empty() {
            let tint = pigment_now(s)
                .map(|(a, b)| format!(" (its tint is now a* {a:.1}, b* {b:.1})"))
                .unwrap_or_default();
            flag(
                FlagCode::BlueShift,
                format!(
                    "the pigment moved {} since session {previous} (over {BLUE_SHIFT_AB} \
                     CIELAB units){tint}: faded pigment is turning blue/green",
                    moved.join(" and ")
                ),
            );
        }
    }

    if let Some(rate) = change
        .and_then(|c| c.fade_per_30_days)
        .filter(|r| *r > FAST_FADE_PER_30_DAYS)
    {
        flag(
            FlagCode::FastFade,
            format!(
                "darkness fell by {rate} per 30 days since session {previous} (over \
                 {FAST_FADE_PER_30_DAYS}): the pigment is fading fast; expect more sessions"
            ),
        );
    }
    flags
}

/// The pigment's tint (a*, b*) relative to the skin in session `s`, if it has dots.
fn pigment_now(s: &SessionReport) -> Option<(f64, f64)> {
    let i = &s.metrics.insights;
    pigment_tint(i.pigment_lab.as_ref()?, i.skin_lab.as_ref()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::test_support::metrics;
    use crate::insights::{ChangeInsights, HueShift};
    use crate::region::Region;
    use crate::report::{Change, ImageSize, SessionContext};

    fn session(px_per_mm: Option<f64>) -> SessionReport {
        SessionReport {
            context: SessionContext {
                photo: "p.png".into(),
                label: None,
                date: None,
                image: ImageSize {
                    width: 400,
                    height: 300,
                },
                region: Region::whole(400, 300),
                px_per_mm,
            },
            metrics: metrics(100, Some(100.0), Some(0.6), Some((10.0, 0.4))),
            warnings: Vec::new(),
            change: None,
        }
    }

    fn with_change(spread: f64, da: f64, db: f64, fade: f64) -> SessionReport {
        let mut s = session(Some(25.0));
        s.change = Some(Change {
            dot_count: 0,
            density_per_cm2: Some(0.0),
            coverage_pct: 0.0,
            darkness: Some(0.0),
            days: Some(60),
            insights: ChangeInsights {
                spread_pct: Some(spread),
                hue_shift: Some(HueShift { da, db }),
                fade_per_30_days: Some(fade),
            },
        });
        s
    }

    fn codes(s: &SessionReport) -> Vec<FlagCode> {
        session_flags(2, s).iter().map(|f| f.code).collect()
    }

    #[test]
    fn sessions_remaining_follows_the_recent_gain() {
        let d = |v: &[f64]| v.iter().map(|x| Some(*x)).collect::<Vec<_>>();
        // One gain of 40: 40 to go is 1 session.
        assert_eq!(sessions_remaining(Some(120.0), &d(&[40.0, 80.0])), Some(1));
        // Gains 40 and 20: 30 per session; 100 to go is ⌈3.33⌉ = 4.
        assert_eq!(
            sessions_remaining(Some(200.0), &d(&[40.0, 80.0, 100.0])),
            Some(4)
        );
        // Only the last two gains count: the first (10 → 80) does not.
        assert_eq!(
            sessions_remaining(Some(200.0), &d(&[10.0, 40.0, 80.0, 100.0])),
            Some(4)
        );
        // Reached (even with one session): 0.
        assert_eq!(sessions_remaining(Some(100.0), &d(&[100.0])), Some(0));
        assert_eq!(sessions_remaining(Some(100.0), &d(&[40.0, 120.0])), Some(0));
        // Cannot be estimated.
        assert_eq!(sessions_remaining(None, &d(&[40.0, 80.0])), None);
        assert_eq!(sessions_remaining(Some(120.0), &d(&[40.0])), None);
        assert_eq!(sessions_remaining(Some(120.0), &d(&[80.0, 80.0])), None);
        assert_eq!(sessions_remaining(Some(120.0), &d(&[90.0, 80.0])), None);
        assert_eq!(sessions_remaining(Some(120.0), &[None, Some(80.0)]), None);
        assert_eq!(sessions_remaining(Some(120.0), &[Some(80.0), None]), None);
        assert_eq!(sessions_remaining(Some(120.0), &[]), None);
        assert_eq!(sessions_remaining(Some(f64::NAN), &d(&[40.0, 80.0])), None);
        // At most MAX_SESSIONS_ESTIMATE.
        assert_eq!(sessions_remaining(Some(105.0), &d(&[0.0, 5.0])), Some(20));
        assert_eq!(sessions_remaining(Some(105.0), &d(&[0.0, 4.9])), None);
    }

    #[test]
    fn progress_is_the_latest_density_over_the_target() {
        let mut s = vec![session(Some(25.0)), session(Some(25.0))];
        s[1].metrics.density_per_cm2 = Some(90.0);
        let summary = summarize(Some(120.0), &s);
        assert_eq!(summary.progress_pct, Some(75.0));
        assert_eq!(summary.sessions_remaining_estimate, None, "density fell");
        assert_eq!(summarize(None, &s).progress_pct, None);
        assert_eq!(summarize(Some(120.0), &[]).progress_pct, None);
    }

    #[test]
    fn each_flag_fires_just_above_its_threshold() {
        assert!(codes(&with_change(0.0, 0.0, 0.0, 0.0)).is_empty());
        let at = with_change(BLOWOUT_SPREAD_PCT, -BLUE_SHIFT_AB, -BLUE_SHIFT_AB, 0.025);
        assert!(codes(&at).is_empty(), "{:?}", session_flags(2, &at));
        let over = |spread, da, db, fade| codes(&with_change(spread, da, db, fade));
        assert_eq!(over(20.1, 0.0, 0.0, 0.0), [FlagCode::Blowout]);
        assert_eq!(over(0.0, 0.0, -3.01, 0.0), [FlagCode::BlueShift]);
        assert_eq!(over(0.0, -3.01, 0.0, 0.0), [FlagCode::BlueShift]);
        // Towards red or yellow is not blue.
        assert!(over(0.0, 8.0, 8.0, 0.0).is_empty());
        assert_eq!(over(0.0, 0.0, 0.0, 0.0251), [FlagCode::FastFade]);
        // In FlagCode order, each naming the later session.
        let all = session_flags(2, &with_change(30.0, 0.0, -5.0, 0.1));
        let got: Vec<_> = all.iter().map(|f| (f.code, f.session)).collect();
        use FlagCode::*;
        assert_eq!(got, [(Blowout, 2), (BlueShift, 2), (FastFade, 2)]);
        assert!(
            all[0].message.contains("30% since session 1"),
            "{}",
            all[0].message
        );

        // Blown out without growing: one dot in ten over BLOWOUT_P90_MM.
        let mut s = session(Some(25.0));
        s.metrics.insights.dot_diameter_mm.as_mut().unwrap().p90 = BLOWOUT_P90_MM;
        assert!(codes(&s).is_empty());
        s.metrics.insights.dot_diameter_mm.as_mut().unwrap().p90 = 0.751;
        assert_eq!(codes(&s), [Blowout]);
    }

    #[test]
    fn patchy_counts_only_variation_beyond_counting_noise() {
        let mut s = session(Some(25.0));
        let u = &mut s.metrics.insights.uniformity;
        // Noise 0.4 (≈ 6 dots per cell): limit √(0.3² + 0.4²) = 0.5.
        u.noise_cv = Some(0.4);
        u.cv = Some(0.5);
        assert!(codes(&s).is_empty());
        s.metrics.insights.uniformity.cv = Some(0.501);
        assert_eq!(codes(&s), [FlagCode::Patchy]);
        assert!(session_flags(1, &s)[0].message.contains("x 62.5, y 62.5"));
        s.metrics.insights.uniformity.cv = None;
        assert!(codes(&s).is_empty());
    }

    #[test]
    fn low_resolution_by_scale_or_by_dot_size() {
        assert!(codes(&session(Some(LOW_RESOLUTION_PX_PER_MM))).is_empty());
        assert_eq!(codes(&session(Some(14.9))), [FlagCode::LowResolution]);
        let mut s = session(None);
        s.metrics.insights.dot_diameter_px.as_mut().unwrap().mean = LOW_RESOLUTION_DOT_PX;
        assert!(codes(&s).is_empty());
        s.metrics.insights.dot_diameter_px.as_mut().unwrap().mean = 5.99;
        assert_eq!(codes(&s), [FlagCode::LowResolution]);
        // Both reasons: one flag.
        s.context.px_per_mm = Some(10.0);
        assert_eq!(codes(&s), [FlagCode::LowResolution]);
    }
}

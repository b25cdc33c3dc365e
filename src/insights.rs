//! The numbers behind the progress questions: per session the dot size distribution, the
//! pigment's and the skin's colour, and how evenly the dots are spread; between two sessions how
//! much the dots spread, how the pigment's hue moved and how fast it faded.
//!
//! Per-session numbers ([`SessionInsights`]) come from the measurement, unrounded, and are
//! rounded with the rest of the session ([`SessionInsights::rounded`]). The change numbers
//! ([`ChangeInsights`]) are computed from the *rounded* sessions, so they follow from what the
//! report prints.

use serde::Serialize;

use crate::measure::Measurement;
use crate::metrics::SessionMetrics;
use crate::report::{precision, round_to};
use crate::uniformity::{uniformity, Cell, Uniformity};

/// The upper dot size reported next to the mean: the 90th percentile, so that one dot in ten
/// being blown out shows even while the mean is still ordinary.
pub const DIAMETER_QUANTILE: f64 = 0.9;
/// "Few dots were added" between two sessions when the density grew by at most this fraction.
/// Only then is a drop in darkness read as fading: new dark dots would otherwise raise the
/// median and hide it. 10% is above the ±5% a density drifts between two photos of the same
/// dots, and below any real session's additions.
pub const FEW_ADDED_FRACTION: f64 = 0.10;
/// Skin with less chroma than this (CIELAB units) has no colour to judge a pigment's tint by:
/// the photo is greyscale or desaturated. Skin of every type photographs at a chroma of about
/// 10–30 (the samples 18–28; white balance moves it by a few units, not to grey).
pub const MIN_SKIN_CHROMA: f64 = 2.0;
/// Fewest days between two sessions for a fade rate: over shorter spans the photo-to-photo
/// scatter of darkness (≈ 0.02) would be multiplied into a large rate per 30 days.
pub const MIN_FADE_DAYS: i64 = 14;
/// The period of the fade rate (days).
pub const FADE_PERIOD_DAYS: f64 = 30.0;

/// Decimal places of the quantities added here (see [`crate::report::precision`]).
pub mod places {
    /// Spread (percent).
    pub const SPREAD_PCT: i32 = 1;
    /// Hue shift (CIELAB a*, b* units).
    pub const HUE_SHIFT: i32 = 2;
    /// Fade (darkness per 30 days): a slow fade is a few thousandths.
    pub const FADE_RATE: i32 = 4;
    /// Coefficient of variation.
    pub const CV: i32 = 3;
    /// Cell side and centre (px).
    pub const CELL_PX: i32 = 1;
    /// Cell side (mm).
    pub const CELL_MM: i32 = 3;
}

/// Mean and 90th percentile of the dots' diameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Diameters {
    /// Mean equivalent-circle diameter of the dots' half-maximum outlines (px or mm).
    pub mean: f64,
    /// 90th percentile (nearest rank) of the same diameters (px or mm).
    pub p90: f64,
}

/// A CIELAB (D65) colour.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LabColor {
    /// Lightness L* (0..100).
    #[serde(rename = "L")]
    pub l: f64,
    /// a* (negative green, positive red).
    pub a: f64,
    /// b* (negative blue, positive yellow).
    pub b: f64,
}

/// Per-session dot size, colour and uniformity (flattened into the session's JSON).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionInsights {
    /// Dot diameters in px; null without dots.
    pub dot_diameter_px: Option<Diameters>,
    /// Dot diameters in mm; null without dots or scale.
    pub dot_diameter_mm: Option<Diameters>,
    /// Per-channel medians over dots of the CIELAB colour of each dot's core; null without dots.
    pub pigment_lab: Option<LabColor>,
    /// Per-channel medians over dots of the CIELAB colour of the skin ring around each dot;
    /// null without dots with skin around them.
    pub skin_lab: Option<LabColor>,
    /// Density over a grid of cells ([`crate::uniformity`]).
    pub uniformity: Uniformity,
}

/// How a pigment's hue moved between two sessions, relative to the skin (CIELAB units).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct HueShift {
    /// Change of the pigment's a* tint ([`pigment_tint`]): negative is towards green.
    pub da: f64,
    /// Change of the pigment's b* tint: negative is towards blue.
    pub db: f64,
}

/// Dot spread, hue shift and fade between two sessions (flattened into `change`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChangeInsights {
    /// Growth of the mean dot diameter (percent): 100 × (mean now / mean before − 1), in mm;
    /// null unless both sessions have dots and a scale (a diameter in px grows and shrinks
    /// with the framing: a photo taken 1.2× closer reads dots 20% larger).
    pub spread_pct: Option<f64>,
    /// Change of the pigment's tint relative to the skin ([`pigment_tint`]); null unless both
    /// sessions have dots with skin around them, and skin with colour ([`MIN_SKIN_CHROMA`]).
    pub hue_shift: Option<HueShift>,
    /// Darkness lost per 30 days (darkness units 0..1; negative when it darkened); null unless
    /// both dates are known and at least [`MIN_FADE_DAYS`] apart, both sessions have dots, and
    /// few dots were added ([`FEW_ADDED_FRACTION`]).
    pub fade_per_30_days: Option<f64>,
}

/// Per-channel median of CIELAB colours; `None` when empty or not finite.
fn median_lab(colours: impl Iterator<Item = [f32; 3]> + Clone) -> Option<LabColor> {
    // The report's median (so `pigment_lab.L` equals `pigment_lightness`).
    let median = |channel: usize| {
        crate::metrics::median(colours.clone().map(move |c| f64::from(c[channel])))
    };
    let (l, a, b) = (median(0)?, median(1)?, median(2)?);
    [l, a, b]
        .iter()
        .all(|v| v.is_finite())
        .then_some(LabColor { l, a, b })
}

/// Mean and 90th percentile of `diameters` (the mean summed in order, as
/// `mean_dot_diameter_px` is); `None` when empty or not finite.
pub fn diameters(diameters: &[f64]) -> Option<Diameters> {
    if diameters.is_empty() {
        return None;
    }
    let mean = diameters.iter().sum::<f64>() / diameters.len() as f64;
    let mut sorted = diameters.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((sorted.len() - 1) as f64 * DIAMETER_QUANTILE).round() as usize;
    let p90 = sorted[rank.min(sorted.len() - 1)];
    (mean.is_finite() && p90.is_finite()).then_some(Diameters { mean, p90 })
}

/// The per-session numbers of measurement `m` at scale `px_per_mm` (unrounded).
pub fn session_insights(m: &Measurement, px_per_mm: Option<f64>) -> SessionInsights {
    let scale = px_per_mm.filter(|s| s.is_finite() && *s > 0.0);
    let px: Vec<f64> = m.dots.iter().map(|d| d.diameter_px).collect();
    let px = diameters(&px);
    let points: Vec<(f64, f64)> = m.dots.iter().map(|d| (d.x, d.y)).collect();
    SessionInsights {
        dot_diameter_px: px,
        dot_diameter_mm: px.zip(scale).map(|(d, s)| Diameters {
            mean: d.mean / s,
            p90: d.p90 / s,
        }),
        pigment_lab: median_lab(m.dots.iter().map(|d| d.core_lab)),
        // Only skin read around dots: a dot inside dense pigment has only a grey stand-in.
        skin_lab: median_lab(
            m.dots
                .iter()
                .filter(|d| d.skin_from_ring)
                .map(|d| d.skin_lab),
        ),
        uniformity: uniformity(&points, m.region, scale, m.dot_scale_px),
    }
}

impl SessionInsights {
    /// These numbers rounded to the precision each carries: diameters 0.01 px / 0.001 mm, Lab
    /// 0.01, cv 0.001, densities 0.1, cell sides and centres 0.1 px, cell side 0.001 mm.
    pub fn rounded(&self) -> SessionInsights {
        let diam = |d: Option<Diameters>, places: i32| {
            d.map(|d| Diameters {
                mean: round_to(d.mean, places),
                p90: round_to(d.p90, places),
            })
        };
        let lab = |c: Option<LabColor>| {
            c.map(|c| LabColor {
                l: round_to(c.l, precision::LIGHTNESS),
                a: round_to(c.a, precision::LIGHTNESS),
                b: round_to(c.b, precision::LIGHTNESS),
            })
        };
        let u = &self.uniformity;
        SessionInsights {
            dot_diameter_px: diam(self.dot_diameter_px, precision::DIAMETER_PX),
            dot_diameter_mm: diam(self.dot_diameter_mm, precision::DIAMETER_MM),
            pigment_lab: lab(self.pigment_lab),
            skin_lab: lab(self.skin_lab),
            uniformity: Uniformity {
                cell_mm: u.cell_mm.map(|c| round_to(c, places::CELL_MM)),
                cell_px: round_to(u.cell_px, places::CELL_PX),
                cv: u.cv.map(|c| round_to(c, places::CV)),
                noise_cv: u.noise_cv.map(|c| round_to(c, places::CV)),
                thinnest: u
                    .thinnest
                    .iter()
                    .map(|c| Cell {
                        x: round_to(c.x, places::CELL_PX),
                        y: round_to(c.y, places::CELL_PX),
                        density: round_to(c.density, precision::DENSITY),
                    })
                    .collect(),
            },
        }
    }
}

/// CIE f⁻¹: relative tristimulus value from f(t).
fn f_inv(f: f64) -> f64 {
    const DELTA: f64 = 6.0 / 29.0;
    if f > DELTA {
        f * f * f
    } else {
        3.0 * DELTA * DELTA * (f - 4.0 / 29.0)
    }
}

/// CIE f: the cube root with its linear toe.
fn f(t: f64) -> f64 {
    const DELTA: f64 = 6.0 / 29.0;
    if t > DELTA * DELTA * DELTA {
        t.cbrt()
    } else {
        t / (3.0 * DELTA * DELTA) + 4.0 / 29.0
    }
}

/// The pigment's own colour cast (a*, b*): `pigment` minus the colour a perfectly neutral (grey)
/// pigment of the same lightness would have on `skin`, i.e. the skin's XYZ scaled by
/// Y_pigment / Y_skin. Negative a* is towards green, negative b* towards blue. A neutral
/// pigment reads (0, 0) at any darkness, so darkening or fading alone does not move it, and a
/// white-balance shift, which tints skin and pigment alike, moves it little. `None` when the
/// skin is black, has no colour (chroma under [`MIN_SKIN_CHROMA`]: a greyscale photo, whose
/// pigment would read a tint against a colour photo's that no pigment has), or a value is not
/// finite.
pub fn pigment_tint(pigment: &LabColor, skin: &LabColor) -> Option<(f64, f64)> {
    if skin.a.hypot(skin.b) < MIN_SKIN_CHROMA {
        return None;
    }
    let fy = (skin.l + 16.0) / 116.0;
    let (x, y, z) = (
        f_inv(fy + skin.a / 500.0),
        f_inv(fy),
        f_inv(fy - skin.b / 200.0),
    );
    let k = f_inv((pigment.l + 16.0) / 116.0) / y;
    if !(y > 0.0 && k.is_finite()) {
        return None;
    }
    let (fx, fy, fz) = (f(x * k), f(y * k), f(z * k));
    let neutral = (500.0 * (fx - fy), 200.0 * (fy - fz));
    let tint = (pigment.a - neutral.0, pigment.b - neutral.1);
    (tint.0.is_finite() && tint.1.is_finite()).then_some(tint)
}

/// Whether few dots were added from `before` to `now` ([`FEW_ADDED_FRACTION`]), by density;
/// false when either has no density (no scale: a count alone cannot tell dots added from a
/// photo framed wider, nor dots hidden by one framed closer) or `before` had none.
pub fn few_dots_added(before: &SessionMetrics, now: &SessionMetrics) -> bool {
    let limit = 1.0 + FEW_ADDED_FRACTION;
    match (before.density_per_cm2, now.density_per_cm2) {
        (Some(a), Some(b)) if a > 0.0 => b <= a * limit,
        _ => false,
    }
}

/// Spread, hue shift and fade from the rounded `before` to the rounded `now`, `days` apart.
pub fn change_insights(
    before: &SessionMetrics,
    now: &SessionMetrics,
    days: Option<i64>,
) -> ChangeInsights {
    let (b, n) = (&before.insights, &now.insights);
    let spread_pct = b
        .dot_diameter_mm
        .zip(n.dot_diameter_mm)
        .map(|(x, y)| (x.mean, y.mean))
        .filter(|(x, _)| *x > 0.0)
        .map(|(x, y)| round_to(100.0 * (y / x - 1.0), places::SPREAD_PCT));
    let tint = |s: &SessionInsights| pigment_tint(s.pigment_lab.as_ref()?, s.skin_lab.as_ref()?);
    let hue_shift = tint(b).zip(tint(n)).map(|(x, y)| HueShift {
        da: round_to(y.0 - x.0, places::HUE_SHIFT),
        db: round_to(y.1 - x.1, places::HUE_SHIFT),
    });
    let fade_per_30_days = days
        .filter(|d| *d >= MIN_FADE_DAYS && few_dots_added(before, now))
        .zip(before.darkness.zip(now.darkness))
        .map(|(d, (x, y))| round_to((x - y) * FADE_PERIOD_DAYS / d as f64, places::FADE_RATE));
    ChangeInsights {
        spread_pct,
        hue_shift,
        fade_per_30_days,
    }
}

/// Hand-made sessions for the unit tests of this module and [`crate::summary`].
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::uniformity::Uniformity;

    /// A session of `count` dots at `density` (dots/cm²) and `darkness`, with mean dot
    /// diameters (px, mm) of `diameter` (p90 = 1.2 × mean), neutral colours and an even grid.
    pub fn metrics(
        count: u64,
        density: Option<f64>,
        darkness: Option<f64>,
        diameter: Option<(f64, f64)>,
    ) -> SessionMetrics {
        let d = |m: f64| Diameters {
            mean: m,
            p90: round_to(1.2 * m, 3),
        };
        SessionMetrics {
            region_area_cm2: density.map(|_| 2.0),
            dot_count: count,
            density_per_cm2: density,
            coverage_pct: 5.0,
            hair_coverage_pct: 0.0,
            mean_dot_diameter_px: diameter.map(|x| x.0),
            mean_dot_diameter_mm: diameter.map(|x| x.1),
            pigment_lightness: Some(40.0),
            skin_lightness: Some(65.0),
            darkness,
            edge_softness: Some(0.2),
            insights: SessionInsights {
                dot_diameter_px: diameter.map(|x| d(x.0)),
                dot_diameter_mm: diameter.map(|x| d(x.1)),
                pigment_lab: Some(LabColor {
                    l: 40.0,
                    a: 8.0,
                    b: 10.0,
                }),
                skin_lab: Some(LabColor {
                    l: 65.0,
                    a: 12.0,
                    b: 18.0,
                }),
                uniformity: Uniformity {
                    cell_mm: Some(5.0),
                    cell_px: 125.0,
                    cv: Some(0.2),
                    noise_cv: Some(0.2),
                    thinnest: vec![Cell {
                        x: 62.5,
                        y: 62.5,
                        density: 80.0,
                    }],
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::metrics;
    use super::*;
    use crate::color::lab_from_linear;

    fn lab(rgb: [f32; 3]) -> LabColor {
        let [l, a, b] = lab_from_linear(rgb);
        LabColor {
            l: f64::from(l),
            a: f64::from(a),
            b: f64::from(b),
        }
    }

    #[test]
    fn a_neutral_pigment_has_no_tint_at_any_darkness_and_a_blue_one_does() {
        let skin = [0.50f32, 0.36, 0.26];
        for k in [0.05f32, 0.3, 0.7, 1.0] {
            let core = lab(skin.map(|c| c * k));
            let (a, b) = pigment_tint(&core, &lab(skin)).unwrap();
            assert!(a.abs() < 0.02 && b.abs() < 0.02, "k {k}: {a} {b}");
        }
        let blue = lab([0.50 * 0.2, 0.36 * 0.25, 0.26 * 0.45]);
        let (a, b) = pigment_tint(&blue, &lab(skin)).unwrap();
        assert!(b < -5.0, "blue pigment: b* tint {b}");
        let green = lab([0.50 * 0.2, 0.36 * 0.35, 0.26 * 0.25]);
        assert!(pigment_tint(&green, &lab(skin)).unwrap().0 < -5.0, "{a}");
        // Black skin or nonsense values: no tint rather than a made-up one.
        let black = LabColor {
            l: 0.0,
            a: 0.0,
            b: 0.0,
        };
        assert_eq!(pigment_tint(&blue, &black), None);
        let nan = LabColor {
            l: f64::NAN,
            ..blue
        };
        assert_eq!(pigment_tint(&nan, &lab(skin)), None);
    }

    #[test]
    fn diameters_mean_and_nearest_rank_p90() {
        let d: Vec<f64> = (1..=10).map(f64::from).collect();
        // Rank round(9 × 0.9) = 8 of 0..9: the 9th smallest.
        assert_eq!(
            diameters(&d),
            Some(Diameters {
                mean: 5.5,
                p90: 9.0
            })
        );
        assert_eq!(
            diameters(&[3.0]),
            Some(Diameters {
                mean: 3.0,
                p90: 3.0
            })
        );
        assert_eq!(diameters(&[]), None);
        assert_eq!(diameters(&[1.0, f64::NAN]), None);
    }

    #[test]
    fn spread_is_the_growth_of_the_mean_diameter_in_mm_only() {
        let before = metrics(100, Some(50.0), Some(0.6), Some((10.0, 0.4)));
        let now = metrics(100, Some(50.0), Some(0.6), Some((13.0, 0.52)));
        assert_eq!(change_insights(&before, &now, None).spread_pct, Some(30.0));
        // A session without a scale: its px are not comparable (the framing may differ), so
        // no spread, though its px diameter grew by 20%.
        let mut px_only = metrics(100, None, Some(0.6), Some((12.0, 0.0)));
        px_only.insights.dot_diameter_mm = None;
        assert_eq!(change_insights(&before, &px_only, None).spread_pct, None);
        assert_eq!(change_insights(&px_only, &before, None).spread_pct, None);
        let none = metrics(0, Some(0.0), None, None);
        assert_eq!(change_insights(&none, &now, None).spread_pct, None);
        assert_eq!(change_insights(&now, &none, None).spread_pct, None);
    }

    #[test]
    fn fade_needs_dates_enough_days_and_few_added_dots() {
        let before = metrics(100, Some(50.0), Some(0.6), Some((10.0, 0.4)));
        let fade = |density, days| {
            let now = metrics(100, Some(density), Some(0.5), Some((10.0, 0.4)));
            change_insights(&before, &now, days).fade_per_30_days
        };
        // 0.1 lost over 60 days: 0.05 per 30 days.
        assert_eq!(fade(50.0, Some(60)), Some(0.05));
        // 10% more density is still "few" dots added; a little more is not.
        assert_eq!(fade(55.0, Some(60)), Some(0.05));
        assert_eq!(fade(55.1, Some(60)), None);
        // Fewer dots (faded out of sight) do not stop it.
        assert_eq!(fade(40.0, Some(60)), Some(0.05));
        assert_eq!(fade(50.0, Some(MIN_FADE_DAYS)), Some(0.2143));
        assert_eq!(fade(50.0, Some(MIN_FADE_DAYS - 1)), None);
        assert_eq!(fade(50.0, None), None);
        // Density decides, not the count: a zoomed photo counts more dots in the same density.
        let now = metrics(150, Some(55.0), Some(0.5), None);
        assert!(few_dots_added(&before, &now));
        // Without a density in either session, a count cannot tell (the framing may differ:
        // 859 dots framed wide, 775 framed 1.2× closer though density grew 24%): no fade.
        let unscaled = |count| metrics(count, None, Some(0.5), Some((10.0, 0.4)));
        assert!(!few_dots_added(&unscaled(100), &unscaled(100)));
        assert!(!few_dots_added(&before, &unscaled(100)));
        assert!(!few_dots_added(&unscaled(100), &before));
        assert_eq!(
            change_insights(&unscaled(100), &unscaled(90), Some(60)).fade_per_30_days,
            None
        );
        // Getting darker is a negative fade.
        let now = metrics(100, Some(50.0), Some(0.7), None);
        assert_eq!(
            change_insights(&before, &now, Some(30)).fade_per_30_days,
            Some(-0.1)
        );
        // Nothing before: nothing was "few".
        assert!(!few_dots_added(&metrics(0, Some(0.0), None, None), &now));
    }

    #[test]
    fn hue_shift_is_the_change_of_the_tint() {
        let skin = [0.50f32, 0.36, 0.26];
        let mut before = metrics(100, None, Some(0.6), None);
        before.insights.skin_lab = Some(lab(skin));
        before.insights.pigment_lab = Some(lab(skin.map(|c| c * 0.3)));
        let mut now = before.clone();
        now.insights.pigment_lab = Some(lab([0.50 * 0.3, 0.36 * 0.33, 0.26 * 0.45]));
        let h = change_insights(&before, &now, None).hue_shift.unwrap();
        assert!(h.db < -3.0, "{h:?}");
        // Only fading (a neutral pigment getting lighter): no shift.
        now.insights.pigment_lab = Some(lab(skin.map(|c| c * 0.6)));
        let h = change_insights(&before, &now, None).hue_shift.unwrap();
        assert!(h.da.abs() <= 0.02 && h.db.abs() <= 0.02, "{h:?}");
        now.insights.pigment_lab = None;
        assert_eq!(change_insights(&before, &now, None).hue_shift, None);
        // A greyscale photo of the same scene (skin and pigment grey) has no tint to compare
        // with a colour photo's: no shift.
        let mut grey = before.clone();
        grey.insights.skin_lab = Some(lab([0.44; 3]));
        grey.insights.pigment_lab = Some(lab([0.13; 3]));
        assert_eq!(change_insights(&grey, &before, None).hue_shift, None);
        assert_eq!(change_insights(&before, &grey, None).hue_shift, None);
        // At the edge: skin of chroma 2 has a tint to judge by, just under it has not.
        let tint = |chroma: f64| {
            let skin = LabColor {
                l: 70.0,
                a: 0.0,
                b: chroma,
            };
            pigment_tint(
                &LabColor {
                    l: 40.0,
                    a: 0.0,
                    b: 0.0,
                },
                &skin,
            )
        };
        assert!(tint(MIN_SKIN_CHROMA).is_some());
        assert_eq!(tint(MIN_SKIN_CHROMA - 0.01), None);
    }
}

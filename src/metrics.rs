//! Per-session numbers from a [`Measurement`]: count, density, coverage, size, lightness,
//! darkness. Unrounded; the report rounds them.

use serde::Serialize;

use crate::color::lightness_from_luminance;
use crate::insights::{session_insights, SessionInsights};
use crate::measure::Measurement;
use crate::quantile::quantile;

/// The numbers reported for one session, in the order the report prints them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionMetrics {
    /// Region area (cm²), when the scale is known.
    pub region_area_cm2: Option<f64>,
    /// Dots whose centre lies in the region.
    pub dot_count: u64,
    /// Dots per cm², when the scale is known.
    pub density_per_cm2: Option<f64>,
    /// Percent (0–100) of region pixels inside a dot's half-maximum outline.
    pub coverage_pct: f64,
    /// Percent (0–100) of region pixels set aside as hair or stubble.
    pub hair_coverage_pct: f64,
    /// Mean equivalent-circle dot diameter (px); `None` without dots.
    pub mean_dot_diameter_px: Option<f64>,
    /// Mean dot diameter (mm); `None` without dots or scale.
    pub mean_dot_diameter_mm: Option<f64>,
    /// Median CIELAB L* (D65) of the dots' cores; `None` without dots.
    pub pigment_lightness: Option<f64>,
    /// Median CIELAB L* (D65) of the skin around the dots (of the region's skin without dots).
    pub skin_lightness: Option<f64>,
    /// Median over dots of 1 − Y_core / Y_skin (linear light, 0..1); `None` without dots.
    pub darkness: Option<f64>,
    /// How soft the dots' edges are for their size (the sharper quarter of the dots' edge σ over
    /// radius, unitless; see [`crate::measure::focus`]): 0.1–0.41 in focus, above
    /// [`crate::measure::focus::MAX_EDGE_SOFTNESS`] the photo may be out of focus; `None` when
    /// too few dots could be fitted.
    pub edge_softness: Option<f64>,
    /// Dot size distribution (px, mm), pigment and skin colour (CIELAB) and uniformity,
    /// flattened into the session: `dot_diameter_px`, `dot_diameter_mm`, `pigment_lab`,
    /// `skin_lab`, `uniformity`.
    #[serde(flatten)]
    pub insights: SessionInsights,
}

/// Median of `values` (f64, taken in f32 by [`quantile`] at 0.5: for an even count the upper
/// middle); `None` when empty.
pub(crate) fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f32> = values.map(|x| x as f32).collect();
    (!v.is_empty()).then(|| f64::from(quantile(&mut v, 0.5)))
}

/// Computes the session's numbers from its measurement and scale (px/mm).
pub fn session_metrics(m: &Measurement, px_per_mm: Option<f64>) -> SessionMetrics {
    let dot_count = m.dots.len() as u64;
    let region_area_cm2 = px_per_mm.map(|s| m.region.area_cm2(s));
    let mean_px = (!m.dots.is_empty())
        .then(|| m.dots.iter().map(|d| d.diameter_px).sum::<f64>() / m.dots.len() as f64);
    // The skin beside the dots, as `skin_lab` reads it (dots with a ring of skin), else the
    // skin field's at the dots (their stand-ins), else the region's.
    let skin_l = |ringed_only: bool| {
        median(
            m.dots
                .iter()
                .filter(|d| d.skin_from_ring || !ringed_only)
                .map(|d| f64::from(d.skin_lab[0])),
        )
    };
    let skin_from_dots = skin_l(true).or_else(|| skin_l(false));
    SessionMetrics {
        dot_count,
        region_area_cm2,
        density_per_cm2: region_area_cm2.map(|a| dot_count as f64 / a),
        coverage_pct: 100.0 * m.covered_area_px() / m.region_px.max(1) as f64,
        hair_coverage_pct: 100.0 * m.hair_px as f64 / m.region_px.max(1) as f64,
        mean_dot_diameter_px: mean_px,
        mean_dot_diameter_mm: mean_px.zip(px_per_mm).map(|(d, s)| d / s),
        pigment_lightness: median(m.dots.iter().map(|d| f64::from(d.core_lab[0]))),
        skin_lightness: skin_from_dots
            .or_else(|| Some(f64::from(lightness_from_luminance(m.skin_luminance as f32)))),
        darkness: median(m.dots.iter().map(|d| d.darkness.clamp(0.0, 1.0))),
        edge_softness: m.edge_softness.map(|e| e.ratio()),
        insights: session_insights(m, px_per_mm),
    }
}

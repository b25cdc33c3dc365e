//! The cautions about one measurement: what makes its numbers unreliable, in words a
//! technician can act on (resolution, too few dots for the work, focus, solid pigment,
//! exposure, a region too small).

use super::{
    focus, lines, shine, solid, tone, Measurement, MAX_CLIPPED_FRACTION, MIN_DOT_SNR,
    MIN_REGION_DIAMETERS, MIN_RELIABLE_DOT_PX, MIN_WORK_DENSITY_PER_CM2,
    UNDEREXPOSED_SKIN_LUMINANCE,
};

impl Measurement {
    /// This measurement with its `warnings` (each a sentence) added, for a photo measured at
    /// `px_per_mm` whose dots were `seen_diameter` px across (the smaller of the filters' scale
    /// and the dots' median diameter; `None` without dots), and whose lines of pigment were
    /// sought of `line` shape.
    pub(super) fn with_cautions(
        mut self,
        px_per_mm: Option<f64>,
        seen_diameter: Option<f64>,
        line: lines::LineShape,
    ) -> Self {
        let (region, dots, solid) = (self.region, &self.dots, &self.solid);
        let (dot_scale, skin_luminance) = (self.dot_scale_px, self.skin_luminance);
        let (clipped_fraction, edge_softness) = (self.clipped_fraction, self.edge_softness);
        let (in_solid, unresolved) = (self.dots_in_solid(), self.dots_in_solid_or_lines());
        let mut warnings = Vec::new();
        if let Some(seen) = seen_diameter {
            if seen < MIN_RELIABLE_DOT_PX {
                warnings.push(format!(
                    "dots are only about {seen:.1} px across (under {MIN_RELIABLE_DOT_PX} px): \
                     counts and sizes are unreliable; photograph closer or at a higher resolution"
                ));
            }
            let area_cm2 = px_per_mm.map(|s| region.area_cm2(s));
            if let Some(density) = area_cm2.map(|a| dots.len() as f64 / a) {
                if density < MIN_WORK_DENSITY_PER_CM2 {
                    warnings.push(format!(
                        "only {} dots found ({density:.1} per cm², under \
                         {MIN_WORK_DENSITY_PER_CM2}): fewer than any SMP session lays down; check \
                         that the region covers the work, that the scale (px/mm) is right and \
                         that the photo is in focus",
                        dots.len()
                    ));
                }
            }
        } else {
            warnings.push("no pigment dots found in the region".to_string());
        }
        if let Some(soft) = edge_softness.filter(focus::EdgeSoftness::out_of_focus) {
            warnings.push(format!(
                "the dots' edges are soft for their size (a blur of about {:.1} px on dots {:.1} px \
                 in radius): the photo may be out of focus, which reads coverage high and darkness \
                 low; retake it in focus (and closer, if the dots are only a few pixels across)",
                soft.edge_sigma_px, soft.radius_px
            ));
        }
        let share = |n: usize| n as f64 / dots.len() as f64;
        let mm_or_px = |px: f64| match px_per_mm {
            Some(s) => format!("{:.1} mm", px / s),
            None => format!("{px:.0} px"),
        };
        if !dots.is_empty() && share(unresolved) >= solid::SOLID_WARN_SHARE {
            let areas = format!(
                "areas {} across almost fully covered",
                mm_or_px(solid.block_px as f64)
            );
            let runs = format!(
                "unbroken lines at least {} long and {} wide",
                mm_or_px(line.min_length_px),
                mm_or_px(line.min_width_px)
            );
            // Each kind's share only when both hold some of the dots (a dot in a solid square
            // and on a line is counted in the squares: the two shares add up to the whole).
            let kinds = match (in_solid > 0, unresolved > in_solid) {
                (true, true) => format!(
                    "{:.0}% in {areas}, {:.0}% on {runs}",
                    100.0 * share(in_solid),
                    100.0 * share(unresolved - in_solid)
                ),
                (true, false) => areas,
                _ => runs,
            };
            warnings.push(format!(
                "{:.0}% of the dots counted lie in solid pigment ({kinds}: a tattoo, its linework, a \
                 filled scar, dots grown together, or dense hair or stubble over them), where dots \
                 cannot be told apart: the count and density are unreliable; measure a region of \
                 separate dots",
                100.0 * share(unresolved),
            ));
        }
        if let Some(snr) = self.dot_snr().filter(|&snr| snr < MIN_DOT_SNR) {
            warnings.push(format!(
                "the photo is noisy for its dots (a signal-to-noise of {:.0}, under {MIN_DOT_SNR}: \
                 the skin's noise after a 1 px blur {:.1}% of its brightness, against dots {:.2} \
                 dark and {:.1} px across): faint and small dots may be missed or split, and counts may be \
                 off by 10% or more; photograph with more light (a lower ISO) or closer",
                // Rounded down: a photo warned never reads as at the threshold.
                snr.floor(),
                100.0 * self.skin_noise,
                median_over(dots, |d| d.darkness),
                median_over(dots, |d| d.diameter_px),
            ));
        }
        if skin_luminance < UNDEREXPOSED_SKIN_LUMINANCE {
            warnings.push(format!(
                "the photo is underexposed (skin at L* {:.0}): counts, coverage and darkness are \
                 unreliable; photograph with more light",
                crate::color::lightness_from_luminance(skin_luminance as f32)
            ));
        }
        if let Some(shine) = self
            .shine
            .filter(|s| s.fraction >= shine::MIN_SHINY_FRACTION)
        {
            warnings.push(format!(
                "{:.0}% of the region lies under shine (a specular highlight: light reflected by \
                 the skin's surface, about {:.0}% of the skin's brightness there): dots under it \
                 read about that much lighter than they are and faint ones are missed; \
                 photograph with diffuse or cross-polarised light, or measure a region beside it",
                100.0 * shine.fraction,
                100.0 * shine.share
            ));
        }
        let edge = self.tone_edge;
        if edge.fraction >= tone::MIN_EDGE_FRACTION {
            warnings.push(format!(
                "the skin's own tone changes sharply across {:.0}% of the region (up to {:.1}× \
                 lighter within a few dot diameters: a scar, a birthmark or the rim of a highlight): \
                 the skin level there was followed between the dots pixel by pixel; dots packed \
                 wider than two dot diameters on the lighter side read lighter than they are, and \
                 a strip of darker skin narrower than that between lighter skin reads as pigment: \
                 check the overlay along the edge",
                100.0 * edge.fraction,
                edge.ratio
            ));
        }
        if clipped_fraction > MAX_CLIPPED_FRACTION {
            warnings.push(format!(
                "{:.1}% of the region is overexposed (clipped): darkness and lightness there cannot \
                 be measured",
                100.0 * clipped_fraction
            ));
        }
        let across = f64::from(region.width.min(region.height)) / dot_scale;
        if !dots.is_empty() && across < MIN_REGION_DIAMETERS {
            warnings.push(format!(
                "the region is only {across:.0} dot diameters across: density is uncertain; choose \
                 a larger region"
            ));
        }

        self.warnings.extend(warnings);
        self
    }

    /// The dots' signal-to-noise (see [`MIN_DOT_SNR`]): the median over the dots of darkness
    /// (0..1) × diameter (px) / [`Measurement::skin_noise`]; `None` without dots or without
    /// noise to compare with (a noiseless, generated photo).
    pub fn dot_snr(&self) -> Option<f64> {
        if self.dots.is_empty() || self.skin_noise.is_nan() || self.skin_noise <= 0.0 {
            return None;
        }
        let noise = self.skin_noise;
        Some(median_over(&self.dots, |d| {
            d.darkness * d.diameter_px / noise
        }))
    }
}

/// The median (the upper of the middle two) of `value` over `dots`, which must not be empty.
fn median_over(dots: &[super::DotSample], value: impl Fn(&super::DotSample) -> f64) -> f64 {
    let mut values: Vec<f64> = dots.iter().map(value).collect();
    values.sort_unstable_by(f64::total_cmp);
    values[values.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{render, Camera, DotParams, Scene};
    use crate::Region;

    /// A generated scene of healed dots on Fitzpatrick `skin` (400 × 300 px at 20 px/mm),
    /// measured.
    fn measured(skin: u8) -> Measurement {
        let camera = Camera::new(400, 300, 20.0);
        let scene = Scene::typical(&camera, skin, &DotParams::healed(), 3);
        let image = image::DynamicImage::ImageRgb8(render(&scene, &camera));
        super::super::measure(&image, Region::whole(400, 300), Some(20.0)).unwrap()
    }

    /// The warnings of `m` changed by `edit`, its cautions taken again from scratch.
    fn warnings_after(m: &Measurement, edit: impl FnOnce(&mut Measurement)) -> Vec<String> {
        let mut m = m.clone();
        m.warnings.clear();
        edit(&mut m);
        let line = lines::LineShape::new(Some(20.0), m.dot_scale_px);
        let seen = Some(m.dot_scale_px);
        m.with_cautions(Some(20.0), seen, line).warnings
    }

    /// The noise warning fires below [`MIN_DOT_SNR`] and not at or above it, and never without
    /// a noise to judge by.
    #[test]
    fn the_noise_warning_fires_just_below_its_threshold() {
        let mut m = measured(2);
        assert!(m.dots.len() > 50, "{} dots", m.dots.len());
        m.skin_noise = 1.0;
        let product = m.dot_snr().expect("dots and noise");
        let warned = |m: &Measurement, skin_noise: f64| {
            warnings_after(m, |m| m.skin_noise = skin_noise)
                .iter()
                .any(|w| w.contains("noisy for its dots"))
        };
        assert!(warned(&m, product / MIN_DOT_SNR * 1.001));
        assert!(!warned(&m, product / MIN_DOT_SNR));
        assert!(!warned(&m, product / MIN_DOT_SNR * 0.999));
        // No noise (a noiseless photo), or a NaN: nothing to judge by.
        assert!(!warned(&m, 0.0));
        assert!(!warned(&m, f64::NAN));
        // No dots: no signal-to-noise.
        m.dots.clear();
        assert_eq!(m.dot_snr(), None);
    }

    /// The shine warning fires from [`shine::MIN_SHINY_FRACTION`] of the region on, not below
    /// it, and says how much and how strong.
    #[test]
    fn the_shine_warning_fires_from_its_fraction_of_the_region() {
        let m = measured(5);
        assert_eq!(m.shine, None, "an evenly lit photo");
        let warning = |fraction: f64| {
            let shine = Some(shine::Shine {
                fraction,
                share: 0.42,
            });
            warnings_after(&m, |m| m.shine = shine)
                .into_iter()
                .find(|w| w.contains("shine"))
        };
        let at = warning(shine::MIN_SHINY_FRACTION).expect("warned at the fraction");
        assert!(
            at.starts_with("2% of the region lies under shine") && at.contains("about 42%"),
            "{at}"
        );
        assert_eq!(warning(shine::MIN_SHINY_FRACTION * 0.999), None);
        let some = warning(0.1234).expect("warned");
        assert!(some.starts_with("12% of the region"), "{some}");
    }

    /// The tone-edge warning fires from [`tone::MIN_EDGE_FRACTION`] of the region on, not below
    /// it, and says how much and how much lighter.
    #[test]
    fn the_tone_edge_warning_fires_from_its_fraction_of_the_region() {
        let m = measured(3);
        assert_eq!(m.tone_edge.fraction, 0.0, "even skin");
        assert!(m.tone_edge.bend < f64::from(tone::MAX_TONE_BEND));
        let warning = |fraction: f64| {
            let edge = tone::ToneEdge {
                fraction,
                bend: 2.5,
                ratio: 1.74,
            };
            warnings_after(&m, |m| m.tone_edge = edge)
                .into_iter()
                .find(|w| w.contains("tone"))
        };
        let at = warning(tone::MIN_EDGE_FRACTION).expect("warned at the fraction");
        assert!(
            at.contains("across 2% of the region (up to 1.7× lighter"),
            "{at}"
        );
        assert_eq!(warning(tone::MIN_EDGE_FRACTION * 0.999), None);
        assert!(warning(0.3).expect("warned").contains("across 30%"));
    }
}

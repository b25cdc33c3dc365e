//! The cautions about one measurement: what makes its numbers unreliable, in words a
//! technician can act on (resolution, too few dots for the work, focus, solid pigment,
//! exposure, a region too small).

use super::{
    focus, lines, solid, Measurement, MAX_CLIPPED_FRACTION, MIN_REGION_DIAMETERS,
    MIN_RELIABLE_DOT_PX, MIN_WORK_DENSITY_PER_CM2, UNDEREXPOSED_SKIN_LUMINANCE,
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
        if skin_luminance < UNDEREXPOSED_SKIN_LUMINANCE {
            warnings.push(format!(
                "the photo is underexposed (skin at L* {:.0}): counts, coverage and darkness are \
                 unreliable; photograph with more light",
                crate::color::lightness_from_luminance(skin_luminance as f32)
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
}

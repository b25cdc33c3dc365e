//! One photo, one region: the measuring walk from pixels to per-dot samples.
//!
//! region (+ context margin) → luminance Y → dot size estimate → skin field S (blocks of several
//! dot diameters) → darkness D = 1 − Y/S → dots → per-dot core and skin-ring samples.

use image::DynamicImage;
use rayon::prelude::*;

use crate::buffers::PlaneBuffers;
use crate::color::{lab_from_linear, LuminanceSource};
use crate::dots::{self, find_dots_reusing, DotMap, SpareBuffers};
use crate::error::{Error, Result};
use crate::flatten::SkinField;
use crate::plane::{for_each_run_in_ring, Plane};
use crate::quantile::quantile;
use crate::region::Region;
use crate::timing::{stage_done, stage_start};

/// Smallest physical dot diameter we look for (mm): healed fine impressions. With a scale, a
/// piece whose outline is smaller than this is not counted as a dot.
pub const MIN_DOT_MM: f64 = 0.1;
/// Largest physical dot diameter we look for (mm): blown-out impressions with halo.
pub const MAX_DOT_MM: f64 = 1.5;
/// Dot diameter assumed when nothing can be measured and the scale is known (mm).
pub const NOMINAL_DOT_MM: f64 = 0.4;
/// Dot diameter assumed when nothing can be measured and there is no scale (px).
pub const NOMINAL_DOT_PX: f64 = 8.0;
/// Block of the first (sizing) skin field when the scale is known (mm): over twice the largest
/// dot, so no block is mostly pigment.
pub const SIZING_BLOCK_MM: f64 = 4.0;
/// Block of the first (sizing) skin field without a scale (px): over twice a 40 px dot.
pub const SIZING_BLOCK_PX: usize = 96;
/// Darkness above which pixels are counted as pigment when sizing the dots.
pub const SIZING_DARKNESS: f32 = 0.2;
/// Denoising blur before sizing the dots (px).
pub const SIZING_BLUR_PX: f32 = 1.0;
/// Sizing threshold in noise standard deviations of the denoised darkness on skin.
pub const SIZING_NOISE_SIGMAS: f32 = 5.0;
/// A blob counts towards the dot size only if (its longest bounding-box side)² is at most this
/// many times its area: a disc gives 1.27, an ellipse of aspect 1.5 ≈ 1.9, two touching dots
/// ≈ 2.5, a hair or stubble far more.
pub const SIZING_MAX_EXTENT_RATIO: f64 = 3.0;
/// Skin-field block side in estimated dot diameters: enough skin in every block for a robust
/// median (outlier blocks are replaced by their neighbours'), small enough to follow lighting
/// gradients, mottling and the steep fall-off of vignetting in a photo's corners.
pub const FLATTEN_BLOCK_DIAMETERS: f64 = 4.0;
/// Smallest skin-field block (px).
pub const MIN_FLATTEN_BLOCK_PX: usize = 12;
/// Context around the region, in dot diameters, so that dots cut by the region's edge are still
/// seen whole and counted by their true centre.
pub const CONTEXT_MARGIN_DIAMETERS: f64 = 3.0;
/// Dots fewer pixels across than this cannot be counted reliably: the session gets a warning.
pub const MIN_RELIABLE_DOT_PX: f64 = 4.0;
/// A region with more than this fraction of clipped pixels gets an exposure warning.
pub const MAX_CLIPPED_FRACTION: f64 = 0.01;
/// Median skin luminance (linear, 0..1) below which the photo is underexposed: the darkest skin
/// (type VI, sRGB ≈ 70,48,38) properly lit is Y ≈ 0.035; below Y = 0.02 (sRGB ≈ 38) 8-bit
/// shadows and sensor noise swamp faint pigment.
pub const UNDEREXPOSED_SKIN_LUMINANCE: f64 = 0.02;
/// A region fewer dot diameters across than this gets a warning that density is uncertain.
pub const MIN_REGION_DIAMETERS: f64 = 10.0;

/// Smallest accepted scale (px/mm): below it a 1.2 mm impression is under a pixel.
pub const MIN_PX_PER_MM: f64 = 0.5;
/// Largest accepted scale (px/mm): a phone macro reaches ≈ 200 px/mm, a dermatoscope ≈ 1000;
/// beyond this the number is a typo (and the filters would be sized for absurd dots).
pub const MAX_PX_PER_MM: f64 = 5000.0;

/// Checks a scale is a number of px/mm a camera can produce
/// ([`MIN_PX_PER_MM`]..=[`MAX_PX_PER_MM`]); the error says why not.
pub fn check_px_per_mm(px_per_mm: f64) -> std::result::Result<(), String> {
    if !(px_per_mm.is_finite() && px_per_mm > 0.0) {
        return Err(format!(
            "{px_per_mm} is not a positive number of pixels per millimetre"
        ));
    }
    if !(MIN_PX_PER_MM..=MAX_PX_PER_MM).contains(&px_per_mm) {
        return Err(format!(
            "{px_per_mm} pixels per millimetre is outside the plausible range \
             {MIN_PX_PER_MM}–{MAX_PX_PER_MM}"
        ));
    }
    Ok(())
}

/// One counted dot, measured.
#[derive(Clone, Debug, PartialEq)]
pub struct DotSample {
    /// Centre x in image px (pixel centres at i + 0.5).
    pub x: f64,
    /// Centre y in image px.
    pub y: f64,
    /// Equivalent-circle diameter of the half-maximum outline (px).
    pub diameter_px: f64,
    /// 1 − Y_core / Y_skin, linear light (0..1 for pigment).
    pub darkness: f64,
    /// CIELAB (D65) of the core.
    pub core_lab: [f32; 3],
    /// CIELAB (D65) of the skin ring around the dot.
    pub skin_lab: [f32; 3],
}

/// Everything measured in one region of one photo.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// The region measured (image px).
    pub region: Region,
    /// Dots whose centre lies in the region.
    pub dots: Vec<DotSample>,
    /// Region pixels inside some dot's half-maximum outline.
    pub covered_px: u64,
    /// Region pixels set aside as hair or stubble.
    pub hair_px: u64,
    /// Where in the region hair or stubble was set aside (pooled into cells for large regions),
    /// for drawing it.
    pub hair_mask: crate::mask::CellMask,
    /// Region pixels.
    pub region_px: u64,
    /// The dot diameter the filters were tuned to (px).
    pub dot_scale_px: f64,
    /// Median skin luminance over the region (linear, 0..1).
    pub skin_luminance: f64,
    /// Fraction of region pixels with a clipped channel (0..1).
    pub clipped_fraction: f64,
    /// Human-readable cautions about this measurement.
    pub warnings: Vec<String>,
}

/// Smallest and largest dot diameter sought in `region` (px): the physical bounds
/// ([`MIN_DOT_MM`], [`MAX_DOT_MM`]) when the scale is known, and never more than half the
/// region's shorter side.
fn dot_bounds(region: Region, px_per_mm: Option<f64>) -> (f64, f64) {
    let largest = f64::from(region.width.min(region.height)).max(4.0) / 2.0;
    match px_per_mm {
        Some(s) => ((MIN_DOT_MM * s).min(largest), (MAX_DOT_MM * s).min(largest)),
        None => (2.0_f64.min(largest), 80.0_f64.min(largest)),
    }
}

/// The part of a `width` × `height` px image that [`measure`] reads for `region` (px): the
/// region grown by [`CONTEXT_MARGIN_DIAMETERS`] of the largest dot sought (at most 40 px), clipped
/// to the image. A loader that can decode part of a photo needs no rows below its bottom.
pub fn context_area(region: Region, px_per_mm: Option<f64>, width: u32, height: u32) -> Region {
    let (_, max_dot) = dot_bounds(region, px_per_mm);
    let margin = (CONTEXT_MARGIN_DIAMETERS * max_dot.min(40.0)).ceil() as u32;
    region.expanded_within(margin, width, height)
}

/// Planes (4 B/px, of the context area) that [`measure_reusing`] takes from its
/// [`PlaneBuffers`] before any other plane is allocated: the luminance, its denoised copy and
/// the sizing darkness.
pub const FIRST_PLANES: usize = 3;

/// Readies in `buffers` the first `planes` (at most [`FIRST_PLANES`]) of the planes that
/// [`measure_reusing`] takes for `region` (the whole photo when `None`) of a photo of `size`
/// (px, as displayed), at `px_per_mm`: their memory is allocated and faulted in now, while the
/// photo decodes (see [`PlaneBuffers::reserve`]). Does nothing for a region or scale the
/// measurement will refuse. If the photo then fails to decode, the readied planes stay in
/// `buffers` for the next photo, which takes them.
pub fn ready_buffers(
    buffers: &mut PlaneBuffers,
    size: (u32, u32),
    region: Option<Region>,
    px_per_mm: Option<f64>,
    planes: usize,
) {
    let (width, height) = size;
    let region = region.unwrap_or(Region::whole(width, height));
    if region.check_within(width, height).is_err()
        || px_per_mm.is_some_and(|s| check_px_per_mm(s).is_err())
    {
        return;
    }
    let crop = context_area(region, px_per_mm, width, height);
    buffers.reserve(
        planes.min(FIRST_PLANES),
        crop.width as usize * crop.height as usize,
    );
}

/// Measures `region` of `image`. `px_per_mm`, when known, bounds the dot size to physical
/// limits. Errors only if the region does not fit the image.
pub fn measure(
    image: &DynamicImage,
    region: Region,
    px_per_mm: Option<f64>,
) -> Result<Measurement> {
    measure_reusing(image, region, px_per_mm, &mut PlaneBuffers::default())
}

/// [`measure`], taking its first [`FIRST_PLANES`] planes' buffers from `buffers` and leaving its
/// last ones there for the next photo measured with them (see [`crate::buffers`]): the same
/// measurement.
pub fn measure_reusing(
    image: &DynamicImage,
    region: Region,
    px_per_mm: Option<f64>,
    buffers: &mut PlaneBuffers,
) -> Result<Measurement> {
    region
        .check_within(image.width(), image.height())
        .map_err(|reason| Error::Region {
            source_name: "region".into(),
            reason,
        })?;
    if let Some(s) = px_per_mm {
        check_px_per_mm(s).map_err(|reason| Error::InvalidArgument {
            argument: "px_per_mm".into(),
            reason,
        })?;
    }
    let (min_dot, max_dot) = dot_bounds(region, px_per_mm);
    let crop = context_area(region, px_per_mm, image.width(), image.height());
    stage_start();
    let crop_px = crop.width as usize * crop.height as usize;
    let (y, clipped_all) = crate::color::luminance_into(image, crop, buffers.take(crop_px));
    stage_done("luminance");

    // Size the dots with a generous skin field, then flatten at their scale.
    let sizing_block = match px_per_mm {
        Some(s) => (SIZING_BLOCK_MM * s).round() as usize,
        None => SIZING_BLOCK_PX,
    }
    .clamp(16, y.width.max(y.height).max(16));
    // Both skin fields tell skin from pigment on one denoised copy of `y`, made once. The
    // sizing darkness is blurred as it is computed, row by row, never stored unblurred, so the
    // copy adds no plane at the peak of memory (y, the copy and the blurred darkness).
    let calm = SkinField::calm_into(&y, buffers.take(crop_px));
    // The sizing darkness's buffer is kept, then lent to the dot finder for its smoothed planes.
    let mut spare = Plane {
        width: crop.width as usize,
        height: crop.height as usize,
        data: buffers.take(crop_px),
    };
    let dot_scale = estimate_dot_diameter(&y, &calm, sizing_block, &mut spare)
        .unwrap_or(match px_per_mm {
            Some(s) => NOMINAL_DOT_MM * s,
            None => NOMINAL_DOT_PX,
        })
        .clamp(min_dot, max_dot);
    stage_done("sizing");
    let block = ((FLATTEN_BLOCK_DIAMETERS * dot_scale).round() as usize).max(MIN_FLATTEN_BLOCK_PX);
    let skin = SkinField::estimate_with_calm(&y, &calm, block);
    stage_done("skin field");
    // D takes over the denoised copy's buffer, no longer needed.
    let mut d = calm;
    skin.darkness_into(&y, &mut d);
    stage_done("darkness");
    // The dot finder needs only D: sampling reads Y per pixel, and the luminance plane's buffer
    // becomes the labels'.
    let (y, freed) = LuminanceSource::with_spare_buffer(image, crop, y);
    let spare = SpareBuffers {
        smoothing: spare,
        labels: freed,
    };
    let map = find_dots_reusing(&d, dot_scale as f32, px_per_mm.map(|s| s as f32), spare);
    stage_done("dots: relabelled");

    let (ox, oy) = (f64::from(crop.x), f64::from(crop.y));
    let counted: Vec<usize> = (0..map.dots.len())
        .filter(|&k| {
            let dot = &map.dots[k];
            dot.area_px > 0 && region.contains(dot.x + ox, dot.y + oy)
        })
        .collect();
    // Sampled in raster order of the dots' peaks, then put back in the dots' order (strongest
    // first, which is scattered over the photo): neighbouring dots read overlapping rows of the
    // photo, D and the labels, which then are still in cache (in the dots' order nearly every
    // ring row was a miss to memory).
    let mut by_position: Vec<usize> = (0..counted.len()).collect();
    by_position.sort_unstable_by_key(|&j| {
        let (x, y) = map.dots[counted[j]].peak;
        (y, x)
    });
    let sampled: Vec<DotSample> = by_position
        .par_iter()
        .map_init(RingScratch::default, |scratch, &j| {
            sample_dot(crop, &y, &d, &map, counted[j], dot_scale, scratch)
        })
        .collect();
    let mut dots: Vec<Option<DotSample>> = vec![None; counted.len()];
    for (sample, &j) in sampled.into_iter().zip(&by_position) {
        dots[j] = Some(sample);
    }
    let dots: Vec<DotSample> = dots.into_iter().flatten().collect();
    stage_done("per-dot samples");

    let (rx0, ry0) = ((region.x - crop.x) as usize, (region.y - crop.y) as usize);
    let count_in_region = |mask: &[bool]| -> u64 {
        (ry0..ry0 + region.height as usize)
            .into_par_iter()
            .map(|row| {
                let start = row * d.width + rx0;
                mask[start..start + region.width as usize]
                    .iter()
                    .filter(|c| **c)
                    .count() as u64
            })
            .sum()
    };
    let covered_px = count_in_region(&map.covered);
    let hair_px = count_in_region(&map.hair);
    let hair_mask = crate::mask::CellMask::from_plane(&map.hair, crop, region);
    let region_px = region.area_px();
    // Clipping is counted over the crop: close enough, and the crop is only a margin larger.
    let clipped_fraction = clipped_all as f64 / crop.area_px() as f64;
    stage_done("region counts");

    let mut warnings = Vec::new();
    if dots.is_empty() {
        warnings.push("no pigment dots found in the region".to_string());
    } else {
        // The smaller of the filter scale and the measured median diameter: blur makes tiny
        // dots look larger to both, so either being small is reason enough.
        let mut diameters: Vec<f32> = dots.iter().map(|d| d.diameter_px as f32).collect();
        let seen = f64::from(quantile(&mut diameters, 0.5)).min(dot_scale);
        if seen < MIN_RELIABLE_DOT_PX {
            warnings.push(format!(
                "dots are only about {seen:.1} px across (under {MIN_RELIABLE_DOT_PX} px): \
                 counts and sizes are unreliable; photograph closer or at a higher resolution"
            ));
        }
    }
    let skin_luminance = f64::from(skin.median());
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

    // The two planes left go to the next photo (the labels' allocation reinterpreted as f32s:
    // the same size and alignment, nothing copied).
    buffers.keep(d.data);
    buffers.keep(bytemuck::allocation::cast_vec(map.labels));
    Ok(Measurement {
        region,
        dots,
        covered_px,
        hair_px,
        hair_mask,
        region_px,
        dot_scale_px: dot_scale,
        skin_luminance,
        clipped_fraction,
        warnings,
    })
}

/// Typical dot diameter (px) in `y`: the equivalent diameter of the compact pigment blob that a
/// random pigment pixel belongs to (area-weighted median), from a coarse skin field with `block` px
/// blocks, after a 1 px denoising blur. Weighting by area keeps specks of sensor noise (common on
/// dark skin, where 8-bit shadows are coarse) from passing for dots. `calm` is
/// [`SkinField::calm`] of `y`; `d` is a buffer for the blurred darkness, reused (its contents
/// are overwritten). `None` when there is no pigment.
fn estimate_dot_diameter(y: &Plane, calm: &Plane, block: usize, d: &mut Plane) -> Option<f64> {
    let field = SkinField::estimate_with_calm(y, calm, block);
    crate::plane::gaussian_blur_of_into(
        (y.width, y.height),
        field.darkness_rows(y),
        SIZING_BLUR_PX,
        d,
    );
    let threshold = SIZING_DARKNESS.max(SIZING_NOISE_SIGMAS * dots::skin_noise(d));
    // Compact blobs only: hairs and stubble can hold much of the dark area of a sparse scene.
    // (The pigment mask is read straight off the plane, never stored.)
    let mut areas: Vec<u32> = dots::component_shapes_at_least(&d.data, threshold, d.width)
        .into_iter()
        .filter(|&(area, w, h)| {
            let extent = f64::from(w.max(h));
            area >= 2 && extent * extent <= SIZING_MAX_EXTENT_RATIO * f64::from(area)
        })
        .map(|(area, _, _)| area)
        .collect();
    if areas.is_empty() {
        return None;
    }
    areas.sort_unstable();
    let total: u64 = areas.iter().map(|a| u64::from(*a)).sum();
    let mut running = 0u64;
    let median_area = areas
        .iter()
        .find(|a| {
            running += u64::from(**a);
            2 * running >= total
        })
        .copied()
        .unwrap_or(areas[areas.len() - 1]);
    Some(2.0 * (f64::from(median_area) / std::f64::consts::PI).sqrt())
}

/// A skin-ring pixel: (luminance Y, linear RGB), 0..1.
type RingSample = (f32, [f32; 3]);
/// A skin-ring pixel of a photo with 8-bit channels: (luminance Y, 0..1; its sRGB channel
/// codes, see [`crate::color::linear_from_u8`]).
type CodedRingSample = (f32, [u8; 3]);

/// A thread's buffers for [`sample_dot`], reused from dot to dot: the ring's samples (coded
/// for a photo with 8-bit channels, else decoded) and one of their values at a time for its
/// median.
#[derive(Default)]
struct RingScratch {
    ring: Vec<RingSample>,
    coded: Vec<CodedRingSample>,
    values: Vec<f32>,
}

impl RingScratch {
    /// Number of ring samples held.
    fn len(&self) -> usize {
        self.ring.len() + self.coded.len()
    }

    /// The median skin luminance and linear RGB of the ring's samples (0..1). An 8-bit
    /// channel's median is counted over its 256 codes (see [`crate::quantile::quantile_of_codes`]):
    /// the same value, without three selects per dot (they were a quarter of the sampling's
    /// time).
    fn medians(&mut self) -> (f32, [f32; 3]) {
        let values = &mut self.values;
        values.clear();
        values.extend(self.ring.iter().map(|s| s.0));
        values.extend(self.coded.iter().map(|s| s.0));
        let skin_y = quantile(values, 0.5);
        let channels = if self.ring.is_empty() {
            [0, 1, 2].map(|c| {
                let codes = self.coded.iter().map(|s| s.1[c]);
                crate::color::linear_from_u8(crate::quantile::quantile_of_codes(codes, 0.5))
            })
        } else {
            [0, 1, 2].map(|c| {
                values.clear();
                values.extend(self.ring.iter().map(|s| s.1[c]));
                quantile(values, 0.5)
            })
        };
        (skin_y, channels)
    }
}

/// Core and skin-ring samples of dot `k` of `map` (crop coordinates), as a [`DotSample`] in
/// image coordinates.
fn sample_dot(
    crop: Region,
    y: &LuminanceSource,
    d: &Plane,
    map: &DotMap,
    k: usize,
    dot_scale: f64,
    scratch: &mut RingScratch,
) -> DotSample {
    let dot = &map.dots[k];
    let radius = (f64::from(dot.area_px) / std::f64::consts::PI)
        .sqrt()
        .max(0.5);
    let core_radius = (dots::CORE_RADIUS_DIAMETERS as f64 * dot_scale).max(0.5);
    let (px, py) = dot.peak;

    // Core: mean linear RGB and luminance over a small disc at the peak.
    let mut core_rgb = [0f64; 3];
    let mut core_y = 0f64;
    let mut n = 0u32;
    for_each_run_in_ring((px, py), 0.0, core_radius, (y.width, y.height), |yy, xs| {
        y.for_each_rgb_and_y_in_run(yy, xs, |_, rgb, lum| {
            for c in 0..3 {
                core_rgb[c] += f64::from(rgb[c]);
            }
            core_y += f64::from(lum);
            n += 1;
        });
    });
    let n = f64::from(n.max(1));
    let core_rgb = core_rgb.map(|v| (v / n) as f32);
    let core_y = core_y / n;

    // Skin ring: unlabelled, not dark pixels between RING_INNER and RING_OUTER radii.
    let (cx, cy) = (dot.x.floor() as usize, dot.y.floor() as usize);
    ring_samples(
        y,
        d,
        &map.labels,
        (cx, cy),
        dots::RING_INNER_RADII as f64 * radius,
        dots::RING_OUTER_RADII as f64 * radius + 1.0,
        scratch,
    );
    if scratch.len() < dots::MIN_RING_PIXELS {
        ring_samples(
            y,
            d,
            &map.labels,
            (cx, cy),
            dots::RING_OUTER_RADII as f64 * radius,
            2.0 * dots::RING_OUTER_RADII as f64 * radius + 2.0,
            scratch,
        );
    }
    let (skin_y, skin_rgb) = if scratch.len() >= dots::MIN_RING_PIXELS {
        let (skin_y, channels) = scratch.medians();
        (f64::from(skin_y), channels)
    } else {
        // Skin field at the centre: S = Y / (1 − D).
        let (x, yy) = (cx.min(y.width - 1), cy.min(y.height - 1));
        let s = f64::from(y.get(x, yy)) / (1.0 - f64::from(d.data[yy * d.width + x])).max(1e-6);
        (s, [s as f32; 3])
    };
    let darkness = if skin_y > 0.0 {
        1.0 - core_y / skin_y
    } else {
        0.0
    };
    DotSample {
        x: dot.x + f64::from(crop.x),
        y: dot.y + f64::from(crop.y),
        diameter_px: 2.0 * (f64::from(dot.area_px) / std::f64::consts::PI).sqrt(),
        darkness,
        core_lab: lab_from_linear(core_rgb),
        skin_lab: lab_from_linear(skin_rgb),
    }
}

/// The skin pixels (unlabelled in `labels`, lighter than [`dots::RING_EXCLUDE_DARKNESS`] in
/// `d`) in the annulus `inner..outer` px around `centre`, in raster order, into `out` (both
/// lists cleared first): (luminance, sRGB codes) into `out.coded` for a photo with 8-bit
/// channels, else (luminance, linear RGB) into `out.ring`.
fn ring_samples(
    y: &LuminanceSource,
    d: &Plane,
    labels: &[u32],
    centre: (usize, usize),
    inner: f64,
    outer: f64,
    out: &mut RingScratch,
) {
    out.ring.clear();
    out.coded.clear();
    for_each_run_in_ring(centre, inner, outer, (y.width, y.height), |yy, xs| {
        let row = yy * y.width;
        let (labels, dark) = (&labels[row..row + y.width], d.row(yy));
        let skin = |x: usize| labels[x] == 0 && dark[x] < dots::RING_EXCLUDE_DARKNESS;
        let coded = y.for_each_code_and_y_in_run(yy, xs.clone(), |x, codes, lum| {
            if skin(x) {
                out.coded.push((lum, codes));
            }
        });
        if !coded {
            y.for_each_rgb_and_y_in_run(yy, xs, |x, rgb, lum| {
                if skin(x) {
                    out.ring.push((lum, rgb));
                }
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ring's samples, read a run at a time, are the per-pixel walk's: the same pixels (the
    /// labels and darkness of each pixel's own row and column, never a neighbour's), the same
    /// values bit for bit, in the same order, rings clipped at the window's edges included. For
    /// every kind of photo: 8-bit colour, colour with alpha, grey and grey with alpha (their
    /// samples coded: a grey code three times), 16-bit colour and float colour (decoded, the
    /// latter from the luminance plane it keeps).
    #[test]
    fn ring_samples_are_the_per_pixel_walks() {
        let mut rng = crate::synth::SplitMix64::new(17);
        let (iw, ih) = (40u32, 30u32);
        let mut channel = || rng.uniform(0.0, 1.0);
        let rgb8 = image::RgbImage::from_fn(iw, ih, |_, _| {
            image::Rgb([0, 1, 2].map(|_| (channel() * 255.0) as u8))
        });
        // Alpha random too: it must never be read as a colour.
        let rgba8 = image::RgbaImage::from_fn(iw, ih, |_, _| {
            image::Rgba([0, 1, 2, 3].map(|_| (channel() * 255.0) as u8))
        });
        let luma_a8 = image::GrayAlphaImage::from_fn(iw, ih, |_, _| {
            image::LumaA([0, 1].map(|_| (channel() * 255.0) as u8))
        });
        // Every 16-bit code, not only 8-bit ones scaled up.
        let rgb16 = image::ImageBuffer::from_fn(iw, ih, |_, _| {
            image::Rgb([0, 1, 2].map(|_| (channel() * 65535.0) as u16))
        });
        let rgb32f = image::Rgb32FImage::from_fn(iw, ih, |_, _| {
            image::Rgb([0, 1, 2].map(|_| channel() as f32))
        });
        let rgb8 = DynamicImage::ImageRgb8(rgb8);
        // (photo, whether its samples are coded)
        let photos = [
            (DynamicImage::ImageLuma8(rgb8.to_luma8()), true),
            (rgb8, true),
            (DynamicImage::ImageRgba8(rgba8), true),
            (DynamicImage::ImageLumaA8(luma_a8), true),
            (DynamicImage::ImageRgb16(rgb16), false),
            (DynamicImage::ImageRgb32F(rgb32f), false),
        ];
        for (image, coded) in &photos {
            assert_ring_samples_are_the_per_pixel_walks(image, *coded, &mut rng);
        }
    }

    /// [`ring_samples`] of rings inside, and clipped at the edges of, a window off the origin
    /// of `image`, against the per-pixel walk of [`LuminanceSource::rgb_and_y`]: bit for bit,
    /// in `coded` (decoded) for an 8-bit photo, else in `ring`.
    fn assert_ring_samples_are_the_per_pixel_walks(
        image: &DynamicImage,
        coded: bool,
        rng: &mut crate::synth::SplitMix64,
    ) {
        let kind = image.color();
        // A window off the image's origin, so that window and image coordinates differ.
        let rect = Region {
            x: 3,
            y: 2,
            width: 31,
            height: 23,
        };
        let (w, h) = (rect.width as usize, rect.height as usize);
        let (plane, _) = crate::color::luminance(image, rect);
        let y = LuminanceSource::new(image, rect, plane);
        let labels: Vec<u32> = (0..w * h).map(|i| u32::from(i % 7 == 0) * 3).collect();
        let d = Plane {
            width: w,
            height: h,
            data: (0..w * h).map(|_| rng.uniform(-0.05, 0.2) as f32).collect(),
        };
        let bits = |v: &[RingSample]| -> Vec<[u32; 4]> {
            v.iter()
                .map(|(l, c)| [l.to_bits(), c[0].to_bits(), c[1].to_bits(), c[2].to_bits()])
                .collect()
        };
        let mut ring = RingScratch::default();
        for (centre, inner, outer) in [
            ((15, 11), 3.0, 7.0),
            ((1, 1), 2.0, 6.5),
            ((29, 21), 0.0, 4.0),
        ] {
            ring_samples(&y, &d, &labels, centre, inner, outer, &mut ring);
            let mut expected = Vec::new();
            crate::plane::for_each_in_ring(centre, inner, outer, (w, h), |x, yy| {
                let i = yy * w + x;
                if labels[i] == 0 && d.data[i] < dots::RING_EXCLUDE_DARKNESS {
                    let (rgb, lum) = y.rgb_and_y(x, yy);
                    expected.push((lum, rgb));
                }
            });
            assert!(
                expected.len() > 5,
                "{kind:?}: the ring at {centre:?} has skin to sample"
            );
            let samples: Vec<RingSample> = if coded {
                // An 8-bit photo's samples are coded: decoded, the same values.
                assert!(ring.ring.is_empty(), "{kind:?} is read as codes");
                ring.coded
                    .iter()
                    .map(|&(lum, codes)| (lum, codes.map(crate::color::linear_from_u8)))
                    .collect()
            } else {
                assert!(ring.coded.is_empty(), "{kind:?} has no codes");
                ring.ring.clone()
            };
            assert_eq!(
                bits(&samples),
                bits(&expected),
                "{kind:?}: ring at {centre:?}"
            );
        }
    }

    #[test]
    fn scale_limits_hold_at_their_edges() {
        assert!(check_px_per_mm(MIN_PX_PER_MM).is_ok());
        assert!(check_px_per_mm(MAX_PX_PER_MM).is_ok());
        assert!(check_px_per_mm(MIN_PX_PER_MM * 0.999).is_err());
        assert!(check_px_per_mm(MAX_PX_PER_MM * 1.001).is_err());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(check_px_per_mm(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_uniform_photo_has_no_dots_and_says_so() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            120,
            90,
            image::Rgb([200, 160, 130]),
        ));
        let m = measure(&img, Region::whole(120, 90), Some(20.0)).unwrap();
        assert!(m.dots.is_empty());
        assert_eq!(m.covered_px, 0);
        assert!(m.warnings.iter().any(|w| w.contains("no pigment")));
        // A region of one pixel, and one at the image's corner, are measured without panic.
        for region in [
            Region::whole(1, 1),
            Region {
                x: 119,
                y: 89,
                width: 1,
                height: 1,
            },
        ] {
            assert!(measure(&img, region, None).is_ok());
        }
    }
}

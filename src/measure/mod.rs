//! One photo, one region: the measuring walk from pixels to per-dot samples.
//!
//! region (+ context margin) → luminance Y → dot size estimate → skin field S (blocks of several
//! dot diameters) → darkness D = 1 − Y/S → dots → per-dot core and skin-ring samples (in
//! `sampling`).

mod cautions;
pub mod focus;
mod light;
pub mod lines;
mod sampling;
pub mod shine;
mod sizing;
pub mod solid;
pub mod tone;

use image::DynamicImage;
use rayon::prelude::*;

use crate::buffers::PlaneBuffers;
use crate::color::LuminanceSource;
use crate::dots::{self, find_dots_releasing, Cover};
use crate::error::{Error, Result};
use crate::flatten::{SkinField, EDGE_CLOSING_DIAMETERS};
use crate::quantile::quantile;
use crate::region::Region;
use crate::timing::{stage_done, stage_start};
use light::LightBits;
use sampling::sample_dots;
use sizing::estimate_dot_diameter;

/// Smallest physical dot diameter we look for (mm): healed fine impressions. With a scale, a
/// piece whose outline is smaller than this is not counted as a dot.
pub const MIN_DOT_MM: f64 = 0.1;
/// Largest physical dot diameter we look for (mm): blown-out impressions with halo.
pub const MAX_DOT_MM: f64 = 1.5;
/// Dot diameter assumed when nothing can be measured and the scale is known (mm).
pub const NOMINAL_DOT_MM: f64 = 0.4;
/// Dot diameter assumed when nothing can be measured and there is no scale (px).
pub const NOMINAL_DOT_PX: f64 = 8.0;
/// Without a scale, the dot finder takes the typical dot measured (see `sizing`) to be this wide
/// (mm), and works at the scale that makes it so (see [`assumed_px_per_mm`]; only when the
/// typical dot was measured inside the bounds sought, not at one, and makes the scale at most
/// [`MAX_ASSUMED_PX_PER_MM`]): hairs are told from
/// dots by their width in mm, and their lines are traced at a hair's width (both need a scale).
/// Most SMP impressions measure 0.3–0.5 mm across at half maximum (healed 0.25–0.45, fresh
/// touch-ups 0.25–0.4); fine healed work (0.16–0.3 mm) and blown-out dots (0.6–1.2 mm) make the
/// scale assumed off by up to 2.5× and 3× there, which the hair tests tolerate (see the README).
/// With it, the smallest round piece counted is [`MIN_DOT_MM`] at that scale, a quarter of the
/// typical dot. It is never reported: density and sizes in mm still need the scale given.
///
/// On `examples/accuracy`'s 120 scenes measured without their scale, the count's median and worst
/// error were 1.8% and 57% (stubble and hair pieces counted among fine and faint dots at
/// 15–25 px/mm) with no scale assumed; 1.7% and 13% taking the typical dot as 0.3 mm, 0.9% and
/// 9.4% as 0.4 mm, 0.9% and 18% as 0.5 mm (with the true scale: 0.9% and 9.8%).
pub const ASSUMED_DOT_MM: f64 = 0.4;
/// The largest scale (px/mm) assumed without one given (see [`ASSUMED_DOT_MM`]): the close-ups
/// tested reach 100 px/mm, and a typical "dot" larger than 0.4 mm at that scale (40 px) is as
/// likely a tattooed bar, a clump or a blown-out halo as an impression seen at a macro lens's
/// scale; such a photo is measured without a scale.
pub const MAX_ASSUMED_PX_PER_MM: f64 = 100.0;
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
/// The sizing's threshold rises with the skin's noise ([`SIZING_NOISE_SIGMAS`] × it) up to this
/// many times [`SIZING_DARKNESS`]; on skin noisier still the darkness is blurred wider instead
/// (see [`MAX_SIZING_BLUR_PX`]). Cut at 5 σ of the noise, soft dots were sized by their cores
/// (blown-out and healed dots 26–36% small at 3× a phone's noise on type VI skin, and then
/// split: +17…+23%); blurring wider from the first rise on moved the sizing of jammed dots
/// (0.25–0.45 mm, 600 per cm², whose skin field the jam biases, 1.25× the floor) and of a real
/// tattoo's bars (texture, 1.08×): counted −17% and taken for a scale. At 1.3 neither moves,
/// nor any scene at a phone's noise (`examples/accuracy`, byte for byte).
pub const SIZING_MAX_NOISE_RISE: f32 = 1.3;
/// The widest blur (px) the sizing takes on noisy skin (see `sizing`): where
/// [`SIZING_NOISE_SIGMAS`] × the skin's noise after the [`SIZING_BLUR_PX`] blur is above
/// [`SIZING_MAX_NOISE_RISE`] × [`SIZING_DARKNESS`], the darkness is blurred wider, by that
/// ratio, rather than cut higher. Three times the noise of a phone close-up on type VI skin
/// needs ≈ 1.7 px; a 3 px blur leaves a 0.3 mm dot at 25 px/mm (7.5 px) ≈ 55% of its darkness.
pub const MAX_SIZING_BLUR_PX: f32 = 3.0;
/// A blob counts towards the dot size only if (its longest bounding-box side)² is at most this
/// many times its area: a disc gives 1.27, an ellipse of aspect 1.5 ≈ 1.9, two touching dots
/// ≈ 2.5, a hair or stubble far more.
pub const SIZING_MAX_EXTENT_RATIO: f64 = 3.0;
/// A compact blob of pigment holding at least this many discs as wide as the widest disc
/// inside it is dots grown together (by the photo's blur, or deposited touching), and sizes
/// the dots by that width rather than by its area (see `sizing`): a dot holds one such disc,
/// an ellipse of aspect 1.5 holds 1.5, three dots in a row three.
pub const SIZING_CLUSTER_DISCS: f64 = 2.5;
/// The fewest dots a blob of pigment must part into (see [`SIZING_LEVELS`]) to be a group of
/// dots grown together, sized as those dots when the blob that sizes the dots by area is such
/// a group (see `sizing`; jammed dots at 500–800 per cm² at 15 px/mm lost 80% of their count
/// sized as groups): two touching dots are one blob, as in sparse work, where the finder's
/// scales were tuned.
pub const SIZING_GROUP_MIN_DOTS: u32 = 3;
/// The levels of darkness, in multiples of the sizing's threshold, at which a blob of dots grown
/// together is looked at again for the dots it parts into where the skin between them shows
/// (see `sizing`): the threshold itself, then up to three times it (0.6 above
/// [`SIZING_DARKNESS`]; healed dots are 0.5–0.8 dark at their centre).
pub const SIZING_LEVELS: [f32; 5] = [1.0, 1.5, 2.0, 2.5, 3.0];
/// Least share of the compact pigment that blobs no wider than the largest dot sought
/// ([`MAX_DOT_MM`]) must hold to size the dots without the wider ones (see `sizing`): healed
/// dots beside two 5 mm patches held 40–60% of it, the skin and hair pieces beside a tattoo's
/// 4 mm bars 1%.
pub const SIZING_MIN_DOT_SHARE: f64 = 0.2;
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
/// Fewest dots per cm² that a region of SMP work holds, with a wide margin: a first session
/// lays its impressions 1–2 mm apart (25–100 per cm²; the samples' layout, 43). A region with
/// some dots but fewer per cm² (and a scale to tell) misses the work, its scale is far too small
/// (a first session's layout at 25 px/mm given 5 reads 1.8 per cm²), or its photo is so blurred
/// that the dots are lost (fine dots at 15 px/mm blurred by σ 4 px: 2 of about 450 found, too
/// few to judge the focus by): the session gets a warning.
pub const MIN_WORK_DENSITY_PER_CM2: f64 = 5.0;
/// The least signal-to-noise of a photo's dots: the median over its dots of darkness (0..1) ×
/// diameter (px) / the skin's noise ([`Measurement::skin_noise`]), under which the session gets a
/// warning that noise may have hidden or split dots. A dot averages the noise over its area, so
/// its contrast against the noise grows with its darkness and its width (√area); the skin's
/// noise after the 1 px blur is ≈ a quarter of a pixel's white noise, and correlated noise (and
/// texture) keeps more of itself through the blur, as it does through a dot's area.
/// `examples/noise_sweep` (first-session, healed and fine dots on skin types I–VI at 15–50
/// px/mm with 0–3× a phone's sensor noise, 180 scenes a seed, seeds 2 and 1001 and a JPEG
/// round trip): below 70, 24–25 scenes a seed warned, 14–15 of them counted 8–86% off (dots
/// split, then lost), the rest 0–8%; above it, 1–3 a seed off by 8% or more (fine dots at 15
/// px/mm, as without noise; a first session on type VI at 50 px/mm and 3× the noise, −31% at
/// 75). At 80 twice as many scenes within 6% were warned, at 60 split dots at +23% were not.
/// Blown-out dots' halos split above it (see the README's soft spots).
pub const MIN_DOT_SNR: f64 = 70.0;
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
    // Short in any case: 1e300 written out is 301 digits.
    let shown = if px_per_mm != 0.0 && !(1e-3..1e7).contains(&px_per_mm.abs()) {
        format!("{px_per_mm:e}")
    } else {
        format!("{px_per_mm}")
    };
    if !(px_per_mm.is_finite() && px_per_mm > 0.0) {
        return Err(format!(
            "{shown} is not a positive number of pixels per millimetre"
        ));
    }
    if !(MIN_PX_PER_MM..=MAX_PX_PER_MM).contains(&px_per_mm) {
        return Err(format!(
            "{shown} pixels per millimetre is outside the plausible range \
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
    /// Equivalent-circle diameter of the half-maximum outline (px), with the dot's share of the
    /// area its denoising blur pulled inside (see [`crate::dots::OUTLINE_PULL_PX`]).
    pub diameter_px: f64,
    /// 1 − Y_core / Y_skin, linear light (0..1 for pigment).
    pub darkness: f64,
    /// CIELAB (D65) of the core.
    pub core_lab: [f32; 3],
    /// CIELAB (D65) of the skin ring around the dot; without one ([`Self::skin_from_ring`]
    /// false), the skin field's lightness at its centre, with no colour (a* = b* = 0).
    pub skin_lab: [f32; 3],
    /// Whether `skin_lab` was read from a ring of skin pixels around the dot: false for a dot
    /// with too little skin beside it (inside dense pigment), whose skin colour is unknown.
    pub skin_from_ring: bool,
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
    /// The area (px²) that the outline's denoising blur pulled inside the outlines of the dots
    /// counted ([`crate::dots::OUTLINE_PULL_PX`] per piece of pigment, summed over their
    /// shares): the area they cover is `covered_px` plus this (see [`Measurement::covered_area_px`]).
    pub outline_pull_px: f64,
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
    /// The skin's noise (0..1, a fraction of the skin's luminance): the robust σ of the
    /// darkness on skin after a [`SIZING_BLUR_PX`] denoising blur, over the region and its
    /// margin. Sensor noise (and skin texture finer than a few mm) that faint or small dots
    /// must stand out from.
    pub skin_noise: f64,
    /// Shine over the region (see [`shine`]), when some of it lies under a specular highlight
    /// that makes up at least [`shine::MIN_SHINE_SHARE`] of the skin's luminance there.
    pub shine: Option<shine::Shine>,
    /// How sharply the skin's own tone changes within the region (see [`tone`]): a scar, a
    /// birthmark or a highlight's rim, which the skin field follows pixel by pixel (see
    /// [`SkinField::following_edges`]).
    pub tone_edge: tone::ToneEdge,
    /// How soft the dots' edges are for their size (see [`focus`]), when enough dots were
    /// fitted: dots in solid squares or on lines of pigment are not (see [`Self::on_lines`]).
    pub edge_softness: Option<focus::EdgeSoftness>,
    /// Which squares of the region are solid pigment (see [`solid`]): a tattoo, a filled scar
    /// or dots grown together, where dots cannot be told apart.
    pub solid: solid::SolidPigment,
    /// Whether each counted dot (in the order of `dots`) lies on a line of pigment (see
    /// [`lines`]): tattoo linework, a scar's line filled in, or dots grown into a row.
    pub on_lines: Vec<bool>,
    /// Human-readable cautions about this measurement.
    pub warnings: Vec<String>,
}

impl Measurement {
    /// The region's area (px²) that the counted dots cover: `covered_px` with the area the
    /// outline's denoising blur pulled inside them returned (`outline_pull_px`), at most the
    /// region's.
    pub fn covered_area_px(&self) -> f64 {
        (self.covered_px as f64 + self.outline_pull_px).min(self.region_px as f64)
    }

    /// How many of the counted dots have their centre in a square of solid pigment
    /// ([`Measurement::solid`]).
    pub fn dots_in_solid(&self) -> usize {
        let in_solid = |d: &&DotSample| unresolved(d, false, &self.solid, self.region);
        self.dots.iter().filter(in_solid).count()
    }

    /// How many of the counted dots lie on a line of pigment ([`Measurement::on_lines`]) or
    /// in a square of solid pigment: the dots that cannot be told apart.
    pub fn dots_in_solid_or_lines(&self) -> usize {
        let lines = self.on_lines.iter().chain(std::iter::repeat(&false));
        self.dots
            .iter()
            .zip(lines)
            .filter(|&(d, &on_line)| unresolved(d, on_line, &self.solid, self.region))
            .count()
    }
}

/// Whether dot `d` (image px) cannot be told apart from its neighbours: it lies on a line of
/// pigment (`on_line`) or in a square of the `solid` pigment of `region`.
fn unresolved(d: &DotSample, on_line: bool, solid: &solid::SolidPigment, region: Region) -> bool {
    on_line || solid.contains(d.x - f64::from(region.x), d.y - f64::from(region.y))
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
/// [`PlaneBuffers`] before any other plane is allocated: the luminance's denoised copy (later
/// the darkness, then the labels).
pub const FIRST_PLANES: usize = 1;

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
    let never = std::sync::atomic::AtomicBool::new(false);
    ready_buffers_until(buffers, size, region, px_per_mm, planes, &never);
}

/// [`ready_buffers`], their pages faulted in only until `stop` is set (see
/// [`PlaneBuffers::reserve_until`]).
pub(crate) fn ready_buffers_until(
    buffers: &mut PlaneBuffers,
    size: (u32, u32),
    region: Option<Region>,
    px_per_mm: Option<f64>,
    planes: usize,
    stop: &std::sync::atomic::AtomicBool,
) {
    let (width, height) = size;
    let region = region.unwrap_or(Region::whole(width, height));
    if region.check_within(width, height).is_err()
        || px_per_mm.is_some_and(|s| check_px_per_mm(s).is_err())
    {
        return;
    }
    let crop = context_area(region, px_per_mm, width, height);
    buffers.reserve_until(
        planes.min(FIRST_PLANES),
        crop.width as usize * crop.height as usize,
        stop,
    );
}

/// The scale (px/mm) the dot finder works at without one given, for a typical dot `dot_scale_px`
/// across: that dot taken as [`ASSUMED_DOT_MM`] wide, within the accepted scales
/// ([`MIN_PX_PER_MM`]..=[`MAX_PX_PER_MM`]).
pub fn assumed_px_per_mm(dot_scale_px: f64) -> f64 {
    (dot_scale_px / ASSUMED_DOT_MM).clamp(MIN_PX_PER_MM, MAX_PX_PER_MM)
}

/// Measures `region` of `image`. `px_per_mm`, when known, bounds the dot size to physical
/// limits; without it, the dot finder tells hair from dots at the scale [`assumed_px_per_mm`]
/// of the typical dot, when that was measured inside the bounds sought. Errors only if the region does not fit the image.
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
    // The luminance is never stored (photos with 8- and 16-bit channels): every stage reads
    // it from the photo again, row by row (bit for bit the plane's values), a 4 B/px plane
    // fewer at the first stages' peak of memory.
    let (y, clipped_all) = LuminanceSource::of(image, crop);
    stage_done("luminance");

    // Size the dots with a generous skin field, then flatten at their scale.
    let sizing_block = match px_per_mm {
        Some(s) => (SIZING_BLOCK_MM * s).round() as usize,
        None => SIZING_BLOCK_PX,
    }
    .clamp(16, y.width.max(y.height).max(16));
    // Both skin fields tell skin from pigment on one denoised copy of `y`, made once. The
    // sizing darkness is never stored (see `sizing`): the peak of memory is the photo, the copy
    // and a 1 B/px mask.
    let calm = SkinField::calm_into(&y, buffers.take(crop_px));
    let sizing = estimate_dot_diameter(&y, &calm, sizing_block, px_per_mm.map(|s| MAX_DOT_MM * s));
    let measured_dot = sizing.diameter_px;
    let dot_scale = measured_dot
        .unwrap_or(match px_per_mm {
            Some(s) => NOMINAL_DOT_MM * s,
            None => NOMINAL_DOT_PX,
        })
        .clamp(min_dot, max_dot);
    stage_done("sizing");
    let block = ((FLATTEN_BLOCK_DIAMETERS * dot_scale).round() as usize).max(MIN_FLATTEN_BLOCK_PX);
    let skin = SkinField::estimate_with_calm(&y, &calm, block);
    // Shine is read from the photo's colour only where some block is brighter than the light's
    // spread allows, a tone edge only where some block's level bends: nothing is read from the
    // colour of an evenly lit photo of even skin.
    let (rx0, ry0) = ((region.x - crop.x) as usize, (region.y - crop.y) as usize);
    let in_crop = Region {
        x: region.x - crop.x,
        y: region.y - crop.y,
        ..region
    };
    let shine = shine::shine(&y, &skin, in_crop);
    let (tone_edge, on_edge) = tone::tone_edge(&y, &skin, in_crop);
    // Where the skin's own tone changes sharply, the field follows it pixel by pixel (a photo
    // without a tone edge keeps its field as it is, bit for bit).
    let closing_window = (EDGE_CLOSING_DIAMETERS * dot_scale).round() as usize;
    let skin = skin.following_edges(&calm, &on_edge, closing_window, tone::TONE_REACH_BLOCKS);
    stage_done("skin field");
    // D takes over the denoised copy's buffer, row by row. Each row of the copy first tells
    // the pixels light enough for a dot's skin ring (for sampling, once D is gone): judged on
    // the photo denoised, so that a pixel's own sensor noise barely decides whether it is skin
    // (why: see `sampling`).
    let mut d = calm;
    let light = LightBits::rewriting_rows(
        &mut d,
        dots::RING_EXCLUDE_DARKNESS,
        skin.darkness_rows_over_calm(&y),
    );
    stage_done("darkness");
    // The dot finder needs D, and from its watershed on only row by row: the outlines read it
    // computed again from the photo (bit for bit), and D's buffer becomes the labels'.
    let d_rows = skin.darkness_rows(&y);
    // Without a scale, one is assumed only from a typical dot that was measured, inside the
    // bounds sought: a dot size at a bound (a region too small for its "dots", a tattooed bar
    // taken for one) or assumed for want of pigment says nothing of the scale; nor does one that
    // would make it a macro lens's (see MAX_ASSUMED_PX_PER_MM).
    let finder_scale = px_per_mm.or_else(|| {
        measured_dot
            .filter(|&d| d > min_dot && d < max_dot)
            .filter(|&d| d / ASSUMED_DOT_MM <= MAX_ASSUMED_PX_PER_MM)
            .map(assumed_px_per_mm)
    });
    let map = find_dots_releasing(d, &d_rows, dot_scale as f32, finder_scale.map(|s| s as f32));
    stage_done("dots: relabelled");

    let (ox, oy) = (f64::from(crop.x), f64::from(crop.y));
    let counted: Vec<usize> = (0..map.dots.len())
        .filter(|&k| {
            let dot = &map.dots[k];
            dot.area_px > 0 && region.contains(dot.x + ox, dot.y + oy)
        })
        .collect();
    // Summed in the dots' order: the same sum at any thread count.
    let outline_pull_px = counted
        .iter()
        .map(|&k| f64::from(map.dots[k].outline_pull_px))
        .sum();
    let dots = sample_dots(crop, &y, &light, &skin.lookup(), &map, &counted, dot_scale);
    stage_done("per-dot samples");
    // Dot and hair pixels in the region, in one pass over its rows (integer sums: the same at
    // any thread count). Each cover has a bit of its own: eight pixels' dot and hair bits are
    // counted at once (comparing pixel by pixel took 8 ms on two threads, this 1.5).
    let (covered_px, hair_px) = (ry0..ry0 + region.height as usize)
        .into_par_iter()
        .map(|row| {
            let start = row * crop.width as usize + rx0;
            let bytes: &[u8] =
                bytemuck::cast_slice(&map.cover[start..start + region.width as usize]);
            let (dot_bits, hair_bits) = (
                u64::from_ne_bytes([Cover::Dot as u8; 8]),
                u64::from_ne_bytes([Cover::Hair as u8; 8]),
            );
            let mut words = bytes.chunks_exact(8);
            let (mut dots, mut hair) = (0u64, 0u64);
            for word in &mut words {
                let word = u64::from_ne_bytes(word.try_into().expect("8 bytes"));
                dots += u64::from((word & dot_bits).count_ones());
                hair += u64::from((word & hair_bits).count_ones());
            }
            for &b in words.remainder() {
                dots += u64::from(b == Cover::Dot as u8);
                hair += u64::from(b == Cover::Hair as u8);
            }
            (dots, hair)
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let hair_mask = crate::mask::CellMask::from_plane(&map.cover, Cover::Hair, crop, region);
    let region_px = region.area_px();
    // Clipping is counted over the crop: close enough, and the crop is only a margin larger.
    let clipped_fraction = clipped_all as f64 / crop.area_px() as f64;
    stage_done("region counts");

    // The smaller of the filter scale and the measured median diameter (px): blur makes tiny
    // dots look larger to both, and a tattooed bar sizes the filters at their largest.
    let seen_diameter = (!dots.is_empty()).then(|| {
        let mut diameters: Vec<f32> = dots.iter().map(|d| d.diameter_px as f32).collect();
        f64::from(quantile(&mut diameters, 0.5)).min(dot_scale)
    });
    // Squares wider than one impression can fill, covered all the same: the count there is the
    // finder splitting solid pigment at its texture.
    let solid_block = match px_per_mm {
        Some(s) => solid::SOLID_BLOCK_MM * s,
        None => solid::SOLID_BLOCK_DIAMETERS * seen_diameter.unwrap_or(dot_scale),
    };
    let solid = solid::solid_pigment(
        &map.cover,
        crop.width as usize,
        (rx0, ry0, region.width as usize, region.height as usize),
        solid_block,
    );
    stage_done("solid pigment");
    // Runs of pigment longer than two impressions and wider than hair: lines the finder splits.
    let centres: Vec<(f64, f64)> = dots.iter().map(|d| (d.x - ox, d.y - oy)).collect();
    let line = lines::LineShape::new(px_per_mm, seen_diameter.unwrap_or(dot_scale));
    let on_lines = lines::on_lines(
        &map.cover,
        (crop.width as usize, crop.height as usize),
        &centres,
        line,
    );
    debug_assert_eq!(on_lines.len(), dots.len());
    stage_done("lines of pigment");
    // The focus from the dots that can be told apart: a piece of a line or of solid pigment
    // has no edge of its own along it, and read 1 mm tattoo lines as blurred dots.
    let resolved: Vec<usize> = (0..dots.len())
        .filter(|&i| !unresolved(&dots[i], on_lines[i], &solid, region))
        .collect();
    let fitted: Vec<DotSample> = resolved.iter().map(|&i| dots[i].clone()).collect();
    let crop_width = crop.width as usize;
    let edge_softness = focus::edge_softness(&y, crop, &fitted, |j, x, y_| {
        let label = map.labels[y_ * crop_width + x] as usize;
        label != 0 && label != counted[resolved[j]] + 1
    });
    stage_done("focus");

    let skin_luminance = f64::from(skin.median());

    // The plane left goes to the next photo (the labels' allocation reinterpreted as f32s: the
    // same size and alignment, nothing copied).
    buffers.keep(bytemuck::allocation::cast_vec(map.labels));
    Ok(Measurement {
        region,
        dots,
        covered_px,
        outline_pull_px,
        hair_px,
        hair_mask,
        region_px,
        dot_scale_px: dot_scale,
        skin_luminance,
        clipped_fraction,
        skin_noise: f64::from(sizing.skin_noise),
        shine,
        tone_edge,
        edge_softness,
        solid,
        on_lines,
        warnings: Vec::new(),
    }
    .with_cautions(px_per_mm, seen_diameter, line))
}

#[cfg(test)]
mod tests {
    use super::*;
    /// The typical dot taken as [`ASSUMED_DOT_MM`] wide, within the accepted scales.
    #[test]
    fn the_assumed_scale_makes_the_typical_dot_its_assumed_width() {
        assert_eq!(assumed_px_per_mm(10.0), 10.0 / ASSUMED_DOT_MM);
        assert_eq!(assumed_px_per_mm(0.0), MIN_PX_PER_MM);
        assert_eq!(assumed_px_per_mm(1e6), MAX_PX_PER_MM);
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

//! Dot finding on the darkness plane: centres, territories, coverage.
//!
//! 1. Scale-normalised blob detection: the darkness plane D is smoothed at a few scales around
//!    the estimated dot size and −σ²∇² (the Laplacian of Gaussian) is taken at each. A round dot
//!    of radius r answers most strongly at its centre at σ = r/√2, while two touching dots answer
//!    at their own centres, not at the point where they touch — which is what a threshold on D
//!    alone cannot tell apart for soft-edged dots.
//! 2. Candidates must be dark enough (a physical darkness, not a contrast) and round: a
//!    candidate on a ridge (a hair or stubble: one Hessian eigenvalue near zero) is set aside.
//!    Strongest first, a candidate within half a dot diameter of a kept one is the same dot.
//! 3. A watershed from the kept centres splits touching dots into territories.
//! 4. Within its territory a dot covers the pixels at least half as dark as its core (the
//!    full-width-at-half-maximum outline, which blur and exposure leave in place).
//! 5. Hairs are thin: a territory whose widest inscribed disc is far narrower than the typical
//!    dot's is a hair or stubble piece, and an opening at half a dot's inscribed radius (on a
//!    hair line at least a hair's half-width) cuts the arms of hairs crossing it.

mod atomic_view;
mod blobs;
mod components;
mod outline;
mod ridges;
mod shapes;
mod watershed;

pub use blobs::blob_smoothings;

use rayon::prelude::*;

use crate::plane::Plane;
use crate::quantile::quantile;
use crate::timing::stage_done;
pub(crate) use components::for_each_component;

/// Laplacian-of-Gaussian scale in dot diameters: σ = r/√2 answers most strongly at the centre
/// of a disc of radius r.
pub const BLOB_SIGMA_DIAMETERS: f32 = 0.353_553_4;
/// Scales searched, as multiples of the estimated dot diameter: dots in one photo range from
/// about half to twice the typical size (fresh touch-ups next to blown-out dots).
pub const BLOB_SCALES: [f32; 5] = [0.55, 0.75, 1.0, 1.4, 2.0];
/// The blob scales up to this one (in [`BLOB_SCALES`]) are searched at every pixel: they tell
/// touching dots apart, and at those scales the maxima of two dots' responses lie within a
/// dot diameter of each other, the lesser often a mere shoulder of the greater, which a coarser
/// grid of samples can miss (searched on grids, they lost up to 4% of the blown-out dots of
/// `examples/accuracy`). Scales above it find the larger dots, whose maxima stand apart.
pub const MAX_PIXEL_SEARCH_BLOB_SCALE: f32 = 1.0;
/// A blob scale above [`MAX_PIXEL_SEARCH_BLOB_SCALE`] is searched on a grid of every `step`-th
/// pixel of its smoothed plane, `step` the largest power of two leaving at least this many
/// grid steps per σ (px) of its Gaussian (see [`blob_grid_step`]). At 2 steps per σ the
/// Gaussian passes under 3·10⁻⁹ of any frequency the grid cannot hold (e^(−2π²) at its
/// Nyquist frequency): the grid samples the smoothed plane without aliasing. The grid's
/// 5-point Laplacian then errs by about 1/(12·2²) ≈ 2% on a blob of that scale, as it does at
/// every pixel on the finest scale of ≈ 10 px dots.
pub const BLOB_GRID_STEPS_PER_SIGMA: f32 = 2.0;
/// The grid step (px, a power of two) of the blob search at scale `factor` (one of
/// [`BLOB_SCALES`]) whose Gaussian has σ = `sigma` px: 1 (every pixel) up to
/// [`MAX_PIXEL_SEARCH_BLOB_SCALE`], above it the largest step keeping at least
/// [`BLOB_GRID_STEPS_PER_SIGMA`] steps per σ (so 1 below σ = 4 px), at most
/// [`MAX_BLOB_GRID_STEP`] (also for an infinite σ; 1 for NaN).
pub fn blob_grid_step(factor: f32, sigma: f32) -> usize {
    let mut step = 1;
    if factor <= MAX_PIXEL_SEARCH_BLOB_SCALE {
        return step;
    }
    while step < MAX_BLOB_GRID_STEP && sigma >= (2 * step) as f32 * BLOB_GRID_STEPS_PER_SIGMA {
        step *= 2;
    }
    step
}
/// Largest grid step of the blob search (px): a bound for absurd σ from a caller of
/// [`find_dots`] (no photo is 2³⁰ px across; [`crate::measure`] never comes near it).
pub const MAX_BLOB_GRID_STEP: usize = 1 << 30;
/// Light smoothing of D for the watershed, in dot diameters (noise off, dips between dots kept).
pub const FLOOD_SIGMA_DIAMETERS: f32 = 0.12;
/// Lowest darkness a dot may have, measured on D smoothed at its own scale (which keeps ≈ 63%
/// of a dot's core darkness). The faintest fresh pigment is ≈ 0.3 dark at its core (≈ 0.19
/// smoothed); pores and skin texture stay well below (≈ 0.03–0.1, and they are small).
pub const MIN_PEAK_DARKNESS: f32 = 0.12;
/// A centre must also stand this many noise standard deviations (of darkness on skin, smoothed
/// at the candidate's scale, measured locally) above the skin.
pub const PEAK_NOISE_SIGMAS: f32 = 5.0;
/// Side of the blocks over which noise is measured, in typical dot diameters.
pub const NOISE_BLOCK_DIAMETERS: f32 = 8.0;
/// A candidate within this many of a stronger dot's diameters is part of that dot: touching
/// dots have centres about one diameter apart.
pub const NMS_RADIUS_DIAMETERS: f32 = 0.5;
/// A candidate whose Hessian eigenvalue ratio (weaker / stronger curvature) is below this sits on
/// a ridge — a hair, or a dot that a hair crosses — and does not count towards the typical dot
/// width. A dot of aspect 1.5 gives ≈ 0.45; a hair ≈ 0.
pub const MIN_BLOB_EIGEN_RATIO: f32 = 0.2;
/// A candidate's centre must be at least this fraction as dark as the darkest point within a
/// quarter of its diameter: a real dot is darkest at its core, while the centre of a cluster of
/// touching dots (which a large blob scale also answers to) lies between them.
pub const CENTRE_FILL_RATIO: f32 = 0.85;
/// Without a scale, a territory whose inscribed radius is below this fraction of the typical
/// (median) dot's is a hair or stubble piece: a hair is 0.04–0.14 mm wide, a dot 0.25–1.2 mm.
/// (With a scale, round pieces are judged by physical widths instead — [`HAIR_HALF_WIDTH_MM`]
/// on hair lines, half [`crate::measure::MIN_DOT_MM`] off them: dot sizes in one photo can
/// vary by more than the 2× this ratio assumes.)
pub const MIN_HALF_WIDTH_RATIO: f32 = 0.5;
/// The same for a candidate on a ridge (see [`MIN_BLOB_EIGEN_RATIO`]): the curvature already
/// says "hair", so its territory must be nearly as wide as a typical dot to count — which a dot
/// crossed by a hair is (its full radius), and a piece of stubble is not (half its width).
pub const MIN_RIDGE_HALF_WIDTH_RATIO: f32 = 0.7;
/// With a known scale, a piece on a ridge narrower than this half-width (mm) is hair whatever
/// the other dots look like: hairs are 0.04–0.09 mm wide, stubble up to 0.14 mm. The finest
/// healed dots (≥ 0.16 mm across) are barely wider: a round candidate at least this wide is
/// spared the hair-network rule (a fine dot that a hair touches), and a round one off any hair
/// line counts down to half [`crate::measure::MIN_DOT_MM`] (a hair seen end-on looks the same,
/// as in life). On a hair line a round piece must be this wide: the end of a stubble shaft is
/// round too.
pub const HAIR_HALF_WIDTH_MM: f32 = 0.07;
/// With a known scale, a piece at least this half-width (mm), and at least
/// [`MIN_FAT_HALF_WIDTH_PX`], is never hair, however elongated (the thickest stubble is 0.14 mm
/// wide): a blown-out dot, or a tattooed line.
pub const FAT_HALF_WIDTH_MM: f32 = 0.12;
/// The never-hair half-width ([`FAT_HALF_WIDTH_MM`] at the photo's scale) is never less than
/// this (px): the lens and demosaicing spread even the thinnest hair to a half-width of about
/// this, so at coarse scales (under ≈ 13 px/mm, where 0.12 mm is fewer pixels) a piece this thin
/// may still be a hair.
pub const MIN_FAT_HALF_WIDTH_PX: f32 = 1.6;
/// Where solid pigment larger than any dot (a tattooed bar) sets the photo's dot size, the
/// watershed cuts it into territories about this fraction of its half-width: the typical width
/// that a piece on a hair line is compared with is then at least this fraction of the sized
/// dot's radius. Ordinary dots' territories are their own full radius, so this never binds
/// where the photo holds dots.
pub const SOLID_PIGMENT_TERRITORY: f32 = 0.5;
/// Each dot's outline is opened (eroded, then dilated) by a disc of this fraction of its own
/// inscribed radius: round dots keep their shape, thinner hair arms are cut off.
pub const OPENING_RADIUS_FRACTION: f32 = 0.5;
/// A dot whose (opened) outline is more elongated than this (ratio of the principal axes), and
/// not wider than any stubble (see [`FAT_HALF_WIDTH_MM`]), is a stretch of stubble, not a dot.
/// Elliptical dots reach ≈ 1.5, two merged dots ≈ 2.
pub const MAX_ELONGATION: f32 = 3.0;
/// Denoising blur (px) of the plane on which outlines are drawn: enough to calm sensor noise on
/// dark skin, small enough to move the half-maximum contour of a 4 px-radius dot by < 0.1 px.
pub const OUTLINE_SIGMA_PX: f32 = 0.7;
/// A dot nearly fills its widest inscribed disc (area ≈ 1–1.5 × that disc; two merged dots
/// ≈ 2×). A piece spreading more than this many times that disc along arms — two hairs
/// crossing, stubble lying on a hair — is hair, unless fat (see [`FAT_HALF_WIDTH_MM`]).
pub const MAX_AREA_PER_INSCRIBED_DISC: f64 = 3.0;
/// A connected network of dark pixels whose fattest point is under [`FAT_HALF_WIDTH_MM`] (and
/// [`MIN_FAT_HALF_WIDTH_PX`]; with a scale) or under this fraction of the typical dot's half-width (without one), and which spreads
/// over more than [`MAX_AREA_PER_INSCRIBED_DISC`] times that inscribed disc, is hair as a whole.
pub const MAX_NETWORK_HALF_WIDTH_RATIO: f32 = 0.8;
/// With a known scale, a candidate whose core (a disc of [`HAIR_CORE_DIAMETERS`] of its own
/// diameter) lies at least this much on a hair line (see `dots/ridges/`) is a hair crossing or a
/// clump on a hair, not a dot. A dot that a hair crosses keeps most of its core off the line,
/// which is only where the hair has skin beside it.
pub const MAX_HAIR_LINE_FRACTION: f32 = 0.5;
/// Radius of the core judged by [`MAX_HAIR_LINE_FRACTION`], in the candidate's diameters
/// (min 1 px).
pub const HAIR_CORE_DIAMETERS: f32 = 0.25;
/// A pixel belongs to a dot's outline when its darkness is at least this fraction of the dot's
/// core darkness (half maximum).
pub const HALF_MAX: f32 = 0.5;
/// The core over which a dot's darkness is averaged, as a radius in dot diameters (min 0.5 px).
pub const CORE_RADIUS_DIAMETERS: f32 = 0.12;
/// Skin ring around a dot: from this many dot radii …
pub const RING_INNER_RADII: f32 = 1.5;
/// … to this many.
pub const RING_OUTER_RADII: f32 = 2.5;
/// Fewer skin pixels than this in the ring and the ring is widened, then the skin field is used.
pub const MIN_RING_PIXELS: usize = 8;
/// Skin ring pixels darker than this (darkness vs. the skin field) are hair or pores: left out.
pub const RING_EXCLUDE_DARKNESS: f32 = 0.08;

/// A found dot, in the coordinates of the plane it was found in (px, pixel centres at i + 0.5).
#[derive(Clone, Debug, PartialEq)]
pub struct FoundDot {
    /// Centre x (px), darkness-weighted centroid of the dot's outline (unweighted where no
    /// pixel of it is measurably darker than the skin; the centre of its peak pixel when it
    /// has no pixel).
    pub x: f64,
    /// Centre y (px).
    pub y: f64,
    /// Pixels within the dot's half-maximum outline (px²).
    pub area_px: u32,
    /// Mean darkness D over the core (0..1).
    pub core_darkness: f32,
    /// The pixel (integer px) the dot was detected at.
    pub peak: (usize, usize),
    /// The dot diameter (px) of the blob scale that detected it.
    pub scale_px: f32,
}

/// Result of [`find_dots`]: dots, labels and masks, one entry per pixel of the plane.
#[derive(Clone, Debug)]
pub struct DotMap {
    /// The dots, strongest blob response first.
    pub dots: Vec<FoundDot>,
    /// Per pixel: 0 for no dot, else 1 + index into `dots` of the territory it was flooded into.
    pub labels: Vec<u32>,
    /// Per pixel: inside a dot's half-maximum outline (covered by pigment).
    pub covered: Vec<bool>,
    /// Per pixel: part of a thin dark structure set aside as hair or stubble.
    pub hair: Vec<bool>,
}

/// Finds the dots in the darkness plane `d` (1 − Y/S) given an estimated typical dot diameter
/// `diameter_px` (px) and, when known, the scale `px_per_mm` (which lets hair be told from dots
/// by physical width as well as by comparison with the other dots).
pub fn find_dots(d: &Plane, diameter_px: f32, px_per_mm: Option<f32>) -> DotMap {
    find_dots_reusing(d, diameter_px, px_per_mm, SpareBuffers::default())
}

/// Full-size buffers a caller is done with, lent to [`find_dots_reusing`]; their values do not
/// matter.
#[derive(Clone, Debug, Default)]
pub struct SpareBuffers {
    /// Becomes the buffer of the smoothed planes (4 B/px: the hair lines', each blob scale's,
    /// then the flood plane).
    pub smoothing: Plane,
    /// Becomes the buffer of [`DotMap::labels`] (4 B/px) when its capacity holds a value per
    /// pixel of the plane; before that, its bytes hold the hair lines' 1 B/px scratch when its
    /// length holds a byte per pixel.
    pub labels: Vec<f32>,
}

/// [`find_dots`], with `spare` buffers as its smoothed planes' and its labels' buffers: the same
/// result, without faulting in fresh full-size allocations, which is slow on some machines
/// (≈ 25 000 page faults per 24 MP plane).
pub fn find_dots_reusing(
    d: &Plane,
    diameter_px: f32,
    px_per_mm: Option<f32>,
    spare: SpareBuffers,
) -> DotMap {
    let SpareBuffers {
        smoothing: mut spare,
        labels: mut labels_buffer,
    } = spare;
    let width = d.width;
    // Hair lines first: they need only D, and their full-size planes are freed before the flood
    // plane exists (a lower peak of memory); only the 1 B/px mask is kept for the candidates.
    // The labels' buffer, not needed before the watershed, holds the ridge scratch meanwhile.
    let lines =
        px_per_mm.map(|s| ridges::hair_lines(d, s, diameter_px, &mut spare, &mut labels_buffer));
    stage_done("dots: hair lines");
    let candidates = blobs::detect(d, diameter_px, &mut spare);
    stage_done("dots: blob scales");
    let mut flood = spare;
    d.gaussian_blur_into((FLOOD_SIGMA_DIAMETERS * diameter_px).max(0.5), &mut flood);
    let peaks = blobs::centred_and_suppressed(candidates, &flood, diameter_px);
    stage_done("dots: flood plane, centres kept");
    let n = peaks.len();
    let on_hair_line: Vec<bool> = match lines {
        Some(lines) => peaks
            .par_iter()
            .map(|c| {
                let on_line = |x: usize, y: usize| f32::from(u8::from(lines[y * width + x]));
                let radius = (HAIR_CORE_DIAMETERS * c.diameter).max(1.0);
                blobs::disc_mean(on_line, (d.width, d.height), (c.x, c.y), radius)
                    >= MAX_HAIR_LINE_FRACTION
            })
            .collect(),
        None => vec![false; n],
    };

    // Territories on the lightly smoothed plane; half-maximum outlines on D with only a sub-pixel
    // denoise, because blur pulls the half-maximum contour of a curved outline inwards (by
    // ≈ σ²/2r px).
    // The outline plane is never kept whole (a 4 B/px plane less at the peak of memory): the
    // cores read it pixel by pixel, the outlines row by row as it is blurred.
    let fine = d.point_blur(OUTLINE_SIGMA_PX);
    let cores: Vec<f32> = peaks
        .par_iter()
        .map(|c| {
            blobs::disc_mean(
                |x, y| fine.at(x, y),
                (d.width, d.height),
                (c.x, c.y),
                (CORE_RADIUS_DIAMETERS * c.diameter).max(0.5),
            )
        })
        .collect();
    let seeds: Vec<(usize, usize, f32)> = peaks
        .iter()
        .map(|c| (c.x, c.y, flood.get(c.x, c.y)))
        .collect();
    stage_done("dots: hair-line test, cores");
    let mut labels = watershed::watershed(
        &flood,
        &seeds,
        0.5 * HALF_MAX * MIN_PEAK_DARKNESS,
        labels_buffer,
    );
    stage_done("dots: watershed");
    let mut outlined = vec![false; labels.len()];
    d.gaussian_blur_rows(OUTLINE_SIGMA_PX, &mut outlined, |y, fine_row, out| {
        let label_row = &labels[y * width..(y + 1) * width];
        for ((o, &l), &v) in out.iter_mut().zip(label_row).zip(fine_row) {
            *o = l != 0 && v >= HALF_MAX * cores[l as usize - 1];
        }
    });
    // Of the lightly smoothed plane only the values under the outlines are needed from here on
    // (the centroid weights): kept in raster order, the full-size plane freed.
    let flood_on_outline: Vec<f32> = flood
        .data
        .par_iter()
        .zip(&outlined)
        .filter(|(_, &o)| o)
        .map(|(v, _)| *v)
        .collect();
    drop(flood);
    stage_done("dots: outlines");

    // Thin pieces are hairs; hair arms are cut off the dots they cross.
    let centres: Vec<usize> = peaks.iter().map(|c| c.y * width + c.x).collect();
    let components = outline::Components::of(&outlined, width);
    let networks = outline::networks(&outlined, &components, &centres);
    let inside = outline::inside_distance(&labels, &outlined, &components);
    stage_done("dots: networks, inside distances");
    // Each territory's own half-width: its fattest point (opening, compactness, the typical dot).
    // Outline components in parallel, each task taking maxima into its own array, the arrays
    // then merged by maximum: the order changes nothing. (Hairs can join thousands of
    // territories into one component, so no per-component search among its territories.)
    let own_width: Vec<f32> = components
        .members
        .par_iter()
        .zip(&inside)
        .fold(
            || vec![0f32; n],
            |mut own_width, (members, dist)| {
                for (&i, &v) in members.iter().zip(dist) {
                    let k = labels[i as usize] as usize - 1;
                    own_width[k] = own_width[k].max(v - 0.5);
                }
                own_width
            },
        )
        .reduce(
            || vec![0f32; n],
            |mut a, b| {
                for (w, other) in a.iter_mut().zip(b) {
                    *w = w.max(other);
                }
                a
            },
        );
    // For telling dots from hairs, also the depth of the centre in the dark structure as a
    // whole: a small dot overlapping a larger one's edge loses most of its territory to the
    // watershed but still sits deep in pigment, while a hair is thin either way.
    let half_width: Vec<f32> = own_width
        .iter()
        .enumerate()
        .map(|(k, own)| own.max(networks.inside[k] - 0.5))
        .collect();
    // The typical dot: round candidates only (hair pieces must not set the standard).
    let mut widths: Vec<f32> = own_width
        .iter()
        .zip(&peaks)
        .filter(|(w, c)| **w > 0.0 && !c.ridge)
        .map(|(w, _)| *w)
        .collect();
    let typical = quantile(&mut widths, 0.5);
    let (always_hair, never_hair): (f32, f32) = match px_per_mm {
        Some(s) => (
            HAIR_HALF_WIDTH_MM * s,
            (FAT_HALF_WIDTH_MM * s).max(MIN_FAT_HALF_WIDTH_PX),
        ),
        None => (0.0, f32::INFINITY),
    };
    // Whole networks of dark pixels whose fattest point is thinner than a typical dot, yet which
    // spread far beyond that inscribed disc, are hair however the watershed split them: a chain
    // of short stubble pieces can look compact piece by piece.
    // With a scale the limit is physical (hair of any clump is thinner than an impression),
    // and holds even where there are no dots to compare with; without one, the typical dot.
    let network_limit = if never_hair.is_finite() {
        never_hair
    } else {
        MAX_NETWORK_HALF_WIDTH_RATIO * typical
    };
    let in_hair_network: Vec<bool> = networks
        .id
        .iter()
        .map(|&id| {
            id != 0 && {
                let (area, fattest) = networks.size[id as usize - 1];
                let disc = std::f64::consts::PI * f64::from(fattest + 0.5).powi(2);
                fattest < network_limit && f64::from(area) > MAX_AREA_PER_INSCRIBED_DISC * disc
            }
        })
        .collect();
    // On a hair line the standard is the larger of the candidates' typical width and the dot
    // size the photo was sized by: where large solid pigment sets the size (bars, blown-out
    // patches) its territories are cut small, and hair crossings beside it must still read thin.
    let typical_for_hair = typical.max(SOLID_PIGMENT_TERRITORY * 0.5 * diameter_px);
    // The narrowest round piece that can be a dot: half the smallest impression (px).
    let min_round_half_width =
        px_per_mm.map_or(0.0, |s| 0.5 * crate::measure::MIN_DOT_MM as f32 * s);
    let mut keep: Vec<bool> = half_width
        .iter()
        .zip(&own_width)
        .zip(&peaks)
        .zip(in_hair_network.iter().zip(&on_hair_line))
        .map(|(((w, own), c), (&in_network, &on_line))| {
            // A thin network is hair, except (with a scale) a round piece of it at least as wide
            // as the widest hair: a fine dot that a hair touches (its network is no fatter).
            let hair = in_network && (c.ridge || px_per_mm.is_none() || *own < always_hair);
            // On a hair line, only a piece clearly narrower than a typical dot is hair: a dot
            // that a hair crosses keeps its full width.
            if hair || (on_line && *w < MIN_RIDGE_HALF_WIDTH_RATIO * typical_for_hair) {
                return false;
            }
            if c.ridge {
                *w >= always_hair
                    && (*w >= never_hair || *w >= MIN_RIDGE_HALF_WIDTH_RATIO * typical)
            } else if px_per_mm.is_some() {
                // A round blob as wide as the smallest impression is a dot, however small
                // beside the others (fresh touch-ups sit beside blown-out dots twice their size
                // and more) and however close to a hair's width (fine healed dots are).
                *w >= if on_line {
                    always_hair
                } else {
                    min_round_half_width
                }
            } else {
                *w > 0.0 && *w >= MIN_HALF_WIDTH_RATIO * typical
            }
        })
        .collect();
    // On a hair line, a piece wider than any hair is opened by at least a hair's half-width: a
    // fine dot is barely twice as wide as the stubble crossing it, and an opening of half its
    // own width would leave the hair's arms on it (and the shape test below call it hair).
    let radii: Vec<f32> = own_width
        .iter()
        .zip(&on_hair_line)
        .map(|(&w, &on_line)| {
            let radius = OPENING_RADIUS_FRACTION * w;
            if on_line && w >= always_hair {
                radius.max(always_hair)
            } else {
                radius
            }
        })
        .collect();
    let opened = outline::open(&labels, &outlined, &components, inside, &radii);
    stage_done("dots: opening");
    drop(components);

    let min_dot_area = px_per_mm.map_or(0.0, |s| {
        std::f64::consts::PI * (0.5 * crate::measure::MIN_DOT_MM * f64::from(s)).powi(2)
    });
    // Area, centroid and shape of what remains.
    let shapes = shapes::shapes(&labels, &outlined, &opened, &flood_on_outline, width, n);
    drop(flood_on_outline);
    for k in 0..n {
        // With a scale, nothing under the smallest impression's size is a dot (pores, specks
        // of hair lying in a dot's halo).
        if keep[k] && shapes[k].moments[0] < min_dot_area {
            keep[k] = false;
        }
        let disc = std::f64::consts::PI * f64::from(own_width[k] + 0.5).powi(2);
        if keep[k]
            && half_width[k] < never_hair
            && (outline::elongation(&shapes[k].moments) > MAX_ELONGATION
                || shapes[k].moments[0] > MAX_AREA_PER_INSCRIBED_DISC * disc)
        {
            keep[k] = false;
        }
    }

    // Both masks in one pass over the rows, in place: `opened` becomes the covered mask and
    // `outlined` the hair mask (two fresh 1 B/px masks cost their page faults, ≈ 50 ms of CPU
    // on a 24 MP photo).
    let (mut covered, mut hair) = (opened, outlined);
    covered
        .par_chunks_mut(width)
        .zip(hair.par_chunks_mut(width))
        .enumerate()
        .for_each(|(y, (covered_row, hair_row))| {
            let start = y * width;
            for (x, (c, h)) in covered_row.iter_mut().zip(hair_row).enumerate() {
                let i = start + x;
                // (Opened pixels are outlined ones, and outlined pixels are labelled.)
                *c = *c && keep[labels[i] as usize - 1];
                *h = *h && !*c;
            }
        });
    stage_done("dots: shapes, coverage, hair");
    let mut new_index = vec![0u32; n];
    let mut dots = Vec::new();
    for (k, c) in peaks.iter().enumerate() {
        if !keep[k] {
            continue;
        }
        // A dot left with no pixel by the opening sits at the centre of its peak pixel.
        let (x, y) = if shapes[k].moments[0] > 0.0 {
            shapes[k].centroid
        } else {
            (c.x as f64 + 0.5, c.y as f64 + 0.5)
        };
        dots.push(FoundDot {
            x,
            y,
            area_px: shapes[k].moments[0] as u32,
            core_darkness: cores[k],
            peak: (c.x, c.y),
            scale_px: c.diameter,
        });
        new_index[k] = dots.len() as u32;
    }
    labels.par_iter_mut().for_each(|label| {
        if *label != 0 {
            *label = new_index[*label as usize - 1];
        }
    });
    DotMap {
        dots,
        labels,
        covered,
        hair,
    }
}

/// Eigenvalues of the 2×2 Hessian [[dxx, dxy], [dxy, dyy]], strongest curvature (most
/// negative) first: (strong, weak). Shared by the blob test (round vs ridge) and the hair-line
/// tracer.
#[inline(always)]
pub(super) fn hessian_eigenvalues(dxx: f32, dyy: f32, dxy: f32) -> (f32, f32) {
    let mean = (dxx + dyy) / 2.0;
    let spread = (((dxx - dyy) / 2.0).powi(2) + dxy * dxy).sqrt();
    (mean - spread, mean + spread)
}

/// Robust standard deviation of smoothed darkness on skin: 1.4826 × the median of |D| over the
/// pixels with D < 0. The skin field is the skin's median, so skin straddles 0 while pigment
/// only adds darkness: the negative side is skin alone, however dense the dots. 0 when fewer
/// than 16 pixels lie below 0.
///
/// The median is read from a histogram of every pixel (bins of [`NOISE_HISTOGRAM_STEP`]: the
/// lower middle value's bin centre), not
/// from a sample: a sample taken in raster order picks other pixels when the photo is turned,
/// and the noise sets the thresholds that decide which faint dots are found.
pub fn skin_noise(smoothed: &Plane) -> f32 {
    let bins = NOISE_HISTOGRAM_BINS;
    use rayon::prelude::*;
    let histogram = smoothed
        .data
        .par_chunks(smoothed.width.max(1))
        .fold(
            || vec![0u32; bins],
            |mut counts, row| {
                for v in row.iter().filter(|v| **v < 0.0) {
                    let bin = ((-v / NOISE_HISTOGRAM_STEP) as usize).min(bins - 1);
                    counts[bin] += 1;
                }
                counts
            },
        )
        .reduce(
            || vec![0u32; bins],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let below: u64 = histogram.iter().map(|c| u64::from(*c)).sum();
    if below < 16 {
        return 0.0;
    }
    // The bin holding the middle value; its centre is the median to within half a bin.
    let mut running = 0u64;
    let bin = histogram
        .iter()
        .position(|c| {
            running += u64::from(*c);
            2 * running >= below
        })
        .unwrap_or(bins - 1);
    1.4826 * (bin as f32 + 0.5) * NOISE_HISTOGRAM_STEP
}

/// Bin width of the noise histogram (darkness): a hundredth of the quietest skin noise seen
/// (σ ≈ 0.005 on bright, smoothed skin), so the median is exact to ≈ 0.7% or better.
pub const NOISE_HISTOGRAM_STEP: f32 = 5e-5;
/// Bins of the noise histogram: |D| up to 0.2 (noise beyond that is not skin texture but a
/// failed exposure, and lands in the last bin).
pub const NOISE_HISTOGRAM_BINS: usize = 4000;

/// Shapes of the 8-connected components of `mask` (`width` px per row), in raster order of their
/// first pixel: (area in px, bounding-box width, bounding-box height in px).
pub fn component_shapes(mask: &[bool], width: usize) -> Vec<(u32, u32, u32)> {
    component_shapes_where(|i| mask[i], mask.len(), width)
}

/// [`component_shapes`] of the mask of the pixels where `inside(i)` holds, among `len` pixels of
/// `width` per row, without storing that mask.
pub fn component_shapes_where(
    inside: impl Fn(usize) -> bool + Sync,
    len: usize,
    width: usize,
) -> Vec<(u32, u32, u32)> {
    components::RunComponents::find(inside, len, width, true).shapes()
}

/// [`component_shapes`] of the mask of the pixels whose value in `values` is at least `floor`
/// (`width` per row; NaN never is), without storing that mask; its rows are read 16 values at
/// a time where none reaches the floor.
pub fn component_shapes_at_least(values: &[f32], floor: f32, width: usize) -> Vec<(u32, u32, u32)> {
    components::RunComponents::find_at_least(values, floor, width, true).shapes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Darkness plane with soft discs of `darkness` at `centres`, radius `r` px.
    fn discs(w: usize, h: usize, centres: &[(f32, f32)], r: f32, darkness: f32) -> Plane {
        let mut p = Plane::filled(w, h, 0.0);
        for y in 0..h {
            for x in 0..w {
                let mut t = 1.0f32;
                for &(cx, cy) in centres {
                    let dist =
                        ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
                    let alpha = (0.5 - (dist - r) / 2.0).clamp(0.0, 1.0);
                    t *= 1.0 - darkness * alpha;
                }
                p.data[y * w + x] = 1.0 - t;
            }
        }
        p
    }

    /// Without a scale, a whole network thinner than the typical dot is hair, round pieces and
    /// all: a knot on a long hair, 2/3 to 3/4 of a dot's radius (wider than half a typical dot,
    /// so the per-piece width rule alone would keep it, and off any hair line, since the hair
    /// covers little of its disc), is not counted. The 2 px hair is 0.1 mm at 20 px/mm.
    #[test]
    fn without_a_scale_a_round_knot_on_a_long_thin_hair_is_hair() {
        let (w, h) = (240usize, 120usize);
        let dots: Vec<(f32, f32)> = (0..6).map(|i| (20.0 + 40.0 * i as f32, 25.0)).collect();
        for knot_r in [4.0f32, 4.5] {
            let mut p = discs(w, h, &dots, 6.0, 0.7);
            let knot = discs(w, h, &[(120.0, 85.0)], knot_r, 0.6);
            for y in 0..h {
                for x in 0..w {
                    let mut t = (1.0 - p.data[y * w + x]) * (1.0 - knot.data[y * w + x]);
                    if (84..86).contains(&y) && (4..w - 4).contains(&x) {
                        t *= 1.0 - 0.6;
                    }
                    p.data[y * w + x] = 1.0 - t;
                }
            }
            let map = find_dots(&p, 12.0, None);
            let mut centres: Vec<(f64, f64)> = map.dots.iter().map(|d| (d.x, d.y)).collect();
            centres.sort_by(|a, b| a.0.total_cmp(&b.0));
            assert_eq!(centres.len(), dots.len(), "knot {knot_r} px: {centres:?}");
            for (found, &(x, y)) in centres.iter().zip(&dots) {
                assert!(
                    (found.0 - f64::from(x)).abs() < 1.0 && (found.1 - f64::from(y)).abs() < 1.0,
                    "knot {knot_r} px: {centres:?}"
                );
            }
        }
    }

    #[test]
    fn spare_buffers_of_any_size_and_contents_change_nothing() {
        // Dots and a hair (so that with a scale every smoothed plane is made in the spare).
        let mut p = discs(
            90,
            70,
            &[(20.0, 20.0), (32.0, 20.0), (60.0, 45.0)],
            6.0,
            0.7,
        );
        for x in 0..90 {
            p.data[60 * 90 + x] = 0.5;
        }
        for px_per_mm in [None, Some(20.0)] {
            let fresh = find_dots(&p, 12.0, px_per_mm);
            for (smoothing, labels) in [
                (Plane::filled(3, 2, f32::NAN), vec![f32::NAN; 6]),
                (Plane::filled(200, 100, 0.9), vec![0.9; 200 * 100]),
                (Plane::filled(90, 70, -1.0), vec![-1.0; 90 * 70]),
            ] {
                let spare = SpareBuffers { smoothing, labels };
                let reused = find_dots_reusing(&p, 12.0, px_per_mm, spare);
                assert_eq!(reused.dots, fresh.dots);
                assert_eq!(reused.labels, fresh.labels);
                assert_eq!(reused.covered, fresh.covered);
                assert_eq!(reused.hair, fresh.hair);
            }
        }
    }

    #[test]
    fn separates_touching_dots_and_keeps_single_ones_whole() {
        let r = 6.0;
        let pair = discs(60, 40, &[(20.0, 20.0), (20.0 + 2.0 * r, 20.0)], r, 0.7);
        assert_eq!(find_dots(&pair, 2.0 * r, None).dots.len(), 2);
        let triangle = discs(
            60,
            60,
            &[(20.0, 20.0), (32.0, 20.0), (26.0, 20.0 + 10.4)],
            r,
            0.7,
        );
        assert_eq!(find_dots(&triangle, 2.0 * r, None).dots.len(), 3);
        let single = discs(40, 40, &[(20.0, 20.0)], r, 0.7);
        let map = find_dots(&single, 2.0 * r, None);
        assert_eq!(map.dots.len(), 1);
        let dot = &map.dots[0];
        assert!((dot.x - 20.0).abs() < 0.3 && (dot.y - 20.0).abs() < 0.3);
        // Half-maximum outline ≈ the disc of radius r.
        let expected = std::f32::consts::PI * r * r;
        assert!(
            (dot.area_px as f32 - expected).abs() < 0.1 * expected,
            "{}",
            dot.area_px
        );
        assert!((dot.core_darkness - 0.7).abs() < 0.02);
    }

    #[test]
    fn a_thin_line_is_a_ridge_not_a_dot() {
        let mut p = Plane::filled(80, 40, 0.0);
        for x in 5..75 {
            for y in 19..21 {
                p.data[y * 80 + x] = 0.7;
            }
        }
        let map = find_dots(&p, 10.0, None);
        assert!(map.dots.is_empty(), "{:?}", map.dots);
    }

    /// Fine healed dots (0.16–0.30 mm) are barely wider than stubble (≤ 0.14 mm): a round
    /// piece wider than any hair is a dot, even where a hair crosses it and ends beside it. The
    /// depth of a dot's deepest pixel reads up to about a pixel short, so this holds from
    /// 0.20 mm at 50 px/mm and from 0.24 mm at 25 px/mm (finer dots crossed by a hair are lost
    /// there, as the README says).
    #[test]
    fn a_fine_dot_touched_by_a_hair_is_a_dot_and_the_hair_is_not() {
        for (s, dot_mm, hair_rows) in [(50.0, 0.20, 58..62), (25.0, 0.24, 29..31)] {
            let (w, h) = ((5.6 * s) as usize, (2.4 * s) as usize);
            let r = 0.5 * dot_mm * s;
            let (y0, x0, x1) = (1.2 * s, 1.6 * s, 4.0 * s);
            let mut p = discs(w, h, &[(x0, y0), (x1, y0)], r, 0.7);
            // A hair 0.08 mm wide crossing the first dot and ending between the two.
            for y in hair_rows {
                for x in 4..(2.8 * s) as usize {
                    let v = &mut p.data[y * w + x];
                    *v = 1.0 - (1.0 - *v) * (1.0 - 0.6);
                }
            }
            let map = find_dots(&p, 2.0 * r, Some(s));
            let mut centres: Vec<(f64, f64)> = map.dots.iter().map(|d| (d.x, d.y)).collect();
            centres.sort_by(|a, b| a.0.total_cmp(&b.0));
            assert_eq!(centres.len(), 2, "{s} px/mm: {centres:?}");
            assert!((centres[0].0 - f64::from(x0)).abs() < 1.5, "{centres:?}");
            assert!((centres[1].0 - f64::from(x1)).abs() < 1.0, "{centres:?}");
            // Under the width of the smallest impression, a round speck is not a dot: drawn
            // 0.14 mm across, its half-maximum outline is under 0.05 mm in half-width, yet
            // larger than the smallest impression's area (so only the width rule rejects it).
            let speck = discs(
                w,
                h,
                &[(x1, y0)],
                0.7 * crate::measure::MIN_DOT_MM as f32 * s,
                0.7,
            );
            assert!(
                find_dots(&speck, 2.0 * r, Some(s)).dots.is_empty(),
                "{s} px/mm"
            );
        }
    }

    #[test]
    fn faint_texture_below_the_threshold_is_ignored() {
        let texture = discs(40, 40, &[(20.0, 20.0)], 4.0, MIN_PEAK_DARKNESS * 0.8);
        assert!(find_dots(&texture, 8.0, None).dots.is_empty());
    }

    /// The noise is the robust σ of the negative side, the same for a turned plane, and exact
    /// to within a histogram bin.
    #[test]
    fn skin_noise_is_the_robust_sigma_of_skin_and_ignores_orientation() {
        let (w, h) = (97, 61);
        let mut rng = crate::synth::SplitMix64::new(5);
        let mut p = Plane::filled(w, h, 0.0);
        for v in &mut p.data {
            *v = 0.02 * rng.normal() as f32;
        }
        // Pigment adds darkness only on the positive side.
        for v in p.data.iter_mut().step_by(5) {
            *v = v.abs() + 0.5;
        }
        let sigma = skin_noise(&p);
        let mut below: Vec<f32> = p.data.iter().filter(|v| **v < 0.0).map(|v| -v).collect();
        let exact = 1.4826 * crate::quantile::quantile(&mut below, 0.5);
        assert!(
            (sigma - exact).abs() <= 1.4826 * NOISE_HISTOGRAM_STEP,
            "{sigma} vs {exact}"
        );
        assert!((sigma - 0.02).abs() < 0.002, "{sigma}");
        let mut turned = Plane::filled(h, w, 0.0);
        for y in 0..h {
            for x in 0..w {
                turned.data[x * h + (h - 1 - y)] = p.get(x, y);
            }
        }
        assert_eq!(skin_noise(&turned), sigma);
        // Too little skin: no estimate.
        assert_eq!(skin_noise(&Plane::filled(10, 1, -0.01)), 0.0);
        assert!(skin_noise(&Plane::filled(16, 1, -0.01)) > 0.0);
    }

    #[test]
    fn components_are_8_connected_with_their_extent() {
        #[rustfmt::skip]
        let mask = [
            true,  false, false, true,
            false, true,  false, false,
            false, false, false, true,
        ];
        assert_eq!(
            component_shapes(&mask, 4),
            vec![(2, 2, 2), (1, 1, 1), (1, 1, 1)]
        );
    }
}

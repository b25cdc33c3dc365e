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
//!    hair line at least a hair's half-width) cuts the arms of hairs crossing it (`judge`).

mod atomic_view;
mod blobs;
mod components;
mod judge;
mod noise;
mod outline;
mod ridges;
mod shapes;
mod watershed;

pub use blobs::blob_smoothings;
pub use noise::{skin_noise, NOISE_HISTOGRAM_BINS, NOISE_HISTOGRAM_STEP};

use rayon::prelude::*;

use crate::plane::Plane;
use crate::prefetch::prefetch_square;
use crate::timing::stage_done;
pub(crate) use components::component_members;

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

/// How many peaks ahead the hair-line test and the cores hint a peak's disc into the cache.
const PREFETCH_PEAKS_AHEAD: usize = 2;

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
    let (seeds, labels_buffer) = find_seeds(d, diameter_px, px_per_mm, spare);
    territories(
        seeds,
        OutlineSource::Stored(d),
        labels_buffer,
        diameter_px,
        px_per_mm,
    )
}

/// [`find_dots_reusing`] of the darkness plane `d`, which it gives up once it needs D only row
/// by row: from the watershed on, `d`'s buffer holds the labels, and `d_rows(y, out)` writes
/// row `y` of the same D (bit for bit) into `out` for the outlines. `smoothing` becomes the
/// buffer of the smoothed planes; the hair lines' 1 B/px scratch is allocated for them and
/// freed after them. The same result, with a 4 B/px plane fewer from the watershed on.
pub fn find_dots_releasing(
    d: Plane,
    d_rows: &(dyn Fn(usize, &mut [f32]) + Sync),
    diameter_px: f32,
    px_per_mm: Option<f32>,
    smoothing: Plane,
) -> DotMap {
    let spare = SpareBuffers {
        smoothing,
        labels: Vec::new(),
    };
    let (seeds, _) = find_seeds(&d, diameter_px, px_per_mm, spare);
    let size = (d.width, d.height);
    territories(
        seeds,
        OutlineSource::Computed(size, d_rows),
        d.data,
        diameter_px,
        px_per_mm,
    )
}

/// What the dot finder knows before its watershed: the kept centres (strongest first), which
/// of them lie on hair lines, their core darkness and flood level, and the lightly smoothed
/// plane the watershed floods.
struct Seeds {
    peaks: Vec<blobs::Candidate>,
    on_hair_line: Vec<bool>,
    cores: Vec<f32>,
    seeds: Vec<(usize, usize, f32)>,
    flood: Plane,
}

/// Where the outlines read D, row by row: the stored plane, or its rows computed again.
#[derive(Clone, Copy)]
enum OutlineSource<'a> {
    Stored(&'a Plane),
    Computed((usize, usize), &'a (dyn Fn(usize, &mut [f32]) + Sync)),
}

/// The dot finder up to its watershed (hair lines, blob scales, flood plane, centres, hair-line
/// test, cores) on `d`; returns as well the labels' buffer of `spare`.
fn find_seeds(
    d: &Plane,
    diameter_px: f32,
    px_per_mm: Option<f32>,
    spare: SpareBuffers,
) -> (Seeds, Vec<f32>) {
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
        Some(lines) => {
            let radius = |c: &blobs::Candidate| (HAIR_CORE_DIAMETERS * c.diameter).max(1.0);
            peaks
                .par_iter()
                .enumerate()
                .map(|(i, c)| {
                    // Peaks come strongest first, scattered over the plane: the core of the
                    // peak a few ahead is hinted into the cache (see `crate::prefetch`).
                    if let Some(ahead) = peaks.get(i + PREFETCH_PEAKS_AHEAD) {
                        let reach = radius(ahead).ceil() as usize;
                        prefetch_square(&lines, width, (ahead.x, ahead.y), reach);
                    }
                    let on_line = |x: usize, y: usize| f32::from(u8::from(lines[y * width + x]));
                    blobs::disc_mean(on_line, (d.width, d.height), (c.x, c.y), radius(c))
                        >= MAX_HAIR_LINE_FRACTION
                })
                .collect()
        }
        None => vec![false; n],
    };

    // Territories on the lightly smoothed plane; half-maximum outlines on D with only a sub-pixel
    // denoise, because blur pulls the half-maximum contour of a curved outline inwards (by
    // ≈ σ²/2r px).
    // The outline plane is never kept whole (a 4 B/px plane less at the peak of memory): the
    // cores read it pixel by pixel, the outlines row by row as it is blurred.
    let fine = d.point_blur(OUTLINE_SIGMA_PX);
    let core_radius = |c: &blobs::Candidate| (CORE_RADIUS_DIAMETERS * c.diameter).max(0.5);
    let cores: Vec<f32> = peaks
        .par_iter()
        .enumerate()
        .map(|(i, c)| {
            if let Some(ahead) = peaks.get(i + PREFETCH_PEAKS_AHEAD) {
                let reach = core_radius(ahead).ceil() as usize + fine.reach();
                prefetch_square(&d.data, width, (ahead.x, ahead.y), reach);
            }
            blobs::disc_mean(
                |x, y| fine.at(x, y),
                (d.width, d.height),
                (c.x, c.y),
                core_radius(c),
            )
        })
        .collect();
    let seeds: Vec<(usize, usize, f32)> = peaks
        .iter()
        .map(|c| (c.x, c.y, flood.get(c.x, c.y)))
        .collect();
    stage_done("dots: hair-line test, cores");
    let found = Seeds {
        peaks,
        on_hair_line,
        cores,
        seeds,
        flood,
    };
    (found, labels_buffer)
}

/// The dot finder from its watershed on: territories flooded from `seeds` into
/// `labels_buffer`'s allocation, half-maximum outlines blurred from `outline_source`, hairs set
/// aside, each dot's area and centroid.
fn territories(
    seeds: Seeds,
    outline_source: OutlineSource,
    labels_buffer: Vec<f32>,
    diameter_px: f32,
    px_per_mm: Option<f32>,
) -> DotMap {
    let Seeds {
        peaks,
        on_hair_line,
        cores,
        seeds,
        flood,
    } = seeds;
    let (width, n) = (flood.width, peaks.len());
    let mut labels = watershed::watershed(
        &flood,
        &seeds,
        0.5 * HALF_MAX * MIN_PEAK_DARKNESS,
        labels_buffer,
    );
    stage_done("dots: watershed");
    let mut outlined: Vec<bool> = crate::pages::zeroed_populated(labels.len());
    let outline_row = |y: usize, fine_row: &[f32], out: &mut [bool]| {
        let label_row = &labels[y * width..(y + 1) * width];
        for ((o, &l), &v) in out.iter_mut().zip(label_row).zip(fine_row) {
            *o = l != 0 && v >= HALF_MAX * cores[l as usize - 1];
        }
    };
    match outline_source {
        OutlineSource::Stored(d) => {
            d.gaussian_blur_rows(OUTLINE_SIGMA_PX, &mut outlined, outline_row)
        }
        OutlineSource::Computed(size, rows) => crate::plane::gaussian_blur_rows_of(
            size,
            rows,
            OUTLINE_SIGMA_PX,
            &mut outlined,
            outline_row,
        ),
    }
    // Of the lightly smoothed plane only the values under the outlines are needed from here on
    // (the centroid weights): kept in raster order in the plane's own buffer, the rest of it
    // freed (collected into a fresh vector, they and its pieces were ≈ 11 + 11 MiB at the
    // peak of memory, 24 MP).
    let flood_on_outline = crate::mask::keep_flagged(flood.data, &outlined);
    stage_done("dots: outlines");

    // Thin pieces are hairs; hair arms are cut off the dots they cross.
    let centres: Vec<usize> = peaks.iter().map(|c| c.y * width + c.x).collect();
    let components = outline::Components::of(&outlined, width);
    let networks = outline::networks(&outlined, &components, &centres);
    let inside = outline::inside_distance(&labels, &outlined, &components);
    stage_done("dots: networks, inside distances");
    // Each territory's own half-width: its fattest point (opening, compactness, the typical dot).
    let own_width = judge::own_half_widths(&components, &inside, &labels, n);
    let judge = judge::Judge::new(own_width, &networks, &peaks, diameter_px, px_per_mm);
    let mut keep = judge.may_be_dot(&networks, &peaks, &on_hair_line);
    let radii = judge.opening_radii(&on_hair_line);
    let opened = outline::open(&labels, &outlined, &components, inside, &radii);
    stage_done("dots: opening");
    drop(components);

    // Area, centroid and shape of what remains.
    let shapes = shapes::shapes(&labels, &outlined, &opened, &flood_on_outline, width, n);
    drop(flood_on_outline);
    judge.drop_misshapen(&mut keep, &shapes);

    // Both masks in one pass over the rows, in place: `opened` becomes the covered mask and
    // `outlined` the hair mask (two fresh 1 B/px masks cost their page faults, ≈ 50 ms of CPU
    // on a 24 MP photo). Only the opened pixels change either (a pixel not opened is not
    // covered, and stays hair or not): their runs are found 16 flags at a time, and only their
    // labels read (reading every label, a 4 B/px plane, the pass took 29 ms on two threads).
    let (mut covered, mut hair) = (opened, outlined);
    covered
        .par_chunks_mut(width)
        .zip(hair.par_chunks_mut(width))
        .enumerate()
        .for_each_init(Vec::new, |runs, (y, (covered_row, hair_row))| {
            runs.clear();
            crate::mask::for_each_set_run(covered_row, |xs| runs.push(xs));
            let label_row = &labels[y * width..(y + 1) * width];
            for xs in runs.drain(..) {
                for x in xs {
                    // (Opened pixels are outlined ones, and outlined pixels are labelled.)
                    let kept = keep[label_row[x] as usize - 1];
                    covered_row[x] = kept;
                    hair_row[x] = hair_row[x] && !kept;
                }
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
mod tests;

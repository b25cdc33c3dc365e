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
//!    full-width-at-half-maximum outline, which blur and exposure leave in place). A round
//!    candidate on a hair line whose disc is clearly less dark beside the hair than at its core
//!    is a faint dot that a darker hair crosses: its core is read beside the hair
//!    ([`CROSSED_DOT_CORE_QUANTILE`], [`CROSSED_DOT_MAX_RATIO`]), and it counts only clear of
//!    the kept dots (else it joins the nearest as a piece of it, [`CROSSED_DOT_CLEARANCE`]).
//! 5. Hairs are thin: a territory whose widest inscribed disc is far narrower than the typical
//!    dot's is a hair or stubble piece, and an opening at half a dot's inscribed radius (on a
//!    hair line at least a hair's half-width) cuts the arms of hairs crossing it (`judge`).
//!    What the opening shaves off a dot beside its opened outline and off the hair lines is
//!    the ragged fringe of its edge, and still covered by it ([`FRINGE_OPENING_RADII`]).
//! 6. A dot that noise gave two summits, cut in two by the watershed, still has one
//!    disc-shaped outline whose middle none of its pieces reaches: it is counted once
//!    ([`MAX_SPLIT_AREA_PER_DISC`], [`MAX_SPLIT_OWN_FRACTION`], `split`).
//!    A bump on a soft dot's flank, a maximum of its own under noise whose territory is a
//!    sliver of the dot's rim, is part of that dot too ([`MAX_FLANK_OWN_FRACTION`],
//!    [`MAX_FLANK_REACH`]).

mod atomic_view;
mod bits;
mod blobs;
mod components;
mod crossed;
mod finder;
mod flood;
mod groups;
mod judge;
mod noise;
mod outline;
mod pieces;
mod ridges;
mod shapes;
mod split;
mod thickness;
mod watershed;

pub use blobs::count_blob_candidates;
pub use finder::{find_dots, find_dots_releasing, find_dots_reusing};
pub use noise::{skin_noise, NoiseHistogram, NOISE_HISTOGRAM_BINS, NOISE_HISTOGRAM_STEP};
pub(crate) use thickness::Blobs;

pub(crate) use components::component_members;

/// Laplacian-of-Gaussian scale in dot diameters: σ = r/√2 answers most strongly at the centre
/// of a disc of radius r.
pub const BLOB_SIGMA_DIAMETERS: f32 = 0.353_553_4;
/// Scales searched, as multiples of the estimated dot diameter: dots in one photo range from
/// about half to twice the typical size (fresh touch-ups next to blown-out dots).
pub const BLOB_SCALES: [f32; 5] = [0.55, 0.75, 1.0, 1.4, 2.0];
/// The diameter (px) of the largest dots sought in a photo whose typical dot is `diameter_px`
/// across: the last of [`BLOB_SCALES`] times it.
pub(crate) fn largest_dot_px(diameter_px: f32) -> f32 {
    diameter_px * BLOB_SCALES[BLOB_SCALES.len() - 1]
}
/// The blob scales up to this one (in [`BLOB_SCALES`]) are searched finely: at every pixel, or
/// on a grid of at least [`FINE_GRID_STEPS_PER_SIGMA`] steps per σ where dots are large in
/// pixels. They tell touching dots apart, and at those scales the maxima of two dots'
/// responses lie within a dot diameter of each other, the lesser often a mere shoulder of the
/// greater, which a coarser grid of samples can miss (searched on grids of 2 steps per σ, they
/// lost up to 4% of the blown-out dots of `examples/accuracy`; of 4 steps per σ, 2%). Scales
/// above it find the larger dots, whose maxima stand apart.
pub const MAX_FINE_SEARCH_BLOB_SCALE: f32 = 1.0;
/// A blob scale up to [`MAX_FINE_SEARCH_BLOB_SCALE`] is searched on a grid of every `step`-th
/// pixel of its smoothed plane, `step` the largest power of two leaving at least this many
/// grid steps per σ (px) of its Gaussian: every pixel below σ = 16 px, so at every pixel for
/// dots up to ≈ 80 px across (0.8 mm at 100 px/mm), where the search at every pixel was
/// validated. The grid then resolves a blob's response as finely as every pixel resolves it
/// at σ = 8 px (its 5-point Laplacian errs by ≈ 1/(12·8²), a tenth of a percent), and costs
/// a quarter or less of the search at every pixel (`examples/accuracy`, against every pixel:
/// the count error of the blown-out scenes at 50 and 100 px/mm 1.1 → 0.9% and 2.3 → 0.8%,
/// the scenes at 25 px/mm and below unchanged).
pub const FINE_GRID_STEPS_PER_SIGMA: f32 = 8.0;
/// A blob scale above [`MAX_FINE_SEARCH_BLOB_SCALE`] is searched on a grid of every `step`-th
/// pixel of its smoothed plane, `step` the largest power of two leaving at least this many
/// grid steps per σ (px) of its Gaussian (see [`blob_grid_step`]). At 2 steps per σ the
/// Gaussian passes under 3·10⁻⁹ of any frequency the grid cannot hold (e^(−2π²) at its
/// Nyquist frequency): the grid samples the smoothed plane without aliasing. The grid's
/// 5-point Laplacian then errs by about 1/(12·2²) ≈ 2% on a blob of that scale, as it does at
/// every pixel on the finest scale of ≈ 10 px dots.
pub const BLOB_GRID_STEPS_PER_SIGMA: f32 = 2.0;
/// The grid step (px, a power of two) of the blob search at scale `factor` (one of
/// [`BLOB_SCALES`]) whose Gaussian has σ = `sigma` px: the largest step keeping at least
/// [`FINE_GRID_STEPS_PER_SIGMA`] steps per σ up to [`MAX_FINE_SEARCH_BLOB_SCALE`] (1, every
/// pixel, below σ = 16 px), above it at least [`BLOB_GRID_STEPS_PER_SIGMA`] (1 below σ = 4
/// px); at most [`MAX_BLOB_GRID_STEP`] (also for an infinite σ; 1 for NaN).
pub fn blob_grid_step(factor: f32, sigma: f32) -> usize {
    if factor <= MAX_FINE_SEARCH_BLOB_SCALE {
        grid_step_keeping(sigma, FINE_GRID_STEPS_PER_SIGMA)
    } else {
        unaliased_grid_step(sigma)
    }
}
/// The largest power of two (px) leaving at least [`BLOB_GRID_STEPS_PER_SIGMA`] steps per σ
/// (px) of a Gaussian: a grid of that step samples a plane smoothed at σ without aliasing (1
/// below σ = 4 px; at most [`MAX_BLOB_GRID_STEP`], also for an infinite σ; 1 for NaN).
pub fn unaliased_grid_step(sigma: f32) -> usize {
    grid_step_keeping(sigma, BLOB_GRID_STEPS_PER_SIGMA)
}
/// The largest power of two (px), at most [`MAX_BLOB_GRID_STEP`], leaving at least `per_sigma`
/// steps per σ = `sigma` px (1 for NaN).
fn grid_step_keeping(sigma: f32, per_sigma: f32) -> usize {
    let mut step = 1;
    while step < MAX_BLOB_GRID_STEP && sigma >= (2 * step) as f32 * per_sigma {
        step *= 2;
    }
    step
}
/// Largest grid step of the blob and hair-line searches (px): a bound for absurd σ from a caller of
/// [`find_dots`] (no photo is 2³⁰ px across; [`crate::measure`] never comes near it).
pub const MAX_BLOB_GRID_STEP: usize = 1 << 30;
/// Light smoothing of D for the watershed, in dot diameters (noise off, dips between dots kept).
pub const FLOOD_SIGMA_DIAMETERS: f32 = 0.12;
/// Darkness below which the watershed never floods (half of half the faintest dot's peak):
/// the territories end there. Its watershed level is at least 1, so the flood plane's levels
/// alone tell the pixels below it from those at or above it (see `watershed`).
pub const FLOOD_FLOOR: f32 = 0.5 * HALF_MAX * MIN_PEAK_DARKNESS;
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
/// dots have centres about one diameter apart. (Unless the stronger one answers to a cluster of
/// touching dots: see [`CLUSTER_PART_RESPONSE`].)
pub const NMS_RADIUS_DIAMETERS: f32 = 0.5;
/// A blob candidate is a cluster of touching dots, and suppresses none of them, when at least
/// two round candidates at finer scales within its suppression radius answer at least this
/// fraction as strongly and lie too far apart to be one dot (see `blobs::clusters`; where hairs
/// are resolved, and no hair line crosses it). A cluster's parts answer at 0.87–0.97 of its
/// response; a single dot's rim at about a third of its own, an irregular dot's two ends at
/// 0.71–0.76.
pub const CLUSTER_PART_RESPONSE: f32 = 0.8;
/// Two parts of a cluster (see [`CLUSTER_PART_RESPONSE`]) lie at least this many of the larger
/// one's diameters apart: touching dots' parts lie 0.68–0.73 of a diameter apart, while a
/// single irregular dot's two ends answer a finer scale about half a diameter apart. It must
/// exceed [`NMS_RADIUS_DIAMETERS`]: parts closer than that would suppress each other once the
/// cluster's candidate is dropped, and the cluster would count as one dot again.
pub const CLUSTER_PART_SEPARATION: f32 = 0.65;
const _: () = assert!(CLUSTER_PART_SEPARATION > NMS_RADIUS_DIAMETERS);
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
/// may still be a hair. For the same reason a ridge on a hair line must be at least this wide to
/// be a dot (under ≈ 23 px/mm, where the widest hair, [`HAIR_HALF_WIDTH_MM`], is fewer pixels),
/// and only where the widest hair spans this many pixels is a faint dot read beside a hair
/// crossing it (`crossed`).
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
/// The opening keeps hair arms off a dot, but it also shaves what is no hair: the ragged
/// fringe that noise gives a soft edge (an opening removes the protrusions and never fills the
/// matching intrusions) and the corners that the watershed's cut leaves where dots touch. With
/// the hair lines known (a scale), an outlined pixel of a kept dot that the opening removed is
/// still covered by the dot when it lies off every hair line and within this many opening
/// radii of the opened dot, along the outline: blown-out dots on dark skin read up to 5.6 pp
/// (of 26%) low without it. Beyond that a hair that no line was traced along stays hair.
/// (Coverage and each dot's area: its centre and shape remain its opened outline's.) On
/// `examples/accuracy`, coverage's worst error with 0 (none kept), 1 and unbounded radii:
/// 5.58, 1.65 and 1.59 pp; unbounded, a hair not traced would be the dot's all along its
/// territory.
pub const FRINGE_OPENING_RADII: f32 = 1.0;
/// A dot whose (opened) outline is more elongated than this (ratio of the principal axes), and
/// not wider than any stubble (see [`FAT_HALF_WIDTH_MM`]), is a stretch of stubble, not a dot.
/// Elliptical dots reach ≈ 1.5, two merged dots ≈ 2.
pub const MAX_ELONGATION: f32 = 3.0;
/// Denoising blur (px) of the plane on which outlines are drawn, at least: enough to calm sensor
/// noise on dark skin, small enough to move the half-maximum contour of a 4 px-radius dot by
/// < 0.1 px. Dots larger than ≈ 14 px get more (see [`OUTLINE_SIGMA_DIAMETERS`]).
pub const OUTLINE_SIGMA_PX: f32 = 0.7;
/// The outline plane's denoising blur grows with the typical dot: this fraction of its diameter
/// (px), from [`OUTLINE_SIGMA_PX`] (dots up to ≈ 23 px across) up to [`MAX_OUTLINE_SIGMA_PX`].
/// A blur of σ moves a disc's half-maximum contour in by σ²/2r (0.2% of its radius here) and
/// takes π σ² of its area (0.4%), which the outline pull returns (see [`OUTLINE_PULL_PX`]).
/// Left at 0.7 px on a close-up, the noise frays a soft edge, and the opening shaves what the
/// noise frays without filling the matching dents: blown-out dots (0.6–1.2 mm) on type VI skin
/// at 100 px/mm read 1–2 pp of their 25% coverage low under a phone's noise, 6–10 pp at twice
/// it (−1.4…+1.1 pp with this). At 0.04, stubble crossing healed dots at 100 px/mm kept
/// pieces wide enough to count (76 dots → 82).
pub const OUTLINE_SIGMA_DIAMETERS: f32 = 0.03;
/// The outline plane's denoising blur, at most (px): the cores read that plane a pixel at a
/// time, each read a (2⌈3σ⌉ + 1)² window (169 px here); dots 67 px across and more get this.
pub const MAX_OUTLINE_SIGMA_PX: f32 = 2.0;

/// The denoising blur (px) of the plane on which the outlines of dots about `diameter_px`
/// across are drawn: [`OUTLINE_SIGMA_DIAMETERS`] of it, within [`OUTLINE_SIGMA_PX`] and
/// [`MAX_OUTLINE_SIGMA_PX`] ([`OUTLINE_SIGMA_PX`] for a NaN diameter).
pub fn outline_sigma_px(diameter_px: f32) -> f32 {
    // `max` before `min`, not `clamp`: a NaN diameter gets the least blur, not a NaN one.
    #[allow(clippy::manual_clamp)]
    (OUTLINE_SIGMA_DIAMETERS * diameter_px)
        .max(OUTLINE_SIGMA_PX)
        .min(MAX_OUTLINE_SIGMA_PX)
}

/// The area (px²) that an outline blur of `sigma` px pulls inside each separate piece of
/// pigment's half-maximum outline: π σ² (see [`OUTLINE_PULL_PX`]).
pub fn outline_pull_px(sigma: f32) -> f32 {
    std::f32::consts::PI * sigma * sigma
}
/// Area (px²) that the outline plane's least denoising blur ([`OUTLINE_SIGMA_PX`], σ) pulls
/// inside the half-maximum outline of each separate piece of pigment: π σ² (1.54 px² at
/// σ = 0.7 px). A Gaussian blur moves a curved outline inwards by σ²/2 times its curvature
/// (1/r on a disc of radius r) where the edge's profile is symmetric about its half-maximum
/// (a blurred step, or a dot whose pigment thins out evenly), and the curvature along a closed outline around a
/// piece without holes totals 2π, whatever its shape (its tangent turns once): the area lost is
/// π σ² for a small disc or a large one, an ellipse or the outline of a touching cluster. (A
/// piece with a hole, a ring of dots around skin, gets π σ² back on the hole's outline; a piece
/// cut by the photo's edge turns less: both are rare among dots, and not told apart here.) Each piece's kept dots share it back in their areas and
/// the coverage (see [`FoundDot::outline_pull_px`]). Left in, it read coverage low by
/// 2.6% of dots 0.35 mm across at 25 px/mm (0.65% at 50, 7.1% at 15 px/mm).
///
/// The camera's own blur pulls outlines inwards the same way, by π σ² for its σ, which no
/// photo tells apart from the dots' own soft edges: it is not returned (see the README).
pub const OUTLINE_PULL_PX: f32 = std::f32::consts::PI * OUTLINE_SIGMA_PX * OUTLINE_SIGMA_PX;
/// A dot nearly fills its widest inscribed disc (area ≈ 1–1.5 × that disc; two merged dots
/// ≈ 2×). A piece spreading more than this many times that disc along arms — two hairs
/// crossing, stubble lying on a hair — is hair, unless fat (see [`FAT_HALF_WIDTH_MM`]).
pub const MAX_AREA_PER_INSCRIBED_DISC: f64 = 3.0;
/// A connected network of dark pixels whose fattest point is under [`FAT_HALF_WIDTH_MM`] (and
/// [`MIN_FAT_HALF_WIDTH_PX`]; with a scale) or under this fraction of the typical dot's half-width (without one), and which spreads
/// over more than [`MAX_AREA_PER_INSCRIBED_DISC`] times that inscribed disc, is hair as a whole.
pub const MAX_NETWORK_HALF_WIDTH_RATIO: f32 = 0.8;
/// An outline network holding two or more kept dots is one dot split in two (by noise raising
/// two summits on it, see `split`) only if its area is at most this many times its inscribed
/// disc: one dot fills 1–1.3 times it (a disc, an ellipse of aspect 1.3), two equal dots whose
/// centres lie 0.35 of a diameter apart 1.44 times, a radius apart 1.61, touching 2; a dot
/// half as wide touching a larger one adds a quarter. Under noise (`examples/noise_sweep`, 3× a
/// phone's noise on type VI skin at 50 px/mm) the split dots' networks read 1.08–1.38.
pub const MAX_SPLIT_AREA_PER_DISC: f64 = 1.4;
/// … and only if no kept territory in it reaches this fraction of the network's fattest
/// half-width (its own inscribed radius, within its territory): a territory holding a whole dot
/// reaches its middle (1), one beside a smaller dot too; the halves of a dot cut through its
/// middle reach half of it, and of two equal dots a radius apart each reaches 0.75.
pub const MAX_SPLIT_OWN_FRACTION: f32 = 0.75;
/// … and only if its fattest point lies at least this far (px) from its edge: in smaller
/// outlines the chamfer distances, whole and half pixels, cannot tell a half disc from a whole
/// one (at 15 px/mm a fine dot's whole network reads 1.5 px, its pieces 1.5 too).
pub const MIN_SPLIT_RADIUS_PX: f32 = 3.0;
/// A kept territory whose own half-width is at most this fraction of the radius its blob scale
/// answered at (half its candidate's diameter) may be a bump on a neighbouring dot's flank
/// (see `split::pieces_on_flanks`): a dot holds most of its own disc, while the halo bumps of
/// soft, blown-out dots under noise, maxima whose blob answer the neighbour's mass makes, hold
/// a sliver of its rim (0.03–0.33 on type V–VI skin at 15–50 px/mm under 1.5–3× a phone's
/// noise). So does a small crisp dot overlapping a larger one, whose territory the larger
/// one's flood takes most of (0.33–0.42 on the OpenCV peer's clusters): the reach below tells
/// them apart.
pub const MAX_FLANK_OWN_FRACTION: f32 = 0.45;
/// … and only if its peak lies within this many of the neighbour's own half-widths of the
/// neighbour's peak, on its rim. Halo bumps lie 0.92–1.36 of it away (most under 1.2); a
/// small dot overlapping a larger one, whose centre lies outside the larger one's disc, 1.1–1.5
/// (most over 1.3: on the peer's 24 MP photo a reach of 1.2 takes 20 of its 20 000 dots for
/// bumps, 1.5 took 253).
pub const MAX_FLANK_REACH: f32 = 1.2;
/// With a known scale, a candidate whose core (a disc of [`HAIR_CORE_DIAMETERS`] of its own
/// diameter) lies at least this much on a hair line (see `dots/ridges/`) is a hair crossing or a
/// clump on a hair, not a dot. A dot at least about as dark as the hair crossing it keeps most
/// of its core off the line, which is only where the hair has skin beside it; over a fainter
/// dot the line is traced whole (see `crossed`).
pub const MAX_HAIR_LINE_FRACTION: f32 = 0.5;
/// Radius of the core judged by [`MAX_HAIR_LINE_FRACTION`], in the candidate's diameters
/// (min 1 px).
pub const HAIR_CORE_DIAMETERS: f32 = 0.25;
/// The radius (px) of the hair-line disc of a candidate or dot `diameter_px` across:
/// [`HAIR_CORE_DIAMETERS`] of it, at least 1 px. The hair-line test reads it, a dot that a
/// hair crosses is read beside the hair over it (`crossed`), and sampled over it too.
pub(crate) fn hair_line_disc_radius(diameter_px: f32) -> f32 {
    (HAIR_CORE_DIAMETERS * diameter_px).max(1.0)
}
/// A pixel belongs to a dot's outline when its darkness is at least this fraction of the dot's
/// core darkness (half maximum).
pub const HALF_MAX: f32 = 0.5;
/// A round candidate on a hair line takes as its core darkness this quantile of its hair-line
/// disc when clearly lower ([`CROSSED_DOT_MAX_RATIO`]; see `crossed`): a faint dot's pixels
/// beside the darker hair crossing it, not the hair's.
pub const CROSSED_DOT_CORE_QUANTILE: f32 = 0.1;
/// A round candidate on a hair line is read as a faint dot that the hair crosses only when the
/// darkness beside the hair is under this fraction of its core's: a dot at least 3/4 as dark
/// as the hair is outlined at the hair's half-maximum (at most 2/3 of its own) nearly whole.
pub const CROSSED_DOT_MAX_RATIO: f32 = 0.75;
/// A territory whose core was read beside a hair counts as a dot only if its centroid lies at
/// least this many times the sum of its and a kept dot's equivalent radii from that dot's: the
/// two halves of a disc cut through its centre lie 0.6 times apart, an eighth cut off its side
/// 0.69 times, a twentieth 0.77 times; touching dots lie 1 time apart.
pub const CROSSED_DOT_CLEARANCE: f64 = 0.85;
/// The core over which a dot's darkness is averaged, as a radius in dot diameters (min 0.5 px).
pub const CORE_RADIUS_DIAMETERS: f32 = 0.12;
/// Skin ring around a dot: from this many dot radii …
pub const RING_INNER_RADII: f32 = 1.5;
/// … to this many.
pub const RING_OUTER_RADII: f32 = 2.5;
/// Fewer skin pixels than this in the ring and the ring is widened, then the skin field is used.
pub const MIN_RING_PIXELS: usize = 8;
/// Skin ring pixels darker than this (darkness vs. the skin field, of the photo denoised at
/// σ = [`crate::flatten::EXCLUDE_DENOISE_PX`]) are hair, pores or a dot's blurred edge: left
/// out. Judged on the denoised photo, so that sensor noise does not decide (see
/// `crate::measure`'s sampling).
pub const RING_EXCLUDE_DARKNESS: f32 = 0.08;

/// A found dot, in the coordinates of the plane it was found in (px, pixel centres at i + 0.5).
#[derive(Clone, Debug, PartialEq)]
pub struct FoundDot {
    /// Centre x (px), darkness-weighted centroid of the dot's opened outline (unweighted where
    /// no pixel of it is measurably darker than the skin; the centre of its peak pixel when it
    /// has no pixel). For a dot joined by pieces a hair cut off it (see `crossed`), the mean
    /// of their centroids and its own weighted by their opened areas.
    pub x: f64,
    /// Centre y (px).
    pub y: f64,
    /// Pixels within the dot's half-maximum outline once opened, with the fringe that its cover
    /// keeps (see [`FRINGE_OPENING_RADII`]): its `Cover::Dot` pixels (px²).
    pub area_px: u32,
    /// The dot's share of the area (px²) that the outline's denoising blur pulled inside its
    /// piece of pigment's half-maximum outline: [`OUTLINE_PULL_PX`] shared equally among the
    /// kept dots of that piece (the dots of a touching cluster share one outline). Its true
    /// area is about `area_px` plus this.
    pub outline_pull_px: f32,
    /// Mean darkness D over the core (0..1); for a faint dot that a darker hair crosses, D
    /// beside the hair ([`CROSSED_DOT_CORE_QUANTILE`] of its hair-line disc).
    pub core_darkness: f32,
    /// Whether its core darkness was read beside a darker hair crossing it (see
    /// `core_darkness`): its peak lies on the hair, so its colour is sampled beside it too.
    pub beside_hair: bool,
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
    /// Per pixel: 0 for no dot, else 1 + index into `dots` of the territory it was flooded into
    /// (or of the dot that territory is part of, for a piece a hair cut off a dot).
    pub labels: Vec<u32>,
    /// Per pixel: what covers it, a dot or hair (1 B/px: one mask for both; two masks held a
    /// 24 MB mask more of a 24 MP photo at the peak of memory).
    pub cover: Vec<Cover>,
}

/// What covers a pixel of a [`DotMap`]. (Each cover but `Bare` has a bit of its own.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Cover {
    /// Neither a dot nor hair: skin, or pixels outside every dot's half-maximum outline.
    #[default]
    Bare = 0,
    /// Inside a dot's half-maximum outline: covered by pigment.
    Dot = 1,
    /// Part of a thin dark structure set aside as hair or stubble.
    Hair = 2,
}

// Counting a mask's dot and hair pixels and stepping over words without some cover read each
// cover but `Bare` as a bit of its own (`crate::measure`, `crate::mask`).
const _: () = assert!(
    Cover::Bare as u8 == 0
        && (Cover::Dot as u8).is_power_of_two()
        && (Cover::Hair as u8).is_power_of_two()
        && Cover::Dot as u8 != Cover::Hair as u8
);

// SAFETY: `Cover` is a fieldless `repr(u8)` enum: every value is one initialised byte, with
// no padding. (Its masks' runs are found by reading 16 bytes at a time: `crate::mask`.)
unsafe impl bytemuck::NoUninit for Cover {}

impl Cover {
    /// The cover whose discriminant is `code` (`code as Cover`): [`Cover::Bare`] for any code
    /// that is no cover's.
    pub fn from_code(code: u8) -> Cover {
        match code {
            1 => Cover::Dot,
            2 => Cover::Hair,
            _ => Cover::Bare,
        }
    }
}

/// Full-size buffers a caller is done with, lent to [`find_dots_reusing`]; their values do not
/// matter.
#[derive(Clone, Debug, Default)]
pub struct SpareBuffers {
    /// Becomes the buffer of [`DotMap::labels`] (4 B/px) when its capacity holds a value per
    /// pixel of the plane; before that, its bytes hold the hair lines' 1 B/px scratch when its
    /// length holds a byte per pixel.
    pub labels: Vec<f32>,
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

/// [`component_shapes`] of a mask of bytes (a pixel is in it when its byte is not 0), its rows
/// read a word at a time where no byte is set.
pub fn component_shapes_in_mask(mask: &[u8], width: usize) -> Vec<(u32, u32, u32)> {
    components::RunComponents::find_in_mask(mask, width, true).shapes()
}

#[cfg(test)]
mod tests;

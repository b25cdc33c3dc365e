//! The typical dot size, measured before anything else: the compact blobs of pigment in a
//! lightly blurred darkness, their area-weighted median, where dense work's dots grown together
//! count as the dots they part into. The blurred darkness is never stored: only the mask of
//! its pigment's levels (1 B/px) is, beside the noise of its skin.

use std::sync::Mutex;

use rayon::prelude::*;

use super::{
    MAX_SIZING_BLUR_PX, SIZING_BLUR_PX, SIZING_CLUSTER_DISCS, SIZING_DARKNESS,
    SIZING_GROUP_MIN_DOTS, SIZING_LEVELS, SIZING_MAX_EXTENT_RATIO, SIZING_MAX_NOISE_RISE,
    SIZING_MIN_DOT_SHARE, SIZING_NOISE_SIGMAS,
};
use crate::dots::{self, NoiseHistogram};
use crate::flatten::SkinField;
use crate::plane::{Plane, Rows};

/// Typical dot diameter (px) in `y`: the equivalent diameter of the compact pigment blob that a
/// random pigment pixel belongs to (area-weighted median), from a coarse skin field with `block` px
/// blocks, after a 1 px denoising blur. Weighting by area keeps specks of sensor noise (common on
/// dark skin, where 8-bit shadows are coarse) from passing for dots. `calm` is
/// [`SkinField::calm`] of `y`. Blobs larger than a disc `largest` px across (the largest dot
/// sought, when the scale makes it known) are no dots (a mole, a scar, a tattooed patch) and
/// are left out: weighted by area, two 5 mm patches among healed dots at 15 px/mm held half
/// the pigment and sized the filters for 1.5 mm dots, which lost three dots in five. Unless
/// the blobs left hold under [`SIZING_MIN_DOT_SHARE`] of the compact pigment: then the region
/// is mostly pigment of another kind (a tattoo's bars, or its lines), with few dots or none to
/// size, and it is sized from all the compact blobs as before: filters sized for its width
/// count no crossing hairs beside it as dots. (The session is warned of solid pigment where
/// squares of it are covered or dots lie on its lines: see `solid` and `lines`.) `None` when
/// there is no pigment.
///
/// Dense work (500–800 dots per cm²) grows its dots together in the photo's blur: groups of
/// many dots, one blob each at the threshold, would size the filters for dots several times too
/// large. When the blob that sizes the dots by area is a group (see [`group_dot_diameter`]:
/// it parts into [`SIZING_GROUP_MIN_DOTS`] or more at the darker [`SIZING_LEVELS`], where the
/// skin between its dots shows), every group counts as its dots, and the dots are sized again;
/// otherwise each blob counts as one, as in sparser work.
///
/// Pigment is the darkness blurred by [`SIZING_BLUR_PX`] at or above [`SIZING_DARKNESS`], or
/// [`SIZING_NOISE_SIGMAS`] times the skin's noise there (the robust σ of the blurred darkness
/// on skin) where that is higher, up to [`SIZING_MAX_NOISE_RISE`] × [`SIZING_DARKNESS`]. On
/// skin noisier still, the darkness is blurred wider until white noise would fall to that
/// reach (at most [`MAX_SIZING_BLUR_PX`]), and pigment is what reaches it, or
/// [`SIZING_NOISE_SIGMAS`] times the noise measured at that blur where that is higher. The
/// darkness is blurred as it is computed, row by row, and never stored: its pixels' levels
/// (how many of [`SIZING_LEVELS`] × the threshold they reach) are marked as the rows pass,
/// with the noise's histogram; only on noisy skin is it blurred a second time (and a third
/// where the noise at the wider blur is more than white noise's).
pub(super) fn estimate_dot_diameter(
    y: &impl Rows,
    calm: &Plane,
    block: usize,
    largest: Option<f64>,
) -> Sizing {
    dot_diameter_over(y, calm, block, SIZING_DARKNESS, largest)
}

/// What the sizing measured: the typical dot and the noise of the skin it was told from.
#[derive(Clone, Copy, Debug)]
pub(super) struct Sizing {
    /// The typical dot diameter (px), `None` when there is no pigment.
    pub diameter_px: Option<f64>,
    /// The skin's noise: the robust σ of the darkness (fraction of the skin's luminance) on
    /// skin after the [`SIZING_BLUR_PX`] denoising blur (see [`dots::skin_noise`]).
    pub skin_noise: f32,
}

/// [`estimate_dot_diameter`] with `floor` (darkness) in place of [`SIZING_DARKNESS`].
fn dot_diameter_over(
    y: &impl Rows,
    calm: &Plane,
    block: usize,
    floor: f32,
    largest: Option<f64>,
) -> Sizing {
    let field = SkinField::estimate_with_calm(y, calm, block);
    let (width, height) = y.size();
    let rows = field.darkness_rows(y);
    // A 1 B/px mask of the pixels' levels, 0 below the floor (a byte per pixel: its rows are
    // read a word at a time, below).
    let mut pigment = vec![0u8; width * height];
    // The pixels' levels over `threshold` in the darkness blurred at `sigma` (px), marked in
    // `pigment` as the rows are blurred; the skin's noise there when `measure_noise` (from
    // histograms, one per row being blurred at once, taken from a pool and put back: their
    // counts are whole numbers, merged in any order, the same noise), else 0.
    let mark = |sigma: f32, threshold: f32, pigment: &mut [u8], measure_noise: bool| {
        let pool: Mutex<Vec<NoiseHistogram>> = Mutex::new(Vec::new());
        crate::plane::gaussian_blur_rows_of(
            (width, height),
            &rows,
            sigma,
            pigment,
            |_, row, out| {
                if measure_noise {
                    let taken = pool.lock().map(|mut pool| pool.pop()).ok().flatten();
                    let mut histogram = taken.unwrap_or_default();
                    histogram.add_row(row);
                    if let Ok(mut pool) = pool.lock() {
                        pool.push(histogram);
                    }
                }
                for (o, &v) in out.iter_mut().zip(row) {
                    *o = SIZING_LEVELS
                        .iter()
                        .map(|&level| u8::from(v >= level * threshold))
                        .sum();
                }
            },
        );
        (pool.into_inner().unwrap_or_default().into_iter())
            .fold(NoiseHistogram::new(), NoiseHistogram::merged)
            .robust_sigma()
    };
    let noise = mark(SIZING_BLUR_PX, floor, &mut pigment, true);
    if SIZING_NOISE_SIGMAS * noise > floor {
        // The noise sets the threshold above the floor, and cuts a soft dot's edge higher up:
        // up to SIZING_MAX_NOISE_RISE × the floor, as it always did; beyond, the noisiest
        // photos sized blown-out and healed dots a quarter to a third small (and the finder,
        // tuned to them, split them). There the darkness is blurred wider instead, by as much
        // as white noise needs to fall to that reach (as 1/σ): the dots lose far less of their
        // size. The noise is measured again at that blur, and only where texture or correlated
        // noise fell less than white noise does the threshold rise further.
        let sigma = wider_sizing_blur_px(noise, floor);
        let expected = floor.max(SIZING_NOISE_SIGMAS * noise * SIZING_BLUR_PX / sigma);
        // At the same blur the noise is the one just measured: only a wider one is measured.
        let wider = sigma > SIZING_BLUR_PX;
        let wider_noise = mark(sigma, expected, &mut pigment, wider);
        let threshold = floor.max(SIZING_NOISE_SIGMAS * wider_noise);
        if wider && threshold > expected {
            mark(sigma, threshold, &mut pigment, false);
        }
    }
    Sizing {
        diameter_px: typical_diameter(&pigment, width, largest),
        skin_noise: noise,
    }
}

/// The sizing's blur (px) on skin whose noise after the [`SIZING_BLUR_PX`] blur is `noise`
/// (darkness), so that [`SIZING_NOISE_SIGMAS`] × the noise of white noise at that blur is at
/// most [`SIZING_MAX_NOISE_RISE`] × `floor`: [`SIZING_BLUR_PX`] on quiet skin, at most
/// [`MAX_SIZING_BLUR_PX`].
fn wider_sizing_blur_px(noise: f32, floor: f32) -> f32 {
    let needed = SIZING_BLUR_PX * SIZING_NOISE_SIGMAS * noise / (SIZING_MAX_NOISE_RISE * floor);
    // Not greater (NaN too): the blur as it is.
    if needed.partial_cmp(&SIZING_BLUR_PX) != Some(std::cmp::Ordering::Greater) {
        return SIZING_BLUR_PX;
    }
    needed.min(MAX_SIZING_BLUR_PX)
}

/// The typical dot diameter (px) from the `pigment` levels' mask (`width` px wide; see
/// [`estimate_dot_diameter`]); `None` without compact pigment.
fn typical_diameter(pigment: &[u8], width: usize, largest: Option<f64>) -> Option<f64> {
    // Compact blobs only: hairs and stubble can hold much of the dark area of a sparse scene.
    let is_compact = |area: u32, w: u32, h: u32| {
        let extent = f64::from(w.max(h));
        area >= 2 && extent * extent <= SIZING_MAX_EXTENT_RATIO * f64::from(area)
    };
    let found = dots::Blobs::in_mask(pigment, width);
    let compact: Vec<usize> = (found.shapes().iter().enumerate())
        .filter(|(_, &(area, w, h))| is_compact(area, w, h))
        .map(|(i, _)| i)
        .collect();
    let area = |i: usize| found.shapes()[i].0;
    let equivalent = |i: usize| equivalent_diameter(f64::from(area(i)));
    // Each compact blob sized by its area: its equivalent diameter (px).
    let by_area: Vec<(u32, f64, usize)> = compact
        .iter()
        .map(|&i| (area(i), equivalent(i), i))
        .collect();
    let (median, diameter) = median_blob(by_area, largest)?;
    // When the blob that sizes the dots by area is itself a group of dots grown together
    // (dense work, or a photo too coarse for the skin between its dots), every group sizes
    // them as the dots it parts into. Otherwise the sizing by area stands, a group of a few
    // touching dots as one blob: the finder's scales are tuned to that measure (in sparser
    // work such groups are few, and sizing them apart moved blown-out counts by up to 6%).
    let group = |i: usize| group_dot_diameter(&found, i);
    if group(median).is_none() {
        return Some(diameter);
    }
    let by_dots: Vec<(u32, f64, usize)> = compact
        .par_iter()
        .map(|&i| (area(i), group(i).unwrap_or_else(|| equivalent(i)), i))
        .collect();
    median_blob(by_dots, largest).map(|(_, diameter)| diameter)
}

/// The diameter (px) of the dots that blob `i` of `blobs` is a group of, if it is one: a blob
/// at least [`SIZING_CLUSTER_DISCS`] discs as wide as it is thick that parts into
/// [`SIZING_GROUP_MIN_DOTS`] or more pieces at one of the darker [`SIZING_LEVELS`], where the
/// skin between its dots shows. Its dots share its area, none wider than it is thick.
fn group_dot_diameter(blobs: &dots::Blobs, i: usize) -> Option<f64> {
    let (area, w, h) = blobs.shapes()[i];
    if !may_be_group(w, h) {
        return None;
    }
    let area = f64::from(area);
    let inscribed = f64::from(blobs.inscribed_px(i));
    let disc = std::f64::consts::FRAC_PI_4 * inscribed * inscribed;
    if area < SIZING_CLUSTER_DISCS * disc {
        return None;
    }
    let n = blobs.most_pieces(i);
    let equivalent = equivalent_diameter(area);
    (n >= SIZING_GROUP_MIN_DOTS).then(|| inscribed.min(equivalent / f64::from(n).sqrt()))
}

/// The diameter (px) of the disc of `area` px².
fn equivalent_diameter(area: f64) -> f64 {
    2.0 * (area / std::f64::consts::PI).sqrt()
}

/// The largest bounding box (px) a group of dots grown together is looked for in: 4 MP, a
/// hundred of the largest dots sought at 100 px/mm. Looking inside a blob takes 6 B per pixel
/// of its box; a whole photo of solid pigment would have taken 144 MB more at 24 MP.
const MAX_GROUP_BOX_PX: u64 = 1 << 22;

/// Whether a blob whose bounding box is `w` × `h` px may be a group of dots (see
/// [`MAX_GROUP_BOX_PX`]).
fn may_be_group(w: u32, h: u32) -> bool {
    u64::from(w) * u64::from(h) <= MAX_GROUP_BOX_PX
}

/// The blob a random pigment pixel belongs to, among `blobs` (pixels, diameter in px, an
/// index carried along), weighted by area: its index and diameter. Blobs wider than `largest`
/// px are left out unless those left hold under [`SIZING_MIN_DOT_SHARE`] of the pixels. None
/// without blobs.
fn median_blob(mut blobs: Vec<(u32, f64, usize)>, largest: Option<f64>) -> Option<(usize, f64)> {
    // No wider than the largest dot, unless those hold too little of the pigment to be the
    // dots.
    if let Some(largest) = largest {
        let total: u64 = blobs.iter().map(|&(a, _, _)| u64::from(a)).sum();
        let in_dots: u64 = (blobs.iter())
            .filter(|&&(_, d, _)| d <= largest)
            .map(|&(a, _, _)| u64::from(a))
            .sum();
        if in_dots as f64 >= SIZING_MIN_DOT_SHARE * total as f64 {
            blobs.retain(|&(_, d, _)| d <= largest);
        }
    }
    blobs.sort_unstable_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)).then(a.2.cmp(&b.2)));
    let total: u64 = blobs.iter().map(|&(a, _, _)| u64::from(a)).sum();
    let mut running = 0u64;
    let median = blobs.iter().find(|(a, _, _)| {
        running += u64::from(*a);
        2 * running >= total
    });
    median.or(blobs.last()).map(|&(_, d, i)| (i, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizing as it was when it stored the blurred darkness: the stored plane's noise (and,
    /// where that is over the floor's reach, the noise of the plane blurred wider), its pixels
    /// at the threshold, their compact blobs' area-weighted median; with the threshold and the
    /// noise after the first blur.
    fn sized_from_the_stored_plane(y: &Plane, block: usize, floor: f32) -> (Option<f64>, f32, f32) {
        let calm = SkinField::calm(y);
        let field = SkinField::estimate_with_calm(y, &calm, block);
        let blurred = |sigma: f32| {
            let mut d = Plane::default();
            crate::plane::gaussian_blur_of_into(y.size(), field.darkness_rows(y), sigma, &mut d);
            d
        };
        let d = blurred(SIZING_BLUR_PX);
        let noise = dots::skin_noise(&d);
        let (d, threshold) = if SIZING_NOISE_SIGMAS * noise > floor {
            let sigma = wider_sizing_blur_px(noise, floor);
            let wider = blurred(sigma);
            let expected = floor.max(SIZING_NOISE_SIGMAS * noise * SIZING_BLUR_PX / sigma);
            let threshold = expected.max(SIZING_NOISE_SIGMAS * dots::skin_noise(&wider));
            (wider, threshold)
        } else {
            (d, floor)
        };
        let mask: Vec<bool> = d.data.iter().map(|&v| v >= threshold).collect();
        let mut weighted: Vec<u32> = Vec::new();
        for (area, w, h) in dots::component_shapes(&mask, d.width) {
            let extent = f64::from(w.max(h));
            if area >= 2 && extent * extent <= SIZING_MAX_EXTENT_RATIO * f64::from(area) {
                // Each blob once per pixel: the median pixel's blob.
                weighted.extend(std::iter::repeat_n(area, area as usize));
            }
        }
        weighted.sort_unstable();
        let median = weighted.get((weighted.len().max(1) - 1) / 2).copied();
        let diameter = median.map(|a| equivalent_diameter(f64::from(a)));
        (diameter, threshold, noise)
    }

    /// Skin at 0.6 over `w` × `h` px, pigment at 0.2 where `dark(x, y, centre)` holds, `centre`
    /// being that of the pixel's cell of a 20 px grid.
    fn drawn(w: usize, h: usize, dark: impl Fn(f32, f32, (f32, f32)) -> bool) -> Plane {
        let mut y = Plane::filled(w, h, 0.6);
        for (i, v) in y.data.iter_mut().enumerate() {
            let (x, row) = ((i % w) as f32 + 0.5, (i / w) as f32 + 0.5);
            let centre = (
                (x / 20.0).floor() * 20.0 + 10.0,
                (row / 20.0).floor() * 20.0 + 10.0,
            );
            if dark(x, row, centre) {
                *v = 0.2;
            }
        }
        y
    }

    /// Luminance of skin at 0.6 with dark discs 9 px across, and noise of amplitude `noise`.
    fn scene(noise: f32) -> Plane {
        let mut y = drawn(160, 120, |x, y, (cx, cy)| (x - cx).hypot(y - cy) <= 4.5);
        let mut rng = crate::synth::SplitMix64::new(3);
        for v in &mut y.data {
            *v += rng.uniform(-f64::from(noise), f64::from(noise)) as f32;
        }
        y
    }

    /// Marked as the rows pass, and on noisy skin blurred wider (at a floor below 5 σ of the
    /// skin's noise: 0 here, or skin noisy enough for [`SIZING_DARKNESS`]'s reach), the sizing
    /// finds what it finds from the stored planes, and reports the noise after the first blur.
    /// At [`SIZING_DARKNESS`] the discs measure about 9 px across, as drawn, on quiet and on
    /// noisy skin: noise of ±0.25 on skin at 0.6 (σ 24% of it) reads 0.07 after the 1 px blur,
    /// whose 5 σ would have cut the discs at 0.35 instead of 0.2. (Noise of ±0.15, σ 14%, stays
    /// under [`SIZING_DARKNESS`]'s reach.)
    #[test]
    fn the_sizing_without_a_stored_plane_is_the_stored_planes() {
        for noise in [0.01, 0.15, 0.25] {
            let y = scene(noise);
            let calm = SkinField::calm(&y);
            for floor in [SIZING_DARKNESS, 0.0] {
                let (expected, threshold, first_noise) = sized_from_the_stored_plane(&y, 48, floor);
                let noisy = SIZING_NOISE_SIGMAS * first_noise > floor;
                let context = format!("noise {noise}, floor {floor}: threshold {threshold}");
                let sizing = dot_diameter_over(&y, &calm, 48, floor, None);
                assert_eq!(sizing.diameter_px, expected, "{context}");
                assert_eq!(sizing.skin_noise, first_noise, "{context}");
                if floor == SIZING_DARKNESS {
                    assert_eq!(noisy, noise > 0.2, "{context}: noise {first_noise}");
                    let d = expected.expect("dots found");
                    assert!((8.0..11.0).contains(&d), "{d} px, {context}");
                }
            }
        }
    }

    /// The wider blur: as wide as white noise needs to fall to [`SIZING_MAX_NOISE_RISE`] × the
    /// floor's reach, from [`SIZING_BLUR_PX`] (quiet skin, or a noise of NaN) to
    /// [`MAX_SIZING_BLUR_PX`].
    #[test]
    fn the_sizing_blurs_wider_only_as_far_as_the_noise_needs() {
        assert_eq!(SIZING_MAX_NOISE_RISE, 1.3);
        // The noise whose 5 σ is the highest threshold taken.
        let reach = SIZING_MAX_NOISE_RISE * SIZING_DARKNESS / SIZING_NOISE_SIGMAS;
        assert_eq!(wider_sizing_blur_px(0.0, SIZING_DARKNESS), SIZING_BLUR_PX);
        // The threshold rises with the noise up to the reach: no wider blur.
        for rise in [1.0, 1.2, 1.3] {
            let noise = rise * SIZING_DARKNESS / SIZING_NOISE_SIGMAS;
            assert_eq!(wider_sizing_blur_px(noise, SIZING_DARKNESS), SIZING_BLUR_PX);
        }
        assert!(wider_sizing_blur_px(1.01 * reach, SIZING_DARKNESS) > SIZING_BLUR_PX);
        let between = wider_sizing_blur_px(1.5 * reach, SIZING_DARKNESS);
        assert!((between - 1.5 * SIZING_BLUR_PX).abs() < 1e-5, "{between}");
        // Just short of the widest blur, and just past it.
        let widest = MAX_SIZING_BLUR_PX / SIZING_BLUR_PX;
        let short = wider_sizing_blur_px(0.99 * widest * reach, SIZING_DARKNESS);
        assert!((short - 0.99 * MAX_SIZING_BLUR_PX).abs() < 1e-5, "{short}");
        assert_eq!(
            wider_sizing_blur_px(1.01 * widest * reach, SIZING_DARKNESS),
            MAX_SIZING_BLUR_PX
        );
        assert_eq!(
            wider_sizing_blur_px(10.0 * reach, SIZING_DARKNESS),
            MAX_SIZING_BLUR_PX
        );
        assert_eq!(
            wider_sizing_blur_px(f32::NAN, SIZING_DARKNESS),
            SIZING_BLUR_PX
        );
        assert_eq!(wider_sizing_blur_px(0.01, 0.0), MAX_SIZING_BLUR_PX);
    }

    /// Skin at 0.6 over 320 × 240 px with a solid disc of `patch_radius` px at (90, 120) and,
    /// where it is not, discs 9 px across on a 20 px grid within `spread` px of the top-left.
    fn patched(patch_radius: f32, spread: f32) -> Plane {
        drawn(320, 240, |x, y, (cx, cy)| {
            let in_dot = (x - cx).hypot(y - cy) <= 4.5 && cx < spread && cy < spread;
            in_dot || (x - 90.0).hypot(y - 120.0) <= patch_radius
        })
    }

    /// Blobs wider than the largest dot are left out while the dots hold
    /// [`SIZING_MIN_DOT_SHARE`] of the pigment, and only then.
    #[test]
    fn a_patch_wider_than_any_dot_sizes_the_dots_only_beside_enough_of_them() {
        assert_eq!(SIZING_MIN_DOT_SHARE, 0.2);
        let size = |y: &Plane, largest| {
            let calm = SkinField::calm(y);
            dot_diameter_over(y, &calm, 48, SIZING_DARKNESS, largest)
                .diameter_px
                .expect("pigment")
        };
        // A patch 140 px across holds 60% of the pigment: by area it is the typical "dot".
        let among_dots = patched(70.0, 320.0);
        assert!(size(&among_dots, None) > 120.0);
        let d = size(&among_dots, Some(20.0));
        assert!((8.0..11.0).contains(&d), "{d} px");
        // Nine dots beside it hold 4%: the region is solid, sized as before.
        let beside_few = patched(70.0, 60.0);
        let d = size(&beside_few, Some(20.0));
        assert!(d > 120.0, "{d} px");
    }

    /// A blob's box of 4 MP may hold a group of dots, one a pixel larger may not.
    #[test]
    fn groups_are_looked_for_in_boxes_up_to_4_mp() {
        assert!(may_be_group(2048, 2048));
        assert!(may_be_group(4_194_304, 1));
        assert!(!may_be_group(2048, 2049));
        assert!(!may_be_group(u32::MAX, u32::MAX));
    }

    /// What a cell of [`grouped`] holds: a lone disc (its diameter, px), or `n` discs 7 px
    /// across (2 in a row, or 4 in a square) grown together.
    #[derive(Clone, Copy)]
    enum Cell {
        Lone(f32),
        Group(usize),
    }

    /// Skin at 0.6 over 480 × 360 px, cut into 30 px cells holding `cells` in raster order
    /// (empty after them): discs at luminance 0.2 (darkness ≈ 0.67), those of a group 11 px
    /// apart, each joined to the next by a bridge 5 px wide of darkness 0.22 over the 4 px of
    /// skin between them: one blob at the sizing's threshold (0.2), apart at 1.5 times it,
    /// where the 1 px blur leaves the bridge ≈ 0.24.
    fn grouped(cells: &[Cell]) -> Plane {
        let (w, h) = (480usize, 360usize);
        let mut y = Plane::filled(w, h, 0.6);
        for (k, cell) in cells.iter().enumerate() {
            let (cx, cy) = ((k % 16) as f32 * 30.0 + 15.0, (k / 16) as f32 * 30.0 + 15.0);
            let (radius, centres): (f32, Vec<(f32, f32)>) = match *cell {
                Cell::Lone(d) => (d / 2.0, vec![(cx, cy)]),
                Cell::Group(2) => (3.5, vec![(cx - 5.5, cy), (cx + 5.5, cy)]),
                Cell::Group(_) => {
                    let corners = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)];
                    let at = |(sx, sy): (f32, f32)| (cx + 5.5 * sx, cy + 5.5 * sy);
                    (3.5, corners.into_iter().map(at).collect())
                }
            };
            for py in (cy as usize - 15)..(cy as usize + 15) {
                for px in (cx as usize - 15)..(cx as usize + 15) {
                    let (fx, fy) = (px as f32 + 0.5, py as f32 + 0.5);
                    let in_disc = centres
                        .iter()
                        .any(|&(x, y)| (fx - x).hypot(fy - y) <= radius);
                    // A bridge between each disc and the next (round the square).
                    let bridged = (0..centres.len())
                        .filter(|&i| centres.len() > 2 || i == 0)
                        .any(|i| {
                            let (a, b) = (centres[i], centres[(i + 1) % centres.len()]);
                            let (lo_x, hi_x) = (a.0.min(b.0), a.0.max(b.0));
                            let (lo_y, hi_y) = (a.1.min(b.1), a.1.max(b.1));
                            (lo_x - 2.5..=hi_x + 2.5).contains(&fx)
                                && (lo_y - 2.5..=hi_y + 2.5).contains(&fy)
                        });
                    if in_disc {
                        y.data[py * w + px] = 0.2;
                    } else if bridged && centres.len() > 1 {
                        y.data[py * w + px] = 0.6 * (1.0 - 0.22);
                    }
                }
            }
        }
        y
    }

    /// Groups of [`SIZING_GROUP_MIN_DOTS`] or more discs grown together, when the blob that
    /// sizes the dots by area is one of them (they hold half the pigment here), size the dots
    /// as the discs they part into (7 px), not as one blob (≈ 17 px); pairs, or groups holding
    /// too little of the pigment to be that blob, leave the sizing by area as it was (bit for
    /// bit).
    #[test]
    fn dots_grown_together_size_the_dots_they_part_into() {
        assert_eq!(SIZING_GROUP_MIN_DOTS, 3);
        let sizes = |cells: &[Cell]| {
            let y = grouped(cells);
            let calm = SkinField::calm(&y);
            let found = dot_diameter_over(&y, &calm, 48, SIZING_DARKNESS, None).diameter_px;
            let (by_area, _, _) = sized_from_the_stored_plane(&y, 48, SIZING_DARKNESS);
            (found.expect("pigment"), by_area.expect("pigment"))
        };
        // Only groups of four: the dots are sized as the discs.
        let (d, by_area) = sizes(&[Cell::Group(4); 60]);
        assert!((6.0..9.0).contains(&d), "{d} px");
        assert!(by_area > 15.0, "{by_area} px");
        // Only pairs: too few to part into, sized by area.
        let (d, by_area) = sizes(&[Cell::Group(2); 60]);
        assert_eq!(d, by_area);
        assert!(by_area > 10.0, "{by_area} px");
        // Groups of four beside lone discs 5 and 12 px across (a fifth of the pigment in the
        // small ones): holding about 54% of it, the groups' discs are the median; holding
        // about 44%, the large lone discs are, by area, and would be a group's discs if they
        // were sized as the dots they part into.
        let mix = |groups: usize, small: usize, large: usize| {
            let mut cells = vec![Cell::Group(4); groups];
            cells.extend(vec![Cell::Lone(5.0); small]);
            cells.extend(vec![Cell::Lone(12.0); large]);
            sizes(&cells)
        };
        let (d, by_area) = mix(19, 76, 19);
        assert!((6.0..9.0).contains(&d), "{d} px");
        assert!(by_area > 15.0, "{by_area} px");
        let (d, by_area) = mix(15, 76, 25);
        assert_eq!(d, by_area);
        assert!((11.0..13.5).contains(&d), "{d} px");
    }
}

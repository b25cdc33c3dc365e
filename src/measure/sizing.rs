//! The typical dot size, measured before anything else: the compact blobs of pigment in a
//! lightly blurred darkness, their area-weighted median. The blurred darkness is never stored:
//! only the mask of its pigment (1 B/px) is, beside the noise of its skin.

use std::sync::Mutex;

use super::{
    SIZING_BLUR_PX, SIZING_DARKNESS, SIZING_MAX_EXTENT_RATIO, SIZING_MIN_DOT_SHARE,
    SIZING_NOISE_SIGMAS,
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
/// Pigment is the blurred darkness at or above [`SIZING_DARKNESS`], or [`SIZING_NOISE_SIGMAS`]
/// times the skin's noise (the robust σ of the blurred darkness on skin) where that is higher.
/// The darkness is blurred as it is computed, row by row, and never stored: its pixels at
/// [`SIZING_DARKNESS`] are marked as the rows pass, with the noise's histogram; only where
/// the noise sets a higher threshold is it blurred a second time, for that threshold's mask.
pub(super) fn estimate_dot_diameter(
    y: &impl Rows,
    calm: &Plane,
    block: usize,
    largest: Option<f64>,
) -> Option<f64> {
    dot_diameter_over(y, calm, block, SIZING_DARKNESS, largest)
}

/// [`estimate_dot_diameter`] with `floor` (darkness) in place of [`SIZING_DARKNESS`].
fn dot_diameter_over(
    y: &impl Rows,
    calm: &Plane,
    block: usize,
    floor: f32,
    largest: Option<f64>,
) -> Option<f64> {
    let field = SkinField::estimate_with_calm(y, calm, block);
    let (width, height) = y.size();
    let rows = field.darkness_rows(y);
    // A 1 B/px mask of the pixels at the floor (a byte per pixel: its rows are read a word at
    // a time, below).
    let mut pigment = vec![0u8; width * height];
    // The noise's histograms, one per row being blurred at once, taken from a pool and put
    // back (their counts are whole numbers: merged in any order, the same noise).
    let pool: Mutex<Vec<NoiseHistogram>> = Mutex::new(Vec::new());
    // The pixels at `threshold` marked in `pigment` as the rows are blurred, each row also
    // handed to `count`.
    let mark = |threshold: f32, pigment: &mut [u8], count: &(dyn Fn(&[f32]) + Sync)| {
        crate::plane::gaussian_blur_rows_of(
            (width, height),
            &rows,
            SIZING_BLUR_PX,
            pigment,
            |_, row, out| {
                count(row);
                for (o, &v) in out.iter_mut().zip(row) {
                    *o = u8::from(v >= threshold);
                }
            },
        )
    };
    mark(floor, &mut pigment, &|row| {
        let taken = pool.lock().map(|mut pool| pool.pop()).ok().flatten();
        let mut histogram = taken.unwrap_or_default();
        histogram.add_row(row);
        if let Ok(mut pool) = pool.lock() {
            pool.push(histogram);
        }
    });
    let noise = pool
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .fold(NoiseHistogram::new(), NoiseHistogram::merged)
        .robust_sigma();
    let threshold = floor.max(SIZING_NOISE_SIGMAS * noise);
    if threshold > floor {
        mark(threshold, &mut pigment, &|_| {});
    }
    // Compact blobs only: hairs and stubble can hold much of the dark area of a sparse scene.
    let mut areas: Vec<u32> = dots::component_shapes_in_mask(&pigment, width)
        .into_iter()
        .filter(|&(area, w, h)| {
            let extent = f64::from(w.max(h));
            area >= 2 && extent * extent <= SIZING_MAX_EXTENT_RATIO * f64::from(area)
        })
        .map(|(area, _, _)| area)
        .collect();
    // And no wider than the largest dot (an equivalent disc's area), unless those hold too
    // little of the pigment to be the dots.
    if let Some(largest) = largest {
        let largest_area = std::f64::consts::FRAC_PI_4 * largest * largest;
        let total: u64 = areas.iter().map(|&a| u64::from(a)).sum();
        let dots: Vec<u32> = areas
            .iter()
            .copied()
            .filter(|&a| f64::from(a) <= largest_area)
            .collect();
        let in_dots: u64 = dots.iter().map(|&a| u64::from(a)).sum();
        if in_dots as f64 >= SIZING_MIN_DOT_SHARE * total as f64 {
            areas = dots;
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizing as it was when it stored the blurred darkness: the stored plane's noise, its
    /// pixels at the threshold, their compact blobs' area-weighted median.
    fn sized_from_the_stored_plane(y: &Plane, block: usize, floor: f32) -> (Option<f64>, f32) {
        let calm = SkinField::calm(y);
        let field = SkinField::estimate_with_calm(y, &calm, block);
        let mut d = Plane::default();
        crate::plane::gaussian_blur_of_into(
            y.size(),
            field.darkness_rows(y),
            SIZING_BLUR_PX,
            &mut d,
        );
        let threshold = floor.max(SIZING_NOISE_SIGMAS * dots::skin_noise(&d));
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
        let diameter = median.map(|a| 2.0 * (f64::from(a) / std::f64::consts::PI).sqrt());
        (diameter, threshold)
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

    /// Marked as the rows pass (the floor is the threshold) or blurred again at the noise's
    /// threshold (a floor below 5 σ of the skin's noise: 0 here, as no photo's
    /// [`SIZING_DARKNESS`] would be under any but the noisiest skin), the sizing finds what it
    /// found from the stored plane, on quiet and noisy skin; at [`SIZING_DARKNESS`] the discs
    /// measure about 9 px across, as drawn.
    #[test]
    fn the_sizing_without_a_stored_plane_is_the_stored_planes() {
        for noise in [0.01, 0.2] {
            let y = scene(noise);
            let calm = SkinField::calm(&y);
            for (floor, noise_sets_the_threshold) in [(SIZING_DARKNESS, false), (0.0, true)] {
                let (expected, threshold) = sized_from_the_stored_plane(&y, 48, floor);
                let context = format!("noise {noise}, floor {floor}: threshold {threshold}");
                assert_eq!(threshold > floor, noise_sets_the_threshold, "{context}");
                let found = dot_diameter_over(&y, &calm, 48, floor, None);
                assert_eq!(found, expected, "{context}");
                let d = found.expect("dots found");
                if !noise_sets_the_threshold {
                    assert!((8.0..11.0).contains(&d), "{d} px, {context}");
                }
            }
        }
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
            dot_diameter_over(y, &calm, 48, SIZING_DARKNESS, largest).expect("pigment")
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
}

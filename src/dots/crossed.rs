//! Dots that a darker hair crosses: a round candidate on a hair line whose disc is clearly less
//! dark beside the hair than at its core is a faint dot under a hair, and its core is read
//! beside the hair ([`core_beside_hair`]); a piece that the hair cut off a dot already counted is
//! part of that dot, not a dot of its own ([`pieces_of_counted_dots`]).

use super::blobs::Candidate;
use super::shapes::Shape;
use super::{
    CROSSED_DOT_CLEARANCE, CROSSED_DOT_CORE_QUANTILE, CROSSED_DOT_MAX_RATIO, HAIR_CORE_DIAMETERS,
    MIN_PEAK_DARKNESS,
};

/// The core darkness of candidate `c` (on a hair line, whose core disc read `core`) as a faint
/// dot that the hair crosses: [`beside_hair_quantile`] when it is under
/// [`CROSSED_DOT_MAX_RATIO`] times `core`, else none (the candidate is read as before: a dot at
/// least 3/4 as dark as the hair is outlined at the hair's half-maximum nearly whole). `fine`
/// is D lightly denoised, in a plane of `size` px; `values` a gathering buffer.
pub(super) fn core_beside_hair(
    values: &mut Vec<f32>,
    fine: impl Fn(usize, usize) -> f32,
    size: (usize, usize),
    c: &Candidate,
    core: f32,
) -> Option<f32> {
    beside_hair_quantile(values, fine, size, c)
        .filter(|&beside| beside < CROSSED_DOT_MAX_RATIO * core)
}

/// The darkness of a faint dot that a darker hair crosses, read beside the hair: the
/// [`CROSSED_DOT_CORE_QUANTILE`] of `fine` (D lightly denoised) over candidate `c`'s
/// hair-line disc ([`HAIR_CORE_DIAMETERS`] of its diameter in radius, as the hair-line test
/// reads it) in a plane of `size` px; none when that is under [`MIN_PEAK_DARKNESS`] (the disc
/// reaches skin: a hair piece or a crossing of hairs, not a dot). `values` is a gathering
/// buffer (its contents do not matter).
///
/// A candidate on a hair line sits on the hair, which on a first session's faint dot is the
/// darker of the two: its core, read there, is the hair's darkness, half of which is above
/// most of the dot. Outlined at that half-maximum, the dot showed only the hair and its
/// darkest middle, read as thin as hair, and was set aside (3–7% of the dots of a first
/// session at 50–100 px/mm with stubble at 8 per cm²). The hair line cannot say which pixels
/// are the dot's: where a hair crosses a faint dot, the line is traced over the whole dot.
fn beside_hair_quantile(
    values: &mut Vec<f32>,
    fine: impl Fn(usize, usize) -> f32,
    size: (usize, usize),
    c: &Candidate,
) -> Option<f32> {
    values.clear();
    let radius = (HAIR_CORE_DIAMETERS * c.diameter).max(1.0);
    crate::plane::for_each_in_ring((c.x, c.y), 0.0, f64::from(radius), size, |x, y| {
        values.push(fine(x, y));
    });
    if values.is_empty() {
        return None;
    }
    let beside = crate::quantile::quantile(values, CROSSED_DOT_CORE_QUANTILE);
    (beside >= MIN_PEAK_DARKNESS).then_some(beside)
}

/// Clears `keep` for each territory whose core darkness was read beside a hair crossing it
/// (`crossed`, see [`core_beside_hair`]) and whose centroid (`shapes`) lies closer to
/// that of a dot kept before it than [`CROSSED_DOT_CLEARANCE`] times the sum of the two
/// territories' equivalent radii (of discs of their opened areas): such a piece is the part
/// of a counted dot that the hair cut off, not a dot of its own. Returns, per territory,
/// the dot such a piece is part of (the nearest, relative to that sum; none for any other
/// territory). Territories are taken strongest first (in the order of `shapes`), so of the
/// pieces of one dot, the strongest is kept.
pub(super) fn pieces_of_counted_dots(
    keep: &mut [bool],
    crossed: &[bool],
    shapes: &[Shape],
) -> Vec<Option<usize>> {
    let mut part_of = vec![None; keep.len()];
    if !crossed.iter().zip(keep.iter()).any(|(&c, &k)| c && k) {
        return part_of;
    }
    let radius = |k: usize| (shapes[k].moments[0] / std::f64::consts::PI).sqrt();
    // Kept centroids on a grid of cells as wide as the largest clearance.
    let cell = (0..shapes.len())
        .filter(|&k| keep[k])
        .map(|k| 2.0 * CROSSED_DOT_CLEARANCE * radius(k))
        .fold(1.0f64, f64::max)
        .ceil();
    let key = |k: usize| {
        let (x, y) = shapes[k].centroid;
        ((x / cell).floor() as i64, (y / cell).floor() as i64)
    };
    // (Cells are only looked up, never iterated: the result does not depend on the map's
    // order.)
    let mut grid: std::collections::HashMap<(i64, i64), Vec<usize>> =
        std::collections::HashMap::new();
    for k in (0..keep.len()).filter(|&k| keep[k] && !crossed[k]) {
        grid.entry(key(k)).or_default().push(k);
    }
    for k in 0..keep.len() {
        if !(keep[k] && crossed[k]) {
            continue;
        }
        let (x, y) = shapes[k].centroid;
        let (cx, cy) = key(k);
        // The kept dot nearest relative to the clearance, if within it (ties: the first
        // kept).
        let nearest = (cy - 1..=cy + 1)
            .flat_map(|gy| (cx - 1..=cx + 1).map(move |gx| (gx, gy)))
            .filter_map(|at| grid.get(&at))
            .flatten()
            .map(|&j| {
                let (jx, jy) = shapes[j].centroid;
                ((x - jx).hypot(y - jy) / (radius(k) + radius(j)), j)
            })
            .filter(|&(relative, _)| relative < CROSSED_DOT_CLEARANCE)
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        match nearest {
            Some((_, j)) => {
                keep[k] = false;
                part_of[k] = Some(j);
            }
            None => grid.entry((cx, cy)).or_default().push(k),
        }
    }
    part_of
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dot's territory of `area` px centred at (`x`, `y`) px (only its area and centroid count).
    fn piece(area: f64, (x, y): (f64, f64)) -> Shape {
        Shape {
            moments: [area, 0.0, 0.0, 0.0, 0.0, 0.0],
            centroid: (x, y),
        }
    }

    #[test]
    fn a_piece_read_beside_a_hair_is_dropped_within_the_clearance_of_a_kept_dot() {
        // Equivalent radii of 10 px each: clearance 0.85 × 20 = 17 px.
        let area = std::f64::consts::PI * 100.0;
        let shapes = vec![
            // 0: a dot kept off hair lines.
            piece(area, (100.0, 100.0)),
            // 1: read beside a hair, 16.9 px from it: a piece of it.
            piece(area, (116.9, 100.0)),
            // 2: read beside a hair, 17.1 px from it: a dot of its own.
            piece(area, (100.0, 117.1)),
            // 3: read beside a hair, touching dot 0 (20 px apart): a dot of its own.
            piece(area, (80.0, 100.0)),
            // 4: read beside a hair, 10 px from piece 2, which was kept before it (and 27.1 px
            // from dot 0: piece 2 is the nearer).
            piece(area, (100.0, 127.1)),
            // 5: read beside a hair, within the clearance of a dropped one only (dot 6 is not kept).
            piece(area, (300.0, 300.0)),
            piece(area, (310.0, 300.0)),
        ];
        let mut keep = vec![true, true, true, true, true, true, false];
        let crossed = vec![false, true, true, true, true, true, false];
        let part_of = pieces_of_counted_dots(&mut keep, &crossed, &shapes);
        assert_eq!(keep, vec![true, false, true, true, false, true, false]);
        assert_eq!(
            part_of,
            vec![None, Some(0), None, None, Some(2), None, None]
        );
        // Nothing read beside a hair: nothing changes, however close.
        let mut keep = vec![true, true];
        let part_of = pieces_of_counted_dots(&mut keep, &[false, false], &shapes[..2]);
        assert_eq!((keep, part_of), (vec![true, true], vec![None, None]));
    }

    /// A candidate 40 px across at (20, 20), whose hair-line disc (10 px in radius) holds 317
    /// pixels: 0.9 × `low` at its 23 pixels of columns up to 12 (7%), `low` at its next two
    /// columns (to 17%), `core` elsewhere; its core disc read `core`.
    fn read_beside(core: f32, low: f32) -> Option<f32> {
        let c = Candidate {
            x: 20,
            y: 20,
            response: 1.0,
            diameter: 40.0,
            ridge: false,
        };
        let fine = |x: usize, _: usize| match x {
            0..=12 => 0.9 * low,
            13..=14 => low,
            _ => core,
        };
        core_beside_hair(&mut Vec::new(), fine, (40, 40), &c, core)
    }

    #[test]
    fn the_core_is_read_beside_the_hair_where_clearly_less_dark_and_dark_enough() {
        // The tenth quantile of the disc lies among the `low` pixels.
        assert_eq!(read_beside(0.8, 0.4), Some(0.4));
        // Under 3/4 of the core, and not: the edge of CROSSED_DOT_MAX_RATIO.
        assert_eq!(read_beside(0.8, 0.599), Some(0.599));
        assert_eq!(read_beside(0.8, 0.6), None);
        // At least MIN_PEAK_DARKNESS beside the hair, and not: skin beside a hair piece.
        assert_eq!(read_beside(0.8, MIN_PEAK_DARKNESS), Some(MIN_PEAK_DARKNESS));
        assert_eq!(read_beside(0.8, 0.9 * MIN_PEAK_DARKNESS), None);
    }
}

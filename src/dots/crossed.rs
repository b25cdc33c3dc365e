//! Dots that a darker hair crosses: a round candidate on a hair line whose disc is clearly less
//! dark beside the hair than at its core is a faint dot under a hair, and its core is read
//! beside the hair ([`core_beside_hair`]); a piece that the hair cut off a dot already counted is
//! part of that dot, not a dot of its own ([`pieces_of_counted_dots`]).
//!
//! The rule holds only where hairs are resolved: where the widest hair
//! ([`HAIR_HALF_WIDTH_MM`](super::HAIR_HALF_WIDTH_MM)) spans at least
//! [`MIN_FAT_HALF_WIDTH_PX`](super::MIN_FAT_HALF_WIDTH_PX), from ≈ 23 px/mm (`finder` asks).
//! Below, the optics spread a hair as wide as a faint dot, and the pixels at a shaft's edge
//! read as dark as a dot beside it.

use super::blobs::Candidate;
use super::shapes::Shape;
use super::{
    CROSSED_DOT_CLEARANCE, CROSSED_DOT_CORE_QUANTILE, CROSSED_DOT_MAX_RATIO, MIN_PEAK_DARKNESS,
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
/// hair-line disc ([`hair_line_disc_radius`](super::hair_line_disc_radius), as the hair-line test
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
    let radius = super::hair_line_disc_radius(c.diameter);
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
/// (`crossed`, see [`core_beside_hair`]) and whose centroid (`shapes`) lies closer to that of
/// a kept dot than [`CROSSED_DOT_CLEARANCE`] times the sum of the two territories' equivalent
/// radii (of discs of their opened areas): such a piece is the part of a counted dot that the
/// hair cut off, not a dot of its own. The dots it is held clear of are every kept one not
/// read beside a hair, and those read beside a hair that were kept before it: territories come
/// strongest first (in the order of `shapes`), so of the pieces of one faint dot the strongest
/// stays. Territories with no opened pixel (their centroid is no place) take no part.
/// Returns, per territory, the dot such a piece is part of (the nearest relative to that sum,
/// the lowest index on a tie; none for any other territory). `size` is the plane's (px).
pub(super) fn pieces_of_counted_dots(
    keep: &mut [bool],
    crossed: &[bool],
    shapes: &[Shape],
    (width, height): (usize, usize),
) -> Vec<Option<usize>> {
    let mut part_of = vec![None; keep.len()];
    let placed: Vec<bool> = (0..keep.len())
        .map(|k| keep[k] && shapes[k].moments[0] > 0.0)
        .collect();
    if !(0..keep.len()).any(|k| crossed[k] && placed[k]) {
        return part_of;
    }
    let radius = |k: usize| (shapes[k].moments[0] / std::f64::consts::PI).sqrt();
    // Kept centroids on a grid of cells as wide as the largest clearance (as `blobs::suppress`
    // keeps its candidates).
    let cell = (0..shapes.len())
        .filter(|&k| placed[k])
        .map(|k| 2.0 * CROSSED_DOT_CLEARANCE * radius(k))
        .fold(1.0f64, f64::max)
        .ceil();
    let (grid_w, grid_h) = (
        (width as f64 / cell) as usize + 1,
        (height as f64 / cell) as usize + 1,
    );
    let cell_of = |k: usize| {
        let (x, y) = shapes[k].centroid;
        let at = |v: f64, cells: usize| ((v / cell).max(0.0) as usize).min(cells - 1);
        (at(x, grid_w), at(y, grid_h))
    };
    let mut grid: Vec<Vec<usize>> = vec![Vec::new(); grid_w * grid_h];
    for k in (0..keep.len()).filter(|&k| placed[k] && !crossed[k]) {
        let (gx, gy) = cell_of(k);
        grid[gy * grid_w + gx].push(k);
    }
    for k in (0..keep.len()).filter(|&k| placed[k] && crossed[k]) {
        let (x, y) = shapes[k].centroid;
        let (cx, cy) = cell_of(k);
        let nearest = (cy.saturating_sub(1)..=(cy + 1).min(grid_h - 1))
            .flat_map(|gy| {
                (cx.saturating_sub(1)..=(cx + 1).min(grid_w - 1)).map(move |gx| (gx, gy))
            })
            .flat_map(|(gx, gy)| &grid[gy * grid_w + gx])
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
            None => grid[cy * grid_w + cx].push(k),
        }
    }
    part_of
}

/// Per territory of `shapes`: its opened area (px²) and centroid (px) with those of the pieces
/// that are part of it (`part_of`, from [`pieces_of_counted_dots`]) joined: the areas summed,
/// the centroids' mean weighted by area. A piece keeps its own.
pub(super) fn joined(shapes: &[Shape], part_of: &[Option<usize>]) -> (Vec<f64>, Vec<(f64, f64)>) {
    let mut area: Vec<f64> = shapes.iter().map(|s| s.moments[0]).collect();
    let mut centroid: Vec<(f64, f64)> = shapes.iter().map(|s| s.centroid).collect();
    for (k, part) in part_of.iter().enumerate() {
        if let Some(j) = *part {
            let (a, b) = (area[j], shapes[k].moments[0]);
            let (cj, ck) = (centroid[j], shapes[k].centroid);
            centroid[j] = (
                (a * cj.0 + b * ck.0) / (a + b),
                (a * cj.1 + b * ck.1) / (a + b),
            );
            area[j] = a + b;
        }
    }
    (area, centroid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dots::tests::discs;
    use crate::dots::{find_dots, Cover};

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
            // 5: read beside a hair, within the clearance of a dropped one only (6 is not kept).
            piece(area, (300.0, 300.0)),
            piece(area, (310.0, 300.0)),
            // 7: read beside a hair, 10 px from dot 8, weaker but not read beside a hair.
            piece(area, (400.0, 100.0)),
            piece(area, (410.0, 100.0)),
            // 9: read beside a hair, with no opened pixel, where dot 10 lies: no part.
            piece(0.0, (0.0, 0.0)),
            piece(area, (0.0, 0.0)),
        ];
        let size = (500, 400);
        let mut keep = vec![true; 11];
        keep[6] = false;
        let crossed = [
            false, true, true, true, true, true, false, true, false, true, false,
        ];
        let part_of = pieces_of_counted_dots(&mut keep, &crossed, &shapes, size);
        let kept = [
            true, false, true, true, false, true, false, false, true, true, true,
        ];
        assert_eq!(keep, kept);
        let parts = [
            None,
            Some(0),
            None,
            None,
            Some(2),
            None,
            None,
            Some(8),
            None,
            None,
            None,
        ];
        assert_eq!(part_of, parts);
        // Nothing read beside a hair: nothing changes, however close.
        let mut keep = vec![true, true];
        let part_of = pieces_of_counted_dots(&mut keep, &[false, false], &shapes[..2], size);
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

    /// A first session's faint dot (0.35 dark) that a darker hair (0.75, 0.1 mm wide) crosses
    /// through its middle is a dot, and so is its twin off the hair; the hair is not. Read on the
    /// hair, the dot's core is the hair's darkness, whose half-maximum outlined only the hair and
    /// the dot's middle, and the dot was set aside as hair.
    #[test]
    fn a_faint_dot_that_a_darker_hair_crosses_is_a_dot_and_the_hair_is_not() {
        for s in [50.0f32, 100.0] {
            let (w, h) = ((6.0 * s) as usize, (2.4 * s) as usize);
            let r = 0.5 * 0.34 * s;
            let (y0, x0, x1) = (1.2 * s, 1.8 * s, 4.2 * s);
            let mut p = discs(w, h, &[(x0, y0), (x1, y0)], r, 0.35);
            // The hair runs through the first dot's centre from the plane's left edge to 1.2 mm
            // short of the second's.
            let half = 0.05 * s;
            for y in (y0 - half) as usize..(y0 + half) as usize {
                for x in 4..(3.0 * s) as usize {
                    let v = &mut p.data[y * w + x];
                    *v = 1.0 - (1.0 - *v) * (1.0 - 0.75);
                }
            }
            let map = find_dots(&p, 2.0 * r, Some(s));
            let mut found: Vec<(f64, f64, u32)> =
                map.dots.iter().map(|d| (d.x, d.y, d.area_px)).collect();
            found.sort_by(|a, b| a.0.total_cmp(&b.0));
            assert_eq!(found.len(), 2, "{s} px/mm: {found:?}");
            let disc = std::f64::consts::PI * f64::from(r).powi(2);
            for (&(x, y, area), cx) in found.iter().zip([x0, x1]) {
                assert!(
                    (x - f64::from(cx)).abs() < 0.1 * f64::from(r)
                        && (y - f64::from(y0)).abs() < 0.1 * f64::from(r),
                    "{s} px/mm: {found:?}"
                );
                // The dot's area is its disc's, not the hair's: within 15%.
                assert!(
                    (f64::from(area) / disc - 1.0).abs() < 0.15,
                    "{s} px/mm: {found:?}, disc {disc}"
                );
            }
        }
    }

    /// A large faint dot (0.8 mm, 0.35 dark) that a darker hair (0.75, 0.1 mm wide) crosses
    /// between its centre and its edge, at 100 px/mm, is one dot on both sides of the hair, with
    /// its disc's area (within 20%).
    #[test]
    fn a_faint_dot_cut_by_a_hair_is_one_dot_with_both_its_pieces() {
        let s = 100.0f32;
        let (w, h) = (480usize, 240usize);
        let (r, cx, cy) = (40.0f32, 240.0f32, 120.0f32);
        let mut p = discs(w, h, &[(cx, cy)], r, 0.35);
        let (top, bottom) = ((cy - 20.0) as usize, (cy - 10.0) as usize);
        for y in top..bottom {
            for x in 4..w - 4 {
                let v = &mut p.data[y * w + x];
                *v = 1.0 - (1.0 - *v) * (1.0 - 0.75);
            }
        }
        let map = find_dots(&p, 2.0 * r, Some(s));
        let found: Vec<(f64, f64, u32)> = map.dots.iter().map(|d| (d.x, d.y, d.area_px)).collect();
        assert_eq!(found.len(), 1, "{found:?}");
        // Both sides of the hair are the dot's.
        for y in [cy - 30.0, cy + 20.0] {
            let i = y as usize * w + cx as usize;
            assert_eq!(
                (map.cover[i], map.labels[i]),
                (Cover::Dot, 1),
                "row {y}: {found:?}"
            );
        }
        let own = (0..w * h)
            .filter(|&i| map.cover[i] == Cover::Dot && map.labels[i] == 1)
            .count();
        assert_eq!(own, found[0].2 as usize);
        let disc = std::f64::consts::PI * f64::from(r).powi(2);
        assert!(
            (f64::from(found[0].2) / disc - 1.0).abs() < 0.2,
            "{found:?}, disc {disc}"
        );
    }
}

//! Dots split in two: where noise raises two summits on one dot, the blob search keeps both
//! (they lie more than [`super::NMS_RADIUS_DIAMETERS`] of a diameter apart) and the watershed
//! cuts the dot between them. Its outline, drawn at each piece's half maximum, is still one
//! disc: a network of outlined pixels that fits in its inscribed disc
//! ([`MAX_SPLIT_AREA_PER_DISC`]) and whose deepest point no kept territory holds
//! ([`MAX_SPLIT_OWN_FRACTION`]) is one dot, counted once. So is a soft dot with a bump on its
//! flank that noise made a maximum of its own ([`MAX_FLANK_OWN_FRACTION`]).

use super::blobs::Candidate;
use super::groups::Groups;
use super::outline::Networks;
use super::{MAX_FLANK_OWN_FRACTION, MAX_FLANK_REACH};
use super::{MAX_SPLIT_AREA_PER_DISC, MAX_SPLIT_OWN_FRACTION, MIN_SPLIT_RADIUS_PX};

/// Clears `keep` for every kept territory but the strongest (the lowest index: territories come
/// strongest first) of each outline network that holds two or more kept ones, when that
/// network is one dot split: its fattest point at least [`MIN_SPLIT_RADIUS_PX`] from its edge,
/// its area at most [`MAX_SPLIT_AREA_PER_DISC`] times that inscribed disc (radius: the fattest
/// point's half-width + ½ px, as [`super::MAX_AREA_PER_INSCRIBED_DISC`] reads it), and no kept
/// territory's own half-width (`own_width`, px, see `judge::own_half_widths`) over
/// [`MAX_SPLIT_OWN_FRACTION`] of the network's. Only networks no wider than the largest dot
/// sought (a fattest point at most `largest_radius_px`) are judged: a patch of solid pigment,
/// which the finder splits at its texture, is no dot, and its pieces stay as they are (the
/// solid-pigment caution counts them). `networks` are queried at the territories' peaks (one
/// each). Returns, per territory, the dot it is a piece of (none for any other).
pub(super) fn pieces_of_split_dots(
    keep: &mut [bool],
    networks: &Networks,
    own_width: &[f32],
    largest_radius_px: f32,
) -> Vec<Option<usize>> {
    let mut part_of = vec![None; keep.len()];
    // Per network: its strongest kept territory, how many are kept, and their widest own
    // half-width (px).
    let mut kept_in: Vec<(usize, u32, f32)> = vec![(usize::MAX, 0, 0.0); networks.size.len()];
    for k in (0..keep.len()).filter(|&k| keep[k] && networks.id[k] != 0) {
        let (first, count, widest) = &mut kept_in[networks.id[k] as usize - 1];
        *first = (*first).min(k);
        *count += 1;
        *widest = widest.max(own_width[k]);
    }
    let one_dot = |(area, fattest): (u32, f32), widest: f32| {
        let disc = std::f64::consts::PI * f64::from(fattest + 0.5).powi(2);
        fattest >= MIN_SPLIT_RADIUS_PX
            && fattest <= largest_radius_px
            && f64::from(area) <= MAX_SPLIT_AREA_PER_DISC * disc
            && widest <= MAX_SPLIT_OWN_FRACTION * fattest
    };
    for k in 0..keep.len() {
        let id = networks.id[k] as usize;
        if !keep[k] || id == 0 {
            continue;
        }
        let (first, count, widest) = kept_in[id - 1];
        if count >= 2 && first != k && one_dot(networks.size[id - 1], widest) {
            keep[k] = false;
            part_of[k] = Some(first);
        }
    }
    part_of
}

/// Per territory, the kept dot it is a bump on the flank of (none for any other), clearing
/// `keep` for those bumps. A kept territory is such a bump when its own half-width
/// (`own_width`, px) is at most [`MAX_FLANK_OWN_FRACTION`] of the radius its blob scale
/// answered at (half its `peaks` diameter, px) and its peak lies within [`MAX_FLANK_REACH`]
/// of a neighbour's own half-width from that neighbour's peak, the neighbour a kept territory
/// of the same outline network that is no bump itself: it joins the nearest such one (the
/// lower index on a tie). `networks` are queried at the territories' peaks (one each).
pub(super) fn pieces_on_flanks(
    keep: &mut [bool],
    networks: &Networks,
    own_width: &[f32],
    peaks: &[Candidate],
) -> Vec<Option<usize>> {
    let n = keep.len();
    let flank = |k: usize| own_width[k] <= MAX_FLANK_OWN_FRACTION * 0.5 * peaks[k].diameter;
    let kept = |k: usize| keep[k] && networks.id[k] != 0;
    let kept_by_network = Groups::by_key(n, networks.size.len(), |k| {
        kept(k).then(|| networks.id[k] as usize - 1)
    });
    let part_of: Vec<Option<usize>> = (0..n)
        .map(|k| {
            if !kept(k) || !flank(k) {
                return None;
            }
            let id = networks.id[k] as usize - 1;
            let (px, py) = (peaks[k].x as f32, peaks[k].y as f32);
            kept_by_network
                .of(id)
                .iter()
                .map(|&j| j as usize)
                .filter(|&j| j != k && !flank(j))
                .map(|j| (j, (peaks[j].x as f32 - px).hypot(peaks[j].y as f32 - py)))
                .filter(|&(j, dist)| dist <= MAX_FLANK_REACH * own_width[j])
                .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
                .map(|(j, _)| j)
        })
        .collect();
    for (k, part) in part_of.iter().enumerate() {
        if part.is_some() {
            keep[k] = false;
        }
    }
    part_of
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Networks of (area px, fattest half-width px), with the network (1-based, 0 for none) of
    /// each territory.
    fn networks(size: Vec<(u32, f32)>, id: Vec<u32>) -> Networks {
        let inside = vec![0.0; id.len()];
        Networks { id, size, inside }
    }

    /// The area (px) of `ratio` times the inscribed disc of a network whose fattest point is
    /// `fattest` px deep, rounded down.
    fn area(ratio: f64, fattest: f32) -> u32 {
        (ratio * std::f64::consts::PI * f64::from(fattest + 0.5).powi(2)).floor() as u32
    }

    #[test]
    fn a_compact_network_whose_middle_no_piece_holds_is_one_dot() {
        let fattest = 8.0;
        let half = 0.5 * fattest;
        // Network 1: a dot cut in two through its middle (three territories: the third is hair,
        // not kept). Network 2: the same, but the second piece reaches the middle (a small dot
        // beside a larger one). Network 3: a single kept dot.
        let nets = networks(
            vec![
                (area(1.2, fattest), fattest),
                (area(1.2, fattest), fattest),
                (area(1.0, fattest), fattest),
            ],
            vec![1, 2, 1, 2, 3, 1, 0],
        );
        let own = [half, half, half, fattest, fattest, 1.0, 5.0];
        let mut keep = vec![true, true, true, true, true, false, true];
        let part_of = pieces_of_split_dots(&mut keep, &nets, &own, 20.0);
        assert_eq!(keep, [true, true, false, true, true, false, true]);
        assert_eq!(part_of, [None, None, Some(0), None, None, None, None]);
    }

    #[test]
    fn the_split_limits_hold_at_their_edges() {
        // Two kept pieces of one network: whether they are one dot.
        let split = |(ratio, fattest): (f64, f32), own: f32| {
            let nets = networks(vec![(area(ratio, fattest), fattest)], vec![1, 1]);
            let mut keep = vec![true, true];
            pieces_of_split_dots(&mut keep, &nets, &[own, own], LARGEST);
            !keep[1]
        };
        const LARGEST: f32 = 10.0;
        let f = 6.0;
        let own_limit = MAX_SPLIT_OWN_FRACTION * f;
        assert!(split((MAX_SPLIT_AREA_PER_DISC, f), own_limit));
        // One pixel over the area limit, or a piece reaching past the own-width limit: two.
        let over = |ratio: f64| ratio + 1.0 / (std::f64::consts::PI * 6.5f64.powi(2));
        assert!(!split((over(MAX_SPLIT_AREA_PER_DISC), f), own_limit));
        assert!(!split((1.0, f), own_limit + 0.01));
        // Outlines too small to tell a half disc from a whole one: never merged.
        assert!(split((1.0, MIN_SPLIT_RADIUS_PX), 1.0));
        assert!(!split((1.0, MIN_SPLIT_RADIUS_PX - 0.01), 1.0));
        // Wider than the largest dot sought (a patch of solid pigment): never merged.
        assert!(split((1.0, LARGEST), 1.0));
        assert!(!split((1.0, LARGEST + 0.01), 1.0));
        // A network with one kept territory, or none, is left alone.
        let nets = networks(vec![(area(1.0, f), f)], vec![1, 1]);
        let mut keep = vec![true, false];
        assert_eq!(
            pieces_of_split_dots(&mut keep, &nets, &[1.0, 1.0], LARGEST),
            [None, None]
        );
        assert_eq!(keep, [true, false]);
    }

    /// A candidate at (`x`, 0) px answering at a scale `diameter` px across.
    fn peak_at(x: usize, diameter: f32) -> Candidate {
        Candidate {
            x,
            y: 0,
            response: 1.0,
            diameter,
            ridge: false,
        }
    }

    #[test]
    fn a_bump_on_a_dots_flank_joins_it_within_the_limits_and_only_then() {
        // Territory 0: a dot of own half-width 20 px at x = 100; territory 1: a bump found at a
        // scale 30 px across (radius 15), its peak `apart` px away, its own half-width `own`.
        let joins = |own: f32, apart: usize, network_of_bump: u32| {
            let nets = networks(vec![(2000, 20.0), (100, 3.0)], vec![1, network_of_bump]);
            let peaks = [peak_at(100, 40.0), peak_at(100 + apart, 30.0)];
            let mut keep = vec![true, true];
            let part_of = pieces_on_flanks(&mut keep, &nets, &[20.0, own], &peaks);
            assert_eq!(keep[1], part_of[1].is_none());
            assert_eq!(part_of[0], None);
            part_of[1] == Some(0)
        };
        let own_limit = MAX_FLANK_OWN_FRACTION * 15.0;
        let reach = (MAX_FLANK_REACH * 20.0).floor() as usize;
        assert!(joins(own_limit, reach, 1));
        // A territory holding more of its disc, or a peak past the reach, is a dot of its own.
        assert!(!joins(own_limit + 0.01, reach, 1));
        assert!(!joins(own_limit, reach + 1, 1));
        // Not in the dot's outline network: no flank of it.
        assert!(!joins(1.0, 20, 2));
    }

    #[test]
    fn a_bump_joins_the_nearest_dot_that_is_no_bump_itself() {
        // Dots at x = 0 and 60 (own half-width 20), bumps at 16, 40 and 44 (own 2, scale 30
        // px): each joins the nearer dot, never the bump beside it; a bump alone in its
        // network beside a dropped territory stays.
        let nets = networks(vec![(4000, 20.0), (100, 3.0)], vec![1, 1, 1, 1, 1, 2, 2]);
        let peaks = [
            peak_at(0, 40.0),
            peak_at(60, 40.0),
            peak_at(16, 30.0),
            peak_at(40, 30.0),
            peak_at(44, 30.0),
            peak_at(200, 40.0),
            peak_at(210, 30.0),
        ];
        let own = [20.0, 20.0, 2.0, 2.0, 2.0, 20.0, 2.0];
        let mut keep = vec![true, true, true, true, true, false, true];
        let part_of = pieces_on_flanks(&mut keep, &nets, &own, &peaks);
        assert_eq!(part_of, [None, None, Some(0), Some(1), Some(1), None, None]);
        assert_eq!(keep, [true, true, false, false, false, false, true]);
    }
}

/// The finder on planes of discs: a dot with two summits is counted once, whole; two dots that
/// touch, equal or one half as wide, twice.
#[cfg(test)]
mod found {
    use crate::dots::find_dots;
    use crate::dots::tests::discs;
    use crate::plane::Plane;

    /// Adds a Gaussian bump of darkness `amplitude` and σ `sigma` px at (`x`, `y`) px to `p`.
    fn add_bump(p: &mut Plane, (x, y): (f32, f32), amplitude: f32, sigma: f32) {
        let w = p.width;
        for (i, v) in p.data.iter_mut().enumerate() {
            let (px, py) = ((i % w) as f32 + 0.5, (i / w) as f32 + 0.5);
            let d2 = (px - x).powi(2) + (py - y).powi(2);
            *v += amplitude * (-d2 / (2.0 * sigma * sigma)).exp();
        }
    }

    #[test]
    fn a_dot_with_two_summits_is_counted_once_and_whole() {
        // Dots 20 px across (0.4 mm at 50 px/mm), 0.3 dark; the middle one has two summits
        // 14 px apart, each 0.26 darker (their half maximum, 0.28, below the dot's own 0.3: one
        // outline). Without the merge the finder counted it twice, two halves of 146 px.
        let (w, h) = (200usize, 80usize);
        let mut p = discs(
            w,
            h,
            &[(40.0, 40.0), (100.0, 40.0), (160.0, 40.0)],
            10.0,
            0.3,
        );
        add_bump(&mut p, (93.0, 40.0), 0.26, 3.0);
        add_bump(&mut p, (107.0, 40.0), 0.26, 3.0);
        let map = find_dots(&p, 20.0, Some(50.0));
        assert_eq!(map.dots.len(), 3, "{:?}", map.dots);
        let middle = map
            .dots
            .iter()
            .find(|d| (d.x - 100.0).abs() < 10.0)
            .unwrap();
        let single = map.dots.iter().find(|d| (d.x - 40.0).abs() < 10.0).unwrap();
        assert!(
            (middle.x - 100.0).abs() < 1.0 && (middle.y - 40.0).abs() < 1.0,
            "{middle:?}"
        );
        assert!(
            middle.area_px.abs_diff(single.area_px) <= single.area_px / 10,
            "{middle:?}"
        );
    }

    #[test]
    fn dots_that_touch_are_counted_apart() {
        // Two equal dots touching, and a dot half as wide touching a third: one outline each
        // pair, both counted.
        let (w, h) = (200usize, 80usize);
        let p = discs(
            w,
            h,
            &[(30.0, 40.0), (50.0, 40.0), (120.0, 40.0)],
            10.0,
            0.4,
        );
        let small = discs(w, h, &[(135.0, 40.0)], 5.0, 0.4);
        let mut p = p;
        for (v, s) in p.data.iter_mut().zip(&small.data) {
            *v = 1.0 - (1.0 - *v) * (1.0 - s);
        }
        let map = find_dots(&p, 20.0, Some(50.0));
        assert_eq!(map.dots.len(), 4, "{:?}", map.dots);
    }
}

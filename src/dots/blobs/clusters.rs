//! Clusters of touching dots among the blob candidates: where dots touch or overlap, the
//! union of their discs answers at a coarser scale than any of them, centred between them and
//! as strongly as each; taken for a dot, that candidate would suppress the whole cluster.

use rayon::prelude::*;

use super::Candidate;
use crate::dots::groups::Groups;
use crate::dots::{CLUSTER_PART_RESPONSE, CLUSTER_PART_SEPARATION, NMS_RADIUS_DIAMETERS};
use crate::plane::for_each_in_ring;

/// Per candidate (in a plane of `size` = (width, height) px), whether it answers to a cluster
/// of touching dots rather than to one dot (see [`is_cluster`]) and no hair line (`lines`, a
/// flag per pixel of the plane) crosses its suppression disc: a hair across a dot, like the gap
/// between two dots, gives the dot two ends that answer a finer scale. The candidates are
/// looked up on a grid of `cell` px (at least 1, and at least the largest suppression radius).
pub(super) fn clusters(
    candidates: &[Candidate],
    cell: usize,
    (width, height): (usize, usize),
    lines: &[bool],
) -> Vec<bool> {
    debug_assert!(cell >= 1 && lines.len() == width * height);
    let (gw, gh) = (width / cell + 1, height / cell + 1);
    // The candidates by cell.
    let cell_of = |c: &Candidate| (c.y / cell) * gw + c.x / cell;
    let by_cell = Groups::by_key(candidates.len(), gw * gh, |i| Some(cell_of(&candidates[i])));
    // A candidate at the finest scale has no finer parts.
    let finest = candidates
        .iter()
        .map(|c| c.diameter)
        .fold(f32::INFINITY, f32::min);
    candidates
        .par_iter()
        .map_init(Vec::new, |parts, c| {
            if c.diameter <= finest {
                return false;
            }
            let (cx, cy) = (c.x / cell, c.y / cell);
            let cells = (cy.saturating_sub(1)..=(cy + 1).min(gh - 1)).flat_map(|gy| {
                (cx.saturating_sub(1)..=(cx + 1).min(gw - 1)).map(move |gx| gy * gw + gx)
            });
            let near = cells.flat_map(|i| by_cell.of(i).iter());
            is_cluster(c, near.map(|&k| &candidates[k as usize]), parts) && {
                let mut crossed = false;
                let radius = f64::from(NMS_RADIUS_DIAMETERS * c.diameter);
                for_each_in_ring((c.x, c.y), 0.0, radius, (width, height), |x, y| {
                    crossed |= lines[y * width + x];
                });
                !crossed
            }
        })
        .collect()
}

/// Whether candidate `c` answers to a cluster of touching dots: at least two of `near` (any
/// candidates, `c` itself among them or not) are parts of it — each round (not on a ridge),
/// at a finer scale than `c`'s, within the radius that `c` would suppress it in
/// ([`NMS_RADIUS_DIAMETERS`] of `c`'s diameter) and answering at least
/// [`CLUSTER_PART_RESPONSE`] as strongly — and two of those parts lie at least
/// [`CLUSTER_PART_SEPARATION`] of the larger one's diameter apart, too far to be one dot.
///
/// On the OpenCV peer's clusters (dots 6–16 px whose centres lie 0.85–1.0 times the sum of
/// their radii apart) the parts answer at 0.87–0.97 of the cluster's response and lie
/// 0.68–0.73 of the larger part's diameter apart. A single dot's rim answers a finer scale at
/// about a third of the dot's own response (−σ²∇² of a blurred step, 0.24 of its height,
/// against 0.74 at a matched disc's centre); but an irregular or elliptical dot a little
/// smaller than the typical one has two finer maxima, at 0.71–0.76 of its response and half
/// a diameter apart (healed dots at 50 px/mm, whose count rose by 3% with the bounds at 0.7
/// and half a diameter). A ridge part is a hair across the dot, not a dot.
///
/// `parts` is a gathering buffer (its contents do not matter).
pub(super) fn is_cluster<'a>(
    c: &Candidate,
    near: impl IntoIterator<Item = &'a Candidate>,
    parts: &mut Vec<Candidate>,
) -> bool {
    parts.clear();
    parts.extend(near.into_iter().filter(|p| is_part(c, p)).copied());
    two_apart(parts)
}

/// Whether candidate `p` is a part of the cluster that candidate `c` may answer to (see
/// [`is_cluster`]).
fn is_part(c: &Candidate, p: &Candidate) -> bool {
    let reach = NMS_RADIUS_DIAMETERS * c.diameter;
    !p.ridge
        && p.diameter < c.diameter
        && p.response >= CLUSTER_PART_RESPONSE * c.response
        && distance2(p, c) < reach * reach
}

/// Whether two of `parts` lie at least [`CLUSTER_PART_SEPARATION`] of the larger one's
/// diameter apart.
fn two_apart(parts: &[Candidate]) -> bool {
    parts.iter().enumerate().any(|(i, a)| {
        parts[i + 1..].iter().any(|b| {
            let apart = CLUSTER_PART_SEPARATION * a.diameter.max(b.diameter);
            distance2(a, b) >= apart * apart
        })
    })
}

/// The squared distance (px²) between two candidates' pixels.
fn distance2(a: &Candidate, b: &Candidate) -> f32 {
    (a.x as f32 - b.x as f32).powi(2) + (a.y as f32 - b.y as f32).powi(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(x: usize, y: usize, response: f32, diameter: f32) -> Candidate {
        Candidate {
            x,
            y,
            response,
            diameter,
            ridge: false,
        }
    }

    /// A candidate 20 px across at (50, 50) answering 1.0, and two finer parts 10 px across at
    /// (47, 49) and `second`, answering `responses`.
    fn cluster_of(second: (usize, usize), responses: (f32, f32)) -> (Candidate, Vec<Candidate>) {
        let c = candidate(50, 50, 1.0, 20.0);
        let parts = vec![
            c,
            candidate(47, 49, responses.0, 10.0),
            candidate(second.0, second.1, responses.1, 10.0),
        ];
        (c, parts)
    }

    /// Two round parts at [`CLUSTER_PART_RESPONSE`] of the cluster's response, at least
    /// [`CLUSTER_PART_SEPARATION`] of a part's diameter apart (6.5 px here), make a cluster;
    /// just weaker, just closer, on a ridge, at the cluster's own scale, outside its
    /// suppression radius or alone, they do not.
    #[test]
    fn a_cluster_needs_two_strong_finer_parts_far_enough_apart() {
        assert_eq!(CLUSTER_PART_RESPONSE, 0.8);
        assert_eq!(CLUSTER_PART_SEPARATION, 0.65);
        // (53, 52) is √45 ≈ 6.7 px from (47, 49); (53, 51) √40 ≈ 6.3 px.
        let (c, near) = cluster_of((53, 52), (0.8, 0.9));
        assert!(is_cluster(&c, &near, &mut Vec::new()));
        let (c, near) = cluster_of((53, 52), (0.79, 0.9));
        assert!(!is_cluster(&c, &near, &mut Vec::new()), "a part too weak");
        let (c, near) = cluster_of((53, 51), (0.8, 0.9));
        assert!(
            !is_cluster(&c, &near, &mut Vec::new()),
            "parts too close: one dot's two ends"
        );
        let (c, mut near) = cluster_of((53, 52), (0.8, 0.9));
        near[2].ridge = true;
        assert!(
            !is_cluster(&c, &near, &mut Vec::new()),
            "a ridge part: a hair across the dot"
        );
        let (c, mut near) = cluster_of((53, 52), (0.8, 0.9));
        near[2].diameter = 20.0;
        assert!(
            !is_cluster(&c, &near, &mut Vec::new()),
            "a part at the cluster's own scale"
        );
        // (58, 56) is 10 px from the candidate: at its suppression radius, not within.
        let (c, near) = cluster_of((58, 56), (0.8, 0.9));
        assert!(
            !is_cluster(&c, &near, &mut Vec::new()),
            "a part outside the suppression radius"
        );
        let (c, near) = cluster_of((53, 52), (0.8, 0.9));
        assert!(
            !is_cluster(&c, &near[..2], &mut Vec::new()),
            "a single part"
        );
    }

    /// A cluster that a hair line crosses (a pixel of it in the cluster candidate's suppression
    /// disc, rim included) is not taken for one: a hair across a dot gives it two ends too.
    #[test]
    fn a_cluster_that_a_hair_line_crosses_is_a_dot() {
        let (_, candidates) = cluster_of((53, 52), (0.8, 0.9));
        let (w, h) = (100, 100);
        let mut lines = vec![false; w * h];
        let cluster = |lines: &[bool]| clusters(&candidates, 20, (w, h), lines);
        assert_eq!(cluster(&lines), [true, false, false]);
        // Outside the disc of 10 px (11 px away), then on its rim.
        lines[50 * w + 61] = true;
        assert_eq!(cluster(&lines), [true, false, false]);
        lines[50 * w + 60] = true;
        assert_eq!(cluster(&lines), [false, false, false]);
    }

    /// The suppression drops a cluster candidate first, so that its parts stand as dots, where
    /// the hair lines are known and none crosses it; without hair lines, the strongest
    /// candidate suppresses its parts as before.
    #[test]
    fn suppression_keeps_a_clusters_parts() {
        let (_, candidates) = cluster_of((53, 52), (0.8, 0.9));
        let lines = vec![false; 100 * 100];
        let suppress = |lines| super::super::suppress(&candidates, (100, 100), 10.0, lines);
        assert_eq!(suppress(Some(lines.as_slice())), [2, 1]);
        assert_eq!(suppress(None), [0]);
    }
}

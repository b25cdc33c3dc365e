//! Touching clusters: dots deposited against each other, as when a later session fills the gaps
//! between earlier impressions, or a technician stacks two. Each cluster is two or three dots
//! whose outlines meet or overlap a little (closer than the no-stacking rule allows, never
//! closer than 0.85 times the sum of their equivalent radii); clusters and lone dots keep apart
//! from each other by the no-stacking rule, so that the true count is unambiguous.

use super::dots::Dot;
use super::placement::{dots_separated, DotParams, Grid, PLACEMENT_ATTEMPTS_PER_DOT};
use super::rng::SplitMix64;

/// Two touching dots of a cluster have their centres this range of times the sum of their
/// equivalent radii apart: from overlapping by 15% of it to just touching (the OpenCV peer's
/// generator uses the same range).
pub const TOUCHING_DISTANCE: (f64, f64) = (0.85, 1.0);

/// Places dots in `area_mm = (x0, y0, x1, y1)` (mm) at `params`' density, about
/// `cluster_fraction` (0..1) of them in touching clusters of two or three (a third of the
/// clusters are triples; the OpenCV peer's generator makes 30%), the rest alone.
///
/// A cluster grows from a dot drawn from `params` with its centre uniform in the area: each
/// further dot touches a member chosen at random, its centre [`TOUCHING_DISTANCE`] times the
/// sum of the two equivalent radii away in a random direction, and lies at least the start of
/// that range from every other member. A cluster is kept whole only if every one of its dots
/// lies in the area and respects the no-stacking rule ([`dots_separated`]) against every dot
/// of the other clusters. Gives up after [`PLACEMENT_ATTEMPTS_PER_DOT`] × target attempts.
/// Returns the dots, each cluster's consecutively, with the index of the cluster each
/// belongs to.
pub fn place_touching_clusters(
    area_mm: (f64, f64, f64, f64),
    params: &DotParams,
    cluster_fraction: f64,
    rng: &mut SplitMix64,
) -> Vec<(Dot, usize)> {
    let (x0, y0, x1, y1) = area_mm;
    let area = (x1 - x0).max(0.0) * (y1 - y0).max(0.0);
    let target = (params.density_per_cm2.max(0.0) * area / 100.0).round() as usize;
    // Clusters hold 7/3 dots on average: the chance that a cluster is started for a fraction
    // f of the dots to be in clusters.
    let f = cluster_fraction.clamp(0.0, 1.0);
    let p_cluster = f / (7.0 / 3.0 - (4.0 / 3.0) * f);
    let mut placed: Vec<(Dot, usize)> = Vec::new();
    // Placed dots by cell, cells 2 × the largest outline radius wide: every dot a new one could
    // stack on lies in the 3 × 3 cells around it (as in `place_dots`).
    let mut grid = Grid::new(area_mm, (2.0 * params.max_outline_radius_mm()).max(1e-3));
    let mut clusters = 0;
    let inside = |d: &Dot| d.x_mm >= x0 && d.x_mm < x1 && d.y_mm >= y0 && d.y_mm < y1;
    for _ in 0..target * PLACEMENT_ATTEMPTS_PER_DOT {
        if placed.len() >= target {
            break;
        }
        let size = if placed.len() + 2 <= target && rng.next_f64() < p_cluster {
            if placed.len() + 3 <= target && rng.next_f64() < 1.0 / 3.0 {
                3
            } else {
                2
            }
        } else {
            1
        };
        let mut first = params.sample(rng);
        first.x_mm = rng.uniform(x0, x1);
        first.y_mm = rng.uniform(y0, y1);
        let mut members = vec![first];
        while members.len() < size {
            let anchor = members[(rng.next_f64() * members.len() as f64) as usize % members.len()];
            let mut dot = params.sample(rng);
            let reach = 0.5 * (anchor.diameter_mm + dot.diameter_mm);
            let distance = reach * rng.uniform(TOUCHING_DISTANCE.0, TOUCHING_DISTANCE.1);
            let angle = rng.uniform(0.0, std::f64::consts::TAU);
            dot.x_mm = anchor.x_mm + distance * angle.cos();
            dot.y_mm = anchor.y_mm + distance * angle.sin();
            let apart = members.iter().all(|m| {
                let least = TOUCHING_DISTANCE.0 * 0.5 * (m.diameter_mm + dot.diameter_mm);
                (m.x_mm - dot.x_mm).hypot(m.y_mm - dot.y_mm) >= least - 1e-12
            });
            if !apart {
                break;
            }
            members.push(dot);
        }
        if members.len() < size || !members.iter().all(inside) {
            continue;
        }
        let clear = members.iter().all(|m| {
            grid.near(m.x_mm, m.y_mm)
                .all(|k| dots_separated(m, &placed[k].0))
        });
        if clear {
            for m in members {
                grid.insert(m.x_mm, m.y_mm, placed.len());
                placed.push((m, clusters));
            }
            clusters += 1;
        }
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Members of one cluster touch (a member within the touching range of another), no two
    /// closer than its start, and dots of different clusters keep the no-stacking rule; about
    /// the asked fraction is clustered; the same seed, the same dots.
    #[test]
    fn clusters_touch_and_keep_apart() {
        let area = (0.0, 0.0, 20.0, 15.0);
        let params = DotParams {
            density_per_cm2: 100.0,
            ..DotParams::healed()
        };
        let dots = place_touching_clusters(area, &params, 0.5, &mut SplitMix64::new(7));
        assert_eq!(dots.len(), 300);
        let distance = |a: &Dot, b: &Dot| (a.x_mm - b.x_mm).hypot(a.y_mm - b.y_mm);
        let reach = |a: &Dot, b: &Dot| 0.5 * (a.diameter_mm + b.diameter_mm);
        let mut clustered = 0;
        for (i, (a, ca)) in dots.iter().enumerate() {
            assert!(a.x_mm >= 0.0 && a.x_mm < 20.0 && a.y_mm >= 0.0 && a.y_mm < 15.0);
            let mates: Vec<&Dot> = dots
                .iter()
                .enumerate()
                .filter(|(j, (_, c))| *j != i && c == ca)
                .map(|(_, (d, _))| d)
                .collect();
            if !mates.is_empty() {
                clustered += 1;
                assert!(mates.len() <= 2);
                assert!(mates.iter().any(|b| distance(a, b) <= reach(a, b) + 1e-9));
            }
            for (b, cb) in &dots[i + 1..] {
                if cb == ca {
                    assert!(distance(a, b) >= 0.85 * reach(a, b) - 1e-9);
                } else {
                    assert!(dots_separated(a, b), "stacked: {a:?} {b:?}");
                }
            }
        }
        let fraction = clustered as f64 / dots.len() as f64;
        assert!((0.4..0.6).contains(&fraction), "{fraction}");
        let again = place_touching_clusters(area, &params, 0.5, &mut SplitMix64::new(7));
        assert_eq!(again, dots);
    }

    /// No clusters asked, none made: every dot alone.
    #[test]
    fn no_cluster_fraction_places_lone_dots() {
        let params = DotParams::healed();
        let dots = place_touching_clusters(
            (0.0, 0.0, 10.0, 10.0),
            &params,
            0.0,
            &mut SplitMix64::new(3),
        );
        assert!(!dots.is_empty());
        for (k, (_, cluster)) in dots.iter().enumerate() {
            assert_eq!(*cluster, k);
        }
    }
}

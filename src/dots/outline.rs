//! Dot outlines: the distance
//! transform that tells a dot (fat) from a hair (thin), and the opening that shaves hair arms
//! off the dots they cross.

use std::sync::atomic::Ordering;

use rayon::prelude::*;

const SQRT2: f32 = std::f32::consts::SQRT_2;

/// Forward-pass neighbours (already visited in raster order) and their steps.
const FORWARD: [(isize, isize, f32); 4] =
    [(-1, 0, 1.0), (-1, -1, SQRT2), (0, -1, 1.0), (1, -1, SQRT2)];
/// Backward-pass neighbours and their steps.
const BACKWARD: [(isize, isize, f32); 4] =
    [(1, 0, 1.0), (1, 1, SQRT2), (0, 1, 1.0), (-1, 1, SQRT2)];

/// The 8-connected components of an outline mask, each as its pixel indices in raster order:
/// the units that the chamfer passes below run on in parallel.
pub(super) struct Components {
    /// Per component, its pixels (indices into the plane), in raster order.
    pub members: Vec<Vec<u32>>,
    /// The plane's (width, height), px.
    size: (usize, usize),
}

impl Components {
    /// The components of `mask` (`width` px per row), in raster order of their first pixel.
    pub(super) fn of(mask: &[bool], width: usize) -> Components {
        let mut members: Vec<Vec<u32>> = Vec::new();
        super::for_each_component(
            |i| mask[i],
            mask.len(),
            width,
            |pixels, _| members.push(pixels.iter().map(|&i| i as u32).collect()),
        );
        debug_assert!(members.iter().all(|m| m.is_sorted()));
        let size = (width, mask.len().checked_div(width).unwrap_or(0));
        Components { members, size }
    }
}

/// Per component of a [`Components`], one value per member pixel, in the same order: the
/// distances below are kept only where the outlines are (a tenth of a photo), not as
/// full-size planes.
pub(super) type PerMember = Vec<Vec<f32>>;

/// Two-pass chamfer propagation (steps 1 and √2) within each component of `components`
/// (`width` × `height` px): `dist` holds the starting distances of the members; a member takes
/// the smallest of its own value and, for each neighbour, the neighbour's distance + step when
/// it has the same `key`, or `outside + step` when it does not (`outside` = `None` ignores
/// such neighbours). `key(i)` must be `Some` on every member and `None` off the mask.
///
/// The same values as one raster pass over a whole plane, bit for bit, at any thread count: a
/// pixel only reads neighbours with its own key, which are 8-connected to it and so in its own
/// component, and each component is visited in raster order and back. Components run in
/// parallel (the whole-plane pass was sequential and a tenth of a photo's time), and a
/// neighbour is found among the sorted members by a cursor that only moves one way: no
/// full-size plane is needed.
fn chamfer(
    components: &Components,
    key: impl Fn(usize) -> Option<u32> + Sync,
    dist: &mut PerMember,
    outside: Option<f32>,
) {
    let (width, height) = components.size;
    components
        .members
        .par_iter()
        .zip(dist.par_iter_mut())
        .for_each_init(Vec::new, |keys, (members, dist)| {
            chamfer_component(members, dist, &key, (width, height), outside, keys)
        });
}

/// [`chamfer`] of one component's `members` (sorted pixel indices) and their `dist`; `keys`
/// is a scratch buffer (its contents do not matter).
///
/// Each member's key is looked up once: a neighbour has a member's key only if it is a member
/// itself (see [`chamfer`]), so a neighbour is first found among the members, then its key
/// compared there. (Looking up every neighbour's key in the full-size planes, ten lookups per
/// member, each in two planes, was most of this function's time.)
fn chamfer_component(
    members: &[u32],
    dist: &mut [f32],
    key: &impl Fn(usize) -> Option<u32>,
    (width, height): (usize, usize),
    outside: Option<f32>,
    keys: &mut Vec<Option<u32>>,
) {
    debug_assert_eq!(members.len(), dist.len());
    keys.clear();
    keys.extend(members.iter().map(|&i| key(i as usize)));
    let keys = &*keys;
    // Finds pixel `j` among the members from position `from` onwards (`forward`) or backwards:
    // the three neighbours in the next row are consecutive in raster order, so `from` (at the
    // first of them, or before) is at most 3 positions away.
    let find = |from: usize, j: usize, forward: bool| -> Option<usize> {
        let mut p = from;
        for _ in 0..3 {
            let m = *members.get(p)? as usize;
            if m == j {
                return Some(p);
            }
            if (forward && m > j) || (!forward && m < j) {
                return None;
            }
            p = if forward { p + 1 } else { p.checked_sub(1)? };
        }
        None
    };
    let relax = |dist: &mut [f32], p: usize, steps: &[(isize, isize, f32)], cursor: usize| {
        let i = members[p] as usize;
        let (x, y) = (i % width, i / width);
        let label = keys[p];
        let mut best = dist[p];
        for &(dx, dy, step) in steps {
            let (nx, ny) = (x as isize + dx, y as isize + dy);
            let inside = nx >= 0 && ny >= 0 && (nx as usize) < width && (ny as usize) < height;
            let at = if !inside {
                None
            } else {
                let j = ny as usize * width + nx as usize;
                let q = if dy == 0 {
                    // The pixel beside, if a member, is next to this one in raster order.
                    let q = if dx < 0 {
                        p.checked_sub(1)
                    } else {
                        Some(p + 1)
                    };
                    q.filter(|&q| members.get(q).is_some_and(|&m| m as usize == j))
                } else {
                    find(cursor, j, dy < 0)
                };
                q.filter(|&q| keys[q] == label)
            };
            if let Some(q) = at {
                best = best.min(dist[q] + step);
            } else if let Some(o) = outside {
                best = best.min(o + step);
            }
        }
        dist[p] = best;
    };
    // Forward: the cursor is the first member at or after the row above's left neighbour.
    let mut cursor = 0;
    for p in 0..members.len() {
        let i = members[p] as usize;
        let first_above = i.saturating_sub(width + 1);
        while cursor < p && (members[cursor] as usize) < first_above {
            cursor += 1;
        }
        relax(dist, p, &FORWARD, cursor);
    }
    // Backward: the cursor is the last member at or before the row below's right neighbour.
    let mut cursor = members.len().saturating_sub(1);
    for p in (0..members.len()).rev() {
        let i = members[p] as usize;
        let last_below = i + width + 1;
        while cursor > p && (members[cursor] as usize) > last_below {
            cursor -= 1;
        }
        relax(dist, p, &BACKWARD, cursor);
    }
}

/// The chamfer key of the dot outlines: a pixel's dot label where it is covered, else none.
fn dot_key<'a>(
    labels: &'a [u32],
    covered: &'a [bool],
) -> impl Fn(usize) -> Option<u32> + Sync + Copy + 'a {
    |i| (covered[i] && labels[i] != 0).then_some(labels[i])
}

/// Per member of each component, `value(pixel index)`.
fn per_member(components: &Components, value: impl Fn(usize) -> f32 + Sync) -> PerMember {
    components
        .members
        .par_iter()
        .map(|members| members.iter().map(|&i| value(i as usize)).collect())
        .collect()
}

/// Chamfer distance (px) from every pixel of the outlines (`components` of `covered`, whose
/// pixels all have a label) to the nearest pixel outside its own dot's outline — a pixel of
/// another dot, uncovered, or beyond the image — per member. Touching dots are measured
/// separately, so a hair piece flooded into its own territory next to a dot stays thin.
pub(super) fn inside_distance(
    labels: &[u32],
    covered: &[bool],
    components: &Components,
) -> PerMember {
    let mut dist = per_member(components, |_| f32::INFINITY);
    chamfer(components, dot_key(labels, covered), &mut dist, Some(0.0));
    dist
}

/// Morphological opening of each dot's outline by a disc of `radius[label − 1]` px: keeps the
/// covered pixels within that radius of a pixel lying deeper than it inside the outline
/// (`inside` from [`inside_distance`], consumed: its buffers are reused for the propagation).
/// Round dots keep their shape; thin arms (hairs crossing a dot) narrower than twice the radius
/// are cut off. Returns one flag per pixel of the plane.
pub(super) fn open(
    labels: &[u32],
    covered: &[bool],
    components: &Components,
    inside: PerMember,
    radius: &[f32],
) -> Vec<bool> {
    let radius_at = |i: u32| radius[labels[i as usize] as usize - 1];
    // Distance (px) to the eroded outline, propagated within each dot.
    let mut to_core = inside;
    to_core
        .par_iter_mut()
        .zip(&components.members)
        .for_each(|(dist, members)| {
            for (v, &i) in dist.iter_mut().zip(members) {
                *v = if *v > radius_at(i) {
                    0.0
                } else {
                    f32::INFINITY
                };
            }
        });
    chamfer(components, dot_key(labels, covered), &mut to_core, None);
    // Components are disjoint: each writes its own pixels, components in parallel (see
    // super::atomic_view; on one thread this was a fifth of the stage).
    let mut opened = vec![false; labels.len()];
    let shared = super::atomic_view::bools(&mut opened);
    to_core
        .par_iter()
        .zip(&components.members)
        .for_each(|(dist, members)| {
            for (v, &i) in dist.iter().zip(members) {
                shared[i as usize].store(*v <= radius_at(i) + 0.5, Ordering::Relaxed);
            }
        });
    opened
}

/// Ratio of principal axes (≥ 1) of a pixel set from its moment sums
/// (n, Σx, Σy, Σx², Σy², Σxy), counting each pixel as a unit square.
pub(super) fn elongation(m: &[f64; 6]) -> f32 {
    let [n, sx, sy, sxx, syy, sxy] = *m;
    if n < 3.0 {
        return 1.0;
    }
    let (mx, my) = (sx / n, sy / n);
    let (cxx, cyy, cxy) = (sxx / n - mx * mx, syy / n - my * my, sxy / n - mx * my);
    let mean = (cxx + cyy) / 2.0;
    let spread = (((cxx - cyy) / 2.0).powi(2) + cxy * cxy).sqrt();
    let minor = (mean - spread).max(0.0) + 1.0 / 12.0;
    let major = mean + spread + 1.0 / 12.0;
    (major / minor).sqrt() as f32
}

/// The 8-connected networks of a mask, seen from a few query pixels.
pub(super) struct Networks {
    /// Per query pixel: its network's number (0 outside the mask, else 1 + index into `size`).
    pub id: Vec<u32>,
    /// Per network: (area in px, half-width of its fattest point in px).
    pub size: Vec<(u32, f32)>,
    /// Per query pixel: distance (px) to the nearest pixel outside every outline.
    pub inside: Vec<f32>,
}

/// Finds the networks of `mask` (its `components`), how fat each is at its
/// fattest point, and which network each pixel index of `queries` lies in. Only per-query
/// values are returned: no per-pixel plane is made.
pub(super) fn networks(mask: &[bool], components: &Components, queries: &[usize]) -> Networks {
    let mut inside = per_member(components, |_| f32::INFINITY);
    chamfer(components, |i| mask[i].then_some(1), &mut inside, Some(0.0));
    let size: Vec<(u32, f32)> = inside
        .par_iter()
        .map(|dist| {
            let fattest = dist.iter().fold(0f32, |f, &v| f.max(v - 0.5));
            (dist.len() as u32, fattest)
        })
        .collect();
    // The few query pixels, sorted, are found among each network's sorted members by a merge,
    // networks in parallel (a hash lookup of every outline pixel on one thread was most of
    // this stage's sequential time). A pixel is in one network at most, so the order in which
    // the networks' finds are stored changes nothing.
    // (pixel, query number), by pixel.
    let mut sorted: Vec<(usize, usize)> = queries.iter().copied().zip(0..).collect();
    sorted.sort_unstable();
    let found: Vec<Vec<(usize, u32, f32)>> = components
        .members
        .par_iter()
        .zip(&inside)
        .enumerate()
        .map(|(c, (members, dist))| {
            let mut found = Vec::new();
            let (Some(&first), Some(&last)) = (members.first(), members.last()) else {
                return found;
            };
            let mut m = 0;
            let start = sorted.partition_point(|&(q, _)| q < first as usize);
            for &(q, k) in &sorted[start..] {
                if q > last as usize {
                    break;
                }
                while (members[m] as usize) < q {
                    m += 1;
                }
                if members[m] as usize == q {
                    found.push((k, c as u32 + 1, dist[m]));
                }
            }
            found
        })
        .collect();
    let mut id = vec![0u32; queries.len()];
    // Off the mask a query is at distance 0 (as the whole-plane pass left it).
    let mut depth = vec![0f32; queries.len()];
    for (k, network, v) in found.into_iter().flatten() {
        id[k] = network;
        depth[k] = v;
    }
    Networks {
        id,
        size,
        inside: depth,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole-plane sequential pass that [`chamfer`] replaces: the oracle it must match.
    fn chamfer_whole_plane(
        key: impl Fn(usize) -> Option<u32>,
        (width, height): (usize, usize),
        dist: &mut [f32],
        outside: Option<f32>,
    ) {
        let members: Vec<usize> = (0..dist.len()).filter(|&i| key(i).is_some()).collect();
        let mut relax = |i: usize, steps: &[(isize, isize, f32)]| {
            let (x, y) = (i % width, i / width);
            let mut best = dist[i];
            for &(dx, dy, step) in steps {
                let (nx, ny) = (x as isize + dx, y as isize + dy);
                let inside = nx >= 0 && ny >= 0 && (nx as usize) < width && (ny as usize) < height;
                let j = if inside {
                    ny as usize * width + nx as usize
                } else {
                    0
                };
                if inside && key(j) == key(i) {
                    best = best.min(dist[j] + step);
                } else if let Some(o) = outside {
                    best = best.min(o + step);
                }
            }
            dist[i] = best;
        };
        for &i in &members {
            relax(i, &FORWARD);
        }
        for &i in members.iter().rev() {
            relax(i, &BACKWARD);
        }
    }

    /// Blobs, lines and specks of several labels, touching each other and the plane's edges.
    fn scene(width: usize, height: usize, seed: u64) -> (Vec<u32>, Vec<bool>) {
        let mut rng = crate::synth::SplitMix64::new(seed);
        let mut labels = vec![0u32; width * height];
        for label in 1..=40u32 {
            let (cx, cy) = (
                rng.uniform(0.0, width as f64),
                rng.uniform(0.0, height as f64),
            );
            let (rx, ry) = (rng.uniform(0.5, 9.0), rng.uniform(0.5, 4.0));
            for y in 0..height {
                for x in 0..width {
                    let (dx, dy) = ((x as f64 - cx) / rx, (y as f64 - cy) / ry);
                    if dx * dx + dy * dy <= 1.0 {
                        labels[y * width + x] = label;
                    }
                }
            }
        }
        let covered = labels.iter().map(|&l| l != 0 && l % 7 != 0).collect();
        (labels, covered)
    }

    /// Every member's value equals the plane's at its pixel, bit for bit.
    fn same(components: &Components, ours: &PerMember, plane: &[f32]) -> bool {
        components.members.iter().zip(ours).all(|(m, d)| {
            m.iter()
                .zip(d)
                .all(|(&i, v)| v.to_bits() == plane[i as usize].to_bits())
        })
    }

    #[test]
    fn chamfer_by_components_matches_the_whole_plane_pass_bit_for_bit() {
        for seed in 0..6 {
            let (w, h) = (97, 61);
            let (labels, covered) = scene(w, h, seed);
            let components = Components::of(&covered, w);
            let key = dot_key(&labels, &covered);
            for outside in [Some(0.0), None] {
                let start: Vec<f32> = (0..w * h)
                    .map(|i| match key(i) {
                        Some(l) if outside.is_none() && l % 3 == 0 => 0.0,
                        Some(_) => f32::INFINITY,
                        None => 0.0,
                    })
                    .collect();
                let mut ours = per_member(&components, |i| start[i]);
                let mut oracle = start;
                chamfer(&components, key, &mut ours, outside);
                chamfer_whole_plane(key, (w, h), &mut oracle, outside);
                assert!(
                    same(&components, &ours, &oracle),
                    "seed {seed}, outside {outside:?}"
                );
            }
            // Networks: the mask alone as key.
            let mut oracle: Vec<f32> = covered
                .iter()
                .map(|&m| if m { f32::INFINITY } else { 0.0 })
                .collect();
            let mut ours = per_member(&components, |_| f32::INFINITY);
            let mask_key = |i: usize| covered[i].then_some(1);
            chamfer(&components, mask_key, &mut ours, Some(0.0));
            chamfer_whole_plane(mask_key, (w, h), &mut oracle, Some(0.0));
            assert!(same(&components, &ours, &oracle));
            assert!(
                ours.iter().flatten().any(|v| *v > 2.0),
                "the scene has fat pieces"
            );
        }
    }

    /// Each query pixel gets the network it lies in and its depth there, whatever the order
    /// and repetition of the queries: checked against a plain search of every network's
    /// members for every query (queries on and off the mask, first and last members, repeats).
    #[test]
    fn networks_find_each_query_in_its_network() {
        for seed in 0..4 {
            let (w, h) = (70, 50);
            let (_, covered) = scene(w, h, seed);
            let components = Components::of(&covered, w);
            let mut rng = crate::synth::SplitMix64::new(100 + seed);
            let mut queries: Vec<usize> = (0..300)
                .map(|_| rng.uniform(0.0, (w * h) as f64) as usize)
                .collect();
            for members in &components.members {
                queries.push(members[0] as usize);
                queries.push(*members.last().unwrap() as usize);
            }
            queries.extend([0, w * h - 1, queries[5], queries[5]]);
            let networks = networks(&covered, &components, &queries);
            let mut inside = per_member(&components, |_| f32::INFINITY);
            chamfer(
                &components,
                |i| covered[i].then_some(1),
                &mut inside,
                Some(0.0),
            );
            let mut on_mask = 0;
            for (k, &q) in queries.iter().enumerate() {
                let expected = components
                    .members
                    .iter()
                    .enumerate()
                    .find_map(|(c, members)| {
                        let m = members.iter().position(|&i| i as usize == q)?;
                        Some((c as u32 + 1, inside[c][m]))
                    })
                    .unwrap_or((0, 0.0));
                on_mask += usize::from(expected.0 != 0);
                assert_eq!(
                    (networks.id[k], networks.inside[k].to_bits()),
                    (expected.0, expected.1.to_bits()),
                    "seed {seed}, query {k} at {q}"
                );
            }
            assert!(on_mask > 2 * components.members.len(), "seed {seed}");
            assert!(
                on_mask < queries.len(),
                "seed {seed}: some queries off the mask"
            );
        }
    }
}

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
    /// Per member, components one after another: the position among its component's members
    /// of each of its [`FORWARD`] neighbours, in that order, or [`NO_NEIGHBOUR`] where that
    /// pixel is not a member. Found once for the three chamfers that run on the components
    /// (finding them was most of a chamfer pass's work); a neighbour's key is compared per
    /// chamfer. One allocation (16 B per outline pixel), not one per component.
    forward: Vec<[u32; 4]>,
    /// Where each component's members start in `forward`; one more entry than components.
    starts: Vec<usize>,
}

/// In [`Components::forward`]: no such neighbour among the members.
const NO_NEIGHBOUR: u32 = u32::MAX;

impl Components {
    /// The components of `mask` (`width` px per row), in raster order of their first pixel.
    pub(super) fn of(mask: &[bool], width: usize) -> Components {
        let mut members: Vec<Vec<u32>> = Vec::new();
        super::for_each_component(mask, width, |pixels, _| {
            members.push(pixels.iter().map(|&i| i as u32).collect())
        });
        debug_assert!(members.iter().all(|m| m.is_sorted()));
        let starts: Vec<usize> = std::iter::once(0)
            .chain(members.iter().scan(0, |end, m| {
                *end += m.len();
                Some(*end)
            }))
            .collect();
        let mut forward = vec![[NO_NEIGHBOUR; 4]; starts[members.len()]];
        // One slice of `forward` per component, filled in parallel.
        let mut slices = Vec::with_capacity(members.len());
        let mut rest = &mut forward[..];
        for m in &members {
            let (own, others) = std::mem::take(&mut rest).split_at_mut(m.len());
            slices.push(own);
            rest = others;
        }
        slices
            .into_par_iter()
            .zip(&members)
            .for_each(|(out, members)| forward_neighbours(members, width, out));
        Components {
            members,
            forward,
            starts,
        }
    }
}

/// Per member of one component (`members`: sorted pixel indices of a plane `width` px wide),
/// the positions among the members of its [`FORWARD`] neighbours (see
/// [`Components::forward`]).
///
/// A neighbour in the row above is found by a cursor that only moves one way: the three
/// neighbours above are consecutive in raster order, so the cursor (the first member at or
/// after the left one) is at most three positions from each; the pixel to the left, if a
/// member, is the one before.
fn forward_neighbours(members: &[u32], width: usize, out: &mut [[u32; 4]]) {
    let mut cursor = 0;
    for (p, &i) in members.iter().enumerate() {
        let i = i as usize;
        let (x, y) = (i % width, i / width);
        let first_above = i.saturating_sub(width + 1);
        while cursor < p && (members[cursor] as usize) < first_above {
            cursor += 1;
        }
        let find = |j: usize| -> u32 {
            let mut q = cursor;
            while q < p && (members[q] as usize) < j {
                q += 1;
            }
            if q < p && members[q] as usize == j {
                q as u32
            } else {
                NO_NEIGHBOUR
            }
        };
        let left = if x > 0 && p > 0 && members[p - 1] as usize == i - 1 {
            (p - 1) as u32
        } else {
            NO_NEIGHBOUR
        };
        let above = |dx: isize| -> u32 {
            let nx = x as isize + dx;
            if y == 0 || nx < 0 || nx as usize >= width {
                NO_NEIGHBOUR
            } else {
                find((y - 1) * width + nx as usize)
            }
        };
        // In FORWARD's order: left, up-left, up, up-right.
        out[p] = [left, above(-1), above(0), above(1)];
    }
}

/// Per component of a [`Components`], one value per member pixel, in the same order: the
/// distances below are kept only where the outlines are (a tenth of a photo), not as
/// full-size planes.
pub(super) type PerMember = Vec<Vec<f32>>;

/// Two-pass chamfer propagation (steps 1 and √2) within each component of `components`:
/// `dist` holds the starting distances of the members; a member takes
/// the smallest of its own value and, for each neighbour, the neighbour's distance + step when
/// it has the same `key`, or `outside + step` when it does not (`outside` = `None` ignores
/// such neighbours). `key(i)` must be `Some` on every member and `None` off the mask.
///
/// The same values as one raster pass over a whole plane, bit for bit, at any thread count: a
/// pixel only reads neighbours with its own key, which are 8-connected to it and so in its own
/// component, and each component is visited in raster order and back. Components run in
/// parallel (the whole-plane pass was sequential and a tenth of a photo's time), each
/// member's neighbours taken from [`Components`]' table: no full-size plane is needed.
fn chamfer(
    components: &Components,
    key: impl Fn(usize) -> Option<u32> + Sync,
    dist: &mut PerMember,
    outside: Option<f32>,
) {
    let starts = &components.starts;
    components
        .members
        .par_iter()
        .zip(dist.par_iter_mut())
        .enumerate()
        .for_each_init(
            || (Vec::new(), Vec::new()),
            |(keys, present), (c, (members, dist))| {
                let forward = &components.forward[starts[c]..starts[c + 1]];
                chamfer_component(members, forward, dist, &key, outside, (keys, present))
            },
        );
}

/// [`chamfer`] of one component's `members` (sorted pixel indices), their `forward`
/// neighbours (see [`Components::forward`]) and their `dist`; `keys` and `present` are
/// scratch buffers (their contents do not matter).
///
/// Each member's key is looked up once: a neighbour has a member's key only if it is a member
/// itself (see [`chamfer`]), so its key is compared among the members'. The forward pass takes
/// each member's forward neighbours; the backward pass, visiting the members in reverse,
/// pushes each member's final value to its forward neighbours instead of pulling from its
/// backward ones (the same neighbour pairs, the offsets negated: the same minima, which do not
/// depend on their order), noting in `present` which backward neighbours each member has, for
/// the `outside` steps of the missing ones.
fn chamfer_component(
    members: &[u32],
    forward: &[[u32; 4]],
    dist: &mut [f32],
    key: &impl Fn(usize) -> Option<u32>,
    outside: Option<f32>,
    (keys, present): (&mut Vec<Option<u32>>, &mut Vec<u8>),
) {
    debug_assert_eq!(members.len(), dist.len());
    debug_assert_eq!(members.len(), forward.len());
    keys.clear();
    keys.extend(members.iter().map(|&i| key(i as usize)));
    let keys = &*keys;
    // A neighbour of member p with p's key, by position.
    let same = |p: usize, q: u32| q != NO_NEIGHBOUR && keys[q as usize] == keys[p];
    for p in 0..members.len() {
        let mut best = dist[p];
        for (&q, &(_, _, step)) in forward[p].iter().zip(&FORWARD) {
            if same(p, q) {
                best = best.min(dist[q as usize] + step);
            } else if let Some(o) = outside {
                best = best.min(o + step);
            }
        }
        dist[p] = best;
    }
    present.clear();
    present.resize(members.len(), 0);
    for p in (0..members.len()).rev() {
        // Every backward neighbour (later in raster order) has pushed its value already.
        let mut best = dist[p];
        if let Some(o) = outside {
            for (k, &(_, _, step)) in BACKWARD.iter().enumerate() {
                if present[p] >> k & 1 == 0 {
                    best = best.min(o + step);
                }
            }
        }
        dist[p] = best;
        for (k, (&q, &(_, _, step))) in forward[p].iter().zip(&FORWARD).enumerate() {
            if same(p, q) {
                let q = q as usize;
                dist[q] = dist[q].min(best + step);
                present[q] |= 1 << k;
            }
        }
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

    /// On one plane (`labels`, `covered` ⊆ the labelled pixels, `size` px), [`chamfer`] by
    /// components equals the whole-plane pass bit for bit: the dots' key with and without
    /// `outside` (from sources, every 11th pixel, when without), and the mask alone as key (the
    /// networks'). Returns the mask chamfer's values, and how many members a source's distance
    /// reached (finite and above 0 without `outside`).
    fn assert_chamfer_matches_the_whole_plane_pass(
        labels: &[u32],
        covered: &[bool],
        (w, h): (usize, usize),
        context: &str,
    ) -> (PerMember, usize) {
        let components = Components::of(covered, w);
        let key = dot_key(labels, covered);
        let mut propagated = 0;
        for outside in [Some(0.0), None] {
            let start: Vec<f32> = (0..w * h)
                .map(|i| match key(i) {
                    Some(_) if outside.is_none() && i % 11 == 0 => 0.0,
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
                "{context}, outside {outside:?}"
            );
            if outside.is_none() {
                propagated = ours
                    .iter()
                    .flatten()
                    .filter(|v| v.is_finite() && **v > 0.0)
                    .count();
            }
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
        assert!(same(&components, &ours, &oracle), "{context}, mask");
        (ours, propagated)
    }

    /// The chamfer by components is the whole-plane pass on scenes of blobs and lines.
    #[test]
    fn chamfer_by_components_matches_the_whole_plane_pass_bit_for_bit() {
        for seed in 0..6 {
            let (w, h) = (97, 61);
            let (labels, covered) = scene(w, h, seed);
            let (mask, propagated) = assert_chamfer_matches_the_whole_plane_pass(
                &labels,
                &covered,
                (w, h),
                &format!("seed {seed}"),
            );
            assert!(
                mask.iter().flatten().any(|v| *v > 2.0),
                "the scene has fat pieces"
            );
            assert!(propagated > 100, "seed {seed}: distances from sources");
        }
    }

    /// On planes one or two pixels wide or tall (a single pixel, thin strips either way), where
    /// every pixel lies on the plane's edge and has few neighbours, the chamfer by components
    /// is the whole-plane pass: runs of a few labels, some labelled pixels uncovered, a plane
    /// wholly one covered dot, and one of alternating dots.
    #[test]
    fn chamfer_on_planes_one_or_two_pixels_across_matches_the_whole_plane_pass() {
        let mut rng = crate::synth::SplitMix64::new(41);
        let (mut strips, mut propagated) = (0, 0);
        for (w, h) in [
            (1, 1),
            (1, 2),
            (2, 1),
            (2, 2),
            (1, 37),
            (37, 1),
            (2, 37),
            (37, 2),
            (2, 3),
            (3, 2),
        ] {
            let n = w * h;
            let whole = vec![1u32; n];
            let alternating: Vec<u32> = (0..n).map(|i| 1 + (i % w + i / w) as u32 % 2).collect();
            for seed in 0..8 {
                // Runs in raster order: each pixel keeps the last label or takes one of 0..=4.
                let mut label = 0;
                let runs: Vec<u32> = (0..n)
                    .map(|_| {
                        if rng.uniform(0.0, 1.0) < 0.35 {
                            label = rng.uniform(0.0, 5.0) as u32;
                        }
                        label
                    })
                    .collect();
                let covered: Vec<bool> = runs
                    .iter()
                    .map(|&l| l != 0 && rng.uniform(0.0, 1.0) < 0.85)
                    .collect();
                let context = format!("{w}×{h} seed {seed}");
                propagated +=
                    assert_chamfer_matches_the_whole_plane_pass(&runs, &covered, (w, h), &context)
                        .1;
                strips += usize::from(covered.iter().filter(|&&c| c).count() >= 3);
            }
            for (name, labels) in [("whole", &whole), ("alternating", &alternating)] {
                let covered = vec![true; n];
                let context = format!("{w}×{h} {name}");
                propagated +=
                    assert_chamfer_matches_the_whole_plane_pass(labels, &covered, (w, h), &context)
                        .1;
            }
        }
        assert!(strips > 40, "{strips} random planes with dots to compare");
        assert!(propagated > 100, "{propagated} distances from sources");
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

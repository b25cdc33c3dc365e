use super::chamfer::{dot_key, PerMember};
use super::*;
use crate::dots::bits::PixelBits;
use crate::dots::FRINGE_OPENING_RADII;

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
                assert_chamfer_matches_the_whole_plane_pass(&runs, &covered, (w, h), &context).1;
            strips += usize::from(covered.iter().filter(|&&c| c).count() >= 3);
        }
        for (name, labels) in [("whole", &whole), ("alternating", &alternating)] {
            let covered = vec![true; n];
            let context = format!("{w}×{h} {name}");
            propagated +=
                assert_chamfer_matches_the_whole_plane_pass(labels, &covered, (w, h), &context).1;
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

/// Each member's forward neighbours, as the components hold them, are the members at its left,
/// up-left, up and up-right pixels (found by a search of the members), or none: on masks of
/// noise of every density, at the plane's edges, and one pixel wide or tall.
#[test]
fn forward_neighbours_are_the_members_beside_each_member() {
    let mut rng = crate::synth::SplitMix64::new(21);
    for (w, h) in [(1, 9), (9, 1), (2, 2), (23, 17), (64, 40)] {
        for density in [0.1, 0.5, 0.9, 1.0] {
            let mask: Vec<bool> = (0..w * h)
                .map(|_| rng.uniform(0.0, 1.0) < density)
                .collect();
            let components = Components::of(&mask, w);
            for (c, members) in components.members.iter().enumerate() {
                let forward = components.forward(c);
                assert_eq!(forward.len(), members.len());
                let position = |x: isize, y: isize| -> u32 {
                    if x < 0 || y < 0 || x >= w as isize {
                        return NO_NEIGHBOUR;
                    }
                    let i = y as u32 * w as u32 + x as u32;
                    members.binary_search(&i).map_or(NO_NEIGHBOUR, |q| q as u32)
                };
                for (p, &i) in members.iter().enumerate() {
                    let (x, y) = ((i as usize % w) as isize, (i as usize / w) as isize);
                    let expected = FORWARD.map(|(dx, dy, _)| position(x + dx, y + dy));
                    assert_eq!(forward.of(p), expected, "{w}×{h} at ({x}, {y})");
                }
            }
        }
    }
}

/// A dot 8 px in radius with three bumps a pixel wide and two long on its edge (noise on a soft edge) and a hair
/// 2 px wide leaving it for 17 px, all one territory, opened by a disc of 4 px: the bumps are the
/// dot's fringe wherever the hair lines are known, the hair is never fringe where a line was
/// traced along it, and without a line only within one more opening radius of the opened dot.
#[test]
fn the_opening_leaves_a_fringe_off_hair_lines_within_an_opening_radius() {
    let (width, height) = (40usize, 30usize);
    let centre = (15.0f32, 15.0f32);
    let disc =
        |x: usize, y: usize| (x as f32 + 0.5 - centre.0).hypot(y as f32 + 0.5 - centre.1) <= 8.0;
    // Each bump's tip, and the pixel under it on the edge.
    let bumps = [(15usize, 5usize), (15, 24), (5, 15)];
    let under = [(15usize, 6usize), (15, 23), (6, 15)];
    let arm = |x: usize, y: usize| x >= 23 && (15..17).contains(&y);
    let covered: Vec<bool> = (0..width * height)
        .map(|i| {
            let (x, y) = (i % width, i / width);
            disc(x, y) || bumps.contains(&(x, y)) || under.contains(&(x, y)) || arm(x, y)
        })
        .collect();
    let at = |x: usize, y: usize| y * width + x;
    assert!(bumps.iter().all(|&(x, y)| covered[at(x, y)] && !disc(x, y)));
    let labels: Vec<u32> = covered.iter().map(|&c| u32::from(c)).collect();
    let opened_with = |lines: Option<&PixelBits>| {
        let components = Components::of(&covered, width);
        let inside = inside_distance(&labels, &covered, &components);
        open(&labels, covered.clone(), &components, inside, &[4.0], lines)
    };
    let arm_line: Vec<bool> = (0..width * height)
        .map(|i| arm(i % width, i / width))
        .collect();
    let no_lines = PixelBits::packed(&vec![false; width * height]);

    // Without the hair lines (no scale), no fringe: the opening alone.
    let strict = opened_with(None);
    assert!(strict.iter().all(|&b| b & FRINGE == 0));
    for &(x, y) in &bumps {
        assert_eq!(strict[at(x, y)], OUTLINED, "bump at {x},{y}");
    }
    assert_eq!(strict[at(15, 15)], OUTLINED | OPENED);
    for lines in [&PixelBits::packed(&arm_line), &no_lines] {
        let mask = opened_with(Some(lines));
        for &(x, y) in &bumps {
            assert_eq!(mask[at(x, y)], OUTLINED | FRINGE, "bump at {x},{y}");
        }
        // What the opening keeps, it keeps either way.
        for (i, (&b, &s)) in mask.iter().zip(&strict).enumerate() {
            assert_eq!(b & OPENED, s & OPENED, "pixel {i}");
        }
        // The hair's far end is hair, line or no line.
        assert_eq!(mask[at(38, 15)], OUTLINED);
    }
    // On its line, none of the hair beyond the opened dot is fringe; off any line, the hair
    // near the dot is.
    let on_line = opened_with(Some(&PixelBits::packed(&arm_line)));
    assert!((25..width).all(|x| on_line[at(x, 15)] & FRINGE == 0));
    let unlined = opened_with(Some(&no_lines));
    assert_eq!(unlined[at(25, 15)], OUTLINED | FRINGE);
    // Along the hair, the fringe reaches one more opening radius (4 px, within a pixel) past
    // what the opening keeps, and no further.
    let row = |mask: &[u8], flag: u8| (23..width).filter(|&x| mask[at(x, 15)] & flag != 0).count();
    let reach = row(&unlined, FRINGE) as f32;
    assert!(row(&unlined, OPENED) <= 2, "{}", row(&unlined, OPENED));
    assert!(
        (reach - FRINGE_OPENING_RADII * 4.0).abs() <= 1.0,
        "the fringe reaches {reach} px along the hair"
    );
}

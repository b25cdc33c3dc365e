//! The chamfer distance within the outlines' components: how deep each outline pixel lies
//! inside its dot (fat dots from thin hairs), and the opening that shaves hair arms off the
//! dots they cross.

use std::sync::atomic::Ordering;

use rayon::prelude::*;

use super::{Components, Forward, BACKWARD, FORWARD, FRINGE, NO_NEIGHBOUR, OPENED, OUTLINED};
use crate::dots::bits::PixelBits;
use crate::dots::FRINGE_OPENING_RADII;

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
pub(super) fn chamfer(
    components: &Components,
    key: impl Fn(usize) -> Option<u32> + Sync,
    dist: &mut PerMember,
    outside: Option<f32>,
) {
    components
        .members
        .par_iter()
        .zip(dist.par_iter_mut())
        .enumerate()
        .for_each_init(
            || (Vec::new(), Vec::new()),
            |(keys, present), (c, (members, dist))| {
                let forward = components.forward(c);
                chamfer_component(members, forward, dist, &key, outside, (keys, present))
            },
        );
}

/// [`chamfer`] of one component's `members` (sorted pixel indices), their `forward`
/// neighbours and their `dist`; `keys` and `present` are
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
    forward: Forward,
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
        for (&q, &(_, _, step)) in forward.of(p).iter().zip(&FORWARD) {
            if same(p, q) {
                best = lesser(best, dist[q as usize] + step);
            } else if let Some(o) = outside {
                best = lesser(best, o + step);
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
                    best = lesser(best, o + step);
                }
            }
        }
        dist[p] = best;
        for (k, (&q, &(_, _, step))) in forward.of(p).iter().zip(&FORWARD).enumerate() {
            if same(p, q) {
                let q = q as usize;
                dist[q] = lesser(dist[q], best + step);
                present[q] |= 1 << k;
            }
        }
    }
}

/// The smaller of two distances (px), neither NaN: a comparison, one `minss`, where
/// `f32::min` adds a NaN fix-up to every step of the chamfer's chains of minima. (Distances
/// start at 0 or ∞ and grow by finite steps, so none is NaN and the minima are the same.)
#[inline(always)]
fn lesser(a: f32, b: f32) -> f32 {
    if b < a {
        b
    } else {
        a
    }
}

/// The chamfer key of the dot outlines: a pixel's dot label where it is covered, else none.
pub(super) fn dot_key<'a>(
    labels: &'a [u32],
    covered: &'a [bool],
) -> impl Fn(usize) -> Option<u32> + Sync + Copy + 'a {
    |i| (covered[i] && labels[i] != 0).then_some(labels[i])
}

/// Per member of each component, `value(pixel index)`.
pub(super) fn per_member(
    components: &Components,
    value: impl Fn(usize) -> f32 + Sync,
) -> PerMember {
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
pub(in crate::dots) fn inside_distance(
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
/// are cut off. Returns the outline mask `covered` (consumed: its buffer is reused) as one
/// byte per pixel: [`OUTLINED`] on each covered pixel, with [`OPENED`] added where the
/// opening keeps it, or [`FRINGE`] where it does not but the pixel lies off `hair_lines` (when
/// known) within [`FRINGE_OPENING_RADII`] radii of the opened outline, along the outline. (A
/// mask of its own for the opening held 1 B/px more at the peak of memory, 24 MB of a 24 MP
/// photo.)
pub(in crate::dots) fn open(
    labels: &[u32],
    covered: Vec<bool>,
    components: &Components,
    inside: PerMember,
    radius: &[f32],
    hair_lines: Option<&PixelBits>,
) -> Vec<u8> {
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
    chamfer(components, dot_key(labels, &covered), &mut to_core, None);
    // `true` is 1 = OUTLINED: the flags are already the mask's outlined pixels.
    const {
        assert!(
            OUTLINED == true as u8 && OUTLINED & OPENED == 0 && (OUTLINED | OPENED) & FRINGE == 0
        )
    };
    let mut mask: Vec<u8> = bytemuck::allocation::cast_vec(covered);
    // Components are disjoint: each writes its own pixels, components in parallel (see
    // crate::dots::atomic_view; on one thread this was a fifth of the stage).
    let shared = crate::dots::atomic_view::u8s(&mut mask);
    to_core
        .par_iter()
        .zip(&components.members)
        .for_each(|(dist, members)| {
            for (v, &i) in dist.iter().zip(members) {
                let r = radius_at(i);
                if *v <= r + 0.5 {
                    shared[i as usize].store(OUTLINED | OPENED, Ordering::Relaxed);
                } else if hair_lines.is_some_and(|lines| {
                    *v <= (1.0 + FRINGE_OPENING_RADII) * r + 0.5 && !lines.get(i as usize)
                }) {
                    shared[i as usize].store(OUTLINED | FRINGE, Ordering::Relaxed);
                }
            }
        });
    mask
}

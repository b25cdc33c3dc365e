//! Dot outlines: the distance transform that tells a dot (fat) from a hair (thin), and the
//! opening that shaves hair arms off the dots they cross (both in `chamfer`), run on the
//! outlines' 8-connected components (here, with each member's neighbours found once); the
//! networks of dark pixels and how fat each is; the elongation of a piece.

mod chamfer;

use rayon::prelude::*;

use chamfer::{chamfer, per_member};
pub(super) use chamfer::{inside_distance, open};

/// In the outline mask [`open`] returns (1 B/px): the pixel lies within a dot's half-maximum
/// outline.
pub(in crate::dots) const OUTLINED: u8 = 1;
/// In the outline mask [`open`] returns, added to [`OUTLINED`]: the opening keeps the pixel.
pub(in crate::dots) const OPENED: u8 = 2;
/// In the outline mask [`open`] returns, added to [`OUTLINED`]: the opening removed the pixel,
/// but it is the dot's fringe (see [`crate::dots::FRINGE_OPENING_RADII`]), covered by the dot.
pub(in crate::dots) const FRINGE: u8 = 4;

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
    /// Per member, components one after another: where its [`FORWARD`] neighbours in the row
    /// above start among its component's members (see [`Forward`]). Found once for the three
    /// chamfers that run on the components (finding them was most of a chamfer pass's work);
    /// a neighbour's key is compared per chamfer. One allocation, not one per component.
    above: Vec<u32>,
    /// Per member, in the same order: which of its [`FORWARD`] neighbours are members, a bit
    /// each in [`FORWARD`]'s order. (With `above`, 5 B per outline pixel; the four positions
    /// themselves took 16 B, 15 MB of a 24 MP photo at the peak of memory.)
    present: Vec<u8>,
    /// Where each component's members start in `above` and `present`; one more entry than
    /// components.
    starts: Vec<usize>,
}

/// One component's members' [`FORWARD`] neighbours, as positions among its members. The left
/// neighbour is the member before; the three above are consecutive pixels, so those that are
/// members are consecutive members, from the first of them on: a position and four bits per
/// member give all four.
#[derive(Clone, Copy)]
pub(super) struct Forward<'a> {
    above: &'a [u32],
    present: &'a [u8],
}

impl Forward<'_> {
    /// The positions of member `p`'s [`FORWARD`] neighbours among the members, in that order,
    /// or [`NO_NEIGHBOUR`] where that pixel is not a member.
    #[inline(always)]
    pub(super) fn of(&self, p: usize) -> [u32; 4] {
        let (bits, first) = (self.present[p], self.above[p]);
        let has = |k: u32| bits >> k & 1 != 0;
        let up = first + u32::from(has(1));
        let up_right = up + u32::from(has(2));
        [
            if has(0) { p as u32 - 1 } else { NO_NEIGHBOUR },
            if has(1) { first } else { NO_NEIGHBOUR },
            if has(2) { up } else { NO_NEIGHBOUR },
            if has(3) { up_right } else { NO_NEIGHBOUR },
        ]
    }

    /// How many members.
    pub(super) fn len(&self) -> usize {
        self.present.len()
    }
}

impl Components {
    /// The forward neighbours of component `c`'s members.
    pub(super) fn forward(&self, c: usize) -> Forward<'_> {
        let span = self.starts[c]..self.starts[c + 1];
        Forward {
            above: &self.above[span.clone()],
            present: &self.present[span],
        }
    }
}

/// In [`Forward::of`]: no such neighbour among the members.
const NO_NEIGHBOUR: u32 = u32::MAX;

impl Components {
    /// The components of `mask` (`width` px per row), in raster order of their first pixel.
    pub(super) fn of(mask: &[bool], width: usize) -> Components {
        let members = super::component_members(mask, width);
        debug_assert!(members.iter().all(|m| m.is_sorted()));
        let starts: Vec<usize> = std::iter::once(0)
            .chain(members.iter().scan(0, |end, m| {
                *end += m.len();
                Some(*end)
            }))
            .collect();
        // Zeroed: every entry is written below, and a zeroed allocation's pages are populated
        // on every thread (see crate::pages). (Filled first, the table was written twice, the
        // first time by one thread: on two threads the networks stage of a 24 MP photo took
        // 114 ms, then 103 faulted in by the writing threads, ~97 populated first; medians
        // of 7.)
        let total = starts[members.len()];
        let mut above: Vec<u32> = crate::pages::zeroed_populated(total);
        let mut present: Vec<u8> = crate::pages::zeroed_populated(total);
        // One slice of each per component, filled in parallel.
        let mut slices = Vec::with_capacity(members.len());
        let (mut rest_above, mut rest_present) = (&mut above[..], &mut present[..]);
        for m in &members {
            let (own_above, others_above) = std::mem::take(&mut rest_above).split_at_mut(m.len());
            let (own_present, others_present) =
                std::mem::take(&mut rest_present).split_at_mut(m.len());
            slices.push((own_above, own_present));
            (rest_above, rest_present) = (others_above, others_present);
        }
        slices
            .into_par_iter()
            .zip(&members)
            .for_each(|((above, present), members)| {
                forward_neighbours(members, width, above, present)
            });
        Components {
            members,
            above,
            present,
            starts,
        }
    }
}

/// Per member of one component (`members`: sorted pixel indices of a plane `width` px wide),
/// its [`FORWARD`] neighbours as [`Forward`] holds them: where those above start among the
/// members, into `above`, and which are members, into `present`.
///
/// A neighbour in the row above is found by a cursor that only moves one way: the three
/// neighbours above are consecutive in raster order, so the cursor (the first member at or
/// after the left one) is at most three positions from each; the pixel to the left, if a
/// member, is the one before.
fn forward_neighbours(members: &[u32], width: usize, above_out: &mut [u32], present: &mut [u8]) {
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
        let found = [left, above(-1), above(0), above(1)];
        present[p] = found
            .iter()
            .enumerate()
            .fold(0, |bits, (k, &q)| bits | u8::from(q != NO_NEIGHBOUR) << k);
        // The first of those above that is a member (none: any position, never read).
        above_out[p] = found[1..]
            .iter()
            .copied()
            .find(|&q| q != NO_NEIGHBOUR)
            .unwrap_or(0);
    }
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
mod tests;

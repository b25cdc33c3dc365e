//! The marker watershed that splits touching dots into territories.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};

use super::components::RunComponents;

use rayon::prelude::*;

#[cfg(test)]
use crate::plane::Plane;

/// Number of priority levels of the watershed's bucket queue over darkness 0..1.
const WATERSHED_LEVELS: usize = 256;

/// The flood plane as the watershed reads it, 1 B/px: 0 where the flood never goes (below the
/// floor), else the pixel's priority level (see [`flood_level`]).
pub(super) struct FloodLevels {
    /// Per pixel, row-major.
    pub levels: Vec<u8>,
    /// Plane width (px).
    pub width: usize,
    /// Plane height (px).
    pub height: usize,
}

impl FloodLevels {
    /// The [`flood_level`] of every value of the stored plane `p` over `floor`.
    #[cfg(test)]
    pub(super) fn of(p: &Plane, floor: f32) -> Self {
        FloodLevels {
            levels: p.data.par_iter().map(|&v| flood_level(v, floor)).collect(),
            width: p.width,
            height: p.height,
        }
    }
}

/// The watershed's byte for a flood-plane value `v` (darkness) over `floor`: 0 below the floor
/// (NaN too), where the flood never goes; else its priority level, the value quantised to
/// 0..[`WATERSHED_LEVELS`] over darkness 0..1, lifted to at least 1. (Only a floor below 1/255
/// has values at or above it of level 0; the dot finder's is 0.03, level 7.) In a form that
/// vectorises.
#[inline]
pub(super) fn flood_level(v: f32, floor: f32) -> u8 {
    if v >= floor {
        box_level(v).max(1)
    } else {
        0
    }
}

/// Marker watershed on the flood plane `p` (as its levels) from `seeds` (x, y, the flood
/// plane's value there), flooding downhill over the pixels at or above its floor (level not
/// 0). Returns per-pixel labels (0 = none, k + 1 = seed k). A bucket queue over quantised
/// darkness makes it O(pixels); priority flooding (a pixel never enters a level above the
/// current one) keeps the order correct.
///
/// Flooding never crosses a pixel below the floor, so each 4-connected piece of the pixels at
/// or above it (with the seeds) floods on its own: the seeds are grouped by piece, and the pieces
/// flood in parallel, each in its own small bounding box. A piece with a single seed needs no
/// flood: all of it is that seed's, filled run by run. Within a piece the pixels are popped
/// in the same order as by one queue over the whole plane (the queue's state for one piece
/// never depends on another's), so the labels are the same. A whole-plane queue visited the
/// pieces interleaved, missing the cache at nearly every pixel.
///
/// Each piece writes its labels straight into the shared plane from its own thread: pieces are
/// disjoint, so every pixel is written by one piece at most and the result does not depend on
/// the order (relaxed atomic stores compile to plain stores; a sequential write-back of every
/// labelled pixel was a fifth of this stage).
///
/// `buffer`, a 4 B/px buffer the caller is done with (its values do not matter), becomes the
/// labels' buffer when it is large enough: a fresh 4 B/px allocation is faulted in page by page
/// (≈ 25 000 faults for a 24 MP photo, slow on some machines).
pub(super) fn watershed(
    p: &FloodLevels,
    seeds: &[(usize, usize, f32)],
    buffer: Vec<f32>,
) -> Vec<u32> {
    // Labels k + 1 stay below BLOCKED (seeds are a few per dot, far fewer than pixels).
    debug_assert!(seeds.len() < BLOCKED as usize - 1);
    watershed_with_box_limit(p, seeds, MAX_BOX_PX, buffer)
}

/// `n` zeroed labels in `buffer`'s allocation when it holds `n` values (reinterpreted, not
/// copied: same size and alignment), else in a fresh one zeroed in parallel. In `buffer`, the
/// values it holds are zeroed in parallel and any more up to `n` by one thread (none when it
/// is a plane of this size, as the measurement's luminance plane is).
fn zeroed_labels(n: usize, buffer: Vec<f32>) -> Vec<u32> {
    if buffer.capacity() < n {
        return (0..n).into_par_iter().map(|_| 0).collect();
    }
    let mut labels: Vec<u32> = bytemuck::allocation::cast_vec(buffer);
    labels.truncate(n);
    labels.par_chunks_mut(ZEROING_CHUNK).for_each(|c| c.fill(0));
    labels.resize(n, 0);
    labels
}

/// Values zeroed per rayon task by [`zeroed_labels`] (256 KB: a few hundred tasks for a
/// 24 MP plane).
const ZEROING_CHUNK: usize = 1 << 16;

/// Largest bounding box (px) of a piece flooded in a thread's own label box; a larger piece
/// (a photo whose hairs join everything into one piece has a box as large as the photo) is
/// flooded straight in the shared labels, so a thread never holds more than about 5 MB of
/// box (4 B of label and 1 B of level per pixel) beside them. Most pieces are a dot or two,
/// far below it.
const MAX_BOX_PX: usize = 1 << 20;

/// [`watershed`], with pieces whose box exceeds `max_box_px` flooded in the shared labels.
fn watershed_with_box_limit(
    p: &FloodLevels,
    seeds: &[(usize, usize, f32)],
    max_box_px: usize,
    buffer: Vec<f32>,
) -> Vec<u32> {
    let mut plane_labels = zeroed_labels(p.width * p.height, buffer);
    let (mut pieces, found) = pieces(p, seeds);
    // A piece with one seed is all that seed's: every pixel of it is reached through pixels at
    // or above the floor. Its runs are filled at once, with no queue (most dots stand alone,
    // and they hold about half the pixels flooded).
    let mut sole_label = vec![0u32; found.count()];
    for piece in pieces.iter().filter(|piece| piece.seeds.len() == 1) {
        sole_label[piece.component] = piece.seeds[0] as u32 + 1;
    }
    // Rows in parallel (one thread filling them took 5 ms of a 24 MP photo).
    plane_labels
        .par_chunks_mut(p.width.max(1))
        .enumerate()
        .for_each(|(y, row)| {
            for (c, columns) in found.row_runs(y) {
                let label = sole_label[c];
                if label != 0 {
                    row[columns].fill(label);
                }
            }
        });
    pieces.retain(|piece| piece.seeds.len() > 1);
    // Shared by the pieces flooded on different threads (see super::atomic_view).
    let labels = super::atomic_view::u32s(&mut plane_labels);
    // Flooded in raster order of their boxes, not of their first seed (the strongest dots
    // first, scattered over the photo): neighbouring pieces share rows of `p` and of the labels,
    // still in cache. Pieces are disjoint, so the order changes nothing else.
    pieces.sort_unstable_by_key(|piece| (piece.bounds.1, piece.bounds.0));
    pieces
        .par_iter()
        .for_each_init(Scratch::default, |scratch, piece| {
            let (x0, y0, x1, y1) = piece.bounds;
            if (x1 - x0 + 1) * (y1 - y0 + 1) <= max_box_px {
                flood_piece_in_box(p, seeds, piece, scratch, labels);
            } else {
                let mut store = SharedLabels {
                    labels,
                    width: p.width,
                };
                flood_piece(p, seeds, piece, &mut store, &mut scratch.buckets);
            }
        });
    plane_labels
}

/// A thread's buffers for [`flood_piece_in_box`] and [`flood_piece`], reused from piece to
/// piece: most pieces are a dot or two, and allocating a label box and 256 queues for each
/// cost more than flooding it.
#[derive(Default)]
struct Scratch {
    /// The box's labels, with [`BLOCKED`] where the flood never goes.
    labels: Vec<u32>,
    /// The box's priority levels (where not blocked).
    levels: Vec<u8>,
    /// Priority queues of box indices.
    box_buckets: Vec<VecDeque<u32>>,
    /// Priority queues of plane pixels, for a piece flooded in the shared labels.
    buckets: Vec<VecDeque<Pixel>>,
}

/// The label, in [`flood_piece_in_box`]'s box, of a pixel below the floor or on the box's
/// border: the flood never enters it. (Pixels of other pieces in the box are at or above the
/// floor, labelled 0, but no path through this piece's pixels reaches them.) No seed's label
/// is this value (see [`watershed`]).
const BLOCKED: u32 = u32::MAX;

// Box indices fit the queues' u32: a padded box of at most MAX_BOX_PX pixels is largest as a
// single row, (MAX_BOX_PX + 2) × 3.
const _: () = assert!(3 * (MAX_BOX_PX + 2) <= u32::MAX as usize);

// A pixel's level fits the box's u8 levels.
const _: () = assert!(WATERSHED_LEVELS <= 256);

/// The priority level of darkness `v` in the watershed's queue: 0..WATERSHED_LEVELS.
#[inline]
fn level(v: f32) -> usize {
    (v.clamp(0.0, 1.0) * (WATERSHED_LEVELS - 1) as f32) as usize
}

/// [`level`] as a byte, in a form that vectorises: the value clamped with `max` and `min`
/// (NaN to 0, where `clamp` keeps it) and converted unchecked (`as` compiles to a branchy
/// scalar conversion per value).
#[inline]
fn box_level(v: f32) -> u8 {
    const TOP: f32 = (WATERSHED_LEVELS - 1) as f32;
    #[allow(clippy::manual_clamp)]
    let scaled = v.max(0.0).min(1.0) * TOP;
    // SAFETY: `scaled` lies in 0..=TOP (`max` returns 0 for NaN), which i32 holds.
    let truncated = unsafe { scaled.to_int_unchecked::<i32>() };
    truncated as u8
}

/// The watershed of one piece in its own bounding box, its labels then stored into `out`.
///
/// The box has a border of [`BLOCKED`] pixels 1 px wide, and every pixel below the floor is
/// [`BLOCKED`] too, so a pixel's four neighbours are its box index ± 1 and ± the box
/// width with no test of the plane's edges, and one load of a label tells whether the flood
/// may enter it; the levels are computed once per pixel as the box is filled. The pixels are
/// taken in the same order as by [`flood_piece`], so the labels are the same. (One thread,
/// 24 MP photo, against flooding the box by plane coordinates with those tests: the watershed
/// stage 217 → 168 ms, median of 9.)
fn flood_piece_in_box(
    p: &FloodLevels,
    seeds: &[(usize, usize, f32)],
    piece: &Piece,
    scratch: &mut Scratch,
    out: &[AtomicU32],
) {
    let (x0, y0, x1, y1) = piece.bounds;
    let (bw, bh) = (x1 - x0 + 1, y1 - y0 + 1);
    // The padded box: (bw + 2) × (bh + 2), box pixel (x, y) of the plane at index
    // (y - y0 + 1) · stride + (x - x0 + 1).
    let stride = bw + 2;
    let Scratch {
        labels,
        levels,
        box_buckets: buckets,
        ..
    } = scratch;
    labels.clear();
    labels.resize(stride * (bh + 2), BLOCKED);
    levels.clear();
    levels.resize(stride * (bh + 2), 0);
    for row in 0..bh {
        let start = (y0 + row) * p.width + x0;
        let at = (row + 1) * stride + 1;
        // Every pixel written, without a branch, so that the row vectorises.
        for (label, &level) in labels[at..at + bw]
            .iter_mut()
            .zip(&p.levels[start..start + bw])
        {
            *label = if level != 0 { 0 } else { BLOCKED };
        }
        levels[at..at + bw].copy_from_slice(&p.levels[start..start + bw]);
    }
    buckets.resize_with(WATERSHED_LEVELS, VecDeque::new);
    let mut current = 0;
    for &k in &piece.seeds {
        let (x, y, v) = seeds[k];
        let i = (y - y0 + 1) * stride + (x - x0 + 1);
        labels[i] = k as u32 + 1;
        let l = level(v);
        buckets[l].push_back(i as u32);
        current = current.max(l);
    }
    loop {
        while current > 0 && buckets[current].is_empty() {
            current -= 1;
        }
        let Some(i) = buckets[current].pop_front() else {
            break;
        };
        let i = i as usize;
        let label = labels[i];
        // The same order as flood_piece's: left, right, up, down.
        for j in [i - 1, i + 1, i - stride, i + stride] {
            if labels[j] == 0 {
                labels[j] = label;
                buckets[usize::from(levels[j]).min(current)].push_back(j as u32);
            }
        }
    }
    debug_assert!(buckets.iter().all(VecDeque::is_empty));
    for row in 0..bh {
        let start = (y0 + row) * p.width + x0;
        let at = (row + 1) * stride + 1;
        for (o, &label) in out[start..start + bw].iter().zip(&labels[at..at + bw]) {
            if label != 0 && label != BLOCKED {
                o.store(label, Ordering::Relaxed);
            }
        }
    }
}

/// A pixel's (x, y) in the queues of a piece flooded in the shared labels ([`flood_piece`]):
/// by coordinates, not by plane index, so that the flood does not divide by the width at every
/// pixel.
type Pixel = (u32, u32);

/// A piece's labels straight in the shared plane. Pieces are disjoint and a piece reads labels
/// only of its own pixels and of neighbours outside every piece (which stay 0), so no piece
/// ever reads what another writes.
struct SharedLabels<'a> {
    labels: &'a [AtomicU32],
    /// The plane's width (px).
    width: usize,
}

impl SharedLabels<'_> {
    #[inline]
    fn get(&self, x: usize, y: usize) -> u32 {
        self.labels[y * self.width + x].load(Ordering::Relaxed)
    }
    #[inline]
    fn set(&mut self, x: usize, y: usize, label: u32) {
        self.labels[y * self.width + x].store(label, Ordering::Relaxed);
    }
}

/// One group of seeds whose floods may meet: the seeds' indices (ascending), and the number
/// (among the pieces' components) and bounding box `(x0, y0, x1, y1)` (inclusive, px) of the
/// piece of plane they can flood.
struct Piece {
    seeds: Vec<usize>,
    component: usize,
    bounds: (usize, usize, usize, usize),
}

/// Groups `seeds` by the 4-connected piece of the pixels at or above the floor (and the seeds
/// themselves) they lie in, in order of each piece's first seed; with those pieces (the
/// components, some without a seed).
fn pieces(p: &FloodLevels, seeds: &[(usize, usize, f32)]) -> (Vec<Piece>, RunComponents) {
    let (w, h) = (p.width, p.height);
    // The seeds below the floor, sorted (as a rule there are none): a full-size seed mask
    // cost a fresh 1 B/px allocation's page faults for the few pixels it marked.
    let on_or_above = |i: usize| p.levels[i] != 0;
    let mut low_seeds: Vec<usize> = seeds
        .iter()
        .map(|&(x, y, _)| y * w + x)
        .filter(|&i| !on_or_above(i))
        .collect();
    low_seeds.sort_unstable();
    let is_low_seed = |i: usize| !low_seeds.is_empty() && low_seeds.binary_search(&i).is_ok();
    let found = if low_seeds.is_empty() {
        RunComponents::find_in_mask(&p.levels, w, false)
    } else {
        RunComponents::find(|i| on_or_above(i) || is_low_seed(i), w * h, w, false)
    };
    let bounds = found.bounds();
    let mut piece_of = vec![usize::MAX; bounds.len()];
    let mut out: Vec<Piece> = Vec::new();
    // Each seed's component looked up in parallel (a search of its row's runs), then grouped
    // in order.
    let component_of: Vec<u32> = seeds
        .par_iter()
        .map(|&(x, y, _)| found.at(x, y).expect("a seed is in the mask"))
        .collect();
    for (k, &c) in component_of.iter().enumerate() {
        let c = c as usize;
        if piece_of[c] == usize::MAX {
            piece_of[c] = out.len();
            out.push(Piece {
                seeds: Vec::new(),
                component: c,
                bounds: bounds[c],
            });
        }
        out[piece_of[c]].seeds.push(k);
    }
    (out, found)
}

/// The watershed of one piece, its labels kept in `labels`; `buckets` are the priority queues,
/// empty on entry and on return.
fn flood_piece(
    p: &FloodLevels,
    seeds: &[(usize, usize, f32)],
    piece: &Piece,
    labels: &mut SharedLabels,
    buckets: &mut Vec<VecDeque<Pixel>>,
) {
    let (w, h) = (p.width, p.height);
    buckets.resize_with(WATERSHED_LEVELS, VecDeque::new);
    let mut current = 0;
    for &k in &piece.seeds {
        let (x, y, v) = seeds[k];
        labels.set(x, y, k as u32 + 1);
        let l = level(v);
        buckets[l].push_back((x as u32, y as u32));
        current = current.max(l);
    }
    loop {
        while current > 0 && buckets[current].is_empty() {
            current -= 1;
        }
        let Some((x, y)) = buckets[current].pop_front() else {
            break;
        };
        let (x, y) = (x as usize, y as usize);
        let label = labels.get(x, y);
        let neighbours = [
            (x > 0).then(|| (x - 1, y)),
            (x + 1 < w).then(|| (x + 1, y)),
            (y > 0).then(|| (x, y - 1)),
            (y + 1 < h).then(|| (x, y + 1)),
        ];
        for (nx, ny) in neighbours.into_iter().flatten() {
            // A pixel at or above the floor next to the piece is in the piece (its box).
            let level = p.levels[ny * w + nx];
            if level != 0 && labels.get(nx, ny) == 0 {
                labels.set(nx, ny, label);
                buckets[usize::from(level).min(current)].push_back((nx as u32, ny as u32));
            }
        }
    }
    debug_assert!(buckets.iter().all(VecDeque::is_empty));
}

#[cfg(test)]
mod tests;

//! A compact boolean mask over a region, for drawing what was set aside (hairs) after the
//! full-size planes are gone. Bit-packed and, for large regions, pooled into square cells, so it
//! never holds more than [`MAX_CELLS_PER_SIDE`]² bits (≈ 0.7 MB) whatever the photo's size.

use crate::dots::Cover;
use crate::region::Region;

/// Longest side of a [`CellMask`] in cells: a region up to this many px on its longer side is
/// kept pixel for pixel; a larger one in cells of several px (overlays are smaller than this).
pub const MAX_CELLS_PER_SIDE: u32 = 2400;

/// A boolean mask over `region`, in square cells of `cell_px` × `cell_px` image px (the last row
/// and column of cells may extend past the region). A cell is set when any pixel in it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellMask {
    /// The region covered (image px).
    pub region: Region,
    /// Side of one cell (image px, ≥ 1).
    pub cell_px: u32,
    /// Width in cells.
    pub width: u32,
    /// Height in cells.
    pub height: u32,
    bits: Vec<u64>,
}

impl CellMask {
    /// An empty mask over `region`, with cells small enough for the longer side to fit
    /// [`MAX_CELLS_PER_SIDE`].
    pub fn empty(region: Region) -> Self {
        let long = region.width.max(region.height).max(1);
        let cell_px = long.div_ceil(MAX_CELLS_PER_SIDE).max(1);
        let width = region.width.div_ceil(cell_px);
        let height = region.height.div_ceil(cell_px);
        let n = width as usize * height as usize;
        CellMask {
            region,
            cell_px,
            width,
            height,
            bits: vec![0; n.div_ceil(64)],
        }
    }

    /// The pixels covered by `kind` in `cover` (one entry per pixel of `plane`, row-major,
    /// `plane.width` wide, the plane lying at `plane.x`, `plane.y` in the image) that fall
    /// inside `region`. Entries missing from a too-short `cover` count as unset.
    pub fn from_plane(cover: &[Cover], kind: Cover, plane: Region, region: Region) -> Self {
        let mut out = CellMask::empty(region);
        let x0 = region.x.max(plane.x);
        let y0 = region.y.max(plane.y);
        let x1 = (region.right()).min(plane.right()) as u32;
        let y1 = (region.bottom()).min(plane.bottom()) as u32;
        if x0 >= x1 {
            return out;
        }
        for y in y0..y1 {
            let start = (y - plane.y) as usize * plane.width as usize + (x0 - plane.x) as usize;
            // A too-short mask: its missing entries are unset.
            let end = (start + (x1 - x0) as usize).min(cover.len());
            let row = cover.get(start..end).unwrap_or(&[]);
            // Only the set pixels are placed in their cells (hair is a few % of a photo): a
            // word without any is stepped over at once. Each cover but `Bare` (0) has a bit of
            // its own, so a word holds none of `kind` when no byte has its bit: one 128-bit
            // test.
            let bits = u128::from_ne_bytes([kind as u8; RUN_WORD]);
            let none_inside = |word: &[Cover]| {
                let word: &[u8] = bytemuck::cast_slice(word);
                let word = u128::from_ne_bytes(word.try_into().expect("a word of 16 bytes"));
                kind != Cover::Bare && word & bits == 0
            };
            for_each_run_in_row(
                row,
                |c| *c == kind,
                none_inside,
                |dxs| {
                    for dx in dxs {
                        out.set_px(x0 + dx as u32, y);
                    }
                },
            );
        }
        out
    }

    /// Marks the cell holding image pixel (`x`, `y`); a pixel outside the region is ignored.
    pub fn set_px(&mut self, x: u32, y: u32) {
        if let Some(i) = self.index_of_px(x, y) {
            self.bits[i / 64] |= 1 << (i % 64);
        }
    }

    /// Whether the cell holding image pixel (`x`, `y`) is set (false outside the region).
    pub fn get_px(&self, x: u32, y: u32) -> bool {
        self.index_of_px(x, y)
            .is_some_and(|i| self.bits[i / 64] >> (i % 64) & 1 == 1)
    }

    /// Whether any cell overlapping the image rectangle [`x0`, `x1`) × [`y0`, `y1`) (px, may
    /// reach outside the region) is set.
    pub fn any_in(&self, x0: f64, y0: f64, x1: f64, y1: f64) -> bool {
        let r = self.region;
        let cell = f64::from(self.cell_px);
        // Cell c spans [c, c + 1) cells: it overlaps [v0, v1) when floor(v0) ≤ c < ceil(v1).
        let span = |v0: f64, v1: f64, origin: u32, cells: u32| -> (u32, u32) {
            let to = |v: f64| (v - f64::from(origin)) / cell;
            let clamp = |c: f64| c.clamp(0.0, f64::from(cells)) as u32;
            (clamp(to(v0).floor()), clamp(to(v1).ceil()))
        };
        let (cx0, cx1) = span(x0, x1, r.x, self.width);
        let (cy0, cy1) = span(y0, y1, r.y, self.height);
        (cy0..cy1).any(|cy| {
            (cx0..cx1).any(|cx| {
                let i = cy as usize * self.width as usize + cx as usize;
                self.bits[i / 64] >> (i % 64) & 1 == 1
            })
        })
    }

    /// Number of set cells.
    pub fn count(&self) -> u64 {
        self.bits.iter().map(|w| u64::from(w.count_ones())).sum()
    }

    fn index_of_px(&self, x: u32, y: u32) -> Option<usize> {
        let r = self.region;
        if !r.contains(f64::from(x) + 0.5, f64::from(y) + 0.5) {
            return None;
        }
        let cx = (x - r.x) / self.cell_px;
        let cy = (y - r.y) / self.cell_px;
        Some(cy as usize * self.width as usize + cx as usize)
    }
}

/// Values per word of [`for_each_run_in_row`].
pub(crate) const RUN_WORD: usize = 16;

/// Calls `visit(x0..x1)` for each run of consecutive values of `row` where `inside` holds, in
/// order. The row is read a word of [`RUN_WORD`] values at a time where `none_inside(word)`
/// says that no value of it is inside, so that the stretches between sparse runs (skin between
/// dots, a row without hair) are stepped over a word at once instead of tested value by value
/// (against testing every value, one thread, 24 MP photo, medians of 7: hair lines 286 →
/// 278 ms from their ridge flags, then hair lines and networks 446 → 402 ms from their
/// connected components; the hair mask for overlays 17 → 8.5 ms).
pub(crate) fn for_each_run_in_row<T>(
    row: &[T],
    inside: impl Fn(&T) -> bool,
    none_inside: impl Fn(&[T]) -> bool,
    mut visit: impl FnMut(std::ops::Range<usize>),
) {
    let (width, mut x) = (row.len(), 0);
    while x < width {
        while let Some(word) = row.get(x..x + RUN_WORD) {
            if !none_inside(word) {
                break;
            }
            x += RUN_WORD;
        }
        if x < width && inside(&row[x]) {
            let x0 = x;
            while x < width && inside(&row[x]) {
                x += 1;
            }
            visit(x0..x);
        }
        x += 1;
    }
}

/// Whether every byte of `word` ([`RUN_WORD`] of them) is 0: one 128-bit compare.
pub(crate) fn no_byte_set(word: &[u8]) -> bool {
    u128::from_ne_bytes(word.try_into().expect("a word of 16 bytes")) == 0
}

/// Calls `visit(x0..x1)` for each run of set `flags`, in order (see [`for_each_run_in_row`]).
pub(crate) fn for_each_set_run(flags: &[bool], visit: impl FnMut(std::ops::Range<usize>)) {
    for_each_run_in_row(bytemuck::cast_slice(flags), |b| *b != 0, no_byte_set, visit);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The indices in the runs of [`for_each_set_run`], in order.
    fn set_indices(flags: &[bool]) -> std::vec::IntoIter<usize> {
        let mut indices = Vec::new();
        for_each_set_run(flags, |xs| indices.extend(xs));
        indices.into_iter()
    }

    /// The set flags' indices, in order: none, all, one per 16-flag word and beside word
    /// edges, in the tail after the last whole word, on slices of 0 to 40 flags.
    #[test]
    fn set_indices_are_every_set_index_in_order() {
        let mut rng = crate::synth::SplitMix64::new(5);
        for n in 0..=40 {
            for density in [0.0, 0.05, 0.5, 1.0] {
                let flags: Vec<bool> = (0..n).map(|_| rng.uniform(0.0, 1.0) < density).collect();
                let expected: Vec<usize> = (0..n).filter(|&x| flags[x]).collect();
                assert_eq!(
                    set_indices(&flags).collect::<Vec<_>>(),
                    expected,
                    "{n}, {density}"
                );
            }
            for x in 0..n {
                let mut flags = vec![false; n];
                flags[x] = true;
                assert_eq!(
                    set_indices(&flags).collect::<Vec<_>>(),
                    vec![x],
                    "{n}, at {x}"
                );
            }
        }
    }

    fn region(x: u32, y: u32, width: u32, height: u32) -> Region {
        Region {
            x,
            y,
            width,
            height,
        }
    }

    #[test]
    fn a_small_region_is_kept_pixel_for_pixel() {
        let plane = region(10, 20, 6, 4);
        let mut cover = vec![Cover::Bare; 24];
        cover[6 + 2] = Cover::Hair; // plane (2, 1) = image (12, 21)
        cover[6 + 3] = Cover::Dot; // plane (3, 1) = image (13, 21): not hair
        cover[3 * 6 + 5] = Cover::Hair; // plane (5, 3) = image (15, 23): outside the region below
        let m = CellMask::from_plane(&cover, Cover::Hair, plane, region(11, 20, 4, 3));
        assert_eq!((m.cell_px, m.width, m.height), (1, 4, 3));
        assert!(m.get_px(12, 21));
        assert!(!m.get_px(15, 23) && !m.get_px(11, 21) && !m.get_px(0, 0));
        assert_eq!(m.count(), 1);
        assert!(m.any_in(11.5, 20.5, 12.5, 21.5));
        assert!(!m.any_in(13.0, 20.0, 15.0, 23.0));
        assert!(m.any_in(12.2, 21.2, 12.3, 21.3)); // thinner than a cell
        assert!(!m.any_in(0.0, 21.0, 10.9, 22.0)); // left of the region
        assert!(!m.any_in(12.0, 23.0, 13.0, 30.0)); // below it
        let dots = CellMask::from_plane(&cover, Cover::Dot, plane, region(11, 20, 4, 3));
        assert!(dots.get_px(13, 21) && dots.count() == 1);
        // A too-short plane: its missing pixels are bare.
        let short = CellMask::from_plane(&cover[..8], Cover::Hair, plane, region(11, 20, 4, 3));
        assert!(!short.get_px(12, 21) && short.count() == 0);
        let short = CellMask::from_plane(&cover[..9], Cover::Hair, plane, region(11, 20, 4, 3));
        assert!(short.get_px(12, 21) && short.count() == 1);
    }

    #[test]
    fn a_large_region_is_pooled_into_cells() {
        let r = region(0, 0, 3 * MAX_CELLS_PER_SIDE, 10);
        let mut m = CellMask::empty(r);
        assert_eq!((m.cell_px, m.width, m.height), (3, MAX_CELLS_PER_SIDE, 4));
        m.set_px(7, 9);
        assert!(m.get_px(6, 9) && m.get_px(8, 9) && !m.get_px(9, 9) && !m.get_px(7, 8));
        m.set_px(u32::MAX, 0); // outside: ignored, no panic
        assert_eq!(m.count(), 1);
        let mut edge = CellMask::empty(region(5, 5, 4, 4));
        edge.set_px(5, 5);
        assert!(!edge.any_in(0.0, 0.0, 4.99, 4.99) && edge.any_in(4.0, 4.0, 5.5, 5.5));
        let empty = CellMask::empty(region(0, 0, 0, 0));
        assert!(!empty.any_in(0.0, 0.0, 1.0, 1.0));
    }
}

//! Blocks laid over an image for per-block statistics (the skin field, the noise map), centred on
//! the image: the part-blocks left over are split between both ends of each axis, so a photo
//! turned a quarter or flipped is cut into the same blocks (to within one pixel) and measures the
//! same. A grid anchored at the top-left corner puts a thin part-block at the right and bottom
//! edges only, and a turned photo then gets a different field there.

/// Blocks of `block` px along one axis of `size` px, centred on the axis.
///
/// ```
/// use smptrack::grid::BlockAxis;
/// let axis = BlockAxis::new(150, 80);
/// assert_eq!(axis.cells(), 2);
/// assert_eq!(axis.span(0), (0, 75));
/// assert_eq!(axis.span(1), (75, 150));
/// assert_eq!(axis.cell_of(74), 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockAxis {
    block: usize,
    size: usize,
    cells: usize,
    /// How far the first full block's start lies before pixel 0 (px): half the spare length.
    offset: usize,
}

impl BlockAxis {
    /// Blocks of `block` px (at least 1) over `size` px: as many as it takes to cover the axis,
    /// with the spare length split between the first and the last block.
    pub fn new(size: usize, block: usize) -> Self {
        let block = block.max(1);
        let cells = size.div_ceil(block).max(1);
        let offset = (cells * block).saturating_sub(size) / 2;
        BlockAxis {
            block,
            size,
            cells,
            offset,
        }
    }

    /// Number of blocks.
    pub fn cells(&self) -> usize {
        self.cells
    }

    /// Nominal block length (px); the first and last blocks may be shorter.
    pub fn block(&self) -> usize {
        self.block
    }

    /// Pixels `start..end` of block `i`.
    pub fn span(&self, i: usize) -> (usize, usize) {
        let start = (i * self.block).saturating_sub(self.offset);
        let end = ((i + 1) * self.block)
            .saturating_sub(self.offset)
            .min(self.size);
        (start.min(end), end)
    }

    /// The block holding pixel `p`.
    pub fn cell_of(&self, p: usize) -> usize {
        ((p + self.offset) / self.block).min(self.cells - 1)
    }

    /// Centre of block `i` (px, pixel centres at p + 0.5).
    pub fn centre(&self, i: usize) -> f32 {
        let (start, end) = self.span(i);
        (start + end) as f32 / 2.0
    }

    /// For interpolating between block centres at pixel `p`: the block whose centre is at or
    /// before `p`'s centre and the weight of the next block (below 0 or above 1 beyond the
    /// outermost centres, for linear extrapolation). One block: (0, 0).
    pub fn locate(&self, p: usize) -> (usize, f32) {
        if self.cells < 2 {
            return (0, 0.0);
        }
        let pos = p as f32 + 0.5;
        let i = (((pos + self.offset as f32) / self.block as f32 - 0.5)
            .floor()
            .max(0.0) as usize)
            .min(self.cells - 2);
        let (c0, c1) = (self.centre(i), self.centre(i + 1));
        (i, (pos - c0) / (c1 - c0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_the_axis_in_order_and_mirror() {
        for size in [1usize, 7, 80, 81, 150, 199, 200, 6000] {
            for block in [1usize, 4, 16, 80, 96, 300] {
                let axis = BlockAxis::new(size, block);
                let mut next = 0;
                for i in 0..axis.cells() {
                    let (start, end) = axis.span(i);
                    assert_eq!(start, next, "{size}/{block} block {i}");
                    assert!(end > start && end - start <= block.max(1));
                    for p in start..end {
                        assert_eq!(axis.cell_of(p), i);
                    }
                    next = end;
                }
                assert_eq!(next, size);
                // The first and last blocks differ by at most one pixel.
                let first = axis.span(0);
                let last = axis.span(axis.cells() - 1);
                let (a, b) = (first.1 - first.0, last.1 - last.0);
                assert!(a.abs_diff(b) <= 1, "{size}/{block}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn interpolation_weights_run_between_centres() {
        let axis = BlockAxis::new(200, 80);
        // Blocks 0..60, 60..140, 140..200: centres 30, 100, 170.
        let (i, w) = axis.locate(29);
        assert_eq!(i, 0);
        assert!((w + 0.5 / 70.0).abs() < 1e-6);
        let (i, w) = axis.locate(100);
        assert_eq!(i, 1);
        assert!((w - 0.5 / 70.0).abs() < 1e-6);
        let (i, w) = axis.locate(0);
        assert_eq!(i, 0);
        assert!(w < 0.0, "extrapolated before the first centre");
        let (i, w) = axis.locate(199);
        assert_eq!(i, 1);
        assert!(w > 1.0, "extrapolated beyond the last centre");
        assert_eq!(BlockAxis::new(50, 80).locate(10), (0, 0.0));
    }
}

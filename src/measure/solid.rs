//! Solid pigment: squares of the region that pigment covers with next to no skin between, wider
//! than any one impression can fill — a tattoo, a scar filled in, or dots grown into one another.
//! There the finder can only split the pigment at its texture, so the count means nothing.

use rayon::prelude::*;

use crate::dots::Cover;

/// Fraction of a square's pixels that must be pigment (dot or hair) for it to count as solid.
/// A disc inscribed in the square covers π/4 ≈ 0.785 of it, so no dot up to the square's width
/// fills one alone; a few percent of the square is left for skin creases, glare and hairs' gaps.
pub const SOLID_BLOCK_COVER: f64 = 0.9;

/// Fraction of a square's pixels that must be dot pixels for it to count as solid: hair lying
/// over pigment is still pigment beneath, but a square mostly hair is a tangle of hair.
pub const SOLID_BLOCK_DOT: f64 = 0.5;

/// Side of the squares tested for solid pigment with a scale (mm): the largest dot sought
/// ([`super::MAX_DOT_MM`], a blown-out impression with its halo), which covers at most π/4 of it.
pub const SOLID_BLOCK_MM: f64 = super::MAX_DOT_MM;

/// Side of the squares tested for solid pigment without a scale, in typical dot diameters (the
/// dot size measured): blown-out impressions reach three times the fine ones of the same work.
pub const SOLID_BLOCK_DIAMETERS: f64 = 3.0;

/// Share of the dots counted whose centres lie in solid squares above which the session gets a
/// warning that its count is unreliable: one dot in ten split out of solid pigment is an error
/// the size of a session's gain.
pub const SOLID_WARN_SHARE: f64 = 0.1;

/// Which parts of a region lie in solid squares of pigment, on a grid of cells half a square
/// wide: the squares tested are every 2 × 2 cells, so they step by half their width, and solid
/// pigment a square and a half wide holds one wherever its edges fall.
#[derive(Clone, Debug, PartialEq)]
pub struct SolidPigment {
    /// Side of the squares tested (px): two cells.
    pub block_px: usize,
    /// Side of the cells (px).
    cell_px: usize,
    /// Cells across and down the region.
    across: usize,
    down: usize,
    /// Whether each cell lies in a solid square, row by row from the region's top-left corner.
    solid: Vec<bool>,
}

impl SolidPigment {
    /// Whether the point (`x`, `y`) (px from the region's top-left corner) lies in a solid square.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        if !(x >= 0.0 && y >= 0.0) {
            return false;
        }
        let (cx, cy) = (x as usize / self.cell_px, y as usize / self.cell_px);
        cx < self.across && cy < self.down && self.solid[cy * self.across + cx]
    }

    /// The area of the solid squares (px²).
    pub fn solid_px(&self) -> u64 {
        let solid = self.solid.iter().filter(|&&s| s).count() as u64;
        solid * (self.cell_px * self.cell_px) as u64
    }
}

/// The squares of side `block_px` (rounded to an even number of px, at least 2, at most the
/// rectangle's longer side) tiling the rectangle `(x, y, width, height)` (px) of the `cover`
/// plane (`stride` px per row) in steps of half their side from its top-left corner, that are
/// at least [`SOLID_BLOCK_COVER`] dot or hair and [`SOLID_BLOCK_DOT`] dot; squares cut by the
/// rectangle's right or bottom edge are not tested (never solid). Integer sums: the same at any
/// thread count.
pub fn solid_pigment(
    cover: &[Cover],
    stride: usize,
    (x, y, width, height): (usize, usize, usize, usize),
    block_px: f64,
) -> SolidPigment {
    let longest = width.max(height).max(2);
    let cell_px = ((block_px / 2.0).round() as usize).clamp(1, longest / 2);
    let block_px = 2 * cell_px;
    let (across, down) = (width / cell_px, height / cell_px);
    // Pigment and dot pixels per cell, a row of cells at a time.
    let counts: Vec<(u32, u32)> = (0..down)
        .into_par_iter()
        .flat_map_iter(|cy| {
            let mut counts = vec![(0u32, 0u32); across];
            for row in y + cy * cell_px..y + (cy + 1) * cell_px {
                let start = row * stride + x;
                let cells = &cover[start..start + across * cell_px];
                for (count, cell) in counts.iter_mut().zip(cells.chunks_exact(cell_px)) {
                    count.0 += cell.iter().filter(|&&c| c != Cover::Bare).count() as u32;
                    count.1 += cell.iter().filter(|&&c| c == Cover::Dot).count() as u32;
                }
            }
            counts
        })
        .collect();
    let square_px = (block_px * block_px) as f64;
    let (need_cover, need_dot) = (
        (SOLID_BLOCK_COVER * square_px).ceil() as u64,
        (SOLID_BLOCK_DOT * square_px).ceil() as u64,
    );
    let mut solid = vec![false; across * down];
    for cy in 1..down {
        for cx in 1..across {
            let at = cy * across + cx;
            let cells = [at, at - 1, at - across, at - across - 1];
            let (covered, dots) = cells.iter().fold((0u64, 0u64), |(c, d), &i| {
                (c + u64::from(counts[i].0), d + u64::from(counts[i].1))
            });
            if covered >= need_cover && dots >= need_dot {
                for cell in cells {
                    solid[cell] = true;
                }
            }
        }
    }
    SolidPigment {
        block_px,
        cell_px,
        across,
        down,
        solid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `side` × `side` px cover plane with `paint` marking each pixel's cover.
    fn plane(side: usize, paint: impl Fn(usize, usize) -> Cover) -> Vec<Cover> {
        (0..side * side)
            .map(|i| paint(i % side, i / side))
            .collect()
    }

    #[test]
    fn a_square_of_pigment_is_solid_and_a_dot_as_wide_is_not() {
        // A 20 px square at 10..30 on a 40 px plane, squares of 20 px stepping by 10.
        let square = plane(40, |x, y| {
            if (10..30).contains(&x) && (10..30).contains(&y) {
                Cover::Dot
            } else {
                Cover::Bare
            }
        });
        let solid = solid_pigment(&square, 40, (0, 0, 40, 40), 20.0);
        assert_eq!(solid.block_px, 20);
        assert_eq!(solid.solid_px(), 400);
        assert!(solid.contains(15.0, 29.5));
        assert!(!solid.contains(9.5, 15.0) && !solid.contains(35.0, 35.0));
        assert!(!solid.contains(-1.0, 15.0) && !solid.contains(15.0, f64::NAN));
        // A disc 20 px across covers π/4 of the squares it fits: never solid.
        let disc = plane(40, |x, y| {
            let (dx, dy) = (x as f64 + 0.5 - 20.0, y as f64 + 0.5 - 20.0);
            if dx.hypot(dy) <= 10.0 {
                Cover::Dot
            } else {
                Cover::Bare
            }
        });
        assert_eq!(solid_pigment(&disc, 40, (0, 0, 40, 40), 20.0).solid_px(), 0);
    }

    /// [`SOLID_BLOCK_COVER`] and [`SOLID_BLOCK_DOT`] at their edges: 360 of a square's 400 px
    /// pigment make it solid, 359 do not; of them, 200 dot pixels (the rest hair) do, 199 do
    /// not: a tangle of hair is no solid pigment.
    #[test]
    fn a_square_is_solid_from_nine_tenths_pigment_half_of_it_dots() {
        assert_eq!((SOLID_BLOCK_COVER, SOLID_BLOCK_DOT), (0.9, 0.5));
        for (bare, hair, solid) in [(40, 160, true), (41, 160, false), (40, 161, false)] {
            let cover = plane(20, |x, y| match y * 20 + x {
                i if i < bare => Cover::Bare,
                i if i < bare + hair => Cover::Hair,
                _ => Cover::Dot,
            });
            let found = solid_pigment(&cover, 20, (0, 0, 20, 20), 20.0);
            assert_eq!(
                found.solid_px() == 400,
                solid,
                "{bare} px bare, {hair} hair"
            );
        }
    }

    /// The rectangle's squares only: a square cut by its edge, or pigment outside it, is not
    /// tested, however solid.
    #[test]
    fn only_whole_squares_inside_the_rectangle_are_tested() {
        let full = plane(40, |_, _| Cover::Dot);
        // 10 px cells: 35 px hold three across and down, so the last 5 px are never solid.
        let solid = solid_pigment(&full, 40, (5, 5, 35, 35), 20.0);
        assert_eq!(solid.solid_px(), 900);
        assert!(solid.contains(29.9, 0.0) && !solid.contains(30.0, 0.0));
        // A rectangle smaller than one square tests none.
        assert_eq!(solid_pigment(&full, 40, (0, 0, 19, 40), 20.0).solid_px(), 0);
        // Squares no wider than the rectangle, whatever is asked; points far off are outside.
        let huge = solid_pigment(&full, 40, (0, 0, 40, 40), f64::INFINITY);
        assert_eq!((huge.block_px, huge.solid_px()), (40, 1600));
        assert!(!huge.contains(1e300, 1.0) && !huge.contains(1.0, f64::INFINITY));
        assert_eq!(
            solid_pigment(&full, 40, (0, 0, 40, 40), f64::NAN).block_px,
            2
        );
    }
}

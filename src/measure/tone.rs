//! Tone edges: the skin's own tone changing sharply within the region (a scar, a birthmark, the
//! rim of a highlight). The skin field is a grid of blocks several dot diameters wide,
//! interpolated between their centres: it follows light, which changes smoothly, but where the
//! skin itself changes tone over less than a block or two it spreads each side's level over
//! the other. The darker side's skin then reads as pigment (its mottling and pores are counted
//! as dots, its skin as coverage) and the lighter side's faint dots are lost: a linear scar 1.5×
//! as light as the skin around it read first-session work at +59…+104% (README, soft spots;
//! `examples/scar_sweep`). The blocks found here on an edge, and those within
//! [`TONE_REACH_BLOCKS`] of them, take the skin's level pixel by pixel instead
//! ([`SkinField::following_edges`]), and the region is told of the edge.

use super::shine::{block_pallor, own_pallor, px_in_region};
use crate::color::LuminanceSource;
use crate::flatten::SkinField;
use crate::grid::blocks_around;
use crate::quantile::quantile;
use crate::region::Region;

/// Blocks this many blocks apart or closer (along rows, columns and diagonals) are compared
/// for a bend of the skin's level ([`MAX_TONE_BEND`]).
pub const TONE_REACH_BLOCKS: usize = 2;

/// The sharpest bend of the skin's level a block may show without lying on a tone edge: the
/// largest exp |ln a − 2 ln b + ln c| over blocks `a`, `c` on either side of `b` within
/// [`TONE_REACH_BLOCKS`]. Light bends gently: a straight fall (a side light) not at all, a
/// phone's vignetting by a few percent per block even where the frame is only a few blocks
/// across, skin's mottling by less; a step of tone bends by its whole ratio where it begins and
/// where it ends (a band narrower than the reach, twice over). Generated scenes without scars
/// (360 of `examples/accuracy`, seeds 1001, 2 and 3001: skin types I–VI under uneven light,
/// 15–100 px/mm, hairs and stubble) bend by 1.28 at most; a scar 1.5× as light as the skin by
/// 2.2 or more.
pub const MAX_TONE_BEND: f32 = 1.5;

/// The bend from which a block is followed as on a tone edge (its skin level taken pixel by
/// pixel: [`SkinField::following_edges`]), with the same test of the darker side's colour: lower
/// than [`MAX_TONE_BEND`], which only decides the warning. A scar's edge bends by the scar's
/// ratio where it is wider than [`TONE_REACH_BLOCKS`], less once the blocks' 3 × 3 medians
/// and its soft edge round it off: a scar 6 mm wide and 1.5× as light bent by 1.4–1.5 along
/// stretches of its edges, which were left to the blocks' field and read first sessions
/// +9…+12 points high against the same scene without the scar. Generated scenes without scars
/// bend by 1.28 at most (see [`MAX_TONE_BEND`]); and following a block that is no edge costs
/// little: followed everywhere, the 120 scenes of `examples/accuracy` (seed 2) counted within
/// the same median error (0.9%), coverage within 0.18 points against 0.13.
pub const FOLLOW_TONE_BEND: f32 = 1.35;

/// A bend counts as a tone edge only when the skin on its darker side has between this
/// fraction and its inverse of the skin's own colour ([`super::shine`]'s pallor, (R − B) / Y
/// in linear light): the skin beside a pale scar, or a birthmark's, is about as red over blue
/// as skin, while a tattoo's solid bars, whose level the field keeps where they are wide,
/// carry the ink's grey, blue or green, or the red of inflamed skin; a block with no pixel lit
/// near its level to read a colour from shows no skin. (The test target's faded close-up bent
/// by up to 2 at its bars across 47% of its region, their blocks reading −0.64…−0.19 against
/// its skin's 0.25; the inflamed photo's bars across 21%, mostly blocks without a colour to
/// read, a few at 0.97 against 0.40. The upper bound is the physics' guard: no region here
/// reaches it over 2%.)
pub const MIN_DARKER_SIDE_COLOUR: f32 = 0.5;

/// The region is warned of a tone edge when blocks on one cover at least this fraction of it.
pub const MIN_EDGE_FRACTION: f64 = 0.02;

/// The skin's tone across a region: how sharply it bends between nearby blocks, and how much of
/// the region lies on a tone edge.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ToneEdge {
    /// Fraction (0..1) of the region in blocks on a tone edge (0 without one).
    pub fraction: f64,
    /// The sharpest bend of the skin's level over the region's blocks (see [`MAX_TONE_BEND`]; 1
    /// on evenly lit, even skin).
    pub bend: f64,
    /// The widest ratio, lighter over darker, of the skin's level among the blocks within
    /// [`TONE_REACH_BLOCKS`] of a block on the edge (1 without an edge): how much lighter one
    /// side is.
    pub ratio: f64,
}

/// The skin's tone over `region` (crop px) of a photo whose skin field is `skin`, read on the
/// blocks' levels each taken as the median of its 3 × 3 neighbourhood (a single block biased
/// low by hair, stubble or dense pigment is no edge; a step wider than a block stays a step):
/// a block lies on a tone edge when it bends by more than [`MAX_TONE_BEND`] and the skin on
/// the darker side of the bend (the darkest level within [`TONE_REACH_BLOCKS`]) keeps its colour
/// ([`MIN_DARKER_SIDE_COLOUR`]). `y` is the crop's luminance and colour. With it, whether
/// each of the field's blocks (row-major, those outside the region too) is to be followed: it
/// bends by more than [`FOLLOW_TONE_BEND`], with skin's colour on the darker side.
pub(super) fn tone_edge(
    y: &LuminanceSource,
    skin: &SkinField,
    region: Region,
) -> (ToneEdge, Vec<bool>) {
    let blocks: Vec<_> = skin.blocks().collect();
    let (grid_w, grid_h) = skin.grid();
    let levels: Vec<f32> = (0..blocks.len())
        .map(|i| {
            let mut around: Vec<f32> = blocks_around(i, grid_w, grid_h, 1)
                .map(|j| blocks[j].2)
                .collect();
            quantile(&mut around, 0.5)
        })
        .collect();
    let lookup = skin.lookup();
    // The skin's own colour, read once some block bends (`None` until then; `Some(None)` when
    // the skin has none).
    let mut own = None;
    let (mut edge_px, mut bend, mut ratio) = (0u64, 1f32, 1f32);
    let mut on_edge = vec![false; blocks.len()];
    for (i, &(xs, ys, _)) in blocks.iter().enumerate() {
        let px = px_in_region(xs, ys, region);
        let here = bend_at(&levels, i, grid_w, grid_h);
        if px > 0 {
            bend = bend.max(here);
        }
        if here <= FOLLOW_TONE_BEND {
            continue;
        }
        // The darker side: the darkest level within reach.
        let Some(darker) = blocks_around(i, grid_w, grid_h, TONE_REACH_BLOCKS)
            .filter(|&j| levels[j] > 0.0)
            .min_by(|&a, &b| levels[a].total_cmp(&levels[b]))
        else {
            continue;
        };
        let own = *own.get_or_insert_with(|| own_pallor(y, skin, &lookup, &blocks));
        // Skin's colour on the darker side (neither the ink's grey, blue or green, nor the
        // red of ink in inflamed skin); without colour to tell by, no edge is claimed.
        let skin_like = match (own, block_pallor(y, &lookup, blocks[darker])) {
            (Some(own), Some(colour)) => {
                (MIN_DARKER_SIDE_COLOUR * own..=own / MIN_DARKER_SIDE_COLOUR).contains(&colour)
            }
            _ => false,
        };
        on_edge[i] = skin_like;
        if skin_like && px > 0 && here > MAX_TONE_BEND {
            edge_px += px;
            let lighter = blocks_around(i, grid_w, grid_h, TONE_REACH_BLOCKS)
                .map(|j| levels[j])
                .fold(levels[i], f32::max);
            ratio = ratio.max(lighter / levels[darker]);
        }
    }
    let edge = ToneEdge {
        fraction: edge_px as f64 / region.area_px().max(1) as f64,
        bend: f64::from(bend),
        ratio: f64::from(ratio),
    };
    (edge, on_edge)
}

/// The sharpest bend (≥ 1) of `levels` (per block, row-major, `grid_w × grid_h`) at block `i`:
/// exp |ln a − 2 ln b + ln c| at its largest over `b` = block `i` and the blocks `a`, `c` 1 to
/// [`TONE_REACH_BLOCKS`] blocks either side of it along a row, a column or a diagonal.
fn bend_at(levels: &[f32], i: usize, grid_w: usize, grid_h: usize) -> f32 {
    let (x, y) = ((i % grid_w) as isize, (i / grid_w) as isize);
    let at = |x: isize, y: isize| {
        ((0..grid_w as isize).contains(&x) && (0..grid_h as isize).contains(&y))
            .then(|| levels[y as usize * grid_w + x as usize])
            .filter(|&v| v > 0.0)
    };
    let Some(b) = at(x, y) else {
        return 1.0;
    };
    let mut sharpest = 0f32;
    for (dx, dy) in [(1, 0), (0, 1), (1, 1), (1, -1)] {
        for k in 1..=TONE_REACH_BLOCKS as isize {
            if let (Some(a), Some(c)) = (at(x - k * dx, y - k * dy), at(x + k * dx, y + k * dy)) {
                sharpest = sharpest.max((a.ln() - 2.0 * b.ln() + c.ln()).abs());
            }
        }
    }
    sharpest.exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `bend_at` over every block of a grid `w` across, as a grid of the same shape.
    fn bends(levels: &[f32], w: usize) -> Vec<f32> {
        let h = levels.len() / w;
        (0..levels.len())
            .map(|i| bend_at(levels, i, w, h))
            .collect()
    }

    #[test]
    fn light_falling_in_a_straight_line_does_not_bend() {
        // Falling by 10% per block across, 5% down (a straight fall in ln).
        let levels: Vec<f32> = (0..6 * 5)
            .map(|i: i32| 0.5 * 0.9f32.powi(i % 6) * 0.95f32.powi(i / 6))
            .collect();
        for b in bends(&levels, 6) {
            assert!((b - 1.0).abs() < 1e-4, "{b}");
        }
    }

    #[test]
    fn a_step_bends_by_its_ratio_either_side_of_it() {
        // Columns 0–3 at 0.2, 4–7 at 0.32: a step of 1.6 between columns 3 and 4.
        let levels: Vec<f32> = (0..8 * 4)
            .map(|i| if i % 8 < 4 { 0.2 } else { 0.32 })
            .collect();
        let near = |b: f32, want: f32| (b - want).abs() < 1e-4;
        for row in bends(&levels, 8).chunks(8) {
            assert!(near(row[3], 1.6) && near(row[4], 1.6), "{row:?}");
            // Two blocks from the step, the reach of 2 still spans it.
            assert!(near(row[2], 1.6) && near(row[5], 1.6), "{row:?}");
            // Three away, nothing.
            assert!(near(row[1], 1.0) && near(row[6], 1.0), "{row:?}");
        }
        // A block that is no level (0) neither bends nor is read beside one.
        let mut holed = levels.clone();
        holed[11] = 0.0;
        assert_eq!(bend_at(&holed, 11, 8, 4), 1.0);
        assert!(
            near(bend_at(&holed, 12, 8, 4), 1.6),
            "its wider span still reads the step"
        );
    }
}

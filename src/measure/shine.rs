//! Shine: a specular highlight over the region (an oily scalp under a flash or ring light), told
//! from brighter light by its colour. Light reflected by the skin's surface has the light's
//! colour, not the skin's, so where it adds to the skin the skin's colour pales in proportion:
//! the skin's red-over-blue excess per unit of luminance, (R − B) / Y in linear light, falls to
//! the diffuse part's share of the luminance, while more or less light (a gradient, vignetting)
//! leaves it as it is. Under shine a dot's darkness reads low by that share: the dot and the
//! skin both carry the reflected light.

use crate::color::LuminanceSource;
use crate::flatten::{SkinField, SkinLookup, MAX_LIGHT_OVER_MEDIAN, SKIN_EXCLUDE_DARKNESS};
use crate::grid::blocks_around;
use crate::quantile::quantile;
use crate::region::Region;

/// A patch of bright blocks counts as shiny when shine makes up at least this share of its
/// skin's luminance: darkness there reads at least this fraction low (a dot of 0.65 as 0.49).
pub const MIN_SHINE_SHARE: f32 = 0.25;

/// The region is warned of shine when shiny patches cover at least this fraction of it.
pub const MIN_SHINY_FRACTION: f64 = 0.02;

/// The quantile of the skin field's blocks taken for the skin's level: blocks brighter than
/// [`MAX_LIGHT_OVER_MEDIAN`] times it may be under shine.
pub const SKIN_LEVEL_QUANTILE: f32 = 0.75;

/// Reference blocks (lit within this factor of the skin's level, either way) whose colour the
/// skin's own is read from, at most [`MAX_REFERENCE_BLOCKS`] of them, evenly spread.
const REFERENCE_LIGHT_RATIO: f32 = 1.2;

/// The most reference blocks read (the skin's colour is their median).
const MAX_REFERENCE_BLOCKS: usize = 64;

/// Rows of a block read for its colour: every this-many-th.
const ROW_STEP: usize = 2;

/// Shine found over a region.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shine {
    /// Fraction (0..1) of the region under shiny patches.
    pub fraction: f64,
    /// The largest share (0..1), over the shiny patches, of a patch's skin luminance that
    /// shine makes up (pooled over the patch): about the fraction by which darkness reads low
    /// there.
    pub share: f64,
}

/// The shine over `region` (crop px) of the photo `y` (the crop's luminance and colour) whose
/// skin field is `skin`: `None` when no block is brighter than [`MAX_LIGHT_OVER_MEDIAN`] times
/// the skin's level (the [`SKIN_LEVEL_QUANTILE`] of the blocks; nothing is read then), or no
/// patch of such blocks (8-connected) is shiny ([`MIN_SHINE_SHARE`]), or the skin has no colour
/// to pale (grey photos, grey skin). A patch's colour is pooled over all its blocks: real
/// skin's colour varies from block to block (redness, hair, texture) by more than a block's
/// share could tell from shine.
pub(super) fn shine(y: &LuminanceSource, skin: &SkinField, region: Region) -> Option<Shine> {
    // The skin's level: the upper quartile of the blocks, on skin where pigment fills up to
    // three quarters of them (a tattoo's bars, whose blocks can keep their ink's level), and
    // below a highlight over less than a quarter of them.
    let level = skin.quantile(SKIN_LEVEL_QUANTILE);
    let blocks: Vec<_> = skin.blocks().collect();
    let lookup = skin.lookup();
    let bright: Vec<bool> = blocks
        .iter()
        .map(|b| b.2 > MAX_LIGHT_OVER_MEDIAN * level)
        .collect();
    if !bright.contains(&true) {
        return None;
    }
    let own = own_pallor(y, skin, &lookup, &blocks)?;
    let in_region = |i: usize| px_in_region(blocks[i].0, blocks[i].1, region);
    let (mut shiny_px, mut share) = (0u64, 0f32);
    for patch in patches(&bright, skin.grid().0) {
        let sums = patch
            .iter()
            .map(|&i| colour_sums(y, &lookup, blocks[i].0, blocks[i].1))
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
        let Some(colour) = pallor(sums) else {
            continue;
        };
        let patch_share = shine_share(colour, own);
        if patch_share >= MIN_SHINE_SHARE {
            share = share.max(patch_share);
            shiny_px += patch.iter().map(|&i| in_region(i)).sum::<u64>();
        }
    }
    (shiny_px > 0).then(|| Shine {
        fraction: shiny_px as f64 / region.area_px() as f64,
        share: f64::from(share),
    })
}

/// A block of the skin field: its columns and rows (half-open, crop px) and skin level.
pub(super) type Block = ((usize, usize), (usize, usize), f32);

/// The skin's own [`pallor`] (> 0): the median over up to [`MAX_REFERENCE_BLOCKS`] `blocks` of
/// `skin` lit within [`REFERENCE_LIGHT_RATIO`] of the skin's level (its
/// [`SKIN_LEVEL_QUANTILE`]), evenly spread; `None` when the skin has no colour (grey photos,
/// grey skin) or no block is read.
pub(super) fn own_pallor(
    y: &LuminanceSource,
    skin: &SkinField,
    lookup: &SkinLookup,
    blocks: &[Block],
) -> Option<f32> {
    let level = skin.quantile(SKIN_LEVEL_QUANTILE);
    let ordinary: Vec<usize> = (0..blocks.len())
        .filter(|&i| {
            let v = blocks[i].2;
            v <= REFERENCE_LIGHT_RATIO * level && v * REFERENCE_LIGHT_RATIO >= level
        })
        .collect();
    let step = ordinary.len().div_ceil(MAX_REFERENCE_BLOCKS).max(1);
    let mut reference: Vec<f32> = ordinary
        .iter()
        .step_by(step)
        .filter_map(|&i| block_pallor(y, lookup, blocks[i]))
        .collect();
    if reference.is_empty() {
        return None;
    }
    let own = quantile(&mut reference, 0.5);
    (own > 0.0).then_some(own)
}

/// The [`pallor`] of one block's skin (see [`colour_sums`]).
pub(super) fn block_pallor(y: &LuminanceSource, lookup: &SkinLookup, block: Block) -> Option<f32> {
    pallor(colour_sums(y, lookup, block.0, block.1))
}

/// Pixels of the block of columns `xs` and rows `ys` (half-open, crop px) inside `region`.
pub(super) fn px_in_region(xs: (usize, usize), ys: (usize, usize), region: Region) -> u64 {
    let overlap = |(a0, a1): (usize, usize), (b0, b1): (u32, u64)| {
        (a1 as u64)
            .min(b1)
            .saturating_sub((a0 as u64).max(u64::from(b0)))
    };
    overlap(xs, (region.x, region.right())) * overlap(ys, (region.y, region.bottom()))
}

/// The share (0..1) of a skin's luminance that grey light makes up when the skin's
/// [`pallor`] is `colour` and its own, without shine, `own` (> 0).
fn shine_share(colour: f32, own: f32) -> f32 {
    (1.0 - colour / own).clamp(0.0, 1.0)
}

/// The 8-connected patches of the blocks flagged in `flags` (row-major, `grid_w` across), each
/// its blocks' indices, in order of their first block.
fn patches(flags: &[bool], grid_w: usize) -> Vec<Vec<usize>> {
    let grid_h = flags.len() / grid_w.max(1);
    let mut seen = vec![false; flags.len()];
    let mut out = Vec::new();
    for start in 0..flags.len() {
        if !flags[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        let (mut patch, mut stack) = (Vec::new(), vec![start]);
        while let Some(i) = stack.pop() {
            patch.push(i);
            for j in blocks_around(i, grid_w, grid_h, 1) {
                if flags[j] && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        patch.sort_unstable();
        out.push(patch);
    }
    out
}

/// The skin's (R − B) / Y (linear light) from its sums ([`colour_sums`]); `None` without skin.
fn pallor((excess, luminance): (f64, f64)) -> Option<f32> {
    (luminance > 0.0).then(|| (excess / luminance) as f32)
}

/// Σ (R − B) and Σ Y (linear light) over the skin of the block of columns `xs` and rows `ys`
/// (crop px), the field read along rows through `skin` ([`SkinField::lookup`]): every
/// [`ROW_STEP`]-th row's pixels at most [`SKIN_EXCLUDE_DARKNESS`] darker than the field (dots
/// and hair left out).
fn colour_sums(
    y: &LuminanceSource,
    skin: &SkinLookup,
    xs: (usize, usize),
    ys: (usize, usize),
) -> (f64, f64) {
    let (mut excess, mut luminance) = (0f64, 0f64);
    let mut field = vec![0f32; xs.1 - xs.0];
    for row in (ys.0..ys.1).step_by(ROW_STEP) {
        skin.span_into(row, xs.0, &mut field);
        y.for_each_rgb_and_y_in_run(row, xs.0..xs.1, |x, rgb, lum| {
            if lum >= (1.0 - SKIN_EXCLUDE_DARKNESS) * field[x - xs.0] {
                excess += f64::from(rgb[0] - rgb[2]);
                luminance += f64::from(lum);
            }
        });
    }
    (excess, luminance)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, Rgb, Rgb32FImage};

    /// Skin of linear colour `skin` over 128 × 128 px, with `added` (linear, per channel) over
    /// the 48 × 48 px from (48, 48): three blocks of the field's 16 px each way. Stored as
    /// sRGB-encoded floats (as a float photo is read), so that no 8-bit step moves the colours.
    fn photo(skin: [f32; 3], added: [f32; 3]) -> DynamicImage {
        DynamicImage::ImageRgb32F(Rgb32FImage::from_fn(128, 128, |x, y| {
            let inside = (48..96).contains(&x) && (48..96).contains(&y);
            Rgb(std::array::from_fn(|c| {
                let linear = skin[c] + if inside { added[c] } else { 0.0 };
                crate::synth::linear_to_srgb(f64::from(linear)) as f32
            }))
        }))
    }

    fn shine_of(image: &DynamicImage) -> Option<Shine> {
        let region = Region::whole(128, 128);
        let (y, _) = LuminanceSource::of(image, region);
        let calm = SkinField::calm_into(&y, Vec::new());
        shine(&y, &SkinField::estimate_with_calm(&y, &calm, 16), region)
    }

    /// Patches join blocks touching by a side or a corner, never across a row's end; the
    /// share is the skin's paling, none for a skin as coloured as its own or more.
    #[test]
    fn patches_are_8_connected_within_the_grid() {
        #[rustfmt::skip]
        let flags = [
            true,  false, false, true,
            false, true,  false, true,
            false, false, false, false,
            true,  false, false, false,
        ];
        assert_eq!(patches(&flags, 4), vec![vec![0, 5], vec![3, 7], vec![12]]);
        // Row 0's last block and row 1's first are not neighbours.
        assert_eq!(
            patches(&[false, false, true, true, false, false], 3),
            vec![vec![2], vec![3]]
        );
        assert_eq!(shine_share(0.3, 0.4), 0.25);
        assert_eq!(shine_share(0.5, 0.4), 0.0);
        assert_eq!(shine_share(-0.1, 0.4), 1.0);
    }

    /// Dark skin (type VI's colour) under grey light of a share just above and just below
    /// [`MIN_SHINE_SHARE`] of the brightened skin's luminance: shiny over exactly its nine
    /// blocks, its share read as added; or not at all. The same brightening in the skin's own
    /// colour (more light, not shine), or on grey skin, is none.
    #[test]
    fn shine_is_told_by_the_skin_paling_at_its_share_of_the_light() {
        let skin = [0.06, 0.03, 0.02];
        let skin_y = crate::color::luminance_of(skin);
        for (share, shiny) in [
            (MIN_SHINE_SHARE + 0.01, true),
            (MIN_SHINE_SHARE - 0.01, false),
        ] {
            // share = k / (Y + k) for grey light k (luminance k).
            let k = share * skin_y / (1.0 - share);
            let found = shine_of(&photo(skin, [k; 3]));
            if shiny {
                let found = found.expect("shine");
                assert!((found.fraction - 9.0 / 64.0).abs() < 1e-9, "{found:?}");
                assert!((found.share - f64::from(share)).abs() < 0.005, "{found:?}");
            } else {
                assert_eq!(found, None, "share {share}");
            }
        }
        // 1.6× the light on skin and patch alike in colour: brighter, not shinier.
        assert_eq!(shine_of(&photo(skin, skin.map(|v| 0.6 * v))), None);
        // Grey skin has no colour to pale.
        assert_eq!(shine_of(&photo([0.05; 3], [0.05; 3])), None);
    }
}

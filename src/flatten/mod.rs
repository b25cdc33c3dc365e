//! Illumination flattening: the skin field S, an estimate of what each pixel's luminance would be
//! without pigment, and the darkness plane D = 1 − Y / S.
//!
//! Pigment only ever darkens skin, so S is estimated per block from the bright side of the
//! luminance distribution, then refined from the pixels that the first estimate calls skin. The
//! block size is chosen by the caller from the dot size (several dot diameters), so the field
//! follows lighting gradients, vignetting and mottling but never dips into a dot. A large
//! block's statistics are read from an even sample of its rows (see [`BLOCK_SAMPLES`]): a
//! block of a 24 MP photo holds far more pixels than a robust median needs.

use std::iter::StepBy;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::grid::{
    blocks_around, fill_missing, light_envelope, sampled_rows, AxisWeights, BlockAxis,
};
use crate::plane::{Plane, Rows};
use crate::quantile::{quantile, quantile_pair};

/// First-pass skin estimate per block: this quantile of luminance. Dots rarely cover more than a
/// third of a block several dot diameters wide, so the 70th percentile lies on skin.
pub const FIRST_PASS_QUANTILE: f32 = 0.70;

/// Second pass: pixels at least this much darker than the first-pass skin (darkness, 0..1) are left
/// out of the skin median. Well below the faintest pigment core (≈ 0.3), well above skin noise
/// on a normally exposed photo (≈ 0.01–0.03).
pub const SKIN_EXCLUDE_DARKNESS: f32 = 0.08;

/// Blur (px) of the copy on which the second pass tells skin from pigment: it averages pixel
/// noise down by ≈ 4× while leaving dots (≥ 3 px across) well below the skin.
pub const EXCLUDE_DENOISE_PX: f32 = 1.5;

/// Pixels a block's statistics are taken from, at least: a block with more is read on every
/// n-th of its rows only (evenly spaced, all columns), with n the largest step that keeps this
/// many and [`MIN_BLOCK_ROWS`] rows. A median of 1024 pixels is within 1.25/√1024 ≈ 4% of the skin's own noise of the
/// median of all of them, and a quantile within ≈ 1.5% of its rank: far below what moves
/// darkness, while a block of a 24 MP photo holds 4–10 times more pixels than this.
pub const BLOCK_SAMPLES: usize = 1024;

/// Rows a block's statistics are taken from, at least (all of a block of fewer rows). Pixels
/// along a row are not independent samples: a dot spans many of them. A block is a few dot
/// diameters (see [`crate::measure::FLATTEN_BLOCK_DIAMETERS`]), so 16 rows cross each dot of
/// it about 4 times, and a block's pigment is sampled in proportion to its area.
pub const MIN_BLOCK_ROWS: usize = 16;

/// A block whose second pass keeps fewer than this fraction of its pixels as skin takes its value
/// from its neighbours instead (it is mostly pigment or hair).
pub const MIN_SKIN_FRACTION: f32 = 0.2;

/// A block more than this fraction darker than the darkest of its neighbours (or brighter than
/// the brightest) is an outlier — mostly pigment, hair, or a specular highlight — and takes its
/// neighbours' median. Skin mottling and noise move a block's median by a few percent at most.
pub const OUTLIER_RELATIVE: f32 = 0.1;

/// The bright tail of a block: this quantile of its pixels (in the second pass, of those it
/// keeps as skin) lies on skin unless the block is nearly all pigment.
pub const BRIGHT_TAIL_QUANTILE: f32 = 0.95;

/// A block whose bright tail is over this many times its value holds pigment or hair: the
/// faintest pigment (darkness 0.3) leaves skin 1/(1 − 0.3) ≈ 1.43× brighter, while skin alone
/// spans ≈ 1.1–1.2× (noise, mottling and the fall of light across a vignetted corner block).
pub const PIGMENT_TAIL_RATIO: f32 = 1.3;

/// Light never falls by more than this fraction from one block to the next (vignetting takes
/// phone photos to about half at the far corners, over several blocks): a block darker than
/// that allows, given any other block, is pigment (see [`crate::grid::light_envelope`]).
pub const MAX_LIGHT_STEP: f32 = 0.35;

/// A block brighter than this many times the median block counts only as this bright in the
/// [`light_envelope`]. A specular highlight (an oily scalp's shine under a flash or ring light:
/// light reflected by the surface, above the pigment) is several times as bright as dark skin
/// around it, and falls off faster than the light itself ([`MAX_LIGHT_STEP`] per block): from
/// its own level it condemned the skin around it as pigment, block after block, and the field
/// filled in at the highlight's level (type VI skin under a highlight reflecting a tenth of the
/// light read 85% covered, true 12%). At 1.3, a block beside a capped one condemns only what is
/// below 0.85 of the median (1.3 × 0.65): skin lit at the median is never condemned by a
/// highlight. Where no block is brighter than 1.3× the median it changes nothing (the generated
/// scenes under uneven light, the samples and the peer photo read the same, byte for byte);
/// lighting's own spread (a strong side light, vignetting: ≈ 1.5× to 0.5× the median) only
/// condemns a little less a block away from its brightest.
pub const MAX_LIGHT_OVER_MEDIAN: f32 = 1.3;

/// `values` (per block, `None`: no value) each at most `ratio` times their median: what the
/// [`light_envelope`] is taken from (see [`MAX_LIGHT_OVER_MEDIAN`]). All `None` stays so.
fn below_sheen(values: &[Option<f32>], ratio: f32) -> Vec<Option<f32>> {
    let mut known: Vec<f32> = values.iter().flatten().copied().collect();
    if known.is_empty() {
        return values.to_vec();
    }
    let cap = ratio * quantile(&mut known, 0.5);
    values.iter().map(|v| v.map(|v| v.min(cap))).collect()
}

/// The estimated skin luminance over an image, stored as a coarse grid of blocks and
/// interpolated bilinearly between block centres.
#[derive(Clone, Debug)]
pub struct SkinField {
    /// Block side (px).
    pub block: usize,
    /// Image width (px).
    pub width: usize,
    /// Image height (px).
    pub height: usize,
    columns: BlockAxis,
    rows: BlockAxis,
    /// Skin luminance (linear, 0..1) per block, row-major.
    values: Vec<f32>,
    /// The skin's level pixel by pixel in blocks on a tone edge, in place of the blocks'
    /// interpolation there ([`SkinField::following_edges`]); `None`: nowhere.
    detail: Option<std::sync::Arc<EdgeDetail>>,
}

impl SkinField {
    /// Estimates the skin field of the luminance plane `y` with blocks of `block` px.
    pub fn estimate(y: &Plane, block: usize) -> SkinField {
        SkinField::estimate_with_calm(y, &SkinField::calm(y), block)
    }

    /// `y` denoised for telling skin from pigment (blurred by [`EXCLUDE_DENOISE_PX`]): made
    /// once and handed to [`SkinField::estimate_with_calm`] for each field of the same `y`.
    pub fn calm(y: &Plane) -> Plane {
        SkinField::calm_into(y, Vec::new())
    }

    /// [`SkinField::calm`] of the luminance `y` (stored or not), in `buffer`'s allocation
    /// where it holds the plane (its values do not matter): the same values, bit for bit.
    pub fn calm_into(y: &impl Rows, buffer: Vec<f32>) -> Plane {
        let (width, height) = y.size();
        let mut calm = Plane {
            width,
            height,
            data: buffer,
        };
        match y.stored() {
            Some(plane) => plane.gaussian_blur_into(EXCLUDE_DENOISE_PX, &mut calm),
            None => crate::plane::gaussian_blur_of_into(
                (width, height),
                |row, out| y.span_into(row, 0, out),
                EXCLUDE_DENOISE_PX,
                &mut calm,
            ),
        }
        calm
    }

    /// [`SkinField::estimate`] of the luminance `y` (stored or not) with the denoised plane
    /// `calm` (from [`SkinField::calm`] of the same `y`): the same field, without blurring `y`
    /// again.
    pub fn estimate_with_calm(y: &impl Rows, calm: &Plane, block: usize) -> SkinField {
        let (width, height) = y.size();
        debug_assert_eq!((calm.width, calm.height), (width, height));
        let block = block.max(4);
        let (columns, rows) = (BlockAxis::new(width, block), BlockAxis::new(height, block));
        let mut field = SkinField {
            block,
            width,
            height,
            columns,
            rows,
            values: vec![0.0; columns.cells() * rows.cells()],
            detail: None,
        };
        let (values, tails) = field.per_block(|_, (x0, x1), rows, pixels| {
            let mut computed = Vec::new();
            for row in rows {
                pixels.extend_from_slice(span_of(y, row, (x0, x1), &mut computed));
            }
            Some(quantile_pair(
                pixels,
                FIRST_PASS_QUANTILE,
                BRIGHT_TAIL_QUANTILE,
            ))
        });
        field.values = values;
        field.smooth(&tails);
        // Second pass: the median of the pixels the first pass calls skin.
        let first = field.clone();
        // Skin or pigment is decided on a denoised copy: on dark or underexposed skin the pixel
        // noise exceeds the exclusion, and deciding on raw pixels would cut the skin's own
        // lower tail and bias S upwards. The median is still taken over the raw values.
        let (columns, rows) = (AxisWeights::new(&first.columns), first.row_table());
        let any_skin = AtomicBool::new(false);
        let short_of_skin: Vec<AtomicBool> = (0..first.values.len())
            .map(|_| AtomicBool::new(false))
            .collect();
        let (mut refined, mut tails) = field.per_block(|i, (x0, x1), block_rows, pixels| {
            let mut skin = vec![0f32; x1 - x0];
            let mut computed = Vec::new();
            // Each pixel's raw value, the first pass's skin there and its denoised value.
            for row in block_rows {
                first.row_into(&columns, rows[row], x0, &mut skin);
                let values = span_of(y, row, (x0, x1), &mut computed);
                let calm_row = &calm.row(row)[x0..x1];
                for ((v, c), s) in values.iter().zip(calm_row).zip(&skin) {
                    pixels.extend_from_slice(&[*v, *s, *c]);
                }
            }
            let Some(kept) = skin_of_block(pixels) else {
                short_of_skin[i].store(true, Ordering::Relaxed);
                return None;
            };
            any_skin.store(true, Ordering::Relaxed);
            Some(quantile_pair(kept, 0.5, BRIGHT_TAIL_QUANTILE))
        });
        if !any_skin.load(Ordering::Relaxed) {
            // No block kept a fifth of its pixels as skin: not a photo of pigment alone (its
            // pigment would be its skin, at or above itself), but gaps between the dots too
            // narrow for the denoised copy, which darkens them with the dots on either side
            // (dots 0.3 mm wide 0.5 mm apart at 15 px/mm: 3 px of skin against a 1.5 px blur).
            // Every block left empty once filled the field white (L* 100, the whole region
            // pigment); the first pass, on skin unless pigment covers 30% of a block, stands.
            return first;
        }
        // A block that kept too little skin under the first field was filled from its
        // neighbours: pigment fills it, or light curves more steeply within it than the first
        // field's straight lines between block centres (on a highlight's flank they overshoot
        // the skin by more than the exclusion's margin), and its neighbours' mean (of the
        // highlight and the skin) is brighter still. Either way the field stands too high
        // there: it takes the lower of that and its own first pass.
        for (i, short) in short_of_skin.iter().enumerate() {
            if short.load(Ordering::Relaxed) && first.values[i] < refined[i] {
                refined[i] = first.values[i];
                tails[i] = refined[i];
            }
        }
        field.values = refined;
        field.smooth(&tails);
        field
    }

    /// Runs `stat` on each block's index (row-major), its columns `(x0, x1)` (half-open, px) and
    /// the rows it reads (see [`block_rows`]) with an empty scratch buffer to gather pixels in;
    /// `stat` gives the block's value and its bright tail. `None` blocks, non-finite ones, and
    /// blocks below the [`light_envelope`] are filled from their neighbours afterwards (and get
    /// their filled value as their tail). The buffer is reused across the blocks of a thread: no
    /// per-pixel coordinates or per-block allocations (they cost 16 B/px and most of this
    /// stage's time on a 24 MP photo).
    fn per_block<F>(&self, stat: F) -> (Vec<f32>, Vec<f32>)
    where
        F: Fn(usize, (usize, usize), StepBy<Range<usize>>, &mut Vec<f32>) -> Option<(f32, f32)>
            + Sync,
    {
        let (grid_w, grid_h) = self.grid();
        let results: Vec<Option<(f32, f32)>> = (0..grid_w * grid_h)
            .into_par_iter()
            .map_init(
                || Vec::with_capacity(self.block * self.block),
                |scratch, i| {
                    scratch.clear();
                    let (x0, x1) = self.columns.span(i % grid_w);
                    let (y0, y1) = self.rows.span(i / grid_w);
                    stat(i, (x0, x1), block_rows(y0, y1, x1 - x0), scratch)
                },
            )
            .collect();
        // Non-finite statistics (never from real luminance) are no value at all.
        let mut results: Vec<Option<(f32, f32)>> = results
            .into_iter()
            .map(|r| r.filter(|(v, tail)| v.is_finite() && tail.is_finite()))
            .collect();
        let values: Vec<Option<f32>> = results.iter().map(|r| r.map(|(v, _)| v)).collect();
        let envelope = light_envelope(
            &below_sheen(&values, MAX_LIGHT_OVER_MEDIAN),
            grid_w,
            grid_h,
            MAX_LIGHT_STEP,
        );
        for (r, floor) in results.iter_mut().zip(&envelope) {
            // Values at or below 1e-9 (black) count as that, as in the envelope itself.
            if r.is_some_and(|(v, _)| v.max(1e-9) < *floor) {
                *r = None;
            }
        }
        let values: Vec<Option<f32>> = results.iter().map(|r| r.map(|(v, _)| v)).collect();
        let values = fill_missing(&values, grid_w, grid_h);
        let tails = results
            .iter()
            .zip(&values)
            .map(|(r, v)| r.map_or(*v, |(_, tail)| tail))
            .collect();
        (values, tails)
    }

    /// Replaces blocks that are local extremes — more than [`OUTLIER_RELATIVE`] below the darkest
    /// or above the brightest of their 8 neighbours — by their neighbours' median: one block
    /// covered by a large blown-out dot or a tuft of hair (too dark), or a specular highlight
    /// (too bright), must not bend the field. A block that lies between its neighbours is never
    /// touched, so lighting gradients of any steepness survive exactly. A dark extreme is replaced
    /// only if its own bright tail (`tails`, per block) says it holds pigment: a corner block of a
    /// vignetted photo is darker than all its neighbours too, but it is skin throughout.
    fn smooth(&mut self, tails: &[f32]) {
        let (gw, gh) = self.grid();
        let source = self.values.clone();
        for by in 0..gh {
            for bx in 0..gw {
                let i = by * gw + bx;
                let mut neighbours: Vec<f32> = blocks_around(i, gw, gh, 1)
                    .filter(|&j| j != i)
                    .map(|j| source[j])
                    .collect();
                if neighbours.len() < 3 {
                    continue;
                }
                let lowest = neighbours.iter().copied().fold(f32::INFINITY, f32::min);
                let highest = neighbours.iter().copied().fold(0.0, f32::max);
                // Inside the photo a block darker than all around it is pigment (light does not
                // dip into a pit); on its edge, light falling towards that edge does the same,
                // and only the block's own pixels can tell.
                let on_edge = bx == 0 || by == 0 || bx == gw - 1 || by == gh - 1;
                let holds_pigment = !on_edge || tails[i] > source[i] * PIGMENT_TAIL_RATIO;
                let value = &mut self.values[i];
                if (*value < lowest * (1.0 - OUTLIER_RELATIVE) && holds_pigment)
                    || *value > highest * (1.0 + OUTLIER_RELATIVE)
                {
                    *value = quantile(&mut neighbours, 0.5);
                }
            }
        }
    }

    /// Blocks across and down (the cells of the column and row axes).
    #[inline]
    pub(crate) fn grid(&self) -> (usize, usize) {
        (self.columns.cells(), self.rows.cells())
    }

    /// Skin luminance at pixel (`x`, `y`), bilinear between block centres and extrapolated
    /// linearly beyond the outermost centres (linear light, 0..1); in a block on a tone edge,
    /// the level that follows it ([`SkinField::following_edges`]).
    pub fn at(&self, x: usize, y: usize) -> f32 {
        let mut value = [self.interpolate(self.columns.locate(x), self.rows.locate(y))];
        self.detail_into(y, x, &mut value);
        value[0]
    }

    /// [`BlockAxis::locate`] of every pixel row (one entry per y).
    fn row_table(&self) -> Vec<(usize, f32)> {
        (0..self.height).map(|y| self.rows.locate(y)).collect()
    }

    /// The field at the pixel whose column and row lie at `(gx, wx)` and `(gy, wy)` along
    /// their axes (see [`BlockAxis::locate`]).
    #[inline]
    fn interpolate(&self, (gx, wx): (usize, f32), (gy, wy): (usize, f32)) -> f32 {
        let (grid_w, grid_h) = self.grid();
        let v = |i: usize, j: usize| self.values[j * grid_w + i];
        let gx1 = (gx + 1).min(grid_w - 1);
        let gy1 = (gy + 1).min(grid_h - 1);
        let corners = [v(gx, gy), v(gx1, gy), v(gx, gy1), v(gx1, gy1)];
        blend(corners, wx, wy, corner_floor(corners))
    }

    /// The field along one row (whose [`BlockAxis::locate`] is `(gy, wy)`) at columns
    /// `from..from + out.len()`, into `out`: the values of [`SkinField::at`], bit for bit, a run
    /// of columns between two block centres at a time (`columns` is [`AxisWeights::new`] of
    /// this field's column axis).
    fn row_into(
        &self,
        columns: &AxisWeights,
        (gy, wy): (usize, f32),
        from: usize,
        out: &mut [f32],
    ) {
        let (grid_w, grid_h) = self.grid();
        let gy1 = (gy + 1).min(grid_h - 1);
        let upper = &self.values[gy * grid_w..(gy + 1) * grid_w];
        let lower = &self.values[gy1 * grid_w..(gy1 + 1) * grid_w];
        for (gx, start, end) in columns.runs_within(from, from + out.len()) {
            let gx1 = (gx + 1).min(grid_w - 1);
            let corners = [upper[gx], upper[gx1], lower[gx], lower[gx1]];
            let floor = corner_floor(corners);
            let weights = &columns.weights[start..end];
            for (o, &wx) in out[start - from..end - from].iter_mut().zip(weights) {
                *o = blend(corners, wx, wy, floor);
            }
        }
    }

    /// Every block's columns and rows (half-open spans, px) and skin luminance (linear, 0..1),
    /// row-major.
    pub fn blocks(&self) -> impl Iterator<Item = ((usize, usize), (usize, usize), f32)> + '_ {
        let grid_w = self.columns.cells();
        self.values
            .iter()
            .enumerate()
            .map(move |(i, &v)| (self.columns.span(i % grid_w), self.rows.span(i / grid_w), v))
    }

    /// The median skin luminance over all blocks (linear, 0..1).
    pub fn median(&self) -> f32 {
        self.quantile(0.5)
    }

    /// The `q` quantile (0..1) of the blocks' skin luminance (linear, 0..1).
    pub fn quantile(&self, q: f32) -> f32 {
        let mut v = self.values.clone();
        quantile(&mut v, q)
    }
}

/// Columns `x0..x1` of row `row` of `y`: borrowed when stored, else written into `buffer`.
fn span_of<'s>(
    y: &'s impl Rows,
    row: usize,
    (x0, x1): (usize, usize),
    buffer: &'s mut Vec<f32>,
) -> &'s [f32] {
    match y.stored() {
        Some(plane) => &plane.row(row)[x0..x1],
        None => {
            buffer.resize(x1 - x0, 0.0);
            y.span_into(row, x0, buffer);
            buffer
        }
    }
}

/// The rows a block spanning rows `y0..y1` and `width` columns reads its statistics from:
/// [`sampled_rows`] keeping [`BLOCK_SAMPLES`] pixels and [`MIN_BLOCK_ROWS`] rows.
fn block_rows(y0: usize, y1: usize, width: usize) -> StepBy<Range<usize>> {
    sampled_rows(y0..y1, width, BLOCK_SAMPLES, MIN_BLOCK_ROWS)
}

/// The bilinear blend at weights `wx`, `wy` (see [`BlockAxis::locate`]) of the four block values
/// around a pixel, `[a, b, c, d]` (a, b the upper centres, c, d the lower; b, d to the right),
/// never below `floor` (see [`corner_floor`]).
#[inline]
fn blend([a, b, c, d]: [f32; 4], wx: f32, wy: f32, floor: f32) -> f32 {
    let top = a * (1.0 - wx) + b * wx;
    let bottom = c * (1.0 - wx) + d * wx;
    (top * (1.0 - wy) + bottom * wy).max(floor)
}

/// The lowest the field may go between four block values: a quarter of the lowest.
/// Extrapolation over half a block beyond the outer centres cannot go far, but must never reach
/// zero; taken from all four corners, it is the same for a turned or flipped photo.
#[inline]
fn corner_floor([a, b, c, d]: [f32; 4]) -> f32 {
    0.25 * a.min(b).min(c).min(d)
}

mod darkness;
mod edges;
mod level;
pub use darkness::{darkness_at, SkinLookup};
use edges::EdgeDetail;
pub use edges::EDGE_CLOSING_DIAMETERS;
use level::skin_of_block;
pub use level::{
    FIRST_PASS_NOISE_SIGMAS, MAX_SKIN_LEVEL_DROP, MIN_SKIN_NOISE_SAMPLES, NOISY_SKIN_NOISE,
    SKIN_LEVEL_SAMPLES,
};

#[cfg(test)]
mod tests;

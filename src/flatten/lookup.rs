//! The skin field read along spans of its rows, without a stored plane (the darkness's rows,
//! per-dot sampling), and the one formula of the darkness D = 1 − Y / S.

use super::SkinField;
use crate::grid::AxisWeights;

/// The darkness of a pixel of luminance `y` where the skin field is `skin` (both linear, 0..1):
/// 1 − Y / S, the one formula of every darkness (S floored at 10⁻⁶).
#[inline(always)]
pub fn darkness_at(y: f32, skin: f32) -> f32 {
    1.0 - y / skin.max(1e-6)
}

/// A [`SkinField`] prepared for reading runs of its rows (see [`SkinField::lookup`]).
pub struct SkinLookup<'a> {
    field: &'a SkinField,
    columns: AxisWeights,
    rows: Vec<(usize, f32)>,
}

impl SkinField {
    /// This field prepared for reading along rows: [`SkinLookup::span_into`].
    pub fn lookup(&self) -> SkinLookup<'_> {
        SkinLookup {
            field: self,
            columns: AxisWeights::new(&self.columns),
            rows: self.row_table(),
        }
    }
}

impl SkinLookup<'_> {
    /// The skin field along row `row` at columns `from..from + out.len()` (px), into `out`
    /// (linear, 0..1): the values of [`SkinField::at`], bit for bit.
    pub fn span_into(&self, row: usize, from: usize, out: &mut [f32]) {
        self.field
            .row_into(&self.columns, self.rows[row], from, out);
    }

    /// The skin field at pixel (`x`, `y`) (linear, 0..1): [`SkinField::at`].
    pub fn at(&self, x: usize, y: usize) -> f32 {
        let mut value = [0f32];
        self.span_into(y, x, &mut value);
        value[0]
    }
}

//! The darkness D = 1 − Y / S from a skin field: its one formula, the plane, its rows (of a
//! stored luminance, or of one computed again as it is read), and the field itself read along
//! spans of its rows without a stored plane.

use rayon::prelude::*;

use super::{span_of, SkinField};
use crate::grid::AxisWeights;
use crate::plane::{Plane, Rows};

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

    /// The darkness plane D = 1 − Y / S for luminance `y` (the plane this field was estimated
    /// from): 0 on skin, the pigment's darkness on a dot; negative where a pixel is brighter than
    /// the local skin.
    pub fn darkness(&self, y: &Plane) -> Plane {
        let mut out = Plane::default();
        self.darkness_into(y, &mut out);
        out
    }

    /// [`SkinField::darkness`] of the luminance `y` (stored or not) into `out`, whose buffer
    /// is reused (a plane no longer needed: a fresh full-size allocation is slow to fault in).
    pub fn darkness_into(&self, y: &impl Rows, out: &mut Plane) {
        let (width, height) = y.size();
        (out.width, out.height) = (width, height);
        // Every value is overwritten below: only grow, never clear, a reused buffer.
        out.data.resize(width * height, 0.0);
        let darkness_row = self.darkness_rows(y);
        out.data
            .par_chunks_mut(width.max(1))
            .enumerate()
            .for_each(|(row, out_row)| darkness_row(row, out_row));
    }

    /// Row by row, the values of [`SkinField::darkness`] of the luminance `y` (stored, or
    /// computed again as it is read): `darkness_row(y, out)` writes row `y` of D into `out`
    /// (one value per column), for a stage that needs D only once, row by row (a blur of it:
    /// see [`crate::plane::gaussian_blur_rows_of`]), or after the plane of D is gone.
    pub fn darkness_rows<'a>(&'a self, y: &'a impl Rows) -> impl Fn(usize, &mut [f32]) + Sync + 'a {
        let lookup = self.lookup();
        move |row, out| {
            lookup.with_row_and_luminance(y, row, out, |out, luminance| {
                for (o, v) in out.iter_mut().zip(luminance) {
                    *o = darkness_at(*v, *o);
                }
            })
        }
    }

    /// Row by row, the darkness of the luminance `y` written over its denoised copy
    /// ([`SkinField::calm`] of `y`), for a stage that needs both once: `over_calm(row, values,
    /// calm_darkness)` takes row `row` of the copy in `values`, writes the darkness of that
    /// copy into `calm_darkness` and then row `row` of D (the values of
    /// [`SkinField::darkness_rows`], bit for bit) over it in `values`. The skin field is read
    /// once for both.
    pub fn darkness_rows_over_calm<'a>(
        &'a self,
        y: &'a impl Rows,
    ) -> impl Fn(usize, &mut [f32], &mut [f32]) + Sync + 'a {
        let lookup = self.lookup();
        move |row, values, calm_darkness| {
            debug_assert_eq!(values.len(), calm_darkness.len());
            lookup.with_row_and_luminance(y, row, calm_darkness, |skin, luminance| {
                for ((v, c), l) in values.iter_mut().zip(skin.iter_mut()).zip(luminance) {
                    let skin = *c;
                    *c = darkness_at(*v, skin);
                    *v = darkness_at(*l, skin);
                }
            })
        }
    }
}

thread_local! {
    /// A row of a luminance that is not stored, for [`SkinField::darkness_rows`]: one per
    /// thread, so that no row allocates.
    static LUMINANCE_ROW: std::cell::RefCell<Vec<f32>> = const {
        std::cell::RefCell::new(Vec::new())
    };
}

impl SkinLookup<'_> {
    /// Writes row `row` of the skin field into `skin` (all its columns from 0), then calls
    /// `each(skin, luminance)` with row `row` of the luminance `y` (stored, or computed into a
    /// row of the thread's own): the one way the darkness's rows read both.
    fn with_row_and_luminance(
        &self,
        y: &impl Rows,
        row: usize,
        skin: &mut [f32],
        each: impl FnOnce(&mut [f32], &[f32]),
    ) {
        self.span_into(row, 0, skin);
        LUMINANCE_ROW.with_borrow_mut(|buffer| {
            let luminance = span_of(y, row, (0, skin.len()), buffer);
            each(skin, luminance);
        })
    }

    /// The skin field along row `row` at columns `from..from + out.len()` (px), into `out`
    /// (linear, 0..1): the values of [`SkinField::at`], bit for bit.
    pub fn span_into(&self, row: usize, from: usize, out: &mut [f32]) {
        self.field
            .row_into(&self.columns, self.rows[row], from, out);
        self.field.detail_into(row, from, out);
    }

    /// The skin field at pixel (`x`, `y`) (linear, 0..1): [`SkinField::at`].
    pub fn at(&self, x: usize, y: usize) -> f32 {
        let mut value = [0f32];
        self.span_into(y, x, &mut value);
        value[0]
    }
}

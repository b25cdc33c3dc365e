//! The blur's two passes over rows held in memory: the weighted sums of a kernel's taps over
//! blocks of pixels (vectorised, the same values on any CPU), the horizontal pass over a span
//! of a row's columns, and the vertical pass over a window of rows, a column tile at a time.

/// Consecutive rows of a plane, held apart from it: rows `top..` of a plane `height` rows high,
/// `width` values each, in `rows` (a strip's horizontally blurred rows, or a strip of a
/// blurred plane with the rows around it; see [`crate::plane::Plane::gaussian_blur_strips`]).
pub struct RowWindow<'a> {
    /// The rows, `width` values each, the first being plane row `top`.
    pub rows: &'a [f32],
    /// Values per row (px).
    pub width: usize,
    /// The plane row of the first row held.
    pub top: usize,
    /// The plane's height (rows): source rows are clamped to it.
    pub height: usize,
}

impl RowWindow<'_> {
    /// Plane row `y` (`width` values), which must be held.
    #[inline]
    pub fn row(&self, y: usize) -> &[f32] {
        let start = (y - self.top) * self.width;
        &self.rows[start..start + self.width]
    }

    /// The value at plane pixel (`x`, `y`), whose row must be held.
    #[inline]
    pub fn get(&self, x: usize, y: usize) -> f32 {
        self.rows[(y - self.top) * self.width + x]
    }

    /// The plane rows held.
    pub fn rows_held(&self) -> std::ops::Range<usize> {
        self.top..self.top + self.rows.len() / self.width.max(1)
    }

    /// The vertical pass into `out` (`width` values per row): output row `r` is the blur at
    /// plane row `y_of(r)`, its source rows clamped to the plane, which must lie in these rows.
    /// A column tile at a time: the tile's `2·radius + 1` source rows stay in the core's own
    /// cache from one output row to the next. Whole rows at a time (1.2 MB of source rows for
    /// the widest blob scale of a 24 MP photo) spilled to the shared cache for every output
    /// row, and that, more than arithmetic, bound the blur (the same values: each pixel's sum
    /// is taken alone, from 0, in kernel order).
    pub(in crate::plane) fn vertical_pass(
        &self,
        kernel: &[f32],
        out: &mut [f32],
        y_of: impl Fn(usize) -> usize,
    ) {
        let w = self.width;
        for x0 in (0..w).step_by(VERTICAL_TILE) {
            let x1 = (x0 + VERTICAL_TILE).min(w);
            self.vertical_pass_of_columns(kernel, x0..x1, out, (w, x0), &y_of);
        }
    }

    /// The vertical pass of these rows' columns `columns` into as many columns of `out` from
    /// `out_x0`, whose rows are `out_width` values long: output row `r` is the blur at plane row
    /// `y_of(r)`, its source rows clamped to the plane, which must lie in these rows. The values
    /// [`RowWindow::vertical_pass`] gives those columns.
    pub(in crate::plane::blur) fn vertical_pass_of_columns(
        &self,
        kernel: &[f32],
        columns: std::ops::Range<usize>,
        out: &mut [f32],
        (out_width, out_x0): (usize, usize),
        y_of: impl Fn(usize) -> usize,
    ) {
        let (w, radius) = (self.width, kernel.len() / 2);
        let out_columns = out_x0..out_x0 + columns.len();
        for (r, row) in out.chunks_exact_mut(out_width).enumerate() {
            let y = y_of(r);
            weighted_sum(&mut row[out_columns.clone()], kernel, |k| {
                let sy = (y + k).saturating_sub(radius).min(self.height - 1) - self.top;
                &self.rows[sy * w + columns.start..sy * w + columns.end]
            });
        }
    }
}

/// The horizontal pass of a blur of `row` at its columns `columns` into `out` (a value per
/// column), edges clamped: the interior read from the row in place, only the columns within
/// `radius` of an end through a short padded copy in `scratch` (copying every row of a stored
/// plane into a padded buffer first was a memory copy of the whole plane per blur); a row
/// narrower than the kernel (under `kernel.len() − 1` px) is padded whole, in `scratch`. Each
/// pixel's sum is taken alone, in kernel order: the same values over any span of columns, bit
/// for bit.
pub(in crate::plane::blur) fn horizontal_span(
    row: &[f32],
    kernel: &[f32],
    scratch: &mut Vec<f32>,
    columns: std::ops::Range<usize>,
    out: &mut [f32],
) {
    let (w, r) = (row.len(), kernel.len() / 2);
    debug_assert!(out.len() == columns.len() && columns.end <= w);
    if w < 2 * r {
        // padded[j] = row[j − r] clamped, for j in 0..w + 2r.
        scratch.clear();
        scratch.extend(std::iter::repeat_n(row[0], r));
        scratch.extend_from_slice(row);
        scratch.extend(std::iter::repeat_n(row[w - 1], r));
        let (first, n) = (columns.start, columns.len());
        weighted_sum(out, kernel, |k| &scratch[first + k..first + k + n]);
        return;
    }
    let at = |xs: &std::ops::Range<usize>| xs.start - columns.start..xs.end - columns.start;
    // The interior, read from the row in place: out[x] = Σₖ kernel[k] · row[x − r + k].
    let inner = columns.start.max(r)..columns.end.min(w - r);
    if inner.start < inner.end {
        let n = inner.len();
        weighted_sum(&mut out[at(&inner)], kernel, |k| {
            &row[inner.start - r + k..inner.start - r + k + n]
        });
    }
    // The first r columns, through r copies of the first pixel, then row[0..2r].
    let left = columns.start..columns.end.min(r);
    if left.start < left.end {
        scratch.clear();
        scratch.extend(std::iter::repeat_n(row[0], r));
        scratch.extend_from_slice(&row[..2 * r]);
        let n = left.len();
        weighted_sum(&mut out[at(&left)], kernel, |k| {
            &scratch[left.start + k..left.start + k + n]
        });
    }
    // The last r columns, through row[w − 2r..w], then r copies of the last pixel.
    let right = columns.start.max(w - r)..columns.end;
    if right.start < right.end {
        scratch.clear();
        scratch.extend_from_slice(&row[w - 2 * r..]);
        scratch.extend(std::iter::repeat_n(row[w - 1], r));
        let (first, n) = (right.start - (w - r), right.len());
        weighted_sum(&mut out[at(&right)], kernel, |k| {
            &scratch[first + k..first + k + n]
        });
    }
}

/// Columns per tile of a blur's vertical pass: its source rows (up to 49 for the widest blob
/// scale at 25 px/mm, 4 KB each) fit a core's private cache. A strip's blur (see
/// [`super::StripBuffers::blur_in_tiles`]) makes its horizontal pass a tile at a time too.
pub(super) const VERTICAL_TILE: usize = 1024;
/// Output rows per band of a blur's vertical pass: the band's blurred rows are buffered per
/// thread (1.5 MB for a 6000 px wide photo).
pub(super) const VERTICAL_BAND_ROWS: usize = 64;

/// Pixels per block of [`weighted_sum`] on the x86-64 baseline (SSE2: eight 4-lane registers of
/// sums, half the sixteen it has).
pub(super) const LANES: usize = 32;
/// Pixels per block of [`weighted_sum`] with AVX2: eight 8-lane registers of sums. Each
/// register's sums are a chain of dependent additions; with four registers (32 lanes) the
/// adders waited on their own latency, and the blob scales' five blurs of a 24 MP plane took
/// 30% longer (criterion `blob_blurs/whole`, 2 threads: 249 against 190 ms). (AVX-512 with
/// 128 lanes was no faster on an AVX-512 EPYC, which splits each 16-lane operation in two.)
pub(super) const AVX2_LANES: usize = 64;

/// `out[x] = Σₖ kernel[k] · source(k)[x]`, each sum taken from 0 in kernel order (the order of
/// the textbook loop: bit-identical to it), over blocks of pixels whose sums stay in registers
/// across the taps, so the compiler vectorises across pixels (a per-pixel dot product is one
/// dependent chain of additions, which it may not reorder). `source(k)` must be at least as
/// long as `out`.
///
/// Compiled twice and chosen at run time: for CPUs with AVX2 ([`AVX2_LANES`] per block), and
/// for the rest ([`LANES`]); the pixels left over take narrower blocks, then one at a time.
/// Both versions add and multiply separately in the same order (Rust never fuses them into FMA
/// on its own), so every value is the same on any CPU.
#[multiversion::multiversion(targets("x86_64+avx2"))]
pub(in crate::plane) fn weighted_sum<'a>(
    out: &mut [f32],
    kernel: &[f32],
    source: impl Fn(usize) -> &'a [f32],
) {
    use multiversion::target::selected_target;
    let wide = selected_target!().supports_feature_str("avx2");
    weighted_sum_chain(out, kernel, &source, wide);
}

/// The body of [`weighted_sum`]: blocks of [`AVX2_LANES`] pixels first when `wide`, then of
/// [`LANES`], then of 8, then single pixels. Inlined into each compiled version of its caller,
/// where `wide` is a constant; tested with both values on any CPU.
#[inline(always)]
pub(super) fn weighted_sum_chain<'a>(
    out: &mut [f32],
    kernel: &[f32],
    source: &impl Fn(usize) -> &'a [f32],
    wide: bool,
) {
    let done = if wide {
        weighted_sum_blocks::<AVX2_LANES>(out, kernel, source, 0)
    } else {
        0
    };
    let done = weighted_sum_blocks::<LANES>(out, kernel, source, done);
    let done = weighted_sum_blocks::<8>(out, kernel, source, done);
    for (x, o) in out.iter_mut().enumerate().skip(done) {
        let mut acc = 0f32;
        for (k, &weight) in kernel.iter().enumerate() {
            acc += weight * source(k)[x];
        }
        *o = acc;
    }
}

/// The sums of [`weighted_sum`] for whole blocks of `L` pixels of `out` from pixel `start`;
/// returns the first pixel not summed. Inlined into each compiled version of its caller.
#[inline(always)]
pub(super) fn weighted_sum_blocks<'a, const L: usize>(
    out: &mut [f32],
    kernel: &[f32],
    source: &impl Fn(usize) -> &'a [f32],
    start: usize,
) -> usize {
    let blocks = (out.len() - start) / L;
    for (c, block) in out[start..start + blocks * L]
        .chunks_exact_mut(L)
        .enumerate()
    {
        let x0 = start + c * L;
        let mut acc = [0f32; L];
        for (k, &weight) in kernel.iter().enumerate() {
            let src = &source(k)[x0..x0 + L];
            for (a, v) in acc.iter_mut().zip(src) {
                *a += weight * v;
            }
        }
        block.copy_from_slice(&acc);
    }
    start + blocks * L
}

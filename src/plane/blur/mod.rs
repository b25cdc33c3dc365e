//! Separable Gaussian blurs of a [`Plane`], row-parallel (see the parent module).

use std::sync::Mutex;

use rayon::prelude::*;

use super::Plane;

impl Plane {
    /// Gaussian blur with standard deviation `sigma` (px), edges clamped. Returns a new plane.
    /// `sigma ≤ 0` returns a copy.
    pub fn gaussian_blur(&self, sigma: f32) -> Plane {
        let mut out = Plane {
            width: self.width,
            height: self.height,
            data: Vec::new(),
        };
        self.gaussian_blur_into(sigma, &mut out);
        out
    }

    /// [`Plane::gaussian_blur`] into `out`, reusing its allocation (resized to this plane's
    /// size): the same values, bit for bit.
    pub fn gaussian_blur_into(&self, sigma: f32, out: &mut Plane) {
        (out.width, out.height) = (self.width, self.height);
        // Every value is overwritten below: only grow, never clear, a reused buffer.
        out.data.resize(self.data.len(), 0.0);
        blur_rows(
            RowSource::Stored(self),
            sigma,
            &mut out.data,
            |_, blurred, row| row.copy_from_slice(blurred),
        );
    }

    /// Blurs as [`Plane::gaussian_blur`] does, without keeping the blurred plane: each blurred
    /// row `y` is handed to `per_row(y, blurred_row, out_row)` with the matching row of `out`
    /// (`width` items per row, rows in parallel). For a per-pixel result (a mask, say) that needs
    /// the blurred values only once: a 4 B/px plane less at the peak of memory.
    pub fn gaussian_blur_rows<T: Send>(
        &self,
        sigma: f32,
        out: &mut [T],
        per_row: impl Fn(usize, &[f32], &mut [T]) + Sync,
    ) {
        blur_rows(RowSource::Stored(self), sigma, out, per_row);
    }

    /// All of this plane's rows, as a [`RowWindow`].
    pub fn window(&self) -> RowWindow<'_> {
        RowWindow {
            rows: &self.data,
            width: self.width,
            top: 0,
            height: self.height,
        }
    }

    /// [`Plane::gaussian_blur`] at single pixels, for a few pixels without blurring the whole
    /// plane: [`PointBlur::at`] gives the same value, bit for bit.
    pub fn point_blur(&self, sigma: f32) -> PointBlur<'_> {
        let kernel = if sigma <= 0.0 || self.width == 0 || self.height == 0 {
            vec![1.0]
        } else {
            gaussian_kernel(sigma.min(self.width.max(self.height) as f32))
        };
        PointBlur {
            plane: self,
            kernel,
        }
    }
}

/// [`Plane::gaussian_blur_into`] of the `width` × `height` plane whose row `y` is written by
/// `source(y, row)` (see [`gaussian_blur_rows_of`]): the plane is never stored unblurred.
pub fn gaussian_blur_of_into(
    (width, height): (usize, usize),
    source: impl Fn(usize, &mut [f32]) + Sync,
    sigma: f32,
    out: &mut Plane,
) {
    out.width = width;
    out.height = height;
    // Every value is overwritten below: only grow, never clear, a reused buffer.
    out.data.resize(width * height, 0.0);
    gaussian_blur_rows_of(
        (width, height),
        source,
        sigma,
        &mut out.data,
        |_, blurred, row| row.copy_from_slice(blurred),
    );
}

/// [`Plane::gaussian_blur_rows`] of the `width` × `height` plane whose row `y` is written by
/// `source(y, row)` (`width` values), which is called for each row as the blur needs it (rows
/// near strip edges more than once): a plane computed pixel by pixel (a darkness, say) is
/// blurred without ever being stored whole. The same values, bit for bit, as blurring the stored
/// plane.
pub fn gaussian_blur_rows_of<T: Send>(
    size: (usize, usize),
    source: impl Fn(usize, &mut [f32]) + Sync,
    sigma: f32,
    out: &mut [T],
    per_row: impl Fn(usize, &[f32], &mut [T]) + Sync,
) {
    blur_rows(RowSource::Computed(size, &source), sigma, out, per_row);
}

/// Fewest output rows per strip of a blur of a stored plane (see `blur_rows`).
const MIN_STRIP_ROWS: usize = 32;
/// Fewest output rows per strip of a blur of a computed plane (see `blur_rows`).
const MIN_COMPUTED_STRIP_ROWS: usize = 64;

/// Where a blur's rows come from: a stored plane, read in place, or a `width` × `height` plane
/// whose row `y` a function writes into the buffer it is given (never stored whole).
#[derive(Clone, Copy)]
pub enum RowSource<'a> {
    /// A stored plane.
    Stored(&'a Plane),
    /// The (width, height) in px, and the function writing row `y` into `row`.
    Computed((usize, usize), &'a (dyn Fn(usize, &mut [f32]) + Sync)),
}

impl RowSource<'_> {
    /// The plane's (width, height) in px.
    pub fn size(self) -> (usize, usize) {
        match self {
            RowSource::Stored(plane) => (plane.width, plane.height),
            RowSource::Computed(size, _) => size,
        }
    }

    /// [`Plane::gaussian_blur_rows`] of these rows at σ = `sigma` px: the same values, bit for
    /// bit, from either kind of source.
    pub fn gaussian_blur_rows<T: Send>(
        self,
        sigma: f32,
        out: &mut [T],
        per_row: impl Fn(usize, &[f32], &mut [T]) + Sync,
    ) {
        blur_rows(self, sigma, out, per_row);
    }
}

/// The blur of [`gaussian_blur_rows_of`], from either kind of [`RowSource`].
fn blur_rows<T: Send>(
    source: RowSource,
    sigma: f32,
    out: &mut [T],
    per_row: impl Fn(usize, &[f32], &mut [T]) + Sync,
) {
    let (width, height) = source.size();
    let stored = match source {
        RowSource::Stored(plane) => Some(plane),
        RowSource::Computed(..) => None,
    };
    let source = |y: usize, row: &mut [f32]| match source {
        RowSource::Stored(plane) => row.copy_from_slice(plane.row(y)),
        RowSource::Computed(_, write) => write(y, row),
    };
    let (w, h) = (width, height);
    assert_eq!(out.len(), w * h, "one output item per pixel");
    if w == 0 || h == 0 {
        return;
    }
    if sigma <= 0.0 {
        out.par_chunks_mut(w).enumerate().for_each_init(
            || vec![0f32; w],
            |source_row, (y, row)| {
                source(y, source_row);
                per_row(y, source_row, row)
            },
        );
        return;
    }
    let kernel = plane_kernel(sigma, (w, h));
    let radius = kernel.len() / 2;
    // Separable, in strips of output rows, one strip per task: each task runs the
    // horizontal pass over its strip's rows plus `radius` rows either side into a
    // thread-local buffer, then the vertical pass from it. No full-size intermediate plane
    // (it cost a 4 B/px allocation and its page faults per blur); the few recomputed rows
    // at strip edges give the same values as the whole-plane pass, so results are
    // bit-identical at any thread count.
    // A computed source's rows cost more to write than a stored one's to read, and each strip
    // writes `2 · radius` of them twice: its strips are taller (a third fewer rows written
    // again; taller still gained nothing).
    let shortest = if stored.is_some() {
        MIN_STRIP_ROWS
    } else {
        MIN_COMPUTED_STRIP_ROWS
    };
    let strip = (8 * radius).max(shortest).min(h.div_ceil(4).max(1));
    let thread_buffers = ThreadStripBuffers::new(w, radius);
    out.par_chunks_mut(strip * w)
        .enumerate()
        .for_each(|(s, out_strip)| {
            thread_buffers.with(|buffers| {
                let y0 = s * strip;
                let rows = out_strip.len() / w;
                let top = y0.saturating_sub(radius);
                let bottom = (y0 + rows + radius).min(h);
                buffers.horizontal_pass(stored, &source, &kernel, (w, top..bottom));
                let StripBuffers {
                    horizontal,
                    blurred,
                    ..
                } = buffers;
                // The vertical pass over a band of output rows at a time, into a buffer handed to
                // `per_row`.
                for (band, out_band) in out_strip.chunks_mut(VERTICAL_BAND_ROWS * w).enumerate() {
                    let band_y0 = y0 + band * VERTICAL_BAND_ROWS;
                    blurred.resize(out_band.len(), 0.0);
                    let band = RowWindow {
                        rows: horizontal,
                        width: w,
                        top,
                        height: h,
                    };
                    band.vertical_pass(&kernel, blurred, |dy| band_y0 + dy);
                    for (dy, out_row) in out_band.chunks_mut(w).enumerate() {
                        per_row(band_y0 + dy, &blurred[dy * w..(dy + 1) * w], out_row);
                    }
                }
            })
        });
}

/// Each worker thread's [`StripBuffers`] for one blur, lent to every strip the thread runs and
/// freed with the blur: a blur allocates (and the system faults in) its largest buffers once
/// per thread, not once per rayon task. (Kept from blur to blur instead, they held the largest
/// blur's strips at every stage's peak of memory.)
struct ThreadStripBuffers {
    slots: Vec<Mutex<Option<StripBuffers>>>,
    width: usize,
    radius: usize,
}

impl ThreadStripBuffers {
    /// No buffers yet, for rows of `width` px and a kernel of `radius`.
    fn new(width: usize, radius: usize) -> Self {
        ThreadStripBuffers {
            slots: (0..rayon::current_num_threads())
                .map(|_| Mutex::new(None))
                .collect(),
            width,
            radius,
        }
    }

    /// `f` with the calling thread's buffers; with fresh ones off the pool, or where the
    /// thread's are in use (a strip run while the thread waits inside another strip's work).
    fn with<R>(&self, f: impl FnOnce(&mut StripBuffers) -> R) -> R {
        let new = || StripBuffers::new(self.width, self.radius);
        let slot = rayon::current_thread_index()
            .and_then(|i| self.slots.get(i))
            .and_then(|slot| slot.try_lock().ok());
        match slot {
            Some(mut buffers) => f(buffers.get_or_insert_with(new)),
            None => f(&mut new()),
        }
    }
}

/// A thread's buffers for the strips of a blur, reused from strip to strip.
struct StripBuffers {
    /// A source row with its edge pixels replicated `radius` times either side.
    padded: Vec<f32>,
    /// The strip's horizontally blurred rows (of a whole row's width, or of a column tile's:
    /// see [`StripBuffers::blur_in_tiles`]).
    horizontal: Vec<f32>,
    /// Blurred output rows.
    blurred: Vec<f32>,
    /// The short padded copies at a stored row's ends (see [`horizontal_pass`]).
    edges: Vec<f32>,
}

impl StripBuffers {
    /// Empty buffers for rows of `width` px and a kernel of `radius`. (The small edge buffer
    /// is allocated here at its full size, never grown: grown later, it lands above the strip
    /// buffers in the thread's heap and kept ≈ 50 MB of them from being returned, which raised
    /// a 24 MP photo's peak memory by as much.)
    fn new(width: usize, radius: usize) -> Self {
        StripBuffers {
            padded: vec![0f32; width + 2 * radius],
            horizontal: Vec::new(),
            blurred: Vec::new(),
            edges: Vec::with_capacity(3 * radius),
        }
    }

    /// The horizontal pass with `kernel` of source rows `rows` (each `width` px, from the
    /// `stored` plane when there is one, else written by `source`) into `self.horizontal`.
    fn horizontal_pass(
        &mut self,
        stored: Option<&Plane>,
        source: &impl Fn(usize, &mut [f32]),
        kernel: &[f32],
        (w, rows): (usize, std::ops::Range<usize>),
    ) {
        let radius = kernel.len() / 2;
        let (padded, edges) = (&mut self.padded, &mut self.edges);
        self.horizontal.resize(rows.len() * w, 0.0);
        for (sy, out) in rows.zip(self.horizontal.chunks_exact_mut(w)) {
            if let Some(plane) = stored.filter(|_| w >= 2 * radius) {
                horizontal_pass(plane.row(sy), kernel, edges, out);
                continue;
            }
            // Each row is first written into a buffer padded by its replicated edge
            // pixels (the same values as clamping each index); see `weighted_sum` for
            // why the taps are not a per-pixel dot product.
            source(sy, &mut padded[radius..radius + w]);
            let (first, last) = (padded[radius], padded[radius + w - 1]);
            padded[..radius].fill(first);
            padded[radius + w..].fill(last);
            weighted_sum(out, kernel, |k| &padded[k..k + w]);
        }
    }
}

/// Consecutive rows of a plane, held apart from it: rows `top..` of a plane `height` rows high,
/// `width` values each, in `rows` (a strip's horizontally blurred rows, or a strip of a
/// blurred plane with the rows around it; see [`Plane::gaussian_blur_strips`]).
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
    pub(super) fn vertical_pass(
        &self,
        kernel: &[f32],
        out: &mut [f32],
        y_of: impl Fn(usize) -> usize,
    ) {
        let (w, radius) = (self.width, kernel.len() / 2);
        for x0 in (0..w).step_by(VERTICAL_TILE) {
            let x1 = (x0 + VERTICAL_TILE).min(w);
            for (r, row) in out.chunks_exact_mut(w).enumerate() {
                let y = y_of(r);
                weighted_sum(&mut row[x0..x1], kernel, |k| {
                    let sy = (y + k).saturating_sub(radius).min(self.height - 1) - self.top;
                    &self.rows[sy * w + x0..sy * w + x1]
                });
            }
        }
    }
}

/// The horizontal pass of a blur of `row` (at least `kernel.len() − 1` px) into `out`, edges
/// clamped: the interior read from the row in place, only the `radius` pixels at each end
/// through a short padded copy in `scratch` (copying every row of a stored plane into a
/// padded buffer first was a memory copy of the whole plane per blur). The same sums as
/// [`weighted_sum`] over the whole padded row, pixel for pixel.
fn horizontal_pass(row: &[f32], kernel: &[f32], scratch: &mut Vec<f32>, out: &mut [f32]) {
    let (w, r) = (row.len(), kernel.len() / 2);
    debug_assert!(w >= 2 * r && out.len() == w);
    // out[x] = Σₖ kernel[k] · padded[x + k], where padded[j] = row[j − r] clamped.
    weighted_sum(&mut out[r..w - r], kernel, |k| &row[k..k + w - 2 * r]);
    // padded[0..3r]: r copies of the first pixel, then row[0..2r].
    scratch.clear();
    scratch.extend(std::iter::repeat_n(row[0], r));
    scratch.extend_from_slice(&row[..2 * r]);
    weighted_sum(&mut out[..r], kernel, |k| &scratch[k..k + r]);
    // padded[w − r..w + 2r]: row[w − 2r..w], then r copies of the last pixel.
    scratch.clear();
    scratch.extend_from_slice(&row[w - 2 * r..]);
    scratch.extend(std::iter::repeat_n(row[w - 1], r));
    weighted_sum(&mut out[w - r..], kernel, |k| &scratch[k..k + r]);
}

/// A Gaussian blur of a plane evaluated pixel by pixel (see [`Plane::point_blur`]).
pub struct PointBlur<'a> {
    plane: &'a Plane,
    kernel: Vec<f32>,
}

impl PointBlur<'_> {
    /// How far (px, along each axis) from a pixel the values its blur reads lie: the kernel's
    /// radius.
    pub fn reach(&self) -> usize {
        self.kernel.len() / 2
    }

    /// The blurred value at (`x`, `y`): each pass summed from 0 in kernel order over clamped
    /// neighbours, exactly as the whole-plane blur sums it.
    pub fn at(&self, x: usize, y: usize) -> f32 {
        let p = self.plane;
        let radius = self.kernel.len() / 2;
        let clamp = |v: usize, size: usize| v.saturating_sub(radius).min(size - 1);
        let horizontal = |sy: usize| {
            let row = p.row(sy);
            let mut acc = 0f32;
            for (k, &weight) in self.kernel.iter().enumerate() {
                acc += weight * row[clamp(x + k, p.width)];
            }
            acc
        };
        let mut acc = 0f32;
        for (k, &weight) in self.kernel.iter().enumerate() {
            acc += weight * horizontal(clamp(y + k, p.height));
        }
        acc
    }
}

/// Columns per tile of a blur's vertical pass: its source rows (up to 49 for the widest blob
/// scale at 25 px/mm, 4 KB each) fit a core's private cache. A strip's blur (see
/// [`StripBuffers::blur_in_tiles`]) makes its horizontal pass a tile at a time too.
const VERTICAL_TILE: usize = 1024;
/// Output rows per band of a blur's vertical pass: the band's blurred rows are buffered per
/// thread (1.5 MB for a 6000 px wide photo).
const VERTICAL_BAND_ROWS: usize = 64;

/// Pixels per block of [`weighted_sum`] on the x86-64 baseline (SSE2: eight 4-lane registers of
/// sums, half the sixteen it has).
const LANES: usize = 32;
/// Pixels per block of [`weighted_sum`] with AVX2: eight 8-lane registers of sums. Each
/// register's sums are a chain of dependent additions; with four registers (32 lanes) the
/// adders waited on their own latency, and the blob scales' five blurs of a 24 MP plane took
/// 30% longer (criterion `blob_blurs/whole`, 2 threads: 249 against 190 ms). (AVX-512 with
/// 128 lanes was no faster on an AVX-512 EPYC, which splits each 16-lane operation in two.)
const AVX2_LANES: usize = 64;

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
pub(super) fn weighted_sum<'a>(
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
fn weighted_sum_chain<'a>(
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
fn weighted_sum_blocks<'a, const L: usize>(
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

/// The kernel of a blur (σ = `sigma` > 0 px) of a `width` × `height` plane: a kernel wider
/// than the plane only repeats its clamped edge, so σ is capped there.
fn plane_kernel(sigma: f32, (width, height): (usize, usize)) -> Vec<f32> {
    gaussian_kernel(sigma.min(width.max(height) as f32))
}

/// Normalised 1-D Gaussian kernel of standard deviation `sigma` (px), radius ⌈3σ⌉.
pub(super) fn gaussian_kernel(sigma: f32) -> Vec<f32> {
    let radius = (3.0 * sigma).ceil().max(1.0) as i32;
    let mut kernel: Vec<f32> = (-radius..=radius)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = kernel.iter().sum();
    kernel.iter_mut().for_each(|k| *k /= sum);
    kernel
}

mod strips;

#[cfg(test)]
mod tests;

//! Separable Gaussian blurs of a [`Plane`], row-parallel (see the parent module).

use std::sync::Mutex;

use rayon::prelude::*;

use super::Plane;

pub(super) use passes::weighted_sum;
pub use passes::RowWindow;
use passes::{horizontal_span, VERTICAL_BAND_ROWS, VERTICAL_TILE};

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
    /// The short padded copies at a stored row's ends (see [`horizontal_span`]).
    edges: Vec<f32>,
}

impl StripBuffers {
    /// Empty buffers for rows of `width` px and a kernel of `radius`. (The small edge buffer
    /// is allocated here at its full size, never grown: grown later, it lands above the strip
    /// buffers in the thread's heap and kept ≈ 50 MB of them from being returned, which raised
    /// a 24 MP photo's peak memory by as much.)
    fn new(width: usize, radius: usize) -> Self {
        // (A row's end and 2·radius beside it; a row narrower than the kernel, whole and padded.)
        let edges = if width < 2 * radius {
            width + 2 * radius
        } else {
            3 * radius
        };
        StripBuffers {
            padded: vec![0f32; width + 2 * radius],
            horizontal: Vec::new(),
            blurred: Vec::new(),
            edges: Vec::with_capacity(edges),
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
            if let Some(plane) = stored {
                horizontal_span(plane.row(sy), kernel, edges, 0..w, out);
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

mod passes;
mod strips;

#[cfg(test)]
mod tests;

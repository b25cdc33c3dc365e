//! A single-channel f32 image and the filters the pipeline runs on it.
//!
//! We keep our own small type rather than `ImageBuffer<Luma<f32>>` because the hot filters
//! (separable Gaussian blur) are written row-parallel with rayon here: imageproc's versions are
//! sequential and allocate per call, which dominates on 12–50 MP photos.

use rayon::prelude::*;

/// A `width` × `height` grid of f32 values, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Plane {
    /// Width (px).
    pub width: usize,
    /// Height (px).
    pub height: usize,
    /// Values, row-major; `data[y * width + x]`.
    pub data: Vec<f32>,
}

impl Plane {
    /// A plane filled with `value`.
    pub fn filled(width: usize, height: usize, value: f32) -> Self {
        Plane {
            width,
            height,
            data: vec![value; width * height],
        }
    }

    /// The value at (`x`, `y`) in px.
    #[inline]
    pub fn get(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.width + x]
    }

    /// Row `y`.
    #[inline]
    pub fn row(&self, y: usize) -> &[f32] {
        &self.data[y * self.width..(y + 1) * self.width]
    }

    /// Gaussian blur with standard deviation `sigma` (px), edges clamped. Returns a new plane.
    /// `sigma ≤ 0` returns a copy.
    pub fn gaussian_blur(&self, sigma: f32) -> Plane {
        if sigma <= 0.0 || self.width == 0 || self.height == 0 {
            return self.clone();
        }
        // A kernel wider than the plane only repeats its clamped edge: cap it there.
        let kernel = gaussian_kernel(sigma.min(self.width.max(self.height) as f32));
        let radius = kernel.len() / 2;
        let (w, h) = (self.width, self.height);
        // Horizontal pass, one row per task. Each row is first copied into a buffer padded by
        // its replicated edge pixels, so the inner loop is a plain dot product the compiler can
        // vectorise (the same values in the same order as clamping each index: bit-identical).
        let mut horizontal = vec![0f32; w * h];
        horizontal
            .par_chunks_mut(w)
            .zip(self.data.par_chunks(w))
            .for_each_init(
                || vec![0f32; w + 2 * radius],
                |padded, (out, row)| {
                    padded[..radius].fill(row[0]);
                    padded[radius..radius + w].copy_from_slice(row);
                    padded[radius + w..].fill(row[w - 1]);
                    for (x, o) in out.iter_mut().enumerate() {
                        let window = &padded[x..x + kernel.len()];
                        let mut acc = 0f32;
                        for (weight, v) in kernel.iter().zip(window) {
                            acc += weight * v;
                        }
                        *o = acc;
                    }
                },
            );
        // Vertical pass, one output row per task.
        let mut out = vec![0f32; w * h];
        out.par_chunks_mut(w).enumerate().for_each(|(y, out_row)| {
            out_row.fill(0.0);
            for (k, weight) in kernel.iter().enumerate() {
                let sy = (y + k).saturating_sub(radius).min(h - 1);
                let src = &horizontal[sy * w..(sy + 1) * w];
                for (o, s) in out_row.iter_mut().zip(src) {
                    *o += weight * s;
                }
            }
        });
        Plane {
            width: w,
            height: h,
            data: out,
        }
    }
}

/// Calls `f(x, y)` for every pixel of a `width` × `height` grid whose centre lies at a distance
/// in `inner..=outer` px from the centre of pixel (`cx`, `cy`) (a disc when `inner` is 0).
pub fn for_each_in_ring(
    (cx, cy): (usize, usize),
    inner: f64,
    outer: f64,
    (width, height): (usize, usize),
    mut f: impl FnMut(usize, usize),
) {
    let r = outer.ceil() as isize;
    let (inner2, outer2) = (inner * inner, outer * outer + 0.25);
    for dy in -r..=r {
        let y = cy as isize + dy;
        if y < 0 || y as usize >= height {
            continue;
        }
        for dx in -r..=r {
            let x = cx as isize + dx;
            if x < 0 || x as usize >= width {
                continue;
            }
            let dist2 = (dx * dx + dy * dy) as f64;
            if dist2 >= inner2 && dist2 <= outer2 {
                f(x as usize, y as usize);
            }
        }
    }
}

/// Normalised 1-D Gaussian kernel of standard deviation `sigma` (px), radius ⌈3σ⌉.
fn gaussian_kernel(sigma: f32) -> Vec<f32> {
    let radius = (3.0 * sigma).ceil().max(1.0) as i32;
    let mut kernel: Vec<f32> = (-radius..=radius)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = kernel.iter().sum();
    kernel.iter_mut().for_each(|k| *k /= sum);
    kernel
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blur_preserves_a_constant_and_the_mass_of_an_impulse() {
        let flat = Plane::filled(9, 7, 0.5);
        let blurred = flat.gaussian_blur(1.5);
        assert!(blurred.data.iter().all(|v| (v - 0.5).abs() < 1e-6));

        let mut impulse = Plane::filled(31, 31, 0.0);
        impulse.data[15 * 31 + 15] = 1.0;
        let blurred = impulse.gaussian_blur(2.0);
        let mass: f32 = blurred.data.iter().sum();
        assert!((mass - 1.0).abs() < 1e-4);
        assert!(blurred.get(15, 15) > blurred.get(16, 15));
        assert!((blurred.get(14, 15) - blurred.get(16, 15)).abs() < 1e-7);
    }
}

//! Focus: how soft the dots' edges are for their size.
//!
//! Camera blur is the same for every dot of a photo, while the pigment's own edge varies from
//! dot to dot and adds to it: each of a sample of dots has its radial profile (its own pixels
//! only: a neighbour's are left out) fitted with a blurred disc edge (a step at some radius
//! smoothed by a Gaussian of σ px), and the sharper quarter of the dots' σ over their radius
//! ([`SHARP_QUANTILE`]) says how far blur has spread the dots' edges. A low quantile rather
//! than the median: a shape that is no disc (a bar, a smudge, a hair's end) fits badly and with
//! a large σ (the median warned on four of seven sharp real tattoo photos).
//!
//! Noise scatters each reading both ways, and on faint dots (dark skin, where pigment stands
//! only a few times the noise above the skin) the scatter's lower quartile read a blur of
//! σ 1.5 px at 15 px/mm as sharp (0.27 where light skin read 0.49). So each reading is first
//! drawn towards the dots' middle as far as its own uncertainty exceeds the spread of the
//! dots' own edges (an empirical-Bayes shrinkage): its variance is the least-squares fit's,
//! 2 σ²_noise (H⁻¹)_σσ, from the curvature of the squared error at the fit and the skin
//! rings' noise; the dots' own spread is what is left of the readings' once that is taken
//! out. Readings of clear dots move little. The variance is approximate: it takes the noise
//! as independent from pixel to pixel and the skin (a ring's median) as known, and a review's
//! Monte Carlo runs found the true scatter 1.2–2 times larger (twice on the faintest dots), so
//! readings are drawn in less than they could be, erring towards the plain lower quartile.
//!
//! It is no strict bound: a phone's sharpening lowers every edge's σ (by a quarter at three
//! times the generator's sharpening). Out of focus, the half-maximum outlines spread past the
//! pigment and the cores are lightened: at a blur σ of half a dot's radius, generated scenes
//! read coverage 20–90% high and darkness 0.1–0.4 low (`examples/defocus`).

use rayon::prelude::*;

use crate::color::LuminanceSource;
use crate::region::Region;

use super::DotSample;

/// Edge softness (the sharper quarter of the dots' edge σ over their radius) above which a
/// photo is reported as possibly out of focus. In focus (the generator's phone, σ 0.8 px):
/// the 600 scenes of `examples/accuracy` (five seeds or modes: from 1, 1001, 2001 and 3001,
/// and from 1 without the scale) read at most 0.40 (fine dots, 15 px/mm, type V skin), the
/// in-focus scenes of `examples/defocus` on skin types I–VI from four seeds at most 0.41 (fine
/// dots at 15 px/mm on type VI skin, whose dots are also under 4 px across); saved as JPEGs of
/// quality 40–60 at most 0.38, sharpened three times as hard lower still. Out of focus: of the
/// defocus scenes (skin types I–VI, 15, 25 and 50 px/mm, blurs of σ 1–4 px) whose count or
/// coverage blur pushed more than 20% off, or darkness 0.1, 187 of 195 read above it; those
/// below are blurs that lose most of the dots (15 px/mm at σ 4 px: counts 80–100% low, too
/// few left to fit) and fine dots a σ of 1–1.25 px already spreads at 15–25 px/mm (0.37–0.41).
pub const MAX_EDGE_SOFTNESS: f64 = 0.42;

/// Which of the dots' edge σ over radius, each drawn towards their middle by its noise, stands
/// for the photo's blur: the lower quartile.
pub const SHARP_QUANTILE: f64 = 0.25;

/// Most dots whose edges are fitted, picked evenly through the photo's dots in their order, so
/// that the cost stays a few milliseconds however many dots a photo holds.
pub const MAX_FITTED_DOTS: usize = 160;

/// Fewest dots fitted for a verdict: below it the lower quartile says too little.
pub const MIN_FITTED_DOTS: usize = 12;

/// Narrowest radial bin (px) a dot's pixels are gathered in before the fit.
const MIN_BIN_PX: f64 = 0.125;

/// How many radial bins a dot's profile is gathered in, at most: bins of a fraction of a dot's
/// radius are far narrower than any edge it can have (the σ fitted grows with the dot), and
/// the fit's work is the bins times the edges tried.
const PROFILE_BINS: f64 = 48.0;

/// ½ erfc(t) for t from −[`ERFC_REACH`] to +[`ERFC_REACH`] in steps of 1/[`ERFC_STEPS`], for
/// [`half_erfc`]. A table, because the fit evaluates it a few million times per photo (libm's
/// erfc took 36 ms of a 24 MP photo on two threads, the table a tenth of that).
static HALF_ERFC: std::sync::LazyLock<Vec<f64>> = std::sync::LazyLock::new(|| {
    let n = (2.0 * ERFC_REACH * ERFC_STEPS) as usize;
    (0..=n + 1)
        .map(|i| 0.5 * libm::erfc(i as f64 / ERFC_STEPS - ERFC_REACH))
        .collect()
});
const ERFC_REACH: f64 = 6.0;
const ERFC_STEPS: f64 = 128.0;

/// ½ erfc(`t`), linearly interpolated in [`HALF_ERFC`] (within 4·10⁻⁶); 1 below −6, 0 above 6.
fn half_erfc(t: f64) -> f64 {
    let at = (t + ERFC_REACH) * ERFC_STEPS;
    let table = &*HALF_ERFC;
    if at <= 0.0 {
        return 1.0;
    }
    // (Also NaN, and values far past the table that `as usize` would saturate.)
    if at.is_nan() || at >= (table.len() - 1) as f64 {
        return 0.0;
    }
    let i = at as usize;
    let f = at - i as f64;
    table[i] + f * (table[i + 1] - table[i])
}

/// How soft the dots' edges are: the sharper quarter of the dots' edge σ over their radius,
/// given as an edge σ on the dots' median radius.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EdgeSoftness {
    /// Edge σ (px) on a dot of [`Self::radius_px`]: the lower quartile ([`SHARP_QUANTILE`])
    /// of the dots' σ over radius, each drawn towards their middle by its noise, times the
    /// median radius. The camera's blur and the sharpest pigment's own softness.
    pub edge_sigma_px: f64,
    /// Median radius (px) of the dots fitted (half their equivalent diameter).
    pub radius_px: f64,
    /// How many dots were fitted.
    pub dots_fitted: usize,
}

impl EdgeSoftness {
    /// The edge σ over the radius (unitless): 0.1–0.3 for sharp photos of typical dots, up to
    /// 0.41 for fine dots at 15 px/mm.
    pub fn ratio(&self) -> f64 {
        self.edge_sigma_px / self.radius_px
    }

    /// Whether the edges are too soft for the dots' size to trust coverage and darkness (the
    /// ratio above [`MAX_EDGE_SOFTNESS`]).
    pub fn out_of_focus(&self) -> bool {
        self.ratio() > MAX_EDGE_SOFTNESS
    }
}

/// The edge softness of `dots` (image px) in the luminance `y` of the `crop` (px of the image)
/// it was read from; `None` with fewer than [`MIN_FITTED_DOTS`] dots whose surroundings lie in
/// the crop and whose fit found pigment darker than the skin around it. `elsewhere(i, x, y)`
/// tells whether crop pixel (x, y) belongs to another dot than `dots[i]`: its pixels are left
/// out of that dot's profile and skin ring. A neighbour's pigment read as the dot's skin made
/// its edge steeper (dense dots hid a blur of σ 2.5 px); a dot with too little skin of its own
/// around it is not fitted.
pub(super) fn edge_softness(
    y: &LuminanceSource,
    crop: Region,
    dots: &[DotSample],
    elsewhere: impl Fn(usize, usize, usize) -> bool + Sync,
) -> Option<EdgeSoftness> {
    let origin = (f64::from(crop.x), f64::from(crop.y));
    softness_of(
        |x, y_| y.get(x, y_),
        (y.width, y.height),
        origin,
        dots,
        elsewhere,
    )
}

/// [`edge_softness`] of `dots` (image px) in a plane of `size` px whose top left pixel is at
/// `origin` (image px), read through `luminance`.
fn softness_of(
    luminance: impl Fn(usize, usize) -> f32 + Sync,
    size: (usize, usize),
    (ox, oy): (f64, f64),
    dots: &[DotSample],
    elsewhere: impl Fn(usize, usize, usize) -> bool + Sync,
) -> Option<EdgeSoftness> {
    // Evenly through the dots' order, at most MAX_FITTED_DOTS of them.
    let picked = dots.len().min(MAX_FITTED_DOTS);
    let fits: Vec<(EdgeFit, f64)> = (0..picked)
        .into_par_iter()
        .map(|i| i * dots.len() / picked)
        .filter_map(|k| {
            let dot = &dots[k];
            let r = dot.diameter_px / 2.0;
            let profile = RadialProfile::around(
                &luminance,
                |x, y| !elsewhere(k, x, y),
                size,
                (dot.x - ox, dot.y - oy),
                r,
            )?;
            profile.edge_fit(r).map(|fit| (fit, r))
        })
        .collect();
    if fits.len() < MIN_FITTED_DOTS {
        return None;
    }
    // The value a `share` of the way up the sorted values (the lower one at a fraction).
    let quantile = |mut v: Vec<f64>, share: f64| {
        v.sort_by(f64::total_cmp);
        v[((v.len() - 1) as f64 * share) as usize]
    };
    // The skin's noise (luminance): the median of the rings' median absolute deviations, as a
    // Gaussian's σ.
    let noise = MAD_TO_SIGMA * quantile(fits.iter().map(|f| f.0.ring_mad).collect(), 0.5);
    // Each dot's log(σ / r) and its variance from the noise: 2 noise² (H⁻¹)_σσ of the squared
    // error's Hessian H in (edge, log σ), the least-squares estimate's.
    let logs: Vec<f64> = fits.iter().map(|(f, r)| (f.sigma / r).ln()).collect();
    let variances: Vec<f64> = fits
        .iter()
        .map(|(f, _)| 2.0 * noise * noise * f.log_sigma_curvature_inverse)
        .collect();
    let mut sorted_logs = logs.clone();
    sorted_logs.sort_by(f64::total_cmp);
    let log_at = |share: f64| sorted_logs[((sorted_logs.len() - 1) as f64 * share) as usize];
    let middle = log_at(0.5);
    let spread = (log_at(0.75) - log_at(0.25)) / IQR_TO_SIGMA;
    // The spread of the dots' own edges: what is left of the readings' once their noise is
    // taken out.
    // (Of the readings whose σ the data hold: were most not held, an infinite median would
    // leave the edges no spread of their own and draw every reading to the middle.)
    let held: Vec<f64> = variances
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let noise_variance = if held.is_empty() {
        0.0
    } else {
        quantile(held, 0.5)
    };
    let own = (spread * spread - noise_variance).max(MIN_OWN_VARIANCE);
    // Each reading drawn towards the middle as far as its noise exceeds the edges' own spread
    // (the best estimate of its own edge given both), so that noise does not widen the spread
    // and drag the lower quartile down.
    let shrunk: Vec<f64> = logs
        .iter()
        .zip(&variances)
        .map(|(&x, &v)| {
            if v.is_finite() && v >= 0.0 {
                middle + (x - middle) * own / (own + v)
            } else {
                middle
            }
        })
        .collect();
    let radius_px = quantile(fits.iter().map(|f| f.1).collect(), 0.5);
    let ratio = quantile(shrunk, SHARP_QUANTILE).exp();
    Some(EdgeSoftness {
        edge_sigma_px: ratio * radius_px,
        radius_px,
        dots_fitted: fits.len(),
    })
}

/// A Gaussian's σ over its median absolute deviation.
const MAD_TO_SIGMA: f64 = 1.4826;
/// A Gaussian's interquartile range over its σ.
const IQR_TO_SIGMA: f64 = 1.349;
/// Least variance of log(σ / r) left to the dots' own edges (a σ of 1%): with readings all
/// noise, they are drawn to their middle.
const MIN_OWN_VARIANCE: f64 = 1e-4;

/// One dot's fitted edge.
struct EdgeFit {
    /// Edge σ (px).
    sigma: f64,
    /// (H⁻¹)_σσ of the squared error's Hessian in (edge radius, log σ) at the fit (per unit
    /// luminance², the skin's noise variance not yet applied): how loosely the data hold σ.
    log_sigma_curvature_inverse: f64,
    /// Median absolute deviation of the skin ring's luminance from its median.
    ring_mad: f64,
}

/// A dot's darkness against its skin, gathered by distance from its centre.
struct RadialProfile {
    /// Per bin: the sum of (skin − luminance), the mean distance (px) from the centre of its
    /// pixels, and how many pixels.
    sums: Vec<f64>,
    rhos: Vec<f64>,
    counts: Vec<u32>,
    /// Median absolute deviation of the skin ring's luminance from its median (the skin).
    ring_mad: f64,
}

impl RadialProfile {
    /// The profile of the dot of radius `r` (px) centred at (`cx`, `cy`) (px, pixel centres at
    /// i + 0.5) in a plane of `size` read through `luminance`, out to r + max(r, 2) px, of the
    /// pixels `usable(x, y)`; its skin is the median luminance of those in the ring 2 px wide
    /// beyond. `None` when the ring leaves the plane or holds fewer than [`MIN_RING_PIXELS`].
    fn around(
        luminance: impl Fn(usize, usize) -> f32,
        usable: impl Fn(usize, usize) -> bool,
        (width, height): (usize, usize),
        (cx, cy): (f64, f64),
        r: f64,
    ) -> Option<Self> {
        let fitted = r + r.max(2.0);
        let reach = fitted + 2.0;
        let (x0, x1) = ((cx - reach).floor(), (cx + reach).ceil());
        let (y0, y1) = ((cy - reach).floor(), (cy + reach).ceil());
        if r.is_nan()
            || r <= 0.0
            || x0 < 0.0
            || y0 < 0.0
            || x1 >= width as f64
            || y1 >= height as f64
        {
            return None;
        }
        let bin_px = (fitted / PROFILE_BINS).max(MIN_BIN_PX);
        let bins = (fitted / bin_px).ceil() as usize + 1;
        let (mut sums, mut rhos, mut counts) = (vec![0.0; bins], vec![0.0; bins], vec![0u32; bins]);
        let mut ring = Vec::new();
        for yy in y0 as usize..=y1 as usize {
            for xx in x0 as usize..=x1 as usize {
                let rho = (xx as f64 + 0.5 - cx).hypot(yy as f64 + 0.5 - cy);
                if rho > reach || !usable(xx, yy) {
                    continue;
                }
                let v = f64::from(luminance(xx, yy));
                if rho <= fitted {
                    let bin = (rho / bin_px) as usize;
                    sums[bin] -= v;
                    rhos[bin] += rho;
                    counts[bin] += 1;
                } else {
                    ring.push(v);
                }
            }
        }
        if ring.len() < MIN_RING_PIXELS {
            return None;
        }
        let middle = ring.len() / 2;
        let skin = *ring.select_nth_unstable_by(middle, f64::total_cmp).1;
        for ((sum, rho), &n) in sums.iter_mut().zip(&mut rhos).zip(&counts) {
            if n > 0 {
                *sum += skin * f64::from(n);
                *rho /= f64::from(n);
            }
        }
        for v in &mut ring {
            *v = (*v - skin).abs();
        }
        let ring_mad = *ring.select_nth_unstable_by(middle, f64::total_cmp).1;
        Some(RadialProfile {
            sums,
            rhos,
            counts,
            ring_mad,
        })
    }

    /// The squared error of the best contrast for an edge at radius `edge` (px) smoothed by σ =
    /// `sigma` px (of the bins' means, weighted by their pixels: the pixels' own error less
    /// the spread within the bins, the same for every edge), and that contrast (skin − core
    /// luminance).
    fn misfit(&self, edge: f64, sigma: f64) -> (f64, f64) {
        let (mut model_data, mut model_model, mut data_data) = (0.0, 0.0, 0.0);
        let scale = 1.0 / (std::f64::consts::SQRT_2 * sigma);
        for ((&sum, &rho), &n) in self.sums.iter().zip(&self.rhos).zip(&self.counts) {
            if n == 0 {
                continue;
            }
            let m = half_erfc((rho - edge) * scale);
            let n = f64::from(n);
            // Per pixel: data d, model c·m; the bin holds n pixels of mean sum/n.
            model_data += m * sum;
            model_model += m * m * n;
            data_data += sum * sum / n;
        }
        if model_model <= 0.0 {
            return (f64::INFINITY, 0.0);
        }
        let contrast = model_data / model_model;
        (data_data - contrast * model_data, contrast)
    }

    /// The σ (px) of [`Self::edge_fit`].
    #[cfg(test)]
    fn edge_sigma(&self, r: f64) -> Option<f64> {
        self.edge_fit(r).map(|f| f.sigma)
    }

    /// The edge of the blurred disc that fits the profile best, the dot's radius `r` (px) as a
    /// guide, with how loosely the profile holds its σ (px) and the ring's noise: a coarse
    /// search over σ from 0.2 px to r + 4 px (steps of ×1.25) and edge radii 0.5–1.5 r (steps
    /// of r/10), then [`REFINEMENTS`] searches of the 3 × 3 around the best, each with half the
    /// steps (σ to within 0.01%, not the coarse steps of 5.7% a threshold can flip on); `None` unless the best fit is finite and darker than the skin.
    fn edge_fit(&self, r: f64) -> Option<EdgeFit> {
        // (misfit, edge, σ, contrast) of the best fit so far.
        let mut best = (f64::INFINITY, 0.0, 0.0, 0.0);
        let try_fit = |best: &mut (f64, f64, f64, f64), edge: f64, sigma: f64| {
            let (err, contrast) = self.misfit(edge, sigma);
            if err < best.0 {
                *best = (err, edge, sigma, contrast);
            }
        };
        let (sigma_step, edge_step) = (1.25f64, 0.1 * r);
        let mut sigma = 0.2;
        while sigma < r + 4.0 {
            for k in 0..=10 {
                try_fit(&mut best, r * (0.5 + 0.1 * f64::from(k)), sigma);
            }
            sigma *= sigma_step;
        }
        if !best.0.is_finite() {
            return None;
        }
        for refinement in 1..=REFINEMENTS {
            let scale = 0.5f64.powi(refinement);
            let (_, edge, sigma, _) = best;
            for de in [-1.0, 0.0, 1.0] {
                for ds in [-1.0, 0.0, 1.0] {
                    let at = (
                        edge + de * edge_step * scale,
                        sigma * sigma_step.powf(ds * scale),
                    );
                    try_fit(&mut best, at.0, at.1);
                }
            }
        }
        let (_, edge, sigma, contrast) = best;
        if contrast <= 0.0 {
            return None;
        }
        // The squared error's Hessian in (edge, log σ), by central differences of steps a
        // twentieth of the radius and a tenth in log σ; the contrast is fitted at each.
        let (de, ds) = (HESSIAN_EDGE_STEP * r, HESSIAN_LOG_SIGMA_STEP);
        let err = |i: f64, j: f64| self.misfit(edge + i * de, sigma * (j * ds).exp()).0;
        let centre = err(0.0, 0.0);
        let hee = (err(1.0, 0.0) - 2.0 * centre + err(-1.0, 0.0)) / (de * de);
        let hss = (err(0.0, 1.0) - 2.0 * centre + err(0.0, -1.0)) / (ds * ds);
        let hes =
            (err(1.0, 1.0) - err(1.0, -1.0) - err(-1.0, 1.0) + err(-1.0, -1.0)) / (4.0 * de * ds);
        let determinant = hee * hss - hes * hes;
        // (Not a minimum to the differences' precision: σ is not held at all.)
        let log_sigma_curvature_inverse = if hee > 0.0 && determinant > 0.0 {
            hee / determinant
        } else {
            f64::INFINITY
        };
        Some(EdgeFit {
            sigma,
            log_sigma_curvature_inverse,
            ring_mad: self.ring_mad,
        })
    }
}

/// Fewest pixels of a dot's own in the skin ring around its profile (see
/// [`RadialProfile::around`]).
const MIN_RING_PIXELS: usize = 8;

/// How many times [`RadialProfile::edge_fit`] halves its steps around the best fit.
const REFINEMENTS: i32 = 12;

/// Steps of the central differences for the squared error's Hessian at the fit: of the edge
/// radius, as a fraction of the dot's radius, and of log σ.
const HESSIAN_EDGE_STEP: f64 = 0.05;
const HESSIAN_LOG_SIGMA_STEP: f64 = 0.1;

#[cfg(test)]
mod tests;

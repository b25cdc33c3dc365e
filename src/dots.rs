//! Dot finding on the darkness plane: centres, territories, coverage, core and skin samples.
//!
//! 1. Smooth D at a scale tied to the dot size (σ = a quarter of a dot diameter): one blob
//!    becomes one smooth hill while two touching dots keep a dip between them.
//! 2. Local maxima above a noise-aware threshold are candidate centres. A candidate on a ridge
//!    (a hair or stubble: one Hessian eigenvalue near zero) is rejected; two candidates with no
//!    real dip between them are one dot.
//! 3. A watershed from the accepted centres splits touching dots into territories.
//! 4. Within its territory a dot covers the pixels at least half as dark as its core (the
//!    full-width-at-half-maximum outline, which blur and exposure leave in place).

use std::collections::VecDeque;

use rayon::prelude::*;

use crate::plane::Plane;

/// Smoothing before peak finding, in dot diameters (σ = 0.25 d keeps ≈ 86% of a dot's peak
/// while filling the gaps of an irregular outline).
pub const SMOOTHING_SIGMA_DIAMETERS: f32 = 0.25;
/// Lowest smoothed darkness a dot centre may have. The faintest fresh pigment is ≈ 0.3 dark at
/// its core (≈ 0.26 after smoothing); pores and skin texture stay below ≈ 0.1.
pub const MIN_PEAK_DARKNESS: f32 = 0.12;
/// A centre must also stand this many noise standard deviations (of smoothed darkness on skin)
/// above the skin.
pub const PEAK_NOISE_SIGMAS: f32 = 5.0;
/// Two candidates closer than this (in dot diameters) are one dot: touching dots have centres
/// ≥ 0.9 d apart.
pub const NMS_RADIUS_DIAMETERS: f32 = 0.35;
/// Candidates within this distance (dot diameters) are tested for a dip between them.
pub const SADDLE_CHECK_DIAMETERS: f32 = 1.5;
/// Two candidates are separate dots only if smoothed darkness between them falls below this
/// fraction of the lower one.
pub const SADDLE_RATIO: f32 = 0.85;
/// A candidate whose Hessian eigenvalue ratio (weaker / stronger curvature) is below this is a
/// ridge — a hair or stubble — not a dot. A dot of aspect 1.5 gives ≈ 0.45; a hair ≈ 0.
pub const MIN_BLOB_EIGEN_RATIO: f32 = 0.2;
/// A pixel belongs to a dot's outline when its darkness is at least this fraction of the dot's
/// core darkness (half maximum).
pub const HALF_MAX: f32 = 0.5;
/// The core over which a dot's darkness is averaged, as a radius in dot diameters (min 0.5 px).
pub const CORE_RADIUS_DIAMETERS: f32 = 0.12;
/// Skin ring around a dot: from this many dot radii …
pub const RING_INNER_RADII: f32 = 1.5;
/// … to this many.
pub const RING_OUTER_RADII: f32 = 2.5;
/// Fewer skin pixels than this in the ring and the ring is widened, then the skin field is used.
pub const MIN_RING_PIXELS: usize = 8;
/// Skin ring pixels darker than this (darkness vs. the skin field) are hair or pores: left out.
pub const RING_EXCLUDE_DARKNESS: f32 = 0.08;

/// A found dot, in the coordinates of the plane it was found in (px, pixel centres at i + 0.5).
#[derive(Clone, Debug, PartialEq)]
pub struct FoundDot {
    /// Centre x (px), darkness-weighted centroid of the dot's outline.
    pub x: f64,
    /// Centre y (px).
    pub y: f64,
    /// Pixels within the dot's half-maximum outline (px²).
    pub area_px: u32,
    /// Mean darkness D over the core (0..1).
    pub core_darkness: f32,
    /// The peak pixel (integer px) the dot grew from.
    pub peak: (usize, usize),
}

/// Result of [`find_dots`]: dots, labels and the outline mask.
#[derive(Clone, Debug)]
pub struct DotMap {
    /// The dots, in order of decreasing smoothed peak darkness.
    pub dots: Vec<FoundDot>,
    /// Per pixel: 0 for no dot, else 1 + index into `dots` of the territory it was flooded into.
    pub labels: Vec<u32>,
    /// Per pixel: whether it lies inside its dot's half-maximum outline (covered by pigment).
    pub covered: Vec<bool>,
    /// The threshold actually used on smoothed darkness.
    pub peak_threshold: f32,
    /// Candidates rejected as ridges (hairs, stubble): their peak pixels.
    pub ridges: Vec<(usize, usize)>,
}

/// Finds the dots in the darkness plane `d` (1 − Y/S) given an estimated dot diameter
/// `diameter_px` (px).
pub fn find_dots(d: &Plane, diameter_px: f32) -> DotMap {
    let sigma = (SMOOTHING_SIGMA_DIAMETERS * diameter_px).max(0.6);
    let smoothed = d.gaussian_blur(sigma);
    let noise = skin_noise(&smoothed);
    let threshold = MIN_PEAK_DARKNESS.max(PEAK_NOISE_SIGMAS * noise);

    let candidates = local_maxima(&smoothed, threshold);
    let step = sigma.round().max(1.0) as usize;
    let (blobs, ridges): (Vec<_>, Vec<_>) = candidates
        .into_iter()
        .partition(|&(x, y, _)| blob_ratio(&smoothed, x, y, step) >= MIN_BLOB_EIGEN_RATIO);
    let peaks = merge_peaks(&smoothed, blobs, diameter_px);

    let core_radius = (CORE_RADIUS_DIAMETERS * diameter_px).max(0.5);
    let cores: Vec<f32> = peaks
        .iter()
        .map(|&(x, y, _)| disc_mean(d, x, y, core_radius))
        .collect();
    let floor = 0.5 * HALF_MAX * threshold;
    let labels = watershed(&smoothed, &peaks, floor);

    // Outline, area and centroid of each dot, in raster order (deterministic sums).
    let n = peaks.len();
    let mut area = vec![0u32; n];
    let mut sums = vec![(0f64, 0f64, 0f64); n];
    let mut covered = vec![false; d.data.len()];
    for (i, &label) in labels.iter().enumerate() {
        if label == 0 {
            continue;
        }
        let k = label as usize - 1;
        let v = d.data[i];
        if v >= HALF_MAX * cores[k] {
            covered[i] = true;
            area[k] += 1;
            let (x, y) = ((i % d.width) as f64 + 0.5, (i / d.width) as f64 + 0.5);
            let w = f64::from(v);
            sums[k].0 += w * x;
            sums[k].1 += w * y;
            sums[k].2 += w;
        }
    }
    let dots = peaks
        .iter()
        .enumerate()
        .map(|(k, &(x, y, _))| {
            let (cx, cy) = if sums[k].2 > 0.0 {
                (sums[k].0 / sums[k].2, sums[k].1 / sums[k].2)
            } else {
                (x as f64 + 0.5, y as f64 + 0.5)
            };
            FoundDot {
                x: cx,
                y: cy,
                area_px: area[k],
                core_darkness: cores[k],
                peak: (x, y),
            }
        })
        .collect();
    DotMap {
        dots,
        labels,
        covered,
        peak_threshold: threshold,
        ridges: ridges.into_iter().map(|(x, y, _)| (x, y)).collect(),
    }
}

/// Robust standard deviation (1.4826 × MAD) of smoothed darkness over the skin side of the
/// distribution (values below the median, mirrored), sampled on a sparse grid.
fn skin_noise(smoothed: &Plane) -> f32 {
    let mut sample: Vec<f32> = smoothed.data.iter().step_by(7).copied().collect();
    if sample.len() < 16 {
        return 0.0;
    }
    let median = crate::flatten::quantile(&mut sample, 0.5);
    // The lower half is skin only: pigment pulls values up, never down.
    let mut below: Vec<f32> = sample
        .iter()
        .filter(|v| **v <= median)
        .map(|v| median - v)
        .collect();
    1.4826 * crate::flatten::quantile(&mut below, 0.5)
}

/// Strict local maxima of `p` at or above `threshold`, as (x, y, value), in raster order.
/// Plateaus yield their first pixel in raster order.
fn local_maxima(p: &Plane, threshold: f32) -> Vec<(usize, usize, f32)> {
    let (w, h) = (p.width, p.height);
    if w < 3 || h < 3 {
        return Vec::new();
    }
    (1..h - 1)
        .into_par_iter()
        .flat_map_iter(|y| {
            let (above, row, below) = (p.row(y - 1), p.row(y), p.row(y + 1));
            (1..w - 1).filter_map(move |x| {
                let v = row[x];
                if v < threshold {
                    return None;
                }
                // Strictly greater than neighbours before in raster order, ≥ those after.
                let is_max = v > above[x - 1]
                    && v > above[x]
                    && v > above[x + 1]
                    && v > row[x - 1]
                    && v >= row[x + 1]
                    && v >= below[x - 1]
                    && v >= below[x]
                    && v >= below[x + 1];
                is_max.then_some((x, y, v))
            })
        })
        .collect()
}

/// Ratio of the weaker to the stronger (negative) Hessian eigenvalue at (x, y), with finite
/// differences of `step` px: ≈ 1 for a round blob, ≈ 0 on a ridge, ≤ 0 on a saddle.
fn blob_ratio(p: &Plane, x: usize, y: usize, step: usize) -> f32 {
    let h = step
        .min(x)
        .min(y)
        .min(p.width - 1 - x)
        .min(p.height - 1 - y);
    if h == 0 {
        return 1.0;
    }
    let v = |dx: isize, dy: isize| {
        p.get(
            (x as isize + dx * h as isize) as usize,
            (y as isize + dy * h as isize) as usize,
        )
    };
    let c = v(0, 0);
    let dxx = v(1, 0) - 2.0 * c + v(-1, 0);
    let dyy = v(0, 1) - 2.0 * c + v(0, -1);
    let dxy = (v(1, 1) - v(1, -1) - v(-1, 1) + v(-1, -1)) / 4.0;
    let mean = (dxx + dyy) / 2.0;
    let spread = (((dxx - dyy) / 2.0).powi(2) + dxy * dxy).sqrt();
    let strong = mean - spread; // most negative
    let weak = mean + spread;
    if strong >= 0.0 {
        return 0.0;
    }
    weak / strong
}

/// Keeps the strongest candidates, dropping any that is too close to, or not separated by a
/// dip from, a stronger one already kept.
fn merge_peaks(
    smoothed: &Plane,
    mut candidates: Vec<(usize, usize, f32)>,
    diameter_px: f32,
) -> Vec<(usize, usize, f32)> {
    candidates.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.1.cmp(&b.1)).then(a.0.cmp(&b.0)));
    let nms = NMS_RADIUS_DIAMETERS * diameter_px;
    let check = (SADDLE_CHECK_DIAMETERS * diameter_px).max(nms).max(1.0);
    let cell = check.ceil() as usize;
    let gw = smoothed.width / cell + 1;
    let gh = smoothed.height / cell + 1;
    let mut grid: Vec<Vec<usize>> = vec![Vec::new(); gw * gh];
    let mut kept: Vec<(usize, usize, f32)> = Vec::new();
    'next: for c in candidates {
        let (cx, cy) = (c.0 / cell, c.1 / cell);
        for gy in cy.saturating_sub(1)..=(cy + 1).min(gh - 1) {
            for gx in cx.saturating_sub(1)..=(cx + 1).min(gw - 1) {
                for &k in &grid[gy * gw + gx] {
                    let other = kept[k];
                    let dist = ((c.0 as f32 - other.0 as f32).powi(2)
                        + (c.1 as f32 - other.1 as f32).powi(2))
                    .sqrt();
                    if dist < nms
                        || (dist < check
                            && min_along(smoothed, (c.0, c.1), (other.0, other.1))
                                >= SADDLE_RATIO * c.2)
                    {
                        continue 'next;
                    }
                }
            }
        }
        grid[cy * gw + cx].push(kept.len());
        kept.push(c);
    }
    kept
}

/// Minimum of `p` sampled at 1-px steps on the segment from `a` to `b` (nearest pixel).
fn min_along(p: &Plane, a: (usize, usize), b: (usize, usize)) -> f32 {
    let (dx, dy) = (b.0 as f32 - a.0 as f32, b.1 as f32 - a.1 as f32);
    let steps = dx.abs().max(dy.abs()).ceil().max(1.0) as usize;
    (0..=steps)
        .map(|i| {
            let t = i as f32 / steps as f32;
            let x = (a.0 as f32 + t * dx).round() as usize;
            let y = (a.1 as f32 + t * dy).round() as usize;
            p.get(x, y)
        })
        .fold(f32::INFINITY, f32::min)
}

/// Mean of `p` over the disc of `radius` px around (x, y).
fn disc_mean(p: &Plane, x: usize, y: usize, radius: f32) -> f32 {
    let r = radius.ceil() as isize;
    let mut sum = 0f64;
    let mut n = 0u32;
    for dy in -r..=r {
        for dx in -r..=r {
            if (dx * dx + dy * dy) as f32 > radius * radius + 0.25 {
                continue;
            }
            let (xx, yy) = (x as isize + dx, y as isize + dy);
            if xx >= 0 && yy >= 0 && (xx as usize) < p.width && (yy as usize) < p.height {
                sum += f64::from(p.get(xx as usize, yy as usize));
                n += 1;
            }
        }
    }
    if n == 0 {
        0.0
    } else {
        (sum / f64::from(n)) as f32
    }
}

/// Number of priority levels of the watershed's bucket queue over darkness 0..1.
const WATERSHED_LEVELS: usize = 256;

/// Marker watershed on `p` from `seeds`, flooding downhill over pixels with `p ≥ floor`.
/// Returns per-pixel labels (0 = none, k + 1 = seed k). A bucket queue over quantised darkness
/// makes it O(pixels); priority flooding (a pixel never enters a level above the current one)
/// keeps the order correct.
fn watershed(p: &Plane, seeds: &[(usize, usize, f32)], floor: f32) -> Vec<u32> {
    let (w, h) = (p.width, p.height);
    let mut labels = vec![0u32; w * h];
    let level = |v: f32| (v.clamp(0.0, 1.0) * (WATERSHED_LEVELS - 1) as f32) as usize;
    let mut buckets: Vec<VecDeque<u32>> = vec![VecDeque::new(); WATERSHED_LEVELS];
    let mut current = 0;
    for (k, &(x, y, v)) in seeds.iter().enumerate() {
        let i = y * w + x;
        labels[i] = k as u32 + 1;
        let l = level(v);
        buckets[l].push_back(i as u32);
        current = current.max(l);
    }
    loop {
        while current > 0 && buckets[current].is_empty() {
            current -= 1;
        }
        let Some(i) = buckets[current].pop_front() else {
            break;
        };
        let i = i as usize;
        let (x, y) = (i % w, i / w);
        let label = labels[i];
        let neighbours = [
            (x > 0).then(|| i - 1),
            (x + 1 < w).then(|| i + 1),
            (y > 0).then(|| i - w),
            (y + 1 < h).then(|| i + w),
        ];
        for j in neighbours.into_iter().flatten() {
            if labels[j] == 0 && p.data[j] >= floor {
                labels[j] = label;
                buckets[level(p.data[j]).min(current)].push_back(j as u32);
            }
        }
    }
    labels
}

/// Sizes (px) of the 8-connected components of `mask` (`width` px per row), in raster order of
/// their first pixel.
pub fn component_areas(mask: &[bool], width: usize) -> Vec<u32> {
    let height = mask.len().checked_div(width).unwrap_or(0);
    let mut seen = vec![false; mask.len()];
    let mut areas = Vec::new();
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut area = 0u32;
        while let Some(i) = stack.pop() {
            area += 1;
            let (x, y) = (i % width, i / width);
            for ny in y.saturating_sub(1)..=(y + 1).min(height - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(width - 1) {
                    let j = ny * width + nx;
                    if mask[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        areas.push(area);
    }
    areas
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Darkness plane with soft discs of `darkness` at `centres`, radius `r` px.
    fn discs(w: usize, h: usize, centres: &[(f32, f32)], r: f32, darkness: f32) -> Plane {
        let mut p = Plane::filled(w, h, 0.0);
        for y in 0..h {
            for x in 0..w {
                let mut t = 1.0f32;
                for &(cx, cy) in centres {
                    let dist =
                        ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
                    let alpha = (0.5 - (dist - r) / 2.0).clamp(0.0, 1.0);
                    t *= 1.0 - darkness * alpha;
                }
                p.data[y * w + x] = 1.0 - t;
            }
        }
        p
    }

    #[test]
    fn separates_touching_dots_and_keeps_single_ones_whole() {
        let r = 6.0;
        let pair = discs(60, 40, &[(20.0, 20.0), (20.0 + 2.0 * r, 20.0)], r, 0.7);
        assert_eq!(find_dots(&pair, 2.0 * r).dots.len(), 2);
        let triangle = discs(
            60,
            60,
            &[(20.0, 20.0), (32.0, 20.0), (26.0, 20.0 + 10.4)],
            r,
            0.7,
        );
        assert_eq!(find_dots(&triangle, 2.0 * r).dots.len(), 3);
        let single = discs(40, 40, &[(20.0, 20.0)], r, 0.7);
        let map = find_dots(&single, 2.0 * r);
        assert_eq!(map.dots.len(), 1);
        let dot = &map.dots[0];
        assert!((dot.x - 20.0).abs() < 0.3 && (dot.y - 20.0).abs() < 0.3);
        // Half-maximum outline ≈ the disc of radius r.
        let expected = std::f32::consts::PI * r * r;
        assert!(
            (dot.area_px as f32 - expected).abs() < 0.1 * expected,
            "{}",
            dot.area_px
        );
        assert!((dot.core_darkness - 0.7).abs() < 0.02);
    }

    #[test]
    fn a_thin_line_is_a_ridge_not_a_dot() {
        let mut p = Plane::filled(80, 40, 0.0);
        for x in 5..75 {
            for y in 19..21 {
                p.data[y * 80 + x] = 0.7;
            }
        }
        let map = find_dots(&p, 10.0);
        assert!(map.dots.is_empty(), "{:?}", map.dots);
    }

    #[test]
    fn faint_texture_below_the_threshold_is_ignored() {
        let texture = discs(40, 40, &[(20.0, 20.0)], 4.0, MIN_PEAK_DARKNESS * 0.8);
        assert!(find_dots(&texture, 8.0).dots.is_empty());
    }

    #[test]
    fn component_areas_are_8_connected() {
        #[rustfmt::skip]
        let mask = [
            true,  false, false, true,
            false, true,  false, false,
            false, false, false, true,
        ];
        assert_eq!(component_areas(&mask, 4), vec![2, 1, 1]);
    }
}

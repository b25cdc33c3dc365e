//! The blobs of a mask, and how thick each is: the diameter of the widest disc that fits
//! inside it, from the exact Euclidean distance of each of its pixels to the nearest pixel
//! outside it. A dot's is its width; dots grown together into one blob keep a dot's, where
//! their area grows with their number.
//!
//! Written here: `imageproc::distance_transform` works on a whole image (a full-size plane per
//! call, and only L1/L∞ norms); this works on each blob's own bounding box, from its runs.

use std::sync::OnceLock;

use super::components::RunComponents;
use super::groups::Groups;
use super::pieces::most_pieces;

/// The blobs (8-connected components) of a mask of bytes (a pixel is in it when its byte is
/// not 0), in raster order of their first pixel: each one's shape at once, and on demand how
/// thick it is and how many pieces it parts into at the mask's higher levels, each measured in
/// its own bounding box only.
pub struct Blobs<'a> {
    mask: &'a [u8],
    width: usize,
    components: RunComponents,
    shapes: Vec<(u32, u32, u32)>,
    /// The runs' indices grouped by blob (see [`RunComponents::runs_by_component`]): made when
    /// a blob's runs are first asked for.
    grouped: OnceLock<Groups>,
}

impl<'a> Blobs<'a> {
    /// The blobs of `mask` (`width` px per row).
    pub fn in_mask(mask: &'a [u8], width: usize) -> Self {
        let components = RunComponents::find_in_mask(mask, width, true);
        let shapes = components.shapes();
        Blobs {
            mask,
            width,
            components,
            shapes,
            grouped: OnceLock::new(),
        }
    }

    /// Per blob: (area in px, bounding-box width, bounding-box height in px).
    pub fn shapes(&self) -> &[(u32, u32, u32)] {
        &self.shapes
    }

    /// Blob `i`'s runs (row, columns `x0..x1`, half-open), in raster order.
    fn runs(&self, i: usize) -> Vec<(usize, std::ops::Range<usize>)> {
        let grouped = self
            .grouped
            .get_or_init(|| self.components.runs_by_component());
        grouped
            .of(i)
            .iter()
            .map(|&r| self.components.run(r as usize))
            .collect()
    }

    /// The diameter (px) of the widest disc inside blob `i`: 2 d − 1, d the largest Euclidean
    /// distance (px) from one of its pixels to the nearest pixel outside it (a bar 3 px wide
    /// and a line 1 px wide measure 3 and 1; a digital disc 5 px across 4.66, its
    /// stair-stepped edge nearer its centre than its width says).
    pub fn inscribed_px(&self, i: usize) -> f32 {
        inscribed_diameter(&self.runs(i))
    }

    /// The most pieces (8-connected, of at least `pieces::MIN_PIECE_PX` each) that blob `i`
    /// parts into at any one level of the mask above 1 (a pixel is at level k and above when
    /// its byte is ≥ k): at least 1.
    pub fn most_pieces(&self, i: usize) -> u32 {
        most_pieces(&self.runs(i), self.mask, self.width)
    }
}

/// The diameter (px) of the widest disc inside the blob made of `runs` (row, columns
/// `x0..x1`, half-open), as [`Blobs::inscribed_px`]; 0 for no runs.
///
/// The squared distance to the nearest pixel outside, row by row (to the ends of the pixel's
/// run) and then column by column (the lower envelope of parabolas of Felzenszwalb and
/// Huttenlocher, "Distance transforms of sampled functions", 2012): exact, in time linear in
/// the bounding box's pixels.
pub(crate) fn inscribed_diameter(runs: &[(usize, std::ops::Range<usize>)]) -> f32 {
    let Some((x0, y0, w, h)) = box_of(runs) else {
        return 0.0;
    };
    // Squared horizontal distance to the nearest pixel outside the blob, column-major (each
    // column's values together for the second pass); 0 outside.
    let mut squared = vec![0f32; w * h];
    for (y, xs) in runs {
        for x in xs.clone() {
            let d = (x + 1 - xs.start).min(xs.end - x) as f32;
            squared[(x - x0) * h + (y - y0)] = d * d;
        }
    }
    let mut deepest = 0f32;
    let (mut column, mut hull, mut bounds) = (Vec::new(), Vec::new(), Vec::new());
    for values in squared.chunks_exact(h) {
        // Pixels outside the box (0 at rows −1 and h) bound every column from both ends.
        column.clear();
        column.push(0.0);
        column.extend_from_slice(values);
        column.push(0.0);
        deepest = deepest.max(column_envelope_max(&column, &mut hull, &mut bounds));
    }
    2.0 * deepest.sqrt() - 1.0
}

/// The bounding box of `runs` (row, columns `x0..x1`, half-open): its first column and row,
/// its width and height (px); none without runs.
pub(super) fn box_of(
    runs: &[(usize, std::ops::Range<usize>)],
) -> Option<(usize, usize, usize, usize)> {
    let x0 = runs.iter().map(|(_, xs)| xs.start).min()?;
    let x1 = runs.iter().map(|(_, xs)| xs.end).max()?;
    let y0 = runs.iter().map(|(y, _)| *y).min()?;
    let y1 = runs.iter().map(|(y, _)| *y).max()? + 1;
    Some((x0, y0, x1 - x0, y1 - y0))
}

/// The largest, over the samples `i` where `f[i]` > 0, of minⱼ ((i − j)² + f[j]): the squared
/// distance to the nearest outside pixel, given the squared horizontal distances `f` of a
/// column (0 outside the blob). `hull` and `bounds` are buffers (contents do not matter).
fn column_envelope_max(f: &[f32], hull: &mut Vec<usize>, bounds: &mut Vec<f32>) -> f32 {
    // The lower envelope of the parabolas (i − j)² + f[j] (Felzenszwalb–Huttenlocher).
    hull.clear();
    bounds.clear();
    let meet = |p: usize, q: usize| -> f32 {
        let (p2, q2) = ((p * p) as f32, (q * q) as f32);
        ((f[q] + q2) - (f[p] + p2)) / (2.0 * (q as f32 - p as f32))
    };
    for q in 0..f.len() {
        while let Some(&p) = hull.last() {
            if hull.len() > 1 && meet(p, q) <= bounds[bounds.len() - 1] {
                hull.pop();
                bounds.pop();
            } else {
                break;
            }
        }
        if let Some(&p) = hull.last() {
            bounds.push(meet(p, q));
        }
        hull.push(q);
    }
    let mut k = 0;
    let mut deepest = 0f32;
    for (i, &fi) in f.iter().enumerate() {
        while k < bounds.len() && bounds[k] < i as f32 {
            k += 1;
        }
        if fi > 0.0 {
            let j = hull[k];
            let d = (i as f32 - j as f32).powi(2) + f[j];
            deepest = deepest.max(d);
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::pieces::tests::runs_where as runs_of;

    /// The largest distance to an outside pixel, by brute force.
    fn brute(w: usize, h: usize, inside: &impl Fn(usize, usize) -> bool) -> f32 {
        let (w, h) = (w as isize, h as isize);
        let is_in = |x: isize, y: isize| {
            x >= 0 && y >= 0 && x < w && y < h && inside(x as usize, y as usize)
        };
        let mut deepest = 0f32;
        for y in 0..h {
            for x in 0..w {
                if !is_in(x, y) {
                    continue;
                }
                let mut nearest = f32::INFINITY;
                for yy in -1..=h {
                    for xx in -1..=w {
                        if !is_in(xx, yy) {
                            nearest =
                                nearest.min((((x - xx).pow(2) + (y - yy).pow(2)) as f32).sqrt());
                        }
                    }
                }
                deepest = deepest.max(nearest);
            }
        }
        2.0 * deepest - 1.0
    }

    /// A bar and a line measure their width; a digital disc a little under its own (its
    /// stair-stepped edge brings the nearest outside pixel within 2√2 px of the centre of a
    /// disc 5 px across: 2 · 2.83 − 1 = 4.66).
    #[test]
    fn discs_bars_and_lines_measure_their_width() {
        let disc = |x: usize, y: usize| (x as f32 - 7.0).hypot(y as f32 - 7.0) <= 2.5;
        let d = inscribed_diameter(&runs_of(15, 15, disc));
        assert_eq!(d, 2.0 * 8f32.sqrt() - 1.0);
        let bar = |_x: usize, y: usize| (4..7).contains(&y);
        assert_eq!(inscribed_diameter(&runs_of(20, 12, bar)), 3.0);
        let line = |x: usize, y: usize| x == y;
        assert_eq!(inscribed_diameter(&runs_of(9, 9, line)), 1.0);
        assert_eq!(inscribed_diameter(&[]), 0.0);
    }

    /// Five discs 7 px across in a row, touching (centres 7 px apart): the row, 35 px long,
    /// is as thick as one of them.
    #[test]
    fn a_row_of_touching_dots_is_as_thick_as_one() {
        let disc_at = |cx: f32, x: usize, y: usize| (x as f32 - cx).hypot(y as f32 - 4.0) <= 3.5;
        let row = |x: usize, y: usize| (0..5).any(|k| disc_at(4.0 + 7.0 * k as f32, x, y));
        let one = |x: usize, y: usize| disc_at(4.0, x, y);
        let d = inscribed_diameter(&runs_of(40, 9, row));
        assert_eq!(d, inscribed_diameter(&runs_of(9, 9, one)));
        assert!((6.0..7.0).contains(&d), "{d} px");
    }

    #[test]
    fn the_envelope_is_the_brute_force_distance() {
        let mut rng = crate::synth::SplitMix64::new(11);
        for _ in 0..200 {
            let (w, h) = (
                1 + (rng.uniform(0.0, 14.0) as usize),
                1 + (rng.uniform(0.0, 14.0) as usize),
            );
            let bits: Vec<bool> = (0..w * h).map(|_| rng.uniform(0.0, 1.0) < 0.75).collect();
            let inside = |x: usize, y: usize| bits[y * w + x];
            let runs = runs_of(w, h, inside);
            if runs.is_empty() {
                continue;
            }
            assert_eq!(
                inscribed_diameter(&runs),
                brute(w, h, &inside),
                "{w}×{h}: {bits:?}"
            );
        }
    }
}

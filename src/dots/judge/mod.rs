//! Dot or hair: which territories are dots, judged by how wide they are (the inscribed radius
//! of their outline and of the dark network they belong to), whether they lie on a ridge or a
//! hair line, and, once opened, their shape.
//!
//! With a known scale the limits are physical ([`HAIR_HALF_WIDTH_MM`], [`FAT_HALF_WIDTH_MM`]);
//! without one, fractions of the typical (median) round territory's width.

use rayon::prelude::*;

use super::blobs::Candidate;
use super::outline::{self, Components, Networks};
use super::shapes::Shape;
use super::{
    FAT_HALF_WIDTH_MM, HAIR_HALF_WIDTH_MM, MAX_AREA_PER_INSCRIBED_DISC, MAX_ELONGATION,
    MAX_NETWORK_HALF_WIDTH_RATIO, MIN_FAT_HALF_WIDTH_PX, MIN_HALF_WIDTH_RATIO,
    MIN_RIDGE_HALF_WIDTH_RATIO, OPENING_RADIUS_FRACTION, SOLID_PIGMENT_TERRITORY,
};
use crate::quantile::quantile;

/// Each territory's own half-width (px): its fattest point, the largest of `inside` (the
/// distance to the nearest pixel outside every outline, per member of each outline component
/// of `components`) over its pixels, less half a pixel; 0 for a territory with no outlined
/// pixel. `labels` gives each pixel's territory (1-based), `n` the number of territories.
///
/// Outline components in parallel, each task taking maxima into its own array, the arrays
/// then merged by maximum: the order changes nothing. (Hairs can join thousands of
/// territories into one component, so no per-component search among its territories.)
pub(super) fn own_half_widths(
    components: &Components,
    inside: &[Vec<f32>],
    labels: &[u32],
    n: usize,
) -> Vec<f32> {
    components
        .members
        .par_iter()
        .zip(inside)
        .fold(
            || vec![0f32; n],
            |mut own_width, (members, dist)| {
                for (&i, &v) in members.iter().zip(dist) {
                    let k = labels[i as usize] as usize - 1;
                    own_width[k] = own_width[k].max(v - 0.5);
                }
                own_width
            },
        )
        .reduce(
            || vec![0f32; n],
            |mut a, b| {
                for (w, other) in a.iter_mut().zip(b) {
                    *w = w.max(other);
                }
                a
            },
        )
}

/// The widths that tell dots from hair in one photo, and the limits they are held to.
pub(super) struct Judge {
    /// Per territory: its own half-width (px, see [`own_half_widths`]).
    own_width: Vec<f32>,
    /// Per territory: the larger of its own half-width and the depth of its centre in the dark
    /// network as a whole (px).
    half_width: Vec<f32>,
    /// The typical round territory's own half-width (px): the median over those off ridges and
    /// off hair lines (over all round ones if none is off a line).
    typical: f32,
    /// Half-width (px) under which a piece is hair, with a scale ([`HAIR_HALF_WIDTH_MM`]); 0
    /// without one.
    always_hair: f32,
    /// Half-width (px) from which a piece is never hair, with a scale ([`FAT_HALF_WIDTH_MM`],
    /// at least [`MIN_FAT_HALF_WIDTH_PX`]); infinite without one.
    never_hair: f32,
    /// The dot diameter (px) the photo was sized by.
    diameter_px: f32,
    /// The scale (px/mm), when known.
    px_per_mm: Option<f32>,
}

impl Judge {
    /// The judge of the territories of `peaks` (one each), with their own half-widths
    /// `own_width` (px) and `networks` (queried at their centres), for a photo sized at
    /// `diameter_px` (px) at `px_per_mm`, when known. `on_hair_line` (one per peak) says which
    /// peaks' cores lie on a hair line: those never set the typical width.
    pub(super) fn new(
        own_width: Vec<f32>,
        networks: &Networks,
        peaks: &[Candidate],
        on_hair_line: &[bool],
        diameter_px: f32,
        px_per_mm: Option<f32>,
    ) -> Self {
        // For telling dots from hairs, also the depth of the centre in the dark structure as a
        // whole: a small dot overlapping a larger one's edge loses most of its territory to
        // the watershed but still sits deep in pigment, while a hair is thin either way.
        let half_width: Vec<f32> = own_width
            .iter()
            .enumerate()
            .map(|(k, own)| own.max(networks.inside[k] - 0.5))
            .collect();
        // The typical dot: round candidates off hair lines only (hair pieces must not set the
        // standard). Where stubble is dense, the pieces the watershed cuts from its shafts are
        // round candidates too, and on their own lines: counted in, they outnumbered the dots
        // and pulled the median down to a shaft's width, which then passed them for dots (at
        // 95 stubble shafts per cm², +43% of the count). Only if every round candidate lies on a
        // hair line are they all counted.
        let round = |k: usize| own_width[k] > 0.0 && !peaks[k].ridge;
        let mut widths: Vec<f32> = (0..peaks.len())
            .filter(|&k| round(k) && !on_hair_line[k])
            .map(|k| own_width[k])
            .collect();
        if widths.is_empty() {
            widths = (0..peaks.len())
                .filter(|&k| round(k))
                .map(|k| own_width[k])
                .collect();
        }
        let typical = quantile(&mut widths, 0.5);
        let (always_hair, never_hair): (f32, f32) = match px_per_mm {
            Some(s) => (
                HAIR_HALF_WIDTH_MM * s,
                (FAT_HALF_WIDTH_MM * s).max(MIN_FAT_HALF_WIDTH_PX),
            ),
            None => (0.0, f32::INFINITY),
        };
        Judge {
            own_width,
            half_width,
            typical,
            always_hair,
            never_hair,
            diameter_px,
            px_per_mm,
        }
    }

    /// Per territory of `peaks`: whether it may be a dot, judged by width before the opening
    /// (false: hair or stubble). `networks` are queried at the peaks; `on_hair_line` says which
    /// peaks' cores lie on a hair line.
    pub(super) fn may_be_dot(
        &self,
        networks: &Networks,
        peaks: &[Candidate],
        on_hair_line: &[bool],
    ) -> Vec<bool> {
        let (typical, always_hair, never_hair) = (self.typical, self.always_hair, self.never_hair);
        let px_per_mm = self.px_per_mm;
        // Whole networks of dark pixels whose fattest point is thinner than a typical dot, yet
        // which spread far beyond that inscribed disc, are hair however the watershed split
        // them: a chain of short stubble pieces can look compact piece by piece.
        // With a scale the limit is physical (hair of any clump is thinner than an
        // impression), and holds even where there are no dots to compare with; without one,
        // the typical dot.
        let network_limit = if never_hair.is_finite() {
            never_hair
        } else {
            MAX_NETWORK_HALF_WIDTH_RATIO * typical
        };
        let in_hair_network: Vec<bool> = networks
            .id
            .iter()
            .map(|&id| {
                id != 0 && {
                    let (area, fattest) = networks.size[id as usize - 1];
                    let disc = std::f64::consts::PI * f64::from(fattest + 0.5).powi(2);
                    fattest < network_limit && f64::from(area) > MAX_AREA_PER_INSCRIBED_DISC * disc
                }
            })
            .collect();
        // On a hair line the standard is the larger of the candidates' typical width and the
        // dot size the photo was sized by: where large solid pigment sets the size (bars,
        // blown-out patches) its territories are cut small, and hair crossings beside it must
        // still read thin.
        let typical_for_hair = typical.max(SOLID_PIGMENT_TERRITORY * 0.5 * self.diameter_px);
        // The narrowest round piece that can be a dot: half the smallest impression (px).
        let min_round_half_width =
            px_per_mm.map_or(0.0, |s| 0.5 * crate::measure::MIN_DOT_MM as f32 * s);
        self.half_width
            .iter()
            .zip(&self.own_width)
            .zip(peaks)
            .zip(in_hair_network.iter().zip(on_hair_line))
            .map(|(((w, own), c), (&in_network, &on_line))| {
                // A thin network is hair, except (with a scale) a round piece of it at least as
                // wide as the widest hair: a fine dot that a hair touches (its network is no
                // fatter).
                let hair = in_network && (c.ridge || px_per_mm.is_none() || *own < always_hair);
                // On a hair line, only a piece clearly narrower than a typical dot is hair: a
                // dot that a hair crosses keeps its full width.
                if hair || (on_line && *w < MIN_RIDGE_HALF_WIDTH_RATIO * typical_for_hair) {
                    return false;
                }
                if c.ridge {
                    // A ridge on a hair line that is no wider than the optics spread any hair
                    // to is hair, however it compares with the dots: at coarse scales (under
                    // ≈ 23 px/mm, where a hair's width is fewer pixels than that) a hair's
                    // pieces are as wide as the typical dot, and were counted as a chain of
                    // dots along it.
                    let thinnest = if on_line {
                        always_hair.max(MIN_FAT_HALF_WIDTH_PX)
                    } else {
                        always_hair
                    };
                    *w >= thinnest
                        && (*w >= never_hair || *w >= MIN_RIDGE_HALF_WIDTH_RATIO * typical)
                } else if px_per_mm.is_some() {
                    // A round blob as wide as the smallest impression is a dot, however small
                    // beside the others (fresh touch-ups sit beside blown-out dots twice their
                    // size and more) and however close to a hair's width (fine healed dots
                    // are).
                    *w >= if on_line {
                        always_hair
                    } else {
                        min_round_half_width
                    }
                } else {
                    *w > 0.0 && *w >= MIN_HALF_WIDTH_RATIO * typical
                }
            })
            .collect()
    }

    /// Per territory: its own half-width (px, see [`own_half_widths`]).
    pub(super) fn own_widths(&self) -> &[f32] {
        &self.own_width
    }

    /// Per territory: the radius (px) of the disc its outline is opened by,
    /// [`OPENING_RADIUS_FRACTION`] of its own half-width. On a hair line (`on_hair_line`), a
    /// piece wider than any hair is opened by at least a hair's half-width: a fine dot is
    /// barely twice as wide as the stubble crossing it, and an opening of half its own width
    /// would leave the hair's arms on it (and the shape test call it hair).
    pub(super) fn opening_radii(&self, on_hair_line: &[bool]) -> Vec<f32> {
        self.own_width
            .iter()
            .zip(on_hair_line)
            .map(|(&w, &on_line)| {
                let radius = OPENING_RADIUS_FRACTION * w;
                if on_line && w >= self.always_hair {
                    radius.max(self.always_hair)
                } else {
                    radius
                }
            })
            .collect()
    }

    /// Clears `keep` for each territory whose opened outline (`shapes`) is too small for a dot
    /// (with a scale, under [`crate::measure::MIN_DOT_MM`] across), or, unless it is fat
    /// enough never to be hair, too elongated ([`MAX_ELONGATION`]) or spread too far beyond
    /// its inscribed disc ([`MAX_AREA_PER_INSCRIBED_DISC`]).
    pub(super) fn drop_misshapen(&self, keep: &mut [bool], shapes: &[Shape]) {
        let min_dot_area = self.px_per_mm.map_or(0.0, |s| {
            std::f64::consts::PI * (0.5 * crate::measure::MIN_DOT_MM * f64::from(s)).powi(2)
        });
        for (k, keep) in keep.iter_mut().enumerate() {
            // With a scale, nothing under the smallest impression's size is a dot (pores,
            // specks of hair lying in a dot's halo).
            if *keep && shapes[k].moments[0] < min_dot_area {
                *keep = false;
            }
            let disc = std::f64::consts::PI * f64::from(self.own_width[k] + 0.5).powi(2);
            if *keep
                && self.half_width[k] < self.never_hair
                && (outline::elongation(&shapes[k].moments) > MAX_ELONGATION
                    || shapes[k].moments[0] > MAX_AREA_PER_INSCRIBED_DISC * disc)
            {
                *keep = false;
            }
        }
    }
}

#[cfg(test)]
mod tests;

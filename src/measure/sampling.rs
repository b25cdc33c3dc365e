//! Per-dot samples: each counted dot's core (mean colour over a small disc at its centre) and
//! the skin ring around it (median colour of the pixels between [`dots::RING_INNER_RADII`] and
//! [`dots::RING_OUTER_RADII`] of its radius that no dot's outline nor hair covers and that are
//! light), read from the photo.
//!
//! Which pixels are skin is told from the dots' outlines and the denoised photo, never from a
//! pixel's own value alone: on dark skin, where a phone's sensor noise is large against the
//! skin's luminance, a ring that left out the pixels that the noise darkened (into the bound on
//! darkness, or into a dot's territory, which floods to a low floor) read the skin light, and
//! every dot too dark by 0.02–0.06.

use rayon::prelude::*;

use super::light::LightBits;
use crate::color::{lab_from_linear, LuminanceSource};
use crate::dots::{self, Cover, DotMap};
use crate::flatten::{darkness_at, SkinLookup};
use crate::measure::DotSample;
use crate::plane::for_each_run_in_ring;
#[cfg(test)]
use crate::plane::Plane;
use crate::prefetch::prefetch_square;
use crate::quantile::quantile;
use crate::region::Region;

/// The samples of the dots `counted` (indices into `map.dots`) of the window `crop` of the
/// photo read by `y`, with `light` the pixels lighter than [`dots::RING_EXCLUDE_DARKNESS`]
/// (judged on the denoised photo),
/// the skin field `skin` and the dot scale `dot_scale` (px), in the order of `counted`,
/// positions in image px.
///
/// Sampled in raster order of the dots' peaks, then put back in the dots' order (strongest
/// first, which is scattered over the photo): neighbouring dots read overlapping rows of the
/// photo, D and the cover, which then are still in cache (in the dots' order nearly every
/// ring row was a miss to memory).
pub(super) fn sample_dots(
    crop: Region,
    y: &LuminanceSource,
    light: &LightBits,
    skin: &SkinLookup,
    map: &DotMap,
    counted: &[usize],
    dot_scale: f64,
) -> Vec<DotSample> {
    let mut by_position: Vec<usize> = (0..counted.len()).collect();
    by_position.sort_unstable_by_key(|&j| {
        let (x, y) = map.dots[counted[j]].peak;
        (y, x)
    });
    let sampled: Vec<DotSample> = by_position
        .par_iter()
        .enumerate()
        .map_init(RingScratch::default, |scratch, (at, &j)| {
            if let Some(&ahead) = by_position.get(at + PREFETCH_DOTS_AHEAD) {
                prefetch_ring(y, light, map, counted[ahead]);
            }
            sample_dot(crop, y, (light, skin), map, counted[j], dot_scale, scratch)
        })
        .collect();
    let mut dots: Vec<Option<DotSample>> = vec![None; counted.len()];
    for (sample, &j) in sampled.into_iter().zip(&by_position) {
        dots[j] = Some(sample);
    }
    dots.into_iter().flatten().collect()
}

/// How many dots ahead (in sampling order) [`prefetch_ring`] hints a dot's rings.
const PREFETCH_DOTS_AHEAD: usize = 2;

/// Hints the cache lines that sampling dot `k` of `map` will read: the square around its
/// first ring (see [`sample_dot`]), in the photo (through `y`), the cover and `light`.
/// Sampling is bound by misses on those rows: each ring row is a short run in a different place
/// of each, which the CPU's own prefetchers do not guess.
fn prefetch_ring(y: &LuminanceSource, light: &LightBits, map: &DotMap, k: usize) {
    let dot = &map.dots[k];
    let radius = (f64::from(dot.area_px) / std::f64::consts::PI).sqrt();
    let reach = (dots::RING_OUTER_RADII as f64 * radius + 1.0).ceil() as usize;
    let (cx, cy) = (dot.x as usize, dot.y as usize);
    prefetch_square(&map.cover, y.width, (cx, cy), reach);
    let columns = cx.saturating_sub(reach)..(cx + reach + 1).min(y.width);
    for row in cy.saturating_sub(reach)..(cy + reach + 1).min(y.height) {
        light.prefetch_run(row, columns.clone());
        y.prefetch_run(row, columns.clone());
    }
}

/// A skin-ring pixel: (luminance Y, linear RGB), 0..1.
type RingSample = (f32, [f32; 3]);
/// A skin-ring pixel of a photo with 8-bit channels: (luminance Y, 0..1; its sRGB channel
/// codes, see [`crate::color::linear_from_u8`]).
type CodedRingSample = (f32, [u8; 3]);

/// A thread's buffers for [`sample_dot`], reused from dot to dot: the ring's samples (coded
/// for a photo with 8-bit channels, else decoded) and one of their values at a time for its
/// median.
#[derive(Default)]
struct RingScratch {
    ring: Vec<RingSample>,
    coded: Vec<CodedRingSample>,
    values: Vec<f32>,
}

impl RingScratch {
    /// Number of ring samples held.
    fn len(&self) -> usize {
        self.ring.len() + self.coded.len()
    }

    /// The median skin luminance and linear RGB of the ring's samples (0..1). An 8-bit
    /// channel's median is counted over its 256 codes (see [`crate::quantile::quantile_of_codes`]):
    /// the same value, without three selects per dot (they were a quarter of the sampling's
    /// time).
    fn medians(&mut self) -> (f32, [f32; 3]) {
        let values = &mut self.values;
        values.clear();
        values.extend(self.ring.iter().map(|s| s.0));
        values.extend(self.coded.iter().map(|s| s.0));
        let skin_y = quantile(values, 0.5);
        let channels = if self.ring.is_empty() {
            [0, 1, 2].map(|c| {
                let codes = self.coded.iter().map(|s| s.1[c]);
                crate::color::linear_from_u8(crate::quantile::quantile_of_codes(codes, 0.5))
            })
        } else {
            [0, 1, 2].map(|c| {
                values.clear();
                values.extend(self.ring.iter().map(|s| s.1[c]));
                quantile(values, 0.5)
            })
        };
        (skin_y, channels)
    }
}

/// Core and skin-ring samples of dot `k` of `map` (crop coordinates), as a [`DotSample`] in
/// image coordinates.
fn sample_dot(
    crop: Region,
    y: &LuminanceSource,
    (light, skin): (&LightBits, &SkinLookup),
    map: &DotMap,
    k: usize,
    dot_scale: f64,
    scratch: &mut RingScratch,
) -> DotSample {
    let dot = &map.dots[k];
    let radius = (f64::from(dot.area_px) / std::f64::consts::PI)
        .sqrt()
        .max(0.5);
    let core_radius = (dots::CORE_RADIUS_DIAMETERS as f64 * dot_scale).max(0.5);
    let (cx, cy) = (dot.x.floor() as usize, dot.y.floor() as usize);
    // The core lies at the dot's centre (its darkness-weighted centroid), where that pixel is
    // the dot's; else (a crescent, a dot whose pieces a hair cut apart) at the pixel it was
    // detected at. The detection's pixel is the darkest of the dot's smoothed plane, so its
    // own noise helped choose it: on dark skin at 15 px/mm, read there the cores of faint dots
    // were 0.01–0.03 too dark.
    let centre_is_the_dots =
        cx < y.width && cy < y.height && map.labels[cy * y.width + cx] == k as u32 + 1;
    let (px, py) = if centre_is_the_dots && !dot.beside_hair {
        (cx, cy)
    } else {
        dot.peak
    };

    // Core: mean linear RGB and luminance over a small disc at the centre. A faint dot whose
    // peak lies on a darker hair crossing it (`beside_hair`) is sampled over its hair-line disc
    // around its peak, at the pixels whose darkness is the dot's (see `beside_hair_band`), not
    // the hair's.
    let (radius_read, band) = if dot.beside_hair {
        let radius = dots::hair_line_disc_radius(dot.scale_px);
        (f64::from(radius), Some(beside_hair_band(dot.core_darkness)))
    } else {
        (core_radius, None)
    };
    let read_core = |band: Option<(f32, f32)>| {
        let mut core_rgb = [0f64; 3];
        let mut core_y = 0f64;
        let mut n = 0u32;
        for_each_run_in_ring((px, py), 0.0, radius_read, (y.width, y.height), |yy, xs| {
            y.for_each_rgb_and_y_in_run(yy, xs, |x, rgb, lum| {
                if let Some((low, high)) = band {
                    let d = darkness_at(lum, skin.at(x, yy));
                    if !(low..=high).contains(&d) {
                        return;
                    }
                }
                for c in 0..3 {
                    core_rgb[c] += f64::from(rgb[c]);
                }
                core_y += f64::from(lum);
                n += 1;
            });
        });
        (core_rgb, core_y, n)
    };
    let (mut core_rgb, mut core_y, mut n) = read_core(band);
    if n == 0 && band.is_some() {
        // No pixel of the disc in the band (the skin field moved under it): the whole disc.
        (core_rgb, core_y, n) = read_core(None);
    }
    let n = f64::from(n.max(1));
    let core_rgb = core_rgb.map(|v| (v / n) as f32);
    let core_y = core_y / n;

    // Skin ring: bare (no dot's outline, no hair), light pixels between RING_INNER and
    // RING_OUTER radii.
    ring_samples(
        y,
        light,
        &map.cover,
        (cx, cy),
        dots::RING_INNER_RADII as f64 * radius,
        dots::RING_OUTER_RADII as f64 * radius + 1.0,
        scratch,
    );
    if scratch.len() < dots::MIN_RING_PIXELS {
        ring_samples(
            y,
            light,
            &map.cover,
            (cx, cy),
            dots::RING_OUTER_RADII as f64 * radius,
            2.0 * dots::RING_OUTER_RADII as f64 * radius + 2.0,
            scratch,
        );
    }
    let skin_from_ring = scratch.len() >= dots::MIN_RING_PIXELS;
    let (skin_y, skin_rgb) = if skin_from_ring {
        let (skin_y, channels) = scratch.medians();
        (f64::from(skin_y), channels)
    } else {
        // Skin field at the centre: S = Y / (1 − D).
        let (x, yy) = (cx.min(y.width - 1), cy.min(y.height - 1));
        let lum = y.get(x, yy);
        let d = darkness_at(lum, skin.at(x, yy));
        let s = f64::from(lum) / (1.0 - f64::from(d)).max(1e-6);
        (s, [s as f32; 3])
    };
    let darkness = if skin_y > 0.0 {
        1.0 - core_y / skin_y
    } else {
        0.0
    };
    DotSample {
        x: dot.x + f64::from(crop.x),
        y: dot.y + f64::from(crop.y),
        diameter_px: 2.0
            * ((f64::from(dot.area_px) + f64::from(dot.outline_pull_px)) / std::f64::consts::PI)
                .sqrt(),
        darkness,
        core_lab: lab_from_linear(core_rgb),
        skin_lab: lab_from_linear(skin_rgb),
        skin_from_ring,
    }
}

/// The darkness (D, 0..1) of the pixels sampled as the core of a faint dot whose darkness
/// beside the darker hair crossing it is `beside` (its `core_darkness`): from half of it (the
/// dot's edge, skin beyond) to `beside` / [`dots::CROSSED_DOT_MAX_RATIO`] (the least dark the
/// hair's core can be), so the dot's plateau and not the hair.
fn beside_hair_band(beside: f32) -> (f32, f32) {
    (
        dots::HALF_MAX * beside,
        beside / dots::CROSSED_DOT_MAX_RATIO,
    )
}

/// The skin pixels ([`Cover::Bare`] in `cover`, set in `light`: lighter than
/// [`dots::RING_EXCLUDE_DARKNESS`]) in the annulus `inner..outer` px around `centre`, in
/// raster order, into `out` (both lists cleared first): (luminance, sRGB codes) into
/// `out.coded` for a photo with 8-bit channels, else (luminance, linear RGB) into `out.ring`.
fn ring_samples(
    y: &LuminanceSource,
    light: &LightBits,
    cover: &[Cover],
    centre: (usize, usize),
    inner: f64,
    outer: f64,
    out: &mut RingScratch,
) {
    out.ring.clear();
    out.coded.clear();
    for_each_run_in_ring(centre, inner, outer, (y.width, y.height), |yy, xs| {
        let row = yy * y.width;
        let cover = &cover[row..row + y.width];
        let skin = |x: usize| cover[x] == Cover::Bare && light.get(x, yy);
        let coded = y.for_each_code_and_y_in_run(yy, xs.clone(), |x, codes, lum| {
            if skin(x) {
                out.coded.push((lum, codes));
            }
        });
        if !coded {
            y.for_each_rgb_and_y_in_run(yy, xs, |x, rgb, lum| {
                if skin(x) {
                    out.ring.push((lum, rgb));
                }
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::DynamicImage;

    /// The ring's samples, read a run at a time, are the per-pixel walk's: the same pixels (the
    /// cover and darkness of each pixel's own row and column, never a neighbour's), the same
    /// values bit for bit, in the same order, rings clipped at the window's edges included. For
    /// every kind of photo: 8-bit colour, colour with alpha, grey and grey with alpha (their
    /// samples coded: a grey code three times), 16-bit colour and float colour (decoded, the
    /// latter from the luminance plane it keeps).
    #[test]
    fn ring_samples_are_the_per_pixel_walks() {
        let mut rng = crate::synth::SplitMix64::new(17);
        let (iw, ih) = (40u32, 30u32);
        let mut channel = || rng.uniform(0.0, 1.0);
        let rgb8 = image::RgbImage::from_fn(iw, ih, |_, _| {
            image::Rgb([0, 1, 2].map(|_| (channel() * 255.0) as u8))
        });
        // Alpha random too: it must never be read as a colour.
        let rgba8 = image::RgbaImage::from_fn(iw, ih, |_, _| {
            image::Rgba([0, 1, 2, 3].map(|_| (channel() * 255.0) as u8))
        });
        let luma_a8 = image::GrayAlphaImage::from_fn(iw, ih, |_, _| {
            image::LumaA([0, 1].map(|_| (channel() * 255.0) as u8))
        });
        // Every 16-bit code, not only 8-bit ones scaled up.
        let rgb16 = image::ImageBuffer::from_fn(iw, ih, |_, _| {
            image::Rgb([0, 1, 2].map(|_| (channel() * 65535.0) as u16))
        });
        let rgb32f = image::Rgb32FImage::from_fn(iw, ih, |_, _| {
            image::Rgb([0, 1, 2].map(|_| channel() as f32))
        });
        let rgb8 = DynamicImage::ImageRgb8(rgb8);
        // (photo, whether its samples are coded)
        let photos = [
            (DynamicImage::ImageLuma8(rgb8.to_luma8()), true),
            (rgb8, true),
            (DynamicImage::ImageRgba8(rgba8), true),
            (DynamicImage::ImageLumaA8(luma_a8), true),
            (DynamicImage::ImageRgb16(rgb16), false),
            (DynamicImage::ImageRgb32F(rgb32f), false),
        ];
        for (image, coded) in &photos {
            assert_ring_samples_are_the_per_pixel_walks(image, *coded, &mut rng);
        }
    }

    /// [`ring_samples`] of rings inside, and clipped at the edges of, a window off the origin
    /// of `image`, against the per-pixel walk of [`LuminanceSource::rgb_and_y`]: bit for bit,
    /// in `coded` (decoded) for an 8-bit photo, else in `ring`.
    fn assert_ring_samples_are_the_per_pixel_walks(
        image: &DynamicImage,
        coded: bool,
        rng: &mut crate::synth::SplitMix64,
    ) {
        let kind = image.color();
        // A window off the image's origin, so that window and image coordinates differ.
        let rect = Region {
            x: 3,
            y: 2,
            width: 31,
            height: 23,
        };
        let (w, h) = (rect.width as usize, rect.height as usize);
        let (plane, _) = crate::color::luminance(image, rect);
        let y = LuminanceSource::new(image, rect, plane);
        let cover: Vec<Cover> = (0..w * h)
            .map(|i| match i % 7 {
                0 => Cover::Dot,
                3 => Cover::Hair,
                _ => Cover::Bare,
            })
            .collect();
        let d = Plane {
            width: w,
            height: h,
            data: (0..w * h).map(|_| rng.uniform(-0.05, 0.2) as f32).collect(),
        };
        let bits = |v: &[RingSample]| -> Vec<[u32; 4]> {
            v.iter()
                .map(|(l, c)| [l.to_bits(), c[0].to_bits(), c[1].to_bits(), c[2].to_bits()])
                .collect()
        };
        let mut ring = RingScratch::default();
        for (centre, inner, outer) in [
            ((15, 11), 3.0, 7.0),
            ((1, 1), 2.0, 6.5),
            ((29, 21), 0.0, 4.0),
        ] {
            let light = LightBits::below(&d, dots::RING_EXCLUDE_DARKNESS);
            ring_samples(&y, &light, &cover, centre, inner, outer, &mut ring);
            let mut expected = Vec::new();
            crate::plane::for_each_in_ring(centre, inner, outer, (w, h), |x, yy| {
                let i = yy * w + x;
                if cover[i] == Cover::Bare && d.data[i] < dots::RING_EXCLUDE_DARKNESS {
                    let (rgb, lum) = y.rgb_and_y(x, yy);
                    expected.push((lum, rgb));
                }
            });
            assert!(
                expected.len() > 5,
                "{kind:?}: the ring at {centre:?} has skin to sample"
            );
            let samples: Vec<RingSample> = if coded {
                // An 8-bit photo's samples are coded: decoded, the same values.
                assert!(ring.ring.is_empty(), "{kind:?} is read as codes");
                ring.coded
                    .iter()
                    .map(|&(lum, codes)| (lum, codes.map(crate::color::linear_from_u8)))
                    .collect()
            } else {
                assert!(ring.coded.is_empty(), "{kind:?} has no codes");
                ring.ring.clone()
            };
            assert_eq!(
                bits(&samples),
                bits(&expected),
                "{kind:?}: ring at {centre:?}"
            );
        }
    }
}

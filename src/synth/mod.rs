//! Ground-truth synthetic SMP scenes.
//!
//! A [`Scene`] is a patch of scalp described in **millimetres**: skin, the
//! pigment [`Dot`]s of one or more sessions, and [`Hair`]s/stubble lying on
//! it. A [`Camera`] frames it (px/mm scale, centre, rotation), so the same
//! scalp can be photographed differently at each visit. [`render`] produces
//! the 8-bit sRGB photo; [`truth`] computes, from the geometry alone, what a
//! perfect measurement of an image region would report.
//!
//! # Physical model (all in linear light, 0..1)
//!
//! For the pixel centred at `p` (px), with scalp point `q = camera.to_mm(p)`:
//!
//! ```text
//! I_c(p) = skin_c · wb_c · L(p) · M(q) · Π_dots (1 − d_c·α_dot) · Π_hairs (1 − darkness·coverage)
//!          + sheen(p) · wb_c · L(p)
//! ```
//!
//! * `skin_c`: the skin's base colour decoded from sRGB; `M(q)` its grey
//!   mottling / pores / texture multiplier, a hash-noise function of `q` and
//!   [`Scene::seed`] ([`Skin`]).
//! * Where a [`Scar`] lies, `skin_c` blends into the scar tissue's colour and `M(q)`'s
//!   deviation from 1 is halved at most. The dots' absorptions are solved against the skin's
//!   base colour: on a scar an untinted dot keeps its darkness exactly, a tinted one within
//!   the tint's weighting of the channels.
//! * `wb_c`, `L(p)`: white balance gains and exposure × gradient × vignette
//!   ([`Lighting`]), functions of the image position.
//! * `α_dot`: the dot's alpha, 1 in the core, 0.5 exactly on its outline,
//!   0 beyond the halo ([`Dot`]), averaged over the pixel's area near crisp
//!   edges. Transmittances multiply, i.e. optical densities add.
//! * `d_c`: per-channel absorption solved so that the core's **luminance**
//!   darkness `1 − Y(core)/Y(skin)` (Rec. 709 `Y`) equals [`Dot::darkness`]
//!   exactly against the lit skin, whatever the pigment's tint.
//! * Hairs are neutral absorbers drawn with 1-px box-filtered edges.
//! * `sheen(p)`: an optional specular highlight ([`Sheen`], in [`Lighting`]), light reflected
//!   by the skin's surface in the light's colour, added over pigment and hair alike.
//!
//! Then [`Optics`]: Gaussian defocus, brightness-dependent sensor noise,
//! clipping, exact sRGB encoding, ISP unsharp masking, 8-bit quantisation.
//!
//! # Determinism
//!
//! No `rand`: [`SplitMix64`] drives placement, and all spatial noise is a
//! hash of lattice coordinates and a seed. Rendering is parallel over fixed
//! bands of rows, and every pixel's value is computed by the same sequence of
//! operations whatever the rayon thread count, so the same scene gives
//! byte-identical images.

mod camera;
mod clusters;
mod dots;
mod exif;
mod hair;
mod optics;
mod placement;
mod rng;
mod scar;
mod series;
mod skin;

pub use camera::Camera;
pub use clusters::{place_touching_clusters, TOUCHING_DISTANCE};
pub use dots::{
    Dot, ASPECT_MAX, IRREGULARITY_MAX, LUMA, SOFTNESS_MAX, SOFTNESS_MIN, TINT_ABSORPTION,
};
pub use exif::{encode_jpeg, encode_png, oriented_jpeg, store_with_orientation, ExifTags};
pub use hair::{
    place_hairs, Hair, HAIR_DARKNESS, HAIR_LENGTH_MM, HAIR_WIDTH_MM, STUBBLE_DARKNESS,
    STUBBLE_LENGTH_MM, STUBBLE_WIDTH_MM,
};
pub use optics::{
    linear_to_srgb, srgb_to_linear, Lighting, Optics, Sheen, READ_NOISE_REL, SHARPEN_SIGMA_PX,
};
pub use placement::{
    dots_separated, fade, place_dots, DotParams, NO_STACK_FACTOR, PLACEMENT_ATTEMPTS_PER_DOT,
};
pub use rng::SplitMix64;
pub use scar::Scar;
pub use series::{four_session_series, SeriesSession, SeriesSpec};
pub use skin::{Skin, TEXTURE_SCALE_MM};

use image::RgbImage;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use dots::PreparedDot;
use hair::PreparedHair;
use optics::{develop, FloatImage};

/// Rows per parallel rendering band (fixed, so results never depend on the
/// thread count).
const BAND_ROWS: usize = 16;

/// A patch of scalp with its pigment, hairs, and the conditions of one photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    /// Skin appearance.
    pub skin: Skin,
    /// Pigment dots (scalp mm).
    pub dots: Vec<Dot>,
    /// Hairs and stubble (scalp mm); never part of the truth.
    pub hairs: Vec<Hair>,
    /// Scars (scalp mm): bands of tissue of another colour than the skin's, under the pigment.
    #[serde(default)]
    pub scars: Vec<Scar>,
    /// Illumination of this photo.
    pub lighting: Lighting,
    /// Lens, sensor and ISP of this photo.
    pub optics: Optics,
    /// Seed of the skin's position-locked noise (keep it across sessions of
    /// the same scalp).
    pub seed: u64,
}

impl Scene {
    /// A bare scalp: no dots or hairs, neutral lighting, ideal optics.
    pub fn new(skin: Skin, seed: u64) -> Self {
        Self {
            skin,
            dots: Vec::new(),
            hairs: Vec::new(),
            scars: Vec::new(),
            lighting: Lighting::neutral(),
            optics: Optics::ideal(),
            seed,
        }
    }

    /// A realistic phone photo of a treated scalp: Fitzpatrick `skin_type`
    /// skin, dots from `params` over everything `camera` sees, a few hairs
    /// (≈1 per cm²) and stubble (≈8 per cm²), uneven lighting and phone optics.
    pub fn typical(camera: &Camera, skin_type: u8, params: &DotParams, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let area = camera.visible_area_mm();
        let cm2 = (area.2 - area.0) * (area.3 - area.1) / 100.0;
        let dots = place_dots(area, params, &[], &mut rng);
        let hairs = place_hairs(
            area,
            cm2.round() as usize,
            (8.0 * cm2).round() as usize,
            &mut rng,
        );
        Self {
            skin: Skin::fitzpatrick(skin_type),
            dots,
            hairs,
            scars: Vec::new(),
            lighting: Lighting::uneven(),
            optics: Optics::phone(rng.next_u64()),
            seed,
        }
    }
}

/// Renders the linear-light image (before optics), interleaved RGB f32.
fn render_linear(scene: &Scene, camera: &Camera) -> FloatImage {
    let (w, h) = (camera.width as usize, camera.height as usize);
    let skin_lin = scene.skin.base_linear();
    let wb = scene.lighting.white_balance;
    let lit_skin = [0, 1, 2].map(|c| skin_lin[c] * wb[c]);
    let scars: Vec<(Scar, [f64; 3])> = scene.scars.iter().map(|s| (*s, s.linear())).collect();
    let dots: Vec<(PreparedDot, [f32; 3])> = scene
        .dots
        .iter()
        .filter_map(|d| {
            let absorb = d.channel_absorption(lit_skin);
            if absorb.iter().all(|&a| a <= 0.0) {
                return None;
            }
            PreparedDot::new(d, camera).map(|p| (p, absorb.map(|a| a as f32)))
        })
        .collect();
    let hairs: Vec<PreparedHair> = scene
        .hairs
        .iter()
        .filter_map(|hr| PreparedHair::new(hr, camera))
        .collect();

    // Affine map pixel centre → scalp mm, hoisted out of the pixel loop.
    let (sin, cos) = camera.rotation_deg.to_radians().sin_cos();
    let ppm = camera.px_per_mm;
    let (icx, icy) = camera.image_center_px();
    let (mx, my) = camera.center_mm;

    let mut data = vec![0f32; w * h * 3];
    if data.is_empty() {
        return FloatImage {
            width: w,
            height: h,
            data,
        };
    }
    data.par_chunks_mut(BAND_ROWS * w * 3)
        .enumerate()
        .for_each(|(b, band)| {
            let row0 = b * BAND_ROWS;
            let rows = band.len() / (w * 3);
            // Skin under light.
            for r in 0..rows {
                let py = (row0 + r) as f64 + 0.5;
                let dy = (py - icy) / ppm;
                for x in 0..w {
                    let px = x as f64 + 0.5;
                    let dx = (px - icx) / ppm;
                    let q = (mx + cos * dx + sin * dy, my - sin * dx + cos * dy);
                    let m = scene.skin.multiplier(scene.seed, q, ppm);
                    let l = scene
                        .lighting
                        .illumination(px, py, camera.width, camera.height);
                    let i = (r * w + x) * 3;
                    if scars.is_empty() {
                        for c in 0..3 {
                            band[i + c] = (lit_skin[c] * l * m) as f32;
                        }
                    } else {
                        let (base, texture) = scar::base_at(skin_lin, &scars, q);
                        let m = 1.0 + (m - 1.0) * texture;
                        for c in 0..3 {
                            band[i + c] = (base[c] * wb[c] * l * m) as f32;
                        }
                    }
                }
            }
            // Pigment, in scene order.
            let (by0, by1) = (row0 as u32, (row0 + rows) as u32);
            for (pd, absorb) in &dots {
                if pd.y1 <= by0 || pd.y0 >= by1 {
                    continue;
                }
                for y in pd.y0.max(by0)..pd.y1.min(by1) {
                    let rbase = (y - by0) as usize * w;
                    for x in pd.x0..pd.x1 {
                        let a = pd.alpha_pixel(x, y) as f32;
                        if a > 0.0 {
                            let i = (rbase + x as usize) * 3;
                            for c in 0..3 {
                                band[i + c] *= 1.0 - absorb[c] * a;
                            }
                        }
                    }
                }
            }
            // Hairs, in scene order.
            let mut scratch = Vec::new();
            for hr in &hairs {
                if hr.y1 <= by0 || hr.y0 >= by1 {
                    continue;
                }
                if scratch.is_empty() {
                    scratch = vec![0f32; rows * w];
                }
                hr.composite(band, by0, rows as u32, camera.width, &mut scratch);
            }
            // The surface's sheen, over pigment and hair alike.
            if let Some(sheen) = &scene.lighting.sheen {
                for r in 0..rows {
                    let py = (row0 + r) as f64 + 0.5;
                    for x in 0..w {
                        let px = x as f64 + 0.5;
                        let s = sheen.strength
                            * sheen.profile(px, py, camera.width, camera.height)
                            * scene
                                .lighting
                                .illumination(px, py, camera.width, camera.height);
                        let i = (r * w + x) * 3;
                        for c in 0..3 {
                            band[i + c] += (s * wb[c]) as f32;
                        }
                    }
                }
            }
        });
    FloatImage {
        width: w,
        height: h,
        data,
    }
}

/// Renders `scene` as photographed by `camera`: an 8-bit sRGB image of
/// `camera.width × camera.height` px. Deterministic: the same inputs give
/// byte-identical output at any rayon thread count.
pub fn render(scene: &Scene, camera: &Camera) -> RgbImage {
    develop(render_linear(scene, camera), &scene.optics)
}

/// What a perfect measurement of an image region reports, computed from the
/// scene geometry only (independent of lighting, noise, blur and hairs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// The region `(x, y, w, h)` in image px, clipped to the image.
    pub region: (u32, u32, u32, u32),
    /// Region area on the scalp, mm².
    pub area_mm2: f64,
    /// Number of dots whose centre (px) lies in the region
    /// (`x ≤ px < x + w`, `y ≤ py < y + h`).
    pub dot_count: usize,
    /// `dot_count` per cm² of scalp (0 for an empty region).
    pub density_per_cm2: f64,
    /// Centres of the counted dots, continuous image px (pixel `(i, j)`
    /// spans `[i, i+1) × [j, j+1)`), in scene order.
    pub dot_centres_px: Vec<(f64, f64)>,
    /// Percentage (0..100) of region pixels whose pixel-centre combined
    /// pigment alpha `1 − Π(1 − αᵢ)` is ≥ 0.5.
    pub coverage_pct: f64,
    /// Median luminance darkness (0..1) of the counted dots (0 when none).
    pub darkness_median: f64,
    /// Mean equivalent-circle diameter of the counted dots' alpha ≥ 0.5
    /// outlines, px (0 when none).
    pub mean_diameter_px: f64,
}

/// Computes the [`Truth`] of `region = (x, y, w, h)` (image px) for `scene`
/// photographed by `camera`. The region is clipped to the image.
pub fn truth(scene: &Scene, camera: &Camera, region: (u32, u32, u32, u32)) -> Truth {
    let x0 = region.0.min(camera.width);
    let y0 = region.1.min(camera.height);
    let x1 = region.0.saturating_add(region.2).min(camera.width);
    let y1 = region.1.saturating_add(region.3).min(camera.height);
    let (rw, rh) = ((x1 - x0) as usize, (y1 - y0) as usize);
    let ppm = camera.px_per_mm;
    let area_mm2 = (rw * rh) as f64 / (ppm * ppm);

    let counted: Vec<(&Dot, (f64, f64))> = scene
        .dots
        .iter()
        .map(|d| (d, camera.to_px((d.x_mm, d.y_mm))))
        .filter(|&(_, (px, py))| {
            px >= f64::from(x0) && px < f64::from(x1) && py >= f64::from(y0) && py < f64::from(y1)
        })
        .collect();

    // Combined transmittance of pigment alpha at each region pixel centre.
    let mut trans = vec![1f64; rw * rh];
    for d in &scene.dots {
        let Some(pd) = PreparedDot::new(d, camera) else {
            continue;
        };
        for y in pd.y0.max(y0)..pd.y1.min(y1) {
            for x in pd.x0.max(x0)..pd.x1.min(x1) {
                let a = pd.alpha_center(x, y);
                trans[(y - y0) as usize * rw + (x - x0) as usize] *= 1.0 - a;
            }
        }
    }
    let covered = trans.iter().filter(|&&t| 1.0 - t >= 0.5).count();
    let coverage_pct = if trans.is_empty() {
        0.0
    } else {
        100.0 * covered as f64 / trans.len() as f64
    };

    let mut dark: Vec<f64> = counted
        .iter()
        .map(|(d, _)| d.darkness.clamp(0.0, 1.0))
        .collect();
    dark.sort_by(f64::total_cmp);
    let darkness_median = match dark.len() {
        0 => 0.0,
        n if n % 2 == 1 => dark[n / 2],
        n => 0.5 * (dark[n / 2 - 1] + dark[n / 2]),
    };
    let mean_diameter_px = if counted.is_empty() {
        0.0
    } else {
        counted
            .iter()
            .map(|(d, _)| d.equivalent_diameter_mm() * ppm)
            .sum::<f64>()
            / counted.len() as f64
    };
    let dot_count = counted.len();
    Truth {
        region: (x0, y0, x1 - x0, y1 - y0),
        area_mm2,
        dot_count,
        density_per_cm2: if area_mm2 > 0.0 {
            dot_count as f64 / (area_mm2 / 100.0)
        } else {
            0.0
        },
        dot_centres_px: counted.into_iter().map(|(_, c)| c).collect(),
        coverage_pct,
        darkness_median,
        mean_diameter_px,
    }
}

#[cfg(test)]
mod tests;

//! A client's course of treatment as a series of photos with known truth: a sparse light first
//! layer, a second session adding density and colour, touch-ups between the existing dots, and a
//! faded follow-up months later — each photographed with its own framing.

use serde::{Deserialize, Serialize};

use super::{fade, place_dots, place_hairs, Camera, DotParams, Lighting, Optics, Scene, Skin};
use super::{Dot, SplitMix64};

/// Half the side of the scalp patch that the photos frame (mm): dots cover more than any
/// camera sees, so reframing never shows bare scalp.
const PATCH_HALF_MM: (f64, f64) = (24.0, 18.0);

/// One session of a generated series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesSession {
    /// Session label (`layout`, `density`, `touch-up`, `follow-up`).
    pub label: String,
    /// Session date, `YYYY-MM-DD`.
    pub date: String,
    /// The scalp as it is at this session, with this photo's lighting and optics.
    pub scene: Scene,
    /// This photo's framing.
    pub camera: Camera,
    /// The region (x, y, width, height in px) that frames the same treated area in every photo.
    pub region: (u32, u32, u32, u32),
}

/// How a series is shot.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesSpec {
    /// Photo width (px).
    pub width: u32,
    /// Photo height (px).
    pub height: u32,
    /// Scale of the usual framing (px/mm); the touch-up photo is zoomed 1.2×.
    pub px_per_mm: f64,
    /// Fitzpatrick skin type 1–6.
    pub skin_type: u8,
    /// Side of the measured square region, as a fraction of the photo's shorter side at the
    /// usual scale.
    pub region_fraction: f64,
    /// Darkness kept at the follow-up (e.g. 0.8: a fifth of the darkness faded).
    pub fade_factor: f64,
}

impl Default for SeriesSpec {
    fn default() -> Self {
        SeriesSpec {
            width: 900,
            height: 675,
            px_per_mm: 25.0,
            skin_type: 2,
            region_fraction: 0.6,
            fade_factor: 0.8,
        }
    }
}

/// The four-session series for `spec`, deterministic in `seed`.
pub fn four_session_series(spec: &SeriesSpec, seed: u64) -> Vec<SeriesSession> {
    let mut rng = SplitMix64::new(seed);
    let area = (
        -PATCH_HALF_MM.0,
        -PATCH_HALF_MM.1,
        PATCH_HALF_MM.0,
        PATCH_HALF_MM.1,
    );
    let skin = Skin::fitzpatrick(spec.skin_type);
    let scalp_seed = rng.next_u64();

    // Session 1: a sparse, light layout.
    let layout = DotParams {
        density_per_cm2: 45.0,
        ..DotParams::first_session()
    };
    let s1: Vec<Dot> = place_dots(area, &layout, &[], &mut rng);
    // Session 2: most of the colour — the first layer darkens, and dots are added between.
    let mut s2: Vec<Dot> = s1
        .iter()
        .map(|d| Dot {
            darkness: (d.darkness * 1.35).min(0.85),
            ..*d
        })
        .collect();
    let density = DotParams {
        density_per_cm2: 45.0,
        ..DotParams::healed()
    };
    let added = place_dots(area, &density, &s2, &mut rng);
    s2.extend(added);
    // Session 3: touch-ups between the existing dots.
    let mut s3 = s2.clone();
    let touch_up = DotParams {
        density_per_cm2: 25.0,
        ..DotParams::healed()
    };
    let added = place_dots(area, &touch_up, &s3, &mut rng);
    s3.extend(added);
    // Follow-up months later: the same dots, faded, slightly spread and bluer.
    let s4 = fade(&s3, spec.fade_factor, 1.04, 0.15);

    let sessions = [
        (
            "layout",
            "2026-01-10",
            s1,
            1.0,
            (0.0, 0.0),
            0.0,
            Lighting::uneven(),
        ),
        (
            "density",
            "2026-01-19",
            s2,
            1.0,
            (0.9, -0.6),
            3.0,
            Lighting {
                exposure: 1.1,
                ..Lighting::uneven()
            },
        ),
        (
            "touch-up",
            "2026-02-16",
            s3,
            1.2,
            (-0.7, 0.5),
            -2.0,
            Lighting {
                gradient: (-0.3, 0.2),
                ..Lighting::uneven()
            },
        ),
        (
            "follow-up",
            "2026-08-20",
            s4,
            1.0,
            (0.4, 0.7),
            4.0,
            Lighting {
                exposure: 0.8,
                white_balance: [0.95, 1.0, 1.08],
                gradient: (0.2, -0.3),
                vignette: 0.2,
                sheen: None,
            },
        ),
    ];
    let region_mm = spec.region_fraction * f64::from(spec.width.min(spec.height)) / spec.px_per_mm;
    sessions
        .into_iter()
        .map(|(label, date, dots, zoom, centre, rotation, lighting)| {
            let camera = Camera {
                width: spec.width,
                height: spec.height,
                px_per_mm: spec.px_per_mm * zoom,
                center_mm: centre,
                rotation_deg: rotation,
            };
            // The treated area's centre (scalp origin) in this photo, and a square of the same
            // size in mm around it.
            let (cx, cy) = camera.to_px((0.0, 0.0));
            let side = (region_mm * camera.px_per_mm).round();
            let region = (
                (cx - side / 2.0).round().max(0.0) as u32,
                (cy - side / 2.0).round().max(0.0) as u32,
                side as u32,
                side as u32,
            );
            let hairs = place_hairs(area, 6, 40, &mut rng);
            SeriesSession {
                label: label.to_string(),
                date: date.to_string(),
                scene: Scene {
                    skin,
                    dots,
                    hairs,
                    scars: Vec::new(),
                    lighting,
                    optics: Optics::phone(rng.next_u64()),
                    seed: scalp_seed,
                },
                camera,
                region,
            }
        })
        .collect()
}

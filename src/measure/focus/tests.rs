//! Tests of the focus measure: the fit against blurred discs, its filters and edges.

use super::*;
use crate::measure::DotSample;

/// Every pixel usable.
const ANY: fn(usize, usize) -> bool = |_, _| true;

/// A disc of radius `r` px and contrast 0.3 on skin 0.5, blurred by σ = `sigma` px, centred at
/// (30, 30): the erfc edge the fit assumes, at each pixel's distance (a blurred disc's profile
/// for r ≫ σ).
fn disc(r: f64, sigma: f64) -> impl Fn(usize, usize) -> f32 {
    move |x, y| {
        let rho = (x as f64 + 0.5 - 30.0).hypot(y as f64 + 0.5 - 30.0);
        let m = 0.5 * libm::erfc((rho - r) / (std::f64::consts::SQRT_2 * sigma));
        (0.5 - 0.3 * m) as f32
    }
}

#[test]
fn a_blurred_edge_is_fitted_to_its_sigma() {
    for (r, sigma) in [(8.0, 0.8), (8.0, 2.0), (5.0, 1.5), (12.0, 4.0)] {
        let profile =
            RadialProfile::around(disc(r, sigma), ANY, (60, 60), (30.0, 30.0), r).expect("inside");
        let fitted = profile.edge_sigma(r).expect("darker than skin");
        assert!(
            (fitted - sigma).abs() < 0.1 * sigma,
            "r {r}, σ {sigma}: fitted {fitted}"
        );
    }
}

#[test]
fn the_erfc_table_is_close_to_erfc() {
    for i in -1000..=1000 {
        let t = f64::from(i) * 0.0071;
        let exact = 0.5 * libm::erfc(t);
        assert!((half_erfc(t) - exact).abs() < 4e-6, "t {t}");
    }
    assert_eq!(half_erfc(-7.0), 1.0);
    assert_eq!(half_erfc(7.0), 0.0);
}

/// Dots of radius 4.5 px on a hexagonal lattice, blurred by σ 2.5 px, each fitted in its own
/// territory (as a measurement's labels give it). 25 px apart, the blur is found. 12.5 px
/// apart, a dot has no skin of its own in its ring and is not fitted; with its neighbours'
/// pixels in the ring it fitted an edge far steeper than the blur.
#[test]
fn dense_dots_are_fitted_in_their_own_territory_or_not_at_all() {
    let fit = |spacing: f64, own_only: bool| {
        let centres: Vec<(f64, f64)> = (-6i32..=6)
            .flat_map(|i| (-6i32..=6).map(move |j| (i, j)))
            .map(|(i, j)| {
                let (i, j) = (f64::from(i), f64::from(j));
                (80.5 + spacing * (i + 0.5 * j), 80.5 + spacing * 0.866 * j)
            })
            .collect();
        let nearest = |x: usize, y: usize| {
            let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
            (0..centres.len())
                .min_by(|&a, &b| {
                    let d = |k: usize| (px - centres[k].0).hypot(py - centres[k].1);
                    d(a).total_cmp(&d(b))
                })
                .unwrap()
        };
        let luminance = |x: usize, y: usize| {
            let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
            let pigment: f64 = centres
                .iter()
                .map(|&(cx, cy)| {
                    let rho = (px - cx).hypot(py - cy);
                    0.3 * 0.5 * libm::erfc((rho - 4.5) / (std::f64::consts::SQRT_2 * 2.5))
                })
                .sum();
            (0.5 - pigment) as f32
        };
        let me = nearest(80, 80);
        let usable = |x, y| !own_only || nearest(x, y) == me;
        RadialProfile::around(luminance, usable, (161, 161), centres[me], 4.5)
            .and_then(|p| p.edge_sigma(4.5))
    };
    let apart = fit(25.0, true).expect("skin of its own");
    assert!((apart - 2.5).abs() < 0.3, "{apart}");
    assert_eq!(fit(12.5, true), None);
    let mixed = fit(12.5, false).expect("fitted");
    assert!(mixed < 1.5, "{mixed}");
}

#[test]
fn profiles_leaving_the_plane_or_lighter_than_skin_give_nothing() {
    assert!(RadialProfile::around(disc(8.0, 1.0), ANY, (60, 60), (5.0, 30.0), 8.0).is_none());
    let light = |x, y| 1.0 - disc(8.0, 1.0)(x, y);
    let profile = RadialProfile::around(light, ANY, (60, 60), (30.0, 30.0), 8.0).unwrap();
    assert_eq!(profile.edge_sigma(8.0), None);
}

/// `n` dots of radius 5 px on a 40 px grid, blurred by σ 1 px, in a plane of 8 × 40 px
/// columns; the dots as a measurement would give them (image px, the plane at (100, 50)).
fn grid_of_discs(n: usize) -> (impl Fn(usize, usize) -> f32 + Sync, Vec<DotSample>) {
    let centre = |k: usize| (20.0 + 40.0 * (k % 8) as f64, 20.0 + 40.0 * (k / 8) as f64);
    let luminance = move |x: usize, y: usize| {
        let (cx, cy) = centre((y / 40) * 8 + x / 40);
        let rho = (x as f64 + 0.5 - cx).hypot(y as f64 + 0.5 - cy);
        (0.5 - 0.3 * 0.5 * libm::erfc((rho - 5.0) / std::f64::consts::SQRT_2)) as f32
    };
    let dots = (0..n)
        .map(|k| DotSample {
            x: centre(k).0 + 100.0,
            y: centre(k).1 + 50.0,
            diameter_px: 10.0,
            darkness: 0.6,
            core_lab: [0.0; 3],
            skin_lab: [crate::color::lightness_from_luminance(0.5), 0.0, 0.0],
            skin_from_ring: true,
        })
        .collect();
    (luminance, dots)
}

#[test]
fn softness_needs_its_fewest_dots_and_fits_at_most_its_most() {
    let (luminance, dots) = grid_of_discs(MIN_FITTED_DOTS);
    let rows = dots.len().div_ceil(8) * 40;
    let soft = softness_of(&luminance, (320, rows), (100.0, 50.0), &dots, |_, _, _| {
        false
    })
    .expect("enough");
    assert_eq!(soft.dots_fitted, MIN_FITTED_DOTS);
    assert!((soft.edge_sigma_px - 1.0).abs() < 0.1, "{soft:?}");
    assert_eq!(soft.radius_px, 5.0);
    assert!(!soft.out_of_focus());
    let fewer = &dots[..MIN_FITTED_DOTS - 1];
    assert_eq!(
        softness_of(&luminance, (320, rows), (100.0, 50.0), fewer, |_, _, _| {
            false
        },),
        None
    );
    // Many more dots than are fitted: MAX_FITTED_DOTS of them, picked evenly.
    let (luminance, dots) = grid_of_discs(3 * MAX_FITTED_DOTS + 5);
    let rows = dots.len().div_ceil(8) * 40;
    let soft = softness_of(&luminance, (320, rows), (100.0, 50.0), &dots, |_, _, _| {
        false
    })
    .expect("enough");
    assert_eq!(soft.dots_fitted, MAX_FITTED_DOTS);
}

#[test]
fn the_focus_verdict_turns_at_its_threshold() {
    let softness = |ratio: f64| EdgeSoftness {
        edge_sigma_px: ratio * 4.0,
        radius_px: 4.0,
        dots_fitted: MIN_FITTED_DOTS,
    };
    assert!(!softness(MAX_EDGE_SOFTNESS).out_of_focus());
    assert!(softness(MAX_EDGE_SOFTNESS + 1e-9).out_of_focus());
    assert!(!softness(0.2).out_of_focus());
}

/// Noise on faint dots (dark skin: contrast 0.04 against noise of σ 0.02) scatters each dot's
/// fitted σ both ways, and the plain lower quartile of the scatter reads the blur sharper than
/// it is (1.57 px for 2: −22%); drawn towards their middle by their own noise, the readings'
/// lower quartile stays within 10% of the true blur (1.90). Without noise the two agree.
#[test]
fn noise_does_not_drag_the_reading_sharper() {
    let (blur, r, columns, n) = (2.0, 5.0, 8, 128);
    let centre = |k: usize| {
        (
            20.0 + 40.0 * (k % columns) as f64,
            20.0 + 40.0 * (k / columns) as f64,
        )
    };
    let faint = |noise: f64| {
        move |x: usize, y: usize| {
            let (cx, cy) = centre((y / 40) * columns + x / 40);
            let rho = (x as f64 + 0.5 - cx).hypot(y as f64 + 0.5 - cy);
            let edge = 0.5 * libm::erfc((rho - r) / (std::f64::consts::SQRT_2 * blur));
            // Uniform on ±√3 σ: a noise of σ `noise`, the same at every call for a pixel.
            let mut rng = crate::synth::SplitMix64::new((y * 4096 + x) as u64);
            let e = rng.uniform(-3f64.sqrt(), 3f64.sqrt()) * noise;
            (0.5 - 0.04 * edge + e) as f32
        }
    };
    let dots: Vec<DotSample> = (0..n)
        .map(|k| DotSample {
            x: centre(k).0,
            y: centre(k).1,
            diameter_px: 2.0 * r,
            darkness: 0.08,
            core_lab: [0.0; 3],
            skin_lab: [crate::color::lightness_from_luminance(0.5), 0.0, 0.0],
            skin_from_ring: true,
        })
        .collect();
    let size = (40 * columns, 40 * n.div_ceil(columns));
    let none = |_: usize, _: usize, _: usize| false;
    // The plain lower quartile of the dots' fitted σ.
    let plain = |noise: f64| {
        let mut sigmas: Vec<f64> = dots
            .iter()
            .filter_map(|d| {
                RadialProfile::around(faint(noise), ANY, size, (d.x, d.y), r)?.edge_sigma(r)
            })
            .collect();
        sigmas.sort_by(f64::total_cmp);
        sigmas[(sigmas.len() - 1) / 4]
    };
    for noise in [0.0, 0.02] {
        let soft = softness_of(faint(noise), size, (0.0, 0.0), &dots, none).expect("fitted");
        let read = soft.edge_sigma_px;
        assert!((read - blur).abs() < 0.1 * blur, "noise {noise}: {soft:?}");
        let plain = plain(noise);
        if noise == 0.0 {
            assert!((plain - read).abs() < 0.02 * blur, "{plain} vs {read}");
        } else {
            assert!(plain < 0.85 * blur, "noise {noise}: plain quartile {plain}");
        }
    }
}

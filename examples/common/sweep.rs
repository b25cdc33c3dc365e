//! What `shine_sweep` and `scar_sweep` share (`#[path]`-included: not an example of its own):
//! their frame (30 × 24 mm at 25 px/mm), kinds of dots and seed, and the tally of dots by zone
//! of the frame (under a highlight, on a scar, at its edge, beyond): found against true, and
//! the median darkness read, per zone.

use smptrack::measure::Measurement;
use smptrack::synth::{Camera, DotParams, Truth};

/// A kind of dots: its name and its parameters.
pub type Preset = (&'static str, fn() -> DotParams);

/// The kinds of dots swept: healed and first-session.
pub const PRESETS: [Preset; 2] = [
    ("healed", DotParams::healed),
    ("first", DotParams::first_session),
];

/// Scale of the frames (px/mm).
pub const PX_PER_MM: f64 = 25.0;

/// The seed given as the first argument, 7 without one.
pub fn seed() -> u64 {
    std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(7)
}

/// The camera of a frame of 30 × 24 mm at [`PX_PER_MM`] (750 × 600 px).
pub fn camera() -> Camera {
    let (w, h) = ((30.0 * PX_PER_MM) as u32, (24.0 * PX_PER_MM) as u32);
    Camera::new(w, h, PX_PER_MM)
}

/// The median of `values` (the upper of the middle two), NaN without any.
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The count's error (%) of `found` dots against `truth`.
pub fn error(found: usize, truth: usize) -> f64 {
    100.0 * (found as f64 / truth.max(1) as f64 - 1.0)
}

/// Per zone of `Z` (each dot's zone by its centre, px, through `zone`): "found/true error%
/// darkness", the dots `m` found against the `truth`, and the median darkness of those found.
pub fn by_zone<const Z: usize>(
    m: &Measurement,
    truth: &Truth,
    zone: impl Fn(f64, f64) -> usize,
) -> [String; Z] {
    let (mut true_in, mut found_in) = ([0usize; Z], [0usize; Z]);
    let mut darkness: [Vec<f64>; Z] = std::array::from_fn(|_| Vec::new());
    for &(x, y) in &truth.dot_centres_px {
        true_in[zone(x, y)] += 1;
    }
    for d in &m.dots {
        found_in[zone(d.x, d.y)] += 1;
        darkness[zone(d.x, d.y)].push(d.darkness);
    }
    std::array::from_fn(|z| {
        format!(
            "{:>4}/{:<4} {:>+6.1}% {:.2}",
            found_in[z],
            true_in[z],
            error(found_in[z], true_in[z]),
            median(std::mem::take(&mut darkness[z]))
        )
    })
}

//! # smptrack
//!
//! Measures Scalp Micropigmentation (SMP) results from the close-up photo taken after each
//! session: dot count and density, coverage, dot size, pigment lightness and darkness against the
//! surrounding skin, and how each changed since the previous visit.
//!
//! Data flows one way, one module per stage:
//! [`load`] (decode, orientation, limits) → [`region`] → [`color`] (linear luminance, CIELAB) →
//! [`flatten`] (skin field, darkness plane) → [`dots`] (centres, outlines, hairs set aside) →
//! [`measure`] (per-dot samples) → [`metrics`] (session numbers, with [`insights`]: dot sizes,
//! colour and [`uniformity`]) → [`report`] (JSON, with the series' [`summary`]: progress and
//! flags). [`analyze`] wires them for a series of photos, [`batch`] for a clinic archive of
//! clients; [`buffers`] carries a photo's last planes over to the next photo on the same thread;
//! [`synth`] renders ground-truth scenes.
//!
//! ```no_run
//! use smptrack::{analyze_series, LoadLimits, SeriesInput, SessionInput};
//! let series = SeriesInput {
//!     sessions: vec![SessionInput {
//!         photo: "s1.jpg".into(),
//!         path: "s1.jpg".into(),
//!         label: None,
//!         date: None,
//!         region: None,
//!         region_source: "region".into(),
//!         px_per_mm: Some(25.0),
//!     }],
//!     ..Default::default()
//! };
//! let report = analyze_series(&series, &LoadLimits::default(), |_, _| {})?;
//! println!("{}", report.to_json());
//! # Ok::<(), smptrack::Error>(())
//! ```

pub mod allocator;
pub mod analyze;
pub mod batch;
pub mod buffers;
pub mod color;
pub mod dots;
pub mod error;
pub mod flatten;
pub mod grid;
pub mod insights;
pub mod load;
pub mod manifest;
pub mod mask;
pub mod measure;
pub mod metrics;
pub mod output;
mod pages;
pub mod plane;
pub mod prefetch;
pub mod quantile;
pub mod region;
pub mod render;
pub mod report;
pub mod summary;
pub mod synth;
pub mod timing;
pub mod uniformity;

pub use analyze::{
    analyze_photo, analyze_series, analyze_series_with, PhotoAnalysis, SeriesInput, SessionInput,
};
pub use error::{Error, Result};
pub use load::{load_photo, load_photo_top, LoadLimits, Photo};
pub use manifest::{read_manifest, Manifest};
pub use region::Region;
pub use report::{Report, SessionReport};

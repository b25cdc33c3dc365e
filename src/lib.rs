//! smptrack (placeholder while the modules land)
pub mod synth;

//! Arbitrary bytes as a photo: decode (with small limits, so each input is quick) and, when it
//! decodes, measure it. Nothing may panic: every outcome is a value or a `smptrack::Error`.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use smptrack::{analyze_photo, load::decode_photo, LoadLimits, Region, SessionInput};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the scale and region; the rest is the file.
    let Some((&knob, bytes)) = data.split_first() else {
        return;
    };
    let limits = LoadLimits {
        max_side: 512,
        max_pixels: 128 * 128,
        max_decoded_bytes: 1 << 20,
    };
    let Ok(photo) = decode_photo(bytes, Path::new("fuzz.bin"), &limits) else {
        return;
    };
    let (w, h) = (photo.image.width(), photo.image.height());
    let region = (knob & 1 == 1).then(|| Region {
        x: w / 4,
        y: h / 4,
        width: (w / 2).max(1),
        height: (h / 2).max(1),
    });
    let session = SessionInput {
        photo: "fuzz.bin".into(),
        path: "fuzz.bin".into(),
        label: None,
        date: None,
        region,
        region_source: "region".into(),
        px_per_mm: (knob & 2 == 2).then_some(f64::from(knob >> 2) + 1.0),
    };
    let _ = analyze_photo(&photo, &session);
});

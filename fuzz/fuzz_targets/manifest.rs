//! Arbitrary text as a manifest (and as a `--region` value): parsing and validation may only
//! ever return a value or a `smptrack::Error`.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use smptrack::manifest::parse_manifest;
use smptrack::Region;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Photos resolve against the current folder; most will not exist, which is an error too.
    let _ = parse_manifest(text, Path::new("fuzz.json"), Path::new("."));
    let _ = text.parse::<Region>();
});

//! Writes the demo client in `samples/`: four session photos rendered by the scene generator and
//! their manifest (the README's first command analyses them).
//!
//! `cargo run --release --example make_samples`

use smptrack::synth::{self, four_session_series, ExifTags, SeriesSpec};

fn main() -> std::io::Result<()> {
    let out = std::path::Path::new("samples");
    std::fs::create_dir_all(out)?;
    let spec = SeriesSpec::default();
    let series = four_session_series(&spec, 2026);
    let mut sessions = Vec::new();
    for (i, s) in series.iter().enumerate() {
        let img = synth::render(&s.scene, &s.camera);
        let name = format!("s{}-{}.jpg", i + 1, s.label);
        let exif = ExifTags {
            date_time_original: Some(format!("{} 10:00:00", s.date.replace('-', ":"))),
            ..ExifTags::default()
        };
        std::fs::write(out.join(&name), synth::encode_jpeg(&img, 88, &exif))?;
        let truth = synth::truth(&s.scene, &s.camera, s.region);
        eprintln!(
            "{name}: truth {} dots in region, {:.1}/cm², coverage {:.2}%, darkness {:.3}",
            truth.dot_count, truth.density_per_cm2, truth.coverage_pct, truth.darkness_median
        );
        sessions.push(serde_json::json!({
            "photo": name,
            "date": s.date,
            "label": s.label,
            "region": {"x": s.region.0, "y": s.region.1, "width": s.region.2, "height": s.region.3},
            "px_per_mm": s.camera.px_per_mm,
        }));
    }
    let manifest = serde_json::json!({
        "client": "DEMO-001",
        "target_density_per_cm2": 110,
        "sessions": sessions,
    });
    let text = serde_json::to_string_pretty(&manifest).expect("manifest serialises") + "\n";
    std::fs::write(out.join("manifest.json"), text)?;
    Ok(())
}

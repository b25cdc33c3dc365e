//! The manifest: one client's sessions in a JSON file.
//!
//! ```json
//! {"client": "C-042", "px_per_mm": 32.0, "target_density_per_cm2": 120,
//!  "sessions": [{"photo": "s1.jpg", "date": "2026-01-10", "label": "layout",
//!                "region": {"x": 10, "y": 20, "width": 800, "height": 600}, "px_per_mm": 31.5}]}
//! ```
//! Photo paths are relative to the manifest's folder. Only `sessions[].photo` is required; a
//! session's own `px_per_mm` overrides the top-level one. Unknown fields are errors, so a typo
//! cannot silently drop a scale.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::region::Region;
use crate::report::{parse_date, VisitOrder};

/// Largest manifest file we read (bytes): far above any real client's few dozen sessions.
pub const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    client: Option<String>,
    px_per_mm: Option<f64>,
    target_density_per_cm2: Option<f64>,
    sessions: Vec<SessionFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionFile {
    photo: String,
    date: Option<String>,
    label: Option<String>,
    /// An object or four numbers (see [`Region`]'s `Deserialize`).
    region: Option<Region>,
    px_per_mm: Option<f64>,
}

/// A validated manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    /// The manifest's own path.
    pub path: PathBuf,
    /// Client identifier.
    pub client: Option<String>,
    /// Density the treatment aims for (dots/cm²).
    pub target_density_per_cm2: Option<f64>,
    /// The sessions, in order.
    pub sessions: Vec<ManifestSession>,
}

/// One validated session of a manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct ManifestSession {
    /// The photo as written in the manifest.
    pub photo: String,
    /// The photo's path resolved against the manifest's folder.
    pub photo_path: PathBuf,
    /// Session date (`YYYY-MM-DD`, optionally with a time).
    pub date: Option<String>,
    /// Session label.
    pub label: Option<String>,
    /// Region to measure (px of the displayed photo); the whole photo when absent.
    pub region: Option<Region>,
    /// Scale (px/mm): the session's own, else the manifest's.
    pub px_per_mm: Option<f64>,
}

/// Reads and validates the manifest at `path`: its JSON, its values, and that every photo exists.
pub fn read_manifest(path: &Path) -> Result<Manifest> {
    let meta = std::fs::metadata(path).map_err(|e| Error::manifest(path, e.to_string()))?;
    if meta.len() > MAX_MANIFEST_BYTES {
        return Err(Error::manifest(
            path,
            format!(
                "{} bytes is over the {MAX_MANIFEST_BYTES}-byte limit",
                meta.len()
            ),
        ));
    }
    // At most the limit is read, whatever the size said (a device or a pipe says 0).
    let bytes = crate::load::read_at_most(path, MAX_MANIFEST_BYTES)
        .map_err(|e| Error::manifest(path, e.to_string()))?
        .ok_or_else(|| {
            Error::manifest(
                path,
                format!("it holds more than the {MAX_MANIFEST_BYTES}-byte limit"),
            )
        })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::manifest(path, "it is not UTF-8 text (a JSON file is)"))?;
    let folder = path.parent().unwrap_or(Path::new(""));
    // Windows editors may save UTF-8 with a byte-order mark, which JSON does not allow.
    parse_manifest(text.trim_start_matches('\u{feff}'), path, folder)
}

/// Parses and validates manifest `text`; `path` names it in errors and photo paths are resolved
/// against `folder`.
pub fn parse_manifest(text: &str, path: &Path, folder: &Path) -> Result<Manifest> {
    // What a manifest is, for errors about its shape.
    const SHAPE: &str = " (a manifest is one JSON object with a \"sessions\" list)";
    let top = text.trim_start().chars().next();
    if top.is_none() {
        return Err(Error::manifest(path, "the file is empty"));
    }
    // serde would read a list as the object's fields in order ("[0]: expected a string").
    if top != Some('{') {
        return Err(Error::manifest(
            path,
            format!("invalid manifest: it does not start with a JSON object{SHAPE}"),
        ));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let file: ManifestFile = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let at = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            Error::manifest(path, format!("invalid JSON: {inner}"))
        } else if at == "." || at.is_empty() || at == "?" {
            Error::manifest(path, format!("invalid manifest: {inner}{SHAPE}"))
        } else {
            Error::manifest(path, format!("{at}: {inner}"))
        }
    })?;
    // Nothing may follow the object (two manifests pasted into one file: the second would be
    // silently ignored).
    de.end().map_err(|e| {
        Error::manifest(
            path,
            format!("invalid manifest: {e} (something follows the manifest's object)"),
        )
    })?;
    let bad = |field: String, reason: String| Error::manifest(path, format!("{field}: {reason}"));

    check_scale(file.px_per_mm, "px_per_mm").map_err(|r| bad("px_per_mm".into(), r))?;
    if let Some(t) = file.target_density_per_cm2 {
        if !(t.is_finite() && t > 0.0) {
            return Err(bad(
                "target_density_per_cm2".into(),
                format!("{t} is not a positive density (dots/cm²)"),
            ));
        }
    }
    if file.sessions.is_empty() {
        return Err(bad("sessions".into(), "the list is empty".into()));
    }
    let mut sessions = Vec::with_capacity(file.sessions.len());
    let mut visits = VisitOrder::default();
    for (i, s) in file.sessions.into_iter().enumerate() {
        let field = |name: &str| format!("sessions[{i}].{name} (session {})", i + 1);
        check_scale(s.px_per_mm, "px_per_mm").map_err(|r| bad(field("px_per_mm"), r))?;
        if let Some(date) = &s.date {
            let Some(day) = parse_date(date) else {
                return Err(bad(
                    field("date"),
                    format!("'{date}' is not a date (YYYY-MM-DD, optionally with THH:MM[:SS])"),
                ));
            };
            if let Some((before, k)) = visits.follow(day, i + 1) {
                return Err(bad(
                    field("date"),
                    format!(
                        "{day} is before session {k}'s {before}: list the sessions in the \
                         order of the visits (each is compared with the one before it)"
                    ),
                ));
            }
        }
        if let Some(r) = &s.region {
            if r.width == 0 || r.height == 0 {
                return Err(bad(field("region"), format!("region {r} has zero size")));
            }
        }
        if s.photo.trim().is_empty() {
            return Err(bad(field("photo"), "is empty".into()));
        }
        let photo_path = folder.join(&s.photo);
        if photo_path.is_dir() {
            return Err(bad(
                field("photo"),
                format!("'{}' is a folder, not a photo", photo_path.display()),
            ));
        }
        if !photo_path.is_file() {
            return Err(bad(
                field("photo"),
                format!("photo '{}' not found", photo_path.display()),
            ));
        }
        sessions.push(ManifestSession {
            photo: s.photo,
            photo_path,
            date: s.date,
            label: s.label,
            region: s.region,
            px_per_mm: s.px_per_mm.or(file.px_per_mm),
        });
    }
    Ok(Manifest {
        path: path.to_path_buf(),
        client: file.client,
        target_density_per_cm2: file.target_density_per_cm2,
        sessions,
    })
}

/// Checks an optional scale is a positive finite number of px per mm.
pub fn check_scale(scale: Option<f64>, _name: &str) -> std::result::Result<(), String> {
    scale.map_or(Ok(()), crate::measure::check_px_per_mm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest> {
        let dir = std::env::temp_dir();
        parse_manifest(text, Path::new("m.json"), &dir)
    }

    fn message(r: Result<Manifest>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn unknown_fields_are_named() {
        let m = message(parse(r#"{"sessions": [{"photo": "a.jpg", "pxpermm": 3}]}"#));
        assert!(m.contains("sessions[0]") && m.contains("pxpermm"), "{m}");
        let m = message(parse(r#"{"client": "x", "scale": 3, "sessions": []}"#));
        assert!(m.contains("scale"), "{m}");
    }

    /// A region is an object with its four fields, or the four numbers in `--region`'s order.
    #[test]
    fn a_region_is_an_object_or_four_numbers_in_order() {
        let photos = tempfile::tempdir().unwrap();
        std::fs::write(photos.path().join("a"), b"").unwrap();
        let region_of = |region: &str| {
            let text = format!(r#"{{"sessions": [{{"photo": "a", "region": {region}}}]}}"#);
            parse_manifest(&text, Path::new("m.json"), photos.path()).map(|m| m.sessions[0].region)
        };
        let expected = Some(Region {
            x: 10,
            y: 20,
            width: 800,
            height: 600,
        });
        let object = region_of(r#"{"x": 10, "y": 20, "width": 800, "height": 600}"#);
        assert_eq!(object.unwrap(), expected);
        assert_eq!(region_of("[10, 20, 800, 600]").unwrap(), expected);
        for short_or_long in ["[10, 20, 800]", "[10, 20, 800, 600, 1]"] {
            let m = region_of(short_or_long).unwrap_err().to_string();
            assert!(m.contains("sessions[0].region"), "{short_or_long}: {m}");
        }
    }

    #[test]
    fn values_are_validated_with_their_field() {
        let m = message(parse(r#"{"px_per_mm": -1, "sessions": [{"photo": "a"}]}"#));
        assert!(m.starts_with("manifest 'm.json': px_per_mm:"), "{m}");
        let m = message(parse(r#"{"sessions": []}"#));
        assert!(m.contains("sessions: the list is empty"), "{m}");
        let m = message(parse(r#"{"sessions": [{"photo": "nope-not-here.jpg"}]}"#));
        assert!(
            m.contains("sessions[0].photo (session 1)") && m.contains("not found"),
            "{m}"
        );
        let m = message(parse(r#"{"sessions": [{"photo": 3}]}"#));
        assert!(m.contains("sessions[0].photo"), "{m}");
        let dir = std::env::temp_dir();
        let m = message(parse_manifest(
            r#"{"sessions": [{"photo": "."}]}"#,
            Path::new("m.json"),
            &dir,
        ));
        assert!(m.contains("is a folder"), "{m}");
        let photos = tempfile::tempdir().unwrap();
        for name in ["a", "b"] {
            std::fs::write(photos.path().join(name), b"").unwrap();
        }
        let m = message(parse_manifest(
            r#"{"sessions": [{"photo": "a", "date": "2026-02-01"}, {"photo": "b", "date": "2026-01-31T23:59"}]}"#,
            Path::new("m.json"),
            photos.path(),
        ));
        assert!(
            m.contains("sessions[1].date (session 2): 2026-01-31 is before session 1's 2026-02-01"),
            "{m}"
        );
        let m = message(parse(r#"{"sessions": [{"photo": "a"}]} x"#));
        assert!(m.contains("something follows the manifest's object"), "{m}");
        let m = message(parse(r#"[{"photo": "a"}]"#));
        assert!(m.contains("does not start with a JSON object"), "{m}");
        let m = message(parse(" \n "));
        assert!(m.ends_with("the file is empty"), "{m}");
        let m = message(parse("{not json"));
        assert!(
            m.contains("invalid JSON") || m.contains("key must be a string"),
            "{m}"
        );
    }
}

//! The report as a table, one row per session, for spreadsheets: every field of the JSON, nested
//! objects flattened to dotted names (`region.x`, `change.dot_count`), arrays joined with "; ".
//!
//! The columns come from the report's JSON itself, in its field order, so a field added to the
//! report appears in the CSV without touching this module; its header gets a unit when
//! [`unit_of`] knows one.

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::report::Report;

/// Separator of the items of an array field (e.g. `warnings`) within one cell.
pub const ARRAY_SEPARATOR: &str = "; ";

/// The unit of each reported field, by its flattened name (for `change.*`, see [`unit_of`]).
pub const UNITS: &[(&str, &str)] = &[
    ("date", "ISO 8601"),
    ("image.width", "px"),
    ("image.height", "px"),
    ("region.x", "px"),
    ("region.y", "px"),
    ("region.width", "px"),
    ("region.height", "px"),
    ("px_per_mm", "px/mm"),
    ("region_area_cm2", "cm²"),
    ("dot_count", "dots"),
    ("density_per_cm2", "dots/cm²"),
    ("coverage_pct", "%"),
    ("hair_coverage_pct", "%"),
    ("mean_dot_diameter_px", "px"),
    ("mean_dot_diameter_mm", "mm"),
    ("dot_diameter_px.mean", "px"),
    ("dot_diameter_px.p90", "px"),
    ("dot_diameter_mm.mean", "mm"),
    ("dot_diameter_mm.p90", "mm"),
    ("pigment_lab.L", "L*"),
    ("pigment_lab.a", "a*"),
    ("pigment_lab.b", "b*"),
    ("skin_lab.L", "L*"),
    ("skin_lab.a", "a*"),
    ("skin_lab.b", "b*"),
    ("uniformity.cv", "ratio"),
    ("uniformity.noise_cv", "ratio"),
    ("uniformity.thinnest", "x·y px; dots/cm² or per cell"),
    ("change.spread_pct", "%"),
    ("change.hue_shift.da", "Δa*"),
    ("change.hue_shift.db", "Δb*"),
    ("change.fade_per_30_days", "darkness per 30 days"),
    ("pigment_lightness", "L*"),
    ("skin_lightness", "L*"),
    ("darkness", "0..1"),
    ("edge_softness", "σ/radius"),
    ("days", "days"),
];

/// Units implied by the end of a field's name, for fields [`UNITS`] does not list.
pub const SUFFIX_UNITS: &[(&str, &str)] = &[
    ("_pct", "%"),
    ("_mm", "mm"),
    ("_px", "px"),
    ("_per_cm2", "dots/cm²"),
    ("_cm2", "cm²"),
];

/// The unit of flattened field `name`, if known: from [`UNITS`], else from the end of its name
/// ([`SUFFIX_UNITS`]); for a `change.` field, the unit of the field it is the change of, with
/// percentages as percentage points (`pp`).
pub fn unit_of(name: &str) -> Option<&'static str> {
    let lookup = |n: &str| {
        UNITS
            .iter()
            .find(|(k, _)| *k == n)
            .or_else(|| SUFFIX_UNITS.iter().find(|(suffix, _)| n.ends_with(suffix)))
            .map(|(_, u)| *u)
    };
    if let Some((_, unit)) = UNITS.iter().find(|(k, _)| *k == name) {
        return Some(unit);
    }
    match name.strip_prefix("change.") {
        Some(inner) => match lookup(inner)? {
            "%" => Some("pp"),
            unit => Some(unit),
        },
        None => lookup(name),
    }
}

/// A column's header: its name, then its unit in brackets when known: `density_per_cm2
/// (dots/cm²)`.
pub fn header(name: &str) -> String {
    match unit_of(name) {
        Some(unit) => format!("{name} ({unit})"),
        None => name.to_string(),
    }
}

/// The report flattened: column names (without units) and one row of cells per session.
#[derive(Clone, Debug, PartialEq)]
pub struct FlatTable {
    /// Flattened field names: `session` (1, 2, …), `client`, then the sessions' fields.
    pub columns: Vec<String>,
    /// One row per session, a cell per column (empty for null or absent).
    pub rows: Vec<Vec<String>>,
}

/// Flattens `value` into (dotted name, leaf) pairs, in field order. Objects are descended into;
/// everything else (null included) is a leaf.
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(fields) => {
            for (key, v) in fields {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&name, v, out);
            }
        }
        leaf => out.push((prefix.to_string(), leaf.clone())),
    }
}

/// The text of one leaf: empty for null, numbers as JSON writes them, arrays joined with
/// [`ARRAY_SEPARATOR`], nested objects in arrays as compact JSON.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => text_cell(s),
        Value::Array(items) => items
            .iter()
            .map(|v| match v {
                Value::Object(_) | Value::Array(_) => v.to_string(),
                other => cell(other),
            })
            .collect::<Vec<_>>()
            .join(ARRAY_SEPARATOR),
        other => other.to_string(),
    }
}

/// A text field (a label, a client, a photo name: the user's words) as a cell that a
/// spreadsheet shows as text: one starting with `=`, `+`, `-`, `@`, a tab or a carriage return
/// would be run as a formula when the CSV is opened (`=HYPERLINK(…)` in a label), so it is
/// prefixed with `'`, which spreadsheets read as "text" (OWASP's advice for CSV injection).
/// Numbers are cells of their own kind, negative ones untouched.
fn text_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// Builds the [`FlatTable`] of `report`. Columns are the union over sessions, each placed after
/// the field that precedes it in the session where it first appears; a field that is null in one
/// session and an object in another (`change`) becomes the object's columns, empty where null.
pub fn flat_table(report: &Report) -> FlatTable {
    // A report always serialises (plain data); an error here would be a bug.
    flat_table_of_json(&serde_json::to_value(report).unwrap_or(Value::Null))
}

/// [`flat_table`] of a report already turned into JSON (its `client` and `sessions`).
pub fn flat_table_of_json(report: &Value) -> FlatTable {
    let client = report.get("client").cloned().unwrap_or(Value::Null);
    let no_sessions = Vec::new();
    let sessions = report
        .get("sessions")
        .and_then(Value::as_array)
        .unwrap_or(&no_sessions);
    let mut flat_rows: Vec<Vec<(String, Value)>> = Vec::new();
    for (i, session) in sessions.iter().enumerate() {
        let mut fields = vec![
            ("session".to_string(), Value::from(i + 1)),
            ("client".to_string(), client.clone()),
        ];
        flatten("", session, &mut fields);
        flat_rows.push(fields);
    }
    let mut columns: Vec<String> = Vec::new();
    for fields in &flat_rows {
        let mut last: Option<usize> = None;
        for (name, _) in fields {
            let at = match columns.iter().position(|c| c == name) {
                Some(p) => p,
                None => {
                    let p = last.map_or(0, |l| l + 1);
                    columns.insert(p, name.clone());
                    p
                }
            };
            last = Some(at);
        }
    }
    // `change` (null) gives way to `change.dot_count`, … when some session has them.
    let parents: Vec<String> = columns
        .iter()
        .filter(|c| {
            columns
                .iter()
                .any(|other| other.len() > c.len() && other.starts_with(&format!("{c}.")))
        })
        .cloned()
        .collect();
    columns.retain(|c| !parents.contains(c));
    let rows = flat_rows
        .iter()
        .map(|fields| {
            columns
                .iter()
                .map(|c| {
                    fields
                        .iter()
                        .find(|(name, _)| name == c)
                        .map(|(_, v)| cell(v))
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    FlatTable { columns, rows }
}

/// The CSV file: UTF-8 with a byte-order mark (so spreadsheet programs read `cm²` and names
/// right), a header row with units, one row per session, quoted where needed, CRLF line ends.
/// `path` (where it will be written) only names the file in the (unlikely) error.
pub fn report_csv(report: &Report, path: &Path) -> Result<Vec<u8>> {
    let table = flat_table(report);
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let err = |e: ::csv::Error| Error::Output {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    };
    writer
        .write_record(table.columns.iter().map(|c| header(c)))
        .map_err(err)?;
    for row in &table.rows {
        writer.write_record(row).map_err(err)?;
    }
    writer.into_inner().map_err(|e| Error::Output {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_that_a_spreadsheet_would_run_is_kept_as_text() {
        let report = json!({"client": "=cmd|' /C calc'!A0", "sessions": [
            {"photo": "a.jpg", "label": "@SUM(1+1)", "darkness": -0.25,
             "warnings": ["+1", "fine"], "change": null},
            {"photo": "-b.jpg", "label": "layout", "darkness": 0.5, "warnings": [], "change": null},
        ]});
        let t = flat_table_of_json(&report);
        let at = |name: &str| t.columns.iter().position(|c| c == name).unwrap();
        assert_eq!(t.rows[0][at("client")], "'=cmd|' /C calc'!A0");
        assert_eq!(t.rows[0][at("label")], "'@SUM(1+1)");
        assert_eq!(t.rows[0][at("darkness")], "-0.25");
        assert_eq!(
            t.rows[0][at("warnings")],
            format!("'+1{ARRAY_SEPARATOR}fine")
        );
        assert_eq!(t.rows[1][at("photo")], "'-b.jpg");
        assert_eq!(t.rows[1][at("label")], "layout");
        for (text, cell) in [("\tx", "'\tx"), ("\rx", "'\rx"), ("a=b", "a=b"), ("", "")] {
            assert_eq!(text_cell(text), cell);
        }
    }

    #[test]
    fn units_cover_changes_as_percentage_points() {
        assert_eq!(header("density_per_cm2"), "density_per_cm2 (dots/cm²)");
        assert_eq!(header("change.coverage_pct"), "change.coverage_pct (pp)");
        assert_eq!(header("change.days"), "change.days (days)");
        assert_eq!(header("uniformity"), "uniformity");
        assert_eq!(header("change.uniformity"), "change.uniformity");
    }

    #[test]
    fn fields_added_later_take_their_place_among_the_columns() {
        // As a later report might look: a new nested field null in the first session, a new
        // plain field, and `change` gaining a field.
        let report = json!({"client": null, "sessions": [
            {"photo": "a", "pigment_lab": null, "darkness": 0.5, "uniformity": 0.9, "change": null},
            {"photo": "b", "pigment_lab": {"l": 40.0, "a": 5.0, "b": 7.5}, "darkness": 0.6,
             "uniformity": 0.8, "change": {"darkness": 0.1, "spread_pct": -2.5}},
        ]});
        let t = flat_table_of_json(&report);
        assert_eq!(
            t.columns,
            [
                "session",
                "client",
                "photo",
                "pigment_lab.l",
                "pigment_lab.a",
                "pigment_lab.b",
                "darkness",
                "uniformity",
                "change.darkness",
                "change.spread_pct"
            ]
        );
        assert_eq!(t.rows[0], ["1", "", "a", "", "", "", "0.5", "0.9", "", ""]);
        assert_eq!(
            t.rows[1],
            ["2", "", "b", "40.0", "5.0", "7.5", "0.6", "0.8", "0.1", "-2.5"]
        );
        // A change of a percentage is in percentage points, unless the table says otherwise
        // (spread_pct is a relative growth, itself a percentage).
        assert_eq!(header("change.coverage_pct"), "change.coverage_pct (pp)");
        assert_eq!(header("change.new_pct"), "change.new_pct (pp)");
        assert_eq!(header("change.spread_pct"), "change.spread_pct (%)");
        assert_eq!(header("dot_diameter_mm"), "dot_diameter_mm (mm)");
    }

    #[test]
    fn leaves_are_flattened_in_order() {
        let mut out = Vec::new();
        let v = json!({"a": 1, "b": {"c": null, "d": [1.5, "x"]}, "e": ["p, q", "r"], "f": true});
        flatten("", &v, &mut out);
        let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "b.c", "b.d", "e", "f"]);
        let cells: Vec<String> = out.iter().map(|(_, v)| cell(v)).collect();
        assert_eq!(cells, ["1", "", "1.5; x", "p, q; r", "true"]);
    }
}

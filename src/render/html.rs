//! The client report: one self-contained HTML file (images as data URIs, charts as inline SVG,
//! styles inline, no script, nothing fetched) that a clinic can hand to a client or print.
//! Every string that comes from the user (client, labels, dates, photo names, warnings) is
//! escaped.

use std::fmt::Write;

use base64::Engine;

use super::csv::{flat_table, header};
use super::svg::{line_chart, Chart};
use super::SessionImages;
use crate::report::{Report, SessionReport};
use crate::summary::{recent_sessions, Summary};

/// `text` safe inside HTML or SVG text and attribute values (`&`, `<`, `>`, `"`, `'`).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2328;
background:#fafaf8;margin:0 auto;max-width:1100px;padding:24px;line-height:1.45}
h1{font-size:1.7em;margin:0 0 4px}h2{font-size:1.25em;margin:32px 0 10px;border-bottom:1px solid #ddd;
padding-bottom:4px}h3{font-size:1.05em;margin:0 0 8px}.meta{color:#555;margin:0}
.pair{display:flex;gap:16px;flex-wrap:wrap}.pair figure,.session figure{flex:1 1 320px;margin:0}
figure img{width:100%;height:auto;display:block;border:1px solid #ccc;background:#eee}
figcaption{font-size:.9em;color:#444;margin-top:4px}.charts{display:grid;
grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}svg.chart{width:100%;height:auto;
border:1px solid #e3e3e3;border-radius:6px}svg .chart-title{font-size:16px;font-weight:600;fill:#222}
svg .tick{font-size:12px;fill:#555}svg .value{font-size:12px;fill:#222}svg .target{font-size:12px;
fill:#b45309}table{border-collapse:collapse;width:100%;font-size:.92em;background:#fff}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right;vertical-align:top}
th{background:#f0f0ec}td.text,th.text{text-align:left}.scroll{overflow-x:auto}
.session{display:flex;gap:16px;flex-wrap:wrap;background:#fff;border:1px solid #e3e3e3;
border-radius:6px;padding:12px;margin-bottom:12px}.session .numbers{flex:1 1 300px}
.warn{color:#9a3412}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}
dt{font-weight:600}dd{margin:0}footer{margin-top:32px;color:#777;font-size:.85em}
@media print{body{background:#fff}.session,svg.chart{break-inside:avoid}}
";

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |v| v.to_string())
}

fn signed(v: Option<f64>) -> String {
    match v {
        Some(v) if v > 0.0 => format!("+{v}"),
        other => num(other),
    }
}

/// "Session 2 · density · 2026-01-19" (escaped).
fn caption(n: usize, s: &SessionReport) -> String {
    let mut parts = vec![format!("Session {n}")];
    parts.extend(s.context.label.clone());
    parts.extend(s.context.date.clone());
    escape(&parts.join(" · "))
}

fn image_tag(images: &[SessionImages], i: usize, s: &SessionReport) -> String {
    match images.get(i).and_then(|im| im.region_jpeg.as_ref()) {
        Some(jpeg) => format!(
            r#"<img src="data:image/jpeg;base64,{}" alt="Measured region of {}">"#,
            base64::engine::general_purpose::STANDARD.encode(jpeg),
            escape(&s.context.photo)
        ),
        None => "<p>(image not available)</p>".to_string(),
    }
}

/// Horizontal chart positions: sessions evenly spaced (the table gives the days between them),
/// so that labels of sessions days apart do not overlap those months apart.
fn positions(n: usize) -> Vec<f64> {
    if n <= 1 {
        return vec![0.5; n];
    }
    (0..n).map(|i| i as f64 / (n - 1) as f64).collect()
}

/// The HTML report of `report`, with each session's region image from `images` (same order).
pub fn render_html(report: &Report, images: &[SessionImages]) -> String {
    let sessions = &report.sessions;
    let client = report.client.as_deref().unwrap_or("—");
    let mut h = String::new();
    let _ = write!(
        h,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>SMP progress report – {}</title><style>{STYLE}</style></head><body>"#,
        escape(client)
    );
    let dates: Vec<&str> = sessions
        .iter()
        .filter_map(|s| s.context.date.as_deref())
        .collect();
    let span = match (dates.first(), dates.last()) {
        (Some(a), Some(b)) if a != b => format!(" · {} to {}", escape(a), escape(b)),
        (Some(a), _) => format!(" · {}", escape(a)),
        _ => String::new(),
    };
    let target = report
        .target_density_per_cm2
        .map(|t| format!(" · target density {t} dots/cm²"))
        .unwrap_or_default();
    let _ = write!(
        h,
        r#"<header><h1>Scalp micropigmentation progress</h1><p class="meta">Client <strong>{}</strong> · {} session{}{span}{target}</p></header>"#,
        escape(client),
        sessions.len(),
        if sessions.len() == 1 { "" } else { "s" },
    );
    let densities: Vec<Option<f64>> = (report.sessions.iter())
        .map(|s| s.metrics.density_per_cm2)
        .collect();
    outlook(
        &mut h,
        &report.summary,
        report.target_density_per_cm2,
        &densities,
    );
    if let (Some(first), Some(latest)) = (sessions.first(), sessions.last()) {
        compare(&mut h, report, images, first, latest);
    }
    charts(&mut h, report);
    table(&mut h, report);
    h.push_str(r#"<section id="sessions"><h2>Each session</h2>"#);
    for (i, s) in sessions.iter().enumerate() {
        let m = &s.metrics;
        let _ = write!(
            h,
            r#"<article class="session"><figure>{}<figcaption>{}</figcaption></figure><div class="numbers"><h3>{}</h3><dl><dt>Photo</dt><dd>{}</dd><dt>Dots</dt><dd>{}</dd><dt>Density</dt><dd>{} dots/cm²</dd><dt>Coverage</dt><dd>{} %</dd><dt>Darkness</dt><dd>{}</dd><dt>Mean dot</dt><dd>{} mm</dd><dt>Hair/stubble</dt><dd>{} %</dd><dt>Edge softness</dt><dd>{}</dd></dl>"#,
            image_tag(images, i, s),
            caption(i + 1, s),
            caption(i + 1, s),
            escape(&s.context.photo),
            m.dot_count,
            num(m.density_per_cm2),
            m.coverage_pct,
            num(m.darkness),
            num(m.mean_dot_diameter_mm),
            m.hair_coverage_pct,
            num(m.edge_softness),
        );
        for w in &s.warnings {
            let _ = write!(h, r#"<p class="warn">⚠ {}</p>"#, escape(w));
        }
        h.push_str("</div></article>");
    }
    h.push_str("</section>");
    h.push_str(r#"<section id="warnings"><h2>Warnings</h2>"#);
    let all: Vec<(usize, &String)> = sessions
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.warnings.iter().map(move |w| (i, w)))
        .collect();
    if all.is_empty() {
        h.push_str("<p>None: every session was measured without cautions.</p>");
    } else {
        h.push_str("<ul>");
        for (i, w) in all {
            let _ = write!(
                h,
                r#"<li class="warn">{}: {}</li>"#,
                caption(i + 1, &sessions[i]),
                escape(w)
            );
        }
        h.push_str("</ul>");
    }
    h.push_str("</section>");
    h.push_str(METHOD);
    all_fields(&mut h, report);
    let _ = writeln!(
        h,
        "<footer>Measured by {} {} from the session photos named above. Numbers are rounded to the precision they carry; a change is the difference of the rounded values.</footer></body></html>",
        escape(&report.tool.name),
        escape(&report.tool.version)
    );
    h
}

/// Progress towards the `target` density (dots/cm²), the sessions-remaining estimate and the
/// flags (the report's `summary` of sessions of these `densities`, dots/cm²); messages are
/// escaped like every other string.
fn outlook(h: &mut String, summary: &Summary, target: Option<f64>, densities: &[Option<f64>]) {
    let sessions = densities.len();
    // The sessions whose gains the estimate takes.
    let recent = recent_sessions(densities);
    h.push_str(r#"<section id="outlook"><h2>Outlook</h2><p>"#);
    let target = target.filter(|t| t.is_finite() && *t > 0.0);
    match (summary.progress_pct, target) {
        (Some(p), _) => {
            let _ = write!(h, "Density is at <strong>{p}%</strong> of the target");
        }
        (None, None) => h.push_str("No target density given: progress is not estimated"),
        // (`progress_pct` is null with a target only when the latest density is.)
        (None, Some(t)) => {
            let _ = write!(
                h,
                "The latest photo has no scale (px/mm), so its density and the progress towards the target of {t} dots/cm² cannot be measured"
            );
        }
    }
    match summary.sessions_remaining_estimate {
        Some(0) => h.push_str("; the target is reached."),
        Some(n) => {
            let _ = write!(
                h,
                "; at the recent gain per session, about <strong>{n}</strong> more session{} to reach it.",
                if n == 1 { "" } else { "s" }
            );
        }
        None if summary.progress_pct.is_some() && sessions < 2 => h.push_str(
            "; sessions remaining are estimated from the gain between sessions, once there are two.",
        ),
        None if summary.progress_pct.is_some() && recent.iter().any(Option::is_none) => h
            .push_str(
                "; sessions remaining are estimated from the recent sessions' densities, and an \
                 earlier photo among them has no scale.",
            ),
        None if summary.progress_pct.is_some() => {
            h.push_str("; sessions remaining cannot be estimated from the recent gains.")
        }
        None => h.push('.'),
    }
    h.push_str("</p>");
    if summary.flags.is_empty() {
        h.push_str(r#"<p class="meta">No flags: no fast fade, blow-out, blue shift, patchiness or low resolution.</p>"#);
    } else {
        h.push_str(r#"<ul class="flags">"#);
        for flag in &summary.flags {
            let code = serde_json::to_value(flag.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = write!(
                h,
                "<li><strong>{}</strong> (session {}): {}</li>",
                escape(&code),
                flag.session,
                escape(&flag.message)
            );
        }
        h.push_str("</ul>");
    }
    h.push_str("</section>");
}

fn compare(
    h: &mut String,
    report: &Report,
    images: &[SessionImages],
    first: &SessionReport,
    latest: &SessionReport,
) {
    let n = report.sessions.len();
    h.push_str(r#"<section id="compare"><h2>First and latest session</h2><div class="pair">"#);
    let _ = write!(
        h,
        "<figure>{}<figcaption>{}</figcaption></figure>",
        image_tag(images, 0, first),
        caption(1, first)
    );
    if n > 1 {
        let _ = write!(
            h,
            "<figure>{}<figcaption>{}</figcaption></figure>",
            image_tag(images, n - 1, latest),
            caption(n, latest)
        );
    }
    h.push_str("</div>");
    if n > 1 {
        let (a, b) = (&first.metrics, &latest.metrics);
        let diff = |x: Option<f64>, y: Option<f64>, d: i32| {
            x.zip(y).map(|(x, y)| crate::report::round_to(y - x, d))
        };
        let rows = [
            (
                "Dots",
                Some(a.dot_count as f64),
                Some(b.dot_count as f64),
                0,
                "",
            ),
            (
                "Density",
                a.density_per_cm2,
                b.density_per_cm2,
                1,
                "dots/cm²",
            ),
            (
                "Coverage",
                Some(a.coverage_pct),
                Some(b.coverage_pct),
                2,
                "% (change in pp)",
            ),
            ("Darkness", a.darkness, b.darkness, 3, "0..1"),
        ];
        h.push_str(r#"<table><tr><th class="text">measure</th><th>first</th><th>latest</th><th>change</th><th class="text">unit</th></tr>"#);
        for (name, x, y, d, unit) in rows {
            let _ = write!(
                h,
                r#"<tr><td class="text">{name}</td><td>{}</td><td>{}</td><td>{}</td><td class="text">{unit}</td></tr>"#,
                num(x),
                num(y),
                signed(diff(x, y, d))
            );
        }
        h.push_str("</table>");
    }
    h.push_str("</section>");
}

fn charts(h: &mut String, report: &Report) {
    let sessions = &report.sessions;
    let x = positions(sessions.len());
    // Label and date under each point while they fit; the session number when there are many.
    let labels: Vec<String> = sessions
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if sessions.len() > 6 {
                return format!("{}", i + 1);
            }
            let name: String = match &s.context.label {
                Some(l) => l.chars().take(14).collect(),
                None => format!("session {}", i + 1),
            };
            let date: String = s
                .context
                .date
                .as_deref()
                .unwrap_or("")
                .chars()
                .take(10)
                .collect();
            format!("{name}\n{date}")
        })
        .collect();
    let series =
        |f: &dyn Fn(&SessionReport) -> Option<f64>| sessions.iter().map(f).collect::<Vec<_>>();
    let density = series(&|s| s.metrics.density_per_cm2);
    let coverage = series(&|s| Some(s.metrics.coverage_pct));
    let darkness = series(&|s| s.metrics.darkness);
    let target_label = report
        .target_density_per_cm2
        .map(|t| format!("target {t}"))
        .unwrap_or_default();
    let target = report
        .target_density_per_cm2
        .map(|t| (t, target_label.as_str()));
    h.push_str(r#"<section id="charts"><h2>Across sessions</h2><div class="charts">"#);
    for (title, unit, values, target, colour) in [
        ("Density", "dots/cm²", &density, target, "#2563eb"),
        ("Coverage", "%", &coverage, None, "#059669"),
        ("Darkness", "0..1", &darkness, None, "#7c3aed"),
    ] {
        h.push_str(&line_chart(&Chart {
            title,
            unit,
            x: &x,
            labels: &labels,
            values,
            target,
            colour,
        }));
    }
    h.push_str("</div></section>");
}

fn table(h: &mut String, report: &Report) {
    h.push_str(r#"<section id="table"><h2>Sessions</h2><div class="scroll"><table><tr><th>#</th><th class="text">session</th><th class="text">date</th><th>days since previous</th><th>dots</th><th>density (dots/cm²)</th><th>coverage (%)</th><th>darkness (0..1)</th><th>mean dot (mm)</th><th>hair/stubble (%)</th><th>pigment L*</th><th>skin L*</th><th class="text">photo</th></tr>"#);
    for (i, s) in report.sessions.iter().enumerate() {
        let m = &s.metrics;
        let days = s.change.as_ref().and_then(|c| c.days).map(|d| d as f64);
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td class="text">{}</td><td class="text">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="text">{}</td></tr>"#,
            i + 1,
            escape(s.context.label.as_deref().unwrap_or("—")),
            escape(s.context.date.as_deref().unwrap_or("—")),
            num(days),
            m.dot_count,
            num(m.density_per_cm2),
            m.coverage_pct,
            num(m.darkness),
            num(m.mean_dot_diameter_mm),
            m.hair_coverage_pct,
            num(m.pigment_lightness),
            num(m.skin_lightness),
            escape(&s.context.photo),
        );
    }
    h.push_str("</table></div></section>");
}

/// Every field of the report, as in the CSV, folded away for the curious.
fn all_fields(h: &mut String, report: &Report) {
    let t = flat_table(report);
    h.push_str(r#"<details><summary>All measured fields (as in the JSON and CSV)</summary><div class="scroll"><table><tr>"#);
    for c in &t.columns {
        let _ = write!(h, r#"<th class="text">{}</th>"#, escape(&header(c)));
    }
    h.push_str("</tr>");
    for row in &t.rows {
        h.push_str("<tr>");
        for cell in row {
            let _ = write!(h, r#"<td class="text">{}</td>"#, escape(cell));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table></div></details>");
}

const METHOD: &str = r#"<section id="method"><h2>How each number is measured</h2><dl>
<dt>Dots</dt><dd>Each pigment impression is found as a round spot darker than the skin around it; touching dots are counted separately. Thin or long dark shapes (hairs, stubble) are set aside and never counted. A dot counts when its centre lies in the measured region.</dd>
<dt>Density</dt><dd>Dots per square centimetre of the region, from the photo's scale (pixels per millimetre). Compare sessions by density rather than count when photos are framed differently.</dd>
<dt>Coverage</dt><dd>The share of the region's skin inside a dot's outline, where a dot is at least half as dark as its centre. Changes are in percentage points.</dd>
<dt>Darkness</dt><dd>How much darker a dot's centre is than the skin around it, in light reflected: 0 is no difference, 1 is black. The median over all dots; the photo's exposure cancels out, and fading lowers it.</dd>
<dt>Mean dot</dt><dd>The average diameter of the dots' outlines, in millimetres.</dd>
<dt>Lightness</dt><dd>CIELAB L* of the pigment and of the surrounding skin (0 black, 100 white).</dd>
<dt>Limits</dt><dd>Photos of shaved scalp, evenly lit, with a known scale, compare best. Hair crossing itself can be mistaken for dots. Read any warnings before comparing sessions.</dd>
</dl></section>"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// The outlook's first sentence says why progress or the sessions remaining are missing:
    /// no target, a target but no scale in the latest photo, or a single session.
    #[test]
    fn the_outlook_says_why_progress_is_not_estimated() {
        let summary = |progress_pct, sessions_remaining_estimate| Summary {
            progress_pct,
            sessions_remaining_estimate,
            flags: Vec::new(),
        };
        let first_sentence = |s: &Summary, target, sessions: usize| {
            let mut h = String::new();
            outlook(&mut h, s, target, &vec![Some(50.0); sessions]);
            let start = h.find("<p>").expect("a paragraph") + 3;
            h[start..h.find("</p>").expect("its end")].to_string()
        };
        assert_eq!(
            first_sentence(&summary(None, None), None, 3),
            "No target density given: progress is not estimated."
        );
        assert_eq!(
            first_sentence(&summary(None, None), Some(110.0), 3),
            "The latest photo has no scale (px/mm), so its density and the progress towards the \
             target of 110 dots/cm² cannot be measured."
        );
        assert_eq!(
            first_sentence(&summary(Some(52.5), None), Some(110.0), 1),
            "Density is at <strong>52.5%</strong> of the target; sessions remaining are \
             estimated from the gain between sessions, once there are two."
        );
        assert_eq!(
            first_sentence(&summary(Some(52.5), None), Some(110.0), 3),
            "Density is at <strong>52.5%</strong> of the target; sessions remaining cannot be \
             estimated from the recent gains."
        );
        // An earlier session without a scale: its gain is unknown.
        let mut h = String::new();
        let densities = [Some(30.0), None, Some(52.5)];
        outlook(&mut h, &summary(Some(52.5), None), Some(110.0), &densities);
        assert!(
            h.contains("estimated from the recent sessions' densities, and an earlier photo among them has no scale."),
            "{h}"
        );
        assert_eq!(
            first_sentence(&summary(Some(90.0), Some(2)), Some(110.0), 3),
            "Density is at <strong>90%</strong> of the target; at the recent gain per session, \
             about <strong>2</strong> more sessions to reach it."
        );
    }

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x&y")</script>'"#),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39;"
        );
    }
}

//! Line charts of one number across sessions, as inline SVG (no script, no fonts to fetch).

use std::fmt::Write;

use super::html::escape;

/// Chart size in SVG user units (the page scales it to its column).
pub const WIDTH: f64 = 560.0;
/// Chart height in SVG user units.
pub const HEIGHT: f64 = 250.0;
const LEFT: f64 = 58.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 56.0;
const INSET: f64 = 44.0;

/// One chart: a value per session (a gap where `None`), at horizontal positions `x` (0..1,
/// e.g. by date), with a label under each point.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart<'a> {
    /// Heading inside the chart, e.g. "Density".
    pub title: &'a str,
    /// Unit of the values, e.g. "dots/cm²" (shown after the title).
    pub unit: &'a str,
    /// Horizontal position of each session (0 = left end, 1 = right end).
    pub x: &'a [f64],
    /// Label under each session's point (a line break starts a second line).
    pub labels: &'a [String],
    /// Each session's value, as reported.
    pub values: &'a [Option<f64>],
    /// A target line (value, label), e.g. the planned density.
    pub target: Option<(f64, &'a str)>,
    /// Stroke colour of the line and points (CSS colour).
    pub colour: &'a str,
}

/// A tick step of 1, 2, 2.5 or 5 × 10ⁿ giving at most five steps up to `max` (> 0).
fn tick_step(max: f64) -> f64 {
    let rough = max / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * magnitude)
}

/// `v` with as many decimals as a tick `step` needs (at most 6).
fn tick_text(v: f64, step: f64) -> String {
    let decimals = (0..6)
        .find(|d| {
            let scaled = step * 10f64.powi(*d);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
        })
        .unwrap_or(6) as usize;
    format!("{v:.decimals$}")
}

/// The chart as an `<svg>` element. Every label is escaped.
pub fn line_chart(chart: &Chart) -> String {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let mut s = String::new();
    let heading = if chart.unit.is_empty() {
        chart.title.to_string()
    } else {
        format!("{} ({})", chart.title, chart.unit)
    };
    let _ = write!(
        s,
        r##"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{h}" xmlns="http://www.w3.org/2000/svg"><title>{h}</title><rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/><text x="{LEFT}" y="20" class="chart-title">{h}</text>"##,
        h = escape(&heading)
    );
    let known: Vec<f64> = chart
        .values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let max = known
        .iter()
        .copied()
        .chain(chart.target.map(|t| t.0))
        .fold(0.0_f64, f64::max);
    let step = tick_step(if max > 0.0 { max * 1.08 } else { 1.0 });
    let top = (max * 1.08 / step).ceil().max(1.0) * step;
    let y_of = |v: f64| TOP + plot_h * (1.0 - v.max(0.0) / top);
    // Points stay clear of the axis and the edge, so their labels fit.
    let x_of = |x: f64| LEFT + INSET + (plot_w - 2.0 * INSET) * x.clamp(0.0, 1.0);

    // Grid and vertical axis labels.
    for k in 0..=(top / step).round() as u32 {
        let tick = f64::from(k) * step;
        let y = y_of(tick);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e3e3e3"/><text x="{:.1}" y="{:.1}" text-anchor="end" class="tick">{}</text>"##,
            LEFT + plot_w,
            LEFT - 6.0,
            y + 4.0,
            tick_text(tick, step)
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{:.1}" stroke="#888"/>"##,
        TOP + plot_h
    );
    if let Some((value, label)) = chart.target {
        let y = y_of(value);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#b45309" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}" class="target">{}</text>"##,
            LEFT + plot_w,
            LEFT + 4.0,
            y - 5.0,
            escape(label)
        );
    }
    if known.is_empty() {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="tick">not measured</text>"##,
            LEFT + plot_w / 2.0,
            TOP + plot_h / 2.0
        );
    }
    // The line, broken where a value is missing.
    let mut path = String::new();
    let mut pen_down = false;
    for (x, v) in chart.x.iter().zip(chart.values) {
        match v.filter(|v| v.is_finite()) {
            Some(v) => {
                let _ = write!(
                    path,
                    "{}{:.1},{:.1} ",
                    if pen_down { "L" } else { "M" },
                    x_of(*x),
                    y_of(v)
                );
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    if !path.is_empty() {
        let _ = write!(
            s,
            r#"<path d="{}" fill="none" stroke="{}" stroke-width="2.5"/>"#,
            path.trim_end(),
            escape(chart.colour)
        );
    }
    for (n, (x, label)) in chart.x.iter().zip(chart.labels).enumerate() {
        let cx = x_of(*x);
        // One line of text per line of the label (e.g. the label, then the date).
        let _ = write!(
            s,
            r#"<text x="{cx:.1}" y="{:.1}" text-anchor="middle" class="tick">"#,
            TOP + plot_h + 18.0
        );
        for (k, line) in label.lines().enumerate() {
            let dy = if k == 0 { 0.0 } else { 15.0 };
            let _ = write!(
                s,
                r#"<tspan x="{cx:.1}" dy="{dy}">{}</tspan>"#,
                escape(line)
            );
        }
        s.push_str("</text>");
        if let Some(v) = chart
            .values
            .get(n)
            .copied()
            .flatten()
            .filter(|v| v.is_finite())
        {
            let cy = y_of(v);
            let _ = write!(
                s,
                r#"<circle cx="{cx:.1}" cy="{cy:.1}" r="5" fill="{c}"><title>{l}: {v}</title></circle><text x="{cx:.1}" y="{:.1}" text-anchor="middle" class="value">{v}</text>"#,
                cy - 10.0,
                c = escape(chart.colour),
                l = escape(label)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(tick_step(120.0), 25.0);
        assert_eq!(tick_step(0.7), 0.2);
        assert_eq!(tick_step(9.0), 2.0);
        assert_eq!(tick_text(0.4, 0.2), "0.4");
        assert_eq!(tick_text(50.0, 25.0), "50");
        assert_eq!(tick_text(0.25, 0.25), "0.25");
    }

    #[test]
    fn a_chart_escapes_labels_and_breaks_at_gaps() {
        let labels = vec!["<b>".to_string(), "two".into(), "3".into()];
        let svg = line_chart(&Chart {
            title: "Density",
            unit: "dots/cm²",
            x: &[0.0, 0.5, 1.0],
            labels: &labels,
            values: &[Some(40.0), None, Some(90.0)],
            target: Some((120.0, "target & goal")),
            colour: "#2563eb",
        });
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(svg.contains("target &amp; goal"));
        assert_eq!(svg.matches("<circle").count(), 2);
        let path = svg.split(r#"<path d=""#).nth(1).unwrap();
        let path = &path[..path.find('"').unwrap()];
        assert_eq!(
            (path.matches('M').count(), path.matches('L').count()),
            (2, 0)
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}

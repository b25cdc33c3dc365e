//! The overlay: one session's region, as a technician checks a count. The region (with a little
//! context around it, shrunk when large and enlarged when small) is outlined; every counted dot
//! is ringed at its measured size with its centre marked; what was set aside as hair or stubble
//! is tinted; solid pigment (where the count is unreliable) is hatched, and the pieces counted on
//! lines of pigment are ringed in a colour of their own; a legend below gives the session's
//! numbers and the colours' meaning.

use image::{DynamicImage, Rgb, RgbImage};
use imageproc::drawing::{draw_filled_rect_mut, draw_hollow_circle_mut};
use imageproc::rect::Rect;

use super::text::{draw_text, put, text_width, GLYPH_PX};
use super::View;
use crate::analyze::PhotoAnalysis;
use crate::region::Region;

/// Longest side (px) of the overlay's picture: a large region is shrunk to this.
pub const OVERLAY_MAX_SIDE: u32 = 1200;
/// A small region is enlarged by a whole factor up to this, so that dots of a few px are big
/// enough to judge.
pub const OVERLAY_MAX_ZOOM: u32 = 4;
/// Context shown around the region, as a fraction of its longer side, so that dots cut by its
/// edge are seen whole (they count when their centre lies inside).
pub const CONTEXT_FRACTION: f64 = 0.04;
/// The overlay is at least this wide (px), so the legend fits beside a narrow region.
pub const MIN_WIDTH: u32 = 560;
/// Ring around each counted dot, 1.5 px outside its half-maximum outline.
pub const DOT_RING: Rgb<u8> = Rgb([0, 255, 255]);
/// Ring around each counted dot that lies on a line of pigment (see
/// [`crate::measure::lines`]): a piece of linework, not a dot told apart.
pub const LINE_RING: Rgb<u8> = Rgb([255, 255, 0]);
/// Mark at each counted dot's centre (a pixel, or a small cross when the dot is large enough):
/// a colour no skin or pigment has, so a program can find the marks too.
pub const DOT_CENTRE: Rgb<u8> = Rgb([0, 255, 0]);
/// Tint of what was set aside as hair or stubble.
pub const HAIR: Rgb<u8> = Rgb([255, 0, 255]);
/// Opacity of the hair tint (0..1): the hair stays visible under it.
pub const HAIR_OPACITY: f32 = 0.6;
/// Hatching over the squares of solid pigment (see [`crate::measure::solid`]), where dots
/// cannot be told apart: a red no skin has, visible on black pigment.
pub const SOLID: Rgb<u8> = Rgb([230, 20, 20]);
/// Period of the solid pigment's diagonal hatching (overlay px): lines 2 px wide, this far apart.
pub const SOLID_HATCH_PERIOD: u32 = 6;
/// The region's outline, just outside it.
pub const REGION_OUTLINE: Rgb<u8> = Rgb([255, 176, 0]);
const LEGEND_BACKGROUND: Rgb<u8> = Rgb([248, 248, 246]);
const LEGEND_TEXT: Rgb<u8> = Rgb([24, 24, 24]);
const LEGEND_WARNING: Rgb<u8> = Rgb([170, 60, 0]);

/// Draws the overlay of one analysed photo (sRGB, 8 bits). The picture's scale is chosen from
/// the region's size alone, so overlays of one series are comparable.
pub fn render_overlay(photo: &DynamicImage, analysis: &PhotoAnalysis) -> RgbImage {
    let m = &analysis.measurement;
    let region = m.region;
    let long = f64::from(region.width.max(region.height));
    let margin = (CONTEXT_FRACTION * long).ceil() as u32;
    let area = region.expanded_within(margin, photo.width(), photo.height());
    let mut view = View::of(photo, area, OVERLAY_MAX_SIDE, OVERLAY_MAX_ZOOM);
    // The view's picture is drawn on in place; the view keeps only its origin and scale.
    let mut pic = std::mem::take(&mut view.image);
    tint_hair(&mut pic, &view, analysis);
    outline_region(&mut pic, &view, region);

    let scale = view.scale.0.min(view.scale.1);
    let marks: Vec<(f64, f64, f64)> = m
        .dots
        .iter()
        .map(|d| {
            let (x, y) = view.to_image(d.x, d.y);
            (x, y, (0.5 * d.diameter_px * scale + 1.5).max(2.5))
        })
        .collect();
    let on_lines = m.on_lines.iter().chain(std::iter::repeat(&false));
    for (&(x, y, r), &on_line) in marks.iter().zip(on_lines) {
        draw_hollow_circle_mut(
            &mut pic,
            (x.floor() as i32, y.floor() as i32),
            r.round() as i32,
            if on_line { LINE_RING } else { DOT_RING },
        );
    }
    // Over the rings, which crowd solid pigment; under the centres.
    hatch_solid(&mut pic, &view, analysis);
    // Centres last, so no ring hides one.
    for &(x, y, r) in &marks {
        let (px, py) = (x.floor() as i64, y.floor() as i64);
        put(&mut pic, px, py, DOT_CENTRE);
        if r >= 6.0 {
            for (dx, dy) in [(-1, 0), (1, 0), (0, -1), (0, 1)] {
                put(&mut pic, px + dx, py + dy, DOT_CENTRE);
            }
        }
    }
    with_legend(pic, analysis)
}

/// Blends [`HAIR`] into every picture pixel that shows some of the hair mask.
fn tint_hair(pic: &mut RgbImage, view: &View, analysis: &PhotoAnalysis) {
    let mask = &analysis.measurement.hair_mask;
    if mask.count() == 0 {
        return;
    }
    let (sx, sy) = view.scale;
    for v in 0..pic.height() {
        let y0 = view.origin.1 + f64::from(v) / sy;
        let y1 = y0 + 1.0 / sy;
        for u in 0..pic.width() {
            let x0 = view.origin.0 + f64::from(u) / sx;
            if mask.any_in(x0, y0, x0 + 1.0 / sx, y1) {
                let p = pic.get_pixel_mut(u, v);
                for c in 0..3 {
                    let mixed = (1.0 - HAIR_OPACITY) * f32::from(p.0[c])
                        + HAIR_OPACITY * f32::from(HAIR.0[c]);
                    p.0[c] = mixed.round() as u8;
                }
            }
        }
    }
}

/// Draws diagonal lines of [`SOLID`] (2 px wide, [`SOLID_HATCH_PERIOD`] px apart) over the
/// picture pixels whose centre lies in a square of solid pigment.
fn hatch_solid(pic: &mut RgbImage, view: &View, analysis: &PhotoAnalysis) {
    let m = &analysis.measurement;
    if m.solid.solid_px() == 0 {
        return;
    }
    let (sx, sy) = view.scale;
    let (rx, ry) = (f64::from(m.region.x), f64::from(m.region.y));
    for v in 0..pic.height() {
        let y = view.origin.1 + (f64::from(v) + 0.5) / sy - ry;
        for u in (0..pic.width()).filter(|u| (u + v) % SOLID_HATCH_PERIOD < 2) {
            let x = view.origin.0 + (f64::from(u) + 0.5) / sx - rx;
            if m.solid.contains(x, y) {
                pic.put_pixel(u, v, SOLID);
            }
        }
    }
}

/// A 2 px frame just outside `region` (inside the picture's edge where there is no context).
fn outline_region(pic: &mut RgbImage, view: &View, region: Region) {
    let (x0, y0) = view.to_image(f64::from(region.x), f64::from(region.y));
    let (x1, y1) = view.to_image(region.right() as f64, region.bottom() as f64);
    let (w, h) = (i64::from(pic.width()), i64::from(pic.height()));
    let left = (x0.round() as i64 - 2).clamp(0, (w - 2).max(0));
    let top = (y0.round() as i64 - 2).clamp(0, (h - 2).max(0));
    let right = (x1.round() as i64).clamp(0, (w - 2).max(0));
    let bottom = (y1.round() as i64).clamp(0, (h - 2).max(0));
    for t in 0..2 {
        for x in left..right + 2 {
            put(pic, x, top + t, REGION_OUTLINE);
            put(pic, x, bottom + t, REGION_OUTLINE);
        }
        for y in top..bottom + 2 {
            put(pic, left + t, y, REGION_OUTLINE);
            put(pic, right + t, y, REGION_OUTLINE);
        }
    }
}

/// The legend's text lines: what the session is, its numbers, and its warnings.
fn legend_lines(analysis: &PhotoAnalysis, max_chars: usize) -> Vec<(String, bool)> {
    let r = &analysis.report;
    let c = &r.context;
    let mut head: Vec<String> = Vec::new();
    if let Some(label) = &c.label {
        head.push(label.clone());
    }
    head.push(c.photo.clone());
    if let Some(date) = &c.date {
        head.push(date.clone());
    }
    let m = &r.metrics;
    let mut numbers = vec![format!("{} dots", m.dot_count)];
    if let Some(d) = m.density_per_cm2 {
        numbers.push(format!("{d} dots/cm²"));
    }
    numbers.push(format!("coverage {}%", m.coverage_pct));
    if let Some(d) = m.darkness {
        numbers.push(format!("darkness {d}"));
    }
    match (m.mean_dot_diameter_mm, m.mean_dot_diameter_px) {
        (Some(mm), _) => numbers.push(format!("mean dot {mm} mm")),
        (None, Some(px)) => numbers.push(format!("mean dot {px} px")),
        _ => {}
    }
    numbers.push(format!("hair/stubble {}%", m.hair_coverage_pct));
    let mut place = vec![format!(
        "region {}x{} px at {},{}",
        c.region.width, c.region.height, c.region.x, c.region.y
    )];
    if let Some(s) = c.px_per_mm {
        place.push(format!("{s} px/mm"));
    }
    let mut lines: Vec<(String, bool)> = Vec::new();
    for items in [head, numbers, place] {
        lines.extend(flow(&items, max_chars).into_iter().map(|l| (l, false)));
    }
    for w in &r.warnings {
        lines.extend(
            flow(&[format!("warning: {w}")], max_chars)
                .into_iter()
                .map(|l| (l, true)),
        );
    }
    lines
}

/// `items` joined by " · " into lines of at most `max_chars` characters, breaking between items
/// where possible and between words (or inside an over-long word) where not.
fn flow(items: &[String], max_chars: usize) -> Vec<String> {
    let max_chars = max_chars.max(8);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for (n, item) in items.iter().enumerate() {
        let sep = if n == 0 || line.is_empty() {
            ""
        } else {
            " · "
        };
        let len = |s: &str| s.chars().count();
        if len(&line) + len(sep) + len(item) <= max_chars {
            line.push_str(sep);
            line.push_str(item);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for word in item.split_whitespace() {
            let mut word: Vec<char> = word.chars().collect();
            loop {
                let room = max_chars.saturating_sub(len(&line) + usize::from(!line.is_empty()));
                if word.len() <= room {
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    line.extend(word.iter());
                    break;
                }
                if line.is_empty() {
                    let rest = word.split_off(max_chars);
                    lines.push(word.iter().collect());
                    word = rest;
                } else {
                    lines.push(std::mem::take(&mut line));
                }
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `pic` with the legend below it, on a canvas at least [`MIN_WIDTH`] wide.
fn with_legend(pic: RgbImage, analysis: &PhotoAnalysis) -> RgbImage {
    let width = pic.width().max(MIN_WIDTH);
    let ts = if width >= 800 { 2 } else { 1 };
    let line_h = i64::from((GLYPH_PX + 4) * ts);
    let pad = i64::from(8 * ts);
    let glyph = i64::from(GLYPH_PX * ts);
    let max_chars = ((i64::from(width) - 2 * pad) / glyph) as usize;
    let lines = legend_lines(analysis, max_chars);
    // The key: a ring, a tint, a frame, each with its meaning, wrapped to the width.
    let mut key: Vec<(i64, i64, Key, &str)> = Vec::new();
    let (mut x, mut row) = (pad, 0i64);
    let m = &analysis.measurement;
    let (solid, on_lines) = (m.solid.solid_px() > 0, m.on_lines.contains(&true));
    // The solid pigment's key and the lines' only where there are some.
    let items = [
        (Key::Ring(DOT_RING), "counted dot", true),
        (Key::Fill(HAIR), "hair/stubble set aside", true),
        (Key::Fill(REGION_OUTLINE), "region measured", true),
        (Key::Hatch(SOLID), "solid pigment", solid),
        (Key::Ring(LINE_RING), "piece of a line", on_lines),
    ];
    let shown = items.into_iter().filter(|&(_, _, shown)| shown);
    for (swatch, label, _) in shown {
        let item_w = glyph + 4 * i64::from(ts) + i64::from(text_width(label, ts));
        if x > pad && x + item_w > i64::from(width) - pad {
            (x, row) = (pad, row + 1);
        }
        key.push((x, row, swatch, label));
        x += item_w + 16 * i64::from(ts);
    }
    let legend_h = 2 * pad + line_h * (lines.len() as i64 + row + 1);
    let mut canvas = RgbImage::from_pixel(width, pic.height() + legend_h as u32, LEGEND_BACKGROUND);
    image::imageops::replace(&mut canvas, &pic, 0, 0);
    let mut y = i64::from(pic.height()) + pad;
    for (text, warning) in &lines {
        let colour = if *warning {
            LEGEND_WARNING
        } else {
            LEGEND_TEXT
        };
        draw_text(&mut canvas, pad, y, text, colour, ts);
        y += line_h;
    }
    for (x, row, swatch, label) in key {
        let top = y + row * line_h;
        match swatch {
            Key::Ring(colour) => {
                let r = (glyph / 2) as i32;
                let centre = (x as i32 + r, (top + glyph / 2) as i32);
                draw_hollow_circle_mut(&mut canvas, centre, r, colour);
            }
            Key::Fill(colour) => {
                let side = glyph as u32;
                let rect = Rect::at(x as i32, top as i32).of_size(side, side);
                draw_filled_rect_mut(&mut canvas, rect, colour);
            }
            Key::Hatch(colour) => {
                for dy in 0..glyph {
                    let period = i64::from(SOLID_HATCH_PERIOD);
                    for dx in (0..glyph).filter(|dx| (dx + dy) % period < 2) {
                        put(&mut canvas, x + dx, top + dy, colour);
                    }
                }
            }
        }
        let text_x = x + glyph + 4 * i64::from(ts);
        draw_text(&mut canvas, text_x, top, label, LEGEND_TEXT, ts);
    }
    canvas
}

/// A swatch of the legend's key.
#[derive(Clone, Copy)]
enum Key {
    Ring(Rgb<u8>),
    Fill(Rgb<u8>),
    Hatch(Rgb<u8>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_breaks_between_items_then_words() {
        let items: Vec<String> = ["12 dots", "coverage 3%", "darkness 0.5"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            flow(&items, 80),
            vec!["12 dots · coverage 3% · darkness 0.5"]
        );
        assert_eq!(
            flow(&items, 22),
            vec!["12 dots · coverage 3%", "darkness 0.5"]
        );
        let long = vec!["averyveryverylongword and more".to_string()];
        assert_eq!(
            flow(&long, 10),
            vec!["averyveryv", "erylongwor", "d and more"]
        );
        assert!(flow(&[], 10).is_empty());
    }
}

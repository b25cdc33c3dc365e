//! Text on images, from the public-domain 8×8 bitmap font of the `font8x8` crate (ASCII, Latin-1
//! and a few symbols: enough for numbers, units and most names; other characters print as `?`).

use font8x8::UnicodeFonts;
use image::{Rgb, RgbImage};

/// Width and height (px) of one character at scale 1.
pub const GLYPH_PX: u32 = 8;

fn glyph(c: char) -> [u8; 8] {
    // font8x8 0.3 files ², ³ and ´ all under U+00B2, so look those up by their table position.
    let latin1 = |c: char| {
        font8x8::legacy::LATIN_LEGACY
            .get(c as usize - 0xA0)
            .copied()
    };
    if matches!(c, '²' | '³' | '´') {
        return latin1(c).unwrap_or([0; 8]);
    }
    font8x8::BASIC_FONTS
        .get(c)
        .or_else(|| font8x8::LATIN_FONTS.get(c))
        .or_else(|| font8x8::GREEK_FONTS.get(c))
        .or_else(|| match c {
            // The font has no en dash, multiplication sign or middle dot of its own here.
            '–' | '—' | '−' => font8x8::BASIC_FONTS.get('-'),
            _ => None,
        })
        .or_else(|| font8x8::BASIC_FONTS.get('?'))
        .unwrap_or([0; 8])
}

/// Width (px) of `text` drawn at `scale`.
pub fn text_width(text: &str, scale: u32) -> u32 {
    (text.chars().count() as u32).saturating_mul(GLYPH_PX * scale)
}

/// Draws `text` with its top-left corner at (`x`, `y`) in `colour`, each font pixel a
/// `scale` × `scale` square; whatever falls outside `img` is clipped.
pub fn draw_text(img: &mut RgbImage, x: i64, y: i64, text: &str, colour: Rgb<u8>, scale: u32) {
    let scale = i64::from(scale.max(1));
    for (n, c) in text.chars().enumerate() {
        let left = x + n as i64 * 8 * scale;
        if left >= i64::from(img.width()) {
            break;
        }
        for (row, bits) in glyph(c).iter().enumerate() {
            for col in 0..8 {
                if bits >> col & 1 == 0 {
                    continue;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        put(
                            img,
                            left + col * scale + dx,
                            y + row as i64 * scale + dy,
                            colour,
                        );
                    }
                }
            }
        }
    }
}

/// Sets pixel (`x`, `y`) if it lies inside `img`.
pub fn put(img: &mut RgbImage, x: i64, y: i64, colour: Rgb<u8>) {
    if x >= 0 && y >= 0 && x < i64::from(img.width()) && y < i64::from(img.height()) {
        img.put_pixel(x as u32, y as u32, colour);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_drawn_and_clipped() {
        let mut img = RgbImage::new(20, 10);
        draw_text(&mut img, -3, 1, "H²€", Rgb([255, 0, 0]), 1);
        assert!(img.pixels().any(|p| p.0 == [255, 0, 0]));
        draw_text(&mut img, 500, 500, "far away", Rgb([0, 255, 0]), 3);
        assert!(!img.pixels().any(|p| p.0 == [0, 255, 0]));
        assert_eq!(text_width("abc", 2), 48);
        // ² is a 2, not an accent (font8x8 0.3 mislabels it).
        assert_eq!(glyph('²')[4], 0b0011_1100);
    }
}

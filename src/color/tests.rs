use super::*;
use crate::plane::Rows;

#[test]
fn srgb_decoding_matches_the_standard() {
    assert_eq!(srgb_to_linear(0.0), 0.0);
    assert!((srgb_to_linear(1.0) - 1.0).abs() < 1e-6);
    // sRGB 128/255 is 21.6% linear light.
    assert!((LINEAR_FROM_U8[128] - 0.2158).abs() < 1e-3);
    assert!((LINEAR_FROM_U16[65535] - 1.0).abs() < 1e-6);
}

#[test]
fn lightness_of_known_greys() {
    assert!((lightness_from_luminance(1.0) - 100.0).abs() < 0.01);
    assert!((lightness_from_luminance(0.18) - 49.5).abs() < 0.1);
    assert!(lightness_from_luminance(0.0).abs() < 0.01);
}

#[test]
fn luminance_source_matches_the_plane_bit_for_bit() {
    let rgb = image::RgbImage::from_fn(7, 5, |x, y| {
        image::Rgb([
            (x * 37 % 256) as u8,
            (y * 91 % 256) as u8,
            ((x + y) * 13) as u8,
        ])
    });
    let grey16 = image::ImageBuffer::from_fn(7, 5, |x, y| image::Luma([(x * 9001 + y) as u16]));
    let float = DynamicImage::ImageRgb8(rgb.clone()).to_rgb32f();
    let rect = Region {
        x: 1,
        y: 2,
        width: 5,
        height: 3,
    };
    // The same size, against the image's right and bottom edges.
    let edge = Region { x: 2, ..rect };
    let colour = DynamicImage::ImageRgb8(rgb);
    // Every layout read straight from the photo, and one (float) kept as a plane.
    for image in [
        colour.clone(),
        DynamicImage::ImageRgba8(colour.to_rgba8()),
        DynamicImage::ImageLuma8(colour.to_luma8()),
        DynamicImage::ImageLumaA8(colour.to_luma_alpha8()),
        DynamicImage::ImageRgb16(colour.to_rgb16()),
        DynamicImage::ImageRgba16(colour.to_rgba16()),
        DynamicImage::ImageLuma16(grey16),
        DynamicImage::ImageLumaA16(colour.to_luma_alpha16()),
        DynamicImage::ImageRgb32F(float),
    ] {
        let (plane, _) = luminance(&image, rect);
        let source = LuminanceSource::new(&image, rect, plane.clone());
        let at_edge = LuminanceSource::new(&image, edge, luminance(&image, edge).0);
        for y in 0..3 {
            for x in 0..5 {
                assert_eq!(source.get(x, y).to_bits(), plane.get(x, y).to_bits());
                // One look-up for both: the same as the two calls.
                let (rgb, lum) = source.rgb_and_y(x, y);
                let (ix, iy) = (rect.x + x as u32, rect.y + y as u32);
                assert_eq!(rgb, linear_rgb(&image, ix, iy));
                assert_eq!(lum.to_bits(), plane.get(x, y).to_bits());
            }
            // Spans of a row read again (`Rows`), by a source that keeps no plane where it
            // need not: the plane's values, bit for bit, in the window and at the image's edges;
            // and the clipped pixels it counts are the plane's.
            for window in [rect, edge] {
                let (plane, clipped) = luminance(&image, window);
                let (source, counted) = LuminanceSource::of(&image, window);
                assert_eq!(counted, clipped, "{:?} {window:?}", image.color());
                assert_eq!(
                    source.stored().is_some(),
                    matches!(image, DynamicImage::ImageRgb32F(_)),
                    "only a float photo keeps its plane"
                );
                for (from, to) in [(0, 5), (1, 4), (4, 5), (2, 2)] {
                    let mut span = vec![f32::NAN; to - from];
                    source.span_into(y, from, &mut span);
                    let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                    assert_eq!(
                        bits(&span),
                        bits(&plane.row(y)[from..to]),
                        "{:?} {window:?} row {y} {from}..{to}",
                        image.color()
                    );
                }
            }
            // A run gives each of its pixels' values, in order, and only those: inside the
            // window, across it, at its right edge (the image's too for `edge`), and empty.
            for xs in [1..4, 0..5, 4..5, 2..2] {
                for (window, source) in [(rect, &source), (edge, &at_edge)] {
                    let mut run = Vec::new();
                    source.for_each_rgb_and_y_in_run(y, xs.clone(), |x, rgb, lum| {
                        run.push((x, rgb.map(f32::to_bits), lum.to_bits()))
                    });
                    let single: Vec<_> = xs
                        .clone()
                        .map(|x| {
                            let (rgb, lum) = source.rgb_and_y(x, y);
                            (x, rgb.map(f32::to_bits), lum.to_bits())
                        })
                        .collect();
                    assert_eq!(run, single, "{:?} {window:?} row {y} {xs:?}", image.color());
                }
            }
        }
    }
}

/// Clipped pixels are those with a colour channel (R, G or B, or grey; never alpha) at
/// 254/255 of full scale or above, counted over the window, for every 8- and 16-bit
/// layout: each channel clipped alone, at and just below the limit, and alpha full.
#[test]
fn clipping_counts_colour_channels_only_in_every_layout() {
    let mut rng = crate::synth::SplitMix64::new(23);
    let (w, h) = (9u32, 7u32);
    // Per channel value: mostly mid-grey, sometimes at or just below the clip.
    let mut codes: Vec<[u8; 4]> = Vec::new();
    for _ in 0..w * h {
        codes.push([0; 4].map(|_| match (rng.uniform(0.0, 1.0) * 6.0) as u32 {
            0 => 254,
            1 => 253,
            2 => 255,
            _ => 100,
        }));
    }
    let at = |x: u32, y: u32| codes[(y * w + x) as usize];
    let rect = Region {
        x: 2,
        y: 1,
        width: 5,
        height: 4,
    };
    let expected = |colour: usize| -> u64 {
        let mut n = 0;
        for y in rect.y..rect.y + rect.height {
            for x in rect.x..rect.x + rect.width {
                n += u64::from(at(x, y)[..colour].iter().any(|&v| v >= 254));
            }
        }
        n
    };
    let wide = |v: u8| u16::from(v) * 257;
    let images = [
        (
            DynamicImage::ImageLuma8(image::GrayImage::from_fn(w, h, |x, y| {
                image::Luma([at(x, y)[0]])
            })),
            1,
        ),
        (
            DynamicImage::ImageLumaA8(image::GrayAlphaImage::from_fn(w, h, |x, y| {
                image::LumaA([at(x, y)[0], at(x, y)[1]])
            })),
            1,
        ),
        (
            DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| {
                let p = at(x, y);
                image::Rgb([p[0], p[1], p[2]])
            })),
            3,
        ),
        (
            DynamicImage::ImageRgba8(image::RgbaImage::from_fn(w, h, |x, y| {
                image::Rgba(at(x, y))
            })),
            3,
        ),
        (
            DynamicImage::ImageLuma16(image::ImageBuffer::from_fn(w, h, |x, y| {
                image::Luma([wide(at(x, y)[0])])
            })),
            1,
        ),
        (
            DynamicImage::ImageRgba16(image::ImageBuffer::from_fn(w, h, |x, y| {
                image::Rgba(at(x, y).map(wide))
            })),
            3,
        ),
    ];
    for (image, colour) in images {
        let (_, clipped) = luminance(&image, rect);
        assert_eq!(clipped, expected(colour), "{:?}", image.color());
    }
}

#[test]
fn luminance_of_a_window_and_clipping() {
    let mut img = image::RgbImage::from_pixel(4, 3, image::Rgb([128, 128, 128]));
    img.put_pixel(2, 1, image::Rgb([255, 0, 0]));
    let dynamic = DynamicImage::ImageRgb8(img);
    let rect = Region {
        x: 1,
        y: 1,
        width: 2,
        height: 2,
    };
    let (plane, clipped) = luminance(&dynamic, rect);
    assert_eq!((plane.width, plane.height), (2, 2));
    assert!((plane.get(0, 0) - LINEAR_FROM_U8[128]).abs() < 1e-6);
    assert!((plane.get(1, 0) - 0.2126).abs() < 1e-6);
    assert_eq!(clipped, 1);
    // 16-bit grey decodes to the same luminance as 8-bit.
    let grey16 = DynamicImage::ImageLuma16(image::ImageBuffer::from_pixel(
        2,
        2,
        image::Luma([128u16 * 257]),
    ));
    let (p16, _) = luminance(&grey16, Region::whole(2, 2));
    assert!((p16.get(1, 1) - LINEAR_FROM_U8[128]).abs() < 1e-5);
}

/// The clipped pixels of an 8-bit RGB run, counted sixteen at a time, are the ones counted one
/// by one: runs of every length around the block of 16, channels at and around the clipping
/// code, a clipped channel in every position of a pixel.
#[test]
fn clipped_rgb8_runs_count_as_pixel_by_pixel() {
    let mut rng = crate::synth::SplitMix64::new(3);
    for pixels in [0, 1, 15, 16, 17, 33, 100] {
        let bytes: Vec<u8> = (0..pixels * 3)
            .map(|_| [0, 100, 253, 254, 255][(rng.uniform(0.0, 5.0) as usize).min(4)])
            .collect();
        let one_by_one = bytes
            .chunks_exact(3)
            .filter(|p| p.iter().any(|c| *c >= 254))
            .count() as u64;
        assert_eq!(clipped_rgb8(&bytes), one_by_one, "{pixels} px");
    }
    for position in 0..48 {
        let mut bytes = vec![253u8; 48];
        bytes[position] = 255;
        assert_eq!(clipped_rgb8(&bytes), 1, "clipped byte at {position}");
    }
    assert_eq!(clipped_rgb8(&[254; 48]), 16);
}

/// An 8-bit colour pixel's luminance through the weighted tables is [`pixel_luminance`]'s, bit
/// for bit: every code in every channel, and mixed pixels.
#[test]
fn weighted_tables_give_the_one_formulas_luminance() {
    let table = &LINEAR_FROM_U8[..];
    let mut rng = crate::synth::SplitMix64::new(11);
    let mut pixels: Vec<[u8; 4]> = (0..=255u8)
        .flat_map(|v| [[v, 0, 0, 9], [0, v, 0, 9], [0, 0, v, 9], [v, v, v, 9]])
        .collect();
    pixels.extend((0..2000).map(|_| [0, 1, 2, 3].map(|_| rng.uniform(0.0, 256.0) as u8)));
    let rgba: Vec<u8> = pixels.iter().flatten().copied().collect();
    let rgb: Vec<u8> = pixels.iter().flat_map(|p| [p[0], p[1], p[2]]).collect();
    let mut from_rgba = vec![f32::NAN; pixels.len()];
    let mut from_rgb = vec![f32::NAN; pixels.len()];
    luminance_of_rgb8_run::<4>(&rgba, &mut from_rgba);
    luminance_of_rgb8_run::<3>(&rgb, &mut from_rgb);
    for (k, p) in pixels.iter().enumerate() {
        let expected = pixel_luminance(&p[..3], table).to_bits();
        assert_eq!(from_rgb[k].to_bits(), expected, "{p:?}");
        assert_eq!(from_rgba[k].to_bits(), expected, "{p:?} with alpha");
    }
}

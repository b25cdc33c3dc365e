//! What a JPEG's marker structure says before any pixel is decoded: whether the file reaches its
//! end, and whether its top rows can be decoded without the rest; and decoding its pixels
//! strictly, so that corrupt data is an error rather than grey.
//!
//! The walk is written by hand: the `image` crate's JPEG decoder (zune-jpeg) exposes neither,
//! and it is a few dozen lines over the marker segments of ITU T.81 (annex B).

use zune_jpeg::errors::DecodeErrors;
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

/// The marker structure of a JPEG file, read by [`jpeg_layout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct JpegLayout {
    /// Whether the walk reached the end-of-image marker (FF D9).
    pub has_end_marker: bool,
    /// Offset of the frame header's height field (2 bytes, big-endian), when the photo is a
    /// single sequential Huffman scan of all its components (SOF0/SOF1, one SOS, no DNL): only
    /// then are the rows coded top to bottom in one pass, so that a decoder told the image is
    /// shorter decodes the top rows, exactly as in the whole photo, and stops. Progressive and
    /// multi-scan files code every row in each scan and get `None`.
    pub height_field: Option<usize>,
}

/// Walks the marker segments of `bytes` from SOI: each segment is skipped by its length (so an
/// EXIF thumbnail's own markers are never mistaken for the photo's) and each scan's
/// entropy-coded data byte by byte (where 0xFF is only followed by a stuffed 00 or a restart
/// marker), up to the first EOI.
pub(super) fn jpeg_layout(bytes: &[u8]) -> JpegLayout {
    let mut pos = 2; // after SOI (FF D8)
    let mut in_scan = false;
    // (offset of the height field, number of components) of a sequential Huffman frame.
    let mut sequential_frame: Option<(usize, u8)> = None;
    let mut other_frame = false;
    let mut scans = 0;
    let mut first_scan_components = 0;
    let mut has_dnl = false;
    let mut has_end_marker = false;
    while pos + 1 < bytes.len() {
        if bytes[pos] != 0xFF {
            // Entropy-coded data, or stray bytes between segments (tolerated, as libjpeg does):
            // on to the next 0xFF at once (byte by byte, the walk over a 24 MP photo's 5 MB
            // took 4 ms before its decoding could start).
            pos = memchr::memchr(0xFF, &bytes[pos..]).map_or(bytes.len(), |k| pos + k);
            continue;
        }
        let marker = bytes[pos + 1];
        match marker {
            // Fill byte before a marker.
            0xFF => pos += 1,
            // Stuffed zero or restart marker inside a scan.
            0x00 | 0xD0..=0xD7 if in_scan => pos += 2,
            0xD9 => {
                has_end_marker = true;
                break;
            }
            // Stand-alone markers without a length.
            0x00 | 0x01 | 0xD0..=0xD8 => pos += 2,
            _ => {
                let Some(len) = bytes.get(pos + 2..pos + 4) else {
                    break;
                };
                let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                if len < 2 {
                    break;
                }
                match marker {
                    // Baseline and extended sequential, Huffman-coded: P, Y (2), X (2), Nf.
                    0xC0 | 0xC1 => {
                        if let Some(&nf) = bytes.get(pos + 9) {
                            sequential_frame = Some((pos + 5, nf));
                        }
                    }
                    // Every other frame type (progressive, lossless, hierarchical, arithmetic);
                    // C4 (DHT), C8 (JPG) and CC (DAC) are not frames.
                    0xC2 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => other_frame = true,
                    0xDA => {
                        scans += 1;
                        if scans == 1 {
                            first_scan_components = bytes.get(pos + 4).copied().unwrap_or(0);
                        }
                    }
                    // Define Number of Lines: the height is only known after the first scan.
                    0xDC => has_dnl = true,
                    _ => {}
                }
                pos += 2 + len;
                in_scan = marker == 0xDA;
            }
        }
    }
    let height_field = match sequential_frame {
        Some((field, components))
            if has_end_marker
                && !other_frame
                && !has_dnl
                && scans == 1
                && first_scan_components == components =>
        {
            Some(field)
        }
        _ => None,
    };
    JpegLayout {
        has_end_marker,
        height_field,
    }
}

/// `bytes` with the frame's height (px) at `height_field` set to `height`.
pub(super) fn with_height(bytes: &[u8], height_field: usize, height: u16) -> Vec<u8> {
    // One copy of the compressed file (a few MB for a 24 MP photo, about a millisecond), so
    // callers keep their bytes untouched.
    let mut patched = bytes.to_vec();
    patched[height_field..height_field + 2].copy_from_slice(&height.to_be_bytes());
    patched
}

/// Decodes the JPEG `bytes` into `pixels`, which hold exactly its decoded size in `color`'s
/// layout (8-bit grey or RGB, with or without alpha, as `image`'s decoder reports the file),
/// as `image`'s decoder would, but with zune-jpeg's strict mode: damage that breaks the coded
/// data's structure (a code that decodes to nothing, a stray marker in the middle of a scan,
/// data that runs out) is an error, the reason returned. `image` decodes in lenient mode,
/// where the decoder stops at such damage, fills the rest of the photo with flat grey and
/// reports success: a damaged copy was measured as a photo (267 dots for the 436 of the intact
/// one, false dots along the seam). Bytes garbled without breaking that structure decode to
/// wrong blocks in either mode, undetected.
///
/// Two irregularities of the headers are decoded again leniently: stray bytes between header
/// segments (which some camera firmware writes, and libjpeg only warns of) and a component
/// count at odds with the colour space. The whole file is then decoded leniently, its scan
/// included, so damage to the scan of such a file is not caught (told apart by the error's
/// text, which `Cargo.toml` pins zune-jpeg's version for).
pub(super) fn decode_strictly_into(
    bytes: &[u8],
    color: image::ColorType,
    pixels: &mut [u8],
) -> Result<(), String> {
    let out = match color {
        image::ColorType::L8 => ColorSpace::Luma,
        image::ColorType::La8 => ColorSpace::LumaA,
        image::ColorType::Rgba8 => ColorSpace::RGBA,
        // Every other colour space (YCbCr, CMYK, YCCK) is converted to RGB, as by `image`.
        _ => ColorSpace::RGB,
    };
    let decode = |strict: bool, pixels: &mut [u8]| {
        let options = DecoderOptions::default()
            .jpeg_set_out_colorspace(out)
            .set_strict_mode(strict)
            // The sides were checked against our limits from the header already.
            .set_max_width(usize::MAX)
            .set_max_height(usize::MAX);
        zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options).decode_into(pixels)
    };
    match decode(true, pixels) {
        Ok(()) => Ok(()),
        Err(e) if harmless_in_lenient_mode(&e) => {
            decode(false, pixels).map_err(|e| format!("the JPEG could not be decoded ({e})"))
        }
        Err(e) => Err(format!(
            "the JPEG's coded data is damaged ({}); the photo cannot be measured",
            crate::error::one_line(&e.to_string()).trim_matches('"')
        )),
    }
}

/// The period (px) that a JPEG's rows repeat with where its coded data ran out: the widest
/// MCU (four 8 × 8 blocks side by side, 4:1:1 chroma; 4:2:0's 16 px and a block's 8 divide it),
/// which the decoder fills with blocks decoded from zero bits, alike.
const FILLED_BLOCK_PERIOD: usize = 32;

/// Fewest rows of repeating filler at the bottom of a photo taken as missing data: a block's
/// height.
const MIN_FILLED_ROWS: usize = 8;

/// Where the coded data of a JPEG decoded into `pixels` (8-bit, `channels` per pixel, rows of
/// `width` px) ran out: the first of the bottom rows that each repeat every
/// [`FILLED_BLOCK_PERIOD`] px across the whole width, when at least [`MIN_FILLED_ROWS`] do and
/// at least one of them is not one colour; else `None`.
///
/// A JPEG cut short and closed with an end-of-image marker (a copy interrupted and "repaired",
/// or two files spliced) passes strict decoding: zune-jpeg reads zero bits past a marker, and
/// each block of the missing rows decodes from them alike, a pattern repeated across the
/// photo, some of its rows one colour (a block's flat rows). No photo repeats its pixels
/// exactly across thousands of columns, while a band of one colour (black, clipped white, a
/// flat footer: a flat colour decodes to one colour) has no textured row and is not taken for
/// filler. Not caught: a progressive file cut short (its later scans refine every row), and
/// tables under which the zero bits' DC value drifts from block to block (rows that do not
/// repeat; seen with optimised Huffman tables).
pub(super) fn rows_filled_past_the_data(
    pixels: &[u8],
    width: usize,
    channels: usize,
) -> Option<usize> {
    let stride = width * channels;
    if stride == 0 || width <= FILLED_BLOCK_PERIOD {
        return None;
    }
    let rows = pixels.len() / stride;
    let period = FILLED_BLOCK_PERIOD * channels;
    let row = |y: usize| &pixels[y * stride..(y + 1) * stride];
    let repeats = |y: usize| row(y)[period..] == row(y)[..stride - period];
    let textured = |y: usize| {
        let r = row(y);
        r[..period]
            .chunks_exact(channels)
            .any(|pixel| pixel != &r[..channels])
    };
    let first = (0..rows).rev().take_while(|&y| repeats(y)).last()?;
    (rows - first >= MIN_FILLED_ROWS && (first..rows).any(textured)).then_some(first)
}

/// Whether strict decoding's `error` is one that leaves the pixels as they were meant to be:
/// stray bytes between header segments, or a component count that does not match the colour
/// space (zune-jpeg then decodes the components as they are, as libjpeg does).
fn harmless_in_lenient_mode(error: &DecodeErrors) -> bool {
    let text = error.to_string();
    text.contains("Extra bytes between headers") || text.contains("components")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, ((x ^ y) * 3) as u8])
        });
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
            .unwrap();
        out
    }

    /// `rows` rows of `width` RGB pixels, varied everywhere (no two columns 16 px apart alike).
    fn photo_rows(width: usize, rows: usize) -> Vec<u8> {
        (0..width * rows * 3)
            .map(|i| ((i * 7919) % 251) as u8)
            .collect()
    }

    #[test]
    fn rows_repeating_blocks_at_the_bottom_are_found() {
        let (width, rows) = (100, 40);
        let mut pixels = photo_rows(width, rows);
        assert_eq!(rows_filled_past_the_data(&pixels, width, 3), None);
        // The bottom 8 rows repeat a textured block (every 16 px, so every 32 too): the data ran
        // out at row 32.
        let block: Vec<u8> = (0..16 * 3).map(|i| (i * 5) as u8).collect();
        for y in 32..rows {
            for x in 0..width {
                let p = (y * width + x) * 3;
                pixels[p..p + 3].copy_from_slice(&block[(x % 16) * 3..(x % 16) * 3 + 3]);
            }
        }
        assert_eq!(rows_filled_past_the_data(&pixels, width, 3), Some(32));
        // Filler with rows of one colour among its textured ones (a block's flat rows) is
        // filler all the same.
        let mut striped = pixels.clone();
        for y in [33, 35, 36, 39] {
            striped[y * width * 3..(y + 1) * width * 3].fill(90);
        }
        assert_eq!(rows_filled_past_the_data(&striped, width, 3), Some(32));
        // Seven rows are less than a block: not enough to tell.
        let cut = &pixels[..33 * width * 3 + 6 * width * 3];
        assert_eq!(rows_filled_past_the_data(cut, width, 3), None);
        // A band of one colour (black, or a flat footer) is no sign of missing data.
        let band = pixels[32 * width * 3..].to_vec();
        pixels[32 * width * 3..].fill(0);
        assert_eq!(rows_filled_past_the_data(&pixels, width, 3), None);
        for pixel in pixels[32 * width * 3..].chunks_exact_mut(3) {
            pixel.copy_from_slice(&[180, 140, 120]);
        }
        assert_eq!(rows_filled_past_the_data(&pixels, width, 3), None);
        pixels[32 * width * 3..].copy_from_slice(&band);
        assert_eq!(rows_filled_past_the_data(&pixels, width, 3), Some(32));
        // Nor is a row that differs from its repeat in one value.
        let mut one_off = photo_rows(width, 8);
        for x in 0..width {
            for y in 0..8 {
                let p = (y * width + x) * 3;
                one_off[p..p + 3].copy_from_slice(&block[(x % 16) * 3..(x % 16) * 3 + 3]);
            }
        }
        assert_eq!(rows_filled_past_the_data(&one_off, width, 3), Some(0));
        one_off[7 * width * 3 + 50] ^= 1;
        assert_eq!(rows_filled_past_the_data(&one_off, width, 3), None);
        // A photo no wider than the period.
        assert_eq!(rows_filled_past_the_data(&photo_rows(32, 10), 32, 3), None);
    }

    /// `bytes` decoded strictly into RGB pixels, or the reason it could not be.
    fn decoded(bytes: &[u8], size: (u32, u32)) -> Result<Vec<u8>, String> {
        let mut pixels = vec![0u8; (size.0 * size.1 * 3) as usize];
        decode_strictly_into(bytes, image::ColorType::Rgb8, &mut pixels).map(|()| pixels)
    }

    #[test]
    fn stray_bytes_between_headers_are_decoded_leniently_and_alike() {
        let bytes = jpeg(64, 48);
        let intact = decoded(&bytes, (64, 48)).expect("an intact JPEG");
        // Two stray bytes after the first header segment, as some camera firmware writes
        // them: strict mode refuses them, the lenient retry decodes the same pixels.
        let first_len = usize::from(u16::from_be_bytes([bytes[4], bytes[5]]));
        let after_first = 4 + first_len;
        assert_eq!(
            bytes[after_first], 0xFF,
            "a marker follows the first segment"
        );
        let mut stray = bytes[..after_first].to_vec();
        stray.extend_from_slice(&[0x00, 0x00]);
        stray.extend_from_slice(&bytes[after_first..]);
        match decoded(&stray, (64, 48)) {
            Ok(pixels) => assert!(pixels == intact, "the lenient retry decoded other pixels"),
            Err(e) => panic!("stray bytes between headers were refused: {e}"),
        }
        // Damage inside the scan is not retried: a marker that does not belong there.
        let sos = (2..bytes.len() - 1)
            .find(|&i| bytes[i] == 0xFF && bytes[i + 1] == 0xDA)
            .unwrap();
        let mut damaged = bytes.clone();
        let mid = (sos + bytes.len()) / 2;
        damaged[mid..mid + 2].copy_from_slice(&[0xFF, 0xC4]);
        let err = decoded(&damaged, (64, 48)).unwrap_err();
        assert!(err.contains("coded data is damaged"), "{err}");
    }

    #[test]
    fn a_baseline_jpeg_has_its_height_field_found() {
        let bytes = jpeg(64, 48);
        let layout = jpeg_layout(&bytes);
        assert!(layout.has_end_marker);
        let field = layout.height_field.expect("a single baseline scan");
        assert_eq!(u16::from_be_bytes([bytes[field], bytes[field + 1]]), 48);
        assert_eq!(u16::from_be_bytes([bytes[field + 2], bytes[field + 3]]), 64);
        let shorter = with_height(&bytes, field, 16);
        let decoded = image::load_from_memory(&shorter).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (64, 16));
    }

    #[test]
    fn progressive_multi_scan_and_cut_files_have_no_height_field() {
        let bytes = jpeg(64, 48);
        let field = jpeg_layout(&bytes).height_field.unwrap();
        let sof = field - 5;
        assert_eq!(&bytes[sof..sof + 2], &[0xFF, 0xC0]);
        // The same file marked progressive.
        let mut progressive = bytes.clone();
        progressive[sof + 1] = 0xC2;
        assert_eq!(jpeg_layout(&progressive).height_field, None);
        // A second scan before the end.
        let mut two_scans = bytes[..bytes.len() - 2].to_vec();
        two_scans.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
        two_scans.extend_from_slice(&[0xFF, 0xD9]);
        let layout = jpeg_layout(&two_scans);
        assert!(layout.has_end_marker);
        assert_eq!(layout.height_field, None);
        // A first scan of fewer components than the frame.
        let mut partial_scan = bytes.clone();
        let sos = (2..bytes.len() - 1)
            .find(|&i| bytes[i] == 0xFF && bytes[i + 1] == 0xDA)
            .unwrap();
        partial_scan[sos + 4] = 1;
        assert_eq!(jpeg_layout(&partial_scan).height_field, None);
        // Cut before its end.
        let cut = jpeg_layout(&bytes[..bytes.len() - 1]);
        assert!(!cut.has_end_marker);
        assert_eq!(cut.height_field, None);
    }
}

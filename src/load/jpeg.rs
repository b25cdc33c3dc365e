//! What a JPEG's marker structure says before any pixel is decoded: whether the file reaches its
//! end, and whether its top rows can be decoded without the rest.
//!
//! Written by hand: the `image` crate's JPEG decoder (zune-jpeg) exposes neither, and the walk
//! is a few dozen lines over the marker segments of ITU T.81 (annex B).

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

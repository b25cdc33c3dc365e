//! Encoding rendered scenes as phone-like JPEG/PNG files with EXIF metadata.
//!
//! The EXIF block is written by hand (a little-endian TIFF structure) and
//! handed to `image`'s encoders through `ImageEncoder::set_exif_metadata`:
//! the JPEG encoder stores it in an `APP1 "Exif\0\0"` segment (directly after
//! its JFIF `APP0`), the PNG encoder in an `eXIf` chunk before `IDAT`.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{imageops, ExtendedColorType, ImageEncoder, RgbImage};
use serde::{Deserialize, Serialize};

/// TIFF tag: Orientation (SHORT).
const TAG_ORIENTATION: u16 = 0x0112;
/// TIFF tag: DateTime (ASCII), file modification time.
const TAG_DATE_TIME: u16 = 0x0132;
/// TIFF tag: pointer to the Exif sub-IFD (LONG).
const TAG_EXIF_IFD: u16 = 0x8769;
/// Exif tag: ExifVersion (UNDEFINED, 4 bytes).
const TAG_EXIF_VERSION: u16 = 0x9000;
/// Exif tag: DateTimeOriginal (ASCII), when the photo was taken.
const TAG_DATE_TIME_ORIGINAL: u16 = 0x9003;

const TYPE_ASCII: u16 = 2;
const TYPE_SHORT: u16 = 3;
const TYPE_LONG: u16 = 4;
const TYPE_UNDEFINED: u16 = 7;

/// The few EXIF fields a phone photo needs for these tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExifTags {
    /// TIFF/EXIF Orientation 1..=8 (how to transform the stored pixels for display).
    pub orientation: Option<u16>,
    /// DateTimeOriginal, `"YYYY:MM:DD HH:MM:SS"`.
    pub date_time_original: Option<String>,
    /// DateTime (last modification), `"YYYY:MM:DD HH:MM:SS"`.
    pub date_time: Option<String>,
}

/// One IFD entry before layout.
struct Entry {
    tag: u16,
    typ: u16,
    count: u32,
    /// Raw value bytes (little-endian); inlined when ≤ 4 bytes.
    data: Vec<u8>,
}

fn ascii_entry(tag: u16, s: &str) -> Entry {
    let mut data = s.as_bytes().to_vec();
    data.push(0);
    Entry {
        tag,
        typ: TYPE_ASCII,
        count: data.len() as u32,
        data,
    }
}

/// Serialises one IFD at `offset` (from the TIFF header) into `out`, with
/// out-of-line values following it. Returns the position of each entry's
/// 4-byte value field (for patching pointers).
fn write_ifd(out: &mut Vec<u8>, entries: &[Entry]) -> Vec<usize> {
    let start = out.len();
    let dir_len = 2 + 12 * entries.len() + 4;
    let mut extra_offset = start + dir_len;
    let mut extra = Vec::new();
    let mut value_pos = Vec::with_capacity(entries.len());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for e in entries {
        out.extend_from_slice(&e.tag.to_le_bytes());
        out.extend_from_slice(&e.typ.to_le_bytes());
        out.extend_from_slice(&e.count.to_le_bytes());
        value_pos.push(out.len());
        if e.data.len() <= 4 {
            let mut v = [0u8; 4];
            v[..e.data.len()].copy_from_slice(&e.data);
            out.extend_from_slice(&v);
        } else {
            out.extend_from_slice(&(extra_offset as u32).to_le_bytes());
            extra.extend_from_slice(&e.data);
            extra_offset += e.data.len();
            if e.data.len() % 2 == 1 {
                // Values start on word boundaries.
                extra.push(0);
                extra_offset += 1;
            }
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    out.extend_from_slice(&extra);
    value_pos
}

impl ExifTags {
    /// Whether no field is set (then no EXIF block is written at all).
    pub fn is_empty(&self) -> bool {
        self.orientation.is_none() && self.date_time_original.is_none() && self.date_time.is_none()
    }

    /// The EXIF payload as a little-endian TIFF structure (what follows
    /// `"Exif\0\0"` in a JPEG APP1 segment, and the content of a PNG `eXIf`
    /// chunk): IFD0 with Orientation, DateTime and the Exif-IFD pointer; the
    /// Exif IFD with ExifVersion and DateTimeOriginal. Empty when
    /// [`ExifTags::is_empty`].
    pub fn to_tiff_bytes(&self) -> Vec<u8> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(b"II");
        out.extend_from_slice(&42u16.to_le_bytes());
        out.extend_from_slice(&8u32.to_le_bytes());

        // IFD0, entries in ascending tag order.
        let mut ifd0 = Vec::new();
        if let Some(o) = self.orientation {
            ifd0.push(Entry {
                tag: TAG_ORIENTATION,
                typ: TYPE_SHORT,
                count: 1,
                data: o.to_le_bytes().to_vec(),
            });
        }
        if let Some(dt) = &self.date_time {
            ifd0.push(ascii_entry(TAG_DATE_TIME, dt));
        }
        let has_exif_ifd = self.date_time_original.is_some();
        if has_exif_ifd {
            ifd0.push(Entry {
                tag: TAG_EXIF_IFD,
                typ: TYPE_LONG,
                count: 1,
                data: 0u32.to_le_bytes().to_vec(), // patched below
            });
        }
        let pos = write_ifd(&mut out, &ifd0);
        if let Some(dto) = &self.date_time_original {
            if out.len() % 2 == 1 {
                out.push(0);
            }
            let exif_offset = out.len() as u32;
            let p = pos[ifd0.len() - 1];
            out[p..p + 4].copy_from_slice(&exif_offset.to_le_bytes());
            let exif_ifd = vec![
                Entry {
                    tag: TAG_EXIF_VERSION,
                    typ: TYPE_UNDEFINED,
                    count: 4,
                    data: b"0232".to_vec(),
                },
                ascii_entry(TAG_DATE_TIME_ORIGINAL, dto),
            ];
            write_ifd(&mut out, &exif_ifd);
        }
        out
    }
}

/// Encodes `img` as a baseline JPEG of `quality` (1..=100) with `exif`
/// embedded in an APP1 segment (none when `exif` is empty).
///
/// # Panics
/// If the image is empty or larger than 65535 px on a side (JPEG limit).
pub fn encode_jpeg(img: &RgbImage, quality: u8, exif: &ExifTags) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut enc = JpegEncoder::new_with_quality(&mut buf, quality.clamp(1, 100));
    if !exif.is_empty() {
        enc.set_exif_metadata(exif.to_tiff_bytes())
            .expect("the JPEG encoder supports EXIF");
    }
    enc.write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        ExtendedColorType::Rgb8,
    )
    .expect("JPEG encoding of an in-memory RGB image");
    buf
}

/// Encodes `img` as an 8-bit RGB PNG with `exif` in an `eXIf` chunk before
/// `IDAT` (none when `exif` is empty).
///
/// # Panics
/// If the image is empty.
pub fn encode_png(img: &RgbImage, exif: &ExifTags) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut enc = PngEncoder::new(&mut buf);
    if !exif.is_empty() {
        enc.set_exif_metadata(exif.to_tiff_bytes())
            .expect("the PNG encoder supports EXIF");
    }
    enc.write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        ExtendedColorType::Rgb8,
    )
    .expect("PNG encoding of an in-memory RGB image");
    buf
}

/// The pixels a camera stores so that a viewer applying EXIF `orientation`
/// (TIFF definition, 1..=8) displays `upright`. For example 6 ("rotate 90°
/// clockwise to display") stores `upright` rotated 90° counter-clockwise.
/// Values outside 1..=8 are treated as 1 (stored as is).
pub fn store_with_orientation(upright: &RgbImage, orientation: u16) -> RgbImage {
    // Each arm is the inverse of the display transform of that orientation.
    match orientation {
        2 => imageops::flip_horizontal(upright),
        3 => imageops::rotate180(upright),
        4 => imageops::flip_vertical(upright),
        // Display: rotate 90° CW then flip horizontally (transpose).
        5 => imageops::rotate270(&imageops::flip_horizontal(upright)),
        6 => imageops::rotate270(upright),
        // Display: rotate 270° CW then flip horizontally (transverse).
        7 => imageops::rotate90(&imageops::flip_horizontal(upright)),
        8 => imageops::rotate90(upright),
        _ => upright.clone(),
    }
}

/// A JPEG (at `quality`, 1–100) that a viewer applying its EXIF `orientation` (1..=8) displays
/// as `upright`: the pixels of [`store_with_orientation`] with that tag and no other.
pub fn oriented_jpeg(upright: &RgbImage, orientation: u16, quality: u8) -> Vec<u8> {
    let exif = ExifTags {
        orientation: Some(orientation),
        ..ExifTags::default()
    };
    encode_jpeg(
        &store_with_orientation(upright, orientation),
        quality,
        &exif,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, GenericImageView, ImageDecoder, ImageReader, Rgb};
    use std::io::Cursor;

    fn test_image() -> RgbImage {
        RgbImage::from_fn(6, 4, |x, y| Rgb([(x * 40) as u8, (y * 60) as u8, 100]))
    }

    fn tags(orientation: u16) -> ExifTags {
        ExifTags {
            orientation: Some(orientation),
            date_time_original: Some("2024:03:15 10:20:30".into()),
            date_time: Some("2024:03:16 08:00:00".into()),
        }
    }

    fn read_back(bytes: &[u8]) -> (u32, String, String) {
        let exif = exif::Reader::new()
            .read_from_container(&mut Cursor::new(bytes))
            .expect("kamadak-exif parses the block");
        let orient = exif
            .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
            .and_then(|f| f.value.get_uint(0))
            .expect("orientation");
        let ascii = |tag| match &exif.get_field(tag, exif::In::PRIMARY).expect("field").value {
            exif::Value::Ascii(v) => String::from_utf8(v[0].clone()).unwrap(),
            other => panic!("not ASCII: {other:?}"),
        };
        (
            orient,
            ascii(exif::Tag::DateTimeOriginal),
            ascii(exif::Tag::DateTime),
        )
    }

    #[test]
    fn kamadak_reads_jpeg_and_png_exif() {
        let img = test_image();
        for (bytes, o) in [
            (encode_jpeg(&img, 90, &tags(6)), 6),
            (encode_png(&img, &tags(8)), 8),
        ] {
            let (orient, dto, dt) = read_back(&bytes);
            assert_eq!(orient, o);
            assert_eq!(dto, "2024:03:15 10:20:30");
            assert_eq!(dt, "2024:03:16 08:00:00");
        }
    }

    #[test]
    fn only_date_or_only_orientation() {
        let only_date = ExifTags {
            date_time_original: Some("2023:01:02 03:04:05".into()),
            ..ExifTags::default()
        };
        let bytes = encode_jpeg(&test_image(), 80, &only_date);
        let exif = exif::Reader::new()
            .read_from_container(&mut Cursor::new(&bytes))
            .unwrap();
        assert!(exif
            .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
            .is_none());
        assert!(exif
            .get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY)
            .is_some());
        let only_orient = ExifTags {
            orientation: Some(3),
            ..ExifTags::default()
        };
        let raw = only_orient.to_tiff_bytes();
        let exif = exif::Reader::new().read_raw(raw).unwrap();
        let f = exif
            .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
            .unwrap();
        assert_eq!(f.value.get_uint(0), Some(3));
        assert!(ExifTags::default().to_tiff_bytes().is_empty());
        // No EXIF at all: kamadak finds nothing.
        let plain = encode_png(&test_image(), &ExifTags::default());
        assert!(exif::Reader::new()
            .read_from_container(&mut Cursor::new(&plain))
            .is_err());
    }

    fn decode_oriented(bytes: &[u8]) -> (image::metadata::Orientation, DynamicImage) {
        let mut dec = ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .unwrap()
            .into_decoder()
            .unwrap();
        let orientation = dec.orientation().unwrap();
        let mut img = DynamicImage::from_decoder(dec).unwrap();
        img.apply_orientation(orientation);
        (orientation, img)
    }

    #[test]
    fn image_decoder_sees_orientation() {
        let upright = test_image();
        for o in 1..=8u16 {
            let stored = store_with_orientation(&upright, o);
            let (orientation, shown) = decode_oriented(&encode_png(&stored, &tags(o)));
            assert_eq!(orientation.to_exif(), o as u8);
            assert_eq!(shown.to_rgb8(), upright, "orientation {o}");
        }
        let stored = store_with_orientation(&upright, 6);
        assert_eq!(stored.dimensions(), (4, 6));
        // Orientation 6 stores the upright image rotated 90° counter-clockwise.
        assert_eq!(stored, imageops::rotate270(&upright));
        let (orientation, shown) = decode_oriented(&encode_jpeg(&stored, 95, &tags(6)));
        assert_eq!(orientation, image::metadata::Orientation::Rotate90);
        assert_eq!(shown.dimensions(), (6, 4));
    }
}

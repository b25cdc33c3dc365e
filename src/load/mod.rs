//! Loading a photo: decode with limits, apply its EXIF orientation, read its capture date.
//!
//! `image::open` ignores EXIF orientation, and phone photos are often stored sideways, so we go
//! through `ImageReader` → decoder → `orientation()` → `apply_orientation`. Decoders can panic on
//! hostile input; that panic is caught here and reported as that file's error.

use std::io::Cursor;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use image::{DynamicImage, ImageDecoder, ImageError, ImageReader};

use crate::error::{Error, Result};

mod beside;
mod jpeg;
mod limits;

use beside::beside;
use limits::{check_size, decoded_bytes};
pub use limits::{LoadLimits, DEFAULT_MAX_DECODED_BYTES, DEFAULT_MAX_PIXELS, DEFAULT_MAX_SIDE};

/// A decoded photo, upright as displayed.
#[derive(Clone, Debug)]
pub struct Photo {
    /// The pixels after the EXIF orientation has been applied.
    pub image: DynamicImage,
    /// EXIF DateTimeOriginal as ISO 8601 local time (`YYYY-MM-DDTHH:MM:SS`), if present and valid.
    pub capture_date: Option<String>,
    /// The EXIF orientation that was applied (1–8, TIFF numbering; 1 when absent).
    pub orientation: u8,
    /// Width and height (px) of the whole photo as displayed. `image` has this size, unless the
    /// photo was read by [`load_photo_top`]: then `image` may hold only the top rows.
    pub full_size: (u32, u32),
}

impl Photo {
    /// A whole photo of `image`'s pixels, upright, with no capture date.
    pub fn new(image: DynamicImage) -> Photo {
        let full_size = (image.width(), image.height());
        Photo {
            image,
            capture_date: None,
            orientation: 1,
            full_size,
        }
    }

    /// Whether `image` holds the whole photo rather than only its top rows.
    pub fn is_whole(&self) -> bool {
        (self.image.width(), self.image.height()) == self.full_size
    }
}

/// Rows decoded beyond those asked of [`load_photo_top`] (px): two MCU rows of the tallest
/// (4:2:0, 16-row) MCU. The decoder's chroma upsampling treats the last rows it decodes as the
/// image's edge; the rows asked for stay a whole MCU above them, identical to a whole decode.
pub const TOP_ROWS_MARGIN: u32 = 32;

/// Reads and decodes the whole photo at `path`. Errors name `path`.
pub fn load_photo(path: &Path, limits: &LoadLimits) -> Result<Photo> {
    load(path, limits, None, Vec::new(), NO_WORK)
}

/// Reads the photo at `path` and decodes at least its top `rows` rows (px, as displayed), and
/// fewer than all where the file allows: a single-scan baseline JPEG that needs no rotation or
/// vertical flip is decoded down to `rows` + [`TOP_ROWS_MARGIN`] only. Every other photo is
/// decoded whole. The rows returned are identical to those of [`load_photo`]; `full_size` is
/// the whole photo's. Errors name `path`.
pub fn load_photo_top(path: &Path, limits: &LoadLimits, rows: u32) -> Result<Photo> {
    load(path, limits, Some(rows), Vec::new(), NO_WORK)
}

/// A photo whose pixels are being decoded, as the work beside the decoding sees it (see
/// [`load_preparing`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Decoding {
    /// The whole photo's width and height as displayed (px, after its EXIF orientation).
    pub displayed: (u32, u32),
    /// Whether a second buffer about the size of the photo may be alive beside its decoded
    /// pixels at some moment of the load, and with it whatever the work allocates: the upright
    /// copy of a photo turned by its EXIF orientation (5–8), or anything but a JPEG coded in one
    /// sequential scan, whose decoder writes straight into the pixels. A progressive JPEG's
    /// decoder keeps its coefficients whole until the last scan, TIFF's and lossless WebP's an
    /// intermediate image (measured at 24 MP, with three planes readied: +20 to +70 MB over the
    /// measurement's own peak); PNG and lossy WebP (no rise measured) count too, for
    /// caution and one simple rule.
    pub second_copy: bool,
}

/// [`load_photo`] (`rows` `None`) or [`load_photo_top`], running `while_decoding` once, with
/// the photo's [`Decoding`], alongside the decoding of its pixels on a thread of its own (see
/// [`mod@beside`]): for work that needs only the size (readying the measurement's buffers, see
/// [`crate::measure::ready_buffers`]), done on a core the single-threaded decoder leaves idle
/// (with one thread, on this one before the decoding).
/// Not run for a photo refused before its pixels are decoded (missing, over the limits, not an
/// image, truncated). With `None`, as [`load_photo`] or [`load_photo_top`].
///
/// `reuse` is a buffer whose allocation an 8-bit photo (every JPEG) is decoded into when it
/// holds its pixels (the previous photo's on this thread, see [`crate::buffers`]), zeroed
/// first; else it is freed before the decoding allocates.
pub(crate) fn load_preparing(
    path: &Path,
    limits: &LoadLimits,
    rows: Option<u32>,
    reuse: Vec<u8>,
    while_decoding: Option<impl FnOnce(Decoding, &AtomicBool) + Send>,
) -> Result<Photo> {
    load(path, limits, rows, reuse, while_decoding)
}

/// No work beside the decoding: the public loaders start no thread.
const NO_WORK: Option<fn(Decoding, &AtomicBool)> = None;

fn load(
    path: &Path,
    limits: &LoadLimits,
    rows: Option<u32>,
    reuse: Vec<u8>,
    while_decoding: Option<impl FnOnce(Decoding, &AtomicBool) + Send>,
) -> Result<Photo> {
    let io_error = |source| Error::PhotoIo {
        path: path.to_path_buf(),
        source,
    };
    // A compressed photo is never larger than its decoded pixels: refuse a file over the decoded
    // limit before reading it into memory.
    let size = std::fs::metadata(path).map_err(io_error)?.len();
    if size > limits.max_decoded_bytes {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            reason: format!(
                "the file is {} MiB, over the limit of {} MiB",
                size >> 20,
                limits.max_decoded_bytes >> 20
            ),
        });
    }
    // Read no more than the limit allows, whatever the size said: a device or a pipe (size 0)
    // would otherwise be read until memory ran out.
    let bytes = read_at_most(path, limits.max_decoded_bytes).map_err(io_error)?;
    let Some(bytes) = bytes else {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            reason: format!(
                "it holds more than {} MiB, the limit",
                limits.max_decoded_bytes >> 20
            ),
        });
    };
    decode(&bytes, path, limits, rows, reuse, while_decoding)
}

/// The bytes of the file at `path` when it holds at most `limit` of them, else `None` (having
/// read `limit` + 1).
pub(crate) fn read_at_most(path: &Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    // A regular file's size sizes the buffer; a stream's grows as it is read.
    let expected = file.metadata().map_or(0, |m| m.len()).min(limit);
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// Decodes an in-memory photo; `name` is used in errors only. Never panics: a decoder panic is
/// reported as a [`Error::Decode`] for `name`.
pub fn decode_photo(bytes: &[u8], name: &Path, limits: &LoadLimits) -> Result<Photo> {
    decode(bytes, name, limits, None, Vec::new(), NO_WORK)
}

/// [`load_photo_top`] for an in-memory photo; `name` is used in errors only. Never panics.
pub fn decode_photo_top(
    bytes: &[u8],
    name: &Path,
    limits: &LoadLimits,
    rows: u32,
) -> Result<Photo> {
    decode(bytes, name, limits, Some(rows), Vec::new(), NO_WORK)
}

fn decode(
    bytes: &[u8],
    name: &Path,
    limits: &LoadLimits,
    rows: Option<u32>,
    reuse: Vec<u8>,
    while_decoding: Option<impl FnOnce(Decoding, &AtomicBool) + Send>,
) -> Result<Photo> {
    if bytes.is_empty() {
        return Err(Error::decode(name, "the file is empty"));
    }
    crate::error::catch_panic(
        || decode_unguarded(bytes, name, limits, rows, reuse, while_decoding),
        |message| Error::decode(name, format!("the decoder crashed: {message}")),
    )
}

/// A reader of `bytes` (of `format`, or guessed) with the decoders' allocations capped.
fn capped_reader<'a>(
    bytes: &'a [u8],
    format: Option<image::ImageFormat>,
    name: &Path,
    limits: &LoadLimits,
) -> Result<ImageReader<Cursor<&'a [u8]>>> {
    let mut reader = match format {
        Some(format) => ImageReader::with_format(Cursor::new(bytes), format),
        None => ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| Error::decode(name, e.to_string()))?,
    };
    // Sides and pixels are checked by `check_size`, from the header, with the numbers in the
    // message; the decoders' own allocations are capped here.
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(limits.max_decoded_bytes);
    reader.limits(image_limits);
    Ok(reader)
}

fn decode_unguarded(
    bytes: &[u8],
    name: &Path,
    limits: &LoadLimits,
    rows: Option<u32>,
    reuse: Vec<u8>,
    while_decoding: Option<impl FnOnce(Decoding, &AtomicBool) + Send>,
) -> Result<Photo> {
    let reader = capped_reader(bytes, None, name, limits)?;
    let Some(format) = reader.format() else {
        return Err(Error::NotAnImage {
            path: name.to_path_buf(),
            detail: None,
        });
    };
    let layout = (format == image::ImageFormat::Jpeg).then(|| jpeg::jpeg_layout(bytes));
    if layout.is_some_and(|layout| !layout.has_end_marker) {
        // Said before the header is parsed: a file cut inside its header fails there with
        // the decoder's "not enough bytes", which does not say the file is cut short.
        return Err(Error::decode(
            name,
            "the JPEG is truncated (its end-of-image marker is missing)",
        ));
    }
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        // A decoder that refuses the header's size itself (PNG's, before `check_size` can
        // read it) says only "Memory limit exceeded".
        ImageError::Limits(_) => Error::TooLarge {
            path: name.to_path_buf(),
            reason: format!(
                "its header declares an image over the limits ({} px per side, {} MP, {} MiB \
                 of decoded pixels)",
                limits.max_side,
                limits::format_megapixels(limits.max_pixels),
                limits.max_decoded_bytes >> 20
            ),
        },
        other => image_error(name, other),
    })?;
    let (width, height) = decoder.dimensions();
    check_size(name, width, height, decoder.total_bytes(), limits)?;

    let exif = decoder.exif_metadata().unwrap_or(None);
    let orientation = exif
        .as_deref()
        .and_then(image::metadata::Orientation::from_exif_chunk)
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let capture_date = exif.as_deref().and_then(exif_date_time_original);

    // Displayed rows are stored rows unless the photo is turned or flipped upside down.
    let rows_kept = matches!(
        orientation,
        image::metadata::Orientation::NoTransforms | image::metadata::Orientation::FlipHorizontal
    );
    let top = match (rows, layout.and_then(|l| l.height_field)) {
        (Some(rows), Some(field)) if rows_kept => {
            let decoded = rows.saturating_add(TOP_ROWS_MARGIN);
            u16::try_from(decoded)
                .ok()
                .filter(|&h| u32::from(h) < height)
                .map(|h| (field, h))
        }
        _ => None,
    };
    let turned = matches!(
        orientation,
        image::metadata::Orientation::Rotate90
            | image::metadata::Orientation::Rotate270
            | image::metadata::Orientation::Rotate90FlipH
            | image::metadata::Orientation::Rotate270FlipH
    );
    let displayed = if turned {
        (height, width)
    } else {
        (width, height)
    };
    // 8-bit pixels (every JPEG) are decoded into a buffer of our own, allocated here, so that
    // the work beside the decoding can fault its pages in ahead of the decoder (see below);
    // other kinds into the image `from_decoder` makes.
    let color = decoder.color_type();
    let decoded_height = top.map_or(height, |(_, rows)| u32::from(rows));
    let mut pixels = if is_8_bit(color) {
        zeroed_reusing(reuse, decoded_bytes(width, decoded_height, color))
    } else {
        drop(reuse);
        Vec::new()
    };
    let pixel_range = (pixels.as_mut_ptr() as usize, pixels.len());
    let decode_pixels = || match top {
        Some((field, decoded_height)) => {
            let shorter = jpeg::with_height(bytes, field, decoded_height);
            let decoder = capped_reader(&shorter, Some(format), name, limits)?
                .into_decoder()
                .map_err(|e| image_error(name, e))?;
            if decoder.dimensions() != (width, u32::from(decoded_height)) {
                return Err(Error::decode(
                    name,
                    "the JPEG's frame header changed on re-reading",
                ));
            }
            read_pixels(decoder, &shorter, (format, height), &mut pixels, name)
        }
        None => read_pixels(decoder, bytes, (format, height), &mut pixels, name),
    };
    // The decoder runs on this thread (it need not be Send).
    // A JPEG coded in one sequential scan is the one with a height field to cut.
    let sequential_jpeg = layout.is_some_and(|layout| layout.height_field.is_some());
    let decoding = Decoding {
        displayed,
        second_copy: turned || !sequential_jpeg,
    };
    let work = while_decoding.map(|work| {
        move |done: &AtomicBool| {
            // The decoder's output first, ahead of the decoder, which writes it top to bottom
            // more slowly than pages are populated: 24 MP took 175 ms to decode into fresh
            // memory, 140 ms into memory faulted in before.
            let (start, len) = pixel_range;
            // SAFETY: `pixels` is alive until after `beside` returns, which is after this work
            // is done; the decoder writing into it meanwhile is no race, as populating pages
            // reads and writes none of their bytes.
            unsafe { crate::pages::populate_pages(start as *mut u8, len, done) };
            work(decoding, done)
        }
    });
    let mut image = match beside(decode_pixels, work)? {
        Some(image) => image,
        None => image_of_pixels(color, width, decoded_height, pixels)
            .ok_or_else(|| Error::decode(name, "the decoded pixels do not fill the image"))?,
    };
    image.apply_orientation(orientation);
    let full_size = match top {
        Some(_) => (width, height),
        None => (image.width(), image.height()),
    };
    Ok(Photo {
        image,
        capture_date,
        orientation: orientation_number(orientation),
        full_size,
    })
}

/// `len` zero bytes, in `reuse`'s allocation when it holds them, else in a fresh one (`reuse`
/// freed first). Zeroed, never left with the previous photo's bytes, although the decoder
/// writes every byte of a photo it decodes: should a decoder ever stop short and still report
/// success, the rest is black, as in a fresh allocation, never another client's photo.
/// Zeroing 72 MB of memory already faulted in takes a fraction of faulting in a fresh buffer
/// (17 600 page faults for a 24 MP photo, 30–50 ms of CPU time here).
fn zeroed_reusing(mut reuse: Vec<u8>, len: usize) -> Vec<u8> {
    if reuse.capacity() < len {
        drop(reuse);
        return vec![0; len];
    }
    reuse.clear();
    reuse.resize(len, 0);
    reuse
}

/// Decodes `decoder`'s pixels (those of `bytes`, of `format`, a photo `photo_height` px tall
/// whose top rows alone the decoder may be told of) into `pixels` when it holds exactly as
/// many bytes (then `None`), else into an image of their own (`from_decoder`). A JPEG is
/// decoded strictly (see [`jpeg::decode_strictly_into`]): damaged data is an error.
fn read_pixels(
    decoder: impl ImageDecoder,
    bytes: &[u8],
    (format, photo_height): (image::ImageFormat, u32),
    pixels: &mut [u8],
    name: &Path,
) -> Result<Option<DynamicImage>> {
    if pixels.is_empty() || decoder.total_bytes() != pixels.len() as u64 {
        return DynamicImage::from_decoder(decoder)
            .map(Some)
            .map_err(|e| image_error(name, e));
    }
    if format == image::ImageFormat::Jpeg {
        let (color, (width, decoded_height)) = (decoder.color_type(), decoder.dimensions());
        // `image`'s decoder holds a copy of the file; it is not needed any more.
        drop(decoder);
        jpeg::decode_strictly_into(bytes, color, pixels).map_err(|e| Error::decode(name, e))?;
        let channels = usize::from(color.channel_count());
        if let Some(row) = jpeg::rows_filled_past_the_data(pixels, width as usize, channels) {
            return Err(Error::decode(
                name,
                format!(
                    "the JPEG's coded data ends early: rows {row}–{} of {photo_height} are \
                     filler; the file is damaged (cut short?)",
                    decoded_height - 1
                ),
            ));
        }
    } else {
        decoder
            .read_image(pixels)
            .map_err(|e| image_error(name, e))?;
    }
    Ok(None)
}

/// Whether [`image_of_pixels`] makes images of `color`: 8 bits per channel.
pub(crate) fn is_8_bit(color: image::ColorType) -> bool {
    use image::ColorType;
    matches!(
        color,
        ColorType::L8 | ColorType::La8 | ColorType::Rgb8 | ColorType::Rgba8
    )
}

/// The image of 8-bit `pixels` of `color`, `width` × `height` px, as `from_decoder` makes it;
/// `None` for a colour type with wider channels, or pixels of the wrong length.
fn image_of_pixels(
    color: image::ColorType,
    width: u32,
    height: u32,
    pixels: Vec<u8>,
) -> Option<DynamicImage> {
    use image::{ColorType, ImageBuffer};
    match color {
        ColorType::L8 => ImageBuffer::from_raw(width, height, pixels).map(DynamicImage::ImageLuma8),
        ColorType::La8 => {
            ImageBuffer::from_raw(width, height, pixels).map(DynamicImage::ImageLumaA8)
        }
        ColorType::Rgb8 => {
            ImageBuffer::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8)
        }
        ColorType::Rgba8 => {
            ImageBuffer::from_raw(width, height, pixels).map(DynamicImage::ImageRgba8)
        }
        _ => None,
    }
}

fn image_error(name: &Path, error: ImageError) -> Error {
    match error {
        ImageError::Unsupported(e) => Error::NotAnImage {
            path: name.to_path_buf(),
            detail: Some(crate::error::one_line(&e.to_string())),
        },
        ImageError::Limits(e) => Error::TooLarge {
            path: name.to_path_buf(),
            reason: crate::error::one_line(&e.to_string()),
        },
        other => Error::decode(name, other.to_string()),
    }
}

fn orientation_number(orientation: image::metadata::Orientation) -> u8 {
    use image::metadata::Orientation::*;
    match orientation {
        NoTransforms => 1,
        FlipHorizontal => 2,
        Rotate180 => 3,
        FlipVertical => 4,
        Rotate90FlipH => 5,
        Rotate90 => 6,
        Rotate270FlipH => 7,
        Rotate270 => 8,
    }
}

/// EXIF DateTimeOriginal (tag 0x9003) from a raw EXIF (TIFF) block, as `YYYY-MM-DDTHH:MM:SS`,
/// or `YYYY-MM-DD` when its time of day is out of range; `None` when the tag is missing or its
/// date is unset or impossible. DateTime (0x0132) is deliberately ignored: editors rewrite it.
pub fn exif_date_time_original(exif_tiff: &[u8]) -> Option<String> {
    let exif = exif::Reader::new().read_raw(exif_tiff.to_vec()).ok()?;
    let field = exif.get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY)?;
    let exif::Value::Ascii(ref values) = field.value else {
        return None;
    };
    let dt = exif::DateTime::from_ascii(values.first()?).ok()?;
    // Cameras write all-blank or zero dates when the clock was never set.
    if dt.year == 0 || dt.month == 0 || dt.day == 0 {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(i32::from(dt.year), u32::from(dt.month), u32::from(dt.day))?;
    let day = format!("{:04}-{:02}-{:02}", dt.year, dt.month, dt.day);
    // A time of day that is no time (`24:00:00`, which some cameras write for midnight, or
    // `25:61:00`) leaves the calendar day, which is what the report's day counts need.
    match chrono::NaiveTime::from_hms_opt(
        u32::from(dt.hour),
        u32::from(dt.minute),
        u32::from(dt.second),
    ) {
        Some(_) => Some(format!(
            "{day}T{:02}:{:02}:{:02}",
            dt.hour, dt.minute, dt.second
        )),
        None => Some(day),
    }
}

#[cfg(test)]
mod tests;

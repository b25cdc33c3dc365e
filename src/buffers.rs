//! Full-size buffers carried from one photo's measurement to the next.
//!
//! A fresh full-size allocation is faulted in by the kernel page by page on first touch
//! (≈ 25 000 faults for a 24 MP plane of 4 B/px), which costs a tenth or more of a photo's CPU
//! time on some machines. Within a photo the measurement already hands buffers from stage to
//! stage; [`PlaneBuffers`] carries the last plane over to the next photo on the same thread,
//! so that a batch faults it in once per thread instead of once per photo.
//!
//! [`crate::analyze_series`] keeps one set per thread, shared by every series measured on it (a
//! batch's clients too), and frees them all when the outermost call returns: one plane per
//! thread is kept from one photo's measurement for the next (two after a photo that failed
//! once its planes were readied). While the next photo decodes, the set is brought to the two
//! planes its measurement takes first ([`PlaneBuffers::reserve`]; one for a photo whose load
//! may hold a second copy of it: turned upright, or any format but a one-scan JPEG), their pages
//! faulted in on the core the single-threaded decoder leaves idle until the photo is decoded
//! (the stages that first write the rest fault it in on every thread; with one thread, all of
//! them before the decoding, on that thread): the measurement's first
//! stages hold those two beside the photo anyway, so a thread's peak of memory stays the
//! measurement's own.
//!
//! The decoded photo's own buffer goes the same way: once a photo is measured (and drawn
//! from), its pixels' allocation is kept for the next photo decoded on the thread
//! (`PlaneBuffers::keep_pixels`), which would otherwise fault in a fresh one (17 600 page
//! faults for a 24 MP photo). The next photo would allocate as much at once anyway: the peak
//! stays the same.
//!
//! (Written here rather than taken from a pooling crate: the buffers change hands between
//! stages as plain `Vec`s of different element types, which object pools do not model, and
//! two of them are all there is to keep.)

use std::cell::RefCell;
use std::sync::atomic::AtomicBool;

/// At most this many buffers are kept from one photo's measurement for the next: the plane it
/// ends with (its labels, in its darkness plane's buffer), which the next photo takes for its
/// first plane (its luminance's denoised copy) before it allocates anything else that large.
/// [`PlaneBuffers::reserve`] may add one more while the next photo decodes, which stays if that
/// photo then fails.
pub const MAX_KEPT_PLANES: usize = 1;

/// Plane buffers (4 B/px) kept from one [`crate::measure::measure_reusing`] for the next.
/// Their values do not matter. Empty by default; keep one per thread (photos measured one after
/// another), never share one between photos measured at the same time.
#[derive(Debug, Default)]
pub struct PlaneBuffers {
    kept: Vec<Vec<f32>>,
    /// The pixels of the last photo measured with these buffers (8-bit photos only), for the
    /// next photo's decoding ([`PlaneBuffers::take_pixels`]).
    pixels: Vec<u8>,
}

impl PlaneBuffers {
    /// A buffer of `len` values (unspecified) in a kept allocation that holds them, else an
    /// empty `Vec` (the caller's own growth allocates it; the too-small kept buffers are freed).
    pub(crate) fn take(&mut self, len: usize) -> Vec<f32> {
        match self.kept.iter().position(|b| b.capacity() >= len) {
            Some(k) => {
                let mut buffer = self.kept.swap_remove(k);
                buffer.resize(len, 0.0);
                buffer
            }
            None => {
                self.kept.clear();
                Vec::new()
            }
        }
    }

    /// Readies exactly `count` buffers of `len` values (4 B each) for the next `count` planes of
    /// at most `len` values that a measurement takes (see [`crate::measure::ready_buffers`]):
    /// of the kept buffers that hold `len`, the `count` smallest stay and every other one is
    /// freed, and fresh ones are allocated and their pages faulted in now (while a photo
    /// decodes, on a core the decoder leaves idle) rather than in the middle of a measurement.
    /// `count` may exceed [`MAX_KEPT_PLANES`].
    pub fn reserve(&mut self, count: usize, len: usize) {
        self.reserve_until(count, len, &AtomicBool::new(false));
    }

    /// [`PlaneBuffers::reserve`], faulting the fresh buffers' pages in only until `stop` is set
    /// (see [`crate::pages::populate`]): the buffers are all there and whole either
    /// way (zeroed memory, whose pages not yet touched read as zeros), and the rest of their
    /// pages are faulted in by the stages that first write them, most of them on every thread.
    /// Set when the photo is decoded: touched page by page, three 24 MP planes took longer than
    /// decoding the photo (207 against 165 ms), and the measurement waited for them; populated
    /// (`crate::pages`), they and the decoder's output take about as long as the decoding.
    pub(crate) fn reserve_until(&mut self, count: usize, len: usize, stop: &AtomicBool) {
        self.kept.retain(|b| b.capacity() >= len);
        self.kept.sort_unstable_by_key(Vec::capacity);
        self.kept.truncate(count);
        let fresh = self.kept.len();
        while self.kept.len() < count {
            self.kept.push(vec![0.0; len]);
        }
        for buffer in &mut self.kept[fresh..] {
            if !crate::pages::populate(bytemuck::cast_slice_mut(buffer), stop) {
                break;
            }
        }
    }

    /// Keeps `buffer` for a later [`PlaneBuffers::take`], up to [`MAX_KEPT_PLANES`] of them.
    pub(crate) fn keep(&mut self, buffer: Vec<f32>) {
        if buffer.capacity() > 0 && self.kept.len() < MAX_KEPT_PLANES {
            self.kept.push(buffer);
        }
    }

    /// Keeps the pixel buffer of `image`, a photo done with, for the next photo's decoding
    /// ([`PlaneBuffers::take_pixels`]), when its pixels are 8-bit (those the loader decodes
    /// into a buffer of its own); else `image` is dropped. Replaces any buffer kept before.
    pub(crate) fn keep_pixels(&mut self, image: image::DynamicImage) {
        // (`into_bytes` hands over an 8-bit image's own allocation, copying nothing.)
        self.pixels = if crate::load::is_8_bit(image.color()) {
            image.into_bytes()
        } else {
            Vec::new()
        };
    }

    /// The pixel buffer kept by [`PlaneBuffers::keep_pixels`] (its values unspecified), or an
    /// empty one; none is kept afterwards.
    pub(crate) fn take_pixels(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pixels)
    }

    /// Number of plane buffers kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// Whether no plane buffer is kept.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// The kept buffers' addresses and capacities (values), sorted: which allocations are kept.
    #[cfg(test)]
    fn footprint(&self) -> Vec<(usize, usize)> {
        let mut footprint: Vec<_> = self
            .kept
            .iter()
            .map(|b| (b.as_ptr() as usize, b.capacity()))
            .collect();
        footprint.sort_unstable();
        footprint
    }
}

thread_local! {
    /// This thread's set, for [`with_thread_planes`].
    static THREAD_PLANES: RefCell<PlaneBuffers> = RefCell::default();
}

/// Runs `measure` with this thread's [`PlaneBuffers`], or with `None` when they are in use
/// further up this thread's stack (rayon lets a thread waiting inside one photo start another).
pub(crate) fn with_thread_planes<T>(measure: impl FnOnce(Option<&mut PlaneBuffers>) -> T) -> T {
    THREAD_PLANES.with(|planes| match planes.try_borrow_mut() {
        Ok(mut own) => measure(Some(&mut own)),
        Err(_) => measure(None),
    })
}

/// Frees the planes kept by this thread and every thread of the global rayon pool, when called
/// from outside a pool (the outermost call of a library user or the binary); inside one, an
/// enclosing call is still running and frees them when it returns.
pub(crate) fn release_thread_planes() {
    if rayon::current_thread_index().is_some() {
        return;
    }
    let release = || {
        THREAD_PLANES.with(|planes| {
            if let Ok(mut own) = planes.try_borrow_mut() {
                *own = PlaneBuffers::default();
            }
        })
    };
    release();
    rayon::broadcast(|_| release());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_buffer_large_enough_is_reused_and_a_small_one_freed() {
        let mut buffers = PlaneBuffers::default();
        assert!(buffers.take(10).is_empty());
        let big = vec![1.0f32; 100];
        let address = big.as_ptr() as usize;
        buffers.keep(big);
        // Beyond the kept count, nothing more is kept.
        buffers.keep(vec![2.0; 5]);
        buffers.keep(vec![3.0; 7]);
        assert_eq!(buffers.len(), MAX_KEPT_PLANES);
        // The large one serves a request for fewer or as many values, in place.
        let taken = buffers.take(60);
        assert_eq!((taken.len(), taken.as_ptr() as usize), (60, address));
        buffers.keep(taken);
        let taken = buffers.take(100);
        assert_eq!((taken.len(), taken.as_ptr() as usize), (100, address));
        // None holds 200: an empty buffer, and the small one is freed.
        buffers.keep(vec![2.0; 5]);
        assert_eq!(buffers.len(), 1);
        assert!(buffers.take(200).is_empty());
        assert!(buffers.is_empty());
        // Empty buffers are not kept.
        buffers.keep(Vec::new());
        assert!(buffers.is_empty());
    }

    /// An 8-bit photo's pixel buffer is kept, the allocation itself, until taken; a photo of
    /// wider channels is not; keeping replaces, and the plane buffers are left alone.
    #[test]
    fn a_photos_8_bit_pixels_are_kept_for_the_next_photo() {
        use image::DynamicImage;
        let mut buffers = PlaneBuffers::default();
        assert!(buffers.take_pixels().is_empty());
        buffers.keep(vec![1.0; 10]);
        let mut raw = Vec::with_capacity(1000);
        raw.resize(4 * 5 * 3, 7u8);
        let address = raw.as_ptr() as usize;
        let rgb = image::RgbImage::from_raw(4, 5, raw).unwrap();
        buffers.keep_pixels(DynamicImage::ImageRgb8(rgb));
        let kept = buffers.take_pixels();
        assert_eq!((kept.as_ptr() as usize, kept.capacity()), (address, 1000));
        assert!(buffers.take_pixels().is_empty(), "taken once");
        assert_eq!(buffers.len(), 1);

        for image in [
            DynamicImage::new_luma8(3, 2),
            DynamicImage::new_luma_a8(3, 2),
            DynamicImage::new_rgba8(3, 2),
        ] {
            let len = image.as_bytes().len();
            buffers.keep_pixels(image);
            assert_eq!(buffers.take_pixels().len(), len);
        }
        buffers.keep_pixels(DynamicImage::new_rgb8(3, 2));
        buffers.keep_pixels(DynamicImage::new_rgb16(3, 2));
        assert!(buffers.take_pixels().is_empty(), "16-bit: nothing kept");
    }

    #[test]
    fn reserving_keeps_the_buffers_large_enough_and_adds_fresh_ones() {
        let mut buffers = PlaneBuffers::default();
        let big = vec![1.0f32; 100];
        let address = big.as_ptr() as usize;
        buffers.keep(big);
        buffers.keep(vec![2.0; 5]);
        buffers.reserve(3, 80);
        // The small one is freed, the large one kept, two fresh ones added: three takes of 80
        // values or fewer are served without allocating, the large one among them.
        assert_eq!(buffers.len(), 3);
        let taken: Vec<Vec<f32>> = [80, 80, 10].iter().map(|&n| buffers.take(n)).collect();
        assert!(taken.iter().all(|b| b.capacity() >= 80));
        assert_eq!(taken.iter().map(Vec::len).collect::<Vec<_>>(), [80, 80, 10]);
        assert!(taken.iter().any(|b| b.as_ptr() as usize == address));
        assert!(buffers.is_empty());
        // More than enough: the smallest that hold 80 values stay, the others are freed.
        for b in taken {
            buffers.kept.push(b);
        }
        let before = buffers.footprint();
        buffers.reserve(3, 80);
        assert_eq!(
            buffers.footprint(),
            before,
            "as many as asked: none freed or added"
        );
        buffers.reserve(2, 80);
        let mut smallest = before;
        smallest.sort_by_key(|&(_, values)| values);
        smallest.truncate(2);
        smallest.sort_unstable();
        assert_eq!(buffers.footprint(), smallest);
        // None holds 200: all are replaced.
        buffers.reserve(1, 200);
        assert_eq!(buffers.len(), 1);
        assert_eq!(buffers.take(200).len(), 200);
    }

    /// Readied until a stop: the same buffers, whole and zero, whether the stop comes before
    /// any page is faulted in or never.
    #[test]
    fn readying_stopped_early_still_gives_whole_buffers() {
        let len = 3 * 1024 * 1024 / 4 + 5;
        for stopped in [true, false] {
            let mut buffers = PlaneBuffers::default();
            buffers.keep(vec![1.0; len]);
            buffers.reserve_until(3, len, &AtomicBool::new(stopped));
            assert_eq!(buffers.len(), 3);
            let taken: Vec<Vec<f32>> = (0..3).map(|_| buffers.take(len)).collect();
            assert!(taken.iter().all(|b| b.len() == len), "stopped {stopped}");
            // The kept one as it was, the fresh ones zero.
            let ones = taken.iter().filter(|b| b.iter().all(|&v| v == 1.0)).count();
            let zeros = taken.iter().filter(|b| b.iter().all(|&v| v == 0.0)).count();
            assert_eq!((ones, zeros), (1, 2), "stopped {stopped}");
        }
    }

    /// The planes readied for a photo are the allocations its measurement takes (the two it
    /// leaves behind are two of them); a region outside the photo or an implausible scale,
    /// which would ask for larger planes, readies nothing and frees nothing; asking for fewer
    /// frees the extra ones.
    #[test]
    fn readied_planes_are_the_ones_the_measurement_takes() {
        use crate::measure::{
            context_area, measure_reusing, ready_buffers, FIRST_PLANES, MAX_PX_PER_MM,
        };
        use crate::synth::{render, Camera, DotParams, Scene};
        use crate::Region;

        let camera = Camera::new(260, 210, 20.0);
        let scene = Scene::typical(&camera, 5, &DotParams::fresh(), 9);
        let image = image::DynamicImage::ImageRgb8(render(&scene, &camera));
        let (size, scale) = ((260, 210), Some(20.0));
        let inner = Region {
            x: 30,
            y: 20,
            width: 120,
            height: 100,
        };
        let crop = context_area(inner, scale, size.0, size.1);
        assert!(
            crop.width < size.0,
            "a larger margin would ask for larger planes"
        );

        let mut buffers = PlaneBuffers::default();
        ready_buffers(&mut buffers, size, Some(inner), scale, FIRST_PLANES);
        let readied = buffers.footprint();
        assert_eq!(readied.len(), FIRST_PLANES);
        assert!(readied
            .iter()
            .all(|&(_, values)| values == crop.area_px() as usize));

        let outside = Region::whole(size.0 + 1, size.1);
        ready_buffers(&mut buffers, size, Some(outside), scale, FIRST_PLANES);
        assert_eq!(buffers.footprint(), readied, "region outside the photo");
        let implausible = Some(MAX_PX_PER_MM * 1.2);
        ready_buffers(&mut buffers, size, Some(inner), implausible, FIRST_PLANES);
        assert_eq!(buffers.footprint(), readied, "implausible scale");
        ready_buffers(&mut buffers, size, Some(inner), scale, FIRST_PLANES);
        assert_eq!(
            buffers.footprint(),
            readied,
            "readied again: none freed or added"
        );
        ready_buffers(&mut buffers, size, Some(inner), scale, FIRST_PLANES - 1);
        let fewer = buffers.footprint();
        assert_eq!(fewer.len(), FIRST_PLANES - 1, "fewer planes asked");
        assert!(
            fewer.iter().all(|plane| readied.contains(plane)),
            "{fewer:?}"
        );

        // Readied for the whole photo, the planes hold more values than the region's
        // measurement asks for, which a fresh allocation for it would not (an address alone
        // may be a freed buffer's, reused by the allocator).
        ready_buffers(&mut buffers, size, None, scale, FIRST_PLANES);
        let readied = buffers.footprint();
        assert!(readied
            .iter()
            .all(|&(_, values)| values > crop.area_px() as usize));
        measure_reusing(&image, inner, scale, &mut buffers).unwrap();
        let kept = buffers.footprint();
        assert_eq!(kept.len(), MAX_KEPT_PLANES);
        assert!(kept.iter().all(|plane| readied.contains(plane)), "{kept:?}");
    }

    #[test]
    fn a_thread_lends_its_planes_to_one_photo_at_a_time_and_keeps_them_until_released() {
        with_thread_planes(|outer| {
            let outer = outer.expect("nothing else holds this thread's planes");
            outer.keep(vec![1.0; 10]);
            // A photo started inside another on the same thread measures with fresh buffers.
            with_thread_planes(|inner| assert!(inner.is_none()));
        });
        with_thread_planes(|next| assert_eq!(next.map(|p| p.len()), Some(1)));
        release_thread_planes();
        with_thread_planes(|after| assert_eq!(after.map(|p| p.len()), Some(0)));
    }
}

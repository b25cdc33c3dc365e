//! Full-size buffers carried from one photo's measurement to the next.
//!
//! A fresh full-size allocation is faulted in by the kernel page by page on first touch
//! (≈ 25 000 faults for a 24 MP plane of 4 B/px), which costs a tenth or more of a photo's CPU
//! time on some machines. Within a photo the measurement already hands buffers from stage to
//! stage; [`PlaneBuffers`] carries the last two planes over to the next photo on the same
//! thread, so that a batch faults them in once per thread instead of once per photo.
//!
//! [`crate::analyze_series`] keeps one set per thread, shared by every series measured on it (a
//! batch's clients too), and frees them all when the outermost call returns: at most two planes
//! per thread are ever kept.
//!
//! (Written here rather than taken from a pooling crate: the buffers change hands between
//! stages as plain `Vec`s of different element types, which object pools do not model, and
//! two of them are all there is to keep.)

use std::cell::RefCell;

/// At most this many buffers are kept: the two planes a photo's measurement ends with (its
/// darkness plane and its labels), which the next photo takes for its first two planes (its
/// luminance and that plane's denoised copy) before it allocates anything else that large, so a
/// thread's peak of memory does not grow.
pub const MAX_KEPT_PLANES: usize = 2;

/// Plane buffers (4 B/px) kept from one [`crate::measure::measure_reusing`] for the next.
/// Their values do not matter. Empty by default; keep one per thread (photos measured one after
/// another), never share one between photos measured at the same time.
#[derive(Debug, Default)]
pub struct PlaneBuffers {
    kept: Vec<Vec<f32>>,
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

    /// Keeps `buffer` for a later [`PlaneBuffers::take`], up to [`MAX_KEPT_PLANES`] of them.
    pub(crate) fn keep(&mut self, buffer: Vec<f32>) {
        if buffer.capacity() > 0 && self.kept.len() < MAX_KEPT_PLANES {
            self.kept.push(buffer);
        }
    }

    /// Number of buffers kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// Whether no buffer is kept.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
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
        assert!(buffers.take(200).is_empty());
        assert!(buffers.is_empty());
        // Empty buffers are not kept.
        buffers.keep(Vec::new());
        assert!(buffers.is_empty());
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

//! Work run beside a photo's decoding, on a thread of its own: the single-threaded decoder
//! leaves a core idle, which readies the measurement's buffers meanwhile.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

/// Name of the thread that runs the work beside a decoding.
pub(super) const BESIDE_THREAD_NAME: &str = "smptrack-beside-decoding";

/// Runs `decode_pixels` on this thread and `work` once, beside it on a scoped thread of its
/// own, and returns the decoding's result once both are done; if no thread can be started,
/// this thread runs `work` after the decoding. The flag handed to `work` is set as soon as the
/// decoding is done: work that only gets ahead of later needs (faulting pages in) stops there
/// rather than hold up the photo. In a pool of one thread (or outside any pool, when the
/// global pool has one), no thread is started: this thread runs `work` first, its flag never
/// set, then the decoding, so that one thread asked for keeps the photo on one core.
///
/// A plain thread, not a rayon job, on the pool's threads too: a rayon thread waiting for a
/// job that another thread took runs or steals other jobs meanwhile, which in a batch may be
/// a whole other photo, measured while this one and the buffers readied for it are held. A
/// join waits for the work alone, which allocates and touches memory and never blocks.
/// (A panic in the work reaches the caller as a decoder crash whose message says only that a
/// scoped thread panicked: it would mean an allocation failure, which aborts first.)
pub(super) fn beside<T>(
    decode_pixels: impl FnOnce() -> T,
    work: Option<impl FnOnce(&AtomicBool) + Send>,
) -> T {
    let Some(work) = work else {
        return decode_pixels();
    };
    if rayon::current_num_threads() <= 1 {
        // One thread asked for (`RAYON_NUM_THREADS=1`): no second one is started, whose work
        // would run on another core. The work runs here, in full, before the decoding:
        // populating pages ahead is still cheaper than faulting them in one at a time as the
        // decoder and the first stages write them (see crate::pages).
        work(&AtomicBool::new(false));
        return decode_pixels();
    }
    let done = AtomicBool::new(false);
    // The started thread takes the work from the slot, or, if none started, this one does.
    let slot = Mutex::new(Some(work));
    let run = || {
        let work = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(work) = work {
            work(&done);
        }
    };
    let decoded = std::thread::scope(|scope| {
        let _started = std::thread::Builder::new()
            .name(BESIDE_THREAD_NAME.into())
            .spawn_scoped(scope, run);
        let decoded = decode_pixels();
        done.store(true, Ordering::Relaxed);
        decoded
    });
    run();
    decoded
}

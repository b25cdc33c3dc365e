//! Faulting a fresh allocation's pages in ahead of its first use, on a core that would
//! otherwise wait (see [`crate::buffers`] and [`crate::load`]).
//!
//! A fresh large allocation is mapped lazily: the kernel faults each 4 KB page in when it is
//! first touched. On Linux (5.14 and later) `madvise(MADV_POPULATE_WRITE)` faults a range in
//! with one call, without an exception per page: 96 MB took 36–38 ms that way against 60 ms
//! touched page by page, on the 2-vCPU machines of issue 4. Elsewhere, and on older kernels,
//! each page is touched instead where the caller may write it.
//!
//! (Written by hand: a few lines over `libc::madvise`; no crate offers a stoppable populate.)

use std::sync::atomic::{AtomicBool, Ordering};

/// Bytes per page: the smallest page size of the CPUs we run on (a larger page is populated
/// or touched more than once, which changes nothing).
const PAGE_BYTES: usize = 4096;

/// Pages faulted in between looks at the stop flag (1 MB).
const STOP_CHECK_PAGES: usize = 256;

/// Faults in the pages of `buffer` in order, until `stop` is set (looked at every
/// [`STOP_CHECK_PAGES`] pages); returns whether every page was. Its values are unchanged.
pub(crate) fn populate(buffer: &mut [u8], stop: &AtomicBool) -> bool {
    let range = buffer.as_mut_ptr_range();
    let (start, end) = (range.start as usize, range.end as usize);
    let (first, last) = (
        start.next_multiple_of(PAGE_BYTES),
        end / PAGE_BYTES * PAGE_BYTES,
    );
    if first >= last {
        touch(buffer);
        return true;
    }
    // SAFETY: the whole pages of `buffer`, held here and alive for the call.
    let populated = unsafe { populate_pages(first as *mut u8, last - first, stop) };
    let (head, rest) = buffer.split_at_mut(first - start);
    let (middle, tail) = rest.split_at_mut(last - first);
    match populated {
        Some(false) => false,
        Some(true) => {
            touch(head);
            touch(tail);
            true
        }
        // The kernel cannot: each page touched instead, the stop looked at as often.
        None => {
            touch(head);
            let done = touch_until(middle, stop);
            if done {
                touch(tail);
            }
            done
        }
    }
}

/// [`touch`]es the pages of `bytes` in order, [`STOP_CHECK_PAGES`] at a time until `stop` is
/// set; returns whether every page was.
fn touch_until(bytes: &mut [u8], stop: &AtomicBool) -> bool {
    for chunk in bytes.chunks_mut(STOP_CHECK_PAGES * PAGE_BYTES) {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        touch(chunk);
    }
    true
}

/// Bytes per task of [`zeroed_populated`].
const POPULATE_BAND_BYTES: usize = 4 << 20;

/// `len` zero values in a fresh allocation, its pages populated and zeroed on every thread, a
/// band of [`POPULATE_BAND_BYTES`] per task: for a large buffer that a parallel pass fills
/// next, which would otherwise fault each page in as it first writes it (≈ 40% slower per
/// page). Where the kernel cannot populate, the zeroing faults the pages in, on every thread
/// too.
///
/// The zeros are written here, band by band, rather than asked of the allocator: by default
/// glibc serves a buffer under its mmap threshold (which rises to 32 MB once such a buffer is
/// freed, as every photo's 24 MB masks are) from its heap, and zeroes it there with one memset
/// on the calling thread, faulting in every page of fresh heap as it goes (in a batch of 24 MP
/// photos, a third of the page faults the measurement itself took). (The binary fixes the
/// threshold lower, see [`crate::allocator`]; a fresh mapping's pages still fault in on first
/// write.)
pub(crate) fn zeroed_populated<T: bytemuck::Zeroable>(len: usize) -> Vec<T> {
    use rayon::prelude::*;
    let mut values: Vec<T> = Vec::with_capacity(len);
    let start = values.as_mut_ptr() as usize;
    let bytes = len * std::mem::size_of::<T>();
    let never = AtomicBool::new(false);
    (0..bytes.div_ceil(POPULATE_BAND_BYTES))
        .into_par_iter()
        .for_each(|band| {
            let from = band * POPULATE_BAND_BYTES;
            let len = POPULATE_BAND_BYTES.min(bytes - from);
            let band = (start + from) as *mut u8;
            // SAFETY: bytes within `values`' capacity, alive until it is returned, after this
            // loop; the bands do not overlap (a page straddling two is populated by neither,
            // only whole pages are, and the zeroing faults it in).
            unsafe {
                populate_pages(band, len, &never);
                band.write_bytes(0, len);
            }
        });
    // SAFETY: the capacity holds `len` values, all of whose bytes were zeroed above, and an
    // all-zero `T` is valid (`Zeroable`).
    unsafe { values.set_len(len) };
    values
}

/// Faults in the whole pages within the `len` bytes from `start`, in order, a chunk of
/// [`STOP_CHECK_PAGES`] at a time until `stop` is set: `Some(true)` when all were, `Some(false)`
/// when stopped, `None` when the kernel cannot populate (not Linux, or older than 5.14); then
/// none was faulted in by this call. Writes nothing into the memory: another thread may be
/// writing it meanwhile (a decoder filling its output ahead of which this runs).
///
/// # Safety
/// The range lies within one allocation that stays alive for the duration of the call.
pub(crate) unsafe fn populate_pages(start: *mut u8, len: usize, stop: &AtomicBool) -> Option<bool> {
    let first = (start as usize).next_multiple_of(PAGE_BYTES);
    let last = (start as usize + len) / PAGE_BYTES * PAGE_BYTES;
    let mut at = first;
    while at < last {
        if stop.load(Ordering::Relaxed) {
            return Some(false);
        }
        let chunk = (last - at).min(STOP_CHECK_PAGES * PAGE_BYTES);
        // SAFETY: whole pages of a live allocation (the caller's promise); populating reads
        // and writes none of their bytes.
        if !unsafe { populate_chunk(at, chunk) } {
            if at == first {
                return None;
            }
            // (Failing midway would mean memory ran out: left to fault in on first touch.)
            return Some(true);
        }
        at += chunk;
    }
    Some(true)
}

/// `madvise(MADV_POPULATE_WRITE)` of `len` bytes from the page-aligned `start`: whether it
/// succeeded.
///
/// # Safety
/// Whole pages of a live allocation.
#[cfg(target_os = "linux")]
unsafe fn populate_chunk(start: usize, len: usize) -> bool {
    // SAFETY: see the function's contract; the advice changes no byte of the range.
    unsafe { libc::madvise(start as *mut libc::c_void, len, libc::MADV_POPULATE_WRITE) == 0 }
}

/// No populating off Linux: the caller touches pages instead.
#[cfg(not(target_os = "linux"))]
unsafe fn populate_chunk(_start: usize, _len: usize) -> bool {
    false
}

/// Touches each page of `bytes` so that the kernel faults it in now: a compare-and-swap of 0
/// for 0 on its first byte, which changes no value (it fails unless the byte is 0). It is a
/// write from the start where the byte is 0, as in the fresh zeroed buffers this is for, and
/// on x86 always (a plain read first would map the shared zero page and fault a second time
/// at the write; an atomic "or" of 0 is compiled into a read).
fn touch(bytes: &mut [u8]) {
    use std::sync::atomic::AtomicU8;
    for page in bytes.chunks_mut(PAGE_BYTES) {
        // SAFETY: a byte of `bytes`, held exclusively here (and any byte is aligned).
        let byte = unsafe { AtomicU8::from_ptr(&mut page[0]) };
        let _ = byte.compare_exchange(0, 0, Ordering::Relaxed, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Populated or touched, whole, stopped or not, aligned or not: the values stay as they
    /// were, and a stop before the first chunk leaves the call unfinished.
    #[test]
    fn populating_changes_no_value() {
        let len = 3 * STOP_CHECK_PAGES * PAGE_BYTES + 77;
        let original: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        for offset in [0, 1, 13] {
            let mut buffer = original.clone();
            let part = &mut buffer[offset..];
            assert!(populate(part, &AtomicBool::new(false)));
            assert!(!populate(part, &AtomicBool::new(true)));
            assert_eq!(buffer, original, "offset {offset}");
        }
        // Shorter than a page, and empty: nothing to populate, done at once.
        let mut short = original[..100].to_vec();
        assert!(populate(&mut short, &AtomicBool::new(true)));
        assert!(populate(&mut [], &AtomicBool::new(true)));
        assert_eq!(short, original[..100]);
        // Fresh zeroed memory, faulted in by the kernel, reads zero.
        let mut fresh = vec![0u8; len];
        assert!(populate(&mut fresh, &AtomicBool::new(false)));
        assert!(fresh.iter().all(|&b| b == 0));
    }

    /// Touched page by page (where the kernel cannot populate): values unchanged, and a stop
    /// set beforehand leaves the pages untouched and is reported.
    #[test]
    fn touching_changes_no_value_and_stops() {
        let original: Vec<u8> = (0..2 * STOP_CHECK_PAGES * PAGE_BYTES + 9)
            .map(|i| (i % 253) as u8)
            .collect();
        let mut buffer = original.clone();
        assert!(touch_until(&mut buffer[3..], &AtomicBool::new(false)));
        assert!(!touch_until(&mut buffer, &AtomicBool::new(true)));
        assert!(touch_until(&mut [], &AtomicBool::new(true)));
        assert_eq!(buffer, original);
        let mut fresh = vec![0u8; STOP_CHECK_PAGES * PAGE_BYTES];
        assert!(touch_until(&mut fresh, &AtomicBool::new(false)));
        assert!(fresh.iter().all(|&b| b == 0));
    }

    /// Zero values of any zeroable kind, as many as asked, across band edges or within one.
    #[test]
    fn zeroed_populated_buffers_are_zero_and_whole() {
        for len in [0, 1, 4095, POPULATE_BAND_BYTES + 3, 2 * POPULATE_BAND_BYTES] {
            let flags: Vec<bool> = zeroed_populated(len);
            assert_eq!(flags.len(), len);
            assert!(flags.iter().all(|&f| !f));
            let table: Vec<[u32; 4]> = zeroed_populated(len / 16);
            assert_eq!(table.len(), len / 16);
            assert!(table.iter().all(|&t| t == [0; 4]));
        }
    }

    /// On Linux 5.14 and later (every machine this is built on), the kernel populates; a stop
    /// set beforehand is reported as such.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_kernel_populates_whole_pages() {
        let mut fresh = vec![0u8; 4 * STOP_CHECK_PAGES * PAGE_BYTES];
        let range = fresh.as_mut_ptr_range();
        let len = range.end as usize - range.start as usize;
        // SAFETY: `fresh` is alive and unused meanwhile.
        let done = unsafe { populate_pages(range.start, len, &AtomicBool::new(false)) };
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
        let mut numbers = release
            .split(['.', '-'])
            .map(|n| n.parse::<u32>().unwrap_or(0));
        let version = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
        if version >= (5, 14) {
            assert_eq!(done, Some(true), "Linux {release}");
        }
        let stopped = unsafe { populate_pages(range.start, len, &AtomicBool::new(true)) };
        assert_eq!(stopped, Some(false));
    }
}

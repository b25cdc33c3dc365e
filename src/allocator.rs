//! glibc's allocator set for photo-sized buffers: process-wide, so the binary opts in at its
//! start ([`tune_for_photos`]); the library itself never changes it.
//!
//! By default glibc serves an allocation of 128 KiB or more with a mapping of its own, returned
//! to the system when freed, but the first time it frees such a buffer it raises that threshold
//! to the buffer's size (up to 32 MiB). From then on a 24 MP photo's 24 MB masks and the blurs'
//! strip buffers come from its arenas, which keep them when they are freed: at the dot outlines
//! of a 24 MP photo, 173 MB were in use but 280 MB taken from the system. Fixing the threshold
//! (which also turns its rise off) returns every large buffer as it is freed, while the strip
//! buffers under it are reused from the arenas, kept whole by a high trim threshold.
//!
//! Measured on two threads, one 24 MP photo, medians of 3 (benches/RESULTS.md): thresholds of
//! 1 or 2 MiB put most strip buffers back on the system, re-faulted per task (1.6 s against
//! 1.3 s); 8 MiB and more left the peak where glibc's defaults put it; 4 MiB with a 256 MiB trim
//! threshold kept the time and lowered the peak.

/// Allocations of this many bytes or more get mappings of their own, returned to the system when
/// freed (see the module's documentation): 4 MiB.
pub const MMAP_THRESHOLD_BYTES: usize = 4 << 20;

/// Free memory at the top of an arena that glibc keeps rather than return: 256 MiB, so that the
/// arenas' strip buffers are not given back and faulted in again between blurs.
pub const TRIM_THRESHOLD_BYTES: usize = 256 << 20;

/// Sets glibc's mmap threshold to [`MMAP_THRESHOLD_BYTES`] and its trim threshold to
/// [`TRIM_THRESHOLD_BYTES`], for the whole process (call it before other threads start).
/// Returns whether both were set: `false` where the C library is not glibc.
pub fn tune_for_photos() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets the allocator's parameters; it takes the allocator's own
        // lock, so it is sound with other threads allocating.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES as libc::c_int) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES as libc::c_int) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

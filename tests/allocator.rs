//! `smptrack::allocator`: glibc's thresholds, at their edges. A process of its own (glibc's
//! settings are process-wide, and the counts below would see other tests' buffers).

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn buffers_from_the_mmap_threshold_on_go_back_to_the_system_when_freed() {
    use smptrack::allocator::{tune_for_photos, MMAP_THRESHOLD_BYTES};
    assert!(tune_for_photos());
    // Bytes in glibc's own mappings (one per allocation at or over its mmap threshold). (SAFETY:
    // mallinfo2 only reads the allocator's statistics.)
    let mapped = || unsafe { libc::mallinfo2() }.hblkhd;
    // (Each buffer is written and passed through `black_box`, so that it is really allocated.)
    let buffer = |len: usize| std::hint::black_box(vec![1u8; len]);
    let before = mapped();
    // The bytes mapped while a buffer of `len` bytes is held, then after it is freed.
    let mapped_while_held = |len: usize| {
        let held = buffer(len);
        let while_held = mapped() - before;
        drop(held);
        (while_held, mapped() - before)
    };
    // At the threshold: a mapping of its own, gone when freed.
    let (held, freed) = mapped_while_held(MMAP_THRESHOLD_BYTES);
    assert!(held >= MMAP_THRESHOLD_BYTES && freed == 0, "{held} {freed}");
    // Just under it: from an arena.
    assert_eq!(mapped_while_held(MMAP_THRESHOLD_BYTES - 64 * 1024), (0, 0));
    // Freeing a larger mapped buffer does not raise the threshold (glibc's default does, to
    // that buffer's size): a buffer at the threshold is still mapped, and given back.
    drop(buffer(4 * MMAP_THRESHOLD_BYTES));
    let (held, freed) = mapped_while_held(MMAP_THRESHOLD_BYTES);
    assert!(held >= MMAP_THRESHOLD_BYTES && freed == 0, "{held} {freed}");
}

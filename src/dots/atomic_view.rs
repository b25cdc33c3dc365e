//! Plain slices seen as atomics, for parallel tasks that each write their own scattered,
//! disjoint elements of one full-size buffer (the watershed's pieces into the labels, the
//! opening's outline components into its mask).
//!
//! Written here because std's `AtomicU32::from_mut_slice` and `AtomicU8::from_mut_slice`,
//! which do exactly this, are not stable. The alternatives cost a full-size pass on one thread:
//! collecting the buffer into a `Vec` of atomics and back, or writing the scattered elements
//! from one thread. Relaxed atomic stores compile to plain stores.

use std::sync::atomic::{AtomicU32, AtomicU8};

/// `values` as atomics, shared for as long as the exclusive borrow lasts.
pub(super) fn u32s(values: &mut [u32]) -> &[AtomicU32] {
    const {
        assert!(std::mem::align_of::<AtomicU32>() == std::mem::align_of::<u32>());
        assert!(std::mem::size_of::<AtomicU32>() == std::mem::size_of::<u32>());
    }
    // SAFETY: AtomicU32 has the same size and bit validity as u32 and (asserted above) the
    // same alignment here, and the exclusive borrow means nothing else reads or writes the
    // values while the returned shared borrow lives.
    unsafe { &*(values as *mut [u32] as *const [AtomicU32]) }
}

/// `values` as atomics, shared for as long as the exclusive borrow lasts.
pub(super) fn u8s(values: &mut [u8]) -> &[AtomicU8] {
    // SAFETY: AtomicU8 has the same size, alignment and bit validity as u8 (documented), and
    // the exclusive borrow means nothing else reads or writes the values while the returned
    // shared borrow lives.
    unsafe { &*(values as *mut [u8] as *const [AtomicU8]) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn stores_through_the_views_land_in_the_slices() {
        let mut numbers = vec![0u32; 1000];
        let mut flags = vec![0u8; 1000];
        {
            let (shared_numbers, shared_flags) = (u32s(&mut numbers), u8s(&mut flags));
            (0..1000usize).into_par_iter().for_each(|i| {
                // Every element written by one task, in scattered order.
                let j = (i * 7919) % 1000;
                shared_numbers[j].store(j as u32 + 1, Ordering::Relaxed);
                shared_flags[j].store(u8::from(j % 3 == 0), Ordering::Relaxed);
            });
        }
        assert!(numbers.iter().enumerate().all(|(j, &v)| v == j as u32 + 1));
        assert!(flags
            .iter()
            .enumerate()
            .all(|(j, &f)| f == u8::from(j % 3 == 0)));
    }
}

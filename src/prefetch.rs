//! Cache prefetch hints: loads that a loop will need soon, started early so that their misses
//! to memory overlap with the work before them.

/// Bytes per cache line on the CPUs we run on (x86-64, Arm): a span's lines are hinted this
/// far apart.
pub const CACHE_LINE_BYTES: usize = 64;

/// Hints the CPU to bring `values[index]`'s cache line into its caches. Does nothing when
/// `index` is out of range, or on a CPU without a prefetch instruction we use; never changes a
/// value or a result.
#[inline(always)]
pub fn prefetch<T>(values: &[T], index: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(value) = values.get(index) {
        // SAFETY: `prefetcht0` belongs to SSE, which every x86-64 CPU has, and only hints the
        // cache: it reads nothing into the program and never faults.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                (value as *const T).cast(),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (values, index);
}

/// [`prefetch`] of every cache line of `values[span]` (clipped to `values`).
#[inline(always)]
pub fn prefetch_span<T>(values: &[T], span: std::ops::Range<usize>) {
    let step = (CACHE_LINE_BYTES / std::mem::size_of::<T>().max(1)).max(1);
    let end = span.end.min(values.len());
    let mut i = span.start;
    while i < end {
        prefetch(values, i);
        i += step;
    }
    if end > span.start {
        prefetch(values, end - 1);
    }
}

/// [`prefetch_span`] of each row of the square of `reach` px around pixel `centre` (x, y) of
/// a plane stored row by row, `width` values per row in `values` (clipped to the plane): the
/// lines that a disc or ring around that pixel will read.
#[inline]
pub fn prefetch_square<T>(values: &[T], width: usize, (x, y): (usize, usize), reach: usize) {
    if width == 0 {
        return;
    }
    let height = values.len() / width;
    let columns = x.saturating_sub(reach)..(x + reach + 1).min(width);
    for row in y.saturating_sub(reach)..(y + reach + 1).min(height) {
        let start = row * width;
        prefetch_span(values, start + columns.start..start + columns.end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hints anywhere, out of range and on empty spans included, change nothing and do not
    /// panic.
    #[test]
    fn hints_out_of_range_are_harmless() {
        let values: Vec<u32> = (0..100).collect();
        prefetch(&values, 0);
        prefetch(&values, 99);
        prefetch(&values, 100);
        prefetch(&values, usize::MAX);
        prefetch_span(&values, 0..100);
        prefetch_span(&values, 90..1000);
        prefetch_span(&values, 50..50);
        let (start, end) = std::hint::black_box((200, 100));
        prefetch_span(&values, start..end);
        prefetch_span::<u8>(&[], 0..10);
        prefetch_span::<()>(&[(); 4], 0..4);
        prefetch_square(&values, 10, (5, 5), 3);
        prefetch_square(&values, 10, (0, 0), 100);
        prefetch_square(&values, 10, (50, 50), 2);
        prefetch_square(&values, 0, (0, 0), 2);
        assert_eq!(values, (0..100).collect::<Vec<u32>>());
    }
}

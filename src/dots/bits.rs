//! A bit per pixel: the hair lines, kept from the seeds' search through the opening (the peak
//! of memory) at 1/8 of the bytes of a `Vec<bool>`: 3 MB of a 24 MP photo instead of 24.

use rayon::prelude::*;

/// One bit per pixel of a plane, in raster order.
pub(super) struct PixelBits {
    words: Vec<u64>,
}

impl PixelBits {
    /// The set pixels of `flags` (one per pixel, raster order), packed 64 to a word in parallel.
    pub(super) fn packed(flags: &[bool]) -> Self {
        let words = flags
            .par_chunks(64)
            .map(|chunk| {
                chunk
                    .iter()
                    .enumerate()
                    .fold(0u64, |word, (bit, &set)| word | (u64::from(set) << bit))
            })
            .collect();
        PixelBits { words }
    }

    /// Whether pixel `i` (raster index) is set; false beyond the plane.
    pub(super) fn get(&self, i: usize) -> bool {
        self.words
            .get(i / 64)
            .is_some_and(|word| word >> (i % 64) & 1 == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_bits_read_back_as_the_flags() {
        // 200 flags: three full words and a partial one, a pattern with no period of 64.
        let flags: Vec<bool> = (0..200).map(|i| i % 3 == 0 || i % 7 == 1).collect();
        let bits = PixelBits::packed(&flags);
        for (i, &set) in flags.iter().enumerate() {
            assert_eq!(bits.get(i), set, "pixel {i}");
        }
        assert!(!bits.get(200) && !bits.get(usize::MAX));
    }
}

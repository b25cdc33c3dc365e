//! How many pieces a blob of a mask of levels splits into: a blob marked at the lowest level of
//! darkness may be several dots grown together (by the photo's blur, or deposited touching),
//! which part where the skin between them shows, at a higher level.

/// The most pieces (8-connected, of at least [`MIN_PIECE_PX`] each) that the blob made of
/// `runs` (row, columns `x0..x1`, half-open) splits into at any one level of `mask` (`width` px
/// per row; a pixel of the blob is at level k and above when its byte is ≥ k), over the levels
/// above 1: at least 1.
pub(crate) fn most_pieces(
    runs: &[(usize, std::ops::Range<usize>)],
    mask: &[u8],
    width: usize,
) -> u32 {
    let Some((x0, y0, w, h)) = super::thickness::box_of(runs) else {
        return 1;
    };
    // The blob's levels in its bounding box, 0 off the blob.
    let mut levels = vec![0u8; w * h];
    let mut top = 0u8;
    for (y, xs) in runs {
        let row = &mask[y * width + xs.start..y * width + xs.end];
        let local = (y - y0) * w + (xs.start - x0);
        levels[local..local + row.len()].copy_from_slice(row);
        top = top.max(row.iter().copied().max().unwrap_or(0));
    }
    let mut most = 1;
    let mut stack = Vec::new();
    let mut seen = vec![false; w * h];
    for level in 2..=top {
        seen.iter_mut().for_each(|s| *s = false);
        let mut pieces = 0;
        for start in 0..w * h {
            if seen[start] || levels[start] < level {
                continue;
            }
            // Flood the piece from `start`, counting its pixels.
            let mut area = 0;
            seen[start] = true;
            stack.push(start);
            while let Some(i) = stack.pop() {
                area += 1;
                let (x, y) = (i % w, i / w);
                for ny in y.saturating_sub(1)..(y + 2).min(h) {
                    for nx in x.saturating_sub(1)..(x + 2).min(w) {
                        let n = ny * w + nx;
                        if !seen[n] && levels[n] >= level {
                            seen[n] = true;
                            stack.push(n);
                        }
                    }
                }
            }
            if area >= MIN_PIECE_PX {
                pieces += 1;
            }
        }
        most = most.max(pieces);
    }
    most
}

/// The fewest pixels a piece of a blob at a higher level must hold to count as a dot of its
/// own (a single pixel at a higher level is noise on the blob, not a dot).
const MIN_PIECE_PX: usize = 2;

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The runs (row, columns `x0..x1`) of the pixels where `inside(x, y)` holds in a `w` × `h`
    /// box, in raster order.
    pub(in crate::dots) fn runs_where(
        w: usize,
        h: usize,
        inside: impl Fn(usize, usize) -> bool,
    ) -> Vec<(usize, std::ops::Range<usize>)> {
        let mut runs = Vec::new();
        for y in 0..h {
            let mut x = 0;
            while x < w {
                if inside(x, y) {
                    let start = x;
                    while x < w && inside(x, y) {
                        x += 1;
                    }
                    runs.push((y, start..x));
                }
                x += 1;
            }
        }
        runs
    }

    /// The mask of levels `level(x, y)` over a `w` × `h` box and the runs of its pixels above 0.
    fn blob(
        w: usize,
        h: usize,
        level: impl Fn(usize, usize) -> u8,
    ) -> (Vec<u8>, Vec<(usize, std::ops::Range<usize>)>) {
        let mask: Vec<u8> = (0..w * h).map(|i| level(i % w, i / w)).collect();
        let runs = runs_where(w, h, |x, y| mask[y * w + x] > 0);
        (mask, runs)
    }

    #[test]
    fn dots_grown_together_part_at_a_higher_level() {
        // Three dots 5 px across in a row, centres 5 px apart, joined at level 1 by the skin
        // between them (level 1), each dot at level 3 within 2 px of its centre.
        let (mask, runs) = blob(17, 7, |x, y| {
            let near = (0..3)
                .map(|k| (x as f32 - (3.0 + 5.0 * k as f32)).hypot(y as f32 - 3.0))
                .fold(f32::INFINITY, f32::min);
            if near <= 1.5 {
                3
            } else if (1..=5).contains(&y) && (1..16).contains(&x) {
                1
            } else {
                0
            }
        });
        assert_eq!(most_pieces(&runs, &mask, 17), 3);
        // One evenly dark blob is one piece at every level; lone pixels above it are none.
        let (mask, runs) = blob(9, 9, |x, y| {
            if (x, y) == (2, 2) || (x, y) == (6, 6) {
                3
            } else {
                2
            }
        });
        assert_eq!(most_pieces(&runs, &mask, 9), 1);
        assert_eq!(most_pieces(&[], &mask, 9), 1);
    }
}

//! 8-connected components of a mask, found from its horizontal runs.
//!
//! Written here rather than taken from `imageproc::region_labelling`: that labels into a
//! full-size `u32` image (4 B/px at the peak of memory) in one sequential pass, where the dot
//! finder needs each component's members and extent, over 24 MP masks, several times a photo.
//! Runs are found row-parallel (the only pass over every pixel); joining them is sequential but
//! touches runs, not pixels.

use rayon::prelude::*;

/// A horizontal run of mask pixels: row `y`, columns `x0..x1` (half-open, px).
#[derive(Clone, Copy, Debug)]
struct Run {
    y: u32,
    x0: u32,
    x1: u32,
}

/// The root of run `a` in the union-find forest `parent`, halving the path on the way.
fn root(parent: &mut [u32], mut a: u32) -> u32 {
    while parent[a as usize] != a {
        let up = parent[parent[a as usize] as usize];
        parent[a as usize] = up;
        a = up;
    }
    a
}

/// Calls `visit(members, shape)` for each 8-connected component of the pixels where `inside(i)`
/// holds, among `len` pixels of `width` per row (`len` a multiple of `width`), in raster order
/// of the components' first pixel; `members` lists the component's pixel indices in raster
/// order, `shape` is (area in px, bounding-box width, bounding-box height in px). The one
/// connected-component search of the dot finder.
pub(crate) fn for_each_component(
    inside: impl Fn(usize) -> bool + Sync,
    len: usize,
    width: usize,
    mut visit: impl FnMut(&[usize], (u32, u32, u32)),
) {
    let height = len.checked_div(width).unwrap_or(0);
    let rows: Vec<Vec<Run>> = (0..height)
        .into_par_iter()
        .map(|y| {
            let (base, mut x, mut runs) = (y * width, 0, Vec::new());
            while x < width {
                if inside(base + x) {
                    let x0 = x;
                    while x < width && inside(base + x) {
                        x += 1;
                    }
                    let (y, x0, x1) = (y as u32, x0 as u32, x as u32);
                    runs.push(Run { y, x0, x1 });
                }
                x += 1;
            }
            runs
        })
        .collect();
    let mut first = Vec::with_capacity(height + 1);
    first.push(0usize);
    for row in &rows {
        first.push(first[first.len() - 1] + row.len());
    }
    let runs: Vec<Run> = rows.into_iter().flatten().collect();
    // Join each run with the runs of the row above that touch it (diagonals included). A set's
    // root is its smallest run index (the larger root is always hung under the smaller), i.e.
    // the run holding the component's first pixel in raster order.
    let mut parent: Vec<u32> = (0..runs.len() as u32).collect();
    for y in 1..height {
        let (mut a, mut b) = (first[y - 1], first[y]);
        while a < first[y] && b < first[y + 1] {
            let (above, here) = (runs[a], runs[b]);
            if above.x0 <= here.x1 && here.x0 <= above.x1 {
                let (ra, rb) = (root(&mut parent, a as u32), root(&mut parent, b as u32));
                if ra != rb {
                    parent[ra.max(rb) as usize] = ra.min(rb);
                }
            }
            // The run that ends first cannot touch any later run of the other row.
            if above.x1 < here.x1 {
                a += 1;
            } else {
                b += 1;
            }
        }
    }
    // Components numbered in order of their roots; runs grouped by component, in raster order.
    let mut number = vec![u32::MAX; runs.len()];
    let mut count = 0u32;
    for r in 0..runs.len() as u32 {
        let top = root(&mut parent, r);
        if number[top as usize] == u32::MAX {
            number[top as usize] = count;
            count += 1;
        }
        number[r as usize] = number[top as usize];
    }
    let mut start = vec![0usize; count as usize + 1];
    for &c in &number {
        start[c as usize + 1] += 1;
    }
    for c in 0..count as usize {
        start[c + 1] += start[c];
    }
    let mut grouped = vec![0u32; runs.len()];
    let mut next = start.clone();
    for (r, &c) in number.iter().enumerate() {
        grouped[next[c as usize]] = r as u32;
        next[c as usize] += 1;
    }
    let mut members = Vec::new();
    for c in 0..count as usize {
        members.clear();
        let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
        for &r in &grouped[start[c]..start[c + 1]] {
            let run = runs[r as usize];
            let base = run.y as usize * width;
            members.extend((run.x0..run.x1).map(|x| base + x as usize));
            (x0, x1) = (x0.min(run.x0), x1.max(run.x1 - 1));
            (y0, y1) = (y0.min(run.y), y1.max(run.y));
        }
        let shape = (members.len() as u32, x1 - x0 + 1, y1 - y0 + 1);
        visit(&members, shape);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flood fill this replaces: the oracle it must match (up to the order of members).
    fn by_flood_fill(
        inside: impl Fn(usize) -> bool,
        len: usize,
        width: usize,
    ) -> Vec<(Vec<usize>, (u32, u32, u32))> {
        let height = len / width;
        let mut seen = vec![false; len];
        let mut out = Vec::new();
        for start in 0..len {
            if !inside(start) || seen[start] {
                continue;
            }
            seen[start] = true;
            let (mut stack, mut members) = (vec![start], Vec::new());
            let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
            while let Some(i) = stack.pop() {
                members.push(i);
                let (x, y) = (i % width, i / width);
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
                for ny in y.saturating_sub(1)..=(y + 1).min(height - 1) {
                    for nx in x.saturating_sub(1)..=(x + 1).min(width - 1) {
                        let j = ny * width + nx;
                        if inside(j) && !seen[j] {
                            seen[j] = true;
                            stack.push(j);
                        }
                    }
                }
            }
            members.sort_unstable();
            let shape = (
                members.len() as u32,
                (x1 - x0 + 1) as u32,
                (y1 - y0 + 1) as u32,
            );
            out.push((members, shape));
        }
        out
    }

    #[test]
    fn runs_give_the_flood_fills_components_in_the_same_order() {
        for (seed, density) in [(1, 0.3), (2, 0.5), (3, 0.6), (4, 0.05)] {
            let (w, h) = (83, 57);
            let mut rng = crate::synth::SplitMix64::new(seed);
            let mask: Vec<bool> = (0..w * h)
                .map(|_| rng.uniform(0.0, 1.0) < density)
                .collect();
            let mut ours = Vec::new();
            for_each_component(
                |i| mask[i],
                w * h,
                w,
                |m, shape| ours.push((m.to_vec(), shape)),
            );
            assert_eq!(ours, by_flood_fill(|i| mask[i], w * h, w), "seed {seed}");
        }
        // A U, a diagonal staircase and runs touching only at a corner join; the edges count.
        #[rustfmt::skip]
        let mask = [
            true,  false, true,  false, false, true,
            true,  false, true,  false, true,  false,
            true,  true,  true,  true,  false, false,
            false, false, false, false, false, true,
        ];
        let mut shapes = Vec::new();
        for_each_component(|i| mask[i], 24, 6, |_, shape| shapes.push(shape));
        assert_eq!(shapes, vec![(10, 6, 3), (1, 1, 1)]);
    }
}

//! Connected components of a mask (8- or 4-connected), found from its horizontal runs.
//!
//! Written here rather than taken from `imageproc::region_labelling`: that labels into a
//! full-size `u32` image (4 B/px at the peak of memory) in one sequential pass, where the dot
//! finder needs each component's members and extent, over 24 MP masks, several times a photo.
//! Runs are found row-parallel (the only pass over every pixel), then joined in bands of rows
//! in parallel, touching runs, not pixels.

use rayon::prelude::*;

use super::groups::Groups;

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

/// The connected components of a mask as labelled runs: which component each run is in,
/// components numbered in raster order of their first pixel.
pub(crate) struct RunComponents {
    width: usize,
    /// The runs, in raster order.
    runs: Vec<Run>,
    /// Index into `runs` of each row's first run; one more entry than rows.
    first: Vec<usize>,
    /// Per run, its component's number.
    number: Vec<u32>,
    /// Number of components.
    count: usize,
}

impl RunComponents {
    /// The components of the pixels where `inside(i)` holds, among `len` pixels of `width` per
    /// row (`len` a multiple of `width`); 8-connected when `diagonal`, else 4-connected.
    pub(crate) fn find(
        inside: impl Fn(usize) -> bool + Sync,
        len: usize,
        width: usize,
        diagonal: bool,
    ) -> Self {
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
        Self::join(rows, width, diagonal)
    }

    /// [`RunComponents::find`] of the pixels whose byte in `mask` is not 0 (`width` per row;
    /// a `bool` mask's bytes too), its rows read a word at a time (see [`runs_by_words`]).
    pub(crate) fn find_in_mask(mask: &[u8], width: usize, diagonal: bool) -> Self {
        let rows = runs_by_words(mask, width, |b| *b != 0, crate::mask::no_byte_set);
        Self::join(rows, width, diagonal)
    }

    /// The components of the runs of each row (`rows`, in raster order; `width` px per row).
    ///
    /// Each run is joined with the runs of the row above that touch it (at a corner too when
    /// `diagonal`). A set's root is its smallest run index (the larger root is always hung
    /// under the smaller), i.e. the run holding the component's first pixel. In two passes:
    /// bands of rows in parallel, each joining its own rows in its own slice of the forest,
    /// then the bands' edges in order (joined sequentially, a 24 MP photo's masks took about
    /// 23 ms of one core). The components are those of any order of joins, and they are
    /// numbered by their first run: the same numbers at any thread count.
    fn join(rows: Vec<Vec<Run>>, width: usize, diagonal: bool) -> Self {
        let height = rows.len();
        let mut first = Vec::with_capacity(height + 1);
        first.push(0usize);
        for row in &rows {
            first.push(first[first.len() - 1] + row.len());
        }
        let runs: Vec<Run> = rows.into_iter().flatten().collect();
        let reach = u32::from(diagonal);
        let band_rows = height
            .div_ceil(JOIN_BANDS_PER_THREAD * rayon::current_num_threads())
            .max(1);
        let bands: Vec<std::ops::Range<usize>> = (0..height)
            .step_by(band_rows)
            .map(|y0| y0..(y0 + band_rows).min(height))
            .collect();
        // Each band's runs in its own slice of the forest, indices local to it while joined.
        let mut parent = vec![0u32; runs.len()];
        let mut slices = Vec::with_capacity(bands.len());
        let mut rest = &mut parent[..];
        for band in &bands {
            let len = first[band.end] - first[band.start];
            let (own, others) = std::mem::take(&mut rest).split_at_mut(len);
            slices.push(own);
            rest = others;
        }
        slices.into_par_iter().zip(&bands).for_each(|(own, band)| {
            let base = first[band.start];
            own.iter_mut().enumerate().for_each(|(i, p)| *p = i as u32);
            for y in band.start + 1..band.end {
                join_rows(own, base, &runs, &first, y, reach);
            }
            own.iter_mut().for_each(|p| *p += base as u32);
        });
        for band in bands.iter().skip(1) {
            join_rows(&mut parent, 0, &runs, &first, band.start, reach);
        }
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
        RunComponents {
            width,
            runs,
            first,
            number,
            count: count as usize,
        }
    }

    /// The number of components.
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// The number of the component holding pixel (`x`, `y`), if it is in the mask.
    pub(crate) fn at(&self, x: usize, y: usize) -> Option<u32> {
        let row = &self.runs[*self.first.get(y)?..*self.first.get(y + 1)?];
        let k = row.partition_point(|run| (run.x1 as usize) <= x);
        let run = row.get(k)?;
        (run.x0 as usize <= x).then(|| self.number[self.first[y] + k])
    }

    /// (component, `x0..x1`) of each run of row `y` (none past the last row), in order.
    pub(crate) fn row_runs(
        &self,
        y: usize,
    ) -> impl Iterator<Item = (usize, std::ops::Range<usize>)> + '_ {
        let runs = match (self.first.get(y), self.first.get(y + 1)) {
            (Some(&a), Some(&b)) => a..b,
            _ => 0..0,
        };
        runs.map(|r| {
            let run = self.runs[r];
            (self.number[r] as usize, run.x0 as usize..run.x1 as usize)
        })
    }

    /// Per component: (area in px, bounding-box width, bounding-box height in px).
    pub(crate) fn shapes(&self) -> Vec<(u32, u32, u32)> {
        let mut areas = vec![0u32; self.count];
        for (run, &c) in self.runs.iter().zip(&self.number) {
            areas[c as usize] += run.x1 - run.x0;
        }
        self.bounds()
            .iter()
            .zip(areas)
            .map(|(&(x0, y0, x1, y1), area)| (area, (x1 - x0 + 1) as u32, (y1 - y0 + 1) as u32))
            .collect()
    }

    /// Per component: its bounding box `(x0, y0, x1, y1)` (inclusive, px).
    pub(crate) fn bounds(&self) -> Vec<(usize, usize, usize, usize)> {
        let mut out = vec![(usize::MAX, usize::MAX, 0, 0); self.count];
        for (run, &c) in self.runs.iter().zip(&self.number) {
            let b = &mut out[c as usize];
            let (y, x0, x1) = (run.y as usize, run.x0 as usize, run.x1 as usize - 1);
            *b = (b.0.min(x0), b.1.min(y), b.2.max(x1), b.3.max(y));
        }
        out
    }

    /// Per component in order, its pixels' indices (px, row by row, as u32) in raster order;
    /// the lists are filled components in parallel (one thread listing a 24 MP photo's outline
    /// pixels took 20 ms).
    pub(crate) fn member_lists(&self) -> Vec<Vec<u32>> {
        let grouped = self.runs_by_component();
        (0..self.count)
            .into_par_iter()
            .map(|c| {
                let runs = grouped.of(c).iter().map(|&r| self.runs[r as usize]);
                let len = runs.clone().map(|run| (run.x1 - run.x0) as usize).sum();
                let mut members = Vec::with_capacity(len);
                for run in runs {
                    let base = run.y as usize * self.width;
                    members.extend((run.x0..run.x1).map(|x| (base + x as usize) as u32));
                }
                members
            })
            .collect()
    }

    /// Run `r` (in raster order of all runs): its row and columns `x0..x1` (half-open).
    pub(crate) fn run(&self, r: usize) -> (usize, std::ops::Range<usize>) {
        let run = self.runs[r];
        (run.y as usize, run.x0 as usize..run.x1 as usize)
    }

    /// The runs' indices grouped by component, each group in raster order.
    pub(crate) fn runs_by_component(&self) -> Groups {
        Groups::by_key(self.runs.len(), self.count, |r| {
            Some(self.number[r] as usize)
        })
    }
}

/// Bands of rows per thread in [`RunComponents::join`]'s parallel pass: a few, so that a
/// band crowded with runs does not hold up the rest.
const JOIN_BANDS_PER_THREAD: usize = 4;

/// Joins each run of row `y` ≥ 1 with the runs of row `y − 1` that touch it (`reach` 1: at a
/// corner too), in the union-find forest `parent` of the runs from index `base` on (both rows'
/// runs among them; `first` indexes each row's first run in `runs`), hanging the larger root
/// under the smaller.
fn join_rows(parent: &mut [u32], base: usize, runs: &[Run], first: &[usize], y: usize, reach: u32) {
    let (mut a, mut b) = (first[y - 1], first[y]);
    while a < first[y] && b < first[y + 1] {
        let (above, here) = (runs[a], runs[b]);
        if above.x0 < here.x1 + reach && here.x0 < above.x1 + reach {
            let (ra, rb) = (
                root(parent, (a - base) as u32),
                root(parent, (b - base) as u32),
            );
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

/// The runs of each row of `values` (`width` per row) where `inside` holds, rows in parallel,
/// each row read a word at a time where `none_inside(word)` (see
/// [`crate::mask::for_each_run_in_row`]).
fn runs_by_words<T: Sync>(
    values: &[T],
    width: usize,
    inside: impl Fn(&T) -> bool + Sync,
    none_inside: impl Fn(&[T]) -> bool + Sync,
) -> Vec<Vec<Run>> {
    if width == 0 {
        return Vec::new();
    }
    values
        .par_chunks_exact(width)
        .enumerate()
        .map(|(y, row)| {
            let mut runs = Vec::new();
            crate::mask::for_each_run_in_row(row, &inside, &none_inside, |xs| {
                let (y, x0, x1) = (y as u32, xs.start as u32, xs.end as u32);
                runs.push(Run { y, x0, x1 });
            });
            runs
        })
        .collect()
}

/// The 8-connected components of the pixels set in `mask` (`width` per row), in raster order
/// of their first pixel, each as its pixels' indices (px, row by row) in raster order (see
/// [`RunComponents::member_lists`]). The rows are scanned a word of 16 pixels at a time (see
/// [`RunComponents::find_in_mask`]).
pub(crate) fn component_members(mask: &[bool], width: usize) -> Vec<Vec<u32>> {
    RunComponents::find_in_mask(bytemuck::cast_slice(mask), width, true).member_lists()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Per component, (members as usize, shape), as `by_flood_fill` gives them.
    fn members_and_shapes(found: &RunComponents) -> Vec<(Vec<usize>, (u32, u32, u32))> {
        let lists = found.member_lists().into_iter();
        let members = lists.map(|m| m.into_iter().map(|i| i as usize).collect());
        members.zip(found.shapes()).collect()
    }

    /// The flood fill this replaces: the oracle it must match (up to the order of members).
    fn by_flood_fill(
        inside: impl Fn(usize) -> bool,
        len: usize,
        width: usize,
        diagonal: bool,
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
                        if !diagonal && nx != x && ny != y {
                            continue;
                        }
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

    /// The runs read a word at a time, from a byte mask and from values at a floor, are the
    /// runs read pixel by pixel: rows narrower than a word, one word, a word and a pixel,
    /// several words; masks empty, sparse, half full and full; nonzero bytes other than 1,
    /// NaN values; runs across word edges, in the last partial word and at the row's ends.
    #[test]
    fn components_read_a_word_at_a_time_are_those_found_pixel_by_pixel() {
        let mut rng = crate::synth::SplitMix64::new(8);
        for w in [1, 5, 15, 16, 17, 31, 32, 33, 50] {
            for density in [0.0, 0.02, 0.2, 0.5, 1.0] {
                let h = 7;
                let mask: Vec<u8> = (0..w * h)
                    .map(|_| {
                        let set = rng.uniform(0.0, 1.0) < density;
                        u8::from(set) * (1 + rng.uniform(0.0, 3.0) as u8)
                    })
                    .collect();
                for diagonal in [false, true] {
                    let oracle = RunComponents::find(|i| mask[i] != 0, w * h, w, diagonal);
                    let runs = |found: &RunComponents| {
                        let mut runs = Vec::new();
                        for y in 0..h {
                            runs.extend(found.row_runs(y).map(|(c, columns)| (c, y, columns)));
                        }
                        runs
                    };
                    let context = format!("{w} wide, {density}, {diagonal}");
                    let ours = RunComponents::find_in_mask(&mask, w, diagonal);
                    assert_eq!(runs(&ours), runs(&oracle), "{context}");
                    assert_eq!(ours.count(), oracle.count(), "{context}");
                }
            }
        }
        assert_eq!(RunComponents::find_in_mask(&[], 0, true).count(), 0);
    }

    /// The joins run in bands of rows, one set per thread count: the components and their
    /// numbers are the flood fill's with 1 to 7 threads, on a mask of noise and of long
    /// shapes that cross every band (a vertical bar, a diagonal, a U whose arms join only at
    /// the bottom).
    #[test]
    fn components_are_the_same_at_any_thread_count() {
        let (w, h) = (61, 300);
        let mut rng = crate::synth::SplitMix64::new(21);
        let mask: Vec<bool> = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                let u = (x == 3 || x == 9) && y >= 2 || y == h - 1 && (3..=9).contains(&x);
                x == 30 || x == 40 + y / 20 || u || rng.uniform(0.0, 1.0) < 0.3
            })
            .collect();
        for diagonal in [true, false] {
            let oracle = by_flood_fill(|i| mask[i], w * h, w, diagonal);
            for threads in 1..=7 {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let found = pool.install(|| RunComponents::find(|i| mask[i], w * h, w, diagonal));
                let ours = members_and_shapes(&found);
                assert_eq!(ours, oracle, "{threads} threads, diagonal {diagonal}");
            }
        }
    }

    #[test]
    fn runs_give_the_flood_fills_components_in_the_same_order() {
        for (seed, density) in [(1, 0.3), (2, 0.5), (3, 0.6), (4, 0.05)] {
            let (w, h) = (83, 57);
            let mut rng = crate::synth::SplitMix64::new(seed);
            let mask: Vec<bool> = (0..w * h)
                .map(|_| rng.uniform(0.0, 1.0) < density)
                .collect();
            let found = RunComponents::find_in_mask(bytemuck::cast_slice(&mask), w, true);
            let ours = members_and_shapes(&found);
            let lists: Vec<Vec<u32>> = ours
                .iter()
                .map(|(m, _)| m.iter().map(|&i| i as u32).collect())
                .collect();
            assert_eq!(component_members(&mask, w), lists, "seed {seed}");
            assert_eq!(
                ours,
                by_flood_fill(|i| mask[i], w * h, w, true),
                "seed {seed}"
            );
            // 4-connected, and each pixel's component and each component's box.
            let found = RunComponents::find(|i| mask[i], w * h, w, false);
            let oracle = by_flood_fill(|i| mask[i], w * h, w, false);
            let ours = members_and_shapes(&found);
            assert_eq!(ours, oracle, "seed {seed}, 4-connected");
            let bounds = found.bounds();
            for (c, (members, _)) in oracle.iter().enumerate() {
                for &i in members {
                    assert_eq!(found.at(i % w, i / w), Some(c as u32));
                    let b = bounds[c];
                    assert!((b.0..=b.2).contains(&(i % w)) && (b.1..=b.3).contains(&(i / w)));
                }
            }
            assert!((0..w * h).all(|i| mask[i] || found.at(i % w, i / w).is_none()));
            // The runs row by row, by component, are the members in raster order; none past
            // the last row.
            let members: Vec<Vec<usize>> = oracle.iter().map(|(m, _)| m.clone()).collect();
            let mut by_rows = vec![Vec::new(); oracle.len()];
            for y in 0..h + 2 {
                for (c, columns) in found.row_runs(y) {
                    by_rows[c].extend(columns.map(|x| y * w + x));
                }
            }
            assert_eq!(by_rows, members, "seed {seed}, rows");
            let shapes: Vec<(u32, u32, u32)> = oracle.iter().map(|(_, shape)| *shape).collect();
            assert_eq!(found.shapes(), shapes, "seed {seed}, shapes");
        }
        // A U, a diagonal staircase and runs touching only at a corner join; the edges count.
        #[rustfmt::skip]
        let mask = [
            true,  false, true,  false, false, true,
            true,  false, true,  false, true,  false,
            true,  true,  true,  true,  false, false,
            false, false, false, false, false, true,
        ];
        let found = RunComponents::find_in_mask(bytemuck::cast_slice(&mask), 6, true);
        assert_eq!(found.shapes(), vec![(10, 6, 3), (1, 1, 1)]);
    }
}

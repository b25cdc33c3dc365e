//! The dot finder's walk over the darkness plane: hair lines, blob scales, centres, cores
//! (`find_seeds`), then the watershed, outlines, hairs set aside and each dot's shape
//! (`territories`). The steps are described in the parent module.

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use super::bits::PixelBits;
use super::flood::{flood_levels, values_under};
use super::watershed::FloodLevels;
use super::{
    blobs, crossed, judge, outline, outline_pull_px, outline_sigma_px, ridges, shapes, split,
    watershed, Cover, DotMap, FoundDot, SpareBuffers, CORE_RADIUS_DIAMETERS, FLOOD_FLOOR,
    FLOOD_SIGMA_DIAMETERS, HAIR_HALF_WIDTH_MM, HALF_MAX, MAX_HAIR_LINE_FRACTION,
    MIN_FAT_HALF_WIDTH_PX,
};
use crate::plane::{Plane, RowSource};
use crate::prefetch::prefetch_square;
use crate::timing::stage_done;

/// How many peaks ahead the hair-line test and the cores hint a peak's disc into the cache.
const PREFETCH_PEAKS_AHEAD: usize = 2;

/// Finds the dots in the darkness plane `d` (1 − Y/S) given an estimated typical dot diameter
/// `diameter_px` (px) and, when known, the scale `px_per_mm` (which lets hair be told from dots
/// by physical width as well as by comparison with the other dots).
pub fn find_dots(d: &Plane, diameter_px: f32, px_per_mm: Option<f32>) -> DotMap {
    find_dots_reusing(d, diameter_px, px_per_mm, SpareBuffers::default())
}

/// [`find_dots`], with `spare` buffers as its hair lines' scratch and its labels' buffer: the
/// same result, without faulting in fresh full-size allocations, which is slow on some
/// machines (≈ 25 000 page faults per 24 MP plane).
pub fn find_dots_reusing(
    d: &Plane,
    diameter_px: f32,
    px_per_mm: Option<f32>,
    spare: SpareBuffers,
) -> DotMap {
    let (seeds, labels_buffer) = find_seeds(d, diameter_px, px_per_mm, spare);
    territories(
        seeds,
        RowSource::Stored(d),
        labels_buffer,
        diameter_px,
        px_per_mm,
    )
}

/// [`find_dots_reusing`] of the darkness plane `d`, which it gives up once it needs D only row
/// by row: from the watershed on, `d`'s buffer holds the labels, and `d_rows(y, out)` writes
/// row `y` of the same D (bit for bit) into `out` for the outlines and the centroids' weights.
/// The same result, with a 4 B/px plane fewer from the watershed on.
pub fn find_dots_releasing(
    d: Plane,
    d_rows: &(dyn Fn(usize, &mut [f32]) + Sync),
    diameter_px: f32,
    px_per_mm: Option<f32>,
) -> DotMap {
    let (seeds, _) = find_seeds(&d, diameter_px, px_per_mm, SpareBuffers::default());
    let size = (d.width, d.height);
    territories(
        seeds,
        RowSource::Computed(size, d_rows),
        d.data,
        diameter_px,
        px_per_mm,
    )
}

/// What the dot finder knows before its watershed: the kept centres (strongest first), which
/// of them lie on hair lines, the hair lines themselves (with a scale; a bit per pixel), their
/// core darkness and flood level, and the levels of the lightly smoothed plane the watershed
/// floods (smoothed at σ = `flood_sigma` px).
struct Seeds {
    peaks: Vec<blobs::Candidate>,
    on_hair_line: Vec<bool>,
    hair_lines: Option<PixelBits>,
    cores: Vec<f32>,
    /// Per peak: whether its core darkness was read beside a hair crossing it.
    crossed: Vec<bool>,
    seeds: Vec<(usize, usize, f32)>,
    flood: FloodLevels,
    flood_sigma: f32,
}

/// The dot finder up to its watershed (hair lines, blob scales, flood plane, centres, hair-line
/// test, cores) on `d`; returns as well the labels' buffer of `spare`.
fn find_seeds(
    d: &Plane,
    diameter_px: f32,
    px_per_mm: Option<f32>,
    spare: SpareBuffers,
) -> (Seeds, Vec<f32>) {
    let SpareBuffers {
        labels: mut labels_buffer,
    } = spare;
    let width = d.width;
    // Every smoothing of D at full resolution is made strip by strip, never stored (a 4 B/px
    // plane at the peak of memory; only grids of a quarter of the pixels or fewer are). Hair
    // lines first: only their 1 B/px mask is kept, for the candidates (then packed a bit per
    // pixel for the opening); their 1 B/px scratch lies in the labels' buffer (not needed
    // before the watershed).
    let lines = px_per_mm.map(|s| ridges::hair_lines(d, s, diameter_px, &mut labels_buffer));
    stage_done("dots: hair lines");
    let candidates = blobs::detect(d, diameter_px);
    stage_done("dots: blob scales");
    let flood_sigma = (FLOOD_SIGMA_DIAMETERS * diameter_px).max(0.5);
    let (flood, centre_values) = flood_levels(d, flood_sigma, FLOOD_FLOOR, &candidates);
    let (centred, values): (Vec<blobs::Candidate>, Vec<f32>) = candidates
        .into_iter()
        .zip(centre_values)
        .filter_map(|(c, value)| value.map(|v| (c, v)))
        .unzip();
    // Where hairs are resolved (see below), a hair that crosses a dot lies on the hair lines,
    // and only there can a cluster of dots be told from a dot that a hair crosses.
    let hairs_resolved = px_per_mm.is_some_and(|s| HAIR_HALF_WIDTH_MM * s >= MIN_FAT_HALF_WIDTH_PX);
    let cluster_lines = lines.as_deref().filter(|_| hairs_resolved);
    let kept = blobs::suppress(&centred, (d.width, d.height), diameter_px, cluster_lines);
    let peaks: Vec<blobs::Candidate> = kept.iter().map(|&i| centred[i]).collect();
    let seeds: Vec<(usize, usize, f32)> = kept
        .iter()
        .map(|&i| (centred[i].x, centred[i].y, values[i]))
        .collect();
    drop((centred, values));
    stage_done("dots: flood plane, centres kept");
    let n = peaks.len();
    let on_hair_line: Vec<bool> = match &lines {
        Some(lines) => {
            let radius = |c: &blobs::Candidate| super::hair_line_disc_radius(c.diameter);
            peaks
                .par_iter()
                .enumerate()
                .map(|(i, c)| {
                    // Peaks come strongest first, scattered over the plane: the core of the
                    // peak a few ahead is hinted into the cache (see `crate::prefetch`).
                    if let Some(ahead) = peaks.get(i + PREFETCH_PEAKS_AHEAD) {
                        let reach = radius(ahead).ceil() as usize;
                        prefetch_square(lines, width, (ahead.x, ahead.y), reach);
                    }
                    let on_line = |x: usize, y: usize| f32::from(u8::from(lines[y * width + x]));
                    blobs::disc_mean(on_line, (d.width, d.height), (c.x, c.y), radius(c))
                        >= MAX_HAIR_LINE_FRACTION
                })
                .collect()
        }
        None => vec![false; n],
    };
    // The lines, a bit per pixel, for the opening to tell a dot's fringe from hair arms.
    let hair_lines = lines.map(|lines| PixelBits::packed(&lines));

    // Territories on the lightly smoothed plane; half-maximum outlines on D with only a light
    // denoise (sub-pixel for dots under 23 px, 3% of larger ones: `outline_sigma_px`), because
    // blur pulls the half-maximum contour of a curved outline inwards (by ≈ σ²/2r px).
    // The outline plane is never kept whole (a 4 B/px plane less at the peak of memory): the
    // cores read it pixel by pixel, the outlines row by row as it is blurred.
    let fine = d.point_blur(outline_sigma_px(diameter_px));
    let core_radius = |c: &blobs::Candidate| (CORE_RADIUS_DIAMETERS * c.diameter).max(0.5);
    // Where a hair is narrower than the optics spread it to, its pieces are as wide as faint
    // dots, and the pixels at the edge of one are no dot beside it (see `crossed`).
    let (cores, crossed): (Vec<f32>, Vec<bool>) = peaks
        .par_iter()
        .enumerate()
        .map_init(Vec::new, |values, (i, c)| {
            if let Some(ahead) = peaks.get(i + PREFETCH_PEAKS_AHEAD) {
                let reach = core_radius(ahead).ceil() as usize + fine.reach();
                prefetch_square(&d.data, width, (ahead.x, ahead.y), reach);
            }
            let core = blobs::disc_mean(
                |x, y| fine.at(x, y),
                (d.width, d.height),
                (c.x, c.y),
                core_radius(c),
            );
            // A round candidate on a hair line may be a faint dot that the hair crosses.
            let beside = (hairs_resolved && on_hair_line[i] && !c.ridge)
                .then(|| {
                    let fine = |x, y| fine.at(x, y);
                    crossed::core_beside_hair(values, fine, (d.width, d.height), c, core)
                })
                .flatten();
            (beside.unwrap_or(core), beside.is_some())
        })
        .collect();
    stage_done("dots: hair-line test, cores");
    let found = Seeds {
        peaks,
        on_hair_line,
        hair_lines,
        cores,
        crossed,
        seeds,
        flood,
        flood_sigma,
    };
    (found, labels_buffer)
}

/// The dot finder from its watershed on: territories flooded from `seeds` into
/// `labels_buffer`'s allocation, half-maximum outlines blurred from `d`, hairs set aside, each
/// dot's area and centroid.
fn territories(
    seeds: Seeds,
    d: RowSource,
    labels_buffer: Vec<f32>,
    diameter_px: f32,
    px_per_mm: Option<f32>,
) -> DotMap {
    let Seeds {
        peaks,
        on_hair_line,
        hair_lines,
        cores,
        crossed,
        seeds,
        flood,
        flood_sigma,
    } = seeds;
    let (width, n) = (flood.width, peaks.len());
    let mut labels = watershed::watershed(&flood, &seeds, labels_buffer);
    drop(flood);
    stage_done("dots: watershed");
    let mut outlined: Vec<bool> = crate::pages::zeroed_populated(labels.len());
    let outline_sigma = outline_sigma_px(diameter_px);
    d.gaussian_blur_rows(outline_sigma, &mut outlined, |y, fine_row, out| {
        let label_row = &labels[y * width..(y + 1) * width];
        for ((o, &l), &v) in out.iter_mut().zip(label_row).zip(fine_row) {
            *o = l != 0 && v >= HALF_MAX * cores[l as usize - 1];
        }
    });
    stage_done("dots: outlines");

    // Thin pieces are hairs; hair arms are cut off the dots they cross.
    let centres: Vec<usize> = peaks.iter().map(|c| c.y * width + c.x).collect();
    let components = outline::Components::of(&outlined, width);
    let networks = outline::networks(&outlined, &components, &centres);
    let inside = outline::inside_distance(&labels, &outlined, &components);
    stage_done("dots: networks, inside distances");
    // Each territory's own half-width: its fattest point (opening, compactness, the typical dot).
    let own_width = judge::own_half_widths(&components, &inside, &labels, n);
    let judge = judge::Judge::new(
        own_width,
        &networks,
        &peaks,
        &on_hair_line,
        diameter_px,
        px_per_mm,
    );
    let mut keep = judge.may_be_dot(&networks, &peaks, &on_hair_line);
    let radii = judge.opening_radii(&on_hair_line);
    let mask = outline::open(
        &labels,
        outlined,
        &components,
        inside,
        &radii,
        hair_lines.as_ref(),
    );
    drop(hair_lines);
    stage_done("dots: opening");
    drop(components);
    // The lightly smoothed plane under the opened outlines (the centroids' weights), blurred
    // again from D row by row (it was never stored), once the components are gone: at the
    // peak of memory, the networks and the opening, it is not held.
    let flood_on_opened = values_under(d, flood_sigma, &mask, outline::OPENED);

    // Area, centroid and shape of what remains.
    let shapes = shapes::shapes(&labels, &mask, &flood_on_opened, width, n);
    drop(flood_on_opened);
    judge.drop_misshapen(&mut keep, &shapes);
    // A dot that noise split in two, a bump on a dot's flank, and a piece that a hair cut off
    // a counted dot, are parts of that dot: their cover, area, centre and label. (The dot a
    // split piece or a bump joins may itself be a piece a hair cut off another: they join
    // that one.)
    let largest_radius = 0.5 * super::largest_dot_px(diameter_px);
    let split_of =
        split::pieces_of_split_dots(&mut keep, &networks, judge.own_widths(), largest_radius);
    let flank_of = split::pieces_on_flanks(&mut keep, &networks, judge.own_widths(), &peaks);
    let height = labels.len() / width.max(1);
    let cut_of = crossed::pieces_of_counted_dots(&mut keep, &crossed, &shapes, (width, height));
    let part_of: Vec<Option<usize>> = (0..n)
        .map(|k| {
            let piece_of = split_of[k].or(flank_of[k]);
            piece_of.map(|j| cut_of[j].unwrap_or(j)).or(cut_of[k])
        })
        .collect();
    // Per territory, the kept dot (index) its pixels are the cover of, or `NO_DOT`.
    const NO_DOT: u32 = u32::MAX;
    let dot_of: Vec<u32> = (0..n)
        .map(|k| match (keep[k], part_of[k]) {
            (true, _) => k as u32,
            (false, Some(j)) => j as u32,
            (false, None) => NO_DOT,
        })
        .collect();

    // The cover, in the outline mask's buffer, in one pass over the rows: an outlined pixel is
    // a dot's where the opening kept it or left it as the dot's fringe and its territory is a
    // kept dot's or part of one, else hair. Only the outlined pixels are visited, their runs
    // found 16 bytes at a time, and only the opened or fringe ones' labels read (reading every
    // label, a 4 B/px plane, the pass took 29 ms on two threads).
    // Each kept dot's fringe pixels are counted as the rows pass (integer counts: the same at
    // any thread count), for its area.
    let fringe_px: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(0)).collect();
    let mut cover = mask;
    cover
        .par_chunks_mut(width)
        .enumerate()
        .for_each_init(Vec::new, |runs, (y, cover_row)| {
            runs.clear();
            let outlined = |b: &u8| *b != 0;
            crate::mask::for_each_run_in_row(cover_row, outlined, crate::mask::no_byte_set, |xs| {
                runs.push(xs)
            });
            let label_row = &labels[y * width..(y + 1) * width];
            for xs in runs.drain(..) {
                for x in xs {
                    // (Outlined pixels are labelled.)
                    let k = dot_of[label_row[x] as usize - 1];
                    let dot =
                        cover_row[x] & (outline::OPENED | outline::FRINGE) != 0 && k != NO_DOT;
                    if dot && cover_row[x] & outline::FRINGE != 0 {
                        fringe_px[k as usize].fetch_add(1, Ordering::Relaxed);
                    }
                    cover_row[x] = if dot { Cover::Dot } else { Cover::Hair } as u8;
                }
            }
        });
    let cover: Vec<Cover> = cover.into_iter().map(Cover::from_code).collect();
    let (opened_px, centroids) = crossed::joined(&shapes, &part_of);
    // Each territory's area: its opened pixels and the fringe its cover keeps.
    let area_px: Vec<u32> = (0..n)
        .map(|k| opened_px[k] as u32 + fringe_px[k].load(Ordering::Relaxed))
        .collect();
    // Only dots left with pixels are counted (see `measure`), and only they share the pull.
    let with_pixels: Vec<bool> = (0..n).map(|k| keep[k] && area_px[k] > 0).collect();
    let outline_pull = outline_pull_shares(
        &networks.id,
        &with_pixels,
        networks.size.len(),
        outline_pull_px(outline_sigma),
    );
    stage_done("dots: shapes, coverage, hair");
    let mut new_index = vec![0u32; n];
    let mut dots = Vec::new();
    for (k, c) in peaks.iter().enumerate() {
        if !keep[k] {
            continue;
        }
        // A dot left with no pixel by the opening sits at the centre of its peak pixel.
        let (x, y) = if opened_px[k] > 0.0 {
            centroids[k]
        } else {
            (c.x as f64 + 0.5, c.y as f64 + 0.5)
        };
        dots.push(FoundDot {
            x,
            y,
            area_px: area_px[k],
            outline_pull_px: outline_pull[k],
            core_darkness: cores[k],
            beside_hair: crossed[k],
            peak: (c.x, c.y),
            scale_px: c.diameter,
        });
        new_index[k] = dots.len() as u32;
    }
    for (k, part) in part_of.iter().enumerate() {
        if let Some(j) = *part {
            new_index[k] = new_index[j];
        }
    }
    labels.par_iter_mut().for_each(|label| {
        if *label != 0 {
            *label = new_index[*label as usize - 1];
        }
    });
    DotMap {
        dots,
        labels,
        cover,
    }
}

/// Per peak, its share of the outline `pull` (px², see [`OUTLINE_PULL_PX`]): a kept dot
/// (`keep`: kept, with pixels) gets it divided by the number of kept dots in its outline
/// network (`network_of`, per peak: 0 outside every outline, else 1 + the network's index among
/// `networks`), or whole when its peak lies outside every outline; any other peak 0.
fn outline_pull_shares(network_of: &[u32], keep: &[bool], networks: usize, pull: f32) -> Vec<f32> {
    let mut kept_in = vec![0u32; networks + 1];
    for (&id, _) in network_of.iter().zip(keep).filter(|(_, &kept)| kept) {
        kept_in[id as usize] += 1;
    }
    network_of
        .iter()
        .zip(keep)
        .map(|(&id, &kept)| match (kept, id) {
            (false, _) => 0.0,
            (true, 0) => pull,
            (true, id) => pull / kept_in[id as usize] as f32,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dots::OUTLINE_PULL_PX;

    /// Three kept dots and one set aside in network 1 share it in thirds; a kept dot alone in
    /// network 2, or with its peak outside every outline, has it whole; a peak set aside has none.
    #[test]
    fn kept_dots_share_their_networks_pull() {
        let network_of = [1, 1, 2, 1, 0, 1, 0];
        let keep = [true, true, true, false, true, true, false];
        let third = OUTLINE_PULL_PX / 3.0;
        assert_eq!(
            outline_pull_shares(&network_of, &keep, 2, OUTLINE_PULL_PX),
            [
                third,
                third,
                OUTLINE_PULL_PX,
                0.0,
                OUTLINE_PULL_PX,
                third,
                0.0
            ]
        );
    }
}

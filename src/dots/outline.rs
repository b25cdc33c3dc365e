//! Dot outlines: the distance
//! transform that tells a dot (fat) from a hair (thin), and the opening that shaves hair arms
//! off the dots they cross.

const SQRT2: f32 = std::f32::consts::SQRT_2;

/// Two-pass chamfer propagation (steps 1 and √2) over the pixels of each dot's outline.
/// `dist` holds the starting distances; a pixel of dot `label` takes the smallest of its own
/// value and, for each neighbour, `dist[neighbour] + step` when the neighbour is in the same
/// outline, or `outside + step` when it is not (`outside` = `None` ignores such neighbours).
fn chamfer(labels: &[u32], covered: &[bool], width: usize, dist: &mut [f32], outside: Option<f32>) {
    chamfer_by(
        |i| (covered[i] && labels[i] != 0).then_some(labels[i]),
        width,
        dist,
        outside,
    );
}

/// [`chamfer`] over the pixels where `key(i)` is `Some`, a pixel's outline being those with the
/// same key: a plain mask needs no label plane (a 4 B/px allocation) to be measured.
fn chamfer_by(
    key: impl Fn(usize) -> Option<u32>,
    width: usize,
    dist: &mut [f32],
    outside: Option<f32>,
) {
    let height = dist.len() / width.max(1);
    let forward = [
        (-1isize, 0isize, 1.0f32),
        (-1, -1, SQRT2),
        (0, -1, 1.0),
        (1, -1, SQRT2),
    ];
    let backward = [
        (1isize, 0isize, 1.0f32),
        (1, 1, SQRT2),
        (0, 1, 1.0),
        (-1, 1, SQRT2),
    ];
    // Only member pixels change, so both passes visit just those, in raster order and back:
    // outlines cover a tenth of a photo, and the passes are sequential.
    let members: Vec<u32> = (0..dist.len())
        .filter(|&i| key(i).is_some())
        .map(|i| i as u32)
        .collect();
    let mut relax = |i: u32, steps: &[(isize, isize, f32)]| {
        let i = i as usize;
        let (x, y) = (i % width, i / width);
        let label = key(i);
        let mut best = dist[i];
        for &(dx, dy, step) in steps {
            let (nx, ny) = (x as isize + dx, y as isize + dy);
            let inside = nx >= 0 && ny >= 0 && (nx as usize) < width && (ny as usize) < height;
            let j = if inside {
                ny as usize * width + nx as usize
            } else {
                0
            };
            if inside && key(j) == label {
                best = best.min(dist[j] + step);
            } else if let Some(o) = outside {
                best = best.min(o + step);
            }
        }
        dist[i] = best;
    };
    for &i in &members {
        relax(i, &forward);
    }
    for &i in members.iter().rev() {
        relax(i, &backward);
    }
}

/// Chamfer distance (px) from every covered pixel to the nearest pixel outside its own dot's
/// outline — a pixel of another dot, uncovered, or beyond the image — and 0 outside the
/// outlines. Touching dots are measured separately, so a hair piece flooded into its own
/// territory next to a dot stays thin.
pub(super) fn inside_distance(labels: &[u32], covered: &[bool], width: usize) -> Vec<f32> {
    let mut dist: Vec<f32> = (0..labels.len())
        .map(|i| {
            if covered[i] && labels[i] != 0 {
                f32::INFINITY
            } else {
                0.0
            }
        })
        .collect();
    chamfer(labels, covered, width, &mut dist, Some(0.0));
    dist
}

/// Morphological opening of each dot's outline by a disc of `radius[label − 1]` px: keeps the
/// covered pixels within that radius of a pixel lying deeper than it inside the outline
/// (`inside` from [`inside_distance`], consumed: its buffer is reused for the propagation).
/// Round dots keep their shape; thin arms (hairs crossing a dot) narrower than twice the radius
/// are cut off.
pub(super) fn open(
    labels: &[u32],
    covered: &[bool],
    inside: Vec<f32>,
    radius: &[f32],
    width: usize,
) -> Vec<bool> {
    let member = |i: usize| covered[i] && labels[i] != 0;
    // Distance (px) to the eroded outline, propagated within each dot.
    let mut to_core = inside;
    for (i, v) in to_core.iter_mut().enumerate() {
        *v = if member(i) && *v > radius[labels[i] as usize - 1] {
            0.0
        } else {
            f32::INFINITY
        };
    }
    chamfer(labels, covered, width, &mut to_core, None);
    (0..labels.len())
        .map(|i| member(i) && to_core[i] <= radius[labels[i] as usize - 1] + 0.5)
        .collect()
}

/// Ratio of principal axes (≥ 1) of a pixel set from its moment sums
/// (n, Σx, Σy, Σx², Σy², Σxy), counting each pixel as a unit square.
pub(super) fn elongation(m: &[f64; 6]) -> f32 {
    let [n, sx, sy, sxx, syy, sxy] = *m;
    if n < 3.0 {
        return 1.0;
    }
    let (mx, my) = (sx / n, sy / n);
    let (cxx, cyy, cxy) = (sxx / n - mx * mx, syy / n - my * my, sxy / n - mx * my);
    let mean = (cxx + cyy) / 2.0;
    let spread = (((cxx - cyy) / 2.0).powi(2) + cxy * cxy).sqrt();
    let minor = (mean - spread).max(0.0) + 1.0 / 12.0;
    let major = mean + spread + 1.0 / 12.0;
    (major / minor).sqrt() as f32
}

/// The 8-connected networks of a mask, seen from a few query pixels.
pub(super) struct Networks {
    /// Per query pixel: its network's number (0 outside the mask, else 1 + index into `size`).
    pub id: Vec<u32>,
    /// Per network: (area in px, half-width of its fattest point in px).
    pub size: Vec<(u32, f32)>,
    /// Per query pixel: distance (px) to the nearest pixel outside every outline.
    pub inside: Vec<f32>,
}

/// Finds the networks of `mask` (`width` px per row), how fat each is at its fattest point, and
/// which network each pixel index of `queries` lies in. Only per-query values are returned, so
/// the per-pixel planes are freed here.
pub(super) fn networks(mask: &[bool], width: usize, queries: &[usize]) -> Networks {
    let mut inside: Vec<f32> = mask
        .iter()
        .map(|&m| if m { f32::INFINITY } else { 0.0 })
        .collect();
    chamfer_by(|i| mask[i].then_some(1), width, &mut inside, Some(0.0));
    // The few query pixels are looked up as their network is visited (no per-pixel network
    // number is kept).
    let mut query_at: std::collections::HashMap<usize, Vec<usize>> =
        std::collections::HashMap::new();
    for (k, &i) in queries.iter().enumerate() {
        query_at.entry(i).or_default().push(k);
    }
    let mut id = vec![0u32; queries.len()];
    let mut size = Vec::new();
    super::for_each_component(
        |i| mask[i],
        mask.len(),
        width,
        |members, (area, _, _)| {
            let label = size.len() as u32 + 1;
            let mut fattest = 0f32;
            for &i in members {
                fattest = fattest.max(inside[i] - 0.5);
                for &k in query_at.get(&i).into_iter().flatten() {
                    id[k] = label;
                }
            }
            size.push((area, fattest));
        },
    );
    Networks {
        id,
        size,
        inside: queries.iter().map(|&i| inside[i]).collect(),
    }
}

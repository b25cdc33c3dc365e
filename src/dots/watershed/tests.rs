use super::*;

/// The whole-plane watershed [`watershed`] replaced, kept to test that its labels are the same.
fn watershed_whole_plane(p: &Plane, seeds: &[(usize, usize, f32)], floor: f32) -> Vec<u32> {
    let (w, h) = (p.width, p.height);
    let mut labels = vec![0u32; w * h];
    // Its own levels, as everything else here: the oracle shares no code with the floods.
    let level = |v: f32| (v.clamp(0.0, 1.0) * (WATERSHED_LEVELS - 1) as f32) as usize;
    let mut buckets: Vec<VecDeque<u32>> = vec![VecDeque::new(); WATERSHED_LEVELS];
    let mut current = 0;
    for (k, &(x, y, v)) in seeds.iter().enumerate() {
        let i = y * w + x;
        labels[i] = k as u32 + 1;
        let l = level(v);
        buckets[l].push_back(i as u32);
        current = current.max(l);
    }
    loop {
        while current > 0 && buckets[current].is_empty() {
            current -= 1;
        }
        let Some(i) = buckets[current].pop_front() else {
            break;
        };
        let i = i as usize;
        let (x, y) = (i % w, i / w);
        let label = labels[i];
        let neighbours = [
            (x > 0).then(|| i - 1),
            (x + 1 < w).then(|| i + 1),
            (y > 0).then(|| i - w),
            (y + 1 < h).then(|| i + w),
        ];
        for j in neighbours.into_iter().flatten() {
            if labels[j] == 0 && p.data[j] >= floor {
                labels[j] = label;
                buckets[level(p.data[j]).min(current)].push_back(j as u32);
            }
        }
    }
    labels
}

#[test]
fn piecewise_watershed_labels_like_the_whole_plane_queue() {
    // Rough terrain: overlapping bumps, plateaus (quantised levels), pieces separated by
    // pixels below the floor, seeds on and below the floor, and two seeds on one pixel.
    let (w, h) = (97, 61);
    let mut p = Plane::filled(w, h, 0.0);
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f32, y as f32);
            let v = 0.5
                + 0.3 * (fx * 0.31).sin() * (fy * 0.23).cos()
                + 0.2 * ((fx * 1.7 + fy * 0.9).sin());
            p.data[y * w + x] = ((v * 20.0).round() / 20.0).max(0.0) - 0.25;
        }
    }
    let mut seeds = Vec::new();
    for k in 0..60usize {
        let (x, y) = ((k * 37) % w, (k * 53) % h);
        seeds.push((x, y, p.get(x, y)));
    }
    seeds.push(seeds[3]);
    // Pieces of one seed (filled by their runs) and of several (flooded) both occur.
    let (mut sole, mut shared) = (0, 0);
    // (Floors whose level is at least 1, as the dot finder's: see `flood_level`.)
    for floor in [0.004, 0.1, 0.3, 0.6] {
        let levels = FloodLevels::of(&p, floor);
        for piece in pieces(&levels, &seeds).0 {
            *(if piece.seeds.len() == 1 {
                &mut sole
            } else {
                &mut shared
            }) += 1;
        }
        let whole_plane = watershed_whole_plane(&p, &seeds, floor);
        // Labels in a fresh allocation, and in stale buffers too small, exactly as large
        // and larger than the plane.
        for buffer in [
            Vec::new(),
            vec![7.0; w * h / 2],
            vec![f32::NAN; w * h],
            vec![-1.0; 2 * w * h],
        ] {
            assert_eq!(
                watershed(&levels, &seeds, buffer),
                whole_plane,
                "floor {floor}"
            );
        }
        // Every piece flooded in the shared labels, and only the smallest in a box.
        for max_box_px in [0, 40] {
            assert_eq!(
                watershed_with_box_limit(&levels, &seeds, max_box_px, Vec::new()),
                whole_plane,
                "floor {floor}, boxes up to {max_box_px} px"
            );
        }
    }
    assert!(sole > 10 && shared > 3, "{sole} sole, {shared} shared");
    // Broad plateaus of a single level each, many seeds on them: which seed takes a
    // plateau's pixel is decided by the queue's order (first in, first out), not by the
    // levels.
    let mut plateaus = Plane::filled(w, h, 0.0);
    for y in 0..h {
        for x in 0..w {
            plateaus.data[y * w + x] = 0.3 + 0.2 * ((x / 9 + y / 7) % 3) as f32;
        }
    }
    let seeds: Vec<_> = (0..40usize)
        .map(|k| {
            let (x, y) = ((k * 29 + 3) % w, (k * 41 + 5) % h);
            (x, y, plateaus.get(x, y))
        })
        .collect();
    let whole_plane = watershed_whole_plane(&plateaus, &seeds, 0.2);
    let levels = FloodLevels::of(&plateaus, 0.2);
    assert_eq!(watershed(&levels, &seeds, Vec::new()), whole_plane);
    assert_eq!(
        watershed_with_box_limit(&levels, &seeds, 0, Vec::new()),
        whole_plane
    );
}

/// A buffer large enough becomes the labels' buffer, zeroed: no fresh allocation. Sizes
/// around [`ZEROING_CHUNK`]: every chunk, the last partial one and the tail are zeroed.
#[test]
fn the_labels_take_over_a_large_enough_buffer() {
    let c = ZEROING_CHUNK;
    for (n, len, capacity) in [
        (100, 100, 100),
        (100, 60, 100),
        (100, 150, 150),
        (3 * c + 5, 3 * c + 5, 3 * c + 5),
        (3 * c + 5, 2 * c - 1, 4 * c),
        (c, 5 * c, 5 * c),
    ] {
        let mut buffer = Vec::with_capacity(capacity);
        buffer.resize(len, f32::NAN);
        let address = buffer.as_ptr() as usize;
        let labels = zeroed_labels(n, buffer);
        assert_eq!(labels.len(), n);
        assert!(labels.iter().all(|&l| l == 0), "{len} of {capacity}");
        assert_eq!(labels.as_ptr() as usize, address, "{len} of {capacity}");
    }
    // Too small: a fresh allocation, zeroed.
    assert_eq!(zeroed_labels(7, vec![1.0; 6]), vec![0; 7]);
}

/// The box's byte levels are the queue's levels: at and beside every level's edge, below 0,
/// above 1, at the infinities and for NaN.
#[test]
fn box_levels_are_the_queue_levels() {
    let mut values = vec![
        f32::NEG_INFINITY,
        -1.0,
        -0.0,
        0.0,
        1e-45,
        1.0,
        2.0,
        f32::INFINITY,
        f32::NAN,
    ];
    for k in 0..WATERSHED_LEVELS {
        let edge = k as f32 / (WATERSHED_LEVELS - 1) as f32;
        values.extend([edge, edge.next_up(), edge.next_down()]);
    }
    for v in values {
        assert_eq!(usize::from(box_level(v)), level(v), "{v:e}");
    }
}

/// A flood level is 0 below the floor and for NaN (the flood never goes there), and at or above
/// it the queue's level, lifted to 1 where that is 0 (only for floors below 1/255): at and
/// beside the floor and every level's edge, at the infinities, for floors of 0 to 1.
#[test]
fn flood_levels_are_the_queue_levels_above_the_floor() {
    for floor in [0.0f32, 0.5 / 255.0, 1.0 / 255.0, 0.03, 0.5, 1.0] {
        let mut values = vec![f32::NEG_INFINITY, -1.0, 0.0, 1.0, f32::INFINITY, f32::NAN];
        values.extend([floor, floor.next_up(), floor.next_down()]);
        for k in 0..WATERSHED_LEVELS {
            let edge = k as f32 / (WATERSHED_LEVELS - 1) as f32;
            values.extend([edge, edge.next_up(), edge.next_down()]);
        }
        for v in values {
            let expected = if v >= floor { level(v).max(1) } else { 0 };
            assert_eq!(
                usize::from(flood_level(v, floor)),
                expected,
                "{v:e} over {floor}"
            );
        }
    }
}

/// The dot finder's floor has a level of its own (at least 1): no pixel at or above it is
/// lifted, and its watershed is the whole plane's, level for level.
#[test]
fn the_flood_floor_has_a_level_of_its_own() {
    use super::super::FLOOD_FLOOR;
    assert!(level(FLOOD_FLOOR) >= 1);
    assert_eq!(
        usize::from(flood_level(FLOOD_FLOOR, FLOOD_FLOOR)),
        level(FLOOD_FLOOR)
    );
    assert_eq!(flood_level(FLOOD_FLOOR.next_down(), FLOOD_FLOOR), 0);
}

//! Measures a photo from the OpenCV peer's generator (`../shared/peers/make_image.py`) and holds
//! the dots found against the generator's truth (its `.dots.csv`): how many true dots were found,
//! missed or found twice, how many found dots lie near no true dot, split by whether the true
//! dot is alone or in a touching cluster, and the found diameters against the true ones.
//!
//! `cargo run --release --example peer_truth -- PHOTO.jpg PHOTO.dots.csv PX_PER_MM [X,Y,W,H]`
//!
//! With MISSED=N it lists the first N missed true dots (with their cluster's other members).

use smptrack::load::{load_photo, LoadLimits};
use smptrack::measure::measure;
use smptrack::Region;

/// A true dot of the peer's truth: centre (px, pixel centres at i + 0.5, converted from the
/// peer's i), diameter (px) and cluster id (dots of one cluster touch).
struct TrueDot {
    x: f64,
    y: f64,
    diameter: f64,
    cluster: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: peer_truth PHOTO.jpg PHOTO.dots.csv PX_PER_MM [X,Y,W,H]");
        std::process::exit(2);
    }
    let photo = load_photo(args[0].as_ref(), &LoadLimits::default()).expect("photo loads");
    let csv = std::fs::read_to_string(&args[1]).expect("truth csv reads");
    let ppm: f64 = args[2].parse().expect("px/mm");
    let (w, h) = photo.full_size;
    let region: Region = args
        .get(3)
        .map(|s| s.parse().expect("region"))
        .unwrap_or(Region::whole(w, h));
    // The peer writes pixel-centre coordinates (pixel i's centre at i); ours put it at i + 0.5.
    let truth: Vec<TrueDot> = csv
        .lines()
        .skip(1)
        .filter_map(|line| {
            let v: Vec<f64> = line.split(',').filter_map(|s| s.parse().ok()).collect();
            (v.len() == 4).then(|| TrueDot {
                x: v[0] + 0.5,
                y: v[1] + 0.5,
                diameter: v[2],
                cluster: v[3] as usize,
            })
        })
        .filter(|d| region.contains(d.x, d.y))
        .collect();
    let mut cluster_size = std::collections::HashMap::new();
    for d in &truth {
        *cluster_size.entry(d.cluster).or_insert(0usize) += 1;
    }
    let m = measure(&photo.image, region, Some(ppm)).expect("measures");
    // Each found dot goes to the nearest true dot whose disc, 1 px wider (a centroid moves
    // with the JPEG's noise and the edge's blur), holds its centre.
    let mut found_per_true = vec![Vec::new(); truth.len()];
    let mut stray = 0;
    for (k, f) in m.dots.iter().enumerate() {
        let nearest = truth
            .iter()
            .enumerate()
            .filter(|(_, t)| (t.x - f.x).hypot(t.y - f.y) <= 0.5 * t.diameter + 1.0)
            .min_by(|a, b| {
                let da = (a.1.x - f.x).hypot(a.1.y - f.y);
                let db = (b.1.x - f.x).hypot(b.1.y - f.y);
                da.total_cmp(&db)
            });
        match nearest {
            Some((i, _)) => found_per_true[i].push(k),
            None => stray += 1,
        }
    }
    let coverage = 100.0 * m.covered_area_px() / m.region_px as f64;
    println!(
        "region {region}: true {} found {} (scale {:.1} px), coverage {coverage:.2}%, stray {stray}",
        truth.len(),
        m.dots.len(),
        m.dot_scale_px,
    );
    for (name, in_class) in [
        ("alone", &(|n: usize| n == 1) as &dyn Fn(usize) -> bool),
        ("cluster of 2", &|n: usize| n == 2),
        ("cluster of 3+", &|n: usize| n >= 3),
    ] {
        let members: Vec<usize> = (0..truth.len())
            .filter(|&i| in_class(cluster_size[&truth[i].cluster]))
            .collect();
        let missed = members
            .iter()
            .filter(|&&i| found_per_true[i].is_empty())
            .count();
        let doubled = members
            .iter()
            .filter(|&&i| found_per_true[i].len() > 1)
            .count();
        let mut ratios: Vec<f64> = members
            .iter()
            .filter(|&&i| found_per_true[i].len() == 1)
            .map(|&i| m.dots[found_per_true[i][0]].diameter_px / truth[i].diameter)
            .collect();
        ratios.sort_by(f64::total_cmp);
        let median = ratios.get(ratios.len() / 2).copied().unwrap_or(f64::NAN);
        println!(
            "{name}: {} true, missed {missed}, found twice or more {doubled}, diameter found/true median {median:.3}",
            members.len()
        );
    }
    // Missed dots by true diameter, in bins 2 px wide from 6 px (the peer's default 6–16 px),
    // open at both ends.
    let mut by_size = [(0usize, 0usize); 5];
    for (i, t) in truth.iter().enumerate() {
        let bin = (((t.diameter - 6.0).max(0.0) / 2.0) as usize).min(4);
        by_size[bin].0 += 1;
        by_size[bin].1 += usize::from(found_per_true[i].is_empty());
    }
    for (bin, (n, missed)) in by_size.iter().enumerate() {
        let label = match bin {
            0 => "under 8".to_string(),
            4 => "14 and over".to_string(),
            _ => format!("{}-{}", 6 + 2 * bin, 8 + 2 * bin),
        };
        println!("diameter {label} px: {n} true, missed {missed}");
    }
    let show: usize = std::env::var("MISSED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    for (i, t) in truth
        .iter()
        .enumerate()
        .filter(|(i, _)| found_per_true[*i].is_empty())
        .take(show)
    {
        let others: Vec<String> = truth
            .iter()
            .enumerate()
            .filter(|(j, o)| *j != i && o.cluster == t.cluster)
            .map(|(j, o)| {
                format!(
                    "{:.0},{:.0} d {:.1} ({} found)",
                    o.x,
                    o.y,
                    o.diameter,
                    found_per_true[j].len()
                )
            })
            .collect();
        println!(
            "missed {:.0},{:.0} d {:.1}; cluster: {}",
            t.x,
            t.y,
            t.diameter,
            others.join("; ")
        );
    }
}

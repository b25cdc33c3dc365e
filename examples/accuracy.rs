//! Truth-vs-measured table over generated scenes: skin tones, scales, densities, dot sizes.
//!
//! `cargo run --release --example accuracy [-- --quick] [--only TEXT] [--no-scale]
//! [--first-seed N]`
//!
//! `--no-scale` measures each scene without its scale, as a photo with no ruler in it.
//! `--first-seed N` generates the scenes from seed N on (2 by default, the README's table): the
//! same kinds of scene, other dots, hairs and noise, to check a change on scenes it was not
//! made on.

use smptrack::measure::{measure, tone};
use smptrack::metrics::session_metrics;
use smptrack::synth::{self, Camera, DotParams, Scene};
use smptrack::Region;

struct Case {
    name: String,
    skin: u8,
    px_per_mm: f64,
    params: DotParams,
    seed: u64,
}

fn cases(quick: bool, first_seed: u64) -> Vec<Case> {
    let mut out = Vec::new();
    type Preset = (&'static str, fn() -> DotParams);
    let presets: [Preset; 5] = [
        ("healed", DotParams::healed),
        ("fine", DotParams::fine_healed),
        ("fresh", DotParams::fresh),
        ("first", DotParams::first_session),
        ("blown", DotParams::blown_out),
    ];
    let skins: &[u8] = if quick { &[2, 5] } else { &[1, 2, 3, 4, 5, 6] };
    let scales: &[f64] = if quick {
        &[25.0]
    } else {
        &[15.0, 25.0, 50.0, 100.0]
    };
    let mut seed = first_seed - 1;
    for &skin in skins {
        for &ppm in scales {
            for (name, preset) in presets {
                seed += 1;
                out.push(Case {
                    name: format!("{name} skin{skin} {ppm}px/mm"),
                    skin,
                    px_per_mm: ppm,
                    params: preset(),
                    seed,
                });
            }
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let no_scale = args.iter().any(|a| a == "--no-scale");
    // `--only TEXT`: just the scenes whose name contains TEXT (e.g. `blown`, `skin6`).
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1).cloned());
    let first_seed = match args.iter().position(|a| a == "--first-seed") {
        Some(i) => match args.get(i + 1).and_then(|s| s.parse::<u64>().ok()) {
            Some(n) if n >= 1 => n,
            _ => {
                eprintln!("accuracy: --first-seed takes a whole number from 1");
                std::process::exit(2);
            }
        },
        None => 2,
    };
    println!(
        "{:<28} {:>6} {:>6} {:>7} | {:>6} {:>6} {:>6} | {:>5} {:>5} {:>6} | {:>5} {:>5} {:>5}",
        "scene",
        "true",
        "found",
        "err%",
        "cov_t",
        "cov_m",
        "err",
        "dk_t",
        "dk_m",
        "err",
        "dia_t",
        "dia_m",
        "scale"
    );
    let mut rows: Vec<(Case, Errors)> = Vec::new();
    // Every scene is photographed in focus: the softest edges fitted, and how many scenes were
    // nonetheless warned of being out of focus (a false alarm each).
    let (mut softest, mut false_alarms): ((f64, String), usize) = ((0.0, String::new()), 0);
    // Nor is any scene's pigment solid or in lines (no dots grown together): the largest share
    // of a scene's dots in solid squares or on lines, and how many scenes were warned of either.
    let (mut most_in_solid, mut solid_alarms): ((f64, String), usize) = ((0.0, String::new()), 0);
    // Nor has any scene a scar or a highlight: the sharpest bend of the skin's level between
    // nearby blocks, and how many scenes were warned of a tone edge (a false alarm each).
    let (mut widest_tone, mut tone_alarms): ((f64, String), usize) = ((1.0, String::new()), 0);
    for case in cases(quick, first_seed) {
        if only
            .as_ref()
            .is_some_and(|o| !case.name.contains(o.as_str()))
        {
            continue;
        }
        // About 20 × 15 mm of scalp, at most 1600 px on a side.
        let side_mm = (1600.0 / case.px_per_mm).min(20.0);
        let w = (side_mm * case.px_per_mm) as u32;
        let h = (w * 3) / 4;
        let camera = Camera::new(w, h, case.px_per_mm);
        let scene = Scene::typical(&camera, case.skin, &case.params, case.seed);
        let img = synth::render(&scene, &camera);
        let truth = synth::truth(&scene, &camera, (0, 0, w, h));
        let image = image::DynamicImage::ImageRgb8(img);
        let scale = (!no_scale).then_some(case.px_per_mm);
        let m = measure(&image, Region::whole(w, h), scale).unwrap();
        let metrics = session_metrics(&m, scale);
        if let Some(soft) = m.edge_softness {
            if soft.ratio() > softest.0 {
                softest = (soft.ratio(), case.name.clone());
            }
            false_alarms += usize::from(soft.out_of_focus());
        }
        let in_solid = m.dots_in_solid_or_lines() as f64 / m.dots.len().max(1) as f64;
        if in_solid > most_in_solid.0 {
            most_in_solid = (in_solid, case.name.clone());
        }
        solid_alarms += usize::from(m.warnings.iter().any(|w| w.contains("solid pigment")));
        if m.tone_edge.bend > widest_tone.0 {
            widest_tone = (m.tone_edge.bend, case.name.clone());
        }
        tone_alarms += usize::from(m.tone_edge.fraction >= tone::MIN_EDGE_FRACTION);
        let count_err = 100.0 * (metrics.dot_count as f64 - truth.dot_count as f64)
            / truth.dot_count.max(1) as f64;
        let cov_err = metrics.coverage_pct - truth.coverage_pct;
        let dark = metrics.darkness.unwrap_or(0.0);
        let dark_err = dark - truth.darkness_median;
        let errors = Errors {
            count_pct: count_err.abs(),
            coverage_pp: cov_err.abs(),
            coverage_rel_pct: 100.0 * cov_err.abs() / truth.coverage_pct.max(1e-9),
            darkness: dark_err.abs(),
        };
        println!(
            "{:<28} {:>6} {:>6} {:>+7.1} | {:>6.2} {:>6.2} {:>+6.2} | {:>5.3} {:>5.3} {:>+6.3} | {:>5.1} {:>5.1} {:>5.1}",
            case.name,
            truth.dot_count,
            metrics.dot_count,
            count_err,
            truth.coverage_pct,
            metrics.coverage_pct,
            cov_err,
            truth.darkness_median,
            dark,
            dark_err,
            truth.mean_diameter_px,
            metrics.mean_dot_diameter_px.unwrap_or(0.0),
            m.dot_scale_px,
        );
        rows.push((case, errors));
    }
    // The same median as the grouped table's (the mean of the middle two for an even count).
    // Median and worst of one error over all scenes.
    let med = |f: fn(&Errors) -> f64| {
        let mut v: Vec<f64> = rows.iter().map(|(_, e)| f(e)).collect();
        v.sort_by(f64::total_cmp);
        (median(v.clone()), v[v.len() - 1])
    };
    let (c50, cmax) = med(|e| e.count_pct);
    let (v50, vmax) = med(|e| e.coverage_pp);
    let (d50, dmax) = med(|e| e.darkness);
    println!(
        "\n|count error| median {c50:.1}% worst {cmax:.1}%; |coverage error| median {v50:.2} pp \
         worst {vmax:.2} pp; |darkness error| median {d50:.3} worst {dmax:.3}"
    );
    println!(
        "edge softness (focus): softest {:.2} ({}); {false_alarms} of {} scenes, all in focus, \
         warned out of focus (above {})",
        softest.0,
        softest.1,
        rows.len(),
        smptrack::measure::focus::MAX_EDGE_SOFTNESS
    );
    println!(
        "tone edges: sharpest bend {:.2} ({}); {tone_alarms} of {} scenes, without scars or \
         highlights, warned of one (above {})",
        widest_tone.0,
        if widest_tone.1.is_empty() {
            "none"
        } else {
            &widest_tone.1
        },
        rows.len(),
        tone::MAX_TONE_BEND
    );
    println!(
        "solid pigment or lines: at most {:.0}% of a scene's dots in solid squares or on lines \
         ({}); {solid_alarms} \
         of {} scenes warned (from {:.0}% of the dots)",
        100.0 * most_in_solid.0,
        if most_in_solid.1.is_empty() {
            "none"
        } else {
            &most_in_solid.1
        },
        rows.len(),
        100.0 * smptrack::measure::solid::SOLID_WARN_SHARE
    );
    grouped_table(&rows);
}

/// Median of `v` (the mean of the middle two for an even count).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// |measured − true| of one scene.
struct Errors {
    count_pct: f64,
    coverage_pp: f64,
    coverage_rel_pct: f64,
    darkness: f64,
}

/// The README's table: medians and worst cases over all scenes, per kind of dots, per scale and
/// per pair of skin types, in Markdown.
fn grouped_table(rows: &[(Case, Errors)]) {
    let line = |name: &str, keep: &dyn Fn(&Case) -> bool| {
        let group: Vec<&Errors> = rows
            .iter()
            .filter(|(c, _)| keep(c))
            .map(|(_, e)| e)
            .collect();
        if group.is_empty() {
            return;
        }
        let col = |f: fn(&Errors) -> f64| group.iter().map(|e| f(e)).collect::<Vec<f64>>();
        let worst = |f: fn(&Errors) -> f64| col(f).into_iter().fold(0.0, f64::max);
        println!(
            "| {name} | {} | {:.1} | {:.1} | {:.2} | {:.1} | {:.3} | {:.3} |",
            group.len(),
            median(col(|e| e.count_pct)),
            worst(|e| e.count_pct),
            median(col(|e| e.coverage_pp)),
            median(col(|e| e.coverage_rel_pct)),
            median(col(|e| e.darkness)),
            worst(|e| e.darkness),
        );
    };
    println!(
        "\n| scenes | n | count median % | count worst % | coverage median pp | \
         coverage median rel % | darkness median | darkness worst |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    line("all", &|_| true);
    for (preset, name) in [
        ("healed", "healed (0.25–0.45 mm, darkness 0.5–0.8)"),
        ("fine", "fine healed (0.16–0.30 mm, 0.5–0.8)"),
        ("fresh", "fresh (0.25–0.4 mm, 0.65–0.9)"),
        ("first", "first session (0.25–0.4 mm, 0.3–0.5)"),
        ("blown", "blown-out (0.6–1.2 mm, soft halos)"),
    ] {
        line(name, &|c| c.name.starts_with(preset));
    }
    for ppm in [15.0, 25.0, 50.0, 100.0] {
        line(&format!("{ppm} px/mm"), &|c| c.px_per_mm == ppm);
    }
    for (a, b, name) in [(1, 2, "I–II"), (3, 4, "III–IV"), (5, 6, "V–VI")] {
        line(&format!("skin types {name}"), &|c| {
            (a..=b).contains(&c.skin)
        });
    }
}

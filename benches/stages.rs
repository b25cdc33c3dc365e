//! Per-stage timings of the analysis (issue 4), on a generated 6000×4000 scene and on a
//! 2000×2000 region of it.
//!
//! ```sh
//! cargo bench --bench stages                 # all stages, a few minutes on 2 cores
//! cargo bench --bench stages -- flatten      # one group
//! ```
//!
//! The scene is rendered once by the project's own generator (several seconds) and cached as a
//! JPEG under `target/bench-data/`; later runs reuse it. Each stage is timed on the output of
//! the stage before it, computed once outside the timed loop:
//!
//! | group | what is timed |
//! |---|---|
//! | `decode` | `load::decode_photo` of the JPEG bytes (whole file: there is no partial decode) |
//! | `color` | `color::luminance` (sRGB → linear Y) of the photo or the region, as a plane; and (`…_read_again`) every row of it read from the photo through `LuminanceSource` (`plane::Rows`), as the measurement reads it about four times per photo |
//! | `flatten` | `flatten::SkinField::estimate` + `.darkness` at block = 4 dot diameters |
//! | `blob_scales` | `dots::count_blob_candidates`: the blob search, D smoothed at the five blob scales (strip by strip, or on their search grids) and searched (part of `dots`) |
//! | `dots` | `dots::find_dots`: segmentation, blob finding, watershed, outlines, hair |
//! | `metrics` | `metrics::session_metrics` of a finished measurement |
//! | `analysis` | `measure::measure` + `metrics::session_metrics` on the decoded photo |
//! | `end_to_end` | `decode_photo` + `measure` + `session_metrics` from the JPEG bytes |
//!
//! With `SMPTRACK_BENCH_DECODE_ONLY=PHOTO` set, the binary only loads PHOTO and exits (used by
//! `benches/compare_peers.sh` for our decode-only process time).
//!
//! The `region` variants of `color`/`flatten`/`blob_blurs`/`dots` run on exactly the region; `analysis`
//! adds the context margin that `measure` takes around it, as the CLI does.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, BenchmarkGroup, Criterion, SamplingMode};
use image::DynamicImage;
use rayon::prelude::*;
use smptrack::color::{luminance, LuminanceSource};
use smptrack::dots::{count_blob_candidates, find_dots};
use smptrack::flatten::SkinField;
use smptrack::load::decode_photo;
use smptrack::measure::{measure, FLATTEN_BLOCK_DIAMETERS, MIN_FLATTEN_BLOCK_PX};
use smptrack::metrics::session_metrics;

use smptrack::plane::Rows;
use smptrack::synth::{encode_jpeg, render, Camera, DotParams, ExifTags, Scene};
use smptrack::{LoadLimits, Region};

const WIDTH: u32 = 6000;
const HEIGHT: u32 = 4000;
const PX_PER_MM: f64 = 25.0;
const SKIN_TYPE: u8 = 3;
const SEED: u64 = 1;
const JPEG_QUALITY: u8 = 90;
/// The 2000×2000 region the comparison script also uses (`--region 2000,1000,2000,2000`).
const REGION: Region = Region {
    x: 2000,
    y: 1000,
    width: 2000,
    height: 2000,
};

/// `target/` of this workspace (or `$CARGO_TARGET_DIR`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// The JPEG bytes of the bench scene: read from the cache, else rendered, encoded and cached.
fn scene_jpeg() -> Vec<u8> {
    let dir = target_dir().join("bench-data");
    let name = format!(
        "scene_{WIDTH}x{HEIGHT}_{PX_PER_MM}ppmm_skin{SKIN_TYPE}_healed_seed{SEED}_q{JPEG_QUALITY}.jpg"
    );
    let path = dir.join(name);
    if let Ok(bytes) = std::fs::read(&path) {
        let usable = decode_photo(&bytes, &path, &LoadLimits::default())
            .map(|p| (p.image.width(), p.image.height()) == (WIDTH, HEIGHT))
            .unwrap_or(false);
        if usable {
            eprintln!("bench scene: reusing {}", path.display());
            return bytes;
        }
        eprintln!(
            "bench scene: {} is unusable, rendering it again",
            path.display()
        );
    }
    eprintln!("bench scene: rendering {WIDTH}×{HEIGHT} (takes a while) …");
    let camera = Camera::new(WIDTH, HEIGHT, PX_PER_MM);
    let scene = Scene::typical(&camera, SKIN_TYPE, &DotParams::healed(), SEED);
    let bytes = encode_jpeg(&render(&scene, &camera), JPEG_QUALITY, &ExifTags::default());
    // Written beside its destination and renamed, so an interrupted run leaves no torn cache.
    let cached = std::fs::create_dir_all(&dir).and_then(|()| {
        let tmp = path.with_extension("jpg.tmp");
        std::fs::write(&tmp, &bytes)?;
        std::fs::rename(&tmp, &path)
    });
    match cached {
        Ok(()) => eprintln!("bench scene: cached as {}", path.display()),
        Err(e) => eprintln!("bench scene: could not cache it ({e}); continuing"),
    }
    bytes
}

/// Slow iterations (0.1–5 s each): few samples, one iteration each, short warm-up.
fn configure(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, seconds: u64) {
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(seconds));
}

fn stages(c: &mut Criterion) {
    let bytes = scene_jpeg();
    let name = Path::new("bench-scene.jpg");
    let image: DynamicImage = decode_photo(&bytes, name, &LoadLimits::default())
        .expect("the bench scene decodes")
        .image;
    let whole = Region::whole(image.width(), image.height());
    let cases = [("whole", whole), ("region", REGION)];

    // The dot scale the analysis itself settles on, so the stage benches run at the same block
    // size and blob scales as `measure` does.
    let reference = measure(&image, whole, Some(PX_PER_MM)).expect("the whole photo measures");
    let dot_px = reference.dot_scale_px;
    let block = ((FLATTEN_BLOCK_DIAMETERS * dot_px).round() as usize).max(MIN_FLATTEN_BLOCK_PX);
    eprintln!(
        "bench scene: {} dots in the whole photo, dot scale {dot_px:.2} px, flatten block {block} px",
        reference.dots.len()
    );

    {
        let mut g = c.benchmark_group("decode");
        configure(&mut g, 10);
        g.bench_function("whole", |b| {
            b.iter(|| decode_photo(black_box(&bytes), name, &LoadLimits::default()).unwrap())
        });
        g.finish();
    }

    // Inputs of each stage, prepared once.
    let planes: Vec<_> = cases
        .iter()
        .map(|&(label, rect)| {
            let (y, _) = luminance(&image, rect);
            let d = SkinField::estimate(&y, block).darkness(&y);
            (label, rect, y, d)
        })
        .collect();

    {
        let mut g = c.benchmark_group("color");
        configure(&mut g, 10);
        for &(label, rect, ..) in &planes {
            g.bench_function(label, |b| b.iter(|| luminance(black_box(&image), rect)));
        }
        // The measurement never stores the luminance of an 8-bit photo: each stage reads its
        // rows from the photo again (rows in parallel, one row buffer per task).
        for &(label, rect, ..) in &planes {
            let (source, _) = LuminanceSource::of(&image, rect);
            g.bench_function(format!("{label}_read_again"), |b| {
                b.iter(|| {
                    (0..source.height)
                        .into_par_iter()
                        .map_init(
                            || vec![0f32; source.width],
                            |row, y| {
                                black_box(&source).span_into(y, 0, row);
                                row[row.len() / 2]
                            },
                        )
                        .sum::<f32>()
                })
            });
        }
        g.finish();
    }
    {
        let mut g = c.benchmark_group("flatten");
        configure(&mut g, 10);
        for (label, _, y, _) in &planes {
            g.bench_function(*label, |b| {
                b.iter(|| SkinField::estimate(black_box(y), block).darkness(y))
            });
        }
        g.finish();
    }
    {
        // The blob scales (D smoothed at each, strip by strip or on its grid, and searched),
        // a large share of the dot finder's time: the blur's own speed (its inner loop's
        // block width, say) shows here first.
        let mut g = c.benchmark_group("blob_scales");
        configure(&mut g, 10);
        for (label, _, _, d) in &planes {
            g.bench_function(*label, |b| {
                b.iter(|| count_blob_candidates(black_box(d), dot_px as f32))
            });
        }
        g.finish();
    }
    {
        let mut g = c.benchmark_group("dots");
        configure(&mut g, 15);
        for (label, _, _, d) in &planes {
            g.bench_function(*label, |b| {
                b.iter(|| find_dots(black_box(d), dot_px as f32, Some(PX_PER_MM as f32)))
            });
        }
        g.finish();
    }
    {
        let mut g = c.benchmark_group("metrics");
        configure(&mut g, 3);
        g.bench_function("whole", |b| {
            b.iter(|| session_metrics(black_box(&reference), Some(PX_PER_MM)))
        });
        g.finish();
    }
    drop(planes);
    {
        let mut g = c.benchmark_group("analysis");
        configure(&mut g, 20);
        for &(label, rect) in &cases {
            g.bench_function(label, |b| {
                b.iter(|| {
                    let m = measure(black_box(&image), rect, Some(PX_PER_MM)).unwrap();
                    session_metrics(&m, Some(PX_PER_MM))
                })
            });
        }
        g.finish();
    }
    {
        let mut g = c.benchmark_group("end_to_end");
        configure(&mut g, 20);
        for &(label, rect) in &cases {
            g.bench_function(label, |b| {
                b.iter(|| {
                    let photo =
                        decode_photo(black_box(&bytes), name, &LoadLimits::default()).unwrap();
                    let m = measure(&photo.image, rect, Some(PX_PER_MM)).unwrap();
                    session_metrics(&m, Some(PX_PER_MM))
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, stages);

/// Environment variable that turns this bench binary into a decode-only process for
/// `benches/compare_peers.sh`: it loads the photo the CLI's way (`load_photo`: read, decode,
/// orientation) and exits, giving our decoding floor as a whole process without adding an
/// example or touching the binary.
const DECODE_ONLY_VAR: &str = "SMPTRACK_BENCH_DECODE_ONLY";

fn main() {
    // The allocator as the binary sets it (see smptrack::allocator), for the decode-only floor
    // and the stages alike.
    smptrack::allocator::tune_for_photos();
    if let Some(path) = std::env::var_os(DECODE_ONLY_VAR) {
        let photo =
            smptrack::load_photo(Path::new(&path), &LoadLimits::default()).unwrap_or_else(|e| {
                eprintln!("{DECODE_ONLY_VAR}: {e}");
                std::process::exit(1)
            });
        println!("{}x{}", photo.image.width(), photo.image.height());
        return;
    }
    // What `criterion_main!(benches)` expands to.
    benches();
    Criterion::default().configure_from_args().final_summary();
}

//! Property tests (issue 7, proptest): region parsing and clamping; `change` is always the
//! difference of the two sessions' printed values; results under 90° rotations and flips of photo
//! and region; the report's bytes at any thread count.

use std::sync::OnceLock;

use image::{imageops, DynamicImage, RgbImage};
use proptest::prelude::*;
use smptrack::load::Photo;
use smptrack::report::{link_changes, session_report, SessionReport};
use smptrack::synth::{render, Camera, DotParams, Scene};
use smptrack::{analyze_photo, Region, SessionInput};

// ---------------------------------------------------------------------------------------------
// Regions
// ---------------------------------------------------------------------------------------------

proptest! {
    #[test]
    fn a_region_prints_and_parses_back(x: u32, y: u32, w in 1u32.., h in 1u32.., pad in "[ \t]{0,2}") {
        let r = Region { x, y, width: w, height: h };
        prop_assert_eq!(r.to_string().parse::<Region>(), Ok(r));
        let spaced = format!("{pad}{x}{pad},{y},{pad}{w},{h}{pad}");
        prop_assert_eq!(spaced.parse::<Region>(), Ok(r));
    }

    #[test]
    fn any_text_parses_to_a_sized_region_or_an_error(text in "[-0-9, +.xa]{0,24}") {
        match text.parse::<Region>() {
            Ok(r) => {
                prop_assert!(r.width > 0 && r.height > 0);
                prop_assert_eq!(r.to_string().parse::<Region>(), Ok(r));
            }
            Err(e) => prop_assert!(!e.is_empty() && !e.contains('\n')),
        }
    }

    #[test]
    fn check_within_is_exactly_inside_the_image(
        x in 0u32..300, y in 0u32..300, w in 0u32..300, h in 0u32..300,
        iw in 1u32..300, ih in 1u32..300,
    ) {
        let r = Region { x, y, width: w, height: h };
        let inside = w > 0 && h > 0 && x + w <= iw && y + h <= ih;
        prop_assert_eq!(r.check_within(iw, ih).is_ok(), inside);
    }

    #[test]
    fn expanding_stays_in_the_image_and_keeps_the_region(
        x in 0u32..200, y in 0u32..200, w in 1u32..200, h in 1u32..200,
        margin in 0u32..500, extra_w in 0u32..50, extra_h in 0u32..50,
    ) {
        let (iw, ih) = (x + w + extra_w, y + h + extra_h);
        let r = Region { x, y, width: w, height: h };
        let e = r.expanded_within(margin, iw, ih);
        prop_assert!(e.check_within(iw, ih).is_ok(), "{} outside {}×{}", e, iw, ih);
        prop_assert!(e.x <= r.x && e.y <= r.y && e.right() >= r.right() && e.bottom() >= r.bottom());
        // Grown by exactly the margin wherever the image leaves room.
        prop_assert_eq!(e.x, x.saturating_sub(margin));
        prop_assert_eq!(e.right(), (r.right() + u64::from(margin)).min(u64::from(iw)));
        prop_assert_eq!(e.bottom(), (r.bottom() + u64::from(margin)).min(u64::from(ih)));
    }
}

// ---------------------------------------------------------------------------------------------
// Scenes
// ---------------------------------------------------------------------------------------------

/// A small healed scene: 200 × 150 px at 20 px/mm (10 × 7.5 mm of scalp).
fn scene(seed: u64) -> RgbImage {
    let camera = Camera::new(200, 150, 20.0);
    render(
        &Scene::typical(&camera, 3, &DotParams::healed(), seed),
        &camera,
    )
}

/// A larger fresh scene: 260 × 210 px at 20 px/mm.
fn large_scene() -> RgbImage {
    let camera = Camera::new(260, 210, 20.0);
    render(&Scene::typical(&camera, 5, &DotParams::fresh(), 9), &camera)
}

/// A region inside both scenes, away from their edges.
const INNER: Region = Region {
    x: 30,
    y: 20,
    width: 120,
    height: 100,
};

fn session(region: Option<Region>) -> SessionInput {
    SessionInput {
        photo: "p.png".into(),
        path: "p.png".into(),
        label: None,
        date: None,
        region,
        region_source: "region".into(),
        px_per_mm: Some(20.0),
    }
}

fn measure(img: &RgbImage, region: Option<Region>) -> SessionReport {
    let photo = Photo::new(DynamicImage::ImageRgb8(img.clone()));
    analyze_photo(&photo, &session(region))
        .expect("measure")
        .report
}

/// The eight symmetries of a rectangle: 0–3 quarter turns clockwise, then a left–right flip
/// when `flip`. Returns the image and the region where the same pixels are.
fn transform(img: &RgbImage, r: Region, turns: u8, flip: bool) -> (RgbImage, Region) {
    let (mut img, mut r) = (img.clone(), r);
    for _ in 0..turns {
        let h = img.height();
        // (x, y) → (h − 1 − y, x)
        r = Region {
            x: h - r.y - r.height,
            y: r.x,
            width: r.height,
            height: r.width,
        };
        img = imageops::rotate90(&img);
    }
    if flip {
        r = Region {
            x: img.width() - r.x - r.width,
            ..r
        };
        img = imageops::flip_horizontal(&img);
    }
    (img, r)
}

/// How far results may move between a photo and its rotated or flipped copy (the same pixels):
/// outlines are traced on the pixel grid and a dot at a region's edge can fall either side, so
/// exact equality is not expected, but a few dots or percent is all that sampling explains.
const COUNT_TOLERANCE_PCT: f64 = 4.0;
const COUNT_TOLERANCE_DOTS: f64 = 2.0;
const COVERAGE_TOLERANCE_PP: f64 = 0.3;
const DARKNESS_TOLERANCE: f64 = 0.005;

/// Whether `img` measured in `r` and its copy turned `turns` quarter turns clockwise (then
/// flipped left–right when `flip`) agree within the tolerances above.
fn check_invariant(img: &RgbImage, r: Region, turns: u8, flip: bool) -> Result<(), TestCaseError> {
    let base = measure(img, Some(r));
    let (t, tr) = transform(img, r, turns, flip);
    let moved = measure(&t, Some(tr));
    let (a, b) = (&base.metrics, &moved.metrics);
    let allowed = COUNT_TOLERANCE_DOTS.max(a.dot_count as f64 * COUNT_TOLERANCE_PCT / 100.0);
    prop_assert!(
        (a.dot_count as f64 - b.dot_count as f64).abs() <= allowed,
        "dots {} vs {} (region {}, {} turns, flip {})",
        a.dot_count,
        b.dot_count,
        r,
        turns,
        flip
    );
    prop_assert!(
        (a.coverage_pct - b.coverage_pct).abs() <= COVERAGE_TOLERANCE_PP,
        "coverage {} vs {}",
        a.coverage_pct,
        b.coverage_pct
    );
    let (da, db) = (a.darkness.unwrap(), b.darkness.unwrap());
    prop_assert!(
        (da - db).abs() <= DARKNESS_TOLERANCE,
        "darkness {} vs {}",
        da,
        db
    );
    // The area is the same, so the density follows the count.
    prop_assert_eq!(a.region_area_cm2, b.region_area_cm2);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(7),
        ..ProptestConfig::with_cases(8)
    })]

    /// Turning or flipping a photo and its region (the same pixels) leaves count, coverage and
    /// darkness within the tolerances above. This failed before the skin field and noise blocks
    /// were centred on the photo and the noise median read from every pixel (issue 7 finding:
    /// see `orientation_reproducers_agree` for the cases it found).
    #[test]
    fn results_hold_under_rotations_and_flips(
        seed in 0u64..2000,
        x in 0u32..40, y in 0u32..30, w in 90u32..160, h in 70u32..120,
        turns in 0u8..4, flip: bool,
    ) {
        let img = scene(seed);
        let r = Region { x, y, width: w.min(200 - x), height: h.min(150 - y) };
        check_invariant(&img, r, turns, flip)?;
    }
}

/// The cases the property above first failed on, every one of the eight symmetries each (scene
/// seed, region → count as rendered / turned before the fix): 1287, 23,25,91,93 → 29 / 15 (one
/// quarter turn: the dot size was estimated at 1.5 mm from a vignetted corner block that the
/// skin field's outlier rule had replaced by its brighter neighbours); 1329, 21,25,107,81 → 13 /
/// 22; 709 at the photo's corner, 0,0,100,80 → 30 / 10. The counts must also be right: within
/// 2 of the true 29, 22 and 24.
#[test]
fn orientation_reproducers_agree() {
    let cases = [
        (
            1287,
            Region {
                x: 23,
                y: 25,
                width: 91,
                height: 93,
            },
            29,
        ),
        (
            1329,
            Region {
                x: 21,
                y: 25,
                width: 107,
                height: 81,
            },
            22,
        ),
        (
            709,
            Region {
                x: 0,
                y: 0,
                width: 100,
                height: 80,
            },
            24,
        ),
    ];
    for (seed, r, truth) in cases {
        let img = scene(seed);
        for turns in 0..4 {
            for flip in [false, true] {
                if let Err(e) = check_invariant(&img, r, turns, flip) {
                    panic!("seed {seed}, {turns} turns, flip {flip}: {e}");
                }
            }
        }
        let found = measure(&img, Some(r)).metrics.dot_count;
        assert!(
            found.abs_diff(truth) <= 2,
            "seed {seed}: {found} of {truth}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Change
// ---------------------------------------------------------------------------------------------

/// A measured session to vary the numbers of.
fn template() -> &'static SessionReport {
    static TEMPLATE: OnceLock<SessionReport> = OnceLock::new();
    TEMPLATE.get_or_init(|| measure(&scene(7), None))
}

/// `value` as a whole number of its last printed decimal place (`decimals` places).
fn units(value: &serde_json::Value, decimals: i32) -> i64 {
    let v = value.as_f64().expect("a number");
    (v * 10f64.powi(decimals)).round() as i64
}

fn numbers() -> impl Strategy<Value = (u64, Option<f64>, f64, Option<f64>)> {
    (
        0u64..20_000,
        proptest::option::of(0.0f64..500.0),
        0.0f64..100.0,
        proptest::option::of(0.0f64..1.0),
    )
}

proptest! {
    #[test]
    fn change_is_the_difference_of_the_printed_values(
        sessions in proptest::collection::vec(numbers(), 2..5)
    ) {
        let mut reports: Vec<SessionReport> = sessions
            .iter()
            .map(|&(dots, density, coverage, darkness)| {
                let mut metrics = template().metrics.clone();
                metrics.dot_count = dots;
                metrics.density_per_cm2 = density;
                metrics.coverage_pct = coverage;
                metrics.darkness = darkness;
                session_report(template().context.clone(), &metrics, vec![])
            })
            .collect();
        link_changes(&mut reports);
        let json = serde_json::to_value(&reports).unwrap();
        let json = json.as_array().unwrap();
        prop_assert!(json[0]["change"].is_null());
        for pair in json.windows(2) {
            let (before, now) = (&pair[0], &pair[1]);
            let change = &now["change"];
            prop_assert_eq!(
                change["dot_count"].as_i64().unwrap(),
                now["dot_count"].as_i64().unwrap() - before["dot_count"].as_i64().unwrap()
            );
            for (field, decimals) in [("density_per_cm2", 1), ("coverage_pct", 2), ("darkness", 3)] {
                if before[field].is_null() || now[field].is_null() {
                    prop_assert!(change[field].is_null(), "{}", field);
                } else {
                    prop_assert_eq!(
                        units(&change[field], decimals),
                        units(&now[field], decimals) - units(&before[field], decimals),
                        "{}: {} − {} printed as {}", field, now[field], before[field], change[field]
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Threads
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3))]

    #[test]
    fn thread_count_never_changes_the_report(seed in 0u64..1000) {
        let dir = tempfile::tempdir().unwrap();
        let mut series = smptrack::SeriesInput::default();
        for i in 0..3u64 {
            let path = dir.path().join(format!("s{i}.png"));
            scene(seed + i).save(&path).unwrap();
            let mut s = session(Some(Region { x: 10, y: 10, width: 180, height: 130 }));
            s.photo = format!("s{i}.png");
            s.path = path;
            series.sessions.push(s);
        }
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    smptrack::analyze_series(&series, &smptrack::LoadLimits::default(), |_, _| {})
                        .unwrap()
                        .to_json()
                })
        };
        let one = run(1);
        prop_assert_eq!(&one, &run(2));
        prop_assert_eq!(&one, &run(3));
    }
}

// ---------------------------------------------------------------------------------------------
// Buffers carried from photo to photo
// ---------------------------------------------------------------------------------------------

/// Planes carried from one photo's measurement to the next (`measure_reusing`, as a batch's
/// photos on one thread are measured) never change a measurement: photos of two sizes (the
/// larger after the smaller, whose kept planes are too small), whole and in a region, with and
/// without a scale, 8-bit, 16-bit and float (whose luminance plane is kept, not lent), measured
/// in turn with one set of buffers, some with their first planes readied beforehand, give
/// exactly what each gives measured alone.
#[test]
fn buffers_carried_from_photo_to_photo_change_no_measurement() {
    use smptrack::buffers::PlaneBuffers;
    use smptrack::measure::{measure, measure_reusing, ready_buffers, FIRST_PLANES};

    let small = DynamicImage::ImageRgb8(scene(5));
    let large = DynamicImage::ImageRgb8(large_scene());
    let inner = INNER;
    let photos = [
        (small.clone(), None, Some(20.0)),
        (large.clone(), None, Some(20.0)),
        (small.clone(), Some(inner), None),
        (large.clone(), None, None),
        (
            DynamicImage::ImageRgb32F(large.to_rgb32f()),
            Some(inner),
            Some(20.0),
        ),
        (DynamicImage::ImageRgb16(large.to_rgb16()), None, Some(20.0)),
        (small, None, Some(20.0)),
    ];
    let mut buffers = PlaneBuffers::default();
    for (k, (image, region, px_per_mm)) in photos.into_iter().enumerate() {
        let size = (image.width(), image.height());
        // Every other photo has its first planes readied first, as while it decodes (the
        // readied planes are zeros, or the stale values of those kept).
        if k % 2 == 1 {
            ready_buffers(&mut buffers, size, region, px_per_mm, FIRST_PLANES);
            assert_eq!(buffers.len(), FIRST_PLANES, "photo {k}: planes readied");
        }
        let region = region.unwrap_or(Region::whole(size.0, size.1));
        let alone = measure(&image, region, px_per_mm).unwrap();
        let carried = measure_reusing(&image, region, px_per_mm, &mut buffers).unwrap();
        assert!(!alone.dots.is_empty(), "photo {k}");
        assert_eq!(format!("{carried:?}"), format!("{alone:?}"), "photo {k}");
        assert_eq!(buffers.len(), 1, "photo {k}: the last plane is kept");
    }
}

/// A series measured on one thread decodes each 8-bit photo into the previous photo's pixel
/// buffer: every session still reports exactly what its photo reports alone, whatever came
/// before it (a larger photo, a smaller one, a 16-bit one whose pixels are not kept, a JPEG
/// decoded only down to its region's rows).
#[test]
fn photos_decoded_into_the_previous_photos_buffer_report_as_alone() {
    let dir = tempfile::tempdir().unwrap();
    let large = large_scene();
    let jpeg = |image: &RgbImage| {
        let mut bytes = Vec::new();
        jpeg_encoder::Encoder::new(&mut bytes, 92)
            .encode(
                image.as_raw(),
                image.width() as u16,
                image.height() as u16,
                jpeg_encoder::ColorType::Rgb,
            )
            .unwrap();
        bytes
    };
    let png = |image: DynamicImage| {
        let mut out = std::io::Cursor::new(Vec::new());
        image.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let inner = INNER;
    let photos = [
        ("large.jpg", jpeg(&large), None),
        ("small.png", png(DynamicImage::ImageRgb8(scene(4))), None),
        (
            "large16.png",
            png(DynamicImage::ImageRgb16(
                DynamicImage::ImageRgb8(large.clone()).to_rgb16(),
            )),
            None,
        ),
        ("small.jpg", jpeg(&scene(6)), Some(inner)),
        ("large-region.jpg", jpeg(&large), Some(inner)),
        ("large-again.jpg", jpeg(&large), None),
    ];
    let mut series = smptrack::SeriesInput::default();
    for (name, bytes, region) in photos {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let mut s = session(region);
        s.photo = name.into();
        s.path = path;
        series.sessions.push(s);
    }
    let limits = smptrack::LoadLimits::default();
    let analyze = |series: &smptrack::SeriesInput| {
        smptrack::analyze_series(series, &limits, |_, _| {}).unwrap()
    };
    // (Each session's `change` links it to the one before: compared without it.)
    let without_change = |session: &SessionReport| {
        let mut session = session.clone();
        session.change = None;
        serde_json::to_string(&session).unwrap()
    };
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let together = one_thread.install(|| analyze(&series));
    for (k, session) in series.sessions.iter().enumerate() {
        let alone = analyze(&smptrack::SeriesInput {
            sessions: vec![session.clone()],
            ..Default::default()
        });
        assert!(
            together.sessions[k].metrics.dot_count > 0,
            "{}",
            session.photo
        );
        assert_eq!(
            without_change(&together.sessions[k]),
            without_change(&alone.sessions[0]),
            "{}",
            session.photo
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding only the rows measured
// ---------------------------------------------------------------------------------------------

/// `analyze_series` decodes a baseline JPEG only down to the rows its region reads; the report
/// must be the one of a whole decode (`analyze_series_with`, whose hook sees whole photos), byte
/// for byte, wherever the region lies and whether the scale is known or not.
#[test]
fn a_region_measured_from_its_rows_alone_reports_as_from_the_whole_photo() {
    use smptrack::synth::{encode_jpeg, ExifTags};
    use smptrack::{analyze_series, analyze_series_with, LoadLimits, SeriesInput};

    let camera = Camera::new(240, 480, 20.0);
    let img = render(
        &Scene::typical(&camera, 4, &DotParams::healed(), 11),
        &camera,
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tall.jpg");
    std::fs::write(&path, encode_jpeg(&img, 92, &ExifTags::default())).unwrap();
    let regions = [
        Some(Region {
            x: 20,
            y: 0,
            width: 200,
            height: 120,
        }),
        Some(Region {
            x: 0,
            y: 100,
            width: 240,
            height: 150,
        }),
        Some(Region {
            x: 40,
            y: 300,
            width: 160,
            height: 160,
        }),
        Some(Region {
            x: 0,
            y: 380,
            width: 240,
            height: 100,
        }),
        None,
    ];
    for region in regions {
        for px_per_mm in [Some(20.0), None] {
            let series = SeriesInput {
                sessions: vec![SessionInput {
                    path: path.clone(),
                    region,
                    px_per_mm,
                    ..session(region)
                }],
                ..SeriesInput::default()
            };
            let limits = LoadLimits::default();
            let top = analyze_series(&series, &limits, |_, _| {}).unwrap();
            let whole = analyze_series_with(&series, &limits, |_, photo, _| {
                assert!(photo.is_whole());
                Ok(())
            })
            .unwrap();
            let context = format!("region {region:?}, scale {px_per_mm:?}");
            assert_eq!(
                serde_json::to_string(&top).unwrap(),
                serde_json::to_string(&whole).unwrap(),
                "{context}"
            );
            let size = &top.sessions[0].context.image;
            assert_eq!((size.width, size.height), (240, 480), "{context}");
        }
    }
}

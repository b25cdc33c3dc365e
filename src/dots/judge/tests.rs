use super::*;

/// A candidate at the origin (its position plays no part in the judgement).
fn candidate(ridge: bool) -> Candidate {
    Candidate {
        x: 0,
        y: 0,
        response: 1.0,
        diameter: 10.0,
        ridge,
    }
}

/// Networks in which no queried centre lies in a dark network.
fn no_networks(n: usize) -> Networks {
    Networks {
        id: vec![0; n],
        size: Vec::new(),
        inside: vec![0.0; n],
    }
}

/// Moment sums (n, Σx, Σy, Σx², Σy², Σxy) of a `w` × `h` px block of pixels.
fn block_moments(w: usize, h: usize) -> [f64; 6] {
    let mut m = [0f64; 6];
    for y in 0..h {
        for x in 0..w {
            let (x, y) = (x as f64 + 0.5, y as f64 + 0.5);
            for (sum, v) in m.iter_mut().zip([1.0, x, y, x * x, y * y, x * y]) {
                *sum += v;
            }
        }
    }
    m
}

/// Judges `cases` (own half-width px, on a ridge, on a hair line, may be a dot) at `s` px/mm,
/// beside eight round territories `typical` px wide (the typical one; the photo sized at 8 px),
/// and asserts each case's judgement.
fn judged_as_expected(s: f32, mut cases: Vec<(f32, bool, bool, bool)>, typical: f32) {
    cases.extend([(typical, false, false, true); 8]);
    let own: Vec<f32> = cases.iter().map(|c| c.0).collect();
    let peaks: Vec<Candidate> = cases.iter().map(|c| candidate(c.1)).collect();
    let on_line: Vec<bool> = cases.iter().map(|c| c.2).collect();
    let networks = no_networks(cases.len());
    let judge = Judge::new(own, &networks, &peaks, &on_line, 8.0, Some(s));
    assert_eq!(judge.typical, typical);
    let keep = judge.may_be_dot(&networks, &peaks, &on_line);
    let expected: Vec<bool> = cases.iter().map(|c| c.3).collect();
    assert_eq!(keep, expected);
}

/// At 20 px/mm: a hair is under 1.4 px half-width ([`HAIR_HALF_WIDTH_MM`]), a piece of
/// 2.4 px and more is never hair ([`FAT_HALF_WIDTH_MM`]), and the narrowest round dot is
/// 1.0 px (half of [`crate::measure::MIN_DOT_MM`]): each limit holds at its edge, as do
/// the fractions of the typical dot ([`MIN_RIDGE_HALF_WIDTH_RATIO`] on ridges and hair
/// lines).
#[test]
fn with_a_scale_the_physical_limits_hold_at_their_edges() {
    let s = 20.0;
    let (hair, fat) = (HAIR_HALF_WIDTH_MM * s, FAT_HALF_WIDTH_MM * s);
    let round = 0.5 * crate::measure::MIN_DOT_MM as f32 * s;
    // (own half-width px, on a ridge, on a hair line, may be a dot): round candidates off
    // any hair line, ridge candidates, and round ones on a line.
    let cases = vec![
        (round, false, false, true),
        (round - 0.01, false, false, false),
        (hair, false, false, true),
        (0.0, false, false, false),
        // A ridge at least a hair wide needs 0.7 of the typical dot (2.8 px) or to be fat.
        (fat, true, false, true),
        (fat - 0.01, true, false, false),
        (hair - 0.01, true, false, false),
        // On a hair line: at least 0.7 of the typical dot (2.8 px) and a hair's width.
        (2.8, false, true, true),
        (2.79, false, true, false),
    ];
    judged_as_expected(s, cases, 4.0);
}

/// At 15 px/mm a hair's half-width limit ([`HAIR_HALF_WIDTH_MM`], 1.05 px) is under what the
/// optics spread a hair to: a ridge on a hair line must be [`MIN_FAT_HALF_WIDTH_PX`] wide to be
/// a dot, while the same ridge off any line needs only 0.7 of the typical dot (1.4 px here).
#[test]
fn at_a_coarse_scale_a_ridge_on_a_hair_line_must_be_wider_than_the_optics_spread_a_hair() {
    let s = 15.0;
    assert!(HAIR_HALF_WIDTH_MM * s < MIN_FAT_HALF_WIDTH_PX);
    // (own half-width px, on a ridge, on a hair line, may be a dot).
    let cases = vec![
        (MIN_FAT_HALF_WIDTH_PX, true, true, true),
        (MIN_FAT_HALF_WIDTH_PX - 0.01, true, true, false),
        (1.5, true, true, false),
        (1.5, true, false, true),
        (1.39, true, false, false),
        // A round piece on a line is held to the hair's width alone.
        (1.5, false, true, true),
    ];
    judged_as_expected(s, cases, 2.0);
}

/// The judge of `peaks` with no candidate on a hair line, for a photo sized at 8 px.
fn judge_off_lines(
    own: Vec<f32>,
    networks: &Networks,
    peaks: &[Candidate],
    px_per_mm: Option<f32>,
) -> Judge {
    Judge::new(
        own,
        networks,
        peaks,
        &vec![false; peaks.len()],
        8.0,
        px_per_mm,
    )
}

/// The typical dot is the median round territory off hair lines: pieces of stubble, round
/// but on their own lines, never set it, however many (they once pulled it down to a
/// shaft's width and passed for dots). Ridge candidates never count; if every round one
/// lies on a hair line, all of them do.
#[test]
fn the_typical_dot_is_taken_off_hair_lines() {
    // (own half-width px, on a ridge, on a hair line): three dots, five stubble pieces
    // on their lines, four wide ridges (counted, they would make the median 10 px).
    let mut cases = vec![(4.0, false, false); 3];
    cases.extend([(1.9, false, true); 5]);
    cases.extend([(10.0, true, false); 4]);
    let own: Vec<f32> = cases.iter().map(|c| c.0).collect();
    let peaks: Vec<Candidate> = cases.iter().map(|c| candidate(c.1)).collect();
    let on_line: Vec<bool> = cases.iter().map(|c| c.2).collect();
    let networks = no_networks(cases.len());
    let judge = Judge::new(own.clone(), &networks, &peaks, &on_line, 8.0, Some(20.0));
    assert_eq!(judge.typical, 4.0);
    // The stubble pieces (1.9 px, under 0.7 × 4 px) are hair; the dots are not.
    let keep = judge.may_be_dot(&networks, &peaks, &on_line);
    assert_eq!(
        &keep[..8],
        &[true, true, true, false, false, false, false, false]
    );
    // Every round candidate on a line: the median of them all (1.9 px).
    let judge = Judge::new(own, &networks, &peaks, &[true; 12], 8.0, Some(20.0));
    assert_eq!(judge.typical, 1.9);
}

/// Without a scale a round territory is a dot from half the typical one's width, and a
/// ridge from 0.7 of it.
#[test]
fn without_a_scale_the_limits_are_fractions_of_the_typical_dot() {
    let own = [4.0, 4.0, 4.0, 2.0, 1.99, 2.8, 2.79];
    let ridge = [false, false, false, false, false, true, true];
    let peaks: Vec<Candidate> = ridge.iter().map(|&r| candidate(r)).collect();
    let networks = no_networks(own.len());
    let judge = judge_off_lines(own.to_vec(), &networks, &peaks, None);
    let keep = judge.may_be_dot(&networks, &peaks, &[false; 7]);
    assert_eq!(keep, [true, true, true, true, false, true, false]);
}

/// A network thinner than the never-hair width that spreads over more than
/// [`MAX_AREA_PER_INSCRIBED_DISC`] times its fattest disc is hair, except (with a scale) a
/// round piece of it at least a hair wide; a network of that area at the never-hair width,
/// or of at most that area, is not.
#[test]
fn a_thin_sprawling_network_is_hair_but_a_round_dot_touching_it_is_not() {
    let s = 20.0;
    let (hair, fat) = (HAIR_HALF_WIDTH_MM * s, FAT_HALF_WIDTH_MM * s);
    let disc = |fattest: f32| std::f64::consts::PI * f64::from(fattest + 0.5).powi(2);
    let sprawl = |fattest: f32| (MAX_AREA_PER_INSCRIBED_DISC * disc(fattest)).floor() as u32;
    let thin = fat - 0.01;
    let networks = Networks {
        id: vec![1, 1, 1, 2, 3],
        size: vec![
            (sprawl(thin) + 1, thin),
            (sprawl(fat) + 1, fat),
            (sprawl(thin), thin),
        ],
        inside: vec![0.0; 5],
    };
    let own = vec![hair, hair - 0.01, 4.0, 1.5, 1.5];
    let peaks = vec![
        candidate(false),
        candidate(false),
        candidate(true),
        candidate(false),
        candidate(false),
    ];
    let judge = judge_off_lines(own, &networks, &peaks, Some(s));
    let keep = judge.may_be_dot(&networks, &peaks, &[false; 5]);
    assert_eq!(keep, [true, false, false, true, true]);
}

/// The opening's radius is half the territory's own half-width, and on a hair line at
/// least a hair's half-width for a piece at least that wide.
#[test]
fn opening_radii_are_half_the_width_and_a_hair_on_hair_lines() {
    let s = 20.0;
    let hair = HAIR_HALF_WIDTH_MM * s;
    let own = vec![4.0, 2.0, 2.0, hair - 0.01];
    let networks = no_networks(own.len());
    let peaks = vec![candidate(false); own.len()];
    let judge = judge_off_lines(own, &networks, &peaks, Some(s));
    let radii = judge.opening_radii(&[true, false, true, true]);
    assert_eq!(radii, [2.0, 1.0, hair, 0.5 * (hair - 0.01)]);
}

/// With a scale an opened piece under the smallest impression's area is dropped; an
/// elongated one is dropped unless fat enough never to be hair; without a scale no area
/// is too small.
#[test]
fn misshapen_pieces_are_dropped_unless_fat() {
    let s = 20.0;
    let fat = FAT_HALF_WIDTH_MM * s;
    // The smallest impression at 20 px/mm: a disc of 1 px radius, π px².
    let shapes = |moments: [[f64; 6]; 4]| -> Vec<Shape> {
        moments
            .into_iter()
            .map(|moments| Shape {
                moments,
                centroid: (0.0, 0.0),
            })
            .collect()
    };
    let moments = [
        block_moments(1, 2),
        block_moments(2, 2),
        block_moments(12, 2),
        block_moments(12, 2),
    ];
    let own = vec![fat, fat, fat - 0.01, fat];
    let peaks = vec![candidate(false); 4];
    let networks = no_networks(4);
    let judge = judge_off_lines(own.clone(), &networks, &peaks, Some(s));
    let mut keep = vec![true; 4];
    judge.drop_misshapen(&mut keep, &shapes(moments));
    assert_eq!(keep, [false, true, false, true]);
    let judge = judge_off_lines(own, &networks, &peaks, None);
    let mut keep = vec![true; 4];
    judge.drop_misshapen(&mut keep, &shapes(moments));
    assert_eq!(keep, [true, true, false, false]);
}

//! Lines of pigment: runs of pigment longer than two of the largest impressions and wider than
//! any hair — tattoo linework, a scar's line filled in, dots grown into a row. Like solid
//! pigment (see [`super::solid`]), the finder can only split them at their texture, but they
//! are too narrow to fill the solid test's squares.
//!
//! Each counted dot is tested from its centre along [`LINE_DIRECTIONS`] axes: walking both ways
//! along an axis, the run goes on while the point on the axis is pigment and, where it is dot,
//! the dot across the axis there is at least the line's width. A dot whose run reaches the
//! line's length on any axis lies on a line. An impression's run ends at its edge; a row of dots
//! that merely touch ends at their necks.

use rayon::prelude::*;

use crate::dots::Cover;

/// Shortest run (mm) that makes a line, with a scale: two of the largest impressions sought
/// ([`super::MAX_DOT_MM`]), so no single dot nor two grown together reach it.
pub const LINE_MIN_LENGTH_MM: f64 = 2.0 * super::MAX_DOT_MM;

/// Narrowest dot (mm) across a line's run at each of its dot points, with a scale: the finest
/// common impressions (0.3 mm), three times a thick hair, so that no hair, nor a row of dots
/// joined by thin necks, makes one.
pub const LINE_MIN_WIDTH_MM: f64 = 0.3;

/// Shortest run that makes a line without a scale, in typical dot diameters (the dot size
/// measured): twice the solid test's squares ([`super::solid::SOLID_BLOCK_DIAMETERS`]), as
/// blown-out impressions reach three times the fine ones.
pub const LINE_MIN_LENGTH_DIAMETERS: f64 = 2.0 * super::solid::SOLID_BLOCK_DIAMETERS;

/// Narrowest dot across a line's run without a scale, in typical dot diameters: the width
/// sought with a scale ([`LINE_MIN_WIDTH_MM`]) where the typical dot is 0.4 mm
/// ([`super::ASSUMED_DOT_MM`]), so that fine dots and hair, whose sizes the scale would tell,
/// make no line.
pub const LINE_MIN_WIDTH_DIAMETERS: f64 = 0.75;

/// Share of a line's run that must be dot rather than hair (more than this): hairs crossing a
/// tattoo line take a few percent of it, while stubble shafts lying between dots, bridging them
/// into runs, take a third or more (first-session dots among 450 shafts per cm² at 15 px/mm:
/// at most 9.4% of the dots on runs at half, 7.2% at three quarters; the lines tested read the
/// same).
pub const LINE_MIN_DOT_SHARE: f64 = 0.75;

/// Axes tested through each dot, evenly over half a turn (11.25° apart): a line runs within
/// 5.6° of one of them, so over a run of [`LINE_MIN_LENGTH_MM`] centred on a dot the axis
/// strays at most 0.15 mm from where it starts (0.29 mm over a run that starts at the dot, at
/// a line's end): lines from 0.6 mm wide hold it from any dot on their middle third, at least
/// half a run from their ends.
pub const LINE_DIRECTIONS: usize = 16;

/// The shape of the lines sought (px): the run's length and the width kept all along it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LineShape {
    /// Shortest run that makes a line (px).
    pub min_length_px: f64,
    /// Narrowest pigment across the run (px).
    pub min_width_px: f64,
}

impl LineShape {
    /// The lines sought in a photo of `px_per_mm` (with a scale: [`LINE_MIN_LENGTH_MM`],
    /// [`LINE_MIN_WIDTH_MM`]) or, without one, whose typical dot is `dot_px` px across
    /// ([`LINE_MIN_LENGTH_DIAMETERS`], [`LINE_MIN_WIDTH_DIAMETERS`]).
    pub fn new(px_per_mm: Option<f64>, dot_px: f64) -> Self {
        match px_per_mm {
            Some(s) => LineShape {
                min_length_px: LINE_MIN_LENGTH_MM * s,
                min_width_px: LINE_MIN_WIDTH_MM * s,
            },
            None => LineShape {
                min_length_px: LINE_MIN_LENGTH_DIAMETERS * dot_px,
                min_width_px: LINE_MIN_WIDTH_DIAMETERS * dot_px,
            },
        }
    }
}

/// Whether each of `centres` (px in the `cover` plane, `stride` × `height` px) lies on a line
/// of pigment of `shape`: on some axis of [`LINE_DIRECTIONS`] through it, a run of at least
/// `shape.min_length_px` of pigment (dot or hair), read every pixel, more than
/// [`LINE_MIN_DOT_SHARE`] of its points dot; at every dot point of it, dot spans at least `shape.min_width_px` across the
/// axis (read every pixel; hair over a line counts as neither dot nor gap). A hair point of
/// the run needs no width: a hair crossing a line leaves it unbroken, and a shaft that bridges
/// two dots ends at their narrow tips. `false` for every centre when the shape is not positive
/// and finite, or longer than the plane's diagonal. In the order of `centres`; the same at any
/// thread count.
pub fn on_lines(
    cover: &[Cover],
    (stride, height): (usize, usize),
    centres: &[(f64, f64)],
    shape: LineShape,
) -> Vec<bool> {
    let plane = CoverPlane {
        cover,
        width: stride,
        height,
    };
    let diagonal = (stride as f64).hypot(height as f64);
    let valid = shape.min_length_px > 0.0
        && shape.min_length_px <= diagonal
        && shape.min_width_px > 0.0
        && shape.min_width_px <= diagonal;
    // The axes' unit vectors.
    let axes: Vec<(f64, f64)> = (0..LINE_DIRECTIONS)
        .map(|k| {
            let angle = std::f64::consts::PI * k as f64 / LINE_DIRECTIONS as f64;
            (angle.cos(), angle.sin())
        })
        .collect();
    centres
        .par_iter()
        .map(|&centre| {
            valid
                && axes
                    .iter()
                    .any(|&along| plane.holds_run(centre, along, shape))
        })
        .collect()
}

/// A cover plane read at points (px).
struct CoverPlane<'a> {
    cover: &'a [Cover],
    width: usize,
    height: usize,
}

impl CoverPlane<'_> {
    /// The cover at point (x, y) (px), `Bare` outside the plane.
    fn at(&self, (x, y): (f64, f64)) -> Cover {
        if !(x >= 0.0 && y >= 0.0) {
            return Cover::Bare;
        }
        let (col, row) = (x as usize, y as usize);
        if col >= self.width || row >= self.height {
            return Cover::Bare;
        }
        self.cover[row * self.width + col]
    }

    /// Whether the axis through `centre` along the unit vector `along` holds a run of `shape`
    /// (see [`on_lines`]; its length finite and positive): first its length on the axis alone,
    /// then, only where that is long enough, with the width at each dot point.
    fn holds_run(&self, centre: (f64, f64), along: (f64, f64), shape: LineShape) -> bool {
        let across = (-along.1, along.0);
        let point = |t: f64| (centre.0 + along.0 * t, centre.1 + along.1 * t);
        // Points of the run sought, a pixel apart, and the run's points on one side of the
        // centre (`sign`; the centre's own counted ahead) up to as many, with how many of them
        // are dot: all pigment, and, if `wide`, every dot point as wide as sought.
        let needed = shape.min_length_px.ceil() as usize + 1;
        let walk = |sign: f64, first: usize, wide: bool| {
            let mut dots = 0;
            let run = (first..needed)
                .map(|i| point(sign * i as f64))
                .take_while(|&p| match self.at(p) {
                    Cover::Bare => false,
                    Cover::Hair => true,
                    Cover::Dot => {
                        dots += 1;
                        !wide || self.dot_width_at(p, across, shape.min_width_px)
                    }
                })
                .count();
            (run, dots)
        };
        // A run of `needed` points through the centre holds the point `half` pixels from it on
        // one side at least: where both are bare, no run (most dots end there, at two reads of
        // the plane instead of a walk each way; a 24 MP photo's dots took 28 ms walking).
        let half = (needed - 1).div_ceil(2) as f64;
        if self.at(point(half)) == Cover::Bare && self.at(point(-half)) == Cover::Bare {
            return false;
        }
        if walk(1.0, 0, false).0 + walk(-1.0, 1, false).0 < needed {
            return false;
        }
        let ((ahead, ahead_dots), (behind, behind_dots)) =
            (walk(1.0, 0, true), walk(-1.0, 1, true));
        let dots = (ahead_dots + behind_dots) as f64;
        ahead + behind >= needed && dots > LINE_MIN_DOT_SHARE * (ahead + behind) as f64
    }

    /// Whether dot spans at least `width` px across dot point `p` along `across`: its points
    /// a pixel apart, up to `width` px from `p` both ways while pigment, the dot points among
    /// them at least `width` (each standing for its pixel).
    fn dot_width_at(&self, p: (f64, f64), across: (f64, f64), width: f64) -> bool {
        // Dot points needed, `p` among them, and the farthest read on each side.
        let needed = width.ceil() as usize;
        let side = |sign: f64, enough: usize| {
            let mut dots = 0;
            for i in 1..needed {
                if dots >= enough {
                    break;
                }
                let t = sign * i as f64;
                match self.at((p.0 + across.0 * t, p.1 + across.1 * t)) {
                    Cover::Bare => break,
                    Cover::Hair => {}
                    Cover::Dot => dots += 1,
                }
            }
            dots
        };
        let right = 1 + side(1.0, needed.saturating_sub(1));
        right >= needed || right + side(-1.0, needed - right) >= needed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `width` × `height` cover plane with `paint` marking each pixel's cover.
    fn plane(width: usize, height: usize, paint: impl Fn(f64, f64) -> Cover) -> Vec<Cover> {
        (0..width * height)
            .map(|i| paint((i % width) as f64 + 0.5, (i / width) as f64 + 0.5))
            .collect()
    }

    fn dot_if(inside: bool) -> Cover {
        if inside {
            Cover::Dot
        } else {
            Cover::Bare
        }
    }

    /// The lines sought: 3.0 × 0.3 mm with a scale (45 × 4.5 px at 15 px/mm), 6 × 0.75 typical
    /// dots without one.
    #[test]
    fn the_lines_sought_are_two_largest_dots_long_and_a_fine_dot_wide() {
        assert_eq!((LINE_MIN_LENGTH_MM, LINE_MIN_WIDTH_MM), (3.0, 0.3));
        let with_scale = LineShape::new(Some(15.0), 99.0);
        assert!((with_scale.min_length_px - 45.0).abs() < 1e-9);
        assert!((with_scale.min_width_px - 4.5).abs() < 1e-9);
        assert_eq!(
            LineShape::new(None, 8.0),
            LineShape {
                min_length_px: 48.0,
                min_width_px: 6.0
            }
        );
    }

    /// A line 10 px wide and 100 long, at any angle, holds a run of 45 × 4.5 px from a point
    /// on its middle; a dot 20 px across does not.
    #[test]
    fn a_line_at_any_angle_holds_a_run_and_a_dot_does_not() {
        let shape = LineShape {
            min_length_px: 45.0,
            min_width_px: 4.5,
        };
        for degrees in [0.0f64, 17.0, 45.0, 80.0, 101.0, 163.0] {
            let (c, s) = (degrees.to_radians().cos(), degrees.to_radians().sin());
            let line = plane(140, 140, |x, y| {
                let (dx, dy) = (x - 70.0, y - 70.0);
                dot_if((dx * c + dy * s).abs() <= 50.0 && (-dx * s + dy * c).abs() <= 5.0)
            });
            // On the middle, off it by 2 px, and 40 px along it (the run reaches back).
            let centres = [
                (70.0, 70.0),
                (70.0 - 2.0 * s, 70.0 + 2.0 * c),
                (70.0 + 40.0 * c, 70.0 + 40.0 * s),
            ];
            assert_eq!(
                on_lines(&line, (140, 140), &centres, shape),
                vec![true; 3],
                "{degrees}°"
            );
        }
        let dot = plane(60, 60, |x, y| dot_if((x - 30.0).hypot(y - 30.0) <= 10.0));
        assert_eq!(
            on_lines(&dot, (60, 60), &[(30.0, 30.0)], shape),
            vec![false]
        );
    }

    /// [`LineShape`] at its edges (0.3 × 3 mm at 15 px/mm): a line 50 px long holds a run of
    /// 45 px and one 44 px long does not; one 5 px wide holds a width of 4.5 and one 4 px wide
    /// does not, read from anywhere across it. A one-pixel gap breaks a run, a hair across it
    /// does not, and hair beside it adds no width. Dots in a row that merely touch hold none,
    /// nor does a line mostly hair.
    #[test]
    fn a_run_must_be_as_long_and_as_wide_as_sought() {
        let bar = |length: f64, width: f64| {
            plane(80, 40, move |x, y| {
                dot_if((x - 40.0).abs() <= length / 2.0 && (y - 20.0).abs() <= width / 2.0)
            })
        };
        let holds_from = |cover: &[Cover], centre: (f64, f64), length: f64, width: f64| {
            let shape = LineShape {
                min_length_px: length,
                min_width_px: width,
            };
            on_lines(cover, (80, 40), &[centre], shape)[0]
        };
        let holds = |cover: &[Cover], length: f64, width: f64| {
            holds_from(cover, (40.0, 20.0), length, width)
        };
        assert!(holds(&bar(50.0, 10.0), 45.0, 4.5));
        assert!(!holds(&bar(44.0, 10.0), 45.0, 4.5));
        // Bars of 5 and 4 rows of pixels (from row 18), read from anywhere across them.
        let rows = |count: f64| {
            plane(80, 40, move |x, y| {
                dot_if((10.0..70.0).contains(&x) && (18.0..18.0 + count).contains(&y))
            })
        };
        for y in [18.0, 18.6, 19.3, 20.0, 20.7, 21.4, 21.9] {
            assert!(holds_from(&rows(5.0), (40.0, y), 45.0, 4.5), "{y}");
            assert!(!holds_from(&rows(4.0), (40.0, y), 45.0, 4.5), "{y}");
        }
        // Two bars 30 px long, end to end: a gap of one pixel between them breaks the run.
        let pair = |gap: f64| {
            plane(80, 40, move |x, y| {
                let within = (10.0..40.0).contains(&x) || (40.0 + gap..70.0 + gap).contains(&x);
                dot_if(within && (y - 20.0).abs() <= 5.0)
            })
        };
        assert!(holds(&pair(0.0), 45.0, 4.5));
        assert!(!holds(&pair(1.0), 45.0, 4.5));
        // A hair 2 px wide across a line leaves it unbroken; hair beside a line too narrow
        // widens it not.
        let crossed = plane(80, 40, |x, y| match ((x - 50.0).abs(), (y - 20.0).abs()) {
            (dx, _) if dx <= 1.0 => Cover::Hair,
            (_, dy) if dy <= 5.0 && (10.0..70.0).contains(&x) => Cover::Dot,
            _ => Cover::Bare,
        });
        assert!(holds(&crossed, 45.0, 4.5));
        let beside = plane(80, 40, |x, y| match (y - 20.0).abs() {
            dy if dy <= 2.0 && (10.0..70.0).contains(&x) => Cover::Dot,
            dy if dy <= 5.0 && (10.0..70.0).contains(&x) => Cover::Hair,
            _ => Cover::Bare,
        });
        assert!(!holds(&beside, 45.0, 4.5));
        // Five dots 12 px across, 12 px apart, touching.
        let row = plane(80, 40, |x, y| {
            dot_if((0..5).any(|i| (x - 16.0 - 12.0 * i as f64).hypot(y - 20.0) <= 6.0))
        });
        assert!(!holds(&row, 45.0, 4.5));
        // A band of hair with a few dot pixels along its middle.
        let hair = plane(80, 40, |x, y| match (y - 20.0).abs() {
            d if d <= 1.0 && x % 4.0 < 1.0 => Cover::Dot,
            d if d <= 5.0 && (x - 40.0).abs() <= 30.0 => Cover::Hair,
            _ => Cover::Bare,
        });
        assert!(!holds(&hair, 45.0, 4.5));
        // [`LINE_MIN_DOT_SHARE`] at its edge: a 60 px line whose first 14 px are hair holds a
        // run (46 of 60 points dot), one whose first 15 are does not (45 of 60).
        assert_eq!(LINE_MIN_DOT_SHARE, 0.75);
        let haired = |hair: f64| {
            plane(80, 40, move |x, y| match (x, (y - 20.0).abs()) {
                (x, dy) if dy <= 5.0 && (10.0..10.0 + hair).contains(&x) => Cover::Hair,
                (x, dy) if dy <= 5.0 && (10.0..70.0).contains(&x) => Cover::Dot,
                _ => Cover::Bare,
            })
        };
        assert!(holds(&haired(14.0), 45.0, 4.5));
        assert!(!holds(&haired(15.0), 45.0, 4.5));
        // A centre off the plane, and a run not positive and finite, or longer than the
        // plane's diagonal, hold none.
        let long = bar(70.0, 10.0);
        let shape = LineShape {
            min_length_px: 45.0,
            min_width_px: 4.0,
        };
        assert_eq!(
            on_lines(&long, (80, 40), &[(-5.0, 20.0)], shape),
            vec![false]
        );
        for length in [f64::NAN, f64::INFINITY, -1.0, 0.0, 90.0, 1e30] {
            let odd = LineShape {
                min_length_px: length,
                ..shape
            };
            assert_eq!(on_lines(&long, (80, 40), &[(40.0, 20.0)], odd), vec![false]);
        }
        let everywhere = plane(80, 40, |_, _| Cover::Dot);
        assert_eq!(
            on_lines(&everywhere, (80, 40), &[(40.0, 20.0)], shape),
            vec![true]
        );
    }
}

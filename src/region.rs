//! The rectangle of a photo to measure, in pixels of the photo as displayed (after EXIF
//! orientation).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A rectangle in image pixels: `x`, `y` of the top-left corner, `width` × `height` (px).
/// Serialized as `{"x", "y", "width", "height"}`; read from that object or from the four numbers
/// in a list in that order, as `--region` takes them (see [`Region`]'s `Deserialize`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Region {
    /// Left edge (px from the image's left).
    pub x: u32,
    /// Top edge (px from the image's top).
    pub y: u32,
    /// Width (px).
    pub width: u32,
    /// Height (px).
    pub height: u32,
}

/// The object form of a [`Region`], as derived (unknown fields are errors that name them).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionFields {
    x: u32,
    y: u32,
    width: u32,
    height: u32,
}

/// `{"x", "y", "width", "height"}` (px), or those four numbers in a list in that order. A list
/// of any other length is an error (a derived `Deserialize` reads a struct from a list too, but
/// read four numbers of five and left the fifth to be called "trailing characters" of the JSON).
impl<'de> Deserialize<'de> for Region {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error as _, MapAccess, SeqAccess, Visitor};
        const FOUR: &str = "four numbers [x, y, width, height]";
        struct RegionVisitor;
        impl<'de> Visitor<'de> for RegionVisitor {
            type Value = Region;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a region: {\"x\", \"y\", \"width\", \"height\"} or [x, y, width, height]",
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Region, A::Error> {
                let f =
                    RegionFields::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(Region {
                    x: f.x,
                    y: f.y,
                    width: f.width,
                    height: f.height,
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Region, A::Error> {
                let mut numbers = Vec::with_capacity(4);
                while let Some(n) = seq.next_element::<u32>()? {
                    if numbers.len() == 4 {
                        return Err(A::Error::invalid_length(5, &FOUR));
                    }
                    numbers.push(n);
                }
                match numbers[..] {
                    [x, y, width, height] => Ok(Region {
                        x,
                        y,
                        width,
                        height,
                    }),
                    _ => Err(A::Error::invalid_length(numbers.len(), &FOUR)),
                }
            }
        }
        deserializer.deserialize_any(RegionVisitor)
    }
}

impl Region {
    /// The whole of a `width` × `height` image.
    pub fn whole(width: u32, height: u32) -> Self {
        Region {
            x: 0,
            y: 0,
            width,
            height,
        }
    }

    /// Area in px².
    pub fn area_px(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// Area in cm² at `px_per_mm`.
    pub fn area_cm2(&self, px_per_mm: f64) -> f64 {
        self.area_px() as f64 / (px_per_mm * px_per_mm) / 100.0
    }

    /// One past the right edge (px), without overflow.
    pub fn right(&self) -> u64 {
        u64::from(self.x) + u64::from(self.width)
    }

    /// One past the bottom edge (px), without overflow.
    pub fn bottom(&self) -> u64 {
        u64::from(self.y) + u64::from(self.height)
    }

    /// Whether the point (`x`, `y`) in px lies inside: `x ≤ px < x + width`, same for y.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= f64::from(self.x)
            && x < self.right() as f64
            && y >= f64::from(self.y)
            && y < self.bottom() as f64
    }

    /// Checks that the region has a non-zero size and lies inside an image of
    /// `image_width` × `image_height` px. The error text says what is wrong, with the numbers.
    pub fn check_within(&self, image_width: u32, image_height: u32) -> Result<(), String> {
        if self.width == 0 || self.height == 0 {
            return Err(format!("region {self} has zero size"));
        }
        if self.right() > u64::from(image_width) || self.bottom() > u64::from(image_height) {
            return Err(format!(
                "region {self} lies outside the {image_width}×{image_height} px image"
            ));
        }
        Ok(())
    }

    /// This region grown by `margin` px on every side, clipped to a
    /// `image_width` × `image_height` image.
    pub fn expanded_within(&self, margin: u32, image_width: u32, image_height: u32) -> Region {
        let x0 = self.x.saturating_sub(margin);
        let y0 = self.y.saturating_sub(margin);
        let x1 = (self.right() + u64::from(margin)).min(u64::from(image_width)) as u32;
        let y1 = (self.bottom() + u64::from(margin)).min(u64::from(image_height)) as u32;
        Region {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{},{},{}", self.x, self.y, self.width, self.height)
    }
}

impl FromStr for Region {
    type Err = String;

    /// Parses `X,Y,W,H` (four non-negative integers in px; spaces around numbers allowed).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        if parts.len() != 4 {
            return Err(format!(
                "'{s}' is not X,Y,W,H (four whole numbers of pixels, e.g. 100,200,800,600)"
            ));
        }
        let mut values = [0u32; 4];
        for (value, (part, name)) in values
            .iter_mut()
            .zip(parts.iter().zip(["X", "Y", "W", "H"]))
        {
            *value = part.parse().map_err(|_| {
                let why = match part.parse::<i128>() {
                    Ok(_) if part.starts_with('-') => "is negative".to_string(),
                    Ok(_) => format!("is too large (at most {})", u32::MAX),
                    Err(_) => "is not a whole number of pixels ≥ 0".to_string(),
                };
                format!("{name} = '{part}' in '{s}' {why}")
            })?;
        }
        let region = Region {
            x: values[0],
            y: values[1],
            width: values[2],
            height: values[3],
        };
        if region.width == 0 || region.height == 0 {
            return Err(format!("region '{s}' has zero size"));
        }
        Ok(region)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let r: Region = " 10, 20,800 ,600".parse().unwrap();
        assert_eq!(
            r,
            Region {
                x: 10,
                y: 20,
                width: 800,
                height: 600
            }
        );
        assert_eq!(r.to_string(), "10,20,800,600");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "1,2,3",
            "1,2,3,4,5",
            "a,2,3,4",
            "-1,2,3,4",
            "1,2,0,4",
            "1.5,2,3,4",
        ] {
            assert!(bad.parse::<Region>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn checks_bounds() {
        let r = Region {
            x: 90,
            y: 0,
            width: 10,
            height: 10,
        };
        assert!(r.check_within(100, 10).is_ok());
        assert!(r.check_within(99, 10).is_err());
        let huge = Region {
            x: u32::MAX,
            y: 0,
            width: u32::MAX,
            height: 1,
        };
        assert!(huge.check_within(100, 100).is_err());
    }

    #[test]
    fn expands_with_clipping() {
        let r = Region {
            x: 5,
            y: 5,
            width: 10,
            height: 10,
        };
        assert_eq!(
            r.expanded_within(10, 18, 100),
            Region {
                x: 0,
                y: 0,
                width: 18,
                height: 25
            }
        );
    }
}

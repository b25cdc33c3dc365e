//! Camera: the mapping from scalp millimetres to image pixels.

use serde::{Deserialize, Serialize};

/// A photograph's framing of the scalp: which part is seen, how large, and
/// how rotated.
///
/// Pixel coordinates are continuous: pixel `(i, j)` covers `[i, i+1) × [j, j+1)`
/// and its centre is `(i + 0.5, j + 0.5)`; `y` points down. Scalp coordinates
/// are millimetres on the (locally flat) scalp, also `y` down at zero rotation.
///
/// The mapping is `px = image_centre + px_per_mm · R(rotation) · (mm − center_mm)`,
/// where `image_centre = (width/2, height/2)` px and `R` rotates by
/// `rotation_deg`, which appears **clockwise** in the displayed image
/// (because `y` points down).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Camera {
    /// Image width in px.
    pub width: u32,
    /// Image height in px.
    pub height: u32,
    /// Scale in px per mm of scalp.
    pub px_per_mm: f64,
    /// Scalp point (mm) imaged at the image centre.
    pub center_mm: (f64, f64),
    /// Rotation of the scalp in the image, degrees (clockwise as displayed).
    pub rotation_deg: f64,
}

impl Camera {
    /// An unrotated camera looking at the scalp origin `(0, 0)` mm.
    ///
    /// `width`, `height` in px, `px_per_mm` in px/mm.
    pub fn new(width: u32, height: u32, px_per_mm: f64) -> Self {
        Self {
            width,
            height,
            px_per_mm,
            center_mm: (0.0, 0.0),
            rotation_deg: 0.0,
        }
    }

    fn sin_cos(&self) -> (f64, f64) {
        self.rotation_deg.to_radians().sin_cos()
    }

    /// Image centre in continuous px coordinates.
    pub fn image_center_px(&self) -> (f64, f64) {
        (f64::from(self.width) / 2.0, f64::from(self.height) / 2.0)
    }

    /// Maps a scalp point (mm) to continuous image coordinates (px).
    pub fn to_px(&self, p_mm: (f64, f64)) -> (f64, f64) {
        let (s, c) = self.sin_cos();
        let dx = (p_mm.0 - self.center_mm.0) * self.px_per_mm;
        let dy = (p_mm.1 - self.center_mm.1) * self.px_per_mm;
        let (cx, cy) = self.image_center_px();
        (cx + c * dx - s * dy, cy + s * dx + c * dy)
    }

    /// Maps continuous image coordinates (px) back to the scalp (mm).
    pub fn to_mm(&self, p_px: (f64, f64)) -> (f64, f64) {
        let (s, c) = self.sin_cos();
        let (cx, cy) = self.image_center_px();
        let dx = (p_px.0 - cx) / self.px_per_mm;
        let dy = (p_px.1 - cy) / self.px_per_mm;
        (
            self.center_mm.0 + c * dx + s * dy,
            self.center_mm.1 - s * dx + c * dy,
        )
    }

    /// Axis-aligned bounding box `(x0, y0, x1, y1)` in scalp mm of everything
    /// visible in the image (useful as the `area_mm` of the placement helpers).
    pub fn visible_area_mm(&self) -> (f64, f64, f64, f64) {
        let w = f64::from(self.width);
        let h = f64::from(self.height);
        let corners = [(0.0, 0.0), (w, 0.0), (0.0, h), (w, h)].map(|p| self.to_mm(p));
        let mut b = (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        );
        for (x, y) in corners {
            b.0 = b.0.min(x);
            b.1 = b.1.min(y);
            b.2 = b.2.max(x);
            b.3 = b.3.max(y);
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rotation_sense() {
        let cam = Camera {
            width: 400,
            height: 300,
            px_per_mm: 20.0,
            center_mm: (3.0, -2.0),
            rotation_deg: 90.0,
        };
        // The centre maps to the image centre.
        let c = cam.to_px((3.0, -2.0));
        assert!((c.0 - 200.0).abs() < 1e-9 && (c.1 - 150.0).abs() < 1e-9);
        // +x on the scalp appears as +y (down) in the image: clockwise.
        let p = cam.to_px((4.0, -2.0));
        assert!((p.0 - 200.0).abs() < 1e-9 && (p.1 - 170.0).abs() < 1e-9);
        for &q in &[(0.0, 0.0), (10.5, -3.25), (-7.0, 8.0)] {
            let back = cam.to_mm(cam.to_px(q));
            assert!((back.0 - q.0).abs() < 1e-9 && (back.1 - q.1).abs() < 1e-9);
        }
        let a = cam.visible_area_mm();
        assert!((a.2 - a.0 - 15.0).abs() < 1e-9 && (a.3 - a.1 - 20.0).abs() < 1e-9);
    }
}

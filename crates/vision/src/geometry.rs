//! Axis-aligned boxes and the arithmetic every detector needs on them.

/// A point; x grows to the right, y grows downwards.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Horizontal coordinate.
    pub x: f32,
    /// Vertical coordinate.
    pub y: f32,
}

/// An axis-aligned box given by its top-left (`x0`, `y0`) and bottom-right
/// (`x1`, `y1`) corners, in pixels or, after [`BoundingBox::normalised`], in
/// fractions of the image size. A box whose corners cross has no area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    /// Left edge.
    pub x0: f32,
    /// Top edge.
    pub y0: f32,
    /// Right edge.
    pub x1: f32,
    /// Bottom edge.
    pub y1: f32,
}

impl BoundingBox {
    /// The box with the given corners.
    pub const fn new(x0: f32, y0: f32, x1: f32, y1: f32) -> Self {
        Self { x0, y0, x1, y1 }
    }

    /// The box of the given size around a centre, the form SSD-style models
    /// (mediapipe palm and face) predict.
    pub fn from_centre(centre: Point, width: f32, height: f32) -> Self {
        Self {
            x0: centre.x - width / 2.0,
            y0: centre.y - height / 2.0,
            x1: centre.x + width / 2.0,
            y1: centre.y + height / 2.0,
        }
    }

    /// Width; zero when the corners cross.
    pub fn width(&self) -> f32 {
        (self.x1 - self.x0).max(0.0)
    }

    /// Height; zero when the corners cross.
    pub fn height(&self) -> f32 {
        (self.y1 - self.y0).max(0.0)
    }

    /// Area; zero when the corners cross.
    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }

    /// The centre point.
    pub fn centre(&self) -> Point {
        Point {
            x: (self.x0 + self.x1) / 2.0,
            y: (self.y0 + self.y1) / 2.0,
        }
    }

    /// Area shared with `other`.
    pub fn intersection_area(&self, other: &BoundingBox) -> f32 {
        let overlap = BoundingBox {
            x0: self.x0.max(other.x0),
            y0: self.y0.max(other.y0),
            x1: self.x1.min(other.x1),
            y1: self.y1.min(other.y1),
        };
        overlap.area()
    }

    /// Intersection over union, in `[0, 1]`; zero when both boxes are empty.
    pub fn iou(&self, other: &BoundingBox) -> f32 {
        let intersection = self.intersection_area(other);
        let union = self.area() + other.area() - intersection;
        if union <= 0.0 {
            0.0
        } else {
            intersection / union
        }
    }

    /// The part of the box inside `[0, width] × [0, height]`: models predict
    /// boxes that spill past the image edge, callers want pixels that exist.
    pub fn clipped(&self, width: f32, height: f32) -> Self {
        Self {
            x0: self.x0.clamp(0.0, width),
            y0: self.y0.clamp(0.0, height),
            x1: self.x1.clamp(0.0, width),
            y1: self.y1.clamp(0.0, height),
        }
    }

    /// Every coordinate multiplied: x by `sx`, y by `sy`.
    pub fn scaled(&self, sx: f32, sy: f32) -> Self {
        Self {
            x0: self.x0 * sx,
            y0: self.y0 * sy,
            x1: self.x1 * sx,
            y1: self.y1 * sy,
        }
    }

    /// The box as fractions of an image of the given pixel size, so that it
    /// can be drawn on any rendition of the photo (e.g. a thumbnail).
    pub fn normalised(&self, width: u32, height: u32) -> Self {
        self.scaled(1.0 / width.max(1) as f32, 1.0 / height.max(1) as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f32 = 1e-6;

    #[test]
    fn size_area_and_centre() {
        let b = BoundingBox::new(10.0, 20.0, 40.0, 60.0);
        assert_eq!(b.width(), 30.0);
        assert_eq!(b.height(), 40.0);
        assert_eq!(b.area(), 1200.0);
        assert_eq!(b.centre(), Point { x: 25.0, y: 40.0 });
    }

    #[test]
    fn crossed_corners_have_no_area() {
        let b = BoundingBox::new(10.0, 10.0, 5.0, 20.0);
        assert_eq!(b.width(), 0.0);
        assert_eq!(b.area(), 0.0);
    }

    #[test]
    fn from_centre_round_trips() {
        let b = BoundingBox::from_centre(Point { x: 5.0, y: 7.0 }, 4.0, 2.0);
        assert_eq!(b, BoundingBox::new(3.0, 6.0, 7.0, 8.0));
        assert_eq!(b.centre(), Point { x: 5.0, y: 7.0 });
    }

    #[test]
    fn iou_of_identical_disjoint_and_half_overlapping_boxes() {
        let a = BoundingBox::new(0.0, 0.0, 10.0, 10.0);
        assert!((a.iou(&a) - 1.0).abs() < EPS);
        assert_eq!(a.iou(&BoundingBox::new(20.0, 20.0, 30.0, 30.0)), 0.0);
        // Overlap 5×10 = 50, union 100 + 100 - 50 = 150.
        let b = BoundingBox::new(5.0, 0.0, 15.0, 10.0);
        assert!((a.iou(&b) - 50.0 / 150.0).abs() < EPS);
        assert!((b.iou(&a) - a.iou(&b)).abs() < EPS, "symmetric");
    }

    #[test]
    fn touching_boxes_do_not_overlap() {
        let a = BoundingBox::new(0.0, 0.0, 10.0, 10.0);
        let b = BoundingBox::new(10.0, 0.0, 20.0, 10.0);
        assert_eq!(a.intersection_area(&b), 0.0);
        assert_eq!(a.iou(&b), 0.0);
    }

    #[test]
    fn iou_of_empty_boxes_is_zero() {
        let empty = BoundingBox::new(3.0, 3.0, 3.0, 3.0);
        assert_eq!(empty.iou(&empty), 0.0);
    }

    #[test]
    fn clipping_keeps_the_inside() {
        let b = BoundingBox::new(-5.0, 10.0, 120.0, 90.0).clipped(100.0, 80.0);
        assert_eq!(b, BoundingBox::new(0.0, 10.0, 100.0, 80.0));
    }

    #[test]
    fn normalised_is_relative_to_image_size() {
        let b = BoundingBox::new(50.0, 20.0, 100.0, 40.0).normalised(200, 80);
        assert_eq!(b, BoundingBox::new(0.25, 0.25, 0.5, 0.5));
    }
}

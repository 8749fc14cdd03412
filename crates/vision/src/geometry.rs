//! Points, axis-aligned boxes, rotated rectangles and the arithmetic every
//! detector needs on them.

/// A point; x grows to the right, y grows downwards.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Horizontal coordinate.
    pub x: f32,
    /// Vertical coordinate.
    pub y: f32,
}

/// A landmark: a point of the photo with a relative depth.
///
/// `x` and `y` are image pixels (x to the right, y downwards). `z` is
/// mediapipe's depth exactly as mediapipe reports it: relative to the
/// hand's wrist or the face's centre, smaller is nearer the camera, on
/// roughly the scale of `x / image width` (multiply by the image width for
/// pixels). It is a shape cue, not a distance.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Point3 {
    /// Horizontal coordinate, pixels.
    pub x: f32,
    /// Vertical coordinate, pixels.
    pub y: f32,
    /// Relative depth (mediapipe's units, see the type's documentation).
    pub z: f32,
}

impl Point3 {
    /// The point without its depth.
    pub fn xy(&self) -> Point {
        Point {
            x: self.x,
            y: self.y,
        }
    }
}

/// A rectangle turned by `rotation` about its centre, in pixels: the region
/// of a photo that mediapipe crops for a landmark model (its
/// `NormalizedRect`, scaled to pixels).
///
/// Its own axes: `u` runs along the width, `v` along the height; before
/// rotation `u` points right and `v` down. A positive rotation turns them
/// clockwise on screen (y grows downwards).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RotatedRect {
    /// Centre, pixels.
    pub centre: Point,
    /// Extent along the rectangle's own `u` axis, pixels.
    pub width: f32,
    /// Extent along the rectangle's own `v` axis, pixels.
    pub height: f32,
    /// Radians.
    pub rotation: f32,
}

impl RotatedRect {
    /// The unrotated rectangle with the same extent as `b`.
    pub fn from_box(b: &BoundingBox) -> Self {
        Self {
            centre: b.centre(),
            width: b.x1 - b.x0,
            height: b.y1 - b.y0,
            rotation: 0.0,
        }
    }

    /// The point at fractions (`u`, `v`) of the rectangle: (0, 0) is the
    /// corner that is top-left before rotation, (1, 1) the opposite one.
    /// Mediapipe maps a model's normalised outputs back to the photo this
    /// way.
    pub fn point_at(&self, u: f32, v: f32) -> Point {
        let (sin, cos) = self.rotation.sin_cos();
        let du = (u - 0.5) * self.width;
        let dv = (v - 0.5) * self.height;
        Point {
            x: self.centre.x + du * cos - dv * sin,
            y: self.centre.y + du * sin + dv * cos,
        }
    }

    /// The smallest axis-aligned box holding the four corners.
    pub fn bounding_box(&self) -> BoundingBox {
        let corners =
            [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)].map(|(u, v)| self.point_at(u, v));
        let mut b = BoundingBox::new(f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for c in corners {
            b.x0 = b.x0.min(c.x);
            b.y0 = b.y0.min(c.y);
            b.x1 = b.x1.max(c.x);
            b.y1 = b.y1.max(c.y);
        }
        b
    }
}

/// `angle` brought into `[-π, π)`, as mediapipe's `NormalizeRadians`.
pub fn normalize_radians(angle: f32) -> f32 {
    use std::f32::consts::PI;
    angle - 2.0 * PI * ((angle + PI) / (2.0 * PI)).floor()
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
    fn rotated_rect_maps_fractions_to_pixels() {
        let r = RotatedRect {
            centre: Point { x: 100.0, y: 50.0 },
            width: 40.0,
            height: 20.0,
            rotation: 0.0,
        };
        assert_eq!(r.point_at(0.5, 0.5), Point { x: 100.0, y: 50.0 });
        assert_eq!(r.point_at(0.0, 0.0), Point { x: 80.0, y: 40.0 });
        assert_eq!(r.point_at(1.0, 1.0), Point { x: 120.0, y: 60.0 });
        assert_eq!(r.bounding_box(), BoundingBox::new(80.0, 40.0, 120.0, 60.0));
        assert_eq!(RotatedRect::from_box(&r.bounding_box()), r);
        // A quarter turn clockwise: the rectangle's u axis points down.
        let turned = RotatedRect {
            rotation: std::f32::consts::FRAC_PI_2,
            ..r
        };
        let right_edge = turned.point_at(1.0, 0.5);
        assert!((right_edge.x - 100.0).abs() < 1e-4 && (right_edge.y - 70.0).abs() < 1e-4);
        let top_left = turned.point_at(0.0, 0.0);
        assert!((top_left.x - 110.0).abs() < 1e-4 && (top_left.y - 30.0).abs() < 1e-4);
        let b = turned.bounding_box();
        assert!((b.width() - 20.0).abs() < 1e-4 && (b.height() - 40.0).abs() < 1e-4);
    }

    #[test]
    fn radians_are_normalised_into_one_turn() {
        use std::f32::consts::PI;
        assert!((normalize_radians(3.0 * PI / 2.0) + PI / 2.0).abs() < 1e-5);
        assert!((normalize_radians(-3.0 * PI / 2.0) - PI / 2.0).abs() < 1e-5);
        assert_eq!(normalize_radians(0.25), 0.25);
        assert!((normalize_radians(PI) + PI).abs() < 1e-5, "π maps to -π");
    }

    #[test]
    fn normalised_is_relative_to_image_size() {
        let b = BoundingBox::new(50.0, 20.0, 100.0, 40.0).normalised(200, 80);
        assert_eq!(b, BoundingBox::new(0.25, 0.25, 0.5, 0.5));
    }
}

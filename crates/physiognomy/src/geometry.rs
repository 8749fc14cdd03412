//! Plane geometry on landmarks: points, lengths, angles and projections.
//!
//! Only `x` and `y` are used. Mediapipe's `z` is a depth estimated from a
//! single photo, relative to the wrist (hands) or the face's centre, and on a
//! scale that depends on how the caller converted it to pixels; the `x` and
//! `y` of a landmark are what the photo shows. Every feature is then a ratio
//! of lengths or an angle in the image plane, so a landmark set that is
//! scaled, translated or rotated in that plane gives the same features.

use crate::error::FeatureError;

/// Below this fraction of the landmark set's spread a length counts as zero:
/// far below any real distance between two landmarks (a pixel in a
/// thousand-pixel hand is 10⁻³), far above rounding noise of `f32` input.
pub const MIN_RELATIVE_LENGTH: f64 = 1e-6;

/// A landmark in the image plane (pixels; `y` grows downwards).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Point {
    pub(crate) x: f64,
    pub(crate) y: f64,
}

impl Point {
    /// The vector from `self` to `to`.
    pub(crate) fn to(self, to: Point) -> Vector {
        Vector {
            x: to.x - self.x,
            y: to.y - self.y,
        }
    }

    /// The point halfway between `self` and `other`.
    pub(crate) fn midpoint(self, other: Point) -> Point {
        Point {
            x: (self.x + other.x) / 2.0,
            y: (self.y + other.y) / 2.0,
        }
    }
}

/// A displacement in the image plane.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Vector {
    pub(crate) x: f64,
    pub(crate) y: f64,
}

impl Vector {
    pub(crate) fn length(self) -> f64 {
        self.x.hypot(self.y)
    }

    pub(crate) fn dot(self, other: Vector) -> f64 {
        self.x * other.x + self.y * other.y
    }

    /// The z component of the cross product: its sign says on which side of
    /// `self` the vector `other` lies (positive: clockwise on screen, since
    /// image `y` grows downwards).
    pub(crate) fn cross(self, other: Vector) -> f64 {
        self.x * other.y - self.y * other.x
    }
}

/// The checked landmarks of one hand or face, with the scale below which a
/// length counts as zero.
#[derive(Clone, Debug)]
pub(crate) struct Landmarks {
    points: Vec<Point>,
    min_length: f64,
}

impl Landmarks {
    /// Checks that every coordinate (`z` included: a NaN there means the
    /// landmark set is broken) is finite and that the points do not all
    /// coincide.
    pub(crate) fn new(raw: &[[f32; 3]]) -> Result<Landmarks, FeatureError> {
        let mut points = Vec::with_capacity(raw.len());
        for (index, l) in raw.iter().enumerate() {
            if let Some(axis) = l.iter().position(|c| !c.is_finite()) {
                return Err(FeatureError::NotFinite {
                    index,
                    axis: ["x", "y", "z"][axis],
                });
            }
            points.push(Point {
                x: f64::from(l[0]),
                y: f64::from(l[1]),
            });
        }
        let n = points.len().max(1) as f64;
        let centre = Point {
            x: points.iter().map(|p| p.x).sum::<f64>() / n,
            y: points.iter().map(|p| p.y).sum::<f64>() / n,
        };
        let spread = points
            .iter()
            .map(|p| centre.to(*p).length())
            .fold(0.0, f64::max);
        if !(spread > 0.0 && spread.is_finite()) {
            return Err(FeatureError::Degenerate {
                what: "the landmarks (all at one point)",
            });
        }
        Ok(Landmarks {
            points,
            min_length: spread * MIN_RELATIVE_LENGTH,
        })
    }

    /// Landmark `i` (the caller checked the count).
    pub(crate) fn at(&self, i: usize) -> Point {
        self.points[i]
    }

    /// The distance from landmark `a` to landmark `b`.
    pub(crate) fn distance(&self, a: usize, b: usize) -> f64 {
        self.at(a).to(self.at(b)).length()
    }

    /// `length`, refused as `what` when it is too short to divide by or to
    /// give a direction.
    pub(crate) fn nonzero(&self, length: f64, what: &'static str) -> Result<f64, FeatureError> {
        if length > self.min_length {
            Ok(length)
        } else {
            Err(FeatureError::Degenerate { what })
        }
    }

    /// The vector from landmark `a` to landmark `b`, refused as `what` when
    /// the two coincide.
    pub(crate) fn direction(
        &self,
        a: usize,
        b: usize,
        what: &'static str,
    ) -> Result<Vector, FeatureError> {
        let v = self.at(a).to(self.at(b));
        self.nonzero(v.length(), what)?;
        Ok(v)
    }
}

/// The unsigned angle between two non-zero vectors, in degrees (0..=180).
pub(crate) fn angle_degrees(u: Vector, v: Vector) -> f64 {
    u.cross(v).abs().atan2(u.dot(v)).to_degrees()
}

/// Where `p` lies along the unit vector `axis` through `origin`.
pub(crate) fn along(p: Point, origin: Point, axis: Vector) -> f64 {
    origin.to(p).dot(axis)
}

/// How far `value` is from `threshold`, as a fraction of the threshold.
pub(crate) fn relative_margin(value: f64, threshold: f64) -> f64 {
    ((value - threshold) / threshold).abs()
}

/// A confidence in `0..=1` from the smallest relative margin to a threshold
/// that could change a class: 0 on a threshold, 1 at `full_margin` or more.
pub(crate) fn confidence(margins: &[f64], full_margin: f64) -> f64 {
    let margin = margins.iter().copied().fold(f64::INFINITY, f64::min);
    (margin / full_margin).clamp(0.0, 1.0)
}

/// A value read as one of three words: below `low` the first word, above
/// `high` the third, otherwise the second.
pub(crate) fn three_way(value: f64, low: f64, high: f64, words: [&'static str; 3]) -> &'static str {
    if value < low {
        words[0]
    } else if value > high {
        words[2]
    } else {
        words[1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angles_and_sides() {
        let right = Vector { x: 1.0, y: 0.0 };
        let down = Vector { x: 0.0, y: 2.0 };
        assert!((angle_degrees(right, down) - 90.0).abs() < 1e-12);
        assert!((angle_degrees(right, right) - 0.0).abs() < 1e-12);
        assert!((angle_degrees(right, Vector { x: -3.0, y: 0.0 }) - 180.0).abs() < 1e-12);
        assert!(right.cross(down) > 0.0);
    }

    #[test]
    fn confidence_is_the_smallest_margin_scaled() {
        assert_eq!(confidence(&[0.05, 0.2], 0.1), 0.5);
        assert_eq!(confidence(&[0.3], 0.1), 1.0);
        assert_eq!(confidence(&[0.0], 0.1), 0.0);
        assert_eq!(three_way(0.5, 1.0, 2.0, ["a", "b", "c"]), "a");
        assert_eq!(three_way(1.0, 1.0, 2.0, ["a", "b", "c"]), "b");
        assert_eq!(three_way(2.5, 1.0, 2.0, ["a", "b", "c"]), "c");
    }

    #[test]
    fn coincident_or_broken_landmarks_are_refused() {
        assert!(matches!(
            Landmarks::new(&[[1.0, 1.0, 0.0]; 4]),
            Err(FeatureError::Degenerate { .. })
        ));
        assert_eq!(
            Landmarks::new(&[[0.0, 0.0, 0.0], [1.0, f32::NAN, 0.0]]).err(),
            Some(FeatureError::NotFinite {
                index: 1,
                axis: "y"
            })
        );
        assert_eq!(
            Landmarks::new(&[[0.0, 0.0, f32::INFINITY]]).err(),
            Some(FeatureError::NotFinite {
                index: 0,
                axis: "z"
            })
        );
    }
}

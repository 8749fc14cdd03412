//! Mediapipe's single-shot detectors (BlazePalm, BlazeFace) from raw
//! network outputs to regions to crop, as its calculators do it:
//! `TensorsToDetectionsCalculator` ([`decode`]), `NonMaxSuppressionCalculator`
//! with the weighted algorithm ([`suppress`]), then `DetectionsToRects` and
//! `RectTransformation` ([`RoiOptions::rect`]).

use crate::anchors::Anchor;
use crate::decoding::sigmoid;
use crate::geometry::{normalize_radians, BoundingBox, Point, RotatedRect};
use crate::nms::{weighted_nms, Scored};

/// How one detector's outputs are decoded (a subset of mediapipe's
/// `TensorsToDetectionsCalculatorOptions`; the palm and face graphs set
/// `reverse_output_order`, so boxes are x, y, w, h and keypoints x, y).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeOptions {
    /// Values per anchor in the box output: 4 box values, then 2 per
    /// keypoint (`num_coords`).
    pub num_coords: usize,
    /// Keypoints per detection.
    pub num_keypoints: usize,
    /// Raw offsets are in input pixels: divided by this (`x_scale` =
    /// `y_scale` = `w_scale` = `h_scale` = the input side).
    pub scale: f32,
    /// Score logits are clipped to ± this before the sigmoid
    /// (`score_clipping_thresh`).
    pub score_clip: f32,
    /// Candidates scoring below this are dropped (`min_score_thresh`).
    pub min_score: f32,
    /// IoU above which candidates merge in weighted NMS
    /// (`min_suppression_threshold`).
    pub iou: f32,
}

/// One detection: a box, its keypoints and a score. Coordinates are in
/// whatever frame the caller is working in: fractions of the network input
/// out of [`decode`], photo pixels after [`Detection::mapped`].
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Sigmoid score, 0–1.
    pub score: f32,
    /// The box.
    pub bbox: BoundingBox,
    /// The keypoints, in the model's order.
    pub keypoints: Vec<Point>,
}

impl Scored for Detection {
    fn bbox(&self) -> BoundingBox {
        self.bbox
    }
    fn score(&self) -> f32 {
        self.score
    }
}

impl Detection {
    /// The detection with every point mapped by `f` (e.g. from network
    /// fractions to photo pixels). The box is mapped by its two corners, so
    /// `f` must not rotate.
    pub fn mapped(&self, f: impl Fn(Point) -> Point) -> Self {
        let top_left = f(Point {
            x: self.bbox.x0,
            y: self.bbox.y0,
        });
        let bottom_right = f(Point {
            x: self.bbox.x1,
            y: self.bbox.y1,
        });
        Self {
            score: self.score,
            bbox: BoundingBox::new(top_left.x, top_left.y, bottom_right.x, bottom_right.y),
            keypoints: self.keypoints.iter().map(|&p| f(p)).collect(),
        }
    }
}

/// Why raw outputs could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("detector outputs do not match its anchors: {detail}")]
pub struct DecodeError {
    /// Which sizes disagree.
    pub detail: String,
}

/// Every anchor's box, keypoints and score, kept when the score reaches
/// `options.min_score` and the box has a size; in fractions of the network
/// input, in anchor order.
///
/// `raw_boxes` holds `num_coords` values per anchor, `raw_scores` one logit
/// per anchor (one class).
pub fn decode(
    raw_boxes: &[f32],
    raw_scores: &[f32],
    anchors: &[Anchor],
    options: &DecodeOptions,
) -> Result<Vec<Detection>, DecodeError> {
    let expected_boxes = anchors.len() * options.num_coords;
    if raw_boxes.len() != expected_boxes || raw_scores.len() != anchors.len() {
        return Err(DecodeError {
            detail: format!(
                "{} anchors need {expected_boxes} box values and {} scores; got {} and {}",
                anchors.len(),
                anchors.len(),
                raw_boxes.len(),
                raw_scores.len()
            ),
        });
    }
    if options.num_coords < 4 + 2 * options.num_keypoints {
        return Err(DecodeError {
            detail: format!(
                "{} values per anchor cannot hold a box and {} keypoints",
                options.num_coords, options.num_keypoints
            ),
        });
    }
    let mut found = Vec::new();
    for ((anchor, raw), &logit) in anchors
        .iter()
        .zip(raw_boxes.chunks_exact(options.num_coords))
        .zip(raw_scores)
    {
        let clip = options.score_clip;
        let score = sigmoid(logit.clamp(-clip, clip));
        if score.is_nan() || score < options.min_score {
            continue;
        }
        let x_center = raw[0] / options.scale * anchor.width + anchor.x_center;
        let y_center = raw[1] / options.scale * anchor.height + anchor.y_center;
        let w = raw[2] / options.scale * anchor.width;
        let h = raw[3] / options.scale * anchor.height;
        // Mediapipe drops boxes the model predicts with a negative (or NaN)
        // size: later stages assume a real box.
        if w.is_nan() || h.is_nan() || w < 0.0 || h < 0.0 {
            continue;
        }
        let keypoints = raw[4..4 + 2 * options.num_keypoints]
            .chunks_exact(2)
            .map(|k| Point {
                x: k[0] / options.scale * anchor.width + anchor.x_center,
                y: k[1] / options.scale * anchor.height + anchor.y_center,
            })
            .collect();
        found.push(Detection {
            score,
            bbox: BoundingBox::from_centre(
                Point {
                    x: x_center,
                    y: y_center,
                },
                w,
                h,
            ),
            keypoints,
        });
    }
    Ok(found)
}

/// Mediapipe's weighted NMS: each cluster of candidates overlapping the best
/// remaining one by more than `iou` becomes one detection with the best
/// score and the score-weighted mean box and keypoints. Best first.
pub fn suppress(candidates: &[Detection], iou: f32) -> Vec<Detection> {
    weighted_nms(candidates, iou)
        .into_iter()
        .map(|cluster| {
            let best = cluster.members.first().map(|m| m.index).unwrap_or(0);
            let count = candidates.get(best).map_or(0, |d| d.keypoints.len());
            let mut keypoints = vec![Point { x: 0.0, y: 0.0 }; count];
            for member in &cluster.members {
                for (mean, k) in keypoints
                    .iter_mut()
                    .zip(&candidates[member.index].keypoints)
                {
                    mean.x += member.weight * k.x;
                    mean.y += member.weight * k.y;
                }
            }
            Detection {
                score: cluster.score,
                bbox: cluster.bbox,
                keypoints,
            }
        })
        .collect()
}

/// How a detection becomes the region a landmark model sees: mediapipe's
/// `DetectionsToRectsCalculator` (rotation) and `RectTransformationCalculator`
/// (shift, square, scale) options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoiOptions {
    /// The rotation is the direction from this keypoint…
    pub rotation_start: usize,
    /// …to this one…
    pub rotation_end: usize,
    /// …turned so that it points this way (radians; π/2 = up).
    pub target_angle: f32,
    /// Shift of the centre along the rectangle's own axes, in fractions of
    /// its width (`shift_x`)…
    pub shift_x: f32,
    /// …and of its height (`shift_y`; negative = towards its top).
    pub shift_y: f32,
    /// The square side (the longer side, `square_long`) is multiplied by
    /// this (`scale_x` = `scale_y`).
    pub scale: f32,
}

impl RoiOptions {
    /// The rotated, square region around `detection` (photo pixels).
    /// `None` when the detection lacks the rotation keypoints.
    pub fn rect(&self, detection: &Detection) -> Option<RotatedRect> {
        let start = detection.keypoints.get(self.rotation_start)?;
        let end = detection.keypoints.get(self.rotation_end)?;
        let rotation =
            normalize_radians(self.target_angle - (-(end.y - start.y)).atan2(end.x - start.x));
        let mut rect = RotatedRect::from_box(&detection.bbox);
        rect.rotation = rotation;
        let (sin, cos) = rotation.sin_cos();
        let (shift_x, shift_y) = (rect.width * self.shift_x, rect.height * self.shift_y);
        rect.centre.x += shift_x * cos - shift_y * sin;
        rect.centre.y += shift_x * sin + shift_y * cos;
        let side = rect.width.max(rect.height);
        rect.width = side * self.scale;
        rect.height = side * self.scale;
        Some(rect)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: DecodeOptions = DecodeOptions {
        num_coords: 8,
        num_keypoints: 2,
        scale: 100.0,
        score_clip: 100.0,
        min_score: 0.5,
        iou: 0.3,
    };

    fn anchor(x: f32, y: f32) -> Anchor {
        Anchor {
            x_center: x,
            y_center: y,
            width: 1.0,
            height: 1.0,
        }
    }

    #[test]
    fn decodes_offsets_against_anchors() {
        let anchors = [anchor(0.25, 0.5), anchor(0.75, 0.5)];
        #[rustfmt::skip]
        let boxes = [
            // x, y, w, h, then keypoints (x, y) ×2, in input pixels.
            10.0, -5.0, 20.0, 40.0, 0.0, 0.0, -10.0, 10.0,
            0.0, 0.0, 10.0, 10.0, 0.0, 0.0, 0.0, 0.0,
        ];
        // The second anchor's score is below 0.5.
        let found = decode(&boxes, &[2.0, -1.0], &anchors, &OPTIONS).expect("decode");
        assert_eq!(found.len(), 1);
        let d = &found[0];
        assert!((d.score - sigmoid(2.0)).abs() < 1e-6);
        // Centre (0.25 + 0.1, 0.5 - 0.05), size 0.2 × 0.4.
        let expected = BoundingBox::new(0.25, 0.25, 0.45, 0.65);
        for (a, e) in [
            (d.bbox.x0, expected.x0),
            (d.bbox.y0, expected.y0),
            (d.bbox.x1, expected.x1),
            (d.bbox.y1, expected.y1),
        ] {
            assert!((a - e).abs() < 1e-6, "{d:?}");
        }
        assert_eq!(d.keypoints[0], Point { x: 0.25, y: 0.5 });
        assert!((d.keypoints[1].x - 0.15).abs() < 1e-6 && (d.keypoints[1].y - 0.6).abs() < 1e-6);
    }

    #[test]
    fn clips_logits_and_drops_negative_sizes() {
        let anchors = [anchor(0.5, 0.5), anchor(0.5, 0.5)];
        let boxes = [
            0.0, 0.0, 10.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -10.0, 10.0, 0.0, 0.0, 0.0, 0.0,
        ];
        let found = decode(&boxes, &[1e9, 5.0], &anchors, &OPTIONS).expect("decode");
        assert_eq!(found.len(), 1, "negative width dropped");
        assert_eq!(found[0].score, sigmoid(100.0));
    }

    #[test]
    fn mismatched_sizes_are_an_error() {
        let err = decode(&[0.0; 7], &[0.0], &[anchor(0.5, 0.5)], &OPTIONS).unwrap_err();
        assert!(err.detail.contains("8 box values"), "{err}");
    }

    #[test]
    fn suppression_averages_keypoints_by_score() {
        let d = |x0: f32, score: f32, kx: f32| Detection {
            score,
            bbox: BoundingBox::new(x0, 0.0, x0 + 10.0, 10.0),
            keypoints: vec![Point { x: kx, y: 1.0 }],
        };
        let merged = suppress(
            &[d(0.0, 0.25, 8.0), d(1.0, 0.75, 4.0), d(50.0, 0.5, 0.0)],
            0.3,
        );
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].score, 0.75);
        assert!((merged[0].bbox.x0 - 0.75).abs() < 1e-6);
        assert!((merged[0].keypoints[0].x - 5.0).abs() < 1e-6);
        assert_eq!(merged[1].keypoints[0].x, 0.0);
    }

    #[test]
    fn rect_turns_the_keypoint_direction_to_the_target() {
        use std::f32::consts::FRAC_PI_2;
        // A palm whose wrist (0) is left of its middle finger (2): the hand
        // points right, so the crop turns a quarter to make it point up.
        let palm = Detection {
            score: 0.9,
            bbox: BoundingBox::new(100.0, 100.0, 140.0, 120.0),
            keypoints: vec![
                Point { x: 100.0, y: 110.0 },
                Point { x: 0.0, y: 0.0 },
                Point { x: 140.0, y: 110.0 },
            ],
        };
        let options = RoiOptions {
            rotation_start: 0,
            rotation_end: 2,
            target_angle: FRAC_PI_2,
            shift_x: 0.0,
            shift_y: -0.5,
            scale: 2.0,
        };
        let rect = options.rect(&palm).expect("rect");
        assert!((rect.rotation - FRAC_PI_2).abs() < 1e-6, "{rect:?}");
        // Shifted half the box height (10 px) along the rect's "up", which
        // after a quarter turn clockwise is +x in the photo.
        assert!((rect.centre.x - 130.0).abs() < 1e-4, "{rect:?}");
        assert!((rect.centre.y - 110.0).abs() < 1e-4, "{rect:?}");
        assert_eq!((rect.width, rect.height), (80.0, 80.0));
        let missing = RoiOptions {
            rotation_end: 9,
            ..options
        };
        assert_eq!(missing.rect(&palm), None);
    }
}

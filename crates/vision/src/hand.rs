//! Hand landmarks: mediapipe's palm detector and hand landmark model, run
//! the way mediapipe's `HandLandmarkTrackingCpu` graph runs them on a still
//! photo.
//!
//! 1. **Palms** (`palm_detection_full`, 192 × 192, RGB in [0, 1]): the photo
//!    letterboxed into a black square; per anchor (2016, strides 8/16/16/16)
//!    a box and 7 keypoints as x, y, w, h offsets in input pixels, and a
//!    score logit (clipped to ±100, sigmoid, kept from 0.5); weighted NMS at
//!    IoU 0.3; the best two palms.
//! 2. **Hand region**: the palm box turned so that the direction from the
//!    wrist (keypoint 0) to the middle finger's base (keypoint 2) points up,
//!    its centre moved half a box height towards the fingers, squared on the
//!    longer side and enlarged 2.6 times: the whole hand with its fingers.
//! 3. **Landmarks** (`hand_landmark_full`, 224 × 224, RGB in [0, 1]): that
//!    region cropped bilinearly (edge pixels repeated past the photo). The
//!    network gives 21 points (x, y, z in crop pixels, z divided by 0.4 as
//!    mediapipe does), the hand's presence probability and the
//!    probability that it is mediapipe's "Left" hand. A region whose
//!    presence is not above 0.5 is not a hand.
//! 4. The points are mapped back through the crop into photo pixels.

use std::f32::consts::FRAC_PI_2;
use std::path::Path;

use image::RgbImage;

use crate::anchors::SsdAnchorOptions;
use crate::blaze::{DecodeOptions, Detection, RoiOptions};
use crate::crop::Border;
use crate::geometry::{BoundingBox, Point3, RotatedRect};
use crate::landmark::{check_image, Detector, LandmarkError, Network};
use crate::preprocess::{ChannelOrder, Normalisation};

/// The palm detector's file in `models/`.
pub const PALM_MODEL_FILE: &str = "palm_detection_full.onnx";
/// The hand landmark model's file in `models/`.
pub const LANDMARK_MODEL_FILE: &str = "hand_landmark_full.onnx";
/// Side of the palm detector's square input.
pub const PALM_INPUT_SIZE: u32 = 192;
/// Side of the hand landmark model's square input.
pub const LANDMARK_INPUT_SIZE: u32 = 224;
/// Landmarks per hand.
pub const NUM_LANDMARKS: usize = 21;

/// Both hand models take RGB scaled to [0, 1] (their graphs'
/// `output_tensor_float_range`, and the models' metadata: mean 0, std 255).
pub const NORMALISATION: Normalisation = Normalisation::unit_range(ChannelOrder::Rgb);

/// `palm_detection_cpu.pbtxt`'s `TensorsToDetectionsCalculator` and
/// `NonMaxSuppressionCalculator` options.
pub const PALM_DECODING: DecodeOptions = DecodeOptions {
    num_coords: 18,
    num_keypoints: 7,
    scale: PALM_INPUT_SIZE as f32,
    score_clip: 100.0,
    min_score: 0.5,
    iou: 0.3,
};

/// `palm_detection_detection_to_roi.pbtxt`: from the wrist to the middle
/// finger's base, pointing up; shifted half a box towards the fingers;
/// square, 2.6 times the box.
pub const HAND_ROI: RoiOptions = RoiOptions {
    rotation_start: 0,
    rotation_end: 2,
    target_angle: FRAC_PI_2,
    shift_x: 0.0,
    shift_y: -0.5,
    scale: 2.6,
};

/// `hand_landmark_cpu.pbtxt`'s `normalize_z`: the network's z is divided by
/// this (after the crop size) to match the training data's depth scale.
pub const NORMALIZE_Z: f32 = 0.4;

/// The bytes of `models/palm_detection_full.onnx`, compiled into the binary.
#[cfg(feature = "embedded-model")]
pub static EMBEDDED_PALM_MODEL: &[u8] = include_bytes!("../models/palm_detection_full.onnx");
/// The bytes of `models/hand_landmark_full.onnx`, compiled into the binary.
#[cfg(feature = "embedded-model")]
pub static EMBEDDED_LANDMARK_MODEL: &[u8] = include_bytes!("../models/hand_landmark_full.onnx");

const PALM_OUTPUTS: &[&[usize]] = &[&[1, 2016, 18], &[1, 2016, 1]];
const LANDMARK_OUTPUTS: &[&[usize]] = &[&[1, 63], &[1, 1], &[1, 1], &[1, 63]];

/// Which hand, in mediapipe's convention.
///
/// Mediapipe labels hands as they appear in a **mirrored** (selfie) image:
/// on an ordinary, unmirrored photo of someone else's hands, `Left` is the
/// person's right hand. [`Handedness::swapped`] gives the other label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Handedness {
    /// Mediapipe's "Left".
    Left,
    /// Mediapipe's "Right".
    Right,
}

impl Handedness {
    /// The other hand: the label for an unmirrored photo.
    pub fn swapped(self) -> Self {
        match self {
            Self::Left => Self::Right,
            Self::Right => Self::Left,
        }
    }

    /// Mediapipe's label text.
    pub fn label(self) -> &'static str {
        match self {
            Self::Left => "Left",
            Self::Right => "Right",
        }
    }
}

/// One hand found on a photo.
#[derive(Debug, Clone, PartialEq)]
pub struct HandLandmarks {
    /// Mediapipe's 21 hand landmarks in its order (0 wrist; 1–4 thumb, 5–8
    /// index, 9–12 middle, 13–16 ring, 17–20 little finger, base to tip),
    /// in photo pixels. May lie outside the photo for a cut-off hand.
    pub points: [Point3; NUM_LANDMARKS],
    /// Which hand, in mediapipe's mirrored convention (see [`Handedness`]).
    pub handedness: Handedness,
    /// Probability of `handedness`, 0.5–1.
    pub handedness_score: f32,
    /// The landmark model's probability that the crop shows a hand, 0–1.
    pub presence: f32,
    /// The palm detector's score, 0–1.
    pub palm_score: f32,
    /// The detected palm's box in photo pixels, clipped to the photo.
    pub palm_box: BoundingBox,
}

/// Thresholds and limits of [`HandPipeline::detect`]; the defaults are
/// mediapipe's (`min_detection_confidence`, `min_tracking_confidence`,
/// `max_num_hands`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HandOptions {
    /// Palms scoring below this are ignored.
    pub min_palm_score: f32,
    /// A crop is a hand when the landmark model's presence is above this.
    pub min_presence: f32,
    /// At most this many hands, the best palms first.
    pub max_hands: usize,
}

impl Default for HandOptions {
    fn default() -> Self {
        Self {
            min_palm_score: 0.5,
            min_presence: 0.5,
            max_hands: 2,
        }
    }
}

/// What the landmark model says about one crop.
#[derive(Debug, Clone, PartialEq)]
pub struct HandCrop {
    /// The 21 points, photo pixels.
    pub points: [Point3; NUM_LANDMARKS],
    /// Probability that the crop shows a hand.
    pub presence: f32,
    /// Mediapipe's label.
    pub handedness: Handedness,
    /// Probability of that label.
    pub handedness_score: f32,
}

/// Palm detector plus hand landmark model: load once, share (`Send +
/// Sync`; wrap it in an `Arc`), call [`HandPipeline::detect`] from any
/// thread.
#[derive(Debug, Clone)]
pub struct HandPipeline {
    palm: Detector,
    landmark: Network,
    options: HandOptions,
}

impl HandPipeline {
    /// The models compiled into the binary, default options.
    #[cfg(feature = "embedded-model")]
    pub fn embedded() -> Result<Self, LandmarkError> {
        Self::from_bytes(EMBEDDED_PALM_MODEL, EMBEDDED_LANDMARK_MODEL)
    }

    /// The models from the bytes of their `.onnx` files, default options.
    /// Each is run once on a blank input, so a wrong file fails here.
    pub fn from_bytes(palm_model: &[u8], landmark_model: &[u8]) -> Result<Self, LandmarkError> {
        let palm = Network::from_bytes(
            PALM_MODEL_FILE,
            palm_model,
            PALM_INPUT_SIZE,
            NORMALISATION,
            PALM_OUTPUTS,
        )?;
        let landmark = Network::from_bytes(
            LANDMARK_MODEL_FILE,
            landmark_model,
            LANDMARK_INPUT_SIZE,
            NORMALISATION,
            LANDMARK_OUTPUTS,
        )?;
        Self::assemble(palm, landmark)
    }

    /// The models from files, e.g. `landmark::model_path(PALM_MODEL_FILE)`.
    pub fn load(
        palm_model: impl AsRef<Path>,
        landmark_model: impl AsRef<Path>,
    ) -> Result<Self, LandmarkError> {
        let palm = Network::load(
            PALM_MODEL_FILE,
            palm_model.as_ref(),
            PALM_INPUT_SIZE,
            NORMALISATION,
            PALM_OUTPUTS,
        )?;
        let landmark = Network::load(
            LANDMARK_MODEL_FILE,
            landmark_model.as_ref(),
            LANDMARK_INPUT_SIZE,
            NORMALISATION,
            LANDMARK_OUTPUTS,
        )?;
        Self::assemble(palm, landmark)
    }

    fn assemble(palm: Network, landmark: Network) -> Result<Self, LandmarkError> {
        Ok(Self {
            palm: Detector::new(
                palm,
                &SsdAnchorOptions::palm_detection_full(),
                PALM_DECODING,
            )?,
            landmark,
            options: HandOptions::default(),
        })
    }

    /// The same models with other thresholds.
    pub fn with_options(mut self, options: HandOptions) -> Self {
        self.palm.decoding.min_score = options.min_palm_score;
        self.options = options;
        self
    }

    /// The thresholds in use.
    pub fn options(&self) -> HandOptions {
        self.options
    }

    /// Finds hands: at most `max_hands`, best palm score first (mediapipe's
    /// order). A photo without hands gives an empty list.
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<HandLandmarks>, LandmarkError> {
        let mut hands = Vec::new();
        for palm in self.palms(image)? {
            let Some(rect) = Self::hand_rect(&palm) else {
                continue;
            };
            let found = self.landmarks_in(image, &rect)?;
            if found.presence.is_nan() || found.presence <= self.options.min_presence {
                continue;
            }
            hands.push(HandLandmarks {
                points: found.points,
                handedness: found.handedness,
                handedness_score: found.handedness_score,
                presence: found.presence,
                palm_score: palm.score,
                palm_box: palm
                    .bbox
                    .clipped(image.width() as f32, image.height() as f32),
            });
        }
        Ok(hands)
    }

    /// Stage 1: the palms (box and 7 keypoints in photo pixels, score), best
    /// first, at most `max_hands`. Keypoints: 0 wrist, 1 index finger base,
    /// 2 middle finger base, 3 ring finger base, 4 little finger base,
    /// 5 and 6 thumb.
    pub fn palms(&self, image: &RgbImage) -> Result<Vec<Detection>, LandmarkError> {
        self.palm.detect(image, self.options.max_hands)
    }

    /// Stage 2: the region the landmark model sees for a palm (photo
    /// pixels); `None` for a detection without the 7 palm keypoints.
    pub fn hand_rect(palm: &Detection) -> Option<RotatedRect> {
        HAND_ROI.rect(palm)
    }

    /// Stage 3: the landmark model on one region of the photo, whatever its
    /// presence score.
    pub fn landmarks_in(
        &self,
        image: &RgbImage,
        rect: &RotatedRect,
    ) -> Result<HandCrop, LandmarkError> {
        check_image(image)?;
        let outputs = self.landmark.run_on(image, rect, Border::Replicate)?;
        let raw = self.landmark.values(&outputs, 0)?;
        let presence = self.landmark.values(&outputs, 1)?;
        let left = self.landmark.values(&outputs, 2)?;
        let (Some(&presence), Some(&left)) = (presence.first(), left.first()) else {
            return Err(LandmarkError::UnexpectedOutputs {
                model: LANDMARK_MODEL_FILE,
                detail: "empty presence or handedness output".into(),
            });
        };
        let size = LANDMARK_INPUT_SIZE as f32;
        let z_scale = rect.width / image.width() as f32 / size / NORMALIZE_Z;
        let mut points = [Point3::default(); NUM_LANDMARKS];
        for (point, xyz) in points.iter_mut().zip(raw.chunks_exact(3)) {
            let p = rect.point_at(xyz[0] / size, xyz[1] / size);
            *point = Point3 {
                x: p.x,
                y: p.y,
                z: xyz[2] * z_scale,
            };
        }
        // Binary classification: the output is the probability of label 0
        // ("Left"); mediapipe reports the likelier label.
        let (handedness, handedness_score) = if left >= 0.5 {
            (Handedness::Left, left)
        } else {
            (Handedness::Right, 1.0 - left)
        };
        Ok(HandCrop {
            points,
            presence,
            handedness,
            handedness_score,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handedness_swaps_and_labels() {
        assert_eq!(Handedness::Left.swapped(), Handedness::Right);
        assert_eq!(Handedness::Right.swapped().label(), "Left");
    }

    #[test]
    fn pipeline_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<HandPipeline>();
    }

    #[test]
    fn missing_model_file_is_named() {
        let err =
            HandPipeline::load("/nonexistent/palm.onnx", "/nonexistent/hand.onnx").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/palm.onnx"), "{err}");
    }
}

//! Face landmarks: mediapipe's short-range face detector and its face mesh
//! model, run the way mediapipe's `FaceLandmarkFrontCpu` graph (the
//! `face_mesh` solution without iris refinement) runs them on a still
//! photo.
//!
//! 1. **Faces** (`face_detection_short_range`, 128 × 128, RGB in [-1, 1]):
//!    the photo letterboxed into a black square; per anchor (896, strides
//!    8/16/16/16) a box and 6 keypoints (eyes, nose tip, mouth, ears) as
//!    x, y, w, h offsets in input pixels, and a score logit (clipped to
//!    ±100, sigmoid, kept from 0.5); weighted NMS at IoU 0.3; the best face.
//! 2. **Face region**: the face box turned so that the line from one eye
//!    (keypoint 0) to the other (keypoint 1) is level, squared on the longer
//!    side and enlarged 1.5 times.
//! 3. **Landmarks** (`face_landmark`, 192 × 192, RGB in [0, 1]): that region
//!    cropped bilinearly (edge pixels repeated past the photo). The network
//!    gives 468 points (x, y, z in crop pixels) and a face logit; a region
//!    whose sigmoid is not above 0.5 is not a face.
//! 4. The points are mapped back through the crop into photo pixels.

use std::path::Path;

use image::RgbImage;

use crate::anchors::SsdAnchorOptions;
use crate::blaze::{DecodeOptions, Detection, RoiOptions};
use crate::crop::Border;
use crate::decoding::sigmoid;
use crate::geometry::{BoundingBox, Point3, RotatedRect};
use crate::landmark::{check_image, Detector, LandmarkError, Network};
use crate::preprocess::{ChannelOrder, Normalisation};

/// The face detector's file in `models/`.
pub const DETECTION_MODEL_FILE: &str = "face_detection_short_range.onnx";
/// The face landmark model's file in `models/`.
pub const LANDMARK_MODEL_FILE: &str = "face_landmark.onnx";
/// Side of the face detector's square input.
pub const DETECTION_INPUT_SIZE: u32 = 128;
/// Side of the face landmark model's square input.
pub const LANDMARK_INPUT_SIZE: u32 = 192;
/// Landmarks per face.
pub const NUM_LANDMARKS: usize = 468;

/// The detector takes RGB scaled to [-1, 1] (`face_detection.pbtxt`, and
/// the model's metadata: mean 127.5, std 127.5).
pub const DETECTION_NORMALISATION: Normalisation =
    Normalisation::signed_unit_range(ChannelOrder::Rgb);
/// The landmark model takes RGB scaled to [0, 1] (`face_landmark_cpu.pbtxt`,
/// and the model's metadata: mean 0, std 255).
pub const LANDMARK_NORMALISATION: Normalisation = Normalisation::unit_range(ChannelOrder::Rgb);

/// `face_detection.pbtxt`'s `TensorsToDetectionsCalculator` and
/// `NonMaxSuppressionCalculator` options, with the short-range model's
/// scales and threshold.
pub const DETECTION_DECODING: DecodeOptions = DecodeOptions {
    num_coords: 16,
    num_keypoints: 6,
    scale: DETECTION_INPUT_SIZE as f32,
    score_clip: 100.0,
    min_score: 0.5,
    iou: 0.3,
};

/// `face_detection_front_detection_to_roi.pbtxt`: eye to eye level, square,
/// 1.5 times the box.
pub const FACE_ROI: RoiOptions = RoiOptions {
    rotation_start: 0,
    rotation_end: 1,
    target_angle: 0.0,
    shift_x: 0.0,
    shift_y: 0.0,
    scale: 1.5,
};

/// The bytes of `models/face_detection_short_range.onnx`, compiled into the
/// binary.
#[cfg(feature = "embedded-model")]
pub static EMBEDDED_DETECTION_MODEL: &[u8] =
    include_bytes!("../models/face_detection_short_range.onnx");
/// The bytes of `models/face_landmark.onnx`, compiled into the binary.
#[cfg(feature = "embedded-model")]
pub static EMBEDDED_LANDMARK_MODEL: &[u8] = include_bytes!("../models/face_landmark.onnx");

const DETECTION_OUTPUTS: &[&[usize]] = &[&[1, 896, 16], &[1, 896, 1]];
const LANDMARK_OUTPUTS: &[&[usize]] = &[&[1, 1, 1, 3 * NUM_LANDMARKS], &[1, 1, 1, 1]];

/// One face found on a photo.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceLandmarks {
    /// Mediapipe's 468 face mesh points in its order (the canonical face
    /// mesh topology), in photo pixels.
    pub points: Vec<Point3>,
    /// The landmark model's probability that the crop shows a face, 0–1.
    pub score: f32,
    /// The face detector's score, 0–1.
    pub detection_score: f32,
    /// The detected face's box in photo pixels, clipped to the photo.
    pub face_box: BoundingBox,
}

/// Thresholds and limits of [`FacePipeline::detect`]; the defaults are
/// mediapipe's `face_mesh` defaults (`min_detection_confidence`,
/// `min_tracking_confidence`, `max_num_faces`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceOptions {
    /// Faces the detector scores below this are ignored.
    pub min_detection_score: f32,
    /// A crop is a face when the landmark model's score is above this.
    pub min_presence: f32,
    /// At most this many faces, the best detections first.
    pub max_faces: usize,
}

impl Default for FaceOptions {
    fn default() -> Self {
        Self {
            min_detection_score: 0.5,
            min_presence: 0.5,
            max_faces: 1,
        }
    }
}

/// What the landmark model says about one crop.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceCrop {
    /// The 468 points, photo pixels.
    pub points: Vec<Point3>,
    /// Probability that the crop shows a face.
    pub score: f32,
}

/// Face detector plus face mesh model: load once, share (`Send + Sync`;
/// wrap it in an `Arc`), call [`FacePipeline::detect`] from any thread.
#[derive(Debug, Clone)]
pub struct FacePipeline {
    detector: Detector,
    landmark: Network,
    options: FaceOptions,
}

impl FacePipeline {
    /// The models compiled into the binary, default options.
    #[cfg(feature = "embedded-model")]
    pub fn embedded() -> Result<Self, LandmarkError> {
        Self::from_bytes(EMBEDDED_DETECTION_MODEL, EMBEDDED_LANDMARK_MODEL)
    }

    /// The models from the bytes of their `.onnx` files, default options.
    /// Each is run once on a blank input, so a wrong file fails here.
    pub fn from_bytes(
        detection_model: &[u8],
        landmark_model: &[u8],
    ) -> Result<Self, LandmarkError> {
        let detector = Network::from_bytes(
            DETECTION_MODEL_FILE,
            detection_model,
            DETECTION_INPUT_SIZE,
            DETECTION_NORMALISATION,
            DETECTION_OUTPUTS,
        )?;
        let landmark = Network::from_bytes(
            LANDMARK_MODEL_FILE,
            landmark_model,
            LANDMARK_INPUT_SIZE,
            LANDMARK_NORMALISATION,
            LANDMARK_OUTPUTS,
        )?;
        Self::assemble(detector, landmark)
    }

    /// The models from files, e.g. `landmark::model_path(DETECTION_MODEL_FILE)`.
    pub fn load(
        detection_model: impl AsRef<Path>,
        landmark_model: impl AsRef<Path>,
    ) -> Result<Self, LandmarkError> {
        let detector = Network::load(
            DETECTION_MODEL_FILE,
            detection_model.as_ref(),
            DETECTION_INPUT_SIZE,
            DETECTION_NORMALISATION,
            DETECTION_OUTPUTS,
        )?;
        let landmark = Network::load(
            LANDMARK_MODEL_FILE,
            landmark_model.as_ref(),
            LANDMARK_INPUT_SIZE,
            LANDMARK_NORMALISATION,
            LANDMARK_OUTPUTS,
        )?;
        Self::assemble(detector, landmark)
    }

    fn assemble(detector: Network, landmark: Network) -> Result<Self, LandmarkError> {
        Ok(Self {
            detector: Detector::new(
                detector,
                &SsdAnchorOptions::face_detection_short_range(),
                DETECTION_DECODING,
            )?,
            landmark,
            options: FaceOptions::default(),
        })
    }

    /// The same models with other thresholds.
    pub fn with_options(mut self, options: FaceOptions) -> Self {
        self.detector.decoding.min_score = options.min_detection_score;
        self.options = options;
        self
    }

    /// The thresholds in use.
    pub fn options(&self) -> FaceOptions {
        self.options
    }

    /// Finds faces: at most `max_faces`, highest landmark score first. A
    /// photo without a face gives an empty list.
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<FaceLandmarks>, LandmarkError> {
        let mut faces = Vec::new();
        for detection in self.faces(image)? {
            let Some(rect) = Self::face_rect(&detection) else {
                continue;
            };
            let found = self.landmarks_in(image, &rect)?;
            if found.score.is_nan() || found.score <= self.options.min_presence {
                continue;
            }
            faces.push(FaceLandmarks {
                points: found.points,
                score: found.score,
                detection_score: detection.score,
                face_box: detection
                    .bbox
                    .clipped(image.width() as f32, image.height() as f32),
            });
        }
        faces.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(faces)
    }

    /// Stage 1: the face detections (box and 6 keypoints in photo pixels,
    /// score), best first, at most `max_faces`. Keypoints: 0 and 1 the eyes
    /// (0 is the one on the photo's left), 2 nose tip, 3 mouth centre, 4 and
    /// 5 the ear regions (tragions).
    pub fn faces(&self, image: &RgbImage) -> Result<Vec<Detection>, LandmarkError> {
        self.detector.detect(image, self.options.max_faces)
    }

    /// Stage 2: the region the landmark model sees for a detection (photo
    /// pixels); `None` for a detection without the eye keypoints.
    pub fn face_rect(detection: &Detection) -> Option<RotatedRect> {
        FACE_ROI.rect(detection)
    }

    /// Stage 3: the landmark model on one region of the photo, whatever its
    /// score.
    pub fn landmarks_in(
        &self,
        image: &RgbImage,
        rect: &RotatedRect,
    ) -> Result<FaceCrop, LandmarkError> {
        check_image(image)?;
        let outputs = self.landmark.run_on(image, rect, Border::Replicate)?;
        let raw = self.landmark.values(&outputs, 0)?;
        let flag = self.landmark.values(&outputs, 1)?;
        let Some(&flag) = flag.first() else {
            return Err(LandmarkError::UnexpectedOutputs {
                model: LANDMARK_MODEL_FILE,
                detail: "empty face flag output".into(),
            });
        };
        let size = LANDMARK_INPUT_SIZE as f32;
        let z_scale = rect.width / image.width() as f32 / size;
        let points = raw
            .chunks_exact(3)
            .map(|xyz| {
                let p = rect.point_at(xyz[0] / size, xyz[1] / size);
                Point3 {
                    x: p.x,
                    y: p.y,
                    z: xyz[2] * z_scale,
                }
            })
            .collect();
        Ok(FaceCrop {
            points,
            score: sigmoid(flag),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<FacePipeline>();
    }

    #[test]
    fn wrong_model_is_refused_at_load() {
        // The hand landmark model is no face detector: its input size is
        // wrong for the detector, so loading fails with the file's name.
        let hand = std::fs::read(crate::landmark::model_path(
            crate::hand::LANDMARK_MODEL_FILE,
        ))
        .expect("model file");
        let err = FacePipeline::from_bytes(&hand, &hand).unwrap_err();
        assert!(err.to_string().contains(DETECTION_MODEL_FILE), "{err}");
    }
}

//! Hand and face features as pure functions of mediapipe landmarks.
//!
//! No images, no models, no gRPC: the input is a landmark set in image
//! pixel coordinates — a hand's 21 points from mediapipe Hands with the
//! hand it is, a face's 468 points from Face Mesh — and the output is
//! ratios, angles, words and a shape class, with methods that give the
//! maps of the `fortune.rule` proto's `HandFeatures` and `FaceFeatures`.
//!
//! ```
//! use physiognomy::{face_features, hand_features, FeatureError, Handedness};
//!
//! # let hand = [[0.0f32; 3]; 21];
//! // An all-zero landmark set is refused, never measured into NaN.
//! assert!(matches!(
//!     hand_features(&hand, Handedness::Right),
//!     Err(FeatureError::Degenerate { .. })
//! ));
//! assert_eq!(
//!     face_features(&[[0.0; 3]; 478]).unwrap_err(),
//!     FeatureError::WrongCount { expected: 468, found: 478 }
//! );
//! ```
//!
//! * [`hand`]: [`hand_features`] — finger lengths in palm lengths and their
//!   ratios (2D:4D among them), palm ratio, finger gaps, thumb angle, which
//!   side faces the camera, the five-element hand type ([`HandShape`]).
//! * [`face`]: [`face_features`] — face ratio and shape ([`FaceShape`]), the
//!   three courts (三停), eye spacing and size, nose, mouth, brow height.
//! * [`keys`]: every map key and word, documented in one place.
//!
//! **Invariance.** Only the image-plane coordinates are used and every
//! feature is a ratio of lengths or an angle, so a landmark set scaled,
//! translated or rotated in the image plane gives the same features (the
//! tests check it). Every threshold is a named constant whose comment says
//! what it means and why it has its value.

mod error;
pub mod face;
mod geometry;
pub mod hand;
pub mod keys;

pub use error::FeatureError;
pub use face::{face_features, FaceFeatures, FaceShape, Measured, SanTing};
pub use geometry::MIN_RELATIVE_LENGTH;
pub use hand::{
    hand_features, Facing, Finger, FingerGaps, FingerLength, FingerRatios, HandFeatures, HandShape,
    Handedness,
};

//! Object detection and hand and face landmarks on photos, offline.
//!
//! * [`decode()`] turns upload bytes (JPEG, PNG or WebP) into upright RGB
//!   pixels, refusing oversized or malformed input before decoding it;
//!   [`probe()`] makes the same checks from the header alone.
//! * [`nanodet::Detector`] finds the 80 COCO object classes (cups,
//!   laptops, potted plants, books, …) with NanoDet.
//! * [`hand::HandPipeline`] finds up to two hands: 21 landmarks each in
//!   photo pixels, with mediapipe's handedness (which assumes a mirrored
//!   image, see [`hand::Handedness`]) and presence score.
//! * [`face::FacePipeline`] finds a face: mediapipe's 468 face mesh
//!   landmarks in photo pixels, with its score.
//!
//! Every network runs in tract from an ONNX file in `models/` (or compiled
//! in, with the `embedded-model` feature). The hand and face pipelines are
//! mediapipe's own (`HandLandmarkTrackingCpu`, `FaceLandmarkFrontCpu` in
//! static-image mode) rebuilt in Rust: the models of the mediapipe 0.10.21
//! wheel converted from TFLite, and its calculators' arithmetic — SSD
//! decoding against anchors, weighted NMS ([`blaze`]), the rotated region
//! around a palm or face, the region cropped with OpenCV's bilinear
//! fixed-point sampling ([`crop`]), landmarks projected back. On the test
//! photo the face landmarks land within 0.2 px of mediapipe's.
//!
//! The pieces are public and model-agnostic: [`preprocess`] (resize,
//! letterbox, normalise into NCHW/NHWC tensors), [`model::OnnxModel`] (load
//! once, run from many threads), [`decoding`] (sigmoid, softmax,
//! distribution expectation), [`anchors`] (mediapipe SSD anchors), [`nms`]
//! (plain, per-class and weighted NMS), [`blaze`], [`crop`] and
//! [`geometry`] (boxes, rotated rectangles, IoU, clipping, mapping back to
//! the photo).
//!
//! Nothing is downloaded at run time.

pub mod anchors;
pub mod blaze;
pub mod coco;
pub mod crop;
mod decode;
pub mod decoding;
pub mod face;
pub mod geometry;
pub mod hand;
pub mod landmark;
pub mod model;
pub mod nanodet;
pub mod nms;
pub mod preprocess;

pub use coco::CocoClass;
pub use decode::{
    decode, probe, DecodeError, MAX_IMAGE_BYTES, MAX_IMAGE_SIDE, MAX_PHOTO_REQUEST_BYTES,
};
pub use face::{FaceLandmarks, FaceOptions, FacePipeline};
pub use geometry::{BoundingBox, Point, Point3, RotatedRect};
pub use hand::{HandLandmarks, HandOptions, HandPipeline, Handedness};
pub use image::RgbImage;
pub use landmark::LandmarkError;
pub use nanodet::{Detection, Detector, DetectorError, Thresholds};

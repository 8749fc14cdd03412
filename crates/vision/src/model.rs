//! An ONNX network loaded once, optimised for one input shape, and shared
//! by every request.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tract_onnx::prelude::*;

/// Why a model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The model file could not be read.
    #[error("could not read the model file {path}: {source}; check that the file was deployed with the service")]
    Read {
        /// The path that was tried.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not an ONNX model tract can run at this input shape.
    #[error("the ONNX model could not be prepared for input {input_shape:?}: {detail}")]
    Invalid {
        /// The input shape the model was prepared for.
        input_shape: Vec<usize>,
        /// tract's explanation, with its causes.
        detail: String,
    },
    /// Running the network failed (typically an input of the wrong shape).
    #[error("running the network failed: {detail}")]
    Inference {
        /// tract's explanation, with its causes.
        detail: String,
    },
}

/// A runnable ONNX network with a fixed input shape.
///
/// Loading parses, type-checks and optimises the graph for that shape once;
/// [`OnnxModel::run`] only executes it. Cloning shares the prepared plan, and
/// concurrent `run` calls are independent (each gets its own scratch state),
/// so one instance can serve every request.
#[derive(Debug, Clone)]
pub struct OnnxModel {
    plan: Arc<TypedRunnableModel>,
    input_shape: Vec<usize>,
}

impl OnnxModel {
    /// Loads a model file, prepared for `input_shape` (f32 input).
    pub fn load(path: impl AsRef<Path>, input_shape: &[usize]) -> Result<Self, ModelError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ModelError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, input_shape)
    }

    /// Loads a model from the bytes of an `.onnx` file, prepared for
    /// `input_shape` (f32 input).
    pub fn from_bytes(bytes: &[u8], input_shape: &[usize]) -> Result<Self, ModelError> {
        let invalid = |e: TractError| ModelError::Invalid {
            input_shape: input_shape.to_vec(),
            detail: format!("{e:#}"),
        };
        let fact: InferenceFact = f32::fact(input_shape).into();
        let plan = tract_onnx::onnx()
            .model_for_read(&mut &bytes[..])
            .and_then(|model| model.with_input_fact(0, fact))
            .and_then(|model| model.into_optimized())
            .and_then(|model| model.into_runnable())
            .map_err(invalid)?;
        Ok(Self {
            plan,
            input_shape: input_shape.to_vec(),
        })
    }

    /// The input shape the model was prepared for.
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// Runs the network on one input tensor; returns every output in the
    /// model's output order.
    pub fn run(&self, input: Tensor) -> Result<Vec<Tensor>, ModelError> {
        if input.shape() != self.input_shape.as_slice() {
            return Err(ModelError::Inference {
                detail: format!(
                    "input has shape {:?}, the model was prepared for {:?}",
                    input.shape(),
                    self.input_shape
                ),
            });
        }
        let outputs = self
            .plan
            .run(tvec!(input.into()))
            .map_err(|e| ModelError::Inference {
                detail: format!("{e:#}"),
            })?;
        Ok(outputs.into_iter().map(|v| v.into_tensor()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_names_the_path() {
        let err = OnnxModel::load("/nonexistent/model.onnx", &[1, 3, 8, 8]).unwrap_err();
        assert!(matches!(err, ModelError::Read { .. }));
        assert!(err.to_string().contains("/nonexistent/model.onnx"), "{err}");
    }

    #[test]
    fn garbage_bytes_are_an_invalid_model() {
        let err = OnnxModel::from_bytes(b"not an onnx model", &[1, 3, 8, 8]).unwrap_err();
        assert!(matches!(err, ModelError::Invalid { .. }), "{err}");
        assert!(err.to_string().contains("[1, 3, 8, 8]"), "{err}");
    }

    #[test]
    fn is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<OnnxModel>();
    }
}

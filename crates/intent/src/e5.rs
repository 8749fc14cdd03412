//! The multilingual-e5-small model (crate `e5`) as an [`Embedder`]: where
//! services look for the model file, and loading it when it is there.
//!
//! The model is not in the repository (72 MB); `crates/e5/fetch-model.sh`
//! puts it into the intent data directory's `models/`. Without it the
//! classifier answers from the lexicon and the trained weights, and says so
//! in its signals.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::embed::{EmbedError, Embedder};

/// Names the model file explicitly, overriding the data directory's copy.
pub const MODEL_VAR: &str = "HIFATE_E5_MODEL";

/// The model's name in health checks and reasoning.
pub const MODEL_NAME: &str = "multilingual-e5-small (q4)";

/// Where the model is looked for: [`MODEL_VAR`] if set, else
/// `models/e5-small-q4.bin` in `data_dir`.
pub fn model_path(data_dir: &Path) -> PathBuf {
    match std::env::var_os(MODEL_VAR) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => data_dir.join("models").join(e5::E5_MODEL_FILE),
    }
}

/// [`e5::E5`] behind the classifier's [`Embedder`] trait.
pub struct E5Embedder(e5::E5);

impl E5Embedder {
    /// Loads the model at `path` (checked before the engine reads it).
    pub fn load(path: &Path) -> Result<E5Embedder, e5::E5Error> {
        e5::E5::load(path).map(E5Embedder)
    }
}

fn embed_error(error: e5::E5Error) -> EmbedError {
    match error {
        e5::E5Error::Text(problem) => EmbedError::Input(problem.to_string()),
        other => EmbedError::Model(other.to_string()),
    }
}

impl Embedder for E5Embedder {
    fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        self.0.embed(text).map_err(embed_error)
    }

    /// The engine's batch call: each weight matrix is read once for the
    /// whole batch, several times faster than one text at a time.
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.0.embed_batch(texts).map_err(embed_error)
    }

    fn name(&self) -> &str {
        MODEL_NAME
    }
}

/// The embedder when its model file exists; `None` when it does not (the
/// classifier then runs without embeddings). A file that exists but does
/// not load is an error: a broken install should be fixed, not ignored.
pub fn load_if_present(path: &Path) -> Result<Option<Arc<dyn Embedder>>, e5::E5Error> {
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(Arc::new(E5Embedder::load(path)?)))
}

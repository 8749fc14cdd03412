//! A model version: everything that decides how questions are classified,
//! serialisable so versions can be stored, compared and deployed.

use serde::{Deserialize, Serialize};

use crate::dataset::{self, Example};
use crate::embed::Prototypes;
use crate::lexicon::Lexicon;
use crate::logistic::{self, TrainedWeights, TrainingParams, TrainingRow};

/// Score thresholds (all on the combined 0–1 scale).
///
/// The embedding signal's `embedding_margin` and `embedding_floor`, with its
/// weight in [`SignalWeights`], were chosen by 4-fold cross-validation on the
/// training split of the labeled set, never on the held-out part
/// (`examples/tune.rs` prints the grid and the choice). The other thresholds,
/// the lexicon and classifier weights and the training parameters are set by
/// hand.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Thresholds {
    /// An intent whose combined score reaches this is selected.
    pub select: f32,
    /// If no intent reaches `select`, the best one is still taken when it
    /// reaches this; otherwise the question is read as `general`.
    pub fallback: f32,
    /// A best score below this makes the answer ambiguous.
    pub confident: f32,
    /// A runner-up within this distance of the best, yet not selected
    /// itself, makes the answer ambiguous.
    pub ambiguity_margin: f32,
    /// Relevance below this marks a question as not about fortune telling.
    pub relevance: f32,
    /// Cosine window of the embedding signal: an intent whose nearest
    /// prototype is this much less similar than the best one scores 0.
    pub embedding_margin: f32,
    /// Cosines at or below this carry no evidence.
    pub embedding_floor: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            select: 0.4,
            fallback: 0.2,
            confident: 0.5,
            ambiguity_margin: 0.12,
            relevance: 0.5,
            embedding_margin: 0.04,
            embedding_floor: 0.1,
        }
    }
}

/// How much each signal counts in the combined score. Only active signals
/// take part; the combination divides by the sum of their weights. The
/// embeddings' weight was chosen by cross-validation (see [`Thresholds`]);
/// a version that sets it to 0 runs without embeddings even where the model
/// is installed, and pays nothing for them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SignalWeights {
    pub lexicon: f32,
    pub classifier: f32,
    pub embeddings: f32,
}

impl Default for SignalWeights {
    fn default() -> Self {
        SignalWeights {
            lexicon: 0.5,
            classifier: 0.5,
            embeddings: 0.2,
        }
    }
}

/// One classifier version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVersion {
    /// "v1", "v2", …
    pub id: String,
    /// The version this one was derived from.
    pub parent: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    pub lexicon: Lexicon,
    /// The trained classifier; `None` runs on the lexicon (and embeddings).
    pub weights: Option<TrainedWeights>,
    pub prototypes: Prototypes,
    #[serde(default)]
    pub thresholds: Thresholds,
    #[serde(default)]
    pub signal_weights: SignalWeights,
    /// Questions learnt from feedback, carried into every later version so a
    /// correction is not forgotten by the next retraining.
    #[serde(default, deserialize_with = "dataset::lenient_examples")]
    pub feedback_examples: Vec<Example>,
    #[serde(default)]
    pub notes: String,
}

/// How much a feedback question counts against a labeled one in training:
/// a user's correction is direct evidence about a question the model got
/// wrong, so it must outweigh the labeled questions that misled it.
pub const FEEDBACK_WEIGHT: f32 = 3.0;

/// Training rows for the labeled examples plus feedback examples (weighted).
/// The lexicon's scores are features too (see [`crate::logistic`]).
pub fn training_rows(
    lexicon: &Lexicon,
    labeled: &[Example],
    feedback: &[Example],
    feedback_weight: f32,
) -> Vec<TrainingRow> {
    let row = |e: &Example, weight: f32| {
        let normalized = crate::text::normalize(&e.question);
        TrainingRow {
            scores: lexicon.hits(&normalized).score_features(),
            features: crate::text::features(&normalized),
            intents: e.intents.clone(),
            fortune_related: e.fortune_related,
            weight,
        }
    };
    labeled
        .iter()
        .map(|e| row(e, 1.0))
        .chain(feedback.iter().map(|e| row(e, feedback_weight)))
        .collect()
}

impl ModelVersion {
    /// The first version: the built-in lexicon and prototypes, and the
    /// classifier trained on the training split of the labeled set.
    /// Deterministic: every call returns an identical version.
    pub fn baseline() -> ModelVersion {
        let lexicon = Lexicon::builtin();
        let rows = training_rows(&lexicon, &dataset::train_split(), &[], 1.0);
        let weights = logistic::train(&rows, TrainingParams::default());
        ModelVersion {
            id: "v1".to_owned(),
            parent: None,
            created_at: 0,
            lexicon,
            weights: Some(weights),
            prototypes: Prototypes::builtin(),
            thresholds: Thresholds::default(),
            signal_weights: SignalWeights::default(),
            feedback_examples: Vec::new(),
            notes: format!(
                "baseline: built-in lexicon, classifier trained on {} labeled questions",
                rows.len()
            ),
        }
    }

    /// The baseline without a trained classifier: lexicon (and embeddings,
    /// when an embedder is given) only. The fallback when no weights exist.
    pub fn lexicon_only() -> ModelVersion {
        ModelVersion {
            id: "lexicon".to_owned(),
            parent: None,
            created_at: 0,
            lexicon: Lexicon::builtin(),
            weights: None,
            prototypes: Prototypes::builtin(),
            thresholds: Thresholds::default(),
            signal_weights: SignalWeights::default(),
            feedback_examples: Vec::new(),
            notes: "built-in lexicon only".to_owned(),
        }
    }

    /// The same version under another id, parent and time (for storing a
    /// baseline or a copy as a new version).
    pub fn renamed(mut self, id: String, parent: Option<String>, created_at: i64) -> ModelVersion {
        self.id = id;
        self.parent = parent;
        self.created_at = created_at;
        self
    }
}

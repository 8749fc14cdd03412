//! One-vs-rest logistic regression over sparse binary features, trained by
//! AdaGrad stochastic gradient descent.
//!
//! Besides the text features, every row carries the lexicon's per-intent
//! scores as real-valued features (`lex:career`, …, `lex:off_topic`). The
//! classifier thus learns how far to trust each part of the lexicon and
//! where the text contradicts it (stacking), instead of the two being
//! averaged blindly.
//!
//! Hand-written rather than `linfa-logistic` or `smartcore`: those fit dense
//! `ndarray` matrices (here a few hundred rows by several thousand sparse
//! columns), their fitted models serialise as library-internal structures
//! that would tie stored versions to a library release, and their solvers
//! give no control over per-example weights, which the feedback loop needs.
//! The model here is a vocabulary, a bias and a weight vector per head:
//! plain JSON that any later version can read. Training is deterministic
//! (fixed example order, no randomness), so the same data gives the same
//! weights on every run.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::intents::Intent;

/// A linear scorer: `sigmoid(bias + Σ weights[f] · x_f)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearHead {
    pub bias: f32,
    /// One weight per vocabulary entry.
    pub weights: Vec<f32>,
}

/// The trained classifier of a model version: one head per intent and a
/// relevance head (fortune telling or not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainedWeights {
    /// Feature names (see [`crate::text::features`]); position = index.
    pub vocabulary: Vec<String>,
    #[serde(deserialize_with = "crate::intents::lenient_map")]
    pub intents: BTreeMap<Intent, LinearHead>,
    /// Probability that a question is about fortune telling at all.
    pub relevance: LinearHead,
    pub training: TrainingParams,
}

/// The knobs of training, kept with the weights so a version says how it
/// was made.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainingParams {
    pub epochs: u32,
    pub learning_rate: f32,
    pub l2: f32,
    /// Upper bound of the weight that balances a rare class against a
    /// common one.
    pub max_class_weight: f32,
}

impl Default for TrainingParams {
    fn default() -> Self {
        TrainingParams {
            epochs: 40,
            learning_rate: 0.5,
            l2: 1e-4,
            max_class_weight: 4.0,
        }
    }
}

/// One training row: feature names, labels, and how much it counts.
#[derive(Debug, Clone)]
pub struct TrainingRow {
    /// Binary text features.
    pub features: Vec<String>,
    /// Real-valued features (the lexicon's scores), used as they are.
    pub scores: Vec<(String, f32)>,
    pub intents: Vec<Intent>,
    pub fortune_related: bool,
    pub weight: f32,
}

/// A question's features as vocabulary indices with the value each carries
/// (binary features scaled to unit length, so long questions do not shout).
#[derive(Debug, Clone, Default)]
pub struct SparseVector {
    pub entries: Vec<(u32, f32)>,
}

/// Maps feature names to indices for fast scoring.
#[derive(Debug, Clone, Default)]
pub struct VocabularyIndex {
    index: HashMap<String, u32>,
}

impl VocabularyIndex {
    pub fn new(vocabulary: &[String]) -> VocabularyIndex {
        let index = vocabulary
            .iter()
            .enumerate()
            .filter_map(|(i, f)| u32::try_from(i).ok().map(|i| (f.clone(), i)))
            .collect();
        VocabularyIndex { index }
    }

    /// Known features of a question as a unit-length sparse vector. Unknown
    /// features are dropped; the scale still counts them, so a question made
    /// mostly of unseen text gets weak scores instead of confident ones.
    pub fn vectorize(&self, features: &[String], scores: &[(String, f32)]) -> SparseVector {
        let value = 1.0 / (features.len().max(1) as f32).sqrt();
        let mut entries: Vec<(u32, f32)> = features
            .iter()
            .filter_map(|f| self.index.get(f).map(|i| (*i, value)))
            .chain(
                scores
                    .iter()
                    .filter_map(|(f, v)| self.index.get(f).map(|i| (*i, *v))),
            )
            .collect();
        entries.sort_unstable_by_key(|e| e.0);
        entries.dedup_by_key(|e| e.0);
        SparseVector { entries }
    }
}

pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

impl LinearHead {
    pub fn logit(&self, x: &SparseVector) -> f32 {
        self.bias
            + x.entries
                .iter()
                .map(|(i, v)| self.weights.get(*i as usize).copied().unwrap_or(0.0) * v)
                .sum::<f32>()
    }

    pub fn probability(&self, x: &SparseVector) -> f32 {
        sigmoid(self.logit(x))
    }

    /// The features that pushed this head up the most for `x`, strongest
    /// first, as (index, contribution).
    pub fn top_contributions(&self, x: &SparseVector, n: usize) -> Vec<(u32, f32)> {
        let mut c: Vec<(u32, f32)> = x
            .entries
            .iter()
            .map(|(i, v)| {
                (
                    *i,
                    self.weights.get(*i as usize).copied().unwrap_or(0.0) * v,
                )
            })
            .filter(|(_, c)| *c > 0.0)
            .collect();
        c.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        c.truncate(n);
        c
    }
}

/// Trains all heads on `rows`. The vocabulary is every feature seen in the
/// rows, sorted, so it does not depend on row order.
pub fn train(rows: &[TrainingRow], params: TrainingParams) -> TrainedWeights {
    let mut vocabulary: Vec<String> = rows
        .iter()
        .flat_map(|r| {
            r.features
                .iter()
                .cloned()
                .chain(r.scores.iter().map(|(f, _)| f.clone()))
        })
        .collect();
    vocabulary.extend(crate::lexicon::LexiconHits::score_feature_names());
    vocabulary.sort_unstable();
    vocabulary.dedup();
    let index = VocabularyIndex::new(&vocabulary);
    let vectors: Vec<SparseVector> = rows
        .iter()
        .map(|r| index.vectorize(&r.features, &r.scores))
        .collect();
    let dim = vocabulary.len();

    let mut intents = BTreeMap::new();
    for intent in Intent::ALL {
        let labels: Vec<bool> = rows.iter().map(|r| r.intents.contains(&intent)).collect();
        intents.insert(intent, train_head(&vectors, &labels, rows, dim, params));
    }
    let labels: Vec<bool> = rows.iter().map(|r| r.fortune_related).collect();
    let relevance = train_head(&vectors, &labels, rows, dim, params);
    TrainedWeights {
        vocabulary,
        intents,
        relevance,
        training: params,
    }
}

/// A fixed visiting order that interleaves the rows (a stride coprime with
/// the row count), so SGD does not see all rows of one intent in a block, as
/// it would in file order, without using a random generator.
fn visiting_order(n: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let mut stride = (n as f64 * 0.618).round().max(1.0) as usize;
    while gcd(stride, n) != 1 {
        stride += 1;
    }
    (0..n).map(|k| (k * stride) % n).collect()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn train_head(
    vectors: &[SparseVector],
    labels: &[bool],
    rows: &[TrainingRow],
    dim: usize,
    params: TrainingParams,
) -> LinearHead {
    let positives: f32 = labels
        .iter()
        .zip(rows)
        .filter(|(l, _)| **l)
        .map(|(_, r)| r.weight)
        .sum();
    let negatives: f32 = labels
        .iter()
        .zip(rows)
        .filter(|(l, _)| !**l)
        .map(|(_, r)| r.weight)
        .sum();
    // The rarer class gets its rows weighted up (square root of the
    // imbalance, capped), so a head for a rare intent does not learn
    // "always no" and the relevance head does not learn "always yes".
    let balance = |minority: f32, majority: f32| {
        if minority > 0.0 {
            (majority / minority)
                .sqrt()
                .clamp(1.0, params.max_class_weight)
        } else {
            1.0
        }
    };
    let (positive_weight, negative_weight) = if positives <= negatives {
        (balance(positives, negatives), 1.0)
    } else {
        (1.0, balance(negatives, positives))
    };

    let mut w = vec![0.0f32; dim];
    let mut g2 = vec![1e-8f32; dim];
    let mut bias = 0.0f32;
    let mut bias_g2 = 1e-8f32;
    let order = visiting_order(vectors.len());
    for _ in 0..params.epochs {
        for &k in &order {
            let x = &vectors[k];
            let y = if labels[k] { 1.0 } else { 0.0 };
            let class_weight = if labels[k] {
                positive_weight
            } else {
                negative_weight
            };
            let weight = class_weight * rows[k].weight;
            let z = bias
                + x.entries
                    .iter()
                    .map(|(i, v)| w[*i as usize] * v)
                    .sum::<f32>();
            let err = (sigmoid(z) - y) * weight;
            for (i, v) in &x.entries {
                let i = *i as usize;
                let g = err * v + params.l2 * w[i];
                g2[i] += g * g;
                w[i] -= params.learning_rate * g / g2[i].sqrt();
            }
            bias_g2 += err * err;
            bias -= params.learning_rate * err / bias_g2.sqrt();
        }
    }
    LinearHead { bias, weights: w }
}

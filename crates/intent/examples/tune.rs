//! Chooses the embedding signal's weight, margin and floor by k-fold
//! cross-validation on the training split of the labeled set (the held-out
//! part is never looked at), and prints the grid and the choice.
//!
//! For each of [`FOLDS`] folds of the training split, a classifier is
//! trained on the other folds (as `ModelVersion::baseline` trains on the
//! whole split) and every grid point classifies the fold it did not see,
//! with the multilingual-e5-small embeddings. A grid point's score is the
//! mean over folds of accuracy and macro-F1; the best mean of the two wins,
//! ties going to the smaller weight (the embedding costs a model run per
//! question). "no embeddings" is the same classifiers without the signal:
//! the choice only enables embeddings if they beat it.
//!
//! Every text is embedded once, up front (the engine's batch call); the grid
//! then reuses the vectors.
//!
//! `HIFATE_E5_MODEL=… cargo run --release -p intent --features e5 --example tune`

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use intent::dataset::{self, Example};
use intent::logistic::{self, TrainingParams};
use intent::time::Date;
use intent::version::training_rows;
use intent::{evaluate, Classifier, EmbedError, Embedder, ModelVersion};

/// Folds of the training split.
const FOLDS: usize = 4;
/// Weights of the embedding signal tried (the lexicon and the classifier
/// weigh 0.5 each).
const WEIGHTS: [f32; 6] = [0.1, 0.2, 0.3, 0.5, 0.8, 1.2];
/// Cosine windows tried (`thresholds.embedding_margin`).
const MARGINS: [f32; 5] = [0.01, 0.02, 0.04, 0.08, 0.16];
/// Cosines that carry no evidence, tried (`thresholds.embedding_floor`):
/// e5 places any two Chinese questions near 0.75, so the floor matters only
/// above that.
const FLOORS: [f32; 3] = [0.1, 0.85, 0.9];

/// Vectors computed once, answered by text; anything else goes to the model.
struct Precomputed {
    model: Arc<dyn Embedder>,
    vectors: HashMap<String, Vec<f32>>,
}

impl Precomputed {
    fn new(model: Arc<dyn Embedder>, texts: &[&str]) -> Result<Precomputed, EmbedError> {
        let mut vectors = HashMap::new();
        for chunk in texts.chunks(64) {
            for (text, vector) in chunk.iter().zip(model.embed_batch(chunk)?) {
                vectors.insert((*text).to_owned(), vector);
            }
        }
        Ok(Precomputed { model, vectors })
    }
}

impl Embedder for Precomputed {
    fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        match self.vectors.get(text) {
            Some(vector) => Ok(vector.clone()),
            None => self.model.embed(text),
        }
    }

    fn name(&self) -> &str {
        self.model.name()
    }
}

/// Mean accuracy and macro-F1 over the folds.
#[derive(Debug, Clone, Copy, Default)]
struct Score {
    accuracy: f32,
    macro_f1: f32,
}

impl Score {
    fn mean(&self) -> f32 {
        (self.accuracy + self.macro_f1) / 2.0
    }
}

/// One fold: the version trained without it, and its questions.
struct Fold {
    version: ModelVersion,
    questions: Vec<Example>,
}

fn folds(train: &[Example]) -> Vec<Fold> {
    let template = ModelVersion::baseline();
    (0..FOLDS)
        .map(|k| {
            let of_folds = |wanted: &dyn Fn(usize) -> bool| -> Vec<Example> {
                train
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| wanted(i % FOLDS))
                    .map(|(_, e)| e.clone())
                    .collect()
            };
            let rest = of_folds(&|fold| fold != k);
            let rows = training_rows(&template.lexicon, &rest, &[], 1.0);
            let mut version = template.clone();
            version.weights = Some(logistic::train(&rows, TrainingParams::default()));
            Fold {
                version,
                questions: of_folds(&|fold| fold == k),
            }
        })
        .collect()
}

fn score(
    folds: &[Fold],
    embedder: Option<Arc<dyn Embedder>>,
    adjust: impl Fn(&mut ModelVersion),
    today: Date,
) -> Result<Score, Box<dyn std::error::Error>> {
    let mut total = Score::default();
    for fold in folds {
        let mut version = fold.version.clone();
        adjust(&mut version);
        let classifier = Classifier::new(version, embedder.clone())?;
        let eval = evaluate(&classifier, &fold.questions, today);
        total.accuracy += eval.accuracy / folds.len() as f32;
        total.macro_f1 += eval.macro_f1 / folds.len() as f32;
    }
    Ok(total)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::var_os(intent::e5::MODEL_VAR) else {
        return Err(format!(
            "set {} to the model file (crates/e5/fetch-model.sh DIR fetches it)",
            intent::e5::MODEL_VAR
        )
        .into());
    };
    let today = Date::from_calendar_date(2026, time::Month::November, 25)?;
    let train = dataset::train_split();
    let started = Instant::now();
    let model: Arc<dyn Embedder> = Arc::new(intent::e5::E5Embedder::load(path.as_ref())?);
    let prototypes = ModelVersion::baseline().prototypes;
    let texts: Vec<&str> = train
        .iter()
        .map(|e| e.question.as_str())
        .chain(prototypes.intents.values().flatten().map(String::as_str))
        .chain(prototypes.off_topic.iter().map(String::as_str))
        .collect();
    let embedder: Arc<dyn Embedder> = Arc::new(Precomputed::new(model, &texts)?);
    println!(
        "{} training questions (held-out part untouched), {FOLDS} folds; {} texts embedded in {:.1} s",
        train.len(),
        texts.len(),
        started.elapsed().as_secs_f64()
    );

    let folds = folds(&train);
    let without = score(&folds, None, |_| {}, today)?;
    println!(
        "{:<28} accuracy {:.3}  macro-F1 {:.3}  mean {:.3}",
        "no embeddings",
        without.accuracy,
        without.macro_f1,
        without.mean()
    );
    println!("weight  margin  floor  accuracy  macro-F1  mean");
    let mut best: Option<(f32, f32, f32, Score)> = None;
    for weight in WEIGHTS {
        for margin in MARGINS {
            for floor in FLOORS {
                let s = score(
                    &folds,
                    Some(embedder.clone()),
                    |v| {
                        v.signal_weights.embeddings = weight;
                        v.thresholds.embedding_margin = margin;
                        v.thresholds.embedding_floor = floor;
                    },
                    today,
                )?;
                println!(
                    "{weight:>6.2}  {margin:>6.2}  {floor:>5.2}  {:>8.3}  {:>8.3}  {:.3}",
                    s.accuracy,
                    s.macro_f1,
                    s.mean()
                );
                // Strictly better only: at equal scores the smaller weight,
                // tried first, stays.
                if best.is_none_or(|(.., b)| s.mean() > b.mean() + 1e-6) {
                    best = Some((weight, margin, floor, s));
                }
            }
        }
    }
    match best {
        Some((weight, margin, floor, s)) if s.mean() > without.mean() + 1e-6 => println!(
            "choice: weight {weight:.2}, margin {margin:.2}, floor {floor:.2} (mean {:.3} against {:.3} without embeddings)",
            s.mean(),
            without.mean()
        ),
        Some((weight, margin, floor, s)) => println!(
            "choice: weight 0 (embeddings off): the best grid point (weight {weight:.2}, margin {margin:.2}, floor {floor:.2}, mean {:.3}) does not beat {:.3} without embeddings",
            s.mean(),
            without.mean()
        ),
        None => println!("choice: weight 0 (embeddings off): no grid point"),
    }
    Ok(())
}

//! Deriving a new model version from feedback.
//!
//! [`propose`] does three things:
//!
//! 1. **Retrains** the classifier on the labeled training split plus every
//!    feedback question that tells its true intents (this round's and those
//!    carried by the current version), feedback counting
//!    [`FEEDBACK_WEIGHT`] times a labeled question. A question a user
//!    marked off-topic ([`Correction::OffTopic`]) is a negative of the
//!    relevance head, as the labeled off-topic questions are. If a corrected
//!    question is still misread, its weight is doubled and training repeats
//!    (at most [`MAX_ROUNDS`] times), so a user's correction sticks.
//! 2. **Proposes lexicon terms** from misclassified questions: each jieba
//!    word (two characters or more, not a stop word) of a question whose
//!    correct intent was missed is scored by the log-odds ratio of that
//!    intent against all other questions of the training corpus; words at or
//!    above [`ADD_LOG_ODDS`] are added with a weight growing with the score.
//!    Words of a question marked off-topic are scored the same way for the
//!    off-topic questions and join the lexicon's off-topic terms: while a
//!    fortune term of the lexicon fires and no off-topic one does, the
//!    lexicon alone keeps the question relevant.
//! 3. **Removes lexicon terms** that fired for a wrongly predicted intent and
//!    whose log-odds for that intent, with the corrections counted, are
//!    below [`REMOVE_LOG_ODDS`]: the corpus no longer supports them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::classifier::Classifier;
use crate::dataset::{self, Example};
use crate::embed::Prototypes;
use crate::eval::predicted_set;
use crate::feedback::{Correction, Feedback, Verdict};
use crate::intents::Intent;
use crate::logistic::{self, TrainingParams, TrainingRow};
use crate::text;
use crate::time::Date;
use crate::version::{ModelVersion, FEEDBACK_WEIGHT};

/// Log-odds at or above which a word becomes a lexicon term.
pub const ADD_LOG_ODDS: f32 = 2.0;
/// Log-odds below which a misleading term is removed.
pub const REMOVE_LOG_ODDS: f32 = 1.0;
/// Training rounds at most (each doubles the weight of still-misread
/// feedback questions).
pub const MAX_ROUNDS: usize = 4;

/// A proposed version and what changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Improvement {
    pub version: ModelVersion,
    pub added_terms: Vec<(Intent, String)>,
    /// Terms added to the lexicon's off-topic list, from questions users
    /// said are not about fortune telling.
    pub added_off_topic_terms: Vec<String>,
    pub removed_terms: Vec<(Intent, String)>,
    pub reasoning: String,
}

/// A question of the corpus with its weight, for log-odds.
struct Doc {
    text: String,
    intents: Vec<Intent>,
    fortune_related: bool,
    weight: f32,
}

/// Log-odds ratio (0.5-smoothed) that a text containing `term` is one of
/// the documents `member` picks (those of an intent, or the off-topic ones)
/// rather than another.
fn log_odds(docs: &[Doc], term: &str, member: impl Fn(&Doc) -> bool) -> f32 {
    let (mut n_c, mut total_c, mut n_o, mut total_o) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
    for d in docs {
        let has = d.text.contains(term);
        if member(d) {
            total_c += d.weight;
            if has {
                n_c += d.weight;
            }
        } else {
            total_o += d.weight;
            if has {
                n_o += d.weight;
            }
        }
    }
    ((n_c + 0.5) / (total_c - n_c + 0.5)).ln() - ((n_o + 0.5) / (total_o - n_o + 0.5)).ln()
}

/// Feedback examples of `current` and of `feedback` together; a later
/// verdict on the same question replaces an earlier one.
fn merged_examples(current: &ModelVersion, feedback: &[Feedback]) -> Vec<Example> {
    let mut by_question: BTreeMap<String, (usize, Example)> = BTreeMap::new();
    let newer = feedback.iter().filter_map(Feedback::example);
    for (order, e) in current
        .feedback_examples
        .iter()
        .cloned()
        .chain(newer)
        .enumerate()
    {
        by_question.insert(e.question.clone(), (order, e));
    }
    let mut v: Vec<(usize, Example)> = by_question.into_values().collect();
    v.sort_by_key(|(o, _)| *o);
    v.into_iter().map(|(_, e)| e).collect()
}

/// Adds a corrected question to a prototype list, dropping the oldest past
/// [`Prototypes::MAX_PER_INTENT`] (each costs an embedding per build).
fn add_prototype(list: &mut Vec<String>, question: &str) {
    let question = question.trim().to_owned();
    if !list.contains(&question) {
        list.push(question);
    }
    while list.len() > Prototypes::MAX_PER_INTENT {
        list.remove(0);
    }
}

/// A proposed term's lexicon weight, growing with its log-odds: a hint at
/// the threshold, a term that names its subject alone from 4 up.
fn term_weight(log_odds: f32) -> f32 {
    (log_odds / 4.0).clamp(0.4, 1.0)
}

fn reference_day() -> Date {
    Date::from_calendar_date(2026, ::time::Month::January, 1).unwrap_or(Date::MIN)
}

/// Builds the next version from `current` and the feedback.
pub fn propose(
    current: &ModelVersion,
    feedback: &[Feedback],
    new_id: String,
    now: i64,
) -> Improvement {
    let labeled = dataset::train_split();
    let learned = merged_examples(current, feedback);
    let corrections: Vec<&Feedback> = feedback
        .iter()
        .filter(|f| f.verdict() == Verdict::Corrected)
        .collect();

    let docs: Vec<Doc> = labeled
        .iter()
        .map(|e| (e, 1.0))
        .chain(learned.iter().map(|e| (e, FEEDBACK_WEIGHT)))
        .map(|(e, weight)| Doc {
            text: text::normalize(&e.question),
            intents: e.intents.clone(),
            fortune_related: e.fortune_related,
            weight,
        })
        .collect();

    let mut lexicon = current.lexicon.clone();
    let mut added: Vec<(Intent, String, f32)> = Vec::new();
    let mut added_off_topic: Vec<(String, f32)> = Vec::new();
    let mut removed: Vec<(Intent, String, f32)> = Vec::new();
    for f in &corrections {
        let normalized = text::normalize(&f.question);
        let truth = f.truth().unwrap_or_default();
        let words: Vec<&str> = text::words(&normalized)
            .into_iter()
            .filter(|w| text::is_candidate_term(w))
            .collect();
        if f.corrected == Some(Correction::OffTopic) {
            for word in &words {
                if lexicon.off_topic.contains_key(*word)
                    || added_off_topic.iter().any(|(w, _)| w == word)
                {
                    continue;
                }
                let lo = log_odds(&docs, word, |d| !d.fortune_related);
                if lo >= ADD_LOG_ODDS {
                    added_off_topic.push(((*word).to_owned(), lo));
                }
            }
        }
        for intent in truth.iter().filter(|i| !f.predicted.contains(i)) {
            for word in &words {
                if lexicon.contains(*intent, word)
                    || added.iter().any(|(i, w, _)| i == intent && w == word)
                {
                    continue;
                }
                let lo = log_odds(&docs, word, |d| d.intents.contains(intent));
                if lo >= ADD_LOG_ODDS {
                    added.push((*intent, (*word).to_owned(), lo));
                }
            }
        }
        let hits = lexicon.hits(&normalized);
        for intent in f.predicted.iter().filter(|i| !truth.contains(i)) {
            for hit in &hits.intents[intent.index()] {
                let lo = log_odds(&docs, &hit.term, |d| d.intents.contains(intent));
                if lo < REMOVE_LOG_ODDS
                    && !removed
                        .iter()
                        .any(|(i, t, _)| i == intent && *t == hit.term)
                {
                    removed.push((*intent, hit.term.clone(), lo));
                }
            }
        }
    }
    for (intent, term, lo) in &added {
        lexicon
            .intents
            .entry(*intent)
            .or_default()
            .insert(term.clone(), term_weight(*lo));
    }
    for (term, lo) in &added_off_topic {
        lexicon.off_topic.insert(term.clone(), term_weight(*lo));
    }
    for (intent, term, _) in &removed {
        if let Some(terms) = lexicon.intents.get_mut(intent) {
            terms.remove(term);
        }
    }

    let mut prototypes: Prototypes = current.prototypes.clone();
    for f in &corrections {
        match &f.corrected {
            Some(Correction::OffTopic) => add_prototype(&mut prototypes.off_topic, &f.question),
            _ => {
                for intent in f.truth().unwrap_or_default() {
                    add_prototype(prototypes.intents.entry(intent).or_default(), &f.question);
                }
            }
        }
    }

    let params = current
        .weights
        .as_ref()
        .map_or_else(TrainingParams::default, |w| w.training);
    let mut extra_weight = vec![FEEDBACK_WEIGHT; learned.len()];
    let base_rows = crate::version::training_rows(&lexicon, &labeled, &learned, FEEDBACK_WEIGHT);
    let mut version = ModelVersion {
        id: new_id,
        parent: Some(current.id.clone()),
        created_at: now,
        lexicon,
        weights: None,
        prototypes,
        thresholds: current.thresholds,
        signal_weights: current.signal_weights,
        feedback_examples: learned.clone(),
        notes: String::new(),
    };
    let mut rounds = 0;
    let mut still_wrong: Vec<String> = Vec::new();
    while rounds < MAX_ROUNDS {
        rounds += 1;
        let rows: Vec<TrainingRow> = base_rows
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let mut r = r.clone();
                if k >= labeled.len() {
                    r.weight = extra_weight[k - labeled.len()];
                }
                r
            })
            .collect();
        version.weights = Some(logistic::train(&rows, params));
        still_wrong.clear();
        let Ok(check) = Classifier::new(version.clone(), None) else {
            break;
        };
        for (k, e) in learned.iter().enumerate() {
            if predicted_set(&check.classify(&e.question, reference_day())) != e.intents {
                extra_weight[k] *= 2.0;
                still_wrong.push(e.question.clone());
            }
        }
        if still_wrong.is_empty() {
            break;
        }
    }

    let mut reasoning = format!(
        "{} from {}: retrained on {} labeled and {} feedback questions ({} corrected in this round) in {} training round(s)",
        version.id,
        current.id,
        labeled.len(),
        learned.len(),
        corrections.len(),
        rounds
    );
    if added.is_empty() {
        reasoning.push_str("; no lexicon terms added");
    } else {
        let list: Vec<String> = added
            .iter()
            .map(|(i, t, lo)| format!("{t} → {i} (log-odds {lo:.1})"))
            .collect();
        reasoning.push_str(&format!("; added {}", list.join(", ")));
    }
    if !added_off_topic.is_empty() {
        let list: Vec<String> = added_off_topic
            .iter()
            .map(|(t, lo)| format!("{t} → off-topic (log-odds {lo:.1})"))
            .collect();
        reasoning.push_str(&format!("; added {}", list.join(", ")));
    }
    if !removed.is_empty() {
        let list: Vec<String> = removed
            .iter()
            .map(|(i, t, lo)| {
                format!("{t} from {i} (log-odds {lo:.1}, misled corrected questions)")
            })
            .collect();
        reasoning.push_str(&format!("; removed {}", list.join(", ")));
    }
    if !still_wrong.is_empty() {
        reasoning.push_str(&format!("; still misread: {}", still_wrong.join(" / ")));
    }
    version.notes = reasoning.clone();
    Improvement {
        version,
        added_terms: added.into_iter().map(|(i, t, _)| (i, t)).collect(),
        added_off_topic_terms: added_off_topic.into_iter().map(|(t, _)| t).collect(),
        removed_terms: removed.into_iter().map(|(i, t, _)| (i, t)).collect(),
        reasoning,
    }
}

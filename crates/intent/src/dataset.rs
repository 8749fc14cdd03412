//! The project's labeled questions (`data/labeled.tsv`) and their fixed
//! train / held-out split.
//!
//! File format: one question per line, tab-separated columns `question`,
//! `intents` (comma-separated intent names; `off_topic` or empty for a
//! question outside fortune telling) and optional notes. Lines starting
//! with `#` are comments.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::intents::{sorted_set, Intent, OFF_TOPIC};
use crate::text::fnv1a;

const LABELED: &str = include_str!("../data/labeled.tsv");

/// A question with its correct intents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    pub question: String,
    /// Sorted; empty for an off-topic question.
    pub intents: Vec<Intent>,
    pub fortune_related: bool,
}

impl Example {
    /// A fortune question with the given intents (sorted, deduplicated).
    pub fn fortune(question: &str, intents: &[Intent]) -> Example {
        Example {
            question: question.to_owned(),
            intents: sorted_set(intents),
            fortune_related: true,
        }
    }

    /// A question outside fortune telling.
    pub fn off_topic(question: &str) -> Example {
        Example {
            question: question.to_owned(),
            intents: Vec::new(),
            fortune_related: false,
        }
    }
}

/// Deserialises stored examples (a version's feedback examples), skipping
/// intent names this release does not know, as [`crate::intents`] does for
/// a version's maps. A fortune question left without any known intent is
/// dropped: it teaches nothing this release can answer.
pub(crate) fn lenient_examples<'de, D>(deserializer: D) -> Result<Vec<Example>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    struct Stored {
        question: String,
        intents: Vec<String>,
        fortune_related: bool,
    }
    let stored = Vec::<Stored>::deserialize(deserializer)?;
    Ok(stored
        .into_iter()
        .filter_map(|s| {
            let known: Vec<Intent> = s.intents.iter().filter_map(|n| n.parse().ok()).collect();
            match (s.fortune_related, known.is_empty()) {
                (false, _) => Some(Example::off_topic(&s.question)),
                (true, false) => Some(Example::fortune(&s.question, &known)),
                (true, true) => None,
            }
        })
        .collect())
}

/// A line of the labeled set that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("labeled set line {line}: {reason}")]
pub struct ParseError {
    pub line: usize,
    pub reason: String,
}

/// Parses labeled TSV text (the format of `data/labeled.tsv`).
pub fn parse(text: &str) -> Result<Vec<Example>, ParseError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut cols = line.split('\t');
        let question = cols.next().unwrap_or("").trim();
        if question.is_empty() {
            return Err(ParseError {
                line: n + 1,
                reason: "empty question".to_owned(),
            });
        }
        let labels = cols.next().unwrap_or("").trim();
        if labels.is_empty() || labels == OFF_TOPIC {
            out.push(Example::off_topic(question));
            continue;
        }
        let mut intents = Vec::new();
        for name in labels.split(',') {
            let intent = name.parse::<Intent>().map_err(|e| ParseError {
                line: n + 1,
                reason: e.to_string(),
            })?;
            intents.push(intent);
        }
        out.push(Example::fortune(question, &intents));
    }
    Ok(out)
}

/// Every labeled question shipped with the crate, parsed once. The file is
/// checked by the crate's tests, so a parse failure cannot reach a release;
/// should it happen anyway the bad lines are skipped rather than panicking.
pub fn labeled() -> &'static [Example] {
    static LABELED_SET: LazyLock<Vec<Example>> = LazyLock::new(|| {
        parse(LABELED).unwrap_or_else(|_| {
            LABELED
                .lines()
                .filter_map(|l| parse(l).ok())
                .flatten()
                .collect()
        })
    });
    &LABELED_SET
}

/// Whether a question belongs to the held-out part (about one in four,
/// decided by a fixed hash of the question text, so the split is the same
/// on every run, platform and Rust release).
pub fn is_held_out(question: &str) -> bool {
    fnv1a(question.as_bytes()) % 4 == 0
}

/// The ~75 % used for training.
pub fn train_split() -> Vec<Example> {
    labeled()
        .iter()
        .filter(|e| !is_held_out(&e.question))
        .cloned()
        .collect()
}

/// The ~25 % never trained on, for evaluation.
pub fn held_out() -> Vec<Example> {
    labeled()
        .iter()
        .filter(|e| is_held_out(&e.question))
        .cloned()
        .collect()
}

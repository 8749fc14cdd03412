//! The project's labeled questions (`data/labeled.tsv`) and their fixed
//! train / held-out split.
//!
//! File format: one question per line, tab-separated columns `question`,
//! `intents` (comma-separated intent names; `off_topic` or empty for a
//! question outside fortune telling) and optional notes. Lines starting
//! with `#` are comments.

use serde::{Deserialize, Serialize};

use crate::intents::Intent;

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
        let mut intents = intents.to_vec();
        intents.sort();
        intents.dedup();
        Example {
            question: question.to_owned(),
            intents,
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
        if labels.is_empty() || labels == "off_topic" {
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

/// Every labeled question shipped with the crate. The file is checked by the
/// crate's tests, so a parse failure cannot reach a release; should it
/// happen anyway the bad lines are skipped rather than panicking.
pub fn labeled() -> Vec<Example> {
    parse(LABELED).unwrap_or_else(|_| {
        LABELED
            .lines()
            .filter_map(|l| parse(l).ok())
            .flatten()
            .collect()
    })
}

/// FNV-1a, a fixed hash: the split must not change between runs, platforms
/// or Rust releases (std's hasher is randomly seeded).
fn stable_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Whether a question belongs to the held-out part (about one in four,
/// decided by a hash of the question text).
pub fn is_held_out(question: &str) -> bool {
    stable_hash(question) % 4 == 0
}

/// The ~75 % used for training.
pub fn train_split() -> Vec<Example> {
    labeled()
        .into_iter()
        .filter(|e| !is_held_out(&e.question))
        .collect()
}

/// The ~25 % never trained on, for evaluation.
pub fn held_out() -> Vec<Example> {
    labeled()
        .into_iter()
        .filter(|e| is_held_out(&e.question))
        .collect()
}

//! Measuring a classifier on labeled questions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::classifier::{Classification, Classifier};
use crate::dataset::Example;
use crate::intents::Intent;
use crate::time::Date;

/// Precision, recall and F1 of one intent.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Prf {
    pub precision: f32,
    pub recall: f32,
    pub f1: f32,
    /// How many questions truly carry the intent.
    pub support: usize,
}

/// One evaluated question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub question: String,
    /// Empty for an off-topic question.
    pub expected: Vec<Intent>,
    /// Empty when the classifier judged the question off-topic.
    pub predicted: Vec<Intent>,
}

impl CaseResult {
    pub fn is_correct(&self) -> bool {
        self.expected == self.predicted
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Share of questions whose predicted intent set equals the expected set
    /// exactly (an off-topic question is right when judged off-topic).
    pub accuracy: f32,
    /// See [`macro_f1`].
    pub macro_f1: f32,
    pub per_intent: BTreeMap<Intent, Prf>,
    pub cases: Vec<CaseResult>,
}

/// Counts of true positives, false positives and false negatives.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn add(&mut self, expected: bool, predicted: bool) {
        match (expected, predicted) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => {}
        }
    }

    pub fn prf(self) -> Prf {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f32 / b as f32 };
        let precision = ratio(self.tp, self.tp + self.fp);
        let recall = ratio(self.tp, self.tp + self.fn_);
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        Prf {
            precision,
            recall,
            f1,
            support: self.tp + self.fn_,
        }
    }
}

/// Per-intent scores for (expected, predicted) pairs, over intents that
/// occur in either.
pub(crate) fn per_intent<'a>(
    pairs: impl Iterator<Item = (&'a [Intent], &'a [Intent])> + Clone,
) -> BTreeMap<Intent, Prf> {
    let mut out = BTreeMap::new();
    for intent in Intent::ALL {
        let mut c = Counts::default();
        for (e, p) in pairs.clone() {
            c.add(e.contains(&intent), p.contains(&intent));
        }
        if c.tp + c.fp + c.fn_ > 0 {
            out.insert(intent, c.prf());
        }
    }
    out
}

/// Macro-averaged F1: the mean F1 of the intents some question truly
/// carries (support > 0); 0 when there are none.
///
/// An intent that was only ever predicted wrongly, never true, is left out.
/// Its F1 is 0 whatever else happens, so counting it would make the number
/// depend on which intents happen to be absent from a set of questions (a
/// week's feedback has few) rather than on how well the present ones are
/// recognised; its false positives still lower the accuracy reported beside
/// it. The evaluation of versions and the weekly report both use this one
/// definition, so their numbers compare.
pub fn macro_f1(per_intent: &BTreeMap<Intent, Prf>) -> f32 {
    let supported: Vec<f32> = per_intent
        .values()
        .filter(|p| p.support > 0)
        .map(|p| p.f1)
        .collect();
    if supported.is_empty() {
        0.0
    } else {
        supported.iter().sum::<f32>() / supported.len() as f32
    }
}

/// The intents a classification asserts (none when off-topic), sorted.
pub fn predicted_set(c: &Classification) -> Vec<Intent> {
    if !c.is_fortune_related {
        return Vec::new();
    }
    let mut v = c.intents.clone();
    v.sort();
    v
}

/// Classifies every example and scores the results.
pub fn evaluate(classifier: &Classifier, examples: &[Example], today: Date) -> Evaluation {
    let cases: Vec<CaseResult> = examples
        .iter()
        .map(|e| CaseResult {
            question: e.question.clone(),
            expected: e.intents.clone(),
            predicted: predicted_set(&classifier.classify(&e.question, today)),
        })
        .collect();
    let correct = cases.iter().filter(|c| c.is_correct()).count();
    let accuracy = if cases.is_empty() {
        0.0
    } else {
        correct as f32 / cases.len() as f32
    };
    let per_intent = per_intent(
        cases
            .iter()
            .map(|c| (c.expected.as_slice(), c.predicted.as_slice())),
    );
    Evaluation {
        accuracy,
        macro_f1: macro_f1(&per_intent),
        per_intent,
        cases,
    }
}

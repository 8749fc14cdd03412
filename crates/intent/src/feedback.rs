//! What users say about a classification.

use serde::{Deserialize, Serialize};

use crate::dataset::Example;
use crate::intents::Intent;

/// One user's verdict on one classification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub question: String,
    /// What the classifier said.
    pub predicted: Vec<Intent>,
    /// What the user says it should have been; empty when the user made no
    /// correction.
    pub corrected: Vec<Intent>,
    /// The classifier's confidence at the time.
    pub confidence: f32,
    pub satisfied: bool,
    pub comment: String,
    pub user_id: String,
    /// Unix seconds.
    pub at: i64,
}

/// How a piece of feedback judges the prediction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Corrected to the same set, or satisfied without a correction.
    Right,
    /// Corrected to a different set.
    Corrected,
    /// Unsatisfied without saying what was right.
    Unsatisfied,
}

fn same_set(a: &[Intent], b: &[Intent]) -> bool {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort();
    a.dedup();
    b.sort();
    b.dedup();
    a == b
}

impl Feedback {
    pub fn verdict(&self) -> Verdict {
        if self.corrected.is_empty() {
            if self.satisfied {
                Verdict::Right
            } else {
                Verdict::Unsatisfied
            }
        } else if same_set(&self.predicted, &self.corrected) {
            Verdict::Right
        } else {
            Verdict::Corrected
        }
    }

    /// The intents the question truly has, when the feedback tells: the
    /// correction, or the prediction the user was satisfied with.
    pub fn truth(&self) -> Option<Vec<Intent>> {
        match self.verdict() {
            Verdict::Unsatisfied => None,
            Verdict::Right if self.corrected.is_empty() => Some(self.predicted.clone()),
            _ => Some(self.corrected.clone()),
        }
    }

    /// The feedback as a labeled example, when it gives the truth.
    pub fn example(&self) -> Option<Example> {
        let truth = self.truth()?;
        (!truth.is_empty() && !self.question.trim().is_empty())
            .then(|| Example::fortune(self.question.trim(), &truth))
    }
}

//! What users say about a classification.

use serde::{Deserialize, Serialize};

use crate::dataset::Example;
use crate::intents::{parse_list_lenient, sorted_set, Intent, OFF_TOPIC};

/// One user's verdict on one classification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub question: String,
    /// What the classifier said; empty when it judged the question
    /// off-topic.
    pub predicted: Vec<Intent>,
    /// What the user says it should have been; `None` when the user made no
    /// correction.
    pub corrected: Option<Correction>,
    /// The classifier's confidence at the time.
    pub confidence: f32,
    pub satisfied: bool,
    pub comment: String,
    pub user_id: String,
    /// Unix seconds.
    pub at: i64,
}

/// What a user says a question is really about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// These intents (never empty: see [`Correction::intents`]).
    Intents(Vec<Intent>),
    /// Not fortune telling at all: a question that should have been
    /// refused. Written [`OFF_TOPIC`] on the wire and in storage.
    OffTopic,
}

impl Correction {
    /// A correction to `intents`; `None` for an empty list, which corrects
    /// nothing.
    pub fn intents(intents: &[Intent]) -> Option<Correction> {
        (!intents.is_empty()).then(|| Correction::Intents(intents.to_vec()))
    }

    /// The intents the question truly has: empty for an off-topic question,
    /// as in [`Example`].
    pub fn truth(&self) -> Vec<Intent> {
        match self {
            Correction::Intents(intents) => sorted_set(intents),
            Correction::OffTopic => Vec::new(),
        }
    }

    /// As stored in the database: comma-separated intent names, or
    /// [`OFF_TOPIC`].
    pub fn to_stored(&self) -> String {
        match self {
            Correction::Intents(intents) => crate::intents::join(intents),
            Correction::OffTopic => OFF_TOPIC.to_owned(),
        }
    }

    /// Reads [`Correction::to_stored`]'s text; names this release does not
    /// know (a newer one may have written them) are skipped, and nothing
    /// left is no correction.
    pub fn from_stored(text: &str) -> Option<Correction> {
        if text.trim() == OFF_TOPIC {
            return Some(Correction::OffTopic);
        }
        Correction::intents(&parse_list_lenient(text))
    }
}

/// How a piece of feedback judges the prediction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Corrected to the same set, or satisfied without a correction.
    Right,
    /// Corrected to a different set (or to off-topic).
    Corrected,
    /// Unsatisfied without saying what was right.
    Unsatisfied,
}

impl Feedback {
    pub fn verdict(&self) -> Verdict {
        match &self.corrected {
            None if self.satisfied => Verdict::Right,
            None => Verdict::Unsatisfied,
            Some(correction) if correction.truth() == sorted_set(&self.predicted) => Verdict::Right,
            Some(_) => Verdict::Corrected,
        }
    }

    /// The intents the question truly has, when the feedback tells: the
    /// correction (empty for off-topic), or the prediction the user was
    /// satisfied with.
    pub fn truth(&self) -> Option<Vec<Intent>> {
        match (&self.corrected, self.verdict()) {
            (None, Verdict::Unsatisfied) => None,
            (None, _) => Some(self.predicted.clone()),
            (Some(correction), _) => Some(correction.truth()),
        }
    }

    /// The feedback as a labeled example, when it gives the truth: a
    /// fortune question with its intents, or an off-topic one when the user
    /// said so. A satisfied verdict on an answer without intents is not
    /// taken as off-topic: clients may send no prediction at all.
    pub fn example(&self) -> Option<Example> {
        let question = self.question.trim();
        if question.is_empty() {
            return None;
        }
        if self.corrected == Some(Correction::OffTopic) {
            return Some(Example::off_topic(question));
        }
        let truth = self.truth()?;
        (!truth.is_empty()).then(|| Example::fortune(question, &truth))
    }
}

//! What counts as a question: the one check every service applies before it
//! classifies, stores or learns from one, so they accept the same texts.

use crate::classifier::EMPTY_MESSAGE;

/// Longest question accepted, in characters. Real questions are a sentence
/// or two; the bound keeps one classification (and one stored feedback row)
/// small whatever a client sends.
pub const MAX_QUESTION_CHARS: usize = 500;

/// Why a text is not a question the services take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuestionError {
    #[error(
        "is empty; ask a question about fortune, e.g. \"我明年的事业运怎么样？\" ({EMPTY_MESSAGE})"
    )]
    Empty,
    #[error("is {chars} characters long; at most {MAX_QUESTION_CHARS} are accepted")]
    TooLong { chars: usize },
}

/// The question without surrounding white space, or why it is refused:
/// empty (after trimming) or longer than [`MAX_QUESTION_CHARS`].
pub fn check(question: &str) -> Result<&str, QuestionError> {
    let question = question.trim();
    if question.is_empty() {
        return Err(QuestionError::Empty);
    }
    let chars = question.chars().count();
    if chars > MAX_QUESTION_CHARS {
        return Err(QuestionError::TooLong { chars });
    }
    Ok(question)
}

//! Intent recognition for Four Pillars (八字) questions.
//!
//! A question such as "我明年的事业和财运怎么样？" is classified into intents
//! ([`Intent::Career`], [`Intent::Wealth`]), the rule types of the rule
//! engine those intents read, the time it asks about (2027, "明年"), and
//! whether it is about fortune telling at all. Users' feedback on
//! classifications is stored, summarised weekly and turned into improved
//! model versions.
//!
//! ```
//! use intent::{Classifier, Intent, ModelVersion};
//! use intent::time::Date;
//!
//! let classifier = Classifier::new(ModelVersion::baseline(), None)?;
//! let today = Date::from_calendar_date(2026, time::Month::November, 25)?;
//! let c = classifier.classify("我明年的事业和财运怎么样？", today);
//! assert!(c.is_fortune_related);
//! assert!(c.intents.contains(&Intent::Career) && c.intents.contains(&Intent::Wealth));
//! assert_eq!(c.time_intent.map(|t| t.target_years), Some(vec![2027]));
//!
//! let off = classifier.classify("明天北京会下雨吗", today);
//! assert!(!off.is_fortune_related);
//! assert!(!off.reject_message.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How a question is scored
//!
//! Three signals score every intent on a 0–1 scale:
//!
//! - **Lexicon** (always on): weighted terms per intent ([`Lexicon`]),
//!   matched as substrings of the normalised question. An intent's score is
//!   `1 − e^(−Σ weights)`: one strong term gives about 0.7, two about 0.9.
//! - **Classifier** (when the version has trained weights): one-vs-rest
//!   logistic regression over jieba words and character 1-/2-grams
//!   ([`logistic`]); the score is the head's probability. The lexicon's
//!   per-intent scores are inputs of the classifier too, so it learns where
//!   a term misleads (stacking) rather than only being averaged with it.
//! - **Embeddings** (when an [`Embedder`] is given and the version gives
//!   them a weight): the question's cosine similarity to each intent's
//!   prototype sentences. The intent with the
//!   nearest prototype scores 1, others fall linearly to 0 over
//!   `thresholds.embedding_margin`; cosines at or below
//!   `thresholds.embedding_floor` count for nothing.
//!
//! The combined score of an intent is the weighted mean of the active
//! signals' scores ([`SignalWeights`]; inactive signals drop out of both
//! numerator and denominator). With [`Thresholds`]:
//!
//! - every intent scoring at least `select` is selected, strongest first;
//!   if none does, the best is taken when it reaches `fallback`, otherwise
//!   the question is read as [`Intent::General`];
//! - `confidence` is the best combined score;
//! - the answer `is_ambiguous` when the best score is below `confident`, or
//!   when the runner-up is within `ambiguity_margin` of the best without
//!   being selected itself (the choice between them is a coin toss).
//!
//! # Off-topic questions
//!
//! Each signal also estimates the probability that the question is about
//! fortune telling at all: the lexicon as `F / (F + O)` with `F` the weight
//! of fortune terms and `O` that of off-topic terms (weather, code,
//! cooking, sports, arithmetic…), the classifier with a trained relevance
//! head (labeled off-topic questions are its negatives), the embeddings by
//! comparing the nearest fortune prototype with the nearest off-topic one.
//! A signal without evidence (no terms of either kind) abstains. The
//! weighted mean of the opinions is the relevance; below
//! `thresholds.relevance` the question is off-topic: no intents, and a
//! polite [`REJECT_MESSAGE`]. With no evidence at all the question gets the
//! benefit of the doubt and is answered as [`Intent::General`] (ambiguous).
//!
//! # Versions, feedback and storage
//!
//! A [`ModelVersion`] holds the lexicon, weights, prototypes and thresholds;
//! [`ModelVersion::baseline`] is deterministic. [`improve::propose`] builds
//! the next version from feedback, [`report::weekly`] summarises it and
//! [`store::IntentStore`] keeps versions, deployments and feedback in SQLite
//! shared between processes. [`eval::evaluate`] measures a classifier on
//! the held-out part of the labeled set ([`dataset`]).

pub mod classifier;
pub mod dataset;
#[cfg(feature = "e5")]
pub mod e5;
pub mod embed;
pub mod error;
pub mod eval;
pub mod feedback;
pub mod improve;
pub mod intents;
pub mod lexicon;
pub mod logistic;
pub mod question;
pub mod report;
pub mod store;
pub mod text;
pub mod time;
pub mod version;

pub use classifier::{Classification, Classifier, Signal, REJECT_MESSAGE};
pub use dataset::Example;
pub use embed::{CharBigramEmbedder, EmbedError, Embedder, Prototypes};
pub use error::Error;
pub use eval::{evaluate, Evaluation, Prf};
pub use feedback::{Correction, Feedback};
pub use improve::Improvement;
pub use intents::Intent;
pub use lexicon::Lexicon;
pub use report::{WeekRange, WeeklyReport};
pub use store::{IntentStore, VersionSummary};
pub use time::{TimeIntent, TimeKind};
pub use version::{ModelVersion, SignalWeights, Thresholds};

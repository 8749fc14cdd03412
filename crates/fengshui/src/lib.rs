//! Desk feng-shui from detected objects.
//!
//! An object detector reports what is on a desk photographed from the chair;
//! this crate places each object on a 3×3 grid (青龙 left, 白虎 right, 朱雀
//! far, 玄武 near, 明堂 centre) with its 后天八卦 trigram, gives it a Chinese
//! label and an element, runs the desk rules — steered by the person's
//! favourable and unfavourable elements when they are known — and returns
//! adjustments, additions and removals with a score and a summary.
//!
//! ```
//! use fengshui::{analyze, DetectedObject, PersonalElements, RuleStore};
//!
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("fengshui_rules.db");
//! let store = RuleStore::open(&path)?; // a new file gets the corpus
//! let rules = store.rule_set()?;
//! let objects = vec![DetectedObject {
//!     class: "cup".to_owned(),
//!     confidence: 0.91,
//!     bbox: [0.78, 0.40, 0.90, 0.58],
//! }];
//! let elements = PersonalElements::from_names(&["水", "木"], &["火"])?;
//! let report = analyze(&objects, &rules, Some(&elements));
//! assert_eq!(report.adjustments[0].code, "cup.baihu");
//! // Later: notice a change made by any process and reload.
//! if store.version()? != rules.version() {
//!     let _rules = store.rule_set()?;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! * [`position`]: the grid, the palaces and the bagua mapping.
//! * [`item`]: the item vocabulary (class, label, element).
//! * [`condition`]: the JSON condition language.
//! * [`rule`]: rules and the compiled rule set.
//! * [`corpus`](mod@corpus): the project's own rules.
//! * [`store`]: the SQLite rule store.
//! * [`analysis`]: [`analyze`], the score formula and where a suggestion
//!   says an item is.

pub mod analysis;
pub mod condition;
pub mod corpus;
pub mod element;
pub mod item;
pub mod placement;
pub mod position;
pub mod rule;
pub mod store;

pub use analysis::{analyze, DeskReport, DetectedObject, Item, Suggestion};
pub use condition::{CompileError, CompileErrorKind, Condition, Desk};
pub use corpus::corpus;
pub use element::{join_elements, parse_element, Element, ElementError, PersonalElements};
pub use item::{ItemKind, Source};
pub use position::{Bagua, Cell, Palace};
pub use rule::{
    CompiledRule, FieldError, Priority, Rule, RuleError, RuleFields, RuleSet, SuggestionKind,
};
pub use store::{RuleStore, StoreError};

//! Rules over hand and face features and the Four Pillars chart: a JSON
//! condition language compiled once into a typed tree, an SQLite rule store
//! that several processes share, and the project's own corpus.
//!
//! ```no_run
//! use fortune_rules::{ChartFacts, FeatureFacts, RuleStore};
//!
//! let store = RuleStore::open("fortune_rule.sqlite3")?; // a new file gets the corpus
//! let rules = store.load_rule_set()?;
//! # let landmarks = [[0.0f32; 3]; 21];
//! let hand = physiognomy::hand_features(&landmarks, physiognomy::Handedness::Right)?;
//! let chart = bazi::chart(&bazi::BirthInput::parse("1990-01-15", "12:00", "male")?)?;
//! let found = rules.evaluate(&FeatureFacts::from_hand(&hand), Some(&ChartFacts::from_chart(&chart)));
//! for insight in found.insights.iter().chain(&found.integrated) {
//!     println!("{} {}: {}", insight.category, insight.source, insight.content);
//! }
//! // Later: notice a change made by any process and reload.
//! if store.version()? != rules.version() {
//!     let _rules = store.load_rule_set()?;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Rules
//!
//! A rule ([`NewRule`]) has a code (the insight's `source`), a kind —
//! `hand`, `face` or `integrated` — a category (性格 事业 财运 健康 感情 in
//! the corpus), a condition, a text, recommendations, a confidence, a
//! priority and an enabled flag. [`RuleSet::evaluate`] matches a hand's
//! features against the hand rules (a face's against the face rules) and,
//! when there is a chart, against the integrated rules; each match gives an
//! [`Insight`] (category, content, confidence, source, and `feature`: what
//! the condition reads) and its recommendations.
//!
//! # Condition language
//!
//! A condition is a JSON object with exactly one key. Features are named by
//! the `fortune.rule` proto's field, and for a map by `field.key`
//! ([`physiognomy::keys`] lists every key): numbers `hand_shape_ratio`,
//! `hand_shape_confidence`, `finger_ratios.*`, `measurements.*`,
//! `san_ting_ratio.*`, `feature_measurements.*`; words
//! `finger_lengths.*`, `hand_orientation`, `facial_attributes.*`.
//! Wherever a list of names is accepted, one name alone is accepted too.
//!
//! | key | argument | true when | example |
//! |-----|----------|-----------|---------|
//! | `all` | non-empty array of conditions | every one holds | `{"all": [{"hand_shape": "水"}, {"element_missing": "水"}]}` |
//! | `any` | non-empty array of conditions | at least one holds | `{"any": [{"face_shape": "圆"}, {"face_shape": "鹅蛋"}]}` |
//! | `not` | a condition | it does not hold | `{"not": {"hand_shape": "火"}}` |
//! | `hand_shape` | shape(s): 木 火 土 金 水 | the hand's shape is one of them | `{"hand_shape": ["木", "水"]}` |
//! | `face_shape` | shape(s): 圆 方 长 瓜子 鹅蛋 | the face's shape is one of them | `{"face_shape": "瓜子"}` |
//! | `shape_element` | element(s) | the shape's element (a hand shape's own, a face shape's by [`FACE_SHAPE_ELEMENTS`]) | `{"shape_element": "水"}` |
//! | `number` | `{feature, op, value}`, `op` one of `<` `<=` `>` `>=` | the number feature is present and compares so | `{"number": {"feature": "finger_ratios.index_ring", "op": "<", "value": 0.92}}` |
//! | `word` | `{feature, is}` or `{feature, in}` | the word feature is present and one of them | `{"word": {"feature": "facial_attributes.eye_spacing", "is": "wide"}}` |
//! | `mark` | mark(s), free text | `special_marks` / `special_features` holds one of them | `{"mark": "川字掌"}` |
//! | `element_count` | `{element, op, value}`, `op` one of `==` `!=` `<` `<=` `>` `>=`, `value` 0..=8 | the chart's count of the element compares so | `{"element_count": {"element": "水", "op": "<=", "value": 1}}` |
//! | `element_missing` | one element | its count is 0 | `{"element_missing": "土"}` |
//! | `element_dominant` | one element | its count is ≥ 3 and above every other | `{"element_dominant": "金"}` |
//! | `day_master_element` | element(s) | the day stem's element | `{"day_master_element": "木"}` |
//! | `strength` | level(s): 从弱 身弱 中和 身强 从强 | the day master's strength is one of them | `{"strength": ["身弱", "从弱"]}` |
//! | `strength_at_least` | one level | strength ≥ it (从弱 < 身弱 < 中和 < 身强 < 从强) | `{"strength_at_least": "身强"}` |
//! | `strength_at_most` | one level | strength ≤ it | `{"strength_at_most": "中和"}` |
//! | `favourable_includes` | element(s) | one of them is a favourable element (喜用) | `{"favourable_includes": "木"}` |
//! | `unfavourable_includes` | element(s) | one of them is an unfavourable element (忌) | `{"unfavourable_includes": "火"}` |
//! | `shape_element_role` | role(s): `favourable` `unfavourable` `neutral` | the shape's element is favourable, unfavourable, or neither (known only when the chart has its favourable elements) | `{"shape_element_role": "favourable"}` |
//! | `shape_element_relation` | relation(s): `same` `generate` `control` `generated_by` `controlled_by` | the shape's element against the day master's, read from the shape (`generate`: the shape's element generates the day master's) | `{"shape_element_relation": "generate"}` |
//!
//! **Which rules may say what.** A `hand` rule reads hand features only, a
//! `face` rule face features only, and neither reads the chart (the
//! chart conditions and the two `shape_element_*` conditions); an
//! `integrated` rule reads both a feature and the chart. A feature absent
//! from the features (a caller that measured less) makes its condition
//! false, and so does a chart fact the caller's chart does not give.
//!
//! **Refusals.** [`Condition::compile`] refuses a bad node with its JSON
//! path (`$.all[1].number.feature`) and a [`CompileErrorKind`]: an unknown
//! condition or field, a missing field, a value of the wrong JSON type, and
//! a value that cannot be meant — an unknown feature, word, shape, element,
//! level, role or relation, a word feature in `number` (or the reverse),
//! `==` on a measured number, a count above 8, an empty list, an object
//! with zero or several keys, `is` together with `in`, a condition the
//! rule's kind never sees, an integrated rule without a feature or without
//! the chart.
//!
//! # Store
//!
//! See [`store`] for the file, its sharing between processes, the rule-set
//! version and migrations; [`mod@corpus`] for the built-in rules.

pub mod condition;
pub mod corpus;
pub mod facts;
pub mod rule;
pub mod store;

pub use condition::{CompileError, CompileErrorKind, Condition, Facts};
pub use corpus::corpus;
pub use facts::{
    feature_path, ChartFacts, FeatureError, FeatureFacts, Subject, FACE_SHAPE_ELEMENTS,
};
pub use rule::{
    CompiledRule, Evaluation, Insight, NewRule, Rule, RuleError, RuleKind, RuleSet, SkippedRule,
};
pub use store::{ListFilter, OpenOptions, RuleStore, StoreError};

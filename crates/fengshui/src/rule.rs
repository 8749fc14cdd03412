//! Rules, their checks, and the compiled rule set.

use serde_json::Value;
use thiserror::Error;

use crate::condition::{CompileError, Condition};
use crate::element::{join_elements, Element, PersonalElements};
use crate::item::ItemKind;

/// Which list of the report a rule's suggestion goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SuggestionKind {
    /// Move an item that is on the desk.
    Adjustment,
    /// Put something on the desk.
    Addition,
    /// Take an item off the desk.
    Removal,
}

impl SuggestionKind {
    /// Every kind.
    pub const ALL: [SuggestionKind; 3] = [
        SuggestionKind::Adjustment,
        SuggestionKind::Addition,
        SuggestionKind::Removal,
    ];

    /// Stored name: `adjustment`, `addition`, `removal`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SuggestionKind::Adjustment => "adjustment",
            SuggestionKind::Addition => "addition",
            SuggestionKind::Removal => "removal",
        }
    }

    /// The kind with this stored name.
    pub fn parse(name: &str) -> Option<SuggestionKind> {
        SuggestionKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The verb a client shows as the suggestion's action: `move`, `add`, `remove`.
    pub const fn action(self) -> &'static str {
        match self {
            SuggestionKind::Adjustment => "move",
            SuggestionKind::Addition => "add",
            SuggestionKind::Removal => "remove",
        }
    }
}

/// How urgent a suggestion is. Ordered most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    /// `high`
    High,
    /// `medium`
    Medium,
    /// `low`
    Low,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Priority; 3] = [Priority::High, Priority::Medium, Priority::Low];

    /// Stored name: `high`, `medium`, `low`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
        }
    }

    /// The priority with this stored name.
    pub fn parse(name: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// Largest score change one rule may make, either way: no single finding
/// should swing the 0..100 score by more than this.
pub const MAX_SCORE_DELTA: i32 = 30;

/// Placeholders a reason may contain, filled from the person's elements.
pub const REASON_PLACEHOLDERS: [&str; 2] = ["{favourable}", "{unfavourable}"];

/// A desk rule: when `condition` holds, suggest `kind` of `item`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Unique code, e.g. `cup.baihu`.
    pub code: String,
    /// Which list the suggestion goes to.
    pub kind: SuggestionKind,
    /// What the suggestion is about.
    pub item: ItemKind,
    /// The JSON condition (see [`crate::condition`]).
    pub condition: Value,
    /// Where the item should be, in words (`左侧（青龙位）`, `移出桌面`).
    pub ideal_position: String,
    /// Why, in Chinese; `{favourable}` / `{unfavourable}` are replaced by the
    /// person's elements (`水、木`).
    pub reason: String,
    /// How urgent.
    pub priority: Priority,
    /// The element the suggestion concerns (usually the item's).
    pub element: Element,
    /// Score change when the rule fires (−30..=30).
    pub score_delta: i32,
    /// Whether the rule takes part in analysis.
    pub enabled: bool,
}

/// A rule's fields as text, as the rule store keeps them and as callers of
/// the service send them: one parse for both, so a stored row and a request
/// are read by the same rules and refused with the same words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleFields {
    pub code: String,
    pub kind: String,
    pub item: String,
    pub condition: String,
    pub ideal_position: String,
    pub reason: String,
    pub priority: String,
    /// `None`: the item's own element.
    pub element: Option<String>,
    pub score_delta: i32,
    pub enabled: bool,
}

/// A field of [`RuleFields`] that does not parse: which one, and why.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field's name in [`RuleFields`].
    pub field: &'static str,
    pub message: String,
}

impl RuleFields {
    /// The rule these fields describe. The condition is only read as JSON
    /// here; compiling it is the rule set's and the store's check.
    pub fn parse(self) -> Result<Rule, FieldError> {
        let refused = |field: &'static str, message: String| FieldError { field, message };
        let kind = SuggestionKind::parse(&self.kind).ok_or_else(|| {
            refused(
                "kind",
                format!("{:?} is not adjustment, addition or removal", self.kind),
            )
        })?;
        let item = ItemKind::from_class(&self.item)
            .ok_or_else(|| refused("item", format!("{:?} is not an item class", self.item)))?;
        let condition = serde_json::from_str(&self.condition)
            .map_err(|e| refused("condition", format!("is not JSON ({e})")))?;
        let priority = Priority::parse(&self.priority).ok_or_else(|| {
            refused(
                "priority",
                format!("{:?} is not high, medium or low", self.priority),
            )
        })?;
        let element = match &self.element {
            None => item.element(),
            Some(name) => crate::element::parse_element(name)
                .map_err(|e| refused("element", e.to_string()))?,
        };
        Ok(Rule {
            code: self.code,
            kind,
            item,
            condition,
            ideal_position: self.ideal_position,
            reason: self.reason,
            priority,
            element,
            score_delta: self.score_delta,
            enabled: self.enabled,
        })
    }
}

/// Why a rule was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RuleError {
    /// The condition did not compile.
    #[error("rule {code:?}: condition {source}")]
    Condition {
        /// The rule's code.
        code: String,
        /// The refused node and why.
        source: CompileError,
    },
    /// Another field is not acceptable.
    #[error("rule {code:?}: {field}: {message}")]
    Field {
        /// The rule's code.
        code: String,
        /// `code`, `ideal_position`, `reason` or `score_delta`.
        field: &'static str,
        /// What was expected.
        message: String,
    },
}

fn field_error(rule: &Rule, field: &'static str, message: impl Into<String>) -> RuleError {
    RuleError::Field {
        code: rule.code.clone(),
        field,
        message: message.into(),
    }
}

fn check_text(rule: &Rule, field: &'static str, text: &str, max: usize) -> Result<(), RuleError> {
    if text.trim().is_empty() || text.chars().count() > max {
        return Err(field_error(
            rule,
            field,
            format!("expected 1 to {max} characters, not only white space"),
        ));
    }
    Ok(())
}

/// Checks every field but the condition.
fn check_fields(rule: &Rule) -> Result<(), RuleError> {
    let n = rule.code.chars().count();
    if n == 0
        || n > 128
        || rule
            .code
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(field_error(
            rule,
            "code",
            "expected 1 to 128 characters without white space or control characters",
        ));
    }
    check_text(rule, "ideal_position", &rule.ideal_position, 100)?;
    check_text(rule, "reason", &rule.reason, 500)?;
    let mut rest = rule.reason.clone();
    for p in REASON_PLACEHOLDERS {
        rest = rest.replace(p, "");
    }
    if rest.contains(['{', '}']) {
        return Err(field_error(
            rule,
            "reason",
            format!(
                "braces are only allowed in the placeholders {}; remove the others",
                REASON_PLACEHOLDERS.join(" ")
            ),
        ));
    }
    if rule.score_delta.abs() > MAX_SCORE_DELTA {
        return Err(field_error(
            rule,
            "score_delta",
            format!(
                "expected −{MAX_SCORE_DELTA}..={MAX_SCORE_DELTA}; found {}",
                rule.score_delta
            ),
        ));
    }
    Ok(())
}

/// A rule checked and its condition compiled.
#[derive(Clone, Debug)]
pub struct CompiledRule {
    rule: Rule,
    condition: Condition,
}

impl CompiledRule {
    /// Checks every field and compiles the condition.
    pub fn compile(rule: &Rule) -> Result<CompiledRule, RuleError> {
        check_fields(rule)?;
        let condition =
            Condition::compile(&rule.condition).map_err(|source| RuleError::Condition {
                code: rule.code.clone(),
                source,
            })?;
        Ok(CompiledRule {
            rule: rule.clone(),
            condition,
        })
    }

    /// The rule as written.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// The compiled condition.
    pub fn condition(&self) -> &Condition {
        &self.condition
    }

    /// The reason with the placeholders filled; without the person's
    /// elements they read `未知`.
    pub fn reason_for(&self, elements: Option<&PersonalElements>) -> String {
        let fill = |list: Option<&Vec<Element>>| match list {
            Some(l) if !l.is_empty() => join_elements(l),
            _ => "未知".to_owned(),
        };
        self.rule
            .reason
            .replace("{favourable}", &fill(elements.map(|e| &e.favourable)))
            .replace("{unfavourable}", &fill(elements.map(|e| &e.unfavourable)))
    }
}

/// The enabled rules at one rule-set version, compiled, in report order:
/// priority (high first), then code.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    version: u64,
    rules: Vec<CompiledRule>,
}

impl RuleSet {
    /// Compiles the enabled rules among `rules`; the first refused rule fails
    /// the whole set, because analysing with a silently shortened set would
    /// give advice that differs from what the store says.
    pub fn new(version: u64, rules: &[Rule]) -> Result<RuleSet, RuleError> {
        let mut compiled = rules
            .iter()
            .filter(|r| r.enabled)
            .map(CompiledRule::compile)
            .collect::<Result<Vec<_>, _>>()?;
        compiled.sort_by(|a, b| {
            a.rule
                .priority
                .cmp(&b.rule.priority)
                .then_with(|| a.rule.code.cmp(&b.rule.code))
        });
        Ok(RuleSet {
            version,
            rules: compiled,
        })
    }

    /// The rule-set version the rules were read at.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The rules in report order.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Rule {
        Rule {
            code: "cup.test".to_owned(),
            kind: SuggestionKind::Adjustment,
            item: ItemKind::Cup,
            condition: json!({"item": "cup"}),
            ideal_position: "左侧（青龙位）".to_owned(),
            reason: "你的喜用神为{favourable}。".to_owned(),
            priority: Priority::Medium,
            element: Element::Water,
            score_delta: -3,
            enabled: true,
        }
    }

    #[test]
    fn names_round_trip() {
        for k in SuggestionKind::ALL {
            assert_eq!(SuggestionKind::parse(k.as_str()), Some(k));
        }
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Some(p));
        }
        assert_eq!(SuggestionKind::Removal.action(), "remove");
        assert!(Priority::High < Priority::Low);
    }

    #[test]
    fn fields_are_checked() {
        let bad = |f: fn(&mut Rule)| {
            let mut r = sample();
            f(&mut r);
            CompiledRule::compile(&r).unwrap_err()
        };
        let field = |e: RuleError| match e {
            RuleError::Field { field, .. } => field,
            RuleError::Condition { .. } => "condition",
        };
        assert_eq!(field(bad(|r| r.code = "a b".to_owned())), "code");
        assert_eq!(
            field(bad(|r| r.ideal_position = " ".to_owned())),
            "ideal_position"
        );
        assert_eq!(field(bad(|r| r.reason = "{name}".to_owned())), "reason");
        assert_eq!(field(bad(|r| r.score_delta = -31)), "score_delta");
        let e = bad(|r| r.condition = json!({"item": "giraffe"}));
        assert!(e.to_string().contains("cup.test"), "{e}");
        assert!(e.to_string().contains("$.item"), "{e}");
    }

    #[test]
    fn reason_placeholders_are_filled() {
        let c = CompiledRule::compile(&sample()).unwrap();
        let p = PersonalElements::from_names(&["水", "木"], &[]).unwrap();
        assert_eq!(c.reason_for(Some(&p)), "你的喜用神为水、木。");
        assert_eq!(c.reason_for(None), "你的喜用神为未知。");
    }

    #[test]
    fn set_orders_by_priority_then_code_and_skips_disabled() {
        let mut a = sample();
        a.code = "b".to_owned();
        let mut b = sample();
        b.code = "a".to_owned();
        let mut c = sample();
        c.code = "z".to_owned();
        c.priority = Priority::High;
        let mut d = sample();
        d.code = "off".to_owned();
        d.enabled = false;
        let set = RuleSet::new(7, &[a, b, c, d]).unwrap();
        let codes: Vec<&str> = set.rules().iter().map(|r| r.rule().code.as_str()).collect();
        assert_eq!(codes, ["z", "a", "b"]);
        assert_eq!(set.version(), 7);
    }
}

//! Rules, compiled rules and rule sets.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::condition::{CompileError, Condition};
use crate::facts::Facts;

/// A rule to be created: everything but the store's bookkeeping.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewRule {
    /// Unique code, e.g. `rizhu_gender/庚辰/male`.
    pub code: String,
    /// Human-readable name.
    pub name: String,
    /// Rule type, e.g. `rizhu_gender` (lower-case ASCII, digits and `_`).
    #[serde(rename = "type")]
    pub rule_type: String,
    /// The condition (see the crate documentation).
    pub conditions: Value,
    /// What the rule says when it matches: a JSON object.
    pub content: Value,
    /// Higher first when listing matches.
    #[serde(default)]
    pub priority: i64,
    /// Whether the rule takes part in matching.
    #[serde(default = "enabled_default")]
    pub enabled: bool,
}

fn enabled_default() -> bool {
    true
}

/// A stored rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Row id.
    pub id: i64,
    /// Unique code.
    pub code: String,
    /// Human-readable name.
    pub name: String,
    /// Rule type.
    #[serde(rename = "type")]
    pub rule_type: String,
    /// The condition.
    pub conditions: Value,
    /// The content (a JSON object).
    pub content: Value,
    /// Priority, higher first.
    pub priority: i64,
    /// Whether the rule takes part in matching.
    pub enabled: bool,
    /// `corpus` for a rule of the built-in corpus, `user` otherwise.
    pub source: String,
    /// Creation time, UTC, `YYYY-MM-DDTHH:MM:SS.sssZ`.
    pub created_at: String,
    /// Last change, UTC, same format.
    pub updated_at: String,
}

/// A change to a stored rule: each `Some` field is replaced.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleUpdate {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New type.
    #[serde(default, rename = "type")]
    pub rule_type: Option<String>,
    /// New condition (compiled before anything is written).
    #[serde(default)]
    pub conditions: Option<Value>,
    /// New content.
    #[serde(default)]
    pub content: Option<Value>,
    /// New priority.
    #[serde(default)]
    pub priority: Option<i64>,
    /// Enable or disable.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Why a rule's fields were refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RuleError {
    /// The condition did not compile.
    #[error("conditions: {0}")]
    Conditions(#[from] CompileError),
    /// Another field is not acceptable.
    #[error("{field}: {message}")]
    Field {
        /// `code`, `name`, `type` or `content`.
        field: &'static str,
        /// What was expected.
        message: String,
    },
}

fn field_error(field: &'static str, message: impl Into<String>) -> RuleError {
    RuleError::Field {
        field,
        message: message.into(),
    }
}

/// Checks a code: 1 to 128 characters, none of them white space or control.
pub fn validate_code(code: &str) -> Result<(), RuleError> {
    let n = code.chars().count();
    if n == 0 || n > 128 {
        return Err(field_error("code", "expected 1 to 128 characters"));
    }
    if code.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(field_error(
            "code",
            "white space and control characters are not allowed",
        ));
    }
    Ok(())
}

/// Checks a name: 1 to 200 characters, not only white space.
pub fn validate_name(name: &str) -> Result<(), RuleError> {
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(field_error(
            "name",
            "expected 1 to 200 characters, not only white space",
        ));
    }
    Ok(())
}

/// Checks a type: 1 to 64 characters, a lower-case ASCII letter then
/// lower-case letters, digits or `_`.
pub fn validate_type(rule_type: &str) -> Result<(), RuleError> {
    let ok = rule_type.len() <= 64
        && rule_type
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase())
        && rule_type
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(field_error(
            "type",
            "expected snake_case: a lower-case letter, then lower-case letters, digits or _ (at most 64)",
        ));
    }
    Ok(())
}

/// Checks content: a JSON object.
pub fn validate_content(content: &Value) -> Result<(), RuleError> {
    if !content.is_object() {
        return Err(field_error("content", "expected a JSON object"));
    }
    Ok(())
}

/// A rule ready for matching: its condition compiled.
#[derive(Clone, Debug)]
pub struct CompiledRule {
    code: String,
    name: String,
    rule_type: String,
    priority: i64,
    content: Value,
    condition: Condition,
}

impl CompiledRule {
    /// Checks every field of a new rule and compiles its condition.
    pub fn compile(rule: &NewRule) -> Result<CompiledRule, RuleError> {
        validate_code(&rule.code)?;
        validate_name(&rule.name)?;
        validate_type(&rule.rule_type)?;
        validate_content(&rule.content)?;
        Ok(CompiledRule {
            code: rule.code.clone(),
            name: rule.name.clone(),
            rule_type: rule.rule_type.clone(),
            priority: rule.priority,
            content: rule.content.clone(),
            condition: Condition::compile(&rule.conditions)?,
        })
    }

    /// Compiles a stored rule.
    pub fn from_rule(rule: &Rule) -> Result<CompiledRule, RuleError> {
        Ok(CompiledRule {
            code: rule.code.clone(),
            name: rule.name.clone(),
            rule_type: rule.rule_type.clone(),
            priority: rule.priority,
            content: rule.content.clone(),
            condition: Condition::compile(&rule.conditions)?,
        })
    }

    /// The rule's code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The rule's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rule's type.
    pub fn rule_type(&self) -> &str {
        &self.rule_type
    }

    /// The rule's priority.
    pub fn priority(&self) -> i64 {
        self.priority
    }

    /// The rule's content.
    pub fn content(&self) -> &Value {
        &self.content
    }

    /// The compiled condition.
    pub fn condition(&self) -> &Condition {
        &self.condition
    }

    /// Whether the facts meet the rule's condition.
    pub fn matches(&self, facts: &Facts<'_>) -> bool {
        self.condition.matches(facts)
    }
}

/// A stored rule that could not be compiled when a rule set was loaded
/// (e.g. written by a newer version that knows more conditions).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SkippedRule {
    /// The rule's code.
    pub code: String,
    /// Why it was skipped.
    pub reason: String,
}

/// Compiled enabled rules at one rule-set version, in match order: priority
/// descending, then code ascending.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    version: u64,
    rules: Vec<CompiledRule>,
    skipped: Vec<SkippedRule>,
}

impl RuleSet {
    /// A rule set of these compiled rules (sorted into match order).
    pub fn new(version: u64, mut rules: Vec<CompiledRule>, skipped: Vec<SkippedRule>) -> RuleSet {
        rules.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then_with(|| a.code.cmp(&b.code))
        });
        RuleSet {
            version,
            rules,
            skipped,
        }
    }

    /// Compiles the enabled rules among `rules`; a rule that does not compile
    /// is listed in [`RuleSet::skipped`].
    pub fn compile(version: u64, rules: &[NewRule]) -> RuleSet {
        let mut compiled = Vec::with_capacity(rules.len());
        let mut skipped = Vec::new();
        for r in rules.iter().filter(|r| r.enabled) {
            match CompiledRule::compile(r) {
                Ok(c) => compiled.push(c),
                Err(e) => skipped.push(SkippedRule {
                    code: r.code.clone(),
                    reason: e.to_string(),
                }),
            }
        }
        RuleSet::new(version, compiled, skipped)
    }

    /// The rule-set version the rules were read at.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The rules in match order.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// Rules that could not be compiled.
    pub fn skipped(&self) -> &[SkippedRule] {
        &self.skipped
    }

    /// Number of compiled rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no compiled rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Evaluates the rules of the given types (all rules if `types` is empty)
    /// against the facts: `(matched, unmatched)`, each in match order
    /// (priority descending, then code).
    pub fn matches<'s>(
        &'s self,
        facts: &Facts<'_>,
        types: &[&str],
    ) -> (Vec<&'s CompiledRule>, Vec<&'s CompiledRule>) {
        let mut matched = Vec::new();
        let mut unmatched = Vec::new();
        for rule in &self.rules {
            if !types.is_empty() && !types.contains(&rule.rule_type.as_str()) {
                continue;
            }
            if rule.condition.matches(facts) {
                matched.push(rule);
            } else {
                unmatched.push(rule);
            }
        }
        (matched, unmatched)
    }
}

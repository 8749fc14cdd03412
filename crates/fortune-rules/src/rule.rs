//! Rules, compiled rules, rule sets and what a match gives.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::condition::{CompileError, Condition, Facts};
pub use crate::facts::RuleKind;
use crate::facts::{ChartFacts, FeatureFacts, Subject};

/// A rule to be created or to replace one: everything but the store's
/// bookkeeping.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewRule {
    /// Unique code, e.g. `hand.shape.wood` (1 to 128 characters, no white
    /// space): the insight's `source`.
    pub code: String,
    /// What the rule is about.
    pub kind: RuleKind,
    /// The insight's category, e.g. 性格 事业 财运 健康 感情 (1 to 32
    /// characters).
    pub category: String,
    /// The condition (see the crate documentation).
    pub conditions: Value,
    /// What the rule says: the insight's content (1 to 2,000 characters).
    pub text: String,
    /// Advice given with the insight (at most 10, each 1 to 500 characters).
    #[serde(default)]
    pub recommendations: Vec<String>,
    /// How much the statement is to be trusted, 0..=1.
    pub confidence: f64,
    /// Higher first among the matches.
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
    /// The rule's fields.
    #[serde(flatten)]
    pub rule: NewRule,
    /// `corpus` for a rule of the built-in corpus, `user` otherwise.
    pub source: String,
    /// Creation time, UTC, `YYYY-MM-DDTHH:MM:SS.sssZ`.
    pub created_at: String,
    /// Last change, UTC, same format.
    pub updated_at: String,
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
        /// `code`, `category`, `text`, `recommendations` or `confidence`.
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

/// A string field of `1..=max` characters, not only white space.
fn check_text(field: &'static str, value: &str, max: usize) -> Result<(), RuleError> {
    if value.trim().is_empty() || value.chars().count() > max {
        return Err(field_error(
            field,
            format!("expected 1 to {max} characters, not only white space"),
        ));
    }
    Ok(())
}

/// Checks every field but the condition.
fn check_fields(rule: &NewRule) -> Result<(), RuleError> {
    let n = rule.code.chars().count();
    if n == 0
        || n > 128
        || rule
            .code
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(field_error(
            "code",
            "expected 1 to 128 characters without white space or control characters",
        ));
    }
    check_text("category", &rule.category, 32)?;
    check_text("text", &rule.text, 2000)?;
    if rule.recommendations.len() > 10 {
        return Err(field_error("recommendations", "at most 10"));
    }
    for r in &rule.recommendations {
        check_text("recommendations", r, 500)?;
    }
    if !(0.0..=1.0).contains(&rule.confidence) {
        return Err(field_error(
            "confidence",
            format!("{} is not in 0..=1", rule.confidence),
        ));
    }
    Ok(())
}

/// What a matched rule says.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Insight {
    /// The rule's kind.
    pub kind: RuleKind,
    /// The rule's category.
    pub category: String,
    /// The rule's text.
    pub content: String,
    /// The rule's confidence.
    pub confidence: f64,
    /// The rule's code.
    pub source: String,
    /// What the rule's condition reads ([`Condition::reads`]), joined by
    /// `", "`: the features that decided, and the chart facts for an
    /// integrated rule.
    pub feature: String,
}

/// A rule ready for matching: its fields checked, its condition compiled.
#[derive(Clone, Debug)]
pub struct CompiledRule {
    rule: NewRule,
    condition: Condition,
    feature: String,
}

impl CompiledRule {
    /// Checks every field of a rule and compiles its condition for its kind.
    pub fn compile(rule: &NewRule) -> Result<CompiledRule, RuleError> {
        check_fields(rule)?;
        let condition = Condition::compile(&rule.conditions, rule.kind)?;
        Ok(CompiledRule {
            feature: condition.reads().join(", "),
            rule: rule.clone(),
            condition,
        })
    }

    /// The rule's fields.
    pub fn rule(&self) -> &NewRule {
        &self.rule
    }

    /// The rule's code.
    pub fn code(&self) -> &str {
        &self.rule.code
    }

    /// The compiled condition.
    pub fn condition(&self) -> &Condition {
        &self.condition
    }

    /// Whether the facts meet the rule's condition.
    pub fn matches(&self, facts: &Facts<'_>) -> bool {
        self.condition.matches(facts)
    }

    /// The insight of a match.
    pub fn insight(&self) -> Insight {
        Insight {
            kind: self.rule.kind,
            category: self.rule.category.clone(),
            content: self.rule.text.clone(),
            confidence: self.rule.confidence,
            source: self.rule.code.clone(),
            feature: self.feature.clone(),
        }
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

/// What a feature set (and a chart) matched.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Evaluation {
    /// Insights of the matched hand or face rules (the features' subject).
    pub insights: Vec<Insight>,
    /// Insights of the matched integrated rules (only with a chart).
    pub integrated: Vec<Insight>,
    /// The matched rules' recommendations in match order, each once.
    pub recommendations: Vec<String>,
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
            b.rule
                .priority
                .cmp(&a.rule.priority)
                .then_with(|| a.rule.code.cmp(&b.rule.code))
        });
        RuleSet {
            version,
            rules,
            skipped,
        }
    }

    /// Compiles the enabled rules among `rules`; a rule that does not
    /// compile is listed in [`RuleSet::skipped`].
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

    /// Matches the rules of the features' subject (hand or face rules) and,
    /// when a chart is given, the integrated rules.
    pub fn evaluate(&self, features: &FeatureFacts, chart: Option<&ChartFacts>) -> Evaluation {
        let facts = Facts { features, chart };
        let own = match features.subject() {
            Subject::Hand => RuleKind::Hand,
            Subject::Face => RuleKind::Face,
        };
        let mut out = Evaluation::default();
        for rule in &self.rules {
            let kind = rule.rule.kind;
            let considered = kind == own || (kind == RuleKind::Integrated && chart.is_some());
            if !considered || !rule.matches(&facts) {
                continue;
            }
            let insight = rule.insight();
            if kind == RuleKind::Integrated {
                out.integrated.push(insight);
            } else {
                out.insights.push(insight);
            }
            for r in &rule.rule.recommendations {
                if !out.recommendations.contains(r) {
                    out.recommendations.push(r.clone());
                }
            }
        }
        out
    }
}

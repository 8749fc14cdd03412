//! Rules between the proto and the store, and the store's failures as
//! statuses a caller can act on.

use fortune_rule_api::Rule;
use fortune_rules::{NewRule, RuleError, RuleKind, StoreError};
use tonic::Status;

/// A kind named in a request: `hand`, `face` or `integrated`.
pub fn kind(field: &str, name: &str) -> Result<RuleKind, Status> {
    RuleKind::parse(name).ok_or_else(|| {
        let shown: String = name.chars().take(40).collect();
        hifate_sdk::invalid_argument(format!(
            "{field}: {shown:?} is not a rule kind; expected hand, face or integrated"
        ))
    })
}

/// A stored rule as the proto's `Rule`.
pub fn to_proto(rule: fortune_rules::Rule) -> Rule {
    let r = rule.rule;
    Rule {
        code: r.code,
        kind: r.kind.as_str().to_owned(),
        category: r.category,
        conditions_json: r.conditions.to_string(),
        text: r.text,
        recommendations: r.recommendations,
        confidence: r.confidence,
        priority: i32::try_from(r.priority).unwrap_or(if r.priority < 0 {
            i32::MIN
        } else {
            i32::MAX
        }),
        enabled: r.enabled,
        source: rule.source,
        created_at: rule.created_at,
        updated_at: rule.updated_at,
    }
}

/// The rule of a create or update request, its kind and condition parsed
/// (`source` and the times are the store's).
pub fn from_proto(rule: Option<Rule>) -> Result<NewRule, Status> {
    let rule = rule.ok_or_else(|| hifate_sdk::invalid_argument("rule: is missing"))?;
    let conditions = serde_json::from_str(&rule.conditions_json)
        .map_err(|e| hifate_sdk::invalid_argument(format!("conditions: is not JSON ({e})")))?;
    Ok(NewRule {
        kind: kind("kind", &rule.kind)?,
        code: rule.code,
        category: rule.category,
        conditions,
        text: rule.text,
        recommendations: rule.recommendations,
        confidence: rule.confidence,
        priority: i64::from(rule.priority),
        enabled: rule.enabled,
    })
}

/// A store failure as a status: a refused rule `INVALID_ARGUMENT` naming
/// the field (`conditions: $.all[1]…: …`), a taken code `ALREADY_EXISTS`,
/// an unknown one `NOT_FOUND`, a row this version cannot read `DATA_LOSS`,
/// SQLite itself `UNAVAILABLE` (a lock held too long is worth a retry).
pub fn store_status(error: StoreError) -> Status {
    match error {
        StoreError::Invalid { source, .. } => match source {
            RuleError::Conditions(e) => hifate_sdk::invalid_argument(format!("conditions: {e}")),
            RuleError::Field { field, message } => {
                hifate_sdk::invalid_argument(format!("{field}: {message}"))
            }
        },
        StoreError::Duplicate { .. } => Status::already_exists(error.to_string()),
        StoreError::NotFound { .. } => Status::not_found(error.to_string()),
        StoreError::Unreadable { .. } => {
            tracing::error!(error = %error, "rule store holds a row this version cannot read");
            Status::data_loss(error.to_string())
        }
        StoreError::Sqlite(_) => {
            tracing::error!(error = %error, "rule store failed");
            Status::unavailable(error.to_string())
        }
    }
}

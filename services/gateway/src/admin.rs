//! `/api/v1/admin/rules[/CODE]`: the rule administration, behind a bearer
//! token. Rules change live: bazi_rule matches with the new rule-set version
//! at its next call.

use std::path::Path;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bazi_rule_api::{DeleteRuleRequest, GetRuleRequest, ListRulesRequest, PutRuleRequest, Rule};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::request::parse_rule;
use crate::{success_of, ApiError, AppState, BAZI_RULE};

/// Environment variable holding the rule administration's token.
pub const TOKEN_VAR: &str = "GATEWAY_ADMIN_TOKEN";
/// File in the gateway's data directory holding a generated token.
pub const TOKEN_FILE: &str = "admin-token";

/// The bearer token of the rule administration.
#[derive(Clone)]
pub struct AdminToken(String);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(…)")
    }
}

impl AdminToken {
    /// A given token (tests, configuration).
    pub fn new(token: impl Into<String>) -> AdminToken {
        AdminToken(token.into())
    }

    /// `GATEWAY_ADMIN_TOKEN`, else the token in `data_dir/admin-token`, which
    /// is generated (owner-only) at first start.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<AdminToken> {
        let (token, generated) =
            hifate_sdk::token::load_or_create(TOKEN_VAR, None, data_dir, TOKEN_FILE)?;
        if generated {
            tracing::info!(
                "rule administration token generated into {}",
                data_dir.join(TOKEN_FILE).display()
            );
        }
        Ok(AdminToken(token))
    }

    fn matches(&self, given: &str) -> bool {
        hifate_sdk::token::matches(given, &self.0)
    }
}

/// The administration routes, token-guarded.
pub(crate) fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/rules", get(list).post(create))
        .route(
            "/api/v1/admin/rules/{*code}",
            get(fetch).put(update).delete(remove),
        )
        .route_layer(middleware::from_fn_with_state(state, require_token))
}

async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(given) if state.admin_token.matches(given.trim()) => next.run(request).await,
        _ => ApiError::Unauthorized(format!(
            "the rule administration needs `Authorization: Bearer <token>`; the token is in ${TOKEN_VAR} or the gateway's data directory ({TOKEN_FILE})"
        ))
        .into_response(),
    }
}

/// A rule as the administration shows it: conditions and content as JSON.
#[derive(Serialize)]
struct RuleView {
    code: String,
    name: String,
    rule_type: String,
    conditions: Box<RawValue>,
    content: Box<RawValue>,
    priority: i32,
    enabled: bool,
    created_at: String,
    updated_at: String,
}

impl RuleView {
    fn of(rule: Rule) -> Result<RuleView, ApiError> {
        let json = |what: &str, text: String| {
            RawValue::from_string(text).map_err(|error| {
                ApiError::upstream(
                    BAZI_RULE,
                    format!("rule {} has {what} that is not JSON ({error})", rule.code),
                )
            })
        };
        Ok(RuleView {
            conditions: json("conditions", rule.conditions_json.clone())?,
            content: json("content", rule.content_json.clone())?,
            code: rule.code,
            name: rule.name,
            rule_type: rule.rule_type,
            priority: rule.priority,
            enabled: rule.enabled,
            created_at: rule.created_at,
            updated_at: rule.updated_at,
        })
    }
}

#[derive(Serialize)]
struct RuleList {
    rule_set_version: u64,
    count: usize,
    rules: Vec<RuleView>,
}

#[derive(Serialize)]
struct Change {
    rule_set_version: u64,
    rule: Option<RuleView>,
}

#[derive(Deserialize)]
struct ListQuery {
    rule_type: Option<String>,
    include_disabled: Option<bool>,
}

fn failed(status: &tonic::Status) -> Response {
    ApiError::from_status(BAZI_RULE, status)
        .logged()
        .into_response()
}

/// `GET /api/v1/admin/rules[?rule_type=T&include_disabled=true]`.
async fn list(State(state): State<AppState>, Query(query): Query<ListQuery>) -> Response {
    let request = ListRulesRequest {
        rule_type: query.rule_type.unwrap_or_default(),
        include_disabled: query.include_disabled.unwrap_or(false),
    };
    match state.bazi_rule.clone().list_rules(request).await {
        Ok(answer) => {
            let answer = answer.into_inner();
            let rules: Result<Vec<_>, _> = answer.rules.into_iter().map(RuleView::of).collect();
            match rules {
                Ok(rules) => success_of(
                    BAZI_RULE,
                    &RuleList {
                        rule_set_version: answer.rule_set_version,
                        count: rules.len(),
                        rules,
                    },
                ),
                Err(error) => error.logged().into_response(),
            }
        }
        Err(status) => failed(&status),
    }
}

/// `GET /api/v1/admin/rules/CODE`.
async fn fetch(State(state): State<AppState>, UrlPath(code): UrlPath<String>) -> Response {
    match state
        .bazi_rule
        .clone()
        .get_rule(GetRuleRequest { code })
        .await
    {
        Ok(answer) => match RuleView::of(answer.into_inner()) {
            Ok(rule) => success_of(BAZI_RULE, &rule),
            Err(error) => error.logged().into_response(),
        },
        Err(status) => failed(&status),
    }
}

fn changed(change: bazi_rule_api::RuleChange, created: bool) -> Response {
    let rule = match change.rule.map(RuleView::of).transpose() {
        Ok(rule) => rule,
        Err(error) => return error.logged().into_response(),
    };
    let mut response = success_of(
        BAZI_RULE,
        &Change {
            rule_set_version: change.rule_set_version,
            rule,
        },
    );
    if created && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::CREATED;
    }
    response
}

/// `POST /api/v1/admin/rules`: 201, 409 if the code is taken, 422 with the
/// path of a bad condition.
async fn create(State(state): State<AppState>, body: Bytes) -> Response {
    let rule = match parse_rule(&body, None) {
        Ok(rule) => rule,
        Err(error) => return error.into_response(),
    };
    let request = PutRuleRequest { rule: Some(rule) };
    match state.bazi_rule.clone().create_rule(request).await {
        Ok(change) => changed(change.into_inner(), true),
        Err(status) => failed(&status),
    }
}

/// `PUT /api/v1/admin/rules/CODE`: 200, 404 if there is no such rule.
async fn update(
    State(state): State<AppState>,
    UrlPath(code): UrlPath<String>,
    body: Bytes,
) -> Response {
    let rule = match parse_rule(&body, Some(&code)) {
        Ok(rule) => rule,
        Err(error) => return error.into_response(),
    };
    let request = PutRuleRequest { rule: Some(rule) };
    match state.bazi_rule.clone().update_rule(request).await {
        Ok(change) => changed(change.into_inner(), false),
        Err(status) => failed(&status),
    }
}

/// `DELETE /api/v1/admin/rules/CODE`.
async fn remove(State(state): State<AppState>, UrlPath(code): UrlPath<String>) -> Response {
    match state
        .bazi_rule
        .clone()
        .delete_rule(DeleteRuleRequest { code })
        .await
    {
        Ok(change) => changed(change.into_inner(), false),
        Err(status) => failed(&status),
    }
}

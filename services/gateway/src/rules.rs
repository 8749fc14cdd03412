//! `/api/v1/bazi/rules/*`: rules matched against a chart, and what rules
//! there are (bazi_rule).

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bazi_rule_api::RuleTypesRequest;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::request::parse_match_request;
use crate::{
    raw_json, success_of, upstream_version, with_versions, ApiError, AppState, BAZI_RULE,
    BAZI_RULE_VERSION_HEADER,
};

/// `data` of `/rules/match`: bazi_rule's JSON parts as it wrote them.
#[derive(Serialize)]
struct Matched {
    matched: Box<RawValue>,
    unmatched: Box<RawValue>,
    context: Box<RawValue>,
    metadata: Box<RawValue>,
}

/// `POST /api/v1/bazi/rules/match`.
pub(crate) async fn match_rules(State(state): State<AppState>, body: Bytes) -> Response {
    let request = match parse_match_request(&body) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let (response, version) = match state.bazi_rule.clone().match_rules(request).await {
        Ok(answer) => {
            let version = upstream_version(answer.metadata());
            let answer = answer.into_inner();
            let parts = (|| {
                Ok::<_, ApiError>(Matched {
                    matched: raw_json(BAZI_RULE, "matched_json", answer.matched_json)?,
                    unmatched: raw_json(BAZI_RULE, "unmatched_json", answer.unmatched_json)?,
                    context: raw_json(BAZI_RULE, "context_json", answer.context_json)?,
                    metadata: raw_json(BAZI_RULE, "metadata_json", answer.metadata_json)?,
                })
            })();
            let response = match parts {
                Ok(parts) => success_of(BAZI_RULE, &parts),
                Err(error) => error.logged().into_response(),
            };
            (response, version)
        }
        Err(status) => (
            ApiError::from_status(BAZI_RULE, &status)
                .logged()
                .into_response(),
            upstream_version(status.metadata()),
        ),
    };
    with_versions(response, [(BAZI_RULE_VERSION_HEADER, version)])
}

#[derive(Serialize)]
struct TypeCount {
    rule_type: String,
    enabled: u32,
    disabled: u32,
}

#[derive(Serialize)]
struct Types {
    types: Vec<TypeCount>,
    rule_set_version: u64,
}

#[derive(Serialize)]
struct Stats {
    rule_set_version: u64,
    total: u32,
    enabled: u32,
    disabled: u32,
    types: usize,
    by_type: Vec<TypeCount>,
}

async fn rule_types(state: &AppState) -> Result<Types, ApiError> {
    let answer = state
        .bazi_rule
        .clone()
        .rule_types(RuleTypesRequest {})
        .await
        .map_err(|status| ApiError::from_status(BAZI_RULE, &status))?
        .into_inner();
    Ok(Types {
        types: answer
            .types
            .into_iter()
            .map(|t| TypeCount {
                rule_type: t.rule_type,
                enabled: t.enabled,
                disabled: t.disabled,
            })
            .collect(),
        rule_set_version: answer.rule_set_version,
    })
}

/// `GET /api/v1/bazi/rules/types`.
pub(crate) async fn types(State(state): State<AppState>) -> Response {
    match rule_types(&state).await {
        Ok(types) => success_of(BAZI_RULE, &types),
        Err(error) => error.logged().into_response(),
    }
}

/// `GET /api/v1/bazi/rules/stats`.
pub(crate) async fn stats(State(state): State<AppState>) -> Response {
    match rule_types(&state).await {
        Ok(types) => {
            let enabled = types.types.iter().map(|t| t.enabled).sum();
            let disabled = types.types.iter().map(|t| t.disabled).sum();
            let stats = Stats {
                rule_set_version: types.rule_set_version,
                total: enabled + disabled,
                enabled,
                disabled,
                types: types.types.len(),
                by_type: types.types,
            };
            success_of(BAZI_RULE, &stats)
        }
        Err(error) => error.logged().into_response(),
    }
}

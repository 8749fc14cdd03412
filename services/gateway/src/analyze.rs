//! `/api/v1/bazi/wangshuai` and `/api/v1/bazi/analyze`: judgements on a
//! chart (bazi_analyzer).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bazi_analyzer_api::BaziAnalyzerRequest;
use serde_json::value::RawValue;

use crate::request::parse_analyze_request;
use crate::{
    raw_json, success, upstream_version, with_versions, ApiError, AppState, BAZI_ANALYZER,
    BAZI_ANALYZER_VERSION_HEADER,
};

/// The strength analysis alone.
const WANGSHUAI: &str = "wangshuai";

/// `POST /api/v1/bazi/analyze`: every analysis asked for (default: all).
pub(crate) async fn analyze(State(state): State<AppState>, body: Bytes) -> Response {
    match parse_analyze_request(&body) {
        Ok(request) => run(&state, request, None).await,
        Err(error) => error.into_response(),
    }
}

/// `POST /api/v1/bazi/wangshuai`: the day master's strength.
pub(crate) async fn wangshuai(State(state): State<AppState>, body: Bytes) -> Response {
    match parse_analyze_request(&body) {
        Ok(mut request) => {
            request.analysis_types = vec![WANGSHUAI.to_owned()];
            run(&state, request, Some(WANGSHUAI)).await
        }
        Err(error) => error.into_response(),
    }
}

/// Runs the analyses; `only` picks one result out of `results_json`.
async fn run(state: &AppState, request: BaziAnalyzerRequest, only: Option<&str>) -> Response {
    let (response, version) = match state.bazi_analyzer.clone().run_analyzers(request).await {
        Ok(answer) => {
            let version = upstream_version(answer.metadata());
            let results = answer.into_inner().results_json;
            let response = match only {
                None => match raw_json(BAZI_ANALYZER, "results_json", results) {
                    Ok(raw) => success(&raw),
                    Err(error) => error.logged().into_response(),
                },
                Some(kind) => match pick(&results, kind) {
                    Ok(raw) => success(raw),
                    Err(error) => error.logged().into_response(),
                },
            };
            (response, version)
        }
        Err(status) => (
            ApiError::from_status(BAZI_ANALYZER, &status)
                .logged()
                .into_response(),
            upstream_version(status.metadata()),
        ),
    };
    with_versions(response, [(BAZI_ANALYZER_VERSION_HEADER, version)])
}

/// One analysis out of `results_json`, without re-encoding it.
fn pick<'a>(results: &'a str, kind: &str) -> Result<&'a RawValue, ApiError> {
    let map: BTreeMap<String, &RawValue> = serde_json::from_str(results).map_err(|error| {
        ApiError::upstream(
            BAZI_ANALYZER,
            format!("its results_json is not an object ({error})"),
        )
    })?;
    map.get(kind)
        .copied()
        .ok_or_else(|| ApiError::upstream(BAZI_ANALYZER, format!("its answer has no {kind}")))
}

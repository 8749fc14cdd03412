//! `/api/v2/desk-fengshui/*`: a desk photo analysed by desk_fengshui, and
//! the rules it applies.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Response};
use desk_fengshui_api::{DeskAnalysisRequest, DeskAnalysisResponse, ListRulesRequest, Suggestion};
use serde::Serialize;

use crate::photo;
use crate::{
    raw_json, success_of, upstream_version, with_versions, ApiError, AppState, DESK_FENGSHUI,
    DESK_FENGSHUI_VERSION_HEADER,
};

/// `data` of `/analyze`.
#[derive(Serialize)]
struct Analysis {
    items: Vec<Item>,
    adjustments: Vec<Advice>,
    additions: Vec<Advice>,
    removals: Vec<Advice>,
    score: i32,
    summary: String,
    xishen: String,
    jishen: String,
    detect_ms: i64,
}

#[derive(Serialize)]
struct Item {
    name: String,
    label: String,
    confidence: f64,
    bbox: Vec<f64>,
    relative_position: String,
    bagua_direction: String,
}

#[derive(Serialize)]
struct Advice {
    item: String,
    item_label: String,
    current_position: String,
    ideal_position: String,
    reason: String,
    priority: String,
    action: String,
    element: String,
}

impl From<Suggestion> for Advice {
    fn from(s: Suggestion) -> Self {
        Advice {
            item: s.item,
            item_label: s.item_label,
            current_position: s.current_position,
            ideal_position: s.ideal_position,
            reason: s.reason,
            priority: s.priority,
            action: s.action,
            element: s.element,
        }
    }
}

impl From<DeskAnalysisResponse> for Analysis {
    fn from(r: DeskAnalysisResponse) -> Self {
        Analysis {
            items: r
                .items
                .into_iter()
                .map(|i| Item {
                    name: i.name,
                    label: i.label,
                    confidence: i.confidence,
                    bbox: i.bbox,
                    relative_position: i.relative_position,
                    bagua_direction: i.bagua_direction,
                })
                .collect(),
            adjustments: r.adjustments.into_iter().map(Advice::from).collect(),
            additions: r.additions.into_iter().map(Advice::from).collect(),
            removals: r.removals.into_iter().map(Advice::from).collect(),
            score: r.score,
            summary: r.summary,
            xishen: r.xishen,
            jishen: r.jishen,
            detect_ms: r.detect_ms,
        }
    }
}

/// `POST /api/v2/desk-fengshui/analyze` (multipart).
pub(crate) async fn analyze(
    State(state): State<AppState>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let request = match photo::read(form, "the desk photo").await {
        Ok(photo) => DeskAnalysisRequest {
            image_data: photo.image,
            solar_date: photo.solar_date,
            solar_time: photo.solar_time,
            gender: photo.gender,
            use_bazi: photo.use_bazi,
        },
        Err(error) => return error.into_response(),
    };
    let (response, version) = match state.desk.clone().analyze_desk(request).await {
        Ok(answer) => {
            let version = upstream_version(answer.metadata());
            let analysis = Analysis::from(answer.into_inner());
            (success_of(DESK_FENGSHUI, &analysis), version)
        }
        Err(status) => (
            ApiError::from_status(DESK_FENGSHUI, &status)
                .logged()
                .into_response(),
            upstream_version(status.metadata()),
        ),
    };
    with_versions(response, [(DESK_FENGSHUI_VERSION_HEADER, version)])
}

/// `data` of `/rules`.
#[derive(Serialize)]
struct Rules {
    rules: Box<serde_json::value::RawValue>,
    version: i64,
}

/// `GET /api/v2/desk-fengshui/rules`.
pub(crate) async fn rules(State(state): State<AppState>) -> Response {
    let (response, version) = match state.desk.clone().list_rules(ListRulesRequest {}).await {
        Ok(answer) => {
            let version = upstream_version(answer.metadata());
            let answer = answer.into_inner();
            let response = match raw_json(DESK_FENGSHUI, "rules_json", answer.rules_json) {
                Ok(rules) => success_of(
                    DESK_FENGSHUI,
                    &Rules {
                        rules,
                        version: answer.version,
                    },
                ),
                Err(error) => error.logged().into_response(),
            };
            (response, version)
        }
        Err(status) => (
            ApiError::from_status(DESK_FENGSHUI, &status)
                .logged()
                .into_response(),
            upstream_version(status.metadata()),
        ),
    };
    with_versions(response, [(DESK_FENGSHUI_VERSION_HEADER, version)])
}

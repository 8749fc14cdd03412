//! `/api/v2/desk-fengshui/*`: a desk photo analysed by desk_fengshui, and
//! the rules it applies.

use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Response};
use desk_fengshui_api::{DeskAnalysisRequest, DeskAnalysisResponse, ListRulesRequest, Suggestion};
use serde::Serialize;

use crate::request::invalid;
use crate::{
    raw_json, success_of, upstream_version, with_versions, ApiError, AppState, DESK_FENGSHUI,
    DESK_FENGSHUI_VERSION_HEADER,
};

/// Largest upload: a 10 MB photo and the form's other fields.
pub(crate) const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024 + 64 * 1024;

/// The form's fields, in the order a person fills them.
const IMAGE_FIELDS: [&str; 2] = ["image", "file"];

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

/// The multipart form: `image` (or `file`), and optional `solar_date`,
/// `solar_time`, `gender`, `use_bazi` (`true` / `false`; default: true
/// when a birth date is given).
async fn read_form(mut form: Multipart) -> Result<DeskAnalysisRequest, ApiError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        ApiError::BadRequest(format!(
            "the multipart form is unreadable ({e}); send multipart/form-data with an image field of at most 10 MB"
        ))
    };
    let mut request = DeskAnalysisRequest::default();
    let mut image = None;
    let mut use_bazi = None;
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        if IMAGE_FIELDS.contains(&name.as_str()) {
            image = Some(field.bytes().await.map_err(unreadable)?.to_vec());
            continue;
        }
        let text = field.text().await.map_err(unreadable)?;
        match name.as_str() {
            "solar_date" => request.solar_date = text,
            "solar_time" => request.solar_time = text,
            "gender" => request.gender = text,
            "use_bazi" => {
                use_bazi = Some(match text.trim() {
                    "true" | "1" => true,
                    "false" | "0" | "" => false,
                    other => {
                        return Err(invalid(
                            "use_bazi",
                            format!("use_bazi: {other:?} is not true or false"),
                        ))
                    }
                })
            }
            // Unknown fields are ignored, as browsers send extra ones.
            _ => {}
        }
    }
    request.image_data = image.ok_or_else(|| {
        invalid(
            "image",
            "image: is missing; send the desk photo (JPEG, PNG or WebP) as the form field \"image\"".to_owned(),
        )
    })?;
    request.use_bazi = use_bazi.unwrap_or(!request.solar_date.is_empty());
    Ok(request)
}

/// `POST /api/v2/desk-fengshui/analyze` (multipart).
pub(crate) async fn analyze(
    State(state): State<AppState>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let form = match form {
        Ok(form) => form,
        Err(rejection) => {
            return ApiError::BadRequest(format!(
                "{rejection}; send multipart/form-data with the photo as the field \"image\""
            ))
            .into_response()
        }
    };
    let request = match read_form(form).await {
        Ok(request) => request,
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

//! The HiFate HTTP gateway: a JSON API in front of the gRPC services. The
//! gateway computes nothing itself; it validates the request shape, calls the
//! services through their front ports, and returns what they computed.
//!
//! # API
//!
//! `POST /api/v1/bazi/calculate` with `{"solar_date":"1990-01-15","solar_time":"12:00","gender":"male"}`
//! → `{"success":true,"message":null,"data":{"basic_info":…,"bazi_pillars":…,"details":…,"ten_gods_stats":…,"elements":…,"element_counts":…,"relationships":…}}`,
//! the chart that `bazi_core` put in `metadata_json.data`, byte for byte.
//!
//! `POST /api/v1/bazi/detail` with the same fields and an optional
//! `current_time` (ISO 8601; default now) → `{"success":true,"message":null,"data":{…the chart…,"dayun_info":…,"dayun_sequence":…,"liunian_sequence":…,"liuyue_sequence":…,"liuri_sequence":…,"liushi_sequence":…}}`:
//! `bazi_core` and `bazi_fortune` are called at once, and the fortune's parts
//! follow the chart's keys.
//!
//! | outcome | status | body |
//! |---------|--------|------|
//! | body empty, not JSON, or not a JSON object | 400 | `{"success":false,"message":"request body is not valid JSON …"}` |
//! | field missing or not a string, or rejected by a service (`INVALID_ARGUMENT`) | 422 | `{"success":false,"message":"<field>: <reason>","field":"<field>"}` |
//! | a service unreachable (`UNAVAILABLE`, connection refused) | 503 | `{"success":false,"message":"<service> is unavailable: …","service":"<service>"}` |
//! | any other gRPC error, or an unreadable answer | 502 | `{"success":false,"message":"<service> failed: …","service":"<service>"}` |
//!
//! Rules and analyses:
//!
//! | endpoint | what |
//! |---|---|
//! | `POST /api/v1/bazi/rules/match` | birth fields, `rule_types` (optional list), `use_cache` (optional) → `{matched, unmatched, context, metadata}` from bazi_rule |
//! | `GET /api/v1/bazi/rules/types` | rule types with enabled / disabled counts, rule-set version |
//! | `GET /api/v1/bazi/rules/stats` | counts by type, totals, rule-set version |
//! | `POST /api/v1/bazi/wangshuai` | birth fields → day-master strength (bazi_analyzer) |
//! | `POST /api/v1/bazi/analyze` | birth fields, `analysis_types` (optional list) → every analysis asked for |
//! | `GET /api/v1/admin/rules[?rule_type=&include_disabled=true]`, `GET /api/v1/admin/rules/CODE` | rules as stored (token); `CODE` may contain `/` (`rizhu_gender/庚辰/male`) |
//! | `POST /api/v1/admin/rules`, `PUT /api/v1/admin/rules/CODE`, `DELETE /api/v1/admin/rules/CODE` | change rules live (token): 201 / 200, 404 unknown code, 409 taken code, 422 with the path of a bad condition |
//!
//! Payments (payment_service):
//!
//! | endpoint | what |
//! |---|---|
//! | `POST /api/v1/payment/create-session` | `{amount, currency, product_name, customer_email, metadata?}` (and an optional `Idempotency-Key` header) → `{session_id, checkout_url, status, message}` |
//! | `POST /api/v1/payment/verify` | `{session_id}` → the payment as the ledger knows it |
//! | `POST /api/v1/payment/webhook` | the provider's event, its raw body and `Stripe-Signature` passed on untouched |
//! | `GET /api/v1/payment/sandbox/ID`, `POST …/ID/complete`, `POST …/ID/cancel` | the sandbox checkout page and its buttons |
//!
//! Questions (intent_service; smart-analyze also bazi_core, bazi_rule and bazi_fortune):
//!
//! | endpoint | what |
//! |---|---|
//! | `POST /api/v1/intent/classify` | `{question, user_id?, context?: {current_date?}, use_cache?, prompt_version?}` → the classification: intents, confidence, rule types, keywords, reasoning, time intent, off-topic refusal |
//! | `GET /api/v1/smart-fortune/test-intent?question=…[&current_date=]` | the same, from the query string |
//! | `GET /api/v1/smart-fortune/smart-analyze?question=&solar_date=&solar_time=&gender=[&current_date=]` | `{question, intent, chart, rules, fortune: {target_years, dayun, liunian, dayun_info}}`: the rules of the intents' rule types, and the luck pillars and years the question names (this year when it names none); an off-topic question gets its refusal and no chart |
//!
//! Desk feng-shui (desk_fengshui):
//!
//! | endpoint | what |
//! |---|---|
//! | `POST /api/v2/desk-fengshui/analyze` | multipart: `image` (JPEG, PNG or WebP, at most 10 MB), optional `solar_date`, `solar_time`, `gender`, `use_bazi` (default: true with a birth date) → `{items, adjustments, additions, removals, score, summary, xishen, jishen, detect_ms}` |
//! | `GET /api/v2/desk-fengshui/rules` | the rules in force and the rule-set version |
//!
//! Hand and face (fortune_analysis):
//!
//! | route | what |
//! |---|---|
//! | `POST /api/v1/fortune/hand/analyze` | multipart: `image` (an open hand), optional birth fields and `use_bazi` as above → `{hand_shape, finger_lengths, measurements, landmarks, insights, integrated_insights, recommendations, confidence, bazi, report}`; no hand in the photo → 422 naming `image` |
//! | `POST /api/v1/fortune/face/analyze`, `POST /api/v2/face/analyze` | multipart: `image` (a face) … → `{san_ting_ratio, facial_attributes, feature_measurements, special_features, landmarks, insights, integrated_insights, recommendations, confidence, bazi, report}` |
//! | `POST /api/v2/face/detect` | multipart: `image` → the face mesh only: `{landmarks, face_box, score, detection_score, image_width, image_height}` |
//!
//! The rule administration needs `Authorization: Bearer <token>` (401
//! without): the token is `GATEWAY_ADMIN_TOKEN`, else the one generated into
//! the gateway's data directory (`admin-token`, owner-only).
//!
//! Each service's `x-hifate-version` (added by the supervisor's front proxy)
//! is passed on as `x-<service>-version` (`x-bazi-core-version`, …).

mod admin;
mod analyze;
mod chart;
mod desk;
mod error;
mod fortune;
mod intent;
mod payment;
mod photo;
mod request;
mod rules;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bazi_analyzer_api::bazi_analyzer_service_client::BaziAnalyzerServiceClient;
use bazi_core_api::bazi_core_service_client::BaziCoreServiceClient;
use bazi_fortune_api::bazi_fortune_service_client::BaziFortuneServiceClient;
use bazi_rule_api::bazi_rule_service_client::BaziRuleServiceClient;
use desk_fengshui_api::desk_fengshui_service_client::DeskFengshuiServiceClient;
use fortune_analysis_api::fortune_analysis_service_client::FortuneAnalysisServiceClient;
use hifate_sdk::{Peer, PeerError};
use intent_service_api::intent_service_client::IntentServiceClient;
use payment_service_api::payment_service_client::PaymentServiceClient;
use serde::Serialize;
use serde_json::value::RawValue;
use tonic::metadata::MetadataMap;
use tonic::transport::Channel;

pub use admin::{AdminToken, TOKEN_FILE, TOKEN_VAR};
pub use error::ApiError;
pub use request::{parse_chart_request, parse_detail_request, DetailRequest};

/// Name of the service under the supervisor.
pub const SERVICE_NAME: &str = "gateway";
/// TCP port used when the binary runs without a supervisor.
pub const DEFAULT_PORT: u16 = 8001;
/// The chart service.
pub const BAZI_CORE: &str = "bazi_core";
/// The luck-pillar service.
pub const BAZI_FORTUNE: &str = "bazi_fortune";
/// The analysis service.
pub const BAZI_ANALYZER: &str = "bazi_analyzer";
/// The rule service.
pub const BAZI_RULE: &str = "bazi_rule";
/// The payment service.
pub const PAYMENT_SERVICE: &str = "payment_service";
/// The question classifier.
pub const INTENT_SERVICE: &str = "intent_service";
/// The desk photo service.
pub const DESK_FENGSHUI: &str = "desk_fengshui";
/// The hand and face photo service.
pub const FORTUNE_ANALYSIS: &str = "fortune_analysis";
/// Path of the chart endpoint.
pub const CALCULATE_PATH: &str = "/api/v1/bazi/calculate";
/// Path of the chart-and-fortune endpoint.
pub const DETAIL_PATH: &str = "/api/v1/bazi/detail";
/// Response header carrying the version of the `bazi_core` process that answered.
pub const BAZI_CORE_VERSION_HEADER: &str = "x-bazi-core-version";
/// Response header carrying the version of the `bazi_fortune` process that answered.
pub const BAZI_FORTUNE_VERSION_HEADER: &str = "x-bazi-fortune-version";
/// Response header carrying the version of the `bazi_analyzer` process that answered.
pub const BAZI_ANALYZER_VERSION_HEADER: &str = "x-bazi-analyzer-version";
/// Response header carrying the version of the `bazi_rule` process that answered.
pub const BAZI_RULE_VERSION_HEADER: &str = "x-bazi-rule-version";
/// Response header carrying the version of the `intent_service` process that answered.
pub const INTENT_SERVICE_VERSION_HEADER: &str = "x-intent-service-version";
/// Response header carrying the version of the `desk_fengshui` process that answered.
pub const DESK_FENGSHUI_VERSION_HEADER: &str = "x-desk-fengshui-version";
/// Response header carrying the version of the `fortune_analysis` process that answered.
pub const FORTUNE_ANALYSIS_VERSION_HEADER: &str = "x-fortune-analysis-version";
/// gRPC response metadata with the answering process's version.
pub const UPSTREAM_VERSION_METADATA: &str = "x-hifate-version";

/// Shared state of the HTTP handlers: a client per service, and the rule
/// administration's token.
#[derive(Debug, Clone)]
pub struct AppState {
    bazi_core: BaziCoreServiceClient<Channel>,
    bazi_fortune: BaziFortuneServiceClient<Channel>,
    bazi_analyzer: BaziAnalyzerServiceClient<Channel>,
    bazi_rule: BaziRuleServiceClient<Channel>,
    payment: PaymentServiceClient<Channel>,
    intent: IntentServiceClient<Channel>,
    desk: DeskFengshuiServiceClient<Channel>,
    fortune: FortuneAnalysisServiceClient<Channel>,
    admin_token: Arc<AdminToken>,
}

/// How the gateway reaches each service.
#[derive(Debug, Clone)]
pub struct Peers {
    pub bazi_core: Peer,
    pub bazi_fortune: Peer,
    pub bazi_analyzer: Peer,
    pub bazi_rule: Peer,
    pub payment_service: Peer,
    pub intent_service: Peer,
    pub desk_fengshui: Peer,
    pub fortune_analysis: Peer,
}

impl Default for Peers {
    /// Through the supervisor's front ports (`HIFATE_SERVICE_ADDR_<NAME>`),
    /// else the services' own ports (the guide's), with the SDK's connect
    /// and call timeouts.
    fn default() -> Self {
        Peers {
            bazi_core: Peer::new(BAZI_CORE).or_addr("127.0.0.1:9001"),
            bazi_fortune: Peer::new(BAZI_FORTUNE).or_addr("127.0.0.1:9002"),
            bazi_analyzer: Peer::new(BAZI_ANALYZER).or_addr("127.0.0.1:9003"),
            bazi_rule: Peer::new(BAZI_RULE).or_addr("127.0.0.1:9004"),
            payment_service: Peer::new(PAYMENT_SERVICE).or_addr("127.0.0.1:9006"),
            intent_service: Peer::new(INTENT_SERVICE).or_addr("127.0.0.1:9008"),
            // A detection takes about 0.1 s; a large photo's upload longer.
            desk_fengshui: Peer::new(DESK_FENGSHUI)
                .or_addr("127.0.0.1:9010")
                .request_timeout(std::time::Duration::from_secs(30)),
            fortune_analysis: Peer::new(FORTUNE_ANALYSIS)
                .or_addr("127.0.0.1:9005")
                .request_timeout(std::time::Duration::from_secs(30)),
        }
    }
}

impl AppState {
    /// Clients of every service through `peers`. Connections are opened on
    /// first use and re-opened as needed, so the gateway starts and answers
    /// (with 503) even while a service is down. Must be called within a
    /// Tokio runtime.
    pub fn connect_lazy(peers: &Peers, admin_token: AdminToken) -> Result<Self, PeerError> {
        Ok(AppState {
            bazi_core: BaziCoreServiceClient::new(peers.bazi_core.connect_lazy()?),
            bazi_fortune: BaziFortuneServiceClient::new(peers.bazi_fortune.connect_lazy()?),
            bazi_analyzer: BaziAnalyzerServiceClient::new(peers.bazi_analyzer.connect_lazy()?),
            bazi_rule: BaziRuleServiceClient::new(peers.bazi_rule.connect_lazy()?),
            payment: PaymentServiceClient::new(peers.payment_service.connect_lazy()?),
            intent: IntentServiceClient::new(peers.intent_service.connect_lazy()?),
            desk: DeskFengshuiServiceClient::new(peers.desk_fengshui.connect_lazy()?)
                .max_encoding_message_size(photo::MAX_UPLOAD_BYTES),
            fortune: FortuneAnalysisServiceClient::new(peers.fortune_analysis.connect_lazy()?)
                .max_encoding_message_size(photo::MAX_UPLOAD_BYTES),
            admin_token: Arc::new(admin_token),
        })
    }
}

/// The gateway's routes (the SDK adds `GET /health` when serving).
pub fn app(state: AppState) -> Router {
    Router::new()
        .route(CALCULATE_PATH, post(chart::calculate))
        .route(DETAIL_PATH, post(chart::detail))
        .route("/api/v1/bazi/rules/match", post(rules::match_rules))
        .route("/api/v1/bazi/rules/types", get(rules::types))
        .route("/api/v1/bazi/rules/stats", get(rules::stats))
        .route("/api/v1/bazi/wangshuai", post(analyze::wangshuai))
        .route("/api/v1/bazi/analyze", post(analyze::analyze))
        .route(
            "/api/v1/payment/create-session",
            post(payment::create_session),
        )
        .route("/api/v1/payment/verify", post(payment::verify))
        .route("/api/v1/payment/webhook", post(payment::webhook))
        .route("/api/v1/payment/sandbox/{id}", get(payment::sandbox_page))
        .route(
            "/api/v1/payment/sandbox/{id}/{action}",
            post(payment::sandbox_action),
        )
        .route("/api/v1/intent/classify", post(intent::classify))
        .route(
            "/api/v1/smart-fortune/test-intent",
            get(intent::test_intent),
        )
        .route(
            "/api/v1/smart-fortune/smart-analyze",
            get(intent::smart_analyze),
        )
        .route(
            "/api/v2/desk-fengshui/analyze",
            post(desk::analyze).layer(DefaultBodyLimit::max(photo::MAX_UPLOAD_BYTES)),
        )
        .route("/api/v2/desk-fengshui/rules", get(desk::rules))
        .route(
            "/api/v1/fortune/hand/analyze",
            post(fortune::hand).layer(DefaultBodyLimit::max(photo::MAX_UPLOAD_BYTES)),
        )
        .route(
            "/api/v1/fortune/face/analyze",
            post(fortune::face).layer(DefaultBodyLimit::max(photo::MAX_UPLOAD_BYTES)),
        )
        .route(
            "/api/v2/face/analyze",
            post(fortune::face).layer(DefaultBodyLimit::max(photo::MAX_UPLOAD_BYTES)),
        )
        .route(
            "/api/v2/face/detect",
            post(fortune::face_detect).layer(DefaultBodyLimit::max(photo::MAX_UPLOAD_BYTES)),
        )
        .merge(admin::routes(state.clone()))
        .with_state(state)
}

#[derive(Serialize)]
struct Success<'a> {
    success: bool,
    message: Option<&'a str>,
    data: &'a RawValue,
}

/// `x-hifate-version` of an answer, as a header value.
fn upstream_version(metadata: &MetadataMap) -> Option<HeaderValue> {
    let value = metadata.get(UPSTREAM_VERSION_METADATA)?;
    HeaderValue::from_bytes(value.as_bytes()).ok()
}

/// One service's answer: its body text, or the error to show, and the
/// version that answered.
struct Answer {
    body: Result<String, ApiError>,
    version: Option<HeaderValue>,
}

/// `{"success":true,"message":null,"data":…}` with `data` as given.
fn success(data: &RawValue) -> Response {
    Json(Success {
        success: true,
        message: None,
        data,
    })
    .into_response()
}

/// `{"success":true,"message":null,"data":…}` with `data` serialised.
fn success_of<T: Serialize>(service: &'static str, data: &T) -> Response {
    match serde_json::value::to_raw_value(data) {
        Ok(raw) => success(&raw),
        Err(error) => ApiError::upstream(service, format!("cannot encode its answer ({error})"))
            .logged()
            .into_response(),
    }
}

/// A service's JSON text as a raw value (checked, not re-encoded).
fn raw_json(service: &'static str, what: &str, text: String) -> Result<Box<RawValue>, ApiError> {
    RawValue::from_string(text)
        .map_err(|error| ApiError::upstream(service, format!("its {what} is not JSON ({error})")))
}

fn with_versions(
    mut response: Response,
    versions: impl IntoIterator<Item = (&'static str, Option<HeaderValue>)>,
) -> Response {
    for (header, version) in versions {
        if let Some(version) = version {
            response.headers_mut().insert(header, version);
        }
    }
    response
}

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
//! Each service's `x-hifate-version` (added by the supervisor's front proxy)
//! is passed on as `x-bazi-core-version` / `x-bazi-fortune-version`.

mod error;
mod request;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use bazi_core_api::bazi_core_service_client::BaziCoreServiceClient;
use bazi_fortune_api::bazi_fortune_service_client::BaziFortuneServiceClient;
use hifate_sdk::{Peer, PeerError};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tonic::metadata::MetadataMap;
use tonic::transport::Channel;

pub use error::ApiError;
pub use request::{parse_chart_request, parse_detail_request, DetailRequest};

/// Name of the service under the supervisor.
pub const SERVICE_NAME: &str = "gateway";
/// TCP port used when the binary runs without a supervisor.
pub const DEFAULT_PORT: u16 = 8001;
/// The chart service.
pub const BAZI_CORE: &str = "bazi_core";
/// Where to call `bazi_core` when the supervisor does not say.
pub const DEFAULT_BAZI_CORE_ADDR: &str = "127.0.0.1:9001";
/// The luck-pillar service.
pub const BAZI_FORTUNE: &str = "bazi_fortune";
/// Where to call `bazi_fortune` when the supervisor does not say.
pub const DEFAULT_BAZI_FORTUNE_ADDR: &str = "127.0.0.1:9002";
/// Path of the chart endpoint.
pub const CALCULATE_PATH: &str = "/api/v1/bazi/calculate";
/// Path of the chart-and-fortune endpoint.
pub const DETAIL_PATH: &str = "/api/v1/bazi/detail";
/// Response header carrying the version of the `bazi_core` process that answered.
pub const BAZI_CORE_VERSION_HEADER: &str = "x-bazi-core-version";
/// Response header carrying the version of the `bazi_fortune` process that answered.
pub const BAZI_FORTUNE_VERSION_HEADER: &str = "x-bazi-fortune-version";
/// gRPC response metadata with the answering process's version.
pub const UPSTREAM_VERSION_METADATA: &str = "x-hifate-version";

/// Shared state of the HTTP handlers: a client per service.
#[derive(Debug, Clone)]
pub struct AppState {
    bazi_core: BaziCoreServiceClient<Channel>,
    bazi_fortune: BaziFortuneServiceClient<Channel>,
}

/// How the gateway reaches each service.
#[derive(Debug, Clone)]
pub struct Peers {
    pub bazi_core: Peer,
    pub bazi_fortune: Peer,
}

impl Default for Peers {
    /// Through the supervisor's front ports (`HIFATE_SERVICE_ADDR_<NAME>`),
    /// else the services' own ports, with the SDK's connect and call timeouts.
    fn default() -> Self {
        Peers {
            bazi_core: Peer::new(BAZI_CORE).or_addr(DEFAULT_BAZI_CORE_ADDR),
            bazi_fortune: Peer::new(BAZI_FORTUNE).or_addr(DEFAULT_BAZI_FORTUNE_ADDR),
        }
    }
}

impl AppState {
    /// Clients of every service through `peers`. Connections are opened on
    /// first use and re-opened as needed, so the gateway starts and answers
    /// (with 503) even while a service is down. Must be called within a
    /// Tokio runtime.
    pub fn connect_lazy(peers: &Peers) -> Result<Self, PeerError> {
        Ok(AppState {
            bazi_core: BaziCoreServiceClient::new(peers.bazi_core.connect_lazy()?),
            bazi_fortune: BaziFortuneServiceClient::new(peers.bazi_fortune.connect_lazy()?),
        })
    }
}

/// The gateway's routes (the SDK adds `GET /health` when serving).
pub fn app(state: AppState) -> Router {
    Router::new()
        .route(CALCULATE_PATH, post(calculate))
        .route(DETAIL_PATH, post(detail))
        .with_state(state)
}

/// The part of `bazi_core`'s `metadata_json` the gateway returns.
#[derive(Deserialize)]
struct ChartMetadata<'a> {
    #[serde(borrow)]
    data: &'a RawValue,
}

/// The parts of `bazi_fortune`'s `detail_json` that `/detail` adds to the chart.
#[derive(Deserialize, Serialize)]
struct FortuneParts<'a> {
    #[serde(borrow)]
    dayun_info: &'a RawValue,
    #[serde(borrow)]
    dayun_sequence: &'a RawValue,
    #[serde(borrow)]
    liunian_sequence: &'a RawValue,
    #[serde(borrow)]
    liuyue_sequence: &'a RawValue,
    #[serde(borrow)]
    liuri_sequence: &'a RawValue,
    #[serde(borrow)]
    liushi_sequence: &'a RawValue,
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

async fn chart_of(state: &AppState, request: bazi_core_api::BaziCoreRequest) -> Answer {
    match state.bazi_core.clone().calculate_bazi(request).await {
        Ok(answer) => Answer {
            version: upstream_version(answer.metadata()),
            body: Ok(answer.into_inner().metadata_json),
        },
        Err(status) => Answer {
            version: upstream_version(status.metadata()),
            body: Err(ApiError::from_status(BAZI_CORE, &status)),
        },
    }
}

async fn fortune_of(state: &AppState, request: bazi_fortune_api::BaziFortuneRequest) -> Answer {
    match state
        .bazi_fortune
        .clone()
        .calculate_dayun_liunian(request)
        .await
    {
        Ok(answer) => Answer {
            version: upstream_version(answer.metadata()),
            body: Ok(answer.into_inner().detail_json),
        },
        Err(status) => Answer {
            version: upstream_version(status.metadata()),
            body: Err(ApiError::from_status(BAZI_FORTUNE, &status)),
        },
    }
}

/// The chart inside `bazi_core`'s `metadata_json`.
fn chart_data(metadata: &str) -> Result<&RawValue, ApiError> {
    serde_json::from_str::<ChartMetadata<'_>>(metadata)
        .map(|m| m.data)
        .map_err(|error| {
            ApiError::upstream(
                BAZI_CORE,
                format!("its answer has no readable chart ({error})"),
            )
        })
}

fn success(data: &RawValue) -> Response {
    Json(Success {
        success: true,
        message: None,
        data,
    })
    .into_response()
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

async fn calculate(State(state): State<AppState>, body: Bytes) -> Response {
    let request = match parse_chart_request(&body) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let answer = chart_of(&state, request).await;
    let response = match answer
        .body
        .as_deref()
        .map_err(Clone::clone)
        .and_then(chart_data)
    {
        Ok(data) => success(data),
        Err(error) => error.logged().into_response(),
    };
    with_versions(response, [(BAZI_CORE_VERSION_HEADER, answer.version)])
}

async fn detail(State(state): State<AppState>, body: Bytes) -> Response {
    let request = match parse_detail_request(&body) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let (chart, fortune) = tokio::join!(
        chart_of(&state, request.chart()),
        fortune_of(&state, request.fortune())
    );
    let response = match merge(&chart.body, &fortune.body) {
        Ok(data) => success(&data),
        Err(error) => error.logged().into_response(),
    };
    with_versions(
        response,
        [
            (BAZI_CORE_VERSION_HEADER, chart.version),
            (BAZI_FORTUNE_VERSION_HEADER, fortune.version),
        ],
    )
}

/// The chart object with the fortune's parts appended, keeping the chart's
/// text (and key order) exactly as `bazi_core` wrote it. When both calls
/// failed, the caller's mistake is reported before an outage.
fn merge(
    chart: &Result<String, ApiError>,
    fortune: &Result<String, ApiError>,
) -> Result<Box<RawValue>, ApiError> {
    let (chart, fortune) = match (chart, fortune) {
        (Ok(chart), Ok(fortune)) => (chart, fortune),
        (Err(a), Err(b)) => return Err(ApiError::first_of(a.clone(), b.clone())),
        (Err(error), _) | (_, Err(error)) => return Err(error.clone()),
    };
    let chart = chart_data(chart)?.get().trim();
    let parts: FortuneParts<'_> = serde_json::from_str(fortune).map_err(|error| {
        ApiError::upstream(
            BAZI_FORTUNE,
            format!("its answer is not a fortune ({error})"),
        )
    })?;
    let parts = serde_json::to_string(&parts)
        .map_err(|error| ApiError::upstream(BAZI_FORTUNE, error.to_string()))?;
    // Both are JSON objects: `{…chart…}` and `{…parts…}` make `{…chart…,…parts…}`.
    let (Some(head), Some(tail)) = (chart.strip_suffix('}'), parts.strip_prefix('{')) else {
        return Err(ApiError::upstream(
            BAZI_CORE,
            "its chart is not a JSON object",
        ));
    };
    let separator = if head.trim_end().ends_with('{') {
        ""
    } else {
        ","
    };
    RawValue::from_string(format!("{head}{separator}{tail}")).map_err(|error| {
        ApiError::upstream(BAZI_CORE, format!("cannot combine the answers ({error})"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_appends_the_fortune_to_the_chart() {
        let chart = Ok(
            r#"{"data":{"basic_info":{"a":1},"bazi_pillars":[]},"service":"bazi_core"}"#.to_owned(),
        );
        let fortune = Ok(r#"{"basic_info":{},"dayun_info":{"direction":"forward"},"dayun_sequence":[],"liunian_sequence":[1],"liuyue_sequence":[],"liuri_sequence":[],"liushi_sequence":[]}"#.to_owned());
        let merged = merge(&chart, &fortune).expect("merged");
        assert_eq!(
            merged.get(),
            r#"{"basic_info":{"a":1},"bazi_pillars":[],"dayun_info":{"direction":"forward"},"dayun_sequence":[],"liunian_sequence":[1],"liuyue_sequence":[],"liuri_sequence":[],"liushi_sequence":[]}"#
        );
    }

    #[test]
    fn merge_reports_the_callers_mistake_before_an_outage() {
        let invalid = ApiError::from_status(
            BAZI_FORTUNE,
            &tonic::Status::invalid_argument("current_time: \"x\" is not a date"),
        );
        let down = ApiError::from_status(BAZI_CORE, &tonic::Status::unavailable("refused"));
        let error = merge(&Err(down.clone()), &Err(invalid)).expect_err("both failed");
        assert!(matches!(&error, ApiError::Invalid { field: Some(f), .. } if f == "current_time"));
        let error = merge(&Err(down), &Ok("{}".to_owned())).expect_err("core down");
        assert_eq!(error.to_string(), "bazi_core is unavailable: refused");
    }
}

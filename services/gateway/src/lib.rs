//! The HiFate HTTP gateway: a JSON API in front of the `bazi_core` gRPC
//! service. The gateway computes nothing itself; it validates the request
//! shape, calls `bazi.core.BaziCoreService/CalculateBazi` and returns the
//! chart that `bazi_core` put in `metadata_json`, byte for byte.
//!
//! # API
//!
//! `POST /api/v1/bazi/calculate` with `{"solar_date":"1990-01-15","solar_time":"12:00","gender":"male"}`:
//!
//! | outcome | status | body |
//! |---------|--------|------|
//! | chart | 200 | `{"success":true,"message":null,"data":{"basic_info":…,"bazi_pillars":…,"details":…,"ten_gods_stats":…,"elements":…,"element_counts":…,"relationships":…}}` |
//! | body empty, not JSON, or not a JSON object | 400 | `{"success":false,"message":"request body is not valid JSON …"}` |
//! | field missing or not a string, or rejected by `bazi_core` (`INVALID_ARGUMENT`) | 422 | `{"success":false,"message":"<field>: <reason>","field":"<field>"}` |
//! | `bazi_core` unreachable (`UNAVAILABLE`, connection refused) | 503 | `{"success":false,"message":"bazi_core is unavailable: …"}` |
//! | any other gRPC error, or an unreadable answer | 502 | `{"success":false,"message":"bazi_core failed: …"}` |
//!
//! When the `bazi_core` answer (success or error) carries `x-hifate-version`
//! metadata (added by the supervisor's front proxy), the HTTP response carries
//! the same value in `x-bazi-core-version`.
//!
//! The `data` object is taken from `metadata_json.data` of the `bazi_core`
//! response without re-encoding, so its key order and content are exactly
//! those `bazi_core` produced.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use bazi_core_api::bazi_core_service_client::BaziCoreServiceClient;
use bazi_core_api::BaziCoreRequest;
use hifate_sdk::{Peer, PeerError};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use tonic::metadata::MetadataMap;
use tonic::transport::Channel;
use tonic::Code;

/// Name of the service under the supervisor.
pub const SERVICE_NAME: &str = "gateway";
/// TCP port used when the binary runs without a supervisor.
pub const DEFAULT_PORT: u16 = 8001;
/// Name of the upstream service.
pub const BAZI_CORE: &str = "bazi_core";
/// Where to call `bazi_core` when the supervisor does not say.
pub const DEFAULT_BAZI_CORE_ADDR: &str = "127.0.0.1:9001";
/// Path of the chart endpoint.
pub const CALCULATE_PATH: &str = "/api/v1/bazi/calculate";
/// Response header carrying the version of the `bazi_core` process that answered.
pub const BAZI_CORE_VERSION_HEADER: &str = "x-bazi-core-version";
/// gRPC response metadata with the answering process's version.
pub const UPSTREAM_VERSION_METADATA: &str = "x-hifate-version";

/// The input fields of the chart request, in the order they are checked.
const FIELDS: [(&str, &str); 3] = [
    ("solar_date", "a date string like \"1990-01-15\""),
    ("solar_time", "a time string like \"12:00\""),
    ("gender", "\"male\" or \"female\""),
];

/// Shared state of the HTTP handlers: the `bazi_core` client.
#[derive(Debug, Clone)]
pub struct AppState {
    bazi_core: BaziCoreServiceClient<Channel>,
}

impl AppState {
    /// A client of `bazi_core` through `peer` (see [`hifate_sdk::Peer`]: the
    /// address the supervisor passes, connect and call timeouts). The
    /// connection is opened on first use and re-opened as needed, so the
    /// gateway starts and answers (with 503) even while `bazi_core` is down.
    /// Must be called within a Tokio runtime.
    pub fn connect_lazy(peer: &Peer) -> Result<Self, PeerError> {
        Ok(AppState::new(BaziCoreServiceClient::new(
            peer.connect_lazy()?,
        )))
    }

    /// State around an existing client.
    pub fn new(bazi_core: BaziCoreServiceClient<Channel>) -> Self {
        AppState { bazi_core }
    }
}

/// How the gateway reaches `bazi_core`: through the supervisor's front port
/// (`HIFATE_SERVICE_ADDR_BAZI_CORE`), else [`DEFAULT_BAZI_CORE_ADDR`], with
/// the SDK's default connect and call timeouts.
pub fn bazi_core_peer() -> Peer {
    Peer::new(BAZI_CORE).or_addr(DEFAULT_BAZI_CORE_ADDR)
}

/// The gateway's routes (the SDK adds `GET /health` when serving).
pub fn app(state: AppState) -> Router {
    Router::new()
        .route(CALCULATE_PATH, post(calculate))
        .with_state(state)
}

/// An unsuccessful outcome, rendered as `{"success":false,"message":…}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The body is empty, not JSON, or not a JSON object (400).
    #[error("{0}")]
    BadRequest(String),
    /// A field is missing, ill-typed or rejected by `bazi_core` (422).
    #[error("{message}")]
    Invalid {
        /// The offending field, when known.
        field: Option<String>,
        /// `"<field>: <reason>"`.
        message: String,
    },
    /// `bazi_core` cannot be reached (503).
    #[error("bazi_core is unavailable: {0}")]
    Unavailable(String),
    /// `bazi_core` failed or answered something unusable (502).
    #[error("bazi_core failed: {0}")]
    Upstream(String),
}

impl ApiError {
    /// The HTTP status of this outcome.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Upstream(_) => StatusCode::BAD_GATEWAY,
        }
    }

    /// Maps a failed `bazi_core` call.
    pub fn from_status(status: &tonic::Status) -> Self {
        let message = status.message();
        match status.code() {
            Code::InvalidArgument => ApiError::Invalid {
                field: field_prefix(message).map(str::to_owned),
                message: message.to_owned(),
            },
            Code::Unavailable => ApiError::Unavailable(message.to_owned()),
            code => ApiError::Upstream(format!("{code:?}: {message}")),
        }
    }
}

#[derive(Serialize)]
struct Failure<'a> {
    success: bool,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let field = match &self {
            ApiError::Invalid { field, .. } => field.as_deref(),
            _ => None,
        };
        let body = Failure {
            success: false,
            message: self.to_string(),
            field,
        };
        (self.status(), Json(body)).into_response()
    }
}

/// The field named at the start of a `"<field>: <reason>"` message.
fn field_prefix(message: &str) -> Option<&str> {
    let (field, _) = message.split_once(": ")?;
    let is_name = !field.is_empty()
        && field
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    is_name.then_some(field)
}

/// JSON type name of a value, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Checks the request body's shape and builds the gRPC request. Values are
/// passed on as given; `bazi_core` validates them.
pub fn parse_request(body: &[u8]) -> Result<BaziCoreRequest, ApiError> {
    const EXPECTED: &str =
        "expected a JSON object with string fields solar_date, solar_time and gender";
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(format!(
            "request body is empty; {EXPECTED}"
        )));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::BadRequest(format!("request body is not valid JSON ({e}); {EXPECTED}"))
    })?;
    let Value::Object(object) = value else {
        return Err(ApiError::BadRequest(format!(
            "request body is a JSON {}, not an object; {EXPECTED}",
            kind(&value)
        )));
    };
    let field = |(name, expected): (&str, &str)| match object.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        None => Err(ApiError::Invalid {
            field: Some(name.to_owned()),
            message: format!("{name}: is missing; expected {expected}"),
        }),
        Some(other) => Err(ApiError::Invalid {
            field: Some(name.to_owned()),
            message: format!("{name}: is a JSON {}; expected {expected}", kind(other)),
        }),
    };
    let [date, time, gender] = FIELDS;
    Ok(BaziCoreRequest {
        solar_date: field(date)?,
        solar_time: field(time)?,
        gender: field(gender)?,
    })
}

/// The part of `metadata_json` the gateway returns.
#[derive(Deserialize)]
struct Metadata<'a> {
    #[serde(borrow)]
    data: &'a RawValue,
}

#[derive(Serialize)]
struct Success<'a> {
    success: bool,
    message: Option<&'a str>,
    data: &'a RawValue,
}

/// `x-hifate-version` of a `bazi_core` answer, as a header value.
fn upstream_version(metadata: &MetadataMap) -> Option<HeaderValue> {
    let value = metadata.get(UPSTREAM_VERSION_METADATA)?;
    HeaderValue::from_bytes(value.as_bytes()).ok()
}

async fn calculate(State(state): State<AppState>, body: Bytes) -> Response {
    let request = match parse_request(&body) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let mut client = state.bazi_core.clone();
    let (mut response, version) = match client.calculate_bazi(request).await {
        Ok(answer) => {
            let version = upstream_version(answer.metadata());
            let answer = answer.into_inner();
            let response = match serde_json::from_str::<Metadata<'_>>(&answer.metadata_json) {
                Ok(metadata) => Json(Success {
                    success: true,
                    message: None,
                    data: metadata.data,
                })
                .into_response(),
                Err(error) => {
                    tracing::warn!(%error, "bazi_core answered without a readable chart");
                    ApiError::Upstream(format!("its answer has no readable chart ({error})"))
                        .into_response()
                }
            };
            (response, version)
        }
        Err(status) => {
            let error = ApiError::from_status(&status);
            if !matches!(error, ApiError::Invalid { .. }) {
                tracing::warn!(code = ?status.code(), message = status.message(), "bazi_core call failed");
            }
            (error.into_response(), upstream_version(status.metadata()))
        }
    };
    if let Some(version) = version {
        response
            .headers_mut()
            .insert(BAZI_CORE_VERSION_HEADER, version);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_shape_errors() {
        let ok = parse_request(
            br#"{"solar_date":"1990-01-15","solar_time":"12:00","gender":"male","x":1}"#,
        )
        .expect("valid shape");
        assert_eq!(ok.solar_date, "1990-01-15");
        assert_eq!(ok.solar_time, "12:00");
        assert_eq!(ok.gender, "male");

        for body in [&b""[..], b"  ", b"not json", b"[1,2]", b"\"x\""] {
            let error = parse_request(body).expect_err("bad body");
            assert_eq!(error.status(), StatusCode::BAD_REQUEST, "{error}");
        }

        let error = parse_request(br#"{"solar_date":"1990-01-15","gender":"male"}"#)
            .expect_err("missing time");
        assert_eq!(
            error,
            ApiError::Invalid {
                field: Some("solar_time".to_owned()),
                message: "solar_time: is missing; expected a time string like \"12:00\"".to_owned(),
            }
        );
        let error =
            parse_request(br#"{"solar_date":19900115,"solar_time":"12:00","gender":"male"}"#)
                .expect_err("number date");
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            error
                .to_string()
                .starts_with("solar_date: is a JSON number"),
            "{error}"
        );
    }

    #[test]
    fn grpc_errors_map_to_http() {
        let invalid = ApiError::from_status(&tonic::Status::invalid_argument(
            "gender: \"x\" is not a gender; expected \"male\" or \"female\"",
        ));
        assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(matches!(&invalid, ApiError::Invalid { field: Some(f), .. } if f == "gender"));
        let down = ApiError::from_status(&tonic::Status::unavailable("connection refused"));
        assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            down.to_string(),
            "bazi_core is unavailable: connection refused"
        );
        let other = ApiError::from_status(&tonic::Status::internal("boom"));
        assert_eq!(other.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(other.to_string(), "bazi_core failed: Internal: boom");
        assert_eq!(field_prefix("no field here"), None);
        assert_eq!(field_prefix("a b: c"), None);
    }
}

//! The gateway's unsuccessful outcomes, each with its HTTP status, defined
//! once for every endpoint and every service behind it.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use tonic::Code;

/// An unsuccessful outcome, rendered as `{"success":false,"message":…}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The body is empty, not JSON, or not a JSON object (400).
    #[error("{0}")]
    BadRequest(String),
    /// A field is missing, ill-typed or rejected by a service (422).
    #[error("{message}")]
    Invalid {
        /// The offending field, when known.
        field: Option<String>,
        /// `"<field>: <reason>"`.
        message: String,
    },
    /// The thing named does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The thing to create exists already, or the state does not allow
    /// the change (a paid payment canceled) (409).
    #[error("{0}")]
    Conflict(String),
    /// The endpoint needs the bearer token (401).
    #[error("{0}")]
    Unauthorized(String),
    /// A service cannot be reached (503).
    #[error("{service} is unavailable: {message}")]
    Unavailable {
        service: &'static str,
        message: String,
    },
    /// A service failed or answered something unusable (502).
    #[error("{service} failed: {message}")]
    Upstream {
        service: &'static str,
        message: String,
    },
}

impl ApiError {
    /// The HTTP status of this outcome.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Upstream { .. } => StatusCode::BAD_GATEWAY,
        }
    }

    /// Maps a failed call of `service`.
    pub fn from_status(service: &'static str, status: &tonic::Status) -> Self {
        let message = status.message();
        match status.code() {
            Code::InvalidArgument => ApiError::Invalid {
                field: field_prefix(message).map(str::to_owned),
                message: message.to_owned(),
            },
            Code::NotFound => ApiError::NotFound(message.to_owned()),
            Code::AlreadyExists | Code::FailedPrecondition => {
                ApiError::Conflict(message.to_owned())
            }
            Code::Unavailable => ApiError::Unavailable {
                service,
                message: message.to_owned(),
            },
            code => ApiError::Upstream {
                service,
                message: format!("{code:?}: {message}"),
            },
        }
    }

    /// `service` answered something unusable.
    pub fn upstream(service: &'static str, message: impl Into<String>) -> Self {
        ApiError::Upstream {
            service,
            message: message.into(),
        }
    }

    /// Of two failures, the one to report: the caller's mistake first (it
    /// is what they can fix), then an outage, then the rest.
    pub fn first_of(a: ApiError, b: ApiError) -> ApiError {
        let rank = |e: &ApiError| match e {
            ApiError::BadRequest(_)
            | ApiError::Invalid { .. }
            | ApiError::NotFound(_)
            | ApiError::Conflict(_)
            | ApiError::Unauthorized(_) => 0,
            ApiError::Unavailable { .. } => 1,
            ApiError::Upstream { .. } => 2,
        };
        if rank(&b) < rank(&a) {
            b
        } else {
            a
        }
    }

    /// Logs a failure that is not the caller's, and returns it.
    pub fn logged(self) -> Self {
        if matches!(
            self,
            ApiError::Unavailable { .. } | ApiError::Upstream { .. }
        ) {
            tracing::warn!(error = %self, "a service call failed");
        }
        self
    }

    fn service(&self) -> Option<&'static str> {
        match self {
            ApiError::Unavailable { service, .. } | ApiError::Upstream { service, .. } => {
                Some(service)
            }
            _ => None,
        }
    }
}

#[derive(Serialize)]
struct Failure<'a> {
    success: bool,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<&'static str>,
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
            service: self.service(),
        };
        (self.status(), Json(body)).into_response()
    }
}

/// The field named at the start of a `"<field>: <reason>"` message.
fn field_prefix(message: &str) -> Option<&str> {
    let (field, _) = message.split_once(": ")?;
    // A name or a path into the request: `question`,
    // `context.current_date`, `requests[1].question`.
    let is_path = field
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && field
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.[]".contains(&b));
    is_path.then_some(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_errors_map_to_http() {
        let invalid = ApiError::from_status(
            "bazi_core",
            &tonic::Status::invalid_argument(
                "gender: \"x\" is not a gender; expected \"male\" or \"female\"",
            ),
        );
        assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(matches!(&invalid, ApiError::Invalid { field: Some(f), .. } if f == "gender"));
        let down = ApiError::from_status(
            "bazi_core",
            &tonic::Status::unavailable("connection refused"),
        );
        assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            down.to_string(),
            "bazi_core is unavailable: connection refused"
        );
        let other = ApiError::from_status("bazi_fortune", &tonic::Status::internal("boom"));
        assert_eq!(other.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(other.to_string(), "bazi_fortune failed: Internal: boom");
        assert_eq!(field_prefix("no field here"), None);
        assert_eq!(field_prefix("a b: c"), None);
        assert_eq!(
            field_prefix("context.current_date: \"x\" is not a date"),
            Some("context.current_date")
        );
        assert_eq!(
            field_prefix("requests[1].question: is empty"),
            Some("requests[1].question")
        );
        assert_eq!(field_prefix("1990-13-45: bad"), None);
    }
}

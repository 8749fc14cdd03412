//! Response classification, in one place: is an answer a success, the
//! caller's mistake, or a fault of the version that gave it? And the proxy's
//! own (synthetic) answers, each defined once in its gRPC and HTTP forms.
//!
//! The split matters for every number built on it: a user who types a bad
//! date (gRPC INVALID_ARGUMENT, HTTP 400) is not an outage, and must not
//! look like one in `/metrics`.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{HeaderMap, Response, StatusCode};

use super::ServiceKind;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Success,
    /// The request was wrong: gRPC INVALID_ARGUMENT, NOT_FOUND,
    /// ALREADY_EXISTS, PERMISSION_DENIED, UNAUTHENTICATED,
    /// FAILED_PRECONDITION, OUT_OF_RANGE, RESOURCE_EXHAUSTED, ABORTED,
    /// CANCELLED, UNIMPLEMENTED; HTTP 4xx.
    ClientError,
    /// The version failed: gRPC UNKNOWN, INTERNAL, UNAVAILABLE, DATA_LOSS,
    /// DEADLINE_EXCEEDED; HTTP 5xx; no answer at all.
    ServerFault,
}

/// gRPC status codes that are the server's fault (see the gRPC status code
/// guide: these are the ones a client cannot fix by changing its request).
const GRPC_SERVER_FAULTS: [u32; 5] = [
    2,  // UNKNOWN
    4,  // DEADLINE_EXCEEDED
    13, // INTERNAL
    14, // UNAVAILABLE
    15, // DATA_LOSS
];

/// Classifies a `grpc-status` value.
pub fn grpc_status(code: u32) -> Class {
    match code {
        0 => Class::Success,
        code if GRPC_SERVER_FAULTS.contains(&code) => Class::ServerFault,
        _ => Class::ClientError,
    }
}

/// Classifies a response head. For gRPC the head decides only when it
/// carries the status (trailers-only answers, or a non-200 HTTP status);
/// otherwise the trailers do ([`trailers`]), and `None` says so.
pub fn head(kind: ServiceKind, status: StatusCode, headers: &HeaderMap) -> Option<Class> {
    match kind {
        ServiceKind::Http => Some(http_status(status)),
        ServiceKind::Grpc if !status.is_success() => Some(Class::ServerFault),
        ServiceKind::Grpc => grpc_header(headers),
    }
}

/// Classifies a gRPC response's trailers.
pub fn trailers(trailers: &HeaderMap) -> Option<Class> {
    grpc_header(trailers)
}

fn http_status(status: StatusCode) -> Class {
    if status.is_server_error() {
        Class::ServerFault
    } else if status.is_client_error() {
        Class::ClientError
    } else {
        Class::Success
    }
}

fn grpc_header(headers: &HeaderMap) -> Option<Class> {
    let value = headers.get("grpc-status")?;
    let code = std::str::from_utf8(value.as_bytes())
        .ok()
        .and_then(|s| s.trim().parse().ok())
        // An unreadable status is not a success.
        .unwrap_or(2);
    Some(grpc_status(code))
}

/// The proxy's own answers: requests it could not pass to a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Synthetic {
    /// No version of the service serves (yet, or any more).
    NoVersion,
    /// A version was serving but could not take or answer the request.
    VersionFailed(String),
}

impl Synthetic {
    /// Why, in words.
    pub fn reason(&self) -> &str {
        match self {
            Synthetic::NoVersion => "no version is serving (yet)",
            Synthetic::VersionFailed(reason) => reason,
        }
    }

    /// The answer: gRPC `UNAVAILABLE` (trailers-only) for gRPC services, HTTP
    /// 503 for HTTP ones, both naming the service and the reason.
    pub fn response(&self, kind: ServiceKind, service: &str) -> Response<Bytes> {
        let message = format!("{service}: {}", self.reason());
        let builder = Response::builder();
        let response = match kind {
            ServiceKind::Grpc => builder
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/grpc")
                .header("grpc-status", "14")
                .header("grpc-message", grpc_message(&message))
                .body(Bytes::new()),
            ServiceKind::Http => builder
                .status(StatusCode::SERVICE_UNAVAILABLE)
                .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
                .body(Bytes::from(message + "\n")),
        };
        response.unwrap_or_else(|_| {
            let mut fallback = Response::new(Bytes::new());
            *fallback.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            fallback
        })
    }
}

/// Percent-encodes a grpc-message value as the gRPC HTTP/2 spec requires.
fn grpc_message(message: &str) -> HeaderValue {
    let mut encoded = String::with_capacity(message.len());
    for byte in message.bytes() {
        if (0x20..=0x7e).contains(&byte) && byte != b'%' {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    HeaderValue::from_str(&encoded).unwrap_or_else(|_| HeaderValue::from_static("unavailable"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_codes_split_into_client_and_server() {
        assert_eq!(grpc_status(0), Class::Success);
        for fault in [2, 4, 13, 14, 15] {
            assert_eq!(grpc_status(fault), Class::ServerFault, "code {fault}");
        }
        for client in [1, 3, 5, 6, 7, 8, 9, 10, 11, 12, 16] {
            assert_eq!(grpc_status(client), Class::ClientError, "code {client}");
        }
    }

    #[test]
    fn http_heads_classify_by_status() {
        let none = HeaderMap::new();
        let class = |s: u16| head(ServiceKind::Http, StatusCode::from_u16(s).unwrap(), &none);
        assert_eq!(class(200), Some(Class::Success));
        assert_eq!(class(404), Some(Class::ClientError));
        assert_eq!(class(422), Some(Class::ClientError));
        assert_eq!(class(503), Some(Class::ServerFault));
    }

    #[test]
    fn grpc_heads_defer_to_trailers_unless_trailers_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(head(ServiceKind::Grpc, StatusCode::OK, &headers), None);
        headers.insert("grpc-status", HeaderValue::from_static("3"));
        assert_eq!(
            head(ServiceKind::Grpc, StatusCode::OK, &headers),
            Some(Class::ClientError)
        );
        assert_eq!(
            head(
                ServiceKind::Grpc,
                StatusCode::BAD_GATEWAY,
                &HeaderMap::new()
            ),
            Some(Class::ServerFault)
        );
    }

    #[test]
    fn grpc_message_is_percent_encoded() {
        assert_eq!(
            grpc_message("a 100% 八").to_str().unwrap(),
            "a 100%25 %E5%85%AB"
        );
    }
}

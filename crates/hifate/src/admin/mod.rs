//! The admin API, served by the supervisor itself on the main port:
//! everything under `/api/v1/hot-reload/`, plus `/metrics`.
//!
//! Read-only endpoints are open (the port binds to loopback by default);
//! state-changing ones need `Authorization: Bearer <token>` (see [`token`]).
//! Every answer is JSON with a `success` field, and a failure says what went
//! wrong and what to do.

mod console;
mod handlers;
pub mod token;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::api::{self, is_admin_path, METRICS_PATH, PREFIX};
use crate::control::supervisor::Supervisor;

#[derive(Clone)]
pub(crate) struct AdminState {
    pub supervisor: Supervisor,
    pub token: Arc<str>,
    pub started: Instant,
}

/// The admin router for `supervisor`, guarded by `token`.
pub fn router(supervisor: Supervisor, token: String) -> Router {
    let state = AdminState {
        supervisor,
        token: token.into(),
        started: Instant::now(),
    };
    let guarded = Router::new()
        .route("/reload/microservice", post(handlers::reload_microservices))
        .route("/reload/microservice/{name}", post(handlers::reload_one))
        .route("/reload-all", post(handlers::reload_all))
        .route("/rollback/{name}", post(handlers::rollback))
        .route("/promote/{name}", post(handlers::promote))
        .route("/abort/{name}", post(handlers::abort))
        // Services' output may carry secrets of theirs.
        .route("/logs/{name}", get(handlers::logs))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    let open = Router::new()
        .route("/microservices", get(handlers::microservices))
        .route("/versions/{name}", get(handlers::versions))
        .route("/status", get(handlers::status))
        .route("/health", get(handlers::health))
        .route("/events", get(handlers::events))
        .route("/console", get(console::page));
    Router::new()
        .nest(PREFIX, guarded.merge(open))
        .route(METRICS_PATH, get(handlers::metrics))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_known_host,
        ))
        .with_state(state)
}

/// Refuses requests that name a host the API is not known by (DNS
/// rebinding: a page on `evil.example` resolved to 127.0.0.1 sends
/// `Host: evil.example`). Loopback names, the bind address and
/// `admin_hosts` pass; a request without any host (HTTP/1.0) passes.
async fn require_known_host(
    State(state): State<AdminState>,
    request: Request,
    next: Next,
) -> Response {
    let host = request.uri().host().map(str::to_owned).or_else(|| {
        let value = request.headers().get(header::HOST)?;
        // An unreadable Host is refused below as an unknown one.
        let host = std::str::from_utf8(value.as_bytes())
            .ok()
            .and_then(|v| v.parse::<axum::http::uri::Authority>().ok())
            .map(|a| a.host().to_owned())
            .unwrap_or_else(|| String::from_utf8_lossy(value.as_bytes()).into_owned());
        Some(host)
    });
    let Some(host) = host else {
        return next.run(request).await;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let settings = state.supervisor.settings();
    let known = ["localhost", "127.0.0.1", "::1"].contains(&host)
        || host.eq_ignore_ascii_case(&settings.bind)
        || settings
            .admin_hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(host));
    if known {
        return next.run(request).await;
    }
    error(
        StatusCode::FORBIDDEN,
        format!(
            "the admin API does not answer for host {host:?}; add it to `admin_hosts` in hifate.toml if it is yours"
        ),
    )
}

async fn require_token(State(state): State<AdminState>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(given) if token::matches(given.trim(), &state.token) => next.run(request).await,
        // The answer names the token's file but not the state directory's
        // path. (The open GET endpoints do show paths — state directory,
        // sockets — which is why every port binds to loopback by default.)
        _ => error(
            StatusCode::UNAUTHORIZED,
            format!(
                "this endpoint changes state and needs `Authorization: Bearer <token>`; the token is in the supervisor's state directory ({}) or in ${}",
                token::TOKEN_FILE,
                token::ENV_TOKEN
            ),
        ),
    }
}

async fn not_found(State(state): State<AdminState>, request: Request) -> Response {
    if !is_admin_path(request.uri().path()) {
        // The admin port answers a non-admin path only when no service
        // shares it: say which service is missing.
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "no main service is configured on port {}: {} is served by the main service \
                 (e.g. `gateway`), which needs `port = {}` in hifate.toml",
                state.supervisor.settings().admin_port,
                request.uri().path(),
                state.supervisor.settings().admin_port
            ),
        );
    }
    error(
        StatusCode::NOT_FOUND,
        format!(
            "no admin endpoint {} {}; see GET {PREFIX}/status for the list",
            request.method(),
            request.uri().path()
        ),
    )
}

pub(crate) fn error(status: StatusCode, message: String) -> Response {
    let failure = api::Failure {
        success: false,
        message,
        known_services: None,
    };
    (status, Json(failure)).into_response()
}

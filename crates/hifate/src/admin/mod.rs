//! The admin API, served by the supervisor itself on the main port:
//! everything under `/api/v1/hot-reload/`, plus `/metrics`.
//!
//! Read-only endpoints are open (the port binds to loopback by default);
//! state-changing ones need `Authorization: Bearer <token>` (see [`token`]).
//! Every answer is JSON with a `success` field, and a failure says what went
//! wrong and what to do.

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
use serde_json::json;

use crate::Supervisor;

/// Where the admin API lives on the main port.
pub const PREFIX: &str = "/api/v1/hot-reload";

/// True for paths the admin API answers (the rest go to the main service).
pub fn owns_path(path: &str) -> bool {
    path == "/metrics"
        || path
            .strip_prefix(PREFIX)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

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
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    let open = Router::new()
        .route("/microservices", get(handlers::microservices))
        .route("/versions/{name}", get(handlers::versions))
        .route("/status", get(handlers::status))
        .route("/health", get(handlers::health))
        .route("/events", get(handlers::events))
        .route("/logs/{name}", get(handlers::logs));
    Router::new()
        .nest(PREFIX, guarded.merge(open))
        .route("/metrics", get(handlers::metrics))
        .fallback(not_found)
        .with_state(state)
}

async fn require_token(State(state): State<AdminState>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(given) if token::matches(given.trim(), &state.token) => next.run(request).await,
        _ => error(
            StatusCode::UNAUTHORIZED,
            format!(
                "this endpoint changes state and needs `Authorization: Bearer <token>`; the token is in {}/{} or in ${}",
                state.supervisor.settings().state_dir.display(),
                token::TOKEN_FILE,
                token::ENV_TOKEN
            ),
        ),
    }
}

async fn not_found(State(state): State<AdminState>, request: Request) -> Response {
    if !owns_path(request.uri().path()) {
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
    (status, Json(json!({"success": false, "message": message}))).into_response()
}

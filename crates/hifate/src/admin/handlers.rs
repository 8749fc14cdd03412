//! The admin endpoints. Every value is read live from the supervisor.

use std::collections::BTreeMap;
use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt as _};

use super::{error, AdminState, PREFIX};
use crate::service::{Phase, ServiceRuntime, ServiceStatus};
use crate::supervisor::ReloadOutcome;

fn unknown_service(state: &AdminState, name: &str) -> Response {
    let known: Vec<String> = state
        .supervisor
        .services()
        .iter()
        .map(|s| s.name().to_owned())
        .collect();
    (
        StatusCode::NOT_FOUND,
        Json(json!({
            "success": false,
            "message": format!("unknown service {name:?}; known services: {}", known.join(", ")),
            "known_services": known,
        })),
    )
        .into_response()
}

fn service_json(state: &AdminState, status: &ServiceStatus) -> Value {
    let mut value = serde_json::to_value(status).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert(
            "check_interval".into(),
            json!(state.supervisor.settings().check_interval),
        );
        map.insert("state".into(), json!(status.phase));
        map.insert("watch_mode".into(), json!(state.supervisor.watch_mode()));
    }
    value
}

/// `GET /microservices`: the guide's status shape, with live values.
pub(super) async fn microservices(State(state): State<AdminState>) -> Json<Value> {
    let services: serde_json::Map<String, Value> = state
        .supervisor
        .microservices()
        .map(|s| (s.name().to_owned(), service_json(&state, &s.status())))
        .collect();
    Json(json!({"success": true, "count": services.len(), "services": services}))
}

/// Runs a forced reload and reports per service what happened. The reload
/// runs in its own task: a client that hangs up does not cancel it half-way.
async fn reload_response(state: &AdminState, names: Vec<String>) -> Response {
    let supervisor = state.supervisor.clone();
    let task = state.supervisor.spawn(async move {
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        supervisor
            .reload(&refs, true, "requested over the admin API")
            .await
    });
    match task.await {
        Ok(outcomes) => reload_report(outcomes),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the reload task failed: {e}"),
        ),
    }
}

fn reload_report(outcomes: BTreeMap<String, ReloadOutcome>) -> Response {
    let success = outcomes.values().all(ReloadOutcome::is_success);
    let results: serde_json::Map<String, Value> = outcomes
        .iter()
        .map(|(name, outcome)| {
            let mut value = serde_json::to_value(outcome).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut value {
                map.insert("message".into(), json!(describe(outcome)));
            }
            (name.clone(), value)
        })
        .collect();
    let status = if success {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let failed: Vec<&String> = outcomes
        .iter()
        .filter(|(_, o)| !o.is_success())
        .map(|(n, _)| n)
        .collect();
    let message = if success {
        format!("{} services reloaded", outcomes.len())
    } else {
        format!(
            "reload failed for {}; the versions serving before keep serving",
            failed
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    (
        status,
        Json(json!({"success": success, "message": message, "results": results})),
    )
        .into_response()
}

fn describe(outcome: &ReloadOutcome) -> String {
    match outcome {
        ReloadOutcome::Swapped {
            version, previous, ..
        } => match previous {
            Some(p) => format!("version {version} serving (was {p})"),
            None => format!("version {version} serving"),
        },
        ReloadOutcome::Unchanged { version } => format!("unchanged: version {version}"),
        ReloadOutcome::BuildFailed { .. } => "build failed".into(),
        ReloadOutcome::StartFailed { version, reason } => {
            format!("version {version} did not start: {reason}")
        }
        ReloadOutcome::Error { reason } => reason.clone(),
    }
}

/// `POST /reload/microservice`: every microservice.
pub(super) async fn reload_microservices(State(state): State<AdminState>) -> Response {
    let names = state
        .supervisor
        .microservices()
        .map(|s| s.name().to_owned())
        .collect();
    reload_response(&state, names).await
}

/// `POST /reload/microservice/{name}`.
pub(super) async fn reload_one(
    State(state): State<AdminState>,
    Path(name): Path<String>,
) -> Response {
    if state.supervisor.service(&name).is_none() {
        return unknown_service(&state, &name);
    }
    reload_response(&state, vec![name]).await
}

/// `POST /reload-all`: the main service and every microservice.
pub(super) async fn reload_all(State(state): State<AdminState>) -> Response {
    let names = state
        .supervisor
        .services()
        .iter()
        .map(|s| s.name().to_owned())
        .collect();
    reload_response(&state, names).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RollbackBody {
    version: Option<u64>,
}

/// `POST /rollback/{name}` with an optional `{"version": N}`.
pub(super) async fn rollback(
    State(state): State<AdminState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    if state.supervisor.service(&name).is_none() {
        return unknown_service(&state, &name);
    }
    let target = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<RollbackBody>(&body) {
            Ok(parsed) => parsed.version,
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("the body must be empty or JSON like {{\"version\": 3}}: {e}"),
                )
            }
        }
    };
    let previous = state
        .supervisor
        .service(&name)
        .and_then(|s| s.current_version());
    let supervisor = state.supervisor.clone();
    let service = name.clone();
    // Its own task: a client that hangs up does not cancel the rollback half-way.
    let task = state
        .supervisor
        .spawn(async move { supervisor.rollback(&service, target).await });
    let result = match task.await {
        Ok(result) => result,
        Err(e) => Err(anyhow::anyhow!("the rollback task failed: {e}")),
    };
    match result {
        Ok(version) => Json(json!({
            "success": true,
            "message": format!("{name}: version {version} serving the artifact of {}", target.map(|t| format!("version {t}")).unwrap_or_else(|| "the previous version".into())),
            "service": name,
            "version": version,
            "previous": previous,
        }))
        .into_response(),
        Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, format!("{name}: rollback failed, the serving version keeps serving: {e}")),
    }
}

/// `GET /versions/{name}`: the kept history with its metadata.
pub(super) async fn versions(
    State(state): State<AdminState>,
    Path(name): Path<String>,
) -> Response {
    let Some(service) = state.supervisor.service(&name) else {
        return unknown_service(&state, &name);
    };
    let history = service.history();
    Json(json!({
        "success": true,
        "service": name,
        "current_version": service.current_version(),
        "count": history.len(),
        "versions": history,
    }))
    .into_response()
}

fn verdict(statuses: &[ServiceStatus]) -> (&'static str, Vec<String>) {
    let mut problems = Vec::new();
    for s in statuses {
        if s.current_version.is_none() || !s.running {
            problems.push(format!("{}: no version serving", s.service_name));
        } else if s.phase == Phase::Failed {
            problems.push(format!("{}: failed", s.service_name));
        }
    }
    if problems.is_empty() {
        ("healthy", problems)
    } else {
        ("degraded", problems)
    }
}

/// `GET /status`: the reload system itself.
pub(super) async fn status(State(state): State<AdminState>) -> Json<Value> {
    let supervisor = &state.supervisor;
    let settings = supervisor.settings();
    let statuses = supervisor.status();
    let (verdict, problems) = verdict(&statuses);
    let mode = supervisor.watch_mode();
    Json(json!({
        "success": true,
        "status": verdict,
        "problems": problems,
        "uptime_seconds": state.started.elapsed().as_secs(),
        "watcher": {
            "running": !mode.is_empty() && mode != "off",
            "mode": mode,
            "debounce_ms": settings.debounce_ms,
            "poll_fallback": mode.starts_with("polling"),
            "check_interval": settings.check_interval,
        },
        "build_profile": settings.profile,
        "state_dir": settings.state_dir,
        "services": statuses.iter().map(|s| service_json(&state, s)).collect::<Vec<_>>(),
        "endpoints": [
            format!("GET {PREFIX}/microservices"),
            format!("POST {PREFIX}/reload/microservice[/NAME]"),
            format!("POST {PREFIX}/reload-all"),
            format!("POST {PREFIX}/rollback/NAME"),
            format!("GET {PREFIX}/versions/NAME"),
            format!("GET {PREFIX}/status"),
            format!("GET {PREFIX}/health"),
            format!("GET {PREFIX}/events"),
            format!("GET {PREFIX}/logs/NAME"),
            "GET /metrics".to_owned(),
        ],
    }))
}

/// `GET /health`: healthy (200) or degraded (503), with the reasons.
pub(super) async fn health(State(state): State<AdminState>) -> Response {
    let statuses = state.supervisor.status();
    let (verdict, problems) = verdict(&statuses);
    let code = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(json!({
            "success": problems.is_empty(),
            "status": verdict,
            "problems": problems,
            "services": statuses.len(),
            "uptime_seconds": state.started.elapsed().as_secs(),
        })),
    )
        .into_response()
}

/// `GET /events`: server-sent events, one per reload event, as they happen.
pub(super) async fn events(
    State(state): State<AdminState>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let stream = BroadcastStream::new(state.supervisor.subscribe()).filter_map(|item| {
        let event = item.ok()?;
        let name = serde_json::to_value(&event.kind)
            .ok()
            .and_then(|v| v.get("event").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or_else(|| "event".into());
        let data = serde_json::to_string(&event).ok()?;
        Some(Ok(SseEvent::default().event(name).data(data)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[derive(Debug, Deserialize)]
pub(super) struct LogQuery {
    after: Option<u64>,
    lines: Option<usize>,
}

/// `GET /logs/{name}?after=SEQ&lines=N`: the service's recent output.
pub(super) async fn logs(
    State(state): State<AdminState>,
    Path(name): Path<String>,
    Query(query): Query<LogQuery>,
) -> Response {
    let Some(service) = state.supervisor.service(&name) else {
        return unknown_service(&state, &name);
    };
    let lines = service
        .output
        .since(query.after, query.lines.unwrap_or(200).min(2000));
    let next = lines.last().map(|(seq, _)| *seq).or(query.after);
    Json(json!({
        "success": true,
        "service": name,
        "next_after": next,
        "lines": lines.into_iter().map(|(_, l)| l).collect::<Vec<_>>(),
    }))
    .into_response()
}

/// `GET /metrics`: Prometheus text.
pub(super) async fn metrics(State(state): State<AdminState>) -> Response {
    let services: Vec<&std::sync::Arc<ServiceRuntime>> =
        state.supervisor.services().iter().collect();
    let body = crate::metrics::render(services.iter().map(|s| (s.name(), &*s.metrics)));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

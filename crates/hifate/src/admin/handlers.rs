//! The admin endpoints. Every value is read live from the supervisor.

use std::collections::BTreeMap;
use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt as _};

use super::{error, AdminState};
use crate::api::{self, ReloadResult, ServiceView, Verdict};
use crate::control::service::{Phase, ServiceRuntime, ServiceStatus};
use crate::control::supervisor::ReloadOutcome;
use crate::data::route::Percent;

fn unknown_service(state: &AdminState, name: &str) -> Response {
    let known: Vec<String> = state
        .supervisor
        .services()
        .iter()
        .map(|s| s.name().to_owned())
        .collect();
    (
        StatusCode::NOT_FOUND,
        Json(api::Failure {
            success: false,
            message: format!(
                "unknown service {name:?}; known services: {}",
                known.join(", ")
            ),
            known_services: Some(known),
        }),
    )
        .into_response()
}

fn view(state: &AdminState, status: ServiceStatus) -> ServiceView {
    ServiceView::new(
        status,
        state.supervisor.settings().check_interval,
        state.supervisor.detection().to_string(),
    )
}

/// `GET /microservices`: the guide's status shape, with live values.
pub(super) async fn microservices(State(state): State<AdminState>) -> Json<api::Microservices> {
    let services: BTreeMap<String, ServiceView> = state
        .supervisor
        .microservices()
        .map(|s| (s.name().to_owned(), view(&state, s.status())))
        .collect();
    Json(api::Microservices {
        success: true,
        count: services.len(),
        services,
    })
}

/// Runs a forced reload and reports per service what happened. The reload
/// runs in its own task: a client that hangs up does not cancel it half-way.
async fn reload_response(state: &AdminState, names: Vec<String>) -> Response {
    let supervisor = state.supervisor.clone();
    let task = state.supervisor.spawn(async move {
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        supervisor
            .rebuild(&refs, "requested over the admin API")
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
    let results: BTreeMap<String, ReloadResult> = outcomes
        .iter()
        .map(|(name, outcome)| {
            let result = ReloadResult {
                outcome: outcome.clone(),
                message: describe(outcome),
            };
            (name.clone(), result)
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
        Json(api::Reload {
            success,
            message,
            results,
        }),
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
        ReloadOutcome::Canary {
            version,
            stable,
            percent,
        } => match stable {
            Some(stable) => format!(
                "canary: version {version} takes {percent}% of new requests, version {stable} the rest"
            ),
            None => format!("canary: version {version} takes {percent}% of new requests"),
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
/// `POST /reload/microservice/NAME`, with an optional `{"canary": PCT}`.
pub(super) async fn reload_one(
    State(state): State<AdminState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    if state.supervisor.service(&name).is_none() {
        return unknown_service(&state, &name);
    }
    let request = if body.iter().all(u8::is_ascii_whitespace) {
        api::ReloadRequest::default()
    } else {
        match serde_json::from_slice::<api::ReloadRequest>(&body) {
            Ok(parsed) => parsed,
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("the body must be empty or JSON like {{\"canary\": 10}}: {e}"),
                )
            }
        }
    };
    let Some(canary) = request.canary else {
        return reload_response(&state, vec![name]).await;
    };
    let Some(percent) = Percent::new(canary) else {
        return error(
            StatusCode::BAD_REQUEST,
            format!("canary must be a whole percentage from 1 to 99 (got {canary}); reload without it to switch every request"),
        );
    };
    let supervisor = state.supervisor.clone();
    let service = name.clone();
    let task = state
        .supervisor
        .spawn(async move { supervisor.reload_canary(&service, percent).await });
    match task.await {
        Ok(outcome) => reload_report(BTreeMap::from([(name, outcome)])),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the reload task failed: {e}"),
        ),
    }
}

/// `POST /promote/NAME`: the version on trial takes every request now.
pub(super) async fn promote(State(state): State<AdminState>, Path(name): Path<String>) -> Response {
    if state.supervisor.service(&name).is_none() {
        return unknown_service(&state, &name);
    }
    trial_ended(name.clone(), state.supervisor.promote(&name), "promoted")
}

/// `POST /abort/NAME`: the version on trial is rolled back now.
pub(super) async fn abort(State(state): State<AdminState>, Path(name): Path<String>) -> Response {
    if state.supervisor.service(&name).is_none() {
        return unknown_service(&state, &name);
    }
    trial_ended(name.clone(), state.supervisor.abort(&name), "rolled back")
}

fn trial_ended(name: String, result: anyhow::Result<u64>, done: &str) -> Response {
    match result {
        Ok(version) => Json(api::TrialEnded {
            success: true,
            message: format!("{name}: {done}; version {version} serves every new request"),
            service: name,
            version,
        })
        .into_response(),
        Err(e) => error(StatusCode::CONFLICT, format!("{e}")),
    }
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
        match serde_json::from_slice::<api::RollbackRequest>(&body) {
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
        Ok(version) => {
            let source = target
                .map(|t| format!("version {t}"))
                .unwrap_or_else(|| "the previous version".into());
            Json(api::Rollback {
                success: true,
                message: format!("{name}: version {version} serving the artifact of {source}"),
                service: name,
                version,
                previous,
            })
            .into_response()
        }
        Err(e) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{name}: rollback failed, the serving version keeps serving: {e}"),
        ),
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
    Json(api::Versions {
        success: true,
        service: name,
        current_version: service.current_version(),
        count: history.len(),
        versions: history,
    })
    .into_response()
}

fn verdict(statuses: &[ServiceStatus]) -> (Verdict, Vec<String>) {
    let mut problems = Vec::new();
    for s in statuses {
        if s.current_version.is_none() || !s.running {
            problems.push(format!("{}: no version serving", s.service_name));
        } else if s.phase == Phase::Failed {
            problems.push(format!("{}: failed", s.service_name));
        } else if s.phase == Phase::Unresponsive {
            problems.push(format!(
                "{}: version {} does not answer its health checks",
                s.service_name,
                s.current_version.unwrap_or_default()
            ));
        }
    }
    if problems.is_empty() {
        (Verdict::Healthy, problems)
    } else {
        (Verdict::Degraded, problems)
    }
}

/// `GET /status`: the reload system itself.
pub(super) async fn status(State(state): State<AdminState>) -> Json<api::Status> {
    let supervisor = &state.supervisor;
    let settings = supervisor.settings();
    let statuses = supervisor.status();
    let (verdict, problems) = verdict(&statuses);
    let detection = supervisor.detection();
    Json(api::Status {
        success: true,
        status: verdict,
        problems,
        uptime_seconds: state.started.elapsed().as_secs(),
        watcher: api::WatcherView {
            running: detection.is_running(),
            mode: detection.to_string(),
            debounce_ms: settings.debounce_ms,
            poll_fallback: detection.is_polling(),
            check_interval: settings.check_interval,
        },
        build_profile: settings.profile,
        state_dir: settings.state_dir.clone(),
        services: statuses.into_iter().map(|s| view(&state, s)).collect(),
        endpoints: api::endpoints(),
    })
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
        Json(api::Health {
            success: problems.is_empty(),
            status: verdict,
            problems,
            services: statuses.len(),
            uptime_seconds: state.started.elapsed().as_secs(),
        }),
    )
        .into_response()
}

/// `GET /events`: server-sent events, one per reload event, as they happen.
pub(super) async fn events(
    State(state): State<AdminState>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    // A comment first, so the client has the headers (and knows it is
    // subscribed) at once, not only with the first event.
    let opened = tokio_stream::once(Ok(SseEvent::default().comment("subscribed")));
    let events = BroadcastStream::new(state.supervisor.subscribe()).filter_map(|item| {
        let event = item.ok()?;
        let name = serde_json::to_value(&event.kind)
            .ok()
            .and_then(|v| v.get("event").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or_else(|| "event".into());
        let data = serde_json::to_string(&event).ok()?;
        Some(Ok(SseEvent::default().event(name).data(data)))
    });
    Sse::new(opened.chain(events)).keep_alive(KeepAlive::default())
}

/// `GET /logs/{name}?after=SEQ&lines=N`: the service's recent output.
pub(super) async fn logs(
    State(state): State<AdminState>,
    Path(name): Path<String>,
    Query(query): Query<api::LogsQuery>,
) -> Response {
    let Some(service) = state.supervisor.service(&name) else {
        return unknown_service(&state, &name);
    };
    let lines = service
        .output
        .since(query.after, query.lines.unwrap_or(200).min(2000));
    let next = lines.last().map(|(seq, _)| *seq).or(query.after);
    Json(api::Logs {
        success: true,
        service: name,
        next_after: next,
        lines: lines.into_iter().map(|(_, l)| l).collect(),
    })
    .into_response()
}

/// `GET /metrics`: Prometheus text.
pub(super) async fn metrics(State(state): State<AdminState>) -> Response {
    let services: Vec<&std::sync::Arc<ServiceRuntime>> =
        state.supervisor.services().iter().collect();
    let body = crate::control::metrics::render(
        services.iter().map(|s| (s.name(), &*s.metrics, &*s.route)),
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

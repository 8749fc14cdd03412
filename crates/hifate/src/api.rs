//! The admin API's contract: its paths and the JSON of every request and
//! answer, as types. The handlers ([`crate::admin`]) build these and the CLI
//! client ([`crate::client`]) reads them, so the two cannot drift apart.
//!
//! The keys are the guide's (`service_name`, `current_version`,
//! `check_interval`, `watched_files`, `version_history_count` inside
//! `{success, count, services}`); users' scripts depend on them, so a field
//! may be added but never renamed.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::Profile;
use crate::control::events::Event;
use crate::control::service::{Phase, ServiceStatus};
use crate::control::store::VersionRecord;
use crate::control::supervisor::ReloadOutcome;

/// Where the admin API lives on the main port.
pub const PREFIX: &str = "/api/v1/hot-reload";

/// The Prometheus endpoint, beside the API.
pub const METRICS_PATH: &str = "/metrics";

/// True for paths the admin API answers (on the main port, the rest go to
/// the main service).
pub fn is_admin_path(path: &str) -> bool {
    path == METRICS_PATH
        || path
            .strip_prefix(PREFIX)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Every endpoint, as listed by `GET /status`.
pub fn endpoints() -> Vec<String> {
    [
        "GET {p}/microservices",
        "POST {p}/reload/microservice[/NAME]",
        "POST {p}/reload-all",
        "POST {p}/rollback/NAME",
        "POST {p}/promote/NAME",
        "POST {p}/abort/NAME",
        "GET {p}/versions/NAME",
        "GET {p}/status",
        "GET {p}/health",
        "GET {p}/events",
        "GET {p}/logs/NAME",
        "GET {p}/console",
        "GET /metrics",
    ]
    .iter()
    .map(|e| e.replace("{p}", PREFIX))
    .collect()
}

/// One service, as every status answer shows it: its live status, plus
/// the guide's `state` and `check_interval` and how changes are detected.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceView {
    #[serde(flatten)]
    pub status: ServiceStatus,
    /// The same as `phase` (the name the status table uses).
    pub state: Phase,
    pub check_interval: u64,
    pub watch_mode: String,
}

impl ServiceView {
    pub fn new(status: ServiceStatus, check_interval: u64, watch_mode: String) -> ServiceView {
        ServiceView {
            state: status.phase,
            status,
            check_interval,
            watch_mode,
        }
    }
}

/// `GET /microservices`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Microservices {
    pub success: bool,
    pub count: usize,
    pub services: BTreeMap<String, ServiceView>,
}

/// What one service's reload did, with a sentence saying so.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReloadResult {
    #[serde(flatten)]
    pub outcome: ReloadOutcome,
    pub message: String,
}

/// `POST /reload/microservice[/NAME]`, `POST /reload-all`: per service.
/// HTTP 200 when every service serves the requested code, 422 otherwise.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reload {
    pub success: bool,
    pub message: String,
    pub results: BTreeMap<String, ReloadResult>,
}

/// The body of `POST /reload/microservice/NAME` (optional: empty means a
/// plain reload).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReloadRequest {
    /// Start the new version as a canary taking this percentage (1 to 99)
    /// of new requests beside the serving one.
    pub canary: Option<u8>,
}

/// `POST /promote/NAME`, `POST /abort/NAME`: how a trial (bake window or
/// canary) ended, and the version that serves now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrialEnded {
    pub success: bool,
    pub message: String,
    pub service: String,
    pub version: u64,
}

/// The body of `POST /rollback/NAME` (optional: empty means "the previous
/// version").
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackRequest {
    pub version: Option<u64>,
}

/// `POST /rollback/NAME`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rollback {
    pub success: bool,
    pub message: String,
    pub service: String,
    pub version: u64,
    pub previous: Option<u64>,
}

/// `GET /versions/NAME`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Versions {
    pub success: bool,
    pub service: String,
    pub current_version: Option<u64>,
    pub count: usize,
    pub versions: Vec<VersionRecord>,
}

/// The reload system's own health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Healthy,
    Degraded,
}

/// How changes are detected, in `GET /status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WatcherView {
    pub running: bool,
    pub mode: String,
    pub debounce_ms: u64,
    pub poll_fallback: bool,
    pub check_interval: u64,
}

/// `GET /status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    pub success: bool,
    pub status: Verdict,
    pub problems: Vec<String>,
    pub uptime_seconds: u64,
    pub watcher: WatcherView,
    pub build_profile: Profile,
    pub state_dir: PathBuf,
    pub services: Vec<ServiceView>,
    pub endpoints: Vec<String>,
}

/// `GET /health`: HTTP 200 when healthy, 503 when degraded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Health {
    pub success: bool,
    pub status: Verdict,
    pub problems: Vec<String>,
    pub services: usize,
    pub uptime_seconds: u64,
}

/// `GET /logs/NAME?after=SEQ&lines=N`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Logs {
    pub success: bool,
    pub service: String,
    /// Pass as `after` to get only newer lines.
    pub next_after: Option<u64>,
    pub lines: Vec<String>,
}

/// The query of `GET /logs/NAME`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LogsQuery {
    pub after: Option<u64>,
    pub lines: Option<usize>,
}

/// Any refusal: what is wrong and what to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failure {
    pub success: bool,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_services: Option<Vec<String>>,
}

/// One item of `GET /events` (server-sent events; the SSE event name is the
/// event's `event` field).
pub type EventItem = Event;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_paths_are_the_prefix_and_metrics() {
        assert!(is_admin_path("/api/v1/hot-reload"));
        assert!(is_admin_path("/api/v1/hot-reload/status"));
        assert!(is_admin_path("/metrics"));
        assert!(!is_admin_path("/api/v1/hot-reloaded"));
        assert!(!is_admin_path("/api/v1/bazi/calculate"));
    }
}

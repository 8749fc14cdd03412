//! What happened, in order: one [`Event`] per step of the reload machinery.
//!
//! Every event is logged as one human line, appended to `events.jsonl` in the
//! state directory (so failures and their reasons survive), and broadcast to
//! live subscribers.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::broadcast;

/// One thing that happened to a service (or to the supervisor).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    MonitorStarted {
        watched_files: usize,
        mode: String,
    },
    FilesChanged {
        paths: Vec<PathBuf>,
    },
    BuildStarted {
        reason: String,
    },
    BuildSucceeded {
        build_ms: u64,
    },
    BuildFailed {
        diagnostics: String,
    },
    /// A build produced the same code as the version serving: nothing to do.
    Unchanged {
        version: u64,
    },
    VersionStarting {
        version: u64,
    },
    ReloadSucceeded {
        version: u64,
        previous: Option<u64>,
        swap_ms: u64,
        timings: SwapTimings,
    },
    ReloadFailed {
        version: u64,
        reason: String,
    },
    /// A reload stopped before any new process started (the version store
    /// could not take the artifact, say); the serving version keeps serving.
    DeployFailed {
        reason: String,
    },
    RolledBack {
        version: u64,
        artifact_of: u64,
    },
    DrainFinished {
        version: u64,
        drain_ms: u64,
        in_flight_abandoned: u64,
    },
    Stopped {
        version: u64,
    },
    Crashed {
        version: u64,
        status: String,
    },
    Restarted {
        version: u64,
        attempt: u32,
    },
    /// The serving version missed its health checks; it is being replaced.
    Unresponsive {
        version: u64,
        misses: u32,
        reason: String,
    },
    RestartFailed {
        version: u64,
        attempt: u32,
        reason: String,
        retry_in_ms: u64,
    },
    /// The new version serves; the one it replaced (`warm`) keeps running
    /// without new requests for `bake_ms`, ready to take over again.
    BakeStarted {
        version: u64,
        warm: u64,
        bake_ms: u64,
    },
    /// The window ended without a fault: the warm version is stopped.
    BakePassed {
        version: u64,
        warm: u64,
    },
    /// `percent` of new requests go to `version`, the rest to `stable`;
    /// after `bake_ms` without a fault it is promoted (never on its own when
    /// `bake_ms` is absent).
    CanaryStarted {
        version: u64,
        stable: u64,
        percent: u8,
        bake_ms: Option<u64>,
    },
    /// The canary takes every new request; `previous` stops.
    CanaryPromoted {
        version: u64,
        previous: u64,
        reason: String,
    },
    /// `version` was rolled back within its window: `to`, still running,
    /// takes its requests again at once. `calls` and `faults` are the
    /// version's own since it started serving; `switch_us` is the time from
    /// the decision to the switch.
    VersionRolledBack {
        version: u64,
        to: u64,
        reason: String,
        calls: u64,
        faults: u64,
        switch_us: u64,
    },
}

/// Where the time of one swap went, in microseconds: starting the process,
/// waiting for its ready check (and opening the proxy workers' connections
/// to it), switching the route.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SwapTimings {
    pub spawn_us: u64,
    pub ready_us: u64,
    pub switch_us: u64,
}

impl SwapTimings {
    pub fn total_us(&self) -> u64 {
        self.spawn_us + self.ready_us + self.switch_us
    }
}

/// An [`EventKind`] with when and to whom it happened.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub service: String,
    #[serde(flatten)]
    pub kind: EventKind,
}

impl Event {
    /// The one-line human form used in logs.
    pub fn describe(&self) -> String {
        let s = &self.service;
        match &self.kind {
            EventKind::MonitorStarted {
                watched_files,
                mode,
            } => format!("[{s}] monitor started: {watched_files} files watched ({mode})"),
            EventKind::FilesChanged { paths } => {
                let list: Vec<_> = paths.iter().map(|p| p.display().to_string()).collect();
                let files = if paths.len() == 1 { "file" } else { "files" };
                format!("[{s}] {} {files} changed: {}", paths.len(), list.join(", "))
            }
            EventKind::BuildStarted { reason } => format!("[{s}] build started ({reason})"),
            EventKind::BuildSucceeded { build_ms } => {
                format!("[{s}] build finished in {build_ms} ms")
            }
            EventKind::BuildFailed { diagnostics } => {
                format!("[{s}] build failed, the serving version keeps serving:\n{diagnostics}")
            }
            EventKind::Unchanged { version } => {
                format!("[{s}] code unchanged, version {version} keeps serving")
            }
            EventKind::VersionStarting { version } => {
                format!("[{s}] starting version {version}")
            }
            EventKind::ReloadSucceeded {
                version,
                previous,
                swap_ms,
                ..
            } => match previous {
                Some(p) => format!(
                    "[{s}] hot reload succeeded (version {version}, {swap_ms} ms; version {p} draining)"
                ),
                None => format!("[{s}] version {version} serving ({swap_ms} ms)"),
            },
            EventKind::ReloadFailed { version, reason } => {
                format!("[{s}] version {version} failed, the serving version keeps serving: {reason}")
            }
            EventKind::DeployFailed { reason } => {
                format!("[{s}] reload failed, the serving version keeps serving: {reason}")
            }
            EventKind::RolledBack {
                version,
                artifact_of,
            } => format!("[{s}] rollback: version {version} runs the artifact of version {artifact_of}"),
            EventKind::DrainFinished {
                version,
                drain_ms,
                in_flight_abandoned,
            } => {
                if *in_flight_abandoned == 0 {
                    format!("[{s}] drain finished: version {version} idle after {drain_ms} ms")
                } else {
                    format!(
                        "[{s}] drain timed out after {drain_ms} ms: version {version} stopped with {in_flight_abandoned} calls in flight"
                    )
                }
            }
            EventKind::Stopped { version } => format!("[{s}] version {version} stopped"),
            EventKind::Crashed { version, status } => {
                format!("[{s}] version {version} died on its own ({status}); restarting")
            }
            EventKind::Unresponsive {
                version,
                misses,
                reason,
            } => format!(
                "[{s}] version {version} stopped answering ({misses} health checks missed: {reason}); starting a fresh process of it"
            ),
            EventKind::Restarted { version, attempt } => {
                format!("[{s}] version {version} restarted (attempt {attempt})")
            }
            EventKind::RestartFailed {
                version,
                attempt,
                reason,
                retry_in_ms,
            } => format!(
                "[{s}] restart of version {version} failed (attempt {attempt}): {reason}; next try in {retry_in_ms} ms"
            ),
            EventKind::BakeStarted {
                version,
                warm,
                bake_ms,
            } => format!(
                "[{s}] version {version} serving; version {warm} kept warm for {bake_ms} ms in case it has to come back"
            ),
            EventKind::BakePassed { version, warm } => format!(
                "[{s}] version {version} passed its window; stopping version {warm}"
            ),
            EventKind::CanaryStarted {
                version,
                stable,
                percent,
                bake_ms,
            } => {
                let until = match bake_ms {
                    Some(ms) => format!("promoted after {ms} ms without faults"),
                    None => "until promoted or aborted".to_owned(),
                };
                format!(
                    "[{s}] canary: version {version} takes {percent}% of new requests, version {stable} the rest ({until})"
                )
            }
            EventKind::CanaryPromoted {
                version,
                previous,
                reason,
            } => format!(
                "[{s}] canary version {version} promoted ({reason}); version {previous} draining"
            ),
            EventKind::VersionRolledBack {
                version,
                to,
                reason,
                switch_us,
                ..
            } => format!(
                "[{s}] version {version} rolled back to version {to} in {switch_us} µs: {reason}"
            ),
        }
    }

    fn is_failure(&self) -> bool {
        matches!(
            self.kind,
            EventKind::BuildFailed { .. }
                | EventKind::ReloadFailed { .. }
                | EventKind::DeployFailed { .. }
                | EventKind::Crashed { .. }
                | EventKind::Unresponsive { .. }
                | EventKind::RestartFailed { .. }
                | EventKind::VersionRolledBack { .. }
        )
    }
}

/// Past this size `events.jsonl` moves aside to `events.jsonl.1` (replacing
/// the one before), at start and while running: two files at most.
const ROTATE_BYTES: u64 = 10 << 20;

/// The open log file and how much of it is written.
struct LogFile {
    file: std::fs::File,
    len: u64,
}

/// Opens the log for appending, first moving it aside if it is too large.
fn open_rotated(path: &Path) -> std::io::Result<LogFile> {
    if std::fs::metadata(path).is_ok_and(|m| m.len() > ROTATE_BYTES) {
        std::fs::rename(path, path.with_extension("jsonl.1"))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let len = file.metadata()?.len();
    Ok(LogFile { file, len })
}

/// Records events: log line, `events.jsonl`, broadcast.
pub struct EventLog {
    file: Mutex<Option<LogFile>>,
    path: PathBuf,
    live: broadcast::Sender<Event>,
}

impl EventLog {
    /// Appends to `<state_dir>/events.jsonl`.
    pub fn open(state_dir: &Path) -> std::io::Result<EventLog> {
        std::fs::create_dir_all(state_dir)?;
        let path = state_dir.join("events.jsonl");
        let file = open_rotated(&path)?;
        let (live, _) = broadcast::channel(1024);
        Ok(EventLog {
            file: Mutex::new(Some(file)),
            path,
            live,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records one event.
    pub fn emit(&self, service: &str, kind: EventKind) -> Event {
        let event = Event {
            at: OffsetDateTime::now_utc(),
            service: service.to_owned(),
            kind,
        };
        if event.is_failure() {
            tracing::warn!("{}", event.describe());
        } else {
            tracing::info!("{}", event.describe());
        }
        if let Ok(line) = serde_json::to_string(&event) {
            if let Ok(mut guard) = self.file.lock() {
                if guard.as_ref().is_some_and(|f| f.len > ROTATE_BYTES) {
                    match open_rotated(&self.path) {
                        Ok(fresh) => *guard = Some(fresh),
                        Err(error) => {
                            tracing::warn!(%error, path = %self.path.display(), "cannot rotate the event log")
                        }
                    }
                }
                if let Some(log) = guard.as_mut() {
                    match writeln!(log.file, "{line}") {
                        Ok(()) => log.len += line.len() as u64 + 1,
                        Err(error) => {
                            tracing::warn!(%error, path = %self.path.display(), "cannot append event")
                        }
                    }
                }
            }
        }
        let _ = self.live.send(event.clone());
        event
    }

    /// A live feed of events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.live.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_log_moves_aside_past_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        std::fs::write(&path, vec![b'x'; ROTATE_BYTES as usize + 1]).unwrap();
        let log = EventLog::open(dir.path()).unwrap();
        let rotated = dir.path().join("events.jsonl.1");
        assert_eq!(std::fs::metadata(&rotated).unwrap().len(), ROTATE_BYTES + 1);
        log.emit("svc", EventKind::Stopped { version: 1 });
        let fresh = std::fs::read_to_string(&path).unwrap();
        assert_eq!(fresh.lines().count(), 1);

        // While running: past the size, the next event starts a new file.
        // (The log grows by a filler here, as it would by many events.)
        let mut filler = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        filler
            .write_all(&vec![b'y'; ROTATE_BYTES as usize])
            .unwrap();
        if let Ok(mut guard) = log.file.lock() {
            if let Some(file) = guard.as_mut() {
                file.len = std::fs::metadata(&path).unwrap().len();
            }
        }
        log.emit("svc", EventKind::Stopped { version: 2 });
        let rotated_now = std::fs::read_to_string(&rotated).unwrap();
        assert!(rotated_now.contains("\"version\":1"), "{rotated_now}");
        let fresh = std::fs::read_to_string(&path).unwrap();
        assert!(
            fresh.contains("\"version\":2") && fresh.lines().count() == 1,
            "{fresh}"
        );
    }
}

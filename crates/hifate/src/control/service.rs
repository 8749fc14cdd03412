//! One supervised service: its route, its versions, and the swap protocol.
//!
//! The swap protocol, in order (see `ARCHITECTURE.md`):
//! artifact staged → process spawned → ready check (with timeout) → atomic
//! route switch → old version drains (no new requests; in-flight ones finish,
//! up to the drain timeout) → SIGTERM → SIGKILL after the grace period.
//! Any failure before the switch leaves the serving version untouched.
//!
//! With a window (`bake_ms`), the old version is not stopped at the switch:
//! it stays warm while the new one is on trial, and takes over again at once
//! if the new one fails (see [`rollout`]). A canary is the same trial with
//! both versions serving.

mod rollout;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::child::{ChildProcess, Launch, OutputRing, ProcessEnd, SpawnSpec};
use super::events::{EventKind, EventLog, SwapTimings};
use super::metrics::ServiceMetrics;
use super::sources::SourceSet;
use super::store::{Origin, ServiceStore, StoreError, VersionRecord};
use crate::config::{Listen, Program, ServiceConfig, Settings};
use crate::data::backend::{Backend, Endpoint};
use crate::data::route::{Percent, Route};
use crate::data::ServiceKind;

/// Why a version could not be put in service.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("version {version}: {reason}")]
    StartFailed { version: u64, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the supervisor is shutting down")]
    ShuttingDown,
    #[error("no version has served yet, so there is none to resume")]
    NothingToResume,
    #[error("no version is serving, so there is nothing to run a canary beside; reload without --canary first")]
    NothingToCompare,
}

/// How a new version goes into service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollout {
    /// It takes every new request at once (then, with a window, is on trial
    /// with the old version kept warm).
    Swap,
    /// It takes this share of new requests beside the serving version.
    Canary(Percent),
}

/// Why a new version did not become ready.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("process {0} before it was ready")]
    Exited(ProcessEnd),
    #[error("not ready within {timeout_ms} ms (last check: {last})")]
    Timeout { timeout_ms: u128, last: String },
}

/// Where a service is in its life, as shown in status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// No version has served yet.
    Starting,
    Serving,
    /// A new version is being built or started; the current one serves.
    Reloading,
    /// No version is serving (all attempts failed, or the serving one died).
    Failed,
    /// The serving version stopped answering its health checks; a fresh
    /// process of it is being started to replace it.
    Unresponsive,
    Stopped,
}

/// A snapshot of one service for status displays and tests.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceStatus {
    pub service_name: String,
    pub port: u16,
    pub phase: Phase,
    pub running: bool,
    pub current_version: Option<u64>,
    pub pid: Option<u32>,
    /// The serving version's private socket (for direct connections).
    pub socket: Option<PathBuf>,
    /// Where the serving version listens: its socket, or its loopback
    /// address for a service with `listen = "tcp"`.
    #[serde(default)]
    pub address: Option<String>,
    pub in_flight: u64,
    /// Where the service keeps its data (`HIFATE_DATA_DIR`), across versions.
    pub data_dir: Option<PathBuf>,
    pub watched_files: usize,
    pub version_history_count: usize,
    pub kept_versions: Vec<u64>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_reload_at: Option<OffsetDateTime>,
    pub last_reload_ms: Option<u64>,
    pub last_error: Option<String>,
    pub restarts: u32,
    /// A new version on trial (bake window or canary), if one is.
    #[serde(default)]
    pub trial: Option<TrialStatus>,
}

pub use rollout::{TrialKind, TrialStatus};

/// What a switch replaced, and what replaced it.
struct Switched {
    new_child: Arc<ChildProcess>,
    new_backend: Arc<Backend>,
    old_backend: Option<Arc<Backend>>,
    old_child: Option<Arc<ChildProcess>>,
}

/// A new version's process that passed its ready check.
struct Launched {
    child: Arc<ChildProcess>,
    backend: Arc<Backend>,
    timings: SwapTimings,
}

/// Kills a just-started process unless disarmed: a launch that is abandoned
/// half-way (its caller went away) leaves nothing running.
struct KillOnDrop(Option<Arc<ChildProcess>>);

impl KillOnDrop {
    fn disarm(mut self) -> Arc<ChildProcess> {
        match self.0.take() {
            Some(child) => child,
            None => unreachable!("disarmed twice"),
        }
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = self.0.take() {
            child.kill_now();
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

#[derive(Debug, Default)]
struct Mutable {
    phase: Option<Phase>,
    serving: Option<Arc<ChildProcess>>,
    draining: Vec<Arc<ChildProcess>>,
    last_reload_at: Option<OffsetDateTime>,
    last_reload_ms: Option<u64>,
    last_error: Option<String>,
    watched_files: usize,
    restarts: u32,
    /// Backoff before the next crash restart.
    restart_delay: Duration,
    /// The version on trial and its way back.
    trial: Option<rollout::Trial>,
    /// Trials started so far (names them).
    trials: u64,
}

const RESTART_MIN_DELAY: Duration = Duration::from_millis(100);
const RESTART_MAX_DELAY: Duration = Duration::from_secs(30);
/// The longest one ready probe may take while a version starts.
const PROBE_LIMIT: Duration = Duration::from_secs(2);
/// Failed restarts of a dead version before an older kept one is tried.
const FALL_BACK_AFTER: u32 = 3;

/// One service under supervision.
pub struct ServiceRuntime {
    pub config: ServiceConfig,
    pub metrics: Arc<ServiceMetrics>,
    pub route: Arc<Route>,
    sources: arc_swap::ArcSwap<SourceSet>,
    pub output: OutputRing,
    settings: Arc<Settings>,
    events: Arc<EventLog>,
    socket_dir: PathBuf,
    store: Mutex<ServiceStore>,
    state: Mutex<Mutable>,
    /// Serialises deploys, rollbacks and restarts of this service.
    op: tokio::sync::Mutex<()>,
    shutting_down: AtomicBool,
    /// Processes started so far (names their sockets).
    spawns: std::sync::atomic::AtomicU64,
}

impl ServiceRuntime {
    pub fn new(
        config: ServiceConfig,
        sources: SourceSet,
        settings: Arc<Settings>,
        events: Arc<EventLog>,
        socket_dir: PathBuf,
    ) -> Result<Arc<ServiceRuntime>, StoreError> {
        let store = ServiceStore::open(&settings.state_dir, &config.name, settings.versions_kept)?;
        let metrics = Arc::new(ServiceMetrics::default());
        Ok(Arc::new(ServiceRuntime {
            route: Route::new(&config.name, config.kind),
            metrics,
            config,
            sources: arc_swap::ArcSwap::from_pointee(sources),
            output: OutputRing::default(),
            settings,
            events,
            socket_dir,
            store: Mutex::new(store),
            state: Mutex::new(Mutable::default()),
            op: tokio::sync::Mutex::new(()),
            shutting_down: AtomicBool::new(false),
            spawns: std::sync::atomic::AtomicU64::new(1),
        }))
    }

    /// The files that make up this service now.
    pub fn sources(&self) -> Arc<SourceSet> {
        self.sources.load_full()
    }

    /// Replaces the source set (after the dependency graph changed).
    pub(crate) fn set_sources(&self, sources: SourceSet) {
        self.sources.store(Arc::new(sources));
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub(crate) fn emit(&self, kind: EventKind) {
        self.events.emit(&self.config.name, kind);
    }

    fn state(&self) -> MutexGuard<'_, Mutable> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, ServiceStore> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn set_watched_files(&self, count: usize) {
        self.state().watched_files = count;
    }

    pub(crate) fn set_phase(&self, phase: Phase) {
        self.state().phase = Some(phase);
    }

    pub(crate) fn record_error(&self, error: String) {
        self.state().last_error = Some(error);
    }

    /// The version that serves now, if any.
    pub fn current_version(&self) -> Option<u64> {
        self.state().serving.as_ref().map(|c| c.version)
    }

    /// The persisted last good version (what a restarted supervisor serves).
    pub fn last_good(&self) -> Option<VersionRecord> {
        self.store().current().cloned()
    }

    pub fn history(&self) -> Vec<VersionRecord> {
        self.store().history().to_vec()
    }

    pub fn status(&self) -> ServiceStatus {
        let (history, kept) = {
            let store = self.store();
            (store.history().len(), store.kept_versions())
        };
        let state = self.state();
        let serving = state.serving.as_ref();
        let in_flight = self.route.current().map(|b| b.in_flight()).unwrap_or(0);
        ServiceStatus {
            service_name: self.config.name.clone(),
            port: self.config.port,
            phase: state.phase.unwrap_or(Phase::Starting),
            running: serving.is_some_and(|c| c.exit_status().is_none()),
            current_version: serving.map(|c| c.version),
            // A dead process's pid may already be someone else's.
            pid: serving.filter(|c| c.exit_status().is_none()).map(|c| c.pid),
            socket: serving.and_then(|c| match &c.endpoint {
                Endpoint::Unix(path) => Some(path.clone()),
                Endpoint::Tcp(_) => None,
            }),
            address: serving.map(|c| c.endpoint.to_string()),
            in_flight,
            data_dir: self
                .config
                .env
                .get(hifate_sdk::ENV_DATA_DIR)
                .map(PathBuf::from),
            watched_files: state.watched_files,
            version_history_count: history,
            kept_versions: kept,
            last_reload_at: state.last_reload_at,
            last_reload_ms: state.last_reload_ms,
            last_error: state.last_error.clone(),
            restarts: state.restarts,
            trial: state.trial.as_ref().map(rollout::Trial::status),
        }
    }

    /// Stages a freshly built binary as a new version and swaps it in.
    pub async fn deploy_build(
        self: &Arc<Self>,
        binary: &std::path::Path,
        source_hash: &str,
        build_ms: u64,
        rollout: Rollout,
    ) -> Result<u64, DeployError> {
        let _op = self.op.lock().await;
        self.refuse_if_shutting_down()?;
        if matches!(rollout, Rollout::Canary(_)) && self.current_version().is_none() {
            self.settle_phase();
            return Err(DeployError::NothingToCompare);
        }
        let staged = self.store().stage_build(binary, source_hash, build_ms);
        match staged {
            Ok(record) => self.deploy_new(record, rollout).await,
            Err(error) => {
                self.settle_phase();
                Err(error.into())
            }
        }
    }

    fn refuse_if_shutting_down(&self) -> Result<(), DeployError> {
        if self.shutting_down.load(Ordering::SeqCst) {
            return Err(DeployError::ShuttingDown);
        }
        Ok(())
    }

    /// A reload that stopped before any new process started (the build gave
    /// no binary, the store refused the artifact, a dependency failed): the
    /// status says so first, then the event announces it.
    pub(crate) fn reload_failed(&self, reason: &str) {
        self.record_error(format!("reload failed: {reason}"));
        self.settle_phase();
        self.emit(EventKind::DeployFailed {
            reason: reason.to_owned(),
        });
    }

    /// After an attempt that changed nothing: serving if a version serves.
    pub(crate) fn settle_phase(&self) {
        let mut state = self.state();
        let alive = state
            .serving
            .as_ref()
            .is_some_and(|c| c.exit_status().is_none());
        state.phase = Some(if alive { Phase::Serving } else { Phase::Failed });
    }

    /// Swaps in a kept artifact (`to`, or the previous good version) under a
    /// new version number.
    pub async fn rollback(self: &Arc<Self>, to: Option<u64>) -> Result<u64, DeployError> {
        let _op = self.op.lock().await;
        self.refuse_if_shutting_down()?;
        let record = self.store().stage_rollback(to)?;
        let artifact_of = match record.origin {
            Origin::Rollback { artifact_of } => artifact_of,
            Origin::Build => record.version,
        };
        let version = self.deploy_new(record, Rollout::Swap).await?;
        self.metrics.reload("rolled_back");
        self.emit(EventKind::RolledBack {
            version,
            artifact_of,
        });
        Ok(version)
    }

    /// Starts the persisted last good version as it is (same number, no build).
    pub async fn resume(self: &Arc<Self>) -> Result<u64, DeployError> {
        let _op = self.op.lock().await;
        self.refuse_if_shutting_down()?;
        let record = self
            .store()
            .current()
            .cloned()
            .ok_or(DeployError::NothingToResume)?;
        let started = Instant::now();
        let launched = self.launch(&record).await.map_err(|reason| {
            self.record_error(reason.clone());
            DeployError::StartFailed {
                version: record.version,
                reason,
            }
        })?;
        self.promote(launched, started)?;
        Ok(record.version)
    }

    /// Runs a staged, never-served version through the swap protocol.
    async fn deploy_new(
        self: &Arc<Self>,
        record: VersionRecord,
        rollout: Rollout,
    ) -> Result<u64, DeployError> {
        let version = record.version;
        let started = Instant::now();
        match self.launch(&record).await {
            Ok(launched) => {
                match rollout {
                    Rollout::Swap => self.promote_on_trial(launched, started)?,
                    Rollout::Canary(percent) => self.begin_canary(launched, percent)?,
                }
                Ok(version)
            }
            Err(reason) => {
                // The status tells the truth before anyone hears of it.
                self.record_error(format!("version {version}: {reason}"));
                self.settle_phase();
                if let Err(error) = self.store().mark_failed(version, &reason) {
                    // The start failure is the news; the store's trouble is
                    // logged, not allowed to hide it.
                    tracing::warn!(
                        "[{}] version {version} failed and the version store could not record it: {error}",
                        self.config.name
                    );
                }
                self.emit(EventKind::ReloadFailed {
                    version,
                    reason: reason.clone(),
                });
                Err(DeployError::StartFailed { version, reason })
            }
        }
    }

    /// Spawn and ready check. On failure the new process is gone and nothing
    /// else was touched.
    async fn launch(self: &Arc<Self>, record: &VersionRecord) -> Result<Launched, String> {
        let version = record.version;
        let artifact = record
            .artifact
            .as_ref()
            .ok_or_else(|| format!("the artifact of version {version} is no longer kept"))?;
        self.emit(EventKind::VersionStarting { version });
        let endpoint = self.endpoint_for(version)?;
        let workdir;
        let launch = match self.config.program() {
            Program::Cargo { .. } => Launch::Binary(artifact),
            Program::Command(spec) => {
                workdir = spec.workdir(artifact, &self.settings.workspace);
                Launch::Command {
                    dir: &workdir,
                    run: spec.run,
                }
            }
        };
        let spawn_started = Instant::now();
        let child = ChildProcess::spawn(SpawnSpec {
            service: &self.config.name,
            version,
            launch,
            endpoint: endpoint.clone(),
            env: &self.config.env,
            output: self.output.clone(),
        })
        .map_err(|e| format!("cannot start {}: {e}", artifact.display()))?;
        let spawned = Instant::now();
        // If this future is dropped before it returns, the process goes too.
        let guard = KillOnDrop(Some(child.clone()));
        let backend = Backend::new(
            &self.config.name,
            version,
            endpoint,
            self.route.counters.version(version),
        );
        let ready_timeout = self.config.ready_timeout(&self.settings);
        match wait_ready(&backend, &child, self.config.kind, ready_timeout).await {
            Ok(()) => {
                backend.warm(Duration::from_secs(1)).await;
                Ok(Launched {
                    child: guard.disarm(),
                    backend,
                    timings: SwapTimings {
                        spawn_us: micros(spawned - spawn_started),
                        ready_us: micros(spawned.elapsed()),
                        switch_us: 0,
                    },
                })
            }
            Err(not_ready) => {
                let status = child.kill().await;
                let mut reason = not_ready.to_string();
                if !matches!(not_ready, NotReady::Exited(_)) {
                    reason.push_str(&format!("; killed ({status})"));
                }
                let tail = self.output.tail_of(&self.config.name, version, 5);
                if !tail.is_empty() {
                    reason.push_str("; last output:\n");
                    reason.push_str(&tail.join("\n"));
                }
                Err(reason)
            }
        }
    }

    /// Where a new process of `version` is to listen. One socket per
    /// process, even for restarts of the same version: a dead process's
    /// socket path must never be one a live process uses. A TCP port is a
    /// free loopback port of the moment (the process binds it a moment
    /// later; another program taking it in between makes the start fail,
    /// visibly, and the next attempt picks another).
    fn endpoint_for(&self, version: u64) -> Result<Endpoint, String> {
        let spawn = self.spawns.fetch_add(1, Ordering::Relaxed);
        match self.config.listen {
            Listen::Socket => Ok(Endpoint::Unix(
                self.socket_dir
                    .join(format!("{}-v{version}-{spawn}.sock", self.config.name)),
            )),
            Listen::Tcp => std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .map(Endpoint::Tcp)
                .map_err(|e| format!("cannot find a free loopback port: {e}")),
        }
    }

    /// Atomic switch, then the old version drains and stops in the background.
    fn promote(self: &Arc<Self>, launched: Launched, started: Instant) -> Result<(), DeployError> {
        let switched = self.switch_in(launched, started)?;
        if let Some(old_child) = switched.old_child {
            self.spawn_retire(switched.old_backend, old_child);
        }
        Ok(())
    }

    /// Atomic switch, then the new version is on trial for the service's
    /// window with the old one kept warm (without a window, or without a
    /// live old version, the old one stops as after [`promote`](Self::promote)).
    fn promote_on_trial(
        self: &Arc<Self>,
        launched: Launched,
        started: Instant,
    ) -> Result<(), DeployError> {
        // A newer version supersedes a trial in progress.
        self.end_trial_for_newer(launched.child.version);
        let switched = self.switch_in(launched, started)?;
        let window = self.config.bake(&self.settings);
        match (window, switched.old_backend, switched.old_child) {
            (Some(window), Some(warm_backend), Some(warm)) if warm.exit_status().is_none() => {
                self.begin_bake(
                    window,
                    switched.new_child,
                    switched.new_backend,
                    warm,
                    warm_backend,
                );
            }
            (_, old_backend, Some(old_child)) => self.spawn_retire(old_backend, old_child),
            (_, _, None) => {}
        }
        Ok(())
    }

    /// Switches the route to a launched version and records it as serving;
    /// hands back the version it replaced, still running.
    fn switch_in(
        self: &Arc<Self>,
        launched: Launched,
        started: Instant,
    ) -> Result<Switched, DeployError> {
        let Launched {
            child,
            backend,
            mut timings,
        } = launched;
        if self.shutting_down.load(Ordering::SeqCst) {
            child.kill_now();
            return Err(DeployError::ShuttingDown);
        }
        let version = child.version;
        let switching = Instant::now();
        let old_backend = self.route.switch(backend.clone());
        timings.switch_us = micros(switching.elapsed());
        let swap_ms = started.elapsed().as_millis() as u64;
        self.metrics.swap(swap_ms);
        let old_child = {
            let mut state = self.state();
            state.phase = Some(Phase::Serving);
            state.last_reload_at = Some(OffsetDateTime::now_utc());
            state.last_reload_ms = Some(swap_ms);
            state.serving.replace(child.clone())
        };
        let previous = old_child.as_ref().map(|c| c.version);
        self.emit(EventKind::ReloadSucceeded {
            version,
            previous: previous.filter(|p| *p != version),
            swap_ms,
            timings,
        });
        if let Err(error) = self.store().mark_serving(version) {
            // The switch happened and cannot be undone by a write error; the
            // new version serves, but a restarted supervisor may not know it.
            tracing::warn!(
                "[{}] version {version} serves, but the version store could not record it: {error}",
                self.config.name
            );
            self.record_error(format!("version store: {error}"));
        }
        self.monitor(child.clone());
        self.watch_health(child.clone(), backend.clone());
        Ok(Switched {
            new_child: child,
            new_backend: backend,
            old_backend,
            old_child,
        })
    }

    /// Drains and stops `child` in the background (it gets no new requests).
    fn spawn_retire(self: &Arc<Self>, backend: Option<Arc<Backend>>, child: Arc<ChildProcess>) {
        self.state().draining.push(child.clone());
        let this = self.clone();
        tokio::spawn(async move { this.retire(backend, child).await });
    }

    /// Drain, then stop, a version that no longer receives new requests.
    async fn retire(self: Arc<Self>, backend: Option<Arc<Backend>>, child: Arc<ChildProcess>) {
        let started = Instant::now();
        let version = child.version;
        let mut abandoned = 0;
        if let Some(backend) = backend {
            if !backend
                .drained(self.config.drain_timeout(&self.settings))
                .await
            {
                abandoned = backend.in_flight();
            }
        }
        if child.exit_status().is_none() {
            self.emit(EventKind::DrainFinished {
                version,
                drain_ms: started.elapsed().as_millis() as u64,
                in_flight_abandoned: abandoned,
            });
        }
        child.stop(self.config.stop_grace(&self.settings)).await;
        self.state().draining.retain(|c| !Arc::ptr_eq(c, &child));
        self.emit(EventKind::Stopped { version });
    }

    /// Checks the serving process's health every `health_interval_ms`; after
    /// `health_misses` misses in a row (a frozen or deadlocked process still
    /// holds its socket open, so nothing else notices) it is reported and
    /// replaced by a fresh process of the same version, through the swap
    /// protocol: the frozen one's in-flight calls keep their chance until the
    /// drain timeout.
    fn watch_health(self: &Arc<Self>, child: Arc<ChildProcess>, backend: Arc<Backend>) {
        let settings = &self.settings;
        if settings.health_interval_ms == 0 {
            return;
        }
        let interval = Duration::from_millis(settings.health_interval_ms);
        let timeout = Duration::from_millis(settings.health_timeout_ms);
        let allowed = settings.health_misses;
        let kind = self.config.kind;
        // The task holds the backend only while it probes: a retired
        // version's drain waits for every holder to let go.
        let backend = Arc::downgrade(&backend);
        let this = self.clone();
        tokio::spawn(async move {
            let mut misses = 0;
            loop {
                tokio::time::sleep(interval).await;
                // The task lives as long as its process: one that is being
                // stopped (retired, replaced) or has exited needs no checks.
                if this.shutting_down.load(Ordering::SeqCst)
                    || child.is_stopping()
                    || child.exit_status().is_some()
                {
                    return;
                }
                // Not serving (draining, or kept warm during a window, when it
                // may serve again), or on trial (the trial checks it): this
                // task waits, and carries on if it serves again.
                let (serving, on_trial) = {
                    let state = this.state();
                    let serving = state
                        .serving
                        .as_ref()
                        .is_some_and(|c| Arc::ptr_eq(c, &child));
                    let on_trial = state.trial.as_ref().is_some_and(|t| t.involves(&child));
                    (serving, on_trial)
                };
                if on_trial || !serving {
                    misses = 0;
                    continue;
                }
                let Some(probed) = backend.upgrade() else {
                    return;
                };
                let verdict = probed.probe(kind, timeout).await;
                drop(probed);
                match verdict {
                    Ok(()) => {
                        misses = 0;
                        // A version that answered again after a failed
                        // replacement is healthy again.
                        let mut state = this.state();
                        if state.phase == Some(Phase::Unresponsive) {
                            state.phase = Some(Phase::Serving);
                        }
                    }
                    // A process that exited is the crash monitor's business.
                    Err(_) if child.exit_status().is_some() => return,
                    Err(reason) => {
                        misses += 1;
                        if misses >= allowed {
                            this.replace_unresponsive(&child, misses, reason).await;
                            return;
                        }
                    }
                }
            }
        });
    }

    /// Starts a fresh process of `stuck`'s version and switches to it; the
    /// stuck one drains (up to the drain timeout) and is stopped.
    async fn replace_unresponsive(
        self: &Arc<Self>,
        stuck: &Arc<ChildProcess>,
        misses: u32,
        reason: String,
    ) {
        let version = stuck.version;
        self.record_error(format!(
            "version {version} (pid {}) stopped answering health checks ({misses} missed: {reason}); replacing it",
            stuck.pid
        ));
        self.set_phase(Phase::Unresponsive);
        self.emit(EventKind::Unresponsive {
            version,
            misses,
            reason: reason.clone(),
        });
        let _op = self.op.lock().await;
        if !self.is_serving(stuck) || self.shutting_down.load(Ordering::SeqCst) {
            return;
        }
        let record = self.store().get(version).cloned();
        let started = Instant::now();
        let launched = match record {
            Some(record) => self.launch(&record).await,
            None => Err(format!("version {version} is not in the store")),
        };
        match launched {
            Ok(launched) => {
                if self.promote(launched, started).is_ok() {
                    self.metrics.reload("replaced");
                    self.state().restarts += 1;
                }
            }
            Err(error) => {
                // The stuck process keeps the route: it may wake up, and
                // nothing better is available. The next checks try again.
                self.record_error(format!(
                    "version {version} stopped answering and a fresh process of it did not start: {error}"
                ));
                self.emit(EventKind::ReloadFailed {
                    version,
                    reason: error.clone(),
                });
                self.watch_health_after_failure(stuck);
            }
        }
    }

    /// Keeps checking a stuck version whose replacement failed.
    fn watch_health_after_failure(self: &Arc<Self>, stuck: &Arc<ChildProcess>) {
        if let Some(backend) = self.route.current() {
            self.watch_health(stuck.clone(), backend);
        }
    }

    /// True while `child` is on trial or kept warm for one.
    fn on_trial(&self, child: &Arc<ChildProcess>) -> bool {
        self.state()
            .trial
            .as_ref()
            .is_some_and(|t| t.involves(child))
    }

    /// True while `child` is the process this service serves from.
    fn is_serving(&self, child: &Arc<ChildProcess>) -> bool {
        self.state()
            .serving
            .as_ref()
            .is_some_and(|c| Arc::ptr_eq(c, child))
    }

    /// Restarts the serving version if its process dies on its own.
    fn monitor(self: &Arc<Self>, child: Arc<ChildProcess>) {
        let this = self.clone();
        tokio::spawn(async move {
            let status = child.exited().await;
            if child.is_stopping() || this.shutting_down.load(Ordering::SeqCst) {
                return;
            }
            if !this.is_serving(&child) || this.on_trial(&child) {
                // Replaced already, or on trial: the trial rolls it back.
                return;
            }
            this.record_error(format!("version {} {status}", child.version));
            // A version that keeps dying soon after starting is restarted
            // ever more slowly; one that ran for a while starts over at once.
            let delay = {
                let mut state = this.state();
                state.phase = Some(Phase::Failed);
                state.restart_delay = if child.uptime() > Duration::from_secs(30) {
                    Duration::ZERO
                } else {
                    (state.restart_delay * 2).clamp(RESTART_MIN_DELAY, RESTART_MAX_DELAY)
                };
                state.restart_delay
            };
            this.emit(EventKind::Crashed {
                version: child.version,
                status: status.to_string(),
            });
            this.restart(child, delay).await;
        });
    }

    /// Restarts `dead` from its artifact with exponential backoff, until it
    /// serves again or another version has taken over.
    async fn restart(self: Arc<Self>, dead: Arc<ChildProcess>, first_delay: Duration) {
        tokio::time::sleep(first_delay).await;
        let mut delay = first_delay.max(RESTART_MIN_DELAY);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if self.shutting_down.load(Ordering::SeqCst) {
                return;
            }
            let outcome = {
                let _op = self.op.lock().await;
                if !self.is_serving(&dead) {
                    return;
                }
                let record = self.store().get(dead.version).cloned();
                let result = match record {
                    Some(record) => self.launch(&record).await,
                    None => Err(format!("version {} is not in the store", dead.version)),
                };
                match result {
                    Ok(Launched { child, backend, .. }) => {
                        {
                            let mut state = self.state();
                            state.restarts += 1;
                            // The dead process needs no drain.
                            state.serving = None;
                        }
                        let old = self.route.switch(backend.clone());
                        drop(old);
                        self.state().serving = Some(child.clone());
                        self.state().phase = Some(Phase::Serving);
                        self.monitor(child.clone());
                        self.watch_health(child, backend);
                        Ok(())
                    }
                    Err(reason) => Err(reason),
                }
            };
            match outcome {
                Ok(()) => {
                    self.metrics.reload("restarted");
                    self.emit(EventKind::Restarted {
                        version: dead.version,
                        attempt,
                    });
                    return;
                }
                Err(reason) => {
                    self.state().restarts += 1;
                    self.record_error(format!(
                        "version {} died and could not be restarted (attempt {attempt}): {reason}",
                        dead.version
                    ));
                    self.emit(EventKind::RestartFailed {
                        version: dead.version,
                        attempt,
                        reason,
                        retry_in_ms: delay.as_millis() as u64,
                    });
                    // One fall-back per crash: trying every kept version on
                    // every later attempt would only pile up failed versions.
                    if attempt == FALL_BACK_AFTER && self.fall_back(&dead).await {
                        return;
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(RESTART_MAX_DELAY);
                }
            }
        }
    }

    /// Serves the newest other kept version that starts, in place of `dead`
    /// (whose own artifact will not start). Returns true if one serves.
    async fn fall_back(self: &Arc<Self>, dead: &Arc<ChildProcess>) -> bool {
        let _op = self.op.lock().await;
        if !self.is_serving(dead) || self.shutting_down.load(Ordering::SeqCst) {
            return true;
        }
        let candidates: Vec<u64> = self
            .store()
            .history()
            .iter()
            .rev()
            .filter(|r| r.version != dead.version && r.is_rollback_target())
            .map(|r| r.version)
            .collect();
        for candidate in candidates {
            let staged = self.store().stage_rollback(Some(candidate));
            let Ok(record) = staged else {
                continue;
            };
            if let Ok(version) = self.deploy_new(record, Rollout::Swap).await {
                self.metrics.reload("fell_back");
                self.record_error(format!(
                    "version {} died and would not start again; version {version} serves the artifact of version {candidate} instead",
                    dead.version
                ));
                self.emit(EventKind::RolledBack {
                    version,
                    artifact_of: candidate,
                });
                return true;
            }
        }
        false
    }

    /// Stops routing and stops every process of this service, draining first.
    pub async fn shutdown(self: &Arc<Self>) {
        self.shutting_down.store(true, Ordering::SeqCst);
        let _op = self.op.lock().await;
        let backends = self.route.clear();
        let (serving, draining, trial) = {
            let mut state = self.state();
            state.phase = Some(Phase::Stopped);
            (
                state.serving.take(),
                std::mem::take(&mut state.draining),
                state.trial.take(),
            )
        };
        // The warm version of a bake window, or a canary, stops too.
        let (trial_child, trial_backend) = match trial {
            Some(trial) => trial.into_other(),
            None => (None, None),
        };
        drop(trial_backend);
        for backend in backends {
            backend
                .drained(self.config.drain_timeout(&self.settings))
                .await;
        }
        let grace = self.config.stop_grace(&self.settings);
        for child in serving.into_iter().chain(draining).chain(trial_child) {
            child.stop(grace).await;
            self.emit(EventKind::Stopped {
                version: child.version,
            });
        }
    }
}

/// Probes `backend` until `child` answers its ready check, exits, or
/// `timeout` passes.
async fn wait_ready(
    backend: &Backend,
    child: &ChildProcess,
    kind: ServiceKind,
    timeout: Duration,
) -> Result<(), NotReady> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    let mut last;
    loop {
        if let Some(status) = child.exit_status() {
            return Err(NotReady::Exited(status));
        }
        let listening = match &child.endpoint {
            Endpoint::Unix(socket) => socket.exists(),
            // Nothing to look at: a refused connection is the answer.
            Endpoint::Tcp(_) => true,
        };
        if listening {
            // One probe never outlasts the time left (a version that sends
            // headers and then stalls must not hold the reload forever).
            let left = timeout.saturating_sub(started.elapsed());
            match backend
                .probe(kind, left.clamp(Duration::from_millis(1), PROBE_LIMIT))
                .await
            {
                Ok(()) => return Ok(()),
                Err(reason) => last = reason,
            }
        } else {
            last = format!("socket {} not created yet", child.endpoint);
        }
        if started.elapsed() >= timeout {
            return Err(NotReady::Timeout {
                timeout_ms: timeout.as_millis(),
                last,
            });
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            status = child.exited() => return Err(NotReady::Exited(status)),
        }
        pause = (pause * 2).min(Duration::from_millis(25));
    }
}

//! The supervisor: owns every service's port, processes and versions, plans
//! reloads from file changes, and runs them one batch at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Context as _};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use super::builder::{self, BuildPlan};
use super::events::{Event, EventKind, EventLog};
use super::lock::StateLock;
use super::service::{DeployError, Phase, Rollout, ServiceRuntime, ServiceStatus};
use super::snapshot;
use super::sources;
use super::store::VersionRecord;
use super::watch::{self, Detection, Watcher};
use crate::config::{Config, Program, Settings};
use crate::data::route::Percent;

/// Whether a reload builds a service whose sources are unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Build {
    /// Only what changed since the serving version.
    IfChanged,
    /// Everything asked for: a new version even of the same code.
    Always,
}

/// What a reload did to one service. Never claims a swap that did not happen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReloadOutcome {
    /// A new version serves.
    Swapped {
        version: u64,
        previous: Option<u64>,
        swap_ms: Option<u64>,
    },
    /// A new version serves `percent` of new requests beside `stable`.
    Canary {
        version: u64,
        stable: Option<u64>,
        percent: u8,
    },
    /// The code is the same as the serving version's; nothing was done.
    Unchanged { version: u64 },
    /// The build failed; the serving version keeps serving.
    BuildFailed { diagnostics: String },
    /// The new version did not become ready; the serving version keeps serving.
    StartFailed { version: u64, reason: String },
    /// Something else went wrong (state directory, unknown service, ...).
    Error { reason: String },
}

impl ReloadOutcome {
    /// A short label for metrics and tables.
    pub fn label(&self) -> &'static str {
        match self {
            ReloadOutcome::Swapped { .. } => "swapped",
            ReloadOutcome::Canary { .. } => "canary",
            ReloadOutcome::Unchanged { .. } => "unchanged",
            ReloadOutcome::BuildFailed { .. } => "build_failed",
            ReloadOutcome::StartFailed { .. } => "start_failed",
            ReloadOutcome::Error { .. } => "error",
        }
    }

    /// True if the service serves the requested code afterwards.
    pub fn is_success(&self) -> bool {
        matches!(
            self,
            ReloadOutcome::Swapped { .. }
                | ReloadOutcome::Canary { .. }
                | ReloadOutcome::Unchanged { .. }
        )
    }
}

struct Inner {
    config: Config,
    settings: Arc<Settings>,
    /// In dependency order.
    services: Vec<Arc<ServiceRuntime>>,
    events: Arc<EventLog>,
    /// One reload batch (build + swaps) at a time.
    reload_lock: tokio::sync::Mutex<()>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    watcher: Mutex<Option<Watcher>>,
    /// Where watchers send batches of changed paths.
    batches: Mutex<Option<mpsc::UnboundedSender<Vec<PathBuf>>>>,
    detection: Mutex<Detection>,
    socket_dir: Mutex<Option<tempfile::TempDir>>,
    /// Held from start to the end of shutdown: one supervisor per state directory.
    state_lock: Mutex<Option<StateLock>>,
    ports: BTreeMap<String, SocketAddr>,
    admin_addr: SocketAddr,
    /// The runtime the supervisor was started on (the proxy workers have
    /// their own): reloads and rollbacks run here.
    runtime: tokio::runtime::Handle,
}

/// A running supervisor. Cheap to clone.
#[derive(Clone)]
pub struct Supervisor {
    inner: Arc<Inner>,
}

impl Supervisor {
    /// The supervisor of `config`'s services, whose public ports are already
    /// bound at `ports` (by service name) and `admin_addr`. Opens the state
    /// directory; starts nothing yet (see [`run`](Self::run)).
    pub fn new(
        config: Config,
        ports: BTreeMap<String, SocketAddr>,
        admin_addr: SocketAddr,
    ) -> anyhow::Result<Supervisor> {
        let settings = Arc::new(config.settings.clone());
        std::fs::create_dir_all(&settings.state_dir).with_context(|| {
            format!(
                "cannot create state directory {}",
                settings.state_dir.display()
            )
        })?;
        let (state_lock, left_behind) = StateLock::acquire(&settings.state_dir)?;
        if let Some(old) = left_behind {
            remove_socket_dir(&old);
        }
        let events = Arc::new(EventLog::open(&settings.state_dir).with_context(|| {
            format!(
                "cannot open the event log in {}",
                settings.state_dir.display()
            )
        })?);
        // Private sockets live in a fresh directory under the system temp dir:
        // short paths (Unix socket paths are limited to ~100 bytes) and never
        // shared with another supervisor.
        let socket_dir = tempfile::Builder::new()
            .prefix("hifate-")
            .tempdir()
            .context("cannot create a directory for the private sockets")?;
        state_lock.record_socket_dir(socket_dir.path())?;

        // Every child learns where every service's front is, so that services
        // call each other through the front (and never see each other's swaps).
        let peers: BTreeMap<String, String> = ports
            .iter()
            .map(|(name, addr)| {
                let host = if addr.ip().is_unspecified() {
                    std::net::IpAddr::from([127, 0, 0, 1])
                } else {
                    addr.ip()
                };
                (
                    hifate_sdk::service_addr_var(name),
                    SocketAddr::new(host, addr.port()).to_string(),
                )
            })
            .collect();
        let mut services = Vec::new();
        for service in &config.services {
            let mut service = service.clone();
            let mut env = peers.clone();
            let data_dir = settings.state_dir.join("data").join(service.data());
            std::fs::create_dir_all(&data_dir).with_context(|| {
                format!("cannot create the data directory {}", data_dir.display())
            })?;
            env.insert(
                hifate_sdk::ENV_DATA_DIR.to_owned(),
                data_dir.display().to_string(),
            );
            env.append(&mut service.env);
            service.env = env;
            services.push(ServiceRuntime::new(
                service,
                sources::SourceSet::default(),
                settings.clone(),
                events.clone(),
                socket_dir.path().to_owned(),
            )?);
        }
        Ok(Supervisor {
            inner: Arc::new(Inner {
                config,
                settings,
                services,
                events,
                reload_lock: tokio::sync::Mutex::new(()),
                tasks: Mutex::new(Vec::new()),
                watcher: Mutex::new(None),
                batches: Mutex::new(None),
                detection: Mutex::new(Detection::Off),
                socket_dir: Mutex::new(Some(socket_dir)),
                state_lock: Mutex::new(Some(state_lock)),
                ports,
                admin_addr,
                runtime: tokio::runtime::Handle::current(),
            }),
        })
    }

    /// Keeps `tasks` (the fronts serving the public ports) until shutdown,
    /// which aborts them and so closes the ports.
    pub fn hold(&self, tasks: impl IntoIterator<Item = JoinHandle<()>>) {
        if let Ok(mut slot) = self.inner.tasks.lock() {
            slot.extend(tasks);
        }
    }

    /// Reads the dependency graph, starts every service (its last good
    /// version if one is kept, else a fresh build), then starts watching
    /// for changes.
    pub async fn run(&self) -> anyhow::Result<()> {
        let config = self.inner.config.clone();
        let source_sets = tokio::task::spawn_blocking(move || sources::discover(&config))
            .await
            .context("source discovery panicked")??;
        for service in &self.inner.services {
            if let Some(set) = source_sets.get(service.name()) {
                service.set_sources(set.clone());
            }
        }
        self.start_services().await;
        self.start_watching()
    }

    /// Resumes kept versions at once, without building; builds (in one cargo
    /// run) what has none. Sources that changed while the supervisor was down
    /// are rebuilt in the background while the kept version serves.
    async fn start_services(&self) {
        let mut to_build = Vec::new();
        let mut stale = Vec::new();
        for service in &self.inner.services {
            let Some(record) = service.last_good() else {
                to_build.push(service.name().to_owned());
                continue;
            };
            match service.resume().await {
                Ok(_) => {
                    if source_hash(service).await != record.source_hash {
                        stale.push(service.name().to_owned());
                    }
                }
                Err(error) => {
                    tracing::warn!(
                        "[{}] cannot resume version {}: {error}; building anew",
                        service.name(),
                        record.version
                    );
                    to_build.push(service.name().to_owned());
                }
            }
        }
        if !to_build.is_empty() {
            let names: Vec<&str> = to_build.iter().map(String::as_str).collect();
            self.reload(&names, "no version kept yet").await;
        }
        if !stale.is_empty() {
            let this = self.clone();
            let task = tokio::spawn(async move {
                let names: Vec<&str> = stale.iter().map(String::as_str).collect();
                this.reload(&names, "sources changed while stopped").await;
            });
            if let Ok(mut tasks) = self.inner.tasks.lock() {
                tasks.push(task);
            }
        }
    }

    fn start_watching(&self) -> anyhow::Result<()> {
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut slot) = self.inner.batches.lock() {
            *slot = Some(tx);
        }
        self.watch_roots()?;
        let mode = self.detection().to_string();
        for service in &self.inner.services {
            let files = service.sources().files().len();
            service.set_watched_files(files);
            service.emit(EventKind::MonitorStarted {
                watched_files: files,
                mode: mode.clone(),
            });
        }
        let this = self.clone();
        let task = tokio::spawn(async move { this.reload_on_changes(rx).await });
        if let Ok(mut tasks) = self.inner.tasks.lock() {
            tasks.push(task);
        }
        Ok(())
    }

    /// (Re)starts the watcher on the roots of every service's sources.
    fn watch_roots(&self) -> anyhow::Result<()> {
        let Some(tx) = self.inner.batches.lock().ok().and_then(|b| b.clone()) else {
            return Ok(());
        };
        let sets: Vec<_> = self.inner.services.iter().map(|s| s.sources()).collect();
        let roots: Vec<PathBuf> = sets.iter().flat_map(|s| s.roots.clone()).collect();
        let files: Vec<PathBuf> = sets.iter().flat_map(|s| s.files.clone()).collect();
        let settings = &self.inner.settings;
        let watcher = watch::watch(
            &roots,
            &files,
            settings.watch,
            settings.debounce(),
            settings.poll_interval(),
            tx,
        )
        .context("cannot watch the service sources")?;
        if let Ok(mut detection) = self.inner.detection.lock() {
            *detection = watcher.detection;
        }
        if let Ok(mut slot) = self.inner.watcher.lock() {
            // Dropping the previous watcher stops it.
            *slot = Some(watcher);
        }
        Ok(())
    }

    /// Re-reads the dependency graph (a manifest changed): a service may
    /// now depend on other crates, whose files then belong to it.
    async fn rediscover_sources(&self) {
        let config = self.inner.config.clone();
        let discovered = tokio::task::spawn_blocking(move || sources::discover(&config)).await;
        let sets = match discovered {
            Ok(Ok(sets)) => sets,
            Ok(Err(error)) => {
                tracing::warn!("dependency graph not updated: {error}");
                return;
            }
            Err(error) => {
                tracing::warn!("dependency graph not updated: {error}");
                return;
            }
        };
        let mut roots_changed = false;
        for service in &self.inner.services {
            if let Some(set) = sets.get(service.name()) {
                if *set != *service.sources() {
                    let current = service.sources();
                    roots_changed |= set.roots != current.roots || set.files != current.files;
                    service.set_watched_files(set.files().len());
                    service.set_sources(set.clone());
                }
            }
        }
        if roots_changed {
            if let Err(error) = self.watch_roots() {
                tracing::warn!("cannot watch the new dependency graph: {error:#}");
            }
        }
    }

    /// Turns batches of changed paths into reloads of the services they
    /// belong to; batches that arrive during a reload are merged.
    async fn reload_on_changes(&self, mut batches: mpsc::UnboundedReceiver<Vec<PathBuf>>) {
        while let Some(first) = batches.recv().await {
            let mut paths: BTreeSet<PathBuf> = first.into_iter().collect();
            while let Ok(more) = batches.try_recv() {
                paths.extend(more);
            }
            if paths
                .iter()
                .any(|p| p.file_name().is_some_and(|n| n == "Cargo.toml"))
            {
                self.rediscover_sources().await;
            }
            let mut affected = Vec::new();
            for service in &self.inner.services {
                let sources = service.sources();
                let mine: Vec<PathBuf> = paths
                    .iter()
                    .filter(|p| sources.contains(p))
                    .cloned()
                    .collect();
                if !mine.is_empty() {
                    service.emit(EventKind::FilesChanged { paths: mine });
                    service.set_watched_files(sources.files().len());
                    affected.push(service.name().to_owned());
                }
            }
            if !affected.is_empty() {
                let names: Vec<&str> = affected.iter().map(String::as_str).collect();
                self.reload(&names, "files changed").await;
            }
        }
    }

    /// Builds the named services and swaps each new version in, in
    /// dependency order; a service whose sources hash the same as its
    /// serving version's is left alone ("unchanged").
    pub async fn reload(&self, names: &[&str], reason: &str) -> BTreeMap<String, ReloadOutcome> {
        self.reload_as(names, Build::IfChanged, reason, Rollout::Swap)
            .await
    }

    /// Like [`reload`](Self::reload), but builds and swaps in a new version
    /// even when the sources are unchanged (a person asked for it).
    pub async fn rebuild(&self, names: &[&str], reason: &str) -> BTreeMap<String, ReloadOutcome> {
        self.reload_as(names, Build::Always, reason, Rollout::Swap)
            .await
    }

    /// Builds `name` and starts the new version as a canary that takes
    /// `percent` of new requests beside the serving version (even when its
    /// code is unchanged: a canary of the same code is a person's choice).
    pub async fn reload_canary(&self, name: &str, percent: Percent) -> ReloadOutcome {
        let mut outcomes = self
            .reload_as(
                &[name],
                Build::Always,
                "canary requested",
                Rollout::Canary(percent),
            )
            .await;
        outcomes
            .remove(name)
            .unwrap_or_else(|| ReloadOutcome::Error {
                reason: format!("the reload reported nothing for {name}"),
            })
    }

    async fn reload_as(
        &self,
        names: &[&str],
        build: Build,
        reason: &str,
        rollout: Rollout,
    ) -> BTreeMap<String, ReloadOutcome> {
        let _batch = self.inner.reload_lock.lock().await;
        let mut outcomes = BTreeMap::new();
        let mut wanted = Vec::new();
        for name in names {
            match self.service(name) {
                Some(service) => wanted.push(service.clone()),
                None => {
                    outcomes.insert(
                        (*name).to_owned(),
                        ReloadOutcome::Error {
                            reason: format!(
                                "unknown service {name:?}; known: {}",
                                self.inner.config.service_names().join(", ")
                            ),
                        },
                    );
                }
            }
        }
        // Dependency order comes from the config's order.
        wanted.sort_by_key(|s| {
            self.inner
                .services
                .iter()
                .position(|x| Arc::ptr_eq(x, s))
                .unwrap_or(usize::MAX)
        });
        wanted.dedup_by(|a, b| Arc::ptr_eq(a, b));

        let mut to_build = Vec::new();
        for service in wanted {
            let hash = source_hash(&service).await;
            let serving = service.current_version();
            let same = service
                .last_good()
                .filter(|r| Some(r.version) == serving && r.source_hash == hash);
            match same {
                Some(record) if build == Build::IfChanged => {
                    service.metrics.reload("unchanged");
                    service.emit(EventKind::Unchanged {
                        version: record.version,
                    });
                    outcomes.insert(
                        service.name().to_owned(),
                        ReloadOutcome::Unchanged {
                            version: record.version,
                        },
                    );
                }
                _ => to_build.push((service, hash)),
            }
        }
        if to_build.is_empty() {
            return outcomes;
        }

        for (service, _) in &to_build {
            if service.current_version().is_some() {
                service.set_phase(Phase::Reloading);
            }
            service.emit(EventKind::BuildStarted {
                reason: reason.to_owned(),
            });
        }
        let built = self.build_each(&to_build).await;

        // A caller is not swapped when a service it depends on failed in
        // this batch: it may have been built against that service's new API.
        let mut failed: BTreeSet<String> = BTreeSet::new();
        for (service, hash) in to_build {
            let name = service.name().to_owned();
            let held_back = service
                .config
                .depends_on
                .iter()
                .find(|dependency| failed.contains(*dependency))
                .cloned();
            let outcome = match (held_back, built.get(&name)) {
                (Some(dependency), _) => {
                    let reason = format!(
                        "not swapped: {dependency}, which it depends on, failed in the same reload"
                    );
                    service.reload_failed(&reason);
                    ReloadOutcome::Error { reason }
                }
                (None, built) => match built {
                    Some(Ok((binary, build_ms))) => {
                        service.emit(EventKind::BuildSucceeded {
                            build_ms: *build_ms,
                        });
                        let previous = service.current_version();
                        match service
                            .deploy_build(binary, &hash, *build_ms, rollout)
                            .await
                        {
                            Ok(version) => match rollout {
                                Rollout::Swap => ReloadOutcome::Swapped {
                                    version,
                                    previous,
                                    swap_ms: service.status().last_reload_ms,
                                },
                                Rollout::Canary(percent) => ReloadOutcome::Canary {
                                    version,
                                    stable: previous,
                                    percent: percent.get(),
                                },
                            },
                            Err(DeployError::StartFailed { version, reason }) => {
                                ReloadOutcome::StartFailed { version, reason }
                            }
                            // Start failures were recorded by the swap protocol;
                            // everything else is recorded here, so that no failed
                            // reload goes unreported.
                            Err(other) => {
                                let reason = other.to_string();
                                service.reload_failed(&reason);
                                ReloadOutcome::Error { reason }
                            }
                        }
                    }
                    Some(Err(diagnostics)) => {
                        service.record_error(format!("build failed:\n{diagnostics}"));
                        service.settle_phase();
                        service.emit(EventKind::BuildFailed {
                            diagnostics: diagnostics.clone(),
                        });
                        ReloadOutcome::BuildFailed {
                            diagnostics: diagnostics.clone(),
                        }
                    }
                    None => {
                        let reason = "the build reported nothing for this service".to_owned();
                        service.reload_failed(&reason);
                        ReloadOutcome::Error { reason }
                    }
                },
            };
            if !outcome.is_success() {
                failed.insert(name.clone());
            }
            service.metrics.reload(outcome.label());
            outcomes.insert(name, outcome);
        }
        outcomes
    }

    /// One cargo run per service, one after the other (cargo's lock would
    /// serialise them anyway). Never one run for several: cargo unifies the
    /// features of the dependencies of the packages built together, so a
    /// service built beside the gateway and the same service built alone
    /// get different variants of shared crates (serde_json with and without
    /// the gateway's `raw_value`, …), and every reload that builds another
    /// subset than the last recompiles their whole dependent graph — minutes
    /// with an inference library in it. Built alone, a service always has
    /// the same dependencies, and a reload compiles only what changed. It
    /// also keeps one broken service from holding back the others.
    async fn build_each(
        &self,
        services: &[(Arc<ServiceRuntime>, String)],
    ) -> BTreeMap<String, Result<(PathBuf, u64), String>> {
        let settings = &self.inner.settings;
        let mut results = BTreeMap::new();
        for (service, hash) in services {
            let result = match service.config.program() {
                Program::Cargo { package, bin } => {
                    let plan = BuildPlan {
                        workspace: &settings.workspace,
                        target_dir: settings.target_dir.as_deref(),
                        profile: settings.profile,
                        targets: vec![(package, bin)],
                    };
                    builder::build(&plan)
                        .await
                        .map_err(|e| e.diagnostics())
                        .and_then(|built| {
                            built
                                .binaries
                                .get(bin)
                                .map(|b| (b.clone(), built.elapsed.as_millis() as u64))
                                .ok_or_else(|| format!("no binary {bin} was built"))
                        })
                }
                Program::Command(spec) => {
                    let files = service.sources().files();
                    let staging = service.store().staging(hash);
                    match staging {
                        Ok(dir) => snapshot::make(&spec, &files, &settings.workspace, &dir)
                            .await
                            .map(|s| (s.dir, s.elapsed.as_millis() as u64))
                            .map_err(|e| e.to_string()),
                        Err(e) => Err(e.to_string()),
                    }
                }
            };
            results.insert(service.name().to_owned(), result);
        }
        results
    }

    /// Swaps in a kept version (default: the previous good one) under a new
    /// number. During a bake window or a canary, a rollback to the version
    /// kept for it is the trial's instant switch back instead: no start, and
    /// the version keeps its number.
    pub async fn rollback(&self, name: &str, to: Option<u64>) -> anyhow::Result<u64> {
        let service = self.known(name)?;
        if service.trial_fallback(to).is_some() {
            if let Ok(version) = service.abort_trial("rolled back by request") {
                return Ok(version);
            }
        }
        let _batch = self.inner.reload_lock.lock().await;
        Ok(service.rollback(to).await?)
    }

    /// Ends `name`'s trial (bake window or canary) in the new version's
    /// favour now.
    pub fn promote(&self, name: &str) -> anyhow::Result<u64> {
        Ok(self.known(name)?.promote_trial()?)
    }

    /// Rolls `name`'s version on trial back now.
    pub fn abort(&self, name: &str) -> anyhow::Result<u64> {
        Ok(self.known(name)?.abort_trial("aborted by request")?)
    }

    fn known(&self, name: &str) -> anyhow::Result<&Arc<ServiceRuntime>> {
        self.service(name).ok_or_else(|| {
            anyhow!(
                "unknown service {name:?}; known: {}",
                self.inner.config.service_names().join(", ")
            )
        })
    }

    pub fn service(&self, name: &str) -> Option<&Arc<ServiceRuntime>> {
        self.inner.services.iter().find(|s| s.name() == name)
    }

    /// Every service, in dependency order.
    pub fn services(&self) -> &[Arc<ServiceRuntime>] {
        &self.inner.services
    }

    pub fn status(&self) -> Vec<ServiceStatus> {
        self.inner.services.iter().map(|s| s.status()).collect()
    }

    pub fn history(&self, name: &str) -> Option<Vec<VersionRecord>> {
        self.service(name).map(|s| s.history())
    }

    /// The address a service's front listens on.
    pub fn address(&self, name: &str) -> Option<SocketAddr> {
        self.inner.ports.get(name).copied()
    }

    /// Runs `task` on the supervisor's own runtime.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.runtime.spawn(task)
    }

    /// The address of the admin API (the main port).
    pub fn admin_address(&self) -> SocketAddr {
        self.inner.admin_addr
    }

    /// Services other than the main one (the one sharing the admin port).
    pub fn microservices(&self) -> impl Iterator<Item = &Arc<ServiceRuntime>> {
        let admin_port = self.inner.settings.admin_port;
        self.inner
            .services
            .iter()
            .filter(move |s| s.config.port != admin_port)
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// How changes are detected.
    pub fn detection(&self) -> Detection {
        self.inner
            .detection
            .lock()
            .map(|d| *d)
            .unwrap_or(Detection::Off)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    pub fn event_log_path(&self) -> &Path {
        self.inner.events.path()
    }

    /// Stops watching, stops every service (dependents first, each draining
    /// its in-flight requests), and closes the ports.
    pub async fn shutdown(&self) {
        if let Ok(mut watcher) = self.inner.watcher.lock() {
            watcher.take();
        }
        if let Ok(mut batches) = self.inner.batches.lock() {
            batches.take();
        }
        for service in self.inner.services.iter().rev() {
            service.shutdown().await;
        }
        let tasks: Vec<JoinHandle<()>> = match self.inner.tasks.lock() {
            Ok(mut tasks) => tasks.drain(..).collect(),
            Err(_) => Vec::new(),
        };
        for task in tasks {
            task.abort();
            // Awaiting the aborted task drops its listener: the port is free
            // when shutdown returns.
            let _ = task.await;
        }
        if let Ok(mut dir) = self.inner.socket_dir.lock() {
            dir.take();
        }
        if let Ok(mut lock) = self.inner.state_lock.lock() {
            lock.take();
        }
    }
}

/// Removes the private socket directory a killed supervisor left behind
/// (only one of ours: a `hifate-*` directory in the temp dir).
fn remove_socket_dir(dir: &Path) {
    let ours = dir.starts_with(std::env::temp_dir())
        && dir
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("hifate-"));
    if ours && dir.is_dir() {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => tracing::info!(
                "removed {}, left behind by a supervisor that did not stop",
                dir.display()
            ),
            Err(error) => tracing::warn!("cannot remove {}: {error}", dir.display()),
        }
    }
}

async fn source_hash(service: &Arc<ServiceRuntime>) -> String {
    let sources = service.sources();
    tokio::task::spawn_blocking(move || sources.hash())
        .await
        .unwrap_or_default()
}

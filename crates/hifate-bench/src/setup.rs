//! Supervisor setup for the scenarios: configs on free ports with a
//! throwaway state directory, the benchmark's own cargo target directory,
//! a mirrored copy of the workspace for scenarios that edit or watch
//! sources, the echo fixture workspace, and an event recorder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context as _};
use hifate::events::{Event, EventKind};
use hifate::Supervisor;
use hifate_fixture::template::{self, EchoService};
use time::OffsetDateTime;

/// Where the benchmarks run: the real workspace and the directories the
/// benchmarks may write (all under the workspace's `target/`).
#[derive(Debug, Clone)]
pub struct Env {
    /// The real workspace (never edited).
    pub workspace: PathBuf,
    /// Cargo target directory of every build a benchmark asks for.
    pub target_dir: PathBuf,
    /// How long to wait for a quiet machine before measuring anyway.
    pub quiet_limit: Duration,
}

impl Env {
    pub fn new(workspace: PathBuf, quiet_limit: Duration) -> anyhow::Result<Env> {
        let workspace = std::fs::canonicalize(&workspace)
            .with_context(|| format!("bad workspace path {}", workspace.display()))?;
        if !workspace.join("Cargo.toml").is_file() {
            bail!(
                "{} has no Cargo.toml; pass --workspace with the HiFate workspace",
                workspace.display()
            );
        }
        Ok(Env {
            target_dir: workspace.join("target/bench-target"),
            workspace,
            quiet_limit,
        })
    }

    /// A mirror of the workspace's sources that scenarios may edit and watch
    /// (outside the target directory, which the supervisor never watches).
    pub fn workspace_copy(&self) -> PathBuf {
        self.workspace.join("target/bench-workspace")
    }

    /// The echo fixture workspace.
    pub fn fixture_dir(&self) -> PathBuf {
        self.workspace.join("target/bench-fixture")
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("cannot bind a free port")?;
    Ok(listener.local_addr()?.port())
}

/// One `[[service]]` of a generated config.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    pub name: &'static str,
    pub kind: &'static str,
    pub depends_on: &'static [&'static str],
}

pub const BAZI_CORE: ServiceSpec = ServiceSpec {
    name: "bazi_core",
    kind: "grpc",
    depends_on: &[],
};
pub const GATEWAY: ServiceSpec = ServiceSpec {
    name: "gateway",
    kind: "http",
    depends_on: &["bazi_core"],
};
pub const ECHO: ServiceSpec = ServiceSpec {
    name: "echo",
    kind: "grpc",
    depends_on: &[],
};

/// What a generated config asks for.
#[derive(Debug, Clone)]
pub struct Plan {
    pub workspace: PathBuf,
    pub target_dir: PathBuf,
    /// `"dev"` or `"release"`.
    pub profile: &'static str,
    /// `"events"`, `"poll"` or `"off"`.
    pub watch: &'static str,
    pub services: Vec<ServiceSpec>,
    /// Extra `[supervisor]` lines.
    pub extra: Vec<String>,
}

impl Plan {
    /// One release-built service in `workspace`, reloaded only on demand
    /// (watch off), with a drain timeout of 10 s and no bake window (the old
    /// version drains and stops at each switch, as the swap scenario
    /// measures): the plan of the swap, load and rollback scenarios.
    pub fn reloading(workspace: PathBuf, target_dir: PathBuf, service: ServiceSpec) -> Plan {
        Plan {
            workspace,
            target_dir,
            profile: "release",
            watch: "off",
            services: vec![service],
            extra: vec!["drain_timeout_ms = 10000".into(), "bake_ms = 0".into()],
        }
    }
}

/// A config file's text for `plan`, with free ports and `state_dir = "state"`.
pub fn config_text(plan: &Plan) -> anyhow::Result<String> {
    let mut text = String::from("[supervisor]\n");
    text.push_str(&format!("admin_port = {}\n", free_port()?));
    text.push_str("state_dir = \"state\"\n");
    text.push_str(&format!(
        "workspace = {:?}\n",
        plan.workspace.display().to_string()
    ));
    text.push_str(&format!(
        "target_dir = {:?}\n",
        plan.target_dir.display().to_string()
    ));
    text.push_str(&format!("profile = {:?}\n", plan.profile));
    text.push_str(&format!("watch = {:?}\n", plan.watch));
    for line in &plan.extra {
        text.push_str(line);
        text.push('\n');
    }
    for service in &plan.services {
        text.push_str(&format!(
            "\n[[service]]\nname = {:?}\nport = {}\nkind = {:?}\n",
            service.name,
            free_port()?,
            service.kind
        ));
        if !service.depends_on.is_empty() {
            let deps: Vec<String> = service
                .depends_on
                .iter()
                .map(|d| format!("{d:?}"))
                .collect();
            text.push_str(&format!("depends_on = [{}]\n", deps.join(", ")));
        }
    }
    Ok(text)
}

/// A supervisor started in this process, with its throwaway directory.
pub struct Running {
    pub supervisor: Supervisor,
    /// Holds the config and state directory until the supervisor is gone.
    _dir: tempfile::TempDir,
}

impl Running {
    /// Starts a supervisor for `plan` (building what is needed first, which
    /// can take minutes the first time) and checks every service serves.
    pub async fn start(plan: &Plan) -> anyhow::Result<Running> {
        let dir = tempfile::Builder::new()
            .prefix("hifate-bench-")
            .tempdir()
            .context("cannot create a temp dir")?;
        let text = config_text(plan)?;
        std::fs::write(dir.path().join("hifate.toml"), &text)?;
        let config = hifate::Config::parse(&text, dir.path())?;
        let names: Vec<&str> = plan.services.iter().map(|s| s.name).collect();
        eprintln!(
            "starting a supervisor for {} ({} profile, watch {}); the first build of a profile takes minutes",
            names.join(", "),
            plan.profile,
            plan.watch
        );
        let supervisor = tokio::time::timeout(Duration::from_secs(1800), hifate::start(config))
            .await
            .context("the supervisor did not start within 30 minutes")??;
        let running = Running {
            supervisor,
            _dir: dir,
        };
        for status in running.supervisor.status() {
            if status.current_version.is_none() {
                let error = status.last_error.unwrap_or_default();
                running.supervisor.shutdown().await;
                bail!("{} is not serving: {error}", status.service_name);
            }
        }
        Ok(running)
    }

    /// The front address of `service`.
    pub fn address(&self, service: &str) -> anyhow::Result<std::net::SocketAddr> {
        self.supervisor
            .address(service)
            .with_context(|| format!("no front port for {service}"))
    }

    /// The serving version's private socket and pid.
    pub fn child(&self, service: &str) -> anyhow::Result<(PathBuf, u32)> {
        let status = self
            .supervisor
            .status()
            .into_iter()
            .find(|s| s.service_name == service)
            .with_context(|| format!("no status for {service}"))?;
        match (status.socket, status.pid) {
            (Some(socket), Some(pid)) => Ok((socket, pid)),
            _ => bail!("{service} has no serving version"),
        }
    }

    pub async fn shutdown(self) {
        self.supervisor.shutdown().await;
    }
}

/// Every event of a supervisor from its creation on, kept in memory.
#[derive(Clone)]
pub struct Recorder {
    events: Arc<Mutex<Vec<Event>>>,
}

impl Recorder {
    pub fn start(supervisor: &Supervisor) -> Recorder {
        let events = Arc::new(Mutex::new(Vec::new()));
        let mut feed = supervisor.subscribe();
        let sink = events.clone();
        tokio::spawn(async move {
            loop {
                match feed.recv().await {
                    Ok(event) => {
                        if let Ok(mut all) = sink.lock() {
                            all.push(event);
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        eprintln!("warning: {n} supervisor events were missed");
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        Recorder { events }
    }

    pub fn snapshot(&self) -> Vec<Event> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// The first recorded event of `service` matching `pred`, waiting up to `limit`.
    pub async fn wait_for(
        &self,
        service: &str,
        limit: Duration,
        pred: impl Fn(&EventKind) -> bool,
    ) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let found = self.events.lock().ok().and_then(|all| {
                all.iter()
                    .find(|e| e.service == service && pred(&e.kind))
                    .cloned()
            });
            if found.is_some() {
                return found;
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

/// `later - earlier` as a std duration (zero if negative).
pub fn between(earlier: OffsetDateTime, later: OffsetDateTime) -> Duration {
    Duration::try_from(later - earlier).unwrap_or(Duration::ZERO)
}

/// Mirrors the workspace's sources (`Cargo.toml`, `Cargo.lock`, `crates/`,
/// `services/`, without build output or hidden files) into `dst`. Files whose
/// content is already the same are left alone, so cargo's fingerprints in
/// the shared target directory stay valid between runs.
pub fn sync_workspace_copy(src: &Path, dst: &Path) -> anyhow::Result<usize> {
    let mut wanted = BTreeSet::new();
    let mut written = 0;
    for file in ["Cargo.toml", "Cargo.lock"] {
        written += sync_file(&src.join(file), &dst.join(file))?;
    }
    for dir in ["crates", "services"] {
        let mut files = Vec::new();
        list_sources(&src.join(dir), &mut files)?;
        for file in files {
            let relative = file.strip_prefix(src)?.to_owned();
            written += sync_file(&file, &dst.join(&relative))?;
            wanted.insert(relative);
        }
    }
    // Files gone from the source go from the copy too.
    for dir in ["crates", "services"] {
        let mut files = Vec::new();
        list_sources(&dst.join(dir), &mut files)?;
        for file in files {
            let relative = file.strip_prefix(dst)?.to_owned();
            if !wanted.contains(&relative) {
                std::fs::remove_file(&file)?;
                written += 1;
            }
        }
    }
    Ok(written)
}

fn sync_file(src: &Path, dst: &Path) -> anyhow::Result<usize> {
    let bytes = std::fs::read(src).with_context(|| format!("cannot read {}", src.display()))?;
    if std::fs::read(dst).ok().as_deref() == Some(bytes.as_slice()) {
        return Ok(0);
    }
    if let Some(parent) = dst.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(dst, bytes).with_context(|| format!("cannot write {}", dst.display()))?;
    Ok(1)
}

fn list_sources(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error).with_context(|| format!("cannot list {}", dir.display())),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if name != "target" {
                list_sources(&entry.path(), out)?;
            }
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

/// Writes the echo fixture workspace (one echo service, the template of
/// `hifate_fixture::template`, on the workspace's SDK and fixture proto) into
/// `env.fixture_dir()`, leaving files that are already up to date untouched.
pub fn write_echo_fixture(env: &Env) -> anyhow::Result<PathBuf> {
    let root = env.fixture_dir();
    let echo = EchoService {
        name: ECHO.name,
        uses_shared: false,
    };
    template::write(&root, &env.workspace, &[echo])
        .context("cannot write the echo fixture workspace")?;
    Ok(root)
}

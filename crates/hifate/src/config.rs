//! `hifate.toml`: the services to run and the supervisor's settings.
//!
//! Every setting has a default, so a config may list only its services. Paths
//! in the file are relative to the file's own directory. Ports and the state
//! directory can be overridden after loading ([`Config::override_port`],
//! [`Config::settings`]) so that tests and second instances run on free ports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Why a config could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path} (pass --config PATH to use another file)")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config {path} is not valid")]
    Parse {
        path: PathBuf,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("config is not valid: {0}")]
    Invalid(String),
}

pub use crate::data::ServiceKind;

/// Environment variable that sets the admin token (wins over the config).
/// The supervisor's own secret: never passed on to a service's processes.
pub const ADMIN_TOKEN_VAR: &str = "HIFATE_ADMIN_TOKEN";

/// How file changes are noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WatchMode {
    /// OS file events (inotify), falling back to polling if they are unavailable.
    Events,
    /// Poll modification times every `check_interval`.
    Poll,
    /// No automatic reloads; only explicit ones.
    Off,
}

/// Cargo build profile for service binaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Dev,
    Release,
}

/// Supervisor-wide settings (`[supervisor]` in the file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Port of the admin API. When a service uses the same port, that service
    /// is the main service: admin paths go to the API, the rest to it.
    pub admin_port: u16,
    /// Bearer token for state-changing admin calls (default: generated into
    /// the state directory; `HIFATE_ADMIN_TOKEN` overrides both).
    pub admin_token: Option<String>,
    /// Address the public ports bind to.
    pub bind: String,
    /// Host names (besides loopback ones: `localhost`, `127.0.0.1`, `[::1]`)
    /// under which the admin API may be reached. A request naming any other
    /// host is refused, so a web page that rebinds its DNS name to this
    /// machine cannot read or drive the API.
    pub admin_hosts: Vec<String>,
    /// Where versions, artifacts and events are kept.
    pub state_dir: PathBuf,
    /// The cargo workspace holding the services (default: the config's directory).
    pub workspace: PathBuf,
    /// Cargo target directory (default: cargo's own choice for the workspace).
    pub target_dir: Option<PathBuf>,
    pub profile: Profile,
    pub watch: WatchMode,
    /// Quiet period after the last file event before a reload starts.
    pub debounce_ms: u64,
    /// Polling interval in seconds, for `watch = "poll"` and the fallback.
    pub check_interval: u64,
    /// How long a new version may take to become ready.
    pub ready_timeout_ms: u64,
    /// How long an old version may take to finish its in-flight requests.
    pub drain_timeout_ms: u64,
    /// Time between SIGTERM and SIGKILL when stopping a process.
    pub stop_grace_ms: u64,
    /// How many artifacts are kept per service for rollback (besides these,
    /// the version the current one just replaced keeps its artifact until
    /// the next switch: its process may still run).
    pub versions_kept: usize,
    /// How often the serving version's health is checked (0: never). A
    /// version that stops answering (frozen, deadlocked) is replaced.
    pub health_interval_ms: u64,
    /// How long one health check may take.
    pub health_timeout_ms: u64,
    /// Missed health checks in a row after which the version is replaced.
    pub health_misses: u32,
    /// Client connections each public port holds at most; past it, new ones
    /// are closed (on the main port they still reach the admin API).
    pub max_connections: usize,
    /// A client connection that sends no request for this long is closed
    /// (0: never).
    pub idle_timeout_ms: u64,
    /// After a switch, how long the old version stays running, warm, while
    /// the new one is watched (0: no window, the old one stops at once). A
    /// new version that exits, turns unhealthy or trips `rollback_faults`
    /// within it is rolled back to the warm one instantly. It is also how
    /// long a canary runs before it is promoted on its own.
    pub bake_ms: u64,
    /// The server-fault rate that rolls a new version back during its window.
    pub rollback_faults: FaultRule,
}

/// When a new version's server faults roll it back: at least `count` faults,
/// and at least `share` of its calls (`{ count = 5, share = 0.2 }`: five
/// faults and a fifth of its calls). Both, so that one unlucky call of a
/// quiet service does not count as a rate, and a busy service's few faults
/// among thousands of calls do not either.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    pub count: u64,
    pub share: f64,
}

impl Default for FaultRule {
    fn default() -> Self {
        FaultRule {
            count: 5,
            share: 0.2,
        }
    }
}

impl FaultRule {
    /// True if `faults` among `calls` break the rule.
    pub fn tripped(&self, calls: u64, faults: u64) -> bool {
        faults >= self.count && faults as f64 >= self.share * calls as f64
    }

    fn check(&self, key: &str) -> Result<(), ConfigError> {
        if self.count == 0 || !(self.share > 0.0 && self.share <= 1.0) {
            return Err(ConfigError::Invalid(format!(
                "{key} = {{ count = {}, share = {} }}: count must be at least 1 and share above 0 and at most 1 (e.g. {{ count = 5, share = 0.2 }})",
                self.count, self.share
            )));
        }
        Ok(())
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            admin_port: 8001,
            admin_token: None,
            bind: "127.0.0.1".into(),
            admin_hosts: Vec::new(),
            state_dir: PathBuf::from(".hifate"),
            workspace: PathBuf::from("."),
            target_dir: None,
            profile: Profile::Dev,
            watch: WatchMode::Events,
            debounce_ms: 300,
            check_interval: 30,
            ready_timeout_ms: 10_000,
            drain_timeout_ms: 30_000,
            stop_grace_ms: 5_000,
            versions_kept: 10,
            health_interval_ms: 5_000,
            health_timeout_ms: 2_000,
            health_misses: 3,
            max_connections: 1_024,
            idle_timeout_ms: 300_000,
            bake_ms: 10_000,
            rollback_faults: FaultRule::default(),
        }
    }
}

impl Settings {
    pub fn debounce(&self) -> Duration {
        Duration::from_millis(self.debounce_ms)
    }
    pub fn poll_interval(&self) -> Duration {
        Duration::from_secs(self.check_interval.max(1))
    }
}

/// One supervised service (`[[service]]` in the file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    pub name: String,
    /// Public port the supervisor listens on for this service.
    pub port: u16,
    #[serde(default = "default_kind")]
    pub kind: ServiceKind,
    /// Cargo package to build (default: the service's name).
    #[serde(default)]
    pub package: Option<String>,
    /// Binary target of the package (default: the package's name).
    #[serde(default)]
    pub bin: Option<String>,
    /// Services this one calls; they are swapped before it.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Extra paths (relative to the workspace) whose changes reload this service.
    #[serde(default)]
    pub watch: Vec<PathBuf>,
    /// Extra environment for the service's processes.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Overrides `[supervisor] ready_timeout_ms` for this service (one that
    /// loads a model needs longer than an echo).
    #[serde(default)]
    pub ready_timeout_ms: Option<u64>,
    /// Overrides `[supervisor] drain_timeout_ms` for this service.
    #[serde(default)]
    pub drain_timeout_ms: Option<u64>,
    /// Overrides `[supervisor] stop_grace_ms` for this service.
    #[serde(default)]
    pub stop_grace_ms: Option<u64>,
    /// The data directory's name under `state_dir/data` (default: the
    /// service's name). Services that own one database together — a
    /// classifier and the optimizer that deploys its versions — name the same
    /// directory; every version of each already opens its data concurrently
    /// with the next one during a swap, so sharing adds no new case.
    #[serde(default)]
    pub data: Option<String>,
    /// Overrides `[supervisor] bake_ms` for this service.
    #[serde(default)]
    pub bake_ms: Option<u64>,
    /// Overrides `[supervisor] rollback_faults` for this service.
    #[serde(default)]
    pub rollback_faults: Option<FaultRule>,
    /// A service that is not a cargo package: the command that starts it
    /// (`["python3", "server.py"]`), run in the version's snapshot of its
    /// `sources`, in the copy of the first of them.
    #[serde(default)]
    pub run: Option<Vec<String>>,
    /// With `run`: a command run once in a new snapshot before it becomes a
    /// version (code generation, byte-compiling); its failure is the
    /// reload's build failure.
    #[serde(default)]
    pub build: Option<Vec<String>>,
    /// With `run`: the files and directories (relative to the workspace)
    /// that make up the service; they are watched, hashed and copied into
    /// each version's snapshot.
    #[serde(default)]
    pub sources: Vec<PathBuf>,
    /// How the supervisor reaches the service's processes: `"socket"` (a
    /// private Unix socket, `HIFATE_SOCKET`) or `"tcp"` (a loopback port the
    /// supervisor picks, `HIFATE_PORT`, for runtimes without Unix sockets).
    #[serde(default)]
    pub listen: Listen,
}

/// How the supervisor reaches a service's processes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Listen {
    #[default]
    Socket,
    Tcp,
}

/// How a service's code becomes a version.
#[derive(Debug, Clone, Copy)]
pub enum Program<'a> {
    /// A binary of a cargo package of the workspace, built by cargo.
    Cargo { package: &'a str, bin: &'a str },
    /// A command run in a snapshot of source files.
    Command(CommandSpec<'a>),
}

/// A service started by a command from a snapshot of its sources.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec<'a> {
    pub run: &'a [String],
    pub build: Option<&'a [String]>,
    pub sources: &'a [PathBuf],
}

impl CommandSpec<'_> {
    /// Where in a snapshot `run` and `build` run: the copy of the first
    /// source path if it is a directory, else the snapshot's root.
    pub fn workdir(&self, snapshot: &Path, workspace: &Path) -> PathBuf {
        match self.sources.first() {
            Some(first) if workspace.join(first).is_dir() => snapshot.join(first),
            _ => snapshot.to_path_buf(),
        }
    }
}

fn default_kind() -> ServiceKind {
    ServiceKind::Grpc
}

impl ServiceConfig {
    /// How this service's code becomes a version.
    pub fn program(&self) -> Program<'_> {
        match &self.run {
            Some(run) => Program::Command(CommandSpec {
                run,
                build: self.build.as_deref(),
                sources: &self.sources,
            }),
            None => Program::Cargo {
                package: self.package(),
                bin: self.bin(),
            },
        }
    }

    pub fn package(&self) -> &str {
        self.package.as_deref().unwrap_or(&self.name)
    }
    /// The name of this service's data directory under `state_dir/data`.
    pub fn data(&self) -> &str {
        self.data.as_deref().unwrap_or(&self.name)
    }
    pub fn bin(&self) -> &str {
        self.bin.as_deref().unwrap_or_else(|| self.package())
    }
    /// How long a new version of this service may take to become ready.
    pub fn ready_timeout(&self, settings: &Settings) -> Duration {
        Duration::from_millis(self.ready_timeout_ms.unwrap_or(settings.ready_timeout_ms))
    }
    /// How long an old version of this service may take to finish its requests.
    pub fn drain_timeout(&self, settings: &Settings) -> Duration {
        Duration::from_millis(self.drain_timeout_ms.unwrap_or(settings.drain_timeout_ms))
    }
    /// Time between SIGTERM and SIGKILL for this service's processes.
    pub fn stop_grace(&self, settings: &Settings) -> Duration {
        Duration::from_millis(self.stop_grace_ms.unwrap_or(settings.stop_grace_ms))
    }
    /// How long a new version of this service is watched after its switch
    /// with the old one kept warm; `None` when there is no window.
    pub fn bake(&self, settings: &Settings) -> Option<Duration> {
        match self.bake_ms.unwrap_or(settings.bake_ms) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }
    /// The fault rate that rolls a new version of this service back.
    pub fn fault_rule(&self, settings: &Settings) -> FaultRule {
        self.rollback_faults.unwrap_or(settings.rollback_faults)
    }

    /// A service is a cargo package or a command, with the keys of one.
    fn check_program(&self) -> Result<(), ConfigError> {
        let name = &self.name;
        let invalid = |message: String| Err(ConfigError::Invalid(message));
        match &self.run {
            Some(run) => {
                if run.first().is_none_or(|program| program.is_empty()) {
                    return invalid(format!(
                        "service {name}: run must name a program, e.g. run = [\"python3\", \"server.py\"]"
                    ));
                }
                if self.package.is_some() || self.bin.is_some() {
                    return invalid(format!(
                        "service {name}: run starts a command, so package and bin (cargo) do not apply; remove one or the other"
                    ));
                }
                if self.build.as_ref().is_some_and(|b| b.first().is_none_or(|p| p.is_empty())) {
                    return invalid(format!(
                        "service {name}: build must name a program (or be left out)"
                    ));
                }
                if self.sources.is_empty() {
                    return invalid(format!(
                        "service {name}: a service with run needs sources = [\"path\", …], the files it runs from (relative to the workspace)"
                    ));
                }
                if let Some(bad) = self
                    .sources
                    .iter()
                    .find(|p| p.is_absolute() || p.components().any(|c| c == std::path::Component::ParentDir))
                {
                    return invalid(format!(
                        "service {name}: sources entry {} must be a path inside the workspace (relative, without ..)",
                        bad.display()
                    ));
                }
                Ok(())
            }
            None if self.build.is_some() || !self.sources.is_empty() => invalid(format!(
                "service {name}: build and sources belong to a service with run = [...]; a cargo service's sources come from cargo (use watch for extra paths)"
            )),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    supervisor: Settings,
    #[serde(default, rename = "service")]
    services: Vec<ServiceConfig>,
}

/// A validated configuration with absolute paths.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    /// Services in dependency order: every service comes after those it depends on.
    pub services: Vec<ServiceConfig>,
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Config::parse(&text, base).map_err(|e| match e {
            ConfigError::Parse { source, .. } => ConfigError::Parse {
                path: path.to_owned(),
                source,
            },
            other => other,
        })
    }

    /// Parses config text; relative paths are resolved against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: PathBuf::new(),
            source: Box::new(source),
        })?;
        let base = std::path::absolute(base)
            .map_err(|e| ConfigError::Invalid(format!("cannot resolve {}: {e}", base.display())))?;
        let mut settings = raw.supervisor;
        // `.` components dropped: paths built from these are compared with
        // the paths file events name.
        let resolve = |path: &Path| -> PathBuf {
            base.join(path)
                .components()
                .filter(|c| *c != std::path::Component::CurDir)
                .collect()
        };
        settings.workspace = resolve(&settings.workspace);
        settings.state_dir = resolve(&settings.state_dir);
        settings.target_dir = settings.target_dir.as_deref().map(resolve);
        let services = dependency_order(raw.services)?;
        let config = Config { settings, services };
        config.validate()?;
        Ok(config)
    }

    /// Replaces the public port of `service` (or of the admin API for `"admin"`).
    pub fn override_port(&mut self, service: &str, port: u16) -> Result<(), ConfigError> {
        if service == "admin" {
            self.settings.admin_port = port;
            return Ok(());
        }
        match self.services.iter_mut().find(|s| s.name == service) {
            Some(s) => {
                s.port = port;
                self.validate()
            }
            None => Err(ConfigError::Invalid(format!(
                "cannot override the port of unknown service {service:?}; known: {}",
                self.service_names().join(", ")
            ))),
        }
    }

    pub fn service_names(&self) -> Vec<String> {
        self.services.iter().map(|s| s.name.clone()).collect()
    }

    pub fn service(&self, name: &str) -> Option<&ServiceConfig> {
        self.services.iter().find(|s| s.name == name)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let simple = |name: &str| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        let mut ports = BTreeMap::new();
        for s in &self.services {
            if !simple(&s.name) {
                return Err(ConfigError::Invalid(format!(
                    "service name {:?} must be non-empty ASCII letters, digits, '_' or '-'",
                    s.name
                )));
            }
            if !simple(s.data()) {
                return Err(ConfigError::Invalid(format!(
                    "service {}: data = {:?} must be a directory name of ASCII letters, digits, '_' or '-'",
                    s.name,
                    s.data()
                )));
            }
            if s.port == 0 {
                return Err(ConfigError::Invalid(format!(
                    "service {} needs a port (got 0)",
                    s.name
                )));
            }
            s.check_program()?;
            if let Some(rule) = &s.rollback_faults {
                rule.check(&format!("service {}: rollback_faults", s.name))?;
            }
            if let Some(other) = ports.insert(s.port, &s.name) {
                return Err(ConfigError::Invalid(format!(
                    "services {other} and {} both use port {}",
                    s.name, s.port
                )));
            }
        }
        let settings = &self.settings;
        if settings.versions_kept == 0 {
            return Err(ConfigError::Invalid(
                "versions_kept must be at least 1".into(),
            ));
        }
        if settings.health_interval_ms > 0 && settings.health_misses == 0 {
            return Err(ConfigError::Invalid(
                "health_misses must be at least 1 (or set health_interval_ms = 0 to turn health checks off)".into(),
            ));
        }
        if settings.health_interval_ms > 0 && settings.health_timeout_ms == 0 {
            return Err(ConfigError::Invalid(
                "health_timeout_ms must be above 0".into(),
            ));
        }
        settings.rollback_faults.check("rollback_faults")?;
        if settings.max_connections == 0 {
            return Err(ConfigError::Invalid(
                "max_connections must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// Sorts services so that each comes after everything it depends on,
/// rejecting unknown dependencies, duplicates and cycles.
fn dependency_order(services: Vec<ServiceConfig>) -> Result<Vec<ServiceConfig>, ConfigError> {
    let mut by_name = BTreeMap::new();
    for s in services {
        let name = s.name.clone();
        if by_name.insert(name.clone(), s).is_some() {
            return Err(ConfigError::Invalid(format!(
                "service {name} is listed twice"
            )));
        }
    }
    for s in by_name.values() {
        for dep in &s.depends_on {
            if !by_name.contains_key(dep) {
                return Err(ConfigError::Invalid(format!(
                    "service {} depends on unknown service {dep:?}",
                    s.name
                )));
            }
        }
    }
    let mut ordered = Vec::with_capacity(by_name.len());
    let mut placed = BTreeSet::new();
    while placed.len() < by_name.len() {
        let ready: Vec<String> = by_name
            .values()
            .filter(|s| !placed.contains(&s.name))
            .filter(|s| s.depends_on.iter().all(|d| placed.contains(d)))
            .map(|s| s.name.clone())
            .collect();
        if ready.is_empty() {
            let stuck: Vec<_> = by_name
                .keys()
                .filter(|n| !placed.contains(*n))
                .cloned()
                .collect();
            return Err(ConfigError::Invalid(format!(
                "depends_on has a cycle among: {}",
                stuck.join(", ")
            )));
        }
        for name in ready {
            placed.insert(name.clone());
            if let Some(s) = by_name.get(&name) {
                ordered.push(s.clone());
            }
        }
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_dependencies_and_resolves_paths() {
        let text = r#"
            [supervisor]
            state_dir = "state"
            [[service]]
            name = "gateway"
            port = 8002
            kind = "http"
            depends_on = ["core"]
            [[service]]
            name = "core"
            port = 9001
        "#;
        let config = Config::parse(text, Path::new("/srv/app")).unwrap();
        assert_eq!(config.service_names(), ["core", "gateway"]);
        assert_eq!(config.settings.state_dir, Path::new("/srv/app/state"));
        assert_eq!(config.services[1].kind, ServiceKind::Http);
        assert_eq!(config.services[0].package(), "core");
    }

    #[test]
    fn rejects_cycles_unknown_deps_and_port_clashes() {
        let cycle = r#"
            [[service]]
            name = "a"
            port = 1
            depends_on = ["b"]
            [[service]]
            name = "b"
            port = 2
            depends_on = ["a"]
        "#;
        let err = Config::parse(cycle, Path::new("/"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cycle"), "{err}");
        let unknown = "[[service]]\nname = \"a\"\nport = 1\ndepends_on = [\"zz\"]\n";
        let err = Config::parse(unknown, Path::new("/"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown service \"zz\""), "{err}");
        let clash = "[[service]]\nname = \"a\"\nport = 1\n[[service]]\nname = \"b\"\nport = 1\n";
        let err = Config::parse(clash, Path::new("/"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("port 1"), "{err}");
    }

    #[test]
    fn a_data_directory_defaults_to_the_name_and_can_be_shared() {
        let text = "[[service]]\nname = \"a\"\nport = 1\ndata = \"shared\"\n\
                    [[service]]\nname = \"b\"\nport = 2\ndata = \"shared\"\n\
                    [[service]]\nname = \"c\"\nport = 3\n";
        let config = Config::parse(text, Path::new("/")).unwrap();
        let data: Vec<&str> = config.services.iter().map(|s| s.data()).collect();
        assert_eq!(data, ["shared", "shared", "c"]);
        let escape = "[[service]]\nname = \"a\"\nport = 1\ndata = \"../etc\"\n";
        let err = Config::parse(escape, Path::new("/"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("data = \"../etc\""), "{err}");
    }

    #[test]
    fn the_bake_window_and_fault_rule_default_and_are_overridden_per_service() {
        let text = "[supervisor]\nrollback_faults = { count = 3, share = 0.5 }\n\
                    [[service]]\nname = \"a\"\nport = 1\n\
                    [[service]]\nname = \"b\"\nport = 2\nbake_ms = 0\n\
                    rollback_faults = { count = 10, share = 0.1 }\n";
        let config = Config::parse(text, Path::new("/")).unwrap();
        let (a, b) = (&config.services[0], &config.services[1]);
        assert_eq!(a.bake(&config.settings), Some(Duration::from_secs(10)));
        assert_eq!(b.bake(&config.settings), None);
        let rule = a.fault_rule(&config.settings);
        assert!(!rule.tripped(4, 2), "fewer than 3 faults");
        assert!(rule.tripped(6, 3));
        assert!(!rule.tripped(7, 3), "under half of the calls");
        assert!(!b.fault_rule(&config.settings).tripped(100, 9));
        assert!(FaultRule::default().tripped(25, 5));
        assert!(!FaultRule::default().tripped(26, 5));
        let bad = "[supervisor]\nrollback_faults = { count = 5, share = 1.5 }\n";
        let err = Config::parse(bad, Path::new("/")).unwrap_err().to_string();
        assert!(
            err.contains("rollback_faults") && err.contains("share"),
            "{err}"
        );
    }

    #[test]
    fn a_service_is_a_cargo_package_or_a_command_with_its_sources() {
        let text = "[[service]]\nname = \"py\"\nport = 1\nrun = [\"python3\", \"server.py\"]\n\
                    sources = [\"app\"]\nbuild = [\"make\"]\nlisten = \"tcp\"\n\
                    [[service]]\nname = \"rs\"\nport = 2\n";
        let config = Config::parse(text, Path::new("/w")).unwrap();
        match config.services[0].program() {
            Program::Command(spec) => {
                assert_eq!(spec.run, ["python3", "server.py"]);
                assert_eq!(spec.build, Some(&["make".to_owned()][..]));
                assert_eq!(spec.sources, [PathBuf::from("app")]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(config.services[0].listen, Listen::Tcp);
        assert!(matches!(
            config.services[1].program(),
            Program::Cargo {
                package: "rs",
                bin: "rs"
            }
        ));
        let refused = |service: &str, expected: &str| {
            let text = format!("[[service]]\nname = \"x\"\nport = 1\n{service}\n");
            let err = Config::parse(&text, Path::new("/w"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{service}: {err}");
        };
        refused("run = [\"python3\"]", "needs sources");
        refused("run = []\nsources = [\"a\"]", "run must name a program");
        refused(
            "run = [\"x\"]\nsources = [\"a\"]\npackage = \"p\"",
            "package and bin",
        );
        refused(
            "run = [\"x\"]\nsources = [\"../a\"]",
            "inside the workspace",
        );
        refused("sources = [\"a\"]", "belong to a service with run");
        refused("build = [\"make\"]", "belong to a service with run");
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = Config::parse("[supervisor]\ndebounce = 3\n", Path::new("/")).unwrap_err();
        let cause = std::error::Error::source(&err).unwrap().to_string();
        assert!(cause.contains("unknown field `debounce`"), "{cause}");
    }
}

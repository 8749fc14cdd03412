//! One version's process: started from its artifact, watched until it exits,
//! stopped gracefully (SIGTERM, then SIGKILL after a grace period).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hifate_sdk::{ENV_PORT, ENV_SERVICE, ENV_SOCKET, ENV_VERSION};

use crate::data::backend::Endpoint;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::watch;

/// The most recent output lines of a service's processes, all versions,
/// each with a sequence number so that a follower can ask for what is new.
#[derive(Debug, Clone, Default)]
pub struct OutputRing {
    inner: Arc<Mutex<Ring>>,
}

#[derive(Debug, Default)]
struct Ring {
    next_seq: u64,
    lines: VecDeque<(u64, String)>,
}

impl OutputRing {
    const CAPACITY: usize = 2000;

    pub fn push(&self, line: String) {
        if let Ok(mut ring) = self.inner.lock() {
            if ring.lines.len() == Self::CAPACITY {
                ring.lines.pop_front();
            }
            let seq = ring.next_seq;
            ring.next_seq += 1;
            ring.lines.push_back((seq, line));
        }
    }

    /// Up to `limit` of the newest lines with a sequence number above
    /// `after` (all kept lines for `None`), oldest first.
    pub fn since(&self, after: Option<u64>, limit: usize) -> Vec<(u64, String)> {
        match self.inner.lock() {
            Ok(ring) => {
                let newer: Vec<&(u64, String)> = ring
                    .lines
                    .iter()
                    .filter(|(seq, _)| after.is_none_or(|a| *seq > a))
                    .collect();
                newer[newer.len().saturating_sub(limit)..]
                    .iter()
                    .map(|l| (*l).clone())
                    .collect()
            }
            Err(_) => Vec::new(),
        }
    }

    /// The last `n` lines of one version, oldest first.
    pub fn tail_of(&self, service: &str, version: u64, n: usize) -> Vec<String> {
        let prefix = version_prefix(service, version);
        let mine: Vec<String> = self
            .since(None, Self::CAPACITY)
            .into_iter()
            .filter(|(_, l)| l.starts_with(&prefix))
            .map(|(_, l)| l)
            .collect();
        mine[mine.len().saturating_sub(n)..].to_vec()
    }
}

/// What a version's process runs.
#[derive(Debug, Clone, Copy)]
pub enum Launch<'a> {
    /// A built binary.
    Binary(&'a Path),
    /// `run` (program and arguments) in `dir`, a version's snapshot; a
    /// program named with a `/` is found in `dir`, any other on `PATH`.
    Command { dir: &'a Path, run: &'a [String] },
}

/// What to start.
#[derive(Debug, Clone)]
pub struct SpawnSpec<'a> {
    pub service: &'a str,
    pub version: u64,
    pub launch: Launch<'a>,
    /// Where it is to listen (its socket is created by the process).
    pub endpoint: Endpoint,
    pub env: &'a std::collections::BTreeMap<String, String>,
    pub output: OutputRing,
}

/// A running (or exited) version process.
#[derive(Debug)]
pub struct ChildProcess {
    pub service: String,
    pub version: u64,
    pub pid: u32,
    pub endpoint: Endpoint,
    exit: watch::Receiver<Option<ProcessEnd>>,
    stopping: AtomicBool,
    started: std::time::Instant,
}

impl ChildProcess {
    /// Starts the artifact with the child-contract environment.
    pub fn spawn(spec: SpawnSpec<'_>) -> std::io::Result<Arc<ChildProcess>> {
        let artifact = match spec.launch {
            Launch::Binary(path) => path,
            Launch::Command { dir, .. } => dir,
        };
        if !artifact.exists() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("artifact {} is missing", artifact.display()),
            ));
        }
        let mut command = match spec.launch {
            Launch::Binary(path) => tokio::process::Command::new(path),
            Launch::Command { dir, run } => {
                let Some((program, args)) = run.split_first() else {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "run names no program",
                    ));
                };
                let program = if program.contains('/') {
                    dir.join(program)
                } else {
                    PathBuf::from(program)
                };
                let mut command = tokio::process::Command::new(program);
                command.args(args).current_dir(dir);
                command
            }
        };
        // The admin token stays with the supervisor (a child's environment
        // is readable in /proc by its user).
        command
            .env_remove(crate::config::ADMIN_TOKEN_VAR)
            .envs(spec.env);
        match &spec.endpoint {
            Endpoint::Unix(socket) => {
                let _ = std::fs::remove_file(socket);
                command.env(ENV_SOCKET, socket).env_remove(ENV_PORT);
            }
            Endpoint::Tcp(addr) => {
                command
                    .env(ENV_PORT, addr.port().to_string())
                    .env_remove(ENV_SOCKET);
            }
        }
        command
            .env(ENV_SERVICE, spec.service)
            .env(ENV_VERSION, spec.version.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Own process group: a Ctrl-C in the terminal reaches only the
            // supervisor, which then stops its children in order.
            .process_group(0)
            .kill_on_drop(false);
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to
        // SIGTERM the child if the supervisor dies without stopping it.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = command.spawn()?;
        let pid = child.id().unwrap_or(0);
        let prefix = version_prefix(spec.service, spec.version);
        if let Some(out) = child.stdout.take() {
            forward_lines(out, prefix.clone(), spec.output.clone());
        }
        if let Some(err) = child.stderr.take() {
            forward_lines(err, prefix, spec.output.clone());
        }
        let (tx, exit) = watch::channel(None);
        tokio::spawn(async move {
            let status = match child.wait().await {
                Ok(status) => ProcessEnd::from_status(status),
                Err(e) => ProcessEnd::Unknown(format!("could not be waited for: {e}")),
            };
            let _ = tx.send(Some(status));
        });
        Ok(Arc::new(ChildProcess {
            service: spec.service.to_owned(),
            version: spec.version,
            pid,
            endpoint: spec.endpoint,
            exit,
            stopping: AtomicBool::new(false),
            started: std::time::Instant::now(),
        }))
    }

    /// How it exited, if it has.
    pub fn exit_status(&self) -> Option<ProcessEnd> {
        self.exit.borrow().clone()
    }

    /// Waits until the process has exited and returns how.
    pub async fn exited(&self) -> ProcessEnd {
        let mut exit = self.exit.clone();
        let status = match exit.wait_for(|s| s.is_some()).await {
            Ok(status) => status.clone(),
            Err(_) => None,
        };
        status.unwrap_or_else(|| ProcessEnd::Unknown("its watcher went away".into()))
    }

    /// True once [`stop`](Self::stop) was called: an exit is then expected.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// SIGTERM, wait up to `grace`, then SIGKILL. Returns how it exited.
    pub async fn stop(&self, grace: Duration) -> ProcessEnd {
        self.stopping.store(true, Ordering::SeqCst);
        if let Some(status) = self.exit_status() {
            return status;
        }
        self.signal(Signal::SIGTERM);
        match tokio::time::timeout(grace, self.exited()).await {
            Ok(status) => status,
            Err(_) => {
                tracing::warn!(
                    "[{}] version {} did not stop within {} ms of SIGTERM; killing it",
                    self.service,
                    self.version,
                    grace.as_millis()
                );
                self.signal(Signal::SIGKILL);
                self.exited().await
            }
        }
    }

    /// Marks the process as expected to exit and sends SIGKILL, without waiting.
    pub fn kill_now(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.signal(Signal::SIGKILL);
    }

    /// Marks the process as expected to exit and kills it at once.
    pub async fn kill(&self) -> ProcessEnd {
        self.stopping.store(true, Ordering::SeqCst);
        self.signal(Signal::SIGKILL);
        self.exited().await
    }

    fn signal(&self, signal: Signal) {
        // Only signal a process we have not reaped yet: its pid is still ours.
        if self.exit_status().is_none() && self.pid != 0 {
            if let Ok(pid) = i32::try_from(self.pid) {
                // SIGTERM asks the version itself to drain; SIGKILL ends its
                // whole process group, so nothing it started is left behind.
                let target = if signal == Signal::SIGKILL { -pid } else { pid };
                let _ = kill(Pid::from_raw(target), signal);
            }
        }
    }

    /// How long ago the process was started.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        if let Endpoint::Unix(socket) = &self.endpoint {
            let _ = std::fs::remove_file(socket);
        }
    }
}

/// How a version's output lines are labelled: `[bazi_core v3]`.
fn version_prefix(service: &str, version: u64) -> String {
    format!("[{service} v{version}]")
}

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessEnd {
    /// It exited with this status code.
    Exited(i32),
    /// A signal ended it.
    Killed(Signal),
    /// A signal the platform has no name for ended it.
    KilledByNumber(i32),
    /// The supervisor could not wait for it.
    Unknown(String),
}

impl ProcessEnd {
    fn from_status(status: std::process::ExitStatus) -> ProcessEnd {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(code) = status.code() {
            ProcessEnd::Exited(code)
        } else if let Some(signal) = status.signal() {
            Signal::try_from(signal)
                .map(ProcessEnd::Killed)
                .unwrap_or(ProcessEnd::KilledByNumber(signal))
        } else {
            ProcessEnd::Unknown(status.to_string())
        }
    }

    /// True for an exit with status 0.
    pub fn is_clean(&self) -> bool {
        *self == ProcessEnd::Exited(0)
    }
}

impl std::fmt::Display for ProcessEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProcessEnd::Exited(code) => write!(f, "exited with status {code}"),
            ProcessEnd::Killed(signal) => write!(f, "killed by {}", signal.as_str()),
            ProcessEnd::KilledByNumber(signal) => write!(f, "killed by signal {signal}"),
            ProcessEnd::Unknown(why) => write!(f, "ended in an unknown way ({why})"),
        }
    }
}

/// The longest output line kept whole.
const MAX_LINE: usize = 8 * 1024;

/// Copies a child's output, line by line, to the supervisor's log (target
/// `hifate::output`) and the ring. Never stops early: a child whose pipe is
/// not read would block, or die of SIGPIPE, so bytes that are not UTF-8 are
/// replaced.
fn forward_lines<R>(reader: R, prefix: String, ring: OutputRing)
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut reader = BufReader::new(reader);
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            // A line longer than MAX_LINE is passed on in pieces: a child
            // that writes without newlines cannot make the supervisor hold
            // its whole output in memory.
            let mut limited = tokio::io::AsyncReadExt::take(&mut reader, MAX_LINE as u64);
            match limited.read_until(b'\n', &mut buffer).await {
                Ok(0) => return,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buffer);
                    let line = format!("{prefix} {}", line.trim_end_matches(['\n', '\r']));
                    tracing::info!(target: "hifate::output", "{line}");
                    ring.push(line);
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    });
}

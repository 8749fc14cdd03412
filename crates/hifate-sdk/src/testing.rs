//! Running a service binary in a test (feature `testing`).
//!
//! [`TestService`] starts the binary alone, as a person would run it by
//! hand: on a free TCP port of 127.0.0.1 (given in [`crate::ENV_ADDR`]),
//! without a supervisor. [`TestService::start`] returns once the service is
//! ready — `grpc.health.v1` answers `SERVING` for a gRPC service, `GET /health`
//! answers 200 for an HTTP one — and [`RunningService::stop`] sends SIGTERM
//! and asserts a clean exit (status 0) within a timeout, which checks the
//! service's graceful shutdown too.
//!
//! ```no_run
//! # async fn f() {
//! use hifate_sdk::testing::TestService;
//!
//! // In services/<name>/tests/*.rs (the path is known to the test only):
//! // let service = TestService::grpc(env!("CARGO_BIN_EXE_bazi_core"))
//! let service = TestService::grpc("target/debug/bazi_core")
//!     .env("HIFATE_VERSION", "5")
//!     .start()
//!     .await;
//! let channel = service.channel();
//! // … calls over `channel`, or to `service.addr()` …
//! service.stop().await;
//! # }
//! ```
//!
//! These are test helpers: every failure panics with a message that says
//! what happened. A [`RunningService`] dropped without `stop` (a failed
//! test) kills its process.

use std::ffi::OsStr;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::{Child, Command};
use tokio::time::Instant;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use crate::{ENV_ADDR, ENV_PORT, ENV_SERVICE, ENV_SOCKET, ENV_VERSION};

/// Time a service gets to become ready, unless [`TestService::ready_timeout`]
/// says otherwise.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Time a service gets to exit after SIGTERM, unless
/// [`TestService::stop_timeout`] says otherwise.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// How a service says it is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// gRPC: `grpc.health.v1.Health/Check` of `""` answers `SERVING`.
    Grpc,
    /// HTTP: `GET /health` answers 200.
    Http,
}

/// A service binary to run in a test; see the [module docs](self).
#[derive(Debug)]
pub struct TestService {
    name: String,
    command: Command,
    protocol: Protocol,
    ready_timeout: Duration,
    stop_timeout: Duration,
    data_dir: Option<std::path::PathBuf>,
}

impl TestService {
    /// The gRPC service binary at `binary` (in a test of the service's own
    /// package: `env!("CARGO_BIN_EXE_<name>")`).
    pub fn grpc(binary: impl AsRef<OsStr>) -> Self {
        TestService::new(binary.as_ref(), Protocol::Grpc)
    }

    /// The HTTP service binary at `binary`.
    pub fn http(binary: impl AsRef<OsStr>) -> Self {
        TestService::new(binary.as_ref(), Protocol::Http)
    }

    /// The service binary at `binary`, speaking `protocol`. The child
    /// contract's variables of the test's own environment are not passed on.
    pub fn new(binary: &OsStr, protocol: Protocol) -> Self {
        let name = Path::new(binary)
            .file_name()
            .unwrap_or(binary)
            .to_string_lossy()
            .into_owned();
        let mut command = Command::new(binary);
        command
            .env_remove(ENV_SOCKET)
            .env_remove(ENV_PORT)
            .env_remove(ENV_SERVICE)
            .env_remove(ENV_VERSION)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        TestService {
            name,
            command,
            protocol,
            ready_timeout: DEFAULT_READY_TIMEOUT,
            stop_timeout: DEFAULT_STOP_TIMEOUT,
            data_dir: None,
        }
    }

    /// Its data directory ([`crate::ENV_DATA_DIR`]); by default a fresh
    /// temporary one, removed when the [`RunningService`] is dropped (so a
    /// test never writes into the source tree).
    pub fn data_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Sets an environment variable of the service process (e.g.
    /// `HIFATE_VERSION`, or `HIFATE_SERVICE_ADDR_<PEER>` for its peers).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    /// Time the service gets to become ready ([`DEFAULT_READY_TIMEOUT`]).
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = timeout;
        self
    }

    /// Time the service gets to exit after SIGTERM ([`DEFAULT_STOP_TIMEOUT`]).
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Starts the service on a free port of 127.0.0.1 and waits until it is
    /// ready.
    ///
    /// # Panics
    ///
    /// If the binary cannot be started, exits before it is ready, or is not
    /// ready within the ready timeout.
    pub async fn start(mut self) -> RunningService {
        let addr = free_addr();
        self.command.env(ENV_ADDR, addr.to_string());
        let temporary = match &self.data_dir {
            Some(dir) => {
                self.command.env(crate::ENV_DATA_DIR, dir);
                None
            }
            None => {
                let dir = tempfile::tempdir().expect("a temporary data directory");
                self.command.env(crate::ENV_DATA_DIR, dir.path());
                Some(dir)
            }
        };
        let child = self
            .command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.name));
        let mut running = RunningService {
            name: self.name,
            child,
            addr,
            stop_timeout: self.stop_timeout,
            _data_dir: temporary,
        };
        let deadline = Instant::now() + self.ready_timeout;
        loop {
            let last = match self.protocol {
                Protocol::Grpc => grpc_ready(addr).await,
                Protocol::Http => http_ready(addr).await,
            };
            let Err(last) = last else {
                return running;
            };
            if let Some(status) = running.child.try_wait().expect("poll the service process") {
                panic!(
                    "{} exited before it was ready ({status}); last check: {last}",
                    running.name
                );
            }
            if Instant::now() >= deadline {
                panic!(
                    "{} was not ready on {addr} within {:?}; last check: {last}",
                    running.name, self.ready_timeout
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A service process started by [`TestService::start`], ready.
#[derive(Debug)]
pub struct RunningService {
    name: String,
    child: Child,
    addr: SocketAddr,
    stop_timeout: Duration,
    /// The temporary data directory, when the test gave none.
    _data_dir: Option<tempfile::TempDir>,
}

impl RunningService {
    /// The address it listens on (`127.0.0.1:<port>`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child
            .id()
            .expect("the service process has not been reaped")
    }

    /// A lazily connecting gRPC channel to it.
    pub fn channel(&self) -> Channel {
        Endpoint::from_shared(self.url())
            .expect("a socket address is a valid URI")
            .connect_lazy()
    }

    /// Sends SIGTERM and waits for the process to exit; returns its status.
    ///
    /// # Panics
    ///
    /// If it does not exit within the stop timeout (it is then killed).
    pub async fn terminate(mut self) -> ExitStatus {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.pid()).expect("pid fits in i32"));
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM)
            .unwrap_or_else(|e| panic!("cannot send SIGTERM to {}: {e}", self.name));
        match tokio::time::timeout(self.stop_timeout, self.child.wait()).await {
            Ok(status) => status.unwrap_or_else(|e| panic!("cannot wait for {}: {e}", self.name)),
            Err(_) => panic!(
                "{} did not exit within {:?} of SIGTERM",
                self.name, self.stop_timeout
            ),
        }
    }

    /// Sends SIGTERM and asserts a clean exit: status 0 within the stop
    /// timeout.
    ///
    /// # Panics
    ///
    /// If it does not exit in time, or exits with another status.
    pub async fn stop(self) {
        let name = self.name.clone();
        let status = self.terminate().await;
        assert!(
            status.success(),
            "{name} exited with {status} after SIGTERM"
        );
    }
}

/// A free TCP address on 127.0.0.1 (bound, then released for the service).
fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind a free port on 127.0.0.1")
}

/// `Ok` once `grpc.health.v1` at `addr` answers `SERVING` for `""`.
async fn grpc_ready(addr: SocketAddr) -> Result<(), String> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .map_err(|e| e.to_string())?
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(2))
        .connect()
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let answer = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map_err(|status| format!("health check: {status}"))?
        .into_inner();
    if answer.status == ServingStatus::Serving as i32 {
        Ok(())
    } else {
        Err(format!("health status {}", answer.status))
    }
}

/// `Ok` once `GET /health` at `addr` answers 200.
async fn http_ready(addr: SocketAddr) -> Result<(), String> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let request = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    let answer = tokio::time::timeout(Duration::from_secs(2), exchange)
        .await
        .map_err(|_| "GET /health: no answer within 2 s".to_owned())?
        .map_err(|e| format!("GET /health: {e}"))?;
    let answer = String::from_utf8_lossy(&answer);
    let status_line = answer.lines().next().unwrap_or_default();
    if status_line.starts_with("HTTP/1.1 200 ") || status_line == "HTTP/1.1 200" {
        Ok(())
    } else {
        Err(format!("GET /health: {status_line:?}"))
    }
}

/// The service names the gRPC server at `channel` lists through reflection,
/// sorted: a service's tests assert it lists its own API, health and
/// reflection, and nothing else.
pub async fn reflected_services(channel: Channel) -> Vec<String> {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;

    let mut client = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection stream")
        .into_inner();
    let answer = answers
        .message()
        .await
        .expect("reflection answer")
        .expect("one answer");
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("not a service list: {answer:?}");
    };
    let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    names.sort_unstable();
    names
}

/// Serves `routes` in this process on a free port of 127.0.0.1 (for tests
/// that call a service's implementation directly, without its binary) and
/// returns the address. The server runs until the test's runtime ends.
pub async fn serve_in_process(routes: tonic::service::Routes) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_routes(routes)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    addr
}

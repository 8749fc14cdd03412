//! The service side of the hifate child contract, for Rust services.
//!
//! A service binary builds its tonic [`Routes`] and hands them to
//! [`Service::serve`]. The SDK then:
//!
//! * listens where the supervisor says: the private Unix socket named by
//!   [`ENV_SOCKET`], or — when run by hand without it — the service's own TCP
//!   port (overridable with [`ENV_ADDR`]), so a service binary is usable alone;
//! * registers `grpc.health.v1.Health` (reporting `SERVING` once listening) and
//!   gRPC server reflection;
//! * serves HTTP applications the same way ([`Service::serve_http`]), with a
//!   `GET /health` ready check;
//! * on SIGTERM or Ctrl-C ([`shutdown_signal`]) reports `NOT_SERVING`, stops
//!   accepting connections, lets in-flight calls finish, and returns.
//!
//! It also gives a service what it needs to call other services
//! ([`peer`], [`Peer`]: a channel through the supervisor's front port) and to
//! answer bad input without echoing it at length ([`invalid_argument`]).
//! With the `testing` feature, [`testing`] runs a service binary in a test.
//!
//! The contract is plain environment variables, so a service in any language
//! can follow it; see `ARCHITECTURE.md` at the repository root.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::serve::ListenerExt as _;
use tokio::net::UnixListener;
use tokio_stream::wrappers::{TcpListenerStream, UnixListenerStream};
use tokio_stream::{Stream, StreamExt as _};
use tonic::service::Routes;
use tonic::transport::Server;
use tonic_health::ServingStatus;

mod peer;
mod status;
#[cfg(feature = "testing")]
pub mod testing;
pub mod token;

pub use peer::{peer, Peer, PeerError, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT};
pub use status::{cap_status_message, invalid_argument, status, MAX_STATUS_MESSAGE_BYTES};

// The child contract: the supervisor (crate `hifate`) sets these, the SDK
// reads them. Both sides use the constants below.

/// Path of the Unix socket the supervisor wants the service to listen on.
pub const ENV_SOCKET: &str = "HIFATE_SOCKET";
/// The service's name as the supervisor knows it.
pub const ENV_SERVICE: &str = "HIFATE_SERVICE";
/// The loopback TCP port to listen on instead of a socket, for a service
/// configured with `listen = "tcp"` (runtimes without Unix sockets).
pub const ENV_PORT: &str = "HIFATE_PORT";
/// The version number the supervisor gave this process.
pub const ENV_VERSION: &str = "HIFATE_VERSION";
/// TCP address to listen on when run without a supervisor (default
/// `127.0.0.1:<default port>`).
pub const ENV_ADDR: &str = "HIFATE_ADDR";
/// The service's data directory: it outlives versions, and during a swap the
/// old and the new version use it at once (see [`data_dir`]).
pub const ENV_DATA_DIR: &str = "HIFATE_DATA_DIR";

/// Where the service keeps its data: [`ENV_DATA_DIR`] (set by the
/// supervisor to `<state_dir>/data/<service>/`, or to the directory named by
/// the service's `data` setting when services share one), or `data/<service>`
/// under the working directory when run by hand (`service` is that
/// directory's name: services sharing a database pass the same one).
/// Created if missing.
///
/// Two versions of the service run against it at once during a swap: open
/// databases so that two processes can (SQLite: WAL and a busy timeout), and
/// keep schema changes backward-compatible with the version still serving.
pub fn data_dir(service: &str) -> std::io::Result<PathBuf> {
    let dir = match std::env::var_os(ENV_DATA_DIR) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from("data").join(service),
    };
    std::fs::create_dir_all(&dir).map_err(|error| {
        std::io::Error::new(
            error.kind(),
            format!(
                "cannot create the data directory {}: {error}",
                dir.display()
            ),
        )
    })?;
    Ok(dir)
}

/// Why a service could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on unix socket {path}: {source}")]
    BindUnix {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source} (set {ENV_ADDR} to use another address)")]
    BindTcp {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{ENV_ADDR}={value:?} is not a socket address like 127.0.0.1:9001")]
    BadAddr { value: String },
    #[error("{ENV_PORT}={value:?} is not a port number")]
    BadPort { value: String },
    #[error("cannot build the reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("HTTP server failed: {0}")]
    Http(std::io::Error),
}

/// Who this process is, as told by the supervisor (or defaults when run alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Service name ([`ENV_SERVICE`], else the name given to [`Service::new`]).
    pub service: String,
    /// Version number ([`ENV_VERSION`]), 0 when run without a supervisor.
    pub version: u64,
}

impl Identity {
    /// Reads the identity from the environment, falling back to `default_name`.
    pub fn from_env(default_name: &str) -> Self {
        let service = std::env::var(ENV_SERVICE).unwrap_or_else(|_| default_name.to_owned());
        let version = std::env::var(ENV_VERSION)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Identity { service, version }
    }
}

/// A gRPC service ready to be served under the child contract.
pub struct Service {
    name: String,
    default_port: u16,
    descriptor_sets: Vec<&'static [u8]>,
}

impl Service {
    /// `name` is the service's name, `default_port` the TCP port used when the
    /// binary runs without a supervisor.
    pub fn new(name: impl Into<String>, default_port: u16) -> Self {
        Service {
            name: name.into(),
            default_port,
            descriptor_sets: Vec::new(),
        }
    }

    /// Adds an encoded `FileDescriptorSet` to serve through gRPC reflection.
    pub fn reflect(mut self, descriptor_set: &'static [u8]) -> Self {
        self.descriptor_sets.push(descriptor_set);
        self
    }

    /// This process's identity.
    pub fn identity(&self) -> Identity {
        Identity::from_env(&self.name)
    }

    /// Serves `routes` plus health and reflection until SIGTERM or Ctrl-C,
    /// then drains in-flight calls and returns.
    pub async fn serve(self, routes: Routes) -> Result<(), ServeError> {
        let identity = self.identity();
        let (health, health_service) = tonic_health::server::health_reporter();
        let mut reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
        for set in &self.descriptor_sets {
            reflection = reflection.register_encoded_file_descriptor_set(set);
        }
        let reflection = reflection.build_v1()?;
        let routes = routes.add_service(health_service).add_service(reflection);
        let router = Server::builder().add_routes(routes);

        let shutdown = {
            let health = health.clone();
            async move {
                shutdown_signal().await;
                health
                    .set_service_status("", ServingStatus::NotServing)
                    .await;
                tracing::info!("shutdown requested; finishing in-flight calls");
            }
        };
        health.set_service_status("", ServingStatus::Serving).await;
        match self.listen().await? {
            Listener::Unix(listener, path) => {
                tracing::info!(service = %identity.service, version = identity.version, socket = %path.display(), "serving");
                let result = router
                    .serve_with_incoming_shutdown(UnixListenerStream::new(listener), shutdown)
                    .await;
                let _ = std::fs::remove_file(&path);
                result?;
            }
            Listener::Tcp(listener, addr) => {
                tracing::info!(service = %identity.service, %addr, "serving on TCP (no supervisor)");
                router
                    .serve_with_incoming_shutdown(nodelay_incoming(listener), shutdown)
                    .await?;
            }
        }
        Ok(())
    }

    /// Serves an HTTP application (HTTP/1.1 and HTTP/2) under the same
    /// contract. `GET /health` is added: 200 while serving, 503 once
    /// shutdown has begun (the supervisor's ready check for HTTP services).
    pub async fn serve_http(self, app: axum::Router) -> Result<(), ServeError> {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;

        let identity = self.identity();
        let draining = Arc::new(AtomicBool::new(false));
        let health = {
            let draining = draining.clone();
            axum::routing::get(move || {
                let draining = draining.load(Ordering::SeqCst);
                async move {
                    if draining {
                        (axum::http::StatusCode::SERVICE_UNAVAILABLE, "draining")
                    } else {
                        (axum::http::StatusCode::OK, "ok")
                    }
                }
            })
        };
        let app = app.route("/health", health);
        let shutdown = async move {
            shutdown_signal().await;
            draining.store(true, Ordering::SeqCst);
            tracing::info!("shutdown requested; finishing in-flight requests");
        };
        match self.listen().await? {
            Listener::Unix(listener, path) => {
                tracing::info!(service = %identity.service, version = identity.version, socket = %path.display(), "serving HTTP");
                let result = axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown)
                    .await;
                let _ = std::fs::remove_file(&path);
                result.map_err(ServeError::Http)?;
            }
            Listener::Tcp(listener, addr) => {
                tracing::info!(service = %identity.service, %addr, "serving HTTP on TCP (no supervisor)");
                axum::serve(listener.tap_io(set_nodelay), app)
                    .with_graceful_shutdown(shutdown)
                    .await
                    .map_err(ServeError::Http)?;
            }
        }
        Ok(())
    }

    /// Binds where the supervisor said, or the service's own TCP port.
    async fn listen(&self) -> Result<Listener, ServeError> {
        if let Some(path) = std::env::var_os(ENV_SOCKET).map(PathBuf::from) {
            let _ = std::fs::remove_file(&path);
            let listener = UnixListener::bind(&path).map_err(|source| ServeError::BindUnix {
                path: path.clone(),
                source,
            })?;
            return Ok(Listener::Unix(listener, path));
        }
        let addr = match (std::env::var(ENV_PORT), std::env::var(ENV_ADDR)) {
            (Ok(port), _) => match port.parse::<u16>() {
                Ok(port) => SocketAddr::from(([127, 0, 0, 1], port)),
                Err(_) => return Err(ServeError::BadPort { value: port }),
            },
            (Err(_), Ok(value)) => value.parse().map_err(|_| ServeError::BadAddr { value })?,
            (Err(_), Err(_)) => SocketAddr::from(([127, 0, 0, 1], self.default_port)),
        };
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::BindTcp { addr, source })?;
        Ok(Listener::Tcp(listener, addr))
    }
}

enum Listener {
    Unix(UnixListener, PathBuf),
    Tcp(tokio::net::TcpListener, SocketAddr),
}

/// The connections accepted on `listener`, each with `TCP_NODELAY` set: a
/// gRPC or HTTP/2 exchange is many small writes, and Nagle's algorithm holding
/// them back costs a service run by hand a large part of its throughput.
fn nodelay_incoming(
    listener: tokio::net::TcpListener,
) -> impl Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    TcpListenerStream::new(listener).map(|accepted| {
        accepted.map(|mut stream| {
            set_nodelay(&mut stream);
            stream
        })
    })
}

/// Sets `TCP_NODELAY` on an accepted connection (a failure is only logged:
/// the connection still works, just slower).
fn set_nodelay(stream: &mut tokio::net::TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY on an accepted connection");
    }
}

/// The front address of another supervised service, for calling it: the
/// supervisor passes every service's address as `HIFATE_SERVICE_ADDR_<NAME>`
/// (name upper-cased); without a supervisor, `default` is used.
pub fn service_addr(service: &str, default: &str) -> String {
    std::env::var(service_addr_var(service)).unwrap_or_else(|_| default.to_owned())
}

/// `HIFATE_SERVICE_ADDR_BAZI_CORE` for `bazi_core`.
pub fn service_addr_var(service: &str) -> String {
    format!(
        "HIFATE_SERVICE_ADDR_{}",
        service.to_ascii_uppercase().replace('-', "_")
    )
}

/// Installs a compact `tracing` subscriber honouring `RUST_LOG` (default
/// `info`). The supervisor prefixes each line with the service and version.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .without_time()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Waits for the process to be asked to stop: SIGTERM (what the supervisor
/// sends, and `kill`'s default) or SIGINT (Ctrl-C). Both [`Service::serve`]
/// and [`Service::serve_http`] stop on it; a program with its own server
/// loop (the supervisor itself) waits on it the same way.
///
/// If the SIGTERM handler cannot be installed, a warning is logged and only
/// Ctrl-C ends the wait. Must be called within a Tokio runtime.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(error) => {
            tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the service");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_tcp_connections_have_nodelay() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut incoming = Box::pin(nodelay_incoming(listener));
        let _client = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let accepted = incoming
            .next()
            .await
            .expect("a connection")
            .expect("accepted");
        assert!(accepted.nodelay().expect("read TCP_NODELAY"));

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut listener = listener.tap_io(set_nodelay);
        let _client = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (accepted, _) = axum::serve::Listener::accept(&mut listener).await;
        assert!(accepted.nodelay().expect("read TCP_NODELAY"));
    }
}

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
//! * on SIGTERM or Ctrl-C reports `NOT_SERVING`, stops accepting connections,
//!   lets in-flight calls finish, and returns.
//!
//! The contract is plain environment variables, so a service in any language
//! can follow it; see `ARCHITECTURE.md` at the repository root.

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::net::UnixListener;
use tokio_stream::wrappers::{TcpListenerStream, UnixListenerStream};
use tonic::service::Routes;
use tonic::transport::Server;
use tonic_health::ServingStatus;

// The child contract: the supervisor (crate `hifate`) sets these, the SDK
// reads them. Both sides use the constants below.

/// Path of the Unix socket the supervisor wants the service to listen on.
pub const ENV_SOCKET: &str = "HIFATE_SOCKET";
/// The service's name as the supervisor knows it.
pub const ENV_SERVICE: &str = "HIFATE_SERVICE";
/// The version number the supervisor gave this process.
pub const ENV_VERSION: &str = "HIFATE_VERSION";
/// TCP address to listen on when run without a supervisor (default
/// `127.0.0.1:<default port>`).
pub const ENV_ADDR: &str = "HIFATE_ADDR";

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
                    .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
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
                axum::serve(listener, app)
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
        let addr = match std::env::var(ENV_ADDR) {
            Ok(value) => value.parse().map_err(|_| ServeError::BadAddr { value })?,
            Err(_) => SocketAddr::from(([127, 0, 0, 1], self.default_port)),
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

async fn shutdown_signal() {
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

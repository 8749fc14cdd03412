//! The supervisor's client side of one version: an HTTP/2 connection over the
//! version's private Unix socket, its ready check, and its in-flight count.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response};
use http_body_util::{BodyExt as _, Either, Full};
use hyper::body::Incoming;
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use prost::Message as _;
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::Notify;

use super::classify::Class;
use super::counters::VersionCounters;
use super::{workers, ServiceKind};

/// Where a version listens: its private Unix socket, or — for a runtime
/// that cannot listen on one — a loopback TCP port the supervisor picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(path) => write!(f, "{}", path.display()),
            Endpoint::Tcp(addr) => write!(f, "{addr}"),
        }
    }
}

/// Why a request could not be passed to a version.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("cannot connect to {endpoint}: {source}")]
    Connect {
        endpoint: Endpoint,
        source: std::io::Error,
    },
    #[error("HTTP/2 handshake with {endpoint} failed: {source}")]
    Handshake {
        endpoint: Endpoint,
        source: hyper::Error,
    },
    #[error("request failed: {0}")]
    Request(#[from] hyper::Error),
}

/// A request body forwarded to a version: the client's own streaming body,
/// or one the supervisor made itself (ready checks).
pub type ForwardBody = Either<Incoming, Full<Bytes>>;

/// The largest header (and trailer) list the proxy takes from a version.
pub const MAX_HEADER_LIST: u32 = 1 << 20;

/// One version as the front proxy sees it.
#[derive(Debug)]
pub struct Backend {
    pub service: String,
    pub version: u64,
    /// `x-hifate-version` value, made once.
    pub version_header: HeaderValue,
    endpoint: Endpoint,
    /// One connection per proxy worker thread (and one for everything else),
    /// so a request never crosses threads on its way through the proxy.
    connections: Box<[Connection]>,
    in_flight: AtomicU64,
    idle: Notify,
    /// This version's request counters, for metrics.
    pub counters: Arc<VersionCounters>,
}

impl Backend {
    pub fn new(
        service: &str,
        version: u64,
        endpoint: Endpoint,
        counters: Arc<VersionCounters>,
    ) -> Arc<Backend> {
        Arc::new(Backend {
            service: service.to_owned(),
            version,
            version_header: HeaderValue::from(version),
            endpoint,
            connections: (0..=workers::count())
                .map(|_| Connection::default())
                .collect(),
            in_flight: AtomicU64::new(0),
            idle: Notify::new(),
            counters,
        })
    }

    /// Requests currently being served by this version.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Counts a request in; the guard counts it out when dropped.
    pub fn begin(self: Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.counters.in_flight.fetch_add(1, Ordering::Relaxed);
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        InFlight {
            backend: self,
            counted: AtomicBool::new(false),
        }
    }

    /// Sends one request over the version's connection (connecting if needed).
    pub async fn send(
        &self,
        request: Request<ForwardBody>,
    ) -> Result<Response<Incoming>, BackendError> {
        let mut sender = self.sender().await?;
        sender.ready().await?;
        Ok(sender.send_request(request).await?)
    }

    /// Like [`send`](Self::send), but hands the request back when it never
    /// left (no connection, or the connection closed before sending), so the
    /// caller may try another version.
    pub async fn send_or_return(
        &self,
        request: Request<ForwardBody>,
    ) -> Result<Response<Incoming>, (BackendError, Option<Request<ForwardBody>>)> {
        let mut sender = match self.sender().await {
            Ok(sender) => sender,
            Err(error) => return Err((error, Some(request))),
        };
        if let Err(error) = sender.ready().await {
            return Err((error.into(), Some(request)));
        }
        sender.try_send_request(request).await.map_err(|mut e| {
            let unsent = e.take_message();
            (BackendError::Request(e.into_error()), unsent)
        })
    }

    /// Opens every proxy worker's connection to this version (before the
    /// route switches to it), so that no request after the switch waits for
    /// a connection to be set up. Bounded by `limit`; a worker that has not
    /// connected by then connects on its first request instead.
    pub async fn warm(self: &Arc<Self>, limit: Duration) {
        let tasks = workers::spawn_on_each(|| {
            let backend = self.clone();
            async move { backend.sender().await.map(|_| ()) }
        });
        let _ = tokio::time::timeout(limit, async {
            for task in tasks {
                let _ = task.await;
            }
        })
        .await;
    }

    /// This thread's connection.
    fn connection(&self) -> &Connection {
        let index = workers::current().unwrap_or(self.connections.len() - 1);
        &self.connections[index]
    }

    async fn sender(&self) -> Result<SendRequest<ForwardBody>, BackendError> {
        let connection = self.connection();
        if let Some(sender) = connection.live_sender() {
            return Ok(sender);
        }
        let _connecting = connection.connecting.lock().await;
        if let Some(sender) = connection.live_sender() {
            return Ok(sender);
        }
        let connect_error = |source| BackendError::Connect {
            endpoint: self.endpoint.clone(),
            source,
        };
        let sender = match &self.endpoint {
            Endpoint::Unix(path) => {
                let stream = UnixStream::connect(path).await.map_err(connect_error)?;
                self.handshake(stream).await?
            }
            Endpoint::Tcp(addr) => {
                let stream = TcpStream::connect(addr).await.map_err(connect_error)?;
                stream.set_nodelay(true).map_err(connect_error)?;
                self.handshake(stream).await?
            }
        };
        if let Ok(mut slot) = connection.sender.lock() {
            *slot = Some(sender.clone());
        }
        Ok(sender)
    }

    /// An HTTP/2 connection over `stream` (prior knowledge, as gRPC and the
    /// SDK's servers speak it), its driver running on this thread's runtime.
    async fn handshake<S>(&self, stream: S) -> Result<SendRequest<ForwardBody>, BackendError>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let (sender, driver) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
            .initial_stream_window_size(1 << 20)
            .initial_connection_window_size(4 << 20)
            .adaptive_window(false)
            // hyper's default (16 KiB) is below what a service may send in
            // its trailers; an answer over the limit would turn into an
            // outage-looking UNAVAILABLE instead of the service's own status.
            .max_header_list_size(MAX_HEADER_LIST)
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|source| BackendError::Handshake {
                endpoint: self.endpoint.clone(),
                source,
            })?;
        tokio::spawn(async move {
            if let Err(error) = driver.await {
                tracing::debug!(%error, "connection to a version ended");
            }
        });
        Ok(sender)
    }

    /// Waits until nobody but the caller holds this backend: the route no
    /// longer points at it and every request given to it has finished.
    /// Returns false if `timeout` passed first.
    pub async fn drained(self: &Arc<Self>, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.idle.notified();
            if Arc::strong_count(self) == 1 && self.in_flight() == 0 {
                return true;
            }
            // The guard notifies before its Arc is released, so re-check on a
            // short tick as well as on every notification.
            let tick = tokio::time::sleep(Duration::from_millis(5));
            tokio::select! {
                _ = notified => {}
                _ = tick => {}
                _ = tokio::time::sleep_until(deadline) => return false,
            }
        }
    }

    /// One ready check: grpc.health.v1 `SERVING`, or `GET /health` → 200,
    /// answered whole (headers and body) within `limit`. The error says what
    /// was wrong, for the status of a failed start or a missed health check.
    pub async fn probe(&self, kind: ServiceKind, limit: Duration) -> Result<(), String> {
        tokio::time::timeout(limit, self.probe_once(kind))
            .await
            .map_err(|_| format!("no answer within {} ms", limit.as_millis()))?
    }

    async fn probe_once(&self, kind: ServiceKind) -> Result<(), String> {
        let request = match kind {
            ServiceKind::Grpc => Request::post("http://localhost/grpc.health.v1.Health/Check")
                .header("content-type", "application/grpc")
                .header("te", "trailers")
                // An empty HealthCheckRequest in one uncompressed gRPC frame.
                .body(Either::Right(Full::new(Bytes::from_static(&[0; 5])))),
            ServiceKind::Http => {
                Request::get("http://localhost/health").body(Either::Right(Full::new(Bytes::new())))
            }
        }
        .map_err(|e| e.to_string())?;
        let response = self.send(request).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let collected = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("ready check answered HTTP {status}"));
        }
        if kind == ServiceKind::Http {
            return Ok(());
        }
        let body = collected.to_bytes();
        let message = body
            .get(5..)
            .ok_or_else(|| "health check answered no message".to_owned())?;
        let reply = tonic_health::pb::HealthCheckResponse::decode(message)
            .map_err(|e| format!("health check answer is not a HealthCheckResponse: {e}"))?;
        match reply.status() {
            tonic_health::pb::health_check_response::ServingStatus::Serving => Ok(()),
            other => Err(format!("health status {}", other.as_str_name())),
        }
    }
}

/// One HTTP/2 connection to a version, opened on first use.
#[derive(Debug, Default)]
struct Connection {
    sender: Mutex<Option<SendRequest<ForwardBody>>>,
    connecting: tokio::sync::Mutex<()>,
}

impl Connection {
    fn live_sender(&self) -> Option<SendRequest<ForwardBody>> {
        let slot = self.sender.lock().ok()?;
        slot.as_ref().filter(|s| !s.is_closed()).cloned()
    }
}

/// A request in flight on one version; counts it out when dropped.
#[derive(Debug)]
pub struct InFlight {
    backend: Arc<Backend>,
    /// A request is classified once, by the first part of its answer that
    /// decides (a head, trailers, or a broken body).
    counted: AtomicBool,
}

impl InFlight {
    pub fn backend(&self) -> &Arc<Backend> {
        &self.backend
    }

    /// Counts how this request ended; later calls are ignored.
    pub fn classify(&self, class: Class) {
        if !self.counted.swap(true, Ordering::Relaxed) {
            self.backend.counters.count(class);
        }
    }

    /// The request never reached this version (it will be tried again):
    /// it is not counted here at all.
    pub fn unsent(self) {
        self.backend
            .counters
            .requests
            .fetch_sub(1, Ordering::Relaxed);
        self.counted.store(true, Ordering::Relaxed);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.backend
            .counters
            .in_flight
            .fetch_sub(1, Ordering::Relaxed);
        if self.backend.in_flight.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.backend.idle.notify_waiters();
        }
    }
}

//! The supervisor's client side of one version: an HTTP/2 connection over the
//! version's private Unix socket, its ready check, and its in-flight count.

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderValue, Request, Response};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use prost::Message as _;
use tokio::net::UnixStream;
use tokio::sync::Notify;

use crate::child::ChildProcess;
use crate::config::ServiceKind;
use crate::metrics::VersionCounters;

/// Why a request could not be passed to a version.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("cannot connect to {socket}: {source}")]
    Connect {
        socket: PathBuf,
        source: std::io::Error,
    },
    #[error("HTTP/2 handshake with {socket} failed: {source}")]
    Handshake {
        socket: PathBuf,
        source: hyper::Error,
    },
    #[error("request failed: {0}")]
    Request(#[from] hyper::Error),
}

/// Why a new version did not become ready.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("process {0} before it was ready")]
    Exited(String),
    #[error("not ready within {timeout_ms} ms (last check: {last})")]
    Timeout { timeout_ms: u128, last: String },
}

/// A request body forwarded to a version: the client's own streaming body,
/// or one the supervisor made itself (ready checks).
#[derive(Debug)]
pub enum ForwardBody {
    Incoming(Incoming),
    Full(Full<Bytes>),
}

impl Body for ForwardBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            ForwardBody::Incoming(body) => Pin::new(body).poll_frame(cx),
            ForwardBody::Full(body) => match Pin::new(body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => Poll::Ready(Some(Ok(frame))),
                Poll::Ready(Some(Err(never))) => match never {},
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ForwardBody::Incoming(body) => body.is_end_stream(),
            ForwardBody::Full(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ForwardBody::Incoming(body) => body.size_hint(),
            ForwardBody::Full(body) => body.size_hint(),
        }
    }
}

/// One version as the front proxy sees it.
#[derive(Debug)]
pub struct Backend {
    pub service: String,
    pub version: u64,
    /// `x-hifate-version` value, made once.
    pub version_header: HeaderValue,
    socket: PathBuf,
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
        socket: PathBuf,
        counters: Arc<VersionCounters>,
    ) -> Arc<Backend> {
        Arc::new(Backend {
            service: service.to_owned(),
            version,
            version_header: HeaderValue::from(version),
            socket,
            connections: (0..=crate::proxy::worker_count())
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
        InFlight { backend: self }
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

    /// Opens this thread's connection now (it is otherwise opened by the
    /// first request sent from this thread).
    pub async fn connect_here(&self) -> Result<(), BackendError> {
        self.sender().await.map(|_| ())
    }

    /// This thread's connection.
    fn connection(&self) -> &Connection {
        let index = crate::proxy::current_worker().min(self.connections.len() - 1);
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
        let stream =
            UnixStream::connect(&self.socket)
                .await
                .map_err(|source| BackendError::Connect {
                    socket: self.socket.clone(),
                    source,
                })?;
        let (sender, driver) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
            .initial_stream_window_size(1 << 20)
            .initial_connection_window_size(4 << 20)
            .adaptive_window(false)
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|source| BackendError::Handshake {
                socket: self.socket.clone(),
                source,
            })?;
        tokio::spawn(async move {
            if let Err(error) = driver.await {
                tracing::debug!(%error, "connection to a version ended");
            }
        });
        if let Ok(mut slot) = connection.sender.lock() {
            *slot = Some(sender.clone());
        }
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

    /// Polls `child` until it answers its ready check, exits, or `timeout` passes.
    pub async fn wait_ready(
        &self,
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
            if self.socket.exists() {
                match self.check(kind).await {
                    Ok(()) => return Ok(()),
                    Err(reason) => last = reason,
                }
            } else {
                last = format!("socket {} not created yet", self.socket.display());
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

    /// One ready check: grpc.health.v1 `SERVING`, or `GET /health` → 200.
    async fn check(&self, kind: ServiceKind) -> Result<(), String> {
        let request = match kind {
            ServiceKind::Grpc => Request::post("http://localhost/grpc.health.v1.Health/Check")
                .header("content-type", "application/grpc")
                .header("te", "trailers")
                // An empty HealthCheckRequest in one uncompressed gRPC frame.
                .body(ForwardBody::Full(Full::new(Bytes::from_static(&[0; 5])))),
            ServiceKind::Http => Request::get("http://localhost/health")
                .body(ForwardBody::Full(Full::new(Bytes::new()))),
        }
        .map_err(|e| e.to_string())?;
        let response = tokio::time::timeout(Duration::from_secs(2), self.send(request))
            .await
            .map_err(|_| "ready check took over 2 s".to_owned())?
            .map_err(|e| e.to_string())?;
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
}

impl InFlight {
    pub fn backend(&self) -> &Arc<Backend> {
        &self.backend
    }

    /// Counts this request as failed (error status or 5xx).
    pub fn failed(&self) {
        self.backend.counters.errors.fetch_add(1, Ordering::Relaxed);
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

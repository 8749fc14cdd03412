//! A public port (the "DynamicServicer"): accepts client connections, hands
//! each to a proxy worker, and serves its requests.
//!
//! What a port serves is decided by whoever wires the system together: a
//! service's route, a local HTTP application (the admin API), or both, split
//! by path (the main port). This module knows none of them by name.
//!
//! Connections are bounded: at most `max_connections` per port; a
//! connection must send its first bytes (and HTTP/1 its headers) within
//! [`FIRST_BYTES_TIMEOUT`]; one with no request in progress for
//! `idle_timeout` is closed; HTTP/2 peers are pinged so dead ones are
//! noticed. A client that opens connections and sends nothing cannot take
//! the port, or the process's file descriptors, away from everyone else.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::forward::{forward, ProxyBody};
use super::route::Route;
use super::workers;

/// A connection must send its first bytes, and an HTTP/1 request its whole
/// head, within this.
pub const FIRST_BYTES_TIMEOUT: Duration = Duration::from_secs(10);

/// HTTP/2 keep-alive: ping a connection quiet for this long, and close it
/// if the ping is not answered within as long again.
const PING_INTERVAL: Duration = Duration::from_secs(30);

/// On the main port, connections past the cap still reach the admin API,
/// up to this many (so an operator can see and act while the main service's
/// clients hold every slot).
const ADMIN_OVERFLOW: usize = 16;

/// A response body from either a version (through the proxy) or the local
/// application.
pub type FrontBody = Either<ProxyBody, axum::body::Body>;

/// What one public port serves.
#[derive(Clone)]
pub enum Front {
    /// Every request goes to a service's current version.
    Route(Arc<Route>),
    /// Every request goes to an application inside this process.
    Local(axum::Router),
    /// Paths that `is_local` accepts go to the local application, the rest
    /// to the service's current version.
    Split {
        route: Arc<Route>,
        local: axum::Router,
        is_local: fn(&str) -> bool,
    },
}

/// How many connections a port holds, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    /// `None`: idle connections stay open.
    pub idle_timeout: Option<Duration>,
}

/// What an admitted connection may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    Everything,
    /// Past the cap, on a port with a local application: local paths only.
    LocalOnly,
}

/// One connection's slot on its port (given back when the connection ends).
struct Admission {
    reach: Reach,
    _slot: OwnedSemaphorePermit,
}

/// Accepts connections on `listener` forever and hands each to a proxy
/// worker thread, which serves it through `front`.
pub async fn serve(listener: TcpListener, front: Front, limits: ConnectionLimits) {
    let front = Arc::new(front);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let overflow = Arc::new(Semaphore::new(ADMIN_OVERFLOW));
    let mut last_warning: Option<Instant> = None;
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors, most likely: wait for some to free up.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let admission = match slots.clone().try_acquire_owned() {
            Ok(slot) => Admission {
                reach: Reach::Everything,
                _slot: slot,
            },
            Err(_) => {
                let local = match &*front {
                    Front::Split { .. } | Front::Local(_) => {
                        overflow.clone().try_acquire_owned().ok()
                    }
                    Front::Route(_) => None,
                };
                if last_warning.is_none_or(|at| at.elapsed() > Duration::from_secs(10)) {
                    last_warning = Some(Instant::now());
                    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
                    tracing::warn!(
                        "port {port}: {} client connections are open, the limit (max_connections in hifate.toml); {} new ones (latest from {peer})",
                        limits.max_connections,
                        if local.is_some() { "serving only the admin API on" } else { "closing" }
                    );
                }
                match local {
                    Some(slot) => Admission {
                        reach: Reach::LocalOnly,
                        _slot: slot,
                    },
                    // The client sees a closed connection, never a wrong answer.
                    None => continue,
                }
            }
        };
        let _ = stream.set_nodelay(true);
        // Re-registered on the worker's own runtime.
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(error) => {
                tracing::warn!(%error, "cannot hand a connection to a worker");
                continue;
            }
        };
        let task = serve_connection(stream, front.clone(), admission, limits.idle_timeout);
        if !workers::spawn_next(task) {
            tracing::error!("no proxy worker is running; dropping a client connection");
        }
    }
}

/// Requests in progress on one connection (until their response bodies
/// end), and when the last one ended.
#[derive(Default)]
struct Activity {
    /// Set by the first request: until then the connection has
    /// [`FIRST_BYTES_TIMEOUT`] to get one going (a client that sends part
    /// of the HTTP/2 preface and stops must not hold its slot any longer).
    started: std::sync::atomic::AtomicBool,
    active: AtomicUsize,
    /// Milliseconds since the connection opened.
    last_ms: AtomicU64,
}

async fn serve_connection(
    stream: std::net::TcpStream,
    front: Arc<Front>,
    admission: Admission,
    idle_timeout: Option<Duration>,
) {
    let stream = match TcpStream::from_std(stream) {
        Ok(stream) => stream,
        Err(error) => {
            tracing::warn!(%error, "cannot register a client connection");
            return;
        }
    };
    // A connection that never says anything is closed (the HTTP version is
    // read from its first bytes, so nothing else would time it out).
    if tokio::time::timeout(FIRST_BYTES_TIMEOUT, stream.readable())
        .await
        .is_err()
    {
        return;
    }
    let local_only = admission.reach == Reach::LocalOnly;
    let opened = Instant::now();
    let activity = Arc::new(Activity::default());
    let service = {
        let activity = activity.clone();
        service_fn(move |request| {
            let front = front.clone();
            let guard = ActiveGuard::begin(activity.clone(), opened);
            async move {
                let response = if local_only {
                    front.handle_local_only(request).await
                } else {
                    front.handle(request).await
                };
                Ok::<_, Infallible>(response.map(|body| Active {
                    body,
                    _guard: guard,
                }))
            }
        })
    };
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(FIRST_BYTES_TIMEOUT);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(PING_INTERVAL)
        .keep_alive_timeout(PING_INTERVAL);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    // How often the connection looks at its own idleness: a quarter of the
    // limit in force (the first-bytes deadline until a request started,
    // then the idle timeout; never, with no idle timeout).
    let check = |started: bool| {
        let limit = if started {
            idle_timeout
        } else {
            Some(FIRST_BYTES_TIMEOUT)
        };
        limit.map(|l| (l / 4).max(Duration::from_millis(50)))
    };
    let mut closing = false;
    loop {
        tokio::select! {
            ended = connection.as_mut() => {
                if let Err(error) = ended {
                    tracing::debug!(%error, "client connection ended with an error");
                }
                break;
            }
            _ = sleep_or_forever(check(activity.started.load(Ordering::Relaxed))), if !closing => {
                let idle_since = Duration::from_millis(activity.last_ms.load(Ordering::Relaxed));
                let limit = if activity.started.load(Ordering::Relaxed) {
                    idle_timeout
                } else {
                    Some(FIRST_BYTES_TIMEOUT)
                };
                let idle = opened.elapsed().saturating_sub(idle_since);
                if activity.active.load(Ordering::Relaxed) == 0 && limit.is_some_and(|l| idle >= l) {
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
    drop(admission);
}

/// Sleeps for `period`, or forever without one.
async fn sleep_or_forever(period: Option<Duration>) {
    match period {
        Some(period) => tokio::time::sleep(period).await,
        None => std::future::pending().await,
    }
}

/// Counts a request as in progress until its response body is dropped.
struct ActiveGuard {
    activity: Arc<Activity>,
    opened: Instant,
}

impl ActiveGuard {
    fn begin(activity: Arc<Activity>, opened: Instant) -> ActiveGuard {
        activity.started.store(true, Ordering::Relaxed);
        activity.active.fetch_add(1, Ordering::Relaxed);
        ActiveGuard { activity, opened }
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        let now = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.activity.last_ms.store(now, Ordering::Relaxed);
        self.activity.active.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A response body that keeps its request counted as in progress.
struct Active<B> {
    body: B,
    _guard: ActiveGuard,
}

impl<B: Body + Unpin> Body for Active<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Front {
    async fn handle(&self, request: Request<Incoming>) -> Response<FrontBody> {
        match self {
            Front::Route(route) => forward(route, request).await.map(Either::Left),
            Front::Local(local) => local_answer(local, request).await,
            Front::Split {
                route,
                local,
                is_local,
            } => {
                if is_local(request.uri().path()) {
                    local_answer(local, request).await
                } else {
                    forward(route, request).await.map(Either::Left)
                }
            }
        }
    }

    /// For a connection past the port's cap: the local application only.
    async fn handle_local_only(&self, request: Request<Incoming>) -> Response<FrontBody> {
        match self {
            Front::Local(local) => local_answer(local, request).await,
            Front::Split {
                local, is_local, ..
            } if is_local(request.uri().path()) => local_answer(local, request).await,
            _ => {
                let mut response =
                    Response::new(Either::Left(Either::Right(Full::new(Bytes::from_static(
                        b"too many client connections on this port; try again later\n",
                    )))));
                *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
                response
            }
        }
    }
}

async fn local_answer(local: &axum::Router, request: Request<Incoming>) -> Response<FrontBody> {
    match tower::ServiceExt::oneshot(local.clone(), request).await {
        Ok(response) => response.map(Either::Right),
        Err(never) => match never {},
    }
}

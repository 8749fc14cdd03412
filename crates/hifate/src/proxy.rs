//! The front proxy (the "DynamicServicer"): the stable public port of a
//! service, forwarding every request to the version that is current when the
//! request arrives.
//!
//! The route is read once per request, never cached per connection, so a swap
//! takes effect on the very next request of every open client connection, and
//! a request keeps its version (and counts as in flight there) until its
//! response body, trailers included, has been passed on.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Uri};
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};

use crate::backend::{Backend, ForwardBody, InFlight};
use crate::config::ServiceKind;
use crate::metrics::ServiceMetrics;

/// Response header naming the version that served a request.
pub const VERSION_HEADER: HeaderName = HeaderName::from_static("x-hifate-version");

/// Which version of a service receives new requests.
#[derive(Debug)]
pub struct Route {
    pub service: String,
    pub kind: ServiceKind,
    current: ArcSwapOption<Backend>,
    metrics: Arc<ServiceMetrics>,
}

impl Route {
    pub fn new(service: &str, kind: ServiceKind, metrics: Arc<ServiceMetrics>) -> Arc<Route> {
        Arc::new(Route {
            service: service.to_owned(),
            kind,
            current: ArcSwapOption::empty(),
            metrics,
        })
    }

    /// The version new requests go to.
    pub fn current(&self) -> Option<Arc<Backend>> {
        self.current.load_full()
    }

    /// Atomically points new requests at `next`; returns the version replaced.
    pub fn switch(&self, next: Arc<Backend>) -> Option<Arc<Backend>> {
        self.current.swap(Some(next))
    }

    /// Stops routing to any version; returns the one removed.
    pub fn clear(&self) -> Option<Arc<Backend>> {
        self.current.swap(None)
    }
}

/// What one public port serves: a service's route, the admin API, or both
/// (the main port: admin paths to the API, the rest to the main service).
#[derive(Clone)]
pub struct Front {
    pub route: Option<Arc<Route>>,
    pub admin: Option<axum::Router>,
}

/// A response body from either the proxy or the admin API.
pub type FrontBody = http_body_util::Either<ProxyBody, axum::body::Body>;

/// Accepts connections on `listener` forever and hands each to a proxy
/// worker thread, which serves it through `front`.
pub async fn serve(listener: TcpListener, front: Front) {
    let front = Arc::new(front);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        match stream.into_std() {
            Ok(stream) => workers().dispatch(stream, front.clone()),
            Err(error) => tracing::warn!(%error, "cannot hand a connection to a worker"),
        }
    }
}

async fn serve_connection(stream: std::net::TcpStream, front: Arc<Front>) {
    let stream = match TcpStream::from_std(stream) {
        Ok(stream) => stream,
        Err(error) => {
            tracing::warn!(%error, "cannot register a client connection");
            return;
        }
    };
    let service = service_fn(move |request| {
        let front = front.clone();
        async move { Ok::<_, Infallible>(front.handle(request).await) }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    if let Err(error) = builder
        .serve_connection(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!(%error, "client connection ended with an error");
    }
}

/// The proxy's worker threads. Each runs a single-threaded runtime that
/// serves whole client connections, with its own connection to every
/// version: a request, its forwarded copy and both responses stay on one
/// thread. (On a multi-threaded runtime the client side and the version side
/// of a request ping-pong between cores, which costs more than the proxying
/// itself.)
struct Workers {
    queues: Vec<tokio::sync::mpsc::UnboundedSender<(std::net::TcpStream, Arc<Front>)>>,
    runtimes: Vec<tokio::runtime::Handle>,
    next: std::sync::atomic::AtomicUsize,
}

thread_local! {
    static WORKER: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
}

static WORKERS: std::sync::OnceLock<Workers> = std::sync::OnceLock::new();

/// How many proxy worker threads there are: `HIFATE_PROXY_THREADS`, else
/// one per CPU.
pub fn worker_count() -> usize {
    static COUNT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *COUNT.get_or_init(|| {
        std::env::var("HIFATE_PROXY_THREADS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|n: &usize| *n > 0)
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
            })
    })
}

/// The index of the proxy worker running this code, or `usize::MAX` on any
/// other thread.
pub fn current_worker() -> usize {
    WORKER.with(|w| w.get())
}

fn workers() -> &'static Workers {
    WORKERS.get_or_init(|| {
        let mut queues = Vec::new();
        let mut runtimes = Vec::new();
        for index in 0..worker_count() {
            let (queue, mut inbox) = tokio::sync::mpsc::unbounded_channel();
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    tracing::error!(%error, "cannot start proxy worker {index}");
                    continue;
                }
            };
            let handle = runtime.handle().clone();
            let spawned = std::thread::Builder::new()
                .name(format!("hifate-proxy-{index}"))
                .spawn(move || {
                    WORKER.with(|w| w.set(index));
                    runtime.block_on(async move {
                        while let Some((stream, front)) = inbox.recv().await {
                            tokio::spawn(serve_connection(stream, front));
                        }
                    });
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start proxy worker {index}");
                continue;
            }
            queues.push(queue);
            runtimes.push(handle);
        }
        Workers {
            queues,
            runtimes,
            next: std::sync::atomic::AtomicUsize::new(0),
        }
    })
}

/// Opens every proxy worker's connection to `backend` (before the route
/// switches to it), so that no request after the switch waits for a
/// connection to be set up. Bounded by `limit`; a worker that has not
/// connected by then connects on its first request instead.
pub async fn warm_connections(backend: &Arc<Backend>, limit: std::time::Duration) {
    let tasks: Vec<_> = workers()
        .runtimes
        .iter()
        .map(|runtime| {
            let backend = backend.clone();
            runtime.spawn(async move { backend.connect_here().await })
        })
        .collect();
    let _ = tokio::time::timeout(limit, async {
        for task in tasks {
            let _ = task.await;
        }
    })
    .await;
}

impl Workers {
    /// Round-robin; a connection that no worker can take is dropped (the
    /// client sees a closed connection, never a wrong answer).
    fn dispatch(&self, stream: std::net::TcpStream, front: Arc<Front>) {
        if self.queues.is_empty() {
            tracing::error!("no proxy worker is running; dropping a client connection");
            return;
        }
        let index =
            self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.queues.len();
        if self.queues[index].send((stream, front)).is_err() {
            tracing::error!("proxy worker {index} has stopped; dropping a client connection");
        }
    }
}

impl Front {
    async fn handle(&self, request: Request<Incoming>) -> Response<FrontBody> {
        if let Some(admin) = &self.admin {
            if crate::admin::owns_path(request.uri().path()) || self.route.is_none() {
                let response = tower::ServiceExt::oneshot(admin.clone(), request).await;
                return match response {
                    Ok(response) => response.map(http_body_util::Either::Right),
                    Err(never) => match never {},
                };
            }
        }
        match &self.route {
            Some(route) => forward(route, request)
                .await
                .map(http_body_util::Either::Left),
            None => Response::new(http_body_util::Either::Left(ProxyBody::Full(Full::new(
                Bytes::new(),
            )))),
        }
    }
}

/// Passes one request to the current version and its response back.
pub async fn forward(route: &Route, request: Request<Incoming>) -> Response<ProxyBody> {
    let client_version = request.version();
    let (mut parts, body) = request.into_parts();
    parts.uri = backend_uri(std::mem::take(&mut parts.uri));
    parts.version = http::Version::HTTP_2;
    // hyper's HTTP/2 client drops the connection-specific headers (and
    // those a `Connection` header names); only `Host` is left to drop, as
    // `:authority` names the private socket's peer.
    parts.headers.remove(header::HOST);
    let mut request = Request::from_parts(parts, ForwardBody::Incoming(body));

    // A request that never left (the connection closed, or the process just
    // died and the route has moved on to its restart) is tried once more.
    for attempt in 0..2 {
        let Some(backend) = route.current() else {
            return unavailable(route, "no version is serving (yet)");
        };
        let in_flight = backend.clone().begin();
        match backend.send_or_return(request).await {
            Ok(response) => {
                let (mut parts, body) = response.into_parts();
                if is_error_head(route.kind, &parts) {
                    in_flight.failed();
                }
                parts.version = client_version;
                parts
                    .headers
                    .insert(VERSION_HEADER, backend.version_header.clone());
                return Response::from_parts(parts, ProxyBody::Forwarded { body, in_flight });
            }
            Err((error, unsent)) => {
                drop(in_flight);
                match unsent {
                    // Never sent: try once more, on whatever version is
                    // current now (a fresh connection if it is the same one).
                    Some(again) if attempt == 0 => {
                        request = again;
                        continue;
                    }
                    _ => return unavailable(route, &error.to_string()),
                }
            }
        }
    }
    unavailable(route, "no version accepted the request")
}

/// Keeps path and query (moved, not re-parsed); scheme and authority name
/// the private socket's peer.
fn backend_uri(uri: Uri) -> Uri {
    let mut parts = uri.into_parts();
    parts.scheme = Some(http::uri::Scheme::HTTP);
    parts.authority = Some(http::uri::Authority::from_static("localhost"));
    if parts.path_and_query.is_none() {
        parts.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
    }
    Uri::from_parts(parts).unwrap_or_else(|_| Uri::from_static("http://localhost/"))
}

/// The answer when no version can take the request: gRPC `UNAVAILABLE`
/// (trailers-only) for gRPC services, HTTP 503 for HTTP ones.
fn unavailable(route: &Route, reason: &str) -> Response<ProxyBody> {
    route
        .metrics
        .unrouted
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let message = format!("{}: {reason}", route.service);
    let builder = Response::builder();
    let response = match route.kind {
        ServiceKind::Grpc => builder
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/grpc")
            .header("grpc-status", "14")
            .header("grpc-message", grpc_message(&message))
            .body(ProxyBody::Full(Full::new(Bytes::new()))),
        ServiceKind::Http => builder
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(ProxyBody::Full(Full::new(Bytes::from(message + "\n")))),
    };
    response.unwrap_or_else(|_| Response::new(ProxyBody::Full(Full::new(Bytes::new()))))
}

/// True for HTTP 5xx, and for a trailers-only gRPC response with an error status.
fn is_error_head(kind: ServiceKind, head: &http::response::Parts) -> bool {
    match kind {
        ServiceKind::Http => head.status.is_server_error(),
        ServiceKind::Grpc => !head.status.is_success() || is_grpc_error(&head.headers),
    }
}

fn is_grpc_error(headers: &http::HeaderMap) -> bool {
    headers
        .get("grpc-status")
        .is_some_and(|s| s.as_bytes() != b"0")
}

/// Percent-encodes a grpc-message value as the gRPC HTTP/2 spec requires.
fn grpc_message(message: &str) -> HeaderValue {
    let mut encoded = String::with_capacity(message.len());
    for byte in message.bytes() {
        if (0x20..=0x7e).contains(&byte) && byte != b'%' {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    HeaderValue::from_str(&encoded).unwrap_or_else(|_| HeaderValue::from_static("unavailable"))
}

/// A response body on its way to the client. A forwarded body holds its
/// request's [`InFlight`] guard, so the version counts the request as in
/// flight until the last frame (trailers included) has passed.
#[derive(Debug)]
pub enum ProxyBody {
    Forwarded { body: Incoming, in_flight: InFlight },
    Full(Full<Bytes>),
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            ProxyBody::Forwarded { body, in_flight } => {
                let polled = Pin::new(body).poll_frame(cx);
                if let Poll::Ready(Some(Ok(frame))) = &polled {
                    if frame.trailers_ref().is_some_and(is_grpc_error) {
                        in_flight.failed();
                    }
                }
                polled
            }
            ProxyBody::Full(body) => match Pin::new(body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => Poll::Ready(Some(Ok(frame))),
                Poll::Ready(Some(Err(never))) => match never {},
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ProxyBody::Forwarded { body, .. } => body.is_end_stream(),
            ProxyBody::Full(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ProxyBody::Forwarded { body, .. } => body.size_hint(),
            ProxyBody::Full(body) => body.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_uri_keeps_path_and_query() {
        let uri: Uri = "/bazi.core.BaziCoreService/CalculateBazi?x=1"
            .parse()
            .unwrap();
        assert_eq!(
            backend_uri(uri).to_string(),
            "http://localhost/bazi.core.BaziCoreService/CalculateBazi?x=1"
        );
    }

    #[test]
    fn grpc_message_is_percent_encoded() {
        assert_eq!(
            grpc_message("a 100% 八").to_str().unwrap(),
            "a 100%25 %E5%85%AB"
        );
    }
}

//! Passing one request to the version that is current when it arrives, and
//! its answer back.
//!
//! A request keeps its version (and counts as in flight there) until its
//! response body, trailers included, has been passed on.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{self, HeaderName};
use http::{Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{Either, Full};
use hyper::body::Incoming;

use super::backend::InFlight;
use super::classify::{self, Class, Synthetic};
use super::route::Route;
use super::ServiceKind;

/// Response header naming the version that served a request.
pub const VERSION_HEADER: HeaderName = HeaderName::from_static("x-hifate-version");

/// A response body on its way to the client: a version's answer, or one of
/// the proxy's own.
pub type ProxyBody = Either<Tracked, Full<Bytes>>;

/// Passes one request to the version the route picks and its response back.
pub async fn forward(route: &Route, request: Request<Incoming>) -> Response<ProxyBody> {
    let client_version = request.version();
    let (mut parts, body) = request.into_parts();
    parts.uri = backend_uri(std::mem::take(&mut parts.uri));
    parts.version = http::Version::HTTP_2;
    // hyper's HTTP/2 client drops the connection-specific headers (and
    // those a `Connection` header names); only `Host` is left to drop, as
    // `:authority` names the private socket's peer.
    parts.headers.remove(header::HOST);
    let mut request = Request::from_parts(parts, Either::Left(body));

    // A request that never left (the connection closed, or the process just
    // died and the route has moved on to its restart) is tried once more.
    for attempt in 0..2 {
        let Some(backend) = route.pick() else {
            route
                .counters
                .unrouted
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return synthetic(route, Synthetic::NoVersion);
        };
        let in_flight = backend.clone().begin();
        match backend.send_or_return(request).await {
            Ok(response) => {
                let (mut parts, body) = response.into_parts();
                if let Some(class) = classify::head(route.kind, parts.status, &parts.headers) {
                    in_flight.classify(class);
                }
                parts.version = client_version;
                parts
                    .headers
                    .insert(VERSION_HEADER, backend.version_header.clone());
                let body = Tracked {
                    body,
                    in_flight,
                    kind: route.kind,
                };
                return Response::from_parts(parts, Either::Left(body));
            }
            Err((error, unsent)) => match unsent {
                // Never sent: try once more, on whatever version is current
                // now (a fresh connection if it is the same one).
                Some(again) if attempt == 0 => {
                    in_flight.unsent();
                    request = again;
                    continue;
                }
                // The version was serving and failed this request: its
                // fault, counted on it (not as "no version serving").
                _ => {
                    in_flight.classify(Class::ServerFault);
                    let mut response =
                        synthetic(route, Synthetic::VersionFailed(error.to_string()));
                    response
                        .headers_mut()
                        .insert(VERSION_HEADER, backend.version_header.clone());
                    return response;
                }
            },
        }
    }
    synthetic(
        route,
        Synthetic::VersionFailed("no version accepted the request".into()),
    )
}

fn synthetic(route: &Route, answer: Synthetic) -> Response<ProxyBody> {
    answer
        .response(route.kind, &route.service)
        .map(|body| Either::Right(Full::new(body)))
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

/// A version's response body. It holds its request's [`InFlight`] guard, so
/// the version counts the request as in flight until the last frame has
/// passed, and classifies a gRPC answer by its trailers.
#[derive(Debug)]
pub struct Tracked {
    body: Incoming,
    in_flight: InFlight,
    kind: ServiceKind,
}

impl Body for Tracked {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(class) = frame.trailers_ref().and_then(classify::trailers) {
                    this.in_flight.classify(class);
                }
            }
            // A broken answer, or a gRPC answer that ended without a status.
            Poll::Ready(Some(Err(_))) => this.in_flight.classify(Class::ServerFault),
            Poll::Ready(None) if this.kind == ServiceKind::Grpc => {
                this.in_flight.classify(Class::ServerFault)
            }
            Poll::Ready(None) => this.in_flight.classify(Class::Success),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
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
}

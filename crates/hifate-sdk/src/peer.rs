//! Calling another service: a tonic [`Channel`] to its front address.

use std::time::Duration;

use tonic::transport::{Channel, Endpoint};

use crate::service_addr_var;

/// Time allowed to open a connection to a peer (TCP connect and HTTP/2
/// handshake) unless [`Peer::connect_timeout`] says otherwise. A call made
/// while the peer is unreachable fails with `UNAVAILABLE` after at most this.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed for one call to a peer, from sending the request to the end
/// of the response, unless [`Peer::request_timeout`] says otherwise; a call
/// that takes longer fails with `CANCELLED`. A call's own `grpc-timeout`
/// (a deadline set on the request) is honoured when shorter.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why no channel to a peer could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerError {
    /// Neither the supervisor nor the caller gave the peer's address.
    #[error("no address for service {service}: {var} is not set")]
    Unset {
        /// The peer's name.
        service: String,
        /// The variable that would hold its address.
        var: String,
    },
    /// The address is not of the form `host:port`.
    #[error("address of service {service} ({from}) is {addr:?}, not a host:port like 127.0.0.1:9001: {reason}")]
    BadAddr {
        /// The peer's name.
        service: String,
        /// Where the address came from: the variable's name, `"given"` ([`Peer::at`])
        /// or `"default"` ([`Peer::or_addr`]).
        from: String,
        /// The address as given.
        addr: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A lazily connecting channel to the service `service` through the
/// supervisor's front port, at the address the supervisor passes in
/// `HIFATE_SERVICE_ADDR_<SERVICE>` (see [`service_addr_var`]), with
/// [`DEFAULT_CONNECT_TIMEOUT`] and [`DEFAULT_REQUEST_TIMEOUT`].
///
/// Nothing is connected yet: the connection is opened on the first call and
/// opened again whenever it is lost, so a service starts (and answers
/// `UNAVAILABLE` for what needs the peer) while the peer is down. Calls go to
/// the peer's front port, so they reach whichever version of it is current.
///
/// `Peer::new(service).or_addr(default)` gives an address for a binary run
/// by hand; the [`Peer`] builder also sets the timeouts. Must be called
/// within a Tokio runtime.
///
/// ```no_run
/// # async fn f() -> Result<(), hifate_sdk::PeerError> {
/// let channel = hifate_sdk::peer("bazi_core")?;
/// // let mut client = BaziCoreServiceClient::new(channel);
/// # Ok(()) }
/// ```
pub fn peer(service: &str) -> Result<Channel, PeerError> {
    Peer::new(service).connect_lazy()
}

/// How to reach another service; [`Peer::connect_lazy`] makes the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    service: String,
    fixed: Option<String>,
    default: Option<String>,
    connect_timeout: Duration,
    request_timeout: Duration,
}

impl Peer {
    /// The service `service`, at the address in `HIFATE_SERVICE_ADDR_<SERVICE>`,
    /// with the default timeouts.
    pub fn new(service: impl Into<String>) -> Self {
        Peer {
            service: service.into(),
            fixed: None,
            default: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }

    /// The address (`host:port`) to use when the supervisor gives none, as
    /// when the binary runs by hand.
    pub fn or_addr(mut self, addr: impl Into<String>) -> Self {
        self.default = Some(addr.into());
        self
    }

    /// Always this address (`host:port`), whatever the environment says; for
    /// tests.
    pub fn at(mut self, addr: impl Into<String>) -> Self {
        self.fixed = Some(addr.into());
        self
    }

    /// Time allowed to open a connection ([`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one call ([`DEFAULT_REQUEST_TIMEOUT`]).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The address calls will go to: the one given to [`Peer::at`], else the
    /// supervisor's, else the one given to [`Peer::or_addr`].
    pub fn addr(&self) -> Result<String, PeerError> {
        self.source().map(|(_, addr)| addr)
    }

    /// The address and where it came from.
    fn source(&self) -> Result<(String, String), PeerError> {
        let var = service_addr_var(&self.service);
        if let Some(addr) = &self.fixed {
            return Ok(("given".to_owned(), addr.clone()));
        }
        match (std::env::var(&var), &self.default) {
            (Ok(addr), _) => Ok((var, addr)),
            (Err(_), Some(addr)) => Ok(("default".to_owned(), addr.clone())),
            (Err(_), None) => Err(PeerError::Unset {
                service: self.service.clone(),
                var,
            }),
        }
    }

    /// A lazily connecting channel to the peer (see [`peer`]). Fails only if
    /// there is no address or it is not a `host:port`. Must be called within
    /// a Tokio runtime.
    pub fn connect_lazy(&self) -> Result<Channel, PeerError> {
        let (from, addr) = self.source()?;
        let bad = |reason: String| PeerError::BadAddr {
            service: self.service.clone(),
            from: from.clone(),
            addr: addr.clone(),
            reason,
        };
        check_host_port(&addr).map_err(bad)?;
        let endpoint = Endpoint::from_shared(format!("http://{addr}"))
            .map_err(|error| bad(error.to_string()))?
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout);
        Ok(endpoint.connect_lazy())
    }
}

/// Checks that `addr` is `host:port`: a non-empty host (a name, an IPv4
/// address or a bracketed IPv6 address) and a port number, nothing else.
fn check_host_port(addr: &str) -> Result<(), String> {
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or_else(|| "it has no port".to_owned())?;
    if host.is_empty() {
        return Err("it has no host".to_owned());
    }
    let bracketed = host.starts_with('[') && host.ends_with(']');
    if !bracketed && host.contains(':') {
        return Err("an IPv6 host must be in brackets, like [::1]:9001".to_owned());
    }
    if host.contains(|c: char| c.is_whitespace() || "/?#@".contains(c)) {
        return Err("the host is not a name or an IP address".to_owned());
    }
    match port.parse::<u16>() {
        Ok(0) => Err("port 0 cannot be called".to_owned()),
        Ok(_) => Ok(()),
        Err(_) => Err(format!("{port:?} is not a port number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_is_checked() {
        for good in [
            "127.0.0.1:9001",
            "localhost:1",
            "[::1]:9001",
            "bazi-core.local:65535",
        ] {
            assert_eq!(check_host_port(good), Ok(()), "{good}");
        }
        for bad in [
            "127.0.0.1",
            ":9001",
            "127.0.0.1:",
            "127.0.0.1:http",
            "127.0.0.1:70000",
            "127.0.0.1:0",
            "::1:9001",
            "http://127.0.0.1:9001",
            "a b:9001",
            "host/path:9001",
        ] {
            assert!(check_host_port(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn malformed_address_is_a_typed_error() {
        let error = Peer::new("nowhere_a")
            .at("127.0.0.1")
            .connect_lazy()
            .expect_err("no port");
        assert!(
            matches!(&error, PeerError::BadAddr { service, from, addr, .. }
                if service == "nowhere_a" && from == "given" && addr == "127.0.0.1"),
            "{error:?}"
        );
        assert!(error.to_string().contains("has no port"), "{error}");

        // Variables are named after the service; these names are this test's own.
        std::env::set_var(service_addr_var("peer_test_env"), "nope:port");
        let error = peer("peer_test_env").expect_err("bad port");
        assert!(
            matches!(&error, PeerError::BadAddr { from, .. } if from == "HIFATE_SERVICE_ADDR_PEER_TEST_ENV"),
            "{error:?}"
        );

        let error = peer("peer_test_unset").expect_err("unset");
        assert_eq!(
            error,
            PeerError::Unset {
                service: "peer_test_unset".to_owned(),
                var: "HIFATE_SERVICE_ADDR_PEER_TEST_UNSET".to_owned(),
            }
        );
    }

    #[tokio::test]
    async fn address_comes_from_the_supervisor_then_the_default() {
        let peer = Peer::new("peer_test_default").or_addr("127.0.0.1:9");
        assert_eq!(peer.addr(), Ok("127.0.0.1:9".to_owned()));
        peer.connect_lazy().expect("lazy channel");
        std::env::set_var(service_addr_var("peer_test_default"), "127.0.0.1:10");
        assert_eq!(peer.addr(), Ok("127.0.0.1:10".to_owned()));
        assert_eq!(
            peer.clone().at("127.0.0.1:11").addr(),
            Ok("127.0.0.1:11".to_owned())
        );
    }

    #[tokio::test]
    async fn unreachable_peer_fails_the_call_with_unavailable() {
        let unused = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr");
        let channel = Peer::new("peer_test_down")
            .at(unused.to_string())
            .connect_timeout(Duration::from_secs(1))
            .connect_lazy()
            .expect("lazy channel");
        let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
        let status = health
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
            .expect_err("nothing listens");
        assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
    }
}

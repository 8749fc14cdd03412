//! gRPC clients of bazi_core (through the front port or directly on a
//! version's private Unix socket) and a closed-loop load driver.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bazi_core_api::bazi_core_service_client::BaziCoreServiceClient;
use bazi_core_api::BaziCoreRequest;
use hyper_util::rt::TokioIo;
use tonic::transport::{Channel, Endpoint};

use crate::hist::Latency;

/// The fixed request of the proxy benchmarks.
pub fn fixed_request() -> BaziCoreRequest {
    BaziCoreRequest {
        solar_date: "1990-01-15".into(),
        solar_time: "12:00".into(),
        gender: "male".into(),
    }
}

/// One HTTP/2 connection to a front port.
pub async fn front_channel(addr: SocketAddr) -> anyhow::Result<Channel> {
    Endpoint::from_shared(format!("http://{addr}"))?
        .tcp_nodelay(true)
        .connect()
        .await
        .with_context(|| format!("cannot connect to the front port {addr}"))
}

/// One HTTP/2 connection to a version's private Unix socket.
pub async fn unix_channel(socket: PathBuf) -> anyhow::Result<Channel> {
    let path = socket.clone();
    Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_: tonic::transport::Uri| {
            let path = path.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(path).await?;
                Ok::<_, std::io::Error>(TokioIo::new(stream))
            }
        }))
        .await
        .with_context(|| format!("cannot connect to {}", socket.display()))
}

/// The `x-hifate-version` of a response, if it has one.
pub fn version_of(metadata: &tonic::metadata::MetadataMap) -> Option<u64> {
    metadata
        .get("x-hifate-version")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// What one closed-loop run did.
#[derive(Clone, Default)]
pub struct Run {
    pub calls: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latency: Latency,
    pub first_error: Option<String>,
}

impl Run {
    pub fn rate(&self) -> f64 {
        if self.elapsed.is_zero() {
            0.0
        } else {
            self.calls as f64 / self.elapsed.as_secs_f64()
        }
    }

    /// Adds another run's calls, time and latencies to this one.
    pub fn absorb(&mut self, other: &Run) {
        self.calls += other.calls;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self.latency.add(&other.latency);
        if self.first_error.is_none() {
            self.first_error.clone_from(&other.first_error);
        }
    }
}

/// `concurrency` callers, each making one CalculateBazi call after another
/// over the same channel, for `duration`. Successful calls' latencies are
/// recorded; failed calls are counted.
pub async fn closed_loop(
    channel: &Channel,
    concurrency: usize,
    duration: Duration,
    request: BaziCoreRequest,
) -> Run {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let mut client =
            BaziCoreServiceClient::new(channel.clone()).max_decoding_message_size(16 << 20);
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut run = Run::default();
            while Instant::now() < deadline {
                let sent = Instant::now();
                let result = client.calculate_bazi(request.clone()).await;
                let took = sent.elapsed();
                run.calls += 1;
                match result {
                    Ok(_) => run.latency.record(took),
                    Err(status) => {
                        run.errors += 1;
                        if run.first_error.is_none() {
                            run.first_error = Some(status.to_string());
                        }
                    }
                }
            }
            run
        }));
    }
    let mut total = Run::default();
    for task in tasks {
        match task.await {
            Ok(run) => {
                total.calls += run.calls;
                total.errors += run.errors;
                total.latency.add(&run.latency);
                if total.first_error.is_none() {
                    total.first_error = run.first_error;
                }
            }
            Err(error) => {
                total.errors += 1;
                total.first_error.get_or_insert(error.to_string());
            }
        }
    }
    total.elapsed = started.elapsed();
    total
}

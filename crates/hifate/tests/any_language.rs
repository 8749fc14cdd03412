//! A service that is not Rust: the Python gRPC example of
//! `examples/python-grpc`, run from snapshots of its sources by a real
//! supervisor, edited while it serves under load, broken with a syntax
//! error, rolled back to the code it was built from, and reached over TCP.
//!
//! Needs `python3` with the example's `requirements.txt` installed (`.ci/run`
//! installs them).

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hifate::events::EventKind;
use support::{free_port, wait_event, RELOAD};
use tonic::transport::Channel;

#[derive(Clone, PartialEq, prost::Message)]
struct HelloRequest {
    #[prost(string, tag = "1")]
    name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct HelloReply {
    #[prost(string, tag = "1")]
    message: String,
    #[prost(uint64, tag = "2")]
    version: u64,
    #[prost(uint32, tag = "3")]
    pid: u32,
}

/// One `Greeter/SayHello` call; the reply and the `x-hifate-version` header.
async fn say_hello(channel: &Channel, name: &str) -> Result<(HelloReply, u64), tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let path = http::uri::PathAndQuery::from_static("/hifate.example.v1.Greeter/SayHello");
    let codec = tonic_prost::ProstCodec::<HelloRequest, HelloReply>::default();
    let request = tonic::Request::new(HelloRequest { name: name.into() });
    let response = grpc.unary(request, path, codec).await?;
    let version = support::version_header(response.metadata());
    Ok((response.into_inner(), version))
}

fn channel(port: u16) -> Channel {
    Channel::from_shared(format!("http://127.0.0.1:{port}"))
        .expect("uri")
        .connect_lazy()
}

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/python-grpc")
}

/// Fails with what to do when the example's Python packages are missing.
fn require_python() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import grpc, grpc_tools, grpc_health"])
        .output();
    match probe {
        Ok(output) if output.status.success() => {}
        other => panic!(
            "python3 with grpcio, grpcio-tools and grpcio-health-checking is needed: \
             python3 -m pip install -r examples/python-grpc/requirements.txt ({other:?})"
        ),
    }
}

/// A copy of the example in a temporary workspace, with its config on free
/// ports (`listen` added to the service).
struct Example {
    _dir: tempfile::TempDir,
    root: PathBuf,
    port: u16,
}

impl Example {
    fn new(listen: &str) -> Example {
        require_python();
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_path_buf();
        for file in ["server.py", "greeter.proto"] {
            std::fs::copy(example_dir().join(file), root.join(file)).expect("copy the example");
        }
        let port = free_port();
        let text = std::fs::read_to_string(example_dir().join("hifate.toml"))
            .expect("the example's hifate.toml")
            .replace(
                "admin_port = 8101",
                &format!("admin_port = {}", free_port()),
            )
            .replace(
                "port = 9101",
                &format!("port = {port}\nlisten = {listen:?}"),
            )
            .replace(
                "state_dir = \".hifate\"",
                "state_dir = \"state\"\ndebounce_ms = 200\nbake_ms = 0",
            );
        std::fs::write(root.join("hifate.toml"), text).expect("write the config");
        Example {
            _dir: dir,
            root,
            port,
        }
    }

    async fn start(&self) -> hifate::Supervisor {
        let config = hifate::Config::load(&self.root.join("hifate.toml")).expect("config");
        tokio::time::timeout(Duration::from_secs(120), hifate::start(config))
            .await
            .expect("started in time")
            .expect("the supervisor starts")
    }

    fn set_greeting(&self, text: &str) {
        let path = self.root.join("server.py");
        let source = std::fs::read_to_string(&path).expect("server.py");
        let start = source.find("GREETING = ").expect("the GREETING line");
        let end = start + source[start..].find('\n').expect("line end");
        let edited = format!("{}GREETING = {text}{}", &source[..start], &source[end..]);
        std::fs::write(&path, edited).expect("edit server.py");
    }
}

/// Calls until a reply starts with `prefix`.
async fn wait_for_reply(channel: &Channel, prefix: &str, limit: Duration) -> (HelloReply, u64) {
    let deadline = Instant::now() + limit;
    loop {
        let last = match say_hello(channel, "wait").await {
            Ok((reply, version)) if reply.message.starts_with(prefix) => return (reply, version),
            Ok((reply, version)) => format!("v{version}: {}", reply.message),
            Err(status) => status.to_string(),
        };
        assert!(
            Instant::now() < deadline,
            "no reply starting with {prefix:?} within {limit:?}; last: {last}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Edited while it serves under load: the new code answers under a new
/// version with no failed call. A syntax error never becomes ready: the old
/// version keeps serving and the status shows Python's error. A rollback
/// runs the snapshot of the first version, whatever the source says now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_service_reloads_under_load_refuses_a_syntax_error_and_rolls_back() {
    let example = Example::new("socket");
    let supervisor = example.start().await;
    let channel = channel(example.port);
    let (reply, version) = wait_for_reply(&channel, "hello v1:", Duration::from_secs(30)).await;
    assert_eq!((reply.version, version), (1, 1));
    assert_eq!(reply.message, "hello v1: wait");
    let status = &supervisor.status()[0];
    assert_eq!(status.watched_files, 2, "server.py and greeter.proto");
    // Bad input is the service's own INVALID_ARGUMENT, passed through.
    let refused = say_hello(&channel, "").await.expect_err("empty name");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);

    let calls = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let (channel, calls, failures, stop) = (
                channel.clone(),
                calls.clone(),
                failures.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    calls.fetch_add(1, Ordering::Relaxed);
                    if let Err(status) = say_hello(&channel, "load").await {
                        failures.fetch_add(1, Ordering::Relaxed);
                        eprintln!("call failed: {status}");
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    example.set_greeting("\"hello v2\"");
    let (reply, version) = wait_for_reply(&channel, "hello v2:", RELOAD).await;
    assert_eq!((reply.version, version), (2, 2));
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for caller in callers {
        caller.await.expect("caller");
    }
    let (calls, failures) = (
        calls.load(Ordering::Relaxed),
        failures.load(Ordering::Relaxed),
    );
    println!("python service edited under load: {calls} calls, {failures} failed");
    assert_eq!(failures, 0);
    assert!(calls > 50, "the load was real: {calls}");

    // A syntax error: version 3 never becomes ready; version 2 serves on.
    let mut events = supervisor.subscribe();
    example.set_greeting("\"hello v3\"\ndef broken(:");
    let failed = wait_event(&mut events, "greeter", RELOAD, |k| {
        matches!(k, EventKind::ReloadFailed { .. })
    })
    .await;
    let EventKind::ReloadFailed { version, reason } = failed.kind else {
        unreachable!()
    };
    assert_eq!(version, 3);
    assert!(reason.contains("SyntaxError"), "{reason}");
    let status = &supervisor.status()[0];
    assert_eq!(status.current_version, Some(2));
    let last_error = status.last_error.clone().unwrap_or_default();
    assert!(last_error.contains("SyntaxError"), "{last_error}");
    let (reply, version) = say_hello(&channel, "after")
        .await
        .expect("version 2 serves");
    assert_eq!((reply.message.as_str(), version), ("hello v2: after", 2));

    // Rollback to version 1: its snapshot, not today's broken server.py.
    let back = supervisor
        .rollback("greeter", Some(1))
        .await
        .expect("rollback");
    let (reply, version) = say_hello(&channel, "back").await.expect("rolled back");
    assert_eq!((reply.message.as_str(), version), ("hello v1: back", back));
    supervisor.shutdown().await;
}

/// `listen = "tcp"`: the supervisor picks a loopback port, hands it over as
/// `HIFATE_PORT`, and proxies to it; a reload gets a port of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_that_listens_on_tcp_is_reached_and_reloaded() {
    let example = Example::new("tcp");
    let supervisor = example.start().await;
    let channel = channel(example.port);
    wait_for_reply(&channel, "hello v1:", Duration::from_secs(30)).await;
    let first = supervisor.status()[0].address.clone().expect("an address");
    assert!(first.starts_with("127.0.0.1:"), "{first}");
    assert!(supervisor.status()[0].socket.is_none());
    example.set_greeting("\"hello over tcp\"");
    let (_, version) = wait_for_reply(&channel, "hello over tcp:", RELOAD).await;
    assert_eq!(version, 2);
    let second = supervisor.status()[0].address.clone().expect("an address");
    assert_ne!(first, second, "each process listens on a port of its own");
    supervisor.shutdown().await;
}

//! The supervisor as a careless operator or a hostile client finds it: a
//! version store that cannot take an artifact, a second supervisor on the
//! same state directory, frozen versions, silent and idle connections, a
//! version that dies and will not start again. Real processes and sockets.

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use hifate::events::EventKind;
use hifate_fixture::FailRequest;
use serde_json::Value;
use support::*;

/// A fixture of one service. Every test names its own: all fixtures share
/// one cargo target directory, where a binary's path is its name.
fn one_service(name: &'static str) -> Fixture {
    Fixture::new(&[FixtureService {
        name,
        uses_shared: false,
    }])
}

fn sample(text: &str, family: &str, labels: &str) -> f64 {
    let prefix = format!("{family}{{{labels}}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no sample {prefix} in:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_errors_are_counted_apart_from_server_faults() {
    let fixture = one_service("classified");
    let supervisor = start(&fixture, "watch = \"off\"").await;
    let mut client = client(fixture.port("classified")).await;
    for (code, times) in [(3, 3), (5, 1), (13, 2), (14, 1)] {
        for _ in 0..times {
            let status = client
                .fail(FailRequest {
                    code,
                    message: "as asked".into(),
                })
                .await
                .expect_err("Fail fails");
            assert_eq!(status.code(), tonic::Code::from(code));
        }
    }
    say(&mut client, "fine", 0).await.expect("a good call");

    let text = metrics(&supervisor).await;
    let labels = "service=\"classified\",version=\"1\"";
    // INVALID_ARGUMENT ×3 and NOT_FOUND: the callers' mistakes.
    assert_eq!(
        sample(&text, "hifate_request_client_errors_total", labels),
        4.0
    );
    // INTERNAL ×2 and UNAVAILABLE: the version's faults.
    assert_eq!(sample(&text, "hifate_request_errors_total", labels), 3.0);
    assert_eq!(sample(&text, "hifate_requests_total", labels), 8.0);
    assert_eq!(
        sample(
            &text,
            "hifate_unrouted_requests_total",
            "service=\"classified\""
        ),
        0.0
    );
    supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_cannot_take_the_artifact_fails_the_reload_visibly() {
    let fixture = one_service("stored");
    let supervisor = start(&fixture, "").await;
    let mut events = supervisor.subscribe();
    // Version 2's directory cannot be created: a file stands in its place
    // (as a full or read-only disk would refuse it).
    let blocker = fixture.state_dir().join("services/stored/versions/2");
    std::fs::write(&blocker, "in the way").expect("write blocker");

    fixture.set_greeting("stored", "hello v2");
    let failed = wait_event(&mut events, "stored", RELOAD, |k| {
        matches!(k, EventKind::DeployFailed { .. })
    })
    .await;
    let EventKind::DeployFailed { reason } = failed.kind else {
        unreachable!()
    };
    assert!(reason.contains("versions/2"), "names the path: {reason}");

    let status = supervisor.service("stored").expect("stored").status();
    assert_eq!(status.current_version, Some(1));
    assert_eq!(status.phase, hifate::control::service::Phase::Serving);
    let error = status.last_error.expect("last_error says why");
    assert!(error.contains("versions/2"), "{error}");
    let (reply, version) = say(&mut client(fixture.port("stored")).await, "x", 0)
        .await
        .expect("version 1 still serves");
    assert_eq!((reply.message.as_str(), version), ("hello v1: x", 1));
    let partial: Vec<_> = walkdir::WalkDir::new(fixture.state_dir())
        .into_iter()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(partial.is_empty(), "left behind: {partial:?}");

    // With room again, the next change deploys (and takes number 2).
    std::fs::remove_file(&blocker).expect("remove blocker");
    fixture.set_greeting("stored", "hello v3");
    let (_, version) = wait_for_reply(fixture.port("stored"), "hello v3", RELOAD).await;
    assert_eq!(version, 2);
    supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_supervisor_on_the_same_state_directory_is_refused() {
    let fixture = one_service("locked");
    let supervisor = start(&fixture, "watch = \"off\"").await;
    // Same state directory, other ports.
    let mut second = fixture.config("watch = \"off\"");
    second
        .override_port("locked", free_port())
        .expect("override port");
    second.settings.admin_port = free_port();
    let refused = hifate::start(second)
        .await
        .err()
        .expect("the second supervisor is refused")
        .to_string();
    assert!(
        refused.contains(&format!("pid {}", std::process::id())),
        "names the holder: {refused}"
    );
    // The first one is untouched.
    let (_, version) = say(&mut client(fixture.port("locked")).await, "x", 0)
        .await
        .expect("still serving");
    assert_eq!(version, 1);
    supervisor.shutdown().await;

    // Once it has stopped, the directory is free again.
    let again = start(&fixture, "watch = \"off\"").await;
    again.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_supervisors_socket_directory_is_removed_at_the_next_start() {
    let fixture = one_service("unlocked");
    let state = fixture.state_dir();
    std::fs::create_dir_all(&state).expect("state dir");
    let left = tempfile::Builder::new()
        .prefix("hifate-")
        .tempdir()
        .expect("a socket directory")
        .keep();
    std::fs::write(left.join("unlocked-v1-1.sock"), "").expect("a stale socket");
    std::fs::write(
        state.join("supervisor.lock"),
        format!("pid 999999\nsockets {}\n", left.display()),
    )
    .expect("lock file of a killed supervisor");
    let supervisor = start(&fixture, "watch = \"off\"").await;
    assert!(!left.exists(), "{} is still there", left.display());
    supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_version_is_noticed_and_replaced() {
    let fixture = one_service("frozen");
    let supervisor = start(
        &fixture,
        "watch = \"off\"\nhealth_interval_ms = 200\nhealth_timeout_ms = 300\nhealth_misses = 3\ndrain_timeout_ms = 1000\nstop_grace_ms = 500",
    )
    .await;
    let mut events = supervisor.subscribe();
    let frozen = supervisor
        .service("frozen")
        .expect("frozen")
        .status()
        .pid
        .expect("pid");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(frozen as i32),
        nix::sys::signal::Signal::SIGSTOP,
    )
    .expect("SIGSTOP");

    let noticed = wait_event(&mut events, "frozen", Duration::from_secs(10), |k| {
        matches!(k, EventKind::Unresponsive { version: 1, .. })
    })
    .await;
    assert!(noticed.describe().contains("stopped answering"));
    wait_event(&mut events, "frozen", Duration::from_secs(10), |k| {
        matches!(k, EventKind::ReloadSucceeded { version: 1, .. })
    })
    .await;

    // A fresh process of the same version answers; the frozen one is gone.
    let (reply, version) = say(&mut client(fixture.port("frozen")).await, "x", 0)
        .await
        .expect("the replacement answers");
    assert_eq!(version, 1);
    assert_ne!(reply.pid, frozen);
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(frozen) {
        assert!(
            Instant::now() < deadline,
            "the frozen process was not stopped"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = supervisor.service("frozen").expect("frozen").status();
    assert_eq!(status.phase, hifate::control::service::Phase::Serving);
    assert!(status
        .last_error
        .is_some_and(|e| e.contains("stopped answering health checks")));
    supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_version_that_will_not_start_falls_back_to_a_kept_one() {
    let fixture = one_service("fallback");
    let supervisor = start(&fixture, "").await;
    fixture.set_greeting("fallback", "hello v2");
    let (_, version) = wait_for_reply(fixture.port("fallback"), "hello v2", RELOAD).await;
    assert_eq!(version, 2);
    let service = supervisor.service("fallback").expect("fallback");
    let artifact_dir = fixture.state_dir().join("services/fallback/versions/2");
    std::fs::remove_dir_all(&artifact_dir).expect("remove version 2's artifact");
    let mut events = supervisor.subscribe();
    let pid = service.status().pid.expect("pid");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("SIGKILL");

    let back = wait_event(&mut events, "fallback", Duration::from_secs(30), |k| {
        matches!(k, EventKind::RolledBack { artifact_of: 1, .. })
    })
    .await;
    let EventKind::RolledBack { version, .. } = back.kind else {
        unreachable!()
    };
    let (reply, served) = say(&mut client(fixture.port("fallback")).await, "x", 0)
        .await
        .expect("a kept version serves");
    assert_eq!(served, version);
    assert_eq!(reply.message, "hello v1: x");
    let status = service.status();
    assert!(
        status.restarts >= 3,
        "attempts counted: {}",
        status.restarts
    );
    assert_eq!(status.pid, Some(reply.pid));
    let error = status.last_error.expect("last_error");
    assert!(error.contains("would not start again"), "{error}");
    supervisor.shutdown().await;
}

/// Reads from `stream` until it is closed by the other side, or `limit`.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    stream.set_read_timeout(Some(limit)).expect("read timeout");
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_bounded_and_the_admin_api_stays_reachable() {
    let fixture = one_service("bounded");
    let supervisor = start(
        &fixture,
        "watch = \"off\"\nmax_connections = 4\nidle_timeout_ms = 400",
    )
    .await;
    let port = fixture.port("bounded");
    let admin = supervisor.admin_address();

    // Four silent connections fill the port; a fifth is closed at once.
    let mut silent: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).expect("connect"))
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fifth = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    assert!(
        closed_within(&mut fifth, Duration::from_secs(2)),
        "past the cap"
    );

    // The admin API still answers.
    let health = reqwest::get(format!("http://{admin}/api/v1/hot-reload/health"))
        .await
        .expect("admin reachable");
    assert_eq!(health.status(), 200);

    // An idle keep-alive connection is closed after idle_timeout_ms.
    let mut idle = TcpStream::connect(admin).expect("connect admin");
    idle.write_all(b"GET /api/v1/hot-reload/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .expect("request");
    let mut head = [0u8; 12];
    idle.read_exact(&mut head).expect("an answer");
    assert_eq!(&head, b"HTTP/1.1 200");
    let idle_started = Instant::now();
    assert!(
        closed_within(&mut idle, Duration::from_secs(5)),
        "idle connection closed"
    );
    assert!(idle_started.elapsed() >= Duration::from_millis(300));

    // Half-sent headers and silence are closed too (FIRST_BYTES_TIMEOUT).
    let mut half = TcpStream::connect(admin).expect("connect admin");
    half.write_all(b"GET /api/v1/hot-reload/health HTTP/1.1\r\nHost: loc")
        .expect("half a request");
    let limit = hifate::data::front::FIRST_BYTES_TIMEOUT + Duration::from_secs(5);
    assert!(closed_within(&mut half, limit), "half-sent headers closed");
    for stream in &mut silent {
        assert!(
            closed_within(stream, Duration::from_secs(5)),
            "silent connection closed"
        );
    }
    // With the silent ones gone, the port takes connections again.
    let (_, version) = say(&mut client(port).await, "x", 0)
        .await
        .expect("the port serves again");
    assert_eq!(version, 1);
    supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_answers_at_once() {
    let fixture = one_service("streamed");
    let supervisor = start(&fixture, "watch = \"off\"").await;
    let mut stream = TcpStream::connect(supervisor.admin_address()).expect("connect");
    stream
        .write_all(b"GET /api/v1/hot-reload/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .expect("request");
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    let mut seen = String::new();
    let mut buffer = [0u8; 1024];
    while !seen.contains(": subscribed") {
        let n = stream
            .read(&mut buffer)
            .expect("headers and a first line before any event");
        assert!(n > 0, "closed early: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    assert!(seen.contains("text/event-stream"), "{seen}");
    supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_requests_for_other_hosts_are_refused_and_logs_need_the_token() {
    let fixture = one_service("guarded");
    let supervisor = start(
        &fixture,
        "watch = \"off\"\nadmin_hosts = [\"hifate.internal\"]",
    )
    .await;
    let base = format!("http://{}", supervisor.admin_address());
    let http = reqwest::Client::new();
    let status = |host: &'static str| {
        let request = http
            .get(format!("{base}/api/v1/hot-reload/status"))
            .header("host", host);
        async move { request.send().await.expect("GET").status().as_u16() }
    };
    assert_eq!(status("evil.example").await, 403);
    assert_eq!(status("evil.example:8001").await, 403);
    assert_eq!(status("localhost:8001").await, 200);
    assert_eq!(status("hifate.internal").await, 200);

    let logs = format!("{base}/api/v1/hot-reload/logs/guarded");
    let refused = http.get(&logs).send().await.expect("GET logs");
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.expect("JSON");
    let message = body["message"].as_str().expect("message");
    let state_dir = fixture.state_dir().display().to_string();
    assert!(
        !message.contains(&state_dir),
        "reveals the state dir: {message}"
    );
    let token = std::fs::read_to_string(fixture.state_dir().join("admin-token"))
        .expect("token")
        .trim()
        .to_owned();
    let allowed = http
        .get(&logs)
        .bearer_auth(token)
        .send()
        .await
        .expect("GET logs");
    assert_eq!(allowed.status(), 200);
    supervisor.shutdown().await;
}

//! Hot swaps of real services: real cargo builds, real child processes, real
//! gRPC calls through the supervisor's front ports.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hifate::events::EventKind;
use hifate::ReloadOutcome;
use hifate_fixture::{CountRequest, FailRequest, SumRequest};
use support::*;

/// Edit → new code served; a slow call spanning the swap finishes on the old
/// version; gRPC status codes and streams pass through; rollback; a killed
/// child is restarted; a restarted supervisor continues where it stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_swap_rollback_crash_and_restart() {
    let fixture = Fixture::new(&[FixtureService {
        name: "echo",
        uses_shared: false,
    }]);
    let port = fixture.port("echo");
    let supervisor = tokio::time::timeout(FIRST_BUILD, hifate::start(fixture.config("")))
        .await
        .expect("first build in time")
        .expect("supervisor starts");
    let mut events = supervisor.subscribe();
    let mut client = client(port).await;

    let (reply, version) = say(&mut client, "one", 0).await.expect("v1 serves");
    assert_eq!(reply.message, "hello v1: one");
    assert_eq!((version, reply.version), (1, 1));

    // Status codes, server streams and client streams pass through intact.
    let status = client
        .fail(FailRequest {
            code: tonic::Code::NotFound as i32,
            message: "no such chart".into(),
        })
        .await
        .expect_err("Fail fails");
    assert_eq!(status.code(), tonic::Code::NotFound);
    assert_eq!(status.message(), "no such chart");
    assert_eq!(version_header(status.metadata()), 1);
    let mut stream = client
        .count(CountRequest {
            count: 3,
            interval_ms: 10,
        })
        .await
        .expect("Count")
        .into_inner();
    let mut counted = Vec::new();
    while let Some(item) = stream.message().await.expect("stream item") {
        counted.push(item.message);
    }
    assert_eq!(counted, ["0", "1", "2"]);
    let sum = client
        .sum(tokio_stream::iter(
            (1..=4).map(|value| SumRequest { value }),
        ))
        .await
        .expect("Sum")
        .into_inner();
    assert_eq!(sum.total, 10);

    // Version 2 takes a second to become ready; a slow call made while it
    // starts goes to version 1 and finishes there after the switch.
    fixture.set_greeting("echo", "hello v2");
    fixture.set_startup(
        "echo",
        "std::thread::sleep(std::time::Duration::from_millis(1000));",
    );
    wait_event(&mut events, "echo", RELOAD, |k| {
        matches!(k, EventKind::VersionStarting { version: 2 })
    })
    .await;
    let mut slow_client = client.clone();
    let slow = tokio::spawn(async move { say(&mut slow_client, "slow", 2500).await });
    wait_event(&mut events, "echo", Duration::from_secs(30), |k| {
        matches!(k, EventKind::ReloadSucceeded { version: 2, .. })
    })
    .await;
    let (after, after_version) = say(&mut client, "after", 0).await.expect("v2 serves");
    assert_eq!(after.message, "hello v2: after");
    assert_eq!(after_version, 2);
    let (slow_reply, slow_version) = slow
        .await
        .expect("join")
        .expect("slow call survives the swap");
    assert_eq!(slow_reply.message, "hello v1: slow");
    assert_eq!((slow_version, slow_reply.version), (1, 1));
    wait_event(&mut events, "echo", Duration::from_secs(30), |k| {
        matches!(k, EventKind::Stopped { version: 1 })
    })
    .await;
    assert!(
        !alive(reply.pid),
        "version 1's process is gone after draining"
    );

    // Rollback: the previous behaviour, under a new number.
    let rolled = supervisor.rollback("echo", None).await.expect("rollback");
    assert_eq!(rolled, 3);
    let (reply, version) = say(&mut client, "back", 0).await.expect("v3 serves");
    assert_eq!(reply.message, "hello v1: back");
    assert_eq!(version, 3);
    let history = supervisor.history("echo").expect("history");
    assert_eq!(
        history.last().map(|r| r.origin.clone()),
        Some(hifate::store::Origin::Rollback { artifact_of: 1 })
    );

    // A child that dies on its own is restarted from its artifact.
    let pid = supervisor.status()[0].pid.expect("pid");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill child");
    wait_event(&mut events, "echo", Duration::from_secs(30), |k| {
        matches!(k, EventKind::Restarted { version: 3, .. })
    })
    .await;
    let (reply, version) = say(&mut client, "again", 0)
        .await
        .expect("serves after restart");
    assert_eq!((reply.message.as_str(), version), ("hello v1: again", 3));
    assert_ne!(reply.pid, pid);
    let log = std::fs::read_to_string(supervisor.event_log_path()).expect("event log");
    assert!(
        log.contains("\"event\":\"crashed\""),
        "crash recorded: {log}"
    );

    // Back to version 1's exact sources: the code equals version 3's, so the
    // change is noticed and nothing is built.
    fixture.set_greeting("echo", "hello v1");
    fixture.set_startup("echo", "");
    wait_event(&mut events, "echo", RELOAD, |k| {
        matches!(k, EventKind::Unchanged { version: 3 })
    })
    .await;

    // Supervisor restart: version 3 again, without a build; numbering goes on.
    let serving_pid = reply.pid;
    supervisor.shutdown().await;
    drop(supervisor);
    assert!(!alive(serving_pid), "shutdown stops the children");
    let log_len = std::fs::metadata(fixture.state_dir().join("events.jsonl"))
        .expect("event log")
        .len() as usize;
    let supervisor = hifate::start(fixture.config(""))
        .await
        .expect("supervisor restarts");
    let mut client = support::client(port).await;
    let (reply, version) = say(&mut client, "resumed", 0).await.expect("resumed");
    assert_eq!((reply.message.as_str(), version), ("hello v1: resumed", 3));
    let log = std::fs::read_to_string(fixture.state_dir().join("events.jsonl")).expect("log");
    assert!(
        !log[log_len..].contains("build_started"),
        "a restart resumes the kept version without building: {}",
        &log[log_len..]
    );
    fixture.set_greeting("echo", "hello v4");
    let (_, version) = wait_for_reply(port, "hello v4:", RELOAD).await;
    assert_eq!(version, 4, "numbering continues across restarts");
    supervisor.shutdown().await;
}

/// Several clients call in a loop while ten successive edits are swapped in:
/// not one call may fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_swaps_under_load_fail_no_call() {
    let fixture = Fixture::new(&[FixtureService {
        name: "loaded",
        uses_shared: false,
    }]);
    let port = fixture.port("loaded");
    let supervisor = tokio::time::timeout(FIRST_BUILD, hifate::start(fixture.config("")))
        .await
        .expect("first build in time")
        .expect("supervisor starts");

    let made = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for worker in 0..6 {
        let (made, failed, stop) = (made.clone(), failed.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            // Two connections, three callers each.
            let mut client = support::client(port).await;
            if worker % 2 == 1 {
                client = support::client(port).await;
            }
            let mut versions = std::collections::BTreeSet::new();
            while !stop.load(Ordering::Relaxed) {
                made.fetch_add(1, Ordering::Relaxed);
                match say(&mut client, "load", (worker % 3) as u32 * 5).await {
                    Ok((_, version)) => {
                        versions.insert(version);
                    }
                    Err(status) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        eprintln!("call failed: {status}");
                    }
                }
            }
            versions
        }));
    }

    for i in 2..=11 {
        fixture.set_greeting("loaded", &format!("hello v{i}"));
        let (_, version) = wait_for_reply(port, &format!("hello v{i}:"), RELOAD).await;
        assert_eq!(version, i);
    }
    stop.store(true, Ordering::Relaxed);
    let mut seen = std::collections::BTreeSet::new();
    for worker in workers {
        seen.extend(worker.await.expect("worker"));
    }
    let (made, failed) = (made.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    println!("10 swaps under load: {made} calls made, {failed} failed");
    assert_eq!(failed, 0, "{failed} of {made} calls failed during swaps");
    assert!(made > 100, "the load was real: {made} calls");
    assert!(
        seen.len() >= 5,
        "calls were served by many versions: {seen:?}"
    );
    supervisor.shutdown().await;
}

/// A compile error, a crash at start and a hang at start each leave the
/// serving version serving, are recorded with their reason, and leave no
/// process behind; a fixed change then reloads normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_changes_never_take_the_service_down() {
    let fixture = Fixture::new(&[FixtureService {
        name: "fragile",
        uses_shared: false,
    }]);
    let port = fixture.port("fragile");
    let supervisor = tokio::time::timeout(
        FIRST_BUILD,
        hifate::start(fixture.config("ready_timeout_ms = 3000")),
    )
    .await
    .expect("first build in time")
    .expect("supervisor starts");
    let mut events = supervisor.subscribe();
    let mut client = client(port).await;

    // 1. Does not compile.
    fixture.edit(
        "fragile/src/main.rs",
        GREETING_LINE,
        "const GREETING: &str = 42;",
    );
    let event = wait_event(&mut events, "fragile", RELOAD, |k| {
        matches!(k, EventKind::BuildFailed { .. })
    })
    .await;
    let EventKind::BuildFailed { diagnostics } = event.kind else {
        unreachable!()
    };
    assert!(diagnostics.contains("mismatched types"), "{diagnostics}");
    let (reply, version) = say(&mut client, "still", 0).await.expect("v1 still serves");
    assert_eq!((reply.message.as_str(), version), ("hello v1: still", 1));
    let status = &supervisor.status()[0];
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("mismatched types")),
        "{status:?}"
    );
    assert_eq!(status.current_version, Some(1));

    // 2. Fixed: reloads normally.
    fixture.set_greeting("fragile", "hello v2");
    let (_, version) = wait_for_reply(port, "hello v2:", RELOAD).await;
    assert_eq!(version, 2);

    // 3. Exits at start.
    fixture.set_startup("fragile", "std::process::exit(3);");
    let event = wait_event(&mut events, "fragile", RELOAD, |k| {
        matches!(k, EventKind::ReloadFailed { .. })
    })
    .await;
    let EventKind::ReloadFailed {
        version: bad,
        reason,
    } = event.kind
    else {
        unreachable!()
    };
    assert!(reason.contains("exited with status 3"), "{reason}");
    let (reply, version) = say(&mut client, "alive", 0).await.expect("v2 still serves");
    assert_eq!((reply.message.as_str(), version), ("hello v2: alive", 2));
    let bad_dir = format!("services/fragile/versions/{bad}/");
    assert!(processes_running(&bad_dir).is_empty(), "no leaked child");

    // 4. Never becomes ready: killed after the ready timeout.
    fixture.set_startup(
        "fragile",
        "std::thread::sleep(std::time::Duration::from_secs(3600));",
    );
    let event = wait_event(&mut events, "fragile", RELOAD, |k| {
        matches!(k, EventKind::ReloadFailed { .. })
    })
    .await;
    let EventKind::ReloadFailed {
        version: hung,
        reason,
    } = event.kind
    else {
        unreachable!()
    };
    assert!(reason.contains("not ready within 3000 ms"), "{reason}");
    let (_, version) = say(&mut client, "alive", 0).await.expect("v2 still serves");
    assert_eq!(version, 2);
    assert!(
        processes_running(&format!("services/fragile/versions/{hung}/")).is_empty(),
        "the hung process was killed"
    );
    let history = supervisor.history("fragile").expect("history");
    let failed: Vec<_> = history
        .iter()
        .filter(|r| r.outcome == hifate::store::Outcome::Failed)
        .map(|r| r.version)
        .collect();
    assert_eq!(failed, vec![bad, hung]);

    // A kept artifact that went missing cannot be started: the rollback is
    // refused with the reason, and nothing changes.
    let artifact = history[0].artifact.clone().expect("version 1 is kept");
    std::fs::remove_file(&artifact).expect("remove artifact");
    let error = supervisor
        .rollback("fragile", Some(1))
        .await
        .expect_err("no artifact, no rollback")
        .to_string();
    assert!(
        error.contains("artifact of fragile version 1 is missing"),
        "{error}"
    );
    let (_, version) = say(&mut client, "alive", 0).await.expect("v2 still serves");
    assert_eq!(version, 2);

    // 5. A forced reload of unchanged sources says so, and builds nothing.
    fixture.set_startup("fragile", "");
    let (_, version) = wait_for_reply(port, "hello v2:", RELOAD).await;
    let outcome = supervisor.reload(&["fragile"], "test").await;
    assert_eq!(
        outcome.get("fragile"),
        Some(&ReloadOutcome::Unchanged { version })
    );
    supervisor.shutdown().await;
}

/// A change in a shared crate reloads exactly the services that depend on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_crate_change_reloads_its_dependents_only() {
    let fixture = Fixture::new(&[
        FixtureService {
            name: "alpha",
            uses_shared: true,
        },
        FixtureService {
            name: "beta",
            uses_shared: true,
        },
        FixtureService {
            name: "gamma",
            uses_shared: false,
        },
    ]);
    let supervisor = tokio::time::timeout(FIRST_BUILD, hifate::start(fixture.config("")))
        .await
        .expect("first build in time")
        .expect("supervisor starts");
    let mut events = supervisor.subscribe();
    let watched: Vec<usize> = supervisor
        .status()
        .iter()
        .map(|s| s.watched_files)
        .collect();
    // alpha and beta: own Cargo.toml + main.rs + shared's two files (+ the SDK and protos).
    assert!(
        watched[0] > watched[2],
        "dependents also watch shared: {watched:?}"
    );

    fixture.edit("shared/src/lib.rs", "\"shared v1\"", "\"shared v2\"");
    for name in ["alpha", "beta"] {
        let (reply, version) =
            wait_for_reply(fixture.port(name), "shared v2 hello v1:", RELOAD).await;
        assert_eq!(version, 2, "{name}: {reply:?}");
    }
    let (reply, version) = say(&mut client(fixture.port("gamma")).await, "x", 0)
        .await
        .expect("gamma serves");
    assert_eq!((reply.message.as_str(), version), ("hello v1: x", 1));
    // gamma saw no change at all.
    while let Ok(event) = events.try_recv() {
        assert_ne!(event.service, "gamma", "gamma was touched: {event:?}");
    }

    // A manifest change re-reads the dependency graph: once gamma uses the
    // shared crate too, a change there reloads all three.
    fixture.edit(
        "gamma/Cargo.toml",
        "tonic.workspace = true\n",
        "tonic.workspace = true\nshared.workspace = true\n",
    );
    fixture.edit(
        "gamma/src/main.rs",
        "    GREETING.to_string()",
        "    format!(\"{} {}\", shared::PREFIX, GREETING)",
    );
    wait_for_reply(fixture.port("gamma"), "shared v2 hello v1:", RELOAD).await;
    fixture.edit("shared/src/lib.rs", "\"shared v2\"", "\"shared v3\"");
    for name in ["alpha", "beta", "gamma"] {
        wait_for_reply(fixture.port(name), "shared v3 hello v1:", RELOAD).await;
    }
    supervisor.shutdown().await;
}

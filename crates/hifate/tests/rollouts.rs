//! Safe rollouts with real processes, builds and calls: a bake window keeps
//! the old version running and warm, and rolls back to it when the new one
//! faults or exits; a canary splits new requests between two versions and
//! ends by promote, abort, a fault, or its window.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hifate::control::service::TrialKind;
use hifate::events::EventKind;
use hifate::store::Outcome;
use hifate::ReloadOutcome;
use support::*;
use tokio::task::JoinHandle;

/// One call of the load: when it started and ended, and which version
/// answered it (the `x-hifate-version` header, on failures too).
#[derive(Debug)]
struct Call {
    started: Instant,
    /// Wall-clock end, to compare with a time a service process wrote.
    ended_ns: u128,
    version: Option<u64>,
    error: Option<String>,
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos()
}

/// Callers calling `Say` in a loop until finished.
struct Load {
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<Vec<Call>>>,
}

impl Load {
    async fn start(port: u16, callers: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::new();
        for _ in 0..callers {
            let stop = stop.clone();
            let mut client = client(port).await;
            workers.push(tokio::spawn(async move {
                let mut calls = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let request = hifate_fixture::SayRequest {
                        message: "load".into(),
                        delay_ms: 0,
                    };
                    let call = match client.say(request).await {
                        Ok(response) => Call {
                            started,
                            ended_ns: now_ns(),
                            version: Some(version_header(response.metadata())),
                            error: None,
                        },
                        Err(status) => Call {
                            started,
                            ended_ns: now_ns(),
                            version: status
                                .metadata()
                                .get("x-hifate-version")
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.parse().ok()),
                            error: Some(format!("{:?}: {}", status.code(), status.message())),
                        },
                    };
                    calls.push(call);
                }
                calls
            }));
        }
        Load { stop, workers }
    }

    async fn finish(self) -> Vec<Call> {
        self.stop.store(true, Ordering::Relaxed);
        let mut calls = Vec::new();
        for worker in self.workers {
            calls.extend(worker.await.expect("load worker"));
        }
        calls
    }
}

/// `n` calls on one connection; how many each version answered.
async fn versions_of(port: u16, n: usize) -> std::collections::BTreeMap<u64, usize> {
    let mut client = client(port).await;
    let mut seen = std::collections::BTreeMap::new();
    for _ in 0..n {
        let (_, version) = say(&mut client, "count", 0).await.expect("call");
        *seen.entry(version).or_default() += 1;
    }
    seen
}

/// The echo's `say`, and the same with every other call failing INTERNAL.
const SAY: &str = "        let message = format!(\"{}: {}\", greeting(), request.message);";
const SAY_FAILING_HALF: &str =
    "        static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        if CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 2 == 1 {
            return Err(Status::internal(\"every other call fails\"));
        }
        let message = format!(\"{}: {}\", greeting(), request.message);";

fn swapped_to(outcome: Option<&ReloadOutcome>) -> u64 {
    match outcome {
        Some(ReloadOutcome::Swapped { version, .. }) => *version,
        other => panic!("expected a swap, got {other:?}"),
    }
}

/// A version that answers INTERNAL to half its calls after the switch is
/// rolled back to the warm old version within its window: only calls the
/// bad version served failed, and every call after the rollback succeeds on
/// the old version, still the same process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_failing_half_its_calls_is_rolled_back_to_the_warm_one() {
    let fixture = Fixture::new(&[FixtureService {
        name: "faulty",
        uses_shared: false,
    }]);
    let port = fixture.port("faulty");
    let supervisor = start(&fixture, "watch = \"off\"\nbake_ms = 60000").await;
    let service = supervisor.service("faulty").expect("service").clone();
    let old_pid = service.status().pid.expect("v1 runs");
    let mut events = supervisor.subscribe();

    let load = Load::start(port, 4).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    fixture.set_greeting("faulty", "hello v2");
    fixture.edit("faulty/src/main.rs", SAY, SAY_FAILING_HALF);
    let outcomes = supervisor.reload(&["faulty"], "test").await;
    assert_eq!(swapped_to(outcomes.get("faulty")), 2);
    let rolled = wait_event(&mut events, "faulty", Duration::from_secs(30), |k| {
        matches!(k, EventKind::VersionRolledBack { .. })
    })
    .await;
    let after_rollback = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let calls = load.finish().await;

    let EventKind::VersionRolledBack {
        version,
        to,
        reason,
        calls: bad_calls,
        faults,
        switch_us,
    } = rolled.kind
    else {
        unreachable!()
    };
    assert_eq!((version, to), (2, 1));
    assert!(reason.contains("server faults"), "{reason}");
    let failed: Vec<&Call> = calls.iter().filter(|c| c.error.is_some()).collect();
    println!(
        "half-failing version: {} of {} calls failed before the rollback, all served by version 2 \
         (the supervisor counted {faults} faults in {bad_calls} calls; switch {switch_us} µs)",
        failed.len(),
        calls.len()
    );
    assert!(!failed.is_empty(), "the bad version did serve");
    for call in &failed {
        assert_eq!(
            call.version,
            Some(2),
            "a failure not of version 2: {call:?}"
        );
        assert!(
            call.started < after_rollback,
            "a call after the rollback failed: {call:?}"
        );
    }
    let after: Vec<&Call> = calls
        .iter()
        .filter(|c| c.started > after_rollback)
        .collect();
    assert!(after.len() > 50, "the load went on: {}", after.len());
    for call in &after {
        assert_eq!((call.version, &call.error), (Some(1), &None), "{call:?}");
    }

    // The warm process took over: same pid, no start; version 2 stops.
    let status = service.status();
    assert_eq!(status.current_version, Some(1));
    assert_eq!(
        status.pid,
        Some(old_pid),
        "the warm process serves, not a new one"
    );
    assert!(status.trial.is_none());
    assert!(status
        .last_error
        .unwrap_or_default()
        .contains("rolled back"));
    wait_event(&mut events, "faulty", Duration::from_secs(15), |k| {
        matches!(k, EventKind::Stopped { version: 2 })
    })
    .await;
    let history = supervisor.history("faulty").expect("history");
    let two = history
        .iter()
        .find(|r| r.version == 2)
        .expect("v2 recorded");
    assert_eq!(two.outcome, Outcome::RolledBack);
    assert!(two
        .end_reason
        .as_deref()
        .is_some_and(|r| r.contains("server faults")));
    let one = history
        .iter()
        .find(|r| r.version == 1)
        .expect("v1 recorded");
    assert_eq!(one.outcome, Outcome::Serving);
    let text = metrics(&supervisor).await;
    assert!(
        text.contains(
            "hifate_reloads_total{service=\"faulty\",outcome=\"rolled_back_in_window\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("hifate_traffic_percent{service=\"faulty\",version=\"1\"} 100"),
        "{text}"
    );
    supervisor.shutdown().await;
}

/// A version that exits seconds after its switch gives way to the warm
/// old version at once — the same process, not a cold start — and the time
/// from its exit to the old version's first answer is printed. A clean
/// version then passes its window and the warm one stops; a rollback during
/// a window is the same instant switch back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exit_in_the_window_returns_to_the_warm_version_and_a_clean_window_stops_it() {
    let fixture = Fixture::new(&[FixtureService {
        name: "exiting",
        uses_shared: false,
    }]);
    let port = fixture.port("exiting");
    let supervisor = start(&fixture, "watch = \"off\"\nbake_ms = 8000").await;
    let service = supervisor.service("exiting").expect("service").clone();
    let v1_pid = service.status().pid.expect("v1 runs");
    let mut events = supervisor.subscribe();

    // Version 2 writes the time and exits 3 s after it starts (well after
    // its switch, even on a busy machine).
    let exit_file = fixture.root.join("exit-at");
    fixture.set_greeting("exiting", "hello v2");
    fixture.set_startup(
        "exiting",
        &format!(
            "std::thread::spawn(|| {{ std::thread::sleep(std::time::Duration::from_secs(3)); \
             let at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0); \
             let _ = std::fs::write({:?}, at.to_string()); std::process::exit(3); }});",
            exit_file.display().to_string()
        ),
    );
    let load = Load::start(port, 4).await;
    let outcomes = supervisor.reload(&["exiting"], "test").await;
    assert_eq!(swapped_to(outcomes.get("exiting")), 2);
    let rolled = wait_event(&mut events, "exiting", Duration::from_secs(30), |k| {
        matches!(k, EventKind::VersionRolledBack { .. })
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let calls = load.finish().await;
    let EventKind::VersionRolledBack {
        version,
        to,
        reason,
        switch_us,
        ..
    } = rolled.kind
    else {
        unreachable!()
    };
    assert_eq!((version, to), (2, 1));
    assert!(reason.contains("exited with status 3"), "{reason}");
    let exit_ns: u128 = std::fs::read_to_string(&exit_file)
        .expect("version 2 wrote its exit time")
        .trim()
        .parse()
        .expect("nanoseconds");
    let first_old = calls
        .iter()
        .filter(|c| c.version == Some(1) && c.error.is_none() && c.ended_ns > exit_ns)
        .map(|c| c.ended_ns)
        .min()
        .expect("version 1 answered after the exit");
    let failed: Vec<&Call> = calls.iter().filter(|c| c.error.is_some()).collect();
    println!(
        "exit → first answer of the warm version: {:.1} ms (decision → switch {switch_us} µs); \
         {} of {} calls failed, all in flight on version 2 when it exited",
        (first_old - exit_ns) as f64 / 1e6,
        failed.len(),
        calls.len()
    );
    for call in &failed {
        assert_eq!(call.version, Some(2), "{call:?}");
    }
    let status = service.status();
    assert_eq!(status.current_version, Some(1));
    assert_eq!(
        status.pid,
        Some(v1_pid),
        "the warm process, not a cold restart"
    );

    // A clean version 3: version 1 stays warm through the window, then stops.
    fixture.set_startup("exiting", "");
    fixture.set_greeting("exiting", "hello v3");
    let outcomes = supervisor.reload(&["exiting"], "test").await;
    assert_eq!(swapped_to(outcomes.get("exiting")), 3);
    let trial = service.status().trial.expect("on trial");
    assert_eq!(
        (
            trial.kind,
            trial.version,
            trial.fallback_version,
            trial.percent
        ),
        (TrialKind::Bake, 3, 1, 100)
    );
    assert!(alive(v1_pid), "version 1 is kept warm during the window");
    assert_eq!(versions_of(port, 20).await.keys().collect::<Vec<_>>(), [&3]);
    wait_event(&mut events, "exiting", Duration::from_secs(15), |k| {
        matches!(
            k,
            EventKind::BakePassed {
                version: 3,
                warm: 1
            }
        )
    })
    .await;
    wait_event(&mut events, "exiting", Duration::from_secs(15), |k| {
        matches!(k, EventKind::Stopped { version: 1 })
    })
    .await;
    assert!(
        !alive(v1_pid),
        "the warm version stopped once the window passed"
    );
    assert!(service.status().trial.is_none());
    let v3_pid = service.status().pid.expect("v3 runs");

    // Version 4, rolled back by hand during its window: version 3 again,
    // the same process, under its own number.
    fixture.set_greeting("exiting", "hello v4");
    let outcomes = supervisor.reload(&["exiting"], "test").await;
    assert_eq!(swapped_to(outcomes.get("exiting")), 4);
    let back = supervisor
        .rollback("exiting", None)
        .await
        .expect("rollback");
    assert_eq!(back, 3);
    let status = service.status();
    assert_eq!(
        (status.current_version, status.pid),
        (Some(3), Some(v3_pid))
    );
    assert_eq!(versions_of(port, 20).await.keys().collect::<Vec<_>>(), [&3]);
    let history = supervisor.history("exiting").expect("history");
    let four = history.iter().find(|r| r.version == 4).expect("v4");
    assert_eq!(four.outcome, Outcome::RolledBack);
    assert_eq!(four.end_reason.as_deref(), Some("rolled back by request"));
    supervisor.shutdown().await;
}

/// A canary at 10 % gets a binomial share of the calls; abort and promote
/// (over the API and the CLI) each end with one version serving; a canary
/// that faults is aborted on its own, and a clean one is promoted when its
/// window passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_takes_its_share_and_ends_by_abort_promote_faults_or_window() {
    let fixture = Fixture::new(&[FixtureService {
        name: "split",
        uses_shared: false,
    }]);
    let port = fixture.port("split");
    let supervisor = start(&fixture, "watch = \"off\"\nbake_ms = 20000").await;
    let service = supervisor.service("split").expect("service").clone();
    let mut events = supervisor.subscribe();
    let admin = Admin::new(&supervisor);

    // A canary of 10 % over the API.
    let (code, body) = admin
        .post(
            "/api/v1/hot-reload/reload/microservice/split",
            Some(&admin.token),
            Some(r#"{"canary": 10}"#),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["results"]["split"]["outcome"], "canary");
    assert_eq!(body["results"]["split"]["version"], 2);
    let trial = service.status().trial.expect("canary runs");
    assert_eq!(
        (
            trial.kind,
            trial.version,
            trial.fallback_version,
            trial.percent
        ),
        (TrialKind::Canary, 2, 1, 10)
    );
    let text = metrics(&supervisor).await;
    for (version, share) in [(1, 90), (2, 10)] {
        let line =
            format!("hifate_traffic_percent{{service=\"split\",version=\"{version}\"}} {share}");
        assert!(text.contains(&line), "{line} in {text}");
    }
    let n = 2_000;
    let seen = versions_of(port, n).await;
    let to_canary = seen.get(&2).copied().unwrap_or(0);
    // Binomial(2000, 0.1): mean 200, standard deviation 13.4; five of them.
    let (mean, sd) = (n as f64 * 0.1, (n as f64 * 0.1 * 0.9).sqrt());
    let (low, high) = ((mean - 5.0 * sd) as usize, (mean + 5.0 * sd) as usize);
    println!("canary at 10 %: {to_canary} of {n} calls (bounds {low}..={high})");
    assert!(
        (low..=high).contains(&to_canary),
        "{to_canary} of {n}: {seen:?}"
    );
    assert_eq!(seen.values().sum::<usize>(), n);
    let text = metrics(&supervisor).await;
    assert!(text.contains("hifate_requests_total{service=\"split\",version=\"2\"}"));

    // Abort (CLI): version 1 alone again; version 2 stops.
    let (ok, out) = admin.cli(&["abort", "split"]);
    assert!(ok, "{out}");
    assert!(out.contains("version 1"), "{out}");
    assert_eq!(versions_of(port, 50).await.keys().collect::<Vec<_>>(), [&1]);
    wait_event(&mut events, "split", Duration::from_secs(15), |k| {
        matches!(k, EventKind::Stopped { version: 2 })
    })
    .await;
    let (ok, out) = admin.cli(&["promote", "split"]);
    assert!(!ok && out.contains("no version on trial"), "{out}");

    // Canary (CLI) then promote (CLI): version 3 alone; version 1 stops.
    let (ok, out) = admin.cli(&["reload", "split", "--canary", "10"]);
    assert!(ok && out.contains("canary: version 3"), "{out}");
    let (ok, out) = admin.cli(&["status"]);
    assert!(ok && out.contains("canary v3 10%"), "{out}");
    let (ok, out) = admin.cli(&["promote", "split"]);
    assert!(ok && out.contains("version 3"), "{out}");
    assert_eq!(versions_of(port, 50).await.keys().collect::<Vec<_>>(), [&3]);
    wait_event(&mut events, "split", Duration::from_secs(15), |k| {
        matches!(k, EventKind::Stopped { version: 1 })
    })
    .await;
    let history = supervisor.history("split").expect("history");
    let outcome = |v: u64| {
        history
            .iter()
            .find(|r| r.version == v)
            .map(|r| r.outcome.clone())
    };
    assert_eq!(outcome(2), Some(Outcome::RolledBack));
    assert_eq!(outcome(3), Some(Outcome::Serving));
    assert_eq!(outcome(1), Some(Outcome::Retired));

    // A canary whose every other call fails is aborted by the fault rule.
    fixture.set_greeting("split", "hello v4");
    fixture.edit("split/src/main.rs", SAY, SAY_FAILING_HALF);
    let percent = hifate::data::route::Percent::new(50).expect("a split");
    match supervisor.reload_canary("split", percent).await {
        ReloadOutcome::Canary { version: 4, .. } => {}
        other => panic!("expected canary version 4, got {other:?}"),
    }
    let load = Load::start(port, 2).await;
    let rolled = wait_event(&mut events, "split", Duration::from_secs(30), |k| {
        matches!(
            k,
            EventKind::VersionRolledBack {
                version: 4,
                to: 3,
                ..
            }
        )
    })
    .await;
    let after = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let calls = load.finish().await;
    println!("faulting canary: {}", rolled.describe());
    for call in calls.iter().filter(|c| c.started > after) {
        assert_eq!((call.version, &call.error), (Some(3), &None), "{call:?}");
    }
    assert!(calls
        .iter()
        .filter(|c| c.error.is_some())
        .all(|c| c.version == Some(4)));

    // A clean canary is promoted when its window passes.
    fixture.edit("split/src/main.rs", SAY_FAILING_HALF, SAY);
    fixture.set_greeting("split", "hello v5");
    match supervisor.reload_canary("split", percent).await {
        ReloadOutcome::Canary { version: 5, .. } => {}
        other => panic!("expected canary version 5, got {other:?}"),
    }
    let promoted = wait_event(&mut events, "split", Duration::from_secs(40), |k| {
        matches!(k, EventKind::CanaryPromoted { version: 5, .. })
    })
    .await;
    println!("{}", promoted.describe());
    assert_eq!(versions_of(port, 50).await.keys().collect::<Vec<_>>(), [&5]);
    assert_eq!(service.status().current_version, Some(5));
    supervisor.shutdown().await;
}

//! The whole system as a user runs it: `hifate up` on a copy of this
//! repository, the guide's example through the main port, an edit of
//! bazi_core's logic served by a new bazi_core alone, an edit of its API
//! (`.proto`) served by new versions of bazi_core and of its caller, the
//! gateway, an edit of bazi_fortune served by a new bazi_fortune alone
//! (`/api/v1/bazi/detail` through the gateway), an edit of desk_fengshui
//! while desk photos are posted, and a clean Ctrl-C.

mod support;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{
    alive, astronaut, coffee, copy_repo, fixture_target, free_port, post_photo, FIRST_BUILD, RELOAD,
};

/// `POST /api/v1/bazi/calculate` of the guide's example, and the bazi_core
/// version that answered.
async fn calculate(port: u16) -> Result<(Value, u64), String> {
    let birth = json!({"solar_date": "1990-01-15", "solar_time": "12:00", "gender": "male"});
    post(
        port,
        "/api/v1/bazi/calculate",
        &birth,
        "x-bazi-core-version",
    )
    .await
}

/// `POST /api/v1/bazi/detail` of the guide's example at a fixed time, and
/// the bazi_fortune version that answered.
async fn fortune_detail(port: u16) -> Result<(Value, u64), String> {
    let birth = json!({"solar_date": "1990-01-15", "solar_time": "12:00", "gender": "male",
                       "current_time": "2024-05-01T10:00:00"});
    post(
        port,
        "/api/v1/bazi/detail",
        &birth,
        "x-bazi-fortune-version",
    )
    .await
}

/// POSTs `body` to the main port: the answer (an error unless HTTP 200) and
/// the version the `version_header` names (0 if none).
async fn post(
    port: u16,
    path: &str,
    body: &Value,
    version_header: &str,
) -> Result<(Value, u64), String> {
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}{path}"))
        .json(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let version = response
        .headers()
        .get(version_header)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("HTTP {status}: {body}"));
    }
    Ok((body, version))
}

/// Runs `check` every 200 ms until it gives a value, for up to `limit`,
/// while `hifate up` keeps running; `check` otherwise says what it saw.
async fn poll<T, F: Future<Output = Result<T, String>>>(
    what: &str,
    limit: Duration,
    up: &mut std::process::Child,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        let last = match check().await {
            Ok(value) => return value,
            Err(last) => last,
        };
        if let Ok(Some(status)) = up.try_wait() {
            panic!("hifate up exited early ({status}); last: {last}");
        }
        assert!(
            Instant::now() < deadline,
            "no {what} within {limit:?}; last: {last}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn wait_for_chart(
    port: u16,
    version: u64,
    limit: Duration,
    up: &mut std::process::Child,
) -> Value {
    let what = format!("chart from bazi_core version {version}");
    poll(&what, limit, up, || async move {
        match calculate(port).await? {
            (body, v) if v == version => Ok(body),
            (_, v) => Err(format!("served by bazi_core version {v}")),
        }
    })
    .await
}

/// `GET /api/v1/hot-reload/<path>` of the admin API on `port`.
async fn admin(port: u16, path: &str) -> Value {
    reqwest::get(format!("http://127.0.0.1:{port}/api/v1/hot-reload/{path}"))
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// The serving version of every service, from the admin API's
/// `GET /status` (the main service, the gateway, is not a microservice).
async fn versions(port: u16) -> BTreeMap<String, u64> {
    admin(port, "status").await["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|s| {
            let name = s["service_name"].as_str().expect("service_name").to_owned();
            (name, s["current_version"].as_u64().unwrap_or(0))
        })
        .collect()
}

/// `services.<name>.current_version` of `GET /microservices`.
async fn microservice_version(port: u16, name: &str) -> Option<u64> {
    admin(port, "microservices").await["services"][name]["current_version"].as_u64()
}

/// The gateway's pid, from `GET /status`.
async fn gateway_pid(port: u16) -> Option<u64> {
    admin(port, "status").await["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["service_name"] == "gateway")
        .and_then(|s| s["pid"].as_u64())
}

/// Waits until the serving versions are `expected`.
async fn wait_for_versions(
    port: u16,
    expected: &[(&str, u64)],
    limit: Duration,
    up: &mut std::process::Child,
) {
    let expected: BTreeMap<String, u64> = expected
        .iter()
        .map(|(name, version)| ((*name).to_owned(), *version))
        .collect();
    let what = format!("versions {expected:?}");
    poll(&what, limit, up, || {
        let expected = &expected;
        async move {
            let now = versions(port).await;
            if now == *expected {
                Ok(())
            } else {
                Err(format!("versions {now:?}"))
            }
        }
    })
    .await
}

/// The supervisor's events (`events.jsonl` in its state directory) from
/// line `from` on.
fn events_since(log: &Path, from: usize) -> Vec<Value> {
    std::fs::read_to_string(log)
        .expect("event log")
        .lines()
        .skip(from)
        .map(|line| serde_json::from_str(line).expect("an event is JSON"))
        .collect()
}

/// The events of `service` of kind `kind` (`"files_changed"`, …) in `events`.
fn events_of<'a>(events: &'a [Value], service: &str, kind: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["service"] == service && e["event"] == kind)
        .collect()
}

/// Appends `text` to a file of the copy.
fn append(path: &Path, text: &str) {
    let mut source = std::fs::read_to_string(path).expect("read");
    source.push_str(text);
    std::fs::write(path, source).expect("edit");
}

/// Stops `hifate up` (and so every service it started) when the test fails
/// half-way, instead of leaving them running on the machine.
struct StopOnPanic(u32);

impl Drop for StopOnPanic {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let pid = nix::unistd::Pid::from_raw(self.0 as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
        let deadline = Instant::now() + Duration::from_secs(30);
        while alive(self.0) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hifate_up_serves_the_guide_example_through_reloads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("hifate");
    copy_repo(&root);

    let (core_port, fortune_port, main_port) = (free_port(), free_port(), free_port());
    let (analyzer_port, rule_port, payment_port) = (free_port(), free_port(), free_port());
    let (intent_port, optimizer_port, desk_port) = (free_port(), free_port(), free_port());
    let (face_port, face_rule_port) = (free_port(), free_port());
    let target_dir = fixture_target();
    let log = std::fs::File::create(dir.path().join("up.log")).expect("log file");
    let mut up = Command::new(env!("CARGO_BIN_EXE_hifate"))
        .current_dir(&root)
        .args(["up", "--state-dir", "state", "--target-dir"])
        .arg(&target_dir)
        .args(["--port", &format!("bazi_core={core_port}")])
        .args(["--port", &format!("bazi_fortune={fortune_port}")])
        .args(["--port", &format!("bazi_analyzer={analyzer_port}")])
        .args(["--port", &format!("bazi_rule={rule_port}")])
        .args(["--port", &format!("payment_service={payment_port}")])
        .args(["--port", &format!("intent_service={intent_port}")])
        .args(["--port", &format!("prompt_optimizer={optimizer_port}")])
        .args(["--port", &format!("desk_fengshui={desk_port}")])
        .args(["--port", &format!("fortune_analysis={face_port}")])
        .args(["--port", &format!("fortune_rule={face_rule_port}")])
        .args(["--port", &format!("gateway={main_port}")])
        .args(["--port", &format!("admin={main_port}")])
        .stdout(Stdio::from(log.try_clone().expect("log")))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start hifate up");
    let _stop_on_failure = StopOnPanic(up.id());

    let chart = wait_for_chart(main_port, 1, FIRST_BUILD, &mut up).await;
    let data = &chart["data"];
    assert_eq!(chart["success"], json!(true));
    let pillars: Vec<String> = ["year", "month", "day", "hour"]
        .iter()
        .map(|p| {
            let pillar = &data["bazi_pillars"][p];
            format!(
                "{}{}",
                pillar["stem"].as_str().unwrap_or("?"),
                pillar["branch"].as_str().unwrap_or("?")
            )
        })
        .collect();
    assert_eq!(pillars, ["己巳", "丁丑", "庚辰", "壬午"]);
    assert_eq!(data["basic_info"]["lunar_date"]["month"], json!(12));
    assert_eq!(
        data["details"]["year"]["hidden_stems"],
        json!(["丙火", "庚金", "戊土"])
    );

    // The admin API lives on the same port; the gateway is the main service.
    let status: Value = reqwest::get(format!(
        "http://127.0.0.1:{main_port}/api/v1/hot-reload/microservices"
    ))
    .await
    .expect("status")
    .json()
    .await
    .expect("json");
    assert_eq!(status["count"], json!(10), "{status}");
    let core_pid = status["services"]["bazi_core"]["pid"]
        .as_u64()
        .expect("pid") as u32;
    wait_for_versions(
        main_port,
        &[
            ("bazi_core", 1),
            ("bazi_fortune", 1),
            ("bazi_analyzer", 1),
            ("bazi_rule", 1),
            ("payment_service", 1),
            ("intent_service", 1),
            ("prompt_optimizer", 1),
            ("desk_fengshui", 1),
            ("fortune_rule", 1),
            ("fortune_analysis", 1),
            ("gateway", 1),
        ],
        RELOAD,
        &mut up,
    )
    .await;
    let first_gateway = gateway_pid(main_port).await.expect("gateway pid");

    // A question answered by four services: intent_service classifies it,
    // bazi_core, bazi_rule and bazi_fortune answer for the intents and years.
    let smart: Value = reqwest::get(format!(
        "http://127.0.0.1:{main_port}/api/v1/smart-fortune/smart-analyze?question=%E6%88%91%E6%98%8E%E5%B9%B4%E7%9A%84%E4%BA%8B%E4%B8%9A%E8%BF%90%E6%80%8E%E4%B9%88%E6%A0%B7&solar_date=1990-01-15&solar_time=12:00&gender=male&current_date=2026-11-25"
    ))
    .await
    .expect("smart-analyze")
    .json()
    .await
    .expect("json");
    let smart = &smart["data"];
    assert!(
        smart["intent"]["intents"]
            .as_array()
            .is_some_and(|i| i.contains(&json!("career"))),
        "{smart}"
    );
    assert_eq!(smart["fortune"]["target_years"], json!([2027]), "{smart}");
    assert_eq!(
        smart["fortune"]["liunian"][0]["year"],
        json!(2027),
        "{smart}"
    );
    assert_eq!(smart["chart"]["bazi_pillars"], data["bazi_pillars"]);
    assert!(
        smart["rules"].as_array().is_some_and(|r| !r.is_empty()),
        "{smart}"
    );

    // A desk photo: desk_fengshui finds the cup with its detector, and
    // bazi_analyzer (through its front) gives the favourable elements.
    let http = reqwest::Client::new();
    let birth = [
        ("solar_date", "1990-01-15"),
        ("solar_time", "12:00"),
        ("gender", "male"),
    ];
    let (desk, _) = post_photo(
        &http,
        main_port,
        "/api/v2/desk-fengshui/analyze",
        &coffee(),
        &birth,
        "x-desk-fengshui-version",
    )
    .await
    .expect("desk photo");
    assert!(
        desk["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|i| i["name"] == "cup")),
        "{desk}"
    );
    assert!(!desk["xishen"].as_str().unwrap_or("").is_empty(), "{desk}");

    // A face photo: fortune_analysis finds the face mesh, measures it, and
    // matches fortune_rule's rules with the chart bazi_core computes.
    let (face, _) = post_photo(
        &http,
        main_port,
        "/api/v1/fortune/face/analyze",
        &astronaut(),
        &birth,
        "x-fortune-analysis-version",
    )
    .await
    .expect("face photo");
    assert_eq!(
        face["landmarks"].as_array().map(Vec::len),
        Some(468),
        "{face}"
    );
    assert_eq!(face["bazi"]["bazi_pillars"]["day"], json!("庚辰"), "{face}");
    assert!(
        face["insights"].as_array().is_some_and(|i| !i.is_empty()),
        "{face}"
    );
    let event_log = root.join("state/events.jsonl");

    // Edit bazi_core's logic: a new bazi_core serves the same, correct
    // chart; the gateway, which depends on bazi_core's API only, is not
    // touched.
    let seen = events_since(&event_log, 0).len();
    append(
        &root.join("services/bazi_core/src/lib.rs"),
        "\n// A comment is a change: the code is rebuilt and swapped.\n",
    );
    let after = wait_for_chart(main_port, 2, RELOAD, &mut up).await;
    assert_eq!(
        after["data"], chart["data"],
        "the new version computes the same chart"
    );
    assert_eq!(microservice_version(main_port, "bazi_core").await, Some(2));
    assert_eq!(
        versions(main_port).await,
        BTreeMap::from([
            ("bazi_core".to_owned(), 2),
            ("bazi_fortune".to_owned(), 1),
            ("bazi_analyzer".to_owned(), 1),
            ("bazi_rule".to_owned(), 1),
            ("payment_service".to_owned(), 1),
            ("intent_service".to_owned(), 1),
            ("prompt_optimizer".to_owned(), 1),
            ("desk_fengshui".to_owned(), 1),
            ("fortune_rule".to_owned(), 1),
            ("fortune_analysis".to_owned(), 1),
            ("gateway".to_owned(), 1)
        ]),
        "a logic edit of bazi_core reloads bazi_core only"
    );
    let events = events_since(&event_log, seen);
    assert_eq!(
        events_of(&events, "bazi_core", "reload_succeeded").len(),
        1,
        "{events:?}"
    );
    for kind in [
        "files_changed",
        "build_started",
        "version_starting",
        "reload_succeeded",
    ] {
        assert!(
            events_of(&events, "gateway", kind).is_empty(),
            "the gateway saw {kind}: {events:?}"
        );
    }
    assert_eq!(
        gateway_pid(main_port).await,
        Some(first_gateway),
        "the same gateway process serves"
    );

    // Edit bazi_core's API (its .proto): the change belongs to bazi_core and
    // to its caller, and both are rebuilt and swapped, bazi_core first.
    let seen = events_since(&event_log, 0).len();
    let proto = "services/bazi_core/api/proto/bazi/core/bazi_core.proto";
    append(
        &root.join(proto),
        "\n// A comment in the API is a change for every user of the API.\n",
    );
    let after_api = wait_for_chart(main_port, 3, RELOAD, &mut up).await;
    assert_eq!(after_api["data"], chart["data"]);
    wait_for_versions(
        main_port,
        &[
            ("bazi_core", 3),
            ("bazi_fortune", 1),
            ("bazi_analyzer", 1),
            ("bazi_rule", 1),
            ("payment_service", 1),
            ("intent_service", 1),
            ("prompt_optimizer", 1),
            ("desk_fengshui", 1),
            ("fortune_rule", 1),
            // It calls bazi_core through bazi_core's API crate.
            ("fortune_analysis", 2),
            ("gateway", 2),
        ],
        RELOAD,
        &mut up,
    )
    .await;
    assert_eq!(microservice_version(main_port, "bazi_core").await, Some(3));
    let events = events_since(&event_log, seen);
    for (service, version) in [("bazi_core", 3), ("gateway", 2)] {
        let saw_proto = events_of(&events, service, "files_changed")
            .iter()
            .flat_map(|e| e["paths"].as_array().into_iter().flatten())
            .any(|p| p.as_str().is_some_and(|p| p.ends_with(proto)));
        assert!(
            saw_proto,
            "{service} did not see the .proto change: {events:?}"
        );
        let swapped: Vec<_> = events_of(&events, service, "reload_succeeded")
            .iter()
            .map(|e| e["version"].as_u64())
            .collect();
        assert_eq!(swapped, [Some(version)], "{service}: {events:?}");
    }
    assert_ne!(
        gateway_pid(main_port).await,
        Some(first_gateway),
        "a new gateway process serves"
    );
    let reply = calculate(main_port)
        .await
        .expect("chart through the new gateway");
    assert_eq!(reply.1, 3);
    // hifate.toml keeps the default bake window (10 s): the old process
    // stays warm through it, then drains and stops.
    let deadline = Instant::now() + Duration::from_secs(25);
    while alive(core_pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        !alive(core_pid),
        "the old bazi_core process stopped once its bake window passed"
    );

    // Edit bazi_fortune's logic: a new bazi_fortune serves /detail through
    // the gateway; bazi_core and the gateway keep their versions.
    let (detail, fortune_version) = fortune_detail(main_port).await.expect("detail");
    assert_eq!(fortune_version, 1);
    assert_eq!(detail["data"]["dayun_info"]["direction"], json!("backward"));
    // Callers keep calling through the swap: not one call may fail.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let stop = stop.clone();
            tokio::spawn(async move {
                let (mut calls, mut failures) = (0u64, Vec::new());
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    calls += 1;
                    if let Err(error) = fortune_detail(main_port).await {
                        failures.push(error);
                    }
                }
                (calls, failures)
            })
        })
        .collect();
    append(
        &root.join("services/bazi_fortune/src/lib.rs"),
        "\n// A comment is a change: the code is rebuilt and swapped.\n",
    );
    let again = poll(
        "detail from bazi_fortune version 2",
        RELOAD,
        &mut up,
        || async move {
            match fortune_detail(main_port).await? {
                (body, 2) => Ok(body),
                (_, v) => Err(format!("served by bazi_fortune version {v}")),
            }
        },
    )
    .await;
    assert_eq!(again["data"], detail["data"], "the same fortune");
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut calls, mut failures) = (0, Vec::new());
    for caller in callers {
        let (n, mut failed) = caller.await.expect("caller");
        calls += n;
        failures.append(&mut failed);
    }
    println!(
        "bazi_fortune swap under load: {calls} calls, {} failed",
        failures.len()
    );
    assert!(calls > 20, "the callers kept calling ({calls})");
    assert!(
        failures.is_empty(),
        "failed calls across the swap: {failures:?}"
    );
    let mut expected = BTreeMap::from([
        ("bazi_core".to_owned(), 3),
        ("bazi_fortune".to_owned(), 2),
        ("bazi_analyzer".to_owned(), 1),
        ("bazi_rule".to_owned(), 1),
        ("payment_service".to_owned(), 1),
        ("intent_service".to_owned(), 1),
        ("prompt_optimizer".to_owned(), 1),
        ("desk_fengshui".to_owned(), 1),
        ("fortune_rule".to_owned(), 1),
        ("fortune_analysis".to_owned(), 2),
        ("gateway".to_owned(), 2),
    ]);
    assert_eq!(
        versions(main_port).await,
        expected,
        "a logic edit of bazi_fortune reloads bazi_fortune only"
    );

    // Edit desk_fengshui while desk photos are posted through the main
    // service: the new version loads its model before it takes a call, the
    // old one serves until then, and not one photo fails.
    let desk_photo = std::sync::Arc::new(coffee());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let posters: Vec<_> = (0..2)
        .map(|_| {
            let (stop, photo, http) = (stop.clone(), desk_photo.clone(), http.clone());
            tokio::spawn(async move {
                let (mut versions, mut failures) = (Vec::new(), Vec::new());
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let path = "/api/v2/desk-fengshui/analyze";
                    let header = "x-desk-fengshui-version";
                    match post_photo(&http, main_port, path, &photo, &[], header).await {
                        Ok((data, version))
                            if data["items"]
                                .as_array()
                                .is_some_and(|items| items.iter().any(|i| i["name"] == "cup")) =>
                        {
                            versions.push(version)
                        }
                        Ok((data, _)) => failures.push(format!("no cup: {data}")),
                        Err(error) => failures.push(error),
                    }
                }
                (versions, failures)
            })
        })
        .collect();
    append(
        &root.join("services/desk_fengshui/src/lib.rs"),
        "\n// A comment is a change: the code is rebuilt and swapped.\n",
    );
    poll("desk_fengshui version 2", RELOAD, &mut up, || async move {
        match microservice_version(main_port, "desk_fengshui").await {
            Some(2) => Ok(()),
            other => Err(format!("desk_fengshui serves version {other:?}")),
        }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut answered_by, mut failures) = (Vec::new(), Vec::new());
    for poster in posters {
        let (mut versions, mut failed) = poster.await.expect("poster");
        answered_by.append(&mut versions);
        failures.append(&mut failed);
    }
    println!(
        "desk_fengshui swap under load: {} photos, {} failed",
        answered_by.len() + failures.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "failed photos across the swap: {failures:?}"
    );
    assert!(
        answered_by.contains(&1) && answered_by.contains(&2),
        "both versions answered: {answered_by:?}"
    );
    expected.insert("desk_fengshui".to_owned(), 2);
    assert_eq!(
        versions(main_port).await,
        expected,
        "an edit of desk_fengshui reloads desk_fengshui only"
    );

    // Ctrl-C: every child stops, the supervisor exits cleanly.
    let status: Value = reqwest::get(format!(
        "http://127.0.0.1:{main_port}/api/v1/hot-reload/status"
    ))
    .await
    .expect("status")
    .json()
    .await
    .expect("json");
    let pids: Vec<u32> = status["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["pid"].as_u64().map(|p| p as u32))
        .collect();
    assert_eq!(pids.len(), 11, "ten microservices and the gateway");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(up.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .expect("SIGINT");
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(status) = up.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "hifate up did not stop within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let log = std::fs::read_to_string(dir.path().join("up.log")).unwrap_or_default();
    assert!(exit.success(), "hifate up exited with {exit}:\n{log}");
    for pid in pids {
        assert!(!alive(pid), "child {pid} left running:\n{log}");
    }
    assert!(log.contains("all services stopped"), "{log}");
}

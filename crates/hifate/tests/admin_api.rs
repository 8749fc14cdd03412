//! The admin API and the CLI against a running supervisor: real HTTP, real
//! builds, real swaps.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use support::*;

/// Files of a package directory that go into its binary, as the supervisor
/// counts them: no hidden files or build output, no top-level `tests/`,
/// `benches/` or `examples/`.
fn count_files(dir: &Path) -> usize {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            let not_in_binary = e.depth() == 1
                && e.file_type().is_dir()
                && matches!(&*name, "tests" | "benches" | "examples");
            e.depth() == 0 || !(name.starts_with('.') || name == "target" || not_in_binary)
        })
        .flatten()
        .filter(|e| e.file_type().is_file())
        .count()
}

const M: &str = "/api/v1/hot-reload";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_reports_live_values_and_changes_only_what_it_says() {
    let fixture = Fixture::new(&[
        FixtureService {
            name: "one",
            uses_shared: false,
        },
        FixtureService {
            name: "two",
            uses_shared: false,
        },
    ]);
    let supervisor = start(&fixture, "watch = \"off\"").await;
    let admin = Admin::new(&supervisor);

    // Status: the guide's shape, live values.
    let (code, body) = admin.get(&format!("{M}/microservices")).await;
    assert_eq!(code, 200);
    assert_eq!(body["success"], json!(true));
    assert_eq!(body["count"], json!(2));
    let one = &body["services"]["one"];
    assert_eq!(one["service_name"], json!("one"));
    assert_eq!(one["running"], json!(true));
    assert_eq!(one["current_version"], json!(1));
    assert_eq!(one["check_interval"], json!(30));
    assert_eq!(one["version_history_count"], json!(1));
    assert_eq!(one["state"], json!("serving"));
    assert!(one["pid"].as_u64().is_some());
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Its package, its path dependencies (the fixture proto's build
    // dependency too), and the workspace manifest.
    let on_disk = count_files(&fixture.root.join("one"))
        + count_files(&repo.join("crates/hifate-sdk"))
        + count_files(&repo.join("crates/hifate-fixture"))
        + count_files(&repo.join("crates/hifate-build"))
        + 1;
    assert_eq!(one["watched_files"], json!(on_disk));

    // Calls through the proxy are counted in /metrics.
    let mut client = client(fixture.port("one")).await;
    for _ in 0..7 {
        say(&mut client, "m", 0).await.expect("call");
    }
    let metrics = reqwest::get(format!("{}/metrics", admin.base))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let scrape = prometheus_parse::Scrape::parse(metrics.lines().map(|l| Ok(l.to_owned())))
        .expect("Prometheus text");
    let requests: f64 = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "hifate_requests_total" && s.labels.get("service") == Some("one"))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v) => v,
            _ => 0.0,
        })
        .sum();
    assert!(requests >= 7.0, "{metrics}");

    // Without the token: 401, and nothing changes.
    let (code, body) = admin
        .post(&format!("{M}/reload/microservice/one"), None, None)
        .await;
    assert_eq!(code, 401, "{body}");
    let (code, _) = admin
        .post(&format!("{M}/reload/microservice/one"), Some("wrong"), None)
        .await;
    assert_eq!(code, 401);
    let (_, body) = admin.get(&format!("{M}/microservices")).await;
    assert_eq!(body["services"]["one"]["current_version"], json!(1));

    // Live events of a forced reload of one service, in order; only it changes.
    let mut events = supervisor.subscribe();
    let stream = {
        let url = format!("{}{M}/events", admin.base);
        tokio::spawn(async move {
            let mut response = reqwest::get(url).await.expect("events");
            let mut seen = Vec::new();
            let mut text = String::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                text.push_str(&String::from_utf8_lossy(&chunk));
                // Only whole lines: a chunk may end in the middle of one.
                while let Some(end) = text.find('\n') {
                    let line: String = text.drain(..=end).collect();
                    if let Some(name) = line.trim_end().strip_prefix("event: ") {
                        seen.push(name.to_owned());
                    }
                }
                if seen.iter().any(|s| s == "drain_finished") {
                    break;
                }
            }
            seen
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (code, body) = admin
        .post(
            &format!("{M}/reload/microservice/one"),
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["success"], json!(true));
    assert_eq!(body["results"]["one"]["outcome"], json!("swapped"));
    assert_eq!(body["results"]["one"]["version"], json!(2));
    let seen = tokio::time::timeout(Duration::from_secs(30), stream)
        .await
        .expect("events in time")
        .expect("stream task");
    let order = [
        "build_started",
        "build_succeeded",
        "version_starting",
        "reload_succeeded",
        "drain_finished",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|e| {
            seen.iter()
                .position(|s| s == e)
                .unwrap_or_else(|| panic!("{e} missing from {seen:?}"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    wait_event(&mut events, "one", Duration::from_secs(10), |k| {
        matches!(k, hifate::events::EventKind::Stopped { version: 1 })
    })
    .await;
    let (_, body) = admin.get(&format!("{M}/microservices")).await;
    assert_eq!(body["services"]["one"]["current_version"], json!(2));
    assert_eq!(body["services"]["one"]["version_history_count"], json!(2));
    assert_eq!(body["services"]["two"]["current_version"], json!(1));

    // reload-all changes all.
    let (code, body) = admin
        .post(&format!("{M}/reload-all"), Some(&admin.token), None)
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["results"]["one"]["version"], json!(3));
    assert_eq!(body["results"]["two"]["version"], json!(2));

    // A change that does not build: the answer says so, status shows it,
    // the service keeps serving.
    fixture.edit(
        "two/src/main.rs",
        GREETING_LINE,
        "const GREETING: &str = 42;",
    );
    let (code, body) = admin
        .post(
            &format!("{M}/reload/microservice/two"),
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(code, 422, "{body}");
    assert_eq!(body["success"], json!(false));
    assert_eq!(body["results"]["two"]["outcome"], json!("build_failed"));
    assert!(body["results"]["two"]["diagnostics"]
        .as_str()
        .is_some_and(|d| d.contains("mismatched types")));
    let (_, body) = admin.get(&format!("{M}/microservices")).await;
    let two = &body["services"]["two"];
    assert!(
        two["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("mismatched types")),
        "{two}"
    );
    assert_eq!(two["current_version"], json!(2));
    let (reply, version) = say(&mut support::client(fixture.port("two")).await, "up", 0)
        .await
        .expect("two still serves");
    assert_eq!((reply.message.as_str(), version), ("hello v1: up", 2));

    // Bad input is named.
    let (code, body) = admin
        .post(
            &format!("{M}/reload/microservice/nope"),
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(code, 404);
    assert_eq!(body["known_services"], json!(["one", "two"]));
    let (code, body) = admin
        .post(
            &format!("{M}/rollback/one"),
            Some(&admin.token),
            Some("{version: 1"),
        )
        .await;
    assert_eq!(code, 400, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("JSON")));
    let (code, _) = admin.get(&format!("{M}/versions/nope")).await;
    assert_eq!(code, 404);
    let (code, body) = admin.get("/api/v1/bazi/calculate").await;
    assert_eq!(code, 503, "no main service: {body}");

    // Rollback with an explicit version, and the history that shows it.
    let (code, body) = admin
        .post(
            &format!("{M}/rollback/one"),
            Some(&admin.token),
            Some(r#"{"version": 2}"#),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["version"], json!(4));
    let (_, body) = admin.get(&format!("{M}/versions/one")).await;
    assert_eq!(body["current_version"], json!(4));
    assert_eq!(body["count"], json!(4));
    assert_eq!(
        body["versions"][3]["origin"],
        json!({"kind": "rollback", "artifact_of": 2})
    );

    // Two reloads at once are run one after the other, never together.
    let path = format!("{M}/reload/microservice/one");
    let (a, b) = tokio::join!(
        admin.post(&path, Some(&admin.token), None),
        admin.post(&path, Some(&admin.token), None),
    );
    let mut versions = vec![
        a.1["results"]["one"]["version"].as_u64(),
        b.1["results"]["one"]["version"].as_u64(),
    ];
    versions.sort();
    assert_eq!(versions, vec![Some(5), Some(6)], "{a:?} {b:?}");

    // Status and health of the reload system itself.
    let (code, body) = admin.get(&format!("{M}/status")).await;
    assert_eq!(code, 200);
    assert_eq!(body["watcher"]["mode"], json!("off"));
    assert_eq!(body["status"], json!("healthy"));
    let (code, body) = admin.get(&format!("{M}/health")).await;
    assert_eq!((code, &body["status"]), (200, &json!("healthy")));

    // The CLI against the running supervisor.
    let (ok, out) = admin.cli(&["status"]);
    assert!(
        ok && out.contains("one") && out.contains("serving"),
        "{out}"
    );
    let (ok, out) = admin.cli(&["reload", "one"]);
    assert!(ok && out.contains("one: version 7 serving"), "{out}");
    let (ok, out) = admin.cli(&["rollback", "one", "--to", "3"]);
    assert!(ok && out.contains("version 8"), "{out}");
    let (ok, out) = admin.cli(&["versions", "one"]);
    assert!(
        ok && out.contains("rollback of 3") && out.contains("8*"),
        "{out}"
    );
    let (ok, out) = admin.cli(&["reload", "two"]);
    assert!(!ok && out.contains("build failed"), "{out}");
    let (ok, out) = admin.cli(&["logs", "one", "-n", "5"]);
    assert!(ok && out.contains("[one v"), "{out}");
    let output = Command::new(env!("CARGO_BIN_EXE_hifate"))
        .args(["reload", "one", "--url", &admin.base, "--token", "wrong"])
        .output()
        .expect("run hifate");
    assert!(!output.status.success());
    let output = Command::new(env!("CARGO_BIN_EXE_hifate"))
        .args(["status", "--url", "http://127.0.0.1:9"])
        .output()
        .expect("run hifate");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot reach the supervisor"));

    supervisor.shutdown().await;
}

/// The CLI takes the token from the config's `admin_token` when neither
/// `--token` nor `HIFATE_ADMIN_TOKEN` gives one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_reads_the_token_from_the_config() {
    let fixture = Fixture::new(&[FixtureService {
        name: "tokened",
        uses_shared: false,
    }]);
    let supervisor = start(
        &fixture,
        "watch = \"off\"\nadmin_token = \"from-the-config-7\"",
    )
    .await;
    let base = format!("http://{}", supervisor.admin_address());
    let run = |config: &Path| {
        let output = Command::new(env!("CARGO_BIN_EXE_hifate"))
            .args(["rollback", "tokened"])
            .env("HIFATE_URL", &base)
            .env_remove("HIFATE_ADMIN_TOKEN")
            .env("HIFATE_CONFIG", config)
            .env("HIFATE_STATE_DIR", fixture.root.join("no-such-dir"))
            .output()
            .expect("run hifate");
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr)
    };
    // Without a config there is no token: refused for that reason.
    let refused = run(&fixture.root.join("missing.toml"));
    assert!(
        refused.contains("needs `Authorization: Bearer"),
        "{refused}"
    );
    // With it, the call is authorised (and refused only because there is
    // no earlier version to roll back to).
    let answered = run(&fixture.root.join("hifate.toml"));
    assert!(answered.contains("no earlier good version"), "{answered}");
    supervisor.shutdown().await;
}

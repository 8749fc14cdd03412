//! The whole system as a user runs it: `hifate up` on a copy of this
//! repository, the guide's example through the main port, an edit of
//! bazi_core served by a new version, and a clean Ctrl-C.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{alive, free_port, FIRST_BUILD, RELOAD};

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            e.depth() == 0 || !(name == "target" || name.starts_with('.'))
        })
        .flatten()
    {
        let relative = entry.path().strip_prefix(from).expect("inside");
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

async fn calculate(port: u16) -> Result<(Value, u64), String> {
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/v1/bazi/calculate"))
        .json(&json!({"solar_date": "1990-01-15", "solar_time": "12:00", "gender": "male"}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let version = response
        .headers()
        .get("x-bazi-core-version")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("HTTP {status}: {body}"));
    }
    Ok((body, version))
}

async fn wait_for_chart(
    port: u16,
    version: u64,
    limit: Duration,
    up: &mut std::process::Child,
) -> Value {
    let deadline = Instant::now() + limit;
    let mut last;
    loop {
        match calculate(port).await {
            Ok((body, v)) if v == version => return body,
            Ok((_, v)) => last = format!("served by bazi_core version {v}"),
            Err(e) => last = e,
        }
        if let Ok(Some(status)) = up.try_wait() {
            panic!("hifate up exited early ({status}); last: {last}");
        }
        assert!(
            Instant::now() < deadline,
            "no chart from version {version} within {limit:?}; last: {last}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hifate_up_serves_the_guide_example_through_reloads() {
    let repo =
        std::path::absolute(Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")).expect("repo");
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("hifate");
    for item in ["Cargo.toml", "Cargo.lock", "hifate.toml"] {
        std::fs::create_dir_all(&root).expect("mkdir");
        std::fs::copy(repo.join(item), root.join(item)).expect("copy");
    }
    copy_tree(&repo.join("crates"), &root.join("crates"));
    copy_tree(&repo.join("services"), &root.join("services"));

    let (core_port, main_port) = (free_port(), free_port());
    let target_dir = match option_env!("CARGO_TARGET_DIR") {
        Some(dir) => Path::new(dir).join("fixture-target"),
        None => repo.join("target/fixture-target"),
    };
    let log = std::fs::File::create(dir.path().join("up.log")).expect("log file");
    let mut up = Command::new(env!("CARGO_BIN_EXE_hifate"))
        .current_dir(&root)
        .args(["up", "--state-dir", "state", "--target-dir"])
        .arg(&target_dir)
        .args(["--port", &format!("bazi_core={core_port}")])
        .args(["--port", &format!("gateway={main_port}")])
        .args(["--port", &format!("admin={main_port}")])
        .stdout(Stdio::from(log.try_clone().expect("log")))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start hifate up");

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
    assert_eq!(status["count"], json!(1), "{status}");
    let core_pid = status["services"]["bazi_core"]["pid"]
        .as_u64()
        .expect("pid") as u32;

    // Edit bazi_core: a new version serves the same, correct chart.
    let lib = root.join("services/bazi_core/src/lib.rs");
    let mut source = std::fs::read_to_string(&lib).expect("read");
    source.push_str("\n// A comment is a change: the code is rebuilt and swapped.\n");
    std::fs::write(&lib, source).expect("edit");
    let after = wait_for_chart(main_port, 2, RELOAD, &mut up).await;
    assert_eq!(
        after["data"], chart["data"],
        "the new version computes the same chart"
    );
    assert!(
        !alive(core_pid) || {
            tokio::time::sleep(Duration::from_secs(3)).await;
            !alive(core_pid)
        },
        "the old bazi_core process stopped after draining"
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
    assert_eq!(pids.len(), 2);
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

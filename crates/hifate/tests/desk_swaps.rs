//! desk_fengshui under the supervisor: a desk photo posted to the main
//! service (the gateway) is analysed by the real detector, then the service
//! is swapped again and again while photos are posted in a loop — half of
//! them with a birth date, so bazi_analyzer and bazi_rule answer too. Not
//! one call may fail, though every new version loads its model before it
//! takes a call and two copies are in memory during each swap.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hifate::ReloadOutcome;
use serde_json::Value;
use support::{coffee, copy_repo, fixture_target, free_port, post_photo, FIRST_BUILD, RELOAD};

const SWAPS: usize = 5;

/// Posts the photo to the main service (with a birth date or not); the
/// answer's `data` and the desk_fengshui version that answered.
async fn analyze(
    http: &reqwest::Client,
    port: u16,
    photo: &[u8],
    birth: bool,
) -> Result<(Value, u64), String> {
    let fields: &[(&str, &str)] = if birth {
        &[
            ("solar_date", "1990-01-15"),
            ("solar_time", "12:00"),
            ("gender", "male"),
        ]
    } else {
        &[]
    };
    let path = "/api/v2/desk-fengshui/analyze";
    post_photo(http, port, path, photo, fields, "x-desk-fengshui-version").await
}

fn has_cup(data: &Value) -> bool {
    data["items"]
        .as_array()
        .is_some_and(|items| items.iter().any(|item| item["name"] == "cup"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desk_photos_are_analysed_through_swaps_of_desk_fengshui() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("hifate");
    copy_repo(&root);
    let target_dir = fixture_target();
    let main_port = free_port();
    let text = format!(
        "[supervisor]\nadmin_port = {main_port}\nstate_dir = \"state\"\ntarget_dir = \"{}\"\nwatch = \"off\"\n\n\
         [[service]]\nname = \"bazi_rule\"\nport = {}\n\n\
         [[service]]\nname = \"bazi_analyzer\"\nport = {}\ndepends_on = [\"bazi_rule\"]\n\n\
         [[service]]\nname = \"desk_fengshui\"\nport = {}\ndepends_on = [\"bazi_analyzer\"]\nready_timeout_ms = 60000\n\n\
         [[service]]\nname = \"gateway\"\nport = {main_port}\nkind = \"http\"\ndepends_on = [\"desk_fengshui\"]\n",
        target_dir.display(),
        free_port(),
        free_port(),
        free_port(),
    );
    let config = hifate::Config::parse(&text, &root).expect("config");
    let supervisor = tokio::time::timeout(FIRST_BUILD, hifate::start(config))
        .await
        .expect("first build in time")
        .expect("supervisor starts");

    let photo = Arc::new(coffee());
    let http = reqwest::Client::new();
    let (data, version) = analyze(&http, main_port, &photo, true)
        .await
        .expect("a photo through the main service");
    assert!(has_cup(&data), "{data}");
    assert!(!data["xishen"].as_str().unwrap_or("").is_empty(), "{data}");
    assert_eq!(version, 1);

    let stop = Arc::new(AtomicBool::new(false));
    let poster = {
        let (stop, photo, http) = (stop.clone(), photo.clone(), http.clone());
        tokio::spawn(async move {
            let (mut calls, mut versions, mut failures) =
                (0u64, std::collections::BTreeSet::new(), Vec::new());
            while !stop.load(Ordering::Relaxed) {
                calls += 1;
                match analyze(&http, main_port, &photo, calls % 2 == 0).await {
                    Ok((data, version)) if has_cup(&data) => {
                        versions.insert(version);
                    }
                    Ok((data, _)) => failures.push(format!("no cup: {data}")),
                    Err(error) => failures.push(error),
                }
            }
            (calls, versions, failures)
        })
    };
    for swap in 0..SWAPS {
        let outcomes = tokio::time::timeout(
            RELOAD,
            supervisor.rebuild(&["desk_fengshui"], "swap under load"),
        )
        .await
        .expect("reload in time");
        assert!(
            matches!(outcomes["desk_fengshui"], ReloadOutcome::Swapped { .. }),
            "swap {swap}: {:?}",
            outcomes["desk_fengshui"]
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let (calls, versions, failures) = poster.await.expect("poster");
    println!(
        "desk_fengshui: {SWAPS} swaps, {calls} photos posted through the main service ({} failed), versions {versions:?}",
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:?}");
    assert!(calls >= 8, "{calls} calls");
    assert!(
        versions.len() >= 2,
        "calls were answered by several versions: {versions:?}"
    );
    assert_eq!(
        supervisor
            .service("desk_fengshui")
            .and_then(|s| s.current_version()),
        Some(1 + SWAPS as u64)
    );
    supervisor.shutdown().await;
}

//! fortune_analysis and fortune_rule under the supervisor: a face photo
//! posted to the main service (the gateway) is measured from the real face
//! mesh and matched against fortune_rule's rules with bazi_core's chart;
//! then fortune_analysis and fortune_rule are swapped in turn while photos
//! are posted in a loop. Not one call may fail, though every new
//! fortune_analysis loads its models before it takes a call.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hifate::ReloadOutcome;
use serde_json::Value;
use support::{astronaut, copy_repo, fixture_target, free_port, post_photo, FIRST_BUILD, RELOAD};

const SWAPS: usize = 3;

/// Posts the face (with a birth date) to the main service; the answer's
/// `data` and the fortune_analysis version that answered.
async fn analyze(http: &reqwest::Client, port: u16, photo: &[u8]) -> Result<(Value, u64), String> {
    let birth = [
        ("solar_date", "1990-01-15"),
        ("solar_time", "12:00"),
        ("gender", "male"),
    ];
    let path = "/api/v2/face/analyze";
    post_photo(
        http,
        port,
        path,
        photo,
        &birth,
        "x-fortune-analysis-version",
    )
    .await
}

fn measured(data: &Value) -> bool {
    data["landmarks"].as_array().map(Vec::len) == Some(468)
        && data["insights"].as_array().is_some_and(|i| !i.is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn face_photos_are_analysed_through_swaps_of_fortune_analysis_and_fortune_rule() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("hifate");
    copy_repo(&root);
    let target_dir = fixture_target();
    let main_port = free_port();
    let text = format!(
        "[supervisor]\nadmin_port = {main_port}\nstate_dir = \"state\"\ntarget_dir = \"{}\"\nwatch = \"off\"\n\n\
         [[service]]\nname = \"bazi_core\"\nport = {}\n\n\
         [[service]]\nname = \"fortune_rule\"\nport = {}\n\n\
         [[service]]\nname = \"fortune_analysis\"\nport = {}\ndepends_on = [\"bazi_core\", \"fortune_rule\"]\nready_timeout_ms = 60000\n\n\
         [[service]]\nname = \"gateway\"\nport = {main_port}\nkind = \"http\"\ndepends_on = [\"fortune_analysis\"]\n",
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

    let photo = Arc::new(astronaut());
    let http = reqwest::Client::new();
    let (data, version) = analyze(&http, main_port, &photo)
        .await
        .expect("a face through the main service");
    assert!(measured(&data), "{data}");
    assert_eq!(data["bazi"]["bazi_pillars"]["day"], "庚辰", "{data}");
    assert_eq!(version, 1);

    let stop = Arc::new(AtomicBool::new(false));
    let poster = {
        let (stop, photo, http) = (stop.clone(), photo.clone(), http.clone());
        tokio::spawn(async move {
            let (mut calls, mut versions, mut failures) =
                (0u64, std::collections::BTreeSet::new(), Vec::new());
            while !stop.load(Ordering::Relaxed) {
                calls += 1;
                match analyze(&http, main_port, &photo).await {
                    Ok((data, version)) if measured(&data) => {
                        versions.insert(version);
                    }
                    Ok((data, _)) => failures.push(format!("not measured: {data}")),
                    Err(error) => failures.push(error),
                }
            }
            (calls, versions, failures)
        })
    };
    for swap in 0..SWAPS {
        for service in ["fortune_analysis", "fortune_rule"] {
            let outcomes =
                tokio::time::timeout(RELOAD, supervisor.rebuild(&[service], "swap under load"))
                    .await
                    .expect("reload in time");
            assert!(
                matches!(outcomes[service], ReloadOutcome::Swapped { .. }),
                "swap {swap} of {service}: {:?}",
                outcomes[service]
            );
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let (calls, versions, failures) = poster.await.expect("poster");
    println!(
        "fortune_analysis and fortune_rule: {SWAPS} swaps each, {calls} faces posted through the main service ({} failed), versions {versions:?}",
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:?}");
    assert!(calls >= 6, "{calls} calls");
    assert!(
        versions.len() >= 2,
        "calls were answered by several versions: {versions:?}"
    );
    for service in ["fortune_analysis", "fortune_rule"] {
        assert_eq!(
            supervisor
                .service(service)
                .and_then(|s| s.current_version()),
            Some(1 + SWAPS as u64),
            "{service}"
        );
    }
    supervisor.shutdown().await;
}

//! bazi_rule's database across hot swaps: 50 swaps of the real service while
//! one client matches rules in a loop and another creates rules. Not one
//! call may fail, and every rule created is there afterwards — the old and
//! the new version share the SQLite file in `HIFATE_DATA_DIR` during each
//! swap.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bazi_rule_api::bazi_rule_service_client::BaziRuleServiceClient;
use bazi_rule_api::{BaziRuleMatchRequest, ListRulesRequest, PutRuleRequest, Rule};
use hifate::ReloadOutcome;
use support::{copy_repo, fixture_target, free_port, FIRST_BUILD, RELOAD};
use tonic::transport::Channel;

const SWAPS: usize = 50;

async fn client(port: u16) -> BaziRuleServiceClient<Channel> {
    let channel = Channel::from_shared(format!("http://127.0.0.1:{port}"))
        .expect("uri")
        .connect_lazy();
    BaziRuleServiceClient::new(channel)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rules_database_survives_fifty_swaps_under_load() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("hifate");
    copy_repo(&root);
    let target_dir = fixture_target();
    let port = free_port();
    let text = format!(
        "[supervisor]\nadmin_port = {}\nstate_dir = \"state\"\ntarget_dir = \"{}\"\nwatch = \"off\"\n\n[[service]]\nname = \"bazi_rule\"\nport = {port}\n",
        free_port(),
        target_dir.display()
    );
    let config = hifate::Config::parse(&text, &root).expect("config");
    let supervisor = tokio::time::timeout(FIRST_BUILD, hifate::start(config))
        .await
        .expect("first build in time")
        .expect("supervisor starts");

    let stop = Arc::new(AtomicBool::new(false));
    let matcher = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut rules = client(port).await;
            let (mut calls, mut failures) = (0u64, Vec::new());
            while !stop.load(Ordering::Relaxed) {
                calls += 1;
                let request = BaziRuleMatchRequest {
                    solar_date: "1990-01-15".into(),
                    solar_time: "12:00".into(),
                    gender: "male".into(),
                    rule_types: vec!["rizhu_gender".into()],
                    use_cache: false,
                };
                match rules.match_rules(request).await {
                    Ok(answer)
                        if answer
                            .get_ref()
                            .matched_json
                            .contains("rizhu_gender/庚辰/male") => {}
                    Ok(answer) => {
                        failures.push(format!("wrong answer: {}", answer.get_ref().matched_json))
                    }
                    Err(status) => failures.push(status.to_string()),
                }
            }
            (calls, failures)
        })
    };
    let creator = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut rules = client(port).await;
            let (mut created, mut failures) = (Vec::new(), Vec::new());
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let code = format!("load/{i}");
                let rule = Rule {
                    code: code.clone(),
                    name: format!("load rule {i}"),
                    rule_type: "load".into(),
                    conditions_json: r#"{"day_master":"庚"}"#.into(),
                    content_json: format!(r#"{{"text":"rule {i}"}}"#),
                    priority: 0,
                    enabled: true,
                    created_at: String::new(),
                    updated_at: String::new(),
                };
                match rules.create_rule(PutRuleRequest { rule: Some(rule) }).await {
                    Ok(_) => created.push(code),
                    Err(status) => failures.push(format!("{code}: {status}")),
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (created, failures)
        })
    };

    for swap in 0..SWAPS {
        let outcomes = tokio::time::timeout(
            RELOAD,
            supervisor.rebuild(&["bazi_rule"], "swap under load"),
        )
        .await
        .expect("reload in time");
        assert!(
            matches!(outcomes["bazi_rule"], ReloadOutcome::Swapped { .. }),
            "swap {swap}: {:?}",
            outcomes["bazi_rule"]
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let (calls, match_failures) = matcher.await.expect("matcher");
    let (created, create_failures) = creator.await.expect("creator");
    println!(
        "bazi_rule: {SWAPS} swaps, {calls} matches ({} failed), {} rules created ({} failed)",
        match_failures.len(),
        created.len(),
        create_failures.len()
    );
    assert!(match_failures.is_empty(), "{match_failures:?}");
    assert!(create_failures.is_empty(), "{create_failures:?}");
    assert!(
        calls > 100 && created.len() > 20,
        "{calls} calls, {} created",
        created.len()
    );

    // Every rule created is there, read by the version serving now.
    let listed = client(port)
        .await
        .list_rules(ListRulesRequest {
            rule_type: "load".into(),
            include_disabled: true,
        })
        .await
        .expect("list")
        .into_inner();
    let codes: std::collections::BTreeSet<String> =
        listed.rules.into_iter().map(|r| r.code).collect();
    for code in &created {
        assert!(codes.contains(code), "{code} lost");
    }
    assert_eq!(
        supervisor
            .service("bazi_rule")
            .and_then(|s| s.current_version()),
        Some(1 + SWAPS as u64)
    );
    supervisor.shutdown().await;
}

//! intent_service and prompt_optimizer under the supervisor, sharing one
//! data directory (`data = "intent"`): questions are classified in a loop
//! while intent_service is swapped again and again, feedback is sent and
//! weekly reports asked for in another loop while prompt_optimizer is
//! swapped three times, and in the middle of it all the optimizer deploys a
//! new classifier version. Not one call of either loop may fail, and once
//! the new version answers, no call is answered by the old one again —
//! whichever process of intent_service takes it.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hifate::ReloadOutcome;
use intent_service_api::intent_service_client::IntentServiceClient;
use intent_service_api::ClassifyRequest;
use prompt_optimizer_api::prompt_optimizer_service_client::PromptOptimizerServiceClient;
use prompt_optimizer_api::{
    DeployRequest, FeedbackRequest, ImprovementRequest, WeeklyReportRequest,
};
use support::{copy_repo, fixture_target, free_port, FIRST_BUILD, RELOAD};
use tonic::transport::Channel;

const SWAPS: usize = 8;

fn channel(port: u16) -> Channel {
    Channel::from_shared(format!("http://127.0.0.1:{port}"))
        .expect("uri")
        .connect_lazy()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_are_classified_through_swaps_and_a_live_deploy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("hifate");
    copy_repo(&root);
    let target_dir = fixture_target();
    let (intent_port, optimizer_port) = (free_port(), free_port());
    let text = format!(
        "[supervisor]\nadmin_port = {}\nstate_dir = \"state\"\ntarget_dir = \"{}\"\nwatch = \"off\"\n\n\
         [[service]]\nname = \"intent_service\"\nport = {intent_port}\ndata = \"intent\"\nready_timeout_ms = 60000\n\n\
         [[service]]\nname = \"prompt_optimizer\"\nport = {optimizer_port}\ndata = \"intent\"\nready_timeout_ms = 60000\n",
        free_port(),
        target_dir.display(),
    );
    let config = hifate::Config::parse(&text, &root).expect("config");
    let supervisor = tokio::time::timeout(FIRST_BUILD, hifate::start(config))
        .await
        .expect("first build in time")
        .expect("supervisor starts");
    assert!(
        root.join("state/data/intent/intent.sqlite3").is_file(),
        "both services use the shared directory"
    );

    let stop = Arc::new(AtomicBool::new(false));
    let classifier = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut client = IntentServiceClient::new(channel(intent_port));
            let (mut calls, mut answered_by, mut failures) = (0u64, Vec::new(), Vec::new());
            while !stop.load(Ordering::Relaxed) {
                calls += 1;
                let request = ClassifyRequest {
                    question: "我明年的事业和财运怎么样？".into(),
                    context: [("current_date".to_owned(), "2026-11-25".to_owned())].into(),
                    ..ClassifyRequest::default()
                };
                match client.classify(request).await {
                    Ok(answer) => {
                        let answer = answer.into_inner();
                        if answer.intents.iter().any(|i| i == "career")
                            && answer
                                .time_intent
                                .as_ref()
                                .is_some_and(|t| t.target_years == [2027])
                        {
                            answered_by.push(answer.prompt_version);
                        } else {
                            failures.push(format!("wrong answer: {answer:?}"));
                        }
                    }
                    Err(status) => failures.push(status.to_string()),
                }
            }
            (calls, answered_by, failures)
        })
    };

    // Feedback (the prediction was right) and weekly reports, in a loop.
    let reviewer = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut client = PromptOptimizerServiceClient::new(channel(optimizer_port));
            let (mut calls, mut failures) = (0u64, Vec::new());
            while !stop.load(Ordering::Relaxed) {
                calls += 1;
                let result = if calls % 10 == 0 {
                    client
                        .get_weekly_report(WeeklyReportRequest::default())
                        .await
                        .map(|r| r.into_inner().total_requests > 0)
                } else {
                    client
                        .collect_feedback(FeedbackRequest {
                            question: "我明年的事业和财运怎么样？".into(),
                            predicted_intents: vec!["career".into(), "wealth".into()],
                            satisfied: true,
                            user_id: "swap-test".into(),
                            ..FeedbackRequest::default()
                        })
                        .await
                        .map(|r| r.into_inner().success)
                };
                match result {
                    Ok(true) => {}
                    Ok(false) => failures.push(format!("call {calls} answered without success")),
                    Err(status) => failures.push(status.to_string()),
                }
            }
            (calls, failures)
        })
    };

    let mut optimizer = PromptOptimizerServiceClient::new(channel(optimizer_port));
    let mut optimizer_swaps = 0;
    for swap in 0..SWAPS {
        let outcomes = tokio::time::timeout(
            RELOAD,
            supervisor.rebuild(&["intent_service"], "swap under load"),
        )
        .await
        .expect("reload in time");
        assert!(
            matches!(outcomes["intent_service"], ReloadOutcome::Swapped { .. }),
            "swap {swap}: {:?}",
            outcomes["intent_service"]
        );
        if swap == SWAPS / 2 {
            // A new version, trained and deployed while the swaps go on.
            let improved = optimizer
                .generate_improvement(ImprovementRequest::default())
                .await
                .expect("GenerateImprovement")
                .into_inner();
            let deployed = optimizer
                .deploy_prompt(DeployRequest {
                    prompt_version: improved.new_prompt_version.clone(),
                    traffic_percentage: 100.0,
                })
                .await
                .expect("DeployPrompt")
                .into_inner();
            assert!(deployed.success, "{deployed:?}");
            assert_eq!(improved.new_prompt_version, "v2");
        }
        if [1, SWAPS / 2, SWAPS - 1].contains(&swap) {
            let outcomes = tokio::time::timeout(
                RELOAD,
                supervisor.rebuild(&["prompt_optimizer"], "swap under load"),
            )
            .await
            .expect("reload in time");
            assert!(
                matches!(outcomes["prompt_optimizer"], ReloadOutcome::Swapped { .. }),
                "{:?}",
                outcomes["prompt_optimizer"]
            );
            optimizer_swaps += 1;
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let (reviews, review_failures) = reviewer.await.expect("reviewer");
    println!(
        "prompt_optimizer: {optimizer_swaps} swaps, {reviews} feedback and report calls ({} failed)",
        review_failures.len()
    );
    assert!(review_failures.is_empty(), "{review_failures:?}");
    assert!(reviews > 50, "{reviews} calls");
    let (calls, answered_by, failures) = classifier.await.expect("classifier");
    let first_v2 = answered_by.iter().position(|v| v == "v2");
    println!(
        "intent_service: {SWAPS} swaps and a deploy, {calls} classifications ({} failed), v2 from call {first_v2:?}",
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:?}");
    assert!(calls > 50, "{calls} calls");
    let first_v2 = first_v2.expect("the deployed version answered");
    assert!(
        answered_by[..first_v2].iter().all(|v| v == "v1")
            && answered_by[first_v2..].iter().all(|v| v == "v2"),
        "once v2 answers, v1 never does again"
    );
    supervisor.shutdown().await;
}

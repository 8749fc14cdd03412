//! `optimizer.PromptOptimizerService` over real gRPC, beside
//! `intent.IntentService` on the same intent database as in production: the
//! improvement loop from a misread question to its deployed fix, a worse
//! version refused, bad input, weekly reports of a given week, and the
//! `prompt_optimizer` binary itself.
//!
//! Questions are asked on Wednesday 2026-11-25 (`context.current_date`).

use std::path::Path;
use std::sync::LazyLock;

use hifate_sdk::testing::{reflected_services, serve_in_process, TestService};
use hifate_sdk::Identity;
use intent::store::{IntentStore, DATABASE_FILE};
use intent::ModelVersion;
use intent_service::IntentServer;
use intent_service_api::intent_service_client::IntentServiceClient;
use intent_service_api::intent_service_server::IntentServiceServer;
use intent_service_api::{ClassifyRequest, ClassifyResponse};
use prompt_optimizer::Optimizer;
use prompt_optimizer_api::prompt_optimizer_service_client::PromptOptimizerServiceClient;
use prompt_optimizer_api::prompt_optimizer_service_server::PromptOptimizerServiceServer;
use prompt_optimizer_api::{
    DeployRequest, DeployResponse, EvaluateRequest, EvaluateResponse, FeedbackRequest,
    HealthCheckRequest, HealthCheckResponse, ImprovementRequest, WeeklyReportRequest,
    WeeklyReportResponse,
};
use tempfile::TempDir;
use tonic::service::Routes;
use tonic::transport::Channel;
use tonic::{Code, Status};

type Optimizing = PromptOptimizerServiceClient<Channel>;
type Classifying = IntentServiceClient<Channel>;

/// The question the baseline misreads: 转正 is in neither its lexicon nor
/// its training data, so it answers `general` instead of `career`.
const MISREAD: &str = "试用期快结束了，我能顺利转正吗";

/// The bytes of an intent database with the baseline stored and deployed,
/// as `IntentStore::open` leaves a new file. Seeding trains the baseline
/// (about half a second in a debug build), so it runs once and each test
/// gets a copy in a fresh directory; the binary's test seeds an empty one.
static SEEDED: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join(DATABASE_FILE);
    // Closing the only connection checkpoints the WAL into the file.
    drop(IntentStore::open(&path).expect("seed an intent database"));
    std::fs::read(&path).expect("read the seeded database")
});

/// A fresh data directory holding a seeded intent database (v1 deployed).
fn data_dir() -> TempDir {
    let dir = tempfile::tempdir().expect("temporary data directory");
    std::fs::write(dir.path().join(DATABASE_FILE), &*SEEDED).expect("copy the seeded database");
    dir
}

fn identity(service: &str) -> Identity {
    Identity {
        service: service.to_owned(),
        version: 2,
    }
}

/// prompt_optimizer on `data_dir`, in-process.
async fn start_optimizer(data_dir: &Path) -> Optimizing {
    let optimizer = Optimizer::open(data_dir, identity(prompt_optimizer::SERVICE_NAME), None)
        .expect("open prompt_optimizer");
    let addr = serve_in_process(Routes::new(PromptOptimizerServiceServer::new(optimizer))).await;
    PromptOptimizerServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect to prompt_optimizer")
}

/// intent_service on `data_dir`, in-process (the same database file).
async fn start_intent_service(data_dir: &Path) -> Classifying {
    let server = IntentServer::open(data_dir, identity(intent_service::SERVICE_NAME), None)
        .expect("open intent_service");
    let addr = serve_in_process(Routes::new(IntentServiceServer::new(server))).await;
    IntentServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect to intent_service")
}

async fn classify(client: &mut Classifying, question: &str) -> ClassifyResponse {
    client
        .classify(ClassifyRequest {
            question: question.to_owned(),
            user_id: "u-test".to_owned(),
            context: [("current_date".to_owned(), "2026-11-25".to_owned())].into(),
            use_cache: false,
            prompt_version: String::new(),
        })
        .await
        .unwrap_or_else(|status| panic!("Classify {question:?}: {status:?}"))
        .into_inner()
}

/// Feedback on `question` (now), as a client sends it.
fn feedback(
    question: &str,
    predicted: &[String],
    correct: &[&str],
    satisfied: bool,
) -> FeedbackRequest {
    FeedbackRequest {
        question: question.to_owned(),
        predicted_intents: predicted.to_vec(),
        confidence: 0.6,
        correct_intents: correct.iter().map(|i| (*i).to_owned()).collect(),
        satisfied,
        comment: String::new(),
        user_id: "u-test".to_owned(),
        timestamp: 0,
    }
}

/// `intents` as the strings a client sends.
fn names(intents: &[&str]) -> Vec<String> {
    intents.iter().map(|i| (*i).to_owned()).collect()
}

async fn collect(client: &mut Optimizing, request: FeedbackRequest) -> i64 {
    let response = client
        .collect_feedback(request)
        .await
        .expect("CollectFeedback")
        .into_inner();
    assert!(response.success, "{}", response.message);
    assert!(response.feedback_id > 0);
    response.feedback_id
}

async fn report(client: &mut Optimizing, week: &str) -> WeeklyReportResponse {
    client
        .get_weekly_report(WeeklyReportRequest {
            week: week.to_owned(),
        })
        .await
        .unwrap_or_else(|status| panic!("GetWeeklyReport {week:?}: {status:?}"))
        .into_inner()
}

async fn evaluate(client: &mut Optimizing, old: &str, new: &str) -> EvaluateResponse {
    client
        .evaluate_prompt(EvaluateRequest {
            old_prompt_version: old.to_owned(),
            new_prompt_text: String::new(),
            new_prompt_version: new.to_owned(),
        })
        .await
        .unwrap_or_else(|status| panic!("EvaluatePrompt {old:?} → {new:?}: {status:?}"))
        .into_inner()
}

async fn deploy(client: &mut Optimizing, version: &str) -> DeployResponse {
    client
        .deploy_prompt(DeployRequest {
            prompt_version: version.to_owned(),
            traffic_percentage: 100.0,
        })
        .await
        .unwrap_or_else(|status| panic!("DeployPrompt {version:?}: {status:?}"))
        .into_inner()
}

async fn health(client: &mut Optimizing) -> HealthCheckResponse {
    client
        .health_check(HealthCheckRequest {})
        .await
        .expect("HealthCheck")
        .into_inner()
}

/// The message names both versions' accuracy and macro-F1 as the response
/// reports them.
#[track_caller]
fn assert_numbers_in(message: &str, response: &DeployResponse) {
    for number in [
        response.old_accuracy,
        response.old_macro_f1,
        response.new_accuracy,
        response.new_macro_f1,
    ] {
        let shown = format!("{number:.3}");
        assert!(message.contains(&shown), "{shown} missing from: {message}");
    }
}

#[track_caller]
fn assert_invalid(status: &Status, prefix: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().starts_with(prefix),
        "expected a message starting {prefix:?}: {}",
        status.message()
    );
}

/// A unix time in China Standard Time, where weeks are counted.
fn beijing(day: u8, hour: u8, minute: u8, second: u8) -> i64 {
    let date = time::Date::from_calendar_date(2026, time::Month::November, day).expect("a date");
    let offset = time::UtcOffset::from_hms(8, 0, 0).expect("UTC+8");
    date.with_hms(hour, minute, second)
        .expect("a time")
        .assume_offset(offset)
        .unix_timestamp()
}

#[tokio::test]
async fn the_improvement_loop_fixes_a_misread_question_live() {
    let dir = data_dir();
    let mut intents = start_intent_service(dir.path()).await;
    let mut optimizer = start_optimizer(dir.path()).await;

    // 1. The deployed baseline misreads the question.
    let wrong = classify(&mut intents, MISREAD).await;
    assert_eq!(wrong.prompt_version, "v1");
    assert_ne!(wrong.intents, ["career"], "{}", wrong.reasoning);
    assert!(wrong.is_fortune_related);

    // 2. Users say so, beside other feedback of the week.
    collect(
        &mut optimizer,
        FeedbackRequest {
            confidence: wrong.confidence,
            comment: "问的是转正，是工作上的事".to_owned(),
            ..feedback(MISREAD, &wrong.intents, &["career"], false)
        },
    )
    .await;
    let promotion = classify(&mut intents, "我明年能升职吗").await;
    collect(
        &mut optimizer,
        feedback("我明年能升职吗", &promotion.intents, &[], true),
    )
    .await;
    let wealth = classify(&mut intents, "今年的财运好不好").await;
    collect(
        &mut optimizer,
        feedback("今年的财运好不好", &wealth.intents, &["wealth"], true),
    )
    .await;
    let health_question = classify(&mut intents, "我的身体健康要注意什么").await;
    collect(
        &mut optimizer,
        FeedbackRequest {
            comment: "太笼统".to_owned(),
            ..feedback(
                "我的身体健康要注意什么",
                &health_question.intents,
                &[],
                false,
            )
        },
    )
    .await;

    // 3. This week's report shows the error.
    let week = report(&mut optimizer, "").await;
    assert_eq!(week.total_requests, 4);
    // Right: the satisfied prediction and the one corrected to itself.
    assert!((week.accuracy - 0.5).abs() < 1e-6, "{}", week.accuracy);
    let error = week
        .common_errors
        .iter()
        .find(|e| e.should_be == "career")
        .unwrap_or_else(|| panic!("no error that should be career: {:?}", week.common_errors));
    assert_eq!(error.pattern, wrong.intents.join(","));
    assert_eq!(error.count, 1);
    assert_eq!(error.examples, [MISREAD]);
    let career = week
        .intents
        .iter()
        .find(|m| m.intent == "career")
        .expect("career metrics");
    // Two career questions, one of them missed; no false career.
    assert_eq!(career.support, 2);
    assert!((career.recall - 0.5).abs() < 1e-6, "{career:?}");
    assert!((career.precision - 1.0).abs() < 1e-6, "{career:?}");
    assert_eq!(week.accuracy_by_intent.get("career"), Some(&career.f1));
    let wealth_metrics = week
        .intents
        .iter()
        .find(|m| m.intent == "wealth")
        .expect("wealth metrics");
    assert_eq!((wealth_metrics.support, wealth_metrics.f1), (1, 1.0));
    // Macro-F1 averages the intents some feedback truly carries, as the
    // evaluation of versions does (not the intents only ever predicted).
    let supported: Vec<f32> = week
        .intents
        .iter()
        .filter(|m| m.support > 0)
        .map(|m| m.f1)
        .collect();
    assert!(
        week.intents.iter().any(|m| m.support == 0),
        "{:?}",
        week.intents
    );
    let mean = supported.iter().sum::<f32>() / supported.len() as f32;
    assert!(
        (week.macro_f1 - mean).abs() < 1e-6,
        "{} != {mean}",
        week.macro_f1
    );
    assert!(week.macro_f1 > 0.0 && week.macro_f1 < 1.0);
    assert!(week.week.contains("-W"), "{}", week.week);

    // 4. A new version learns from the correction; it is stored, not deployed.
    let improvement = optimizer
        .generate_improvement(ImprovementRequest {
            current_prompt_version: String::new(),
        })
        .await
        .expect("GenerateImprovement")
        .into_inner();
    assert_eq!(improvement.new_prompt_version, "v2");
    assert!(!improvement.suggested_additions.is_empty());
    assert!(
        improvement
            .suggested_additions
            .iter()
            .any(|a| a == "career:转正"),
        "{:?}",
        improvement.suggested_additions
    );
    assert!(!improvement.reasoning.is_empty());
    assert!(
        improvement.reasoning.starts_with("v2 from v1"),
        "{}",
        improvement.reasoning
    );
    let summary: serde_json::Value =
        serde_json::from_str(&improvement.new_prompt_text).expect("new_prompt_text is JSON");
    assert_eq!(summary["version"], "v2");
    assert_eq!(summary["parent"], "v1");
    assert_eq!(health(&mut optimizer).await.deployed_prompt_version, "v1");
    assert_eq!(classify(&mut intents, MISREAD).await.prompt_version, "v1");

    // 5. It is not worse, and it reads the corrected question right.
    let evaluation = evaluate(&mut optimizer, "", "v2").await;
    assert_eq!(evaluation.old_prompt_version, "v1");
    assert_eq!(evaluation.new_prompt_version, "v2");
    assert!(
        evaluation.new_accuracy >= evaluation.old_accuracy,
        "{} < {}",
        evaluation.new_accuracy,
        evaluation.old_accuracy
    );
    assert!(
        evaluation.new_macro_f1 >= evaluation.old_macro_f1,
        "{} < {}",
        evaluation.new_macro_f1,
        evaluation.old_macro_f1
    );
    let gained = evaluation.new_accuracy - evaluation.old_accuracy;
    assert!((evaluation.improvement - gained).abs() < 1e-6);
    // GenerateImprovement's new_prompt_text, passed straight back, names
    // the same candidate.
    let by_text = optimizer
        .evaluate_prompt(EvaluateRequest {
            old_prompt_version: String::new(),
            new_prompt_text: improvement.new_prompt_text.clone(),
            new_prompt_version: String::new(),
        })
        .await
        .expect("EvaluatePrompt with new_prompt_text")
        .into_inner();
    assert_eq!(by_text.new_prompt_version, "v2");
    assert_eq!(
        (by_text.new_accuracy, by_text.new_macro_f1, by_text.cases),
        (
            evaluation.new_accuracy,
            evaluation.new_macro_f1,
            evaluation.cases
        )
    );
    // The held-out labeled questions plus the three feedback items that
    // tell the truth (not the unsatisfied one without a correction).
    let held_out = intent::dataset::held_out().len();
    assert_eq!(usize::try_from(evaluation.cases).ok(), Some(held_out + 3));
    let fixed = evaluation
        .improved_cases
        .iter()
        .find(|case| case.question == MISREAD)
        .unwrap_or_else(|| panic!("{MISREAD} not improved: {:?}", evaluation.improved_cases));
    assert_eq!(
        (fixed.expected.as_slice(), fixed.predicted.as_slice()),
        (&names(&["career"])[..], &names(&["career"])[..])
    );

    // 6. Deployed, with both versions' numbers in the message.
    let deployed = deploy(&mut optimizer, "v2").await;
    assert!(deployed.success, "{}", deployed.message);
    // The second deployment of the database (the first is v1's).
    assert_eq!(deployed.deployment_id, "deploy-2-v2");
    assert!(
        deployed.message.contains("v2 deployed"),
        "{}",
        deployed.message
    );
    assert_numbers_in(&deployed.message, &deployed);
    assert_eq!(
        (deployed.old_accuracy, deployed.new_accuracy),
        (evaluation.old_accuracy, evaluation.new_accuracy)
    );

    // 7. intent_service answers with it on its very next call.
    let right = classify(&mut intents, MISREAD).await;
    assert_eq!(right.prompt_version, "v2");
    assert_eq!(right.intents, ["career"], "{}", right.reasoning);
    let status = health(&mut optimizer).await;
    assert_eq!(status.status, "healthy");
    assert_eq!(status.deployed_prompt_version, "v2");
    assert_eq!(status.feedback_count, 4);

    // Deploying it again changes nothing.
    let again = deploy(&mut optimizer, "v2").await;
    assert!(
        again.success && again.message.contains("already deployed"),
        "{}",
        again.message
    );
}

#[tokio::test]
async fn a_question_marked_off_topic_is_refused_by_the_next_version() {
    let dir = data_dir();
    let mut intents = start_intent_service(dir.path()).await;
    let mut optimizer = start_optimizer(dir.path()).await;
    // The housing market, which the baseline answers as a fortune question.
    let question = "明年房价会涨吗";
    let answered = classify(&mut intents, question).await;
    assert!(answered.is_fortune_related, "{}", answered.reasoning);

    collect(
        &mut optimizer,
        FeedbackRequest {
            comment: "这不是算命的问题".to_owned(),
            ..feedback(question, &answered.intents, &["off_topic"], false)
        },
    )
    .await;
    let week = report(&mut optimizer, "").await;
    assert_eq!(week.total_requests, 1);
    assert_eq!(week.accuracy, 0.0);
    let error = &week.common_errors[0];
    assert_eq!(
        (error.pattern.clone(), error.should_be.as_str(), error.count),
        (answered.intents.join(","), "off_topic", 1)
    );

    let improvement = optimizer
        .generate_improvement(ImprovementRequest {
            current_prompt_version: String::new(),
        })
        .await
        .expect("GenerateImprovement")
        .into_inner();
    assert_eq!(improvement.new_prompt_version, "v2");
    let evaluation = evaluate(&mut optimizer, "", "v2").await;
    let fixed = evaluation
        .improved_cases
        .iter()
        .find(|case| case.question == question)
        .unwrap_or_else(|| panic!("{question} not improved: {:?}", evaluation.improved_cases));
    assert!(
        fixed.expected.is_empty() && fixed.predicted.is_empty(),
        "{fixed:?}"
    );
    let deployed = deploy(&mut optimizer, "v2").await;
    assert!(deployed.success, "{}", deployed.message);

    let refused = classify(&mut intents, question).await;
    assert_eq!(refused.prompt_version, "v2");
    assert!(!refused.is_fortune_related, "{}", refused.reasoning);
    assert_eq!(refused.reject_message, intent::REJECT_MESSAGE);
    let still = classify(&mut intents, "明年适合买房吗").await;
    assert!(still.is_fortune_related, "{}", still.reasoning);
}

/// An embedder whose batch call (a classifier's build) takes [`SLOW_BUILD`].
struct SlowToBuild;

const SLOW_BUILD: std::time::Duration = std::time::Duration::from_millis(1500);

impl intent::Embedder for SlowToBuild {
    fn embed(&self, text: &str) -> Result<Vec<f32>, intent::EmbedError> {
        intent::CharBigramEmbedder::default().embed(text)
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, intent::EmbedError> {
        std::thread::sleep(SLOW_BUILD);
        texts.iter().map(|text| self.embed(text)).collect()
    }

    fn name(&self) -> &str {
        "slow to build"
    }
}

#[tokio::test]
async fn feedback_and_health_checks_do_not_wait_for_an_evaluation() {
    let dir = data_dir();
    let optimizer = Optimizer::open(
        dir.path(),
        identity(prompt_optimizer::SERVICE_NAME),
        Some(std::sync::Arc::new(SlowToBuild)),
    )
    .expect("open prompt_optimizer");
    let addr = serve_in_process(Routes::new(PromptOptimizerServiceServer::new(optimizer))).await;
    let client = PromptOptimizerServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect to prompt_optimizer");
    let v2 =
        ModelVersion::lexicon_only().renamed("v2".to_owned(), Some("v1".to_owned()), 1_800_000_000);
    IntentStore::open(dir.path().join(DATABASE_FILE))
        .expect("open the shared intent database")
        .save_version(&v2)
        .expect("store v2");

    // The evaluation builds two classifiers, each embedding its prototypes.
    let mut evaluating = client.clone();
    let evaluation = tokio::spawn(async move { evaluate(&mut evaluating, "", "v2").await });
    tokio::time::sleep(SLOW_BUILD / 5).await;
    let mut other = client.clone();
    let started = std::time::Instant::now();
    collect(
        &mut other,
        feedback("我明年能升职吗", &names(&["career"]), &[], true),
    )
    .await;
    let status = health(&mut other).await;
    let waited = started.elapsed();
    assert_eq!(status.feedback_count, 1);
    assert!(
        waited < SLOW_BUILD / 2,
        "waited {waited:?} for the evaluation"
    );
    let evaluation = evaluation.await.expect("the evaluation");
    assert_eq!(evaluation.new_prompt_version, "v2");
}

#[tokio::test]
async fn a_worse_version_is_refused() {
    let dir = data_dir();
    let mut intents = start_intent_service(dir.path()).await;
    let mut optimizer = start_optimizer(dir.path()).await;
    let worse =
        ModelVersion::lexicon_only().renamed("v9".to_owned(), Some("v1".to_owned()), 1_800_000_000);
    IntentStore::open(dir.path().join(DATABASE_FILE))
        .expect("open the shared intent database")
        .save_version(&worse)
        .expect("store v9");

    // Without its trained classifier it really is worse.
    let evaluation = evaluate(&mut optimizer, "", "v9").await;
    assert_eq!(evaluation.old_prompt_version, "v1");
    assert!(
        evaluation.new_accuracy < evaluation.old_accuracy
            || evaluation.new_macro_f1 < evaluation.old_macro_f1,
        "v9 {} / {} against v1 {} / {}",
        evaluation.new_accuracy,
        evaluation.new_macro_f1,
        evaluation.old_accuracy,
        evaluation.old_macro_f1
    );
    assert!(!evaluation.degraded_cases.is_empty());

    let refused = deploy(&mut optimizer, "v9").await;
    assert!(!refused.success, "{}", refused.message);
    assert!(
        refused.message.starts_with("refused"),
        "{}",
        refused.message
    );
    assert!(
        refused.message.contains("v9") && refused.message.contains("v1"),
        "{}",
        refused.message
    );
    assert_numbers_in(&refused.message, &refused);
    assert_eq!(
        (
            refused.old_accuracy,
            refused.new_accuracy,
            refused.old_macro_f1,
            refused.new_macro_f1
        ),
        (
            evaluation.old_accuracy,
            evaluation.new_accuracy,
            evaluation.old_macro_f1,
            evaluation.new_macro_f1
        )
    );
    assert!(refused.deployment_id.is_empty());

    // Nothing changed.
    assert_eq!(health(&mut optimizer).await.deployed_prompt_version, "v1");
    let answer = classify(&mut intents, "明年适合跳槽吗").await;
    assert_eq!(answer.prompt_version, "v1");
}

#[tokio::test]
async fn bad_input_is_invalid_argument_naming_the_field() {
    let dir = data_dir();
    let mut optimizer = start_optimizer(dir.path()).await;
    let good = || feedback("我明年能升职吗", &names(&["career"]), &[], true);

    let feedback_cases = [
        (
            FeedbackRequest {
                question: "  ".to_owned(),
                ..good()
            },
            "question:",
        ),
        (
            FeedbackRequest {
                question: "事".repeat(501),
                ..good()
            },
            "question:",
        ),
        (
            FeedbackRequest {
                predicted_intents: names(&["career", "luck"]),
                ..good()
            },
            "predicted_intents:",
        ),
        (
            FeedbackRequest {
                correct_intents: names(&["romance"]),
                ..good()
            },
            "correct_intents:",
        ),
        (
            FeedbackRequest {
                correct_intents: names(&["off_topic", "career"]),
                ..good()
            },
            "correct_intents:",
        ),
        (
            FeedbackRequest {
                confidence: 1.5,
                ..good()
            },
            "confidence:",
        ),
        (
            FeedbackRequest {
                confidence: -0.1,
                ..good()
            },
            "confidence:",
        ),
    ];
    for (request, field) in feedback_cases {
        let status = optimizer.collect_feedback(request).await.expect_err(field);
        assert_invalid(&status, field);
    }
    let status = optimizer
        .collect_feedback(FeedbackRequest {
            correct_intents: names(&["romance"]),
            ..good()
        })
        .await
        .expect_err("unknown intent");
    assert!(
        status.message().contains("career"),
        "lists the known intents: {}",
        status.message()
    );

    for week in ["2026-W99", "next tuesday", "2026-13-01"] {
        let status = optimizer
            .get_weekly_report(WeeklyReportRequest {
                week: week.to_owned(),
            })
            .await
            .expect_err(week);
        assert_invalid(&status, "week:");
    }

    let status = optimizer
        .deploy_prompt(DeployRequest {
            prompt_version: "v1".to_owned(),
            traffic_percentage: 50.0,
        })
        .await
        .expect_err("partial traffic");
    assert_invalid(&status, "traffic_percentage:");
    let status = optimizer
        .deploy_prompt(DeployRequest {
            prompt_version: "v42".to_owned(),
            traffic_percentage: 100.0,
        })
        .await
        .expect_err("unknown version");
    assert_invalid(&status, "prompt_version:");
    let status = optimizer
        .deploy_prompt(DeployRequest {
            prompt_version: " ".to_owned(),
            traffic_percentage: 100.0,
        })
        .await
        .expect_err("no version");
    assert_invalid(&status, "prompt_version:");

    let evaluations = [
        (
            EvaluateRequest {
                old_prompt_version: String::new(),
                new_prompt_text: String::new(),
                new_prompt_version: "v42".to_owned(),
            },
            "new_prompt_version:",
        ),
        (
            EvaluateRequest {
                old_prompt_version: "v42".to_owned(),
                new_prompt_text: String::new(),
                new_prompt_version: "v1".to_owned(),
            },
            "old_prompt_version:",
        ),
        (
            EvaluateRequest {
                old_prompt_version: String::new(),
                new_prompt_text: String::new(),
                new_prompt_version: String::new(),
            },
            "new_prompt_version:",
        ),
    ];
    for (request, field) in evaluations {
        let status = optimizer.evaluate_prompt(request).await.expect_err(field);
        assert_invalid(&status, field);
    }

    let status = optimizer
        .generate_improvement(ImprovementRequest {
            current_prompt_version: "v42".to_owned(),
        })
        .await
        .expect_err("unknown base version");
    assert_invalid(&status, "current_prompt_version:");

    // None of it was stored.
    let status = health(&mut optimizer).await;
    assert_eq!(status.feedback_count, 0);
    assert_eq!(status.deployed_prompt_version, "v1");
}

#[tokio::test]
async fn a_weekly_report_counts_only_its_week() {
    let dir = data_dir();
    let mut optimizer = start_optimizer(dir.path()).await;
    let at =
        |question: &str, predicted: &[&str], correct: &[&str], timestamp: i64| FeedbackRequest {
            timestamp,
            ..feedback(question, &names(predicted), correct, false)
        };
    // 2026-W47 is Monday 16 to Sunday 22 November, in China Standard Time.
    let items = [
        at(
            "上周的最后一问：我的财运怎么样",
            &["career"],
            &["wealth"],
            beijing(15, 23, 59, 59),
        ),
        at(
            "我的事业什么时候有起色",
            &["general"],
            &["career"],
            beijing(16, 0, 0, 0),
        ),
        at(
            "我今年适合结婚吗",
            &["marriage"],
            &["marriage"],
            beijing(22, 23, 59, 59),
        ),
        at(
            "下周一的问题：我的健康如何",
            &["general"],
            &["health"],
            beijing(23, 0, 0, 0),
        ),
    ];
    for item in items {
        collect(&mut optimizer, item).await;
    }

    let w47 = report(&mut optimizer, "2026-W47").await;
    assert_eq!(w47.total_requests, 2);
    assert_eq!(w47.week, "2026-W47 (2026-11-16..2026-11-22)");
    assert!((w47.accuracy - 0.5).abs() < 1e-6, "{}", w47.accuracy);
    assert_eq!(w47.common_errors.len(), 1, "{:?}", w47.common_errors);
    let error = &w47.common_errors[0];
    assert_eq!(
        (error.pattern.as_str(), error.should_be.as_str()),
        ("general", "career")
    );
    assert_eq!(error.examples, ["我的事业什么时候有起色"]);
    let supported: Vec<(&str, i32)> = w47
        .intents
        .iter()
        .filter(|m| m.support > 0)
        .map(|m| (m.intent.as_str(), m.support))
        .collect();
    assert_eq!(supported, [("career", 1), ("marriage", 1)]);

    // A date inside the week names the same week.
    let by_date = report(&mut optimizer, "2026-11-18").await;
    assert_eq!(by_date.week, w47.week);
    assert_eq!(by_date.total_requests, 2);

    let w48 = report(&mut optimizer, "2026-W48").await;
    assert_eq!(w48.total_requests, 1);
    assert_eq!(w48.common_errors[0].should_be, "health");
    let w46 = report(&mut optimizer, "2026-W46").await;
    assert_eq!(w46.total_requests, 1);
    assert_eq!(w46.common_errors[0].should_be, "wealth");
    let empty = report(&mut optimizer, "2026-W40").await;
    assert_eq!((empty.total_requests, empty.common_errors.len()), (0, 0));
}

#[tokio::test]
async fn the_binary_serves_prompt_optimizer() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let service = TestService::grpc(env!("CARGO_BIN_EXE_prompt_optimizer"))
        .env("HIFATE_VERSION", "6")
        // Without the embedding model, whatever the test's environment says.
        .env(intent::e5::MODEL_VAR, "")
        .data_dir(dir.path())
        .start()
        .await;
    let channel = service.channel();
    assert_eq!(
        reflected_services(channel.clone()).await,
        [
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "optimizer.PromptOptimizerService",
        ]
    );
    let mut client = PromptOptimizerServiceClient::new(channel.clone());
    let status = health(&mut client).await;
    assert_eq!(status.status, "healthy");
    assert_eq!(status.version, "6");
    assert_eq!(status.deployed_prompt_version, "v1");
    assert_eq!(status.feedback_count, 0);
    collect(
        &mut client,
        feedback("我明年能升职吗", &names(&["career"]), &[], true),
    )
    .await;
    assert_eq!(health(&mut client).await.feedback_count, 1);
    drop(client);
    drop(channel);
    service.stop().await;
    assert!(
        dir.path().join(DATABASE_FILE).is_file(),
        "the intent database is in the data directory"
    );
}

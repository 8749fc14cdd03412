//! `intent.IntentService` over real gRPC: in-process servers on free TCP
//! ports (each on its own temporary data directory), a second
//! [`IntentStore`] handle on the same file standing in for prompt_optimizer
//! (storing and deploying versions while the service runs), and the
//! `intent_service` binary itself.
//!
//! Every question is asked on Wednesday 2026-11-25 (`context.current_date`),
//! so time phrases resolve the same on every run.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use hifate_sdk::testing::{reflected_services, serve_in_process, TestService};
use hifate_sdk::Identity;
use intent::store::{IntentStore, DATABASE_FILE};
use intent::{Embedder, Intent, ModelVersion};
use intent_service::IntentServer;
use intent_service_api::intent_service_client::IntentServiceClient;
use intent_service_api::intent_service_server::IntentServiceServer;
use intent_service_api::{
    BatchClassifyRequest, ClassifyRequest, ClassifyResponse, HealthCheckRequest,
    HealthCheckResponse,
};
use tempfile::TempDir;
use tonic::service::Routes;
use tonic::transport::Channel;
use tonic::{Code, Status};

type Client = IntentServiceClient<Channel>;

/// The day every question is asked on.
const TODAY: &str = "2026-11-25";

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

/// Serves `IntentServer` on `data_dir` in-process and connects to it.
async fn start_with(data_dir: &Path, embedder: Option<Arc<dyn Embedder>>) -> Client {
    let identity = Identity {
        service: intent_service::SERVICE_NAME.to_owned(),
        version: 3,
    };
    let server = IntentServer::open(data_dir, identity, embedder).expect("open intent_service");
    let addr = serve_in_process(Routes::new(IntentServiceServer::new(server))).await;
    IntentServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect to the in-process server")
}

async fn start(data_dir: &Path) -> Client {
    start_with(data_dir, None).await
}

/// A second handle on the service's database, as prompt_optimizer holds.
fn other_process(data_dir: &Path) -> IntentStore {
    IntentStore::open(data_dir.join(DATABASE_FILE)).expect("open the shared intent database")
}

/// The lexicon-only version stored under `id` (no trained classifier).
fn lexicon_only(id: &str) -> ModelVersion {
    ModelVersion::lexicon_only().renamed(id.to_owned(), Some("v1".to_owned()), 1_800_000_000)
}

fn ask(question: &str) -> ClassifyRequest {
    ask_on(question, TODAY)
}

fn ask_on(question: &str, date: &str) -> ClassifyRequest {
    ClassifyRequest {
        question: question.to_owned(),
        user_id: "u-test".to_owned(),
        context: [("current_date".to_owned(), date.to_owned())].into(),
        use_cache: false,
        prompt_version: String::new(),
    }
}

fn with_version(mut request: ClassifyRequest, version: &str) -> ClassifyRequest {
    request.prompt_version = version.to_owned();
    request
}

fn cached(mut request: ClassifyRequest) -> ClassifyRequest {
    request.use_cache = true;
    request
}

async fn classify(client: &mut Client, request: ClassifyRequest) -> ClassifyResponse {
    let question = request.question.clone();
    client
        .classify(request)
        .await
        .unwrap_or_else(|status| panic!("Classify {question:?}: {status:?}"))
        .into_inner()
}

async fn health(client: &mut Client) -> HealthCheckResponse {
    client
        .health_check(HealthCheckRequest {})
        .await
        .expect("HealthCheck")
        .into_inner()
}

fn intents(response: &ClassifyResponse) -> BTreeSet<&str> {
    response.intents.iter().map(String::as_str).collect()
}

/// The rule types the library assigns to `intents`, in order, without repeats.
fn rule_types_of(intents: &[Intent]) -> Vec<String> {
    let mut types: Vec<String> = Vec::new();
    for t in intents.iter().flat_map(|i| i.rule_types()) {
        if !types.iter().any(|known| known == t) {
            types.push((*t).to_owned());
        }
    }
    types
}

/// The answer without its timing, for comparing two answers.
fn untimed(mut response: ClassifyResponse) -> ClassifyResponse {
    response.response_time_ms = 0;
    response
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

#[tokio::test]
async fn every_intent_has_a_clear_question() {
    let dir = data_dir();
    let mut client = start(dir.path()).await;
    let cases = [
        ("我明年能升职吗", Intent::Career),
        ("今年的财运好不好", Intent::Wealth),
        ("我什么时候能遇到正缘", Intent::Marriage),
        ("我的身体健康要注意什么", Intent::Health),
        ("我的性格是内向还是外向", Intent::Personality),
        ("我的八字是身强还是身弱", Intent::Wangshui),
        ("我的喜用神和忌神分别是什么", Intent::Yongji),
        ("我命里的七杀代表什么", Intent::Shishen),
        ("我的纳音是什么命", Intent::Nayin),
        ("帮我看看我的命盘整体如何", Intent::General),
    ];
    let mut answered = BTreeSet::new();
    for (question, intent) in cases {
        let r = classify(&mut client, ask(question)).await;
        assert_eq!(r.intents, [intent.as_str()], "{question}: {}", r.reasoning);
        assert!(r.is_fortune_related, "{question}");
        assert!(r.reject_message.is_empty(), "{question}");
        assert!(!r.is_ambiguous, "{question}: {}", r.reasoning);
        assert!(
            (0.5..=1.0).contains(&r.confidence),
            "{question}: {}",
            r.confidence
        );
        assert!(!r.rule_types.is_empty(), "{question}");
        assert_eq!(r.rule_types, rule_types_of(&[intent]), "{question}");
        assert!(!r.keywords.is_empty(), "{question}");
        assert!(
            r.reasoning.contains(intent.as_str()),
            "{question}: {}",
            r.reasoning
        );
        assert_eq!(r.prompt_version, "v1");
        assert!(!r.cached);
        answered.insert(intent);
    }
    assert_eq!(answered, Intent::ALL.into_iter().collect());
}

#[tokio::test]
async fn several_intents_and_their_time() {
    let dir = data_dir();
    let mut client = start(dir.path()).await;
    let r = classify(&mut client, ask("我明年的事业和财运怎么样？")).await;
    assert_eq!(
        intents(&r),
        BTreeSet::from(["career", "wealth"]),
        "{}",
        r.reasoning
    );
    assert!(!r.is_ambiguous, "{}", r.reasoning);
    for keyword in ["事业", "财运"] {
        assert!(r.keywords.iter().any(|k| k == keyword), "{:?}", r.keywords);
    }
    // Both intents' rule types, each once.
    let both = rule_types_of(&[Intent::Career, Intent::Wealth]);
    assert_eq!(
        r.rule_types.iter().collect::<BTreeSet<_>>(),
        both.iter().collect::<BTreeSet<_>>()
    );
    assert_eq!(r.rule_types.len(), both.len());
    let time = r.time_intent.expect("明年 is a time");
    assert_eq!(time.r#type, "next_year");
    assert_eq!(time.target_years, [2027]);
    assert_eq!(time.description, "2027年（明年）");
    assert!(time.is_explicit, "the question names the year (明年)");
    assert!(
        r.reasoning.contains("time: 2027年（明年）"),
        "{}",
        r.reasoning
    );

    // A question without a time has none.
    let timeless = classify(&mut client, ask("我的喜用神是什么")).await;
    assert_eq!(timeless.time_intent, None);
}

#[tokio::test]
async fn vague_questions_are_ambiguous() {
    let dir = data_dir();
    let mut client = start(dir.path()).await;
    for question in ["我该怎么选择", "这件事能成吗", "帮我看看"] {
        let r = classify(&mut client, ask(question)).await;
        assert!(r.is_ambiguous, "{question}: {}", r.reasoning);
        assert!(r.is_fortune_related, "{question}");
        assert_eq!(r.intents, ["general"], "{question}");
        assert!(r.confidence < 0.5, "{question}: {}", r.confidence);
        assert!(r.reasoning.contains("ambiguous"), "{}", r.reasoning);
    }
    let clear = classify(&mut client, ask("我的喜用神是什么")).await;
    assert!(!clear.is_ambiguous, "{}", clear.reasoning);
}

#[tokio::test]
async fn every_time_phrase_resolves_as_the_library_does() {
    // (question, type, target years, description, is_explicit): the
    // library's answers (crates/intent/tests/time.rs) for 2026-11-25.
    let table: &[(&str, &str, &[i32], &str, bool)] = &[
        (
            "我今年的事业运怎么样",
            "this_year",
            &[2026],
            "2026年（今年）",
            true,
        ),
        (
            "明年适合跳槽吗",
            "next_year",
            &[2027],
            "2027年（明年）",
            true,
        ),
        (
            "后年财运会不会好转",
            "year_after_next",
            &[2028],
            "2028年（后年）",
            true,
        ),
        (
            "去年为什么那么不顺",
            "last_year",
            &[2025],
            "2025年（去年）",
            true,
        ),
        (
            "前年破财是命里注定的吗",
            "year_before_last",
            &[2024],
            "2024年（前年）",
            true,
        ),
        (
            "2026年的婚姻运",
            "specific_year",
            &[2026],
            "2026年（今年）",
            true,
        ),
        (
            "二〇二六年的财运",
            "specific_year",
            &[2026],
            "2026年（今年）",
            true,
        ),
        (
            "26年能不能找到好工作",
            "specific_year",
            &[2026],
            "2026年（今年）",
            true,
        ),
        (
            "未来三年事业发展如何",
            "future_years",
            &[2027, 2028, 2029],
            "2027年至2029年（未来三年）",
            true,
        ),
        (
            "接下来两年财运和感情运",
            "future_years",
            &[2027, 2028],
            "2027年至2028年（接下来两年）",
            true,
        ),
        (
            "近五年的事业运走势",
            "recent_years",
            &[2022, 2023, 2024, 2025, 2026],
            "2022年至2026年（近五年）",
            true,
        ),
        (
            "下半年工作上会有变动吗",
            "half_year",
            &[2026],
            "2026年下半年",
            true,
        ),
        (
            "下个月面试能成功吗",
            "month",
            &[2026],
            "2026年12月（下个月）",
            true,
        ),
        (
            "这个月的感情运势如何",
            "month",
            &[2026],
            "2026年11月（这个月）",
            true,
        ),
        (
            "今天适合做什么",
            "day",
            &[2026],
            "2026年11月25日（今天）",
            true,
        ),
        (
            "明天开业好不好",
            "day",
            &[2026],
            "2026年11月26日（明天）",
            true,
        ),
        // No phrase names the time: the current year is implied.
        (
            "最近运气很差",
            "implied",
            &[2026],
            "2026年（最近，按当年计）",
            false,
        ),
    ];
    let dir = data_dir();
    let mut client = start(dir.path()).await;
    for &(question, kind, years, description, explicit) in table {
        let r = classify(&mut client, ask(question)).await;
        let time = r
            .time_intent
            .unwrap_or_else(|| panic!("{question}: no time_intent"));
        assert_eq!(time.r#type, kind, "{question}");
        assert_eq!(time.target_years, years, "{question}");
        assert_eq!(time.description, description, "{question}");
        assert_eq!(time.is_explicit, explicit, "{question}");
    }
    // The same phrase on another day: 明年 follows current_date.
    let later = classify(&mut client, ask_on("明年适合跳槽吗", "2030-02-01")).await;
    assert_eq!(later.time_intent.map(|t| t.target_years), Some(vec![2031]));
}

#[tokio::test]
async fn off_topic_questions_are_refused_politely() {
    let dir = data_dir();
    let mut client = start(dir.path()).await;
    for question in [
        "今天上海天气怎么样",
        "用Rust写一个HTTP服务器",
        "番茄炒蛋怎么做",
    ] {
        let r = classify(&mut client, ask(question)).await;
        assert!(!r.is_fortune_related, "{question}: {}", r.reasoning);
        assert!(!r.reject_message.is_empty(), "{question}");
        assert_eq!(r.reject_message, intent::REJECT_MESSAGE);
        assert!(r.intents.is_empty(), "{question}: {:?}", r.intents);
        assert!(r.rule_types.is_empty(), "{question}");
        assert!(
            r.reasoning.contains("not a fortune-telling question"),
            "{question}: {}",
            r.reasoning
        );
        assert_eq!(r.prompt_version, "v1");
    }
}

#[tokio::test]
async fn a_lexicon_only_version_answers_when_named() {
    let dir = data_dir();
    let mut client = start(dir.path()).await;
    other_process(dir.path())
        .save_version(&lexicon_only("v2"))
        .expect("store v2");

    let r = classify(&mut client, with_version(ask("明年适合跳槽吗"), "v2")).await;
    assert_eq!(r.prompt_version, "v2");
    assert_eq!(r.intents, ["career"], "{}", r.reasoning);
    assert!(r.reasoning.contains("lexicon: "), "{}", r.reasoning);
    assert!(!r.reasoning.contains("classifier:"), "{}", r.reasoning);
    let off = classify(&mut client, with_version(ask("明天北京会下雨吗"), "v2")).await;
    assert!(!off.is_fortune_related, "{}", off.reasoning);

    // Naming v2 does not deploy it: the deployed version still answers, with
    // both its signals and no embeddings (no model given).
    let deployed = classify(&mut client, ask("明年适合跳槽吗")).await;
    assert_eq!(deployed.prompt_version, "v1");
    assert!(
        deployed.reasoning.contains("classifier: "),
        "{}",
        deployed.reasoning
    );
    let h = health(&mut client).await;
    assert_eq!(h.status, "healthy");
    assert_eq!(h.version, "3");
    assert_eq!(h.prompt_version, "v1");
    assert_eq!(h.signals, ["lexicon", "classifier"]);
}

#[tokio::test]
async fn a_deployment_by_another_process_answers_the_next_call() {
    let dir = data_dir();
    let mut client = start(dir.path()).await;
    let question = "明年适合跳槽吗";
    assert_eq!(
        classify(&mut client, ask(question)).await.prompt_version,
        "v1"
    );

    let mut store = other_process(dir.path());
    store.save_version(&lexicon_only("v2")).expect("store v2");
    store.deploy("v2").expect("deploy v2");
    let r = classify(&mut client, ask(question)).await;
    assert_eq!(r.prompt_version, "v2", "no restart needed");
    assert_eq!(r.intents, ["career"]);
    assert!(!r.reasoning.contains("classifier:"), "{}", r.reasoning);
    let h = health(&mut client).await;
    assert_eq!(h.prompt_version, "v2");
    assert_eq!(
        (
            h.status.as_str(),
            h.deployed_prompt_version.as_str(),
            h.deploy_error.as_str()
        ),
        ("healthy", "v2", "")
    );
    assert_eq!(h.signals, ["lexicon"]);

    // And back.
    store.deploy("v1").expect("deploy v1 again");
    let r = classify(&mut client, ask(question)).await;
    assert_eq!(r.prompt_version, "v1");
    assert!(r.reasoning.contains("classifier: "), "{}", r.reasoning);
    assert_eq!(health(&mut client).await.signals, ["lexicon", "classifier"]);
}

/// Replaces the stored body of version `id`, as SQL sees it.
fn rewrite_body(data_dir: &Path, id: &str, body: &str) {
    let conn = rusqlite::Connection::open(data_dir.join(DATABASE_FILE)).expect("open the database");
    let changed = conn
        .execute(
            "UPDATE intent_versions SET body = ?2 WHERE id = ?1",
            rusqlite::params![id, body],
        )
        .expect("rewrite a version body");
    assert_eq!(changed, 1, "{id} is stored");
}

fn stored_body(data_dir: &Path, id: &str) -> String {
    let conn = rusqlite::Connection::open(data_dir.join(DATABASE_FILE)).expect("open the database");
    conn.query_row(
        "SELECT body FROM intent_versions WHERE id = ?1",
        [id],
        |row| row.get(0),
    )
    .expect("a stored body")
}

/// A body no release can read.
const CORRUPT_BODY: &str = r#"{"id": "broken", "lexicon": "unreadable"}"#;

#[tokio::test]
async fn a_deployed_version_that_cannot_be_built_leaves_the_one_in_use_answering() {
    let dir = data_dir();
    let mut client = start(dir.path()).await;
    let question = "明年适合跳槽吗";
    assert_eq!(
        classify(&mut client, ask(question)).await.prompt_version,
        "v1"
    );

    // Another process deploys v2, whose stored body cannot be read.
    let mut store = other_process(dir.path());
    store.save_version(&lexicon_only("v2")).expect("store v2");
    let good_body = stored_body(dir.path(), "v2");
    rewrite_body(dir.path(), "v2", CORRUPT_BODY);
    store.deploy("v2").expect("deploy v2");

    // v1 keeps answering, and says so.
    let r = classify(&mut client, ask(question)).await;
    assert_eq!(r.prompt_version, "v1");
    assert_eq!(r.intents, ["career"], "{}", r.reasoning);
    let h = health(&mut client).await;
    assert_eq!(h.status, "degraded");
    assert_eq!(h.prompt_version, "v1", "the version answering");
    assert_eq!(h.deployed_prompt_version, "v2");
    assert!(
        h.deploy_error.contains("v2") && h.deploy_error.contains("cannot be read"),
        "{}",
        h.deploy_error
    );
    assert_eq!(h.signals, ["lexicon", "classifier"]);

    // Once the body reads again, a later build picks v2 up (the first retry
    // comes RETRY_FIRST after the failure, without a restart).
    rewrite_body(dir.path(), "v2", &good_body);
    let deadline = std::time::Instant::now() + 10 * intent_service::RETRY_FIRST;
    loop {
        let r = classify(&mut client, ask(question)).await;
        if r.prompt_version == "v2" {
            assert!(!r.reasoning.contains("classifier:"), "{}", r.reasoning);
            break;
        }
        assert_eq!(r.prompt_version, "v1");
        assert!(std::time::Instant::now() < deadline, "v2 never answered");
        tokio::time::sleep(intent_service::RETRY_FIRST / 4).await;
    }
    let h = health(&mut client).await;
    assert_eq!(
        (
            h.status.as_str(),
            h.prompt_version.as_str(),
            h.deployed_prompt_version.as_str()
        ),
        ("healthy", "v2", "v2")
    );
    assert_eq!(h.deploy_error, "");

    // A process started while the deployed version (v3) cannot be built
    // answers with the newest earlier deployment (v2).
    store.save_version(&lexicon_only("v3")).expect("store v3");
    rewrite_body(dir.path(), "v3", CORRUPT_BODY);
    store.deploy("v3").expect("deploy v3");
    let mut restarted = start(dir.path()).await;
    assert_eq!(
        classify(&mut restarted, ask(question)).await.prompt_version,
        "v2"
    );
    let h = health(&mut restarted).await;
    assert_eq!(
        (
            h.status.as_str(),
            h.prompt_version.as_str(),
            h.deployed_prompt_version.as_str()
        ),
        ("degraded", "v2", "v3")
    );
}

/// An embedder whose batch call (a classifier's build) takes [`SLOW_BUILD`].
struct SlowToBuild;

const SLOW_BUILD: std::time::Duration = std::time::Duration::from_millis(1500);

impl Embedder for SlowToBuild {
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
async fn calls_during_a_rebuild_answer_with_the_classifier_in_use() {
    let dir = data_dir();
    let client = start_with(dir.path(), Some(Arc::new(SlowToBuild))).await;
    let question = "明年适合跳槽吗";
    let mut store = other_process(dir.path());
    store.save_version(&lexicon_only("v2")).expect("store v2");
    store.deploy("v2").expect("deploy v2");

    // The first call after the deploy builds v2 (slowly) and answers with it.
    let mut first = client.clone();
    let building = tokio::spawn(async move { classify(&mut first, ask(question)).await });
    tokio::time::sleep(SLOW_BUILD / 5).await;
    // Meanwhile another call, and a health check, answer at once with v1.
    let mut second = client.clone();
    let started = std::time::Instant::now();
    let meanwhile = classify(&mut second, ask(question)).await;
    let h = health(&mut second).await;
    let waited = started.elapsed();
    assert_eq!(meanwhile.prompt_version, "v1");
    assert_eq!(
        (
            h.prompt_version.as_str(),
            h.deployed_prompt_version.as_str()
        ),
        ("v1", "v2")
    );
    assert_eq!(h.status, "healthy", "a build under way is no failure");
    assert!(waited < SLOW_BUILD / 2, "waited {waited:?} for the build");

    let built = building.await.expect("the first call");
    assert_eq!(built.prompt_version, "v2");
    assert_eq!(
        classify(&mut second, ask(question)).await.prompt_version,
        "v2"
    );
}

#[tokio::test]
async fn batches_keep_order_and_equal_single_answers() {
    let dir = data_dir();
    let mut client = start(dir.path()).await;
    let questions = [
        "我明年能升职吗",
        "番茄炒蛋怎么做",
        "我明年的事业和财运怎么样？",
        "我的纳音是什么命",
        "这件事能成吗",
    ];
    let requests: Vec<ClassifyRequest> = questions.iter().map(|q| ask(q)).collect();
    let batch = client
        .batch_classify(BatchClassifyRequest {
            requests: requests.clone(),
        })
        .await
        .expect("BatchClassify")
        .into_inner()
        .responses;
    assert_eq!(batch.len(), questions.len());
    for (request, answer) in requests.into_iter().zip(batch) {
        let question = request.question.clone();
        let single = classify(&mut client, request).await;
        assert_eq!(untimed(answer), untimed(single), "{question}");
    }

    let too_many = vec![ask("我明年能升职吗"); intent_service::MAX_BATCH + 1];
    let status = client
        .batch_classify(BatchClassifyRequest { requests: too_many })
        .await
        .expect_err("101 requests");
    assert_invalid(&status, "requests:");
    assert!(status.message().contains("101"), "{}", status.message());
    let most = vec![ask("我明年能升职吗"); intent_service::MAX_BATCH];
    let answered = client
        .batch_classify(BatchClassifyRequest { requests: most })
        .await
        .expect("100 requests")
        .into_inner();
    assert_eq!(answered.responses.len(), intent_service::MAX_BATCH);

    let status = client
        .batch_classify(BatchClassifyRequest {
            requests: vec![ask("我明年能升职吗"), ask("  ")],
        })
        .await
        .expect_err("an empty question in the batch");
    assert_invalid(&status, "requests[1].question");
    let status = client
        .batch_classify(BatchClassifyRequest {
            requests: vec![
                ask("我明年能升职吗"),
                ask("我的纳音是什么命"),
                with_version(ask("我明年能升职吗"), "v99"),
            ],
        })
        .await
        .expect_err("an unknown version in the batch");
    assert_invalid(&status, "requests[2].prompt_version");
}

#[tokio::test]
async fn the_cache_answers_the_same_question_on_the_same_day() {
    let dir = data_dir();
    let mut client = start(dir.path()).await;
    let question = "我明年的事业和财运怎么样？";
    let first = classify(&mut client, cached(ask(question))).await;
    assert!(!first.cached);
    let second = classify(&mut client, cached(ask(question))).await;
    assert!(second.cached, "the second ask is a hit");
    assert_eq!(second.intents, first.intents);
    assert_eq!(second.time_intent, first.time_intent);
    assert_eq!(second.prompt_version, first.prompt_version);

    // Another day reads 明年 differently: not a hit.
    let next_year = classify(&mut client, cached(ask_on(question, "2027-03-01"))).await;
    assert!(!next_year.cached);
    assert_eq!(
        next_year.time_intent.map(|t| t.target_years),
        Some(vec![2028])
    );
    // Without use_cache the answer is computed afresh.
    assert!(!classify(&mut client, ask(question)).await.cached);
    // Another version is not a hit either.
    other_process(dir.path())
        .save_version(&lexicon_only("v2"))
        .expect("store v2");
    let v2 = classify(&mut client, cached(with_version(ask(question), "v2"))).await;
    assert!(!v2.cached);
    assert_eq!(v2.prompt_version, "v2");
}

#[tokio::test]
async fn bad_input_is_invalid_argument_naming_the_field() {
    let dir = data_dir();
    let mut client = start(dir.path()).await;
    let cases = [
        (ask(""), "question:"),
        (ask(" \t "), "question:"),
        (ask(&"事".repeat(501)), "question:"),
        (
            ask_on("我明年能升职吗", "2026-13-40"),
            "context.current_date:",
        ),
        (
            ask_on("我明年能升职吗", "next tuesday"),
            "context.current_date:",
        ),
        (
            with_version(ask("我明年能升职吗"), "v99"),
            "prompt_version:",
        ),
    ];
    for (request, field) in cases {
        let status = client.classify(request).await.expect_err(field);
        assert_invalid(&status, field);
        assert_ne!(status.code(), Code::Internal);
    }
    let status = client
        .classify(with_version(ask("我明年能升职吗"), "v99"))
        .await
        .expect_err("v99");
    assert!(
        status.message().contains("v1"),
        "names the stored versions: {}",
        status.message()
    );

    // 500 characters are still classified.
    let longest = classify(
        &mut client,
        ask(&"事".repeat(intent_service::MAX_QUESTION_CHARS)),
    )
    .await;
    assert_eq!(longest.prompt_version, "v1");
}

#[tokio::test]
async fn embeddings_join_when_the_model_is_installed() {
    let Some(model) = std::env::var_os(intent::e5::MODEL_VAR)
        .map(std::path::PathBuf::from)
        .filter(|path| path.is_file())
    else {
        println!("skipped: set HIFATE_E5_MODEL (run crates/e5/fetch-model.sh)");
        return;
    };
    let embedder = intent::e5::load_if_present(&model).expect("load the e5 model");
    assert!(embedder.is_some(), "{} exists", model.display());
    let dir = data_dir();
    let mut client = start_with(dir.path(), embedder).await;
    let h = health(&mut client).await;
    assert_eq!(
        h.signals,
        [
            "lexicon",
            "classifier",
            "embeddings (multilingual-e5-small (q4))"
        ]
    );
    let r = classify(&mut client, ask("我明年能升职吗")).await;
    assert_eq!(r.intents, ["career"], "{}", r.reasoning);
    assert!(
        r.reasoning
            .contains("embeddings (multilingual-e5-small (q4))"),
        "{}",
        r.reasoning
    );
    let off = classify(&mut client, ask("番茄炒蛋怎么做")).await;
    assert!(!off.is_fortune_related, "{}", off.reasoning);
}

#[tokio::test]
async fn the_binary_serves_intent_service() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let service = TestService::grpc(env!("CARGO_BIN_EXE_intent_service"))
        .env("HIFATE_VERSION", "5")
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
            "intent.IntentService",
        ]
    );
    let mut client = IntentServiceClient::new(channel.clone());
    let r = classify(&mut client, ask("我明年的事业和财运怎么样？")).await;
    assert_eq!(intents(&r), BTreeSet::from(["career", "wealth"]));
    assert_eq!(r.prompt_version, "v1");
    let h = health(&mut client).await;
    assert_eq!((h.status.as_str(), h.version.as_str()), ("healthy", "5"));
    drop(client);
    drop(channel);
    service.stop().await;
    assert!(
        dir.path().join(DATABASE_FILE).is_file(),
        "the intent database is in the data directory"
    );
}

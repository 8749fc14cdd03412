//! `bazi.analyzer.BaziAnalyzerService` over real gRPC: an in-process
//! bazi_rule (on a temporary data directory) and an in-process analyzer
//! calling it, each on a free TCP port; the analyzer with bazi_rule
//! unreachable; and the `bazi_analyzer` binary itself (health, reflection,
//! SIGTERM) calling the in-process bazi_rule.

use std::fmt;
use std::net::SocketAddr;

use bazi_analyzer::BaziAnalyzer;
use bazi_analyzer_api::bazi_analyzer_service_client::BaziAnalyzerServiceClient;
use bazi_analyzer_api::bazi_analyzer_service_server::BaziAnalyzerServiceServer;
use bazi_analyzer_api::{BaziAnalyzerRequest, BaziAnalyzerResponse, HealthCheckRequest};
use bazi_rule::BaziRule;
use bazi_rule_api::bazi_rule_service_server::BaziRuleServiceServer;
use hifate_sdk::testing::{reflected_services, serve_in_process, TestService};
use hifate_sdk::{Identity, Peer};
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::Deserializer as _;
use serde_json::Value;
use tempfile::TempDir;
use tonic::service::Routes;
use tonic::transport::Channel;
use tonic::Code;

type Client = BaziAnalyzerServiceClient<Channel>;

const ALL_TYPES: [&str; 5] = [
    "wangshuai",
    "xishen_jishen",
    "wuxing_balance",
    "ten_gods_energy",
    "rizhu_gender",
];

/// Serves bazi_rule in-process on 127.0.0.1:<free port>, its database in a
/// fresh temporary directory (kept alive by the returned guard).
async fn start_rules() -> (SocketAddr, TempDir) {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let identity = Identity {
        service: "bazi_rule".to_owned(),
        version: 0,
    };
    let rules = BaziRule::open(dir.path(), identity).expect("open the rules database");
    let addr = serve_in_process(Routes::new(BaziRuleServiceServer::new(rules))).await;
    (addr, dir)
}

/// Serves the analyzer in-process on 127.0.0.1:<free port>, calling
/// bazi_rule at `rules`, and returns a client.
async fn start_analyzer(rules: SocketAddr) -> Client {
    let identity = Identity {
        service: "bazi_analyzer".to_owned(),
        version: 2,
    };
    let peer = Peer::new("bazi_rule").at(rules.to_string());
    let analyzer = BaziAnalyzer::connect_lazy(identity, &peer).expect("a bazi_rule client");
    let addr = serve_in_process(Routes::new(BaziAnalyzerServiceServer::new(analyzer))).await;
    BaziAnalyzerServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect to the in-process analyzer")
}

/// bazi_rule and an analyzer calling it.
async fn start() -> (Client, TempDir) {
    let (rules, dir) = start_rules().await;
    (start_analyzer(rules).await, dir)
}

/// An address nothing listens on (bound, then released).
fn unused_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind a free port")
}

fn request(date: &str, time: &str, gender: &str, types: &[&str]) -> BaziAnalyzerRequest {
    BaziAnalyzerRequest {
        solar_date: date.to_owned(),
        solar_time: time.to_owned(),
        gender: gender.to_owned(),
        analysis_types: types.iter().map(|t| (*t).to_owned()).collect(),
    }
}

/// The guide's example: 1990-01-15 12:00 male.
fn guide(types: &[&str]) -> BaziAnalyzerRequest {
    request("1990-01-15", "12:00", "male", types)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The keys of a JSON object, in the order written (serde_json's `Value`
/// sorts them).
fn keys_in_order(text: &str) -> Vec<String> {
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
            let mut keys = Vec::new();
            while let Some((key, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
                keys.push(key);
            }
            Ok(keys)
        }
    }
    serde_json::Deserializer::from_str(text)
        .deserialize_map(Keys)
        .unwrap_or_else(|e| panic!("not a JSON object ({e}): {text}"))
}

async fn run(client: &mut Client, request: BaziAnalyzerRequest) -> BaziAnalyzerResponse {
    client
        .run_analyzers(request)
        .await
        .expect("RunAnalyzers")
        .into_inner()
}

/// Checks the guide example's results (whichever types are present).
fn check_guide_results(results: &Value) {
    if let Some(wangshuai) = results.get("wangshuai") {
        assert_eq!(wangshuai["level"], "中和");
        assert_eq!(wangshuai["day_master"], "庚");
        assert_eq!(wangshuai["month"]["season"], "冬");
    }
    if let Some(xishen) = results.get("xishen_jishen") {
        assert_eq!(xishen["level"], "中和");
        assert!(xishen["favourable"]
            .as_array()
            .is_some_and(|f| !f.is_empty()));
        assert!(xishen["unfavourable"]
            .as_array()
            .is_some_and(|u| !u.is_empty()));
    }
    if let Some(balance) = results.get("wuxing_balance") {
        let elements = balance["elements"].as_array().expect("elements");
        assert_eq!(elements.len(), 5);
        let sum: f64 = elements
            .iter()
            .map(|e| e["percent"].as_f64().expect("percent"))
            .sum();
        assert!((sum - 100.0).abs() < 1e-9, "percentages sum to {sum}");
    }
    if let Some(energy) = results.get("ten_gods_energy") {
        assert_eq!(energy["ten_gods"].as_array().map(Vec::len), Some(10));
        assert_eq!(energy["groups"].as_array().map(Vec::len), Some(5));
    }
    if let Some(rizhu) = results.get("rizhu_gender") {
        assert_eq!(rizhu["ganzhi"], "庚辰");
        assert_eq!(rizhu["gender"], "male");
        assert_eq!(rizhu["nayin"], "白蜡金");
    }
}

#[tokio::test]
async fn every_type_by_default_in_order_for_the_guide_example() {
    let (mut client, _dir) = start().await;
    let response = run(&mut client, guide(&[])).await;

    assert_eq!(keys_in_order(&response.results_json), ALL_TYPES);
    let results = json(&response.results_json);
    check_guide_results(&results);

    let rizhu = &results["rizhu_gender"];
    let rules = rizhu["rules"].as_array().expect("rules from bazi_rule");
    assert_eq!(rules[0]["code"], "rizhu_gender/庚辰/male");
    assert_eq!(rules[0]["rule_type"], "rizhu_gender");
    assert!(rules[0]["content"]["text"].is_string());
    assert!(rizhu.get("rules_error").is_none(), "{rizhu}");

    let metadata = json(&response.metadata_json);
    assert_eq!(metadata["analysis_types"], serde_json::json!(ALL_TYPES));
    assert_eq!(metadata["service"], "bazi_analyzer");
    assert_eq!(metadata["service_version"], 2);

    let ok = client
        .health_check(HealthCheckRequest {})
        .await
        .expect("HealthCheck")
        .into_inner();
    assert_eq!(ok.status, "ok");
}

#[tokio::test]
async fn a_subset_in_the_order_asked_without_repeats() {
    let (mut client, _dir) = start().await;
    let response = run(
        &mut client,
        guide(&[
            "rizhu_gender",
            "wuxing_balance",
            " Wangshuai ",
            "rizhu_gender",
            "wuxing_balance",
        ]),
    )
    .await;
    assert_eq!(
        keys_in_order(&response.results_json),
        ["rizhu_gender", "wuxing_balance", "wangshuai"]
    );
    check_guide_results(&json(&response.results_json));
    assert_eq!(
        json(&response.metadata_json)["analysis_types"],
        serde_json::json!(["rizhu_gender", "wuxing_balance", "wangshuai"])
    );

    let response = run(&mut client, guide(&["ten_gods_energy"])).await;
    assert_eq!(keys_in_order(&response.results_json), ["ten_gods_energy"]);
    check_guide_results(&json(&response.results_json));

    // Another chart: another day pillar, and its own rule.
    let response = run(
        &mut client,
        request("1985-05-20", "23:30", "female", &["rizhu_gender"]),
    )
    .await;
    let rizhu = &json(&response.results_json)["rizhu_gender"];
    let ganzhi = rizhu["ganzhi"].as_str().expect("ganzhi");
    assert_eq!(rizhu["gender"], "female");
    assert_eq!(
        rizhu["rules"][0]["code"],
        format!("rizhu_gender/{ganzhi}/female")
    );
}

#[tokio::test]
async fn bad_input_is_invalid_argument_naming_the_field() {
    let (mut client, _dir) = start().await;

    let status = client
        .run_analyzers(guide(&["wangshuai", "palmistry"]))
        .await
        .expect_err("an unknown type is refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().starts_with("analysis_types: "),
        "{}",
        status.message()
    );
    assert!(
        status.message().contains("palmistry"),
        "{}",
        status.message()
    );
    for known in ALL_TYPES {
        assert!(
            status.message().contains(known),
            "lists {known}: {}",
            status.message()
        );
    }

    let cases = [
        ("1990-02-30", "12:00", "male", "solar_date: "),
        ("", "12:00", "male", "solar_date: "),
        ("1990-01-15", "24:00", "male", "solar_time: "),
        ("1990-01-15", "12", "male", "solar_time: "),
        ("1990-01-15", "12:00", "", "gender: "),
        ("1990-01-15", "12:00", "man?", "gender: "),
    ];
    for (date, time, gender, prefix) in cases {
        let status = client
            .run_analyzers(request(date, time, gender, &[]))
            .await
            .expect_err("bad input is refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(
            status.message().starts_with(prefix),
            "expected {prefix:?}: {}",
            status.message()
        );
    }
}

#[tokio::test]
async fn bazi_rule_unreachable_still_gives_the_facts_and_the_other_types() {
    let mut client = start_analyzer(unused_addr()).await;
    let response = run(&mut client, guide(&[])).await;
    assert_eq!(keys_in_order(&response.results_json), ALL_TYPES);
    let results = json(&response.results_json);
    check_guide_results(&results);

    let rizhu = &results["rizhu_gender"];
    assert_eq!(rizhu["ganzhi"], "庚辰");
    assert!(rizhu["hidden_stems"]
        .as_array()
        .is_some_and(|h| !h.is_empty()));
    assert!(rizhu["spouse_star"].is_object());
    assert!(
        rizhu.get("rules").is_some_and(Value::is_null),
        "rules is null: {rizhu}"
    );
    let error = rizhu["rules_error"].as_str().expect("a rules_error");
    assert!(error.starts_with("bazi_rule: "), "{error}");

    // The same answer as with bazi_rule up, except the rules.
    let (mut reachable, _dir) = start().await;
    let good = json(&run(&mut reachable, guide(&[])).await.results_json);
    for kind in &ALL_TYPES[..4] {
        assert_eq!(results[kind], good[kind], "{kind} does not need bazi_rule");
    }

    // Types without rizhu_gender never call bazi_rule.
    let response = run(&mut client, guide(&["wangshuai"])).await;
    assert_eq!(json(&response.results_json)["wangshuai"], good["wangshuai"]);
}

#[tokio::test]
async fn binary_serves_health_reflection_and_analyses_then_stops_on_sigterm() {
    let (rules, _dir) = start_rules().await;
    let service = TestService::grpc(env!("CARGO_BIN_EXE_bazi_analyzer"))
        .env("HIFATE_VERSION", "6")
        .env("HIFATE_SERVICE_ADDR_BAZI_RULE", rules.to_string())
        .start()
        .await;
    let channel = service.channel();
    // `start()` returned, so grpc.health.v1 answered SERVING.
    assert_eq!(
        reflected_services(channel.clone()).await,
        [
            "bazi.analyzer.BaziAnalyzerService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
        ]
    );
    let mut client = BaziAnalyzerServiceClient::new(channel.clone());
    let ok = client
        .health_check(HealthCheckRequest {})
        .await
        .expect("HealthCheck")
        .into_inner();
    assert_eq!(ok.status, "ok");
    let response = run(&mut client, guide(&[])).await;
    assert_eq!(keys_in_order(&response.results_json), ALL_TYPES);
    let results = json(&response.results_json);
    check_guide_results(&results);
    assert_eq!(
        results["rizhu_gender"]["rules"][0]["code"], "rizhu_gender/庚辰/male",
        "the binary reached the in-process bazi_rule: {}",
        results["rizhu_gender"]
    );
    let metadata = json(&response.metadata_json);
    assert_eq!(metadata["service"], "bazi_analyzer");
    assert_eq!(metadata["service_version"], 6);
    drop(client);
    drop(channel);
    service.stop().await;
}

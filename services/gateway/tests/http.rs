//! The gateway over real HTTP, in front of real in-process `bazi_core` and
//! `bazi_fortune` services.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use bazi_core::BaziCore;
use bazi_core_api::bazi_core_service_server::{BaziCoreService, BaziCoreServiceServer};
use bazi_core_api::{BaziCoreRequest, BaziCoreResponse, HealthCheckRequest, HealthCheckResponse};
use bazi_fortune::BaziFortune;
use bazi_fortune_api::bazi_fortune_service_server::BaziFortuneServiceServer;
use hifate_sdk::testing::{serve_in_process, TestService};
use hifate_sdk::Peer;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use tonic::service::Routes;

/// `bazi_core` answering with `x-hifate-version` metadata, as it does behind
/// the supervisor's front proxy.
struct Versioned(BaziCore);

#[tonic::async_trait]
impl BaziCoreService for Versioned {
    async fn calculate_bazi(
        &self,
        request: tonic::Request<BaziCoreRequest>,
    ) -> Result<tonic::Response<BaziCoreResponse>, tonic::Status> {
        let version = tonic::metadata::MetadataValue::from_static("42");
        match self.0.calculate_bazi(request).await {
            Ok(mut response) => {
                response.metadata_mut().insert("x-hifate-version", version);
                Ok(response)
            }
            Err(mut status) => {
                status.metadata_mut().insert("x-hifate-version", version);
                Err(status)
            }
        }
    }

    async fn health_check(
        &self,
        request: tonic::Request<HealthCheckRequest>,
    ) -> Result<tonic::Response<HealthCheckResponse>, tonic::Status> {
        self.0.health_check(request).await
    }
}

async fn start_bazi_core<S: BaziCoreService>(service: S) -> SocketAddr {
    let addr = serve_in_process(Routes::new(BaziCoreServiceServer::new(service))).await;
    addr
}

async fn start_bazi_fortune() -> SocketAddr {
    let addr = serve_in_process(Routes::new(BaziFortuneServiceServer::new(
        BaziFortune::default(),
    )))
    .await;
    addr
}

/// An in-process bazi_rule on a free port, its rules in `dir`.
async fn start_bazi_rule(dir: &std::path::Path) -> SocketAddr {
    let service = bazi_rule::BaziRule::open(dir, hifate_sdk::Identity::from_env("bazi_rule"))
        .expect("rules database");
    let addr = serve_in_process(Routes::new(
        bazi_rule_api::bazi_rule_service_server::BaziRuleServiceServer::new(service),
    ))
    .await;
    addr
}

/// An in-process bazi_analyzer on a free port, calling bazi_rule at `rules`.
async fn start_bazi_analyzer(rules: SocketAddr) -> SocketAddr {
    let peer = Peer::new("bazi_rule").at(rules.to_string());
    let service = bazi_analyzer::BaziAnalyzer::connect_lazy(
        hifate_sdk::Identity::from_env("bazi_analyzer"),
        &peer,
    )
    .expect("peer");
    let addr = serve_in_process(Routes::new(
        bazi_analyzer_api::bazi_analyzer_service_server::BaziAnalyzerServiceServer::new(service),
    ))
    .await;
    addr
}

/// Where the gateway finds each service; a service left out is at an
/// address nothing listens on.
#[derive(Default)]
struct Upstreams {
    bazi_core: Option<String>,
    bazi_fortune: Option<String>,
    bazi_analyzer: Option<String>,
    bazi_rule: Option<String>,
    payment_service: Option<String>,
    intent_service: Option<String>,
    desk_fengshui: Option<String>,
    fortune_analysis: Option<String>,
}

/// Serves the gateway's routes (admin token [`TOKEN`]) in front of `upstreams`.
async fn serve_gateway(upstreams: Upstreams) -> SocketAddr {
    let unused = unused_addr();
    let at = |name: &str, addr: Option<String>| {
        Peer::new(name).at(addr.unwrap_or_else(|| unused.clone()))
    };
    let peers = gateway::Peers {
        bazi_core: at(gateway::BAZI_CORE, upstreams.bazi_core),
        bazi_fortune: at(gateway::BAZI_FORTUNE, upstreams.bazi_fortune),
        bazi_analyzer: at(gateway::BAZI_ANALYZER, upstreams.bazi_analyzer),
        bazi_rule: at(gateway::BAZI_RULE, upstreams.bazi_rule),
        payment_service: at(gateway::PAYMENT_SERVICE, upstreams.payment_service),
        intent_service: at(gateway::INTENT_SERVICE, upstreams.intent_service),
        desk_fengshui: at(gateway::DESK_FENGSHUI, upstreams.desk_fengshui),
        fortune_analysis: at(gateway::FORTUNE_ANALYSIS, upstreams.fortune_analysis),
    };
    let state = gateway::AppState::connect_lazy(&peers, gateway::AdminToken::new(TOKEN))
        .expect("valid addresses");
    let app = gateway::app(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// The gateway in front of in-process bazi_rule and bazi_analyzer.
async fn start_rules_gateway(dir: &std::path::Path) -> SocketAddr {
    let rules = start_bazi_rule(dir).await;
    let analyzer = start_bazi_analyzer(rules).await;
    serve_gateway(Upstreams {
        bazi_analyzer: Some(analyzer.to_string()),
        bazi_rule: Some(rules.to_string()),
        ..Upstreams::default()
    })
    .await
}

const TOKEN: &str = "test-token";

/// An address nothing listens on.
fn unused_addr() -> String {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind a free port")
        .local_addr()
        .expect("local addr")
        .to_string()
}

/// Serves the gateway's routes calling `bazi_core` and `bazi_fortune` there.
async fn start_gateway_with(bazi_core_addr: &str, bazi_fortune_addr: &str) -> SocketAddr {
    serve_gateway(Upstreams {
        bazi_core: Some(bazi_core_addr.to_owned()),
        bazi_fortune: Some(bazi_fortune_addr.to_owned()),
        ..Upstreams::default()
    })
    .await
}

/// The gateway with `bazi_core` only (`/calculate` needs no other service).
async fn start_gateway(bazi_core_addr: &str) -> SocketAddr {
    start_gateway_with(bazi_core_addr, &unused_addr()).await
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text))
    }
}

async fn send(addr: SocketAddr, method: Method, path: &str, body: &str) -> Reply {
    send_with(addr, method, path, body, None).await
}

async fn send_with(
    addr: SocketAddr,
    method: Method,
    path: &str,
    body: &str,
    token: Option<&str>,
) -> Reply {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("request");
    exchange(request).await
}

/// Sends `request` and reads the whole answer.
async fn exchange(request: Request<Full<Bytes>>) -> Reply {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = client.request(request).await.expect("HTTP exchange");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("read body")
        .to_bytes();
    Reply {
        status,
        headers,
        text: String::from_utf8(bytes.to_vec()).expect("UTF-8 body"),
    }
}

async fn calculate(addr: SocketAddr, body: &str) -> Reply {
    send(addr, Method::POST, "/api/v1/bazi/calculate", body).await
}

const GUIDE_EXAMPLE: &str = r#"{"solar_date":"1990-01-15","solar_time":"12:00","gender":"male"}"#;

#[tokio::test]
async fn guide_example_returns_the_full_chart() {
    let core = start_bazi_core(BaziCore::default()).await;
    let gateway = start_gateway(&core.to_string()).await;

    let reply = calculate(gateway, GUIDE_EXAMPLE).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.headers.get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/json"[..])
    );
    assert!(reply.headers.get("x-bazi-core-version").is_none());
    // Key order is that of the chart.
    assert!(
        reply.text.starts_with(
            r#"{"success":true,"message":null,"data":{"basic_info":{"solar_date":"1990-01-15","solar_time":"12:00","lunar_date":{"year":1989,"month":12,"day":19"#
        ),
        "{}",
        reply.text
    );
    let keys_in_order = [
        "\"basic_info\"",
        "\"bazi_pillars\"",
        "\"details\"",
        "\"ten_gods_stats\"",
        "\"elements\"",
        "\"element_counts\"",
        "\"relationships\"",
    ]
    .map(|k| reply.text.find(k).unwrap_or_else(|| panic!("{k} missing")));
    assert!(keys_in_order.is_sorted(), "{keys_in_order:?}");

    let body = reply.json();
    assert_eq!(body["success"], true);
    assert_eq!(body["message"], Value::Null);
    let data = &body["data"];
    let pillar = |p: &str| {
        format!(
            "{}{}",
            data["bazi_pillars"][p]["stem"].as_str().unwrap_or_default(),
            data["bazi_pillars"][p]["branch"]
                .as_str()
                .unwrap_or_default()
        )
    };
    assert_eq!(
        ["year", "month", "day", "hour"].map(pillar),
        ["己巳", "丁丑", "庚辰", "壬午"]
    );
    let year = &data["details"]["year"];
    assert_eq!(year["main_star"], "正印");
    assert_eq!(year["nayin"], "大林木");
    assert_eq!(year["kongwang"], "戌亥");
    assert_eq!(year["hidden_stems"], json!(["丙火", "庚金", "戊土"]));
    assert_eq!(year["hidden_stars"], json!(["七杀", "比肩", "偏印"]));
    assert_eq!(year["star_fortune"], "长生");
    assert_eq!(year["self_sitting"], "帝旺");
    let hour = &data["details"]["hour"];
    assert_eq!(hour["main_star"], "食神");
    assert_eq!(hour["nayin"], "杨柳木");
    assert_eq!(
        data["element_counts"],
        json!({"土": 3, "火": 3, "金": 1, "水": 1})
    );
    assert_eq!(data["basic_info"]["gender"], "male");
    assert_eq!(
        data["relationships"]["day_pillar"]["relation"],
        "generated_by"
    );
    assert!(data["ten_gods_stats"]["totals"].is_object());
    assert!(data.get("service_version").is_none());
}

#[tokio::test]
async fn bazi_core_version_is_passed_on() {
    let core = start_bazi_core(Versioned(BaziCore::default())).await;
    let gateway = start_gateway(&core.to_string()).await;

    let reply = calculate(gateway, GUIDE_EXAMPLE).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply
            .headers
            .get("x-bazi-core-version")
            .map(|v| v.as_bytes()),
        Some(&b"42"[..])
    );

    let reply = calculate(
        gateway,
        r#"{"solar_date":"1990-01-15","solar_time":"12:00","gender":"x"}"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply
            .headers
            .get("x-bazi-core-version")
            .map(|v| v.as_bytes()),
        Some(&b"42"[..])
    );
}

#[tokio::test]
async fn invalid_fields_are_422_naming_the_field() {
    let core = start_bazi_core(BaziCore::default()).await;
    let gateway = start_gateway(&core.to_string()).await;

    let cases = [
        (
            r#"{"solar_date":"1990-01-15","solar_time":"12:00","gender":"x"}"#,
            "gender",
        ),
        (
            r#"{"solar_date":"1990-02-30","solar_time":"12:00","gender":"male"}"#,
            "solar_date",
        ),
        (
            r#"{"solar_date":"1800-01-01","solar_time":"12:00","gender":"male"}"#,
            "solar_date",
        ),
        (
            r#"{"solar_date":"1990-01-15","solar_time":"25:00","gender":"male"}"#,
            "solar_time",
        ),
        (
            r#"{"solar_date":"1990-01-15","gender":"male"}"#,
            "solar_time",
        ),
        (
            r#"{"solar_date":19900115,"solar_time":"12:00","gender":"male"}"#,
            "solar_date",
        ),
        (
            r#"{"solar_date":"1990-01-15","solar_time":"12:00","gender":null}"#,
            "gender",
        ),
    ];
    for (request, field) in cases {
        let reply = calculate(gateway, request).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{request}: {}",
            reply.text
        );
        let body = reply.json();
        assert_eq!(body["success"], false, "{request}");
        assert_eq!(body["field"], field, "{request}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with(&format!("{field}: ")),
            "{request}: {message}"
        );
    }
}

#[tokio::test]
async fn body_that_is_not_json_is_400() {
    let core = start_bazi_core(BaziCore::default()).await;
    let gateway = start_gateway(&core.to_string()).await;

    let reply = calculate(gateway, "not json").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["success"], false);
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("not valid JSON"), "{message}");

    let reply = calculate(gateway, "").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert!(reply.json()["message"]
        .as_str()
        .unwrap_or_default()
        .contains("empty"));
}

#[tokio::test]
async fn unreachable_bazi_core_is_503() {
    let gateway = start_gateway(&unused_addr()).await;

    let reply = calculate(gateway, GUIDE_EXAMPLE).await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text
    );
    let body = reply.json();
    assert_eq!(body["success"], false);
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("bazi_core is unavailable: "),
        "{message}"
    );
    assert_eq!(body["service"], "bazi_core");

    // Still up, and still validating on its own.
    let reply = calculate(gateway, "not json").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn binary_serves_health_and_charts_then_stops_on_sigterm() {
    let core = start_bazi_core(BaziCore::default()).await;
    let service = TestService::http(env!("CARGO_BIN_EXE_gateway"))
        .env("HIFATE_SERVICE_ADDR_BAZI_CORE", core.to_string())
        .start()
        .await;
    let addr = service.addr();

    let reply = send(addr, Method::GET, "/health", "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let reply = calculate(addr, GUIDE_EXAMPLE).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["data"]["bazi_pillars"]["day"]["stem"], "庚");

    service.stop().await;
}

#[tokio::test]
async fn binary_refuses_a_malformed_bazi_core_address() {
    let data = tempfile::tempdir().expect("a data directory");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_gateway"))
        .env("HIFATE_DATA_DIR", data.path())
        .env("HIFATE_SERVICE_ADDR_BAZI_CORE", "127.0.0.1")
        .env("HIFATE_ADDR", "127.0.0.1:0")
        .env_remove("HIFATE_SOCKET")
        .output()
        .await
        .expect("run the gateway binary");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("HIFATE_SERVICE_ADDR_BAZI_CORE") && stderr.contains("has no port"),
        "{stderr}"
    );
}

async fn detail(addr: SocketAddr, body: &str) -> Reply {
    send(addr, Method::POST, "/api/v1/bazi/detail", body).await
}

const DETAIL_EXAMPLE: &str = r#"{"solar_date":"1990-01-15","solar_time":"12:00","gender":"male","current_time":"2024-05-01T10:00:00"}"#;

#[tokio::test]
async fn detail_is_the_chart_and_the_fortune() {
    let core = start_bazi_core(Versioned(BaziCore::default())).await;
    let fortune = start_bazi_fortune().await;
    let gateway = start_gateway_with(&core.to_string(), &fortune.to_string()).await;

    let reply = detail(gateway, DETAIL_EXAMPLE).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply
            .headers
            .get("x-bazi-core-version")
            .map(|v| v.as_bytes()),
        Some(&b"42"[..])
    );
    // The chart's keys, in its order, then the fortune's.
    let keys_in_order = [
        "\"basic_info\"",
        "\"bazi_pillars\"",
        "\"details\"",
        "\"relationships\"",
        "\"dayun_info\"",
        "\"dayun_sequence\"",
        "\"liunian_sequence\"",
        "\"liuyue_sequence\"",
        "\"liuri_sequence\"",
        "\"liushi_sequence\"",
    ]
    .map(|k| reply.text.find(k).unwrap_or_else(|| panic!("{k} missing")));
    assert!(keys_in_order.is_sorted(), "{keys_in_order:?}");

    let body = reply.json();
    let data = &body["data"];
    assert_eq!(data["bazi_pillars"]["day"]["stem"], "庚");
    assert_eq!(data["details"]["year"]["nayin"], "大林木");
    let dayun = &data["dayun_info"];
    assert_eq!(dayun["direction"], "backward");
    assert_eq!(dayun["qiyun"]["years"], 3);
    assert_eq!(dayun["qiyun"]["months"], 2);
    assert_eq!(dayun["qiyun"]["days"], 7);
    // 2024 falls in the pillar from 2023 (癸酉), the next one from 2033.
    assert_eq!(dayun["current_dayun"]["ganzhi"], "癸酉");
    assert_eq!(dayun["next_dayun"]["start_year"], 2033);
    let sequence: Vec<&str> = data["dayun_sequence"]
        .as_array()
        .expect("dayun_sequence")
        .iter()
        .skip(1)
        .take(4)
        .map(|p| p["ganzhi"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(sequence, ["丙子", "乙亥", "甲戌", "癸酉"]);
    let years = data["liunian_sequence"].as_array().expect("liunian");
    assert_eq!(years[0]["year"], 1990);
    assert_eq!(years[0]["age"], 1);
    assert_eq!(data["liuyue_sequence"].as_array().map(Vec::len), Some(12));
    assert_eq!(data["liuri_sequence"].as_array().map(Vec::len), Some(31));
    assert_eq!(data["liushi_sequence"].as_array().map(Vec::len), Some(12));
}

#[tokio::test]
async fn detail_names_a_bad_current_time_and_an_unavailable_fortune() {
    let core = start_bazi_core(BaziCore::default()).await;
    let fortune = start_bazi_fortune().await;
    let gateway = start_gateway_with(&core.to_string(), &fortune.to_string()).await;
    let reply = detail(
        gateway,
        r#"{"solar_date":"1990-01-15","solar_time":"12:00","gender":"male","current_time":"soon"}"#,
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    assert_eq!(reply.json()["field"], "current_time");

    let gateway = start_gateway_with(&core.to_string(), &unused_addr()).await;
    let reply = detail(gateway, DETAIL_EXAMPLE).await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text
    );
    let body = reply.json();
    assert_eq!(body["service"], "bazi_fortune");
    assert!(body["message"]
        .as_str()
        .unwrap_or_default()
        .starts_with("bazi_fortune is unavailable: "));
}

#[tokio::test]
async fn rules_and_analyses_through_the_gateway() {
    let dir = tempfile::tempdir().expect("data dir");
    let gateway = start_rules_gateway(dir.path()).await;

    let reply = send(
        gateway,
        Method::POST,
        "/api/v1/bazi/rules/match",
        r#"{"solar_date":"1990-01-15","solar_time":"12:00","gender":"male","rule_types":["rizhu_gender"]}"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let data = &reply.json()["data"];
    assert_eq!(data["matched"][0]["code"], "rizhu_gender/庚辰/male");
    assert_eq!(data["context"]["day_pillar"], "庚辰");
    assert!(data["metadata"]["rule_set_version"].as_u64() >= Some(1));

    let reply = send(gateway, Method::GET, "/api/v1/bazi/rules/types", "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let types = reply.json()["data"]["types"].clone();
    let rizhu = types
        .as_array()
        .expect("types")
        .iter()
        .find(|t| t["rule_type"] == "rizhu_gender")
        .cloned()
        .expect("rizhu_gender listed");
    assert_eq!(rizhu["enabled"], 120);
    let reply = send(gateway, Method::GET, "/api/v1/bazi/rules/stats", "").await;
    let stats = &reply.json()["data"];
    assert!(stats["total"].as_u64() >= Some(300), "{stats}");
    assert!(stats["types"].as_u64() >= Some(8), "{stats}");

    let reply = send(
        gateway,
        Method::POST,
        "/api/v1/bazi/wangshuai",
        GUIDE_EXAMPLE,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["data"]["level"], "中和");

    let reply = send(
        gateway,
        Method::POST,
        "/api/v1/bazi/analyze",
        r#"{"solar_date":"1990-01-15","solar_time":"12:00","gender":"male","analysis_types":["wuxing_balance","rizhu_gender"]}"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let data = &reply.json()["data"];
    assert!(data["wuxing_balance"]["elements"].is_array());
    assert_eq!(
        data["rizhu_gender"]["rules"][0]["code"],
        "rizhu_gender/庚辰/male"
    );
    assert!(data.get("wangshuai").is_none());

    let reply = send(
        gateway,
        Method::POST,
        "/api/v1/bazi/analyze",
        r#"{"solar_date":"1990-01-15","solar_time":"12:00","gender":"male","analysis_types":["palmistry"]}"#,
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    assert_eq!(reply.json()["field"], "analysis_types");
}

#[tokio::test]
async fn rules_change_live_through_the_token_guarded_admin_api() {
    let dir = tempfile::tempdir().expect("data dir");
    let gateway = start_rules_gateway(dir.path()).await;
    let rule = r#"{"code":"custom/geng-winter","name":"庚 in winter","rule_type":"custom",
        "conditions":{"all":[{"day_master":"庚"},{"season":"冬"}]},
        "content":{"text":"a 庚 day master born in winter"},"priority":5}"#;

    let reply = send(gateway, Method::POST, "/api/v1/admin/rules", rule).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    let reply = send_with(
        gateway,
        Method::GET,
        "/api/v1/admin/rules",
        "",
        Some("wrong"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

    let reply = send_with(
        gateway,
        Method::POST,
        "/api/v1/admin/rules",
        rule,
        Some(TOKEN),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let version = reply.json()["data"]["rule_set_version"]
        .as_u64()
        .expect("version");
    let reply = send_with(
        gateway,
        Method::POST,
        "/api/v1/admin/rules",
        rule,
        Some(TOKEN),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text);

    // The very next match uses it: no restart, no reload.
    let matched = |gateway| async move {
        send(
            gateway,
            Method::POST,
            "/api/v1/bazi/rules/match",
            r#"{"solar_date":"1990-01-15","solar_time":"12:00","gender":"male","rule_types":["custom"]}"#,
        )
        .await
        .json()["data"]
            .clone()
    };
    let data = matched(gateway).await;
    assert_eq!(data["matched"][0]["code"], "custom/geng-winter");
    assert_eq!(data["metadata"]["rule_set_version"].as_u64(), Some(version));

    // A bad condition is refused with the path of the bad node.
    let bad = r#"{"name":"x","rule_type":"custom","conditions":{"all":[{"day_master":"庚"},{"season":"winter"}]},"content":{"text":"x"}}"#;
    let reply = send_with(
        gateway,
        Method::PUT,
        "/api/v1/admin/rules/custom/geng-winter",
        bad,
        Some(TOKEN),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    let body = reply.json();
    assert_eq!(body["field"], "conditions");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("$.all[1]"),
        "{body}"
    );

    // Disabled: no longer matched.
    let disabled = r#"{"name":"庚 in winter","rule_type":"custom",
        "conditions":{"all":[{"day_master":"庚"},{"season":"冬"}]},
        "content":{"text":"a 庚 day master born in winter"},"enabled":false}"#;
    let reply = send_with(
        gateway,
        Method::PUT,
        "/api/v1/admin/rules/custom/geng-winter",
        disabled,
        Some(TOKEN),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(matched(gateway).await["matched"], json!([]));

    let reply = send_with(
        gateway,
        Method::DELETE,
        "/api/v1/admin/rules/custom/geng-winter",
        "",
        Some(TOKEN),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let reply = send_with(
        gateway,
        Method::GET,
        "/api/v1/admin/rules/custom/geng-winter",
        "",
        Some(TOKEN),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
}

/// The gateway in front of an in-process sandbox payment_service whose
/// ledger is in `dir`.
async fn start_payment_gateway(dir: &std::path::Path) -> SocketAddr {
    let ledger = dir.join("payments.sqlite3").display().to_string();
    let payments = payments::Payments::open(
        &ledger,
        "http://127.0.0.1:8001",
        payments::StripeSecrets::default(),
    )
    .await
    .expect("sandbox payments");
    let service = payment_service::PaymentService::new(
        payments,
        hifate_sdk::Identity::from_env("payment_service"),
    );
    let addr = serve_in_process(Routes::new(
        payment_service_api::payment_service_server::PaymentServiceServer::new(service),
    ))
    .await;
    serve_gateway(Upstreams {
        payment_service: Some(addr.to_string()),
        ..Upstreams::default()
    })
    .await
}

#[tokio::test]
async fn a_sandbox_payment_through_the_gateway() {
    let dir = tempfile::tempdir().expect("data dir");
    let gateway = start_payment_gateway(dir.path()).await;
    let reply = send(
        gateway,
        Method::POST,
        "/api/v1/payment/create-session",
        r#"{"amount":"12.34","currency":"USD","product_name":"report","customer_email":"a@example.com","metadata":{"idempotency_key":"order-1"}}"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let session = reply.json()["data"].clone();
    let id = session["session_id"]
        .as_str()
        .expect("session_id")
        .to_owned();
    assert_eq!(session["status"], "open");

    // The sandbox checkout page, then its Pay button (a browser form).
    let page = send(
        gateway,
        Method::GET,
        &format!("/api/v1/payment/sandbox/{id}"),
        "",
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("12.34 USD") && page.text.contains("/complete"),
        "{}",
        page.text
    );
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let pay = Request::builder()
        .method(Method::POST)
        .uri(format!(
            "http://{gateway}/api/v1/payment/sandbox/{id}/complete"
        ))
        .header("accept", "text/html")
        .body(Full::new(Bytes::new()))
        .expect("request");
    let answer = client.request(pay).await.expect("pay");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);

    let reply = send(
        gateway,
        Method::POST,
        "/api/v1/payment/verify",
        &format!(r#"{{"session_id":"{id}"}}"#),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["data"]["status"], "paid");

    let reply = send(
        gateway,
        Method::POST,
        "/api/v1/payment/create-session",
        r#"{"amount":"12.345","currency":"USD","product_name":"report"}"#,
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    assert_eq!(reply.json()["field"], "amount");
    let reply = send(
        gateway,
        Method::POST,
        "/api/v1/payment/verify",
        r#"{"session_id":"ps_nothing"}"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
    // Paid is final.
    let reply = send(
        gateway,
        Method::POST,
        &format!("/api/v1/payment/sandbox/{id}/cancel"),
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text);
    // A webhook while no signing secret is configured: unavailable, saying why.
    let reply = send(gateway, Method::POST, "/api/v1/payment/webhook", "{}").await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text
    );
    assert!(
        reply.text.contains("STRIPE_WEBHOOK_SECRET"),
        "{}",
        reply.text
    );
}

/// An in-process intent_service on a free port, its classifier versions in
/// `dir` (the baseline, deployed as "v1", on a fresh directory).
async fn start_intent_service(dir: &std::path::Path) -> SocketAddr {
    let service = intent_service::IntentServer::open(
        dir,
        hifate_sdk::Identity::from_env("intent_service"),
        None,
    )
    .expect("intent database");
    serve_in_process(Routes::new(
        intent_service_api::intent_service_server::IntentServiceServer::new(service),
    ))
    .await
}

/// The gateway in front of every service smart-analyze calls: in-process
/// intent_service, bazi_core, bazi_rule and bazi_fortune, their databases
/// in `dir`.
async fn start_question_gateway(dir: &std::path::Path) -> SocketAddr {
    let intent = start_intent_service(dir).await;
    let core = start_bazi_core(BaziCore::default()).await;
    let rules = start_bazi_rule(dir).await;
    let fortune = start_bazi_fortune().await;
    serve_gateway(Upstreams {
        intent_service: Some(intent.to_string()),
        bazi_core: Some(core.to_string()),
        bazi_rule: Some(rules.to_string()),
        bazi_fortune: Some(fortune.to_string()),
        ..Upstreams::default()
    })
    .await
}

/// `path?name=value&…`, each value percent-encoded as UTF-8 (as a browser
/// sends a Chinese question).
fn with_query(path: &str, params: &[(&str, &str)]) -> String {
    let encoded = |text: &str| -> String {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    let query: Vec<String> = params
        .iter()
        .map(|(name, value)| format!("{name}={}", encoded(value)))
        .collect();
    format!("{path}?{}", query.join("&"))
}

/// The strings of a JSON array (empty when it is not one).
fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// A 422 naming `field`, its message starting with the field's name.
fn assert_invalid(reply: &Reply, field: &str) {
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    let body = reply.json();
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["field"], field, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with(&format!("{field}: ")),
        "{body}"
    );
}

/// A 503 naming `service`.
fn assert_unavailable(reply: &Reply, service: &str) {
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text
    );
    let body = reply.json();
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["service"], service, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with(&format!("{service} is unavailable: ")),
        "{body}"
    );
}

const CAREER_AND_WEALTH: &str = "我明年的事业和财运怎么样？";
const OFF_TOPIC: &str = "番茄炒蛋怎么做";
/// The day "明年" is resolved against: next year is 2027.
const TODAY: &str = "2026-11-25";

/// A classification of [`CAREER_AND_WEALTH`] asked on [`TODAY`].
fn assert_career_and_wealth_in_2027(data: &Value) {
    let intents = strings(&data["intents"]);
    assert!(
        intents.contains(&"career") && intents.contains(&"wealth"),
        "{data}"
    );
    assert_eq!(data["time_intent"]["target_years"], json!([2027]), "{data}");
    assert_eq!(data["is_fortune_related"], true, "{data}");
    assert_eq!(data["reject_message"], "", "{data}");
    assert!(!strings(&data["rule_types"]).is_empty(), "{data}");
    assert_eq!(data["prompt_version"], "v1", "{data}");
}

#[tokio::test]
async fn questions_are_classified_from_a_json_body_and_from_the_query_string() {
    let dir = tempfile::tempdir().expect("data dir");
    let gateway = start_question_gateway(dir.path()).await;

    let body = json!({"question": CAREER_AND_WEALTH, "context": {"current_date": TODAY}});
    let reply = send(
        gateway,
        Method::POST,
        "/api/v1/intent/classify",
        &body.to_string(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let classified = reply.json();
    assert_eq!(classified["success"], true);
    assert_career_and_wealth_in_2027(&classified["data"]);

    let path = with_query(
        "/api/v1/smart-fortune/test-intent",
        &[("question", CAREER_AND_WEALTH), ("current_date", TODAY)],
    );
    let reply = send(gateway, Method::GET, &path, "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let tested = reply.json();
    assert_career_and_wealth_in_2027(&tested["data"]);
    // Both endpoints ask the same classifier the same question.
    assert_eq!(tested["data"]["intents"], classified["data"]["intents"]);
    assert_eq!(
        tested["data"]["rule_types"],
        classified["data"]["rule_types"]
    );

    let path = with_query(
        "/api/v1/smart-fortune/test-intent",
        &[("question", OFF_TOPIC)],
    );
    let reply = send(gateway, Method::GET, &path, "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let data = &reply.json()["data"];
    assert_eq!(data["is_fortune_related"], false, "{data}");
    assert!(
        !data["reject_message"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{data}"
    );
    assert_eq!(data["intents"], json!([]), "{data}");
}

#[tokio::test]
async fn smart_analyze_answers_with_the_chart_the_rules_and_the_years_named() {
    let dir = tempfile::tempdir().expect("data dir");
    let gateway = start_question_gateway(dir.path()).await;
    let question = "我明年的事业运怎么样";
    let path = with_query(
        "/api/v1/smart-fortune/smart-analyze",
        &[
            ("question", question),
            ("solar_date", "1990-01-15"),
            ("solar_time", "12:00"),
            ("gender", "male"),
            ("current_date", TODAY),
        ],
    );

    let reply = send(gateway, Method::GET, &path, "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["success"], true);
    let data = &body["data"];
    assert_eq!(data["question"], question);
    let intent = &data["intent"];
    assert!(strings(&intent["intents"]).contains(&"career"), "{intent}");
    assert_eq!(intent["is_fortune_related"], true);

    // The chart is bazi_core's, as /calculate returns it.
    assert_eq!(data["chart"]["bazi_pillars"]["day"]["stem"], "庚");
    assert_eq!(data["chart"]["bazi_pillars"]["year"]["branch"], "巳");
    assert_eq!(data["chart"]["basic_info"]["solar_date"], "1990-01-15");

    // Only rules of the types the classification asked for.
    let asked = strings(&intent["rule_types"]);
    let rules = data["rules"].as_array().expect("rules is a JSON array");
    assert!(!rules.is_empty(), "{data}");
    for rule in rules {
        let rule_type = rule["rule_type"].as_str().unwrap_or_default();
        assert!(asked.contains(&rule_type), "{rule_type} not in {asked:?}");
    }

    // 2027 only: its year, and the luck pillar 2023–2032 (癸酉) that holds it.
    let fortune = &data["fortune"];
    assert_eq!(fortune["target_years"], json!([2027]));
    let liunian = fortune["liunian"].as_array().expect("liunian");
    assert_eq!(liunian.len(), 1, "{liunian:?}");
    assert_eq!(liunian[0]["year"], 2027);
    assert_eq!(liunian[0]["ganzhi"], "丁未");
    let dayun = fortune["dayun"].as_array().expect("dayun");
    assert_eq!(dayun.len(), 1, "{dayun:?}");
    let (start, end) = (
        dayun[0]["start_year"].as_i64(),
        dayun[0]["end_year"].as_i64(),
    );
    assert!(start <= Some(2027) && Some(2027) <= end, "{dayun:?}");
    assert_eq!(dayun[0]["ganzhi"], "癸酉");
    assert_eq!(fortune["dayun_info"]["direction"], "backward");

    // Off-topic: the refusal, and no chart.
    let path = with_query(
        "/api/v1/smart-fortune/smart-analyze",
        &[
            ("question", OFF_TOPIC),
            ("solar_date", "1990-01-15"),
            ("solar_time", "12:00"),
            ("gender", "male"),
        ],
    );
    let reply = send(gateway, Method::GET, &path, "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["success"], true);
    let data = &body["data"];
    assert_eq!(data["intent"]["is_fortune_related"], false, "{data}");
    assert!(
        !data["intent"]["reject_message"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{data}"
    );
    assert_eq!(data["chart"], Value::Null);
    assert_eq!(data["rules"], Value::Null);
    assert_eq!(data["fortune"], Value::Null);
}

/// smart-analyze's answer to `question` for the chart of 1990-01-15 12:00
/// (male) on [`TODAY`]: its `data`.
async fn smart_analysis(gateway: SocketAddr, question: &str) -> Value {
    let path = with_query(
        "/api/v1/smart-fortune/smart-analyze",
        &[
            ("question", question),
            ("solar_date", "1990-01-15"),
            ("solar_time", "12:00"),
            ("gender", "male"),
            ("current_date", TODAY),
        ],
    );
    let reply = send(gateway, Method::GET, &path, "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["success"], true, "{body}");
    body["data"].clone()
}

/// The years of the answer's `fortune.liunian`.
fn liunian_years(data: &Value) -> Vec<i64> {
    data["fortune"]["liunian"]
        .as_array()
        .map(|years| years.iter().filter_map(|y| y["year"].as_i64()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn smart_analyze_answers_several_intents_a_range_and_no_time() {
    let dir = tempfile::tempdir().expect("data dir");
    let gateway = start_question_gateway(dir.path()).await;

    // Two intents: the rules of both intents' rule types, and no other.
    let data = smart_analysis(gateway, CAREER_AND_WEALTH).await;
    let intent = &data["intent"];
    let intents = strings(&intent["intents"]);
    assert!(
        intents.contains(&"career") && intents.contains(&"wealth"),
        "{intent}"
    );
    let asked = strings(&intent["rule_types"]);
    for wanted in ["ten_god", "wangshuai", "xishen", "element"] {
        assert!(asked.contains(&wanted), "{wanted} not in {asked:?}");
    }
    let rules = data["rules"].as_array().expect("rules is a JSON array");
    assert!(!rules.is_empty(), "{data}");
    for rule in rules {
        let rule_type = rule["rule_type"].as_str().unwrap_or_default();
        assert!(asked.contains(&rule_type), "{rule_type} not in {asked:?}");
    }
    assert_eq!(data["fortune"]["target_years"], json!([2027]));
    assert_eq!(liunian_years(&data), [2027]);

    // A range: 未来三年 on 2026-11-25 is 2027–2029, all three years and
    // the luck pillar 2023–2032 (癸酉) that holds them.
    let data = smart_analysis(gateway, "未来三年我的财运如何").await;
    assert_eq!(data["intent"]["time_intent"]["type"], "future_years");
    assert_eq!(data["intent"]["time_intent"]["is_explicit"], true);
    assert_eq!(data["fortune"]["target_years"], json!([2027, 2028, 2029]));
    assert_eq!(liunian_years(&data), [2027, 2028, 2029]);
    let dayun = data["fortune"]["dayun"].as_array().expect("dayun");
    assert_eq!(dayun.len(), 1, "{dayun:?}");
    assert_eq!(dayun[0]["ganzhi"], "癸酉");

    // No time named: the current year (of current_date) is read.
    let data = smart_analysis(gateway, "我的性格有什么优点").await;
    assert!(
        strings(&data["intent"]["intents"]).contains(&"personality"),
        "{}",
        data["intent"]
    );
    assert_eq!(data["intent"]["time_intent"], Value::Null);
    assert_eq!(data["fortune"]["target_years"], json!([2026]));
    assert_eq!(liunian_years(&data), [2026]);
    assert_eq!(
        data["fortune"]["dayun"].as_array().map(Vec::len),
        Some(1),
        "{}",
        data["fortune"]
    );
}

#[tokio::test]
async fn question_mistakes_are_named_and_a_missing_classifier_is_503() {
    let dir = tempfile::tempdir().expect("data dir");
    let gateway = start_question_gateway(dir.path()).await;
    let classify =
        |body: &'static str| send(gateway, Method::POST, "/api/v1/intent/classify", body);
    let smart = |params: &[(&str, &str)]| {
        let path = with_query("/api/v1/smart-fortune/smart-analyze", params);
        async move { send(gateway, Method::GET, &path, "").await }
    };

    let reply = classify("").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert!(reply.json()["message"]
        .as_str()
        .unwrap_or_default()
        .contains("empty"));
    assert_invalid(&classify(r#"{"question": 5}"#).await, "question");
    let reply = send(
        gateway,
        Method::GET,
        "/api/v1/smart-fortune/test-intent",
        "",
    )
    .await;
    assert_invalid(&reply, "question");

    let reply = smart(&[
        ("question", CAREER_AND_WEALTH),
        ("solar_time", "12:00"),
        ("gender", "male"),
    ])
    .await;
    assert_invalid(&reply, "solar_date");
    // bazi_core's own check, passed on.
    let reply = smart(&[
        ("question", CAREER_AND_WEALTH),
        ("solar_date", "1990-13-45"),
        ("solar_time", "12:00"),
        ("gender", "male"),
    ])
    .await;
    assert_invalid(&reply, "solar_date");
    // intent_service's own check, passed on.
    let reply = smart(&[
        ("question", ""),
        ("solar_date", "1990-01-15"),
        ("solar_time", "12:00"),
        ("gender", "male"),
    ])
    .await;
    assert_invalid(&reply, "question");
    let reply = classify(r#"{"question": "   "}"#).await;
    assert_invalid(&reply, "question");
    // A bad date is named as the caller sent it.
    let reply =
        classify(r#"{"question": "我明年的财运", "context": {"current_date": "soon"}}"#).await;
    assert_invalid(&reply, "context.current_date");
    let reply = smart(&[
        ("question", CAREER_AND_WEALTH),
        ("solar_date", "1990-01-15"),
        ("solar_time", "12:00"),
        ("gender", "male"),
        ("current_date", "soon"),
    ])
    .await;
    assert_invalid(&reply, "current_date");

    let without = serve_gateway(Upstreams::default()).await;
    let body = json!({"question": CAREER_AND_WEALTH}).to_string();
    let reply = send(without, Method::POST, "/api/v1/intent/classify", &body).await;
    assert_unavailable(&reply, "intent_service");
    let path = with_query(
        "/api/v1/smart-fortune/smart-analyze",
        &[
            ("question", CAREER_AND_WEALTH),
            ("solar_date", "1990-01-15"),
            ("solar_time", "12:00"),
            ("gender", "male"),
        ],
    );
    let reply = send(without, Method::GET, &path, "").await;
    assert_unavailable(&reply, "intent_service");
}

/// One NanoDet detector for the whole file: loading it costs more than a
/// detection.
fn detector() -> std::sync::Arc<vision::nanodet::Detector> {
    static DETECTOR: std::sync::OnceLock<std::sync::Arc<vision::nanodet::Detector>> =
        std::sync::OnceLock::new();
    DETECTOR
        .get_or_init(|| {
            std::sync::Arc::new(
                vision::nanodet::Detector::embedded().expect("the embedded model loads"),
            )
        })
        .clone()
}

/// An in-process desk_fengshui on a free port, its rules in `dir`; no
/// bazi_analyzer (the photos here are analysed without a birth date).
async fn start_desk_fengshui(dir: &std::path::Path) -> SocketAddr {
    let service = desk_fengshui::DeskFengshui::open(
        dir,
        hifate_sdk::Identity::from_env("desk_fengshui"),
        detector(),
        &Peer::new("bazi_analyzer").at(unused_addr()),
    )
    .expect("desk rules database");
    serve_in_process(Routes::new(desk_fengshui::server(service))).await
}

async fn start_desk_gateway(dir: &std::path::Path) -> SocketAddr {
    let desk = start_desk_fengshui(dir).await;
    serve_gateway(Upstreams {
        desk_fengshui: Some(desk.to_string()),
        ..Upstreams::default()
    })
    .await
}

/// The coffee cup photo of the vision library's tests.
fn coffee_photo() -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/vision/tests/data/coffee.jpg");
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// One field of a `multipart/form-data` body.
enum FormField<'a> {
    Text {
        name: &'a str,
        value: &'a str,
    },
    File {
        name: &'a str,
        file_name: &'a str,
        content_type: &'a str,
        bytes: &'a [u8],
    },
}

const FORM_BOUNDARY: &str = "hifate-test-boundary-5f2c9e";

/// `fields` encoded as a browser encodes a form with a file input.
fn form_body(fields: &[FormField<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for field in fields {
        body.extend_from_slice(format!("--{FORM_BOUNDARY}\r\n").as_bytes());
        match field {
            FormField::Text { name, value } => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}")
                    .as_bytes(),
            ),
            FormField::File {
                name,
                file_name,
                content_type,
                bytes,
            } => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{FORM_BOUNDARY}--\r\n").as_bytes());
    body
}

async fn analyze_desk(addr: SocketAddr, fields: &[FormField<'_>]) -> Reply {
    post_form(addr, "/api/v2/desk-fengshui/analyze", fields).await
}

/// A multipart form POSTed to `path`.
async fn post_form(addr: SocketAddr, path: &str, fields: &[FormField<'_>]) -> Reply {
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("http://{addr}{path}"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={FORM_BOUNDARY}"),
        )
        .body(Full::new(Bytes::from(form_body(fields))))
        .expect("request");
    exchange(request).await
}

fn jpeg<'a>(name: &'a str, bytes: &'a [u8]) -> FormField<'a> {
    FormField::File {
        name,
        file_name: "desk.jpg",
        content_type: "image/jpeg",
        bytes,
    }
}

#[tokio::test]
async fn a_desk_photo_is_analysed_through_the_gateway() {
    let dir = tempfile::tempdir().expect("data dir");
    let gateway = start_desk_gateway(dir.path()).await;
    let photo = coffee_photo();

    let reply = analyze_desk(gateway, &[jpeg("image", &photo)]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["success"], true);
    let data = &body["data"];
    let items = data["items"].as_array().expect("items");
    let cup = items
        .iter()
        .find(|item| item["name"] == "cup")
        .unwrap_or_else(|| panic!("no cup among {items:?}"));
    assert_eq!(cup["label"], "杯子");
    assert!(cup["confidence"].as_f64() >= Some(0.3), "{cup}");
    assert_eq!(cup["bbox"].as_array().map(Vec::len), Some(4), "{cup}");
    assert!(
        data["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("杯子"),
        "{data}"
    );
    for advice in ["adjustments", "additions", "removals"] {
        assert!(data[advice].is_array(), "{advice}: {data}");
    }
}

#[tokio::test]
async fn desk_form_mistakes_are_named_and_a_missing_service_is_503() {
    let dir = tempfile::tempdir().expect("data dir");
    let gateway = start_desk_gateway(dir.path()).await;
    let photo = coffee_photo();

    let reply = analyze_desk(
        gateway,
        &[FormField::Text {
            name: "solar_date",
            value: "1990-01-15",
        }],
    )
    .await;
    assert_invalid(&reply, "image");

    let reply = send(
        gateway,
        Method::POST,
        "/api/v2/desk-fengshui/analyze",
        r#"{"image":"coffee.jpg"}"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("multipart/form-data"),
        "{}",
        reply.text
    );

    // The service's decoder refuses it, naming its own field.
    let reply = analyze_desk(gateway, &[jpeg("image", b"not an image")]).await;
    assert_invalid(&reply, "image_data");

    let reply = analyze_desk(
        gateway,
        &[
            jpeg("image", &photo),
            FormField::Text {
                name: "use_bazi",
                value: "maybe",
            },
        ],
    )
    .await;
    assert_invalid(&reply, "use_bazi");

    let without = serve_gateway(Upstreams::default()).await;
    let reply = analyze_desk(without, &[jpeg("image", &photo)]).await;
    assert_unavailable(&reply, "desk_fengshui");
    let reply = send(without, Method::GET, "/api/v2/desk-fengshui/rules", "").await;
    assert_unavailable(&reply, "desk_fengshui");
}

/// CRC-32 (PNG's chunk checksum), so a rewritten PNG header stays valid.
fn png_crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[tokio::test]
async fn oversized_desk_photos_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().expect("data dir");
    let gateway = start_desk_gateway(dir.path()).await;

    // 11 MB: over the form's limit, refused by the gateway itself.
    let mut eleven_mb = b"\x89PNG\r\n\x1a\n".to_vec();
    eleven_mb.resize(11 * 1024 * 1024, 0);
    let reply = analyze_desk(gateway, &[jpeg("image", &eleven_mb)]).await;
    assert_invalid(&reply, "image");
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("at most 10 MB (10485760 bytes)"),
        "{}",
        reply.text
    );

    // 9000 px wide (the header of the 416×416 cup photo, rewritten): a
    // small upload the service's decoder refuses from its header.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/vision/tests/data/coffee_416.png");
    let mut wide = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    wide[16..20].copy_from_slice(&9000u32.to_be_bytes());
    let crc = png_crc32(&wide[12..29]);
    wide[29..33].copy_from_slice(&crc.to_be_bytes());
    let reply = analyze_desk(
        gateway,
        &[FormField::File {
            name: "image",
            file_name: "desk.png",
            content_type: "image/png",
            bytes: &wide,
        }],
    )
    .await;
    assert_invalid(&reply, "image_data");
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("9000×416 pixels, more than 8000 on a side"),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn desk_rules_are_listed_with_their_version() {
    let dir = tempfile::tempdir().expect("data dir");
    let gateway = start_desk_gateway(dir.path()).await;

    let reply = send(gateway, Method::GET, "/api/v2/desk-fengshui/rules", "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["success"], true);
    let rules = body["data"]["rules"].as_array().expect("rules");
    assert!(rules.len() >= 40, "{} rules", rules.len());
    assert!(body["data"]["version"].as_i64() >= Some(1), "{body}");
}

/// The gateway in front of in-process fortune_analysis, bazi_core and
/// fortune_rule (its rules in `dir`).
async fn start_fortune_gateway(dir: &std::path::Path) -> SocketAddr {
    let core = serve_in_process(Routes::new(
        bazi_core_api::bazi_core_service_server::BaziCoreServiceServer::new(
            bazi_core::BaziCore::new(hifate_sdk::Identity::from_env("bazi_core")),
        ),
    ))
    .await;
    let rules =
        fortune_rule::FortuneRule::open(dir, hifate_sdk::Identity::from_env("fortune_rule"))
            .expect("fortune rules database");
    let rules = serve_in_process(Routes::new(
        fortune_rule_api::fortune_rule_service_server::FortuneRuleServiceServer::new(rules),
    ))
    .await;
    let analysis = fortune_analysis::FortuneAnalysis::new(
        hifate_sdk::Identity::from_env("fortune_analysis"),
        std::sync::Arc::new(vision::HandPipeline::embedded().expect("hand models")),
        std::sync::Arc::new(vision::FacePipeline::embedded().expect("face models")),
        &Peer::new("bazi_core").at(core.to_string()),
        &Peer::new("fortune_rule").at(rules.to_string()),
    )
    .expect("the analysis service");
    let analysis = serve_in_process(Routes::new(fortune_analysis::server(analysis))).await;
    serve_gateway(Upstreams {
        fortune_analysis: Some(analysis.to_string()),
        ..Upstreams::default()
    })
    .await
}

fn vision_photo(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/vision/tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

#[tokio::test]
async fn hand_and_face_photos_are_analysed_through_the_gateway() {
    let dir = tempfile::tempdir().expect("data dir");
    let gateway = start_fortune_gateway(dir.path()).await;
    let face = vision_photo("astronaut.jpg");
    let text = |name, value| FormField::Text { name, value };
    for path in ["/api/v1/fortune/face/analyze", "/api/v2/face/analyze"] {
        let fields = [
            jpeg("image", &face),
            text("solar_date", "1990-05-15"),
            text("solar_time", "14:30"),
            text("gender", "male"),
        ];
        let reply = post_form(gateway, path, &fields).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
        let data = &reply.json()["data"];
        let courts: f64 = ["upper", "middle", "lower"]
            .iter()
            .filter_map(|k| data["san_ting_ratio"][k].as_f64())
            .sum();
        assert!((courts - 1.0).abs() < 1e-3, "{path}: {data}");
        assert!(
            data["facial_attributes"]["face_shape"].is_string(),
            "{data}"
        );
        assert_eq!(data["landmarks"].as_array().map(Vec::len), Some(468));
        assert_eq!(
            data["bazi"]["bazi_pillars"].as_object().map(|p| p.len()),
            Some(4),
            "{data}"
        );
        assert!(data["report"]["features"].is_object(), "{data}");
    }
    let reply = post_form(gateway, "/api/v2/face/detect", &[jpeg("image", &face)]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let data = &reply.json()["data"];
    assert_eq!(data["landmarks"].as_array().map(Vec::len), Some(468));
    assert_eq!(data["face_box"].as_array().map(Vec::len), Some(4));

    // No hand in the coffee photo: the caller's to fix, naming the photo.
    let coffee = coffee_photo();
    let reply = post_form(
        gateway,
        "/api/v1/fortune/hand/analyze",
        &[jpeg("image", &coffee)],
    )
    .await;
    assert_invalid(&reply, "image");
    assert!(reply.text.contains("no hand"), "{}", reply.text);
    let reply = post_form(gateway, "/api/v2/face/detect", &[jpeg("image", &coffee)]).await;
    assert_invalid(&reply, "image");
    // Not an image: the service names its field.
    let reply = post_form(
        gateway,
        "/api/v1/fortune/face/analyze",
        &[jpeg("image", b"not an image")],
    )
    .await;
    assert_invalid(&reply, "image.image_bytes");

    let without = serve_gateway(Upstreams::default()).await;
    let reply = post_form(
        without,
        "/api/v1/fortune/hand/analyze",
        &[jpeg("image", &face)],
    )
    .await;
    assert_unavailable(&reply, "fortune_analysis");
}

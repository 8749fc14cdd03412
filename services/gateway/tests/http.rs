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
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
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

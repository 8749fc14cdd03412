//! `bazi.core.BaziCoreService` over real gRPC: an in-process server on a free
//! TCP port, and the `bazi_core` binary itself (health, reflection, SIGTERM).

use bazi_core::BaziCore;
use bazi_core_api::bazi_core_service_client::BaziCoreServiceClient;
use bazi_core_api::bazi_core_service_server::BaziCoreServiceServer;
use bazi_core_api::{BaziCoreRequest, BaziCoreResponse, HealthCheckRequest};
use hifate_sdk::testing::{reflected_services, serve_in_process, TestService};
use tonic::service::Routes;
use tonic::transport::Channel;
use tonic::Code;

/// Starts the service in-process on 127.0.0.1:<free port> and returns a client.
async fn start() -> BaziCoreServiceClient<Channel> {
    let addr = serve_in_process(Routes::new(BaziCoreServiceServer::new(BaziCore::default()))).await;
    BaziCoreServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect to the in-process server")
}

fn request(date: &str, time: &str, gender: &str) -> BaziCoreRequest {
    BaziCoreRequest {
        solar_date: date.to_owned(),
        solar_time: time.to_owned(),
        gender: gender.to_owned(),
    }
}

fn pillars(response: &BaziCoreResponse) -> String {
    [
        &response.year_pillar,
        &response.month_pillar,
        &response.day_pillar,
        &response.hour_pillar,
    ]
    .iter()
    .map(|p| {
        let p = p.as_ref().expect("pillar present");
        format!("{}{}", p.stem, p.branch)
    })
    .collect::<Vec<_>>()
    .join(" ")
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test]
async fn guide_example_chart() {
    let mut client = start().await;
    let response = client
        .calculate_bazi(request("1990-01-15", "12:00", "male"))
        .await
        .expect("chart")
        .into_inner();

    assert_eq!(pillars(&response), "己巳 丁丑 庚辰 壬午");

    let year = &response.details["year"];
    assert_eq!(year.main_star, "正印");
    assert_eq!(year.nayin, "大林木");
    assert_eq!(year.kongwang, "戌亥");
    let mut keys: Vec<_> = response.details.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["day", "hour", "month", "year"]);
    assert_eq!(response.details["hour"].main_star, "食神");
    assert_eq!(response.details["hour"].nayin, "杨柳木");

    let counts = &response.element_counts;
    assert_eq!(counts.len(), 4, "{counts:?}");
    assert_eq!(counts["土"], 3);
    assert_eq!(counts["火"], 3);
    assert_eq!(counts["金"], 1);
    assert_eq!(counts["水"], 1);

    let info = &response.basic_info;
    assert_eq!(info["solar_date"], "1990-01-15");
    assert_eq!(info["solar_time"], "12:00");
    assert_eq!(info["gender"], "male");
    assert_eq!(info["late_zi_adjusted"], "false");
    let lunar = json(&info["lunar_date"]);
    assert_eq!(lunar["year"], 1989);
    assert_eq!(lunar["month"], 12);
    assert_eq!(lunar["day"], 19);

    let totals = json(&response.ten_gods_stats["totals"]);
    assert!(totals.is_object(), "{totals}");
    let day = json(&response.relationships["day_pillar"]);
    assert_eq!(day["relation"], "generated_by");
    assert_eq!(json(&response.elements["hour"])["stem"], "壬");

    let metadata = json(&response.metadata_json);
    let data = &metadata["data"];
    assert_eq!(
        data["details"]["year"]["hidden_stems"],
        serde_json::json!(["丙火", "庚金", "戊土"])
    );
    assert_eq!(data["details"]["year"]["star_fortune"], "长生");
    assert_eq!(data["details"]["year"]["self_sitting"], "帝旺");
    assert_eq!(data["bazi_pillars"]["year"]["stem"], "己");
    assert_eq!(metadata["service"], "bazi_core");
    assert!(metadata["service_version"].is_u64(), "{metadata}");
    // The chart object starts with basic_info, in the documented key order.
    let chart_text = response
        .metadata_json
        .strip_prefix(r#"{"data":"#)
        .expect("data comes first");
    assert!(chart_text.starts_with(r#"{"basic_info":{"solar_date":"1990-01-15""#));
}

#[tokio::test]
async fn late_zi_hour_takes_the_next_day() {
    let mut client = start().await;
    let response = client
        .calculate_bazi(request("1985-05-20", "23:30", "female"))
        .await
        .expect("chart")
        .into_inner();
    assert_eq!(pillars(&response), "乙丑 辛巳 庚申 丙子");
    assert_eq!(response.basic_info["late_zi_adjusted"], "true");
    assert_eq!(response.details["day"].main_star, "元女");
}

#[tokio::test]
async fn bad_input_is_invalid_argument_naming_the_field() {
    let mut client = start().await;
    let cases = [
        ("1990-02-30", "12:00", "male", "solar_date"),
        ("1800-01-01", "12:00", "male", "solar_date"),
        ("15/01/1990", "12:00", "male", "solar_date"),
        ("1990-01-15", "25:00", "male", "solar_time"),
        ("1990-01-15", "noon", "male", "solar_time"),
        ("1990-01-15", "12:00", "x", "gender"),
        ("1990-01-15", "12:00", "", "gender"),
    ];
    for (date, time, gender, field) in cases {
        let status = client
            .calculate_bazi(request(date, time, gender))
            .await
            .expect_err("bad input is rejected");
        assert_eq!(
            status.code(),
            Code::InvalidArgument,
            "{date} {time} {gender}: {status:?}"
        );
        assert!(
            status.message().starts_with(&format!("{field}: ")),
            "{date} {time} {gender}: {}",
            status.message()
        );
    }
}

#[tokio::test]
async fn health_check_answers_ok() {
    let mut client = start().await;
    let response = client
        .health_check(HealthCheckRequest {})
        .await
        .expect("health")
        .into_inner();
    assert_eq!(response.status, "ok");
}

#[tokio::test]
async fn long_bad_input_is_not_echoed_at_length() {
    let mut client = start().await;
    let date = "9".repeat(17 * 1024);
    let status = client
        .calculate_bazi(request(&date, "12:00", "male"))
        .await
        .expect_err("not a date");
    assert_eq!(status.code(), Code::InvalidArgument);
    let message = status.message();
    assert!(
        message.len() <= hifate_sdk::MAX_STATUS_MESSAGE_BYTES,
        "grpc-message of {} bytes",
        message.len()
    );
    assert!(message.starts_with("solar_date: \"999"), "{message}");
    assert!(message.ends_with("bytes, truncated)"), "{message}");
}

#[tokio::test]
async fn binary_serves_health_reflection_and_charts_then_stops_on_sigterm() {
    let service = TestService::grpc(env!("CARGO_BIN_EXE_bazi_core"))
        .env("HIFATE_VERSION", "5")
        .start()
        .await;
    let channel = service.channel();

    // `start()` returned, so grpc.health.v1 answered SERVING.

    // Its own API, health, and reflection itself: nothing of other protos.
    assert_eq!(
        reflected_services(channel.clone()).await,
        [
            "bazi.core.BaziCoreService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
        ]
    );

    let mut client = BaziCoreServiceClient::new(channel.clone());
    let response = client
        .calculate_bazi(request("1990-01-15", "12:00", "male"))
        .await
        .expect("chart")
        .into_inner();
    assert_eq!(pillars(&response), "己巳 丁丑 庚辰 壬午");
    let metadata = json(&response.metadata_json);
    assert_eq!(metadata["service_version"], 5);
    let status = client
        .calculate_bazi(request(&"x".repeat(17 * 1024), "12:00", "male"))
        .await
        .expect_err("not a date");
    assert!(status.message().len() <= hifate_sdk::MAX_STATUS_MESSAGE_BYTES);
    drop(client);
    drop(channel);

    service.stop().await;
}

//! `bazi.fortune.BaziFortuneService` over real gRPC: an in-process server on
//! a free TCP port, and the `bazi_fortune` binary itself.

use bazi_fortune::BaziFortune;
use bazi_fortune_api::bazi_fortune_service_client::BaziFortuneServiceClient;
use bazi_fortune_api::bazi_fortune_service_server::BaziFortuneServiceServer;
use bazi_fortune_api::{BaziFortuneRequest, HealthCheckRequest};
use hifate_sdk::testing::{reflected_services, serve_in_process, TestService};
use serde_json::Value;
use tonic::service::Routes;
use tonic::transport::Channel;
use tonic::Code;

/// Starts the service in-process on 127.0.0.1:<free port> and returns a client.
async fn start() -> BaziFortuneServiceClient<Channel> {
    let addr = serve_in_process(Routes::new(BaziFortuneServiceServer::new(
        BaziFortune::default(),
    )))
    .await;
    BaziFortuneServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect to the in-process server")
}

fn request(date: &str, time: &str, gender: &str, now: &str) -> BaziFortuneRequest {
    BaziFortuneRequest {
        solar_date: date.to_owned(),
        solar_time: time.to_owned(),
        gender: gender.to_owned(),
        current_time: now.to_owned(),
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

async fn detail(
    client: &mut BaziFortuneServiceClient<Channel>,
    request: BaziFortuneRequest,
) -> Value {
    let response = client
        .calculate_dayun_liunian(request)
        .await
        .expect("fortune")
        .into_inner();
    json(&response.detail_json)
}

#[tokio::test]
async fn guide_example_fortune() {
    let mut client = start().await;
    let detail = detail(
        &mut client,
        request("1990-01-15", "12:00", "male", "2024-05-01T10:00:00"),
    )
    .await;

    let info = &detail["dayun_info"];
    assert_eq!(info["direction"], "backward");
    let qiyun = &info["qiyun"];
    assert_eq!(
        [&qiyun["years"], &qiyun["months"], &qiyun["days"]],
        [3, 2, 7]
    );
    assert_eq!(info["current_dayun"]["ganzhi"], "癸酉");
    assert_eq!(info["current_dayun"]["start_year"], 2023);
    assert_eq!(info["next_dayun"]["ganzhi"], "壬申");

    let sequence = detail["dayun_sequence"].as_array().expect("dayun_sequence");
    assert!(sequence.len() >= 11, "childhood and at least 10 pillars");
    assert_eq!(sequence[0]["index"], 0);
    assert_eq!(
        sequence[0]["ganzhi"],
        Value::Null,
        "childhood has no pillar"
    );
    let first = &sequence[1];
    assert_eq!(first["ganzhi"], "丙子");
    assert_eq!(first["start_year"], 1993);
    assert_eq!(first["start_age"], 4);
    let ganzhi: Vec<&str> = sequence[1..5]
        .iter()
        .map(|p| p["ganzhi"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ganzhi, ["丙子", "乙亥", "甲戌", "癸酉"]);

    let years = detail["liunian_sequence"].as_array().expect("liunian");
    assert_eq!(years[0]["year"], 1990);
    assert_eq!(years[0]["ganzhi"], "庚午");
    assert_eq!(years[0]["dayun_index"], 0);
    let y2024 = years
        .iter()
        .find(|y| y["year"] == 2024)
        .expect("2024 listed");
    assert_eq!(y2024["ganzhi"], "甲辰");
    assert_eq!(y2024["age"], 35);

    assert_eq!(detail["liuyue_sequence"].as_array().map(Vec::len), Some(12));
    assert_eq!(detail["liuri_sequence"].as_array().map(Vec::len), Some(31));
    assert_eq!(detail["liuri_sequence"][0]["date"], "2024-05-01");
    assert_eq!(detail["liushi_sequence"].as_array().map(Vec::len), Some(12));
    assert_eq!(detail["basic_info"]["is_zi_shi_adjusted"], false);
    assert_eq!(detail["bazi_pillars"]["day"]["stem"], "庚");
}

#[tokio::test]
async fn late_zi_hour_is_adjusted_to_the_next_day() {
    let mut client = start().await;
    let detail = detail(
        &mut client,
        request("1985-05-20", "23:30", "female", "2024-01-01"),
    )
    .await;
    let info = &detail["basic_info"];
    assert_eq!(info["is_zi_shi_adjusted"], true);
    assert_eq!(info["adjusted_solar_date"], "1985-05-21");
    assert_eq!(info["adjusted_solar_time"], "00:30");
}

#[tokio::test]
async fn bad_input_is_invalid_argument_naming_the_field() {
    let mut client = start().await;
    let cases = [
        ("1990-02-30", "12:00", "male", "", "solar_date"),
        ("1990-01-15", "25:00", "male", "", "solar_time"),
        ("1990-01-15", "12:00", "x", "", "gender"),
        ("1990-01-15", "12:00", "male", "tomorrow", "current_time"),
        ("1990-01-15", "12:00", "male", "2024-13-01", "current_time"),
        ("1990-01-15", "12:00", "male", "2300-01-01", "current_time"),
        (
            "1990-01-15",
            "12:00",
            "male",
            "9999-12-31T20:00:00Z",
            "current_time",
        ),
    ];
    for (date, time, gender, now, field) in cases {
        let status = client
            .calculate_dayun_liunian(request(date, time, gender, now))
            .await
            .expect_err("bad input is rejected");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(
            status.message().starts_with(&format!("{field}: ")),
            "{field}: {}",
            status.message()
        );
    }
}

#[tokio::test]
async fn current_time_defaults_to_now_and_takes_offsets() {
    let mut client = start().await;
    let response = client
        .calculate_dayun_liunian(request("1990-01-15", "12:00", "male", ""))
        .await
        .expect("fortune")
        .into_inner();
    let metadata = json(&response.metadata_json);
    assert_eq!(metadata["service"], "bazi_fortune");
    assert!(metadata["current_time"]
        .as_str()
        .is_some_and(|t| t.ends_with("+08:00")));

    // 2024-04-30T20:00Z is 2024-05-01 04:00 in Beijing.
    let detail = detail(
        &mut client,
        request("1990-01-15", "12:00", "male", "2024-04-30T20:00:00Z"),
    )
    .await;
    assert_eq!(detail["liuri_sequence"][0]["date"], "2024-05-01");
}

#[tokio::test]
async fn binary_serves_health_reflection_and_fortunes_then_stops_on_sigterm() {
    let service = TestService::grpc(env!("CARGO_BIN_EXE_bazi_fortune"))
        .env("HIFATE_VERSION", "3")
        .start()
        .await;
    let channel = service.channel();
    // `start()` returned, so grpc.health.v1 answered SERVING.
    assert_eq!(
        reflected_services(channel.clone()).await,
        [
            "bazi.fortune.BaziFortuneService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
        ]
    );
    let mut client = BaziFortuneServiceClient::new(channel.clone());
    let ok = client
        .health_check(HealthCheckRequest {})
        .await
        .expect("HealthCheck")
        .into_inner();
    assert_eq!(ok.status, "ok");
    let response = client
        .calculate_dayun_liunian(request("1990-01-15", "12:00", "male", "2024-05-01"))
        .await
        .expect("fortune")
        .into_inner();
    assert_eq!(json(&response.metadata_json)["service_version"], 3);
    drop(client);
    drop(channel);
    service.stop().await;
}

//! `bazi.core.BaziCoreService` over real gRPC: an in-process server on a free
//! TCP port, and the `bazi_core` binary itself.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bazi_core::BaziCore;
use hifate_proto::bazi_core::bazi_core_service_client::BaziCoreServiceClient;
use hifate_proto::bazi_core::bazi_core_service_server::BaziCoreServiceServer;
use hifate_proto::bazi_core::{BaziCoreRequest, BaziCoreResponse, HealthCheckRequest};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Channel, Server};
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// Starts the service in-process on 127.0.0.1:<free port> and returns a client.
async fn start() -> BaziCoreServiceClient<Channel> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(
        Server::builder()
            .add_service(BaziCoreServiceServer::new(BaziCore::default()))
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
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

/// Kills the child if the test fails before it has exited.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr")
}

#[tokio::test]
async fn binary_serves_health_and_charts_then_stops_on_sigterm() {
    let addr = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_bazi_core"))
        .env("HIFATE_ADDR", addr.to_string())
        .env("HIFATE_VERSION", "5")
        .env_remove("HIFATE_SOCKET")
        .env_remove("HIFATE_SERVICE")
        .stdin(Stdio::null())
        .spawn()
        .expect("start the bazi_core binary");
    let mut running = Running(child);

    let deadline = Instant::now() + Duration::from_secs(30);
    let channel = loop {
        match Channel::from_shared(format!("http://{addr}"))
            .expect("valid uri")
            .connect()
            .await
        {
            Ok(channel) => break channel,
            Err(error) => {
                if let Some(status) = running.0.try_wait().expect("poll child") {
                    panic!("bazi_core exited early with {status}");
                }
                assert!(
                    Instant::now() < deadline,
                    "bazi_core did not listen on {addr}: {error}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };

    let health = HealthClient::new(channel.clone())
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("grpc.health.v1 check")
        .into_inner();
    assert_eq!(health.status, ServingStatus::Serving as i32);

    let response = BaziCoreServiceClient::new(channel.clone())
        .calculate_bazi(request("1990-01-15", "12:00", "male"))
        .await
        .expect("chart")
        .into_inner();
    assert_eq!(pillars(&response), "己巳 丁丑 庚辰 壬午");
    let metadata = json(&response.metadata_json);
    assert_eq!(metadata["service_version"], 5);
    drop(channel);

    let pid = nix::unistd::Pid::from_raw(i32::try_from(running.0.id()).expect("pid fits in i32"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("send SIGTERM");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = running.0.try_wait().expect("poll child") {
            break status;
        }
        assert!(Instant::now() < deadline, "bazi_core ignored SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "bazi_core exited with {status}");
}

//! `desk.fengshui.DeskFengshuiService` over real gRPC: in-process servers
//! on free ports with the real detector (scikit-image's sample photos, see
//! crates/vision/tests/data/NOTICE), bazi_analyzer and bazi_rule in-process
//! for `use_bazi`, every bad-input case, and the binary itself.

use std::io::Cursor;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use desk_fengshui::DeskFengshui;
use desk_fengshui_api::desk_fengshui_service_client::DeskFengshuiServiceClient;
use desk_fengshui_api::{
    DeskAnalysisRequest, DeskAnalysisResponse, HealthCheckRequest, ListRulesRequest,
};
use hifate_sdk::testing::{reflected_services, serve_in_process, TestService};
use hifate_sdk::{Identity, Peer};
use image::{Rgb, RgbImage};
use tonic::service::Routes;
use tonic::transport::Channel;
use tonic::Code;
use vision::nanodet::Detector;

type Client = DeskFengshuiServiceClient<Channel>;

/// One detector for the whole file: loading costs more than a detection.
fn detector() -> Arc<Detector> {
    static DETECTOR: OnceLock<Arc<Detector>> = OnceLock::new();
    DETECTOR
        .get_or_init(|| Arc::new(Detector::embedded().expect("the embedded model loads")))
        .clone()
}

fn photo_bytes(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/vision/tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn encode_png(image: &RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .expect("encode PNG");
    bytes
}

/// A 1200×1200 grey desk with the coffee cup photo in its near-right corner
/// (bottom right of the image: the 白虎 side, close to the chair).
fn desk_with_cup_near_right() -> Vec<u8> {
    let cup = image::load_from_memory(&photo_bytes("coffee.jpg"))
        .expect("decode coffee")
        .to_rgb8();
    let mut desk = RgbImage::from_pixel(1200, 1200, Rgb([128, 128, 128]));
    image::imageops::replace(&mut desk, &cup, 600, 800);
    encode_png(&desk)
}

/// The service on a fresh data directory, bazi_analyzer at `analyzer`.
async fn start(dir: &Path, analyzer: &str) -> Client {
    let identity = Identity {
        service: "desk_fengshui".to_owned(),
        version: 3,
    };
    let service = DeskFengshui::open(
        dir,
        identity,
        detector(),
        &Peer::new("bazi_analyzer").at(analyzer),
    )
    .expect("open the service");
    let addr = serve_in_process(Routes::new(desk_fengshui::server(service))).await;
    DeskFengshuiServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect")
        .max_encoding_message_size(usize::MAX)
}

/// An address nothing listens on.
fn unused_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    addr.to_string()
}

/// bazi_rule and bazi_analyzer in-process; the analyzer's address.
async fn start_analyzer(dir: &Path) -> SocketAddr {
    let rules = bazi_rule::BaziRule::open(dir, Identity::from_env("bazi_rule")).expect("rules");
    let rules = serve_in_process(Routes::new(
        bazi_rule_api::bazi_rule_service_server::BaziRuleServiceServer::new(rules),
    ))
    .await;
    let analyzer = bazi_analyzer::BaziAnalyzer::connect_lazy(
        Identity::from_env("bazi_analyzer"),
        &Peer::new("bazi_rule").at(rules.to_string()),
    )
    .expect("peer");
    serve_in_process(Routes::new(
        bazi_analyzer_api::bazi_analyzer_service_server::BaziAnalyzerServiceServer::new(analyzer),
    ))
    .await
}

fn request(image_data: Vec<u8>) -> DeskAnalysisRequest {
    DeskAnalysisRequest {
        image_data,
        ..DeskAnalysisRequest::default()
    }
}

async fn analyze(client: &mut Client, request: DeskAnalysisRequest) -> DeskAnalysisResponse {
    client
        .analyze_desk(request)
        .await
        .expect("AnalyzeDesk")
        .into_inner()
}

async fn refused(client: &mut Client, request: DeskAnalysisRequest) -> tonic::Status {
    client.analyze_desk(request).await.expect_err("refused")
}

#[tokio::test]
async fn a_cup_on_the_right_near_the_chair_is_found_placed_and_advised() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = start(dir.path(), &unused_addr()).await;
    let answer = analyze(&mut client, request(desk_with_cup_near_right())).await;
    assert!(answer.success, "{answer:?}");
    let cup = answer
        .items
        .iter()
        .find(|item| item.name == "cup")
        .unwrap_or_else(|| panic!("no cup among {:?}", answer.items));
    assert_eq!(cup.label, "杯子");
    assert_eq!(cup.relative_position, fengshui::Cell::NearRight.name());
    assert_eq!(
        cup.bagua_direction,
        fengshui::Cell::NearRight.bagua().name()
    );
    // The box is in the photo's pixels, inside the pasted cup photo.
    assert_eq!(cup.bbox.len(), 4);
    assert!(
        cup.bbox[0] >= 600.0 && cup.bbox[1] >= 800.0,
        "{:?}",
        cup.bbox
    );
    assert!(
        cup.bbox[2] <= 1200.0 && cup.bbox[3] <= 1200.0,
        "{:?}",
        cup.bbox
    );
    assert!(cup.confidence >= 0.3);
    // Water on the 白虎 side is moved to the 青龙 side.
    let moved = answer
        .adjustments
        .iter()
        .find(|s| s.item == "cup")
        .unwrap_or_else(|| panic!("no cup adjustment among {:?}", answer.adjustments));
    assert_eq!(moved.action, "move");
    assert!(moved.ideal_position.contains("青龙"), "{moved:?}");
    assert!(!moved.reason.is_empty());
    assert!((0..=100).contains(&answer.score));
    assert!(answer.summary.contains("杯子"), "{}", answer.summary);
    assert!(answer.xishen.is_empty() && answer.jishen.is_empty());
}

#[tokio::test]
async fn a_photo_without_desk_objects_succeeds_with_no_items_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = start(dir.path(), &unused_addr()).await;
    let blank = encode_png(&RgbImage::from_pixel(640, 480, Rgb([200, 200, 200])));
    let answer = analyze(&mut client, request(blank)).await;
    assert!(answer.success);
    assert!(answer.items.is_empty(), "{:?}", answer.items);
    assert_eq!(answer.summary, fengshui::analysis::EMPTY_SUMMARY);
    assert!(answer.adjustments.is_empty() && answer.removals.is_empty());
}

#[tokio::test]
async fn every_bad_image_is_invalid_argument_naming_image_data_and_the_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = start(dir.path(), &unused_addr()).await;
    let too_wide = encode_png(&RgbImage::new(9000, 1));
    let mut too_big = b"\x89PNG\r\n\x1a\n".to_vec();
    too_big.resize(vision::MAX_IMAGE_BYTES + 1, 0);
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
    let mut truncated = photo_bytes("coffee_416.png");
    truncated.truncate(truncated.len() / 3);
    let cases: [(&str, Vec<u8>, &str); 6] = [
        ("empty", Vec::new(), "empty"),
        (
            "text",
            b"hello, this is not a photo".to_vec(),
            "not an image",
        ),
        ("gif", gif, "gif images are not accepted"),
        ("9000 px wide", too_wide, "more than 8000 on a side"),
        ("over 10 MB", too_big, "bytes"),
        ("truncated PNG", truncated, "damaged or truncated"),
    ];
    for (what, bytes, reason) in cases {
        let status = refused(&mut client, request(bytes)).await;
        assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
        assert!(
            status.message().starts_with("image_data: ") && status.message().contains(reason),
            "{what}: {}",
            status.message()
        );
    }
}

#[tokio::test]
async fn use_bazi_takes_the_elements_from_bazi_analyzer_and_checks_the_birth_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let analyzer = start_analyzer(dir.path()).await;
    let mut client = start(dir.path(), &analyzer.to_string()).await;
    let with_birth = |date: &str| DeskAnalysisRequest {
        image_data: desk_with_cup_near_right(),
        solar_date: date.to_owned(),
        solar_time: "12:00".to_owned(),
        gender: "male".to_owned(),
        use_bazi: true,
    };
    let answer = analyze(&mut client, with_birth("1990-01-15")).await;
    assert!(answer.success);
    assert!(!answer.xishen.is_empty(), "favourable elements: {answer:?}");
    assert!(
        !answer.jishen.is_empty(),
        "unfavourable elements: {answer:?}"
    );
    // The advice names the person's elements somewhere.
    let all: Vec<&str> = answer
        .additions
        .iter()
        .chain(&answer.removals)
        .chain(&answer.adjustments)
        .map(|s| s.reason.as_str())
        .collect();
    let first = answer.xishen.split('、').next().expect("an element");
    assert!(
        all.iter().any(|reason| reason.contains(first)),
        "no reason mentions {first}: {all:?}"
    );
    // The same photo without the birth date gets other additions or
    // removals: the elements steer them.
    let plain = analyze(&mut client, request(desk_with_cup_near_right())).await;
    assert!(plain.xishen.is_empty());
    let advice = |r: &DeskAnalysisResponse| -> Vec<(String, String, String)> {
        r.additions
            .iter()
            .chain(&r.removals)
            .map(|s| (s.item.clone(), s.action.clone(), s.reason.clone()))
            .collect()
    };
    assert_ne!(
        advice(&answer),
        advice(&plain),
        "elements steer additions or removals"
    );

    let status = refused(&mut client, with_birth("1990-13-45")).await;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().starts_with("solar_date"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn rules_and_health_are_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = start(dir.path(), &unused_addr()).await;
    let rules = client
        .list_rules(ListRulesRequest {})
        .await
        .expect("ListRules")
        .into_inner();
    let listed: serde_json::Value = serde_json::from_str(&rules.rules_json).expect("JSON");
    let listed = listed.as_array().expect("an array");
    assert!(listed.len() >= 40, "{} rules", listed.len());
    for class in [
        "laptop",
        "keyboard",
        "mouse",
        "cup",
        "cell phone",
        "book",
        "potted plant",
        "clock",
        "scissors",
        "vase",
        "bottle",
        "tv",
    ] {
        assert!(
            listed.iter().any(|rule| rule["item"] == class),
            "no rule for {class}"
        );
    }
    let health = client
        .health_check(HealthCheckRequest {})
        .await
        .expect("HealthCheck")
        .into_inner();
    assert_eq!(health.status, "healthy");
    assert_eq!(health.version, "3");
    assert_eq!(health.rules_version, rules.version);
    assert!(health.model.contains("nanodet"));
}

#[tokio::test]
async fn binary_loads_the_model_before_serving_and_answers_with_reflection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let service = TestService::grpc(env!("CARGO_BIN_EXE_desk_fengshui"))
        .data_dir(dir.path())
        .env("HIFATE_SERVICE_ADDR_BAZI_ANALYZER", unused_addr())
        .ready_timeout(std::time::Duration::from_secs(60))
        .start()
        .await;
    let channel = service.channel();
    assert_eq!(
        reflected_services(channel.clone()).await,
        [
            "desk.fengshui.DeskFengshuiService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
        ]
    );
    let mut client = DeskFengshuiServiceClient::new(channel).max_encoding_message_size(usize::MAX);
    let answer = analyze(&mut client, request(photo_bytes("coffee.jpg"))).await;
    assert!(
        answer.items.iter().any(|item| item.name == "cup"),
        "{answer:?}"
    );
    assert!(
        !answer.items.iter().any(|item| item.name == "toilet"),
        "the detector's known false class is dropped: {answer:?}"
    );
    assert!(
        !answer.items.iter().any(|item| item.name == "dining table"),
        "the desk itself is not an item: {answer:?}"
    );
    drop(client);
    service.stop().await;
    assert!(dir.path().join(desk_fengshui::DATABASE_FILE).is_file());
}

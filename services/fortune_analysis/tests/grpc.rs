//! `fortune.analysis.FortuneAnalysisService` over real gRPC: in-process
//! servers on free ports with the real mediapipe models, bazi_core and
//! fortune_rule in-process, the photos of the vision library's tests
//! (scikit-image's astronaut for a face; see crates/vision/tests/data/NOTICE),
//! photos without a hand or a face, every bad-input case, and the binary.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use fortune_analysis::FortuneAnalysis;
use fortune_analysis_api::fortune_analysis_service_client::FortuneAnalysisServiceClient;
use fortune_analysis_api::{
    BaziInfo, FaceAnalysisRequest, HandAnalysisRequest, HealthCheckRequest, ImageData,
};
use hifate_sdk::testing::{reflected_services, serve_in_process, TestService};
use hifate_sdk::{Identity, Peer};
use tonic::service::Routes;
use tonic::transport::Channel;
use tonic::Code;
use vision::{FacePipeline, HandPipeline};

type Client = FortuneAnalysisServiceClient<Channel>;

/// The pipelines, loaded once for the whole file.
fn pipelines() -> (Arc<HandPipeline>, Arc<FacePipeline>) {
    static PIPELINES: OnceLock<(Arc<HandPipeline>, Arc<FacePipeline>)> = OnceLock::new();
    PIPELINES
        .get_or_init(|| {
            (
                Arc::new(HandPipeline::embedded().expect("the hand models load")),
                Arc::new(FacePipeline::embedded().expect("the face models load")),
            )
        })
        .clone()
}

fn photo(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/vision/tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// bazi_core and fortune_rule in-process (the rules in `dir`).
async fn start_peers(dir: &Path) -> (SocketAddr, SocketAddr) {
    let core = bazi_core::BaziCore::new(Identity::from_env("bazi_core"));
    let core = serve_in_process(Routes::new(
        bazi_core_api::bazi_core_service_server::BaziCoreServiceServer::new(core),
    ))
    .await;
    let rules = fortune_rule::FortuneRule::open(dir, Identity::from_env("fortune_rule"))
        .expect("open the rules");
    let rules = serve_in_process(Routes::new(
        fortune_rule_api::fortune_rule_service_server::FortuneRuleServiceServer::new(rules),
    ))
    .await;
    (core, rules)
}

async fn start(dir: &Path) -> Client {
    let (core, rules) = start_peers(dir).await;
    let (hands, faces) = pipelines();
    let service = FortuneAnalysis::new(
        Identity {
            service: "fortune_analysis".to_owned(),
            version: 4,
        },
        hands,
        faces,
        &Peer::new("bazi_core").at(core.to_string()),
        &Peer::new("fortune_rule").at(rules.to_string()),
    )
    .expect("the service");
    let addr = serve_in_process(Routes::new(fortune_analysis::server(service))).await;
    FortuneAnalysisServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect")
        .max_encoding_message_size(usize::MAX)
}

fn image(bytes: Vec<u8>) -> Option<ImageData> {
    Some(ImageData {
        image_bytes: bytes,
        image_format: "jpeg".to_owned(),
        filename: "photo.jpg".to_owned(),
    })
}

fn birth(use_bazi: bool) -> Option<BaziInfo> {
    Some(BaziInfo {
        solar_date: "1990-05-15".to_owned(),
        solar_time: "14:30".to_owned(),
        gender: "male".to_owned(),
        use_bazi,
    })
}

fn face(bytes: Vec<u8>, bazi_info: Option<BaziInfo>) -> FaceAnalysisRequest {
    FaceAnalysisRequest {
        image: image(bytes),
        bazi_info,
    }
}

fn hand(bytes: Vec<u8>, bazi_info: Option<BaziInfo>) -> HandAnalysisRequest {
    HandAnalysisRequest {
        image: image(bytes),
        bazi_info,
    }
}

#[tokio::test]
async fn a_face_is_measured_and_matched_with_and_without_the_chart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = start(dir.path()).await;
    let plain = client
        .analyze_face(face(photo("astronaut.jpg"), None))
        .await
        .expect("AnalyzeFace")
        .into_inner();
    assert!(plain.success, "{plain:?}");
    let features = plain.features.as_ref().expect("features");
    assert_eq!(features.landmarks.len(), 468);
    let courts: f32 = features.san_ting_ratio.values().sum();
    assert!(
        (courts - 1.0).abs() < 1e-3,
        "three courts sum to 1: {courts}"
    );
    assert!(features.facial_attributes.contains_key("face_shape"));
    assert!(!plain.insights.is_empty(), "face rules matched: {plain:?}");
    assert!(plain.bazi_data.is_none());
    assert!(plain.confidence > 0.5, "{}", plain.confidence);
    let report: serde_json::Value = serde_json::from_str(&plain.report_json).expect("report");
    assert!(report["features"].is_object(), "{report}");

    let with_chart = client
        .analyze_face(face(photo("astronaut.jpg"), birth(true)))
        .await
        .expect("AnalyzeFace with the chart")
        .into_inner();
    assert!(with_chart.success);
    let chart = with_chart.bazi_data.as_ref().expect("the chart");
    assert_eq!(chart.bazi_pillars.len(), 4, "{chart:?}");
    assert_eq!(chart.element_counts.values().sum::<i32>(), 8, "{chart:?}");
    // The same face: the same features, whatever the chart.
    assert_eq!(
        with_chart.features.as_ref().map(|f| &f.facial_attributes),
        Some(&features.facial_attributes)
    );
    println!(
        "face: {} insights, {} integrated, {} recommendations",
        with_chart.insights.len(),
        with_chart.integrated_insights.len(),
        with_chart.recommendations.len()
    );
}

#[tokio::test]
async fn a_photo_without_a_hand_or_a_face_is_an_unsuccessful_answer_that_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = start(dir.path()).await;
    let no_hand = client
        .analyze_hand(hand(photo("coffee.jpg"), None))
        .await
        .expect("AnalyzeHand")
        .into_inner();
    assert!(!no_hand.success);
    assert_eq!(no_hand.error_message, fortune_analysis::NO_HAND);
    let no_face = client
        .analyze_face(face(photo("coffee.jpg"), None))
        .await
        .expect("AnalyzeFace")
        .into_inner();
    assert!(!no_face.success);
    assert_eq!(no_face.error_message, fortune_analysis::NO_FACE);
    let detected = client
        .detect_face(face(photo("coffee.jpg"), None))
        .await
        .expect("DetectFace")
        .into_inner();
    assert!(!detected.success && detected.landmarks.is_empty());
    let detected = client
        .detect_face(face(photo("astronaut.jpg"), None))
        .await
        .expect("DetectFace")
        .into_inner();
    assert!(detected.success);
    assert_eq!(detected.landmarks.len(), 468);
    assert_eq!((detected.image_width, detected.image_height), (512, 512));
    let [x0, y0, x1, y1] = detected.face_box[..] else {
        panic!("a box of four numbers: {:?}", detected.face_box);
    };
    assert!(x0 < x1 && y0 < y1 && x1 <= 512.0 && y1 <= 512.0);
}

#[tokio::test]
async fn bad_input_is_invalid_argument_naming_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = start(dir.path()).await;
    let refused = |result: Result<tonic::Response<_>, tonic::Status>| match result {
        Ok(answer) => panic!("accepted: {:?}", answer.into_inner()),
        Err(status) => status,
    };
    for bytes in [Vec::new(), b"not an image at all".to_vec()] {
        let status = refused(
            client
                .analyze_face(face(bytes.clone(), None))
                .await
                .map(|r| r.map(|_| ())),
        );
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(
            status.message().starts_with("image.image_bytes"),
            "{status:?}"
        );
        let status = refused(
            client
                .analyze_hand(hand(bytes, None))
                .await
                .map(|r| r.map(|_| ())),
        );
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(
            status.message().starts_with("image.image_bytes"),
            "{status:?}"
        );
    }
    let mut bad_birth = birth(true);
    if let Some(info) = bad_birth.as_mut() {
        info.solar_date = "1990-13-45".to_owned();
    }
    let status = refused(
        client
            .analyze_face(face(photo("astronaut.jpg"), bad_birth))
            .await
            .map(|r| r.map(|_| ())),
    );
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().starts_with("bazi_info.solar_date"),
        "{status:?}"
    );
    let health = client
        .health_check(HealthCheckRequest {})
        .await
        .expect("HealthCheck")
        .into_inner();
    assert!(health.status.starts_with("healthy"), "{health:?}");
}

#[tokio::test]
async fn binary_loads_the_models_before_serving_and_answers_with_reflection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (core, rules) = start_peers(dir.path()).await;
    let service = TestService::grpc(env!("CARGO_BIN_EXE_fortune_analysis"))
        .data_dir(dir.path())
        .env("HIFATE_SERVICE_ADDR_BAZI_CORE", core.to_string())
        .env("HIFATE_SERVICE_ADDR_FORTUNE_RULE", rules.to_string())
        .ready_timeout(std::time::Duration::from_secs(60))
        .start()
        .await;
    let channel = service.channel();
    assert_eq!(
        reflected_services(channel.clone()).await,
        [
            "fortune.analysis.FortuneAnalysisService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
        ]
    );
    let mut client =
        FortuneAnalysisServiceClient::new(channel).max_encoding_message_size(usize::MAX);
    let answer = client
        .analyze_face(face(photo("astronaut.jpg"), birth(true)))
        .await
        .expect("AnalyzeFace")
        .into_inner();
    assert!(answer.success, "{answer:?}");
    assert!(answer.bazi_data.is_some());
    drop(client);
    service.stop().await;
}

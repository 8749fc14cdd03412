//! The `fortune_analysis` service: a photo of a hand or a face in, insights
//! out, over gRPC (`fortune.analysis.FortuneAnalysisService`, see
//! `services/fortune_analysis/api/proto/fortune/analysis/fortune_analysis.proto`).
//!
//! A call goes photo → landmarks → features → rules:
//! - the [`vision`] library decodes and checks the photo (JPEG, PNG or WebP;
//!   at most 10 MB and 8,000 px a side) and runs mediapipe's palm detector
//!   and hand landmark model, or its face detector and face mesh, compiled
//!   into the binary and loaded before the service reports ready;
//! - the [`physiognomy`] library measures the landmarks (finger and palm
//!   proportions and the hand type; the face's shape, three courts, eyes,
//!   nose, mouth, brows);
//! - bazi_core computes the chart when the caller asks for it (`use_bazi`),
//!   and fortune_rule matches its rules against the features and the
//!   chart — both through their front ports (`hifate_sdk::peer`).
//!
//! A photo without a hand (or a face) is `success = false` with an
//! `error_message` saying so, not an error status. Bad input is
//! `INVALID_ARGUMENT` naming the field: `image.image_bytes` (with the
//! decoder's reason) and, with `use_bazi`, the birth fields (bazi_core's
//! own message).

use std::sync::Arc;
use std::time::Instant;

use bazi_core_api::bazi_core_service_client::BaziCoreServiceClient;
use bazi_core_api::{BaziCoreRequest, BaziCoreResponse, Pillar};
use fortune_analysis_api::fortune_analysis_service_server::{
    FortuneAnalysisService, FortuneAnalysisServiceServer,
};
use fortune_analysis_api::{
    AnalysisInsight, BaziData, BaziInfo, FaceAnalysisRequest, FaceAnalysisResponse,
    FaceDetectResponse, FaceFeatures, HandAnalysisRequest, HandAnalysisResponse, HandFeatures,
    HealthCheckRequest, HealthCheckResponse,
};
use fortune_rule_api::fortune_rule_service_client::FortuneRuleServiceClient;
use fortune_rule_api::{FaceRuleMatchRequest, HandRuleMatchRequest, RuleMatchResponse};
use hifate_sdk::{Identity, Peer, PeerError};
use serde_json::json;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};
use vision::face::{FaceLandmarks, FacePipeline};
use vision::geometry::Point3;
use vision::hand::{HandLandmarks, HandPipeline};

/// Name of the service under the supervisor.
pub const SERVICE_NAME: &str = "fortune_analysis";
/// TCP port used when the binary runs without a supervisor.
pub const DEFAULT_PORT: u16 = 9005;
/// The models' names in the report.
pub const MODELS: &str = "mediapipe palm_detection_full + hand_landmark_full, \
     face_detection_short_range + face_landmark (ONNX via tract)";

/// Largest request the transport takes: see
/// [`vision::MAX_PHOTO_REQUEST_BYTES`].
pub const MAX_REQUEST_BYTES: usize = vision::MAX_PHOTO_REQUEST_BYTES;

/// The answer to a photo without a hand: what to send instead.
pub const NO_HAND: &str =
    "no hand was found in the photo; photograph one open palm, fingers spread, filling most of the frame";
/// The answer to a photo without a face.
pub const NO_FACE: &str =
    "no face was found in the photo; photograph one face from the front, evenly lit, filling a good part of the frame";

/// How long a call to bazi_core or fortune_rule may take.
pub const PEER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The gRPC server of `service`, taking photos up to [`MAX_REQUEST_BYTES`].
pub fn server(service: FortuneAnalysis) -> FortuneAnalysisServiceServer<FortuneAnalysis> {
    FortuneAnalysisServiceServer::new(service).max_decoding_message_size(MAX_REQUEST_BYTES)
}

/// How the service reaches bazi_core: its front port, else the guide's.
pub fn bazi_core_peer() -> Peer {
    Peer::new("bazi_core")
        .or_addr("127.0.0.1:9001")
        .request_timeout(PEER_TIMEOUT)
}

/// How the service reaches fortune_rule: its front port, else the guide's.
pub fn fortune_rule_peer() -> Peer {
    Peer::new("fortune_rule")
        .or_addr("127.0.0.1:9007")
        .request_timeout(PEER_TIMEOUT)
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot set up a client: {0}")]
    Peer(#[from] PeerError),
}

/// The `fortune.analysis.FortuneAnalysisService` implementation.
#[derive(Clone)]
pub struct FortuneAnalysis {
    identity: Identity,
    hands: Arc<HandPipeline>,
    faces: Arc<FacePipeline>,
    core: BaziCoreServiceClient<Channel>,
    rules: FortuneRuleServiceClient<Channel>,
    /// Photos analysed at once: one per core (each keeps a core busy for the
    /// models' run; more at once would only hold more tensors in memory).
    analysing: Arc<tokio::sync::Semaphore>,
}

impl FortuneAnalysis {
    /// The service with its pipelines, and bazi_core and fortune_rule at
    /// `core` and `rules` (connected on first use).
    pub fn new(
        identity: Identity,
        hands: Arc<HandPipeline>,
        faces: Arc<FacePipeline>,
        core: &Peer,
        rules: &Peer,
    ) -> Result<FortuneAnalysis, OpenError> {
        Ok(FortuneAnalysis {
            identity,
            hands,
            faces,
            core: BaziCoreServiceClient::new(core.connect_lazy()?),
            rules: FortuneRuleServiceClient::new(rules.connect_lazy()?),
            analysing: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            )),
        })
    }

    /// The chart from bazi_core, when the caller asked for one.
    async fn chart(&self, info: Option<&BaziInfo>) -> Result<Option<BaziCoreResponse>, Status> {
        let Some(info) = info.filter(|i| i.use_bazi) else {
            return Ok(None);
        };
        let answer = self
            .core
            .clone()
            .calculate_bazi(BaziCoreRequest {
                solar_date: info.solar_date.clone(),
                solar_time: info.solar_time.clone(),
                gender: info.gender.clone(),
            })
            .await
            .map_err(|status| match status.code() {
                // The birth fields are the caller's: name them as theirs.
                tonic::Code::InvalidArgument => {
                    hifate_sdk::invalid_argument(format!("bazi_info.{}", status.message()))
                }
                code => Status::unavailable(format!(
                    "bazi_core failed ({code:?}: {}); retry, or send use_bazi = false",
                    status.message()
                )),
            })?;
        Ok(Some(answer.into_inner()))
    }

    /// Decodes `bytes` and runs `analyse` on the image, one photo per core.
    async fn with_image<T, F>(&self, bytes: Vec<u8>, analyse: F) -> Result<(T, u64), Status>
    where
        T: Send + 'static,
        F: FnOnce(&vision::RgbImage) -> Result<T, vision::landmark::LandmarkError> + Send + 'static,
    {
        if bytes.is_empty() {
            return Err(hifate_sdk::invalid_argument(
                "image.image_bytes: empty; send a JPEG, PNG or WebP photo",
            ));
        }
        let _turn = self
            .analysing
            .acquire()
            .await
            .map_err(|_| Status::unavailable("the service is stopping"))?;
        let started = Instant::now();
        let found = tokio::task::spawn_blocking(move || {
            let image = vision::decode(&bytes)
                .map_err(|e| hifate_sdk::invalid_argument(format!("image.image_bytes: {e}")))?;
            analyse(&image)
                .map_err(|e| Status::internal(format!("the landmark models failed: {e}")))
        })
        .await
        .map_err(|e| Status::internal(format!("the analysis task failed: {e}")))??;
        Ok((found, started.elapsed().as_millis() as u64))
    }

    /// fortune_rule's answer, its failures said as the caller's or as its own.
    fn rules_status(status: Status) -> Status {
        match status.code() {
            tonic::Code::InvalidArgument => hifate_sdk::invalid_argument(status.message()),
            code => Status::unavailable(format!(
                "fortune_rule failed ({code:?}: {}); retry later",
                status.message()
            )),
        }
    }
}

/// A landmark as the original answered it: `"x,y,z"` (pixels, pixels,
/// mediapipe's relative depth).
fn landmark_text(point: &Point3) -> String {
    format!("{:.1},{:.1},{:.3}", point.x, point.y, point.z)
}

fn points_array(points: &[Point3]) -> Vec<[f32; 3]> {
    points.iter().map(|p| [p.x, p.y, p.z]).collect()
}

fn pillar_text(pillar: Option<&Pillar>) -> String {
    pillar
        .map(|p| format!("{}{}", p.stem, p.branch))
        .unwrap_or_default()
}

/// The chart as fortune.analysis answers it.
fn analysis_bazi_data(chart: &BaziCoreResponse) -> BaziData {
    BaziData {
        basic_info: chart.basic_info.clone(),
        bazi_pillars: pillars(chart),
        five_elements: chart.elements.clone(),
        element_counts: chart.element_counts.clone(),
        ten_gods: chart.ten_gods_stats.clone(),
        metadata_json: chart.metadata_json.clone(),
    }
}

fn pillars(chart: &BaziCoreResponse) -> std::collections::HashMap<String, String> {
    [
        ("year", chart.year_pillar.as_ref()),
        ("month", chart.month_pillar.as_ref()),
        ("day", chart.day_pillar.as_ref()),
        ("hour", chart.hour_pillar.as_ref()),
    ]
    .into_iter()
    .map(|(name, pillar)| (name.to_owned(), pillar_text(pillar)))
    .collect()
}

fn rule_bazi_info(info: Option<&BaziInfo>) -> Option<fortune_rule_api::BaziInfo> {
    info.map(|i| fortune_rule_api::BaziInfo {
        solar_date: i.solar_date.clone(),
        solar_time: i.solar_time.clone(),
        gender: i.gender.clone(),
        use_bazi: i.use_bazi,
    })
}

fn insights(items: &[fortune_rule_api::AnalysisInsight]) -> Vec<AnalysisInsight> {
    items
        .iter()
        .map(|i| AnalysisInsight {
            category: i.category.clone(),
            content: i.content.clone(),
            confidence: i.confidence,
            source: i.source.clone(),
        })
        .collect()
}

/// The hand's features as fortune.rule takes them.
fn rule_hand_features(features: &physiognomy::HandFeatures) -> fortune_rule_api::HandFeatures {
    fortune_rule_api::HandFeatures {
        hand_shape: features.hand_shape().to_owned(),
        hand_shape_ratio: features.hand_shape_ratio(),
        hand_shape_confidence: features.hand_shape_confidence(),
        finger_lengths: owned_words(features.finger_lengths()),
        finger_ratios: owned_numbers(features.finger_ratios()),
        measurements: owned_numbers(features.measurements()),
        hand_orientation: features.hand_orientation(),
        ..Default::default()
    }
}

fn rule_face_features(features: &physiognomy::FaceFeatures) -> fortune_rule_api::FaceFeatures {
    fortune_rule_api::FaceFeatures {
        san_ting_ratio: owned_numbers(features.san_ting_ratio()),
        facial_attributes: owned_words(features.facial_attributes()),
        feature_measurements: owned_numbers(features.feature_measurements()),
        special_features: features.special_features(),
    }
}

fn owned_words(pairs: Vec<(&str, &str)>) -> std::collections::HashMap<String, String> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn owned_numbers(pairs: Vec<(&str, f32)>) -> std::collections::HashMap<String, f32> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Which hand it is. mediapipe labels hands as if the photo were mirrored
/// (a selfie camera's view); an uploaded photo of a hand is taken as an
/// ordinary, unmirrored photo, so the label is swapped.
fn handedness(hand: &HandLandmarks) -> physiognomy::Handedness {
    match hand.handedness.swapped() {
        vision::hand::Handedness::Left => physiognomy::Handedness::Left,
        vision::hand::Handedness::Right => physiognomy::Handedness::Right,
    }
}

#[tonic::async_trait]
impl FortuneAnalysisService for FortuneAnalysis {
    async fn analyze_hand(
        &self,
        request: Request<HandAnalysisRequest>,
    ) -> Result<Response<HandAnalysisResponse>, Status> {
        let request = request.into_inner();
        let bytes = request.image.map(|i| i.image_bytes).unwrap_or_default();
        let chart = self.chart(request.bazi_info.as_ref()).await?;
        let hands = self.hands.clone();
        let (landmarks, analyse_ms) = self
            .with_image(bytes, move |image| {
                hands.detect(image).map(|mut found| {
                    // The pipeline sorts by score: the best hand is first.
                    (!found.is_empty()).then(|| found.swap_remove(0))
                })
            })
            .await?;
        let Some(hand) = landmarks else {
            return Ok(Response::new(HandAnalysisResponse {
                success: false,
                error_message: NO_HAND.to_owned(),
                bazi_data: chart.as_ref().map(analysis_bazi_data),
                ..Default::default()
            }));
        };
        let points: Vec<[f32; 3]> = points_array(&hand.points);
        let Ok(points21) = <[[f32; 3]; 21]>::try_from(points.as_slice()) else {
            return Err(Status::internal(
                "the hand model gave other than 21 landmarks",
            ));
        };
        let features = match physiognomy::hand_features(&points21, handedness(&hand)) {
            Ok(features) => features,
            Err(error) => {
                return Ok(Response::new(HandAnalysisResponse {
                    success: false,
                    error_message: format!(
                        "the hand in the photo could not be measured ({error}); photograph it flat and whole"
                    ),
                    ..Default::default()
                }))
            }
        };
        let matched: RuleMatchResponse = self
            .rules
            .clone()
            .match_hand_rules(HandRuleMatchRequest {
                hand_features: Some(rule_hand_features(&features)),
                // fortune_rule computes the chart itself from the birth
                // fields: it needs the strength and the favourable
                // elements, which bazi_core's answer does not carry.
                bazi_info: rule_bazi_info(request.bazi_info.as_ref()),
                bazi_data: None,
            })
            .await
            .map_err(Self::rules_status)?
            .into_inner();
        let mut measurements = owned_numbers(features.measurements());
        // The analysis proto has no ratio map: ratios go with the measurements.
        measurements.extend(owned_numbers(features.finger_ratios()));
        let confidence = hand.presence * hand.palm_score;
        let report = json!({
            "models": MODELS,
            "analyse_ms": analyse_ms,
            "handedness": hand.handedness.label(),
            "handedness_score": hand.handedness_score,
            "presence": hand.presence,
            "palm_score": hand.palm_score,
            "features": features,
            "rules_success": matched.success,
        });
        Ok(Response::new(HandAnalysisResponse {
            success: matched.success,
            error_message: matched.error_message.clone(),
            features: Some(HandFeatures {
                hand_shape: features.hand_shape().to_owned(),
                finger_lengths: owned_words(features.finger_lengths()),
                palm_lines: Default::default(),
                measurements,
                landmarks: hand.points.iter().map(landmark_text).collect(),
            }),
            insights: insights(&matched.hand_insights),
            bazi_data: chart.as_ref().map(analysis_bazi_data),
            integrated_insights: insights(&matched.integrated_insights),
            recommendations: matched.recommendations,
            confidence,
            report_json: report.to_string(),
        }))
    }

    async fn analyze_face(
        &self,
        request: Request<FaceAnalysisRequest>,
    ) -> Result<Response<FaceAnalysisResponse>, Status> {
        let request = request.into_inner();
        let bytes = request.image.map(|i| i.image_bytes).unwrap_or_default();
        let chart = self.chart(request.bazi_info.as_ref()).await?;
        let faces = self.faces.clone();
        let (landmarks, analyse_ms) = self
            .with_image(bytes, move |image| {
                faces
                    .detect(image)
                    .map(|mut found| (!found.is_empty()).then(|| found.swap_remove(0)))
            })
            .await?;
        let Some(face): Option<FaceLandmarks> = landmarks else {
            return Ok(Response::new(FaceAnalysisResponse {
                success: false,
                error_message: NO_FACE.to_owned(),
                bazi_data: chart.as_ref().map(analysis_bazi_data),
                ..Default::default()
            }));
        };
        let features = match physiognomy::face_features(&points_array(&face.points)) {
            Ok(features) => features,
            Err(error) => {
                return Ok(Response::new(FaceAnalysisResponse {
                    success: false,
                    error_message: format!(
                        "the face in the photo could not be measured ({error}); photograph it from the front"
                    ),
                    ..Default::default()
                }))
            }
        };
        let matched = self
            .rules
            .clone()
            .match_face_rules(FaceRuleMatchRequest {
                face_features: Some(rule_face_features(&features)),
                // fortune_rule computes the chart itself from the birth
                // fields: it needs the strength and the favourable
                // elements, which bazi_core's answer does not carry.
                bazi_info: rule_bazi_info(request.bazi_info.as_ref()),
                bazi_data: None,
            })
            .await
            .map_err(Self::rules_status)?
            .into_inner();
        let confidence = face.score * face.detection_score;
        let report = json!({
            "models": MODELS,
            "analyse_ms": analyse_ms,
            "face_score": face.score,
            "detection_score": face.detection_score,
            "features": features,
            "rules_success": matched.success,
        });
        Ok(Response::new(FaceAnalysisResponse {
            success: matched.success,
            error_message: matched.error_message.clone(),
            features: Some(FaceFeatures {
                san_ting_ratio: owned_numbers(features.san_ting_ratio()),
                facial_attributes: owned_words(features.facial_attributes()),
                feature_measurements: owned_numbers(features.feature_measurements()),
                special_features: features.special_features(),
                landmarks: face.points.iter().map(landmark_text).collect(),
            }),
            insights: insights(&matched.face_insights),
            bazi_data: chart.as_ref().map(analysis_bazi_data),
            integrated_insights: insights(&matched.integrated_insights),
            recommendations: matched.recommendations,
            confidence,
            report_json: report.to_string(),
        }))
    }

    async fn detect_face(
        &self,
        request: Request<FaceAnalysisRequest>,
    ) -> Result<Response<FaceDetectResponse>, Status> {
        let bytes = request
            .into_inner()
            .image
            .map(|i| i.image_bytes)
            .unwrap_or_default();
        let faces = self.faces.clone();
        let ((face, size), _) = self
            .with_image(bytes, move |image| {
                let size = image.dimensions();
                faces
                    .detect(image)
                    .map(|mut found| ((!found.is_empty()).then(|| found.swap_remove(0)), size))
            })
            .await?;
        let (image_width, image_height) = size;
        let Some(face) = face else {
            return Ok(Response::new(FaceDetectResponse {
                success: false,
                error_message: NO_FACE.to_owned(),
                image_width,
                image_height,
                ..Default::default()
            }));
        };
        let b = face.face_box;
        Ok(Response::new(FaceDetectResponse {
            success: true,
            error_message: String::new(),
            landmarks: face.points.iter().map(landmark_text).collect(),
            face_box: vec![b.x0, b.y0, b.x1, b.y1],
            score: face.score,
            detection_score: face.detection_score,
            image_width,
            image_height,
        }))
    }

    async fn health_check(
        &self,
        _request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        Ok(Response::new(HealthCheckResponse {
            status: format!("healthy (version {})", self.identity.version),
        }))
    }
}

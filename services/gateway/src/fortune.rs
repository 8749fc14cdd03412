//! Hand and face photos analysed by fortune_analysis:
//! `/api/v1/fortune/hand/analyze` and `/api/v1/fortune/face/analyze` (the
//! original paths), `/api/v2/face/analyze` (the same face analysis) and
//! `/api/v2/face/detect` (the face's landmarks only).

use std::collections::BTreeMap;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Response};
use fortune_analysis_api::{
    AnalysisInsight, BaziInfo, FaceAnalysisRequest, FaceAnalysisResponse, FaceDetectResponse,
    HandAnalysisRequest, HandAnalysisResponse, ImageData,
};
use serde::Serialize;

use crate::photo::{self, PhotoForm};
use crate::request::invalid;
use crate::{
    raw_json, success_of, upstream_version, with_versions, ApiError, AppState, FORTUNE_ANALYSIS,
    FORTUNE_ANALYSIS_VERSION_HEADER,
};

#[derive(Serialize)]
struct Insight {
    category: String,
    content: String,
    confidence: f32,
    source: String,
}

fn insights(items: Vec<AnalysisInsight>) -> Vec<Insight> {
    items
        .into_iter()
        .map(|i| Insight {
            category: i.category,
            content: i.content,
            confidence: i.confidence,
            source: i.source,
        })
        .collect()
}

/// The chart, when the form asked for one.
#[derive(Serialize)]
struct Chart {
    basic_info: BTreeMap<String, String>,
    bazi_pillars: BTreeMap<String, String>,
    five_elements: BTreeMap<String, String>,
    element_counts: BTreeMap<String, i32>,
    ten_gods: BTreeMap<String, String>,
}

fn chart(data: Option<fortune_analysis_api::BaziData>) -> Option<Chart> {
    data.map(|d| Chart {
        basic_info: d.basic_info.into_iter().collect(),
        bazi_pillars: d.bazi_pillars.into_iter().collect(),
        five_elements: d.five_elements.into_iter().collect(),
        element_counts: d.element_counts.into_iter().collect(),
        ten_gods: d.ten_gods.into_iter().collect(),
    })
}

/// What the rules and the chart added to an analysis, hand or face.
#[derive(Serialize)]
struct Reading {
    insights: Vec<Insight>,
    integrated_insights: Vec<Insight>,
    recommendations: Vec<String>,
    confidence: f32,
    bazi: Option<Chart>,
    report: Box<serde_json::value::RawValue>,
}

impl Reading {
    fn new(
        found: Vec<AnalysisInsight>,
        integrated: Vec<AnalysisInsight>,
        recommendations: Vec<String>,
        confidence: f32,
        bazi_data: Option<fortune_analysis_api::BaziData>,
        report_json: String,
    ) -> Result<Reading, ApiError> {
        Ok(Reading {
            insights: insights(found),
            integrated_insights: insights(integrated),
            recommendations,
            confidence,
            bazi: chart(bazi_data),
            report: raw_json(FORTUNE_ANALYSIS, "report_json", report_json)?,
        })
    }
}

/// `data` of the hand analysis.
#[derive(Serialize)]
struct HandAnalysis {
    hand_shape: String,
    finger_lengths: BTreeMap<String, String>,
    measurements: BTreeMap<String, f32>,
    landmarks: Vec<String>,
    #[serde(flatten)]
    reading: Reading,
}

/// `data` of the face analysis.
#[derive(Serialize)]
struct FaceAnalysis {
    san_ting_ratio: BTreeMap<String, f32>,
    facial_attributes: BTreeMap<String, String>,
    feature_measurements: BTreeMap<String, f32>,
    special_features: Vec<String>,
    landmarks: Vec<String>,
    #[serde(flatten)]
    reading: Reading,
}

/// `data` of `/api/v2/face/detect`.
#[derive(Serialize)]
struct FaceDetection {
    landmarks: Vec<String>,
    face_box: Vec<f32>,
    score: f32,
    detection_score: f32,
    image_width: u32,
    image_height: u32,
}

fn image(photo: &mut PhotoForm) -> ImageData {
    ImageData {
        image_bytes: std::mem::take(&mut photo.image),
        ..ImageData::default()
    }
}

fn bazi_info(photo: &PhotoForm) -> BaziInfo {
    BaziInfo {
        solar_date: photo.solar_date.clone(),
        solar_time: photo.solar_time.clone(),
        gender: photo.gender.clone(),
        use_bazi: photo.use_bazi,
    }
}

/// A photo without what the endpoint looks for is the caller's to fix.
fn not_found_in_photo(message: String) -> ApiError {
    invalid("image", format!("image: {message}"))
}

fn hand_analysis(r: HandAnalysisResponse) -> Result<HandAnalysis, ApiError> {
    if !r.success {
        return Err(not_found_in_photo(r.error_message));
    }
    let features = r.features.unwrap_or_default();
    Ok(HandAnalysis {
        hand_shape: features.hand_shape,
        finger_lengths: features.finger_lengths.into_iter().collect(),
        measurements: features.measurements.into_iter().collect(),
        landmarks: features.landmarks,
        reading: Reading::new(
            r.insights,
            r.integrated_insights,
            r.recommendations,
            r.confidence,
            r.bazi_data,
            r.report_json,
        )?,
    })
}

fn face_analysis(r: FaceAnalysisResponse) -> Result<FaceAnalysis, ApiError> {
    if !r.success {
        return Err(not_found_in_photo(r.error_message));
    }
    let features = r.features.unwrap_or_default();
    Ok(FaceAnalysis {
        san_ting_ratio: features.san_ting_ratio.into_iter().collect(),
        facial_attributes: features.facial_attributes.into_iter().collect(),
        feature_measurements: features.feature_measurements.into_iter().collect(),
        special_features: features.special_features,
        landmarks: features.landmarks,
        reading: Reading::new(
            r.insights,
            r.integrated_insights,
            r.recommendations,
            r.confidence,
            r.bazi_data,
            r.report_json,
        )?,
    })
}

fn face_detection(r: FaceDetectResponse) -> Result<FaceDetection, ApiError> {
    if !r.success {
        return Err(not_found_in_photo(r.error_message));
    }
    Ok(FaceDetection {
        landmarks: r.landmarks,
        face_box: r.face_box,
        score: r.score,
        detection_score: r.detection_score,
        image_width: r.image_width,
        image_height: r.image_height,
    })
}

/// One call's answer as the gateway's JSON, with the version that served it.
fn respond<T: Serialize, A>(
    result: Result<tonic::Response<A>, tonic::Status>,
    shape: impl FnOnce(A) -> Result<T, ApiError>,
) -> Response {
    let (response, version) = match result {
        Ok(answer) => {
            let version = upstream_version(answer.metadata());
            let response = match shape(answer.into_inner()) {
                Ok(data) => success_of(FORTUNE_ANALYSIS, &data),
                Err(error) => error.into_response(),
            };
            (response, version)
        }
        Err(status) => (
            ApiError::from_status(FORTUNE_ANALYSIS, &status)
                .logged()
                .into_response(),
            upstream_version(status.metadata()),
        ),
    };
    with_versions(response, [(FORTUNE_ANALYSIS_VERSION_HEADER, version)])
}

/// `POST /api/v1/fortune/hand/analyze` (multipart).
pub(crate) async fn hand(
    State(state): State<AppState>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let mut photo = match photo::read(form, "a photo of an open hand").await {
        Ok(photo) => photo,
        Err(error) => return error.into_response(),
    };
    let request = HandAnalysisRequest {
        image: Some(image(&mut photo)),
        bazi_info: Some(bazi_info(&photo)),
    };
    respond(
        state.fortune.clone().analyze_hand(request).await,
        hand_analysis,
    )
}

async fn face_request(
    form: Result<Multipart, MultipartRejection>,
) -> Result<FaceAnalysisRequest, ApiError> {
    let mut photo = photo::read(form, "a photo of a face").await?;
    Ok(FaceAnalysisRequest {
        image: Some(image(&mut photo)),
        bazi_info: Some(bazi_info(&photo)),
    })
}

/// `POST /api/v1/fortune/face/analyze` and `POST /api/v2/face/analyze` (multipart).
pub(crate) async fn face(
    State(state): State<AppState>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    match face_request(form).await {
        Ok(request) => respond(
            state.fortune.clone().analyze_face(request).await,
            face_analysis,
        ),
        Err(error) => error.into_response(),
    }
}

/// `POST /api/v2/face/detect` (multipart): the landmarks only.
pub(crate) async fn face_detect(
    State(state): State<AppState>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    match face_request(form).await {
        Ok(request) => respond(
            state.fortune.clone().detect_face(request).await,
            face_detection,
        ),
        Err(error) => error.into_response(),
    }
}

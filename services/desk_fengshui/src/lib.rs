//! The `desk_fengshui` service: a photo of a desk in, the objects on it and
//! feng-shui advice out, over gRPC (`desk.fengshui.DeskFengshuiService`, see
//! `services/desk_fengshui/api/proto/desk/fengshui/desk_fengshui.proto`).
//!
//! The photo is decoded and checked by the [`vision`] library (JPEG, PNG or
//! WebP; at most 10 MB and 8,000 px a side), objects are found by its
//! NanoDet COCO detector (compiled into the binary, loaded before the
//! service reports ready), and the [`fengshui`] library places them on the
//! desk's grid and runs the rules of the service's database
//! (`desk_rules.sqlite3` in the data directory; every call notices a change
//! any process made). With `use_bazi`, the person's favourable and
//! unfavourable elements come from bazi_analyzer (`xishen_jishen`) and steer
//! the additions and removals.
//!
//! Bad input is `INVALID_ARGUMENT` naming the field: `image_data` (with the
//! decoder's reason) and, with `use_bazi`, `solar_date`, `solar_time` or
//! `gender` (bazi_analyzer's own message). A photo with no desk objects is
//! a success with no items and a summary that says so.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bazi_analyzer_api::bazi_analyzer_service_client::BaziAnalyzerServiceClient;
use bazi_analyzer_api::BaziAnalyzerRequest;
use desk_fengshui_api::desk_fengshui_service_server::{
    DeskFengshuiService, DeskFengshuiServiceServer,
};
use desk_fengshui_api::{
    DeskAnalysisRequest, DeskAnalysisResponse, DetectedItem, HealthCheckRequest,
    HealthCheckResponse, ListRulesRequest, ListRulesResponse, Suggestion,
};
use fengshui::{DetectedObject, PersonalElements, RuleSet, RuleStore, StoreError};
use hifate_sdk::{Identity, Peer, PeerError};
use serde_json::Value;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};
use vision::nanodet::Detector;
use vision::CocoClass;

/// Name of the service under the supervisor.
pub const SERVICE_NAME: &str = "desk_fengshui";
/// TCP port used when the binary runs without a supervisor.
pub const DEFAULT_PORT: u16 = 9010;
/// The rules database in the data directory.
pub const DATABASE_FILE: &str = "desk_rules.sqlite3";
/// The model's name in HealthCheck.
pub const MODEL_NAME: &str = "nanodet (COCO-80, 416×416, ONNX via tract)";

/// Largest request accepted: a 10 MB photo plus the birth fields (tonic's
/// default of 4 MB would refuse photos the service promises to take).
pub const MAX_REQUEST_BYTES: usize = vision::MAX_IMAGE_BYTES + 64 * 1024;

/// Classes that are not objects on the desk: the desk itself (COCO's
/// "dining table", which NanoDet finds under most desk photos), and the
/// toilet NanoDet sees in many cups and bowls (the TF.js library the model
/// comes from drops that class for the same reason).
const IGNORED_CLASSES: [CocoClass; 2] = [CocoClass::DiningTable, CocoClass::Toilet];

/// The gRPC server of `service`, taking photos up to [`MAX_REQUEST_BYTES`].
pub fn server(service: DeskFengshui) -> DeskFengshuiServiceServer<DeskFengshui> {
    DeskFengshuiServiceServer::new(service).max_decoding_message_size(MAX_REQUEST_BYTES)
}

/// How long a call to bazi_analyzer may take.
pub const ANALYZER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How the service reaches bazi_analyzer: through the supervisor's front
/// port, else the guide's port.
pub fn bazi_analyzer_peer() -> Peer {
    Peer::new("bazi_analyzer")
        .or_addr("127.0.0.1:9003")
        .request_timeout(ANALYZER_TIMEOUT)
}

/// The `desk.fengshui.DeskFengshuiService` implementation.
#[derive(Clone)]
pub struct DeskFengshui {
    identity: Identity,
    detector: Arc<Detector>,
    store: Arc<RuleStore>,
    rules: Arc<Mutex<Arc<RuleSet>>>,
    analyzer: BaziAnalyzerServiceClient<Channel>,
    /// Detections running at once: one per core. More would not finish
    /// sooner (each keeps a core busy for ~80 ms), but every one in flight
    /// holds its own tensors — 16 at once took the process from ~110 MB to
    /// ~740 MB. Calls beyond this wait their turn.
    detecting: Arc<tokio::sync::Semaphore>,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open the rules database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot set up the bazi_analyzer client: {0}")]
    Peer(#[from] PeerError),
}

impl DeskFengshui {
    /// Opens (or creates, with the project's corpus) the rules database in
    /// `data_dir`, with `detector` and bazi_analyzer at `analyzer`
    /// (connected on first use).
    pub fn open(
        data_dir: &Path,
        identity: Identity,
        detector: Arc<Detector>,
        analyzer: &Peer,
    ) -> Result<DeskFengshui, OpenError> {
        let store = RuleStore::open(data_dir.join(DATABASE_FILE))?;
        let rules = store.rule_set()?;
        Ok(DeskFengshui {
            identity,
            detector,
            store: Arc::new(store),
            rules: Arc::new(Mutex::new(Arc::new(rules))),
            analyzer: BaziAnalyzerServiceClient::new(analyzer.connect_lazy()?),
            detecting: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            )),
        })
    }

    /// The rules of the store's current version (recompiled when any
    /// process changed them since the last call).
    fn current_rules(&self) -> Result<Arc<RuleSet>, Status> {
        let version = self.store.version().map_err(store_status)?;
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        if rules.version() != version {
            *rules = Arc::new(self.store.rule_set().map_err(store_status)?);
        }
        Ok(rules.clone())
    }

    /// The person's favourable and unfavourable elements, from bazi_analyzer.
    async fn elements(&self, request: &DeskAnalysisRequest) -> Result<PersonalElements, Status> {
        let answer = self
            .analyzer
            .clone()
            .run_analyzers(BaziAnalyzerRequest {
                solar_date: request.solar_date.clone(),
                solar_time: request.solar_time.clone(),
                gender: request.gender.clone(),
                analysis_types: vec!["xishen_jishen".to_owned()],
            })
            .await
            .map_err(|status| match status.code() {
                // The birth fields are the caller's: pass the field's message on.
                tonic::Code::InvalidArgument => hifate_sdk::invalid_argument(status.message()),
                code => Status::unavailable(format!(
                    "bazi_analyzer failed ({code:?}: {}); retry, or send use_bazi = false",
                    status.message()
                )),
            })?
            .into_inner();
        elements_of(&answer.results_json).map_err(|detail| {
            Status::unavailable(format!(
                "bazi_analyzer's xishen_jishen answer is unreadable ({detail})"
            ))
        })
    }
}

/// The element names of `xishen_jishen.favourable` and `.unfavourable`.
fn elements_of(results_json: &str) -> Result<PersonalElements, String> {
    let results: Value = serde_json::from_str(results_json).map_err(|e| e.to_string())?;
    let names = |side: &str| -> Vec<String> {
        results["xishen_jishen"][side]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item["element"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    PersonalElements::from_names(&names("favourable"), &names("unfavourable"))
        .map_err(|e| e.to_string())
}

fn store_status(error: StoreError) -> Status {
    Status::unavailable(format!("the rules database failed: {error}"))
}

fn suggestion(s: &fengshui::Suggestion) -> Suggestion {
    Suggestion {
        item: s.item.clone(),
        item_label: s.item_label.clone(),
        current_position: s.current_position.clone(),
        ideal_position: s.ideal_position.clone(),
        reason: s.reason.clone(),
        priority: s.priority.as_str().to_owned(),
        action: s.action.action().to_owned(),
        element: s.element.as_str().to_owned(),
    }
}

fn joined(elements: &[fengshui::Element]) -> String {
    elements
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join("、")
}

#[tonic::async_trait]
impl DeskFengshuiService for DeskFengshui {
    async fn analyze_desk(
        &self,
        request: Request<DeskAnalysisRequest>,
    ) -> Result<Response<DeskAnalysisResponse>, Status> {
        let mut request = request.into_inner();
        let image_data = std::mem::take(&mut request.image_data);
        let elements = if request.use_bazi {
            Some(self.elements(&request).await?)
        } else {
            None
        };
        let detector = self.detector.clone();
        let _turn = self
            .detecting
            .acquire()
            .await
            .map_err(|_| Status::unavailable("the service is stopping"))?;
        let started = Instant::now();
        let (image_size, detections) = tokio::task::spawn_blocking(move || {
            let image = vision::decode(&image_data)
                .map_err(|e| hifate_sdk::invalid_argument(format!("image_data: {e}")))?;
            let size = image.dimensions();
            let detections = detector
                .detect(&image)
                .map_err(|e| Status::internal(format!("detection failed: {e}")))?;
            Ok::<_, Status>((size, detections))
        })
        .await
        .map_err(|e| Status::internal(format!("the detection task failed: {e}")))??;
        let detect_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (width, height) = image_size;
        let objects: Vec<DetectedObject> = detections
            .iter()
            .filter(|d| !IGNORED_CLASSES.contains(&d.class))
            .map(|d| {
                let n = d.bbox.normalised(width, height);
                DetectedObject {
                    class: d.class.name().to_owned(),
                    confidence: d.score,
                    bbox: [n.x0, n.y0, n.x1, n.y1],
                }
            })
            .collect();
        let rules = self.current_rules()?;
        let report = fengshui::analyze(&objects, &rules, elements.as_ref());
        let scale = [width, height, width, height].map(f64::from);
        let items = report
            .items
            .iter()
            .map(|item| DetectedItem {
                name: item.class.clone(),
                label: item.label.clone(),
                confidence: f64::from(item.confidence),
                // Back to the photo's pixels, as the original answered.
                bbox: item
                    .bbox
                    .iter()
                    .zip(scale)
                    .map(|(&v, side)| (f64::from(v) * side).round())
                    .collect(),
                relative_position: item.cell.name().to_owned(),
                bagua_direction: item.bagua.name().to_owned(),
            })
            .collect();
        Ok(Response::new(DeskAnalysisResponse {
            success: true,
            items,
            adjustments: report.adjustments.iter().map(suggestion).collect(),
            additions: report.additions.iter().map(suggestion).collect(),
            removals: report.removals.iter().map(suggestion).collect(),
            score: report.score,
            summary: report.summary,
            error: String::new(),
            xishen: elements
                .as_ref()
                .map(|e| joined(&e.favourable))
                .unwrap_or_default(),
            jishen: elements
                .as_ref()
                .map(|e| joined(&e.unfavourable))
                .unwrap_or_default(),
            detect_ms,
        }))
    }

    async fn health_check(
        &self,
        _request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let rules = self.current_rules()?;
        Ok(Response::new(HealthCheckResponse {
            status: "healthy".to_owned(),
            version: self.identity.version.to_string(),
            model: MODEL_NAME.to_owned(),
            rules_version: i64::try_from(rules.version()).unwrap_or(i64::MAX),
        }))
    }

    async fn list_rules(
        &self,
        _request: Request<ListRulesRequest>,
    ) -> Result<Response<ListRulesResponse>, Status> {
        let store = self.store.clone();
        let (rules, version) = tokio::task::spawn_blocking(move || {
            Ok::<_, StoreError>((store.rules()?, store.version()?))
        })
        .await
        .map_err(|e| Status::internal(format!("the store task failed: {e}")))?
        .map_err(store_status)?;
        let rules: Vec<Value> = rules
            .iter()
            .map(|rule| {
                serde_json::json!({
                    "code": rule.code,
                    "kind": rule.kind.as_str(),
                    "item": rule.item.class(),
                    "item_label": rule.item.label(),
                    "condition": rule.condition,
                    "ideal_position": rule.ideal_position,
                    "reason": rule.reason,
                    "priority": rule.priority.as_str(),
                    "element": rule.element.as_str(),
                    "score_delta": rule.score_delta,
                    "enabled": rule.enabled,
                })
            })
            .collect();
        let rules_json = Value::Array(rules).to_string();
        Ok(Response::new(ListRulesResponse {
            rules_json,
            version: i64::try_from(version).unwrap_or(i64::MAX),
        }))
    }
}

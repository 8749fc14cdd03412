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
//! any process made, through `CreateRule`/`UpdateRule`/`DeleteRule` or
//! another handle on the file). With `use_bazi`, the person's favourable and
//! unfavourable elements come from bazi_analyzer (`xishen_jishen`) and steer
//! the additions and removals.
//!
//! Bad input is `INVALID_ARGUMENT` naming the field: `image_data` (with the
//! decoder's reason) and, with `use_bazi`, `solar_date`, `solar_time` or
//! `gender` (bazi_analyzer's own message). The photo's header is checked
//! before bazi_analyzer is asked, and an image error is reported before any
//! error of the birth fields. Only desk classes are items, and only when
//! they are not inside a person or animal found with more confidence (held,
//! or a part NanoDet misreads): a photo with none (a cat, a person) is a
//! success with no items, no advice and a summary that says so and names
//! what the photo shows instead.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bazi_analyzer_api::bazi_analyzer_service_client::BaziAnalyzerServiceClient;
use bazi_analyzer_api::BaziAnalyzerRequest;
use desk_fengshui_api::desk_fengshui_service_server::{
    DeskFengshuiService, DeskFengshuiServiceServer,
};
use desk_fengshui_api::{
    DeleteRuleRequest, DeskAnalysisRequest, DeskAnalysisResponse, DeskRule, DetectedItem,
    HealthCheckRequest, HealthCheckResponse, ListRulesRequest, ListRulesResponse, PutRuleRequest,
    RuleChange, Suggestion,
};
use fengshui::{
    join_elements, DetectedObject, PersonalElements, Rule, RuleError, RuleFields, RuleSet,
    RuleStore, StoreError,
};
use hifate_sdk::{Identity, Peer, PeerError};
use serde_json::Value;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};
use vision::nanodet::{Detection, Detector};
use vision::CocoClass;

/// Name of the service under the supervisor.
pub const SERVICE_NAME: &str = "desk_fengshui";
/// TCP port used when the binary runs without a supervisor.
pub const DEFAULT_PORT: u16 = 9010;
/// The rules database in the data directory.
pub const DATABASE_FILE: &str = "desk_rules.sqlite3";
/// The model's name in HealthCheck.
pub const MODEL_NAME: &str = "nanodet (COCO-80, 416×416, ONNX via tract)";

/// Largest request the transport takes: see
/// [`vision::MAX_PHOTO_REQUEST_BYTES`].
pub const MAX_REQUEST_BYTES: usize = vision::MAX_PHOTO_REQUEST_BYTES;

/// Classes that are never mentioned: the desk itself (COCO's "dining
/// table", which NanoDet finds under most desk photos), and the toilet
/// NanoDet sees in many cups and bowls (the TF.js library the model comes
/// from drops that class for the same reason). Other classes that are not
/// desk items (a person, a cat) are named in the summary by [`fengshui`].
const IGNORED_CLASSES: [CocoClass; 2] = [CocoClass::DiningTable, CocoClass::Toilet];

/// Share of a thing's box that, inside the box of a person or animal found
/// with more confidence, makes it part of them.
const PART_OF_SHARE: f32 = 0.9;

/// Whether `detection`, not itself a person or animal, lies almost wholly
/// inside a person or animal that `all` holds with more confidence. Such a
/// thing is held or worn, or is a part of the person or animal that NanoDet
/// reads as an object (a cat's face as a phone): it is not on the desk.
fn part_of_a_living_thing(detection: &Detection, all: &[Detection]) -> bool {
    !detection.class.is_person_or_animal()
        && all.iter().any(|other| {
            other.class.is_person_or_animal()
                && other.score > detection.score
                && detection.bbox.intersection_area(&other.bbox)
                    >= PART_OF_SHARE * detection.bbox.area()
        })
}

/// The gRPC server of `service`, taking requests up to [`MAX_REQUEST_BYTES`].
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

    /// Runs `work` off the async threads: SQLite may wait for another
    /// process's write (up to its busy timeout) and compiling the rules
    /// takes a while, and the async threads also answer health checks.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&DeskFengshui) -> Result<T, Status> + Send + 'static,
    ) -> Result<T, Status> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || work(&this))
            .await
            .map_err(|e| Status::internal(format!("the store task failed: {e}")))?
    }

    /// The rules of the store's current version (recompiled when any
    /// process changed them since the last call).
    async fn current_rules(&self) -> Result<Arc<RuleSet>, Status> {
        self.blocking(|this| {
            let version = this.store.version().map_err(store_status)?;
            let mut rules = this.rules.lock().unwrap_or_else(|p| p.into_inner());
            if rules.version() != version {
                *rules = Arc::new(this.store.rule_set().map_err(store_status)?);
                tracing::info!(version, rules = rules.len(), "desk rules reloaded");
            }
            Ok(rules.clone())
        })
        .await
    }

    /// The photo decoded and everything NanoDet finds in it, with the
    /// photo's size and the time spent. Calls wait for a turn (see
    /// `detecting`).
    async fn detect(&self, image_data: Vec<u8>) -> Result<Detected, Status> {
        let detector = self.detector.clone();
        let _turn = self
            .detecting
            .acquire()
            .await
            .map_err(|_| Status::unavailable("the service is stopping"))?;
        let started = Instant::now();
        let (size, detections) = tokio::task::spawn_blocking(move || {
            let image = vision::decode(&image_data).map_err(image_status)?;
            let detections = detector
                .detect(&image)
                .map_err(|e| Status::internal(format!("detection failed: {e}")))?;
            Ok::<_, Status>((image.dimensions(), detections))
        })
        .await
        .map_err(|e| Status::internal(format!("the detection task failed: {e}")))??;
        Ok(Detected {
            size,
            detections,
            detect_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        })
    }

    /// The rule of `request`, checked field by field, written by `write`
    /// (create or update) off the async threads.
    async fn put_rule(
        &self,
        request: PutRuleRequest,
        write: fn(&RuleStore, &Rule) -> Result<u64, StoreError>,
    ) -> Result<Response<RuleChange>, Status> {
        let rule = rule_of(request)?;
        let version = self
            .blocking({
                let rule = rule.clone();
                move |this| write(&this.store, &rule).map_err(store_status)
            })
            .await?;
        Ok(Response::new(RuleChange {
            rule: Some(to_proto(&rule)),
            version: wire_version(version),
        }))
    }

    /// The person's elements when `use_bazi` asks for them.
    async fn elements_if_asked(
        &self,
        request: &DeskAnalysisRequest,
    ) -> Result<Option<PersonalElements>, Status> {
        if request.use_bazi {
            self.elements(request).await.map(Some)
        } else {
            Ok(None)
        }
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
                "bazi_analyzer's xishen_jishen answer is unreadable ({detail}); send use_bazi = false to analyse without the chart"
            ))
        })
    }
}

/// A photo's detections.
struct Detected {
    /// Width and height in pixels.
    size: (u32, u32),
    detections: Vec<Detection>,
    detect_ms: i64,
}

/// The element names of `xishen_jishen.favourable` and `.unfavourable`.
///
/// Every part must be there: an answer without them (a changed
/// bazi_analyzer) would otherwise give advice with no steering and no sign
/// that anything was wrong.
fn elements_of(results_json: &str) -> Result<PersonalElements, String> {
    let results: Value = serde_json::from_str(results_json).map_err(|e| e.to_string())?;
    let analysis = results
        .get("xishen_jishen")
        .ok_or("no xishen_jishen in the answer")?;
    let names = |side: &str| -> Result<Vec<String>, String> {
        let items = analysis
            .get(side)
            .and_then(Value::as_array)
            .ok_or_else(|| format!("xishen_jishen.{side} is not a list"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                item.get("element")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| format!("xishen_jishen.{side}[{i}] has no element name"))
            })
            .collect()
    };
    PersonalElements::from_names(&names("favourable")?, &names("unfavourable")?)
        .map_err(|e| e.to_string())
}

/// A photo the decoder refused, as the caller's mistake naming the field.
fn image_status(error: vision::DecodeError) -> Status {
    hifate_sdk::invalid_argument(format!("image_data: {error}"))
}

/// A store failure as the status a caller can act on.
fn store_status(error: StoreError) -> Status {
    match error {
        StoreError::Duplicate { .. } => Status::already_exists(error.to_string()),
        StoreError::NotFound { .. } => Status::not_found(error.to_string()),
        StoreError::Invalid(RuleError::Condition { source, .. }) => {
            hifate_sdk::invalid_argument(format!("condition_json: {source}"))
        }
        StoreError::Invalid(RuleError::Field { field, message, .. }) => {
            hifate_sdk::invalid_argument(format!("{field}: {message}"))
        }
        // A stored row this version cannot read: not something a retry fixes.
        StoreError::CorruptRow { .. } => {
            tracing::error!(error = %error, "the rules database holds a row this version cannot read");
            Status::data_loss(error.to_string())
        }
        StoreError::Sqlite(_) => {
            tracing::error!(error = %error, "the rules database failed");
            Status::unavailable(format!("the rules database failed: {error}"))
        }
    }
}

/// A rule of a create or update request, each field checked by name.
fn rule_of(request: PutRuleRequest) -> Result<Rule, Status> {
    let rule = request
        .rule
        .ok_or_else(|| hifate_sdk::invalid_argument("rule: is missing"))?;
    RuleFields {
        code: rule.code,
        kind: rule.kind,
        item: rule.item,
        condition: rule.condition_json,
        ideal_position: rule.ideal_position,
        reason: rule.reason,
        priority: rule.priority,
        element: Some(rule.element).filter(|e| !e.is_empty()),
        score_delta: rule.score_delta,
        enabled: rule.enabled,
    }
    .parse()
    .map_err(|e| {
        // The wire names the condition `condition_json`, and a caller who
        // sent an unknown class is told where the known ones are.
        let message = match e.field {
            "condition" => format!("condition_json: {}", e.message),
            "item" => format!("{e}; ListRules shows the classes in use"),
            _ => e.to_string(),
        };
        hifate_sdk::invalid_argument(message)
    })
}

fn to_proto(rule: &Rule) -> DeskRule {
    DeskRule {
        code: rule.code.clone(),
        kind: rule.kind.as_str().to_owned(),
        item: rule.item.class().to_owned(),
        condition_json: rule.condition.to_string(),
        ideal_position: rule.ideal_position.clone(),
        reason: rule.reason.clone(),
        priority: rule.priority.as_str().to_owned(),
        element: rule.element.as_str().to_owned(),
        score_delta: rule.score_delta,
        enabled: rule.enabled,
    }
}

fn wire_version(version: u64) -> i64 {
    i64::try_from(version).unwrap_or(i64::MAX)
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

#[tonic::async_trait]
impl DeskFengshuiService for DeskFengshui {
    async fn analyze_desk(
        &self,
        request: Request<DeskAnalysisRequest>,
    ) -> Result<Response<DeskAnalysisResponse>, Status> {
        let mut request = request.into_inner();
        let image_data = std::mem::take(&mut request.image_data);
        // The header first (no pixels decoded): most bad uploads are refused
        // before bazi_analyzer is asked anything.
        vision::probe(&image_data).map_err(image_status)?;
        // Detection and the chart run at once; a photo damaged past its
        // header is still reported before any trouble with the birth fields.
        // A failed detection answers at once, without waiting for the chart.
        let (detected, elements) = tokio::try_join!(self.detect(image_data), async {
            Ok(self.elements_if_asked(&request).await)
        })?;
        let Detected {
            size: (width, height),
            detections,
            detect_ms,
        } = detected;
        let elements = elements?;
        let objects: Vec<DetectedObject> = detections
            .iter()
            .filter(|d| {
                !IGNORED_CLASSES.contains(&d.class) && !part_of_a_living_thing(d, &detections)
            })
            .map(|d| {
                let n = d.bbox.normalised(width, height);
                DetectedObject {
                    class: d.class.name().to_owned(),
                    confidence: d.score,
                    bbox: [n.x0, n.y0, n.x1, n.y1],
                }
            })
            .collect();
        let rules = self.current_rules().await?;
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
                .map(|e| join_elements(&e.favourable))
                .unwrap_or_default(),
            jishen: elements
                .as_ref()
                .map(|e| join_elements(&e.unfavourable))
                .unwrap_or_default(),
            detect_ms,
        }))
    }

    async fn health_check(
        &self,
        _request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let rules = self.current_rules().await?;
        Ok(Response::new(HealthCheckResponse {
            status: "healthy".to_owned(),
            version: self.identity.version.to_string(),
            model: MODEL_NAME.to_owned(),
            rules_version: wire_version(rules.version()),
        }))
    }

    async fn list_rules(
        &self,
        _request: Request<ListRulesRequest>,
    ) -> Result<Response<ListRulesResponse>, Status> {
        let (rules, version) = self
            .blocking(|this| this.store.rules_at_version().map_err(store_status))
            .await?;
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
            version: wire_version(version),
        }))
    }

    async fn create_rule(
        &self,
        request: Request<PutRuleRequest>,
    ) -> Result<Response<RuleChange>, Status> {
        self.put_rule(request.into_inner(), RuleStore::create).await
    }

    async fn update_rule(
        &self,
        request: Request<PutRuleRequest>,
    ) -> Result<Response<RuleChange>, Status> {
        self.put_rule(request.into_inner(), RuleStore::update).await
    }

    async fn delete_rule(
        &self,
        request: Request<DeleteRuleRequest>,
    ) -> Result<Response<RuleChange>, Status> {
        let code = request.into_inner().code;
        let version = self
            .blocking(move |this| this.store.delete(&code).map_err(store_status))
            .await?;
        Ok(Response::new(RuleChange {
            rule: None,
            version: wire_version(version),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vision::BoundingBox;

    fn detection(class: CocoClass, score: f32, [x0, y0, x1, y1]: [f32; 4]) -> Detection {
        Detection {
            class,
            score,
            bbox: BoundingBox { x0, y0, x1, y1 },
        }
    }

    #[test]
    fn a_thing_inside_a_more_confident_person_or_animal_is_part_of_it() {
        let cat = detection(CocoClass::Cat, 0.6, [0.0, 0.0, 400.0, 300.0]);
        let phone = detection(CocoClass::CellPhone, 0.4, [300.0, 100.0, 340.0, 160.0]);
        let all = [cat, phone];
        assert!(part_of_a_living_thing(&phone, &all));
        // The animal itself is never part of another.
        let person = detection(CocoClass::Person, 0.9, [0.0, 0.0, 400.0, 300.0]);
        assert!(!part_of_a_living_thing(&cat, &[person, cat]));
        // More confident than the animal: a thing of its own.
        let sure = detection(CocoClass::CellPhone, 0.7, [300.0, 100.0, 340.0, 160.0]);
        assert!(!part_of_a_living_thing(&sure, &[cat, sure]));
        // Half outside: beside it, not part of it.
        let beside = detection(CocoClass::Cup, 0.4, [380.0, 100.0, 420.0, 160.0]);
        assert!(!part_of_a_living_thing(&beside, &[cat, beside]));
        // Inside a thing that is not alive (the desk, a false class): kept.
        let table = detection(CocoClass::DiningTable, 0.8, [0.0, 0.0, 400.0, 300.0]);
        assert!(!part_of_a_living_thing(&phone, &[table, phone]));
    }

    #[test]
    fn elements_are_read_from_xishen_jishen() {
        let answer = r#"{"xishen_jishen": {
            "favourable": [{"element": "水"}, {"element": "木"}],
            "unfavourable": [{"element": "火"}]}}"#;
        let elements = elements_of(answer).expect("readable");
        assert_eq!(join_elements(&elements.favourable), "水、木");
        assert_eq!(join_elements(&elements.unfavourable), "火");
    }

    #[test]
    fn an_answer_without_the_elements_is_unreadable() {
        for (answer, expected) in [
            (r#"{}"#, "no xishen_jishen"),
            (
                r#"{"xishen_jishen": {"unfavourable": []}}"#,
                "xishen_jishen.favourable is not a list",
            ),
            (
                r#"{"xishen_jishen": {"favourable": [], "unfavourable": {}}}"#,
                "xishen_jishen.unfavourable is not a list",
            ),
            (
                r#"{"xishen_jishen": {"favourable": [{"name": "水"}], "unfavourable": []}}"#,
                "xishen_jishen.favourable[0] has no element name",
            ),
            (
                r#"{"xishen_jishen": {"favourable": [{"element": "风"}], "unfavourable": []}}"#,
                "风",
            ),
            ("not json", "expected"),
        ] {
            let error = elements_of(answer).expect_err(answer);
            assert!(error.contains(expected), "{answer}: {error}");
        }
    }
}

//! The `intent_service`: what a Chinese question is about, over gRPC
//! (`intent.IntentService`, see
//! `services/intent_service/api/proto/intent/intent.proto`), with the
//! classifier of the [`intent`] library.
//!
//! The classifier versions live in the `intent` database
//! ([`intent::store::IntentStore`], `intent.sqlite3` in the data directory,
//! which prompt_optimizer shares: `data = "intent"` in `hifate.toml`). Every
//! call reads the deployed version's id (one primary-key lookup) and builds
//! the classifier again only when it moved, so a version that
//! prompt_optimizer deploys answers the very next call — no restart, no
//! reload. A request may name another stored version (`prompt_version`).
//!
//! Sentence embeddings join the signals when the multilingual-e5-small model
//! is present ([`intent::e5::model_path`]: `HIFATE_E5_MODEL`, else
//! `models/e5-small-q4.bin` in the data directory, put there by
//! `crates/e5/fetch-model.sh`); HealthCheck names the signals in use.
//!
//! Bad input is `INVALID_ARGUMENT` naming the field: `question` (empty or
//! over [`MAX_QUESTION_CHARS`]), `context.current_date` (not `YYYY-MM-DD`),
//! `prompt_version` (unknown), `requests` (over [`MAX_BATCH`]) and
//! `requests[i].…` inside a batch.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use hifate_sdk::Identity;
use intent::store::IntentStore;
use intent::time::{Date, TimeKind};
use intent::{Classification, Classifier, Embedder};
use intent_service_api::intent_service_server::IntentService;
use intent_service_api::{
    BatchClassifyRequest, BatchClassifyResponse, ClassifyRequest, ClassifyResponse,
    HealthCheckRequest, HealthCheckResponse, TimeIntent,
};
use tonic::{Request, Response, Status};

/// Name of the service under the supervisor.
pub const SERVICE_NAME: &str = "intent_service";
/// TCP port used when the binary runs without a supervisor.
pub const DEFAULT_PORT: u16 = 9008;
/// Longest question accepted, in characters.
pub const MAX_QUESTION_CHARS: usize = 500;
/// Most requests in one BatchClassify.
pub const MAX_BATCH: usize = 100;
/// Answers kept for `use_cache` (cleared when full; the classifier version
/// and the date are part of the key, so a stale answer is never used).
const CACHE_ENTRIES: usize = 4096;
/// Classifiers of versions named by requests, kept built (cleared when full).
const NAMED_VERSIONS: usize = 8;

/// The `intent.IntentService` implementation.
#[derive(Clone)]
pub struct IntentServer {
    identity: Identity,
    store: Arc<Mutex<IntentStore>>,
    embedder: Option<Arc<dyn Embedder>>,
    deployed: Arc<Mutex<Arc<Classifier>>>,
    named: Arc<Mutex<HashMap<String, Arc<Classifier>>>>,
    cache: Arc<Mutex<HashMap<CacheKey, ClassifyResponse>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    question: String,
    today: Date,
    version: String,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open the intent database: {0}")]
    Store(#[from] intent::Error),
}

impl IntentServer {
    /// Opens (or creates, with the baseline version deployed) the intent
    /// database in `data_dir` and builds the deployed classifier.
    pub fn open(
        data_dir: &Path,
        identity: Identity,
        embedder: Option<Arc<dyn Embedder>>,
    ) -> Result<IntentServer, OpenError> {
        let store = IntentStore::open(data_dir.join(intent::store::DATABASE_FILE))?;
        let classifier = Classifier::new(store.deployed()?, embedder.clone())?;
        Ok(IntentServer {
            identity,
            store: Arc::new(Mutex::new(store)),
            embedder,
            deployed: Arc::new(Mutex::new(Arc::new(classifier))),
            named: Arc::new(Mutex::new(HashMap::new())),
            cache: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    fn store(&self) -> std::sync::MutexGuard<'_, IntentStore> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The deployed classifier, rebuilt when another process deployed a
    /// different version since the last call.
    fn deployed(&self) -> Result<Arc<Classifier>, Status> {
        let id = self.store().deployed_id().map_err(store_status)?;
        let mut deployed = self.deployed.lock().unwrap_or_else(|p| p.into_inner());
        if deployed.version_id() != id {
            let version = self.store().deployed().map_err(store_status)?;
            let classifier =
                Classifier::new(version, self.embedder.clone()).map_err(store_status)?;
            tracing::info!(version = %classifier.version_id(), "deployed classifier version changed");
            *deployed = Arc::new(classifier);
        }
        Ok(deployed.clone())
    }

    /// The classifier of a version a request names.
    fn named(&self, id: &str) -> Result<Arc<Classifier>, Status> {
        if let Some(classifier) = self.named.lock().unwrap_or_else(|p| p.into_inner()).get(id) {
            return Ok(classifier.clone());
        }
        let version = self.store().version(id).map_err(store_status)?;
        let Some(version) = version else {
            let known: Vec<String> = self
                .store()
                .versions()
                .map_err(store_status)?
                .into_iter()
                .map(|v| v.id)
                .collect();
            return Err(hifate_sdk::invalid_argument(format!(
                "prompt_version: there is no classifier version {id:?} (stored: {}); leave it empty for the deployed one",
                known.join(", ")
            )));
        };
        let classifier =
            Arc::new(Classifier::new(version, self.embedder.clone()).map_err(store_status)?);
        let mut named = self.named.lock().unwrap_or_else(|p| p.into_inner());
        if named.len() >= NAMED_VERSIONS {
            named.clear();
        }
        named.insert(id.to_owned(), classifier.clone());
        Ok(classifier)
    }

    /// One classification; `field` prefixes error messages inside a batch.
    async fn classify_one(
        &self,
        request: ClassifyRequest,
        field: &str,
    ) -> Result<ClassifyResponse, Status> {
        let started = Instant::now();
        let question = checked_question(&request.question)
            .map_err(|reason| hifate_sdk::invalid_argument(format!("{field}question: {reason}")))?;
        let today = match request.context.get("current_date") {
            Some(date) => parse_date(date).map_err(|reason| {
                hifate_sdk::invalid_argument(format!("{field}context.current_date: {reason}"))
            })?,
            None => intent::time::today(),
        };
        // Off the async threads: the lookup is a SQLite read, and after a
        // deploy the classifier is rebuilt (with embeddings, every prototype
        // sentence is embedded again) while other calls go on.
        let this = self.clone();
        let named = request.prompt_version.trim().to_owned();
        let classifier = tokio::task::spawn_blocking(move || {
            if named.is_empty() {
                this.deployed()
            } else {
                this.named(&named)
            }
        })
        .await
        .map_err(|e| Status::internal(format!("the version lookup failed: {e}")))?
        .map_err(|status| prefixed(status, field))?;
        let key = CacheKey {
            question: question.clone(),
            today,
            version: classifier.version_id().to_owned(),
        };
        if request.use_cache {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(hit) = cache.get(&key) {
                let mut hit = hit.clone();
                hit.cached = true;
                hit.response_time_ms = elapsed_ms(started);
                return Ok(hit);
            }
        }
        let worker = classifier.clone();
        let classification = tokio::task::spawn_blocking(move || worker.classify(&question, today))
            .await
            .map_err(|e| Status::internal(format!("the classification task failed: {e}")))?;
        let mut response = to_proto(classification, classifier.version_id());
        response.response_time_ms = elapsed_ms(started);
        if request.use_cache {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(key, response.clone());
        }
        Ok(response)
    }
}

fn elapsed_ms(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// A status of a named version's lookup with the batch item's prefix.
fn prefixed(status: Status, field: &str) -> Status {
    if field.is_empty() || status.code() != tonic::Code::InvalidArgument {
        return status;
    }
    hifate_sdk::invalid_argument(format!("{field}{}", status.message()))
}

/// The question trimmed, or why it cannot be classified.
fn checked_question(question: &str) -> Result<String, String> {
    let question = question.trim();
    if question.is_empty() {
        return Err(format!(
            "is empty; ask a question about fortune, e.g. \"我明年的事业运怎么样？\" ({})",
            intent::classifier::EMPTY_MESSAGE
        ));
    }
    let chars = question.chars().count();
    if chars > MAX_QUESTION_CHARS {
        return Err(format!(
            "is {chars} characters long; at most {MAX_QUESTION_CHARS} are classified"
        ));
    }
    Ok(question.to_owned())
}

/// `YYYY-MM-DD`.
fn parse_date(text: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), &format)
        .map_err(|e| format!("{text:?} is not a date like \"2026-11-25\" ({e})"))
}

fn to_proto(c: Classification, version: &str) -> ClassifyResponse {
    ClassifyResponse {
        intents: c.intents.iter().map(|i| i.as_str().to_owned()).collect(),
        confidence: c.confidence,
        rule_types: c.rule_types,
        keywords: c.keywords,
        reasoning: c.reasoning,
        is_ambiguous: c.is_ambiguous,
        prompt_version: version.to_owned(),
        response_time_ms: 0,
        time_intent: c.time_intent.map(|t| TimeIntent {
            r#type: t.kind.as_str().to_owned(),
            target_years: t.target_years,
            description: t.description,
            is_explicit: names_the_time(t.kind),
        }),
        is_fortune_related: c.is_fortune_related,
        reject_message: c.reject_message,
        cached: false,
    }
}

/// The wire's `is_explicit`: whether the question names its time ("明年",
/// "2026年", "下个月") rather than only implying it ("最近", "目前": the
/// current year is meant). The library's own flag is narrower (an absolute
/// year only); the wire contract, kept from the original interface, reads
/// "明年" as explicit too.
fn names_the_time(kind: TimeKind) -> bool {
    kind != TimeKind::Implied
}

fn store_status(error: intent::Error) -> Status {
    Status::unavailable(format!("the intent database failed: {error}"))
}

#[tonic::async_trait]
impl IntentService for IntentServer {
    async fn classify(
        &self,
        request: Request<ClassifyRequest>,
    ) -> Result<Response<ClassifyResponse>, Status> {
        self.classify_one(request.into_inner(), "")
            .await
            .map(Response::new)
    }

    async fn batch_classify(
        &self,
        request: Request<BatchClassifyRequest>,
    ) -> Result<Response<BatchClassifyResponse>, Status> {
        let requests = request.into_inner().requests;
        if requests.len() > MAX_BATCH {
            return Err(hifate_sdk::invalid_argument(format!(
                "requests: {} requests in one batch; at most {MAX_BATCH}",
                requests.len()
            )));
        }
        let mut responses = Vec::with_capacity(requests.len());
        for (i, request) in requests.into_iter().enumerate() {
            responses.push(
                self.classify_one(request, &format!("requests[{i}]."))
                    .await?,
            );
        }
        Ok(Response::new(BatchClassifyResponse { responses }))
    }

    async fn health_check(
        &self,
        _request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let classifier = self.deployed()?;
        let signals = classifier
            .signals()
            .into_iter()
            .map(|signal| match (signal, classifier.embedder_name()) {
                (intent::Signal::Embeddings, Some(model)) => format!("embeddings ({model})"),
                (signal, _) => signal.as_str().to_owned(),
            })
            .collect();
        Ok(Response::new(HealthCheckResponse {
            status: "healthy".to_owned(),
            version: self.identity.version.to_string(),
            prompt_version: classifier.version_id().to_owned(),
            signals,
        }))
    }
}

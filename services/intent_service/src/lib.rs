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
//! reload. The build runs outside every lock calls wait on: calls that
//! arrive while it runs answer with the previous classifier. A request may
//! name another stored version (`prompt_version`).
//!
//! Sentence embeddings join the signals when the multilingual-e5-small model
//! is present ([`intent::e5::model_path`]: `HIFATE_E5_MODEL`, else
//! `models/e5-small-q4.bin` in the data directory, put there by
//! `crates/e5/fetch-model.sh`); HealthCheck names the signals in use.
//!
//! When a newly deployed version cannot be built (a body this release
//! cannot read, a transient embedding failure), the classifier in use keeps
//! answering: the failure is logged, the build is tried again after a
//! growing pause ([`RETRY_FIRST`] doubling up to [`RETRY_MOST`]), and
//! HealthCheck reports both the deployed version and the one answering,
//! with the reason (status `degraded`). A process started while the
//! deployed version cannot be built answers with the newest earlier
//! deployment that can.
//!
//! Bad input is `INVALID_ARGUMENT` naming the field: `question` (empty or
//! over [`MAX_QUESTION_CHARS`]), `context.current_date` (not `YYYY-MM-DD`),
//! `prompt_version` (unknown), `requests` (over [`MAX_BATCH`]) and
//! `requests[i].…` inside a batch.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use hifate_sdk::Identity;
pub use intent::question::MAX_QUESTION_CHARS;
use intent::store::IntentStore;
use intent::time::Date;
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
/// Most requests in one BatchClassify.
pub const MAX_BATCH: usize = 100;
/// The pause before building a deployed version again after its first
/// failure; each further failure doubles it.
pub const RETRY_FIRST: Duration = Duration::from_secs(1);
/// The longest pause between two builds of a deployed version that fails.
pub const RETRY_MOST: Duration = Duration::from_secs(60);
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
    /// Locked only to read or swap, never while a classifier is built, so
    /// a rebuild does not hold up calls.
    serving: Arc<Mutex<Serving>>,
    /// Held while a deployed version is built: one build at a time, and
    /// calls arriving meanwhile answer with the classifier in use.
    building: Arc<Mutex<()>>,
    named: Arc<Mutex<HashMap<String, Arc<Classifier>>>>,
    cache: Arc<Mutex<HashMap<CacheKey, ClassifyResponse>>>,
}

/// The classifier answering for the deployed version, and the last failed
/// attempt to build a newer deployed one.
struct Serving {
    classifier: Arc<Classifier>,
    failed: Option<FailedBuild>,
}

impl Serving {
    /// Deployed version `id` could not be built: counts the failure, logs
    /// it, and sets when to try again; the classifier in use keeps
    /// answering meanwhile.
    fn record_failure(&mut self, id: &str, error: &intent::Error) {
        let failures = match &self.failed {
            Some(f) if f.version == id => f.failures.saturating_add(1),
            _ => 1,
        };
        let pause = FailedBuild::pause(failures);
        tracing::warn!(
            deployed = %id,
            answering = %self.classifier.version_id(),
            %error,
            failures,
            retry_in_ms = pause.as_millis(),
            "the deployed classifier version cannot be built; answering with the one in use"
        );
        self.failed = Some(FailedBuild {
            version: id.to_owned(),
            reason: error.to_string(),
            failures,
            retry_at: Instant::now() + pause,
        });
    }
}

/// A deployed version whose classifier could not be built.
#[derive(Debug, Clone)]
struct FailedBuild {
    version: String,
    reason: String,
    failures: u32,
    retry_at: Instant,
}

impl FailedBuild {
    /// The pause after `failures` failed builds: [`RETRY_FIRST`], doubled
    /// for every further failure, at most [`RETRY_MOST`].
    fn pause(failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(16);
        RETRY_FIRST.saturating_mul(1 << doublings).min(RETRY_MOST)
    }
}

/// What answers for the deployed version at one moment.
struct Deployed {
    classifier: Arc<Classifier>,
    /// The deployed version's id; not the classifier's when it failed.
    version: String,
    /// Why the deployed version is not the one answering.
    failure: Option<String>,
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

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl IntentServer {
    /// Opens (or creates, with the baseline version deployed) the intent
    /// database in `data_dir` and builds the deployed classifier; when that
    /// fails, the newest earlier deployment that builds answers until the
    /// deployed one can be built.
    pub fn open(
        data_dir: &Path,
        identity: Identity,
        embedder: Option<Arc<dyn Embedder>>,
    ) -> Result<IntentServer, OpenError> {
        let store = IntentStore::open(data_dir.join(intent::store::DATABASE_FILE))?;
        let deployed = store.deployed_id()?;
        let build = |id: &str| Classifier::new(store.require_version(id)?, embedder.clone());
        let serving = match build(&deployed) {
            Ok(classifier) => Serving {
                classifier: Arc::new(classifier),
                failed: None,
            },
            Err(error) => {
                let earlier = store.deployments()?.into_iter().map(|(id, _)| id);
                let Some(classifier) = earlier
                    .filter(|id| *id != deployed)
                    .find_map(|id| build(&id).ok())
                else {
                    return Err(error.into());
                };
                let mut serving = Serving {
                    classifier: Arc::new(classifier),
                    failed: None,
                };
                serving.record_failure(&deployed, &error);
                serving
            }
        };
        Ok(IntentServer {
            identity,
            store: Arc::new(Mutex::new(store)),
            embedder,
            serving: Arc::new(Mutex::new(serving)),
            building: Arc::new(Mutex::new(())),
            named: Arc::new(Mutex::new(HashMap::new())),
            cache: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    fn store(&self) -> MutexGuard<'_, IntentStore> {
        locked(&self.store)
    }

    /// What answers for the deployed version. Reads the deployed id (one
    /// primary-key lookup); when it moved, builds its classifier without
    /// holding any lock calls wait on, then swaps it in. Blocking: call it
    /// off the async threads.
    fn deployed(&self) -> Result<Deployed, Status> {
        let id = self.store().deployed_id().map_err(store_status)?;
        // The common case, one lock: the deployed version is the one in use.
        {
            let serving = locked(&self.serving);
            if serving.classifier.version_id() == id {
                return Ok(Deployed {
                    classifier: serving.classifier.clone(),
                    version: id,
                    failure: None,
                });
            }
        }
        if self.build_due(&id) {
            let guard = match self.building.try_lock() {
                Ok(guard) => Some(guard),
                Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
                // Another call is building it: answer with the one in use.
                Err(TryLockError::WouldBlock) => None,
            };
            // Asked again under the build lock: a build that ended since
            // may have swapped it in already.
            if let Some(_building) = guard.filter(|_| self.build_due(&id)) {
                self.build_deployed(&id);
            }
        }
        let serving = locked(&self.serving);
        let failure = serving
            .failed
            .as_ref()
            .filter(|f| f.version == id && serving.classifier.version_id() != id)
            .map(|f| f.reason.clone());
        Ok(Deployed {
            classifier: serving.classifier.clone(),
            version: id,
            failure,
        })
    }

    /// Whether deployed version `id` should be built now: it is not the one
    /// answering, and it has not failed recently (its pause is over).
    fn build_due(&self, id: &str) -> bool {
        let serving = locked(&self.serving);
        serving.classifier.version_id() != id
            && serving
                .failed
                .as_ref()
                .is_none_or(|f| f.version != id || Instant::now() >= f.retry_at)
    }

    /// Builds the classifier of deployed version `id` and swaps it in, or
    /// records why it could not be built and when to try again.
    fn build_deployed(&self, id: &str) {
        let version = self.store().require_version(id);
        let built = version.and_then(|version| Classifier::new(version, self.embedder.clone()));
        let mut serving = locked(&self.serving);
        match built {
            Ok(classifier) => {
                tracing::info!(version = %id, "deployed classifier version changed");
                serving.classifier = Arc::new(classifier);
                serving.failed = None;
            }
            Err(error) => serving.record_failure(id, &error),
        }
    }

    /// The classifier of a version a request names.
    fn named(&self, id: &str) -> Result<Arc<Classifier>, Status> {
        if let Some(classifier) = locked(&self.named).get(id) {
            return Ok(classifier.clone());
        }
        let version = self
            .store()
            .require_version(id)
            .map_err(|error| match error {
                intent::Error::NoSuchVersion { .. } => hifate_sdk::invalid_argument(format!(
                    "prompt_version: {error}; leave it empty for the deployed one"
                )),
                other => store_status(other),
            })?;
        let classifier =
            Arc::new(Classifier::new(version, self.embedder.clone()).map_err(store_status)?);
        let mut named = locked(&self.named);
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
        let question = intent::question::check(&request.question)
            .map_err(|reason| hifate_sdk::invalid_argument(format!("{field}question: {reason}")))?
            .to_owned();
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
                this.deployed().map(|deployed| deployed.classifier)
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
            is_explicit: t.is_explicit(),
            target_years: t.target_years,
            description: t.description,
        }),
        is_fortune_related: c.is_fortune_related,
        reject_message: c.reject_message,
        cached: false,
    }
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
        // Off the async threads, as Classify: a SQLite read, and after a
        // deploy the build of the new classifier.
        let this = self.clone();
        let deployed = tokio::task::spawn_blocking(move || this.deployed())
            .await
            .map_err(|e| Status::internal(format!("the version lookup failed: {e}")))??;
        let classifier = &deployed.classifier;
        let signals = classifier
            .signals()
            .into_iter()
            .map(|signal| match (signal, classifier.embedder_name()) {
                (intent::Signal::Embeddings, Some(model)) => format!("embeddings ({model})"),
                (signal, _) => signal.as_str().to_owned(),
            })
            .collect();
        Ok(Response::new(HealthCheckResponse {
            status: if deployed.failure.is_some() {
                "degraded"
            } else {
                "healthy"
            }
            .to_owned(),
            version: self.identity.version.to_string(),
            prompt_version: classifier.version_id().to_owned(),
            signals,
            deployed_prompt_version: deployed.version,
            deploy_error: deployed.failure.unwrap_or_default(),
        }))
    }
}

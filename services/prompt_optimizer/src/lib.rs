//! The `prompt_optimizer`: the improvement loop of intent_service's
//! classifier, over gRPC (`optimizer.PromptOptimizerService`, see
//! `services/prompt_optimizer/api/proto/optimizer/optimizer.proto`).
//!
//! * `CollectFeedback` stores a user's verdict (question, predicted and
//!   corrected intents, satisfaction) in the intent database it shares with
//!   intent_service (`data = "intent"` in `hifate.toml`). A correction to
//!   `off_topic` says the question should have been refused.
//! * `GetWeeklyReport` computes, from one ISO week's feedback (China time),
//!   the accuracy, per-intent precision, recall and F1, macro-F1 (as the
//!   evaluation computes it, [`intent::eval::macro_f1`]) and the most
//!   confused pairs.
//! * `GenerateImprovement` trains a new classifier version on the labeled
//!   set plus every correction, with lexicon terms proposed from the
//!   misclassified questions ([`intent::improve::propose`]); it is stored,
//!   not deployed.
//! * `EvaluatePrompt` runs two versions on the held-out labeled questions
//!   plus the corrected feedback and reports accuracy and macro-F1 of both,
//!   with the questions one got right and the other wrong. The candidate is
//!   a version id, or GenerateImprovement's `new_prompt_text` as it came.
//! * `DeployPrompt` makes a version the deployed one only if that
//!   evaluation finds it not worse (accuracy and macro-F1 each at least the
//!   deployed version's), and only if the version it was compared with is
//!   still deployed when it is done: a deployment by another process in
//!   between is `ABORTED` (call again to compare with the new one).
//!   intent_service answers with it from its next call.
//!
//! Training and evaluation hold no lock: feedback, reports and health
//! checks are answered while they run.
//!
//! Bad input is `INVALID_ARGUMENT` naming the field (`question`,
//! `predicted_intents`, `correct_intents`, `week`, `*_prompt_version`,
//! `traffic_percentage`).

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use hifate_sdk::Identity;
use intent::dataset::{self, Example};
use intent::eval::{evaluate, Evaluation};
use intent::feedback::{Correction, Feedback};
use intent::intents::OFF_TOPIC;
use intent::report::{weekly, WeekRange};
use intent::store::IntentStore;
use intent::time::unix_now;
use intent::{Classifier, Embedder, Intent, ModelVersion};
use prompt_optimizer_api::prompt_optimizer_service_server::PromptOptimizerService;
use prompt_optimizer_api::{
    CommonError, DeployRequest, DeployResponse, EvaluateRequest, EvaluateResponse, FeedbackRequest,
    FeedbackResponse, HealthCheckRequest, HealthCheckResponse, ImprovementRequest,
    ImprovementResponse, IntentMetrics, TestCase, WeeklyReportRequest, WeeklyReportResponse,
};
use tonic::{Request, Response, Status};

/// Name of the service under the supervisor.
pub const SERVICE_NAME: &str = "prompt_optimizer";
/// TCP port used when the binary runs without a supervisor.
pub const DEFAULT_PORT: u16 = 9009;
/// Fresh version ids tried when another process took the one picked.
const ID_TRIES: u32 = 3;
/// Test cases listed per direction in an evaluation.
const CASES_LISTED: usize = 20;

/// The `optimizer.PromptOptimizerService` implementation.
#[derive(Clone)]
pub struct Optimizer {
    identity: Identity,
    /// Held only for store reads and writes, never while a version is
    /// trained or evaluated (seconds, with embeddings), so feedback and
    /// health checks are not held up by them.
    store: Arc<Mutex<IntentStore>>,
    embedder: Option<Arc<dyn Embedder>>,
}

/// Two versions measured on the same questions.
struct Comparison {
    old_id: String,
    new_id: String,
    old: Evaluation,
    new: Evaluation,
}

impl Comparison {
    /// Not worse: accuracy and macro-F1 each at least the old version's.
    fn not_worse(&self) -> bool {
        const EPSILON: f32 = 1e-6;
        self.new.accuracy + EPSILON >= self.old.accuracy
            && self.new.macro_f1 + EPSILON >= self.old.macro_f1
    }

    fn numbers(&self) -> String {
        format!(
            "{} accuracy {:.3}, macro-F1 {:.3}; {} accuracy {:.3}, macro-F1 {:.3} ({} questions)",
            self.old_id,
            self.old.accuracy,
            self.old.macro_f1,
            self.new_id,
            self.new.accuracy,
            self.new.macro_f1,
            self.new.cases.len()
        )
    }
}

fn store_status(error: intent::Error) -> Status {
    Status::unavailable(format!("the intent database failed: {error}"))
}

/// A version lookup's failure: `INVALID_ARGUMENT` naming `field` when the
/// version is not stored, `UNAVAILABLE` when the database failed.
fn lookup_status(field: &str, error: intent::Error) -> Status {
    match error {
        intent::Error::NoSuchVersion { .. } => {
            hifate_sdk::invalid_argument(format!("{field}: {error}"))
        }
        other => store_status(other),
    }
}

/// Intent names, or which one is unknown.
fn intents_of(field: &str, names: &[String]) -> Result<Vec<Intent>, Status> {
    names
        .iter()
        .map(|name| {
            name.trim().parse::<Intent>().map_err(|_| {
                let known: Vec<&str> = Intent::ALL.iter().map(|i| i.as_str()).collect();
                hifate_sdk::invalid_argument(format!(
                    "{field}: unknown intent {name:?}; known: {}",
                    known.join(", ")
                ))
            })
        })
        .collect()
}

/// `correct_intents`: intent names, or [`OFF_TOPIC`] alone (the question is
/// not about fortune telling); empty is no correction.
fn correction_of(names: &[String]) -> Result<Option<Correction>, Status> {
    const FIELD: &str = "correct_intents";
    if names.iter().any(|name| name.trim() == OFF_TOPIC) {
        if names.len() > 1 {
            return Err(hifate_sdk::invalid_argument(format!(
                "{FIELD}: {OFF_TOPIC} says the question has no intent; send it alone, not with {}",
                names.join(", ")
            )));
        }
        return Ok(Some(Correction::OffTopic));
    }
    let intents = intents_of(FIELD, names).map_err(|status| {
        hifate_sdk::invalid_argument(format!(
            "{}; or {OFF_TOPIC} alone for a question outside fortune telling",
            status.message()
        ))
    })?;
    Ok(Correction::intents(&intents))
}

/// The version id EvaluatePrompt's `new_prompt_text` names: an id ("v4"),
/// or GenerateImprovement's `new_prompt_text` passed back as it came (JSON
/// with the id under "version").
fn candidate_id(text: &str) -> String {
    let text = text.trim();
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|summary| summary.get("version")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| text.to_owned())
}

impl Optimizer {
    /// Opens (or creates, with the baseline deployed) the intent database in
    /// `data_dir`.
    pub fn open(
        data_dir: &Path,
        identity: Identity,
        embedder: Option<Arc<dyn Embedder>>,
    ) -> Result<Optimizer, intent::Error> {
        let store = IntentStore::open(data_dir.join(intent::store::DATABASE_FILE))?;
        Ok(Optimizer {
            identity,
            store: Arc::new(Mutex::new(store)),
            embedder,
        })
    }

    fn store(&self) -> MutexGuard<'_, IntentStore> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `operation` off the async threads: SQLite may wait for
    /// intent_service's or another version's write, and training and
    /// evaluation take CPU time. The operation locks the store itself, for
    /// each read or write only.
    async fn blocking<T: Send + 'static>(
        &self,
        operation: impl FnOnce(&Optimizer) -> Result<T, Status> + Send + 'static,
    ) -> Result<T, Status> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || operation(&this))
            .await
            .map_err(|e| Status::internal(format!("the optimizer task failed: {e}")))?
    }

    /// A stored version (the deployed one for an empty id), or
    /// `INVALID_ARGUMENT` naming `field`.
    fn version(&self, field: &str, id: &str) -> Result<ModelVersion, Status> {
        let id = id.trim();
        let store = self.store();
        if id.is_empty() {
            return store.deployed().map_err(store_status);
        }
        store
            .require_version(id)
            .map_err(|e| lookup_status(field, e))
    }

    /// The held-out labeled questions plus every piece of feedback that
    /// tells the truth (corrections, confirmed predictions, and questions
    /// marked off-topic).
    fn evaluation_set(&self) -> Result<Vec<Example>, Status> {
        let feedback = self.store().all_feedback().map_err(store_status)?;
        let mut examples = dataset::held_out();
        examples.extend(feedback.iter().filter_map(Feedback::example));
        Ok(examples)
    }

    /// Both versions on the same questions (the evaluation set). Holds no
    /// lock: building the classifiers embeds their prototypes, and
    /// classifying the questions takes a while with embeddings.
    fn compare(&self, old: ModelVersion, new: ModelVersion) -> Result<Comparison, Status> {
        let examples = &self.evaluation_set()?;
        let today = intent::time::today();
        let (old_id, new_id) = (old.id.clone(), new.id.clone());
        let old = Classifier::new(old, self.embedder.clone()).map_err(store_status)?;
        let new = Classifier::new(new, self.embedder.clone()).map_err(store_status)?;
        Ok(Comparison {
            old_id,
            new_id,
            old: evaluate(&old, examples, today),
            new: evaluate(&new, examples, today),
        })
    }

    /// A new version from `base` and `feedback`, stored under a fresh id.
    /// Training holds no lock; another optimizer process (a swap runs two)
    /// may take the same next id between our read and our write, so on
    /// [`intent::Error::VersionTaken`] it trains again under a fresh one.
    fn improve(
        &self,
        base: &ModelVersion,
        feedback: &[Feedback],
    ) -> Result<intent::Improvement, Status> {
        let mut tries = 0;
        loop {
            let id = self.store().next_version_id().map_err(store_status)?;
            let improvement = intent::improve::propose(base, feedback, id, unix_now());
            match self.store().save_version(&improvement.version) {
                Ok(()) => return Ok(improvement),
                Err(intent::Error::VersionTaken { .. }) if tries < ID_TRIES => tries += 1,
                Err(error) => return Err(store_status(error)),
            }
        }
    }
}

fn test_case(case: &intent::eval::CaseResult, predicted: &[Intent]) -> TestCase {
    TestCase {
        question: case.question.clone(),
        expected: case
            .expected
            .iter()
            .map(|i| i.as_str().to_owned())
            .collect(),
        predicted: predicted.iter().map(|i| i.as_str().to_owned()).collect(),
    }
}

#[tonic::async_trait]
impl PromptOptimizerService for Optimizer {
    async fn collect_feedback(
        &self,
        request: Request<FeedbackRequest>,
    ) -> Result<Response<FeedbackResponse>, Status> {
        let request = request.into_inner();
        let question = intent::question::check(&request.question)
            .map_err(|reason| hifate_sdk::invalid_argument(format!("question: {reason}")))?
            .to_owned();
        if !(0.0..=1.0).contains(&request.confidence) {
            return Err(hifate_sdk::invalid_argument(format!(
                "confidence: {} is outside 0..=1",
                request.confidence
            )));
        }
        let feedback = Feedback {
            question,
            predicted: intents_of("predicted_intents", &request.predicted_intents)?,
            corrected: correction_of(&request.correct_intents)?,
            confidence: request.confidence,
            satisfied: request.satisfied,
            comment: request.comment,
            user_id: request.user_id,
            at: if request.timestamp > 0 {
                request.timestamp
            } else {
                unix_now()
            },
        };
        let id = self
            .blocking(move |this| this.store().add_feedback(&feedback).map_err(store_status))
            .await?;
        Ok(Response::new(FeedbackResponse {
            success: true,
            message: format!("feedback {id} stored"),
            feedback_id: id,
        }))
    }

    async fn get_weekly_report(
        &self,
        request: Request<WeeklyReportRequest>,
    ) -> Result<Response<WeeklyReportResponse>, Status> {
        let week = WeekRange::parse(&request.into_inner().week, unix_now())
            .map_err(|e| hifate_sdk::invalid_argument(format!("week: {e}")))?;
        let range = week.clone();
        let feedback = self
            .blocking(move |this| {
                this.store()
                    .feedback_between(range.from, range.to)
                    .map_err(store_status)
            })
            .await?;
        let report = weekly(&feedback);
        let intents: Vec<IntentMetrics> = report
            .per_intent
            .iter()
            .map(|(intent, prf)| IntentMetrics {
                intent: intent.as_str().to_owned(),
                precision: prf.precision,
                recall: prf.recall,
                f1: prf.f1,
                support: i32::try_from(prf.support).unwrap_or(i32::MAX),
            })
            .collect();
        let first_day = time::OffsetDateTime::from_unix_timestamp(week.from)
            .map(|t| t.to_offset(intent::time::CHINA).date())
            .ok();
        let label = match first_day {
            Some(day) => format!(
                "{} ({}..{})",
                week.label,
                day,
                day + time::Duration::days(6)
            ),
            None => week.label.clone(),
        };
        Ok(Response::new(WeeklyReportResponse {
            total_requests: i32::try_from(report.total).unwrap_or(i32::MAX),
            accuracy: report.accuracy,
            common_errors: report
                .confused_pairs
                .iter()
                .map(|pair| CommonError {
                    pattern: intent::intents::label(&pair.predicted),
                    count: i32::try_from(pair.count).unwrap_or(i32::MAX),
                    should_be: intent::intents::label(&pair.should_be),
                    examples: pair.examples.clone(),
                })
                .collect(),
            accuracy_by_intent: intents.iter().map(|m| (m.intent.clone(), m.f1)).collect(),
            intents,
            macro_f1: report.macro_f1,
            week: label,
        }))
    }

    async fn generate_improvement(
        &self,
        request: Request<ImprovementRequest>,
    ) -> Result<Response<ImprovementResponse>, Status> {
        let current = request.into_inner().current_prompt_version;
        let improvement = self
            .blocking(move |this| {
                let base = this.version("current_prompt_version", &current)?;
                let feedback = this.store().all_feedback().map_err(store_status)?;
                this.improve(&base, &feedback)
            })
            .await?;
        let term = |(intent, term): &(Intent, String)| format!("{}:{term}", intent.as_str());
        let added: Vec<String> = improvement
            .added_terms
            .iter()
            .map(term)
            .chain(
                improvement
                    .added_off_topic_terms
                    .iter()
                    .map(|term| format!("{OFF_TOPIC}:{term}")),
            )
            .collect();
        let removed: Vec<String> = improvement.removed_terms.iter().map(term).collect();
        let summary = serde_json::json!({
            "version": improvement.version.id,
            "parent": improvement.version.parent,
            "added_terms": added,
            "removed_terms": removed,
            "thresholds": improvement.version.thresholds,
        });
        Ok(Response::new(ImprovementResponse {
            new_prompt_version: improvement.version.id.clone(),
            new_prompt_text: summary.to_string(),
            suggested_additions: added,
            suggested_removals: removed,
            reasoning: improvement.reasoning,
        }))
    }

    async fn evaluate_prompt(
        &self,
        request: Request<EvaluateRequest>,
    ) -> Result<Response<EvaluateResponse>, Status> {
        let request = request.into_inner();
        let (field, candidate) = if request.new_prompt_version.trim().is_empty() {
            ("new_prompt_text", candidate_id(&request.new_prompt_text))
        } else {
            ("new_prompt_version", request.new_prompt_version)
        };
        if candidate.trim().is_empty() {
            return Err(hifate_sdk::invalid_argument(
                "new_prompt_version: is empty; name the version to evaluate (GenerateImprovement's new_prompt_version)",
            ));
        }
        let old_id = request.old_prompt_version;
        let comparison = self
            .blocking(move |this| {
                let old = this.version("old_prompt_version", &old_id)?;
                let new = this.version(field, &candidate)?;
                this.compare(old, new)
            })
            .await?;
        let mut degraded = Vec::new();
        let mut improved = Vec::new();
        for (old, new) in comparison.old.cases.iter().zip(&comparison.new.cases) {
            match (old.is_correct(), new.is_correct()) {
                (true, false) if degraded.len() < CASES_LISTED => {
                    degraded.push(test_case(new, &new.predicted))
                }
                (false, true) if improved.len() < CASES_LISTED => {
                    improved.push(test_case(old, &new.predicted))
                }
                _ => {}
            }
        }
        Ok(Response::new(EvaluateResponse {
            old_accuracy: comparison.old.accuracy,
            new_accuracy: comparison.new.accuracy,
            improvement: comparison.new.accuracy - comparison.old.accuracy,
            degraded_cases: degraded,
            improved_cases: improved,
            old_macro_f1: comparison.old.macro_f1,
            new_macro_f1: comparison.new.macro_f1,
            cases: i32::try_from(comparison.new.cases.len()).unwrap_or(i32::MAX),
            old_prompt_version: comparison.old_id,
            new_prompt_version: comparison.new_id,
        }))
    }

    async fn deploy_prompt(
        &self,
        request: Request<DeployRequest>,
    ) -> Result<Response<DeployResponse>, Status> {
        let request = request.into_inner();
        let share = request.traffic_percentage;
        if !(share == 0.0 || share == 100.0) {
            return Err(hifate_sdk::invalid_argument(format!(
                "traffic_percentage: {share} is not supported; a classifier version takes the whole traffic (100, or 0 meaning 100)"
            )));
        }
        let id = request.prompt_version.trim().to_owned();
        if id.is_empty() {
            return Err(hifate_sdk::invalid_argument(
                "prompt_version: is empty; name the version to deploy",
            ));
        }
        let response = self
            .blocking(move |this| {
                let new = this.version("prompt_version", &id)?;
                let old = this.store().deployed().map_err(store_status)?;
                if old.id == new.id {
                    return Ok(DeployResponse {
                        success: true,
                        deployment_id: String::new(),
                        message: format!("{id} is already deployed"),
                        ..DeployResponse::default()
                    });
                }
                let comparison = this.compare(old, new)?;
                let numbers = comparison.numbers();
                let mut response = DeployResponse {
                    success: false,
                    deployment_id: String::new(),
                    message: String::new(),
                    old_accuracy: comparison.old.accuracy,
                    new_accuracy: comparison.new.accuracy,
                    old_macro_f1: comparison.old.macro_f1,
                    new_macro_f1: comparison.new.macro_f1,
                };
                if !comparison.not_worse() {
                    response.message =
                        format!("refused: {id} is worse than the deployed version ({numbers})");
                    return Ok(response);
                }
                // Deployed only if what it was compared with still is: the
                // evaluation took a while, and another process may have
                // deployed meanwhile.
                let sequence = this
                    .store()
                    .deploy_if_current(&id, &comparison.old_id)
                    .map_err(|error| match error {
                        intent::Error::DeploymentMoved { .. } => Status::aborted(format!(
                            "not deployed: {error} (call DeployPrompt again)"
                        )),
                        other => store_status(other),
                    })?;
                response.success = true;
                response.deployment_id = format!("deploy-{sequence}-{id}");
                response.message = format!(
                    "{id} deployed; intent_service answers with it from its next call ({numbers})"
                );
                Ok(response)
            })
            .await?;
        Ok(Response::new(response))
    }

    async fn health_check(
        &self,
        _request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let (deployed, feedback) = self
            .blocking(|this| {
                let store = this.store();
                Ok((
                    store.deployed_id().map_err(store_status)?,
                    store.feedback_count().map_err(store_status)?,
                ))
            })
            .await?;
        Ok(Response::new(HealthCheckResponse {
            status: "healthy".to_owned(),
            version: self.identity.version.to_string(),
            deployed_prompt_version: deployed,
            feedback_count: feedback,
        }))
    }
}

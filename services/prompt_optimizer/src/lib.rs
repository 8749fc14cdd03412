//! The `prompt_optimizer`: the improvement loop of intent_service's
//! classifier, over gRPC (`optimizer.PromptOptimizerService`, see
//! `services/prompt_optimizer/api/proto/optimizer/optimizer.proto`).
//!
//! * `CollectFeedback` stores a user's verdict (question, predicted and
//!   corrected intents, satisfaction) in the intent database it shares with
//!   intent_service (`data = "intent"` in `hifate.toml`).
//! * `GetWeeklyReport` computes, from one ISO week's feedback (China time),
//!   the accuracy, per-intent precision, recall and F1, and the most
//!   confused pairs.
//! * `GenerateImprovement` trains a new classifier version on the labeled
//!   set plus every correction, with lexicon terms proposed from the
//!   misclassified questions ([`intent::improve::propose`]); it is stored,
//!   not deployed.
//! * `EvaluatePrompt` runs two versions on the held-out labeled questions
//!   plus the corrected feedback and reports accuracy and macro-F1 of both,
//!   with the questions one got right and the other wrong.
//! * `DeployPrompt` makes a version the deployed one only if that
//!   evaluation finds it not worse (accuracy and macro-F1 each at least the
//!   deployed version's); intent_service answers with it from its next call.
//!
//! Bad input is `INVALID_ARGUMENT` naming the field (`question`,
//! `predicted_intents`, `correct_intents`, `week`, `*_prompt_version`,
//! `traffic_percentage`).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use hifate_sdk::Identity;
use intent::dataset::{self, Example};
use intent::eval::{evaluate, Evaluation};
use intent::feedback::Feedback;
use intent::report::{weekly, WeekRange};
use intent::store::IntentStore;
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
/// Longest question accepted, in characters (as intent_service).
pub const MAX_QUESTION_CHARS: usize = 500;
/// Fresh version ids tried when another process took the one picked.
const ID_TRIES: u32 = 3;
/// Test cases listed per direction in an evaluation.
const CASES_LISTED: usize = 20;

/// The `optimizer.PromptOptimizerService` implementation.
#[derive(Clone)]
pub struct Optimizer {
    identity: Identity,
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

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn store_status(error: intent::Error) -> Status {
    Status::unavailable(format!("the intent database failed: {error}"))
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

    /// Runs `operation` on the store off the async threads: SQLite may wait
    /// for intent_service's or another version's write, and training and
    /// evaluation take CPU time.
    async fn blocking<T: Send + 'static>(
        &self,
        operation: impl FnOnce(&Optimizer, &mut IntentStore) -> Result<T, Status> + Send + 'static,
    ) -> Result<T, Status> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = this.store.lock().unwrap_or_else(|p| p.into_inner());
            operation(&this, &mut store)
        })
        .await
        .map_err(|e| Status::internal(format!("the optimizer task failed: {e}")))?
    }

    /// A stored version, or `INVALID_ARGUMENT` naming `field`.
    fn version(store: &IntentStore, field: &str, id: &str) -> Result<ModelVersion, Status> {
        let id = id.trim();
        if id.is_empty() {
            return store.deployed().map_err(store_status);
        }
        store.version(id).map_err(store_status)?.ok_or_else(|| {
            let known: Vec<String> = store
                .versions()
                .map(|versions| versions.into_iter().map(|v| v.id).collect())
                .unwrap_or_default();
            hifate_sdk::invalid_argument(format!(
                "{field}: there is no classifier version {id:?} (stored: {})",
                known.join(", ")
            ))
        })
    }

    /// The held-out labeled questions plus every piece of feedback that
    /// tells the truth (corrections, and confirmed predictions).
    fn evaluation_set(store: &IntentStore) -> Result<Vec<Example>, Status> {
        let mut examples = dataset::held_out();
        let feedback = store.all_feedback().map_err(store_status)?;
        examples.extend(feedback.iter().filter_map(Feedback::example));
        Ok(examples)
    }

    fn compare(
        &self,
        store: &IntentStore,
        old: ModelVersion,
        new: ModelVersion,
    ) -> Result<Comparison, Status> {
        let examples = Self::evaluation_set(store)?;
        let today = intent::time::today();
        let (old_id, new_id) = (old.id.clone(), new.id.clone());
        let old = Classifier::new(old, self.embedder.clone()).map_err(store_status)?;
        let new = Classifier::new(new, self.embedder.clone()).map_err(store_status)?;
        Ok(Comparison {
            old_id,
            new_id,
            old: evaluate(&old, &examples, today),
            new: evaluate(&new, &examples, today),
        })
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
        let question = request.question.trim().to_owned();
        if question.is_empty() {
            return Err(hifate_sdk::invalid_argument(
                "question: is empty; send the question that was classified",
            ));
        }
        let chars = question.chars().count();
        if chars > MAX_QUESTION_CHARS {
            return Err(hifate_sdk::invalid_argument(format!(
                "question: is {chars} characters long; at most {MAX_QUESTION_CHARS}"
            )));
        }
        if !(0.0..=1.0).contains(&request.confidence) {
            return Err(hifate_sdk::invalid_argument(format!(
                "confidence: {} is outside 0..=1",
                request.confidence
            )));
        }
        let feedback = Feedback {
            question,
            predicted: intents_of("predicted_intents", &request.predicted_intents)?,
            corrected: intents_of("correct_intents", &request.correct_intents)?,
            confidence: request.confidence,
            satisfied: request.satisfied,
            comment: request.comment,
            user_id: request.user_id,
            at: if request.timestamp > 0 {
                request.timestamp
            } else {
                now()
            },
        };
        let id = self
            .blocking(move |_, store| store.add_feedback(&feedback).map_err(store_status))
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
        let week = WeekRange::parse(&request.into_inner().week, now())
            .map_err(|e| hifate_sdk::invalid_argument(format!("week: {e}")))?;
        let range = week.clone();
        let feedback = self
            .blocking(move |_, store| {
                store
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
        let macro_f1 = if intents.is_empty() {
            0.0
        } else {
            intents.iter().map(|m| m.f1).sum::<f32>() / intents.len() as f32
        };
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
                    pattern: intent::intents::join(&pair.predicted),
                    count: i32::try_from(pair.count).unwrap_or(i32::MAX),
                    should_be: intent::intents::join(&pair.should_be),
                    examples: pair.examples.clone(),
                })
                .collect(),
            accuracy_by_intent: intents.iter().map(|m| (m.intent.clone(), m.f1)).collect(),
            intents,
            macro_f1,
            week: label,
        }))
    }

    async fn generate_improvement(
        &self,
        request: Request<ImprovementRequest>,
    ) -> Result<Response<ImprovementResponse>, Status> {
        let current = request.into_inner().current_prompt_version;
        let improvement = self
            .blocking(move |_, store| {
                let base = Optimizer::version(store, "current_prompt_version", &current)?;
                let feedback = store.all_feedback().map_err(store_status)?;
                // Another optimizer process (a swap runs two) may take the
                // same next id between our read and our write: train again
                // under a fresh one.
                let mut tries = 0;
                loop {
                    let id = store.next_version_id().map_err(store_status)?;
                    let improvement = intent::improve::propose(&base, &feedback, id, now());
                    match store.save_version(&improvement.version) {
                        Ok(()) => return Ok(improvement),
                        Err(intent::Error::VersionTaken { .. }) if tries < ID_TRIES => tries += 1,
                        Err(error) => return Err(store_status(error)),
                    }
                }
            })
            .await?;
        let term = |(intent, term): &(Intent, String)| format!("{}:{term}", intent.as_str());
        let summary = serde_json::json!({
            "version": improvement.version.id,
            "parent": improvement.version.parent,
            "added_terms": improvement.added_terms.iter().map(term).collect::<Vec<_>>(),
            "removed_terms": improvement.removed_terms.iter().map(term).collect::<Vec<_>>(),
            "thresholds": improvement.version.thresholds,
        });
        Ok(Response::new(ImprovementResponse {
            new_prompt_version: improvement.version.id.clone(),
            new_prompt_text: summary.to_string(),
            suggested_additions: improvement.added_terms.iter().map(term).collect(),
            suggested_removals: improvement.removed_terms.iter().map(term).collect(),
            reasoning: improvement.reasoning,
        }))
    }

    async fn evaluate_prompt(
        &self,
        request: Request<EvaluateRequest>,
    ) -> Result<Response<EvaluateResponse>, Status> {
        let request = request.into_inner();
        let (field, candidate) = if request.new_prompt_version.trim().is_empty() {
            ("new_prompt_text", request.new_prompt_text)
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
            .blocking(move |this, store| {
                let old = Optimizer::version(store, "old_prompt_version", &old_id)?;
                let new = Optimizer::version(store, field, &candidate)?;
                this.compare(store, old, new)
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
            .blocking(move |this, store| {
                let new = Optimizer::version(store, "prompt_version", &id)?;
                let old = store.deployed().map_err(store_status)?;
                if old.id == new.id {
                    return Ok(DeployResponse {
                        success: true,
                        deployment_id: String::new(),
                        message: format!("{id} is already deployed"),
                        ..DeployResponse::default()
                    });
                }
                let comparison = this.compare(store, old, new)?;
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
                store.deploy(&id).map_err(store_status)?;
                let sequence = store.deployments().map_err(store_status)?.len();
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
            .blocking(|_, store| {
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

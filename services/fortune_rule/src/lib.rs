//! The `fortune_rule` service: rules over the features of a hand or a face
//! and the Four Pillars chart ([`fortune_rules`]), in an SQLite database in
//! the service's data directory, over gRPC (`fortune.rule.FortuneRuleService`,
//! see `services/fortune_rule/api/proto/fortune/rule/fortune_rule.proto`).
//!
//! `MatchHandRules` matches the hand rules and `MatchFaceRules` the face
//! rules against the request's features ([`features`]); when the request
//! has a chart ([`chart`]: its `bazi_data`, else the birth of `bazi_info`
//! with `use_bazi`) the integrated rules too. The answer has the insights
//! by kind, the recommendations of the matched rules, the chart used
//! (`bazi_data`), and `metadata_json`: `{rule_set_version, rules, skipped,
//! chart, service, service_version}`.
//!
//! Rules change live: every match reads the store's rule-set version (one
//! indexed row) and recompiles the rules when it moved — whoever changed
//! them: this process, the other version running beside it during a swap,
//! or an administrator through `CreateRule`, `UpdateRule`, `DeleteRule`.
//!
//! Bad input is `INVALID_ARGUMENT` naming the field
//! (`hand_features.measurements.palm_ratio: NaN is not a finite number`,
//! `bazi_info.gender: …`, `conditions: $.all[1].hand_shape: …`); an unknown
//! code is `NOT_FOUND`, a taken one `ALREADY_EXISTS`.

pub mod chart;
pub mod features;
pub mod rules;

use std::path::Path;
use std::sync::{Arc, Mutex};

use fortune_rule_api::fortune_rule_service_server::FortuneRuleService;
use fortune_rule_api::{
    AnalysisInsight, DeleteRuleRequest, FaceRuleMatchRequest, GetRuleRequest, HandRuleMatchRequest,
    HealthCheckRequest, HealthCheckResponse, ListRulesRequest, ListRulesResponse, PutRuleRequest,
    Rule, RuleChange, RuleMatchResponse,
};
use fortune_rules::{FeatureFacts, Insight, ListFilter, RuleSet, RuleStore, StoreError};
use hifate_sdk::Identity;
use serde::Serialize;
use tonic::{Request, Response, Status};

use crate::rules::store_status;

/// Name of the service under the supervisor.
pub const SERVICE_NAME: &str = "fortune_rule";
/// TCP port used when the binary runs without a supervisor.
pub const DEFAULT_PORT: u16 = 9007;
/// The database file in the data directory.
pub const DATABASE_FILE: &str = "fortune_rule.sqlite3";

/// The `fortune.rule.FortuneRuleService` implementation.
#[derive(Clone)]
pub struct FortuneRule {
    identity: Identity,
    store: Arc<RuleStore>,
    rules: Arc<Mutex<Arc<RuleSet>>>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    rule_set_version: u64,
    rules: usize,
    skipped: usize,
    chart: Option<chart::Source>,
    service: &'a str,
    service_version: u64,
}

fn load(store: &RuleStore) -> Result<RuleSet, StoreError> {
    let rules = store.load_rule_set()?;
    for skipped in rules.skipped() {
        tracing::warn!(code = %skipped.code, reason = %skipped.reason, "stored rule skipped");
    }
    Ok(rules)
}

fn to_proto(insight: Insight) -> AnalysisInsight {
    AnalysisInsight {
        category: insight.category,
        content: insight.content,
        confidence: insight.confidence as f32,
        source: insight.source,
        feature: insight.feature,
    }
}

impl FortuneRule {
    /// Opens (or creates, with the project's corpus) the rules database in
    /// `data_dir`.
    pub fn open(data_dir: &Path, identity: Identity) -> Result<FortuneRule, StoreError> {
        let store = RuleStore::open(data_dir.join(DATABASE_FILE))?;
        let rules = load(&store)?;
        Ok(FortuneRule {
            identity,
            store: Arc::new(store),
            rules: Arc::new(Mutex::new(Arc::new(rules))),
        })
    }

    /// The compiled rules of the store's current version, recompiled when
    /// any process changed them since the last call.
    fn current_rules(&self) -> Result<Arc<RuleSet>, Status> {
        let version = self.store.version().map_err(store_status)?;
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        if rules.version() != version {
            *rules = Arc::new(load(&self.store).map_err(store_status)?);
            tracing::info!(
                version = rules.version(),
                rules = rules.len(),
                "rule set reloaded"
            );
        }
        Ok(rules.clone())
    }

    /// Matches one feature set (and the request's chart, if any).
    fn answer(
        &self,
        features: &FeatureFacts,
        info: Option<&fortune_rule_api::BaziInfo>,
        data: Option<&fortune_rule_api::BaziData>,
    ) -> Result<RuleMatchResponse, Status> {
        let chart = chart::resolve(info, data)?;
        let rules = self.current_rules()?;
        let found = rules.evaluate(features, chart.as_ref().map(|c| &c.facts));
        let insights: Vec<AnalysisInsight> = found.insights.into_iter().map(to_proto).collect();
        let (hand_insights, face_insights) = match features.subject() {
            fortune_rules::Subject::Hand => (insights, Vec::new()),
            fortune_rules::Subject::Face => (Vec::new(), insights),
        };
        let metadata = serde_json::to_string(&Metadata {
            rule_set_version: rules.version(),
            rules: rules.len(),
            skipped: rules.skipped().len(),
            chart: chart.as_ref().map(|c| c.source),
            service: &self.identity.service,
            service_version: self.identity.version,
        })
        .map_err(|e| Status::internal(format!("cannot encode the metadata: {e}")))?;
        Ok(RuleMatchResponse {
            success: true,
            error_message: String::new(),
            hand_insights,
            face_insights,
            integrated_insights: found.integrated.into_iter().map(to_proto).collect(),
            recommendations: found.recommendations,
            bazi_data: chart.map(|c| c.data),
            metadata_json: metadata,
        })
    }

    /// One `MatchHandRules` call.
    pub fn match_hand(&self, request: &HandRuleMatchRequest) -> Result<RuleMatchResponse, Status> {
        let features = features::hand(request.hand_features.as_ref())?;
        self.answer(
            &features,
            request.bazi_info.as_ref(),
            request.bazi_data.as_ref(),
        )
    }

    /// One `MatchFaceRules` call.
    pub fn match_face(&self, request: &FaceRuleMatchRequest) -> Result<RuleMatchResponse, Status> {
        let features = features::face(request.face_features.as_ref())?;
        self.answer(
            &features,
            request.bazi_info.as_ref(),
            request.bazi_data.as_ref(),
        )
    }

    /// Runs `work` off the async threads: SQLite may wait for another
    /// process's write (up to its busy timeout), and the async threads also
    /// answer health checks.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&FortuneRule) -> Result<T, Status> + Send + 'static,
    ) -> Result<T, Status> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || work(&this))
            .await
            .map_err(|e| Status::internal(format!("the store task failed: {e}")))?
    }

    /// The answer to a rule change: the rule and the version after it.
    fn change(&self, rule: Option<fortune_rules::Rule>) -> Result<RuleChange, Status> {
        Ok(RuleChange {
            rule: rule.map(rules::to_proto),
            rule_set_version: self.store.version().map_err(store_status)?,
        })
    }
}

#[tonic::async_trait]
impl FortuneRuleService for FortuneRule {
    async fn match_hand_rules(
        &self,
        request: Request<HandRuleMatchRequest>,
    ) -> Result<Response<RuleMatchResponse>, Status> {
        let request = request.into_inner();
        self.blocking(move |s| s.match_hand(&request))
            .await
            .map(Response::new)
    }

    async fn match_face_rules(
        &self,
        request: Request<FaceRuleMatchRequest>,
    ) -> Result<Response<RuleMatchResponse>, Status> {
        let request = request.into_inner();
        self.blocking(move |s| s.match_face(&request))
            .await
            .map(Response::new)
    }

    async fn health_check(
        &self,
        _request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        Ok(Response::new(HealthCheckResponse {
            status: "ok".to_owned(),
        }))
    }

    async fn list_rules(
        &self,
        request: Request<ListRulesRequest>,
    ) -> Result<Response<ListRulesResponse>, Status> {
        let request = request.into_inner();
        let filter = ListFilter {
            kind: match request.kind.trim() {
                "" => None,
                name => Some(rules::kind("kind", name)?),
            },
            category: Some(request.category.trim().to_owned()).filter(|c| !c.is_empty()),
            include_disabled: request.include_disabled,
        };
        self.blocking(move |s| {
            let listed = s.store.list(&filter).map_err(store_status)?;
            Ok(ListRulesResponse {
                rules: listed.into_iter().map(rules::to_proto).collect(),
                rule_set_version: s.store.version().map_err(store_status)?,
            })
        })
        .await
        .map(Response::new)
    }

    async fn get_rule(&self, request: Request<GetRuleRequest>) -> Result<Response<Rule>, Status> {
        let code = request.into_inner().code;
        self.blocking(move |s| {
            s.store
                .get(&code)
                .map_err(store_status)?
                .map(rules::to_proto)
                .ok_or_else(|| Status::not_found(format!("no rule {code:?}")))
        })
        .await
        .map(Response::new)
    }

    async fn create_rule(
        &self,
        request: Request<PutRuleRequest>,
    ) -> Result<Response<RuleChange>, Status> {
        let rule = rules::from_proto(request.into_inner().rule)?;
        self.blocking(move |s| {
            let created = s.store.create(&rule).map_err(store_status)?;
            s.change(Some(created))
        })
        .await
        .map(Response::new)
    }

    async fn update_rule(
        &self,
        request: Request<PutRuleRequest>,
    ) -> Result<Response<RuleChange>, Status> {
        let rule = rules::from_proto(request.into_inner().rule)?;
        self.blocking(move |s| {
            let updated = s.store.update(&rule).map_err(store_status)?;
            s.change(Some(updated))
        })
        .await
        .map(Response::new)
    }

    async fn delete_rule(
        &self,
        request: Request<DeleteRuleRequest>,
    ) -> Result<Response<RuleChange>, Status> {
        let code = request.into_inner().code;
        self.blocking(move |s| {
            s.store.delete(&code).map_err(store_status)?;
            s.change(None)
        })
        .await
        .map(Response::new)
    }
}

//! The `bazi_analyzer` service: judgements on a chart over gRPC
//! (`bazi.analyzer.BaziAnalyzerService`, see
//! `services/bazi_analyzer/api/proto/bazi/analyzer/bazi_analyzer.proto`),
//! computed by [`bazi::analysis`] — each analyzer's method and weights are
//! written down there.
//!
//! `results_json` is an object with one key per type asked for, in the order
//! asked (default: every type): `wangshuai`, `xishen_jishen`,
//! `wuxing_balance`, `ten_gods_energy`, `rizhu_gender`. `rizhu_gender` is the
//! day pillar's facts plus `rules`: the `rizhu_gender` rules bazi_rule
//! matches for the chart (or `rules: null` and `rules_error` when bazi_rule
//! cannot answer — the facts are still given).
//!
//! Bad input is `INVALID_ARGUMENT` naming the field; an unknown type names
//! the type and lists the known ones.

use bazi::analysis::{self, AnalysisResult, AnalysisType, RizhuFacts};
use bazi::BirthInput;
use bazi_analyzer_api::bazi_analyzer_service_server::BaziAnalyzerService;
use bazi_analyzer_api::{
    BaziAnalyzerRequest, BaziAnalyzerResponse, HealthCheckRequest, HealthCheckResponse,
};
use bazi_rule_api::bazi_rule_service_client::BaziRuleServiceClient;
use bazi_rule_api::BaziRuleMatchRequest;
use hifate_sdk::{Identity, Peer, PeerError};
use serde::ser::SerializeMap as _;
use serde::Serialize;
use serde_json::value::RawValue;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

/// Name of the service under the supervisor.
pub const SERVICE_NAME: &str = "bazi_analyzer";
/// TCP port used when the binary runs without a supervisor.
pub const DEFAULT_PORT: u16 = 9003;
/// The rule type of the day pillar and gender.
const RIZHU_RULES: &str = "rizhu_gender";

/// How long a call to bazi_rule may take: well under the callers' own
/// timeout, so that a stuck bazi_rule still gives the documented degraded
/// answer (facts, `rules_error`) instead of the whole call timing out.
pub const RULES_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// How the analyzer reaches bazi_rule: through the supervisor's front port,
/// else the guide's port.
pub fn bazi_rule_peer() -> Peer {
    Peer::new("bazi_rule")
        .or_addr("127.0.0.1:9004")
        .request_timeout(RULES_TIMEOUT)
}

/// The `bazi.analyzer.BaziAnalyzerService` implementation.
#[derive(Debug, Clone)]
pub struct BaziAnalyzer {
    identity: Identity,
    rules: BaziRuleServiceClient<Channel>,
}

/// `rizhu_gender`: the facts, and the rules bazi_rule matched.
#[derive(Serialize)]
struct RizhuGender {
    #[serde(flatten)]
    facts: RizhuFacts,
    rules: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rules_error: Option<String>,
}

/// One analysis's result.
enum Outcome {
    Computed(Box<AnalysisResult>),
    Rizhu(Box<RizhuGender>),
}

impl Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Outcome::Computed(result) => result.serialize(serializer),
            Outcome::Rizhu(rizhu) => rizhu.serialize(serializer),
        }
    }
}

/// The results in the order asked.
struct Results(Vec<(AnalysisType, Outcome)>);

impl Serialize for Results {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (kind, outcome) in &self.0 {
            map.serialize_entry(kind.as_str(), outcome)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct Metadata<'a> {
    analysis_types: Vec<&'static str>,
    service: &'a str,
    service_version: u64,
}

impl BaziAnalyzer {
    /// An analyzer that calls bazi_rule through `rules` (connected on first use).
    pub fn connect_lazy(identity: Identity, rules: &Peer) -> Result<BaziAnalyzer, PeerError> {
        Ok(BaziAnalyzer {
            identity,
            rules: BaziRuleServiceClient::new(rules.connect_lazy()?),
        })
    }

    /// One `RunAnalyzers` call.
    pub async fn run(&self, request: &BaziAnalyzerRequest) -> Result<BaziAnalyzerResponse, Status> {
        let input = BirthInput::parse(&request.solar_date, &request.solar_time, &request.gender)
            .map_err(|e| hifate_sdk::invalid_argument(e.to_string()))?;
        let kinds = analysis_types(&request.analysis_types)?;
        let chart = bazi::chart(&input).map_err(|e| hifate_sdk::invalid_argument(e.to_string()))?;
        let mut results = Vec::with_capacity(kinds.len());
        for kind in &kinds {
            let outcome = match kind {
                AnalysisType::RizhuGender => {
                    let (rules, rules_error) = self.rizhu_rules(request).await;
                    Outcome::Rizhu(Box::new(RizhuGender {
                        facts: analysis::rizhu(&chart),
                        rules,
                        rules_error,
                    }))
                }
                other => Outcome::Computed(Box::new(analysis::run(&chart, *other))),
            };
            results.push((*kind, outcome));
        }
        let metadata = Metadata {
            analysis_types: kinds.iter().map(|k| k.as_str()).collect(),
            service: &self.identity.service,
            service_version: self.identity.version,
        };
        let encode =
            |e: serde_json::Error| Status::internal(format!("cannot encode the results: {e}"));
        Ok(BaziAnalyzerResponse {
            results_json: serde_json::to_string(&Results(results)).map_err(encode)?,
            metadata_json: serde_json::to_string(&metadata).map_err(encode)?,
        })
    }

    /// The `rizhu_gender` rules bazi_rule matches, or why there are none.
    async fn rizhu_rules(
        &self,
        request: &BaziAnalyzerRequest,
    ) -> (Option<Box<RawValue>>, Option<String>) {
        let call = BaziRuleMatchRequest {
            solar_date: request.solar_date.clone(),
            solar_time: request.solar_time.clone(),
            gender: request.gender.clone(),
            rule_types: vec![RIZHU_RULES.to_owned()],
            use_cache: true,
        };
        match self.rules.clone().match_rules(call).await {
            Ok(answer) => match RawValue::from_string(answer.into_inner().matched_json) {
                Ok(raw) => (Some(raw), None),
                Err(e) => (
                    None,
                    Some(format!(
                        "bazi_rule answered something that is not JSON: {e}"
                    )),
                ),
            },
            Err(status) => {
                tracing::warn!(code = ?status.code(), message = status.message(), "bazi_rule call failed");
                (
                    None,
                    Some(format!(
                        "bazi_rule: {:?}: {}",
                        status.code(),
                        status.message()
                    )),
                )
            }
        }
    }
}

/// The types asked for, in order, without repeats; none: every type.
fn analysis_types(asked: &[String]) -> Result<Vec<AnalysisType>, Status> {
    if asked.is_empty() {
        return Ok(AnalysisType::ALL.to_vec());
    }
    let mut kinds = Vec::new();
    for name in asked {
        let kind = AnalysisType::parse(name).ok_or_else(|| {
            let known: Vec<&str> = AnalysisType::ALL.iter().map(|k| k.as_str()).collect();
            let shown: String = name.chars().take(40).collect();
            hifate_sdk::invalid_argument(format!(
                "analysis_types: unknown type {shown:?}; known types: {}",
                known.join(", ")
            ))
        })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

#[tonic::async_trait]
impl BaziAnalyzerService for BaziAnalyzer {
    async fn run_analyzers(
        &self,
        request: Request<BaziAnalyzerRequest>,
    ) -> Result<Response<BaziAnalyzerResponse>, Status> {
        self.run(request.get_ref()).await.map(Response::new)
    }

    async fn health_check(
        &self,
        _request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        Ok(Response::new(HealthCheckResponse {
            status: "ok".to_owned(),
        }))
    }
}

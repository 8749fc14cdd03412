//! The `bazi_rule` service: rules in an embedded SQLite database
//! ([`bazi_rules::RuleStore`], in the service's data directory), matched
//! against a chart and its analyses over gRPC (`bazi.rule.BaziRuleService`,
//! see `services/bazi_rule/api/proto/bazi/rule/bazi_rule.proto`).
//!
//! Rules change live: every call reads the store's rule-set version (a
//! couple of microseconds) and recompiles the rules when it moved — whoever
//! changed them, this process, another version of the service running beside
//! it during a swap, or an administrator. `metadata_json` names the version
//! a match used.
//!
//! `MatchRules` answers:
//! * `matched_json`: `[{code, name, rule_type, priority, content}]`, highest
//!   priority first;
//! * `unmatched_json`: the codes of the other rules of the types asked for;
//! * `context_json`: the facts the rules saw beyond the chart:
//!   `{day_pillar, gender, season, strength, favourable, unfavourable}`;
//! * `metadata_json`: `{rule_set_version, cache_hit, rules, skipped, service,
//!   service_version}`.
//!
//! Bad input is `INVALID_ARGUMENT` naming the field (`solar_date`, …,
//! `rule_types`, `conditions` with the path of the bad node); an unknown
//! code is `NOT_FOUND`, a taken one `ALREADY_EXISTS`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use bazi::analysis::StrengthLevel;
use bazi::ganzhi::Element;
use bazi::{BirthInput, Chart};
use bazi_rule_api::bazi_rule_service_server::BaziRuleService;
use bazi_rule_api::{
    BaziRuleMatchRequest, BaziRuleMatchResponse, DeleteRuleRequest, GetRuleRequest,
    HealthCheckRequest, HealthCheckResponse, ListRulesRequest, ListRulesResponse, PutRuleRequest,
    Rule, RuleChange, RuleTypeCount, RuleTypesRequest, RuleTypesResponse,
};
use bazi_rules::{Facts, NewRule, RuleSet, RuleStore, RuleUpdate, StoreError};
use hifate_sdk::Identity;
use serde::Serialize;
use tonic::{Request, Response, Status};

/// Name of the service under the supervisor.
pub const SERVICE_NAME: &str = "bazi_rule";
/// TCP port used when the binary runs without a supervisor.
pub const DEFAULT_PORT: u16 = 9004;
/// The database file in the data directory.
pub const DATABASE_FILE: &str = "rules.sqlite3";
/// Answers kept for `use_cache` (cleared when full; the rule-set version is
/// part of the key, so an answer of an older rule set is never used).
const CACHE_ENTRIES: usize = 4096;

/// The `bazi.rule.BaziRuleService` implementation.
#[derive(Clone)]
pub struct BaziRule {
    identity: Identity,
    store: Arc<RuleStore>,
    rules: Arc<Mutex<Arc<Loaded>>>,
    cache: Arc<Mutex<HashMap<CacheKey, Arc<BaziRuleMatchResponse>>>>,
}

/// The compiled rules of one rule-set version, and every rule type the
/// store knows (a type whose rules are all disabled is still a type: asking
/// for it matches nothing rather than being refused).
struct Loaded {
    rules: RuleSet,
    types: Vec<String>,
}

impl Loaded {
    fn from_store(store: &RuleStore) -> Result<Loaded, StoreError> {
        let rules = store.load_rule_set()?;
        let mut types: Vec<String> = store.types()?.into_iter().map(|t| t.rule_type).collect();
        types.sort_unstable();
        for skipped in rules.skipped() {
            tracing::warn!(code = %skipped.code, reason = %skipped.reason, "stored rule skipped");
        }
        Ok(Loaded { rules, types })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    solar_date: String,
    solar_time: String,
    gender: String,
    types: Vec<String>,
    version: u64,
}

/// The facts the rules saw beyond the chart (`context_json`).
#[derive(Debug, Serialize)]
struct Context {
    day_pillar: String,
    gender: &'static str,
    season: &'static str,
    strength: StrengthLevel,
    favourable: Vec<Element>,
    unfavourable: Vec<Element>,
}

#[derive(Serialize)]
struct Matched<'a> {
    code: &'a str,
    name: &'a str,
    rule_type: &'a str,
    priority: i64,
    content: &'a serde_json::Value,
}

#[derive(Serialize)]
struct Metadata<'a> {
    rule_set_version: u64,
    cache_hit: bool,
    rules: usize,
    skipped: usize,
    service: &'a str,
    service_version: u64,
}

impl BaziRule {
    /// Opens (or creates, with the project's corpus) the rules database in
    /// `data_dir`.
    pub fn open(data_dir: &Path, identity: Identity) -> Result<BaziRule, StoreError> {
        let store = RuleStore::open(data_dir.join(DATABASE_FILE))?;
        let rules = Loaded::from_store(&store)?;
        Ok(BaziRule {
            identity,
            store: Arc::new(store),
            rules: Arc::new(Mutex::new(Arc::new(rules))),
            cache: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// The compiled rules of the store's current version (recompiled when
    /// any process changed them since the last call).
    fn current_rules(&self) -> Result<Arc<Loaded>, Status> {
        let version = self.store.version().map_err(store_status)?;
        let mut loaded = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        if loaded.rules.version() != version {
            *loaded = Arc::new(Loaded::from_store(&self.store).map_err(store_status)?);
            tracing::info!(
                version = loaded.rules.version(),
                rules = loaded.rules.len(),
                "rule set reloaded"
            );
        }
        Ok(loaded.clone())
    }

    /// One `MatchRules` call.
    pub fn match_rules(
        &self,
        request: &BaziRuleMatchRequest,
    ) -> Result<BaziRuleMatchResponse, Status> {
        let input = BirthInput::parse(&request.solar_date, &request.solar_time, &request.gender)
            .map_err(|e| hifate_sdk::invalid_argument(e.to_string()))?;
        let loaded = self.current_rules()?;
        let rules = &loaded.rules;
        let mut types: Vec<String> = request
            .rule_types
            .iter()
            .map(|t| t.trim().to_owned())
            .collect();
        types.sort_unstable();
        types.dedup();
        if let Some(unknown) = types
            .iter()
            .find(|t| loaded.types.binary_search(t).is_err())
        {
            let shown: String = unknown.chars().take(40).collect();
            return Err(hifate_sdk::invalid_argument(format!(
                "rule_types: unknown type {shown:?}; known types: {}",
                loaded.types.join(", ")
            )));
        }
        let key = CacheKey {
            solar_date: request.solar_date.clone(),
            solar_time: request.solar_time.clone(),
            gender: request.gender.clone(),
            types: types.clone(),
            version: rules.version(),
        };
        if request.use_cache {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(hit) = cache.get(&key) {
                let mut answer = (**hit).clone();
                answer.metadata_json = self.metadata(rules, true)?;
                return Ok(answer);
            }
        }
        let chart = bazi::chart(&input).map_err(|e| hifate_sdk::invalid_argument(e.to_string()))?;
        let context = analysis_context(&chart);
        let facts = Facts::with_analysis(
            &chart,
            Some(context.strength),
            &context.favourable,
            &context.unfavourable,
        );
        let type_refs: Vec<&str> = types.iter().map(String::as_str).collect();
        let (matched, unmatched) = rules.matches(&facts, &type_refs);
        let matched: Vec<Matched<'_>> = matched
            .iter()
            .map(|r| Matched {
                code: r.code(),
                name: r.name(),
                rule_type: r.rule_type(),
                priority: r.priority(),
                content: r.content(),
            })
            .collect();
        let unmatched: Vec<&str> = unmatched.iter().map(|r| r.code()).collect();
        let answer = BaziRuleMatchResponse {
            matched_json: encode(&matched)?,
            unmatched_json: encode(&unmatched)?,
            context_json: encode(&context)?,
            metadata_json: self.metadata(rules, false)?,
        };
        if request.use_cache {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(key, Arc::new(answer.clone()));
        }
        Ok(answer)
    }

    fn metadata(&self, rules: &RuleSet, cache_hit: bool) -> Result<String, Status> {
        encode(&Metadata {
            rule_set_version: rules.version(),
            cache_hit,
            rules: rules.len(),
            skipped: rules.skipped().len(),
            service: &self.identity.service,
            service_version: self.identity.version,
        })
    }

    /// Runs a store operation off the async threads (SQLite may wait for
    /// another process's write up to its busy timeout).
    async fn blocking<T: Send + 'static>(
        &self,
        operation: impl FnOnce(&RuleStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, Status> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || operation(&store))
            .await
            .map_err(|e| Status::internal(format!("the store task failed: {e}")))?
            .map_err(store_status)
    }

    fn change(&self, rule: Option<bazi_rules::Rule>) -> Result<RuleChange, Status> {
        Ok(RuleChange {
            rule: rule.map(to_proto),
            rule_set_version: self.store.version().map_err(store_status)?,
        })
    }
}

/// The chart's analysis facts the rules may test: the day master's strength
/// and the favourable and unfavourable elements.
fn analysis_context(chart: &Chart) -> Context {
    let strength = bazi::analysis::wangshuai(chart);
    let elements = bazi::analysis::xishen_jishen_from(chart, &strength);
    Context {
        day_pillar: chart.bazi_pillars.day.to_string(),
        gender: chart.basic_info.gender.as_str(),
        season: bazi_rules::Season::of_month_branch(chart.bazi_pillars.month.branch).as_str(),
        strength: strength.level,
        favourable: elements.favourable_elements().collect(),
        unfavourable: elements.unfavourable_elements().collect(),
    }
}

fn encode<T: Serialize>(value: &T) -> Result<String, Status> {
    serde_json::to_string(value)
        .map_err(|e| Status::internal(format!("cannot encode the answer: {e}")))
}

/// A store failure as the status a caller can act on.
fn store_status(error: StoreError) -> Status {
    match error {
        StoreError::Duplicate { .. } => Status::already_exists(error.to_string()),
        StoreError::NotFound { .. } => Status::not_found(error.to_string()),
        StoreError::InvalidConditions { source, .. } => {
            hifate_sdk::invalid_argument(format!("conditions: {source}"))
        }
        StoreError::InvalidField { field, message, .. } => {
            let field = if field == "type" { "rule_type" } else { field };
            hifate_sdk::invalid_argument(format!("{field}: {message}"))
        }
        // A stored row that is not what this version can read: not
        // something a retry fixes.
        StoreError::CorruptJson { .. } => {
            tracing::error!(error = %error, "rule store holds a row this version cannot read");
            Status::data_loss(error.to_string())
        }
        other => {
            tracing::error!(error = %other, "rule store failed");
            Status::unavailable(format!("the rule store failed: {other}"))
        }
    }
}

fn to_proto(rule: bazi_rules::Rule) -> Rule {
    Rule {
        code: rule.code,
        name: rule.name,
        rule_type: rule.rule_type,
        conditions_json: rule.conditions.to_string(),
        content_json: rule.content.to_string(),
        priority: i32::try_from(rule.priority).unwrap_or(if rule.priority < 0 {
            i32::MIN
        } else {
            i32::MAX
        }),
        enabled: rule.enabled,
        created_at: rule.created_at,
        updated_at: rule.updated_at,
    }
}

/// A rule of a create or update request, with its JSON parsed.
fn from_proto(request: PutRuleRequest) -> Result<NewRule, Status> {
    let rule = request
        .rule
        .ok_or_else(|| hifate_sdk::invalid_argument("rule: is missing"))?;
    let json = |field: &str, text: &str| {
        serde_json::from_str(text)
            .map_err(|e| hifate_sdk::invalid_argument(format!("{field}: is not JSON ({e})")))
    };
    Ok(NewRule {
        conditions: json("conditions", &rule.conditions_json)?,
        content: json("content", &rule.content_json)?,
        code: rule.code,
        name: rule.name,
        rule_type: rule.rule_type,
        priority: i64::from(rule.priority),
        enabled: rule.enabled,
    })
}

#[tonic::async_trait]
impl BaziRuleService for BaziRule {
    async fn match_rules(
        &self,
        request: Request<BaziRuleMatchRequest>,
    ) -> Result<Response<BaziRuleMatchResponse>, Status> {
        // SQLite may wait for another process's write (up to its busy
        // timeout): never on the async threads, which also answer health.
        let this = self.clone();
        let request = request.into_inner();
        tokio::task::spawn_blocking(move || this.match_rules(&request))
            .await
            .map_err(|e| Status::internal(format!("the match task failed: {e}")))?
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
        let (rules, version) = self
            .blocking(move |store| {
                let kind = Some(request.rule_type.as_str()).filter(|t| !t.is_empty());
                let rules = store.list(kind, !request.include_disabled)?;
                Ok((rules, store.version()?))
            })
            .await?;
        Ok(Response::new(ListRulesResponse {
            rules: rules.into_iter().map(to_proto).collect(),
            rule_set_version: version,
        }))
    }

    async fn get_rule(&self, request: Request<GetRuleRequest>) -> Result<Response<Rule>, Status> {
        let code = request.into_inner().code;
        let found = {
            let code = code.clone();
            self.blocking(move |store| store.get(&code)).await?
        };
        found
            .map(|rule| Response::new(to_proto(rule)))
            .ok_or_else(|| Status::not_found(format!("no rule {code:?}")))
    }

    async fn create_rule(
        &self,
        request: Request<PutRuleRequest>,
    ) -> Result<Response<RuleChange>, Status> {
        let rule = from_proto(request.into_inner())?;
        let created = self.blocking(move |store| store.create(&rule)).await?;
        self.change(Some(created)).map(Response::new)
    }

    async fn update_rule(
        &self,
        request: Request<PutRuleRequest>,
    ) -> Result<Response<RuleChange>, Status> {
        let rule = from_proto(request.into_inner())?;
        let updated = self
            .blocking(move |store| {
                let change = RuleUpdate {
                    name: Some(rule.name),
                    rule_type: Some(rule.rule_type),
                    conditions: Some(rule.conditions),
                    content: Some(rule.content),
                    priority: Some(rule.priority),
                    enabled: Some(rule.enabled),
                };
                store.update(&rule.code, &change)
            })
            .await?;
        self.change(Some(updated)).map(Response::new)
    }

    async fn delete_rule(
        &self,
        request: Request<DeleteRuleRequest>,
    ) -> Result<Response<RuleChange>, Status> {
        let code = request.into_inner().code;
        self.blocking(move |store| store.delete(&code)).await?;
        self.change(None).map(Response::new)
    }

    async fn rule_types(
        &self,
        _request: Request<RuleTypesRequest>,
    ) -> Result<Response<RuleTypesResponse>, Status> {
        let (types, version) = self
            .blocking(|store| Ok((store.types()?, store.version()?)))
            .await?;
        Ok(Response::new(RuleTypesResponse {
            types: types
                .into_iter()
                .map(|t| RuleTypeCount {
                    enabled: u32::try_from(t.enabled).unwrap_or(u32::MAX),
                    disabled: u32::try_from(t.total - t.enabled).unwrap_or(u32::MAX),
                    rule_type: t.rule_type,
                })
                .collect(),
            rule_set_version: version,
        }))
    }
}

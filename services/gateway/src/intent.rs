//! The question endpoints: `/api/v1/intent/classify` and
//! `/api/v1/smart-fortune/test-intent` (intent_service), and
//! `/api/v1/smart-fortune/smart-analyze`, which classifies a question and
//! answers it with the chart (bazi_core), the rules of the intents' rule
//! types (bazi_rule) and the luck pillars and years the question's time
//! names (bazi_fortune): one answer from four services.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use bazi_fortune_api::BaziFortuneRequest;
use bazi_rule_api::BaziRuleMatchRequest;
use intent_service_api::{ClassifyRequest, ClassifyResponse};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::chart::{chart_data, chart_of, fortune_of};
use crate::request::{birth_params, parse_classify_request, required_param, QUESTION};
use crate::{
    raw_json, success_of, upstream_version, with_versions, Answer, ApiError, AppState,
    BAZI_CORE_VERSION_HEADER, BAZI_FORTUNE, BAZI_FORTUNE_VERSION_HEADER, BAZI_RULE,
    BAZI_RULE_VERSION_HEADER, INTENT_SERVICE, INTENT_SERVICE_VERSION_HEADER,
};

/// `current_date` of smart-analyze: the day time phrases are resolved
/// against, and the fortune's "now".
const CURRENT_DATE: &str = "current_date";

/// How intent_service names a bad `current_date`: by its path in the
/// gRPC request, which is not a plain field name.
const SERVICE_DATE_FIELD: &str = "context.current_date";

/// A bad date as the query endpoints name it: intent_service names it by
/// its place in the gRPC request (`context.current_date`), the caller of
/// `?current_date=` knows no `context`.
fn named_as_query(error: ApiError) -> ApiError {
    match error {
        ApiError::Invalid {
            field: Some(field),
            message,
        } if field == SERVICE_DATE_FIELD => ApiError::Invalid {
            field: Some(CURRENT_DATE.to_owned()),
            message: message.replacen(SERVICE_DATE_FIELD, CURRENT_DATE, 1),
        },
        other => other,
    }
}

/// A classification as JSON (the proto's fields, by name).
#[derive(Debug, Serialize)]
struct Classification {
    intents: Vec<String>,
    confidence: f32,
    rule_types: Vec<String>,
    keywords: Vec<String>,
    reasoning: String,
    is_ambiguous: bool,
    prompt_version: String,
    response_time_ms: i64,
    time_intent: Option<TimeIntent>,
    is_fortune_related: bool,
    reject_message: String,
    cached: bool,
}

#[derive(Debug, Serialize)]
struct TimeIntent {
    r#type: String,
    target_years: Vec<i32>,
    description: String,
    is_explicit: bool,
}

impl From<ClassifyResponse> for Classification {
    fn from(r: ClassifyResponse) -> Self {
        Classification {
            intents: r.intents,
            confidence: r.confidence,
            rule_types: r.rule_types,
            keywords: r.keywords,
            reasoning: r.reasoning,
            is_ambiguous: r.is_ambiguous,
            prompt_version: r.prompt_version,
            response_time_ms: r.response_time_ms,
            time_intent: r.time_intent.map(|t| TimeIntent {
                r#type: t.r#type,
                target_years: t.target_years,
                description: t.description,
                is_explicit: t.is_explicit,
            }),
            is_fortune_related: r.is_fortune_related,
            reject_message: r.reject_message,
            cached: r.cached,
        }
    }
}

/// The query string as a map, or a 400 naming what is wrong with it.
fn params(
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<HashMap<String, String>, ApiError> {
    query.map(|Query(params)| params).map_err(|rejection| {
        ApiError::BadRequest(format!("the query string is unreadable: {rejection}"))
    })
}

async fn classify_with(
    state: &AppState,
    request: ClassifyRequest,
) -> (Result<ClassifyResponse, ApiError>, Option<HeaderValue>) {
    match state.intent.clone().classify(request).await {
        Ok(answer) => (
            Ok(answer.get_ref().clone()),
            upstream_version(answer.metadata()),
        ),
        Err(status) => (
            Err(ApiError::from_status(INTENT_SERVICE, &status)),
            upstream_version(status.metadata()),
        ),
    }
}

fn classification_response(
    answer: Result<ClassifyResponse, ApiError>,
    version: Option<HeaderValue>,
) -> Response {
    let response = match answer {
        Ok(answer) => success_of(INTENT_SERVICE, &Classification::from(answer)),
        Err(error) => error.logged().into_response(),
    };
    with_versions(response, [(INTENT_SERVICE_VERSION_HEADER, version)])
}

/// `POST /api/v1/intent/classify`.
pub(crate) async fn classify(State(state): State<AppState>, body: Bytes) -> Response {
    let request = match parse_classify_request(&body) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let (answer, version) = classify_with(&state, request).await;
    classification_response(answer, version)
}

/// `GET /api/v1/smart-fortune/test-intent?question=…`.
pub(crate) async fn test_intent(
    State(state): State<AppState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let request = params(query).and_then(|params| {
        Ok(ClassifyRequest {
            question: required_param(&params, QUESTION)?,
            context: context_of(&params),
            ..ClassifyRequest::default()
        })
    });
    let request = match request {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let (answer, version) = classify_with(&state, request).await;
    let answer = answer.map_err(named_as_query);
    classification_response(answer, version)
}

fn context_of(params: &HashMap<String, String>) -> HashMap<String, String> {
    params
        .get(CURRENT_DATE)
        .map(|date| HashMap::from([(CURRENT_DATE.to_owned(), date.clone())]))
        .unwrap_or_default()
}

/// `data` of smart-analyze.
#[derive(Serialize)]
struct SmartAnswer {
    question: String,
    intent: Classification,
    /// The chart (bazi_core), absent for a question that is not about fortune.
    chart: Option<Box<RawValue>>,
    /// The rules matched for the intents' rule types (bazi_rule).
    rules: Option<Box<RawValue>>,
    /// The luck pillars and years the time intent names (bazi_fortune).
    fortune: Option<Value>,
}

/// `GET /api/v1/smart-fortune/smart-analyze?question=&solar_date=&solar_time=&gender=[&current_date=]`.
pub(crate) async fn smart_analyze(
    State(state): State<AppState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let parsed = params(query).and_then(|params| {
        let question = required_param(&params, QUESTION)?;
        let birth = birth_params(&params)?;
        Ok((question, birth, params))
    });
    let (question, birth, params) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => return error.into_response(),
    };
    let classify = ClassifyRequest {
        question: question.clone(),
        context: context_of(&params),
        ..ClassifyRequest::default()
    };
    let (classification, intent_version) = classify_with(&state, classify).await;
    let classification = match classification.map_err(named_as_query) {
        Ok(classification) => classification,
        Err(error) => {
            return with_versions(
                error.logged().into_response(),
                [(INTENT_SERVICE_VERSION_HEADER, intent_version)],
            )
        }
    };
    if !classification.is_fortune_related {
        let answer = SmartAnswer {
            question,
            intent: classification.into(),
            chart: None,
            rules: None,
            fortune: None,
        };
        return with_versions(
            success_of(INTENT_SERVICE, &answer),
            [(INTENT_SERVICE_VERSION_HEADER, intent_version)],
        );
    }
    let rules_request = BaziRuleMatchRequest {
        solar_date: birth.solar_date.clone(),
        solar_time: birth.solar_time.clone(),
        gender: birth.gender.clone(),
        rule_types: classification.rule_types.clone(),
        use_cache: true,
    };
    let fortune_request = BaziFortuneRequest {
        solar_date: birth.solar_date.clone(),
        solar_time: birth.solar_time.clone(),
        gender: birth.gender.clone(),
        current_time: params.get(CURRENT_DATE).cloned().unwrap_or_default(),
    };
    let (chart, rules, fortune) = tokio::join!(
        chart_of(&state, birth),
        rules_of(&state, rules_request),
        fortune_of(&state, fortune_request),
    );
    let named = classification
        .time_intent
        .as_ref()
        .map(|t| t.target_years.clone())
        .unwrap_or_default();
    let target_years = if named.is_empty() {
        vec![current_year(params.get(CURRENT_DATE))]
    } else {
        named
    };
    let parts = (|| {
        let chart_text = chart.body.clone()?;
        let rules_text = rules.body.clone()?;
        let fortune_text = fortune.body.clone()?;
        let chart = RawValue::from_string(chart_data(&chart_text)?.get().to_owned())
            .map_err(|e| ApiError::upstream(crate::BAZI_CORE, e.to_string()))?;
        let rules = raw_json(BAZI_RULE, "matched_json", rules_text)?;
        let fortune = years_named(&fortune_text, &target_years)?;
        Ok::<_, ApiError>((chart, rules, fortune))
    })();
    let response = match parts {
        Ok((chart, rules, fortune)) => success_of(
            INTENT_SERVICE,
            &SmartAnswer {
                question,
                intent: classification.into(),
                chart: Some(chart),
                rules: Some(rules),
                fortune: Some(fortune),
            },
        ),
        Err(error) => error.logged().into_response(),
    };
    with_versions(
        response,
        [
            (INTENT_SERVICE_VERSION_HEADER, intent_version),
            (BAZI_CORE_VERSION_HEADER, chart.version),
            (BAZI_RULE_VERSION_HEADER, rules.version),
            (BAZI_FORTUNE_VERSION_HEADER, fortune.version),
        ],
    )
}

/// bazi_rule's matched rules (`matched_json`).
async fn rules_of(state: &AppState, request: BaziRuleMatchRequest) -> Answer {
    match state.bazi_rule.clone().match_rules(request).await {
        Ok(answer) => Answer {
            version: upstream_version(answer.metadata()),
            body: Ok(answer.into_inner().matched_json),
        },
        Err(status) => Answer {
            version: upstream_version(status.metadata()),
            body: Err(ApiError::from_status(BAZI_RULE, &status)),
        },
    }
}

/// The year of `current_date` (validated by bazi_fortune, which was given
/// the same text), else this year in Beijing: what a question that names no
/// time is about.
fn current_year(current_date: Option<&String>) -> i32 {
    current_date
        .and_then(|date| date.get(..4))
        .and_then(|year| year.parse().ok())
        .unwrap_or_else(|| (time::OffsetDateTime::now_utc() + time::Duration::hours(8)).year())
}

/// The luck pillars (大运) covering `years` and those years (流年), from
/// bazi_fortune's `detail_json`.
fn years_named(detail: &str, years: &[i32]) -> Result<Value, ApiError> {
    let detail: Value = serde_json::from_str(detail).map_err(|error| {
        ApiError::upstream(
            BAZI_FORTUNE,
            format!("its answer is not a fortune ({error})"),
        )
    })?;
    let field = |name: &str| {
        detail
            .get(name)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let year_of = |item: &Value, key: &str| item.get(key).and_then(Value::as_i64);
    let liunian: Vec<Value> = field("liunian_sequence")
        .into_iter()
        .filter(|y| {
            year_of(y, "year").is_some_and(|year| years.iter().any(|&t| i64::from(t) == year))
        })
        .collect();
    let dayun: Vec<Value> = field("dayun_sequence")
        .into_iter()
        .filter(|d| {
            let (Some(start), Some(end)) = (year_of(d, "start_year"), year_of(d, "end_year"))
            else {
                return false;
            };
            years.iter().any(|&t| (start..=end).contains(&i64::from(t)))
        })
        .collect();
    Ok(serde_json::json!({
        "target_years": years,
        "dayun": dayun,
        "liunian": liunian,
        "dayun_info": detail.get("dayun_info").cloned().unwrap_or(Value::Null),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_years_named_select_their_luck_pillars_and_years() {
        let detail = r#"{"dayun_info":{"direction":"forward"},
            "dayun_sequence":[{"index":1,"start_year":2016,"end_year":2025},{"index":2,"start_year":2026,"end_year":2035}],
            "liunian_sequence":[{"year":2025},{"year":2026},{"year":2027}]}"#;
        let picked = years_named(detail, &[2025, 2026]).expect("a fortune");
        let indexes: Vec<i64> = picked["dayun"]
            .as_array()
            .expect("dayun")
            .iter()
            .filter_map(|d| d["index"].as_i64())
            .collect();
        assert_eq!(indexes, [1, 2]);
        let years: Vec<i64> = picked["liunian"]
            .as_array()
            .expect("liunian")
            .iter()
            .filter_map(|y| y["year"].as_i64())
            .collect();
        assert_eq!(years, [2025, 2026]);
        assert!(years_named("[", &[]).is_err());
    }
}

//! Request bodies: their shape is checked here (a JSON object with string
//! fields); their values are passed on as given, and the services validate
//! them.

use bazi_analyzer_api::BaziAnalyzerRequest;
use bazi_core_api::BaziCoreRequest;
use bazi_fortune_api::BaziFortuneRequest;
use bazi_rule_api::{BaziRuleMatchRequest, Rule};
use intent_service_api::ClassifyRequest;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// The birth fields every endpoint takes, in the order they are checked.
const BIRTH_FIELDS: [(&str, &str); 3] = [
    ("solar_date", "a date string like \"1990-01-15\""),
    ("solar_time", "a time string like \"12:00\""),
    ("gender", "\"male\" or \"female\""),
];

/// `current_time` of `/detail`: optional.
const CURRENT_TIME: (&str, &str) = (
    "current_time",
    "an ISO 8601 date or date-time string like \"2024-05-01T08:30:00\"",
);

/// The body of `/detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailRequest {
    pub solar_date: String,
    pub solar_time: String,
    pub gender: String,
    /// Empty: now.
    pub current_time: String,
}

impl DetailRequest {
    /// The `bazi_core` request for the chart part.
    pub fn chart(&self) -> BaziCoreRequest {
        BaziCoreRequest {
            solar_date: self.solar_date.clone(),
            solar_time: self.solar_time.clone(),
            gender: self.gender.clone(),
        }
    }

    /// The `bazi_fortune` request for the fortune part.
    pub fn fortune(&self) -> BaziFortuneRequest {
        BaziFortuneRequest {
            solar_date: self.solar_date.clone(),
            solar_time: self.solar_time.clone(),
            gender: self.gender.clone(),
            current_time: self.current_time.clone(),
        }
    }
}

/// The body of `/calculate`.
pub fn parse_chart_request(body: &[u8]) -> Result<BaziCoreRequest, ApiError> {
    let object = object(body)?;
    let [date, time, gender] = BIRTH_FIELDS.map(|f| required(&object, f));
    Ok(BaziCoreRequest {
        solar_date: date?,
        solar_time: time?,
        gender: gender?,
    })
}

/// The body of `/detail`.
pub fn parse_detail_request(body: &[u8]) -> Result<DetailRequest, ApiError> {
    let object = object(body)?;
    let [date, time, gender] = BIRTH_FIELDS.map(|f| required(&object, f));
    Ok(DetailRequest {
        solar_date: date?,
        solar_time: time?,
        gender: gender?,
        current_time: optional(&object, CURRENT_TIME)?.unwrap_or_default(),
    })
}

/// The body of `/rules/match`: birth fields, `rule_types` (optional list of
/// strings), `use_cache` (optional boolean).
pub fn parse_match_request(body: &[u8]) -> Result<BaziRuleMatchRequest, ApiError> {
    let object = object(body)?;
    let [date, time, gender] = BIRTH_FIELDS.map(|f| required(&object, f));
    Ok(BaziRuleMatchRequest {
        solar_date: date?,
        solar_time: time?,
        gender: gender?,
        rule_types: strings(&object, "rule_types")?,
        use_cache: flag(&object, "use_cache")?.unwrap_or(false),
    })
}

/// The body of `/analyze` (and `/wangshuai`, which ignores `analysis_types`):
/// birth fields, `analysis_types` (optional list of strings).
pub fn parse_analyze_request(body: &[u8]) -> Result<BaziAnalyzerRequest, ApiError> {
    let object = object(body)?;
    let [date, time, gender] = BIRTH_FIELDS.map(|f| required(&object, f));
    Ok(BaziAnalyzerRequest {
        solar_date: date?,
        solar_time: time?,
        gender: gender?,
        analysis_types: strings(&object, "analysis_types")?,
    })
}

/// The body of `/api/v1/intent/classify`: `question` (string), and optional
/// `user_id`, `prompt_version` (strings), `use_cache` (boolean), `context`
/// (an object of strings; `current_date` resolves time phrases).
pub fn parse_classify_request(body: &[u8]) -> Result<ClassifyRequest, ApiError> {
    let object = object_of(
        body,
        "expected a JSON object with a string field question (and optional user_id, context, use_cache, prompt_version)",
    )?;
    let context = match object.get("context") {
        None | Some(Value::Null) => Default::default(),
        Some(Value::Object(entries)) => entries
            .iter()
            .map(|(key, value)| match value {
                Value::String(s) => Ok((key.clone(), s.clone())),
                other => Err(invalid(
                    "context",
                    format!(
                        "context: {key} is a JSON {}; expected a string",
                        kind(other)
                    ),
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => Err(invalid(
            "context",
            format!(
                "context: is a JSON {}; expected an object of strings",
                kind(other)
            ),
        ))?,
    };
    Ok(ClassifyRequest {
        question: required(&object, QUESTION)?,
        user_id: optional(&object, ("user_id", "a string"))?.unwrap_or_default(),
        context,
        use_cache: flag(&object, "use_cache")?.unwrap_or(false),
        prompt_version: optional(&object, ("prompt_version", "a version like \"v2\""))?
            .unwrap_or_default(),
    })
}

/// `question` of the intent endpoints.
pub(crate) const QUESTION: (&str, &str) = ("question", "the question as a string");

/// A query parameter that must be present (`?question=…`).
pub(crate) fn required_param(
    params: &std::collections::HashMap<String, String>,
    (name, expected): (&str, &str),
) -> Result<String, ApiError> {
    params
        .get(name)
        .cloned()
        .ok_or_else(|| invalid(name, format!("{name}: is missing; expected {expected}")))
}

/// The birth query parameters (`?solar_date=&solar_time=&gender=`).
pub(crate) fn birth_params(
    params: &std::collections::HashMap<String, String>,
) -> Result<BaziCoreRequest, ApiError> {
    let [date, time, gender] = BIRTH_FIELDS.map(|f| required_param(params, f));
    Ok(BaziCoreRequest {
        solar_date: date?,
        solar_time: time?,
        gender: gender?,
    })
}

/// A rule of the administration API: `code`, `name`, `rule_type` (strings),
/// `conditions` and `content` (JSON values), `priority` (integer, default
/// 0), `enabled` (boolean, default true). With `path_code` (PUT), the body's
/// `code` may be left out, and must match if given.
pub fn parse_rule(body: &[u8], path_code: Option<&str>) -> Result<Rule, ApiError> {
    let object = object_of(
        body,
        "expected a JSON object with code, name, rule_type, conditions and content",
    )?;
    let code = match (optional(&object, ("code", "a string"))?, path_code) {
        (Some(code), Some(path)) if code != path => {
            return Err(invalid(
                "code",
                format!("code: {code:?} differs from the code in the path ({path:?})"),
            ))
        }
        (_, Some(path)) => path.to_owned(),
        (Some(code), None) => code,
        (None, None) => {
            return Err(invalid(
                "code",
                "code: is missing; expected a string".into(),
            ))
        }
    };
    let json = |name: &str| match object.get(name) {
        Some(value) => Ok(value.to_string()),
        None => Err(invalid(
            name,
            format!("{name}: is missing; expected a JSON value"),
        )),
    };
    let priority = match object.get("priority") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| invalid("priority", format!("priority: {n} is not a 32-bit integer")))?,
        Some(other) => {
            return Err(invalid(
                "priority",
                format!("priority: is a JSON {}; expected an integer", kind(other)),
            ))
        }
    };
    Ok(Rule {
        code,
        name: required(&object, ("name", "a string"))?,
        rule_type: required(&object, ("rule_type", "a string like \"rizhu_gender\""))?,
        conditions_json: json("conditions")?,
        content_json: json("content")?,
        priority,
        enabled: flag(&object, "enabled")?.unwrap_or(true),
        created_at: String::new(),
        updated_at: String::new(),
    })
}

/// `field` is wrong: `message` is `"<field>: <reason>"`.
pub(crate) fn invalid(field: &str, message: String) -> ApiError {
    ApiError::Invalid {
        field: Some(field.to_owned()),
        message,
    }
}

/// An optional list of strings (absent or null: empty).
fn strings(object: &Map<String, Value>, name: &str) -> Result<Vec<String>, ApiError> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(invalid(
                    name,
                    format!(
                        "{name}: item {i} is a JSON {}; expected a string",
                        kind(other)
                    ),
                )),
            })
            .collect(),
        Some(other) => Err(invalid(
            name,
            format!(
                "{name}: is a JSON {}; expected a list of strings",
                kind(other)
            ),
        )),
    }
}

/// An optional boolean.
fn flag(object: &Map<String, Value>, name: &str) -> Result<Option<bool>, ApiError> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(invalid(
            name,
            format!("{name}: is a JSON {}; expected true or false", kind(other)),
        )),
    }
}

const EXPECTED: &str =
    "expected a JSON object with string fields solar_date, solar_time and gender";

fn object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    object_of(body, EXPECTED)
}

pub(crate) fn object_of(body: &[u8], expected: &str) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(format!(
            "request body is empty; {expected}"
        )));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::BadRequest(format!("request body is not valid JSON ({e}); {expected}"))
    })?;
    match value {
        Value::Object(object) => Ok(object),
        other => Err(ApiError::BadRequest(format!(
            "request body is a JSON {}, not an object; {expected}",
            kind(&other)
        ))),
    }
}

pub(crate) fn required(
    object: &Map<String, Value>,
    field: (&str, &str),
) -> Result<String, ApiError> {
    let (name, expected) = field;
    optional(object, field)?
        .ok_or_else(|| invalid(name, format!("{name}: is missing; expected {expected}")))
}

/// A string field, or `None` when absent or null.
pub(crate) fn optional(
    object: &Map<String, Value>,
    (name, expected): (&str, &str),
) -> Result<Option<String>, ApiError> {
    match object.get(name) {
        Some(Value::String(s)) => Ok(Some(s.clone())),
        None | Some(Value::Null) => Ok(None),
        Some(other) => Err(invalid(
            name,
            format!("{name}: is a JSON {}; expected {expected}", kind(other)),
        )),
    }
}

/// JSON type name of a value, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn request_shape_errors() {
        let ok = parse_chart_request(
            br#"{"solar_date":"1990-01-15","solar_time":"12:00","gender":"male","x":1}"#,
        )
        .expect("valid shape");
        assert_eq!(ok.solar_date, "1990-01-15");
        assert_eq!(ok.solar_time, "12:00");
        assert_eq!(ok.gender, "male");

        for body in [&b""[..], b"  ", b"not json", b"[1,2]", b"\"x\""] {
            let error = parse_chart_request(body).expect_err("bad body");
            assert_eq!(error.status(), StatusCode::BAD_REQUEST, "{error}");
        }

        let error = parse_chart_request(br#"{"solar_date":"1990-01-15","gender":"male"}"#)
            .expect_err("missing time");
        assert_eq!(
            error,
            ApiError::Invalid {
                field: Some("solar_time".to_owned()),
                message: "solar_time: is missing; expected a time string like \"12:00\"".to_owned(),
            }
        );
        let error =
            parse_chart_request(br#"{"solar_date":19900115,"solar_time":"12:00","gender":"male"}"#)
                .expect_err("number date");
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            error
                .to_string()
                .starts_with("solar_date: is a JSON number"),
            "{error}"
        );
    }

    #[test]
    fn current_time_is_optional_but_must_be_a_string() {
        let body = br#"{"solar_date":"1990-01-15","solar_time":"12:00","gender":"male"}"#;
        assert_eq!(parse_detail_request(body).expect("valid").current_time, "");
        let body = br#"{"solar_date":"1990-01-15","solar_time":"12:00","gender":"male","current_time":"2024-05-01"}"#;
        assert_eq!(
            parse_detail_request(body)
                .expect("valid")
                .fortune()
                .current_time,
            "2024-05-01"
        );
        let body =
            br#"{"solar_date":"1990-01-15","solar_time":"12:00","gender":"male","current_time":5}"#;
        let error = parse_detail_request(body).expect_err("number");
        assert!(matches!(&error, ApiError::Invalid { field: Some(f), .. } if f == "current_time"));
    }
}

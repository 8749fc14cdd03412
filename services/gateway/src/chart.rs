//! `/api/v1/bazi/calculate` (the chart) and `/api/v1/bazi/detail` (the chart
//! and the fortune, from bazi_core and bazi_fortune at once).

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::request::{parse_chart_request, parse_detail_request};
use crate::{
    success, upstream_version, with_versions, Answer, ApiError, AppState, BAZI_CORE,
    BAZI_CORE_VERSION_HEADER, BAZI_FORTUNE, BAZI_FORTUNE_VERSION_HEADER,
};

/// The part of `bazi_core`'s `metadata_json` the gateway returns.
#[derive(Deserialize)]
struct ChartMetadata<'a> {
    #[serde(borrow)]
    data: &'a RawValue,
}

/// The parts of `bazi_fortune`'s `detail_json` that `/detail` adds to the chart.
#[derive(Deserialize, Serialize)]
struct FortuneParts<'a> {
    #[serde(borrow)]
    dayun_info: &'a RawValue,
    #[serde(borrow)]
    dayun_sequence: &'a RawValue,
    #[serde(borrow)]
    liunian_sequence: &'a RawValue,
    #[serde(borrow)]
    liuyue_sequence: &'a RawValue,
    #[serde(borrow)]
    liuri_sequence: &'a RawValue,
    #[serde(borrow)]
    liushi_sequence: &'a RawValue,
}

pub(crate) async fn chart_of(state: &AppState, request: bazi_core_api::BaziCoreRequest) -> Answer {
    match state.bazi_core.clone().calculate_bazi(request).await {
        Ok(answer) => Answer {
            version: upstream_version(answer.metadata()),
            body: Ok(answer.into_inner().metadata_json),
        },
        Err(status) => Answer {
            version: upstream_version(status.metadata()),
            body: Err(ApiError::from_status(BAZI_CORE, &status)),
        },
    }
}

pub(crate) async fn fortune_of(
    state: &AppState,
    request: bazi_fortune_api::BaziFortuneRequest,
) -> Answer {
    match state
        .bazi_fortune
        .clone()
        .calculate_dayun_liunian(request)
        .await
    {
        Ok(answer) => Answer {
            version: upstream_version(answer.metadata()),
            body: Ok(answer.into_inner().detail_json),
        },
        Err(status) => Answer {
            version: upstream_version(status.metadata()),
            body: Err(ApiError::from_status(BAZI_FORTUNE, &status)),
        },
    }
}

/// The chart inside `bazi_core`'s `metadata_json`.
pub(crate) fn chart_data(metadata: &str) -> Result<&RawValue, ApiError> {
    serde_json::from_str::<ChartMetadata<'_>>(metadata)
        .map(|m| m.data)
        .map_err(|error| {
            ApiError::upstream(
                BAZI_CORE,
                format!("its answer has no readable chart ({error})"),
            )
        })
}

pub(crate) async fn calculate(State(state): State<AppState>, body: Bytes) -> Response {
    let request = match parse_chart_request(&body) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let answer = chart_of(&state, request).await;
    let response = match answer
        .body
        .as_deref()
        .map_err(Clone::clone)
        .and_then(chart_data)
    {
        Ok(data) => success(data),
        Err(error) => error.logged().into_response(),
    };
    with_versions(response, [(BAZI_CORE_VERSION_HEADER, answer.version)])
}

pub(crate) async fn detail(State(state): State<AppState>, body: Bytes) -> Response {
    let request = match parse_detail_request(&body) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let (chart, fortune) = tokio::join!(
        chart_of(&state, request.chart()),
        fortune_of(&state, request.fortune())
    );
    let response = match merge(&chart.body, &fortune.body) {
        Ok(data) => success(&data),
        Err(error) => error.logged().into_response(),
    };
    with_versions(
        response,
        [
            (BAZI_CORE_VERSION_HEADER, chart.version),
            (BAZI_FORTUNE_VERSION_HEADER, fortune.version),
        ],
    )
}

/// The chart object with the fortune's parts appended, keeping the chart's
/// text (and key order) exactly as `bazi_core` wrote it. When both calls
/// failed, the caller's mistake is reported before an outage.
fn merge(
    chart: &Result<String, ApiError>,
    fortune: &Result<String, ApiError>,
) -> Result<Box<RawValue>, ApiError> {
    let (chart, fortune) = match (chart, fortune) {
        (Ok(chart), Ok(fortune)) => (chart, fortune),
        (Err(a), Err(b)) => return Err(ApiError::first_of(a.clone(), b.clone())),
        (Err(error), _) | (_, Err(error)) => return Err(error.clone()),
    };
    let chart = chart_data(chart)?.get().trim();
    let parts: FortuneParts<'_> = serde_json::from_str(fortune).map_err(|error| {
        ApiError::upstream(
            BAZI_FORTUNE,
            format!("its answer is not a fortune ({error})"),
        )
    })?;
    let parts = serde_json::to_string(&parts)
        .map_err(|error| ApiError::upstream(BAZI_FORTUNE, error.to_string()))?;
    // Both are JSON objects: `{…chart…}` and `{…parts…}` make `{…chart…,…parts…}`.
    let (Some(head), Some(tail)) = (chart.strip_suffix('}'), parts.strip_prefix('{')) else {
        return Err(ApiError::upstream(
            BAZI_CORE,
            "its chart is not a JSON object",
        ));
    };
    let separator = if head.trim_end().ends_with('{') {
        ""
    } else {
        ","
    };
    RawValue::from_string(format!("{head}{separator}{tail}")).map_err(|error| {
        ApiError::upstream(BAZI_CORE, format!("cannot combine the answers ({error})"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_appends_the_fortune_to_the_chart() {
        let chart = Ok(
            r#"{"data":{"basic_info":{"a":1},"bazi_pillars":[]},"service":"bazi_core"}"#.to_owned(),
        );
        let fortune = Ok(r#"{"basic_info":{},"dayun_info":{"direction":"forward"},"dayun_sequence":[],"liunian_sequence":[1],"liuyue_sequence":[],"liuri_sequence":[],"liushi_sequence":[]}"#.to_owned());
        let merged = merge(&chart, &fortune).expect("merged");
        assert_eq!(
            merged.get(),
            r#"{"basic_info":{"a":1},"bazi_pillars":[],"dayun_info":{"direction":"forward"},"dayun_sequence":[],"liunian_sequence":[1],"liuyue_sequence":[],"liuri_sequence":[],"liushi_sequence":[]}"#
        );
    }

    #[test]
    fn merge_reports_the_callers_mistake_before_an_outage() {
        let invalid = ApiError::from_status(
            BAZI_FORTUNE,
            &tonic::Status::invalid_argument("current_time: \"x\" is not a date"),
        );
        let down = ApiError::from_status(BAZI_CORE, &tonic::Status::unavailable("refused"));
        let error = merge(&Err(down.clone()), &Err(invalid)).expect_err("both failed");
        assert!(matches!(&error, ApiError::Invalid { field: Some(f), .. } if f == "current_time"));
        let error = merge(&Err(down), &Ok("{}".to_owned())).expect_err("core down");
        assert_eq!(error.to_string(), "bazi_core is unavailable: refused");
    }
}

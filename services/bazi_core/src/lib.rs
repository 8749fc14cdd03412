//! The `bazi_core` service: Four Pillars (八字) charts over gRPC
//! (`bazi.core.BaziCoreService`, see `services/bazi_core/api/proto/bazi/core/bazi_core.proto`;
//! its generated code is the `bazi_core-api` crate, which callers depend on).
//!
//! [`BaziCore`] parses the request with [`bazi::BirthInput::parse`], builds the
//! chart with [`bazi::chart()`] and maps it onto [`BaziCoreResponse`]. Bad input
//! is answered with `INVALID_ARGUMENT` and a message that starts with the
//! offending field's name (`solar_date`, `solar_time` or `gender`), e.g.
//! `"solar_date: 1990-02-30 does not exist; expected a day from 01 to 28 for 1990-02"`,
//! capped at [`hifate_sdk::MAX_STATUS_MESSAGE_BYTES`] (a message quoting a long
//! input ends in `"… (N bytes, truncated)"`).
//!
//! # Response layout
//!
//! Typed fields:
//!
//! * `year_pillar` … `hour_pillar`: `{stem, branch}`, e.g. `己` / `巳`.
//! * `details`: keys `year`, `month`, `day`, `hour` → `PillarDetail {main_star,
//!   nayin, kongwang, deities}`.
//! * `element_counts`: element name (`木 火 土 金 水`) → count over the eight
//!   characters; elements that do not occur are absent.
//!
//! String maps whose values are plain strings or JSON texts (a JSON value
//! nested in a string map is carried as its JSON text):
//!
//! | map | key | value |
//! |-----|-----|-------|
//! | `basic_info` | `solar_date` | `"1990-01-15"` |
//! | | `solar_time` | `"12:00"` |
//! | | `gender` | `"male"` / `"female"` |
//! | | `lunar_date` | JSON `{"year":1989,"month":12,"day":19,"is_leap_month":false}` |
//! | | `late_zi_adjusted` | `"true"` / `"false"` |
//! | | `zodiac` | `"蛇"` |
//! | `ten_gods_stats` | `main`, `sub` | JSON `{"<ten god>":{"count":n,"pillars":[…]},…}` |
//! | | `totals` | JSON `{"<ten god>":n,…}` |
//! | `elements` | `year`, `month`, `day`, `hour` | JSON `{"stem","stem_element","branch","branch_element"}` |
//! | `relationships` | `day_pillar` | JSON object (day stem against its branch's main qi) |
//! | | `stem_combinations`, `stem_clashes`, `branch_relations` | JSON arrays |
//!
//! `metadata_json` is a JSON object:
//!
//! ```json
//! {"data": { …the full chart… }, "service": "bazi_core", "service_version": 3}
//! ```
//!
//! where `data` is the chart exactly as the HTTP API returns it (the JSON form
//! of [`bazi::Chart`], including `hidden_stems`, `hidden_stars`,
//! `star_fortune` and `self_sitting`, which `PillarDetail` lacks), and
//! `service` / `service_version` identify the process that answered (the
//! version the supervisor gave it, 0 when run alone).

use std::collections::{BTreeMap, HashMap};

use bazi::{BirthInput, Chart};
use bazi_core_api::bazi_core_service_server::BaziCoreService;
use bazi_core_api::{
    BaziCoreRequest, BaziCoreResponse, HealthCheckRequest, HealthCheckResponse, Pillar,
    PillarDetail,
};
use hifate_sdk::Identity;
use serde::Serialize;
use serde_json::value::RawValue;
use tonic::{Request, Response, Status};

/// Name of the service under the supervisor.
pub const SERVICE_NAME: &str = "bazi_core";
/// TCP port used when the binary runs without a supervisor.
pub const DEFAULT_PORT: u16 = 9001;

/// The `bazi.core.BaziCoreService` implementation.
#[derive(Debug, Clone)]
pub struct BaziCore {
    identity: Identity,
}

impl BaziCore {
    /// A service that reports `identity` in `metadata_json`.
    pub fn new(identity: Identity) -> Self {
        BaziCore { identity }
    }

    /// The identity reported in `metadata_json`.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Computes the response for one request: `INVALID_ARGUMENT` for bad
    /// input (message starting with the field name), `INTERNAL` only if the
    /// chart cannot be encoded.
    pub fn calculate(&self, request: &BaziCoreRequest) -> Result<BaziCoreResponse, Status> {
        let chart = BirthInput::parse(&request.solar_date, &request.solar_time, &request.gender)
            .and_then(|input| bazi::chart(&input))
            .map_err(|error| {
                tracing::debug!(field = error.field(), %error, "rejected input");
                hifate_sdk::invalid_argument(error.to_string())
            })?;
        to_response(&chart, &self.identity).map_err(|error| {
            tracing::error!(%error, "cannot encode the chart");
            Status::internal(format!("cannot encode the chart: {error}"))
        })
    }
}

impl Default for BaziCore {
    /// Identity from the environment (see [`Identity::from_env`]).
    fn default() -> Self {
        BaziCore::new(Identity::from_env(SERVICE_NAME))
    }
}

#[tonic::async_trait]
impl BaziCoreService for BaziCore {
    async fn calculate_bazi(
        &self,
        request: Request<BaziCoreRequest>,
    ) -> Result<Response<BaziCoreResponse>, Status> {
        self.calculate(request.get_ref()).map(Response::new)
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

/// The `metadata_json` object.
#[derive(Serialize)]
struct Metadata<'a> {
    data: &'a Chart,
    service: &'a str,
    service_version: u64,
}

/// Maps a chart onto the proto response (see the crate docs for the layout).
pub fn to_response(
    chart: &Chart,
    identity: &Identity,
) -> Result<BaziCoreResponse, serde_json::Error> {
    let info = &chart.basic_info;
    let basic_info = HashMap::from([
        ("solar_date".to_owned(), info.solar_date.to_string()),
        ("solar_time".to_owned(), info.solar_time.to_string()),
        ("gender".to_owned(), info.gender.as_str().to_owned()),
        (
            "lunar_date".to_owned(),
            serde_json::to_string(&info.lunar_date)?,
        ),
        (
            "late_zi_adjusted".to_owned(),
            info.late_zi_adjusted.to_string(),
        ),
        ("zodiac".to_owned(), info.zodiac.to_owned()),
    ]);

    let pillar = |p: &bazi::ganzhi::Pillar| {
        Some(Pillar {
            stem: p.stem.to_string(),
            branch: p.branch.to_string(),
        })
    };
    let pillars = &chart.bazi_pillars;

    let details = chart
        .details
        .iter()
        .map(|(position, d)| {
            (
                position.as_str().to_owned(),
                PillarDetail {
                    main_star: d.main_star.to_string(),
                    nayin: d.nayin.to_string(),
                    kongwang: d.kongwang.to_string(),
                    deities: d.deities.iter().map(ToString::to_string).collect(),
                },
            )
        })
        .collect();

    let element_counts = chart
        .element_counts
        .iter()
        .map(|(element, n)| (element.as_str().to_owned(), i32::from(n)))
        .collect();

    let metadata = Metadata {
        data: chart,
        service: &identity.service,
        service_version: identity.version,
    };

    Ok(BaziCoreResponse {
        basic_info,
        year_pillar: pillar(&pillars.year),
        month_pillar: pillar(&pillars.month),
        day_pillar: pillar(&pillars.day),
        hour_pillar: pillar(&pillars.hour),
        details,
        ten_gods_stats: json_fields(&chart.ten_gods_stats)?,
        elements: json_fields(&chart.elements)?,
        element_counts,
        relationships: json_fields(&chart.relationships)?,
        metadata_json: serde_json::to_string(&metadata)?,
    })
}

/// Serialises `value` (a JSON object) and returns each top-level field as
/// its JSON text, keeping the text of nested values as serialised.
fn json_fields<T: Serialize>(value: &T) -> Result<HashMap<String, String>, serde_json::Error> {
    let text = serde_json::to_string(value)?;
    let fields: BTreeMap<String, Box<RawValue>> = serde_json::from_str(&text)?;
    Ok(fields
        .into_iter()
        .map(|(key, raw)| (key, raw.get().to_owned()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(date: &str, time: &str, gender: &str) -> BaziCoreRequest {
        BaziCoreRequest {
            solar_date: date.to_owned(),
            solar_time: time.to_owned(),
            gender: gender.to_owned(),
        }
    }

    #[test]
    fn string_maps_hold_json_of_the_chart_parts() {
        let core = BaziCore::new(Identity {
            service: SERVICE_NAME.to_owned(),
            version: 7,
        });
        let response = core
            .calculate(&request("1990-01-15", "12:00", "male"))
            .expect("valid input");
        let mut keys: Vec<_> = response.ten_gods_stats.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["main", "sub", "totals"]);
        let mut keys: Vec<_> = response.relationships.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "branch_relations",
                "day_pillar",
                "stem_clashes",
                "stem_combinations"
            ]
        );
        assert_eq!(
            response.elements["year"],
            r#"{"stem":"己","stem_element":"土","branch":"巳","branch_element":"火"}"#
        );
        assert_eq!(response.basic_info["late_zi_adjusted"], "false");
        assert_eq!(response.basic_info["zodiac"], "蛇");
        let metadata: serde_json::Value =
            serde_json::from_str(&response.metadata_json).expect("metadata is JSON");
        assert_eq!(metadata["service"], "bazi_core");
        assert_eq!(metadata["service_version"], 7);
        assert_eq!(metadata["data"]["bazi_pillars"]["day"]["stem"], "庚");
    }

    #[test]
    fn bad_input_is_invalid_argument_naming_the_field() {
        let core = BaziCore::default();
        let status = core
            .calculate(&request("1990-01-15", "12:00", "x"))
            .expect_err("bad gender");
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert!(status.message().starts_with("gender: "), "{status:?}");
    }
}

//! The `bazi_fortune` service: luck pillars (大运) and the years, months,
//! days and hours a person passes through, over gRPC
//! (`bazi.fortune.BaziFortuneService`, see
//! `services/bazi_fortune/api/proto/bazi/fortune/bazi_fortune.proto`; its
//! generated code is the `bazi_fortune-api` crate, which callers depend on).
//!
//! The computation is [`bazi::fortune`]; this crate parses the request,
//! picks what is "current" at `current_time`, and writes `detail_json`:
//!
//! ```json
//! {
//!   "basic_info": {"solar_date": "1990-01-15", "solar_time": "12:00", "gender": "male",
//!                  "adjusted_solar_date": "1990-01-15", "adjusted_solar_time": "12:00",
//!                  "is_zi_shi_adjusted": false, "lunar_date": {…}, "zodiac": "蛇"},
//!   "bazi_pillars": {"year": {"stem": "己", "branch": "巳"}, …},
//!   "dayun_info": {"direction": "backward", "qiyun": {"years": 3, "months": 2, …},
//!                  "current_dayun": {…} | null, "next_dayun": {…} | null},
//!   "dayun_sequence": [{"index": 0, …}, {"index": 1, "ganzhi": "丙子", …}, …],
//!   "liunian_sequence": [{"year": 1990, "ganzhi": "庚午", "age": 1, …}, …],
//!   "liuyue_sequence": [12 months of the current year],
//!   "liuri_sequence": [the days of the current month],
//!   "liushi_sequence": [12 hours of the current day]
//! }
//! ```
//!
//! Bad input (`solar_date`, `solar_time`, `gender`, `current_time`) is
//! answered with `INVALID_ARGUMENT` and a message that starts with the field.
//! `metadata_json` is `{"service", "service_version", "current_time"}`.

use bazi::fortune::{
    days_of, hours_of, months_of, DayFortune, HourFortune, LuckPillar, MonthFortune, YearFortune,
};
use bazi::ganzhi::Pillar;
use bazi::pillars::FourPillars;
use bazi::{BirthInput, Chart};
use bazi_fortune_api::bazi_fortune_service_server::BaziFortuneService;
use bazi_fortune_api::{
    BaziFortuneRequest, BaziFortuneResponse, HealthCheckRequest, HealthCheckResponse,
};
use hifate_sdk::Identity;
use serde::Serialize;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};
use tonic::{Request, Response, Status};

/// Name of the service under the supervisor.
pub const SERVICE_NAME: &str = "bazi_fortune";
/// TCP port used when the binary runs without a supervisor.
pub const DEFAULT_PORT: u16 = 9002;

/// Beijing time, the time scale of every date in the crate.
const BEIJING: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// The `bazi.fortune.BaziFortuneService` implementation.
#[derive(Debug, Clone)]
pub struct BaziFortune {
    identity: Identity,
}

impl Default for BaziFortune {
    /// Identity from the environment (see [`Identity::from_env`]).
    fn default() -> Self {
        BaziFortune::new(Identity::from_env(SERVICE_NAME))
    }
}

/// Why a request was refused; the message starts with the field's name.
#[derive(Debug, thiserror::Error)]
pub enum DetailError {
    #[error(transparent)]
    Birth(#[from] bazi::InputError),
    #[error("current_time: {0}")]
    CurrentTime(String),
}

/// The `detail_json` object.
#[derive(Debug, Serialize)]
pub struct Detail {
    pub basic_info: BasicInfo,
    pub bazi_pillars: FourPillars<Pillar>,
    pub dayun_info: DayunInfo,
    pub dayun_sequence: Vec<LuckPillar>,
    pub liunian_sequence: Vec<YearFortune>,
    pub liuyue_sequence: Vec<MonthFortune>,
    pub liuri_sequence: Vec<DayFortune>,
    pub liushi_sequence: Vec<HourFortune>,
}

/// The chart's basic information, with the date and time the pillars were
/// taken at (a late 子 hour birth counts as the next day's 00:mm).
#[derive(Debug, Serialize)]
pub struct BasicInfo {
    #[serde(flatten)]
    pub chart: bazi::chart::BasicInfo,
    pub adjusted_solar_date: String,
    pub adjusted_solar_time: String,
    pub is_zi_shi_adjusted: bool,
}

/// The direction, the start of luck, and the luck pillars around `current_time`.
#[derive(Debug, Serialize)]
pub struct DayunInfo {
    pub direction: bazi::fortune::Direction,
    pub qiyun: bazi::fortune::LuckStart,
    pub current_dayun: Option<LuckPillar>,
    pub next_dayun: Option<LuckPillar>,
}

/// The `metadata_json` object.
#[derive(Serialize)]
struct Metadata<'a> {
    service: &'a str,
    service_version: u64,
    current_time: String,
}

impl BaziFortune {
    /// A service that reports `identity` in `metadata_json`.
    pub fn new(identity: Identity) -> Self {
        BaziFortune { identity }
    }

    /// Computes the response for one request: `INVALID_ARGUMENT` for bad
    /// input (message starting with the field name).
    pub fn calculate(&self, request: &BaziFortuneRequest) -> Result<BaziFortuneResponse, Status> {
        let now = match request.current_time.trim() {
            "" => OffsetDateTime::now_utc().to_offset(BEIJING),
            given => parse_current_time(given).map_err(invalid)?,
        };
        let input = BirthInput::parse(&request.solar_date, &request.solar_time, &request.gender)
            .map_err(|e| invalid(DetailError::Birth(e)))?;
        let detail = detail(&input, now).map_err(invalid)?;
        let metadata = Metadata {
            service: &self.identity.service,
            service_version: self.identity.version,
            current_time: format_instant(now),
        };
        let encode = |e: serde_json::Error| {
            tracing::error!(%e, "cannot encode the fortune");
            Status::internal(format!("cannot encode the fortune: {e}"))
        };
        Ok(BaziFortuneResponse {
            detail_json: serde_json::to_string(&detail).map_err(encode)?,
            metadata_json: serde_json::to_string(&metadata).map_err(encode)?,
        })
    }
}

fn invalid(error: DetailError) -> Status {
    tracing::debug!(%error, "rejected input");
    hifate_sdk::invalid_argument(error.to_string())
}

/// The whole fortune of `input`, with "current" taken at `now` (Beijing time).
pub fn detail(input: &BirthInput, now: OffsetDateTime) -> Result<Detail, DetailError> {
    let chart = bazi::chart(input)?;
    let fortune = bazi::fortune(input)?;
    let today = now.date();
    let year = today.year();
    let month = u8::from(today.month());
    let (current, next) = fortune.current_and_next(year);
    let (current_dayun, next_dayun) = (current.copied(), next.copied());
    Ok(Detail {
        basic_info: basic_info(&chart),
        bazi_pillars: chart.bazi_pillars,
        dayun_info: DayunInfo {
            direction: fortune.direction,
            qiyun: fortune.start,
            current_dayun,
            next_dayun,
        },
        liuyue_sequence: months_of(year)?.to_vec(),
        liuri_sequence: days_of(year, month)?,
        liushi_sequence: hours_of(year, month, today.day())?.to_vec(),
        dayun_sequence: fortune.dayun,
        liunian_sequence: fortune.liunian,
    })
}

fn basic_info(chart: &Chart) -> BasicInfo {
    let info = chart.basic_info;
    let (date, time) = if info.late_zi_adjusted {
        let date = next_day(&info.solar_date).unwrap_or_else(|| info.solar_date.to_string());
        (date, format!("00:{:02}", info.solar_time.minute))
    } else {
        (info.solar_date.to_string(), info.solar_time.to_string())
    };
    BasicInfo {
        chart: info,
        adjusted_solar_date: date,
        adjusted_solar_time: time,
        is_zi_shi_adjusted: info.late_zi_adjusted,
    }
}

/// The day after `date`, as `YYYY-MM-DD`.
fn next_day(date: &bazi::chart::SolarDate) -> Option<String> {
    let month = time::Month::try_from(u8::try_from(date.month).ok()?).ok()?;
    let day = u8::try_from(date.day).ok()?;
    let next = Date::from_calendar_date(date.year, month, day)
        .ok()?
        .next_day()?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        next.year(),
        u8::from(next.month()),
        next.day()
    ))
}

/// Parses `current_time`: an ISO 8601 date (`2024-05-01`), or date and time
/// (`2024-05-01T08:30`, `2024-05-01 08:30:15`), with an optional offset
/// (`Z`, `+02:00`; converted to Beijing time) — without one, Beijing time.
pub fn parse_current_time(text: &str) -> Result<OffsetDateTime, DetailError> {
    let instant = parse_instant(text)?;
    let year = instant.year();
    let (first, last) = (bazi::input::MIN_YEAR, bazi::fortune::LAST_FORTUNE_YEAR);
    if !(first..=last).contains(&year) {
        return Err(DetailError::CurrentTime(format!(
            "{year} is outside the years a fortune covers ({first}-{last})"
        )));
    }
    Ok(instant)
}

fn parse_instant(text: &str) -> Result<OffsetDateTime, DetailError> {
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    if let Ok(instant) = OffsetDateTime::parse(text, &Rfc3339) {
        // Near year 9999 the shift to +08:00 leaves the representable range.
        return instant.checked_to_offset(BEIJING).ok_or_else(|| {
            DetailError::CurrentTime(format!("{text:?} is outside the supported range"))
        });
    }
    let normalized = text.replacen(' ', "T", 1);
    let forms = [
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]"),
    ];
    for form in forms {
        if let Ok(local) = PrimitiveDateTime::parse(&normalized, form) {
            return Ok(local.assume_offset(BEIJING));
        }
    }
    if let Ok(date) = Date::parse(text, format_description!("[year]-[month]-[day]")) {
        return Ok(date.midnight().assume_offset(BEIJING));
    }
    let shown: String = text.chars().take(40).collect();
    Err(DetailError::CurrentTime(format!(
        "{shown:?} is not an ISO 8601 date or date-time (e.g. 2024-05-01 or 2024-05-01T08:30:00+08:00)"
    )))
}

/// `instant` (in Beijing time) as RFC 3339.
fn format_instant(instant: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+08:00",
        instant.year(),
        u8::from(instant.month()),
        instant.day(),
        instant.hour(),
        instant.minute(),
        instant.second()
    )
}

#[tonic::async_trait]
impl BaziFortuneService for BaziFortune {
    async fn calculate_dayun_liunian(
        &self,
        request: Request<BaziFortuneRequest>,
    ) -> Result<Response<BaziFortuneResponse>, Status> {
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

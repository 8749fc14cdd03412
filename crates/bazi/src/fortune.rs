//! Luck (运): the direction, the start of luck (起运), the luck pillars (大运),
//! and the years (流年), months (流月), days (流日) and hours (流时) a person
//! passes through.
//!
//! Everything is arithmetic on the sexagenary cycle plus the 节 instants of the
//! [`calendar`](crate::calendar) cache; `tyme4rs` is only touched when a year's
//! 节 are read for the first time. The integration tests compare the results
//! with `tyme4rs`'s `ChildLimit` / `DecadeFortune` / `Fortune`.
//!
//! Rules:
//!
//! * **Direction**: forward (顺) for a yang year stem and a male, or a yin year
//!   stem and a female; backward (逆) otherwise.
//! * **Which instant**: the fortune is read at the **real birth instant**
//!   (date and `HH:MM:00`), like `tyme4rs`'s `ChildLimit`: the year stem
//!   (direction), the month pillar the luck pillars step from, and the 节 the
//!   start of luck counts to. Only the day master is the chart's day stem (the
//!   next day's in the late 子 hour). This differs from the chart's year and
//!   month pillars only for a late-子 birth (23:mm) with a 节 between the birth
//!   and the next day's 00:mm, where the chart (see [`crate::calendar`])
//!   already shows the new month: there the fortune still steps from the month
//!   actually in force at birth (e.g. 1982-01-05 23:06: chart month 辛丑, but
//!   the luck pillars step from 庚子, and 小寒 at 1982-01-06 00:02:35 is the
//!   next 节). [`Fortune::year_pillar`] and [`Fortune::month_pillar`] give the
//!   pillars that were used.
//! * **Start of luck**: the time from birth to the next 节 (forward) or back to
//!   the previous 节 (backward), in whole seconds, converted at 3 days = 1
//!   year: 259,200 s = 1 year, 21,600 s = 1 month, 720 s = 1 day, 30 s = 1 hour,
//!   and the rest at 1 s = 2 minutes. The start instant is the birth plus that
//!   many years, months, days, hours and minutes, added as calendar fields with
//!   overflowing days carried into the following months (2000-01-31 + 1 month
//!   = 2000-03-02). This is `tyme4rs`'s default `ChildLimitProvider`, to the
//!   minute. A 节 at exactly the birth second counts as already begun.
//! * **Luck pillars**: index 0 is the childhood before the start (no pillar);
//!   index `i = 1..=`[`LUCK_PILLAR_COUNT`] is the month pillar moved `i` steps
//!   along the direction, from `start_year + 10·(i − 1)` for ten calendar
//!   years, where `start_year` is the calendar year of the start instant (as
//!   `tyme4rs`'s `DecadeFortune`). Ages are nominal (虚岁): the birth year is
//!   age 1. When the luck starts in the birth year itself the childhood entry
//!   is empty: `end_year = start_year − 1` and `end_age = 0`.
//! * **Years**: every calendar year from the birth year to the last luck
//!   pillar's `end_year`, with the sexagenary year that begins at its 立春.
//! * **Months**: the twelve months of a Gregorian year from its 立春 (寅 month,
//!   index 1) to the 丑 month that begins at 小寒 of the next January (index 12).
//! * **Hours**: the day of date `D` runs from `D − 1` 23:00 to `D` 23:00, the
//!   crate's late-子 convention (a birth at 23:mm gets the next day's day and
//!   hour pillars). So the 子 hour of `D` starts at 23:00 of the previous day
//!   and carries `D`'s 五鼠遁 stem, and the 亥 hour ends at 23:00 of `D`.
//! * **Years past [`crate::input::MAX_YEAR`]**: a fortune lists years up to about 110 years
//!   after the birth. Luck pillars and 流年 are pure arithmetic; the 流月 of
//!   years up to [`LAST_FORTUNE_YEAR`] read their 节 from the calendar cache,
//!   which holds the 节 rows of those years too. [`months_of`], [`days_of`] and
//!   [`hours_of`] accept `MIN_YEAR..=LAST_FORTUNE_YEAR` and answer any other
//!   year with [`InputError::FortuneYearOutOfRange`].

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::calendar::{
    date_of_day_number, day_number, day_pillar_of_day_number, hour_pillar, jie_instants,
    month_pillar, year_pillar, JIE_NAMES, SECONDS_PER_DAY,
};
use crate::chart::SolarDate;
use crate::ganzhi::{serialize_as_str, Branch, Nayin, Pillar, Stem};
use crate::input::{days_in_month, BirthInput, Gender, InputError, MIN_YEAR};
use crate::life_stages::LifeStage;
use crate::ten_gods::TenGod;

pub use crate::input::LAST_FORTUNE_YEAR;

/// Number of luck pillars after the childhood entry (indices `1..=10`).
pub const LUCK_PILLAR_COUNT: usize = 10;

/// Years of each luck pillar.
const YEARS_PER_PILLAR: i32 = 10;

/// Seconds of real time per year of luck (3 days).
const SECONDS_PER_LUCK_YEAR: i64 = 259_200;
/// Seconds of real time per month of luck (6 hours).
const SECONDS_PER_LUCK_MONTH: i64 = 21_600;
/// Seconds of real time per day of luck (12 minutes).
const SECONDS_PER_LUCK_DAY: i64 = 720;
/// Seconds of real time per hour of luck.
const SECONDS_PER_LUCK_HOUR: i64 = 30;

/// Serialises a pillar as its name, e.g. `"丙子"`.
fn serialize_ganzhi<S: Serializer>(p: &Pillar, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(p)
}

/// A pillar serialised as its name (`"丙子"`).
struct GanZhi(Pillar);

impl Serialize for GanZhi {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_ganzhi(&self.0, s)
    }
}

/// Date and time to the second (Beijing time), serialised as
/// `"YYYY-MM-DD HH:MM:SS"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SolarDateTime {
    /// Year.
    pub year: i32,
    /// Month 1..=12.
    pub month: u32,
    /// Day 1..=31.
    pub day: u32,
    /// Hour 0..=23.
    pub hour: u32,
    /// Minute 0..=59.
    pub minute: u32,
    /// Second 0..=59.
    pub second: u32,
}

impl SolarDateTime {
    /// The date and time of an instant in seconds since 1970-01-01 00:00 (see
    /// [`crate::calendar::instant`]).
    pub const fn from_instant(t: i64) -> SolarDateTime {
        let (year, month, day) = date_of_day_number(t.div_euclid(SECONDS_PER_DAY));
        let s = t.rem_euclid(SECONDS_PER_DAY) as u32;
        SolarDateTime {
            year,
            month,
            day,
            hour: s / 3600,
            minute: s % 3600 / 60,
            second: s % 60,
        }
    }

    /// Seconds since 1970-01-01 00:00 (see [`crate::calendar::instant`]).
    pub const fn instant(self) -> i64 {
        crate::calendar::instant(
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
        )
    }

    /// The date part.
    pub const fn date(self) -> SolarDate {
        SolarDate {
            year: self.year,
            month: self.month,
            day: self.day,
        }
    }
}

impl std::fmt::Display for SolarDateTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

impl Serialize for SolarDateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Direction in which the luck pillars step from the month pillar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// 顺行 (`"forward"`): yang year stem and male, or yin year stem and female.
    Forward,
    /// 逆行 (`"backward"`): the other two cases.
    Backward,
}

impl Direction {
    /// The direction for a year stem and a gender (阳男阴女顺, 阴男阳女逆).
    pub const fn of(year_stem: Stem, gender: Gender) -> Direction {
        let male = matches!(gender, Gender::Male);
        if year_stem.is_yang() == male {
            Direction::Forward
        } else {
            Direction::Backward
        }
    }

    /// `"forward"` or `"backward"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::Forward => "forward",
            Direction::Backward => "backward",
        }
    }

    /// Whether this is [`Direction::Forward`].
    pub const fn is_forward(self) -> bool {
        matches!(self, Direction::Forward)
    }
}

serialize_as_str!(Direction);

/// A 节 and its instant: `{"name": "小寒", "at": "1990-01-05 22:33:14"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Jie {
    /// Name, e.g. `"小寒"`.
    pub name: &'static str,
    /// Exact instant (to the second, as `tyme4rs` rounds it).
    pub at: SolarDateTime,
}

/// Start of luck (起运), serialised as the `qiyun` object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct LuckStart {
    /// Whole years (3 days of real time each).
    pub years: u32,
    /// Months 0..=11 (6 hours each).
    pub months: u32,
    /// Days 0..=29 (12 minutes each).
    pub days: u32,
    /// Hours 0..=23 (30 seconds each).
    pub hours: u32,
    /// Minutes 0..=58 (1 second each, counted as 2 minutes); added to `date`
    /// like `tyme4rs` does, so that `date` agrees with it to the minute.
    pub minutes: u32,
    /// The start instant: birth + years, months, days, hours and minutes.
    pub date: SolarDateTime,
    /// Nominal age (虚岁) in the start year: `date.year − birth year + 1`.
    pub age: i32,
    /// The 节 counted to: the next one (forward) or the previous one (backward).
    pub jie: Jie,
}

/// One entry of the luck pillars (大运). Index 0 is the childhood before the
/// start of luck and has no pillar: `ganzhi`, `stem`, `branch`, `ten_god`,
/// `nayin` and `life_stage` are `null` in JSON.
///
/// Serialised as `{"index", "ganzhi", "stem", "branch", "start_year",
/// "end_year", "start_age", "end_age", "ten_god", "nayin", "life_stage"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LuckPillar {
    /// 0 for childhood, then 1, 2, ….
    pub index: usize,
    /// The pillar (`None` for index 0).
    pub pillar: Option<Pillar>,
    /// First calendar year.
    pub start_year: i32,
    /// Last calendar year (inclusive; `start_year + 9` for a pillar).
    pub end_year: i32,
    /// Nominal age in `start_year`.
    pub start_age: i32,
    /// Nominal age in `end_year`.
    pub end_age: i32,
    /// Ten god of the pillar's stem relative to the day master.
    pub ten_god: Option<TenGod>,
    /// 纳音 of the pillar.
    pub nayin: Option<Nayin>,
    /// 十二长生 stage of the day master on the pillar's branch.
    pub life_stage: Option<LifeStage>,
}

impl LuckPillar {
    /// Whether `year` is within `start_year..=end_year`.
    pub const fn contains_year(&self, year: i32) -> bool {
        self.start_year <= year && year <= self.end_year
    }
}

impl Serialize for LuckPillar {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut st = serializer.serialize_struct("LuckPillar", 11)?;
        st.serialize_field("index", &self.index)?;
        st.serialize_field("ganzhi", &self.pillar.map(GanZhi))?;
        st.serialize_field("stem", &self.pillar.map(|p| p.stem))?;
        st.serialize_field("branch", &self.pillar.map(|p| p.branch))?;
        st.serialize_field("start_year", &self.start_year)?;
        st.serialize_field("end_year", &self.end_year)?;
        st.serialize_field("start_age", &self.start_age)?;
        st.serialize_field("end_age", &self.end_age)?;
        st.serialize_field("ten_god", &self.ten_god)?;
        st.serialize_field("nayin", &self.nayin)?;
        st.serialize_field("life_stage", &self.life_stage)?;
        st.end()
    }
}

/// One year (流年): `{"year", "ganzhi", "age", "ten_god", "dayun_index"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct YearFortune {
    /// Calendar year.
    pub year: i32,
    /// The sexagenary year that begins at this year's 立春.
    #[serde(serialize_with = "serialize_ganzhi")]
    pub ganzhi: Pillar,
    /// Nominal age (虚岁).
    pub age: i32,
    /// Ten god of the year stem relative to the day master.
    pub ten_god: TenGod,
    /// Index of the luck pillar the year falls in (0 for childhood).
    pub dayun_index: usize,
}

/// One month (流月): `{"index", "ganzhi", "start"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct MonthFortune {
    /// 1 = 寅 month (from 立春) … 11 = 子 month (from 大雪), 12 = 丑 month
    /// (from 小寒 of the next January).
    pub index: usize,
    /// Month pillar.
    #[serde(serialize_with = "serialize_ganzhi")]
    pub ganzhi: Pillar,
    /// The instant of the 节 that begins the month.
    pub start: SolarDateTime,
}

impl MonthFortune {
    /// Name of the 节 that begins the month, e.g. `"立春"` for index 1.
    pub const fn jie_name(&self) -> &'static str {
        JIE_NAMES[self.index % 12]
    }
}

/// One day (流日): `{"date": "YYYY-MM-DD", "ganzhi"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct DayFortune {
    /// The date.
    pub date: SolarDate,
    /// Day pillar.
    #[serde(serialize_with = "serialize_ganzhi")]
    pub ganzhi: Pillar,
}

/// One two-hour period (流时): `{"branch", "ganzhi", "start"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct HourFortune {
    /// 子 … 亥.
    pub branch: Branch,
    /// Hour pillar (stem by 五鼠遁 from the day stem).
    #[serde(serialize_with = "serialize_ganzhi")]
    pub ganzhi: Pillar,
    /// Start of the period (子: 23:00 of the previous day).
    pub start: SolarDateTime,
}

/// The fortune of one person. Serialises as `{"direction", "qiyun", "dayun",
/// "liunian"}`; the remaining fields are for Rust callers only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fortune {
    /// Direction of the luck pillars.
    pub direction: Direction,
    /// Start of luck (JSON `qiyun`).
    #[serde(rename = "qiyun")]
    pub start: LuckStart,
    /// Luck pillars: index 0 (childhood), then `1..=LUCK_PILLAR_COUNT`.
    pub dayun: Vec<LuckPillar>,
    /// Every calendar year from the birth year to the last luck pillar's `end_year`.
    pub liunian: Vec<YearFortune>,
    /// Birth year (not serialised).
    #[serde(skip)]
    pub birth_year: i32,
    /// Year pillar at the real birth instant, whose stem decides the direction
    /// (not serialised).
    #[serde(skip)]
    pub year_pillar: Pillar,
    /// Month pillar at the real birth instant, from which the luck pillars
    /// step (not serialised).
    #[serde(skip)]
    pub month_pillar: Pillar,
    /// Day master (the chart's day stem) for ten gods and life stages (not
    /// serialised).
    #[serde(skip)]
    pub day_master: Stem,
}

impl Fortune {
    /// Index of the luck pillar whose years contain `year`: 0 up to the year
    /// before the first pillar (including years before the birth), then
    /// `1 + (year − first start year) / 10`. Not clamped: years after the last
    /// listed pillar give an index past the end of [`Fortune::dayun`].
    pub fn luck_index_at(&self, year: i32) -> usize {
        let first = self.start.date.year;
        if year < first {
            0
        } else {
            usize::try_from((year - first) / YEARS_PER_PILLAR).map_or(0, |n| n + 1)
        }
    }

    /// The luck pillar in force in `year` and the one after it. Before the
    /// birth year: `(None, childhood)`; after the last listed pillar:
    /// `(None, None)`.
    pub fn current_and_next(&self, year: i32) -> (Option<&LuckPillar>, Option<&LuckPillar>) {
        if year < self.birth_year {
            return (None, self.dayun.first());
        }
        let i = self.luck_index_at(year);
        (self.dayun.get(i), self.dayun.get(i + 1))
    }

    /// The 流年 entry of `year`, if listed.
    pub fn year(&self, year: i32) -> Option<&YearFortune> {
        let i = usize::try_from(year.checked_sub(self.birth_year)?).ok()?;
        self.liunian.get(i)
    }
}

/// Birth plus the span, added as calendar fields the way `tyme4rs`'s
/// `AbstractChildLimitProvider::next` does: minutes, hours and days carry into
/// each other, years and months are added to the month, and days beyond the
/// end of a month move into the following ones.
fn add_span(
    input: &BirthInput,
    years: u32,
    months: u32,
    days: u32,
    hours: u32,
    minutes: u32,
) -> SolarDateTime {
    let mut minute = input.minute + minutes;
    let mut hour = input.hour + hours + minute / 60;
    minute %= 60;
    let mut day = input.day + days + hour / 24;
    hour %= 24;
    let months_total =
        i64::from(input.year + years as i32) * 12 + i64::from(input.month - 1) + i64::from(months);
    let mut year = months_total.div_euclid(12) as i32;
    let mut month = months_total.rem_euclid(12) as u32 + 1;
    loop {
        let dim = days_in_month(year, month);
        if day <= dim || dim == 0 {
            break;
        }
        day -= dim;
        if month == 12 {
            year += 1;
            month = 1;
        } else {
            month += 1;
        }
    }
    SolarDateTime {
        year,
        month,
        day,
        hour,
        minute,
        second: 0,
    }
}

/// The fortune of a birth: direction, start of luck, luck pillars and years.
///
/// Validates the input first; a valid input never fails.
pub fn fortune(input: &BirthInput) -> Result<Fortune, InputError> {
    input.validate()?;
    let out_of_range = || InputError::YearOutOfRange { year: input.year };
    let birth_year = input.year;
    let today = day_number(input.year, input.month, input.day);
    let birth =
        today * SECONDS_PER_DAY + i64::from(input.hour) * 3600 + i64::from(input.minute) * 60;
    let jie = jie_instants(birth_year).ok_or_else(out_of_range)?;

    // Year and month at the real birth instant (k = this year's 节 begun).
    let k = jie[1..].partition_point(|&j| j <= birth);
    let year_pillar = year_pillar(if birth >= jie[2] {
        birth_year
    } else {
        birth_year - 1
    });
    let month_pillar = month_pillar(birth_year, k);
    // The chart's day stem: the next day's in the late 子 hour.
    let day_master =
        day_pillar_of_day_number(if input.hour == 23 { today + 1 } else { today }).stem;
    let direction = Direction::of(year_pillar.stem, input.gender);

    // The 节 that ends (forward) or began (backward) the birth month, as
    // (index into JIE_NAMES, instant).
    let (jie_index, jie_at) = match direction {
        Direction::Forward if k < 12 => (k, jie[k + 1]),
        Direction::Forward => (0, jie_instants(birth_year + 1).ok_or_else(out_of_range)?[1]),
        Direction::Backward if k > 0 => (k - 1, jie[k]),
        Direction::Backward => (11, jie[0]),
    };
    let mut rest = (jie_at - birth).abs();
    let mut take = |unit: i64| {
        let n = rest / unit;
        rest %= unit;
        n as u32
    };
    let years = take(SECONDS_PER_LUCK_YEAR);
    let months = take(SECONDS_PER_LUCK_MONTH);
    let days = take(SECONDS_PER_LUCK_DAY);
    let hours = take(SECONDS_PER_LUCK_HOUR);
    let minutes = (rest * 2) as u32;
    let date = add_span(input, years, months, days, hours, minutes);
    let age_in = |year: i32| year - birth_year + 1;
    let start = LuckStart {
        years,
        months,
        days,
        hours,
        minutes,
        date,
        age: age_in(date.year),
        jie: Jie {
            name: JIE_NAMES[jie_index],
            at: SolarDateTime::from_instant(jie_at),
        },
    };

    let first_year = date.year;
    let mut dayun = Vec::with_capacity(LUCK_PILLAR_COUNT + 1);
    dayun.push(LuckPillar {
        index: 0,
        pillar: None,
        start_year: birth_year,
        end_year: first_year - 1,
        start_age: 1,
        end_age: age_in(first_year - 1),
        ten_god: None,
        nayin: None,
        life_stage: None,
    });
    let month_index = month_pillar.cycle_index();
    for i in 1..=LUCK_PILLAR_COUNT {
        let step = if direction.is_forward() {
            i
        } else {
            60 - i % 60
        };
        let p = Pillar::from_cycle_index(month_index + step);
        let start_year = first_year + YEARS_PER_PILLAR * (i as i32 - 1);
        let end_year = start_year + YEARS_PER_PILLAR - 1;
        dayun.push(LuckPillar {
            index: i,
            pillar: Some(p),
            start_year,
            end_year,
            start_age: age_in(start_year),
            end_age: age_in(end_year),
            ten_god: Some(TenGod::of(day_master, p.stem)),
            nayin: Some(p.nayin()),
            life_stage: Some(LifeStage::of(day_master, p.branch)),
        });
    }

    let last_year = first_year + YEARS_PER_PILLAR * LUCK_PILLAR_COUNT as i32 - 1;
    let liunian = (birth_year..=last_year)
        .map(|year| {
            let ganzhi = crate::calendar::year_pillar(year);
            let dayun_index = if year < first_year {
                0
            } else {
                ((year - first_year) / YEARS_PER_PILLAR) as usize + 1
            };
            YearFortune {
                year,
                ganzhi,
                age: age_in(year),
                ten_god: TenGod::of(day_master, ganzhi.stem),
                dayun_index,
            }
        })
        .collect();

    Ok(Fortune {
        direction,
        start,
        dayun,
        liunian,
        birth_year,
        year_pillar,
        month_pillar,
        day_master,
    })
}

/// Checks a fortune-calendar year.
fn check_year(year: i32) -> Result<(), InputError> {
    if (MIN_YEAR..=LAST_FORTUNE_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(InputError::FortuneYearOutOfRange { year })
    }
}

/// Checks a fortune-calendar year and month; returns the month as `u32`.
fn check_month(year: i32, month: u8) -> Result<u32, InputError> {
    check_year(year)?;
    let month = u32::from(month);
    if (1..=12).contains(&month) {
        Ok(month)
    } else {
        Err(InputError::InvalidMonth { month })
    }
}

/// The twelve months (流月) of Gregorian `year`, from the 寅 month that starts
/// at its 立春 (index 1) to the 丑 month that starts at 小寒 of `year + 1`
/// (index 12). `year` must be in `MIN_YEAR..=LAST_FORTUNE_YEAR`.
pub fn months_of(year: i32) -> Result<[MonthFortune; 12], InputError> {
    check_year(year)?;
    let err = || InputError::FortuneYearOutOfRange { year };
    let this = jie_instants(year).ok_or_else(err)?;
    let next = jie_instants(year + 1).ok_or_else(err)?;
    Ok(std::array::from_fn(|i| {
        let index = i + 1;
        // The month of index i starts with this year's (i + 2)-th 节 (立春 is
        // the 2nd), index 12 with the next year's 1st (小寒).
        let at = this.get(index + 1).copied().unwrap_or(next[1]);
        MonthFortune {
            index,
            ganzhi: month_pillar(year, index + 1),
            start: SolarDateTime::from_instant(at),
        }
    }))
}

/// The days (流日) of Gregorian `year`-`month` with their day pillars.
/// `year` must be in `MIN_YEAR..=LAST_FORTUNE_YEAR`.
pub fn days_of(year: i32, month: u8) -> Result<Vec<DayFortune>, InputError> {
    let month = check_month(year, month)?;
    let first = day_number(year, month, 1);
    Ok((1..=days_in_month(year, month))
        .map(|day| DayFortune {
            date: SolarDate { year, month, day },
            ganzhi: day_pillar_of_day_number(first + i64::from(day) - 1),
        })
        .collect())
}

/// The twelve two-hour periods (流时) of the day `year`-`month`-`day`: 子
/// (from 23:00 of the previous day) … 亥 (21:00–22:59), hour stems by 五鼠遁
/// from this date's day stem. `year` must be in `MIN_YEAR..=LAST_FORTUNE_YEAR`.
pub fn hours_of(year: i32, month: u8, day: u8) -> Result<[HourFortune; 12], InputError> {
    let month = check_month(year, month)?;
    let day = u32::from(day);
    let dim = days_in_month(year, month);
    if day == 0 || day > dim {
        return Err(InputError::ImpossibleDate {
            year,
            month,
            day,
            days_in_month: dim,
        });
    }
    let n = day_number(year, month, day);
    let stem = day_pillar_of_day_number(n).stem;
    Ok(std::array::from_fn(|i| {
        let ganzhi = hour_pillar(stem, 2 * i as u32);
        HourFortune {
            branch: ganzhi.branch,
            ganzhi,
            start: SolarDateTime::from_instant(n * SECONDS_PER_DAY + (2 * i as i64 - 1) * 3600),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(date: &str, time: &str, gender: &str) -> BirthInput {
        BirthInput::parse(date, time, gender).expect("valid input")
    }

    #[test]
    fn direction_table() {
        assert_eq!(Direction::of(Stem::Jia, Gender::Male), Direction::Forward);
        assert_eq!(
            Direction::of(Stem::Jia, Gender::Female),
            Direction::Backward
        );
        assert_eq!(Direction::of(Stem::Yi, Gender::Male), Direction::Backward);
        assert_eq!(Direction::of(Stem::Yi, Gender::Female), Direction::Forward);
    }

    #[test]
    fn add_span_carries_like_tyme4rs() {
        let b = input("2000-01-31", "23:50", "male");
        // +1 month from 31 January: 31 February → 2 March (2000 is leap).
        assert_eq!(
            add_span(&b, 0, 1, 0, 0, 0).to_string(),
            "2000-03-02 23:50:00"
        );
        // Minutes and hours carry into the next day.
        assert_eq!(
            add_span(&b, 0, 0, 0, 0, 10).to_string(),
            "2000-02-01 00:00:00"
        );
        assert_eq!(
            add_span(&b, 1, 11, 29, 23, 58).to_string(),
            "2002-01-30 23:48:00"
        );
        let leap = input("2004-02-29", "12:00", "male");
        assert_eq!(
            add_span(&leap, 1, 0, 0, 0, 0).to_string(),
            "2005-03-01 12:00:00"
        );
    }

    #[test]
    fn empty_childhood_when_luck_starts_in_birth_year() {
        // 1990-01-04 is before 小寒 (1990-01-05 22:33); 己巳 year (yin) and
        // female: forward to 小寒, about one day away → a few months.
        let f = fortune(&input("1990-01-04", "12:00", "female")).expect("fortune");
        assert_eq!(f.direction, Direction::Forward);
        assert_eq!(f.start.years, 0);
        assert_eq!(f.start.date.year, 1990);
        let c = f.dayun[0];
        assert_eq!(
            (c.start_year, c.end_year, c.start_age, c.end_age),
            (1990, 1989, 1, 0)
        );
        assert_eq!(f.dayun[1].start_year, 1990);
        assert_eq!(f.luck_index_at(1990), 1);
        assert_eq!(f.liunian[0].dayun_index, 1);
    }

    #[test]
    fn luck_index_and_current() {
        let f = fortune(&input("1990-01-15", "12:00", "male")).expect("fortune");
        assert_eq!(f.luck_index_at(1985), 0);
        assert_eq!(f.luck_index_at(1992), 0);
        assert_eq!(f.luck_index_at(1993), 1);
        assert_eq!(f.luck_index_at(2002), 1);
        assert_eq!(f.luck_index_at(2003), 2);
        assert_eq!(f.luck_index_at(2092), 10);
        assert_eq!(f.luck_index_at(2093), 11);
        let (cur, next) = f.current_and_next(2024);
        assert_eq!(cur.map(|l| l.index), Some(4));
        assert_eq!(next.map(|l| l.index), Some(5));
        let (cur, next) = f.current_and_next(1980);
        assert_eq!((cur, next.map(|l| l.index)), (None, Some(0)));
        let (cur, next) = f.current_and_next(2092);
        assert_eq!((cur.map(|l| l.index), next), (Some(10), None));
        assert_eq!(f.current_and_next(2093), (None, None));
        assert_eq!(f.year(2024).map(|y| y.age), Some(35));
        assert_eq!(f.year(1989), None);
        assert_eq!(f.year(2093), None);
        for y in &f.liunian {
            assert_eq!(y.dayun_index, f.luck_index_at(y.year), "{}", y.year);
            assert!(f.dayun[y.dayun_index].contains_year(y.year));
        }
    }

    #[test]
    fn fortune_years_stay_within_the_fortune_calendar() {
        // The latest births reach furthest; every listed year must have 流月.
        for day in 1..=31 {
            for hour in [0, 12, 23] {
                for gender in ["male", "female"] {
                    let f = fortune(&input(
                        &format!("2100-12-{day:02}"),
                        &format!("{hour}:00"),
                        gender,
                    ))
                    .expect("fortune");
                    let last = f.liunian.last().expect("years").year;
                    assert!(last <= LAST_FORTUNE_YEAR, "{last}");
                    assert_eq!(last, f.dayun[LUCK_PILLAR_COUNT].end_year);
                }
            }
        }
        assert!(months_of(LAST_FORTUNE_YEAR).is_ok());
        assert!(jie_instants(LAST_FORTUNE_YEAR + 2).is_none());
    }

    #[test]
    fn calendar_errors() {
        let e = months_of(LAST_FORTUNE_YEAR + 1).expect_err("too late");
        assert_eq!(e, InputError::FortuneYearOutOfRange { year: 2221 });
        assert_eq!(e.field(), "year");
        assert_eq!(
            e.to_string(),
            "year: 2221 is outside the fortune calendar; expected a year from 1900 to 2220 inclusive"
        );
        assert!(months_of(1899).is_err());
        assert!(months_of(i32::MIN).is_err());
        assert!(months_of(i32::MAX).is_err());
        assert!(days_of(i32::MAX, 1).is_err());
        assert_eq!(days_of(2024, 13).expect_err("month").field(), "solar_date");
        assert_eq!(days_of(2024, 0).expect_err("month").field(), "solar_date");
        assert_eq!(days_of(2024, 2).expect("days").len(), 29);
        assert_eq!(days_of(2100, 2).expect("days").len(), 28);
        assert!(hours_of(2023, 2, 29).is_err());
        assert!(hours_of(2024, 2, 29).is_ok());
        assert!(hours_of(2024, 2, 0).is_err());
        assert!(hours_of(1899, 12, 31).is_err());
        let bad = BirthInput {
            year: 2200,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            gender: Gender::Male,
        };
        assert_eq!(fortune(&bad).expect_err("range").field(), "solar_date");
    }

    #[test]
    fn json_shape() {
        let f = fortune(&input("1990-01-15", "12:00", "male")).expect("fortune");
        let v = serde_json::to_value(&f).expect("json");
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(keys.len(), 4);
        for k in ["direction", "qiyun", "dayun", "liunian"] {
            assert!(v.get(k).is_some(), "{k}");
        }
        assert_eq!(v["direction"], "backward");
        assert_eq!(v["dayun"][0]["ganzhi"], serde_json::Value::Null);
        assert_eq!(v["dayun"][0]["life_stage"], serde_json::Value::Null);
        assert_eq!(v["dayun"][1]["ganzhi"], "丙子");
        assert_eq!(v["liunian"][0]["ganzhi"], "庚午");
        let h = serde_json::to_value(hours_of(2024, 1, 1).expect("hours")).expect("json");
        assert_eq!(h[0]["start"], "2023-12-31 23:00:00");
        assert_eq!(h[0]["branch"], "子");
    }
}

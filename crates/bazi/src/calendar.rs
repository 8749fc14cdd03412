//! Calendar science: the four pillars and the lunar date of a birth moment.
//!
//! All astronomy comes from `tyme4rs`. What this module adds is speed:
//!
//! * **Per-year table, built once.** For every Gregorian year in
//!   `MIN_YEAR - 1 ..= MAX_YEAR + 1` a year table is built lazily
//!   (on first use, or all at once by [`preload`]) from `tyme4rs` and kept in a
//!   `OnceLock` slot. It holds the exact instants (to the second, as `tyme4rs`
//!   rounds them) of that year's twelve 节 (小寒, 立春, 惊蛰, …, 大雪) plus the
//!   previous year's 大雪, and the first days of all lunar months of the lunar
//!   years `Y - 1` and `Y`, which together cover every day of Gregorian year `Y`.
//!   Beyond the chart range, up to [`JIE_LAST_YEAR`] (2221), only the 节
//!   instants are cached, likewise per year on first use: a fortune's 流年
//!   reach about 110 years past the birth, and their 流月 need those 节.
//! * **Day arithmetic.** Dates are turned into a day number (days since
//!   1970-01-01, proleptic Gregorian) and instants into seconds since
//!   1970-01-01 00:00 of the same civil time scale. The sexagenary day is
//!   `(day_number - day_number(2000-01-07)) mod 60`; 2000-01-07 is 甲子, the
//!   same anchor `tyme4rs` uses (`SixtyCycleDay::from_solar_day`), and the tests
//!   compare every day of the supported range with `tyme4rs`.
//!
//! Times are Beijing civil time (UTC+8), the time scale of `tyme4rs`'s solar
//! terms; no true-solar-time or daylight-saving correction is applied.
//!
//! Pillar rules:
//!
//! * **Year** changes at the exact 立春 instant: a moment before 立春 of its
//!   Gregorian year belongs to the previous sexagenary year. (The moment is the
//!   birth instant, except in the late 子 hour; see below.)
//! * **Month** changes at the exact instant of each 节 (same moment as for the
//!   year). The month's sexagenary number is counted continuously: the month
//!   that starts with the `k`-th 节 of Gregorian year `Y` (`k = 1` 小寒 …
//!   `k = 12` 大雪; `k = 0` is the previous year's 大雪) is
//!   `(12·Y − 48 + k) mod 60`, which is 五虎遁 applied to the year of that 立春
//!   (e.g. 2024 立春 → 丙寅).
//! * **Day** from the date (see above).
//! * **Hour** branch from the clock (子 = 23:00–00:59, 丑 = 01:00–02:59, …), hour
//!   stem by 五鼠遁 from the day stem.
//! * **Late 子 hour** (23:00–23:59): the chart is read at the next day's
//!   00:mm — the same minutes past midnight as the birth, i.e. exactly one hour
//!   after the real birth instant. The day pillar is the next day's, the hour
//!   pillar is 子 with the stem 五鼠遁 gives for the next day's stem, and the
//!   month **and** year pillars are the ones in force at next-day 00:mm (not at
//!   00:00, and not at the real instant). This matches the original system,
//!   which builds the chart of a late-子 birth from the next day's date at
//!   00:mm; e.g. 1982-01-05 23:06 has month 辛丑, because 小寒 (1982-01-06
//!   00:02:35) has begun by 1982-01-06 00:06, while 1982-01-05 23:02 (looked up
//!   at 00:02:00) is still 庚子. The year pillar uses the same lookup instant
//!   so that year and month always agree: when 立春 falls inside that hour
//!   (e.g. 1980-02-05 00:09:28) a birth at 1980-02-04 23:10 is 庚申 year, 戊寅
//!   month — never the old year with the new year's 寅 month.

use std::sync::OnceLock;

use serde::Serialize;
use tyme4rs::tyme::lunar::LunarYear;
use tyme4rs::tyme::solar::{SolarDay, SolarTerm, SolarTime};

use crate::ganzhi::{Branch, Pillar, Stem};
use crate::input::{BirthInput, MAX_YEAR, MIN_YEAR};
use crate::pillars::FourPillars;

pub(crate) const SECONDS_PER_DAY: i64 = 86_400;

/// Day number (days since 1970-01-01, proleptic Gregorian) of a valid date.
pub const fn day_number(year: i32, month: u32, day: u32) -> i64 {
    // Days-from-civil with March-based years, so February is the last month.
    let y = (if month <= 2 { year - 1 } else { year }) as i64;
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Gregorian date `(year, month, day)` of a day number.
pub const fn date_of_day_number(n: i64) -> (i32, u32, u32) {
    let z = n + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    let year = (yoe + era * 400 + if month <= 2 { 1 } else { 0 }) as i32;
    (year, month, day)
}

/// Seconds since 1970-01-01 00:00 (same civil time scale) of a valid date and time.
pub const fn instant(year: i32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> i64 {
    day_number(year, month, day) * SECONDS_PER_DAY
        + hour as i64 * 3600
        + minute as i64 * 60
        + second as i64
}

/// Day number of 2000-01-07, a 甲子 day.
const JIA_ZI_DAY: i64 = day_number(2000, 1, 7);

/// Names of the twelve 节 of a Gregorian year, in order.
pub const JIE_NAMES: [&str; 12] = [
    "小寒", "立春", "惊蛰", "清明", "立夏", "芒种", "小暑", "立秋", "白露", "寒露", "立冬", "大雪",
];

/// Lunar date; `month` is 1..=12 and `is_leap_month` marks a leap month (闰月).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct LunarDate {
    /// Lunar year (the Gregorian year in which its 正月初一 falls).
    pub year: i32,
    /// Lunar month 1..=12 (always positive; see `is_leap_month`).
    pub month: u32,
    /// Day of the lunar month, 1..=30.
    pub day: u32,
    /// `true` for a leap month (e.g. 闰二月 is `month: 2, is_leap_month: true`).
    pub is_leap_month: bool,
}

/// First day of one lunar month.
#[derive(Clone, Copy, Debug)]
struct LunarMonthStart {
    first_day: i64,
    year: i32,
    /// Month number, negative for a leap month (the `tyme4rs` convention).
    month: i32,
}

/// Everything the pillar and lunar computations need about one Gregorian year.
#[derive(Debug)]
struct YearTable {
    /// `jie[0]`: previous year's 大雪; `jie[k]`, `k = 1..=12`: this year's
    /// `JIE_NAMES[k - 1]`. Seconds, see [`instant`]. Ascending.
    jie: [i64; 13],
    /// First days of the lunar months of lunar years `Y - 1` and `Y`, ascending.
    lunar_months: Vec<LunarMonthStart>,
}

const TABLE_FIRST_YEAR: i32 = MIN_YEAR - 1;
const TABLE_LAST_YEAR: i32 = MAX_YEAR + 1;
const TABLE_LEN: usize = (TABLE_LAST_YEAR - TABLE_FIRST_YEAR + 1) as usize;

static TABLES: [OnceLock<YearTable>; TABLE_LEN] = [const { OnceLock::new() }; TABLE_LEN];

fn solar_time_instant(t: &SolarTime) -> i64 {
    instant(
        t.get_year() as i32,
        t.get_month() as u32,
        t.get_day() as u32,
        t.get_hour() as u32,
        t.get_minute() as u32,
        t.get_second() as u32,
    )
}

fn solar_day_number(d: &SolarDay) -> i64 {
    day_number(
        d.get_year() as i32,
        d.get_month() as u32,
        d.get_day() as u32,
    )
}

/// Exact instant of solar term `index` of `year` in `tyme4rs` numbering
/// (0 = 冬至 of the previous December, 1 = 小寒, 3 = 立春, …, 23 = 大雪).
fn term_instant(year: i32, index: isize) -> i64 {
    let time = SolarTerm::from_index(year as isize, index)
        .get_julian_day()
        .get_solar_time();
    solar_time_instant(&time)
}

/// The 节 row of a year table: previous year's 大雪, then this year's twelve 节.
fn build_jie_row(year: i32) -> [i64; 13] {
    let mut jie = [0i64; 13];
    jie[0] = term_instant(year - 1, 23);
    for (k, slot) in jie.iter_mut().enumerate().skip(1) {
        *slot = term_instant(year, 2 * k as isize - 1);
    }
    jie
}

fn build_year_table(year: i32) -> YearTable {
    let jie = build_jie_row(year);
    let mut lunar_months = Vec::with_capacity(26);
    for lunar_year in [year - 1, year] {
        for m in LunarYear::from_year(lunar_year as isize).get_months() {
            let first = m.get_first_julian_day().get_solar_day();
            lunar_months.push(LunarMonthStart {
                first_day: solar_day_number(&first),
                year: m.get_year() as i32,
                month: m.get_month_with_leap() as i32,
            });
        }
    }
    lunar_months.sort_by_key(|m| m.first_day);
    YearTable { jie, lunar_months }
}

/// The table for `year`, building it on first use; `None` outside the table range.
fn year_table(year: i32) -> Option<&'static YearTable> {
    if !(TABLE_FIRST_YEAR..=TABLE_LAST_YEAR).contains(&year) {
        return None;
    }
    let slot = TABLES.get((year - TABLE_FIRST_YEAR) as usize)?;
    Some(slot.get_or_init(|| build_year_table(year)))
}

/// Builds the per-year tables for the whole supported range now (and the 节
/// rows of the later years a fortune reaches, up to [`JIE_LAST_YEAR`]), so
/// that no later chart or fortune pays for it. Optional: tables are otherwise
/// built on first use (roughly a millisecond per year).
pub fn preload() {
    for year in TABLE_FIRST_YEAR..=JIE_LAST_YEAR {
        let _ = jie_instants(year);
    }
}

/// Last Gregorian year whose 节 instants are available ([`jie_times`]): one
/// past [`crate::input::LAST_FORTUNE_YEAR`], because the 丑 month of a
/// fortune year starts at the next year's 小寒.
pub const JIE_LAST_YEAR: i32 = crate::input::LAST_FORTUNE_YEAR + 1;

const EXTRA_JIE_LEN: usize = (JIE_LAST_YEAR - TABLE_LAST_YEAR) as usize;

/// 节 rows for the years after the chart range (`TABLE_LAST_YEAR + 1 ..=
/// JIE_LAST_YEAR`), which only the fortune calendar (流月) needs: 节 instants
/// only, no lunar months.
static EXTRA_JIE: [OnceLock<[i64; 13]>; EXTRA_JIE_LEN] = [const { OnceLock::new() }; EXTRA_JIE_LEN];

/// The 节 instants of Gregorian `year` (seconds, see [`instant`]): index 0 is
/// the previous year's 大雪, index `k = 1..=12` this year's `JIE_NAMES[k - 1]`.
/// Built on first use and cached; `None` outside
/// `MIN_YEAR - 1 ..= JIE_LAST_YEAR`.
pub(crate) fn jie_instants(year: i32) -> Option<&'static [i64; 13]> {
    if year <= TABLE_LAST_YEAR {
        return year_table(year).map(|t| &t.jie);
    }
    if year > JIE_LAST_YEAR {
        return None;
    }
    let slot = EXTRA_JIE.get(usize::try_from(year - TABLE_LAST_YEAR - 1).ok()?)?;
    Some(slot.get_or_init(|| build_jie_row(year)))
}

/// Year pillar of the sexagenary year that starts at 立春 of Gregorian `year`.
pub const fn year_pillar(year: i32) -> Pillar {
    Pillar::from_cycle_index((year as i64 - 4).rem_euclid(60) as usize)
}

/// Month pillar of the month that starts with the `k`-th 节 of Gregorian
/// `year` (`k = 1` 小寒 … `k = 12` 大雪; `k = 0` is the previous year's 大雪):
/// sexagenary number `12·year − 48 + k`, i.e. 五虎遁.
pub const fn month_pillar(year: i32, k: usize) -> Pillar {
    Pillar::from_cycle_index((12 * year as i64 - 48 + k as i64).rem_euclid(60) as usize)
}

/// Exact instant (to the second) of one 节.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JieTime {
    /// Name, e.g. `"立春"`.
    pub name: &'static str,
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

/// The twelve 节 of `year` (小寒 … 大雪) with their exact instants, for
/// `MIN_YEAR - 1 ..=` [`JIE_LAST_YEAR`] (the chart range plus the years a
/// fortune can reach).
pub fn jie_times(year: i32) -> Option<[JieTime; 12]> {
    let jie = jie_instants(year)?;
    Some(std::array::from_fn(|k| {
        let t = jie[k + 1];
        let (y, m, d) = date_of_day_number(t.div_euclid(SECONDS_PER_DAY));
        let s = t.rem_euclid(SECONDS_PER_DAY) as u32;
        JieTime {
            name: JIE_NAMES[k],
            year: y,
            month: m,
            day: d,
            hour: s / 3600,
            minute: s % 3600 / 60,
            second: s % 60,
        }
    }))
}

/// Lunar date of a Gregorian date in the supported range.
pub fn lunar_date(year: i32, month: u32, day: u32) -> Option<LunarDate> {
    let table = year_table(year)?;
    let n = day_number(year, month, day);
    let i = table
        .lunar_months
        .partition_point(|m| m.first_day <= n)
        .checked_sub(1)?;
    let m = table.lunar_months.get(i)?;
    Some(LunarDate {
        year: m.year,
        month: m.month.unsigned_abs(),
        day: u32::try_from(n - m.first_day + 1).ok()?,
        is_leap_month: m.month < 0,
    })
}

/// Sexagenary day of a day number.
pub const fn day_pillar_of_day_number(n: i64) -> Pillar {
    Pillar::from_cycle_index((n - JIA_ZI_DAY).rem_euclid(60) as usize)
}

/// Stem of the 子 hour for each day stem (五鼠遁: 甲己还加甲, 乙庚丙作初,
/// 丙辛从戊起, 丁壬庚子居, 戊癸何方发, 壬子是真途), indexed by `day stem mod 5`.
const ZI_HOUR_STEM: [Stem; 5] = [Stem::Jia, Stem::Bing, Stem::Wu, Stem::Geng, Stem::Ren];

/// Hour pillar for a clock hour (0..=23) on a day with stem `day_stem`.
///
/// For hour 23 pass the *next* day's stem (late 子 hour).
pub const fn hour_pillar(day_stem: Stem, hour: u32) -> Pillar {
    let branch = Branch::from_index((hour as usize).div_ceil(2));
    Pillar {
        stem: ZI_HOUR_STEM[day_stem.index() % 5].add(branch.index()),
        branch,
    }
}

/// Instant (seconds, see [`instant`]) at which the year and month pillars of a
/// late-子 birth (23:`minute`) are looked up: `minute` minutes past midnight of
/// `next_day`, the day after the birth date — **not** 00:00 of that day and
/// not the real birth instant.
///
/// Why: compatibility with the original system, which charts a birth in the
/// late 子 hour as the next day's 00:mm and so takes the month (and year) in
/// force at that moment. A 节 that falls between 00:00 and 00:mm of the next
/// day therefore already counts: 1982-01-05 23:06 is in the 辛丑 month because
/// 小寒 came at 1982-01-06 00:02:35, before the lookup instant 00:06.
pub const fn late_zi_lookup_instant(next_day: i64, minute: u32) -> i64 {
    next_day * SECONDS_PER_DAY + minute as i64 * 60
}

/// Result of the calendar step of a chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalendarFacts {
    /// The four pillars.
    pub pillars: FourPillars<Pillar>,
    /// Whether the late-子 rule applied (birth 23:00–23:59): day and hour pillars
    /// from the next day, year and month pillars looked up at the next day's
    /// 00:mm (see [`late_zi_lookup_instant`]).
    pub late_zi_adjusted: bool,
    /// Lunar date of the original Gregorian date.
    pub lunar_date: LunarDate,
}

/// Computes pillars and lunar date for a validated input; `None` only when the
/// input is outside the supported range.
pub fn calendar_facts(input: &BirthInput) -> Option<CalendarFacts> {
    if !(MIN_YEAR..=MAX_YEAR).contains(&input.year) {
        return None;
    }
    let today = day_number(input.year, input.month, input.day);
    let late_zi_adjusted = input.hour == 23;
    // The instant at which the year and month pillars are looked up, and the
    // day whose day pillar is used.
    let (pillar_day, lookup) = if late_zi_adjusted {
        let next = today + 1;
        (next, late_zi_lookup_instant(next, input.minute))
    } else {
        let t =
            today * SECONDS_PER_DAY + i64::from(input.hour) * 3600 + i64::from(input.minute) * 60;
        (today, t)
    };
    // Gregorian year of the lookup instant (the next year for 12-31 23:mm).
    let lookup_year = date_of_day_number(pillar_day).0;
    let table = year_table(lookup_year)?;

    // Year pillar: the lookup instant against that Gregorian year's 立春 (jie[2]).
    let sexagenary_year = if lookup >= table.jie[2] {
        lookup_year
    } else {
        lookup_year - 1
    };
    let year = year_pillar(sexagenary_year);

    // Month pillar: number of this year's 节 reached by the lookup instant.
    let k = table.jie[1..].partition_point(|&j| j <= lookup);
    let month = month_pillar(lookup_year, k);

    let day = day_pillar_of_day_number(pillar_day);
    let hour = hour_pillar(day.stem, input.hour);

    let lunar_date = lunar_date(input.year, input.month, input.day)?;
    Some(CalendarFacts {
        pillars: FourPillars {
            year,
            month,
            day,
            hour,
        },
        late_zi_adjusted,
        lunar_date,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tyme4rs::tyme::Culture;
    use tyme4rs::tyme::Tyme;

    #[test]
    fn day_number_round_trips() {
        assert_eq!(day_number(1970, 1, 1), 0);
        assert_eq!(day_number(2000, 1, 1), 10_957);
        let mut n = day_number(1899, 1, 1);
        let end = day_number(2101, 12, 31);
        let mut expected = (1899, 1, 1);
        while n <= end {
            let d = date_of_day_number(n);
            assert_eq!(d, expected);
            assert_eq!(day_number(d.0, d.1, d.2), n);
            // advance expected
            let (y, m, dd) = expected;
            expected = if dd < crate::input::days_in_month(y, m) {
                (y, m, dd + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
            n += 1;
        }
    }

    #[test]
    fn day_pillar_matches_tyme4rs_every_day() {
        let mut day = SolarDay::from_ymd(1900, 1, 1);
        let mut n = day_number(1900, 1, 1);
        let end = day_number(2100, 12, 31);
        let mut cycle = tyme4rs::tyme::sixtycycle::SixtyCycle::from_index(
            day.subtract(SolarDay::from_ymd(2000, 1, 7)),
        );
        // Check the anchor with tyme4rs's lunar-day route once, then walk.
        assert_eq!(
            day.get_lunar_day().get_sixty_cycle().get_name(),
            cycle.get_name()
        );
        while n <= end {
            assert_eq!(
                day_pillar_of_day_number(n).name(),
                cycle.get_name(),
                "{day}"
            );
            n += 1;
            day = day.next(1);
            cycle = cycle.next(1);
        }
        assert_eq!(day.get_year(), 2101);
    }

    #[test]
    fn jie_table_matches_tyme4rs() {
        for year in [1900, 1949, 1990, 2000, 2024, 2100] {
            let times = jie_times(year).expect("in range");
            for (k, jt) in times.iter().enumerate() {
                let term = SolarTerm::from_index(year as isize, 2 * k as isize + 1);
                assert_eq!(term.get_name(), jt.name);
                let t = term.get_julian_day().get_solar_time();
                assert_eq!(
                    (
                        t.get_year() as i32,
                        t.get_month() as u32,
                        t.get_day() as u32
                    ),
                    (jt.year, jt.month, jt.day)
                );
                assert_eq!(
                    (
                        t.get_hour() as u32,
                        t.get_minute() as u32,
                        t.get_second() as u32
                    ),
                    (jt.hour, jt.minute, jt.second)
                );
            }
        }
        assert!(jie_times(1800).is_none());
    }

    #[test]
    fn hour_pillar_five_rats() {
        // 甲日 子时 甲子, 乙日 子时 丙子, 戊日 子时 壬子; 午时 of 庚 day is 壬午.
        assert_eq!(hour_pillar(Stem::Jia, 0).name(), "甲子");
        assert_eq!(hour_pillar(Stem::Yi, 0).name(), "丙子");
        assert_eq!(hour_pillar(Stem::Wu, 0).name(), "壬子");
        assert_eq!(hour_pillar(Stem::Geng, 12).name(), "壬午");
        assert_eq!(hour_pillar(Stem::Geng, 11).name(), "壬午");
        assert_eq!(hour_pillar(Stem::Geng, 13).name(), "癸未");
        assert_eq!(hour_pillar(Stem::Jia, 23).name(), "甲子");
    }

    #[test]
    fn lunar_examples() {
        let l = lunar_date(1990, 1, 15).expect("in range");
        assert_eq!(
            (l.year, l.month, l.day, l.is_leap_month),
            (1989, 12, 19, false)
        );
        // 2023 had a leap 2nd month: 2023-03-22 is 闰二月初一.
        let l = lunar_date(2023, 3, 22).expect("in range");
        assert_eq!(
            (l.year, l.month, l.day, l.is_leap_month),
            (2023, 2, 1, true)
        );
        let l = lunar_date(1900, 1, 1).expect("in range");
        assert_eq!((l.year, l.month, l.day), (1899, 12, 1));
    }
}

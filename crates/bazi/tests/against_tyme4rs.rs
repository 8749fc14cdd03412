//! Property tests: the fast calendar path agrees with `tyme4rs`'s own
//! computations over random moments of the supported range, the day pillar
//! advances by one every day, and the month (and year) pillar changes exactly
//! at the 节 (and 立春) instants — in the late 子 hour, at the next day's 00:mm.

mod common;

use bazi::calendar::{date_of_day_number, day_number, lunar_date};
use bazi::{chart, BirthInput, Gender};
use common::{our_pillars, tyme_pillars, Rng};
use tyme4rs::tyme::solar::{SolarDay, SolarTerm};
use tyme4rs::tyme::Culture;

const FIRST: i64 = day_number(1900, 1, 1);
const LAST: i64 = day_number(2100, 12, 31);

fn random_moment(rng: &mut Rng) -> (i32, u32, u32, u32, u32) {
    let (y, m, d) = date_of_day_number(rng.range(FIRST, LAST));
    (y, m, d, rng.range(0, 23) as u32, rng.range(0, 59) as u32)
}

/// What our pillars must be according to `tyme4rs`: identical outside
/// 23:00–23:59; in the late 子 hour `tyme4rs` already moves day and hour to
/// the next day, and the year and month pillars must be the ones in force at
/// the next day's 00:mm (same minute), like the original system.
fn expected_pillars(y: i32, m: u32, d: u32, h: u32, mi: u32) -> [String; 4] {
    let mut expected = tyme_pillars(y, m, d, h, mi);
    if h == 23 {
        let (ny, nm, nd) = date_of_day_number(day_number(y, m, d) + 1);
        let next = tyme_pillars(ny, nm, nd, 0, mi);
        expected[0] = next[0].clone();
        expected[1] = next[1].clone();
    }
    expected
}

#[test]
fn random_moments_match_tyme4rs() {
    let mut rng = Rng::new(0x5EED_0001);
    for _ in 0..4000 {
        let (y, m, d, h, mi) = random_moment(&mut rng);
        assert_eq!(
            our_pillars(y, m, d, h, mi),
            expected_pillars(y, m, d, h, mi),
            "{y:04}-{m:02}-{d:02} {h:02}:{mi:02}"
        );
    }
}

#[test]
fn late_zi_hour_at_year_end_matches_tyme4rs() {
    // 23:xx on 31 December takes month, day and hour from 1 January.
    for year in 1900..=2100 {
        assert_eq!(
            our_pillars(year, 12, 31, 23, 30),
            expected_pillars(year, 12, 31, 23, 30),
            "{year}-12-31 23:30"
        );
    }
}

#[test]
fn every_hour_boundary_of_random_days_matches_tyme4rs() {
    let mut rng = Rng::new(0x5EED_0002);
    for _ in 0..150 {
        let (y, m, d) = date_of_day_number(rng.range(FIRST, LAST));
        for h in 0..24 {
            for mi in [0, 59] {
                assert_eq!(
                    our_pillars(y, m, d, h, mi),
                    expected_pillars(y, m, d, h, mi),
                    "{y:04}-{m:02}-{d:02} {h:02}:{mi:02}"
                );
            }
        }
    }
}

fn day_cycle_index(y: i32, m: u32, d: u32, h: u32, mi: u32) -> usize {
    let input = BirthInput::new(y, m, d, h, mi, Gender::Female).expect("valid");
    chart(&input).expect("chart").bazi_pillars.day.cycle_index()
}

#[test]
fn day_pillar_advances_by_one_every_day() {
    let mut prev = day_cycle_index(1900, 1, 1, 12, 0);
    for n in FIRST + 1..=LAST {
        let (y, m, d) = date_of_day_number(n);
        let today = day_cycle_index(y, m, d, 12, 0);
        assert_eq!(today, (prev + 1) % 60, "{y:04}-{m:02}-{d:02}");
        // The late 子 hour of the previous day already has today's day pillar.
        let (py, pm, pd) = date_of_day_number(n - 1);
        assert_eq!(
            day_cycle_index(py, pm, pd, 23, 15),
            today,
            "{py}-{pm}-{pd} 23:15"
        );
        prev = today;
    }
}

/// Exact instant of a 节 from `tyme4rs`, as (day number, seconds in day).
fn term_instant(year: i32, index: isize) -> (i64, i64) {
    let t = SolarTerm::from_index(year as isize, index)
        .get_julian_day()
        .get_solar_time();
    (
        day_number(
            t.get_year() as i32,
            t.get_month() as u32,
            t.get_day() as u32,
        ),
        (t.get_hour() * 3600 + t.get_minute() * 60 + t.get_second()) as i64,
    )
}

fn moment(minutes: i64) -> (i32, u32, u32, u32, u32) {
    let (y, m, d) = date_of_day_number(minutes.div_euclid(1440));
    let r = minutes.rem_euclid(1440);
    (y, m, d, (r / 60) as u32, (r % 60) as u32)
}

fn cycle_of(name: &str, c: &bazi::Chart, which: usize) -> usize {
    let p = c.bazi_pillars.to_array()[which];
    assert_eq!(p.name(), name);
    p.cycle_index()
}

#[test]
fn month_pillar_changes_exactly_at_each_jie() {
    let mut checked = 0;
    for year in 1900..=2100 {
        for k in 0..12 {
            let index = 2 * k + 1; // 小寒, 立春, …, 大雪
            let (day, secs) = term_instant(year, index);
            // First whole minute at or after the instant, and the minute before it.
            let at = day * 1440 + (secs + 59) / 60;
            let before = at - 1;
            let jie_second = day * 86400 + secs;
            let (by, bm, bd, bh, bmi) = moment(before);
            let (ay, am, ad, ah, ami) = moment(at);
            let c_before =
                chart(&BirthInput::new(by, bm, bd, bh, bmi, Gender::Male).expect("valid"))
                    .expect("chart");
            let c_at = chart(&BirthInput::new(ay, am, ad, ah, ami, Gender::Male).expect("valid"))
                .expect("chart");
            let mb = c_before.bazi_pillars.month.cycle_index();
            let ma = c_at.bazi_pillars.month.cycle_index();
            // The month (and year) instant is the real one, or the next day's
            // 00:mm in the late 子 hour.
            let month_instant = |y, m, d, h: u32, mi: u32| {
                if h == 23 {
                    (day_number(y, m, d) + 1) * 86400 + i64::from(mi) * 60
                } else {
                    day_number(y, m, d) * 86400 + i64::from(h) * 3600 + i64::from(mi) * 60
                }
            };
            let before_is_new = month_instant(by, bm, bd, bh, bmi) >= jie_second;
            assert!(month_instant(ay, am, ad, ah, ami) >= jie_second);
            if before_is_new {
                assert_eq!(mb, ma, "{year} #{k}: late 子 hour already in the new month");
            } else {
                assert_eq!((mb + 1) % 60, ma, "{year} #{k}: month changes at the 节");
            }
            // And both sides agree with tyme4rs.
            let tb = expected_pillars(by, bm, bd, bh, bmi);
            let ta = expected_pillars(ay, am, ad, ah, ami);
            cycle_of(&tb[1], &c_before, 1);
            cycle_of(&ta[1], &c_at, 1);
            // 立春 also switches the year pillar, at the same instant as the month.
            let yb = c_before.bazi_pillars.year.cycle_index();
            let ya = c_at.bazi_pillars.year.cycle_index();
            if k == 1 && !before_is_new {
                assert_eq!((yb + 1) % 60, ya, "{year}: year changes at 立春");
            } else {
                assert_eq!(yb, ya, "{year} #{k}: year unchanged");
            }
            cycle_of(&tb[0], &c_before, 0);
            cycle_of(&ta[0], &c_at, 0);
            checked += 1;
        }
    }
    assert_eq!(checked, 201 * 12);
}

/// Every 节 of 1900–2100 that falls between 00:00 and 01:00: for each minute
/// of the late 子 hour of the day before, the month (and, for 立春, the year)
/// is the new one exactly when next-day 00:mm is at or after the 节 instant,
/// and it agrees with `tyme4rs` at next-day 00:mm.
#[test]
fn late_zi_month_switches_at_next_day_same_minute() {
    let mut windows = 0;
    for year in 1900..=2100 {
        for k in 0..12 {
            let (day, secs) = term_instant(year, 2 * k + 1);
            if secs >= 3600 || day - 1 < FIRST {
                continue;
            }
            windows += 1;
            let (py, pm, pd) = date_of_day_number(day - 1);
            let chart_at = |mi: u32| {
                chart(&BirthInput::new(py, pm, pd, 23, mi, Gender::Male).expect("valid"))
                    .expect("chart")
            };
            // 22:59 the day before is not late 子 and before the 节.
            let old = chart(&BirthInput::new(py, pm, pd, 22, 59, Gender::Male).expect("valid"))
                .expect("chart");
            let old_month = old.bazi_pillars.month.cycle_index();
            let old_year = old.bazi_pillars.year.cycle_index();
            for mi in 0..60u32 {
                let c = chart_at(mi);
                let is_new = i64::from(mi) * 60 >= secs;
                let month = c.bazi_pillars.month.cycle_index();
                let year_index = c.bazi_pillars.year.cycle_index();
                let tag = format!("{py:04}-{pm:02}-{pd:02} 23:{mi:02} ({year} #{k})");
                if is_new {
                    assert_eq!(month, (old_month + 1) % 60, "{tag}: new month");
                } else {
                    assert_eq!(month, old_month, "{tag}: old month");
                }
                if k == 1 && is_new {
                    assert_eq!(year_index, (old_year + 1) % 60, "{tag}: new year");
                } else {
                    assert_eq!(year_index, old_year, "{tag}: same year");
                }
                assert_eq!(
                    our_pillars(py, pm, pd, 23, mi),
                    expected_pillars(py, pm, pd, 23, mi),
                    "{tag}"
                );
            }
        }
    }
    // tyme4rs 1.5 puts 102 of the 2,412 节 of 1900–2100 (8 of them 立春)
    // between 00:00 and 01:00.
    assert_eq!(windows, 102);
}

#[test]
fn lunar_dates_match_tyme4rs() {
    let check = |n: i64| {
        let (y, m, d) = date_of_day_number(n);
        let ours = lunar_date(y, m, d).expect("in range");
        let t = SolarDay::from_ymd(y as isize, m as usize, d as usize).get_lunar_day();
        let month = t.get_lunar_month();
        assert_eq!(
            (
                ours.year as isize,
                ours.month as usize,
                ours.day as usize,
                ours.is_leap_month
            ),
            (
                month.get_year(),
                month.get_month(),
                t.get_day(),
                month.is_leap()
            ),
            "{y:04}-{m:02}-{d:02}: {}",
            t.get_name()
        );
    };
    let mut rng = Rng::new(0x5EED_0003);
    for _ in 0..3000 {
        check(rng.range(FIRST, LAST));
    }
    // Whole years at both ends of the range and around leap months (1900 闰八月,
    // 2023 闰二月, 2033 闰十一月, 2100).
    for year in [1900, 2023, 2033, 2100] {
        for n in day_number(year, 1, 1)..=day_number(year, 12, 31) {
            check(n);
        }
    }
}

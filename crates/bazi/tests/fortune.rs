//! The fortune (大运, 流年, 流月, 流日, 流时) against worked examples and against
//! `tyme4rs`'s `ChildLimit`, `DecadeFortune` and `Fortune` (default child-limit
//! provider), over random births of every decade of 1901–2099.

mod common;

use bazi::calendar::{date_of_day_number, day_number, jie_times};
use bazi::fortune::{days_of, hours_of, months_of, SolarDateTime, LUCK_PILLAR_COUNT};
use bazi::{chart, fortune, BirthInput, Direction, Fortune, Gender};
use common::Rng;
use tyme4rs::tyme::eightchar::{ChildLimit, DecadeFortune, Fortune as TymeFortune};
use tyme4rs::tyme::enums::Gender as TymeGender;
use tyme4rs::tyme::sixtycycle::SixtyCycleYear;
use tyme4rs::tyme::solar::{SolarDay, SolarTerm, SolarTime};
use tyme4rs::tyme::{Culture, Tyme};

fn input(date: &str, time: &str, gender: &str) -> BirthInput {
    BirthInput::parse(date, time, gender).expect("valid input")
}

fn fortune_of(date: &str, time: &str, gender: &str) -> Fortune {
    fortune(&input(date, time, gender)).expect("fortune")
}

fn tyme_time(t: &SolarTime) -> SolarDateTime {
    SolarDateTime {
        year: t.get_year() as i32,
        month: t.get_month() as u32,
        day: t.get_day() as u32,
        hour: t.get_hour() as u32,
        minute: t.get_minute() as u32,
        second: t.get_second() as u32,
    }
}

fn ganzhi(p: Option<bazi::ganzhi::Pillar>) -> String {
    p.map(|p| p.name()).unwrap_or_default()
}

/// Checks every part of our fortune for `input` against `tyme4rs`.
fn check_against_tyme4rs(input: &BirthInput) {
    let tag = format!(
        "{} {} {}",
        input.solar_date_string(),
        input.solar_time_string(),
        input.gender.as_str()
    );
    let f = fortune(input).expect("fortune");
    let birth = SolarTime::from_ymd_hms(
        input.year as isize,
        input.month as usize,
        input.day as usize,
        input.hour as usize,
        input.minute as usize,
        0,
    );
    let gender = match input.gender {
        Gender::Male => TymeGender::MAN,
        Gender::Female => TymeGender::WOMAN,
    };
    let cl = ChildLimit::from_solar_time(birth, gender);

    // Direction and start of luck.
    assert_eq!(
        f.direction.is_forward(),
        cl.is_forward(),
        "{tag}: direction"
    );
    let s = &f.start;
    assert_eq!(
        (s.years, s.months, s.days, s.hours, s.minutes),
        (
            cl.get_year_count() as u32,
            cl.get_month_count() as u32,
            cl.get_day_count() as u32,
            cl.get_hour_count() as u32,
            cl.get_minute_count() as u32
        ),
        "{tag}: start span"
    );
    assert_eq!(s.date, tyme_time(&cl.get_end_time()), "{tag}: start date");

    // The 节 counted to, as tyme4rs's ChildLimit picks it.
    let mut term: SolarTerm = birth.get_term();
    if !term.is_jie() {
        term = term.next(-1);
    }
    if cl.is_forward() {
        term = term.next(2);
    }
    assert_eq!(s.jie.name, term.get_name(), "{tag}: 节");
    assert_eq!(
        s.jie.at,
        tyme_time(&term.get_julian_day().get_solar_time()),
        "{tag}: 节 instant"
    );

    // Year and month pillars used: tyme4rs's eight char at the birth instant.
    let ec = cl.get_eight_char();
    assert_eq!(
        f.year_pillar.name(),
        ec.get_year().get_name(),
        "{tag}: year"
    );
    assert_eq!(
        f.month_pillar.name(),
        ec.get_month().get_name(),
        "{tag}: month"
    );
    assert_eq!(
        f.day_master.as_str(),
        ec.get_day().get_heaven_stem().get_name(),
        "{tag}: day master"
    );

    // Luck pillars.
    assert_eq!(f.dayun.len(), LUCK_PILLAR_COUNT + 1);
    let childhood = &f.dayun[0];
    assert_eq!(childhood.pillar, None);
    assert_eq!((childhood.start_year, childhood.start_age), (input.year, 1));
    assert_eq!(childhood.end_year, f.dayun[1].start_year - 1);
    if childhood.end_age >= 1 {
        assert_eq!(
            childhood.end_age as usize,
            cl.get_end_age(),
            "{tag}: childhood"
        );
    }
    assert_eq!(
        s.age as isize,
        cl.get_start_decade_fortune().get_start_age()
    );
    let first: DecadeFortune = cl.get_start_decade_fortune();
    let day_stem = ec.get_day().get_heaven_stem();
    for (i, ours) in f.dayun.iter().enumerate().skip(1) {
        let d = first.next(i as isize - 1);
        let sc = d.get_sixty_cycle();
        let t = format!("{tag}: 大运 {i}");
        assert_eq!(ours.index, i);
        assert_eq!(ganzhi(ours.pillar), d.get_name(), "{t}");
        assert_eq!(
            ours.start_year as isize,
            d.get_start_sixty_cycle_year().get_year(),
            "{t}"
        );
        assert_eq!(
            ours.end_year as isize,
            d.get_end_sixty_cycle_year().get_year(),
            "{t}"
        );
        assert_eq!(ours.start_age as isize, d.get_start_age(), "{t}");
        assert_eq!(ours.end_age as isize, d.get_end_age(), "{t}");
        assert_eq!(
            ours.ten_god.map(|g| g.as_str()),
            Some(
                day_stem
                    .get_ten_star(sc.get_heaven_stem())
                    .get_name()
                    .as_str()
            ),
            "{t}"
        );
        assert_eq!(
            ours.nayin.map(|n| n.as_str()),
            Some(sc.get_sound().get_name().as_str()),
            "{t}"
        );
        assert_eq!(
            ours.life_stage.map(|l| l.as_str()),
            Some(
                day_stem
                    .get_terrain(sc.get_earth_branch())
                    .get_name()
                    .as_str()
            ),
            "{t}"
        );
    }

    // Years: from the birth year to the end of the last luck pillar.
    let last = f.dayun[LUCK_PILLAR_COUNT].end_year;
    assert_eq!(f.liunian.len() as i32, last - input.year + 1, "{tag}");
    let start_year = f.dayun[1].start_year;
    for y in &f.liunian {
        let t = format!("{tag}: 流年 {}", y.year);
        let year = if y.year >= start_year {
            // tyme4rs's Fortune (小运) carries the 流年 from the start of luck on.
            let tf = TymeFortune::from_child_limit(cl.clone(), (y.year - start_year) as isize);
            assert_eq!(tf.get_age(), y.age as isize, "{t}");
            tf.get_sixty_cycle_year()
        } else {
            SixtyCycleYear::from_year(y.year as isize)
        };
        assert_eq!(year.get_year(), y.year as isize, "{t}");
        let sc = year.get_sixty_cycle();
        assert_eq!(y.ganzhi.name(), sc.get_name(), "{t}");
        assert_eq!(
            y.ten_god.as_str(),
            day_stem.get_ten_star(sc.get_heaven_stem()).get_name(),
            "{t}"
        );
        assert_eq!(y.age, y.year - input.year + 1, "{t}");
        assert!(f.dayun[y.dayun_index].contains_year(y.year), "{t}");
    }
}

#[test]
fn example_1990_01_15_male() {
    let f = fortune_of("1990-01-15", "12:00", "male");
    assert_eq!(f.direction, Direction::Backward);
    assert_eq!(f.year_pillar.name(), "己巳");
    assert_eq!(f.month_pillar.name(), "丁丑");
    let s = &f.start;
    assert_eq!((s.years, s.months, s.days), (3, 2, 7));
    assert_eq!(s.jie.name, "小寒");
    assert!(
        s.jie.at.to_string().starts_with("1990-01-05 22:33"),
        "{}",
        s.jie.at
    );
    assert_eq!(s.date.year, 1993);
    assert_eq!(s.age, 4);
    let expected = [
        ("丙子", 1993, 4),
        ("乙亥", 2003, 14),
        ("甲戌", 2013, 24),
        ("癸酉", 2023, 34),
    ];
    for (i, (gz, year, age)) in expected.iter().enumerate() {
        let l = &f.dayun[i + 1];
        assert_eq!(ganzhi(l.pillar), *gz);
        assert_eq!((l.start_year, l.start_age), (*year, *age));
        assert_eq!((l.end_year, l.end_age), (*year + 9, *age + 9));
    }
    // Childhood: 1990–1992, ages 1–3.
    let c = &f.dayun[0];
    assert_eq!(
        (c.index, c.start_year, c.end_year, c.start_age, c.end_age),
        (0, 1990, 1992, 1, 3)
    );
    // Day master 庚: 丙 is 七杀, 丙子 is 涧下水, 庚 on 子 is 死.
    let l = &f.dayun[1];
    assert_eq!(l.ten_god.map(|g| g.as_str()), Some("七杀"));
    assert_eq!(l.nayin.map(|n| n.as_str()), Some("涧下水"));
    assert_eq!(l.life_stage.map(|s| s.as_str()), Some("死"));
    assert_eq!(f.liunian.first().map(|y| y.year), Some(1990));
    assert_eq!(f.liunian.last().map(|y| y.year), Some(2092));
    let y2024 = f.year(2024).expect("2024");
    assert_eq!(
        (y2024.ganzhi.name(), y2024.age, y2024.dayun_index),
        ("甲辰".to_owned(), 35, 4)
    );
    assert_eq!(y2024.ten_god.as_str(), "偏财");
    check_against_tyme4rs(&input("1990-01-15", "12:00", "male"));

    // JSON shape.
    let v = serde_json::to_value(&f).expect("json");
    let q = &v["qiyun"];
    assert_eq!(
        (&q["years"], &q["months"], &q["days"], &q["jie"]["name"]),
        (
            &serde_json::json!(3),
            &serde_json::json!(2),
            &serde_json::json!(7),
            &serde_json::json!("小寒")
        )
    );
    assert_eq!(q["date"], s.date.to_string());
    assert_eq!(q["age"], 4);
    // Field order of a luck pillar, as written.
    let text = serde_json::to_string(&f.dayun[1]).expect("json");
    let positions: Vec<usize> = [
        "index",
        "ganzhi",
        "stem",
        "branch",
        "start_year",
        "end_year",
        "start_age",
        "end_age",
        "ten_god",
        "nayin",
        "life_stage",
    ]
    .iter()
    .map(|k| text.find(&format!("\"{k}\":")).expect(k))
    .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    let d1 = &v["dayun"][1];
    assert_eq!(d1.as_object().expect("object").len(), 11);
    assert_eq!(d1["ganzhi"], "丙子");
    assert_eq!(d1["stem"], "丙");
    assert_eq!(d1["branch"], "子");
    let d0 = &v["dayun"][0];
    for k in ["ganzhi", "stem", "branch", "ten_god", "nayin", "life_stage"] {
        assert!(d0[k].is_null(), "{k}");
    }
    assert_eq!(
        v["liunian"][34],
        serde_json::json!({"year": 2024, "ganzhi": "甲辰", "age": 35, "ten_god": "偏财", "dayun_index": 4})
    );
}

#[test]
fn direction_for_year_stem_polarity_and_gender() {
    // 1984 is 甲子 (yang), 1985 乙丑 (yin); mid-year births are well past 立春.
    let cases = [
        ("1984-06-01", "male", "甲子", Direction::Forward),
        ("1984-06-01", "female", "甲子", Direction::Backward),
        ("1985-06-01", "male", "乙丑", Direction::Backward),
        ("1985-06-01", "female", "乙丑", Direction::Forward),
    ];
    for (date, gender, year, direction) in cases {
        let f = fortune_of(date, "08:00", gender);
        assert_eq!(f.year_pillar.name(), year);
        assert_eq!(f.direction, direction, "{date} {gender}");
        // 1 June is in the 巳 month (立夏 early May … 芒种 early June):
        // forward counts to 芒种, backward back to 立夏.
        let expected_jie = if direction.is_forward() {
            "芒种"
        } else {
            "立夏"
        };
        assert_eq!(f.start.jie.name, expected_jie, "{date} {gender}");
        // The first luck pillar is the month pillar (己巳 / 辛巳) ± 1.
        let month = f.month_pillar.cycle_index();
        let first = f.dayun[1].pillar.expect("pillar").cycle_index();
        let step = if direction.is_forward() { 1 } else { 59 };
        assert_eq!(first, (month + step) % 60);
        let json = serde_json::to_value(f.direction).expect("json");
        assert_eq!(json, direction.as_str());
        check_against_tyme4rs(&input(date, "08:00", gender));
    }
}

#[test]
fn start_of_luck_when_the_jie_is_minutes_away() {
    // 立春 2024 is at 2024-02-04 16:27:07 (tyme4rs 1.5).
    let lichun = jie_times(2024).expect("2024")[1];
    assert_eq!(
        (
            lichun.name,
            lichun.month,
            lichun.day,
            lichun.hour,
            lichun.minute,
            lichun.second
        ),
        ("立春", 2, 4, 16, 27, 7)
    );
    // 16:20 is still 癸卯 (yin); female → forward to 立春, 427 s away:
    // 14 "hours" (420 s) and 7 s = 14 "minutes".
    let f = fortune_of("2024-02-04", "16:20", "female");
    assert_eq!(f.year_pillar.name(), "癸卯");
    assert_eq!(f.direction, Direction::Forward);
    let s = &f.start;
    assert_eq!(
        (s.years, s.months, s.days, s.hours, s.minutes),
        (0, 0, 0, 14, 14)
    );
    assert_eq!(s.jie.name, "立春");
    assert_eq!(s.jie.at.to_string(), "2024-02-04 16:27:07");
    assert_eq!(s.date.to_string(), "2024-02-05 06:34:00");
    assert_eq!((s.date.year, s.age), (2024, 1));
    // Luck starts in the birth year: the childhood entry is empty.
    assert_eq!(f.dayun[0].end_year, 2023);
    assert_eq!(f.dayun[0].end_age, 0);
    assert_eq!(ganzhi(f.dayun[1].pillar), "丙寅");
    assert_eq!((f.dayun[1].start_year, f.dayun[1].start_age), (2024, 1));
    assert_eq!(f.liunian[0].dayun_index, 1);
    check_against_tyme4rs(&input("2024-02-04", "16:20", "female"));

    // 16:30 is 甲辰 (yang); female → backward to 立春, 173 s before:
    // 5 "hours" (150 s) and 23 s = 46 "minutes".
    let f = fortune_of("2024-02-04", "16:30", "female");
    assert_eq!(f.year_pillar.name(), "甲辰");
    assert_eq!(f.direction, Direction::Backward);
    let s = &f.start;
    assert_eq!(
        (s.years, s.months, s.days, s.hours, s.minutes),
        (0, 0, 0, 5, 46)
    );
    assert_eq!(s.jie.name, "立春");
    assert_eq!(s.date.to_string(), "2024-02-04 22:16:00");
    assert_eq!(ganzhi(f.dayun[1].pillar), "乙丑");
    check_against_tyme4rs(&input("2024-02-04", "16:30", "female"));

    // The same births the other way round count to the 节 a month away.
    for time in ["16:20", "16:30"] {
        let f = fortune_of("2024-02-04", time, "male");
        assert!(f.start.years >= 9, "{time}: {:?}", f.start);
        check_against_tyme4rs(&input("2024-02-04", time, "male"));
    }
}

#[test]
fn birth_just_before_lichun_belongs_to_the_previous_year() {
    // 2024-02-04 10:00 is before 立春 (16:27:07): year 癸卯, month 乙丑.
    let i = input("2024-02-04", "10:00", "male");
    let c = chart(&i).expect("chart");
    assert_eq!(c.bazi_pillars.year.to_string(), "癸卯");
    let f = fortune(&i).expect("fortune");
    assert_eq!(f.year_pillar.name(), "癸卯");
    assert_eq!(f.month_pillar.name(), "乙丑");
    // Yin year, male: backward, to 小寒 (2024-01-06), first pillar 甲子.
    assert_eq!(f.direction, Direction::Backward);
    assert_eq!(f.start.jie.name, "小寒");
    assert_eq!(ganzhi(f.dayun[1].pillar), "甲子");
    assert_eq!(ganzhi(f.dayun[2].pillar), "癸亥");
    // The calendar year 2024 is still listed as 甲辰 (it begins at 立春), age 1.
    assert_eq!(
        (
            f.liunian[0].year,
            f.liunian[0].ganzhi.name(),
            f.liunian[0].age
        ),
        (2024, "甲辰".to_owned(), 1)
    );
    check_against_tyme4rs(&i);
    // A female born at the same moment goes forward, to 立春 6.5 hours later.
    let f = fortune_of("2024-02-04", "10:00", "female");
    assert_eq!(f.direction, Direction::Forward);
    assert_eq!(f.start.jie.name, "立春");
    assert_eq!(ganzhi(f.dayun[1].pillar), "丙寅");
    check_against_tyme4rs(&input("2024-02-04", "10:00", "female"));
}

#[test]
fn late_zi_hour_birth() {
    // 1990-01-15 23:30: the chart takes the next day's day pillar (辛巳), the
    // fortune counts from the real instant like tyme4rs.
    let i = input("1990-01-15", "23:30", "male");
    let c = chart(&i).expect("chart");
    assert!(c.basic_info.late_zi_adjusted);
    let f = fortune(&i).expect("fortune");
    assert_eq!(f.day_master, c.day_master());
    assert_eq!(c.bazi_pillars.day.to_string(), "辛巳");
    assert_eq!(f.year_pillar, c.bazi_pillars.year);
    assert_eq!(f.month_pillar, c.bazi_pillars.month);
    assert_eq!(f.direction, Direction::Backward);
    // 11.5 hours more than at noon → 3 years 2 months 7 days + 57.5 "days".
    assert_eq!((f.start.years, f.start.months), (3, 4));
    // Day master 辛: 丙 is 正官.
    assert_eq!(f.dayun[1].ten_god.map(|g| g.as_str()), Some("正官"));
    check_against_tyme4rs(&i);
    check_against_tyme4rs(&input("1990-01-15", "23:30", "female"));
}

#[test]
fn late_zi_hour_with_a_jie_before_next_midnight_minute() {
    // 小寒 1982-01-06 00:02:35. The chart of 1982-01-05 23:06 is read at
    // 01-06 00:06 and so shows month 辛丑; the fortune uses the real instant,
    // still in 庚子, and 小寒 is the next 节, 56 min 35 s later.
    let i = input("1982-01-05", "23:06", "female");
    let c = chart(&i).expect("chart");
    assert_eq!(c.bazi_pillars.month.to_string(), "辛丑");
    let f = fortune(&i).expect("fortune");
    assert_eq!(f.year_pillar.name(), "辛酉");
    assert_eq!(f.month_pillar.name(), "庚子");
    assert_eq!(f.direction, Direction::Forward);
    assert_eq!(f.start.jie.name, "小寒");
    assert_eq!(f.start.jie.at.to_string(), "1982-01-06 00:02:35");
    // 3395 s: 4 "days" (2880 s), 17 "hours" (510 s), 5 s = 10 "minutes".
    let s = &f.start;
    assert_eq!(
        (s.years, s.months, s.days, s.hours, s.minutes),
        (0, 0, 4, 17, 10)
    );
    assert_eq!(ganzhi(f.dayun[1].pillar), "辛丑");
    check_against_tyme4rs(&i);
    check_against_tyme4rs(&input("1982-01-05", "23:06", "male"));

    // 立春 1980-02-05 00:09:28: the chart of 1980-02-04 23:10 is 庚申 (yang)
    // year, but at the real instant it is still 己未 (yin): a male goes backward.
    let i = input("1980-02-04", "23:10", "male");
    assert_eq!(
        chart(&i).expect("chart").bazi_pillars.year.to_string(),
        "庚申"
    );
    let f = fortune(&i).expect("fortune");
    assert_eq!(f.year_pillar.name(), "己未");
    assert_eq!(f.month_pillar.name(), "丁丑");
    assert_eq!(f.direction, Direction::Backward);
    assert_eq!(f.start.jie.name, "小寒");
    assert_eq!(ganzhi(f.dayun[1].pillar), "丙子");
    check_against_tyme4rs(&i);
    check_against_tyme4rs(&input("1980-02-04", "23:10", "female"));
}

/// Every 节 of 1900–2100 that falls between 00:00 and 01:00: late-子 births
/// just before and after it agree with tyme4rs.
#[test]
fn late_zi_windows_match_tyme4rs() {
    let mut windows = 0;
    for year in 1900..=2100 {
        let Some(jie) = jie_times(year) else {
            continue;
        };
        for j in jie {
            if j.hour != 0 {
                continue;
            }
            let (py, pm, pd) = date_of_day_number(day_number(j.year, j.month, j.day) - 1);
            if py < 1900 {
                continue;
            }
            windows += 1;
            for mi in [0, j.minute.saturating_sub(1), j.minute, j.minute + 1, 59] {
                for gender in [Gender::Male, Gender::Female] {
                    let i = BirthInput::new(py, pm, pd, 23, mi.min(59), gender).expect("valid");
                    check_against_tyme4rs(&i);
                }
            }
        }
    }
    assert_eq!(windows, 102);
}

#[test]
fn random_births_of_every_decade_match_tyme4rs() {
    let mut rng = Rng::new(0xF0_27_0E);
    let mut checked = 0;
    for decade in (1901..=2099).step_by(10) {
        let first = day_number(decade, 1, 1);
        let last = day_number((decade + 9).min(2099), 12, 31);
        for _ in 0..10 {
            let (y, m, d) = date_of_day_number(rng.range(first, last));
            let h = rng.range(0, 23) as u32;
            let mi = rng.range(0, 59) as u32;
            let gender = if rng.range(0, 1) == 0 {
                Gender::Male
            } else {
                Gender::Female
            };
            check_against_tyme4rs(&BirthInput::new(y, m, d, h, mi, gender).expect("valid"));
            checked += 1;
        }
    }
    assert_eq!(checked, 200);
}

#[test]
fn births_at_the_ends_of_the_range_match_tyme4rs() {
    for (date, time) in [
        ("1900-01-01", "00:00"),
        ("1900-01-05", "12:00"),
        ("1900-02-04", "23:59"),
        ("2100-12-07", "12:00"),
        ("2100-12-31", "23:59"),
    ] {
        for gender in ["male", "female"] {
            check_against_tyme4rs(&input(date, time, gender));
        }
    }
}

#[test]
fn months_match_tyme4rs() {
    for year in [1900, 1949, 1990, 2024, 2100, 2101, 2150, 2220] {
        let months = months_of(year).expect("months");
        for m in &months {
            let (y, index) = if m.index < 12 {
                (year, 2 * m.index as isize + 1)
            } else {
                (year + 1, 1)
            };
            let term = SolarTerm::from_index(y as isize, index);
            let t = term.get_julian_day().get_solar_time();
            let tag = format!("{year} #{}", m.index);
            assert_eq!(term.get_name(), m.jie_name(), "{tag}");
            assert_eq!(m.start, tyme_time(&t), "{tag}");
            // The month pillar in force from that instant on.
            let month = t.get_sixty_cycle_hour().get_month().get_name();
            assert_eq!(m.ganzhi.name(), month, "{tag}");
        }
        assert_eq!(months[0].ganzhi.branch.as_str(), "寅");
        assert_eq!(months[11].ganzhi.branch.as_str(), "丑");
    }
    let m = months_of(2024).expect("2024");
    assert_eq!(m[0].ganzhi.name(), "丙寅");
    assert_eq!(m[0].start.to_string(), "2024-02-04 16:27:07");
    assert_eq!(m[11].ganzhi.name(), "丁丑");
    let v = serde_json::to_value(m[0]).expect("json");
    assert_eq!(
        v,
        serde_json::json!({"index": 1, "ganzhi": "丙寅", "start": "2024-02-04 16:27:07"})
    );
}

#[test]
fn days_match_tyme4rs() {
    for (year, month) in [
        (1900, 1),
        (1990, 1),
        (2000, 2),
        (2024, 2),
        (2100, 12),
        (2220, 12),
    ] {
        let days = days_of(year, month).expect("days");
        for d in &days {
            let sd = SolarDay::from_ymd(year as isize, month as usize, d.date.day as usize);
            assert_eq!(
                d.ganzhi.name(),
                sd.get_sixty_cycle_day().get_sixty_cycle().get_name(),
                "{}",
                d.date
            );
        }
        assert_eq!(days.len(), sd_count(year, month));
    }
    let v = serde_json::to_value(days_of(1990, 1).expect("days")[14]).expect("json");
    assert_eq!(
        v,
        serde_json::json!({"date": "1990-01-15", "ganzhi": "庚辰"})
    );
}

fn sd_count(year: i32, month: u8) -> usize {
    tyme4rs::tyme::solar::SolarMonth::from_ym(year as isize, month as usize).get_day_count()
}

#[test]
fn hours_match_tyme4rs() {
    for (y, m, d) in [
        (1990, 1, 15),
        (2000, 1, 1),
        (2024, 2, 29),
        (1900, 1, 1),
        (2100, 12, 31),
    ] {
        let hours = hours_of(y, m, d).expect("hours");
        let day_name = SolarDay::from_ymd(y as isize, m as usize, d as usize)
            .get_sixty_cycle_day()
            .get_sixty_cycle()
            .get_name();
        for (i, h) in hours.iter().enumerate() {
            let tag = format!("{y}-{m}-{d} #{i}");
            assert_eq!(h.branch.index(), i, "{tag}");
            // At the start of the period and one minute before its end,
            // tyme4rs gives this day and this hour pillar.
            let start = h.start.instant();
            for t in [start, start + 7140] {
                let s = SolarDateTime::from_instant(t);
                let ec = SolarTime::from_ymd_hms(
                    s.year as isize,
                    s.month as usize,
                    s.day as usize,
                    s.hour as usize,
                    s.minute as usize,
                    0,
                )
                .get_lunar_hour()
                .get_eight_char();
                assert_eq!(ec.get_day().get_name(), day_name, "{tag} at {s}");
                assert_eq!(ec.get_hour().get_name(), h.ganzhi.name(), "{tag} at {s}");
            }
        }
    }
    let h = hours_of(1990, 1, 15).expect("hours");
    assert_eq!(h[0].start.to_string(), "1990-01-14 23:00:00");
    assert_eq!(h[0].ganzhi.name(), "丙子");
    assert_eq!(h[6].start.to_string(), "1990-01-15 11:00:00");
    assert_eq!(h[6].ganzhi.name(), "壬午");
    assert_eq!(h[11].start.to_string(), "1990-01-15 21:00:00");
    let v = serde_json::to_value(h[6]).expect("json");
    assert_eq!(
        v,
        serde_json::json!({"branch": "午", "ganzhi": "壬午", "start": "1990-01-15 11:00:00"})
    );
}

#[test]
fn invalid_input_is_an_error() {
    let bad = BirthInput {
        year: 1990,
        month: 2,
        day: 30,
        hour: 0,
        minute: 0,
        gender: Gender::Male,
    };
    assert_eq!(fortune(&bad).expect_err("date").field(), "solar_date");
    assert_eq!(months_of(2221).expect_err("year").field(), "year");
    assert_eq!(days_of(1899, 12).expect_err("year").field(), "year");
    assert_eq!(
        hours_of(2024, 4, 31).expect_err("day").field(),
        "solar_date"
    );
}

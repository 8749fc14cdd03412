//! Known charts and the JSON shape of the result.

use bazi::{chart, BirthInput, Chart};
use serde_json::{json, Value};

fn chart_of(date: &str, time: &str, gender: &str) -> Chart {
    let input = BirthInput::parse(date, time, gender).expect("valid input");
    chart(&input).expect("chart")
}

fn pillar_names(c: &Chart) -> [String; 4] {
    c.pillars().to_array().map(|p| p.name())
}

#[test]
fn chart_1990_01_15_noon_male() {
    let c = chart_of("1990-01-15", "12:00", "male");
    assert_eq!(pillar_names(&c), ["己巳", "丁丑", "庚辰", "壬午"]);
    let v = serde_json::to_value(&c).expect("serialises");

    let info = &v["basic_info"];
    assert_eq!(info["solar_date"], "1990-01-15");
    assert_eq!(info["solar_time"], "12:00");
    assert_eq!(
        info["lunar_date"],
        json!({"year": 1989, "month": 12, "day": 19, "is_leap_month": false})
    );
    assert_eq!(info["gender"], "male");
    assert_eq!(info["late_zi_adjusted"], false);

    assert_eq!(
        v["bazi_pillars"]["year"],
        json!({"stem": "己", "branch": "巳"})
    );
    assert_eq!(
        v["bazi_pillars"]["month"],
        json!({"stem": "丁", "branch": "丑"})
    );
    assert_eq!(
        v["bazi_pillars"]["day"],
        json!({"stem": "庚", "branch": "辰"})
    );
    assert_eq!(
        v["bazi_pillars"]["hour"],
        json!({"stem": "壬", "branch": "午"})
    );

    let year = &v["details"]["year"];
    assert_eq!(year["main_star"], "正印");
    assert_eq!(year["hidden_stems"], json!(["丙火", "庚金", "戊土"]));
    assert_eq!(year["hidden_stars"], json!(["七杀", "比肩", "偏印"]));
    assert_eq!(year["star_fortune"], "长生");
    assert_eq!(year["self_sitting"], "帝旺");
    assert_eq!(year["kongwang"], "戌亥");
    assert_eq!(year["nayin"], "大林木");
    assert!(year["deities"].is_array());

    let hour = &v["details"]["hour"];
    assert_eq!(hour["main_star"], "食神");
    assert_eq!(hour["hidden_stems"], json!(["丁火", "己土"]));
    assert_eq!(hour["nayin"], "杨柳木");

    assert_eq!(v["details"]["day"]["main_star"], "元男");

    assert_eq!(
        v["element_counts"],
        json!({"土": 3, "火": 3, "金": 1, "水": 1})
    );
    // Key order follows first occurrence when written directly.
    let text = serde_json::to_string(&c.element_counts).expect("serialises");
    assert_eq!(text, r#"{"土":3,"火":3,"金":1,"水":1}"#);
}

#[test]
fn chart_1990_typed_access() {
    use bazi::ganzhi::{Branch, Element, Stem};
    use bazi::ten_gods::TenGod;
    let c = chart_of("1990-01-15", "12:00", "female");
    assert_eq!(c.day_master(), Stem::Geng);
    assert_eq!(c.bazi_pillars.year.branch, Branch::Si);
    assert_eq!(c.details.day.main_star.as_str(), "元女");
    assert_eq!(c.details.year.star_fortune.as_str(), "长生");
    assert_eq!(c.element_counts.get(Element::Earth), 3);
    assert_eq!(c.element_counts.get(Element::Wood), 0);
    // Stems other than the day stem: 己 正印, 丁 正官, 壬 食神.
    assert_eq!(c.ten_gods_stats.main.get(TenGod::ZhengYin).count, 1);
    assert_eq!(c.ten_gods_stats.main.get(TenGod::ZhengGuan).count, 1);
    assert_eq!(c.ten_gods_stats.main.get(TenGod::ShiShen).count, 1);
    assert_eq!(c.ten_gods_stats.main.iter().count(), 3);
}

#[test]
fn ten_gods_and_elements_json_shape() {
    let c = chart_of("1990-01-15", "12:00", "male");
    let v = serde_json::to_value(&c).expect("serialises");
    // main: 己 正印 (year), 丁 正官 (month), 壬 食神 (hour).
    assert_eq!(
        v["ten_gods_stats"]["main"],
        json!({
            "食神": {"count": 1, "pillars": ["hour"]},
            "正官": {"count": 1, "pillars": ["month"]},
            "正印": {"count": 1, "pillars": ["year"]},
        })
    );
    // Hidden: 巳 丙庚戊, 丑 己癸辛, 辰 戊乙癸, 午 丁己 relative to 庚.
    assert_eq!(
        v["ten_gods_stats"]["sub"],
        json!({
            "比肩": {"count": 1, "pillars": ["year"]},
            "劫财": {"count": 1, "pillars": ["month"]},
            "伤官": {"count": 2, "pillars": ["month", "day"]},
            "正财": {"count": 1, "pillars": ["day"]},
            "七杀": {"count": 1, "pillars": ["year"]},
            "正官": {"count": 1, "pillars": ["hour"]},
            "偏印": {"count": 2, "pillars": ["year", "day"]},
            "正印": {"count": 2, "pillars": ["month", "hour"]},
        })
    );
    assert_eq!(v["ten_gods_stats"]["totals"]["正印"], 3);
    assert_eq!(v["ten_gods_stats"]["totals"]["正官"], 2);
    assert_eq!(v["ten_gods_stats"]["totals"]["食神"], 1);
    assert_eq!(
        v["elements"]["year"],
        json!({"stem": "己", "stem_element": "土", "branch": "巳", "branch_element": "火"})
    );
    let rel = &v["relationships"];
    assert_eq!(
        rel["day_pillar"],
        json!({"stem": "庚", "stem_element": "金", "branch": "辰", "branch_main_qi": "戊",
               "branch_element": "土", "relation": "generated_by"})
    );
    assert_eq!(
        rel["stem_combinations"],
        json!([{"stems": ["丁", "壬"], "pillars": ["month", "hour"], "element": "木"}])
    );
    assert_eq!(rel["stem_clashes"], json!([]));
    assert_eq!(
        rel["branch_relations"],
        json!([
            {"kind": "六害", "branches": ["丑", "午"], "pillars": ["month", "hour"]},
            {"kind": "六破", "branches": ["丑", "辰"], "pillars": ["month", "day"]},
        ])
    );
}

#[test]
fn chart_1985_01_01_morning() {
    let c = chart_of("1985-01-01", "08:00", "female");
    assert_eq!(pillar_names(&c), ["甲子", "丙子", "庚子", "庚辰"]);
    assert!(!c.basic_info.late_zi_adjusted);
}

#[test]
fn chart_1985_05_20_late_zi() {
    let c = chart_of("1985-05-20", "23:30", "male");
    assert_eq!(pillar_names(&c), ["乙丑", "辛巳", "庚申", "丙子"]);
    assert!(c.basic_info.late_zi_adjusted);
    let v = serde_json::to_value(&c).expect("serialises");
    assert_eq!(v["basic_info"]["late_zi_adjusted"], true);
    // The lunar date is that of the original solar date.
    let lunar = bazi::calendar::lunar_date(1985, 5, 20).expect("in range");
    assert_eq!(c.basic_info.lunar_date, lunar);
    // Same day before 23:00: day pillar 己未.
    let c = chart_of("1985-05-20", "22:59", "male");
    assert_eq!(pillar_names(&c)[2], "己未");
    assert!(!c.basic_info.late_zi_adjusted);
}

#[test]
fn top_level_keys() {
    let c = chart_of("2000-02-29", "00:30", "female");
    let v: Value = serde_json::to_value(&c).expect("serialises");
    let keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(|k| k.as_str())
        .collect();
    for k in [
        "basic_info",
        "bazi_pillars",
        "details",
        "ten_gods_stats",
        "elements",
        "element_counts",
        "relationships",
    ] {
        assert!(keys.contains(&k), "missing {k}");
    }
    for pos in ["year", "month", "day", "hour"] {
        let d = &v["details"][pos];
        for f in [
            "main_star",
            "hidden_stars",
            "hidden_stems",
            "star_fortune",
            "self_sitting",
            "kongwang",
            "nayin",
            "deities",
        ] {
            assert!(!d[f].is_null(), "{pos}.{f}");
        }
    }
}

/// Late 子 hour: the month pillar is the one in force at the next day's 00:mm
/// (same minutes past midnight), as in the original system — not at 00:00.
/// The 节 instants below come from `tyme4rs` (`SolarTerm`), to the second.
#[test]
fn late_zi_month_is_taken_at_next_day_same_minute() {
    // 小寒 1982: 1982-01-06 00:02:35. 23:06 is looked up at 01-06 00:06, after
    // 小寒, so the month is already 辛丑; day and hour are 01-06's (己丑, 甲子).
    let c = chart_of("1982-01-05", "23:06", "male");
    assert_eq!(pillar_names(&c), ["辛酉", "辛丑", "己丑", "甲子"]);
    assert!(c.basic_info.late_zi_adjusted);
    // 23:00 (looked up at 00:00) and 23:02 (00:02:00) are still before 小寒.
    assert_eq!(
        pillar_names(&chart_of("1982-01-05", "23:00", "male")),
        ["辛酉", "庚子", "己丑", "甲子"]
    );
    assert_eq!(
        pillar_names(&chart_of("1982-01-05", "23:02", "male"))[1],
        "庚子"
    );
    // 23:03 → 00:03:00, the first whole minute after 小寒.
    assert_eq!(
        pillar_names(&chart_of("1982-01-05", "23:03", "male"))[1],
        "辛丑"
    );
    // Same day before the late 子 hour: previous day, previous month.
    assert_eq!(
        pillar_names(&chart_of("1982-01-05", "22:59", "male")),
        ["辛酉", "庚子", "戊子", "癸亥"]
    );
}

#[test]
fn late_zi_month_counterparts() {
    // 小暑 2016: 2016-07-07 00:03:21. 23:00 and 23:03 → 甲午 (00:03:00 is
    // before the 节); 23:04 → 乙未.
    for (time, month) in [("23:00", "甲午"), ("23:03", "甲午"), ("23:04", "乙未")] {
        let c = chart_of("2016-07-06", time, "female");
        assert_eq!(pillar_names(&c), ["丙申", month, "庚寅", "丙子"], "{time}");
    }
    // 惊蛰 2014: 2014-03-06 00:02:16. 23:02 → 丙寅, 23:03 and 23:59 → 丁卯.
    for (time, month) in [
        ("23:00", "丙寅"),
        ("23:02", "丙寅"),
        ("23:03", "丁卯"),
        ("23:59", "丁卯"),
    ] {
        let c = chart_of("2014-03-05", time, "male");
        assert_eq!(pillar_names(&c), ["甲午", month, "丙子", "戊子"], "{time}");
    }
    // The next day itself still changes month at the real 节 instant.
    assert_eq!(
        pillar_names(&chart_of("2014-03-06", "00:02", "male"))[1],
        "丙寅"
    );
    assert_eq!(
        pillar_names(&chart_of("2014-03-06", "00:03", "male"))[1],
        "丁卯"
    );
}

/// The year pillar is looked up at the same instant as the month, so a 立春
/// between next-day 00:00 and 00:mm switches both together.
#[test]
fn late_zi_year_follows_the_month_at_li_chun() {
    // 立春 1980: 1980-02-05 00:09:28.
    for (time, year, month) in [
        ("23:00", "己未", "丁丑"),
        ("23:09", "己未", "丁丑"),
        ("23:10", "庚申", "戊寅"),
        ("23:30", "庚申", "戊寅"),
    ] {
        let c = chart_of("1980-02-04", time, "male");
        assert_eq!(pillar_names(&c), [year, month, "戊申", "壬子"], "{time}");
        assert_eq!(
            c.basic_info.zodiac,
            if year == "庚申" { "猴" } else { "羊" },
            "{time}"
        );
    }
    // 立春 2013: 2013-02-04 00:13:25.
    for (time, year, month) in [
        ("23:13", "壬辰", "癸丑"),
        ("23:14", "癸巳", "甲寅"),
        ("23:45", "癸巳", "甲寅"),
    ] {
        let c = chart_of("2013-02-03", time, "female");
        assert_eq!(pillar_names(&c), [year, month, "辛丑", "戊子"], "{time}");
    }
}

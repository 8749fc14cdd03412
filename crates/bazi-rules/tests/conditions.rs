//! The condition language, predicate by predicate, on real charts; and the
//! refusal of every kind of bad node, with its path.

use bazi::analysis::StrengthLevel;
use bazi::ganzhi::Element;
use bazi::Chart;
use bazi_rules::{CompileErrorKind, Condition, Facts};
use serde_json::{json, Value};

fn chart(date: &str, time: &str, gender: &str) -> Chart {
    let input = bazi::BirthInput::parse(date, time, gender).expect("valid input");
    bazi::chart(&input).expect("chart")
}

/// 己巳 丁丑 庚辰 壬午, male (the guide's example).
fn a() -> Chart {
    chart("1990-01-15", "12:00", "male")
}
/// 甲子 丙寅 己巳 甲子, female, late 子 (相刑 寅巳, 五合 甲己 twice).
fn b() -> Chart {
    chart("1984-02-04", "23:30", "female")
}
/// 庚辰 甲申 戊戌 丙辰, male (土 4, 六冲 辰戌, 自刑 辰辰, 相冲 甲庚).
fn c() -> Chart {
    chart("2000-08-08", "08:00", "male")
}
/// 丙辰 癸巳 壬申 壬寅, female (六合 巳申 水, 三刑 寅巳申, 六冲 寅申).
fn d() -> Chart {
    chart("1976-05-20", "03:10", "female")
}
/// 甲子 丁丑 癸酉 丁巳 (三合 巳酉丑 金).
fn san_he() -> Chart {
    chart("1985-02-03", "09:00", "male")
}
/// 甲子 丁丑 庚戌 丁亥 (三会 亥子丑 水).
fn san_hui() -> Chart {
    chart("1985-01-11", "21:00", "male")
}
/// 甲子 丁丑 庚戌 乙酉 (半合 丑酉 金).
fn ban_he() -> Chart {
    chart("1985-01-11", "17:00", "male")
}
/// 甲子 丁丑 戊午 癸丑 (day 空亡 子丑: year, month and hour branches in it).
fn kongwang_chart() -> Chart {
    chart("1985-01-19", "01:00", "male")
}

fn compile(cond: &Value) -> Condition {
    Condition::compile(cond).unwrap_or_else(|e| panic!("{cond} did not compile: {e}"))
}

fn holds(chart: &Chart, cond: Value) -> bool {
    compile(&cond).matches(&Facts::new(chart))
}

#[track_caller]
fn yes(chart: &Chart, cond: Value) {
    assert!(holds(chart, cond.clone()), "expected true: {cond}");
}

#[track_caller]
fn no(chart: &Chart, cond: Value) {
    assert!(!holds(chart, cond.clone()), "expected false: {cond}");
}

#[test]
fn the_example_chart_is_what_the_tests_assume() {
    let c = a();
    let p = &c.bazi_pillars;
    assert_eq!(
        format!("{} {} {} {}", p.year, p.month, p.day, p.hour),
        "己巳 丁丑 庚辰 壬午"
    );
}

#[test]
fn combinators() {
    let c = a();
    yes(
        &c,
        json!({"all": [{"day_master": "庚"}, {"gender": "male"}]}),
    );
    no(
        &c,
        json!({"all": [{"day_master": "庚"}, {"gender": "female"}]}),
    );
    yes(&c, json!({"any": [{"day_master": "甲"}, {"season": "冬"}]}));
    no(&c, json!({"any": [{"day_master": "甲"}, {"season": "夏"}]}));
    yes(&c, json!({"not": {"season": "夏"}}));
    no(&c, json!({"not": {"season": "冬"}}));
    yes(
        &c,
        json!({"all": [{"any": [{"gender": "female"}, {"not": {"element_missing": "金"}}]}]}),
    );
}

#[test]
fn pillar() {
    let c = a();
    yes(&c, json!({"pillar": {"position": "day", "is": "庚辰"}}));
    no(&c, json!({"pillar": {"position": "day", "is": "甲子"}}));
    yes(
        &c,
        json!({"pillar": {"position": "day", "in": ["甲子", "庚辰"]}}),
    );
    no(
        &c,
        json!({"pillar": {"position": "day", "in": ["甲子", "乙丑"]}}),
    );
    yes(&c, json!({"pillar": {"is": "壬午"}}));
    no(&c, json!({"pillar": {"is": "甲子"}}));
}

#[test]
fn stem_and_branch() {
    let c = a();
    yes(&c, json!({"stem": {"position": "month", "is": "丁"}}));
    no(&c, json!({"stem": {"position": "month", "is": "甲"}}));
    yes(
        &c,
        json!({"stem": {"position": "hour", "in": ["甲", "壬"]}}),
    );
    yes(&c, json!({"stem": {"is": "壬"}}));
    no(&c, json!({"stem": {"in": ["甲", "乙", "丙"]}}));
    yes(&c, json!({"branch": {"position": "hour", "is": "午"}}));
    no(&c, json!({"branch": {"position": "hour", "is": "子"}}));
    yes(&c, json!({"branch": {"in": ["子", "丑"]}}));
    no(&c, json!({"branch": {"in": ["子", "卯"]}}));
    yes(&c, json!({"month_branch": "丑"}));
    yes(&c, json!({"month_branch": ["子", "丑"]}));
    no(&c, json!({"month_branch": "子"}));
}

#[test]
fn stem_and_branch_elements() {
    let c = a();
    yes(
        &c,
        json!({"stem_element": {"position": "year", "is": "土"}}),
    );
    no(
        &c,
        json!({"stem_element": {"position": "year", "is": "木"}}),
    );
    yes(
        &c,
        json!({"branch_element": {"position": "day", "is": "土"}}),
    );
    no(
        &c,
        json!({"branch_element": {"position": "day", "is": "水"}}),
    );
    no(&c, json!({"branch_element": {"is": "木"}}));
}

#[test]
fn hidden_stem() {
    let c = a();
    yes(&c, json!({"hidden_stem": {"position": "day", "is": "乙"}}));
    no(&c, json!({"hidden_stem": {"position": "day", "is": "丙"}}));
    yes(&c, json!({"hidden_stem": {"is": "丙"}}));
    no(&c, json!({"hidden_stem": {"in": ["甲", "壬"]}}));
}

#[test]
fn day_master() {
    let c = a();
    yes(&c, json!({"day_master": "庚"}));
    no(&c, json!({"day_master": "甲"}));
    yes(&c, json!({"day_master": ["庚", "辛"]}));
    yes(&c, json!({"day_master_element": "金"}));
    no(&c, json!({"day_master_element": "木"}));
    yes(&c, json!({"day_master_yin_yang": "阳"}));
    no(&c, json!({"day_master_yin_yang": "阴"}));
    yes(&b(), json!({"day_master_yin_yang": "阴"}));
}

#[test]
fn element_counts() {
    let c = a(); // 土 3, 火 3, 金 1, 水 1
    yes(
        &c,
        json!({"element_count": {"element": "土", "op": ">=", "value": 3}}),
    );
    no(
        &c,
        json!({"element_count": {"element": "土", "op": ">", "value": 3}}),
    );
    yes(
        &c,
        json!({"element_count": {"element": "木", "op": "==", "value": 0}}),
    );
    no(
        &c,
        json!({"element_count": {"element": "金", "op": "!=", "value": 1}}),
    );
    yes(
        &c,
        json!({"element_count": {"element": "水", "op": "<", "value": 2}}),
    );
    no(
        &c,
        json!({"element_count": {"element": "火", "op": "<=", "value": 2}}),
    );
    yes(&c, json!({"element_missing": "木"}));
    no(&c, json!({"element_missing": "金"}));
    no(&c, json!({"element_dominant": "土"})); // tied with 火
    yes(&self::c(), json!({"element_dominant": "土"})); // 土 4
    no(&self::c(), json!({"element_dominant": "金"}));
}

#[test]
fn ten_gods() {
    let c = a(); // stems: 正印 正官 (元男) 食神
    yes(
        &c,
        json!({"ten_god_stem": {"position": "month", "is": "正官"}}),
    );
    no(
        &c,
        json!({"ten_god_stem": {"position": "month", "is": "七杀"}}),
    );
    yes(&c, json!({"ten_god_stem": {"is": "食神"}}));
    no(&c, json!({"ten_god_stem": {"is": "七杀"}}));
    yes(
        &c,
        json!({"ten_god_hidden": {"position": "day", "is": "正财"}}),
    );
    no(
        &c,
        json!({"ten_god_hidden": {"position": "day", "is": "正官"}}),
    );
    yes(&c, json!({"ten_god_hidden": {"is": "七杀"}}));
    no(&c, json!({"ten_god_hidden": {"is": "偏财"}}));
    yes(&c, json!({"ten_god_present": "七杀"}));
    no(&c, json!({"ten_god_present": "偏财"}));
    yes(&c, json!({"ten_god_present": ["偏财", "正财"]}));
    yes(
        &c,
        json!({"ten_god_count": {"ten_god": "正印", "op": ">=", "value": 3}}),
    );
    no(
        &c,
        json!({"ten_god_count": {"ten_god": "正印", "op": ">=", "value": 4}}),
    );
    yes(
        &c,
        json!({"ten_god_count": {"ten_god": "正印", "op": "==", "value": 1, "scope": "stems"}}),
    );
    yes(
        &c,
        json!({"ten_god_count": {"ten_god": "正印", "op": "==", "value": 2, "scope": "hidden"}}),
    );
    no(
        &c,
        json!({"ten_god_count": {"ten_god": "正印", "op": "==", "value": 2, "scope": "stems"}}),
    );
    yes(
        &d(),
        json!({"ten_god_count": {"ten_god": "七杀", "op": ">=", "value": 4}}),
    );
}

#[test]
fn main_star() {
    let c = a();
    yes(&c, json!({"main_star": {"position": "day", "is": "元男"}}));
    no(&c, json!({"main_star": {"position": "day", "is": "元女"}}));
    yes(
        &b(),
        json!({"main_star": {"position": "day", "is": "元女"}}),
    );
    yes(
        &c,
        json!({"main_star": {"position": "month", "is": "正官"}}),
    );
    no(
        &c,
        json!({"main_star": {"position": "month", "in": ["七杀", "偏财"]}}),
    );
    no(
        &c,
        json!({"main_star": {"position": "hour", "in": ["七杀", "伤官"]}}),
    );
    yes(&c, json!({"main_star": {"in": ["元男", "七杀"]}}));
}

#[test]
fn deities() {
    let c = a(); // year 劫煞; month 天乙 太极 华盖; day 太极 华盖 天喜 寡宿 天德 月德; hour 桃花
    yes(&c, json!({"deity": {"is": "天乙贵人"}}));
    no(&c, json!({"deity": {"is": "驿马"}}));
    yes(&c, json!({"deity": {"position": "hour", "is": "桃花"}}));
    no(&c, json!({"deity": {"position": "day", "is": "桃花"}}));
    yes(
        &c,
        json!({"deity": {"position": "day", "in": ["驿马", "月德贵人"]}}),
    );
}

#[test]
fn branch_relations() {
    let c = a(); // 六害 丑午 (month, hour), 六破 丑辰 (month, day)
    yes(&c, json!({"relation": {"kind": "六害"}}));
    yes(
        &c,
        json!({"relation": {"kind": "六害", "branches": ["午", "丑"]}}),
    );
    no(
        &c,
        json!({"relation": {"kind": "六害", "branches": ["子", "未"]}}),
    );
    no(&c, json!({"relation": {"kind": "六冲"}}));
    yes(&c, json!({"relation": {"kind": ["六冲", "六破"]}}));
    yes(&c, json!({"relation": {"kind": "六破", "position": "day"}}));
    no(
        &c,
        json!({"relation": {"kind": "六破", "position": "hour"}}),
    );

    let c = self::c();
    yes(
        &c,
        json!({"relation": {"kind": "六冲", "branches": ["辰", "戌"], "position": "day"}}),
    );
    yes(
        &c,
        json!({"relation": {"kind": "自刑", "branches": ["辰", "辰"]}}),
    );
    no(
        &c,
        json!({"relation": {"kind": "自刑", "branches": ["午", "午"]}}),
    );

    let c = d();
    yes(
        &c,
        json!({"relation": {"kind": "六合", "branches": ["巳", "申"], "element": "水"}}),
    );
    no(&c, json!({"relation": {"kind": "六合", "element": "土"}}));
    yes(
        &c,
        json!({"relation": {"kind": "三刑", "branches": ["申", "寅", "巳"]}}),
    );
    yes(
        &c,
        json!({"relation": {"kind": "六冲", "branches": ["寅", "申"]}}),
    );
    no(&c, json!({"relation": {"kind": "相刑"}})); // the 三刑 is complete

    yes(
        &b(),
        json!({"relation": {"kind": "相刑", "branches": ["寅", "巳"]}}),
    );
    yes(
        &san_he(),
        json!({"relation": {"kind": "三合", "branches": ["酉", "丑", "巳"], "element": "金"}}),
    );
    no(
        &san_he(),
        json!({"relation": {"kind": "三合", "element": "水"}}),
    );
    no(&a(), json!({"relation": {"kind": "三合"}}));
    yes(
        &san_hui(),
        json!({"relation": {"kind": "三会", "element": "水"}}),
    );
    no(
        &san_hui(),
        json!({"relation": {"kind": "三会", "branches": ["寅", "卯", "辰"]}}),
    );
    yes(
        &ban_he(),
        json!({"relation": {"kind": "半合", "branches": ["丑", "酉"]}}),
    );
    no(&a(), json!({"relation": {"kind": "半合"}}));
}

#[test]
fn stem_relations() {
    let c = a(); // 丁壬 五合 木 (month, hour)
    yes(
        &c,
        json!({"stem_relation": {"kind": "五合", "stems": ["壬", "丁"], "element": "木"}}),
    );
    yes(
        &c,
        json!({"stem_relation": {"kind": "五合", "position": "hour"}}),
    );
    no(
        &c,
        json!({"stem_relation": {"kind": "五合", "position": "day"}}),
    );
    no(&c, json!({"stem_relation": {"kind": "相冲"}}));
    yes(
        &self::c(),
        json!({"stem_relation": {"kind": "相冲", "stems": ["甲", "庚"]}}),
    );
    yes(
        &b(),
        json!({"stem_relation": {"kind": "五合", "stems": ["甲", "己"], "position": "hour"}}),
    );
}

#[test]
fn day_pillar_relation() {
    yes(&a(), json!({"day_pillar_relation": "generated_by"}));
    no(&a(), json!({"day_pillar_relation": "same"}));
    yes(&c(), json!({"day_pillar_relation": ["same", "control"]}));
}

#[test]
fn nayin() {
    let c = a(); // 大林木 涧下水 白蜡金 杨柳木
    yes(&c, json!({"nayin": {"position": "year", "is": "大林木"}}));
    no(&c, json!({"nayin": {"position": "year", "is": "海中金"}}));
    yes(&c, json!({"nayin": {"is": "白蜡金"}}));
    yes(
        &c,
        json!({"nayin_element": {"position": "month", "is": "水"}}),
    );
    no(
        &c,
        json!({"nayin_element": {"position": "hour", "is": "金"}}),
    );
    no(&c, json!({"nayin_element": {"is": "火"}}));
}

#[test]
fn life_stages() {
    let c = a(); // star_fortune 长生 墓 养 沐浴; self_sitting 帝旺 墓 养 胎
    yes(
        &c,
        json!({"star_fortune": {"position": "month", "is": "墓"}}),
    );
    no(
        &c,
        json!({"star_fortune": {"position": "month", "is": "帝旺"}}),
    );
    yes(&c, json!({"star_fortune": {"in": ["长生", "帝旺"]}}));
    yes(
        &c,
        json!({"self_sitting": {"position": "year", "is": "帝旺"}}),
    );
    no(
        &c,
        json!({"self_sitting": {"position": "day", "is": "帝旺"}}),
    );
    no(&c, json!({"self_sitting": {"is": "死"}}));
}

#[test]
fn season_gender_zodiac() {
    let c = a();
    yes(&c, json!({"season": "冬"}));
    no(&c, json!({"season": "夏"}));
    yes(&d(), json!({"season": "夏"}));
    yes(&self::c(), json!({"season": ["秋", "春"]}));
    yes(&c, json!({"gender": "male"}));
    no(&c, json!({"gender": "female"}));
    yes(&c, json!({"zodiac": "蛇"}));
    no(&c, json!({"zodiac": "马"}));
}

#[test]
fn strength() {
    let c = a();
    let none = Facts::new(&c);
    let strong = Facts::new(&c).with_strength(StrengthLevel::ShenQiang);
    let check = |f: &Facts<'_>, cond: Value| compile(&cond).matches(f);
    assert!(!check(&none, json!({"strength": "身强"})), "no level given");
    assert!(!check(&none, json!({"strength_at_least": "从弱"})));
    assert!(!check(&none, json!({"strength_at_most": "从强"})));
    assert!(check(&strong, json!({"strength": "身强"})));
    assert!(check(&strong, json!({"strength": ["身强", "从强"]})));
    assert!(!check(&strong, json!({"strength": "身弱"})));
    assert!(check(&strong, json!({"strength_at_least": "中和"})));
    assert!(check(&strong, json!({"strength_at_least": "身强"})));
    assert!(!check(&strong, json!({"strength_at_least": "从强"})));
    assert!(check(&strong, json!({"strength_at_most": "身强"})));
    assert!(!check(&strong, json!({"strength_at_most": "中和"})));
}

#[test]
fn favourable_elements() {
    let c = a();
    let f = Facts::with_analysis(
        &c,
        Some(StrengthLevel::ShenRuo),
        &[Element::Earth, Element::Metal],
        &[Element::Fire],
    );
    assert_eq!(f.strength(), Some(StrengthLevel::ShenRuo));
    let check = |cond: Value| compile(&cond).matches(&f);
    assert!(check(json!({"favourable_includes": "土"})));
    assert!(!check(json!({"favourable_includes": "火"})));
    assert!(check(json!({"unfavourable_includes": "火"})));
    assert!(!check(json!({"unfavourable_includes": "土"})));
    assert!(check(json!({"strength": "身弱"})));
    no(&c, json!({"favourable_includes": "土"})); // not given
}

#[test]
fn kongwang() {
    let c = a(); // 空亡: year 戌亥, day 申酉
    yes(
        &c,
        json!({"kongwang_contains": {"position": "day", "is": "申"}}),
    );
    no(
        &c,
        json!({"kongwang_contains": {"position": "day", "is": "戌"}}),
    );
    yes(
        &c,
        json!({"kongwang_contains": {"position": "year", "in": ["戌", "子"]}}),
    );
    no(&c, json!({"kongwang_hit": {}}));
    let k = kongwang_chart(); // 甲子 丁丑 戊午 癸丑, day 空亡 子丑
    yes(&k, json!({"kongwang_hit": {"position": "year"}}));
    yes(&k, json!({"kongwang_hit": {}}));
    no(&c, json!({"kongwang_hit": {"position": "year"}}));
}

#[test]
fn late_zi_and_birth_year() {
    no(&a(), json!({"late_zi_adjusted": true}));
    yes(&a(), json!({"late_zi_adjusted": false}));
    yes(&b(), json!({"late_zi_adjusted": true}));
    yes(&a(), json!({"birth_year": {"from": 1985, "to": 1995}}));
    yes(&a(), json!({"birth_year": {"to": 1990}}));
    no(&a(), json!({"birth_year": {"from": 1991}}));
    no(&a(), json!({"birth_year": {"from": 1980, "to": 1989}}));
}

#[test]
fn season_of_facts() {
    let c = a();
    assert_eq!(Facts::new(&c).season().as_str(), "冬");
}

// ---------------------------------------------------------------------------
// Refusals.
// ---------------------------------------------------------------------------

#[track_caller]
fn refused(cond: Value, path: &str, kind: CompileErrorKind) {
    match Condition::compile(&cond) {
        Ok(_) => panic!("{cond} compiled; expected a refusal at {path}"),
        Err(e) => {
            assert_eq!(e.path, path, "{cond}: {e}");
            assert_eq!(e.kind, kind, "{cond}: {e}");
            assert!(e.to_string().starts_with(path), "{e}");
        }
    }
}

#[test]
fn unknown_keys_are_refused() {
    use CompileErrorKind::UnknownKey;
    refused(
        json!({"all": [{"season": "冬"}, {"gender": "male"}, {"elemnt_count": {}}]}),
        "$.all[2].elemnt_count",
        UnknownKey,
    );
    refused(
        json!({"element_count": {"element": "木", "op": ">=", "value": 3, "extra": 1}}),
        "$.element_count.extra",
        UnknownKey,
    );
    refused(
        json!({"not": {"stem": {"position": "day", "is": "甲", "of": "x"}}}),
        "$.not.stem.of",
        UnknownKey,
    );
    refused(json!({"季节": "冬"}), "$[\"季节\"]", UnknownKey);
    refused(
        json!({"season": "冬", "colour": "red"}),
        "$.colour",
        UnknownKey,
    );
}

#[test]
fn missing_keys_are_refused() {
    use CompileErrorKind::MissingKey;
    refused(
        json!({"element_count": {"element": "木", "value": 3}}),
        "$.element_count.op",
        MissingKey,
    );
    refused(
        json!({"stem": {"position": "day"}}),
        "$.stem.is",
        MissingKey,
    );
    refused(json!({"relation": {}}), "$.relation.kind", MissingKey);
    refused(json!({"birth_year": {}}), "$.birth_year.from", MissingKey);
}

#[test]
fn wrong_types_are_refused() {
    use CompileErrorKind::WrongType;
    refused(
        json!({"element_count": {"element": "木", "op": ">=", "value": "3"}}),
        "$.element_count.value",
        WrongType,
    );
    refused(
        json!({"element_count": {"element": "木", "op": ">=", "value": 2.5}}),
        "$.element_count.value",
        WrongType,
    );
    refused(json!({"all": {"season": "冬"}}), "$.all", WrongType);
    refused(json!({"any": [1]}), "$.any[0]", WrongType);
    refused(
        json!({"late_zi_adjusted": "yes"}),
        "$.late_zi_adjusted",
        WrongType,
    );
    refused(
        json!({"stem": {"position": 1, "is": "甲"}}),
        "$.stem.position",
        WrongType,
    );
    refused(json!({"stem": "甲"}), "$.stem", WrongType);
    refused(json!({"season": 4}), "$.season", WrongType);
    refused(
        json!({"element_missing": ["木"]}),
        "$.element_missing",
        WrongType,
    );
    refused(
        json!({"relation": {"kind": "六冲", "branches": "子午"}}),
        "$.relation.branches",
        WrongType,
    );
    refused(json!("season"), "$", WrongType);
}

#[test]
fn impossible_values_are_refused() {
    use CompileErrorKind::ImpossibleValue;
    refused(json!({"stem": {"is": "X"}}), "$.stem.is", ImpossibleValue);
    refused(
        json!({"pillar": {"position": "week", "is": "甲子"}}),
        "$.pillar.position",
        ImpossibleValue,
    );
    refused(
        json!({"all": [{"season": "冬"}, {"gender": "male"},
                       {"element_count": {"element": "木", "op": "~", "value": 3}}]}),
        "$.all[2].element_count.op",
        ImpossibleValue,
    );
    refused(
        json!({"element_count": {"element": "木", "op": ">=", "value": -1}}),
        "$.element_count.value",
        ImpossibleValue,
    );
    refused(
        json!({"element_count": {"element": "木", "op": ">=", "value": 9}}),
        "$.element_count.value",
        ImpossibleValue,
    );
    refused(
        json!({"ten_god_count": {"ten_god": "七杀", "op": ">", "value": 4, "scope": "stems"}}),
        "$.ten_god_count.value",
        ImpossibleValue,
    );
    refused(json!({"all": []}), "$.all", ImpossibleValue);
    refused(
        json!({"any": [{"not": {"all": []}}]}),
        "$.any[0].not.all",
        ImpossibleValue,
    );
    refused(json!({"stem": {"in": []}}), "$.stem.in", ImpossibleValue);
    refused(
        json!({"stem": {"in": ["甲", "X"]}}),
        "$.stem.in[1]",
        ImpossibleValue,
    );
    refused(
        json!({"stem": {"is": "甲", "in": ["乙"]}}),
        "$.stem",
        ImpossibleValue,
    );
    refused(
        json!({"pillar": {"is": "甲丑"}}),
        "$.pillar.is",
        ImpossibleValue,
    );
    refused(json!({"season": "spring"}), "$.season", ImpossibleValue);
    refused(json!({"gender": "男"}), "$.gender", ImpossibleValue);
    refused(json!({"strength": "很强"}), "$.strength", ImpossibleValue);
    refused(
        json!({"ten_god_stem": {"position": "day", "is": "比肩"}}),
        "$.ten_god_stem.position",
        ImpossibleValue,
    );
    refused(
        json!({"kongwang_hit": {"position": "day"}}),
        "$.kongwang_hit.position",
        ImpossibleValue,
    );
    refused(
        json!({"main_star": {"position": "month", "is": "元男"}}),
        "$.main_star.is",
        ImpossibleValue,
    );
    refused(
        json!({"main_star": {"position": "day", "is": "七杀"}}),
        "$.main_star.is",
        ImpossibleValue,
    );
    refused(
        json!({"relation": {"kind": "六冲", "branches": ["子", "丑"]}}),
        "$.relation.branches",
        ImpossibleValue,
    );
    refused(
        json!({"relation": {"kind": "三合", "branches": ["申", "子"]}}),
        "$.relation.branches",
        ImpossibleValue,
    );
    refused(
        json!({"relation": {"kind": "三合", "element": "土"}}),
        "$.relation.element",
        ImpossibleValue,
    );
    refused(
        json!({"relation": {"kind": "六冲", "element": "水"}}),
        "$.relation.element",
        ImpossibleValue,
    );
    refused(
        json!({"relation": {"kind": "五合"}}),
        "$.relation.kind",
        ImpossibleValue,
    );
    refused(
        json!({"relation": {"kind": "六合", "branches": ["子", "丑", "寅", "卯"]}}),
        "$.relation.branches",
        ImpossibleValue,
    );
    refused(
        json!({"stem_relation": {"kind": "五合", "stems": ["甲", "乙"]}}),
        "$.stem_relation.stems",
        ImpossibleValue,
    );
    refused(
        json!({"birth_year": {"from": 2000, "to": 1990}}),
        "$.birth_year",
        ImpossibleValue,
    );
    refused(
        json!({"birth_year": {"from": 1800}}),
        "$.birth_year.from",
        ImpossibleValue,
    );
    refused(json!({}), "$", ImpossibleValue);
    refused(
        json!({"season": "冬", "gender": "male"}),
        "$",
        ImpossibleValue,
    );
    refused(json!({"not": {}}), "$.not", ImpossibleValue);
}

#[test]
fn refusal_message_names_the_choices() {
    let e = Condition::compile(&json!({"season": "spring"})).expect_err("refused");
    assert!(e.message.contains("春"), "{e}");
    let e = Condition::compile(&json!({"element_count": {"element": "木", "op": "~", "value": 1}}))
        .expect_err("refused");
    assert!(e.message.contains(">="), "{e}");
}

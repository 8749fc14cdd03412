//! The analyzers (`bazi::analysis`) on charts whose answer is clear by
//! construction, on the 1990-01-15 example, on 调候 cases, and their
//! invariants over 1,000 seeded random charts of 1900–2100.

mod common;

use bazi::analysis::{
    self, hidden_stem_shares, rizhu, run, run_all, ten_gods_energy, wangshuai, wuxing_balance,
    xishen_jishen, xishen_jishen_from, AnalysisResult, AnalysisType, Balance, Basis, Factor,
    Favourable, Part, Role, Strength, StrengthLevel, TenGodEnergy, TenGodGroup,
};
use bazi::calendar::{date_of_day_number, day_number};
use bazi::ganzhi::{Element, Stem};
use bazi::pillars::PillarPosition;
use bazi::{chart, BirthInput, Chart, Gender};
use common::Rng;
use serde_json::Value;

const EPS: f64 = 1e-9;

fn chart_of(date: &str, time: &str, gender: &str) -> Chart {
    chart(&BirthInput::parse(date, time, gender).expect("valid input")).expect("chart")
}

fn names(c: &Chart) -> [String; 4] {
    c.pillars().to_array().map(|p| p.name())
}

/// Every stem other than the day stem and every hidden stem, as (element,
/// share) — independent of the analyzer's own bookkeeping.
fn other_characters(c: &Chart) -> Vec<(Element, f64)> {
    let mut out = Vec::new();
    for (pos, p) in c.pillars().iter() {
        if pos != PillarPosition::Day {
            out.push((p.stem.element(), 1.0));
        }
        out.extend(hidden_stem_shares(p.branch).map(|(s, share)| (s.element(), share)));
    }
    out
}

fn supports(day_master: Stem, e: Element) -> bool {
    let dm = day_master.element();
    e == dm || e.generates() == dm
}

fn sum_points(s: &Strength) -> f64 {
    s.contributions.iter().map(|c| c.points).sum()
}

// ---------------------------------------------------------------------------
// Clear by construction
// ---------------------------------------------------------------------------

/// 癸卯 乙卯 甲子 甲子: a 甲 (wood) day master where every other stem is wood or
/// water, every hidden stem (卯 乙, 子 癸) too, and the month 卯 is wood (旺).
/// Found by a search over 1900–2100 (the chart with the highest score); the
/// property is checked here directly.
#[test]
fn everything_supports_is_cong_qiang() {
    let c = chart_of("1903-04-06", "00:30", "male");
    assert_eq!(names(&c), ["癸卯", "乙卯", "甲子", "甲子"]);
    let dm = c.day_master();
    assert!(other_characters(&c).iter().all(|(e, _)| supports(dm, *e)));

    let s = wangshuai(&c);
    assert!((sum_points(&s) - s.score).abs() < EPS);
    assert!(s.contributions.iter().all(|x| x.points > 0.0));
    assert_eq!(s.opposition, 0.0);
    assert_eq!(s.score, 100.0);
    assert_eq!(s.level, StrengthLevel::CongQiang);
    assert_eq!(s.month.state, analysis::SeasonState::Wang);

    // 从强 follows the strength: wood and water favourable, metal and earth not.
    let f = xishen_jishen_from(&c, &s);
    let fav: Vec<Element> = f.favourable.iter().map(|j| j.element).collect();
    let unfav: Vec<Element> = f.unfavourable.iter().map(|j| j.element).collect();
    assert!(fav.contains(&Element::Wood) && fav.contains(&Element::Water));
    assert!(unfav.contains(&Element::Metal) && unfav.contains(&Element::Earth));
}

/// 丙午 乙未 壬午 丙午: a 壬 (water) day master where no other stem or hidden
/// stem is water or metal (丙丁 火, 己 土, 乙 木) and the month 未 (土) controls
/// it (死). Found by the same search (the lowest score).
#[test]
fn nothing_supports_is_cong_ruo() {
    let c = chart_of("1906-08-06", "12:30", "female");
    assert_eq!(names(&c), ["丙午", "乙未", "壬午", "丙午"]);
    let dm = c.day_master();
    assert!(other_characters(&c).iter().all(|(e, _)| !supports(dm, *e)));

    let s = wangshuai(&c);
    assert!((sum_points(&s) - s.score).abs() < EPS);
    assert!(s.contributions.iter().all(|x| x.points < 0.0));
    assert_eq!(s.support, 0.0);
    assert_eq!(s.score, -100.0);
    assert_eq!(s.level, StrengthLevel::CongRuo);
    assert_eq!(s.month.state, analysis::SeasonState::Si);

    // 从弱 follows the heaviest of 食伤/财/官杀: here 财 (火: 丙丙 and 午午午).
    let f = xishen_jishen(&c);
    assert_eq!(f.follows, Some(TenGodGroup::Cai));
    assert_eq!(f.yongshen, Element::Fire);
    let unfav: Vec<Element> = f.unfavourable.iter().map(|j| j.element).collect();
    assert!(unfav.contains(&Element::Water) && unfav.contains(&Element::Metal));
}

/// The search the two charts above came from: every day of 1900–2100 at
/// 00:30, 02:30, …, 22:30, collecting the charts that reach ±100 (the
/// tests above use one of each). Slow in a debug build: `cargo test
/// --release -p bazi --test analysis -- --ignored`.
#[test]
#[ignore]
fn search_for_extreme_charts() {
    let (mut best, mut worst) = (Vec::new(), Vec::new());
    for n in day_number(1900, 1, 1)..=day_number(2100, 12, 31) {
        let (y, m, d) = date_of_day_number(n);
        for h in (0..24).step_by(2) {
            let c = chart(&BirthInput::new(y, m, d, h, 30, Gender::Male).expect("valid"))
                .expect("chart");
            let s = wangshuai(&c);
            let at = format!("{y:04}-{m:02}-{d:02} {h:02}:30");
            if s.score == 100.0 {
                best.push(at);
            } else if s.score == -100.0 {
                worst.push(at);
            }
        }
    }
    println!("{} charts at 100, {} at -100", best.len(), worst.len());
    assert!(best.contains(&"1903-04-06 00:30".to_string()));
    assert!(worst.contains(&"1906-08-06 12:30".to_string()));
}

// ---------------------------------------------------------------------------
// The guide's example
// ---------------------------------------------------------------------------

/// 1990-01-15 12:00 male: 己巳 丁丑 庚辰 壬午, day master 庚 (metal).
///
/// 中和, score 9.4: the month 丑 is 土, which generates metal (相, +21), and
/// 印 roots sit in 丑 (己) and 辰 (戊) with 己 on the year stem (+8); against
/// that stand 丁 (−12) and 壬 (−10) beside the day master and the fire of 巳
/// and 午. Support 50.2 against opposition 40.8 — slightly strong, inside
/// the ±10 band.
#[test]
fn example_1990_01_15() {
    let c = chart_of("1990-01-15", "12:00", "male");
    assert_eq!(names(&c), ["己巳", "丁丑", "庚辰", "壬午"]);

    let s = wangshuai(&c);
    assert_eq!(s.level, StrengthLevel::ZhongHe);
    assert!((s.score - 9.4).abs() < EPS);
    assert!((s.support - 50.2).abs() < EPS && (s.opposition - 40.8).abs() < EPS);
    assert!((sum_points(&s) - s.score).abs() < EPS);
    assert!((s.factors.de_ling - 21.0).abs() < EPS);
    assert!((s.factors.de_di - 2.4).abs() < EPS);
    assert!((s.factors.de_shi + 14.0).abs() < EPS);
    let lines: Vec<String> = s
        .contributions
        .iter()
        .map(|x| format!("{}{}{}", x.factor.as_str(), x.character, x.points))
        .collect();
    assert_eq!(
        lines,
        [
            "得令丑21",
            "得地丙-4.8",
            "得地庚2.4",
            "得地戊0.8",
            "得地己7.2",
            "得地癸-3.6",
            "得地辛1.2",
            "得地戊7.2",
            "得地乙-3.6",
            "得地癸-1.2",
            "得地丁-5.6",
            "得地己2.4",
            "得势己8",
            "得势丁-12",
            "得势壬-10",
        ]
    );

    let b = wuxing_balance(&c);
    let total: f64 = b.elements.iter().map(|e| e.percent).sum();
    assert!((total - 100.0).abs() < EPS);
    let pct = b.elements.map(|e| e.percent);
    assert_eq!(pct, [3.75, 28.75, 32.5, 17.5, 17.5]); // 木 火 土 金 水
    assert_eq!(b.weak, [Element::Wood]);
    assert!(b.missing.is_empty() && b.excessive.is_empty());
    assert_eq!(b.strongest, Element::Earth);

    // 中和: favour the two lightest (木 3.75 %, then 金 before 水 at 17.5 %),
    // avoid the heaviest (土). 调候 would want 火, but 火 already has 28.75 %.
    let f = xishen_jishen(&c);
    check_favourable(&c, &f, &s, &b);
    assert_eq!(f.yongshen, Element::Wood);
    let fav: Vec<Element> = f.favourable_elements().collect();
    let unfav: Vec<Element> = f.unfavourable_elements().collect();
    assert_eq!(fav, [Element::Wood, Element::Metal]);
    assert_eq!(unfav, [Element::Earth]);
    assert!(!f.tiaohou.applied);
    assert_eq!(f.tiaohou.needed, Some(Element::Fire));

    let e = ten_gods_energy(&c);
    check_energy(&e);
    assert!((e.group(TenGodGroup::Yin).weight - 2.6).abs() < EPS);
    assert_eq!(e.dominant, TenGodGroup::Yin);

    let r = rizhu(&c);
    assert_eq!(r.ganzhi.to_string(), "庚辰");
    assert_eq!(r.nayin.as_str(), "白蜡金");
    assert_eq!(r.self_sitting.as_str(), "养");
    let hidden: Vec<String> = r
        .hidden_stems
        .iter()
        .map(|h| format!("{}{}{}", h.stem, h.ten_god.as_str(), h.share))
        .collect();
    assert_eq!(hidden, ["戊偏印0.6", "乙正财0.3", "癸伤官0.1"]);
    assert_eq!(r.spouse_palace_relations.len(), 1);
    assert_eq!(r.spouse_palace_relations[0].kind.as_str(), "六破");
    assert_eq!(r.gender, Gender::Male);
    assert_eq!(r.spouse_star.group, TenGodGroup::Cai);
    assert!(r.spouse_star.in_spouse_palace);

    let v = serde_json::to_value(run_all(&c)).expect("serialises");
    let keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(|k| k.as_str())
        .collect();
    let mut expected = AnalysisType::ALL.map(|t| t.as_str());
    expected.sort_unstable();
    let mut keys_sorted = keys.clone();
    keys_sorted.sort_unstable();
    assert_eq!(keys_sorted, expected);
    assert_eq!(v["wangshuai"]["level"], "中和");
    assert_eq!(v["wangshuai"]["month"]["state"], "相");
    assert_eq!(v["wangshuai"]["factors"]["得令"], 21.0);
    assert_eq!(v["wangshuai"]["contributions"][0]["factor"], "得令");
    assert_eq!(v["xishen_jishen"]["favourable"][0]["role"], "用神");
    assert_eq!(v["wuxing_balance"]["elements"][0]["state"], "weak");
    assert_eq!(v["ten_gods_energy"]["groups"][1]["group"], "印");
    assert_eq!(v["rizhu_gender"]["ganzhi"], "庚辰");
    assert_eq!(
        v["rizhu_gender"]["spouse_palace_relations"][0]["kind"],
        "六破"
    );
}

fn elements(list: &[analysis::ElementJudgement]) -> Vec<Element> {
    list.iter().map(|j| j.element).collect()
}

// ---------------------------------------------------------------------------
// 调候
// ---------------------------------------------------------------------------

fn has_season_reason(f: &Favourable, e: Element) -> bool {
    f.favourable
        .iter()
        .any(|j| j.element == e && j.reasons.iter().any(|r| r.basis == Basis::Season))
}

/// 壬申 癸丑 甲辰 戊辰: 甲 born in the 丑 month (winter) with no fire at all.
/// 身弱 alone would make 火 (食伤, draining) unfavourable; 调候 overrides it
/// and 火 is the 用神.
#[test]
fn winter_chart_without_fire_needs_fire() {
    let c = chart_of("1993-01-23", "08:30", "male");
    assert_eq!(names(&c), ["壬申", "癸丑", "甲辰", "戊辰"]);
    let b = wuxing_balance(&c);
    assert_eq!(b.get(Element::Fire).percent, 0.0);
    let f = xishen_jishen(&c);
    assert_eq!(f.level, StrengthLevel::ShenRuo);
    assert!(f.tiaohou.applied);
    assert_eq!(f.yongshen, Element::Fire);
    assert!(has_season_reason(&f, Element::Fire));
    assert!(!elements(&f.unfavourable).contains(&Element::Fire));
    assert!(!f.unfavourable.is_empty());

    // 壬申 壬子 戊辰 壬子: 戊 born in 子; 火 is 印, favourable for the weak
    // day master anyway, and 调候 adds its reason.
    let c = chart_of("1992-12-18", "00:30", "female");
    assert_eq!(names(&c), ["壬申", "壬子", "戊辰", "壬子"]);
    let f = xishen_jishen(&c);
    assert_eq!(f.level, StrengthLevel::ShenRuo);
    assert!(has_season_reason(&f, Element::Fire));
    let fire = &f.favourable[0];
    assert_eq!(fire.element, Element::Fire);
    assert!(fire.reasons.iter().any(|r| r.basis == Basis::Strength));
}

/// 从强 takes precedence: 壬申 壬子 癸亥 壬子 (癸 in 子, all water and metal)
/// would need fire, but fire is 财 against the followed strength.
#[test]
fn following_pattern_overrides_tiaohou() {
    let c = chart_of("1992-12-13", "00:30", "male");
    assert_eq!(names(&c), ["壬申", "壬子", "癸亥", "壬子"]);
    let f = xishen_jishen(&c);
    assert_eq!(f.level, StrengthLevel::CongQiang);
    assert!(!f.tiaohou.applied);
    assert!(elements(&f.unfavourable).contains(&Element::Fire));
}

/// 辛巳 甲午 乙巳 戊寅: 乙 born in 午 (summer) without water: 水 favourable
/// with a 调候 reason (and as 印 for the weak day master).
#[test]
fn summer_chart_without_water_needs_water() {
    let c = chart_of("2001-06-11", "04:30", "female");
    assert_eq!(names(&c), ["辛巳", "甲午", "乙巳", "戊寅"]);
    let f = xishen_jishen(&c);
    assert_eq!(f.tiaohou.needed, Some(Element::Water));
    assert!(f.tiaohou.applied);
    assert!(has_season_reason(&f, Element::Water));
    assert_eq!(f.yongshen, Element::Water);
}

// ---------------------------------------------------------------------------
// Invariants
// ---------------------------------------------------------------------------

fn check_strength(c: &Chart, s: &Strength) {
    let tag = names(c).join(" ");
    assert!((sum_points(s) - s.score).abs() < EPS, "{tag}");
    assert!((s.support - s.opposition - s.score).abs() < EPS, "{tag}");
    let f = &s.factors;
    assert!(
        (f.de_ling + f.de_di + f.de_shi - s.score).abs() < EPS,
        "{tag}"
    );
    assert!((-100.0..=100.0).contains(&s.score), "{tag}");
    assert_eq!(s.level, StrengthLevel::from_score(s.score), "{tag}");
    assert_eq!(s.day_master, c.day_master());

    let hidden: usize = c
        .pillars()
        .iter()
        .map(|(_, p)| p.branch.hidden_stems().len())
        .sum();
    assert_eq!(s.contributions.len(), 1 + hidden + 3, "{tag}");
    let mut stake = 0.0;
    for x in &s.contributions {
        let magnitude = x.weight * x.share;
        let sign = if x.supports() { 1.0 } else { -1.0 };
        assert!((x.points - sign * magnitude).abs() < EPS, "{tag}: {x:?}");
        assert_eq!(x.relation.supports(), supports(c.day_master(), x.element));
        match x.factor {
            Factor::DeLing => {
                assert_eq!(x.part, Part::Branch);
                assert_eq!(x.position, PillarPosition::Month);
                assert_eq!(x.character, c.pillars().month.branch.as_str());
            }
            Factor::DeDi => {
                assert_eq!(x.part, Part::HiddenStem);
                stake += magnitude;
            }
            Factor::DeShi => {
                assert_eq!(x.part, Part::Stem);
                assert_ne!(x.position, PillarPosition::Day);
                stake += magnitude;
            }
        }
    }
    assert!((stake - 70.0).abs() < EPS, "{tag}");
}

fn check_balance(b: &Balance) {
    let pct: f64 = b.elements.iter().map(|e| e.percent).sum();
    assert!((pct - 100.0).abs() < EPS);
    let weight: f64 = b.elements.iter().map(|e| e.weight).sum();
    assert!((weight - 8.0).abs() < EPS);
    let stems: f64 = b.elements.iter().map(|e| e.stems).sum();
    assert!((stems - 4.0).abs() < EPS);
    let max = b.elements.iter().map(|e| e.weight).fold(0.0, f64::max);
    assert_eq!(b.get(b.strongest).weight, max);
    for e in &b.elements {
        assert!((e.stems + e.hidden - e.weight).abs() < EPS);
        assert_eq!(b.missing.contains(&e.element), e.weight == 0.0);
        assert_eq!(
            b.excessive.contains(&e.element),
            e.percent >= analysis::EXCESSIVE_PERCENT
        );
        assert_eq!(
            b.weak.contains(&e.element),
            e.weight > 0.0 && e.percent < analysis::WEAK_PERCENT
        );
        assert!(b.get(b.weakest).weight <= e.weight);
    }
}

fn check_energy(e: &TenGodEnergy) {
    let total: f64 = e.ten_gods.iter().map(|g| g.weight).sum();
    assert!((total - 7.0).abs() < EPS);
    let stems: f64 = e.ten_gods.iter().map(|g| g.stems).sum();
    assert!((stems - 3.0).abs() < EPS);
    let pct: f64 = e.groups.iter().map(|g| g.percent).sum();
    assert!((pct - 100.0).abs() <= 0.03, "{pct}");
    for g in &e.groups {
        let members: f64 = g.members.iter().map(|m| e.ten_god(*m).weight).sum();
        assert!((g.weight - members).abs() < EPS, "{g:?}");
        assert!(g.members.iter().all(|m| e.ten_god(*m).group == g.group));
        assert!(g.weight <= e.group(e.dominant).weight);
    }
}

fn check_favourable(c: &Chart, f: &Favourable, s: &Strength, b: &Balance) {
    let tag = names(c).join(" ");
    assert!(!f.favourable.is_empty(), "{tag}");
    assert!(!f.unfavourable.is_empty(), "{tag}");
    let mut seen: Vec<Element> = Vec::new();
    for j in f.favourable.iter().chain(&f.unfavourable).chain(&f.neutral) {
        assert!(!seen.contains(&j.element), "{tag}: {} twice", j.element);
        seen.push(j.element);
        assert!(!j.reasons.is_empty(), "{tag}");
        assert_eq!(j.group.element(c.day_master().element()), j.element);
        assert_eq!(j.percent, b.get(j.element).percent);
    }
    assert_eq!(seen.len(), 5, "{tag}");
    assert_eq!(f.yongshen, f.favourable[0].element);
    assert_eq!(f.favourable[0].role, Role::Yong);
    assert!(f.favourable[1..].iter().all(|j| j.role == Role::Xi));
    assert!(f.unfavourable.iter().all(|j| j.role == Role::Ji));
    assert!(f.neutral.iter().all(|j| j.role == Role::Xian));
    assert_eq!(f.level, s.level);
    assert_eq!(f.follows.is_some(), s.level == StrengthLevel::CongRuo);

    // 调候: applied exactly when needed, short and not against a 从 pattern.
    if let Some(e) = f.tiaohou.needed {
        if f.tiaohou.applied {
            assert_eq!(f.yongshen, e, "{tag}");
            assert!(has_season_reason(f, e), "{tag}");
        } else {
            let short = b.get(e).percent < analysis::TIAOHOU_ENOUGH_PERCENT;
            assert!(!short || s.level.is_following(), "{tag}");
        }
    } else {
        assert!(!f.tiaohou.applied);
    }
    match s.level {
        StrengthLevel::ShenQiang | StrengthLevel::ShenRuo => {
            let favoured = |g: TenGodGroup| g.supports() == (s.level == StrengthLevel::ShenRuo);
            for j in &f.favourable {
                assert!(favoured(j.group) || f.tiaohou.applied, "{tag}");
            }
            for j in &f.unfavourable {
                assert!(!favoured(j.group), "{tag}");
            }
        }
        StrengthLevel::CongQiang => {
            assert!(f.unfavourable.iter().all(|j| !j.group.supports()));
        }
        StrengthLevel::CongRuo => {
            assert!(f.favourable.iter().all(|j| !j.group.supports()));
        }
        StrengthLevel::ZhongHe => {}
    }
}

fn check_rizhu(c: &Chart, r: &analysis::RizhuFacts) {
    let day = c.pillars().day;
    assert_eq!(r.ganzhi, day);
    assert_eq!(r.nayin, c.details.day.nayin);
    assert_eq!(r.self_sitting, c.details.day.self_sitting);
    let stems: Vec<Stem> = r.hidden_stems.iter().map(|h| h.stem).collect();
    assert_eq!(stems, day.branch.hidden_stems());
    let gods: Vec<_> = r.hidden_stems.iter().map(|h| h.ten_god).collect();
    assert_eq!(gods, c.details.day.hidden_stars);
    let involving = c
        .relationships
        .branch_relations
        .iter()
        .filter(|x| x.pillars.contains(&PillarPosition::Day))
        .count();
    assert_eq!(r.spouse_palace_relations.len(), involving);
    assert_eq!(r.gender, c.basic_info.gender);
}

fn random_input(rng: &mut Rng) -> BirthInput {
    let first = day_number(1900, 1, 1);
    let last = day_number(2100, 12, 31);
    let (y, m, d) = date_of_day_number(rng.range(first, last));
    let gender = if rng.range(0, 1) == 0 {
        Gender::Male
    } else {
        Gender::Female
    };
    let (h, mi) = (rng.range(0, 23) as u32, rng.range(0, 59) as u32);
    BirthInput::new(y, m, d, h, mi, gender).expect("valid input")
}

#[test]
fn invariants_over_random_charts() {
    let mut rng = Rng::new(0x5EED_A11A);
    let mut levels = [0u32; 5];
    let mut applied = 0;
    for _ in 0..1000 {
        let c = chart(&random_input(&mut rng)).expect("chart");
        let s = wangshuai(&c);
        check_strength(&c, &s);
        let b = wuxing_balance(&c);
        check_balance(&b);
        let f = xishen_jishen_from(&c, &s);
        check_favourable(&c, &f, &s, &b);
        assert_eq!(f, xishen_jishen(&c));
        check_energy(&ten_gods_energy(&c));
        check_rizhu(&c, &rizhu(&c));
        levels[s.level as usize] += 1;
        applied += u32::from(f.tiaohou.applied);

        for kind in AnalysisType::ALL {
            let result = run(&c, kind);
            assert_eq!(result.kind(), kind);
            let v = serde_json::to_value(&result).expect("serialises");
            assert!(v.is_object());
        }
        let all = run_all(&c);
        assert_eq!(all.wangshuai, s);
        assert_eq!(all.xishen_jishen, f);
        let v = serde_json::to_value(&all).expect("serialises");
        for kind in AnalysisType::ALL {
            assert!(v.get(kind.as_str()).is_some_and(Value::is_object));
        }
    }
    // Every level occurs except possibly the rare 从强; 调候 applies sometimes.
    assert!(levels[1..4].iter().all(|n| *n > 0), "{levels:?}");
    assert!(applied > 0);
}

#[test]
fn run_matches_the_functions() {
    let c = chart_of("1990-01-15", "12:00", "female");
    match run(&c, AnalysisType::parse("wangshuai").expect("name")) {
        AnalysisResult::Wangshuai(s) => assert_eq!(s, wangshuai(&c)),
        other => panic!("{:?}", other.kind()),
    }
    match run(&c, AnalysisType::RizhuGender) {
        AnalysisResult::RizhuGender(r) => {
            assert_eq!(r.gender, Gender::Female);
            assert_eq!(r.spouse_star.group, TenGodGroup::GuanSha);
            assert_eq!(r.spouse_star.primary.as_str(), "正官");
            // 丁 (month) is 正官 for 庚.
            assert_eq!(r.spouse_star.in_stems, [PillarPosition::Month]);
        }
        other => panic!("{:?}", other.kind()),
    }
    // Untagged: the JSON of a result is the analysis itself.
    let v = serde_json::to_value(run(&c, AnalysisType::WuxingBalance)).expect("serialises");
    assert_eq!(
        v,
        serde_json::to_value(wuxing_balance(&c)).expect("serialises")
    );
    assert_eq!(
        serde_json::to_value(AnalysisType::TenGodsEnergy).expect("serialises"),
        "ten_gods_energy"
    );
}

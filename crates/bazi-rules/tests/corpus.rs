//! The built-in corpus: size, types, compilation, and the guide's example.

use std::collections::{BTreeMap, HashSet};

use bazi::analysis::StrengthLevel;
use bazi::ganzhi::{Element, Pillar};
use bazi_rules::{corpus, CompiledRule, Facts, OpenOptions, RuleSet, RuleStore};

fn by_type() -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in corpus() {
        *m.entry(r.rule_type).or_insert(0) += 1;
    }
    m
}

#[test]
fn size_and_types() {
    let rules = corpus();
    assert!(rules.len() >= 300, "{} rules", rules.len());
    let types = by_type();
    assert!(types.len() >= 8, "{types:?}");
    assert_eq!(types["rizhu_gender"], 120);
    let expected = [
        ("rizhu_gender", 120),
        ("wangshuai", 5),
        ("season_day_master", 20),
        ("month_stage", 12),
        ("day_master", 10),
        ("xishen", 50),
        ("ten_god", 30),
        ("element", 15),
        ("relation", 62),
        ("deity", 17),
        ("nayin", 30),
        ("kongwang", 3),
    ];
    for (t, n) in expected {
        assert_eq!(types.get(t), Some(&n), "{t}");
    }
    assert_eq!(rules.len(), 374);
}

#[test]
fn codes_are_unique_and_every_rule_compiles() {
    let rules = corpus();
    let mut codes = HashSet::new();
    for r in &rules {
        assert!(codes.insert(r.code.clone()), "duplicate code {}", r.code);
        if let Err(e) = CompiledRule::compile(r) {
            panic!("{}: {e}", r.code);
        }
        assert!(
            r.content["text"].as_str().is_some_and(|t| !t.is_empty()),
            "{}",
            r.code
        );
    }
    let set = RuleSet::compile(1, &rules);
    assert!(set.skipped().is_empty(), "{:?}", set.skipped());
    assert_eq!(set.len(), rules.len());
}

#[test]
fn rizhu_gender_covers_every_day_pillar_and_gender() {
    let codes: HashSet<String> = corpus().into_iter().map(|r| r.code).collect();
    for i in 0..60 {
        let p = Pillar::from_cycle_index(i);
        for g in ["male", "female"] {
            assert!(codes.contains(&format!("rizhu_gender/{p}/{g}")), "{p} {g}");
        }
    }
}

#[test]
fn the_guide_example_matches_its_rizhu_gender_rule() {
    // 1990-01-15 12:00 male: 己巳 丁丑 庚辰 壬午.
    let input = bazi::BirthInput::parse("1990-01-15", "12:00", "male").expect("input");
    let chart = bazi::chart(&input).expect("chart");
    let set = RuleSet::compile(1, &corpus());
    let facts = Facts::new(&chart);
    let (matched, unmatched) = set.matches(&facts, &["rizhu_gender"]);
    let codes: Vec<&str> = matched.iter().map(|r| r.code()).collect();
    assert_eq!(codes, ["rizhu_gender/庚辰/male"]);
    assert_eq!(unmatched.len(), 119);
    let text = matched[0].content()["text"].as_str().unwrap_or_default();
    assert!(text.starts_with("庚辰: 庚金 sits on 辰土"), "{text}");
    assert!(text.contains("白蜡金"), "{text}");
    assert!(
        text.contains("乙 (正财) hidden in the spouse palace"),
        "{text}"
    );

    // Across all types, with analysis facts: sorted by priority.
    let facts = Facts::new(&chart)
        .with_strength(StrengthLevel::ShenRuo)
        .with_favourable(&[Element::Earth, Element::Metal])
        .with_unfavourable(&[Element::Fire]);
    let (matched, unmatched) = set.matches(&facts, &[]);
    assert_eq!(matched.len() + unmatched.len(), set.len());
    assert!(matched
        .windows(2)
        .all(|w| w[0].priority() >= w[1].priority()));
    let codes: HashSet<&str> = matched.iter().map(|r| r.code()).collect();
    for expected in [
        "rizhu_gender/庚辰/male",
        "wangshuai/身弱",
        "season_day_master/金/冬",
        "month_stage/墓",
        "day_master/庚",
        "xishen/favourable/土/金",
        "xishen/unfavourable/火/金",
        "ten_god/month_stem/正官",
        "ten_god/many/正印",
        "ten_god/absent/偏财",
        "element/missing/木",
        "relation/六害/丑午",
        "relation/六破/丑辰",
        "relation/五合/丁壬",
        "deity/天乙贵人",
        "deity/桃花",
        "nayin/大林木",
    ] {
        assert!(
            codes.contains(expected),
            "{expected} not matched: {codes:?}"
        );
    }
    for absent in [
        "rizhu_gender/庚辰/female",
        "wangshuai/身强",
        "element/missing/金",
        "kongwang/year",
    ] {
        assert!(!codes.contains(absent), "{absent} matched");
    }
}

#[test]
fn every_type_matches_some_chart() {
    let set = RuleSet::compile(1, &corpus());
    let mut seen: HashSet<String> = HashSet::new();
    let mut matched_codes: HashSet<String> = HashSet::new();
    for y in (1950..2010).step_by(3) {
        for (m, h) in [(1, 0), (4, 6), (7, 12), (10, 18)] {
            let input = bazi::BirthInput::parse(
                &format!("{y}-{m:02}-15"),
                &format!("{h:02}:30"),
                if y % 2 == 0 { "male" } else { "female" },
            )
            .expect("input");
            let chart = bazi::chart(&input).expect("chart");
            let level = StrengthLevel::ALL[(y as usize) % 5];
            let facts = Facts::with_analysis(
                &chart,
                Some(level),
                &[Element::ALL[(y as usize) % 5]],
                &[Element::ALL[(m as usize) % 5]],
            );
            for r in set.matches(&facts, &[]).0 {
                seen.insert(r.rule_type().to_owned());
                matched_codes.insert(r.code().to_owned());
            }
        }
    }
    for t in by_type().keys() {
        assert!(seen.contains(t), "no chart matched a {t} rule");
    }
    assert!(matched_codes.len() > 150, "{}", matched_codes.len());
}

#[test]
fn a_new_store_holds_the_corpus_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rules.db");
    let store = RuleStore::open(&path).expect("open");
    let stats = store.stats().expect("stats");
    assert_eq!(stats.total as usize, corpus().len());
    assert_eq!(stats.enabled, stats.total);
    assert_eq!(stats.version, 1, "one bump for the whole corpus");
    assert!(store
        .list(None, false)
        .expect("list")
        .iter()
        .all(|r| r.source == "corpus"));
    drop(store);

    // Reopening loads nothing more.
    let store = RuleStore::open(&path).expect("reopen");
    assert_eq!(store.stats().expect("stats").total as usize, corpus().len());
    assert_eq!(store.version().expect("version"), 1);
    assert_eq!(
        store.load_corpus().expect("load"),
        0,
        "not empty: nothing loaded"
    );

    // The loaded set matches the example like the in-memory one.
    let set = store.load_rule_set().expect("rule set");
    assert_eq!(set.version(), 1);
    assert_eq!(set.len(), corpus().len());
    let input = bazi::BirthInput::parse("1990-01-15", "12:00", "male").expect("input");
    let chart = bazi::chart(&input).expect("chart");
    let (matched, _) = set.matches(&Facts::new(&chart), &["rizhu_gender"]);
    assert_eq!(matched.len(), 1);
    assert_eq!(matched[0].code(), "rizhu_gender/庚辰/male");
    assert_eq!(matched[0].name(), "庚辰日 男命");
    assert_eq!(matched[0].rule_type(), "rizhu_gender");
    assert_eq!(matched[0].priority(), 100);

    // Deleting every rule on purpose: a reopen does not bring them back.
    for r in store.list(None, false).expect("list") {
        store.delete(&r.code).expect("delete");
    }
    drop(store);
    let store = RuleStore::open(&path).expect("reopen");
    assert_eq!(store.stats().expect("stats").total, 0);
    // …but an explicit load does.
    assert_eq!(store.load_corpus().expect("load"), corpus().len());

    // A store opened without seeding stays empty.
    let empty = RuleStore::open_with(
        dir.path().join("empty.db"),
        &OpenOptions {
            seed_corpus: false,
            ..OpenOptions::default()
        },
    )
    .expect("open");
    assert_eq!(empty.stats().expect("stats").total, 0);
    assert_eq!(empty.version().expect("version"), 0);
}

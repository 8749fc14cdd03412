//! Analysis of whole desks with the project's corpus.

use fengshui::analysis::{placement_bonus, score, NO_DESK_ITEMS, PHOTO_ADVICE};
use fengshui::{
    analyze, Cell, DeskReport, DetectedObject, Element, Item, ItemKind, PersonalElements, Priority,
    Rule, RuleSet, Suggestion, SuggestionKind,
};
use serde_json::json;

/// A box of the given height whose centre is in the middle of the named cell.
fn sized(class: &str, cell: &str, height: f32) -> DetectedObject {
    let c = Cell::from_short_name(cell).unwrap();
    let (row, col) = (c.index() / 3, c.index() % 3);
    let x = 1.0 / 6.0 + col as f32 / 3.0;
    let y = 1.0 / 6.0 + row as f32 / 3.0;
    DetectedObject {
        class: class.to_owned(),
        confidence: 0.8,
        bbox: [x - 0.05, y - height / 2.0, x + 0.05, y + height / 2.0],
    }
}

fn at(class: &str, cell: &str) -> DetectedObject {
    sized(class, cell, 0.1)
}

fn corpus() -> RuleSet {
    fengshui::corpus::compiled().unwrap()
}

fn all(report: &DeskReport) -> impl Iterator<Item = &Suggestion> {
    report
        .adjustments
        .iter()
        .chain(&report.additions)
        .chain(&report.removals)
}

fn find<'r>(report: &'r DeskReport, code: &str) -> Option<&'r Suggestion> {
    all(report).find(|s| s.code == code)
}

fn codes(list: &[Suggestion]) -> Vec<&str> {
    list.iter().map(|s| s.code.as_str()).collect()
}

/// A tidy desk: laptop straight ahead (上, 朱雀), keyboard and mouse near,
/// a plant far left, a cup on the left.
fn tidy() -> Vec<DetectedObject> {
    vec![
        at("laptop", "上"),
        at("keyboard", "下"),
        at("mouse", "右下"),
        at("potted plant", "左上"),
        at("cup", "左"),
    ]
}

#[test]
fn no_detections_no_items_and_the_summary_says_what_to_photograph() {
    let elements = PersonalElements::from_names(&["水"], &["火"]).unwrap();
    let report = analyze(&[], &corpus(), Some(&elements));
    assert!(report.items.is_empty());
    assert_eq!(all(&report).count(), 0);
    assert_eq!(report.score, 0);
    assert_eq!(report.summary, format!("{NO_DESK_ITEMS}。{PHOTO_ADVICE}"));
    assert!(report.summary.contains("未在照片中识别到桌面物品"));
    assert!(report.summary.contains("正对桌面拍摄"));
}

#[test]
fn desk_items_are_placed_and_labelled_other_classes_only_named() {
    let report = analyze(
        &[
            at("cell phone", "左下"),
            at("person", "右上"),
            at("giraffe", "中"),
            at("person", "下"),
        ],
        &corpus(),
        None,
    );
    assert_eq!(report.items.len(), 1, "{:?}", report.items);
    let phone = &report.items[0];
    assert_eq!(phone.class, "cell phone");
    assert_eq!(phone.label, "手机");
    assert_eq!(phone.kind, ItemKind::CellPhone);
    assert_eq!(phone.cell, Cell::NearLeft);
    assert_eq!(phone.bagua.name(), "东北·艮");
    assert_eq!(phone.element, Element::Fire);
    assert_eq!(report.ignored, ["person", "giraffe"]);
    // No suggestion is about the other classes, and they are no clutter:
    // two more things in 明堂 and 玄武 would otherwise count.
    assert!(all(&report).all(|s| s.item != "giraffe" && s.item != "person"));
    assert!(
        report
            .summary
            .starts_with("识别到1件桌面物品：手机在左近身处（青龙位）。"),
        "{}",
        report.summary
    );
    assert!(
        report
            .summary
            .contains("画面中另有person、giraffe，不属于桌面物品，未计入分析。"),
        "{}",
        report.summary
    );
    // Advice-only names are not detections either.
    let lamp = analyze(&[at("desk lamp", "上")], &corpus(), None);
    assert!(lamp.items.is_empty());
}

#[test]
fn a_photo_of_other_things_has_no_items_no_advice_and_says_what_it_shows() {
    let elements = PersonalElements::from_names(&["木"], &["火"]).unwrap();
    let report = analyze(
        &[at("cat", "中"), at("person", "左"), at("cat", "右")],
        &corpus(),
        Some(&elements),
    );
    assert!(report.items.is_empty());
    assert_eq!(all(&report).count(), 0, "no rule runs");
    assert_eq!(report.score, 0);
    assert_eq!(report.ignored, ["cat", "person"]);
    assert_eq!(
        report.summary,
        format!("{NO_DESK_ITEMS}（画面中有：cat、person）。{PHOTO_ADVICE}")
    );
}

#[test]
fn a_missing_plant_is_added_on_the_qinglong_side() {
    let without = analyze(&[at("laptop", "上"), at("cup", "左")], &corpus(), None);
    let s = find(&without, "plant.missing").expect("plant.missing");
    assert_eq!(s.action, SuggestionKind::Addition);
    assert_eq!(
        (s.item.as_str(), s.item_label.as_str()),
        ("potted plant", "绿植")
    );
    assert_eq!(s.ideal_position, "左侧（青龙位）");
    assert_eq!(s.current_position, "");
    assert_eq!(s.element, Element::Wood);
    let with = analyze(&tidy(), &corpus(), None);
    assert!(find(&with, "plant.missing").is_none());
}

#[test]
fn sharp_objects_facing_the_sitter_are_removed_elsewhere_put_away() {
    let facing = analyze(&[at("scissors", "中"), at("laptop", "上")], &corpus(), None);
    let s = find(&facing, "scissors.facing").expect("scissors.facing");
    assert_eq!(s.action, SuggestionKind::Removal);
    assert_eq!(s.priority, Priority::High);
    assert_eq!(s.current_position, "中央（明堂位）");
    assert_eq!(
        facing.removals[0].code, "scissors.facing",
        "high priority first"
    );
    assert!(find(&facing, "scissors.out").is_none());

    let aside = analyze(
        &[at("scissors", "右上"), at("laptop", "上")],
        &corpus(),
        None,
    );
    assert!(find(&aside, "scissors.facing").is_none());
    let s = find(&aside, "scissors.out").expect("scissors.out");
    assert_eq!(s.action, SuggestionKind::Adjustment);
    assert_eq!(s.current_position, "右前方（白虎位）");

    let knife = analyze(&[at("knife", "左上")], &corpus(), None);
    assert_eq!(find(&knife, "knife.desk").unwrap().priority, Priority::High);
}

#[test]
fn water_on_the_baihu_side_moves_to_qinglong() {
    let right = analyze(&[at("laptop", "上"), at("cup", "右")], &corpus(), None);
    let s = find(&right, "cup.baihu").expect("cup.baihu");
    assert_eq!(s.current_position, "右侧（白虎位）");
    assert_eq!(s.ideal_position, "左侧（青龙位）");
    assert_eq!(s.element, Element::Water);
    assert!(s.reason.contains("白虎"));
    // Two cups: the position is the one on the 白虎 side.
    let two = analyze(&[at("cup", "左"), at("cup", "右下")], &corpus(), None);
    assert_eq!(
        find(&two, "cup.baihu").unwrap().current_position,
        "右近身处（白虎位）"
    );
    let left = analyze(&[at("laptop", "上"), at("cup", "左")], &corpus(), None);
    assert!(find(&left, "cup.baihu").is_none());
    let bottle = analyze(&[at("bottle", "右上")], &corpus(), None);
    assert!(find(&bottle, "bottle.baihu").is_some());
}

#[test]
fn clutter_in_the_mingtang_is_an_adjustment_about_the_centre() {
    let crowded = [
        at("laptop", "中"),
        at("book", "中"),
        at("cell phone", "中"),
        at("bowl", "中"),
    ];
    let report = analyze(&crowded, &corpus(), None);
    let s = find(&report, "clutter.mingtang").expect("clutter.mingtang");
    assert_eq!(s.item_label, "杂物");
    assert_eq!(s.current_position, "中央（明堂位）");
    assert_eq!(s.priority, Priority::High);
    let three = analyze(&crowded[..3], &corpus(), None);
    assert!(find(&three, "clutter.mingtang").is_none());
}

#[test]
fn electronics_rules() {
    let report = analyze(
        &[
            at("laptop", "右"),
            at("cell phone", "右下"),
            at("mouse", "右下"),
        ],
        &corpus(),
        None,
    );
    let s = find(&report, "electronics.baihu").expect("electronics.baihu");
    assert_eq!(s.item_label, "电子设备");
    assert_eq!(s.current_position, "右侧（白虎位）");
    // Three fire items and no water: add a cup of water on the left.
    let s = find(&report, "electronics.fire_without_water").expect("fire without water");
    assert_eq!(
        (s.item.as_str(), s.action),
        ("cup", SuggestionKind::Addition)
    );
    let with_water = analyze(
        &[
            at("laptop", "右"),
            at("cell phone", "右下"),
            at("mouse", "右下"),
            at("cup", "左"),
        ],
        &corpus(),
        None,
    );
    assert!(find(&with_water, "electronics.fire_without_water").is_none());
    let screens = analyze(
        &[at("tv", "左上"), at("tv", "上"), at("laptop", "右上")],
        &corpus(),
        None,
    );
    assert!(find(&screens, "screens.too_many").is_some());
    assert_eq!(
        find(&screens, "tv.not_front"),
        None,
        "both monitors are in the far row"
    );
}

#[test]
fn baihu_higher_than_qinglong() {
    let report = analyze(
        &[sized("bottle", "右", 0.3), sized("book", "左", 0.1)],
        &corpus(),
        None,
    );
    let s = find(&report, "tall.baihu_over_qinglong").expect("白虎抬头");
    assert_eq!(s.current_position, "右侧（白虎位）");
    // An empty 青龙 side is the business of `qinglong.empty`, not this rule.
    let alone = analyze(
        &[sized("bottle", "右", 0.3), at("laptop", "上")],
        &corpus(),
        None,
    );
    assert!(find(&alone, "tall.baihu_over_qinglong").is_none());
    assert!(find(&alone, "qinglong.empty").is_some());
    let balanced = analyze(
        &[sized("bottle", "右", 0.2), sized("book", "左", 0.2)],
        &corpus(),
        None,
    );
    assert!(find(&balanced, "tall.baihu_over_qinglong").is_none());
}

#[test]
fn favourable_elements_steer_additions() {
    let desk = [at("laptop", "上"), at("keyboard", "下"), at("cup", "左")];
    let plain = analyze(&desk, &corpus(), None);
    assert!(plain
        .additions
        .iter()
        .all(|s| !s.code.starts_with("favourable.")));

    let water_wood = PersonalElements::from_names(&["水", "木"], &[]).unwrap();
    let steered = analyze(&desk, &corpus(), Some(&water_wood));
    let water = find(&steered, "favourable.water").expect("favourable.water");
    assert_eq!(water.item_label, "小水景");
    assert_eq!(water.ideal_position, "身前近处（玄武位）");
    assert_eq!(water.element, Element::Water);
    assert!(
        water
            .reason
            .starts_with("你的喜用神为水、木。身前近处玄武位属水"),
        "{}",
        water.reason
    );
    assert_eq!(water.current_position, "");
    // 木 is favourable: the plant advice speaks of the person, not the plain rule.
    assert!(find(&steered, "favourable.wood").is_some());
    assert!(find(&steered, "plant.missing").is_none());
    assert!(find(&plain, "plant.missing").is_some());
    // An element already present in its own cell needs no addition.
    let fire = PersonalElements::from_names(&["火"], &[]).unwrap();
    assert!(find(&analyze(&desk, &corpus(), Some(&fire)), "favourable.fire").is_none());
    assert!(find(
        &analyze(&[at("cup", "左")], &corpus(), Some(&fire)),
        "favourable.fire"
    )
    .is_some());
}

#[test]
fn unfavourable_elements_steer_removals() {
    let desk = [
        at("potted plant", "左"),
        at("clock", "右"),
        at("laptop", "上"),
    ];
    let plain = analyze(&desk, &corpus(), None);
    assert!(plain.removals.is_empty(), "{:?}", codes(&plain.removals));

    let no_wood = PersonalElements::from_names(&["金"], &["木"]).unwrap();
    let report = analyze(&desk, &corpus(), Some(&no_wood));
    let s = find(&report, "unfavourable.potted_plant").expect("plant removal");
    assert_eq!(s.action, SuggestionKind::Removal);
    assert_eq!(s.current_position, "左侧（青龙位）");
    assert!(
        s.reason.starts_with("你的忌神为木，绿植属木"),
        "{}",
        s.reason
    );
    assert!(
        find(&report, "unfavourable.clock").is_none(),
        "金 is favourable here"
    );
    // Without a plant, someone whose 忌神 is 木 is not told to add one.
    let bare = analyze(&[at("laptop", "上")], &corpus(), Some(&no_wood));
    assert!(find(&bare, "plant.missing").is_none());
    assert!(find(&bare, "favourable.metal").is_some());

    let no_fire = PersonalElements::from_names(&["水"], &["火"]).unwrap();
    let report = analyze(&desk, &corpus(), Some(&no_fire));
    let s = find(&report, "unfavourable.laptop").expect("laptop");
    assert_eq!(
        s.action,
        SuggestionKind::Adjustment,
        "a laptop is toned down, not removed"
    );
}

#[test]
fn lists_are_ordered_by_priority_then_code_and_deterministic() {
    let messy = [
        at("cup", "右"),
        at("scissors", "下"),
        at("cell phone", "中"),
        at("book", "中"),
        at("clock", "上"),
        at("laptop", "右"),
        at("bottle", "中"),
        at("remote", "左"),
        at("bowl", "中"),
    ];
    let elements = PersonalElements::from_names(&["木"], &["水"]).unwrap();
    let a = analyze(&messy, &corpus(), Some(&elements));
    let b = analyze(&messy, &corpus(), Some(&elements));
    assert_eq!(a, b);
    for list in [&a.adjustments, &a.additions, &a.removals] {
        let keys: Vec<(Priority, &str)> =
            list.iter().map(|s| (s.priority, s.code.as_str())).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }
    assert!(a.adjustments.len() >= 5, "{:?}", codes(&a.adjustments));
    assert!(a.summary.contains("首要建议"));
    assert!(a.summary.contains(&format!("布局评分{}分", a.score)));
    // The messy desk scores below the tidy one.
    let tidy = analyze(&tidy(), &corpus(), None);
    assert!(a.score < tidy.score, "{} vs {}", a.score, tidy.score);
}

fn scoring_rule(code: &str, delta: i32) -> Rule {
    Rule {
        code: code.to_owned(),
        kind: SuggestionKind::Adjustment,
        item: ItemKind::Cup,
        condition: json!({"item": "cup"}),
        ideal_position: "左侧（青龙位）".to_owned(),
        reason: "测试。".to_owned(),
        priority: Priority::Low,
        element: Element::Water,
        score_delta: delta,
        enabled: true,
    }
}

#[test]
fn score_is_baseline_plus_deltas_plus_placement_bonus_clamped() {
    // Plant (木) in 青龙 (木): same element. Cup (水) in 白虎 right (金): 金
    // generates 水. Laptop (火) in 玄武 (水): 水 controls 火, no bonus.
    let desk = [
        at("potted plant", "左"),
        at("cup", "右"),
        at("laptop", "下"),
    ];
    let items: Vec<Item> = desk.iter().filter_map(Item::from_detection).collect();
    assert_eq!(placement_bonus(&items), 6);

    let rules = RuleSet::new(1, &[scoring_rule("a", -10), scoring_rule("b", -4)]).unwrap();
    let report = analyze(&desk, &rules, None);
    assert_eq!(report.score, 70 - 10 - 4 + 6);
    assert_eq!(report.score, score(&items, [-10, -4]));

    // Two plants count once; the bonus stops at 15.
    let many: Vec<Item> = [
        at("potted plant", "左"),
        at("potted plant", "左上"),
        at("book", "左"),
        at("cup", "右"),
        at("clock", "右"),
        at("vase", "右上"),
        at("tv", "上"),
    ]
    .iter()
    .filter_map(Item::from_detection)
    .collect();
    assert_eq!(placement_bonus(&many), 15);

    // Clamped both ways.
    let low = RuleSet::new(
        1,
        &[
            scoring_rule("a", -30),
            scoring_rule("b", -30),
            scoring_rule("c", -30),
        ],
    )
    .unwrap();
    assert_eq!(analyze(&desk, &low, None).score, 0);
    let high = RuleSet::new(1, &[scoring_rule("a", 30)]).unwrap();
    assert_eq!(analyze(&desk, &high, None).score, 100);
    // No rule fires: baseline plus bonus.
    assert_eq!(analyze(&desk, &RuleSet::default(), None).score, 76);
}

#[test]
fn a_tidy_desk_scores_above_baseline_and_says_so() {
    let report = analyze(&tidy(), &corpus(), None);
    assert!(
        report.score > 70,
        "{} {:?}",
        report.score,
        all(&report).map(|s| &s.code).collect::<Vec<_>>()
    );
    assert!(report.summary.starts_with("识别到5件桌面物品："));
}

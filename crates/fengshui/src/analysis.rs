//! From detections to a report: items placed on the grid, the rules that
//! fire, the score and a summary.
//!
//! # Where a suggestion says the item is now
//!
//! An addition's `current_position` is empty: it is about something to put
//! on the desk, wherever similar things may already be. For adjustments and
//! removals it depends on the zone the condition is about: its first
//! positive zone (`白虎` of `{"item_in_cell": {"item": "cup", "cell":
//! "白虎"}}`; parts under `not` do not count).
//!
//! * With such a zone: the cell name of the first item of the rule's class
//!   (in detection order) inside it, else the zone's own name (clutter in
//!   `明堂` reads `中央（明堂位）`, electronics crowding `白虎` read
//!   `右侧（白虎位）`).
//! * Without: the cell name of the first item of the rule's class, else
//!   empty.
//!
//! # Score
//!
//! With no items the score is 0: there is nothing to judge. Otherwise
//!
//! `score = clamp(70 + Σ score_delta of the rules that fired + placement bonus, 0, 100)`
//!
//! where the placement bonus is 3 for each item class (of the vocabulary)
//! with an item in a cell whose element is the item's own or generates it
//! (a plant, 木, in 青龙 木 or in 玄武 水), at most 15. Corpus rules that
//! find a problem subtract, so a tidy desk with well-placed things lands
//! between 70 and 85 and a crowded one far below.

use crate::condition::Desk;
use crate::element::{Element, PersonalElements};
use crate::item::ItemKind;
pub use crate::placement::{DetectedObject, Item};
use crate::rule::{CompiledRule, Priority, RuleSet, SuggestionKind};

/// One piece of advice.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    /// The rule that gave it.
    pub code: String,
    /// Class name of the item concerned.
    pub item: String,
    /// Its Chinese label.
    pub item_label: String,
    /// Where it is now (see the module documentation); empty if not on the desk.
    pub current_position: String,
    /// Where it should be.
    pub ideal_position: String,
    /// Why, with the person's elements filled in.
    pub reason: String,
    /// How urgent.
    pub priority: Priority,
    /// Move, add or remove ([`SuggestionKind::action`] gives the verb).
    pub action: SuggestionKind,
    /// The element concerned.
    pub element: Element,
    /// The rule's score change.
    pub score_delta: i32,
}

/// The analysis of one desk photo.
#[derive(Clone, Debug, PartialEq)]
pub struct DeskReport {
    /// The detections of desk classes, in detection order, placed on the
    /// grid.
    pub items: Vec<Item>,
    /// The other classes seen (`person`, `cat`), each once, in detection
    /// order: named in the summary so a person sees why their photo gave no
    /// advice, but never items and never read by a rule.
    pub ignored: Vec<String>,
    /// Items to move, by priority then code.
    pub adjustments: Vec<Suggestion>,
    /// Things to add, by priority then code.
    pub additions: Vec<Suggestion>,
    /// Items to remove, by priority then code.
    pub removals: Vec<Suggestion>,
    /// 0..=100 (see the module documentation).
    pub score: i32,
    /// What was found and the most urgent advice, in Chinese.
    pub summary: String,
}

/// Score of a desk without findings.
pub const BASELINE: i32 = 70;
/// Bonus per well-placed item class.
pub const PLACEMENT_BONUS: i32 = 3;
/// Cap of the total placement bonus.
pub const MAX_PLACEMENT_BONUS: i32 = 15;

/// The first sentence of the summary of a photo with no desk objects.
pub const NO_DESK_ITEMS: &str = "未在照片中识别到桌面物品";

/// What a usable photo shows: the rest of the summary of a photo with no
/// desk objects.
pub const PHOTO_ADVICE: &str =
    "请坐在椅子上正对桌面拍摄，让整个桌面入画、光线充足，电脑、水杯、绿植等物品清晰可见。";

/// The summary of a photo with no desk objects: [`NO_DESK_ITEMS`], the
/// other classes seen if any (`（画面中有：person）`) so that a person whose
/// photo shows them and not their desk sees why, then [`PHOTO_ADVICE`].
pub fn empty_summary(ignored: &[String]) -> String {
    if ignored.is_empty() {
        return format!("{NO_DESK_ITEMS}。{PHOTO_ADVICE}");
    }
    format!(
        "{NO_DESK_ITEMS}（画面中有：{}）。{PHOTO_ADVICE}",
        ignored.join("、")
    )
}

/// Analyses a desk: places every detection of a desk class, runs the rules,
/// scores and summarises. Without a desk item no rule runs (advice about a
/// photo that shows no desk would be invented); other classes are only
/// named in the summary.
pub fn analyze(
    objects: &[DetectedObject],
    rules: &RuleSet,
    elements: Option<&PersonalElements>,
) -> DeskReport {
    let mut items: Vec<Item> = Vec::new();
    let mut ignored: Vec<String> = Vec::new();
    for object in objects {
        match Item::from_detection(object) {
            Some(item) => items.push(item),
            None if !ignored.contains(&object.class) => ignored.push(object.class.clone()),
            None => {}
        }
    }
    if items.is_empty() {
        return DeskReport {
            items,
            summary: empty_summary(&ignored),
            ignored,
            adjustments: Vec::new(),
            additions: Vec::new(),
            removals: Vec::new(),
            score: 0,
        };
    }
    let desk = Desk::new(&items, elements);
    let mut adjustments = Vec::new();
    let mut additions = Vec::new();
    let mut removals = Vec::new();
    // The rule set is already in report order, so each list is too.
    for rule in rules
        .rules()
        .iter()
        .filter(|r| r.condition().matches(&desk))
    {
        let s = suggestion(rule, &items, elements);
        match s.action {
            SuggestionKind::Adjustment => adjustments.push(s),
            SuggestionKind::Addition => additions.push(s),
            SuggestionKind::Removal => removals.push(s),
        }
    }
    let fired: Vec<&Suggestion> = adjustments
        .iter()
        .chain(&additions)
        .chain(&removals)
        .collect();
    let score = score(&items, fired.iter().map(|s| s.score_delta));
    let summary = summary(&items, &ignored, &fired, score);
    DeskReport {
        items,
        ignored,
        adjustments,
        additions,
        removals,
        score,
        summary,
    }
}

/// The placement bonus of these items (see the module documentation).
pub fn placement_bonus(items: &[Item]) -> i32 {
    let well_placed = ItemKind::ALL
        .iter()
        .filter(|k| {
            items.iter().any(|i| {
                i.kind == **k && {
                    let here = i.cell.element();
                    here == k.element() || here.generates() == k.element()
                }
            })
        })
        .count() as i32;
    (well_placed * PLACEMENT_BONUS).min(MAX_PLACEMENT_BONUS)
}

/// The score of these items with these fired rule deltas.
pub fn score(items: &[Item], deltas: impl IntoIterator<Item = i32>) -> i32 {
    if items.is_empty() {
        return 0;
    }
    let total = BASELINE + deltas.into_iter().sum::<i32>() + placement_bonus(items);
    total.clamp(0, 100)
}

fn suggestion(
    rule: &CompiledRule,
    items: &[Item],
    elements: Option<&PersonalElements>,
) -> Suggestion {
    let r = rule.rule();
    let focus = rule.condition().focus();
    let of_kind = |i: &&Item| i.kind == r.item;
    let current_position = match focus {
        _ if r.kind == SuggestionKind::Addition => "",
        Some(zone) => items
            .iter()
            .filter(of_kind)
            .find(|i| zone.cells & i.cell.bit() != 0)
            .map_or(zone.display, |i| i.cell.name()),
        None => items.iter().find(of_kind).map_or("", |i| i.cell.name()),
    }
    .to_owned();
    Suggestion {
        code: r.code.clone(),
        item: r.item.class().to_owned(),
        item_label: r.item.label().to_owned(),
        current_position,
        ideal_position: r.ideal_position.clone(),
        reason: rule.reason_for(elements),
        priority: r.priority,
        action: r.kind,
        element: r.element,
        score_delta: r.score_delta,
    }
}

fn summary(items: &[Item], ignored: &[String], fired: &[&Suggestion], score: i32) -> String {
    let found: Vec<String> = items
        .iter()
        .map(|i| format!("{}在{}", i.label, i.cell.name()))
        .collect();
    let mut text = format!("识别到{}件桌面物品：{}。", items.len(), found.join("、"));
    if !ignored.is_empty() {
        text.push_str(&format!(
            "画面中另有{}，不属于桌面物品，未计入分析。",
            ignored.join("、")
        ));
    }
    text.push_str(&format!("布局评分{score}分。"));
    let top = fired.iter().min_by(|a, b| {
        a.priority
            .cmp(&b.priority)
            .then_with(|| a.code.cmp(&b.code))
    });
    match top {
        Some(top) => {
            let count = |k: SuggestionKind| fired.iter().filter(|s| s.action == k).count();
            text.push_str(&format!(
                "共有{}条调整、{}条添加、{}条移除建议。首要建议：{}——{}",
                count(SuggestionKind::Adjustment),
                count(SuggestionKind::Addition),
                count(SuggestionKind::Removal),
                top.item_label,
                top.reason
            ));
        }
        None => text.push_str("当前布局良好，暂无需要改动之处。"),
    }
    text
}

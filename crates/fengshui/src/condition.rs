//! The condition language: a JSON object with exactly one key, compiled once
//! into a typed [`Condition`] and evaluated against a [`Desk`].
//!
//! Names are the ones a person reads: item classes as the detector spells
//! them (`"potted plant"`), zones as cell grid names (`左上` `上` `右上` `左`
//! `中` `右` `左下` `下` `右下`) or palace names (`青龙` `白虎` `朱雀` `玄武`
//! `明堂`), elements `木` `火` `土` `金` `水`. Wherever a list of names is
//! accepted, one name alone is accepted too.
//!
//! | key | argument | true when |
//! |-----|----------|-----------|
//! | `all` | non-empty array of conditions | every one holds |
//! | `any` | non-empty array of conditions | at least one holds |
//! | `not` | a condition | it does not hold |
//! | `item` | class(es) | an item of one of these classes is on the desk |
//! | `missing_item` | class(es) | no item of any of these classes is on the desk |
//! | `item_in_cell` | `{item: class(es), cell: zone(s)}` | such an item lies in one of these zones |
//! | `item_element` | element(s) | an item of one of these elements is on the desk |
//! | `cell_has_element` | `{cell: zone(s), element: element(s)}` | an item of such an element lies in one of these zones |
//! | `count_at_least` | `{count: 1..=100, cell?, item?, element?}` | at least `count` items (every item unless `item` / `element` narrow it) lie in the zones (the whole desk without `cell`) |
//! | `favourable` | element(s) | one of them is among the person's favourable elements |
//! | `unfavourable` | element(s) | one of them is among the person's unfavourable elements |
//! | `higher` | `{side: zone(s), than: zone(s)}` | the tallest box in `side` is taller than the tallest in `than` (none counts as 0) by more than 5 % of the image height; a photo from the chair shows tall things as tall boxes |
//!
//! Without the person's elements, `favourable` and `unfavourable` are false.
//! Advice-only items (`desk lamp`, `clutter` …) are refused in conditions:
//! a detector never reports them, so a condition on them could never change.
//!
//! **Refusals.** [`Condition::compile`] refuses a bad node with its JSON path
//! (`$.all[1].item_in_cell.cell`) and a [`CompileErrorKind`]: an unknown
//! condition or field, a missing field, a value of the wrong JSON type, or a
//! value that cannot be meant (an unknown class, zone or element, an empty
//! list, a count of 0 or above 100, an object with zero or several keys).

use serde_json::{Map, Value};

use crate::element::{element_bit, Element, PersonalElements};
use crate::item::{ItemKind, Source};
use crate::placement::Item;
use crate::position::{Cell, Palace};

use condition_json::{child, fail, object, wrong_type, Compiled as R};
pub use condition_json::{CompileError, CompileErrorKind};

/// Every condition key, in documentation order.
pub const CONDITION_KEYS: [&str; 12] = [
    "all",
    "any",
    "not",
    "item",
    "missing_item",
    "item_in_cell",
    "item_element",
    "cell_has_element",
    "count_at_least",
    "favourable",
    "unfavourable",
    "higher",
];

/// Largest `count` a `count_at_least` accepts: no photo shows more.
pub const MAX_COUNT: u64 = 100;

/// How much taller (in image heights) the `side` of `higher` must be.
pub const HEIGHT_MARGIN: f32 = 0.05;

/// A set of cells with the name to show for it (the first zone named).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Zone {
    pub(crate) cells: u16,
    pub(crate) display: &'static str,
}

const WHOLE_DESK: u16 = (1 << 9) - 1;

#[derive(Clone, Debug, PartialEq)]
enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Item(u32),
    MissingItem(u32),
    ItemInCell {
        items: u32,
        zone: Zone,
    },
    ItemElement(u8),
    CellHasElement {
        zone: Zone,
        elements: u8,
    },
    CountAtLeast {
        count: u64,
        zone: Option<Zone>,
        items: Option<u32>,
        elements: Option<u8>,
    },
    Favourable(u8),
    Unfavourable(u8),
    Higher {
        side: Zone,
        than: Zone,
    },
}

/// One item as conditions see it.
#[derive(Clone, Copy, Debug)]
struct Placed {
    kind: ItemKind,
    cell: Cell,
    height: f32,
}

impl Placed {
    fn kind_in(&self, items: u32) -> bool {
        items & self.kind.bit() != 0
    }

    fn element_in(&self, elements: u8) -> bool {
        elements & element_bit(self.kind.element()) != 0
    }

    fn in_zone(&self, cells: u16) -> bool {
        cells & self.cell.bit() != 0
    }
}

/// The facts conditions are evaluated against: the items on the desk and
/// the person's elements, read once into compact form.
#[derive(Clone, Debug)]
pub struct Desk {
    placed: Vec<Placed>,
    favourable: u8,
    unfavourable: u8,
}

impl Desk {
    /// The desk with these items, for a person with these elements (if known).
    pub fn new(items: &[Item], elements: Option<&PersonalElements>) -> Desk {
        Desk {
            placed: items
                .iter()
                .map(|i| Placed {
                    kind: i.kind,
                    cell: i.cell,
                    height: i.height(),
                })
                .collect(),
            favourable: elements.map_or(0, PersonalElements::favourable_mask),
            unfavourable: elements.map_or(0, PersonalElements::unfavourable_mask),
        }
    }

    fn tallest(&self, cells: u16) -> f32 {
        self.placed
            .iter()
            .filter(|p| p.in_zone(cells))
            .map(|p| p.height)
            .fold(0.0, f32::max)
    }
}

impl Node {
    fn eval(&self, d: &Desk) -> bool {
        match self {
            Node::All(c) => c.iter().all(|n| n.eval(d)),
            Node::Any(c) => c.iter().any(|n| n.eval(d)),
            Node::Not(n) => !n.eval(d),
            Node::Item(items) => d.placed.iter().any(|p| p.kind_in(*items)),
            Node::MissingItem(items) => !d.placed.iter().any(|p| p.kind_in(*items)),
            Node::ItemInCell { items, zone } => d
                .placed
                .iter()
                .any(|p| p.kind_in(*items) && p.in_zone(zone.cells)),
            Node::ItemElement(elements) => d.placed.iter().any(|p| p.element_in(*elements)),
            Node::CellHasElement { zone, elements } => d
                .placed
                .iter()
                .any(|p| p.element_in(*elements) && p.in_zone(zone.cells)),
            Node::CountAtLeast {
                count,
                zone,
                items,
                elements,
            } => {
                let cells = zone.map_or(WHOLE_DESK, |z| z.cells);
                let n = d
                    .placed
                    .iter()
                    .filter(|p| {
                        p.in_zone(cells)
                            && items.is_none_or(|m| p.kind_in(m))
                            && elements.is_none_or(|m| p.element_in(m))
                    })
                    .count();
                n as u64 >= *count
            }
            Node::Favourable(m) => d.favourable & m != 0,
            Node::Unfavourable(m) => d.unfavourable & m != 0,
            Node::Higher { side, than } => {
                d.placed.iter().any(|p| p.in_zone(side.cells))
                    && d.tallest(side.cells) > d.tallest(than.cells) + HEIGHT_MARGIN
            }
        }
    }

    /// The first zone a positive part of the condition is about (parts under
    /// `not` are about where things are *not*, so they are skipped).
    fn focus(&self) -> Option<Zone> {
        match self {
            Node::All(c) | Node::Any(c) => c.iter().find_map(Node::focus),
            Node::ItemInCell { zone, .. } | Node::CellHasElement { zone, .. } => Some(*zone),
            Node::CountAtLeast { zone, .. } => *zone,
            Node::Higher { side, .. } => Some(*side),
            _ => None,
        }
    }
}

/// A compiled condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    node: Node,
    focus: Option<Zone>,
}

impl Condition {
    /// Compiles a JSON condition, refusing any bad node with its path.
    pub fn compile(json: &Value) -> Result<Condition, CompileError> {
        let node = compile(json, "$")?;
        let focus = node.focus();
        Ok(Condition { node, focus })
    }

    /// Whether the desk meets the condition.
    pub fn matches(&self, desk: &Desk) -> bool {
        self.node.eval(desk)
    }

    /// The zone the condition is about, if it names one (see
    /// [`crate::analysis`] for how it places a suggestion).
    pub(crate) fn focus(&self) -> Option<Zone> {
        self.focus
    }
}

fn compile(v: &Value, path: &str) -> R<Node> {
    let Some(map) = v.as_object() else {
        return wrong_type(
            v,
            path,
            "a condition: an object with one key, e.g. {\"item\": \"cup\"}",
        );
    };
    let mut entries = map.iter();
    let (key, arg) = match (entries.next(), map.len()) {
        (Some(entry), 1) => entry,
        (None, _) => {
            return fail(
                CompileErrorKind::ImpossibleValue,
                path,
                "an empty object is no condition; give exactly one key",
            )
        }
        _ => {
            if let Some(k) = map.keys().find(|k| !CONDITION_KEYS.contains(&k.as_str())) {
                return unknown_condition(&child(path, k), k);
            }
            let keys: Vec<&str> = map.keys().map(String::as_str).collect();
            return fail(
                CompileErrorKind::ImpossibleValue,
                path,
                format!(
                    "a condition has exactly one key; found {} ({}); combine conditions with \"all\"",
                    keys.len(),
                    keys.join(", ")
                ),
            );
        }
    };
    let p = child(path, key);
    let p = p.as_str();
    Ok(match key.as_str() {
        "all" => Node::All(conditions(arg, p)?),
        "any" => Node::Any(conditions(arg, p)?),
        "not" => Node::Not(Box::new(compile(arg, p)?)),
        "item" => Node::Item(items(arg, p)?),
        "missing_item" => Node::MissingItem(items(arg, p)?),
        "item_in_cell" => {
            let map = object(arg, p, &["item", "cell"])?;
            Node::ItemInCell {
                items: items(required(map, p, "item")?, &child(p, "item"))?,
                zone: zone(required(map, p, "cell")?, &child(p, "cell"))?,
            }
        }
        "item_element" => Node::ItemElement(elements(arg, p)?),
        "cell_has_element" => {
            let map = object(arg, p, &["cell", "element"])?;
            Node::CellHasElement {
                zone: zone(required(map, p, "cell")?, &child(p, "cell"))?,
                elements: elements(required(map, p, "element")?, &child(p, "element"))?,
            }
        }
        "count_at_least" => count_at_least(arg, p)?,
        "favourable" => Node::Favourable(elements(arg, p)?),
        "unfavourable" => Node::Unfavourable(elements(arg, p)?),
        "higher" => {
            let map = object(arg, p, &["side", "than"])?;
            Node::Higher {
                side: zone(required(map, p, "side")?, &child(p, "side"))?,
                than: zone(required(map, p, "than")?, &child(p, "than"))?,
            }
        }
        other => return unknown_condition(p, other),
    })
}

fn unknown_condition<T>(path: &str, key: &str) -> R<T> {
    condition_json::unknown_condition(path, key, &CONDITION_KEYS)
}

fn conditions(v: &Value, path: &str) -> R<Vec<Node>> {
    condition_json::conditions(v, path, compile)
}

fn required<'v>(map: &'v Map<String, Value>, path: &str, key: &str) -> R<&'v Value> {
    match map.get(key) {
        Some(v) => Ok(v),
        None => fail(
            CompileErrorKind::MissingKey,
            &child(path, key),
            format!("the field {key:?} is required"),
        ),
    }
}

/// A name or a non-empty array of names, each looked up by `find`; returns
/// the looked-up values with the path of each.
fn names<T>(v: &Value, path: &str, what: &str, find: impl Fn(&str, &str) -> R<T>) -> R<Vec<T>> {
    match v {
        Value::String(s) => Ok(vec![find(s, path)?]),
        Value::Array(list) if list.is_empty() => fail(
            CompileErrorKind::ImpossibleValue,
            path,
            format!("an empty list of {what} names matches nothing; give at least one"),
        ),
        Value::Array(list) => list
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let p = format!("{path}[{i}]");
                match x.as_str() {
                    Some(s) => find(s, &p),
                    None => wrong_type(x, &p, &format!("a {what} name")),
                }
            })
            .collect(),
        _ => wrong_type(
            v,
            path,
            &format!("a {what} name or a non-empty array of them"),
        ),
    }
}

fn items(v: &Value, path: &str) -> R<u32> {
    let found = names(v, path, "item class", |s, p| {
        match ItemKind::from_class(s) {
        Some(k) if k.source() == Source::Detected => Ok(k),
        Some(_) => fail(
            CompileErrorKind::ImpossibleValue,
            p,
            format!("{s:?} is named by advice only and is never detected; a condition on it could never change"),
        ),
        None => fail(
            CompileErrorKind::ImpossibleValue,
            p,
            format!(
                "{s:?} is not an item class; expected one of {}",
                ItemKind::ALL
                    .iter()
                    .filter(|k| k.source() == Source::Detected)
                    .map(|k| k.class())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    }
    })?;
    Ok(found.into_iter().fold(0, |m, k| m | k.bit()))
}

fn elements(v: &Value, path: &str) -> R<u8> {
    let found = names(v, path, "element", |s, p| {
        match Element::ALL.into_iter().find(|e| e.as_str() == s) {
            Some(e) => Ok(e),
            None => fail(
                CompileErrorKind::ImpossibleValue,
                p,
                format!("{s:?} is not an element; expected one of 木 火 土 金 水"),
            ),
        }
    })?;
    Ok(found.into_iter().fold(0, |m, e| m | element_bit(e)))
}

fn zone(v: &Value, path: &str) -> R<Zone> {
    let found = names(v, path, "zone", |s, p| {
        if let Some(c) = Cell::from_short_name(s) {
            Ok(Zone {
                cells: c.bit(),
                display: c.name(),
            })
        } else if let Some(palace) = Palace::from_name(s) {
            Ok(Zone {
                cells: palace.cells().fold(0, |m, c| m | c.bit()),
                display: palace.display(),
            })
        } else {
            fail(
                CompileErrorKind::ImpossibleValue,
                p,
                format!("{s:?} is not a zone; expected a cell (左上 上 右上 左 中 右 左下 下 右下) or a palace (青龙 白虎 朱雀 玄武 明堂)"),
            )
        }
    })?;
    let display = found.first().map_or("", |z| z.display);
    Ok(Zone {
        cells: found.iter().fold(0, |m, z| m | z.cells),
        display,
    })
}

fn count_at_least(v: &Value, path: &str) -> R<Node> {
    let map = object(v, path, &["count", "cell", "item", "element"])?;
    let cp = child(path, "count");
    let raw = required(map, path, "count")?;
    let Some(count) = raw.as_u64() else {
        if raw.is_i64() {
            return fail(
                CompileErrorKind::ImpossibleValue,
                &cp,
                format!("a count is 1 to {MAX_COUNT}; a negative count can never be meant"),
            );
        }
        return wrong_type(raw, &cp, &format!("a whole number from 1 to {MAX_COUNT}"));
    };
    if count == 0 || count > MAX_COUNT {
        return fail(
            CompileErrorKind::ImpossibleValue,
            &cp,
            format!("a count is 1 to {MAX_COUNT}; {count} is always true or never reached"),
        );
    }
    Ok(Node::CountAtLeast {
        count,
        zone: map
            .get("cell")
            .map(|z| zone(z, &child(path, "cell")))
            .transpose()?,
        items: map
            .get("item")
            .map(|i| items(i, &child(path, "item")))
            .transpose()?,
        elements: map
            .get("element")
            .map(|e| elements(e, &child(path, "element")))
            .transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{DetectedObject, Item};
    use serde_json::json;

    fn object(class: &str, bbox: [f32; 4]) -> DetectedObject {
        DetectedObject {
            class: class.to_owned(),
            confidence: 0.9,
            bbox,
        }
    }

    /// A small box centred in the named cell.
    fn at(class: &str, cell: &str) -> DetectedObject {
        let c = Cell::from_short_name(cell).unwrap();
        let (row, col) = (c.index() / 3, c.index() % 3);
        let x = 0.15 + 0.35 * col as f32;
        let y = 0.15 + 0.35 * row as f32;
        object(class, [x - 0.05, y - 0.05, x + 0.05, y + 0.05])
    }

    fn desk(objects: &[DetectedObject], elements: Option<&PersonalElements>) -> Desk {
        let items: Vec<Item> = objects.iter().filter_map(Item::from_detection).collect();
        Desk::new(&items, elements)
    }

    fn holds(condition: Value, d: &Desk) -> bool {
        Condition::compile(&condition).unwrap().matches(d)
    }

    #[test]
    fn item_and_missing_item() {
        let d = desk(&[at("cup", "右"), at("giraffe", "中")], None);
        assert!(holds(json!({"item": "cup"}), &d));
        assert!(holds(json!({"item": ["laptop", "cup"]}), &d));
        assert!(!holds(json!({"item": "laptop"}), &d));
        assert!(holds(json!({"missing_item": "potted plant"}), &d));
        assert!(!holds(json!({"missing_item": ["potted plant", "cup"]}), &d));
    }

    #[test]
    fn item_in_cell_by_cell_and_palace() {
        let d = desk(&[at("cup", "右下"), at("book", "左")], None);
        assert!(holds(
            json!({"item_in_cell": {"item": "cup", "cell": "白虎"}}),
            &d
        ));
        assert!(holds(
            json!({"item_in_cell": {"item": "cup", "cell": "右下"}}),
            &d
        ));
        assert!(holds(
            json!({"item_in_cell": {"item": "cup", "cell": ["中", "右下"]}}),
            &d
        ));
        assert!(!holds(
            json!({"item_in_cell": {"item": "cup", "cell": "右"}}),
            &d
        ));
        assert!(!holds(
            json!({"item_in_cell": {"item": "cup", "cell": "青龙"}}),
            &d
        ));
        assert!(holds(
            json!({"item_in_cell": {"item": "book", "cell": "青龙"}}),
            &d
        ));
    }

    #[test]
    fn item_element_and_cell_has_element() {
        let d = desk(&[at("laptop", "中"), at("scissors", "右")], None);
        assert!(holds(json!({"item_element": "火"}), &d));
        assert!(holds(json!({"item_element": ["水", "金"]}), &d));
        assert!(!holds(json!({"item_element": "木"}), &d));
        assert!(holds(
            json!({"cell_has_element": {"cell": "明堂", "element": "火"}}),
            &d
        ));
        assert!(!holds(
            json!({"cell_has_element": {"cell": "明堂", "element": "金"}}),
            &d
        ));
        assert!(holds(
            json!({"cell_has_element": {"cell": "白虎", "element": "金"}}),
            &d
        ));
    }

    #[test]
    fn count_at_least_counts_every_item_unless_narrowed() {
        let d = desk(
            &[
                at("laptop", "中"),
                at("cup", "中"),
                at("bowl", "中"),
                at("book", "左"),
            ],
            None,
        );
        assert!(holds(
            json!({"count_at_least": {"count": 3, "cell": "明堂"}}),
            &d
        ));
        assert!(!holds(
            json!({"count_at_least": {"count": 4, "cell": "明堂"}}),
            &d
        ));
        assert!(holds(json!({"count_at_least": {"count": 4}}), &d));
        assert!(!holds(json!({"count_at_least": {"count": 5}}), &d));
        assert!(holds(
            json!({"count_at_least": {"count": 2, "item": ["laptop", "cup", "book"]}}),
            &d
        ));
        assert!(!holds(
            json!({"count_at_least": {"count": 2, "cell": "中", "element": "火"}}),
            &d
        ));
    }

    #[test]
    fn favourable_and_unfavourable_need_the_persons_elements() {
        let p = PersonalElements::from_names(&["水", "木"], &["火"]).unwrap();
        let with = desk(&[], Some(&p));
        let without = desk(&[], None);
        assert!(holds(json!({"favourable": "水"}), &with));
        assert!(holds(json!({"favourable": ["金", "木"]}), &with));
        assert!(!holds(json!({"favourable": "火"}), &with));
        assert!(holds(json!({"unfavourable": "火"}), &with));
        assert!(!holds(json!({"favourable": "水"}), &without));
        assert!(!holds(json!({"unfavourable": "火"}), &without));
        assert!(holds(json!({"not": {"unfavourable": "火"}}), &without));
    }

    #[test]
    fn higher_compares_the_tallest_boxes() {
        let tall_right = object("bottle", [0.8, 0.2, 0.9, 0.6]); // height 0.4, right
        let short_left = object("cup", [0.1, 0.4, 0.2, 0.5]); // height 0.1, left
        let d = desk(&[tall_right.clone(), short_left.clone()], None);
        let rule = json!({"higher": {"side": "白虎", "than": "青龙"}});
        assert!(holds(rule.clone(), &d));
        assert!(!holds(
            json!({"higher": {"side": "青龙", "than": "白虎"}}),
            &d
        ));
        // Within the margin is not higher.
        let near_left = object("book", [0.1, 0.2, 0.2, 0.57]); // height 0.37
        assert!(!holds(rule.clone(), &desk(&[tall_right, near_left], None)));
        // An empty side is never higher.
        assert!(!holds(rule, &desk(&[short_left], None)));
    }

    #[test]
    fn all_any_not() {
        let d = desk(&[at("cup", "右")], None);
        assert!(holds(
            json!({"all": [{"item": "cup"}, {"missing_item": "laptop"}]}),
            &d
        ));
        assert!(!holds(
            json!({"all": [{"item": "cup"}, {"item": "laptop"}]}),
            &d
        ));
        assert!(holds(
            json!({"any": [{"item": "laptop"}, {"item": "cup"}]}),
            &d
        ));
        assert!(!holds(json!({"not": {"item": "cup"}}), &d));
    }

    #[test]
    fn focus_is_the_first_positive_zone() {
        let c = Condition::compile(&json!({"all": [
            {"not": {"item_in_cell": {"item": "cup", "cell": "青龙"}}},
            {"item_in_cell": {"item": "cup", "cell": ["白虎", "中"]}}
        ]}))
        .unwrap();
        let focus = c.focus().unwrap();
        assert_eq!(focus.display, "右侧（白虎位）");
        assert_eq!(
            focus.cells,
            Cell::FarRight.bit() | Cell::Right.bit() | Cell::NearRight.bit() | Cell::Centre.bit()
        );
        assert_eq!(
            Condition::compile(&json!({"missing_item": "cup"}))
                .unwrap()
                .focus(),
            None
        );
    }

    fn refused(condition: Value) -> CompileError {
        Condition::compile(&condition).unwrap_err()
    }

    #[test]
    fn compile_errors_name_the_bad_node() {
        let cases: [(Value, &str, CompileErrorKind); 16] = [
            (
                json!({"colour": "red"}),
                "$.colour",
                CompileErrorKind::UnknownKey,
            ),
            (
                json!({"all": [{"item": "cup"}, {"nope": 1}]}),
                "$.all[1].nope",
                CompileErrorKind::UnknownKey,
            ),
            (
                json!({"item_in_cell": {"item": "cup", "where": "左"}}),
                "$.item_in_cell.where",
                CompileErrorKind::UnknownKey,
            ),
            (
                json!({"item_in_cell": {"item": "cup"}}),
                "$.item_in_cell.cell",
                CompileErrorKind::MissingKey,
            ),
            (
                json!({"count_at_least": {"cell": "中"}}),
                "$.count_at_least.count",
                CompileErrorKind::MissingKey,
            ),
            (json!({"item": 3}), "$.item", CompileErrorKind::WrongType),
            (
                json!({"all": {"item": "cup"}}),
                "$.all",
                CompileErrorKind::WrongType,
            ),
            (json!("cup"), "$", CompileErrorKind::WrongType),
            (
                json!({"count_at_least": {"count": "3"}}),
                "$.count_at_least.count",
                CompileErrorKind::WrongType,
            ),
            (
                json!({"item": "giraffe"}),
                "$.item",
                CompileErrorKind::ImpossibleValue,
            ),
            (
                json!({"item": ["cup", "desk lamp"]}),
                "$.item[1]",
                CompileErrorKind::ImpossibleValue,
            ),
            (
                json!({"item_in_cell": {"item": "cup", "cell": "后"}}),
                "$.item_in_cell.cell",
                CompileErrorKind::ImpossibleValue,
            ),
            (
                json!({"favourable": ["水", "风"]}),
                "$.favourable[1]",
                CompileErrorKind::ImpossibleValue,
            ),
            (
                json!({"count_at_least": {"count": 0}}),
                "$.count_at_least.count",
                CompileErrorKind::ImpossibleValue,
            ),
            (
                json!({"any": []}),
                "$.any",
                CompileErrorKind::ImpossibleValue,
            ),
            (
                json!({"item": "cup", "missing_item": "book"}),
                "$",
                CompileErrorKind::ImpossibleValue,
            ),
        ];
        for (condition, path, kind) in cases {
            let e = refused(condition.clone());
            assert_eq!((e.path.as_str(), e.kind), (path, kind), "{condition}: {e}");
        }
        let e = refused(json!({"count_at_least": {"count": -2}}));
        assert_eq!(e.kind, CompileErrorKind::ImpossibleValue);
        let e = refused(json!({"item": "giraffe"}));
        assert!(e.message.contains("potted plant"), "{}", e.message);
        assert!(refused(json!({})).message.contains("exactly one key"));
    }
}

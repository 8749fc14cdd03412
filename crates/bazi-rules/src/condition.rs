//! The condition language: JSON trees compiled once into a typed [`Condition`].
//!
//! See the crate documentation for the vocabulary. Compilation checks every
//! node; a bad node is refused with a [`CompileError`] carrying its JSON path
//! (`$.all[2].element_count.op`), never compiled to "false".

use serde_json::{Map, Value};

use bazi::analysis::StrengthLevel;
use bazi::deities::Deity;
use bazi::ganzhi::{Branch, Element, Nayin, Pillar, Stem};
use bazi::life_stages::LifeStage;
use bazi::ten_gods::TenGod;

use crate::atlas::{atlas, key_of, Key, FIRST_STEM_KIND, KIND_NAMES};
use crate::facts::{Derived, Facts, Season, MAIN_STAR_FEMALE, MAIN_STAR_MALE};

use condition_json::{child, fail, item, object, type_name, wrong_type, Compiled as R};
pub use condition_json::{CompileError, CompileErrorKind};

// ---------------------------------------------------------------------------
// Vocabularies.
// ---------------------------------------------------------------------------

/// A closed set of names, each mapped to a small index.
struct Vocab {
    what: &'static str,
    find: fn(&str) -> Option<u8>,
    hint: fn() -> String,
}

fn join(names: impl IntoIterator<Item = &'static str>) -> String {
    names.into_iter().collect::<Vec<_>>().join(" ")
}

fn find_in(names: impl IntoIterator<Item = &'static str>, name: &str) -> Option<u8> {
    names.into_iter().position(|n| n == name).map(|i| i as u8)
}

const POSITION_NAMES: [&str; 4] = ["year", "month", "day", "hour"];
const SEASON: Vocab = Vocab {
    what: "season",
    find: |s| find_in(Season::ALL.map(Season::as_str), s),
    hint: || join(Season::ALL.map(Season::as_str)),
};
const STEM: Vocab = Vocab {
    what: "stem",
    find: |s| Stem::from_name(s).map(|x| x.index() as u8),
    hint: || join(Stem::ALL.map(Stem::as_str)),
};
const BRANCH: Vocab = Vocab {
    what: "branch",
    find: |s| Branch::from_name(s).map(|x| x.index() as u8),
    hint: || join(Branch::ALL.map(Branch::as_str)),
};
const ELEMENT: Vocab = Vocab {
    what: "element",
    find: |s| find_in(Element::ALL.map(Element::as_str), s),
    hint: || join(Element::ALL.map(Element::as_str)),
};
const PILLAR: Vocab = Vocab {
    what: "pillar",
    find: parse_pillar,
    hint: || "a sexagenary pair such as 甲子 (stem and branch of the same polarity)".to_owned(),
};
const TEN_GOD: Vocab = Vocab {
    what: "ten god",
    find: |s| find_in(TenGod::ALL.map(TenGod::as_str), s),
    hint: || join(TenGod::ALL.map(TenGod::as_str)),
};
const MAIN_STAR: Vocab = Vocab {
    what: "main star",
    find: |s| match s {
        "元男" => Some(MAIN_STAR_MALE),
        "元女" => Some(MAIN_STAR_FEMALE),
        _ => find_in(TenGod::ALL.map(TenGod::as_str), s),
    },
    hint: || join(TenGod::ALL.map(TenGod::as_str)) + " 元男 元女",
};
const DEITY: Vocab = Vocab {
    what: "deity",
    find: |s| find_in(Deity::ALL.map(Deity::as_str), s),
    hint: || join(Deity::ALL.map(Deity::as_str)),
};
const NAYIN: Vocab = Vocab {
    what: "nayin",
    find: |s| find_in(Nayin::names().iter().copied(), s),
    hint: || join(Nayin::names().iter().copied()),
};
const LIFE_STAGE: Vocab = Vocab {
    what: "life stage",
    find: |s| find_in(LifeStage::ALL.map(LifeStage::as_str), s),
    hint: || join(LifeStage::ALL.map(LifeStage::as_str)),
};
const GENDER: Vocab = Vocab {
    what: "gender",
    find: |s| find_in(["male", "female"], s),
    hint: || "male female".to_owned(),
};
const ZODIAC: Vocab = Vocab {
    what: "zodiac",
    find: |s| find_in(Branch::ALL.map(Branch::zodiac), s),
    hint: || join(Branch::ALL.map(Branch::zodiac)),
};
const STRENGTH: Vocab = Vocab {
    what: "strength level",
    find: |s| StrengthLevel::parse(s).map(|l| l as u8),
    hint: || join(StrengthLevel::ALL.map(StrengthLevel::as_str)),
};
const YIN_YANG: Vocab = Vocab {
    what: "polarity",
    find: |s| find_in(["阳", "阴"], s),
    hint: || "阳 阴".to_owned(),
};
const DAY_PILLAR_RELATION: Vocab = Vocab {
    what: "element relation",
    find: |s| {
        find_in(
            [
                "same",
                "generate",
                "control",
                "generated_by",
                "controlled_by",
            ],
            s,
        )
    },
    hint: || "same generate control generated_by controlled_by".to_owned(),
};
const BRANCH_KIND: Vocab = Vocab {
    what: "branch relation",
    find: |s| find_in(KIND_NAMES, s).filter(|k| *k < FIRST_STEM_KIND),
    hint: || join(KIND_NAMES[..FIRST_STEM_KIND as usize].iter().copied()),
};
const STEM_KIND: Vocab = Vocab {
    what: "stem relation",
    find: |s| find_in(KIND_NAMES, s).filter(|k| *k >= FIRST_STEM_KIND),
    hint: || join(KIND_NAMES[FIRST_STEM_KIND as usize..].iter().copied()),
};

/// `甲子` → its cycle index; a pair of mixed polarity (甲丑) is no pillar.
fn parse_pillar(s: &str) -> Option<u8> {
    let mut chars = s.chars();
    let (a, b) = (chars.next()?, chars.next()?);
    if chars.next().is_some() {
        return None;
    }
    let stem = Stem::from_name(a.encode_utf8(&mut [0; 4]))?;
    let branch = Branch::from_name(b.encode_utf8(&mut [0; 4]))?;
    if stem.is_yang() != branch.is_yang() {
        return None;
    }
    Some(Pillar { stem, branch }.cycle_index() as u8)
}

// ---------------------------------------------------------------------------
// The compiled tree.
// ---------------------------------------------------------------------------

/// Comparison operator of a count condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

const OP_NAMES: [&str; 6] = ["==", "!=", "<", "<=", ">", ">="];

impl Op {
    fn apply(self, a: u8, b: u8) -> bool {
        match self {
            Op::Eq => a == b,
            Op::Ne => a != b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
        }
    }
}

/// A per-position value read as an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IndexField {
    Pillar,
    Stem,
    Branch,
    StemElement,
    BranchElement,
    StemGod,
    MainStar,
    Nayin,
    NayinElement,
    StarFortune,
    SelfSitting,
}

/// A per-position value read as a bit mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MaskField {
    HiddenStems,
    HiddenGods,
    Deities,
    Kongwang,
}

/// A chart-wide value read as an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GlobalField {
    DayMaster,
    DayMasterElement,
    DayMasterPolarity,
    Season,
    MonthBranch,
    Gender,
    Zodiac,
    Strength,
    DayPillarRelation,
}

/// Which ten gods a count covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Stems,
    Hidden,
    All,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    /// Some position in `positions` has an index in `set`.
    Index {
        field: IndexField,
        positions: u8,
        set: u64,
    },
    /// Some position in `positions` has a mask meeting `set`.
    Mask {
        field: MaskField,
        positions: u8,
        set: u32,
    },
    /// The chart-wide value is in `set`.
    Global {
        field: GlobalField,
        set: u64,
    },
    ElementCount {
        element: u8,
        op: Op,
        value: u8,
    },
    ElementMissing(u8),
    ElementDominant(u8),
    TenGodCount {
        god: u8,
        scope: Scope,
        op: Op,
        value: u8,
    },
    TenGodPresent(u32),
    StrengthAtLeast(u8),
    StrengthAtMost(u8),
    Favourable(u8),
    Unfavourable(u8),
    Relation {
        kinds: u16,
        key: Option<Key>,
        positions: u8,
        element: Option<u8>,
    },
    KongwangHit(u8),
    LateZi(bool),
    BirthYear {
        from: i32,
        to: i32,
    },
}

const ALL_POSITIONS: u8 = 0b1111;
const DAY: u8 = 0b0100;

fn bit(set: u64, v: u8) -> bool {
    v < 64 && (set >> v) & 1 == 1
}

impl Node {
    fn eval(&self, d: &Derived) -> bool {
        match self {
            Node::All(c) => c.iter().all(|n| n.eval(d)),
            Node::Any(c) => c.iter().any(|n| n.eval(d)),
            Node::Not(n) => !n.eval(d),
            Node::Index {
                field,
                positions,
                set,
            } => {
                let values = match field {
                    IndexField::Pillar => &d.pillar,
                    IndexField::Stem => &d.stem,
                    IndexField::Branch => &d.branch,
                    IndexField::StemElement => &d.stem_element,
                    IndexField::BranchElement => &d.branch_element,
                    IndexField::StemGod => &d.stem_god,
                    IndexField::MainStar => &d.main_star,
                    IndexField::Nayin => &d.nayin,
                    IndexField::NayinElement => &d.nayin_element,
                    IndexField::StarFortune => &d.star_fortune,
                    IndexField::SelfSitting => &d.self_sitting,
                };
                (0..4).any(|i| positions & (1 << i) != 0 && bit(*set, values[i]))
            }
            Node::Mask {
                field,
                positions,
                set,
            } => {
                let masks = match field {
                    MaskField::HiddenStems => &d.hidden_stems,
                    MaskField::HiddenGods => &d.hidden_gods,
                    MaskField::Deities => &d.deities,
                    MaskField::Kongwang => &d.kongwang,
                };
                (0..4).any(|i| positions & (1 << i) != 0 && masks[i] & set != 0)
            }
            Node::Global { field, set } => {
                let v = match field {
                    GlobalField::DayMaster => d.stem[2],
                    GlobalField::DayMasterElement => d.stem_element[2],
                    GlobalField::DayMasterPolarity => d.stem[2] % 2,
                    GlobalField::Season => d.season,
                    GlobalField::MonthBranch => d.branch[1],
                    GlobalField::Gender => d.gender,
                    GlobalField::Zodiac => d.branch[0],
                    GlobalField::Strength => d.strength,
                    GlobalField::DayPillarRelation => d.day_pillar_relation,
                };
                bit(*set, v)
            }
            Node::ElementCount { element, op, value } => {
                op.apply(d.element_count[*element as usize], *value)
            }
            Node::ElementMissing(e) => d.element_count[*e as usize] == 0,
            Node::ElementDominant(e) => {
                let n = d.element_count[*e as usize];
                n >= 3
                    && d.element_count
                        .iter()
                        .enumerate()
                        .all(|(i, m)| i == *e as usize || *m < n)
            }
            Node::TenGodCount {
                god,
                scope,
                op,
                value,
            } => {
                let g = *god as usize;
                let n = match scope {
                    Scope::Stems => d.god_count_stems[g],
                    Scope::Hidden => d.god_count_hidden[g],
                    Scope::All => d.god_count_stems[g] + d.god_count_hidden[g],
                };
                op.apply(n, *value)
            }
            Node::TenGodPresent(set) => (0..10).any(|g| {
                set & (1 << g) != 0 && (d.god_count_stems[g] > 0 || d.god_count_hidden[g] > 0)
            }),
            Node::StrengthAtLeast(l) => d.strength != crate::facts::NONE && d.strength >= *l,
            Node::StrengthAtMost(l) => d.strength != crate::facts::NONE && d.strength <= *l,
            Node::Favourable(m) => d.favourable & m != 0,
            Node::Unfavourable(m) => d.unfavourable & m != 0,
            Node::Relation {
                kinds,
                key,
                positions,
                element,
            } => d.relations.iter().any(|r| {
                kinds & (1 << r.kind) != 0
                    && key.is_none_or(|k| k == r.key)
                    && r.positions & positions != 0
                    && element.is_none_or(|e| r.element.map(|x| x.index() as u8) == Some(e))
            }),
            Node::KongwangHit(positions) => d.kongwang_hit & positions != 0,
            Node::LateZi(v) => d.late_zi == *v,
            Node::BirthYear { from, to } => (*from..=*to).contains(&d.birth_year),
        }
    }
}

/// A compiled condition: a typed tree, checked once, evaluated against
/// [`Facts`] without allocating.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition(Node);

impl Condition {
    /// Compiles a JSON condition, refusing any bad node with its path.
    pub fn compile(json: &Value) -> Result<Condition, CompileError> {
        compile(json, "$").map(Condition)
    }

    /// Whether the facts meet the condition.
    pub fn matches(&self, facts: &Facts<'_>) -> bool {
        self.0.eval(&facts.derived)
    }
}

// ---------------------------------------------------------------------------
// Compilation.
// ---------------------------------------------------------------------------

/// Every condition key, in documentation order.
pub const CONDITION_KEYS: [&str; 41] = [
    "all",
    "any",
    "not",
    "pillar",
    "stem",
    "branch",
    "stem_element",
    "branch_element",
    "hidden_stem",
    "day_master",
    "day_master_element",
    "day_master_yin_yang",
    "element_count",
    "element_missing",
    "element_dominant",
    "ten_god_stem",
    "ten_god_hidden",
    "ten_god_present",
    "ten_god_count",
    "main_star",
    "deity",
    "relation",
    "stem_relation",
    "day_pillar_relation",
    "nayin",
    "nayin_element",
    "star_fortune",
    "self_sitting",
    "season",
    "month_branch",
    "gender",
    "zodiac",
    "strength",
    "strength_at_least",
    "strength_at_most",
    "favourable_includes",
    "unfavourable_includes",
    "kongwang_contains",
    "kongwang_hit",
    "late_zi_adjusted",
    "birth_year",
];

fn compile(v: &Value, path: &str) -> R<Node> {
    let Some(map) = v.as_object() else {
        return fail(
            CompileErrorKind::WrongType,
            path,
            format!(
                "a condition is an object with one key, e.g. {{\"season\": \"冬\"}}; found {}",
                type_name(v)
            ),
        );
    };
    let mut entries = map.iter();
    let (key, arg) = match (entries.next(), map.len()) {
        (Some(entry), 1) => entry,
        (None, _) => {
            return fail(
                CompileErrorKind::ImpossibleValue,
                path,
                "an empty object is no condition; a condition has exactly one key",
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
    use GlobalField as G;
    use IndexField as I;
    use MaskField as M;
    Ok(match key.as_str() {
        "all" => Node::All(list_of_conditions(arg, p)?),
        "any" => Node::Any(list_of_conditions(arg, p)?),
        "not" => Node::Not(Box::new(compile(arg, p)?)),
        "pillar" => index(arg, p, I::Pillar, &PILLAR, ALL_POSITIONS)?,
        "stem" => index(arg, p, I::Stem, &STEM, ALL_POSITIONS)?,
        "branch" => index(arg, p, I::Branch, &BRANCH, ALL_POSITIONS)?,
        "stem_element" => index(arg, p, I::StemElement, &ELEMENT, ALL_POSITIONS)?,
        "branch_element" => index(arg, p, I::BranchElement, &ELEMENT, ALL_POSITIONS)?,
        "hidden_stem" => mask(arg, p, M::HiddenStems, &STEM, ALL_POSITIONS)?,
        "day_master" => global(arg, p, G::DayMaster, &STEM)?,
        "day_master_element" => global(arg, p, G::DayMasterElement, &ELEMENT)?,
        "day_master_yin_yang" => global(arg, p, G::DayMasterPolarity, &YIN_YANG)?,
        "element_count" => element_count(arg, p)?,
        "element_missing" => Node::ElementMissing(name(arg, p, &ELEMENT)?),
        "element_dominant" => Node::ElementDominant(name(arg, p, &ELEMENT)?),
        "ten_god_stem" => index(arg, p, I::StemGod, &TEN_GOD, ALL_POSITIONS & !DAY)?,
        "ten_god_hidden" => mask(arg, p, M::HiddenGods, &TEN_GOD, ALL_POSITIONS)?,
        "ten_god_present" => Node::TenGodPresent(short_set(arg, p, &TEN_GOD)? as u32),
        "ten_god_count" => ten_god_count(arg, p)?,
        "main_star" => main_star(arg, p)?,
        "deity" => mask(arg, p, M::Deities, &DEITY, ALL_POSITIONS)?,
        "relation" => relation(arg, p, &BRANCH_KIND, "branches", &BRANCH)?,
        "stem_relation" => relation(arg, p, &STEM_KIND, "stems", &STEM)?,
        "day_pillar_relation" => global(arg, p, G::DayPillarRelation, &DAY_PILLAR_RELATION)?,
        "nayin" => index(arg, p, I::Nayin, &NAYIN, ALL_POSITIONS)?,
        "nayin_element" => index(arg, p, I::NayinElement, &ELEMENT, ALL_POSITIONS)?,
        "star_fortune" => index(arg, p, I::StarFortune, &LIFE_STAGE, ALL_POSITIONS)?,
        "self_sitting" => index(arg, p, I::SelfSitting, &LIFE_STAGE, ALL_POSITIONS)?,
        "season" => global(arg, p, G::Season, &SEASON)?,
        "month_branch" => global(arg, p, G::MonthBranch, &BRANCH)?,
        "gender" => global(arg, p, G::Gender, &GENDER)?,
        "zodiac" => global(arg, p, G::Zodiac, &ZODIAC)?,
        "strength" => global(arg, p, G::Strength, &STRENGTH)?,
        "strength_at_least" => Node::StrengthAtLeast(name(arg, p, &STRENGTH)?),
        "strength_at_most" => Node::StrengthAtMost(name(arg, p, &STRENGTH)?),
        "favourable_includes" => Node::Favourable(1 << name(arg, p, &ELEMENT)?),
        "unfavourable_includes" => Node::Unfavourable(1 << name(arg, p, &ELEMENT)?),
        "kongwang_contains" => mask(arg, p, M::Kongwang, &BRANCH, ALL_POSITIONS)?,
        "kongwang_hit" => kongwang_hit(arg, p)?,
        "late_zi_adjusted" => match arg {
            Value::Bool(b) => Node::LateZi(*b),
            _ => return wrong_type(arg, p, "true or false"),
        },
        "birth_year" => birth_year(arg, p)?,
        other => return unknown_condition(p, other),
    })
}

fn unknown_condition<T>(path: &str, key: &str) -> R<T> {
    condition_json::unknown_condition(path, key, &CONDITION_KEYS)
}

fn list_of_conditions(v: &Value, path: &str) -> R<Vec<Node>> {
    condition_json::conditions(v, path, compile)
}

/// One name of `vocab`.
fn name(v: &Value, path: &str, vocab: &Vocab) -> R<u8> {
    let Some(s) = v.as_str() else {
        return wrong_type(
            v,
            path,
            &format!("a {} name (one of {})", vocab.what, (vocab.hint)()),
        );
    };
    match (vocab.find)(s) {
        Some(i) => Ok(i),
        None => fail(
            CompileErrorKind::ImpossibleValue,
            path,
            format!(
                "{s:?} is not a {}; expected one of {}",
                vocab.what,
                (vocab.hint)()
            ),
        ),
    }
}

/// A non-empty array of names of `vocab`, as a bit set.
fn name_list(v: &Value, path: &str, vocab: &Vocab) -> R<u64> {
    let Some(items) = v.as_array() else {
        return wrong_type(
            v,
            path,
            &format!("a non-empty array of {} names", vocab.what),
        );
    };
    if items.is_empty() {
        return fail(
            CompileErrorKind::ImpossibleValue,
            path,
            format!("an empty list of {} names matches nothing", vocab.what),
        );
    }
    let mut set = 0u64;
    for (i, x) in items.iter().enumerate() {
        set |= 1 << name(x, &item(path, i), vocab)?;
    }
    Ok(set)
}

/// Short form: a name (equals) or a non-empty array of names (any of).
fn short_set(v: &Value, path: &str, vocab: &Vocab) -> R<u64> {
    match v {
        Value::String(_) => Ok(1 << name(v, path, vocab)?),
        Value::Array(_) => name_list(v, path, vocab),
        _ => wrong_type(
            v,
            path,
            &format!("a {} name or a non-empty array of them", vocab.what),
        ),
    }
}

/// `"is": name` or `"in": [names]` of an argument object.
fn is_or_in(map: &Map<String, Value>, path: &str, vocab: &Vocab) -> R<u64> {
    match (map.get("is"), map.get("in")) {
        (Some(_), Some(_)) => fail(
            CompileErrorKind::ImpossibleValue,
            path,
            "give either \"is\" or \"in\", not both",
        ),
        (Some(v), None) => Ok(1 << name(v, &child(path, "is"), vocab)?),
        (None, Some(v)) => name_list(v, &child(path, "in"), vocab),
        (None, None) => fail(
            CompileErrorKind::MissingKey,
            &child(path, "is"),
            format!("expected \"is\": <{0}> or \"in\": [<{0}>, …]", vocab.what),
        ),
    }
}

/// The optional `position` field: its bit, or all of `allowed` when absent.
fn position(map: &Map<String, Value>, path: &str, allowed: u8) -> R<u8> {
    let Some(v) = map.get("position") else {
        return Ok(allowed);
    };
    let p = child(path, "position");
    let Some(s) = v.as_str() else {
        return wrong_type(v, &p, "a position: year, month, day or hour");
    };
    let Some(i) = POSITION_NAMES.iter().position(|n| *n == s) else {
        return fail(
            CompileErrorKind::ImpossibleValue,
            &p,
            format!("{s:?} is not a position; expected year, month, day or hour"),
        );
    };
    let bit = 1u8 << i;
    if allowed & bit == 0 {
        let ok: Vec<&str> = (0..4)
            .filter(|j| allowed & (1 << j) != 0)
            .map(|j| POSITION_NAMES[j])
            .collect();
        return fail(
            CompileErrorKind::ImpossibleValue,
            &p,
            format!(
                "position {s:?} can never hold this (the day stem is the day master itself); expected {}",
                ok.join(", ")
            ),
        );
    }
    Ok(bit)
}

fn index(v: &Value, path: &str, field: IndexField, vocab: &Vocab, allowed: u8) -> R<Node> {
    let map = object(v, path, &["position", "is", "in"])?;
    let positions = position(map, path, allowed)?;
    let set = is_or_in(map, path, vocab)?;
    Ok(Node::Index {
        field,
        positions,
        set,
    })
}

fn mask(v: &Value, path: &str, field: MaskField, vocab: &Vocab, allowed: u8) -> R<Node> {
    let map = object(v, path, &["position", "is", "in"])?;
    let positions = position(map, path, allowed)?;
    let set = is_or_in(map, path, vocab)? as u32;
    Ok(Node::Mask {
        field,
        positions,
        set,
    })
}

fn global(v: &Value, path: &str, field: GlobalField, vocab: &Vocab) -> R<Node> {
    Ok(Node::Global {
        field,
        set: short_set(v, path, vocab)?,
    })
}

fn main_star(v: &Value, path: &str) -> R<Node> {
    let map = object(v, path, &["position", "is", "in"])?;
    let positions = position(map, path, ALL_POSITIONS)?;
    let set = is_or_in(map, path, &MAIN_STAR)?;
    // 元男 / 元女 only on the day pillar, ten gods only elsewhere.
    let day_only: u64 = 1 << MAIN_STAR_MALE | 1 << MAIN_STAR_FEMALE;
    let mut possible = 0u64;
    if positions & DAY != 0 {
        possible |= day_only;
    }
    if positions & !DAY != 0 {
        possible |= (1 << 10) - 1;
    }
    if set & !possible != 0 {
        let at = if map.contains_key("is") { "is" } else { "in" };
        return fail(
            CompileErrorKind::ImpossibleValue,
            &child(path, at),
            "the day pillar's main star is 元男 or 元女 and the other pillars' are ten gods; this value can never be at this position",
        );
    }
    Ok(Node::Index {
        field: IndexField::MainStar,
        positions,
        set,
    })
}

fn op(map: &Map<String, Value>, path: &str) -> R<Op> {
    let p = child(path, "op");
    let Some(v) = map.get("op") else {
        return fail(
            CompileErrorKind::MissingKey,
            &p,
            "expected \"op\": one of == != < <= > >=",
        );
    };
    let Some(s) = v.as_str() else {
        return wrong_type(v, &p, "an operator: one of == != < <= > >=");
    };
    match OP_NAMES.iter().position(|n| *n == s) {
        Some(0) => Ok(Op::Eq),
        Some(1) => Ok(Op::Ne),
        Some(2) => Ok(Op::Lt),
        Some(3) => Ok(Op::Le),
        Some(4) => Ok(Op::Gt),
        Some(5) => Ok(Op::Ge),
        _ => fail(
            CompileErrorKind::ImpossibleValue,
            &p,
            format!("{s:?} is not an operator; expected one of == != < <= > >="),
        ),
    }
}

/// A required whole number `0..=max`.
fn count(map: &Map<String, Value>, path: &str, key: &str, max: u8, of: &str) -> R<u8> {
    let p = child(path, key);
    let Some(v) = map.get(key) else {
        return fail(
            CompileErrorKind::MissingKey,
            &p,
            format!("expected \"{key}\": a whole number from 0 to {max}"),
        );
    };
    if !v.is_number() {
        return wrong_type(v, &p, "a whole number");
    }
    match v.as_i64() {
        None => wrong_type(v, &p, "a whole number, not a fraction"),
        Some(n) if n < 0 => fail(
            CompileErrorKind::ImpossibleValue,
            &p,
            format!("{n} is below zero; a count is 0 or more"),
        ),
        Some(n) if n > i64::from(max) => fail(
            CompileErrorKind::ImpossibleValue,
            &p,
            format!("{n} is more than {of} can hold ({max})"),
        ),
        Some(n) => Ok(n as u8),
    }
}

fn required<'v>(map: &'v Map<String, Value>, path: &str, key: &str, what: &str) -> R<&'v Value> {
    match map.get(key) {
        Some(v) => Ok(v),
        None => fail(
            CompileErrorKind::MissingKey,
            &child(path, key),
            format!("expected \"{key}\": {what}"),
        ),
    }
}

fn element_count(v: &Value, path: &str) -> R<Node> {
    let map = object(v, path, &["element", "op", "value"])?;
    let element = name(
        required(map, path, "element", "an element")?,
        &child(path, "element"),
        &ELEMENT,
    )?;
    let op = op(map, path)?;
    let value = count(map, path, "value", 8, "the eight characters")?;
    Ok(Node::ElementCount { element, op, value })
}

fn ten_god_count(v: &Value, path: &str) -> R<Node> {
    let map = object(v, path, &["ten_god", "op", "value", "scope"])?;
    let god = name(
        required(map, path, "ten_god", "a ten god")?,
        &child(path, "ten_god"),
        &TEN_GOD,
    )?;
    let (scope, max, of) = match map.get("scope") {
        None => (Scope::All, 15, "the three stems and twelve hidden stems"),
        Some(s) => match s.as_str() {
            Some("stems") => (Scope::Stems, 3, "the year, month and hour stems"),
            Some("hidden") => (Scope::Hidden, 12, "the hidden stems"),
            Some("all") => (Scope::All, 15, "the three stems and twelve hidden stems"),
            Some(other) => {
                return fail(
                    CompileErrorKind::ImpossibleValue,
                    &child(path, "scope"),
                    format!("{other:?} is not a scope; expected stems, hidden or all"),
                )
            }
            None => return wrong_type(s, &child(path, "scope"), "stems, hidden or all"),
        },
    };
    let op = op(map, path)?;
    let value = count(map, path, "value", max, of)?;
    Ok(Node::TenGodCount {
        god,
        scope,
        op,
        value,
    })
}

fn relation(
    v: &Value,
    path: &str,
    kinds_vocab: &Vocab,
    members_key: &str,
    members_vocab: &Vocab,
) -> R<Node> {
    let map = object(v, path, &["kind", members_key, "position", "element"])?;
    let kind_path = child(path, "kind");
    let kinds = short_set(
        required(map, path, "kind", "a relation kind or an array of them")?,
        &kind_path,
        kinds_vocab,
    )? as u16;
    let positions = position(map, path, ALL_POSITIONS)?;
    let element = match map.get("element") {
        None => None,
        Some(e) => Some(name(e, &child(path, "element"), &ELEMENT)?),
    };
    let key = match map.get(members_key) {
        None => None,
        Some(m) => {
            let p = child(path, members_key);
            let Some(items) = m.as_array() else {
                return wrong_type(
                    m,
                    &p,
                    &format!("an array of 2 or 3 {} names", members_vocab.what),
                );
            };
            if !(2..=3).contains(&items.len()) {
                return fail(
                    CompileErrorKind::ImpossibleValue,
                    &p,
                    format!("a relation has 2 or 3 members; found {}", items.len()),
                );
            }
            let mut members = Vec::with_capacity(3);
            for (i, x) in items.iter().enumerate() {
                members.push(name(x, &item(&p, i), members_vocab)?);
            }
            Some((key_of(&members), members.len() as u8, p))
        }
    };
    // Refuse what can never occur: some listed kind must exist with these
    // members and this element.
    let possible = atlas().iter().any(|inst| {
        kinds & (1 << inst.kind) != 0
            && key
                .as_ref()
                .is_none_or(|(k, len, _)| inst.key == *k && inst.len == *len)
            && element.is_none_or(|e| inst.element.map(|x| x.index() as u8) == Some(e))
    });
    if !possible {
        let kind_names: Vec<&str> = (0..KIND_NAMES.len())
            .filter(|k| kinds & (1 << k) != 0)
            .map(|k| KIND_NAMES[k])
            .collect();
        let (at, what) = match (&key, element) {
            (Some((_, _, p)), _) => (p.clone(), format!("these {members_key}")),
            (None, Some(_)) => (child(path, "element"), "this element".to_owned()),
            (None, None) => (kind_path, "this kind".to_owned()),
        };
        return fail(
            CompileErrorKind::ImpossibleValue,
            &at,
            format!("no {} can be formed with {what}", kind_names.join(" or ")),
        );
    }
    Ok(Node::Relation {
        kinds,
        key: key.map(|(k, _, _)| k),
        positions,
        element,
    })
}

fn kongwang_hit(v: &Value, path: &str) -> R<Node> {
    let map = object(v, path, &["position"])?;
    Ok(Node::KongwangHit(position(
        map,
        path,
        ALL_POSITIONS & !DAY,
    )?))
}

fn birth_year(v: &Value, path: &str) -> R<Node> {
    let map = object(v, path, &["from", "to"])?;
    let (min, max) = (bazi::input::MIN_YEAR, bazi::input::MAX_YEAR);
    let year = |key: &str| -> R<Option<i32>> {
        let Some(v) = map.get(key) else {
            return Ok(None);
        };
        let p = child(path, key);
        match v.as_i64() {
            Some(y) if (i64::from(min)..=i64::from(max)).contains(&y) => Ok(Some(y as i32)),
            Some(y) => fail(
                CompileErrorKind::ImpossibleValue,
                &p,
                format!("{y} is outside the supported years {min} to {max}"),
            ),
            None => wrong_type(v, &p, "a whole year such as 1990"),
        }
    };
    let (from, to) = (year("from")?, year("to")?);
    if from.is_none() && to.is_none() {
        return fail(
            CompileErrorKind::MissingKey,
            &child(path, "from"),
            "expected \"from\", \"to\" or both",
        );
    }
    let (from, to) = (from.unwrap_or(min), to.unwrap_or(max));
    if from > to {
        return fail(
            CompileErrorKind::ImpossibleValue,
            path,
            format!("\"from\" {from} is after \"to\" {to}"),
        );
    }
    Ok(Node::BirthYear { from, to })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths() {
        assert_eq!(child("$", "all"), "$.all");
        assert_eq!(child("$", "a b"), "$[\"a b\"]");
        assert_eq!(child("$", "季节"), "$[\"季节\"]");
        assert_eq!(item("$.all", 2), "$.all[2]");
    }

    #[test]
    fn pillar_names() {
        assert_eq!(parse_pillar("甲子"), Some(0));
        assert_eq!(parse_pillar("癸亥"), Some(59));
        assert_eq!(parse_pillar("甲丑"), None);
        assert_eq!(parse_pillar("甲"), None);
        assert_eq!(parse_pillar("甲子甲"), None);
    }

    #[test]
    fn every_key_is_handled() {
        for k in CONDITION_KEYS {
            let e = Condition::compile(&json!({ k: null })).unwrap_err();
            assert_ne!(e.kind, CompileErrorKind::UnknownKey, "{k}: {e}");
        }
    }
}

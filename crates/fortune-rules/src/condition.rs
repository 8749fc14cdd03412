//! The condition language: a JSON object with exactly one key, compiled
//! once for a rule kind into a typed [`Condition`] and evaluated against
//! [`Facts`]. See the crate documentation for the vocabulary.

use std::cell::Cell;
use std::sync::OnceLock;

use bazi::analysis::StrengthLevel;
use bazi::ganzhi::{Element, ElementRelation};
use physiognomy::keys::{
    FACE_MEASUREMENT_KEYS, FACIAL_ATTRIBUTES, FINGERS, FINGER_LENGTH_WORDS, FINGER_RATIO_KEYS,
    HAND_MEASUREMENT_KEYS, HAND_ORIENTATIONS, SAN_TING_KEYS,
};
use serde_json::{Map, Value};

use crate::facts::{feature_path, ChartFacts, FeatureFacts, RuleKind, Subject};

use condition_json::{child, fail, item, object, type_name, wrong_type, Compiled as R};
pub use condition_json::{CompileError, CompileErrorKind};

/// Every condition key, in documentation order.
pub const CONDITION_KEYS: [&str; 20] = [
    "all",
    "any",
    "not",
    "hand_shape",
    "face_shape",
    "shape_element",
    "number",
    "word",
    "mark",
    "element_count",
    "element_missing",
    "element_dominant",
    "day_master_element",
    "strength",
    "strength_at_least",
    "strength_at_most",
    "favourable_includes",
    "unfavourable_includes",
    "shape_element_role",
    "shape_element_relation",
];

/// Largest `value` of `element_count`: a chart has eight characters.
pub const MAX_ELEMENT_COUNT: u64 = 8;

/// What a matched rule and its condition are about: the features (hand or
/// face) and the chart.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    /// The hand's or the face's features.
    pub features: &'a FeatureFacts,
    /// The chart, when the caller has one.
    pub chart: Option<&'a ChartFacts>,
}

// ---------------------------------------------------------------------------
// The feature catalogue.
// ---------------------------------------------------------------------------

/// A feature a condition may name: its path, whose it is, and the words it
/// takes (`None`: a number).
struct Known {
    path: String,
    subject: Subject,
    words: Option<&'static [&'static str]>,
}

/// Every feature of [`physiognomy::keys`], by its path.
fn catalogue() -> &'static [Known] {
    static CATALOGUE: OnceLock<Vec<Known>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let number = |path: String, subject| Known {
            path,
            subject,
            words: None,
        };
        let mut all = vec![
            number("hand_shape_ratio".to_owned(), Subject::Hand),
            number("hand_shape_confidence".to_owned(), Subject::Hand),
        ];
        for k in FINGER_RATIO_KEYS {
            all.push(number(feature_path("finger_ratios", k), Subject::Hand));
        }
        for k in HAND_MEASUREMENT_KEYS {
            all.push(number(feature_path("measurements", k), Subject::Hand));
        }
        for k in FINGERS {
            all.push(Known {
                path: feature_path("finger_lengths", k),
                subject: Subject::Hand,
                words: Some(&FINGER_LENGTH_WORDS),
            });
        }
        all.push(Known {
            path: "hand_orientation".to_owned(),
            subject: Subject::Hand,
            words: Some(&HAND_ORIENTATIONS),
        });
        for k in SAN_TING_KEYS {
            all.push(number(feature_path("san_ting_ratio", k), Subject::Face));
        }
        for k in FACE_MEASUREMENT_KEYS {
            all.push(number(
                feature_path("feature_measurements", k),
                Subject::Face,
            ));
        }
        for (k, words) in FACIAL_ATTRIBUTES {
            all.push(Known {
                path: feature_path("facial_attributes", k),
                subject: Subject::Face,
                words: Some(words),
            });
        }
        all
    })
}

/// The subjects a rule kind's features may come from.
fn subjects(kind: RuleKind) -> &'static [Subject] {
    match kind {
        RuleKind::Hand => &[Subject::Hand],
        RuleKind::Face => &[Subject::Face],
        RuleKind::Integrated => &[Subject::Hand, Subject::Face],
    }
}

// ---------------------------------------------------------------------------
// The compiled tree.
// ---------------------------------------------------------------------------

/// Comparison of a measured number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    Lt,
    Le,
    Gt,
    Ge,
}

/// Comparison of a count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CountOp {
    Eq,
    Ne,
    Order(Order),
}

impl Order {
    fn apply(self, a: f64, b: f64) -> bool {
        match self {
            Order::Lt => a < b,
            Order::Le => a <= b,
            Order::Gt => a > b,
            Order::Ge => a >= b,
        }
    }
}

impl CountOp {
    fn apply(self, a: u32, b: u32) -> bool {
        match self {
            CountOp::Eq => a == b,
            CountOp::Ne => a != b,
            CountOp::Order(o) => o.apply(f64::from(a), f64::from(b)),
        }
    }
}

/// The role of the shape's element in the chart.
const ROLES: [&str; 3] = ["favourable", "unfavourable", "neutral"];

/// Relations of the shape's element to the day master's, read from the
/// shape's side (`generate`: the shape's element generates the day master's).
const RELATIONS: [ElementRelation; 5] = [
    ElementRelation::Same,
    ElementRelation::Generate,
    ElementRelation::Control,
    ElementRelation::GeneratedBy,
    ElementRelation::ControlledBy,
];

#[derive(Clone, Debug, PartialEq)]
enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Shape {
        subject: Subject,
        set: u8,
    },
    ShapeElement(u8),
    Number {
        feature: String,
        order: Order,
        value: f64,
    },
    Word {
        feature: String,
        words: Vec<&'static str>,
    },
    Mark(Vec<String>),
    ElementCount {
        element: Element,
        op: CountOp,
        value: u32,
    },
    ElementMissing(Element),
    ElementDominant(Element),
    DayMaster(u8),
    Strength(u8),
    StrengthAtLeast(StrengthLevel),
    StrengthAtMost(StrengthLevel),
    Favourable(u8),
    Unfavourable(u8),
    ShapeRole(u8),
    ShapeRelation(u8),
}

fn in_set(set: u8, i: usize) -> bool {
    i < 8 && set & (1 << i) != 0
}

impl Node {
    fn eval(&self, f: &Facts<'_>) -> bool {
        let features = f.features;
        match self {
            Node::All(c) => c.iter().all(|n| n.eval(f)),
            Node::Any(c) => c.iter().any(|n| n.eval(f)),
            Node::Not(n) => !n.eval(f),
            Node::Shape { subject, set } => {
                features.subject() == *subject
                    && features
                        .shape_index()
                        .is_some_and(|i| in_set(*set, usize::from(i)))
            }
            Node::ShapeElement(set) => features
                .shape_element()
                .is_some_and(|e| in_set(*set, e.index())),
            Node::Number {
                feature,
                order,
                value,
            } => features
                .number(feature)
                .is_some_and(|v| order.apply(v, *value)),
            Node::Word { feature, words } => {
                features.word(feature).is_some_and(|w| words.contains(&w))
            }
            Node::Mark(marks) => features.marks().iter().any(|m| marks.contains(m)),
            chart_node => f.chart.is_some_and(|c| chart_node.eval_chart(features, c)),
        }
    }

    /// A condition on the chart (false without one).
    fn eval_chart(&self, features: &FeatureFacts, c: &ChartFacts) -> bool {
        match self {
            Node::ElementCount { element, op, value } => op.apply(c.count(*element), *value),
            Node::ElementMissing(e) => c.count(*e) == 0,
            Node::ElementDominant(e) => {
                let n = c.count(*e);
                n >= 3 && Element::ALL.iter().all(|o| o == e || c.count(*o) < n)
            }
            Node::DayMaster(set) => c.day_master.is_some_and(|e| in_set(*set, e.index())),
            Node::Strength(set) => c.strength.is_some_and(|l| in_set(*set, strength_index(l))),
            Node::StrengthAtLeast(level) => c.strength.is_some_and(|l| l >= *level),
            Node::StrengthAtMost(level) => c.strength.is_some_and(|l| l <= *level),
            Node::Favourable(set) => c.favourable.iter().any(|e| in_set(*set, e.index())),
            Node::Unfavourable(set) => c.unfavourable.iter().any(|e| in_set(*set, e.index())),
            Node::ShapeRole(set) => {
                let known = !c.favourable.is_empty() || !c.unfavourable.is_empty();
                features.shape_element().is_some_and(|e| {
                    let role = if c.favourable.contains(&e) {
                        0
                    } else if c.unfavourable.contains(&e) {
                        1
                    } else {
                        2
                    };
                    known && in_set(*set, role)
                })
            }
            Node::ShapeRelation(set) => match (features.shape_element(), c.day_master) {
                (Some(shape), Some(dm)) => {
                    let relation = shape.relation_to(dm);
                    RELATIONS
                        .iter()
                        .position(|r| *r == relation)
                        .is_some_and(|i| in_set(*set, i))
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// The features and chart facts the node reads, in order, each once.
    fn reads(&self, out: &mut Vec<String>) {
        let mut add = |name: String| {
            if !out.contains(&name) {
                out.push(name);
            }
        };
        match self {
            Node::All(c) | Node::Any(c) => c.iter().for_each(|n| n.reads(out)),
            Node::Not(n) => n.reads(out),
            Node::Shape { subject, .. } => add(match subject {
                Subject::Hand => "hand_shape",
                Subject::Face => "face_shape",
            }
            .to_owned()),
            Node::ShapeElement(_) => add("shape_element".to_owned()),
            Node::Number { feature, .. } | Node::Word { feature, .. } => add(feature.clone()),
            Node::Mark(_) => add("special_marks".to_owned()),
            Node::ElementCount { element, .. }
            | Node::ElementMissing(element)
            | Node::ElementDominant(element) => {
                add(format!("bazi.element_counts.{}", element.as_str()))
            }
            Node::DayMaster(_) => add("bazi.day_master".to_owned()),
            Node::Strength(_) | Node::StrengthAtLeast(_) | Node::StrengthAtMost(_) => {
                add("bazi.strength".to_owned())
            }
            Node::Favourable(_) => add("bazi.favourable".to_owned()),
            Node::Unfavourable(_) => add("bazi.unfavourable".to_owned()),
            Node::ShapeRole(_) => {
                add("shape_element".to_owned());
                add("bazi.favourable".to_owned());
            }
            Node::ShapeRelation(_) => {
                add("shape_element".to_owned());
                add("bazi.day_master".to_owned());
            }
        }
    }
}

fn strength_index(level: StrengthLevel) -> usize {
    StrengthLevel::ALL
        .iter()
        .position(|l| *l == level)
        .unwrap_or(0)
}

/// A compiled condition: checked once, evaluated without allocating.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition(Node);

impl Condition {
    /// Compiles a JSON condition for a rule of `kind`, refusing any bad node
    /// with its path. A hand rule may read hand features only, a face rule
    /// face features only, and neither the chart; an integrated rule must
    /// read both a feature and the chart.
    pub fn compile(json: &Value, kind: RuleKind) -> Result<Condition, CompileError> {
        let scope = Scope {
            kind,
            features: Cell::new(0),
            chart: Cell::new(0),
        };
        let node = compile(json, "$", &scope)?;
        if kind == RuleKind::Integrated && (scope.features.get() == 0 || scope.chart.get() == 0) {
            let missing = if scope.features.get() == 0 {
                "no feature (hand_shape, face_shape, shape_element, number, word, mark, shape_element_role or shape_element_relation)"
            } else {
                "no chart fact (element_count, element_missing, element_dominant, day_master_element, strength…, favourable_includes, unfavourable_includes, shape_element_role or shape_element_relation)"
            };
            return fail(
                CompileErrorKind::ImpossibleValue,
                "$",
                format!("an integrated rule combines the features with the chart; this one reads {missing}"),
            );
        }
        Ok(Condition(node))
    }

    /// Whether the facts meet the condition.
    pub fn matches(&self, facts: &Facts<'_>) -> bool {
        self.0.eval(facts)
    }

    /// The features and chart facts the condition reads, in order: feature
    /// paths (`finger_ratios.index_ring`), `hand_shape`, `face_shape`,
    /// `shape_element`, `special_marks`, and `bazi.*` for the chart.
    pub fn reads(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.0.reads(&mut out);
        out
    }
}

// ---------------------------------------------------------------------------
// Compilation.
// ---------------------------------------------------------------------------

/// The rule kind being compiled and what its condition has read so far.
struct Scope {
    kind: RuleKind,
    features: Cell<usize>,
    chart: Cell<usize>,
}

impl Scope {
    /// Counts a feature condition; refused in no kind.
    fn feature(&self) {
        self.features.set(self.features.get() + 1);
    }

    /// Counts a chart condition, refused outside integrated rules.
    fn chart(&self, path: &str, key: &str) -> R<()> {
        if self.kind != RuleKind::Integrated {
            return fail(
                CompileErrorKind::ImpossibleValue,
                path,
                format!(
                    "{key:?} reads the chart, which only integrated rules see; make the rule integrated or drop the condition"
                ),
            );
        }
        self.chart.set(self.chart.get() + 1);
        Ok(())
    }

    /// A shape condition of `subject`, refused where that subject is never
    /// matched.
    fn subject(&self, path: &str, subject: Subject) -> R<()> {
        if !subjects(self.kind).contains(&subject) {
            return fail(
                CompileErrorKind::ImpossibleValue,
                path,
                format!(
                    "a {} rule never sees a {}; this condition could never hold",
                    self.kind.as_str(),
                    subject.as_str()
                ),
            );
        }
        self.feature();
        Ok(())
    }
}

fn compile(v: &Value, path: &str, scope: &Scope) -> R<Node> {
    let Some(map) = v.as_object() else {
        return fail(
            CompileErrorKind::WrongType,
            path,
            format!(
                "a condition is an object with one key, e.g. {{\"hand_shape\": \"木\"}}; found {}",
                type_name(v)
            ),
        );
    };
    let (key, arg) = match (map.iter().next(), map.len()) {
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
                    "a condition has exactly one key; found {} ({}); combine several with \"all\" or \"any\"",
                    keys.len(),
                    keys.join(", ")
                ),
            );
        }
    };
    let p = &child(path, key);
    Ok(match key.as_str() {
        "all" => Node::All(condition_json::conditions(arg, p, |v, p| {
            compile(v, p, scope)
        })?),
        "any" => Node::Any(condition_json::conditions(arg, p, |v, p| {
            compile(v, p, scope)
        })?),
        "not" => Node::Not(Box::new(compile(arg, p, scope)?)),
        "hand_shape" => {
            scope.subject(p, Subject::Hand)?;
            Node::Shape {
                subject: Subject::Hand,
                set: names(arg, p, "hand shape", Subject::Hand.shapes())?,
            }
        }
        "face_shape" => {
            scope.subject(p, Subject::Face)?;
            Node::Shape {
                subject: Subject::Face,
                set: names(arg, p, "face shape", Subject::Face.shapes())?,
            }
        }
        "shape_element" => {
            scope.feature();
            Node::ShapeElement(elements(arg, p)?)
        }
        "number" => {
            scope.feature();
            number(arg, p, scope.kind)?
        }
        "word" => {
            scope.feature();
            word(arg, p, scope.kind)?
        }
        "mark" => {
            scope.feature();
            Node::Mark(marks(arg, p)?)
        }
        "element_count" => {
            scope.chart(p, key)?;
            element_count(arg, p)?
        }
        "element_missing" => {
            scope.chart(p, key)?;
            Node::ElementMissing(element(arg, p)?)
        }
        "element_dominant" => {
            scope.chart(p, key)?;
            Node::ElementDominant(element(arg, p)?)
        }
        "day_master_element" => {
            scope.chart(p, key)?;
            Node::DayMaster(elements(arg, p)?)
        }
        "strength" => {
            scope.chart(p, key)?;
            Node::Strength(names(arg, p, "strength level", &strength_names())?)
        }
        "strength_at_least" => {
            scope.chart(p, key)?;
            Node::StrengthAtLeast(strength(arg, p)?)
        }
        "strength_at_most" => {
            scope.chart(p, key)?;
            Node::StrengthAtMost(strength(arg, p)?)
        }
        "favourable_includes" => {
            scope.chart(p, key)?;
            Node::Favourable(elements(arg, p)?)
        }
        "unfavourable_includes" => {
            scope.chart(p, key)?;
            Node::Unfavourable(elements(arg, p)?)
        }
        "shape_element_role" => {
            scope.chart(p, key)?;
            scope.feature();
            Node::ShapeRole(names(arg, p, "role", &ROLES)?)
        }
        "shape_element_relation" => {
            scope.chart(p, key)?;
            scope.feature();
            let relation_names = RELATIONS.map(ElementRelation::as_str);
            Node::ShapeRelation(names(arg, p, "element relation", &relation_names)?)
        }
        other => return unknown_condition(p, other),
    })
}

fn unknown_condition<T>(path: &str, key: &str) -> R<T> {
    condition_json::unknown_condition(path, key, &CONDITION_KEYS)
}

fn strength_names() -> [&'static str; 5] {
    StrengthLevel::ALL.map(StrengthLevel::as_str)
}

fn element_names() -> [&'static str; 5] {
    Element::ALL.map(Element::as_str)
}

/// One name of `vocabulary`, as its index.
fn name(v: &Value, path: &str, what: &str, vocabulary: &[&str]) -> R<usize> {
    let hint = vocabulary.join(" ");
    let Some(s) = v.as_str() else {
        return wrong_type(v, path, &format!("a {what} (one of {hint})"));
    };
    match vocabulary.iter().position(|n| *n == s) {
        Some(i) => Ok(i),
        None => fail(
            CompileErrorKind::ImpossibleValue,
            path,
            format!("{s:?} is not a known {what}; expected one of {hint}"),
        ),
    }
}

/// A name, or a non-empty array of names (any of), as a bit set.
fn names(v: &Value, path: &str, what: &str, vocabulary: &[&str]) -> R<u8> {
    match v {
        Value::String(_) => Ok(1 << name(v, path, what, vocabulary)?),
        Value::Array(items) if items.is_empty() => fail(
            CompileErrorKind::ImpossibleValue,
            path,
            format!("an empty list of {what}s matches nothing"),
        ),
        Value::Array(items) => {
            let mut set = 0u8;
            for (i, x) in items.iter().enumerate() {
                set |= 1 << name(x, &item(path, i), what, vocabulary)?;
            }
            Ok(set)
        }
        _ => wrong_type(v, path, &format!("a {what} or a non-empty array of them")),
    }
}

fn element(v: &Value, path: &str) -> R<Element> {
    Ok(Element::ALL[name(v, path, "element", &element_names())?])
}

fn elements(v: &Value, path: &str) -> R<u8> {
    names(v, path, "element", &element_names())
}

fn strength(v: &Value, path: &str) -> R<StrengthLevel> {
    Ok(StrengthLevel::ALL[name(v, path, "strength level", &strength_names())?])
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

/// The `feature` of `number` and `word`: a known feature of the right type
/// that a rule of `kind` can see.
fn feature(
    map: &Map<String, Value>,
    path: &str,
    kind: RuleKind,
    number: bool,
) -> R<&'static Known> {
    let p = child(path, "feature");
    let what = if number { "number" } else { "word" };
    let v = required(
        map,
        path,
        "feature",
        &format!("the name of a {what} feature"),
    )?;
    let Some(name) = v.as_str() else {
        return wrong_type(v, &p, &format!("the name of a {what} feature"));
    };
    let visible = |k: &&Known| subjects(kind).contains(&k.subject) && k.words.is_none() == number;
    if let Some(known) = catalogue().iter().filter(visible).find(|k| k.path == name) {
        return Ok(known);
    }
    let elsewhere = catalogue().iter().find(|k| k.path == name);
    let why = match elsewhere {
        Some(k) if k.words.is_none() != number => format!(
            "{name:?} is a {} feature; use \"{}\"",
            if number { "word" } else { "number" },
            if number { "word" } else { "number" }
        ),
        Some(k) => format!(
            "{name:?} is a {} feature, which a {} rule never sees",
            k.subject.as_str(),
            kind.as_str()
        ),
        None => {
            let known: Vec<&str> = catalogue()
                .iter()
                .filter(visible)
                .map(|k| k.path.as_str())
                .collect();
            format!(
                "{name:?} is not a {what} feature; known: {}",
                known.join(", ")
            )
        }
    };
    fail(CompileErrorKind::ImpossibleValue, &p, why)
}

fn number(v: &Value, path: &str, kind: RuleKind) -> R<Node> {
    let map = object(v, path, &["feature", "op", "value"])?;
    let known = feature(map, path, kind, true)?;
    let op_path = child(path, "op");
    let op = required(map, path, "op", "one of < <= > >=")?;
    let order = match op.as_str() {
        Some("<") => Order::Lt,
        Some("<=") => Order::Le,
        Some(">") => Order::Gt,
        Some(">=") => Order::Ge,
        Some("==" | "!=") => {
            return fail(
                CompileErrorKind::ImpossibleValue,
                &op_path,
                "a measured number is never exactly a value; compare it with <, <=, > or >=",
            )
        }
        Some(other) => {
            return fail(
                CompileErrorKind::ImpossibleValue,
                &op_path,
                format!("{other:?} is not an operator; expected one of < <= > >="),
            )
        }
        None => return wrong_type(op, &op_path, "an operator: one of < <= > >="),
    };
    let value = required(map, path, "value", "a number")?;
    let Some(value) = value.as_f64() else {
        return wrong_type(value, &child(path, "value"), "a number");
    };
    Ok(Node::Number {
        feature: known.path.clone(),
        order,
        value,
    })
}

fn word(v: &Value, path: &str, kind: RuleKind) -> R<Node> {
    let map = object(v, path, &["feature", "is", "in"])?;
    let known = feature(map, path, kind, false)?;
    let vocabulary = known.words.unwrap_or(&[]);
    let what = format!("word of {}", known.path);
    let words = match (map.get("is"), map.get("in")) {
        (Some(_), Some(_)) => {
            return fail(
                CompileErrorKind::ImpossibleValue,
                path,
                "give either \"is\" or \"in\", not both",
            )
        }
        (Some(w), None) => vec![vocabulary[name(w, &child(path, "is"), &what, vocabulary)?]],
        (None, Some(ws)) => {
            let set = names(ws, &child(path, "in"), &what, vocabulary)?;
            (0..vocabulary.len())
                .filter(|i| in_set(set, *i))
                .map(|i| vocabulary[i])
                .collect()
        }
        (None, None) => {
            return fail(
                CompileErrorKind::MissingKey,
                &child(path, "is"),
                "expected \"is\": <word> or \"in\": [<word>, …]",
            )
        }
    };
    Ok(Node::Word {
        feature: known.path.clone(),
        words,
    })
}

/// A mark, or a non-empty array of them: free text (whatever the caller's
/// `special_marks` / `special_features` hold), 1 to 64 characters each.
fn marks(v: &Value, path: &str) -> R<Vec<String>> {
    let one = |v: &Value, path: &str| -> R<String> {
        match v.as_str() {
            Some(s) if !s.trim().is_empty() && s.chars().count() <= 64 => Ok(s.to_owned()),
            Some(_) => fail(
                CompileErrorKind::ImpossibleValue,
                path,
                "a mark is 1 to 64 characters, not only white space",
            ),
            None => wrong_type(v, path, "a mark (a string)"),
        }
    };
    match v {
        Value::Array(items) if items.is_empty() => fail(
            CompileErrorKind::ImpossibleValue,
            path,
            "an empty list of marks matches nothing",
        ),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| one(x, &item(path, i)))
            .collect(),
        other => Ok(vec![one(other, path)?]),
    }
}

fn element_count(v: &Value, path: &str) -> R<Node> {
    let map = object(v, path, &["element", "op", "value"])?;
    let element = element(
        required(map, path, "element", "an element")?,
        &child(path, "element"),
    )?;
    let op_path = child(path, "op");
    let op = required(map, path, "op", "one of == != < <= > >=")?;
    let op = match op.as_str() {
        Some("==") => CountOp::Eq,
        Some("!=") => CountOp::Ne,
        Some("<") => CountOp::Order(Order::Lt),
        Some("<=") => CountOp::Order(Order::Le),
        Some(">") => CountOp::Order(Order::Gt),
        Some(">=") => CountOp::Order(Order::Ge),
        Some(other) => {
            return fail(
                CompileErrorKind::ImpossibleValue,
                &op_path,
                format!("{other:?} is not an operator; expected one of == != < <= > >="),
            )
        }
        None => return wrong_type(op, &op_path, "an operator: one of == != < <= > >="),
    };
    let value_path = child(path, "value");
    let value = required(map, path, "value", "a whole number from 0 to 8")?;
    let value = match value.as_u64() {
        Some(n) if n <= MAX_ELEMENT_COUNT => n as u32,
        Some(n) => {
            return fail(
                CompileErrorKind::ImpossibleValue,
                &value_path,
                format!("{n} is more than the eight characters can hold ({MAX_ELEMENT_COUNT})"),
            )
        }
        None if value.as_i64().is_some() => {
            return fail(
                CompileErrorKind::ImpossibleValue,
                &value_path,
                "a count is 0 or more",
            )
        }
        None => return wrong_type(value, &value_path, "a whole number from 0 to 8"),
    };
    Ok(Node::ElementCount { element, op, value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_key_is_handled() {
        for k in CONDITION_KEYS {
            let e = Condition::compile(&json!({ k: null }), RuleKind::Integrated).unwrap_err();
            assert_ne!(e.kind, CompileErrorKind::UnknownKey, "{k}: {e}");
        }
    }

    #[test]
    fn the_catalogue_has_every_documented_key_once() {
        let paths: Vec<&str> = catalogue().iter().map(|k| k.path.as_str()).collect();
        let mut unique = paths.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), paths.len());
        assert!(paths.contains(&"finger_ratios.index_ring"));
        assert!(paths.contains(&"facial_attributes.eye_spacing"));
        assert!(paths.contains(&"san_ting_ratio.upper"));
    }
}

//! What rules are matched against: the measured features of a hand or a
//! face ([`FeatureFacts`]) and, for integrated rules, the chart
//! ([`ChartFacts`]).
//!
//! A feature is named by the `fortune.rule` proto's field and, for a map,
//! the key: `hand_shape_ratio`, `finger_ratios.index_ring`,
//! `facial_attributes.eye_spacing`, … ([`feature_path`]); the keys are
//! those of [`physiognomy::keys`]. A feature set holds numbers and words by
//! these names, the shape, and any special marks.

use std::collections::HashMap;

use bazi::analysis::StrengthLevel;
use bazi::ganzhi::Element;
use physiognomy::keys::{FACE_SHAPES, HAND_SHAPES};
use serde::{Deserialize, Serialize};

/// Whose features: a hand's or a face's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// A hand (`HandFeatures`).
    Hand,
    /// A face (`FaceFeatures`).
    Face,
}

impl Subject {
    /// `hand` or `face`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Subject::Hand => "hand",
            Subject::Face => "face",
        }
    }

    /// The shapes of this subject, in [`FeatureFacts::shape_index`] order.
    pub const fn shapes(self) -> &'static [&'static str; 5] {
        match self {
            Subject::Hand => &HAND_SHAPES,
            Subject::Face => &FACE_SHAPES,
        }
    }

    /// The proto field that holds the shape.
    pub const fn shape_field(self) -> &'static str {
        match self {
            Subject::Hand => "hand_shape",
            Subject::Face => "facial_attributes.face_shape",
        }
    }
}

/// The element of each face shape, in [`FACE_SHAPES`] order (圆 方 长 瓜子
/// 鹅蛋), after the five-element face types of 面相: 水形面圆, 金形面方,
/// 木形面长, 火形面尖 (a pointed chin), and the balanced oval for 土, the
/// centre element. A hand shape *is* an element (木 火 土 金 水, in
/// [`Element::ALL`] order).
pub const FACE_SHAPE_ELEMENTS: [Element; 5] = [
    Element::Water,
    Element::Metal,
    Element::Wood,
    Element::Fire,
    Element::Earth,
];

/// English names accepted for the shapes, in the order of
/// [`Subject::shapes`].
const HAND_SHAPE_ALIASES: [&str; 5] = ["wood", "fire", "earth", "metal", "water"];
const FACE_SHAPE_ALIASES: [&str; 5] = ["round", "square", "long", "pointed", "oval"];

/// `field.key`, the name of a map entry as a feature.
pub fn feature_path(field: &str, key: &str) -> String {
    format!("{field}.{key}")
}

/// A feature set that cannot be matched.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FeatureError {
    /// A number is NaN or infinite: no comparison with it means anything.
    #[error("{feature}: {value} is not a finite number")]
    NotFinite {
        /// The feature, e.g. `measurements.palm_ratio`.
        feature: String,
        /// The value.
        value: f64,
    },
    /// The shape is not one this subject has.
    #[error("{field}: {shape:?} is not a {subject} shape; expected one of {expected}")]
    UnknownShape {
        /// `hand_shape` or `facial_attributes.face_shape`.
        field: &'static str,
        /// `hand` or `face`.
        subject: &'static str,
        /// What was given.
        shape: String,
        /// The accepted names.
        expected: String,
    },
}

/// The features of one hand or one face, as rules read them.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureFacts {
    subject: Subject,
    shape: Option<u8>,
    numbers: HashMap<String, f64>,
    words: HashMap<String, String>,
    marks: Vec<String>,
}

impl FeatureFacts {
    /// A feature set. `shape` is the hand shape (`木` … `水`) or the face
    /// shape (`圆` … `鹅蛋`); the English names (`wood`, `round`, …) and the
    /// long forms (`木形手`, `圆脸`) are accepted too, and an empty shape
    /// means none was measured. Numbers must be finite. Feature names no
    /// rule knows are kept (and never matched), so a newer caller's extra
    /// features do no harm.
    pub fn new(
        subject: Subject,
        shape: &str,
        numbers: impl IntoIterator<Item = (String, f64)>,
        words: impl IntoIterator<Item = (String, String)>,
        marks: impl IntoIterator<Item = String>,
    ) -> Result<FeatureFacts, FeatureError> {
        let numbers: HashMap<String, f64> = numbers.into_iter().collect();
        let mut names: Vec<&String> = numbers.keys().collect();
        names.sort_unstable();
        for name in names {
            let value = numbers[name];
            if !value.is_finite() {
                return Err(FeatureError::NotFinite {
                    feature: name.clone(),
                    value,
                });
            }
        }
        let shape = match shape.trim() {
            "" => None,
            name => Some(
                parse_shape(subject, name).ok_or_else(|| FeatureError::UnknownShape {
                    field: subject.shape_field(),
                    subject: subject.as_str(),
                    shape: name.chars().take(40).collect(),
                    expected: subject.shapes().join(" "),
                })?,
            ),
        };
        Ok(FeatureFacts {
            subject,
            shape,
            numbers,
            words: words.into_iter().collect(),
            marks: marks.into_iter().collect(),
        })
    }

    /// The features [`physiognomy::hand_features`] measured.
    pub fn from_hand(hand: &physiognomy::HandFeatures) -> FeatureFacts {
        let mut numbers = vec![
            (
                "hand_shape_ratio".to_owned(),
                f64::from(hand.hand_shape_ratio()),
            ),
            (
                "hand_shape_confidence".to_owned(),
                f64::from(hand.hand_shape_confidence()),
            ),
        ];
        numbers.extend(
            hand.finger_ratios()
                .into_iter()
                .map(|(k, v)| (feature_path("finger_ratios", k), f64::from(v))),
        );
        numbers.extend(
            hand.measurements()
                .into_iter()
                .map(|(k, v)| (feature_path("measurements", k), f64::from(v))),
        );
        let mut words: Vec<(String, String)> = hand
            .finger_lengths()
            .into_iter()
            .map(|(k, w)| (feature_path("finger_lengths", k), w.to_owned()))
            .collect();
        words.push(("hand_orientation".to_owned(), hand.hand_orientation()));
        FeatureFacts {
            subject: Subject::Hand,
            shape: parse_shape(Subject::Hand, hand.hand_shape()),
            numbers: numbers.into_iter().collect(),
            words: words.into_iter().collect(),
            marks: Vec::new(),
        }
    }

    /// The features [`physiognomy::face_features`] measured.
    pub fn from_face(face: &physiognomy::FaceFeatures) -> FeatureFacts {
        let numbers = face
            .san_ting_ratio()
            .into_iter()
            .map(|(k, v)| (feature_path("san_ting_ratio", k), f64::from(v)))
            .chain(
                face.feature_measurements()
                    .into_iter()
                    .map(|(k, v)| (feature_path("feature_measurements", k), f64::from(v))),
            );
        let words = face
            .facial_attributes()
            .into_iter()
            .map(|(k, w)| (feature_path("facial_attributes", k), w.to_owned()));
        FeatureFacts {
            subject: Subject::Face,
            shape: parse_shape(Subject::Face, face.shape.as_str()),
            numbers: numbers.collect(),
            words: words.collect(),
            marks: face.special_features(),
        }
    }

    /// Whose features these are.
    pub fn subject(&self) -> Subject {
        self.subject
    }

    /// The shape's index in [`Subject::shapes`], if a shape was measured.
    pub fn shape_index(&self) -> Option<u8> {
        self.shape
    }

    /// The shape's name (`木`, `鹅蛋`, …).
    pub fn shape_name(&self) -> Option<&'static str> {
        self.shape.map(|i| self.subject.shapes()[usize::from(i)])
    }

    /// The shape's element: the hand shape itself, or the face shape's by
    /// [`FACE_SHAPE_ELEMENTS`].
    pub fn shape_element(&self) -> Option<Element> {
        let i = usize::from(self.shape?);
        Some(match self.subject {
            Subject::Hand => Element::ALL[i],
            Subject::Face => FACE_SHAPE_ELEMENTS[i],
        })
    }

    /// A number feature, if present.
    pub fn number(&self, feature: &str) -> Option<f64> {
        self.numbers.get(feature).copied()
    }

    /// A word feature, if present.
    pub fn word(&self, feature: &str) -> Option<&str> {
        self.words.get(feature).map(String::as_str)
    }

    /// The special marks (`special_marks` / `special_features`).
    pub fn marks(&self) -> &[String] {
        &self.marks
    }
}

/// The shape's index, from its Chinese name, its long form or its English name.
fn parse_shape(subject: Subject, name: &str) -> Option<u8> {
    let aliases = match subject {
        Subject::Hand => &HAND_SHAPE_ALIASES,
        Subject::Face => &FACE_SHAPE_ALIASES,
    };
    let short = name
        .strip_suffix("形手")
        .or_else(|| name.strip_suffix("脸"))
        .or_else(|| name.strip_suffix('形'))
        .unwrap_or(name);
    let lower = name.to_ascii_lowercase();
    subject
        .shapes()
        .iter()
        .position(|s| *s == short)
        .or_else(|| aliases.iter().position(|a| *a == lower))
        .map(|i| i as u8)
}

/// The chart as integrated rules read it: element counts, the day master's
/// element, and the analyses — strength (旺衰) and favourable (喜用) and
/// unfavourable (忌) elements. A fact that is not known (a caller's chart
/// without its analyses) makes every condition on it false.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChartFacts {
    /// Count of each element over the eight characters, by
    /// [`Element::index`] (木 火 土 金 水).
    pub element_counts: [u32; 5],
    /// The day stem's element.
    pub day_master: Option<Element>,
    /// The day master's strength.
    pub strength: Option<StrengthLevel>,
    /// 喜用神, 用神 first.
    pub favourable: Vec<Element>,
    /// 忌神, heaviest first.
    pub unfavourable: Vec<Element>,
}

impl ChartFacts {
    /// The facts of a chart, with its strength
    /// ([`bazi::analysis::wangshuai`]) and favourable elements
    /// ([`bazi::analysis::xishen_jishen_from`]) computed — the same
    /// analyses `bazi_analyzer` and `bazi_rule` report.
    pub fn from_chart(chart: &bazi::Chart) -> ChartFacts {
        let strength = bazi::analysis::wangshuai(chart);
        let elements = bazi::analysis::xishen_jishen_from(chart, &strength);
        ChartFacts {
            element_counts: Element::ALL.map(|e| u32::from(chart.element_counts.get(e))),
            day_master: Some(chart.day_master().element()),
            strength: Some(strength.level),
            favourable: elements.favourable_elements().collect(),
            unfavourable: elements.unfavourable_elements().collect(),
        }
    }

    /// The count of one element.
    pub fn count(&self, element: Element) -> u32 {
        self.element_counts[element.index()]
    }
}

/// What a rule is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// Hand features only.
    Hand,
    /// Face features only.
    Face,
    /// A feature (of a hand or a face) together with the chart.
    Integrated,
}

impl RuleKind {
    /// Every kind.
    pub const ALL: [RuleKind; 3] = [RuleKind::Hand, RuleKind::Face, RuleKind::Integrated];

    /// `hand`, `face` or `integrated`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RuleKind::Hand => "hand",
            RuleKind::Face => "face",
            RuleKind::Integrated => "integrated",
        }
    }

    /// The kind of its name.
    pub fn parse(name: &str) -> Option<RuleKind> {
        RuleKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_by_any_of_their_names() {
        for (name, index) in [
            ("木", 0),
            ("木形手", 0),
            ("Wood", 0),
            ("水形", 4),
            ("water", 4),
        ] {
            assert_eq!(parse_shape(Subject::Hand, name), Some(index), "{name}");
        }
        for (name, index) in [
            ("圆", 0),
            ("圆脸", 0),
            ("瓜子脸", 3),
            ("OVAL", 4),
            ("鹅蛋", 4),
        ] {
            assert_eq!(parse_shape(Subject::Face, name), Some(index), "{name}");
        }
        assert_eq!(parse_shape(Subject::Hand, "圆"), None);
        assert_eq!(parse_shape(Subject::Face, "木"), None);
    }

    #[test]
    fn shapes_have_elements() {
        let hand = |s: &str| {
            FeatureFacts::new(Subject::Hand, s, [], [], [])
                .expect("a hand shape")
                .shape_element()
        };
        assert_eq!(hand("金"), Some(Element::Metal));
        assert_eq!(hand(""), None);
        let face = FeatureFacts::new(Subject::Face, "瓜子", [], [], []).expect("a face shape");
        assert_eq!(face.shape_element(), Some(Element::Fire));
        assert_eq!(face.shape_name(), Some("瓜子"));
    }

    #[test]
    fn non_finite_numbers_and_unknown_shapes_are_refused() {
        let err = FeatureFacts::new(
            Subject::Hand,
            "木",
            [
                ("measurements.palm_ratio".to_owned(), f64::NAN),
                ("a".to_owned(), 1.0),
            ],
            [],
            [],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "measurements.palm_ratio: NaN is not a finite number"
        );
        let err = FeatureFacts::new(Subject::Face, "heart", [], [], []).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("facial_attributes.face_shape: \"heart\" is not a face shape"));
    }
}

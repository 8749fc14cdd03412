//! Feature sets and charts for the tests: an average hand or face whose
//! numbers and words are those physiognomy gives a typical one, changed
//! where a test says.

#![allow(dead_code)]

use bazi::analysis::StrengthLevel;
use bazi::ganzhi::Element;
use fortune_rules::{ChartFacts, FeatureFacts, Subject};

/// The numbers of an average hand.
const HAND_NUMBERS: [(&str, f64); 19] = [
    ("hand_shape_ratio", 1.38),
    ("hand_shape_confidence", 0.8),
    ("finger_ratios.index_ring", 0.954),
    ("finger_ratios.index_middle", 0.896),
    ("finger_ratios.ring_middle", 0.939),
    ("finger_ratios.pinky_ring", 0.787),
    ("finger_ratios.thumb_index", 0.728),
    ("finger_ratios.middle_palm", 1.15),
    ("measurements.palm_ratio", 1.38),
    ("measurements.palm_width", 0.725),
    ("measurements.thumb_length", 0.75),
    ("measurements.index_length", 1.03),
    ("measurements.middle_length", 1.15),
    ("measurements.ring_length", 1.08),
    ("measurements.pinky_length", 0.85),
    ("measurements.thumb_angle", 45.0),
    ("measurements.gap_index_middle", 8.0),
    ("measurements.gap_middle_ring", 6.0),
    ("measurements.gap_ring_pinky", 10.0),
];

const HAND_WORDS: [(&str, &str); 6] = [
    ("finger_lengths.thumb", "medium"),
    ("finger_lengths.index", "medium"),
    ("finger_lengths.middle", "medium"),
    ("finger_lengths.ring", "medium"),
    ("finger_lengths.pinky", "medium"),
    ("hand_orientation", "right_palm_up"),
];

/// The numbers of an average face.
const FACE_NUMBERS: [(&str, f64); 12] = [
    ("san_ting_ratio.upper", 0.333),
    ("san_ting_ratio.middle", 0.333),
    ("san_ting_ratio.lower", 0.334),
    ("feature_measurements.face_ratio", 0.72),
    ("feature_measurements.jaw_ratio", 0.80),
    ("feature_measurements.face_shape_confidence", 0.8),
    ("feature_measurements.san_ting_balance", 1.0),
    ("feature_measurements.eye_spacing", 1.15),
    ("feature_measurements.eye_size", 0.20),
    ("feature_measurements.nose_width", 0.235),
    ("feature_measurements.mouth_width", 0.36),
    ("feature_measurements.eyebrow_height", 0.118),
];

const FACE_WORDS: [(&str, &str); 6] = [
    ("facial_attributes.san_ting", "balanced"),
    ("facial_attributes.eye_spacing", "normal"),
    ("facial_attributes.eye_size", "medium"),
    ("facial_attributes.nose_width", "medium"),
    ("facial_attributes.mouth_width", "medium"),
    ("facial_attributes.eyebrow_height", "medium"),
];

fn merged<T: Copy>(defaults: &[(&str, T)], changes: &[(&str, T)]) -> Vec<(String, T)> {
    let mut out: Vec<(String, T)> = defaults
        .iter()
        .map(|(k, v)| ((*k).to_owned(), *v))
        .collect();
    for (k, v) in changes {
        match out.iter_mut().find(|(name, _)| name == k) {
            Some(slot) => slot.1 = *v,
            None => out.push(((*k).to_owned(), *v)),
        }
    }
    out
}

/// An average hand of this shape, with these numbers and words changed.
pub fn hand(shape: &str, numbers: &[(&str, f64)], words: &[(&str, &str)]) -> FeatureFacts {
    let words = merged(&HAND_WORDS, words)
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()));
    FeatureFacts::new(
        Subject::Hand,
        shape,
        merged(&HAND_NUMBERS, numbers),
        words,
        [],
    )
    .expect("a valid hand")
}

/// An average face of this shape, with these numbers and words changed
/// (the shape also as `facial_attributes.face_shape`).
pub fn face(shape: &str, numbers: &[(&str, f64)], words: &[(&str, &str)]) -> FeatureFacts {
    let mut all_words = merged(&FACE_WORDS, words);
    all_words.push(("facial_attributes.face_shape".to_owned(), shape));
    let words = all_words.into_iter().map(|(k, v)| (k, v.to_owned()));
    FeatureFacts::new(
        Subject::Face,
        shape,
        merged(&FACE_NUMBERS, numbers),
        words,
        [],
    )
    .expect("a valid face")
}

fn elements(names: &[&str]) -> Vec<Element> {
    names
        .iter()
        .map(|n| {
            *Element::ALL
                .iter()
                .find(|e| e.as_str() == *n)
                .unwrap_or_else(|| panic!("{n} is an element"))
        })
        .collect()
}

/// A chart: counts of 木 火 土 金 水, the day master's element, strength,
/// favourable and unfavourable elements.
pub fn chart(
    counts: [u32; 5],
    day_master: &str,
    strength: &str,
    favourable: &[&str],
    unfavourable: &[&str],
) -> ChartFacts {
    ChartFacts {
        element_counts: counts,
        day_master: elements(&[day_master]).first().copied(),
        strength: StrengthLevel::parse(strength),
        favourable: elements(favourable),
        unfavourable: elements(unfavourable),
    }
}

/// An ordinary chart (木 2, 火 1, 土 1, 金 2, 水 2) that meets none of the
/// corpus's pairing rules: a 中和 金 day master, 木 and 火 favourable.
pub fn plain_chart() -> ChartFacts {
    chart([2, 1, 1, 2, 2], "金", "中和", &["木", "火"], &["土"])
}

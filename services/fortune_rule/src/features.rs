//! The request's `HandFeatures` / `FaceFeatures` as the rules read them:
//! every map entry becomes a feature named `field.key`, checked (no NaN, a
//! known shape) with the field named in the refusal.

use std::collections::HashMap;

use fortune_rule_api::{FaceFeatures, HandFeatures};
use fortune_rules::{feature_path, FeatureFacts, Subject};
use tonic::Status;

/// A numeric map's entries as features `field.key`.
fn numbers<'a>(
    field: &'a str,
    map: &'a HashMap<String, f32>,
) -> impl Iterator<Item = (String, f64)> + 'a {
    map.iter()
        .map(move |(k, v)| (feature_path(field, k), f64::from(*v)))
}

/// A word map's entries as features `field.key`.
fn words<'a>(
    field: &'a str,
    map: &'a HashMap<String, String>,
) -> impl Iterator<Item = (String, String)> + 'a {
    map.iter()
        .map(move |(k, v)| (feature_path(field, k), v.clone()))
}

/// A scalar that proto3 sends as 0 when the caller did not set it: a palm
/// ratio or a confidence is then "not measured", not zero. NaN and the
/// infinities are kept, to be refused.
fn measured(name: &str, value: f32) -> Option<(String, f64)> {
    (value != 0.0).then(|| (name.to_owned(), f64::from(value)))
}

fn refused(field: &str, error: fortune_rules::FeatureError) -> Status {
    hifate_sdk::invalid_argument(format!("{field}.{error}"))
}

/// The hand's features; `INVALID_ARGUMENT` naming the field for a missing
/// message, a number that is not finite, or an unknown shape.
pub fn hand(features: Option<&HandFeatures>) -> Result<FeatureFacts, Status> {
    let h = features.ok_or_else(|| hifate_sdk::invalid_argument("hand_features: is missing"))?;
    let numbers = measured("hand_shape_ratio", h.hand_shape_ratio)
        .into_iter()
        .chain(measured("hand_shape_confidence", h.hand_shape_confidence))
        .chain(numbers("finger_ratios", &h.finger_ratios))
        .chain(numbers("measurements", &h.measurements))
        .chain(numbers("finger_thickness", &h.finger_thickness));
    let mut words: Vec<(String, String)> = words("finger_lengths", &h.finger_lengths)
        .chain(words("palm_lines", &h.palm_lines))
        .chain(words("palm_texture", &h.palm_texture))
        .collect();
    if !h.hand_orientation.is_empty() {
        words.push(("hand_orientation".to_owned(), h.hand_orientation.clone()));
    }
    FeatureFacts::new(
        Subject::Hand,
        &h.hand_shape,
        numbers,
        words,
        h.special_marks.iter().cloned(),
    )
    .map_err(|e| refused("hand_features", e))
}

/// The face's features (its shape is `facial_attributes["face_shape"]`);
/// refused as [`hand`] refuses.
pub fn face(features: Option<&FaceFeatures>) -> Result<FeatureFacts, Status> {
    let f = features.ok_or_else(|| hifate_sdk::invalid_argument("face_features: is missing"))?;
    let shape = f
        .facial_attributes
        .get("face_shape")
        .map(String::as_str)
        .unwrap_or("");
    FeatureFacts::new(
        Subject::Face,
        shape,
        numbers("san_ting_ratio", &f.san_ting_ratio)
            .chain(numbers("feature_measurements", &f.feature_measurements)),
        words("facial_attributes", &f.facial_attributes),
        f.special_features.iter().cloned(),
    )
    .map_err(|e| refused("face_features", e))
}

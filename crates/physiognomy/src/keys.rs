//! Every key of the maps this crate fills, and every word it writes, in one
//! place. The `fortune.rule` proto's `HandFeatures` and `FaceFeatures` carry
//! them; a rule names a feature by the proto field and the key
//! (`finger_ratios.index_ring`).
//!
//! Lengths are in palm lengths (hand: wrist → middle MCP) or face widths /
//! face heights (face), angles in degrees, so every number is independent of
//! the photo's resolution, of where the hand or face is and of how it is
//! turned in the image plane.
//!
//! # `HandFeatures`
//!
//! | field | key | value |
//! |-------|-----|-------|
//! | `hand_shape` | — | one of [`HAND_SHAPES`]: 木 火 土 金 水 |
//! | `hand_shape_ratio` | — | palm length / palm width (the palm ratio the shape is read from first) |
//! | `hand_shape_confidence` | — | 0..=1: how far the two ratios are from the nearest threshold that would change the shape |
//! | `hand_orientation` | — | one of [`HAND_ORIENTATIONS`] |
//! | `finger_lengths` | [`FINGERS`] | one of [`FINGER_LENGTH_WORDS`]: the finger against the typical length of that finger |
//! | `finger_ratios` | `index_ring` | index / ring length (the 2D:4D ratio) |
//! | | `index_middle` | index / middle |
//! | | `ring_middle` | ring / middle |
//! | | `pinky_ring` | pinky / ring |
//! | | `thumb_index` | thumb / index |
//! | | `middle_palm` | middle / palm length (the finger ratio the shape is read from second) |
//! | `measurements` | `palm_ratio` | palm length / palm width (= `hand_shape_ratio`) |
//! | | `palm_width` | palm width in palm lengths (index MCP → pinky MCP) |
//! | | `thumb_length` … `pinky_length` | each finger, MCP → tip along its joints, in palm lengths |
//! | | `thumb_angle` | degrees between the thumb (CMC → tip) and the index finger (MCP → tip) |
//! | | `gap_index_middle`, `gap_middle_ring`, `gap_ring_pinky` | degrees between adjacent fingers (MCP → tip) |
//! | `palm_lines`, `palm_texture`, `finger_thickness`, `special_marks` | — | left empty: lines, skin and thickness are in the pixels, not in 21 joint positions |
//!
//! # `FaceFeatures`
//!
//! | field | key | value |
//! |-------|-----|-------|
//! | `san_ting_ratio` | [`SAN_TING_KEYS`] | the three courts as proportions of the face height, summing to 1 |
//! | `facial_attributes` | keys of [`FACIAL_ATTRIBUTES`] | one of the words listed with the key |
//! | `feature_measurements` | `face_ratio` | face width / face height |
//! | | `jaw_ratio` | jaw width / face width |
//! | | `face_shape_confidence` | 0..=1, as for the hand shape |
//! | | `san_ting_balance` | 1 when the courts are 1:1:1, 0 when one court is the whole face |
//! | | `eye_spacing` | distance between the inner eye corners / mean eye width |
//! | | `eye_size` | mean eye width / face width |
//! | | `nose_width` | nose width (alae) / face width |
//! | | `mouth_width` | mouth width (corners) / face width |
//! | | `eyebrow_height` | brow line → eye line / face height |
//! | `special_features` | — | left empty: moles, scars and lines are in the pixels, not in the mesh |
//!
//! Each number's method is documented on its field of
//! [`HandFeatures`](crate::HandFeatures) and [`FaceFeatures`](crate::FaceFeatures).

/// `hand_shape`: the five-element hand types (see [`HandShape`](crate::HandShape)).
pub const HAND_SHAPES: [&str; 5] = ["木", "火", "土", "金", "水"];

/// `hand_orientation`: which hand, and whether the palm (`palm_up`) or the
/// back of the hand (`palm_down`) faces the camera.
pub const HAND_ORIENTATIONS: [&str; 4] = [
    "left_palm_up",
    "left_palm_down",
    "right_palm_up",
    "right_palm_down",
];

/// Keys of `finger_lengths`, and the stems of the `*_length` measurements.
pub const FINGERS: [&str; 5] = ["thumb", "index", "middle", "ring", "pinky"];

/// Values of `finger_lengths`.
pub const FINGER_LENGTH_WORDS: [&str; 3] = ["long", "medium", "short"];

/// Keys of `finger_ratios`.
pub const FINGER_RATIO_KEYS: [&str; 6] = [
    "index_ring",
    "index_middle",
    "ring_middle",
    "pinky_ring",
    "thumb_index",
    "middle_palm",
];

/// Keys of the hand's `measurements`.
pub const HAND_MEASUREMENT_KEYS: [&str; 11] = [
    "palm_ratio",
    "palm_width",
    "thumb_length",
    "index_length",
    "middle_length",
    "ring_length",
    "pinky_length",
    "thumb_angle",
    "gap_index_middle",
    "gap_middle_ring",
    "gap_ring_pinky",
];

/// Keys of `san_ting_ratio`: 上停, 中停, 下停.
pub const SAN_TING_KEYS: [&str; 3] = ["upper", "middle", "lower"];

/// The face shapes (see [`FaceShape`](crate::FaceShape)).
pub const FACE_SHAPES: [&str; 5] = ["圆", "方", "长", "瓜子", "鹅蛋"];

/// Keys of `facial_attributes`, each with the words it takes.
///
/// * `face_shape`: [`FACE_SHAPES`].
/// * `san_ting`: `balanced` when every court is within
///   [`BALANCED_COURT_DEVIATION`](crate::face::BALANCED_COURT_DEVIATION) of
///   a third, else the longest court.
/// * `eye_spacing`, `eye_size`, `nose_width`, `mouth_width`,
///   `eyebrow_height`: the measurement of the same name read by two
///   thresholds (documented in [`crate::face`]).
pub const FACIAL_ATTRIBUTES: [(&str, &[&str]); 7] = [
    ("face_shape", &FACE_SHAPES),
    ("san_ting", &["balanced", "upper", "middle", "lower"]),
    ("eye_spacing", &["close", "normal", "wide"]),
    ("eye_size", &["small", "medium", "large"]),
    ("nose_width", &["narrow", "medium", "wide"]),
    ("mouth_width", &["narrow", "medium", "wide"]),
    ("eyebrow_height", &["low", "medium", "high"]),
];

/// Keys of the face's `feature_measurements`.
pub const FACE_MEASUREMENT_KEYS: [&str; 9] = [
    "face_ratio",
    "jaw_ratio",
    "face_shape_confidence",
    "san_ting_balance",
    "eye_spacing",
    "eye_size",
    "nose_width",
    "mouth_width",
    "eyebrow_height",
];

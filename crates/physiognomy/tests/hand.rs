//! Hand features on synthetic landmark sets with known proportions: each
//! measurement, each word and each hand shape, orientation, invariance under
//! scaling, translation and rotation, and refused input.

use physiognomy::hand::{LONG_FINGERS_MIN, LONG_PALM_MIN, ROUND_PALM_MAX};
use physiognomy::keys::{FINGERS, FINGER_RATIO_KEYS, HAND_MEASUREMENT_KEYS, HAND_ORIENTATIONS};
use physiognomy::{
    hand_features, Facing, FeatureError, FingerLength, HandFeatures, HandShape, Handedness,
};

/// A flat, straight-fingered hand: palm length 1 (wrist at the origin,
/// middle MCP at (0, −1); image `y` grows downwards, so the fingers point
/// up), the MCPs on the line y = −1 with the index at −width/2 and the pinky
/// at +width/2 (a right hand seen from the palm side), each finger a
/// straight line of the given length (palm lengths) at the given angle from
/// straight up (degrees, positive towards the pinky side), the thumb
/// (CMC, MCP and tip in one line) at `thumb_degrees` towards the other side.
#[derive(Clone, Copy, Debug)]
struct Spec {
    width: f64,
    lengths: [f64; 5],
    angles: [f64; 4],
    thumb_degrees: f64,
}

impl Spec {
    fn typical() -> Spec {
        Spec {
            width: 1.0 / 1.38,
            lengths: [0.75, 1.03, 1.15, 1.08, 0.85],
            angles: [-8.0, 0.0, 6.0, 14.0],
            thumb_degrees: 50.0,
        }
    }

    fn landmarks(&self) -> [[f32; 3]; 21] {
        let mut out = [[0.0f32; 3]; 21];
        let mut put = |i: usize, x: f64, y: f64| out[i] = [x as f32, y as f32, 0.25 * i as f32];
        put(0, 0.0, 0.0);
        let w = self.width;
        let mcp_x = [-w / 2.0, 0.0, w / 4.0, w / 2.0];
        for (f, x) in mcp_x.into_iter().enumerate() {
            let (s, c) = self.angles[f].to_radians().sin_cos();
            let base = 5 + 4 * f;
            let length = self.lengths[f + 1];
            put(base, x, -1.0);
            for (j, along) in [0.45, 0.75, 1.0].into_iter().enumerate() {
                put(
                    base + 1 + j,
                    x + s * length * along,
                    -1.0 - c * length * along,
                );
            }
        }
        let (s, c) = (-self.thumb_degrees).to_radians().sin_cos();
        let thumb_mcp = (-w / 2.0 - 0.1, -0.45);
        put(1, thumb_mcp.0 - s * 0.3, thumb_mcp.1 + c * 0.3);
        put(2, thumb_mcp.0, thumb_mcp.1);
        put(
            3,
            thumb_mcp.0 + s * self.lengths[0] * 0.55,
            thumb_mcp.1 - c * self.lengths[0] * 0.55,
        );
        put(
            4,
            thumb_mcp.0 + s * self.lengths[0],
            thumb_mcp.1 - c * self.lengths[0],
        );
        out
    }

    fn with_ratios(palm_ratio: f64, middle_palm: f64) -> Spec {
        let mut spec = Spec::typical();
        spec.width = 1.0 / palm_ratio;
        spec.lengths[2] = middle_palm;
        spec
    }
}

fn measure(spec: &Spec) -> HandFeatures {
    hand_features(&spec.landmarks(), Handedness::Right).expect("a measurable hand")
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

/// Moves every landmark: scale by `k`, rotate by `degrees`, then translate.
fn transform(landmarks: &[[f32; 3]; 21], k: f64, degrees: f64, dx: f64, dy: f64) -> [[f32; 3]; 21] {
    let (s, c) = degrees.to_radians().sin_cos();
    landmarks.map(|[x, y, z]| {
        let (x, y) = (f64::from(x) * k, f64::from(y) * k);
        [
            (c * x - s * y + dx) as f32,
            (s * x + c * y + dy) as f32,
            z * 3.0,
        ]
    })
}

/// Every number of the proto's maps and scalars.
fn numbers(h: &HandFeatures) -> Vec<(String, f32)> {
    let mut all: Vec<(String, f32)> = h
        .finger_ratios()
        .into_iter()
        .chain(h.measurements())
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    all.push(("hand_shape_ratio".to_owned(), h.hand_shape_ratio()));
    all.push((
        "hand_shape_confidence".to_owned(),
        h.hand_shape_confidence(),
    ));
    all
}

#[test]
fn fingers_of_known_length_measure_exactly() {
    let mut spec = Spec::typical();
    spec.lengths = [0.6, 1.0, 0.9, 0.8, 0.7];
    spec.width = 0.8;
    let h = measure(&spec);
    let lengths: Vec<f64> = h.fingers.iter().map(|f| f.length).collect();
    for (got, want) in lengths.iter().zip([0.6, 1.0, 0.9, 0.8, 0.7]) {
        assert!(close(*got, want, 1e-6), "{lengths:?}");
    }
    assert!(close(h.palm_ratio, 1.25, 1e-6), "{}", h.palm_ratio);
    assert!(close(h.palm_width, 0.8, 1e-6));
    let r = &h.ratios;
    assert!(
        close(r.index_ring, 1.0 / 0.8, 1e-6),
        "2D:4D {}",
        r.index_ring
    );
    assert!(close(r.index_middle, 1.0 / 0.9, 1e-6));
    assert!(close(r.ring_middle, 0.8 / 0.9, 1e-6));
    assert!(close(r.pinky_ring, 0.7 / 0.8, 1e-6));
    assert!(close(r.thumb_index, 0.6, 1e-6));
    assert!(close(r.middle_palm, 0.9, 1e-6));
    // Against the typical 0.75 1.03 1.15 1.08 0.85 with an 8 % band.
    let words: Vec<FingerLength> = h.fingers.iter().map(|f| f.word).collect();
    assert_eq!(
        words,
        [
            FingerLength::Short,
            FingerLength::Medium,
            FingerLength::Short,
            FingerLength::Short,
            FingerLength::Short
        ]
    );
}

#[test]
fn finger_words_follow_the_band_around_the_typical_length() {
    let typical = measure(&Spec::typical());
    assert!(typical
        .fingers
        .iter()
        .all(|f| f.word == FingerLength::Medium));
    let mut spec = Spec::typical();
    spec.lengths = [0.75 * 1.1, 1.03 * 0.9, 1.15 * 1.07, 1.08 * 0.93, 0.85 * 1.2];
    let words: Vec<&str> = measure(&spec)
        .finger_lengths()
        .into_iter()
        .map(|(_, w)| w)
        .collect();
    assert_eq!(words, ["long", "short", "medium", "medium", "long"]);
}

#[test]
fn angles_between_fingers_and_of_the_thumb() {
    let mut spec = Spec::typical();
    spec.angles = [-10.0, 0.0, 5.0, 25.0];
    spec.thumb_degrees = 60.0;
    let h = measure(&spec);
    assert!(close(h.gaps.index_middle, 10.0, 1e-4), "{:?}", h.gaps);
    assert!(close(h.gaps.middle_ring, 5.0, 1e-4), "{:?}", h.gaps);
    assert!(close(h.gaps.ring_pinky, 20.0, 1e-4), "{:?}", h.gaps);
    // Thumb at 60° to the thumb side, index at 10° to the same side.
    assert!(close(h.thumb_angle, 50.0, 1e-4), "{}", h.thumb_angle);
}

#[test]
fn each_hand_shape_from_its_two_ratios() {
    let cases = [
        (1.60, 1.30, HandShape::Wood, "木"),
        (1.60, 1.00, HandShape::Fire, "火"),
        (1.30, 1.00, HandShape::Earth, "土"),
        (1.30, 1.30, HandShape::Metal, "金"),
        (1.10, 1.30, HandShape::Water, "水"),
        (1.10, 0.90, HandShape::Water, "水"),
    ];
    for (palm_ratio, middle, shape, name) in cases {
        let h = measure(&Spec::with_ratios(palm_ratio, middle));
        assert_eq!(h.shape, shape, "palm {palm_ratio}, middle {middle}");
        assert_eq!(h.hand_shape(), name);
        assert!(close(f64::from(h.hand_shape_ratio()), palm_ratio, 1e-5));
        assert!(close(h.ratios.middle_palm, middle, 1e-6));
    }
}

#[test]
fn confidence_is_the_distance_from_the_nearest_threshold() {
    // Far from every threshold: certain.
    let far = measure(&Spec::with_ratios(1.80, 1.40));
    assert!(close(far.shape_confidence, 1.0, 1e-9));
    // 土 at palm 1.30: 8.3 % above the round threshold 1.20, the nearest.
    let earth = measure(&Spec::with_ratios(1.30, 1.00));
    assert_eq!(earth.shape, HandShape::Earth);
    let expected = ((1.30 - ROUND_PALM_MAX) / ROUND_PALM_MAX) / 0.10;
    assert!(
        close(earth.shape_confidence, expected, 1e-5),
        "{}",
        earth.shape_confidence
    );
    // Just past the long-palm threshold: barely 木.
    let edge = measure(&Spec::with_ratios(LONG_PALM_MIN * 1.01, 1.40));
    assert_eq!(edge.shape, HandShape::Wood);
    assert!(edge.shape_confidence < 0.15, "{}", edge.shape_confidence);
    // Just under the finger threshold: barely 火.
    let short = measure(&Spec::with_ratios(1.80, LONG_FINGERS_MIN * 0.995));
    assert_eq!(short.shape, HandShape::Fire);
    assert!(short.shape_confidence < 0.1, "{}", short.shape_confidence);
    // Water depends on the palm alone.
    let water = measure(&Spec::with_ratios(1.00, LONG_FINGERS_MIN));
    assert_eq!(water.shape, HandShape::Water);
    assert!(close(water.shape_confidence, 1.0, 1e-9));
}

#[test]
fn orientation_from_handedness_and_the_palms_turn() {
    let right_palm = Spec::typical().landmarks();
    let mirrored = right_palm.map(|[x, y, z]| [-x, y, z]);
    let of = |l: &[[f32; 3]; 21], hand| {
        hand_features(l, hand)
            .expect("measurable")
            .hand_orientation()
    };
    assert_eq!(of(&right_palm, Handedness::Right), "right_palm_up");
    assert_eq!(of(&right_palm, Handedness::Left), "left_palm_down");
    // A left hand seen from the palm is the mirror image of a right one.
    assert_eq!(of(&mirrored, Handedness::Left), "left_palm_up");
    assert_eq!(of(&mirrored, Handedness::Right), "right_palm_down");
    let h = hand_features(&mirrored, Handedness::Left).expect("measurable");
    assert_eq!(h.facing, Facing::PalmUp);
    assert!(HAND_ORIENTATIONS.contains(&h.hand_orientation().as_str()));
}

#[test]
fn scaling_translating_and_rotating_change_nothing() {
    let mut spec = Spec::with_ratios(1.5, 1.2);
    spec.angles = [-12.0, -2.0, 7.0, 19.0];
    let original = spec.landmarks();
    let base = hand_features(&original, Handedness::Right).expect("measurable");
    for (k, degrees, dx, dy) in [
        (640.0, 0.0, 0.0, 0.0),
        (300.0, 37.0, 512.0, 384.0),
        (0.2, -90.0, 0.4, 0.6),
        (1234.5, 180.0, 1920.0, 1080.0),
        (75.0, 271.0, 40.0, 900.0),
    ] {
        let moved = transform(&original, k, degrees, dx, dy);
        let h = hand_features(&moved, Handedness::Right).expect("measurable");
        assert_eq!(h.shape, base.shape, "scale {k}, rotation {degrees}");
        assert_eq!(h.facing, base.facing, "scale {k}, rotation {degrees}");
        assert_eq!(h.finger_lengths(), base.finger_lengths());
        for ((key, a), (_, b)) in numbers(&h).into_iter().zip(numbers(&base)) {
            let tolerance = if key.starts_with("gap") || key == "thumb_angle" {
                1e-2
            } else {
                1e-4
            };
            assert!(
                (a - b).abs() <= tolerance,
                "{key}: {a} vs {b} (scale {k}, rotation {degrees})"
            );
        }
    }
}

#[test]
fn maps_have_every_documented_key_and_finite_values() {
    let h = measure(&Spec::typical());
    let keys =
        |pairs: Vec<(&'static str, f32)>| pairs.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert_eq!(keys(h.finger_ratios()), FINGER_RATIO_KEYS);
    assert_eq!(keys(h.measurements()), HAND_MEASUREMENT_KEYS);
    let fingers: Vec<&str> = h.finger_lengths().into_iter().map(|(k, _)| k).collect();
    assert_eq!(fingers, FINGERS);
    assert!(numbers(&h).iter().all(|(_, v)| v.is_finite()));
    let json = serde_json::to_value(&h).expect("serialises");
    assert_eq!(json["shape"], "金");
    assert_eq!(json["handedness"], "right");
    assert_eq!(json["facing"], "palm_up");
    assert_eq!(json["fingers"][0]["word"], "medium");
}

#[test]
fn broken_landmark_sets_are_refused_with_a_reason() {
    // All zero.
    assert!(matches!(
        hand_features(&[[0.0; 3]; 21], Handedness::Left),
        Err(FeatureError::Degenerate { .. })
    ));
    // NaN or infinity anywhere.
    let mut nan = Spec::typical().landmarks();
    nan[7][1] = f32::NAN;
    assert_eq!(
        hand_features(&nan, Handedness::Right).unwrap_err(),
        FeatureError::NotFinite {
            index: 7,
            axis: "y"
        }
    );
    let mut infinite = Spec::typical().landmarks();
    infinite[0][2] = f32::INFINITY;
    assert!(matches!(
        hand_features(&infinite, Handedness::Right),
        Err(FeatureError::NotFinite {
            index: 0,
            axis: "z"
        })
    ));
    // No palm: the middle MCP on the wrist.
    let mut no_palm = Spec::typical().landmarks();
    no_palm[9] = no_palm[0];
    let err = hand_features(&no_palm, Handedness::Right).unwrap_err();
    assert!(err.to_string().contains("palm"), "{err}");
    // No width: the pinky MCP on the index MCP.
    let mut no_width = Spec::typical().landmarks();
    no_width[17] = no_width[5];
    let err = hand_features(&no_width, Handedness::Right).unwrap_err();
    assert!(err.to_string().contains("width"), "{err}");
    // A finger folded into one point.
    let mut folded = Spec::typical().landmarks();
    for i in 14..=16 {
        folded[i] = folded[13];
    }
    let err = hand_features(&folded, Handedness::Right).unwrap_err();
    assert!(err.to_string().contains("ring"), "{err}");
    // Wrist and both outer knuckles in one line: no side of the palm.
    let mut edge_on = Spec::typical().landmarks();
    edge_on[5] = [-1.0, 0.0, 0.0];
    edge_on[17] = [1.0, 0.0, 0.0];
    assert!(matches!(
        hand_features(&edge_on, Handedness::Right),
        Err(FeatureError::Degenerate { .. })
    ));
}

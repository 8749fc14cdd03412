//! Face features on synthetic Face Mesh sets with known proportions: the
//! courts, each ratio and word, each face shape, invariance under scaling,
//! translation and rotation, and refused input.

use physiognomy::face::{
    CHIN, FACE_LEFT, FACE_RIGHT, FOREHEAD_TOP, HAIRLINE_SCALE, JAW_LEFT, JAW_RIGHT, LEFT_BROW,
    LEFT_EYE_INNER, LEFT_EYE_OUTER, MOUTH_LEFT, MOUTH_RIGHT, NOSE_BASE, NOSE_LEFT, NOSE_RIGHT,
    RIGHT_BROW, RIGHT_EYE_INNER, RIGHT_EYE_OUTER, SQUARE_JAW_MIN,
};
use physiognomy::keys::{FACE_MEASUREMENT_KEYS, FACIAL_ATTRIBUTES, SAN_TING_KEYS};
use physiognomy::{face_features, FaceFeatures, FaceShape, FeatureError};

/// A frontal face by its proportions (the typical ones of the module
/// documentation by default): courts as heights, face ratio (width / height), jaw ratio, eye
/// width and nose and mouth widths as fractions of the face width, eye
/// spacing in eye widths, brow → eye line as a fraction of the height.
#[derive(Clone, Copy, Debug)]
struct Spec {
    courts: [f64; 3],
    face_ratio: f64,
    jaw_ratio: f64,
    eye_size: f64,
    eye_spacing: f64,
    nose_width: f64,
    mouth_width: f64,
    eyebrow_height: f64,
}

impl Spec {
    fn typical() -> Spec {
        Spec {
            courts: [1.0, 1.0, 1.0],
            face_ratio: 0.72,
            jaw_ratio: 0.80,
            eye_size: 0.20,
            eye_spacing: 1.15,
            nose_width: 0.235,
            mouth_width: 0.36,
            eyebrow_height: 0.118,
        }
    }

    /// 468 points in image pixels (y down), chin at (0, 0); the points the
    /// features do not read sit on the nose base.
    fn landmarks(&self) -> Vec<[f32; 3]> {
        let [upper, middle, lower] = self.courts;
        let height = upper + middle + lower;
        let width = self.face_ratio * height;
        let brow_y = lower + middle;
        let eye_y = brow_y - self.eyebrow_height * height;
        let eye = self.eye_size * width;
        let inner = self.eye_spacing * eye / 2.0;
        let mut points = vec![[0.0f32, -(lower as f32), 1.0]; 468];
        let mut put = |i: usize, x: f64, up: f64| points[i] = [x as f32, -up as f32, 0.5];
        put(CHIN, 0.0, 0.0);
        put(NOSE_BASE, 0.0, lower);
        put(FOREHEAD_TOP, 0.0, brow_y + upper / HAIRLINE_SCALE);
        put(FACE_RIGHT, -width / 2.0, eye_y - 0.2);
        put(FACE_LEFT, width / 2.0, eye_y - 0.2);
        put(JAW_RIGHT, -self.jaw_ratio * width / 2.0, lower / 3.0);
        put(JAW_LEFT, self.jaw_ratio * width / 2.0, lower / 3.0);
        put(RIGHT_EYE_INNER, -inner, eye_y);
        put(RIGHT_EYE_OUTER, -inner - eye, eye_y);
        put(LEFT_EYE_INNER, inner, eye_y);
        put(LEFT_EYE_OUTER, inner + eye, eye_y);
        put(RIGHT_BROW, -inner - eye / 2.0, brow_y);
        put(LEFT_BROW, inner + eye / 2.0, brow_y);
        put(NOSE_RIGHT, -self.nose_width * width / 2.0, lower * 1.1);
        put(NOSE_LEFT, self.nose_width * width / 2.0, lower * 1.1);
        put(MOUTH_RIGHT, -self.mouth_width * width / 2.0, lower * 0.6);
        put(MOUTH_LEFT, self.mouth_width * width / 2.0, lower * 0.6);
        points
    }

    fn with(mut self, change: impl FnOnce(&mut Spec)) -> Spec {
        change(&mut self);
        self
    }
}

fn measure(spec: &Spec) -> FaceFeatures {
    face_features(&spec.landmarks()).expect("a measurable face")
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

fn attribute(f: &FaceFeatures, key: &str) -> &'static str {
    f.facial_attributes()
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, w)| w)
        .unwrap_or_else(|| panic!("no attribute {key}"))
}

#[test]
fn courts_of_one_to_one_to_one_are_balanced() {
    let f = measure(&Spec::typical());
    let s = &f.san_ting;
    for court in [s.upper, s.middle, s.lower] {
        assert!(close(court, 1.0 / 3.0, 1e-6), "{s:?}");
    }
    assert!(close(s.upper + s.middle + s.lower, 1.0, 1e-12));
    assert!(close(s.balance, 1.0, 1e-6));
    assert_eq!(s.word, "balanced");
    let map = f.san_ting_ratio();
    assert_eq!(
        map.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        SAN_TING_KEYS
    );
}

#[test]
fn a_long_court_is_named_and_lowers_the_balance() {
    for (courts, word, longest) in [
        ([2.0, 1.0, 1.0], "upper", 0.5),
        ([1.0, 2.0, 1.0], "middle", 0.5),
        ([1.0, 1.0, 2.0], "lower", 0.5),
    ] {
        let f = measure(&Spec::typical().with(|s| s.courts = courts));
        let s = &f.san_ting;
        assert_eq!(s.word, word, "{courts:?}");
        let got = [s.upper, s.middle, s.lower];
        let i = ["upper", "middle", "lower"]
            .iter()
            .position(|w| *w == word)
            .unwrap_or(0);
        assert!(close(got[i], longest, 1e-6), "{got:?}");
        // max deviation 1/2 − 1/3 = 1/6: balance 1 − (1/6)/(2/3) = 0.75.
        assert!(close(s.balance, 0.75, 1e-6), "{}", s.balance);
        assert_eq!(attribute(&f, "san_ting"), word);
    }
    // Within 0.03 of a third each: still balanced.
    let nearly = measure(&Spec::typical().with(|s| s.courts = [1.08, 1.0, 0.95]));
    assert_eq!(nearly.san_ting.word, "balanced");
    assert!(nearly.san_ting.balance < 1.0);
}

#[test]
fn the_typical_face_is_an_average_oval() {
    let f = measure(&Spec::typical());
    assert_eq!(f.shape, FaceShape::Oval);
    assert!(close(f.face_ratio, 0.72, 1e-5));
    assert!(close(f.jaw_ratio, 0.80, 1e-5));
    assert!(close(f.eye_spacing.value, 1.15, 1e-5));
    assert!(close(f.eye_size.value, 0.20, 1e-5));
    assert!(close(f.nose_width.value, 0.235, 1e-5));
    assert!(close(f.mouth_width.value, 0.36, 1e-5));
    assert!(close(f.eyebrow_height.value, 0.118, 1e-5));
    // 9 % under the square-jaw threshold, the nearest.
    assert!(f.shape_confidence > 0.85, "{}", f.shape_confidence);
    let words: Vec<(&str, &str)> = f.facial_attributes();
    assert_eq!(
        words,
        [
            ("face_shape", "鹅蛋"),
            ("san_ting", "balanced"),
            ("eye_spacing", "normal"),
            ("eye_size", "medium"),
            ("nose_width", "medium"),
            ("mouth_width", "medium"),
            ("eyebrow_height", "medium"),
        ]
    );
}

#[test]
fn each_face_shape_from_its_two_ratios() {
    let cases = [
        (0.55, 0.775, FaceShape::Long, "长"),
        (0.55, 0.95, FaceShape::Long, "长"),
        (0.70, 0.92, FaceShape::Square, "方"),
        (0.85, 0.90, FaceShape::Square, "方"),
        (0.85, 0.78, FaceShape::Round, "圆"),
        (0.70, 0.62, FaceShape::Pointed, "瓜子"),
        (0.70, 0.775, FaceShape::Oval, "鹅蛋"),
    ];
    for (ratio, jaw, shape, name) in cases {
        let f = measure(&Spec::typical().with(|s| {
            s.face_ratio = ratio;
            s.jaw_ratio = jaw;
        }));
        assert_eq!(f.shape, shape, "ratio {ratio}, jaw {jaw}");
        assert_eq!(attribute(&f, "face_shape"), name);
        assert!((0.0..=1.0).contains(&f.shape_confidence));
    }
    // On a threshold the shape is uncertain, far from all of them certain.
    let edge = measure(&Spec::typical().with(|s| s.jaw_ratio = SQUARE_JAW_MIN + 0.001));
    assert_eq!(edge.shape, FaceShape::Square);
    assert!(edge.shape_confidence < 0.05, "{}", edge.shape_confidence);
    let clear = measure(&Spec::typical().with(|s| s.face_ratio = 0.45));
    assert!(close(clear.shape_confidence, 1.0, 1e-9));
}

#[test]
fn each_measurement_reads_as_its_words() {
    type Change = fn(&mut Spec);
    let cases: [(Change, &str, &str); 10] = [
        (|s| s.eye_spacing = 1.8, "eye_spacing", "wide"),
        (|s| s.eye_spacing = 0.9, "eye_spacing", "close"),
        (|s| s.eye_size = 0.25, "eye_size", "large"),
        (|s| s.eye_size = 0.16, "eye_size", "small"),
        (|s| s.nose_width = 0.3, "nose_width", "wide"),
        (|s| s.nose_width = 0.18, "nose_width", "narrow"),
        (|s| s.mouth_width = 0.45, "mouth_width", "wide"),
        (|s| s.mouth_width = 0.28, "mouth_width", "narrow"),
        (|s| s.eyebrow_height = 0.15, "eyebrow_height", "high"),
        (|s| s.eyebrow_height = 0.08, "eyebrow_height", "low"),
    ];
    for (change, key, word) in cases {
        let spec = Spec::typical().with(change);
        let f = measure(&spec);
        assert_eq!(attribute(&f, key), word, "{spec:?}");
        let value = f
            .feature_measurements()
            .into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| f64::from(v))
            .unwrap_or(f64::NAN);
        let expected = match key {
            "eye_spacing" => spec.eye_spacing,
            "eye_size" => spec.eye_size,
            "nose_width" => spec.nose_width,
            "mouth_width" => spec.mouth_width,
            _ => spec.eyebrow_height,
        };
        assert!(close(value, expected, 1e-5), "{key}: {value} vs {expected}");
    }
}

#[test]
fn scaling_translating_and_rotating_change_nothing() {
    let spec = Spec::typical().with(|s| {
        s.courts = [1.2, 0.9, 1.1];
        s.face_ratio = 0.66;
        s.jaw_ratio = 0.68;
        s.eye_spacing = 1.3;
    });
    let original = spec.landmarks();
    let base = face_features(&original).expect("measurable");
    for (k, degrees, dx, dy) in [
        (200.0, 0.0, 320.0, 480.0),
        (57.5, 23.0, 100.0, 100.0),
        (0.05, -64.0, 0.5, 0.5),
        (410.0, 180.0, 900.0, 60.0),
    ] {
        let (s, c) = f64::to_radians(degrees).sin_cos();
        let moved: Vec<[f32; 3]> = original
            .iter()
            .map(|[x, y, z]| {
                let (x, y) = (f64::from(*x) * k, f64::from(*y) * k);
                [(c * x - s * y + dx) as f32, (s * x + c * y + dy) as f32, *z]
            })
            .collect();
        let f = face_features(&moved).expect("measurable");
        assert_eq!(f.facial_attributes(), base.facial_attributes());
        let numbers = |f: &FaceFeatures| {
            f.feature_measurements()
                .into_iter()
                .chain(f.san_ting_ratio())
                .collect::<Vec<_>>()
        };
        for ((key, a), (_, b)) in numbers(&f).into_iter().zip(numbers(&base)) {
            assert!(
                (a - b).abs() <= 1e-4,
                "{key}: {a} vs {b} (scale {k}, rotation {degrees})"
            );
        }
    }
}

#[test]
fn maps_have_every_documented_key_and_finite_values() {
    let f = measure(&Spec::typical());
    let keys: Vec<&str> = f
        .feature_measurements()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, FACE_MEASUREMENT_KEYS);
    for (key, word) in f.facial_attributes() {
        let (_, words) = FACIAL_ATTRIBUTES
            .iter()
            .find(|(k, _)| *k == key)
            .unwrap_or_else(|| panic!("{key} is documented"));
        assert!(words.contains(&word), "{key}: {word}");
    }
    assert!(f
        .feature_measurements()
        .into_iter()
        .chain(f.san_ting_ratio())
        .all(|(_, v)| v.is_finite()));
    assert!(f.special_features().is_empty());
    let json = serde_json::to_value(&f).expect("serialises");
    assert_eq!(json["shape"], "鹅蛋");
    assert_eq!(json["san_ting"]["word"], "balanced");
}

#[test]
fn broken_landmark_sets_are_refused_with_a_reason() {
    for n in [0, 21, 467, 469, 478] {
        assert_eq!(
            face_features(&vec![[1.0, 2.0, 0.0]; n]).unwrap_err(),
            FeatureError::WrongCount {
                expected: 468,
                found: n
            }
        );
    }
    assert!(matches!(
        face_features(&[[0.0; 3]; 468]),
        Err(FeatureError::Degenerate { .. })
    ));
    let mut nan = Spec::typical().landmarks();
    nan[NOSE_BASE][0] = f32::NAN;
    assert_eq!(
        face_features(&nan).unwrap_err(),
        FeatureError::NotFinite {
            index: NOSE_BASE,
            axis: "x"
        }
    );
    // No width.
    let mut narrow = Spec::typical().landmarks();
    narrow[FACE_LEFT] = narrow[FACE_RIGHT];
    let err = face_features(&narrow).unwrap_err();
    assert!(err.to_string().contains("width"), "{err}");
    // No eyes.
    let mut blind = Spec::typical().landmarks();
    blind[RIGHT_EYE_OUTER] = blind[RIGHT_EYE_INNER];
    blind[LEFT_EYE_OUTER] = blind[LEFT_EYE_INNER];
    let err = face_features(&blind).unwrap_err();
    assert!(err.to_string().contains("eyes"), "{err}");
    // The nose base above the brows.
    let mut scrambled = Spec::typical().landmarks();
    scrambled[NOSE_BASE] = [0.0, -2.5, 0.0];
    assert!(matches!(
        face_features(&scrambled),
        Err(FeatureError::Implausible { .. })
    ));
    // The chin on the forehead top: no axis.
    let mut flat = Spec::typical().landmarks();
    flat[CHIN] = flat[FOREHEAD_TOP];
    assert!(face_features(&flat).is_err());
}

/// The landmarks mediapipe finds on the astronaut test photo (see
/// `tests/data/NOTICE`).
fn astronaut() -> Vec<[f32; 3]> {
    let text = include_str!("data/astronaut_face_mesh.json");
    let json: serde_json::Value = serde_json::from_str(text).expect("the fixture is JSON");
    json["landmarks"]
        .as_array()
        .expect("landmarks")
        .iter()
        .map(|p| {
            let c = |i: usize| p[i].as_f64().expect("a coordinate") as f32;
            [c(0), c(1), c(2)]
        })
        .collect()
}

#[test]
fn a_real_face_mesh_measures_within_the_typical_bands() {
    let landmarks = astronaut();
    assert_eq!(landmarks.len(), 468);
    let f = face_features(&landmarks).expect("a real face measures");
    assert_eq!(f.shape, FaceShape::Oval);
    assert!(close(f.face_ratio, 0.74, 0.01), "{}", f.face_ratio);
    assert!(close(f.jaw_ratio, 0.82, 0.01), "{}", f.jaw_ratio);
    assert!(
        close(f.eye_spacing.value, 1.22, 0.01),
        "{}",
        f.eye_spacing.value
    );
    assert!(close(f.eye_size.value, 0.21, 0.01), "{}", f.eye_size.value);
    let s = &f.san_ting;
    assert!(close(s.upper + s.middle + s.lower, 1.0, 1e-9));
    assert!(s.upper > 0.25 && s.middle > 0.25 && s.lower > 0.25, "{s:?}");
    // She smiles: a wide mouth, and the nose widens with it.
    assert_eq!(
        f.facial_attributes(),
        [
            ("face_shape", "鹅蛋"),
            ("san_ting", "middle"),
            ("eye_spacing", "normal"),
            ("eye_size", "medium"),
            ("nose_width", "wide"),
            ("mouth_width", "wide"),
            ("eyebrow_height", "medium"),
        ]
    );
}

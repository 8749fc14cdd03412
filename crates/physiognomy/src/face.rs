//! Face features from the 468 landmarks of mediapipe Face Mesh.
//!
//! # Landmarks
//!
//! The indices are Face Mesh's; each is cited from the named regions of the
//! mesh in `MESH_ANNOTATIONS` (tensorflow/tfjs-models,
//! `facemesh/src/keypoints.ts`, Google's annotation of the same 468-point
//! topology). "Right" and "left" are the person's own.
//!
//! | landmark | region, position | used as |
//! |---------:|------------------|---------|
//! | 10 | `silhouette[0]` | top of the face oval on the midline (upper forehead) |
//! | 152 | `silhouette[18]` | chin, bottom of the oval on the midline |
//! | 234 | `silhouette[28]` | right side of the face, its widest point |
//! | 454 | `silhouette[8]` | left side of the face, its widest point |
//! | 172 | `silhouette[24]` | right lower jaw |
//! | 397 | `silhouette[12]` | left lower jaw |
//! | 33 | `rightEyeLower0[0]` | right eye, outer corner |
//! | 133 | `rightEyeLower0[8]` | right eye, inner corner |
//! | 362 | `leftEyeLower0[8]` | left eye, inner corner |
//! | 263 | `leftEyeLower0[0]` | left eye, outer corner |
//! | 105 | `rightEyebrowUpper[3]` | right brow, top of its arch |
//! | 334 | `leftEyebrowUpper[3]` | left brow, top of its arch |
//! | 2 | `noseBottom[0]` | nose base (subnasale) |
//! | 98 | `noseRightCorner[0]` | right wing of the nose |
//! | 327 | `noseLeftCorner[0]` | left wing of the nose |
//! | 61 | `lipsUpperOuter[0]` | right mouth corner |
//! | 291 | `lipsUpperOuter[10]` | left mouth corner |
//!
//! # Method
//!
//! The face's vertical axis runs from the chin (152) to the top of the oval
//! (10); heights are positions along it, so a tilted head in the image plane
//! measures as an upright one. Widths are distances between two landmarks.
//!
//! **The upper court has no top landmark.** Face Mesh stops at landmark 10
//! on the upper forehead; the hairline (发际), where the classical 上停
//! starts, is not in the mesh (and hair would hide it anyway). The upper
//! court is therefore estimated: brow line → landmark 10, stretched by
//! [`HAIRLINE_SCALE`]. The scale is read from Face Mesh's canonical face
//! model (mediapipe `face_geometry/data/canonical_face_model.obj`, the
//! reference head of the mesh's topology): there brow → 10 is 3.15 units,
//! the middle court 7.20 and the lower 7.31, and 2.3 × 3.15 = 7.25 gives it
//! the three equal courts of the classical proportion (三停均等) — where the
//! mesh's forehead ends relative to a hairline, the model is the one
//! source. The estimate follows the forehead the mesh sees: a person with
//! a high or receding hairline measures like anyone with the same forehead
//! curve. The face height used by every ratio below is this estimated
//! hairline → chin.
//!
//! # Typical proportions
//!
//! Every word and class is read against a typical value with a band of
//! about ±10 % around it (each constant says which). The references are
//! the classical canons of facial proportion — the face five eyes wide
//! (五眼: an eye is a fifth of the face width, and the space between the
//! eyes one eye), the nose as wide as that space, the mouth one and a half
//! noses — checked against real Face Mesh output: the landmarks mediapipe
//! itself finds on the astronaut test photo (a public-domain portrait; see
//! `tests/data/NOTICE`), which measure eye spacing 1.22, eye size 0.21,
//! face ratio 0.74, jaw ratio 0.82. The canonical model is not a reference
//! for these: its eyes are narrow (0.17 of its width) and far apart (1.43
//! eyes), a generic head rather than an average face, and real faces do
//! not measure like it.
//!
//! The measurements assume a frontal photo with a neutral expression: a
//! turned head narrows one side, and a smile widens the mouth and the nose
//! (the astronaut's smile measures 0.49 and 0.29).

use serde::Serialize;

use crate::error::FeatureError;
use crate::geometry::{along, confidence, relative_margin, three_way, Landmarks, Point, Vector};

/// Number of Face Mesh landmarks (without the iris refinement's ten).
pub const FACE_LANDMARKS: usize = 468;

/// Top of the face oval on the midline.
pub const FOREHEAD_TOP: usize = 10;
/// Chin.
pub const CHIN: usize = 152;
/// Widest point of the face, the person's right side.
pub const FACE_RIGHT: usize = 234;
/// Widest point of the face, the person's left side.
pub const FACE_LEFT: usize = 454;
/// Lower jaw, right.
pub const JAW_RIGHT: usize = 172;
/// Lower jaw, left.
pub const JAW_LEFT: usize = 397;
/// Right eye, outer corner.
pub const RIGHT_EYE_OUTER: usize = 33;
/// Right eye, inner corner.
pub const RIGHT_EYE_INNER: usize = 133;
/// Left eye, inner corner.
pub const LEFT_EYE_INNER: usize = 362;
/// Left eye, outer corner.
pub const LEFT_EYE_OUTER: usize = 263;
/// Right brow, top of the arch.
pub const RIGHT_BROW: usize = 105;
/// Left brow, top of the arch.
pub const LEFT_BROW: usize = 334;
/// Nose base (subnasale).
pub const NOSE_BASE: usize = 2;
/// Right wing of the nose.
pub const NOSE_RIGHT: usize = 98;
/// Left wing of the nose.
pub const NOSE_LEFT: usize = 327;
/// Right mouth corner.
pub const MOUTH_RIGHT: usize = 61;
/// Left mouth corner.
pub const MOUTH_LEFT: usize = 291;

/// Brow line → landmark 10, times this, is the upper court (see the module
/// documentation: the canonical model's 7.25 / 3.15).
pub const HAIRLINE_SCALE: f64 = 2.3;

/// Face ratio (width / height) below which the face is long (长脸): about
/// 10 % narrower than a typical 0.72 (a face about 1.4 times as long as it
/// is wide; the canonical model measures 0.70, the astronaut 0.74).
pub const LONG_FACE_MAX_RATIO: f64 = 0.65;
/// Face ratio from which the face is round (圆脸) unless its jaw is square:
/// about 10 % wider than the typical 0.72.
pub const ROUND_FACE_MIN_RATIO: f64 = 0.80;
/// Jaw ratio (lower-jaw width / face width) from which the jaw is square
/// (方脸): about 10 % wider than a typical 0.80 (canonical model 0.775,
/// astronaut 0.82).
pub const SQUARE_JAW_MIN: f64 = 0.88;
/// Jaw ratio below which the jaw tapers to a pointed chin (瓜子脸): about
/// 10 % narrower than the typical 0.80.
pub const POINTED_JAW_MAX: f64 = 0.72;
/// Relative distance from a threshold at which a face shape is fully
/// certain (as for the hand shape).
pub const FULL_CONFIDENCE_MARGIN: f64 = 0.10;

/// The courts are `balanced` when each is within this of a third of the
/// face: 0.03 is a tenth of a court, about what a brow raised in a photo
/// moves the brow line.
pub const BALANCED_COURT_DEVIATION: f64 = 0.03;

/// Eye spacing below which the eyes are `close`: about 13 % under a
/// typical 1.15 (the canon's one eye between the eyes is 1.0; measured
/// between Face Mesh's corner points real faces come out a little wider,
/// the astronaut 1.22).
pub const CLOSE_EYE_SPACING: f64 = 1.0;
/// Eye spacing above which the eyes are `wide` apart: about 15 % over the
/// typical 1.15.
pub const WIDE_EYE_SPACING: f64 = 1.32;
/// Eye size below which the eyes are `small`: 10 % under the canon's
/// typical 0.20 (an eye is a fifth of the face; the astronaut 0.21).
pub const SMALL_EYE_SIZE: f64 = 0.18;
/// Eye size above which the eyes are `large`: about 12 % over 0.20.
pub const LARGE_EYE_SIZE: f64 = 0.225;
/// Nose width below which the nose is `narrow`: about 10 % under a typical
/// 0.235, the width the canon gives the nose (that of the space between
/// the eyes: 1.15 eyes of 0.20 face widths each).
pub const NARROW_NOSE: f64 = 0.21;
/// Nose width above which the nose is `wide`: about 13 % over 0.235.
pub const WIDE_NOSE: f64 = 0.265;
/// Mouth width below which the mouth is `narrow`: about 10 % under a
/// typical 0.36, one and a half noses as the canon has it.
pub const NARROW_MOUTH: f64 = 0.32;
/// Mouth width above which the mouth is `wide`: about 14 % over 0.36 (the
/// band is wider on this side because a slight smile already widens it).
pub const WIDE_MOUTH: f64 = 0.41;
/// Eyebrow height below which the brows sit `low` over the eyes: about
/// 15 % under a typical 0.118 (canonical model 0.114, astronaut 0.122);
/// brows move with expression, so the band is wider than the others.
pub const LOW_EYEBROW: f64 = 0.10;
/// Eyebrow height above which the brows sit `high`: about 15 % over 0.118.
pub const HIGH_EYEBROW: f64 = 0.135;

/// Face shapes, read from the face ratio and the jaw ratio, in this order:
///
/// 1. 长 (long): face ratio < [`LONG_FACE_MAX_RATIO`];
/// 2. 方 (square): jaw ratio ≥ [`SQUARE_JAW_MIN`];
/// 3. 圆 (round): face ratio ≥ [`ROUND_FACE_MIN_RATIO`];
/// 4. 瓜子 (pointed): jaw ratio < [`POINTED_JAW_MAX`];
/// 5. 鹅蛋 (oval): the rest — average length, jaw neither square nor
///    pointed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum FaceShape {
    /// 圆脸.
    #[serde(rename = "圆")]
    Round,
    /// 方脸.
    #[serde(rename = "方")]
    Square,
    /// 长脸.
    #[serde(rename = "长")]
    Long,
    /// 瓜子脸.
    #[serde(rename = "瓜子")]
    Pointed,
    /// 鹅蛋脸.
    #[serde(rename = "鹅蛋")]
    Oval,
}

impl FaceShape {
    /// `圆` `方` `长` `瓜子` `鹅蛋`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FaceShape::Round => "圆",
            FaceShape::Square => "方",
            FaceShape::Long => "长",
            FaceShape::Pointed => "瓜子",
            FaceShape::Oval => "鹅蛋",
        }
    }

    /// The shape of a face ratio and a jaw ratio, with its confidence: the
    /// smallest relative margin to a threshold that could change it, over
    /// [`FULL_CONFIDENCE_MARGIN`].
    pub fn classify(face_ratio: f64, jaw_ratio: f64) -> (FaceShape, f64) {
        let long = relative_margin(face_ratio, LONG_FACE_MAX_RATIO);
        let round = relative_margin(face_ratio, ROUND_FACE_MIN_RATIO);
        let square = relative_margin(jaw_ratio, SQUARE_JAW_MIN);
        let pointed = relative_margin(jaw_ratio, POINTED_JAW_MAX);
        let (shape, margins): (FaceShape, &[f64]) = if face_ratio < LONG_FACE_MAX_RATIO {
            (FaceShape::Long, &[long])
        } else if jaw_ratio >= SQUARE_JAW_MIN {
            (FaceShape::Square, &[square, long])
        } else if face_ratio >= ROUND_FACE_MIN_RATIO {
            (FaceShape::Round, &[round, square])
        } else if jaw_ratio < POINTED_JAW_MAX {
            (FaceShape::Pointed, &[pointed, long, round])
        } else {
            (FaceShape::Oval, &[long, round, square, pointed])
        };
        (shape, confidence(margins, FULL_CONFIDENCE_MARGIN))
    }
}

/// The three courts (三停) as proportions of the face height.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SanTing {
    /// 上停: estimated hairline → brow line (see the module documentation).
    pub upper: f64,
    /// 中停: brow line → nose base (2).
    pub middle: f64,
    /// 下停: nose base → chin (152).
    pub lower: f64,
    /// `1 − max|court − ⅓| / ⅔`: 1 for 1:1:1, 0 when one court is the whole
    /// face.
    pub balance: f64,
    /// `balanced`, or the longest court: `upper`, `middle`, `lower`
    /// (see [`BALANCED_COURT_DEVIATION`]).
    pub word: &'static str,
}

impl SanTing {
    /// The courts of three heights, as proportions.
    fn of(upper: f64, middle: f64, lower: f64) -> SanTing {
        let total = upper + middle + lower;
        let p = [upper / total, middle / total, lower / total];
        let deviation = p.iter().map(|c| (c - 1.0 / 3.0).abs()).fold(0.0, f64::max);
        let word = if deviation <= BALANCED_COURT_DEVIATION {
            "balanced"
        } else {
            let longest = (0..3).max_by(|a, b| p[*a].total_cmp(&p[*b])).unwrap_or(0);
            crate::keys::SAN_TING_KEYS[longest]
        };
        SanTing {
            upper: p[0],
            middle: p[1],
            lower: p[2],
            balance: (1.0 - deviation / (2.0 / 3.0)).clamp(0.0, 1.0),
            word,
        }
    }
}

/// A measurement with its word.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Measured {
    /// The number (its method is on the field that holds it).
    pub value: f64,
    /// The number read by the field's two thresholds.
    pub word: &'static str,
}

/// The features of one face. Every number is a ratio; see [`crate::keys`]
/// for the maps of the proto.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaceFeatures {
    /// Face width (234 ↔ 454) / face height (estimated hairline → chin).
    pub face_ratio: f64,
    /// Lower-jaw width (172 ↔ 397) / face width.
    pub jaw_ratio: f64,
    /// The face shape.
    pub shape: FaceShape,
    /// How far the two ratios are from the nearest threshold that would
    /// change the shape (0..=1).
    pub shape_confidence: f64,
    /// The three courts.
    pub san_ting: SanTing,
    /// Inner corners distance (133 ↔ 362) / mean eye width (33 ↔ 133,
    /// 362 ↔ 263): `close` below [`CLOSE_EYE_SPACING`], `wide` above
    /// [`WIDE_EYE_SPACING`], else `normal`. Classically one eye's width
    /// (五眼).
    pub eye_spacing: Measured,
    /// Mean eye width / face width: `small` below [`SMALL_EYE_SIZE`],
    /// `large` above [`LARGE_EYE_SIZE`], else `medium`.
    pub eye_size: Measured,
    /// Nose width (98 ↔ 327) / face width: `narrow` below [`NARROW_NOSE`],
    /// `wide` above [`WIDE_NOSE`], else `medium`.
    pub nose_width: Measured,
    /// Mouth width (61 ↔ 291) / face width: `narrow` below
    /// [`NARROW_MOUTH`], `wide` above [`WIDE_MOUTH`], else `medium`.
    pub mouth_width: Measured,
    /// Brow line (mean of 105 and 334) → eye line (mean of the four eye
    /// corners), along the face's axis, / face height: `low` below
    /// [`LOW_EYEBROW`], `high` above [`HIGH_EYEBROW`], else `medium`.
    pub eyebrow_height: Measured,
}

/// Measures a face from its 468 Face Mesh landmarks in image pixels.
///
/// Refuses another number of points, a coordinate that is NaN or infinite,
/// a face without width, height or eyes (coincident points), and one whose
/// forehead top, brows, eyes, nose base and chin are not in that order down
/// its axis — so nothing in the answer is NaN.
pub fn face_features(landmarks: &[[f32; 3]]) -> Result<FaceFeatures, FeatureError> {
    if landmarks.len() != FACE_LANDMARKS {
        return Err(FeatureError::WrongCount {
            expected: FACE_LANDMARKS,
            found: landmarks.len(),
        });
    }
    let l = Landmarks::new(landmarks)?;
    let chin = l.at(CHIN);
    let axis_length = l.nonzero(
        l.distance(CHIN, FOREHEAD_TOP),
        "the face's height (chin → forehead top)",
    )?;
    let up = chin.to(l.at(FOREHEAD_TOP));
    let up = Vector {
        x: up.x / axis_length,
        y: up.y / axis_length,
    };
    let height_of = |p: Point| along(p, chin, up);
    let width = l.nonzero(
        l.distance(FACE_RIGHT, FACE_LEFT),
        "the face's width (234 ↔ 454)",
    )?;

    let brow = l.at(RIGHT_BROW).midpoint(l.at(LEFT_BROW));
    let eyes = l
        .at(RIGHT_EYE_OUTER)
        .midpoint(l.at(RIGHT_EYE_INNER))
        .midpoint(l.at(LEFT_EYE_INNER).midpoint(l.at(LEFT_EYE_OUTER)));
    let top = axis_length;
    let brow_h = height_of(brow);
    let eye_h = height_of(eyes);
    let nose_h = height_of(l.at(NOSE_BASE));
    if !(top > brow_h && brow_h > eye_h && eye_h > nose_h && nose_h > 0.0) {
        return Err(FeatureError::Implausible {
            what:
                "forehead top, brows, eyes, nose base and chin are not in that order down the face",
        });
    }
    let upper = (top - brow_h) * HAIRLINE_SCALE;
    let middle = brow_h - nose_h;
    let lower = nose_h;
    let height = upper + middle + lower;

    let right_eye = l.distance(RIGHT_EYE_OUTER, RIGHT_EYE_INNER);
    let left_eye = l.distance(LEFT_EYE_INNER, LEFT_EYE_OUTER);
    let eye_width = l.nonzero((right_eye + left_eye) / 2.0, "the eyes (corner to corner)")?;

    let face_ratio = width / height;
    let jaw_ratio = l.distance(JAW_RIGHT, JAW_LEFT) / width;
    let (shape, shape_confidence) = FaceShape::classify(face_ratio, jaw_ratio);
    let measured = |value: f64, low: f64, high: f64, words: [&'static str; 3]| Measured {
        value,
        word: three_way(value, low, high, words),
    };
    Ok(FaceFeatures {
        face_ratio,
        jaw_ratio,
        shape,
        shape_confidence,
        san_ting: SanTing::of(upper, middle, lower),
        eye_spacing: measured(
            l.distance(RIGHT_EYE_INNER, LEFT_EYE_INNER) / eye_width,
            CLOSE_EYE_SPACING,
            WIDE_EYE_SPACING,
            ["close", "normal", "wide"],
        ),
        eye_size: measured(
            eye_width / width,
            SMALL_EYE_SIZE,
            LARGE_EYE_SIZE,
            ["small", "medium", "large"],
        ),
        nose_width: measured(
            l.distance(NOSE_RIGHT, NOSE_LEFT) / width,
            NARROW_NOSE,
            WIDE_NOSE,
            ["narrow", "medium", "wide"],
        ),
        mouth_width: measured(
            l.distance(MOUTH_RIGHT, MOUTH_LEFT) / width,
            NARROW_MOUTH,
            WIDE_MOUTH,
            ["narrow", "medium", "wide"],
        ),
        eyebrow_height: measured(
            (brow_h - eye_h) / height,
            LOW_EYEBROW,
            HIGH_EYEBROW,
            ["low", "medium", "high"],
        ),
    })
}

impl FaceFeatures {
    /// `san_ting_ratio`: `upper`, `middle`, `lower`.
    pub fn san_ting_ratio(&self) -> Vec<(&'static str, f32)> {
        let s = &self.san_ting;
        crate::keys::SAN_TING_KEYS
            .iter()
            .zip([s.upper, s.middle, s.lower])
            .map(|(k, v)| (*k, v as f32))
            .collect()
    }

    /// `facial_attributes`, keyed as [`crate::keys::FACIAL_ATTRIBUTES`].
    pub fn facial_attributes(&self) -> Vec<(&'static str, &'static str)> {
        let words = [
            self.shape.as_str(),
            self.san_ting.word,
            self.eye_spacing.word,
            self.eye_size.word,
            self.nose_width.word,
            self.mouth_width.word,
            self.eyebrow_height.word,
        ];
        crate::keys::FACIAL_ATTRIBUTES
            .iter()
            .zip(words)
            .map(|((k, _), w)| (*k, w))
            .collect()
    }

    /// `feature_measurements`, keyed by [`crate::keys::FACE_MEASUREMENT_KEYS`].
    pub fn feature_measurements(&self) -> Vec<(&'static str, f32)> {
        let values = [
            self.face_ratio,
            self.jaw_ratio,
            self.shape_confidence,
            self.san_ting.balance,
            self.eye_spacing.value,
            self.eye_size.value,
            self.nose_width.value,
            self.mouth_width.value,
            self.eyebrow_height.value,
        ];
        crate::keys::FACE_MEASUREMENT_KEYS
            .iter()
            .zip(values)
            .map(|(k, v)| (*k, v as f32))
            .collect()
    }

    /// `special_features`: always empty (see [`crate::keys`]).
    pub fn special_features(&self) -> Vec<String> {
        Vec::new()
    }
}

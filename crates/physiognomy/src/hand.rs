//! Hand features from the 21 landmarks of mediapipe Hands.
//!
//! Landmark indices are mediapipe's hand-knuckle numbering (the
//! `HandLandmark` enum of `mediapipe/python/solutions/hands.py` and the
//! hand landmarker's model card, google-ai-edge/mediapipe): 0 wrist; thumb 1
//! CMC, 2 MCP, 3 IP, 4 tip; index 5 MCP, 6 PIP, 7 DIP, 8 tip; middle 9–12;
//! ring 13–16; pinky 17–20, each finger MCP, PIP, DIP, tip.
//!
//! The unit of length is the palm: wrist (0) → middle MCP (9). Every length
//! is divided by it and every direction is compared with another, so the
//! features do not change when the photo is scaled, the hand moved or turned
//! in the image plane. They do change when the hand is tilted towards or
//! away from the camera (foreshortening): the features describe a hand laid
//! flat, fingers straight, as palm photos are taken.
//!
//! # Typical proportions
//!
//! The thresholds below are set around the proportions of an average adult
//! hand measured on this skeleton: the palm from the wrist joint to the
//! middle knuckle, each finger from its knuckle (MCP) to its tip along its
//! joints. From hand anthropometry (phalanx lengths against hand length),
//! that skeleton gives a middle finger of about 1.15 palm lengths, an index
//! about 1.03, a ring finger about 1.08, a pinky about 0.85 and a thumb
//! (MCP → tip: the metacarpal, 1 → 2, belongs to the palm, as the other
//! fingers' do) about 0.75; the knuckle span (index MCP → pinky MCP) is the
//! palm's width without its two fleshy edges, about 1/1.38 of the palm
//! length. They are approximations, not fitted to a population, and they
//! are the documented reference every word and class below is read against.

use serde::Serialize;

use crate::error::FeatureError;
use crate::geometry::{angle_degrees, confidence, relative_margin, Landmarks, Vector};

/// Number of mediapipe hand landmarks.
pub const HAND_LANDMARKS: usize = 21;

/// Landmark 0: the wrist.
pub const WRIST: usize = 0;
/// Landmark 1: the thumb's carpometacarpal joint.
pub const THUMB_CMC: usize = 1;
/// Landmarks of each finger, thumb to pinky: the joint the finger starts at
/// (MCP; the thumb's 2) and the next three (PIP, DIP, tip; the thumb's IP and
/// tip — it has one joint fewer, so its chain is 2 → 3 → 4).
const FINGER_CHAINS: [&[usize]; 5] = [
    &[2, 3, 4],
    &[5, 6, 7, 8],
    &[9, 10, 11, 12],
    &[13, 14, 15, 16],
    &[17, 18, 19, 20],
];
/// Landmark 5: the index finger's MCP (knuckle).
pub const INDEX_MCP: usize = 5;
/// Landmark 8: the index fingertip.
pub const INDEX_TIP: usize = 8;
/// Landmark 9: the middle finger's MCP, the palm's far end.
pub const MIDDLE_MCP: usize = 9;
/// Landmark 17: the pinky's MCP.
pub const PINKY_MCP: usize = 17;
/// Landmark 4: the thumb tip.
pub const THUMB_TIP: usize = 4;

/// Typical length of each finger (thumb to pinky) in palm lengths, the
/// reference of [`FingerLength`] (see the module documentation).
pub const TYPICAL_FINGER_LENGTHS: [f64; 5] = [0.75, 1.03, 1.15, 1.08, 0.85];

/// A finger more than this fraction longer than typical is `long`, more than
/// this fraction shorter `short`. 8 % is about the spread of finger-to-palm
/// proportions between adult hands, so a third or so of hands fall outside
/// on either side, and a few-pixel landmark error (≈ 2 % of a finger in a
/// palm photo) rarely moves a finger across.
pub const FINGER_LENGTH_BAND: f64 = 0.08;

/// Palm ratio (length / knuckle span) below which the palm is broad and
/// round: the knuckle span is over 0.83 of the length, so with its fleshy
/// edges the palm is wider than it is long — the 水形手's 圆厚 palm.
pub const ROUND_PALM_MAX: f64 = 1.20;

/// Palm ratio from which the palm is long: the knuckle span is at most 0.69
/// of the length, clearly narrower than an average palm (≈ 1.38), the 长掌
/// of the 木 and 火 hands. Between [`ROUND_PALM_MAX`] and this the palm is
/// square (方掌: 金, 土).
pub const LONG_PALM_MIN: f64 = 1.45;

/// Middle finger / palm length from which the fingers are long (木, 金) and
/// below which they are short (火, 土): the typical 1.15, so the finger
/// half of the class splits hands at the average.
pub const LONG_FINGERS_MIN: f64 = 1.15;

/// Relative distance from a threshold at which a class is fully certain:
/// a ratio 10 % away from every threshold that could change the class has
/// confidence 1, one on a threshold 0. 10 % is several times the error of
/// a ratio measured from landmarks a few pixels off.
pub const FULL_CONFIDENCE_MARGIN: f64 = 0.10;

/// Which hand the landmarks are. Mediapipe's own label assumes a mirrored
/// (selfie) image; the caller passes the person's actual hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Handedness {
    /// The left hand.
    Left,
    /// The right hand.
    Right,
}

impl Handedness {
    /// `left` or `right`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Handedness::Left => "left",
            Handedness::Right => "right",
        }
    }
}

/// Which side of the hand faces the camera.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Facing {
    /// The palm (掌心).
    PalmUp,
    /// The back of the hand (手背).
    PalmDown,
}

impl Facing {
    /// `palm_up` or `palm_down`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Facing::PalmUp => "palm_up",
            Facing::PalmDown => "palm_down",
        }
    }
}

/// The five-element hand types (五行手), read from two ratios: the palm's
/// length / width ([`ROUND_PALM_MAX`], [`LONG_PALM_MIN`]) and the middle
/// finger / palm length ([`LONG_FINGERS_MIN`]).
///
/// | palm | fingers long | fingers short |
/// |------|--------------|---------------|
/// | long (≥ 1.45) | 木 | 火 |
/// | square (1.20 – 1.45) | 金 | 土 |
/// | round (< 1.20) | 水 | 水 |
///
/// 水形手 is told by its broad, round palm alone: its fingers are described
/// as soft and tapering, which joint positions cannot show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum HandShape {
    /// 木形手: long palm, long fingers.
    #[serde(rename = "木")]
    Wood,
    /// 火形手: long palm, short fingers.
    #[serde(rename = "火")]
    Fire,
    /// 土形手: square palm, short thick fingers.
    #[serde(rename = "土")]
    Earth,
    /// 金形手: square palm, long fingers.
    #[serde(rename = "金")]
    Metal,
    /// 水形手: broad, round palm.
    #[serde(rename = "水")]
    Water,
}

impl HandShape {
    /// The element's name: `木` `火` `土` `金` `水`.
    pub const fn as_str(self) -> &'static str {
        match self {
            HandShape::Wood => "木",
            HandShape::Fire => "火",
            HandShape::Earth => "土",
            HandShape::Metal => "金",
            HandShape::Water => "水",
        }
    }

    /// The shape of a palm ratio and a middle-finger-to-palm ratio, with its
    /// confidence (see [`FULL_CONFIDENCE_MARGIN`]).
    pub fn classify(palm_ratio: f64, middle_palm: f64) -> (HandShape, f64) {
        let palm_margins = [
            relative_margin(palm_ratio, ROUND_PALM_MAX),
            relative_margin(palm_ratio, LONG_PALM_MIN),
        ];
        if palm_ratio < ROUND_PALM_MAX {
            return (
                HandShape::Water,
                confidence(&palm_margins[..1], FULL_CONFIDENCE_MARGIN),
            );
        }
        let long_fingers = middle_palm >= LONG_FINGERS_MIN;
        let shape = match (palm_ratio >= LONG_PALM_MIN, long_fingers) {
            (true, true) => HandShape::Wood,
            (true, false) => HandShape::Fire,
            (false, true) => HandShape::Metal,
            (false, false) => HandShape::Earth,
        };
        // A long palm can only become square (its lower threshold); a square
        // one round or long; the fingers' threshold changes any of the four.
        let relevant = if palm_ratio >= LONG_PALM_MIN {
            &palm_margins[1..]
        } else {
            &palm_margins[..]
        };
        let finger_margin = relative_margin(middle_palm, LONG_FINGERS_MIN);
        let margins: Vec<f64> = relevant.iter().copied().chain([finger_margin]).collect();
        (shape, confidence(&margins, FULL_CONFIDENCE_MARGIN))
    }
}

/// A finger's length against the typical length of that finger
/// ([`TYPICAL_FINGER_LENGTHS`], [`FINGER_LENGTH_BAND`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FingerLength {
    /// More than 8 % longer than typical.
    Long,
    /// Within 8 % of typical.
    Medium,
    /// More than 8 % shorter than typical.
    Short,
}

impl FingerLength {
    /// `long`, `medium` or `short`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FingerLength::Long => "long",
            FingerLength::Medium => "medium",
            FingerLength::Short => "short",
        }
    }

    /// The word for a length of finger `finger` (0 thumb … 4 pinky), in palm
    /// lengths.
    pub(crate) fn of(finger: usize, length: f64) -> FingerLength {
        let typical = TYPICAL_FINGER_LENGTHS[finger];
        if length > typical * (1.0 + FINGER_LENGTH_BAND) {
            FingerLength::Long
        } else if length < typical * (1.0 - FINGER_LENGTH_BAND) {
            FingerLength::Short
        } else {
            FingerLength::Medium
        }
    }
}

/// One finger.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Finger {
    /// MCP → tip along its joints (the sum of its bone segments), in palm
    /// lengths.
    pub length: f64,
    /// The length in words.
    pub word: FingerLength,
}

/// Ratios between finger lengths (and the middle finger to the palm).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FingerRatios {
    /// Index / ring: the 2D:4D ratio.
    pub index_ring: f64,
    /// Index / middle.
    pub index_middle: f64,
    /// Ring / middle.
    pub ring_middle: f64,
    /// Pinky / ring.
    pub pinky_ring: f64,
    /// Thumb / index.
    pub thumb_index: f64,
    /// Middle / palm length: the finger ratio of [`HandShape`].
    pub middle_palm: f64,
}

/// Angles between adjacent fingers, each finger taken as the line from its
/// MCP to its tip, in degrees: how far the fingers are spread.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FingerGaps {
    /// Index ↔ middle.
    pub index_middle: f64,
    /// Middle ↔ ring.
    pub middle_ring: f64,
    /// Ring ↔ pinky.
    pub ring_pinky: f64,
}

/// The features of one hand. Every number is a ratio or an angle; see
/// [`crate::keys`] for the maps of the proto.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HandFeatures {
    /// Which hand (as given).
    pub handedness: Handedness,
    /// Which side faces the camera: from the handedness and the turn from
    /// wrist → index MCP to wrist → pinky MCP. Seen from the palm side a
    /// right hand has its index finger on the image's left, so that turn is
    /// clockwise on screen (positive cross product with `y` down); seen from
    /// the back, or for a left hand seen from the palm, it is the other way.
    pub facing: Facing,
    /// Palm length (wrist → middle MCP) / palm width (index MCP → pinky MCP).
    pub palm_ratio: f64,
    /// Palm width in palm lengths (`1 / palm_ratio`).
    pub palm_width: f64,
    /// Thumb, index, middle, ring, pinky.
    pub fingers: [Finger; 5],
    /// Ratios between the fingers.
    pub ratios: FingerRatios,
    /// Degrees between the thumb (CMC → tip, 1 → 4: the whole thumb, since
    /// it opens from its base) and the index finger (MCP → tip): how far the
    /// thumb stands off the hand.
    pub thumb_angle: f64,
    /// Spread of the other fingers.
    pub gaps: FingerGaps,
    /// The five-element hand type.
    pub shape: HandShape,
    /// How far the two ratios are from the nearest threshold that would
    /// change the shape (0..=1, see [`FULL_CONFIDENCE_MARGIN`]).
    pub shape_confidence: f64,
}

/// Measures a hand from its 21 landmarks in image pixels.
///
/// Refuses a coordinate that is NaN or infinite and a set whose palm, palm
/// width or a finger has no length (coincident points), so nothing in the
/// answer is NaN.
pub fn hand_features(
    landmarks: &[[f32; 3]; HAND_LANDMARKS],
    handedness: Handedness,
) -> Result<HandFeatures, FeatureError> {
    let l = Landmarks::new(landmarks)?;
    let palm = l.nonzero(
        l.distance(WRIST, MIDDLE_MCP),
        "the palm (wrist → middle MCP)",
    )?;
    let width = l.nonzero(
        l.distance(INDEX_MCP, PINKY_MCP),
        "the palm width (index MCP → pinky MCP)",
    )?;

    let to_index = l.direction(WRIST, INDEX_MCP, "wrist → index MCP")?;
    let to_pinky = l.direction(WRIST, PINKY_MCP, "wrist → pinky MCP")?;
    let turn = to_index.cross(to_pinky);
    l.nonzero(
        turn.abs() / width,
        "the palm's face (wrist, index MCP and pinky MCP in one line)",
    )?;
    let facing = if (turn > 0.0) == (handedness == Handedness::Right) {
        Facing::PalmUp
    } else {
        Facing::PalmDown
    };

    const FINGER_NAMES: [&str; 5] = [
        "the thumb (MCP → tip)",
        "the index finger",
        "the middle finger",
        "the ring finger",
        "the pinky",
    ];
    let mut lengths = [0.0; 5];
    for (i, chain) in FINGER_CHAINS.iter().enumerate() {
        let sum: f64 = chain.windows(2).map(|w| l.distance(w[0], w[1])).sum();
        lengths[i] = l.nonzero(sum, FINGER_NAMES[i])? / palm;
    }
    let fingers: [Finger; 5] = std::array::from_fn(|i| Finger {
        length: lengths[i],
        word: FingerLength::of(i, lengths[i]),
    });
    let [thumb, index, middle, ring, pinky] = lengths;
    let ratios = FingerRatios {
        index_ring: index / ring,
        index_middle: index / middle,
        ring_middle: ring / middle,
        pinky_ring: pinky / ring,
        thumb_index: thumb / index,
        middle_palm: middle,
    };

    const FINGER_LINES: [&str; 5] = [
        "the thumb's line (MCP → tip)",
        "the index finger's line (MCP → tip)",
        "the middle finger's line (MCP → tip)",
        "the ring finger's line (MCP → tip)",
        "the pinky's line (MCP → tip)",
    ];
    let mut directions: [Vector; 5] = [Vector { x: 0.0, y: 0.0 }; 5];
    for (i, chain) in FINGER_CHAINS.iter().enumerate().skip(1) {
        directions[i] = l.direction(chain[0], chain[3], FINGER_LINES[i])?;
    }
    let thumb_direction = l.direction(THUMB_CMC, THUMB_TIP, "the thumb (CMC → tip)")?;
    let gaps = FingerGaps {
        index_middle: angle_degrees(directions[1], directions[2]),
        middle_ring: angle_degrees(directions[2], directions[3]),
        ring_pinky: angle_degrees(directions[3], directions[4]),
    };

    let palm_ratio = palm / width;
    let (shape, shape_confidence) = HandShape::classify(palm_ratio, ratios.middle_palm);
    Ok(HandFeatures {
        handedness,
        facing,
        palm_ratio,
        palm_width: width / palm,
        fingers,
        ratios,
        thumb_angle: angle_degrees(thumb_direction, directions[1]),
        gaps,
        shape,
        shape_confidence,
    })
}

impl HandFeatures {
    /// `hand_shape`: `木` `火` `土` `金` `水`.
    pub fn hand_shape(&self) -> &'static str {
        self.shape.as_str()
    }

    /// `hand_shape_ratio`: the palm ratio.
    pub fn hand_shape_ratio(&self) -> f32 {
        self.palm_ratio as f32
    }

    /// `hand_shape_confidence`.
    pub fn hand_shape_confidence(&self) -> f32 {
        self.shape_confidence as f32
    }

    /// `hand_orientation`: `{left|right}_{palm_up|palm_down}`.
    pub fn hand_orientation(&self) -> String {
        format!("{}_{}", self.handedness.as_str(), self.facing.as_str())
    }

    /// `finger_lengths`: finger → `long` / `medium` / `short`.
    pub fn finger_lengths(&self) -> Vec<(&'static str, &'static str)> {
        crate::keys::FINGERS
            .iter()
            .zip(&self.fingers)
            .map(|(name, f)| (*name, f.word.as_str()))
            .collect()
    }

    /// `finger_ratios`, keyed by [`crate::keys::FINGER_RATIO_KEYS`].
    pub fn finger_ratios(&self) -> Vec<(&'static str, f32)> {
        let r = &self.ratios;
        let values = [
            r.index_ring,
            r.index_middle,
            r.ring_middle,
            r.pinky_ring,
            r.thumb_index,
            r.middle_palm,
        ];
        crate::keys::FINGER_RATIO_KEYS
            .iter()
            .zip(values)
            .map(|(k, v)| (*k, v as f32))
            .collect()
    }

    /// `measurements`, keyed by [`crate::keys::HAND_MEASUREMENT_KEYS`].
    pub fn measurements(&self) -> Vec<(&'static str, f32)> {
        let f = &self.fingers;
        let values = [
            self.palm_ratio,
            self.palm_width,
            f[0].length,
            f[1].length,
            f[2].length,
            f[3].length,
            f[4].length,
            self.thumb_angle,
            self.gaps.index_middle,
            self.gaps.middle_ring,
            self.gaps.ring_pinky,
        ];
        crate::keys::HAND_MEASUREMENT_KEYS
            .iter()
            .zip(values)
            .map(|(k, v)| (*k, v as f32))
            .collect()
    }
}

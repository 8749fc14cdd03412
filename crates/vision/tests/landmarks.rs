//! The hand and face pipelines on real photos, compared stage by stage with
//! what mediapipe 0.10.21's own Python solutions find on the same photo
//! (`tests/data/astronaut_mediapipe.json`, recorded by
//! `scripts/convert_mediapipe.sh`).
//!
//! Face: `face_mesh` (static image mode, defaults) on the astronaut photo.
//!
//! Hands: no registry package we could find ships a photo of a bare hand
//! under a clear licence (scikit-image's photos, the mediapipe wheel and
//! the npm hand-tracking packages have none), so the hand stages are
//! checked on the astronaut's gloved hand instead: mediapipe's palm
//! detector scores it about 0.12, and with the detection threshold lowered
//! to 0.05 and the presence threshold to 0 mediapipe's `hands` graph runs
//! every stage on it — palm decoding and NMS, the rotated hand region, the
//! landmark model, handedness — which the Rust pipeline must then
//! reproduce. At mediapipe's default thresholds that photo, and the coffee
//! photo, have no hand.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use vision::blaze::Detection;
use vision::geometry::RotatedRect;
use vision::landmark::model_path;
use vision::{face, hand};
use vision::{FaceOptions, FacePipeline, HandOptions, HandPipeline, Point3, RgbImage};

fn photo(name: &str) -> RgbImage {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    vision::decode(&std::fs::read(&path).expect("read photo")).expect("decode photo")
}

fn reference_json() -> &'static serde_json::Value {
    static REFERENCE: OnceLock<serde_json::Value> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/astronaut_mediapipe.json");
        serde_json::from_slice(&std::fs::read(path).expect("reference json")).expect("valid json")
    })
}

fn faces() -> &'static FacePipeline {
    static PIPELINE: OnceLock<FacePipeline> = OnceLock::new();
    PIPELINE.get_or_init(|| {
        FacePipeline::load(
            model_path(face::DETECTION_MODEL_FILE),
            model_path(face::LANDMARK_MODEL_FILE),
        )
        .expect("face models")
    })
}

fn hands() -> &'static HandPipeline {
    static PIPELINE: OnceLock<HandPipeline> = OnceLock::new();
    PIPELINE.get_or_init(|| {
        HandPipeline::load(
            model_path(hand::PALM_MODEL_FILE),
            model_path(hand::LANDMARK_MODEL_FILE),
        )
        .expect("hand models")
    })
}

fn f(v: &serde_json::Value) -> f32 {
    v.as_f64().expect("number") as f32
}

fn points(v: &serde_json::Value) -> Vec<[f32; 3]> {
    v.as_array()
        .expect("points")
        .iter()
        .map(|p| {
            let p = p.as_array().expect("point");
            [f(&p[0]), f(&p[1]), p.get(2).map_or(0.0, f)]
        })
        .collect()
}

/// Mean and largest distance in pixels between our points and mediapipe's,
/// and the largest difference in z.
fn distances(ours: &[Point3], theirs: &[[f32; 3]]) -> (f32, f32, f32) {
    assert_eq!(ours.len(), theirs.len());
    let mut sum = 0.0;
    let mut max = 0.0f32;
    let mut max_z = 0.0f32;
    for (a, b) in ours.iter().zip(theirs) {
        let d = ((a.x - b[0]).powi(2) + (a.y - b[1]).powi(2)).sqrt();
        sum += d;
        max = max.max(d);
        max_z = max_z.max((a.z - b[2]).abs());
    }
    (sum / ours.len() as f32, max, max_z)
}

/// A detection against mediapipe's: score, box corners and keypoints.
fn assert_detection_close(ours: &Detection, theirs: &serde_json::Value, pixels: f32) {
    assert!(
        (ours.score - f(&theirs["score"])).abs() < 0.02,
        "{ours:?} vs {theirs}"
    );
    let b = points(&serde_json::json!([
        [theirs["box"][0], theirs["box"][1]],
        [theirs["box"][2], theirs["box"][3]]
    ]));
    let corners = [
        (ours.bbox.x0, ours.bbox.y0, b[0]),
        (ours.bbox.x1, ours.bbox.y1, b[1]),
    ];
    for (x, y, [ex, ey, _]) in corners {
        assert!(
            (x - ex).abs() < pixels && (y - ey).abs() < pixels,
            "box {ours:?} vs {theirs}"
        );
    }
    let keypoints = points(&theirs["keypoints"]);
    assert_eq!(ours.keypoints.len(), keypoints.len());
    for (k, [ex, ey, _]) in ours.keypoints.iter().zip(keypoints) {
        assert!(
            (k.x - ex).abs() < pixels && (k.y - ey).abs() < pixels,
            "keypoint {k:?} vs {theirs}"
        );
    }
}

fn assert_rect_close(ours: &RotatedRect, theirs: &serde_json::Value, pixels: f32, radians: f32) {
    assert!(
        (ours.centre.x - f(&theirs["x_center"])).abs() < pixels,
        "{ours:?} vs {theirs}"
    );
    assert!(
        (ours.centre.y - f(&theirs["y_center"])).abs() < pixels,
        "{ours:?} vs {theirs}"
    );
    assert!(
        (ours.width - f(&theirs["width"])).abs() < pixels,
        "{ours:?} vs {theirs}"
    );
    assert!(
        (ours.height - f(&theirs["height"])).abs() < pixels,
        "{ours:?} vs {theirs}"
    );
    assert!(
        (ours.rotation - f(&theirs["rotation"])).abs() < radians,
        "{ours:?} vs {theirs}"
    );
}

/// The face pipeline finds the astronaut's face where mediapipe does: the
/// detection and crop within 1 px and 0.01 rad, the 468 landmarks within
/// 0.5 px on average and 1.5 px at worst (measured: 0.06 px and 0.17 px;
/// what is left comes from the JPEG decoders, libjpeg for mediapipe's run
/// and zune-jpeg here, whose pixels differ by up to 4 levels).
#[test]
fn face_landmarks_match_mediapipe() {
    let image = photo("astronaut.jpg");
    let expected = &reference_json()["face"]["faces"][0];

    let detections = faces().faces(&image).expect("face detection");
    assert_eq!(detections.len(), 1);
    assert_detection_close(&detections[0], &expected["detection"], 1.0);
    let rect = FacePipeline::face_rect(&detections[0]).expect("rect");
    assert_rect_close(&rect, &expected["rect"], 1.0, 0.01);

    let found = faces().detect(&image).expect("face landmarks");
    assert_eq!(found.len(), 1, "one face");
    let face = &found[0];
    assert_eq!(face.points.len(), 468);
    assert!(face.score > 0.9, "{}", face.score);
    assert_eq!(face.detection_score, detections[0].score);
    let (mean, max, max_z) = distances(&face.points, &points(&expected["landmarks"]));
    eprintln!(
        "face: 468 landmarks, mean {mean:.3} px, max {max:.3} px from mediapipe; z max {max_z:.4}"
    );
    assert!(mean < 0.5, "mean {mean} px");
    assert!(max < 1.5, "max {max} px");
    assert!(max_z < 0.002, "z differs by {max_z}");
    // The box is the detector's, clipped to the photo.
    let b = face.face_box;
    assert!(
        b.x0 >= 0.0 && b.y0 >= 0.0 && b.x1 <= 512.0 && b.y1 <= 512.0,
        "{b:?}"
    );
}

/// Every hand stage on the astronaut's gloved hand, at the thresholds
/// mediapipe's run used (see the file's documentation): palm box and
/// keypoints within 1 px, hand region within 1 px and 0.01 rad; the
/// landmark stage on mediapipe's region within 0.5 px on average (1.5 px at
/// worst) with its handedness; end to end within 2.5 px on average, 6 px
/// at worst.
///
/// What is left is the JPEG decoder: zune-jpeg's pixels differ from
/// libjpeg's (mediapipe's input, through Pillow) by up to 4 levels. Our
/// crop of mediapipe's region matches OpenCV's warp of the same pixels to
/// one level in a few dozen of 150,528 values, and TensorFlow Lite on our
/// crop gives the same landmarks as tract; but a glove is no hand
/// (presence below 0.01), and on such a crop the network amplifies those
/// decoder differences — on the real face they move landmarks by 0.06 px.
#[test]
fn hand_stages_match_mediapipe_on_a_gloved_hand() {
    let image = photo("astronaut.jpg");
    let recorded = &reference_json()["hands"];
    let options = HandOptions {
        min_palm_score: f(&recorded["min_detection_confidence"]),
        min_presence: f(&recorded["min_presence"]),
        max_hands: 2,
    };
    let pipeline = hands().clone().with_options(options);
    let expected_hands = recorded["hands"].as_array().expect("hands");
    assert_eq!(expected_hands.len(), 1);
    let expected = &expected_hands[0];

    let palms = pipeline.palms(&image).expect("palms");
    assert_eq!(palms.len(), 1, "{palms:?}");
    assert_detection_close(&palms[0], &expected["palm"], 1.0);
    let rect = HandPipeline::hand_rect(&palms[0]).expect("rect");
    assert_rect_close(&rect, &expected["rect"], 1.0, 0.01);

    // The landmark stage alone, on mediapipe's own hand region: our crop
    // and tract's network give mediapipe's landmarks and handedness.
    let theirs = &expected["rect"];
    let their_rect = RotatedRect {
        centre: vision::Point {
            x: f(&theirs["x_center"]),
            y: f(&theirs["y_center"]),
        },
        width: f(&theirs["width"]),
        height: f(&theirs["height"]),
        rotation: f(&theirs["rotation"]),
    };
    let stage = pipeline
        .landmarks_in(&image, &their_rect)
        .expect("landmarks");
    let (mean, max, max_z) = distances(&stage.points, &points(&expected["landmarks"]));
    eprintln!("hand, landmark stage on mediapipe's region: mean {mean:.3} px, max {max:.3} px; z max {max_z:.4}");
    assert!(mean < 0.5 && max < 1.5, "mean {mean} px, max {max} px");
    assert!(max_z < 0.005, "z differs by {max_z}");
    assert_eq!(stage.handedness.label(), expected["handedness"]);
    assert!(
        (stage.handedness_score - f(&expected["handedness_score"])).abs() < 0.02,
        "{stage:?}"
    );

    // End to end. The glove is no hand (presence below 0.01): on such a
    // crop the landmark model amplifies the small differences left in the
    // region (a quarter pixel in the palm keypoints, a few thousandths of
    // a radian), so the tolerances here are looser than for the face.
    let found = pipeline.detect(&image).expect("hands");
    assert_eq!(found.len(), 1);
    let hand = &found[0];
    let (mean, max, max_z) = distances(&hand.points, &points(&expected["landmarks"]));
    eprintln!(
        "hand, end to end: mean {mean:.3} px, max {max:.3} px from mediapipe; z max {max_z:.4}; \
         presence {:.3}; {} {:.3} (mediapipe {} {})",
        hand.presence,
        hand.handedness.label(),
        hand.handedness_score,
        expected["handedness"],
        expected["handedness_score"]
    );
    assert!(mean < 2.5, "mean {mean} px");
    assert!(max < 6.0, "max {max} px");
    assert_eq!(hand.handedness.label(), expected["handedness"]);
    assert_eq!(hand.palm_score, palms[0].score);
    assert!(
        hand.presence < 0.05,
        "a glove is no hand: {}",
        hand.presence
    );
}

/// The palm decoding alone, on recorded raw outputs: TensorFlow Lite's
/// outputs for the astronaut photo at 192 × 192 (`models/mediapipe_reference.*`),
/// decoded and merged, give the palm the pipeline finds on that image (to
/// 0.01 px: the network input is then the photo's own pixels), and the
/// same gloved hand mediapipe found on the full photo (IoU above 0.6; its
/// input was its own resampling of the JPEG, the reference's a Pillow
/// resize of the original PNG, and this weak detection is sensitive to
/// that).
#[test]
fn palm_decoding_of_recorded_outputs_finds_the_glove() {
    use vision::anchors::{ssd_anchors, SsdAnchorOptions};
    use vision::blaze::{decode, suppress};
    use vision::hand::PALM_DECODING;

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let meta: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("models/mediapipe_reference.json")).expect("json"),
    )
    .expect("json");
    let raw = std::fs::read(root.join("models/mediapipe_reference.bin")).expect("bin");
    let floats: Vec<f32> = raw
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let case = meta["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["model"] == "palm_detection_full.onnx" && c["input"]["kind"] == "photo")
        .expect("palm photo case");
    let slice = |i: usize, len: usize| {
        let offset = case["outputs"][i]["offset"].as_u64().expect("offset") as usize;
        &floats[offset..offset + len]
    };
    let (boxes, scores) = (slice(0, 2016 * 18), slice(1, 2016));

    let anchors = ssd_anchors(&SsdAnchorOptions::palm_detection_full()).expect("anchors");
    let mut options = PALM_DECODING;
    options.min_score = 0.05;
    let decoded = suppress(
        &decode(boxes, scores, &anchors, &options).expect("decode"),
        options.iou,
    );
    assert_eq!(decoded.len(), 1, "{decoded:?}");
    // At mediapipe's default threshold nothing is left.
    assert!(decode(boxes, scores, &anchors, &PALM_DECODING)
        .expect("decode")
        .is_empty());

    let small = photo(case["input"]["photo"].as_str().expect("photo"));
    let pipeline = hands().clone().with_options(HandOptions {
        min_palm_score: 0.05,
        ..HandOptions::default()
    });
    let found = pipeline.palms(&small).expect("palms");
    assert_eq!(found.len(), 1);
    let to_pixels = |p: vision::Point| vision::Point {
        x: p.x * 192.0,
        y: p.y * 192.0,
    };
    let reference = decoded[0].mapped(to_pixels);
    assert!((found[0].score - reference.score).abs() < 1e-4);
    for (a, b) in found[0].keypoints.iter().zip(&reference.keypoints) {
        assert!(
            (a.x - b.x).abs() < 0.01 && (a.y - b.y).abs() < 0.01,
            "{found:?} vs {reference:?}"
        );
    }
    assert!(
        (found[0].bbox.x0 - reference.bbox.x0).abs() < 0.01,
        "{found:?} vs {reference:?}"
    );

    // The photo is square, so input fractions × 512 are photo pixels.
    let full = decoded[0].mapped(|p| vision::Point {
        x: p.x * 512.0,
        y: p.y * 512.0,
    });
    let theirs = &reference_json()["hands"]["hands"][0]["palm"]["box"];
    let their_box =
        vision::BoundingBox::new(f(&theirs[0]), f(&theirs[1]), f(&theirs[2]), f(&theirs[3]));
    assert!(full.bbox.iou(&their_box) > 0.6, "{full:?} vs {their_box:?}");
}

#[test]
fn photos_without_hands_give_no_hand() {
    for name in ["coffee.jpg", "astronaut.jpg", "chelsea.jpg"] {
        let found = hands().detect(&photo(name)).expect("detect");
        assert!(found.is_empty(), "{name}: {found:?}");
    }
}

#[test]
fn photos_without_faces_give_no_face() {
    for name in ["coffee.jpg", "chelsea.jpg"] {
        let found = faces().detect(&photo(name)).expect("detect");
        assert!(found.is_empty(), "{name}: {found:?}");
    }
}

/// The astronaut turned 30° (sampled with the crate's own crop) still gives
/// her landmarks, at the turned positions of the upright photo's: the
/// rotation handling of every stage agrees with itself.
#[test]
fn turned_face_gives_turned_landmarks() {
    use vision::crop::{crop, Border};
    let image = photo("astronaut.jpg");
    let upright = &faces().detect(&image).expect("upright")[0];
    let turn = RotatedRect {
        centre: vision::Point { x: 256.0, y: 256.0 },
        width: 512.0,
        height: 512.0,
        rotation: 30f32.to_radians(),
    };
    let turned_image = crop(&image, &turn, 512, 512, Border::Replicate);
    let turned = faces().detect(&turned_image).expect("turned");
    assert_eq!(turned.len(), 1);
    // Pixel (x, y) of the turned photo shows the upright photo at
    // turn.point_at(x / 512, y / 512).
    let back: Vec<Point3> = turned[0]
        .points
        .iter()
        .map(|p| {
            let q = turn.point_at(p.x / 512.0, p.y / 512.0);
            Point3 {
                x: q.x,
                y: q.y,
                z: p.z,
            }
        })
        .collect();
    let reference: Vec<[f32; 3]> = upright.points.iter().map(|p| [p.x, p.y, p.z]).collect();
    let (mean, max, _) = distances(&back, &reference);
    eprintln!("turned face: mean {mean:.3} px, max {max:.3} px from the upright photo's");
    assert!(mean < 2.0 && max < 6.0, "mean {mean}, max {max}");
}

/// On a wider canvas (the photo pasted 150 px from the left edge of a grey
/// 700 × 512 image) the letterboxing and its removal keep the landmarks on
/// the face: they are the upright photo's moved 150 px right.
#[test]
fn landmarks_follow_the_face_on_a_wider_canvas() {
    let image = photo("astronaut.jpg");
    let upright = &faces().detect(&image).expect("upright")[0];
    let mut canvas = RgbImage::from_pixel(700, 512, image::Rgb([128, 128, 128]));
    image::imageops::replace(&mut canvas, &image, 150, 0);
    let wide = faces().detect(&canvas).expect("wide");
    assert_eq!(wide.len(), 1);
    let reference: Vec<[f32; 3]> = upright
        .points
        .iter()
        .map(|p| [p.x + 150.0, p.y, p.z])
        .collect();
    let (mean, max, _) = distances(&wide[0].points, &reference);
    eprintln!("wide canvas: mean {mean:.3} px, max {max:.3} px from the photo's own");
    assert!(mean < 2.0 && max < 6.0, "mean {mean}, max {max}");
}

#[test]
fn empty_image_is_an_error_not_a_panic() {
    let empty = RgbImage::new(0, 0);
    let err = hands().detect(&empty).unwrap_err();
    assert!(
        matches!(err, vision::LandmarkError::EmptyImage { .. }),
        "{err}"
    );
    let err = faces().detect(&empty).unwrap_err();
    assert!(
        matches!(err, vision::LandmarkError::EmptyImage { .. }),
        "{err}"
    );
}

#[test]
fn pipelines_are_shared_across_threads() {
    let shared = Arc::new(faces().clone());
    let image = Arc::new(photo("astronaut.jpg"));
    let alone = shared.detect(&image).expect("detect");
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let (pipeline, image) = (Arc::clone(&shared), Arc::clone(&image));
            std::thread::spawn(move || pipeline.detect(&image).expect("detect"))
        })
        .collect();
    for handle in handles {
        assert_eq!(
            handle.join().expect("thread"),
            alone,
            "same result in every thread"
        );
    }
}

#[test]
fn stricter_face_threshold_drops_the_face() {
    let strict = faces().clone().with_options(FaceOptions {
        min_detection_score: 0.99,
        ..FaceOptions::default()
    });
    assert!(strict
        .detect(&photo("astronaut.jpg"))
        .expect("detect")
        .is_empty());
}

#[cfg(feature = "embedded-model")]
#[test]
fn embedded_models_give_the_same_landmarks() {
    let image = photo("astronaut.jpg");
    let embedded = FacePipeline::embedded().expect("embedded face models");
    assert_eq!(
        embedded.detect(&image).expect("detect"),
        faces().detect(&image).expect("detect")
    );
    let options = HandOptions {
        min_palm_score: 0.05,
        min_presence: 0.0,
        max_hands: 2,
    };
    let embedded = HandPipeline::embedded()
        .expect("embedded hand models")
        .with_options(options);
    let from_files = hands().clone().with_options(options);
    assert_eq!(
        embedded.detect(&image).expect("detect"),
        from_files.detect(&image).expect("detect")
    );
}

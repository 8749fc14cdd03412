//! The four mediapipe models, converted to ONNX and run by tract, reproduce
//! the outputs of the original `.tflite` files run by TensorFlow's own
//! TFLite interpreter (recorded by `scripts/convert_mediapipe.sh` in
//! `models/mediapipe_reference.*`), on every recorded input: a fixed
//! pseudo-random pattern for each model, and for the two detectors also a
//! real photo (the astronaut at the detector's input size).

use std::path::{Path, PathBuf};

use vision::model::OnnxModel;
use vision::preprocess::{to_tensor, ChannelOrder, Layout, Normalisation};
use vision::{face, hand, RgbImage};

/// Outputs are compared within `1e-4 · max(1, |expected|)`: absolute for
/// values up to 1 (scores, probabilities, logits, small offsets), relative
/// above (the raw box, keypoint and landmark outputs are in input pixels,
/// up to ~180). The closest call is the palm detector's box offsets: about
/// 9e-5 px on offsets near 1 px, a cancellation in sums of values ~100 px.
const TOLERANCE: f32 = 1e-4;

fn crate_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The recorded pattern: channel c of pixel (x, y) is
/// (73x + 151y + 211c + (xy mod 97)) mod 256, as `mediapipe_tools.py`
/// computes it.
fn pattern(size: u32) -> RgbImage {
    RgbImage::from_fn(size, size, |x, y| {
        image::Rgb([0u32, 1, 2].map(|c| ((73 * x + 151 * y + 211 * c + (x * y) % 97) % 256) as u8))
    })
}

fn normalisation(range: &serde_json::Value) -> Normalisation {
    let range: Vec<f64> = range
        .as_array()
        .expect("range")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect();
    match range.as_slice() {
        [0.0, 1.0] => Normalisation::unit_range(ChannelOrder::Rgb),
        [-1.0, 1.0] => Normalisation::signed_unit_range(ChannelOrder::Rgb),
        other => panic!("unexpected range {other:?}"),
    }
}

/// Runs every recorded case of `model` and returns the largest scaled
/// difference; panics on the first value out of tolerance.
fn check_model(model: &str, expected_normalisation: Normalisation) -> f32 {
    let meta: serde_json::Value = serde_json::from_slice(
        &std::fs::read(crate_file("models/mediapipe_reference.json")).expect("reference json"),
    )
    .expect("valid json");
    let raw = std::fs::read(crate_file("models/mediapipe_reference.bin")).expect("reference bin");
    let expected: Vec<f32> = raw
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();

    let cases: Vec<&serde_json::Value> = meta["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["model"] == model)
        .collect();
    assert!(!cases.is_empty(), "no reference for {model}");
    let size = cases[0]["input"]["size"].as_u64().expect("size") as u32;
    let onnx = OnnxModel::load(
        crate_file(&format!("models/{model}")),
        &[1, size as usize, size as usize, 3],
    )
    .expect("load model");

    let mut worst = 0.0f32;
    for case in cases {
        let input = &case["input"];
        assert_eq!(input["layout"], "NHWC");
        assert_eq!(input["channels"], "RGB");
        let norm = normalisation(&input["range"]);
        // The pipelines feed the model exactly this normalisation.
        assert_eq!(norm, expected_normalisation, "{model}");
        let pixels = match input["kind"].as_str().expect("kind") {
            "pattern" => pattern(size),
            "photo" => {
                let name = input["photo"].as_str().expect("photo name");
                vision::decode(
                    &std::fs::read(crate_file(&format!("tests/data/{name}"))).expect("photo"),
                )
                .expect("decode photo")
            }
            other => panic!("unknown input kind {other}"),
        };
        assert_eq!(pixels.dimensions(), (size, size));
        let outputs = onnx
            .run(to_tensor(&pixels, &norm, Layout::Nhwc))
            .expect("inference");
        let recorded = case["outputs"].as_array().expect("outputs");
        assert_eq!(outputs.len(), recorded.len(), "{model}: number of outputs");
        for (actual, reference) in outputs.iter().zip(recorded) {
            let shape: Vec<usize> = reference["shape"]
                .as_array()
                .expect("shape")
                .iter()
                .map(|d| d.as_u64().expect("dim") as usize)
                .collect();
            assert_eq!(
                actual.shape(),
                shape.as_slice(),
                "{model} {}",
                reference["name"]
            );
            let offset = reference["offset"].as_u64().expect("offset") as usize;
            let values = actual.to_plain_array_view::<f32>().expect("f32 output");
            let wanted = &expected[offset..offset + values.len()];
            for (i, (&a, &e)) in values.iter().zip(wanted).enumerate() {
                let error = (a - e).abs() / e.abs().max(1.0);
                worst = worst.max(error);
                assert!(
                    error <= TOLERANCE,
                    "{model} {} {} value {i}: tract {a}, tflite {e}",
                    input["kind"],
                    reference["name"]
                );
            }
        }
    }
    eprintln!("{model}: largest scaled difference from TFLite {worst:.2e}");
    worst
}

#[test]
fn palm_detector_matches_tflite() {
    check_model(hand::PALM_MODEL_FILE, hand::NORMALISATION);
}

#[test]
fn hand_landmark_model_matches_tflite() {
    check_model(hand::LANDMARK_MODEL_FILE, hand::NORMALISATION);
}

#[test]
fn face_detector_matches_tflite() {
    check_model(face::DETECTION_MODEL_FILE, face::DETECTION_NORMALISATION);
}

#[test]
fn face_landmark_model_matches_tflite() {
    check_model(face::LANDMARK_MODEL_FILE, face::LANDMARK_NORMALISATION);
}

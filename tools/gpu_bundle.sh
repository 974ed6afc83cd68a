#!/usr/bin/env bash
# Prepare what a borrowed GPU machine needs beside its own Python 3.12, JAX (CUDA), NumPy,
# pandas, SciPy, matplotlib, OpenCV and PyYAML: Keras, Flax and optax (the second
# implementation) and their small dependencies as wheels, and the four MNIST files. Everything lands in build/gpu-bundle/ (git-ignored), which the
# device call carries along (`carry: ["build/gpu-bundle"]`); the whole must stay under 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE=build/gpu-bundle
# Pinned to what this project tests with (pyproject.toml); binary wheels for CPython 3.12.
WHEELS=(keras==3.15.1 namex optree h5py absl-py rich markdown-it-py mdurl pygments
        flax==0.12.8 optax==0.2.8 msgpack treescope)
rm -rf "$BUNDLE" && mkdir -p "$BUNDLE/wheels" "$BUNDLE/mnist"
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --abi cp312 --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
    -d "$BUNDLE/wheels" "${WHEELS[@]}"
MIRROR="${MNIST_MIRROR:-../shared/mnist}"
cp "$MIRROR"/*.gz "$MIRROR"/SHA256SUMS "$BUNDLE/mnist/" 2>/dev/null || cp "$MIRROR"/*.gz "$BUNDLE/mnist/"
ls -l "$BUNDLE/wheels"
du -sh "$BUNDLE"
total=$(du -sb "$BUNDLE" | cut -f1)
if (( total > 60 * 1024 * 1024 )); then echo "error: $BUNDLE is $((total / 1048576)) MiB, over the 60 MiB allowance" >&2; exit 1; fi

#!/usr/bin/env bash
# Build KenLM's `lmplz` and `build_binary` from the kenlm source package on PyPI, for the benches
# (bench/ngram.py, bench/ngram_scale.py) and the lmplz parity tests (tests/ngram/test_kenlm_parity.py).
# Needs cmake, g++ and Boost (program_options, system, thread; Debian: libboost-program-options-dev
# libboost-system-dev libboost-thread-dev), zlib optional. Usage:
#   scripts/build_lmplz.sh [DEST]     # DEST defaults to /usr/local/bin
set -euo pipefail
DEST=${1:-/usr/local/bin}
VERSION=${KENLM_VERSION:-0.3.0}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PY=${PYTHON:-python3}
# The sdist only: no build of the Python module and no source builds of its build dependencies.
"$PY" -m pip download --disable-pip-version-check -q --no-deps --no-binary kenlm "kenlm==$VERSION" -d "$WORK"
tar -xzf "$WORK/kenlm-$VERSION.tar.gz" -C "$WORK"
cmake -S "$WORK/kenlm-$VERSION" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release -DKENLM_MAX_ORDER=6 >/dev/null
cmake --build "$WORK/build" --target lmplz build_binary -j "$(nproc)" >/dev/null
install -m 0755 "$WORK/build/bin/lmplz" "$WORK/build/bin/build_binary" "$DEST/"
echo "installed lmplz and build_binary (kenlm $VERSION) into $DEST"

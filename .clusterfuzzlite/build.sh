#!/bin/bash -eu
# SPDX-License-Identifier: GPL-2.0-only
#
# Builds the libFuzzer target fuzz/gup_fuzzer into $OUT, with its seed corpus
# ($OUT/gup_fuzzer_seed_corpus.zip, from tests/regression/*.trace). Run by
# ClusterFuzzLite / OSS-Fuzz (which set CXX, CXXFLAGS, LIB_FUZZING_ENGINE,
# OUT, WORK), or by hand from the repository:
#
#   CXX=clang++ CXXFLAGS="-O1 -g -fsanitize=address,undefined -fsanitize=fuzzer-no-link" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/gupcheck-fuzz-out bash .clusterfuzzlite/build.sh
#
# The sanitizers come from CXXFLAGS (as OSS-Fuzz passes them), the engine from
# LIB_FUZZING_ENGINE. The fuzzed variant is mainline unless
# GUPCHECK_FUZZ_VARIANT is set at build time (or in the environment at run time).

# In the body too: `bash build.sh` ignores the options of the #! line, and a
# failed build must fail the script.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ -f "$ROOT/fuzz/gup_fuzzer.cpp" ] || ROOT=${SRC:?}/gupcheck
: "${CXX:?set CXX (clang++)}" "${OUT:?set OUT (output directory)}" "${LIB_FUZZING_ENGINE:?set LIB_FUZZING_ENGINE}"
CXXFLAGS=${CXXFLAGS:-}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/gupcheck-fuzz-build.XXXXXX")}
BUILD=$WORK/gupcheck-build
mkdir -p "$OUT" "$BUILD"

cmake -S "$ROOT" -B "$BUILD" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DGUPCHECK_FUZZ=ON -DGUPCHECK_FUZZ_SANITIZE=OFF \
  -DGUPCHECK_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  -DGUPCHECK_FUZZ_VARIANT="${GUPCHECK_FUZZ_VARIANT:-mainline}"
cmake --build "$BUILD" --target gup_fuzzer parse_fuzzer gupcheck_fuzz_corpus -j "${GUPCHECK_JOBS:-2}"
cp "$BUILD/gup_fuzzer" "$BUILD/parse_fuzzer" "$OUT/"

# The seed corpus: each regression trace encoded as the bytes that decode to it.
CORPUS=$WORK/gup_fuzzer_seed_corpus
rm -rf "$CORPUS"
"$BUILD/gupcheck_fuzz_corpus" "$CORPUS" "$ROOT"/tests/regression/*.trace
rm -f "$OUT/gup_fuzzer_seed_corpus.zip"
if command -v zip >/dev/null; then
  (cd "$CORPUS" && zip -q -j "$OUT/gup_fuzzer_seed_corpus.zip" ./*.bin)
else
  python3 -c 'import sys, zipfile, pathlib
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for p in sorted(pathlib.Path(sys.argv[2]).glob("*.bin")): z.write(p, p.name)' \
    "$OUT/gup_fuzzer_seed_corpus.zip" "$CORPUS"
fi
echo "built $OUT/gup_fuzzer and $OUT/gup_fuzzer_seed_corpus.zip"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A short scripted libFuzzer run (not part of CTest: it needs the clang fuzz
# build). Builds the fuzz preset if needed, seeds the corpus from
# tests/regression, fuzzes mainline for 5 s (no crash expected), then a
# variant until its first crash (at most 10 s), and turns that crash into a
# readable trace with `gupcheck replay --from-fuzzer`.
# Usage: fuzz/smoke.sh [VARIANT]   (default zero-page-mixedmap-refcount)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VARIANT=${1:-zero-page-mixedmap-refcount}
G=$ROOT/build/release/gupcheck
F=$ROOT/build/fuzz/gup_fuzzer
[ -x "$G" ] && [ -x "$ROOT/build/release/gupcheck_fuzz_corpus" ] ||
  { echo "build the release preset first (gupcheck gupcheck_fuzz_corpus)" >&2; exit 2; }
if [ ! -x "$F" ]; then
  (cd "$ROOT" && cmake --preset fuzz >/dev/null && nice cmake --build --preset fuzz -j2)
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gupcheck-fuzz-smoke.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
"$ROOT/build/release/gupcheck_fuzz_corpus" corpus "$ROOT"/tests/regression/*.trace >/dev/null
echo "== mainline, 5 s"
if ! "$F" -max_total_time=5 -print_final_stats=1 corpus 2>mainline.log; then
  grep -E 'VIOLATION|MODEL ERROR|ERROR' mainline.log | head -5
  echo "FAIL: the fuzzer crashed on mainline (a finding: replay it with gupcheck replay --from-fuzzer)"
  exit 1
fi
grep -E 'average_exec_per_sec' mainline.log
echo "== $VARIANT, until the first crash (at most 10 s)"
mkdir empty
if GUPCHECK_FUZZ_VARIANT=$VARIANT "$F" -max_total_time=10 empty 2>variant.log; then
  echo "FAIL: no crash on $VARIANT within 10 s"
  exit 1
fi
crash=$(ls crash-* | head -1)
grep -m1 'gup_fuzzer: VIOLATION' variant.log
"$G" replay --from-fuzzer "$crash" --variant "$VARIANT" --save-trace crash.trace >replay.log || st=$?
[ "${st:-0}" -eq 1 ] || { echo "FAIL: replay --from-fuzzer exited ${st:-0}, expected 1"; exit 1; }
cat crash.trace
echo "ok"

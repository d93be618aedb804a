#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A short scripted libFuzzer run (not part of CTest: it needs the clang fuzz
# build; scripts/test.sh, and so CI, runs it). Builds the fuzz preset if
# needed, seeds the corpus from tests/regression, fuzzes mainline for
# MAINLINE_SECONDS (default 20; no crash expected), then a variant until its
# first crash (at most 10 s), turns that crash into a readable trace with
# `gupcheck replay --from-fuzzer`, and runs the parser/report-writer target
# (parse_fuzzer) for PARSE_SECONDS (default 10) from the trace files of
# tests/ (no crash expected: a user's file never ends in exit 3).
# Usage: fuzz/smoke.sh [VARIANT]   (default zero-page-mixedmap-refcount)
set -euo pipefail
MAINLINE_SECONDS=${MAINLINE_SECONDS:-20}
PARSE_SECONDS=${PARSE_SECONDS:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VARIANT=${1:-zero-page-mixedmap-refcount}
G=$ROOT/build/release/gupcheck
F=$ROOT/build/fuzz/gup_fuzzer
P=$ROOT/build/fuzz/parse_fuzzer
[ -x "$G" ] && [ -x "$ROOT/build/release/gupcheck_fuzz_corpus" ] ||
  { echo "build the release preset first (gupcheck gupcheck_fuzz_corpus)" >&2; exit 2; }
if [ ! -x "$F" ] || [ ! -x "$P" ]; then
  (cd "$ROOT" && cmake --preset fuzz >/dev/null && nice cmake --build --preset fuzz -j2)
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gupcheck-fuzz-smoke.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
"$ROOT/build/release/gupcheck_fuzz_corpus" corpus "$ROOT"/tests/regression/*.trace >/dev/null
echo "== mainline, $MAINLINE_SECONDS s"
if ! "$F" -max_total_time="$MAINLINE_SECONDS" -print_final_stats=1 corpus 2>mainline.log; then
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
echo "== parsers and report writers, $PARSE_SECONDS s"
mkdir parse_corpus
cp "$ROOT"/tests/regression/*.trace "$ROOT"/tests/scenarios/*.trace parse_corpus/
if ! "$P" -max_total_time="$PARSE_SECONDS" -max_len=4096 -print_final_stats=1 parse_corpus 2>parse.log; then
  grep -E -A5 'parse_fuzzer:|ERROR' parse.log | head -20
  echo "FAIL: parse_fuzzer crashed (a user's file would end in exit 3 or a crash)"
  exit 1
fi
grep -E 'stat::number_of_executed_units|average_exec_per_sec' parse.log
echo "ok"

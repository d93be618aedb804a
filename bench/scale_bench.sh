#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Figures for campaigns at scale (README "Campaigns at scale"):
#   1. checked operations per second, fuzz --jobs 1 against --jobs 2 (mainline)
#   2. explorer distinct states per second on one core, and bytes per state
#   3. libFuzzer executions per second (when the fuzz target is built)
#   4. per variant: the explorer's shortest trace against the RapidCheck
#      shrunk trace of `gupcheck fuzz --variant V --seed 1`
# Usage: bench/scale_bench.sh [BUILD_DIR] [SECONDS]   (default build/release, 5 s per
# fuzz measurement). Each run is at most 10 s; on a shared machine the figures are noisy.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build/release}
SECS=${2:-5}
G=$BUILD/gupcheck
FUZZER=${GUPCHECK_FUZZER:-$ROOT/build/fuzz/gup_fuzzer}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gupcheck-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
[ -x "$G" ] || { echo "build gupcheck first ($G)" >&2; exit 2; }

echo "== checked operations per second, mainline, seed 1, ${SECS} s each"
declare -A OPS CPU
for j in 1 2; do
  "$G" fuzz --seed 1 --time "$SECS" --jobs $j --out "$TMP/o" >"$TMP/f$j" 2>&1
  OPS[$j]=$(sed -nE 's/^summary: .*\(([0-9]+) ops\/s\).*/\1/p' "$TMP/f$j")
  CPU[$j]=$(sed -nE 's/^cpu: .*\(([0-9]+) ops per CPU second\).*/\1/p' "$TMP/f$j")
  echo "jobs $j: ${OPS[$j]} ops/s wall, ${CPU[$j]} ops per CPU second   ($(grep -m1 '^summary' "$TMP/f$j" | cut -c10-80))"
done
# What 2 idle cores would give if each worker kept its per-CPU-second rate:
# the parallel overhead shows as a lower rate per CPU second with 2 jobs.
awk -v a="${CPU[1]}" -v b="${CPU[2]}" 'BEGIN { if (a > 0) printf "projected on 2 idle cores: %.2fx (2 x per-CPU-second rate ratio)\n", 2 * b / a }'
awk -v a="${OPS[1]}" -v b="${OPS[2]}" -v n="$(nproc)" -v l="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN { if (a > 0) printf "speed-up 2 jobs / 1 job: %.2fx (goal 1.8x; %s cores, load average %s)\n", b / a, n, l }'

echo "== explorer, one core, mainline, depth 6 (procs 2, pages 1, maps 1, gups 2)"
"$G" explore --depth 6 --graph-cap 0 --out "$TMP/e" | grep explored

if [ -x "$FUZZER" ]; then
  echo "== libFuzzer, mainline, 10 s, seed corpus from tests/regression"
  "$BUILD/gupcheck_fuzz_corpus" "$TMP/corpus" "$ROOT"/tests/regression/*.trace >/dev/null
  (cd "$TMP" && "$FUZZER" -max_total_time=10 -print_final_stats=1 "$TMP/corpus" 2>&1 |
    grep -E 'average_exec_per_sec|number_of_executed_units')
else
  echo "== libFuzzer: $FUZZER not built (cmake --preset fuzz && cmake --build --preset fuzz)"
fi

echo "== shortest trace per variant: explorer (depth <= 6) against RapidCheck shrinking (seed 1, <= 10 s)"
printf '%-30s %-24s %8s   %-24s %8s\n' variant explorer-invariant ops fuzz-invariant ops
for v in $("$G" list variants | grep -E '^[a-z]' | awk '{print $1}'); do
  [ "$v" = mainline ] && continue
  "$G" explore --variant "$v" --depth 6 --graph-cap 0 --out "$TMP/x" >"$TMP/e.$v" 2>&1
  ei=$(sed -nE 's/^result: VIOLATION ([A-Za-z0-9]+), shortest trace ([0-9]+) operations.*/\1/p' "$TMP/e.$v")
  el=$(sed -nE 's/^result: VIOLATION ([A-Za-z0-9]+), shortest trace ([0-9]+) operations.*/\2/p' "$TMP/e.$v")
  "$G" fuzz --variant "$v" --seed 1 --time 10 --shrink-time 10 --out "$TMP/y" >"$TMP/f.$v" 2>&1
  fi_=$(sed -nE 's/^result: VIOLATION ([A-Za-z0-9]+) at case.*/\1/p' "$TMP/f.$v")
  fl=$(sed -nE 's/^shrunk from [0-9]+ to ([0-9]+) operations.*/\1/p' "$TMP/f.$v")
  printf '%-30s %-24s %8s   %-24s %8s\n' "$v" "${ei:-none}" "${el:--}" "${fi_:-none}" "${fl:--}"
done

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Shrinking at scale (README "Shrinking"): peak RSS and wall time of
# `gupcheck shrink --shrink-time CAP` on failing traces of 10^3, 10^4 and 10^5
# operations, one per seed.
#
# The traces: fork-shares-pinned-pages (PinnedAnonIsExclusive at the fork),
# with N-4 filler operations between the pin and the fork: writes, reads,
# madvise(DONTNEED), and get/put pairs on a second mapping, drawn by awk from
# the seed. Only the 4 operations of the bug matter; the shrinker has to find
# them under its time cap.
#
# Usage: bench/shrink_bench.sh [BUILD_DIR] [CAP_SECONDS] [SEEDS] [SIZES]
#          (default build/release, 2 s, "1 2 3 4 5 6 7 8 9 10", "1000 10000 100000")
#        bench/shrink_bench.sh --gen N SEED    prints one trace of N operations
set -u

# gen N SEED: a failing trace of N operations (N >= 8).
gen() {
  awk -v n="$1" -v seed="$2" 'BEGIN {
    srand(seed)
    print "# gupcheck trace v1"
    print "# model: fork-shares-pinned-pages"
    print "# shrink_bench: " n " operations, seed " seed
    print "m0 = mmap p0 anon private rw 1"
    print "write p0 m0+0 0x1"
    print "g0 = pin p0 m0+0 1 0"
    print "m1 = mmap p0 anon private rw 8"
    left = n - 5; g = 1; open_n = 0; open_lo = 0
    while (left > 0) {
      r = rand()
      pg = int(rand() * 8)
      if (open_n > 0 && (r < 0.15 || left <= open_n)) {
        # put the oldest open GUP call
        print "put g" open_g[open_lo]; delete open_g[open_lo]; open_lo++; open_n--
      } else if (r < 0.30 && left > open_n + 1 && g < 60000) {
        print "g" g " = get p0 m1+" pg " 1 0"; open_g[open_lo + open_n] = g; open_n++; g++
      } else if (r < 0.60) {
        printf "write p0 m1+%d 0x%x\n", pg, int(rand() * 65536) + 1
      } else if (r < 0.95) {
        print "read p0 m1+" pg
      } else {
        print "madvise p0 m1+" pg " 1 dontneed"
      }
      left--
    }
    print "p1 = fork p0"
  }'
}

if [ "${1:-}" = "--gen" ]; then
  gen "$2" "$3"
  exit 0
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build/release}
CAP=${2:-2}
SEEDS=${3:-"1 2 3 4 5 6 7 8 9 10"}
SIZES=${4:-"1000 10000 100000"}
G=$BUILD/gupcheck
[ -x "$G" ] || { echo "build gupcheck first ($G)" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gupcheck-shrink-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

echo "gupcheck shrink --shrink-time $CAP; seeds: $SEEDS"
# wall: the whole command (reading and the first replay included); shrink: the
# shrinking itself, as gupcheck shrink reports it (what --shrink-time caps).
printf "%8s %5s %9s %9s %9s %8s %8s\n" ops seed "wall(s)" "shrink(s)" "RSS(MB)" status shrunk
for n in $SIZES; do
  for s in $SEEDS; do
    gen "$n" "$s" >"$TMP/t.trace"
    /usr/bin/time -f "%e %M" -o "$TMP/time" "$G" shrink "$TMP/t.trace" --shrink-time "$CAP" -o "$TMP/s.trace" \
      2>"$TMP/err"
    st=$?
    read -r wall kb <"$TMP/time" 2>/dev/null || { wall=0; kb=0; }
    # /usr/bin/time writes "Command exited with non-zero status N" first when N != 0
    wall=$(tail -1 "$TMP/time" | cut -d' ' -f1)
    kb=$(tail -1 "$TMP/time" | cut -d' ' -f2)
    shr=$(sed -nE 's/.* operations in ([0-9.]+) s .*/\1/p' "$TMP/err" | tail -1)
    printf "%8d %5d %9.2f %9.2f %9.1f %8d %8s\n" "$n" "$s" "$wall" "${shr:-0}" "$(awk -v k="$kb" 'BEGIN{print k/1024}')" \
      "$st" "$(grep -c -v '^#' "$TMP/s.trace" 2>/dev/null || echo -)"
    echo "$n $wall $kb ${shr:-0}" >>"$TMP/all"
  done
done
echo "per size: min / median / max of wall time (s), shrinking time (s), peak RSS (MB)"
for n in $SIZES; do
  # min / median / max of one column over the seeds of size n
  stat() { awk -v n="$n" -v c="$1" -v d="$2" '$1 == n { print $c / d }' "$TMP/all" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR) printf "%.2f / %.2f / %.2f", v[1], v[int((NR + 1) / 2)], v[NR] }'; }
  echo "$(printf %8d "$n") ops: wall $(stat 2 1) s, shrinking $(stat 4 1) s, peak RSS $(stat 3 1024) MB" \
    "($(awk -v n="$n" '$1 == n' "$TMP/all" | wc -l) seeds)"
done

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The model's coverage registry (model/coverage.h) and its points agree: every
# registered point sits in model/*.cpp (GUP_COV(id)) and every GUP_COV names
# a registered point, so "never reached" lists only points a run could reach.
# Then a short mainline campaign reaches most of them, and `--stats` lists
# hit/reachable per kernel function and the never-reached branches that add up.
# Usage: points_test.sh SOURCE_DIR GUPCHECK
set -euo pipefail
src=$1 G=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
registered=$(sed -nE 's/^  X\(([a-z0-9_]+),.*/\1/p' "$src/model/coverage.h" | sort)
used=$(grep -ohE 'GUP_COV\([a-z0-9_]+\)' "$src"/model/*.cpp | sed -E 's/GUP_COV\((.*)\)/\1/' | sort -u)
[ -n "$registered" ] || fail "no points registered"
missing=$(comm -23 <(echo "$registered") <(echo "$used"))
unknown=$(comm -13 <(echo "$registered") <(echo "$used"))
[ -z "$missing" ] || fail "registered but never placed in model/: $missing"
[ -z "$unknown" ] || fail "placed but not registered: $unknown"
n=$(echo "$registered" | wc -l)
out=$("$G" fuzz --seed 1 --cases 3000 --stats --out "${TMPDIR:-/tmp}/gupcheck-cov-$$" 2>/dev/null)
rm -rf "${TMPDIR:-/tmp}/gupcheck-cov-$$"
line=$(echo "$out" | grep -E '^branches: [0-9]+/[0-9]+ reached')
reached=$(echo "$line" | sed -E 's/^branches: ([0-9]+)\/([0-9]+).*/\1/')
total=$(echo "$line" | sed -E 's/^branches: ([0-9]+)\/([0-9]+).*/\2/')
[ "$total" -eq "$n" ] || fail "--stats counts $total points, the registry has $n"
[ "$reached" -ge $((n * 3 / 4)) ] || fail "a mainline campaign reached only $reached of $n branches"
never=$(echo "$out" | sed -nE 's/^branches never reached \(([0-9]+)\):/\1/p')
[ "$((reached + never))" -eq "$n" ] || fail "reached $reached + never reached $never != $n"
echo "$out" | grep -qE '^  follow_page_pte +[0-9]+/[0-9]+' || fail "no follow_page_pte row"
echo "coverage points: $n registered and placed; mainline reached $reached"

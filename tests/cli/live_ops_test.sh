#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `gupcheck list ops` marks every op kind live-expressible or not; this test
# holds the marking to the oracle: the example trace of every kind marked
# "yes" is accepted by `gupcheck diff` (exit 0, model and kernel agree), and
# that of every kind marked "no" is refused with exit 2 and the same reason.
# Needs root and /proc/kpageflags; otherwise exits 77 (CTest: skipped).
# Usage: tests/cli/live_ops_test.sh PATH/TO/gupcheck
set -u
GUPCHECK=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
TEST_NAME=live-ops
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || [ ! -r /proc/kpageflags ]; then
  echo "SKIPPED: the live kernel tests need root and a readable /proc/kpageflags"
  exit 77
fi

expect 0 list ops --tsv
cp "$OUT" kinds.tsv
kinds=$(wc -l <kinds.tsv)
[ "$kinds" -ge 40 ] || fail "only $kinds op kinds listed"
yes=0
i=0
while IFS=$'\t' read -r kind mark reason example; do
  i=$((i + 1))
  { echo '# gupcheck trace v1'; printf '%s\n' "$example" | sed 's/ ; /\n/g'; } >"kind$i.trace"
  if [ "$mark" = yes ]; then
    yes=$((yes + 1))
    expect 0 diff "kind$i.trace" --shrink-time 0 && contains "$OUT" "agree on all" || echo "  (kind: $kind)"
  else
    [ -n "$reason" ] || fail "$kind is marked not live-expressible without a reason"
    expect 2 diff "kind$i.trace" && contains "$ERR" "$reason" || echo "  (kind: $kind)"
  fi
done <kinds.tsv
# The human table says the same count.
expect 0 list ops && contains "$OUT" "Op kinds on the live kernel: $yes of $kinds live-expressible"
echo "$yes of $kinds op kinds live-expressible"
[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "live ops: all checks passed"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# gupcheck mutate, bounded: bad usage exits 2 before building anything; --list
# names mutants by stable id with their kernel function; one known-killable
# mutant (do_anonymous_page() no longer counting its new page in rss) is built
# in a scratch copy and killed by A10 RssExcludesSpecial, in the report format
# the README documents; the source tree is left untouched.
# Usage: tests/cli/mutate_test.sh GUPCHECK SOURCE_DIR WORK_DIR
set -u
if [ $# -ne 3 ]; then
  echo "usage: $0 GUPCHECK SOURCE_DIR WORK_DIR" >&2
  exit 2
fi
GUPCHECK=$1
SRC=$2
WORK=$3
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
expect_status() {
  local want=$1
  shift
  "$GUPCHECK" "$@" >"$WORK.log" 2>&1
  local got=$?
  [ "$got" -eq "$want" ] || { fail "gupcheck $* exited $got, expected $want"; cat "$WORK.log"; }
}
mkdir -p "$(dirname "$WORK")"
expect_status 2 mutate --source "$SRC" --files model/nonexistent.cpp --list
expect_status 2 mutate --source "$SRC" --files trace/text.cpp --list
expect_status 2 mutate --source "$SRC" --mutants model/memory.cpp@nothing#eq-ne.0 --list
expect_status 2 mutate --source "$SRC" --invariants NoSuchInvariant --mutants x
expect_status 2 mutate --source /nonexistent --list

KILLABLE='model/memory.cpp@do_anonymous_page#drop-counter.0'
list=$("$GUPCHECK" mutate --source "$SRC" --files model/memory.cpp --list)
grep -qxF "$KILLABLE model/memory.cpp:$(grep -n 'mm.rss\[MM_ANONPAGES\]++;' "$SRC/model/memory.cpp" | head -1 | cut -d: -f1) mm/memory.c do_anonymous_page()" <<<"$list" ||
  fail "--list does not name $KILLABLE at its line with its kernel function"
grep -Eq '^[0-9]+ mutants$' <<<"$list" || fail "--list does not end with the count"

before=$(cd "$SRC" && git status --porcelain 2>/dev/null; md5sum model/memory.cpp)
out=$("$GUPCHECK" mutate --source "$SRC" --work "$WORK" --mutants "$KILLABLE" --budget 3 --seeds 1 2>&1)
status=$?
echo "$out"
[ "$status" -eq 0 ] || fail "mutate exited $status with its only mutant killed, expected 0"
grep -Eq "^gupcheck mutate: 1 of [0-9]+ mutants in [0-9]+ files, campaign: mainline, seeds 1-1, 3 s each, every invariant, 1 job$" <<<"$out" ||
  fail "no header line"
grep -Eq "^killed +model/memory.cpp:[0-9]+ $KILLABLE \[mm/memory.c do_anonymous_page\(\)\] by RssExcludesSpecial at case [0-9]+ .*\(seed 1\)$" <<<"$out" ||
  fail "the known-killable mutant is not reported killed by RssExcludesSpecial"
grep -qxF "score: 1 killed / 1 non-equivalent = 100.0% (0 survived, 0 equivalent-suspect, 0 unbuildable)" <<<"$out" ||
  fail "no score line"
after=$(cd "$SRC" && git status --porcelain 2>/dev/null; md5sum model/memory.cpp)
[ "$before" = "$after" ] || fail "mutate changed the source tree"
[ "$failures" -eq 0 ] && echo "ok: mutate"
exit $((failures > 0))

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Exit statuses and outputs of the gupcheck command line (0 nothing found,
# 1 violation, 2 bad usage or input). One case per CTest test.
# Usage: tests/cli/cli_test.sh PATH/TO/gupcheck CASE
#   CASE: list | usage | fuzz_mainline | fuzz_variant | fuzz_points | replay_errors | coverage | replay_graph | gate
set -u
. "$(dirname "$0")/../python.sh"  # Debian's python3

if [ $# -ne 2 ]; then
  echo "usage: $0 GUPCHECK CASE" >&2
  exit 2
fi
CASE=$2
if [ ! -x "$1" ] || [ -d "$1" ]; then
  echo "FAIL: $1 is not an executable" >&2
  exit 1
fi
GUPCHECK=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")  # absolute: the cases run elsewhere
README=$(cd "$(dirname "$0")/../.." && pwd)/README.md
VALIDATE=$(cd "$(dirname "$0")/../../schemas" && pwd)/validate.py

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case_list() {
  for what in invariants variants ops; do
    if expect 0 list "$what"; then [ -s "$OUT" ] || fail "list $what printed nothing"; fi
  done
  expect 0 list invariants && contains "$OUT" "ZeroPageNeverRefcounted"
  # One invariant count everywhere: list, fuzz's banner and the README.
  local n
  n=$(sed -nE 's/^([0-9]+) invariants \(TypeOK and Expectation always checked\)$/\1/p' "$OUT")
  [ -n "$n" ] || fail "list invariants prints no count"
  expect 0 fuzz --cases 1 --seed 1 --out "$TMP/count" && contains "$OUT" ", $n invariants,"
  grep -q "prints all $n with statement" "$README" || fail "README's invariant count is not $n"
  expect 0 list variants && contains "$OUT" "zero-page-mixedmap-refcount"
  expect 0 list ops && contains "$OUT" "mmap"
  expect 2 list nonsense
  expect 2
}

case_usage() {
  # RC_PARAMS: seed, max_size and max_success stand for the flags not given; others are ignored, once, aloud.
  RC_PARAMS="seed=5 max_success=7 noshrink=1" expect 0 fuzz --out "$TMP/rc" && contains "$OUT" "seed 5, 7 cases" &&
    contains "$ERR" "RC_PARAMS: ignoring noshrink"
  RC_PARAMS="seed=5 max_success=7" expect 0 fuzz --seed 6 --cases 2 --out "$TMP/rc" && contains "$OUT" "seed 6, 2 cases"
  RC_PARAMS="max_size=0" expect 2 fuzz --out "$TMP/rc"
  expect 2 fuzz --bogus
  expect 2 fuzz --variant nope && contains "$ERR" "nope"
  expect 2 fuzz --time -1
  expect 2 fuzz --cases 5 --invariants NoSuchInvariant
  expect 2 replay
  local f
  for f in "$TMP"/* "$TMP"/.[!.]*; do
    [ -e "$f" ] || continue
    case ${f##*/} in stdout | stderr) ;; *) fail "a refused command wrote ${f##*/}" ;; esac
  done
}

case_fuzz_mainline() {
  expect 0 fuzz --seed 7 --cases 300 --out "$TMP/out1" || return
  contains "$OUT" "seed 7"
  grep '^result:' "$OUT" >"$TMP/result1"
  [ -s "$TMP/result1" ] || fail "no 'result:' line"
  expect 0 fuzz --seed 7 --cases 300 --out "$TMP/out2" || return
  grep '^result:' "$OUT" >"$TMP/result2"
  cmp -s "$TMP/result1" "$TMP/result2" || fail "two runs with seed 7 differ: $(cat "$TMP/result1") vs $(cat "$TMP/result2")"
  # Nothing found, nothing written.
  [ -z "$(ls -A "$TMP/out1" 2>/dev/null)" ] || fail "a clean campaign wrote $(ls "$TMP/out1")"
}

# junit_count FILE ELEMENT: how many <ELEMENT occur in FILE.
junit_count() { grep -o "<$2[ >]" "$1" | wc -l; }

case_gate() {
  # A small gate: mainline plus two variants (one sequential, one
  # interleaving), each caught by its manifest invariant.
  expect 0 gate --budget 20 --mainline-budget 1 --variants mainline,refcount-overflow,gup-fast-races-fork \
    --junit "$TMP/gate.xml" --json "$TMP/gate.json" || return
  contains "$OUT" "gate: 3 of 3 results match the manifest"
  contains "$OUT" "GupFastForkSeq"
  [ "$(junit_count "$TMP/gate.xml" testcase)" -eq 3 ] || fail "JUnit has $(junit_count "$TMP/gate.xml" testcase) testcases, expected 3"
  [ "$(junit_count "$TMP/gate.xml" failure)" -eq 0 ] || fail "JUnit of a passing gate has failures"
  contains "$TMP/gate.json" '"passed": true'
  contains "$TMP/gate.xml" 'name="refcount-overflow"'
  contains "$TMP/gate.json" '   # -> '  # gup-fast-races-fork's trace shows where its resume stopped
  # The same seed gives the same variant rows (minus times; mainline's case
  # count depends on its time budget).
  awk '$2 == "caught" || $2 == "FAIL" {print $1, $2, $3, $5, $6}' "$OUT" >"$TMP/run1"
  expect 0 gate --budget 20 --mainline-budget 1 --variants mainline,refcount-overflow,gup-fast-races-fork || return
  awk '$2 == "caught" || $2 == "FAIL" {print $1, $2, $3, $5, $6}' "$OUT" >"$TMP/run2"
  [ "$(wc -l <"$TMP/run1")" -eq 2 ] || fail "expected two variant rows"
  cmp -s "$TMP/run1" "$TMP/run2" || fail "two gate runs with the default seed differ"
  # A budget too small to catch dirty-cow: the result does not match the manifest.
  expect 1 gate --budget 0.001 --variants dirty-cow --junit "$TMP/fail.xml" || return
  contains "$OUT" "not caught within the budget"
  [ "$(junit_count "$TMP/fail.xml" failure)" -eq 1 ] || fail "JUnit of a failing gate lacks its failure"
  # Bad flags.
  expect 2 gate --budget -1
  expect 2 gate --variants no-such-variant && contains "$ERR" "no-such-variant"
  expect 2 gate --bogus
}

case_fuzz_variant() {
  local dir=$TMP/found
  expect 1 fuzz --variant zero-page-mixedmap-refcount --seed 3 --time 20 --out "$dir" || return
  contains "$OUT" "seed 3"
  contains "$OUT" "VIOLATION"
  local shrunk="" unshrunk="" f
  for f in "$dir"/*.trace; do
    [ -e "$f" ] || continue
    case $f in
      *.unshrunk.trace) [ -n "$unshrunk" ] || unshrunk=$f ;;
      *) [ -n "$shrunk" ] || shrunk=$f ;;
    esac
  done
  [ -n "$shrunk" ] || { fail "no shrunk .trace in $dir: $(ls "$dir")"; return; }
  [ -n "$unshrunk" ] || fail "no .unshrunk.trace in $dir"
  local base=${shrunk%.trace}
  [ -s "$base.txt" ] || fail "no $base.txt"
  [ -s "$base.json" ] || fail "no $base.json"
  head -n 1 "$shrunk" | grep -qx '# gupcheck trace v1' || fail "$shrunk lacks the header"

  expect 1 replay "$shrunk"  # the trace's '# model:' line names the variant
  expect 1 replay "$shrunk" --variant zero-page-mixedmap-refcount
  expect 0 replay "$shrunk" --variant mainline
  if expect 1 replay "$shrunk" --json "$TMP/report.json"; then [ -s "$TMP/report.json" ] || fail "no JSON report"; fi
  if [ -n "$unshrunk" ]; then
    expect 1 shrink "$unshrunk" --shrink-time 10 -o "$TMP/reshrunk.trace"
    expect 1 replay "$TMP/reshrunk.trace"
    expect 0 shrink "$unshrunk" --variant mainline
  fi
}

# A saved counterexample shows where each resumed GUP call stopped
# ("resume g0   # -> after faultin_page, page 0"), and still replays.
case_fuzz_points() {
  local dir=$TMP/points f
  expect 1 fuzz --variant dirty-cow --seed 1 --time 20 --shrink-time 5 --out "$dir" || return
  contains "$OUT" "VIOLATION ForcedWriteOnlyExclusiveAnon"
  contains "$OUT" "   # -> after faultin_page"  # the printed trace is the file's
  local shrunk=$dir/ForcedWriteOnlyExclusiveAnon-seed1.trace
  [ -s "$shrunk" ] || { fail "no $shrunk: $(ls "$dir")"; return; }
  for f in "$shrunk" "$dir/ForcedWriteOnlyExclusiveAnon-seed1.unshrunk.trace"; do
    grep -qE '^resume g[0-9]+   # -> ' "$f" || fail "$(basename "$f") has no resume point: $(cat "$f")"
    # Only resume lines carry one.
    grep -E '   # -> ' "$f" | grep -vqE '^resume ' && fail "$(basename "$f") has a point on another line"
  done
  contains "$shrunk" "   # -> after faultin_page, page 0"
  expect 1 replay "$shrunk" && contains "$OUT" "Invariant violated: ForcedWriteOnlyExclusiveAnon"
  expect 0 replay "$shrunk" --variant mainline
  # shrink -o writes the points too.
  expect 1 shrink "$dir/ForcedWriteOnlyExclusiveAnon-seed1.unshrunk.trace" --shrink-time 5 --output "$TMP/re.trace" || return
  contains "$TMP/re.trace" "   # -> after faultin_page"
  expect 1 replay "$TMP/re.trace"
  # With --jobs: the workers' files and the summary's trace.
  expect 1 fuzz --variant dirty-cow --seed 1 --time 20 --shrink-time 5 --jobs 2 --out "$TMP/jobs" \
    --summary-json "$TMP/summary.json" || return
  shrunk=$(ls "$TMP"/jobs/ForcedWriteOnlyExclusiveAnon-seed1-case*.trace 2>/dev/null | grep -v unshrunk | head -1)
  [ -n "$shrunk" ] || { fail "no shrunk trace in $TMP/jobs: $(ls "$TMP/jobs")"; return; }
  contains "$shrunk" "   # -> after faultin_page"
  contains "$TMP/summary.json" "   # -> after faultin_page"
  expect 1 replay "$shrunk" && contains "$OUT" "Invariant violated: ForcedWriteOnlyExclusiveAnon"
}

case_replay_errors() {
  expect 2 replay "$TMP/does-not-exist.trace"

  printf '%s\n' '# not a gupcheck trace' 'm0 = mmap p0 anon private rw 1' >"$TMP/header.trace"
  expect 2 replay "$TMP/header.trace"

  printf '%s\n' '# gupcheck trace v1' 'm0 = mmap p0 anon private rw 1' 'frobnicate p0 m0+0' \
    'read p0 m0+0' >"$TMP/unknown-op.trace"
  expect 2 replay "$TMP/unknown-op.trace" && contains "$ERR" "line 3"

  printf '%s\n' '# gupcheck trace v1' 'm0 = mmap p0 anon private rw 1' 'read p0 m5+0' >"$TMP/inconsistent.trace"
  expect 2 replay "$TMP/inconsistent.trace" && contains "$ERR" "m5"
  # Consistency errors name the file's line (the README promises it), comments and blank lines counted.
  printf '%s\n' '# gupcheck trace v1' '# a note' '' 'm0 = mmap p0 anon private rw 1' '  # indented' 'read p0 m5+0' \
    >"$TMP/inconsistent-lines.trace"
  expect 2 replay "$TMP/inconsistent-lines.trace" && contains "$ERR" "line 6 (step 2): m5"

  # A comment with bytes that are not UTF-8 (issue 12 item 5): the JSON report
  # replaces them, the run is not an internal error.
  printf '# gupcheck trace v1\n# note \377\376 not UTF-8\nm0 = mmap p0 anon private rw 1\nread p0 m0+0 \377\n' \
    >"$TMP/bytes.trace"
  expect 2 replay "$TMP/bytes.trace" --json "$TMP/bytes.json"
  sed -i '$d' "$TMP/bytes.trace" && printf 'read p0 m0+0\n' >>"$TMP/bytes.trace"
  expect 0 replay "$TMP/bytes.trace" --json "$TMP/bytes.json" && contains "$TMP/bytes.json" '"note'
  # A saved trace's '# invariants:' line selects what replay checks; an unknown name is bad input.
  printf '%s\n' '# gupcheck trace v1' '# invariants: NoSuchInvariant' 'm0 = mmap p0 anon private rw 1' \
    >"$TMP/unknown-invariant.trace"
  expect 2 replay "$TMP/unknown-invariant.trace" && contains "$ERR" "NoSuchInvariant"
  expect 0 replay "$TMP/unknown-invariant.trace" --invariants all
  expect 2 shrink "$TMP/inconsistent.trace"

  printf '%s\n' '# gupcheck trace v1' '# model: no-such-variant' 'm0 = mmap p0 anon private rw 1' >"$TMP/variant.trace"
  expect 2 replay "$TMP/variant.trace"

  # A well-formed trace on mainline holds.
  printf '%s\n' '# gupcheck trace v1' 'm0 = mmap p0 anon private rw 1' 'read p0 m0+0' \
    'g0 = pin p0 m0+0 1 LONGTERM' 'unpin g0' >"$TMP/good.trace"
  expect 0 replay "$TMP/good.trace"
}

case_coverage() {
  # --stats prints the coverage table; --stats-json writes it.
  expect 0 fuzz --cases 200 --seed 1 --stats --stats-json "$TMP/stats.json" || return
  contains "$OUT" "GUP outcomes"
  contains "$OUT" "n == nr_pages"
  contains "$OUT" "PinnedPageAtFork"
  contains "$TMP/stats.json" '"witnesses"'
  expect 0 fuzz --cases 200 --seed 1 --stats --jobs 2 --out "$TMP/j" || return
  contains "$OUT" "GUP outcomes"
  contains "$OUT" "coverage: 200 cases"
  # A witness is reached (exit 1) with a trace that replays to it.
  expect 1 fuzz --witness DumpOverHoles --cases 200 --seed 1 --shrink-time 1 --out "$TMP/w" || return
  contains "$OUT" "WITNESS REACHED (expected) DumpOverHoles"
  expect 1 replay "$TMP/w/DumpOverHoles-seed1.trace" --invariants DumpOverHoles
  # The file's '# invariants: DumpOverHoles' header makes the printed replay command reach it too,
  expect 1 replay "$TMP/w/DumpOverHoles-seed1.trace" && contains "$OUT" "DumpOverHoles"
  # and every invariant holds on it.
  expect 0 replay "$TMP/w/DumpOverHoles-seed1.trace" --invariants all
  expect 2 fuzz --witness NoSuchWitness --cases 5
  contains "$ERR" "unknown witness"
  expect 2 fuzz --witness W1 --invariants A1 --cases 5
  expect 0 list witnesses
  contains "$OUT" "KsmZeroPageWritten"
  # A scenario expectation that does not hold is a violation naming expected and actual.
  printf '%s\n' '# gupcheck trace v1' 'm0 = mmap p0 anon private rw 1' 'write p0 m0+0 0x1' \
    'read p0 m0+0 => 0x2' >"$TMP/expect.trace"
  expect 1 replay "$TMP/expect.trace"
  contains "$OUT" "Invariant violated: Expectation"
  contains "$OUT" "expected 0x2, got 0x1"
  printf '%s\n' '# gupcheck trace v1' 'm0 = mmap p0 anon private rw 1' 'read p0 m0+0 => -ENOPE' >"$TMP/bad.trace"
  expect 2 replay "$TMP/bad.trace"
  contains "$ERR" "line 3"
}

case_replay_graph() {
  printf '%s\n' '# gupcheck trace v1' '# model: zero-page-mixedmap-refcount' 'm0 = mmap p0 mixedmap private rw 1' \
    'read p0 m0+0' >"$TMP/zero.trace"
  # Before and after the failing step, the zero page highlighted.
  if expect 1 replay "$TMP/zero.trace" --dot "$TMP/zero.dot"; then
    contains "$TMP/zero.dot" "digraph G {"
    contains "$TMP/zero.dot" "BEFORE step 2: read p0 m0+0"
    contains "$TMP/zero.dot" "AFTER step 2: read p0 m0+0"
    grep -q '^a_pfn_0x1 \[.*color=red' "$TMP/zero.dot" || fail "the zero page after the step is not highlighted"
  fi
  # A trace that holds: the final state alone.
  if expect 0 replay "$TMP/zero.trace" --variant mainline --dot "$TMP/holds.dot"; then
    contains "$TMP/holds.dot" "FINAL STATE"
    grep -q 'BEFORE' "$TMP/holds.dot" && fail "a holding trace drew a 'before' state"
  fi
  if command -v dot >/dev/null 2>&1; then
    if expect 1 replay "$TMP/zero.trace" --dot "$TMP/both.dot" --svg "$TMP/zero.svg"; then
      contains "$TMP/zero.svg" "<svg"
      dot -Tsvg "$TMP/both.dot" -o /dev/null 2>"$TMP/dot.err" || fail "dot refuses the --dot output: $(cat "$TMP/dot.err")"
    fi
  else
    echo "note: Graphviz's dot is not installed: --svg output not checked"
  fi
  # No Graphviz: --svg is refused with a clear message, before anything runs.
  PATH=/nonexistent "$GUPCHECK" replay "$TMP/zero.trace" --svg "$TMP/nodot.svg" >"$OUT" 2>"$ERR"
  local got=$?
  [ "$got" -eq 2 ] || fail "--svg without dot exited $got, expected 2"
  contains "$ERR" "Graphviz"
  [ -e "$TMP/nodot.svg" ] && fail "--svg without dot wrote a file"
  expect 2 replay "$TMP/zero.trace" --dot "$TMP/no/such/dir/x.dot" && contains "$ERR" "does not exist"
  expect 2 fuzz --cases 1 --html "$TMP/no/such/dir/x.html"
  expect 2 fuzz --cases 1 --jobs 2 --html "$TMP/jobs.html" && contains "$ERR" "--jobs"
}

case "$CASE" in
  list) case_list ;;
  coverage) case_coverage ;;
  replay_graph) case_replay_graph ;;
  usage) case_usage ;;
  fuzz_mainline) case_fuzz_mainline ;;
  fuzz_variant) case_fuzz_variant ;;
  fuzz_points) case_fuzz_points ;;
  replay_errors) case_replay_errors ;;
  gate) case_gate ;;
  *)
    echo "unknown case $CASE" >&2
    exit 2
    ;;
esac

# Every JSON document the case wrote conforms to its schema (schemas/).
mapfile -t written < <(find "$TMP" -name '*.json' -type f | sort)
if [ ${#written[@]} -gt 0 ]; then
  python3 "$VALIDATE" "${written[@]}" >"$TMP/validate.log" 2>&1 || { fail "JSON output not conforming to its schema"; cat "$TMP/validate.log"; }
fi

if [ "$failures" -ne 0 ]; then
  echo "$CASE: $failures failure(s)"
  exit 1
fi
echo "$CASE: all passed"
exit 0

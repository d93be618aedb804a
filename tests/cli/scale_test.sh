#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Campaigns at scale: fuzz --jobs/--shard, merge, explore, replay --from-fuzzer.
# One case per CTest test, each a few seconds.
# Usage: tests/cli/scale_test.sh GUPCHECK FUZZ_CORPUS_TOOL REGRESSION_DIR CASE
#   CASE: jobs_determinism | shard_merge | worker_crash | sigterm | explore | from_fuzzer
set -u
. "$(dirname "$0")/../python.sh"  # Debian's python3
if [ $# -ne 4 ]; then
  echo "usage: $0 GUPCHECK FUZZ_CORPUS_TOOL REGRESSION_DIR CASE" >&2
  exit 2
fi
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
GUPCHECK=$(abs "$1")
CORPUS_TOOL=$(abs "$2")
REGRESSION=$(cd "$3" && pwd)
CASE=$4
VALIDATE=$(cd "$(dirname "$0")/../../schemas" && pwd)/validate.py
TEST_NAME=scale
# The scratch directory and fail/run/has (tests/cli/lib.sh, shared with the other CLI tests).
. "$(dirname "$0")/lib.sh"
# The "N cases, M operations" of a summary line.
counts() { grep -m1 '^summary:' "$1" | sed -E 's/^summary: ([0-9]+) cases, ([0-9]+) operations.*/\1 \2/'; }

case_jobs_determinism() {
  # The same seed with 1 and 2 jobs: the same lowest failing case, the same
  # shrunk counterexample, byte for byte.
  local v=fork-shares-pinned-pages
  run 1 j1.log fuzz --variant $v --seed 1 --cases 400 --jobs 1 --out o1 --shrink-time 10 || return
  run 1 j2.log fuzz --variant $v --seed 1 --cases 400 --jobs 2 --out o2 --shrink-time 10 || return
  local first1 first2
  first1=$(grep -m1 '^VIOLATION' j1.log | sed 's/ (shard.*//')
  first2=$(grep -m1 '^VIOLATION' j2.log | sed 's/ (shard.*//')
  [ -n "$first1" ] || fail "no violation reported with --jobs 1"
  [ "$first1" = "$first2" ] || fail "first counterexample differs: '$first1' vs '$first2'"
  local c
  c=$(echo "$first1" | sed -E 's/.* at case ([0-9]+).*/\1/')
  for d in o1 o2; do
    ls "$d"/*-seed1-case"$c".trace >/dev/null 2>&1 || fail "$d has no trace for case $c"
  done
  cmp -s o1/*-seed1-case"$c".trace o2/*-seed1-case"$c".trace || fail "the shrunk traces of case $c differ"
  cmp -s o1/*-seed1-case"$c".unshrunk.trace o2/*-seed1-case"$c".unshrunk.trace || fail "the unshrunk traces differ"
  # Without a failure, the same cases and operations whatever --jobs.
  run 0 m1.log fuzz --seed 9 --cases 300 --jobs 1 --out m || return
  run 0 m3.log fuzz --seed 9 --cases 300 --jobs 3 --out m || return
  [ "$(counts m1.log)" = "$(counts m3.log)" ] || fail "cases/operations differ: $(counts m1.log) vs $(counts m3.log)"
  [ "$(counts m1.log)" != "" ] || fail "no summary line"
}

case_shard_merge() {
  run 0 all.log fuzz --seed 4 --cases 600 --out o --summary-json all.json || return
  local k
  for k in 1 2 3; do
    run 0 s$k.log fuzz --seed 4 --cases 600 --shard $k/3 --jobs 2 --out o --summary-json s$k.json --junit s$k.xml ||
      return
  done
  # Disjoint: worker w of shard k ran only cases i with i % 3 == k-1 (last_case).
  python3 - s1.json s2.json s3.json <<'PY' || fail "shard summaries break the partition"
import json, sys
total = 0
for k, f in enumerate(sys.argv[1:], 1):
    s = json.load(open(f))
    assert s["shards"] == [k] and s["shard_count"] == 3, f
    for w in s["workers"]:
        assert w["last_case"] % 3 == k - 1, (f, w)
        assert (w["last_case"] // 3) % 2 == w["id"], (f, w)
    total += s["cases"]
assert total == 600, total
PY
  run 0 merge.log merge s1.json s2.json s3.json --summary-json merged.json --junit merged.xml || return
  [ "$(counts merge.log)" = "$(counts all.log)" ] ||
    fail "merged shards ran $(counts merge.log), the whole campaign $(counts all.log)"
  python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' merged.xml || fail "merged.xml is not XML"
  # A missing shard fails the job (issue 12 item 3) and is named.
  run 2 part.log merge s1.json s3.json && has part.log "missing shards: 2/3"
  run 2 dup.log merge s1.json s1.json && has dup.log "appears twice"
  run 2 other.log merge s1.json all.json
  echo '{"x":1}' >bad.input
  run 2 bad.log merge bad.input
  run 2 badshard.log fuzz --cases 5 --shard 4/3
  run 2 badshard2.log fuzz --cases 5 --shard x
  run 2 badjobs.log fuzz --cases 5 --jobs 0
  # A variant: the merged shards report a violation, exit 1, with a JUnit failure.
  local v=zero-page-pin-counted
  for k in 1 2; do
    "$GUPCHECK" fuzz --variant $v --seed 2 --cases 400 --shard $k/2 --out vo --summary-json v$k.json >/dev/null 2>&1
  done
  run 1 vmerge.log merge v1.json v2.json --junit v.xml && has vmerge.log "VIOLATION GupGrabArithmetic"
  has v.xml "<failure"
}

case_worker_crash() {
  # Worker 1 crashes after two cases; worker 0's counterexample is kept and
  # the summary says a worker crashed.
  GUPCHECK_TEST_CRASH_WORKER=1 run 1 crash.log fuzz --variant fork-shares-pinned-pages --seed 1 --cases 400 \
    --jobs 2 --out o --summary-json s.json --junit j.xml || return
  has crash.log "WORKER CRASHED: shard 1 worker 1"
  has crash.log "VIOLATION PinnedAnonIsExclusive"
  has j.xml "worker crashed"
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["crashed"] and s["findings"]' s.json ||
    fail "the JSON summary does not record the crash and the finding"
  ls o/*.trace >/dev/null 2>&1 || fail "no counterexample on disk"
  # A crash without any finding: exit 3.
  GUPCHECK_TEST_CRASH_WORKER=0 run 3 crash0.log fuzz --seed 1 --cases 50 --jobs 2 --out o0 && has crash0.log "WORKER CRASHED"
}

case_sigterm() {
  "$GUPCHECK" fuzz --seed 3 --time 60 --jobs 2 --out o --summary-json s.json >run.log 2>&1 &
  local pid=$! i
  # Once the campaign has started (its first line is out), let it run a little.
  for i in $(seq 100); do grep -q '^gupcheck fuzz:' run.log && break; sleep 0.1; done
  sleep 1
  kill -TERM $pid
  wait $pid
  local st=$?
  [ "$st" -eq 0 ] || fail "SIGTERM: exit $st, expected 0"
  has run.log "interrupted"
  has run.log "summary:"
  [ -s s.json ] || fail "no summary written after SIGTERM"
}

case_explore() {
  run 1 v.log explore --variant zero-page-mixedmap-refcount --depth 3 --out o --dot g.dot || return
  has v.log "VIOLATION ZeroPageAlwaysSpecial, shortest trace 2 operations"
  local t
  t=$(ls o/*.trace | head -1)
  [ -n "$t" ] || { fail "no trace written"; return; }
  run 1 r.log replay "$t" && has r.log "ZeroPageAlwaysSpecial"
  grep -q digraph g.dot || fail "g.dot is not a Graphviz graph"
  run 1 v2.log explore --variant fork-shares-pinned-pages --depth 4 --out o2 &&
    has v2.log "VIOLATION PinnedAnonIsExclusive"
  # Every "found by" line the explorer writes is a command that finds the same
  # violation again (with a non-default --invariants or --alphabet named).
  run 1 v3.log explore --variant cow-reuse-by-mapcount --depth 5 --alphabet core --invariants NoLeakAcrossCow \
    --out o3 && has v3.log "VIOLATION NoLeakAcrossCow"
  local fb
  for t in o/*.trace o3/*.trace; do
    fb=$(sed -n 's/^# found by: gupcheck \(.*\) (shortest)$/\1/p' "$t")
    [ -n "$fb" ] || { fail "$t has no found-by line"; continue; }
    # shellcheck disable=SC2086
    run 1 fb.log $fb --out fbo && has fb.log "VIOLATION $(sed -n 's/^# violates: \([A-Za-z]*\) .*/\1/p' "$t")"
  done
  grep -q -- "--alphabet core --invariants NoLeakAcrossCow" o3/*.trace || fail "found-by omits --alphabet/--invariants"
  # An interrupted search says so, and claims no verdict for the scope.
  timeout -s INT 2 "$GUPCHECK" explore --variant huge-dirty-cow --depth 9 --out oi >int.log 2>&1
  has int.log "interrupted before the search to depth 9 ended"
  grep -q "within depth" int.log && fail "an interrupted search claimed a verdict for its depth"
  run 0 m.log explore --depth 3 --out om && has m.log "no invariant violated on mainline"
  [ ! -e om ] || fail "explore wrote a counterexample for mainline"
  run 2 bad.log explore --depth -1
  run 2 bad2.log explore --variant nope
}

case_from_fuzzer() {
  "$CORPUS_TOOL" corpus "$REGRESSION"/*.trace >corpus.log 2>&1 || { fail "corpus tool failed"; cat corpus.log; return; }
  local f v n=0 points=""
  for f in corpus/*.bin; do
    v=$(basename "$f" .bin)
    v=${v%%_*}
    run 1 r.log replay --from-fuzzer "$f" --variant "$v" --save-trace t.trace || continue
    grep -q "^verdict: invariant" r.log || fail "$f: no verdict"
    run 1 rr.log replay t.trace || continue  # the saved trace replays on its own
    run 0 m.log replay --from-fuzzer "$f"     # mainline holds
    n=$((n + 1))
    if [ "$v" = dirty-cow ]; then  # the saved trace shows where the resumed call stopped
      grep -qE '^resume g[0-9]+   # -> after faultin_page, page 0$' t.trace || fail "dirty-cow: no resume point in $(cat t.trace)"
      points=yes
    fi
  done
  [ "$n" -ge 8 ] || fail "only $n regression traces round-tripped"
  [ -n "$points" ] || fail "the dirty-cow regression trace did not round-trip"
  : >empty.bin
  run 0 e.log replay --from-fuzzer empty.bin
  run 2 missing.log replay --from-fuzzer no-such-file
}

case "$CASE" in
  jobs_determinism | shard_merge | worker_crash | sigterm | explore | from_fuzzer) "case_$CASE" ;;
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
  echo "$failures failure(s)"
  exit 1
fi
echo "all passed"

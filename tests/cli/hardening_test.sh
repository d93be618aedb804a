#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Hostile input to the command line (issue 18): bounded shrinking, output
# paths, strict numbers, reading trace files, interrupted runs and merge's
# inputs. Every refusal is exit 2 with a message naming the option, the
# path or the field. One case per CTest test.
# Usage: tests/cli/hardening_test.sh GUPCHECK SOURCE_DIR CASE
#   CASE: shrink_bounded | output_paths | worker_write | strict_numbers | reading | interrupted | gate_interrupted
#         | merge_inputs
set -u
if [ $# -ne 3 ]; then
  echo "usage: $0 GUPCHECK SOURCE_DIR CASE" >&2
  exit 2
fi
GUPCHECK=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd)
CASE=$3
TEST_NAME=hardening
source "$SRC/tests/cli/lib.sh"

# A failing trace of N operations (bench/shrink_bench.sh: 4 of them matter).
big_trace() { bash "$SRC/bench/shrink_bench.sh" --gen "$1" "${2:-1}" >"$3"; }

# wait_handler PID: until PID catches SIGINT (its handler is installed), at most 10 s.
wait_handler() {
  local i
  for i in $(seq 100); do
    local mask
    mask=$(sed -n 's/^SigCgt:\s*//p' "/proc/$1/status" 2>/dev/null) || return 1
    [ -n "$mask" ] && (((0x$mask >> 1) & 1)) && return 0
    sleep 0.1
  done
  return 1
}

# expect_interrupted STATUS CMD...: runs gupcheck CMD in the background, sends
# SIGINT once its handler is installed (and 0.2 s more), expects STATUS.
expect_interrupted() {
  local want=$1
  shift
  "$GUPCHECK" "$@" >"$OUT" 2>"$ERR" &
  local pid=$!
  wait_handler $pid || fail "gupcheck $* never installed its SIGINT handler"
  sleep 0.2
  kill -INT $pid
  wait $pid
  local got=$?
  [ "$got" -eq "$want" ] || { fail "interrupted gupcheck $* exited $got, expected $want"; show_output; return 1; }
}

case_shrink_bounded() {
  # 5,000 operations ended in std::bad_alloc (exit 3) when every candidate
  # was built up front; generated one at a time, memory stays small. The
  # address-space limit (1 GiB) turns a regression into exit 3 again.
  big_trace 5000 1 big.trace
  (ulimit -v 1048576 && "$GUPCHECK" shrink big.trace --shrink-time 30 -o small.trace >"$OUT" 2>"$ERR")
  local got=$?
  [ "$got" -eq 1 ] || { fail "shrink of 5000 operations under 1 GiB exited $got, expected 1"; show_output; }
  contains "$ERR" "from 5000 to 4 operations"
  contains "$ERR" "violates PinnedAnonIsExclusive"
  expect 1 replay small.trace && contains "$OUT" "PinnedAnonIsExclusive"
  # A time cap too short for the fixpoint: stopped between candidates (or
  # inside one), the smallest failing trace so far is written and replays.
  big_trace 20000 2 big2.trace
  expect 1 shrink big2.trace --shrink-time 0.01 -o capped.trace && contains "$ERR" "time cap reached"
  expect 1 replay capped.trace && contains "$OUT" "PinnedAnonIsExclusive"
}

# refused OPTION-DESCRIPTION CMD...: exit 2 with the path in the message, nothing run.
refused() {
  local path=$1
  shift
  expect 2 "$@" && contains "$ERR" "$path"
  if grep -q '^summary:\|^gupcheck gate:\|^explored:' "$OUT"; then fail "gupcheck $* did the work before refusing"; fi
}

case_output_paths() {
  printf '%s\n' '# gupcheck trace v1' '# model: fork-shares-pinned-pages' 'm0 = mmap p0 anon private rw 1' \
    'write p0 m0+0 0x1' 'g0 = pin p0 m0+0 1 0' 'p1 = fork p0' >bad.trace
  # Character devices and pipes are written through, never replaced.
  expect 1 replay bad.trace --json /dev/null
  [ -c /dev/null ] || fail "/dev/null is no longer a character device"
  "$GUPCHECK" replay bad.trace --json /dev/stdout | cat >piped.txt
  contains piped.txt '"format"'
  contains piped.txt "Invariant violated"
  # /dev/stdout onto a file the shell opened: written through that file, which stays.
  "$GUPCHECK" replay bad.trace --json /dev/stdout >redirected.txt 2>/dev/null
  contains redirected.txt '"format"'
  contains redirected.txt "Invariant violated"
  expect 1 shrink bad.trace -o - && contains "$OUT" "p1 = fork p0"
  mkfifo fifo
  cat fifo >from-fifo.json &
  expect 1 replay bad.trace --json fifo
  wait
  [ -p fifo ] || fail "the FIFO was replaced"
  contains from-fifo.json '"format"'
  # A symbolic link stays a link; the file it points to gets the report.
  : >real.json
  ln -s real.json link.json
  expect 1 replay bad.trace --json link.json
  [ -L link.json ] || fail "link.json is no longer a symbolic link"
  contains real.json '"format"'
  # A regular file is replaced atomically, as before.
  echo old >plain.json
  expect 1 replay bad.trace --json plain.json && contains plain.json '"format"'

  # Refused before the work, with the path and the reason.
  mkdir adir
  echo x >afile
  refused "directory missing-dir does not exist" replay bad.trace --json missing-dir/r.json
  refused "adir: is a directory" replay bad.trace --json adir
  refused "afile/r.json: Not a directory" replay bad.trace --json afile/r.json
  refused "/proc/r.json" replay bad.trace --json /proc/r.json
  refused "--dot" replay bad.trace --dot missing-dir/g.dot
  refused "--save-trace" replay --from-fuzzer bad.trace --save-trace missing-dir/t.trace
  refused "--out" shrink bad.trace -o /proc/x
  refused "--output" repro bad.trace -o adir
  refused "--out missing-dir/x" shrink bad.trace --out missing-dir/x
  refused "--out afile" fuzz --cases 10 --seed 1 --out afile
  refused "--out /proc/x" fuzz --variant fork-shares-pinned-pages --jobs 2 --cases 100 --seed 1 --out /proc/x
  refused "--out afile/sub" fuzz --cases 10 --seed 1 --out afile/sub
  refused "--summary-json" fuzz --cases 10 --seed 1 --out o --summary-json missing-dir/s.json
  refused "--junit" fuzz --cases 10 --seed 1 --out o --junit /proc/j.xml
  refused "--stats-json" fuzz --cases 10 --seed 1 --out o --stats-json adir
  refused "--html" fuzz --cases 10 --seed 1 --out o --html missing-dir/p.html
  refused "--junit" gate --budget 1 --variants mainline --junit missing-dir/j.xml
  refused "--json" gate --budget 1 --variants mainline --json /proc/g.json
  refused "--html" gate --budget 1 --variants mainline --html adir
  refused "--out" gate --budget 1 --variants mainline --out afile
  refused "--dot" explore --depth 1 --dot missing-dir/s.dot
  refused "--out" explore --depth 1 --out afile
  refused "--summary-json" merge afile --summary-json missing-dir/m.json
  refused "--junit" merge afile --junit adir
  [ -e o ] && fail "a refused fuzz created its --out directory"
  return 0
}

case_worker_write() {
  # A worker that cannot write its files still reports what it found: the
  # out directory holds directories where the counterexample files go.
  local v=fork-shares-pinned-pages
  expect 1 fuzz --variant $v --seed 1 --cases 200 --jobs 2 --out ref --shrink-time 10 || return
  mkdir blocked
  local f
  for f in ref/*; do mkdir "blocked/${f#ref/}"; done
  expect 1 fuzz --variant $v --seed 1 --cases 200 --jobs 2 --out blocked --shrink-time 10
  contains "$OUT" "VIOLATION PinnedAnonIsExclusive"
  contains "$OUT" "WRITE FAILED"
  contains "$OUT" "p1 = fork p0"
  if grep -q "WORKER CRASHED\|no invariant violated" "$OUT"; then fail "the worker's finding is hidden"; fi
  # In-process, the same.
  mkdir blocked1
  expect 1 fuzz --variant $v --seed 1 --cases 200 --out ref1 --shrink-time 10 || return
  for f in ref1/*; do mkdir "blocked1/${f#ref1/}"; done
  expect 1 fuzz --variant $v --seed 1 --cases 200 --out blocked1 --shrink-time 10
  contains "$OUT" "VIOLATION PinnedAnonIsExclusive"
  contains "$OUT" "WRITE FAILED"
}

# bad_number OPTION CMD...: exit 2 naming OPTION.
bad_number() {
  local opt=$1
  shift
  expect 2 "$@" && contains "$ERR" "$opt"
}

case_strict_numbers() {
  local v
  for v in nan inf -inf -1 0 1e999 5x '' 0x10; do bad_number --time fuzz --time "$v"; done
  for v in 18446744073709551616 -1 1.5 1e3 ' 1' +1; do bad_number --seed fuzz --cases 1 --seed "$v"; done
  for v in 99999999999999999999 -1 1.0 3x; do bad_number --cases fuzz --cases "$v"; done
  for v in -1 nan inf 1e999; do bad_number --shrink-time fuzz --cases 1 --shrink-time "$v"; done
  for v in 0 10001 -5; do bad_number --max-size fuzz --cases 1 --max-size "$v"; done
  for v in 0 257 2.5; do bad_number --jobs fuzz --cases 1 --jobs "$v"; done
  for v in 0/2 3/2 1/0 1/2x -1/2 +1/2 ' 1/2' 1/99999999999; do bad_number --shard fuzz --cases 1 --shard "$v"; done
  for v in nan inf 0 -1; do bad_number --budget gate --budget "$v"; done
  for v in -1 nan 0; do bad_number --mainline-budget gate --mainline-budget "$v"; done
  bad_number --seed gate --seed -1
  bad_number --shrink-time gate --shrink-time nan
  for v in -1 1e9 x; do bad_number --graph-cap explore --graph-cap "$v"; done
  for v in 3x 65 -1; do bad_number --depth explore --depth "$v"; done
  bad_number --shrink-time shrink afile --shrink-time nan
  bad_number --shrink-time shrink afile --shrink-time -1
  bad_number --random diff --random -1
  # --guide takes on or off (issue 15), for fuzz and gate.
  for v in maybe ON 1 ''; do bad_number --guide fuzz --cases 1 --guide "$v"; done
  bad_number --guide gate --guide yes
  bad_number --timeout-ms diff --random 1 --timeout-ms 5ms
  # Options given twice are refused (they were silently "last one wins").
  bad_number --seed fuzz --cases 1 --seed 1 --seed 2
  bad_number --time fuzz --time 1 --time 2
  bad_number --budget gate --budget 1 --budget 2
  bad_number --depth explore --depth 1 --depth 2
  bad_number --shrink-time shrink afile --shrink-time 1 --shrink-time 2
  bad_number --json replay afile --json a --json b
  bad_number --junit merge afile --junit a --junit b
  bad_number --output repro afile -o a -o b
  # The extremes that are valid still run.
  expect 0 fuzz --cases 1 --seed 18446744073709551615 --out o
  contains "$OUT" "seed 18446744073709551615"
  expect 0 fuzz --cases 0 --seed 0 --shrink-time 0 --max-size 10000 --out o
}

case_reading() {
  # A file that never ends, or is too large, is refused without eating memory.
  (ulimit -v 1048576 && "$GUPCHECK" replay /dev/zero >"$OUT" 2>"$ERR")
  local got=$?
  [ "$got" -eq 2 ] || { fail "replay /dev/zero exited $got, expected 2"; show_output; }
  contains "$ERR" "larger than the limit of 64 MiB"
  truncate -s 65M huge.trace
  expect 2 replay huge.trace && contains "$ERR" "64 MiB"
  expect 2 shrink /dev/zero
  mkdir adir
  expect 2 replay adir
  expect 2 replay --from-fuzzer adir && contains "$ERR" "adir"
  (ulimit -v 1048576 && "$GUPCHECK" replay --from-fuzzer /dev/zero >"$OUT" 2>"$ERR")
  got=$?
  [ "$got" -eq 2 ] || { fail "replay --from-fuzzer /dev/zero exited $got, expected 2"; show_output; }

  # The JSON form of a trace replays like its text form.
  local t=$SRC/tests/regression/dirty-cow_19be0eaffa3a-CVE-2016-5195.trace
  expect 1 replay "$t" --json report.json || return
  grep '^Invariant violated' "$OUT" >text-verdict
  jq '.trace' report.json >trace.json
  expect 1 replay trace.json && contains "$OUT" "$(cat text-verdict)"
  expect 1 shrink trace.json && contains "$ERR" "violates ForcedWriteOnlyExclusiveAnon"
  # Bad JSON: exit 2 with the reason.
  jq '.model = "dirty cow"' trace.json >spaced.json
  expect 2 replay spaced.json && contains "$ERR" "one word"
  jq '.notes = ["two\nlines"]' trace.json >note.json
  expect 2 replay note.json && contains "$ERR" "a note must be one line"
  printf '{"format": "gupcheck-trace", "version": 1, "model": "mainline", "ops": [' >truncated.json
  expect 2 replay truncated.json && contains "$ERR" "not a JSON trace"
  printf '{"format": "gupcheck-trace", "model": "\xff", "version": 1, "ops": []}' >utf8.json
  expect 2 replay utf8.json
  # "=> -0" does not read back as itself: refused, with its line.
  printf '%s\n' '# gupcheck trace v1' 'm0 = mmap p0 anon private rw 1' 'read p0 m0+0 => -0' >minus0.trace
  expect 2 replay minus0.trace && contains "$ERR" "line 3"
}

case_interrupted() {
  # SIGINT while shrinking: "interrupted", the smallest trace so far written.
  big_trace 30000 3 big.trace
  expect_interrupted 1 shrink big.trace --shrink-time 600 -o small.trace
  contains "$ERR" "interrupted"
  if grep -q "time cap reached" "$ERR"; then fail "an interrupted shrink says 'time cap reached'"; fi
  expect 1 replay small.trace && contains "$OUT" "PinnedAnonIsExclusive"

  # A worker of fuzz --jobs finishes shrinking after SIGTERM instead: see
  # tests/unit/campaign_stop_test.cpp (the stop lands during shrinking there).
}

case_gate_interrupted() {
  # SIGINT during the first campaign: the others are listed as not run.
  expect_interrupted 1 gate --budget 20 --variants mainline,dirty-cow,fork-shares-pinned-pages --json g.json \
    --junit g.xml
  contains "$OUT" "not run: the gate was interrupted"
  contains "$OUT" "interrupted: 2 of 3 campaigns not run"
  [ "$(jq '.results | length' g.json)" = 3 ] || fail "g.json does not list all 3 variants"
  [ "$(jq '[.results[] | select(.ran == false)] | length' g.json)" = 2 ] || fail "g.json lacks 2 not-run results"
  [ "$(jq '.passed' g.json)" = false ] || fail "an interrupted gate passed"
  contains g.xml "fork-shares-pinned-pages"
}

case_merge_inputs() {
  expect 0 fuzz --seed 1 --cases 40 --shard 1/2 --out o --summary-json s1.json || return
  expect 0 fuzz --seed 1 --cases 40 --shard 2/2 --out o --summary-json s2.json || return
  expect 0 merge s1.json s2.json --summary-json m.json
  # A missing shard fails the job and is named.
  expect 2 merge s1.json && contains "$ERR" "missing shards: 2/2"
  expect 2 merge s2.json --junit j.xml && contains "$ERR" "missing shards: 1/2"
  # Each malformed field is named.
  bad_field() {
    local field=$1 filter=$2
    jq "$filter" s1.json >bad.json
    expect 2 merge bad.json s2.json && contains "$ERR" "$field"
  }
  bad_field "shards" '.shards = [3]'
  bad_field "shards" '.shards = [0]'
  bad_field "shard_count" '.shard_count = 0'
  bad_field "cases" '.cases = -5'
  bad_field "ops" '.ops = 1.5'
  bad_field "elapsed" '.elapsed = -1'
  bad_field "elapsed" '.elapsed = "fast"'
  # jq clamps 1e400 to the largest double: written as text, the JSON parser refuses it.
  sed -E 's/"time_budget": [^,]*/"time_budget": 1e400/' s1.json >bad.json
  expect 2 merge bad.json s2.json && contains "$ERR" "1e400"
  bad_field "seed" '.seed = -1'
  bad_field "variant" '.variant = "main\u0001line"'
  bad_field "variant" '.variant = 7'
  bad_field "workers[0].cases" '.workers[0].cases = -1'
  bad_field "workers[0].status" '.workers[0].status = "fine"'
  bad_field "workers[0].shard" '.workers[0].shard = 9'
  bad_field "jobs" 'del(.jobs)'
  bad_field "workers[0].detail" '.workers[0].detail = "a\nb"'
}

case "$CASE" in
  shrink_bounded | output_paths | worker_write | strict_numbers | reading | interrupted | gate_interrupted | merge_inputs)
    "case_$CASE" ;;
  *)
    echo "unknown case $CASE" >&2
    exit 2
    ;;
esac
finish "$CASE"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Every command gupcheck prints is a promise (issue 12): run the campaigns,
# then the exact replay command each report printed and the "found by"
# command of each counterexample file's header, and check that they give the
# same invariant at the same step.
#   reproduce_test.sh GUPCHECK gate      every variant of the gate (seed 1)
#   reproduce_test.sh GUPCHECK witness   every witness (fuzz --witness, seed 1)
#   reproduce_test.sh GUPCHECK fuzz      a default fuzz campaign on every variant (all invariants)
#   reproduce_test.sh GUPCHECK guided    guided campaigns (--guide on), in-process and --jobs 2
set -euo pipefail
G=$1 mode=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/gupcheck-reproduce.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
checked=0

# "INVARIANT@STEP" from a text report's verdict line.
verdict() {
  sed -nE '0,/^verdict:/s/^verdict: +invariant ([A-Za-z0-9]+) .*violated at step ([0-9]+) of [0-9]+.*/\1@\2/p' "$1"
}
# Runs a printed command (a `gupcheck ...` line) with this build's binary.
run_printed() {
  local cmd=$1
  [[ $cmd == "gupcheck "* ]] || fail "not a gupcheck command: $cmd"
  eval "\"\$G\" ${cmd#gupcheck }"
}

# One counterexample: TRACE (shrunk), TXT (its report). EXPECT is the
# INVARIANT the campaign reported.
check_counterexample() {
  local trace=$1 txt=$2 expect=$3 name
  name=$(basename "$trace" .trace)
  local want
  want=$(verdict "$txt")
  [ -n "$want" ] || fail "$txt: no verdict line"
  [ "${want%@*}" = "$expect" ] || fail "$txt says ${want%@*}, the campaign reported $expect"
  # 1. The replay command the report printed.
  local replay
  replay=$(sed -n 's/^replay: *//p' "$txt" | head -1)
  [ -n "$replay" ] || fail "$txt: no replay line"
  local st=0
  run_printed "$replay" >"$work/replay.out" 2>&1 || st=$?
  [ "$st" -eq 1 ] || { cat "$work/replay.out"; fail "$name: '$replay' exited $st, expected 1"; }
  local got
  got=$(verdict "$work/replay.out")
  [ "$got" = "$want" ] || fail "$name: '$replay' gives $got, the report says $want"
  # 2. The unshrunk trace replays to the same invariant at its last step.
  local unshrunk=${trace%.trace}.unshrunk.trace
  if [ -f "$unshrunk" ]; then
    st=0
    "$G" replay "$unshrunk" >"$work/unshrunk.out" 2>&1 || st=$?
    [ "$st" -eq 1 ] || fail "$name: replay of the unshrunk trace exited $st"
    got=$(verdict "$work/unshrunk.out")
    [ "${got%@*}" = "$expect" ] || fail "$name: the unshrunk trace replays to $got, expected $expect"
  fi
  # 3. The header's "found by" command finds the same counterexample again.
  local found_by
  found_by=$(sed -n 's/^# found by: *//p' "$trace" | head -1)
  [ -n "$found_by" ] || fail "$trace: no '# found by:' header"
  rm -rf "$work/again"
  st=0
  run_printed "$found_by --out $work/again --shrink-time 30" >"$work/again.out" 2>&1 || st=$?
  [ "$st" -eq 1 ] || { cat "$work/again.out"; fail "$name: '$found_by' exited $st, expected 1"; }
  local again_txt
  # The same file name when the run names files by case (--jobs), else the one report.
  again_txt=$work/again/$name.txt
  [ -f "$again_txt" ] || again_txt=$(ls "$work"/again/*.txt | head -1)
  got=$(verdict "$again_txt")
  [ "$got" = "$want" ] || fail "$name: '$found_by' finds $got, the file says $want"
  echo "ok $name: $want (replay and found-by agree)"
  checked=$((checked + 1))
}

case $mode in
  gate)
    # A case budget, not a time budget: seed 1 catches gup-fast-races-collapse at
    # case 640626 (about 14 s of CPU), whatever the machine's load.
    "$G" gate --variant-cases 1000000 --mainline-budget 1 --shrink-time 30 --out "$work/gate" >"$work/gate.out" || {
      cat "$work/gate.out"
      fail "the gate failed"
    }
    for d in "$work"/gate/*/; do
      v=$(basename "$d")
      expect=$(awk -v v="$v" '$1 == v {print $3}' "$work/gate.out")
      for t in "$d"*.trace; do
        case $t in *.unshrunk.trace) continue ;; esac
        check_counterexample "$t" "${t%.trace}.txt" "$expect"
      done
    done
    variants=$("$G" list variants | awk '/^[a-z]/ && $1 != "mainline" {n++} END {print n}')
    [ "$checked" -eq "$variants" ] || fail "checked $checked counterexamples, the gate has $variants variants"
    ;;
  witness)
    for w in $("$G" list witnesses | awk '$2 ~ /^W[0-9]+$/ {print $1}'); do
      st=0
      "$G" fuzz --witness "$w" --seed 1 --cases 5000 --shrink-time 30 --out "$work/$w" >"$work/$w.out" 2>&1 || st=$?
      [ "$st" -eq 1 ] || { cat "$work/$w.out"; fail "witness $w not reached (exit $st)"; }
      t=$(sed -n 's/^replay: gupcheck replay \([^ ]*\) .*/\1/p' "$work/$w.out")
      # The line fuzz printed is the one the report holds.
      [ "$(sed -n 's/^replay: *//p' "$work/$w.out")" = "$(sed -n 's/^replay: *//p' "${t%.trace}.txt")" ] ||
        fail "$w: fuzz printed another replay line than its report holds"
      check_counterexample "$t" "${t%.trace}.txt" "$w"
    done
    [ "$checked" -ge 7 ] || fail "checked only $checked witnesses"
    ;;
  fuzz)
    for v in $("$G" list variants | awk '/^[a-z]/ && $1 != "mainline" {print $1}'); do
      case $v in gup-fast-races-collapse | huge-dirty-cow) continue ;; esac  # the gate mode covers the slow races
      st=0
      "$G" fuzz --variant "$v" --seed 1 --time 60 --shrink-time 30 --out "$work/$v" >"$work/$v.out" 2>&1 || st=$?
      [ "$st" -eq 1 ] || { cat "$work/$v.out"; fail "$v not caught (exit $st)"; }
      inv=$(sed -nE 's/^result: VIOLATION ([A-Za-z0-9]+) .*/\1/p' "$work/$v.out")
      t=$(sed -n 's/^replay: gupcheck replay \([^ ]*\) .*/\1/p' "$work/$v.out")
      check_counterexample "$t" "${t%.trace}.txt" "$inv"
    done
    ;;
  guided)
    # Coverage-guided campaigns (fuzz --guide on): a mutated case is found
    # again by its "found by" command, in-process and with --jobs 2 (whose
    # per-worker corpora make the command name --jobs).
    mutated=0
    for v in cow-reuse-by-mapcount fork-shares-pinned-pages ro-pin-no-unshare longterm-pin-keeps-zero-page; do
      for jobs in 0 2; do
        st=0
        if [ "$jobs" -eq 0 ]; then
          "$G" fuzz --guide on --variant "$v" --seed 1 --cases 200000 --shrink-time 30 --out "$work/$v" \
            >"$work/$v.out" 2>&1 || st=$?
        else
          "$G" fuzz --guide on --variant "$v" --seed 1 --cases 200000 --jobs 2 --shrink-time 30 \
            --out "$work/$v-j2" >"$work/$v-j2.out" 2>&1 || st=$?
        fi
        [ "$st" -eq 1 ] || fail "$v (jobs $jobs): guided campaign did not catch it (exit $st)"
        d=$work/$v$([ "$jobs" -eq 0 ] || echo -j2)
        for t in "$d"/*.trace; do
          case $t in *.unshrunk.trace) continue ;; esac
          grep -q '^# found by: .*--guide on' "$t" || fail "$t: found by does not name --guide on"
          if [ "$jobs" -eq 2 ]; then grep -q '^# found by: .*--jobs 2' "$t" || fail "$t: found by does not name --jobs 2"; fi
          grep -q '^# seed: .*mutated from the guided corpus' "$t" && mutated=$((mutated + 1))
          inv=$(sed -nE 's/^# violates: ([A-Za-z0-9]+) .*/\1/p' "$t")
          check_counterexample "$t" "${t%.trace}.txt" "$inv"
        done
      done
    done
    [ "$mutated" -ge 1 ] || fail "no counterexample came from a mutated case: the guided path went untested"
    echo "mutated cases among them: $mutated"
    ;;
  *) fail "unknown mode $mode" ;;
esac
echo "reproduce $mode: $checked counterexamples reproduce"

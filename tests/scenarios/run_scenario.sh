#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Usage: run_scenario.sh GUPCHECK FILE
#
# Checks one selftest scenario (tests/scenarios/*.trace). Its header names the
# kernel selftest case and the expected verdict:
#   # scenario: <selftest file and case name>
#   # expect: holds                 every invariant holds and every "=> X" is met
#                                   (the trace must state at least one "=> X")
#   # expect: violates INVARIANT    the replay reports INVARIANT
#   # expect: gN VALUE ...          the GUP results the kernel returns (model-a's
#                                   form, compared by unit_tests ModelAScenarios.*);
#                                   here: every invariant holds
#   # catches: VARIANT...           optional: replayed on each of these model
#                                   variants (historical bugs), it must fail
# A failing scenario prints the replay report, which names the failing step
# with what it expected and what the model did.
set -u
gupcheck=$1
file=$2
header() { sed -n "s/^# $1:[[:space:]]*//p" "$file" | head -n 1; }
scenario=$(header scenario)
expect=$(header expect)
if [ -z "$scenario" ]; then
  echo "$file: no '# scenario:' header naming the selftest file and case" >&2
  exit 1
fi
out=$("$gupcheck" replay "$file" 2>&1)
status=$?
case "$expect" in
  holds)
    if ! grep -Eq '^[^#]*=>' "$file"; then
      echo "$file: '# expect: holds' but no step states an expected outcome ('=> X')" >&2
      exit 1
    fi
    if [ "$status" -ne 0 ]; then
      printf '%s\n' "$out"
      echo "FAIL: $scenario: expected to hold, gupcheck replay exited $status" >&2
      exit 1
    fi
    ;;
  g[0-9]*" "*)
    if [ "$status" -ne 0 ]; then
      printf '%s\n' "$out"
      echo "FAIL: $scenario: expected to hold (GUP results: $expect), gupcheck replay exited $status" >&2
      exit 1
    fi
    ;;
  "violates "*)
    inv=${expect#violates }
    if [ "$status" -ne 1 ] || ! grep -q "Invariant violated: $inv\b" <<<"$out"; then
      printf '%s\n' "$out"
      echo "FAIL: $scenario: expected a violation of $inv, gupcheck replay exited $status" >&2
      exit 1
    fi
    ;;
  *)
    echo "$file: '# expect:' must be 'holds', 'violates INVARIANT' or 'gN VALUE ...', got '$expect'" >&2
    exit 1
    ;;
esac
for v in $(header catches); do
  "$gupcheck" replay "$file" --variant "$v" >/dev/null 2>&1
  vs=$?
  if [ "$vs" -ne 1 ]; then
    echo "FAIL: $scenario: expected variant $v to fail it, gupcheck replay --variant $v exited $vs" >&2
    exit 1
  fi
done
echo "ok: $scenario${expect:+ ($expect)}"

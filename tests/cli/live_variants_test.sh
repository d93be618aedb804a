#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The oracle can fail: every variant whose regression trace (tests/regression/) is
# live-expressible, or has a live-expressible rewrite (tests/live/variants/VARIANT.trace,
# used instead), must make `gupcheck diff --variant VARIANT` report a mismatch with this
# kernel (exit 1), and mainline must agree with the kernel on the same trace (exit 0).
# A trace that is not live-expressible must say so (exit 2); a variant whose difference the
# live kernel cannot observe is listed below with the reason, and must still agree.
# Needs root and /proc/kpageflags; otherwise exit 77 (CTest: skipped).
# Usage: tests/cli/live_variants_test.sh PATH/TO/gupcheck SOURCE_DIR
set -u
GUPCHECK=$1
SRC=$2
# Variants whose rule changes only what /proc cannot show (refcounts; pins are invisible in
# kpagecount, which is the mapcount).
declare -A UNOBSERVABLE=(
  [refcount-overflow]="only the refcount passes the ceiling; the live kernel shows no refcount"
  [zero-page-pin-counted]="only the zero page's refcount moves; kpagecount of the zero page is always 0"
)
if [ "$(id -u)" -ne 0 ] || [ ! -r /proc/kpageflags ]; then
  echo "SKIPPED: needs root and a readable /proc/kpageflags"
  exit 77
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gupcheck-livevar.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
failures=0 caught=0 unexpressible=0
for reg in "$SRC"/tests/regression/*.trace; do
  v=$(awk '/^# model:/ {print $3; exit}' "$reg")
  t=$reg
  [ -f "$SRC/tests/live/variants/$v.trace" ] && t=$SRC/tests/live/variants/$v.trace
  "$GUPCHECK" diff "$t" --variant "$v" --shrink-time 0 >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ $rc -eq 2 ] && grep -q "not live-expressible" "$TMP/err"; then
    echo "not live-expressible: $v ($(sed 's/.*not live-expressible: //' "$TMP/err" | head -1 | cut -c1-100))"
    unexpressible=$((unexpressible + 1))
    continue
  fi
  if [ -n "${UNOBSERVABLE[$v]:-}" ]; then
    if [ $rc -ne 0 ]; then echo "FAIL: $v is listed as unobservable but diff exited $rc"; failures=$((failures + 1)); fi
    echo "unobservable: $v (${UNOBSERVABLE[$v]})"
  elif [ $rc -ne 1 ]; then
    echo "FAIL: gupcheck diff $t --variant $v exited $rc, expected 1 (a mismatch)"
    sed -n '1,20s/^/  /p' "$TMP/out" "$TMP/err"
    failures=$((failures + 1))
    continue
  else
    echo "caught: $v ($(grep -m1 'disagree at step' "$TMP/out" | cut -c1-100))"
    caught=$((caught + 1))
  fi
  "$GUPCHECK" diff "$t" --shrink-time 0 >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "FAIL: mainline disagrees with the kernel on $t (exit $rc)"
    sed -n '1,20s/^/  /p' "$TMP/out" "$TMP/err"
    failures=$((failures + 1))
  fi
done
echo "caught: $caught, not live-expressible: $unexpressible, failures: $failures"
[ $caught -ge 5 ] || { echo "FAIL: fewer than 5 variants caught"; failures=$((failures + 1)); }
[ $failures -eq 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The live-kernel commands: gupcheck diff and gupcheck repro. Needs root and
# /proc/kpageflags; otherwise it says why and exits 77 (CTest: skipped).
# Usage: tests/cli/live_test.sh PATH/TO/gupcheck SOURCE_DIR CASE   (CASE: diff | repro)
set -u
GUPCHECK=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$2
CASE=$3
TEST_NAME=live
# The scratch directory, fail/expect/contains (shared with the other CLI tests).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || [ ! -r /proc/kpageflags ]; then
  echo "SKIPPED: the live kernel tests need root and a readable /proc/kpageflags"
  expect 2 diff "$SRC/tests/live/pins-and-references.trace" && contains "$ERR" "live kernel cannot be used"
  exit 77
fi

case_diff() {
  local f
  for f in "$SRC"/tests/live/*.trace; do expect 0 diff "$f" || true; done
  # A historical bug switched back on is a mismatch with the live kernel, shrunk.
  expect 1 diff "$SRC/tests/live/pins-and-references.trace" --variant fork-shares-pinned-pages --shrink-time 5 &&
    contains "$OUT" "<<" && contains "$OUT" "p1 = fork p0"
  expect 0 diff --random 30 --seed 5 --out "$TMP/out"
  contains "$OUT" "0 mismatching traces"
  expect 0 diff --random 5 --seed 5 --bench && contains "$OUT" "bench: model"
  # "=> X" expectations are checked against the kernel's results too.
  printf '%s\n' '# gupcheck trace v1' 'm0 = mmap p0 anon private rw 1' 'write p0 m0+0 0x11' \
    'read p0 m0+0 => 0x99' >"$TMP/expect.trace"
  expect 1 diff "$TMP/expect.trace" --shrink-time 0 && contains "$OUT" "expected 0x99, the live kernel gave 0x11"
  sed -i 's/=> 0x99/=> 0x11/' "$TMP/expect.trace"
  expect 0 diff "$TMP/expect.trace"
  # O_DIRECT on tmpfs pins nothing: scratch files are relocated to a block file system.
  if [ -d /dev/shm ] && [ "$(stat -f -c %T /dev/shm)" = tmpfs ]; then
    TMPDIR=/dev/shm expect 0 diff "$SRC/tests/live/pins-and-references.trace"
  fi
  # Not live-expressible, bad usage, no root.
  printf '%s\n' '# gupcheck trace v1' 'm0 = mmap p0 pfnmap private rw 1' >"$TMP/pfnmap.trace"
  expect 2 diff "$TMP/pfnmap.trace" && contains "$ERR" "not live-expressible"
  expect 2 diff
  expect 2 diff "$TMP/pfnmap.trace" --random 3
  if command -v setpriv >/dev/null; then
    setpriv --reuid=65534 --regid=65534 --clear-groups "$GUPCHECK" diff --random 1 >"$OUT" 2>"$ERR"
    local rc=$?
    [ "$rc" -eq 2 ] || fail "diff as an unprivileged user exited $rc, expected 2"
    contains "$ERR" "needs root"
  fi
  expect 0 list ops && contains "$OUT" "io_uring"
}

case_repro() {
  expect 0 repro "$SRC/tests/live/pins-and-references.trace" -o "$TMP/repro.c" || return
  cc -O1 -o "$TMP/repro" "$TMP/repro.c" 2>"$TMP/cc.err" || { fail "cc failed: $(head -20 "$TMP/cc.err")"; return; }
  # The model agrees with this kernel on every step: TAP, all ok, exit 0.
  "$TMP/repro" >"$TMP/repro.out" 2>"$TMP/repro.err" || fail "the reproducer exited $?: $(cat "$TMP/repro.out")"
  contains "$TMP/repro.out" "TAP version 13"
  contains "$TMP/repro.out" "1..20"
  grep -q "^ok 20 step 20: exit p1" "$TMP/repro.out" || fail "the reproducer did not pass all 20 steps"
  ! grep -q "^not ok" "$TMP/repro.out" || fail "a step diverges: $(grep -A8 '^not ok' "$TMP/repro.out")"
  [ "$(grep -c '^ok ' "$TMP/repro.out")" -eq 20 ] || fail "not 20 ok lines"
  grep -q "#   p1 m0+0  present anon excl mc=1" "$TMP/repro.out" || fail "the reproducer prints no observations"
  # A historical bug switched back on: the model predicts what this kernel no
  # longer does (fork shares the pinned page), so the reproducer fails there.
  sed 's/^# model: .*/# model: fork-shares-pinned-pages/' "$SRC/tests/live/pins-and-references.trace" >"$TMP/old.trace"
  expect 0 repro "$TMP/old.trace" -o "$TMP/old.c" || return
  cc -O1 -o "$TMP/old" "$TMP/old.c" 2>"$TMP/cc.err" || { fail "cc failed: $(head -20 "$TMP/cc.err")"; return; }
  "$TMP/old" >"$TMP/old.out" 2>&1
  local rc=$?
  [ "$rc" -eq 1 ] || fail "the reproducer of a diverging model exited $rc, expected 1"
  grep -q "^not ok 4 step 4: p1 = fork p0" "$TMP/old.out" || fail "no 'not ok 4' at the fork: $(head -30 "$TMP/old.out")"
  contains "$TMP/old.out" "<<"
  printf '%s\n' '# gupcheck trace v1' 'g0 = get_fast p0 m0+0 1 0' >"$TMP/bad.trace"
  expect 2 repro "$TMP/bad.trace"
}

case "$CASE" in
  diff) case_diff ;;
  repro) case_repro ;;
  *) echo "unknown case $CASE" >&2; exit 2 ;;
esac
if [ "$failures" -ne 0 ]; then
  echo "$CASE: $failures failure(s)"
  exit 1
fi
echo "$CASE: all passed"

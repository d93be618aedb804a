# SPDX-License-Identifier: GPL-2.0-only
# Helpers of the command-line test scripts (sourced): a scratch directory
# that is the working directory, and checks that count failures.
# REQUIRES: GUPCHECK is the absolute path of the binary.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gupcheck-${TEST_NAME:-cli}.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1  # anything a command writes by default lands here
OUT=$TMP/stdout
ERR=$TMP/stderr
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

show_output() {
  sed -n '1,40s/^/  stdout: /p' "$OUT"
  sed -n '1,20s/^/  stderr: /p' "$ERR"
}

# expect STATUS CMD...: runs gupcheck with CMD, output in $OUT and $ERR.
expect() {
  local want=$1
  shift
  "$GUPCHECK" "$@" >"$OUT" 2>"$ERR"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "gupcheck $* exited $got, expected $want"
    show_output
    return 1
  fi
  echo "ok: gupcheck $* -> $got"
  return 0
}

# contains FILE TEXT: FILE has a line containing TEXT (fixed string).
contains() {
  if ! grep -qF -- "$2" "$1"; then
    fail "$(basename "$1") of the last command lacks '$2'"
    show_output
  fi
}

# run WANT LOG ARGS...: gupcheck ARGS with stdout+stderr in LOG, exit status WANT.
run() {
  local want=$1 log=$2
  shift 2
  "$GUPCHECK" "$@" >"$log" 2>&1
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "gupcheck $* exited $got, expected $want"
    sed -n '1,30s/^/  | /p' "$log"
    return 1
  fi
  echo "ok: gupcheck $* -> $got"
}
has() { grep -qF -- "$2" "$1" || { fail "$1 lacks '$2'"; sed -n '1,30s/^/  | /p' "$1"; }; }

# finish CASE: the exit status of the script (1 when a check failed).
finish() {
  if [ "$failures" -ne 0 ]; then
    echo "$1: $failures failure(s)"
    exit 1
  fi
  echo "$1: all passed"
  exit 0
}

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Usage: expect_status.sh STATUS COMMAND ARGS...
# Runs COMMAND and succeeds only if it exits with STATUS (its output is kept).
want=$1
shift
"$@"
got=$?
if [ "$got" -ne "$want" ]; then
  echo "expect_status: '$*' exited $got, expected $want" >&2
  exit 1
fi

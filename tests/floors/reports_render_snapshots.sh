#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Reports render snapshots and never hold the executor: no file of reports/
# names props::World or constructs one (it would run the model while
# writing). Re-running a trace for a report belongs to properties/replay.h.
# Usage: reports_render_snapshots.sh SOURCE_DIR          checks SOURCE_DIR/reports
#        reports_render_snapshots.sh --detects            proves the check fails on a
#                                                         report that holds or builds a World
set -u
if [ "${1:-}" = --detects ]; then
  d=$(mktemp -d "${TMPDIR:-/tmp}/gupcheck-floors.XXXXXX")
  trap 'rm -rf "$d"' EXIT
  status=0
  for bad in '#include "properties/world.h"' 'std::string draw(const props::World &w);' \
             'void f() { props::World w(sw); }' 'void f(const World &w);'; do
    printf '%s\n' "$bad" >"$d/bad.cpp"
    if bash "$0" "$d/src" "$d" >/dev/null; then
      echo "FAIL: not detected: $bad"
      status=1
    else
      echo "detected: $bad"
    fi
  done
  exit $status
fi
src=$1
dir=${2:-$src/reports}
hits=$(grep -rnE '(props::)?\bWorld\b *[&(*{]|props::World\b|#include "properties/(world|annotate)\.h"' "$dir" --include='*.h' --include='*.cpp' || true)
if [ -n "$hits" ]; then
  echo "FAIL: reports/ holds or runs the executor (render a props::Snapshot / ReplayRecord instead):"
  echo "$hits"
  exit 1
fi
echo "ok: reports/ renders snapshots only"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# check_floors.sh must fail on a tree that breaks a floor: an include going
# up, trace/ using model/, reports/ and live/ using each other, a link going up.
set -euo pipefail
check=$(dirname "$0")/check_floors.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkfloors() {
  rm -rf "$tmp/t" && mkdir -p "$tmp/t"/{model,trace,properties,shrinkers,campaign,reports,live,cli}
  echo 'target_link_libraries(gupcheck_cli PRIVATE gupcheck_reports)' >"$tmp/t/CMakeLists.txt"
  echo '#include "model/kernel.h"' >"$tmp/t/properties/ok.cpp"
}
expect() {  # expect STATUS DESCRIPTION
  local status=0
  "$check" "$tmp/t" >"$tmp/out" 2>&1 || status=$?
  if [ "$status" -ne "$1" ]; then
    echo "FAIL: $2: exit $status, expected $1"; cat "$tmp/out"; exit 1
  fi
  echo "ok: $2"
}
mkfloors; expect 0 "a clean tree"
mkfloors; echo '#include "campaign/campaign.h"' >"$tmp/t/model/x.cpp"; expect 1 "model/ including campaign/"
mkfloors; echo '  #include "properties/world.h"' >"$tmp/t/shrinkers/x.h"; expect 0 "shrinkers/ including properties/"
mkfloors; echo '#include "cli/common.h"' >"$tmp/t/reports/x.h"; expect 1 "reports/ including cli/"
mkfloors; echo '#include "model/flags.h"' >"$tmp/t/trace/x.cpp"; expect 1 "trace/ including model/"
mkfloors; echo '#include "live/live.h"' >"$tmp/t/reports/x.cpp"; expect 1 "reports/ including live/ (same floor)"
mkfloors; echo 'target_link_libraries(gupcheck_campaign PUBLIC gupcheck_reports)' >>"$tmp/t/CMakeLists.txt"; expect 1 "campaign linking reports"
echo "check_floors.sh detects every kind of violation"

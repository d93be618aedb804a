#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The floors (README "Layout"): each folder includes and links only folders
# below it, never one above or beside it, so there is no cycle:
#
#   cli/                     6
#   reports/   live/         5   (neither uses the other)
#   campaign/                4
#   shrinkers/               3
#   properties/              2
#   trace/                   1   (its own vocabulary: not even model/)
#   model/                   0   (pure: nothing but the C++ library)
#
# fuzz/, bench/ and tests/ are consumers outside the floors.
# Checks every #include "FOLDER/..." in the floors' sources and every
# target_link_libraries() between the floors' libraries in CMakeLists.txt.
# Usage: check_floors.sh SOURCE_DIR        Exit 0 when the floors hold, else 1.
set -euo pipefail
src=${1:?usage: check_floors.sh SOURCE_DIR}
declare -A rank=([model]=0 [trace]=1 [properties]=2 [shrinkers]=3 [campaign]=4 [reports]=5 [live]=5 [cli]=6)
# trace/ keeps its own vocabulary: it may not use model/ although model/ is below it.
declare -A forbidden=([trace:model]=1)
bad=0
allowed() {  # allowed FROM TO
  local from=$1 to=$2
  [ "$from" = "$to" ] && return 0
  [ -n "${forbidden[$from:$to]:-}" ] && return 1
  [ "${rank[$to]}" -lt "${rank[$from]}" ]
}
for from in "${!rank[@]}"; do
  [ -d "$src/$from" ] || continue
  while IFS= read -r hit; do
    file=${hit%%:*}
    rest=${hit#*:}
    line=${rest%%:*}
    to=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$rest")
    [ -n "${rank[$to]:-}" ] || continue
    if ! allowed "$from" "$to"; then
      echo "floor violation: ${file#"$src"/}:$line: $from/ includes $to/ (${rest#*:})"
      bad=1
    fi
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[a-z_]+/' "$src/$from" \
             --include='*.h' --include='*.cpp' --include='*.c' --include='*.in' || true)
done
# Links: target_link_libraries(gupcheck_FROM ... gupcheck_TO ...) between floor libraries.
while IFS= read -r line; do
  from=$(sed -E 's/^target_link_libraries\(gupcheck_([a-z]+).*/\1/' <<<"$line")
  [ -n "${rank[$from]:-}" ] || continue
  for to in $(grep -oE 'gupcheck_[a-z]+' <<<"${line#*gupcheck_"$from"}" | sed 's/gupcheck_//'); do
    [ -n "${rank[$to]:-}" ] || continue
    if ! allowed "$from" "$to"; then
      echo "floor violation: CMakeLists.txt: gupcheck_$from links gupcheck_$to"
      bad=1
    fi
  done
done < <(grep -E '^target_link_libraries\(gupcheck_' "$src/CMakeLists.txt")
if [ "$bad" -eq 0 ]; then echo "floors hold: model < trace < properties < shrinkers < campaign < reports, live < cli"; fi
exit "$bad"

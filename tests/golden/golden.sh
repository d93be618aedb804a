#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Golden outputs: for every variant (mainline included) and seeds 1-2, a
# bounded campaign's counterexample files (unshrunk and shrunk trace, text
# report, JSON report) and its summary, with what depends on the clock or the
# output directory removed, concatenated into one file per variant. Every
# JSON file the campaigns write must conform to its schema (schemas/).
# A restructure must leave them byte for byte identical; a change of
# behaviour updates them on purpose:
#   tests/golden/golden.sh build/release/gupcheck tests/golden/expected
# Usage: golden.sh GUPCHECK OUTDIR [check EXPECTED_DIR]
set -euo pipefail
. "$(dirname "$0")/../python.sh"  # Debian's python3
gupcheck=$1 out=$2
validate=$(cd "$(dirname "$0")/../../schemas" && pwd)/validate.py
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Clock- and path-dependent lines: timings, rates, CPU figures, directories,
# and the tool version (git describe changes with every commit).
normalise() {
  sed -E -e "s#$work/[^/\"]*/#OUT/#g" \
         -e 's/gupcheck [^ ]+ \(model: Linux/gupcheck VERSION (model: Linux/g' \
         -e 's/"gupcheck_version": "[^"]*"/"gupcheck_version": "VERSION"/' \
         -e '/"(cpu_seconds|elapsed|ops_per_sec|ops_per_cpu_sec|seconds|started|ended|time_to_failure)"/d' \
         -e 's/[0-9.]+ s\b/T s/g' -e 's/\([0-9]+ ops\/s\)/(R ops\/s)/g' -e 's/\([0-9]+ ops per CPU second\)/(R)/g'
}
for v in $("$gupcheck" list variants | awk '/^[a-z]/ {print $1}'); do
  {
    for seed in 1 2; do
      d=$work/$v-$seed
      mkdir -p "$d"
      status=0
      "$gupcheck" fuzz --variant "$v" --seed "$seed" --cases 3000 --shrink-time 60 --out "$d" \
        --summary-json "$d/summary.json" >/dev/null 2>&1 || status=$?
      echo "=== $v seed $seed: exit $status"
      for f in $(cd "$d" && ls | sort); do
        echo "--- $f"
        normalise <"$d/$f"
      done
    done
  } >"$out/$v.golden"
done
# Every JSON file the campaigns wrote conforms to its schema (schemas/).
mapfile -t written < <(find "$work" -name '*.json' -type f | sort)
python3 "$validate" "${written[@]}" >"$work/validate.log" 2>&1 || { cat "$work/validate.log" >&2; exit 1; }
if [ "${3:-}" = check ]; then
  diff -ru "$4" "$out"
fi

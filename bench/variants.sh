#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Figures for the variants: per variant, over SEEDS seeds (default 5), the
# median time and cases to the first failure and the median shrunk length,
# beside the length of the variant's regression trace (the shortest known
# trace that shows the bug). Uses `gupcheck gate --json` once per seed.
# Usage: bench/variants.sh [GUPCHECK] [SEEDS] [BUDGET_SEC]
# Environment: GUIDE=on|off passes --guide to the gate (default: the tool's
# default); VARIANTS=a,b,... measures only these variants; FIRST_SEED=N starts the seeds at N.
# Goal (issue 4): sequential variants median < 2 s, interleaving ones < 30 s,
# shrunk length <= shortest known + 1. Figures on a shared machine are noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
GUPCHECK=${1:-build/release/gupcheck}
SEEDS=${2:-5}
BUDGET=${3:-10}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gupcheck-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
variants=${VARIANTS:-$("$GUPCHECK" list variants | awk '/^[a-z]/ && $1 != "mainline" {print $1}' | paste -sd, -)}
guide=()
[ -z "${GUIDE:-}" ] || guide=(--guide "$GUIDE")
for s in $(seq "${FIRST_SEED:-1}" $((${FIRST_SEED:-1} + SEEDS - 1))); do
  "$GUPCHECK" gate --seed "$s" --budget "$BUDGET" --mainline-budget 1 --shrink-time 5 "${guide[@]}" --variants "$variants" --json "$TMP/seed$s.json" \
    >/dev/null || true
done
python3 - "$TMP" tests/regression <<'PY'
import glob, json, os, statistics, sys
tmp, regdir = sys.argv[1], sys.argv[2]
runs = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(tmp, "seed*.json")))]
def known(v):
    for f in glob.glob(os.path.join(regdir, v + "_*.trace")):
        return sum(1 for l in open(f) if l.strip() and not l.startswith("#"))
    return None
names = [r["variant"] for r in runs[0]["results"]]
print(f"{'variant':30} {'caught':>6} {'median s':>9} {'median cases':>12} {'shrunk':>7} {'known':>6}")
for v in names:
    rs = [r for run in runs for r in run["results"] if r["variant"] == v]
    caught = [r for r in rs if r["passed"]]
    med = lambda xs: statistics.median(xs) if xs else float("nan")
    t = med([r["seconds"] for r in caught])
    c = med([r["cases"] for r in caught])
    sl = med([r["shrunk_length"] for r in caught if r["shrunk_length"] is not None])
    print(f"{v:30} {len(caught):>3}/{len(rs):<2} {t:9.2f} {c:12.0f} {sl:7.1f} {str(known(v)):>6}")
PY

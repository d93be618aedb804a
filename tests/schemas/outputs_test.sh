#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Every kind of JSON document gupcheck writes conforms to its schema
# (schemas/*.schema.json), and the validator refuses documents that do not:
#   schemas   the schemas are valid draft 2020-12 schemas naming their format and version
#   outputs   reports (violations, holding traces, in-flight calls), campaign summaries
#             (fuzz, merge), stats and gate results, the trace form inside every report
#   refuses   real outputs mutated one way each (a PTE without its special bit, a
#             version-1 picture for a state, a summary without version, ...) are all refused
# Usage: tests/schemas/outputs_test.sh GUPCHECK SOURCE_DIR CASE
set -u
. "$(dirname "$0")/../python.sh"  # Debian's python3
if [ $# -ne 3 ]; then
  echo "usage: $0 GUPCHECK SOURCE_DIR CASE" >&2
  exit 2
fi
GUPCHECK=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd)
VALIDATE="$SRC/schemas/validate.py"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gupcheck-schemas.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

# Writes one document of every kind into $TMP/out.
produce() {
  mkdir -p out/fuzz out/gate
  local t
  for t in "$SRC"/tests/regression/*.trace "$SRC"/tests/scenarios/cow-anon-0[1-3]*.trace; do
    "$GUPCHECK" replay "$t" --json "out/$(basename "$t" .trace).json" >/dev/null 2>&1
    [ -s "out/$(basename "$t" .trace).json" ] || { echo "FAIL: no report for $t"; return 1; }
  done
  printf '# gupcheck trace v1\n' >empty.trace
  "$GUPCHECK" replay empty.trace --json out/empty.json >/dev/null 2>&1
  "$GUPCHECK" fuzz --variant zero-page-pin-counted --seed 1 --cases 500 --shrink-time 5 --out out/fuzz \
    --stats-json out/stats.json --summary-json out/summary.json >/dev/null 2>&1
  "$GUPCHECK" fuzz --seed 3 --cases 200 --shard 1/2 --summary-json out/shard1.json >/dev/null 2>&1
  "$GUPCHECK" fuzz --seed 3 --cases 200 --shard 2/2 --summary-json out/shard2.json >/dev/null 2>&1
  "$GUPCHECK" merge out/shard1.json out/shard2.json --summary-json out/merged.json >/dev/null 2>&1
  "$GUPCHECK" gate --budget 3 --mainline-budget 1 --variants zero-page-pin-counted,dirty-cow \
    --json out/gate.json --out out/gate >/dev/null 2>&1
  local f
  for f in stats summary merged gate; do
    [ -s "out/$f.json" ] || { echo "FAIL: no out/$f.json"; return 1; }
  done
  ls out/fuzz/*.json >/dev/null 2>&1 || { echo "FAIL: the campaign wrote no JSON report"; return 1; }
}

case "$3" in
  schemas)
    python3 "$VALIDATE" --check-schemas
    ;;
  outputs)
    produce || exit 1
    python3 "$VALIDATE" out/*.json out/fuzz/*.json
    ;;
  refuses)
    produce || exit 1
    mkdir bad
    # One mutation per file, each of a real output: the validator must refuse every one.
    python3 - out bad <<'PY' || exit 1
import json, os, sys
src, dst = sys.argv[1], sys.argv[2]
def load(name):
    with open(os.path.join(src, name)) as f:
        return json.load(f)
def save(name, doc):
    with open(os.path.join(dst, name), "w") as f:
        json.dump(doc, f)
report = next(n for n in sorted(os.listdir(src)) if n.startswith("zero-page-mixedmap"))
def mutate(name, base, how):
    doc = load(base)
    how(doc)
    save(name, doc)
def drop_special(d): del d["after"]["processes"][0]["ptes"][0]["special"]
def picture_state(d): d["before"] = "legend: page row: ..."  # the version-1 form
def old_version(d): d["version"] = 1
def refcount_text(d): d["after"]["folios"][0]["refcount"] = "1025 (1P+1)"
def bad_prot(d): d["trace"]["ops"][0]["prot"] = "rwx"
def unknown_gup_state(d): d["after"]["gup_calls"] = [{"handle": "g0", "op": "x", "pid": 0, "process": "p0", "pin": True,
    "state": "pinned", "interleaved": False, "point": None, "ret": 1, "pages": [2]}]
def extra_field(d): d["after"]["processes"][0]["ptes"][0]["accessed"] = True
def legacy_summary(d):
    d["format"] = "gupcheck-summary-v1"
    del d["version"]
def no_version(d): del d["version"]
def string_count(d): d["ops"]["mmap"] = "18"
def gate_passed_text(d): d["results"][0]["passed"] = "yes"
def no_format(d): del d["format"]
mutate("report-no-special.json", report, drop_special)
mutate("report-picture-state.json", report, picture_state)
mutate("report-version-1.json", report, old_version)
mutate("report-refcount-text.json", report, refcount_text)
mutate("report-bad-prot.json", report, bad_prot)
mutate("report-gup-state.json", report, unknown_gup_state)
mutate("report-extra-pte-bit.json", report, extra_field)
mutate("summary-legacy.json", "summary.json", legacy_summary)
mutate("summary-no-version.json", "merged.json", no_version)
mutate("stats-string-count.json", "stats.json", string_count)
# Branch coverage (issue 15): present, counted, and each never-reached entry named "function: branch".
cov = load("summary.json")["branches"]
assert cov["reached"] > 0 and cov["reached"] + len(cov["never_reached"]) == cov["points"], cov["reached"]
assert sum(f["points"] for f in cov["functions"]) == cov["points"]
assert load("merged.json")["branches"]["cases"] == load("merged.json")["cases"]
assert load("stats.json")["branches"]["reached"] == cov["reached"]
def no_branches(d): del d["branches"]
def branch_unnamed(d): d["branches"]["never_reached"].append("no function here")
def branch_reached_text(d): d["branches"]["reached"] = str(d["branches"]["reached"])
mutate("summary-no-branches.json", "summary.json", no_branches)
mutate("summary-branch-unnamed.json", "summary.json", branch_unnamed)
mutate("stats-branch-reached-text.json", "stats.json", branch_reached_text)
mutate("gate-passed-text.json", "gate.json", gate_passed_text)
mutate("gate-no-format.json", "gate.json", no_format)
PY
    # The unmutated files conform (so each refusal is the mutation's doing)...
    python3 "$VALIDATE" out/*.json >/dev/null || { echo "FAIL: the unmutated outputs do not conform"; exit 1; }
    # ...and every mutated one is refused.
    python3 "$VALIDATE" --expect-invalid bad/*.json
    ;;
  *)
    echo "unknown case $3" >&2
    exit 2
    ;;
esac

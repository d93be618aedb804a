#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The nightly recipes of deploy/, run locally as the engines would run them.
#
#   k8s:      reads deploy/kubernetes/nightly.yaml and gather.yaml (PyYAML):
#             an Indexed Job whose completions equal its SHARDS; runs the
#             container's command once per completion index with the
#             container's environment (JOB_COMPLETION_INDEX set; the volume and
#             the image's paths mapped to a temporary directory and this
#             build), then the gather Job's command. The merged night must
#             cover every shard and equal a one-machine campaign of the same
#             seed and cases (cases and operations), and be one run of the
#             findings database.
#   slurm:    runs deploy/slurm/nightly.sbatch once per array task
#             (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, SLURM_SUBMIT_DIR)
#             on a variant, then deploy/gather.sh: the merged findings are the
#             database's, and the first one is the one-machine campaign's.
#   parallel: deploy/parallel.sh with GNU Parallel, then a second night into
#             the same database: the finding is known, two hits.
#   errors:   shard.sh and gather.sh refuse bad settings (exit 2) and
#             gather.sh says when a shard is missing (exit 1).
# Usage: tests/deploy/recipe_test.sh GUPCHECK SOURCE_DIR CASE
set -u
. "$(dirname "$0")/../python.sh"  # Debian's python3
if [ $# -ne 3 ]; then
  echo "usage: $0 GUPCHECK SOURCE_DIR CASE" >&2
  exit 2
fi
GUPCHECK=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd)
CASE=$3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gupcheck-recipe.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
sql() { sqlite3 "$1" "$2"; }
# field FILE KEY: a number of a summary JSON.
field() { python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
# One machine, the same campaign: the reference the shards must add up to.
reference() {  # reference VARIANT SEED CASES
  "$GUPCHECK" fuzz --variant "$1" --seed "$2" --cases "$3" --jobs 1 --shrink-time 10 --out ref \
    --summary-json ref.json >ref.log 2>&1
  [ $? -le 1 ] || fail "the one-machine campaign failed: $(tail -3 ref.log)"
}

case_k8s() {
  local night=20261204
  # The Jobs' container command and environment, as shell assignments, with
  # the image's and the volume's paths mapped here.
  python3 - "$SRC/deploy/kubernetes/nightly.yaml" "$SRC/deploy/kubernetes/gather.yaml" "$night" >jobs.env <<'EOF' ||
import shlex, sys, yaml
def load(path):
    return yaml.safe_load(open(path).read().replace("@NIGHT@", sys.argv[3]))
def container(job):
    assert job["apiVersion"] == "batch/v1" and job["kind"] == "Job", job.get("kind")
    spec = job["spec"]["template"]["spec"]
    assert spec["restartPolicy"] == "Never"
    c = spec["containers"][0]
    env = {e["name"]: e["value"] for e in c["env"]}
    return c["command"], env
shards, senv = container(load(sys.argv[1]))
job = load(sys.argv[1])["spec"]
assert job["completionMode"] == "Indexed", "not an Indexed Job"
assert int(senv["SHARDS"]) == job["completions"], f"SHARDS {senv['SHARDS']} != completions {job['completions']}"
assert 1 <= job["parallelism"] <= job["completions"]
gather, genv = container(load(sys.argv[2]))
assert genv["SHARDS"] == senv["SHARDS"] and genv["RESULTS"] == senv["RESULTS"], "gather and shards disagree"
print("COMPLETIONS=%d" % job["completions"])
print("SHARD_CMD=%s" % shlex.quote(" ".join(shards)))
print("GATHER_CMD=%s" % shlex.quote(" ".join(gather)))
for prefix, env in (("S_", senv), ("G_", genv)):
    for k, v in env.items():
        print("%s%s=%s" % (prefix, k, shlex.quote(v)))
EOF
    { fail "the manifests are not what the recipe needs"; return; }
  # shellcheck disable=SC1091
  . ./jobs.env
  echo "k8s: $COMPLETIONS completions, shard command $SHARD_CMD, seed $S_SEED"
  [ "$S_SEED" = "$night" ] || fail "the shards' seed is '$S_SEED', not the night"
  mapfrom() { sed -e "s#^/opt/gupcheck/build/release/gupcheck\$#$GUPCHECK#" -e "s#^/opt/gupcheck#$SRC#" \
    -e "s#^/results#$TMP/results#" <<<"$1"; }
  local cases=1200  # the recipe's split, on a budget a test can afford
  for ((i = 0; i < COMPLETIONS; i++)); do
    env -i PATH="$PATH" JOB_COMPLETION_INDEX=$i SHARDS="$S_SHARDS" SEED="$S_SEED" CASES=$cases \
      VARIANT="$S_VARIANT" JOBS="$S_JOBS" RESULTS="$(mapfrom "$S_RESULTS")" GUPCHECK="$(mapfrom "$S_GUPCHECK")" \
      "$(mapfrom "$SHARD_CMD")" >"pod$i.log" 2>&1 || fail "pod $i exited $?: $(tail -3 "pod$i.log")"
  done
  local results db
  results=$(mapfrom "$G_RESULTS")
  db=$(mapfrom "$G_DB")
  env -i PATH="$PATH" SHARDS="$G_SHARDS" RESULTS="$results" DB="$db" GUPCHECK="$(mapfrom "$G_GUPCHECK")" \
    "$(mapfrom "$GATHER_CMD")" >gather.log 2>&1 || fail "gather exited $?: $(tail -5 gather.log)"
  [ "$(ls "$results"/shard-*-of-"$S_SHARDS".json | wc -l)" -eq "$COMPLETIONS" ] || fail "not one summary per pod"
  for ((k = 1; k <= COMPLETIONS; k++)); do
    grep -q "shard $k/$S_SHARDS exited 0" pod$((k - 1)).log || fail "pod $((k - 1)) did not run shard $k/$S_SHARDS"
  done
  reference "$S_VARIANT" "$S_SEED" $cases
  [ "$(field "$results/night.json" cases) $(field "$results/night.json" ops)" = \
    "$(field ref.json cases) $(field ref.json ops)" ] ||
    fail "shards checked $(field "$results/night.json" cases) cases, $(field "$results/night.json" ops) ops;" \
      "one machine $(field ref.json cases), $(field ref.json ops)"
  [ "$(sql "$db" "SELECT tool, seed, shard, cases, status FROM runs")" = \
    "merge|$night|1,2,3,4/4|$(field ref.json cases)|ok" ] || fail "database run: $(sql "$db" 'SELECT * FROM runs')"
  [ -s "$results/night.xml" ] || fail "no JUnit file"
}

case_slurm() {
  local v=fork-shares-pinned-pages cases=600
  export SHARDS=3 SEED=7 CASES=$cases VARIANT=$v RESULTS=$TMP/night1 GUPCHECK GUPCHECK_ARGS="--shrink-time 10"
  for i in 0 1 2; do
    env SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=3 SLURM_SUBMIT_DIR="$SRC" SLURM_CPUS_PER_TASK=1 \
      bash "$SRC/deploy/slurm/nightly.sbatch" >"task$i.log" 2>&1 || fail "array task $i exited $?: $(tail -3 task$i.log)"
  done
  DB=$TMP/nightly.db "$SRC/deploy/gather.sh" >gather.log 2>&1 || fail "gather exited $?: $(tail -5 gather.log)"
  local n
  n=$(python3 -c 'import json,sys;print(len(json.load(open(sys.argv[1]))["findings"]))' "$RESULTS/night.json")
  [ "$n" -ge 1 ] || fail "the night found nothing on $v"
  [ "$(sql nightly.db 'SELECT count(*) FROM sightings')" = "$n" ] || fail "database has other findings than the night"
  # The lowest failing case over the shards is the one-machine campaign's first failure.
  reference $v 7 $cases
  python3 - "$RESULTS/night.json" ref.json <<'EOF' || fail "the shards' first finding differs from one machine's"
import json, sys
night, ref = (json.load(open(p)) for p in sys.argv[1:])
a = min(night["findings"], key=lambda f: f["case"])
b = min(ref["findings"], key=lambda f: f["case"])
assert (a["case"], a["invariant"], a["trace"]) == (b["case"], b["invariant"], b["trace"]), (a["case"], b["case"])
EOF
  # A task whose array size disagrees with SHARDS is refused.
  env SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_COUNT=5 SLURM_SUBMIT_DIR="$SRC" bash "$SRC/deploy/slurm/nightly.sbatch" \
    >bad.log 2>&1
  [ $? -eq 2 ] || fail "a 5-task array with SHARDS=3 was not refused"
}

case_parallel() {
  command -v parallel >/dev/null || { echo "FAIL: GNU Parallel is not installed (scripts/setup.sh installs it)"; exit 1; }
  export SHARDS=4 SEED=3 CASES=600 VARIANT=zero-page-pin-counted GUPCHECK GUPCHECK_ARGS="--shrink-time 5" \
    DB=$TMP/nightly.db PARALLEL_JOBS=2
  RESULTS=$TMP/night1 "$SRC/deploy/parallel.sh" >p1.log 2>&1 || fail "night 1 exited $?: $(tail -5 p1.log)"
  RESULTS=$TMP/night2 "$SRC/deploy/parallel.sh" >p2.log 2>&1 || fail "night 2 exited $?: $(tail -5 p2.log)"
  grep -q "4 of 4 shard summaries merged" p2.log || fail "night 2 did not merge 4 shards"
  [ "$(sql nightly.db "SELECT count(*), group_concat(shard) FROM runs")" = "2|1,2,3,4/4,1,2,3,4/4" ] ||
    fail "runs: $(sql nightly.db 'SELECT id, shard FROM runs')"
  [ "$(sql nightly.db "SELECT count(*) FROM findings WHERE status = 'known' AND hits = 2")" -ge 1 ] ||
    fail "the same night twice left no known finding: $(sql nightly.db 'SELECT id, status, hits FROM findings')"
}

case_errors() {
  mkdir r
  SHARDS=2 SEED=1 RESULTS=r "$SRC/deploy/shard.sh" >e1.log 2>&1
  [ $? -eq 2 ] && grep -q "no index" e1.log || fail "shard.sh without an index"
  JOB_COMPLETION_INDEX=2 SHARDS=2 SEED=1 RESULTS=r "$SRC/deploy/shard.sh" >e2.log 2>&1
  [ $? -eq 2 ] && grep -q "not below SHARDS=2" e2.log || fail "shard.sh with index 2 of 2"
  JOB_COMPLETION_INDEX=0 SHARDS=2 RESULTS=r "$SRC/deploy/shard.sh" >e3.log 2>&1
  [ $? -eq 2 ] && grep -q "SEED is not set" e3.log || fail "shard.sh without a seed"
  JOB_COMPLETION_INDEX=x SHARDS=2 SEED=1 RESULTS=r "$SRC/deploy/shard.sh" >e4.log 2>&1
  [ $? -eq 2 ] || fail "shard.sh with index x"
  # A bad flag reaches gupcheck: its exit status 2 comes through.
  JOB_COMPLETION_INDEX=0 SHARDS=2 SEED=1 RESULTS=r GUPCHECK="$GUPCHECK" GUPCHECK_ARGS="--max-size 0" \
    "$SRC/deploy/shard.sh" >e5.log 2>&1
  [ $? -eq 2 ] || fail "shard.sh did not pass gupcheck's exit status 2 on"
  JOB_COMPLETION_INDEX=0 SHARDS=2 SEED=1 CASES=50 RESULTS=r GUPCHECK="$GUPCHECK" "$SRC/deploy/shard.sh" >e6.log 2>&1 ||
    fail "shard 1/2 failed: $(tail -3 e6.log)"
  SHARDS=2 RESULTS=r DB=r.db GUPCHECK="$GUPCHECK" "$SRC/deploy/gather.sh" >e7.log 2>&1
  [ $? -eq 1 ] && grep -q "missing shards: 2/2" e7.log && grep -q "1 of 2 shard summaries" e7.log ||
    fail "gather.sh with a shard missing: $(tail -4 e7.log)"
  SHARDS=3 RESULTS=r GUPCHECK="$GUPCHECK" "$SRC/deploy/gather.sh" >e8.log 2>&1
  [ $? -eq 2 ] && grep -q "no shard summaries" e8.log || fail "gather.sh with SHARDS matching no summary"
}

"case_$CASE"
if [ $failures -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all passed"

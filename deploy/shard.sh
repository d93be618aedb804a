#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# One shard of a nightly campaign: the command every recipe runs (the
# Kubernetes Indexed Job's container, a Slurm array task, a GNU Parallel job).
#
# The 0-based index comes from the engine: JOB_COMPLETION_INDEX (Kubernetes
# Indexed Job), SLURM_ARRAY_TASK_ID (Slurm, --array=0-(SHARDS-1)) or
# SHARD_INDEX (GNU Parallel, or by hand). Index i runs `--shard i+1/SHARDS`.
#
# Environment:
#   SHARDS    N, the number of shards (required; the Job's completions, the array's size)
#   SEED      the campaign seed, the same for every shard of one night (required)
#   RESULTS   a directory every shard and the gather step share (required)
#   CASES     the campaign's case budget, split between the shards (default 1000000)
#   VARIANT   the model variant (default mainline)
#   JOBS      worker processes in this shard (default 1)
#   GUPCHECK  the binary (default: gupcheck on PATH)
#   GUPCHECK_ARGS  more `gupcheck fuzz` flags (e.g. "--shrink-time 30")
#
# Writes RESULTS/shard-K-of-N.json (the summary deploy/gather.sh merges) and
# the counterexample files under RESULTS/out/shard-K/.
# Exit status: 0 when the shard ran (whether or not it found a violation: the
# summary says), 2 on bad settings, 3 when gupcheck failed (a crashed worker,
# a model error), so the engine retries only what failed.
set -euo pipefail

die() {
  echo "shard.sh: $*" >&2
  exit 2
}
index=${JOB_COMPLETION_INDEX:-${SLURM_ARRAY_TASK_ID:-${SHARD_INDEX:-}}}
[ -n "$index" ] || die "no index: set JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or SHARD_INDEX"
[ -n "${SHARDS:-}" ] || die "SHARDS is not set"
[ -n "${SEED:-}" ] || die "SEED is not set (the same seed for every shard of a campaign)"
[ -n "${RESULTS:-}" ] || die "RESULTS is not set"
[[ $index =~ ^[0-9]+$ ]] || die "index '$index' is not a number"
[[ $SHARDS =~ ^[1-9][0-9]*$ ]] || die "SHARDS '$SHARDS' is not a positive number"
[ "$index" -lt "$SHARDS" ] || die "index $index is not below SHARDS=$SHARDS"
if [ -n "${SLURM_ARRAY_TASK_COUNT:-}" ] && [ "$SLURM_ARRAY_TASK_COUNT" != "$SHARDS" ]; then
  die "the Slurm array has $SLURM_ARRAY_TASK_COUNT tasks but SHARDS=$SHARDS"
fi
k=$((index + 1))
mkdir -p "$RESULTS/out"
status=0
# shellcheck disable=SC2086 # GUPCHECK_ARGS is a list of flags
"${GUPCHECK:-gupcheck}" fuzz --variant "${VARIANT:-mainline}" --seed "$SEED" --cases "${CASES:-1000000}" \
  --shard "$k/$SHARDS" --jobs "${JOBS:-1}" --out "$RESULTS/out/shard-$k" \
  --summary-json "$RESULTS/shard-$k-of-$SHARDS.json" ${GUPCHECK_ARGS:-} || status=$?
echo "shard.sh: shard $k/$SHARDS exited $status"
case $status in
  0 | 1) exit 0 ;;
  *) exit "$status" ;;
esac

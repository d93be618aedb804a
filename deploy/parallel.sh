#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A nightly campaign on one machine or over ssh with GNU Parallel: the shards
# of deploy/shard.sh, PARALLEL_JOBS at a time (default 2), then deploy/gather.sh.
#
#   SHARDS=8 SEED=$(date +%Y%m%d) RESULTS=/srv/gupcheck/$(date +%F) deploy/parallel.sh
#   # over machines that share RESULTS (NFS): add PARALLEL_ARGS="-S host1,host2 --workdir $PWD"
#
# The GNU Parallel command line is the one line below; everything else is
# the environment deploy/shard.sh documents.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ -n "${SHARDS:-}" ] || { echo "parallel.sh: SHARDS is not set" >&2; exit 2; }
export SHARDS SEED RESULTS CASES VARIANT JOBS GUPCHECK GUPCHECK_ARGS
# shellcheck disable=SC2086 # PARALLEL_ARGS is a list of flags
seq 0 $((SHARDS - 1)) | parallel --will-cite --halt never -j "${PARALLEL_JOBS:-2}" ${PARALLEL_ARGS:-} \
  --env SHARDS --env SEED --env RESULTS --env CASES --env VARIANT --env JOBS --env GUPCHECK --env GUPCHECK_ARGS \
  SHARD_INDEX={} "$here/shard.sh"
exec "$here/gather.sh"

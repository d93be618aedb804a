#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The gather step of a nightly campaign: merges the shards' summaries
# (deploy/shard.sh) into one and records it in the findings database.
#
# Environment: SHARDS, RESULTS and GUPCHECK as for deploy/shard.sh;
# DB the findings database (default RESULTS/../nightly.db; on a local disk or
# a volume one writer at a time uses: this step is the only writer).
#
# Writes RESULTS/night.json (merged summary) and RESULTS/night.xml (JUnit).
# Exit status: 0 when every shard's summary was there (whatever was found:
# `gupcheck findings --db DB --new` says), 1 when some were missing (they are
# listed; what was there is recorded), 2 on bad settings or summaries of
# different campaigns, 3 when a shard's worker crashed.
set -euo pipefail

die() {
  echo "gather.sh: $*" >&2
  exit 2
}
[ -n "${SHARDS:-}" ] || die "SHARDS is not set"
[ -n "${RESULTS:-}" ] || die "RESULTS is not set"
db=${DB:-$RESULTS/../nightly.db}
shopt -s nullglob
summaries=("$RESULTS"/shard-*-of-"$SHARDS".json)
[ ${#summaries[@]} -gt 0 ] || die "no shard summaries in $RESULTS"
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"${GUPCHECK:-gupcheck}" merge "${summaries[@]}" --summary-json "$RESULTS/night.json" --junit "$RESULTS/night.xml" \
  --db "$db" 2>&1 | tee "$log" || status=${PIPESTATUS[0]}
echo "gather.sh: ${#summaries[@]} of $SHARDS shard summaries merged into $db (merge exited $status)"
# merge fails (exit 2, or 1/3 for what the shards found) on missing shards;
# here that is the "some were missing" outcome.
if [ ${#summaries[@]} -lt "$SHARDS" ] && grep -q "missing shards" "$log"; then exit 1; fi
case $status in
  0 | 1) exit 0 ;;
  *) exit "$status" ;;
esac

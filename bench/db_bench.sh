#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Figures for the findings database (issue 16).
#
#   bench/db_bench.sh nights [GUPCHECK] [VARIANT] [NIGHTS] [CASES]
#     NIGHTS simulated nights (default 10): night N is
#     `fuzz --variant VARIANT --seed N --cases CASES --jobs 2 --db nights.db`;
#     prints per night the findings recorded, how many were new, and the
#     distinct findings so far; then every finding with its hits, first and
#     last night and smallest length. Keeps nights.db in $OUT (default /tmp).
#   bench/db_bench.sh overhead [GUPCHECK] [SECONDS] [SEEDS] [DB]
#     Per seed 1..SEEDS (default 10), a mainline campaign of SECONDS (default
#     60) without and with --db (a copy of DB, default an empty database), run
#     at the same time so they share the machine's load: ops/s of each, their
#     ratio, and the milliseconds the --db run spent in the database.
set -euo pipefail
. "$(dirname "$0")/../tests/python.sh"  # Debian's python3
cd "$(dirname "$0")/.."
MODE=${1:-}
GUPCHECK=$(realpath "${2:-build/release/gupcheck}")
OUT=${OUT:-/tmp}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gupcheck-dbbench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

nights() {
  local variant=${1:-cow-reuse-by-mapcount} n=${2:-10} cases=${3:-4000}
  local db=$OUT/nights.db
  rm -f "$db" "$db-wal" "$db-shm"
  echo "simulated nights: gupcheck fuzz --variant $variant --seed N --cases $cases --jobs 2 --shrink-time 10 --db $db"
  printf '%-6s %9s %5s %9s %8s\n' night recorded new distinct "db ms"
  for night in $(seq 1 "$n"); do
    "$GUPCHECK" fuzz --variant "$variant" --seed "$night" --cases "$cases" --jobs 2 --shrink-time 10 \
      --out "$TMP/o$night" --db "$db" >"$TMP/n$night.log" 2>&1 || true
    local rec new distinct ms
    rec=$(grep -c '^db: finding #' "$TMP/n$night.log" || true)
    new=$(grep -c '^db: finding #[0-9]* new' "$TMP/n$night.log" || true)
    distinct=$(sqlite3 "$db" 'SELECT count(*) FROM findings')
    ms=$(sed -nE 's/.*\(([0-9.]+) ms in the database\).*/\1/p' "$TMP/n$night.log")
    printf '%-6s %9s %5s %9s %8s\n' "$night" "$rec" "$new" "$distinct" "$ms"
  done
  echo
  sqlite3 -header -column "$db" "SELECT id, invariant, status, hits, length AS smallest, first_run AS first_night,
      last_run AS last_night, (SELECT max(length) FROM sightings WHERE finding_id = findings.id) AS largest
      FROM findings ORDER BY id"
  echo "total: $(sqlite3 "$db" 'SELECT count(*) FROM sightings') findings recorded over $n nights," \
    "$(sqlite3 "$db" 'SELECT count(*) FROM findings') distinct," \
    "$(sqlite3 "$db" 'SELECT count(*) FROM findings WHERE first_run < last_run') seen on more than one night," \
    "$(sqlite3 "$db" 'SELECT count(*) FROM (SELECT finding_id FROM sightings GROUP BY finding_id HAVING min(length) < max(length))') whose smallest trace shrank further on a later sighting"
}

overhead() {
  local seconds=${1:-60} seeds=${2:-10} base=${3:-}
  echo "overhead: per seed, gupcheck fuzz --seed S --time $seconds [--db COPY${base:+ of $base}], both at once"
  printf '%-5s %12s %12s %7s %8s\n' seed "ops/s" "ops/s --db" ratio "db ms"
  local ratios=""
  for s in $(seq 1 "$seeds"); do
    rm -f "$TMP/d.db"*
    [ -n "$base" ] && sqlite3 "$base" ".backup '$TMP/d.db'"
    "$GUPCHECK" fuzz --seed "$s" --time "$seconds" --out "$TMP/a" >"$TMP/a.log" 2>&1 &
    local pa=$!
    "$GUPCHECK" fuzz --seed "$s" --time "$seconds" --out "$TMP/b" --db "$TMP/d.db" >"$TMP/b.log" 2>&1 || true
    wait $pa || true
    local a b ms r
    a=$(sed -nE 's/^summary: .*\(([0-9]+) ops\/s\).*/\1/p' "$TMP/a.log")
    b=$(sed -nE 's/^summary: .*\(([0-9]+) ops\/s\).*/\1/p' "$TMP/b.log")
    ms=$(sed -nE 's/.*\(([0-9.]+) ms in the database\).*/\1/p' "$TMP/b.log")
    r=$(python3 -c "print(f'{$b / $a:.3f}')")
    ratios="$ratios $r"
    printf '%-5s %12s %12s %7s %8s\n' "$s" "$a" "$b" "$r" "$ms"
  done
  python3 -c "import statistics,sys; r=[float(x) for x in sys.argv[1:]]; print(f'ratio with/without --db: median {statistics.median(r):.3f}, min {min(r):.3f}, max {max(r):.3f} over {len(r)} seeds')" $ratios
}

case $MODE in
  nights) shift 2 || shift $#; nights "$@" ;;
  overhead) shift 2 || shift $#; overhead "$@" ;;
  *) echo "usage: $0 nights|overhead [GUPCHECK] ..." >&2; exit 2 ;;
esac

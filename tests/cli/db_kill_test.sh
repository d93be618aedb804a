#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The findings database survives writers killed at random moments.
#
# RUNS fuzz campaigns (default 200), JOBS at a time (default 4), all writing
# one database with --db, each on a variant that fails at once (or mainline),
# each SIGKILLed after a random 0 to 0.35 s: while it opens and re-checks the
# database, runs, shrinks or commits. Then:
#   - PRAGMA integrity_check says ok;
#   - every finding a writer reported as written ("db: finding #ID ...",
#     printed after its commit) is there with its invariant and variant, and
#     has at least as many sightings as reports;
#   - every run a writer reported as recorded has ended.
# Prints the counts (the figures of the closing note). About 30 s on 2 cores.
# Usage: tests/cli/db_kill_test.sh GUPCHECK [RUNS] [JOBS] [SEED]
set -u
GUPCHECK=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
RUNS=${2:-200}
JOBS=${3:-4}
SEED=${4:-2026}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gupcheck-kill.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
DB=k.db
RANDOM=$SEED
variants=(mainline zero-page-mixedmap-refcount zero-page-pin-counted fork-shares-pinned-pages cow-reuse-by-mapcount
  ro-pin-no-unshare longterm-pin-keeps-zero-page follow-pfn-pte-skips-pin foll-anon-zero-page vm-unpaged)

writer() {  # writer I DELAY
  local i=$1 delay=$2 v=${variants[$(($1 % ${#variants[@]}))]}
  { timeout -s KILL "$delay" "$GUPCHECK" fuzz --variant "$v" --seed "$i" --cases 300 --shrink-time 0.3 --out "o$i" \
    --db $DB >"w$i.log" 2>&1; } 2>/dev/null
  echo $? >"w$i.status"
}

for ((i = 1; i <= RUNS; i++)); do
  delay=$(printf '0.%03d' $((RANDOM % 350)))
  writer "$i" "$delay" &
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
done
wait

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
killed=$(grep -lx 137 w*.status | wc -l)
finished=$((RUNS - killed))
integrity=$(sqlite3 $DB 'PRAGMA integrity_check' 2>&1)
[ "$integrity" = ok ] || fail "integrity_check: $integrity"
fk=$(sqlite3 $DB 'PRAGMA foreign_key_check' 2>&1)
[ -z "$fk" ] || fail "foreign_key_check: $fk"

# Every "db: finding #ID STATUS: INVARIANT on VARIANT (N operations)" line.
cat w*.log | sed -nE 's/^db: finding #([0-9]+) [^:]*: ([A-Za-z0-9]+) on ([a-z0-9+-]+) .*/\1 \2 \3/p' >reported
reported=$(wc -l <reported)
missing=0
while read -r id inv var; do
  got=$(sqlite3 $DB "SELECT invariant || ' ' || variant FROM findings WHERE id = $id")
  [ "$got" = "$inv $var" ] || { fail "finding #$id reported ($inv on $var) but the database has '$got'"; missing=$((missing + 1)); }
done <reported
while read -r n id; do
  s=$(sqlite3 $DB "SELECT count(*) FROM sightings WHERE finding_id = $id")
  [ "$s" -ge "$n" ] || fail "finding #$id reported $n times, $s sightings"
done < <(cut -d' ' -f1 reported | sort | uniq -c)
for r in $(cat w*.log | sed -nE 's/^db: run #([0-9]+) recorded.*/\1/p'); do
  [ "$(sqlite3 $DB "SELECT ended > 0 FROM runs WHERE id = $r")" = 1 ] || fail "run #$r reported recorded, not ended"
done
# A writer that was not killed exits 0 or 1 (found); never 2 or 3.
for f in w*.status; do
  st=$(cat "$f")
  case $st in 0 | 1 | 137) ;; *) fail "${f%.status} exited $st: $(tail -2 "${f%.status}.log")" ;; esac
done
findings=$(sqlite3 $DB 'SELECT count(*) FROM findings')
runs=$(sqlite3 $DB 'SELECT count(*) FROM runs')
running=$(sqlite3 $DB "SELECT count(*) FROM runs WHERE ended = 0")
echo "kill test: $RUNS writers ($JOBS at a time, seed $SEED): $killed killed by SIGKILL, $finished finished;" \
  "$runs runs in the database ($running left running by a kill); $reported findings reported written, $missing missing;" \
  "$findings distinct findings; integrity_check: $integrity"
[ "$killed" -gt 0 ] || fail "no writer was killed: the test proves nothing"
[ "$reported" -gt 0 ] || fail "no finding was reported written: the test proves nothing"
if [ $failures -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all passed"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The findings database from the command line: --db on fuzz, gate, merge and
# explore, gupcheck findings [show ID], and bad input. One case per CTest test.
# Usage: tests/cli/db_test.sh GUPCHECK CASE
#   CASE: record | shards | gate_explore | timeline | errors
set -u
. "$(dirname "$0")/../python.sh"  # Debian's python3
if [ $# -ne 2 ]; then
  echo "usage: $0 GUPCHECK CASE" >&2
  exit 2
fi
GUPCHECK=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
CASE=$2
TEST_NAME=db
# The scratch directory and fail/run/has (tests/cli/lib.sh, shared with the other CLI tests).
. "$(dirname "$0")/lib.sh"
unset GUPCHECK_DB
sql() { sqlite3 "$DB" "$1"; }
DB=n.db
V=fork-shares-pinned-pages

case_record() {
  run 1 f1.log fuzz --variant $V --seed 1 --cases 400 --shrink-time 5 --out o --db $DB || return
  has f1.log "db: finding #1 new: PinnedAnonIsExclusive on $V"
  has f1.log "db: run #1 recorded in $DB"
  [ "$(sql 'PRAGMA journal_mode')" = wal ] || fail "not in WAL mode"
  [ "$(sql "SELECT tool, variant, seed, status, cases > 0, ops > 0, ops_per_s > 0, ended >= started FROM runs")" = \
    "fuzz|$V|1|found|1|1|1|1" ] || fail "run row: $(sql 'SELECT * FROM runs')"
  # The printed found-by command is a promise: it finds the same finding (one finding, two hits, known).
  local found_by
  found_by=$(sql "SELECT found_by FROM findings WHERE id = 1")
  [ "${found_by%% *}" = gupcheck ] || fail "found_by is '$found_by'"
  eval "\"$GUPCHECK\" ${found_by#gupcheck }" >f2.log 2>&1
  [ $? -eq 1 ] || fail "found-by command did not exit 1"
  has f2.log "db: finding #1 known: PinnedAnonIsExclusive on $V"
  [ "$(sql 'SELECT count(*), sum(hits) FROM findings')" = "1|2" ] || fail "dedup: $(sql 'SELECT id, hits FROM findings')"
  run 0 list.log findings --db $DB || return
  has list.log "1 findings: 0 new, 1 known, 0 fixed"
  run 0 new.log findings --db $DB --new || return
  has new.log "0 findings: 0 new"
  run 0 json.log findings --db $DB --all --json || return
  python3 - json.log <<'EOF' || fail "findings --json"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["format"] == "gupcheck-findings" and j["version"] == 1, j
f = j["findings"][0]
assert f["id"] == 1 and f["status"] == "known" and f["hits"] == 2 and f["invariant"] == "PinnedAnonIsExclusive", f
assert f["trace"].startswith("# gupcheck trace v1"), f
EOF
  # show replays: the same violation, exit 1; GUPCHECK_DB names the default database.
  GUPCHECK_DB=$DB run 1 show.log findings show 1 || return
  has show.log "finding #1: PinnedAnonIsExclusive on $V, known"
  has show.log "invariant PinnedAnonIsExclusive (E1) violated"
  has show.log "replay:  gupcheck findings show 1 --db $DB"
  # The printed replay command itself.
  run 1 show2.log findings show 1 --db $DB || return
  cmp -s show.log show2.log || fail "findings show differs between GUPCHECK_DB and --db"
  # Without --db nothing is written anywhere.
  run 1 plain.log fuzz --variant $V --seed 1 --cases 400 --shrink-time 5 --out o2 || return
  grep -q '^db:' plain.log && fail "fuzz without --db mentions a database"
  [ "$(ls ./*.db | wc -l)" -eq 1 ] || fail "a database appeared without --db"
}

case_shards() {
  # Two shards writing one database at once, then the merged summary into another.
  "$GUPCHECK" fuzz --variant $V --seed 3 --cases 600 --shard 1/2 --summary-json s1.json --shrink-time 5 --out o \
    --db $DB >s1.log 2>&1 &
  local p1=$!
  "$GUPCHECK" fuzz --variant $V --seed 3 --cases 600 --shard 2/2 --summary-json s2.json --shrink-time 5 --out o \
    --db $DB >s2.log 2>&1
  local st2=$?
  wait $p1
  local st1=$?
  [ $st1 -eq 1 ] && [ $st2 -eq 1 ] || fail "shards exited $st1 and $st2, expected 1 and 1"
  [ "$(sql "SELECT count(*), group_concat(shard) FROM (SELECT shard FROM runs ORDER BY shard)")" = "2|1/2,2/2" ] ||
    fail "runs: $(sql 'SELECT id, shard FROM runs')"
  [ "$(sql "SELECT count(*) FROM runs WHERE status = 'found'")" = 2 ] || fail "run status"
  [ "$(sql 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
  run 1 m.log merge s1.json s2.json --summary-json all.json --db merged.db || return
  has m.log "db: run #1 recorded in merged.db"
  DB=merged.db
  [ "$(sql "SELECT tool, shard, cases FROM runs")" = "merge|1,2/2|$(python3 -c 'import json;print(json.load(open("s1.json"))["cases"]+json.load(open("s2.json"))["cases"])')" ] ||
    fail "merge run: $(sql 'SELECT * FROM runs')"
  local n
  # One hit per distinct counterexample of the merged summary (merge dedups across shards already).
  n=$(python3 -c 'import json;print(len(json.load(open("all.json"))["findings"]))')
  [ "$n" -ge 1 ] || fail "merged summary has no finding"
  [ "$(sql 'SELECT sum(hits) FROM findings')" = "$n" ] || fail "merged hits $(sql 'SELECT sum(hits) FROM findings') != $n"
  # The shards' database and the merged one hold the same distinct findings.
  [ "$(sqlite3 n.db 'SELECT canonical FROM findings ORDER BY canonical')" = \
    "$(sql 'SELECT canonical FROM findings ORDER BY canonical')" ] || fail "shard and merged findings differ"
}

case_gate_explore() {
  run 0 g.log gate --budget 5 --mainline-budget 1 --variants mainline,zero-page-pin-counted --shrink-time 2 --db $DB ||
    return
  has g.log "db: finding #1 new: GupGrabArithmetic on zero-page-pin-counted"
  [ "$(sql "SELECT tool, variant, status FROM runs")" = "gate|mainline,zero-page-pin-counted|ok" ] ||
    fail "gate run: $(sql 'SELECT * FROM runs')"
  # The gate's found-by command catches the same finding.
  local found_by
  found_by=$(sql "SELECT found_by FROM findings WHERE id = 1")
  has <(echo "$found_by") "gupcheck gate --seed 1 --variants zero-page-pin-counted"
  eval "\"$GUPCHECK\" ${found_by#gupcheck } --budget 5 --shrink-time 2 --db $DB" >g2.log 2>&1 ||
    fail "found-by gate command failed"
  has g2.log "db: finding #1 known: GupGrabArithmetic on zero-page-pin-counted"
  run 1 e.log explore --variant zero-page-pin-counted --depth 3 --out o --db $DB || return
  has e.log "db: finding #"
  [ "$(sql "SELECT status FROM runs WHERE tool = 'explore'")" = found ] || fail "explore run"
  # Mark a finding as if found on mainline: the next opener re-checks it and calls it fixed.
  sqlite3 $DB "UPDATE findings SET variant = 'mainline' WHERE id = 1"
  run 0 l.log findings --db $DB --all || return
  has l.log "1 fixed"
  run 0 s.log findings show 1 --db $DB || return
  has s.log "fixed: no longer reproduces since"
}

case_timeline() {
  # v6.2..v6.4 pinned the zero page with a count (zero-page-pin-counted), v6.5 stopped.
  run 0 t.log timeline --from v6.2 --to v6.6 --cases 300 --budget 5 --db $DB || return
  has t.log "v6.2..v6.4       X     zero-page-pin-counted"
  has t.log "v6.5..v6.6       .     mainline"
  has t.log "columns: A1 GupGrabArithmetic"
  [ "$(sql "SELECT release, invariant, variant, broken FROM timeline ORDER BY release")" = \
    "v6.2..v6.4|GupGrabArithmetic|zero-page-pin-counted|1
v6.5..v6.6|GupGrabArithmetic|mainline|0" ] || fail "timeline table: $(sql 'SELECT * FROM timeline')"
  [ "$(sql "SELECT tool, variant, status FROM runs")" = "timeline|v6.2..v6.6|found" ] || fail "run: $(sql 'SELECT * FROM runs')"
  # The broken cell's finding, and the command it says found it.
  local found_by
  found_by=$(sql "SELECT found_by FROM findings WHERE variant = 'zero-page-pin-counted'")
  [ "$found_by" = "gupcheck timeline --from v6.2 --to v6.4 --seed 1" ] || fail "found_by '$found_by'"
  eval "\"$GUPCHECK\" ${found_by#gupcheck } --cases 300 --budget 5 --db $DB" >t2.log 2>&1 || fail "found-by timeline failed"
  has t2.log "v6.2..v6.4       X     zero-page-pin-counted"
  has t2.log "db: finding #1 known: GupGrabArithmetic on zero-page-pin-counted"
  # The history page shows the latest timeline.
  run 0 r.log report --db $DB --html r.html || return
  grep -q '<table id="timeline"' r.html || fail "the page has no timeline table"
  grep -q '<td class="broken">broken</td>' r.html || fail "the page's timeline has no broken cell"
  run 2 e.log timeline --from v3.0 || return
  has e.log "not a mainline release from v4.0 to v6.18: 'v3.0'"
  run 2 e2.log timeline --from v5.0 --to v4.9 || return
}

case_errors() {
  mkdir adir
  run 2 e1.log fuzz --cases 10 --db adir || return
  has e1.log "--db adir: is a directory"
  echo "not a database" >junk.db
  run 2 e2.log fuzz --cases 10 --db junk.db || return
  has e2.log "findings database junk.db"
  run 2 e3.log findings || return
  has e3.log "no findings database at gupcheck.db"
  run 2 e4.log fuzz --cases 10 --db nodir/x.db || return
  run 2 e5.log fuzz --cases 10 --witness PinnedPageAtFork --db $DB || return
  run 0 ok.log fuzz --cases 10 --seed 1 --db $DB || return
  run 2 e6.log findings show 9 --db $DB || return
  has e6.log "no finding #9"
  run 2 e7.log findings --new --all --db $DB || return
  run 2 e8.log findings show x --db $DB || return
  run 2 e10.log report --db missing.db --html r.html || return
  run 2 e11.log report --db $DB --html nodir/r.html || return
  run 2 e12.log report --db $DB || return
  run 0 r.log report --db $DB --html r.html || return
  has r.log "wrote r.html: 0 findings"
  sqlite3 $DB "PRAGMA user_version=99"
  run 2 e9.log findings --db $DB || return
  has e9.log "newer than this gupcheck knows"
}

"case_$CASE"
if [ $failures -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all passed"

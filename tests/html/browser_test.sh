#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The campaign page in a real browser: runs two short campaigns with --html
# (one that finds a counterexample, one that finds nothing), opens each page in
# headless Chromium, and checks from the DOM Chromium dumps that the page's
# own script saw its tables with rows, its plot line with a non-empty bounding
# box and (with Graphviz) the counterexample graph; then the same for the
# page of a short `gupcheck gate --html`. Keeps the pages and their
# screenshots in OUTDIR (CTest: build/<preset>/tests/html/).
# Usage: tests/html/browser_test.sh PATH/TO/gupcheck OUTDIR
# Exit: 0 passed, 1 failed, 77 skipped (no Chromium).
set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 GUPCHECK OUTDIR" >&2
  exit 2
fi
GUPCHECK=$1
OUTDIR=$2

CHROMIUM=""
for c in chromium chromium-browser google-chrome; do
  if command -v "$c" >/dev/null 2>&1; then CHROMIUM=$(command -v "$c"); break; fi
done
if [ -z "$CHROMIUM" ]; then
  echo "SKIP: no chromium on PATH (scripts/setup.sh installs Debian's chromium package)"
  exit 77
fi

mkdir -p "$OUTDIR" || exit 1
rm -rf "$OUTDIR"/*.html "$OUTDIR"/*.png "$OUTDIR"/*.dom "$OUTDIR"/out
PROFILE=$(mktemp -d "${TMPDIR:-/tmp}/gupcheck-chromium.XXXXXX")
trap 'rm -rf "$PROFILE"' EXIT
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

chromium() {
  timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
    --user-data-dir="$PROFILE" "$@" 2>>"$OUTDIR/chromium.log"
}

# attr DOMFILE NAME: the value of attribute NAME on <html>.
attr() {
  grep -o "<html[^>]*>" "$1" | head -n 1 | grep -o " $2=\"[^\"]*\"" | sed 's/.*="\(.*\)"/\1/'
}

# check_page NAME MIN_TABLES MIN_PLOT_POINTS GRAPHS
check_page() {
  local page=$OUTDIR/$1.html dom=$OUTDIR/$1.dom png=$OUTDIR/$1.png
  [ -s "$page" ] || { fail "$page was not written"; return; }
  # Links within the page (href="#...") only.
  if grep -qE '(src|href)="[^#]' "$page"; then fail "$1.html refers to an external resource"; fi
  chromium --dump-dom "file://$page" >"$dom"
  local rendered tables points graphs
  rendered=$(attr "$dom" data-rendered)
  tables=$(attr "$dom" data-tables)
  points=$(attr "$dom" data-plot-points)
  graphs=$(attr "$dom" data-graphs)
  echo "$1: rendered=$rendered tables=$tables plot-points=$points graphs=$graphs"
  [ "$rendered" = yes ] || fail "$1: data-rendered='$rendered' ($(attr "$dom" data-render-error))"
  [ "${tables:-0}" -ge "$2" ] || fail "$1: $tables tables, expected at least $2"
  [ "${points:-0}" -ge "$3" ] || fail "$1: $points plot points, expected at least $3"
  [ "${graphs:-0}" -eq "$4" ] || fail "$1: $graphs graphs, expected $4"
  chromium --screenshot="$png" --window-size=1280,2400 "file://$page" >/dev/null
  if [ ! -s "$png" ]; then
    fail "$1: no screenshot"
  else
    local size
    size=$(stat -c %s "$png")
    # A blank page of that size compresses to a few kilobytes.
    [ "$size" -gt 40000 ] || fail "$1: the screenshot is only $size bytes"
    head -c 8 "$png" | od -An -tx1 | grep -q "89 50 4e 47" || fail "$1: the screenshot is not a PNG"
    echo "$1: screenshot $png ($size bytes)"
  fi
}

graphs=0
if command -v dot >/dev/null 2>&1; then graphs=1; fi

# A campaign that finds the zero-page refcount bug: configuration, invariants
# and one counterexample with its graph.
"$GUPCHECK" fuzz --variant zero-page-mixedmap-refcount --seed 1 --cases 200 --shrink-time 1 \
  --out "$OUTDIR/out" --html "$OUTDIR/campaign.html" >"$OUTDIR/campaign.stdout" 2>&1
status=$?
[ "$status" -eq 1 ] || fail "the variant campaign exited $status, expected 1"
check_page campaign 3 2 "$graphs"  # configuration, invariants, branch coverage

# A clean campaign long enough for several progress samples.
"$GUPCHECK" fuzz --seed 1 --time 1 --out "$OUTDIR/out" --html "$OUTDIR/mainline.html" \
  >"$OUTDIR/mainline.stdout" 2>&1
status=$?
[ "$status" -eq 0 ] || fail "the mainline campaign exited $status, expected 0"
check_page mainline 3 4 0
# The branch coverage section (issue 15): per kernel function, and the branches never reached.
for pg in campaign mainline; do
  grep -q '<table id="branches"' "$OUTDIR/$pg.html" || fail "$pg.html has no branch coverage table"
  grep -q '<td>follow_page_pte</td>' "$OUTDIR/$pg.html" || fail "$pg.html: follow_page_pte missing from the branch table"
  grep -q '<ul id="never-reached">' "$OUTDIR/$pg.html" || fail "$pg.html has no list of branches never reached"
done

# The gate's page: configuration, invariants and variants tables, mainline's
# plot, and one counterexample (with its graph) per historical variant.
# Every variant but the two races that take tens of seconds to find (the
# CI gate itself runs those with its 45 s budget).
quick=$("$GUPCHECK" list variants | awk '/^[a-z]/ && $1 != "huge-dirty-cow" &&
                                        $1 != "gup-fast-races-collapse" {print $1}' | paste -sd, -)
[ -n "$quick" ] || fail "gupcheck list variants listed no variant"
"$GUPCHECK" gate --seed 1 --budget 2 --mainline-budget 1 --shrink-time 1 --variants "$quick" \
  --html "$OUTDIR/gate.html" >"$OUTDIR/gate.stdout" 2>&1
status=$?
[ "$status" -eq 0 ] || fail "the gate exited $status, expected 0"
grep -q "<h2>Variants</h2>" "$OUTDIR/gate.html" || fail "gate.html has no variants section"
nvariants=$(("$(grep -c "caught" "$OUTDIR/gate.stdout")"))
check_page gate 3 2 $((graphs ? nvariants : 0))

# The findings database's history page: three runs of two variants with
# --stats (coverage) into one database, the first variant twice (a known
# finding), then `gupcheck report`: the findings table with a link to each
# counterexample and its graph, the runs table and four plots.
rm -f "$OUTDIR"/history.db*
for v in zero-page-mixedmap-refcount fork-shares-pinned-pages zero-page-mixedmap-refcount; do
  "$GUPCHECK" fuzz --variant "$v" --seed 1 --cases 200 --shrink-time 1 --stats --out "$OUTDIR/out" \
    --db "$OUTDIR/history.db" >>"$OUTDIR/history.stdout" 2>&1
  [ $? -eq 1 ] || fail "fuzz --variant $v --db exited $?, expected 1"
done
"$GUPCHECK" report --db "$OUTDIR/history.db" --html "$OUTDIR/history.html" >>"$OUTDIR/history.stdout" 2>&1 ||
  fail "gupcheck report exited $?"
nfindings=$(sqlite3 "$OUTDIR/history.db" 'SELECT count(*) FROM findings')
[ "$nfindings" -ge 2 ] || fail "history.db has $nfindings findings, expected at least 2"
grep -q "wrote $OUTDIR/history.html: $nfindings findings" "$OUTDIR/history.stdout" || fail "report did not say what it wrote"
check_page history 3 12 $((graphs ? nfindings : 0))
dom=$OUTDIR/history.dom
[ "$(attr "$dom" data-plots)" = 4 ] || fail "history: $(attr "$dom" data-plots) plots, expected 4"
# New findings come first: the known one (seen by two runs) is the last row.
last=$(grep -o '<tr class="[a-z]*"><td><a href="#finding-[0-9]*"' "$OUTDIR/history.html" | tail -n 1)
case $last in *'class="known"'*) ;; *) fail "history: the last finding row is not the known one: $last" ;; esac

if [ "$failures" -ne 0 ]; then
  echo "browser test: $failures failure(s); pages and screenshots in $OUTDIR"
  exit 1
fi
echo "browser test: passed; pages and screenshots in $OUTDIR"
exit 0

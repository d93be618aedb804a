// SPDX-License-Identifier: GPL-2.0-only
//
// The history page (`gupcheck report --db FILE --html PAGE`): what the
// findings database (campaign/findings.h) holds, as one self-contained HTML
// file like the campaign page (inline CSS and SVG, a few lines of inline
// JavaScript, nothing fetched). Filled from plain data: the command reads the
// database and replays the counterexamples; this file only draws.
//
// Sections, each shown only when it has data:
//   - "Findings": one row per finding, new first, then known, then fixed,
//     each linking to its counterexample section further down the page;
//   - "Runs": four plots over the runs, oldest first (one nightly run per
//     night): operations/s, cases, coverage (runs that measured it) and
//     findings recorded; then the runs as a table;
//   - "Kernel timeline": release x invariant, "broken" cells marked, with
//     approximations flagged (gupcheck timeline);
//   - "Counterexamples": each finding's smallest trace with its violation and
//     graph (reports/html.h counterexample_section()).
//
// For the browser test the page marks itself as the campaign page does:
// data-rendered="yes" on <html> once every table.data has rows and every
// plot's polyline has a non-empty bounding box, plus data-tables,
// data-plots, data-plot-points (over all plots) and data-graphs.
#pragma once

#include <string>
#include <vector>

#include "reports/html.h"

namespace gupcheck::reports {

struct HistoryRun {
  long id = 0;
  std::string label;    // e.g. "#12 fuzz mainline 2026-12-04 02:00"
  std::string tool, variant, shard, status, started;
  long cases = 0, ops = 0;
  double ops_per_s = 0;
  double coverage = -1;  // < 0: not measured
  long findings = 0;     // findings recorded by the run
};

struct HistoryFinding {
  long id = 0;
  std::string status, variant, invariant, first_seen, last_seen, fixed_at;
  long hits = 0, length = 0;
  std::string anchor;  // the id of its counterexample section (empty: none on the page)
};

struct HistoryTimeline {
  std::vector<std::string> releases, invariants;  // rows, columns
  // cells[r][i]: "broken", "holds" or "" (not run); approximate[r]: a rule of release r is dated approximately.
  std::vector<std::vector<std::string>> cells;
  std::vector<bool> approximate;
  std::vector<std::string> rules;  // per release: the composed variant ("mainline", "a+b")
};

struct HistoryPage {
  std::string title = "gupcheck findings";
  std::vector<std::pair<std::string, std::string>> summary;  // database, schema, counts
  std::vector<HistoryFinding> findings;
  std::vector<HistoryRun> runs;
  HistoryTimeline timeline;
  std::vector<std::pair<std::string, HtmlCounterexample>> counterexamples;  // (anchor, section)
};

std::string render_history_html(const HistoryPage &page);

}  // namespace gupcheck::reports

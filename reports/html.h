// SPDX-License-Identifier: GPL-2.0-only
//
// The campaign page: one self-contained HTML file (inline CSS, inline SVG,
// a few lines of inline JavaScript, no network, no external file) that a CI
// system can publish. It is filled from a plain data struct, HtmlPage, that
// knows nothing about how the figures were obtained, so `gupcheck fuzz
// --html` and `gupcheck gate --html` share it.
//
// Sections, each shown only when it has data:
//   - header: title, verdict, and `config` as a two-column table
//     (configuration, seed, variant, ...);
//   - "Operations per second": `samples` (elapsed seconds, operations so
//     far) drawn as an inline SVG polyline of ops/s between samples;
//   - "Invariants": `invariants` (name, id, steps checked, violations);
//   - "Variants": `variants`, when `show_variants` (the gate: caught,
//     invariant, time to failure, shrunk length);
//   - "Counterexamples": `counterexamples`, each with its trace, its
//     violation, and its graph as inline SVG (or the dot text in a <pre>
//     when Graphviz is missing).
//
// For a browser test the page marks itself once drawn: a script sets
// data-rendered="yes" on <html> after checking that every table has rows
// and the plot's polyline has a non-empty bounding box ("no" plus
// data-render-error otherwise), and data-tables / data-plot-points /
// data-graphs count what was drawn.
//
// Typical use (the gate):
//   reports::HtmlPage page;
//   page.title = "gupcheck gate";
//   page.verdict = "8 of 8 variants caught";
//   page.config = {{"seed", "1"}, {"time per variant", "10 s"}};
//   page.show_variants = true;
//   page.variants.push_back({"zero-page-pin-counted", true, "GupGrabArithmetic", "GupGrabArithmetic", 0.02, 3, ""});
//   page.counterexamples.push_back(reports::counterexample_from_log("zero-page-pin-counted", log));
//   campaign::write_file_atomic("gate.html", reports::render_html(page));
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "properties/coverage.h"
#include "properties/invariants.h"
#include "properties/replay.h"

namespace gupcheck::reports {

// One point of the campaign's progress (its progress callback).
struct HtmlSample {
  double elapsed = 0;  // seconds since the start
  long ops = 0;        // operations checked so far
  long cases = 0;      // cases run so far
};

struct HtmlInvariantRow {
  std::string name, id;
  long checked = 0;   // steps after which it was checked (0: not selected)
  long violated = 0;  // violations found
};

// One row of the gate's variants table.
struct HtmlVariantRow {
  std::string variant;
  bool caught = false;
  std::string invariant;  // the invariant that caught it (empty when not caught)
  std::string expected;   // the manifest's expected invariant (may be empty)
  double time_to_failure = -1;  // seconds; < 0: not applicable
  long shrunk_length = -1;      // operations; < 0: not applicable
  std::string note;             // free text (e.g. "time cap reached")
};

struct HtmlCounterexample {
  std::string title;      // e.g. "ZeroPageAlwaysSpecial on zero-page-mixedmap-refcount"
  std::string violation;  // invariant, statement and what was seen
  std::string trace;      // the trace text
  std::string replay;     // the replay command (may be empty)
  std::string dot;        // the graph as dot text
  std::string svg;        // the graph as SVG (empty: the page shows `dot` in a <pre>)
};

struct HtmlPage {
  std::string title = "gupcheck";
  std::string verdict;  // one line, e.g. "no invariant violated"
  bool failed = false;  // colours the verdict
  std::vector<std::pair<std::string, std::string>> config;
  std::vector<HtmlSample> samples;
  std::vector<HtmlInvariantRow> invariants;
  // The model's branch coverage (per kernel function, and the branches never
  // reached); no section when empty.
  props::BranchCoverage branches;
  bool show_variants = false;
  std::vector<HtmlVariantRow> variants;
  std::vector<HtmlCounterexample> counterexamples;
};

// The whole page. Every string of `page` is HTML-escaped; an SVG is inlined
// after removing its XML prologue and DOCTYPE.
std::string render_html(const HtmlPage &page);

// Shared with the other pages of reports/ (history.h): the stylesheet, the
// script that marks a page as drawn for the browser tests, and
// one counterexample section (<section id=ID>: title, violation, replay
// command, trace, graph).
const char *page_style();
const char *page_check_script();
std::string counterexample_section(const HtmlCounterexample &c, const std::string &id);

// The invariants table of a run: every registered invariant, `checked` =
// steps for the selected ones (TypeOK always), `violated` = 1 for the one
// named `violated` (when non-empty).
std::vector<HtmlInvariantRow> invariant_rows(const props::InvariantSet &inv, long steps,
                                             const std::string &violated);

// A counterexample section from a replay: trace, violation (with the
// invariant's statement), and graph (replay_graph(), rendered with
// `dot -Tsvg` when Graphviz is installed).
HtmlCounterexample counterexample_from_log(const std::string &title, const props::ReplayRecord &log);

}  // namespace gupcheck::reports

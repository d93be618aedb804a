// SPDX-License-Identifier: GPL-2.0-only
//
// The campaign page (see html.h).
#include "reports/html.h"

#include "trace/header.h"

#include "reports/markup.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "reports/graph.h"

namespace gupcheck::reports {

namespace {

std::string fmt(const char *f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// An SVG file's markup without the XML prologue, DOCTYPE and comments before <svg.
std::string inline_svg(const std::string &svg) {
  const size_t at = svg.find("<svg");
  return at == std::string::npos ? std::string() : svg.substr(at);
}

const char *kStyle = R"(
body { font-family: sans-serif; margin: 1.5em 2em; color: #222; background: #fff; }
h1 { margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
.verdict { font-size: 1.2em; font-weight: bold; padding: 0.4em 0.8em; display: inline-block; border-radius: 4px; }
.verdict.ok { background: #dff0d8; color: #2b542c; }
.verdict.bad { background: #f2dede; color: #a94442; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.7em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.hit td { background: #f8d7d7; }
tr.miss td { background: #fcf3cf; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: 0.6em; overflow-x: auto; }
.graph { overflow-x: auto; border: 1px solid #ddd; padding: 0.5em; }
.graph svg { max-width: 100%; height: auto; }
#plot { border: 1px solid #ddd; background: #fcfcfc; }
.muted { color: #777; }
)";

// Marks the page as drawn, for the browser tests (tests/html/browser_test.sh):
// every data table has rows and a height, every plot (svg.plot) a drawn line
// (polyline.series), every in-page link a target; the counts go into
// data-* attributes of <html>.
const char *kScript = R"(
(function () {
  var root = document.documentElement, errors = [];
  var tables = document.querySelectorAll('table.data');
  for (var i = 0; i < tables.length; i++) {
    var body = tables[i].tBodies[0];
    if (!body || body.rows.length === 0) errors.push('table ' + tables[i].id + ' has no rows');
    else if (tables[i].getBoundingClientRect().height <= 0) errors.push('table ' + tables[i].id + ' has no height');
  }
  var plots = document.querySelectorAll('svg.plot'), points = 0;
  for (var j = 0; j < plots.length; j++) {
    var line = plots[j].querySelector('polyline.series');
    if (!line) { errors.push('plot ' + plots[j].id + ' has no line'); continue; }
    points += line.points.numberOfItems;
    if (!(line.getBBox().width > 0)) errors.push('plot ' + plots[j].id + ' has no width');
  }
  var links = document.querySelectorAll('a[href^="#"]');
  for (var k = 0; k < links.length; k++)
    if (!document.getElementById(links[k].getAttribute('href').slice(1)))
      errors.push('link ' + links[k].getAttribute('href') + ' has no target');
  root.setAttribute('data-tables', String(tables.length));
  root.setAttribute('data-plots', String(plots.length));
  root.setAttribute('data-plot-points', String(points));
  root.setAttribute('data-graphs', String(document.querySelectorAll('.graph svg').length));
  if (errors.length) root.setAttribute('data-render-error', errors.join('; '));
  root.setAttribute('data-rendered', errors.length ? 'no' : 'yes');
})();
)";

// ops/s between consecutive samples, as a step line over time; empty when
// no time passed between samples.
std::string plot_svg(const std::vector<HtmlSample> &samples) {
  const double W = 640, H = 240, L = 80, R = 20, T = 15, B = 40;
  std::vector<std::pair<double, double>> pts;  // (time, rate)
  double prev_t = 0;
  long prev_ops = 0;
  double max_rate = 0;
  for (const HtmlSample &s : samples) {
    const double dt = s.elapsed - prev_t;
    if (dt <= 0) continue;
    const double rate = double(s.ops - prev_ops) / dt;
    pts.push_back({prev_t, rate});
    pts.push_back({s.elapsed, rate});
    max_rate = std::max(max_rate, rate);
    prev_t = s.elapsed;
    prev_ops = s.ops;
  }
  if (pts.empty()) return "";  // no time elapsed between samples: nothing to draw
  const double max_t = prev_t > 0 ? prev_t : 1;
  if (max_rate <= 0) max_rate = 1;
  auto X = [&](double t) { return L + (W - L - R) * t / max_t; };
  auto Y = [&](double r) { return T + (H - T - B) * (1 - r / (max_rate * 1.1)); };
  std::string s = "<svg id=\"plot\" class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt("%.0f", W) + "\" height=\"" +
                  fmt("%.0f", H) + "\" viewBox=\"0 0 " + fmt("%.0f", W) + " " + fmt("%.0f", H) +
                  "\" role=\"img\" aria-label=\"operations per second over time\">\n";
  // Axes, grid and labels.
  s += "<line x1=\"" + fmt("%.1f", L) + "\" y1=\"" + fmt("%.1f", H - B) + "\" x2=\"" + fmt("%.1f", W - R) +
       "\" y2=\"" + fmt("%.1f", H - B) + "\" stroke=\"#444\"/>\n";
  s += "<line x1=\"" + fmt("%.1f", L) + "\" y1=\"" + fmt("%.1f", T) + "\" x2=\"" + fmt("%.1f", L) + "\" y2=\"" +
       fmt("%.1f", H - B) + "\" stroke=\"#444\"/>\n";
  for (int i = 0; i <= 4; i++) {
    const double r = max_rate * 1.1 * i / 4, t = max_t * i / 4;
    s += "<line x1=\"" + fmt("%.1f", L) + "\" y1=\"" + fmt("%.1f", Y(r)) + "\" x2=\"" + fmt("%.1f", W - R) +
         "\" y2=\"" + fmt("%.1f", Y(r)) + "\" stroke=\"#e4e4e4\"/>\n";
    s += "<text x=\"" + fmt("%.1f", L - 6) + "\" y=\"" + fmt("%.1f", Y(r) + 4) +
         "\" font-size=\"11\" text-anchor=\"end\">" + fmt("%.4g", r) + "</text>\n";
    s += "<text x=\"" + fmt("%.1f", X(t)) + "\" y=\"" + fmt("%.1f", H - B + 16) +
         "\" font-size=\"11\" text-anchor=\"middle\">" + fmt("%.3g", t) + "</text>\n";
  }
  s += "<text x=\"" + fmt("%.1f", (L + W - R) / 2) + "\" y=\"" + fmt("%.1f", H - 6) +
       "\" font-size=\"12\" text-anchor=\"middle\">elapsed (s)</text>\n";
  s += "<text x=\"14\" y=\"" + fmt("%.1f", (T + H - B) / 2) + "\" font-size=\"12\" text-anchor=\"middle\" " +
       "transform=\"rotate(-90 14 " + fmt("%.1f", (T + H - B) / 2) + ")\">operations/s</text>\n";
  s += "<polyline class=\"series rate\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"";
  for (size_t i = 0; i < pts.size(); i++)
    s += (i ? " " : "") + fmt("%.1f", X(pts[i].first)) + "," + fmt("%.1f", Y(pts[i].second));
  s += "\"/>\n</svg>\n";
  return s;
}

std::string td(const std::string &v, bool num = false) {
  return std::string(num ? "<td class=\"num\">" : "<td>") + markup_escape(v) + "</td>";
}

}  // namespace

std::string markup_escape(const std::string &s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

const char *page_style() { return kStyle; }
const char *page_check_script() { return kScript; }

std::string counterexample_section(const HtmlCounterexample &c, const std::string &id) {
  std::string h = "<section class=\"counterexample\" id=\"" + markup_escape(id) + "\">\n<h3>" + markup_escape(c.title) +
                  "</h3>\n";
  h += "<pre class=\"violation\">" + markup_escape(c.violation) + "</pre>\n";
  if (!c.replay.empty()) h += "<p>Replay: <code>" + markup_escape(c.replay) + "</code></p>\n";
  h += "<pre class=\"trace\">" + markup_escape(c.trace) + "</pre>\n";
  const std::string svg = inline_svg(c.svg);
  if (!svg.empty())
    h += "<div class=\"graph\">\n" + svg + "</div>\n";
  else if (!c.dot.empty())
    h += "<p class=\"muted\">Graphviz was not available: the graph as dot text.</p>\n<pre class=\"dot\">" +
         markup_escape(c.dot) + "</pre>\n";
  return h + "</section>\n";
}

std::string render_html(const HtmlPage &p) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\" data-rendered=\"pending\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<title>" + markup_escape(p.title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  h += "<h1>" + markup_escape(p.title) + "</h1>\n";
  if (!p.verdict.empty())
    h += "<p id=\"verdict\" class=\"verdict " + std::string(p.failed ? "bad" : "ok") + "\">" + markup_escape(p.verdict) +
         "</p>\n";

  if (!p.config.empty()) {
    h += "<h2>Configuration</h2>\n<table id=\"config\" class=\"data\"><thead><tr><th>setting</th><th>value</th></tr>"
         "</thead><tbody>\n";
    for (const auto &[k, v] : p.config) h += "<tr>" + td(k) + td(v) + "</tr>\n";
    h += "<tr>" + td("tool") + td(trace::version_line()) + "</tr>\n";
    h += "</tbody></table>\n";
  }

  if (!p.samples.empty()) {
    const HtmlSample &last = p.samples.back();
    h += "<h2>Operations per second</h2>\n";
    h += "<p class=\"muted\">" + std::to_string(last.cases) + " cases, " + std::to_string(last.ops) +
         " operations in " + fmt("%.1f", last.elapsed) + " s (" +
         fmt("%.0f", last.elapsed > 0 ? last.ops / last.elapsed : 0.0) + " ops/s on average), " +
         std::to_string(p.samples.size()) + " samples.</p>\n";
    const std::string plot = plot_svg(p.samples);
    h += plot.empty() ? "<p class=\"muted\">Too short to plot.</p>\n" : plot;
  }

  if (!p.invariants.empty()) {
    h += "<h2>Invariants</h2>\n<table id=\"invariants\" class=\"data\"><thead><tr><th>id</th><th>invariant</th>"
         "<th>steps checked</th><th>violated</th></tr></thead><tbody>\n";
    for (const HtmlInvariantRow &r : p.invariants)
      h += std::string(r.violated ? "<tr class=\"hit\">" : "<tr>") + td(r.id) + td(r.name) +
           td(r.checked ? std::to_string(r.checked) : "not selected", true) + td(std::to_string(r.violated), true) +
           "</tr>\n";
    h += "</tbody></table>\n";
  }

  if (!p.branches.empty()) {
    const props::BranchCoverage &b = p.branches;
    h += "<h2>Branch coverage</h2>\n<p class=\"muted\">" + std::to_string(b.reached()) + " of " +
         std::to_string(b.points()) + " model branches reached over " + std::to_string(b.cases) +
         " cases (coverage points named after the kernel functions they sit in).</p>\n";
    h += "<table id=\"branches\" class=\"data\"><thead><tr><th>kernel function</th><th>branches hit</th>"
         "<th>reachable</th></tr></thead><tbody>\n";
    for (const auto &f : b.by_function())
      h += std::string(f.reached < f.points ? "<tr class=\"hit\">" : "<tr>") + td(f.name) +
           td(std::to_string(f.reached), true) + td(std::to_string(f.points), true) + "</tr>\n";
    h += "</tbody></table>\n";
    const auto never = b.never_reached();
    h += "<h3>Branches never reached (" + std::to_string(never.size()) + ")</h3>\n<ul id=\"never-reached\">\n";
    for (const std::string &n : never) h += "<li>" + markup_escape(n) + "</li>\n";
    h += "</ul>\n";
  }

  if (p.show_variants) {
    h += "<h2>Variants</h2>\n<table id=\"variants\" class=\"data\"><thead><tr><th>variant</th><th>caught</th>"
         "<th>invariant</th><th>expected</th><th>time to failure (s)</th><th>shrunk length</th><th>note</th></tr>"
         "</thead><tbody>\n";
    for (const HtmlVariantRow &r : p.variants)
      h += std::string(r.caught ? "<tr>" : "<tr class=\"miss\">") + td(r.variant) + td(r.caught ? "yes" : "NO") +
           td(r.invariant) + td(r.expected) + td(r.time_to_failure >= 0 ? fmt("%.2f", r.time_to_failure) : "-", true) +
           td(r.shrunk_length >= 0 ? std::to_string(r.shrunk_length) : "-", true) + td(r.note) + "</tr>\n";
    h += "</tbody></table>\n";
  }

  if (!p.counterexamples.empty()) {
    h += "<h2>Counterexamples</h2>\n";
    int i = 0;
    for (const HtmlCounterexample &c : p.counterexamples) h += counterexample_section(c, "cx" + std::to_string(i++));
  }
  h += "<script>" + std::string(page_check_script()) + "</script>\n</body>\n</html>\n";
  return h;
}

std::vector<HtmlInvariantRow> invariant_rows(const props::InvariantSet &inv, long steps, const std::string &violated) {
  std::vector<HtmlInvariantRow> rows;
  for (const props::Invariant &i : props::all_invariants()) {
    // TypeOK and Expectation are checked on every run, whatever the selection.
    const bool sel = std::string(i.name) == "TypeOK" || std::string(i.name) == "Expectation" ||
                     std::find(inv.selected().begin(), inv.selected().end(), &i) != inv.selected().end();
    rows.push_back({i.name, i.id, sel ? steps : 0, violated == i.name ? 1 : 0});
  }
  return rows;
}

HtmlCounterexample counterexample_from_log(const std::string &title, const props::ReplayRecord &log) {
  HtmlCounterexample c;
  c.title = title;
  if (log.violation.found) {
    const props::Invariant *inv = props::find_invariant(log.violation.invariant);
    c.violation = "step " + std::to_string(log.violation.step + 1) + " violates " + log.violation.invariant;
    if (inv) c.violation += std::string(" (") + inv->id + "): " + inv->statement;
    c.violation += "\nseen: " + log.violation.why;
    if (!log.violation.also.empty()) {
      c.violation += "\nalso violated at this step:";
      for (const std::string &n : log.violation.also) c.violation += " " + n;
    }
  } else if (!log.error.empty()) {
    c.violation = "bad trace: " + log.error;
  } else {
    c.violation = "the trace holds on " + log.variant;
  }
  c.trace = log.annotated_trace;
  c.replay = log.replay_command;
  c.dot = graph_to_dot(replay_graph(log));
  std::string err;
  c.svg = dot_to_svg(c.dot, &err);
  return c;
}

}  // namespace gupcheck::reports

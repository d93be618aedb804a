// SPDX-License-Identifier: GPL-2.0-only
#include "reports/history.h"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "reports/markup.h"

namespace gupcheck::reports {
namespace {

std::string num(const char *f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string td(const std::string &v, const char *cls = nullptr) {
  return std::string(cls ? "<td class=\"" + std::string(cls) + "\">" : "<td>") + markup_escape(v) + "</td>";
}


const char *kHistoryStyle = R"(
tr.new td { background: #fdebd0; }
tr.fixed td { color: #777; }
td.broken { background: #f8d7d7; font-weight: bold; }
td.holds { background: #dff0d8; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
)";

// One value per run (skipping those value() rejects with a negative), as a
// step line over the run index: run i spans [i, i+1), so even one run has width.
std::string series_plot(const std::string &id, const std::string &label, const std::vector<HistoryRun> &runs,
                        const std::function<double(const HistoryRun &)> &value) {
  const double W = 420, H = 200, L = 70, R = 12, T = 24, B = 34;
  std::vector<std::pair<size_t, double>> pts;
  double max_v = 0;
  for (size_t i = 0; i < runs.size(); i++) {
    const double v = value(runs[i]);
    if (v < 0) continue;
    pts.push_back({i, v});
    max_v = std::max(max_v, v);
  }
  if (pts.empty()) return "<p class=\"muted\">" + markup_escape(label) + ": not measured by any run.</p>\n";
  if (max_v <= 0) max_v = 1;
  const double n = double(runs.size());
  auto X = [&](double i) { return L + (W - L - R) * i / n; };
  auto Y = [&](double v) { return T + (H - T - B) * (1 - v / (max_v * 1.1)); };
  std::string s = "<svg class=\"plot\" id=\"" + id + "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                  num("%.0f", W) + "\" height=\"" + num("%.0f", H) + "\" viewBox=\"0 0 " + num("%.0f", W) + " " +
                  num("%.0f", H) + "\" role=\"img\" aria-label=\"" + markup_escape(label) + " per run\">\n";
  s += "<text x=\"" + num("%.1f", L) + "\" y=\"14\" font-size=\"13\" font-weight=\"bold\">" + markup_escape(label) +
       "</text>\n";
  s += "<line x1=\"" + num("%.1f", L) + "\" y1=\"" + num("%.1f", H - B) + "\" x2=\"" + num("%.1f", W - R) + "\" y2=\"" +
       num("%.1f", H - B) + "\" stroke=\"#444\"/>\n";
  s += "<line x1=\"" + num("%.1f", L) + "\" y1=\"" + num("%.1f", T) + "\" x2=\"" + num("%.1f", L) + "\" y2=\"" +
       num("%.1f", H - B) + "\" stroke=\"#444\"/>\n";
  for (int k = 0; k <= 4; k++) {
    const double v = max_v * 1.1 * k / 4;
    s += "<text x=\"" + num("%.1f", L - 6) + "\" y=\"" + num("%.1f", Y(v) + 4) +
         "\" font-size=\"10\" text-anchor=\"end\">" + num("%.4g", v) + "</text>\n";
  }
  s += "<text x=\"" + num("%.1f", (L + W - R) / 2) + "\" y=\"" + num("%.1f", H - 8) +
       "\" font-size=\"11\" text-anchor=\"middle\">runs, oldest first (" + std::to_string(runs.size()) + ")</text>\n";
  s += "<polyline class=\"series\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"";
  for (size_t k = 0; k < pts.size(); k++) {
    const double y = Y(pts[k].second);
    s += (k ? " " : "") + num("%.1f", X(double(pts[k].first))) + "," + num("%.1f", y) + " " +
         num("%.1f", X(double(pts[k].first) + 1)) + "," + num("%.1f", y);
  }
  s += "\"/>\n</svg>\n";
  return s;
}

}  // namespace

std::string render_history_html(const HistoryPage &p) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\" data-rendered=\"pending\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<title>" + markup_escape(p.title) + "</title>\n<style>" + page_style() + kHistoryStyle +
       "</style>\n</head>\n<body>\n<h1>" + markup_escape(p.title) + "</h1>\n";
  if (!p.summary.empty()) {
    h += "<table id=\"summary\" class=\"data\"><thead><tr><th>database</th><th>value</th></tr></thead><tbody>\n";
    for (const auto &[k, v] : p.summary) h += "<tr>" + td(k) + td(v) + "</tr>\n";
    h += "</tbody></table>\n";
  }

  h += "<h2>Findings</h2>\n";
  if (p.findings.empty()) {
    h += "<p class=\"muted\">No findings recorded.</p>\n";
  } else {
    h += "<table id=\"findings\" class=\"data\"><thead><tr><th>id</th><th>status</th><th>variant</th><th>invariant"
         "</th><th>smallest (ops)</th><th>hits</th><th>first seen (UTC)</th><th>last seen (UTC)</th><th>fixed</th>"
         "</tr></thead><tbody>\n";
    for (const HistoryFinding &f : p.findings) {
      h += "<tr class=\"" + markup_escape(f.status) + "\">";
      h += f.anchor.empty() ? td("#" + std::to_string(f.id))
                            : "<td><a href=\"#" + markup_escape(f.anchor) + "\">#" + std::to_string(f.id) + "</a></td>";
      h += td(f.status) + td(f.variant) + td(f.invariant) + td(std::to_string(f.length), "num") +
           td(std::to_string(f.hits), "num") + td(f.first_seen) + td(f.last_seen) + td(f.fixed_at) + "</tr>\n";
    }
    h += "</tbody></table>\n";
  }

  if (!p.runs.empty()) {
    h += "<h2>Runs</h2>\n<div class=\"plots\">\n";
    h += series_plot("plot-ops", "operations/s", p.runs, [](const HistoryRun &r) { return r.ops_per_s; });
    h += series_plot("plot-cases", "cases", p.runs, [](const HistoryRun &r) { return double(r.cases); });
    h += series_plot("plot-coverage", "coverage (witness states reached)", p.runs,
                     [](const HistoryRun &r) { return r.coverage; });
    h += series_plot("plot-findings", "findings recorded", p.runs, [](const HistoryRun &r) { return double(r.findings); });
    h += "</div>\n<table id=\"runs\" class=\"data\"><thead><tr><th>run</th><th>started (UTC)</th><th>tool</th>"
         "<th>variant</th><th>shard</th><th>status</th><th>cases</th><th>operations</th><th>ops/s</th>"
         "<th>coverage</th><th>findings</th></tr></thead><tbody>\n";
    for (const HistoryRun &r : p.runs)
      h += "<tr>" + td("#" + std::to_string(r.id)) + td(r.started) + td(r.tool) + td(r.variant) + td(r.shard) +
           td(r.status) + td(std::to_string(r.cases), "num") + td(std::to_string(r.ops), "num") +
           td(num("%.0f", r.ops_per_s), "num") + td(r.coverage < 0 ? "-" : num("%.2f", r.coverage), "num") +
           td(std::to_string(r.findings), "num") + "</tr>\n";
    h += "</tbody></table>\n";
  }

  const HistoryTimeline &t = p.timeline;
  if (!t.releases.empty()) {
    h += "<h2>Kernel timeline</h2>\n<p class=\"muted\">Which GUP invariants a bounded campaign broke on the rules "
         "in force in each release; * marks a release whose rules include one dated approximately.</p>\n";
    h += "<table id=\"timeline\" class=\"data\"><thead><tr><th>release</th><th>rules in force</th>";
    for (const auto &inv : t.invariants) h += "<th>" + markup_escape(inv) + "</th>";
    h += "</tr></thead><tbody>\n";
    for (size_t r = 0; r < t.releases.size(); r++) {
      h += "<tr>" + td(t.releases[r] + (t.approximate[r] ? " *" : "")) + td(t.rules[r]);
      for (const auto &c : t.cells[r]) h += c.empty() ? td("") : td(c, c.c_str());
      h += "</tr>\n";
    }
    h += "</tbody></table>\n";
  }

  if (!p.counterexamples.empty()) {
    h += "<h2>Counterexamples</h2>\n";
    for (const auto &[anchor, c] : p.counterexamples) h += counterexample_section(c, anchor);
  }
  h += "<script>" + std::string(page_check_script()) + "</script>\n</body>\n</html>\n";
  return h;
}

}  // namespace gupcheck::reports

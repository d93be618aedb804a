// SPDX-License-Identifier: GPL-2.0-only
#include "campaign/timeline.h"

#include <algorithm>

#include "campaign/campaign.h"
#include "model/variant.h"

namespace gupcheck::timeline {

Result plan(const Config &cfg) {
  Result r;
  for (const std::string &rel : model::mainline_releases(cfg.from, cfg.to)) {
    bool approx = false;
    const std::string rules = model::rules_in_force(rel, &approx);
    if (!r.rows.empty() && r.rows.back().rules == rules) {
      r.rows.back().last = rel;
      continue;
    }
    r.rows.push_back({rel, rel, rules, approx});
    // Columns: what each variant in force is known to break, in order of appearance.
    if (rules == "mainline") continue;
    size_t start = 0;
    while (start <= rules.size()) {
      const size_t end = std::min(rules.find('+', start), rules.size());
      const model::variant_info *v = model::find_variant(rules.substr(start, end - start));
      if (v && !v->catches.empty() &&
          std::find(r.invariants.begin(), r.invariants.end(), v->catches) == r.invariants.end())
        r.invariants.push_back(v->catches);
      start = end + 1;
    }
  }
  r.cells.assign(r.rows.size(), std::vector<Cell>(r.invariants.size()));
  return r;
}

Result run(const Config &cfg, const std::function<void(const Result &, size_t, size_t)> &on_cell) {
  Result r = plan(cfg);
  for (size_t i = 0; i < r.rows.size(); i++) {
    const model::variant_info *v = model::find_variant(r.rows[i].rules);
    for (size_t j = 0; j < r.invariants.size(); j++) {
      if (cfg.stop && cfg.stop->load()) {
        r.interrupted = true;
        return r;
      }
      campaign::Config c;
      c.variant = v->name;
      c.sw = v->sw;
      c.seed = cfg.seed;
      c.time_limit = cfg.budget;
      c.max_cases = cfg.cases;
      c.shrink_time = cfg.shrink_time;
      c.invariants.select({r.invariants[j]});
      c.stop = cfg.stop;
      const campaign::Result res = campaign::run(c);
      Cell &cell = r.cells[i][j];
      cell.run = true;
      cell.cases = res.found ? res.finding.case_index + 1 : res.cases;
      cell.seconds = res.found ? res.finding.time_to_find : res.elapsed;
      if (res.found) {
        cell.internal = res.finding.violation.internal;
        cell.broken = !cell.internal && res.finding.violation.invariant == r.invariants[j];
        cell.why = res.finding.violation.why;
        cell.trace = res.finding.shrunk;
      }
      if (on_cell) on_cell(r, i, j);
    }
  }
  return r;
}

}  // namespace gupcheck::timeline

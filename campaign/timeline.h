// SPDX-License-Identifier: GPL-2.0-only
//
// The kernel timeline: which GUP invariants were broken in which mainline
// releases. For each release from `from` to `to`, the historical rules in
// force then (model::rules_in_force(): every variant whose rule was
// introduced by then and not yet removed) are composed into one variant
// ("a+b+c"); consecutive releases with the same rules share one row. Each
// row runs one bounded campaign per column invariant (the invariants the
// variants in range are known to break, as the gate checks them: that
// invariant alone, TypeOK always), so a cell says whether the bounded
// campaign broke it on those rules.
//
// Bounded: "holds" means "not broken within the budget"; races that take
// long campaigns to find (gup-fast-races-collapse, huge-dirty-cow) may hold
// in a short budget. Rows whose rules include one dated approximately are
// marked (model::rule_history::approximate).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "properties/invariants.h"
#include "trace/op.h"

namespace gupcheck::timeline {

struct Config {
  std::string from = "v4.0", to = "v6.18";
  uint64_t seed = 1;
  double budget = 3;       // seconds per cell
  long cases = 2000;       // cases per cell (< 0: time only)
  double shrink_time = 1;  // per broken cell
  const std::atomic<bool> *stop = nullptr;
};

struct Row {
  std::string first, last;  // releases
  std::string rules;        // the composed variant, "mainline" when none
  bool approximate = false;
  std::string label() const { return first == last ? first : first + ".." + last; }
};

struct Cell {
  bool run = false;
  bool broken = false;
  bool internal = false;   // a model error on this composition (not a kernel verdict)
  std::string why;
  trace::Trace trace;      // the shrunk counterexample when broken
  long cases = 0;
  double seconds = 0;
};

struct Result {
  std::vector<std::string> invariants;  // columns
  std::vector<Row> rows;
  std::vector<std::vector<Cell>> cells;  // [row][column]
  bool interrupted = false;
};

// The rows and columns without running anything. Throws std::invalid_argument for bad releases.
Result plan(const Config &cfg);
// Runs every cell of plan(cfg); on_cell is called after each.
Result run(const Config &cfg, const std::function<void(const Result &, size_t row, size_t col)> &on_cell = nullptr);

}  // namespace gupcheck::timeline

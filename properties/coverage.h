// SPDX-License-Identifier: GPL-2.0-only
//
// Branch coverage of a campaign: the model's coverage points
// (model/coverage.h) added up over cases, by kernel function, with the
// points a campaign never reached. Filled by the campaign from one
// model::cov::Map per case; parts of a campaign (workers, shards) add up.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/coverage.h"

namespace gupcheck::props {

struct BranchCoverage {
  long cases = 0;  // cases recorded
  std::array<long, model::cov::kNumPoints> hits{};   // times each point was reached
  std::array<long, model::cov::kNumPoints> cases_hit{};  // cases that reached it

  void add_case(const model::cov::Map &m);
  BranchCoverage &operator+=(const BranchCoverage &o);
  bool empty() const { return cases == 0; }

  int reached() const;                     // points reached at least once
  static int points() { return model::cov::kNumPoints; }
  std::vector<std::string> never_reached() const;  // "function: branch", registry order

  struct Function {
    std::string name;
    int reached = 0, points = 0;
  };
  std::vector<Function> by_function() const;  // registry order of first appearance

  // "branches: 120/163 reached" and one row per kernel function, then the
  // branches never reached.
  std::string table() const;
  // {"points", "reached", "functions": [{"function", "reached", "points"}],
  //  "never_reached": ["function: branch", ...], "cases",
  //  "hits": {"function: branch": [times reached, cases reaching it]}}
  nlohmann::json to_json() const;
  // The same, read back by from_raw() (which uses "cases" and "hits", and
  // throws nlohmann::json::exception or std::out_of_range on a malformed object).
  nlohmann::json raw() const;
  static BranchCoverage from_raw(const nlohmann::json &j);
};

}  // namespace gupcheck::props

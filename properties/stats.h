// SPDX-License-Identifier: GPL-2.0-only
//
// Campaign coverage statistics (`gupcheck fuzz --stats`): how often each
// operation kind ran, each GUP outcome came back (a full or short count, or
// -errno by name), and each witness state (properties/witness.h) was reached,
// so a user can see what a night of fuzzing actually covered.
//
// Counting happens only when a campaign is given a Stats (Config::stats);
// without one the campaign runs exactly as before. Stats from parallel jobs
// add up with operator+=.
#pragma once

#include <array>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "properties/coverage.h"
#include "properties/world.h"

namespace gupcheck::props {

// Invariants: witness_steps.size() == witness_cases.size() == the number of
// witnesses once anything was recorded (or empty when nothing was).
struct Stats {
  long cases = 0;
  long steps = 0;
  // Steps by op slot: the op kind, or kNumOpKinds + GupApi for a GUP call.
  static constexpr int kOpSlots = trace::kNumOpKinds + 4;
  std::array<long, kOpSlots> op_slots{};
  // Outcomes by code (see outcome_code()): GUP calls (get, pin, *_fast, and
  // wait), and populate.
  std::map<long, long> gup_codes, populate_codes;
  std::vector<long> witness_steps;  // steps that reached witness i's state (as all_witnesses())
  std::vector<long> witness_cases;  // cases that reached it at least once
  // The model's branch coverage (model/coverage.h), added by the campaign
  // case by case (BranchCoverage::add_case()).
  BranchCoverage branches;

  // The figures by name: op word ("mmap", "pin_fast") and outcome label.
  std::map<std::string, long> ops() const;
  std::map<std::string, long> gup_outcomes() const;
  std::map<std::string, long> populate_outcomes() const;

  // Records the step the world just ran.
  void record_step(const World &w);
  // Ends the current case (counts it, and the witnesses it reached).
  void end_case();
  Stats &operator+=(const Stats &o);

  // A readable table; JSON with the same figures.
  std::string table() const;
  nlohmann::json to_json() const;
  // Lossless form for passing stats between processes (campaign workers).
  nlohmann::json raw() const;
  // Throws nlohmann::json::exception on a malformed object.
  static Stats from_raw(const nlohmann::json &j);

  // "n == nr_pages", "0 < n < nr_pages", "0", or "-EFAULT" ...
  static std::string outcome_label(long ret, long nr_pages);
  // -errno, or 0 (returned 0), 1 (all pages), 2 (a short count), 3 (more than asked).
  static long outcome_code(long ret, long nr_pages);
  static std::string code_label(long code);

 private:
  std::vector<bool> in_case_;  // witness i reached in the current case
};

}  // namespace gupcheck::props

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

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "properties/world.h"

namespace gupcheck::props {

// Invariants: witness_steps.size() == witness_cases.size() == the number of
// witnesses once anything was recorded (or empty when nothing was).
struct Stats {
  long cases = 0;
  long steps = 0;
  std::map<std::string, long> ops;               // by op word: "mmap", "pin_fast", ...
  std::map<std::string, long> gup_outcomes;      // GUP calls (get, pin, *_fast, wait): "-EFAULT", "n == nr_pages", ...
  std::map<std::string, long> populate_outcomes; // populate
  std::vector<long> witness_steps;               // steps at which witness i's state held (as all_witnesses())
  std::vector<long> witness_cases;               // cases in which it held at least once

  // Records the step the world just ran.
  void record_step(const World &w);
  // Ends the current case (counts it, and the witnesses it reached).
  void end_case();
  Stats &operator+=(const Stats &o);

  // A readable table; JSON with the same figures.
  std::string table() const;
  nlohmann::json to_json() const;

  // "n == nr_pages", "0 < n < nr_pages", "0", or "-EFAULT" ...
  static std::string outcome_label(long ret, long nr_pages);

 private:
  std::vector<bool> in_case_;  // witness i reached in the current case
};

}  // namespace gupcheck::props

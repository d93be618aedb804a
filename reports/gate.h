// SPDX-License-Identifier: GPL-2.0-only
//
// The results of `gupcheck gate` and their machine-readable forms:
//
// JUnit XML (one <testcase> per variant plus mainline, in one <testsuite
// name="gupcheck-gate">; a result that does not match the manifest is a
// <failure>), and JSON:
//   {"format": "gupcheck-gate", "version": 1, "seed": 1, "budget": 10.0,
//    "passed": true,
//    "results": [{"variant", "commit", "expected": "Inv" | null, "found": bool,
//                 "internal": bool, "invariant": "Inv" | null, "why",
//                 "cases": N, "seconds": T (to the first failure, or the whole
//                 campaign when nothing was found), "shrunk_length": N | null,
//                 "original_length": N | null, "passed": bool, "message",
//                 "trace": "<shrunk trace text>" | null,
//                 "ran": false for a campaign an interrupted gate never reached}]}
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gupcheck::reports {

struct GateResult {
  std::string variant;
  std::string commit;
  std::string expected;  // the manifest's invariant; empty: nothing may be found (mainline)
  bool found = false;
  bool internal = false;
  std::string invariant;
  std::string why;
  long cases = 0;
  double seconds = 0;
  long shrunk_length = -1;
  long original_length = -1;
  std::string trace;  // the shrunk trace, text form
  bool passed = false;
  std::string message;  // why it passed or failed, one line
  // False for a campaign an interrupted gate never reached (listed as "not
  // run": not passed, nothing found).
  bool ran = true;
};

// The result of a campaign the gate did not run (it was interrupted before).
GateResult not_run(const std::string &variant, const std::string &commit, const std::string &expected);

// Judges a result against the manifest: sets passed and message.
void judge(GateResult &r);

std::string junit_xml(const std::vector<GateResult> &results, double total_seconds);
nlohmann::json gate_json(const std::vector<GateResult> &results, uint64_t seed, double budget);

}  // namespace gupcheck::reports

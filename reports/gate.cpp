// SPDX-License-Identifier: GPL-2.0-only
#include "reports/gate.h"

#include "reports/version.h"
#include "reports/markup.h"

#include <cstdio>

namespace gupcheck::reports {

void judge(GateResult &r) {
  if (r.internal) {
    r.passed = false;
    r.message = "internal model error (" + r.invariant + "): " + r.why;
  } else if (r.expected.empty()) {
    r.passed = !r.found;
    r.message = r.found ? "unexpected violation of " + r.invariant + ": " + r.why : "nothing found, as expected";
  } else if (!r.found) {
    r.passed = false;
    r.message = "not caught within the budget (expected " + r.expected + ")";
  } else if (r.invariant != r.expected) {
    r.passed = false;
    r.message = "caught by " + r.invariant + ", but the manifest expects " + r.expected;
  } else {
    r.passed = true;
    r.message = "caught by " + r.invariant;
  }
}

std::string junit_xml(const std::vector<GateResult> &results, double total_seconds) {
  size_t failures = 0;
  for (const auto &r : results) failures += !r.passed;
  char buf[64];
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  std::snprintf(buf, sizeof buf, "%.3f", total_seconds);
  x += "<testsuites name=\"gupcheck\" tests=\"" + std::to_string(results.size()) + "\" failures=\"" +
       std::to_string(failures) + "\" time=\"" + buf + "\">\n";
  x += "  <testsuite name=\"gupcheck-gate\" tests=\"" + std::to_string(results.size()) + "\" failures=\"" +
       std::to_string(failures) + "\" errors=\"0\" time=\"" + buf + "\">\n";
  x += "    <properties>\n" + version_junit_properties("      ") + "    </properties>\n";
  for (const auto &r : results) {
    std::snprintf(buf, sizeof buf, "%.3f", r.seconds);
    x += "    <testcase classname=\"gupcheck.gate\" name=\"" + markup_escape(r.variant) + "\" time=\"" + buf + "\">\n";
    std::string out = r.message + "\ncommit: " + r.commit + "\ncases: " + std::to_string(r.cases) + "\n";
    if (r.shrunk_length >= 0) out += "shrunk trace (" + std::to_string(r.shrunk_length) + " ops):\n" + r.trace;
    if (!r.passed)
      x += "      <failure message=\"" + markup_escape(r.message) + "\" type=\"gate\">" + markup_escape(out) +
           "</failure>\n";
    x += "      <system-out>" + markup_escape(out) + "</system-out>\n";
    x += "    </testcase>\n";
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

nlohmann::json gate_json(const std::vector<GateResult> &results, uint64_t seed, double budget) {
  using nlohmann::json;
  json j;
  j["format"] = "gupcheck-gate";
  j["version"] = 1;
  stamp_version(j);
  j["seed"] = seed;
  j["budget"] = budget;
  bool all = true;
  json rs = json::array();
  for (const auto &r : results) {
    all = all && r.passed;
    json e;
    e["variant"] = r.variant;
    e["commit"] = r.commit;
    e["expected"] = r.expected.empty() ? json(nullptr) : json(r.expected);
    e["found"] = r.found;
    e["internal"] = r.internal;
    e["invariant"] = r.found ? json(r.invariant) : json(nullptr);
    e["why"] = r.why;
    e["cases"] = r.cases;
    e["seconds"] = r.seconds;
    e["shrunk_length"] = r.shrunk_length >= 0 ? json(r.shrunk_length) : json(nullptr);
    e["original_length"] = r.original_length >= 0 ? json(r.original_length) : json(nullptr);
    e["passed"] = r.passed;
    e["message"] = r.message;
    e["trace"] = r.found ? json(r.trace) : json(nullptr);
    rs.push_back(e);
  }
  j["passed"] = all;
  j["results"] = rs;
  return j;
}

}  // namespace gupcheck::reports

// SPDX-License-Identifier: GPL-2.0-only
#include "reports/summary.h"
#include "reports/markup.h"


#include <algorithm>
#include <cstdio>
#include <set>
#include <stdexcept>


namespace gupcheck::reports {

using nlohmann::json;

namespace {

std::string fmt(const char *f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

std::string shard_list(const CampaignSummary &s) {
  std::string o;
  for (int k : s.shards) o += (o.empty() ? "" : ",") + std::to_string(k);
  return o + "/" + std::to_string(s.shard_count);
}

}  // namespace

std::string junit_xml(const CampaignSummary &s) {
  // One test case per distinct counterexample (a failure), one per crashed
  // worker (an error), and one "campaign" case that passes when nothing was found.
  int failures = 0, errors = 0;
  for (const auto &f : s.findings) (f.internal ? errors : failures)++;
  int crashed = 0;
  for (const auto &w : s.workers) crashed += w.status == "crashed" || w.status == "error";
  errors += crashed;
  const std::string suite = "gupcheck.fuzz." + s.variant;
  std::string o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  const int tests = 1 + int(s.findings.size()) + crashed;
  o += "<testsuites tests=\"" + std::to_string(tests) + "\" failures=\"" + std::to_string(failures) +
       "\" errors=\"" + std::to_string(errors) + "\" time=\"" + fmt("%.3f", s.elapsed) + "\">\n";
  o += "  <testsuite name=\"" + markup_escape(suite) + "\" tests=\"" + std::to_string(tests) + "\" failures=\"" +
       std::to_string(failures) + "\" errors=\"" + std::to_string(errors) + "\" time=\"" +
       fmt("%.3f", s.elapsed) + "\">\n";
  o += "    <properties>\n";
  o += "      <property name=\"seed\" value=\"" + std::to_string(s.seed) + "\"/>\n";
  o += "      <property name=\"shards\" value=\"" + shard_list(s) + "\"/>\n";
  o += "      <property name=\"jobs\" value=\"" + std::to_string(s.jobs) + "\"/>\n";
  o += "      <property name=\"cases\" value=\"" + std::to_string(s.cases) + "\"/>\n";
  o += "      <property name=\"ops\" value=\"" + std::to_string(s.ops) + "\"/>\n";
  o += "    </properties>\n";
  o += "    <testcase classname=\"" + markup_escape(suite) + "\" name=\"campaign\" time=\"" + fmt("%.3f", s.elapsed) +
       "\">";
  if (!s.findings.empty())
    o += "\n      <failure message=\"" + std::to_string(s.findings.size()) +
         " counterexample(s) found\"/>\n    ";
  o += "</testcase>\n";
  for (const auto &f : s.findings) {
    o += "    <testcase classname=\"" + markup_escape(suite) + "\" name=\"" + markup_escape(f.invariant) + " case " +
         std::to_string(f.case_index) + "\">\n";
    o += std::string("      <") + (f.internal ? "error" : "failure") + " message=\"" + markup_escape(f.why) +
         "\" type=\"" + markup_escape(f.invariant) + "\">" + markup_escape(f.trace) +
         (f.trace_file.empty() ? "" : "replay: gupcheck replay " + markup_escape(f.trace_file) + "\n") + "</" +
         (f.internal ? "error" : "failure") + ">\n";
    o += "    </testcase>\n";
  }
  for (const auto &w : s.workers) {
    if (w.status != "crashed" && w.status != "error") continue;
    o += "    <testcase classname=\"" + markup_escape(suite) + "\" name=\"worker " + std::to_string(w.shard) + "." +
         std::to_string(w.id) + "\">\n      <error message=\"worker " + w.status + ": " + markup_escape(w.detail) +
         "\"/>\n    </testcase>\n";
  }
  o += "  </testsuite>\n</testsuites>\n";
  return o;
}

std::string summary_text(const CampaignSummary &s) {
  std::string o;
  char b[512];
  std::snprintf(b, sizeof b,
                "summary: %ld cases, %ld operations checked in %.1f s (%.0f ops/s), seed %llu, variant %s, "
                "shard %s, %d job%s\n",
                s.cases, s.ops, s.elapsed, s.elapsed > 0 ? s.ops / s.elapsed : 0.0, (unsigned long long)s.seed,
                s.variant.c_str(), shard_list(s).c_str(), s.jobs, s.jobs == 1 ? "" : "s");
  o += b;
  if (s.cpu_seconds > 0) {
    std::snprintf(b, sizeof b, "cpu: %.1f s of worker CPU time (%.0f ops per CPU second)\n", s.cpu_seconds,
                  s.ops / s.cpu_seconds);
    o += b;
  }
  if (s.interrupted) o += "interrupted: the campaign was stopped by a signal\n";
  for (const auto &w : s.workers) {
    if (w.status != "crashed" && w.status != "error") continue;
    std::snprintf(b, sizeof b, "WORKER CRASHED: shard %d worker %d (%s) after %ld cases, last case %ld\n", w.shard,
                  w.id, w.detail.c_str(), w.cases, w.last_case);
    o += b;
  }
  if (s.findings.empty()) {
    o += "result: no invariant violated on " + s.variant + (s.crashed() ? " by the workers that finished\n" : "\n");
    return o;
  }
  std::snprintf(b, sizeof b, "result: %zu distinct counterexample%s\n", s.findings.size(),
                s.findings.size() == 1 ? "" : "s");
  o += b;
  for (const auto &f : s.findings) {
    std::snprintf(b, sizeof b, "%s %s at case %ld (shard %d worker %d), shrunk from %zu to %zu operations\n",
                  f.internal ? "INTERNAL MODEL ERROR" : "VIOLATION", f.invariant.c_str(), f.case_index, f.shard,
                  f.worker, f.original_ops, f.shrunk_ops);
    o += b;
    o += "  " + f.why + "\n";
    if (!f.first_of_shard)
      o += "  (found before the other workers stopped: whether it shows up depends on --jobs and timing)\n";
    if (!f.also_cases.empty()) {
      o += "  also found by cases";
      for (long c : f.also_cases) o += " " + std::to_string(c);
      o += "\n";
    }
    o += f.trace;
    for (const auto &file : f.files) o += "wrote " + file + "\n";
    if (!f.trace_file.empty()) o += "replay: gupcheck replay " + f.trace_file + "\n";
  }
  return o;
}

}  // namespace gupcheck::reports

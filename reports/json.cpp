// SPDX-License-Identifier: GPL-2.0-only
//
// The JSON report of a replay (see json.h).
#include "reports/json.h"

#include "reports/version.h"
#include "trace/json.h"
#include "trace/text.h"

namespace gupcheck::reports {

const char *verdict_name(const ReplayLog &log) {
  if (!log.error.empty()) return "bad-trace";
  if (!log.violation.found) return "holds";
  return log.violation.internal ? "internal-error" : "violation";
}

nlohmann::json json_report(const ReplayLog &log) {
  using nlohmann::json;
  json j;
  j["format"] = "gupcheck-report";
  j["version"] = 1;
  stamp_version(j);
  j["variant"] = log.variant;
  j["seed"] = log.has_seed ? json(log.seed) : json(nullptr);
  j["replay_command"] = log.replay_command;
  j["verdict"] = verdict_name(log);
  j["error"] = log.error.empty() ? json(nullptr) : json(log.error);

  if (log.violation.found) {
    const props::Invariant *inv = props::find_invariant(log.violation.invariant);
    auto text_or_null = [&](const char *s) { return inv && s ? json(s) : json(nullptr); };
    j["invariant"] = {
        {"name", log.violation.invariant},
        {"id", text_or_null(inv ? inv->id : nullptr)},
        {"statement", text_or_null(inv ? inv->statement : nullptr)},
        {"source", text_or_null(inv ? inv->source : nullptr)},
        {"why", log.violation.why},
        {"step", log.violation.step + 1},
        {"internal", log.violation.internal},
        // Every other invariant violated at the same step.
        {"also_violated", log.violation.also},
    };
  } else {
    j["invariant"] = nullptr;
  }

  j["trace"] = trace::trace_to_json(log.trace);
  json steps = json::array();
  for (size_t i = 0; i < log.steps.size(); i++) {
    const StepRecord &s = log.steps[i];
    json st = {
        {"index", i + 1},
        {"op", trace::print_op(s.op)},
        {"ret", s.outcome.ret},
        {"signal", s.outcome.signal},
    };
    if (s.outcome.has_value) st["value"] = s.outcome.value;
    st["outcome"] = s.outcome.describe();
    steps.push_back(std::move(st));
  }
  j["steps"] = std::move(steps);
  j["before"] = log.before;
  j["after"] = log.after;
  return j;
}

std::string json_text(const nlohmann::json &j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace gupcheck::reports

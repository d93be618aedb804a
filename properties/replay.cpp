// SPDX-License-Identifier: GPL-2.0-only
//
// Replaying a trace for a report (see replay.h).
#include "properties/replay.h"

#include <exception>

#include "properties/annotate.h"

namespace gupcheck::props {

namespace {

// Quotes a shell word when it needs it.
std::string shell_word(const std::string &s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=./:,@") ==
                        std::string::npos)
    return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// A "seed N" note (decimal or 0x hex), as campaigns write it.
bool seed_from_notes(const std::vector<std::string> &notes, uint64_t &seed) {
  for (const std::string &n : notes) {
    if (n.rfind("seed", 0) != 0) continue;
    size_t i = 4;
    while (i < n.size() && (n[i] == ' ' || n[i] == ':' || n[i] == '=')) i++;
    if (i == 4 || i >= n.size()) continue;
    try {
      size_t used = 0;
      const uint64_t v = std::stoull(n.substr(i), &used, 0);
      if (used == 0) continue;
      seed = v;
      return true;
    } catch (const std::exception &) {
      continue;
    }
  }
  return false;
}

}  // namespace

std::string replay_command_for(const std::string &file, const std::string &variant_name) {
  return "gupcheck replay " + shell_word(file) + " --variant " + shell_word(variant_name);
}

ReplayRecord replay_for_report(const trace::Trace &t, const std::string &variant_name,
                               const model::variant_switches &sw, const InvariantSet &inv) {
  ReplayRecord log;
  log.trace = t;
  log.trace.variant = variant_name;
  log.variant = variant_name;
  log.has_seed = seed_from_notes(t.notes, log.seed);
  log.replay_command = replay_command_for("TRACE_FILE", variant_name);

  World w(sw);
  w.set_incremental(inv.mode() == CheckMode::Incremental);
  for (size_t i = 0; i < t.ops.size() && !log.failed(); i++) {
    const trace::Op &op = t.ops[i];
    log.steps.push_back({op, Outcome{}});
    auto internal = [&](const std::string &why) {
      log.violation = Violation{};
      log.violation.found = true;
      log.violation.internal = true;
      log.violation.invariant = "ModelBug";
      log.violation.why = why;
      log.violation.step = i;
    };
    try {
      log.steps.back().outcome = w.step(op);
      log.steps.back().completed = true;
      log.violation = inv.check(w, i);
    } catch (const bad_trace &e) {
      log.error = "step " + std::to_string(i + 1) + ": " + e.what();
    } catch (const model::model_bug &e) {
      internal(e.what());
    } catch (const std::exception &e) {
      // Not a kernel behaviour either: anything else escaping the model is a bug in it.
      internal(std::string("unexpected exception: ") + e.what());
    }
  }
  // Checked incrementally, the trace ends with a full check, as run_trace().
  if (!log.failed() && !t.ops.empty() && log.steps.size() == t.ops.size() && log.steps.back().completed &&
      w.incremental() && !w.footprint().global)
    log.violation = inv.check_full(w, t.ops.size() - 1);
  log.after = take_snapshot(w);

  // The state before the last step comes from a second run of the steps
  // before it (the model is a pure function of the variant and the trace),
  // so that a replay pays for one snapshot per report, not one per step.
  World prefix(sw);
  try {
    for (size_t i = 0; i + 1 < log.steps.size(); i++) prefix.step(t.ops[i]);
    log.before = take_snapshot(prefix);
  } catch (const std::exception &e) {
    log.before_error = std::string("replaying the steps before step ") + std::to_string(log.steps.size()) +
                       " failed the second time: " + e.what();
  }
  log.annotated_trace = print_annotated_trace(log.trace, sw);
  return log;
}

}  // namespace gupcheck::props

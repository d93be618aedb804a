// SPDX-License-Identifier: GPL-2.0-only
//
// Replaying a trace for a report: runs it step by step on one model variant,
// checks the invariants after every step, and records every outcome and a
// Snapshot of the state before and after the step that failed. Reports
// (reports/text.h, json.h, graph.h, html.h) render a ReplayRecord; they never
// run the model themselves.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/variant.h"
#include "properties/invariants.h"
#include "properties/snapshot.h"
#include "trace/op.h"

namespace gupcheck::props {

struct StepRecord {
  trace::Op op;
  Outcome outcome;
  bool completed = false;  // the step returned (false: it threw, see the record's error or violation)
};

// Everything a report shows about one replay, as plain data.
//
// Invariants: at most one of violation.found and !error.empty(); when either
// holds, the last step of `steps` is the one that failed (for a bad trace,
// with a default outcome); violation.step is that step's 0-based index.
struct ReplayRecord {
  trace::Trace trace;             // as replayed (variant set to the variant run)
  std::string variant;            // variant name
  std::vector<StepRecord> steps;  // every step run, up to and including the failing one
  Violation violation;            // found == false when the trace holds
  // The state before and after the failing step, or around the last step
  // when none failed (both the initial state for an empty trace).
  Snapshot before, after;
  // Non-empty when `before` could not be taken (the second run of the steps
  // before the last one failed): why.
  std::string before_error;
  // The trace's text form with resume points (print_annotated_trace()).
  std::string annotated_trace;
  bool has_seed = false;
  uint64_t seed = 0;           // campaign seed that found it, when known
  std::string replay_command;  // e.g. "gupcheck replay FILE --variant V"
  std::string error;           // non-empty when the run stopped with bad_trace

  // The 0-based index of the failing step (or of the last step run), or -1 when no step ran.
  long focus_step() const { return steps.empty() ? -1 : long(steps.size()) - 1; }
  bool failed() const { return violation.found || !error.empty(); }
};

// Replays `t` on a fresh World(sw), checking `inv` after every step.
// Stops at the first violation; a model::model_bug (or any other exception
// escaping the model) becomes an internal violation named "ModelBug"; a
// bad_trace sets `error`. has_seed/seed are taken from a "seed N" note of
// the trace when there is one; replay_command names a placeholder file
// (callers that know the file set it themselves).
ReplayRecord replay_for_report(const trace::Trace &t, const std::string &variant_name,
                               const model::variant_switches &sw, const InvariantSet &inv);

// The replay command for a trace file: "gupcheck replay FILE --variant V".
std::string replay_command_for(const std::string &file, const std::string &variant_name);

}  // namespace gupcheck::props

// SPDX-License-Identifier: GPL-2.0-only
//
// Saved counterexample traces, annotated with where each interleaved GUP
// call stopped, so a reader sees the interleaving without a replay:
//
//   g0 = get p0:t1 m0+0 1 WRITE|FORCE &
//   resume g0   # -> after faultin_page, page 0
//   madvise p0 m0+0 1 dontneed
//   wait g0
//
// A "gN = ... &" line only creates the call (it first runs at its first
// resume), so only resume lines carry a point. The comments are trailing
// '#' comments: the file parses back to the same trace.
#pragma once

#include <string>
#include <vector>

#include "model/variant.h"
#include "trace/op.h"

namespace gupcheck::props {

// One comment per op of t, "" for all but resume: "-> after faultin_page,
// page 0" (the interleave point the call stopped at), "-> returned 1" (this
// resume ran the call to its end) or "-> (returned 1)" (it had already
// returned), as the replay report prints them. Computed by running t on a
// fresh props::World(sw) (no invariants are checked).
// Throws props::bad_trace for an inconsistent trace. A model error
// (model::model_bug or any other exception out of the model) ends the run
// at that step: the comments of the steps before it stand.
std::vector<std::string> resume_comments(const trace::Trace &t, const model::variant_switches &sw);

// The text form of t (trace::print_trace()) with resume_comments(t, sw).
// A trace that does not replay is written without them, never lost.
std::string print_annotated_trace(const trace::Trace &t, const model::variant_switches &sw);

}  // namespace gupcheck::props

// SPDX-License-Identifier: GPL-2.0-only
//
// Trace-to-trace reductions that keep a trace consistent, and the loop that
// applies them while a trace still fails. They know nothing of where a trace
// came from (RapidCheck, a fuzzer, the explorer, the live kernel), so every
// source shares them.
#pragma once

#include <chrono>
#include <functional>
#include <vector>

#include "trace/op.h"

namespace gupcheck::shrink {

// Removes ops[i..i+n) and every later op that uses a handle they created
// (mappings, processes, GUP calls), repeatedly. Return: the smaller trace.
trace::Trace remove_with_dependents(const trace::Trace &t, size_t i, size_t n);

// Every one-step reduction of t, most promising first: drop chunks of
// operations (halves, quarters, ... single ops) with their dependents, shrink
// page counts and indices, clear FOLL_* flags one at a time, turn fast GUP
// into slow GUP and in-flight calls into plain ones, simplify protections.
// Only consistent candidates are returned.
std::vector<trace::Trace> candidates(const trace::Trace &t);

// Renames handles in order of creation (m0 m1 ..., p1 p2 ..., g0 g1 ...).
trace::Trace renumber(const trace::Trace &t);

struct Stats {
  long tried = 0;
  long accepted = 0;
  bool timed_out = false;
};

// Greedy shrinking to a fixpoint: take the first candidate that still fails,
// repeat. Stops at the deadline and returns the smallest failing trace found
// so far (renumbered). REQUIRES: still_fails(t).
trace::Trace shrink(const trace::Trace &t, const std::function<bool(const trace::Trace &)> &still_fails,
                    std::chrono::steady_clock::time_point deadline, Stats *stats = nullptr);

}  // namespace gupcheck::shrink

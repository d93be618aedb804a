// SPDX-License-Identifier: GPL-2.0-only
//
// Trace-to-trace reductions that keep a trace consistent, and the loop that
// applies them while a trace still fails. They know nothing of where a trace
// came from (RapidCheck, a fuzzer, the explorer, the live kernel), so every
// source shares them.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "trace/op.h"

namespace gupcheck::shrink {

// Removes ops[i..i+n) and every later op that uses a handle they created
// (mappings, processes, GUP calls), repeatedly. Return: the smaller trace.
trace::Trace remove_with_dependents(const trace::Trace &t, size_t i, size_t n);

// The one-step reductions of t, most promising first: drop chunks of
// operations (halves, quarters, ... single ops) with their dependents, shrink
// page counts and indices, clear FOLL_* flags one at a time, turn fast GUP
// into slow GUP and in-flight calls into plain ones, simplify protections.
//
// Generated one at a time: at most one candidate exists at once, so memory
// stays a small multiple of t's size whatever its length (the list of every
// candidate is about 3n traces of up to n operations each).
//
// Invariants:
//   1. The candidates come in the same order whatever the caller does
//      between them (the shrinker is deterministic).
//   2. Every candidate returned is consistent, no longer than t, and not t.
class CandidateStream {
 public:
  // REQUIRES: t outlives the stream and does not change while it is used.
  explicit CandidateStream(const trace::Trace &t);

  // True once every reduction has been generated.
  bool done() const { return phase_ == Phase::Done; }
  // REQUIRES: !done(). Generates the next reduction. Return: it, or nullopt
  // when it is not a candidate (inconsistent, or no change); either way the
  // stream has moved on, so a caller can check a deadline between calls.
  std::optional<trace::Trace> next();

 private:
  enum class Phase { Chunks, Edits, Done };
  using Edit = std::function<trace::Trace(const trace::Trace &)>;
  // The edits of ops_[op] (simplifications of one operation), in order.
  void plan_edits(size_t op);

  const trace::Trace &t_;
  Phase phase_ = Phase::Chunks;
  size_t chunk_ = 0, pos_ = 0;  // Chunks: remove [pos_, pos_ + chunk_)
  size_t op_ = 0;               // Edits: the operation being simplified
  std::vector<Edit> edits_;     // its edits not yet generated, in reverse order
};

// Every candidate of CandidateStream, in its order (for tests and small traces:
// this holds them all at once).
std::vector<trace::Trace> candidates(const trace::Trace &t);

// Renames handles in order of creation (m0 m1 ..., p1 p2 ..., g0 g1 ...).
trace::Trace renumber(const trace::Trace &t);

struct Stats {
  long tried = 0;
  long accepted = 0;
  bool timed_out = false;    // stopped at the deadline
  bool interrupted = false;  // stopped because *stop was set (SIGINT/SIGTERM)
};

// Greedy shrinking to a fixpoint: take the first candidate that still fails,
// repeat. Checks the deadline and *stop (when given) between candidates;
// stops there and returns the smallest failing trace found so far
// (renumbered). REQUIRES: still_fails(t).
trace::Trace shrink(const trace::Trace &t, const std::function<bool(const trace::Trace &)> &still_fails,
                    std::chrono::steady_clock::time_point deadline, Stats *stats = nullptr,
                    const std::atomic<bool> *stop = nullptr);

}  // namespace gupcheck::shrink

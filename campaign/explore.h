// SPDX-License-Identifier: GPL-2.0-only
//
// Bounded exhaustive search: breadth-first over every trace of a small scope,
// checking every invariant after every step, stopping at the first violation
// with a shortest trace that shows it.
//
// The scope (the op alphabet), given a state:
//   mmap      by any live process, while fewer than `maps` mappings exist:
//             anon private rw, mixedmap private rw, pfnmap private rw,
//             file:f0 shared rw, shmem:anon shared rw; `pages` pages each
//   per live process P and page I of a mapping P has a VMA at:
//             read, write (value 0x10+P, so a value seen in another process
//             is a leak), get {0, WRITE, WRITE|FORCE}, pin {0, WRITE,
//             LONGTERM, WRITE|LONGTERM}, get_fast WRITE, pin_fast 0,
//             madvise dontneed 1 page; on a mixedmap VMA also insert_mixed
//             page|zero and insert_page page|zero
//             (GUP only while fewer than `gups` calls hold pages)
//   per live process and mapping: munmap, mprotect r, mprotect rw (whole mapping)
//   per live process: fork (while fewer than `procs` processes were
//             created), exit (when another process lives), dump
//   per GUP call holding pages: put or unpin
//
// States are deduplicated by a 64-bit hash of a canonical serialisation of
// the model state and the executor's ghost state: pfns (and device pfns) are
// renumbered in first-seen order (PTEs of each process in pid order, then
// page caches, then pages held by GUP calls), released GUP calls are
// dropped, the pin counters enter as their difference. So two states that
// differ only in which frames the allocator handed out, or in GUP handles
// already released, are one state. Processes are not permuted (pid order);
// a 64-bit hash collision could merge two states (probability about
// n^2 / 2^65 for n states).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "model/variant.h"
#include "properties/invariants.h"
#include "trace/op.h"

namespace gupcheck::explore {

struct Config {
  std::string variant = "mainline";
  model::variant_switches sw;
  props::InvariantSet invariants;
  int depth = 4;
  int procs = 2;   // processes that may exist, p0 included
  int pages = 1;   // pages per mapping
  int maps = 1;    // mappings that may be created
  int gups = 2;    // GUP calls that may hold pages at once
  long graph_cap = 200000;  // keep the state graph (Boost.Graph) up to this many states
  std::string dot_file;     // write the state graph here (Graphviz), if kept
  const std::atomic<bool> *stop = nullptr;
};

struct Result {
  long states = 0;       // distinct states (the initial state included)
  long transitions = 0;  // steps executed
  int depth_reached = 0; // deepest level fully explored
  double seconds = 0;      // wall clock
  double cpu_seconds = 0;  // user + system time of this process (the figure on a shared machine)
  // Memory per distinct state: the index every state keeps (its hash-table
  // slot and its parent link, from which its trace is rebuilt), and the
  // process's peak resident memory divided by the states (an upper bound that
  // includes the frontier's full model states, two BFS levels at a time).
  size_t index_bytes_per_state = 0;
  size_t rss_bytes_per_state = 0;
  bool graph_kept = false;
  bool dot_written = false;
  bool interrupted = false;
  bool found = false;
  props::Violation violation;
  trace::Trace trace;    // shortest trace to the violation
};

Result run(const Config &cfg);

// The canonical serialisation the explorer hashes (exposed for tests).
std::string canonical_state(const props::World &w);

}  // namespace gupcheck::explore

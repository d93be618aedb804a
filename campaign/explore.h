// SPDX-License-Identifier: GPL-2.0-only
//
// Bounded exhaustive search: every trace of a small scope up to a depth,
// checking every invariant after every step, stopping at the first violation
// with a shortest trace that shows it.
//
// The search is depth-first with copies of the model along the current path
// only (no frontier of model states), so memory per state is its slot in the
// visited table. A state reached again by a shorter path is expanded again
// (the table keeps each state's least depth), so every state within the
// bound is expanded at its least depth. When a violation is found at depth
// k, searches bounded by 1, 2, ..., k-1 steps look for a shorter one first
// (iterative deepening, run only when something was found), so the trace
// reported is a shortest one.
//
// The scope (the op alphabet), given a state; "full" (the default) adds the
// lines marked +:
//   mmap      by any live process, while fewer than `maps` mappings exist:
//             anon private rw, mixedmap private rw, pfnmap private rw,
//             file:f0 shared rw, shmem:anon shared rw; `pages` pages each;
//           + anon private rw thp over a whole PMD (HPAGE_PMD_NR pages)
//   per live process P and page I < `pages` of a mapping P has a VMA at:
//             read, write (value 0x10+P, so a value seen in another process
//             is a leak), get {0, WRITE, WRITE|FORCE}, pin {0, WRITE,
//             LONGTERM, WRITE|LONGTERM}, get_fast WRITE, pin_fast 0,
//             madvise dontneed 1 page; on a mixedmap VMA also insert_mixed
//             page|zero and insert_page page|zero
//             (GUP only while fewer than `gups` calls hold pages)
//           + pin WRITE in flight (&), collapse on a THP-eligible VMA,
//             populate {0, WRITE}, madvise mergeable, madvise hwpoison, stat,
//             uffd_zeropage (anonymous), uffd_continue (shmem), and remote
//             mem_read/mem_write/vm_readv/vm_writev from P into every other
//             live process (value 0x20+P)
//   per live process and mapping: munmap, mprotect r, mprotect rw (whole
//             mapping); + mprotect none, mlock
//   per live process: fork (while fewer than `procs` processes were
//             created), exit (when another process lives), dump;
//           + ksm_merge, forbid_zeropage
//   per GUP call holding pages: put or unpin; + dma_read, dma_write (0x30+N);
//           + per call in flight: resume, wait
//
// States are deduplicated by a 64-bit hash of a canonical serialisation of
// the model state and the executor's ghost state: pfns (and device pfns) are
// renumbered in first-seen order, released GUP calls are dropped, the pin
// counters enter as their difference, and processes are put in a canonical
// order (symmetry reduction: two states that differ only by a permutation of
// process handles are one state). So two states that differ only in which
// frames the allocator handed out, in GUP handles already released, or in
// which process handle holds which address space, are one state. A 64-bit
// hash collision could merge two states (probability about n^2 / 2^65 for
// n states).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "model/variant.h"
#include "properties/invariants.h"
#include "trace/op.h"

namespace gupcheck::explore {

// The op alphabet: core (the original scope) or full (every op kind the
// decoder generates; see above).
enum class Alphabet { Core, Full };

struct Config {
  std::string variant = "mainline";
  Alphabet alphabet = Alphabet::Full;
  model::variant_switches sw;
  props::InvariantSet invariants;
  int depth = 4;
  int procs = 2;   // processes that may exist, p0 included
  int pages = 1;   // pages per mapping
  int maps = 1;    // mappings that may be created
  int gups = 2;    // GUP calls that may hold pages at once
  long graph_cap = 200000;  // with dot_file: keep the state graph (Boost.Graph) up to this many states
  std::string dot_file;     // write the state graph here (Graphviz); no graph is kept without it
  const std::atomic<bool> *stop = nullptr;
};

struct Result {
  long states = 0;       // distinct states (the initial state included)
  long transitions = 0;  // steps executed (the shorter searches after a find included)
  int depth_reached = 0; // the bound searched, or the shortest violation's length
  double seconds = 0;      // wall clock
  double cpu_seconds = 0;  // user + system time of this process (the figure on a shared machine)
  // Memory per distinct state: its slot in the visited table, and the
  // process's peak resident memory divided by the states (an upper bound
  // that includes the program itself and the models along the search path).
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

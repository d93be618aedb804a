// SPDX-License-Identifier: GPL-2.0-only
//
// A Snapshot: the whole state of one World at one step, as a plain value
// that owns no executor (no coroutine, no model function to call). Reports
// render snapshots (reports/picture.h, graph.h, json.h); they never hold a
// World and never run the model.
//
// What it holds, all copied, nothing referenced:
//   - every process (by model pid) with its trace handle, its mm: VMAs with
//     their VM_* flags and backing, PTE tables with every PTE bit (present,
//     write, dirty, young, special, protnone, hwpoison) and the PMD, leaf or
//     not, above each table, rss counters and MMF_HAS_PINNED;
//   - every folio by pfn (refcount in the kernel's encoding, mapcount,
//     pincount, flags, kind), the zero page among them at ZERO_PFN, and the
//     huge zero folio's head;
//   - the files (page caches) with their trace handles;
//   - the trace's mappings (mN) and GUP calls (gN) with their state and pages;
//   - the executor's census (who holds each folio), the FOLL_PIN counters
//     and the kernel warnings the model hit.
//
// Invariants: processes[i].pid == i; folios[pfn] is the model's folio
// of that pfn (folios[0] unused); gups[i].handle == i.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/kernel.h"
#include "properties/world.h"

namespace gupcheck::props {

struct SnapshotProcess {
  int pid = 0;
  int handle = -1;  // trace handle pN, or -1 (a process the trace never named)
  bool alive = true;
  model::mm_struct mm;  // VMAs, PTE tables and their PMDs, counters (empty once exited)
};

struct SnapshotFile {
  int handle = -1;  // trace handle fN, or -1 (the shmem object of shmem:anon)
  model::file_state state;
};

struct SnapshotMapping {
  bool exists = false;
  uint64_t start = 0;  // vpn
  uint16_t npages = 0;
  int created_by = -1;  // model pid
};

struct SnapshotGup {
  bool exists = false;
  bool completed = false;  // returned (possibly during a resume)
  bool released = false;   // put/unpin done
  bool pin = false;        // FOLL_PIN rather than FOLL_GET
  bool interleaved = false;
  std::string point;  // the interleave point it stopped at last, "" when none
  trace::Op op;       // the operation that created it
  int pid = -1;
  long ret = 0;
  std::vector<pfn_t> pages;  // what it holds (in flight: grabbed so far)
  bool holds() const { return exists && !released; }
};

struct Snapshot {
  std::vector<SnapshotProcess> processes;
  std::vector<model::folio> folios;  // by pfn
  model::pfn_t huge_zero_pfn = 0;    // the huge zero folio's head, 0 before first use
  std::vector<SnapshotFile> files;   // by kernel file index
  std::vector<SnapshotMapping> mappings;  // by trace handle mN
  std::vector<SnapshotGup> gups;          // by trace handle gN
  Census census;
  long nr_foll_pin_acquired = 0, nr_foll_pin_released = 0;
  std::vector<std::string> warnings;  // WARN_ON/VM_BUG_ON on kernel state

  // The trace handle of a model pid, or -1.
  int proc_of(int pid) const;
  // The trace handle fN of a kernel file index, or -1.
  int file_handle(int kernel_file) const;
  // Whether pfn has a struct page in this state (pfn_valid()).
  bool has_folio(pfn_t pfn) const { return pfn != 0 && pfn < folios.size(); }
};

// The state of w, copied.
Snapshot take_snapshot(const World &w);

}  // namespace gupcheck::props

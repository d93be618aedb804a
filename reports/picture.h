// SPDX-License-Identifier: GPL-2.0-only
//
// ASCII pictures of the model state, for reports: every live process's
// address space (one row of characters per VMA, one character per page, in
// the style of the kernel's tools/testing/vma tests) and a table of the
// folios that matter (mapped, held by a GUP call, anonymous, or the zero
// page). Lines stay under 100 columns.
//
//   p0 (pid 0): rss anon=1 file=0 shmem=0, 1 PTE table, MMF_HAS_PINNED
//     0x10000-0x14000  rw-p  4 pages  anon (anon_vma)  m0
//       0x10000     0123
//       page        ZA.
//       pte         -d
//       gup          P
//
// The ruler digit of a column is the page's index in its PTE table
// (vpn % PTRS_PER_PTE); legend_text() explains every character.
#pragma once

#include <string>
#include <vector>

#include "properties/snapshot.h"

namespace gupcheck::reports {

// The legend of draw_address_space() (also printed at its top).
const std::string &legend_text();

// Every process (live ones drawn, exited ones named), each VMA with its range
// as byte addresses, permissions, backing, flags and the trace mappings (mN)
// that overlap it, then the page, PTE and GUP rows.
std::string draw_address_space(const props::Snapshot &s);

// A table of the folios worth looking at, with their encoded refcount,
// mapcount and the census (who holds them), then the GUP calls that hold
// pages, the FOLL_PIN counters and any kernel warnings the model hit.
std::string draw_folios(const props::Snapshot &s);

// Labels shared by the pictures and the graph (reports/graph.h).
// "p0 (pid 0)", or "pid 3 (no trace handle)".
std::string proc_label(const props::Snapshot &s, int pid);
// "f0", or "anon-shmem#N" for a file the trace never named.
std::string file_label(const props::Snapshot &s, int kernel_file);
// /proc/PID/maps style permissions: "rw-p", "r--s", "---p".
std::string perms(model::vm_flags_t f);
// "anon (anon_vma)", "file f0 pgoff 0x0", "pfnmap-driver pgoff 0x...", ...
std::string backing_text(const props::Snapshot &s, const model::vm_area_struct &v);
// The VM_* flags a reader of a GUP report cares about, beyond permissions.
std::vector<std::string> flag_names(model::vm_flags_t f);
// The trace mappings (mN, mN+I, mN@+I) overlapping a VMA of pid.
std::vector<std::string> mapping_names(const props::Snapshot &s, int pid, const model::vm_area_struct &v);
// "1025 (1P+1)": a refcount in the GUP_PIN_COUNTING_BIAS encoding.
std::string refcount_text(int refcount);
// "zero", "anon-excl", "pagecache f0:3", "driver", with " ksm"/" dirty"/"FREED ".
std::string folio_kind(const props::Snapshot &s, const model::folio &f);

// draw_address_space() followed by draw_folios().
std::string draw_state(const props::Snapshot &s);

}  // namespace gupcheck::reports

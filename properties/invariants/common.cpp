// SPDX-License-Identifier: GPL-2.0-only
//
// Helpers shared by the invariants: the specifications they compute independently of the model
// (is_valid_gup_args(), check_vma_flags(), folio_is_longterm_pinnable(), ...) and small
// formatting aids.
// Each invariant is a pure function of the world after a step (see
// properties/invariants/internal.h); ids and statements follow
// docs/invariants.md, and the registry (properties/invariants/registry.cpp)
// names each with its statement and source.
#include "properties/invariants/internal.h"

#include <algorithm>
#include <climits>
#include <sstream>

namespace gupcheck::props::inv {

using namespace gupcheck::model;
using trace::OpKind;

thread_local Named t_named;
thread_local const Footprint *t_footprint = nullptr;

PfnScan::PfnScan(const World &w, pfn_t lo) : lo_(lo), hi_(std::max<pfn_t>(lo, w.kernel().folios.size())) {
  if (!t_footprint) return;
  incr_ = true;
  const std::vector<pfn_t> &v = t_footprint->pfns;
  list_ = v.data() + (std::lower_bound(v.begin(), v.end(), lo) - v.begin());
  list_end_ = v.data() + (std::lower_bound(v.begin(), v.end(), hi_) - v.begin());
}

GupScan::GupScan(const World &w) : w_(&w) {
  if (!t_footprint) return;
  incr_ = true;
  const std::vector<int> &v = t_footprint->gups;
  list_ = v.data();
  list_end_ = v.data() + v.size();
}

std::string pfn_s(pfn_t p) { return "pfn " + hex(p); }
std::string addr_s(uint64_t vpn) { return hex(vpn << 12); }

int gup_index(const World &w, const GupCall &g) { return int(&g - w.gup_calls().data()); }

// A step that ran a whole GUP call: step invariants compare the state
// before it (the probe) with the state after. An interleaved call (resumed
// with other operations in between) has no such "before".
bool is_gup_step(const World &w) {
  const GupCall *g = w.last_gup();
  return g && !g->interleaved && (w.last_op().kind == OpKind::Gup || w.last_op().kind == OpKind::Wait);
}

// A step that collected a GUP call's result, interleaved or not.
bool is_gup_end(const World &w) {
  const GupCall *g = w.last_gup();
  return g && (w.last_op().kind == OpKind::Gup || w.last_op().kind == OpKind::Wait);
}

// The spec of is_valid_gup_args() for each entry point: which caller flags
// are acceptable. Return: true when the call must be refused.
bool gup_args_invalid(trace::GupApi api, unsigned flags) {
  if (flags & INTERNAL_GUP_FLAGS) return true;
  const bool pin = api == trace::GupApi::Pin || api == trace::GupApi::PinFast;
  if (pin && (flags & FOLL_GET)) return true;
  if (!pin && (flags & FOLL_LONGTERM)) return true;
  if ((flags & FOLL_LONGTERM) && (flags & FOLL_PCI_P2PDMA)) return true;
  const bool fast = api == trace::GupApi::GetFast || api == trace::GupApi::PinFast;
  if (fast && (flags & ~GUP_FAST_ALLOWED_FLAGS)) return true;
  return false;
}

// Holders' share of a folio's refcount besides GUP: PTEs, page cache, driver.
// The huge zero folio keeps huge_zero_refcount's own reference.
int base_refs(const folio &f, int ptes) {
  return ptes + (f.pagecache ? 1 : 0) + (f.driver ? 1 : 0) + (f.huge_zero && !f.head ? HUGE_ZERO_BASE_REFCOUNT : 0);
}

// Per-folio "refcount - mapcount - pagecache - driver" change over the last
// step: what GUP references alone must account for.
long gup_share_delta(const World &w, pfn_t p) {
  const kernel_state &k = w.kernel();
  const Probe &pr = w.probe();
  const folio &f = k.folios[p];
  // The huge zero folio's own reference, like a driver's, is there for life.
  const long own = (f.driver ? 1 : 0) + (f.huge_zero && !f.head ? HUGE_ZERO_BASE_REFCOUNT : 0);
  long after = long(f.refcount) - f.mapcount - (f.pagecache ? 1 : 0) - own;
  long before = 0;
  if (p < pr.refcount.size()) {
    // A driver page keeps its driver flag for life, so it cancels out.
    before = long(pr.refcount[p]) - pr.mapcount[p] - pr.pagecache[p] - own;
  }
  return after - before;
}

// What a GUP call's references amount to on each folio: one per FOLL_GET
// page, GUP_PIN_COUNTING_BIAS (or 1 on a large folio) per pinned page,
// nothing for a pin of the zero page. *pins counts the pins that move the
// NR_FOLL_PIN_* counters.
std::vector<std::pair<pfn_t, long>> gup_holdings(const kernel_state &k, const GupCall &g, long *pins) {
  std::vector<std::pair<pfn_t, long>> held;
  *pins = 0;
  for (pfn_t p : g.pages) {
    if (!pfn_valid(k, p)) continue;
    const pfn_t h = folio_pfn(k, p);  // references go to the folio
    if (!g.pin) {
      held.emplace_back(h, 1);
    } else if (!k.folios[p].zero) {
      held.emplace_back(h, k.folios[p].large ? 1 : GUP_PIN_COUNTING_BIAS);
      (*pins)++;
    }
  }
  // One entry per folio, by pfn.
  std::sort(held.begin(), held.end());
  size_t o = 0;
  for (size_t i = 0; i < held.size(); i++) {
    if (o && held[o - 1].first == held[i].first) held[o - 1].second += held[i].second;
    else held[o++] = held[i];
  }
  held.resize(o);
  return held;
}

// Compares every folio's change of GUP references over the last step with
// sign * holdings of g, and the net NR_FOLL_PIN_* movement with sign * pins.
// GUP-fast may take a pin and drop it again (fallback): only the net counts.
bool gup_delta_matches(const World &w, const GupCall &g, long sign, const char *what, std::string &why) {
  const kernel_state &k = w.kernel();
  long pins;
  const std::vector<std::pair<pfn_t, long>> holdings = gup_holdings(k, g, &pins);
  auto held = [&holdings](pfn_t p) {
    auto it = std::lower_bound(holdings.begin(), holdings.end(), std::make_pair(p, LONG_MIN));
    return it != holdings.end() && it->first == p ? it->second : 0L;
  };
  // Checking incrementally, only the footprint's pages: the others kept
  // their counts, and the call holds none of them.
  for (pfn_t p : PfnScan(w, 1)) {
    const long d = gup_share_delta(w, p);
    if (d != sign * held(p)) {
      name_pfn(p);
      name_gup(gup_index(w, g));
      why = std::string(what) + " changed " + pfn_s(p) + "'s references by " + std::to_string(d) + ", expected " +
            std::to_string(sign * held(p)) + (k.folios[p].zero ? " (the zero page)" : "");
      return false;
    }
  }
  const long dnet =
      (k.nr_foll_pin_acquired - w.probe().pin_acquired) - (k.nr_foll_pin_released - w.probe().pin_released);
  if (dnet != sign * pins) {
    why = "NR_FOLL_PIN_ACQUIRED - RELEASED moved by " + std::to_string(dnet) + " for " + std::to_string(pins) +
          " pins";
    return false;
  }
  return true;
}

// H1, H2 for remote accesses: /proc/PID/mem forces (a write only into a
// COW mapping), process_vm_readv/writev does not.
bool remote_needs_permission(const World &w, std::string &why) {
  const trace::Op &op = w.last_op();
  if (w.last_outcome().ret != 0) return true;
  const Probe &pr = w.probe();
  if (!pr.had_vma) {
    why = "a remote access to an unmapped address succeeded";
    return false;
  }
  const vm_flags_t f = pr.vma.vm_flags;
  const bool force = op.via == trace::RemoteVia::Mem;
  const bool write = op.kind == OpKind::RemoteWrite;
  const bool ok = write ? ((f & VM_WRITE) || (force && is_cow_mapping(f)))
                        : ((f & VM_READ) || (force && (f & VM_MAYREAD)));
  if (!ok) {
    why = std::string("a remote ") + (write ? "write" : "read") + " through " + trace::remote_word(op.kind, op.via) +
          " succeeded in a VMA without " + (write ? "VM_WRITE" : "VM_READ");
    return false;
  }
  if ((f & (VM_IO | VM_PFNMAP)) || vma_is_secretmem(pr.vma)) {
    why = "a remote access succeeded in a VM_IO|VM_PFNMAP or secretmem VMA";
    return false;
  }
  return true;
}

// The permission GUP's range had: flags and result of a GUP or populate step.
bool gup_range_of_step(const World &w, unsigned &flags, long &ret) {
  const bool populate = w.last_op().kind == OpKind::Populate;
  if (!is_gup_step(w) && !populate) return false;
  flags = populate ? w.last_op().gup_flags : w.last_gup()->op.gup_flags;
  ret = populate ? w.last_outcome().ret : w.last_gup()->ret;
  return true;
}

// The spec of vm_mixed_zeropage_allowed() (seed e).
bool mixed_zeropage_allowed_spec(const World &w, int pid, vm_flags_t f) {
  if (w.kernel().tasks[pid].mm.forbids_zeropage) return false;
  if (is_cow_mapping(f)) return true;
  return !(f & (VM_WRITE | VM_MAYWRITE));
}

bool first_vma_is(const World &w, bool (*pred)(const World &, const vm_area_struct &)) {
  return w.probe().had_vma && pred(w, w.probe().vma);
}

// The spec of folio_is_longterm_pinnable() (include/linux/mm.h, v6.18):
// never CMA; the zero page always; otherwise not ZONE_MOVABLE.
bool spec_longterm_pinnable(const folio &f) {
  if (f.zone == mem_zone::cma) return false;
  return f.zero || f.zone != mem_zone::movable;
}

// Pages [lo, hi) of the last step's FOLL_LONGTERM pin that are not long-term pinnable.
bool longterm_range_pinnable(const World &w, bool fast_part, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  if (!g.pin || !(g.op.gup_flags & FOLL_LONGTERM) || g.ret <= 0) return true;
  const kernel_state &k = w.kernel();
  const size_t split = std::min(g.pages.size(), size_t(std::max(g.nr_fast, 0L)));
  const size_t lo = fast_part ? 0 : split, hi = fast_part ? split : g.pages.size();
  for (size_t i = lo; i < hi; i++) {
    const pfn_t p = g.pages[i];
    if (!pfn_valid(k, p)) continue;
    const folio &f = k.folios[p];
    if (!spec_longterm_pinnable(f)) {
      why = std::string(fast_part ? "GUP-fast" : "the slow path") + " of a FOLL_LONGTERM pin pinned " + pfn_s(p) +
            " in " + (f.zone == mem_zone::cma ? "a CMA area" : "ZONE_MOVABLE") + " at index " + std::to_string(i);
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// The coverage part of the catalogue: C2 C5 C6 C7 C8 D3 D5 E4 E7 H5, and the
// Expectation check of scenario traces.

bool valid_gup_step(const World &w) {
  return is_gup_step(w) && !gup_args_invalid(w.last_gup()->op.api, w.last_gup()->op.gup_flags);
}

bool is_fast_api(trace::GupApi a) { return a == trace::GupApi::GetFast || a == trace::GupApi::PinFast; }

// What check_vma_flags() must refuse, computed from the VMA flags seen before
// the call (an independent statement of its permission rules).
bool vma_refuses(vm_flags_t f, unsigned flags) {
  if (f == 0) return true;  // no VMA
  if (f & (VM_IO | VM_PFNMAP)) return true;
  if (flags & FOLL_WRITE) {
    if (!(f & VM_WRITE) && !((flags & FOLL_FORCE) && is_cow_mapping(f))) return true;
  } else if (!(f & VM_READ) && !((flags & FOLL_FORCE) && (f & VM_MAYREAD))) {
    return true;
  }
  return false;
}

}  // namespace gupcheck::props::inv

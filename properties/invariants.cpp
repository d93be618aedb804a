// SPDX-License-Identifier: GPL-2.0-only
//
// The invariants. Each is a pure function of the world after a step: the
// model's kernel state, the ghost state the executor keeps (who holds which
// page, what private memory must contain), and the probe taken just before
// the step. Ids and statements follow ../shared/domain/invariants.md.
//
// Every predicate judges the model against a specification computed here,
// independently of the model code that is being checked: counts against a
// census of holders, GUP results against the VMA flags seen before the call,
// memory contents against the shadow copy.
#include "properties/invariants.h"

#include "properties/witness.h"
#include "trace/text.h"

#include <algorithm>
#include <sstream>

namespace gupcheck::props {

using namespace gupcheck::model;
using trace::OpKind;

namespace {

// What the invariant being checked names (see name_pfn()).
struct Named {
  std::vector<pfn_t> pfns;
  std::vector<std::pair<int, uint64_t>> ptes;
  std::vector<int> gups;
  void clear() {
    pfns.clear();
    ptes.clear();
    gups.clear();
  }
};
thread_local Named t_named;

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

// ---------------------------------------------------------------------------

bool type_ok(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  for (size_t pid = 0; pid < k.tasks.size(); pid++) {
    const mm_struct &mm = k.tasks[pid].mm;
    if (!k.tasks[pid].alive && (!mm.vmas.empty() || !mm.tables.empty())) {
      why = "exited pid " + std::to_string(pid) + " still has VMAs or page tables";
      return false;
    }
    uint64_t prev_end = 0;
    for (const auto &v : mm.vmas) {
      if (v.vm_start >= v.vm_end || v.vm_start < prev_end || v.vm_start < MMAP_MIN_VPN || v.vm_end > TASK_SIZE_VPN) {
        why = "VMAs not sorted, empty or overlapping at " + addr_s(v.vm_start);
        return false;
      }
      prev_end = v.vm_end;
    }
    uint64_t prev_base = 0;
    bool first = true;
    size_t vi = 0;
    for (const auto &t : mm.tables) {
      if (t.base % PTRS_PER_PTE || (!first && t.base <= prev_base)) {
        why = "PTE tables not sorted or misaligned";
        return false;
      }
      first = false;
      prev_base = t.base;
      for (unsigned i = 0; i < PTRS_PER_PTE; i++) {
        const pte_t &p = t.ptes[i];
        if (!p.present) continue;
        // Walk the sorted VMAs alongside the sorted tables.
        while (vi < mm.vmas.size() && mm.vmas[vi].vm_end <= t.base + i) vi++;
        if (vi == mm.vmas.size() || mm.vmas[vi].vm_start > t.base + i) {
          why = "present PTE at " + addr_s(t.base + i) + " outside every VMA";
          return false;
        }
        const bool dev = p.pfn >= DEVICE_PFN_BASE && p.pfn - DEVICE_PFN_BASE < k.device_mem.size();
        if (!dev && !pfn_valid(k, p.pfn)) {
          why = "PTE at " + addr_s(t.base + i) + " names an unknown " + pfn_s(p.pfn);
          return false;
        }
      }
    }
  }
  for (const GupCall &g : w.gup_calls()) {
    if (!g.exists || !g.completed) continue;
    if (long(g.pages.size()) != std::max(g.ret, 0L)) {
      why = "a GUP call's pages do not match its return value";
      return false;
    }
  }
  return true;
}

bool no_kernel_warning(const World &w, std::string &why) {
  if (w.kernel().warnings.empty()) return true;
  // The warning itself names no page: point at what the last step touched.
  if (const GupCall *g = w.last_gup()) {
    name_gup(gup_index(w, *g));
    for (pfn_t p : g->pages) name_pfn(p);
  }
  if (w.last_op().has_address() && w.last_op().has_process()) {
    try {
      name_pte(w.pid_of(w.last_op().proc), w.address(w.last_op().map, w.last_op().page));
    } catch (const bad_trace &) {
      // The mapping handle is gone: nothing to point at.
    }
  }
  why = "the kernel would warn: " + w.kernel().warnings.front();
  return false;
}

// What a GUP call's references amount to on each folio: one per FOLL_GET
// page, GUP_PIN_COUNTING_BIAS (or 1 on a large folio) per pinned page,
// nothing for a pin of the zero page. *pins counts the pins that move the
// NR_FOLL_PIN_* counters.
std::vector<long> gup_holdings(const kernel_state &k, const GupCall &g, long *pins) {
  std::vector<long> held(k.folios.size(), 0);
  *pins = 0;
  for (pfn_t p : g.pages) {
    if (!pfn_valid(k, p)) continue;
    const pfn_t h = folio_pfn(k, p);  // references go to the folio
    if (!g.pin) {
      held[h] += 1;
    } else if (!k.folios[p].zero) {
      held[h] += k.folios[p].large ? 1 : GUP_PIN_COUNTING_BIAS;
      (*pins)++;
    }
  }
  return held;
}

// Compares every folio's change of GUP references over the last step with
// sign * holdings of g, and the net NR_FOLL_PIN_* movement with sign * pins.
// GUP-fast may take a pin and drop it again (fallback): only the net counts.
bool gup_delta_matches(const World &w, const GupCall &g, long sign, const char *what, std::string &why) {
  const kernel_state &k = w.kernel();
  long pins;
  const std::vector<long> held = gup_holdings(k, g, &pins);
  for (pfn_t p = 1; p < k.folios.size(); p++) {
    const long d = gup_share_delta(w, p);
    if (d != sign * held[p]) {
      name_pfn(p);
      name_gup(gup_index(w, g));
      why = std::string(what) + " changed " + pfn_s(p) + "'s references by " + std::to_string(d) + ", expected " +
            std::to_string(sign * held[p]) + (k.folios[p].zero ? " (the zero page)" : "");
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

// A1
bool gup_grab_arithmetic(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  return gup_delta_matches(w, *w.last_gup(), +1, "GUP", why);
}

// A2
bool release_is_inverse(const World &w, std::string &why) {
  const OpKind kind = w.last_op().kind;
  if (kind != OpKind::Put && kind != OpKind::Unpin) return true;
  return gup_delta_matches(w, *w.last_gup(), -1, "release", why);
}

// A3
bool maybe_pinned_no_false_negative(const World &w, std::string &why) {
  const Census &c = w.census();
  const kernel_state &k = w.kernel();
  for (pfn_t p = 2; p < k.folios.size(); p++)
    if (c.pins[p] > 0 && !folio_maybe_dma_pinned(k.folios[p])) {
      name_pfn(p);
      why = pfn_s(p) + " holds " + std::to_string(c.pins[p]) + " pins but folio_maybe_dma_pinned() is false";
      return false;
    }
  return true;
}

// A4
bool flag_algebra(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  if (!gup_args_invalid(g.op.api, g.op.gup_flags)) return true;
  const long want = g.op.api == trace::GupApi::Pin ? 0 : -EINVAL;
  if (g.ret != want || !g.pages.empty()) {
    why = "invalid GUP flags returned " + std::to_string(g.ret) + ", expected " + std::to_string(want);
    return false;
  }
  return true;
}

// A5
bool pte_references_accounted(const World &w, std::string &why) {
  const Census &c = w.census();
  const kernel_state &k = w.kernel();
  for (pfn_t p = 2; p < k.folios.size(); p++) {
    const folio &f = k.folios[p];
    if (f.mapcount != c.ptes[p]) {
      name_pfn(p);
      why = pfn_s(p) + " has mapcount " + std::to_string(f.mapcount) + " but " + std::to_string(c.ptes[p]) +
            " PTEs map it";
      return false;
    }
    if (f.freed && (c.ptes[p] || c.special_ptes[p])) {
      name_pfn(p);
      why = "a PTE maps freed " + pfn_s(p);
      return false;
    }
  }
  return true;
}

// A6
bool refcount_matches_holders(const World &w, std::string &why) {
  const Census &c = w.census();
  const kernel_state &k = w.kernel();
  for (pfn_t p = 2; p < k.folios.size(); p++) {
    const folio &f = k.folios[p];
    long want = base_refs(f, c.ptes[p]) + c.gets[p] + long(c.pins[p]) * (f.large ? 1 : GUP_PIN_COUNTING_BIAS);
    if (f.refcount != want) {
      name_pfn(p);
      why = pfn_s(p) + " has refcount " + std::to_string(f.refcount) + " but its holders account for " +
            std::to_string(want) + " (" + std::to_string(c.ptes[p]) + " PTEs, " + std::to_string(c.gets[p]) +
            " GUP refs, " + std::to_string(c.pins[p]) + " pins)";
      return false;
    }
  }
  return true;
}

// A7
bool has_pinned_sticky(const World &w, std::string &why) {
  const OpKind kind = w.last_op().kind;
  if (kind == OpKind::Put || kind == OpKind::Unpin || kind == OpKind::Resume) return true;
  int pid = kind == OpKind::Wait                           ? (w.last_gup() ? w.last_gup()->pid : -1)
            : (kind == OpKind::DmaWrite || kind == OpKind::DmaRead) ? -1
            : w.last_op().has_target()                    ? w.pid_of(w.last_op().target)
                                                          : w.pid_of(w.last_op().proc);
  if (pid < 0 || !w.kernel().tasks[pid].alive) return true;
  const bool now = w.kernel().tasks[pid].mm.has_pinned;
  if (w.probe().has_pinned && !now) {
    why = "MMF_HAS_PINNED was cleared";
    return false;
  }
  if (is_gup_step(w) && w.last_gup()->pin && !gup_args_invalid(w.last_gup()->op.api, w.last_gup()->op.gup_flags) &&
      !now) {
    why = "a FOLL_PIN call left MMF_HAS_PINNED unset";
    return false;
  }
  return true;
}

// A10
bool rss_excludes_special(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  const Census &c = w.census();
  for (size_t pid = 0; pid < k.tasks.size(); pid++) {
    const task_struct &t = k.tasks[pid];
    if (!t.alive) continue;
    const Census::Rss &r = c.rss[pid];
    if (t.mm.rss[MM_ANONPAGES] != r.anon || t.mm.rss[MM_FILEPAGES] != r.file || t.mm.rss[MM_SHMEMPAGES] != r.shmem) {
      why = "p" + std::to_string(w.proc_of(int(pid))) + " rss anon/file/shmem = " +
            std::to_string(t.mm.rss[MM_ANONPAGES]) + "/" + std::to_string(t.mm.rss[MM_FILEPAGES]) + "/" +
            std::to_string(t.mm.rss[MM_SHMEMPAGES]) + " but its normal PTEs count " + std::to_string(r.anon) + "/" +
            std::to_string(r.file) + "/" + std::to_string(r.shmem);
      return false;
    }
  }
  return true;
}

// B1
bool read_fault_maps_zero_page(const World &w, std::string &why) {
  if (w.last_op().kind != OpKind::Read || w.last_outcome().signal) return true;
  const Probe &pr = w.probe();
  if (!pr.had_vma || !vma_is_anonymous(pr.vma) || (pr.vma.vm_flags & VM_SHARED)) return true;
  if (pr.had_pte && pr.pte.present) return true;
  const int pid = w.pid_of(w.last_op().proc);
  if (w.kernel().tasks[pid].mm.forbids_zeropage) return true;
  const uint64_t vpn = w.address(w.last_op().map, w.last_op().page);
  const pte_table *t = pmd_offset(w.kernel().tasks[pid].mm, vpn);
  if (t && t->pmd_leaf) {
    // A THP-eligible VMA: the huge zero folio, read-only (or a THP when
    // use_zero_page is off).
    if (!is_huge_zero_pfn(w.kernel(), t->pmd_pfn) ? w.kernel().thp_use_zero_page : t->pmd_write) {
      why = "a read fault at " + addr_s(vpn) + " did not map the huge zero folio read-only";
      return false;
    }
    return true;
  }
  const pte_t *pte = pte_offset(w.kernel().tasks[pid].mm, vpn);
  if (!pte || !pte->present || !is_zero_pfn(pte->pfn) || !pte->special || pte->write) {
    why = "a read fault at " + addr_s(vpn) + " did not map the zero page special and read-only";
    return false;
  }
  return true;
}

// B2
bool zero_page_never_writable(const World &w, std::string &why) {
  const Census::Where &at = w.census().zero_writable;
  if (at.pid < 0) return true;
  name_pfn(ZERO_PFN);
  name_pte(at.pid, at.vpn);
  why = "p" + std::to_string(w.proc_of(at.pid)) + " maps the zero page writable at " + addr_s(at.vpn);
  return false;
}

// B3
bool zero_page_always_special(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  if (k.folios[ZERO_PFN].mapcount != 0) {
    name_pfn(ZERO_PFN);
    if (w.census().zero_not_special.pid >= 0)
      name_pte(w.census().zero_not_special.pid, w.census().zero_not_special.vpn);
    why = "the zero page has mapcount " + std::to_string(k.folios[ZERO_PFN].mapcount);
    return false;
  }
  const Census::Where &at = w.census().zero_not_special;
  if (!k.arch_has_pte_special || at.pid < 0) return true;
  name_pfn(ZERO_PFN);
  name_pte(at.pid, at.vpn);
  why = "p" + std::to_string(w.proc_of(at.pid)) + " maps the zero page without pte_special at " + addr_s(at.vpn) +
        ", so vm_normal_page() would treat it as a normal page";
  return false;
}

// B4
bool gup_fast_never_returns_zero(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  for (long i = 0; i < g.nr_fast && size_t(i) < g.pages.size(); i++)
    if (is_zero_pfn(g.pages[i]) || is_huge_zero_pfn(w.kernel(), g.pages[i])) {
      why = "GUP-fast returned the zero page at index " + std::to_string(i);
      return false;
    }
  return true;
}

// B5
bool zero_page_never_refcounted(const World &w, std::string &why) {
  const folio &z = w.kernel().folios[ZERO_PFN];
  const int gets = w.census().gets[ZERO_PFN];
  if (z.refcount != ZERO_PAGE_BASE_REFCOUNT + gets || z.pincount != 0) {
    name_pfn(ZERO_PFN);
    why = "the zero page has refcount " + std::to_string(z.refcount) + " with " + std::to_string(gets) +
          " FOLL_GET references outstanding (expected " + std::to_string(ZERO_PAGE_BASE_REFCOUNT + gets) + ")";
    return false;
  }
  return true;
}

// B6
bool dump_never_returns_zero(const World &w, std::string &why) {
  if (w.last_op().kind != OpKind::Dump) return true;
  const Outcome &o = w.last_outcome();
  for (size_t i = 0; i < o.dump.size(); i++)
    if (is_zero_pfn(o.dump[i]) || is_huge_zero_pfn(w.kernel(), o.dump[i])) {
      why = "get_dump_page() returned the zero page for " + addr_s(o.dump_vpn[i]);
      return false;
    }
  return true;
}

// B7
bool longterm_pin_unshares(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  if (!g.pin || !(g.op.gup_flags & FOLL_LONGTERM)) return true;
  const kernel_state &k = w.kernel();
  const Probe &pr = w.probe();
  for (size_t i = 0; i < g.pages.size() && i < pr.range_flags.size(); i++) {
    if (!is_cow_mapping(pr.range_flags[i])) continue;
    const folio &f = k.folios[g.pages[i]];
    if (!f.anon || !f.anon_exclusive) {
      name_pfn(g.pages[i]);
      name_pte(g.pid, g.start + i);
      name_gup(gup_index(w, g));
      why = "a long-term pin in a COW mapping holds " + std::string(f.zero ? "the zero page" : "a shared page") +
            " at index " + std::to_string(i) + " instead of an exclusive anonymous page";
      return false;
    }
  }
  return true;
}

// C1
bool pfnmap_never_normal(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  std::vector<pfn_t> raw;
  for (size_t pid = 0; pid < k.tasks.size(); pid++) {
    const mm_struct &mm = k.tasks[pid].mm;
    for (const auto &v : mm.vmas) {
      if (!(v.vm_flags & VM_PFNMAP)) continue;
      for (uint64_t a = v.vm_start; a < v.vm_end; a++) {
        const pte_t *p = pte_offset(mm, a);
        if (!p || !p->present) continue;
        const bool linear = !is_cow_mapping(v.vm_flags) || p->pfn == v.vm_pgoff + (a - v.vm_start);
        if (linear) {
          raw.push_back(p->pfn);
          if (k.arch_has_pte_special && !p->special) {
            why = "a raw PFNMAP PTE at " + addr_s(a) + " is not special";
            return false;
          }
        } else if (!pfn_valid(k, p->pfn) || !k.folios[p->pfn].anon) {
          why = "a PFNMAP PTE at " + addr_s(a) + " breaks the vm_pgoff linearity rule without being a COWed page";
          return false;
        }
      }
    }
  }
  if (raw.empty()) return true;
  for (const GupCall &g : w.gup_calls())
    if (g.holds())
      for (pfn_t p : g.pages)
        if (std::find(raw.begin(), raw.end(), p) != raw.end()) {
          why = "a GUP call holds " + pfn_s(p) + ", a raw PFNMAP page";
          return false;
        }
  const Census &c = w.census();
  for (pfn_t p : raw)
    if (pfn_valid(k, p) && (k.folios[p].mapcount != c.ptes[p] || c.ptes[p] != 0)) {
      why = "raw PFNMAP " + pfn_s(p) + " is counted as mapped";
      return false;
    }
  return true;
}

// C3
bool gup_rejects_pfnmap(const World &w, std::string &why) {
  const OpKind kind = w.last_op().kind;
  const bool populate = kind == OpKind::Populate;
  if (!is_gup_step(w) && !populate) return true;
  const Probe &pr = w.probe();
  const long ret = populate ? w.last_outcome().ret : w.last_gup()->ret;
  if (!populate && gup_args_invalid(w.last_gup()->op.api, w.last_gup()->op.gup_flags)) return true;
  // GUP-fast walks page tables without VMAs: a COWed anonymous page inside a
  // private PFNMAP is a normal page to it. check_vma_flags() guards the slow path.
  const long nr_fast = populate ? 0 : w.last_gup()->nr_fast;
  for (size_t i = size_t(nr_fast); i < pr.range_flags.size(); i++) {
    if (!(pr.range_flags[i] & (VM_IO | VM_PFNMAP))) continue;
    if (i == 0 && ret != -EFAULT) {
      why = "GUP starting in a VM_IO|VM_PFNMAP VMA returned " + std::to_string(ret) + " instead of -EFAULT";
      return false;
    }
    if (long(i) < ret) {
      why = "the slow GUP path processed page " + std::to_string(i) + " inside a VM_IO|VM_PFNMAP VMA";
      return false;
    }
    break;
  }
  return true;
}

// C4
bool pfn_only_stops_gup(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  const kernel_state &k = w.kernel();
  for (pfn_t p : g.pages)
    if (!pfn_valid(k, p)) {
      name_pfn(p);
      name_gup(gup_index(w, g));
      why = "GUP returned " + pfn_s(p) + ", which has no struct page";
      return false;
    }
  const Probe &pr = w.probe();
  if (gup_args_invalid(g.op.api, g.op.gup_flags) || !pr.had_vma || !pr.had_pte || !pr.pte.present) return true;
  const pte_t &pte = pr.pte;
  if (!pte.special || is_zero_pfn(pte.pfn) || is_huge_zero_pfn(k, pte.pfn) || (pr.vma.vm_flags & (VM_IO | VM_PFNMAP))) return true;
  if ((g.op.gup_flags & FOLL_WRITE) && !pte.write) return true;  // a write fault replaces it first
  if (g.op.gup_flags & FOLL_DUMP) return true;  // a core dump treats it as a hole: -EFAULT
  if (check_vma_flags(k, pr.vma, g.op.gup_flags | (g.pin ? FOLL_PIN : FOLL_GET))) return true;
  if (g.ret != -EEXIST) {
    name_pfn(pte.pfn);
    name_pte(g.pid, g.start);
    name_gup(gup_index(w, g));
    why = "GUP with pages[] starting on a PFN-only PTE returned " + std::to_string(g.ret) + ", expected -EEXIST";
    return false;
  }
  return true;
}

// C9
bool zap_special_only_clears(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  if (k.folios[ZERO_PFN].freed) {
    why = "the zero page was freed";
    return false;
  }
  for (pfn_t p = 2; p < k.folios.size(); p++)
    if (k.folios[p].driver && (k.folios[p].freed || k.folios[p].refcount < 1)) {
      why = "driver " + pfn_s(p) + " lost the driver's own reference";
      return false;
    }
  return true;
}

// D1
bool gup_return_value(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  const long n = g.op.npages;
  if (g.ret > n) {
    why = "GUP returned " + std::to_string(g.ret) + " for " + std::to_string(n) + " pages";
    return false;
  }
  if (g.ret == 0 && !gup_args_invalid(g.op.api, g.op.gup_flags) && !(g.op.gup_flags & FOLL_NOWAIT)) {
    why = "GUP returned 0 without FOLL_NOWAIT";
    return false;
  }
  // The zero page takes no pin (c8070b787519), so nothing can run out:
  // a pin whose first page is the mapped zero page never fails -ENOMEM.
  // Except a multi-page FOLL_LONGTERM pin: a later movable/CMA page that
  // cannot be migrated fails the whole call with -ENOMEM
  // (migrate_longterm_unpinnable_folios()); the zero page itself never is
  // migrated (B10), so a one-page long-term pin of it still never fails so.
  const Probe &pr = w.probe();
  const bool may_fail_migration = (g.op.gup_flags & FOLL_LONGTERM) && g.op.npages > 1;
  if (g.pin && g.ret == -ENOMEM && !may_fail_migration && pr.had_pte && pr.pte.present && is_zero_pfn(pr.pte.pfn)) {
    name_gup(gup_index(w, g));
    name_pfn(pr.pte.pfn);
    name_pte(g.pid, g.start);
    why = "a pin of the mapped zero page failed with -ENOMEM";
    return false;
  }
  return true;
}

// D2
bool pages_hold_valid_pages(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  for (const GupCall &g : w.gup_calls()) {
    if (!g.holds()) continue;
    for (pfn_t p : g.pages)
      if (!pfn_valid(k, p) || k.folios[p].freed || page_folio(k, p).refcount <= 0) {
        name_pfn(p);
        name_gup(gup_index(w, g));
        why = "g" + std::to_string(&g - w.gup_calls().data()) + " holds " + pfn_s(p) + ", which was freed";
        return false;
      }
  }
  return true;
}

// D4
bool gup_returns_mapped_page(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  const mm_struct &mm = w.kernel().tasks[g.pid].mm;
  for (size_t i = 0; i < g.pages.size(); i++) {
    const pfn_t m = mapped_pfn(mm, g.start + i);
    if (m != g.pages[i]) {
      name_pfn(g.pages[i]);
      if (m) name_pfn(m);
      name_pte(g.pid, g.start + i);
      name_gup(gup_index(w, g));
      why = "GUP returned " + pfn_s(g.pages[i]) + " for " + addr_s(g.start + i) + ", which maps " +
            (m ? pfn_s(m) : std::string("nothing"));
      return false;
    }
  }
  return true;
}

// E1
bool pinned_anon_is_exclusive(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  for (const GupCall &g : w.gup_calls()) {
    if (!g.holds() || !g.pin) continue;
    for (pfn_t p : g.pages) {
      const folio &f = k.folios[p];
      // A THP page counts as exclusive when it or its head is (sanity_check_pinned_pages()).
      if (f.anon && !f.anon_exclusive && !(f.large && page_folio(k, p).anon_exclusive)) {
        name_pfn(p);
        name_gup(gup_index(w, g));
        why = "pinned anonymous " + pfn_s(p) + " is not PageAnonExclusive";
        return false;
      }
    }
  }
  return true;
}

// E2
bool writable_anon_is_exclusive(const World &w, std::string &why) {
  const Census::Where &at = w.census().writable_shared_anon;
  if (at.pid < 0) return true;
  name_pfn(at.pfn);
  name_pte(at.pid, at.vpn);
  why = "p" + std::to_string(w.proc_of(at.pid)) + " maps non-exclusive anonymous " + pfn_s(at.pfn) +
        " writable at " + addr_s(at.vpn);
  return false;
}

// E3
bool pinned_page_not_shared(const World &w, std::string &why) {
  const Census &c = w.census();
  const kernel_state &k = w.kernel();
  for (pfn_t p = 2; p < k.folios.size(); p++)
    if (c.page_pins[p] > 0 && k.folios[p].anon && c.page_maps[p] > 1) {
      name_pfn(p);
      why = "pinned anonymous " + pfn_s(p) + " is mapped by " + std::to_string(c.page_maps[p]) +
            " PTEs: a pinned page was shared at fork";
      return false;
    }
  return true;
}

// E5
bool write_fault_reuse_rule(const World &w, std::string &why) {
  if (w.last_op().kind != OpKind::Write || w.last_outcome().signal) return true;
  const Probe &pr = w.probe();
  if (!pr.had_pte || !pr.pte.present || pr.pte.write || pr.pte.special) return true;
  if (!pr.folio.anon) return true;
  if (w.last_outcome().pfn != pr.pte.pfn) return true;  // copied
  if (!pr.folio.anon_exclusive && pr.folio.refcount != 1) {
    name_pfn(pr.pte.pfn);
    name_pte(w.pid_of(w.last_op().proc), w.address(w.last_op().map, w.last_op().page));
    why = "a write fault reused anonymous " + pfn_s(pr.pte.pfn) + " with refcount " +
          std::to_string(pr.folio.refcount) + " although it was not exclusive";
    return false;
  }
  return true;
}

// E9
bool no_leak_across_cow(const World &w, std::string &why) {
  const OpKind kind = w.last_op().kind;
  const bool remote = kind == OpKind::RemoteRead || kind == OpKind::RemoteWrite;
  if ((kind != OpKind::Read && kind != OpKind::Write && !remote) || w.last_outcome().signal) return true;
  if (remote && w.last_outcome().ret != 0) return true;
  // A remote access reads or writes the target's memory.
  const int pid = w.pid_of(remote ? w.last_op().target : w.last_op().proc);
  const uint64_t vpn = w.address(w.last_op().map, w.last_op().page);
  if (kind == OpKind::Read || kind == OpKind::RemoteRead) {
    uint64_t want = w.shadow(pid, vpn);
    if (want != World::kUnknown && want != w.last_outcome().value) {
      name_pfn(w.last_outcome().pfn);
      name_pte(pid, vpn);
      why = "p" + std::to_string(w.last_op().proc) + " read " + hex(w.last_outcome().value) + " at " + addr_s(vpn) +
            " where its private memory holds " + hex(want);
      return false;
    }
    return true;
  }
  const pfn_t f = w.last_outcome().pfn;
  // Only anonymous pages are private; a MAP_PRIVATE page-cache page not yet
  // COWed legitimately shows writes made through the file.
  if (!pfn_valid(w.kernel(), f) || !w.kernel().folios[f].anon) return true;
  for (const GupCall &g : w.gup_calls()) {
    if (!g.holds() || g.pid == pid || !g.private_mapping) continue;
    if (std::find(g.pages.begin(), g.pages.end(), f) != g.pages.end()) {
      name_pfn(f);
      name_pte(pid, vpn);
      name_gup(gup_index(w, g));
      why = "p" + std::to_string(w.last_op().proc) + "'s write landed on " + pfn_s(f) + ", which p" +
            std::to_string(w.proc_of(g.pid)) + "'s GUP call g" + std::to_string(&g - w.gup_calls().data()) +
            " holds from a private mapping";
      return false;
    }
  }
  return true;
}

// F1
bool dump_page_ref_contract(const World &w, std::string &why) {
  if (w.last_op().kind != OpKind::Dump) return true;
  const kernel_state &k = w.kernel();
  for (pfn_t p = 1; p < k.folios.size(); p++) {
    long d = gup_share_delta(w, p);
    if (d != 0) {
      name_pfn(p);
      why = "a core dump left " + std::to_string(d) + " references on " + pfn_s(p);
      return false;
    }
  }
  return true;
}

// F2
bool dump_holes_no_alloc(const World &w, std::string &why) {
  if (w.last_op().kind != OpKind::Dump) return true;
  const kernel_state &k = w.kernel();
  const int pid = w.pid_of(w.last_op().proc);
  const mm_struct &mm = k.tasks[pid].mm;
  const auto &before = w.probe().table_bases;
  for (const pte_table &t : mm.tables) {
    if (std::find(before.begin(), before.end(), t.base) != before.end()) continue;
    bool faultable = false;
    for (const auto &v : mm.vmas)
      if (v.vm_start < t.base + PTRS_PER_PTE && t.base < v.vm_end && vma_has_fault_op(v)) faultable = true;
    if (!faultable) {
      why = "a core dump allocated a page table at " + addr_s(t.base) + " covering only anonymous memory";
      return false;
    }
  }
  for (pfn_t p = w.probe().nfolios; p < k.folios.size(); p++)
    if (k.folios[p].anon) {
      why = "a core dump allocated anonymous " + pfn_s(p);
      return false;
    }
  return true;
}

// F3
bool dump_special_is_hole(const World &w, std::string &why) {
  if (w.last_op().kind != OpKind::Dump) return true;
  const Outcome &o = w.last_outcome();
  const int pid = w.pid_of(w.last_op().proc);
  const mm_struct &mm = w.kernel().tasks[pid].mm;
  for (size_t i = 0; i < o.dump.size(); i++) {
    if (!o.dump[i]) continue;
    const pte_table *t = pmd_offset(mm, o.dump_vpn[i]);
    const pte_t *p = pte_offset(mm, o.dump_vpn[i]);
    const bool leaf = t && t->pmd_leaf && !is_huge_zero_pfn(w.kernel(), t->pmd_pfn);
    if (leaf ? mapped_pfn(mm, o.dump_vpn[i]) != o.dump[i] : (!p || !p->present || p->special || p->pfn != o.dump[i])) {
      why = "get_dump_page() returned " + pfn_s(o.dump[i]) + " for " + addr_s(o.dump_vpn[i]) +
            ", which is not a normal mapped page";
      return false;
    }
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

// H1 (remote accesses: both H1 and H2)
bool gup_needs_permission(const World &w, std::string &why) {
  if (w.last_op().has_target()) return remote_needs_permission(w, why);
  unsigned flags;
  long ret;
  if (!gup_range_of_step(w, flags, ret) || !(flags & FOLL_WRITE)) return true;
  const Probe &pr = w.probe();
  for (long i = 0; i < ret && size_t(i) < pr.range_flags.size(); i++) {
    const vm_flags_t f = pr.range_flags[i];
    if (!(f & VM_WRITE) && !((flags & FOLL_FORCE) && is_cow_mapping(f))) {
      why = "a FOLL_WRITE GUP processed page " + std::to_string(i) + " of a VMA without VM_WRITE" +
            ((flags & FOLL_FORCE) ? " that is not a COW mapping" : " and without FOLL_FORCE");
      return false;
    }
  }
  return true;
}

// H2
bool gup_read_needs_permission(const World &w, std::string &why) {
  if (w.last_op().has_target()) return true;  // remote_needs_permission(), under H1
  unsigned flags;
  long ret;
  if (!gup_range_of_step(w, flags, ret) || (flags & FOLL_WRITE)) return true;
  const Probe &pr = w.probe();
  for (long i = 0; i < ret && size_t(i) < pr.range_flags.size(); i++) {
    const vm_flags_t f = pr.range_flags[i];
    if (!(f & VM_READ) && !((flags & FOLL_FORCE) && (f & VM_MAYREAD))) {
      why = "a read GUP processed page " + std::to_string(i) + " of a VMA without VM_READ" +
            ((flags & FOLL_FORCE) ? " nor VM_MAYREAD" : " and without FOLL_FORCE");
      return false;
    }
  }
  return true;
}

// H3
bool forced_write_only_exclusive_anon(const World &w, std::string &why) {
  // Judged on the VMA flags and the page as they were when the call took
  // each page (an interleaved call may see mprotect() or fork meanwhile;
  // a FOLL_GET page may be shared by a later fork).
  if (w.last_op().kind == OpKind::RemoteWrite && w.last_op().via == trace::RemoteVia::Mem &&
      w.last_outcome().ret == 0 && w.probe().had_vma && !(w.probe().vma.vm_flags & VM_WRITE)) {
    const folio &f = w.kernel().folios[w.last_outcome().pfn];
    if (!f.anon || !f.anon_exclusive) {
      why = "a /proc/PID/mem write into a read-only mapping reached " +
            std::string(f.zero ? "the zero page" : f.pagecache ? "a page-cache page" : "a shared page");
      return false;
    }
    return true;
  }
  if (!is_gup_end(w)) return true;
  const GupCall &g = *w.last_gup();
  if ((g.op.gup_flags & (FOLL_WRITE | FOLL_FORCE)) != (FOLL_WRITE | FOLL_FORCE)) return true;
  const kernel_state &k = w.kernel();
  (void)k;
  for (size_t i = 0; i < g.pages.size() && i < g.page_flags.size() && i < g.page_taken.size(); i++) {
    if (g.page_flags[i] & VM_WRITE) continue;
    const uint8_t t = g.page_taken[i];
    if (!(t & GupCall::kTakenAnonExclusive)) {
      name_pfn(g.pages[i]);
      name_pte(g.pid, g.start + i);
      name_gup(gup_index(w, g));
      why = "a forced write into a read-only mapping got " +
            std::string((t & GupCall::kTakenZero)        ? "the zero page"
                        : (t & GupCall::kTakenPagecache) ? "a page-cache page"
                                                         : "a shared page") +
            " at index " + std::to_string(i);
      return false;
    }
  }
  return true;
}

// D6
bool gup_fast_revalidated(const World &w, std::string &why) {
  for (const GupCall &g : w.gup_calls())
    if (g.exists && !g.fast_stale.empty()) {
      name_gup(gup_index(w, g));
      why = "GUP-fast kept a page after its PTE changed: " + g.fast_stale;
      return false;
    }
  return true;
}

// E6
bool gup_fast_fork_seq(const World &w, std::string &why) {
  for (const GupCall &g : w.gup_calls())
    if (g.exists && g.completed && g.pin && g.fork_in_fast && g.nr_fast > 0) {
      name_gup(gup_index(w, g));
      for (long i = 0; i < g.nr_fast && size_t(i) < g.pages.size(); i++) name_pfn(g.pages[size_t(i)]);
      why = "a fork write-protected COW mappings inside GUP-fast's lockless section, yet pin_user_pages_fast() kept " +
            std::to_string(g.nr_fast) + " page(s) it took there";
      return false;
    }
  return true;
}

// A8
bool refcount_overflow_guard(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  for (pfn_t p = 1; p < k.folios.size(); p++)
    if (k.folios[p].refcount > REFCOUNT_CEILING) {
      name_pfn(p);
      why = pfn_s(p) + "'s refcount " + std::to_string(k.folios[p].refcount) + " passed the ceiling " +
            std::to_string(REFCOUNT_CEILING);
      return false;
    }
  return true;
}

// The spec of vm_mixed_zeropage_allowed() (seed e).
bool mixed_zeropage_allowed_spec(const World &w, int pid, vm_flags_t f) {
  if (w.kernel().tasks[pid].mm.forbids_zeropage) return false;
  if (is_cow_mapping(f)) return true;
  return !(f & (VM_WRITE | VM_MAYWRITE));
}

// B8
bool driver_zero_insert_rule(const World &w, std::string &why) {
  const trace::Op &op = w.last_op();
  const bool insert = op.kind == OpKind::InsertPage || op.kind == OpKind::InsertMixed;
  if (!insert && op.kind != OpKind::Read && op.kind != OpKind::Gup && op.kind != OpKind::Populate) return true;
  const Probe &pr = w.probe();
  if (!pr.had_vma || !(pr.vma.vm_flags & VM_MIXEDMAP)) return true;
  const int pid = w.pid_of(op.proc);
  if (pid < 0 || !w.kernel().tasks[pid].alive) return true;
  const uint64_t vpn = w.address(op.map, op.page);
  const pte_t *pte = pte_offset(w.kernel().tasks[pid].mm, vpn);
  const bool zero_now = pte && pte->present && is_zero_pfn(pte->pfn);
  const bool zero_before = pr.had_pte && pr.pte.present && is_zero_pfn(pr.pte.pfn);
  const bool allowed = mixed_zeropage_allowed_spec(w, pid, pr.vma.vm_flags);
  if (zero_now && !zero_before && !allowed) {
    why = "a driver mapped the zero page at " + addr_s(vpn) + " where vm_mixed_zeropage_allowed() is false";
    return false;
  }
  if (zero_now && !zero_before && (!pte->special || pte->write)) {
    why = "a driver mapped the zero page at " + addr_s(vpn) + " without pte_special or writable";
    return false;
  }
  if (insert && op.what == trace::InsertWhat::Zero && !allowed && !(pr.had_pte && pr.pte.present)) {
    const Outcome &o = w.last_outcome();
    const bool refused = op.kind == OpKind::InsertPage ? o.ret == -EINVAL : o.signal == SIGBUS_NR;
    if (!refused) {
      why = std::string(trace::op_kind_name(op.kind)) + " of the zero page was not refused although "
            "vm_mixed_zeropage_allowed() is false";
      return false;
    }
  }
  return true;
}

// B9
bool forbidden_zero_page_never_mapped(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  const Probe &pr = w.probe();
  bool any = false;
  for (const task_struct &t : k.tasks) any |= t.alive && t.mm.forbids_zeropage;
  if (!any) return true;
  const Census &c = w.census();
  for (size_t pid = 0; pid < k.tasks.size(); pid++) {
    const mm_struct &mm = k.tasks[pid].mm;
    if (!k.tasks[pid].alive || !mm.forbids_zeropage) continue;
    if (pid < pr.zero_ptes.size() && c.zero_ptes[pid] > pr.zero_ptes[pid] &&
        w.last_op().kind != OpKind::ForbidZeropage) {
      why = "p" + std::to_string(w.proc_of(int(pid))) + " forbids the zero page but a step mapped it anew";
      return false;
    }
    if (w.last_op().kind == OpKind::ForbidZeropage && w.pid_of(w.last_op().proc) == int(pid) &&
        w.last_outcome().ret == 0) {
      for (const auto &v : mm.vmas) {
        if (!is_cow_mapping(v.vm_flags)) continue;
        for (uint64_t a = v.vm_start; a < v.vm_end; a++) {
          const pte_t *p = pte_offset(mm, a);
          if (p && p->present && is_zero_pfn(p->pfn)) {
            why = "after mm_forbids_zeropage() was set the zero page is still mapped at " + addr_s(a) +
                  " in a COW mapping";
            return false;
          }
        }
      }
    }
  }
  return true;
}

// F4
bool dump_refuses_io_pfnmap(const World &w, std::string &why) {
  if (w.last_op().kind != OpKind::Dump) return true;
  for (pfn_t p : w.last_outcome().dump_io)
    if (p) {
      why = "get_dump_page() returned " + pfn_s(p) + " inside a VM_IO|VM_PFNMAP VMA";
      return false;
    }
  return true;
}

// G1
bool longterm_implies_pin(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  if (!(g.op.gup_flags & FOLL_LONGTERM) || g.ret <= 0) return true;
  if (!g.pin) {
    why = "a FOLL_LONGTERM call without FOLL_PIN (" + std::string(trace::gup_api_name(g.op.api)) + ") took pages";
    return false;
  }
  if (!w.kernel().tasks[g.pid].mm.has_pinned) {
    why = "a FOLL_LONGTERM pin left MMF_HAS_PINNED unset";
    return false;
  }
  return true;
}

bool first_vma_is(const World &w, bool (*pred)(const World &, const vm_area_struct &)) {
  return w.probe().had_vma && pred(w, w.probe().vma);
}

// G2
bool fsdax_longterm_refused(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  if (!g.pin || !(g.op.gup_flags & FOLL_LONGTERM)) return true;
  const kernel_state &k = w.kernel();
  for (size_t i = 0; i < g.pages.size(); i++)
    if (k.folios[g.pages[i]].fsdax) {
      name_gup(gup_index(w, g));
      name_pfn(g.pages[i]);
      why = "a long-term pin holds fsdax " + pfn_s(g.pages[i]) + " at index " + std::to_string(i);
      return false;
    }
  // GUP-fast has no VMA: it may pin a COWed anonymous page of a private
  // fsdax mapping; only the slow path's check_vma_flags() refuses the VMA.
  if (gup_args_invalid(g.op.api, g.op.gup_flags) || g.nr_fast) return true;
  const bool dax = first_vma_is(w, [](const World &ww, const vm_area_struct &v) { return vma_is_fsdax(ww.kernel(), v); });
  if (!dax) return true;
  const long want = (g.op.gup_flags & FOLL_ANON) ? -EFAULT : -EOPNOTSUPP;
  if (g.ret != want) {
    why = "a long-term pin starting in an fsdax VMA returned " + std::to_string(g.ret) + ", expected " +
          std::to_string(want);
    return false;
  }
  return true;
}

// G4
bool longterm_write_needs_no_dirty_tracking(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  const unsigned lw = FOLL_LONGTERM | FOLL_WRITE;
  if (!g.pin || (g.op.gup_flags & lw) != lw) return true;
  const kernel_state &k = w.kernel();
  const Probe &pr = w.probe();
  for (size_t i = 0; i < g.pages.size() && i < pr.range_flags.size(); i++) {
    const folio &f = k.folios[g.pages[i]];
    if ((pr.range_flags[i] & VM_SHARED) && f.pagecache && k.files[f.file].needs_dirty_tracking) {
      why = "a long-term write pin holds page-cache " + pfn_s(g.pages[i]) + " of a file that needs dirty tracking";
      return false;
    }
  }
  if (gup_args_invalid(g.op.api, g.op.gup_flags) || !pr.had_vma) return true;
  const vm_area_struct &v = pr.vma;
  if (v.backing == vma_backing::file && (v.vm_flags & VM_SHARED) && !vma_is_fsdax(k, v) &&
      k.files[v.file].needs_dirty_tracking && g.ret != -EFAULT) {
    why = "a long-term write pin starting in a shared file mapping with dirty tracking returned " +
          std::to_string(g.ret) + ", expected -EFAULT";
    return false;
  }
  return true;
}

// H4
bool secretmem_never_gup(const World &w, std::string &why) {
  const trace::Op &op = w.last_op();
  const kernel_state &k = w.kernel();
  if (is_gup_step(w)) {
    const GupCall &g = *w.last_gup();
    for (size_t i = 0; i < g.pages.size(); i++)
      if (k.folios[g.pages[i]].secretmem) {
        why = std::string(i < size_t(g.nr_fast) ? "GUP-fast" : "GUP") + " returned secretmem " + pfn_s(g.pages[i]);
        return false;
      }
    if (!gup_args_invalid(g.op.api, g.op.gup_flags) && w.probe().had_vma && vma_is_secretmem(w.probe().vma) &&
        g.ret != -EFAULT) {
      why = "GUP starting in a secretmem VMA returned " + std::to_string(g.ret) + ", expected -EFAULT";
      return false;
    }
    return true;
  }
  const bool populate = op.kind == OpKind::Madvise &&
                        (op.advice == trace::Advice::PopulateRead || op.advice == trace::Advice::PopulateWrite);
  if ((op.has_target() || populate) && w.probe().had_vma && vma_is_secretmem(w.probe().vma) &&
      w.last_outcome().ret == 0) {
    why = std::string(op.has_target() ? "a remote access" : "MADV_POPULATE") + " succeeded on secretmem";
    return false;
  }
  return true;
}

// H6
bool populate_never_forces(const World &w, std::string &why) {
  const trace::Op &op = w.last_op();
  const kernel_state &k = w.kernel();
  const long ret = w.last_outcome().ret;
  if (op.kind == OpKind::Madvise &&
      (op.advice == trace::Advice::PopulateRead || op.advice == trace::Advice::PopulateWrite)) {
    const bool write = op.advice == trace::Advice::PopulateWrite;
    const Probe &pr = w.probe();
    // The first page populate must refuse, and with which error.
    long want = 0;
    for (size_t i = 0; i < pr.range_flags.size() && !want; i++) {
      const vm_flags_t f = pr.range_flags[i];
      if (!f) want = -ENOMEM;
      else if ((f & (VM_IO | VM_PFNMAP)) || !(f & (write ? VM_WRITE : VM_READ))) want = -EINVAL;
    }
    if (pr.had_vma && vma_is_secretmem(pr.vma)) want = -EINVAL;
    // Faults before the refused page may fail first (SIGBUS, hwpoison).
    if (ret == -EFAULT || ret == -EHWPOISON) return true;
    if (ret != want && !(want == 0 && pr.had_vma && vma_is_secretmem(pr.vma))) {
      why = std::string("MADV_POPULATE_") + (write ? "WRITE" : "READ") + " returned " + std::to_string(ret) +
            ", expected " + std::to_string(want) + " (it never uses FOLL_FORCE)";
      return false;
    }
    return true;
  }
  if (op.kind == OpKind::Mlock && ret == 0) {
    // populate_vma_page_range(): a write fault breaks COW in private
    // writable VMAs; anything else accessible is read-faulted (FOLL_FORCE).
    const int pid = w.pid_of(op.proc);
    const mm_struct &mm = k.tasks[pid].mm;
    const uint64_t s = w.address(op.map, op.page);
    for (uint64_t a = s; a < s + op.npages; a++) {
      const vm_area_struct *v = find_vma(mm, a);
      if (!v || !(v->vm_flags & VM_LOCKED) || !vma_is_anonymous(*v) || (v->vm_flags & VM_SHARED)) continue;
      if (!(v->vm_flags & VM_ACCESS_FLAGS)) continue;
      if (const pte_table *t = pmd_offset(mm, a); t && t->pmd_leaf) {  // a THP
        if ((v->vm_flags & VM_WRITE) && (is_huge_zero_pfn(k, t->pmd_pfn) || !t->pmd_write)) {
          why = "mlock of a private writable VMA left " + addr_s(a) + " without a written (COW-broken) page";
          return false;
        }
        continue;
      }
      const pte_t *p = pte_offset(mm, a);
      if (!p || !p->present) {
        why = "mlock left " + addr_s(a) + " of a private anonymous VMA unpopulated";
        return false;
      }
      if ((v->vm_flags & VM_WRITE) && (is_zero_pfn(p->pfn) || !p->write)) {
        why = "mlock of a private writable VMA left " + addr_s(a) + " without a written (COW-broken) page";
        return false;
      }
    }
  }
  return true;
}

// E10 (beyond the catalogue): pin coherence by value.
bool pin_coherent_by_value(const World &w, std::string &why) {
  if (w.last_op().kind != OpKind::DmaRead) return true;
  const GupCall &g = *w.last_gup();
  if (!g.pin) return true;
  const Outcome &o = w.last_outcome();
  for (size_t i = 0; i < g.pages.size() && i < o.values.size(); i++) {
    if (i >= g.coherent.size() || !g.coherent[i] || !g.anon_at_pin[i]) continue;
    const uint64_t want = w.shadow(g.pid, g.start + i);
    if (want != World::kUnknown && want != o.values[i]) {
      why = "a device read " + hex(o.values[i]) + " through pin g" + std::to_string(&g - w.gup_calls().data()) +
            " at index " + std::to_string(i) + " where p" + std::to_string(w.proc_of(g.pid)) + "'s memory holds " +
            hex(want);
      return false;
    }
  }
  return true;
}

// HW1 (beyond the catalogue): memory failure.
bool hwpoison_never_mapped(const World &w, std::string &why) {
  const Census::Where &at = w.census().hwpoison_mapped;
  if (at.pid >= 0) {
    why = "p" + std::to_string(w.proc_of(at.pid)) + " maps hwpoisoned " + pfn_s(at.pfn) + " at " + addr_s(at.vpn);
    return false;
  }
  const trace::Op &op = w.last_op();
  const Probe &pr = w.probe();
  const bool was_poison = pr.had_pte && !pr.pte.present && pr.pte.hwpoison;
  // access_error() first: an access the VMA does not allow is SIGSEGV anyway.
  const bool allowed = pr.had_vma && (op.kind == OpKind::Write ? (pr.vma.vm_flags & VM_WRITE)
                                                                : (pr.vma.vm_flags & (VM_READ | VM_WRITE)));
  if ((op.kind == OpKind::Read || op.kind == OpKind::Write) && was_poison && allowed &&
      w.last_outcome().signal != SIGBUS_NR) {
    why = "an access to a hwpoison entry did not raise SIGBUS";
    return false;
  }
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  for (pfn_t p : g.pages)
    if (w.kernel().folios[p].hwpoison) {
      why = "GUP returned hwpoisoned " + pfn_s(p);
      return false;
    }
  if (!was_poison || gup_args_invalid(g.op.api, g.op.gup_flags) || g.nr_fast) return true;
  if (check_vma_flags(w.kernel(), pr.vma, g.op.gup_flags | (g.pin ? FOLL_PIN : FOLL_GET))) return true;
  if (g.op.gup_flags & FOLL_NOFAULT) return true;
  const long want = (g.op.gup_flags & FOLL_HWPOISON) ? -EHWPOISON : -EFAULT;
  if (g.ret != want) {
    why = "GUP starting on a hwpoison entry returned " + std::to_string(g.ret) + ", expected " + std::to_string(want);
    return false;
  }
  return true;
}

// MP1 (beyond the catalogue): move_pages(2) status lookups.
bool pages_stat_contract(const World &w, std::string &why) {
  if (w.last_op().kind != OpKind::Stat) return true;
  const Probe &pr = w.probe();
  const kernel_state &k = w.kernel();
  long want = 0;
  if (!pr.had_vma) want = -EFAULT;
  else if (!pr.had_pte || !pr.pte.present) want = -ENOENT;
  else if (is_zero_pfn(pr.pte.pfn) || is_huge_zero_pfn(k, pr.pte.pfn)) want = -EFAULT;
  else if (pr.pte.special) want = -ENOENT;
  else if (pr.folio.fsdax) want = -ENOENT;
  if (w.last_outcome().ret != want) {
    why = "move_pages() status " + std::to_string(w.last_outcome().ret) + ", expected " + std::to_string(want);
    return false;
  }
  const int pid = w.pid_of(w.last_op().proc);
  if (k.folios.size() != pr.nfolios || k.tasks[pid].mm.tables.size() != pr.ntables) {
    why = "a move_pages() status lookup allocated a page or page table";
    return false;
  }
  for (pfn_t p = 1; p < k.folios.size(); p++)
    if (gup_share_delta(w, p) != 0) {
      why = "a move_pages() status lookup left a reference on " + pfn_s(p);
      return false;
    }
  return true;
}

// Holders' share of a folio's refcount besides GUP: PTEs, page cache, driver.

// A9
bool large_folio_counts_per_page(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  const Census &c = w.census();
  for (pfn_t p = 2; p < k.folios.size(); p++) {
    const folio &f = k.folios[p];
    if (!f.large || f.head || f.freed) continue;
    if (f.pincount != c.pins[p]) {
      why = "large " + pfn_s(p) + " has _pincount " + std::to_string(f.pincount) + " but GUP calls hold " +
            std::to_string(c.pins[p]) + " pins on its pages";
      return false;
    }
  }
  if (!is_gup_step(w)) return true;
  // The call took one reference per page it returned from each large folio.
  const GupCall &g = *w.last_gup();
  std::vector<pfn_t> heads;
  for (pfn_t p : g.pages)
    if (pfn_valid(k, p) && k.folios[p].large && std::find(heads.begin(), heads.end(), folio_pfn(k, p)) == heads.end())
      heads.push_back(folio_pfn(k, p));
  for (pfn_t h : heads) {
    long n = 0;
    for (pfn_t q : g.pages) n += folio_pfn(k, q) == h;
    const long d = gup_share_delta(w, h);
    if (d != n) {
      why = "GUP returned " + std::to_string(n) + " pages of large " + pfn_s(h) + " but took " + std::to_string(d) +
            " references";
      return false;
    }
  }
  return true;
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

// G3
bool longterm_pin_is_pinnable(const World &w, std::string &why) { return longterm_range_pinnable(w, false, why); }

// G5
bool gup_fast_longterm_pinnable(const World &w, std::string &why) { return longterm_range_pinnable(w, true, why); }

// B10
bool zero_page_pinnable_never_migrated(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  const folio &z = k.folios[ZERO_PFN];
  if (z.migrated_to || z.freed) {
    why = "the zero page was migrated away";
    return false;
  }
  if (!folio_is_longterm_pinnable(k.folios[ZERO_PFN])) {
    why = "folio_is_longterm_pinnable() is false for the zero page";
    return false;
  }
  return true;
}

// B11
bool zero_page_content_zero(const World &w, std::string &why) {
  const uint64_t d = w.kernel().folios[ZERO_PFN].data;
  if (d == 0) return true;
  why = "the zero page holds " + hex(d);
  return false;
}

// B12
bool ksm_zero_pages_special(const World &w, std::string &why) {
  const Census &c = w.census();
  if (c.ksm_zero_not_special.pid >= 0) {
    why = "p" + std::to_string(w.proc_of(c.ksm_zero_not_special.pid)) + " maps a KSM zero page at " +
          addr_s(c.ksm_zero_not_special.vpn) + " without pte_special or writable";
    return false;
  }
  const kernel_state &k = w.kernel();
  for (size_t pid = 0; pid < k.tasks.size(); pid++) {
    if (!k.tasks[pid].alive) continue;
    // At least the marked PTEs: fork copies the count (dup_mm(), ksm_fork())
    // even for VM_DONTCOPY/VM_WIPEONFORK VMAs whose PTEs the child never gets.
    if (k.tasks[pid].mm.ksm_zero_pages < c.ksm_zero[pid]) {
      why = "p" + std::to_string(w.proc_of(int(pid))) + " has ksm_zero_pages " +
            std::to_string(k.tasks[pid].mm.ksm_zero_pages) + " but maps " + std::to_string(c.ksm_zero[pid]) +
            " KSM zero-page PTEs";
      return false;
    }
  }
  return true;
}

// E8
bool ksm_never_pinned(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  const Census &c = w.census();
  for (pfn_t p = 2; p < k.folios.size(); p++) {
    const folio &f = k.folios[p];
    if (!f.ksm || f.freed) continue;
    if (f.anon_exclusive || c.pins[p] > 0) {
      why = "KSM " + pfn_s(p) + (f.anon_exclusive ? " is PageAnonExclusive" : " is pinned");
      return false;
    }
  }
  if (w.last_op().kind != OpKind::KsmMerge) return true;
  // A merge drops a page's mapping only when nobody else holds it.
  const Probe &pr = w.probe();
  for (pfn_t p = 2; p < pr.mapcount.size(); p++)
    if (k.folios[p].mapcount < pr.mapcount[p] && (c.gets[p] > 0 || c.pins[p] > 0)) {
      why = "KSM merged away " + pfn_s(p) + " although GUP holds " + std::to_string(c.gets[p]) + " references and " +
            std::to_string(c.pins[p]) + " pins on it";
      return false;
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

// C2
bool remap_covers_cow_vma(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  for (size_t pid = 0; pid < k.tasks.size(); pid++) {
    const mm_struct &mm = k.tasks[pid].mm;
    for (const auto &v : mm.vmas) {
      if (!(v.vm_flags & VM_PFNMAP)) continue;
      if ((v.vm_flags & VM_REMAP_FLAGS) != VM_REMAP_FLAGS) {
        why = "the VM_PFNMAP VMA at " + addr_s(v.vm_start) + " lacks one of VM_IO|VM_PFNMAP|VM_DONTEXPAND|VM_DONTDUMP";
        return false;
      }
      if (!is_cow_mapping(v.vm_flags)) continue;
      for (uint64_t a = v.vm_start; a < v.vm_end; a++) {
        const pte_t *p = pte_offset(mm, a);
        if (p && p->present && p->special && p->pfn != v.vm_pgoff + (a - v.vm_start)) {
          why = "a special PTE at " + addr_s(a) + " of a COW PFNMAP maps " + pfn_s(p->pfn) + ", not vm_pgoff + " +
                std::to_string(a - v.vm_start) + " = " + pfn_s(v.vm_pgoff + (a - v.vm_start));
          return false;
        }
      }
    }
  }
  // The driver's ->mmap remaps the whole VMA: right after it, every page is mapped.
  const trace::Op &op = w.last_op();
  if (op.kind == OpKind::Mmap && op.map_kind == trace::MapKind::Pfnmap && w.last_outcome().ret == 0) {
    const int pid = w.pid_of(op.proc);
    const mm_struct &mm = k.tasks[pid].mm;
    const uint64_t start = w.address(op.result, 0);
    for (uint64_t a = start; a < start + op.npages; a++) {
      const pte_t *p = pte_offset(mm, a);
      if (!p || !p->present) {
        why = "remap_pfn_range() of a new PFNMAP left " + addr_s(a) + " unmapped";
        return false;
      }
    }
  }
  return true;
}

// C5
bool gup_fast_rejects_special(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  const mm_struct &mm = w.kernel().tasks[g.pid].mm;
  for (long i = 0; i < g.nr_fast && size_t(i) < g.pages.size(); i++) {
    const pte_t *p = pte_offset(mm, g.start + uint64_t(i));
    if (p && p->present && p->special) {
      why = "GUP-fast took page " + std::to_string(i) + " (" + pfn_s(p->pfn) + ") from a special PTE at " +
            addr_s(g.start + uint64_t(i));
      return false;
    }
  }
  return true;
}

// C6
bool mixedmap_pages_refcounted(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  for (size_t pid = 0; pid < k.tasks.size(); pid++) {
    const mm_struct &mm = k.tasks[pid].mm;
    for (const auto &v : mm.vmas) {
      if ((v.vm_flags & VM_PFNMAP) && (v.vm_flags & VM_MIXEDMAP)) {
        why = "the VMA at " + addr_s(v.vm_start) + " has both VM_PFNMAP and VM_MIXEDMAP";
        return false;
      }
      if (!(v.vm_flags & VM_MIXEDMAP)) continue;
      for (uint64_t a = v.vm_start; a < v.vm_end; a++) {
        const pte_t *p = pte_offset(mm, a);
        if (!p || !p->present || p->special) continue;
        if (!pfn_valid(k, p->pfn)) {
          why = "a MIXEDMAP PTE at " + addr_s(a) + " maps " + pfn_s(p->pfn) + " without struct page and without pte_special";
          return false;
        }
        const folio &f = k.folios[p->pfn];
        if (f.freed || f.mapcount < 1 || f.refcount < f.mapcount) {
          why = "a normal MIXEDMAP PTE at " + addr_s(a) + " maps " + pfn_s(p->pfn) + " with refcount " +
                std::to_string(f.refcount) + " and mapcount " + std::to_string(f.mapcount) +
                ": a pfn_valid() page must be refcounted";
          return false;
        }
      }
    }
  }
  return true;
}

// C7
bool fork_copies_special_ptes(const World &w, std::string &why) {
  const trace::Op &op = w.last_op();
  if (op.kind != OpKind::Fork) return true;
  const kernel_state &k = w.kernel();
  const int parent = w.pid_of(op.proc), child = w.pid_of(op.result);
  if (parent < 0 || child < 0) return true;
  const mm_struct &pm = k.tasks[parent].mm, &cm = k.tasks[child].mm;
  for (const auto &v : pm.vmas) {
    if (!(v.vm_flags & (VM_PFNMAP | VM_MIXEDMAP)) || (v.vm_flags & (VM_DONTCOPY | VM_WIPEONFORK))) continue;
    for (uint64_t a = v.vm_start; a < v.vm_end; a++) {
      const pte_t *p = pte_offset(pm, a);
      if (!p || !p->present) continue;
      const pte_t *c = pte_offset(cm, a);
      if (!c || !c->present) {
        why = "fork did not copy the " + std::string((v.vm_flags & VM_PFNMAP) ? "PFNMAP" : "MIXEDMAP") +
              " PTE at " + addr_s(a) + " into the child";
        return false;
      }
      if (p->special && (!c->special || c->pfn != p->pfn)) {
        why = "fork copied the special PTE at " + addr_s(a) + " (" + pfn_s(p->pfn) + ") as " +
              (c->special ? "" : "non-special ") + pfn_s(c->pfn);
        return false;
      }
    }
  }
  return true;
}

// C8
bool cow_of_pfn_copies(const World &w, std::string &why) {
  const trace::Op &op = w.last_op();
  const bool user_write = op.kind == OpKind::Write && !w.last_outcome().signal;
  const bool gup_write = is_gup_step(w) && (w.last_gup()->op.gup_flags & FOLL_WRITE) && w.last_gup()->ret > 0;
  if (!user_write && !gup_write) return true;
  const Probe &pr = w.probe();
  if (!pr.had_vma || !is_cow_mapping(pr.vma.vm_flags) || !pr.had_pte || !pr.pte.present) return true;
  // A source vm_normal_page() does not return: special (not the zero page or
  // the huge zero folio, whose COW allocates a zeroed page or THP instead:
  // do_huge_zero_wp_pmd()) or without a struct page.
  const kernel_state &k = w.kernel();
  const pte_t &old = pr.pte;
  if (is_zero_pfn(old.pfn) || is_huge_zero_pfn(k, old.pfn) || !(old.special || !pfn_valid(k, old.pfn))) return true;
  const int pid = gup_write ? w.last_gup()->pid : w.pid_of(op.proc);
  const uint64_t vpn = gup_write ? w.last_gup()->start : w.address(op.map, op.page);
  const pte_t *now = pte_offset(k.tasks[pid].mm, vpn);
  if (!now || !now->present || now->pfn == old.pfn) {
    why = "a write to the struct-page-less " + pfn_s(old.pfn) + " at " + addr_s(vpn) + " in a COW mapping left " +
          (now && now->present ? "it mapped" : "nothing mapped") + " instead of a copy";
    return false;
  }
  const folio &f = k.folios[now->pfn];
  if (now->special || !f.anon || !f.anon_exclusive || f.mapcount != 1) {
    why = "the COW copy of " + pfn_s(old.pfn) + " at " + addr_s(vpn) + " is not a normal exclusive anonymous page";
    return false;
  }
  const uint64_t want = user_write ? op.value : read_pfn(k, old.pfn);
  if (f.data != want) {
    why = "the COW copy of " + pfn_s(old.pfn) + " at " + addr_s(vpn) + " holds " + hex(f.data) + ", expected " +
          hex(want) + (user_write ? " (the value written)" : " (the source's content, copied through the user address)");
    return false;
  }
  return true;
}

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

// D3
bool gup_error_codes(const World &w, std::string &why) {
  const bool populate = w.last_op().kind == OpKind::Populate;
  if (!valid_gup_step(w) && !populate) return true;
  unsigned flags;
  long ret;
  gup_range_of_step(w, flags, ret);
  if (ret >= 0) return true;
  const Probe &pr = w.probe();
  const std::string name = std::string("-") + errno_name(ret);
  // MADV_POPULATE_* report a refused VMA with -EINVAL and a hole with -ENOMEM
  // (madvise_populate()), not with -EFAULT.
  const bool madv_populate = populate && (flags & FOLL_MADV_POPULATE);
  bool allowed = false;
  switch (-ret) {
    case EINVAL: allowed = madv_populate; break;
    case EFAULT: case ENOMEM: case EINTR: allowed = true; break;
    case EEXIST: allowed = !populate; break;
    case EHWPOISON: allowed = flags & FOLL_HWPOISON; break;
    case EOPNOTSUPP: case EBUSY: allowed = flags & FOLL_LONGTERM; break;
    case EREMOTEIO: allowed = !(flags & FOLL_PCI_P2PDMA); break;
    case EOVERFLOW: allowed = true; break;
    default: break;
  }
  if (!allowed) {
    why = std::string(populate ? "populate" : "GUP") + " returned " + name + ", which its flags do not allow";
    return false;
  }
  // A refused first VMA (no VMA, VM_IO|VM_PFNMAP, missing permission) is -EFAULT
  // (-EOPNOTSUPP for a long-term pin of fsdax, checked earlier by check_vma_flags()).
  const vm_flags_t f0 = pr.range_flags.empty() ? 0 : pr.range_flags[0];
  if (!madv_populate && vma_refuses(f0, flags) && ret != -EFAULT && !(ret == -EOPNOTSUPP && (flags & FOLL_LONGTERM))) {
    why = "GUP at " + std::string(f0 ? "a VMA check_vma_flags() refuses" : "an address without VMA") + " returned " +
          name + " instead of -EFAULT";
    return false;
  }
  // -EEXIST only for a PFN-only PTE at the first page.
  if (ret == -EEXIST &&
      !(pr.had_pte && pr.pte.present && !is_zero_pfn(pr.pte.pfn) && (pr.pte.special || !pfn_valid(w.kernel(), pr.pte.pfn)))) {
    why = "GUP returned -EEXIST although the first page is not a PFN-only PTE";
    return false;
  }
  return true;
}

// D5
bool fast_slow_composition(const World &w, std::string &why) {
  if (!valid_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  if (!is_fast_api(g.op.api)) return true;
  if (g.nr_fast < 0 || g.nr_fast > g.op.npages) {
    why = "GUP-fast reports " + std::to_string(g.nr_fast) + " pages taken for " + std::to_string(g.op.npages);
    return false;
  }
  if (g.nr_fast > 0 && g.ret < g.nr_fast) {
    why = "gup_fast_fallback() returned " + std::to_string(g.ret) + " after GUP-fast took " + std::to_string(g.nr_fast) +
          " pages: the caller could not release them";
    return false;
  }
  return true;
}

// E4
bool ro_pin_unshares(const World &w, std::string &why) {
  if (!valid_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  if (!g.pin)
    for (const fault_record &f : w.kernel().faults)
      if (f.flags & FAULT_FLAG_UNSHARE) {
        why = "a FOLL_GET call faulted with FAULT_FLAG_UNSHARE at " + addr_s(f.vpn);
        return false;
      }
  const Probe &pr = w.probe();
  if (g.ret < 1 || (g.op.gup_flags & FOLL_WRITE)) return true;
  if (!pr.had_pte || !pr.pte.present || pr.pte.write || !pr.folio.anon || pr.folio.anon_exclusive) return true;
  const pte_t *now = pte_offset(w.kernel().tasks[g.pid].mm, g.start);
  if (g.pin) {
    if (now && now->present && now->write) {
      why = "unsharing for a R/O pin made the PTE at " + addr_s(g.start) + " writable";
      return false;
    }
    const folio &f = w.kernel().folios[g.pages[0]];
    if (!f.anon || !f.anon_exclusive) {
      why = "a R/O pin of the shared anonymous " + pfn_s(pr.pte.pfn) + " at " + addr_s(g.start) +
            " did not unshare it first";
      return false;
    }
  } else if (g.pages[0] != pr.pte.pfn) {
    why = "a FOLL_GET call replaced the shared anonymous " + pfn_s(pr.pte.pfn) + " at " + addr_s(g.start) +
          " by " + pfn_s(g.pages[0]) + ": FOLL_GET never unshares";
    return false;
  }
  return true;
}

// E7
bool unshare_excludes_write(const World &w, std::string &why) {
  const auto &faults = w.kernel().faults;
  if (faults.empty()) return true;
  // GUP raises FAULT_FLAG_UNSHARE only for a R/O pin (gup_must_unshare()), a
  // user access never; other kernel paths may (break_ksm() unshares KSM pages).
  const OpKind kind = w.last_op().kind;
  const bool gup = is_gup_step(w);
  const bool ro_pin = gup && w.last_gup()->pin && !(w.last_gup()->op.gup_flags & FOLL_WRITE);
  const bool constrained = kind == OpKind::Read || kind == OpKind::Write || (gup && !ro_pin);
  for (const fault_record &f : faults) {
    if (!(f.flags & FAULT_FLAG_UNSHARE)) continue;
    if (f.flags & FAULT_FLAG_WRITE) {
      why = "a fault at " + addr_s(f.vpn) + " has both FAULT_FLAG_UNSHARE and FAULT_FLAG_WRITE";
      return false;
    }
    if (constrained) {
      why = "FAULT_FLAG_UNSHARE at " + addr_s(f.vpn) + " from a step that is not a R/O pin (" +
            trace::op_kind_name(w.last_op().kind) + ")";
      return false;
    }
  }
  return true;
}

// H5
bool protnone_follow_rule(const World &w, std::string &why) {
  unsigned flags;
  long ret;
  if (!gup_range_of_step(w, flags, ret)) return true;
  const bool populate = w.last_op().kind == OpKind::Populate;
  const long nr_fast = populate ? 0 : w.last_gup()->nr_fast;
  const int pid = populate ? w.pid_of(w.last_op().proc) : w.last_gup()->pid;
  const uint64_t start = populate ? w.address(w.last_op().map, w.last_op().page) : w.last_gup()->start;
  const mm_struct &mm = w.kernel().tasks[pid].mm;
  for (long i = 0; i < ret; i++) {
    const pte_t *p = pte_offset(mm, start + uint64_t(i));
    if (!p || !p->present || !p->protnone) continue;
    if (i < nr_fast) {
      why = "GUP-fast followed the protnone PTE at " + addr_s(start + uint64_t(i));
      return false;
    }
    const vm_area_struct *v = find_vma(mm, start + uint64_t(i));
    if ((flags & FOLL_HONOR_NUMA_FAULT) && v && (v->vm_flags & VM_ACCESS_FLAGS)) {
      why = "GUP with FOLL_HONOR_NUMA_FAULT followed the NUMA-hinting protnone PTE at " + addr_s(start + uint64_t(i)) +
            " of an accessible VMA";
      return false;
    }
  }
  return true;
}

// Scenario traces: "=> X" on a step.
bool expectation_met(const World &w, std::string &why) {
  const trace::Op &op = w.last_op();
  if (op.expect == trace::ExpectKind::None) return true;
  const Outcome &o = w.last_outcome();
  bool ok = false;
  switch (op.expect) {
    case trace::ExpectKind::None: return true;
    case trace::ExpectKind::Signal: ok = o.signal == op.expect_value; break;
    case trace::ExpectKind::Value:
      if (op.kind == OpKind::DmaRead) {
        ok = !o.values.empty();
        for (uint64_t v : o.values) ok = ok && v == uint64_t(op.expect_value);
      } else {
        ok = !o.signal && o.has_value && o.value == uint64_t(op.expect_value);
      }
      break;
    case trace::ExpectKind::Ret: ok = !o.signal && o.ret == op.expect_value; break;
  }
  if (ok) return true;
  std::string got = o.describe();
  if (op.expect == trace::ExpectKind::Value && o.has_value && !o.signal) got = hex(o.value);
  if (op.expect == trace::ExpectKind::Value && op.kind == OpKind::DmaRead) {
    got = "values";
    for (uint64_t v : o.values) got += " " + hex(v);
  }
  why = "'" + trace::print_op_only(op) + "' expected " + trace::expect_to_string(op) + ", got " + got;
  return false;
}

const std::vector<Invariant> kInvariants = {
    {"TypeOK", "TypeOK",
     "The state is well formed: VMAs sorted and disjoint, PTEs only inside VMAs and naming known frames.",
     "model well-formedness (checked first; a failure is a model bug)", type_ok},
    {"Expectation", "EXPECT",
     "Every step's outcome matches the expectation its trace line states ('=> 1', '=> -EFAULT', '=> 0x41', "
     "'=> SIGSEGV').",
     "the kernel's own selftests (tools/testing/selftests/mm), as scenario traces; checked after TypeOK on every run",
     expectation_met},
    {"NoKernelWarning", "WARN",
     "No WARN_ON/VM_BUG_ON condition the kernel asserts on its own state is reached.",
     "the kernel's own assertions in mm/gup.c and mm/memory.c", no_kernel_warning},
    {"GupGrabArithmetic", "A1",
     "A GUP call adds exactly one reference per FOLL_GET page and GUP_PIN_COUNTING_BIAS per FOLL_PIN page "
     "(one reference plus one _pincount on a large folio), and nothing for a pin of the zero page.",
     "try_grab_folio(); 3faa52c03f44 \"mm/gup: track FOLL_PIN pages\", c8070b787519", gup_grab_arithmetic},
    {"ReleaseIsExactInverse", "A2", "put_page()/unpin_user_pages() remove exactly what the GUP call added.",
     "gup_put_folio(), unpin_user_pages()", release_is_inverse},
    {"MaybePinnedNoFalseNegatives", "A3",
     "folio_maybe_dma_pinned() is true for every pinned folio (a large folio by its _pincount).",
     "folio_maybe_dma_pinned()", maybe_pinned_no_false_negative},
    {"GupFlagAlgebra", "A4",
     "Invalid FOLL_* combinations are refused: get_user_pages*() and pin_user_pages_fast() with -EINVAL, "
     "pin_user_pages() with 0.",
     "is_valid_gup_args()", flag_algebra},
    {"PteReferencesAccounted", "A5",
     "Every present non-special PTE holds exactly one mapcount on its folio; no PTE maps a freed folio.",
     "seed b 6aab341e0a28; seed e; copy_present_ptes(), zap_present_ptes()", pte_references_accounted},
    {"RefcountMatchesHolders", "A6",
     "A folio's refcount equals its PTE mappings plus page cache, driver, FOLL_GET and FOLL_PIN holders.",
     "the GUP contract above __get_user_pages()", refcount_matches_holders},
    {"LargeFolioCountsPerPage", "A9",
     "GUP takes one reference (or pin) per page it returns from a large folio, and a large folio's _pincount "
     "equals the pins held on its pages exactly.",
     "__get_user_pages() next_page block (page_increm), follow_huge_pmd(), gup_fast_pmd_leaf(), "
     "folio_maybe_dma_pinned()",
     large_folio_counts_per_page},
    {"RefcountOverflowGuard", "A8",
     "GUP never takes a folio's refcount past the point where it would overflow (the model's REFCOUNT_CEILING).",
     "8fde12ca79af mm: prevent get_user_pages() from overflowing page refcount (CVE-2019-11487); try_grab_folio()",
     refcount_overflow_guard},
    {"HasPinnedSticky", "A7", "MMF_HAS_PINNED is set by the first FOLL_PIN call and never cleared.",
     "mm_set_has_pinned_flag()", has_pinned_sticky},
    {"RssExcludesSpecial", "A10", "rss counters count exactly the normal PTEs: never the zero page or special PTEs.",
     "do_anonymous_page(), wp_page_copy(); seed e", rss_excludes_special},
    {"ReadFaultMapsZeroPage", "B1",
     "A read fault on pte_none in a private anonymous VMA maps the zero page special and read-only.",
     "do_anonymous_page()", read_fault_maps_zero_page},
    {"ZeroPageNeverWritable", "B2", "No PTE maps the zero page writable.",
     "wp_page_copy(), can_change_pte_writable(); seed e", zero_page_never_writable},
    {"ZeroPageAlwaysSpecial", "B3",
     "The zero page is mapped only by special PTEs and has no mapcount, so vm_normal_page() never returns it.",
     "vm_normal_page(); seed e", zero_page_always_special},
    {"GupFastNeverReturnsZero", "B4", "GUP-fast never returns the zero page; it falls back to the slow path.",
     "gup_fast_pte_range(); seed e", gup_fast_never_returns_zero},
    {"ZeroPageNeverRefcounted", "B5",
     "The zero page's refcount moves only with FOLL_GET references: mapping, pinning and inserting it never count.",
     "c8070b787519 \"mm: Don't pin ZERO_PAGE in pin_user_pages()\"; seed e", zero_page_never_refcounted},
    {"DumpNeverReturnsZero", "B6", "get_dump_page() never returns the zero page.",
     "seed c 8e4b9a607189 \"mm: FOLL_DUMP replace FOLL_ANON\"", dump_never_returns_zero},
    {"ZeroPageLongtermPinnable", "B10",
     "The zero page is long-term pinnable and never migrated, even though it sits in ZONE_MOVABLE here.",
     "folio_is_longterm_pinnable(); 9afaf30f7a1a \"mm/gup: do not migrate zero page\"",
     zero_page_pinnable_never_migrated},
    {"ZeroPageContentZero", "B11", "The zero page always reads as zeroes.",
     "corollary of B2, B6, H3; Huge Dirty COW (CVE-2017-1000405)", zero_page_content_zero},
    {"KsmZeroPagesSpecial", "B12",
     "Zero pages KSM places are read-only special PTEs, each counted in mm->ksm_zero_pages until COW or unmap.",
     "replace_page(), ksm_might_unmap_zero_page() in zap_present_ptes()/wp_page_copy(); e2942062e01d, 6080d19f0704",
     ksm_zero_pages_special},
    {"LongtermPinUnshares", "B7",
     "A long-term pin in a COW mapping holds an exclusive anonymous page, never the zero page or page cache.",
     "84209e87c696 \"mm/gup: reliable R/O long-term pinning in COW mappings\"", longterm_pin_unshares},
    {"PfnmapNeverNormal", "C1",
     "A raw VM_PFNMAP PTE is special and never refcounted, rmapped or returned by GUP; other PFNMAP PTEs are COWed "
     "anonymous pages.",
     "seed b 6aab341e0a28 \"mm: re-architect the VM_UNPAGED logic\"", pfnmap_never_normal},
    {"GupRejectsPfnmap", "C3",
     "The slow GUP path never processes a page of a VM_IO|VM_PFNMAP VMA and fails there with -EFAULT.",
     "check_vma_flags()", gup_rejects_pfnmap},
    {"RemapCoversCowVma", "C2",
     "Every VM_PFNMAP VMA carries VM_IO|VM_PFNMAP|VM_DONTEXPAND|VM_DONTDUMP; in a COW PFNMAP every special PTE maps "
     "vm_pgoff + its offset, and remap_pfn_range() maps the whole VMA.",
     "mm/memory.c remap_pfn_range_internal(); seed b 6aab341e0a28", remap_covers_cow_vma},
    {"PfnOnlyStopsGup", "C4",
     "GUP with pages[] never returns a pfn without struct page: it stops there, with -EEXIST at the first page.",
     "seed d (follow_pfn_pte() clean-up); __get_user_pages()", pfn_only_stops_gup},
    {"GupFastRejectsSpecial", "C5",
     "GUP-fast never takes a page from a special PTE (zero page, PFNMAP or MIXEDMAP pfn): it leaves it to the slow path.",
     "mm/gup.c gup_fast_pte_range() pte_special() check", gup_fast_rejects_special},
    {"MixedmapPagesRefcounted", "C6",
     "No VMA is both VM_PFNMAP and VM_MIXEDMAP; in a VM_MIXEDMAP VMA a pfn without struct page is mapped special "
     "and a non-special PTE maps a refcounted, mapped page.",
     "mm/memory.c vm_normal_page(), vmf_insert_pfn_prot() BUG_ONs, vm_insert_page()", mixedmap_pages_refcounted},
    {"ForkCopiesSpecialPtes", "C7",
     "fork copies every present PTE of a VM_PFNMAP|VM_MIXEDMAP VMA into the child, special PTEs as special PTEs of "
     "the same pfn.",
     "mm/memory.c vma_needs_copy(), copy_present_ptes()", fork_copies_special_ptes},
    {"CowOfPfnCopies", "C8",
     "A write fault on a struct-page-less (special) source in a COW mapping maps a new normal exclusive anonymous "
     "page holding the source's content (or the value written).",
     "mm/memory.c __wp_page_copy_user() (seed b's cow_user_page())", cow_of_pfn_copies},
    {"ZapSpecialOnlyClears", "C9",
     "Unmapping a special PTE only clears it: the zero page and driver pages keep their own references.",
     "zap_present_ptes()", zap_special_only_clears},
    {"GupReturnValue", "D1",
     "GUP returns a count no larger than asked, and 0 only for refused arguments or FOLL_NOWAIT.",
     "__get_user_pages_locked()", gup_return_value},
    {"PagesAreHeld", "D2", "Every page a GUP call returned is a valid struct page that stays allocated while held.",
     "__get_user_pages(); seed d", pages_hold_valid_pages},
    {"GupErrorCodes", "D3",
     "A failing GUP returns an errno its flags allow (-EHWPOISON only with FOLL_HWPOISON, -EEXIST only for a "
     "PFN-only first page, -EOPNOTSUPP only long-term), and -EFAULT where the first VMA is missing or refused.",
     "mm/gup.c __get_user_pages(), check_vma_flags(), vm_fault_to_errno()", gup_error_codes},
    {"GupReturnsMappedPage", "D4", "GUP returns the page mapped at each address at the time of the call.",
     "the GUP contract above __get_user_pages()", gup_returns_mapped_page},
    {"FastSlowComposition", "D5",
     "gup_fast_fallback() never returns less than the pages GUP-fast already took (never -errno with pins "
     "outstanding).",
     "mm/gup.c gup_fast_fallback()", fast_slow_composition},
    {"GupFastRevalidated", "D6",
     "Every page GUP-fast keeps is still mapped by the PTE it read when its lockless section ends.",
     "gup_fast_pte_range() PTE/PMD recheck; 70cbc3cc78a9 mm: gup: fix the fast GUP race against THP collapse",
     gup_fast_revalidated},
    {"GupFastForkSeq", "E6",
     "A pin_user_pages_fast() whose lockless section overlapped a fork that write-protected COW mappings "
     "(mm->write_protect_seq moved) keeps none of the pages it took there.",
     "57efa1fe5957 mm/gup: prevent gup_fast from racing with COW during fork (mm->write_protect_seq)",
     gup_fast_fork_seq},
    {"PinnedAnonIsExclusive", "E1", "Every pinned anonymous page is PageAnonExclusive.",
     "sanity_check_pinned_pages(); 6c287605fd56, a7f226604170", pinned_anon_is_exclusive},
    {"WritableAnonIsExclusive", "E2", "Every writable PTE of an anonymous page maps an exclusive page.",
     "wp_page_reuse(), can_change_pte_writable()", writable_anon_is_exclusive},
    {"PinnedPageNotSharedAtFork", "E3",
     "A pinned anonymous page is mapped by at most one PTE: fork copies it for the child instead of sharing it.",
     "70e806e4e645 \"mm: Do early cow for pinned pages during fork() for ptes\"", pinned_page_not_shared},
    {"RoPinUnshares", "E4",
     "A R/O pin of a R/O-mapped shared anonymous page unshares it first without making the PTE writable; FOLL_GET "
     "never unshares.",
     "mm/internal.h gup_must_unshare(), mm/memory.c wp_page_copy(); a7f226604170", ro_pin_unshares},
    {"WriteFaultReuseRule", "E5",
     "A write fault reuses an anonymous page only if it is exclusive or its refcount is 1.",
     "09854ba94c6a \"mm: do_wp_page() simplification\"; CVE-2020-29374", write_fault_reuse_rule},
    {"KsmNeverPinned", "E8",
     "A KSM folio is never PageAnonExclusive and never pinned; a merge never drops a page GUP holds.",
     "gup_must_unshare() (KSM pages cannot be exclusive); write_protect_page() in mm/ksm.c", ksm_never_pinned},
    {"UnshareExcludesWrite", "E7",
     "No fault carries both FAULT_FLAG_UNSHARE and FAULT_FLAG_WRITE; a user access or a GUP call other than a R/O "
     "pin never raises FAULT_FLAG_UNSHARE.",
     "mm/gup.c faultin_page() VM_WARN, mm/memory.c sanitize_fault_flags()", unshare_excludes_write},
    {"NoLeakAcrossCow", "E9",
     "A process reads back what it wrote to private memory (anonymous, or a private file mapping it wrote), and its writes never reach an anonymous "
     "page that another process holds through GUP from a private mapping.",
     "cow.c \"No leak\" tests; CVE-2020-29374", no_leak_across_cow},
    {"DumpPageRefContract", "F1", "A core dump leaves every folio's GUP references as it found them.",
     "get_dump_page(); d3378e86d182 was reverted for breaking this", dump_page_ref_contract},
    {"DumpHolesNoAlloc", "F2", "A core dump allocates no page or page table for untouched anonymous memory.",
     "seed c 8e4b9a607189; no_page_table()", dump_holes_no_alloc},
    {"DumpSpecialIsHole", "F3", "A core dump returns only normal mapped pages: zero and special PTEs are holes.",
     "seed c; follow_page_pte() FOLL_DUMP", dump_special_is_hole},
    {"LongtermPinIsPinnable", "G3",
     "Every page the slow path of a successful FOLL_LONGTERM pin returns is long-term pinnable: not CMA, not "
     "ZONE_MOVABLE (the zero page excepted); movable ones are migrated first.",
     "__gup_longterm_locked(), check_and_migrate_movable_pages(), migrate_longterm_unpinnable_folios()",
     longterm_pin_is_pinnable},
    {"GupFastLongtermPinnable", "G5",
     "GUP-fast with FOLL_LONGTERM never pins a folio that is not long-term pinnable; it falls back instead.",
     "try_grab_folio_fast()", gup_fast_longterm_pinnable},
    {"GupNeedsPermission", "H1",
     "GUP writes need VM_WRITE, or FOLL_FORCE in a COW mapping (never in a shared !VM_WRITE mapping).",
     "check_vma_flags()", gup_needs_permission},
    {"GupReadNeedsPermission", "H2", "GUP reads need VM_READ, or FOLL_FORCE and VM_MAYREAD.", "check_vma_flags()",
     gup_read_needs_permission},
    {"ForcedWriteOnlyExclusiveAnon", "H3",
     "A forced write into a read-only mapping only ever reaches an exclusive anonymous page.",
     "can_follow_write_common(); 5535be309971; CVE-2016-5195", forced_write_only_exclusive_anon},
    {"ProtnoneFollowRule", "H5",
     "GUP-fast never follows a protnone PTE; slow GUP follows one only without FOLL_HONOR_NUMA_FAULT or in an "
     "inaccessible VMA.",
     "mm/internal.h gup_can_follow_protnone(), mm/gup.c gup_fast_pte_range()", protnone_follow_rule},
    {"DriverZeroInsertRule", "B8",
     "A driver maps the zero page only where vm_mixed_zeropage_allowed() (not forbidden, COW or never writable), "
     "always special and read-only, and is refused elsewhere.",
     "vm_mixed_zeropage_allowed(), validate_page_before_insert(), vm_mixed_ok(); seed e", driver_zero_insert_rule},
    {"ForbiddenZeroPageNeverMapped", "B9",
     "In an mm where mm_forbids_zeropage() holds no step maps the zero pfn anew, and forbidding it unshares every "
     "zero page in COW mappings.",
     "do_anonymous_page(), mfill_atomic_pte_zeropage(), vm_mixed_zeropage_allowed(); s390 "
     "gmap_helper_disable_cow_sharing()",
     forbidden_zero_page_never_mapped},
    {"DumpRefusesIoPfnmap", "F4", "get_dump_page() returns no page inside a VM_IO|VM_PFNMAP VMA.",
     "check_vma_flags() via get_dump_page()", dump_refuses_io_pfnmap},
    {"LongtermImpliesPin", "G1",
     "Only FOLL_PIN calls take pages with FOLL_LONGTERM, and they set MMF_HAS_PINNED.",
     "is_valid_gup_args(), __gup_longterm_locked()", longterm_implies_pin},
    {"FsdaxLongtermRefused", "G2",
     "A long-term pin never holds an fsdax page; starting in an fsdax VMA it fails with -EOPNOTSUPP.",
     "check_vma_flags() vma_is_fsdax(), folio_is_longterm_pinnable(), try_grab_folio_fast()",
     fsdax_longterm_refused},
    {"LongtermWriteNoDirtyTracking", "G4",
     "A long-term write pin never holds the page cache of a shared file mapping that needs dirty tracking; "
     "starting there it fails with -EFAULT.",
     "writable_file_mapping_allowed(), gup_fast_folio_allowed()", longterm_write_needs_no_dirty_tracking},
    {"SecretmemNeverGup", "H4",
     "secretmem pages are never returned by GUP (slow or fast), remote access or MADV_POPULATE; GUP starting in "
     "a secretmem VMA fails with -EFAULT.",
     "check_vma_flags() vma_is_secretmem(), gup_fast_folio_allowed() folio_is_secretmem()", secretmem_never_gup},
    {"PopulateNeverForces", "H6",
     "MADV_POPULATE_* never forces: a hole gives -ENOMEM, a refused VMA -EINVAL; mlock write-faults private "
     "writable VMAs and read-faults the rest.",
     "faultin_page_range(), madvise_populate(), populate_vma_page_range()", populate_never_forces},
    {"PinCoherentByValue", "E10",
     "(Beyond the catalogue.) What a device reads through a pin of anonymous memory equals what the holder's "
     "memory holds, while the holder's mapping stands.",
     "cow.c / gup_longterm.c pin coherence; 70e806e4e645, 84209e87c696", pin_coherent_by_value},
    {"HwpoisonNeverMapped", "HW1",
     "(Beyond the catalogue.) A hwpoisoned page is never mapped or returned by GUP; touching its entry raises "
     "SIGBUS and GUP fails with -EHWPOISON only under FOLL_HWPOISON, else -EFAULT.",
     "memory_failure(), do_swap_page(), faultin_page() vm_fault_to_errno()", hwpoison_never_mapped},
    {"PagesStatContract", "MP1",
     "(Beyond the catalogue.) move_pages() status: -EFAULT without a VMA or for the zero page, -ENOENT without a "
     "normal page, the node otherwise; it never faults or keeps a reference.",
     "do_pages_stat_array() with folio_walk_start(FW_ZEROPAGE)", pages_stat_contract},
};

}  // namespace

const std::vector<Invariant> &all_invariants() { return kInvariants; }

const Invariant *find_invariant(const std::string &name) {
  for (const auto &i : kInvariants)
    if (name == i.name || name == i.id) return &i;
  for (const auto &i : all_witnesses())
    if (name == i.name || name == i.id) return &i;
  return nullptr;
}

namespace {
// Checked on every run, whatever the selection.
bool always_checked(const Invariant *i) {
  return std::string(i->name) == "TypeOK" || std::string(i->name) == "Expectation";
}
const Invariant &expectation_invariant() {
  static const Invariant *e = find_invariant("Expectation");
  return *e;
}
}  // namespace

InvariantSet::InvariantSet() {
  for (const auto &i : kInvariants)
    if (!always_checked(&i)) sel_.push_back(&i);
}

std::string InvariantSet::select(const std::vector<std::string> &names) {
  std::vector<const Invariant *> s;
  for (const auto &n : names) {
    if (n == "all") {
      *this = InvariantSet();
      return "";
    }
    const Invariant *i = find_invariant(n);
    if (!i) return n;
    if (!always_checked(i)) s.push_back(i);
  }
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  sel_ = s;
  return "";
}

Violation InvariantSet::check(const World &w, size_t step) const {
  Violation v;
  std::string why;
  t_named.clear();
  auto take_named = [&v] {
    v.pfns = std::move(t_named.pfns);
    v.ptes = std::move(t_named.ptes);
    v.gups = std::move(t_named.gups);
    t_named.clear();
  };
  if (!type_ok(w, why)) {
    v.found = true;
    v.internal = true;
    v.invariant = "TypeOK";
    v.why = why;
    v.step = step;
    take_named();
    return v;
  }
  if (!expectation_met(w, why)) {
    v.found = true;
    v.invariant = expectation_invariant().name;
    v.why = why;
    v.step = step;
    return v;
  }
  for (const Invariant *i : sel_) {
    if (!i->check(w, why)) {
      v.found = true;
      v.invariant = i->name;
      v.why = why;
      v.step = step;
      take_named();
      return v;
    }
  }
  return v;
}

RunResult run_trace(const trace::Trace &t, const variant_switches &sw, const InvariantSet &inv) {
  return run_trace(t, sw, inv, StepObserver());
}

RunResult run_trace(const trace::Trace &t, const variant_switches &sw, const InvariantSet &inv,
                    const StepObserver &after_step) {
  RunResult r;
  World w(sw);
  for (size_t i = 0; i < t.ops.size(); i++) {
    try {
      w.step(t.ops[i]);
    } catch (const model_bug &e) {
      r.violation = {true, true, "ModelBug", e.what(), i, {}, {}, {}};
      r.steps_run = i + 1;
      return r;
    }
    r.steps_run = i + 1;
    if (after_step) after_step(w);
    r.violation = inv.check(w, i);
    if (r.violation.found) return r;
  }
  return r;
}

void name_pfn(pfn_t pfn) { t_named.pfns.push_back(pfn); }
void name_pte(int pid, uint64_t vpn) { t_named.ptes.emplace_back(pid, vpn); }
void name_gup(int gup) { t_named.gups.push_back(gup); }

bool violates(const trace::Trace &t, const variant_switches &sw, const InvariantSet &inv,
              const std::string &invariant) {
  try {
    const RunResult r = run_trace(t, sw, inv);
    return r.violation.found && r.violation.invariant == invariant;
  } catch (const bad_trace &) {
    return false;
  }
}

}  // namespace gupcheck::props

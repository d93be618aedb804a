// SPDX-License-Identifier: GPL-2.0-only
//
// Catalogue B: the shared zero page (B1-B12).
// Each invariant is a pure function of the world after a step (see
// properties/invariants/internal.h); ids and statements follow
// docs/invariants.md, and the registry (properties/invariants/registry.cpp)
// names each with its statement and source.
#include "properties/invariants/internal.h"

#include <algorithm>
#include <sstream>

namespace gupcheck::props::inv {

using namespace gupcheck::model;
using trace::OpKind;

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

}  // namespace gupcheck::props::inv

// SPDX-License-Identifier: GPL-2.0-only
//
// Catalogue F: core dumps, get_dump_page() (F1-F5).
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

// F5: the positive side of F2-F4. Every page the process mapped before the
// dump, in a VMA the dump covers (not VM_DONTDUMP or VM_IO), that is a normal
// page (not special, not the zero or huge zero page, a struct page) in a VMA
// check_vma_flags() lets FOLL_FORCE read (VM_READ or VM_MAYREAD: PROT_NONE
// included) must be what get_dump_page() returned for its address. The
// exceptions are the kernel's own: a hwpoisoned page (the dump's
// copy_mc_to_kernel() fails and writes a hole), a secretmem page, and a folio
// whose refcount is at the ceiling (try_grab_folio() refuses it).
bool dump_includes_mapped_pages(const World &w, std::string &why) {
  if (w.last_op().kind != OpKind::Dump) return true;
  const kernel_state &k = w.kernel();
  const Outcome &o = w.last_outcome();
  const Probe &pr = w.probe();
  size_t i = 0;  // o.dump_vpn is in address order, like dump_mapped
  for (const Probe::Mapped &m : pr.dump_mapped) {
    if (m.special || !pfn_valid(k, m.pfn) || is_zero_pfn(m.pfn) || is_huge_zero_pfn(k, m.pfn)) continue;
    if (m.vm_flags & (VM_DONTDUMP | VM_IO | VM_PFNMAP)) continue;
    if (!(m.vm_flags & (VM_READ | VM_MAYREAD))) continue;
    const pfn_t head = folio_pfn(k, m.pfn);
    if (k.folios[m.pfn].hwpoison || k.folios[head].hwpoison || k.folios[head].secretmem) continue;
    if (!k.sw.refcount_unchecked && head < pr.refcount.size() && pr.refcount[head] + 1 > REFCOUNT_CEILING) continue;
    while (i < o.dump_vpn.size() && o.dump_vpn[i] < m.vpn) i++;
    const pfn_t got = i < o.dump_vpn.size() && o.dump_vpn[i] == m.vpn ? o.dump[i] : 0;
    if (got != m.pfn) {
      name_pfn(m.pfn);
      why = "a core dump wrote " + (got ? pfn_s(got) : std::string("a hole")) + " for " + addr_s(m.vpn) +
            ", which maps " + pfn_s(m.pfn);
      return false;
    }
  }
  return true;
}

}  // namespace gupcheck::props::inv

// SPDX-License-Identifier: GPL-2.0-only
//
// Catalogue H: permissions, FOLL_FORCE and PROT_NONE (H1-H6).
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

// H4
bool secretmem_never_gup(const World &w, std::string &why) {
  const trace::Op &op = w.last_op();
  const kernel_state &k = w.kernel();
  if (is_gup_step(w)) {
    const GupCall &g = *w.last_gup();
    for (size_t i = 0; i < g.pages.size(); i++)
      if (pfn_valid(k, g.pages[i]) && k.folios[g.pages[i]].secretmem) {  // D2 judges invalid pfns
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

}  // namespace gupcheck::props::inv

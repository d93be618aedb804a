// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors mm/mprotect.c (Linux v6.18): mprotect(2).
#include <algorithm>

#include "model/coverage.h"
#include "model/kernel.h"
#include "model/mm_internal.h"

namespace gupcheck::model {

namespace {

// Models: mm/mprotect.c can_change_pte_writable() (v6.18)
bool can_change_pte_writable(kernel_state &k, const vm_area_struct &vma, uint64_t vpn, const pte_t &pte) {
  if (!(vma.vm_flags & VM_WRITE)) {
    warn(k, "WARN_ON_ONCE(!VM_WRITE) in can_change_pte_writable()");
    return false;
  }
  if (pte.protnone) {
    GUP_COV(can_change_pte_writable_protnone);
    return false;
  }
  if (!(vma.vm_flags & VM_SHARED)) {
    // Writable MAP_PRIVATE: only exclusive anonymous pages, which the write
    // fault handler would map writable without further checks anyway.
    pfn_t page = vm_normal_page(k, vma, vpn, pte);
    if (page && k.folios[page].anon && k.folios[page].anon_exclusive) {
      GUP_COV(can_change_pte_writable_private);
      return true;
    }
    GUP_COV(can_change_pte_writable_private_no);
    return false;
  }
  if (is_zero_pfn(pte.pfn) && pte.dirty) warn(k, "dirty zero page in a shared mapping");
  // Writable MAP_SHARED: "clean" might mean the file system still needs a write fault.
  if (pte.dirty) GUP_COV(can_change_pte_writable_shared);
  return pte.dirty;
}

// Models: mm/mprotect.c change_pte_range() (v6.18) for one VMA, with
// change_huge_pmd() for the PMD leaves in it.
void change_pte_range(kernel_state &k, int pid, const vm_area_struct &vma) {
  mm_struct &mm = k.tasks[pid].mm;
  for (pte_table &t : mm.tables) {
    if (!t.pmd_leaf || t.base >= vma.vm_end || t.base + HPAGE_PMD_NR <= vma.vm_start) continue;
    // pmd_modify(oldpmd, newprot)
    GUP_COV(change_pte_range_pmd);
    t.pmd_protnone = !(vma.vm_flags & VM_ACCESS_FLAGS);
    if (!(vma.vm_flags & VM_WRITE) || t.pmd_protnone) {
      t.pmd_write = false;
    } else if (!(vma.vm_flags & VM_SHARED) && !is_huge_zero_pfn(k, t.pmd_pfn) &&
               k.folios[t.pmd_pfn].anon_exclusive) {
      t.pmd_write = true;  // can_change_pmd_writable(): an exclusive anonymous folio
    }
  }
  // vma_wants_manual_pte_write_upgrade()
  const bool try_writable = (vma.vm_flags & VM_SHARED)
                                ? ((vma.vm_flags & VM_WRITE) && !vm_page_prot_writable(k, vma))
                                : bool(vma.vm_flags & VM_WRITE);
  for (uint64_t vpn = vma.vm_start; vpn < vma.vm_end; vpn++) {
    pte_t *pte = pte_offset(mm, vpn);
    if (!pte || !pte->present) continue;
    // pte_modify(oldpte, vm_page_prot): the protection bits follow the new
    // vm_page_prot; pfn, special, young and dirty stay.
    const pte_t prot = mk_pte(k, vma, pte->pfn);
    pte->protnone = prot.protnone;
    pte->write = prot.write;
    if (try_writable && !pte->write && can_change_pte_writable(k, vma, vpn, *pte)) {
      GUP_COV(change_pte_range_made_writable);
      pte->write = true;
    }
  }
}

}  // namespace

// Models: mm/mprotect.c do_mprotect_pkey() -> mprotect_fixup() (v6.18)

long do_mprotect(kernel_state &k, int pid, uint64_t start, uint64_t npages, vm_flags_t prot) {
  mm_struct &mm = k.tasks[pid].mm;
  const uint64_t end = start + npages;
  const vm_area_struct *first = find_vma(mm, start);
  if (!first) return -ENOMEM;
  uint64_t nstart = start;
  long err = 0;  // the VMAs already changed stay changed (and merged)
  while (nstart < end) {
    vm_area_struct *v = find_vma(mm, nstart);
    if (!v || v->vm_start > nstart) {
      err = -ENOMEM;
      break;
    }
    vm_flags_t newflags = (v->vm_flags & ~(VM_READ | VM_WRITE | VM_EXEC)) | calc_vm_prot_bits(prot);
    // mprotect_fixup() returns early when the protection does not change,
    // before it adjusts VM_ACCOUNT: an unchanged read-only anonymous VMA
    // without an anon_vma keeps its charge (found by gupcheck diff --random
    // 1000 --seed 2026: the model dropped it and merged the VMA with a
    // neighbour the kernel leaves split).
    const bool changes = newflags != v->vm_flags;
    // mprotect_fixup(): private memory turning writable is charged; the charge
    // (VM_ACCOUNT) stays when it turns read-only again, except for anonymous
    // memory that has no anon_vma yet.
    if (newflags & VM_WRITE) {
      if (!(v->vm_flags & (VM_ACCOUNT | VM_WRITE | VM_SHARED | VM_NORESERVE))) newflags |= VM_ACCOUNT;
    } else if ((v->vm_flags & VM_ACCOUNT) && vma_is_anonymous(*v) && !v->anon_vma) {
      newflags &= ~VM_ACCOUNT;
    }
    // newflags >> 4 shift VM_MAY% in place of VM_%
    if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS) {
      err = -EACCES;
      break;
    }
    const uint64_t tmp = std::min(v->vm_end, end);
    if (changes) {
      split_huge_pmd_at(k, mm, nstart);
      split_huge_pmd_at(k, mm, tmp);
      split_vma_at(mm, nstart);
      split_vma_at(mm, tmp);
      vm_area_struct *w = find_vma(mm, nstart);
      const vm_flags_t oldflags = w->vm_flags;
      w->vm_flags = newflags;
      change_pte_range(k, pid, *w);
      vma_merge_modified(mm, nstart);
      // mprotect_fixup(): a locked private VMA turning writable is populated
      // for writing at once (populate_vma_page_range(); found by gupcheck diff).
      if ((oldflags & (VM_WRITE | VM_SHARED | VM_LOCKED)) == VM_LOCKED && (newflags & VM_WRITE))
        __mm_populate(k, pid, nstart, tmp - nstart, true);
    }
    nstart = tmp;
  }
  return err;
}

}  // namespace gupcheck::model

// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors arch/x86/mm/fault.c (Linux v6.18): a user load or store and the arch fault handler
// around handle_mm_fault().
#include <algorithm>

#include "model/kernel.h"
#include "model/mm_internal.h"

namespace gupcheck::model {

// A user load or store: the CPU walks the page table and, when the PTE does
// not allow the access, the arch fault handler (access_error()) and
// handle_mm_fault() run, then the access is retried.
access_result user_access(kernel_state &k, int pid, uint64_t vpn, bool write, uint64_t value) {
  access_result r;
  mm_struct &mm = k.tasks[pid].mm;
  vm_area_struct *vma = find_vma(mm, vpn);
  if (!vma) {
    r.signal = SIGSEGV_NR;
    return r;
  }
  // access_error(): a store needs VM_WRITE, a load VM_READ (or VM_WRITE on x86).
  if (write ? !(vma->vm_flags & VM_WRITE) : !(vma->vm_flags & (VM_READ | VM_WRITE))) {
    r.signal = SIGSEGV_NR;
    return r;
  }
  for (int tries = 0; tries < 4; tries++) {
    if (pte_table *t = pmd_offset(mm, vpn); t && t->pmd_leaf && !t->pmd_protnone && (!write || t->pmd_write)) {
      t->pmd_young = true;
      r.pfn = t->pmd_pfn + (vpn - t->base);
      if (write) {
        t->pmd_dirty = true;
        write_pfn(k, r.pfn, value);
        r.value = value;
      } else {
        r.value = read_pfn(k, r.pfn);
      }
      return r;
    }
    pte_t *pte = pte_offset(mm, vpn);
    if (pte && pte->present && !pte->protnone && (!write || pte->write)) {
      pte->young = true;
      r.pfn = pte->pfn;
      if (write) {
        pte->dirty = true;
        write_pfn(k, pte->pfn, value);
        r.value = value;
      } else {
        r.value = read_pfn(k, pte->pfn);
      }
      return r;
    }
    unsigned ret = handle_mm_fault(k, pid, *vma, vpn, FAULT_FLAG_USER | (write ? FAULT_FLAG_WRITE : 0));
    if (ret & VM_FAULT_ERROR) {
      r.signal = (ret & VM_FAULT_SIGSEGV) ? SIGSEGV_NR : SIGBUS_NR;
      return r;
    }
  }
  throw model_bug("user_access(): the fault handler does not make progress");
}

}  // namespace gupcheck::model

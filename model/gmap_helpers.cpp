// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors arch/s390/mm/gmap_helpers.c (Linux v6.18): s390's switch that forbids the shared zero
// page (KVM).
#include <algorithm>

#include "model/kernel.h"
#include "model/mm_internal.h"

namespace gupcheck::model {

// Models: arch/s390 gmap_helper_disable_cow_sharing() and
// __gmap_helper_unshare_zeropages() (v6.18; from "s390/mm: re-enable the
// shared zeropage for !PV and !skeys KVM guests", v6.11), reached from KVM.
long s390_disable_cow_sharing(kernel_state &k, int pid) {
  mm_struct &mm = k.tasks[pid].mm;
  if (mm.forbids_zeropage) return 0;
  mm.forbids_zeropage = true;
  // Replace all shared zeropages in COW mappings by anonymous pages.
  for (size_t i = 0; i < mm.vmas.size(); i++) {
    if (!is_cow_mapping(mm.vmas[i].vm_flags)) continue;
    // A huge zero PMD is split into zero-page PTEs first (then unshared below).
    for (pte_table &t : mm.tables)
      if (t.pmd_leaf && is_huge_zero_pfn(k, t.pmd_pfn) && t.base < mm.vmas[i].vm_end &&
          mm.vmas[i].vm_start < t.base + HPAGE_PMD_NR)
        __split_huge_pmd(k, mm, t);
    for (uint64_t vpn = mm.vmas[i].vm_start; vpn < mm.vmas[i].vm_end; vpn++) {
      const pte_t *p = pte_offset(mm, vpn);
      if (!p || !p->present || !is_zero_pfn(p->pfn)) continue;
      const unsigned ret = handle_mm_fault(k, pid, mm.vmas[i], vpn, FAULT_FLAG_UNSHARE | FAULT_FLAG_REMOTE);
      if (ret & VM_FAULT_ERROR) return -EFAULT;
    }
  }
  return 0;
}

}  // namespace gupcheck::model

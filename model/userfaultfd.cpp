// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors mm/userfaultfd.c (Linux v6.18): UFFDIO_ZEROPAGE.
#include <algorithm>

#include "model/coverage.h"
#include "model/kernel.h"
#include "model/mm_internal.h"

namespace gupcheck::model {

// Models: mm/userfaultfd.c mfill_atomic() -> mfill_atomic_pte() ->
// mfill_atomic_pte_zeropage() (v6.18): only anonymous and shmem VMAs can be
// filled; a VM_SHARED (shmem) VMA gets a zeroed shmem folio
// (shmem_mfill_atomic_pte()), any private one -- a private mapping of a
// shmem file included -- the zero page. The differential oracle found that
// the model refused shmem VMAs with -EINVAL.
// Differs: the range counts as registered with userfaultfd (MISSING mode)
// wherever userfaultfd_register() allows it: never in a VMA without
// VM_MAYWRITE (a shared mapping of an O_RDONLY fd; 29ec90660d68 "userfaultfd:
// shmem/hugetlbfs: only allow to register VM_MAYWRITE vmas"), whose
// unregistered range mfill_atomic() refuses with -ENOENT.
long mfill_atomic_zeropage(kernel_state &k, int pid, uint64_t vpn) {
  mm_struct &mm = k.tasks[pid].mm;
  vm_area_struct *v = find_vma(mm, vpn);
  if (!v || !(v->vm_flags & VM_MAYWRITE)) return -ENOENT;
  if (!vma_is_anonymous(*v) && v->backing != vma_backing::shmem) return -EINVAL;
  if (v->vm_flags & VM_SHARED) return shmem_mfill_atomic_zeropage(k, pid, *v, vpn);
  if (const pte_table *t = pmd_offset(mm, vpn); t && t->pmd_leaf) return -EEXIST;  // mm_alloc_pmd(): pmd_trans_huge()
  anon_vma_prepare(k, *v);  // mfill_atomic(): for every private VMA
  pte_t *pte = pte_alloc(mm, vpn);
  if (!pte_none(*pte)) {
    GUP_COV(mfill_zeropage_exists);
    return -EEXIST;
  }
  if (mm.forbids_zeropage) {
    // mfill_atomic_pte_zeroed_folio() -> mfill_atomic_install_pte(): a
    // zeroed anonymous folio instead, mapped dirty and writable if the VMA is.
    *pte = mkdirty_maybe_mkwrite(mk_pte(k, *v, alloc_new_anon_folio(k, *v, 0)), *v);
    mm.rss[MM_ANONPAGES]++;
    return 0;
  }
  GUP_COV(mfill_zeropage_mapped);
  *pte = mk_pte(k, *v, ZERO_PFN);
  pte->special = true;
  return 0;
}

}  // namespace gupcheck::model

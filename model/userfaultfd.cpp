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

// Models: fs/userfaultfd.c userfaultfd_register() (MISSING mode) of one page,
// UFFDIO_ZEROPAGE (mfill_atomic_zeropage()), then userfaultfd_unregister()
// (v6.18), the sequence the live executor runs. Registering splits the page
// off its VMA with VM_UFFD_MISSING set (vma_modify_flags_uffd()), so a
// private VMA's anon_vma_prepare() in the fill finds no compatible
// neighbour and takes an anon_vma of its own; unregistering clears the flag
// through vma_modify_flags_uffd() again, which merges the page with its
// neighbours when they are compatible -- also neighbours that were left
// unmerged before, such as the pieces of a VMA that fork unlocked
// (found by gupcheck diff --random 1000 --seeds 12 and 77: the model left the
// child's VMAs split). A VMA that cannot be registered (no VM_MAYWRITE, not
// anonymous or shmem: vma_can_userfault()) is left as it is.
long uffd_register_zeropage(kernel_state &k, int pid, uint64_t vpn) {
  mm_struct &mm = k.tasks[pid].mm;
  const vm_area_struct *v = find_vma(mm, vpn);
  if (!v || v->vm_start > vpn || !(v->vm_flags & VM_MAYWRITE) ||
      (!vma_is_anonymous(*v) && v->backing != vma_backing::shmem))
    return mfill_atomic_zeropage(k, pid, vpn);
  split_huge_pmd_at(k, mm, vpn);
  split_huge_pmd_at(k, mm, vpn + 1);
  split_vma_at(mm, vpn);
  split_vma_at(mm, vpn + 1);
  find_vma(mm, vpn)->vm_flags |= VM_UFFD_MISSING;
  const long ret = mfill_atomic_zeropage(k, pid, vpn);
  find_vma(mm, vpn)->vm_flags &= ~VM_UFFD_MISSING;
  vma_merge_modified(mm, vpn);
  return ret;
}

}  // namespace gupcheck::model

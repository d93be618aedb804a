// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors mm/mlock.c (Linux v6.18): mlock(2).
#include <algorithm>

#include "model/kernel.h"
#include "model/mm_internal.h"

namespace gupcheck::model {

// Models: mm/mlock.c do_mlock() -> apply_vma_lock_flags() -> mlock_fixup(),
// then __mm_populate() and __mlock_posix_error_return() (v6.18).
long do_mlock(kernel_state &k, int pid, uint64_t start, uint64_t npages) {
  mm_struct &mm = k.tasks[pid].mm;
  const uint64_t end = start + npages;
  // apply_vma_lock_flags(): VMA by VMA; a hole ends it with -ENOMEM, and
  // what was locked before the hole stays locked (found by gupcheck diff:
  // MADV_DONTNEED then fails with -EINVAL there).
  if (!find_vma(mm, start)) return -ENOMEM;
  for (uint64_t vpn = start; vpn < end;) {
    vm_area_struct *v = find_vma(mm, vpn);
    if (!v) return -ENOMEM;
    const uint64_t stop = std::min(v->vm_end, end);
    // mlock_fixup(): special, DAX and secretmem VMAs are not marked VM_LOCKED.
    const bool skip = (v->vm_flags & (VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP)) || vma_is_fsdax(k, *v) ||
                      vma_is_secretmem(*v);
    if (!skip && !(v->vm_flags & VM_LOCKED)) {
      split_huge_pmd_at(k, mm, vpn);  // vma_adjust_trans_huge()
      split_huge_pmd_at(k, mm, stop);
      split_vma_at(mm, vpn);
      split_vma_at(mm, stop);
      find_vma(mm, vpn)->vm_flags |= VM_LOCKED;
      vma_merge_modified(mm, vpn);  // mlock_fixup() -> vma_modify_flags() (found by gupcheck diff)
    }
    vpn = stop;
  }
  long err = __mm_populate(k, pid, start, npages, false);
  // __mlock_posix_error_return()
  if (err == -EFAULT) return -ENOMEM;
  if (err == -ENOMEM) return -EAGAIN;
  return err;
}

}  // namespace gupcheck::model

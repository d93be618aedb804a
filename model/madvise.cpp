// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors mm/madvise.c (Linux v6.18): madvise(2): MADV_DONTNEED, the VMA-flag advice,
// MADV_POPULATE_*.
#include <algorithm>

#include "model/coverage.h"
#include "model/kernel.h"
#include "model/mm_internal.h"

namespace gupcheck::model {

namespace {

// Models: mm/madvise.c madvise_walk_vmas() (v6.18): visit(vma, from, to)
// for the part of each VMA inside [start, start + npages); holes are skipped.
// REQUIRES: visit may split or change the VMA it is given, nothing after `to`.
// Return: the first error visit returns, else -ENOMEM when part of the range
// was unmapped, else 0.
template <typename Visit>
long madvise_walk_vmas(kernel_state &k, int pid, uint64_t start, uint64_t npages, Visit visit) {
  mm_struct &mm = k.tasks[pid].mm;
  const uint64_t end = start + npages;
  long unmapped_error = 0;
  uint64_t vpn = start;
  while (vpn < end) {
    vm_area_struct *v = find_vma(mm, vpn);
    if (!v) {
      unmapped_error = -ENOMEM;
      vpn = next_vma_start(mm, vpn, end);
      continue;
    }
    const uint64_t stop = std::min(v->vm_end, end);
    if (long err = visit(*v, vpn, stop)) return err;
    vpn = stop;
  }
  return unmapped_error;
}

// Models: mm/madvise.c madvise_update_vma() (v6.18) for advice that only
// changes vm_flags: VMAs are split to the range and the
// modified range merges with compatible neighbours.
template <typename F>
long madvise_walk_flags(kernel_state &k, int pid, uint64_t start, uint64_t npages, F new_flags) {
  mm_struct &mm = k.tasks[pid].mm;
  return madvise_walk_vmas(k, pid, start, npages, [&](vm_area_struct &v, uint64_t vpn, uint64_t stop) {
    vm_flags_t nf = v.vm_flags;
    if (long err = new_flags(v, nf)) return err;
    if (nf != v.vm_flags) {
      split_huge_pmd_at(k, mm, vpn);  // vma_adjust_trans_huge()
      split_huge_pmd_at(k, mm, stop);
      split_vma_at(mm, vpn);
      split_vma_at(mm, stop);
      find_vma(mm, vpn)->vm_flags = nf;
      vma_merge_modified(mm, vpn);  // madvise_update_vma() -> vma_modify_flags()
    }
    return 0L;
  });
}

}  // namespace

// Models: mm/madvise.c madvise_walk_vmas() + madvise_dontneed_single_vma()
// (v6.18) for MADV_DONTNEED.
long madvise_dontneed(kernel_state &k, int pid, uint64_t start, uint64_t npages) {
  return madvise_walk_vmas(k, pid, start, npages, [&](vm_area_struct &v, uint64_t vpn, uint64_t stop) {
    // madvise_dontneed_free_valid_vma()
    if (v.vm_flags & (VM_LOCKED | VM_PFNMAP)) return long(-EINVAL);
    GUP_COV(madvise_dontneed);
    zap_pte_range(k, pid, v, vpn, stop);
    return 0L;
  });
}

// Models: mm/madvise.c madvise_populate() (v6.18) -> mm/gup.c
// faultin_page_range(): never FOLL_FORCE; FOLL_HWPOISON reports poisoned
// pages; FOLL_MADV_POPULATE makes holes -ENOMEM and refused VMAs -EINVAL.
long madvise_populate(kernel_state &k, int pid, uint64_t start, uint64_t npages, bool write) {
  const uint64_t end = start + npages;
  while (start < end) {
    const unsigned gup_flags =
        FOLL_TOUCH | FOLL_HWPOISON | FOLL_UNLOCKABLE | FOLL_MADV_POPULATE | (write ? FOLL_WRITE : 0);
    const long pages = __get_user_pages_locked(k, pid, start, long(end - start), nullptr, gup_flags);
    if (pages < 0) {
      GUP_COV(madvise_populate_error);
      switch (pages) {
        case -EINTR: return -EINTR;
        case -EINVAL: return -EINVAL;  // incompatible mappings / permissions
        case -EHWPOISON: return -EHWPOISON;
        case -EFAULT: return -EFAULT;  // VM_FAULT_SIGBUS or VM_FAULT_SIGSEGV
        default: return -ENOMEM;       // no VMA or out of memory
      }
    }
    if (pages == 0) throw model_bug("madvise_populate(): no progress");
    start += uint64_t(pages);
  }
  return 0;
}

// Models: mm/madvise.c do_madvise() -> madvise_do_behavior() (v6.18).
long do_madvise(kernel_state &k, int pid, uint64_t start, uint64_t npages, madv advice) {
  switch (advice) {
    case madv::dontneed: return madvise_dontneed(k, pid, start, npages);
    case madv::populate_read: return madvise_populate(k, pid, start, npages, false);
    case madv::populate_write: return madvise_populate(k, pid, start, npages, true);
    case madv::hwpoison: return madvise_inject_error(k, pid, start, npages);
    case madv::dontfork:
      return madvise_walk_flags(k, pid, start, npages, [](const vm_area_struct &, vm_flags_t &f) {
        f |= VM_DONTCOPY;
        return 0L;
      });
    case madv::dofork:
      return madvise_walk_flags(k, pid, start, npages, [](const vm_area_struct &v, vm_flags_t &f) {
        if (v.vm_flags & VM_IO) return long(-EINVAL);
        f &= ~VM_DONTCOPY;
        return 0L;
      });
    case madv::wipeonfork:
      return madvise_walk_flags(k, pid, start, npages, [](const vm_area_struct &v, vm_flags_t &f) {
        // MADV_WIPEONFORK is only supported on anonymous memory.
        if (vma_has_file(v) || (v.vm_flags & VM_SHARED)) return long(-EINVAL);
        f |= VM_WIPEONFORK;
        return 0L;
      });
    case madv::keeponfork:
      return madvise_walk_flags(k, pid, start, npages, [](const vm_area_struct &, vm_flags_t &f) {
        f &= ~VM_WIPEONFORK;
        return 0L;
      });
  }
  return -EINVAL;
}

}  // namespace gupcheck::model

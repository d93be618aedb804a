// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors mm/vma.c (Linux v6.18): VMA splitting, merging and munmap.
#include <algorithm>

#include "model/kernel.h"
#include "model/mm_internal.h"

namespace gupcheck::model {

// Models: mm/vma.c __split_vma() (v6.18): vm_pgoff follows the new start.
void split_vma_at(mm_struct &mm, uint64_t vpn) {
  for (size_t i = 0; i < mm.vmas.size(); i++) {
    vm_area_struct &v = mm.vmas[i];
    if (v.vm_start < vpn && vpn < v.vm_end) {
      vm_area_struct tail = v;
      tail.vm_start = vpn;
      tail.vm_pgoff = v.vm_pgoff + (vpn - v.vm_start);
      v.vm_end = vpn;
      mm.vmas.insert(mm.vmas.begin() + i + 1, tail);
      return;
    }
  }
}

// Models: mm/vma.c is_mergeable_anon_vma() (v6.18).
bool is_mergeable_anon_vma(const vm_area_struct &a, const vm_area_struct &b) {
  auto had_uncowed_parents = [](const vm_area_struct &v) { return v.anon_vma && v.anon_vma_forked; };
  if (!a.anon_vma && !b.anon_vma) return true;
  if (!a.anon_vma) return !had_uncowed_parents(b);  // b's anon_vma is used (or dup'ed)
  if (!b.anon_vma) return !had_uncowed_parents(a);
  return a.anon_vma_id == b.anon_vma_id;
}

namespace {

// Models: mm/vma.c is_mergeable_vma() + can_vma_merge_after() (v6.18) for
// two adjacent VMAs: same flags, file and contiguous page offsets, no
// special mapping, compatible anon_vmas.
bool can_merge_adjacent(const vm_area_struct &v, const vm_area_struct &w) {
  const bool file = v.backing == vma_backing::file || v.backing == vma_backing::shmem;
  return v.vm_end == w.vm_start && v.vm_flags == w.vm_flags && v.backing == w.backing && v.file == w.file &&
         !(v.vm_flags & (VM_PFNMAP | VM_MIXEDMAP | VM_IO)) && (v.backing == vma_backing::anon || file) &&
         is_mergeable_anon_vma(v, w) && (!file || w.vm_pgoff == v.vm_pgoff + (v.vm_end - v.vm_start));
}

// Merges mm.vmas[i + 1] into mm.vmas[i] when they can merge.
bool merge_with_next(mm_struct &mm, size_t i) {
  if (i + 1 >= mm.vmas.size() || !can_merge_adjacent(mm.vmas[i], mm.vmas[i + 1])) return false;
  vm_area_struct &v = mm.vmas[i];
  const vm_area_struct &w = mm.vmas[i + 1];
  if (!v.anon_vma && w.anon_vma) {
    v.anon_vma = true;
    v.anon_vma_id = w.anon_vma_id;
    v.anon_vma_forked = w.anon_vma_forked;
  }
  v.vm_end = w.vm_end;
  mm.vmas.erase(mm.vmas.begin() + long(i) + 1);
  return true;
}

}  // namespace

// Models: mm/vma.c vma_modify_flags() -> vma_merge_existing_range() (v6.18)
// as mprotect_fixup(), mlock_fixup() and madvise_update_vma() use it, once
// the caller has split the VMA to the modified range and changed its flags:
// the modified range merges with the previous VMA and then with the next
// one when they are compatible. Nothing else merges: a caller whose flags did
// not change returns early and never gets here (mprotect_fixup()'s
// "newflags == oldflags"), and the unmodified parts of a split VMA keep their
// old flags, so they stay split from the modified range. The differential
// oracle found both: the model used to merge every compatible adjacent pair
// of the mm after any mprotect or mlock.
void vma_merge_modified(mm_struct &mm, uint64_t vpn) {
  for (size_t i = 0; i < mm.vmas.size(); i++) {
    if (mm.vmas[i].vm_start > vpn || vpn >= mm.vmas[i].vm_end) continue;
    // The previous VMA first: when the range could merge with either
    // neighbour but not with both (their anon_vmas differ),
    // vma_merge_existing_range() takes merge_left (found by gupcheck diff
    // --random 10000 --seed 12, trace 3569: the model merged with the next).
    if (i > 0 && merge_with_next(mm, i - 1)) i--;
    merge_with_next(mm, i);
    return;
  }
}

// Models: mm/vma.c do_vmi_munmap() (v6.18)
long do_munmap(kernel_state &k, int pid, uint64_t start, uint64_t npages) {
  if (npages == 0) return -EINVAL;
  mm_struct &mm = k.tasks[pid].mm;
  const uint64_t end = start + npages;
  split_huge_pmd_at(k, mm, start);
  split_huge_pmd_at(k, mm, end);
  split_vma_at(mm, start);
  split_vma_at(mm, end);
  for (size_t i = 0; i < mm.vmas.size();) {
    vm_area_struct &v = mm.vmas[i];
    if (v.vm_start >= start && v.vm_end <= end) {
      zap_pte_range(k, pid, v, v.vm_start, v.vm_end);
      mm.vmas.erase(mm.vmas.begin() + i);
    } else {
      i++;
    }
  }
  free_pgtables(mm);
  return 0;
}

}  // namespace gupcheck::model

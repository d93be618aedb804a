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

// Models: mm/vma.c vma_modify_flags() -> vma_merge_existing_range() (v6.18)
// as mprotect_fixup() uses it: a VMA whose new flags equal its neighbour's
// merges with it when the file and the page offsets are contiguous and
// is_mergeable_anon_vma() agrees. The differential oracle found this
// (mprotect r then rw re-merges, which widens the fault-around window and
// fork's copy decision).
// Differs: every adjacent compatible pair merges, not only the neighbours of
// the changed range (in the model VMAs only become compatible by mprotect).
bool is_mergeable_anon_vma(const vm_area_struct &a, const vm_area_struct &b) {
  auto had_uncowed_parents = [](const vm_area_struct &v) { return v.anon_vma && v.anon_vma_forked; };
  if (!a.anon_vma && !b.anon_vma) return true;
  if (!a.anon_vma) return !had_uncowed_parents(b);  // b's anon_vma is used (or dup'ed)
  if (!b.anon_vma) return !had_uncowed_parents(a);
  return a.anon_vma_id == b.anon_vma_id;
}

void vma_merge_neighbours(mm_struct &mm) {
  for (size_t i = 0; i + 1 < mm.vmas.size();) {
    vm_area_struct &v = mm.vmas[i];
    const vm_area_struct &w = mm.vmas[i + 1];
    const bool file = v.backing == vma_backing::file || v.backing == vma_backing::shmem;
    const bool mergeable = v.vm_end == w.vm_start && v.vm_flags == w.vm_flags && v.backing == w.backing &&
                           v.file == w.file && !(v.vm_flags & (VM_PFNMAP | VM_MIXEDMAP | VM_IO)) &&
                           (v.backing == vma_backing::anon || file) && is_mergeable_anon_vma(v, w) &&
                           (!file || w.vm_pgoff == v.vm_pgoff + (v.vm_end - v.vm_start));
    if (!mergeable) {
      i++;
      continue;
    }
    if (!v.anon_vma && w.anon_vma) {
      v.anon_vma = true;
      v.anon_vma_id = w.anon_vma_id;
      v.anon_vma_forked = w.anon_vma_forked;
    }
    v.vm_end = w.vm_end;
    mm.vmas.erase(mm.vmas.begin() + long(i) + 1);
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

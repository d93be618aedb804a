// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors kernel/fork.c (Linux v6.18): fork(2): dup_mm() and dup_mmap().
#include <algorithm>

#include "model/coverage.h"
#include "model/kernel.h"
#include "model/mm_internal.h"

namespace gupcheck::model {

// Models: kernel/fork.c dup_mm() -> dup_mmap() -> mm/memory.c
// copy_page_range() and vma_needs_copy() (v6.18).
int dup_mm_fork(kernel_state &k, int pid) {
  k.tasks.emplace_back();
  const int child = int(k.tasks.size()) - 1;
  mm_struct &cmm = k.tasks[child].mm;
  {
    const mm_struct &pmm = k.tasks[pid].mm;
    // s390 init_new_context() runs for the child's new mm and sets
    // allow_cow_sharing = 1: mm_forbids_zeropage() is not inherited.
    cmm.forbids_zeropage = false;
    cmm.mmap_hint = pmm.mmap_hint;
    // dup_mm() copies the mm_struct, ksm_fork() keeps ksm_zero_pages (the
    // child inherits the marked PTEs; "ksm: fix ksm_zero_pages accounting on fork").
    cmm.ksm_zero_pages = pmm.ksm_zero_pages;
  }
  const size_t nvmas = k.tasks[pid].mm.vmas.size();
  for (size_t i = 0; i < nvmas; i++) {
    vm_area_struct &src = k.tasks[pid].mm.vmas[i];
    if (src.vm_flags & VM_DONTCOPY) {
      GUP_COV(dup_mmap_dontcopy);
      continue;
    }
    vm_area_struct dst = src;
    // vm_flags_clear(tmp, VM_LOCKED_MASK): mlock is not inherited.
    dst.vm_flags &= ~(VM_LOCKED | VM_LOCKONFAULT);
    if (src.vm_flags & VM_WIPEONFORK) {
      GUP_COV(dup_mmap_wipeonfork);
      dst.anon_vma = false;  // the child starts with an empty anonymous VMA
      dst.anon_vma_id = 0;
      dst.anon_vma_forked = false;
      k.tasks[child].mm.vmas.push_back(dst);
      continue;
    }
    if (dst.anon_vma) {  // anon_vma_fork(): a new anon_vma chained to the parent's
      dst.anon_vma_id = ++k.anon_vma_ids;
      dst.anon_vma_forked = true;
    }
    k.tasks[child].mm.vmas.push_back(dst);
    vm_area_struct &dvma = k.tasks[child].mm.vmas.back();
    // vma_needs_copy(): file mappings without anonymous pages fault again in the child.
    const bool needs_copy = (src.vm_flags & (VM_PFNMAP | VM_MIXEDMAP)) || src.anon_vma;
    if (!needs_copy) continue;
    mm_struct &pmm = k.tasks[pid].mm;
    const bool is_cow = is_cow_mapping(src.vm_flags);
    if (is_cow) pmm.write_protect_seq++;  // raw_write_seqcount_begin()
    for (uint64_t vpn = src.vm_start; vpn < src.vm_end; vpn++) {
      // copy_pmd_range(): a PMD leaf is copied whole unless copy_huge_pmd()
      // split it (-EAGAIN), then its PTEs are copied one by one.
      if (const pte_table *t = pmd_offset(pmm, vpn); t && t->pmd_leaf && vpn == t->base) {
        if (copy_huge_pmd(k, pid, child, src, vpn) == 0) {
          GUP_COV(dup_mmap_copy_pmd);
          vpn += HPAGE_PMD_NR - 1;
          continue;
        }
      }
      const pte_t *p = pte_offset(pmm, vpn);
      if (!p) continue;
      if (!p->present && p->hwpoison) {
        // copy_nonpresent_pte(): a hwpoison entry is copied as it is.
        const pte_t entry = *p;
        *pte_alloc(k.tasks[child].mm, vpn) = entry;
        continue;
      }
      if (!p->present) continue;
      GUP_COV(dup_mmap_copy_pte);
      copy_present_pte(k, pid, child, src, dvma, vpn);
    }
    if (is_cow) pmm.write_protect_seq++;  // raw_write_seqcount_end()
  }
  return child;
}

}  // namespace gupcheck::model

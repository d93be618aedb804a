// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors mm/mmap.c (Linux v6.18): mmap(2) and the address space's end at exit.
#include <algorithm>

#include "model/kernel.h"
#include "model/mm_internal.h"

namespace gupcheck::model {

// Models: mm/mmap.c __get_unmapped_area() -> thp_get_unmapped_area() (v6.18).
// Differs: the search is a per-mm bump allocator leaving a one-page gap after
// every mapping, so separate mmaps never merge or reuse addresses. The live
// executor places its mappings with MAP_FIXED_NOREPLACE at these very
// addresses, so a page index past the end of a mapping means the same
// address (a gap or the next mapping) on both sides.
long get_unmapped_area(uint64_t mmap_hint, const mmap_args &a) {
  uint64_t start = mmap_hint;
  // thp_get_unmapped_area(): a private anonymous mapping whose length is a
  // multiple of the PMD size gets a PMD-aligned start (v6.12: d4148aeab412
  // "mm, mmap: limit THP alignment of anonymous mappings to PMD-aligned
  // sizes"); MADV_HUGEPAGE (the thp option) aligns any length here.
  if ((a.thp || a.npages % HPAGE_PMD_NR == 0) && a.backing == vma_backing::anon && !a.shared)
    start = (mmap_hint + HPAGE_PMD_NR - 1) / HPAGE_PMD_NR * HPAGE_PMD_NR;
  if (start + a.npages + 1 > TASK_SIZE_VPN) return -ENOMEM;
  return long(start);
}

// Models: mm/mmap.c do_mmap() -> mmap_region() (v6.18), with the ->mmap of
// the backing: shmem_zero_setup() for shared anonymous memory, a
// remap_pfn_range() driver, or a VM_MIXEDMAP driver.
long do_mmap(kernel_state &k, int pid, const mmap_args &a) {
  if (a.npages == 0) return -EINVAL;
  // secretmem_mmap(): only MAP_SHARED mappings of a memfd_secret fd.
  if (a.backing == vma_backing::secretmem && !a.shared) return -EINVAL;
  mm_struct &mm = k.tasks[pid].mm;
  const long start = get_unmapped_area(mm.mmap_hint, a);
  if (start < 0) return start;
  vm_area_struct vma;
  vma.vm_start = uint64_t(start);
  vma.vm_end = vma.vm_start + a.npages;
  vma.vm_flags = calc_vm_prot_bits(a.prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  if (a.shared) vma.vm_flags |= VM_SHARED | VM_MAYSHARE;
  // do_mmap(), MAP_SHARED of a file without FMODE_WRITE: PROT_WRITE is
  // refused, and the mapping can never become writable: neither VM_MAYWRITE
  // nor VM_SHARED (it stays VM_MAYSHARE). Such a VMA is not a COW mapping, so
  // a driver may map the zero page there (vm_mixed_zeropage_allowed()) and a
  // R/O long-term pin keeps it (no unshare).
  if (a.rdonly && a.shared) {
    if (a.prot & VM_WRITE) return -EACCES;
    vma.vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
  }
  // mmap_region(): accountable_mapping() -- private writable memory is
  // charged and marked VM_ACCOUNT (it then never merges with an uncharged
  // neighbour; found by the differential oracle).
  if ((vma.vm_flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) == VM_WRITE) vma.vm_flags |= VM_ACCOUNT;
  vma.backing = a.backing;
  vma.file = a.file;
  vma.zone = a.zone;
  if (a.backing == vma_backing::anon && a.shared) {
    vma.backing = vma_backing::shmem;  // shmem_zero_setup()
    vma.file = file_create(k, true);
  }
  if ((vma.backing == vma_backing::file || vma.backing == vma_backing::shmem) &&
      (vma.file < 0 || size_t(vma.file) >= k.files.size()))
    throw model_bug("do_mmap(): file mapping without a file");
  if (a.backing == vma_backing::mixedmap) vma.vm_flags |= VM_MIXEDMAP;
  if (a.thp && a.backing == vma_backing::anon && !a.shared) vma.vm_flags |= VM_HUGEPAGE;
  if (a.backing == vma_backing::secretmem) {
    // memfd_secret() makes a fresh inode; secretmem_mmap() locks the VMA
    // and keeps it out of core dumps.
    vma.file = file_create(k, false, false, true);
    vma.vm_flags |= VM_LOCKED | VM_DONTDUMP;
  }
  mm.mmap_hint = vma.vm_end + 1;
  auto it = std::lower_bound(mm.vmas.begin(), mm.vmas.end(), vma.vm_start,
                             [](const vm_area_struct &v, uint64_t s) { return v.vm_start < s; });
  it = mm.vmas.insert(it, vma);
  if (a.backing == vma_backing::pfnmap) {
    // The driver's ->mmap: remap its own pages (which have struct pages)
    // with remap_pfn_range(), as many drivers do for DMA buffers.
    pfn_t first = driver_alloc_page(k);
    for (uint64_t i = 1; i < a.npages; i++) driver_alloc_page(k);
    long err = remap_pfn_range(k, pid, *it, vma.vm_start, first, a.npages);
    if (err) throw model_bug("remap_pfn_range() refused a whole-VMA remap");
  }
  // vm_mmap_pgoff(): MAP_POPULATE (or a VM_LOCKED VMA) populates after
  // the mapping exists, ignoring errors (mm_populate()).
  if (a.populate || (vma.vm_flags & VM_LOCKED)) __mm_populate(k, pid, vma.vm_start, a.npages, true);
  return long(vma.vm_start);
}

// Models: mm/mmap.c exit_mmap() (v6.18)
void exit_mmap(kernel_state &k, int pid) {
  mm_struct &mm = k.tasks[pid].mm;
  for (const auto &v : mm.vmas) zap_pte_range(k, pid, v, v.vm_start, v.vm_end);
  mm.vmas.clear();
  free_pgtables(mm);
  k.tasks[pid].alive = false;
}

}  // namespace gupcheck::model

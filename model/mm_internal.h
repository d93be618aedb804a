// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors mm/internal.h: what the model's mm files share with each other but
// not with the rest of gupcheck (model/kernel.h is the interface).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "model/kernel.h"

namespace gupcheck::model {

// Models: include/linux/mman.h calc_vm_prot_bits() (v6.18), without pkeys.
inline vm_flags_t calc_vm_prot_bits(vm_flags_t prot) { return prot & (VM_READ | VM_WRITE | VM_EXEC); }

// Models: mm/internal.h vma_is_accessible() (v6.18).
inline bool vma_is_accessible(const vm_area_struct &vma) { return vma.vm_flags & VM_ACCESS_FLAGS; }

// The next VMA starting after vpn, or end.
inline uint64_t next_vma_start(const mm_struct &mm, uint64_t vpn, uint64_t end) {
  for (const auto &w : mm.vmas)
    if (w.vm_start > vpn) return std::min(end, w.vm_start);
  return end;
}

// A VMA with a vm_file: everything but private and shared anonymous memory
// (shared anonymous memory is shmem and has one).
inline bool vma_has_file(const vm_area_struct &v) { return v.backing != vma_backing::anon; }

// mm/vma.c (model/vma.cpp)
void split_vma_at(mm_struct &mm, uint64_t vpn);
bool is_mergeable_anon_vma(const vm_area_struct &a, const vm_area_struct &b);
// Merges the VMA holding vpn, just modified, with its neighbours.
void vma_merge_modified(mm_struct &mm, uint64_t vpn);

// mm/memory.c (model/memory.cpp)
void free_pgtables(mm_struct &mm);

// mm/huge_memory.c (model/huge_memory.cpp)
void split_huge_pmd_at(kernel_state &k, mm_struct &mm, uint64_t vpn);

// mm/memory-failure.c (model/memory-failure.cpp)
long madvise_inject_error(kernel_state &k, int pid, uint64_t start, uint64_t npages);

// mm/migrate.c (model/migrate.cpp)
bool migrate_folio(kernel_state &k, pfn_t old);

}  // namespace gupcheck::model

// SPDX-License-Identifier: GPL-2.0-only
//
// Helpers of the model: the state's basic accessors and the small predicates
// of include/linux/mm.h.
#include <algorithm>

#include "model/kernel.h"

namespace gupcheck::model {

kernel_state::kernel_state(const variant_switches &s) : sw(s) {
  folios.resize(2);
  folio &z = folios[ZERO_PFN];
  z.zero = true;
  // "On some platforms ZERO_PAGE(0) might end up in a movable zone"
  // (9afaf30f7a1a): put it there, so that folio_is_longterm_pinnable()'s
  // zero-page exception is what keeps it pinnable (B10).
  z.zone = mem_zone::movable;
  z.refcount = ZERO_PAGE_BASE_REFCOUNT;
  tasks.emplace_back();  // pid 0: the trace's p0
}

bool pfn_valid(const kernel_state &k, pfn_t pfn) { return pfn != 0 && pfn < k.folios.size(); }

// Models: include/linux/mm.h vma_is_anonymous() (v6.18): no vm_ops.
bool vma_is_anonymous(const vm_area_struct &vma) { return vma.backing == vma_backing::anon; }

// Whether vma->vm_ops->fault exists: files, shmem and the MIXEDMAP driver have
// one; a remap_pfn_range() driver and anonymous memory do not.
bool vma_has_fault_op(const vm_area_struct &vma) {
  return vma.backing == vma_backing::file || vma.backing == vma_backing::shmem ||
         vma.backing == vma_backing::mixedmap || vma.backing == vma_backing::secretmem;
}

// Models: include/linux/fs.h vma_is_fsdax() (v6.18): a file VMA whose inode is DAX.
bool vma_is_fsdax(const kernel_state &k, const vm_area_struct &vma) {
  return vma.backing == vma_backing::file && vma.file >= 0 && k.files[vma.file].dax;
}

// Models: include/linux/secretmem.h vma_is_secretmem() (v6.18).
bool vma_is_secretmem(const vm_area_struct &vma) { return vma.backing == vma_backing::secretmem; }

bool folio_is_longterm_pinnable(const folio &f) {
  if (f.zone == mem_zone::cma) return false;  // MIGRATE_CMA / MIGRATE_ISOLATE
  // The zero page can be "pinned" but gets special handling.
  if (f.zero) return true;
  // fsdax pages are not (the file system may want to reclaim the blocks:
  // 2bb6d2837083 / 932f4a630a69).
  if (f.fsdax) return false;
  // Otherwise, non-movable zone folios can be pinned.
  return f.zone != mem_zone::movable;
}

// Models: include/linux/mm.h folio_maybe_dma_pinned() (v6.18)
bool folio_maybe_dma_pinned(const folio &f) {
  if (f.large) return f.pincount > 0;
  return unsigned(f.refcount) >= unsigned(GUP_PIN_COUNTING_BIAS);
}

// Models: mm/mmap.c vma_set_page_prot() / vma_wants_writenotify() (v6.18)
// Differs: only the write bit of vm_page_prot is modelled. Private mappings
// are always mapped read-only first (COW); shared writable ones are writable
// unless the file needs dirty tracking (write notification).
bool vm_page_prot_writable(const kernel_state &k, const vm_area_struct &vma) {
  if (!(vma.vm_flags & VM_SHARED) || !(vma.vm_flags & VM_WRITE)) return false;
  if (vma.backing == vma_backing::file && vma.file >= 0 && k.files[vma.file].needs_dirty_tracking) return false;
  return true;
}

// Models: include/linux/mm.h vma_lookup() (v6.18): the VMA containing vpn.
vm_area_struct *find_vma(mm_struct &mm, uint64_t vpn) {
  for (auto &v : mm.vmas) {
    if (v.vm_start > vpn) return nullptr;
    if (vpn < v.vm_end) return &v;
  }
  return nullptr;
}
const vm_area_struct *find_vma(const mm_struct &mm, uint64_t vpn) {
  return find_vma(const_cast<mm_struct &>(mm), vpn);
}

// Models: pte_offset_map() (v6.18): null when no PTE table covers vpn (pmd_none()).
pte_t *pte_offset(mm_struct &mm, uint64_t vpn) {
  uint64_t base = vpn - vpn % PTRS_PER_PTE;
  for (auto &t : mm.tables) {
    if (t.base == base) return t.detached ? nullptr : &t.ptes[vpn - base];
    if (t.base > base) return nullptr;
  }
  return nullptr;
}
const pte_t *pte_offset(const mm_struct &mm, uint64_t vpn) { return pte_offset(const_cast<mm_struct &>(mm), vpn); }

pte_table *pmd_offset(mm_struct &mm, uint64_t vpn) {
  const uint64_t base = vpn - vpn % PTRS_PER_PTE;
  for (auto &t : mm.tables) {
    if (t.base == base) return t.detached ? nullptr : &t;
    if (t.base > base) return nullptr;
  }
  return nullptr;
}
const pte_table *pmd_offset(const mm_struct &mm, uint64_t vpn) { return pmd_offset(const_cast<mm_struct &>(mm), vpn); }

pfn_t mapped_pfn(const mm_struct &mm, uint64_t vpn) {
  const pte_table *t = pmd_offset(mm, vpn);
  if (!t) return 0;
  if (t->pmd_leaf) return t->pmd_pfn + (vpn - t->base);
  const pte_t &p = t->ptes[vpn - t->base];
  return p.present ? p.pfn : 0;
}

// Models: mm/memory.c __pte_alloc() (v6.18)
pte_t *pte_alloc(mm_struct &mm, uint64_t vpn) {
  if (pte_t *p = pte_offset(mm, vpn)) return p;
  if (mm.collapse.active) throw model_bug("__pte_alloc() while a collapse holds mmap_lock");
  uint64_t base = vpn - vpn % PTRS_PER_PTE;
  auto it = std::lower_bound(mm.tables.begin(), mm.tables.end(), base,
                             [](const pte_table &t, uint64_t b) { return t.base < b; });
  pte_table t;
  t.base = base;
  t.id = mm.next_table_id++;
  it = mm.tables.insert(it, t);
  return &it->ptes[vpn - base];
}

// Models: mm/page_alloc.c folio_alloc() for an order-0 folio: refcount 1.
// Differs: pfns are never reused, so a stale reference always names its folio.
pfn_t folio_alloc(kernel_state &k) {
  k.folios.emplace_back();
  k.folios.back().refcount = 1;
  return k.folios.size() - 1;
}

// Models: include/linux/mm.h folio_get() (v6.18), which must never see a freed folio.
void folio_get(kernel_state &k, pfn_t pfn) {
  folio &f = page_folio(k, pfn);
  if (f.refcount <= 0) throw model_bug("folio_get on a freed folio pfn " + std::to_string(pfn));
  f.refcount++;
}

// Models: include/linux/mm.h folio_put_refs(): frees at zero.
void folio_put(kernel_state &k, pfn_t pfn, int refs) {
  pfn = folio_pfn(k, pfn);
  folio &f = k.folios[pfn];
  f.refcount -= refs;
  if (f.refcount == 0) {
    if (f.zero || f.huge_zero) warn(k, "the zero page's refcount dropped to zero");
    f.freed = true;
    if (f.large)  // free_pages_prepare() on every page
      for (unsigned i = 1; i < HPAGE_PMD_NR; i++) k.folios[pfn + i].freed = true;
  } else if (f.refcount < 0) {
    warn(k, "folio refcount underflow on pfn " + std::to_string(pfn));
  }
}

uint64_t read_pfn(const kernel_state &k, pfn_t pfn) {
  if (pfn >= DEVICE_PFN_BASE) return k.device_mem.at(pfn - DEVICE_PFN_BASE);
  return k.folios.at(pfn).data;
}

void write_pfn(kernel_state &k, pfn_t pfn, uint64_t value) {
  if (pfn >= DEVICE_PFN_BASE) {
    k.device_mem.at(pfn - DEVICE_PFN_BASE) = value;
    return;
  }
  k.folios.at(pfn).data = value;
}

void warn(kernel_state &k, std::string what) {
  if (k.warnings.size() < 16) k.warnings.push_back(std::move(what));
}

void warn_misuse(kernel_state &k, std::string what) {
  if (k.misuse.size() < 16) k.misuse.push_back(std::move(what));
}

// A new file: shmem and secretmem need no dirty tracking; a regular
// (ext4-like) file does, DAX or not.
int file_create(kernel_state &k, bool shmem, bool dax, bool secretmem) {
  file_state f;
  f.shmem = shmem;
  f.dax = dax;
  f.secretmem = secretmem;
  // secretmem's mapping has no writeback (noop bdi), like shmem.
  f.needs_dirty_tracking = !shmem && !secretmem;
  k.files.push_back(f);
  return int(k.files.size()) - 1;
}

}  // namespace gupcheck::model

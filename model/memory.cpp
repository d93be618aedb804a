// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors mm/memory.c (Linux v6.18): page faults, vm_normal_page(), driver
// insertion, zap, fork-time copy, free_pgtables() and remote access: the
// parts that GUP depends on.
#include "model/coverage.h"
#include "model/kernel.h"
#include "model/mm_internal.h"

#include <algorithm>

namespace gupcheck::model {

namespace {

mm_struct &mm_of(kernel_state &k, int pid) { return k.tasks[pid].mm; }


// Models: include/linux/mm.h mm_counter_file() / mm_counter() (v6.18)
int mm_counter_file(const kernel_state &k, const folio &f) {
  if (f.pagecache && f.file >= 0 && k.files[f.file].shmem) return MM_SHMEMPAGES;
  return MM_FILEPAGES;
}

int mm_counter(const kernel_state &k, const folio &f) { return f.anon ? MM_ANONPAGES : mm_counter_file(k, f); }


// Models: mm/rmap.c folio_remove_rmap_pte() (v6.18)
void folio_remove_rmap_pte(kernel_state &k, pfn_t pfn) {
  folio &f = page_folio(k, pfn);
  if (f.mapcount <= 0) warn(k, "mapcount underflow on pfn " + std::to_string(pfn));
  f.mapcount--;
}

// The page a file (or shmem) VMA maps at vpn, from the page cache; allocated
// zero-filled on first use. Models: the ->fault of filemap/shmem
// (filemap_fault(), shmem_fault()) for an uptodate page; no I/O.
pfn_t pagecache_get(kernel_state &k, const vm_area_struct &vma, uint64_t vpn) {
  uint64_t index = vma.vm_pgoff + (vpn - vma.vm_start);
  file_state &file = k.files[vma.file];
  if (file.pages.size() <= index) file.pages.resize(index + 1, 0);
  if (file.pages[index] == 0) {
    pfn_t p = folio_alloc(k);  // the page cache's own reference
    folio &f = k.folios[p];
    f.pagecache = true;
    f.file = vma.file;
    f.index = index;
    // Differs: an fsdax "page cache" page is the ZONE_DEVICE page backing
    // the file block (fs/dax.c); a secretmem page is removed from the direct
    // map (secretmem_fault()). Both are modelled as page-cache folios with a flag.
    f.fsdax = file.dax;
    f.secretmem = file.secretmem;
    k.files[vma.file].pages[index] = p;
  }
  return k.files[vma.file].pages[index];
}

// Models: mm/memory.c set_pte_range() + folio_add_file_rmap_pte() as used by
// finish_fault() (v6.18): the fault's reference on the page becomes the
// mapping's.
void map_file_page(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, pfn_t page, bool write) {
  pte_t entry = mk_pte(k, vma, page);
  entry.young = true;
  if (write) entry = mkdirty_maybe_mkwrite(entry, vma);
  *pte_alloc(mm_of(k, pid), vpn) = entry;
  folio &f = k.folios[page];
  f.mapcount++;
  mm_of(k, pid).rss[mm_counter_file(k, f)]++;
}

// Models: mm/memory.c wp_page_reuse() (v6.18)
void wp_page_reuse(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn) {
  pte_t *pte = pte_offset(mm_of(k, pid), vpn);
  if (is_zero_pfn(pte->pfn)) warn(k, "wp_page_reuse() on the zero page");  // seed (e) sanity check
  pte->young = true;
  pte->dirty = true;
  if (vma.vm_flags & VM_WRITE) pte->write = true;  // maybe_mkwrite()
}

}  // namespace

namespace {

// Models: mm/rmap.c anon_vma_compatible() + reusable_anon_vma() (v6.18):
// old's anon_vma serves b too when a ends where b starts, both map the same
// file (or none) at contiguous offsets, their flags differ only in
// VM_READ/WRITE/EXEC/SOFTDIRTY, and old's anon_vma_chain is singular (not a
// forked child's). Memory policies: the model has none.
bool reusable_anon_vma(const vm_area_struct &old, const vm_area_struct &a, const vm_area_struct &b) {
  const bool file = a.backing == vma_backing::file || a.backing == vma_backing::shmem;
  return a.vm_end == b.vm_start && a.backing == b.backing && a.file == b.file &&
         !((a.vm_flags ^ b.vm_flags) & ~(VM_ACCESS_FLAGS | VM_SOFTDIRTY)) &&
         (!file || b.vm_pgoff == a.vm_pgoff + (b.vm_start - a.vm_start)) && old.anon_vma && !old.anon_vma_forked;
}

// Models: mm/vma.c find_mergeable_anon_vma() (v6.18): the next VMA's
// anon_vma first, then the previous one's; nullptr when neither can serve.
const vm_area_struct *find_mergeable_anon_vma(const kernel_state &k, const vm_area_struct &vma) {
  for (const auto &t : k.tasks) {
    const auto &vs = t.mm.vmas;
    if (vs.empty() || &vma < vs.data() || &vma >= vs.data() + vs.size()) continue;
    const size_t i = size_t(&vma - vs.data());
    if (i + 1 < vs.size() && reusable_anon_vma(vs[i + 1], vma, vs[i + 1])) return &vs[i + 1];
    if (i > 0 && reusable_anon_vma(vs[i - 1], vs[i - 1], vma)) return &vs[i - 1];
    return nullptr;
  }
  return nullptr;
}

}  // namespace

// Models: mm/rmap.c __anon_vma_prepare() (v6.18): a neighbour's anon_vma when
// find_mergeable_anon_vma() finds one, else a new one. The reuse keeps VMAs
// mergeable: two halves of an mprotect-split VMA faulted one after the other
// share one anon_vma and merge again when their protections do (found by
// gupcheck diff --random 1000 --seed 17: the model left them split).
void anon_vma_prepare(kernel_state &k, vm_area_struct &vma) {
  if (vma.anon_vma) return;
  if (const vm_area_struct *n = find_mergeable_anon_vma(k, vma)) {
    vma.anon_vma = true;
    vma.anon_vma_id = n->anon_vma_id;
    vma.anon_vma_forked = false;
    return;
  }
  vma.anon_vma = true;
  vma.anon_vma_id = ++k.anon_vma_ids;
  vma.anon_vma_forked = false;
}

pfn_t alloc_new_anon_folio(kernel_state &k, vm_area_struct &vma, uint64_t data) {
  anon_vma_prepare(k, vma);
  const pfn_t p = folio_alloc(k);
  folio &f = k.folios[p];
  f.data = data;
  // memalloc_pin_save() (FOLL_LONGTERM) strips __GFP_MOVABLE: never movable/CMA.
  f.zone = k.memalloc_pin ? mem_zone::normal : vma.zone;
  // folio_add_new_anon_rmap(..., RMAP_EXCLUSIVE)
  f.anon = true;
  f.anon_exclusive = true;
  f.mapcount = 1;
  return p;
}

pte_t mk_pte(const kernel_state &k, const vm_area_struct &vma, pfn_t pfn) {
  pte_t pte;
  pte.present = true;
  pte.pfn = pfn;
  pte.protnone = !(vma.vm_flags & VM_ACCESS_FLAGS);
  pte.write = !pte.protnone && vm_page_prot_writable(k, vma);
  return pte;
}

pte_t mkdirty_maybe_mkwrite(pte_t pte, const vm_area_struct &vma) {
  pte.dirty = true;
  if (vma.vm_flags & VM_WRITE) pte.write = true;
  return pte;
}

// Models: mm/memory.c vm_normal_page() / __vm_normal_page() (v6.18)
//
// With CONFIG_ARCH_HAS_PTE_SPECIAL the special bit decides; without it the
// VM_PFNMAP linearity rule of "mm: re-architect the VM_UNPAGED logic" (seed b,
// 6aab341e0a28) and the VM_MIXEDMAP pfn_valid() rule decide.
pfn_t vm_normal_page(kernel_state &k, const vm_area_struct &vma, uint64_t vpn, const pte_t &pte) {
  pfn_t pfn = pte.pfn;
  if ((k.sw.vm_normal_page_hides_zero_pfn && is_zero_pfn(pfn)) ||          // variant: seed (e) pre-fix
      (k.sw.pfnmap_all_unpaged && (vma.vm_flags & VM_PFNMAP))) {  // variant: seed (b) pre-fix (VM_UNPAGED)
    GUP_COV(vm_normal_page_variant_hides);
    return 0;
  }
  if (k.arch_has_pte_special) {
    if (pte.special) {
      if (vma.vm_flags & (VM_PFNMAP | VM_MIXEDMAP)) {
        GUP_COV(vm_normal_page_special_pfnmap);
        return 0;
      }
      if (is_zero_pfn(pfn)) {
        GUP_COV(vm_normal_page_special_zero);
        return 0;
      }
      warn(k, "print_bad_page_map: special PTE in a normal VMA");
      return 0;
    }
    // Any special mapping (incl. the shared zero folio) is marked as such.
  } else {
    if (vma.vm_flags & (VM_PFNMAP | VM_MIXEDMAP)) {
      GUP_COV(vm_normal_page_nospecial_rules);
      if (vma.vm_flags & VM_MIXEDMAP) {
        if (!pfn_valid(k, pfn)) return 0;  // no struct page: not "normal"
      } else {
        uint64_t off = vpn - vma.vm_start;
        if (pfn == vma.vm_pgoff + off) return 0;  // the raw remapped pfn
        if (!is_cow_mapping(vma.vm_flags)) return 0;
        // else: a COWed anonymous page inside a private PFNMAP
      }
    }
    if (is_zero_pfn(pfn)) return 0;
  }
  if (!pfn_valid(k, pfn)) {
    warn(k, "print_bad_page_map: pfn without struct page in a normal PTE");
    return 0;
  }
  if (is_zero_pfn(pfn)) warn(k, "vm_normal_page() returns the zero page");  // VM_WARN_ON_ONCE
  return pfn;
}

// Models: mm/memory.c handle_mm_fault() -> __handle_mm_fault() ->
// handle_pte_fault() (v6.18). The caller has checked access permissions
// (the arch fault handler's access_error(), or check_vma_flags() for GUP).
unsigned handle_mm_fault(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags) {
  k.faults.push_back({pid, vpn, flags});
  // sanitize_fault_flags(): unshare only makes sense in COW mappings.
  if (flags & FAULT_FLAG_UNSHARE) {
    GUP_COV(handle_mm_fault_unshare);
    if (flags & FAULT_FLAG_WRITE) warn(k, "FAULT_FLAG_UNSHARE together with FAULT_FLAG_WRITE");
    if (!is_cow_mapping(vma.vm_flags)) return VM_FAULT_SIGSEGV;
  }
  mm_struct &mm = mm_of(k, pid);
  // __handle_mm_fault(): a none PMD in a THP-eligible VMA gets a huge page.
  if (thp_vma_allowable(k, mm, vma, vpn)) {
    GUP_COV(handle_mm_fault_huge_anon);
    const unsigned r = do_huge_pmd_anonymous_page(k, pid, vma, vpn, flags);
    if (!(r & VM_FAULT_FALLBACK)) return r;
  }
  if (pte_table *t = pmd_offset(mm, vpn); t && t->pmd_leaf) {
    if ((flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) && !t->pmd_write) {
      GUP_COV(handle_mm_fault_huge_wp);
      const unsigned r = do_huge_pmd_wp_page(k, pid, vma, vpn, flags);
      if (!(r & VM_FAULT_FALLBACK)) return r;
      // The PMD was split: handle the fault on the PTE.
    } else {
      // huge_pmd_set_accessed()
      t->pmd_young = true;
      if (flags & FAULT_FLAG_WRITE) t->pmd_dirty = true;
      return 0;
    }
  }
  pte_t *pte = pte_alloc(mm, vpn);
  // do_swap_page(): a hwpoison entry left by memory_failure().
  if (!pte->present && pte->hwpoison) {
    GUP_COV(handle_mm_fault_hwpoison);
    return VM_FAULT_HWPOISON;
  }
  if (!pte->present) {
    if (vma_is_anonymous(vma)) return do_anonymous_page(k, pid, vma, vpn, flags);
    return do_fault(k, pid, vma, vpn, flags);
  }
  if (flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) {
    if (!pte->write) {
      GUP_COV(handle_mm_fault_wp);
      return do_wp_page(k, pid, vma, vpn, flags);
    }
    if (flags & FAULT_FLAG_WRITE) pte->dirty = true;
  }
  pte->young = true;
  return 0;
}

// Models: mm/memory.c do_anonymous_page() (v6.18)
unsigned do_anonymous_page(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags) {
  mm_struct &mm = mm_of(k, pid);
  // File mapping without ->vm_ops? Shared anonymous memory is shmem.
  if (vma.vm_flags & VM_SHARED) {
    GUP_COV(do_anonymous_page_shared);
    return VM_FAULT_SIGBUS;
  }
  // Use the zero-page for reads.
  if (!(flags & FAULT_FLAG_WRITE) && !mm.forbids_zeropage) {
    GUP_COV(do_anonymous_page_zero);
    pte_t entry = mk_pte(k, vma, ZERO_PFN);
    entry.special = true;  // pte_mkspecial(): no rmap, no refcount, no rss
    *pte_alloc(mm, vpn) = entry;
    return 0;
  }
  GUP_COV(do_anonymous_page_new);
  pte_t entry = mk_pte(k, vma, alloc_new_anon_folio(k, vma, 0));
  entry.young = true;
  if (vma.vm_flags & VM_WRITE) {  // pte_mkwrite(pte_mkdirty())
    entry.write = true;
    entry.dirty = true;
  }
  *pte_alloc(mm, vpn) = entry;
  mm.rss[MM_ANONPAGES]++;
  return 0;
}

// The ->fault of the VM_MIXEDMAP driver (a stand-in for drivers and
// fs/fuse/dax.c-like users). Customised: a read of a hole inserts the shared
// zero page where vm_mixed_zeropage_allowed(); anything else gets a fresh
// driver page through vm_insert_page().
static unsigned mixed_driver_fault(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags) {
  long err;
  if (!(flags & FAULT_FLAG_WRITE) && vm_mixed_zeropage_allowed(k, pid, vma))
    err = vm_insert_page(k, pid, vma, vpn, ZERO_PFN);
  else
    err = vm_insert_page(k, pid, vma, vpn, driver_alloc_page(k));
  if (err && err != -EBUSY) return VM_FAULT_SIGBUS;
  return VM_FAULT_NOPAGE;
}

// Models: mm/memory.c do_fault_around() -> filemap_map_pages() (v6.18), the
// ->map_pages of page-cache and shmem VMAs, with the default
// fault_around_bytes of 64 KiB: the window starts at vpn rounded down to
// fault_around_pages, clamped to the VMA start, and spans fault_around_pages
// from there, clamped to the VMA end and to the kernel's PTE table (512
// entries, not the model's 16). Every page of it that is already in the
// page cache and whose PTE is none is mapped read-only, as a read fault
// would map it. Nothing is read in or allocated. Only pte_none() entries
// are filled: filemap_map_folio_range() skips every other entry, so a
// hwpoison entry memory_failure() left keeps raising SIGBUS even when the
// file's page at that index was read in again (we used to skip only
// present PTEs and mapped the new page over the poison entry).
// Differs: no locked or !uptodate page-cache folios exist, so none is skipped.
void do_fault_around(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn) {
  constexpr uint64_t fault_around_pages = 16;  // fault_around_bytes >> PAGE_SHIFT
  constexpr uint64_t kernel_ptrs_per_pte = 512;  // x86-64
  if (vma.file < 0 || size_t(vma.file) >= k.files.size()) return;
  const uint64_t from = std::max(vpn & ~(fault_around_pages - 1), vma.vm_start);
  const uint64_t to = std::min({from + fault_around_pages, vma.vm_end,
                                (vpn & ~(kernel_ptrs_per_pte - 1)) + kernel_ptrs_per_pte});
  mm_struct &mm = mm_of(k, pid);
  for (uint64_t a = from; a < to; a++) {
    const uint64_t index = vma.vm_pgoff + (a - vma.vm_start);
    const file_state &file = k.files[vma.file];
    if (index >= file.pages.size() || file.pages[index] == 0) continue;
    const pte_t *pte = pte_offset(mm, a);
    if (pte && !pte_none(*pte)) continue;
    const pfn_t page = file.pages[index];
    if (k.folios[page].hwpoison) continue;  // filemap_map_folio_range() skips PageHWPoison
    folio_get(k, page);
    map_file_page(k, pid, vma, a, page, false);
  }
}

// Models: mm/shmem.c shmem_mfill_atomic_pte() for UFFDIO_ZEROPAGE on a
// VM_SHARED shmem VMA (v6.18): a new zeroed folio goes into the page cache
// (-EEXIST when the index is cached already) and mfill_atomic_install_pte()
// maps it dirty, writable when the VMA is.
long shmem_mfill_atomic_zeropage(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn) {
  const uint64_t index = vma.vm_pgoff + (vpn - vma.vm_start);
  file_state &file = k.files[vma.file];
  if (index < file.pages.size() && file.pages[index] != 0) return -EEXIST;
  const pte_t *pte = pte_offset(mm_of(k, pid), vpn);
  if (pte && pte->present) return -EEXIST;
  GUP_COV(mfill_zeropage_shmem);
  pfn_t page = pagecache_get(k, vma, vpn);
  folio_get(k, page);
  k.folios[page].dirty = true;
  map_file_page(k, pid, vma, vpn, page, (vma.vm_flags & VM_WRITE) != 0);
  return 0;
}

// Models: mm/userfaultfd.c mfill_atomic() -> mfill_atomic_pte_continue() ->
// mfill_atomic_install_pte() (v6.18): UFFDIO_CONTINUE maps the page the
// shmem page cache already holds (shmem_get_folio(SGP_NOALLOC): -EFAULT when
// none, -EIO if it is hwpoisoned) at vpn, -EEXIST if something is mapped there. The PTE is dirty
// (pte_mkdirty() since 9ae0f87d009c) and writable only in a VM_SHARED
// VM_WRITE VMA: in a private mapping it maps the page cache R/O.
// Differs: the range counts as registered with userfaultfd (MINOR mode);
// hugetlbfs (the other MINOR-capable backing) is not modelled.
long mfill_atomic_continue(kernel_state &k, int pid, uint64_t vpn) {
  mm_struct &mm = mm_of(k, pid);
  vm_area_struct *v = find_vma(mm, vpn);
  // userfaultfd_register() refuses VMAs without VM_MAYWRITE (see
  // mfill_atomic_zeropage()): the range is not registered.
  if (!v || !(v->vm_flags & VM_MAYWRITE)) return -ENOENT;
  if (v->backing != vma_backing::shmem) return -EINVAL;  // vma_can_userfault(VM_UFFD_MINOR)
  const uint64_t index = v->vm_pgoff + (vpn - v->vm_start);
  const file_state &file = k.files[v->file];
  if (index >= file.pages.size() || file.pages[index] == 0) {
    GUP_COV(mfill_continue_no_page);
    return -EFAULT;
  }
  const pte_t *old = pte_offset(mm, vpn);
  if (old && !pte_none(*old)) {
    GUP_COV(mfill_continue_exists);
    return -EEXIST;
  }
  if (!(v->vm_flags & VM_SHARED)) anon_vma_prepare(k, *v);  // mfill_atomic(): for every private VMA
  const pfn_t page = file.pages[index];
  if (k.folios[page].hwpoison) {  // PageHWPoison(): never map a poisoned page
    GUP_COV(mfill_continue_poison);
    return -EIO;
  }
  GUP_COV(mfill_continue_mapped);
  folio_get(k, page);
  const bool writable = (v->vm_flags & VM_SHARED) && (v->vm_flags & VM_WRITE);
  map_file_page(k, pid, *v, vpn, page, writable);
  pte_offset(mm, vpn)->dirty = true;
  return 0;
}

// Models: mm/memory.c do_fault() -> do_read_fault() / do_cow_fault() /
// do_shared_fault() (v6.18), for a pte_none() entry.
unsigned do_fault(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags) {
  if (!vma_has_fault_op(vma)) {  // e.g. a hole in a remap_pfn_range() VMA
    GUP_COV(do_fault_no_fault_op);
    return VM_FAULT_SIGBUS;
  }
  if (vma.backing == vma_backing::mixedmap) {
    GUP_COV(do_fault_mixedmap_driver);
    // __do_fault() returns VM_FAULT_NOPAGE: the driver installed the PTE.
    return mixed_driver_fault(k, pid, vma, vpn, flags);
  }
  bool write = flags & FAULT_FLAG_WRITE;
  if (!write) {  // do_read_fault()
    // Pages already in the page cache around the fault are mapped first
    // (found by the differential oracle: a read fault maps its neighbours).
    do_fault_around(k, pid, vma, vpn);
    const pte_t *done = pte_offset(mm_of(k, pid), vpn);
    if (done && done->present) {  // VM_FAULT_NOPAGE: fault-around mapped it
      GUP_COV(do_fault_around_mapped);
      return 0;
    }
    GUP_COV(do_fault_read);
    pfn_t page = pagecache_get(k, vma, vpn);
    // __do_fault(): a poisoned page kept in the cache (shmem) is not mapped.
    if (k.folios[page].hwpoison) {
      GUP_COV(do_fault_hwpoison);
      return VM_FAULT_HWPOISON;
    }
    folio_get(k, page);
    map_file_page(k, pid, vma, vpn, page, false);
    return 0;
  }
  pfn_t page = pagecache_get(k, vma, vpn);
  if (k.folios[page].hwpoison) {  // as above
    GUP_COV(do_fault_hwpoison);
    return VM_FAULT_HWPOISON;
  }
  if (!(vma.vm_flags & VM_SHARED)) {  // do_cow_fault()
    GUP_COV(do_fault_cow);
    // copy_mc_user_highpage() of the page-cache page into a new anonymous one.
    pte_t entry = mk_pte(k, vma, alloc_new_anon_folio(k, vma, k.folios[page].data));
    entry.young = true;
    *pte_alloc(mm_of(k, pid), vpn) = mkdirty_maybe_mkwrite(entry, vma);
    mm_of(k, pid).rss[MM_ANONPAGES]++;
    return 0;
  }
  // do_shared_fault(): ->page_mkwrite (Stubbed: always succeeds), then map writable.
  GUP_COV(do_fault_shared);
  folio_get(k, page);
  k.folios[page].dirty = true;
  map_file_page(k, pid, vma, vpn, page, true);
  return 0;
}

// Models: mm/memory.c wp_can_reuse_anon_folio() for a small folio (v6.18)
bool wp_can_reuse_anon_folio(kernel_state &k, pfn_t pfn) {
  folio &f = page_folio(k, pfn);
  // Differs: a PTE-mapped large folio is never reused unless the page is
  // PageAnonExclusive (v6.18's __wp_can_reuse_large_anon_folio() also reuses
  // one mapped only by this mm with no other references); copying is safe.
  if (f.large) {
    GUP_COV(wp_can_reuse_anon_folio_large);
    return false;
  }
  if (f.ksm || f.refcount > 3) {
    GUP_COV(wp_can_reuse_anon_folio_ksm);
    return false;
  }
  // Any extra reference (a GUP reference or pin included) forces a copy:
  // 09854ba94c6a "mm: do_wp_page() simplification".
  if (f.refcount != 1) {
    GUP_COV(wp_can_reuse_anon_folio_extra_ref);
    return false;
  }
  GUP_COV(wp_can_reuse_anon_folio_reuse);
  return true;  // folio_move_anon_rmap()
}

// Models: mm/memory.c do_wp_page() (v6.18)
unsigned do_wp_page(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags) {
  const bool unshare = flags & FAULT_FLAG_UNSHARE;
  pte_t *pte = pte_offset(mm_of(k, pid), vpn);
  pfn_t page = vm_normal_page(k, vma, vpn, *pte);

  // Shared mapping: reuse, possibly after notifying the driver or file system.
  if (vma.vm_flags & (VM_SHARED | VM_MAYSHARE)) {
    if (unshare) {  // nothing to unshare outside COW mappings
      GUP_COV(do_wp_page_unshare_shared);
      return 0;
    }
    GUP_COV(do_wp_page_shared);
    // wp_pfn_shared() / wp_page_shared(): Stubbed ->pfn_mkwrite/->page_mkwrite succeed.
    if (page) k.folios[page].dirty = true;
    wp_page_reuse(k, pid, vma, vpn);
    return 0;
  }

  // Private mapping: an anonymous page we own exclusively is reused in place.
  // Variant (pre-09854ba94c6a): reuse decided by the mapcount alone.
  const bool reusable = page && (k.sw.wp_reuse_by_mapcount ? k.folios[page].mapcount == 1
                                                           : wp_can_reuse_anon_folio(k, page));
  if (page && k.folios[page].anon && (k.folios[page].anon_exclusive || reusable)) {
    if (!k.folios[page].anon_exclusive && k.sw.wp_reuse_by_mapcount) GUP_COV(do_wp_page_reuse_by_mapcount);
    k.folios[page].anon_exclusive = true;
    if (unshare) {
      GUP_COV(do_wp_page_unshare_exclusive);
      return 0;
    }
    GUP_COV(do_wp_page_reuse_exclusive);
    wp_page_reuse(k, pid, vma, vpn);
    return 0;
  }
  // Ok, we need to copy. Oh, well..
  GUP_COV(do_wp_page_copy);
  return wp_page_copy(k, pid, vma, vpn, page, flags);
}

// Models: mm/memory.c wp_page_copy() (v6.18)
unsigned wp_page_copy(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, pfn_t old_page, unsigned flags) {
  mm_struct &mm = mm_of(k, pid);
  const bool unshare = flags & FAULT_FLAG_UNSHARE;
  pte_t *pte = pte_offset(mm, vpn);
  const pte_t orig = *pte;
  const bool pfn_is_zero = is_zero_pfn(orig.pfn);
  if (pfn_is_zero) {
    GUP_COV(wp_page_copy_zero);
    ksm_might_unmap_zero_page(mm, orig);
  }
  if (unshare) GUP_COV(wp_page_copy_unshare);

  // A zeroed page for the zero pfn; else __wp_page_copy_user(): from the old
  // page, or through the user address when there is no struct page (seed b's
  // cow_user_page()).
  const uint64_t data = pfn_is_zero ? 0 : old_page ? k.folios[old_page].data : read_pfn(k, orig.pfn);
  const pfn_t np = alloc_new_anon_folio(k, vma, data);
  if (old_page) {
    folio &of = k.folios[old_page];
    if (!of.anon) {
      GUP_COV(wp_page_copy_pagecache);
      mm.rss[mm_counter_file(k, of)]--;
      mm.rss[MM_ANONPAGES]++;
    }
  } else {
    if (!pfn_is_zero) GUP_COV(wp_page_copy_pfn);
    mm.rss[MM_ANONPAGES]++;
  }
  pte_t entry = mk_pte(k, vma, np);
  entry.young = true;  // pte_sw_mkyoung()
  if (!unshare) entry = mkdirty_maybe_mkwrite(entry, vma);
  if (unshare && entry.write) warn(k, "BUG_ON(unshare && pte_write(entry)) in wp_page_copy()");
  *pte = entry;
  if (old_page) {
    folio_remove_rmap_pte(k, old_page);
    folio_put(k, old_page);  // the old mapping's reference
  }
  return 0;
}

// Models: mm/memory.c vm_mixed_zeropage_allowed() (v6.18, from seed e)
bool vm_mixed_zeropage_allowed(const kernel_state &k, int pid, const vm_area_struct &vma) {
  if (k.tasks[pid].mm.forbids_zeropage) return false;
  // COW mappings are fine: FAULT_FLAG_UNSHARE can unshare, GUP LONGTERM works.
  if (is_cow_mapping(vma.vm_flags)) return true;
  // Mappings that can never have writable PTEs are fine.
  if (!(vma.vm_flags & (VM_WRITE | VM_MAYWRITE))) return true;
  // Otherwise only fsdax / VM_IO with ->pfn_mkwrite. Stubbed: our driver has none.
  return false;
}

// Models: mm/memory.c vm_insert_page() (v6.18)
long vm_insert_page(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, pfn_t page) {
  if (vpn < vma.vm_start || vpn >= vma.vm_end) return -EFAULT;
  if (k.folios[page].refcount <= 0) return -EINVAL;
  if (!(vma.vm_flags & VM_MIXEDMAP)) {
    if (vma.vm_flags & VM_PFNMAP) {
      warn(k, "BUG_ON(vma->vm_flags & VM_PFNMAP) in vm_insert_page()");
      return -EINVAL;
    }
    vma.vm_flags |= VM_MIXEDMAP;
  }
  return insert_page(k, pid, vma, vpn, page);
}

// Models: mm/memory.c insert_page() -> validate_page_before_insert() ->
// insert_page_into_pte_locked() (v6.18)
long insert_page(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, pfn_t page) {
  folio &f = k.folios[page];
  // validate_page_before_insert()
  if (f.anon) {
    GUP_COV(insert_page_anon);
    return -EINVAL;
  }
  if (f.zero && !k.sw.insert_page_refcounts_zero_page && !vm_mixed_zeropage_allowed(k, pid, vma)) {
    GUP_COV(insert_page_zero_refused);
    return -EINVAL;
  }
  pte_t *pte = pte_alloc(k.tasks[pid].mm, vpn);
  if (!pte_none(*pte)) {
    GUP_COV(insert_page_busy);
    return -EBUSY;
  }
  *pte = mk_pte(k, vma, page);
  if (f.zero && !k.sw.insert_page_refcounts_zero_page) {
    GUP_COV(insert_page_zero_special);
    pte->special = true;  // the zero page is never refcounted: pte_mkspecial()
    pte->write = false;
  } else {
    if (f.zero) GUP_COV(insert_page_zero_refcounted);
    GUP_COV(insert_page_refcounted);
    folio_get(k, page);
    k.tasks[pid].mm.rss[mm_counter_file(k, f)]++;
    f.mapcount++;  // folio_add_file_rmap_pte()
  }
  return 0;
}

// Models: mm/memory.c vmf_insert_mixed() -> __vm_insert_mixed() with
// mkwrite == false, and vm_mixed_ok() (v6.18). With ARCH_HAS_PTE_SPECIAL
// every pfn goes through insert_pfn(): a special PTE, no refcount.
unsigned vmf_insert_mixed(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, pfn_t pfn) {
  // vm_mixed_ok()
  if (is_zero_pfn(pfn) && !vm_mixed_zeropage_allowed(k, pid, vma)) {
    GUP_COV(vmf_insert_mixed_zero_refused);
    return VM_FAULT_SIGBUS;
  }
  if (!(vma.vm_flags & VM_MIXEDMAP) && !is_zero_pfn(pfn)) return VM_FAULT_SIGBUS;
  if (vpn < vma.vm_start || vpn >= vma.vm_end) return VM_FAULT_SIGBUS;
  if (!k.arch_has_pte_special && pfn_valid(k, pfn)) {
    GUP_COV(vmf_insert_mixed_insert_page);
    long err = insert_page(k, pid, vma, vpn, pfn);
    if (err == -ENOMEM) return VM_FAULT_OOM;
    if (err < 0 && err != -EBUSY) return VM_FAULT_SIGBUS;
    return VM_FAULT_NOPAGE;
  }
  // insert_pfn()
  pte_t *pte = pte_alloc(k.tasks[pid].mm, vpn);
  if (!pte_none(*pte)) return VM_FAULT_NOPAGE;  // someone else mapped it: nothing to do
  GUP_COV(vmf_insert_mixed_special);
  *pte = mk_pte(k, vma, pfn);
  pte->special = true;
  if (is_zero_pfn(pfn)) pte->write = false;
  return VM_FAULT_NOPAGE;
}

// A driver's alloc_page(): the driver keeps its reference for the life of the model.
pfn_t driver_alloc_page(kernel_state &k) {
  pfn_t p = folio_alloc(k);  // the driver keeps this reference
  k.folios[p].driver = true;
  return p;
}

// A device pfn beyond memory: no struct page, !pfn_valid().
pfn_t device_alloc_pfn(kernel_state &k) {
  k.device_mem.push_back(0);
  return DEVICE_PFN_BASE + k.device_mem.size() - 1;
}

// Models: mm/memory.c remap_pfn_range() -> remap_pfn_range_internal() (v6.18)
long remap_pfn_range(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, pfn_t pfn, uint64_t npages) {
  // A COW mapping must be remapped whole, so vm_pgoff can name the first pfn
  // and vm_normal_page() can tell raw pfns from COWed pages (seed b).
  if (is_cow_mapping(vma.vm_flags)) {
    if (vpn != vma.vm_start || vpn + npages != vma.vm_end) return -EINVAL;
    GUP_COV(remap_pfn_range_cow);
    vma.vm_pgoff = pfn;
  }
  vma.vm_flags |= VM_REMAP_FLAGS;
  mm_struct &mm = k.tasks[pid].mm;
  for (uint64_t i = 0; i < npages; i++) {
    pte_t *pte = pte_alloc(mm, vpn + i);
    if (pte->present) throw model_bug("remap_pfn_range() over a present PTE");
    *pte = mk_pte(k, vma, pfn + i);
    pte->special = true;
  }
  return 0;
}

// Models: mm/memory.c zap_pte_range() -> zap_present_ptes() ->
// zap_present_folio_ptes() (v6.18)
void zap_pte_range(kernel_state &k, int pid, const vm_area_struct &vma, uint64_t start, uint64_t end) {
  mm_struct &mm = mm_of(k, pid);
  // zap_pmd_range(): a PMD leaf the range covers whole goes at once; one it
  // covers partly is split first (__split_huge_pmd()).
  // zap_huge_pmd() clears the PMD and frees the deposited PTE table, so
  // the range is pmd_none() afterwards (a later fault may map a huge PMD
  // again).
  for (size_t i = 0; i < mm.tables.size();) {
    pte_table &t = mm.tables[i];
    if (!t.pmd_leaf || t.base >= end || t.base + HPAGE_PMD_NR <= start) {
      i++;
      continue;
    }
    if (start <= t.base && t.base + HPAGE_PMD_NR <= end) {
      GUP_COV(zap_pte_range_huge);
      zap_huge_pmd(k, mm, t);
      mm.tables.erase(mm.tables.begin() + long(i));
      continue;
    }
    GUP_COV(zap_pte_range_split_pmd);
    __split_huge_pmd(k, mm, t);
    i++;
  }
  for (uint64_t vpn = start; vpn < end; vpn++) {
    pte_t *pte = pte_offset(mm, vpn);
    if (!pte) continue;
    if (!pte->present) {
      // zap_nonpresent_ptes(): a hwpoison entry is simply cleared.
      *pte = pte_t{};
      continue;
    }
    const pte_t old = *pte;
    pfn_t page = vm_normal_page(k, vma, vpn, old);
    *pte = pte_t{};  // ptep_get_and_clear_full()
    if (!page) {  // special: only the PTE goes
      GUP_COV(zap_pte_range_special);
      ksm_might_unmap_zero_page(mm, old);
      continue;
    }
    folio &f = k.folios[page];
    if (!f.anon && old.dirty) {
      GUP_COV(zap_pte_range_file_dirty);
      f.dirty = true;
    }
    GUP_COV(zap_pte_range_page);
    mm.rss[mm_counter(k, f)]--;
    folio_remove_rmap_pte(k, page);
    folio_put(k, page);  // __tlb_remove_folio_pages(), batched in the kernel
  }
}

// Models: mm/memory.c copy_present_pte() / copy_present_page() and
// mm/rmap.h __folio_try_dup_anon_rmap() with folio_needs_cow_for_dma() (v6.18)
int copy_present_pte(kernel_state &k, int src_pid, int dst_pid, vm_area_struct &src_vma, vm_area_struct &dst_vma,
                     uint64_t vpn) {
  mm_struct &src_mm = mm_of(k, src_pid);
  pte_t *src = pte_offset(src_mm, vpn);
  pte_t pte = *src;
  pfn_t page = vm_normal_page(k, src_vma, vpn, pte);
  mm_struct &dst_mm = mm_of(k, dst_pid);
  if (page && k.folios[page].anon) {
    folio &pg = k.folios[page];       // the page: PageAnonExclusive, data
    folio &f = page_folio(k, page);   // the folio: counts
    if (pg.anon_exclusive) {
      // folio_needs_cow_for_dma(): a possibly pinned page must not be shared
      // with the child (70e806e4e645), so the child gets a copy right now.
      if (is_cow_mapping(src_vma.vm_flags) && src_mm.has_pinned && folio_maybe_dma_pinned(f) &&
          !k.sw.fork_shares_pinned_pages) {
        GUP_COV(copy_present_pte_pinned_copy);
        const pfn_t np = alloc_new_anon_folio(k, dst_vma, pg.data);  // invalidates pg, f
        dst_mm.rss[MM_ANONPAGES]++;
        *pte_alloc(dst_mm, vpn) = mkdirty_maybe_mkwrite(mk_pte(k, dst_vma, np), dst_vma);
        return 0;
      }
      GUP_COV(copy_present_pte_shares_excl);
      if (is_cow_mapping(src_vma.vm_flags) && src_mm.has_pinned && folio_maybe_dma_pinned(f))
        GUP_COV(copy_present_pte_pinned_shared);
      pg.anon_exclusive = false;  // ClearPageAnonExclusive()
    } else {
      GUP_COV(copy_present_pte_anon_shared);
    }
    f.refcount++;
    f.mapcount++;
    dst_mm.rss[MM_ANONPAGES]++;
  } else if (page) {
    GUP_COV(copy_present_pte_file);
    folio &f = k.folios[page];
    f.refcount++;
    f.mapcount++;  // folio_dup_file_rmap_pte()
    dst_mm.rss[mm_counter_file(k, f)]++;
  } else {
    GUP_COV(copy_present_pte_special);
  }
  // If it's a COW mapping, write protect it in both processes.
  if (is_cow_mapping(src_vma.vm_flags) && pte.write) {
    GUP_COV(copy_present_pte_wrprotect);
    src->write = false;
    pte.write = false;
  }
  if (page && k.folios[page].anon && k.folios[page].anon_exclusive)
    warn(k, "VM_BUG_ON(anon page still exclusive after dup) in copy_present_pte()");
  if (src_vma.vm_flags & VM_SHARED) pte.dirty = false;  // pte_mkclean()
  pte.young = false;                                   // pte_mkold()
  *pte_alloc(dst_mm, vpn) = pte;
  return 0;
}

// Models: mm/memory.c free_pgtables() (v6.18): page tables no VMA covers any more go.
void free_pgtables(mm_struct &mm) {
  auto covered = [&](const pte_table &t) {
    for (const auto &v : mm.vmas)
      if (v.vm_start < t.base + PTRS_PER_PTE && t.base < v.vm_end) return true;
    return false;
  };
  for (size_t i = 0; i < mm.tables.size();) {
    if (!covered(mm.tables[i])) {
      for (const pte_t &p : mm.tables[i].ptes)
        if (p.present) throw model_bug("free_pgtables(): a present PTE outside every VMA");
      mm.tables.erase(mm.tables.begin() + i);
    } else {
      i++;
    }
  }
}

// Models: mm/memory.c __access_remote_vm() (v6.18) as fs/proc/base.c
// mem_rw() drives it: FOLL_FORCE (proc_mem_foll_force(), default "always").
// Stubbed: no VMA in the model has vm_ops->access (generic_access_phys()).
remote_result access_remote_vm(kernel_state &k, int target, uint64_t vpn, bool write, uint64_t value) {
  remote_result r;
  std::vector<pfn_t> pages;
  const long ret = get_user_pages_remote(k, target, vpn, 1, FOLL_FORCE | (write ? FOLL_WRITE : 0), &pages);
  if (ret <= 0) {
    GUP_COV(access_remote_vm_fail);
    r.ret = -EIO;  // mem_rw(): nothing copied
    return r;
  }
  r.pfn = pages[0];
  if (write) {
    GUP_COV(access_remote_vm_write);
    write_pfn(k, r.pfn, value);  // copy_to_user_page()
    k.folios[r.pfn].dirty = true;  // set_page_dirty_lock()
    r.value = value;
  } else {
    GUP_COV(access_remote_vm_read);
    r.value = read_pfn(k, r.pfn);
  }
  put_page(k, r.pfn);
  return r;
}

}  // namespace gupcheck::model

// SPDX-License-Identifier: GPL-2.0-only
//
// System calls on the address space: mmap, munmap, mprotect, madvise,
// fork, exit, UFFDIO_ZEROPAGE, and the user's own loads and stores.
#include <algorithm>

#include "model/kernel.h"

namespace gupcheck::model {

namespace {

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

// Models: mm/mprotect.c can_change_pte_writable() (v6.18)
bool can_change_pte_writable(kernel_state &k, const vm_area_struct &vma, uint64_t vpn, const pte_t &pte) {
  if (!(vma.vm_flags & VM_WRITE)) {
    warn(k, "WARN_ON_ONCE(!VM_WRITE) in can_change_pte_writable()");
    return false;
  }
  if (pte.protnone) return false;
  if (!(vma.vm_flags & VM_SHARED)) {
    // Writable MAP_PRIVATE: only exclusive anonymous pages, which the write
    // fault handler would map writable without further checks anyway.
    pfn_t page = vm_normal_page(k, vma, vpn, pte);
    return page && k.folios[page].anon && k.folios[page].anon_exclusive;
  }
  if (is_zero_pfn(pte.pfn) && pte.dirty) warn(k, "dirty zero page in a shared mapping");
  // Writable MAP_SHARED: "clean" might mean the file system still needs a write fault.
  return pte.dirty;
}

// Models: mm/huge_memory.c vma_adjust_trans_huge() (v6.18): a VMA boundary
// at vpn inside a PMD leaf splits it.
void split_huge_pmd_at(kernel_state &k, mm_struct &mm, uint64_t vpn) {
  if (vpn % HPAGE_PMD_NR) split_huge_pmd_range(k, mm, vpn, vpn + 1);
}

// Models: mm/mprotect.c change_pte_range() (v6.18) for one VMA, with
// change_huge_pmd() for the PMD leaves in it.
void change_pte_range(kernel_state &k, int pid, const vm_area_struct &vma) {
  mm_struct &mm = k.tasks[pid].mm;
  for (pte_table &t : mm.tables) {
    if (!t.pmd_leaf || t.base >= vma.vm_end || t.base + HPAGE_PMD_NR <= vma.vm_start) continue;
    // pmd_modify(oldpmd, newprot)
    t.pmd_protnone = !(vma.vm_flags & VM_ACCESS_FLAGS);
    if (!(vma.vm_flags & VM_WRITE) || t.pmd_protnone) {
      t.pmd_write = false;
    } else if (!(vma.vm_flags & VM_SHARED) && !is_huge_zero_pfn(k, t.pmd_pfn) &&
               k.folios[t.pmd_pfn].anon_exclusive) {
      t.pmd_write = true;  // can_change_pmd_writable(): an exclusive anonymous folio
    }
  }
  // vma_wants_manual_pte_write_upgrade()
  const bool try_writable = (vma.vm_flags & VM_SHARED)
                                ? ((vma.vm_flags & VM_WRITE) && !vm_page_prot_writable(k, vma))
                                : bool(vma.vm_flags & VM_WRITE);
  for (uint64_t vpn = vma.vm_start; vpn < vma.vm_end; vpn++) {
    pte_t *pte = pte_offset(mm, vpn);
    if (!pte || !pte->present) continue;
    // pte_modify(oldpte, vm_page_prot): the protection bits follow the new
    // vm_page_prot; pfn, special, young and dirty stay.
    const pte_t prot = mk_pte(k, vma, pte->pfn);
    pte->protnone = prot.protnone;
    pte->write = prot.write;
    if (try_writable && !pte->write && can_change_pte_writable(k, vma, vpn, *pte)) pte->write = true;
  }
}

vm_flags_t calc_vm_prot_bits(vm_flags_t prot) { return prot & (VM_READ | VM_WRITE | VM_EXEC); }

}  // namespace

// Models: mm/mmap.c do_mmap() -> mmap_region() (v6.18), with the ->mmap of
// the backing: shmem_zero_setup() for shared anonymous memory, a
// remap_pfn_range() driver, or a VM_MIXEDMAP driver.
// Differs: get_unmapped_area() is a per-mm bump allocator leaving a one-page
// gap after every mapping, so separate mmaps never merge or reuse addresses.
long do_mmap(kernel_state &k, int pid, const mmap_args &a) {
  if (a.npages == 0) return -EINVAL;
  // secretmem_mmap(): only MAP_SHARED mappings of a memfd_secret fd.
  if (a.backing == vma_backing::secretmem && !a.shared) return -EINVAL;
  mm_struct &mm = k.tasks[pid].mm;
  if (mm.mmap_hint + a.npages + 1 > TASK_SIZE_VPN) return -ENOMEM;
  vm_area_struct vma;
  vma.vm_start = mm.mmap_hint;
  vma.vm_end = vma.vm_start + a.npages;
  vma.vm_flags = calc_vm_prot_bits(a.prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  if (a.shared) vma.vm_flags |= VM_SHARED | VM_MAYSHARE;
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
  // thp_get_unmapped_area(): a private anonymous mapping whose length is a
  // multiple of the PMD size gets a PMD-aligned start (v6.12: d4148aeab412
  // "mm, mmap: limit THP alignment of anonymous mappings to PMD-aligned
  // sizes"); MADV_HUGEPAGE (the thp option) aligns any length here.
  if ((a.thp || a.npages % HPAGE_PMD_NR == 0) && a.backing == vma_backing::anon && !a.shared) {
    vma.vm_start = (mm.mmap_hint + HPAGE_PMD_NR - 1) / HPAGE_PMD_NR * HPAGE_PMD_NR;
    vma.vm_end = vma.vm_start + a.npages;
    if (vma.vm_end + 1 > TASK_SIZE_VPN) return -ENOMEM;
    if (a.thp) vma.vm_flags |= VM_HUGEPAGE;
  }
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

// Models: mm/mprotect.c do_mprotect_pkey() -> mprotect_fixup() (v6.18)
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

long do_mprotect(kernel_state &k, int pid, uint64_t start, uint64_t npages, vm_flags_t prot) {
  mm_struct &mm = k.tasks[pid].mm;
  const uint64_t end = start + npages;
  const vm_area_struct *first = find_vma(mm, start);
  if (!first) return -ENOMEM;
  uint64_t nstart = start;
  long err = 0;  // the VMAs already changed stay changed (and merged)
  while (nstart < end) {
    vm_area_struct *v = find_vma(mm, nstart);
    if (!v || v->vm_start > nstart) {
      err = -ENOMEM;
      break;
    }
    vm_flags_t newflags = (v->vm_flags & ~(VM_READ | VM_WRITE | VM_EXEC)) | calc_vm_prot_bits(prot);
    // mprotect_fixup(): private memory turning writable is charged; the charge
    // (VM_ACCOUNT) stays when it turns read-only again, except for anonymous
    // memory that has no anon_vma yet.
    if (newflags & VM_WRITE) {
      if (!(v->vm_flags & (VM_ACCOUNT | VM_WRITE | VM_SHARED | VM_NORESERVE))) newflags |= VM_ACCOUNT;
    } else if ((v->vm_flags & VM_ACCOUNT) && vma_is_anonymous(*v) && !v->anon_vma) {
      newflags &= ~VM_ACCOUNT;
    }
    // newflags >> 4 shift VM_MAY% in place of VM_%
    if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS) {
      err = -EACCES;
      break;
    }
    const uint64_t tmp = std::min(v->vm_end, end);
    if (newflags != v->vm_flags) {
      split_huge_pmd_at(k, mm, nstart);
      split_huge_pmd_at(k, mm, tmp);
      split_vma_at(mm, nstart);
      split_vma_at(mm, tmp);
      vm_area_struct *w = find_vma(mm, nstart);
      const vm_flags_t oldflags = w->vm_flags;
      w->vm_flags = newflags;
      change_pte_range(k, pid, *w);
      // mprotect_fixup(): a locked private VMA turning writable is populated
      // for writing at once (populate_vma_page_range(); found by gupcheck diff).
      if ((oldflags & (VM_WRITE | VM_SHARED | VM_LOCKED)) == VM_LOCKED && (newflags & VM_WRITE))
        __mm_populate(k, pid, nstart, tmp - nstart, true);
    }
    nstart = tmp;
  }
  vma_merge_neighbours(mm);
  return err;
}

// Models: mm/madvise.c madvise_walk_vmas() + madvise_dontneed_single_vma()
// (v6.18) for MADV_DONTNEED.
long madvise_dontneed(kernel_state &k, int pid, uint64_t start, uint64_t npages) {
  mm_struct &mm = k.tasks[pid].mm;
  const uint64_t end = start + npages;
  long unmapped_error = 0;
  uint64_t vpn = start;
  while (vpn < end) {
    vm_area_struct *v = find_vma(mm, vpn);
    if (!v) {
      // Skip the hole up to the next VMA.
      unmapped_error = -ENOMEM;
      uint64_t next = end;
      for (const auto &w : mm.vmas)
        if (w.vm_start > vpn) {
          next = std::min(next, w.vm_start);
          break;
        }
      vpn = next;
      continue;
    }
    // madvise_dontneed_free_valid_vma()
    if (v->vm_flags & (VM_LOCKED | VM_PFNMAP)) return -EINVAL;
    const uint64_t stop = std::min(v->vm_end, end);
    zap_pte_range(k, pid, *v, vpn, stop);
    vpn = stop;
  }
  return unmapped_error;
}

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
    if (src.vm_flags & VM_DONTCOPY) continue;
    vm_area_struct dst = src;
    // vm_flags_clear(tmp, VM_LOCKED_MASK): mlock is not inherited.
    dst.vm_flags &= ~(VM_LOCKED | VM_LOCKONFAULT);
    if (src.vm_flags & VM_WIPEONFORK) {
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
      copy_present_pte(k, pid, child, src, dvma, vpn);
    }
    if (is_cow) pmm.write_protect_seq++;  // raw_write_seqcount_end()
  }
  return child;
}

// Models: mm/mmap.c exit_mmap() (v6.18)
void exit_mmap(kernel_state &k, int pid) {
  mm_struct &mm = k.tasks[pid].mm;
  for (const auto &v : mm.vmas) zap_pte_range(k, pid, v, v.vm_start, v.vm_end);
  mm.vmas.clear();
  free_pgtables(mm);
  k.tasks[pid].alive = false;
}

// Models: mm/userfaultfd.c mfill_atomic() -> mfill_atomic_pte() ->
// mfill_atomic_pte_zeropage() (v6.18): only anonymous and shmem VMAs can be
// filled; a VM_SHARED (shmem) VMA gets a zeroed shmem folio
// (shmem_mfill_atomic_pte()), any private one -- a private mapping of a
// shmem file included -- the zero page. The differential oracle found that
// the model refused shmem VMAs with -EINVAL.
// Differs: the range counts as registered with userfaultfd (MISSING mode).
long mfill_atomic_zeropage(kernel_state &k, int pid, uint64_t vpn) {
  mm_struct &mm = k.tasks[pid].mm;
  vm_area_struct *v = find_vma(mm, vpn);
  if (!v) return -ENOENT;
  if (!vma_is_anonymous(*v) && v->backing != vma_backing::shmem) return -EINVAL;
  if (v->vm_flags & VM_SHARED) return shmem_mfill_atomic_zeropage(k, pid, *v, vpn);
  if (const pte_table *t = pmd_offset(mm, vpn); t && t->pmd_leaf) return -EEXIST;  // mm_alloc_pmd(): pmd_trans_huge()
  anon_vma_prepare(k, *v);  // mfill_atomic(): for every private VMA
  pte_t *pte = pte_alloc(mm, vpn);
  if (!pte_none(*pte)) return -EEXIST;
  if (mm.forbids_zeropage) {
    // mfill_atomic_pte_zeroed_folio() -> mfill_atomic_install_pte(): a
    // zeroed anonymous folio instead, mapped dirty and writable if the VMA is.
    *pte = mkdirty_maybe_mkwrite(mk_pte(k, *v, alloc_new_anon_folio(k, *v, 0)), *v);
    mm.rss[MM_ANONPAGES]++;
    return 0;
  }
  *pte = mk_pte(k, *v, ZERO_PFN);
  pte->special = true;
  return 0;
}

// A user load or store: the CPU walks the page table and, when the PTE does
// not allow the access, the arch fault handler (access_error()) and
// handle_mm_fault() run, then the access is retried.
access_result user_access(kernel_state &k, int pid, uint64_t vpn, bool write, uint64_t value) {
  access_result r;
  mm_struct &mm = k.tasks[pid].mm;
  vm_area_struct *vma = find_vma(mm, vpn);
  if (!vma) {
    r.signal = SIGSEGV_NR;
    return r;
  }
  // access_error(): a store needs VM_WRITE, a load VM_READ (or VM_WRITE on x86).
  if (write ? !(vma->vm_flags & VM_WRITE) : !(vma->vm_flags & (VM_READ | VM_WRITE))) {
    r.signal = SIGSEGV_NR;
    return r;
  }
  for (int tries = 0; tries < 4; tries++) {
    if (pte_table *t = pmd_offset(mm, vpn); t && t->pmd_leaf && !t->pmd_protnone && (!write || t->pmd_write)) {
      t->pmd_young = true;
      r.pfn = t->pmd_pfn + (vpn - t->base);
      if (write) {
        t->pmd_dirty = true;
        write_pfn(k, r.pfn, value);
        r.value = value;
      } else {
        r.value = read_pfn(k, r.pfn);
      }
      return r;
    }
    pte_t *pte = pte_offset(mm, vpn);
    if (pte && pte->present && !pte->protnone && (!write || pte->write)) {
      pte->young = true;
      r.pfn = pte->pfn;
      if (write) {
        pte->dirty = true;
        write_pfn(k, pte->pfn, value);
        r.value = value;
      } else {
        r.value = read_pfn(k, pte->pfn);
      }
      return r;
    }
    unsigned ret = handle_mm_fault(k, pid, *vma, vpn, FAULT_FLAG_USER | (write ? FAULT_FLAG_WRITE : 0));
    if (ret & VM_FAULT_ERROR) {
      r.signal = (ret & VM_FAULT_SIGSEGV) ? SIGSEGV_NR : SIGBUS_NR;
      return r;
    }
  }
  throw model_bug("user_access(): the fault handler does not make progress");
}


// ---------------------------------------------------------------------------
// Populate, mlock, the other madvise advice, memory failure, the s390
// zero-page switch, move_pages' status lookup and remote access.

namespace {

bool vma_is_accessible(const vm_area_struct &vma) { return vma.vm_flags & VM_ACCESS_FLAGS; }

// The next VMA starting after vpn, or end.
uint64_t next_vma_start(const mm_struct &mm, uint64_t vpn, uint64_t end) {
  for (const auto &w : mm.vmas)
    if (w.vm_start > vpn) return std::min(end, w.vm_start);
  return end;
}

// Models: mm/madvise.c madvise_walk_vmas() + madvise_update_vma() (v6.18)
// for advice that only changes vm_flags: VMAs are split to the range.
// Return: 0, -ENOMEM when part of the range was unmapped, or the advice's error.
template <typename F>
long madvise_walk_flags(kernel_state &k, int pid, uint64_t start, uint64_t npages, F new_flags) {
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
    vm_flags_t nf = v->vm_flags;
    if (long err = new_flags(*v, nf)) return err;
    if (nf != v->vm_flags) {
      split_huge_pmd_at(k, mm, vpn);  // vma_adjust_trans_huge()
      split_huge_pmd_at(k, mm, stop);
      split_vma_at(mm, vpn);
      split_vma_at(mm, stop);
      find_vma(mm, vpn)->vm_flags = nf;
    }
    vpn = stop;
  }
  return unmapped_error;
}

// A VMA with a vm_file: everything but private and shared anonymous memory
// (shared anonymous memory is shmem and has one).
bool vma_has_file(const vm_area_struct &v) { return v.backing != vma_backing::anon; }

// Models: mm/memory-failure.c madvise_inject_error() (v6.18) for MADV_HWPOISON.
long madvise_inject_error(kernel_state &k, int pid, uint64_t start, uint64_t npages) {
  for (uint64_t vpn = start; vpn < start + npages; vpn++) {
    std::vector<pfn_t> pages;
    long nr_fast = 0;
    const long ret = get_user_pages_fast(k, pid, vpn, 1, 0, &pages, &nr_fast);
    if (ret != 1) return ret;
    // Differs: the kernel hands this reference to memory_failure()
    // (MF_COUNT_INCREASED), which keeps it on the poisoned page for ever;
    // the model drops it so reference counts stay checkable.
    const long err = memory_failure(k, pages[0]);
    put_page(k, pages[0]);
    if (err) return err;
  }
  return 0;
}

}  // namespace

// Models: mm/gup.c populate_vma_page_range() (v6.18)
long populate_vma_page_range(kernel_state &k, int pid, vm_area_struct &vma, uint64_t start, uint64_t end) {
  const long nr_pages = long(end - start);
  // The VM_LOCKONFAULT case has never used faultin_page() to break COW.
  if (vma.vm_flags & VM_LOCKONFAULT) return nr_pages;
  unsigned gup_flags = FOLL_TOUCH;
  // Touch writable private mappings with a write fault to break COW; shared
  // mappings don't COW and would only be dirtied for nothing.
  if ((vma.vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE) gup_flags |= FOLL_WRITE;
  // mlock succeeds for regions with any permissions other than PROT_NONE.
  if (vma_is_accessible(vma)) gup_flags |= FOLL_FORCE;
  return __get_user_pages(k, pid, start, nr_pages, gup_flags, nullptr);
}

// Models: mm/gup.c __mm_populate() (v6.18)
long __mm_populate(kernel_state &k, int pid, uint64_t start, uint64_t npages, bool ignore_errors) {
  mm_struct &mm = k.tasks[pid].mm;
  const uint64_t end = start + npages;
  long ret = 0;
  for (uint64_t nstart = start, nend; nstart < end; nstart = nend) {
    // find_vma_intersection()
    vm_area_struct *vma = nullptr;
    for (auto &v : mm.vmas)
      if (v.vm_end > nstart && v.vm_start < end) {
        vma = &v;
        break;
      }
    if (!vma) break;
    nend = std::min(end, vma->vm_end);
    if (vma->vm_flags & (VM_IO | VM_PFNMAP)) continue;
    if (nstart < vma->vm_start) nstart = vma->vm_start;
    ret = populate_vma_page_range(k, pid, *vma, nstart, nend);
    if (ret < 0) {
      if (ignore_errors) {
        ret = 0;
        continue;  // continue at next VMA
      }
      break;
    }
    nend = nstart + uint64_t(ret);
    ret = 0;
  }
  return ret;
}

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
    }
    vpn = stop;
  }
  vma_merge_neighbours(mm);  // mlock_fixup() -> vma_modify_flags() merges (found by gupcheck diff)
  long err = __mm_populate(k, pid, start, npages, false);
  // __mlock_posix_error_return()
  if (err == -EFAULT) return -ENOMEM;
  if (err == -ENOMEM) return -EAGAIN;
  return err;
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

// Models: mm/memory-failure.c memory_failure() -> hwpoison_user_mappings()
// (try_to_unmap(TTU_HWPOISON)) and me_pagecache_clean()/truncate_error_folio()
// (v6.18), for an order-0 anonymous or page-cache folio.
// Differs: any other frame (the zero page, a driver page, an fsdax page) is
// refused with -EBUSY and left untouched; the kernel may still set PG_hwpoison.
long memory_failure(kernel_state &k, pfn_t pfn) {
  if (!pfn_valid(k, pfn)) return -ENXIO;
  folio &f = k.folios[pfn];
  if (f.hwpoison) return -EHWPOISON;  // TestSetPageHWPoison(): already poisoned
  if ((!f.anon && !f.pagecache) || f.fsdax) return -EBUSY;
  // try_to_split_thp_page(): Differs: only the PMD mappings are split, so
  // the poisoned page has PTEs of its own to unmap; the folio stays large.
  if (f.large)
    for (auto &t : k.tasks)
      for (auto &tab : t.mm.tables)
        if (tab.pmd_leaf && folio_pfn(k, pfn) == tab.pmd_pfn) __split_huge_pmd(k, t.mm, tab);
  f.hwpoison = true;
  // Propagate the dirty bit from the PTEs first: a clean page-cache page of
  // a file with writeback can be re-read, so its PTEs are simply zapped.
  for (auto &t : k.tasks)
    for (auto &tab : t.mm.tables)
      for (auto &p : tab.ptes)
        if (p.present && !p.special && p.pfn == pfn && p.dirty && !f.anon) f.dirty = true;
  const bool shmem = f.pagecache && k.files[f.file].shmem;
  const bool clean_file = f.pagecache && !f.dirty && k.files[f.file].needs_dirty_tracking;
  const int counter = f.anon ? MM_ANONPAGES : shmem ? MM_SHMEMPAGES : MM_FILEPAGES;
  for (auto &t : k.tasks)
    for (auto &tab : t.mm.tables)
      for (auto &p : tab.ptes) {
        if (!p.present || p.special || p.pfn != pfn) continue;
        t.mm.rss[counter]--;
        page_folio(k, pfn).mapcount--;  // the folio's (a THP page's head)
        p = pte_t{};
        p.hwpoison = !clean_file;  // make_hwpoison_entry()
        folio_put(k, pfn);
      }
  // me_pagecache_clean(): a regular file's page is truncated;
  // shmem_error_remove_folio() keeps shmem's poisoned page in the cache.
  if (f.pagecache && !shmem) {
    k.files[f.file].pages[f.index] = 0;
    f.pagecache = false;
    folio_put(k, pfn);
  }
  return 0;
}

// Models: arch/s390 gmap_helper_disable_cow_sharing() and
// __gmap_helper_unshare_zeropages() (v6.18; from "s390/mm: re-enable the
// shared zeropage for !PV and !skeys KVM guests", v6.11), reached from KVM.
long s390_disable_cow_sharing(kernel_state &k, int pid) {
  mm_struct &mm = k.tasks[pid].mm;
  if (mm.forbids_zeropage) return 0;
  mm.forbids_zeropage = true;
  // Replace all shared zeropages in COW mappings by anonymous pages.
  for (size_t i = 0; i < mm.vmas.size(); i++) {
    if (!is_cow_mapping(mm.vmas[i].vm_flags)) continue;
    // A huge zero PMD is split into zero-page PTEs first (then unshared below).
    for (pte_table &t : mm.tables)
      if (t.pmd_leaf && is_huge_zero_pfn(k, t.pmd_pfn) && t.base < mm.vmas[i].vm_end &&
          mm.vmas[i].vm_start < t.base + HPAGE_PMD_NR)
        __split_huge_pmd(k, mm, t);
    for (uint64_t vpn = mm.vmas[i].vm_start; vpn < mm.vmas[i].vm_end; vpn++) {
      const pte_t *p = pte_offset(mm, vpn);
      if (!p || !p->present || !is_zero_pfn(p->pfn)) continue;
      const unsigned ret = handle_mm_fault(k, pid, mm.vmas[i], vpn, FAULT_FLAG_UNSHARE | FAULT_FLAG_REMOTE);
      if (ret & VM_FAULT_ERROR) return -EFAULT;
    }
  }
  return 0;
}

// Models: mm/migrate.c do_pages_stat_array() (v6.18; folio_walk_start() with
// FW_ZEROPAGE since "mm/migrate: convert do_pages_stat_array() from
// follow_page() to folio_walk", David Hildenbrand, v6.12): no fault, no
// reference kept. No -EEXIST any more: that came from follow_page()'s
// follow_pfn_pte() for PFN-only PTEs; folio_walk reports those as no folio.
long do_pages_stat(kernel_state &k, int pid, uint64_t vpn) {
  mm_struct &mm = k.tasks[pid].mm;
  const vm_area_struct *vma = find_vma(mm, vpn);
  if (!vma) return -EFAULT;
  // folio_walk_start() on a PMD leaf: the huge zero folio is a zero folio too.
  if (const pte_table *t = pmd_offset(mm, vpn); t && t->pmd_leaf)
    return is_huge_zero_pfn(k, t->pmd_pfn) ? -EFAULT : 0;
  const pte_t *pte = pte_offset(mm, vpn);
  if (!pte || !pte->present) return -ENOENT;  // none, or a swap/hwpoison entry
  const pfn_t page = vm_normal_page(k, *vma, vpn, *pte);
  if (!page) return is_zero_pfn(pte->pfn) ? -EFAULT : -ENOENT;  // FW_ZEROPAGE: the zero folio
  if (k.folios[page].fsdax) return -ENOENT;  // folio_is_zone_device()
  return 0;  // folio_nid(): the model has one node
}

// Models: mm/memory.c __access_remote_vm() (v6.18) as fs/proc/base.c
// mem_rw() drives it: FOLL_FORCE (proc_mem_foll_force(), default "always").
// Stubbed: no VMA in the model has vm_ops->access (generic_access_phys()).
remote_result access_remote_vm(kernel_state &k, int target, uint64_t vpn, bool write, uint64_t value) {
  remote_result r;
  std::vector<pfn_t> pages;
  const long ret = get_user_pages_remote(k, target, vpn, 1, FOLL_FORCE | (write ? FOLL_WRITE : 0), &pages);
  if (ret <= 0) {
    r.ret = -EIO;  // mem_rw(): nothing copied
    return r;
  }
  r.pfn = pages[0];
  if (write) {
    write_pfn(k, r.pfn, value);  // copy_to_user_page()
    k.folios[r.pfn].dirty = true;  // set_page_dirty_lock()
    r.value = value;
  } else {
    r.value = read_pfn(k, r.pfn);
  }
  put_page(k, r.pfn);
  return r;
}

// Models: mm/process_vm_access.c process_vm_rw_single_vec() (v6.18).
remote_result process_vm_rw(kernel_state &k, int target, uint64_t vpn, bool write, uint64_t value) {
  remote_result r;
  std::vector<pfn_t> pages;
  const long ret = pin_user_pages_remote(k, target, vpn, 1, write ? FOLL_WRITE : 0, &pages);
  if (ret <= 0) {
    r.ret = -EFAULT;
    return r;
  }
  r.pfn = pages[0];
  if (write) {
    write_pfn(k, r.pfn, value);
    k.folios[r.pfn].dirty = true;  // unpin_user_pages_dirty_lock(.., true)
    r.value = value;
  } else {
    r.value = read_pfn(k, r.pfn);
  }
  unpin_user_page(k, r.pfn);
  return r;
}

}  // namespace gupcheck::model

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

// Models: mm/mprotect.c change_pte_range() (v6.18) for one VMA.
void change_pte_range(kernel_state &k, int pid, const vm_area_struct &vma) {
  mm_struct &mm = k.tasks[pid].mm;
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
  if (a.backing == vma_backing::anon && a.shared) {
    vma.backing = vma_backing::shmem;  // shmem_zero_setup()
    vma.file = file_create(k, true);
  }
  if ((vma.backing == vma_backing::file || vma.backing == vma_backing::shmem) &&
      (vma.file < 0 || size_t(vma.file) >= k.files.size()))
    throw model_bug("do_mmap(): file mapping without a file");
  if (a.backing == vma_backing::mixedmap) vma.vm_flags |= VM_MIXEDMAP;
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
  return long(vma.vm_start);
}

// Models: mm/vma.c do_vmi_munmap() (v6.18)
long do_munmap(kernel_state &k, int pid, uint64_t start, uint64_t npages) {
  if (npages == 0) return -EINVAL;
  mm_struct &mm = k.tasks[pid].mm;
  const uint64_t end = start + npages;
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
      split_vma_at(mm, nstart);
      split_vma_at(mm, tmp);
      vm_area_struct *w = find_vma(mm, nstart);
      w->vm_flags = newflags;
      change_pte_range(k, pid, *w);
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
    cmm.forbids_zeropage = pmm.forbids_zeropage;
    cmm.mmap_hint = pmm.mmap_hint;
  }
  const size_t nvmas = k.tasks[pid].mm.vmas.size();
  for (size_t i = 0; i < nvmas; i++) {
    vm_area_struct &src = k.tasks[pid].mm.vmas[i];
    if (src.vm_flags & VM_DONTCOPY) continue;
    vm_area_struct dst = src;
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
      const pte_t *p = pte_offset(pmm, vpn);
      if (!p || !p->present) continue;
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
  anon_vma_prepare(k, *v);  // mfill_atomic(): for every private VMA
  pte_t *pte = pte_alloc(mm, vpn);
  if (pte->present) return -EEXIST;
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

}  // namespace gupcheck::model

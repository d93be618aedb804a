// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors mm/gup.c (Linux v6.18): get_user_pages and friends, GUP-fast,
// populate, and the migrate-then-pin path of FOLL_LONGTERM.
#include <algorithm>

#include "model/coverage.h"
#include "model/kernel.h"
#include "model/mm_internal.h"

namespace gupcheck::model {

namespace {

// Models: mm/internal.h vma_is_shared_writable() + vma_needs_dirty_tracking()
// as used by writable_file_mapping_allowed() (v6.18).
bool vma_needs_dirty_tracking(const kernel_state &k, const vm_area_struct &vma) {
  if ((vma.vm_flags & (VM_SHARED | VM_WRITE)) != (VM_SHARED | VM_WRITE)) return false;
  return vma.backing == vma_backing::file && vma.file >= 0 && k.files[vma.file].needs_dirty_tracking;
}

// Models: mm/gup.c writable_file_mapping_allowed() (v6.18)
bool writable_file_mapping_allowed(const kernel_state &k, const vm_area_struct &vma, unsigned gup_flags) {
  // A long term pin is the most egregious case so this is the one we disallow.
  if ((gup_flags & (FOLL_PIN | FOLL_LONGTERM)) != (FOLL_PIN | FOLL_LONGTERM)) return true;
  return !vma_needs_dirty_tracking(k, vma);
}

// Models: mm/gup.c can_follow_write_common() (v6.18, 5535be309971)
bool can_follow_write_common(const kernel_state &k, pfn_t page, const vm_area_struct &vma, unsigned flags) {
  // If we don't have to FOLL_FORCE, we are not allowed to write.
  if (!(flags & FOLL_FORCE)) return false;
  // See check_vma_flags(): only COW mappings get here with FOLL_FORCE.
  if (vma.vm_flags & (VM_MAYSHARE | VM_SHARED)) return false;
  if (!(vma.vm_flags & VM_MAYWRITE)) return false;
  // A writable VMA would have had a writable PTE after the fault.
  if (vma.vm_flags & VM_WRITE) return false;
  // Only an exclusive anonymous page (after COW) may be written through a
  // forced write; never the page cache or the zero page.
  if (!page) return false;
  const folio &f = k.folios[page];
  if (f.anon && f.anon_exclusive) {
    GUP_COV(can_follow_write_common_excl);
    return true;
  }
  GUP_COV(can_follow_write_common_refused);
  return false;
}

// Models: mm/gup.c follow_pfn_pte() (v6.18; seed d's clean-up merged)
long follow_pfn_pte(pte_t *pte, unsigned flags) {
  if (flags & FOLL_TOUCH) {
    if (flags & FOLL_WRITE) pte->dirty = true;
    pte->young = true;
  }
  // Proper page table entry exists, but no corresponding struct page.
  return -EEXIST;
}

void mm_set_has_pinned_flag(mm_struct &mm) { mm.has_pinned = true; }

// Models: mm/gup.c gup_vma_lookup() (no stack expansion).
vm_area_struct *gup_vma_lookup(mm_struct &mm, uint64_t vpn) { return find_vma(mm, vpn); }

// Models: mm/gup.c try_get_folio() as used by try_grab_folio_fast().
bool try_get_folio(kernel_state &k, pfn_t page, int refs) {
  folio &f = page_folio(k, page);
  if (f.refcount <= 0) return false;  // folio_ref_try_add() fails on a freed folio
  // The overflow guard (8fde12ca79af): see REFCOUNT_CEILING.
  if (!k.sw.refcount_unchecked && long(f.refcount) + refs > refcount_ceiling(k)) return false;
  f.refcount += refs;
  return true;
}

// Models: mm/gup.c gup_fast_folio_allowed() (v6.18)
bool gup_fast_folio_allowed(const kernel_state &k, pfn_t page, unsigned flags) {
  const folio &f = page_folio(k, page);
  bool reject_file_backed = (flags & (FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE)) == (FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE);
  // CONFIG_SECRETMEM: order-0 folios need their mapping checked too.
  bool check_secretmem = !f.large;
  if (!reject_file_backed && !check_secretmem) return true;
  // folio->mapping: anonymous folios pose no problem; a folio without a
  // mapping (a driver's page, or truncated) is refused, the slow path decides.
  if (f.anon) return true;
  if (!f.pagecache) return false;
  // folio_is_secretmem(): never through GUP-fast (H4).
  if (check_secretmem && f.secretmem) return false;
  // The only remaining allowed file system is shmem.
  return !reject_file_backed || k.files[f.file].shmem;
}

// Models: mm/gup.c try_grab_folio_fast() (v6.18)
bool try_grab_folio_fast(kernel_state &k, pfn_t page, int refs, unsigned flags) {
  if (!(flags & (FOLL_GET | FOLL_PIN))) return false;
  if (flags & FOLL_GET) return try_get_folio(k, page, refs);
  // Don't take a pin on the zero page.
  if (k.folios[page].zero && !k.sw.zero_page_pins_counted) return true;
  // The overflow guard (8fde12ca79af): see REFCOUNT_CEILING. A large folio
  // takes one reference per page and counts pins in _pincount.
  if (!k.sw.refcount_unchecked &&
      long(page_folio(k, page).refcount) + (page_folio(k, page).large ? refs : refs * GUP_PIN_COUNTING_BIAS) > refcount_ceiling(k))
    return false;
  if (!try_get_folio(k, page, refs)) return false;
  // Can't do FOLL_LONGTERM + FOLL_PIN gup fast path if not in a right zone,
  // so fail and let the caller fall back to the slow path.
  if ((flags & FOLL_LONGTERM) && !folio_is_longterm_pinnable(page_folio(k, page)) &&
      !(page_folio(k, page).fsdax && k.sw.fsdax_longterm_pin_allowed)) {  // variant: pre-v4.15 (bug 15)
    folio_put(k, page, refs);
    return false;
  }
  folio &f = page_folio(k, page);
  if (f.large)
    f.pincount += refs;
  else
    f.refcount += refs * (GUP_PIN_COUNTING_BIAS - 1);
  k.nr_foll_pin_acquired += refs;
  return true;
}

}  // namespace

// Models: mm/gup.c check_vma_flags() (v6.18)
long check_vma_flags(const kernel_state &k, const vm_area_struct &vma, unsigned gup_flags) {
  const vm_flags_t vm_flags = vma.vm_flags;
  const bool write = gup_flags & FOLL_WRITE;
  const bool vma_anon = vma_is_anonymous(vma);
  if (vm_flags & (VM_IO | VM_PFNMAP)) {
    GUP_COV(check_vma_flags_pfnmap);
    return -EFAULT;
  }
  if ((gup_flags & FOLL_ANON) && !vma_anon) {
    GUP_COV(check_vma_flags_foll_anon);
    return -EFAULT;
  }
  if ((gup_flags & FOLL_LONGTERM) && vma_is_fsdax(k, vma) && !k.sw.fsdax_longterm_pin_allowed) {
    GUP_COV(check_vma_flags_fsdax_longterm);
    return -EOPNOTSUPP;
  }  // variant: pre-get_user_pages_longterm() (v4.15) had no such refusal
  if (vma_is_secretmem(vma)) {
    GUP_COV(check_vma_flags_secretmem);
    return -EFAULT;
  }
  if (write) {
    if (!vma_anon && !writable_file_mapping_allowed(k, vma, gup_flags)) {
      GUP_COV(check_vma_flags_dirty_tracking);
      return -EFAULT;
    }
    if (!(vm_flags & VM_WRITE)) {
      if (!(gup_flags & FOLL_FORCE)) {
        GUP_COV(check_vma_flags_write_no_force);
        return -EFAULT;
      }
      // We used to let the write,force case do COW in a VM_MAYWRITE VM_SHARED
      // !VM_WRITE vma; anon pages in shared mappings are surprising: reject.
      if (!is_cow_mapping(vm_flags)) {
        GUP_COV(check_vma_flags_force_shared);
        return -EFAULT;
      }
      GUP_COV(check_vma_flags_force_cow);
    }
  } else if (!(vm_flags & VM_READ)) {
    if (!(gup_flags & FOLL_FORCE)) {
      GUP_COV(check_vma_flags_read_refused);
      return -EFAULT;
    }
    if (!(vm_flags & VM_MAYREAD)) return -EFAULT;
    GUP_COV(check_vma_flags_force_read);
  }
  return 0;
}

// Models: mm/gup.c can_follow_write_pte() (v6.18). Stubbed: no soft-dirty or
// uffd-wp tracking, so no write fault is required for those reasons.
bool can_follow_write_pte(const kernel_state &k, const pte_t &pte, pfn_t page, const vm_area_struct &vma,
                          unsigned flags) {
  if (pte.write) return true;
  // Variant (pre-5535be309971, CVE-2022-2590): "FOLL_FORCE can write to
  // even unwritable PTEs in COW mappings" once FOLL_COW is set, judged by
  // pte_dirty() alone, whatever page the PTE maps now.
  if (k.sw.foll_cow_follows_dirty_pte && (flags & FOLL_FORCE) && (flags & FOLL_COW) && pte.dirty) {
    GUP_COV(can_follow_write_pte_foll_cow);
    return true;
  }
  return can_follow_write_common(k, page, vma, flags);
}

// Models: mm/internal.h gup_must_unshare() (v6.18; a7f226604170, 84209e87c696)
bool gup_must_unshare(const kernel_state &k, const vm_area_struct *vma, unsigned flags, pfn_t page) {
  // If we're not pinning R/O, no need to unshare.
  if ((flags & (FOLL_WRITE | FOLL_PIN)) != FOLL_PIN) return false;
  const folio &f = k.folios[page];
  if (!f.anon) {
    if (k.sw.longterm_pin_keeps_non_anon) {  // variant: pre-84209e87c696
      if ((flags & FOLL_LONGTERM) && (!vma || is_cow_mapping(vma->vm_flags))) GUP_COV(gup_must_unshare_longterm_kept);
      return false;
    }
    // R/O short-term pins need not observe later changes; long-term ones do,
    // so the zero page or page cache in a COW mapping must be unshared.
    if (!(flags & FOLL_LONGTERM)) return false;
    if (!vma) {  // GUP-fast: let the slow path decide
      GUP_COV(gup_must_unshare_fast);
      return true;
    }
    if (!is_cow_mapping(vma->vm_flags)) return false;
    GUP_COV(gup_must_unshare_longterm_cow);
    return true;
  }
  if (k.sw.ro_pin_never_unshares_anon) {  // variant: pre-a7f226604170
    if (!f.anon_exclusive) GUP_COV(gup_must_unshare_anon_kept);
    return false;
  }
  if (f.anon_exclusive) return false;
  GUP_COV(gup_must_unshare_anon_shared);
  return true;
}

// Models: mm/gup.c try_grab_folio() (v6.18; c8070b787519 for the zero page)
// Return: 0, or -ENOMEM when the folio has no reference left to add to.
long try_grab_folio(kernel_state &k, pfn_t page, int refs, unsigned flags) {
  folio &f = page_folio(k, page);
  if (f.refcount <= 0) {
    warn(k, "try_grab_folio() on a folio with refcount <= 0");
    return -ENOMEM;
  }
  // The overflow guard (8fde12ca79af, CVE-2019-11487). Differs: the kernel
  // refuses (with a WARN) once the count has wrapped to <= 0; the model
  // refuses, silently, the grab that would take it past refcount_ceiling().
  const int add = (flags & FOLL_PIN) && !f.large ? refs * GUP_PIN_COUNTING_BIAS : refs;
  if ((flags & (FOLL_GET | FOLL_PIN)) && !(f.zero && (flags & FOLL_PIN) && !k.sw.zero_page_pins_counted) &&
      !k.sw.refcount_unchecked && long(f.refcount) + add > refcount_ceiling(k)) {
    GUP_COV(try_grab_folio_overflow);
    return -ENOMEM;
  }
  if (flags & FOLL_GET) {
    GUP_COV(try_grab_folio_get);
    f.refcount += refs;
  } else if (flags & FOLL_PIN) {
    // Don't take a pin on the zero page: it's not going anywhere.
    if (f.zero && !k.sw.zero_page_pins_counted) {
      GUP_COV(try_grab_folio_pin_zero);
      return k.sw.zero_page_pin_fails ? -ENOMEM : 0;
    }
    if (f.large) {
      GUP_COV(try_grab_folio_pin_large);
      f.refcount += refs;
      f.pincount += refs;
    } else {
      GUP_COV(try_grab_folio_pin_small);
      f.refcount += refs * GUP_PIN_COUNTING_BIAS;
    }
    k.nr_foll_pin_acquired += refs;
  }
  return 0;
}

// Models: mm/gup.c gup_put_folio() (v6.18)
void gup_put_folio(kernel_state &k, pfn_t page, int refs, unsigned flags) {
  folio &f = page_folio(k, page);
  if (flags & FOLL_PIN) {
    if (f.zero && !k.sw.zero_page_pins_counted) return;
    k.nr_foll_pin_released += refs;
    if (f.large)
      f.pincount -= refs;
    else
      refs *= GUP_PIN_COUNTING_BIAS;
  }
  folio_put(k, page, refs);
}

// Models: mm/gup.c unpin_user_page() (v6.18)
void unpin_user_page(kernel_state &k, pfn_t page) {
  const folio &f = k.folios[page];
  // sanity_check_pinned_pages(): small folios by their page; a THP (PTE- or
  // PMD-mapped) by the page or its head.
  if (f.anon && !f.anon_exclusive && (!f.large || !page_folio(k, page).anon_exclusive)) {
    GUP_COV(unpin_user_page_not_exclusive);
    warn(k, "sanity_check_pinned_pages(): pinned anonymous page is not exclusive");
  }
  gup_put_folio(k, page, 1, FOLL_PIN);
}

// Models: include/linux/mm.h put_page() (v6.18)
void put_page(kernel_state &k, pfn_t page) { folio_put(k, page, 1); }

// Models: mm/gup.c no_page_table() (v6.18; seed c 8e4b9a607189)
follow_result no_page_table(const vm_area_struct &vma, unsigned flags) {
  // When core dumping, a hole in memory nobody touched (no ->fault, or
  // anonymous) surely reads as zeroes: report -EFAULT so the dump skips it,
  // without allocating pages or page tables.
  if ((flags & FOLL_DUMP) && (vma_is_anonymous(vma) || !vma_has_fault_op(vma))) {
    GUP_COV(no_page_table_dump_hole);
    return {0, -EFAULT};
  }
  return {0, 0};
}

// Models: mm/gup.c follow_page_pte() (v6.18), reached through
// follow_page_mask() for an order-0 mapping.
// Return: {page, 0} with the page grabbed as FOLL_GET/FOLL_PIN ask;
//   {0, 0} when there is no page (the caller faults it in);
//   {0, -EMLINK} when a R/O pin must unshare first;
//   {0, -EFAULT} for a FOLL_DUMP hole (zero page, special PTE, untouched anon);
//   {0, -EEXIST} for a PFN-only PTE (no struct page);
//   {0, -ENOMEM} when the grab fails.
follow_result follow_page_pte(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags) {
  pte_t *pte = pte_offset(k.tasks[pid].mm, vpn);
  // A swap-type entry (here: hwpoison) is not pte_none: fault, and let the
  // fault handler report it.
  if (pte && !pte->present && !pte_none(*pte)) {
    GUP_COV(follow_page_pte_swap_entry);
    return {0, 0};
  }
  if (!pte || !pte->present) {
    // Variant (pre-8e4b9a607189, FOLL_ANON): an untouched VMA without
    // ->fault reads as the zero page, without faulting anything in.
    if (k.sw.foll_anon_zero_page && !(flags & (FOLL_WRITE | FOLL_DUMP)) && !vma_has_fault_op(vma) &&
        !(k.sw.foll_anon_spares_shared_locked && (vma.vm_flags & (VM_SHARED | VM_LOCKED)))) {
      GUP_COV(follow_page_pte_foll_anon_zero);
      if (long ret = try_grab_folio(k, ZERO_PFN, 1, flags)) return {0, ret};
      return {ZERO_PFN, 0};
    }
    GUP_COV(follow_page_pte_no_pte);
    return no_page_table(vma, flags);
  }
  // gup_can_follow_protnone(): Stubbed: FOLL_HONOR_NUMA_FAULT on an
  // inaccessible VMA would fault; without it protnone PTEs are followed.
  if (pte->protnone && (flags & FOLL_HONOR_NUMA_FAULT) && (vma.vm_flags & (VM_READ | VM_WRITE))) {
    GUP_COV(follow_page_pte_protnone);
    return {0, 0};
  }
  pfn_t page = vm_normal_page(k, vma, vpn, *pte);
  if ((flags & FOLL_WRITE) && !can_follow_write_pte(k, *pte, page, vma, flags)) {
    GUP_COV(follow_page_pte_write_fault);
    return {0, 0};
  }
  if (!page) {
    // Avoid special (like zero) pages in core dumps.
    if (flags & FOLL_DUMP) {
      GUP_COV(follow_page_pte_dump_special);
      return {0, -EFAULT};
    }
    if (is_zero_pfn(pte->pfn)) {
      GUP_COV(follow_page_pte_zero_page);
      page = pte->pfn;  // pte_page(): GUP-slow does return the zero page
    } else {
      GUP_COV(follow_page_pte_pfn_only);
      return {0, follow_pfn_pte(pte, flags)};
    }
  }
  if (!pte->write && gup_must_unshare(k, &vma, flags, page)) {
    GUP_COV(follow_page_pte_unshare);
    return {0, -EMLINK};
  }
  if ((flags & FOLL_PIN) && k.folios[page].anon && !k.folios[page].anon_exclusive)
    warn(k, "VM_BUG_ON_PAGE(FOLL_PIN on a non-exclusive anon page) in follow_page_pte()");
  if (long ret = try_grab_folio(k, page, 1, flags)) return {0, ret};
  if (flags & FOLL_TOUCH) {
    if ((flags & FOLL_WRITE) && !pte->dirty) k.folios[page].dirty = true;
    pte->young = true;  // folio_mark_accessed()
  }
  GUP_COV(follow_page_pte_grabbed);
  return {page, 0};
}

// Models: mm/gup.c follow_page_mask() -> follow_pmd_mask() (v6.18): a PMD
// leaf goes to follow_huge_pmd(), anything else to follow_page_pte().
follow_result follow_page_mask(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags,
                               unsigned *page_mask) {
  *page_mask = 0;
  if (const pte_table *t = pmd_offset(k.tasks[pid].mm, vpn); t && t->pmd_leaf)
    return follow_huge_pmd(k, pid, vma, vpn, flags, page_mask);
  return follow_page_pte(k, pid, vma, vpn, flags);
}

// Models: mm/gup.c faultin_page() (v6.18)
// Return: 0 (retry the lookup), or -EFAULT / -ENOMEM / -EHWPOISON.
long faultin_page(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags, bool unshare) {
  unsigned fault_flags = 0;
  if (flags & FOLL_NOFAULT) {
    GUP_COV(faultin_page_nofault);
    return -EFAULT;
  }
  if (flags & FOLL_WRITE) fault_flags |= FAULT_FLAG_WRITE;
  if (flags & FOLL_REMOTE) fault_flags |= FAULT_FLAG_REMOTE;
  if (unshare) {
    GUP_COV(faultin_page_unshare);
    fault_flags |= FAULT_FLAG_UNSHARE;
  }
  unsigned ret = handle_mm_fault(k, pid, vma, vpn, fault_flags);
  if (ret & VM_FAULT_ERROR) {
    GUP_COV(faultin_page_error);
    // vm_fault_to_errno()
    if (ret & VM_FAULT_OOM) return -ENOMEM;
    if (ret & VM_FAULT_HWPOISON) return (flags & FOLL_HWPOISON) ? -EHWPOISON : -EFAULT;
    return -EFAULT;
  }
  return 0;
}

namespace {

// Models: the pte_val(pte) != pte_val(ptep_get(ptep)) recheck of
// gup_fast_pte_range(): any change of the entry since the lockless read.
bool pte_same(const pte_t &a, const pte_t &b) {
  return a.pfn == b.pfn && a.present == b.present && a.write == b.write && a.dirty == b.dirty &&
         a.young == b.young && a.special == b.special && a.protnone == b.protnone;
}

}  // namespace

namespace {

// Models: the VMA lookup at the top of __get_user_pages()'s loop (v6.18),
// done again after every interleave point (mmap_lock may have been
// dropped). Return: 0 with *vma set, or the error to stop with.
long gup_lookup_vma(kernel_state &k, int pid, uint64_t start, unsigned gup_flags, vm_area_struct **vma) {
  if (!k.tasks[pid].alive) return -EFAULT;
  mmap_lock_wait(k, pid);  // the slow path holds mmap_lock: a collapse holding it finishes first
  mm_struct &mm = k.tasks[pid].mm;
  // MADV_POPULATE_(READ|WRITE) wants to handle VMA lookup+error reporting
  // differently: -ENOMEM for a hole, -EINVAL for a refusal ("mm/madvise:
  // make MADV_POPULATE_(READ|WRITE) handle VM_FAULT_RETRY properly", v6.9).
  if (gup_flags & FOLL_MADV_POPULATE) {
    *vma = find_vma(mm, start);
    if (!*vma) {
      GUP_COV(gup_lookup_vma_populate_hole);
      return -ENOMEM;
    }
    if (check_vma_flags(k, **vma, gup_flags)) return -EINVAL;
    return 0;
  }
  *vma = gup_vma_lookup(mm, start);
  if (!*vma) return -EFAULT;
  return check_vma_flags(k, **vma, gup_flags);
}

// Whether an exclusive anonymous page is mapped at vpn now, by a PTE or a
// PMD leaf: the model's stand-in for the VM_FAULT_WRITE the historical
// faultin_page() tested (do_wp_page()/do_huge_pmd_wp_page() broke COW or
// reused the page).
bool exclusive_anon_mapped(const kernel_state &k, int pid, uint64_t vpn) {
  const pfn_t pfn = mapped_pfn(k.tasks[pid].mm, vpn);
  return pfn && pfn_valid(k, pfn) && k.folios[pfn].anon && k.folios[pfn].anon_exclusive;
}

}  // namespace

// Models: mm/gup.c __get_user_pages() (v6.18), order-0 pages only, as a
// sequence of steps. Interleave points: after faultin_page() returned and
// before the retried lookup (where the kernel may have dropped and retaken
// mmap_lock: VM_FAULT_RETRY), and between pages (cond_resched()). After a
// point the VMA is looked up and checked again, as the kernel does after
// retaking mmap_lock; the model always re-looks it up (the same answer while
// nothing changed).
// Differs: the kernel holds mmap_lock for read between pages, so only
// read-locked operations (faults, MADV_DONTNEED, GUP-fast) can run there;
// the model lets any operation run (each page's lookup and grab is atomic,
// so what is reachable is the same as running the operation just after the
// call returned for the pages before it). After faultin_page(), a writer
// having run (mm->mmap_write_seq) is treated as the VM_FAULT_RETRY restart
// it implies: the page's flags go back to the caller's.
gup_task __get_user_pages_steps(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                                std::vector<pfn_t> *pages) {
  if (!nr_pages) co_return 0;
  if (!!pages != !!(gup_flags & (FOLL_GET | FOLL_PIN))) warn_misuse(k, "VM_BUG_ON(!!pages != !!(FOLL_GET|FOLL_PIN))");
  // FOLL_GET and FOLL_PIN are mutually exclusive.
  if ((gup_flags & (FOLL_PIN | FOLL_GET)) == (FOLL_PIN | FOLL_GET)) {
    warn_misuse(k, "WARN_ON_ONCE(FOLL_PIN|FOLL_GET) in __get_user_pages()");
    co_return -EINVAL;
  }
  long i = 0, ret = 0;
  do {
    if (i > 0) co_yield interleave_point{"between pages", i, false};
    // The task or its VMA may have changed at an interleave point: look
    // both up again (the kernel's lookup after retaking mmap_lock).
    if (!k.tasks[pid].alive) {
      ret = -EFAULT;
      break;
    }
    vm_area_struct *vma = nullptr;
    ret = gup_lookup_vma(k, pid, start, gup_flags, &vma);
    if (ret) break;
    // Pre-19be0eaffa3a the FOLL_WRITE drop was per page: foll_flags was
    // reset to gup_flags for every page.
    unsigned foll_flags = gup_flags;
    follow_result r;
    unsigned page_mask = 0;
    int tries = 0;
    for (;;) {
      r = follow_page_mask(k, pid, *vma, start, foll_flags, &page_mask);
      if (r.page || (r.err && r.err != -EMLINK)) break;
      if (++tries > 8) throw model_bug("__get_user_pages(): fault loop does not converge");
      ret = faultin_page(k, pid, *vma, start, foll_flags, r.err == -EMLINK);
      if (ret) break;
      // Variant (pre-19be0eaffa3a, Dirty COW, CVE-2016-5195): once the
      // write fault broke COW in a !VM_WRITE VMA, faultin_page() cleared
      // FOLL_WRITE so the retried lookup would accept the read-only PTE;
      // "the page" it then finds is whatever is mapped by then.
      // VM_FAULT_WRITE (do_wp_page() broke COW or reused the page) is
      // modelled as "an exclusive anonymous page is mapped there now".
      if (k.sw.cow_fault_drops_foll_write && (foll_flags & FOLL_WRITE) && !(vma->vm_flags & VM_WRITE) &&
          exclusive_anon_mapped(k, pid, start)) {
        GUP_COV(gup_get_user_pages_cow_drops_write);
        foll_flags &= ~FOLL_WRITE;
      }
      // Variant (pre-5535be309971): the same moment set FOLL_COW instead
      // (19be0eaffa3a's replacement for dropping FOLL_WRITE).
      if ((k.sw.foll_cow_follows_dirty_pte || k.sw.foll_cow_follows_dirty_pmd) && (foll_flags & FOLL_WRITE) && !(vma->vm_flags & VM_WRITE) &&
          exclusive_anon_mapped(k, pid, start)) {
        GUP_COV(gup_get_user_pages_foll_cow);
        foll_flags |= FOLL_COW;
      }
      const unsigned wseq = k.tasks[pid].mm.mmap_write_seq;
      const uint64_t steps = k.steps;
      co_yield interleave_point{"after faultin_page", i, false};
      // Another thread undoing each fault (MADV_DONTNEED) can make the
      // kernel retry forever; only retries nothing interrupted count
      // toward the model's convergence check.
      if (k.steps != steps) tries = 0;
      // An operation that needs mmap_lock for writing ran meanwhile, so
      // the kernel had dropped the lock (VM_FAULT_RETRY): the caller
      // restarts this page with its own flags, and what faultin_page()
      // added (the historical FOLL_COW, the dropped FOLL_WRITE) is lost.
      if (k.tasks[pid].alive && k.tasks[pid].mm.mmap_write_seq != wseq) {
        GUP_COV(gup_get_user_pages_relookup_changed);
        foll_flags = gup_flags;
      }
      GUP_COV(gup_get_user_pages_retry);
      if (!k.tasks[pid].alive) {
        ret = -EFAULT;
        break;
      }
      ret = gup_lookup_vma(k, pid, start, gup_flags, &vma);
      if (ret) break;
    }
    if (ret) break;
    if (r.err == -EEXIST) {
      // Proper page table entry exists, but no corresponding struct page.
      // If the caller expects pages to be filled in, bail out now.
      if (pages && k.sw.follow_pfn_pte_skips_under_pin && (gup_flags & FOLL_PIN)) {
        GUP_COV(gup_get_user_pages_pfn_skipped);
        // Variant (pre-Peter Xu 2022, seed d): skipped and counted, with
        // ERR_PTR(-EEXIST) left in pages[] (modelled as pfn 0).
        pages->push_back(0);
        i++;
        start++;
        nr_pages--;
        continue;
      }
      if (pages) {
        ret = r.err;
        break;
      }
    } else if (r.err) {
      ret = r.err;
      break;
    }
    // next_page: a PMD-mapped folio covers page_increm pages at once, and
    // takes one reference (or pin) per page returned.
    long page_increm = 1 + long(page_mask - (start & page_mask));
    if (page_increm > nr_pages) page_increm = nr_pages;
    if (pages) {
      pages->push_back(r.page);
      if (page_increm > 1) {
        GUP_COV(gup_get_user_pages_huge_increment);
        if (long ret2 = try_grab_folio(k, r.page, int(page_increm - 1), gup_flags)) {
          gup_put_folio(k, r.page, 1, gup_flags);
          pages->pop_back();
          ret = ret2;
          break;
        }
        for (long j = 1; j < page_increm; j++) pages->push_back(r.page + j);
      }
    }
    i += page_increm;
    start += page_increm;
    nr_pages -= page_increm;
  } while (nr_pages);
  co_return i ? i : ret;
}

long __get_user_pages(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                      std::vector<pfn_t> *pages) {
  return run_to_end(__get_user_pages_steps(k, pid, start, nr_pages, gup_flags, pages));
}

// Models: mm/gup.c __get_user_pages_locked() (v6.18). Stubbed: the
// VM_FAULT_RETRY loop; where the kernel may drop mmap_lock the model has an
// interleave point instead (see __get_user_pages_steps()).
gup_task __get_user_pages_locked_steps(kernel_state &k, int pid, uint64_t start, long nr_pages,
                                       std::vector<pfn_t> *pages, unsigned flags) {
  if (!nr_pages) co_return 0;
  if (flags & FOLL_PIN) mm_set_has_pinned_flag(k.tasks[pid].mm);
  // FOLL_GET is what to use if pages is non-null and this is not a pin.
  if (pages && !(flags & FOLL_PIN)) flags |= FOLL_GET;
  long ret;
  GUP_AWAIT(ret, __get_user_pages_steps(k, pid, start, nr_pages, flags, pages));
  co_return ret;
}

long __get_user_pages_locked(kernel_state &k, int pid, uint64_t start, long nr_pages, std::vector<pfn_t> *pages,
                             unsigned flags) {
  return run_to_end(__get_user_pages_locked_steps(k, pid, start, nr_pages, pages, flags));
}

// Models: mm/gup.c __gup_longterm_locked() (v6.18): pin, then migrate what
// is not long-term pinnable out of ZONE_MOVABLE/CMA and pin again, under
// memalloc_pin_save() so that faults in the retry allocate pinnable memory.
// Differs: memalloc_pin_save() sets PF_MEMALLOC_PIN on the calling task; the
// model keeps one counter, so while a long-term pin is in flight (stopped at
// an interleave point) other tasks' allocations avoid movable/CMA memory too.
gup_task __gup_longterm_locked_steps(kernel_state &k, int pid, uint64_t start, long nr_pages,
                                     std::vector<pfn_t> *pages, unsigned gup_flags) {
  long ret;
  if (!(gup_flags & FOLL_LONGTERM) || !pages) {
    GUP_AWAIT(ret, __get_user_pages_locked_steps(k, pid, start, nr_pages, pages, gup_flags));
    co_return ret;
  }
  const size_t from = pages->size();
  k.memalloc_pin++;  // memalloc_pin_save()
  long rc = 0, nr_pinned_pages = 0;
  for (int tries = 0;; tries++) {
    if (tries > 4) {
      k.memalloc_pin--;
      throw model_bug("__gup_longterm_locked(): migration loop does not converge");
    }
    GUP_AWAIT(nr_pinned_pages, __get_user_pages_locked_steps(k, pid, start, nr_pages, pages, gup_flags));
    if (nr_pinned_pages <= 0) {
      rc = nr_pinned_pages;
      break;
    }
    // FOLL_LONGTERM implies FOLL_PIN
    rc = check_and_migrate_movable_pages(k, *pages, from);
    if (rc != -EAGAIN) break;
    GUP_COV(gup_longterm_migrate);
  }
  k.memalloc_pin--;  // memalloc_pin_restore()
  co_return rc ? rc : nr_pinned_pages;
}

long __gup_longterm_locked(kernel_state &k, int pid, uint64_t start, long nr_pages, std::vector<pfn_t> *pages,
                           unsigned gup_flags) {
  return run_to_end(__gup_longterm_locked_steps(k, pid, start, nr_pages, pages, gup_flags));
}

// Models: mm/gup.c is_valid_gup_args() (v6.18)
bool is_valid_gup_args(const std::vector<pfn_t> *pages, unsigned *gup_flags_p, unsigned to_set) {
  unsigned gup_flags = *gup_flags_p;
  // These flags are not allowed to be specified externally to the gup interfaces.
  if (gup_flags & INTERNAL_GUP_FLAGS) return false;
  gup_flags |= to_set;
  // FOLL_GET and FOLL_PIN are mutually exclusive.
  if ((gup_flags & (FOLL_PIN | FOLL_GET)) == (FOLL_PIN | FOLL_GET)) return false;
  // LONGTERM can only be specified when pinning.
  if (!(gup_flags & FOLL_PIN) && (gup_flags & FOLL_LONGTERM)) return false;
  // Pages input must be given if using GET/PIN.
  if ((gup_flags & (FOLL_GET | FOLL_PIN)) && !pages) return false;
  // We want to allow the pgmap to be hot-unplugged at all times.
  if ((gup_flags & FOLL_LONGTERM) && (gup_flags & FOLL_PCI_P2PDMA)) return false;
  *gup_flags_p = gup_flags;
  return true;
}

// Models: mm/gup.c get_user_pages() (v6.18). Return: -EINVAL for invalid flags.
gup_task get_user_pages_steps(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                              std::vector<pfn_t> *pages) {
  if (!is_valid_gup_args(pages, &gup_flags, FOLL_TOUCH)) co_return -EINVAL;
  long ret;
  GUP_AWAIT(ret, __gup_longterm_locked_steps(k, pid, start, nr_pages, pages, gup_flags));
  co_return ret;
}

long get_user_pages(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                    std::vector<pfn_t> *pages) {
  return run_to_end(get_user_pages_steps(k, pid, start, nr_pages, gup_flags, pages));
}

// Models: mm/gup.c get_user_pages_remote() (v6.18): another mm, FOLL_REMOTE
// (faults are FAULT_FLAG_REMOTE). Return: -EINVAL for invalid flags.
long get_user_pages_remote(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                           std::vector<pfn_t> *pages) {
  if (!is_valid_gup_args(pages, &gup_flags, FOLL_TOUCH | FOLL_REMOTE)) return -EINVAL;
  return __gup_longterm_locked(k, pid, start, nr_pages, pages, gup_flags);
}

// Models: mm/gup.c pin_user_pages_remote() (v6.18). Return: 0 for invalid flags.
long pin_user_pages_remote(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                           std::vector<pfn_t> *pages) {
  if (!is_valid_gup_args(pages, &gup_flags, FOLL_PIN | FOLL_TOUCH | FOLL_REMOTE)) return 0;
  return __gup_longterm_locked(k, pid, start, nr_pages, pages, gup_flags);
}

// Models: mm/gup.c pin_user_pages() (v6.18). Return: 0 (not -EINVAL) for
// invalid flags, as the kernel does.
gup_task pin_user_pages_steps(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                              std::vector<pfn_t> *pages) {
  if (!is_valid_gup_args(pages, &gup_flags, FOLL_PIN)) co_return 0;
  long ret;
  GUP_AWAIT(ret, __gup_longterm_locked_steps(k, pid, start, nr_pages, pages, gup_flags));
  co_return ret;
}

long pin_user_pages(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                    std::vector<pfn_t> *pages) {
  return run_to_end(pin_user_pages_steps(k, pid, start, nr_pages, gup_flags, pages));
}

// Models: mm/gup.c gup_fast() -> gup_fast_pgd_range() -> gup_fast_pte_range()
// (v6.18), as a sequence of steps. Interleave points: after the lockless
// read of each PTE and before the grab (another thread may zap, fork or
// collapse meanwhile), and, for pins, after the walk and before the
// write_protect_seq recheck. Return: the number of pages taken before the
// first PTE it cannot handle locklessly.
gup_task gup_fast_steps(kernel_state &k, int pid, uint64_t start, uint64_t end, unsigned gup_flags,
                        std::vector<pfn_t> *pages) {
  // Without pte_special, GUP-fast cannot tell special PTEs from normal ones:
  // gup_fast_pte_range() takes nothing and everything goes the slow way.
  if (!k.arch_has_pte_special) co_return 0;
  // raw_read_seqcount(): a fork in progress (odd write_protect_seq) sends
  // pins to the slow path.
  const unsigned seq = k.tasks[pid].mm.write_protect_seq;
  if ((gup_flags & FOLL_PIN) && (seq & 1)) {
    GUP_COV(gup_fast_write_protect_seq_odd);
    co_return 0;
  }
  long nr = 0;
  for (uint64_t vpn = start; vpn < end; vpn++) {
    if (const pte_table *t = pmd_offset(k.tasks[pid].mm, vpn); t && t->pmd_leaf) {
      GUP_COV(gup_fast_pmd_seen);
      // gup_fast_pmd_range(): pmd_protnone() goes the slow way; gup_fast_pmd_leaf() (v6.18)
      if (t->pmd_protnone) break;
      if ((gup_flags & FOLL_WRITE) && !t->pmd_write) break;  // pmd_access_permitted()
      if (is_huge_zero_pfn(k, t->pmd_pfn)) break;  // pmd_special(): the huge zero folio
      const pfn_t page = t->pmd_pfn + (vpn - t->base);
      const uint64_t stop = std::min<uint64_t>(end, t->base + HPAGE_PMD_NR);
      const int refs = int(stop - vpn);
      if (!try_grab_folio_fast(k, page, refs, gup_flags)) break;
      if (!gup_fast_folio_allowed(k, page, gup_flags) ||
          (!t->pmd_write && gup_must_unshare(k, nullptr, gup_flags, page))) {
        gup_put_folio(k, page, refs, gup_flags);
        break;
      }
      GUP_COV(gup_fast_pmd_leaf);
      for (int j = 0; j < refs; j++) pages->push_back(page + j);
      nr += refs;
      vpn = stop - 1;
      continue;
    }
    const pte_table *pmd = pmd_offset(k.tasks[pid].mm, vpn);  // pmdp_get_lockless()
    if (!pmd) break;
    const uint32_t table_id = pmd->id;
    const pte_t *ptep = &pmd->ptes[vpn - pmd->base];
    if (!ptep->present) break;
    const pte_t pte = *ptep;  // ptep_get_lockless()
    if (pte.protnone) break;
    // pte_access_permitted(): a write needs a writable PTE.
    if ((gup_flags & FOLL_WRITE) && !pte.write) break;
    if (pte.special) {  // zero page, PFNMAP and MIXEDMAP pfns: slow path
      GUP_COV(gup_fast_pte_special);
      break;
    }
    pfn_t page = pte.pfn;
    if (!pfn_valid(k, page)) break;
    co_yield interleave_point{"gup_fast: PTE read, before the grab", long(vpn - start), true};
    // try_grab_folio_fast() fails on a folio freed meanwhile (refcount 0).
    if (!try_grab_folio_fast(k, page, 1, gup_flags)) break;
    // The recheck: the PMD and the PTE must be unchanged since the read.
    // The PTE is re-read through the table walked, which a collapse may
    // have detached from the PMD meanwhile (70cbc3cc78a9).
    const pte_table *walked = k.tasks[pid].alive ? pte_table_by_id(k.tasks[pid].mm, table_id) : nullptr;
    const pte_t *now = walked ? &walked->ptes[vpn - walked->base] : nullptr;
    const pte_table *pmd_now = k.tasks[pid].alive ? pmd_offset(k.tasks[pid].mm, vpn) : nullptr;
    // Variant (pre-70cbc3cc78a9): only the PTE was rechecked.
    const bool pmd_same = k.sw.gup_fast_skips_pmd_recheck || (pmd_now && pmd_now->id == table_id);
    bool same = now && pmd_same && pte_same(*now, pte);
    if (same && !(pmd_now && pmd_now->id == table_id)) GUP_COV(gup_fast_pmd_recheck_skipped);
    // Variant (pre-57efa1fe5957): without write_protect_seq nothing orders
    // fork's page_maybe_dma_pinned() read before its PTE write-protect
    // against GUP-fast's grab and recheck. Differs: the model is
    // sequentially consistent, so the store-buffering outcome (fork saw no
    // pin, GUP-fast's recheck saw the PTE before the write-protect) is
    // modelled by letting the recheck see the PTE as read when a fork ran
    // in between and left the same page mapped.
    if (!same && now && k.sw.gup_fast_ignores_write_protect_seq && k.tasks[pid].mm.write_protect_seq != seq &&
        now->present && now->pfn == pte.pfn) {
      GUP_COV(gup_fast_seq_ignored);
      same = true;
    }
    if (!same || !gup_fast_folio_allowed(k, page, gup_flags) ||
        (!pte.write && gup_must_unshare(k, nullptr, gup_flags, page))) {
      if (!same)
        GUP_COV(gup_fast_pte_changed);
      else
        GUP_COV(gup_fast_refused);
      gup_put_folio(k, page, 1, gup_flags);
      break;
    }
    GUP_COV(gup_fast_grabbed);
    pages->push_back(page);
    nr++;
  }
  if ((gup_flags & FOLL_PIN) && nr > 0) {
    co_yield interleave_point{"gup_fast: walk done, before the write_protect_seq check", nr - 1, true};
    // read_seqcount_retry(&mm->write_protect_seq, seq): a fork ran since
    // the walk began: drop every pin and let the slow path decide.
    if (k.tasks[pid].mm.write_protect_seq != seq && !k.sw.gup_fast_ignores_write_protect_seq) {
      GUP_COV(gup_fast_seq_changed);
      for (long i = 0; i < nr; i++) unpin_user_page(k, (*pages)[pages->size() - nr + i]);
      pages->resize(pages->size() - nr);
      co_return 0;
    }
    if (k.tasks[pid].mm.write_protect_seq != seq) GUP_COV(gup_fast_seq_ignored);
  }
  co_return nr;
}

long gup_fast(kernel_state &k, int pid, uint64_t start, uint64_t end, unsigned gup_flags,
              std::vector<pfn_t> *pages) {
  return run_to_end(gup_fast_steps(k, pid, start, end, gup_flags, pages));
}

// Models: mm/gup.c gup_fast_fallback() (v6.18)
gup_task gup_fast_fallback_steps(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                                 std::vector<pfn_t> *pages, long *nr_fast) {
  *nr_fast = 0;
  if (gup_flags & ~GUP_FAST_ALLOWED_FLAGS) {
    warn_misuse(k, "WARN_ON_ONCE(unsupported flags) in gup_fast_fallback()");
    co_return -EINVAL;
  }
  if (gup_flags & FOLL_PIN) mm_set_has_pinned_flag(k.tasks[pid].mm);
  if (nr_pages < 0) co_return -EINVAL;
  uint64_t end = start + uint64_t(nr_pages);
  if (end < start) co_return -EOVERFLOW;
  if (end > TASK_SIZE_VPN) co_return -EFAULT;
  long nr_pinned;
  GUP_AWAIT(nr_pinned, gup_fast_steps(k, pid, start, end, gup_flags, pages));
  *nr_fast = nr_pinned;
  if (nr_pinned == nr_pages || (gup_flags & FOLL_FAST_ONLY)) co_return nr_pinned;
  GUP_COV(gup_fast_fallback_slow);
  // Slow path: try to get the remaining pages with get_user_pages.
  long ret;
  GUP_AWAIT(ret, __gup_longterm_locked_steps(k, pid, start + nr_pinned, nr_pages - nr_pinned, pages,
                                             gup_flags | FOLL_TOUCH | FOLL_UNLOCKABLE));
  if (ret < 0) {
    // The caller has to unpin the pages we already pinned, so returning
    // -errno is not an option.
    if (nr_pinned) co_return nr_pinned;
    co_return ret;
  }
  co_return ret + nr_pinned;
}

long gup_fast_fallback(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                       std::vector<pfn_t> *pages, long *nr_fast) {
  return run_to_end(gup_fast_fallback_steps(k, pid, start, nr_pages, gup_flags, pages, nr_fast));
}

// Models: mm/gup.c get_user_pages_fast() (v6.18)
gup_task get_user_pages_fast_steps(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                                   std::vector<pfn_t> *pages, long *nr_fast) {
  *nr_fast = 0;
  // The caller may or may not have explicitly set FOLL_GET; either way is OK.
  if (!is_valid_gup_args(pages, &gup_flags, FOLL_GET)) co_return -EINVAL;
  long ret;
  GUP_AWAIT(ret, gup_fast_fallback_steps(k, pid, start, nr_pages, gup_flags, pages, nr_fast));
  co_return ret;
}

long get_user_pages_fast(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                         std::vector<pfn_t> *pages, long *nr_fast) {
  return run_to_end(get_user_pages_fast_steps(k, pid, start, nr_pages, gup_flags, pages, nr_fast));
}

// Models: mm/gup.c pin_user_pages_fast() (v6.18)
gup_task pin_user_pages_fast_steps(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                                   std::vector<pfn_t> *pages, long *nr_fast) {
  *nr_fast = 0;
  if (!is_valid_gup_args(pages, &gup_flags, FOLL_PIN)) co_return -EINVAL;
  long ret;
  GUP_AWAIT(ret, gup_fast_fallback_steps(k, pid, start, nr_pages, gup_flags, pages, nr_fast));
  co_return ret;
}

long pin_user_pages_fast(kernel_state &k, int pid, uint64_t start, long nr_pages, unsigned gup_flags,
                         std::vector<pfn_t> *pages, long *nr_fast) {
  return run_to_end(pin_user_pages_fast_steps(k, pid, start, nr_pages, gup_flags, pages, nr_fast));
}

// Models: mm/gup.c get_dump_page() (v6.18)
pfn_t get_dump_page(kernel_state &k, int pid, uint64_t vpn) {
  std::vector<pfn_t> pages;
  long ret = __get_user_pages_locked(k, pid, vpn, 1, &pages, FOLL_FORCE | FOLL_DUMP | FOLL_GET);
  return ret == 1 ? pages[0] : 0;
}

// Models: mm/gup.c populate_vma_page_range() (v6.18)
long populate_vma_page_range(kernel_state &k, int pid, vm_area_struct &vma, uint64_t start, uint64_t end) {
  const long nr_pages = long(end - start);
  // The VM_LOCKONFAULT case has never used faultin_page() to break COW.
  if (vma.vm_flags & VM_LOCKONFAULT) {
    GUP_COV(populate_vma_page_range_lockonfault);
    return nr_pages;
  }
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
    if (vma->vm_flags & (VM_IO | VM_PFNMAP)) {
      GUP_COV(mm_populate_skip_pfnmap);
      continue;
    }
    if (nstart < vma->vm_start) nstart = vma->vm_start;
    ret = populate_vma_page_range(k, pid, *vma, nstart, nend);
    if (ret < 0) {
      if (ignore_errors) {
        GUP_COV(mm_populate_ignore_error);
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

// Models: mm/gup.c check_and_migrate_movable_pages() ->
// collect_longterm_unpinnable_folios() -> migrate_longterm_unpinnable_folios() (v6.18)
long check_and_migrate_movable_pages(kernel_state &k, std::vector<pfn_t> &pages, size_t from) {
  std::vector<pfn_t> movable;
  for (size_t i = from; i < pages.size(); i++) {
    const pfn_t p = pages[i];
    if (folio_is_longterm_pinnable(page_folio(k, p))) continue;
    // Variant (bug 15, pre-v4.15): nothing treated fsdax pages as unpinnable.
    if (page_folio(k, p).fsdax && k.sw.fsdax_longterm_pin_allowed) continue;
    if (std::find(movable.begin(), movable.end(), p) == movable.end()) movable.push_back(p);
  }
  if (movable.empty()) return 0;
  // We can't migrate pages with unexpected references, so drop the pins
  // __get_user_pages_locked() took: all of them (unpin_folio()).
  for (size_t i = from; i < pages.size(); i++) gup_put_folio(k, pages[i], 1, FOLL_PIN);
  pages.resize(from);
  long ret = -EAGAIN;
  for (pfn_t p : movable)
    if (!migrate_folio(k, p)) ret = -ENOMEM;  // migrate_pages() failed: give up
  return ret;
}

}  // namespace gupcheck::model

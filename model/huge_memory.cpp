// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors mm/huge_memory.c (and khugepaged). Transparent huge pages: PMD-mapped anonymous THPs and the huge zero folio
// (mm/huge_memory.c, and the PMD parts of mm/gup.c; Linux v6.18). A PMD here
// covers one PTE table, HPAGE_PMD_NR = PTRS_PER_PTE = 16 pages.
#include "model/coverage.h"
#include "model/kernel.h"
#include "model/mm_internal.h"

namespace gupcheck::model {

namespace {

// Models: mm/page_alloc.c folio_alloc(order = HPAGE_PMD_ORDER): HPAGE_PMD_NR
// consecutive pfns, refcount 1 on the head.
pfn_t folio_alloc_pmd(kernel_state &k) {
  const pfn_t head = k.folios.size();
  k.folios.resize(head + HPAGE_PMD_NR);
  for (unsigned i = 0; i < HPAGE_PMD_NR; i++) {
    folio &f = k.folios[head + i];
    f.large = true;
    if (i) f.head = head;
  }
  k.folios[head].refcount = 1;
  return head;
}

// Models: mm/huge_memory.c mm_get_huge_zero_folio() -> get_huge_zero_folio():
// allocated once, zero-filled, never freed while the model runs.
pfn_t mm_get_huge_zero_folio(kernel_state &k) {
  if (!k.huge_zero_pfn) {
    const pfn_t h = folio_alloc_pmd(k);
    for (unsigned i = 0; i < HPAGE_PMD_NR; i++) k.folios[h + i].huge_zero = true;
    k.folios[h].refcount = HUGE_ZERO_BASE_REFCOUNT;
    k.huge_zero_pfn = h;
  }
  return k.huge_zero_pfn;
}

// Models: vma_alloc_anon_folio_pmd() + folio_add_new_anon_rmap(RMAP_EXCLUSIVE)
// for a PMD: a zeroed exclusive anonymous THP whose reference and mapcount
// belong to the PMD the caller installs.
pfn_t alloc_anon_thp(kernel_state &k, vm_area_struct &vma) {
  vma.anon_vma = true;
  const pfn_t h = folio_alloc_pmd(k);
  for (unsigned i = 0; i < HPAGE_PMD_NR; i++) {
    folio &f = k.folios[h + i];
    f.anon = true;
    f.anon_exclusive = true;
  }
  k.folios[h].mapcount = 1;
  return h;
}

// Models: map_anon_folio_pmd(): maybe_pmd_mkwrite(pmd_mkdirty(mk_huge_pmd())).
void map_anon_folio_pmd(kernel_state &k, mm_struct &mm, vm_area_struct &vma, pte_table &t, pfn_t head) {
  t.pmd_leaf = true;
  t.pmd_pfn = head;
  t.pmd_young = true;
  t.pmd_dirty = true;
  t.pmd_protnone = !(vma.vm_flags & VM_ACCESS_FLAGS);  // vma->vm_page_prot
  t.pmd_write = (vma.vm_flags & VM_WRITE) && !t.pmd_protnone;
  mm.rss[MM_ANONPAGES] += HPAGE_PMD_NR;
  (void)k;
}

void set_exclusive(kernel_state &k, pfn_t head, bool on) {
  for (unsigned i = 0; i < HPAGE_PMD_NR; i++) k.folios[head + i].anon_exclusive = on;
}

}  // namespace

bool thp_vma_allowable(const kernel_state &k, const mm_struct &mm, const vm_area_struct &vma, uint64_t vpn) {
  (void)k;
  if (!vma_is_anonymous(vma) || (vma.vm_flags & (VM_SHARED | VM_NOHUGEPAGE))) return false;
  if (!(vma.vm_flags & VM_HUGEPAGE)) return false;  // "madvise" mode: only MADV_HUGEPAGE VMAs
  const uint64_t base = vpn - vpn % HPAGE_PMD_NR;
  if (base < vma.vm_start || base + HPAGE_PMD_NR > vma.vm_end) return false;  // thp_vma_suitable_order()
  return pmd_offset(mm, vpn) == nullptr;  // pmd_none()
}

// Models: mm/huge_memory.c do_huge_pmd_anonymous_page() (v6.18): a read fault
// maps the huge zero folio when use_zero_page allows it; otherwise a new THP.
unsigned do_huge_pmd_anonymous_page(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags) {
  mm_struct &mm = k.tasks[pid].mm;
  if (!(flags & FAULT_FLAG_WRITE) && !mm.forbids_zeropage && k.thp_use_zero_page) {
    GUP_COV(do_huge_pmd_anonymous_page_zero);
    const pfn_t hz = mm_get_huge_zero_folio(k);
    pte_alloc(mm, vpn);
    pte_table &t = *pmd_offset(mm, vpn);
    // set_huge_zero_folio(): pmd_mkspecial(), read-only, no rmap, no rss.
    t.pmd_leaf = true;
    t.pmd_pfn = hz;
    t.pmd_write = false;
    t.pmd_dirty = false;
    t.pmd_young = true;
    t.pmd_protnone = !(vma.vm_flags & VM_ACCESS_FLAGS);
    return 0;
  }
  GUP_COV(do_huge_pmd_anonymous_page_new);
  const pfn_t h = alloc_anon_thp(k, vma);
  pte_alloc(mm, vpn);
  map_anon_folio_pmd(k, mm, vma, *pmd_offset(mm, vpn), h);
  return 0;
}

// Models: mm/huge_memory.c do_huge_pmd_wp_page() and do_huge_zero_wp_pmd() (v6.18)
unsigned do_huge_pmd_wp_page(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags) {
  mm_struct &mm = k.tasks[pid].mm;
  pte_table &t = *pmd_offset(mm, vpn);
  const bool unshare = flags & FAULT_FLAG_UNSHARE;
  if (is_huge_zero_pfn(k, t.pmd_pfn)) {
    // do_huge_zero_wp_pmd(): replace it by a fresh PMD-mapped THP.
    GUP_COV(do_huge_pmd_wp_page_zero);
    const pfn_t h = alloc_anon_thp(k, vma);
    map_anon_folio_pmd(k, mm, vma, t, h);
    return 0;
  }
  const pfn_t head = t.pmd_pfn;
  // Early check when only holding the PT lock.
  if (!k.folios[head].anon_exclusive) {
    // We can only reuse the folio exclusively if there are no additional
    // references (the PMD's own is the one).
    if (k.folios[head].refcount != 1) {
      GUP_COV(do_huge_pmd_wp_page_split);
      __split_huge_pmd(k, mm, t);  // fallback
      return VM_FAULT_FALLBACK;
    }
    GUP_COV(do_huge_pmd_wp_page_reuse_shared);
    set_exclusive(k, head, true);  // folio_move_anon_rmap(); SetPageAnonExclusive()
  }
  // reuse:
  if (unshare) {
    GUP_COV(do_huge_pmd_wp_page_unshare);
    return 0;
  }
  GUP_COV(do_huge_pmd_wp_page_reuse);
  t.pmd_young = true;
  t.pmd_dirty = true;
  if (vma.vm_flags & VM_WRITE) t.pmd_write = true;  // maybe_pmd_mkwrite()
  return 0;
}

// Models: mm/huge_memory.c __split_huge_pmd_locked() (v6.18), not freezing:
// every page gets its own PTE with the PMD's bits; an anonymous folio gains
// a reference and a mapping per extra PTE (folio_ref_add(), folio_add_anon_rmap_ptes())
// and each page inherits PageAnonExclusive from the head. The huge zero
// folio becomes the small zero page (__split_huge_zero_page_pmd()).
void __split_huge_pmd(kernel_state &k, mm_struct &mm, pte_table &t) {
  if (!t.pmd_leaf) return;
  const pfn_t head = t.pmd_pfn;
  const bool hz = is_huge_zero_pfn(k, head);
  if (hz)
    GUP_COV(split_huge_pmd_zero);
  else
    GUP_COV(split_huge_pmd_thp);
  for (unsigned i = 0; i < HPAGE_PMD_NR; i++) {
    pte_t &p = t.ptes[i];
    p = pte_t{};
    p.present = true;
    p.young = t.pmd_young;
    p.protnone = t.pmd_protnone;
    if (hz) {
      p.pfn = ZERO_PFN;
      p.special = true;
      continue;
    }
    p.pfn = head + i;
    p.write = t.pmd_write;
    p.dirty = t.pmd_dirty;
  }
  if (!hz) {
    folio &f = k.folios[head];
    const bool excl = f.anon_exclusive;
    f.refcount += HPAGE_PMD_NR - 1;
    f.mapcount += HPAGE_PMD_NR - 1;
    set_exclusive(k, head, excl);
  }
  t.pmd_leaf = false;
  t.pmd_pfn = 0;
  t.pmd_write = t.pmd_dirty = t.pmd_young = t.pmd_protnone = false;
  (void)mm;
}

void split_huge_pmd_range(kernel_state &k, mm_struct &mm, uint64_t start, uint64_t end) {
  for (pte_table &t : mm.tables)
    if (t.pmd_leaf && t.base < end && start < t.base + HPAGE_PMD_NR) __split_huge_pmd(k, mm, t);
}

// Models: mm/huge_memory.c zap_huge_pmd() (v6.18)
void zap_huge_pmd(kernel_state &k, mm_struct &mm, pte_table &t) {
  if (!t.pmd_leaf) return;
  const pfn_t head = t.pmd_pfn;
  t.pmd_leaf = false;
  t.pmd_pfn = 0;
  t.pmd_write = t.pmd_dirty = t.pmd_young = t.pmd_protnone = false;
  if (is_huge_zero_pfn(k, head)) {  // no rmap, no reference, no rss
    GUP_COV(zap_huge_pmd_zero);
    return;
  }
  GUP_COV(zap_huge_pmd_thp);
  folio &f = k.folios[head];
  mm.rss[MM_ANONPAGES] -= HPAGE_PMD_NR;
  if (f.mapcount <= 0) warn(k, "mapcount underflow in zap_huge_pmd()");
  f.mapcount--;  // folio_remove_rmap_pmd()
  folio_put(k, head);
}

// Models: mm/huge_memory.c copy_huge_pmd() (v6.18)
int copy_huge_pmd(kernel_state &k, int src_pid, int dst_pid, vm_area_struct &src_vma, uint64_t base) {
  mm_struct &src_mm = k.tasks[src_pid].mm;
  pte_table &st = *pmd_offset(src_mm, base);
  const pfn_t head = st.pmd_pfn;
  if (!is_huge_zero_pfn(k, head)) {
    folio &f = k.folios[head];
    // folio_try_dup_anon_rmap_pmd(): a maybe-pinned exclusive folio must not
    // be shared with the child: split and let the PTE copy handle it.
    if (f.anon_exclusive && src_mm.has_pinned && folio_maybe_dma_pinned(f) && !k.sw.fork_shares_pinned_pages) {
      GUP_COV(copy_huge_pmd_pinned_split);
      __split_huge_pmd(k, src_mm, st);
      return -EAGAIN;
    }
    GUP_COV(copy_huge_pmd_shared);
    if (f.anon_exclusive && src_mm.has_pinned && folio_maybe_dma_pinned(f)) GUP_COV(copy_huge_pmd_pinned_shared);
    set_exclusive(k, head, false);
    f.refcount++;
    f.mapcount++;
    k.tasks[dst_pid].mm.rss[MM_ANONPAGES] += HPAGE_PMD_NR;
  } else {
    GUP_COV(copy_huge_pmd_zero);
  }
  // pmdp_set_wrprotect() on the source; the child's copy is old and read-only.
  st.pmd_write = false;
  mm_struct &dst_mm = k.tasks[dst_pid].mm;
  pte_alloc(dst_mm, base);
  pte_table &dt = *pmd_offset(dst_mm, base);
  dt.pmd_leaf = true;
  dt.pmd_pfn = head;
  dt.pmd_write = false;
  dt.pmd_dirty = st.pmd_dirty;
  dt.pmd_young = false;
  dt.pmd_protnone = st.pmd_protnone;
  return 0;
}

// Models: mm/gup.c follow_huge_pmd() + can_follow_write_pmd() (v6.18)
follow_result follow_huge_pmd(kernel_state &k, int pid, vm_area_struct &vma, uint64_t vpn, unsigned flags,
                              unsigned *page_mask) {
  pte_table &t = *pmd_offset(k.tasks[pid].mm, vpn);
  const pfn_t page = t.pmd_pfn + (vpn - t.base);
  const bool hz = is_huge_zero_pfn(k, t.pmd_pfn);
  if ((flags & FOLL_WRITE) && !t.pmd_write) {
    // can_follow_write_pmd() -> can_follow_write_common(): only an exclusive
    // anonymous page of a COW mapping under FOLL_FORCE.
    const bool ok = (flags & FOLL_FORCE) && !(vma.vm_flags & (VM_MAYSHARE | VM_SHARED)) &&
                    (vma.vm_flags & VM_MAYWRITE) && !(vma.vm_flags & VM_WRITE) && !hz &&
                    k.folios[t.pmd_pfn].anon && k.folios[t.pmd_pfn].anon_exclusive;
    // Variant (pre-5535be309971): can_follow_write_pmd() also accepted a
    // dirty PMD once faultin_page() had set FOLL_COW, like the PTE rule.
    const bool cow = k.sw.foll_cow_follows_dirty_pmd && (flags & FOLL_FORCE) && (flags & FOLL_COW) && t.pmd_dirty;
    if (!ok && !cow) {
      GUP_COV(follow_huge_pmd_write_fault);
      return {0, 0};
    }
    if (ok)
      GUP_COV(follow_huge_pmd_forced_write);
    else
      GUP_COV(follow_huge_pmd_foll_cow);
  }
  // Avoid dumping huge zero page
  if ((flags & FOLL_DUMP) && hz) {
    GUP_COV(follow_huge_pmd_dump_zero);
    return {0, -EFAULT};
  }
  // gup_can_follow_protnone(): Stubbed like follow_page_pte(): only NUMA hinting stops here.
  if (t.pmd_protnone && (flags & FOLL_HONOR_NUMA_FAULT) && (vma.vm_flags & (VM_READ | VM_WRITE))) return {0, 0};
  if (!t.pmd_write && gup_must_unshare(k, &vma, flags, page)) {
    GUP_COV(follow_huge_pmd_unshare);
    return {0, -EMLINK};
  }
  if ((flags & FOLL_PIN) && k.folios[page].anon && !k.folios[page].anon_exclusive)
    warn(k, "VM_WARN_ON_ONCE_PAGE(FOLL_PIN on a non-exclusive anon page) in follow_huge_pmd()");
  if (long ret = try_grab_folio(k, page, 1, flags)) return {0, ret};
  if (flags & FOLL_TOUCH) {  // touch_pmd()
    t.pmd_young = true;
    // Variant (pre-a8f97366452e, Huge Dirty COW): dirty even for a read.
    if (!(flags & FOLL_WRITE) && k.sw.touch_pmd_always_dirty) GUP_COV(follow_huge_pmd_read_dirties);
    if ((flags & FOLL_WRITE) || k.sw.touch_pmd_always_dirty) t.pmd_dirty = true;
  }
  *page_mask = HPAGE_PMD_NR - 1;
  GUP_COV(follow_huge_pmd_grabbed);
  return {page, 0};
}

}  // namespace gupcheck::model

// ---------------------------------------------------------------------------
// khugepaged / MADV_COLLAPSE (mm/khugepaged.c, v6.18), anonymous memory only.
// Differs: one PMD range per call (madvise_collapse() walks every aligned
// range of its argument); no file/shmem collapse (collapse_file()); the scan
// and the collapse run back to back (the kernel drops mmap_lock between
// hpage_collapse_scan_pmd() and collapse_huge_page() and revalidates); the new
// THP is allocated when the copy starts rather than before taking the lock.

namespace gupcheck::model {

namespace {

// Models: hpage_collapse_scan_pmd() and the same checks again in
// __collapse_huge_page_isolate(), as MADV_COLLAPSE (not khugepaged) runs
// them: no max_ptes_none/max_ptes_shared limits and no "referenced" test.
// Return: 0, or the errno madvise_collapse_errno() gives the scan result.
long collapse_scan(kernel_state &k, const vm_area_struct &vma, const pte_table &t) {
  bool writable = false;
  for (unsigned i = 0; i < PTRS_PER_PTE; i++) {
    const pte_t &p = t.ptes[i];
    if (!p.present) {
      if (p.hwpoison) return -EINVAL;  // SCAN_PTE_NON_PRESENT
      continue;                        // pte_none_or_zero()
    }
    if (is_zero_pfn(p.pfn)) continue;  // the zero page (KSM's too)
    if (p.write) writable = true;
    const pfn_t page = vm_normal_page(k, vma, t.base + i, p);
    if (!page) return -EINVAL;  // SCAN_PAGE_NULL
    const folio &f = page_folio(k, page);
    if (!f.anon || f.ksm) return -EINVAL;  // SCAN_PAGE_ANON [unsure for KSM pages]
    if (f.hwpoison) return -EINVAL;
    // is_refcount_suitable(): every reference must be a mapping; a GUP
    // reference or pin makes it SCAN_PAGE_COUNT.
    if (f.refcount != f.mapcount) return -EAGAIN;
  }
  if (!writable) return -EINVAL;  // SCAN_PAGE_RO
  return 0;
}

// Models: the first half of collapse_huge_page(): mmap_write_lock(),
// pmdp_collapse_flush() (the PMD is cleared; the old table stays readable
// to a lockless walker), __collapse_huge_page_isolate(). Return: 0 with
// mm.collapse active, 0 when the range is PMD-mapped already (nothing to
// do), or -errno.
long collapse_begin(kernel_state &k, int pid, uint64_t vpn) {
  mmap_lock_wait(k, pid);
  mm_struct &mm = k.tasks[pid].mm;
  vm_area_struct *vma = find_vma(mm, vpn);
  if (!vma) return -ENOMEM;  // madvise() over a hole
  const uint64_t base = vpn - vpn % HPAGE_PMD_NR;
  // thp_vma_allowable_order(TVA_FORCED_COLLAPSE): independent of the sysfs
  // setting and of MADV_HUGEPAGE, refused for VM_NOHUGEPAGE; the PMD range
  // must lie inside the VMA.
  if (!vma_is_anonymous(*vma) || (vma->vm_flags & (VM_SHARED | VM_NOHUGEPAGE))) return -EINVAL;
  if (base < vma->vm_start || base + HPAGE_PMD_NR > vma->vm_end) return -EINVAL;
  pte_table *t = pmd_offset(mm, base);
  if (!t) return -EINVAL;        // SCAN_PMD_NULL
  if (t->pmd_leaf) {  // SCAN_PMD_MAPPED: counts as collapsed
    GUP_COV(collapse_already);
    return 0;
  }
  if (long r = collapse_scan(k, *vma, *t)) {
    GUP_COV(collapse_refused);
    return r;
  }
  GUP_COV(collapse_begun);
  mm.mmap_write_seq++;  // mmap_write_lock()
  t->detached = true;   // pmdp_collapse_flush()
  mm.collapse.active = true;
  mm.collapse.base = base;
  return 0;
}

// Models: the second half of collapse_huge_page(): __collapse_huge_page_copy()
// (copy every page, zero for none/zero entries) and
// __collapse_huge_page_copy_succeeded() (clear each old PTE, drop its rmap
// and reference), then the new PMD: folio_add_new_anon_rmap(RMAP_EXCLUSIVE)
// and set_pmd_at(maybe_pmd_mkwrite(pmd_mkdirty(mk_huge_pmd()))).
void collapse_finish(kernel_state &k, mm_struct &mm) {
  pte_table *t = nullptr;
  for (pte_table &x : mm.tables)
    if (x.base == mm.collapse.base && x.detached) t = &x;
  if (!t) throw model_bug("collapse_finish(): the detached table is gone");
  vm_area_struct *vma = find_vma(mm, t->base);
  if (!vma) throw model_bug("collapse_finish(): the VMA went away under mmap_lock");
  const pfn_t head = alloc_anon_thp(k, *vma);
  for (unsigned i = 0; i < PTRS_PER_PTE; i++) {
    pte_t &p = t->ptes[i];
    if (p.present && !is_zero_pfn(p.pfn)) {
      const pfn_t page = vm_normal_page(k, *vma, t->base + i, p);
      k.folios[head + i].data = read_pfn(k, page);  // copy_mc_user_highpage()
      mm.rss[MM_ANONPAGES]--;
      folio &f = page_folio(k, page);
      if (f.mapcount <= 0) warn(k, "mapcount underflow in __collapse_huge_page_copy_succeeded()");
      f.mapcount--;  // folio_remove_rmap_pte()
      folio_put(k, page);
    } else if (p.present) {
      ksm_might_unmap_zero_page(mm, p);
    }
    p = pte_t{};  // ptep_clear()
  }
  t->detached = false;
  t->id = mm.next_table_id++;  // the PMD now maps the folio, not a table
  map_anon_folio_pmd(k, mm, *vma, *t, head);
  mm.collapse.active = false;
  GUP_COV(collapse_finished);
}

}  // namespace

void mmap_lock_wait(kernel_state &k, int pid) {
  if (pid < 0 || size_t(pid) >= k.tasks.size()) return;
  mm_struct &mm = k.tasks[pid].mm;
  if (mm.collapse.active) {
    GUP_COV(collapse_finished_by_waiter);
    collapse_finish(k, mm);
  }
}

const pte_table *pte_table_by_id(const mm_struct &mm, uint32_t id) {
  for (const pte_table &t : mm.tables)
    if (t.id == id && !t.pmd_leaf) return &t;
  return nullptr;
}

gup_task madvise_collapse_steps(kernel_state &k, int pid, uint64_t vpn) {
  const long r = collapse_begin(k, pid, vpn);
  if (r || !k.tasks[pid].mm.collapse.active) co_return r;
  co_yield interleave_point{"collapse: PMD cleared, pages isolated, before the copy", 0, false};
  mmap_lock_wait(k, pid);  // finishes it unless a waiter already did
  co_return 0;
}

long madvise_collapse(kernel_state &k, int pid, uint64_t vpn) { return run_to_end(madvise_collapse_steps(k, pid, vpn)); }

// Models: mm/huge_memory.c vma_adjust_trans_huge() (v6.18): a VMA boundary
// at vpn inside a PMD leaf splits it.
void split_huge_pmd_at(kernel_state &k, mm_struct &mm, uint64_t vpn) {
  if (vpn % HPAGE_PMD_NR) split_huge_pmd_range(k, mm, vpn, vpn + 1);
}

}  // namespace gupcheck::model

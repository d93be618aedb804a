// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors mm/ksm.c (Linux v6.18): KSM merging.
//
// Differs: ksmd's unstable tree is rebuilt on every pass and a pass covers one
// mm; page contents are one value, so "identical" is equality of that value
// and "zero-filled" is value 0. Migration is synchronous and succeeds unless
// the folio holds references beyond its mappings (folio_expected_ref_count()).
#include <algorithm>

#include "model/coverage.h"
#include "model/kernel.h"
#include "model/mm_internal.h"

namespace gupcheck::model {

namespace {

// Models: mm/ksm.c write_protect_page() (v6.18): refuses a page with extra
// references or one that may be pinned; otherwise the PTE is made read-only
// and the page stops being exclusive.
bool write_protect_page(kernel_state &k, pte_t &pte) {
  folio &f = k.folios[pte.pfn];
  // folio_mapcount(folio) + 1 + swapped != folio_ref_count(folio): our
  // temporary reference is the +1; the model takes none, so compare directly.
  if (f.mapcount != f.refcount) {
    GUP_COV(ksm_write_protect_refused);
    return false;
  }
  if (f.anon_exclusive) {
    // folio_try_share_anon_rmap_pte(): fails when the folio may be pinned.
    if (folio_maybe_dma_pinned(f)) {
      GUP_COV(ksm_write_protect_refused);
      return false;
    }
    f.anon_exclusive = false;
  }
  if (pte.dirty) f.dirty = true;
  pte.write = false;
  pte.dirty = false;
  GUP_COV(ksm_write_protect);
  return true;
}

// Models: mm/ksm.c replace_page() (v6.18): the PTE now maps kpage (a KSM
// folio), or, for kpage == ZERO_PFN, the zero page marked pte_special and
// dirty (ksm_map_zero_page()).
void replace_page(kernel_state &k, mm_struct &mm, pte_t &pte, pfn_t kpage) {
  const pfn_t old = pte.pfn;
  pte.pfn = kpage;
  pte.write = false;
  if (is_zero_pfn(kpage)) {
    GUP_COV(ksm_replace_zero);
    pte.special = true;
    pte.dirty = true;  // the KSM zero-page marker
    mm.ksm_zero_pages++;
    mm.rss[MM_ANONPAGES]--;
  } else {
    GUP_COV(ksm_replace_page);
    folio_get(k, kpage);
    k.folios[kpage].mapcount++;  // folio_add_anon_rmap_pte()
  }
  folio &of = k.folios[old];
  if (of.mapcount <= 0) warn(k, "mapcount underflow in replace_page()");
  of.mapcount--;
  folio_put(k, old);
}

}  // namespace

void ksm_might_unmap_zero_page(mm_struct &mm, const pte_t &pte) {
  if (is_ksm_zero_pte(pte)) mm.ksm_zero_pages--;
}

// Models: mm/ksm.c ksm_madvise(MADV_MERGEABLE) through madvise_walk_vmas()
// (v6.18). VMAs KSM cannot handle (vma_ksm_compatible()) are left alone.
long madvise_mergeable(kernel_state &k, int pid, uint64_t start, uint64_t npages) {
  mm_struct &mm = k.tasks[pid].mm;
  const uint64_t end = start + npages;
  long err = 0;
  for (uint64_t vpn = start; vpn < end;) {
    vm_area_struct *v = find_vma(mm, vpn);
    if (!v) {
      err = -ENOMEM;
      vpn++;
      continue;
    }
    const uint64_t stop = std::min(v->vm_end, end);
    if (vpn % HPAGE_PMD_NR) split_huge_pmd_range(k, mm, vpn, vpn + 1);  // vma_adjust_trans_huge()
    if (stop % HPAGE_PMD_NR) split_huge_pmd_range(k, mm, stop, stop + 1);
    const vm_flags_t bad = VM_SHARED | VM_MAYSHARE | VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_HUGETLB | VM_MIXEDMAP;
    if (!(v->vm_flags & bad) && !(v->vm_flags & VM_MERGEABLE)) {
      // Models: mm/vma.c vma_modify_flags(): split off [vpn, stop).
      const uint64_t s = vpn;
      vm_area_struct copy = *v;
      std::vector<vm_area_struct> parts;
      if (copy.vm_start < s) {
        vm_area_struct head = copy;
        head.vm_end = s;
        parts.push_back(head);
      }
      vm_area_struct mid = copy;
      mid.vm_start = s;
      mid.vm_end = stop;
      mid.vm_pgoff = copy.vm_pgoff + (s - copy.vm_start);
      mid.vm_flags |= VM_MERGEABLE;
      parts.push_back(mid);
      if (stop < copy.vm_end) {
        vm_area_struct tail = copy;
        tail.vm_start = stop;
        tail.vm_pgoff = copy.vm_pgoff + (stop - copy.vm_start);
        parts.push_back(tail);
      }
      auto it = std::find_if(mm.vmas.begin(), mm.vmas.end(),
                             [&](const vm_area_struct &x) { return x.vm_start == copy.vm_start; });
      it = mm.vmas.erase(it);
      mm.vmas.insert(it, parts.begin(), parts.end());
    }
    vpn = stop;
  }
  return err;
}

// Models: mm/ksm.c ksm_do_scan() -> scan_get_next_rmap_item() ->
// cmp_and_merge_page() (v6.18) over one mm, in address order:
//  - a zero-filled page becomes the shared zero page when use_zero_pages is set;
//  - a page whose content a KSM folio holds (stable_tree_search()) maps that folio;
//  - two pages with equal content (unstable_tree_search_insert()) become one
//    new KSM folio (try_to_merge_two_pages()).
// write_protect_page() must succeed first: a pinned or otherwise referenced
// page is never merged.
long ksm_scan_mm(kernel_state &k, int pid) {
  struct unstable {
    uint64_t vpn;
    pfn_t pfn;
  };
  std::vector<unstable> tree;
  long merged = 0;
  // s390's gmap_helper_disable_cow_sharing() also calls ksm_disable(): an mm
  // that forbids the zero page is never merged.
  if (k.tasks[pid].mm.forbids_zeropage) return 0;
  const size_t nvmas = k.tasks[pid].mm.vmas.size();
  for (size_t vi = 0; vi < nvmas; vi++) {
    mm_struct &mm = k.tasks[pid].mm;
    const vm_area_struct vma = mm.vmas[vi];
    if (!(vma.vm_flags & VM_MERGEABLE)) continue;
    for (uint64_t vpn = vma.vm_start; vpn < vma.vm_end; vpn++) {
      pte_t *pte = pte_offset(mm, vpn);
      if (!pte || !pte->present || pte->special || pte->protnone) continue;
      const pfn_t page = vm_normal_page(k, vma, vpn, *pte);
      // follow_page() in scan_get_next_rmap_item(): only anonymous pages.
      if (!page || !k.folios[page].anon || k.folios[page].large) continue;
      if (k.folios[page].ksm) continue;  // already in the stable tree
      const uint64_t data = k.folios[page].data;
      // The zero page first (use_zero_pages, ksm_use_zero_pages).
      if (k.ksm_use_zero_pages && data == 0) {
        if (write_protect_page(k, *pte)) {
          replace_page(k, mm, *pte, ZERO_PFN);
          merged++;
        }
        continue;
      }
      // stable_tree_search()
      pfn_t kpage = 0;
      for (pfn_t s : k.ksm_stable)
        if (!k.folios[s].freed && k.folios[s].data == data) kpage = s;
      if (kpage) {
        // try_to_merge_with_ksm_page()
        if (write_protect_page(k, *pte)) {
          replace_page(k, mm, *pte, kpage);
          merged++;
        }
        continue;
      }
      // unstable_tree_search_insert()
      auto it = std::find_if(tree.begin(), tree.end(),
                             [&](const unstable &u) { return k.folios[u.pfn].data == data && u.pfn != page; });
      if (it == tree.end()) {
        tree.push_back({vpn, page});
        continue;
      }
      // try_to_merge_two_pages(): the tree page becomes the KSM folio, then
      // this one is merged into it. The tree page must still be mapped as seen.
      pte_t *tpte = pte_offset(mm, it->vpn);
      const unstable u = *it;
      tree.erase(it);
      if (!tpte || !tpte->present || tpte->special || tpte->pfn != u.pfn) continue;
      if (!write_protect_page(k, *tpte)) continue;
      folio &kf = k.folios[u.pfn];
      kf.ksm = true;  // folio_set_stable_node()
      kf.anon_exclusive = false;
      k.ksm_stable.push_back(u.pfn);
      merged++;
      if (write_protect_page(k, *pte)) {
        replace_page(k, mm, *pte, u.pfn);
        merged++;
      }
    }
  }
  // Stale stable-tree entries (freed KSM folios) are dropped.
  std::erase_if(k.ksm_stable, [&](pfn_t s) { return k.folios[s].freed; });
  return merged;
}

}  // namespace gupcheck::model

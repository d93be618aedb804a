// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors mm/memory-failure.c (Linux v6.18): memory_failure() and MADV_HWPOISON.
#include <algorithm>

#include "model/coverage.h"
#include "model/kernel.h"
#include "model/mm_internal.h"

namespace gupcheck::model {

// Models: mm/madvise.c madvise_inject_error() (v6.18) for MADV_HWPOISON: one
// memory_failure() per page, stepping over a whole large folio at once
// (start += page_size(compound_head(page))), stopping at the first error.
long madvise_inject_error(kernel_state &k, int pid, uint64_t start, uint64_t npages) {
  for (uint64_t vpn = start; vpn < start + npages;) {
    std::vector<pfn_t> pages;
    long nr_fast = 0;
    const long ret = get_user_pages_fast(k, pid, vpn, 1, 0, &pages, &nr_fast);
    if (ret != 1) return ret;
    const bool large = k.folios[pages[0]].large;
    // Differs: the kernel hands this reference to memory_failure()
    // (MF_COUNT_INCREASED), which keeps it on a recovered page for ever;
    // the model drops it so reference counts stay checkable.
    const long err = memory_failure(k, pages[0]);
    put_page(k, pages[0]);
    if (err) return err;
    vpn += large ? HPAGE_PMD_NR : 1;
  }
  return 0;
}

// Models: mm/memory-failure.c memory_failure() (v6.18) as madvise_inject_error()
// calls it (MF_ACTION_REQUIRED | MF_COUNT_INCREASED | MF_SW_SIMULATED: the
// caller's GUP reference is held). Its outcomes, in its order:
//  - TestSetPageHWPoison() first: an already poisoned page gives -EHWPOISON
//    (kill_accessing_process(): SIGBUS to the caller, which maps it);
//  - a large folio whose split fails (try_to_split_thp_page(): the huge zero
//    folio, or a THP holding references beyond its mappings and the caller's,
//    e.g. a GUP pin) keeps PG_hwpoison on the page and stays mapped as it
//    was: -EHWPOISON (kill_procs_now(): SIGBUS to the caller);
//  - a page off the LRU (a driver's page, the zero page: PG_reserved) is
//    never unmapped (the !folio_test_lru() jump to identify_page_state(),
//    me_kernel()/me_unknown(): MF_IGNORED): PG_hwpoison set, still mapped,
//    -EBUSY;
//  - an order-0 anonymous or page-cache page is unmapped
//    (hwpoison_user_mappings(): try_to_unmap(TTU_HWPOISON)) and, for a file,
//    truncated (me_pagecache_clean()/truncate_error_folio()): recovered, 0.
// The caller reads -EHWPOISON as "SIGBUS was sent" (both paths send it).
// Differs: an fsdax page (ZONE_DEVICE: memory_failure_dev_pagemap(), the
// file system's ->memory_failure) is refused with -EBUSY and left untouched.
long memory_failure(kernel_state &k, pfn_t pfn) {
  if (!pfn_valid(k, pfn)) return -ENXIO;
  if (k.folios[pfn].fsdax) return -EBUSY;
  folio &f = k.folios[pfn];
  if (f.hwpoison) return -EHWPOISON;  // TestSetPageHWPoison(): already poisoned
  if (f.large) {
    const folio &head = page_folio(k, pfn);
    // can_split_folio(): every reference is a mapping's or the caller's.
    const bool extra_refs = head.refcount != head.mapcount + 1;
    if (f.huge_zero || extra_refs) {
      f.hwpoison = true;  // folio_set_has_hwpoisoned(); the page's PG_hwpoison
      return -EHWPOISON;
    }
    // try_to_split_thp_page(): Differs: only the PMD mappings are split, so
    // the poisoned page has PTEs of its own to unmap; the folio stays large.
    for (auto &t : k.tasks)
      for (auto &tab : t.mm.tables)
        if (tab.pmd_leaf && folio_pfn(k, pfn) == tab.pmd_pfn) __split_huge_pmd(k, t.mm, tab);
  }
  if (!f.anon && !f.pagecache) {  // not on the LRU: a driver's page, the zero page
    f.hwpoison = true;
    return -EBUSY;
  }
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
        GUP_COV(memory_failure_unmapped);
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
  f.hwpoison_recovered = true;
  return 0;
}

}  // namespace gupcheck::model

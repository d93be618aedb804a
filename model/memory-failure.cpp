// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors mm/memory-failure.c (Linux v6.18): memory_failure() and MADV_HWPOISON.
#include <algorithm>

#include "model/coverage.h"
#include "model/kernel.h"
#include "model/mm_internal.h"

namespace gupcheck::model {

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
  return 0;
}

}  // namespace gupcheck::model

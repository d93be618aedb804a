// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors mm/migrate.c (Linux v6.18): folio migration (for FOLL_LONGTERM) and move_pages(2)'s
// status lookup.
//
// Differs: migration is synchronous and succeeds unless the folio holds
// references beyond its mappings (folio_expected_ref_count()).
#include <algorithm>

#include "model/coverage.h"
#include "model/kernel.h"
#include "model/mm_internal.h"

namespace gupcheck::model {

namespace {

// Models: mm/rmap.c rmap_walk() as used by remove_migration_ptes() and
// replace_page(): every present non-special PTE that maps pfn, in every mm.
template <typename Fn>
void for_each_pte_mapping(kernel_state &k, pfn_t pfn, Fn fn) {
  for (auto &t : k.tasks) {
    if (!t.alive) continue;
    for (auto &tab : t.mm.tables)
      for (pte_t &p : tab.ptes)
        if (p.present && !p.special && p.pfn == pfn) fn(t.mm, p);
  }
}

}  // namespace

// Models: mm/migrate.c migrate_folio_unmap() + move_to_new_folio() +
// remove_migration_ptes() for an anonymous folio (v6.18). The new folio comes
// from alloc_migration_target() under memalloc_pin_save(): ZONE_NORMAL.
// Return: false when the folio holds unexpected references
// (folio_migrate_mapping()'s refcount check: -EAGAIN until migrate_pages() gives up).
bool migrate_folio(kernel_state &k, pfn_t old) {
  {
    const folio &f = k.folios[old];
    if ((!f.anon || f.ksm || f.zero || f.large) ||  // Stubbed: only small anonymous folios move
        f.refcount != f.mapcount) {                 // a GUP reference or pin elsewhere
      GUP_COV(migrate_folio_failed);
      return false;
    }
  }
  GUP_COV(migrate_folio_done);
  const pfn_t np = folio_alloc(k);  // may reallocate k.folios
  folio &of = k.folios[old];
  folio &nf = k.folios[np];
  nf.anon = true;
  nf.anon_exclusive = of.anon_exclusive;  // restored by remove_migration_pte()
  nf.dirty = of.dirty;
  nf.data = of.data;                      // folio_migrate_copy()
  nf.zone = mem_zone::normal;
  nf.mapcount = of.mapcount;
  nf.refcount = of.refcount;
  for_each_pte_mapping(k, old, [&](mm_struct &, pte_t &p) { p.pfn = np; });
  of.mapcount = 0;
  of.refcount = 0;
  of.freed = true;
  of.migrated_to = np;
  return true;
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

}  // namespace gupcheck::model

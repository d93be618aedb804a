// SPDX-License-Identifier: GPL-2.0-only
//
// Catalogue D: what GUP returns (D1-D6).
// Each invariant is a pure function of the world after a step (see
// properties/invariants/internal.h); ids and statements follow
// docs/invariants.md, and the registry (properties/invariants/registry.cpp)
// names each with its statement and source.
#include "properties/invariants/internal.h"

#include <algorithm>
#include <sstream>

namespace gupcheck::props::inv {

using namespace gupcheck::model;
using trace::OpKind;

// D1
bool gup_return_value(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  const long n = g.op.npages;
  if (g.ret > n) {
    why = "GUP returned " + std::to_string(g.ret) + " for " + std::to_string(n) + " pages";
    return false;
  }
  if (g.ret == 0 && !gup_args_invalid(g.op.api, g.op.gup_flags) && !(g.op.gup_flags & FOLL_NOWAIT)) {
    why = "GUP returned 0 without FOLL_NOWAIT";
    return false;
  }
  // The zero page takes no pin (c8070b787519), so nothing can run out:
  // a pin whose first page is the mapped zero page never fails -ENOMEM.
  // Except a multi-page FOLL_LONGTERM pin: a later movable/CMA page that
  // cannot be migrated fails the whole call with -ENOMEM
  // (migrate_longterm_unpinnable_folios()); the zero page itself never is
  // migrated (B10), so a one-page long-term pin of it still never fails so.
  const Probe &pr = w.probe();
  const bool may_fail_migration = (g.op.gup_flags & FOLL_LONGTERM) && g.op.npages > 1;
  if (g.pin && g.ret == -ENOMEM && !may_fail_migration && pr.had_pte && pr.pte.present && is_zero_pfn(pr.pte.pfn)) {
    name_gup(gup_index(w, g));
    name_pfn(pr.pte.pfn);
    name_pte(g.pid, g.start);
    why = "a pin of the mapped zero page failed with -ENOMEM";
    return false;
  }
  return true;
}

// D2
bool pages_hold_valid_pages(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  for (const GupCall &g : GupScan(w)) {
    if (!g.holds()) continue;
    for (pfn_t p : g.pages)
      if (!pfn_valid(k, p) || k.folios[p].freed || page_folio(k, p).refcount <= 0) {
        name_pfn(p);
        name_gup(gup_index(w, g));
        why = "g" + std::to_string(&g - w.gup_calls().data()) + " holds " + pfn_s(p) + ", which was freed";
        return false;
      }
  }
  return true;
}

// D4
bool gup_returns_mapped_page(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  const mm_struct &mm = w.kernel().tasks[g.pid].mm;
  for (size_t i = 0; i < g.pages.size(); i++) {
    const pfn_t m = mapped_pfn(mm, g.start + i);
    if (m != g.pages[i]) {
      name_pfn(g.pages[i]);
      if (m) name_pfn(m);
      name_pte(g.pid, g.start + i);
      name_gup(gup_index(w, g));
      why = "GUP returned " + pfn_s(g.pages[i]) + " for " + addr_s(g.start + i) + ", which maps " +
            (m ? pfn_s(m) : std::string("nothing"));
      return false;
    }
  }
  return true;
}

// D6
bool gup_fast_revalidated(const World &w, std::string &why) {
  for (const GupCall &g : GupScan(w))
    for (const GupCall::FastCheck &c : g.fast_checks)
      if (g.exists && c.kept != c.mapped) {
        name_gup(gup_index(w, g));
        why = "GUP-fast kept a page after its PTE changed: page " + std::to_string(c.page) + " (" + hex(c.kept) +
              ") is not mapped at " + hex(c.vpn << 12);
        return false;
      }
  return true;
}

// D3
bool gup_error_codes(const World &w, std::string &why) {
  const bool populate = w.last_op().kind == OpKind::Populate;
  if (!valid_gup_step(w) && !populate) return true;
  unsigned flags;
  long ret;
  gup_range_of_step(w, flags, ret);
  if (ret >= 0) return true;
  const Probe &pr = w.probe();
  const std::string name = std::string("-") + errno_name(ret);
  // MADV_POPULATE_* report a refused VMA with -EINVAL and a hole with -ENOMEM
  // (madvise_populate()), not with -EFAULT.
  const bool madv_populate = populate && (flags & FOLL_MADV_POPULATE);
  bool allowed = false;
  switch (-ret) {
    case EINVAL: allowed = madv_populate; break;
    case EFAULT: case ENOMEM: case EINTR: allowed = true; break;
    case EEXIST: allowed = !populate; break;
    case EHWPOISON: allowed = flags & FOLL_HWPOISON; break;
    case EOPNOTSUPP: case EBUSY: allowed = flags & FOLL_LONGTERM; break;
    case EREMOTEIO: allowed = !(flags & FOLL_PCI_P2PDMA); break;
    case EOVERFLOW: allowed = true; break;
    default: break;
  }
  if (!allowed) {
    why = std::string(populate ? "populate" : "GUP") + " returned " + name + ", which its flags do not allow";
    return false;
  }
  // A refused first VMA (no VMA, VM_IO|VM_PFNMAP, missing permission) is -EFAULT
  // (-EOPNOTSUPP for a long-term pin of fsdax, checked earlier by check_vma_flags()).
  const vm_flags_t f0 = pr.range_flags.empty() ? 0 : pr.range_flags[0];
  if (!madv_populate && vma_refuses(f0, flags) && ret != -EFAULT && !(ret == -EOPNOTSUPP && (flags & FOLL_LONGTERM))) {
    why = "GUP at " + std::string(f0 ? "a VMA check_vma_flags() refuses" : "an address without VMA") + " returned " +
          name + " instead of -EFAULT";
    return false;
  }
  // -EEXIST only for a PFN-only PTE at the first page.
  if (ret == -EEXIST &&
      !(pr.had_pte && pr.pte.present && !is_zero_pfn(pr.pte.pfn) && (pr.pte.special || !pfn_valid(w.kernel(), pr.pte.pfn)))) {
    why = "GUP returned -EEXIST although the first page is not a PFN-only PTE";
    return false;
  }
  return true;
}

// D5
bool fast_slow_composition(const World &w, std::string &why) {
  if (!valid_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  if (!is_fast_api(g.op.api)) return true;
  if (g.nr_fast < 0 || g.nr_fast > g.op.npages) {
    why = "GUP-fast reports " + std::to_string(g.nr_fast) + " pages taken for " + std::to_string(g.op.npages);
    return false;
  }
  if (g.nr_fast > 0 && g.ret < g.nr_fast) {
    why = "gup_fast_fallback() returned " + std::to_string(g.ret) + " after GUP-fast took " + std::to_string(g.nr_fast) +
          " pages: the caller could not release them";
    return false;
  }
  return true;
}

}  // namespace gupcheck::props::inv

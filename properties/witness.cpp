// SPDX-License-Identifier: GPL-2.0-only
//
// The witnesses (see witness.h). Each predicate returns true while its state
// has NOT been reached, false (with `why`) at the step that reaches it.
#include "properties/witness.h"

namespace gupcheck::props {

using namespace gupcheck::model;
using trace::OpKind;

namespace {

std::string at(uint64_t vpn) { return hex(vpn << 12); }

bool gup_step(const World &w) {
  return w.last_gup() && (w.last_op().kind == OpKind::Gup || w.last_op().kind == OpKind::Wait);
}

// W1: fork while the forking process holds a pin on an anonymous page.
bool no_pinned_page_at_fork(const World &w, std::string &why) {
  if (w.last_op().kind != OpKind::Fork) return true;
  const int parent = w.pid_of(w.last_op().proc);
  const kernel_state &k = w.kernel();
  for (const GupCall &g : w.gup_calls()) {
    if (!g.holds() || !g.pin || g.pid != parent) continue;
    for (pfn_t p : g.pages)
      if (pfn_valid(k, p) && k.folios[p].anon) {
        why = "p" + std::to_string(w.last_op().proc) + " forked while pinning anonymous pfn " + hex(p);
        return false;
      }
  }
  return true;
}

// W2: a R/O long-term pin taken where the zero page is mapped.
bool no_zero_page_under_ro_longterm_pin(const World &w, std::string &why) {
  if (!gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  if (!g.pin || (g.op.gup_flags & (FOLL_LONGTERM | FOLL_WRITE)) != FOLL_LONGTERM) return true;
  const Probe &pr = w.probe();
  if (!pr.had_pte || !pr.pte.present || !is_zero_pfn(pr.pte.pfn)) return true;
  why = "a R/O long-term pin at " + at(g.start) + " found the zero page mapped (returned " + std::to_string(g.ret) + ")";
  return false;
}

// The address a step acted on (its first page), and the PTE there now.
const pte_t *step_pte(const World &w, uint64_t &vpn) {
  const trace::Op &op = w.last_op();
  int pid;
  if (gup_step(w)) {
    pid = w.last_gup()->pid;
    vpn = w.last_gup()->start;
  } else if (op.has_process() && op.has_address()) {
    pid = w.pid_of(op.proc);
    vpn = w.address(op.map, op.page);
  } else {
    return nullptr;
  }
  const pte_t *p = pte_offset(w.kernel().tasks[pid].mm, vpn);
  return p && p->present ? p : nullptr;
}

// W3: a step COWs a raw page of a private VM_PFNMAP VMA into an anonymous page.
bool no_cow_in_private_pfnmap(const World &w, std::string &why) {
  const Probe &pr = w.probe();
  if (!pr.had_vma || !(pr.vma.vm_flags & VM_PFNMAP) || !is_cow_mapping(pr.vma.vm_flags)) return true;
  if (pr.had_pte && pr.pte.present && !pr.pte.special) return true;  // already a COWed page
  uint64_t vpn;
  const pte_t *p = step_pte(w, vpn);
  const kernel_state &k = w.kernel();
  if (!p || p->special || !pfn_valid(k, p->pfn) || !k.folios[p->pfn].anon) return true;
  why = "a COWed anonymous page (pfn " + hex(p->pfn) + ") is now mapped at " + at(vpn) + " of a private PFNMAP";
  return false;
}

// W4: a step maps the zero pfn in a VM_MIXEDMAP VMA.
bool no_zero_pfn_in_mixedmap(const World &w, std::string &why) {
  const Probe &pr = w.probe();
  if (!pr.had_vma || !(pr.vma.vm_flags & VM_MIXEDMAP)) return true;
  if (pr.had_pte && pr.pte.present && is_zero_pfn(pr.pte.pfn)) return true;  // already there
  uint64_t vpn;
  const pte_t *p = step_pte(w, vpn);
  if (!p || !is_zero_pfn(p->pfn)) return true;
  why = "the zero pfn is now mapped at " + at(vpn) + " of a VM_MIXEDMAP VMA";
  return false;
}

// W5: a GUP or populate call that processed pages of two or more VMAs.
bool no_gup_spanning_vmas(const World &w, std::string &why) {
  const bool populate = w.last_op().kind == OpKind::Populate;
  if (!gup_step(w) && !populate) return true;
  const long ret = populate ? w.last_outcome().ret : w.last_gup()->ret;
  if (ret < 2) return true;
  const int pid = populate ? w.pid_of(w.last_op().proc) : w.last_gup()->pid;
  const uint64_t start = populate ? w.address(w.last_op().map, w.last_op().page) : w.last_gup()->start;
  const mm_struct &mm = w.kernel().tasks[pid].mm;
  const vm_area_struct *first = find_vma(mm, start);
  const vm_area_struct *last = find_vma(mm, start + uint64_t(ret) - 1);
  if (!first || !last || first == last) return true;
  why = "a call processed " + std::to_string(ret) + " pages from " + at(start) + " across the VMA boundary at " +
        at(first->vm_end);
  return false;
}

// W6: a core dump that met holes.
bool no_dump_over_holes(const World &w, std::string &why) {
  if (w.last_op().kind != OpKind::Dump) return true;
  const Outcome &o = w.last_outcome();
  size_t holes = 0, pages = 0;
  for (pfn_t p : o.dump) (p ? pages : holes)++;
  if (holes == 0) return true;
  why = "a core dump met " + std::to_string(holes) + " holes and dumped " + std::to_string(pages) + " pages";
  return false;
}

// W7: a write to a KSM-placed zero page (KSM with use_zero_pages=1 maps the
// zero pfn with a dirty PTE: include/linux/ksm.h is_ksm_zero_pte()).
bool no_ksm_zero_page_written(const World &w, std::string &why) {
  const OpKind kind = w.last_op().kind;
  const bool write = (kind == OpKind::Write && !w.last_outcome().signal) ||
                     (gup_step(w) && (w.last_gup()->op.gup_flags & FOLL_WRITE) && w.last_gup()->ret > 0);
  if (!write) return true;
  const Probe &pr = w.probe();
  if (!pr.had_pte || !is_ksm_zero_pte(pr.pte)) return true;
  uint64_t vpn;
  const pte_t *p = step_pte(w, vpn);
  why = "a write at " + at(vpn) + " replaced a KSM zero page" + (p ? " by pfn " + hex(p->pfn) : std::string());
  return false;
}

// W8: a long-term pin holds the zero page in a VMA that is not a COW
// mapping (a shared mapping of an O_RDONLY fd, where the MIXEDMAP driver maps
// the zero pfn): there the pin keeps it instead of unsharing, so
// folio_is_longterm_pinnable()'s zero-page exception is exercised.
bool no_zero_page_longterm_pinned_shared(const World &w, std::string &why) {
  if (!gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  if (!g.pin || !(g.op.gup_flags & FOLL_LONGTERM)) return true;
  for (size_t i = 0; i < g.pages.size() && i < g.page_flags.size(); i++)
    if (is_zero_pfn(g.pages[i]) && g.page_flags[i] && !is_cow_mapping(g.page_flags[i])) {
      why = "a long-term pin holds the zero page at " + at(g.start + i) + " of a VMA that is not a COW mapping";
      return false;
    }
  return true;
}

// W9, W10: a page memory_failure() refused still mapped after a MADV_HWPOISON
// step (a driver's page: -EBUSY; a THP it could not split: -EHWPOISON).
bool no_refused_poison_mapped(const World &w, std::string &why, bool large) {
  const trace::Op &op = w.last_op();
  if (op.kind != OpKind::Madvise || op.advice != trace::Advice::Hwpoison) return true;
  const kernel_state &k = w.kernel();
  for (size_t pid = 0; pid < k.tasks.size(); pid++) {
    if (!k.tasks[pid].alive) continue;
    for (const pte_table &t : k.tasks[pid].mm.tables)
      for (unsigned i = 0; i < PTRS_PER_PTE; i++) {
        const pfn_t p = t.pmd_leaf ? t.pmd_pfn + i : (t.ptes[i].present && !t.ptes[i].special ? t.ptes[i].pfn : 0);
        if (!p || !pfn_valid(k, p)) continue;
        const folio &f = k.folios[p];
        if (f.hwpoison && f.large == large && !f.huge_zero) {
          why = "p" + std::to_string(w.proc_of(int(pid))) + " still maps " + (large ? "THP page " : "page ") + hex(p) +
                " at " + at(t.base + i) + " after memory_failure() refused it";
          return false;
        }
      }
  }
  return true;
}
bool no_refused_small_poison_mapped(const World &w, std::string &why) { return no_refused_poison_mapped(w, why, false); }
bool no_refused_thp_poison_mapped(const World &w, std::string &why) { return no_refused_poison_mapped(w, why, true); }

const std::vector<Invariant> kWitnesses = {
    {"PinnedPageAtFork", "W1", "Witness: no process forks while it pins an anonymous page.",
     "70e806e4e645 (fork copies pinned pages); cow.c 'fork() with an iouring fixed buffer'", no_pinned_page_at_fork},
    {"ZeroPageUnderRoLongtermPin", "W2", "Witness: no R/O long-term pin is ever taken where the zero page is mapped.",
     "84209e87c696; cow.c non-anon 'R/O longterm GUP pin' on the shared zeropage",
     no_zero_page_under_ro_longterm_pin},
    {"CowInPrivatePfnmap", "W3", "Witness: no step ever COWs a raw page of a private VM_PFNMAP VMA.",
     "seed b 6aab341e0a28 (the vm_pgoff linearity rule)", no_cow_in_private_pfnmap},
    {"ZeroPfnInMixedmap", "W4", "Witness: no step ever maps the zero pfn in a VM_MIXEDMAP VMA.",
     "seed e (vm_mixed_zeropage_allowed())", no_zero_pfn_in_mixedmap},
    {"GupSpansVmas", "W5", "Witness: no GUP or populate call ever processes pages of two VMAs.",
     "mm/gup.c __get_user_pages() VMA lookup at each boundary", no_gup_spanning_vmas},
    {"DumpOverHoles", "W6", "Witness: no core dump ever meets a hole.", "seed c 8e4b9a607189 (FOLL_DUMP holes)",
     no_dump_over_holes},
    {"KsmZeroPageWritten", "W7", "Witness: no KSM-placed zero page (use_zero_pages) is ever written to.",
     "include/linux/ksm.h is_ksm_zero_pte(); mm/memory.c wp_page_copy() ksm_might_unmap_zero_page()",
     no_ksm_zero_page_written},
    {"ZeroPageLongtermPinnedShared", "W8",
     "Witness: no long-term pin ever holds the zero page outside a COW mapping (e.g. a MIXEDMAP driver's zero pfn "
     "in a shared mapping of an O_RDONLY fd).",
     "folio_is_longterm_pinnable() zero-page exception; vm_mixed_zeropage_allowed() (!VM_MAYWRITE)",
     no_zero_page_longterm_pinned_shared},
    {"RefusedPoisonStaysMapped", "W9",
     "Witness: no page memory_failure() refused (a driver's page off the LRU) is still mapped after MADV_HWPOISON.",
     "memory_failure(): !folio_test_lru() -> identify_page_state() (MF_IGNORED, -EBUSY)", no_refused_small_poison_mapped},
    {"UnsplittableThpPoisoned", "W10",
     "Witness: no THP memory_failure() could not split (a GUP reference or pin beyond its mappings) is still mapped "
     "after MADV_HWPOISON.",
     "memory_failure(): try_to_split_thp_page() failure -> kill_procs_now(), -EHWPOISON", no_refused_thp_poison_mapped},
};

// KsmZeroPageWritten (W7) left this list when the KSM model (model-b) landed.
const std::vector<PendingWitness> kPending = {};

}  // namespace

const std::vector<Invariant> &all_witnesses() { return kWitnesses; }
const std::vector<PendingWitness> &pending_witnesses() { return kPending; }

}  // namespace gupcheck::props

// SPDX-License-Identifier: GPL-2.0-only
//
// Beyond the catalogue: HW1, HW2 (memory failure) and MP1 (move_pages status).
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

// HW1 (beyond the catalogue): memory failure.
bool hwpoison_never_mapped(const World &w, std::string &why) {
  const Census::Where &at = w.census().hwpoison_mapped;
  if (at.pid >= 0) {
    why = "p" + std::to_string(w.proc_of(at.pid)) + " maps hwpoisoned " + pfn_s(at.pfn) + " at " + addr_s(at.vpn) +
          ", a page memory_failure() unmaps";
    return false;
  }
  const trace::Op &op = w.last_op();
  const Probe &pr = w.probe();
  const bool was_poison = pr.had_pte && !pr.pte.present && pr.pte.hwpoison;
  // access_error() first: an access the VMA does not allow is SIGSEGV anyway.
  const bool allowed = pr.had_vma && (op.kind == OpKind::Write ? (pr.vma.vm_flags & VM_WRITE)
                                                                : (pr.vma.vm_flags & (VM_READ | VM_WRITE)));
  if ((op.kind == OpKind::Read || op.kind == OpKind::Write) && was_poison && allowed &&
      w.last_outcome().signal != SIGBUS_NR) {
    why = "an access to a hwpoison entry did not raise SIGBUS";
    return false;
  }
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  for (pfn_t p : g.pages)
    if (hwpoison_unmapped_by_memory_failure(w.kernel().folios[p])) {
      why = "GUP returned hwpoisoned " + pfn_s(p) + ", which memory_failure() unmapped";
      return false;
    }
  if (!was_poison || gup_args_invalid(g.op.api, g.op.gup_flags) || g.nr_fast) return true;
  if (check_vma_flags(w.kernel(), pr.vma, g.op.gup_flags | (g.pin ? FOLL_PIN : FOLL_GET))) return true;
  if (g.op.gup_flags & FOLL_NOFAULT) return true;
  const long want = (g.op.gup_flags & FOLL_HWPOISON) ? -EHWPOISON : -EFAULT;
  if (g.ret != want) {
    why = "GUP starting on a hwpoison entry returned " + std::to_string(g.ret) + ", expected " + std::to_string(want);
    return false;
  }
  return true;
}

// HW3 (beyond the catalogue): what MADV_HWPOISON of one mapped page does,
// from the state before it (the probe) and after it, for a page GUP can
// reach (a present, non-special PTE or PMD leaf in a readable VMA that is
// neither VM_IO/VM_PFNMAP nor secretmem): memory_failure() gives -EHWPOISON
// and SIGBUS for a page already poisoned or a large folio it cannot split
// (the huge zero folio, or references beyond its mappings), -EBUSY for a
// page off the LRU (a driver's), and otherwise unmaps the page (0). Whatever
// it refuses stays mapped where it was; whatever it handles is PG_hwpoison.
bool memory_failure_outcome(const World &w, std::string &why) {
  const trace::Op &op = w.last_op();
  if (op.kind != OpKind::Madvise || op.advice != trace::Advice::Hwpoison || op.npages != 1) return true;
  const Probe &pr = w.probe();
  if (!pr.had_vma || !pr.had_pte || !pr.pte.present || pr.pte.special || pr.pte.protnone) return true;
  if (!(pr.vma.vm_flags & VM_READ) || (pr.vma.vm_flags & (VM_IO | VM_PFNMAP)) ||
      pr.vma.backing == vma_backing::secretmem || pr.folio.fsdax)
    return true;
  const int pid = w.pid_of(op.proc);
  const uint64_t vpn = w.address(op.map, op.page);
  const pfn_t page = pr.pte.pfn;
  const folio &f = pr.folio;  // the head's counts before the step
  long want = 0;
  if (pr.page_hwpoison) want = -EHWPOISON;
  else if (f.large) want = (f.huge_zero || f.refcount != f.mapcount) ? -EHWPOISON : 0;
  else if (!f.anon && !f.pagecache) want = -EBUSY;
  const Outcome &out = w.last_outcome();
  const std::string at = "MADV_HWPOISON of " + pfn_s(page) + " at " + addr_s(vpn);
  if (out.ret != want) {
    why = at + " returned " + std::to_string(out.ret) + ", expected " + std::to_string(want);
    name_pfn(page);
    return false;
  }
  if ((want == -EHWPOISON) != (out.signal == SIGBUS_NR)) {
    why = at + (want == -EHWPOISON ? " sent no SIGBUS to the caller" : " sent a signal with " + std::to_string(want));
    return false;
  }
  if (!w.kernel().folios[page].hwpoison) {
    why = at + " left the page without PG_hwpoison";
    name_pfn(page);
    return false;
  }
  const pfn_t now = mapped_pfn(w.kernel().tasks[pid].mm, vpn);
  if (want != 0 && now != page) {
    why = at + " was refused (" + std::to_string(want) + ") but the page is no longer mapped there";
    name_pte(pid, vpn);
    return false;
  }
  if (want == 0 && now == page) {
    why = at + " was handled (0) but the page is still mapped there";
    name_pte(pid, vpn);
    return false;
  }
  return true;
}

// HW2 (beyond the catalogue): a hwpoison entry is the kernel's record that
// the data at that address is lost. Only unmapping it (munmap,
// MADV_DONTNEED, exit) may clear it; nothing maps a page over it (a fault
// elsewhere, fault-around, a driver or userfaultfd insert: all fill only
// pte_none()), and no access through it returns data: a user access raises
// SIGBUS (HW1), a remote access fails, a core dump writes a hole, and no GUP
// call returns a page for its address.
bool hwpoison_entry_never_readable(const World &w, std::string &why) {
  const auto &entries = w.probe().hwpoison_entries;
  if (entries.empty()) return true;
  const trace::Op &op = w.last_op();
  const kernel_state &k = w.kernel();
  const int actor = op.kind == OpKind::Resume || op.kind == OpKind::Wait || op.kind == OpKind::Put ||
                            op.kind == OpKind::Unpin || op.kind == OpKind::DmaRead || op.kind == OpKind::DmaWrite
                        ? -1
                        : w.pid_of(op.proc);
  const int target = op.has_target() ? w.pid_of(op.target) : actor;
  const bool unmaps = op.kind == OpKind::Munmap || op.kind == OpKind::Exit ||
                      (op.kind == OpKind::Madvise && op.advice == trace::Advice::Dontneed);
  auto where = [&](int pid, uint64_t vpn) {
    name_pte(pid, vpn);
    return "the hwpoison entry of p" + std::to_string(w.proc_of(pid)) + " at " + addr_s(vpn);
  };
  for (const auto &[pid, vpn] : entries) {
    if (!k.tasks[pid].alive) continue;
    const mm_struct &mm = k.tasks[pid].mm;
    const pte_table *t = pmd_offset(mm, vpn);
    const pte_t *p = pte_offset(mm, vpn);
    if ((t && t->pmd_leaf) || (p && p->present)) {
      why = "a step mapped " + pfn_s(mapped_pfn(mm, vpn)) + " over " + where(pid, vpn);
      return false;
    }
    if ((!p || pte_none(*p)) && !(unmaps && pid == actor)) {
      why = "a step that unmaps nothing there cleared " + where(pid, vpn);
      return false;
    }
  }
  auto poisoned = [&](int pid, uint64_t vpn) {
    return std::find(entries.begin(), entries.end(), std::make_pair(pid, vpn)) != entries.end();
  };
  const Outcome &o = w.last_outcome();
  if (op.has_address() && target >= 0) {
    const uint64_t vpn = w.address(op.map, op.page);
    const bool access = op.kind == OpKind::Read || op.kind == OpKind::Write || op.kind == OpKind::RemoteRead ||
                        op.kind == OpKind::RemoteWrite;
    if (access && poisoned(target, vpn) && (o.has_value || (o.ret == 0 && o.signal == 0))) {
      why = "an access through " + where(target, vpn) + " succeeded";
      return false;
    }
  }
  if (op.kind == OpKind::Dump)
    for (size_t i = 0; i < o.dump.size(); i++)
      if (o.dump[i] && poisoned(actor, o.dump_vpn[i])) {
        why = "a core dump wrote " + pfn_s(o.dump[i]) + " for " + where(actor, o.dump_vpn[i]);
        return false;
      }
  if (is_gup_step(w)) {
    const GupCall &g = *w.last_gup();
    for (size_t i = 0; i < g.pages.size(); i++)
      if (poisoned(g.pid, g.start + i)) {
        why = "g" + std::to_string(gup_index(w, g)) + " returned " + pfn_s(g.pages[i]) + " for " +
              where(g.pid, g.start + i);
        return false;
      }
  }
  return true;
}

// MP1 (beyond the catalogue): move_pages(2) status lookups.
bool pages_stat_contract(const World &w, std::string &why) {
  if (w.last_op().kind != OpKind::Stat) return true;
  const Probe &pr = w.probe();
  const kernel_state &k = w.kernel();
  long want = 0;
  if (!pr.had_vma) want = -EFAULT;
  else if (!pr.had_pte || !pr.pte.present) want = -ENOENT;
  else if (is_zero_pfn(pr.pte.pfn) || is_huge_zero_pfn(k, pr.pte.pfn)) want = -EFAULT;
  else if (pr.pte.special) want = -ENOENT;
  else if (pr.folio.fsdax) want = -ENOENT;
  if (w.last_outcome().ret != want) {
    why = "move_pages() status " + std::to_string(w.last_outcome().ret) + ", expected " + std::to_string(want);
    return false;
  }
  const int pid = w.pid_of(w.last_op().proc);
  if (k.folios.size() != pr.nfolios || k.tasks[pid].mm.tables.size() != pr.ntables) {
    why = "a move_pages() status lookup allocated a page or page table";
    return false;
  }
  for (pfn_t p = 1; p < k.folios.size(); p++)
    if (gup_share_delta(w, p) != 0) {
      why = "a move_pages() status lookup left a reference on " + pfn_s(p);
      return false;
    }
  return true;
}

}  // namespace gupcheck::props::inv

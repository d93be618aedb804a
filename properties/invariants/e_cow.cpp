// SPDX-License-Identifier: GPL-2.0-only
//
// Catalogue E: COW, exclusivity and pin coherence (E1-E10).
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

// E1
bool pinned_anon_is_exclusive(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  for (const GupCall &g : GupScan(w)) {
    if (!g.holds() || !g.pin) continue;
    for (pfn_t p : g.pages) {
      const folio &f = k.folios[p];
      // A THP page counts as exclusive when it or its head is (sanity_check_pinned_pages()).
      if (f.anon && !f.anon_exclusive && !(f.large && page_folio(k, p).anon_exclusive)) {
        name_pfn(p);
        name_gup(gup_index(w, g));
        why = "pinned anonymous " + pfn_s(p) + " is not PageAnonExclusive";
        return false;
      }
    }
  }
  return true;
}

// E2
bool writable_anon_is_exclusive(const World &w, std::string &why) {
  const Census::Where &at = w.census().writable_shared_anon;
  if (at.pid < 0) return true;
  name_pfn(at.pfn);
  name_pte(at.pid, at.vpn);
  why = "p" + std::to_string(w.proc_of(at.pid)) + " maps non-exclusive anonymous " + pfn_s(at.pfn) +
        " writable at " + addr_s(at.vpn);
  return false;
}

// E3
bool pinned_page_not_shared(const World &w, std::string &why) {
  const Census &c = w.census();
  const kernel_state &k = w.kernel();
  for (pfn_t p : PfnScan(w, 2))
    if (c.page_pins[p] > 0 && k.folios[p].anon && c.page_maps[p] > 1) {
      name_pfn(p);
      why = "pinned anonymous " + pfn_s(p) + " is mapped by " + std::to_string(c.page_maps[p]) +
            " PTEs: a pinned page was shared at fork";
      return false;
    }
  return true;
}

// E5
bool write_fault_reuse_rule(const World &w, std::string &why) {
  if (w.last_op().kind != OpKind::Write || w.last_outcome().signal) return true;
  const Probe &pr = w.probe();
  if (!pr.had_pte || !pr.pte.present || pr.pte.write || pr.pte.special) return true;
  if (!pr.folio.anon) return true;
  if (w.last_outcome().pfn != pr.pte.pfn) return true;  // copied
  if (!pr.folio.anon_exclusive && pr.folio.refcount != 1) {
    name_pfn(pr.pte.pfn);
    name_pte(w.pid_of(w.last_op().proc), w.address(w.last_op().map, w.last_op().page));
    why = "a write fault reused anonymous " + pfn_s(pr.pte.pfn) + " with refcount " +
          std::to_string(pr.folio.refcount) + " although it was not exclusive";
    return false;
  }
  return true;
}

// E9
bool no_leak_across_cow(const World &w, std::string &why) {
  const OpKind kind = w.last_op().kind;
  const bool remote = kind == OpKind::RemoteRead || kind == OpKind::RemoteWrite;
  if ((kind != OpKind::Read && kind != OpKind::Write && !remote) || w.last_outcome().signal) return true;
  if (remote && w.last_outcome().ret != 0) return true;
  // A remote access reads or writes the target's memory.
  const int pid = w.pid_of(remote ? w.last_op().target : w.last_op().proc);
  const uint64_t vpn = w.address(w.last_op().map, w.last_op().page);
  if (kind == OpKind::Read || kind == OpKind::RemoteRead) {
    uint64_t want = w.shadow(pid, vpn);
    if (want != World::kUnknown && want != w.last_outcome().value) {
      name_pfn(w.last_outcome().pfn);
      name_pte(pid, vpn);
      why = "p" + std::to_string(w.last_op().proc) + " read " + hex(w.last_outcome().value) + " at " + addr_s(vpn) +
            " where its private memory holds " + hex(want);
      return false;
    }
    return true;
  }
  const pfn_t f = w.last_outcome().pfn;
  // Only anonymous pages are private; a MAP_PRIVATE page-cache page not yet
  // COWed legitimately shows writes made through the file.
  if (!pfn_valid(w.kernel(), f) || !w.kernel().folios[f].anon) return true;
  for (const GupCall &g : GupScan(w)) {
    if (!g.holds() || g.pid == pid || !g.private_mapping) continue;
    if (std::find(g.pages.begin(), g.pages.end(), f) != g.pages.end()) {
      name_pfn(f);
      name_pte(pid, vpn);
      name_gup(gup_index(w, g));
      why = "p" + std::to_string(w.last_op().proc) + "'s write landed on " + pfn_s(f) + ", which p" +
            std::to_string(w.proc_of(g.pid)) + "'s GUP call g" + std::to_string(&g - w.gup_calls().data()) +
            " holds from a private mapping";
      return false;
    }
  }
  return true;
}

// E6
bool gup_fast_fork_seq(const World &w, std::string &why) {
  for (const GupCall &g : GupScan(w))
    if (g.exists && g.completed && g.pin && g.fork_in_fast && g.nr_fast > 0) {
      name_gup(gup_index(w, g));
      for (long i = 0; i < g.nr_fast && size_t(i) < g.pages.size(); i++) name_pfn(g.pages[size_t(i)]);
      why = "a fork write-protected COW mappings inside GUP-fast's lockless section, yet pin_user_pages_fast() kept " +
            std::to_string(g.nr_fast) + " page(s) it took there";
      return false;
    }
  return true;
}

// E10 (beyond the catalogue): pin coherence by value.
bool pin_coherent_by_value(const World &w, std::string &why) {
  if (w.last_op().kind != OpKind::DmaRead) return true;
  const GupCall &g = *w.last_gup();
  if (!g.pin) return true;
  const Outcome &o = w.last_outcome();
  for (size_t i = 0; i < g.pages.size() && i < o.values.size(); i++) {
    if (i >= g.coherent.size() || !g.coherent[i] || !g.anon_at_pin[i]) continue;
    const uint64_t want = w.shadow(g.pid, g.start + i);
    if (want != World::kUnknown && want != o.values[i]) {
      why = "a device read " + hex(o.values[i]) + " through pin g" + std::to_string(&g - w.gup_calls().data()) +
            " at index " + std::to_string(i) + " where p" + std::to_string(w.proc_of(g.pid)) + "'s memory holds " +
            hex(want);
      return false;
    }
  }
  return true;
}

// E8
bool ksm_never_pinned(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  const Census &c = w.census();
  for (pfn_t p : PfnScan(w, 2)) {
    const folio &f = k.folios[p];
    if (!f.ksm || f.freed) continue;
    if (f.anon_exclusive || c.pins[p] > 0) {
      why = "KSM " + pfn_s(p) + (f.anon_exclusive ? " is PageAnonExclusive" : " is pinned");
      return false;
    }
  }
  if (w.last_op().kind != OpKind::KsmMerge) return true;
  // A merge drops a page's mapping only when nobody else holds it.
  const Probe &pr = w.probe();
  for (pfn_t p = 2; p < pr.mapcount.size(); p++)
    if (k.folios[p].mapcount < pr.mapcount[p] && (c.gets[p] > 0 || c.pins[p] > 0)) {
      why = "KSM merged away " + pfn_s(p) + " although GUP holds " + std::to_string(c.gets[p]) + " references and " +
            std::to_string(c.pins[p]) + " pins on it";
      return false;
    }
  return true;
}

// E4
bool ro_pin_unshares(const World &w, std::string &why) {
  if (!valid_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  if (!g.pin)
    for (const fault_record &f : w.kernel().faults)
      if (f.flags & FAULT_FLAG_UNSHARE) {
        why = "a FOLL_GET call faulted with FAULT_FLAG_UNSHARE at " + addr_s(f.vpn);
        return false;
      }
  const Probe &pr = w.probe();
  if (g.ret < 1 || (g.op.gup_flags & FOLL_WRITE)) return true;
  if (!pr.had_pte || !pr.pte.present || pr.pte.write || !pr.folio.anon || pr.folio.anon_exclusive) return true;
  const pte_t *now = pte_offset(w.kernel().tasks[g.pid].mm, g.start);
  if (g.pin) {
    if (now && now->present && now->write) {
      why = "unsharing for a R/O pin made the PTE at " + addr_s(g.start) + " writable";
      return false;
    }
    const folio &f = w.kernel().folios[g.pages[0]];
    if (!f.anon || !f.anon_exclusive) {
      why = "a R/O pin of the shared anonymous " + pfn_s(pr.pte.pfn) + " at " + addr_s(g.start) +
            " did not unshare it first";
      return false;
    }
  } else if (g.pages[0] != pr.pte.pfn) {
    why = "a FOLL_GET call replaced the shared anonymous " + pfn_s(pr.pte.pfn) + " at " + addr_s(g.start) +
          " by " + pfn_s(g.pages[0]) + ": FOLL_GET never unshares";
    return false;
  }
  return true;
}

// E7
bool unshare_excludes_write(const World &w, std::string &why) {
  const auto &faults = w.kernel().faults;
  if (faults.empty()) return true;
  // GUP raises FAULT_FLAG_UNSHARE only for a R/O pin (gup_must_unshare()), a
  // user access never; other kernel paths may (break_ksm() unshares KSM pages).
  const OpKind kind = w.last_op().kind;
  const bool gup = is_gup_step(w);
  const bool ro_pin = gup && w.last_gup()->pin && !(w.last_gup()->op.gup_flags & FOLL_WRITE);
  const bool constrained = kind == OpKind::Read || kind == OpKind::Write || (gup && !ro_pin);
  for (const fault_record &f : faults) {
    if (!(f.flags & FAULT_FLAG_UNSHARE)) continue;
    if (f.flags & FAULT_FLAG_WRITE) {
      why = "a fault at " + addr_s(f.vpn) + " has both FAULT_FLAG_UNSHARE and FAULT_FLAG_WRITE";
      return false;
    }
    if (constrained) {
      why = "FAULT_FLAG_UNSHARE at " + addr_s(f.vpn) + " from a step that is not a R/O pin (" +
            trace::op_kind_name(w.last_op().kind) + ")";
      return false;
    }
  }
  return true;
}

}  // namespace gupcheck::props::inv

// SPDX-License-Identifier: GPL-2.0-only
//
// Catalogue A: refcount and pin accounting (A1-A10).
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

// A1
bool gup_grab_arithmetic(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  return gup_delta_matches(w, *w.last_gup(), +1, "GUP", why);
}

// A2
bool release_is_inverse(const World &w, std::string &why) {
  const OpKind kind = w.last_op().kind;
  if (kind != OpKind::Put && kind != OpKind::Unpin) return true;
  return gup_delta_matches(w, *w.last_gup(), -1, "release", why);
}

// A3
bool maybe_pinned_no_false_negative(const World &w, std::string &why) {
  const Census &c = w.census();
  const kernel_state &k = w.kernel();
  for (pfn_t p : PfnScan(w, 2))
    if (c.pins[p] > 0 && !folio_maybe_dma_pinned(k.folios[p])) {
      name_pfn(p);
      why = pfn_s(p) + " holds " + std::to_string(c.pins[p]) + " pins but folio_maybe_dma_pinned() is false";
      return false;
    }
  return true;
}

// A4
bool flag_algebra(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  if (!gup_args_invalid(g.op.api, g.op.gup_flags)) return true;
  const long want = g.op.api == trace::GupApi::Pin ? 0 : -EINVAL;
  if (g.ret != want || !g.pages.empty()) {
    why = "invalid GUP flags returned " + std::to_string(g.ret) + ", expected " + std::to_string(want);
    return false;
  }
  return true;
}

// A5
bool pte_references_accounted(const World &w, std::string &why) {
  const Census &c = w.census();
  const kernel_state &k = w.kernel();
  for (pfn_t p : PfnScan(w, 2)) {
    const folio &f = k.folios[p];
    if (f.mapcount != c.ptes[p]) {
      name_pfn(p);
      why = pfn_s(p) + " has mapcount " + std::to_string(f.mapcount) + " but " + std::to_string(c.ptes[p]) +
            " PTEs map it";
      return false;
    }
    if (f.freed && (c.ptes[p] || c.special_ptes[p])) {
      name_pfn(p);
      why = "a PTE maps freed " + pfn_s(p);
      return false;
    }
  }
  return true;
}

// A6
bool refcount_matches_holders(const World &w, std::string &why) {
  const Census &c = w.census();
  const kernel_state &k = w.kernel();
  for (pfn_t p : PfnScan(w, 2)) {
    const folio &f = k.folios[p];
    long want = base_refs(f, c.ptes[p]) + c.gets[p] + long(c.pins[p]) * (f.large ? 1 : GUP_PIN_COUNTING_BIAS);
    if (f.refcount != want) {
      name_pfn(p);
      why = pfn_s(p) + " has refcount " + std::to_string(f.refcount) + " but its holders account for " +
            std::to_string(want) + " (" + std::to_string(c.ptes[p]) + " PTEs, " + std::to_string(c.gets[p]) +
            " GUP refs, " + std::to_string(c.pins[p]) + " pins)";
      return false;
    }
  }
  return true;
}

// A7
bool has_pinned_sticky(const World &w, std::string &why) {
  const OpKind kind = w.last_op().kind;
  if (kind == OpKind::Put || kind == OpKind::Unpin || kind == OpKind::Resume) return true;
  int pid = kind == OpKind::Wait                           ? (w.last_gup() ? w.last_gup()->pid : -1)
            : (kind == OpKind::DmaWrite || kind == OpKind::DmaRead) ? -1
            : w.last_op().has_target()                    ? w.pid_of(w.last_op().target)
                                                          : w.pid_of(w.last_op().proc);
  if (pid < 0 || !w.kernel().tasks[pid].alive) return true;
  const bool now = w.kernel().tasks[pid].mm.has_pinned;
  if (w.probe().has_pinned && !now) {
    why = "MMF_HAS_PINNED was cleared";
    return false;
  }
  if (is_gup_step(w) && w.last_gup()->pin && !gup_args_invalid(w.last_gup()->op.api, w.last_gup()->op.gup_flags) &&
      !now) {
    why = "a FOLL_PIN call left MMF_HAS_PINNED unset";
    return false;
  }
  return true;
}

// A10
bool rss_excludes_special(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  const Census &c = w.census();
  for (size_t pid = 0; pid < k.tasks.size(); pid++) {
    const task_struct &t = k.tasks[pid];
    if (!t.alive) continue;
    const Census::Rss &r = c.rss[pid];
    if (t.mm.rss[MM_ANONPAGES] != r.anon || t.mm.rss[MM_FILEPAGES] != r.file || t.mm.rss[MM_SHMEMPAGES] != r.shmem) {
      why = "p" + std::to_string(w.proc_of(int(pid))) + " rss anon/file/shmem = " +
            std::to_string(t.mm.rss[MM_ANONPAGES]) + "/" + std::to_string(t.mm.rss[MM_FILEPAGES]) + "/" +
            std::to_string(t.mm.rss[MM_SHMEMPAGES]) + " but its normal PTEs count " + std::to_string(r.anon) + "/" +
            std::to_string(r.file) + "/" + std::to_string(r.shmem);
      return false;
    }
  }
  return true;
}

// A8
bool refcount_overflow_guard(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  for (pfn_t p : PfnScan(w, 1))
    if (k.folios[p].refcount > refcount_ceiling(k)) {
      name_pfn(p);
      why = pfn_s(p) + "'s refcount " + std::to_string(k.folios[p].refcount) + " passed the ceiling " +
            std::to_string(refcount_ceiling(k));
      return false;
    }
  return true;
}

// Holders' share of a folio's refcount besides GUP: PTEs, page cache, driver.

// A9
bool large_folio_counts_per_page(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  const Census &c = w.census();
  for (pfn_t p : PfnScan(w, 2)) {
    const folio &f = k.folios[p];
    if (!f.large || f.head || f.freed) continue;
    if (f.pincount != c.pins[p]) {
      why = "large " + pfn_s(p) + " has _pincount " + std::to_string(f.pincount) + " but GUP calls hold " +
            std::to_string(c.pins[p]) + " pins on its pages";
      return false;
    }
  }
  if (!is_gup_step(w)) return true;
  // The call took one reference per page it returned from each large folio.
  const GupCall &g = *w.last_gup();
  std::vector<pfn_t> heads;
  for (pfn_t p : g.pages)
    if (pfn_valid(k, p) && k.folios[p].large && std::find(heads.begin(), heads.end(), folio_pfn(k, p)) == heads.end())
      heads.push_back(folio_pfn(k, p));
  for (pfn_t h : heads) {
    long n = 0;
    for (pfn_t q : g.pages) n += folio_pfn(k, q) == h;
    const long d = gup_share_delta(w, h);
    if (d != n) {
      why = "GUP returned " + std::to_string(n) + " pages of large " + pfn_s(h) + " but took " + std::to_string(d) +
            " references";
      return false;
    }
  }
  return true;
}

}  // namespace gupcheck::props::inv

// SPDX-License-Identifier: GPL-2.0-only
//
// Catalogue G: FOLL_LONGTERM (G1-G5).
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

// G1
bool longterm_implies_pin(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  if (!(g.op.gup_flags & FOLL_LONGTERM) || g.ret <= 0) return true;
  if (!g.pin) {
    why = "a FOLL_LONGTERM call without FOLL_PIN (" + std::string(trace::gup_api_name(g.op.api)) + ") took pages";
    return false;
  }
  if (!w.kernel().tasks[g.pid].mm.has_pinned) {
    why = "a FOLL_LONGTERM pin left MMF_HAS_PINNED unset";
    return false;
  }
  return true;
}

// G2
bool fsdax_longterm_refused(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  if (!g.pin || !(g.op.gup_flags & FOLL_LONGTERM)) return true;
  const kernel_state &k = w.kernel();
  for (size_t i = 0; i < g.pages.size(); i++)
    if (k.folios[g.pages[i]].fsdax) {
      name_gup(gup_index(w, g));
      name_pfn(g.pages[i]);
      why = "a long-term pin holds fsdax " + pfn_s(g.pages[i]) + " at index " + std::to_string(i);
      return false;
    }
  // GUP-fast has no VMA: it may pin a COWed anonymous page of a private
  // fsdax mapping; only the slow path's check_vma_flags() refuses the VMA.
  if (gup_args_invalid(g.op.api, g.op.gup_flags) || g.nr_fast) return true;
  const bool dax = first_vma_is(w, [](const World &ww, const vm_area_struct &v) { return vma_is_fsdax(ww.kernel(), v); });
  if (!dax) return true;
  const long want = (g.op.gup_flags & FOLL_ANON) ? -EFAULT : -EOPNOTSUPP;
  if (g.ret != want) {
    why = "a long-term pin starting in an fsdax VMA returned " + std::to_string(g.ret) + ", expected " +
          std::to_string(want);
    return false;
  }
  return true;
}

// G4
bool longterm_write_needs_no_dirty_tracking(const World &w, std::string &why) {
  if (!is_gup_step(w)) return true;
  const GupCall &g = *w.last_gup();
  const unsigned lw = FOLL_LONGTERM | FOLL_WRITE;
  if (!g.pin || (g.op.gup_flags & lw) != lw) return true;
  const kernel_state &k = w.kernel();
  const Probe &pr = w.probe();
  for (size_t i = 0; i < g.pages.size() && i < pr.range_flags.size(); i++) {
    const folio &f = k.folios[g.pages[i]];
    if ((pr.range_flags[i] & VM_SHARED) && f.pagecache && k.files[f.file].needs_dirty_tracking) {
      why = "a long-term write pin holds page-cache " + pfn_s(g.pages[i]) + " of a file that needs dirty tracking";
      return false;
    }
  }
  if (gup_args_invalid(g.op.api, g.op.gup_flags) || !pr.had_vma) return true;
  const vm_area_struct &v = pr.vma;
  if (v.backing == vma_backing::file && (v.vm_flags & VM_SHARED) && !vma_is_fsdax(k, v) &&
      k.files[v.file].needs_dirty_tracking && g.ret != -EFAULT) {
    why = "a long-term write pin starting in a shared file mapping with dirty tracking returned " +
          std::to_string(g.ret) + ", expected -EFAULT";
    return false;
  }
  return true;
}

// G3
bool longterm_pin_is_pinnable(const World &w, std::string &why) { return longterm_range_pinnable(w, false, why); }

// G5
bool gup_fast_longterm_pinnable(const World &w, std::string &why) { return longterm_range_pinnable(w, true, why); }

}  // namespace gupcheck::props::inv

// SPDX-License-Identifier: GPL-2.0-only
//
// TypeOK (a well-formed model state; its failure is a model bug), NoKernelWarning (the kernel's
// own WARN_ON/VM_BUG_ON conditions) and Expectation (a trace's "=> X").
// Each invariant is a pure function of the world after a step (see
// properties/invariants/internal.h); ids and statements follow
// docs/invariants.md, and the registry (properties/invariants/registry.cpp)
// names each with its statement and source.
#include "properties/invariants/internal.h"
#include "trace/text.h"

#include <algorithm>
#include <sstream>

namespace gupcheck::props::inv {

using namespace gupcheck::model;
using trace::OpKind;

// ---------------------------------------------------------------------------

bool type_ok(const World &w, std::string &why) {
  const kernel_state &k = w.kernel();
  for (size_t pid = 0; pid < k.tasks.size(); pid++) {
    const mm_struct &mm = k.tasks[pid].mm;
    if (!k.tasks[pid].alive && (!mm.vmas.empty() || !mm.tables.empty())) {
      why = "exited pid " + std::to_string(pid) + " still has VMAs or page tables";
      return false;
    }
    uint64_t prev_end = 0;
    for (const auto &v : mm.vmas) {
      if (v.vm_start >= v.vm_end || v.vm_start < prev_end || v.vm_start < MMAP_MIN_VPN || v.vm_end > TASK_SIZE_VPN) {
        why = "VMAs not sorted, empty or overlapping at " + addr_s(v.vm_start);
        return false;
      }
      prev_end = v.vm_end;
    }
    uint64_t prev_base = 0;
    bool first = true;
    size_t vi = 0;
    for (const auto &t : mm.tables) {
      if (t.base % PTRS_PER_PTE || (!first && t.base <= prev_base)) {
        why = "PTE tables not sorted or misaligned";
        return false;
      }
      first = false;
      prev_base = t.base;
      for (unsigned i = 0; i < PTRS_PER_PTE; i++) {
        const pte_t &p = t.ptes[i];
        if (!p.present) continue;
        // Walk the sorted VMAs alongside the sorted tables.
        while (vi < mm.vmas.size() && mm.vmas[vi].vm_end <= t.base + i) vi++;
        if (vi == mm.vmas.size() || mm.vmas[vi].vm_start > t.base + i) {
          why = "present PTE at " + addr_s(t.base + i) + " outside every VMA";
          return false;
        }
        const bool dev = p.pfn >= DEVICE_PFN_BASE && p.pfn - DEVICE_PFN_BASE < k.device_mem.size();
        if (!dev && !pfn_valid(k, p.pfn)) {
          why = "PTE at " + addr_s(t.base + i) + " names an unknown " + pfn_s(p.pfn);
          return false;
        }
      }
    }
  }
  for (const GupCall &g : GupScan(w)) {
    if (!g.exists || !g.completed) continue;
    if (long(g.pages.size()) != std::max(g.ret, 0L)) {
      why = "a GUP call's pages do not match its return value";
      return false;
    }
  }
  return true;
}

bool no_kernel_warning(const World &w, std::string &why) {
  if (w.kernel().warnings.empty()) return true;
  // The warning itself names no page: point at what the last step touched.
  if (const GupCall *g = w.last_gup()) {
    name_gup(gup_index(w, *g));
    for (pfn_t p : g->pages) name_pfn(p);
  }
  if (w.last_op().has_address() && w.last_op().has_process()) {
    try {
      name_pte(w.pid_of(w.last_op().proc), w.address(w.last_op().map, w.last_op().page));
    } catch (const bad_trace &) {
      // The mapping handle is gone: nothing to point at.
    }
  }
  why = "the kernel would warn: " + w.kernel().warnings.front();
  return false;
}

// Scenario traces: "=> X" on a step.
bool expectation_met(const World &w, std::string &why) {
  const trace::Op &op = w.last_op();
  if (op.expect == trace::ExpectKind::None) return true;
  const Outcome &o = w.last_outcome();
  bool ok = false;
  switch (op.expect) {
    case trace::ExpectKind::None: return true;
    case trace::ExpectKind::Signal: ok = o.signal == op.expect_value; break;
    case trace::ExpectKind::Value:
      if (op.kind == OpKind::DmaRead) {
        ok = !o.values.empty();
        for (uint64_t v : o.values) ok = ok && v == uint64_t(op.expect_value);
      } else {
        ok = !o.signal && o.has_value && o.value == uint64_t(op.expect_value);
      }
      break;
    case trace::ExpectKind::Ret: ok = !o.signal && o.ret == op.expect_value; break;
  }
  if (ok) return true;
  std::string got = o.describe();
  if (op.expect == trace::ExpectKind::Value && o.has_value && !o.signal) got = hex(o.value);
  if (op.expect == trace::ExpectKind::Value && op.kind == OpKind::DmaRead) {
    got = "values";
    for (uint64_t v : o.values) got += " " + hex(v);
  }
  why = "'" + trace::print_op_only(op) + "' expected " + trace::expect_to_string(op) + ", got " + got;
  return false;
}

}  // namespace gupcheck::props::inv

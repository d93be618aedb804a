// SPDX-License-Identifier: GPL-2.0-only
//
// The executor (properties/world.h), one of its areas:
// accesses to memory (user loads and stores, remote access
// through /proc/PID/mem and process_vm_*v, device DMA through a GUP call,
// core dumps).
#include <algorithm>

#include "properties/translate.h"
#include "properties/world.h"

namespace gupcheck::props {

using namespace gupcheck::model;
using trace::Op;
using trace::OpKind;

void World::device_store(const GupCall &g, uint64_t v) {
  for (pfn_t p : g.pages) write_pfn(k_, p, v);
}

void World::step_access(const Op &op, int pid) {
  Outcome &out = out_;
  switch (op.kind) {
    case OpKind::Read:
    case OpKind::Write: {
      const bool w = op.kind == OpKind::Write;
      uint64_t vpn = address(op.map, op.page);
      access_result r = user_access(k_, pid, vpn, w, op.value);
      out.signal = r.signal;
      out.pfn = r.pfn;
      if (!r.signal) {
        if (w) {
          // A write to any private mapping leaves a private (COWed) copy the
          // process owns from now on: file, shmem and driver pages included.
          const vm_area_struct *v = find_vma(k_.tasks[pid].mm, vpn);
          if (shadow(pid, vpn) != kUnknown || (v && !(v->vm_flags & VM_SHARED))) set_shadow(pid, vpn, op.value);
        } else {
          out.has_value = true;
          out.value = r.value;
        }
      }
      break;
    }
    case OpKind::RemoteRead:
    case OpKind::RemoteWrite: {
      const int target = require_pid(op.target);
      const uint64_t vpn = address(op.map, op.page);
      const bool w = op.kind == OpKind::RemoteWrite;
      const remote_result r = op.via == trace::RemoteVia::Mem ? access_remote_vm(k_, target, vpn, w, op.value)
                                                              : process_vm_rw(k_, target, vpn, w, op.value);
      out.ret = r.ret;
      out.pfn = r.pfn;
      if (r.ret == 0) {
        if (w) {
          // Spec: the write lands in the target's memory at that address.
          if (shadow(target, vpn) != kUnknown) set_shadow(target, vpn, op.value);
        } else {
          out.has_value = true;
          out.value = r.value;
        }
      }
      break;
    }
    case OpKind::DmaWrite:
    case OpKind::DmaRead: {
      GupCall &g = require_gup(op.gup);
      if (!g.completed || g.released || g.op.kind != OpKind::Gup)
        throw bad_trace("DMA through a GUP call that holds no pages");
      if (op.kind == OpKind::DmaWrite) {
        if (!(g.op.gup_flags & FOLL_WRITE)) throw bad_trace("dma_write through a call taken without WRITE");
        dma_write(g, op.value);
      } else {
        for (pfn_t p : g.pages) out.values.push_back(read_pfn(k_, p));
      }
      last_gup_ = &g;
      out.ret = 0;
      break;
    }
    case OpKind::Dump: {
      // Models: fs/coredump.c dump_user_range() over each VMA that
      // vma_dump_size() keeps: VM_DONTDUMP and VM_IO VMAs are skipped.
      std::vector<std::pair<uint64_t, uint64_t>> ranges;
      for (const auto &v : k_.tasks[pid].mm.vmas)
        if (!(v.vm_flags & (VM_DONTDUMP | VM_IO))) ranges.emplace_back(v.vm_start, v.vm_end);
      for (auto [s, e] : ranges)
        for (uint64_t a = s; a < e; a++) {
          pfn_t p = get_dump_page(k_, pid, a);
          out.dump.push_back(p);
          out.dump_vpn.push_back(a);
          if (p) put_page(k_, p);
        }
      // What get_dump_page() would return inside the VM_IO|VM_PFNMAP VMAs
      // the dump skips (F4: check_vma_flags() refuses them anyway).
      std::vector<std::pair<uint64_t, uint64_t>> io;
      for (const auto &v : k_.tasks[pid].mm.vmas)
        if (v.vm_flags & (VM_IO | VM_PFNMAP)) io.emplace_back(v.vm_start, v.vm_end);
      for (auto [s, e] : io)
        for (uint64_t a = s; a < e; a++) {
          pfn_t p = get_dump_page(k_, pid, a);
          out.dump_io.push_back(p);
          if (p) put_page(k_, p);
        }
      out.ret = 0;
      break;
    }
    default:
      throw model_bug("World::step_access(): not one of its operations");
  }
}

}  // namespace gupcheck::props

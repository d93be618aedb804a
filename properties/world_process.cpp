// SPDX-License-Identifier: GPL-2.0-only
//
// The executor (properties/world.h), one of its areas:
// processes (fork and exit).
#include <algorithm>

#include "properties/translate.h"
#include "properties/world.h"

namespace gupcheck::props {

using namespace gupcheck::model;
using trace::Op;
using trace::OpKind;

void World::step_process(const Op &op, int pid) {
  Outcome &out = out_;
  switch (op.kind) {
    case OpKind::Fork: {
      if (op.result < proc_pid_.size() && proc_pid_[op.result] >= 0)
        throw bad_trace("process p" + std::to_string(op.result) + " created twice");
      const unsigned wp_seq = k_.tasks[pid].mm.write_protect_seq;
      int child = dup_mm_fork(k_, pid);
      // A fork that write-protected COW mappings of an mm with a call inside
      // GUP-fast's lockless section (E6). A fork with no COW mapping leaves
      // write_protect_seq alone and shares nothing GUP-fast must drop.
      if (k_.tasks[pid].mm.write_protect_seq != wp_seq)
        for (GupCall &g : gups_)
          if (g.exists && !g.completed && g.at_fast_point && g.pid == pid) g.fork_in_fast = true;
      if (op.result >= proc_pid_.size()) proc_pid_.resize(op.result + 1, -1);
      proc_pid_[op.result] = child;
      pid_proc_.resize(child + 1, -1);
      pid_proc_[child] = op.result;
      shadow_.resize(child + 1);
      shadow_[child] = shadow_[pid];
      // A mapping the child did not inherit holds nothing the spec knows
      // of; a VM_WIPEONFORK one starts zero-filled in the child (dup_mmap()).
      for (const auto &v : k_.tasks[pid].mm.vmas) {
        if (v.vm_flags & VM_DONTCOPY) {
          for (uint64_t a = v.vm_start; a < v.vm_end; a++) set_shadow(child, a, kUnknown);
        } else if (v.vm_flags & VM_WIPEONFORK) {
          for (uint64_t a = v.vm_start; a < v.vm_end; a++)
            if (shadow(child, a) != kUnknown) set_shadow(child, a, 0);
        }
      }
      out.ret = 0;
      break;
    }
    case OpKind::Exit:
      for (const auto &g : gups_)
        if (g.exists && g.pid == pid && !g.completed) throw bad_trace("exit with a GUP call in flight");
      exit_mmap(k_, pid);
      shadow_[pid].clear();
      break_coherence(pid, 0, TASK_SIZE_VPN);
      out.ret = 0;
      break;
    default:
      throw model_bug("World::step_process(): not one of its operations");
  }
}

}  // namespace gupcheck::props

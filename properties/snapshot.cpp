// SPDX-License-Identifier: GPL-2.0-only
//
// Snapshots of the executor's state (see snapshot.h).
#include "properties/snapshot.h"

namespace gupcheck::props {

int Snapshot::proc_of(int pid) const {
  return pid >= 0 && size_t(pid) < processes.size() ? processes[pid].handle : -1;
}

int Snapshot::file_handle(int kernel_file) const {
  return kernel_file >= 0 && size_t(kernel_file) < files.size() ? files[kernel_file].handle : -1;
}

Snapshot take_snapshot(const World &w) {
  const model::kernel_state &k = w.kernel();
  Snapshot s;
  s.processes.reserve(k.tasks.size());
  for (size_t pid = 0; pid < k.tasks.size(); pid++) {
    SnapshotProcess p;
    p.pid = int(pid);
    p.handle = w.proc_of(int(pid));
    p.alive = k.tasks[pid].alive;
    p.mm = k.tasks[pid].mm;
    s.processes.push_back(std::move(p));
  }
  s.folios = k.folios;
  s.huge_zero_pfn = k.huge_zero_pfn;
  s.files.reserve(k.files.size());
  for (size_t f = 0; f < k.files.size(); f++) s.files.push_back({w.file_handle(int(f)), k.files[f]});
  for (const MappingHandle &m : w.mappings()) s.mappings.push_back({m.exists, m.start, m.npages, m.created_by});
  for (const GupCall &g : w.gup_calls()) {
    SnapshotGup x;
    x.exists = g.exists;
    x.completed = g.completed;
    x.released = g.released;
    x.pin = g.pin;
    x.interleaved = g.interleaved;
    x.point = g.point;
    x.op = g.op;
    x.pid = g.pid;
    x.ret = g.ret;
    x.pages = g.pages;
    s.gups.push_back(std::move(x));
  }
  s.census = w.census();
  s.nr_foll_pin_acquired = k.nr_foll_pin_acquired;
  s.nr_foll_pin_released = k.nr_foll_pin_released;
  s.warnings = k.warnings;
  return s;
}

}  // namespace gupcheck::props

// SPDX-License-Identifier: GPL-2.0-only
#include "properties/world.h"
#include "properties/translate.h"

#include <algorithm>
#include <sstream>

namespace gupcheck::props {

using namespace gupcheck::model;
using trace::Op;
using trace::OpKind;

std::string hex(uint64_t v) {
  std::ostringstream o;
  o << "0x" << std::hex << v;
  return o.str();
}

std::string Outcome::describe() const {
  std::string s;
  if (signal) return signal == SIGSEGV_NR ? "SIGSEGV" : "SIGBUS";
  if (!point.empty()) return point;
  if (ret < 0)
    s = std::string("-") + errno_name(ret);
  else
    s = std::to_string(ret);
  if (has_value) s += " value=" + hex(value);
  if (!values.empty()) {
    s += " values=";
    for (size_t i = 0; i < values.size(); i++) s += (i ? "," : "") + hex(values[i]);
  }
  if (pfn) s += " pfn=" + hex(pfn);
  if (!dump.empty()) {
    size_t holes = 0;
    for (pfn_t p : dump) holes += p == 0;
    s += " dumped=" + std::to_string(dump.size() - holes) + " holes=" + std::to_string(holes);
  }
  return s;
}

World::World(const variant_switches &sw) : k_(sw) {
  proc_pid_.push_back(0);
  pid_proc_.push_back(0);
  shadow_.emplace_back();
}

int World::pid_of(uint16_t proc) const { return proc < proc_pid_.size() ? proc_pid_[proc] : -1; }
int World::proc_of(int pid) const { return pid >= 0 && size_t(pid) < pid_proc_.size() ? pid_proc_[pid] : -1; }

int World::file_handle(int kernel_file) const {
  for (size_t f = 0; f < file_idx_.size(); f++)
    if (file_idx_[f] == kernel_file) return int(f);
  return -1;
}

int World::require_pid(uint16_t proc) const {
  int pid = pid_of(proc);
  if (pid < 0) throw bad_trace("process p" + std::to_string(proc) + " does not exist");
  if (!k_.tasks[pid].alive) throw bad_trace("process p" + std::to_string(proc) + " has exited");
  return pid;
}

uint64_t World::address(uint16_t map, uint16_t page) const {
  if (map >= maps_.size() || !maps_[map].exists) throw bad_trace("mapping m" + std::to_string(map) + " does not exist");
  return maps_[map].start + page;
}

GupCall &World::require_gup(uint16_t g) {
  if (g >= gups_.size() || !gups_[g].exists) throw bad_trace("GUP call g" + std::to_string(g) + " does not exist");
  return gups_[g];
}

uint64_t World::shadow(int pid, uint64_t vpn) const {
  if (pid < 0 || size_t(pid) >= shadow_.size()) return kUnknown;
  const auto &s = shadow_[pid];
  return vpn < s.size() ? s[vpn] : kUnknown;
}

void World::set_shadow(int pid, uint64_t vpn, uint64_t v) {
  auto &s = shadow_[pid];
  if (vpn >= s.size()) {
    if (v == kUnknown) return;
    s.resize(vpn + 1, kUnknown);
  }
  s[vpn] = v;
}

void World::break_coherence(int pid, uint64_t start, uint64_t end) {
  for (GupCall &g : gups_) {
    if (!g.exists || g.pid != pid || g.released) continue;
    // An in-flight call's pages taken so far lose coherence too.
    if (g.coherent.size() < g.pages.size()) g.coherent.resize(g.pages.size(), 1);
    for (size_t i = 0; i < g.coherent.size(); i++)
      if (g.start + i >= start && g.start + i < end) g.coherent[i] = 0;
  }
}

void World::dma_write(GupCall &g, uint64_t value) {
  const bool write_pin = g.pin && (g.op.gup_flags & FOLL_WRITE);
  for (size_t i = 0; i < g.pages.size(); i++) {
    const pfn_t p = g.pages[i];
    write_pfn(k_, p, value);
    if (write_pin && i < g.coherent.size() && g.coherent[i]) {
      // Spec: a device writing through a FOLL_WRITE pin writes the holder's
      // memory, and only the holder's (70e806e4e645 keeps a pinned page out
      // of a child; wp_can_reuse_anon_folio() keeps it in the parent).
      if (shadow(g.pid, g.start + i) != kUnknown) set_shadow(g.pid, g.start + i, value);
      continue;
    }
    // FOLL_GET references (or a pin whose mapping is gone) promise nothing
    // about which process sees the write: forget every view of the page.
    for (size_t pid = 0; pid < k_.tasks.size() && pid < shadow_.size(); pid++) {
      if (!k_.tasks[pid].alive) continue;
      for (const pte_table &t : k_.tasks[pid].mm.tables) {
        if (t.pmd_leaf && p >= t.pmd_pfn && p < t.pmd_pfn + HPAGE_PMD_NR)  // a PMD-mapped THP page
          set_shadow(int(pid), t.base + (p - t.pmd_pfn), kUnknown);
        for (unsigned j = 0; j < PTRS_PER_PTE; j++)
          if (t.ptes[j].present && t.ptes[j].pfn == p) set_shadow(int(pid), t.base + j, kUnknown);
      }
    }
  }
}

void World::take_probe(const Op &op, int pid) {
  Probe &p = probe_;
  p.had_vma = false;
  p.had_pte = false;
  p.pte = pte_t{};
  p.folio = folio{};
  p.page_hwpoison = false;
  p.range_flags.clear();
  p.nfolios = k_.folios.size();
  p.pin_acquired = k_.nr_foll_pin_acquired;
  p.pin_released = k_.nr_foll_pin_released;
  p.has_pinned = pid >= 0 && k_.tasks[pid].mm.has_pinned;
  p.ntables = pid >= 0 ? k_.tasks[pid].mm.tables.size() : 0;
  p.table_bases.clear();
  p.zero_ptes.clear();
  bool any_forbids = false;
  for (const task_struct &t : k_.tasks) any_forbids |= t.alive && t.mm.forbids_zeropage;
  if (any_forbids) p.zero_ptes = census().zero_ptes;
  p.dump_mapped.clear();
  p.hwpoison_entries.clear();
  if (std::any_of(k_.folios.begin(), k_.folios.end(), [](const folio &f) { return f.hwpoison; }))
    for (size_t t = 0; t < k_.tasks.size(); t++)
      if (k_.tasks[t].alive)
        for (const pte_table &tab : k_.tasks[t].mm.tables)
          for (unsigned i = 0; i < PTRS_PER_PTE; i++)
            if (!tab.pmd_leaf && !tab.ptes[i].present && tab.ptes[i].hwpoison)
              p.hwpoison_entries.emplace_back(int(t), tab.base + i);
  if (op.kind == OpKind::Dump && pid >= 0) {
    const mm_struct &mm = k_.tasks[pid].mm;
    for (const pte_table &t : mm.tables) p.table_bases.push_back(t.base);
    for (const vm_area_struct &v : mm.vmas)
      for (uint64_t a = v.vm_start; a < v.vm_end; a++) {
        const pte_table *t = pmd_offset(mm, a);
        const pfn_t pfn = mapped_pfn(mm, a);
        if (!t || !pfn) continue;
        const bool special = t->pmd_leaf ? is_huge_zero_pfn(k_, pfn) : t->ptes[a - t->base].special;
        p.dump_mapped.push_back({a, pfn, special, v.vm_flags});
      }
  }
  if (pid >= 0 && op.has_address()) {
    const mm_struct &mm = k_.tasks[pid].mm;
    uint64_t vpn = address(op.map, op.page);
    if (const vm_area_struct *v = find_vma(mm, vpn)) {
      p.had_vma = true;
      p.vma = *v;
    }
    if (const pte_t *pte = pte_offset(mm, vpn)) {
      p.had_pte = true;
      p.pte = *pte;
      if (const pte_table *t = pmd_offset(mm, vpn); t->pmd_leaf) {
        // A PMD leaf, seen as the PTE it would split into.
        p.pte.present = true;
        p.pte.pfn = t->pmd_pfn + (vpn - t->base);
        p.pte.write = t->pmd_write;
        p.pte.dirty = t->pmd_dirty;
        p.pte.young = t->pmd_young;
        p.pte.protnone = t->pmd_protnone;
        p.pte.special = is_huge_zero_pfn(k_, t->pmd_pfn);
      }
      if (p.pte.present && pfn_valid(k_, p.pte.pfn)) {
        // The folio's counts, with the page's own PageAnonExclusive and data.
        p.folio = page_folio(k_, p.pte.pfn);
        p.folio.anon_exclusive = k_.folios[p.pte.pfn].anon_exclusive;
        p.folio.data = k_.folios[p.pte.pfn].data;
        p.page_hwpoison = k_.folios[p.pte.pfn].hwpoison;
      }
    }
    if (op.kind == OpKind::Gup || op.kind == OpKind::Populate || op.kind == OpKind::Madvise ||
        op.kind == OpKind::Mlock) {
      for (uint16_t i = 0; i < op.npages; i++) {
        const vm_area_struct *v = find_vma(mm, vpn + i);
        p.range_flags.push_back(v ? v->vm_flags : 0);
      }
    }
  }
  const bool counts = op.kind == OpKind::Gup || op.kind == OpKind::Wait || op.kind == OpKind::Put ||
                      op.kind == OpKind::Unpin || op.kind == OpKind::Dump || op.kind == OpKind::Populate ||
                      op.kind == OpKind::Stat || op.kind == OpKind::RemoteRead || op.kind == OpKind::RemoteWrite ||
                      op.kind == OpKind::KsmMerge;
  p.refcount.clear();
  p.mapcount.clear();
  p.pagecache.clear();
  if (counts) {
    p.refcount.reserve(k_.folios.size());
    for (const folio &f : k_.folios) {
      p.refcount.push_back(f.refcount);
      p.mapcount.push_back(f.mapcount);
      p.pagecache.push_back(f.pagecache);
    }
  }
}

namespace {

// Whether the operation takes its process's mmap_lock for writing (v6.18:
// the VMA-changing system calls, fork's dup_mmap() on the parent, and the
// madvise advice madvise_need_mmap_write() does not exempt).
bool takes_mmap_write_lock(const Op &op) {
  switch (op.kind) {
    case OpKind::Mmap:
    case OpKind::Munmap:
    case OpKind::Mprotect:
    case OpKind::Fork:
    case OpKind::Mlock:
    case OpKind::ForbidZeropage:
      return true;
    case OpKind::Madvise:
      return op.advice == trace::Advice::Dontfork || op.advice == trace::Advice::Dofork ||
             op.advice == trace::Advice::Wipeonfork || op.advice == trace::Advice::Keeponfork ||
             op.advice == trace::Advice::Mergeable;
    default:
      return false;
  }
}

// Which part of the executor runs an operation (world_vm.cpp,
// world_access.cpp, world_gup.cpp, world_process.cpp).
enum class Area { Vm, Access, Gup, Process };
Area area_of(OpKind k) {
  switch (k) {
    case OpKind::Mmap:
    case OpKind::Munmap:
    case OpKind::Mprotect:
    case OpKind::Madvise:
    case OpKind::Mlock:
    case OpKind::ForbidZeropage:
    case OpKind::Stat:
    case OpKind::UffdZeropage:
    case OpKind::KsmMerge:
    case OpKind::UffdContinue:
    case OpKind::InsertPage:
    case OpKind::InsertMixed:
      return Area::Vm;
    case OpKind::Read:
    case OpKind::Write:
    case OpKind::RemoteRead:
    case OpKind::RemoteWrite:
    case OpKind::DmaWrite:
    case OpKind::DmaRead:
    case OpKind::Dump:
      return Area::Access;
    case OpKind::Gup:
    case OpKind::Collapse:
    case OpKind::Resume:
    case OpKind::Wait:
    case OpKind::Populate:
    case OpKind::Put:
    case OpKind::Unpin:
      return Area::Gup;
    case OpKind::Fork:
    case OpKind::Exit:
      return Area::Process;
  }
  throw model_bug("area_of(): an operation kind no area runs");
}

// Whether the operation takes some mmap_lock (or faults, which does).
bool needs_mmap_lock(const Op &op) {
  switch (op.kind) {
    case OpKind::Resume:
    case OpKind::Wait:
    case OpKind::Put:
    case OpKind::Unpin:
    case OpKind::DmaWrite:
    case OpKind::DmaRead: return false;
    // A collapse that only starts ("&") takes the lock at its first resume.
    case OpKind::Collapse: return !op.in_flight;
    default: return true;
  }
}

}  // namespace

const Outcome &World::step(const Op &op) {
  bool global_step = false;
  last_op_ = op;
  out_ = Outcome{};
  last_gup_ = nullptr;
  k_.faults.clear();
  if (!incremental_) census_.valid = false;

  // A collapse stopped at its interleave point holds mmap_lock for
  // writing: any operation that needs an mmap_lock (every one but GUP's
  // own steps, releases and device DMA, which take none) waits until the
  // collapse is done, so it completes first, before the step's probe.
  if (needs_mmap_lock(op))
    for (size_t p = 0; p < k_.tasks.size(); p++) {
      // A collapse completing here changes another mm: the step is global.
      if (k_.tasks[p].mm.collapse.active) census_.valid = false, global_step = true;
      mmap_lock_wait(k_, int(p));
    }

  k_.steps++;
  int pid = -1;
  if (op.has_gup_operand()) {
    const GupCall &g = require_gup(op.gup);
    // A waited-for call runs now: probe as for the call itself.
    if (op.kind == OpKind::Wait)
      take_probe(g.op, g.pid);
    else
      take_probe(op, -1);
  } else {
    pid = require_pid(op.proc);
    // A remote access works on the target's mm: probe there.
    take_probe(op, op.has_target() ? require_pid(op.target) : pid);
  }
  // The probe may have taken a census of the state before the step: the
  // incremental update starts from it (footprint.cpp), else it is dropped.
  footprint_begin(op, global_step);
  if (takes_mmap_write_lock(op)) k_.tasks[pid].mm.mmap_write_seq++;

  switch (area_of(op.kind)) {
    case Area::Vm: step_vm(op, pid); break;
    case Area::Access: step_access(op, pid); break;
    case Area::Gup: step_gup(op, pid); break;
    case Area::Process: step_process(op, pid); break;
  }
  footprint_end();
  return out_;
}

}  // namespace gupcheck::props

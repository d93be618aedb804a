// SPDX-License-Identifier: GPL-2.0-only
#include "properties/world.h"

#include <algorithm>
#include <sstream>

namespace gupcheck::props {

using namespace gupcheck::model;
using trace::Op;
using trace::OpKind;

namespace {

vm_flags_t prot_bits(trace::Prot p) {
  switch (p) {
    case trace::Prot::None: return 0;
    case trace::Prot::R: return VM_READ;
    case trace::Prot::RW: return VM_READ | VM_WRITE;
  }
  return 0;
}

}  // namespace

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

mmap_args mmap_args_of(const Op &op) {
  mmap_args a;
  a.shared = op.shared;
  a.prot = prot_bits(op.prot);
  a.npages = op.npages;
  a.thp = op.thp;
  a.zone = op.zone == trace::MemZone::Movable ? mem_zone::movable
           : op.zone == trace::MemZone::Cma   ? mem_zone::cma
                                              : mem_zone::normal;
  switch (op.map_kind) {
    case trace::MapKind::Anon: a.backing = vma_backing::anon; break;
    case trace::MapKind::File: a.backing = vma_backing::file; break;
    case trace::MapKind::Shmem: a.backing = vma_backing::shmem; break;
    case trace::MapKind::Pfnmap: a.backing = vma_backing::pfnmap; break;
    case trace::MapKind::Mixedmap: a.backing = vma_backing::mixedmap; break;
    case trace::MapKind::Fsdax: a.backing = vma_backing::file; break;
    case trace::MapKind::Secretmem: a.backing = vma_backing::secretmem; break;
  }
  // MAP_ANONYMOUS (shared: shmem_zero_setup() in do_mmap()).
  if (op.map_kind == trace::MapKind::Shmem && op.file == trace::kSharedAnonFile) a.backing = vma_backing::anon;
  a.populate = op.populate;
  return a;
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
  if (op.kind == OpKind::Dump && pid >= 0)
    for (const pte_table &t : k_.tasks[pid].mm.tables) p.table_bases.push_back(t.base);
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

void World::run_gup(GupCall &g) { advance_gup(g, true); }

bool World::advance_gup(GupCall &g, bool to_end) {
  const Op &op = g.op;
  const int pid = g.pid;
  const size_t id = size_t(&g - gups_.data());
  if (id >= inflight_.v.size()) inflight_.v.resize(id + 1);
  std::unique_ptr<InFlight> &f = inflight_.v[id];
  if (!g.started) {
    g.started = true;
    f = std::make_unique<InFlight>();
    if (const vm_area_struct *v = find_vma(k_.tasks[pid].mm, g.start))
      g.private_mapping = !(v->vm_flags & VM_SHARED);
    if (op.kind == OpKind::Collapse) {
      f->task = madvise_collapse_steps(k_, pid, g.start);
    } else switch (op.api) {
      case trace::GupApi::Get:
        f->task = get_user_pages_steps(k_, pid, g.start, op.npages, op.gup_flags, &f->pages);
        break;
      case trace::GupApi::Pin:
        f->task = pin_user_pages_steps(k_, pid, g.start, op.npages, op.gup_flags, &f->pages);
        break;
      case trace::GupApi::GetFast:
        f->task = get_user_pages_fast_steps(k_, pid, g.start, op.npages, op.gup_flags, &f->pages, &f->nr_fast);
        break;
      case trace::GupApi::PinFast:
        f->task = pin_user_pages_fast_steps(k_, pid, g.start, op.npages, op.gup_flags, &f->pages, &f->nr_fast);
        break;
    }
  }
  bool stopped;
  do {
    stopped = f->task.resume();
  } while (stopped && to_end);
  g.pages = f->pages;
  g.nr_fast = f->nr_fast;
  if (g.page_flags.size() > g.pages.size()) g.page_flags.resize(g.pages.size());
  if (g.page_taken.size() > g.pages.size()) g.page_taken.resize(g.pages.size());
  for (size_t i = g.page_flags.size(); i < g.pages.size(); i++) {
    const vm_area_struct *v = k_.tasks[pid].alive ? find_vma(k_.tasks[pid].mm, g.start + i) : nullptr;
    g.page_flags.push_back(v ? v->vm_flags : 0);
    uint8_t taken = 0;
    if (pfn_valid(k_, g.pages[i])) {
      const folio &fo = k_.folios[g.pages[i]];
      if (fo.anon && fo.anon_exclusive) taken |= GupCall::kTakenAnonExclusive;
      if (fo.zero) taken |= GupCall::kTakenZero;
      if (fo.pagecache) taken |= GupCall::kTakenPagecache;
    }
    g.page_taken.push_back(taken);
  }
  // D6: every page GUP-fast kept during this run of the call must be the
  // one its PTE maps now: nothing else ran since its recheck. (A later
  // unmap of a page already taken is legitimate: the pin keeps it.)
  const bool fast_api = op.api == trace::GupApi::GetFast || op.api == trace::GupApi::PinFast;
  if (fast_api && g.fast_stale.empty()) {
    const size_t hi = std::min(g.pages.size(), stopped && f->task.point().fast ? g.pages.size() : size_t(g.nr_fast));
    g.fast_seen = std::min(g.fast_seen, g.pages.size());
    for (size_t i = g.fast_seen; i < hi; i++) {
      // mapped_pfn(): the PTE's page, or the page of a PMD leaf (a THP).
      const pfn_t now = k_.tasks[pid].alive ? mapped_pfn(k_.tasks[pid].mm, g.start + i) : 0;
      if (now != g.pages[i]) {
        g.fast_stale = "page " + std::to_string(i) + " (" + hex(g.pages[i]) + ") is not mapped at " +
                       hex((g.start + i) << 12);
        break;
      }
    }
    g.fast_seen = std::max(g.fast_seen, hi);
  }
  if (stopped) {
    const interleave_point &pt = f->task.point();
    g.point = std::string(pt.where) + ", page " + std::to_string(pt.page);
    if (!pt.fast && g.at_fast_point && !g.pages.empty()) g.slow_after_fast = true;
    g.at_fast_point = pt.fast;
    if (pt.fast) g.fast_taken = long(g.pages.size());
    return true;
  }
  g.point.clear();
  g.at_fast_point = false;
  g.ret = f->task.result();
  f.reset();
  finish_gup(g);
  return false;
}

void World::finish_gup(GupCall &g) {
  if (long(g.pages.size()) != std::max(g.ret, 0L))
    throw model_bug("GUP returned " + std::to_string(g.ret) + " but filled " + std::to_string(g.pages.size()) +
                    " pages");
  // Keep what an unmap while the call was in flight broke (break_coherence()).
  g.coherent.resize(g.pages.size(), 1);
  g.anon_at_pin.clear();
  for (pfn_t p : g.pages) g.anon_at_pin.push_back(pfn_valid(k_, p) && k_.folios[p].anon);
  g.completed = true;
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
  last_op_ = op;
  out_ = Outcome{};
  last_gup_ = nullptr;
  census_.valid = false;
  k_.faults.clear();
  Outcome &out = out_;

  // A collapse stopped at its interleave point holds mmap_lock for
  // writing: any operation that needs an mmap_lock (every one but GUP's
  // own steps, releases and device DMA, which take none) waits until the
  // collapse is done, so it completes first, before the step's probe.
  if (needs_mmap_lock(op))
    for (size_t p = 0; p < k_.tasks.size(); p++) mmap_lock_wait(k_, int(p));

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
  census_.valid = false;  // the probe may have taken one of the state before the step
  if (takes_mmap_write_lock(op)) k_.tasks[pid].mm.mmap_write_seq++;

  switch (op.kind) {
    case OpKind::Mmap: {
      if (op.result >= maps_.size()) maps_.resize(op.result + 1);
      if (maps_[op.result].exists) throw bad_trace("mapping m" + std::to_string(op.result) + " created twice");
      mmap_args a = mmap_args_of(op);
      if (a.backing == vma_backing::file || a.backing == vma_backing::shmem) {
        const bool shm = op.map_kind == trace::MapKind::Shmem, dax = op.map_kind == trace::MapKind::Fsdax;
        if (op.file >= file_idx_.size()) file_idx_.resize(op.file + 1, -1);
        if (file_idx_[op.file] < 0) file_idx_[op.file] = file_create(k_, shm, dax);
        a.file = file_idx_[op.file];
        if (k_.files[a.file].shmem != shm || k_.files[a.file].dax != dax)
          throw bad_trace("file f" + std::to_string(op.file) + " mapped as two different kinds (file, shmem, fsdax)");
      }
      long r = do_mmap(k_, pid, a);
      out.ret = r < 0 ? r : 0;
      if (r >= 0) {
        maps_[op.result] = {true, uint64_t(r), op.npages, pid};
        if (a.backing == vma_backing::anon && !a.shared)
          for (uint64_t i = 0; i < op.npages; i++) set_shadow(pid, uint64_t(r) + i, 0);
      }
      break;
    }
    case OpKind::Munmap: {
      uint64_t s = address(op.map, op.page);
      out.ret = do_munmap(k_, pid, s, op.npages);
      for (uint64_t i = 0; i < op.npages; i++) set_shadow(pid, s + i, kUnknown);
      break_coherence(pid, s, s + op.npages);
      break;
    }
    case OpKind::Mprotect:
      out.ret = do_mprotect(k_, pid, address(op.map, op.page), op.npages, prot_bits(op.prot));
      break;
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
    case OpKind::Madvise: {
      const uint64_t s = address(op.map, op.page);
      if (op.advice == trace::Advice::Mergeable) {
        out.ret = madvise_mergeable(k_, pid, s, op.npages);
        break;
      }
      static constexpr madv kAdvice[] = {madv::dontneed,   madv::populate_read, madv::populate_write,
                                         madv::dontfork,   madv::dofork,        madv::wipeonfork,
                                         madv::keeponfork, madv::hwpoison};
      out.ret = do_madvise(k_, pid, s, op.npages, kAdvice[int(op.advice)]);
      const mm_struct &mm = k_.tasks[pid].mm;
      if (op.advice == trace::Advice::Dontneed) {
        for (uint64_t a = s; a < s + op.npages; a++) {
          if (shadow(pid, a) == kUnknown) continue;
          const pte_t *pte = pte_offset(mm, a);
          if (pte && !pte_none(*pte)) continue;
          // Zapped: anonymous memory is zero-filled on the next touch; a
          // private file mapping shows the file again.
          const vm_area_struct *v = find_vma(mm, a);
          set_shadow(pid, a, v && vma_is_anonymous(*v) ? 0 : kUnknown);
        }
        break_coherence(pid, s, s + op.npages);
      } else if (op.advice == trace::Advice::Hwpoison) {
        // The poisoned page is gone for every process that mapped it (the
        // PTEs now hold hwpoison entries, or were zapped for a clean file page).
        for (size_t p = 0; p < k_.tasks.size() && p < shadow_.size(); p++) {
          if (!k_.tasks[p].alive) continue;
          for (const pte_table &t : k_.tasks[p].mm.tables)
            for (unsigned j = 0; j < PTRS_PER_PTE; j++)
              if (t.ptes[j].hwpoison && !t.ptes[j].present) {
                set_shadow(int(p), t.base + j, kUnknown);
                break_coherence(int(p), t.base + j, t.base + j + 1);
              }
        }
      }
      break;
    }
    case OpKind::Mlock:
      out.ret = do_mlock(k_, pid, address(op.map, op.page), op.npages);
      break;
    case OpKind::ForbidZeropage:
      out.ret = s390_disable_cow_sharing(k_, pid);
      break;
    case OpKind::Stat:
      out.ret = do_pages_stat(k_, pid, address(op.map, op.page));
      break;
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
    case OpKind::Gup:
    case OpKind::Collapse: {  // a collapse is a call too, so that it can be in flight
      if (op.result >= gups_.size()) gups_.resize(op.result + 1);
      GupCall &g = gups_[op.result];
      if (g.exists) throw bad_trace("call g" + std::to_string(op.result) + " created twice");
      g.exists = true;
      g.op = op;
      g.pid = pid;
      g.pin = op.kind == OpKind::Gup && (op.api == trace::GupApi::Pin || op.api == trace::GupApi::PinFast);
      g.start = address(op.map, op.page);
      // An in-flight call ("&") starts at its first resume; without one it
      // runs whole at its wait.
      if (op.in_flight) out.point = "(in flight)";
      if (!op.in_flight) {
        run_gup(g);
        g.waited = true;
        out.ret = g.ret;
        if (op.kind == OpKind::Gup) last_gup_ = &g;
      }
      break;
    }
    case OpKind::Resume: {
      GupCall &g = require_gup(op.gup);
      if (g.waited) throw bad_trace("resume of a completed GUP call");
      if (!k_.tasks[g.pid].alive) throw bad_trace("resume of a GUP call of an exited process");
      if (g.completed) {
        out.point = "(returned " + std::to_string(g.ret) + ")";  // wait collects it
        out.ret = g.ret;
        break;
      }
      g.interleaved = true;
      if (advance_gup(g, false)) {
        out.point = g.point;
      } else {
        out.point = "returned " + std::to_string(g.ret);
        out.ret = g.ret;
        out.completed_call = true;
      }
      break;
    }
    case OpKind::Wait: {
      GupCall &g = require_gup(op.gup);
      if (g.waited) throw bad_trace("wait on a completed GUP call");
      if (!k_.tasks[g.pid].alive) throw bad_trace("wait on a GUP call of an exited process");
      if (!g.completed) run_gup(g);
      g.waited = true;
      out.ret = g.ret;
      if (g.op.kind == OpKind::Gup) last_gup_ = &g;
      break;
    }
    case OpKind::Populate: {
      out.ret = __get_user_pages_locked(k_, pid, address(op.map, op.page), op.npages, nullptr,
                                        op.gup_flags | FOLL_TOUCH);
      break;
    }
    case OpKind::Put:
    case OpKind::Unpin: {
      GupCall &g = require_gup(op.gup);
      if (g.op.kind != OpKind::Gup) throw bad_trace("release of a collapse, which holds no pages");
      if (!g.waited) throw bad_trace("release of a GUP call still in flight");
      if (g.released) throw bad_trace("GUP call released twice");
      if (g.pin != (op.kind == OpKind::Unpin)) throw bad_trace("put of a pin, or unpin of a FOLL_GET reference");
      for (pfn_t p : g.pages) {
        if (g.pin)
          unpin_user_page(k_, p);
        else
          put_page(k_, p);
      }
      g.released = true;
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
    case OpKind::UffdZeropage:
      out.ret = mfill_atomic_zeropage(k_, pid, address(op.map, op.page));
      break;
    case OpKind::KsmMerge:
      out.ret = ksm_scan_mm(k_, pid);
      break;
    case OpKind::UffdContinue:
      out.ret = mfill_atomic_continue(k_, pid, address(op.map, op.page));
      break;
    case OpKind::InsertPage:
    case OpKind::InsertMixed: {
      uint64_t vpn = address(op.map, op.page);
      vm_area_struct *v = find_vma(k_.tasks[pid].mm, vpn);
      // Differs: a driver inserts only into its own VMAs.
      if (!v || v->backing != vma_backing::mixedmap) {
        out.ret = -EINVAL;
        break;
      }
      if (op.kind == OpKind::InsertPage) {
        if (op.what == trace::InsertWhat::Device) throw bad_trace("insert_page of a device pfn");
        pfn_t page = op.what == trace::InsertWhat::Zero ? ZERO_PFN : driver_alloc_page(k_);
        out.ret = vm_insert_page(k_, pid, *v, vpn, page);
      } else {
        pfn_t pfn = op.what == trace::InsertWhat::Zero     ? ZERO_PFN
                    : op.what == trace::InsertWhat::Device ? device_alloc_pfn(k_)
                                                           : driver_alloc_page(k_);
        unsigned r = vmf_insert_mixed(k_, pid, *v, vpn, pfn);
        if (r & VM_FAULT_ERROR) out.signal = SIGBUS_NR;
      }
      break;
    }
  }
  return out;
}

const Census &World::census() const {
  if (census_.valid) return census_;
  Census &c = census_;
  const size_t n = k_.folios.size();
  c.ptes.assign(n, 0);
  c.gets.assign(n, 0);
  c.pins.assign(n, 0);
  c.special_ptes.assign(n, 0);
  c.page_maps.assign(n, 0);
  c.page_pins.assign(n, 0);
  c.rss.assign(k_.tasks.size(), {});
  c.ksm_zero.assign(k_.tasks.size(), 0);
  c.zero_writable = c.zero_not_special = c.writable_shared_anon = c.hwpoison_mapped = c.ksm_zero_not_special = {};
  c.zero_ptes.assign(k_.tasks.size(), 0);
  for (size_t pid = 0; pid < k_.tasks.size(); pid++) {
    const task_struct &t = k_.tasks[pid];
    if (!t.alive) continue;
    Census::Rss &rss = c.rss[pid];
    for (const pte_table &tab : t.mm.tables) {
      if (tab.pmd_leaf && tab.pmd_pfn < n) {
        // A PMD leaf: the huge zero folio holds nothing; an anonymous THP
        // one mapping (and HPAGE_PMD_NR pages of rss).
        if (is_huge_zero_pfn(k_, tab.pmd_pfn)) {
          if (tab.pmd_write && c.zero_writable.pid < 0) c.zero_writable = {int(pid), tab.base, tab.pmd_pfn};
          continue;
        }
        const folio &f = k_.folios[tab.pmd_pfn];
        c.ptes[tab.pmd_pfn]++;
        for (unsigned i = 0; i < HPAGE_PMD_NR && tab.pmd_pfn + i < n; i++) c.page_maps[tab.pmd_pfn + i]++;
        if (f.anon) rss.anon += HPAGE_PMD_NR;
        if (f.anon && tab.pmd_write && !f.anon_exclusive && c.writable_shared_anon.pid < 0)
          c.writable_shared_anon = {int(pid), tab.base, tab.pmd_pfn};
        continue;
      }
      for (unsigned i = 0; i < PTRS_PER_PTE; i++) {
        const pte_t &p = tab.ptes[i];
        if (!p.present || p.pfn >= n) continue;
        if (is_zero_pfn(p.pfn)) {
          c.zero_ptes[pid]++;
          if (p.write && c.zero_writable.pid < 0) c.zero_writable = {int(pid), tab.base + i, p.pfn};
          if (!p.special && c.zero_not_special.pid < 0) c.zero_not_special = {int(pid), tab.base + i, p.pfn};
          if (is_ksm_zero_pte(p)) {
            c.ksm_zero[pid]++;
            if ((!p.special || p.write) && c.ksm_zero_not_special.pid < 0)
              c.ksm_zero_not_special = {int(pid), tab.base + i, p.pfn};
          }
        }
        if (p.special) {
          c.special_ptes[p.pfn]++;
          continue;
        }
        c.ptes[folio_pfn(k_, p.pfn)]++;
        c.page_maps[p.pfn]++;
        const folio &f = k_.folios[p.pfn];
        if (f.hwpoison && c.hwpoison_mapped.pid < 0) c.hwpoison_mapped = {int(pid), tab.base + i, p.pfn};
        if (f.anon) {
          rss.anon++;
          if (p.write && !f.anon_exclusive && c.writable_shared_anon.pid < 0)
            c.writable_shared_anon = {int(pid), tab.base + i, p.pfn};
        } else if (f.pagecache && k_.files[f.file].shmem) {
          rss.shmem++;
        } else {
          rss.file++;
        }
      }
    }
  }
  for (const GupCall &g : gups_) {
    if (!g.holds()) continue;
    for (pfn_t p : g.pages) {
      if (p >= n) continue;
      (g.pin ? c.pins : c.gets)[folio_pfn(k_, p)]++;
      if (g.pin) c.page_pins[p]++;
    }
  }
  c.valid = true;
  return c;
}

}  // namespace gupcheck::props

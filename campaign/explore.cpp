// SPDX-License-Identifier: GPL-2.0-only
#include "campaign/explore.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphviz.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <string_view>
#include <vector>

#include "model/flags.h"
#include "trace/text.h"

namespace gupcheck::explore {

using namespace gupcheck::trace;
using namespace gupcheck::model;
using props::World;
using Clock = std::chrono::steady_clock;

namespace {

// Appends raw bytes of trivially copyable values.
struct Ser {
  std::string &s;
  template <class T>
  void put(const T &v) {
    s.append(reinterpret_cast<const char *>(&v), sizeof v);
  }
};

// pfn -> first-seen number (0 reserved for "none", 1 the zero pfn).
struct PfnNames {
  std::vector<uint32_t> normal, device;
  std::vector<pfn_t> order;  // canonical number - 2 -> pfn
  // Forgets every name, keeping the memory.
  void reset() {
    std::fill(normal.begin(), normal.end(), 0);
    std::fill(device.begin(), device.end(), 0);
    order.clear();
  }
  uint32_t name(pfn_t pfn) {
    if (pfn == 0) return 0;
    if (pfn == ZERO_PFN) return 1;
    const bool dev = pfn >= DEVICE_PFN_BASE;
    auto &v = dev ? device : normal;
    const size_t i = dev ? size_t(pfn - DEVICE_PFN_BASE) : size_t(pfn);
    if (i >= v.size()) v.resize(i + 1, 0);
    if (!v[i]) {
      order.push_back(pfn);
      v[i] = uint32_t(order.size() + 1);
    }
    return v[i];
  }
};

}  // namespace

namespace {

// A process's part of the state with its own frame numbering: equal for two
// processes that differ only in which frames they map and in their handle.
// Used to put processes in a canonical order (symmetry reduction).
void process_signature(const World &w, int pid, std::string &out, PfnNames &local) {
  out.clear();
  local.reset();
  Ser s{out};
  const kernel_state &k = w.kernel();
  const task_struct &t = k.tasks[size_t(pid)];
  s.put(uint8_t(t.alive ? 'P' : 'D'));
  if (!t.alive) return;
  const mm_struct &mm = t.mm;
  for (const auto &v : mm.vmas) s.put(v.vm_start), s.put(v.vm_end), s.put(v.vm_flags), s.put(v.backing);
  for (const auto &tab : mm.tables) {
    s.put(tab.base), s.put(uint8_t(tab.pmd_leaf));
    for (const auto &p : tab.ptes) {
      s.put(uint8_t(p.present | p.write << 1 | p.dirty << 2 | p.special << 3 | p.protnone << 4 | p.hwpoison << 5));
      const uint32_t n = local.name(p.pfn);
      s.put(n);
      if (n > 1 && p.pfn < k.folios.size()) s.put(k.folios[p.pfn].data);
    }
  }
  s.put(uint8_t(mm.has_pinned | mm.forbids_zeropage << 1));
  for (long r : mm.rss) s.put(int32_t(r));
}

// Serialises w into out, reusing out's and names' memory. Processes come in
// the order of their signatures (process_signature(); handle order breaks
// ties), so states that differ only by a permutation of process handles
// serialise alike; GUP calls and the shadow name processes by that rank.
void canonical_into(const World &w, std::string &out, PfnNames &names) {
  out.clear();
  names.reset();
  Ser s{out};
  const kernel_state &k = w.kernel();
  static thread_local std::vector<std::string> sigs;
  static thread_local std::vector<uint16_t> order;
  static thread_local std::vector<uint16_t> rank;  // by pid
  static thread_local PfnNames local;
  uint16_t nprocs = 0;
  while (w.pid_of(nprocs) >= 0) nprocs++;
  if (sigs.size() < nprocs) sigs.resize(nprocs);
  order.resize(nprocs);
  for (uint16_t h = 0; h < nprocs; h++) {
    process_signature(w, w.pid_of(h), sigs[h], local);
    order[h] = h;
  }
  std::stable_sort(order.begin(), order.end(), [](uint16_t a, uint16_t b) { return sigs[a] < sigs[b]; });
  rank.assign(k.tasks.size(), 0);
  for (uint16_t r = 0; r < nprocs; r++) rank[size_t(w.pid_of(order[r]))] = r;
  for (uint16_t h : order) {
    const int pid = w.pid_of(h);
    const task_struct &t = k.tasks[size_t(pid)];
    s.put(uint8_t(t.alive ? 'P' : 'D'));
    if (!t.alive) continue;
    const mm_struct &mm = t.mm;
    s.put(uint32_t(mm.vmas.size()));
    for (const auto &v : mm.vmas) {
      s.put(v.vm_start), s.put(v.vm_end), s.put(v.vm_flags), s.put(v.backing), s.put(v.file), s.put(v.anon_vma);
      s.put((v.vm_flags & VM_PFNMAP) ? uint64_t(names.name(v.vm_pgoff)) : v.vm_pgoff);
    }
    for (const auto &tab : mm.tables) {
      s.put(tab.base);
      s.put(uint8_t(tab.pmd_leaf | tab.pmd_write << 1 | tab.pmd_dirty << 2 | tab.pmd_protnone << 3));
      if (tab.pmd_leaf) s.put(names.name(tab.pmd_pfn));
      for (const auto &p : tab.ptes) {
        if (!p.present && p.pfn == 0 && !p.hwpoison) {
          s.put(uint8_t(0));
          continue;
        }
        s.put(uint8_t(1 | p.present << 1 | p.write << 2 | p.dirty << 3 | p.young << 4 | p.special << 5 |
                      p.protnone << 6 | p.hwpoison << 7));
        s.put(names.name(p.pfn));
      }
    }
    s.put(uint8_t(mm.has_pinned | mm.forbids_zeropage << 1 | (mm.write_protect_seq & 1) << 2));
    for (long r : mm.rss) s.put(int32_t(r));
    s.put(mm.mmap_hint);
  }
  // Files and their page caches.
  s.put(uint32_t(k.files.size()));
  for (const auto &f : k.files) {
    s.put(uint8_t(f.shmem | f.needs_dirty_tracking << 1));
    s.put(uint32_t(f.pages.size()));
    for (pfn_t p : f.pages) s.put(names.name(p));
  }
  // GUP calls still holding (or in flight), in handle order; released ones are gone.
  for (const auto &g : w.gup_calls()) {
    if (!g.exists || g.released) continue;
    s.put(uint8_t('G' | g.completed << 7));
    s.put(uint8_t(g.pin)), s.put(g.op.gup_flags), s.put(rank[size_t(g.pid)]), s.put(g.start);
    s.put(int32_t(g.ret));
    for (pfn_t p : g.pages) s.put(names.name(p));
  }
  // Mapping handles and the shadow of private anonymous memory.
  for (const auto &m : w.mappings()) {
    s.put(uint8_t(m.exists)), s.put(m.start), s.put(m.npages);
    for (uint16_t h : order) {
      const int pid = w.pid_of(h);
      if (!k.tasks[size_t(pid)].alive) continue;
      for (uint64_t a = m.start; a < m.start + m.npages; a++) s.put(w.shadow(pid, a));
    }
  }
  // The frames in first-seen order.
  s.put(uint8_t('F'));
  for (size_t i = 0; i < names.order.size(); i++) {
    const pfn_t p = names.order[i];
    if (p >= DEVICE_PFN_BASE) {
      const size_t d = size_t(p - DEVICE_PFN_BASE);
      s.put(d < k.device_mem.size() ? k.device_mem[d] : ~uint64_t(0));
      continue;
    }
    if (p >= k.folios.size()) {
      s.put(uint8_t(0xff));
      continue;
    }
    const folio &f = k.folios[p];
    s.put(f.refcount), s.put(f.mapcount), s.put(f.pincount);
    s.put(uint16_t(f.large | f.anon << 1 | f.anon_exclusive << 2 | f.zero << 3 | f.ksm << 4 | f.pagecache << 5 |
                   f.driver << 6 | f.freed << 7 | f.dirty << 8 | f.hwpoison << 9 | f.hwpoison_recovered << 10 |
                   f.huge_zero << 11));
    s.put(f.file), s.put(f.index), s.put(f.data), s.put(f.zone);
  }
  const folio &z = k.folios[ZERO_PFN];
  s.put(z.refcount), s.put(z.mapcount), s.put(uint8_t(z.hwpoison));
  s.put(int32_t(k.nr_foll_pin_acquired - k.nr_foll_pin_released));
  s.put(uint32_t(k.warnings.size())), s.put(uint32_t(k.misuse.size()));
}

}  // namespace

std::string canonical_state(const World &w) {
  std::string out;
  PfnNames names;
  canonical_into(w, out, names);
  return out;
}

namespace {

uint64_t state_hash(const World &w) {
  static thread_local std::string c;
  static thread_local PfnNames names;
  canonical_into(w, c, names);
  // std::hash of a string view is a 64-bit murmur-style hash in libstdc++;
  // mix once more so the table's low bits are well spread.
  uint64_t h = std::hash<std::string_view>{}(c);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h | 1;  // 0 marks an empty slot
}

// Open-addressing table of state hashes: each state's number and the least
// depth it was reached at (a bounded depth-first search must expand a state
// again when it reaches it by a shorter path).
class StateTable {
 public:
  StateTable() : slots_(1 << 12) {}
  // Looks h up at depth `depth`, inserting it with number `id` when new.
  // Return: the state's number; `fresh` says whether it was new, `expand`
  // whether the search must expand it (new, or reached shallower than before).
  uint32_t visit(uint64_t h, uint32_t id, uint8_t depth, bool &fresh, bool &expand) {
    if ((used_ + 1) * 2 > slots_.size()) grow();
    size_t i = h & (slots_.size() - 1);
    for (;; i = (i + 1) & (slots_.size() - 1)) {
      Slot &sl = slots_[i];
      if (sl.h == 0) {
        sl = {h, id, depth};
        used_++;
        fresh = expand = true;
        return id;
      }
      if (sl.h == h) {
        fresh = false;
        expand = depth < sl.depth;
        if (expand) sl.depth = depth;
        return sl.id;
      }
    }
  }
  size_t size() const { return used_; }
  size_t bytes() const { return slots_.size() * sizeof(Slot); }
  void clear() {
    std::fill(slots_.begin(), slots_.end(), Slot{});
    used_ = 0;
  }

 private:
  struct Slot {
    uint64_t h = 0;
    uint32_t id = 0;
    uint8_t depth = 0;
  };
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    used_ = 0;
    for (const auto &sl : old)
      if (sl.h) {
        size_t i = sl.h & (slots_.size() - 1);
        while (slots_[i].h) i = (i + 1) & (slots_.size() - 1);
        slots_[i] = sl;
        used_++;
      }
  }
  std::vector<Slot> slots_;
  size_t used_ = 0;
};

struct VertexP {
  std::string label;
};
struct EdgeP {
  std::string label;
};
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, VertexP, EdgeP>;

// The alphabet of the scope (see explore.h), from the state w.
void alphabet(const World &w, const Config &cfg, std::vector<Op> &ops) {
  ops.clear();
  const kernel_state &k = w.kernel();
  const bool full = cfg.alphabet == Alphabet::Full;
  std::vector<uint16_t> live;
  uint16_t nprocs = 0;
  for (uint16_t h = 0;; h++) {
    const int pid = w.pid_of(h);
    if (pid < 0) break;
    nprocs = uint16_t(h + 1);
    if (k.tasks[size_t(pid)].alive) live.push_back(h);
  }
  const uint16_t nmaps = uint16_t(w.mappings().size());
  int held = 0;
  for (const auto &g : w.gup_calls()) held += g.exists && !g.released;
  const uint16_t next_gup = uint16_t(w.gup_calls().size());

  for (uint16_t p : live) {
    const mm_struct &mm = k.tasks[size_t(w.pid_of(p))].mm;
    if (nmaps < cfg.maps) {
      static const struct { MapKind kind; bool shared; uint16_t file; bool thp; bool full_only; } kinds[] = {
          {MapKind::Anon, false, 0, false, false},     {MapKind::Mixedmap, false, 0, false, false},
          {MapKind::Pfnmap, false, 0, false, false},   {MapKind::File, true, 0, false, false},
          {MapKind::Shmem, true, kSharedAnonFile, false, false},
          {MapKind::Anon, false, 0, true, true},  // THP-eligible: a whole PMD (HPAGE_PMD_NR pages)
      };
      for (const auto &kd : kinds) {
        if (kd.full_only && !full) continue;
        Op op;
        op.kind = OpKind::Mmap;
        op.proc = p;
        op.result = nmaps;
        op.map_kind = kd.kind;
        op.shared = kd.shared;
        op.file = kd.file;
        op.prot = Prot::RW;
        op.thp = kd.thp;
        op.npages = kd.thp ? uint16_t(HPAGE_PMD_NR) : uint16_t(cfg.pages);
        ops.push_back(op);
      }
    }
    for (uint16_t m = 0; m < nmaps; m++) {
      const auto &mh = w.mappings()[m];
      if (!mh.exists) continue;
      const vm_area_struct *vma = find_vma(mm, mh.start);
      if (!vma) continue;
      const bool mixed = vma->vm_flags & VM_MIXEDMAP;
      const bool shmem = vma->backing == vma_backing::shmem;
      const bool anon = vma_is_anonymous(*vma);
      // Per-page operations on the first `pages` pages (a THP mapping is larger).
      const uint16_t npages = std::min<uint16_t>(mh.npages, uint16_t(cfg.pages));
      for (uint16_t i = 0; i < npages; i++) {
        Op a;
        a.proc = p;
        a.map = m;
        a.page = i;
        Op op = a;
        op.kind = OpKind::Read;
        ops.push_back(op);
        op.kind = OpKind::Write;
        op.value = 0x10 + p;
        ops.push_back(op);
        if (held < cfg.gups) {
          auto gup = [&](GupApi api, uint32_t flags, bool in_flight = false) {
            Op g = a;
            g.kind = OpKind::Gup;
            g.api = api;
            g.gup_flags = flags;
            g.npages = 1;
            g.result = next_gup;
            g.in_flight = in_flight;
            ops.push_back(g);
          };
          for (uint32_t f : {0u, unsigned(FOLL_WRITE), unsigned(FOLL_WRITE | FOLL_FORCE)}) gup(GupApi::Get, f);
          for (uint32_t f : {0u, unsigned(FOLL_WRITE), unsigned(FOLL_LONGTERM), unsigned(FOLL_WRITE | FOLL_LONGTERM)})
            gup(GupApi::Pin, f);
          gup(GupApi::GetFast, FOLL_WRITE);
          gup(GupApi::PinFast, 0);
          if (full) {
            gup(GupApi::Pin, FOLL_WRITE, true);  // in flight: stops after its fault, resumed below
            if (vma->vm_flags & VM_HUGEPAGE) {
              Op c = a;
              c.kind = OpKind::Collapse;
              c.result = next_gup;
              ops.push_back(c);
            }
          }
        }
        op = a;
        op.kind = OpKind::MadvDontneed;
        op.npages = 1;
        ops.push_back(op);
        if (full) {
          for (uint32_t f : {0u, unsigned(FOLL_WRITE)}) {
            op = a;
            op.kind = OpKind::Populate;
            op.gup_flags = f;
            ops.push_back(op);
          }
          op = a;
          op.kind = OpKind::Madvise;
          op.advice = Advice::Mergeable;
          ops.push_back(op);
          op.advice = Advice::Hwpoison;
          ops.push_back(op);
          op = a;
          op.kind = OpKind::Stat;
          ops.push_back(op);
          if (anon) {
            op.kind = OpKind::UffdZeropage;
            ops.push_back(op);
          }
          if (shmem) {
            op.kind = OpKind::UffdContinue;
            ops.push_back(op);
          }
          for (uint16_t t : live) {
            if (t == p) continue;
            for (RemoteVia via : {RemoteVia::Mem, RemoteVia::ProcessVm}) {
              op = a;
              op.target = t;
              op.via = via;
              op.kind = OpKind::RemoteRead;
              ops.push_back(op);
              op.kind = OpKind::RemoteWrite;
              op.value = 0x20 + p;
              ops.push_back(op);
            }
          }
        }
        if (mixed) {
          for (OpKind kind : {OpKind::InsertMixed, OpKind::InsertPage})
            for (InsertWhat what : {InsertWhat::Page, InsertWhat::Zero}) {
              op = a;
              op.kind = kind;
              op.what = what;
              ops.push_back(op);
            }
        }
      }
      Op op;
      op.proc = p;
      op.map = m;
      op.npages = mh.npages;
      op.kind = OpKind::Munmap;
      ops.push_back(op);
      op.kind = OpKind::Mprotect;
      op.prot = Prot::R;
      ops.push_back(op);
      op.prot = Prot::RW;
      ops.push_back(op);
      if (full) {
        op.prot = Prot::None;
        ops.push_back(op);
        op.kind = OpKind::Mlock;
        ops.push_back(op);
      }
    }
    Op op;
    op.proc = p;
    if (nprocs < cfg.procs) {
      op.kind = OpKind::Fork;
      op.result = nprocs;
      ops.push_back(op);
    }
    if (live.size() > 1) {
      op.kind = OpKind::Exit;
      op.result = kNoHandle;
      ops.push_back(op);
    }
    op.kind = OpKind::Dump;
    op.result = kNoHandle;
    ops.push_back(op);
    if (full) {
      op.kind = OpKind::KsmMerge;
      ops.push_back(op);
      if (!mm.forbids_zeropage) {
        op.kind = OpKind::ForbidZeropage;
        ops.push_back(op);
      }
    }
  }
  for (uint16_t g = 0; g < w.gup_calls().size(); g++) {
    const auto &c = w.gup_calls()[g];
    Op op;
    op.gup = g;
    if (full && c.exists && !c.completed && !c.released) {  // in flight
      op.kind = OpKind::Resume;
      ops.push_back(op);
      op.kind = OpKind::Wait;
      ops.push_back(op);
      continue;
    }
    if (!c.holds()) continue;
    if (full) {
      op.kind = OpKind::DmaRead;
      ops.push_back(op);
      op.kind = OpKind::DmaWrite;
      op.value = 0x30 + g;
      ops.push_back(op);
    }
    op.kind = c.pin ? OpKind::Unpin : OpKind::Put;
    ops.push_back(op);
  }
}

}  // namespace

namespace {
double cpu_now() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}
}  // namespace

namespace {

// One depth-first search to `bound` steps (the explorer's unit of work).
class Search {
 public:
  Search(const Config &cfg, int bound, Result &res, Graph *g)
      : cfg_(cfg), bound_(bound), res_(res), g_(g), levels_(size_t(bound) + 1), path_(size_t(bound)) {}

  // Return: true when a violation was found (res_ holds it).
  bool run() {
    World w(cfg_.sw);
    bool fresh, expand;
    table_.visit(state_hash(w), 0, 0, fresh, expand);
    states_ = 1;
    if (g_) boost::add_vertex(VertexP{"init"}, *g_);
    return dfs(w, 0, 0);
  }
  long states() const { return states_; }
  const StateTable &table() const { return table_; }
  bool graph_overflow() const { return graph_overflow_; }

 private:
  bool dfs(World &w, uint32_t id, int d) {
    std::vector<Op> &ops = levels_[size_t(d)];
    alphabet(w, cfg_, ops);
    const bool record_edges = g_ && !graph_overflow_ && expanded_.size() > id && !expanded_[id];
    if (record_edges) expanded_[id] = true;
    for (size_t oi = 0; oi < ops.size(); oi++) {
      if (cfg_.stop && cfg_.stop->load(std::memory_order_relaxed)) {
        res_.interrupted = true;
        return false;
      }
      const Op &op = ops[oi];
      // The last successor takes w. A World with a call stopped at an
      // interleave point can be neither copied nor moved (the call's frames
      // point into it): each successor rebuilds it from the path.
      World c = w.has_paused_call() ? replay(d) : oi + 1 == ops.size() ? std::move(w) : World(w);
      props::Violation v;
      try {
        c.step(op);
        v = cfg_.invariants.check(c, size_t(d));
      } catch (const props::bad_trace &) {
        continue;  // outside the scope's valid traces
      } catch (const model_bug &e) {
        v = {true, true, "ModelBug", e.what(), size_t(d), {}, {}, {}, {}};
      }
      res_.transitions++;
      path_[size_t(d)] = op;
      if (v.found) {
        res_.found = true;
        res_.violation = v;
        res_.trace.ops.assign(path_.begin(), path_.begin() + d + 1);
        res_.trace.variant = cfg_.variant;
        return true;
      }
      bool fresh, expand;
      const uint32_t got = table_.visit(state_hash(c), uint32_t(states_), uint8_t(d + 1), fresh, expand);
      if (fresh) {
        states_++;
        if (g_ && !graph_overflow_) {
          if (states_ > cfg_.graph_cap) {
            graph_overflow_ = true;
            g_->clear();
          } else {
            boost::add_vertex(VertexP{"s" + std::to_string(got) + " d" + std::to_string(d + 1)}, *g_);
            expanded_.push_back(false);
          }
        }
      }
      if (record_edges && !graph_overflow_) boost::add_edge(id, got, EdgeP{print_op(op)}, *g_);
      if (expand && d + 1 < bound_ && dfs(c, got, d + 1)) return true;
      if (res_.interrupted) return false;
    }
    return false;
  }

  // The state after the first d steps of the current path, by replaying them.
  World replay(int d) const {
    World w(cfg_.sw);
    for (int i = 0; i < d; i++) w.step(path_[size_t(i)]);
    return w;
  }

  const Config &cfg_;
  int bound_;
  Result &res_;
  Graph *g_;
  StateTable table_;
  long states_ = 0;
  std::vector<std::vector<Op>> levels_;  // the alphabet at each depth
  std::vector<Op> path_;                 // the steps from the initial state
  std::vector<bool> expanded_{false};    // graph only: edges already recorded
  bool graph_overflow_ = false;
};

}  // namespace

Result run(const Config &cfg) {
  Result res;
  const auto start = Clock::now();
  const double cpu_start = cpu_now();
  Graph g;
  const bool want_graph = cfg.graph_cap > 0 && !cfg.dot_file.empty();
  // One search to the full depth; a violation found at depth k is then
  // looked for again within 1, 2, ..., k-1 steps, so the trace reported is a
  // shortest one (iterative deepening, done only when something was found).
  Search full(cfg, cfg.depth, res, want_graph ? &g : nullptr);
  full.run();
  res.states = full.states();
  res.index_bytes_per_state = full.table().bytes() / size_t(std::max(res.states, 1L));
  res.graph_kept = want_graph && !full.graph_overflow();
  res.depth_reached = res.found ? int(res.trace.ops.size()) : res.interrupted ? 0 : cfg.depth;
  if (res.found) {
    const int k = int(res.trace.ops.size());
    for (int b = 1; b < k && !res.interrupted; b++) {
      Result shorter;
      shorter.transitions = 0;
      Search s(cfg, b, shorter, nullptr);
      const bool found = s.run();
      res.transitions += shorter.transitions;
      if (shorter.interrupted) res.interrupted = true;
      if (found) {
        res.violation = shorter.violation;
        res.trace = shorter.trace;
        res.depth_reached = b;
        break;
      }
    }
  }
  res.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  res.cpu_seconds = cpu_now() - cpu_start;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  res.rss_bytes_per_state = size_t(ru.ru_maxrss) * 1024 / size_t(std::max(res.states, 1L));
  if (res.graph_kept) {
    std::ofstream out(cfg.dot_file);
    boost::write_graphviz(out, g, boost::make_label_writer(boost::get(&VertexP::label, g)),
                          boost::make_label_writer(boost::get(&EdgeP::label, g)));
    res.dot_written = bool(out);
  }
  return res;
}

}  // namespace gupcheck::explore

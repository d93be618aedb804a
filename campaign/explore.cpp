// SPDX-License-Identifier: GPL-2.0-only
#include "campaign/explore.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphviz.hpp>

#include <malloc.h>
#include <sys/resource.h>

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

// Serialises w into out, reusing out's and names' memory.
void canonical_into(const World &w, std::string &out, PfnNames &names) {
  out.clear();
  names.normal.assign(names.normal.size(), 0);
  names.device.assign(names.device.size(), 0);
  names.order.clear();
  Ser s{out};
  const kernel_state &k = w.kernel();
  // Processes in handle order (pids are allocated in fork order, the same).
  for (uint16_t h = 0;; h++) {
    const int pid = w.pid_of(h);
    if (pid < 0) break;
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
      for (const auto &p : tab.ptes) {
        if (!p.present && p.pfn == 0) {
          s.put(uint8_t(0));
          continue;
        }
        s.put(uint8_t(1 | p.present << 1 | p.write << 2 | p.dirty << 3 | p.young << 4 | p.special << 5 |
                      p.protnone << 6));
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
    s.put(uint8_t(g.pin)), s.put(g.op.gup_flags), s.put(uint16_t(w.proc_of(g.pid))), s.put(g.start);
    s.put(int32_t(g.ret));
    for (pfn_t p : g.pages) s.put(names.name(p));
  }
  // Mapping handles and the shadow of private anonymous memory.
  for (const auto &m : w.mappings()) {
    s.put(uint8_t(m.exists)), s.put(m.start), s.put(m.npages);
    for (uint16_t h = 0;; h++) {
      const int pid = w.pid_of(h);
      if (pid < 0) break;
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
                   f.driver << 6 | f.freed << 7 | f.dirty << 8));
    s.put(f.file), s.put(f.index), s.put(f.data);
  }
  const folio &z = k.folios[ZERO_PFN];
  s.put(z.refcount), s.put(z.mapcount);
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

// Open-addressing set of state hashes with each state's number.
class StateTable {
 public:
  StateTable() : slots_(1 << 12) {}
  // Return: the number of the state, inserting `id` when new; `fresh` says which.
  uint32_t insert(uint64_t h, uint32_t id, bool &fresh) {
    if ((used_ + 1) * 2 > slots_.size()) grow();
    size_t i = h & (slots_.size() - 1);
    for (;; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].h == 0) {
        slots_[i] = {h, id};
        used_++;
        fresh = true;
        return id;
      }
      if (slots_[i].h == h) {
        fresh = false;
        return slots_[i].id;
      }
    }
  }
  size_t bytes() const { return slots_.size() * sizeof(Slot); }

 private:
  struct Slot {
    uint64_t h = 0;
    uint32_t id = 0;
  };
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    used_ = 0;
    bool f;
    for (const auto &s : old)
      if (s.h) insert(s.h, s.id, f);
  }
  std::vector<Slot> slots_;
  size_t used_ = 0;
};

struct Node {
  uint32_t parent;
  Op op;  // the step from parent
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
      static const struct { MapKind kind; bool shared; uint16_t file; } kinds[] = {
          {MapKind::Anon, false, 0},     {MapKind::Mixedmap, false, 0}, {MapKind::Pfnmap, false, 0},
          {MapKind::File, true, 0},      {MapKind::Shmem, true, kSharedAnonFile},
      };
      for (const auto &kd : kinds) {
        Op op;
        op.kind = OpKind::Mmap;
        op.proc = p;
        op.result = nmaps;
        op.map_kind = kd.kind;
        op.shared = kd.shared;
        op.file = kd.file;
        op.prot = Prot::RW;
        op.npages = uint16_t(cfg.pages);
        ops.push_back(op);
      }
    }
    for (uint16_t m = 0; m < nmaps; m++) {
      const auto &mh = w.mappings()[m];
      if (!mh.exists) continue;
      const vm_area_struct *vma = find_vma(mm, mh.start);
      if (!vma) continue;
      const bool mixed = vma->vm_flags & VM_MIXEDMAP;
      for (uint16_t i = 0; i < mh.npages; i++) {
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
          auto gup = [&](GupApi api, uint32_t flags) {
            Op g = a;
            g.kind = OpKind::Gup;
            g.api = api;
            g.gup_flags = flags;
            g.npages = 1;
            g.result = next_gup;
            ops.push_back(g);
          };
          for (uint32_t f : {0u, unsigned(FOLL_WRITE), unsigned(FOLL_WRITE | FOLL_FORCE)}) gup(GupApi::Get, f);
          for (uint32_t f : {0u, unsigned(FOLL_WRITE), unsigned(FOLL_LONGTERM), unsigned(FOLL_WRITE | FOLL_LONGTERM)})
            gup(GupApi::Pin, f);
          gup(GupApi::GetFast, FOLL_WRITE);
          gup(GupApi::PinFast, 0);
        }
        op = a;
        op.kind = OpKind::MadvDontneed;
        op.npages = 1;
        ops.push_back(op);
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
  }
  for (uint16_t g = 0; g < w.gup_calls().size(); g++) {
    const auto &c = w.gup_calls()[g];
    if (!c.holds()) continue;
    Op op;
    op.kind = c.pin ? OpKind::Unpin : OpKind::Put;
    op.gup = g;
    ops.push_back(op);
  }
}

Trace trace_to(const std::vector<Node> &nodes, uint32_t id, const Op &last) {
  std::vector<Op> rev{last};
  for (uint32_t i = id; i != 0; i = nodes[i].parent) rev.push_back(nodes[i].op);
  Trace t;
  t.ops.assign(rev.rbegin(), rev.rend());
  return t;
}

}  // namespace

namespace {
double cpu_now() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}
}  // namespace

Result run(const Config &cfg) {
  Result res;
  const auto start = Clock::now();
  const double cpu_start = cpu_now();
  // The frontier's model states come and go a level at a time: keep freed
  // heap instead of returning it to the kernel and faulting it back in.
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  StateTable table;
  std::vector<Node> nodes;
  nodes.push_back({0, Op{}});
  Graph g;
  bool keep_graph = cfg.graph_cap > 0;
  if (keep_graph) boost::add_vertex(VertexP{"init"}, g);

  struct Item {
    uint32_t id;
    World w;
  };
  std::vector<Item> frontier, next;
  frontier.push_back({0, World(cfg.sw)});
  bool fresh;
  table.insert(state_hash(frontier[0].w), 0, fresh);
  res.states = 1;
  std::vector<Op> ops;

  for (int d = 0; d < cfg.depth && !frontier.empty(); d++) {
    next.clear();
    for (auto &item : frontier) {
      if (cfg.stop && cfg.stop->load(std::memory_order_relaxed)) {
        res.interrupted = true;
        break;
      }
      alphabet(item.w, cfg, ops);
      for (size_t oi = 0; oi < ops.size(); oi++) {
        const Op &op = ops[oi];
        World c = oi + 1 == ops.size() ? std::move(item.w) : item.w;  // the last successor takes it
        props::Violation v;
        try {
          c.step(op);
          v = cfg.invariants.check(c, size_t(d));
        } catch (const props::bad_trace &) {
          continue;  // outside the scope's valid traces
        } catch (const model_bug &e) {
          v = {true, true, "ModelBug", e.what(), size_t(d), {}, {}, {}, {}};
        }
        res.transitions++;
        if (v.found) {
          res.found = true;
          res.violation = v;
          res.trace = trace_to(nodes, item.id, op);
          res.trace.variant = cfg.variant;
          res.depth_reached = d + 1;
          goto done;
        }
        const uint32_t id = uint32_t(nodes.size());
        const uint32_t got = table.insert(state_hash(c), id, fresh);
        if (fresh) {
          nodes.push_back({item.id, op});
          res.states++;
          if (keep_graph && res.states > cfg.graph_cap) {
            keep_graph = false;
            g.clear();
          }
          if (keep_graph) boost::add_vertex(VertexP{"s" + std::to_string(id) + " d" + std::to_string(d + 1)}, g);
          next.push_back({id, std::move(c)});
        }
        if (keep_graph) boost::add_edge(item.id, got, EdgeP{print_op(op)}, g);
      }
    }
    if (res.interrupted) break;
    frontier.swap(next);
    res.depth_reached = d + 1;
  }
done:
  res.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  res.cpu_seconds = cpu_now() - cpu_start;
  const size_t n = size_t(std::max(res.states, 1L));
  res.index_bytes_per_state = (table.bytes() + nodes.capacity() * sizeof(Node)) / n;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  res.rss_bytes_per_state = size_t(ru.ru_maxrss) * 1024 / n;
  res.graph_kept = keep_graph;
  if (keep_graph && !cfg.dot_file.empty()) {
    std::ofstream out(cfg.dot_file);
    boost::write_graphviz(out, g, boost::make_label_writer(boost::get(&VertexP::label, g)),
                          boost::make_label_writer(boost::get(&EdgeP::label, g)));
    res.dot_written = bool(out);
  }
  return res;
}

}  // namespace gupcheck::explore

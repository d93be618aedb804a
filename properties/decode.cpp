// SPDX-License-Identifier: GPL-2.0-only
#include "properties/decode.h"

#include <algorithm>

#include "model/flags.h"
#include "model/kernel.h"

namespace gupcheck::props {

using namespace gupcheck::trace;
using namespace gupcheck::model;

namespace {

// Operation weights, in the order the selector byte walks them: a zero byte
// (what shrinking drives toward) picks the first, simplest entry.
enum class Choice : uint8_t {
  Read, Write, Mmap, Gup, Release, Fork, Mprotect, Dontneed, Munmap, Exit, Populate, Dump, Uffd,
  InsertPage, InsertMixed, InFlight, Wait, Advise, Mlock, ForbidZero, Stat, Remote, DmaWrite, DmaRead, Mergeable, Ksm,
  Resume, Collapse,
};
struct Weighted {
  Choice c;
  int w;
};
constexpr Weighted kWeights[] = {
    {Choice::Read, 26},   {Choice::Write, 26},      {Choice::Mmap, 22},       {Choice::Gup, 44},
    {Choice::Release, 16}, {Choice::Fork, 16},      {Choice::Mprotect, 10},   {Choice::Dontneed, 12},
    {Choice::Munmap, 7},  {Choice::Exit, 4},        {Choice::Populate, 6},    {Choice::Dump, 6},
    {Choice::Uffd, 5},    {Choice::InsertPage, 7},  {Choice::InsertMixed, 7}, {Choice::InFlight, 8},
    {Choice::Wait, 5},    {Choice::Advise, 10},     {Choice::Mlock, 4},       {Choice::ForbidZero, 1},
    {Choice::Stat, 4},    {Choice::Remote, 8},      {Choice::DmaWrite, 6},    {Choice::DmaRead, 6},
    {Choice::Mergeable, 14}, {Choice::Ksm, 14}, {Choice::Resume, 14}, {Choice::Collapse, 8},
};

bool enabled(Choice c, uint32_t disabled) { return !(disabled >> unsigned(c) & 1); }

Choice pick(uint8_t sel, uint32_t disabled) {
  int total = 0;
  for (auto w : kWeights)
    if (enabled(w.c, disabled)) total += w.w;
  int x = int(sel) * total / 256;
  for (auto w : kWeights) {
    if (!enabled(w.c, disabled)) continue;
    if (x < w.w) return w.c;
    x -= w.w;
  }
  return Choice::Read;
}

struct MapInfo {
  uint16_t id;
  uint16_t npages;
  MapKind kind;
};

struct ProcInfo {
  uint16_t id;
  bool alive = true;
  bool busy = false;  // thread t1 has an in-flight call
  bool collapsing = false;  // thread t2 has an in-flight collapse
  std::vector<uint16_t> maps;  // indices into Decoder::maps
};

struct GupInfo {
  uint16_t id;
  uint16_t proc;
  bool pin;
  bool in_flight;
  bool released = false;
  bool write = false;  // FOLL_WRITE: a device may write through it
  uint16_t map = 0, page = 0;  // its first page, mN+I
  bool collapse = false;  // a collapse (holds no pages)
};

struct Decoder {
  const DecodeLimits &lim;
  Trace t;
  std::vector<MapInfo> maps;
  std::vector<ProcInfo> procs;
  std::vector<GupInfo> gups;
  uint16_t next_proc = 1;

  explicit Decoder(const DecodeLimits &l) : lim(l) { procs.push_back({0, true, false, false, {}}); }

  std::vector<size_t> alive() const {
    std::vector<size_t> a;
    for (size_t i = 0; i < procs.size(); i++)
      if (procs[i].alive) a.push_back(i);
    return a;
  }

  void emit(const Op &op) { t.ops.push_back(op); }

  // Picks the acting process and one of its mappings; false when it has none.
  // race: how often (of 4) to aim at an in-flight call's page.
  bool address(uint64_t r, size_t &pi, Op &op, unsigned race = 1) {
    auto a = alive();
    pi = a[(r >> 8 & 0xff) % a.size()];
    const ProcInfo &p = procs[pi];
    op.proc = p.id;
    if (p.maps.empty()) return false;
    // Now and then the page an in-flight call works on, when this process
    // maps it: the other thread of a race acts on the same memory.
    if ((r >> 60 & 3) < race) {
      for (const GupInfo &g : gups) {
        if (!g.in_flight) continue;
        for (uint16_t mi : p.maps)
          if (maps[mi].id == g.map) {
            op.map = g.map;
            op.page = g.page;
            return true;
          }
      }
    }
    const MapInfo &m = maps[p.maps[(r >> 16 & 0xff) % p.maps.size()]];
    op.map = m.id;
    // Mostly inside the mapping; now and then one page past its end.
    op.page = uint16_t((r >> 24 & 0xff) % (m.npages + ((r >> 31) & 1)));
    return true;
  }

  // The pages from op's address to the end of its mapping (at least 1).
  uint16_t to_end(const Op &op) const {
    for (const MapInfo &m : maps)
      if (m.id == op.map) return uint16_t(std::max<int>(1, int(m.npages) - int(op.page)));
    return 1;
  }

  uint16_t range(uint64_t r, uint16_t max) {
    uint16_t n = uint16_t(1 + ((r >> 32) & 0xff) % 3);
    if ((r >> 39) & 1) n = uint16_t(1 + ((r >> 32) & 0x7f) % std::max<uint16_t>(max, 1));
    return n;
  }

  void mmap(uint64_t r, size_t pi) {
    if (int(maps.size()) >= lim.max_maps) return;
    Op op;
    op.kind = OpKind::Mmap;
    op.proc = procs[pi].id;
    op.result = uint16_t(maps.size());
    const uint8_t k = r >> 16 & 0xff;
    // anon private is the common case; drivers and files follow.
    static const struct { MapKind kind; bool shared; uint16_t file; int w; } kinds[] = {
        {MapKind::Anon, false, 0, 80},        {MapKind::Pfnmap, false, 0, 22},
        {MapKind::Mixedmap, false, 0, 24},    {MapKind::File, false, 0, 22},
        {MapKind::Shmem, true, kSharedAnonFile, 18}, {MapKind::File, true, 0, 18},
        {MapKind::Mixedmap, true, 0, 14},     {MapKind::Shmem, false, 2, 14},
        {MapKind::Shmem, true, 2, 12},        {MapKind::Pfnmap, true, 0, 10},
        {MapKind::File, true, 1, 10},         {MapKind::Shmem, true, 3, 12},
        {MapKind::Fsdax, true, 4, 8},         {MapKind::Fsdax, false, 4, 5},
        {MapKind::Secretmem, true, 0, 8},
    };
    int total = 0;
    for (auto &e : kinds) total += e.w;
    int x = int(k) * total / 256;
    for (auto &e : kinds) {
      if (x < e.w) {
        op.map_kind = e.kind;
        op.shared = e.shared;
        op.file = e.file;
        break;
      }
      x -= e.w;
    }
    const uint8_t p = r >> 56 & 0xff;
    op.prot = p < 160 ? Prot::RW : p < 236 ? Prot::R : Prot::None;
    op.npages = uint16_t(1 + ((r >> 32) & 0xff) % lim.max_map_pages);
    if (op.npages > 3 && ((r >> 40) & 1)) op.npages = uint16_t(1 + op.npages % 3);
    op.populate = ((r >> 41) & 0xf) == 0;  // MAP_POPULATE, now and then
    // Now and then a shared mapping of an O_RDONLY fd: no VM_MAYWRITE, so not
    // a COW mapping, where the driver maps the zero page and a R/O long-term
    // pin keeps it (witness W-ZeroPageLongtermPinnedShared).
    const bool rdonly_ok = op.shared && (op.map_kind == MapKind::File || op.map_kind == MapKind::Mixedmap ||
                                         (op.map_kind == MapKind::Shmem && op.file != kSharedAnonFile));
    if (rdonly_ok && ((r >> 24) & 3) == 0) {
      op.rdonly = true;
      if (op.prot == Prot::RW) op.prot = Prot::R;
    }
    if (op.map_kind == MapKind::Anon && !op.shared) {
      // Now and then new anonymous folios come from ZONE_MOVABLE or CMA.
      const unsigned z = r >> 44 & 7;
      op.zone = z == 1 ? MemZone::Movable : z == 2 ? MemZone::Cma : MemZone::Normal;
      // Now and then a THP-eligible mapping, one PMD (or a bit more) long.
      // (Bits 52-55 are hashed, so these shapes come at every generation
      // size; bits 47-49 alone were zero at small sizes, which made most
      // anonymous mappings THPs.)
      if ((r >> 54 & 3) <= 1) {
        op.thp = true;
        op.npages = uint16_t(model::HPAGE_PMD_NR + ((r >> 50 & 3) == 0 ? (r >> 52 & 3) : 0));
      } else if ((r >> 54 & 3) == 2 && (r >> 52 & 1)) {
        // A PMD-sized mapping of base pages (PMD-aligned, not MADV_HUGEPAGE):
        // what khugepaged and MADV_COLLAPSE turn into a THP; half of them
        // populated, so that there is something to collapse.
        op.npages = model::HPAGE_PMD_NR;
        if (r >> 53 & 1) op.populate = true;
      }
    }
    emit(op);
    maps.push_back({op.result, op.npages, op.map_kind});
    procs[pi].maps.push_back(uint16_t(maps.size() - 1));
  }

  unsigned gup_flags(uint64_t r, bool pin) {
    const uint16_t f = r >> 40 & 0xffff;
    unsigned flags = 0;
    if (f & 1) flags |= FOLL_WRITE;
    if ((f >> 1 & 7) == 0) flags |= FOLL_FORCE;
    if (pin && (f >> 4 & 3) != 0) flags |= FOLL_LONGTERM;
    // Rarely, a caller misuse that the entry points must refuse.
    const unsigned odd = f >> 8 & 0xff;
    if (odd == 1) flags |= pin ? FOLL_GET : FOLL_LONGTERM;
    if (odd == 2) flags |= FOLL_TOUCH;
    if (odd == 3) flags |= FOLL_DUMP;
    if (odd == 4) flags |= FOLL_NOFAULT;
    if (odd == 5) flags |= FOLL_ANON;
    if (odd == 6 || odd == 7) flags |= FOLL_HWPOISON;
    return flags;
  }

  void gup(uint64_t r, bool in_flight) {
    if (int(gups.size()) >= lim.max_gups) return;
    size_t pi;
    Op op;
    if (!address(r, pi, op)) return mmap(r, pi);
    if (in_flight && procs[pi].busy) return;
    op.kind = OpKind::Gup;
    op.result = uint16_t(gups.size());
    const uint8_t a = r >> 56 & 0xff;
    op.api = a < 70 ? GupApi::Pin : a < 140 ? GupApi::Get : a < 200 ? GupApi::PinFast : GupApi::GetFast;
    const bool pin = op.api == GupApi::Pin || op.api == GupApi::PinFast;
    op.gup_flags = gup_flags(r, pin);
    // An in-flight call is there to race with another thread: half of them
    // are forced (/proc/PID/mem style), the Dirty COW family's shape.
    if (in_flight && (r >> 62 & 1)) op.gup_flags |= FOLL_FORCE;
    op.npages = range(r, 4);
    if (in_flight) {
      op.in_flight = true;
      op.thread = 1;
      procs[pi].busy = true;
    }
    emit(op);
    gups.push_back({op.result, op.proc, pin, in_flight, false, bool(op.gup_flags & FOLL_WRITE), op.map, op.page});
    // Half the in-flight calls run to their first interleave point at once.
    if (in_flight && (r >> 58 & 1)) start(op.result);
  }

  void wait_for(size_t gi) {
    Op op;
    op.kind = OpKind::Wait;
    op.gup = gups[gi].id;
    emit(op);
    gups[gi].in_flight = false;
    for (auto &p : procs)
      if (p.id == gups[gi].proc) (gups[gi].collapse ? p.collapsing : p.busy) = false;
  }

  // gN = collapse pP mN+I [&]: in flight, it stops with the PMD cleared, so
  // that another thread's GUP-fast can run in the window.
  void collapse(uint64_t r) {
    if (int(gups.size()) >= lim.max_gups) return;
    size_t pi;
    Op op;
    // A collapse is the racing thread: mostly aimed at an in-flight call.
    if (!address(r, pi, op, 3)) return mmap(r, pi);
    op.kind = OpKind::Collapse;
    op.result = uint16_t(gups.size());
    const bool in_flight = (r >> 56 & 1) && !procs[pi].collapsing;
    if (in_flight) {
      op.in_flight = true;
      op.thread = 2;
      procs[pi].collapsing = true;
    }
    emit(op);
    GupInfo g{op.result, op.proc, false, in_flight, true, false, op.map, op.page};
    g.collapse = true;
    gups.push_back(g);
    // Mostly an in-flight collapse runs into its window at once (the next
    // step of the same choice): what races with it is what comes after.
    if (in_flight && (r >> 57 & 3)) start(op.result);
  }

  // resume gN right after gN = ... & (a call does nothing before its first
  // resume, so no interleaving is lost by starting it at once).
  void start(uint16_t g) {
    Op res;
    res.kind = OpKind::Resume;
    res.gup = g;
    emit(res);
  }

  void step(uint64_t r) {
    const Choice c = pick(r & 0xff, lim.disabled);
    auto a = alive();
    size_t pi = a[(r >> 8 & 0xff) % a.size()];
    Op op;
    switch (c) {
      case Choice::Read:
      case Choice::Write:
        if (!address(r, pi, op)) return mmap(r, pi);
        op.kind = c == Choice::Read ? OpKind::Read : OpKind::Write;
        if (c == Choice::Write) {
          op.value = 0x100 + t.ops.size();  // unique: a leak shows
          // Sometimes zeroes or a shared value, so that KSM finds pages to merge.
          const unsigned v = r >> 40 & 7;
          if (v == 1) op.value = 0;
          if (v == 2) op.value = 0x41;
        }
        return emit(op);
      case Choice::Mmap:
        return mmap(r, pi);
      case Choice::Gup:
        return gup(r, false);
      case Choice::InFlight:
        return gup(r, true);
      case Choice::Wait: {
        std::vector<size_t> open;
        for (size_t i = 0; i < gups.size(); i++)
          if (gups[i].in_flight) open.push_back(i);
        if (open.empty()) return gup(r, false);
        return wait_for(open[(r >> 16 & 0xff) % open.size()]);
      }
      case Choice::Resume: {
        // Advance an in-flight call to its next interleave point, so that the
        // operations that follow run there (another thread's MADV_DONTNEED,
        // fork, munmap, write, forced access, ...).
        std::vector<size_t> open;
        for (size_t i = 0; i < gups.size(); i++)
          if (gups[i].in_flight) open.push_back(i);
        if (open.empty()) return gup(r, true);
        op.kind = OpKind::Resume;
        // Half the time the newest call: a race's second thread usually
        // starts and then runs into its window at once.
        op.gup = gups[(r >> 59 & 1) ? open.back() : open[(r >> 16 & 0xff) % open.size()]].id;
        return emit(op);
      }
      case Choice::Collapse:
        return collapse(r);
      case Choice::Release: {
        std::vector<size_t> held;
        for (size_t i = 0; i < gups.size(); i++)
          if (!gups[i].released && !gups[i].in_flight && !gups[i].collapse) held.push_back(i);
        if (held.empty()) return gup(r, false);
        GupInfo &g = gups[held[(r >> 16 & 0xff) % held.size()]];
        op.kind = g.pin ? OpKind::Unpin : OpKind::Put;
        op.gup = g.id;
        g.released = true;
        return emit(op);
      }
      case Choice::Fork: {
        if (int(procs.size()) >= lim.max_procs) return gup(r, false);
        op.kind = OpKind::Fork;
        op.proc = procs[pi].id;
        op.result = next_proc++;
        emit(op);
        ProcInfo child{op.result, true, false, false, procs[pi].maps};
        procs.push_back(child);
        return;
      }
      case Choice::Exit: {
        if (a.size() < 2) return;
        if (procs[pi].busy || procs[pi].collapsing)
          for (size_t i = 0; i < gups.size(); i++)
            if (gups[i].in_flight && gups[i].proc == procs[pi].id) wait_for(i);
        op.kind = OpKind::Exit;
        op.proc = procs[pi].id;
        procs[pi].alive = false;
        return emit(op);
      }
      case Choice::Mprotect:
      case Choice::Dontneed:
      case Choice::Munmap: {
        if (!address(r, pi, op)) return mmap(r, pi);
        op.kind = c == Choice::Mprotect ? OpKind::Mprotect : c == Choice::Dontneed ? OpKind::Madvise
                                                                                   : OpKind::Munmap;
        op.npages = range(r, 4);
        // Now and then a whole PMD (a THP mapping's 16 pages; all of a
        // smaller mapping), so that a PMD leaf is zapped, unmapped or
        // protected at once rather than split.
        // (Hashed bits: low bits are zero at small generation sizes.)
        if ((r >> 52 & 3) == 0) {
          op.page = uint16_t(op.page - op.page % model::HPAGE_PMD_NR);
          op.npages = std::min<uint16_t>(to_end(op), model::HPAGE_PMD_NR);
        }
        const uint8_t p = r >> 56 & 0xff;
        op.prot = p < 110 ? Prot::R : p < 220 ? Prot::RW : Prot::None;
        return emit(op);
      }
      case Choice::Populate: {
        if (!address(r, pi, op)) return mmap(r, pi);
        op.kind = OpKind::Populate;
        op.npages = range(r, 4);
        const uint16_t f = r >> 40 & 0xffff;
        op.gup_flags = (f & 1 ? FOLL_WRITE : 0) | ((f >> 1 & 3) == 0 ? FOLL_FORCE : 0);
        return emit(op);
      }
      case Choice::Mergeable: {
        if (!address(r, pi, op)) return mmap(r, pi);
        op.kind = OpKind::MadvDontneed;
        op.advice = Advice::Mergeable;
        op.npages = range(r, 6);
        return emit(op);
      }
      case Choice::Ksm:
        op.kind = OpKind::KsmMerge;
        op.proc = procs[pi].id;
        return emit(op);
      case Choice::Dump:
        op.kind = OpKind::Dump;
        op.proc = procs[pi].id;
        return emit(op);
      case Choice::Uffd:
        if (!address(r, pi, op)) return mmap(r, pi);
        // Now and then UFFDIO_CONTINUE instead (a zero bit, what shrinking
        // drives toward, keeps UFFDIO_ZEROPAGE).
        op.kind = (r >> 56) & 1 ? OpKind::UffdContinue : OpKind::UffdZeropage;
        return emit(op);
      case Choice::Advise: {
        if (!address(r, pi, op)) return mmap(r, pi);
        op.kind = OpKind::Madvise;
        op.npages = range(r, 4);
        static constexpr Advice kAdvice[] = {Advice::PopulateRead, Advice::PopulateWrite, Advice::Dontfork,
                                             Advice::Wipeonfork,   Advice::Hwpoison,      Advice::PopulateWrite,
                                             Advice::Dofork,       Advice::Keeponfork};
        op.advice = kAdvice[(r >> 56 & 0xff) % 8];
        if (op.advice == Advice::Hwpoison) op.npages = 1;
        return emit(op);
      }
      case Choice::Mlock:
        if (!address(r, pi, op)) return mmap(r, pi);
        op.kind = OpKind::Mlock;
        op.npages = range(r, 4);
        return emit(op);
      case Choice::ForbidZero:
        op.kind = OpKind::ForbidZeropage;
        op.proc = procs[pi].id;
        return emit(op);
      case Choice::Stat:
        if (!address(r, pi, op)) return mmap(r, pi);
        op.kind = OpKind::Stat;
        return emit(op);
      case Choice::Remote: {
        // pP reaches into pT (often another process, sometimes itself).
        size_t ti = a[(r >> 44 & 0xff) % a.size()];
        if (!address(r, ti, op)) return mmap(r, ti);
        op.target = procs[ti].id;
        op.proc = procs[pi].id;
        const bool w = (r >> 52) & 1;
        op.kind = w ? OpKind::RemoteWrite : OpKind::RemoteRead;
        op.via = ((r >> 53) & 3) == 0 ? RemoteVia::ProcessVm : RemoteVia::Mem;
        if (w) op.value = 0x100 + t.ops.size();
        return emit(op);
      }
      case Choice::DmaWrite:
      case Choice::DmaRead: {
        std::vector<size_t> held;
        for (size_t i = 0; i < gups.size(); i++)
          if (!gups[i].released && !gups[i].in_flight && !gups[i].collapse && (c == Choice::DmaRead || gups[i].write))
            held.push_back(i);
        if (held.empty()) return gup(r, false);
        op.kind = c == Choice::DmaWrite ? OpKind::DmaWrite : OpKind::DmaRead;
        op.gup = gups[held[(r >> 16 & 0xff) % held.size()]].id;
        if (c == Choice::DmaWrite) op.value = 0x100 + t.ops.size();
        return emit(op);
      }
      case Choice::InsertPage:
      case Choice::InsertMixed: {
        if (!address(r, pi, op)) return mmap(r, pi);
        op.kind = c == Choice::InsertPage ? OpKind::InsertPage : OpKind::InsertMixed;
        const uint8_t w = r >> 56 & 0xff;
        op.what = w < 110 ? InsertWhat::Zero : (c == Choice::InsertMixed && w >= 190) ? InsertWhat::Device
                                                                                      : InsertWhat::Page;
        return emit(op);
      }
    }
  }
};

}  // namespace

uint32_t swarm_disabled(uint64_t case_seed) {
  uint64_t h = case_seed + 0x9e3779b97f4a7c15ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  h ^= h >> 31;
  if (h & 1) return 0;
  uint32_t off = uint32_t(h >> 8);
  for (Choice keep : {Choice::Read, Choice::Write, Choice::Mmap, Choice::Gup, Choice::InFlight, Choice::Resume,
                      Choice::Wait})
    off &= ~(uint32_t(1) << unsigned(keep));
  return off;
}

Trace decode_trace(const uint64_t *raw, size_t n, const DecodeLimits &lim) {
  Decoder d(lim);
  d.t.ops.reserve(n);
  for (size_t i = 0; i < n; i++) d.step(raw[i]);
  // A call's result is judged when the trace collects it: wait for every
  // call still in flight, so that what the interleaving did is checked.
  for (size_t i = 0; i < d.gups.size(); i++)
    if (d.gups[i].in_flight) d.wait_for(i);
  return std::move(d.t);
}

}  // namespace gupcheck::props

namespace gupcheck::props {

std::vector<uint64_t> words_from_bytes(const uint8_t *data, size_t size) {
  std::vector<uint64_t> w((size + 7) / 8, 0);
  for (size_t i = 0; i < size; i++) w[i / 8] |= uint64_t(data[i]) << (8 * (i % 8));
  return w;
}

std::string bytes_from_words(const std::vector<uint64_t> &words) {
  std::string b(words.size() * 8, '\0');
  for (size_t i = 0; i < b.size(); i++) b[i] = char(words[i / 8] >> (8 * (i % 8)) & 0xff);
  return b;
}

namespace {

// How close op a is to the target b: the kind counts most; 0 misses = equal.
int misses(const Op &a, const Op &b) {
  int m = a.kind == b.kind ? 0 : 100;
  m += a.proc != b.proc;
  m += a.thread != b.thread;
  m += a.result != b.result;
  m += a.map != b.map;
  m += a.page != b.page;
  m += a.npages != b.npages;
  m += a.gup != b.gup;
  m += __builtin_popcount(a.gup_flags ^ b.gup_flags);  // per flag, so one byte at a time can fix them
  m += a.api != b.api;
  m += a.in_flight != b.in_flight;
  m += a.map_kind != b.map_kind;
  m += a.shared != b.shared;
  m += a.prot != b.prot;
  m += a.file != b.file;
  m += a.what != b.what;
  m += a.populate != b.populate;
  m += a.advice != b.advice;
  m += a.target != b.target;
  m += a.via != b.via;
  m += a.zone != b.zone;
  m += a.thp != b.thp;
  m += a.rdonly != b.rdonly;
  return m;
}

// The fields of `op` that decode_trace() reads, for the comparison.
Op relevant(Op op) {
  if (op.kind != OpKind::Mmap) op.map_kind = MapKind::Anon, op.shared = false, op.file = 0;
  if (op.kind != OpKind::Mmap) op.zone = MemZone::Normal, op.thp = false, op.rdonly = false;
  if (op.kind != OpKind::MadvDontneed) op.advice = Advice::Dontneed;
  if (op.kind != OpKind::Mmap && op.kind != OpKind::Mprotect) op.prot = Prot::RW;
  if (op.kind != OpKind::Gup) op.api = GupApi::Get;
  if (op.kind != OpKind::Gup && op.kind != OpKind::Collapse) op.in_flight = false, op.thread = 0;
  if (op.kind != OpKind::Gup && op.kind != OpKind::Populate) op.gup_flags = 0;
  if (op.kind != OpKind::InsertPage && op.kind != OpKind::InsertMixed) op.what = InsertWhat::Page;
  if (op.kind != OpKind::Mmap) op.populate = false;
  if (op.kind != OpKind::Madvise) op.advice = Advice::Dontneed;
  if (!op.has_target()) op.target = 0, op.via = RemoteVia::Mem;
  if (!op.has_address()) op.map = 0, op.page = 0;
  if (!op.has_range() && op.kind != OpKind::Mmap && op.kind != OpKind::Gup) op.npages = 1;
  if (op.has_process()) op.gup = 0; else op.proc = 0;
  op.value = 0;
  return op;
}

}  // namespace

std::optional<std::vector<uint64_t>> encode_trace(const Trace &t, std::string *why, const DecodeLimits &lim) {
  Decoder d(lim);
  std::vector<uint64_t> words;
  // Target handle -> decoder handle, per kind (processes, mappings, GUP calls).
  std::vector<int> pmap(kMaxHandle + 1, -1), mmap(kMaxHandle + 1, -1), gmap(kMaxHandle + 1, -1);
  pmap[0] = 0;
  auto fail = [&](size_t i, const std::string &what) -> std::optional<std::vector<uint64_t>> {
    if (why) *why = "op " + std::to_string(i + 1) + ": " + what;
    return std::nullopt;
  };
  for (size_t i = 0; i < t.ops.size(); i++) {
    Op want = t.ops[i];
    if (want.has_process()) {
      if (pmap[want.proc] < 0) return fail(i, "unknown process");
      want.proc = uint16_t(pmap[want.proc]);
    } else {
      if (gmap[want.gup] < 0) return fail(i, "unknown GUP call");
      want.gup = uint16_t(gmap[want.gup]);
    }
    if (want.has_target()) {
      if (pmap[want.target] < 0) return fail(i, "unknown target process");
      want.target = uint16_t(pmap[want.target]);
    }
    if (want.has_address()) {
      if (mmap[want.map] < 0) return fail(i, "unknown mapping");
      want.map = uint16_t(mmap[want.map]);
    }
    const Op::ResultKind rk = want.result_kind();
    if (rk == Op::ResultKind::Mapping) want.result = uint16_t(d.maps.size());
    if (rk == Op::ResultKind::Process) want.result = d.next_proc;
    if (rk == Op::ResultKind::Gup) want.result = uint16_t(d.gups.size());
    want = relevant(want);

    // An in-flight call directly followed by its own resume may come from
    // one choice that emits both.
    const bool next_resumes = t.ops[i].in_flight && i + 1 < t.ops.size() &&
                              t.ops[i + 1].kind == OpKind::Resume && t.ops[i + 1].gup == t.ops[i].result;
    auto score = [&](uint64_t w) {
      Decoder c = d;
      const size_t before = c.t.ops.size();
      c.step(w);
      if (c.t.ops.size() == before + 2 && next_resumes && c.t.ops.back().kind == OpKind::Resume)
        return misses(relevant(c.t.ops[before]), want);
      if (c.t.ops.size() != before + 1) return 1000;
      return misses(relevant(c.t.ops.back()), want);
    };
    // Coordinate descent over the word's bytes; restarts from pseudo-random
    // words (a fixed sequence: the encoding is deterministic) when stuck.
    uint64_t best = 0;
    int best_score = score(0);
    uint64_t restart = 0x9e3779b97f4a7c15ull * (i + 1);
    for (int attempt = 0; attempt < 64 && best_score > 0; attempt++) {
      uint64_t cur = best;
      int cur_score = best_score;
      if (attempt > 0) {
        restart = restart * 6364136223846793005ull + 1442695040888963407ull;
        cur = (restart & ~uint64_t(0xff)) | (best & 0xff);
        cur_score = score(cur);
      }
      for (int pass = 0; pass < 4 && cur_score > 0; pass++) {
        bool improved = false;
        for (int byte = 0; byte < 8 && cur_score > 0; byte++) {
          for (uint64_t v = 0; v < 256; v++) {
            const uint64_t w = (cur & ~(uint64_t(0xff) << (8 * byte))) | v << (8 * byte);
            const int sc = score(w);
            if (sc < cur_score) cur = w, cur_score = sc, improved = true;
            if (cur_score == 0) break;
          }
        }
        if (!improved) break;
      }
      if (cur_score < best_score) best = cur, best_score = cur_score;
    }
    if (best_score != 0) return fail(i, "the decoder cannot produce '" + std::string(op_kind_name(want.kind)) + "' here");
    const size_t before = d.t.ops.size();
    d.step(best);
    words.push_back(best);
    const Op &got = d.t.ops[before];
    if (rk == Op::ResultKind::Mapping) mmap[t.ops[i].result] = got.result;
    if (rk == Op::ResultKind::Process) pmap[t.ops[i].result] = got.result;
    if (rk == Op::ResultKind::Gup) gmap[t.ops[i].result] = got.result;
    if (d.t.ops.size() == before + 2) i++;  // the choice emitted the resume too
  }
  return words;
}

}  // namespace gupcheck::props

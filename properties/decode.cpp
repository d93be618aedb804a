// SPDX-License-Identifier: GPL-2.0-only
#include "properties/decode.h"

#include <algorithm>

#include "model/flags.h"

namespace gupcheck::props {

using namespace gupcheck::trace;
using namespace gupcheck::model;

namespace {

// Operation weights, in the order the selector byte walks them: a zero byte
// (what shrinking drives toward) picks the first, simplest entry.
enum class Choice : uint8_t {
  Read, Write, Mmap, Gup, Release, Fork, Mprotect, Dontneed, Munmap, Exit, Populate, Dump, Uffd,
  InsertPage, InsertMixed, InFlight, Wait, Resume,
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
    {Choice::Wait, 5},    {Choice::Resume, 14},
};

Choice pick(uint8_t sel) {
  int total = 0;
  for (auto w : kWeights) total += w.w;
  int x = int(sel) * total / 256;
  for (auto w : kWeights) {
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
  std::vector<uint16_t> maps;  // indices into Decoder::maps
};

struct GupInfo {
  uint16_t id;
  uint16_t proc;
  bool pin;
  bool in_flight;
  bool released = false;
};

struct Decoder {
  const DecodeLimits &lim;
  Trace t;
  std::vector<MapInfo> maps;
  std::vector<ProcInfo> procs;
  std::vector<GupInfo> gups;
  uint16_t next_proc = 1;

  explicit Decoder(const DecodeLimits &l) : lim(l) { procs.push_back({0, true, false, {}}); }

  std::vector<size_t> alive() const {
    std::vector<size_t> a;
    for (size_t i = 0; i < procs.size(); i++)
      if (procs[i].alive) a.push_back(i);
    return a;
  }

  void emit(const Op &op) { t.ops.push_back(op); }

  // Picks the acting process and one of its mappings; false when it has none.
  bool address(uint64_t r, size_t &pi, Op &op) {
    auto a = alive();
    pi = a[(r >> 8 & 0xff) % a.size()];
    const ProcInfo &p = procs[pi];
    op.proc = p.id;
    if (p.maps.empty()) return false;
    const MapInfo &m = maps[p.maps[(r >> 16 & 0xff) % p.maps.size()]];
    op.map = m.id;
    // Mostly inside the mapping; now and then one page past its end.
    op.page = uint16_t((r >> 24 & 0xff) % (m.npages + ((r >> 31) & 1)));
    return true;
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
    op.npages = range(r, 4);
    if (in_flight) {
      op.in_flight = true;
      op.thread = 1;
      procs[pi].busy = true;
    }
    emit(op);
    gups.push_back({op.result, op.proc, pin, in_flight});
  }

  void wait_for(size_t gi) {
    Op op;
    op.kind = OpKind::Wait;
    op.gup = gups[gi].id;
    emit(op);
    gups[gi].in_flight = false;
    for (auto &p : procs)
      if (p.id == gups[gi].proc) p.busy = false;
  }

  void step(uint64_t r) {
    const Choice c = pick(r & 0xff);
    auto a = alive();
    size_t pi = a[(r >> 8 & 0xff) % a.size()];
    Op op;
    switch (c) {
      case Choice::Read:
      case Choice::Write:
        if (!address(r, pi, op)) return mmap(r, pi);
        op.kind = c == Choice::Read ? OpKind::Read : OpKind::Write;
        if (c == Choice::Write) op.value = 0x100 + t.ops.size();  // unique: a leak shows
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
        op.gup = gups[open[(r >> 16 & 0xff) % open.size()]].id;
        return emit(op);
      }
      case Choice::Release: {
        std::vector<size_t> held;
        for (size_t i = 0; i < gups.size(); i++)
          if (!gups[i].released && !gups[i].in_flight) held.push_back(i);
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
        ProcInfo child{op.result, true, false, procs[pi].maps};
        procs.push_back(child);
        return;
      }
      case Choice::Exit: {
        if (a.size() < 2) return;
        if (procs[pi].busy)
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
        op.kind = c == Choice::Mprotect ? OpKind::Mprotect : c == Choice::Dontneed ? OpKind::MadvDontneed
                                                                                   : OpKind::Munmap;
        op.npages = range(r, 4);
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
      case Choice::Dump:
        op.kind = OpKind::Dump;
        op.proc = procs[pi].id;
        return emit(op);
      case Choice::Uffd:
        if (!address(r, pi, op)) return mmap(r, pi);
        op.kind = OpKind::UffdZeropage;
        return emit(op);
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

Trace decode_trace(const uint64_t *raw, size_t n, const DecodeLimits &lim) {
  Decoder d(lim);
  d.t.ops.reserve(n);
  for (size_t i = 0; i < n; i++) d.step(raw[i]);
  return std::move(d.t);
}

}  // namespace gupcheck::props

// SPDX-License-Identifier: GPL-2.0-only
#include "live/oracle.h"

#include <sys/mman.h>

#include <cerrno>
#include <cinttypes>
#include <chrono>
#include <cstdio>

#include "live/live.h"
#include "live/live_embedded.h"
#include "model/kernel.h"
#include "properties/translate.h"
#include "trace/text.h"

namespace gupcheck::live {

using props::LiveMech;
using props::Site;
using props::StepObs;
using props::StepResult;
using trace::Op;
using trace::OpKind;

std::string unavailable() {
  std::string why = live_unavailable();
  if (why.empty() && !live_scratch_dir(""))
    why = "$TMPDIR and /var/tmp are tmpfs or ramfs, where O_DIRECT pins nothing; set TMPDIR to a directory on a "
          "block file system (ext4, xfs, btrfs)";
  return why;
}

uint64_t Placement::address(uint16_t map, uint16_t page) const {
  auto it = map_vpn.find(map);
  if (it == map_vpn.end()) throw props::bad_trace("mapping m" + std::to_string(map) + " does not exist");
  return LIVE_BASE + (it->second + page) * LIVE_PAGE;
}

namespace {

int prot_of(trace::Prot p) {
  switch (p) {
    case trace::Prot::None: return LIVE_PROT_NONE;
    case trace::Prot::R: return LIVE_PROT_R;
    case trace::Prot::RW: return LIVE_PROT_RW;
  }
  return LIVE_PROT_NONE;
}

int slot(std::map<uint16_t, int> &m, uint16_t handle, int limit, const char *what) {
  auto it = m.find(handle);
  if (it != m.end()) return it->second;
  if (int(m.size()) >= limit)
    throw props::bad_trace(std::string("more than ") + std::to_string(limit) + " " + what +
                           " for the live executor");
  int s = int(m.size());
  m[handle] = s;
  return s;
}

}  // namespace

bool LiveKernel::translate(const Op &op, size_t step, const Op *creator, Placement &pl, ::live_op &o) {
  o = ::live_op{};
  o.kind = LIVE_NOP;
  o.gup = -1;
  o.file = -1;
  const LiveMech mech = props::live_mechanism(op, creator);
  if (mech == LiveMech::None) return false;
  if (op.has_process()) {
    auto it = pl.proc_slot.find(op.proc);
    if (it == pl.proc_slot.end()) throw props::bad_trace("process p" + std::to_string(op.proc) + " does not exist");
    o.proc = it->second;
  }
  if (op.has_address()) o.addr = pl.address(op.map, op.page);
  o.npages = op.has_range() ? op.npages : 1;
  switch (op.kind) {
    case OpKind::Mmap: {
      o.kind = LIVE_MMAP;
      o.npages = op.npages;
      o.populate = op.populate;
      o.shared = op.shared;
      o.prot = prot_of(op.prot);
      const bool anon = op.map_kind == trace::MapKind::Anon ||
                        (op.map_kind == trace::MapKind::Shmem && op.file == trace::kSharedAnonFile);
      if (anon) {
        o.backing = op.shared ? LIVE_SHARED_ANON : LIVE_ANON;
      } else {
        o.backing = op.map_kind == trace::MapKind::Shmem ? LIVE_MEMFD : LIVE_FILE;
        o.file = slot(pl.file_slot, op.file, LIVE_MAX_FILES, "files");
      }
      // The model's own get_unmapped_area(), from the same per-process hint.
      uint64_t &hint = pl.hint.try_emplace(o.proc, model::MMAP_MIN_VPN).first->second;
      const long start = model::get_unmapped_area(hint, props::mmap_args_of(op));
      if (start < 0) throw props::bad_trace("mapping m" + std::to_string(op.result) + " does not fit the address space");
      pl.map_vpn[op.result] = uint64_t(start);
      o.addr = LIVE_BASE + uint64_t(start) * LIVE_PAGE;
      hint = uint64_t(start) + op.npages + 1;
      break;
    }
    case OpKind::Munmap: o.kind = LIVE_MUNMAP; break;
    case OpKind::Mprotect:
      o.kind = LIVE_MPROTECT;
      o.prot = prot_of(op.prot);
      break;
    case OpKind::Madvise:
      o.kind = LIVE_MADVISE;
      switch (op.advice) {
        case trace::Advice::Dontneed: o.advice = MADV_DONTNEED; break;
        case trace::Advice::PopulateRead: o.advice = MADV_POPULATE_READ; break;
        case trace::Advice::PopulateWrite: o.advice = MADV_POPULATE_WRITE; break;
        case trace::Advice::Dontfork: o.advice = MADV_DONTFORK; break;
        case trace::Advice::Dofork: o.advice = MADV_DOFORK; break;
        case trace::Advice::Wipeonfork: o.advice = MADV_WIPEONFORK; break;
        case trace::Advice::Keeponfork: o.advice = MADV_KEEPONFORK; break;
        case trace::Advice::Hwpoison: return false;  // never on the live kernel
        case trace::Advice::Mergeable: return false;  // KSM: not live-expressible (live_ops.cpp)
      }
      break;
    case OpKind::Mlock: o.kind = LIVE_MLOCK; break;
    case OpKind::Read: o.kind = LIVE_READ; break;
    case OpKind::Write:
      o.kind = LIVE_WRITE;
      o.value = op.value;
      break;
    case OpKind::Fork: {
      o.kind = LIVE_FORK;
      if (pl.proc_slot.count(op.result)) throw props::bad_trace("process p" + std::to_string(op.result) + " created twice");
      if (pl.next_proc >= LIVE_MAX_PROCS)
        throw props::bad_trace("more than " + std::to_string(LIVE_MAX_PROCS) + " processes for the live executor");
      o.child = pl.next_proc++;
      pl.proc_slot[op.result] = o.child;
      pl.hint[o.child] = pl.hint.try_emplace(o.proc, model::MMAP_MIN_VPN).first->second;
      break;
    }
    case OpKind::Exit:
      o.kind = LIVE_EXIT;
      pl.exited.insert(op.proc);
      break;
    case OpKind::UffdZeropage: o.kind = LIVE_UFFD_ZEROPAGE; break;
    case OpKind::Stat: o.kind = LIVE_STAT; break;
    case OpKind::RemoteRead:
    case OpKind::RemoteWrite: {
      auto t = pl.proc_slot.find(op.target);
      if (t == pl.proc_slot.end() || pl.exited.count(op.target))
        throw props::bad_trace("process p" + std::to_string(op.target) + " does not exist");
      o.kind = op.kind == OpKind::RemoteRead ? LIVE_REMOTE_READ : LIVE_REMOTE_WRITE;
      o.target = t->second;
      o.via_mem = op.via == trace::RemoteVia::Mem;
      o.value = op.value;
      break;
    }
    case OpKind::Gup:
      o.gup = slot(pl.gup_slot, op.result, LIVE_MAX_GUPS, "GUP calls");
      o.value = props::mech_value(step);
      switch (mech) {
        case LiveMech::UringPin: o.kind = LIVE_URING_PIN; break;
        case LiveMech::DirectRead: o.kind = LIVE_DIO_READ; break;
        case LiveMech::DirectWrite: o.kind = LIVE_DIO_WRITE; break;
        case LiveMech::Vmsplice: o.kind = LIVE_VMSPLICE; break;
        case LiveMech::PvmRead: o.kind = LIVE_PVM_READ; break;
        case LiveMech::PvmWrite: o.kind = LIVE_PVM_WRITE; break;
        case LiveMech::MemRead: o.kind = LIVE_MEM_READ; break;
        case LiveMech::MemWrite: o.kind = LIVE_MEM_WRITE; break;
        default: return false;
      }
      break;
    case OpKind::Put:
    case OpKind::Unpin: {
      if (mech == LiveMech::Nop) break;
      // After the creator's process exited its ring or pipe died with it.
      if (pl.exited.count(creator->proc)) break;
      o.gup = slot(pl.gup_slot, op.gup, LIVE_MAX_GUPS, "GUP calls");
      o.proc = pl.proc_slot.at(creator->proc);
      o.kind = props::gup_mechanism(creator->api, creator->gup_flags) == LiveMech::UringPin ? LIVE_URING_UNPIN
                                                                                            : LIVE_PIPE_CLOSE;
      break;
    }
    default: return false;  // new ops slot in here with their live form
  }
  return true;
}

LiveKernel::LiveKernel(int timeout_ms) : pl_(new Placement) {
  char err[256] = "";
  L_ = live_open("", timeout_ms, err, sizeof err);
  if (!L_) {
    delete pl_;
    std::string why = unavailable();
    if (!why.empty()) throw Unavailable(why);
    throw RunError(std::string("cannot start the live executor: ") + err);
  }
}

LiveKernel::~LiveKernel() {
  live_close(L_);
  delete pl_;
}

int LiveKernel::agents() const { return live_agents(L_); }

StepResult LiveKernel::run(const Op &op, size_t step, const Op *creator) {
  ::live_op o;
  if (!translate(op, step, creator, *pl_, o))
    throw props::bad_trace("step " + std::to_string(step + 1) + " is not live-expressible: " +
                           props::live_unexpressible_reason(op, creator));
  live_result r{};
  if (live_step(L_, &o, &r) < 0) throw RunError(live_error(L_));
  StepResult s;
  s.ret = props::live_ret_in_pages(props::live_mechanism(op, creator), r.ret);
  s.signal = r.signal;
  s.has_value = r.has_value;
  s.value = r.value;
  return s;
}

void LiveKernel::observe(const std::vector<Site> &sites, StepObs &out) {
  out.sites = sites;
  out.pages.assign(sites.size(), props::PageObs{});
  std::vector<uint64_t> frames(sites.size(), 0);
  std::vector<live_page> buf(LIVE_MAX_PAGES + 1);
  for (size_t i = 0; i < sites.size();) {
    // One pagemap read per (process, mapping) run of sites.
    size_t j = i;
    while (j < sites.size() && sites[j].proc == sites[i].proc && sites[j].map == sites[i].map &&
           sites[j].page == sites[i].page + (j - i))
      j++;
    const int proc = pl_->proc_slot.at(sites[i].proc);
    const uint64_t addr = pl_->address(sites[i].map, sites[i].page);
    if (live_observe(L_, proc, addr, j - i, buf.data()) < 0) throw RunError(live_error(L_));
    for (size_t k = i; k < j; k++) {
      const live_page &lp = buf[k - i];
      props::PageObs &p = out.pages[k];
      p.present = lp.present;
      if (!p.present) continue;
      p.zero = lp.zero;
      p.anon = lp.anon;
      p.file = lp.file;
      p.exclusive = lp.exclusive;
      p.mapcount = lp.mapcount;
      frames[k] = lp.pfn;
    }
    i = j;
  }
  frames_.assign(out.pages, frames);
}

void LiveKernel::observe_vmas(const std::vector<uint16_t> &procs, StepObs &out) {
  out.vmas.clear();
  std::vector<live_vma> buf(4 * LIVE_MAX_PAGES);
  for (uint16_t proc : procs) {
    const int n = live_vmas(L_, pl_->proc_slot.at(proc), LIVE_BASE, LIVE_BASE + model::TASK_SIZE_VPN * LIVE_PAGE,
                            buf.data(), int(buf.size()));
    if (n < 0) throw RunError(live_error(L_));
    for (int i = 0; i < n; i++) {
      props::VmaObs v;
      v.proc = proc;
      v.start = (buf[i].start - LIVE_BASE) / LIVE_PAGE;
      v.end = (buf[i].end - LIVE_BASE) / LIVE_PAGE;
      v.read = buf[i].read;
      v.write = buf[i].write;
      v.exec = buf[i].exec;
      v.shared = buf[i].shared;
      out.vmas.push_back(v);
    }
  }
}

namespace {

DiffResult diff_once(const trace::Trace &t, const model::variant_switches &sw, int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  auto secs = [](Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
  DiffResult res;
  auto t0 = Clock::now();
  props::ModelOracle model(sw);
  auto t1 = Clock::now();
  res.model_seconds += secs(t0, t1);
  LiveKernel live(timeout_ms);
  res.live_seconds += secs(t1, Clock::now());
  props::Visibility vis;
  props::Creators creators;
  for (size_t i = 0; i < t.ops.size(); i++) {
    const Op &op = t.ops[i];
    const Op *creator = creators.of(op);
    StepObs m, l;
    creators.apply(op);
    vis.apply(op);
    const auto sites = vis.sites();
    auto a = Clock::now();
    m.result = model.run(op, i, creator);
    model.observe(sites, m);
    model.observe_vmas(vis.procs(), m);
    auto b = Clock::now();
    l.result = live.run(op, i, creator);
    live.observe(sites, l);
    live.observe_vmas(vis.procs(), l);
    auto c = Clock::now();
    res.model_seconds += secs(a, b);
    res.live_seconds += secs(b, c);
    res.ops++;
    auto d = props::compare(m, l);
    if (std::string why = props::live_expectation_unmet(op, creator, l.result); !why.empty())
      d.push_back("expectation: " + why);
    if (!d.empty()) {
      res.mismatch = true;
      res.step = i;
      res.model = std::move(m);
      res.live = std::move(l);
      res.differences = std::move(d);
      return res;
    }
  }
  return res;
}

}  // namespace

DiffResult diff_trace(const trace::Trace &t, const model::variant_switches &sw, int timeout_ms) {
  DiffResult first = diff_once(t, sw, timeout_ms);
  if (!first.mismatch) return first;
  DiffResult again = diff_once(t, sw, timeout_ms);
  if (again.mismatch && again.step == first.step && again.differences == first.differences) return first;
  first.mismatch = false;
  first.flaky = true;
  return first;
}

std::string mismatch_report(const trace::Trace &t, const DiffResult &r) {
  std::string s = "model and live kernel disagree at step " + std::to_string(r.step + 1) + ": " +
                  trace::print_op(t.ops[r.step]) + "\n\ntrace up to the step:\n";
  for (size_t i = 0; i <= r.step && i < t.ops.size(); i++) {
    char num[32];
    std::snprintf(num, sizeof num, "%c%3zu  ", i == r.step ? '>' : ' ', i + 1);
    s += num + trace::print_op(t.ops[i]) + "\n";
  }
  s += "\ndifferences:\n";
  for (const auto &d : r.differences) s += "  " + d + "\n";
  s += "\nobservations after the step (<< marks a difference):\n" + props::side_by_side(r.model, r.live);
  return s;
}

}  // namespace gupcheck::live

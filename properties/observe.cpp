// SPDX-License-Identifier: GPL-2.0-only
#include "properties/observe.h"

#include <cerrno>
#include <unordered_map>

#include "model/flags.h"
#include "trace/text.h"

namespace gupcheck::props {

using namespace gupcheck::model;
using trace::Op;
using trace::OpKind;

std::string PageObs::describe() const {
  if (!present) return "-";
  std::string s = "present";
  if (zero) s += " zero";
  if (anon) s += " anon";
  if (file) s += " file";
  if (exclusive) s += " excl";
  s += " mc=" + std::to_string(mapcount) + " frame#" + std::to_string(frame);
  return s;
}

std::string StepResult::describe() const {
  if (signal) return signal == SIGSEGV_NR ? "SIGSEGV" : signal == SIGBUS_NR ? "SIGBUS" : "signal " + std::to_string(signal);
  std::string s = ret < 0 ? std::string("-") + errno_name(ret) : std::to_string(ret);
  if (has_value) s += " value=" + hex(value);
  return s;
}

std::string site_name(const Site &s) {
  return trace::handle_name('p', s.proc) + " " + trace::handle_name('m', s.map) + "+" + std::to_string(s.page);
}

std::string VmaObs::describe() const {
  return trace::handle_name('p', proc) + " [" + hex(start) + ", " + hex(end) + ") " + (read ? "r" : "-") +
         (write ? "w" : "-") + (exec ? "x" : "-") + (shared ? "s" : "p");
}

void FrameClasses::assign(std::vector<PageObs> &pages, const std::vector<uint64_t> &frames) {
  std::map<uint64_t, int> seen;
  for (size_t i = 0; i < pages.size(); i++) {
    if (!pages[i].present) {
      pages[i].frame = -1;
      continue;
    }
    auto it = seen.find(frames[i]);
    if (it == seen.end()) {
      auto old = cls_.find(frames[i]);
      it = seen.emplace(frames[i], old != cls_.end() ? old->second : next_++).first;
    }
    pages[i].frame = it->second;
  }
  cls_ = std::move(seen);
}

void Visibility::apply(const Op &op) {
  switch (op.kind) {
    case OpKind::Mmap:
      npages_[op.result] = op.npages;
      procs_[op.proc].insert(op.result);
      break;
    case OpKind::Fork: procs_[op.result] = procs_[op.proc]; break;
    case OpKind::Exit: procs_.erase(op.proc); break;
    default: break;
  }
}

std::vector<uint16_t> Visibility::procs() const {
  std::vector<uint16_t> v;
  for (const auto &[proc, maps] : procs_) v.push_back(proc);
  return v;
}

std::vector<Site> Visibility::sites() const {
  std::vector<Site> s;
  for (const auto &[proc, maps] : procs_)
    for (uint16_t m : maps) {
      auto n = npages_.find(m);
      for (uint16_t i = 0; n != npages_.end() && i < n->second; i++) s.push_back({proc, m, i});
    }
  return s;
}

long live_ret_in_pages(LiveMech m, long ret) {
  switch (m) {
    case LiveMech::DirectRead:
    case LiveMech::DirectWrite:
    case LiveMech::Vmsplice:
    case LiveMech::PvmRead:
    case LiveMech::PvmWrite:
    case LiveMech::MemRead:
    case LiveMech::MemWrite:
      if (ret > 0 && ret % 4096 == 0) return ret / 4096;
      return ret;
    default: return ret;
  }
}

StepResult ModelOracle::run(const Op &op, size_t step, const Op *creator) {
  StepResult r;
  const LiveMech mech = live_mechanism(op, creator);
  if (op.kind == OpKind::Put || op.kind == OpKind::Unpin) {
    if (mech == LiveMech::Nop || released_.count(op.gup)) return r;  // already released
  }
  const int pid = op.has_process() ? w_.pid_of(op.proc) : -1;
  const Outcome &out = w_.step(op);
  r.ret = out.ret;
  r.signal = out.signal;
  r.has_value = out.has_value;
  r.value = out.value;
  // The live mechanism registers the page with userfaultfd first, and
  // UFFDIO_REGISTER of a range without a VMA fails with -EINVAL
  // (fs/userfaultfd.c userfaultfd_register()) before UFFDIO_ZEROPAGE could
  // say -ENOENT.
  if (op.kind == OpKind::UffdZeropage && r.ret == -ENOENT) r.ret = -EINVAL;
  if (op.kind == OpKind::Exit) {
    // do_exit(): exit_mm() and then exit_files(): the process's pipes and
    // io_uring rings go, and with them the references and pins they held.
    for (const GupCall &g : w_.gup_calls())
      if (g.exists && g.pid == pid && g.holds() && !released_.count(g.op.result)) release(g.op.result, g.pin);
  }
  if (op.kind != OpKind::Gup) return r;

  // A GUP call through its live mechanism.
  const GupCall &g = w_.gup_calls()[op.result];
  const long m = g.ret, n = op.npages;
  switch (mech) {
    case LiveMech::UringPin:
      // io_uring/rsrc.c io_pin_pages(): a short pin is undone and fails with -EFAULT.
      r.ret = m == n ? 0 : m < 0 ? m : -EFAULT;
      break;
    case LiveMech::PvmRead:
    case LiveMech::PvmWrite:
      // mm/process_vm_access.c process_vm_rw_pages(): nothing pinned is -EFAULT.
      r.ret = m > 0 ? m : -EFAULT;
      break;
    case LiveMech::MemRead:
    case LiveMech::MemWrite:
      // fs/proc/base.c mem_rw(): nothing copied is -EIO.
      r.ret = m > 0 ? m : -EIO;
      break;
    case LiveMech::DirectRead:
    case LiveMech::DirectWrite:
      // fs/iomap/direct-io.c: a bio that cannot get all its pages ends the
      // I/O with -EFAULT (iomap_dio_set_error()), even after a first bio.
      r.ret = m == n ? m : m < 0 ? m : -EFAULT;
      break;
    default: r.ret = m > 0 ? m : m < 0 ? m : -EFAULT; break;
  }
  const LiveMechInfo &info = live_mech_info(mech);
  if (info.writes && m > 0) {
    const uint64_t v = mech == LiveMech::DirectRead ? 0 : mech_value(step);
    w_.device_store(g, v);
  }
  const bool drop_now = !info.holds || (mech == LiveMech::UringPin && m != n);
  if (drop_now) release(op.result, g.pin);
  return r;
}

void ModelOracle::release(uint16_t gup, bool pin) {
  Op rel;
  rel.kind = pin ? OpKind::Unpin : OpKind::Put;
  rel.gup = gup;
  w_.step(rel);
  released_.insert(gup);
}

void ModelOracle::observe_vmas(const std::vector<uint16_t> &procs, StepObs &out) const {
  const kernel_state &k = w_.kernel();
  out.vmas.clear();
  for (uint16_t proc : procs) {
    const int pid = w_.pid_of(proc);
    if (pid < 0 || !k.tasks[pid].alive) continue;
    for (const vm_area_struct &v : k.tasks[pid].mm.vmas) {
      VmaObs o;
      o.proc = proc;
      o.start = v.vm_start;
      o.end = v.vm_end;
      o.read = v.vm_flags & VM_READ;
      o.write = v.vm_flags & VM_WRITE;
      o.exec = v.vm_flags & VM_EXEC;
      o.shared = v.vm_flags & VM_MAYSHARE;  // show_map_vma(): 's' for VM_MAYSHARE
      out.vmas.push_back(o);
    }
  }
}

void ModelOracle::observe(const std::vector<Site> &sites, StepObs &out) {
  const kernel_state &k = w_.kernel();
  out.sites = sites;
  out.pages.assign(sites.size(), PageObs{});
  std::vector<uint64_t> frames(sites.size(), 0);
  for (size_t i = 0; i < sites.size(); i++) {
    const Site &s = sites[i];
    const int pid = w_.pid_of(s.proc);
    if (pid < 0 || !k.tasks[pid].alive) continue;
    const uint64_t vpn = w_.address(s.map, s.page);
    const pte_t *pte = pte_offset(k.tasks[pid].mm, vpn);
    if (!pte || !pte->present) continue;
    PageObs &p = out.pages[i];
    p.present = true;
    frames[i] = pte->pfn;
    if (is_zero_pfn(pte->pfn)) {
      p.zero = true;  // kpagecount 0, no KPF_ANON, no PM_FILE, no PM_MMAP_EXCLUSIVE
      continue;
    }
    if (!pfn_valid(k, pte->pfn)) continue;
    const folio &f = k.folios[pte->pfn];
    p.anon = f.anon;
    p.file = !f.anon;
    p.mapcount = f.mapcount;
    p.exclusive = f.mapcount == 1;  // pagemap: precise page mapcount == 1
  }
  frames_.assign(out.pages, frames);
}

std::string live_expectation_unmet(const Op &op, const Op *creator, const StepResult &r) {
  if (op.expect == trace::ExpectKind::None) return "";
  long ret = r.ret;
  if (live_mechanism(op, creator) == LiveMech::UringPin && ret == 0) ret = long(op.npages);
  bool ok = false;
  std::string got = r.describe();
  switch (op.expect) {
    case trace::ExpectKind::None: return "";
    case trace::ExpectKind::Signal: ok = r.signal == op.expect_value; break;
    case trace::ExpectKind::Value:
      ok = !r.signal && r.has_value && r.value == uint64_t(op.expect_value);
      if (r.has_value && !r.signal) got = hex(r.value);
      break;
    case trace::ExpectKind::Ret:
      ok = !r.signal && ret == op.expect_value;
      if (!r.signal) got = ret < 0 ? std::string("-") + errno_name(ret) : std::to_string(ret);
      break;
  }
  if (ok) return "";
  return "'" + trace::print_op_only(op) + "' expected " + trace::expect_to_string(op) + ", the live kernel gave " + got;
}

std::vector<std::string> compare(const StepObs &model, const StepObs &live) {
  std::vector<std::string> d;
  if (!(model.result == live.result))
    d.push_back("result: model " + model.result.describe() + ", live " + live.result.describe());
  const size_t n = std::max(model.sites.size(), live.sites.size());
  for (size_t i = 0; i < n; i++) {
    if (i >= model.sites.size() || i >= live.sites.size() || !(model.sites[i] == live.sites[i])) {
      d.push_back("sites differ at index " + std::to_string(i));
      break;
    }
    if (!(model.pages[i] == live.pages[i]))
      d.push_back(site_name(model.sites[i]) + ": model " + model.pages[i].describe() + ", live " +
                  live.pages[i].describe());
  }
  if (model.vmas != live.vmas) {
    std::string m, l;
    for (const auto &v : model.vmas) m += (m.empty() ? "" : ", ") + v.describe();
    for (const auto &v : live.vmas) l += (l.empty() ? "" : ", ") + v.describe();
    d.push_back("VMAs (/proc/PID/maps): model " + m + "; live " + l);
  }
  return d;
}

std::string side_by_side(const StepObs &model, const StepObs &live) {
  auto pad = [](std::string s, size_t w) {
    if (s.size() < w) s += std::string(w - s.size(), ' ');
    return s;
  };
  std::string out;
  out += pad("", 12) + pad("model", 40) + "live kernel\n";
  out += pad("result", 12) + pad(model.result.describe(), 40) + live.result.describe() +
         (model.result == live.result ? "" : "   <<") + "\n";
  for (size_t i = 0; i < model.sites.size() && i < live.sites.size(); i++) {
    out += pad(site_name(model.sites[i]), 12) + pad(model.pages[i].describe(), 40) + live.pages[i].describe() +
           (model.pages[i] == live.pages[i] ? "" : "   <<") + "\n";
  }
  for (size_t i = 0; i < std::max(model.vmas.size(), live.vmas.size()); i++) {
    const std::string m = i < model.vmas.size() ? model.vmas[i].describe() : "-";
    const std::string l = i < live.vmas.size() ? live.vmas[i].describe() : "-";
    out += pad("vma", 12) + pad(m, 40) + l + (m == l ? "" : "   <<") + "\n";
  }
  return out;
}

}  // namespace gupcheck::props

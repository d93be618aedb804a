// SPDX-License-Identifier: GPL-2.0-only
//
// The executor (properties/world.h), one of its areas:
// GUP calls (starting, resuming and waiting for a call, and
// collapses, which are calls so that they can be in flight; populate; put and
// unpin) and the facts the executor records about each call as it runs.
#include <algorithm>

#include "properties/translate.h"
#include "properties/world.h"

namespace gupcheck::props {

using namespace gupcheck::model;
using trace::Op;
using trace::OpKind;

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
    } else switch (const uint32_t flags = model_gup_flags(op); op.api) {
      case trace::GupApi::Get:
        f->task = get_user_pages_steps(k_, pid, g.start, op.npages, flags, &f->pages);
        break;
      case trace::GupApi::Pin:
        f->task = pin_user_pages_steps(k_, pid, g.start, op.npages, flags, &f->pages);
        break;
      case trace::GupApi::GetFast:
        f->task = get_user_pages_fast_steps(k_, pid, g.start, op.npages, flags, &f->pages, &f->nr_fast);
        break;
      case trace::GupApi::PinFast:
        f->task = pin_user_pages_fast_steps(k_, pid, g.start, op.npages, flags, &f->pages, &f->nr_fast);
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
  // D6's facts: what each page GUP-fast kept during this run of the call is
  // mapped as now, when nothing else ran since its recheck. (A later unmap of
  // a page already taken is legitimate: the pin keeps it.)
  const bool fast_api = op.api == trace::GupApi::GetFast || op.api == trace::GupApi::PinFast;
  if (fast_api) {
    const size_t hi = std::min(g.pages.size(), stopped && f->task.point().fast ? g.pages.size() : size_t(g.nr_fast));
    g.fast_seen = std::min(g.fast_seen, g.pages.size());
    for (size_t i = g.fast_seen; i < hi; i++) {
      // mapped_pfn(): the PTE's page, or the page of a PMD leaf (a THP).
      const pfn_t now = k_.tasks[pid].alive ? mapped_pfn(k_.tasks[pid].mm, g.start + i) : 0;
      g.fast_checks.push_back({i, g.pages[i], now, g.start + i});
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

void World::step_gup(const Op &op, int pid) {
  Outcome &out = out_;
  switch (op.kind) {
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
                                        model_gup_flags(op) | FOLL_TOUCH);
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
    default:
      throw model_bug("World::step_gup(): not one of its operations");
  }
}

}  // namespace gupcheck::props

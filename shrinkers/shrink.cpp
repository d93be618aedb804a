// SPDX-License-Identifier: GPL-2.0-only
#include "shrinkers/shrink.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace gupcheck::shrink {

using trace::Op;
using trace::OpKind;
using trace::Trace;

namespace {

// Handle namespaces: what an op creates and what it uses.
enum Space { kProc = 0, kMap = 1, kGup = 2 };

int created_space(const Op &op) {
  switch (op.result_kind()) {
    case Op::ResultKind::Mapping: return kMap;
    case Op::ResultKind::Process: return kProc;
    case Op::ResultKind::Gup: return kGup;
    default: return -1;
  }
}

}  // namespace

Trace remove_with_dependents(const Trace &t, size_t i, size_t n) {
  Trace out;
  out.variant = t.variant;
  out.notes = t.notes;
  std::unordered_set<uint32_t> gone[3];
  for (size_t j = 0; j < t.ops.size(); j++) {
    const Op &op = t.ops[j];
    bool drop = j >= i && j < i + n;
    if (!drop && op.has_process() && gone[kProc].count(op.proc)) drop = true;
    if (!drop && op.has_target() && gone[kProc].count(op.target)) drop = true;
    if (!drop && op.has_address() && gone[kMap].count(op.map)) drop = true;
    if (!drop && op.has_gup_operand() && gone[kGup].count(op.gup)) drop = true;
    if (drop) {
      int s = created_space(op);
      if (s >= 0) gone[s].insert(op.result);
      continue;
    }
    out.ops.push_back(op);
  }
  return out;
}

CandidateStream::CandidateStream(const Trace &t) : t_(t) {
  chunk_ = t_.ops.size() / 2;
  if (chunk_ == 0) phase_ = t_.ops.empty() ? Phase::Done : Phase::Edits;
  if (phase_ == Phase::Edits) plan_edits(0);
}

void CandidateStream::plan_edits(size_t i) {
  op_ = i;
  edits_.clear();
  const Op &op = t_.ops[i];
  // Changes op i only.
  auto with = [this, i](auto f) {
    edits_.push_back([i, f](const Trace &t) {
      Trace x = t;
      f(x.ops[i]);
      return x;
    });
  };
  if (op.npages > 1) {
    with([](Op &o) { o.npages = 1; });
    if (op.npages > 2) with([](Op &o) { o.npages--; });
  }
  if (op.has_address() && op.page > 0) {
    with([](Op &o) { o.page = 0; });
    if (op.page > 1) with([](Op &o) { o.page--; });
  }
  if (op.kind == OpKind::Gup || op.kind == OpKind::Populate) {
    for (uint32_t bit = 1; bit; bit <<= 1)
      if (op.gup_flags & bit) with([bit](Op &o) { o.gup_flags &= ~bit; });
  }
  if (op.kind == OpKind::Gup) {
    if (op.api == trace::GupApi::GetFast) with([](Op &o) { o.api = trace::GupApi::Get; });
    if (op.api == trace::GupApi::PinFast) with([](Op &o) { o.api = trace::GupApi::Pin; });
    if (op.in_flight) {
      // Run it at once: drop its resume/wait steps.
      edits_.push_back([i](const Trace &t) {
        Trace x;
        x.variant = t.variant;
        x.notes = t.notes;
        const uint32_t g = t.ops[i].result;
        for (size_t j = 0; j < t.ops.size(); j++) {
          Op o = t.ops[j];
          if (j == i) {
            o.in_flight = false;
            o.thread = 0;
          } else if ((o.kind == OpKind::Resume || o.kind == OpKind::Wait) && o.gup == g) {
            continue;
          }
          x.ops.push_back(o);
        }
        return x;
      });
    }
  }
  if ((op.kind == OpKind::Mmap || op.kind == OpKind::Mprotect) && op.prot != trace::Prot::RW)
    with([](Op &o) { o.prot = trace::Prot::RW; });
  if (op.has_value() && op.value > 1) with([](Op &o) { o.value = 1; });
  if (op.kind == OpKind::Mmap && op.populate) with([](Op &o) { o.populate = false; });
  // A remote access by the target itself, or through the simpler path.
  if (op.has_target() && op.target != op.proc) with([](Op &o) { o.proc = o.target; o.thread = 0; });
  if (op.kind == OpKind::Madvise && op.advice != trace::Advice::Dontneed)
    with([](Op &o) { o.advice = trace::Advice::Dontneed; });
  if (op.thread != 0 && !op.in_flight) with([](Op &o) { o.thread = 0; });
  std::reverse(edits_.begin(), edits_.end());  // next() takes them from the back
}

std::optional<Trace> CandidateStream::next() {
  const size_t n = t_.ops.size();
  Trace x;
  if (phase_ == Phase::Chunks) {
    // Chunks, largest first (delta debugging).
    x = remove_with_dependents(t_, pos_, chunk_);
    pos_ += chunk_;
    if (pos_ >= n) {
      pos_ = 0;
      chunk_ = chunk_ == 1 ? 0 : chunk_ / 2;
      if (chunk_ == 0) {
        phase_ = Phase::Edits;
        plan_edits(0);
      }
    }
  } else {
    // Simplify single operations, one edit at a time.
    while (edits_.empty() && op_ + 1 < n) plan_edits(op_ + 1);
    if (edits_.empty()) {
      phase_ = Phase::Done;
      return std::nullopt;
    }
    x = edits_.back()(t_);
    edits_.pop_back();
  }
  if (phase_ == Phase::Edits && edits_.empty() && op_ + 1 >= n) phase_ = Phase::Done;
  if (x.ops.size() <= n && trace::check_consistency(x).empty() && !(x == t_)) return x;
  return std::nullopt;
}

std::vector<Trace> candidates(const Trace &t) {
  std::vector<Trace> c;
  for (CandidateStream s(t); !s.done();)
    if (auto x = s.next()) c.push_back(std::move(*x));
  return c;
}

Trace renumber(const Trace &t) {
  std::unordered_map<uint32_t, uint16_t> m[3];
  uint16_t next[3] = {1, 0, 0};
  m[kProc][0] = 0;
  Trace out = t;
  for (Op &op : out.ops) {
    // Uses first (an op never uses what it creates), then the result.
    if (op.has_process()) {
      auto it = m[kProc].find(op.proc);
      if (it != m[kProc].end()) op.proc = it->second;
    }
    if (op.has_target()) {
      auto it = m[kProc].find(op.target);
      if (it != m[kProc].end()) op.target = it->second;
    }
    if (op.has_address()) {
      auto it = m[kMap].find(op.map);
      if (it != m[kMap].end()) op.map = it->second;
    }
    if (op.has_gup_operand()) {
      auto it = m[kGup].find(op.gup);
      if (it != m[kGup].end()) op.gup = it->second;
    }
    int s = created_space(op);
    if (s >= 0) {
      auto [it, fresh] = m[s].emplace(op.result, next[s]);
      if (fresh) next[s]++;
      op.result = it->second;
    }
  }
  return out;
}

Trace shrink(const Trace &t, const std::function<bool(const Trace &)> &still_fails,
             std::chrono::steady_clock::time_point deadline, Stats *stats, const std::atomic<bool> *stop) {
  Stats local;
  Stats &st = stats ? *stats : local;
  // Between candidates: one clock read and one load.
  auto must_stop = [&] {
    if (stop && stop->load(std::memory_order_relaxed)) return st.interrupted = true;
    if (std::chrono::steady_clock::now() >= deadline) return st.timed_out = true;
    return false;
  };
  Trace cur = t;
  bool progress = true;
  while (progress) {
    progress = false;
    CandidateStream cands(cur);
    while (!cands.done()) {
      if (must_stop()) return renumber(cur);
      std::optional<Trace> cand = cands.next();
      if (!cand) continue;
      st.tried++;
      if (still_fails(*cand)) {
        st.accepted++;
        cur = std::move(*cand);
        progress = true;
        break;
      }
    }
  }
  // The last candidate may have been cut short by the deadline or the stop.
  if (must_stop()) return renumber(cur);
  Trace r = renumber(cur);
  return still_fails(r) ? r : cur;
}

}  // namespace gupcheck::shrink

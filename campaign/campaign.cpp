// SPDX-License-Identifier: GPL-2.0-only
//
// The only translation unit of the campaign that includes rapidcheck.h.
#include "campaign/campaign.h"

#include <rapidcheck.h>

#include <chrono>
#include <filesystem>

#include "campaign/write.h"
#include "properties/annotate.h"
#include "properties/decode.h"
#include "shrinkers/shrink.h"

namespace gupcheck::campaign {

using Clock = std::chrono::steady_clock;

uint64_t case_seed(uint64_t seed, long i) {
  // splitmix64 over (seed, i)
  uint64_t z = seed + 0x9e3779b97f4a7c15ull * uint64_t(i + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

int case_size(long i, int max_size) {
  // Ramp from small to max_size over the first cases, then cycle, as
  // RapidCheck does, so short counterexamples are tried first.
  const int span = std::max(max_size, 1);
  return 1 + int(i % span);
}

namespace {

// RapidCheck scales arbitrary<uint64_t> with the size, so small sizes leave
// the top bits zero; the decoder reads choices such as the GUP API and the
// madvise advice from those bits, and `fuzz --stats` showed get, get_fast and
// pin_fast at 0.1-0.5% of steps. Fill the top 12 bits from a hash of the low
// 52: a bijection (the low bits are kept) that keeps 0 at 0 for shrinking and
// leaves the small-values-first bias of every other field alone.
uint64_t spread_top_bits(uint64_t w) {
  constexpr uint64_t kLow = (uint64_t(1) << 52) - 1;
  uint64_t h = w & kLow;
  h ^= h >> 31, h *= 0x9e3779b97f4a7c15ull, h ^= h >> 29, h *= 0xbf58476d1ce4e5b9ull, h ^= h >> 32;
  return w ^ (h & ~kLow);
}

rc::Gen<std::vector<uint64_t>> raw_gen() {
  return rc::gen::container<std::vector<uint64_t>>(rc::gen::map(rc::gen::arbitrary<uint64_t>(), spread_top_bits));
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string base_name(const props::Violation &v, uint64_t seed, bool by_case, long i) {
  return v.invariant + "-seed" + std::to_string(seed) + (by_case ? "-case" + std::to_string(i) : "");
}

void annotate(trace::Trace &t, const Config &cfg, const Finding &f) {
  t.variant = cfg.variant;
  t.notes.clear();
  t.notes.push_back("seed: " + std::to_string(cfg.seed) + " (case " + std::to_string(f.case_index) + ")");
  t.notes.push_back("violates: " + f.violation.invariant);
  t.notes.push_back("found by: gupcheck fuzz --variant " + cfg.variant + " --seed " + std::to_string(cfg.seed));
}

}  // namespace

std::vector<uint64_t> generate_raw(uint64_t cseed, int size) { return raw_gen()(rc::Random(cseed), size).value(); }

Result run(const Config &cfg) {
  Result res;
  const auto start = Clock::now();
  auto last_progress = start;
  const auto gen = raw_gen();
  const long stride = std::max(cfg.case_stride, 1L);
  for (long i = std::max(cfg.first_case, 0L);; i += stride) {
    if (cfg.max_cases >= 0 && i >= cfg.max_cases) break;
    if (cfg.case_bound && i > cfg.case_bound->load(std::memory_order_acquire)) break;
    if (cfg.time_limit > 0 && seconds_since(start) >= cfg.time_limit) break;
    if (cfg.stop && cfg.stop->load(std::memory_order_relaxed)) {
      res.interrupted = true;
      break;
    }
    const uint64_t cs = case_seed(cfg.seed, i);
    const rc::Shrinkable<std::vector<uint64_t>> sh = gen(rc::Random(cs), case_size(i, cfg.max_size));
    props::DecodeLimits lim;
    lim.disabled = props::swarm_disabled(cs);
    const trace::Trace t = props::decode_trace(sh.value(), lim);
    props::RunResult r =
        cfg.stats ? props::run_trace(t, cfg.sw, cfg.invariants, [&](const props::World &w) { cfg.stats->record_step(w); })
                  : props::run_trace(t, cfg.sw, cfg.invariants);
    if (cfg.stats) cfg.stats->end_case();
    res.cases++;
    res.ops += long(r.steps_run);
    if (cfg.on_progress && seconds_since(last_progress) >= cfg.progress_interval) {
      last_progress = Clock::now();
      cfg.on_progress({res.cases, res.ops, seconds_since(start)});
    }
    if (!r.violation.found) continue;

    // Found: tell the other parts, write the trace as generated at once, then shrink.
    if (cfg.case_bound) {
      long b = cfg.case_bound->load(std::memory_order_acquire);
      while (i < b && !cfg.case_bound->compare_exchange_weak(b, i, std::memory_order_acq_rel)) {
      }
    }
    res.elapsed = seconds_since(start);
    res.found = true;
    Finding &f = res.finding;
    f.violation = r.violation;
    f.case_index = i;
    f.case_seed = cs;
    f.time_to_find = res.elapsed;
    f.original = t;
    f.original.ops.resize(r.violation.step + 1);
    annotate(f.original, cfg, f);
    const std::string base = cfg.out_dir.empty() ? "" : cfg.out_dir + "/" + base_name(f.violation, cfg.seed, cfg.name_by_case, i);
    if (!base.empty()) {
      std::filesystem::create_directories(cfg.out_dir);
      campaign::write_file_atomic(base + ".unshrunk.trace", props::print_annotated_trace(f.original, cfg.sw));
      f.files.push_back(base + ".unshrunk.trace");
    }

    const std::string inv = f.violation.invariant;
    // A stop request (SIGINT/SIGTERM) ends shrinking too: no candidate is
    // accepted any more, and the smallest failing trace so far is written.
    auto stopping = [&] { return cfg.stop && cfg.stop->load(std::memory_order_relaxed); };
    auto fails = [&](const trace::Trace &x) {
      return !stopping() && props::violates(x, cfg.sw, cfg.invariants, inv);
    };
    const auto shrink_start = Clock::now();
    const auto deadline = shrink_start + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(std::max(cfg.shrink_time, 0.0)));
    // 1. RapidCheck's shrink tree of the raw choices, for at most a third of
    //    the budget: accept a shrink when its decoded trace still fails.
    const auto rc_deadline = shrink_start + (deadline - shrink_start) / 3;
    rc::Shrinkable<std::vector<uint64_t>> best = sh;
    trace::Trace best_trace = f.original;
    bool timed_out = false;
    for (bool progress = true; progress && !timed_out;) {
      progress = false;
      auto shrinks = best.shrinks();
      while (auto next = shrinks.next()) {
        if (Clock::now() >= rc_deadline || stopping()) {
          timed_out = true;
          break;
        }
        trace::Trace cand = props::decode_trace(next->value(), lim);
        if (cand.ops.size() > best_trace.ops.size() || !fails(cand)) continue;
        best = *next;
        best_trace = cand;
        f.rc_shrink_steps++;
        progress = true;
        break;
      }
    }
    // 2. The trace shrinkers, to a fixpoint or the deadline.
    // Cut after the failing step (best_trace fails by construction).
    const props::RunResult br = props::run_trace(best_trace, cfg.sw, cfg.invariants);
    if (br.violation.found) best_trace.ops.resize(br.violation.step + 1);
    shrink::Stats st;
    f.shrunk = shrink::shrink(best_trace, fails, deadline, &st);
    f.trace_shrink_steps = st.accepted;
    f.shrink_timed_out = timed_out || st.timed_out;
    f.shrink_seconds = seconds_since(shrink_start);
    annotate(f.shrunk, cfg, f);
    f.violation = props::run_trace(f.shrunk, cfg.sw, cfg.invariants).violation;

    if (!base.empty()) {
      campaign::write_file_atomic(base + ".trace", props::print_annotated_trace(f.shrunk, cfg.sw));
      f.files.push_back(base + ".trace");
      f.trace_file = base + ".trace";
      if (cfg.write_reports)
        for (std::string &file : cfg.write_reports(base, f, cfg)) f.files.push_back(std::move(file));
    }
    return res;
  }
  res.elapsed = seconds_since(start);
  return res;
}

}  // namespace gupcheck::campaign

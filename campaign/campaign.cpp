// SPDX-License-Identifier: GPL-2.0-only
//
// The only translation unit of the campaign that includes rapidcheck.h.
#include "campaign/campaign.h"

#include <rapidcheck.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "campaign/write.h"
#include "model/coverage.h"
#include "properties/annotate.h"
#include "properties/decode.h"
#include "properties/replay.h"
#include "shrinkers/shrink.h"
#include "trace/header.h"

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

// The raw words of a mutated case as RapidCheck would shrink a generated
// vector: remove chunks, then shrink each word toward zero.
rc::Shrinkable<std::vector<uint64_t>> raw_shrinkable(std::vector<uint64_t> v) {
  return rc::shrinkable::shrinkRecur(std::move(v), [](const std::vector<uint64_t> &x) {
    return rc::seq::concat(rc::shrink::removeChunks(x),
                           rc::shrink::eachElement(x, [](uint64_t w) { return rc::shrink::integral(w); }));
  });
}

// The corpus of a guided campaign part (see campaign.h).
class Guide {
 public:
  explicit Guide(int max_size) : max_words_(size_t(std::max(2 * max_size, 16))) {}

  struct Entry {
    std::vector<uint64_t> raw;
    uint32_t disabled = 0;  // its swarm configuration (props::DecodeLimits::disabled)
  };

  bool empty() const { return corpus_.empty(); }
  size_t size() const { return corpus_.size(); }

  // Whether case `cs` mutates (about half of the cases once the corpus has entries).
  bool mutates(uint64_t cs) const { return !corpus_.empty() && (mix(cs ^ 0x6a09e667f3bcc908ull) & 1); }

  // A mutant of corpus entries, drawn from the case seed alone.
  Entry mutate(uint64_t cs) const {
    uint64_t r = cs ^ 0xbb67ae8584caa73bull;
    auto next = [&r] { return r = mix(r + 0x9e3779b97f4a7c15ull); };
    auto below = [&next](size_t n) { return n ? size_t(next() % n) : size_t(0); };
    Entry e = corpus_[below(corpus_.size())];
    std::vector<uint64_t> &v = e.raw;
    const int rounds = 1 + int(below(4));
    for (int k = 0; k < rounds; k++) {
      switch (below(5)) {
        case 0: {  // splice: a prefix of this one, the suffix of another
          const Entry &o = corpus_[below(corpus_.size())];
          const size_t a = below(v.size() + 1), b = below(o.raw.size() + 1);
          v.resize(a);
          v.insert(v.end(), o.raw.begin() + long(b), o.raw.end());
          break;
        }
        case 1: {  // insert 1-8 words: fresh ones, or a copy of a chunk (a repeated pattern)
          const size_t at = below(v.size() + 1), n = 1 + below(8);
          std::vector<uint64_t> ins;
          if (v.size() >= n && (next() & 1)) {
            const size_t from = below(v.size() - n + 1);
            ins.assign(v.begin() + long(from), v.begin() + long(from + n));
          } else {
            for (size_t j = 0; j < n; j++) ins.push_back(next());
          }
          v.insert(v.begin() + long(at), ins.begin(), ins.end());
          break;
        }
        case 2: {  // delete a range of 1-8 words
          if (v.empty()) break;
          const size_t at = below(v.size()), n = std::min(v.size() - at, 1 + below(8));
          v.erase(v.begin() + long(at), v.begin() + long(at + n));
          break;
        }
        case 3: {  // change a word: a fresh one, a flipped bit, or a nudge
          if (v.empty()) break;
          uint64_t &w = v[below(v.size())];
          switch (below(3)) {
            case 0: w = next(); break;
            case 1: w ^= uint64_t(1) << below(64); break;
            default: w += uint64_t(below(17)) - 8; break;
          }
          break;
        }
        default:  // switch one swarm choice on or off
          e.disabled ^= uint32_t(1) << below(32);
          break;
      }
    }
    if (v.size() > max_words_) v.resize(max_words_);
    return e;
  }

  // Adds the case to the corpus when it reached new coverage: a point whose
  // count in this case falls in a power-of-two bucket no earlier case of the
  // part reached (AFL's hit-count buckets). Return: whether it was added.
  bool consider(const model::cov::Map &m, const std::vector<uint64_t> &raw, uint32_t disabled, uint64_t cs) {
    bool fresh = false;
    for (int p = 0; p < model::cov::kNumPoints; p++) {
      const uint32_t h = m.hits[p];
      if (!h) continue;
      const uint8_t bit = uint8_t(1u << std::min(7, 31 - __builtin_clz(h)));
      if (!(seen_[p] & bit)) {
        seen_[p] |= bit;
        fresh = true;
      }
    }
    if (!fresh || raw.empty()) return false;
    Entry e{raw, disabled};
    if (corpus_.size() < kMaxEntries)
      corpus_.push_back(std::move(e));
    else
      corpus_[mix(cs) % kMaxEntries] = std::move(e);
    return true;
  }

 private:
  static constexpr size_t kMaxEntries = 1024;
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t max_words_;
  std::vector<Entry> corpus_;
  std::array<uint8_t, model::cov::kNumPoints> seen_{};
};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string base_name(const props::Violation &v, uint64_t seed, bool by_case, long i) {
  return v.invariant + "-seed" + std::to_string(seed) + (by_case ? "-case" + std::to_string(i) : "");
}

// The header of a counterexample file: everything its verdict depends on
// (trace/header.h). `f.violation` is the verdict of `t` under
// props::only(its invariant), the selection the header names.
void annotate(trace::Trace &t, const Config &cfg, const Finding &f, const props::InvariantSet &target) {
  t.variant = cfg.variant;
  t.notes.clear();
  t.notes.push_back("tool: " + trace::version_line());
  t.notes.push_back("seed: " + std::to_string(cfg.seed) + " (case " + std::to_string(f.case_index) +
                    (f.mutated ? ", mutated from the guided corpus" : "") + ")");
  t.notes.push_back("invariants: " + target.names());
  t.notes.push_back("max size: " + std::to_string(cfg.max_size));
  t.notes.push_back("violates: " + f.violation.invariant + " at step " + std::to_string(f.violation.step + 1));
  t.notes.push_back("found by: " + found_by_command(cfg, f.case_index));
}

}  // namespace

std::string found_by_command(const Config &cfg, long case_index) {
  std::string c = "gupcheck fuzz --variant " + cfg.variant + " --seed " + std::to_string(cfg.seed) + " --max-size " +
                  std::to_string(cfg.max_size);
  const std::string sel = cfg.invariants.names();
  if (sel != "all") c += (cfg.invariants.is_witness() ? " --witness " : " --invariants ") + sel;
  if (cfg.guide != Config::kGuideDefault) c += cfg.guide ? " --guide on" : " --guide off";
  c += " --cases " + std::to_string(case_index + 1);
  if (cfg.shard_count > 1) c += " --shard " + std::to_string(cfg.shard) + "/" + std::to_string(cfg.shard_count);
  // A guided part's corpus depends on the cases it ran: the same parts find it again.
  if (cfg.guide && cfg.jobs > 1) c += " --jobs " + std::to_string(cfg.jobs);
  return c;
}

std::vector<uint64_t> generate_raw(uint64_t cseed, int size) { return raw_gen()(rc::Random(cseed), size).value(); }

Result run(const Config &cfg) {
  Result res;
  const auto start = Clock::now();
  auto last_progress = start;
  const auto gen = raw_gen();
  Guide guide(cfg.max_size);
  model::cov::Map covmap;
  res.corpus_size = 0;
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
    props::DecodeLimits lim;
    const bool mutated = guide.mutates(cs);
    rc::Shrinkable<std::vector<uint64_t>> sh = rc::shrinkable::just(std::vector<uint64_t>{});
    if (mutated) {
      Guide::Entry e = guide.mutate(cs);
      lim.disabled = e.disabled;
      sh = raw_shrinkable(std::move(e.raw));
      res.mutated_cases++;
    } else {
      sh = gen(rc::Random(cs), case_size(i, cfg.max_size));
      lim.disabled = props::swarm_disabled(cs);
    }
    const trace::Trace t = props::decode_trace(sh.value(), lim);
    covmap.clear();
    props::RunResult r;
    {
      model::cov::Scope scope(&covmap);
      r = cfg.stats ? props::run_trace(t, cfg.sw, cfg.invariants, [&](const props::World &w) { cfg.stats->record_step(w); })
                    : props::run_trace(t, cfg.sw, cfg.invariants);
    }
    res.branches.add_case(covmap);
    if (cfg.stats) {
      cfg.stats->branches.add_case(covmap);
      cfg.stats->end_case();
    }
    if (cfg.guide) guide.consider(covmap, sh.value(), lim.disabled, cs);
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
    f.mutated = mutated;
    f.time_to_find = res.elapsed;
    f.original = t;
    f.original.ops.resize(r.violation.step + 1);
    // Judged from here on by the violated invariant alone (props::violates()):
    // the shrunk trace is a counterexample for it, whatever else it breaks.
    const props::InvariantSet target = props::only(f.violation.invariant, cfg.invariants);
    annotate(f.original, cfg, f, target);
    const std::string base = cfg.out_dir.empty() ? "" : cfg.out_dir + "/" + base_name(f.violation, cfg.seed, cfg.name_by_case, i);
    // A file that cannot be written does not lose the finding: it is kept in
    // memory, shrunk and reported with the error (Finding::write_errors).
    auto save = [&f](const std::string &file, const std::string &text) {
      try {
        campaign::write_file_atomic(file, text);
        f.files.push_back(file);
        return true;
      } catch (const std::exception &e) {
        f.write_errors.push_back(e.what());
        return false;
      }
    };
    if (!base.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(cfg.out_dir, ec);
      if (ec) f.write_errors.push_back("cannot create " + cfg.out_dir + ": " + ec.message());
      save(base + ".unshrunk.trace", props::print_annotated_trace(f.original, cfg.sw));
    }

    const std::string inv = f.violation.invariant;
    // A stop request (SIGINT/SIGTERM) ends shrinking too: no candidate is
    // accepted any more, and the smallest failing trace so far is written.
    // A worker of a parallel campaign finishes shrinking instead (stop_ends_shrinking).
    auto stopping = [&] {
      return cfg.stop_ends_shrinking && cfg.stop && cfg.stop->load(std::memory_order_relaxed);
    };
    const auto shrink_start = Clock::now();
    const auto deadline = shrink_start + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(std::max(cfg.shrink_time, 0.0)));
    // The deadline and a stop request also cut short the replay of one long candidate.
    auto give_up = [&] { return stopping() || Clock::now() >= deadline; };
    auto fails = [&](const trace::Trace &x) {
      return !stopping() && props::violates(x, cfg.sw, cfg.invariants, inv, give_up);
    };
    // 1. RapidCheck's shrink tree of the raw choices, for at most a third of
    //    the budget: accept a shrink when its decoded trace still fails.
    const auto rc_deadline = shrink_start + (deadline - shrink_start) / 3;
    rc::Shrinkable<std::vector<uint64_t>> best = sh;
    trace::Trace best_trace = f.original;
    bool timed_out = false;
    for (bool progress = true; progress && !timed_out && !f.shrink_interrupted;) {
      progress = false;
      auto shrinks = best.shrinks();
      while (auto next = shrinks.next()) {
        if (stopping()) {
          f.shrink_interrupted = true;
          break;
        }
        if (Clock::now() >= rc_deadline) {
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
    const props::RunResult br = props::run_trace(best_trace, cfg.sw, target);
    if (br.violation.found) best_trace.ops.resize(br.violation.step + 1);
    shrink::Stats st;
    f.shrunk = shrink::shrink(best_trace, fails, deadline, &st, cfg.stop_ends_shrinking ? cfg.stop : nullptr);
    f.trace_shrink_steps = st.accepted;
    f.shrink_interrupted = f.shrink_interrupted || st.interrupted || stopping();
    f.shrink_timed_out = !f.shrink_interrupted && (timed_out || st.timed_out);
    f.shrink_seconds = seconds_since(shrink_start);
    f.violation = props::run_trace(f.shrunk, cfg.sw, target).violation;
    annotate(f.shrunk, cfg, f, target);

    if (!base.empty()) {
      if (save(base + ".trace", props::print_annotated_trace(f.shrunk, cfg.sw))) f.trace_file = base + ".trace";
      if (cfg.write_reports) {
        try {
          props::ReplayRecord record = props::replay_for_report(f.shrunk, cfg.variant, cfg.sw, props::only(f.violation.invariant, cfg.invariants));
          record.has_seed = true;
          record.seed = cfg.seed;
          record.replay_command = props::replay_command_for(base + ".trace", cfg.variant);
          for (std::string &file : cfg.write_reports(base, record)) f.files.push_back(std::move(file));
        } catch (const std::exception &e) {
          f.write_errors.push_back(e.what());
        }
      }
    }
    res.corpus_size = long(guide.size());
    return res;
  }
  res.elapsed = seconds_since(start);
  res.corpus_size = long(guide.size());
  return res;
}

}  // namespace gupcheck::campaign

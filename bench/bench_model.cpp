// SPDX-License-Identifier: GPL-2.0-only
//
// Benchmark: checked model operations per second.
//   1. model only: random traces decoded from a fixed PRNG (no RapidCheck),
//      with TypeOK alone (the model step and its well-formedness check),
//      every invariant with --check full, and every invariant incremental
//      (--check incremental, the default), the three interleaved in rounds
//      of the same batches so that a change in the machine's load hits
//      them alike; the ratios are printed;
//   3. a RapidCheck campaign on mainline (generation + decode + model +
//      invariants), incremental and full;
//   4. the cost of each invariant: one fixed batch of traces run with TypeOK
//      alone and with TypeOK plus that invariant; the difference per checked
//      operation, the five most expensive printed (all with --all). An
//      invariant that needs the shared census walk (properties/world.h) pays
//      for the walk here, which the full set pays once.
// Usage: gupcheck_bench [SECONDS_PER_PART] [--all] [--no-per-invariant] [--only typeok|full|incremental]
//        (default 5 s; --only: that selection alone, e.g. under perf)
#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "campaign/campaign.h"
#include "properties/decode.h"
#include "properties/invariants.h"

using namespace gupcheck;
using Clock = std::chrono::steady_clock;

// Ops/s of each selection over the same batches: `seconds` of work per
// selection, in rounds of one batch each, run one after the other.
static std::vector<double> parts(double seconds, const std::vector<props::InvariantSet> &sets) {
  std::mt19937_64 rng(42);
  std::vector<long> ops(sets.size(), 0);
  std::vector<double> spent(sets.size(), 0);
  std::vector<uint64_t> raw;
  while (*std::min_element(spent.begin(), spent.end()) < seconds) {
    // Decode outside the timed region: this part measures the model and checks.
    std::vector<trace::Trace> batch;
    for (int i = 0; i < 200; i++) {
      raw.resize(1 + rng() % 100);
      for (auto &x : raw) x = rng();
      batch.push_back(props::decode_trace(raw));
    }
    for (size_t k = 0; k < sets.size(); k++) {
      auto t0 = Clock::now();
      for (const auto &t : batch) ops[k] += long(props::run_trace(t, {}, sets[k]).steps_run);
      spent[k] += std::chrono::duration<double>(Clock::now() - t0).count();
    }
  }
  std::vector<double> r;
  for (size_t k = 0; k < sets.size(); k++) r.push_back(double(ops[k]) / spent[k]);
  return r;
}

// Seconds to run `batch` under `inv`, best of three (less noise from other load).
static double time_batch(const std::vector<trace::Trace> &batch, const props::InvariantSet &inv, long *ops) {
  double best = 1e9;
  for (int rep = 0; rep < 4; rep++) {
    long n = 0;
    auto t0 = Clock::now();
    for (const auto &t : batch) n += long(props::run_trace(t, {}, inv).steps_run);
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
    *ops = n;
  }
  return best;
}

static void per_invariant(bool all) {
  std::mt19937_64 rng(7);
  std::vector<trace::Trace> batch;
  std::vector<uint64_t> raw;
  for (int i = 0; i < 1500; i++) {
    raw.resize(1 + rng() % 100);
    for (auto &x : raw) x = rng();
    batch.push_back(props::decode_trace(raw));
  }
  props::InvariantSet base;
  base.select({"TypeOK"});
  base.set_mode(props::CheckMode::Full);
  long ops = 0;
  const double t_base = time_batch(batch, base, &ops);
  struct Row {
    std::string name, id;
    double ns;
  };
  std::vector<Row> rows;
  for (const auto &inv : props::all_invariants()) {
    if (std::string(inv.name) == "TypeOK") continue;
    props::InvariantSet one;
    one.set_mode(props::CheckMode::Full);
    if (!one.select({"TypeOK", inv.name}).empty()) continue;
    long n = 0;
    // The baseline is re-measured beside each invariant, so drift in the
    // machine's speed (other load, frequency) cancels out.
    const double t = time_batch(batch, one, &n), t0 = time_batch(batch, base, &n);
    rows.push_back({inv.name, inv.id, (t - std::min(t0, t_base)) * 1e9 / double(ops)});
  }
  std::sort(rows.begin(), rows.end(), [](const Row &a, const Row &b) { return a.ns > b.ns; });
  std::printf("cost per invariant over %ld checked ops (model + TypeOK: %.0f ns/op):\n", ops, t_base * 1e9 / double(ops));
  for (size_t i = 0; i < rows.size() && (all || i < 5); i++)
    std::printf("  %-6s %-32s %7.1f ns/op\n", rows[i].id.c_str(), rows[i].name.c_str(), rows[i].ns);
}

int main(int argc, char **argv) {
  double secs = 5.0;
  bool all = false, per = true;
  std::string only;  // --only typeok|full|incremental: that part alone (for a profiler)
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--all") == 0) all = true;
    else if (std::strcmp(argv[i], "--no-per-invariant") == 0) per = false;
    else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
    else secs = std::atof(argv[i]);
  }
  if (!(secs > 0)) {
    std::fprintf(stderr, "usage: gupcheck_bench [SECONDS_PER_PART] [--all] [--no-per-invariant]\n");
    return 2;
  }
  props::InvariantSet typeok, full, incr;
  typeok.select({"TypeOK"});  // TypeOK alone (always run)
  typeok.set_mode(props::CheckMode::Full);
  full.set_mode(props::CheckMode::Full);
  incr.set_mode(props::CheckMode::Incremental);
  if (!only.empty()) {
    const props::InvariantSet &s = only == "typeok" ? typeok : only == "full" ? full : incr;
    std::printf("%s: %.0f ops/s\n", only.c_str(), parts(secs, {s})[0]);
    return 0;
  }
  const std::vector<double> r = parts(secs, {typeok, full, incr});
  std::printf("model + TypeOK only (--check full):              %.0f ops/s\n", r[0]);
  std::printf("model + all %zu invariants, --check full:         %.0f ops/s\n", props::all_invariants().size(), r[1]);
  std::printf("model + all %zu invariants, --check incremental:  %.0f ops/s\n", props::all_invariants().size(), r[2]);
  std::printf("ratios: incremental/full %.2f, incremental/TypeOK-only %.2f, full/TypeOK-only %.2f\n", r[2] / r[1],
              r[2] / r[0], r[1] / r[0]);
  for (const props::CheckMode m : {props::CheckMode::Incremental, props::CheckMode::Full}) {
    campaign::Config cfg;
    cfg.seed = 1;
    cfg.time_limit = secs;
    cfg.invariants.set_mode(m);
    campaign::Result c = campaign::run(cfg);
    std::printf("RapidCheck campaign (mainline, seed 1, --check %s): %.0f ops/s (%ld cases, %ld ops, found=%d)\n",
                props::check_mode_name(m), c.ops / c.elapsed, c.cases, c.ops, int(c.found));
  }
  if (per) per_invariant(all);
  return 0;
}

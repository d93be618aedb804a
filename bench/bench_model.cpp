// SPDX-License-Identifier: GPL-2.0-only
//
// Benchmark: checked model operations per second.
//   1. model only: random traces decoded from a fixed PRNG (no RapidCheck),
//      every invariant checked after every step;
//   2. the same without invariants (the model step alone);
//   3. a RapidCheck campaign on mainline (generation + decode + model + invariants).
// Usage: gupcheck_bench [SECONDS_PER_PART] (default 5)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "properties/campaign.h"
#include "properties/decode.h"
#include "properties/invariants.h"

using namespace gupcheck;
using Clock = std::chrono::steady_clock;

static double part(double seconds, bool check) {
  std::mt19937_64 rng(42);
  props::InvariantSet all;
  props::InvariantSet none;
  none.select({"TypeOK"});  // TypeOK alone (always run)
  long ops = 0;
  double spent = 0;
  std::vector<uint64_t> raw;
  while (spent < seconds) {
    // Decode outside the timed region: this part measures the model and checks.
    std::vector<trace::Trace> batch;
    for (int i = 0; i < 200; i++) {
      raw.resize(1 + rng() % 100);
      for (auto &x : raw) x = rng();
      batch.push_back(props::decode_trace(raw));
    }
    auto t0 = Clock::now();
    for (const auto &t : batch) ops += long(props::run_trace(t, {}, check ? all : none).steps_run);
    spent += std::chrono::duration<double>(Clock::now() - t0).count();
  }
  return ops / spent;
}

int main(int argc, char **argv) {
  const double secs = argc > 1 ? std::atof(argv[1]) : 5.0;
  std::printf("model + all %zu invariants after every step: %.0f ops/s\n", props::InvariantSet().selected().size() + 1,
              part(secs, true));
  std::printf("model + TypeOK only:                        %.0f ops/s\n", part(secs, false));
  campaign::Config cfg;
  cfg.seed = 1;
  cfg.time_limit = secs;
  campaign::Result r = campaign::run(cfg);
  std::printf("RapidCheck campaign (mainline, seed 1):     %.0f ops/s (%ld cases, %ld ops, found=%d)\n",
              r.ops / r.elapsed, r.cases, r.ops, int(r.found));
  return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
//
// Campaigns over several worker processes and several machines.
//
// The cases of a campaign are numbered 0, 1, 2, ... and case i is the same
// case wherever it runs (its seed and size depend on the campaign seed and i
// alone: campaign::case_seed(), campaign::case_size()). `--shard K/N` takes
// the indices i with i % N == K-1; within a shard, worker w of J takes those
// with (i / N) % J == w. So the shards partition the campaign, the workers
// partition their shard, and with a case budget (`--cases C`: indices below
// C) the set of cases run does not depend on J or on how the shards are
// scheduled. A time budget ends each worker on its own clock.
//
// The first failure: a worker that finds a failure at case i lowers a bound
// shared by the workers of its shard (shared memory); no worker starts a
// case above it, but every case below it still runs. So the lowest failing
// case of a shard, its trace and its shrunk trace (shrinking is
// deterministic unless its time cap is reached), are the same whatever the
// number of jobs. Other failures found on the way are kept too (nothing
// found is lost), deduplicated by invariant and shrunk trace.
//
// Workers are forked processes. Each writes its counterexample files itself
// the moment it finds one, and sends its result to the parent through a
// pipe; a worker that crashes loses only the case it was running, and the
// summary names it. SIGINT/SIGTERM: the parent passes SIGTERM on, every
// worker ends after its current case (a worker already shrinking finishes
// shrinking, its unshrunk trace already on disk), and the summary is written.
#pragma once

#include <atomic>
#include <functional>

#include "campaign/campaign.h"
#include "campaign/summary.h"

namespace gupcheck::parallel {

struct Config {
  campaign::Config base;  // seed, variant, budgets, out_dir, invariants, stop
  int jobs = 1;
  int shard = 1, shard_count = 1;  // --shard K/N, K in 1..N
  // Merged progress: called about every base.progress_interval seconds.
  std::function<void(long cases, long ops, double elapsed)> on_progress;
};

// The case indices of worker w (0-based) of shard k (1-based): first and stride.
long first_case(int shard, int shard_count, int jobs, int worker);
long case_stride(int shard_count, int jobs);

// Runs the campaign part. Never throws for a worker's failure: it is in the summary.
campaign::CampaignSummary run(const Config &cfg);

}  // namespace gupcheck::parallel

// SPDX-License-Identifier: GPL-2.0-only
//
// A stop request (SIGINT/SIGTERM) that lands while a finding is being
// shrunk: an in-process campaign stops shrinking and says it was
// interrupted (not "time cap reached"); a worker of a parallel campaign
// (stop_ends_shrinking = false) finishes shrinking, to the same trace as an
// uninterrupted campaign, as README "Parallel and sharded campaigns" says.
#include <gtest/gtest.h>

#include <atomic>

#include "campaign/campaign.h"
#include "model/variant.h"

namespace gupcheck {
namespace {

campaign::Config failing_campaign() {
  const model::variant_info *v = model::find_variant("fork-shares-pinned-pages");
  campaign::Config c;
  c.variant = v->name;
  c.sw = v->sw;
  c.seed = 1;
  c.time_limit = 0;
  c.max_cases = 300;
  c.shrink_time = 60;
  return c;
}

// Runs cfg with a stop request raised while case `at` runs (before it is
// checked), so that it is set when shrinking starts.
campaign::Result run_stopped_at(campaign::Config cfg, long at, bool stop_ends_shrinking) {
  std::atomic<bool> stop{false};
  cfg.stop = &stop;
  cfg.stop_ends_shrinking = stop_ends_shrinking;
  cfg.progress_interval = 0;  // a progress call after every case
  cfg.on_progress = [&stop, at](const campaign::Progress &p) {
    if (p.cases == at + 1) stop.store(true);
  };
  return campaign::run(cfg);
}

TEST(CampaignStop, StopWhileShrinkingSaysInterrupted) {
  const campaign::Result ref = campaign::run(failing_campaign());
  ASSERT_TRUE(ref.found);
  ASSERT_LT(ref.finding.shrunk.ops.size(), ref.finding.original.ops.size()) << "nothing to shrink: a weak test";
  const campaign::Result r = run_stopped_at(failing_campaign(), ref.finding.case_index, true);
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.finding.case_index, ref.finding.case_index);
  EXPECT_TRUE(r.finding.shrink_interrupted);
  EXPECT_FALSE(r.finding.shrink_timed_out);
  EXPECT_EQ(r.finding.violation.invariant, ref.finding.violation.invariant);  // still a counterexample
}

TEST(CampaignStop, WorkerFinishesShrinkingAfterStop) {
  const campaign::Result ref = campaign::run(failing_campaign());
  ASSERT_TRUE(ref.found);
  const campaign::Result r = run_stopped_at(failing_campaign(), ref.finding.case_index, false);
  ASSERT_TRUE(r.found);
  EXPECT_FALSE(r.finding.shrink_interrupted);
  EXPECT_EQ(r.finding.shrunk, ref.finding.shrunk);
}

}  // namespace
}  // namespace gupcheck

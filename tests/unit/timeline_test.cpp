// SPDX-License-Identifier: GPL-2.0-only
//
// The kernel timeline: release order, the releases of the timeline, which
// historical rules were in force when, and the rows and columns a timeline
// plans (campaign/timeline.h); running one is tested from the command line.
#include <gtest/gtest.h>

#include "campaign/timeline.h"
#include "model/variant.h"

namespace gupcheck {
namespace {

TEST(Timeline, ReleasesAreOrderedAndListed) {
  EXPECT_LT(model::compare_releases("v4.9", "v4.10"), 0);
  EXPECT_LT(model::compare_releases("v2.6", "v4.0"), 0);
  EXPECT_LT(model::compare_releases("v4.20", "v5.0"), 0);
  EXPECT_EQ(model::compare_releases("v6.1", "v6.1"), 0);
  EXPECT_THROW(model::compare_releases("6.1", "v6.1"), std::invalid_argument);
  EXPECT_THROW(model::compare_releases("v6.", "v6.1"), std::invalid_argument);
  const auto all = model::mainline_releases("v4.0", "v6.18");
  EXPECT_EQ(all.size(), 21u + 20u + 19u);
  EXPECT_EQ(all.front(), "v4.0");
  EXPECT_EQ(all.back(), "v6.18");
  EXPECT_EQ(model::mainline_releases("v4.20", "v5.1"), (std::vector<std::string>{"v4.20", "v5.0", "v5.1"}));
  EXPECT_THROW(model::mainline_releases("v5.1", "v5.0"), std::invalid_argument);
  EXPECT_THROW(model::mainline_releases("v4.21", "v5.0"), std::invalid_argument);
  EXPECT_THROW(model::mainline_releases("v3.19", "v5.0"), std::invalid_argument);
}

// Every variant has a history, and every history names a variant.
TEST(Timeline, EveryVariantHasAHistory) {
  for (const auto &v : model::all_variants()) {
    if (v.name != "mainline") {
      EXPECT_NE(model::find_rule_history(v.name), nullptr) << v.name;
    }
  }
  for (const auto &h : model::rule_histories()) {
    EXPECT_NE(model::find_variant(h.variant), nullptr) << h.variant;
    EXPECT_LE(model::compare_releases(h.introduced, h.removed), 0) << h.variant;
    if (h.approximate) {
      EXPECT_FALSE(h.note.empty()) << h.variant << " is approximate without saying why";
    }
  }
}

TEST(Timeline, RulesInForce) {
  bool approx = true;
  EXPECT_EQ(model::rules_in_force("v6.18", &approx), "mainline");
  EXPECT_FALSE(approx);
  // v6.4: only the zero page's pin count (removed in v6.5).
  EXPECT_EQ(model::rules_in_force("v6.4", &approx), "zero-page-pin-counted");
  EXPECT_FALSE(approx);
  const std::string v48 = model::rules_in_force("v4.8", &approx);
  EXPECT_NE(v48.find("dirty-cow"), std::string::npos);
  EXPECT_NE(v48.find("fork-shares-pinned-pages"), std::string::npos);
  EXPECT_TRUE(approx);  // fsdax-longterm-pin's introduction is approximate
  EXPECT_EQ(model::rules_in_force("v4.9", nullptr).find("dirty-cow"), std::string::npos);
  // Never in a mainline release, or gone before v4.0.
  for (const char *r : {"v4.0", "v5.10", "v6.1", "v6.11"})
    for (const char *v : {"zero-page-pin-fails", "zero-page-mixedmap-refcount", "vm-unpaged", "foll-anon-zero-page"})
      EXPECT_EQ(model::rules_in_force(r, nullptr).find(v), std::string::npos) << v << " in " << r;
  // Every composition is a variant the model can run.
  for (const auto &r : model::mainline_releases("v4.0", "v6.18"))
    EXPECT_NE(model::find_variant(model::rules_in_force(r, nullptr)), nullptr) << r;
}

TEST(Timeline, PlanGroupsReleasesWithTheSameRules) {
  timeline::Config cfg;
  cfg.from = "v6.2";
  cfg.to = "v6.6";
  const timeline::Result r = timeline::plan(cfg);
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].label(), "v6.2..v6.4");
  EXPECT_EQ(r.rows[0].rules, "zero-page-pin-counted");
  EXPECT_EQ(r.rows[1].label(), "v6.5..v6.6");
  EXPECT_EQ(r.rows[1].rules, "mainline");
  EXPECT_EQ(r.invariants, (std::vector<std::string>{"GupGrabArithmetic"}));
  cfg.from = "v4.0";
  cfg.to = "v6.18";
  const timeline::Result all = timeline::plan(cfg);
  EXPECT_EQ(all.rows.front().first, "v4.0");
  EXPECT_EQ(all.rows.back().last, "v6.18");
  EXPECT_EQ(all.rows.back().rules, "mainline");
  for (size_t i = 1; i < all.rows.size(); i++) EXPECT_NE(all.rows[i].rules, all.rows[i - 1].rules);
}

}  // namespace
}  // namespace gupcheck

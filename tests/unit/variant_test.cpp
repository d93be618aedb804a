// SPDX-License-Identifier: GPL-2.0-only
//
// Variants are data: the switch table must cover every switch, and every
// variant's regression trace must be caught by the invariant its manifest
// entry (variant_info::catches) names, and hold on mainline.
#include <gtest/gtest.h>

#include <filesystem>

#include "model/variant.h"
#include "properties/invariants.h"
#include "trace/text.h"

using namespace gupcheck;

TEST(Variants, SwitchTableCoversEverySwitch) {
  const auto &sw = model::all_switches();
  // variant_switches is a struct of bools only: its size counts them.
  EXPECT_EQ(sw.size(), sizeof(model::variant_switches) / sizeof(bool));
  for (const auto &s : sw) {
    model::variant_switches v;
    EXPECT_FALSE(v.any());
    v.*s.member = true;
    EXPECT_TRUE(v.any()) << s.name;
  }
}

TEST(Variants, EverySwitchIsUsedByAVariant) {
  for (const auto &s : model::all_switches()) {
    bool used = false;
    for (const auto &v : model::all_variants())
      for (const auto &n : v.switches) used |= n == s.name;
    EXPECT_TRUE(used) << s.name;
  }
}

TEST(Variants, RegressionTraceIsCaughtByTheManifestInvariant) {
  const std::filesystem::path dir = std::filesystem::path(GUPCHECK_SOURCE_DIR) / "tests" / "regression";
  const auto *mainline = model::find_variant("mainline");
  ASSERT_NE(mainline, nullptr);
  for (const auto &v : model::all_variants()) {
    if (v.name == "mainline") continue;
    SCOPED_TRACE(v.name);
    ASSERT_FALSE(v.catches.empty());
    ASSERT_NE(props::find_invariant(v.catches), nullptr);
    int traces = 0;
    for (const auto &e : std::filesystem::directory_iterator(dir)) {
      const std::string file = e.path().filename().string();
      if (e.path().extension() != ".trace" || file.rfind(v.name + "_", 0) != 0) continue;
      traces++;
      const trace::Trace t = trace::parse_trace_file(e.path().string());
      EXPECT_EQ(t.variant, v.name);
      const props::RunResult bad = props::run_trace(t, v.sw, props::InvariantSet());
      EXPECT_TRUE(bad.violation.found);
      EXPECT_EQ(bad.violation.invariant, v.catches);
      EXPECT_FALSE(props::run_trace(t, mainline->sw, props::InvariantSet()).violation.found);
    }
    EXPECT_EQ(traces, 1) << "one regression trace per variant, named " << v.name << "_COMMIT.trace";
  }
}

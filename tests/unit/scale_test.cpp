// SPDX-License-Identifier: GPL-2.0-only
//
// Campaigns at scale: the case partition of shards and workers, summary
// deduplication, JSON round trip and merging, the raw-choice encoder, and the
// explorer's canonical state.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "properties/decode.h"
#include "campaign/explore.h"
#include "campaign/parallel.h"
#include "properties/world.h"
#include "reports/summary.h"
#include "trace/text.h"

namespace gupcheck {
namespace {

TEST(Partition, ShardsAndWorkersCoverEveryCaseOnce) {
  for (int n : {1, 2, 3, 7})
    for (int j : {1, 2, 5}) {
      std::vector<int> hits(2000, 0);
      for (int k = 1; k <= n; k++)
        for (int w = 0; w < j; w++)
          for (long i = parallel::first_case(k, n, j, w); i < 2000; i += parallel::case_stride(n, j)) {
            hits[size_t(i)]++;
            EXPECT_EQ(i % n, k - 1) << "shard " << k << "/" << n;
          }
      for (size_t i = 0; i < hits.size(); i++) ASSERT_EQ(hits[i], 1) << "case " << i << " n=" << n << " j=" << j;
    }
}

campaign::FindingSummary finding(const std::string &inv, long c, const std::string &trace) {
  campaign::FindingSummary f;
  f.invariant = inv;
  f.case_index = c;
  f.trace = trace;
  return f;
}

TEST(Summary, DeduplicatesByInvariantAndTraceKeepingTheLowestCase) {
  campaign::CampaignSummary s;
  campaign::add_finding(s, finding("A", 9, "t1"));
  campaign::add_finding(s, finding("A", 4, "t1"));
  campaign::add_finding(s, finding("A", 6, "t2"));
  campaign::add_finding(s, finding("B", 5, "t1"));
  ASSERT_EQ(s.findings.size(), 3u);
  EXPECT_EQ(s.findings[0].case_index, 4);
  EXPECT_EQ(s.findings[0].also_cases, std::vector<long>{9});
  EXPECT_EQ(s.findings[1].invariant, "B");
  EXPECT_EQ(s.status(), 1);
}

TEST(Summary, JsonRoundTripAndMerge) {
  campaign::CampaignSummary a, b;
  a.seed = b.seed = 3;
  a.shard_count = b.shard_count = 2;
  a.shards = {1};
  b.shards = {2};
  a.cases = 10, b.cases = 12;
  a.ops = 100, b.ops = 150;
  campaign::WorkerSummary crashed;
  crashed.status = "crashed";
  crashed.detail = "killed by signal 11";
  b.workers.push_back(crashed);
  campaign::add_finding(a, finding("A", 7, "t"));
  campaign::add_finding(b, finding("A", 2, "t"));
  const campaign::CampaignSummary a2 = campaign::summary_from_json(campaign::summary_json(a));
  EXPECT_EQ(campaign::summary_json(a2), campaign::summary_json(a));
  const campaign::CampaignSummary m = campaign::merge_summaries({a2, b});
  EXPECT_EQ(m.cases, 22);
  EXPECT_EQ(m.ops, 250);
  EXPECT_EQ(m.shards, (std::vector<int>{1, 2}));
  ASSERT_EQ(m.findings.size(), 1u);
  EXPECT_EQ(m.findings[0].case_index, 2);
  EXPECT_TRUE(m.crashed());
  EXPECT_NE(reports::junit_xml(m).find("<error message=\"worker crashed"), std::string::npos);
  EXPECT_THROW(campaign::merge_summaries({a, a}), std::runtime_error);
  campaign::CampaignSummary other = b;
  other.seed = 4;
  EXPECT_THROW(campaign::merge_summaries({a, other}), std::runtime_error);
  EXPECT_THROW(campaign::summary_from_json(nlohmann::json{{"format", "x"}}), std::runtime_error);
}

TEST(Bytes, WordsRoundTripAndShortTailsPad) {
  const uint8_t data[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const auto w = props::words_from_bytes(data, sizeof data);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0], 0x0807060504030201ull);
  EXPECT_EQ(w[1], 9u);
  EXPECT_EQ(props::bytes_from_words(w).substr(0, 9), std::string(reinterpret_cast<const char *>(data), 9));
}

// Written values are the decoder's own; compare traces without them.
std::string without_values(trace::Trace t) {
  for (auto &op : t.ops) op.value = 0;
  t.notes.clear();
  return trace::print_trace(t);
}

TEST(Encoder, EncodesWhatTheDecoderProduces) {
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 25; round++) {
    std::vector<uint64_t> raw(size_t(1 + round % 16));
    for (auto &x : raw) x = rng();
    const trace::Trace t = props::decode_trace(raw);
    std::string why;
    const auto enc = props::encode_trace(t, &why);
    ASSERT_TRUE(enc.has_value()) << why << "\n" << trace::print_trace(t);
    EXPECT_EQ(without_values(props::decode_trace(*enc)), without_values(t));
  }
}

TEST(Encoder, RefusesWhatTheDecoderCannotProduce) {
  trace::Trace t = trace::parse_trace("# gupcheck trace v1\nm0 = mmap p0 anon private rw 60\n");
  std::string why;
  EXPECT_FALSE(props::encode_trace(t, &why).has_value());
  EXPECT_NE(why.find("op 1"), std::string::npos);
}

TEST(Explore, CanonicalStateIgnoresWhichFramesWereAllocated) {
  // Two processes fault pages in opposite orders: the same state up to pfns.
  auto run = [](const char *text) {
    props::World w;
    for (const auto &op : trace::parse_trace(text).ops) w.step(op);
    return explore::canonical_state(w);
  };
  const char *a = "# gupcheck trace v1\nm0 = mmap p0 anon private rw 2\nwrite p0 m0+0 0x5\nwrite p0 m0+1 0x6\n";
  const char *b = "# gupcheck trace v1\nm0 = mmap p0 anon private rw 2\nwrite p0 m0+1 0x6\nwrite p0 m0+0 0x5\n";
  const char *c = "# gupcheck trace v1\nm0 = mmap p0 anon private rw 2\nwrite p0 m0+1 0x5\nwrite p0 m0+0 0x6\n";
  EXPECT_EQ(run(a), run(b));
  EXPECT_NE(run(a), run(c));
}

TEST(Explore, FindsAShortestTraceOnAVariantAndNothingOnMainline) {
  explore::Config cfg;
  cfg.depth = 3;
  cfg.graph_cap = 0;
  const explore::Result m = explore::run(cfg);
  EXPECT_FALSE(m.found);
  EXPECT_EQ(m.depth_reached, 3);
  EXPECT_GT(m.states, 100);
  const model::variant_info *v = model::find_variant("fork-shares-pinned-pages");
  ASSERT_NE(v, nullptr);
  cfg.variant = v->name;
  cfg.sw = v->sw;
  cfg.depth = 5;
  const explore::Result r = explore::run(cfg);
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.violation.invariant, "PinnedAnonIsExclusive");
  EXPECT_EQ(r.trace.ops.size(), 3u);  // mmap, pin (faulting the page in), fork
  EXPECT_TRUE(props::violates(r.trace, v->sw, {}, "PinnedAnonIsExclusive"));
}

}  // namespace
}  // namespace gupcheck

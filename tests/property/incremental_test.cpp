// SPDX-License-Identifier: GPL-2.0-only
//
// Incremental checking (issue 15 part 1) against the full check: generated
// traces (the campaign's own generator, case by case) run both ways on
// mainline and on every variant must give the same verdict: the same
// invariant at the same step, with the same message, the same named pfns,
// PTEs and calls, and the same list of other violated invariants. A second
// property walks the census from scratch after every step of an incremental
// run and compares it with the one kept up to date from the footprints.
//
// CTest runs a bounded number of traces (GUPCHECK_EQUIV_TRACES, default
// 1500 per variant, about 20 s); the full run of 100,000 traces is
//   GUPCHECK_EQUIV_TRACES=100000 build/release/tests/property_tests --gtest_filter='Incremental.*'
// (bench/README.md, figures in README.md "Speed").
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "campaign/campaign.h"
#include "model/variant.h"
#include "properties/decode.h"
#include "properties/invariants.h"
#include "trace/text.h"

namespace gupcheck {
namespace {

long traces() {
  const char *e = std::getenv("GUPCHECK_EQUIV_TRACES");
  return e ? std::atol(e) : 1500;
}

trace::Trace generated(uint64_t seed, long i) {
  const uint64_t cs = campaign::case_seed(seed, i);
  props::DecodeLimits lim;
  lim.disabled = props::swarm_disabled(cs);
  return props::decode_trace(campaign::generate_raw(cs, campaign::case_size(i, 100)), lim);
}

std::string verdict(const props::RunResult &r) {
  const props::Violation &v = r.violation;
  if (!v.found) return "holds after " + std::to_string(r.steps_run) + " steps";
  std::string s = v.invariant + " at step " + std::to_string(v.step) + ": " + v.why + " [pfns";
  for (auto p : v.pfns) s += " " + std::to_string(p);
  s += "; ptes";
  for (auto &[pid, vpn] : v.ptes) s += " " + std::to_string(pid) + ":" + std::to_string(vpn);
  s += "; gups";
  for (int g : v.gups) s += " " + std::to_string(g);
  s += "; also";
  for (const auto &a : v.also) s += " " + a;
  return s + "]";
}

TEST(Incremental, SameVerdictsAsFullOnEveryVariant) {
  props::InvariantSet full, incr;
  full.set_mode(props::CheckMode::Full);
  incr.set_mode(props::CheckMode::Incremental);
  const long n = traces();
  long found = 0, compared = 0;
  for (long i = 0; i < n; i++) {
    const trace::Trace t = generated(15, i);
    for (const model::variant_info &v : model::all_variants()) {
      std::string a, b;
      try {
        a = verdict(props::run_trace(t, v.sw, full));
      } catch (const props::bad_trace &e) {
        a = std::string("bad trace: ") + e.what();
      }
      try {
        b = verdict(props::run_trace(t, v.sw, incr));
      } catch (const props::bad_trace &e) {
        b = std::string("bad trace: ") + e.what();
      }
      compared++;
      found += a.rfind("holds", 0) != 0;
      ASSERT_EQ(a, b) << "case " << i << " on " << v.name << ":\n" << trace::print_trace(t);
    }
  }
  // The comparison covers both outcomes: traces that hold and traces that do not.
  EXPECT_GT(found, 0);
  EXPECT_LT(found, compared);
  std::printf("%ld traces x %zu variants: %ld verdicts compared, %ld violations, all identical\n", n,
              model::all_variants().size(), compared, found);
}

// The census kept from footprints equals the census walked from scratch.
TEST(Incremental, CensusMatchesAFullWalk) {
  const long n = std::max(1L, traces() / 5);
  long steps = 0;
  for (long i = 0; i < n; i++) {
    const trace::Trace t = generated(16, i);
    for (const model::variant_info &v : model::all_variants()) {
      props::World w(v.sw);
      w.set_incremental(true);
      for (size_t s = 0; s < t.ops.size(); s++) {
        try {
          w.step(t.ops[s]);
        } catch (const std::exception &) {
          break;  // a model bug or a bad trace ends the case, as in run_trace()
        }
        const props::Census &c = w.census();
        const props::Census f = w.census_full();
        const std::string where = "case " + std::to_string(i) + " step " + std::to_string(s) + " on " + v.name;
        ASSERT_EQ(c.ptes, f.ptes) << where;
        ASSERT_EQ(c.gets, f.gets) << where;
        ASSERT_EQ(c.pins, f.pins) << where;
        ASSERT_EQ(c.page_maps, f.page_maps) << where;
        ASSERT_EQ(c.page_pins, f.page_pins) << where;
        ASSERT_EQ(c.special_ptes, f.special_ptes) << where;
        ASSERT_EQ(c.zero_ptes, f.zero_ptes) << where;
        ASSERT_EQ(c.ksm_zero, f.ksm_zero) << where;
        ASSERT_EQ(c.rss.size(), f.rss.size()) << where;
        for (size_t p = 0; p < c.rss.size(); p++) {
          ASSERT_EQ(c.rss[p].anon, f.rss[p].anon) << where;
          ASSERT_EQ(c.rss[p].file, f.rss[p].file) << where;
          ASSERT_EQ(c.rss[p].shmem, f.rss[p].shmem) << where;
        }
        for (auto [x, y] : {std::pair{c.zero_writable, f.zero_writable}, {c.zero_not_special, f.zero_not_special},
                            {c.writable_shared_anon, f.writable_shared_anon},
                            {c.ksm_zero_not_special, f.ksm_zero_not_special}, {c.hwpoison_mapped, f.hwpoison_mapped}}) {
          ASSERT_EQ(x.pid, y.pid) << where;
          ASSERT_EQ(x.vpn, y.vpn) << where;
          ASSERT_EQ(x.pfn, y.pfn) << where;
        }
        steps++;
      }
    }
  }
  EXPECT_GT(steps, 0);
}

}  // namespace
}  // namespace gupcheck

// SPDX-License-Identifier: GPL-2.0-only
//
// GUP as steps: where a call stops, that running it step by step gives the
// same result as running it whole, variant combinations, and the gate's
// judging and report writers.
#include <gtest/gtest.h>

#include "model/kernel.h"
#include "model/variant.h"
#include "properties/world.h"
#include "reports/gate.h"
#include "trace/text.h"

using namespace gupcheck;
using namespace gupcheck::model;

namespace {

long anon_mapping(kernel_state &k, uint64_t npages) {
  mmap_args a;
  a.npages = npages;
  return do_mmap(k, 0, a);
}

}  // namespace

TEST(Interleave, SlowPathStopsAfterFaultinAndBetweenPages) {
  kernel_state k;
  const long s = anon_mapping(k, 2);
  ASSERT_GE(s, 0);
  std::vector<pfn_t> pages;
  gup_task t = pin_user_pages_steps(k, 0, uint64_t(s), 2, FOLL_WRITE, &pages);
  std::vector<std::string> points;
  while (t.resume()) points.push_back(std::string(t.point().where) + " " + std::to_string(t.point().page));
  EXPECT_EQ(t.result(), 2);
  EXPECT_EQ(pages.size(), 2u);
  const std::vector<std::string> want = {"after faultin_page 0", "between pages 1", "after faultin_page 1"};
  EXPECT_EQ(points, want);
}

TEST(Interleave, GupFastStopsBeforeGrabAndBeforeSeqCheck) {
  kernel_state k;
  const long s = anon_mapping(k, 1);
  ASSERT_EQ(user_access(k, 0, uint64_t(s), true, 7).signal, 0);
  std::vector<pfn_t> pages;
  long nr_fast = -1;
  gup_task t = pin_user_pages_fast_steps(k, 0, uint64_t(s), 1, FOLL_WRITE, &pages, &nr_fast);
  ASSERT_TRUE(t.resume());
  EXPECT_TRUE(t.point().fast);
  EXPECT_EQ(k.folios[k.tasks[0].mm.tables[0].ptes[s % PTRS_PER_PTE].pfn].refcount, 1);  // not grabbed yet
  ASSERT_TRUE(t.resume());
  EXPECT_TRUE(t.point().fast);
  EXPECT_FALSE(t.resume());
  EXPECT_EQ(t.result(), 1);
  EXPECT_EQ(nr_fast, 1);
}

TEST(Interleave, ForkBeforeTheGrabSendsMainlinePinToTheSlowPath) {
  for (bool variant : {false, true}) {
    variant_switches sw;
    sw.gup_fast_ignores_write_protect_seq = variant;
    kernel_state k(sw);
    const long s = anon_mapping(k, 1);
    ASSERT_EQ(user_access(k, 0, uint64_t(s), true, 7).signal, 0);
    std::vector<pfn_t> pages;
    long nr_fast = -1;
    gup_task t = pin_user_pages_fast_steps(k, 0, uint64_t(s), 1, FOLL_WRITE, &pages, &nr_fast);
    ASSERT_TRUE(t.resume());  // PTE read
    dup_mm_fork(k, 0);
    while (t.resume()) {
    }
    EXPECT_EQ(t.result(), 1);
    EXPECT_EQ(nr_fast, variant ? 1 : 0) << "variant " << variant;
    // Mainline: the slow path unshared; the variant kept the shared page.
    EXPECT_EQ(k.folios[pages[0]].anon_exclusive, !variant);
  }
}

TEST(Interleave, WorldResumeReportsThePoint) {
  const trace::Trace t = trace::parse_trace(
      "# gupcheck trace v1\n"
      "m0 = mmap p0 file:f0 private r 1\n"
      "g0 = get p0:t1 m0+0 1 WRITE|FORCE &\n"
      "resume g0\n"
      "madvise p0 m0+0 1 dontneed\n"
      "wait g0\n");
  props::World w;
  w.step(t.ops[0]);
  w.step(t.ops[1]);
  EXPECT_EQ(w.step(t.ops[2]).describe(), "after faultin_page, page 0");
  w.step(t.ops[3]);
  const props::Outcome &o = w.step(t.ops[4]);
  EXPECT_EQ(o.ret, 1);
  ASSERT_EQ(w.gup_calls()[0].pages.size(), 1u);
  // Mainline: the retried lookup faulted again and got a fresh COW copy.
  const folio &f = w.kernel().folios[w.gup_calls()[0].pages[0]];
  EXPECT_TRUE(f.anon && f.anon_exclusive);
}

TEST(Variants, CombinationIsTheUnionOfSwitches) {
  const variant_info *c = find_variant("dirty-cow+vm-unpaged");
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->sw.cow_fault_drops_foll_write);
  EXPECT_TRUE(c->sw.pfnmap_all_unpaged);
  EXPECT_FALSE(c->sw.refcount_unchecked);
  EXPECT_TRUE(c->catches.empty());
  const variant_info *d = find_variant("dirty-cow,vm-unpaged");
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->sw == c->sw);
  EXPECT_EQ(find_variant("dirty-cow+nonsense"), nullptr);
  EXPECT_EQ(find_variant("dirty-cow+"), nullptr);
}

TEST(Gate, JudgeMatchesTheManifest) {
  reports::GateResult r;
  r.expected = "A8";
  reports::judge(r);
  EXPECT_FALSE(r.passed);  // not found
  r.found = true;
  r.invariant = "B5";
  reports::judge(r);
  EXPECT_FALSE(r.passed);  // wrong invariant
  r.invariant = "A8";
  reports::judge(r);
  EXPECT_TRUE(r.passed);
  reports::GateResult m;  // mainline: nothing may be found
  reports::judge(m);
  EXPECT_TRUE(m.passed);
  m.found = true;
  m.invariant = "A8";
  reports::judge(m);
  EXPECT_FALSE(m.passed);
}

TEST(Gate, JunitHasOneTestcasePerResultAndEscapes) {
  reports::GateResult a, b;
  a.variant = "mainline";
  reports::judge(a);
  b.variant = "x<&>\"";
  b.expected = "A8";
  reports::judge(b);
  const std::string x = reports::junit_xml({a, b}, 1.5);
  size_t n = 0;
  for (size_t p = x.find("<testcase "); p != std::string::npos; p = x.find("<testcase ", p + 1)) n++;
  EXPECT_EQ(n, 2u);
  EXPECT_NE(x.find("failures=\"1\""), std::string::npos);
  EXPECT_NE(x.find("x&lt;&amp;&gt;&quot;"), std::string::npos);
  const auto j = reports::gate_json({a, b}, 1, 2.0);
  EXPECT_FALSE(j["passed"].get<bool>());
  EXPECT_EQ(j["results"].size(), 2u);
}

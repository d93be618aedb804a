// SPDX-License-Identifier: GPL-2.0-only
//
// khugepaged / MADV_COLLAPSE (model/huge_memory.cpp) and GUP-fast racing it
// (70cbc3cc78a9).
#include "model/kernel.h"
#include "tests/unit/test_traces.h"

namespace gupcheck::props::test {
namespace {

using model::HPAGE_PMD_NR;
using model::pte_table;

const pte_table *table_at(const World &w, uint64_t vpn) { return model::pmd_offset(w.kernel().tasks[0].mm, vpn); }

TEST(Collapse, CopiesEveryPageIntoOneExclusivePmdMappedThp) {
  auto w = world_after(
      "m0 = mmap p0 anon private rw 16\n"
      "write p0 m0+0 0x41\n"
      "write p0 m0+5 0x42\n"
      "read p0 m0+9\n"
      "g0 = collapse p0 m0+3\n");
  EXPECT_EQ(w->last_outcome().ret, 0);
  const uint64_t base = w->address(0, 0);
  ASSERT_EQ(base % HPAGE_PMD_NR, 0u) << "a PMD-sized anonymous mapping is PMD-aligned";
  const pte_table *t = table_at(*w, base);
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(t->pmd_leaf);
  EXPECT_TRUE(t->pmd_write);
  const auto &k = w->kernel();
  EXPECT_EQ(model::read_pfn(k, t->pmd_pfn + 0), 0x41u);
  EXPECT_EQ(model::read_pfn(k, t->pmd_pfn + 5), 0x42u);
  EXPECT_EQ(model::read_pfn(k, t->pmd_pfn + 9), 0u);
  EXPECT_TRUE(k.folios[t->pmd_pfn].anon_exclusive);
  EXPECT_EQ(k.tasks[0].mm.rss[model::MM_ANONPAGES], long(HPAGE_PMD_NR));
  // The user still reads what it wrote.
  w->step(parse("read p0 m0+5\n").ops[0]);
  EXPECT_EQ(w->last_outcome().value, 0x42u);
  expect_all_hold(
      "m0 = mmap p0 anon private rw 16\n"
      "write p0 m0+0 0x41\n"
      "g0 = collapse p0 m0+3\n"
      "read p0 m0+0\n"
      "write p0 m0+7 0x5\n");
}

TEST(Collapse, RefusesWhatTheScanRefuses) {
  struct Case {
    const char *body;
    long want;
  } cases[] = {
      // Only zero pages and holes: nothing writable (SCAN_PAGE_RO).
      {"m0 = mmap p0 anon private rw 16\nread p0 m0+0\ng0 = collapse p0 m0+0\n", -EINVAL},
      // No page table at all (SCAN_PMD_NULL).
      {"m0 = mmap p0 anon private rw 16\ng0 = collapse p0 m0+0\n", -EINVAL},
      // The PMD range is not inside the VMA.
      {"m0 = mmap p0 anon private rw 4\nwrite p0 m0+0 0x1\ng0 = collapse p0 m0+0\n", -EINVAL},
      // A GUP reference on one page (SCAN_PAGE_COUNT).
      {"m0 = mmap p0 anon private rw 16\nwrite p0 m0+0 0x1\ng1 = get p0 m0+0 1 0\ng0 = collapse p0 m0+0\n",
       -EAGAIN},
      // A shared mapping is shmem: file collapse is not modelled here.
      {"m0 = mmap p0 shmem:anon shared rw 16\nwrite p0 m0+0 0x1\ng0 = collapse p0 m0+0\n", -EINVAL},
      // Already PMD-mapped: nothing to do, success.
      {"m0 = mmap p0 anon private rw 16 thp\nwrite p0 m0+0 0x1\ng0 = collapse p0 m0+0\n", 0},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.body);
    auto w = world_after(c.body);
    EXPECT_EQ(w->last_outcome().ret, c.want);
    expect_all_hold(c.body);
  }
}

// An in-flight collapse holds mmap_lock: an operation that needs it lets the
// collapse finish first, and sees the THP.
TEST(Collapse, InFlightCollapseFinishesBeforeALockingOperation) {
  const std::string body =
      "m0 = mmap p0 anon private rw 16 populate\n"
      "write p0 m0+2 0x77\n"
      "g0 = collapse p0:t2 m0+0 &\n"
      "resume g0\n";
  auto w = world_after(body);
  EXPECT_EQ(table_at(*w, w->address(0, 0)), nullptr) << "the PMD is cleared in the window";
  EXPECT_TRUE(w->kernel().tasks[0].mm.collapse.active);
  w->step(parse("read p0 m0+2\n").ops[0]);
  EXPECT_EQ(w->last_outcome().value, 0x77u);
  EXPECT_FALSE(w->kernel().tasks[0].mm.collapse.active);
  const pte_table *t = table_at(*w, w->address(0, 0));
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->pmd_leaf);
  w->step(parse("wait g0\n").ops[0]);
  EXPECT_EQ(w->last_outcome().ret, 0);
  expect_all_hold(body + "read p0 m0+2\nwait g0\n");
}

// The race of 70cbc3cc78a9: GUP-fast read the PTE, then a collapse cleared
// the PMD and isolated the pages. On mainline the PMD recheck sends GUP-fast
// to the slow path, which waits for the collapse and pins the new THP's
// page; the variant keeps the old page (D6).
const char *kRace =
    "m0 = mmap p0 anon private rw 16 populate\n"
    "write p0 m0+0 0x41\n"
    "g0 = pin_fast p0:t1 m0+0 1 WRITE &\n"
    "resume g0\n"
    "g1 = collapse p0:t2 m0+0 &\n"
    "resume g1\n"
    "wait g0\n";

TEST(Collapse, MainlineGupFastRechecksThePmdAndPinsTheThp) {
  auto w = world_after(kRace);
  const GupCall &g = w->gup_calls()[0];
  ASSERT_EQ(g.ret, 1);
  const pte_table *t = table_at(*w, w->address(0, 0));
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(t->pmd_leaf) << "the slow path waited for the collapse";
  EXPECT_EQ(g.pages[0], t->pmd_pfn);
  EXPECT_EQ(g.nr_fast, 0);
  expect_all_hold(std::string(kRace) + "wait g1\ndma_write g0 0x99\nread p0 m0+0 => 0x99\n");
}

TEST(Collapse, WithoutThePmdRecheckGupFastKeepsTheReplacedPage) {
  model::variant_switches sw;
  sw.gup_fast_skips_pmd_recheck = true;
  auto w = world_after(kRace, sw);
  std::string why;
  EXPECT_FALSE(holds(*w, "GupFastRevalidated", &why));
  EXPECT_NE(why.find("not mapped"), std::string::npos) << why;
  // Once the collapse finishes, a device write through the pin is lost to
  // the process.
  w->step(parse("wait g1\n").ops[0]);
  w->step(parse("dma_write g0 0x99\n").ops[0]);
  w->step(parse("read p0 m0+0\n").ops[0]);
  EXPECT_EQ(w->last_outcome().value, 0x41u);
}

TEST(Collapse, CollapseHandleCannotBeReleased) {
  EXPECT_NE(trace::check_consistency(parse("m0 = mmap p0 anon private rw 16\ng0 = collapse p0 m0+0\nput g0\n")), "");
  EXPECT_NE(trace::check_consistency(parse("m0 = mmap p0 anon private rw 16\ng0 = collapse p0 m0+0\ndma_read g0\n")),
            "");
  const trace::Trace t = parse("m0 = mmap p0 anon private rw 16\ng0 = collapse p0:t2 m0+0 &\nresume g0\nwait g0\n");
  EXPECT_EQ(trace::check_consistency(t), "");
  EXPECT_EQ(trace::parse_trace(trace::print_trace(t)), t);
}

}  // namespace
}  // namespace gupcheck::props::test

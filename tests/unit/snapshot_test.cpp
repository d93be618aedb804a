// SPDX-License-Identifier: GPL-2.0-only
//
// Snapshots (properties/snapshot.h): a copy of the executor's whole state
// that later steps do not change, with every field the reports draw.
#include <gtest/gtest.h>

#include <string>

#include "properties/snapshot.h"
#include "properties/world.h"
#include "trace/text.h"

namespace gupcheck::props {
namespace {

World run(const std::string &body) {
  World w;
  for (const trace::Op &op : trace::parse_trace("# gupcheck trace v1\n" + body).ops) w.step(op);
  return w;
}

TEST(Snapshot, CopiesProcessesPtesFoliosAndGupCalls) {
  World w = run(
      "m0 = mmap p0 anon private rw 2\n"
      "write p0 m0+0 0x41\n"
      "read p0 m0+1\n"
      "g0 = pin p0 m0+0 1 WRITE|LONGTERM\n"
      "p1 = fork p0\n");
  const Snapshot s = take_snapshot(w);
  ASSERT_EQ(s.processes.size(), 2u);
  EXPECT_EQ(s.proc_of(0), 0);
  EXPECT_EQ(s.proc_of(1), 1);
  EXPECT_EQ(s.proc_of(7), -1);
  EXPECT_TRUE(s.processes[1].alive);
  EXPECT_TRUE(s.processes[0].mm.has_pinned);
  ASSERT_EQ(s.processes[0].mm.vmas.size(), 1u);
  const uint64_t vpn = s.processes[0].mm.vmas[0].vm_start;
  const model::pte_t *written = model::pte_offset(s.processes[0].mm, vpn);
  const model::pte_t *zero = model::pte_offset(s.processes[0].mm, vpn + 1);
  ASSERT_NE(written, nullptr);
  ASSERT_NE(zero, nullptr);
  EXPECT_TRUE(written->present && written->write && written->dirty);
  EXPECT_FALSE(written->special);
  EXPECT_EQ(zero->pfn, model::ZERO_PFN);
  EXPECT_TRUE(zero->special);
  // The pinned page: fork copied it for the child (the pin keeps it exclusive to p0).
  const model::pfn_t pinned = written->pfn;
  ASSERT_TRUE(s.has_folio(pinned));
  EXPECT_EQ(s.folios[pinned].refcount, model::GUP_PIN_COUNTING_BIAS + 1);
  EXPECT_EQ(s.folios[pinned].mapcount, 1);
  EXPECT_TRUE(s.folios[pinned].anon_exclusive);
  EXPECT_EQ(s.folios[pinned].data, 0x41u);
  EXPECT_EQ(s.census.pins[pinned], 1);
  ASSERT_EQ(s.gups.size(), 1u);
  EXPECT_TRUE(s.gups[0].holds());
  EXPECT_TRUE(s.gups[0].pin);
  EXPECT_EQ(s.gups[0].ret, 1);
  ASSERT_EQ(s.gups[0].pages.size(), 1u);
  EXPECT_EQ(s.gups[0].pages[0], pinned);
  EXPECT_EQ(trace::print_op(s.gups[0].op), "g0 = pin p0 m0+0 1 WRITE|LONGTERM");
  EXPECT_EQ(s.nr_foll_pin_acquired, 1);
  ASSERT_EQ(s.mappings.size(), 1u);
  EXPECT_EQ(s.mappings[0].start, vpn);
  EXPECT_EQ(s.mappings[0].npages, 2);

  // A value: later steps leave it as it was.
  w.step(trace::parse_trace("# gupcheck trace v1\nunpin g0\n").ops[0]);
  EXPECT_TRUE(w.gup_calls()[0].released);
  EXPECT_FALSE(s.gups[0].released);
  EXPECT_EQ(s.folios[pinned].refcount, model::GUP_PIN_COUNTING_BIAS + 1);
  EXPECT_EQ(take_snapshot(w).folios[pinned].refcount, 1);
  EXPECT_EQ(take_snapshot(w).nr_foll_pin_released, 1);
}

TEST(Snapshot, NamesFilesByTheirTraceHandle) {
  const Snapshot s = take_snapshot(run(
      "m0 = mmap p0 file:f2 shared rw 1\n"
      "m1 = mmap p0 shmem:anon shared rw 1\n"
      "read p0 m0+0\n"));
  ASSERT_EQ(s.files.size(), 2u);
  EXPECT_EQ(s.file_handle(0), 2);
  EXPECT_EQ(s.file_handle(1), -1);  // the shmem object behind MAP_SHARED|MAP_ANONYMOUS
  EXPECT_EQ(s.file_handle(5), -1);
  EXPECT_FALSE(s.files[0].state.shmem);
  EXPECT_TRUE(s.files[1].state.shmem);
}

}  // namespace
}  // namespace gupcheck::props

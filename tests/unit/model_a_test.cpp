// SPDX-License-Identifier: GPL-2.0-only
//
// Issue 3 part A: the mapping kinds and operations model-a added (fsdax,
// secretmem, mlock/populate, madvise advice, hwpoison, the s390 zero-page
// switch, move_pages status, remote access, DMA). For each new invariant: a
// mainline trace where it holds, and a tampered state or outcome where it
// must fail. Plus the kernel outcomes the model must reproduce.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "model/flags.h"
#include "model/kernel.h"
#include "model/variant.h"
#include "properties/invariants.h"
#include "properties/world.h"
#include "tests/unit/test_traces.h"
#include "trace/op.h"
#include "trace/text.h"

namespace gupcheck::props {
namespace {

using model::pfn_t;
using test::holds;
using test::parse;
using test::expect_all_hold;
using test::expect_tamper_caught;
// A World that has run every op of body.
std::unique_ptr<World> run(const std::string &body, const model::variant_switches &sw = {}) { return test::world_after(body, sw); }

model::pte_t &pte(World &w, int pid, uint16_t map, uint16_t page) {
  model::pte_t *p = model::pte_offset(test::WorldTamper::kernel(w).tasks[pid].mm, w.address(map, page));
  if (!p) throw std::runtime_error("no PTE table");
  return *p;
}

long ret_of(const std::string &body) { return run(body)->last_outcome().ret; }

// ---------------------------------------------------------------------------
// Kernel outcomes

TEST(ModelA, FsdaxLongtermPinIsRefused) {
  const std::string m = "m0 = mmap p0 fsdax:f0 shared rw 1\nwrite p0 m0+0 0x1\n";
  EXPECT_EQ(ret_of(m + "g0 = pin p0 m0+0 1 LONGTERM\n"), -EOPNOTSUPP);
  EXPECT_EQ(ret_of(m + "g0 = pin_fast p0 m0+0 1 WRITE|LONGTERM\n"), -EOPNOTSUPP);  // fast refuses, slow says why
  EXPECT_EQ(ret_of(m + "g0 = pin p0 m0+0 1 0\n"), 1);                           // short-term pins are fine
}

TEST(ModelA, SecretmemIsNeverGupable) {
  const std::string m = "m0 = mmap p0 secretmem shared rw 1\nwrite p0 m0+0 0x1\n";
  EXPECT_EQ(ret_of(m + "g0 = get p0 m0+0 1 0\n"), -EFAULT);
  std::unique_ptr<World> w = run(m + "g0 = pin_fast p0 m0+0 1 0\n");
  EXPECT_EQ(w->last_outcome().ret, -EFAULT);
  EXPECT_EQ(w->last_gup()->nr_fast, 0);  // gup_fast_folio_allowed() refused it
  EXPECT_EQ(ret_of("m0 = mmap p0 secretmem private rw 1\n"), -EINVAL);
  EXPECT_EQ(ret_of(m + "madvise p0 m0+0 1 populate_read\n"), -EINVAL);
  EXPECT_EQ(ret_of(m + "madvise p0 m0+0 1 dontneed\n"), -EINVAL);  // VM_LOCKED
  expect_all_hold(m + "g0 = pin_fast p0 m0+0 1 0\ndump p0\n");
}

TEST(ModelA, PrivateShmemCowsOverThePageCache) {
  std::unique_ptr<World> w = run(
      "m0 = mmap p0 shmem:f0 shared rw 1\nm1 = mmap p0 shmem:f0 private rw 1\nwrite p0 m0+0 0x11\n"
      "read p0 m1+0\nwrite p0 m1+0 0x22\nread p0 m0+0\n");
  EXPECT_EQ(w->last_outcome().value, 0x11u);  // the private write went to an anonymous copy
}

TEST(ModelA, PopulateErrors) {
  EXPECT_EQ(ret_of("m0 = mmap p0 anon private none 1\nmadvise p0 m0+0 1 populate_read\n"), -EINVAL);
  EXPECT_EQ(ret_of("m0 = mmap p0 anon private r 1\nmadvise p0 m0+0 1 populate_write\n"), -EINVAL);
  EXPECT_EQ(ret_of("m0 = mmap p0 anon private rw 1\nmadvise p0 m0+0 2 populate_write\n"), -ENOMEM);
  EXPECT_EQ(ret_of("m0 = mmap p0 pfnmap private rw 1\nmadvise p0 m0+0 1 populate_read\n"), -EINVAL);
  EXPECT_EQ(ret_of("m0 = mmap p0 mixedmap private rw 1\nmadvise p0 m0+0 1 populate_write\n"), 0);
  // mlock: write-faults a private writable VMA, read-faults a read-only one.
  std::unique_ptr<World> w = run("m0 = mmap p0 anon private rw 1\nm1 = mmap p0 anon private r 1\nmlock p0 m0+0 1\n"
                                 "mlock p0 m1+0 1\n");
  EXPECT_FALSE(model::is_zero_pfn(pte(*w, 0, 0, 0).pfn));
  EXPECT_TRUE(model::is_zero_pfn(pte(*w, 0, 1, 0).pfn));
  EXPECT_EQ(ret_of("m0 = mmap p0 anon private none 1\nmlock p0 m0+0 1\n"), -ENOMEM);  // no FOLL_FORCE for PROT_NONE
  // MAP_POPULATE ignores errors.
  w = run("m0 = mmap p0 anon private rw 2 populate\n");
  EXPECT_EQ(w->kernel().tasks[0].mm.rss[model::MM_ANONPAGES], 2);
  expect_all_hold("m0 = mmap p0 anon private rw 2 populate\nmlock p0 m0+0 3\nmadvise p0 m0+0 2 dontneed\n");
}

TEST(ModelA, DontforkAndWipeonfork) {
  std::unique_ptr<World> w = run("m0 = mmap p0 anon private rw 1\nwrite p0 m0+0 0x41\nmadvise p0 m0+0 1 wipeonfork\n"
                                 "p1 = fork p0\nread p1 m0+0\n");
  EXPECT_EQ(w->last_outcome().value, 0u);
  w = run("m0 = mmap p0 anon private rw 1\nmadvise p0 m0+0 1 dontfork\np1 = fork p0\nread p1 m0+0\n");
  EXPECT_EQ(w->last_outcome().signal, model::SIGSEGV_NR);
  EXPECT_EQ(ret_of("m0 = mmap p0 file:f0 private rw 1\nmadvise p0 m0+0 1 wipeonfork\n"), -EINVAL);
  expect_all_hold("m0 = mmap p0 anon private rw 1\nwrite p0 m0+0 0x41\nmadvise p0 m0+0 1 wipeonfork\n"
                  "p1 = fork p0\nread p1 m0+0\nmadvise p0 m0+0 1 keeponfork\np2 = fork p0\nread p2 m0+0\n");
}

TEST(ModelA, ForbidsZeropageIsNotInheritedAndUnsharesCow) {
  std::unique_ptr<World> w = run("m0 = mmap p0 anon private rw 1\nread p0 m0+0\nforbid_zeropage p0\n");
  EXPECT_FALSE(model::is_zero_pfn(pte(*w, 0, 0, 0).pfn));
  w = run("m0 = mmap p0 anon private rw 2\nforbid_zeropage p0\nread p0 m0+0\np1 = fork p0\nread p1 m0+1\n"
          "uffd_zeropage p0 m0+1\n");
  EXPECT_FALSE(model::is_zero_pfn(pte(*w, 0, 0, 0).pfn));
  EXPECT_TRUE(model::is_zero_pfn(pte(*w, w->pid_of(1), 0, 1).pfn));  // the child may use it again
  EXPECT_FALSE(model::is_zero_pfn(pte(*w, 0, 0, 1).pfn));
  w = run("m0 = mmap p0 mixedmap private rw 1\nforbid_zeropage p0\ninsert_mixed p0 m0+0 zero\n");
  EXPECT_EQ(w->last_outcome().signal, model::SIGBUS_NR);
  expect_all_hold("m0 = mmap p0 anon private rw 2\nread p0 m0+0\nforbid_zeropage p0\nread p0 m0+1\n"
                  "m1 = mmap p0 mixedmap private r 1\nread p0 m1+0\n");
}

TEST(ModelA, HwpoisonUnmapsAndGupReports) {
  const std::string m = "m0 = mmap p0 anon private rw 1\nwrite p0 m0+0 0x1\nmadvise p0 m0+0 1 hwpoison\n";
  EXPECT_EQ(ret_of(m), 0);
  EXPECT_EQ(run(m + "read p0 m0+0\n")->last_outcome().signal, model::SIGBUS_NR);
  EXPECT_EQ(ret_of(m + "g0 = get p0 m0+0 1 HWPOISON\n"), -EHWPOISON);
  EXPECT_EQ(ret_of(m + "g0 = get p0 m0+0 1 0\n"), -EFAULT);
  EXPECT_EQ(ret_of(m + "madvise p0 m0+0 1 populate_read\n"), -EHWPOISON);
  std::unique_ptr<World> w = run(m + "dump p0\n");
  ASSERT_EQ(w->last_outcome().dump.size(), 1u);
  EXPECT_EQ(w->last_outcome().dump[0], 0u);  // a hole
  // The zero page is off the LRU (PG_reserved): refused, poisoned, still mapped.
  std::unique_ptr<World> z = run("m0 = mmap p0 anon private rw 1\nmadvise p0 m0+0 1 hwpoison\n");
  EXPECT_EQ(z->last_outcome().ret, -EBUSY);
  EXPECT_TRUE(z->kernel().folios[model::ZERO_PFN].hwpoison);
  EXPECT_TRUE(model::is_zero_pfn(pte(*z, 0, 0, 0).pfn));
  expect_all_hold(m + "p1 = fork p0\nread p1 m0+0\nmadvise p0 m0+0 1 dontneed\nread p0 m0+0\ndump p0\n");
  expect_all_hold("m0 = mmap p0 shmem:f0 shared rw 1\nwrite p0 m0+0 0x1\nmadvise p0 m0+0 1 hwpoison\n"
                  "read p0 m0+0\ng0 = get p0 m0+0 1 HWPOISON\n");
}

// memory_failure()'s refusals (v6.18): a page off the LRU stays mapped with
// PG_hwpoison (-EBUSY); a THP it cannot split (a pin beyond its mappings)
// stays mapped as it was (-EHWPOISON, SIGBUS to the caller); a second
// MADV_HWPOISON of a poisoned page still mapped is -EHWPOISON too.
TEST(ModelA, HwpoisonRefusedPagesStayMapped) {
  const std::string drv = "m0 = mmap p0 mixedmap shared rw 1\nwrite p0 m0+0 0x5\nmadvise p0 m0+0 1 hwpoison\n";
  std::unique_ptr<World> w = run(drv);
  EXPECT_EQ(w->last_outcome().ret, -EBUSY);
  EXPECT_EQ(w->last_outcome().signal, 0);
  const model::pfn_t d = pte(*w, 0, 0, 0).pfn;
  EXPECT_TRUE(w->kernel().folios[d].driver);
  EXPECT_TRUE(w->kernel().folios[d].hwpoison);
  EXPECT_FALSE(w->kernel().folios[d].hwpoison_recovered);
  w = run(drv + "read p0 m0+0\n");
  EXPECT_EQ(w->last_outcome().value, 0x5u);  // still mapped: software poison, the data is intact
  EXPECT_EQ(w->last_outcome().signal, 0);
  w = run(drv + "madvise p0 m0+0 1 hwpoison\n");
  EXPECT_EQ(w->last_outcome().ret, -EHWPOISON);  // TestSetPageHWPoison(): already poisoned
  EXPECT_EQ(w->last_outcome().signal, model::SIGBUS_NR);
  expect_all_hold(drv + "read p0 m0+0\ng0 = get p0 m0+0 1 0\nmadvise p0 m0+0 1 hwpoison\nput g0\ndump p0\n");

  const std::string thp = "m0 = mmap p0 anon private rw 16 thp\nwrite p0 m0+0 0x1\ng0 = pin p0 m0+3 1 WRITE\n";
  w = run(thp + "madvise p0 m0+3 1 hwpoison\n");
  EXPECT_EQ(w->last_outcome().ret, -EHWPOISON);
  EXPECT_EQ(w->last_outcome().signal, model::SIGBUS_NR);
  const model::pte_table *t = model::pmd_offset(w->kernel().tasks[0].mm, w->address(0, 0));
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->pmd_leaf);  // not split: still PMD-mapped
  EXPECT_TRUE(w->kernel().folios[t->pmd_pfn + 3].hwpoison);
  // Without the pin the split succeeds and the page is unmapped (recovered).
  w = run("m0 = mmap p0 anon private rw 16 thp\nwrite p0 m0+0 0x1\nmadvise p0 m0+3 1 hwpoison\n");
  EXPECT_EQ(w->last_outcome().ret, 0);
  EXPECT_TRUE(model::pte_offset(w->kernel().tasks[0].mm, w->address(0, 3))->hwpoison);
  expect_all_hold(thp + "madvise p0 m0+3 1 hwpoison\nread p0 m0+3\np1 = fork p0\nread p1 m0+3\nunpin g0\n"
                  "madvise p0 m0+5 1 hwpoison\nmadvise p0 m0+3 1 hwpoison\nread p0 m0+5\ndump p0\n");
}

// Found by `explore --depth 5` (full alphabet): MADV_DONTNEED of a PMD-mapped
// THP in an mlocked VMA fails (-EINVAL, can_madv_lru_vma()) and must not make
// the executor believe the page was zapped (its PTE slots read as none under
// a PMD leaf), or NoLeakAcrossCow reports the kept data as a leak.
TEST(ModelA, DontneedOfAPmdLeafKeepsTheShadow) {
  expect_all_hold("m0 = mmap p0 anon private rw 16 thp\nwrite p0 m0+0 0x10\nmlock p0 m0+0 16\n"
                  "madvise p0 m0+0 1 dontneed\nread p0 m0+0\n");
}

TEST(ModelA, PagesStat) {
  EXPECT_EQ(ret_of("m0 = mmap p0 anon private rw 1\nstat p0 m0+0\n"), -ENOENT);
  EXPECT_EQ(ret_of("m0 = mmap p0 anon private rw 1\nread p0 m0+0\nstat p0 m0+0\n"), -EFAULT);  // zero page
  EXPECT_EQ(ret_of("m0 = mmap p0 anon private rw 1\nwrite p0 m0+0 0x1\nstat p0 m0+0\n"), 0);
  EXPECT_EQ(ret_of("m0 = mmap p0 pfnmap private rw 1\nstat p0 m0+0\n"), -ENOENT);
  EXPECT_EQ(ret_of("m0 = mmap p0 anon private rw 1\nstat p0 m0+1\n"), -EFAULT);  // the gap after it
}

TEST(ModelA, RemoteAccess) {
  // /proc/PID/mem forces a write into a read-only private mapping: COW.
  const std::string ro = "m0 = mmap p0 anon private r 1\nread p0 m0+0\np1 = fork p0\n";
  std::unique_ptr<World> w = run(ro + "mem_write p1 p0 m0+0 0x55\nread p0 m0+0\n");
  EXPECT_EQ(w->last_outcome().value, 0x55u);
  EXPECT_EQ(ret_of(ro + "vm_writev p1 p0 m0+0 0x55\n"), -EFAULT);  // no FOLL_FORCE
  EXPECT_EQ(ret_of("m0 = mmap p0 file:f0 shared r 1\np1 = fork p0\nmem_write p1 p0 m0+0 0x1\n"), -EIO);
  w = run("m0 = mmap p0 anon private none 1\np1 = fork p0\nmem_read p1 p0 m0+0\n");
  EXPECT_EQ(w->last_outcome().ret, 0);  // FOLL_FORCE reads PROT_NONE
  EXPECT_EQ(ret_of("m0 = mmap p0 anon private none 1\np1 = fork p0\nvm_readv p1 p0 m0+0\n"), -EFAULT);
  expect_all_hold(ro + "mem_write p1 p0 m0+0 0x55\nread p1 m0+0\nread p0 m0+0\nvm_readv p0 p1 m0+0\n");
}

TEST(ModelA, DmaThroughAPinTakenBeforeForkReachesOnlyTheParent) {
  const std::string body =
      "m0 = mmap p0 anon private rw 1\nwrite p0 m0+0 0x41\ng0 = pin p0 m0+0 1 WRITE|LONGTERM\np1 = fork p0\n"
      "dma_write g0 0x77\nread p0 m0+0\nread p1 m0+0\ndma_read g0\n";
  expect_all_hold(body);
  std::unique_ptr<World> w = run(body);
  EXPECT_EQ(w->last_outcome().values.at(0), 0x77u);
  // When fork shares the pinned page (pre-70e806e4e645) the child sees the
  // device's write: E9 catches it on the child's read.
  const model::variant_info *v = model::find_variant("fork-shares-pinned-pages");
  ASSERT_NE(v, nullptr);
  w = run("m0 = mmap p0 anon private rw 1\nwrite p0 m0+0 0x41\ng0 = pin p0 m0+0 1 WRITE|LONGTERM\np1 = fork p0\n"
          "dma_write g0 0x77\nread p1 m0+0\n",
          v->sw);
  EXPECT_FALSE(holds(*w, "NoLeakAcrossCow"));
}

// ---------------------------------------------------------------------------
// Each new invariant can fail

TEST(ModelAViolation, DriverZeroInsertRule) {
  expect_tamper_caught("m0 = mmap p0 mixedmap shared rw 1\ninsert_mixed p0 m0+0 zero\n", "DriverZeroInsertRule",
                [](World &w) { test::WorldTamper::last_outcome(w).signal = 0; });
  expect_tamper_caught("m0 = mmap p0 mixedmap private rw 1\nread p0 m0+0\n", "DriverZeroInsertRule",
                [](World &w) { test::WorldTamper::kernel(w).tasks[0].mm.forbids_zeropage = true; });
}

TEST(ModelAViolation, ForbiddenZeroPageNeverMapped) {
  expect_tamper_caught("m0 = mmap p0 anon private rw 1\nforbid_zeropage p0\nread p0 m0+0\n", "ForbiddenZeroPageNeverMapped",
                [](World &w) {
                  model::pte_t &p = pte(w, 0, 0, 0);
                  p.pfn = model::ZERO_PFN;
                  p.special = true;
                  p.write = false;
                });
  expect_tamper_caught("m0 = mmap p0 anon private rw 1\nread p0 m0+0\nforbid_zeropage p0\n", "ForbiddenZeroPageNeverMapped",
                [](World &w) { pte(w, 0, 0, 0).pfn = model::ZERO_PFN; });
}

TEST(ModelAViolation, DumpRefusesIoPfnmap) {
  expect_tamper_caught("m0 = mmap p0 pfnmap private rw 1\ndump p0\n", "DumpRefusesIoPfnmap", [](World &w) {
    ASSERT_EQ(w.last_outcome().dump_io.size(), 1u);
    test::WorldTamper::last_outcome(w).dump_io[0] = pte(w, 0, 0, 0).pfn;
  });
}

TEST(ModelAViolation, LongtermImpliesPin) {
  expect_tamper_caught("m0 = mmap p0 anon private rw 1\nwrite p0 m0+0 0x1\ng0 = pin p0 m0+0 1 LONGTERM\n",
                "LongtermImpliesPin", [](World &w) { test::WorldTamper::kernel(w).tasks[0].mm.has_pinned = false; });
}

TEST(ModelAViolation, FsdaxLongtermRefused) {
  const std::string body = "m0 = mmap p0 fsdax:f0 shared rw 1\nwrite p0 m0+0 0x1\ng0 = pin p0 m0+0 1 LONGTERM\n";
  expect_tamper_caught(body, "FsdaxLongtermRefused", [](World &w) { test::WorldTamper::gup_calls(w)[0].ret = -EFAULT; });
  expect_tamper_caught(body, "FsdaxLongtermRefused", [](World &w) {
    GupCall &g = test::WorldTamper::gup_calls(w)[0];
    g.ret = 1;
    g.pages = {pte(w, 0, 0, 0).pfn};
  });
}

TEST(ModelAViolation, LongtermWriteNoDirtyTracking) {
  const std::string body = "m0 = mmap p0 file:f0 shared rw 1\nwrite p0 m0+0 0x1\ng0 = pin p0 m0+0 1 WRITE|LONGTERM\n";
  EXPECT_EQ(run(body)->last_outcome().ret, -EFAULT);
  expect_tamper_caught(body, "LongtermWriteNoDirtyTracking", [](World &w) {
    GupCall &g = test::WorldTamper::gup_calls(w)[0];
    g.ret = 1;
    g.pages = {pte(w, 0, 0, 0).pfn};
  });
}

TEST(ModelAViolation, SecretmemNeverGup) {
  const std::string body = "m0 = mmap p0 secretmem shared rw 1\nwrite p0 m0+0 0x1\ng0 = get_fast p0 m0+0 1 0\n";
  expect_tamper_caught(body, "SecretmemNeverGup", [](World &w) { test::WorldTamper::gup_calls(w)[0].ret = -EEXIST; });
  expect_tamper_caught(body, "SecretmemNeverGup", [](World &w) {
    GupCall &g = test::WorldTamper::gup_calls(w)[0];
    g.ret = 1;
    g.nr_fast = 1;
    g.pages = {pte(w, 0, 0, 0).pfn};
  });
}

TEST(ModelAViolation, PopulateNeverForces) {
  expect_tamper_caught("m0 = mmap p0 anon private none 1\nmadvise p0 m0+0 1 populate_read\n", "PopulateNeverForces",
                [](World &w) { test::WorldTamper::last_outcome(w).ret = 0; });
  expect_tamper_caught("m0 = mmap p0 anon private rw 2\nmlock p0 m0+0 2\n", "PopulateNeverForces",
                [](World &w) { pte(w, 0, 0, 1) = model::pte_t{}; });
}

TEST(ModelAViolation, PinCoherentByValue) {
  const std::string pre = "m0 = mmap p0 anon private rw 1\nwrite p0 m0+0 0x41\ng0 = pin p0 m0+0 1 0\n";
  std::unique_ptr<World> w = run(pre + "write p0 m0+0 0x42\ndma_read g0\n");
  std::string why;
  EXPECT_TRUE(holds(*w, "PinCoherentByValue", &why)) << why;
  w = run(pre + "write p0 m0+0 0x42\n");
  test::WorldTamper::kernel(*w).folios[w->gup_calls()[0].pages[0]].data = 0x99;  // the device sees a stale copy
  w->step(parse("dma_read g0\n").ops.at(0));
  EXPECT_FALSE(holds(*w, "PinCoherentByValue", &why));
}

TEST(ModelAViolation, HwpoisonRecoveredNeverMapped) {
  const std::string m = "m0 = mmap p0 anon private rw 1\nwrite p0 m0+0 0x1\n";
  expect_tamper_caught(m + "madvise p0 m0+0 1 hwpoison\ng0 = get p0 m0+0 1 HWPOISON\n", "HwpoisonRecoveredNeverMapped",
                [](World &w) { test::WorldTamper::gup_calls(w)[0].ret = -EFAULT; });
  expect_tamper_caught(m, "HwpoisonRecoveredNeverMapped", [](World &w) {
    model::folio &f = test::WorldTamper::kernel(w).folios[pte(w, 0, 0, 0).pfn];
    f.hwpoison = f.hwpoison_recovered = true;
  });
  expect_tamper_caught(m + "madvise p0 m0+0 1 hwpoison\nread p0 m0+0\n", "HwpoisonRecoveredNeverMapped",
                [](World &w) { test::WorldTamper::last_outcome(w).signal = 0; });
}

TEST(ModelAViolation, MemoryFailureOutcome) {
  const std::string a = "m0 = mmap p0 anon private rw 1\nwrite p0 m0+0 0x1\nmadvise p0 m0+0 1 hwpoison\n";
  expect_tamper_caught(a, "MemoryFailureOutcome", [](World &w) { test::WorldTamper::last_outcome(w).ret = -EBUSY; });
  const std::string drv = "m0 = mmap p0 mixedmap shared rw 1\nwrite p0 m0+0 0x5\nmadvise p0 m0+0 1 hwpoison\n";
  expect_tamper_caught(drv, "MemoryFailureOutcome", [](World &w) { test::WorldTamper::last_outcome(w).ret = 0; });
  expect_tamper_caught(drv, "MemoryFailureOutcome",
                       [](World &w) { test::WorldTamper::kernel(w).folios[pte(w, 0, 0, 0).pfn].hwpoison = false; });
  const std::string thp = "m0 = mmap p0 anon private rw 16 thp\nwrite p0 m0+0 0x1\ng0 = pin p0 m0+3 1 WRITE\n"
                          "madvise p0 m0+3 1 hwpoison\n";
  expect_tamper_caught(thp, "MemoryFailureOutcome", [](World &w) { test::WorldTamper::last_outcome(w).signal = 0; });
  expect_tamper_caught(thp, "MemoryFailureOutcome", [](World &w) {
    model::kernel_state &k = test::WorldTamper::kernel(w);
    model::__split_huge_pmd(k, k.tasks[0].mm, *model::pmd_offset(k.tasks[0].mm, w.address(0, 3)));
    *model::pte_offset(k.tasks[0].mm, w.address(0, 3)) = model::pte_t{};
  });
}

TEST(ModelAViolation, PagesStatContract) {
  expect_tamper_caught("m0 = mmap p0 anon private rw 1\nread p0 m0+0\nstat p0 m0+0\n", "PagesStatContract",
                [](World &w) { test::WorldTamper::last_outcome(w).ret = 0; });
}

TEST(ModelAViolation, RemotePermissionAndForcedWrite) {
  const std::string ro = "m0 = mmap p0 anon private r 1\nread p0 m0+0\np1 = fork p0\n";
  expect_tamper_caught(ro + "vm_writev p1 p0 m0+0 0x5\n", "GupNeedsPermission",
                [](World &w) { test::WorldTamper::last_outcome(w).ret = 0; });
  expect_tamper_caught(ro + "mem_write p1 p0 m0+0 0x5\n", "ForcedWriteOnlyExclusiveAnon",
                [](World &w) { test::WorldTamper::kernel(w).folios[w.last_outcome().pfn].anon_exclusive = false; });
  expect_tamper_caught(ro + "mem_write p1 p0 m0+0 0x5\nmem_read p1 p0 m0+0\n", "NoLeakAcrossCow",
                [](World &w) { test::WorldTamper::last_outcome(w).value = 0x6; });
}

// ---------------------------------------------------------------------------
// tests/scenarios/: every trace with "# expect: gN VALUE" lines replays on
// mainline without a violation, and each named GUP call returns VALUE (a
// count, or -ENAME). Traces without such lines are left to the scenario
// harness.

long parse_expected(const std::string &v) {
  if (!v.empty() && v[0] == '-') {
    for (long e = 1; e < 200; e++)
      if (v.substr(1) == model::errno_name(e)) return -e;
    throw std::runtime_error("unknown errno " + v);
  }
  return std::stol(v);
}

TEST(ModelAScenarios, ExpectedGupResults) {
  const std::filesystem::path dir = std::filesystem::path(GUPCHECK_SOURCE_DIR) / "tests" / "scenarios";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  std::vector<std::filesystem::path> files;
  for (const auto &e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".trace") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  size_t checked = 0;
  for (const auto &f : files) {
    SCOPED_TRACE(f.filename().string());
    const trace::Trace t = trace::parse_trace_file(f.string());
    std::vector<std::pair<uint16_t, long>> expect;
    for (const std::string &n : t.notes) {
      if (n.rfind("expect:", 0) != 0) continue;
      std::istringstream in(n.substr(7));
      std::string g, v;
      if (!(in >> g >> v) || g.size() < 2 || g[0] != 'g') continue;
      expect.emplace_back(uint16_t(std::stoi(g.substr(1))), parse_expected(v));
    }
    if (expect.empty()) continue;
    ASSERT_EQ(trace::check_consistency(t), "");
    const RunResult r = run_trace(t, {}, InvariantSet());
    EXPECT_FALSE(r.violation.found) << r.violation.invariant << ": " << r.violation.why;
    World w;
    for (const trace::Op &op : t.ops) w.step(op);
    for (const auto &[g, want] : expect) {
      ASSERT_LT(g, w.gup_calls().size());
      EXPECT_EQ(w.gup_calls()[g].ret, want) << "g" << g;
    }
    checked++;
  }
  EXPECT_GE(checked, 20u);  // the gup_longterm.c matrix
}

// UFFDIO_CONTINUE (zoo, for SHM Dirty COW): maps the cached shmem page,
// dirty and R/O in a private mapping; refuses what mfill_atomic_pte_continue()
// refuses; every invariant holds on mainline.
TEST(ModelA, UffdContinueMapsTheShmemPageCacheDirtyReadOnly) {
  const std::string priv = "m0 = mmap p0 shmem:f0 private rw 2\nread p0 m0+0\nmadvise p0 m0+0 1 dontneed\n";
  std::unique_ptr<World> w = run(priv + "uffd_continue p0 m0+0\n");
  EXPECT_EQ(w->last_outcome().ret, 0);
  const model::pte_t &e = pte(*w, 0, 0, 0);
  EXPECT_TRUE(e.present);
  EXPECT_TRUE(e.dirty);
  EXPECT_FALSE(e.write);
  EXPECT_TRUE(w->kernel().folios[e.pfn].pagecache);
  EXPECT_EQ(run(priv + "uffd_continue p0 m0+1\n")->last_outcome().ret, -EFAULT);  // nothing cached
  EXPECT_EQ(run(priv + "uffd_continue p0 m0+0\nuffd_continue p0 m0+0\n")->last_outcome().ret, -EEXIST);
  EXPECT_EQ(run("m0 = mmap p0 anon private rw 1\nuffd_continue p0 m0+0\n")->last_outcome().ret, -EINVAL);
  // Found by the mainline fuzz campaign: a poisoned page-cache page is never mapped.
  w = run("m0 = mmap p0 shmem:anon shared rw 1\np1 = fork p0\nmadvise p1 m0+0 1 hwpoison\nuffd_continue p0 m0+0\n");
  EXPECT_EQ(w->last_outcome().ret, -EIO);
  EXPECT_TRUE(holds(*w, "HwpoisonRecoveredNeverMapped"));
  w = run("m0 = mmap p0 shmem:f0 shared rw 1\nwrite p0 m0+0 0x1\nmadvise p0 m0+0 1 dontneed\n"
          "uffd_continue p0 m0+0\n");
  EXPECT_EQ(w->last_outcome().ret, 0);
  EXPECT_TRUE(pte(*w, 0, 0, 0).write);
  expect_all_hold(priv + "uffd_continue p0 m0+0\nuffd_continue p0 m0+1\ng0 = get p0 m0+0 1 WRITE|FORCE\n"
                  "m1 = mmap p0 shmem:f0 shared rw 1\nuffd_continue p0 m1+0\n");
}

}  // namespace
}  // namespace gupcheck::props

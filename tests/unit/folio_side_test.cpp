// SPDX-License-Identifier: GPL-2.0-only
//
// The folio side of the model: KSM merging, movable/CMA memory and
// FOLL_LONGTERM's migrate-then-pin path. Each invariant of that side holds on
// an honest mainline run and is caught once the state or the result is
// tampered with.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "model/kernel.h"
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
// A World that has run every op of body.
std::unique_ptr<World> run(const std::string &body) { return test::world_after(body); }

model::pte_t &pte(World &w, int pid, uint16_t map, uint16_t page) {
  model::pte_t *p = model::pte_offset(test::WorldTamper::kernel(w).tasks[pid].mm, w.address(map, page));
  if (!p) throw std::runtime_error("no PTE table");
  return *p;
}

// ---------------------------------------------------------------------------
// Movable / CMA memory and FOLL_LONGTERM

const char *const kMovable = "m0 = mmap p0 anon private rw 4 movable\nwrite p0 m0+0 0x41\nwrite p0 m0+1 0x42\n";

TEST(LongtermMigration, PinMigratesMovableFoliesAndKeepsContents) {
  const std::string body = std::string(kMovable) + "g0 = pin p0 m0+0 2 WRITE|LONGTERM\n";
  auto w = run(body);
  const GupCall &g = w->gup_calls().at(0);
  ASSERT_EQ(g.ret, 2);
  const auto &k = w->kernel();
  for (int i = 0; i < 2; i++) {
    const pfn_t p = g.pages[i];
    EXPECT_EQ(k.folios[p].zone, model::mem_zone::normal);
    EXPECT_EQ(k.folios[p].data, 0x41u + i);
    EXPECT_EQ(pte(*w, 0, 0, i).pfn, p);  // remove_migration_ptes() pointed the PTE at the copy
  }
  // The originals were migrated away and freed.
  EXPECT_TRUE(k.folios[2].freed);
  EXPECT_EQ(k.folios[2].migrated_to, g.pages[0]);
  expect_all_hold(body + "read p0 m0+0\nunpin g0\n");
}

TEST(LongtermMigration, CmaPinAndFailureWithAnExtraReference) {
  // A FOLL_GET reference makes the migration fail: -ENOMEM, nothing pinned.
  const std::string body =
      "m0 = mmap p0 anon private rw 2 cma\nwrite p0 m0+0 0x41\ng0 = get p0 m0+0 1 0\ng1 = pin p0 m0+0 1 LONGTERM\n";
  auto w = run(body);
  EXPECT_EQ(w->gup_calls().at(1).ret, -ENOMEM);
  EXPECT_TRUE(w->gup_calls().at(1).pages.empty());
  EXPECT_EQ(w->kernel().nr_foll_pin_acquired, w->kernel().nr_foll_pin_released);
  expect_all_hold(body + "put g0\ng2 = pin_fast p0 m0+0 1 LONGTERM\nunpin g2\n");
}

TEST(LongtermMigration, FastPathFallsBackOnMovableFolios) {
  const std::string body = std::string(kMovable) + "g0 = pin_fast p0 m0+0 2 WRITE|LONGTERM\n";
  auto w = run(body);
  const GupCall &g = w->gup_calls().at(0);
  EXPECT_EQ(g.ret, 2);
  EXPECT_EQ(g.nr_fast, 0);  // try_grab_folio_fast() refused both
  expect_all_hold(body);
  // A short-term pin of the same memory takes it in place, fast.
  auto w2 = run(std::string(kMovable) + "g0 = pin_fast p0 m0+0 2 WRITE\n");
  EXPECT_EQ(w2->gup_calls().at(0).nr_fast, 2);
  EXPECT_EQ(w2->kernel().folios[w2->gup_calls().at(0).pages[0]].zone, model::mem_zone::movable);
}

TEST(LongtermMigration, ZeroPageIsPinnableThoughMovable) {
  const model::kernel_state k;
  EXPECT_EQ(k.folios[model::ZERO_PFN].zone, model::mem_zone::movable);
  EXPECT_TRUE(model::folio_is_longterm_pinnable(k.folios[model::ZERO_PFN]));
}

TEST(FolioInvariantViolation, G3SlowPathPinnedAMovableFolio) {
  const std::string body = "m0 = mmap p0 anon private rw 2\nwrite p0 m0+0 0x41\ng0 = pin p0 m0+0 1 WRITE|LONGTERM\n";
  auto w = run(body);
  std::string why;
  EXPECT_TRUE(holds(*w, "G3", &why)) << why;
  test::WorldTamper::kernel(*w).folios[w->gup_calls().at(0).pages[0]].zone = model::mem_zone::cma;
  EXPECT_FALSE(holds(*w, "G3", &why));
  EXPECT_NE(why.find("CMA"), std::string::npos) << why;
}

TEST(FolioInvariantViolation, G5FastPathPinnedAMovableFolio) {
  const std::string body =
      "m0 = mmap p0 anon private rw 2\nwrite p0 m0+0 0x41\ng0 = pin_fast p0 m0+0 1 WRITE|LONGTERM\n";
  auto w = run(body);
  ASSERT_EQ(w->gup_calls().at(0).nr_fast, 1);
  std::string why;
  EXPECT_TRUE(holds(*w, "G5", &why)) << why;
  test::WorldTamper::kernel(*w).folios[w->gup_calls().at(0).pages[0]].zone = model::mem_zone::movable;
  EXPECT_FALSE(holds(*w, "G5", &why));
  EXPECT_TRUE(holds(*w, "G3", &why));  // the slow path took nothing
}

TEST(FolioInvariantViolation, B10ZeroPageMigratedOrUnpinnable) {
  auto w = run("m0 = mmap p0 anon private rw 1\nread p0 m0+0\n");
  std::string why;
  EXPECT_TRUE(holds(*w, "B10", &why)) << why;
  test::WorldTamper::kernel(*w).folios[model::ZERO_PFN].migrated_to = 5;
  EXPECT_FALSE(holds(*w, "B10", &why));
  w = run("m0 = mmap p0 anon private rw 1\nread p0 m0+0\n");
  test::WorldTamper::kernel(*w).folios[model::ZERO_PFN].zone = model::mem_zone::cma;
  EXPECT_FALSE(holds(*w, "B10", &why));
}

TEST(FolioInvariantViolation, B11ZeroPageWrittenTo) {
  auto w = run("m0 = mmap p0 anon private rw 1\nread p0 m0+0\n");
  std::string why;
  EXPECT_TRUE(holds(*w, "B11", &why)) << why;
  test::WorldTamper::kernel(*w).folios[model::ZERO_PFN].data = 0x41;
  EXPECT_FALSE(holds(*w, "B11", &why));
}

// ---------------------------------------------------------------------------
// KSM

const char *const kKsm =
    "m0 = mmap p0 anon private rw 4\nmadvise p0 m0+0 4 mergeable\nwrite p0 m0+0 0x41\nwrite p0 m0+1 0x41\n"
    "write p0 m0+2 0\nwrite p0 m0+3 0x41\n";

TEST(Ksm, MergesZeroFilledAndIdenticalPages) {
  const std::string body = std::string(kKsm) + "ksm_merge p0\n";
  auto w = run(body);
  EXPECT_EQ(w->last_outcome().ret, 4);  // the KSM folio, two merges into it, one zero page
  const model::pte_t a = pte(*w, 0, 0, 0), b = pte(*w, 0, 0, 1), z = pte(*w, 0, 0, 2), c = pte(*w, 0, 0, 3);
  EXPECT_EQ(a.pfn, b.pfn);
  EXPECT_EQ(a.pfn, c.pfn);
  EXPECT_FALSE(a.write);
  const model::folio &kf = w->kernel().folios[a.pfn];
  EXPECT_TRUE(kf.ksm);
  EXPECT_FALSE(kf.anon_exclusive);
  EXPECT_EQ(kf.mapcount, 3);
  EXPECT_TRUE(model::is_zero_pfn(z.pfn));
  EXPECT_TRUE(z.special && z.dirty && !z.write);
  EXPECT_EQ(w->kernel().tasks[0].mm.ksm_zero_pages, 1);
  // Unmerge on write, reads see the right data, fork and exit account the zero page.
  expect_all_hold(body + "p1 = fork p0\nwrite p0 m0+0 0x43\nread p0 m0+1\nwrite p1 m0+2 7\nread p0 m0+2\n"
                      "g0 = pin p0 m0+3 1 0\nmadvise p0 m0+0 4 dontneed\nexit p1\n");
}

TEST(Ksm, NeverMergesAPinnedOrReferencedPage) {
  const std::string body = std::string(kKsm) + "g0 = pin p0 m0+1 1 WRITE\ng1 = get p0 m0+2 1 0\nksm_merge p0\n";
  auto w = run(body);
  const GupCall &g0 = w->gup_calls().at(0), &g1 = w->gup_calls().at(1);
  EXPECT_EQ(pte(*w, 0, 0, 1).pfn, g0.pages[0]);
  EXPECT_EQ(pte(*w, 0, 0, 2).pfn, g1.pages[0]);
  EXPECT_FALSE(w->kernel().folios[g0.pages[0]].ksm);
  expect_all_hold(body);
}

TEST(Ksm, RoPinOfAKsmPageUnshares) {
  const std::string body = std::string(kKsm) + "ksm_merge p0\ng0 = pin p0 m0+0 1 0\n";
  auto w = run(body);
  const pfn_t p = w->gup_calls().at(0).pages.at(0);
  EXPECT_FALSE(w->kernel().folios[p].ksm);
  EXPECT_TRUE(w->kernel().folios[p].anon_exclusive);
  expect_all_hold(body);
}

TEST(FolioInvariantViolation, E8KsmPageExclusiveOrMergedWhileHeld) {
  const std::string body = std::string(kKsm) + "ksm_merge p0\n";
  auto w = run(body);
  std::string why;
  EXPECT_TRUE(holds(*w, "E8", &why)) << why;
  test::WorldTamper::kernel(*w).folios[pte(*w, 0, 0, 0).pfn].anon_exclusive = true;
  EXPECT_FALSE(holds(*w, "E8", &why));
  // A merge that dropped a mapping of a page a GUP call holds.
  auto w2 = run(std::string(kKsm) + "g0 = get p0 m0+3 1 0\nksm_merge p0\n");
  EXPECT_TRUE(holds(*w2, "E8", &why)) << why;
  const pfn_t held = w2->gup_calls().at(0).pages[0];
  auto w3 = run(std::string(kKsm) + "g0 = get p0 m0+3 1 0\n");
  test::WorldTamper::kernel(*w3).folios[held].refcount--;  // hide the reference from write_protect_page()
  w3->step(parse("ksm_merge p0\n").ops.at(0));
  EXPECT_FALSE(holds(*w3, "E8", &why));
  EXPECT_NE(why.find("GUP holds"), std::string::npos) << why;
}

TEST(FolioInvariantViolation, B12KsmZeroPageMiscounted) {
  const std::string body = std::string(kKsm) + "ksm_merge p0\n";
  auto w = run(body);
  std::string why;
  EXPECT_TRUE(holds(*w, "B12", &why)) << why;
  test::WorldTamper::kernel(*w).tasks[0].mm.ksm_zero_pages = 0;
  EXPECT_FALSE(holds(*w, "B12", &why));
  w = run(body);
  pte(*w, 0, 0, 2).special = false;
  EXPECT_FALSE(holds(*w, "B12", &why));
}

TEST(TraceText, MmapOptionsAndAdviceRoundTrip) {
  const trace::Trace t = parse(
      "m0 = mmap p0 anon private rw 16 cma thp\nm1 = mmap p0 anon private r 2 movable\n"
      "madvise p0 m0+0 16 mergeable\nksm_merge p0\n");
  EXPECT_EQ(t.ops[0].zone, trace::MemZone::Cma);
  EXPECT_TRUE(t.ops[0].thp);
  EXPECT_EQ(t.ops[1].zone, trace::MemZone::Movable);
  EXPECT_EQ(t.ops[2].advice, trace::Advice::Mergeable);
  EXPECT_EQ(trace::parse_trace(trace::print_trace(t)), t);
  EXPECT_THROW(parse("m0 = mmap p0 anon private rw 2 movable cma\n"), trace::ParseError);
  EXPECT_THROW(parse("m0 = mmap p0 anon private rw 2 huge\n"), trace::ParseError);
  EXPECT_NE(trace::check_consistency(parse("m0 = mmap p0 file:f0 shared rw 2 movable\n")), "");
}


// ---------------------------------------------------------------------------
// THP: PMD-mapped anonymous THP and the huge zero folio

const model::pte_table &table(World &w, int pid, uint16_t map, uint16_t page) {
  const model::pte_table *t = model::pmd_offset(w.kernel().tasks[pid].mm, w.address(map, page));
  if (!t) throw std::runtime_error("no PMD");
  return *t;
}

TEST(Thp, WriteFaultMapsAPmdAndGupTakesOneReferencePerPage) {
  const std::string body = "m0 = mmap p0 anon private rw 16 thp\nwrite p0 m0+0 0x41\ng0 = pin p0 m0+14 2 WRITE\n"
                           "g1 = get_fast p0 m0+3 4 0\n";
  auto w = run(body);
  const model::pte_table &t = table(*w, 0, 0, 0);
  ASSERT_TRUE(t.pmd_leaf);
  EXPECT_TRUE(t.pmd_write);
  const model::folio &f = w->kernel().folios[t.pmd_pfn];
  EXPECT_TRUE(f.large);
  EXPECT_EQ(f.pincount, 2);
  EXPECT_EQ(f.refcount, 1 + 2 + 4);  // the PMD, two pins, four FOLL_GET references
  EXPECT_EQ(f.mapcount, 1);
  EXPECT_EQ(w->gup_calls().at(1).nr_fast, 4);  // gup_fast_pmd_leaf()
  EXPECT_EQ(w->gup_calls().at(0).pages[1], t.pmd_pfn + 15);
  EXPECT_EQ(w->kernel().tasks[0].mm.rss[model::MM_ANONPAGES], 16);
  expect_all_hold(body + "unpin g0\nput g1\nmunmap p0 m0+0 16\n");
}

TEST(Thp, ReadFaultMapsTheHugeZeroFolio) {
  const std::string body = "m0 = mmap p0 anon private rw 16 thp\nread p0 m0+3\ng0 = pin p0 m0+0 2 0\ndump p0\n";
  auto w = run(body);
  const model::pte_table &t = table(*w, 0, 0, 0);
  ASSERT_TRUE(t.pmd_leaf);
  EXPECT_TRUE(model::is_huge_zero_pfn(w->kernel(), t.pmd_pfn));
  EXPECT_FALSE(t.pmd_write);
  // A core dump treats it as holes (follow_huge_pmd() FOLL_DUMP).
  for (pfn_t p : w->last_outcome().dump) EXPECT_EQ(p, 0u);
  // A R/O long-term pin unshares it into a fresh THP.
  auto w2 = run(body + "unpin g0\ng1 = pin_fast p0 m0+0 1 LONGTERM\n");
  const model::pte_table &t2 = table(*w2, 0, 0, 0);
  EXPECT_TRUE(t2.pmd_leaf);
  EXPECT_FALSE(model::is_huge_zero_pfn(w2->kernel(), t2.pmd_pfn));
  EXPECT_TRUE(w2->kernel().folios[t2.pmd_pfn].anon_exclusive);
  expect_all_hold(body + "unpin g0\ng1 = pin_fast p0 m0+0 1 LONGTERM\nwrite p0 m0+1 0x5\n");
}

TEST(Thp, ForkSharesAnUnpinnedPmdAndCopiesAPinnedOne) {
  auto w = run("m0 = mmap p0 anon private rw 16 thp\nwrite p0 m0+0 0x41\np1 = fork p0\n");
  EXPECT_TRUE(table(*w, 0, 0, 0).pmd_leaf);
  EXPECT_TRUE(table(*w, 1, 0, 0).pmd_leaf);
  EXPECT_EQ(table(*w, 0, 0, 0).pmd_pfn, table(*w, 1, 0, 0).pmd_pfn);
  EXPECT_FALSE(table(*w, 0, 0, 0).pmd_write);
  // The first write splits the PMD (do_huge_pmd_wp_page() fallback) and copies one page.
  const std::string shared = "m0 = mmap p0 anon private rw 16 thp\nwrite p0 m0+0 0x41\np1 = fork p0\n"
                             "write p0 m0+0 0x42\nread p1 m0+0\n";
  auto w2 = run(shared);
  EXPECT_FALSE(table(*w2, 0, 0, 0).pmd_leaf);
  EXPECT_EQ(w2->last_outcome().value, 0x41u);
  expect_all_hold(shared + "g0 = pin p1 m0+2 1 0\nwrite p1 m0+2 0x7\n");
  // A pinned THP is split and copied for the child at fork.
  const std::string pinned = "m0 = mmap p0 anon private rw 16 thp\nwrite p0 m0+0 0x41\ng0 = pin p0 m0+0 16 WRITE\n"
                             "p1 = fork p0\nwrite p0 m0+0 0x42\nread p1 m0+0\n";
  auto w3 = run(pinned);
  EXPECT_EQ(w3->last_outcome().value, 0x41u);
  EXPECT_NE(pte(*w3, 1, 0, 0).pfn, w3->gup_calls().at(0).pages[0]);
  EXPECT_EQ(pte(*w3, 0, 0, 0).pfn, w3->gup_calls().at(0).pages[0]);  // the pin stays coherent
  expect_all_hold(pinned);
}

TEST(Thp, PteMappedThpAfterMprotectOfOneSubpage) {
  const std::string body = "m0 = mmap p0 anon private rw 16 thp\nwrite p0 m0+0 0x41\nmprotect p0 m0+1 1 r\n"
                           "mprotect p0 m0+1 1 rw\ng0 = pin p0 m0+0 3 0\np1 = fork p0\nwrite p0 m0+0 0x42\n"
                           "read p1 m0+0\nmadvise p0 m0+1 15 dontneed\n";
  auto w = run(body);
  EXPECT_FALSE(table(*w, 0, 0, 0).pmd_leaf);
  expect_all_hold(body);
}

TEST(Thp, ProtNoneThpIsSlowPathOnly) {
  // Found by fuzzing (seed 12): a forced populate of a PROT_NONE THP VMA maps
  // a pmd_protnone() PMD, which GUP-fast must not follow for a read.
  const std::string body = "m0 = mmap p0 anon private none 16 thp\npopulate p0 m0+0 1 WRITE|FORCE\n"
                           "g0 = pin_fast p0 m0+0 1 0\nmprotect p0 m0+0 16 rw\nwrite p0 m0+3 0x5\n";
  auto w = run(body);
  EXPECT_EQ(w->gup_calls().at(0).ret, -EFAULT);
  EXPECT_TRUE(table(*w, 0, 0, 0).pmd_leaf);
  expect_all_hold(body);
}

TEST(FolioInvariantViolation, A9PincountOrReferencesPerPage) {
  const std::string body = "m0 = mmap p0 anon private rw 16 thp\nwrite p0 m0+0 0x41\ng0 = pin p0 m0+2 3 WRITE\n";
  auto w = run(body);
  std::string why;
  EXPECT_TRUE(holds(*w, "A9", &why)) << why;
  const pfn_t head = table(*w, 0, 0, 0).pmd_pfn;
  test::WorldTamper::kernel(*w).folios[head].pincount = 1;
  EXPECT_FALSE(holds(*w, "A9", &why));
  // One reference for the whole PMD instead of one per page.
  auto w2 = run("m0 = mmap p0 anon private rw 16 thp\nwrite p0 m0+0 0x41\n");
  w2->step(parse("g0 = get p0 m0+2 3 0\n").ops.at(0));
  EXPECT_TRUE(holds(*w2, "A9", &why)) << why;
  test::WorldTamper::kernel(*w2).folios[head].refcount -= 2;
  EXPECT_FALSE(holds(*w2, "A9", &why));
}

TEST(FolioInvariantViolation, A3LargeFolioPincount) {
  auto w = run("m0 = mmap p0 anon private rw 16 thp\nwrite p0 m0+0 0x41\ng0 = pin p0 m0+0 1 WRITE\n");
  std::string why;
  EXPECT_TRUE(holds(*w, "A3", &why)) << why;
  test::WorldTamper::kernel(*w).folios[table(*w, 0, 0, 0).pmd_pfn].pincount = 0;
  EXPECT_FALSE(holds(*w, "A3", &why));
}

TEST(FolioInvariantViolation, E2WritablePmdOfASharedThp) {
  auto w = run("m0 = mmap p0 anon private rw 16 thp\nwrite p0 m0+0 0x41\np1 = fork p0\n");
  std::string why;
  EXPECT_TRUE(holds(*w, "E2", &why)) << why;
  w = run("m0 = mmap p0 anon private rw 16 thp\nwrite p0 m0+0 0x41\np1 = fork p0\n");  // no cached census
  const_cast<model::pte_table &>(table(*w, 0, 0, 0)).pmd_write = true;
  EXPECT_FALSE(holds(*w, "E2", &why));
}

}  // namespace
}  // namespace gupcheck::props

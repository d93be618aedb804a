// SPDX-License-Identifier: GPL-2.0-only
//
// The invariant registry, and that each predicate can fail: a tiny trace on
// the seed (e) variant, or a World whose kernel state is tampered with after
// a few honest steps, must be caught by the invariant in question (and the
// untampered state must not be). Realistic mainline traces hold.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "model/flags.h"
#include "model/kernel.h"
#include "model/variant.h"
#include "properties/invariants.h"
#include "properties/world.h"
#include "trace/op.h"
#include "trace/text.h"

#include "tests/unit/test_traces.h"

namespace gupcheck::props {
namespace {

using test::expect_tamper_caught;

using model::pfn_t;

const model::variant_switches &variant_sw(const std::string &name) {
  const model::variant_info *v = model::find_variant(name);
  if (!v) throw std::runtime_error("unknown variant " + name);
  return v->sw;
}

trace::Trace parse(const std::string &body, const std::string &variant = "mainline") {
  return trace::parse_trace("# gupcheck trace v1\n# model: " + variant + "\n" + body);
}

// A world that has run every op of `body`.
std::unique_ptr<World> world_after(const std::string &body, const std::string &variant = "mainline") {
  const trace::Trace t = parse(body, variant);
  const std::string why = trace::check_consistency(t);
  if (!why.empty()) throw std::runtime_error("inconsistent test trace: " + why);
  auto w = std::make_unique<World>(variant_sw(variant));
  for (const trace::Op &op : t.ops) w->step(op);
  return w;
}

const Invariant &inv(const std::string &name) {
  const Invariant *i = find_invariant(name);
  if (!i) throw std::runtime_error("no invariant " + name);
  return *i;
}

bool holds(const World &w, const std::string &name, std::string *why_out = nullptr) {
  std::string why;
  const bool ok = inv(name).check(w, why);
  if (why_out) *why_out = why;
  return ok;
}

model::kernel_state &K(World &w) { return test::WorldTamper::kernel(w); }
model::pte_t &pte(World &w, int pid, uint16_t map, uint16_t page) {
  model::pte_t *p = model::pte_offset(K(w).tasks[pid].mm, w.address(map, page));
  if (!p) throw std::runtime_error("no PTE table");
  return *p;
}

// ---------------------------------------------------------------------------
// The registry

TEST(InvariantRegistry, NamesAndIdsAreUniqueAndDocumented) {
  const auto &all = all_invariants();
  ASSERT_GE(all.size(), 10u);
  EXPECT_STREQ(all.front().name, "TypeOK");
  std::set<std::string> names, ids;
  for (const Invariant &i : all) {
    ASSERT_NE(i.name, nullptr);
    ASSERT_NE(i.id, nullptr);
    EXPECT_TRUE(names.insert(i.name).second) << "duplicate name " << i.name;
    EXPECT_TRUE(ids.insert(i.id).second) << "duplicate id " << i.id;
    EXPECT_NE(i.statement, nullptr);
    EXPECT_NE(i.source, nullptr);
    if (i.statement) {
      EXPECT_GT(std::string(i.statement).size(), 10u) << i.name;
    }
    if (i.source) {
      EXPECT_FALSE(std::string(i.source).empty()) << i.name;
    }
    EXPECT_NE(i.check, nullptr) << i.name;
  }
  // No id is another invariant's name (find_invariant() takes both).
  for (const Invariant &i : all)
    for (const Invariant &j : all)
      if (&i != &j) {
        EXPECT_STRNE(i.id, j.name);
      }
}

TEST(InvariantRegistry, FindByNameAndId) {
  for (const Invariant &i : all_invariants()) {
    EXPECT_EQ(find_invariant(i.name), &i);
    EXPECT_EQ(find_invariant(i.id), &i);
  }
  ASSERT_NE(find_invariant("A6"), nullptr);
  EXPECT_STREQ(find_invariant("A6")->name, "RefcountMatchesHolders");
  ASSERT_NE(find_invariant("ZeroPageNeverRefcounted"), nullptr);
  EXPECT_STREQ(find_invariant("ZeroPageNeverRefcounted")->id, "B5");
  EXPECT_EQ(find_invariant("NoSuchInvariant"), nullptr);
  EXPECT_EQ(find_invariant(""), nullptr);
  EXPECT_EQ(find_invariant("a6"), nullptr);  // exact names only
}

TEST(InvariantRegistry, SelectRejectsUnknownNames) {
  const size_t n = all_invariants().size();
  InvariantSet s;
  EXPECT_EQ(s.selected().size(), n - 2);  // all but TypeOK and Expectation, which are always checked
  for (const Invariant *i : s.selected()) EXPECT_STRNE(i->name, "TypeOK");
  for (const Invariant *i : s.selected()) EXPECT_STRNE(i->name, "Expectation");

  EXPECT_EQ(s.select({"A6", "NoSuchInvariant", "B5"}), "NoSuchInvariant");
  EXPECT_EQ(s.selected().size(), n - 2);  // unchanged by a refused selection
  EXPECT_EQ(s.select({"nope"}), "nope");

  EXPECT_EQ(s.select({"ZeroPageNeverRefcounted", "A6", "B5", "TypeOK"}), "");
  ASSERT_EQ(s.selected().size(), 2u);
  // Registry order, duplicates (by name or id) merged, TypeOK implicit.
  EXPECT_STREQ(s.selected()[0]->name, "RefcountMatchesHolders");
  EXPECT_STREQ(s.selected()[1]->name, "ZeroPageNeverRefcounted");

  EXPECT_EQ(s.select({"all"}), "");
  EXPECT_EQ(s.selected().size(), n - 2);
}

// ---------------------------------------------------------------------------
// Violations on the seed (e) variant

const char *const kInsertZero = "m0 = mmap p0 mixedmap private rw 1\ninsert_page p0 m0+0 zero\n";

RunResult run_selected(const std::string &body, const std::string &variant, const std::string &name) {
  InvariantSet s;
  if (!s.select({name}).empty()) throw std::runtime_error("unknown invariant " + name);
  return run_trace(parse(body, variant), variant_sw(variant), s);
}

TEST(InvariantViolation, ZeroPageRefcountedOnInsertInTheVariant) {
  for (const char *name : {"ZeroPageNeverRefcounted", "ZeroPageAlwaysSpecial"}) {
    SCOPED_TRACE(name);
    const RunResult bad = run_selected(kInsertZero, "zero-page-mixedmap-refcount", name);
    EXPECT_TRUE(bad.violation.found);
    EXPECT_FALSE(bad.violation.internal);
    EXPECT_EQ(bad.violation.invariant, name);
    EXPECT_EQ(bad.violation.step, 1u);
    EXPECT_FALSE(bad.violation.why.empty());
    const RunResult good = run_selected(kInsertZero, "mainline", name);
    EXPECT_FALSE(good.violation.found) << good.violation.why;
    EXPECT_EQ(good.steps_run, 2u);
  }
  // The driver's read fault takes the same path.
  const RunResult r = run_selected("m0 = mmap p0 mixedmap private rw 1\nread p0 m0+0\n",
                                   "zero-page-mixedmap-refcount", "ZeroPageNeverRefcounted");
  EXPECT_TRUE(r.violation.found);
}

TEST(InvariantViolation, ZeroPageMappedWritableInASharedVariantMapping) {
  const char *const body = "m0 = mmap p0 mixedmap shared rw 1\ninsert_page p0 m0+0 zero\n";
  const RunResult bad = run_selected(body, "zero-page-mixedmap-refcount", "ZeroPageNeverWritable");
  EXPECT_TRUE(bad.violation.found);
  EXPECT_EQ(bad.violation.step, 1u);
  // Mainline refuses the insertion (vm_mixed_zeropage_allowed()).
  EXPECT_FALSE(run_selected(body, "mainline", "ZeroPageNeverWritable").violation.found);
}

TEST(InvariantViolation, RssLeaksWhenTheVariantUnmapsTheZeroPage) {
  const std::string body = std::string(kInsertZero) + "munmap p0 m0+0 1\n";
  const RunResult bad = run_selected(body, "zero-page-mixedmap-refcount", "RssExcludesSpecial");
  EXPECT_TRUE(bad.violation.found);
  EXPECT_EQ(bad.violation.step, 2u);
  EXPECT_FALSE(run_selected(body, "mainline", "RssExcludesSpecial").violation.found);
}

// ---------------------------------------------------------------------------
// Violations by tampering with the model's state

const char *const kWritten = "m0 = mmap p0 anon private rw 2\nwrite p0 m0+0 0x41\n";
const char *const kZero = "m0 = mmap p0 anon private rw 2\nread p0 m0+0\n";
const char *const kPinned = "m0 = mmap p0 anon private rw 2\nwrite p0 m0+0 0x41\ng0 = pin p0 m0+0 1 WRITE\n";

pfn_t written_pfn(World &w) { return pte(w, 0, 0, 0).pfn; }

TEST(InvariantViolation, RefcountMatchesHolders) {
  expect_tamper_caught(kWritten, "RefcountMatchesHolders", [](World &w) { K(w).folios[written_pfn(w)].refcount++; });
  expect_tamper_caught(kPinned, "RefcountMatchesHolders",
                       [](World &w) { K(w).folios[written_pfn(w)].refcount -= model::GUP_PIN_COUNTING_BIAS; });
}

TEST(InvariantViolation, PteReferencesAccounted) {
  expect_tamper_caught(kWritten, "PteReferencesAccounted", [](World &w) { K(w).folios[written_pfn(w)].mapcount++; });
}

TEST(InvariantViolation, ZeroPageNeverWritable) {
  expect_tamper_caught(kZero, "ZeroPageNeverWritable", [](World &w) { pte(w, 0, 0, 0).write = true; });
}

TEST(InvariantViolation, ZeroPageAlwaysSpecial) {
  expect_tamper_caught(kZero, "ZeroPageAlwaysSpecial", [](World &w) { pte(w, 0, 0, 0).special = false; });
}

TEST(InvariantViolation, ZeroPageNeverRefcounted) {
  expect_tamper_caught(kZero, "ZeroPageNeverRefcounted", [](World &w) { K(w).folios[model::ZERO_PFN].refcount++; });
}

TEST(InvariantViolation, RssExcludesSpecial) {
  expect_tamper_caught(kZero, "RssExcludesSpecial", [](World &w) { K(w).tasks[0].mm.rss[model::MM_ANONPAGES]++; });
}

TEST(InvariantViolation, PinnedAnonIsExclusive) {
  expect_tamper_caught(kPinned, "PinnedAnonIsExclusive",
                       [](World &w) { K(w).folios[written_pfn(w)].anon_exclusive = false; });
}

TEST(InvariantViolation, MaybePinnedNoFalseNegatives) {
  expect_tamper_caught(kPinned, "MaybePinnedNoFalseNegatives", [](World &w) { K(w).folios[written_pfn(w)].refcount = 2; });
}

TEST(InvariantViolation, HasPinnedSticky) {
  expect_tamper_caught(kPinned, "HasPinnedSticky", [](World &w) { K(w).tasks[0].mm.has_pinned = false; });
}

TEST(InvariantViolation, WritableAnonIsExclusive) {
  const std::string body = std::string(kWritten) + "p1 = fork p0\n";
  expect_tamper_caught(body, "WritableAnonIsExclusive", [](World &w) { pte(w, 0, 0, 0).write = true; });
}

TEST(InvariantViolation, PinnedPageNotSharedAtFork) {
  const std::string body = std::string(kPinned) + "p1 = fork p0\n";
  expect_tamper_caught(body, "PinnedPageNotSharedAtFork", [](World &w) {
    const int child = w.pid_of(1);
    pte(w, child, 0, 0).pfn = pte(w, 0, 0, 0).pfn;  // as if fork had shared the pinned page
  });
}

TEST(InvariantViolation, NoKernelWarning) {
  expect_tamper_caught(kWritten, "NoKernelWarning", [](World &w) { model::warn(K(w), "test warning"); });
}

TEST(InvariantViolation, ZapSpecialOnlyClears) {
  const char *const body = "m0 = mmap p0 mixedmap shared rw 1\nread p0 m0+0\n";  // a driver page
  expect_tamper_caught(body, "ZapSpecialOnlyClears", [](World &w) {
    model::folio &f = K(w).folios[pte(w, 0, 0, 0).pfn];
    ASSERT_TRUE(f.driver);
    f.refcount = 0;
    f.freed = true;
  });
}

TEST(InvariantViolation, PagesAreHeld) {
  const std::string body = std::string(kWritten) + "g0 = get p0 m0+0 1 0\n";
  expect_tamper_caught(body, "PagesAreHeld", [](World &w) { K(w).folios[written_pfn(w)].freed = true; });
}

TEST(InvariantViolation, GupReturnsMappedPage) {
  const std::string body = std::string(kWritten) + "write p0 m0+1 0x42\ng0 = get p0 m0+0 1 0\n";
  expect_tamper_caught(body, "GupReturnsMappedPage",
                       [](World &w) { pte(w, 0, 0, 0).pfn = pte(w, 0, 0, 1).pfn; });
}

TEST(InvariantViolation, PfnmapNeverNormal) {
  expect_tamper_caught("m0 = mmap p0 pfnmap private rw 2\n", "PfnmapNeverNormal",
                       [](World &w) { pte(w, 0, 0, 1).special = false; });
}

TEST(InvariantViolation, NoLeakAcrossCow) {
  const std::string body = std::string(kWritten) + "read p0 m0+0\n";
  std::unique_ptr<World> w = world_after(body);
  std::string why;
  EXPECT_TRUE(holds(*w, "NoLeakAcrossCow", &why)) << why;
  w = world_after(kWritten);
  K(*w).folios[written_pfn(*w)].data = 0x99;  // private memory changed behind the owner's back
  w->step(parse("read p0 m0+0\n").ops.at(0));
  EXPECT_FALSE(holds(*w, "NoLeakAcrossCow", &why));
  EXPECT_NE(why.find("0x99"), std::string::npos) << why;
}

TEST(InvariantViolation, TypeOkFailureIsAModelBug) {
  const char *const body = "m0 = mmap p0 anon private rw 1\nm1 = mmap p0 anon private rw 1\n";
  std::unique_ptr<World> w = world_after(body);
  EXPECT_FALSE(InvariantSet().check(*w, 1).found);
  auto &vmas = K(*w).tasks[0].mm.vmas;
  ASSERT_EQ(vmas.size(), 2u);
  std::swap(vmas[0], vmas[1]);
  for (const std::vector<std::string> &sel : {std::vector<std::string>{"all"}, {"A6"}}) {
    InvariantSet s;
    ASSERT_EQ(s.select(sel), "");
    const Violation v = s.check(*w, 1);
    EXPECT_TRUE(v.found);
    EXPECT_TRUE(v.internal);
    EXPECT_EQ(v.invariant, "TypeOK");
  }
  std::string why;
  EXPECT_FALSE(holds(*w, "TypeOK", &why));
  EXPECT_FALSE(why.empty());

  // A PTE outside every VMA is ill-formed too.
  w = world_after(kWritten);
  K(*w).tasks[0].mm.vmas.clear();
  EXPECT_TRUE(InvariantSet().check(*w, 1).internal);
}

// ---------------------------------------------------------------------------
// Realistic mainline traces hold every invariant

const char *const kMainlineTraces[] = {
    // COW, pins and fork (cow.c-like).
    R"(m0 = mmap p0 anon private rw 4
write p0 m0+0 0x41
read p0 m0+1
g0 = pin p0 m0+0 2 WRITE|LONGTERM
p1 = fork p0
write p1 m0+0 0x42
read p0 m0+0
write p0 m0+0 0x43
read p1 m0+0
g1 = get p1 m0+0 1 0
exit p1
unpin g0
put g1
write p0 m0+2 0x44
p2 = fork p0
g2 = pin p2 m0+2 1 0
write p0 m0+2 0x45
read p2 m0+2
unpin g2
)",
    // The zero page through every GUP entry point, a core dump, munmap.
    R"(m0 = mmap p0 anon private rw 3
read p0 m0+0
g0 = pin p0 m0+0 1 0
g1 = get_fast p0 m0+0 1 0
g2 = pin_fast p0 m0+1 1 LONGTERM
g3 = get p0 m0+0 1 DUMP
dump p0
unpin g0
put g1
unpin g2
write p0 m0+0 0x5
uffd_zeropage p0 m0+2
dump p0
munmap p0 m0+0 3
)",
    // Drivers: MIXEDMAP inserts and faults, PFNMAP COW, fork of both.
    R"(m0 = mmap p0 mixedmap private rw 3
insert_page p0 m0+0 zero
insert_mixed p0 m0+1 dev
read p0 m0+2
g0 = get p0 m0+0 3 0
populate p0 m0+0 3 0
m1 = mmap p0 pfnmap private rw 2
read p0 m1+0
write p0 m1+1 0x5
g1 = pin p0 m1+0 1 0
m2 = mmap p0 mixedmap shared rw 2
insert_page p0 m2+0 page
write p0 m2+1 0x6
dump p0
p1 = fork p0
write p1 m1+1 0x7
munmap p0 m0+0 3
exit p1
put g0
)",
    // Files, shmem, forced writes, mprotect, madvise.
    R"(m0 = mmap p0 file:f0 shared rw 2
write p0 m0+0 0x7
g0 = pin p0 m0+0 1 WRITE|LONGTERM
g1 = pin p0 m0+0 1 WRITE
m1 = mmap p0 shmem:f1 shared rw 1
g2 = pin_fast p0 m1+0 1 WRITE|LONGTERM
m2 = mmap p0 file:f0 private r 2
g3 = get p0 m2+0 2 WRITE|FORCE
m3 = mmap p0 anon private rw 2
uffd_zeropage p0 m3+0
mprotect p0 m3+0 2 r
g4 = pin p0 m3+0 2 LONGTERM
mprotect p0 m3+0 2 rw
write p0 m3+1 0x9
madvise p0 m3+0 2 dontneed
m4 = mmap p0 shmem:anon shared rw 1
write p0 m4+0 0x8
p1 = fork p0
read p1 m4+0
put g3
unpin g1
unpin g2
unpin g4
)",
};

TEST(InvariantMainline, RealisticTracesHold) {
  for (const char *body : kMainlineTraces) {
    const trace::Trace t = parse(body);
    ASSERT_EQ(trace::check_consistency(t), "") << body;
    const RunResult r = run_trace(t, {}, InvariantSet());
    EXPECT_FALSE(r.violation.found) << "step " << r.violation.step << ": " << r.violation.invariant << ": "
                                    << r.violation.why << "\n" << body;
    EXPECT_EQ(r.steps_run, t.ops.size());
  }
}

}  // namespace
}  // namespace gupcheck::props

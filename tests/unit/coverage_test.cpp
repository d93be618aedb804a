// SPDX-License-Identifier: GPL-2.0-only
//
// The coverage invariants (C2 C5 C6 C7 C8 D3 D5 E4 E7 H1 H2 H5) hold on honest
// mainline steps and fail once the state or the recorded result is tampered
// with; the witnesses are reached by tiny traces; expectations ("=> X") parse,
// print, round-trip through JSON and fail a run when they do not match.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "model/flags.h"
#include "model/kernel.h"
#include "properties/invariants.h"
#include "properties/stats.h"
#include "properties/witness.h"
#include "properties/world.h"
#include "tests/unit/test_traces.h"
#include "trace/json.h"
#include "trace/text.h"

namespace gupcheck::props {
namespace {

using model::pfn_t;
using test::holds;
using test::parse;
using test::world_after;
using test::expect_tamper_caught;

model::kernel_state &K(World &w) { return test::WorldTamper::kernel(w); }
model::pte_t &pte(World &w, uint16_t proc, uint16_t map, uint16_t page) {
  model::pte_t *p = model::pte_offset(K(w).tasks[w.pid_of(proc)].mm, w.address(map, page));
  if (!p) throw std::runtime_error("no PTE table");
  return *p;
}
model::vm_area_struct &vma(World &w, uint16_t map) {
  return *model::find_vma(K(w).tasks[0].mm, w.address(map, 0));
}

const std::string kWritten = "m0 = mmap p0 anon private rw 2\nwrite p0 m0+0 0x41\n";

TEST(CoverageInvariants, C2RemapCoversCowVma) {
  const std::string body = "m0 = mmap p0 pfnmap private rw 2\n";
  expect_tamper_caught(body, "RemapCoversCowVma", [](World &w) { vma(w, 0).vm_flags &= ~model::VM_DONTDUMP; });
  expect_tamper_caught(body, "RemapCoversCowVma", [](World &w) { pte(w, 0, 0, 1).pfn = pte(w, 0, 0, 0).pfn; });
  expect_tamper_caught(body, "RemapCoversCowVma", [](World &w) { pte(w, 0, 0, 1) = model::pte_t{}; });
}

TEST(CoverageInvariants, C5GupFastRejectsSpecial) {
  expect_tamper_caught(kWritten + "g0 = pin_fast p0 m0+0 1 0\n", "GupFastRejectsSpecial",
                [](World &w) { pte(w, 0, 0, 0).special = true; });
}

TEST(CoverageInvariants, C6MixedmapPagesRefcounted) {
  const std::string page = "m0 = mmap p0 mixedmap private rw 2\ninsert_page p0 m0+0 page\n";
  expect_tamper_caught(page, "MixedmapPagesRefcounted", [](World &w) { K(w).folios[pte(w, 0, 0, 0).pfn].mapcount = 0; });
  expect_tamper_caught(page, "MixedmapPagesRefcounted", [](World &w) { vma(w, 0).vm_flags |= model::VM_PFNMAP; });
  expect_tamper_caught("m0 = mmap p0 mixedmap private rw 2\ninsert_mixed p0 m0+0 dev\n", "MixedmapPagesRefcounted",
                [](World &w) { pte(w, 0, 0, 0).special = false; });
}

TEST(CoverageInvariants, C7ForkCopiesSpecialPtes) {
  const std::string body = "m0 = mmap p0 pfnmap private rw 2\np1 = fork p0\n";
  expect_tamper_caught(body, "ForkCopiesSpecialPtes", [](World &w) { pte(w, 1, 0, 1) = model::pte_t{}; });
  expect_tamper_caught(body, "ForkCopiesSpecialPtes", [](World &w) { pte(w, 1, 0, 0).special = false; });
}

TEST(CoverageInvariants, C8CowOfPfnCopies) {
  const std::string dev = "m0 = mmap p0 mixedmap private rw 2\ninsert_mixed p0 m0+0 dev\n";
  expect_tamper_caught(dev + "write p0 m0+0 0x41\n", "CowOfPfnCopies",
                [](World &w) { K(w).folios[pte(w, 0, 0, 0).pfn].data = 0x99; });
  expect_tamper_caught(dev + "write p0 m0+0 0x41\n", "CowOfPfnCopies",
                [](World &w) { K(w).folios[pte(w, 0, 0, 0).pfn].anon_exclusive = false; });
  // Through GUP the copy must hold the device's content.
  expect_tamper_caught(dev + "g0 = get p0 m0+0 1 WRITE\n", "CowOfPfnCopies", [](World &w) { K(w).device_mem[0] = 7; });
  // A private PFNMAP's raw pages are struct-page-less sources too.
  expect_tamper_caught("m0 = mmap p0 pfnmap private rw 1\nwrite p0 m0+0 0x5\n", "CowOfPfnCopies",
                [](World &w) { pte(w, 0, 0, 0).special = true; });
}

TEST(CoverageInvariants, D3GupErrorCodes) {
  expect_tamper_caught("m0 = mmap p0 pfnmap private rw 2\ng0 = get p0 m0+0 1 0\n", "GupErrorCodes",
                [](World &w) { test::WorldTamper::gup(w, 0).ret = -ENOMEM; });
  expect_tamper_caught(kWritten + "g0 = get p0 m0+1 1 NOFAULT\n", "GupErrorCodes",
                [](World &w) { test::WorldTamper::gup(w, 0).ret = -EHWPOISON; });
  expect_tamper_caught(kWritten + "g0 = get p0 m0+1 1 NOFAULT\n", "GupErrorCodes",
                [](World &w) { test::WorldTamper::gup(w, 0).ret = -EEXIST; });
}

TEST(CoverageInvariants, D5FastSlowComposition) {
  expect_tamper_caught(kWritten + "g0 = pin_fast p0 m0+0 2 0\n", "FastSlowComposition", [](World &w) {
    GupCall &g = test::WorldTamper::gup(w, 0);
    ASSERT_EQ(g.nr_fast, 1);
    g.ret = -EFAULT;
    g.pages.clear();
  });
}

const std::string kShared = "m0 = mmap p0 anon private rw 1\nwrite p0 m0+0 0x41\np1 = fork p0\n";

TEST(CoverageInvariants, E4RoPinUnshares) {
  expect_tamper_caught(kShared + "g0 = pin p0 m0+0 1 0\n", "RoPinUnshares",
                [](World &w) { K(w).folios[w.gup_calls()[0].pages[0]].anon_exclusive = false; });
  expect_tamper_caught(kShared + "g0 = pin p0 m0+0 1 0\n", "RoPinUnshares", [](World &w) { pte(w, 0, 0, 0).write = true; });
  expect_tamper_caught(kShared + "g0 = get p0 m0+0 1 0\n", "RoPinUnshares",
                [](World &w) { test::WorldTamper::gup(w, 0).pages[0] = pte(w, 0, 0, 0).pfn + 100; });
  expect_tamper_caught(kShared + "g0 = get p0 m0+0 1 0\n", "RoPinUnshares",
                [](World &w) { K(w).faults.push_back({0, 0, model::FAULT_FLAG_UNSHARE}); });
}

TEST(CoverageInvariants, E7UnshareExcludesWrite) {
  // A real unshare fault holds.
  std::unique_ptr<World> w = world_after(kShared + "g0 = pin p0 m0+0 1 0\n");
  ASSERT_FALSE(w->kernel().faults.empty());
  EXPECT_TRUE(w->kernel().faults.back().flags & model::FAULT_FLAG_UNSHARE);
  EXPECT_TRUE(holds(*w, "UnshareExcludesWrite"));
  expect_tamper_caught(kShared + "g0 = pin p0 m0+0 1 0\n", "UnshareExcludesWrite",
                [](World &w) { K(w).faults.back().flags |= model::FAULT_FLAG_WRITE; });
  expect_tamper_caught(kWritten, "UnshareExcludesWrite",
                [](World &w) { K(w).faults.push_back({0, 0, model::FAULT_FLAG_UNSHARE}); });
}

TEST(CoverageInvariants, H1H2GupNeedsPermission) {
  expect_tamper_caught("m0 = mmap p0 anon private r 1\ng0 = get p0 m0+0 1 WRITE|FORCE\n", "GupNeedsPermission",
                [](World &w) { test::WorldTamper::gup(w, 0).op.gup_flags = model::FOLL_WRITE; });
  expect_tamper_caught("m0 = mmap p0 anon private none 1\ng0 = get p0 m0+0 1 FORCE\n", "GupReadNeedsPermission",
                [](World &w) { test::WorldTamper::gup(w, 0).op.gup_flags = 0; });
}

TEST(CoverageInvariants, H5ProtnoneFollowRule) {
  const std::string none = kWritten + "mprotect p0 m0+0 1 none\ng0 = pin_fast p0 m0+0 1 FORCE\n";
  {
    std::unique_ptr<World> w = world_after(none);
    EXPECT_EQ(w->gup_calls()[0].ret, 1);
    EXPECT_EQ(w->gup_calls()[0].nr_fast, 0);  // GUP-fast left the protnone PTE to the slow path
  }
  expect_tamper_caught(none, "ProtnoneFollowRule", [](World &w) { test::WorldTamper::gup(w, 0).nr_fast = 1; });
  expect_tamper_caught(kWritten + "g0 = pin p0 m0+0 1 0\n", "ProtnoneFollowRule", [](World &w) {
    pte(w, 0, 0, 0).protnone = true;  // a NUMA-hinting PTE in an accessible VMA
    test::WorldTamper::gup(w, 0).op.gup_flags |= model::FOLL_HONOR_NUMA_FAULT;
  });
}

// ---------------------------------------------------------------------------
// Witnesses

TEST(Witnesses, TinyTracesReachEach) {
  const struct {
    const char *name;
    std::string body;
  } cases[] = {
      {"PinnedPageAtFork", kWritten + "g0 = pin p0 m0+0 1 WRITE\np1 = fork p0\n"},
      {"ZeroPageUnderRoLongtermPin", "m0 = mmap p0 anon private rw 1\nread p0 m0+0\ng0 = pin p0 m0+0 1 LONGTERM\n"},
      {"CowInPrivatePfnmap", "m0 = mmap p0 pfnmap private rw 1\nwrite p0 m0+0 0x5\n"},
      {"ZeroPfnInMixedmap", "m0 = mmap p0 mixedmap private rw 1\nread p0 m0+0\n"},
      {"GupSpansVmas", "m0 = mmap p0 anon private rw 2\nmprotect p0 m0+0 1 r\ng0 = pin p0 m0+0 2 0\n"},
      {"DumpOverHoles", kWritten + "dump p0\n"},
      {"ZeroPageLongtermPinnedShared", "m0 = mmap p0 mixedmap shared r 1 rdonly\nread p0 m0+0\ng0 = pin p0 m0+0 1 LONGTERM\n"},
      {"RefusedPoisonStaysMapped", "m0 = mmap p0 mixedmap shared rw 1\nwrite p0 m0+0 0x5\nmadvise p0 m0+0 1 hwpoison\n"},
      {"UnsplittableThpPoisoned",
       "m0 = mmap p0 anon private rw 16 thp\nwrite p0 m0+0 0x1\ng0 = pin p0 m0+3 1 0\nmadvise p0 m0+3 1 hwpoison\n"},
  };
  ASSERT_EQ(std::size(cases) + 1, all_witnesses().size());  // + KsmZeroPageWritten (pending), below
  for (const auto &c : cases) {
    SCOPED_TRACE(c.name);
    std::string why;
    // Not reached one step before the end...
    trace::Trace t = parse(c.body);
    World w;
    for (size_t i = 0; i + 1 < t.ops.size(); i++) w.step(t.ops[i]);
    EXPECT_TRUE(holds(w, c.name, &why)) << why;
    // ...reached by the last step, and reported by a run that selects it.
    w.step(t.ops.back());
    EXPECT_FALSE(holds(w, c.name, &why));
    InvariantSet s;
    ASSERT_EQ(s.select({c.name}), "");
    const RunResult r = run_trace(t, {}, s);
    EXPECT_TRUE(r.violation.found);
    EXPECT_EQ(r.violation.invariant, c.name);
    EXPECT_EQ(r.violation.step, t.ops.size() - 1);
  }
  // A default selection never stops on a witness.
  for (const auto &c : cases) EXPECT_FALSE(run_trace(parse(c.body), {}, InvariantSet()).violation.found) << c.name;
}

// A KSM zero page is the zero pfn mapped by a dirty PTE (is_ksm_zero_pte()):
// a ksmd pass with use_zero_pages places it over a zero-filled mergeable page.
TEST(Witnesses, KsmZeroPageWrittenOnceKsmPlacesOne) {
  const trace::Trace plain_t = parse("m0 = mmap p0 anon private rw 1\nread p0 m0+0\nwrite p0 m0+0 0x7\n");
  World plain;
  for (const trace::Op &op : plain_t.ops) plain.step(op);
  EXPECT_TRUE(holds(plain, "KsmZeroPageWritten"));  // a fault-time zero page is not a KSM one
  const trace::Trace t = parse(
      "m0 = mmap p0 anon private rw 1\nmadvise p0 m0+0 1 mergeable\nwrite p0 m0+0 0x0\nksm_merge p0\n"
      "write p0 m0+0 0x7\n");
  World w;
  for (size_t i = 0; i + 1 < t.ops.size(); i++) {
    w.step(t.ops[i]);
    EXPECT_TRUE(holds(w, "KsmZeroPageWritten")) << "step " << i;
  }
  EXPECT_TRUE(is_ksm_zero_pte(pte(w, 0, 0, 0)));  // the merge placed it
  w.step(t.ops.back());
  std::string why;
  EXPECT_FALSE(holds(w, "KsmZeroPageWritten", &why));
  EXPECT_NE(why.find("KSM zero page"), std::string::npos) << why;
  for (const auto &p : pending_witnesses()) EXPECT_NE(std::string(p.name), "KsmZeroPageWritten");
}

TEST(Witnesses, RegistryIsSeparateAndDocumented) {
  for (const auto &w : all_witnesses()) {
    EXPECT_EQ(std::string(w.id).rfind("W", 0), 0u) << w.name;
    EXPECT_EQ(find_invariant(w.name), &w);
    EXPECT_EQ(find_invariant(w.id), &w);
    const InvariantSet all;
    for (const Invariant *i : all.selected()) EXPECT_NE(i, &w);
    EXPECT_NE(std::string(w.statement).find("Witness"), std::string::npos);
  }
}

TEST(Stats, CountsOpsOutcomesAndWitnesses) {
  Stats st;
  trace::Trace t = parse(kWritten + "g0 = pin p0 m0+0 1 WRITE\ng1 = get p0 m0+5 1 0\np1 = fork p0\n");
  run_trace(t, {}, InvariantSet(), [&](const World &w) { st.record_step(w); });
  st.end_case();
  EXPECT_EQ(st.cases, 1);
  EXPECT_EQ(st.steps, 5);
  EXPECT_EQ(st.ops().at("pin"), 1);
  EXPECT_EQ(st.ops().at("get"), 1);
  EXPECT_EQ(st.gup_outcomes().at("n == nr_pages"), 1);
  EXPECT_EQ(st.gup_outcomes().at("-EFAULT"), 1);
  EXPECT_EQ(st.witness_steps.at(0), 1);  // PinnedPageAtFork
  EXPECT_EQ(st.witness_cases.at(0), 1);
  EXPECT_NE(st.table().find("PinnedPageAtFork"), std::string::npos);
  EXPECT_NE(st.table().find("-EFAULT"), std::string::npos);
  EXPECT_EQ(Stats::outcome_label(1, 3), "0 < n < nr_pages");
  EXPECT_EQ(Stats::outcome_label(-EOPNOTSUPP, 3), "-EOPNOTSUPP");
}

// ---------------------------------------------------------------------------
// Expectations

TEST(Expectations, ParsePrintAndJsonRoundTrip) {
  const std::string body =
      "m0 = mmap p0 anon private rw 2 => 0\n"
      "write p0 m0+0 0x41\n"
      "read p0 m0+0 => 0x41\n"
      "g0 = pin p0 m0+0 2 WRITE|LONGTERM => 2\n"
      "g1 = get p0 m0+9 1 0 => -EFAULT\n"
      "g2 = get p0 m0+0 1 0 &\n"
      "wait g2 => 1\n"
      "write p0 m0+9 0x1 => SIGSEGV\n";
  const trace::Trace t = parse(body);
  EXPECT_EQ(t.ops[2].expect, trace::ExpectKind::Value);
  EXPECT_EQ(t.ops[2].expect_value, 0x41);
  EXPECT_EQ(t.ops[3].expect, trace::ExpectKind::Ret);
  EXPECT_EQ(t.ops[4].expect_value, -EFAULT);
  EXPECT_EQ(t.ops[7].expect, trace::ExpectKind::Signal);
  EXPECT_EQ(trace::print_op(t.ops[4]), "g1 = get p0 m0+9 1 0 => -EFAULT");
  EXPECT_EQ(trace::print_op(t.ops[2]), "read p0 m0+0 => 0x41");
  EXPECT_EQ(trace::print_op(t.ops[7]), "write p0 m0+9 0x1 => SIGSEGV");
  EXPECT_EQ(trace::parse_trace(trace::print_trace(t)), t);
  EXPECT_EQ(trace::trace_from_json(trace::trace_to_json(t)), t);
  EXPECT_EQ(trace::trace_to_json(t)["ops"][4]["expect"], "-EFAULT");
  // Expectations take part in equality.
  trace::Trace u = t;
  u.ops[2].expect_value = 0x42;
  EXPECT_FALSE(u == t);
  // The run holds: every expectation is met.
  const RunResult r = run_trace(t, {}, InvariantSet());
  EXPECT_FALSE(r.violation.found) << r.violation.invariant << ": " << r.violation.why;
}

TEST(Expectations, MalformedExpectationsAreRejectedWithTheLine) {
  for (const char *bad : {"read p0 m0+0 =>\n", "read p0 m0+0 => -ENOPE\n", "read p0 m0+0 => 1 2\n",
                          "read p0 m0+0 => x\n", "g0 = pin p0 m0+0 1 0 & => 1\n", "=> 1\n",
                          "read p0 m0+0 => 0x1ffffffffffffffff\n", "g0 = get p0 m0+0 1 0 => 99999999999999999999\n"}) {
    SCOPED_TRACE(bad);
    try {
      parse(std::string("m0 = mmap p0 anon private rw 1\n") + bad);
      ADD_FAILURE() << "accepted";
    } catch (const trace::ParseError &e) {
      EXPECT_EQ(e.line, 3);
    }
  }
  nlohmann::json j = trace::trace_to_json(parse("m0 = mmap p0 anon private rw 1\nread p0 m0+0 => 0x0\n"));
  j["ops"][1]["expect"] = "SIGFOO";
  EXPECT_THROW(trace::trace_from_json(j), trace::ParseError);
}

TEST(Expectations, AMismatchIsAnExpectationViolationNamingStepExpectedAndActual) {
  const struct {
    std::string line;
    std::string expected, actual;
  } cases[] = {
      {"read p0 m0+0 => 0x42", "expected 0x42", "got 0x41"},
      {"g0 = pin p0 m0+0 1 WRITE => -EFAULT", "expected -EFAULT", "got 1"},
      {"g0 = get p0 m0+7 1 0 => 1", "expected 1", "got -EFAULT"},
      {"write p0 m0+0 0x1 => SIGBUS", "expected SIGBUS", "got 0"},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.line);
    const trace::Trace t = parse(kWritten + c.line + "\n");
    InvariantSet only;
    ASSERT_EQ(only.select({"A6"}), "");  // checked whatever the selection
    const RunResult r = run_trace(t, {}, only);
    ASSERT_TRUE(r.violation.found);
    EXPECT_EQ(r.violation.invariant, "Expectation");
    EXPECT_FALSE(r.violation.internal);
    EXPECT_EQ(r.violation.step, 2u);
    EXPECT_NE(r.violation.why.find(c.expected), std::string::npos) << r.violation.why;
    EXPECT_NE(r.violation.why.find(c.actual), std::string::npos) << r.violation.why;
    EXPECT_NE(r.violation.why.find(trace::print_op_only(t.ops[2])), std::string::npos) << r.violation.why;
  }
}

}  // namespace
}  // namespace gupcheck::props

// SPDX-License-Identifier: GPL-2.0-only
//
// Saved traces carry the point each resumed GUP call stopped at
// (properties/annotate.h), as trailing comments that parse away.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/variant.h"
#include "properties/invariants.h"
#include "properties/world.h"
#include "properties/annotate.h"
#include "trace/text.h"

namespace gupcheck::props {
namespace {

size_t count_of(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) n++;
  return n;
}

const model::variant_info &variant(const std::string &name) {
  const model::variant_info *v = model::find_variant(name);
  if (!v) throw std::runtime_error("no variant " + name);
  return *v;
}

TEST(Annotate, DirtyCowRegressionTraceShowsWhereTheCallStopped) {
  const trace::Trace t = trace::parse_trace_file(std::string(GUPCHECK_SOURCE_DIR) +
                                                 "/tests/regression/dirty-cow_19be0eaffa3a-CVE-2016-5195.trace");
  const model::variant_info &v = variant("dirty-cow");
  const std::string text = print_annotated_trace(t, v.sw);
  // The resume stopped after the COW fault, before the retried lookup: the
  // window Dirty COW's MADV_DONTNEED runs in.
  EXPECT_NE(text.find("\nresume g0   # -> after faultin_page, page 0\n"), std::string::npos) << text;
  EXPECT_EQ(count_of(text, "# ->"), 1u) << text;  // resume lines only
  EXPECT_NE(text.find("\ng0 = get p0:t1 m0+0 1 WRITE|FORCE &\n"), std::string::npos) << text;
  const trace::Trace back = trace::parse_trace(text);
  EXPECT_EQ(back, t);
  EXPECT_EQ(back.notes, t.notes);
  EXPECT_EQ(trace::print_trace(back), trace::print_trace(t));
  // Still the counterexample it was.
  const props::RunResult r = props::run_trace(back, v.sw, props::InvariantSet());
  EXPECT_TRUE(r.violation.found);
  EXPECT_EQ(r.violation.invariant, v.catches);
}

TEST(Annotate, ResumeThatRunsTheCallToItsEndSaysWhatItReturned) {
  const trace::Trace t = trace::parse_trace(
      "# gupcheck trace v1\n"
      "m0 = mmap p0 anon private rw 2\n"
      "g0 = pin p0:t1 m0+0 2 WRITE &\n"
      "resume g0\n"
      "resume g0\n"
      "resume g0\n"
      "resume g0\n"
      "resume g0\n"
      "wait g0\n"
      "unpin g0\n");
  const std::vector<std::string> c = resume_comments(t, {});
  ASSERT_EQ(c.size(), t.ops.size());
  // Compare with what the World itself reports at each resume.
  props::World w;
  std::vector<std::string> want;
  for (const trace::Op &op : t.ops) {
    const props::Outcome &o = w.step(op);
    want.push_back(op.kind == trace::OpKind::Resume ? "-> " + o.describe() : "");
  }
  EXPECT_EQ(c, want);
  EXPECT_EQ(c[0], "");
  EXPECT_EQ(c[1], "");
  EXPECT_EQ(c[2], "-> after faultin_page, page 0");
  EXPECT_NE(std::find(c.begin(), c.end(), "-> returned 2"), c.end());
  EXPECT_EQ(c[6], "-> (returned 2)");  // returned at an earlier resume
  EXPECT_EQ(c[7], "");
  const std::string text = trace::print_trace(t, c);
  EXPECT_NE(text.find("resume g0   # -> returned 2\n"), std::string::npos) << text;
  EXPECT_EQ(trace::parse_trace(text), t);
}

TEST(Annotate, TraceThatDoesNotReplayIsWrittenWithoutComments) {
  // Parses, and check_consistency() passes, but the World refuses the
  // second mmap (f0 is a file with dirty tracking, not shmem).
  const trace::Trace t = trace::parse_trace(
      "# gupcheck trace v1\n"
      "m0 = mmap p0 file:f0 private r 1\n"
      "g0 = get p0:t1 m0+0 1 WRITE|FORCE &\n"
      "resume g0\n"
      "m1 = mmap p0 shmem:f0 shared rw 1\n"
      "wait g0\n");
  ASSERT_EQ(trace::check_consistency(t), "");
  EXPECT_THROW(resume_comments(t, {}), props::bad_trace);
  EXPECT_EQ(print_annotated_trace(t, {}), trace::print_trace(t));
  // An inconsistent trace: the same.
  const trace::Trace bad = trace::parse_trace(
      "# gupcheck trace v1\n"
      "m0 = mmap p0 anon private rw 1\n"
      "resume g3\n");
  EXPECT_THROW(resume_comments(bad, {}), props::bad_trace);
  EXPECT_EQ(print_annotated_trace(bad, {}), trace::print_trace(bad));
}

}  // namespace
}  // namespace gupcheck::props

// SPDX-License-Identifier: GPL-2.0-only
//
// Reports: the address-space picture, replay logs, the text and JSON
// reports, and atomic file writes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "model/flags.h"
#include "properties/invariants.h"
#include "properties/world.h"
#include "reports/json.h"
#include "reports/picture.h"
#include "reports/replay.h"
#include "reports/text.h"
#include "campaign/write.h"
#include "trace/op.h"

namespace gupcheck::reports {
namespace {

using trace::Op;
using trace::OpKind;

Op mmap_anon(uint16_t result, uint16_t npages) {
  Op op;
  op.kind = OpKind::Mmap;
  op.proc = 0;
  op.result = result;
  op.map_kind = trace::MapKind::Anon;
  op.shared = false;
  op.prot = trace::Prot::RW;
  op.npages = npages;
  return op;
}

Op access(OpKind kind, uint16_t map, uint16_t page, uint64_t value = 0) {
  Op op;
  op.kind = kind;
  op.proc = 0;
  op.map = map;
  op.page = page;
  op.value = value;
  return op;
}

Op pin(uint16_t result, uint16_t map, uint16_t page, uint16_t npages, uint32_t flags) {
  Op op;
  op.kind = OpKind::Gup;
  op.api = trace::GupApi::Pin;
  op.proc = 0;
  op.result = result;
  op.map = map;
  op.page = page;
  op.npages = npages;
  op.gup_flags = flags;
  return op;
}

trace::Trace make_trace(std::vector<Op> ops) {
  trace::Trace t;
  t.ops = std::move(ops);
  return t;
}

ReplayLog replay_mainline(const trace::Trace &t) { return replay_trace(t, "mainline", {}, props::InvariantSet()); }

// The line of a picture that starts (after indentation) with `label`.
std::string row(const std::string &picture, const std::string &label) {
  std::istringstream in(picture);
  std::string line;
  while (std::getline(in, line)) {
    const size_t first = line.find_first_not_of(' ');
    if (first != std::string::npos && line.compare(first, label.size(), label) == 0 &&
        (line.size() == first + label.size() || line[first + label.size()] == ' '))
      return line;
  }
  return "";
}

// Runs of whitespace (line breaks and wrap indentation included) as one space.
std::string squash(const std::string &text) {
  std::string out;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n';
    if (space && !out.empty() && out.back() == ' ') continue;
    out += space ? ' ' : c;
  }
  return out;
}

size_t max_line_length(const std::string &text) {
  std::istringstream in(text);
  std::string line;
  size_t m = 0;
  while (std::getline(in, line)) m = std::max(m, line.size());
  return m;
}

TEST(Picture, ReadOfAnonPageMapsTheZeroPage) {
  ReplayLog log = replay_mainline(make_trace({mmap_anon(0, 4), access(OpKind::Read, 0, 1)}));
  ASSERT_FALSE(log.failed()) << text_report(log);
  // Before the read: a VMA and no page table.
  EXPECT_NE(log.before.find("no page table"), std::string::npos) << log.before;
  EXPECT_EQ(row(log.before, "page"), "");
  // After: one PTE table; page 1 maps the zero page read-only, the others are pte_none.
  const std::string page = row(log.after, "page");
  EXPECT_NE(page.find(".Z.."), std::string::npos) << log.after;
  EXPECT_EQ(page.find('A'), std::string::npos) << log.after;
  EXPECT_NE(row(log.after, "pte").find(" -"), std::string::npos) << log.after;
  EXPECT_NE(log.after.find("p0 (pid 0)"), std::string::npos);
  EXPECT_NE(log.after.find("rw-p"), std::string::npos);
  EXPECT_NE(log.after.find("m0"), std::string::npos);
  EXPECT_NE(log.after.find("zero"), std::string::npos);  // the folio table lists the zero page
}

TEST(Picture, WriteOfAnonPageMapsAnExclusivePage) {
  ReplayLog log =
      replay_mainline(make_trace({mmap_anon(0, 2), access(OpKind::Read, 0, 0), access(OpKind::Write, 0, 0, 0x41)}));
  ASSERT_FALSE(log.failed()) << text_report(log);
  EXPECT_NE(row(log.before, "page").find('Z'), std::string::npos) << log.before;
  const std::string page = row(log.after, "page");
  EXPECT_NE(page.find("A."), std::string::npos) << log.after;
  EXPECT_EQ(page.find('Z'), std::string::npos) << log.after;
  EXPECT_NE(row(log.after, "pte").find('d'), std::string::npos) << log.after;  // dirty and writable
  EXPECT_NE(log.after.find("anon-excl"), std::string::npos) << log.after;
  EXPECT_NE(log.after.find("0x41"), std::string::npos) << log.after;  // the folio's data
}

TEST(Picture, PinnedPageIsMarked) {
  ReplayLog log = replay_mainline(make_trace({mmap_anon(0, 2), pin(0, 0, 0, 1, model::FOLL_WRITE)}));
  ASSERT_FALSE(log.failed()) << text_report(log);
  EXPECT_NE(row(log.after, "gup").find('P'), std::string::npos) << log.after;
  EXPECT_NE(log.after.find("MMF_HAS_PINNED"), std::string::npos) << log.after;
  EXPECT_NE(log.after.find("GUP calls holding pages"), std::string::npos) << log.after;
  EXPECT_NE(log.after.find("NR_FOLL_PIN_ACQUIRED 1"), std::string::npos) << log.after;
}

TEST(Picture, LegendAndRulerArePresent) {
  ReplayLog log = replay_mainline(make_trace({mmap_anon(0, 20), access(OpKind::Read, 0, 0)}));
  ASSERT_FALSE(log.failed()) << text_report(log);
  EXPECT_EQ(log.after.rfind(legend_text(), 0), 0u) << log.after;
  EXPECT_NE(legend_text().find("Z zero page"), std::string::npos);
  EXPECT_NE(legend_text().find("A/a anon page exclusive/shared"), std::string::npos);
  EXPECT_NE(legend_text().find("upper case: PageAnonExclusive"), std::string::npos);
  EXPECT_NE(legend_text().find(". pte_none"), std::string::npos);
  // 20 pages from vpn 0x10: the ruler is the PTE index, cycling.
  EXPECT_NE(log.after.find("0123456789abcdef0123"), std::string::npos) << log.after;
  EXPECT_LT(max_line_length(log.after), 100u) << log.after;
}

TEST(Picture, LongVmaWrapsUnder100Columns) {
  ReplayLog log = replay_mainline(
      make_trace({mmap_anon(0, 200), access(OpKind::Write, 0, 0, 1), access(OpKind::Write, 0, 130, 2)}));
  ASSERT_FALSE(log.failed()) << text_report(log);
  EXPECT_LT(max_line_length(log.after), 100u) << log.after;
  EXPECT_LT(max_line_length(text_report(log)), 100u);
  EXPECT_NE(log.after.find("no page table"), std::string::npos) << log.after;  // the rows in between
}

TEST(Replay, RecordsEveryStepAndSeed) {
  trace::Trace t = make_trace({mmap_anon(0, 1), access(OpKind::Write, 0, 0, 7), access(OpKind::Read, 0, 0)});
  t.notes = {"seed 42"};
  ReplayLog log = replay_mainline(t);
  EXPECT_FALSE(log.violation.found);
  EXPECT_TRUE(log.error.empty());
  ASSERT_EQ(log.steps.size(), 3u);
  EXPECT_TRUE(log.steps[2].outcome.has_value);
  EXPECT_EQ(log.steps[2].outcome.value, 7u);
  EXPECT_TRUE(log.has_seed);
  EXPECT_EQ(log.seed, 42u);
  EXPECT_EQ(log.variant, "mainline");
  EXPECT_NE(log.replay_command.find("--variant mainline"), std::string::npos);

  // The replay command stays on one line however long it is.
  log.replay_command = replay_command_for(std::string(120, 'd') + "/x.trace", "mainline");
  EXPECT_NE(text_report(log).find("\nreplay:  " + log.replay_command + "\n"), std::string::npos);
  EXPECT_EQ(replay_command_for("a b.trace", "v"), "gupcheck replay 'a b.trace' --variant v");
}

TEST(Replay, BeforeIsTheStateAfterThePreviousStep) {
  std::vector<Op> ops = {mmap_anon(0, 3), access(OpKind::Write, 0, 0, 1), pin(0, 0, 0, 2, model::FOLL_WRITE),
                         access(OpKind::Read, 0, 2)};
  const ReplayLog full = replay_mainline(make_trace(ops));
  ops.pop_back();
  const ReplayLog prefix = replay_mainline(make_trace(ops));
  EXPECT_EQ(full.before, prefix.after);
  EXPECT_NE(full.before, full.after);
}

TEST(Replay, BadTraceStopsWithError) {
  // m1 was never created.
  ReplayLog log =
      replay_mainline(make_trace({mmap_anon(0, 1), access(OpKind::Read, 1, 0), access(OpKind::Read, 0, 0)}));
  EXPECT_FALSE(log.violation.found);
  EXPECT_NE(log.error.find("step 2"), std::string::npos) << log.error;
  EXPECT_EQ(log.steps.size(), 2u);
  EXPECT_STREQ(verdict_name(log), "bad-trace");
  const std::string text = text_report(log);
  EXPECT_NE(text.find("Bad trace"), std::string::npos) << text;
  EXPECT_NE(text.find("(not run)"), std::string::npos) << text;
}

TEST(Replay, EmptyTraceHolds) {
  ReplayLog log = replay_mainline(trace::Trace{});
  EXPECT_FALSE(log.failed());
  EXPECT_TRUE(log.steps.empty());
  EXPECT_FALSE(log.after.empty());
  EXPECT_NE(text_report(log).find("no invariant violated in 0 steps"), std::string::npos);
}

TEST(TextReport, HoldingTraceSaysSo) {
  ReplayLog log =
      replay_mainline(make_trace({mmap_anon(0, 2), access(OpKind::Read, 0, 0), access(OpKind::Write, 0, 1, 0x41)}));
  const std::string text = text_report(log);
  EXPECT_EQ(text.rfind("gupcheck report\n", 0), 0u) << text;
  EXPECT_NE(text.find("no invariant violated in 3 steps"), std::string::npos) << text;
  EXPECT_NE(text.find("Trace:"), std::string::npos);
  EXPECT_NE(text.find("   1  m0 = mmap p0 anon private rw 2"), std::string::npos) << text;
  EXPECT_NE(text.find("write p0 m0+1 0x41"), std::string::npos) << text;
  EXPECT_NE(text.find("model:   mainline"), std::string::npos) << text;
  EXPECT_NE(text.find("replay:  gupcheck replay"), std::string::npos) << text;
  EXPECT_EQ(text.find(">>"), std::string::npos) << text;  // no failing step
  EXPECT_NE(text.find("Final state (after step 3)"), std::string::npos) << text;
}

TEST(TextReport, ViolationShowsInvariantAndPictures) {
  // The report's layout for a violation does not depend on which invariant
  // failed, so build the log by hand around a real replay.
  ReplayLog log = replay_mainline(make_trace({mmap_anon(0, 1), access(OpKind::Read, 0, 0)}));
  ASSERT_FALSE(log.failed());
  const props::Invariant &inv = props::all_invariants().back();
  log.violation.found = true;
  log.violation.invariant = inv.name;
  log.violation.why = "seen: something impossible";
  log.violation.step = 1;
  const std::string text = text_report(log);
  EXPECT_NE(text.find(">>    2  read p0 m0+0"), std::string::npos) << text;
  EXPECT_NE(text.find("Invariant violated: " + std::string(inv.name) + " (" + inv.id + ")"), std::string::npos) << text;
  EXPECT_NE(squash(text).find(squash(inv.statement)), std::string::npos) << text;  // wrapped
  EXPECT_NE(squash(text).find(squash(inv.source)), std::string::npos) << text;
  EXPECT_NE(text.find("seen: something impossible"), std::string::npos) << text;
  EXPECT_NE(text.find("Address space before step 2:"), std::string::npos) << text;
  EXPECT_NE(text.find("Address space after step 2:"), std::string::npos) << text;
  EXPECT_STREQ(verdict_name(log), "violation");

  log.violation.invariant = "ModelBug";
  log.violation.internal = true;
  const std::string internal = text_report(log);
  EXPECT_NE(internal.find("not a kernel bug"), std::string::npos) << internal;
  EXPECT_STREQ(verdict_name(log), "internal-error");
  nlohmann::json j = json_report(log);
  EXPECT_EQ(j["invariant"]["name"], "ModelBug");
  EXPECT_TRUE(j["invariant"]["id"].is_null());
}

TEST(JsonReport, HasTheDocumentedFields) {
  trace::Trace t = make_trace({mmap_anon(0, 1), access(OpKind::Write, 0, 0, 5), access(OpKind::Read, 0, 0)});
  t.notes = {"seed 0x10"};
  ReplayLog log = replay_mainline(t);
  const nlohmann::json j = json_report(log);
  for (const char *f : {"format", "version", "variant", "seed", "replay_command", "verdict", "invariant", "trace",
                        "steps", "before", "after"})
    EXPECT_TRUE(j.contains(f)) << f;
  EXPECT_EQ(j["format"], "gupcheck-report");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["variant"], "mainline");
  EXPECT_EQ(j["seed"], 16);
  EXPECT_EQ(j["verdict"], "holds");
  EXPECT_TRUE(j["invariant"].is_null());
  EXPECT_EQ(j["trace"]["format"], "gupcheck-trace");
  EXPECT_EQ(j["trace"]["ops"].size(), 3u);
  ASSERT_EQ(j["steps"].size(), 3u);
  EXPECT_EQ(j["steps"][0]["index"], 1);
  EXPECT_EQ(j["steps"][0]["op"], "m0 = mmap p0 anon private rw 1");
  EXPECT_EQ(j["steps"][0]["ret"], 0);
  EXPECT_EQ(j["steps"][0]["signal"], 0);
  EXPECT_FALSE(j["steps"][0].contains("value"));
  EXPECT_EQ(j["steps"][2]["value"], 5);
  EXPECT_EQ(j["before"], log.before);
  EXPECT_EQ(j["after"], log.after);

  log.has_seed = false;
  EXPECT_TRUE(json_report(log)["seed"].is_null());
}

class WriteFileAtomic : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("gupcheck_reports_test." + std::to_string(::getpid()) + "." +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string slurp(const std::filesystem::path &p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto &e : std::filesystem::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    return out;
  }

  std::filesystem::path dir_;
};

TEST_F(WriteFileAtomic, WritesAndReplaces) {
  const std::string path = (dir_ / "report.txt").string();
  campaign::write_file_atomic(path, "first\n");
  EXPECT_EQ(slurp(path), "first\n");
  campaign::write_file_atomic(path, std::string("second\0binary", 13));
  EXPECT_EQ(slurp(path), std::string("second\0binary", 13));
  campaign::write_file_atomic(path, "");
  EXPECT_EQ(slurp(path), "");
  EXPECT_EQ(entries(), std::vector<std::string>{"report.txt"});  // no .tmp file left behind
}

TEST_F(WriteFileAtomic, FailsClearlyAndLeavesNothing) {
  const std::string path = (dir_ / "missing" / "report.txt").string();
  try {
    campaign::write_file_atomic(path, "x");
    FAIL() << "expected an exception";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_TRUE(entries().empty());

  // Renaming onto a directory fails after the temporary file was written: it is removed.
  std::filesystem::create_directories(dir_ / "adir" / "inner");
  EXPECT_THROW(campaign::write_file_atomic((dir_ / "adir").string(), "x"), std::runtime_error);
  EXPECT_EQ(entries(), std::vector<std::string>{"adir"});
}

}  // namespace
}  // namespace gupcheck::reports

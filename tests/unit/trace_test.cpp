// SPDX-License-Identifier: GPL-2.0-only
//
// The trace language: text and JSON round trips, strict parsing with exact
// line numbers, handle consistency, and robustness against garbage input.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "model/flags.h"
#include "trace/json.h"
#include "trace/op.h"
#include "trace/text.h"

namespace gupcheck::trace {
namespace {

using nlohmann::json;

// The example from the format's description: already in canonical form.
const char *const kExample = R"(# gupcheck trace v1
# model: mainline (Linux v6.18)
m0 = mmap p0 anon private rw 4
m1 = mmap p0 file:f0 shared r 2
m2 = mmap p0 shmem:anon shared rw 2
m3 = mmap p0 shmem:f1 private none 2
m4 = mmap p0 pfnmap private rw 2
m5 = mmap p0 mixedmap shared rw 2
munmap p0 m0+1 2
mprotect p0 m0+0 2 r
read p0 m0+1
write p0 m0+1 0x41
p1 = fork p0
exit p1
madvise p0 m0+0 2 dontneed
g0 = pin p0 m0+0 2 WRITE|LONGTERM
g1 = get_fast p0:t1 m0+0 1 0
g2 = pin p0:t1 m0+0 1 WRITE|FORCE &
populate p0 m0+0 4 WRITE
put g1
unpin g0
resume g2
wait g2
dump p0
uffd_zeropage p0 m0+0
insert_page p0 m5+0 zero
insert_mixed p0 m5+1 dev
)";

Op make(OpKind kind) {
  Op op;
  op.kind = kind;
  return op;
}

// A trace using every op kind and every enum value, with extreme field values.
Trace every_op_trace() {
  Trace t;
  t.variant = "fix-gup-dump";
  t.notes = {"seed 1234", "invariant: pin_stable", "", "  indented"};
  auto mmap = [&](uint16_t m, MapKind k, uint16_t file, bool shared, Prot prot, uint16_t npages) {
    Op op = make(OpKind::Mmap);
    op.result = m;
    op.map_kind = k;
    op.file = file;
    op.shared = shared;
    op.prot = prot;
    op.npages = npages;
    t.ops.push_back(op);
  };
  mmap(0, MapKind::Anon, 0, false, Prot::RW, 4);
  mmap(1, MapKind::File, 0, true, Prot::R, 2);
  mmap(2, MapKind::Shmem, kSharedAnonFile, true, Prot::RW, 2);
  mmap(3, MapKind::Shmem, 65000, false, Prot::None, 256);
  mmap(4, MapKind::Pfnmap, 0, false, Prot::RW, 1);
  mmap(65000, MapKind::Mixedmap, 0, true, Prot::RW, 65535);

  Op op = make(OpKind::Munmap);
  op.map = 0, op.page = 1, op.npages = 2;
  t.ops.push_back(op);
  op = make(OpKind::Mprotect);
  op.map = 0, op.page = 65535, op.npages = 3, op.prot = Prot::None;
  t.ops.push_back(op);
  op = make(OpKind::Read);
  op.proc = 7, op.thread = 255, op.map = 1, op.page = 1;
  t.ops.push_back(op);
  op = make(OpKind::Write);
  op.map = 0, op.value = UINT64_MAX;
  t.ops.push_back(op);
  op = make(OpKind::Write);
  op.map = 0, op.value = 0;
  t.ops.push_back(op);
  op = make(OpKind::Fork);
  op.result = 1;
  t.ops.push_back(op);
  op = make(OpKind::Exit);
  op.proc = 1;
  t.ops.push_back(op);
  op = make(OpKind::Madvise);  // advice dontneed
  op.map = 0, op.npages = 4;
  t.ops.push_back(op);
  const GupApi apis[] = {GupApi::Get, GupApi::Pin, GupApi::GetFast, GupApi::PinFast};
  for (uint16_t i = 0; i < 4; ++i) {
    op = make(OpKind::Gup);
    op.result = i, op.api = apis[i], op.proc = 0, op.thread = static_cast<uint8_t>(i);
    op.map = 0, op.page = i, op.npages = 1;
    op.gup_flags = i == 0 ? 0 : model::FOLL_WRITE | model::FOLL_LONGTERM;
    op.in_flight = i == 3;
    t.ops.push_back(op);
  }
  op = make(OpKind::Gup);
  op.result = 4, op.api = GupApi::Pin, op.map = 0, op.npages = 1;
  op.gup_flags = 0xffffffffu;  // every named flag plus unnamed bits
  t.ops.push_back(op);
  op = make(OpKind::Populate);
  op.map = 0, op.npages = 4, op.gup_flags = model::FOLL_WRITE | (1u << 30);
  t.ops.push_back(op);
  for (OpKind k : {OpKind::Put, OpKind::Unpin, OpKind::Resume, OpKind::Wait}) {
    op = make(k);
    op.gup = k == OpKind::Put ? 0 : 3;
    t.ops.push_back(op);
  }
  t.ops.push_back(make(OpKind::Dump));
  op = make(OpKind::UffdZeropage);
  op.map = 0, op.page = 2;
  t.ops.push_back(op);
  op = make(OpKind::UffdContinue);
  op.map = 3, op.page = 1;
  t.ops.push_back(op);
  for (bool in_flight : {false, true}) {
    op = make(OpKind::Collapse);
    op.result = uint16_t(40 + in_flight), op.map = 0, op.page = 3, op.in_flight = in_flight;
    op.thread = in_flight ? 2 : 0;
    t.ops.push_back(op);
  }
  for (InsertWhat w : {InsertWhat::Page, InsertWhat::Zero}) {
    op = make(OpKind::InsertPage);
    op.map = 65000, op.what = w;
    t.ops.push_back(op);
  }
  for (InsertWhat w : {InsertWhat::Page, InsertWhat::Zero, InsertWhat::Device}) {
    op = make(OpKind::InsertMixed);
    op.map = 65000, op.page = 1, op.what = w;
    t.ops.push_back(op);
  }
  // model-a: fsdax, secretmem, MAP_POPULATE, every madvise advice, mlock,
  // the zero-page switch, move_pages status, remote access and DMA.
  mmap(5, MapKind::Fsdax, 3, true, Prot::RW, 2);
  mmap(6, MapKind::Secretmem, 0, true, Prot::RW, 1);
  t.ops.back().populate = true;
  for (int a = 0; a < kNumAdvice; a++) {
    op = make(OpKind::Madvise);
    op.map = 0, op.npages = 2, op.advice = static_cast<Advice>(a);
    t.ops.push_back(op);
  }
  op = make(OpKind::Mlock);
  op.map = 5, op.npages = 2;
  t.ops.push_back(op);
  t.ops.push_back(make(OpKind::ForbidZeropage));
  op = make(OpKind::Stat);
  op.map = 0, op.page = 3;
  t.ops.push_back(op);
  for (RemoteVia via : {RemoteVia::Mem, RemoteVia::ProcessVm}) {
    op = make(OpKind::RemoteRead);
    op.target = 1, op.via = via, op.map = 0;
    t.ops.push_back(op);
    op = make(OpKind::RemoteWrite);
    op.proc = 2, op.target = 65000, op.via = via, op.map = 0, op.value = 0x1234;
    t.ops.push_back(op);
  }
  op = make(OpKind::DmaWrite);
  op.gup = 1, op.value = UINT64_MAX;
  t.ops.push_back(op);
  op = make(OpKind::DmaRead);
  op.expect = ExpectKind::Value, op.expect_value = 0x41;
  op.gup = 1;
  t.ops.push_back(op);
  t.ops.push_back(make(OpKind::KsmMerge));
  return t;
}

TEST(TraceText, ExamplePrintsBackVerbatim) {
  const Trace t = parse_trace(kExample);
  ASSERT_EQ(t.ops.size(), 25u);
  EXPECT_EQ(t.variant, "mainline");
  EXPECT_TRUE(t.notes.empty());
  EXPECT_EQ(print_trace(t), kExample);
  EXPECT_EQ(t.ops[2].map_kind, MapKind::Shmem);
  EXPECT_EQ(t.ops[2].file, kSharedAnonFile);
  EXPECT_EQ(t.ops[14].api, GupApi::GetFast);
  EXPECT_EQ(t.ops[14].thread, 1);
  EXPECT_TRUE(t.ops[15].in_flight);
  EXPECT_EQ(t.ops[15].gup_flags, model::FOLL_WRITE | model::FOLL_FORCE);
  EXPECT_EQ(t.ops[9].value, 0x41u);
  EXPECT_EQ(check_consistency(t), "");
}

TEST(TraceText, EveryOpKindAndEnumRoundTrips) {
  const Trace t = every_op_trace();
  std::set<OpKind> kinds;
  for (const Op &op : t.ops) kinds.insert(op.kind);
  EXPECT_EQ(kinds.size(), static_cast<size_t>(kNumOpKinds));

  const std::string text = print_trace(t);
  const Trace back = parse_trace(text);
  EXPECT_EQ(back, t) << text;
  EXPECT_EQ(back.notes, t.notes);
  EXPECT_EQ(print_trace(back), text);
  for (size_t i = 0; i < t.ops.size(); ++i) EXPECT_EQ(back.ops[i], t.ops[i]) << print_op(t.ops[i]);
}

// Trailing comments (as saved counterexamples carry resume points) print
// after their op and parse away: the ops and notes come back unchanged.
TEST(TraceText, TrailingCommentsPrintAndParseAway) {
  Trace t = every_op_trace();
  t.notes = {"seed: 7", "violates: X"};
  std::vector<std::string> comments(t.ops.size());
  comments[0] = "-> first";
  comments[3] = "two\nlines # and a hash";
  const std::string text = print_trace(t, comments);
  EXPECT_NE(text.find("\n" + print_op(t.ops[0]) + "   # -> first\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n" + print_op(t.ops[3]) + "   # two lines # and a hash\n"), std::string::npos) << text;
  const Trace back = parse_trace(text);
  EXPECT_EQ(back, t) << text;
  EXPECT_EQ(back.notes, t.notes);
  EXPECT_EQ(print_trace(back), print_trace(t));
  // No comments, or fewer than ops: the plain form.
  EXPECT_EQ(print_trace(t, {}), print_trace(t));
  EXPECT_EQ(print_trace(t, {"", ""}), print_trace(t));
}

TEST(TraceText, PrintedForms) {
  const Trace t = every_op_trace();
  EXPECT_EQ(print_op(t.ops[2]), "m2 = mmap p0 shmem:anon shared rw 2");
  EXPECT_EQ(print_op(t.ops[3]), "m3 = mmap p0 shmem:f65000 private none 256");
  EXPECT_EQ(print_op(t.ops[8]), "read p7:t255 m1+1");
  EXPECT_EQ(print_op(t.ops[9]), "write p0 m0+0 0xffffffffffffffff");
  EXPECT_EQ(print_op(t.ops[10]), "write p0 m0+0 0x0");

  Op pop = make(OpKind::Populate);
  pop.npages = 4, pop.gup_flags = model::FOLL_WRITE | (1u << 30) | (1u << 31);
  EXPECT_EQ(print_op(pop), "populate p0 m0+0 4 WRITE|0xc0000000");
  EXPECT_EQ(flags_to_string(0), "0");
  EXPECT_EQ(flags_to_string(model::FOLL_PIN | model::FOLL_WRITE), "WRITE|PIN");

  Trace other;
  other.variant = "fix-dump";
  EXPECT_EQ(print_trace(other), "# gupcheck trace v1\n# model: fix-dump\n");
}

TEST(TraceText, LenientNumbersAndFlags) {
  const Trace t = parse_trace(
      "# gupcheck trace v1\n"
      "# seed 7   \n"
      "\n"
      "m0 = mmap p0 anon private rw 4   # a comment\n"
      "   # a comment after the first op is not a note\n"
      "write p0 m0+0 65\r\n"
      "write p0 m0+0 0XfF\n"
      "write p0 m0+0 18446744073709551615\n"
      "g0 = pin p0:t0 m0+0 1 FOLL_WRITE|0x100|16\n"
      "populate p0 m0+0 1 0x0\n");
  ASSERT_EQ(t.ops.size(), 6u);
  EXPECT_EQ(t.notes, std::vector<std::string>{"seed 7   "});
  EXPECT_EQ(t.ops[1].value, 65u);
  EXPECT_EQ(t.ops[2].value, 255u);
  EXPECT_EQ(t.ops[3].value, UINT64_MAX);
  EXPECT_EQ(t.ops[4].thread, 0);
  EXPECT_EQ(t.ops[4].gup_flags, model::FOLL_WRITE | model::FOLL_LONGTERM | model::FOLL_NOWAIT);
  EXPECT_EQ(t.ops[5].gup_flags, 0u);
}

TEST(TraceText, ModelLineAndNotes) {
  const Trace t = parse_trace(
      "# gupcheck trace v1\n"
      "# note one\n"
      "#model: fix-cow extra words\n"
      "# model: second-model-line-is-a-note\n"
      "#\n");
  EXPECT_EQ(t.variant, "fix-cow");
  EXPECT_EQ(t.notes, (std::vector<std::string>{"note one", "model: second-model-line-is-a-note", ""}));
  EXPECT_EQ(parse_trace(print_trace(t)).notes, t.notes);
  EXPECT_EQ(parse_trace("# gupcheck trace v1\n").variant, "mainline");
  EXPECT_EQ(parse_trace("# gupcheck trace v1").ops.size(), 0u);
}

struct Bad {
  const char *text;  // after the header line
  int line;
  const char *message;  // a substring of what()
};

TEST(TraceText, MalformedInputsReportTheLine) {
  const Bad cases[] = {
      {"m0 = mmap p0 anon private rw 4\n\nwrte p0 m0+0\n", 4, "line 4: unknown operation 'wrte'"},
      {"m0 = mmap p0 anon private rw 4\nread p0 m0\n", 3, "line 3: expected a mapping address like m0+2, got 'm0'"},
      {"m0 = mmap p0 anon private rw 4\nread p0 m0+0 x\n", 3, "line 3: trailing token 'x'"},
      {"write p0 m0+0 99999999999999999999\n", 2, "line 2: number out of range '99999999999999999999'"},
      {"write p0 m0+0 0x10000000000000000\n", 2, "number out of range"},
      {"write p0 m0+0 -1\n", 2, "expected a value"},
      {"# note\n\ng0 = read p0 m0+0\n", 4, "read creates no handle"},
      {"mmap p0 anon private rw 4\n", 2, "mmap creates a mapping"},
      {"p1 = mmap p0 anon private rw 4\n", 2, "got 'p1'"},
      {"m1 = fork p0\n", 2, "got 'm1'"},
      {"m65001 = mmap p0 anon private rw 4\n", 2, "handle number out of range 'm65001'"},
      {"read p0 m0+65536\n", 2, "page index out of range"},
      {"munmap p0 m0+0 65536\n", 2, "number out of range '65536'"},
      {"munmap p0 m0+0\n", 2, "missing page count"},
      {"m0 = mmap p0 anon private rwx 4\n", 2, "unknown protection 'rwx'"},
      {"m0 = mmap p0 anonymous private rw 4\n", 2, "unknown mapping kind 'anonymous'"},
      {"m0 = mmap p0 file:anon private rw 4\n", 2, "expected a file like f0"},
      {"m0 = mmap p0 anon both rw 4\n", 2, "expected private or shared"},
      {"madvise p0 m0+0 1 free\n", 2, "unknown madvise advice 'free'"},
      {"g0 = pin p0 m0+0 1 WRITE|BOGUS\n", 2, "unknown FOLL flag 'BOGUS'"},
      {"g0 = pin p0 m0+0 1 WRITE||PIN\n", 2, "empty flag"},
      {"g0 = pin p0 m0+0 1 0x100000000\n", 2, "flag value out of range"},
      {"g0 = pin p0 m0+0 1\n", 2, "missing FLAGS"},
      {"g0 = pin p0 m0+0 1 0 & &\n", 2, "trailing token '&'"},
      {"populate p0 m0+0 1 0 &\n", 2, "trailing token '&'"},
      {"read p0:t256 m0+0\n", 2, "thread number out of range"},
      {"read p0:x1 m0+0\n", 2, "expected a process like p0 or p0:t1, got 'p0:x1'"},
      {"read q0 m0+0\n", 2, "expected a process"},
      {"read m0+0\n", 2, "expected a process"},
      {"put p0\n", 2, "expected a GUP call handle like g0, got 'p0'"},
      {"put g01\n", 2, "expected a GUP call handle"},
      {"insert_page p0 m0+0 device\n", 2, "unknown insert kind 'device'"},
      {"m0 =\n", 2, "expected an operation after '='"},
      {"= mmap p0 anon private rw 4\n", 2, "missing result handle"},
      {"# model:\n", 2, "missing model name"},
      {"dump p0 p1\n", 2, "trailing token 'p1'"},
      {"wait\n", 2, "missing GUP call gN"},
      {"read p0 m0+-1\n", 2, "expected a mapping address"},
  };
  for (const Bad &c : cases) {
    const std::string text = std::string("# gupcheck trace v1\n") + c.text;
    try {
      (void)parse_trace(text);
      ADD_FAILURE() << "parsed: " << c.text;
    } catch (const ParseError &e) {
      EXPECT_EQ(e.line, c.line) << c.text << " -> " << e.what();
      EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << c.text << " -> " << e.what();
      EXPECT_EQ(std::string(e.what()).rfind("line " + std::to_string(c.line) + ": ", 0), 0u) << e.what();
    }
  }
}

TEST(TraceText, HeaderIsRequired) {
  for (const char *text : {"", "m0 = mmap p0 anon private rw 4\n", "# gupcheck trace v2\n", " # gupcheck trace v1\n",
                           "# gupcheck trace v1 extra\n"}) {
    try {
      (void)parse_trace(text);
      ADD_FAILURE() << "parsed: " << text;
    } catch (const ParseError &e) {
      EXPECT_EQ(e.line, 1);
      EXPECT_STREQ(e.what(), "line 1: not a gupcheck trace (expected '# gupcheck trace v1')");
    }
  }
  EXPECT_NO_THROW(parse_trace("# gupcheck trace v1\r\nread p0 m0+0\r\n"));
}

TEST(TraceText, UnreadableFile) {
  try {
    (void)parse_trace_file("/nonexistent/gupcheck/trace.txt");
    ADD_FAILURE();
  } catch (const ParseError &e) {
    EXPECT_EQ(e.line, 0);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/gupcheck/trace.txt"), std::string::npos);
  }
}

TEST(TraceJson, EveryOpKindRoundTrips) {
  const Trace t = every_op_trace();
  const json j = trace_to_json(t);
  EXPECT_EQ(j["format"], "gupcheck-trace");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["model"], "fix-gup-dump");
  EXPECT_EQ(j["notes"].size(), t.notes.size());
  ASSERT_EQ(j["ops"].size(), t.ops.size());
  for (size_t i = 0; i < t.ops.size(); ++i) EXPECT_EQ(j["ops"][i]["text"], print_op(t.ops[i]));

  Trace back = trace_from_json(j);
  EXPECT_EQ(back, t);
  EXPECT_EQ(back.notes, t.notes);
  // Through the serialised form as well (unsigned 64-bit values survive).
  back = trace_from_json(json::parse(j.dump()));
  EXPECT_EQ(back, t);
}

TEST(TraceJson, FieldsAreNamed) {
  const json j = trace_to_json(parse_trace(kExample));
  const json &ops = j["ops"];
  EXPECT_EQ(ops[0], json::parse(R"({"op":"mmap","text":"m0 = mmap p0 anon private rw 4","result":"m0",
      "proc":"p0","thread":0,"kind":"anon","shared":false,"prot":"rw","npages":4})"));
  EXPECT_EQ(ops[1]["file"], "f0");
  EXPECT_EQ(ops[2]["file"], "anon");
  EXPECT_FALSE(ops[4].contains("file"));
  EXPECT_EQ(ops[9]["value"], 0x41);
  EXPECT_EQ(ops[13]["op"], "pin");
  EXPECT_EQ(ops[13]["flags"], "WRITE|LONGTERM");
  EXPECT_EQ(ops[15]["in_flight"], true);
  EXPECT_EQ(ops[17], json::parse(R"({"op":"put","text":"put g1","gup":"g1"})"));
  EXPECT_EQ(ops[12]["op"], "madvise");
  ASSERT_EQ(ops.size(), 25u);
  EXPECT_EQ(ops[24]["what"], "dev");
}

TEST(TraceJson, StrictReading) {
  const json good = trace_to_json(parse_trace(kExample));
  struct Case {
    std::string name;
    json doc;
    int line;
    const char *message;
  };
  std::vector<Case> cases;
  auto with_op = [&](size_t i, const std::string &key, const json &v) {
    json d = good;
    if (v.is_discarded()) d["ops"][i].erase(key);
    else d["ops"][i][key] = v;
    return d;
  };
  const json drop(json::value_t::discarded);
  cases.push_back({"missing npages", with_op(0, "npages", drop), 1, "missing field 'npages'"});
  cases.push_back({"npages string", with_op(0, "npages", "4"), 1, "'npages' must be a non-negative integer"});
  cases.push_back({"negative page", with_op(6, "page", -1), 7, "'page' must be a non-negative integer"});
  cases.push_back({"page too big", with_op(6, "page", 65536), 7, "'page' out of range"});
  cases.push_back({"bad prot", with_op(7, "prot", "rwx"), 8, "unknown prot"});
  cases.push_back({"bad handle", with_op(8, "map", "m65001"), 9, "'map' must be a handle"});
  cases.push_back({"unknown field", with_op(8, "value", 1), 9, "unknown field 'value'"});
  cases.push_back({"bad op", with_op(3, "op", "mmapp"), 4, "unknown operation"});
  cases.push_back({"bad flags", with_op(13, "flags", "WRITE|X"), 14, "unknown FOLL flag"});
  cases.push_back({"bool as int", with_op(15, "in_flight", 1), 16, "'in_flight' must be true or false"});
  cases.push_back({"bad value string", with_op(9, "value", "0xZZ"), 10, "'value'"});
  cases.push_back({"not an object", with_op(0, "op", drop), 1, "missing field 'op'"});
  for (const Case &c : cases) {
    try {
      (void)trace_from_json(c.doc);
      ADD_FAILURE() << c.name;
    } catch (const ParseError &e) {
      EXPECT_EQ(e.line, c.line) << c.name << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << c.name << ": " << e.what();
    }
  }

  json d = good;
  d["version"] = 2;
  EXPECT_THROW(trace_from_json(d), ParseError);
  d = good;
  d["format"] = "other";
  EXPECT_THROW(trace_from_json(d), ParseError);
  d = good;
  d.erase("ops");
  EXPECT_THROW(trace_from_json(d), ParseError);
  d = good;
  d["ops"][0] = 3;
  EXPECT_THROW(trace_from_json(d), ParseError);
  EXPECT_THROW(trace_from_json(json::array()), ParseError);

  // Values may be given as strings, and thread / in_flight may be left out.
  d = good;
  d["ops"][9]["value"] = "0xffffffffffffffff";
  d["ops"][9].erase("thread");
  d["ops"][13].erase("in_flight");
  const Trace t = trace_from_json(d);
  EXPECT_EQ(t.ops[9].value, UINT64_MAX);
  EXPECT_FALSE(t.ops[13].in_flight);
}

TEST(TraceOp, EqualityComparesOnlyUsedFields) {
  Op a = make(OpKind::Read), b = a;
  b.value = 9, b.npages = 3, b.gup_flags = 1, b.what = InsertWhat::Zero, b.result = 4;
  EXPECT_EQ(a, b);
  b.page = 1;
  EXPECT_NE(a, b);

  Op m = make(OpKind::Mmap), n = m;
  n.file = 5;  // unused for anon
  EXPECT_EQ(m, n);
  m.map_kind = n.map_kind = MapKind::File;
  EXPECT_NE(m, n);

  Op w = make(OpKind::Write), x = w;
  x.value = 1;
  EXPECT_NE(w, x);
  Op p = make(OpKind::Put), q = p;
  q.proc = 3;
  EXPECT_EQ(p, q);
  q.gup = 1;
  EXPECT_NE(p, q);
}

TEST(TraceOp, MetadataCoversEveryKind) {
  const auto &docs = op_docs();
  ASSERT_EQ(docs.size(), static_cast<size_t>(kNumOpKinds));
  std::set<std::string> names;
  for (int i = 0; i < kNumOpKinds; ++i) {
    EXPECT_EQ(static_cast<int>(docs[i].kind), i);
    EXPECT_NE(std::string(docs[i].syntax), "");
    EXPECT_NE(std::string(docs[i].models), "");
    names.insert(op_kind_name(static_cast<OpKind>(i)));
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kNumOpKinds));
  EXPECT_EQ(make(OpKind::Mmap).result_kind(), Op::ResultKind::Mapping);
  EXPECT_EQ(make(OpKind::Fork).result_kind(), Op::ResultKind::Process);
  EXPECT_EQ(make(OpKind::Gup).result_kind(), Op::ResultKind::Gup);
  EXPECT_EQ(make(OpKind::Write).result_kind(), Op::ResultKind::None);
  EXPECT_TRUE(make(OpKind::Populate).has_range());
  EXPECT_FALSE(make(OpKind::Read).has_range());
  EXPECT_TRUE(make(OpKind::InsertMixed).has_address());
  EXPECT_FALSE(make(OpKind::Mmap).has_address());
  EXPECT_STREQ(model::errno_name(-14), "EFAULT");
  EXPECT_STREQ(model::errno_name(EHWPOISON), "EHWPOISON");
  EXPECT_STREQ(model::errno_name(-9999), "E?"); EXPECT_STREQ(model::errno_name(0), "E?");
  EXPECT_STREQ(model::errno_name(INT64_MIN), "E?");
}

struct Inconsistent {
  const char *ops;
  const char *expected;  // exact result
};

TEST(TraceConsistency, Cases) {
  const std::string base = "# gupcheck trace v1\nm0 = mmap p0 anon private rw 4\n";
  const Inconsistent cases[] = {
      {"", ""},
      {"read p0 m1+0\n", "step 2: m1 is used before it is created"},
      {"m0 = mmap p0 anon private rw 1\n", "step 2: m0 is created twice"},
      {"g0 = pin p0 m0+0 1 0\nput g0\n", "step 3: put of g0, a pin call (use unpin)"},
      {"g0 = get p0 m0+0 1 0\nunpin g0\n", "step 3: unpin of g0, a get call (use put)"},
      {"g0 = pin p0 m0+0 1 0\nunpin g0\nunpin g0\n", "step 4: g0 is released twice"},
      {"g0 = get_fast p0 m0+0 1 0\nput g0\nput g0\n", "step 4: g0 is released twice"},
      {"put g0\n", "step 2: g0 is used before it is created"},
      {"g0 = get p0 m0+0 1 0\ng0 = get p0 m0+0 1 0\n", "step 3: g0 is created twice"},
      {"p1 = fork p0\nexit p1\nread p1 m0+0\n", "step 4: p1 has exited"},
      {"read p2 m0+0\n", "step 2: p2 does not exist (it is never created by fork)"},
      {"p0 = fork p0\n", "step 2: fork result p0 is already used"},
      {"p1 = fork p0\nexit p1\np1 = fork p0\n", "step 4: fork result p1 is already used"},
      {"g0 = pin p0:t1 m0+0 1 0 &\nread p0:t1 m0+0\n", "step 3: p0:t1 is blocked in in-flight call g0 (wait for it first)"},
      {"g0 = pin p0:t1 m0+0 1 0 &\nread p0 m0+0\nresume g0\nwait g0\nread p0:t1 m0+0\nunpin g0\n", ""},
      {"g0 = pin p0:t1 m0+0 1 0 &\nunpin g0\n", "step 3: unpin of g0 while it is in flight"},
      {"p1 = fork p0\ng0 = pin p1:t2 m0+0 1 0 &\nexit p1\n", "step 4: p1 exits while p1:t2 is in in-flight call g0"},
      {"g0 = pin p0 m0+0 1 0\nwait g0\n", "step 3: g0 is not in flight"},
      {"g0 = pin p0 m0+0 1 0 &\nwait g0\nresume g0\n", "step 4: g0 is not in flight"},
      {"resume g3\n", "step 2: g3 is used before it is created"},
      {"insert_page p0 m0+0 dev\n", "step 2: insert_page cannot insert a device pfn (use insert_mixed)"},
      {"munmap p0 m0+0 0\n", "step 2: page count 0 is outside 1..256"},
      {"m1 = mmap p0 anon private rw 257\n", "step 2: page count 257 is outside 1..256"},
      {"g0 = pin p0 m0+0 256 0\n", ""},
      {"exit p0\n", ""},
      {"exit p0\ndump p0\n", "step 3: p0 has exited"},
  };
  for (const Inconsistent &c : cases) {
    const Trace t = parse_trace(base + c.ops);
    EXPECT_EQ(check_consistency(t), c.expected) << c.ops;
  }
  // Ops built in memory with invalid handles are rejected too.
  Trace t;
  Op mm = make(OpKind::Mmap);
  t.ops.push_back(mm);  // result == kNoHandle
  EXPECT_EQ(check_consistency(t), "step 1: mmap has no valid result handle");
}

// Whatever the input, the parser returns a trace or throws ParseError.
void expect_parses_or_parse_error(const std::string &text) {
  try {
    const Trace t = parse_trace(text);
    // What parses prints back to something that parses to the same trace.
    EXPECT_EQ(parse_trace(print_trace(t)), t);
    (void)check_consistency(t);
    EXPECT_EQ(trace_from_json(trace_to_json(t)), t);
  } catch (const ParseError &e) {
    EXPECT_GE(e.line, 1);
  } catch (const std::exception &e) {
    ADD_FAILURE() << "unexpected exception " << e.what() << " for input: " << text;
  } catch (...) {
    ADD_FAILURE() << "unexpected non-std exception for input: " << text;
  }
}

TEST(TraceFuzz, RandomBytesAndMutations) {
  std::mt19937_64 rng(0x6775706368656b);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const std::string header = "# gupcheck trace v1\n";
  const std::string valid = kExample;
  const char *const tokens[] = {" ",  "\n", "#",  "=",     "+",    ":",      "|",     "&",          "0x",
                                "m0", "p0", "g0", "t1",    "f0",   "99999",  "65535", "4294967296", "WRITE",
                                "-",  "\r", "\t", "mmap ", "pin ", "shmem:", "file:", "anon",       "\0"};
  int parsed = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string text;
    switch (i % 4) {
      case 0: {  // random bytes after a valid header
        text = header;
        const size_t n = pick(200);
        for (size_t k = 0; k < n; ++k) text += static_cast<char>(rng());
        break;
      }
      case 1: {  // random tokens after a valid header
        text = header;
        const size_t n = pick(40);
        for (size_t k = 0; k < n; ++k) text += std::string(tokens[pick(std::size(tokens))]);
        break;
      }
      default: {  // mutations of a valid trace
        text = valid;
        const size_t edits = 1 + pick(4);
        for (size_t k = 0; k < edits; ++k) {
          const size_t at = header.size() + pick(text.size() - header.size());
          switch (pick(4)) {
            case 0: text[at] = static_cast<char>(rng()); break;
            case 1: text.erase(at, 1 + pick(8)); break;
            case 2: text.insert(at, tokens[pick(std::size(tokens))]); break;
            case 3: text.insert(at, std::string(1, "0123456789xabcdefm+p:"[pick(21)])); break;
          }
          if (text.size() <= header.size()) text = valid;
        }
        break;
      }
    }
    try {
      (void)parse_trace(text);
      ++parsed;
    } catch (...) {
    }
    expect_parses_or_parse_error(text);
  }
  // Some inputs should survive (the mutations often hit comments or digits).
  EXPECT_GT(parsed, 0);
  // Fully random documents, header included, also only ever raise ParseError.
  for (int i = 0; i < 200; ++i) {
    std::string text;
    const size_t n = pick(64);
    for (size_t k = 0; k < n; ++k) text += static_cast<char>(rng());
    EXPECT_THROW(parse_trace(text), ParseError);
  }
}

}  // namespace
}  // namespace gupcheck::trace

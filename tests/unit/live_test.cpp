// SPDX-License-Identifier: GPL-2.0-only
//
// The differential oracle: the live-expressible subset, observations on the
// model side (the model fixes the oracle found), and -- as root -- the live
// executor itself, including that 1,000 traces leave nothing behind.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "live/live.h"
#include "live/oracle.h"
#include "model/flags.h"
#include "properties/decode.h"
#include "properties/live_ops.h"
#include "properties/observe.h"
#include "trace/text.h"

using namespace gupcheck;
using props::LiveMech;
using trace::Op;
using trace::OpKind;

namespace {

trace::Trace load(const std::string &name) {
  return trace::parse_trace_file(std::string(GUPCHECK_SOURCE_DIR) + "/tests/live/" + name);
}

// Runs t on the model with the live mechanisms' semantics; the observation
// after every step.
std::vector<props::StepObs> model_run(const trace::Trace &t) {
  props::ModelOracle m;
  props::Visibility vis;
  props::Creators creators;
  std::vector<props::StepObs> out;
  for (size_t i = 0; i < t.ops.size(); i++) {
    const Op *creator = creators.of(t.ops[i]);
    props::StepObs o;
    o.result = m.run(t.ops[i], i, creator);
    creators.apply(t.ops[i]);
    vis.apply(t.ops[i]);
    m.observe(vis.sites(), o);
    out.push_back(o);
  }
  return out;
}

const props::PageObs &at(const props::StepObs &o, uint16_t proc, uint16_t map, uint16_t page) {
  for (size_t i = 0; i < o.sites.size(); i++)
    if (o.sites[i] == props::Site{proc, map, page}) return o.pages[i];
  static props::PageObs none;
  ADD_FAILURE() << "no site p" << proc << " m" << map << "+" << page;
  return none;
}

}  // namespace

TEST(LiveOps, MechanismTable) {
  using namespace model;
  EXPECT_EQ(props::gup_mechanism(trace::GupApi::PinFast, FOLL_WRITE | FOLL_LONGTERM), LiveMech::UringPin);
  EXPECT_EQ(props::gup_mechanism(trace::GupApi::PinFast, FOLL_WRITE), LiveMech::DirectRead);
  EXPECT_EQ(props::gup_mechanism(trace::GupApi::PinFast, 0), LiveMech::DirectWrite);
  EXPECT_EQ(props::gup_mechanism(trace::GupApi::GetFast, 0), LiveMech::Vmsplice);
  EXPECT_EQ(props::gup_mechanism(trace::GupApi::Pin, FOLL_WRITE), LiveMech::PvmWrite);
  EXPECT_EQ(props::gup_mechanism(trace::GupApi::Get, FOLL_WRITE | FOLL_FORCE), LiveMech::MemWrite);
  // No system call makes these exact GUP calls.
  EXPECT_EQ(props::gup_mechanism(trace::GupApi::Pin, FOLL_LONGTERM), LiveMech::None);
  EXPECT_EQ(props::gup_mechanism(trace::GupApi::Get, 0), LiveMech::None);
  EXPECT_EQ(props::gup_mechanism(trace::GupApi::GetFast, FOLL_WRITE), LiveMech::None);
  EXPECT_TRUE(props::live_mech_info(LiveMech::UringPin).holds);
  EXPECT_FALSE(props::live_mech_info(LiveMech::DirectRead).holds);
  EXPECT_NE(props::live_ops_table().find("vmsplice"), std::string::npos);
}

TEST(LiveOps, RandomTracesBecomeExpressible) {
  std::mt19937_64 rng(11);
  int changed = 0;
  for (int i = 0; i < 300; i++) {
    std::vector<uint64_t> raw(1 + rng() % 60);
    for (auto &w : raw) w = rng();
    trace::Trace orig = props::decode_trace(raw);
    trace::Trace t = props::make_live_expressible(orig);
    ASSERT_EQ(trace::check_consistency(t), "") << trace::print_trace(t);
    ASSERT_EQ(props::live_check(t), "") << trace::print_trace(t);
    changed += !props::live_check(orig).empty();
  }
  EXPECT_GT(changed, 100);  // the decoder does produce non-expressible ops
  trace::Trace bad = trace::parse_trace("# gupcheck trace v1\nm0 = mmap p0 mixedmap private rw 1\n");
  EXPECT_NE(props::live_check(bad).find("driver"), std::string::npos);
}

TEST(Observe, FrameClassesByFirstAppearance) {
  std::vector<props::PageObs> p(4);
  p[0].present = p[1].present = p[3].present = true;
  props::FrameClasses fc;
  fc.assign(p, {77, 5, 0, 77});
  EXPECT_EQ(p[0].frame, 0);
  EXPECT_EQ(p[1].frame, 1);
  EXPECT_EQ(p[2].frame, -1);
  EXPECT_EQ(p[3].frame, 0);
}

TEST(Observe, FrameClassesLastTheWholeTrace) {
  // A page that gets a new frame gets a new class, even when it is the only
  // page observed (a copy, not a reuse); a frame that stays keeps its class.
  props::FrameClasses fc;
  std::vector<props::PageObs> p(2);
  p[0].present = p[1].present = true;
  fc.assign(p, {77, 5});
  EXPECT_EQ(p[0].frame, 0);
  EXPECT_EQ(p[1].frame, 1);
  fc.assign(p, {9, 5});  // page 0 copied, page 1 kept
  EXPECT_EQ(p[0].frame, 2);
  EXPECT_EQ(p[1].frame, 1);
  fc.assign(p, {77, 5});  // 77 was forgotten when nobody showed it: a new class
  EXPECT_EQ(p[0].frame, 3);
}

TEST(Observe, VisibilityFollowsForkAndExit) {
  props::Visibility v;
  for (const Op &op : trace::parse_trace("# gupcheck trace v1\nm0 = mmap p0 anon private rw 2\np1 = fork p0\n"
                                         "m1 = mmap p1 anon private rw 1\nexit p0\n")
                          .ops)
    v.apply(op);
  auto s = v.sites();
  ASSERT_EQ(s.size(), 3u);  // p1 sees m0 (inherited) and m1; p0 is gone
  EXPECT_EQ(s[0], (props::Site{1, 0, 0}));
  EXPECT_EQ(s[2], (props::Site{1, 1, 0}));
}

// The model fixes gupcheck diff found, each checked on the model alone.
TEST(ModelFidelity, UffdZeropageOnShmem) {
  auto obs = model_run(load("uffd-zeropage-shmem.trace"));
  EXPECT_EQ(obs[1].result.ret, 0);
  const props::PageObs &shared = at(obs[1], 0, 0, 0);
  EXPECT_TRUE(shared.present && shared.file && !shared.zero && shared.mapcount == 1);
  EXPECT_EQ(obs[3].result.ret, 0);
  EXPECT_TRUE(at(obs[3], 0, 1, 0).zero);
  EXPECT_TRUE(at(obs[4], 1, 1, 0).zero);  // the private VMA got an anon_vma: fork copies
}

TEST(ModelFidelity, FaultAround) {
  auto obs = model_run(load("fault-around.trace"));
  const props::StepObs &after_read = obs[4];  // read p0 m1+1
  EXPECT_TRUE(at(after_read, 0, 1, 0).present);
  EXPECT_EQ(at(after_read, 0, 1, 0).frame, at(after_read, 0, 0, 0).frame);
  EXPECT_EQ(at(after_read, 0, 1, 2).frame, at(after_read, 0, 0, 2).frame);
  EXPECT_EQ(at(obs[9], 2, 2, 5).frame, at(obs[9], 1, 2, 5).frame);  // window from the VMA start
}

TEST(ModelFidelity, MprotectMergesAndVmAccount) {
  {
    auto t = load("mprotect-merge.trace");
    props::ModelOracle m;
    props::Creators c;
    for (size_t i = 0; i < 3; i++) m.run(t.ops[i], i, c.of(t.ops[i]));
    EXPECT_EQ(m.world().kernel().tasks[0].mm.vmas.size(), 1u);  // r then rw: one VMA again
  }
  {
    auto t = load("vm-account-no-merge.trace");
    props::ModelOracle m;
    props::Creators c;
    for (size_t i = 0; i < 4; i++) {
      m.run(t.ops[i], i, c.of(t.ops[i]));
      c.apply(t.ops[i]);
    }
    const auto &vmas = m.world().kernel().tasks[0].mm.vmas;
    ASSERT_EQ(vmas.size(), 2u);  // the piece that was writable is VM_ACCOUNT
    EXPECT_NE(vmas[0].vm_flags & model::VM_ACCOUNT, 0u);
    EXPECT_EQ(vmas[1].vm_flags & model::VM_ACCOUNT, 0u);
  }
}

TEST(ModelFidelity, VmAccountDroppedWhenReadOnlyWithoutAnonVma) {
  auto obs = model_run(load("vm-account-dropped-read-only.trace"));
  EXPECT_FALSE(at(obs[5], 1, 0, 2).present);  // m0+2 stayed its own VMA, not copied at fork
  EXPECT_TRUE(at(obs[5], 1, 0, 0).present);
}

// The VMAs of process `pid` after running every step of a tests/live trace on the model.
std::vector<std::pair<uint64_t, uint64_t>> vmas_after(const std::string &name, int pid) {
  auto t = load(name);
  props::ModelOracle m;
  props::Creators c;
  for (size_t i = 0; i < t.ops.size(); i++) {
    m.run(t.ops[i], i, c.of(t.ops[i]));
    c.apply(t.ops[i]);
  }
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const auto &v : m.world().kernel().tasks[size_t(pid)].mm.vmas) out.emplace_back(v.vm_start, v.vm_end);
  return out;
}

TEST(ModelFidelity, UffdUnregisterMergesNeighbours) {
  // The child's m0 was split by the parent's mlock and stays split across fork
  // (VM_LOCKED dropped, nothing merges) until uffd_zeropage unregisters a page.
  const auto p1 = vmas_after("uffd-unregister-merges.trace", 1);
  ASSERT_FALSE(p1.empty());
  EXPECT_EQ(p1[0].second - p1[0].first, 11u);  // [m0, m0+11): one VMA
  const auto p0 = vmas_after("uffd-unregister-merges.trace", 0);
  ASSERT_GE(p0.size(), 2u);
  EXPECT_EQ(p0[0].second - p0[0].first, 10u);  // the parent's locked tail stays apart
}

TEST(ModelFidelity, NeighboursAnonVmaReusedSoHalvesMerge) {
  const auto p0 = vmas_after("anon-vma-reused-merges.trace", 0);
  ASSERT_EQ(p0.size(), 1u);
  EXPECT_EQ(p0[0].second - p0[0].first, 3u);
}

TEST(ModelFidelity, MergeLeftWhenNotBoth) {
  const auto p0 = vmas_after("merge-left-first.trace", 0);
  ASSERT_EQ(p0.size(), 2u);
  EXPECT_EQ(p0[0].second - p0[0].first, 2u);  // m0+1 joined m0+0, not m0+2
}

TEST(ModelFidelity, UnchangedMprotectKeepsVmAccount) {
  const auto p1 = vmas_after("mprotect-unchanged-keeps-account.trace", 1);
  EXPECT_EQ(p1.size(), 2u);  // the unchanged half keeps VM_ACCOUNT, the other loses it
}

// ---------------------------------------------------------------------------
// The live kernel (root only).

// Under the sanitizers the agents, forked from this test binary, carry the
// ASan runtime (its interceptors and its shadow and allocator mappings), which
// changes what the kernel does for them (seen: fault-around and mlock results
// differing from an uninstrumented process). scripts/test.sh runs these
// comparisons in the release build.
#ifdef GUPCHECK_SANITIZED
#define SANITIZED_WHY "the sanitizer runtime in the agent processes changes what the kernel does (the release build runs them)"
#else
#define SANITIZED_WHY ""
#endif

#define REQUIRE_LIVE()                                                                     \
  do {                                                                                     \
    std::string why = live::unavailable();                                                 \
    if (why.empty()) why = SANITIZED_WHY;                                                  \
    if (!why.empty()) GTEST_SKIP() << "live kernel tests skipped: " << why;                \
  } while (0)

TEST(Live, RegressionTracesAgree) {
  REQUIRE_LIVE();
  for (const auto &e : std::filesystem::directory_iterator(std::string(GUPCHECK_SOURCE_DIR) + "/tests/live")) {
    if (e.path().extension() != ".trace") continue;  // variants/: cli.live_variants
    trace::Trace t = trace::parse_trace_file(e.path());
    ASSERT_EQ(props::live_check(t), "") << e.path();
    live::DiffResult r = live::diff_trace(t);
    EXPECT_FALSE(r.mismatch) << e.path() << "\n" << (r.mismatch ? live::mismatch_report(t, r) : "");
  }
}

TEST(Live, HistoricalBugIsAMismatch) {
  REQUIRE_LIVE();
  const model::variant_info *v = model::find_variant("fork-shares-pinned-pages");
  ASSERT_NE(v, nullptr);
  live::DiffResult r = live::diff_trace(load("pins-and-references.trace"), v->sw);
  ASSERT_TRUE(r.mismatch);
  EXPECT_EQ(r.step, 3u);  // p1 = fork p0: the kernel copies the pinned page at once
}

// GUP over a PFNMAP VMA: the [vvar] mapping (VM_PFNMAP|VM_IO on x86) against
// the model's pfnmap VMA, through every mechanism.
TEST(Live, GupOverVvarMatchesModelPfnmap) {
  REQUIRE_LIVE();
  using model::FOLL_FORCE;
  using model::FOLL_LONGTERM;
  using model::FOLL_WRITE;
  char err[256];
  struct ::live *L = live_open("", 5000, err, sizeof err);
  ASSERT_NE(L, nullptr) << err;
  const uint64_t vvar = live_vma_start(L, 0, "[vvar]");
  if (vvar == 0) {
    live_close(L);
    GTEST_SKIP() << "no [vvar] mapping on this kernel";
  }
  const struct {
    trace::GupApi api;
    uint32_t flags;
    int kind;
  } cases[] = {
      {trace::GupApi::PinFast, FOLL_WRITE | FOLL_LONGTERM, LIVE_URING_PIN},
      {trace::GupApi::PinFast, FOLL_WRITE, LIVE_DIO_READ},
      {trace::GupApi::PinFast, 0, LIVE_DIO_WRITE},
      {trace::GupApi::GetFast, 0, LIVE_VMSPLICE},
      {trace::GupApi::Pin, 0, LIVE_PVM_READ},
      {trace::GupApi::Pin, FOLL_WRITE, LIVE_PVM_WRITE},
      {trace::GupApi::Get, FOLL_FORCE, LIVE_MEM_READ},
      {trace::GupApi::Get, FOLL_WRITE | FOLL_FORCE, LIVE_MEM_WRITE},
  };
  int g = 0;
  for (const auto &c : cases) {
    trace::Trace t = trace::parse_trace("# gupcheck trace v1\nm0 = mmap p0 pfnmap private r 1\n");
    Op op;
    op.kind = OpKind::Gup;
    op.api = c.api;
    op.gup_flags = c.flags;
    op.result = 0;
    props::ModelOracle m;
    m.run(t.ops[0], 0, nullptr);
    const props::StepResult want = m.run(op, 1, nullptr);
    ::live_op o{};
    o.kind = c.kind;
    o.proc = 0;
    o.gup = g++;
    o.addr = vvar;
    o.npages = 1;
    o.file = -1;
    o.value = props::mech_value(1);
    live_result r{};
    ASSERT_EQ(live_step(L, &o, &r), 0) << live_error(L);
    const long got = props::live_ret_in_pages(props::gup_mechanism(c.api, c.flags), r.ret);
    EXPECT_EQ(got, want.ret) << trace::gup_api_name(c.api) << " " << trace::flags_to_string(c.flags);
    EXPECT_LT(got, 0);  // GUP refuses VM_IO|VM_PFNMAP (check_vma_flags())
  }
  live_close(L);
}

namespace {

size_t count_fds() {
  size_t n = 0;
  for (const auto &e : std::filesystem::directory_iterator("/proc/self/fd")) n += !e.path().empty();
  return n;
}

// Processes whose parent is us (agents or orphans handed to us).
std::set<int> our_children() {
  std::set<int> kids;
  const int me = getpid();
  for (const auto &e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream st(e.path() / "stat");
    std::string line;
    if (!std::getline(st, line)) continue;
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    int ppid;
    rest >> state >> ppid;
    if (ppid == me) kids.insert(std::stoi(name));
  }
  return kids;
}

}  // namespace

TEST(Live, ThousandTracesLeaveNothingBehind) {
  REQUIRE_LIVE();
  const std::string dir = testing::TempDir() + "/gupcheck-live-leak-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const char *old = getenv("TMPDIR");
  const std::string saved = old ? old : "";
  setenv("TMPDIR", dir.c_str(), 1);
  { live::LiveKernel warm; }  // the one scratch O_DIRECT file a process keeps (see live.c)
  const size_t fds = count_fds();
  std::mt19937_64 rng(3);
  props::DecodeLimits lim;
  lim.max_procs = 3;
  lim.max_maps = 3;
  lim.max_gups = 6;
  long mismatches = 0, ops = 0;
  for (int i = 0; i < 1000; i++) {
    std::vector<uint64_t> raw(1 + rng() % 8);
    for (auto &w : raw) w = rng();
    trace::Trace t = props::make_live_expressible(props::decode_trace(raw, lim));
    if (i % 10 == 0) {
      // Abandon a run half way: the destructor must clean up whatever is held.
      live::LiveKernel k;
      props::Creators c;
      for (size_t s = 0; s < t.ops.size() / 2; s++) {
        k.run(t.ops[s], s, c.of(t.ops[s]));
        c.apply(t.ops[s]);
      }
      continue;
    }
    live::DiffResult r = live::diff_trace(t);
    mismatches += r.mismatch;
    ops += r.ops;
  }
  if (old) setenv("TMPDIR", saved.c_str(), 1); else unsetenv("TMPDIR");
  EXPECT_EQ(count_fds(), fds) << "descriptors leaked";
  EXPECT_TRUE(our_children().empty()) << "agent processes left behind";
  EXPECT_TRUE(std::filesystem::is_empty(dir)) << "files left in " << dir;
  std::filesystem::remove_all(dir);
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(ops, 1000);
}

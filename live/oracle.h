// SPDX-License-Identifier: GPL-2.0-only
//
// The differential oracle: runs a live-expressible trace on the live kernel
// (live.h) and on the model (properties/observe.h) step by step, and reports
// the first step where their observations differ.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/variant.h"
#include "properties/observe.h"
#include "trace/op.h"

struct live;
struct live_op;

namespace gupcheck::live {

// The live kernel cannot be used (not root, no /proc/kpageflags): exit 2.
struct Unavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A run broke (an agent died or timed out): an internal error, exit 3.
struct RunError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "" when the live executor can run here, else the reason.
std::string unavailable();

// Where every trace handle lives on the live side: process slots, file
// slots, GUP slots, and each mapping's address. Mappings are placed where
// the model's do_mmap() places them: model::get_unmapped_area() from a
// per-process hint inherited at fork, at LIVE_BASE + vpn * 4096.
struct Placement {
  std::map<uint16_t, int> proc_slot{{0, 0}};
  std::map<uint16_t, int> file_slot;
  std::map<uint16_t, int> gup_slot;
  std::map<int, uint64_t> hint;  // per process slot
  std::map<uint16_t, uint64_t> map_vpn;
  std::set<uint16_t> exited;  // process handles
  int next_proc = 1;
  uint64_t address(uint16_t map, uint16_t page) const;
};

// One run of the live executor: agents, files, pins. The destructor kills and
// reaps every agent and closes everything, whatever state the run is in.
class LiveKernel {
 public:
  explicit LiveKernel(int timeout_ms = 5000);
  ~LiveKernel();
  LiveKernel(const LiveKernel &) = delete;
  LiveKernel &operator=(const LiveKernel &) = delete;

  // REQUIRES: op is live-expressible. Throws RunError when the run broke.
  props::StepResult run(const trace::Op &op, size_t step, const trace::Op *creator);
  void observe(const std::vector<props::Site> &sites, props::StepObs &out);
  void observe_vmas(const std::vector<uint16_t> &procs, props::StepObs &out);
  // The live_op an op becomes (for reproducers); also advances the placement
  // of mappings, so call it once per op, in order.
  static bool translate(const trace::Op &op, size_t step, const trace::Op *creator, Placement &pl,
                        ::live_op &out);
  int agents() const;

 private:
  struct ::live *L_ = nullptr;
  Placement *pl_;
  props::FrameClasses frames_;
};

struct DiffResult {
  // A mismatch counts only when a second run of the whole trace mismatches
  // at the same step with the same differences; otherwise the step is
  // flaky (a short-term pin released late, another process's memory
  // pressure): mismatch stays false, flaky is set, step and differences
  // describe the first run.
  bool mismatch = false;
  bool flaky = false;
  size_t step = 0;  // 0-based index of the first differing step
  props::StepObs model, live;
  std::vector<std::string> differences;
  long ops = 0;     // steps run
  double model_seconds = 0, live_seconds = 0;  // time in each side (run + observe; live includes setup)
};

// Runs t on both sides. REQUIRES: props::live_check(t) is empty.
// Throws Unavailable, RunError, props::bad_trace, model::model_bug.
DiffResult diff_trace(const trace::Trace &t, const model::variant_switches &sw = {}, int timeout_ms = 5000);

// The text report of a mismatch: the trace up to the step, the differences,
// and the two observations side by side with the differing rows marked.
std::string mismatch_report(const trace::Trace &t, const DiffResult &r);

// A standalone C program that replays t on a real kernel and prints each
// step's result and observations. REQUIRES: live_check(t) is empty.
std::string c_reproducer(const trace::Trace &t);

}  // namespace gupcheck::live

// SPDX-License-Identifier: GPL-2.0-only
//
// Shared pieces of the gupcheck command line. Each subcommand lives in its own
// cli/cmd_*.cpp and registers itself through one add_*_command() function
// declared here, so commands can grow without touching each other.
//
// Exit status: 0 nothing found, 1 a violation found, 2 bad usage or input,
// 3 an internal error of the model itself.
#pragma once

#include <CLI/CLI.hpp>

#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/variant.h"
#include "properties/invariants.h"
#include "reports/replay.h"
#include "trace/op.h"

namespace gupcheck::cli {

constexpr int kOk = 0, kViolation = 1, kUsage = 2, kInternal = 3;

// Bad usage or input: reported on stderr, exit status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Set by SIGINT/SIGTERM once install_stop_handlers() has run.
extern std::atomic<bool> g_stop;
void install_stop_handlers();

const model::variant_info &variant_or_die(const std::string &name);
// Accepts comma-separated names or ids; empty selects every invariant.
props::InvariantSet invariants_or_die(const std::vector<std::string> &names);
// The selection a saved trace is judged with: `names` when given, else its
// header's "invariants:" line (trace/header.h), else every invariant.
props::InvariantSet invariants_for(const trace::Trace &t, const std::vector<std::string> &names);
// Parses and consistency-checks a trace file; errors become UsageError.
trace::Trace load_trace(const std::string &file);
int verdict_status(const reports::ReplayLog &log);
// An output file option (--html, --dot, ...): its directory must exist, so
// that a long run does not end in an unwritable path. Throws UsageError.
void check_output_path(const std::string &option, const std::string &path);

// A subcommand stores what to run in `run` from its CLI11 callback.
using Run = std::function<int()>;

void add_fuzz_command(CLI::App &app, Run &run);
void add_replay_command(CLI::App &app, Run &run);
void add_shrink_command(CLI::App &app, Run &run);
void add_list_command(CLI::App &app, Run &run);
void add_diff_command(CLI::App &app, Run &run);
void add_repro_command(CLI::App &app, Run &run);
void add_gate_command(CLI::App &app, Run &run);
void add_merge_command(CLI::App &app, Run &run);
void add_explore_command(CLI::App &app, Run &run);
void add_mutate_command(CLI::App &app, Run &run);

}  // namespace gupcheck::cli

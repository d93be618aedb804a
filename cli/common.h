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
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "campaign/findings.h"
#include "model/variant.h"
#include "properties/stats.h"
#include "properties/invariants.h"
#include "properties/replay.h"
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
// --check full|incremental (default full: incremental is faster on long
// traces, slower on the campaign's short ones, README "Speed"): how the invariants are
// checked after each step (properties/invariants.h CheckMode); both give the
// same verdicts, so no summary or "found by" command records it.
void add_check_option(CLI::App *c, std::string *mode);
props::CheckMode check_mode(const std::string &mode);
// The selection a saved trace is judged with: `names` when given, else its
// header's "invariants:" line (trace/header.h), else every invariant.
props::InvariantSet invariants_for(const trace::Trace &t, const std::vector<std::string> &names);
// Parses and consistency-checks a trace file; errors become UsageError.
trace::Trace load_trace(const std::string &file);
int verdict_status(const props::ReplayRecord &log);
// Output locations, checked before the work starts so that a long run does
// not end in an unwritable path (campaign/write.h says what is accepted).
// Throw UsageError naming the option, the path and the reason.
// An output file option (--json, --html, -o, ...):
void check_output_path(const std::string &option, const std::string &path);
// An output directory option (--out DIR): created by the run if need be.
void check_output_dir(const std::string &option, const std::string &dir);

// Strict numbers, for every numeric option (->check(...)): the whole text is
// a decimal number (no sign on an unsigned one, no trailing text, no
// overflow; a real one is finite), within [lo, hi]. CLI11 refuses anything
// else before the run starts, naming the option (exit 2).
constexpr double kMaxSeconds = 1e9;  // time options: about 31 years
CLI::Validator integer_in(long long lo, long long hi);
CLI::Validator unsigned_integer();  // 0 .. 2^64-1 (seeds)
// lo_open: lo itself is refused (a positive time).
CLI::Validator real_in(double lo, double hi, bool lo_open = false);
// The same check for a number inside a value ("K/N"): nullopt unless the
// whole of text is a decimal integer within [lo, hi].
std::optional<long long> strict_integer(std::string_view text, long long lo, long long hi);

// The command line as given (set by main), for the findings database's runs.
extern std::string g_command_line;

// --db FILE (cli/db.cpp): opens the findings database (creating it), then
// re-checks every finding on the current model and says what changed.
// A file that is not a database, or a newer schema: UsageError.
findings::Database open_db(const std::string &path);
// The database `findings` and `report` read: `given` (--db), else
// $GUPCHECK_DB, else ./gupcheck.db. It must exist (reading never creates one).
std::string existing_db(const std::string &given);
// A run record for `tool` with the versions and the command line filled in.
findings::RunRecord new_run(const std::string &tool, const std::string &variant, uint64_t seed,
                            const std::string &shard = "");
// Inserts the run (status "running") and returns its id.
long start_run(findings::Database &db, const findings::RunRecord &r);
// Records one finding in its own transaction and prints "db: finding #ID ...".
void record_finding(findings::Database &db, long run_id, const findings::FindingInput &f);
// Ends the run and prints "db: run #ID recorded in FILE".
void finish_run(findings::Database &db, long run_id, findings::RunRecord &r);
// The share of witness states a campaign reached (the database's coverage figure).
double witness_coverage(const props::Stats &s);

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
void add_findings_command(CLI::App &app, Run &run);
void add_report_command(CLI::App &app, Run &run);
void add_timeline_command(CLI::App &app, Run &run);

void add_mutate_command(CLI::App &app, Run &run);

}  // namespace gupcheck::cli

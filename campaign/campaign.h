// SPDX-License-Identifier: GPL-2.0-only
//
// The fuzz campaign driver: RapidCheck generates raw choice sequences, the
// decoder turns them into valid traces, the executor checks every invariant
// after every step. A violation is written to disk at once, then shrunk
// (RapidCheck's own shrink tree first, then the trace shrinkers) under a
// time cap that always keeps the smallest failing trace found so far.
//
// Deterministic: case i uses the seed derived from (seed, i) and a size that
// depends on i alone, so the same seed finds the same first failure.
//
// Guided (Config::guide, `fuzz --guide on`): each part of a campaign keeps a
// corpus of the raw-choice vectors whose case reached new model coverage
// (model/coverage.h: a coverage point reached a new power-of-two count
// bucket) and spends about half of its cases mutating corpus entries
// (splice two, insert words, delete a range, change a word) instead of
// generating fresh ones. Which cases mutate, and how, depends on the case
// seed and on the corpus, which depends only on the cases this part ran
// before: so a guided campaign is deterministic for a given seed and part
// (shard and --jobs), and its "found by" command names --jobs.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/variant.h"
#include "properties/coverage.h"
#include "properties/invariants.h"
#include "properties/replay.h"
#include "properties/stats.h"
#include "trace/op.h"

namespace gupcheck::campaign {

struct Progress {
  long cases = 0;
  long ops = 0;
  double elapsed = 0;
};

struct Config;
struct Finding;

// Writes the reports of a shrunk counterexample beside its trace (BASE.txt,
// BASE.json) from the campaign's replay of it, and returns the files it
// wrote. The command line passes the report floor's writer
// (reports/counterexample.h), which campaign/ may not use itself; without
// one, only the traces are written (and nothing is replayed for reports).
using ReportWriter = std::function<std::vector<std::string>(const std::string &base, const props::ReplayRecord &record)>;

struct Config {
  std::string variant = "mainline";
  model::variant_switches sw;
  uint64_t seed = 0;
  double time_limit = 30;  // seconds; <= 0 means no limit
  long max_cases = -1;     // < 0 means no limit
  int max_size = 100;      // RapidCheck size at the end of the ramp (about the trace length)
  double shrink_time = 60;
  std::string out_dir;     // where counterexamples go; empty: write nothing
  ReportWriter write_reports;  // the reports beside each shrunk trace in out_dir
  props::InvariantSet invariants;
  std::function<void(const Progress &)> on_progress;
  double progress_interval = 2.0;
  const std::atomic<bool> *stop = nullptr;  // set (e.g. by SIGINT) to end the campaign early
  // Whether *stop also ends a shrinking under way (keeping the smallest
  // failing trace so far); when false, shrinking runs to its fixpoint or its
  // time cap first (the workers of a parallel campaign: campaign/parallel.h).
  bool stop_ends_shrinking = true;
  props::Stats *stats = nullptr;  // when set, coverage is counted into it (gupcheck fuzz --stats)
  // A part of the campaign (workers, shards: see campaign/parallel.h): the
  // case indices first_case, first_case + case_stride, ... (below max_cases
  // when that is set). Case i is the same case whichever part runs it.
  long first_case = 0;
  long case_stride = 1;
  // Shared by the parts of one campaign: no case with a larger index is
  // started, and a part that finds a failure at case i lowers it to i.
  std::atomic<long> *case_bound = nullptr;
  // Name files INVARIANT-seedS-caseI (parts of one campaign never collide).
  bool name_by_case = false;
  // The shard this part belongs to (--shard K/N), for the "found by" command.
  int shard = 1, shard_count = 1;
  // The number of parts of the shard (--jobs): with guide, each part's
  // corpus depends on the cases it ran, so "found by" names --jobs.
  int jobs = 1;
  // Coverage-guided generation (see above); kGuideDefault unless --guide says.
  bool guide = kGuideDefault;
  static constexpr bool kGuideDefault = false;
};

struct Finding {
  props::Violation violation;
  trace::Trace original;  // as generated
  trace::Trace shrunk;
  long case_index = 0;
  uint64_t case_seed = 0;
  bool mutated = false;  // the case mutated corpus entries (guided campaigns)
  long rc_shrink_steps = 0;    // accepted RapidCheck shrinks
  long trace_shrink_steps = 0; // accepted trace-shrinker steps
  bool shrink_timed_out = false;     // shrinking stopped at its time cap
  bool shrink_interrupted = false;   // shrinking stopped by Config::stop (SIGINT/SIGTERM)
  double time_to_find = 0;
  double shrink_seconds = 0;
  std::vector<std::string> files;
  std::string trace_file;  // the shrunk trace's file (empty when nothing was written)
  std::vector<std::string> write_errors;  // files that could not be written, with the reason
};

struct Result {
  long cases = 0;
  long ops = 0;
  double elapsed = 0;  // generation and checking, without shrinking
  bool found = false;
  bool interrupted = false;  // stopped by Config::stop
  Finding finding;
  // The model's branch coverage over the cases run (model/coverage.h).
  props::BranchCoverage branches;
  long mutated_cases = 0;  // guided: cases that mutated corpus entries
  long corpus_size = 0;    // guided: corpus entries at the end
};

// The command that finds case `case_index` again as this campaign's first
// failure: variant, seed, max size, the invariant selection (or witness), a
// case budget that ends at the case, and the shard. The "found by" header of
// every counterexample file.
std::string found_by_command(const Config &cfg, long case_index);

// Runs a campaign. A counterexample file that cannot be written is reported
// in Finding::write_errors; the finding is kept.
Result run(const Config &cfg);

// The seed of case i of a campaign (splitmix64 of seed and i).
uint64_t case_seed(uint64_t seed, long i);
// The RapidCheck size of case i.
int case_size(long i, int max_size);
// The raw choices of case i (what the generator produced), for replaying a
// campaign case exactly.
std::vector<uint64_t> generate_raw(uint64_t case_seed, int size);

}  // namespace gupcheck::campaign

// SPDX-License-Identifier: GPL-2.0-only
//
// The summary of a fuzz campaign, or of one shard of it, or of several
// shards merged: what ran, what each worker did, and every distinct
// counterexample. Written as JSON (`--summary-json`, read back by
// `gupcheck merge`); reports/summary.h renders it as JUnit XML and text.
//
// Invariants: findings are sorted by case index and distinct by
// (invariant, shrunk trace); shards holds distinct values in [1, shard_count].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "properties/coverage.h"

namespace gupcheck::campaign {

struct FindingSummary {
  std::string invariant;
  std::string why;
  bool internal = false;       // a model error, not an invariant violation
  long case_index = 0;         // the lowest case that found it
  uint64_t case_seed = 0;
  int worker = 0;
  int shard = 1;
  size_t original_ops = 0, shrunk_ops = 0;
  std::string trace;           // the shrunk trace, text form
  std::string trace_file;      // where it was written (empty: not written)
  std::vector<std::string> files;
  std::vector<long> also_cases;  // other cases that shrank to the same trace
  // The lowest failing case of its shard: deterministic for a seed whatever
  // --jobs is. The others were found by workers before they learnt of it.
  bool first_of_shard = true;
};

struct WorkerSummary {
  int shard = 1;
  int id = 0;
  long cases = 0, ops = 0;
  long last_case = -1;         // the highest case index it finished
  std::string status = "ok";   // ok | found | interrupted | crashed | error
  std::string detail;          // e.g. "killed by signal 11 (Segmentation fault)"; for a
                               // worker that found something: the files it could not write
};

struct CampaignSummary {
  std::string variant = "mainline";
  uint64_t seed = 0;
  int shard_count = 1;         // N of --shard K/N
  std::vector<int> shards;     // the K this summary covers
  int jobs = 1;                // workers per shard
  long case_budget = -1;       // --cases, or -1 for a time budget
  double time_budget = 0;
  int max_size = 100;
  long cases = 0, ops = 0;
  double elapsed = 0;          // wall-clock seconds (the longest shard when merged)
  double cpu_seconds = 0;      // CPU time of the workers (summed when merged)
  bool interrupted = false;
  bool guide = false;          // coverage-guided generation (--guide)
  props::BranchCoverage branches;  // the model's branch coverage over every case
  std::vector<WorkerSummary> workers;
  std::vector<FindingSummary> findings;

  bool crashed() const;
  // 0 nothing found, 1 a violation, 3 an internal model error or a crashed worker.
  int status() const;
};

// Adds f unless an equal (invariant, shrunk trace) is there; then records its case.
void add_finding(CampaignSummary &s, FindingSummary f);

nlohmann::json summary_json(const CampaignSummary &s);
// Throws std::runtime_error on a malformed summary.
CampaignSummary summary_from_json(const nlohmann::json &j);
// Merges shard summaries of one campaign. Throws std::runtime_error when they
// are of different campaigns (variant, seed, shard count, budget) or overlap.
CampaignSummary merge_summaries(const std::vector<CampaignSummary> &parts);

}  // namespace gupcheck::campaign

// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck merge: combines the JSON summaries of the shards of one campaign
// (gupcheck fuzz --shard K/N --summary-json FILE) into one summary.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/common.h"
#include "reports/json.h"
#include "reports/summary.h"
#include "campaign/write.h"
#include "trace/text.h"

namespace gupcheck::cli {
namespace {

struct MergeOpts {
  std::vector<std::string> files;
  std::string summary_json, junit;
  std::string db;  // --db: the findings database
};

// The merged campaign as one run of the findings database, with its findings.
void record_merged(const MergeOpts &o, const campaign::CampaignSummary &m) {
  findings::Database db = open_db(o.db);
  std::string shards;
  for (int k : m.shards) shards += (shards.empty() ? "" : ",") + std::to_string(k);
  findings::RunRecord run = new_run("merge", m.variant, m.seed, shards + "/" + std::to_string(m.shard_count));
  const long run_id = start_run(db, run);
  for (const campaign::FindingSummary &f : m.findings)
    record_finding(db, run_id, {m.variant, f.invariant, f.why, f.internal, trace::parse_trace(f.trace), g_command_line});
  run.cases = m.cases;
  run.ops = m.ops;
  run.ops_per_s = m.elapsed > 0 ? m.ops / m.elapsed : 0;
  run.status = m.crashed() ? "failed" : !m.findings.empty() ? "found" : m.interrupted ? "interrupted" : "ok";
  finish_run(db, run_id, run);
}

int cmd_merge(const MergeOpts &o) {
  if (!o.summary_json.empty()) check_output_path("--summary-json", o.summary_json);
  if (!o.junit.empty()) check_output_path("--junit", o.junit);
  std::vector<campaign::CampaignSummary> parts;
  for (const auto &file : o.files) {
    try {
      // Bounded like a trace file: a summary is a few kilobytes per finding.
      parts.push_back(campaign::summary_from_json(nlohmann::json::parse(trace::read_trace_file(file))));
    } catch (const std::exception &e) {
      throw UsageError(file + ": " + e.what());
    }
  }
  campaign::CampaignSummary m;
  try {
    m = campaign::merge_summaries(parts);
  } catch (const std::runtime_error &e) {
    throw UsageError(e.what());
  }
  std::printf("%s", reports::summary_text(m).c_str());
  std::string missing;
  for (int k = 1, i = 0; k <= m.shard_count; k++) {
    if (i < int(m.shards.size()) && m.shards[size_t(i)] == k) {
      i++;
      continue;
    }
    missing += " " + std::to_string(k) + "/" + std::to_string(m.shard_count);
  }
  if (!o.summary_json.empty()) campaign::write_file_atomic(o.summary_json, reports::json_text(campaign::summary_json(m)));
  if (!o.junit.empty()) campaign::write_file_atomic(o.junit, reports::junit_xml(m));
  if (!o.db.empty()) record_merged(o, m);
  if (!missing.empty()) {
    // An incomplete campaign must fail a CI job even when the shards given found nothing.
    std::printf("missing shards:%s\n", missing.c_str());
    std::fprintf(stderr, "gupcheck: merge: missing shards:%s (the campaign is incomplete)\n", missing.c_str());
    return m.status() == kOk ? kUsage : m.status();
  }
  return m.status();
}

}  // namespace

void add_merge_command(CLI::App &app, Run &run) {
  auto o = std::make_shared<MergeOpts>();
  auto *merge = app.add_subcommand("merge", "Merge the JSON summaries of the shards of one fuzz campaign");
  merge->add_option("FILES", o->files, "Summaries written by gupcheck fuzz --shard K/N --summary-json")->required();
  merge->add_option("--summary-json", o->summary_json, "Write the merged summary as JSON");
  merge->add_option("--junit", o->junit, "Write the merged summary as JUnit XML");
  merge->add_option("--db", o->db, "Record the merged campaign and its findings in this findings database (SQLite)");
  merge->callback([&run, o] { run = [o] { return cmd_merge(*o); }; });
}

}  // namespace gupcheck::cli

// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck merge: combines the JSON summaries of the shards of one campaign
// (gupcheck fuzz --shard K/N --summary-json FILE) into one summary.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/common.h"
#include "reports/summary.h"
#include "campaign/write.h"

namespace gupcheck::cli {
namespace {

struct MergeOpts {
  std::vector<std::string> files;
  std::string summary_json, junit;
};

int cmd_merge(const MergeOpts &o) {
  std::vector<campaign::CampaignSummary> parts;
  for (const auto &file : o.files) {
    std::ifstream in(file);
    if (!in) throw UsageError("cannot read " + file);
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      parts.push_back(campaign::summary_from_json(nlohmann::json::parse(ss.str())));
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
  if (int(m.shards.size()) != m.shard_count) {
    std::printf("missing shards:");
    for (int k = 1, i = 0; k <= m.shard_count; k++) {
      if (i < int(m.shards.size()) && m.shards[size_t(i)] == k) {
        i++;
        continue;
      }
      std::printf(" %d/%d", k, m.shard_count);
    }
    std::printf("\n");
  }
  if (!o.summary_json.empty()) campaign::write_file_atomic(o.summary_json, campaign::summary_json(m).dump(2) + "\n");
  if (!o.junit.empty()) campaign::write_file_atomic(o.junit, reports::junit_xml(m));
  return m.status();
}

}  // namespace

void add_merge_command(CLI::App &app, Run &run) {
  auto o = std::make_shared<MergeOpts>();
  auto *merge = app.add_subcommand("merge", "Merge the JSON summaries of the shards of one fuzz campaign");
  merge->add_option("FILES", o->files, "Summaries written by gupcheck fuzz --shard K/N --summary-json")->required();
  merge->add_option("--summary-json", o->summary_json, "Write the merged summary as JSON");
  merge->add_option("--junit", o->junit, "Write the merged summary as JUnit XML");
  merge->callback([&run, o] { run = [o] { return cmd_merge(*o); }; });
}

}  // namespace gupcheck::cli

// SPDX-License-Identifier: GPL-2.0-only
#include "campaign/summary.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <stdexcept>

namespace gupcheck::campaign {

using nlohmann::json;

bool CampaignSummary::crashed() const {
  for (const auto &w : workers)
    if (w.status == "crashed" || w.status == "error") return true;
  return false;
}

int CampaignSummary::status() const {
  for (const auto &f : findings)
    if (f.internal) return 3;
  if (!findings.empty()) return 1;
  return crashed() ? 3 : 0;
}

void add_finding(CampaignSummary &s, FindingSummary f) {
  for (auto &g : s.findings) {
    if (g.invariant != f.invariant || g.trace != f.trace) continue;
    // Same counterexample: the lowest case represents it, the others are listed.
    std::vector<long> cases = g.also_cases;
    cases.push_back(g.case_index);
    cases.push_back(f.case_index);
    cases.insert(cases.end(), f.also_cases.begin(), f.also_cases.end());
    if (f.case_index < g.case_index) g = std::move(f);
    std::sort(cases.begin(), cases.end());
    cases.erase(std::unique(cases.begin(), cases.end()), cases.end());
    std::erase(cases, g.case_index);
    g.also_cases = cases;
    return;
  }
  s.findings.push_back(std::move(f));
  std::sort(s.findings.begin(), s.findings.end(),
            [](const FindingSummary &a, const FindingSummary &b) { return a.case_index < b.case_index; });
}

json summary_json(const CampaignSummary &s) {
  json j;
  j["format"] = "gupcheck-summary-v1";
  j["variant"] = s.variant;
  j["seed"] = s.seed;
  j["shard_count"] = s.shard_count;
  j["shards"] = s.shards;
  j["jobs"] = s.jobs;
  j["case_budget"] = s.case_budget;
  j["time_budget"] = s.time_budget;
  j["max_size"] = s.max_size;
  j["cases"] = s.cases;
  j["ops"] = s.ops;
  j["elapsed"] = s.elapsed;
  j["cpu_seconds"] = s.cpu_seconds;
  j["interrupted"] = s.interrupted;
  j["crashed"] = s.crashed();
  j["status"] = s.status();
  j["workers"] = json::array();
  for (const auto &w : s.workers)
    j["workers"].push_back({{"shard", w.shard}, {"id", w.id}, {"cases", w.cases}, {"ops", w.ops},
                            {"last_case", w.last_case}, {"status", w.status}, {"detail", w.detail}});
  j["findings"] = json::array();
  for (const auto &f : s.findings)
    j["findings"].push_back({{"invariant", f.invariant}, {"why", f.why}, {"internal", f.internal},
                             {"case", f.case_index}, {"case_seed", f.case_seed}, {"worker", f.worker},
                             {"shard", f.shard}, {"original_ops", f.original_ops}, {"shrunk_ops", f.shrunk_ops},
                             {"trace", f.trace}, {"trace_file", f.trace_file}, {"files", f.files},
                             {"also_cases", f.also_cases}, {"first_of_shard", f.first_of_shard}});
  return j;
}

CampaignSummary summary_from_json(const json &j) {
  try {
    if (j.value("format", "") != "gupcheck-summary-v1") throw std::runtime_error("not a gupcheck summary");
    CampaignSummary s;
    s.variant = j.at("variant").get<std::string>();
    s.seed = j.at("seed").get<uint64_t>();
    s.shard_count = j.at("shard_count").get<int>();
    s.shards = j.at("shards").get<std::vector<int>>();
    s.jobs = j.at("jobs").get<int>();
    s.case_budget = j.at("case_budget").get<long>();
    s.time_budget = j.at("time_budget").get<double>();
    s.max_size = j.at("max_size").get<int>();
    s.cases = j.at("cases").get<long>();
    s.ops = j.at("ops").get<long>();
    s.elapsed = j.at("elapsed").get<double>();
    s.cpu_seconds = j.value("cpu_seconds", 0.0);
    s.interrupted = j.at("interrupted").get<bool>();
    for (const auto &w : j.at("workers")) {
      WorkerSummary x;
      x.shard = w.at("shard").get<int>();
      x.id = w.at("id").get<int>();
      x.cases = w.at("cases").get<long>();
      x.ops = w.at("ops").get<long>();
      x.last_case = w.at("last_case").get<long>();
      x.status = w.at("status").get<std::string>();
      x.detail = w.at("detail").get<std::string>();
      s.workers.push_back(x);
    }
    for (const auto &f : j.at("findings")) {
      FindingSummary x;
      x.invariant = f.at("invariant").get<std::string>();
      x.why = f.at("why").get<std::string>();
      x.internal = f.at("internal").get<bool>();
      x.case_index = f.at("case").get<long>();
      x.case_seed = f.at("case_seed").get<uint64_t>();
      x.worker = f.at("worker").get<int>();
      x.shard = f.at("shard").get<int>();
      x.original_ops = f.at("original_ops").get<size_t>();
      x.shrunk_ops = f.at("shrunk_ops").get<size_t>();
      x.trace = f.at("trace").get<std::string>();
      x.trace_file = f.at("trace_file").get<std::string>();
      x.files = f.at("files").get<std::vector<std::string>>();
      x.also_cases = f.at("also_cases").get<std::vector<long>>();
      x.first_of_shard = f.value("first_of_shard", true);
      s.findings.push_back(x);
    }
    return s;
  } catch (const json::exception &e) {
    throw std::runtime_error(std::string("malformed summary: ") + e.what());
  }
}

CampaignSummary merge_summaries(const std::vector<CampaignSummary> &parts) {
  if (parts.empty()) throw std::runtime_error("no summaries to merge");
  CampaignSummary m = parts[0];
  m.shards.clear();
  m.workers.clear();
  m.findings.clear();
  m.cases = m.ops = 0;
  m.elapsed = 0;
  m.cpu_seconds = 0;
  m.interrupted = false;
  std::set<int> seen;
  for (const auto &p : parts) {
    if (p.variant != m.variant || p.seed != m.seed || p.shard_count != m.shard_count ||
        p.case_budget != m.case_budget || p.max_size != m.max_size)
      throw std::runtime_error("summaries of different campaigns (variant, seed, shard count, --cases and "
                               "--max-size must agree)");
    for (int k : p.shards)
      if (!seen.insert(k).second) throw std::runtime_error("shard " + std::to_string(k) + " appears twice");
    m.shards.insert(m.shards.end(), p.shards.begin(), p.shards.end());
    m.jobs = std::max(m.jobs, p.jobs);
    m.cases += p.cases;
    m.ops += p.ops;
    m.elapsed = std::max(m.elapsed, p.elapsed);
    m.cpu_seconds += p.cpu_seconds;
    m.interrupted = m.interrupted || p.interrupted;
    m.workers.insert(m.workers.end(), p.workers.begin(), p.workers.end());
    for (const auto &f : p.findings) add_finding(m, f);
  }
  std::sort(m.shards.begin(), m.shards.end());
  return m;
}

}  // namespace gupcheck::campaign

// SPDX-License-Identifier: GPL-2.0-only
#include "campaign/summary.h"

#include "trace/header.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <set>
#include <stdexcept>

#include "trace/formats.h"

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
  json j = formats::document(formats::kSummary);
  trace::stamp_version(j);
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
  j["guide"] = s.guide;
  j["branches"] = s.branches.to_json();
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

namespace {

// No control characters (lines: but newlines and tabs).
bool control_free(const std::string &s, bool lines) {
  for (unsigned char c : s)
    if ((c < ' ' && !(lines && (c == '\n' || c == '\t'))) || c == 0x7f) return false;
  return true;
}

// Reads the fields of one JSON object of a summary strictly; every error
// names the field ("workers[1].cases: ...").
class FieldReader {
 public:
  FieldReader(const json &j, std::string where) : j_(j), where_(std::move(where)) {
    if (!j_.is_object()) throw std::runtime_error((where_.empty() ? "the summary" : where_) + ": not an object");
  }
  std::string path(const char *key) const { return where_.empty() ? key : where_ + "." + key; }
  [[noreturn]] void fail(const char *key, const std::string &why) const {
    throw std::runtime_error(path(key) + ": " + why);
  }
  bool has(const char *key) const { return j_.contains(key); }
  const json &at(const char *key) const {
    if (!j_.contains(key)) fail(key, "missing");
    return j_.at(key);
  }
  // A name or a file name: one line, no control characters.
  std::string name(const char *key) const { return text(key, false); }
  // Free text (a trace, an explanation): newlines and tabs allowed.
  std::string text(const char *key, bool lines = true) const {
    const json &v = at(key);
    if (!v.is_string()) fail(key, "must be a string");
    const std::string s = v.get<std::string>();
    if (!control_free(s, lines)) fail(key, "must not contain control characters");
    return s;
  }
  long long integer(const char *key, long long lo, long long hi) const { return integer_of(at(key), key, lo, hi); }
  long long integer_of(const json &v, const char *key, long long lo, long long hi) const {
    const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
    if (!v.is_number_integer()) fail(key, "must be a whole number in " + range + " (got " + v.dump() + ")");
    const bool in_range = v.is_number_unsigned()
                              ? v.get<uint64_t>() <= uint64_t(hi) && (lo <= 0 || v.get<uint64_t>() >= uint64_t(lo))
                              : v.get<long long>() >= lo && v.get<long long>() <= hi;
    if (!in_range)
      fail(key, "must be in " + range + " (got " + v.dump() + ")");
    return v.get<long long>();
  }
  uint64_t unsigned64(const char *key) const {
    const json &v = at(key);
    if (!v.is_number_unsigned()) fail(key, "must be a whole number >= 0 (got " + v.dump() + ")");
    return v.get<uint64_t>();
  }
  double figure(const char *key) const {
    const json &v = at(key);
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0)
      fail(key, "must be a finite number >= 0 (got " + v.dump() + ")");
    return v.get<double>();
  }
  bool flag(const char *key) const {
    const json &v = at(key);
    if (!v.is_boolean()) fail(key, "must be true or false");
    return v.get<bool>();
  }
  const json &array(const char *key) const {
    const json &v = at(key);
    if (!v.is_array()) fail(key, "must be an array");
    return v;
  }

 private:
  const json &j_;
  std::string where_;
};

constexpr long long kMaxShards = 1 << 20, kMaxJobs = 256, kMaxCount = std::numeric_limits<long>::max();

}  // namespace

CampaignSummary summary_from_json(const json &j) {
  const FieldReader r(j, "");
  // Summaries written before the version field read as version 1.
  const bool legacy_v1 = j.value("format", "") == "gupcheck-summary-v1" && !j.contains("version");
  if (const std::string why = formats::mismatch(j, formats::kSummary); !legacy_v1 && !why.empty())
    throw std::runtime_error("not a gupcheck summary: " + why);
  CampaignSummary s;
  s.variant = r.name("variant");
  s.seed = r.unsigned64("seed");
  s.shard_count = int(r.integer("shard_count", 1, kMaxShards));
  for (const json &k : r.array("shards")) {
    s.shards.push_back(int(r.integer_of(k, "shards", 1, s.shard_count)));
    if (std::count(s.shards.begin(), s.shards.end(), s.shards.back()) > 1)
      r.fail("shards", "shard " + std::to_string(s.shards.back()) + " appears twice");
  }
  if (s.shards.empty()) r.fail("shards", "must name at least one shard");
  s.jobs = int(r.integer("jobs", 1, kMaxJobs));
  s.case_budget = long(r.integer("case_budget", -1, kMaxCount));
  s.time_budget = r.figure("time_budget");
  s.max_size = int(r.integer("max_size", 1, 10000));
  s.cases = long(r.integer("cases", 0, kMaxCount));
  s.ops = long(r.integer("ops", 0, kMaxCount));
  s.elapsed = r.figure("elapsed");
  s.cpu_seconds = r.has("cpu_seconds") ? r.figure("cpu_seconds") : 0.0;
  s.interrupted = r.flag("interrupted");
  // Summaries written before guidance and branch coverage have neither.
  s.guide = r.has("guide") ? r.flag("guide") : false;
  if (r.has("branches")) {
    try {
      s.branches = props::BranchCoverage::from_raw(r.at("branches"));
    } catch (const std::exception &e) {
      r.fail("branches", std::string("malformed coverage (") + e.what() + ")");
    }
  }
  const json &workers = r.array("workers");
  for (size_t i = 0; i < workers.size(); i++) {
    const FieldReader w(workers[i], "workers[" + std::to_string(i) + "]");
    WorkerSummary x;
    x.shard = int(w.integer("shard", 1, s.shard_count));
    x.id = int(w.integer("id", 0, kMaxJobs - 1));
    x.cases = long(w.integer("cases", 0, kMaxCount));
    x.ops = long(w.integer("ops", 0, kMaxCount));
    x.last_case = long(w.integer("last_case", -1, kMaxCount));
    x.status = w.name("status");
    if (x.status != "ok" && x.status != "found" && x.status != "interrupted" && x.status != "crashed" &&
        x.status != "error")
      w.fail("status", "must be one of ok, found, interrupted, crashed, error (got \"" + x.status + "\")");
    x.detail = w.name("detail");
    s.workers.push_back(x);
  }
  const json &findings = r.array("findings");
  for (size_t i = 0; i < findings.size(); i++) {
    const FieldReader f(findings[i], "findings[" + std::to_string(i) + "]");
    FindingSummary x;
    x.invariant = f.name("invariant");
    if (x.invariant.empty()) f.fail("invariant", "must not be empty");
    x.why = f.text("why");
    x.internal = f.flag("internal");
    x.case_index = long(f.integer("case", 0, kMaxCount));
    x.case_seed = f.unsigned64("case_seed");
    x.worker = int(f.integer("worker", 0, kMaxJobs - 1));
    x.shard = int(f.integer("shard", 1, s.shard_count));
    x.original_ops = size_t(f.integer("original_ops", 0, kMaxCount));
    x.shrunk_ops = size_t(f.integer("shrunk_ops", 0, kMaxCount));
    x.trace = f.text("trace");
    x.trace_file = f.name("trace_file");
    for (const json &file : f.array("files")) {
      if (!file.is_string()) f.fail("files", "must be an array of file names");
      if (!control_free(file.get<std::string>(), false)) f.fail("files", "must not contain control characters");
      x.files.push_back(file.get<std::string>());
    }
    for (const json &c : f.array("also_cases")) x.also_cases.push_back(long(f.integer_of(c, "also_cases", 0, kMaxCount)));
    x.first_of_shard = f.has("first_of_shard") ? f.flag("first_of_shard") : true;
    s.findings.push_back(x);
  }
  return s;
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
  m.branches = {};
  std::set<int> seen;
  for (const auto &p : parts) {
    if (p.variant != m.variant || p.seed != m.seed || p.shard_count != m.shard_count ||
        p.case_budget != m.case_budget || p.max_size != m.max_size || p.guide != m.guide)
      throw std::runtime_error("summaries of different campaigns (variant, seed, shard count, --cases, "
                               "--max-size and --guide must agree)");
    for (int k : p.shards)
      if (!seen.insert(k).second) throw std::runtime_error("shard " + std::to_string(k) + " appears twice");
    m.shards.insert(m.shards.end(), p.shards.begin(), p.shards.end());
    m.jobs = std::max(m.jobs, p.jobs);
    m.cases += p.cases;
    m.ops += p.ops;
    m.elapsed = std::max(m.elapsed, p.elapsed);
    m.cpu_seconds += p.cpu_seconds;
    m.interrupted = m.interrupted || p.interrupted;
    m.branches += p.branches;
    m.workers.insert(m.workers.end(), p.workers.begin(), p.workers.end());
    for (const auto &f : p.findings) add_finding(m, f);
  }
  std::sort(m.shards.begin(), m.shards.end());
  return m;
}

}  // namespace gupcheck::campaign

// SPDX-License-Identifier: GPL-2.0-only
//
// Branch coverage of a campaign (see coverage.h).
#include "properties/coverage.h"

#include <cstdio>
#include <map>
#include <stdexcept>

namespace gupcheck::props {

namespace cov = model::cov;

void BranchCoverage::add_case(const cov::Map &m) {
  cases++;
  for (int p = 0; p < cov::kNumPoints; p++)
    if (m.hits[p]) {
      hits[p] += m.hits[p];
      cases_hit[p]++;
    }
}

BranchCoverage &BranchCoverage::operator+=(const BranchCoverage &o) {
  cases += o.cases;
  for (int p = 0; p < cov::kNumPoints; p++) {
    hits[p] += o.hits[p];
    cases_hit[p] += o.cases_hit[p];
  }
  return *this;
}

int BranchCoverage::reached() const {
  int n = 0;
  for (long h : hits) n += h > 0;
  return n;
}

std::vector<std::string> BranchCoverage::never_reached() const {
  std::vector<std::string> v;
  for (int p = 0; p < cov::kNumPoints; p++)
    if (!hits[p]) v.push_back(cov::name(cov::Point(p)));
  return v;
}

std::vector<BranchCoverage::Function> BranchCoverage::by_function() const {
  std::vector<Function> fs;
  std::map<std::string, size_t> at;
  for (int p = 0; p < cov::kNumPoints; p++) {
    const std::string fn = cov::info(cov::Point(p)).function;
    auto it = at.find(fn);
    if (it == at.end()) {
      it = at.emplace(fn, fs.size()).first;
      fs.push_back({fn, 0, 0});
    }
    fs[it->second].points++;
    fs[it->second].reached += hits[p] > 0;
  }
  return fs;
}

std::string BranchCoverage::table() const {
  std::string s = "branches: " + std::to_string(reached()) + "/" + std::to_string(points()) +
                  " reached (model coverage points, hit / reachable per kernel function):\n";
  for (const Function &f : by_function()) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "  %-32s %3d/%-3d%s\n", f.name.c_str(), f.reached, f.points,
                  f.reached == f.points ? "" : "  *");
    s += buf;
  }
  const auto never = never_reached();
  s += "branches never reached (" + std::to_string(never.size()) + "):\n";
  for (const std::string &n : never) s += "  " + n + "\n";
  return s;
}

nlohmann::json BranchCoverage::to_json() const {
  nlohmann::json j;
  j["points"] = points();
  j["reached"] = reached();
  nlohmann::json fs = nlohmann::json::array();
  for (const Function &f : by_function()) fs.push_back({{"function", f.name}, {"reached", f.reached}, {"points", f.points}});
  j["functions"] = fs;
  j["never_reached"] = never_reached();
  j["cases"] = cases;
  // By name, so readers built from another registry still match points.
  nlohmann::json pts = nlohmann::json::object();
  for (int p = 0; p < cov::kNumPoints; p++)
    if (hits[p]) pts[cov::name(cov::Point(p))] = {hits[p], cases_hit[p]};
  j["hits"] = pts;
  return j;
}

nlohmann::json BranchCoverage::raw() const { return to_json(); }

BranchCoverage BranchCoverage::from_raw(const nlohmann::json &j) {
  BranchCoverage c;
  c.cases = j.at("cases").get<long>();
  std::map<std::string, int> index;
  for (int p = 0; p < cov::kNumPoints; p++) index[cov::name(cov::Point(p))] = p;
  for (const auto &[name, v] : j.at("hits").items()) {
    auto it = index.find(name);
    if (it == index.end()) continue;  // a point this build does not have
    const long h = v.at(0).get<long>(), n = v.at(1).get<long>();
    if (h < 0 || n < 0 || n > c.cases) throw std::out_of_range("branches.hits: counts out of range for " + name);
    c.hits[it->second] += h;
    c.cases_hit[it->second] += n;
  }
  return c;
}

}  // namespace gupcheck::props

// SPDX-License-Identifier: GPL-2.0-only
//
// Campaign coverage statistics (see stats.h).
#include "properties/stats.h"

#include <cstdio>

#include "properties/witness.h"
#include "trace/formats.h"
#include "trace/text.h"

namespace gupcheck::props {

long Stats::outcome_code(long ret, long nr_pages) {
  if (ret <= 0) return ret;
  if (ret == nr_pages) return 1;
  return ret < nr_pages ? 2 : 3;
}

std::string Stats::code_label(long code) {
  if (code < 0) return std::string("-") + model::errno_name(code);
  switch (code) {
    case 0: return "0";
    case 1: return "n == nr_pages";
    case 2: return "0 < n < nr_pages";
    default: return "n > nr_pages";
  }
}

std::string Stats::outcome_label(long ret, long nr_pages) { return code_label(outcome_code(ret, nr_pages)); }

namespace {
std::map<std::string, long> labelled(const std::map<long, long> &codes) {
  std::map<std::string, long> m;
  for (const auto &[c, n] : codes) m[Stats::code_label(c)] += n;
  return m;
}
}  // namespace

std::map<std::string, long> Stats::gup_outcomes() const { return labelled(gup_codes); }
std::map<std::string, long> Stats::populate_outcomes() const { return labelled(populate_codes); }

std::map<std::string, long> Stats::ops() const {
  std::map<std::string, long> m;
  for (int i = 0; i < kOpSlots; i++) {
    if (!op_slots[i]) continue;
    trace::Op op;
    if (i < trace::kNumOpKinds) {
      op.kind = trace::OpKind(i);
    } else {
      op.kind = trace::OpKind::Gup;
      op.api = trace::GupApi(i - trace::kNumOpKinds);
    }
    m[trace::op_word(op)] += op_slots[i];
  }
  return m;
}

void Stats::record_step(const World &w) {
  const size_t nw = all_witnesses().size();
  if (witness_steps.size() != nw) {
    witness_steps.resize(nw, 0);
    witness_cases.resize(nw, 0);
  }
  if (in_case_.size() != nw) in_case_.assign(nw, false);
  steps++;
  const trace::Op &op = w.last_op();
  op_slots[op.kind == trace::OpKind::Gup ? trace::kNumOpKinds + int(op.api) : int(op.kind)]++;
  const GupCall *g = w.last_gup();
  if (g && (op.kind == trace::OpKind::Gup || op.kind == trace::OpKind::Wait))
    gup_codes[outcome_code(g->ret, g->op.npages)]++;
  else if (op.kind == trace::OpKind::Populate)
    populate_codes[outcome_code(w.last_outcome().ret, op.npages)]++;
  std::string why;
  for (size_t i = 0; i < nw; i++)
    if (!all_witnesses()[i].check(w, why)) {
      witness_steps[i]++;
      in_case_[i] = true;
    }
}

void Stats::end_case() {
  cases++;
  for (size_t i = 0; i < in_case_.size(); i++) {
    if (in_case_[i]) witness_cases[i]++;
    in_case_[i] = false;
  }
}

Stats &Stats::operator+=(const Stats &o) {
  cases += o.cases;
  steps += o.steps;
  for (int i = 0; i < kOpSlots; i++) op_slots[i] += o.op_slots[i];
  for (const auto &[k, v] : o.gup_codes) gup_codes[k] += v;
  for (const auto &[k, v] : o.populate_codes) populate_codes[k] += v;
  if (witness_steps.size() < o.witness_steps.size()) {
    witness_steps.resize(o.witness_steps.size(), 0);
    witness_cases.resize(o.witness_cases.size(), 0);
  }
  for (size_t i = 0; i < o.witness_steps.size(); i++) {
    witness_steps[i] += o.witness_steps[i];
    witness_cases[i] += o.witness_cases[i];
  }
  branches += o.branches;
  return *this;
}

namespace {

std::string pct(long n, long of) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%5.1f%%", of > 0 ? 100.0 * double(n) / double(of) : 0.0);
  return buf;
}

std::string row(const std::string &name, long n, long of) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "  %-32s %12ld  %s\n", name.c_str(), n, pct(n, of).c_str());
  return buf;
}

long total(const std::map<std::string, long> &m) {
  long t = 0;
  for (const auto &[k, v] : m) t += v;
  return t;
}

}  // namespace

std::string Stats::table() const {
  std::string s = "coverage: " + std::to_string(cases) + " cases, " + std::to_string(steps) + " steps\n";
  s += "operations (share of steps):\n";
  for (const auto &[k, v] : ops()) s += row(k, v, steps);
  const auto gup = gup_outcomes(), pop = populate_outcomes();
  const long ng = total(gup);
  s += "GUP outcomes (get, pin, get_fast, pin_fast and wait; share of " + std::to_string(ng) + " calls):\n";
  for (const auto &[k, v] : gup) s += row(k, v, ng);
  const long np = total(pop);
  s += "populate outcomes (share of " + std::to_string(np) + " calls):\n";
  for (const auto &[k, v] : pop) s += row(k, v, np);
  s += "witness states (steps reached, share of cases reaching it):\n";
  const auto &ws = all_witnesses();
  for (size_t i = 0; i < ws.size(); i++) {
    const long st = i < witness_steps.size() ? witness_steps[i] : 0;
    const long cs = i < witness_cases.size() ? witness_cases[i] : 0;
    char buf[200];
    bool pending = false;
    for (const auto &p : pending_witnesses()) pending |= std::string(p.name) == ws[i].name;
    std::snprintf(buf, sizeof buf, "  %-4s %-27s %12ld  %s of cases%s\n", ws[i].id, ws[i].name, st,
                  pct(cs, cases).c_str(), st ? "" : pending ? "  (pending: its model has not landed)" : "  NOT REACHED");
    s += buf;
  }
  if (!branches.empty()) s += branches.table();
  return s;
}

nlohmann::json Stats::raw() const {
  nlohmann::json j;
  j["cases"] = cases;
  j["steps"] = steps;
  std::vector<long> slots(op_slots.begin(), op_slots.end());
  j["op_slots"] = slots;
  j["gup_codes"] = nlohmann::json::array();
  for (const auto &[c, n] : gup_codes) j["gup_codes"].push_back({c, n});
  j["populate_codes"] = nlohmann::json::array();
  for (const auto &[c, n] : populate_codes) j["populate_codes"].push_back({c, n});
  j["witness_steps"] = witness_steps;
  j["witness_cases"] = witness_cases;
  j["branches"] = branches.raw();
  return j;
}

Stats Stats::from_raw(const nlohmann::json &j) {
  Stats s;
  s.cases = j.at("cases").get<long>();
  s.steps = j.at("steps").get<long>();
  const auto slots = j.at("op_slots").get<std::vector<long>>();
  for (size_t i = 0; i < slots.size() && i < s.op_slots.size(); i++) s.op_slots[i] = slots[i];
  for (const auto &e : j.at("gup_codes")) s.gup_codes[e.at(0).get<long>()] += e.at(1).get<long>();
  for (const auto &e : j.at("populate_codes")) s.populate_codes[e.at(0).get<long>()] += e.at(1).get<long>();
  s.witness_steps = j.at("witness_steps").get<std::vector<long>>();
  s.witness_cases = j.at("witness_cases").get<std::vector<long>>();
  if (j.contains("branches")) s.branches = BranchCoverage::from_raw(j.at("branches"));
  return s;
}

nlohmann::json Stats::to_json() const {
  nlohmann::json j = formats::document(formats::kStats);
  j["cases"] = cases;
  j["steps"] = steps;
  j["ops"] = ops();
  j["gup_outcomes"] = gup_outcomes();
  j["populate_outcomes"] = populate_outcomes();
  nlohmann::json w = nlohmann::json::array();
  const auto &ws = all_witnesses();
  for (size_t i = 0; i < ws.size(); i++)
    w.push_back({{"name", ws[i].name},
                 {"id", ws[i].id},
                 {"steps", i < witness_steps.size() ? witness_steps[i] : 0},
                 {"cases", i < witness_cases.size() ? witness_cases[i] : 0}});
  j["witnesses"] = w;
  if (!branches.empty()) j["branches"] = branches.to_json();
  return j;
}

}  // namespace gupcheck::props

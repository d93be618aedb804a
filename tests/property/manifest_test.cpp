// SPDX-License-Identifier: GPL-2.0-only
//
// tests/manifest.txt: every registered invariant and witness is listed with
// its expected result and vice versa; invariants hold for a short fixed-seed
// campaign; each witness is reached within its case budget.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "campaign/campaign.h"
#include "campaign/parallel.h"
#include "properties/witness.h"

namespace gupcheck {
namespace {

struct Manifest {
  uint64_t seed = 1;
  long cases = 0;
  std::map<std::string, std::string> invariants;  // name -> "holds"
  std::map<std::string, long> witnesses;          // name -> case budget (-1: pending)
};

Manifest load() {
  Manifest m;
  std::ifstream in(std::string(GUPCHECK_SOURCE_DIR) + "/tests/manifest.txt");
  if (!in) throw std::runtime_error("cannot read tests/manifest.txt");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    n++;
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream ss(line);
    std::string word, name, result;
    if (!(ss >> word)) continue;
    auto bad = [&] { return std::runtime_error("tests/manifest.txt line " + std::to_string(n) + ": " + line); };
    if (word == "seed") {
      if (!(ss >> m.seed)) throw bad();
    } else if (word == "cases") {
      if (!(ss >> m.cases)) throw bad();
    } else if (word == "invariant") {
      if (!(ss >> name >> result) || result != "holds" || m.invariants.count(name)) throw bad();
      m.invariants[name] = result;
    } else if (word == "witness") {
      if (!(ss >> name >> result) || m.witnesses.count(name)) throw bad();
      long budget = -1;
      if (result == "reached") {
        if (!(ss >> budget) || budget <= 0) throw bad();
      } else if (result != "pending") {
        throw bad();
      }
      m.witnesses[name] = budget;
    } else {
      throw bad();
    }
    if (ss >> word) throw bad();
  }
  return m;
}

TEST(Manifest, ListsEveryInvariantAndWitnessAndNothingElse) {
  const Manifest m = load();
  std::set<std::string> registered;
  for (const auto &i : props::all_invariants()) {
    registered.insert(i.name);
    EXPECT_TRUE(m.invariants.count(i.name)) << "invariant " << i.name << " is missing from tests/manifest.txt";
  }
  for (const auto &[name, r] : m.invariants)
    EXPECT_TRUE(registered.count(name)) << "tests/manifest.txt names unknown invariant " << name;

  std::set<std::string> witnesses, pending;
  for (const auto &p : props::pending_witnesses()) pending.insert(p.name);
  for (const auto &w : props::all_witnesses()) {
    witnesses.insert(w.name);
    ASSERT_TRUE(m.witnesses.count(w.name)) << "witness " << w.name << " is missing from tests/manifest.txt";
    EXPECT_EQ(m.witnesses.at(w.name) < 0, pending.count(w.name) > 0)
        << "witness " << w.name << ": 'pending' in tests/manifest.txt exactly when pending_witnesses() lists it";
  }
  for (const auto &p : pending) EXPECT_TRUE(witnesses.count(p)) << "pending witness " << p << " is not registered";
  for (const auto &[name, budget] : m.witnesses)
    EXPECT_TRUE(witnesses.count(name)) << "tests/manifest.txt names unknown witness " << name;
}

TEST(Manifest, InvariantsHoldOnAShortFixedSeedCampaign) {
  const Manifest m = load();
  ASSERT_GT(m.cases, 0);
  campaign::Config cfg;
  cfg.seed = m.seed;
  cfg.time_limit = 0;
  cfg.max_cases = m.cases;
  cfg.shrink_time = 1;
  const campaign::Result r = campaign::run(cfg);
  EXPECT_EQ(r.cases, m.cases);
  EXPECT_FALSE(r.found) << r.finding.violation.invariant << ": " << r.finding.violation.why;
}

TEST(Manifest, EveryWitnessIsReachedWithinItsBudget) {
  const Manifest m = load();
  for (const auto &w : props::all_witnesses()) {
    SCOPED_TRACE(w.name);
    auto it = m.witnesses.find(w.name);
    ASSERT_NE(it, m.witnesses.end());
    const bool pending = it->second < 0;
    campaign::Config cfg;
    cfg.seed = m.seed;
    cfg.time_limit = 0;
    cfg.max_cases = pending ? m.cases : it->second;
    cfg.shrink_time = 0;
    ASSERT_EQ(cfg.invariants.select({w.name}), "");
    const campaign::Result r = campaign::run(cfg);
    if (pending) {
      // Its model has not landed: once it reaches the state, the manifest must say so.
      EXPECT_FALSE(r.found) << "pending witness " << w.name << " is now reached (case " << r.finding.case_index
                            << "): give it a budget in tests/manifest.txt and drop it from pending_witnesses()";
      continue;
    }
    ASSERT_TRUE(r.found) << "witness " << w.name << " not reached in " << it->second << " cases of seed " << m.seed;
    EXPECT_EQ(r.finding.violation.invariant, w.name) << r.finding.violation.why;
    EXPECT_FALSE(r.finding.violation.internal);
  }
}

// A campaign that counts coverage finds the same as one that does not, and
// its figures add up.
TEST(Manifest, StatsCountWithoutChangingTheCampaign) {
  const Manifest m = load();
  campaign::Config cfg;
  cfg.seed = m.seed;
  cfg.time_limit = 0;
  cfg.max_cases = 300;
  const campaign::Result plain = campaign::run(cfg);
  props::Stats st;
  cfg.stats = &st;
  const campaign::Result counted = campaign::run(cfg);
  EXPECT_EQ(plain.ops, counted.ops);
  EXPECT_EQ(st.cases, 300);
  EXPECT_EQ(st.steps, counted.ops);
  long ops = 0;
  for (const auto &[k, v] : st.ops()) ops += v;
  EXPECT_EQ(ops, st.steps);
  ASSERT_EQ(st.witness_cases.size(), props::all_witnesses().size());
  for (size_t i = 0; i < st.witness_cases.size(); i++) EXPECT_LE(st.witness_cases[i], st.cases);
  props::Stats twice = st;
  twice += st;
  EXPECT_EQ(twice.steps, 2 * st.steps);
  EXPECT_EQ(twice.ops().at("mmap"), 2 * st.ops().at("mmap"));
  EXPECT_EQ(twice.gup_outcomes().at("-EFAULT"), 2 * st.gup_outcomes().at("-EFAULT"));
  EXPECT_EQ(twice.witness_steps[0], 2 * st.witness_steps[0]);
  EXPECT_EQ(twice.to_json()["steps"], 2 * st.steps);
  // The lossless form workers send round-trips.
  const props::Stats back = props::Stats::from_raw(st.raw());
  EXPECT_EQ(back.raw(), st.raw());
  EXPECT_EQ(back.table(), st.table());
}

// With worker processes, every worker's counts reach the parent: the same
// cases give the same figures as one in-process campaign.
TEST(Manifest, StatsAddUpAcrossWorkers) {
  const Manifest m = load();
  campaign::Config cfg;
  cfg.seed = m.seed;
  cfg.time_limit = 0;
  cfg.max_cases = 300;
  props::Stats one;
  cfg.stats = &one;
  campaign::run(cfg);
  props::Stats many;
  parallel::Config pc;
  pc.jobs = 2;
  pc.base = cfg;
  pc.base.stats = &many;
  const campaign::CampaignSummary s = parallel::run(pc);
  EXPECT_EQ(s.cases, 300);
  EXPECT_EQ(many.raw(), one.raw());
}

}  // namespace
}  // namespace gupcheck

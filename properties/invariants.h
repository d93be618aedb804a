// SPDX-License-Identifier: GPL-2.0-only
//
// The invariant registry: one named predicate per invariant, each with a
// one-sentence statement and the commit or seed text that motivates it
// (ids follow the catalogue, docs/invariants.md, which is generated from this
// registry: `gupcheck list invariants --markdown`). A run selects invariants by
// name; TypeOK is always checked first, and its failure is a model bug.
#pragma once

#include <functional>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "properties/world.h"

namespace gupcheck::props {

struct Invariant {
  const char *name;       // e.g. "ZeroPageNeverRefcounted"
  const char *id;         // catalogue id, e.g. "B5"
  const char *statement;  // one sentence
  const char *source;     // commit / seed / kernel function
  // Return: true when the invariant holds after the world's last step;
  // otherwise false with `why` set to what was seen.
  bool (*check)(const World &w, std::string &why);
};

// Every invariant, TypeOK first, then Expectation (both checked on every run
// whatever the selection).
const std::vector<Invariant> &all_invariants();
// An invariant or a witness (properties/witness.h) by name or id, or null.
const Invariant *find_invariant(const std::string &name);

struct Violation {
  bool found = false;
  bool internal = false;  // TypeOK or model_bug: a model bug, not a kernel bug
  std::string invariant;  // name
  std::string why;
  size_t step = 0;        // 0-based index of the failing op
  // What the violated invariant names, for reports to highlight (the graph
  // of reports/graph.h); empty when the invariant does not say. Filled by
  // the invariants that know them through name_pfn()/name_pte()/name_gup().
  std::vector<model::pfn_t> pfns;                // folios / pfns
  std::vector<std::pair<int, uint64_t>> ptes;    // (model pid, vpn)
  std::vector<int> gups;                         // GUP calls gN
  // Every other invariant of the registry (selected or not; witnesses
  // excluded) that is also violated after this step, in registry order:
  // reports list all of them, not only the one that stopped the run.
  std::vector<std::string> also;
};

// Called by an invariant's check just before it returns false: the pfn, PTE
// or GUP call it complains about. InvariantSet::check() moves what was named
// into the Violation (a thread-local side channel, so that check functions
// keep their signature).
void name_pfn(model::pfn_t pfn);
void name_pte(int pid, uint64_t vpn);
void name_gup(int gup);

// How InvariantSet::check() judges a step (gupcheck --check). Full: every
// selected invariant over the whole world after every step. Incremental:
// after a step only the instances (folios, GUP calls) the step's footprint
// (World::footprint()) says can have changed, every invariant in full at
// the end of each trace and wherever the footprint is global. Both give the
// same verdicts (tests/property/incremental_test.cpp).
enum class CheckMode { Full, Incremental };
// "full" / "incremental"; parse: false for anything else.
const char *check_mode_name(CheckMode m);
bool parse_check_mode(const std::string &s, CheckMode &m);

// A selection of invariants (all by default).
class InvariantSet {
 public:
  InvariantSet();  // every invariant; no witness
  // Names or ids of invariants or witnesses. Witnesses are selected only by
  // name (gupcheck fuzz --witness): they are expected to be violated.
  // Return: empty string, or the first unknown name. "all" selects every invariant.
  std::string select(const std::vector<std::string> &names);
  // Checks TypeOK, then Expectation, then the selected invariants in registry order.
  // Return: the first violation, with found == false when all hold; its
  // `also` lists every other registered invariant violated at that step.
  // Checking incrementally (mode() and World::incremental()), only the
  // instances the last step's footprint names.
  Violation check(const World &w, size_t step) const;
  // Every selected invariant over the whole world, whatever the mode.
  Violation check_full(const World &w, size_t step) const;
  const std::vector<const Invariant *> &selected() const { return sel_; }
  // The selection as `--invariants` takes it: "all" for every invariant,
  // else the names in registry order, comma separated.
  std::string names() const;
  // Whether the selection is one witness (gupcheck fuzz --witness).
  bool is_witness() const;
  CheckMode mode() const { return mode_; }
  void set_mode(CheckMode m) { mode_ = m; }

 private:
  Violation check(const World &w, size_t step, bool incremental) const;
  std::vector<const Invariant *> sel_;
  CheckMode mode_ = CheckMode::Full;
};

// Runs a whole trace, checking after every step; stops at the first
// violation. Throws bad_trace for an inconsistent trace. A model_bug is
// returned as an internal violation.
struct RunResult {
  Violation violation;
  size_t steps_run = 0;
};
RunResult run_trace(const trace::Trace &t, const model::variant_switches &sw, const InvariantSet &inv);
// The same, calling after_step(world) after every step, before its check
// (the hook `gupcheck fuzz --stats` counts through).
using StepObserver = std::function<void(const World &)>;
RunResult run_trace(const trace::Trace &t, const model::variant_switches &sw, const InvariantSet &inv,
                    const StepObserver &after_step);

// The selection a counterexample for `invariant` is judged with: that
// invariant alone (TypeOK and Expectation are always checked), or `fallback`
// when the name is not in the registry (ModelBug).
InvariantSet only(const std::string &invariant, const InvariantSet &fallback);

// Whether t still violates the named invariant at some step (the shrinkers'
// predicate), checked on its own: other invariants are not checked, so an
// operation that only masks another invariant can be removed. False for a
// trace that holds, fails TypeOK/Expectation/the model first, or is bad.
bool violates(const trace::Trace &t, const model::variant_switches &sw, const InvariantSet &inv,
              const std::string &invariant);
// The same, giving up (false) as soon as give_up() returns true between two
// steps, so that a shrinker's deadline or a signal also cuts short the replay
// of a long candidate.
bool violates(const trace::Trace &t, const model::variant_switches &sw, const InvariantSet &inv,
              const std::string &invariant, const std::function<bool()> &give_up);

}  // namespace gupcheck::props

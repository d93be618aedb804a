// SPDX-License-Identifier: GPL-2.0-only
//
// Mutation testing of the model (gupcheck mutate): mechanical mutants of
// model/*.cpp, each built in a scratch copy of the source tree and judged by
// the mainline campaign with every invariant. A mutant is
//   killed             a campaign seed reports a violation (or a model bug,
//                      a crash, a hang);
//   survived           no seed notices it, yet it behaves differently from
//                      the unmutated model on a corpus trace or on the
//                      campaign's coverage figures;
//   equivalent-suspect no seed notices it and no difference was found;
//   unbuildable        it does not compile (not counted).
// The mutation score is killed / (killed + survived).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace gupcheck::campaign {

// One mechanical change to one line of a model source file.
struct Mutant {
  // Stable across edits elsewhere in the file: FILE@FUNCTION#KIND.N, N
  // counting the mutants of that kind in that function.
  std::string id;
  std::string file;      // relative to the source root, e.g. model/gup.cpp
  int line = 0;          // 1-based
  std::string kind;      // negate-cond, drop-check, and-or, eq-ne, rel, drop-flag, drop-counter
  std::string function;  // the C++ function the line sits in
  std::string models;    // the kernel function it models ("// Models:" above it), or ""
  std::string before, after;  // the whole line, unmutated and mutated
};

// The kinds, in the order generate_mutants() tries them on a line.
const std::vector<std::string> &mutant_kinds();

// Every mutant of one source file (text is its content).
std::vector<Mutant> generate_mutants(const std::string &file, const std::string &text);

// text with m applied. Throws std::runtime_error when line m.line is not
// m.before any more.
std::string apply_mutant(const std::string &text, const Mutant &m);

enum class Fate { Killed, Survived, EquivalentSuspect, Unbuildable };
const char *fate_name(Fate f);

struct MutantResult {
  Mutant mutant;
  Fate fate = Fate::Unbuildable;
  std::string by;          // killed: the invariant (or "model bug", "crash", "timeout") and seed
  std::string difference;  // survived: where it differs from the unmutated model
  std::string detail;      // unbuildable: the first compiler error
  double seconds = 0;      // campaign time spent on it
};

struct MutateOptions {
  std::string source;               // source root (has CMakeLists.txt and model/)
  std::string work;                 // scratch directory (default SOURCE/build/mutate)
  std::vector<std::string> files;   // model/X.cpp, ...; empty: every model/*.cpp
  std::vector<std::string> only;    // mutant ids to run; empty: all (or the sample)
  size_t sample = 0;                // run a random sample of this many (0: all)
  uint64_t sample_seed = 1;
  double budget = 30;               // seconds per campaign seed
  int seeds = 3;                    // campaign seeds 1..N
  int jobs = 1;                     // mutants built and run at once (one scratch copy each)
  std::string invariants;           // passed to fuzz --invariants ("" = all)
  long equivalence_cases = 300;     // cases of the coverage comparison for a survivor
  bool list_only = false;           // print the mutants, build nothing
};

// Runs the mutants and prints one line per mutant (a survivor with its diff
// and where it differs) and the score to out. Return: 0 when no mutant
// survived, 1 when one did, 2 for bad options (unknown file, unknown id,
// nothing to mutate), 3 when the unmutated model does not build or its own
// campaign fails.
int run_mutate(const MutateOptions &o, std::FILE *out);

}  // namespace gupcheck::campaign

// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck mutate: mutation testing of the model (campaign/mutate.h). Each
// mechanical mutant of model/*.cpp is built in a scratch copy of the source
// tree and run through the mainline campaign with every invariant; exit 0
// when no mutant survived, 1 when one did, 2 on bad flags, 3 when the
// unmutated model does not build or fails its own campaign.
#include <cstdio>
#include <sstream>
#include <string>

#include "cli/common.h"
#include "campaign/mutate.h"

namespace gupcheck::cli {
namespace {

std::vector<std::string> comma_list(const std::vector<std::string> &in) {
  std::vector<std::string> out;
  for (const std::string &s : in) {
    std::istringstream is(s);
    for (std::string part; std::getline(is, part, ',');)
      if (!part.empty()) out.push_back(part);
  }
  return out;
}

}  // namespace

void add_mutate_command(CLI::App &app, Run &run) {
  struct Opts {
    campaign::MutateOptions m;
    std::vector<std::string> files, only, invariants;
  };
  auto o = std::make_shared<Opts>();
  o->m.source = ".";
  auto *c = app.add_subcommand("mutate", "Mutation testing: does the invariant suite notice mechanical bugs in model/?");
  c->add_option("--files", o->files, "model/X.cpp files to mutate, comma separated (default: every model/*.cpp)");
  c->add_option("--budget", o->m.budget, "Campaign seconds per seed and mutant (default 30)")->check(CLI::PositiveNumber);
  c->add_option("--seeds", o->m.seeds, "Campaign seeds 1..N per mutant (default 3)")->check(CLI::Range(1, 1000));
  c->add_option("-j,--jobs", o->m.jobs, "Mutants built and run at once, one scratch copy each (default 1)")
      ->check(CLI::Range(1, 64));
  c->add_option("--sample", o->m.sample, "Run a random sample of this many mutants (default: all)");
  c->add_option("--sample-seed", o->m.sample_seed, "Seed of the sample (default 1)");
  c->add_option("--mutants", o->only, "Run only these mutant ids, comma separated (see --list)");
  c->add_option("--invariants", o->invariants, "Invariants the campaigns check, comma separated (default all)");
  c->add_option("--source", o->m.source, "The gupcheck source tree (default: the current directory)");
  c->add_option("--work", o->m.work, "Scratch directory (default SOURCE/build/mutate)");
  c->add_option("--equivalence-cases", o->m.equivalence_cases,
                "Cases of the coverage comparison that tells a survivor from an equivalent mutant (default 300)")
      ->check(CLI::Range(1L, 1000000L));
  c->add_flag("--list", o->m.list_only, "Print the mutants (id, place, kernel function, diff) and build nothing");
  c->callback([&run, o] {
    run = [o] {
      o->m.files = comma_list(o->files);
      o->m.only = comma_list(o->only);
      std::string inv;
      for (const std::string &i : comma_list(o->invariants)) inv += (inv.empty() ? "" : ",") + i;
      if (!inv.empty()) invariants_or_die({inv});  // unknown names: exit 2 before building anything
      o->m.invariants = inv;
      install_stop_handlers();
      return campaign::run_mutate(o->m, stdout);
    };
  });
}

}  // namespace gupcheck::cli

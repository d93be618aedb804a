// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck explore: bounded exhaustive search with shortest counterexamples.
#include <cstdio>
#include <limits>
#include <filesystem>
#include <optional>
#include <string>

#include "cli/common.h"
#include "trace/header.h"
#include "campaign/explore.h"
#include "properties/annotate.h"
#include "properties/replay.h"
#include "campaign/write.h"

namespace gupcheck::cli {
namespace {

struct ExploreOpts {
  std::string variant = "mainline";
  int depth = 4, procs = 2, pages = 1, maps = 1, gups = 2;
  long graph_cap = 200000;
  std::string dot, out = "gupcheck-out";
  std::string alphabet = "full";
  std::vector<std::string> invariants;
  std::string db;  // --db: the findings database
};

int cmd_explore(const ExploreOpts &o) {
  const model::variant_info &v = variant_or_die(o.variant);
  if (o.depth < 0 || o.depth > 64) throw UsageError("--depth must be between 0 and 64");
  if (o.procs < 1 || o.procs > 8) throw UsageError("--procs must be between 1 and 8");
  if (o.pages < 1 || o.pages > 16) throw UsageError("--pages must be between 1 and 16");
  if (o.maps < 0 || o.maps > 8) throw UsageError("--maps must be between 0 and 8");
  if (o.gups < 0 || o.gups > 16) throw UsageError("--gups must be between 0 and 16");
  if (!o.dot.empty()) check_output_path("--dot", o.dot);
  if (!o.out.empty()) check_output_dir("--out", o.out);
  explore::Config cfg;
  cfg.variant = v.name;
  cfg.sw = v.sw;
  cfg.invariants = invariants_or_die(o.invariants);
  cfg.depth = o.depth;
  cfg.procs = o.procs;
  cfg.pages = o.pages;
  cfg.maps = o.maps;
  cfg.gups = o.gups;
  cfg.graph_cap = o.graph_cap;
  cfg.dot_file = o.dot;
  cfg.alphabet = o.alphabet == "core" ? explore::Alphabet::Core : explore::Alphabet::Full;
  cfg.stop = &g_stop;
  std::optional<findings::Database> db;
  std::optional<findings::RunRecord> run;
  long run_id = 0;
  if (!o.db.empty()) {
    db.emplace(open_db(o.db));
    run = new_run("explore", v.name, 0);
    run_id = start_run(*db, *run);
  }
  install_stop_handlers();
  std::printf("gupcheck explore: variant %s, depth %d, procs %d, pages %d, maps %d, gups %d, alphabet %s\n",
              v.name.c_str(), o.depth, o.procs, o.pages, o.maps, o.gups, o.alphabet.c_str());
  std::fflush(stdout);
  explore::Result r = explore::run(cfg);
  const std::string reach = r.interrupted ? "interrupted" : "depth " + std::to_string(r.depth_reached);
  std::printf("explored: %ld distinct states, %ld transitions, %s in %.2f s, %.2f s CPU (%.0f states/s, "
              "%.0f states per CPU second; per state %zu bytes of index, %zu bytes of peak RSS)\n",
              r.states, r.transitions, reach.c_str(), r.seconds,
              r.cpu_seconds, r.seconds > 0 ? r.states / r.seconds : 0.0,
              r.cpu_seconds > 0 ? r.states / r.cpu_seconds : 0.0, r.index_bytes_per_state, r.rss_bytes_per_state);
  if (!o.dot.empty()) {
    if (r.dot_written)
      std::printf("wrote %s (state graph)\n", o.dot.c_str());
    else
      std::printf("state graph not written: more than %ld states (--graph-cap)\n", o.graph_cap);
  }
  if (db) {
    if (r.found)
      record_finding(*db, run_id, {v.name, r.violation.invariant, r.violation.why, r.violation.internal, r.trace,
                                   g_command_line});
    run->cases = r.states;
    run->ops = r.transitions;
    run->ops_per_s = r.seconds > 0 ? r.transitions / r.seconds : 0;
    run->status = r.found ? "found" : r.interrupted ? "interrupted" : "ok";
    finish_run(*db, run_id, *run);
  }
  if (!r.found) {
    if (r.interrupted)
      std::printf("result: interrupted before the search to depth %d ended: no invariant violated on %s in the %ld "
                  "states explored (not a verdict for the scope)\n",
                  o.depth, v.name.c_str(), r.states);
    else
      std::printf("result: no invariant violated on %s within depth %d of this scope\n", v.name.c_str(),
                  r.depth_reached);
    return kOk;
  }
  // The header: what the verdict depends on (trace/header.h): the invariant
  // selection, and the trace stops at the first violation.
  r.trace.notes.push_back("tool: " + trace::version_line());
  const std::string selection = cfg.invariants.names();
  r.trace.notes.push_back("invariants: " + selection);
  r.trace.notes.push_back("violates: " + r.violation.invariant + " at step " + std::to_string(r.violation.step + 1));
  r.trace.notes.push_back("found by: gupcheck explore --variant " + v.name + " --depth " + std::to_string(o.depth) +
                          " --procs " + std::to_string(o.procs) + " --pages " + std::to_string(o.pages) +
                          " --maps " + std::to_string(o.maps) + " --gups " + std::to_string(o.gups) +
                          (o.alphabet == "core" ? " --alphabet core" : "") +
                          (selection == "all" ? "" : " --invariants " + selection) + " (shortest)");
  std::printf("result: %s %s, shortest trace %zu operations:\n",
              r.violation.internal ? "INTERNAL MODEL ERROR" : "VIOLATION", r.violation.invariant.c_str(),
              r.trace.ops.size());
  std::printf("  %s\n", r.violation.why.c_str());
  const std::string text = props::print_annotated_trace(r.trace, cfg.sw);
  std::printf("%s", text.c_str());
  if (!o.out.empty()) {
    std::filesystem::create_directories(o.out);
    const std::string file = o.out + "/" + r.violation.invariant + "-explore-d" + std::to_string(r.trace.ops.size()) +
                             ".trace";
    campaign::write_file_atomic(file, text);
    std::printf("wrote %s\nreplay: %s\n", file.c_str(), props::replay_command_for(file, v.name).c_str());
  }
  return r.violation.internal ? kInternal : kViolation;
}

}  // namespace

void add_explore_command(CLI::App &app, Run &run) {
  auto o = std::make_shared<ExploreOpts>();
  auto *ex = app.add_subcommand("explore", "Exhaustive search over every trace of a small scope (shortest counterexample)");
  ex->add_option("--variant", o->variant, "Model variant (see: gupcheck list variants)");
  ex->add_option("--depth", o->depth, "Trace length bound (default 4)")->check(integer_in(0, 64));
  ex->add_option("--procs", o->procs, "Processes, p0 included (default 2)")->check(integer_in(1, 8));
  ex->add_option("--pages", o->pages, "Pages per mapping (default 1)")->check(integer_in(1, 16));
  ex->add_option("--maps", o->maps, "Mappings (default 1)")->check(integer_in(0, 8));
  ex->add_option("--gups", o->gups, "GUP calls holding pages at once (default 2)")->check(integer_in(0, 16));
  ex->add_option("--alphabet", o->alphabet, "Operations: full (every kind the decoder makes; default) or core")
      ->check(CLI::IsMember({"full", "core"}));
  ex->add_option("--graph-cap", o->graph_cap, "With --dot: keep the state graph up to this many states (default 200000)")
      ->check(integer_in(0, std::numeric_limits<long>::max()));
  ex->add_option("--dot", o->dot, "Write the explored state graph (Graphviz) here");
  ex->add_option("--out", o->out, "Directory for the counterexample trace (default gupcheck-out)");
  ex->add_option("--invariants", o->invariants, "Invariants to check (default all)");
  ex->add_option("--db", o->db, "Record the run and its finding in this findings database (SQLite)");
  ex->callback([&run, o] { run = [o] { return cmd_explore(*o); }; });
}

}  // namespace gupcheck::cli

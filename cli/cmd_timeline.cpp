// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck timeline: which GUP invariants were broken in which mainline
// releases (campaign/timeline.h), as a release x invariant table; with --db
// also into the findings database (its timeline table, and each broken
// cell's counterexample as a finding of the composed variant).
#include <cstdio>
#include <optional>
#include <string>

#include "campaign/timeline.h"
#include "cli/common.h"

namespace gupcheck::cli {
namespace {

struct TimelineOpts {
  std::string from = "v4.0", to = "v6.18";
  uint64_t seed = 1;
  double budget = 3;
  long cases = 2000;
  double shrink_time = 1;
  std::string db;
};

std::string short_name(const std::string &invariant) {
  const props::Invariant *inv = props::find_invariant(invariant);
  return inv ? inv->id : invariant;
}

int cmd_timeline(const TimelineOpts &o) {
  if (!(o.budget > 0)) throw UsageError("--budget must be a positive number of seconds");
  if (o.shrink_time < 0) throw UsageError("--shrink-time must not be negative");
  timeline::Config cfg;
  cfg.from = o.from;
  cfg.to = o.to;
  cfg.seed = o.seed;
  cfg.budget = o.budget;
  cfg.cases = o.cases;
  cfg.shrink_time = o.shrink_time;
  cfg.stop = &g_stop;
  timeline::Result plan;
  try {
    plan = timeline::plan(cfg);
  } catch (const std::invalid_argument &e) {
    throw UsageError(std::string("timeline: ") + e.what());
  }
  std::optional<findings::Database> db;
  std::optional<findings::RunRecord> run;
  long run_id = 0;
  if (!o.db.empty()) {
    db.emplace(open_db(o.db));
    run = new_run("timeline", o.from + ".." + o.to, o.seed);
    run_id = start_run(*db, *run);
  }
  install_stop_handlers();
  std::printf("gupcheck timeline %s..%s: seed %llu, per cell %ld cases or %.1f s; %zu rows, %zu invariants\n",
              o.from.c_str(), o.to.c_str(), (unsigned long long)o.seed, o.cases, o.budget, plan.rows.size(),
              plan.invariants.size());
  std::fflush(stdout);
  const timeline::Result r = timeline::run(cfg, [](const timeline::Result &t, size_t i, size_t j) {
    const timeline::Cell &c = t.cells[i][j];
    std::fprintf(stderr, "[timeline] %s %s: %s (%ld cases, %.2f s)\n", t.rows[i].label().c_str(),
                 t.invariants[j].c_str(), c.internal ? "MODEL ERROR" : c.broken ? "broken" : "holds", c.cases,
                 c.seconds);
  });
  // The table: one row per run of releases with the same rules.
  std::printf("\n%-16s", "release");
  for (const auto &inv : r.invariants) std::printf(" %-4s", short_name(inv).c_str());
  std::printf("  rules in force\n");
  long broken = 0, internal = 0;
  for (size_t i = 0; i < r.rows.size(); i++) {
    const timeline::Row &row = r.rows[i];
    std::printf("%-16s", (row.label() + (row.approximate ? " *" : "")).c_str());
    for (size_t j = 0; j < r.invariants.size(); j++) {
      const timeline::Cell &c = r.cells[i][j];
      std::printf(" %-4s", !c.run ? "?" : c.internal ? "!" : c.broken ? "X" : ".");
      broken += c.broken;
      internal += c.internal;
    }
    std::printf("  %s\n", row.rules.c_str());
  }
  std::printf("\nX broken within the budget, . not broken within it, ! model error on this composition, ? not run;\n"
              "* a rule in force is dated approximately:\n");
  for (const auto &h : model::rule_histories())
    if (!h.note.empty()) std::printf("  %s: %s\n", h.variant.c_str(), h.note.c_str());
  std::printf("columns:");
  for (const auto &inv : r.invariants) std::printf(" %s %s", short_name(inv).c_str(), inv.c_str());
  std::printf("\n");
  if (db) {
    for (size_t i = 0; i < r.rows.size(); i++)
      for (size_t j = 0; j < r.invariants.size(); j++) {
        const timeline::Cell &c = r.cells[i][j];
        if (!c.run) continue;
        try {
          db->record_timeline({r.rows[i].label(), r.invariants[j], r.rows[i].rules, c.broken, r.rows[i].approximate,
                               run_id});
        } catch (const findings::DbError &e) {
          throw UsageError(std::string("findings database ") + e.what());
        }
        if (c.broken)
          record_finding(*db, run_id,
                         {r.rows[i].rules, r.invariants[j], c.why, false, c.trace,
                          "gupcheck timeline --from " + r.rows[i].first + " --to " + r.rows[i].last + " --seed " +
                              std::to_string(o.seed)});
      }
    run->status = r.interrupted ? "interrupted" : internal ? "failed" : broken ? "found" : "ok";
    finish_run(*db, run_id, *run);
  }
  if (r.interrupted) std::printf("interrupted\n");
  return internal ? kInternal : kOk;
}

}  // namespace

void add_timeline_command(CLI::App &app, Run &run) {
  auto o = std::make_shared<TimelineOpts>();
  auto *cmd = app.add_subcommand("timeline", "Which invariants the historical rules of each release break (v4.0..v6.18)");
  cmd->add_option("--from", o->from, "First release (default v4.0)");
  cmd->add_option("--to", o->to, "Last release (default v6.18)");
  cmd->add_option("--seed", o->seed, "Seed of every campaign (default 1)");
  cmd->add_option("--budget", o->budget, "Time budget per cell, seconds (default 3)");
  cmd->add_option("--cases", o->cases, "Case budget per cell (default 2000; -1: time only)");
  cmd->add_option("--shrink-time", o->shrink_time, "Shrink cap per broken cell, seconds (default 1)");
  cmd->add_option("--db", o->db, "Also write the table and the broken cells' counterexamples into this findings database");
  cmd->callback([&run, o] { run = [o] { return cmd_timeline(*o); }; });
}

}  // namespace gupcheck::cli

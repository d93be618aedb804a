// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck findings: the findings database (campaign/findings.h) as a list,
// and one finding as a report that replays its smallest trace.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "properties/replay.h"
#include "reports/text.h"
#include "trace/text.h"

namespace gupcheck::cli {
namespace {

struct FindingsOpts {
  std::string db;
  bool only_new = false, all = false, json = false;
  long show_id = 0;
};

nlohmann::json finding_json(const findings::FindingRow &f) {
  return {{"id", f.id},
          {"status", f.status},
          {"variant", f.variant},
          {"invariant", f.invariant},
          {"why", f.why},
          {"internal", f.internal},
          {"length", f.length},
          {"hits", f.hits},
          {"first_run", f.first_run},
          {"last_run", f.last_run},
          {"first_seen", findings::utc(f.first_seen)},
          {"last_seen", findings::utc(f.last_seen)},
          {"fixed_at", f.fixed_at > 0 ? nlohmann::json(findings::utc(f.fixed_at)) : nlohmann::json()},
          {"found_by", f.found_by},
          {"trace", f.trace}};
}

int cmd_list(const FindingsOpts &o) {
  findings::Database db = open_db(existing_db(o.db));
  const auto rows = db.findings(o.all ? findings::Filter::All : o.only_new ? findings::Filter::New
                                                                          : findings::Filter::Open);
  if (o.json) {
    nlohmann::json j = {{"format", "gupcheck-findings"},
                        {"version", 1},
                        {"database", db.path()},
                        {"schema_version", db.schema_version()},
                        {"filter", o.all ? "all" : o.only_new ? "new" : "open"},
                        {"findings", nlohmann::json::array()}};
    for (const auto &f : rows) j["findings"].push_back(finding_json(f));
    std::printf("%s\n", j.dump(2).c_str());
    return kOk;
  }
  std::printf("%-5s %-6s %-30s %-30s %5s %5s  %-19s  %-19s\n", "id", "status", "variant", "invariant", "ops", "hits",
              "first seen (UTC)", "last seen (UTC)");
  long n_new = 0, n_known = 0, n_fixed = 0;
  for (const auto &f : rows) {
    std::printf("%-5ld %-6s %-30s %-30s %5ld %5ld  %-19s  %-19s\n", f.id, f.status.c_str(), f.variant.c_str(),
                f.invariant.c_str(), f.length, f.hits, findings::utc(f.first_seen).c_str(),
                findings::utc(f.last_seen).c_str());
    (f.status == "new" ? n_new : f.status == "known" ? n_known : n_fixed)++;
  }
  std::printf("%zu findings: %ld new, %ld known, %ld fixed%s\n", rows.size(), n_new, n_known, n_fixed,
              o.all ? "" : " (fixed ones with --all)");
  return kOk;
}

// Exit status as replay's: 1 while it reproduces, 0 once fixed.
int cmd_show(const FindingsOpts &o) {
  findings::Database db = open_db(existing_db(o.db));
  const auto f = db.finding(o.show_id);
  if (!f) throw UsageError("no finding #" + std::to_string(o.show_id) + " in " + db.path());
  std::string runs;
  for (long r : db.sightings(f->id)) runs += " #" + std::to_string(r);
  std::printf("finding #%ld: %s on %s, %s\n", f->id, f->invariant.c_str(), f->variant.c_str(), f->status.c_str());
  std::printf("first seen %s (run #%ld), last seen %s (run #%ld), %ld hits (runs%s)\n",
              findings::utc(f->first_seen).c_str(), f->first_run, findings::utc(f->last_seen).c_str(), f->last_run,
              f->hits, runs.c_str());
  if (f->fixed_at > 0) std::printf("fixed: no longer reproduces since %s\n", findings::utc(f->fixed_at).c_str());
  std::printf("found by: %s\n", f->found_by.c_str());
  std::printf("smallest trace: %ld operations\n\n", f->length);
  trace::Trace t;
  try {
    t = trace::parse_trace(f->trace);
  } catch (const trace::ParseError &e) {
    throw UsageError("finding #" + std::to_string(f->id) + ": stored trace no longer parses: " + e.what());
  }
  const model::variant_info &v = variant_or_die(f->variant);
  props::InvariantSet inv;
  if (!f->internal) inv = invariants_or_die({f->invariant});
  props::ReplayRecord log = props::replay_for_report(t, v.name, v.sw, inv);
  log.replay_command = "gupcheck findings show " + std::to_string(f->id) + " --db " + db.path();
  std::printf("%s", reports::text_report(log).c_str());
  return verdict_status(log);
}

}  // namespace

void add_findings_command(CLI::App &app, Run &run) {
  auto o = std::make_shared<FindingsOpts>();
  auto *cmd = app.add_subcommand("findings", "List the findings database's deduplicated findings");
  cmd->add_option("--db", o->db, "The findings database (default $GUPCHECK_DB, else ./gupcheck.db)");
  auto *only_new = cmd->add_flag("--new", o->only_new, "Only findings with status new");
  auto *all = cmd->add_flag("--all", o->all, "Also fixed findings (default: new and known)");
  only_new->excludes(all);
  cmd->add_flag("--json", o->json, "JSON (format gupcheck-findings, version 1) instead of a table");
  cmd->require_subcommand(0, 1);
  auto *show = cmd->add_subcommand("show", "Print one finding and replay its smallest trace (exit 1 while it reproduces)");
  show->add_option("ID", o->show_id, "The finding's id")->required()->check(CLI::PositiveNumber);
  show->add_option("--db", o->db, "The findings database (default $GUPCHECK_DB, else ./gupcheck.db)");
  show->callback([&run, o] { run = [o] { return cmd_show(*o); }; });
  cmd->callback([&run, o, show] {
    if (show->parsed()) return;
    run = [o] { return cmd_list(*o); };
  });
}

}  // namespace gupcheck::cli

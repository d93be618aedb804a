// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck report --db FILE --html PAGE: the findings database as the
// history page (reports/history.h). Reads the database (re-checking its
// findings, as every command that opens it), replays each finding's smallest
// trace for its counterexample section and graph, and writes the page.
#include <cstdio>
#include <map>
#include <string>

#include "campaign/write.h"
#include "cli/common.h"
#include "reports/history.h"
#include "properties/replay.h"
#include "trace/text.h"

namespace gupcheck::cli {
namespace {

struct ReportOpts {
  std::string db, html;
};

reports::HistoryTimeline timeline_of(const std::vector<findings::TimelineCell> &cells) {
  reports::HistoryTimeline t;
  std::map<std::string, size_t> row, col;
  for (const auto &c : cells) {
    if (!row.count(c.release)) {
      row[c.release] = t.releases.size();
      t.releases.push_back(c.release);
      t.rules.push_back(c.variant);
      t.approximate.push_back(false);
    }
    if (!col.count(c.invariant)) {
      col[c.invariant] = t.invariants.size();
      t.invariants.push_back(c.invariant);
    }
  }
  t.cells.assign(t.releases.size(), std::vector<std::string>(t.invariants.size()));
  for (const auto &c : cells) {
    t.cells[row[c.release]][col[c.invariant]] = c.broken ? "broken" : "holds";
    if (c.approximate) t.approximate[row[c.release]] = true;
  }
  return t;
}

int cmd_report(const ReportOpts &o) {
  check_output_path("--html", o.html);
  findings::Database db = open_db(existing_db(o.db));
  reports::HistoryPage page;
  page.title = "gupcheck findings: " + db.path();
  const auto rows = db.findings(findings::Filter::All);  // new, known, fixed
  const auto runs = db.runs();
  long n_new = 0, n_known = 0, n_fixed = 0;
  for (const auto &f : rows) (f.status == "new" ? n_new : f.status == "known" ? n_known : n_fixed)++;
  page.summary = {{"file", db.path()},
                  {"schema version", std::to_string(db.schema_version())},
                  {"runs", std::to_string(runs.size())},
                  {"findings", std::to_string(rows.size()) + ": " + std::to_string(n_new) + " new, " +
                                   std::to_string(n_known) + " known, " + std::to_string(n_fixed) + " fixed"},
                  {"written", findings::utc(findings::now()) + " UTC by " + g_command_line}};
  for (const auto &f : rows) {
    reports::HistoryFinding h{f.id,   f.status,    f.variant,
                              f.invariant, findings::utc(f.first_seen), findings::utc(f.last_seen),
                              f.fixed_at > 0 ? findings::utc(f.fixed_at) : "",
                              f.hits, f.length,    ""};
    const model::variant_info *v = model::find_variant(f.variant);
    trace::Trace t;
    bool parsed = true;
    try {
      t = trace::parse_trace(f.trace);
    } catch (const trace::ParseError &) {
      parsed = false;
    }
    if (v && parsed) {
      props::InvariantSet inv;
      if (!f.internal) inv = invariants_or_die({f.invariant});
      props::ReplayRecord log = props::replay_for_report(t, v->name, v->sw, inv);
      log.replay_command = "gupcheck findings show " + std::to_string(f.id) + " --db " + db.path();
      h.anchor = "finding-" + std::to_string(f.id);
      page.counterexamples.push_back(
          {h.anchor, reports::counterexample_from_log("#" + std::to_string(f.id) + " " + f.invariant + " on " +
                                                          f.variant + " (" + f.status + ", " +
                                                          std::to_string(f.length) + " operations)",
                                                      log)});
    }
    page.findings.push_back(std::move(h));
  }
  for (const auto &r : runs) {
    reports::HistoryRun h;
    h.id = r.id;
    h.tool = r.tool;
    h.variant = r.variant;
    h.shard = r.shard;
    h.status = r.status;
    h.started = findings::utc(r.started);
    h.cases = r.cases;
    h.ops = r.ops;
    h.ops_per_s = r.ops_per_s;
    h.coverage = r.coverage;
    h.findings = r.findings;
    page.runs.push_back(std::move(h));
  }
  page.timeline = timeline_of(db.timeline());
  campaign::write_file_atomic(o.html, reports::render_history_html(page));
  std::printf("wrote %s: %zu findings (%ld new, %ld known, %ld fixed), %zu runs\n", o.html.c_str(), rows.size(), n_new,
              n_known, n_fixed, runs.size());
  return kOk;
}

}  // namespace

void add_report_command(CLI::App &app, Run &run) {
  auto o = std::make_shared<ReportOpts>();
  auto *cmd = app.add_subcommand("report", "Write the findings database's history page (one self-contained HTML file)");
  cmd->add_option("--db", o->db, "The findings database (default $GUPCHECK_DB, else ./gupcheck.db)");
  cmd->add_option("--html", o->html, "The page to write")->required();
  cmd->callback([&run, o] { run = [o] { return cmd_report(*o); }; });
}

}  // namespace gupcheck::cli

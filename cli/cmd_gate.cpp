// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck gate: the model's regression gate. Runs the mainline campaign
// (nothing may be found) and a campaign on every variant (a violation must be
// found within the budget, by the invariant the manifest names:
// variant_info::catches), prints a table, writes JUnit XML and JSON, and exits
// 0 only when every result matches the manifest (1 otherwise, 2 on bad flags).
// Deterministic by default: every campaign uses --seed (default 1).
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "cli/common.h"
#include "campaign/campaign.h"
#include "properties/annotate.h"
#include "properties/replay.h"
#include "reports/counterexample.h"
#include "reports/gate.h"
#include "reports/html.h"
#include "reports/json.h"
#include "campaign/write.h"

namespace gupcheck::cli {
namespace {

struct GateOpts {
  double budget = 10;
  double shrink_time = 5;
  uint64_t seed = 1;
  int max_size = 100;
  std::string junit, json, out, html;
  std::vector<std::string> variants;  // empty: all
  double mainline_budget = -1;        // < 0: the same as --budget
  long variant_cases = -1;            // --variant-cases: a case budget for the variants instead of --budget
  std::string db;                     // --db: the findings database
  std::string guide;                  // --guide on|off (empty: the campaign default)
};

// What the campaign page needs of one campaign besides its GateResult.
struct PageData {
  std::vector<reports::HtmlSample> samples;  // progress of the campaign
  long ops = 0;
  campaign::Config cfg;
  std::optional<trace::Trace> shrunk;  // the finding, when there is one
};

// REQUIRES: a run of the findings database is open when db is set.
reports::GateResult run_one(const model::variant_info &v, const GateOpts &o, double budget, PageData *page,
                            findings::Database *db, long run_id) {
  campaign::Config cfg;
  cfg.variant = v.name;
  cfg.sw = v.sw;
  cfg.seed = o.seed;
  cfg.time_limit = budget;
  // A case budget makes a variant's verdict independent of the machine's
  // speed (a loaded machine runs fewer cases in --budget seconds).
  if (v.name != "mainline" && o.variant_cases > 0) cfg.time_limit = 0, cfg.max_cases = o.variant_cases;
  cfg.shrink_time = o.shrink_time;
  cfg.max_size = o.max_size;
  if (!o.guide.empty()) cfg.guide = o.guide == "on";
  cfg.out_dir = o.out.empty() ? "" : o.out + "/" + v.name;
  cfg.write_reports = reports::write_counterexample_reports;
  cfg.stop = &g_stop;
  // A variant's campaign checks the invariant its manifest names (TypeOK
  // always): the question is whether that invariant catches the bug, not
  // which of several it trips first.
  if (!v.catches.empty() && !cfg.invariants.select({v.catches}).empty())
    throw UsageError("variant " + v.name + ": unknown invariant " + v.catches + " in the manifest");
  if (page) {
    cfg.progress_interval = 0.2;
    cfg.on_progress = [page](const campaign::Progress &p) { page->samples.push_back({p.elapsed, p.ops, p.cases}); };
  }
  campaign::Result r = campaign::run(cfg);
  if (page) {
    page->samples.push_back({r.elapsed, r.ops, r.cases});
    page->ops = r.ops;
    page->cfg = cfg;
    if (r.found) page->shrunk = r.finding.shrunk;
  }
  if (db && r.found)
    record_finding(*db, run_id,
                   {v.name, r.finding.violation.invariant, r.finding.violation.why, r.finding.violation.internal,
                    r.finding.shrunk,
                    "gupcheck gate --seed " + std::to_string(o.seed) + " --variants " + v.name});
  reports::GateResult g;
  g.variant = v.name;
  g.commit = v.commit;
  g.expected = v.catches;
  g.found = r.found;
  g.cases = r.found ? r.finding.case_index + 1 : r.cases;
  g.seconds = r.found ? r.finding.time_to_find : r.elapsed;
  if (r.found) {
    const campaign::Finding &f = r.finding;
    g.internal = f.violation.internal;
    g.invariant = f.violation.invariant;
    g.why = f.violation.why;
    g.shrunk_length = long(f.shrunk.ops.size());
    g.original_length = long(f.original.ops.size());
    g.trace = props::print_annotated_trace(f.shrunk, cfg.sw);
  }
  reports::judge(g);
  if (r.interrupted) {
    g.passed = false;
    g.message = "interrupted";
  }
  return g;
}

// The campaign page (reports/html.h): the variants table, mainline's
// operations per second and invariants, and every finding with its graph.
void write_gate_page(const GateOpts &o, size_t planned, size_t failed, double total,
                     const std::vector<reports::GateResult> &results, const std::vector<PageData> &pages) {
  reports::HtmlPage page;
  page.title = "gupcheck gate, seed " + std::to_string(o.seed);
  page.failed = failed != 0;
  page.verdict = std::to_string(planned - failed) + " of " + std::to_string(planned) + " results match the manifest" +
                 (failed ? ": FAILED" : ": passed");
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f s", total);
  page.config = {{"seed", std::to_string(o.seed)},
                 {"budget per variant", std::to_string(int(o.budget)) + " s"},
                 {"mainline budget", std::to_string(int(o.mainline_budget > 0 ? o.mainline_budget : o.budget)) + " s"},
                 {"shrink cap", std::to_string(int(o.shrink_time)) + " s"},
                 {"total time", buf}};
  page.show_variants = true;
  for (size_t i = 0; i < results.size(); i++) {
    const reports::GateResult &g = results[i];
    page.variants.push_back({g.variant, g.found, g.invariant, g.expected, g.found ? g.seconds : -1,
                             g.shrunk_length, g.passed ? "" : g.message});
    const PageData &d = pages[i];
    if (g.variant == "mainline") {
      page.samples = d.samples;
      page.invariants = reports::invariant_rows(d.cfg.invariants, d.ops, g.found ? g.invariant : "");
    }
    if (d.shrunk) {
      props::ReplayRecord log =
          props::replay_for_report(*d.shrunk, d.cfg.variant, d.cfg.sw, props::only(g.invariant, d.cfg.invariants));
      log.has_seed = true;
      log.seed = o.seed;
      page.counterexamples.push_back(reports::counterexample_from_log(
          g.invariant + " on " + g.variant + " (shrunk to " + std::to_string(g.shrunk_length) + " operations)", log));
    }
  }
  campaign::write_file_atomic(o.html, reports::render_html(page));
  std::printf("wrote %s\n", o.html.c_str());
}

int cmd_gate(const GateOpts &o) {
  if (!(o.budget > 0)) throw UsageError("--budget must be a positive number of seconds");
  if (o.shrink_time < 0) throw UsageError("--shrink-time must not be negative");
  if (o.max_size < 1 || o.max_size > 10000) throw UsageError("--max-size must be between 1 and 10000");
  std::vector<const model::variant_info *> todo;
  if (o.variants.empty()) {
    for (const auto &v : model::all_variants()) todo.push_back(&v);
  } else {
    for (const auto &n : o.variants) {
      const model::variant_info &v = variant_or_die(n);
      if (v.name != "mainline" && v.catches.empty())
        throw UsageError("variant '" + n + "' has no expected invariant in the manifest (combinations cannot be gated)");
      todo.push_back(&v);
    }
  }
  if (!o.html.empty()) check_output_path("--html", o.html);
  if (!o.junit.empty()) check_output_path("--junit", o.junit);
  if (!o.json.empty()) check_output_path("--json", o.json);
  if (!o.out.empty()) check_output_dir("--out", o.out);
  std::optional<findings::Database> db;
  std::optional<findings::RunRecord> run;
  long run_id = 0;
  if (!o.db.empty()) {
    db.emplace(open_db(o.db));
    std::string names;
    for (const model::variant_info *v : todo) names += (names.empty() ? "" : ",") + v->name;
    run = new_run("gate", o.variants.empty() ? "all" : names, o.seed);
    run_id = start_run(*db, *run);
  }
  install_stop_handlers();
  std::printf("gupcheck gate: seed %llu, budget %.1f s per campaign, shrink cap %.1f s, %zu campaigns\n",
              (unsigned long long)o.seed, o.budget, o.shrink_time, todo.size());
  std::printf("%-30s %-6s %-28s %9s %8s %7s  %s\n", "variant", "result", "invariant", "time(s)", "cases", "shrunk",
              "expected");
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  std::vector<reports::GateResult> results;
  std::vector<PageData> pages;  // one per result, only with --html
  // One row of the table.
  auto print_row = [](const reports::GateResult &g) {
    const char *res = !g.ran ? "-" : g.passed ? (g.expected.empty() ? "clean" : "caught") : "FAIL";
    std::printf("%-30s %-6s %-28s %9.2f %8ld %7s  %s\n", g.variant.c_str(), res,
                g.found ? g.invariant.c_str() : "-", g.seconds, g.cases,
                g.shrunk_length >= 0 ? std::to_string(g.shrunk_length).c_str() : "-",
                g.expected.empty() ? "(nothing)" : g.expected.c_str());
    if (!g.passed) std::printf("    %s\n", g.message.c_str());
    std::fflush(stdout);
  };
  for (const model::variant_info *v : todo) {
    if (g_stop.load()) {
      // Interrupted: the campaigns not reached are listed, as not run.
      results.push_back(reports::not_run(v->name, v->commit, v->catches));
      if (!o.html.empty()) pages.emplace_back();
      print_row(results.back());
      continue;
    }
    const double budget = v->name == "mainline" && o.mainline_budget > 0 ? o.mainline_budget : o.budget;
    PageData *page = nullptr;
    if (!o.html.empty()) page = &pages.emplace_back();
    reports::GateResult g = run_one(*v, o, budget, page, db ? &*db : nullptr, run_id);
    print_row(g);
    results.push_back(std::move(g));
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t failed = 0;
  size_t not_run = 0;
  for (const auto &g : results) failed += !g.passed, not_run += !g.ran;
  if (not_run) std::printf("interrupted: %zu of %zu campaigns not run\n", not_run, todo.size());
  if (!o.junit.empty()) campaign::write_file_atomic(o.junit, reports::junit_xml(results, total));
  if (!o.json.empty()) campaign::write_file_atomic(o.json, reports::json_text(reports::gate_json(results, o.seed, o.budget)));
  if (!o.html.empty()) write_gate_page(o, todo.size(), failed, total, results, pages);
  if (db) {
    for (const auto &g : results) run->cases += g.cases;
    run->status = failed ? "failed" : g_stop.load() ? "interrupted" : "ok";
    finish_run(*db, run_id, *run);
  }
  std::printf("gate: %zu of %zu results match the manifest in %.1f s: %s\n", todo.size() - failed, todo.size(), total,
              failed ? "FAILED" : "passed");
  return failed ? kViolation : kOk;
}

}  // namespace

void add_gate_command(CLI::App &app, Run &run) {
  auto o = std::make_shared<GateOpts>();
  auto *gate = app.add_subcommand("gate", "Check that mainline holds and every variant is caught by its invariant");
  gate->add_option("--budget", o->budget, "Time budget per campaign, seconds (default 10)")
      ->check(real_in(0, kMaxSeconds, true));
  gate->add_option("--mainline-budget", o->mainline_budget, "Time budget of the mainline campaign (default: --budget)")
      ->check(real_in(0, kMaxSeconds, true));
  gate->add_option("--variant-cases", o->variant_cases,
                   "A case budget for each variant's campaign instead of --budget (machine-independent)")
      ->check(CLI::PositiveNumber);
  gate->add_option("--seed", o->seed, "Seed of every campaign (default 1: the gate is deterministic)")
      ->check(unsigned_integer());
  gate->add_option("--shrink-time", o->shrink_time, "Time cap for shrinking each finding, seconds (default 5)")
      ->check(real_in(0, kMaxSeconds));
  gate->add_option("--max-size", o->max_size, "Largest generation size (default 100)")->check(integer_in(1, 10000));
  gate->add_option("--junit", o->junit, "Write JUnit XML here (one testcase per variant plus mainline)");
  gate->add_option("--json", o->json, "Write the results as JSON here");
  gate->add_option("--html", o->html, "Also write the gate's page (one self-contained HTML file) here");
  gate->add_option("--out", o->out, "Write each finding's trace and reports under this directory");
  gate->add_option("--db", o->db, "Record the gate's run and every finding in this findings database (SQLite)");
  gate->add_option("--guide", o->guide, "Coverage-guided generation in every campaign (on|off; default as fuzz)")
      ->check(CLI::IsMember({"on", "off"}));
  gate->add_option("--variants", o->variants, "Only these variants (comma separated; default all)")->delimiter(',');
  gate->callback([&run, o] { run = [o] { return cmd_gate(*o); }; });
}

}  // namespace gupcheck::cli

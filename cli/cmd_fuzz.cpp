// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck fuzz: a RapidCheck campaign on one model variant.
#include <chrono>
#include <cstdio>
#include <sstream>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "cli/common.h"
#include "campaign/campaign.h"
#include "properties/stats.h"
#include "properties/witness.h"
#include "campaign/parallel.h"
#include "properties/annotate.h"
#include "properties/replay.h"
#include "reports/counterexample.h"
#include "reports/html.h"
#include "reports/summary.h"
#include "campaign/write.h"
#include "reports/json.h"
#include "reports/version.h"
#include "trace/text.h"

namespace gupcheck::cli {
namespace {

struct FuzzOpts {
  std::string variant = "mainline";
  uint64_t seed = 0;
  bool seed_given = false;
  double time = 30;
  long cases = -1;
  std::string out = "gupcheck-out";
  std::string html;  // --html: the campaign page
  double shrink_time = 60;
  int max_size = 100;
  std::vector<std::string> invariants;
  std::string witness;
  bool stats = false;
  std::string stats_json;
  int jobs = 0;  // 0: not given (one in-process campaign, the classic output)
  std::string shard;  // "K/N"
  std::string summary_json, junit;
  bool max_size_given = false, budget_given = false;  // --max-size, --time or --cases on the command line
  std::string db;  // --db: the findings database
  std::string check;  // --check full|incremental
  std::string guide;  // --guide on|off (empty: the default, campaign::Config::kGuideDefault)
};

// RC_PARAMS, RapidCheck's environment variable, as a RapidCheck user expects
// it: seed, max_size and max_success stand for --seed, --max-size and --cases
// where the command line does not give them; any other key is ignored with
// one warning (the campaign drives RapidCheck's generators itself).
void apply_rc_params(FuzzOpts &o) {
  const char *env = std::getenv("RC_PARAMS");
  if (!env) return;
  std::istringstream in(env);
  std::string word, ignored;
  while (in >> word) {
    const size_t eq = word.find('=');
    const std::string key = word.substr(0, eq), value = eq == std::string::npos ? "" : word.substr(eq + 1);
    auto number = [&]() -> uint64_t {
      if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos || value.size() > 19)
        throw UsageError("RC_PARAMS: " + key + " needs a non-negative integer (got '" + value + "')");
      return std::stoull(value);
    };
    if (key == "seed") {
      const uint64_t v = number();
      if (!o.seed_given) o.seed = v, o.seed_given = true;
    } else if (key == "max_size") {
      const uint64_t v = number();
      if (v < 1 || v > 10000) throw UsageError("RC_PARAMS: max_size must be between 1 and 10000");
      if (!o.max_size_given) o.max_size = int(v);
    } else if (key == "max_success") {
      const uint64_t v = number();
      if (!o.budget_given) o.cases = long(v);
    } else {
      ignored += (ignored.empty() ? "" : ", ") + key;
    }
  }
  if (!ignored.empty())
    std::fprintf(stderr, "gupcheck: RC_PARAMS: ignoring %s (only seed, max_size and max_success apply)\n",
                 ignored.c_str());
}

// The run's figures for the findings database, then its end.
void finish_db_run(findings::Database &db, long run_id, findings::RunRecord &run, long cases, long ops,
                   double elapsed, const props::Stats *stats, const std::string &status) {
  run.cases = cases;
  run.ops = ops;
  run.ops_per_s = elapsed > 0 ? ops / elapsed : 0;
  if (stats) run.coverage = witness_coverage(*stats);
  run.status = status;
  finish_run(db, run_id, run);
}

std::string seconds(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// The campaign page (reports/html.h), written once the campaign is over.
void write_campaign_page(const FuzzOpts &o, const campaign::Config &cfg, const campaign::Result &r,
                         const std::vector<reports::HtmlSample> &samples) {
  reports::HtmlPage page;
  page.title = "gupcheck fuzz: " + cfg.variant + ", seed " + std::to_string(cfg.seed);
  page.failed = r.found;
  if (r.found)
    page.verdict = std::string(r.finding.violation.internal ? "INTERNAL MODEL ERROR " : "VIOLATION ") +
                   r.finding.violation.invariant + " at case " + std::to_string(r.finding.case_index);
  else
    page.verdict = std::string("no invariant violated") + (r.interrupted ? " (interrupted)" : "");
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.0f", r.elapsed > 0 ? r.ops / r.elapsed : 0.0);
  page.config = {
      {"variant", cfg.variant},
      {"seed", std::to_string(cfg.seed)},
      {"budget", o.cases >= 0 ? std::to_string(o.cases) + " cases" : seconds(o.time) + " s"},
      {"max size", std::to_string(cfg.max_size)},
      {"guide", cfg.guide ? "on (" + std::to_string(r.mutated_cases) + " mutated cases, corpus of " +
                                std::to_string(r.corpus_size) + ")"
                          : "off"},
      {"shrink time", seconds(cfg.shrink_time) + " s"},
      {"invariants", std::to_string(cfg.invariants.selected().size() + 2) + " (TypeOK and Expectation included)"},
      {"counterexamples in", cfg.out_dir + "/"},
      {"cases run", std::to_string(r.cases)},
      {"operations checked", std::to_string(r.ops)},
      {"elapsed (without shrinking)", seconds(r.elapsed) + " s"},
      {"operations/s", rate},
      {"command", "gupcheck fuzz --variant " + cfg.variant + " --seed " + std::to_string(cfg.seed) +
                      (o.cases >= 0 ? " --cases " + std::to_string(o.cases) : " --time " + seconds(o.time))},
  };
  page.samples = samples;
  page.invariants = reports::invariant_rows(cfg.invariants, r.ops, r.found ? r.finding.violation.invariant : "");
  page.branches = r.branches;
  if (r.found) {
    const campaign::Finding &f = r.finding;
    props::ReplayRecord log =
        props::replay_for_report(f.shrunk, cfg.variant, cfg.sw, props::only(f.violation.invariant, cfg.invariants));
    log.has_seed = true;
    log.seed = cfg.seed;
    log.replay_command = props::replay_command_for(f.trace_file.empty() ? "TRACE_FILE" : f.trace_file, cfg.variant);
    page.counterexamples.push_back(reports::counterexample_from_log(
        f.violation.invariant + " on " + cfg.variant + " (case " + std::to_string(f.case_index) + ", shrunk from " +
            std::to_string(f.original.ops.size()) + " to " + std::to_string(f.shrunk.ops.size()) + " operations)",
        log));
  }
  campaign::write_file_atomic(o.html, reports::render_html(page));
  std::printf("wrote %s\n", o.html.c_str());
}

void write_stats_json(const std::string &file, const props::Stats &stats) {
  nlohmann::json j = stats.to_json();
  reports::stamp_version(j);
  campaign::write_file_atomic(file, reports::json_text(j));
}

// "K/N" with 1 <= K <= N.
void parse_shard(const std::string &text, int &k, int &n) {
  const size_t slash = text.find('/');
  const std::string_view all(text);
  const auto kk = slash == std::string::npos ? std::nullopt : strict_integer(all.substr(0, slash), 1, 1 << 20);
  const auto nn = slash == std::string::npos ? std::nullopt : strict_integer(all.substr(slash + 1), 1, 1 << 20);
  if (!kk || !nn) throw UsageError("--shard must be K/N with whole numbers from 1 to 1048576, e.g. 2/8 (got '" + text + "')");
  k = int(*kk);
  n = int(*nn);
  if (k > n) throw UsageError("--shard K/N needs 1 <= K <= N (got '" + text + "')");
}

// --jobs, --shard, --summary-json or --junit: forked workers and a merged summary.
int cmd_fuzz_parallel(const FuzzOpts &o, campaign::Config cfg, const model::variant_info &v,
                      findings::Database *db) {
  if (!o.html.empty())
    throw UsageError("--html draws one in-process campaign; it does not combine with --jobs, --shard, "
                     "--summary-json or --junit yet");
  parallel::Config pc;
  pc.jobs = o.jobs == 0 ? 1 : o.jobs;
  if (pc.jobs < 1 || pc.jobs > 256) throw UsageError("--jobs must be between 1 and 256");
  if (!o.shard.empty()) parse_shard(o.shard, pc.shard, pc.shard_count);
  cfg.on_progress = nullptr;
  pc.base = cfg;
  pc.on_progress = [](long cases, long ops, double el) {
    std::fprintf(stderr, "[fuzz] cases=%ld ops=%ld ops/s=%.0f elapsed=%.1fs\n", cases, ops, el > 0 ? ops / el : 0.0,
                 el);
  };
  std::printf("gupcheck fuzz: variant %s, seed %llu, %s, shard %d/%d, %d job%s, counterexamples in %s/\n",
              v.name.c_str(), (unsigned long long)cfg.seed,
              o.cases >= 0 ? (std::to_string(o.cases) + " cases").c_str() : (std::to_string(int(o.time)) + " s").c_str(),
              pc.shard, pc.shard_count, pc.jobs, pc.jobs == 1 ? "" : "s", o.out.c_str());
  std::fflush(stdout);
  std::optional<findings::RunRecord> run;
  long run_id = 0;
  if (db) {
    run = new_run("fuzz", v.name, cfg.seed, o.shard);
    run_id = start_run(*db, *run);
  }
  campaign::CampaignSummary s = parallel::run(pc);
  std::printf("%s", reports::summary_text(s).c_str());
  if (db) {
    for (const campaign::FindingSummary &f : s.findings)
      record_finding(*db, run_id, {v.name, f.invariant, f.why, f.internal, trace::parse_trace(f.trace), g_command_line});
    finish_db_run(*db, run_id, *run, s.cases, s.ops, s.elapsed, cfg.stats,
                  s.crashed() ? "failed" : !s.findings.empty() ? "found" : s.interrupted ? "interrupted" : "ok");
  }
  if (!o.summary_json.empty()) {
    campaign::write_file_atomic(o.summary_json, reports::json_text(campaign::summary_json(s)));
    std::printf("wrote %s\n", o.summary_json.c_str());
  }
  if (!o.junit.empty()) {
    campaign::write_file_atomic(o.junit, reports::junit_xml(s));
    std::printf("wrote %s\n", o.junit.c_str());
  }
  return s.status();
}

int cmd_fuzz(FuzzOpts o) {
  apply_rc_params(o);
  const model::variant_info &v = variant_or_die(o.variant);
  campaign::Config cfg;
  cfg.variant = v.name;
  cfg.sw = v.sw;
  cfg.invariants = invariants_or_die(o.invariants);
  const bool witness = !o.witness.empty();
  if (witness) {
    bool known = false;
    for (const auto &w : props::all_witnesses()) known |= o.witness == w.name || o.witness == w.id;
    if (!known) {
      std::string names;
      for (const auto &w : props::all_witnesses()) names += std::string(names.empty() ? "" : ", ") + w.name;
      throw UsageError("unknown witness '" + o.witness + "' (one of: " + names + "; see gupcheck list witnesses)");
    }
    if (!o.invariants.empty()) throw UsageError("--witness and --invariants exclude each other");
    cfg.invariants.select({o.witness});
  }
  cfg.invariants.set_mode(check_mode(o.check));
  props::Stats stats;
  if (o.stats || !o.stats_json.empty()) cfg.stats = &stats;
  cfg.seed = o.seed_given ? o.seed
                          : uint64_t(std::chrono::high_resolution_clock::now().time_since_epoch().count()) % 1000000007ull;
  if (!o.html.empty()) check_output_path("--html", o.html);
  if (!o.summary_json.empty()) check_output_path("--summary-json", o.summary_json);
  if (!o.junit.empty()) check_output_path("--junit", o.junit);
  if (!o.stats_json.empty()) check_output_path("--stats-json", o.stats_json);
  if (!o.out.empty()) check_output_dir("--out", o.out);
  if (o.time <= 0 && o.cases < 0) throw UsageError("--time must be positive (or give --cases)");
  if (o.shrink_time < 0) throw UsageError("--shrink-time must not be negative");
  if (o.max_size < 1 || o.max_size > 10000) throw UsageError("--max-size must be between 1 and 10000");
  cfg.time_limit = o.cases >= 0 ? 0 : o.time;
  cfg.max_cases = o.cases;
  cfg.shrink_time = o.shrink_time;
  cfg.max_size = o.max_size;
  if (!o.guide.empty()) cfg.guide = o.guide == "on";
  cfg.out_dir = o.out;
  cfg.write_reports = reports::write_counterexample_reports;
  cfg.stop = &g_stop;
  // The page plots operations per second: sample progress every 0.2 s, print every 2 s as before.
  auto samples = std::make_shared<std::vector<reports::HtmlSample>>();
  if (!o.html.empty()) cfg.progress_interval = 0.2;
  auto last_print = std::make_shared<double>(0.0);
  cfg.on_progress = [samples, last_print, html = !o.html.empty()](const campaign::Progress &p) {
    if (html) samples->push_back({p.elapsed, p.ops, p.cases});
    if (html && p.elapsed - *last_print < 2.0) return;
    *last_print = p.elapsed;
    std::fprintf(stderr, "[fuzz] cases=%ld ops=%ld ops/s=%.0f elapsed=%.1fs\n", p.cases, p.ops,
                 p.elapsed > 0 ? p.ops / p.elapsed : 0.0, p.elapsed);
  };
  std::optional<findings::Database> db;
  if (!o.db.empty()) {
    if (witness) throw UsageError("--db records findings; a --witness campaign has none to record");
    db.emplace(open_db(o.db));
  }
  install_stop_handlers();
  if (o.jobs != 0 || !o.shard.empty() || !o.summary_json.empty() || !o.junit.empty()) {
    // Each worker counts in its own process and sends its Stats with its result.
    const int status = cmd_fuzz_parallel(o, cfg, v, db ? &*db : nullptr);
    if (o.stats) std::printf("%s", stats.table().c_str());
    if (!o.stats_json.empty()) write_stats_json(o.stats_json, stats);
    return status;
  }
  std::printf("gupcheck fuzz: variant %s, seed %llu, %s, %zu invariants, counterexamples in %s/\n", v.name.c_str(),
              (unsigned long long)cfg.seed,
              o.cases >= 0 ? (std::to_string(o.cases) + " cases").c_str() : (std::to_string(int(o.time)) + " s").c_str(),
              cfg.invariants.selected().size() + 2, o.out.c_str());
  std::fflush(stdout);
  std::optional<findings::RunRecord> run;
  long run_id = 0;
  if (db) {
    run = new_run("fuzz", v.name, cfg.seed);
    run_id = start_run(*db, *run);
  }
  campaign::Result r = campaign::run(cfg);
  if (db) {
    if (r.found)
      record_finding(*db, run_id,
                     {v.name, r.finding.violation.invariant, r.finding.violation.why, r.finding.violation.internal,
                      r.finding.shrunk, g_command_line});
    finish_db_run(*db, run_id, *run, r.cases, r.ops, r.elapsed, cfg.stats,
                  r.found ? "found" : r.interrupted ? "interrupted" : "ok");
  }
  if (!o.html.empty()) {
    samples->push_back({r.elapsed, r.ops, r.cases});
    write_campaign_page(o, cfg, r, *samples);
  }
  const double ops_s = r.elapsed > 0 ? r.ops / r.elapsed : 0;
  std::printf("summary: %ld cases, %ld operations checked in %.1f s (%.0f ops/s), seed %llu\n", r.cases, r.ops,
              r.elapsed, ops_s, (unsigned long long)cfg.seed);
  if (r.interrupted) std::printf("interrupted: stopped after case %ld\n", r.cases);
  if (o.stats) std::printf("%s", stats.table().c_str());
  if (!o.stats_json.empty()) write_stats_json(o.stats_json, stats);
  if (!r.found) {
    if (witness)
      std::printf("result: witness %s NOT reached on %s\n", o.witness.c_str(), v.name.c_str());
    else
      std::printf("result: no invariant violated on %s\n", v.name.c_str());
    return kOk;
  }
  const campaign::Finding &f = r.finding;
  std::printf("result: %s %s at case %ld after %.2f s\n",
              f.violation.internal ? "INTERNAL MODEL ERROR"
              : witness && props::find_invariant(f.violation.invariant) ==
                               props::find_invariant(o.witness) ? "WITNESS REACHED (expected)"
                                                                : "VIOLATION",
              f.violation.invariant.c_str(), f.case_index, f.time_to_find);
  std::printf("  %s\n", f.violation.why.c_str());
  std::printf("shrunk from %zu to %zu operations in %.2f s (%ld RapidCheck + %ld trace steps%s):\n",
              f.original.ops.size(), f.shrunk.ops.size(), f.shrink_seconds, f.rc_shrink_steps, f.trace_shrink_steps,
              f.shrink_interrupted ? ", interrupted" : f.shrink_timed_out ? ", time cap reached" : "");
  std::printf("%s", props::print_annotated_trace(f.shrunk, cfg.sw).c_str());
  for (const auto &file : f.files) std::printf("wrote %s\n", file.c_str());
  for (const auto &e : f.write_errors) std::printf("WRITE FAILED (the counterexample is above): %s\n", e.c_str());
  if (!f.trace_file.empty())
    std::printf("replay: %s\n", props::replay_command_for(f.trace_file, v.name).c_str());
  return f.violation.internal ? kInternal : kViolation;
}

}  // namespace

void add_fuzz_command(CLI::App &app, Run &run) {
  auto o = std::make_shared<FuzzOpts>();
  auto *fuzz = app.add_subcommand("fuzz", "Run a fuzz campaign on a model variant");
  fuzz->add_option("--variant", o->variant, "Model variant (see: gupcheck list variants)");
  fuzz->add_option_function<uint64_t>(
          "--seed", [o](const uint64_t &s) { o->seed = s, o->seed_given = true; }, "Seed (printed when not given)")
      ->check(unsigned_integer());
  auto *time_opt = fuzz->add_option("--time", o->time, "Time budget in seconds (default 30)")
                       ->check(real_in(0, kMaxSeconds, true));
  auto *cases_opt = fuzz->add_option("--cases", o->cases, "Case budget instead of a time budget")
                        ->check(integer_in(0, std::numeric_limits<long>::max()));
  time_opt->excludes(cases_opt);
  fuzz->add_option("--out", o->out, "Directory for counterexamples (default gupcheck-out)");
  fuzz->add_option("--shrink-time", o->shrink_time, "Time cap for shrinking, seconds (default 60)")
      ->check(real_in(0, kMaxSeconds));
  fuzz->add_option("--max-size", o->max_size, "Largest generation size, about the trace length (default 100)")
      ->check(integer_in(1, 10000));
  fuzz->add_option("--html", o->html, "Also write the campaign page (one self-contained HTML file) here");
  fuzz->add_option("--invariants", o->invariants, "Invariants to check, by name or id, comma separated (default all)");
  add_check_option(fuzz, &o->check);
  fuzz->add_option("--witness", o->witness,
                   "Look for one witness state instead (see: gupcheck list witnesses); exit 1 when reached");
  fuzz->add_flag("--stats", o->stats, "Print coverage at the end: operations, GUP outcomes, witness states");
  fuzz->add_option("--stats-json", o->stats_json, "Also write the coverage figures as JSON to this file");
  fuzz->add_option("--jobs,-j", o->jobs, "Worker processes (same seed: same cases and first failure, whatever N)")
      ->check(integer_in(1, 256));
  fuzz->add_option("--shard", o->shard, "Run only part K of N of the campaign (K/N, 1 <= K <= N)");
  fuzz->add_option("--summary-json", o->summary_json, "Write the campaign summary as JSON (for gupcheck merge)");
  fuzz->add_option("--junit", o->junit, "Write the campaign summary as JUnit XML");
  fuzz->add_option("--db", o->db, "Record the run and its findings in this findings database (SQLite)");
  fuzz->add_option("--guide", o->guide,
                   std::string("Coverage-guided generation: mutate a corpus of cases that reached new model branches "
                               "in half of the cases (default ") +
                       (campaign::Config::kGuideDefault ? "on" : "off") + ")")
      ->check(CLI::IsMember({"on", "off"}));
  fuzz->callback([&run, o, fuzz] {
    o->max_size_given = fuzz->count("--max-size") > 0;
    o->budget_given = fuzz->count("--time") > 0 || fuzz->count("--cases") > 0;
    run = [o] { return cmd_fuzz(*o); };
  });
}

}  // namespace gupcheck::cli

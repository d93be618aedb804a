// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck fuzz: a RapidCheck campaign on one model variant.
#include <chrono>
#include <cstdio>
#include <string>

#include "cli/common.h"
#include "properties/campaign.h"
#include "properties/parallel.h"
#include "reports/summary.h"
#include "reports/write.h"
#include "reports/replay.h"
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
  double shrink_time = 60;
  int max_size = 100;
  std::vector<std::string> invariants;
  int jobs = 0;  // 0: not given (one in-process campaign, the classic output)
  std::string shard;  // "K/N"
  std::string summary_json, junit;
};

// "K/N" with 1 <= K <= N.
void parse_shard(const std::string &text, int &k, int &n) {
  size_t slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    size_t a = 0, b = 0;
    k = std::stoi(text.substr(0, slash), &a);
    n = std::stoi(text.substr(slash + 1), &b);
    if (a != slash || b != text.size() - slash - 1) throw std::invalid_argument("junk");
  } catch (const std::exception &) {
    throw UsageError("--shard must be K/N, e.g. 2/8 (got '" + text + "')");
  }
  if (n < 1 || k < 1 || k > n) throw UsageError("--shard K/N needs 1 <= K <= N (got '" + text + "')");
}

// --jobs, --shard, --summary-json or --junit: forked workers and a merged summary.
int cmd_fuzz_parallel(const FuzzOpts &o, campaign::Config cfg, const model::variant_info &v) {
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
  reports::CampaignSummary s = parallel::run(pc);
  std::printf("%s", reports::summary_text(s).c_str());
  if (!o.summary_json.empty()) {
    reports::write_file_atomic(o.summary_json, reports::summary_json(s).dump(2) + "\n");
    std::printf("wrote %s\n", o.summary_json.c_str());
  }
  if (!o.junit.empty()) {
    reports::write_file_atomic(o.junit, reports::junit_xml(s));
    std::printf("wrote %s\n", o.junit.c_str());
  }
  return s.status();
}

int cmd_fuzz(const FuzzOpts &o) {
  const model::variant_info &v = variant_or_die(o.variant);
  campaign::Config cfg;
  cfg.variant = v.name;
  cfg.sw = v.sw;
  cfg.invariants = invariants_or_die(o.invariants);
  cfg.seed = o.seed_given ? o.seed
                          : uint64_t(std::chrono::high_resolution_clock::now().time_since_epoch().count()) % 1000000007ull;
  if (o.time <= 0 && o.cases < 0) throw UsageError("--time must be positive (or give --cases)");
  if (o.shrink_time < 0) throw UsageError("--shrink-time must not be negative");
  if (o.max_size < 1 || o.max_size > 10000) throw UsageError("--max-size must be between 1 and 10000");
  cfg.time_limit = o.cases >= 0 ? 0 : o.time;
  cfg.max_cases = o.cases;
  cfg.shrink_time = o.shrink_time;
  cfg.max_size = o.max_size;
  cfg.out_dir = o.out;
  cfg.stop = &g_stop;
  cfg.on_progress = [](const campaign::Progress &p) {
    std::fprintf(stderr, "[fuzz] cases=%ld ops=%ld ops/s=%.0f elapsed=%.1fs\n", p.cases, p.ops,
                 p.elapsed > 0 ? p.ops / p.elapsed : 0.0, p.elapsed);
  };
  install_stop_handlers();
  if (o.jobs != 0 || !o.shard.empty() || !o.summary_json.empty() || !o.junit.empty())
    return cmd_fuzz_parallel(o, cfg, v);
  std::printf("gupcheck fuzz: variant %s, seed %llu, %s, %zu invariants, counterexamples in %s/\n", v.name.c_str(),
              (unsigned long long)cfg.seed,
              o.cases >= 0 ? (std::to_string(o.cases) + " cases").c_str() : (std::to_string(int(o.time)) + " s").c_str(),
              cfg.invariants.selected().size() + 1, o.out.c_str());
  std::fflush(stdout);
  campaign::Result r = campaign::run(cfg);
  const double ops_s = r.elapsed > 0 ? r.ops / r.elapsed : 0;
  std::printf("summary: %ld cases, %ld operations checked in %.1f s (%.0f ops/s), seed %llu\n", r.cases, r.ops,
              r.elapsed, ops_s, (unsigned long long)cfg.seed);
  if (r.interrupted) std::printf("interrupted: stopped after case %ld\n", r.cases);
  if (!r.found) {
    std::printf("result: no invariant violated on %s\n", v.name.c_str());
    return kOk;
  }
  const campaign::Finding &f = r.finding;
  std::printf("result: %s %s at case %ld after %.2f s\n", f.violation.internal ? "INTERNAL MODEL ERROR" : "VIOLATION",
              f.violation.invariant.c_str(), f.case_index, f.time_to_find);
  std::printf("  %s\n", f.violation.why.c_str());
  std::printf("shrunk from %zu to %zu operations in %.2f s (%ld RapidCheck + %ld trace steps%s):\n",
              f.original.ops.size(), f.shrunk.ops.size(), f.shrink_seconds, f.rc_shrink_steps, f.trace_shrink_steps,
              f.shrink_timed_out ? ", time cap reached" : "");
  std::printf("%s", trace::print_trace(f.shrunk).c_str());
  for (const auto &file : f.files) std::printf("wrote %s\n", file.c_str());
  if (!f.trace_file.empty())
    std::printf("replay: %s\n", reports::replay_command_for(f.trace_file, v.name).c_str());
  return f.violation.internal ? kInternal : kViolation;
}

}  // namespace

void add_fuzz_command(CLI::App &app, Run &run) {
  auto o = std::make_shared<FuzzOpts>();
  auto *fuzz = app.add_subcommand("fuzz", "Run a fuzz campaign on a model variant");
  fuzz->add_option("--variant", o->variant, "Model variant (see: gupcheck list variants)");
  fuzz->add_option_function<uint64_t>(
      "--seed", [o](const uint64_t &s) { o->seed = s, o->seed_given = true; }, "Seed (printed when not given)");
  auto *time_opt = fuzz->add_option("--time", o->time, "Time budget in seconds (default 30)");
  auto *cases_opt = fuzz->add_option("--cases", o->cases, "Case budget instead of a time budget");
  time_opt->excludes(cases_opt);
  cases_opt->check(CLI::NonNegativeNumber);
  fuzz->add_option("--out", o->out, "Directory for counterexamples (default gupcheck-out)");
  fuzz->add_option("--shrink-time", o->shrink_time, "Time cap for shrinking, seconds (default 60)");
  fuzz->add_option("--max-size", o->max_size, "Largest generation size, about the trace length (default 100)");
  fuzz->add_option("--invariants", o->invariants, "Invariants to check, by name or id, comma separated (default all)");
  fuzz->add_option("--jobs,-j", o->jobs, "Worker processes (same seed: same cases and first failure, whatever N)")
      ->check(CLI::Range(1, 256));
  fuzz->add_option("--shard", o->shard, "Run only part K of N of the campaign (K/N, 1 <= K <= N)");
  fuzz->add_option("--summary-json", o->summary_json, "Write the campaign summary as JSON (for gupcheck merge)");
  fuzz->add_option("--junit", o->junit, "Write the campaign summary as JUnit XML");
  // A later occurrence wins, so wrappers can set defaults the user overrides.
  for (auto *opt : fuzz->get_options()) opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  fuzz->callback([&run, o] { run = [o] { return cmd_fuzz(*o); }; });
}

}  // namespace gupcheck::cli

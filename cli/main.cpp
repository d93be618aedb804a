// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck: the command line.
//
// Exit status: 0 nothing found, 1 a violation found, 2 bad usage or input,
// 3 an internal error of the model itself.
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "model/variant.h"
#include "properties/campaign.h"
#include "properties/invariants.h"
#include "reports/json.h"
#include "reports/replay.h"
#include "reports/text.h"
#include "reports/write.h"
#include "shrinkers/shrink.h"
#include "trace/text.h"

namespace {

using namespace gupcheck;

constexpr int kOk = 0, kViolation = 1, kUsage = 2, kInternal = 3;

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const model::variant_info &variant_or_die(const std::string &name) {
  const model::variant_info *v = model::find_variant(name);
  if (!v) {
    std::string known;
    for (const auto &x : model::all_variants()) known += " " + x.name;
    throw UsageError("unknown variant '" + name + "' (known:" + known + ")");
  }
  return *v;
}

props::InvariantSet invariants_or_die(const std::vector<std::string> &names) {
  props::InvariantSet s;
  if (names.empty()) return s;
  std::vector<std::string> split;
  for (const auto &n : names) {
    std::stringstream ss(n);
    std::string part;
    while (std::getline(ss, part, ','))
      if (!part.empty()) split.push_back(part);
  }
  std::string bad = s.select(split);
  if (!bad.empty()) throw UsageError("unknown invariant '" + bad + "' (see: gupcheck list invariants)");
  return s;
}

trace::Trace load_trace(const std::string &file) {
  trace::Trace t;
  try {
    t = trace::parse_trace_file(file);
  } catch (const trace::ParseError &e) {
    throw UsageError(file + ": " + e.what());
  }
  std::string why = trace::check_consistency(t);
  if (!why.empty()) throw UsageError(file + ": inconsistent trace: " + why);
  return t;
}

int verdict_status(const reports::ReplayLog &log) {
  if (!log.error.empty()) return kUsage;
  if (log.violation.found) return log.violation.internal ? kInternal : kViolation;
  return kOk;
}

// --- fuzz -------------------------------------------------------------------

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
};

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
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
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

// --- replay / shrink ----------------------------------------------------------

int cmd_replay(const std::string &file, const std::string &variant_opt, const std::string &json_out,
               const std::vector<std::string> &inv_names) {
  trace::Trace t = load_trace(file);
  const std::string vname = variant_opt.empty() ? t.variant : variant_opt;
  const model::variant_info &v = variant_or_die(vname);
  reports::ReplayLog log = reports::replay_trace(t, v.name, v.sw, invariants_or_die(inv_names));
  log.replay_command = reports::replay_command_for(file, v.name);
  std::printf("%s", reports::text_report(log).c_str());
  if (!json_out.empty()) reports::write_file_atomic(json_out, reports::json_report(log).dump(2) + "\n");
  if (!log.error.empty()) std::fprintf(stderr, "gupcheck: %s: %s\n", file.c_str(), log.error.c_str());
  return verdict_status(log);
}

int cmd_shrink(const std::string &file, const std::string &variant_opt, const std::string &out, double shrink_time,
               const std::vector<std::string> &inv_names) {
  trace::Trace t = load_trace(file);
  const std::string vname = variant_opt.empty() ? t.variant : variant_opt;
  const model::variant_info &v = variant_or_die(vname);
  props::InvariantSet inv = invariants_or_die(inv_names);
  props::RunResult r = props::run_trace(t, v.sw, inv);
  if (!r.violation.found) {
    std::printf("%s holds on %s: nothing to shrink\n", file.c_str(), v.name.c_str());
    return kOk;
  }
  const std::string name = r.violation.invariant;
  auto fails = [&](const trace::Trace &x) { return props::violates(x, v.sw, inv, name); };
  t.ops.resize(r.violation.step + 1);
  shrink::Stats st;
  trace::Trace s = shrink::shrink(
      t, fails, std::chrono::steady_clock::now() + std::chrono::milliseconds(long(shrink_time * 1000)), &st);
  s.variant = v.name;
  std::string text = trace::print_trace(s);
  if (out.empty())
    std::printf("%s", text.c_str());
  else
    reports::write_file_atomic(out, text);
  std::fprintf(stderr, "shrunk %s from %zu to %zu operations (%ld candidates tried%s); violates %s\n", file.c_str(),
               t.ops.size(), s.ops.size(), st.tried, st.timed_out ? ", time cap reached" : "", name.c_str());
  return r.violation.internal ? kInternal : kViolation;
}

// --- list ---------------------------------------------------------------------

int cmd_list(const std::string &what) {
  if (what == "invariants") {
    for (const auto &i : props::all_invariants())
      std::printf("%-30s %-6s %s\n%37s[%s]\n", i.name, i.id, i.statement, "", i.source);
  } else if (what == "variants") {
    for (const auto &v : model::all_variants()) {
      std::printf("%-30s %s\n%31sremoved by: %s\n", v.name.c_str(), v.description.c_str(), "", v.commit.c_str());
      if (!v.catches.empty()) std::printf("%31sexpected to be caught by: %s\n", "", v.catches.c_str());
      if (!v.switches.empty()) {
        std::string sw;
        for (const auto &s : v.switches) sw += (sw.empty() ? "" : ", ") + s;
        std::printf("%31sswitches: %s\n", "", sw.c_str());
      }
    }
  } else if (what == "ops") {
    for (const auto &d : trace::op_docs()) std::printf("%-46s %s\n", d.syntax, d.models);
  } else {
    throw UsageError("list what? one of: invariants, variants, ops");
  }
  return kOk;
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"gupcheck: a property-based model checker for the Linux kernel's GUP invariants (model: Linux v6.18)"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");

  FuzzOpts fo;
  auto *fuzz = app.add_subcommand("fuzz", "Run a fuzz campaign on a model variant");
  fuzz->add_option("--variant", fo.variant, "Model variant (see: gupcheck list variants)");
  fuzz->add_option_function<uint64_t>(
      "--seed", [&](const uint64_t &s) { fo.seed = s, fo.seed_given = true; }, "Seed (printed when not given)");
  auto *time_opt = fuzz->add_option("--time", fo.time, "Time budget in seconds (default 30)");
  auto *cases_opt = fuzz->add_option("--cases", fo.cases, "Case budget instead of a time budget");
  time_opt->excludes(cases_opt);
  // A later occurrence wins, so wrappers can set defaults the user overrides.
  for (auto *o : fuzz->get_options()) o->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cases_opt->check(CLI::NonNegativeNumber);
  fuzz->add_option("--out", fo.out, "Directory for counterexamples (default gupcheck-out)");
  fuzz->add_option("--shrink-time", fo.shrink_time, "Time cap for shrinking, seconds (default 60)");
  fuzz->add_option("--max-size", fo.max_size, "Largest generation size, about the trace length (default 100)");
  fuzz->add_option("--invariants", fo.invariants, "Invariants to check, by name or id, comma separated (default all)");

  std::string file, variant, json_out, shrink_out;
  std::vector<std::string> inv_names;
  double shrink_time = 60;
  auto *replay = app.add_subcommand("replay", "Replay a trace file with a report; exit 1 if it violates");
  replay->add_option("FILE", file, "Trace file")->required();
  replay->add_option("--variant", variant, "Model variant (default: the trace's '# model:' line)");
  replay->add_option("--json", json_out, "Also write the JSON report here");
  replay->add_option("--invariants", inv_names, "Invariants to check (default all)");

  auto *shr = app.add_subcommand("shrink", "Shrink a failing trace file with the trace shrinkers");
  shr->add_option("FILE", file, "Trace file")->required();
  shr->add_option("--variant", variant, "Model variant (default: the trace's '# model:' line)");
  shr->add_option("-o,--out", shrink_out, "Write the shrunk trace here (default: standard output)");
  shr->add_option("--shrink-time", shrink_time, "Time cap, seconds (default 60)");
  shr->add_option("--invariants", inv_names, "Invariants to check (default all)");

  std::string what;
  auto *list = app.add_subcommand("list", "List invariants, variants or operations");
  list->add_option("WHAT", what, "invariants | variants | ops")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    app.exit(e);
    return kUsage;
  }

  try {
    if (*fuzz) return cmd_fuzz(fo);
    if (*replay) return cmd_replay(file, variant, json_out, inv_names);
    if (*shr) return cmd_shrink(file, variant, shrink_out, shrink_time, inv_names);
    if (*list) return cmd_list(what);
  } catch (const UsageError &e) {
    std::fprintf(stderr, "gupcheck: %s\n", e.what());
    return kUsage;
  } catch (const props::bad_trace &e) {
    std::fprintf(stderr, "gupcheck: bad trace: %s\n", e.what());
    return kUsage;
  } catch (const model::model_bug &e) {
    std::fprintf(stderr, "gupcheck: internal model error: %s\n", e.what());
    return kInternal;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "gupcheck: internal error: %s\n", e.what());
    return kInternal;
  }
  return kUsage;
}

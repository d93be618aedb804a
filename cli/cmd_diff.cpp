// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck diff: the differential oracle. Runs traces on the model and on
// the live kernel of this machine, step by step, and reports the first step
// where their observations differ (shrunk with the trace shrinkers first).
//
// Exit status: 0 no mismatch, 1 a mismatch, 2 bad usage or input (also: not
// root, no /proc/kpageflags, a trace that is not live-expressible), 3 an
// internal error (the model's, or a broken live run).
#include <chrono>
#include <cstdio>
#include <limits>
#include <filesystem>
#include <random>
#include <string>

#include "cli/common.h"
#include "live/oracle.h"
#include "properties/decode.h"
#include "properties/live_ops.h"
#include "properties/annotate.h"
#include "campaign/write.h"
#include "shrinkers/shrink.h"
#include "trace/text.h"

namespace gupcheck::cli {
namespace {

struct DiffOpts {
  std::string file;
  long random = -1;
  uint64_t seed = 1;
  std::string variant = "mainline";
  std::string out = "gupcheck-out";
  double shrink_time = 30;
  int max_size = 40;
  int timeout_ms = 5000;
  bool keep_going = false;
  bool bench = false;
};

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Still mismatches on the live kernel (and is still live-expressible).
bool still_mismatches(const trace::Trace &t, const model::variant_switches &sw, int timeout_ms) {
  if (!props::live_check(t).empty()) return false;
  try {
    return live::diff_trace(t, sw, timeout_ms).mismatch;
  } catch (const props::bad_trace &) {
    return false;
  } catch (const model::model_bug &) {
    return false;
  }
}

// Shrinks, prints the report, writes the traces. Return: kViolation.
int report_mismatch(const trace::Trace &found, const DiffOpts &o, const model::variant_switches &sw,
                    const std::string &stem) {
  if (!o.out.empty() && !stem.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.out, ec);
    if (ec) throw UsageError("cannot create " + o.out + ": " + ec.message());
    campaign::write_file_atomic(o.out + "/" + stem + ".unshrunk.trace", props::print_annotated_trace(found, sw));
  }
  shrink::Stats st;
  trace::Trace small = found;
  if (o.shrink_time > 0) {
    std::fprintf(stderr, "[diff] shrinking a %zu-step mismatch for up to %.0f s\n", found.ops.size(), o.shrink_time);
    small = shrink::shrink(
        found, [&](const trace::Trace &t) { return still_mismatches(t, sw, o.timeout_ms); },
        Clock::now() + std::chrono::milliseconds(long(o.shrink_time * 1000)), &st);
  }
  live::DiffResult r = live::diff_trace(small, sw, o.timeout_ms);
  if (!r.mismatch) {  // flaky on the live kernel: report the original
    small = found;
    r = live::diff_trace(small, sw, o.timeout_ms);
  }
  if (!r.mismatch) {
    std::printf("a mismatch was seen once but does not reproduce:\n%s", trace::print_trace(found).c_str());
    return kViolation;
  }
  std::printf("gupcheck diff: %s", live::mismatch_report(small, r).c_str());
  if (o.shrink_time > 0)
    std::printf("\nshrunk from %zu to %zu steps (%ld candidates tried%s)\n", found.ops.size(), small.ops.size(),
                st.tried, st.timed_out ? ", stopped at the time limit" : "");
  if (!o.out.empty() && !stem.empty()) {
    trace::Trace keep = small;
    keep.notes.push_back("diff: model and live kernel disagree at step " + std::to_string(r.step + 1));
    campaign::write_file_atomic(o.out + "/" + stem + ".trace", props::print_annotated_trace(keep, sw));
    campaign::write_file_atomic(o.out + "/" + stem + ".txt", live::mismatch_report(small, r));
    std::printf("written: %s/%s.trace (and .txt, .unshrunk.trace)\n", o.out.c_str(), stem.c_str());
  }
  return kViolation;
}

int cmd_diff(const DiffOpts &o) {
  const model::variant_info &v = variant_or_die(o.variant);
  if (o.file.empty() == (o.random < 0)) throw UsageError("give either a trace FILE or --random N");
  if (o.timeout_ms < 10) throw UsageError("--timeout-ms must be at least 10");
  if (o.max_size < 1 || o.max_size > 1000) throw UsageError("--max-size must be between 1 and 1000");
  std::string why = live::unavailable();
  if (!why.empty()) throw UsageError("the live kernel cannot be used here: " + why);
  if (o.file.empty() && !o.out.empty()) check_output_dir("--out", o.out);
  install_stop_handlers();

  if (!o.file.empty()) {
    trace::Trace t = load_trace(o.file);
    std::string bad = props::live_check(t);
    if (!bad.empty()) throw UsageError(o.file + ": not live-expressible: " + bad);
    live::DiffResult r = live::diff_trace(t, v.sw, o.timeout_ms);
    if (r.flaky) {
      std::printf("gupcheck diff: step %zu of %s is flaky (a rerun of the trace did not repeat it): %s\n", r.step + 1,
                  o.file.c_str(), r.differences.front().c_str());
      return kOk;
    }
    if (!r.mismatch) {
      std::printf("gupcheck diff: model and live kernel agree on all %zu steps of %s\n", t.ops.size(), o.file.c_str());
      return kOk;
    }
    DiffOpts o2 = o;
    o2.out.clear();
    return report_mismatch(t, o2, v.sw, "");
  }

  std::printf("gupcheck diff: %ld random live-expressible traces, seed %llu, variant %s\n", o.random,
              (unsigned long long)o.seed, v.name.c_str());
  std::fflush(stdout);
  std::mt19937_64 rng(o.seed);
  props::DecodeLimits lim;
  lim.max_procs = 4;
  lim.max_maps = 6;
  lim.max_gups = 16;
  lim.max_map_pages = 6;
  long ops = 0, mismatches = 0, traces = 0, flaky = 0;
  double model_s = 0, live_s = 0;
  trace::Trace first;
  long first_index = -1;
  const auto t0 = Clock::now();
  auto last = t0;
  for (long i = 0; i < o.random && !g_stop.load(); i++) {
    std::vector<uint64_t> raw(size_t(1 + rng() % uint64_t(o.max_size)));
    for (auto &w : raw) w = rng();
    trace::Trace t = props::make_live_expressible(props::decode_trace(raw, lim));
    t.notes.push_back("gupcheck diff --random, seed " + std::to_string(o.seed) + ", trace " + std::to_string(i));
    std::string bad = props::live_check(t);
    if (!bad.empty()) throw std::logic_error("make_live_expressible left " + bad);
    live::DiffResult r = live::diff_trace(t, v.sw, o.timeout_ms);
    traces++;
    ops += r.ops;
    model_s += r.model_seconds;
    live_s += r.live_seconds;
    if (r.flaky) {
      flaky++;
      std::printf("flaky step in trace %ld at step %zu (a rerun did not repeat it): %s\n", i, r.step + 1,
                  r.differences.front().c_str());
    }
    if (r.mismatch) {
      mismatches++;
      std::printf("mismatch in trace %ld at step %zu: %s\n", i, r.step + 1, r.differences.front().c_str());
      if (first_index < 0) {
        first = t;
        first_index = i;
      }
      if (!o.keep_going) break;
    }
    if (since(last) >= 2) {
      last = Clock::now();
      std::fprintf(stderr, "[diff] traces=%ld ops=%ld mismatches=%ld elapsed=%.1fs\n", traces, ops, mismatches,
                   since(t0));
    }
  }
  std::printf("summary: %ld traces, %ld operations, %ld mismatching traces, %ld flaky, %.1f s, seed %llu\n", traces,
              ops, mismatches, flaky, since(t0), (unsigned long long)o.seed);
  if (o.bench)
    std::printf("bench: model %.0f ops/s (%.3f s), live kernel %.0f ops/s (%.3f s), same %ld operations, each "
                "step observed on both sides\n",
                model_s > 0 ? ops / model_s : 0.0, model_s, live_s > 0 ? ops / live_s : 0.0, live_s, ops);
  if (g_stop.load()) std::printf("interrupted after %ld traces\n", traces);
  if (first_index < 0) return kOk;
  return report_mismatch(first, o, v.sw,
                         "diff-seed" + std::to_string(o.seed) + "-trace" + std::to_string(first_index));
}

}  // namespace

void add_diff_command(CLI::App &app, Run &run) {
  auto o = std::make_shared<DiffOpts>();
  auto *c = app.add_subcommand("diff", "Run traces on the model and on the live kernel (root) and compare them");
  c->add_option("FILE", o->file, "A live-expressible trace to run");
  c->add_option("--random", o->random, "Run N random live-expressible traces instead")
      ->check(integer_in(0, std::numeric_limits<long>::max()));
  c->add_option("--seed", o->seed, "Seed of the random traces (default 1)")->check(unsigned_integer());
  c->add_option("--variant", o->variant, "Model variant (default mainline)");
  c->add_option("--out", o->out, "Where mismatching random traces are written (default gupcheck-out)");
  c->add_option("--shrink-time", o->shrink_time, "Seconds to shrink a mismatch (default 30; 0: no shrinking)")
      ->check(real_in(0, kMaxSeconds));
  c->add_option("--max-size", o->max_size, "Largest number of raw choices per random trace (default 40)")
      ->check(integer_in(1, 1000));
  c->add_option("--timeout-ms", o->timeout_ms, "Bound on every live step (default 5000)")
      ->check(integer_in(10, 3600 * 1000));
  c->add_flag("--keep-going", o->keep_going, "Count every mismatching random trace, then report the first");
  c->add_flag("--bench", o->bench, "Also print model and live operations per second over the same traces");
  c->callback([&run, o] { run = [o] { return cmd_diff(*o); }; });
}

}  // namespace gupcheck::cli

// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck replay and shrink: one trace file, a report or a shorter trace.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "cli/common.h"
#include "properties/decode.h"
#include "properties/invariants.h"
#include "properties/annotate.h"
#include "reports/graph.h"
#include "reports/json.h"
#include "reports/replay.h"
#include "reports/text.h"
#include "campaign/write.h"
#include "shrinkers/shrink.h"

namespace gupcheck::cli {
namespace {

struct ReplayOpts {
  std::string file, variant, json_out, dot_out, svg_out;
  std::vector<std::string> invariants;
  bool from_fuzzer = false;  // FILE is a libFuzzer input (raw choices), not a trace
  std::string save_trace;
};

// A libFuzzer input (fuzz/gup_fuzzer.cpp) decoded the way the target decodes it.
trace::Trace load_fuzzer_input(const std::string &file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UsageError("cannot read " + file);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return props::decode_trace(
      props::words_from_bytes(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()));
}

int cmd_replay(const ReplayOpts &o) {
  const std::string &file = o.file, &variant_opt = o.variant, &json_out = o.json_out;
  const std::vector<std::string> &inv_names = o.invariants;
  // Checked before the replay, so that a missing Graphviz costs nothing.
  if (!o.dot_out.empty()) check_output_path("--dot", o.dot_out);
  if (!o.svg_out.empty()) check_output_path("--svg", o.svg_out);
  if (!o.svg_out.empty() && !reports::graphviz_available())
    throw UsageError("--svg needs Graphviz's dot program (Debian package graphviz); use --dot instead");
  trace::Trace t = o.from_fuzzer ? load_fuzzer_input(file) : load_trace(file);
  if (o.from_fuzzer) {
    t.variant = variant_opt.empty() ? "mainline" : variant_opt;
    t.notes.push_back("decoded from libFuzzer input " + file);
    // Cut after the first violation, as the fuzzer reported it.
    const model::variant_info &fv = variant_or_die(t.variant);
    const props::RunResult r = props::run_trace(t, fv.sw, invariants_or_die(inv_names));
    if (r.violation.found) t.ops.resize(r.violation.step + 1);
    if (!o.save_trace.empty()) {
      campaign::write_file_atomic(o.save_trace, props::print_annotated_trace(t, fv.sw));
      std::fprintf(stderr, "wrote %s\n", o.save_trace.c_str());
    }
  }
  const std::string vname = variant_opt.empty() ? t.variant : variant_opt;
  const model::variant_info &v = variant_or_die(vname);
  reports::ReplayLog log = reports::replay_trace(t, v.name, v.sw, invariants_or_die(inv_names));
  log.replay_command = o.from_fuzzer ? "gupcheck replay --from-fuzzer " + file + " --variant " + v.name
                                     : reports::replay_command_for(file, v.name);
  std::printf("%s", reports::text_report(log).c_str());
  if (!json_out.empty()) campaign::write_file_atomic(json_out, reports::json_report(log).dump(2) + "\n");
  if (!o.dot_out.empty() || !o.svg_out.empty()) {
    const std::string dot = reports::graph_to_dot(reports::replay_graph(log, v.sw));
    if (!o.dot_out.empty()) campaign::write_file_atomic(o.dot_out, dot);
    if (!o.svg_out.empty()) {
      std::string err;
      const std::string svg = reports::dot_to_svg(dot, &err);
      if (svg.empty()) throw UsageError("--svg: " + err);
      campaign::write_file_atomic(o.svg_out, svg);
    }
  }
  if (!log.error.empty()) std::fprintf(stderr, "gupcheck: %s: %s\n", file.c_str(), log.error.c_str());
  return verdict_status(log);
}

struct ShrinkOpts {
  std::string file, variant, out;
  double shrink_time = 60;
  std::vector<std::string> invariants;
};

int cmd_shrink(const ShrinkOpts &o) {
  const std::string &file = o.file, &variant_opt = o.variant, &out = o.out;
  const double shrink_time = o.shrink_time;
  const std::vector<std::string> &inv_names = o.invariants;
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
  std::string text = props::print_annotated_trace(s, v.sw);
  if (out.empty())
    std::printf("%s", text.c_str());
  else
    campaign::write_file_atomic(out, text);
  std::fprintf(stderr, "shrunk %s from %zu to %zu operations (%ld candidates tried%s); violates %s\n", file.c_str(),
               t.ops.size(), s.ops.size(), st.tried, st.timed_out ? ", time cap reached" : "", name.c_str());
  return r.violation.internal ? kInternal : kViolation;
}

}  // namespace

void add_replay_command(CLI::App &app, Run &run) {
  auto o = std::make_shared<ReplayOpts>();
  auto *replay = app.add_subcommand("replay", "Replay a trace file with a report; exit 1 if it violates");
  replay->add_option("FILE", o->file, "Trace file")->required();
  replay->add_option("--variant", o->variant, "Model variant (default: the trace's '# model:' line)");
  replay->add_option("--json", o->json_out, "Also write the JSON report here");
  replay->add_option("--invariants", o->invariants, "Invariants to check (default all)");
  replay->add_option("--dot", o->dot_out,
                     "Write the graph of the state before and after the failing step (Graphviz dot)");
  replay->add_option("--svg", o->svg_out, "Write the same graph as SVG (needs Graphviz's dot)");
  replay->add_flag("--from-fuzzer", o->from_fuzzer,
                   "FILE is a libFuzzer input (fuzz/gup_fuzzer): decode it (variant: --variant, default mainline)");
  replay->add_option("--save-trace", o->save_trace, "With --from-fuzzer: also write the decoded trace here");
  replay->callback([&run, o] { run = [o] { return cmd_replay(*o); }; });
}

void add_shrink_command(CLI::App &app, Run &run) {
  auto o = std::make_shared<ShrinkOpts>();
  auto *shr = app.add_subcommand("shrink", "Shrink a failing trace file with the trace shrinkers");
  shr->add_option("FILE", o->file, "Trace file")->required();
  shr->add_option("--variant", o->variant, "Model variant (default: the trace's '# model:' line)");
  shr->add_option("-o,--out", o->out, "Write the shrunk trace here (default: standard output)");
  shr->add_option("--shrink-time", o->shrink_time, "Time cap, seconds (default 60)");
  shr->add_option("--invariants", o->invariants, "Invariants to check (default all)");
  shr->callback([&run, o] { run = [o] { return cmd_shrink(*o); }; });
}

}  // namespace gupcheck::cli

// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck replay and shrink: one trace file, a report or a shorter trace.
#include <chrono>
#include <cstdio>
#include <string>

#include "cli/common.h"
#include "properties/decode.h"
#include "properties/invariants.h"
#include "properties/annotate.h"
#include "reports/graph.h"
#include "reports/json.h"
#include "properties/replay.h"
#include "reports/text.h"
#include "campaign/write.h"
#include "shrinkers/shrink.h"
#include "trace/header.h"
#include "trace/text.h"

namespace gupcheck::cli {
namespace {

struct ReplayOpts {
  std::string file, variant, json_out, dot_out, svg_out;
  std::vector<std::string> invariants;
  bool from_fuzzer = false;  // FILE is a libFuzzer input (raw choices), not a trace
  std::string save_trace;
  std::string check;  // --check full|incremental
};

// A libFuzzer input (fuzz/gup_fuzzer.cpp) decoded the way the target decodes it.
trace::Trace load_fuzzer_input(const std::string &file) {
  std::string bytes;
  try {
    bytes = trace::read_trace_file(file);  // bounded like a trace file
  } catch (const trace::ParseError &e) {
    throw UsageError(e.what());
  }
  return props::decode_trace(
      props::words_from_bytes(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()));
}

// The header of a trace this command writes: what its verdict depends on.
void note_verdict(trace::Trace &t, const props::Violation &v, const props::InvariantSet &inv) {
  trace::set_note(t, "tool", trace::version_line());
  trace::set_note(t, "invariants", props::only(v.invariant, inv).names());
  trace::set_note(t, "violates", v.invariant + " at step " + std::to_string(v.step + 1));
}

int cmd_replay(const ReplayOpts &o) {
  const std::string &file = o.file, &variant_opt = o.variant, &json_out = o.json_out;
  const std::vector<std::string> &inv_names = o.invariants;
  // Checked before the replay, so that a missing Graphviz costs nothing.
  if (!json_out.empty()) check_output_path("--json", json_out);
  if (!o.dot_out.empty()) check_output_path("--dot", o.dot_out);
  if (!o.svg_out.empty()) check_output_path("--svg", o.svg_out);
  if (!o.save_trace.empty()) check_output_path("--save-trace", o.save_trace);
  if (!o.svg_out.empty() && !reports::graphviz_available())
    throw UsageError("--svg needs Graphviz's dot program (Debian package graphviz); use --dot instead");
  trace::Trace t = o.from_fuzzer ? load_fuzzer_input(file) : load_trace(file);
  if (o.from_fuzzer) {
    t.variant = variant_opt.empty() ? "mainline" : variant_opt;
    t.notes.push_back("decoded from libFuzzer input " + file);
    // Cut after the first violation, as the fuzzer reported it.
    const model::variant_info &fv = variant_or_die(t.variant);
    props::InvariantSet fi = invariants_or_die(inv_names);
    fi.set_mode(check_mode(o.check));
    const props::RunResult r = props::run_trace(t, fv.sw, fi);
    if (r.violation.found) {
      t.ops.resize(r.violation.step + 1);
      note_verdict(t, r.violation, invariants_or_die(inv_names));
    }
    if (!o.save_trace.empty()) {
      campaign::write_file_atomic(o.save_trace, props::print_annotated_trace(t, fv.sw));
      std::fprintf(stderr, "wrote %s\n", o.save_trace.c_str());
    }
  }
  const std::string vname = variant_opt.empty() ? t.variant : variant_opt;
  const model::variant_info &v = variant_or_die(vname);
  props::InvariantSet inv = invariants_for(t, inv_names);
  inv.set_mode(check_mode(o.check));
  props::ReplayRecord log = props::replay_for_report(t, v.name, v.sw, inv);
  log.replay_command = o.from_fuzzer ? "gupcheck replay --from-fuzzer " + file + " --variant " + v.name
                                     : props::replay_command_for(file, v.name);
  std::printf("%s", reports::text_report(log).c_str());
  if (!json_out.empty()) campaign::write_file_atomic(json_out, reports::json_text(reports::json_report(log)));
  if (!o.dot_out.empty() || !o.svg_out.empty()) {
    const std::string dot = reports::graph_to_dot(reports::replay_graph(log));
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
  std::string check;  // --check full|incremental
};

int cmd_shrink(const ShrinkOpts &o) {
  const std::string &file = o.file, &variant_opt = o.variant, &out = o.out;
  const double shrink_time = o.shrink_time;
  const std::vector<std::string> &inv_names = o.invariants;
  if (!out.empty()) check_output_path("--out", out);
  install_stop_handlers();  // from the start: a signal during the first replay stops the shrinking too
  trace::Trace t = load_trace(file);
  const std::string vname = variant_opt.empty() ? t.variant : variant_opt;
  const model::variant_info &v = variant_or_die(vname);
  props::InvariantSet inv = invariants_for(t, inv_names);
  inv.set_mode(check_mode(o.check));
  props::RunResult r = props::run_trace(t, v.sw, inv);
  if (!r.violation.found) {
    std::printf("%s holds on %s: nothing to shrink\n", file.c_str(), v.name.c_str());
    return kOk;
  }
  const std::string name = r.violation.invariant;
  t.ops.resize(r.violation.step + 1);
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(shrink_time));
  // The deadline and a signal also cut short the replay of one long candidate.
  auto give_up = [&] { return g_stop.load(std::memory_order_relaxed) || Clock::now() >= deadline; };
  auto fails = [&](const trace::Trace &x) { return props::violates(x, v.sw, inv, name, give_up); };
  shrink::Stats st;
  trace::Trace s = shrink::shrink(t, fails, deadline, &st, &g_stop);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  s.variant = v.name;
  const props::InvariantSet target = props::only(name, inv);
  note_verdict(s, props::run_trace(s, v.sw, target).violation, target);
  std::string text = props::print_annotated_trace(s, v.sw);
  if (out.empty())
    std::printf("%s", text.c_str());
  else
    campaign::write_file_atomic(out, text);
  std::fprintf(stderr, "shrunk %s from %zu to %zu operations in %.2f s (%ld candidates tried%s); violates %s\n",
               file.c_str(), t.ops.size(), s.ops.size(), seconds, st.tried,
               st.interrupted ? ", interrupted" : st.timed_out ? ", time cap reached" : "", name.c_str());
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
  add_check_option(replay, &o->check);
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
  // One scheme: -o/--output names a file (shrink, repro), --out a directory
  // (fuzz, gate, explore, diff). --out stays as shrink's old spelling.
  shr->add_option("-o,--output,--out", o->out, "Write the shrunk trace to this file (default: standard output)");
  shr->add_option("--shrink-time", o->shrink_time, "Time cap, seconds (default 60)")->check(real_in(0, kMaxSeconds));
  shr->add_option("--invariants", o->invariants, "Invariants to check (default all)");
  add_check_option(shr, &o->check);
  shr->callback([&run, o] { run = [o] { return cmd_shrink(*o); }; });
}

}  // namespace gupcheck::cli

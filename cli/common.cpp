// SPDX-License-Identifier: GPL-2.0-only
#include "cli/common.h"

#include "trace/header.h"

#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "campaign/write.h"
#include "trace/text.h"

namespace gupcheck::cli {

std::atomic<bool> g_stop{false};

namespace {
extern "C" void on_signal(int) { g_stop.store(true); }
}  // namespace

void install_stop_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

std::optional<long long> strict_integer(std::string_view text, long long lo, long long hi) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

CLI::Validator integer_in(long long lo, long long hi) {
  const std::string range = std::to_string(lo) + " to " + std::to_string(hi);
  return CLI::Validator(
      [lo, hi, range](std::string &text) -> std::string {
        if (strict_integer(text, lo, hi)) return "";
        return "must be a whole number from " + range + " (got '" + text + "')";
      },
      "INT in [" + range + "]");
}

CLI::Validator unsigned_integer() {
  return CLI::Validator(
      [](std::string &text) -> std::string {
        uint64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (!text.empty() && ec == std::errc() && end == text.data() + text.size()) return "";
        return "must be a whole number from 0 to 18446744073709551615 (got '" + text + "')";
      },
      "UINT64");
}

CLI::Validator real_in(double lo, double hi, bool lo_open) {
  char range[96];
  std::snprintf(range, sizeof range, "%s %g and at most %g", lo_open ? "greater than" : "at least", lo, hi);
  return CLI::Validator(
      [lo, hi, lo_open, why = std::string(range)](std::string &text) -> std::string {
        double v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        const bool ok = !text.empty() && ec == std::errc() && end == text.data() + text.size() && std::isfinite(v) &&
                        (lo_open ? v > lo : v >= lo) && v <= hi;
        return ok ? "" : "must be a finite number " + why + " (got '" + text + "')";
      },
      std::string("NUMBER ") + range);
}

const model::variant_info &variant_or_die(const std::string &name) {
  const model::variant_info *v = model::find_variant(name);
  if (!v) {
    std::string known;
    for (const auto &x : model::all_variants()) known += " " + x.name;
    throw UsageError("unknown variant '" + name + "' (known:" + known + ")");
  }
  return *v;
}

void add_check_option(CLI::App *c, std::string *mode) {
  c->add_option("--check", *mode,
                "How invariants are checked after each step: full (default; every invariant over the whole state) or "
                "incremental (only what the step touched, all at the end of each trace); same verdicts")
      ->check(CLI::IsMember({"full", "incremental"}));
}

props::CheckMode check_mode(const std::string &mode) {
  props::CheckMode m = props::CheckMode::Full;
  if (!mode.empty() && !props::parse_check_mode(mode, m)) throw UsageError("--check: full or incremental");
  return m;
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

props::InvariantSet invariants_for(const trace::Trace &t, const std::vector<std::string> &names) {
  if (!names.empty()) return invariants_or_die(names);
  const std::vector<std::string> noted = trace::noted_invariants(t);
  props::InvariantSet s;  // every invariant
  if (noted.empty()) return s;
  const std::string bad = s.select(noted);
  if (!bad.empty())
    throw UsageError("the trace's '# invariants:' line names an unknown invariant '" + bad +
                     "' (see: gupcheck list invariants; --invariants overrides it)");
  return s;
}

namespace {
// check_consistency() counts operations ("step 3: ..."); a reader of a file
// wants its line: "line 7 (step 3): ...". An operation line is one with
// something before its '#' comment, as trace::parse_trace() reads them.
std::string with_line_number(const std::string &file, const std::string &why) {
  size_t step = 0, used = 0;
  if (why.rfind("step ", 0) != 0) return why;
  try {
    step = std::stoul(why.substr(5), &used);
  } catch (const std::exception &) {
    return why;
  }
  std::ifstream in(file, std::ios::binary);
  std::string line;
  size_t ops = 0;
  for (int lineno = 1; std::getline(in, line); lineno++) {
    const std::string code = line.substr(0, line.find('#'));
    if (code.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (++ops == step) return "line " + std::to_string(lineno) + " (" + why.substr(0, 5 + used) + ")" + why.substr(5 + used);
  }
  return why;
}
}  // namespace

trace::Trace load_trace(const std::string &file) {
  trace::Trace t;
  try {
    t = trace::parse_trace_file(file);
  } catch (const trace::ParseError &e) {
    throw UsageError(file + ": " + e.what());
  }
  std::string why = trace::check_consistency(t);
  if (!why.empty()) throw UsageError(file + ": inconsistent trace: " + with_line_number(file, why));
  return t;
}

int verdict_status(const props::ReplayRecord &log) {
  if (!log.error.empty()) return kUsage;
  if (log.violation.found) return log.violation.internal ? kInternal : kViolation;
  return kOk;
}

void check_output_path(const std::string &option, const std::string &path) {
  if (path.empty()) throw UsageError(option + " needs a file name");
  const std::string why = campaign::output_file_problem(path);
  if (!why.empty()) throw UsageError(option + " " + path + ": " + why);
}

void check_output_dir(const std::string &option, const std::string &dir) {
  if (dir.empty()) throw UsageError(option + " needs a directory name");
  const std::string why = campaign::output_dir_problem(dir);
  if (!why.empty()) throw UsageError(option + " " + dir + ": " + why);
}

}  // namespace gupcheck::cli

// SPDX-License-Identifier: GPL-2.0-only
#include "cli/common.h"

#include <csignal>
#include <filesystem>
#include <sstream>

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

int verdict_status(const props::ReplayRecord &log) {
  if (!log.error.empty()) return kUsage;
  if (log.violation.found) return log.violation.internal ? kInternal : kViolation;
  return kOk;
}

void check_output_path(const std::string &option, const std::string &path) {
  if (path.empty()) throw UsageError(option + " needs a file name");
  const std::filesystem::path p(path);
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) throw UsageError(option + " " + path + ": is a directory");
  const std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(dir, ec))
    throw UsageError(option + " " + path + ": directory " + dir.string() + " does not exist");
}

}  // namespace gupcheck::cli

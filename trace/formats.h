// SPDX-License-Identifier: GPL-2.0-only
//
// Every JSON document gupcheck writes, by name and version: the one place
// that says what "format" and "version" a document carries. A document's
// JSON Schema is schemas/NAME.schema.json in the repository (CTest
// schemas.* validates what the tests write against it). A change that
// breaks a reader (a field removed, renamed or retyped) bumps the version
// here and in the schema.
//
// It sits in trace/ because that is the lowest floor that writes JSON; the
// floors above (properties/ stats, campaign/ summaries, reports/) stamp
// their documents through it.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace gupcheck::formats {

struct JsonFormat {
  const char *name;
  int version;
};

// trace/json.h: a trace in its JSON form.
inline constexpr JsonFormat kTrace{"gupcheck-trace", 1};
// reports/json.h: a replay report. Version 2: "before"/"after" are
// snapshots as data (version 1 had ASCII pictures there).
inline constexpr JsonFormat kReport{"gupcheck-report", 2};
// campaign/summary.h: a campaign (or shard, or merged) summary. Version 1
// was written as "format": "gupcheck-summary-v1" without "version".
inline constexpr JsonFormat kSummary{"gupcheck-summary", 1};
// properties/stats.h: fuzz --stats-json.
inline constexpr JsonFormat kStats{"gupcheck-stats", 1};
// reports/gate.h: gate --json.
inline constexpr JsonFormat kGate{"gupcheck-gate", 1};

inline constexpr JsonFormat kAll[] = {kTrace, kReport, kSummary, kStats, kGate};

// A new document of format f: {"format": NAME, "version": VERSION}.
inline nlohmann::json document(const JsonFormat &f) {
  nlohmann::json j = nlohmann::json::object();
  j["format"] = f.name;
  j["version"] = f.version;
  return j;
}

// Why j is not a document of format f at its current version, or "" when it is.
inline std::string mismatch(const nlohmann::json &j, const JsonFormat &f) {
  const std::string name = f.name;
  if (!j.is_object()) return "not a " + name + " document (not a JSON object)";
  auto format = j.find("format");
  if (format == j.end() || !format->is_string() || format->get<std::string>() != name)
    return "not a " + name + " document (expected \"format\": \"" + name + "\")";
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer() || version->get<long>() != f.version)
    return "unsupported " + name + " version (expected \"version\": " + std::to_string(f.version) + ")";
  return "";
}

}  // namespace gupcheck::formats

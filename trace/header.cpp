// SPDX-License-Identifier: GPL-2.0-only
//
// A saved trace's header notes and the tool version (see header.h).
#include "trace/header.h"

#include "gupcheck_version.h"  // generated at build time by cmake/version.cmake

namespace gupcheck::trace {

const char *tool_version() { return GUPCHECK_VERSION; }

std::string version_line() { return std::string("gupcheck ") + tool_version() + " (model: " + kModelKernel + ")"; }

void stamp_version(nlohmann::json &j) {
  j["gupcheck_version"] = tool_version();
  j["model_kernel"] = kModelKernel;
}

namespace {
bool has_key(const std::string &note, const std::string &key) {
  return note.size() > key.size() && note.compare(0, key.size(), key) == 0 && note[key.size()] == ':';
}
std::string trimmed(const std::string &s) {
  const size_t a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t") - a + 1);
}
}  // namespace

std::optional<std::string> note_value(const Trace &t, const std::string &key) {
  for (const std::string &n : t.notes)
    if (has_key(n, key)) return trimmed(n.substr(key.size() + 1));
  return std::nullopt;
}

void set_note(Trace &t, const std::string &key, const std::string &value) {
  std::erase_if(t.notes, [&](const std::string &n) { return has_key(n, key); });
  t.notes.push_back(key + ": " + value);
}

std::vector<std::string> noted_invariants(const Trace &t) {
  std::vector<std::string> names;
  const std::optional<std::string> v = note_value(t, "invariants");
  if (!v) return names;
  size_t start = 0;
  while (start <= v->size()) {
    const size_t comma = v->find(',', start);
    const std::string name = trimmed(v->substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!name.empty()) names.push_back(name);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return names;
}

}  // namespace gupcheck::trace

// SPDX-License-Identifier: GPL-2.0-only
//
// What a saved trace's verdict depends on, kept in its header comments so a
// file replays to the verdict it was saved with (issue 12), and the tool's
// version that every report and trace carries.
//
//   # gupcheck trace v1
//   # model: cow-reuse-by-mapcount
//   # tool: gupcheck v0.1.0-212-g320a481 (model: Linux v6.18)
//   # invariants: NoLeakAcrossCow
//   # max size: 100
//   # violates: NoLeakAcrossCow at step 6
//   # found by: gupcheck fuzz --variant cow-reuse-by-mapcount --seed 1 --max-size 100 ...
//
// `replay` and `shrink` check the `invariants:` selection unless the command
// line names one; the other lines are for the reader and for tests.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "trace/op.h"

namespace gupcheck::trace {

// The tool version: `git describe` of the tree at build time, or the CMake
// project version when the tree is not a git checkout.
const char *tool_version();
// The kernel the mainline model follows.
inline constexpr const char *kModelKernel = "Linux v6.18";
// "gupcheck VERSION (model: Linux v6.18)", what `gupcheck --version` prints
// and the `tool:` header line holds.
std::string version_line();
// Sets j["gupcheck_version"] and j["model_kernel"]: every JSON file gupcheck
// writes carries them (reports, summaries, gate and stats).
void stamp_version(nlohmann::json &j);

// The value of the first header note "KEY: VALUE", if any.
std::optional<std::string> note_value(const Trace &t, const std::string &key);
// Replaces every "KEY: ..." note by one "KEY: VALUE" (appended at the end).
void set_note(Trace &t, const std::string &key, const std::string &value);
// The `invariants:` note split at commas (empty when there is none).
std::vector<std::string> noted_invariants(const Trace &t);

}  // namespace gupcheck::trace

// SPDX-License-Identifier: GPL-2.0-only
//
// The versions every report, summary, JUnit and JSON file carries: the tool
// (git describe at build time) and the kernel the model follows. One helper
// per output form, so that each writer stamps them the same way.
#pragma once

#include "trace/header.h"

#include <string>

namespace gupcheck::reports {

// JSON files: trace::stamp_version() (trace/header.h), usable on every floor.
using trace::stamp_version;
// "tool:    gupcheck VERSION (model: Linux v6.18)\n" for text reports.
std::string version_text_line();
// The two versions as JUnit <property> lines (for a <properties> block).
std::string version_junit_properties(const std::string &indent);

}  // namespace gupcheck::reports

// SPDX-License-Identifier: GPL-2.0-only
//
// Writing report and counterexample files so that a reader (or a crash)
// never sees a partial file.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace gupcheck::reports {

// Writes `content` to `path` atomically: to path + ".tmp.<pid>" first, then
// fsync() and rename() over path, then fsync() of the directory (best
// effort). An existing file is replaced; on failure it is left untouched and
// no temporary file remains.
// Throws std::runtime_error naming the path and the reason on failure.
void write_file_atomic(const std::string &path, const std::string &content);

// JSON as gupcheck writes it to a file: indented by 2, newline-terminated,
// and never throwing on text that is not UTF-8 (a trace comment may hold any
// bytes; they become U+FFFD).
std::string json_text(const nlohmann::json &j);

}  // namespace gupcheck::reports

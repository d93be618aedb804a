// SPDX-License-Identifier: GPL-2.0-only
//
// Writing report and counterexample files so that a reader (or a crash)
// never sees a partial file.
#pragma once

#include <string>

namespace gupcheck::campaign {

// Writes `content` to `path` atomically: to path + ".tmp.<pid>" first, then
// fsync() and rename() over path, then fsync() of the directory (best
// effort). An existing file is replaced; on failure it is left untouched and
// no temporary file remains.
// Throws std::runtime_error naming the path and the reason on failure.
void write_file_atomic(const std::string &path, const std::string &content);

}  // namespace gupcheck::campaign

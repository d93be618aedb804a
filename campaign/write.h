// SPDX-License-Identifier: GPL-2.0-only
//
// Writing report and counterexample files so that a reader (or a crash)
// never sees a partial file, without ever replacing what is not a file.
#pragma once

#include <string>

namespace gupcheck::campaign {

// Writes `content` to `path`:
//   - a new path or a regular file: atomically, to path + ".tmp.<pid>" first,
//     then fsync() and rename() over path, then fsync() of the directory
//     (best effort). On failure the old file is left untouched and no
//     temporary file remains.
//   - "-": standard output.
//   - a character device (/dev/null, /dev/stdout on a terminal) or a FIFO
//     (/dev/stdout on a pipe): written through, never replaced.
//   - a symbolic link: the same rules for what it points to (the link stays).
//   - anything else (a directory, a block device, a socket): refused.
// Throws std::runtime_error naming the path and the reason on failure.
void write_file_atomic(const std::string &path, const std::string &content);

// Whether write_file_atomic(path, ...) can succeed, checked before a long
// run: "" when it can, else the reason ("directory out does not exist", "is a
// directory", ...). Probes the directory of a new or regular file by creating
// and removing a temporary file in it, so a read-only or virtual directory
// (/proc) is caught too.
std::string output_file_problem(const std::string &path);

// The same for a directory that a run creates (if need be) and writes files
// into: "" when it exists as a writable directory or can be created.
std::string output_dir_problem(const std::string &dir);

}  // namespace gupcheck::campaign

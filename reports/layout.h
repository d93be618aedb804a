// SPDX-License-Identifier: GPL-2.0-only
//
// Small text-layout helpers shared by the reports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "properties/snapshot.h"  // props::hex

namespace gupcheck::reports {

// Reports keep their lines shorter than this many columns.
constexpr size_t kReportColumns = 96;

using props::hex;  // "0x1f"

// `first` followed by `words` joined by `sep`, wrapped before kReportColumns
// (a word longer than a line is not broken); continuation lines start with
// `cont` spaces. Newline-terminated.
std::string wrap_words(const std::string &first, const std::vector<std::string> &words, size_t cont,
                       const std::string &sep = " ");

// Every line of `text` prefixed with `prefix` (newline-terminated).
std::string indent_lines(const std::string &text, const std::string &prefix);

}  // namespace gupcheck::reports

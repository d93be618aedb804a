// SPDX-License-Identifier: GPL-2.0-only
//
// Text-layout helpers (see layout.h).
#include "reports/layout.h"

#include <cinttypes>
#include <cstdio>

namespace gupcheck::reports {

namespace {

std::string rtrim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

std::string wrap_words(const std::string &first, const std::vector<std::string> &words, size_t cont,
                       const std::string &sep) {
  std::string out, line = first;
  bool line_has_word = false;
  for (const std::string &wd : words) {
    if (line_has_word && line.size() + sep.size() + wd.size() > kReportColumns) {
      out += rtrim(line) + "\n";
      line = std::string(cont, ' ');
    } else if (line_has_word) {
      line += sep;
    } else if (!line.empty() && line.back() != ' ') {
      line += ' ';
    }
    line += wd;
    line_has_word = true;
  }
  return out + rtrim(line) + "\n";
}

std::string indent_lines(const std::string &text, const std::string &prefix) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(pos, nl - pos);
    out += (line.empty() ? std::string() : prefix + line) + "\n";
    pos = nl + 1;
  }
  return out;
}

}  // namespace gupcheck::reports

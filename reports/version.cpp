// SPDX-License-Identifier: GPL-2.0-only
//
// The versions in every report (see version.h).
#include "reports/version.h"

#include "reports/markup.h"
#include "trace/header.h"

namespace gupcheck::reports {

std::string version_text_line() { return "tool:    " + trace::version_line() + "\n"; }

std::string version_junit_properties(const std::string &indent) {
  return indent + "<property name=\"gupcheck_version\" value=\"" + markup_escape(trace::tool_version()) + "\"/>\n" +
         indent + "<property name=\"model_kernel\" value=\"" + markup_escape(trace::kModelKernel) + "\"/>\n";
}

}  // namespace gupcheck::reports

// SPDX-License-Identifier: GPL-2.0-only
//
// Escaping text for XML (JUnit reports) and HTML (the campaign page).
#pragma once

#include <string>

namespace gupcheck::reports {

// "&" "<" ">" '"' "'" -> "&amp;" "&lt;" "&gt;" "&quot;" "&#39;": safe in
// element text and in quoted attributes of both XML and HTML.
std::string markup_escape(const std::string &s);

}  // namespace gupcheck::reports

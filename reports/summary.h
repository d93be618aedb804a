// SPDX-License-Identifier: GPL-2.0-only
//
// A campaign summary (campaign/summary.h) rendered: JUnit XML (`--junit`)
// for CI dashboards, and the text the fuzz and merge commands print.
#pragma once

#include <string>

#include "campaign/summary.h"

namespace gupcheck::reports {

using campaign::CampaignSummary;

std::string junit_xml(const CampaignSummary &s);
// The human-readable summary the fuzz and merge commands print.
std::string summary_text(const CampaignSummary &s);

}  // namespace gupcheck::reports

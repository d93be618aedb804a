// SPDX-License-Identifier: GPL-2.0-only
//
// The reports a campaign writes beside each shrunk counterexample trace:
// BASE.txt (the text report) and BASE.json (the JSON report), from a replay
// of the shrunk trace. The command line hands write_counterexample_reports()
// to the campaign (campaign::Config::write_reports), which sits below the
// report floor and cannot call it itself.
#pragma once

#include <string>
#include <vector>

#include "campaign/campaign.h"

namespace gupcheck::reports {

// Return: the files written (BASE.txt, BASE.json). Throws std::runtime_error
// when one cannot be written.
std::vector<std::string> write_counterexample_reports(const std::string &base, const campaign::Finding &f,
                                                      const campaign::Config &cfg);

}  // namespace gupcheck::reports

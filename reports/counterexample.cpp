// SPDX-License-Identifier: GPL-2.0-only
#include "reports/counterexample.h"

#include "campaign/write.h"
#include "reports/json.h"
#include "reports/replay.h"
#include "reports/text.h"

namespace gupcheck::reports {

std::vector<std::string> write_counterexample_reports(const std::string &base, const campaign::Finding &f,
                                                      const campaign::Config &cfg) {
  ReplayLog log = replay_trace(f.shrunk, cfg.variant, cfg.sw, cfg.invariants);
  log.has_seed = true;
  log.seed = cfg.seed;
  log.replay_command = replay_command_for(base + ".trace", cfg.variant);
  campaign::write_file_atomic(base + ".txt", text_report(log));
  campaign::write_file_atomic(base + ".json", json_report(log).dump(2) + "\n");
  return {base + ".txt", base + ".json"};
}

}  // namespace gupcheck::reports

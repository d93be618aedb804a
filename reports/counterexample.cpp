// SPDX-License-Identifier: GPL-2.0-only
#include "reports/counterexample.h"

#include "campaign/write.h"
#include "reports/json.h"
#include "reports/text.h"

namespace gupcheck::reports {

std::vector<std::string> write_counterexample_reports(const std::string &base, const props::ReplayRecord &record) {
  campaign::write_file_atomic(base + ".txt", text_report(record));
  campaign::write_file_atomic(base + ".json", json_text(json_report(record)));
  return {base + ".txt", base + ".json"};
}

}  // namespace gupcheck::reports

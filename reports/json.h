// SPDX-License-Identifier: GPL-2.0-only
//
// The JSON report of a replay:
//   {"format": "gupcheck-report", "version": 1,
//    "variant": "mainline", "seed": 42 | null, "replay_command": "gupcheck replay ...",
//    "verdict": "violation" | "internal-error" | "holds" | "bad-trace",
//    "error": "step 3: ..." | null,
//    "invariant": {"name", "id", "statement", "source", "why", "step", "internal"} | null,
//    "trace": <trace::trace_to_json()>,
//    "steps": [{"index": 1, "op": "read p0 m0+0", "ret": 0, "signal": 0,
//               "value": 0 (only when the step returned a value), "outcome": "0 value=0x0"}],
//    "before": "<picture>", "after": "<picture>"}
// Step numbers ("index", invariant "step") count from 1, as in the text
// report. "internal-error" is a model bug (ModelBug or TypeOK), never a
// kernel bug; id/statement/source are null for ModelBug.
#pragma once

#include <nlohmann/json.hpp>

#include "reports/replay.h"

namespace gupcheck::reports {

// "violation", "internal-error", "holds" or "bad-trace".
const char *verdict_name(const ReplayLog &log);

nlohmann::json json_report(const ReplayLog &log);

// JSON as gupcheck writes it to a file: indented by 2, newline-terminated,
// and never throwing on text that is not UTF-8 (a trace comment may hold any
// bytes; they become U+FFFD).
std::string json_text(const nlohmann::json &j);

}  // namespace gupcheck::reports

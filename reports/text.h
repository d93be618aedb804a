// SPDX-License-Identifier: GPL-2.0-only
//
// The text report of a replay, meant to read like a kernel bug report:
//
//   gupcheck report
//   verdict: invariant ZeroPageNeverRefcounted (B5) violated at step 3 of 4
//   model:   mainline - Linux v6.18 semantics, every historical rule off
//   seed:    42
//   replay:  gupcheck replay FILE --variant mainline
//
//   Trace:
//        1  m0 = mmap p0 mixedmap private rw 1           -> 0
//        2  insert_mixed p0 m0+0 zero                     -> 0
//     >> 3  ...
//
//   Invariant violated: ...  (statement, source, why)
//   Address space before step 3: ...
//   Address space after step 3: ...
//
// Steps are numbered from 1, as everywhere a trace is shown to a reader.
#pragma once

#include <string>

#include "properties/replay.h"

namespace gupcheck::reports {

std::string text_report(const props::ReplayRecord &log);

// One line: "invariant X (ID) violated at step N", "internal model error at
// step N", "no invariant violated in N steps" or "bad trace: ...".
std::string verdict_line(const props::ReplayRecord &log);

}  // namespace gupcheck::reports

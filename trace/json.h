// SPDX-License-Identifier: GPL-2.0-only
//
// The JSON form of a trace:
//   {"format": "gupcheck-trace", "version": 1, "model": "mainline",
//    "notes": ["seed 42"],
//    "ops": [{"op": "mmap", "text": "m0 = mmap p0 anon private rw 4", "result": "m0",
//             "proc": "p0", "thread": 0, "kind": "anon", "shared": false, "prot": "rw",
//             "npages": 4}, ...]}
// Each op carries its text-form word ("op"), its text form ("text", for the
// reader; ignored when reading) and only the fields its kind uses:
//   result "m0"/"p1"/"g0", proc "p0", thread 0..255, gup "g0", map "m0",
//   page, npages, flags (text form, "WRITE|LONGTERM"), value (integer, or a
//   decimal/hex string when reading), kind, shared, prot, file ("f0", or
//   "anon" for shmem:anon), what, in_flight.
// Reading is strict: unknown, missing or ill-typed fields are errors.
// "thread" and "in_flight" may be omitted (0 / false).
#pragma once

#include <nlohmann/json.hpp>

#include "trace/op.h"
#include "trace/text.h"  // ParseError

namespace gupcheck::trace {

nlohmann::json op_to_json(const Op &op);
// Throws ParseError(index, ..., "op") on a malformed op; index is 1-based.
Op op_from_json(const nlohmann::json &j, int index);

nlohmann::json trace_to_json(const Trace &t);
// Throws ParseError: line = the 1-based op index for an error in an op, 0 for
// an error in the document itself.
Trace trace_from_json(const nlohmann::json &j);

}  // namespace gupcheck::trace

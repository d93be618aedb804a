// SPDX-License-Identifier: GPL-2.0-only
//
// The libFuzzer target: the input bytes are raw choices (little-endian 64-bit
// words, see properties/decode.h), decoded into a valid trace and run on one
// model variant with every invariant checked after every step. A violation
// (or a model error) prints the trace and aborts, so libFuzzer keeps the
// input as a crash; `gupcheck replay --from-fuzzer CRASH --variant V` turns
// it back into a readable trace and report.
//
// The variant: the environment variable GUPCHECK_FUZZ_VARIANT, else the
// compile-time GUPCHECK_FUZZ_VARIANT definition, else mainline.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "model/variant.h"
#include "properties/decode.h"
#include "properties/invariants.h"
#include "trace/text.h"

#ifndef GUPCHECK_FUZZ_VARIANT
#define GUPCHECK_FUZZ_VARIANT "mainline"
#endif

namespace {

const gupcheck::model::variant_info *g_variant = nullptr;
const gupcheck::props::InvariantSet *g_invariants = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const char *name = std::getenv("GUPCHECK_FUZZ_VARIANT");
  if (!name || !*name) name = GUPCHECK_FUZZ_VARIANT;
  g_variant = gupcheck::model::find_variant(name);
  if (!g_variant) {
    std::fprintf(stderr, "gup_fuzzer: unknown variant '%s' (GUPCHECK_FUZZ_VARIANT)\n", name);
    std::exit(2);
  }
  g_invariants = new gupcheck::props::InvariantSet();
  std::fprintf(stderr, "gup_fuzzer: variant %s\n", g_variant->name.c_str());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace gupcheck;
  if (size > 8 * 400) return -1;  // keep traces short: long ones add little and slow every run
  const std::vector<uint64_t> raw = props::words_from_bytes(data, size);
  trace::Trace t = props::decode_trace(raw);
  t.variant = g_variant->name;
  const props::RunResult r = props::run_trace(t, g_variant->sw, *g_invariants);
  if (!r.violation.found) return 0;
  t.ops.resize(r.violation.step + 1);
  std::fprintf(stderr, "gup_fuzzer: %s %s: %s\n%s", r.violation.internal ? "MODEL ERROR" : "VIOLATION",
               r.violation.invariant.c_str(), r.violation.why.c_str(), trace::print_trace(t).c_str());
  std::abort();
}

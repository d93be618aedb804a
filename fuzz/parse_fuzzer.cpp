// SPDX-License-Identifier: GPL-2.0-only
//
// The libFuzzer target for what a user hands gupcheck (issue 12 item 5): the
// input bytes are a trace file, read by both parsers (the text form and the
// JSON form); whatever parses and is consistent is replayed on the variant its
// header names (mainline when unknown) and rendered by every report writer
// (text, JSON, the annotated trace) and printed and parsed back.
//
// A user's file may only end in a parse or consistency error (exit 2) or a
// verdict (exit 0/1). Anything else aborts, so libFuzzer keeps the input:
// an exception other than trace::ParseError, nlohmann::json::exception or
// props::bad_trace escaping the parsers or writers (what `gupcheck replay`
// would report as exit 3), a model error (ModelBug/TypeOK: exit 3), or a
// printed trace that does not parse back to the same operations.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "model/variant.h"
#include "properties/invariants.h"
#include "properties/annotate.h"
#include "reports/json.h"
#include "reports/replay.h"
#include "reports/text.h"
#include "trace/json.h"
#include "trace/text.h"

namespace {

using namespace gupcheck;

[[noreturn]] void crash(const char *what, const std::string &detail, std::string_view input) {
  std::fprintf(stderr, "parse_fuzzer: %s: %s\ninput (%zu bytes):\n%.*s\n", what, detail.c_str(), input.size(),
               int(std::min<size_t>(input.size(), 2000)), input.data());
  std::abort();
}

// Replays a parsed trace and runs every writer over the result.
void exercise(trace::Trace t, std::string_view input) {
  if (!trace::check_consistency(t).empty()) return;  // exit 2, with the reason
  const model::variant_info *v = model::find_variant(t.variant);
  if (!v) v = model::find_variant("mainline");
  const reports::ReplayLog log = reports::replay_trace(t, v->name, v->sw, props::InvariantSet());
  if (log.violation.found && log.violation.internal)
    crash("model error on a consistent trace", log.violation.invariant + ": " + log.violation.why, input);
  (void)reports::text_report(log);
  (void)reports::json_text(reports::json_report(log));
  (void)props::print_annotated_trace(t, v->sw);
  (void)reports::json_text(trace::trace_to_json(t));
  // The text form round-trips (notes may lose bytes a line cannot hold).
  const std::string printed = trace::print_trace(t);
  trace::Trace back;
  try {
    back = trace::parse_trace(printed);
  } catch (const trace::ParseError &e) {
    crash("a printed trace does not parse", e.what(), printed);
  }
  if (!(back.ops == t.ops)) crash("a printed trace parses to other operations", printed, input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return -1;  // a few hundred operations at most: long files add little
  const std::string_view input(reinterpret_cast<const char *>(data), size);
  try {
    std::optional<trace::Trace> text, json;
    try {
      text = trace::parse_trace(input);
    } catch (const trace::ParseError &) {
    }
    try {
      json = trace::trace_from_json(nlohmann::json::parse(input));
    } catch (const trace::ParseError &) {
    } catch (const nlohmann::json::exception &) {
    }
    if (text) exercise(*text, input);
    if (json) exercise(*json, input);
  } catch (const props::bad_trace &) {
    // replay_trace() reports it as log.error; only a writer could throw it here.
    crash("bad_trace escaped the report writers", "", input);
  } catch (const std::exception &e) {
    crash("unexpected exception (exit 3)", e.what(), input);
  }
  return 0;
}

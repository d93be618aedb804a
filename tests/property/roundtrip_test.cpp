// SPDX-License-Identifier: GPL-2.0-only
//
// RapidCheck properties over traces generated the way the campaign generates
// them (raw choice words decoded by props::decode_trace(), either drawn by
// RapidCheck directly or by campaign::generate_raw()): the text and JSON
// forms round-trip, every generated trace is consistent, the mainline model
// violates no invariant on it, and every shrink candidate is consistent and
// no longer than the trace it came from.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "campaign/campaign.h"
#include "properties/decode.h"
#include "properties/invariants.h"
#include "shrinkers/shrink.h"
#include "trace/json.h"
#include "trace/op.h"
#include "trace/text.h"

namespace gupcheck {
namespace {

void check_text_round_trip(const trace::Trace &t) {
  const std::string text = trace::print_trace(t);
  const trace::Trace back = trace::parse_trace(text);
  RC_ASSERT(back == t);
  RC_ASSERT(trace::print_trace(back) == text);
}

void check_json_round_trip(const trace::Trace &t) {
  const nlohmann::json j = trace::trace_to_json(t);
  RC_ASSERT(trace::trace_from_json(j) == t);
  // Through the serialised document too, as files carry it.
  RC_ASSERT(trace::trace_from_json(nlohmann::json::parse(j.dump())) == t);
}

void check_consistent(const trace::Trace &t) {
  const std::string why = trace::check_consistency(t);
  if (!why.empty()) RC_FAIL("inconsistent generated trace: " + why + "\n" + trace::print_trace(t));
}

void check_mainline_holds(const trace::Trace &t) {
  const props::RunResult r = props::run_trace(t, {}, props::InvariantSet());
  if (r.violation.found)
    RC_FAIL((r.violation.internal ? "model bug " : "violation ") + r.violation.invariant + " at step " +
            std::to_string(r.violation.step) + ": " + r.violation.why + "\n" + trace::print_trace(t));
  RC_ASSERT(r.steps_run == t.ops.size());
}

void check_shrink_candidates(const trace::Trace &t) {
  for (const trace::Trace &c : shrink::candidates(t)) {
    RC_ASSERT(c.ops.size() <= t.ops.size());
    const std::string why = trace::check_consistency(c);
    if (!why.empty())
      RC_FAIL("inconsistent shrink candidate: " + why + "\n" + trace::print_trace(c) + "from\n" +
              trace::print_trace(t));
  }
}

// The campaign's own generator: case seed and size as campaign::run() uses them.
trace::Trace campaign_trace(uint64_t seed, long index) {
  const int size = campaign::case_size(index, 100);
  return props::decode_trace(campaign::generate_raw(campaign::case_seed(seed, index), size));
}

RC_GTEST_PROP(RawTrace, TextRoundTrips, (const std::vector<uint64_t> &raw)) {
  check_text_round_trip(props::decode_trace(raw));
}

RC_GTEST_PROP(RawTrace, JsonRoundTrips, (const std::vector<uint64_t> &raw)) {
  check_json_round_trip(props::decode_trace(raw));
}

RC_GTEST_PROP(RawTrace, IsConsistent, (const std::vector<uint64_t> &raw)) {
  check_consistent(props::decode_trace(raw));
}

RC_GTEST_PROP(RawTrace, HoldsOnMainline, (const std::vector<uint64_t> &raw)) {
  check_mainline_holds(props::decode_trace(raw));
}

RC_GTEST_PROP(RawTrace, ShrinkCandidatesAreConsistentAndNoLonger, (const std::vector<uint64_t> &raw)) {
  check_shrink_candidates(props::decode_trace(raw));
}

RC_GTEST_PROP(CampaignTrace, AllProperties, (uint64_t seed)) {
  const long index = *rc::gen::inRange<long>(0, 200);
  const trace::Trace t = campaign_trace(seed, index);
  RC_TAG(t.ops.size() < 10 ? "short" : t.ops.size() < 50 ? "medium" : "long");
  check_text_round_trip(t);
  check_json_round_trip(t);
  check_consistent(t);
  check_mainline_holds(t);
  check_shrink_candidates(t);
}

// generate_raw() is deterministic in its seed and size, as replaying a
// campaign case requires.
RC_GTEST_PROP(CampaignTrace, GenerationIsDeterministic, (uint64_t seed)) {
  const int size = *rc::gen::inRange(1, 101);
  RC_ASSERT(campaign::generate_raw(seed, size) == campaign::generate_raw(seed, size));
}

}  // namespace
}  // namespace gupcheck

// SPDX-License-Identifier: GPL-2.0-only
//
// Text a user wrote, not only text the printer wrote: generated traces with
// expectations, model lines and notes drawn from awkward values ("=> -0",
// "# model: a b", a JSON "model" with spaces) are parsed; whatever the
// parser accepts must print and parse back to itself (text -> parse ->
// print -> parse is the identity), and a JSON trace the reader accepts must
// survive the text form.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "properties/decode.h"
#include "trace/json.h"
#include "trace/op.h"
#include "trace/text.h"

namespace gupcheck {
namespace {

const std::vector<std::string> kExpectations = {
    "-0", "0", "-00", "0x0", "-0x0", "1", "-1", "7", "0x41", "-EFAULT", "-ENOMEM", "-EPERM", "SIGSEGV", "SIGBUS",
    "SIG7", "9223372036854775807", "-9223372036854775807", "-9223372036854775808", "18446744073709551615", "0X1f"};
const std::vector<std::string> kModels = {"mainline", "dirty-cow", "a b", "x#y", "tab\there", "ctl\x01", "line\nbreak", "", "ünïcode",
                                          "mainline (Linux v6.18)", "  padded  ", "\x7f"};
const std::vector<std::string> kNotes = {"seed: 1", "", "two\nlines", "model: other", "tab\tnote", "# hash", "\r", "mid\rnote", "ctl\x02"};

// Half the time a plain name, so that enough documents are accepted.
std::string model() { return *rc::gen::inRange(0, 2) ? "mainline" : *rc::gen::elementOf(kModels); }

std::optional<trace::Trace> parsed(const std::string &text) {
  try {
    return trace::parse_trace(text);
  } catch (const trace::ParseError &) {
    return std::nullopt;  // refused: fine, as long as what is accepted round-trips
  }
}

// text -> parse -> print -> parse gives the first parse back.
void check_reparse(const std::string &text) {
  const std::optional<trace::Trace> first = parsed(text);
  RC_TAG(first ? "accepted" : "refused");
  if (!first) return;
  const std::string printed = trace::print_trace(*first);
  const std::optional<trace::Trace> second = parsed(printed);
  if (!second) RC_FAIL("accepted text does not parse once printed:\n" + text + "---- printed:\n" + printed);
  if (!(*second == *first)) RC_FAIL("text changes meaning when printed:\n" + text + "---- printed:\n" + printed);
}

RC_GTEST_PROP(UserText, ParsePrintParseIsIdentity, (const std::vector<uint64_t> &raw)) {
  const trace::Trace t = props::decode_trace(raw);
  std::string text = "# gupcheck trace v1\n";
  if (*rc::gen::inRange(0, 2)) text += "# model: " + model() + "\n";
  for (int i = *rc::gen::inRange(0, 3); i > 0; i--) text += "# " + *rc::gen::elementOf(kNotes) + "\n";
  for (const trace::Op &op : t.ops) {
    text += trace::print_op_only(op);
    if (*rc::gen::inRange(0, 6) == 0) text += " => " + *rc::gen::elementOf(kExpectations);
    text += "\n";
  }
  check_reparse(text);
}

RC_GTEST_PROP(UserJson, AcceptedJsonSurvivesTheTextForm, (const std::vector<uint64_t> &raw)) {
  nlohmann::json j = trace::trace_to_json(props::decode_trace(raw));
  j["model"] = model();
  j["notes"] = nlohmann::json::array();
  for (int i = *rc::gen::inRange(0, 3); i > 0; i--) j["notes"].push_back(*rc::gen::elementOf(kNotes));
  for (auto &op : j["ops"])
    if (*rc::gen::inRange(0, 6) == 0) op["expect"] = *rc::gen::elementOf(kExpectations);
  std::optional<trace::Trace> t;
  try {
    t = trace::trace_from_json(j);
  } catch (const trace::ParseError &) {
  }
  RC_TAG(t ? "accepted" : "refused");
  if (!t) return;
  const std::string printed = trace::print_trace(*t);
  const std::optional<trace::Trace> back = parsed(printed);
  if (!back) RC_FAIL("accepted JSON does not parse once printed:\n" + j.dump(1) + "\n---- printed:\n" + printed);
  if (!(*back == *t)) RC_FAIL("JSON changes meaning in the text form:\n" + j.dump(1) + "\n---- printed:\n" + printed);
}

}  // namespace
}  // namespace gupcheck

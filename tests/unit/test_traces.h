// SPDX-License-Identifier: GPL-2.0-only
//
// Helpers the unit tests share: a trace from a few lines of text, a World
// that has run it, and one invariant's verdict on a World.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "model/variant.h"
#include "properties/invariants.h"
#include "properties/world.h"
#include "trace/text.h"

#include <gtest/gtest.h>

namespace gupcheck::props::test {

// Tampering with a World's state or last outcome, for the tests that prove an
// invariant can fail. Not part of World's interface (a friend of it).
struct WorldTamper {
  static model::kernel_state &kernel(World &w) { return w.k_; }
  static Outcome &last_outcome(World &w) { return w.out_; }
  static std::vector<GupCall> &gup_calls(World &w) { return w.gups_; }
  static GupCall &gup(World &w, uint16_t g) { return w.require_gup(g); }
};

// `body` (trace lines without the header; the first is line 2) as a trace on
// mainline, the default model.
inline trace::Trace parse(const std::string &body) {
  return trace::parse_trace("# gupcheck trace v1\n" + body);
}

// A World (with switches `sw`) that has run every op of `body`; throws on
// an inconsistent trace, so a typo in a test fails it loudly.
inline std::unique_ptr<World> world_after(const std::string &body, const model::variant_switches &sw = {}) {
  const trace::Trace t = parse(body);
  const std::string why = trace::check_consistency(t);
  if (!why.empty()) throw std::runtime_error("inconsistent test trace: " + why);
  auto w = std::make_unique<World>(sw);
  for (const trace::Op &op : t.ops) w->step(op);
  return w;
}

// Whether the invariant (or witness) `name` holds on `w`; its reason in *why_out.
inline bool holds(const World &w, const std::string &name, std::string *why_out = nullptr) {
  const Invariant *i = find_invariant(name);
  if (!i) throw std::runtime_error("no invariant or witness " + name);
  std::string why;
  const bool ok = i->check(w, why);
  if (why_out) *why_out = why;
  return ok;
}

// Every invariant holds after every step of `body` on mainline.
inline void expect_all_hold(const std::string &body) {
  const RunResult r = run_trace(parse(body), {}, InvariantSet());
  EXPECT_FALSE(r.violation.found) << r.violation.invariant << " at step " << r.violation.step + 1 << ": "
                                  << r.violation.why;
}

// `name` holds after `body`; after `tamper(world)` (on a fresh run, so no
// cached census survives) it fails with a reason, and a selection of just
// that invariant reports it at the given step, not as a model bug.
template <typename F>
void expect_tamper_caught(const std::string &body, const std::string &name, F tamper) {
  SCOPED_TRACE(name + " after:\n" + body);
  std::unique_ptr<World> w = world_after(body);
  std::string why;
  EXPECT_TRUE(holds(*w, name, &why)) << "before tampering: " << why;
  w = world_after(body);
  tamper(*w);
  EXPECT_FALSE(holds(*w, name, &why));
  EXPECT_FALSE(why.empty());
  InvariantSet s;
  ASSERT_EQ(s.select({name}), "");
  const Violation v = s.check(*w, 7);
  EXPECT_TRUE(v.found);
  EXPECT_EQ(v.invariant, name) << v.why;
  EXPECT_FALSE(v.internal);
  EXPECT_EQ(v.step, 7u);
}

}  // namespace gupcheck::props::test

// SPDX-License-Identifier: GPL-2.0-only
//
// Resume points as trailing comments of saved traces (see annotate.h).
#include "properties/annotate.h"

#include <exception>

#include "properties/world.h"
#include "trace/text.h"

namespace gupcheck::props {

namespace {

std::string comment_for(const trace::Op &op, const props::Outcome &out) {
  if (op.kind != trace::OpKind::Resume || out.point.empty()) return "";
  return "-> " + out.point;
}

}  // namespace

std::vector<std::string> resume_comments(const trace::Trace &t, const model::variant_switches &sw) {
  const std::string why = trace::check_consistency(t);
  if (!why.empty()) throw props::bad_trace(why);
  std::vector<std::string> comments(t.ops.size());
  props::World w(sw);
  for (size_t i = 0; i < t.ops.size(); i++) {
    try {
      comments[i] = comment_for(t.ops[i], w.step(t.ops[i]));
    } catch (const props::bad_trace &) {
      throw;
    } catch (const std::exception &) {
      break;  // a model error at step i: what ran before it stands
    }
  }
  return comments;
}

std::string print_annotated_trace(const trace::Trace &t, const model::variant_switches &sw) {
  try {
    return trace::print_trace(t, resume_comments(t, sw));
  } catch (const std::exception &) {
    return trace::print_trace(t);
  }
}

}  // namespace gupcheck::props

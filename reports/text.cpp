// SPDX-License-Identifier: GPL-2.0-only
//
// The text report of a replay (see text.h).
#include "reports/text.h"

#include "reports/version.h"

#include "reports/layout.h"
#include "reports/picture.h"
#include "trace/text.h"

namespace gupcheck::reports {

namespace {

// Op texts are padded to this width so outcomes line up.
constexpr size_t kOpColumn = 44;
// Header values start in this column ("verdict: ...").
constexpr size_t kHeaderIndent = 9;

std::string step_count(size_t n) { return std::to_string(n) + (n == 1 ? " step" : " steps"); }

std::string step_line(const char *mark, size_t index, const std::string &op_text, const std::string &tail) {
  const std::string num = std::to_string(index + 1);
  std::string s = std::string(mark) + std::string(num.size() < 4 ? 4 - num.size() : 0, ' ') + num + "  " + op_text;
  if (!tail.empty()) {
    if (op_text.size() < kOpColumn) s.append(kOpColumn - op_text.size(), ' ');
    s += "  " + tail;
  }
  return s + "\n";
}

// Splits a sentence into words for wrap_words().
std::vector<std::string> words_of(const std::string &s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t sp = s.find(' ', pos);
    if (sp == std::string::npos) sp = s.size();
    if (sp > pos) out.push_back(s.substr(pos, sp - pos));
    pos = sp + 1;
  }
  return out;
}

// "label:  value", the value wrapped and aligned under itself.
std::string field(const std::string &label, const std::string &value, size_t indent = kHeaderIndent) {
  std::string first = label + ":";
  first.append(first.size() < indent ? indent - first.size() : 1, ' ');
  return wrap_words(first, words_of(value), indent);
}

std::string model_lines(const std::string &variant) {
  const model::variant_info *vi = model::find_variant(variant);
  if (!vi) return field("model", variant + " (unknown variant)");
  std::string s = field("model", vi->name + " - " + vi->description);
  if (!vi->switches.empty()) {
    s += wrap_words(std::string(kHeaderIndent, ' '), words_of("brings back the rule removed by " + vi->commit),
                    kHeaderIndent);
    std::vector<std::string> sw = {"switches:"};
    sw.insert(sw.end(), vi->switches.begin(), vi->switches.end());
    s += wrap_words(std::string(kHeaderIndent, ' '), sw, kHeaderIndent);
  }
  return s;
}

// A picture without the legend (printed once per report).
std::string without_legend(const std::string &picture) {
  const std::string &legend = legend_text();
  return picture.compare(0, legend.size(), legend) == 0 ? picture.substr(legend.size()) : picture;
}

bool is_seed_note(const std::string &note) { return note.rfind("seed", 0) == 0; }

std::string join_names(const std::vector<std::string> &names) {
  std::string s;
  for (const std::string &n : names) {
    s += (s.empty() ? "" : ", ") + n;
    if (const props::Invariant *inv = props::find_invariant(n)) s += " (" + std::string(inv->id) + ")";
  }
  return s;
}

}  // namespace

std::string verdict_line(const ReplayLog &log) {
  const size_t n = log.steps.size();
  if (!log.error.empty()) return "bad trace, not replayed to the end: " + log.error;
  if (!log.violation.found) return "no invariant violated in " + step_count(n);
  const std::string at =
      " at step " + std::to_string(log.violation.step + 1) + " of " + std::to_string(log.trace.ops.size());
  if (log.violation.invariant == "ModelBug") return "internal model error" + at;
  std::string s = "invariant " + log.violation.invariant;
  if (const props::Invariant *inv = props::find_invariant(log.violation.invariant))
    s += " (" + std::string(inv->id) + ")";
  s += " violated" + at;
  if (log.violation.internal) s += " (a model bug)";
  return s;
}

std::string text_report(const ReplayLog &log) {
  std::string out = "gupcheck report\n";
  out += version_text_line();
  out += field("verdict", verdict_line(log));
  out += model_lines(log.variant);
  out += field("seed", log.has_seed ? std::to_string(log.seed) : std::string("unknown"));
  // Never wrapped, so that it can be copied and pasted.
  out += "replay:  " + log.replay_command + "\n";
  for (const std::string &n : log.trace.notes)
    if (!(log.has_seed && is_seed_note(n))) out += field("note", n);

  out += "\nTrace:\n";
  const long focus = log.failed() ? log.focus_step() : -1;
  for (size_t i = 0; i < log.trace.ops.size(); i++) {
    const std::string text = trace::print_op(log.trace.ops[i]);
    if (i >= log.steps.size()) {
      out += step_line("   ", i, text, "(not run)");
      continue;
    }
    const bool failing = long(i) == focus;
    std::string tail = "-> " + log.steps[i].outcome.describe();
    if (failing && !log.error.empty()) tail = "-> bad trace";
    out += step_line(failing ? ">> " : "   ", i, text, tail);
  }
  if (log.trace.ops.empty()) out += "   (empty)\n";

  const size_t n = log.steps.size();
  const size_t field_indent = 13;
  out += "\n";
  if (!log.error.empty()) {
    out += "Bad trace: " + log.error + "\n";
    out +=
        "The trace is inconsistent (a handle used before it exists, a process used after\n"
        "it exited, ...); nothing is known about the steps after it.\n";
  } else if (log.violation.found && log.violation.invariant == "ModelBug") {
    out +=
        "Internal model error (ModelBug): the model reached a state the kernel cannot reach.\n"
        "This is a bug in gupcheck's model, not a kernel bug.\n";
    out += field("  why", log.violation.why, field_indent);
  } else if (log.violation.found) {
    const props::Invariant *inv = props::find_invariant(log.violation.invariant);
    out += "Invariant violated: " + log.violation.invariant;
    if (inv) out += " (" + std::string(inv->id) + ")";
    out += "\n";
    if (log.violation.internal)
      out += "  The state is malformed: this is a bug in gupcheck's model, not a kernel bug.\n";
    if (inv) {
      out += field("  statement", inv->statement, field_indent);
      out += field("  source", inv->source, field_indent);
    }
    out += field("  why", log.violation.why, field_indent);
    out += field("  also", log.violation.also.empty() ? std::string("no other invariant violated at this step")
                                                      : join_names(log.violation.also) + " (violated at this step too)",
                 field_indent);
  } else {
    out += "Result: no invariant violated in " + step_count(n) + ".\n";
  }

  out += "\n" + legend_text();
  if (log.failed()) {
    const std::string s = std::to_string(n);
    out += "\nAddress space before step " + s + ":\n" + indent_lines(without_legend(log.before), "  ");
    out += "\nAddress space after step " + s + ":\n" + indent_lines(without_legend(log.after), "  ");
  } else {
    out += "\nFinal state" + (n ? " (after step " + std::to_string(n) + ")" : std::string(" (no step run)")) + ":\n" +
           indent_lines(without_legend(log.after), "  ");
  }
  return out;
}

}  // namespace gupcheck::reports

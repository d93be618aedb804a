// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck list: invariants, variants and operations.
#include <chrono>
#include <cstdio>
#include <string>

#include "cli/common.h"
#include "properties/catalogue.h"
#include "properties/live_ops.h"
#include "properties/witness.h"
#include "trace/op.h"

namespace gupcheck::cli {
namespace {

int cmd_list(const std::string &what, bool markdown, bool tsv) {
  if (tsv && what != "ops") throw UsageError("--tsv: only for 'list ops'");
  if (tsv) {
    // kind, yes|no, reason, the example's operations joined by " ; " (for tests/cli/live_ops_test.sh).
    for (const auto &k : props::live_op_kinds()) {
      std::string ex = k.example;
      for (size_t at; (at = ex.find('\n')) != std::string::npos;) ex.replace(at, 1, " ; ");
      std::printf("%s\t%s\t%s\t%s\n", k.kind.c_str(), k.reason.empty() ? "yes" : "no", k.reason.c_str(), ex.c_str());
    }
    return kOk;
  }
  if (markdown && what != "invariants") throw UsageError("--markdown: only for 'list invariants'");
  if (markdown) {
    std::fputs(props::catalogue_markdown().c_str(), stdout);
  } else if (what == "invariants") {
    for (const auto &i : props::all_invariants())
      std::printf("%-30s %-6s %s\n%37s[%s]\n", i.name, i.id, i.statement, "", i.source);
    // The one count (README, fuzz's banner and the campaign page say the same).
    std::printf("%zu invariants (TypeOK and Expectation always checked)\n", props::all_invariants().size());
  } else if (what == "witnesses") {
    for (const auto &i : props::all_witnesses()) {
      std::printf("%-30s %-6s %s\n%37s[%s]\n", i.name, i.id, i.statement, "", i.source);
      for (const auto &p : props::pending_witnesses())
        if (std::string(p.name) == i.name) std::printf("%37spending: %s\n", "", p.waiting_for);
    }
  } else if (what == "variants") {
    for (const auto &v : model::all_variants()) {
      std::printf("%-30s %s\n%31sremoved by: %s\n", v.name.c_str(), v.description.c_str(), "", v.commit.c_str());
      if (!v.catches.empty()) std::printf("%31sexpected to be caught by: %s\n", "", v.catches.c_str());
      if (!v.switches.empty()) {
        std::string sw;
        for (const auto &s : v.switches) sw += (sw.empty() ? "" : ", ") + s;
        std::printf("%31sswitches: %s\n", "", sw.c_str());
      }
    }
  } else if (what == "ops") {
    for (const auto &d : trace::op_docs()) std::printf("%-46s %s\n", d.syntax, d.models);
    std::printf("\n%s", props::live_ops_table().c_str());
    const auto kinds = props::live_op_kinds();
    size_t yes = 0;
    for (const auto &k : kinds) yes += k.reason.empty();
    std::printf("\nOp kinds on the live kernel: %zu of %zu live-expressible (%.0f%%)\n", yes, kinds.size(),
                100.0 * double(yes) / double(kinds.size()));
    for (const auto &k : kinds)
      std::printf("  %-22s %s\n", k.kind.c_str(), k.reason.empty() ? "yes" : ("no: " + k.reason).c_str());
  } else {
    throw UsageError("list what? one of: invariants, witnesses, variants, ops");
  }
  return kOk;
}

}  // namespace

void add_list_command(CLI::App &app, Run &run) {
  auto what = std::make_shared<std::string>();
  auto *list = app.add_subcommand("list", "List invariants, witnesses, variants or operations");
  auto markdown = std::make_shared<bool>(false);
  list->add_option("WHAT", *what, "invariants | witnesses | variants | ops")->required();
  auto tsv = std::make_shared<bool>(false);
  list->add_flag("--markdown", *markdown, "invariants: the catalogue as docs/invariants.md holds it");
  list->add_flag("--tsv", *tsv, "ops: each op kind, live-expressible or not, the reason and an example (tab-separated)");
  list->callback([&run, what, markdown, tsv] { run = [what, markdown, tsv] { return cmd_list(*what, *markdown, *tsv); }; });
}

}  // namespace gupcheck::cli

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

int cmd_list(const std::string &what, bool markdown) {
  if (markdown && what != "invariants") throw UsageError("--markdown: only for 'list invariants'");
  if (markdown) {
    std::fputs(props::catalogue_markdown().c_str(), stdout);
  } else if (what == "invariants") {
    for (const auto &i : props::all_invariants())
      std::printf("%-30s %-6s %s\n%37s[%s]\n", i.name, i.id, i.statement, "", i.source);
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
  list->add_flag("--markdown", *markdown, "invariants: the catalogue as docs/invariants.md holds it");
  list->callback([&run, what, markdown] { run = [what, markdown] { return cmd_list(*what, *markdown); }; });
}

}  // namespace gupcheck::cli

// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck: the command line. Each subcommand is in cli/cmd_*.cpp.
//
// Exit status: 0 nothing found, 1 a violation found, 2 bad usage or input,
// 3 an internal error of the model itself.
#include <cstdio>

#include "cli/common.h"
#include "model/kernel.h"
#include "properties/world.h"
#include "trace/header.h"

using namespace gupcheck;
using namespace gupcheck::cli;

int main(int argc, char **argv) {
  CLI::App app{"gupcheck: a property-based model checker for the Linux kernel's GUP invariants (model: Linux v6.18)"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  app.set_version_flag("--version", trace::version_line(), "Print the tool version and the model's kernel version");

  for (int i = 0; i < argc; i++) {
    std::string a = i == 0 ? "gupcheck" : argv[i];
    if (a.find_first_of(" \t'\"") != std::string::npos) a = "'" + a + "'";
    g_command_line += (i ? " " : "") + a;
  }

  Run run;
  add_fuzz_command(app, run);
  add_replay_command(app, run);
  add_shrink_command(app, run);
  add_list_command(app, run);
  add_diff_command(app, run);
  add_repro_command(app, run);
  add_gate_command(app, run);
  add_merge_command(app, run);
  add_explore_command(app, run);
  add_findings_command(app, run);
  add_report_command(app, run);
  add_timeline_command(app, run);

  add_mutate_command(app, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    app.exit(e);
    return kUsage;
  }
  if (!run) return kUsage;

  try {
    return run();
  } catch (const UsageError &e) {
    std::fprintf(stderr, "gupcheck: %s\n", e.what());
    return kUsage;
  } catch (const props::bad_trace &e) {
    std::fprintf(stderr, "gupcheck: bad trace: %s\n", e.what());
    return kUsage;
  } catch (const model::model_bug &e) {
    std::fprintf(stderr, "gupcheck: internal model error: %s\n", e.what());
    return kInternal;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "gupcheck: internal error: %s\n", e.what());
    return kInternal;
  }
}

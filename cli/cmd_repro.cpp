// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck repro: a standalone C reproducer of a live-expressible trace.
#include <cstdio>
#include <string>

#include "cli/common.h"
#include "live/oracle.h"
#include "properties/live_ops.h"
#include "campaign/write.h"

namespace gupcheck::cli {
namespace {

int cmd_repro(const std::string &file, const std::string &out) {
  trace::Trace t = load_trace(file);
  std::string bad = props::live_check(t);
  if (!bad.empty()) throw UsageError(file + ": not live-expressible: " + bad);
  std::string c = live::c_reproducer(t);
  if (out.empty() || out == "-") {
    std::fputs(c.c_str(), stdout);
  } else {
    campaign::write_file_atomic(out, c);
    std::fprintf(stderr, "written: %s (build: cc -O2 -o repro %s; run as root)\n", out.c_str(), out.c_str());
  }
  return kOk;
}

}  // namespace

void add_repro_command(CLI::App &app, Run &run) {
  auto file = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto *c = app.add_subcommand("repro", "Write a standalone C program that replays a trace on a real kernel");
  c->add_option("FILE", *file, "A live-expressible trace")->required();
  c->add_option("-o,--output", *out, "The C file to write (default: standard output)");
  c->callback([&run, file, out] { run = [file, out] { return cmd_repro(*file, *out); }; });
}

}  // namespace gupcheck::cli

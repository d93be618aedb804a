// SPDX-License-Identifier: GPL-2.0-only
//
// The findings database as the commands use it (`--db FILE`): open and
// re-check, one run record per command, one transaction per finding, and a
// line on stdout after each commit (what a killed writer is judged by).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "trace/header.h"
#include "cli/common.h"

namespace gupcheck::cli {

std::string g_command_line;

namespace {

// Wall-clock time spent in the database by this command (open, re-check,
// writes): printed with the run so its overhead is measured, not guessed.
double g_db_seconds = 0;

struct DbTimer {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  ~DbTimer() { g_db_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); }
};

}  // namespace

findings::Database open_db(const std::string &path) {
  if (path.empty()) throw UsageError("--db needs a file name");
  check_output_path("--db", path);
  DbTimer timer;
  try {
    findings::Database db = findings::Database::open(path);
    const findings::Recheck r = db.recheck();
    if (r.fixed || r.reopened)
      std::printf("db: re-checked %ld findings on this model: %ld fixed, %ld reproduce again\n", r.checked, r.fixed,
                  r.reopened);
    for (const auto &s : r.skipped) std::fprintf(stderr, "db: cannot re-check finding %s\n", s.c_str());
    return db;
  } catch (const findings::DbError &e) {
    throw UsageError(std::string("findings database ") + e.what());
  }
}

findings::RunRecord new_run(const std::string &tool, const std::string &variant, uint64_t seed,
                            const std::string &shard) {
  findings::RunRecord r;
  r.tool = tool;
  r.tool_version = trace::tool_version();
  r.model_version = model::find_variant("mainline")->commit;
  r.variant = variant;
  r.seed = seed;
  r.options = g_command_line;
  r.shard = shard;
  r.started = findings::now();
  return r;
}

std::string existing_db(const std::string &given) {
  std::string p = given;
  if (p.empty()) {
    const char *env = std::getenv("GUPCHECK_DB");
    p = env && *env ? env : "gupcheck.db";
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) throw UsageError("no findings database at " + p + " (give --db FILE)");
  return p;
}

long start_run(findings::Database &db, const findings::RunRecord &r) {
  DbTimer timer;
  try {
    return db.begin_run(r);
  } catch (const findings::DbError &e) {
    throw UsageError(std::string("findings database ") + db.path() + ": " + e.what());
  }
}

void record_finding(findings::Database &db, long run_id, const findings::FindingInput &f) {
  DbTimer timer;
  try {
    const findings::Recorded rec = db.record(run_id, f);
    std::printf("db: finding #%ld %s%s: %s on %s (%zu operations)\n", rec.id, rec.created ? "new" : rec.status.c_str(),
                rec.smaller ? ", smaller trace" : "", f.invariant.c_str(), f.variant.c_str(), f.trace.ops.size());
    std::fflush(stdout);
  } catch (const findings::DbError &e) {
    throw UsageError(std::string("findings database ") + db.path() + ": " + e.what());
  }
}

void finish_run(findings::Database &db, long run_id, findings::RunRecord &r) {
  r.ended = findings::now();
  {
    DbTimer timer;
    try {
      db.end_run(run_id, r);
    } catch (const findings::DbError &e) {
      throw UsageError(std::string("findings database ") + db.path() + ": " + e.what());
    }
  }
  std::printf("db: run #%ld recorded in %s (%.1f ms in the database)\n", run_id, db.path().c_str(),
              g_db_seconds * 1000);
  std::fflush(stdout);
}

double witness_coverage(const props::Stats &s) {
  if (s.witness_cases.empty()) return -1;
  long reached = 0;
  for (long c : s.witness_cases) reached += c > 0;
  return double(reached) / double(s.witness_cases.size());
}

}  // namespace gupcheck::cli

// SPDX-License-Identifier: GPL-2.0-only
//
// The findings database: one SQLite file (no server) that nightly campaigns
// share, in the spirit of syzbot's dashboard. It records every run (tool,
// versions, variant, seed, options, shard, cases, operations, ops/s,
// coverage, start and end) and every finding, deduplicated:
//
//   a finding is (variant, invariant, canonical shrunk trace), where the
//   canonical form is the trace with its handles renamed in creation order
//   (shrink::renumber()) and no header, notes or comments: one op per line.
//
// A later trace joins an existing finding of the same variant and invariant
// when one is a reduction of the other (is_reduction(): the smaller trace is
// a subsequence of the larger, up to handle names); a smaller one replaces
// the finding's smallest trace, and both canonical forms stay as aliases.
//
// Status: "new" when first recorded; "known" once another run sees it again;
// "fixed" when its smallest trace no longer violates its invariant on the
// current model (recheck(), which every command that opens the database with
// --db runs); a fixed finding that reproduces again is "new" again.
//
// Invariants:
//   1. PRAGMA user_version == kSchemaVersion once open() returns.
//   2. Every alias names an existing finding; every finding has its own
//      canonical form among its aliases.
//   3. Each write (a run's start, its end, one finding) is one transaction:
//      a writer killed at any moment leaves every committed finding intact.
//
// Concurrency: WAL journal, a busy timeout, and BEGIN IMMEDIATE for every
// write, so several shards or jobs may write one file on one machine (WAL
// needs shared memory: not on a network file system; gather summaries and
// `gupcheck merge --db` there instead).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "trace/op.h"

struct sqlite3;

namespace gupcheck::findings {

// Version 1: runs, findings, sightings. 2: versions, coverage and
// provenance columns, aliases. 3: the kernel timeline table.
constexpr int kSchemaVersion = 3;

// The SQL that takes a database from schema version v-1 to v (1 <= v <= kSchemaVersion).
const char *migration_sql(int v);

// Any SQLite failure, or a database of a newer schema than this binary knows.
struct DbError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RunRecord {
  long id = 0;
  std::string tool;           // fuzz | gate | merge | explore | timeline
  std::string tool_version;   // gupcheck's version
  std::string model_version;  // the kernel the model follows ("v6.18")
  std::string variant;
  uint64_t seed = 0;
  std::string options;        // the command line
  std::string shard;          // "K/N", or empty
  long cases = 0, ops = 0;
  double ops_per_s = 0;
  double coverage = -1;       // share of witness states reached; < 0: not measured
  double started = 0, ended = 0;  // Unix time, seconds; ended 0 while running
  std::string status = "running";  // running | ok | found | interrupted | failed
  long findings = 0;          // findings recorded by this run (filled by runs())
};

struct FindingInput {
  std::string variant, invariant, why;
  bool internal = false;
  trace::Trace trace;       // the shrunk trace
  std::string found_by;     // the command that found it
};

struct FindingRow {
  long id = 0;
  std::string variant, invariant, why;
  bool internal = false;
  std::string status;           // new | known | fixed
  std::string trace;            // the smallest trace seen, canonical, as a trace file
  long length = 0;              // its operations
  long hits = 0;
  long first_run = 0, last_run = 0;
  double first_seen = 0, last_seen = 0, fixed_at = 0;
  std::string found_by;
};

struct Recorded {
  long id = 0;
  bool created = false;   // a finding not seen before
  bool smaller = false;   // this trace replaced the finding's smallest
  std::string status;     // after recording
};

struct Recheck {
  long checked = 0, fixed = 0, reopened = 0;
  std::vector<std::string> skipped;  // "#ID: why" (unknown variant, trace that no longer parses)
};

struct TimelineCell {
  std::string release, invariant, variant;  // variant: the composed rules ("a+b", or "mainline")
  bool broken = false;
  bool approximate = false;  // a rule whose introduction is not known exactly
  long run_id = 0;
};

enum class Filter { Open, New, All };  // open: new and known

class Database {
 public:
  // Opens (creating when missing) and migrates to kSchemaVersion. Throws DbError.
  static Database open(const std::string &path);
  Database(Database &&o) noexcept;
  Database &operator=(Database &&) = delete;
  Database(const Database &) = delete;
  ~Database();

  int schema_version();
  const std::string &path() const { return path_; }

  // A run's start (status "running") and end, each its own transaction.
  long begin_run(const RunRecord &r);
  void end_run(long run_id, const RunRecord &r);
  // One finding of a run: one transaction (dedup, hit count, smallest trace, status).
  Recorded record(long run_id, const FindingInput &f);
  // Replays every finding's smallest trace on its variant and updates its
  // status (fixed, or new again). One transaction per changed finding.
  Recheck recheck();

  std::vector<FindingRow> findings(Filter f);
  std::optional<FindingRow> finding(long id);
  std::vector<RunRecord> runs();
  // The runs that saw finding id, oldest first.
  std::vector<long> sightings(long id);

  void record_timeline(const TimelineCell &c);
  std::vector<TimelineCell> timeline();

  sqlite3 *handle() { return db_; }

 private:
  Database(sqlite3 *db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3 *db_;
  std::string path_;
};

// The canonical form: handles renumbered, one op per line, no header or comments.
std::string canonical_text(const trace::Trace &t);
// Whether small is big with some operations removed (and handles renamed).
// Conservative: a greedy match, so it may say no where a reduction exists.
bool is_reduction(const trace::Trace &small, const trace::Trace &big);
// Seconds since the epoch, and as "YYYY-MM-DD HH:MM:SS" (UTC).
double now();
std::string utc(double t);

}  // namespace gupcheck::findings

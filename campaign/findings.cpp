// SPDX-License-Identifier: GPL-2.0-only
#include "campaign/findings.h"

#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <sstream>

#include "model/variant.h"
#include "properties/invariants.h"
#include "shrinkers/shrink.h"
#include "trace/text.h"

namespace gupcheck::findings {
namespace {

// Every schema change is a new entry here, never an edit of an old one:
// databases written by older binaries are migrated step by step.
const char *const kMigrations[] = {
    // 1: runs, deduplicated findings, and which run saw which finding.
    R"sql(
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  tool TEXT NOT NULL,
  variant TEXT NOT NULL,
  seed INTEGER NOT NULL,
  options TEXT NOT NULL,
  shard TEXT NOT NULL DEFAULT '',
  cases INTEGER NOT NULL DEFAULT 0,
  ops INTEGER NOT NULL DEFAULT 0,
  ops_per_s REAL NOT NULL DEFAULT 0,
  started REAL NOT NULL,
  ended REAL NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'running');
CREATE TABLE findings(
  id INTEGER PRIMARY KEY,
  variant TEXT NOT NULL,
  invariant TEXT NOT NULL,
  why TEXT NOT NULL,
  internal INTEGER NOT NULL DEFAULT 0,
  canonical TEXT NOT NULL,
  trace TEXT NOT NULL,
  length INTEGER NOT NULL,
  hits INTEGER NOT NULL DEFAULT 1,
  first_run INTEGER NOT NULL REFERENCES runs(id),
  last_run INTEGER NOT NULL REFERENCES runs(id),
  first_seen REAL NOT NULL,
  last_seen REAL NOT NULL,
  status TEXT NOT NULL DEFAULT 'new' CHECK(status IN ('new', 'known', 'fixed')),
  UNIQUE(variant, invariant, canonical));
CREATE TABLE sightings(
  run_id INTEGER NOT NULL REFERENCES runs(id),
  finding_id INTEGER NOT NULL REFERENCES findings(id),
  length INTEGER NOT NULL,
  seen REAL NOT NULL);
CREATE INDEX sightings_by_finding ON sightings(finding_id);
)sql",
    // 2: what produced a run (versions, coverage), what found a finding and
    // when it stopped reproducing; every canonical form a finding was seen as.
    R"sql(
ALTER TABLE runs ADD COLUMN tool_version TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN model_version TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN coverage REAL NOT NULL DEFAULT -1;
ALTER TABLE findings ADD COLUMN found_by TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN fixed_at REAL NOT NULL DEFAULT 0;
CREATE TABLE aliases(
  finding_id INTEGER NOT NULL REFERENCES findings(id),
  canonical TEXT NOT NULL,
  PRIMARY KEY(finding_id, canonical));
INSERT INTO aliases(finding_id, canonical) SELECT id, canonical FROM findings;
)sql",
    // 3: the kernel timeline (gupcheck timeline): release x invariant.
    R"sql(
CREATE TABLE timeline(
  run_id INTEGER NOT NULL REFERENCES runs(id),
  release TEXT NOT NULL,
  invariant TEXT NOT NULL,
  variant TEXT NOT NULL,
  broken INTEGER NOT NULL,
  approximate INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(run_id, release, invariant));
)sql",
};
static_assert(sizeof kMigrations / sizeof kMigrations[0] == kSchemaVersion);

[[noreturn]] void fail(sqlite3 *db, const std::string &what) {
  throw DbError(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

void exec(sqlite3 *db, const char *sql) {
  char *err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    throw DbError(msg);
  }
}

// One prepared statement; columns and parameters are 0- and 1-based as in SQLite.
class Stmt {
 public:
  Stmt(sqlite3 *db, const char *sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) fail(db, "prepare");
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt &) = delete;
  Stmt &operator=(const Stmt &) = delete;
  Stmt &i64(int i, long long v) { return check(sqlite3_bind_int64(s_, i, v)); }
  Stmt &dbl(int i, double v) { return check(sqlite3_bind_double(s_, i, v)); }
  Stmt &text(int i, const std::string &v) {
    return check(sqlite3_bind_text(s_, i, v.data(), int(v.size()), SQLITE_TRANSIENT));
  }
  // Return: true while there is a row.
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, "step");
  }
  void run() {
    while (step()) {
    }
  }
  long long col_i64(int c) { return sqlite3_column_int64(s_, c); }
  double col_dbl(int c) { return sqlite3_column_double(s_, c); }
  std::string col_text(int c) {
    const unsigned char *p = sqlite3_column_text(s_, c);
    return p ? std::string(reinterpret_cast<const char *>(p), size_t(sqlite3_column_bytes(s_, c))) : std::string();
  }

 private:
  Stmt &check(int rc) {
    if (rc != SQLITE_OK) fail(db_, "bind");
    return *this;
  }
  sqlite3 *db_;
  sqlite3_stmt *s_ = nullptr;
};

// A write transaction: BEGIN IMMEDIATE takes the write lock at once (waiting
// up to the busy timeout), so two writers never deadlock upgrading a read.
class WriteTx {
 public:
  explicit WriteTx(sqlite3 *db) : db_(db) { exec(db, "BEGIN IMMEDIATE"); }
  ~WriteTx() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    exec(db_, "COMMIT");
    done_ = true;
  }

 private:
  sqlite3 *db_;
  bool done_ = false;
};

int user_version(sqlite3 *db) {
  Stmt s(db, "PRAGMA user_version");
  return s.step() ? int(s.col_i64(0)) : 0;
}

trace::Trace without_notes(const trace::Trace &t) {
  trace::Trace r = shrink::renumber(t);
  r.notes.clear();
  return r;
}

const char *kFindingColumns =
    "id, variant, invariant, why, internal, status, trace, length, hits, first_run, last_run, first_seen, "
    "last_seen, fixed_at, found_by FROM findings";

FindingRow read_finding(Stmt &s) {
  FindingRow r;
  r.id = long(s.col_i64(0));
  r.variant = s.col_text(1);
  r.invariant = s.col_text(2);
  r.why = s.col_text(3);
  r.internal = s.col_i64(4) != 0;
  r.status = s.col_text(5);
  r.trace = s.col_text(6);
  r.length = long(s.col_i64(7));
  r.hits = long(s.col_i64(8));
  r.first_run = long(s.col_i64(9));
  r.last_run = long(s.col_i64(10));
  r.first_seen = s.col_dbl(11);
  r.last_seen = s.col_dbl(12);
  r.fixed_at = s.col_dbl(13);
  r.found_by = s.col_text(14);
  return r;
}

// Whether the finding's trace still shows its violation on the current model.
// Return: nullopt (and why) when it cannot be replayed at all.
std::optional<bool> reproduces(const FindingRow &f, std::string *why) {
  const model::variant_info *v = model::find_variant(f.variant);
  if (!v) {
    *why = "unknown variant " + f.variant;
    return std::nullopt;
  }
  trace::Trace t;
  try {
    t = trace::parse_trace(f.trace);
  } catch (const trace::ParseError &e) {
    *why = std::string("trace no longer parses: ") + e.what();
    return std::nullopt;
  }
  props::InvariantSet inv;
  if (!f.internal && !inv.select({f.invariant}).empty()) {
    *why = "unknown invariant " + f.invariant;
    return std::nullopt;
  }
  try {
    const props::RunResult r = props::run_trace(t, v->sw, inv);
    return r.violation.found && r.violation.invariant == f.invariant;
  } catch (const std::exception &e) {
    *why = std::string("trace no longer replays: ") + e.what();
    return std::nullopt;
  }
}

}  // namespace

const char *migration_sql(int v) {
  if (v < 1 || v > kSchemaVersion) throw DbError("no migration to schema version " + std::to_string(v));
  return kMigrations[v - 1];
}

double now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string utc(double t) {
  if (t <= 0) return "-";
  const std::time_t s = std::time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string canonical_text(const trace::Trace &t) {
  const trace::Trace r = shrink::renumber(t);
  std::string out;
  for (const trace::Op &op : r.ops) out += trace::print_op(op) + "\n";
  return out;
}

bool is_reduction(const trace::Trace &small, const trace::Trace &big) {
  if (small.ops.size() > big.ops.size()) return false;
  const trace::Trace target = shrink::renumber(small);
  // Renumbering is prefix-stable (an op's new names depend only on the ops
  // before it), so each candidate op is compared on its own.
  trace::Trace picked;
  size_t matched = 0;
  for (const trace::Op &op : big.ops) {
    if (matched == target.ops.size()) break;
    picked.ops.push_back(op);
    const trace::Trace r = shrink::renumber(picked);
    if (trace::print_op(r.ops.back()) == trace::print_op(target.ops[matched]))
      matched++;
    else
      picked.ops.pop_back();
  }
  return matched == target.ops.size();
}

Database Database::open(const std::string &path) {
  sqlite3 *db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    const std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw DbError(path + ": " + msg);
  }
  Database d(db, path);
  try {
    sqlite3_busy_timeout(db, 30000);
    exec(db, "PRAGMA journal_mode=WAL");
    // FULL: a committed finding survives a power loss too, not only a killed process.
    exec(db, "PRAGMA synchronous=FULL");
    exec(db, "PRAGMA foreign_keys=ON");
    if (user_version(db) != kSchemaVersion) {
      WriteTx tx(db);
      const int from = user_version(db);  // again, under the write lock: another opener may have migrated
      if (from > kSchemaVersion)
        throw DbError("schema version " + std::to_string(from) + " is newer than this gupcheck knows (" +
                      std::to_string(kSchemaVersion) + ")");
      for (int v = from + 1; v <= kSchemaVersion; v++) exec(db, migration_sql(v));
      exec(db, ("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str());
      tx.commit();
    }
  } catch (const DbError &e) {
    throw DbError(path + ": " + e.what());
  }
  return d;
}

Database::Database(Database &&o) noexcept : db_(o.db_), path_(std::move(o.path_)) { o.db_ = nullptr; }

Database::~Database() { sqlite3_close(db_); }

int Database::schema_version() { return user_version(db_); }

long Database::begin_run(const RunRecord &r) {
  WriteTx tx(db_);
  Stmt s(db_,
         "INSERT INTO runs(tool, tool_version, model_version, variant, seed, options, shard, started, status) "
         "VALUES(?, ?, ?, ?, ?, ?, ?, ?, 'running')");
  s.text(1, r.tool).text(2, r.tool_version).text(3, r.model_version).text(4, r.variant);
  s.i64(5, (long long)r.seed).text(6, r.options).text(7, r.shard).dbl(8, r.started > 0 ? r.started : now());
  s.run();
  const long id = long(sqlite3_last_insert_rowid(db_));
  tx.commit();
  return id;
}

void Database::end_run(long run_id, const RunRecord &r) {
  WriteTx tx(db_);
  Stmt s(db_, "UPDATE runs SET cases = ?, ops = ?, ops_per_s = ?, coverage = ?, ended = ?, status = ? WHERE id = ?");
  s.i64(1, r.cases).i64(2, r.ops).dbl(3, r.ops_per_s).dbl(4, r.coverage).dbl(5, r.ended > 0 ? r.ended : now());
  s.text(6, r.status).i64(7, run_id);
  s.run();
  tx.commit();
}

Recorded Database::record(long run_id, const FindingInput &f) {
  const trace::Trace small = without_notes(f.trace);
  const std::string canon = canonical_text(f.trace);
  const std::string text = trace::print_trace(small);
  const long length = long(small.ops.size());
  const double t = now();
  WriteTx tx(db_);
  Recorded rec;
  {
    Stmt s(db_,
           "SELECT f.id FROM aliases a JOIN findings f ON f.id = a.finding_id "
           "WHERE f.variant = ? AND f.invariant = ? AND a.canonical = ?");
    s.text(1, f.variant).text(2, f.invariant).text(3, canon);
    if (s.step()) rec.id = long(s.col_i64(0));
  }
  if (rec.id == 0) {
    // Not seen in this form: the same bug when one trace reduces to the other.
    Stmt s(db_, "SELECT id, trace FROM findings WHERE variant = ? AND invariant = ? ORDER BY id");
    s.text(1, f.variant).text(2, f.invariant);
    while (s.step() && rec.id == 0) {
      try {
        const trace::Trace old = trace::parse_trace(s.col_text(1));
        if (is_reduction(small, old) || is_reduction(old, small)) rec.id = long(s.col_i64(0));
      } catch (const trace::ParseError &) {
        // An old trace the grammar no longer reads never matches.
      }
    }
  }
  if (rec.id == 0) {
    Stmt ins(db_,
             "INSERT INTO findings(variant, invariant, why, internal, canonical, trace, length, hits, first_run, "
             "last_run, first_seen, last_seen, status, found_by) VALUES(?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, 'new', ?)");
    ins.text(1, f.variant).text(2, f.invariant).text(3, f.why).i64(4, f.internal).text(5, canon).text(6, text);
    ins.i64(7, length).i64(8, run_id).i64(9, run_id).dbl(10, t).dbl(11, t).text(12, f.found_by);
    ins.run();
    rec.id = long(sqlite3_last_insert_rowid(db_));
    rec.created = true;
    rec.status = "new";
  } else {
    Stmt q(db_, "SELECT length, first_run, status FROM findings WHERE id = ?");
    q.i64(1, rec.id);
    q.step();
    const long old_length = long(q.col_i64(0));
    const long first_run = long(q.col_i64(1));
    const std::string old_status = q.col_text(2);
    // Fixed and seen again: a regression, new again. Seen by another run: known.
    rec.status = old_status == "fixed" ? "new" : first_run == run_id ? old_status : "known";
    rec.smaller = length < old_length;
    Stmt u(db_,
           "UPDATE findings SET hits = hits + 1, last_run = ?, last_seen = ?, status = ?, "
           "fixed_at = CASE WHEN ? = 'fixed' THEN fixed_at ELSE 0 END WHERE id = ?");
    u.i64(1, run_id).dbl(2, t).text(3, rec.status).text(4, rec.status).i64(5, rec.id);
    u.run();
    if (rec.smaller) {
      Stmt r(db_, "UPDATE findings SET canonical = ?, trace = ?, length = ?, why = ?, found_by = ? WHERE id = ?");
      r.text(1, canon).text(2, text).i64(3, length).text(4, f.why).text(5, f.found_by).i64(6, rec.id);
      r.run();
    }
  }
  {
    Stmt a(db_, "INSERT OR IGNORE INTO aliases(finding_id, canonical) VALUES(?, ?)");
    a.i64(1, rec.id).text(2, canon);
    a.run();
    Stmt s(db_, "INSERT INTO sightings(run_id, finding_id, length, seen) VALUES(?, ?, ?, ?)");
    s.i64(1, run_id).i64(2, rec.id).i64(3, length).dbl(4, t);
    s.run();
  }
  tx.commit();
  return rec;
}

Recheck Database::recheck() {
  Recheck out;
  for (const FindingRow &f : findings(Filter::All)) {
    std::string why;
    const std::optional<bool> still = reproduces(f, &why);
    out.checked++;
    if (!still) {
      out.skipped.push_back("#" + std::to_string(f.id) + ": " + why);
      continue;
    }
    const bool fixed = f.status == "fixed";
    if (*still != fixed) continue;  // unchanged
    WriteTx tx(db_);
    // Only from the status read above: a concurrent opener may have changed it already.
    Stmt u(db_, "UPDATE findings SET status = ?, fixed_at = ? WHERE id = ? AND status = ?");
    u.text(1, fixed ? "new" : "fixed").dbl(2, fixed ? 0 : now()).i64(3, f.id).text(4, f.status);
    u.run();
    const bool changed = sqlite3_changes(db_) == 1;
    tx.commit();
    if (changed) (fixed ? out.reopened : out.fixed)++;
  }
  return out;
}

std::vector<FindingRow> Database::findings(Filter filter) {
  std::string sql = std::string("SELECT ") + kFindingColumns;
  if (filter == Filter::New) sql += " WHERE status = 'new'";
  if (filter == Filter::Open) sql += " WHERE status != 'fixed'";
  // New first, then known, then fixed; the most recently seen first within each.
  sql += " ORDER BY CASE status WHEN 'new' THEN 0 WHEN 'known' THEN 1 ELSE 2 END, last_seen DESC, id";
  Stmt s(db_, sql.c_str());
  std::vector<FindingRow> out;
  while (s.step()) out.push_back(read_finding(s));
  return out;
}

std::optional<FindingRow> Database::finding(long id) {
  Stmt s(db_, (std::string("SELECT ") + kFindingColumns + " WHERE id = ?").c_str());
  s.i64(1, id);
  if (!s.step()) return std::nullopt;
  return read_finding(s);
}

std::vector<RunRecord> Database::runs() {
  Stmt s(db_,
         "SELECT id, tool, tool_version, model_version, variant, seed, options, shard, cases, ops, ops_per_s, "
         "coverage, started, ended, status, (SELECT count(*) FROM sightings WHERE run_id = runs.id) "
         "FROM runs ORDER BY started, id");
  std::vector<RunRecord> out;
  while (s.step()) {
    RunRecord r;
    r.id = long(s.col_i64(0));
    r.tool = s.col_text(1);
    r.tool_version = s.col_text(2);
    r.model_version = s.col_text(3);
    r.variant = s.col_text(4);
    r.seed = uint64_t(s.col_i64(5));
    r.options = s.col_text(6);
    r.shard = s.col_text(7);
    r.cases = long(s.col_i64(8));
    r.ops = long(s.col_i64(9));
    r.ops_per_s = s.col_dbl(10);
    r.coverage = s.col_dbl(11);
    r.started = s.col_dbl(12);
    r.ended = s.col_dbl(13);
    r.status = s.col_text(14);
    r.findings = long(s.col_i64(15));
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<long> Database::sightings(long id) {
  Stmt s(db_, "SELECT run_id FROM sightings WHERE finding_id = ? ORDER BY seen, run_id");
  s.i64(1, id);
  std::vector<long> out;
  while (s.step()) out.push_back(long(s.col_i64(0)));
  return out;
}

void Database::record_timeline(const TimelineCell &c) {
  WriteTx tx(db_);
  Stmt s(db_,
         "INSERT OR REPLACE INTO timeline(run_id, release, invariant, variant, broken, approximate) "
         "VALUES(?, ?, ?, ?, ?, ?)");
  s.i64(1, c.run_id).text(2, c.release).text(3, c.invariant).text(4, c.variant).i64(5, c.broken);
  s.i64(6, c.approximate);
  s.run();
  tx.commit();
}

std::vector<TimelineCell> Database::timeline() {
  Stmt s(db_,
         "SELECT run_id, release, invariant, variant, broken, approximate FROM timeline "
         "WHERE run_id = (SELECT max(run_id) FROM timeline) ORDER BY rowid");
  std::vector<TimelineCell> out;
  while (s.step()) {
    TimelineCell c;
    c.run_id = long(s.col_i64(0));
    c.release = s.col_text(1);
    c.invariant = s.col_text(2);
    c.variant = s.col_text(3);
    c.broken = s.col_i64(4) != 0;
    c.approximate = s.col_i64(5) != 0;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace gupcheck::findings

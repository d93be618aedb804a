// SPDX-License-Identifier: GPL-2.0-only
//
// The findings database (campaign/findings.h): canonical traces, dedup and
// the smallest trace, statuses and the re-check by replay, migrations from
// every older schema, and refusing what is not ours.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "campaign/findings.h"
#include "trace/text.h"

namespace gupcheck {
namespace {

using findings::Database;

trace::Trace parse(const char *text) { return trace::parse_trace(text); }

// zero-page-pin-counted: a pin of the zero page counts (A1 GupGrabArithmetic).
const char *kPinZero = R"(# gupcheck trace v1
# model: zero-page-pin-counted
m3 = mmap p0 anon private rw 1
g7 = pin p0 m3+0 1 0   # a comment
)";
// The same bug with a detour: a second mapping and a read before the pin.
const char *kPinZeroLonger = R"(# gupcheck trace v1
# model: zero-page-pin-counted
m0 = mmap p0 anon private rw 1
m1 = mmap p0 anon private rw 2
read p0 m1+1
g0 = pin p0 m0+0 1 0
)";

std::string temp_db(const char *name) {
  const std::string p = testing::TempDir() + "/gupcheck-" + name + "-" + std::to_string(getpid()) + ".db";
  for (const char *suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p + suffix);
  return p;
}

findings::FindingInput input(const char *text, const std::string &invariant = "GupGrabArithmetic") {
  findings::FindingInput f;
  f.variant = "zero-page-pin-counted";
  f.invariant = invariant;
  f.why = "test";
  f.trace = parse(text);
  f.found_by = "test";
  return f;
}

long new_run(Database &db) {
  findings::RunRecord r;
  r.tool = "fuzz";
  r.variant = "zero-page-pin-counted";
  return db.begin_run(r);
}

TEST(FindingsCanonical, RenumbersHandlesAndDropsCommentsAndHeader) {
  EXPECT_EQ(findings::canonical_text(parse(kPinZero)), "m0 = mmap p0 anon private rw 1\ng0 = pin p0 m0+0 1 0\n");
}

TEST(FindingsCanonical, ReductionIsASubsequenceUpToHandleNames) {
  EXPECT_TRUE(findings::is_reduction(parse(kPinZero), parse(kPinZeroLonger)));
  EXPECT_FALSE(findings::is_reduction(parse(kPinZeroLonger), parse(kPinZero)));
  // Another flag is another operation.
  EXPECT_FALSE(findings::is_reduction(parse("# gupcheck trace v1\nm0 = mmap p0 anon private rw 1\n"
                                            "g0 = pin p0 m0+0 1 WRITE\n"),
                                      parse(kPinZeroLonger)));
}

TEST(FindingsDb, DeduplicatesCountsHitsAndKeepsTheSmallestTrace) {
  const std::string path = temp_db("dedup");
  Database db = Database::open(path);
  EXPECT_EQ(db.schema_version(), findings::kSchemaVersion);
  const long r1 = new_run(db);
  const findings::Recorded a = db.record(r1, input(kPinZeroLonger));
  EXPECT_TRUE(a.created);
  EXPECT_EQ(a.status, "new");
  // Same run, the same trace again: one finding, two hits, still new.
  const findings::Recorded b = db.record(r1, input(kPinZeroLonger));
  EXPECT_EQ(b.id, a.id);
  EXPECT_FALSE(b.created);
  EXPECT_EQ(b.status, "new");
  // A later run shrinks further: the same finding, known, with the smaller trace.
  const long r2 = new_run(db);
  const findings::Recorded c = db.record(r2, input(kPinZero));
  EXPECT_EQ(c.id, a.id);
  EXPECT_TRUE(c.smaller);
  EXPECT_EQ(c.status, "known");
  // The longer form seen again still lands on it (an alias), without replacing the trace.
  const findings::Recorded d = db.record(r2, input(kPinZeroLonger));
  EXPECT_EQ(d.id, a.id);
  EXPECT_FALSE(d.smaller);
  // Another invariant is another finding.
  const findings::Recorded e = db.record(r2, input(kPinZero, "ZeroPageNeverRefcounted"));
  EXPECT_NE(e.id, a.id);
  EXPECT_TRUE(e.created);

  const auto f = db.finding(a.id);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->hits, 4);
  EXPECT_EQ(f->length, 2);
  EXPECT_EQ(f->first_run, r1);
  EXPECT_EQ(f->last_run, r2);
  EXPECT_EQ(findings::canonical_text(parse(f->trace.c_str())), findings::canonical_text(parse(kPinZero)));
  EXPECT_EQ(db.sightings(a.id), (std::vector<long>{r1, r1, r2, r2}));
  EXPECT_EQ(db.findings(findings::Filter::All).size(), 2u);
  EXPECT_EQ(db.findings(findings::Filter::New).size(), 1u);
}

TEST(FindingsDb, RecheckMarksFixedAndReopensARegression) {
  const std::string path = temp_db("recheck");
  Database db = Database::open(path);
  const long run = new_run(db);
  // Reproduces on its variant.
  const long live = db.record(run, input(kPinZero)).id;
  // Recorded under a variant where the trace holds: the model "was fixed".
  findings::FindingInput gone = input(kPinZero);
  gone.variant = "mainline";
  const long fixed = db.record(run, gone).id;

  findings::Recheck r = db.recheck();
  EXPECT_EQ(r.checked, 2);
  EXPECT_EQ(r.fixed, 1);
  EXPECT_EQ(r.reopened, 0);
  EXPECT_EQ(db.finding(fixed)->status, "fixed");
  EXPECT_GT(db.finding(fixed)->fixed_at, 0);
  EXPECT_EQ(db.finding(live)->status, "new");
  EXPECT_EQ(db.findings(findings::Filter::Open).size(), 1u);

  // A finding marked fixed that reproduces again is new again.
  ASSERT_EQ(sqlite3_exec(db.handle(), ("UPDATE findings SET status = 'fixed' WHERE id = " + std::to_string(live)).c_str(),
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  r = db.recheck();
  EXPECT_EQ(r.reopened, 1);
  EXPECT_EQ(db.finding(live)->status, "new");
  EXPECT_EQ(db.finding(live)->fixed_at, 0);

  // A finding whose variant this binary does not know is left alone, and said so.
  ASSERT_EQ(sqlite3_exec(db.handle(), "UPDATE findings SET variant = 'gone-variant' WHERE id = 1", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  r = db.recheck();
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_NE(r.skipped[0].find("unknown variant gone-variant"), std::string::npos);
}

// A database written by every older schema opens, is migrated, and keeps its data.
TEST(FindingsDb, MigratesFromEveryOlderSchema) {
  for (int from = 1; from < findings::kSchemaVersion; from++) {
    const std::string path = temp_db(("migrate" + std::to_string(from)).c_str());
    {
      sqlite3 *raw = nullptr;
      ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
      for (int v = 1; v <= from; v++)
        ASSERT_EQ(sqlite3_exec(raw, findings::migration_sql(v), nullptr, nullptr, nullptr), SQLITE_OK) << v;
      const std::string canon = findings::canonical_text(parse(kPinZero));
      const std::string trace = trace::print_trace(parse(kPinZero));
      const std::string fill =
          "INSERT INTO runs(tool, variant, seed, options, started, ended, status) VALUES('fuzz', "
          "'zero-page-pin-counted', 7, 'gupcheck fuzz', 1000, 1001, 'found');"
          "INSERT INTO findings(variant, invariant, why, canonical, trace, length, first_run, last_run, first_seen, "
          "last_seen) VALUES('zero-page-pin-counted', 'GupGrabArithmetic', 'old', '" + canon + "', '" + trace +
          "', 2, 1, 1, 1000, 1000);"
          "INSERT INTO sightings VALUES(1, 1, 2, 1000);"
          "PRAGMA user_version=" + std::to_string(from) + ";";
      ASSERT_EQ(sqlite3_exec(raw, fill.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(raw);
      sqlite3_close(raw);
    }
    Database db = Database::open(path);
    EXPECT_EQ(db.schema_version(), findings::kSchemaVersion) << "from " << from;
    const auto runs = db.runs();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].seed, 7u);
    EXPECT_EQ(runs[0].coverage, -1);  // a version 2 column, defaulted
    const auto f = db.finding(1);
    ASSERT_TRUE(f) << "from " << from;
    EXPECT_EQ(f->invariant, "GupGrabArithmetic");
    // The version 2 aliases were filled from the old canonical column: the same trace dedups.
    const long r = new_run(db);
    const findings::Recorded rec = db.record(r, input(kPinZero));
    EXPECT_EQ(rec.id, 1) << "from " << from;
    EXPECT_EQ(rec.status, "known");
    // Version 3's table exists.
    db.record_timeline({"v5.8", "GupGrabArithmetic", "zero-page-pin-counted", true, false, r});
    EXPECT_EQ(db.timeline().size(), 1u);
  }
}

TEST(FindingsDb, RefusesANewerSchemaAndAFileThatIsNotADatabase) {
  const std::string newer = temp_db("newer");
  {
    Database db = Database::open(newer);
    ASSERT_EQ(sqlite3_exec(db.handle(), "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  }
  try {
    Database::open(newer);
    FAIL() << "opened a newer schema";
  } catch (const findings::DbError &e) {
    EXPECT_NE(std::string(e.what()).find("schema version 99 is newer"), std::string::npos) << e.what();
  }
  const std::string junk = temp_db("junk");
  std::ofstream(junk) << "this is a trace, not a database\n";
  EXPECT_THROW(Database::open(junk), findings::DbError);
}

}  // namespace
}  // namespace gupcheck

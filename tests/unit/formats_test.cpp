// SPDX-License-Identifier: GPL-2.0-only
//
// JSON formats (trace/formats.h): the table of every document's name and
// version agrees with the schemas shipped in schemas/, each writer stamps
// its documents from it, and readers refuse other formats and versions.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "campaign/summary.h"
#include "properties/stats.h"
#include "reports/gate.h"
#include "trace/formats.h"
#include "trace/json.h"

namespace gupcheck {
namespace {

const std::filesystem::path kSchemas = std::filesystem::path(GUPCHECK_SOURCE_DIR) / "schemas";

nlohmann::json load(const std::filesystem::path &p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

TEST(JsonFormats, EveryFormatHasItsSchemaAndNoSchemaIsStray) {
  std::set<std::string> names;
  for (const formats::JsonFormat &f : formats::kAll) {
    names.insert(f.name);
    const std::filesystem::path p = kSchemas / (std::string(f.name) + ".schema.json");
    ASSERT_TRUE(std::filesystem::exists(p)) << p;
    const nlohmann::json s = load(p);
    EXPECT_EQ(s["properties"]["format"]["const"], f.name) << p;
    EXPECT_EQ(s["properties"]["version"]["const"], f.version) << p;
  }
  for (const auto &e : std::filesystem::directory_iterator(kSchemas)) {
    const std::string file = e.path().filename().string();
    const std::string suffix = ".schema.json";
    if (file.size() <= suffix.size() || file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    EXPECT_TRUE(names.count(file.substr(0, file.size() - suffix.size()))) << file << " names no format";
  }
}

TEST(JsonFormats, WritersStampNameAndVersion) {
  auto stamped = [](const nlohmann::json &j, const formats::JsonFormat &f) {
    EXPECT_EQ(formats::mismatch(j, f), "") << j.dump().substr(0, 200);
  };
  stamped(trace::trace_to_json(trace::Trace{}), formats::kTrace);
  stamped(campaign::summary_json(campaign::CampaignSummary{}), formats::kSummary);
  stamped(props::Stats{}.to_json(), formats::kStats);
  stamped(reports::gate_json({}, 1, 10), formats::kGate);
}

TEST(JsonFormats, MismatchNamesWhatIsWrong) {
  nlohmann::json j = formats::document(formats::kStats);
  EXPECT_EQ(formats::mismatch(j, formats::kStats), "");
  EXPECT_NE(formats::mismatch(j, formats::kGate).find("expected \"format\": \"gupcheck-gate\""), std::string::npos);
  j["version"] = formats::kStats.version + 1;
  EXPECT_NE(formats::mismatch(j, formats::kStats).find("unsupported gupcheck-stats version"), std::string::npos);
  j["version"] = "1";
  EXPECT_NE(formats::mismatch(j, formats::kStats), "");
  EXPECT_NE(formats::mismatch(nlohmann::json::array(), formats::kStats), "");
}

TEST(JsonFormats, SummaryReaderTakesVersionOneInEitherSpelling) {
  campaign::CampaignSummary s;
  s.seed = 9;
  s.shards = {1};
  nlohmann::json j = campaign::summary_json(s);
  EXPECT_EQ(campaign::summary_from_json(j).seed, 9u);
  // Written before the version field: "gupcheck-summary-v1" without "version".
  nlohmann::json legacy = j;
  legacy["format"] = "gupcheck-summary-v1";
  legacy.erase("version");
  EXPECT_EQ(campaign::summary_from_json(legacy).seed, 9u);
  // A later version, or a legacy name with a version, is refused.
  nlohmann::json later = j;
  later["version"] = 2;
  EXPECT_THROW(campaign::summary_from_json(later), std::runtime_error);
  legacy["version"] = 1;
  EXPECT_THROW(campaign::summary_from_json(legacy), std::runtime_error);
}

}  // namespace
}  // namespace gupcheck

#include "config/checks.h"

#include <gtest/gtest.h>

namespace farmgate::config {
namespace {

TEST(IdCheckTest, AcceptsLettersDigitsUnderscoreAndDash) {
  for (const char* ok : {"z1", "soil-z1", "pump_2", "v1-2", "A"}) EXPECT_TRUE(check_id(ok)) << ok;
}

TEST(IdCheckTest, RefusesDotsWhichRulesUseBetweenZoneKindAndMetric) {
  EXPECT_FALSE(check_id("v1.2"));
}

TEST(IdCheckTest, RefusesCharactersThatWouldNeedEscapingSomewhere) {
  for (const char* bad : {"", "z 1", "a/b", "a+b", "a#b", "a,b", "a=b", "vườn", "{device}"}) {
    EXPECT_FALSE(check_id(bad)) << bad;
  }
}

TEST(SiteCheckTest, RefusesDotsAndSpaces) {
  EXPECT_TRUE(check_site("demo-farm"));
  EXPECT_TRUE(check_site("htx_buoi_2"));
  EXPECT_FALSE(check_site("demo.farm"));
  EXPECT_FALSE(check_site("demo farm"));
  EXPECT_FALSE(check_site(""));
}

TEST(TimezoneCheckTest, AcceptsInstalledZones) {
  EXPECT_TRUE(check_timezone("Asia/Ho_Chi_Minh"));
  EXPECT_TRUE(check_timezone("UTC"));
  EXPECT_TRUE(check_timezone("Etc/GMT-7"));
}

TEST(TimezoneCheckTest, RefusesUnknownNamesAndPathsOutOfZoneinfo) {
  for (const char* bad :
       {"", "Asia/Hanoi_City", "Mars/Olympus", "Asia", "zone.tab", "../../../etc/passwd",
        "/etc/localtime", "Asia/", "Asia//Saigon", "Asia/./Ho_Chi_Minh"}) {
    EXPECT_FALSE(check_timezone(bad)) << bad;
  }
  EXPECT_NE(check_timezone("Mars/Olympus").error().message.find("unknown time zone 'Mars/Olympus'"),
            std::string::npos);
}

TEST(TimezoneCheckTest, LooksInTheGivenDirectory) {
  EXPECT_FALSE(check_timezone("UTC", "/nonexistent-zoneinfo"));
}

TEST(TopicTemplateTest, AcceptsDeviceAndZoneAsWholeLevels) {
  for (const char* ok : {"farm/{zone}/{device}/telemetry", "{device}", "sensors/{device}",
                         "{device}/{zone}", "a//{device}"}) {
    EXPECT_TRUE(check_topic_template(ok)) << ok;
  }
}

TEST(TopicTemplateTest, NeedsDeviceExactlyOnce) {
  EXPECT_NE(
      check_topic_template("farm/{zone}/telemetry").error().message.find("must hold {device}"),
      std::string::npos);
  EXPECT_FALSE(check_topic_template("{device}/{device}"));
  EXPECT_FALSE(check_topic_template(""));
}

TEST(TopicTemplateTest, RefusesPartialLevelsUnknownPlaceholdersAndWildcards) {
  for (const char* bad :
       {"farm/dev-{device}", "farm/{device}x", "{zone}/{zone}/{device}", "farm/{site}/{device}",
        "farm/{device", "farm/}/{device}", "farm/+/{device}", "farm/{device}/#"}) {
    EXPECT_FALSE(check_topic_template(bad)) << bad;
  }
  EXPECT_NE(check_topic_template("farm/+/{device}").error().message.find("wildcards"),
            std::string::npos);
}

}  // namespace
}  // namespace farmgate::config

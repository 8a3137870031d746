// check_rules: rule problems reported at FILE:LINE:COL of the YAML text.
#include "rules/check.h"

#include <gtest/gtest.h>

#include "config/test_util.h"
#include "rules/rules_test_farm.h"

namespace farmgate::rules {
namespace {

using config::testing::load_ok;
using testing::farm_yaml;
using testing::kFirstExtraLine;

std::vector<std::string> check(const std::string& extra) {
  const config::Config c = load_ok(farm_yaml(extra));
  std::vector<std::string> out;
  for (const auto& e : check_rules(c)) out.push_back(e.to_string());
  return out;
}

std::string at(int line_in_extra, int column) {
  return "farm.yaml:" + std::to_string(kFirstExtraLine + line_in_extra) + ":" +
         std::to_string(column) + ": ";
}

TEST(CheckRulesTest, ValidRulesHaveNoErrors) {
  EXPECT_EQ(check(R"(rules:
  - name: dry
    hysteresis: {value: z1.soil.moisture, start_below: 30, stop_above: 45}
    then: {irrigate: {zone: z1, for: 10m}}
)"),
            std::vector<std::string>{});
}

TEST(CheckRulesTest, PlainExpressionErrorAtItsColumn) {
  const auto errors = check(R"(rules:
  - name: dry
    when: z1.soil.moisture < 30 and z3.soil.moisture < 30
    then: {irrigate: {zone: z1, for: 10m}}
)");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  // "when: " puts the expression at column 11; z3 is its 27th character.
  EXPECT_TRUE(
      errors[0].starts_with(at(2, 11 + 26) + "rule 'dry': unknown metric 'z3.soil.moisture'"))
      << errors[0];
}

TEST(CheckRulesTest, QuotedExpressionErrorCountsTheQuote) {
  const auto errors = check(R"(rules:
  - name: dry
    when: "z1.soil.moist < 30"
    then: {irrigate: {zone: z1, for: 10m, until: "z1.soil.moisture >= 45"}}
)");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_TRUE(errors[0].starts_with(at(2, 12) + "rule 'dry': unknown metric 'z1.soil.moist'"))
      << errors[0];
}

TEST(CheckRulesTest, UntilErrorsAreReportedToo) {
  const auto errors = check(R"(rules:
  - name: dry
    when: z1.soil.moisture < 30
    then: {irrigate: {zone: z1, for: 10m, until: "z1.soil.moisture >= "}}
)");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_TRUE(errors[0].starts_with(at(3, 71))) << errors[0];
}

TEST(CheckRulesTest, HysteresisValueErrorReportedOnce) {
  const auto errors = check(R"(rules:
  - name: dry
    hysteresis: {value: z9.soil.moisture, start_below: 30, stop_above: 45}
    then: [{irrigate: {zone: z1, for: 10m}}, {irrigate: {zone: z2, for: 10m}}]
)");
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);  // when, and the one until
  EXPECT_TRUE(errors[0].starts_with(at(2, 25))) << errors[0];
  EXPECT_TRUE(errors[1].starts_with(at(2, 25))) << errors[1];
}

TEST(CheckRulesTest, SunriseNeedsLocation) {
  const std::string rule = R"(rules:
  - name: morning
    when: time() >= sunrise() + 30m
    then: {irrigate: {zone: z1, for: 10m}}
)";
  const auto errors = check(rule);
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_TRUE(errors[0].starts_with(at(2, 11 + 10) + "rule 'morning': sunrise() needs"))
      << errors[0];
  EXPECT_EQ(check("location: {latitude: 10.03, longitude: 105.78}\n" + rule).size(), 0u);
}

TEST(CheckRulesTest, UnloadableTimezone) {
  config::Config c = load_ok(farm_yaml(""));
  c.timezone = "Mars/Olympus_Mons";
  const auto errors = check_rules(c);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 0);
  EXPECT_NE(errors[0].message.find("Mars/Olympus_Mons"), std::string::npos);
}

}  // namespace
}  // namespace farmgate::rules

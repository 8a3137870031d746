#include "config/units.h"

#include <gtest/gtest.h>

namespace farmgate::config {
namespace {

using namespace std::chrono_literals;

TEST(DurationTest, ReadsEveryUnit) {
  EXPECT_EQ(parse_duration("250ms").value(), 250ms);
  EXPECT_EQ(parse_duration("30s").value(), 30s);
  EXPECT_EQ(parse_duration("5m").value(), 5min);
  EXPECT_EQ(parse_duration("2h").value(), 2h);
  EXPECT_EQ(parse_duration("1d").value(), Millis{86'400'000});
  EXPECT_EQ(parse_duration("0s").value(), 0ms);
}

TEST(DurationTest, ReadsDecimalsExactly) {
  EXPECT_EQ(parse_duration("1.5h").value(), 90min);
  EXPECT_EQ(parse_duration("0.25s").value(), 250ms);
  EXPECT_EQ(parse_duration("0.001s").value(), 1ms);
  EXPECT_EQ(parse_duration("2.50m").value(), 150s);
}

TEST(DurationTest, RefusesABareNumberBecauseItsUnitWouldBeAGuess) {
  auto r = parse_duration("30");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "expected a duration like 30s, 5m, 2h, 1d, 250ms, got '30'");
}

TEST(DurationTest, RefusesMalformedText) {
  for (const char* bad : {"", "s", "ms", "-5s", "+5s", "5 s", " 5s", "5sec", "5S", "1.s", ".5s",
                          "1..5s", "1e3s", "5s5", "five s"}) {
    EXPECT_FALSE(parse_duration(bad)) << bad;
  }
}

TEST(DurationTest, RefusesFractionsOfAMillisecond) {
  auto r = parse_duration("0.5ms");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "duration '0.5ms' is not a whole number of milliseconds");
  EXPECT_FALSE(parse_duration("1.0001s"));
}

TEST(DurationTest, RefusesOverflowInsteadOfWrapping) {
  EXPECT_FALSE(parse_duration("999999999999999d"));
  EXPECT_FALSE(parse_duration("1234567890123456789s"));
}

TEST(DurationTest, FormatsTheShortestExactForm) {
  EXPECT_EQ(format_duration(Millis{86'400'000}), "1d");
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(2h), "2h");
  EXPECT_EQ(format_duration(0ms), "0s");
  for (Millis d : {Millis{1}, Millis{1500}, Millis{61s}, Millis{25h}}) {
    EXPECT_EQ(parse_duration(format_duration(d)).value(), d);
  }
}

TEST(CountTest, ReadsPlainIntegers) {
  EXPECT_EQ(parse_count("0").value(), 0u);
  EXPECT_EQ(parse_count("5000").value(), 5000u);
  EXPECT_EQ(parse_count("007").value(), 7u);
}

TEST(CountTest, RefusesNegativesAndOtherForms) {
  auto r = parse_count("-5");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "expected a whole number (0 or more), got '-5'");
  for (const char* bad : {"", "+5", "1.5", "1e3", "1_000", "5 ", "0x10", "ten"}) {
    EXPECT_FALSE(parse_count(bad)) << bad;
  }
}

TEST(CountTest, RefusesNumbersTooLargeToHold) {
  auto r = parse_count("123456789012345678901234567890");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("too large"), std::string::npos);
}

TEST(NumberTest, ReadsDecimalAndScientificForms) {
  EXPECT_EQ(parse_number("-10").value(), -10.0);
  EXPECT_EQ(parse_number("0.5").value(), 0.5);
  EXPECT_EQ(parse_number("+5").value(), 5.0);
  EXPECT_EQ(parse_number("1e3").value(), 1000.0);
  EXPECT_EQ(parse_number(".5").value(), 0.5);
}

TEST(NumberTest, RefusesNonNumbersAndNonFiniteValues) {
  for (const char* bad : {"", "abc", "nan", "inf", "-inf", "1,5", "+-5", "0x10", "5 ", "1e999"}) {
    EXPECT_FALSE(parse_number(bad)) << bad;
  }
  EXPECT_EQ(parse_number("abc").error().message, "expected a number, got 'abc'");
}

TEST(BoolTest, ReadsOnlyTrueAndFalse) {
  EXPECT_TRUE(parse_bool("true").value());
  EXPECT_FALSE(parse_bool("false").value());
  for (const char* bad : {"yes", "no", "1", "0", "on", ""}) EXPECT_FALSE(parse_bool(bad)) << bad;
  EXPECT_EQ(parse_bool("yes").error().message, "expected true or false, got 'yes'");
}

}  // namespace
}  // namespace farmgate::config

// compile(): what is accepted, what each reference resolves to, and every error message with its
// column.
#include "rules/expr.h"

#include <gtest/gtest.h>

#include "config/config.h"
#include "rules/expr_test_util.h"

namespace farmgate::rules {
namespace {

using testing::errors_of;
using testing::test_catalogue;

std::vector<std::string> deps_of(std::string_view text) {
  auto r = compile(text, test_catalogue());
  EXPECT_TRUE(r.ok()) << r.to_error().message;
  std::vector<std::string> out;
  if (!r.ok()) return out;
  for (const auto& k : r->dependencies()) out.push_back(k.text());
  return out;
}

TEST(ExprCompileTest, AcceptsTheDocumentedExamples) {
  for (const char* text : {
           "z1.soil.moisture < 30",
           "avg(z1.soil.moisture, 30m) < 32 and age(z1.soil.moisture) < 15m",
           "delta(site.tank.level, 1h) < -5",
           "soil-z1.moisture >= 45 or not (time() >= 05:00 and time() < 08:00)",
           "weekday() in [mon, wed, fri]",
           "time() >= sunrise() + 30m",
           "time() < sunset() - 1h30m",
           "between(time(), 22:00, 05:00)",
           "min(z2.soil.temp_c, 2h) > 5 and max(soil-z2.ec, 1d) <= 2.5",
           "z1.soil.moisture * 2 / 4 + 1 - 0.5 != 3",
           "age(site.tank.level) * 2 >= 1h",
           "30m / 15m == 2",
           "true",
           "not false",
           "weekday() == sunday",
       }) {
    auto r = compile(text, test_catalogue());
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.to_error().message);
  }
}

TEST(ExprCompileTest, ZoneReferenceReadsEveryDeviceOfThatKindInTheZone) {
  EXPECT_EQ(deps_of("z1.soil.moisture < 30"),
            (std::vector<std::string>{"soil-z1.moisture", "soil-z1b.moisture"}));
}

TEST(ExprCompileTest, SiteMeansDevicesWithoutAZone) {
  EXPECT_EQ(deps_of("site.tank.level > 10"), (std::vector<std::string>{"tank-1.level"}));
}

TEST(ExprCompileTest, DependenciesAreSortedAndUnique) {
  EXPECT_EQ(
      deps_of("soil-z2.moisture < 1 and z1.soil.moisture < 2 and soil-z1.moisture < 3 and "
              "avg(soil-z2.moisture, 1h) < 4"),
      (std::vector<std::string>{"soil-z1.moisture", "soil-z1b.moisture", "soil-z2.moisture"}));
}

TEST(ExprCompileTest, LongestWindowIsTheLargestAggregateWindow) {
  auto r =
      compile("avg(z1.soil.moisture, 30m) < 1 or delta(site.tank.level, 2h) < 0", test_catalogue());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->longest_window(), Millis{2 * 3'600'000});
  auto none = compile("z1.soil.moisture < 1", test_catalogue());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->longest_window(), Millis{0});
  EXPECT_EQ(none->text(), "z1.soil.moisture < 1");
}

TEST(ExprCompileTest, DeviceIdsWithDotsResolve) {
  auto c = test_catalogue();
  c.devices.push_back({"pump.house", "", "tank"});
  auto r = compile("pump.house.level > 1", c);
  ASSERT_TRUE(r.ok()) << r.to_error().message;
  EXPECT_EQ(r->dependencies().front().device, "pump.house");
}

TEST(ExprCompileTest, AmbiguousNameIsAnError) {
  auto c = test_catalogue();
  c.devices.push_back({"z1.soil", "z1", "soil"});  // z1.soil.moisture now means two things
  EXPECT_EQ(errors_of("z1.soil.moisture < 1", c),
            "1+16: 'z1.soil.moisture' is ambiguous: it can mean the metric moisture of the soil "
            "devices in zone z1 or the metric moisture of device z1.soil; rename a device or "
            "zone");
}

TEST(ExprCompileTest, CatalogueFromConfig) {
  config::Config cfg;
  cfg.zones = {{"z1", "Vườn bưởi"}};
  cfg.kinds = {{"soil", {{"moisture", "%", 0, 100}}}};
  cfg.devices = {{"soil-z1", "soil", "z1", {}}};
  const auto c = Catalogue::from_config(cfg);
  EXPECT_EQ(c.zones, std::vector<std::string>{"z1"});
  ASSERT_EQ(c.devices.size(), 1u);
  EXPECT_EQ(c.devices[0].kind, "soil");
  EXPECT_EQ(c.devices[0].zone, "z1");
  EXPECT_TRUE(compile("z1.soil.moisture < 30", c).ok());
}

// ---- name errors ----

TEST(ExprErrorTest, UnknownZoneListsTheZones) {
  EXPECT_EQ(errors_of("z3.soil.moisture < 30"),
            "1+16: unknown metric 'z3.soil.moisture' (zones: z1, z2)");
}

TEST(ExprErrorTest, UnknownKindListsTheKinds) {
  EXPECT_EQ(errors_of("x < 1 or z1.soyl.moisture < 30"),
            "1+1: unknown name 'x': a metric is ZONE.KIND.METRIC or DEVICE.METRIC, e.g. "
            "z1.soil.moisture\n"
            "10+16: unknown metric 'z1.soyl.moisture' (kinds: soil, tank)");
}

TEST(ExprErrorTest, UnknownMetricListsTheKindsMetrics) {
  EXPECT_EQ(errors_of("z1.soil.moist < 30"),
            "1+13: unknown metric 'z1.soil.moist' (soil metrics: moisture, temp_c, ec)");
  EXPECT_EQ(errors_of("soil-z1.moist < 30"),
            "1+13: unknown metric 'soil-z1.moist' (soil-z1 is a soil device with metrics: "
            "moisture, temp_c, ec)");
}

TEST(ExprErrorTest, UnknownDeviceListsTheDevices) {
  EXPECT_EQ(errors_of("soil-z3.moisture < 30"),
            "1+16: unknown metric 'soil-z3.moisture' (devices: soil-z1, soil-z1b, soil-z2, "
            "tank-1); names may contain '-', so to subtract put spaces around it, e.g. 'a - b'");
}

TEST(ExprErrorTest, ZoneWithoutThatKindSaysWhereTheKindIs) {
  EXPECT_EQ(errors_of("z2.tank.level > 1"),
            "1+13: no tank device in zone z2, so 'z2.tank.level' can never have data (tank "
            "devices are in: site)");
}

TEST(ExprErrorTest, WrongFormHintsTheRightOne) {
  EXPECT_EQ(errors_of("z1.moisture < 1"),
            "1+11: unknown metric 'z1.moisture': z1 is a zone, so write ZONE.KIND.METRIC, e.g. "
            "z1.soil.moisture");
  EXPECT_EQ(errors_of("soil-z1.soil.moisture < 1"),
            "1+21: unknown metric 'soil-z1.soil.moisture': soil-z1 is a device, so write "
            "DEVICE.METRIC, e.g. soil-z1.moisture");
}

TEST(ExprErrorTest, HyphenatedSubtractionHintsSpaces) {
  EXPECT_EQ(errors_of("z1.soil.moisture-soil-z2.moisture > 5"),
            "1+33: unknown metric 'z1.soil.moisture-soil-z2.moisture': names may contain '-', so "
            "to subtract put spaces around it: 'z1.soil.moisture - soil-z2.moisture'");
}

TEST(ExprErrorTest, UnknownFunctionListsTheFunctions) {
  EXPECT_EQ(errors_of("average(z1.soil.moisture, 1h) < 3"),
            "1+7: unknown function 'average' (functions: avg, min, max, delta, age, time, "
            "weekday, sunrise, sunset, between)");
}

// ---- function errors ----

TEST(ExprErrorTest, AggregateNeedsADurationSecondArgument) {
  EXPECT_EQ(errors_of("avg(z1.soil.moisture, 30) < 32"),
            "23+2: avg() needs a duration as its second argument, e.g. avg(z1.soil.moisture, 30m)");
}

TEST(ExprErrorTest, AggregateNeedsAMetricFirstArgument) {
  EXPECT_EQ(errors_of("max(1, 30m) < 32"),
            "5+1: max() needs a metric as its first argument, e.g. max(z1.soil.moisture, 30m)");
}

TEST(ExprErrorTest, AggregateArity) {
  EXPECT_EQ(errors_of("delta(z1.soil.moisture) < 32"),
            "1+23: delta() takes a metric and a duration, e.g. delta(z1.soil.moisture, 30m)");
}

TEST(ExprErrorTest, AggregateWindowMustBeFixedAndPositive) {
  EXPECT_EQ(errors_of("avg(z1.soil.moisture, 2 * 15m) < 1"),
            "23+7: avg() needs a fixed duration as its second argument, e.g. "
            "avg(z1.soil.moisture, 30m)");
  EXPECT_EQ(errors_of("avg(z1.soil.moisture, 0s) < 1"),
            "23+2: avg() needs a window from 1s to 366d, e.g. avg(z1.soil.moisture, 30m)");
  EXPECT_EQ(errors_of("min(z1.soil.moisture, 367d) < 1"),
            "23+4: min() needs a window from 1s to 366d, e.g. min(z1.soil.moisture, 30m)");
}

TEST(ExprErrorTest, AgeTakesOneMetric) {
  EXPECT_EQ(errors_of("age(1h) < 1h"), "1+7: age() takes one metric, e.g. age(z1.soil.moisture)");
}

TEST(ExprErrorTest, ClockFunctionsTakeNoArguments) {
  EXPECT_EQ(errors_of("time(1) > 05:00"), "1+7: time() takes no arguments: write time()");
}

TEST(ExprErrorTest, BetweenNeedsTimes) {
  EXPECT_EQ(errors_of("between(time(), 22, 05:00)"),
            "17+2: between() takes three times of day, e.g. between(time(), 22:00, 05:00), but "
            "this is a number");
}

// ---- type errors ----

TEST(ExprErrorTest, NumberAgainstDuration) {
  EXPECT_EQ(errors_of("age(z1.soil.moisture) < 15"),
            "23+1: cannot compare a duration with a number; give the number a unit, e.g. 15m");
  EXPECT_EQ(errors_of("z1.soil.moisture < age(z1.soil.moisture)"),
            "18+1: cannot compare a number with a duration");
}

TEST(ExprErrorTest, TimeAgainstNumber) {
  EXPECT_EQ(errors_of("time() >= 5"),
            "8+2: cannot compare a time of day with a number; write a time of day as HH:MM, e.g. "
            "05:30");
}

TEST(ExprErrorTest, AndNeedsConditions) {
  EXPECT_EQ(errors_of("z1.soil.moisture and z2.soil.moisture < 3"),
            "1+16: 'and' needs a condition on its left side, but this is a number");
  EXPECT_EQ(errors_of("1 < 2 or 5"),
            "10+1: 'or' needs a condition on its right side, but this is a number");
  EXPECT_EQ(errors_of("not 5m"), "5+2: 'not' needs a condition, but this is a duration");
}

TEST(ExprErrorTest, ConditionMustBeBoolean) {
  EXPECT_EQ(errors_of("z1.soil.moisture + 3"),
            "1+20: a condition must be true or false, but this is a number; compare it with "
            "something, e.g. '... < 30'");
}

TEST(ExprErrorTest, ArithmeticTypeErrors) {
  EXPECT_EQ(errors_of("z1.soil.moisture + 5m > 1"),
            "18+1: cannot add a number and a duration; give the number a unit, e.g. 5m");
  EXPECT_EQ(errors_of("time() - 05:00 > 1h"),
            "8+1: cannot subtract a time of day from a time of day");
  EXPECT_EQ(errors_of("time() * 2 > 05:00"), "8+1: cannot multiply a time of day by a number");
  EXPECT_EQ(errors_of("1 / 5m > 1"), "3+1: cannot divide a number by a duration");
  EXPECT_EQ(errors_of("-time() > 05:00"), "2+6: cannot negate a time of day");
}

TEST(ExprErrorTest, ComparingConditionsOrOrderingWeekdays) {
  EXPECT_EQ(errors_of("(1 < 2) == true"),
            "9+2: '==' compares values; combine conditions with 'and', 'or' and 'not'");
  EXPECT_EQ(errors_of("weekday() < fri"),
            "11+1: weekdays can only be compared with '==', '!=' or 'in'");
  EXPECT_EQ(errors_of("weekday() in [mon, 3]"), "20+1: cannot compare a weekday with a number");
}

TEST(ExprErrorTest, CollectsEveryNameAndTypeError) {
  EXPECT_EQ(errors_of("z9.soil.moisture < 30 and age(z1.soil.moisture) < 15 and foo(1)"),
            "1+16: unknown metric 'z9.soil.moisture' (zones: z1, z2)\n"
            "49+1: cannot compare a duration with a number; give the number a unit, e.g. 15m\n"
            "58+3: unknown function 'foo' (functions: avg, min, max, delta, age, time, weekday, "
            "sunrise, sunset, between)");
}

TEST(ExprErrorTest, ErrorsDoNotCascade) {
  // The unknown metric makes the comparison and the 'and' invalid too; only the cause is shown.
  EXPECT_EQ(errors_of("avg(z3.soil.moisture, 1h) < 5 and true"),
            "5+16: unknown metric 'z3.soil.moisture' (zones: z1, z2)");
}

// ---- syntax errors ----

TEST(ExprErrorTest, SyntaxErrors) {
  EXPECT_EQ(errors_of(""), "1+1: the condition is empty");
  EXPECT_EQ(errors_of("   "), "4+1: the condition is empty");
  EXPECT_EQ(errors_of("z1.soil.moisture <"),
            "19+1: expected a value (a number, a metric, a function call or '(') but found the "
            "end of the expression");
  EXPECT_EQ(errors_of("(1 < 2 and 3 < 4"),
            "17+1: expected ')' to close the '(' at column 1 but found the end of the expression");
  EXPECT_EQ(errors_of("1 < 2 3 < 4"),
            "7+1: unexpected '3' after a complete condition; join conditions with 'and' or 'or'");
  EXPECT_EQ(errors_of("1 < 2 < 3"), "7+1: comparisons do not chain: write 'a < b and b < c'");
  EXPECT_EQ(errors_of("1 < 2 and or 3 < 4"), "11+2: expected a value but found 'or'");
  EXPECT_EQ(errors_of("weekday() in mon"),
            "14+3: expected '[' after 'in', e.g. weekday() in [mon, wed, fri]");
  EXPECT_EQ(errors_of("avg(z1.soil.moisture 1h) < 3"),
            "22+2: expected ',' or ')' in the arguments of avg() but found '1h'");
}

TEST(ExprErrorTest, LexErrorsAreAllReported) {
  EXPECT_EQ(errors_of("z1.soil.moisture = 30 && 5x"),
            "18+1: use '==' to test equality\n"
            "23+2: use 'and' to combine conditions\n"
            "26+2: '5x' is not a duration: write a number followed by s, m, h or d, e.g. 30m or "
            "1h30m");
}

TEST(ExprErrorTest, ColumnsCountCharactersNotBytes) {
  EXPECT_EQ(errors_of("“z1” < 3"), "1+1: unexpected character '“'\n4+1: unexpected character '”'");
}

TEST(ExprErrorTest, DeepNestingIsAnErrorNotACrash) {
  EXPECT_NE(
      errors_of(std::string(500, '(') + "1 < 2" + std::string(500, ')')).find("nested too deeply"),
      std::string::npos);
  EXPECT_NE(errors_of(std::string(500, '-') + "1 < 2").find("nested too deeply"),
            std::string::npos);
  EXPECT_NE(errors_of(std::string(5000, ' ') + "true").find("too long"), std::string::npos);
}

TEST(ExprErrorTest, ToErrorJoinsWithColumns) {
  auto r = compile("z3.soil.moisture < 15m", test_catalogue());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.to_error().code, "invalid_expression");
  EXPECT_EQ(r.to_error().message, "col 1: unknown metric 'z3.soil.moisture' (zones: z1, z2)");
}

}  // namespace
}  // namespace farmgate::rules

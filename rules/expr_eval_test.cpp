// Expression::evaluate(): values, windows, zone means, clock functions and three-valued logic.
#include <gtest/gtest.h>

#include "rules/expr.h"
#include "rules/expr_fakes.h"
#include "rules/expr_test_util.h"

namespace farmgate::rules {
namespace {

using namespace std::chrono_literals;
using testing::FakeDataView;
using testing::FakeTimeView;
using testing::test_catalogue;
using Truth = Evaluation::Truth;

const Timestamp kNow = from_epoch_ms(1'767'225'600'000);
const SeriesKey kZ1{"soil-z1", "moisture"};
const SeriesKey kZ1b{"soil-z1b", "moisture"};
const SeriesKey kZ2{"soil-z2", "moisture"};
const SeriesKey kTank{"tank-1", "level"};

Millis hm(int h, int m) {
  return Millis{(h * 60 + m) * 60'000};
}

class ExprEvalTest : public ::testing::Test {
 protected:
  Evaluation eval(std::string_view text) {
    auto r = compile(text, test_catalogue());
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.to_error().message);
    if (!r.ok()) return Evaluation{Truth::unknown, "did not compile"};
    return r->evaluate(data, time, kNow);
  }
  Truth truth(std::string_view text) { return eval(text).truth; }

  FakeDataView data;
  FakeTimeView time;
};

TEST_F(ExprEvalTest, BareMetricIsItsLatestValue) {
  data.add(kZ2, kNow - 20min, 40);
  data.add(kZ2, kNow - 1min, 28);
  EXPECT_EQ(truth("soil-z2.moisture < 30"), Truth::true_);
  EXPECT_EQ(truth("soil-z2.moisture == 28"), Truth::true_);
  EXPECT_EQ(truth("z2.soil.moisture > 28"), Truth::false_);
}

TEST_F(ExprEvalTest, ZoneValueIsTheMeanOfItsDevices) {
  data.add(kZ1, kNow - 1min, 20);
  data.add(kZ1b, kNow - 2min, 30);
  EXPECT_EQ(truth("z1.soil.moisture == 25"), Truth::true_);
}

TEST_F(ExprEvalTest, ZoneValueSkipsDevicesWithoutData) {
  data.add(kZ1, kNow - 1min, 20);
  data.set_unhealthy(kZ1b);
  EXPECT_EQ(truth("z1.soil.moisture == 20"), Truth::true_);
}

TEST_F(ExprEvalTest, ZoneWithNoDataIsUnknownWithReason) {
  const auto e = eval("z1.soil.moisture < 30");
  EXPECT_EQ(e.truth, Truth::unknown);
  EXPECT_EQ(e.reason, "no reading of z1.soil.moisture yet");
}

TEST_F(ExprEvalTest, UnhealthySeriesIsUnknownNamingTheDevice) {
  data.add(kZ2, kNow - 1min, 20);
  data.set_unhealthy(kZ2);
  const auto e = eval("soil-z2.moisture < 30");
  EXPECT_EQ(e.truth, Truth::unknown);
  EXPECT_EQ(e.reason, "soil-z2.moisture is unhealthy");
  data.set_unhealthy(kZ1);
  EXPECT_EQ(eval("z1.soil.moisture < 30").reason,
            "soil-z1.moisture is unhealthy (and no other device of z1.soil.moisture has data)");
}

TEST_F(ExprEvalTest, WindowAggregates) {
  data.add(kZ2, kNow - 2h, 100);  // outside every window below
  data.add(kZ2, kNow - 50min, 30);
  data.add(kZ2, kNow - 20min, 36);
  data.add(kZ2, kNow - 5min, 33);
  EXPECT_EQ(truth("avg(soil-z2.moisture, 1h) == 33"), Truth::true_);
  EXPECT_EQ(truth("min(soil-z2.moisture, 1h) == 30"), Truth::true_);
  EXPECT_EQ(truth("max(soil-z2.moisture, 1h) == 36"), Truth::true_);
  EXPECT_EQ(truth("max(soil-z2.moisture, 30m) == 36"), Truth::true_);
  EXPECT_EQ(truth("min(soil-z2.moisture, 30m) == 33"), Truth::true_);
  EXPECT_EQ(truth("delta(soil-z2.moisture, 1h) == 3"), Truth::true_);
  EXPECT_EQ(truth("delta(soil-z2.moisture, 30m) == -3"), Truth::true_);
}

TEST_F(ExprEvalTest, ZoneWindowIsTheMeanOfDeviceStats) {
  data.add(kZ1, kNow - 10min, 10);
  data.add(kZ1, kNow - 5min, 20);
  data.add(kZ1b, kNow - 10min, 40);
  data.add(kZ1b, kNow - 5min, 40);
  EXPECT_EQ(truth("avg(z1.soil.moisture, 1h) == 27.5"), Truth::true_);
  EXPECT_EQ(truth("delta(z1.soil.moisture, 1h) == 5"), Truth::true_);
}

TEST_F(ExprEvalTest, EmptyWindowIsUnknown) {
  data.add(kZ2, kNow - 2h, 30);
  const auto e = eval("avg(soil-z2.moisture, 30m) < 32");
  EXPECT_EQ(e.truth, Truth::unknown);
  EXPECT_EQ(e.reason, "no reading of soil-z2.moisture in the last 30m");
}

TEST_F(ExprEvalTest, DeltaNeedsTwoReadings) {
  data.add(kTank, kNow - 10min, 80);
  const auto e = eval("delta(site.tank.level, 1h) < -5");
  EXPECT_EQ(e.truth, Truth::unknown);
  EXPECT_EQ(e.reason,
            "delta(site.tank.level, 1h) needs at least two readings of site.tank.level in the "
            "last 1h");
  data.add(kTank, kNow - 1min, 70);
  EXPECT_EQ(truth("delta(site.tank.level, 1h) < -5"), Truth::true_);
}

TEST_F(ExprEvalTest, AgeOfLatestReading) {
  data.add(kZ1, kNow - 20min, 30);
  EXPECT_EQ(truth("age(soil-z1.moisture) > 15m"), Truth::true_);
  EXPECT_EQ(truth("age(soil-z1.moisture) == 20m"), Truth::true_);
  data.add(kZ1b, kNow - 2min, 30);
  // The zone is as old as its stalest device.
  EXPECT_EQ(truth("age(z1.soil.moisture) == 20m"), Truth::true_);
  EXPECT_EQ(eval("age(soil-z2.moisture) < 1h").reason, "no reading of soil-z2.moisture yet");
}

TEST_F(ExprEvalTest, ReadingFromTheFutureHasAgeZero) {
  data.add(kZ1, kNow + 5min, 30);
  EXPECT_EQ(truth("age(soil-z1.moisture) == 0s"), Truth::true_);
}

TEST_F(ExprEvalTest, ArithmeticAndUnits) {
  data.add(kZ1, kNow, 30);
  EXPECT_EQ(truth("soil-z1.moisture * 2 - 10 / 4 == 57.5"), Truth::true_);
  EXPECT_EQ(truth("-(soil-z1.moisture) == -30"), Truth::true_);
  EXPECT_EQ(truth("1h30m == 90m"), Truth::true_);
  EXPECT_EQ(truth("2 * 15m == 30m and 1h / 4 == 15m and 1h / 30m == 2"), Truth::true_);
  EXPECT_EQ(truth("1d == 24h and 60s == 1m"), Truth::true_);
}

TEST_F(ExprEvalTest, DivisionByZeroIsUnknown) {
  data.add(kZ1, kNow, 0);
  const auto e = eval("10 / soil-z1.moisture > 1");
  EXPECT_EQ(e.truth, Truth::unknown);
  EXPECT_EQ(e.reason, "division by zero in '10 / soil-z1.moisture'");
}

TEST_F(ExprEvalTest, TimeOfDayWindow) {
  const char* morning = "not (time() >= 05:00 and time() < 08:00)";
  time.now_of_day = hm(6, 0);
  EXPECT_EQ(truth(morning), Truth::false_);
  time.now_of_day = hm(8, 0);
  EXPECT_EQ(truth(morning), Truth::true_);
}

TEST_F(ExprEvalTest, TimeArithmeticWrapsAcrossMidnight) {
  time.set = hm(22, 30);
  time.now_of_day = hm(1, 0);
  EXPECT_EQ(truth("sunset() + 3h == 01:30"), Truth::true_);
  EXPECT_EQ(truth("time() < sunset() + 3h"), Truth::true_);
  EXPECT_EQ(truth("time() - 2h == 23:00"), Truth::true_);
  EXPECT_EQ(truth("1h + time() == 02:00"), Truth::true_);
  EXPECT_EQ(truth("time() + 48h == 01:00"), Truth::true_);
}

TEST_F(ExprEvalTest, BetweenWrapsPastMidnight) {
  time.now_of_day = hm(23, 0);
  EXPECT_EQ(truth("between(time(), 22:00, 05:00)"), Truth::true_);
  time.now_of_day = hm(4, 59);
  EXPECT_EQ(truth("between(time(), 22:00, 05:00)"), Truth::true_);
  time.now_of_day = hm(5, 0);
  EXPECT_EQ(truth("between(time(), 22:00, 05:00)"), Truth::false_);
  time.now_of_day = hm(12, 0);
  EXPECT_EQ(truth("between(time(), 22:00, 05:00)"), Truth::false_);
  EXPECT_EQ(truth("between(time(), 06:00, 18:00)"), Truth::true_);
  EXPECT_EQ(truth("between(time(), 12:00, 18:00)"), Truth::true_);
  EXPECT_EQ(truth("between(time(), 06:00, 12:00)"), Truth::false_);
}

TEST_F(ExprEvalTest, SunriseOffset) {
  time.rise = hm(5, 30);
  time.now_of_day = hm(5, 59);
  EXPECT_EQ(truth("time() >= sunrise() + 30m"), Truth::false_);
  time.now_of_day = hm(6, 0);
  EXPECT_EQ(truth("time() >= sunrise() + 30m"), Truth::true_);
}

TEST_F(ExprEvalTest, Weekdays) {
  time.today = std::chrono::Wednesday;
  EXPECT_EQ(truth("weekday() in [mon, wed, fri]"), Truth::true_);
  EXPECT_EQ(truth("weekday() == wednesday"), Truth::true_);
  time.today = std::chrono::Sunday;
  EXPECT_EQ(truth("weekday() in [mon, wed, fri]"), Truth::false_);
  EXPECT_EQ(truth("weekday() != sun"), Truth::false_);
}

TEST_F(ExprEvalTest, UnknownClockMakesClockConditionsUnknown) {
  time.now_of_day.reset();
  time.today.reset();
  time.rise.reset();
  time.set.reset();
  EXPECT_EQ(eval("time() > 05:00").reason,
            "the local time is not known (clock not synchronised yet)");
  EXPECT_EQ(eval("weekday() in [mon]").reason,
            "the weekday is not known (clock not synchronised yet)");
  EXPECT_EQ(eval("sunrise() < 06:00").reason, "today's sunrise is not known");
  EXPECT_EQ(eval("sunset() < 20:00").reason, "today's sunset is not known");
}

// ---- three-valued logic; `soil-z2.moisture < 1` is unknown: soil-z2 has no data ----

TEST_F(ExprEvalTest, UnknownAndFalseIsFalse) {
  EXPECT_EQ(truth("soil-z2.moisture < 1 and false"), Truth::false_);
  EXPECT_EQ(truth("false and soil-z2.moisture < 1"), Truth::false_);
}

TEST_F(ExprEvalTest, UnknownOrTrueIsTrue) {
  EXPECT_EQ(truth("soil-z2.moisture < 1 or true"), Truth::true_);
  EXPECT_EQ(truth("true or soil-z2.moisture < 1"), Truth::true_);
}

TEST_F(ExprEvalTest, UnknownStaysUnknownOtherwise) {
  for (const char* text : {"soil-z2.moisture < 1 and true", "true and soil-z2.moisture < 1",
                           "soil-z2.moisture < 1 or false", "false or soil-z2.moisture < 1",
                           "not (soil-z2.moisture < 1)", "soil-z2.moisture + 1 > 0",
                           "soil-z2.moisture < 1 and soil-z2.moisture > 0"}) {
    const auto e = eval(text);
    EXPECT_EQ(e.truth, Truth::unknown) << text;
    EXPECT_EQ(e.reason, "no reading of soil-z2.moisture yet") << text;
  }
}

TEST_F(ExprEvalTest, InListWithUnknownItem) {
  data.add(kZ1, kNow, 5);
  EXPECT_EQ(truth("soil-z1.moisture in [1, soil-z2.moisture, 5]"), Truth::true_);
  EXPECT_EQ(truth("soil-z1.moisture in [1, soil-z2.moisture]"), Truth::unknown);
  EXPECT_EQ(truth("soil-z1.moisture in [1, 2]"), Truth::false_);
}

TEST_F(ExprEvalTest, DecidedLeftSideDoesNotReadTheRight) {
  data.add(kZ1, kNow, 5);
  EXPECT_EQ(truth("soil-z1.moisture > 10 and avg(z1.soil.moisture, 1h) > 3"), Truth::false_);
  EXPECT_EQ(data.calls, 1);
}

TEST_F(ExprEvalTest, CompileOnceEvaluateMany) {
  auto r =
      compile("avg(z1.soil.moisture, 30m) < 32 and age(z1.soil.moisture) < 15m", test_catalogue());
  ASSERT_TRUE(r.ok());
  const Expression e = std::move(r).value();
  EXPECT_EQ(e.evaluate(data, time, kNow).truth, Truth::unknown);
  data.add(kZ1, kNow - 10min, 30);
  EXPECT_EQ(e.evaluate(data, time, kNow).truth, Truth::true_);
  EXPECT_EQ(e.evaluate(data, time, kNow + 10min).truth, Truth::false_);  // too old now
  data.add(kZ1b, kNow - 5min, 40);
  EXPECT_EQ(e.evaluate(data, time, kNow).truth, Truth::false_);  // mean 35
}

}  // namespace
}  // namespace farmgate::rules

#include "rules/water_balance.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace farmgate::rules::fao56 {
namespace {

using namespace std::chrono_literals;

// The paper's chapter 8 worked examples were not retrievable from the build machine, so these
// cases are worked by hand from eq. 82-85 (each expected value is written out as arithmetic).

TEST(WaterBalanceTest, TotalAndReadilyAvailableWater) {
  // A loam: θFC 0.32, θWP 0.12, roots 0.5 m.
  EXPECT_DOUBLE_EQ(total_available_water(0.32, 0.12, 0.5), 1000 * 0.20 * 0.5);  // 100 mm
  EXPECT_DOUBLE_EQ(readily_available_water(0.5, 100), 50);
  EXPECT_DOUBLE_EQ(total_available_water(0.10, 0.12, 0.5), 0);  // nonsense soil: nothing available
}

TEST(WaterBalanceTest, DepletionFractionFollowsTheDaysEtc) {
  EXPECT_DOUBLE_EQ(depletion_fraction_for_etc(0.5, 5), 0.5);
  EXPECT_NEAR(depletion_fraction_for_etc(0.5, 3), 0.5 + 0.04 * 2, 1e-12);  // 0.58
  EXPECT_NEAR(depletion_fraction_for_etc(0.5, 8), 0.5 - 0.04 * 3, 1e-12);  // 0.38
  EXPECT_DOUBLE_EQ(depletion_fraction_for_etc(0.2, 20), 0.1);
  EXPECT_DOUBLE_EQ(depletion_fraction_for_etc(0.7, 0), 0.8);
}

TEST(WaterBalanceTest, StressCoefficientFallsLinearlyPastRaw) {
  EXPECT_DOUBLE_EQ(water_stress_coefficient(0, 100, 50), 1.0);
  EXPECT_DOUBLE_EQ(water_stress_coefficient(50, 100, 50), 1.0);
  EXPECT_DOUBLE_EQ(water_stress_coefficient(75, 100, 50), (100.0 - 75) / (100 - 50));  // 0.5
  EXPECT_DOUBLE_EQ(water_stress_coefficient(100, 100, 50), 0.0);
}

TEST(WaterBalanceTest, ADryWeekThenRainThenIrrigation) {
  const double taw = 100;
  const double mad = 0.5;
  double dr = 0;  // at field capacity after heavy rain
  for (int d = 1; d <= 8; ++d) {
    dr = update_depletion(dr, {.etc_mm = 6}, taw).depletion_mm;
  }
  EXPECT_DOUBLE_EQ(dr, 8 * 6.0);  // 48 mm
  EXPECT_FALSE(irrigation_due(dr, taw, mad));
  dr = update_depletion(dr, {.etc_mm = 6}, taw).depletion_mm;
  EXPECT_DOUBLE_EQ(dr, 54);
  EXPECT_TRUE(irrigation_due(dr, taw, mad));
  // 30 mm of rain, 5 of which run off, and a cooler day.
  dr =
      update_depletion(dr, {.precipitation_mm = 30, .runoff_mm = 5, .etc_mm = 4}, taw).depletion_mm;
  EXPECT_DOUBLE_EQ(dr, 54 - (30 - 5) + 4.0);  // 33 mm
  // 40 mm of irrigation overfills the root zone: 2 mm drain below it.
  const DepletionStep s = update_depletion(dr, {.irrigation_mm = 40, .etc_mm = 5}, taw);
  EXPECT_DOUBLE_EQ(s.depletion_mm, 0);
  EXPECT_DOUBLE_EQ(s.deep_percolation_mm, 40 - 33 - 5.0);
}

TEST(WaterBalanceTest, DepletionStopsAtWiltingPoint) {
  const DepletionStep s = update_depletion(98, {.etc_mm = 6}, 100);
  EXPECT_DOUBLE_EQ(s.depletion_mm, 100);
  EXPECT_DOUBLE_EQ(s.deep_percolation_mm, 0);
}

TEST(WaterBalanceTest, RunSizeFromDepthAreaEfficiencyAndFlow) {
  // Refill 54 mm on 500 m² of drip (90 %) at 120 L/min.
  const auto run = plan_irrigation(54, 500, 0.9, 120);
  ASSERT_TRUE(run);
  EXPECT_DOUBLE_EQ(run->net_mm, 54);
  EXPECT_DOUBLE_EQ(run->gross_mm, 54 / 0.9);             // 60 mm
  EXPECT_DOUBLE_EQ(run->litres, 54 / 0.9 * 500);         // 30 000 L
  EXPECT_DOUBLE_EQ(run->minutes, 54 / 0.9 * 500 / 120);  // 250 min
  EXPECT_EQ(run->duration, 250min);
  // A fraction of a second is rounded up, never down to a shorter run.
  EXPECT_EQ(plan_irrigation(1, 1, 1, 7)->duration, 9s);  // 1/7 min = 8.57 s
  EXPECT_EQ(plan_irrigation(0, 100, 0.8, 10)->duration, 0s);
}

TEST(WaterBalanceTest, RunSizeRefusesImpossibleInputs) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(plan_irrigation(-1, 100, 0.9, 10));
  EXPECT_FALSE(plan_irrigation(10, 0, 0.9, 10));
  EXPECT_FALSE(plan_irrigation(10, 100, 0, 10));
  EXPECT_FALSE(plan_irrigation(10, 100, 1.1, 10));
  EXPECT_FALSE(plan_irrigation(10, 100, 0.9, 0));
  EXPECT_FALSE(plan_irrigation(nan, 100, 0.9, 10));
  auto r = plan_irrigation(10, 100, 0.9, nan);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "bad_irrigation");
}

}  // namespace
}  // namespace farmgate::rules::fao56

#include "sensors/sim/soil_model.h"

#include <gtest/gtest.h>

#include <cmath>

namespace farmgate::sim {
namespace {

// 2026-01-01T00:00:00Z = 07:00 in Ho Chi Minh City.
constexpr std::int64_t kNewYearUtc = 1'767'225'600'000;
constexpr std::int64_t kHour = 3'600'000;

TEST(SoilModelTest, LocalHourIsUtcPlusSeven) {
  EXPECT_DOUBLE_EQ(local_hour(from_epoch_ms(kNewYearUtc), 7), 7.0);
  EXPECT_DOUBLE_EQ(local_hour(from_epoch_ms(kNewYearUtc + 17 * kHour + kHour / 2), 7), 0.5);
  EXPECT_DOUBLE_EQ(local_hour(from_epoch_ms(0), 7), 7.0);
}

TEST(SoilModelTest, DriesFastestAtNoonAndSlowestAtNight) {
  SoilParams p;
  EXPECT_NEAR(drying_rate(p, 12.0), 1.0, 1e-9);
  EXPECT_NEAR(drying_rate(p, 0.0), 0.3, 1e-9);
  EXPECT_NEAR(drying_rate(p, 3.0), 0.3, 1e-9);
  EXPECT_GT(drying_rate(p, 10.0), drying_rate(p, 8.0));
  for (double h = 0; h < 24; h += 0.25) {
    EXPECT_GE(drying_rate(p, h), 0.3 - 1e-9);
    EXPECT_LE(drying_rate(p, h), 1.0 + 1e-9);
  }
}

TEST(SoilModelTest, TemperatureSwingsBetween24And34) {
  SoilParams p;
  EXPECT_NEAR(diurnal_temperature(p, 14.0), 34.0, 1e-9);
  EXPECT_NEAR(diurnal_temperature(p, 2.0), 24.0, 1e-9);
  for (double h = 0; h < 24; h += 0.5) {
    EXPECT_GE(diurnal_temperature(p, h), 24.0 - 1e-9);
    EXPECT_LE(diurnal_temperature(p, h), 34.0 + 1e-9);
  }
}

TEST(SoilModelTest, SameSeedSameReadings) {
  SoilModel a({}, 42, from_epoch_ms(kNewYearUtc));
  SoilModel b({}, 42, from_epoch_ms(kNewYearUtc));
  SoilModel c({}, 43, from_epoch_ms(kNewYearUtc));
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    auto t = from_epoch_ms(kNewYearUtc + i * 60'000);
    SoilSample sa = a.sample(t), sb = b.sample(t), sc = c.sample(t);
    EXPECT_EQ(sa.moisture, sb.moisture);
    EXPECT_EQ(sa.temp_c, sb.temp_c);
    EXPECT_EQ(sa.ec, sb.ec);
    differs = differs || sa.moisture != sc.moisture;
  }
  EXPECT_TRUE(differs);
}

TEST(SoilModelTest, MoistureDriesAtTheDaytimeRate) {
  SoilParams p;
  p.noise_moisture = 0;
  // Start at local 06:00 and run to 18:00: the mean of the rate over the day half is
  // 0.3 + 0.7 * 2/pi ≈ 0.746 %/h, so about 9 % in 12 h.
  auto start = from_epoch_ms(kNewYearUtc - kHour);
  SoilModel m(p, 7, start);
  double before = m.true_moisture();
  m.sample(from_epoch_ms(kNewYearUtc + 11 * kHour));
  double dried = before - m.true_moisture();
  EXPECT_NEAR(dried, 12 * (0.3 + 0.7 * 2 / M_PI), 0.1);
}

TEST(SoilModelTest, DriedOutSoilGetsWateredAndStaysInRange) {
  SoilModel m({}, 1, from_epoch_ms(kNewYearUtc));
  for (int i = 0; i < 60 * 24 * 14; i += 10) {  // two weeks, every 10 minutes
    SoilSample s = m.sample(from_epoch_ms(kNewYearUtc + i * 60'000LL));
    ASSERT_GE(s.moisture, 15.0);
    ASSERT_LE(s.moisture, 50.0);
    ASSERT_GE(s.temp_c, 22.0);
    ASSERT_LE(s.temp_c, 36.0);
    ASSERT_GT(s.ec, 0.0);
    ASSERT_LT(s.ec, 3.0);
  }
}

TEST(SoilModelTest, EcDriftsSlowly) {
  SoilParams p;
  p.noise_ec = 0;
  SoilModel m(p, 5, from_epoch_ms(kNewYearUtc));
  double prev = m.sample(from_epoch_ms(kNewYearUtc)).ec;
  for (int i = 1; i < 600; ++i) {
    double ec = m.sample(from_epoch_ms(kNewYearUtc + i * 60'000LL)).ec;
    EXPECT_LT(std::abs(ec - prev), 0.02);  // a minute of drift is tiny
    prev = ec;
  }
}

TEST(SoilModelTest, WaterRaisesMoistureUpToSaturation) {
  SoilModel m({}, 3, from_epoch_ms(kNewYearUtc));
  double before = m.true_moisture();
  m.water(10);
  EXPECT_DOUBLE_EQ(m.true_moisture(), before + 10);
  m.water(500);
  EXPECT_DOUBLE_EQ(m.true_moisture(), 100);
}

TEST(GaussianTest, HasTheAskedMeanAndSpread) {
  Gaussian g(9);
  double sum = 0, sq = 0;
  const int n = 100'000;
  for (int i = 0; i < n; ++i) {
    double x = g.normal(2.0, 0.5);
    sum += x;
    sq += x * x;
  }
  double mean = sum / n;
  double var = sq / n - mean * mean;
  EXPECT_NEAR(mean, 2.0, 0.01);
  EXPECT_NEAR(std::sqrt(var), 0.5, 0.01);
}

}  // namespace
}  // namespace farmgate::sim

#include "sensors/calibration.h"

#include <gtest/gtest.h>

#include "sensors/test_farm.h"

namespace farmgate::sensors {
namespace {

// A two-point line through (raw_1, value_1) and (raw_2, value_2), as the config reader makes it.
config::MetricCalibration through(std::string metric, double raw_1, double value_1, double raw_2,
                                  double value_2) {
  config::MetricCalibration m;
  m.metric = std::move(metric);
  m.form = config::MetricCalibration::Form::two_point;
  m.scale = (value_2 - value_1) / (raw_2 - raw_1);
  m.offset = value_1 - raw_1 * m.scale;
  return m;
}

config::MetricCalibration offset_scale(std::string metric, double offset, double scale) {
  config::MetricCalibration m;
  m.metric = std::move(metric);
  m.scale = scale;
  m.offset = offset;
  return m;
}

Reading soil(std::string metric, double value) {
  return Reading{
      "soil-z1",    "z1", "soil", std::move(metric), value, "", from_epoch_ms(1'767'225'600'000),
      Quality::good};
}

class CalibratorTest : public ::testing::Test {
 protected:
  config::Config farm_ = [] {
    config::Config c = testing::reference_farm();
    // soil-z1: a capacitive probe reading 520 in dry soil and 260 saturated; temperature 0.4 °C
    // high; EC 5 % low.
    c.devices[0].calibration.metrics = {through("moisture", 520, 0, 260, 100),
                                        offset_scale("temp_c", -0.4, 1),
                                        offset_scale("ec", 0, 1.05)};
    return c;
  }();
  Calibrator calibrator_{farm_};
};

TEST_F(CalibratorTest, TwoPointsMapDryAndWetToTheEndsAndInBetweenOnTheLine) {
  EXPECT_DOUBLE_EQ(calibrator_.value("soil-z1", "moisture", 520), 0);
  EXPECT_DOUBLE_EQ(calibrator_.value("soil-z1", "moisture", 260), 100);
  // 400 is 120 counts of 260 below dry.
  EXPECT_NEAR(calibrator_.value("soil-z1", "moisture", 400), 120.0 / 260 * 100, 1e-9);
}

TEST_F(CalibratorTest, OffsetAndScaleApply) {
  EXPECT_NEAR(calibrator_.value("soil-z1", "temp_c", 27.4), 27.0, 1e-9);
  EXPECT_NEAR(calibrator_.value("soil-z1", "ec", 2.0), 2.1, 1e-9);
}

TEST_F(CalibratorTest, LeavesUncalibratedDevicesAndMetricsAlone) {
  EXPECT_DOUBLE_EQ(calibrator_.value("soil-z2", "moisture", 400), 400);
  EXPECT_DOUBLE_EQ(calibrator_.value("no-such", "moisture", 7), 7);
}

TEST_F(CalibratorTest, KeepsTheRawValueBesideTheCalibratedOne) {
  ReadingBatch batch{soil("moisture", 400), soil("temp_c", 27.4)};
  batch[0].unit = "%";
  ASSERT_TRUE(calibrator_.apply(batch).ok());
  ASSERT_EQ(batch.size(), 4u);
  EXPECT_EQ(batch[0].metric, "moisture");
  EXPECT_NEAR(batch[0].value, 46.153846, 1e-5);
  EXPECT_EQ(batch[0].unit, "%");
  EXPECT_EQ(batch[2].metric, "moisture_raw");
  EXPECT_DOUBLE_EQ(batch[2].value, 400);
  EXPECT_EQ(batch[2].unit, "") << "raw counts have no unit";
  EXPECT_EQ(batch[2].time, batch[0].time);
  EXPECT_EQ(batch[2].device, "soil-z1");
  EXPECT_EQ(batch[2].zone, "z1");
  EXPECT_EQ(batch[3].metric, "temp_c_raw");
  EXPECT_DOUBLE_EQ(batch[3].value, 27.4);
}

TEST_F(CalibratorTest, ChecksTheCalibratedValueNotTheRawOne) {
  // 400 raw is outside 0..100 but its calibrated 46 % is fine; the raw reading is not checked.
  ReadingBatch ok{soil("moisture", 400)};
  EXPECT_TRUE(calibrator_.apply(ok).ok());
  // 100 raw is inside 0..100, but wetter than saturated: 161 %.
  ReadingBatch wet{soil("moisture", 100)};
  auto r = calibrator_.apply(wet);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "out_of_range");
  EXPECT_NE(r.error().message.find("(raw 100)"), std::string::npos) << r.error().message;
}

TEST_F(CalibratorTest, ChecksUncalibratedValuesToo) {
  ReadingBatch batch{Reading{"soil-z2", "z2", "soil", "moisture", 150, "%", {}, Quality::good}};
  auto r = calibrator_.apply(batch);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "out_of_range");
  EXPECT_EQ(r.error().message, "\"moisture\" 150 is outside 0..100 %");
}

TEST_F(CalibratorTest, RefusesUnknownDevicesAndMetrics) {
  ReadingBatch stranger{Reading{"soil-z9", "z1", "soil", "moisture", 10, "%", {}, Quality::good}};
  EXPECT_EQ(calibrator_.apply(stranger).error().code, "unknown_device");
  ReadingBatch battery{soil("battery", 3.1)};
  EXPECT_EQ(calibrator_.apply(battery).error().code, "unknown_metric");
}

TEST_F(CalibratorTest, RefusesNonFiniteValues) {
  ReadingBatch batch{soil("temp_c", std::numeric_limits<double>::infinity())};
  EXPECT_EQ(calibrator_.apply(batch).error().code, "out_of_range");
}

TEST(SoilPresetTest, EveryPresetIsDrierDryThanSaturatedAndInsidePercent) {
  ASSERT_FALSE(config::soil_moisture_presets().empty());
  for (const auto& p : config::soil_moisture_presets()) {
    EXPECT_GE(p.dry_percent, 0) << p.name;
    EXPECT_LT(p.dry_percent, p.saturated_percent) << p.name;
    EXPECT_LE(p.saturated_percent, 100) << p.name;
    EXPECT_EQ(config::find_soil_moisture_preset(p.name), &p);
  }
  EXPECT_EQ(config::find_soil_moisture_preset("moon_dust"), nullptr);
}

}  // namespace
}  // namespace farmgate::sensors

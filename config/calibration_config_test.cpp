// devices[].calibration: each form read into a line, and each mistake located.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/test_util.h"

namespace farmgate::config {
namespace {

using namespace farmgate::config::testing;

// A farm whose soil-z1 has `calibration` as its calibration: value (on the line after its id).
std::string farm_text(std::string_view calibration) {
  return yaml(R"(
site: demo-farm
zones:
  - id: z1
devices:
  - id: soil-z1
    calibration: )") +
         std::string(calibration) + "\n" + yaml(R"(
    kind: soil
    zone: z1
kinds:
  soil:
    moisture: {unit: "%", min: 0, max: 100}
    temp_c: {unit: "°C", min: -10, max: 70}
    ec: {unit: "mS/cm", min: 0, max: 20}
)");
}

MetricCalibration only_rule(const Config& c) {
  if (c.devices.size() != 1 || c.devices[0].calibration.metrics.size() != 1) {
    ADD_FAILURE() << "expected one calibrated metric";
    return {};
  }
  return c.devices[0].calibration.metrics[0];
}

TEST(CalibrationConfigTest, WithoutCalibrationValuesAreUsedAsTheyCome) {
  const Config c = load_ok(std::string(yaml(kSmallFarm)));
  EXPECT_TRUE(c.devices[0].calibration.empty());
}

TEST(CalibrationConfigTest, DryAndWetCountsSpanZeroToHundredPercent) {
  const MetricCalibration m =
      only_rule(load_ok(farm_text("{moisture: {raw_dry: 520, raw_wet: 260}}")));
  EXPECT_EQ(m.metric, "moisture");
  EXPECT_EQ(m.form, MetricCalibration::Form::two_point);
  EXPECT_NEAR(m.apply(520), 0, 1e-9);
  EXPECT_NEAR(m.apply(260), 100, 1e-9);
  EXPECT_NEAR(m.apply(390), 50, 1e-9);
}

TEST(CalibrationConfigTest, ASoilPresetSpansItsAirDryToSaturatedWaterContent) {
  const auto& m =
      only_rule(load_ok(farm_text("{moisture: {soil: loam, raw_dry: 520, raw_wet: 260}}")));
  const SoilMoisturePreset* loam = find_soil_moisture_preset("loam");
  ASSERT_NE(loam, nullptr);
  EXPECT_EQ(m.soil, "loam");
  EXPECT_NEAR(m.apply(520), loam->dry_percent, 1e-9);
  EXPECT_NEAR(m.apply(260), loam->saturated_percent, 1e-9);
  EXPECT_NEAR(m.apply(390), (loam->dry_percent + loam->saturated_percent) / 2, 1e-9);
}

TEST(CalibrationConfigTest, AnyTwoKnownPoints) {
  // A 4-20 mA pressure transmitter read as mA, 0..10 bar.
  const auto& m =
      only_rule(load_ok(farm_text("{ec: {raw_1: 4, value_1: 0, raw_2: 20, value_2: 10}}")));
  EXPECT_NEAR(m.apply(4), 0, 1e-9);
  EXPECT_NEAR(m.apply(12), 5, 1e-9);
}

TEST(CalibrationConfigTest, OffsetAndScaleEachDefaultToNoChange) {
  const Config c = load_ok(farm_text("{temp_c: {offset: -0.4}, ec: {scale: 1.05}}"));
  const Calibration& cal = c.devices[0].calibration;
  ASSERT_EQ(cal.metrics.size(), 2u);
  EXPECT_NEAR(cal.find("temp_c")->apply(27.4), 27.0, 1e-9);
  EXPECT_NEAR(cal.find("ec")->apply(2.0), 2.1, 1e-9);
  EXPECT_EQ(cal.find("moisture"), nullptr);
}

TEST(CalibrationConfigTest, RefusesAMetricTheKindDoesNotHaveWhereItIsWritten) {
  const std::string e = only_error(farm_text("{battery: {offset: 1}}"));
  EXPECT_EQ(e.rfind("farm.yaml:6:19: ", 0), 0u) << e;
  EXPECT_NE(e.find("cannot calibrate 'battery' of device 'soil-z1': it is not a metric of kind "
                   "'soil'; it has: moisture, temp_c, ec"),
            std::string::npos)
      << e;
}

TEST(CalibrationConfigTest, RefusesEqualDryAndWet) {
  const std::string e = only_error(farm_text("{moisture: {raw_dry: 300, raw_wet: 300}}"));
  EXPECT_EQ(e.rfind("farm.yaml:6:53: ", 0), 0u) << e;
  EXPECT_NE(e.find("raw_wet must differ from raw_dry (both 300)"), std::string::npos) << e;
  const std::string e2 =
      only_error(farm_text("{ec: {raw_1: 4, value_1: 0, raw_2: 4, value_2: 10}}"));
  EXPECT_NE(e2.find("raw_2 must differ from raw_1"), std::string::npos) << e2;
}

TEST(CalibrationConfigTest, RefusesMixedForms) {
  const std::string e =
      only_error(farm_text("{moisture: {raw_dry: 520, raw_wet: 260, offset: 2}}"));
  EXPECT_EQ(e.rfind("farm.yaml:6:66: ", 0), 0u) << e;
  EXPECT_NE(e.find("cannot mix raw_dry/raw_wet with offset/scale"), std::string::npos) << e;
  const std::string e2 =
      only_error(farm_text("{ec: {raw_1: 4, value_1: 0, raw_2: 20, value_2: 10, "
                           "raw_dry: 3}}"));
  EXPECT_NE(e2.find("cannot mix raw_dry/raw_wet with raw_1/value_1/raw_2/value_2"),
            std::string::npos)
      << e2;
}

TEST(CalibrationConfigTest, RefusesAnUnknownSoilListingThePresets) {
  const std::string e =
      only_error(farm_text("{moisture: {soil: laterite, raw_dry: 520, raw_wet: 260}}"));
  EXPECT_EQ(e.rfind("farm.yaml:6:36: ", 0), 0u) << e;
  EXPECT_NE(e.find("unknown soil 'laterite'; expected one of: sand, "), std::string::npos) << e;
  EXPECT_NE(e.find("peat"), std::string::npos) << e;
}

TEST(CalibrationConfigTest, RefusesHalfAForm) {
  std::string e = only_error(farm_text("{moisture: {raw_dry: 520}}"));
  EXPECT_NE(e.find("missing raw_wet"), std::string::npos) << e;
  auto errors = errors_of(farm_text("{moisture: {soil: clay}}"));
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0],
            "farm.yaml:6:29: missing raw_dry in devices[soil-z1].calibration.moisture "
            "(raw_dry/raw_wet needs every one of them)");
  errors = errors_of(farm_text("{ec: {raw_1: 4, value_2: 10}}"));
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("missing value_1"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("missing raw_2"), std::string::npos) << errors[1];
}

TEST(CalibrationConfigTest, RefusesEmptyAndZeroScaleAndUnknownKeys) {
  std::string e = only_error(farm_text("{moisture: {}}"));
  EXPECT_NE(e.find("empty calibration in devices[soil-z1].calibration.moisture"), std::string::npos)
      << e;
  e = only_error(farm_text("{ec: {scale: 0}}"));
  EXPECT_NE(e.find("scale must not be 0"), std::string::npos) << e;
  e = only_error(farm_text("{ec: {gain: 2}}"));
  EXPECT_NE(e.find("unknown key 'gain'"), std::string::npos) << e;
  e = only_error(farm_text("{ec: {offset: wet}}"));
  EXPECT_NE(e.find("expected a number"), std::string::npos) << e;
  e = only_error(farm_text("[moisture]"));
  EXPECT_NE(e.find("expected a mapping"), std::string::npos) << e;
}

TEST(CalibrationConfigTest, ReportsEveryMistakeNotOnlyTheFirst) {
  const auto errors = errors_of(
      farm_text("{moisture: {raw_dry: 1, raw_wet: 1}, ec: {scale: 0}, battery: {offset: 1}}"));
  EXPECT_EQ(errors.size(), 3u) << ::testing::PrintToString(errors);
}

TEST(CalibrationConfigTest, AKindDefinedAfterwardsStillChecksTheMetrics) {
  // The kind comes after the devices in farm_text; an unknown kind is the device's error only.
  std::string text = farm_text("{battery: {offset: 1}}");
  text.replace(text.find("kind: soil"), 10, "kind: sol");
  const std::string e = only_error(text);
  EXPECT_NE(e.find("unknown kind 'sol'"), std::string::npos) << e;
}

}  // namespace
}  // namespace farmgate::config

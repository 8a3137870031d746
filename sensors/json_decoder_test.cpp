#include "sensors/json_decoder.h"

#include <gtest/gtest.h>

#include "sensors/test_farm.h"

namespace farmgate::sensors {
namespace {

class JsonDecoderTest : public ::testing::Test {
 protected:
  config::Config farm_ = testing::reference_farm();
  JsonDecoder decoder_{farm_.mqtt_sources[0], farm_,
                       *TopicPattern::parse(farm_.mqtt_sources[0].topic)};
  const Timestamp now_ = from_epoch_ms(1'767'225'600'000);

  std::string reason(std::string_view topic, std::string_view payload) {
    auto r = decoder_.decode(topic, payload, now_, true);
    return r.ok() ? "accepted" : r.error().code;
  }
};

TEST_F(JsonDecoderTest, DecodesEveryMetricWithItsUnitAndTheDeviceTime) {
  auto r = decoder_.decode("farm/z1/soil-z1/telemetry",
                           R"({"moisture": 31.5, "temp_c": 27, "ec": 0.8, "ts": 1767225000000})",
                           now_, true);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->readings.size(), 3u);
  const Reading& m = r->readings[0];
  EXPECT_EQ(m.device, "soil-z1");
  EXPECT_EQ(m.zone, "z1");
  EXPECT_EQ(m.kind, "soil");
  EXPECT_EQ(m.metric, "moisture");
  EXPECT_DOUBLE_EQ(m.value, 31.5);
  EXPECT_EQ(m.unit, "%");
  EXPECT_EQ(to_epoch_ms(m.time), 1'767'225'000'000);
  EXPECT_EQ(r->readings[1].value, 27.0) << "integers are numbers too";
}

TEST_F(JsonDecoderTest, StampsWithArrivalTimeWithoutTs) {
  auto r = decoder_.decode("farm/z2/soil-z2/telemetry", R"({"moisture": 40})", now_, true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->readings[0].time, now_);
  EXPECT_EQ(r->readings[0].quality, Quality::good);
}

TEST_F(JsonDecoderTest, FlagsReadingsStampedByAnUnsynchronisedClock) {
  auto r = decoder_.decode("farm/z2/soil-z2/telemetry", R"({"moisture": 40})", from_epoch_ms(5000),
                           false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->readings[0].quality, Quality::clock_unsynced);
}

TEST_F(JsonDecoderTest, IgnoresKeysThatAreNotMetrics) {
  auto r = decoder_.decode("farm/z1/soil-z1/telemetry", R"({"moisture": 40, "battery": 3.1})", now_,
                           true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->readings.size(), 1u);
  EXPECT_EQ(r->ignored_keys, 1u);
}

TEST_F(JsonDecoderTest, RefusesEachKindOfBadMessageWithItsReason) {
  const char* topic = "farm/z1/soil-z1/telemetry";
  EXPECT_EQ(reason(topic, R"({"moisture": 3)"), "invalid_json");
  EXPECT_EQ(reason(topic, R"({"moisture": NaN})"), "invalid_json");
  EXPECT_EQ(reason(topic, ""), "invalid_json");
  EXPECT_EQ(reason(topic, "[1,2]"), "not_object");
  EXPECT_EQ(reason(topic, R"({"moisture": "wet"})"), "wrong_type");
  EXPECT_EQ(reason(topic, R"({"moisture": null})"), "wrong_type");
  EXPECT_EQ(reason(topic, R"({"moisture": true})"), "wrong_type");
  EXPECT_EQ(reason(topic, R"({"moisture": 150})"), "out_of_range");
  EXPECT_EQ(reason(topic, R"({"moisture": -0.1})"), "out_of_range");
  EXPECT_EQ(reason(topic, R"({"moisture": 1e999})"), "out_of_range") << "infinity is no reading";
  EXPECT_EQ(reason(topic, R"({"moisture": 30, "temp_c": 99})"), "out_of_range");
  EXPECT_EQ(reason(topic, R"({"battery": 3})"), "no_metrics");
  EXPECT_EQ(reason(topic, R"({})"), "no_metrics");
  EXPECT_EQ(reason(topic, R"({"moisture": 30, "ts": "yesterday"})"), "bad_timestamp");
  EXPECT_EQ(reason(topic, R"({"moisture": 30, "ts": 1767225000.5})"), "bad_timestamp");
  EXPECT_EQ(reason(topic, R"({"moisture": 30, "ts": 12345})"), "bad_timestamp");
  EXPECT_EQ(reason(topic, R"({"moisture": 30, "ts": 1867225000000})"), "bad_timestamp");
  EXPECT_EQ(reason(topic, std::string(20000, ' ')), "too_large");
  EXPECT_EQ(reason("farm/z1/soil-z1/diagnostics", R"({"moisture": 30})"), "unknown_topic");
  EXPECT_EQ(reason("farm/z1/ghost-9/telemetry", R"({"moisture": 30})"), "unknown_device");
  EXPECT_EQ(reason("farm/z2/soil-z1/telemetry", R"({"moisture": 30})"), "zone_mismatch");
  EXPECT_EQ(reason(topic, R"({"moisture": 100, "ec": 0})"), "accepted") << "ranges are inclusive";
}

TEST_F(JsonDecoderTest, DevicesWithoutAZonePublishUnderSite) {
  auto r = decoder_.decode("farm/site/flow-main/telemetry", R"({"rate": 18.5, "total": 1200})",
                           now_, true);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->readings[0].zone, "");
  EXPECT_EQ(r->readings[0].metric, "rate");
  EXPECT_EQ(reason("farm/z1/flow-main/telemetry", R"({"rate": 1})"), "zone_mismatch");
  EXPECT_EQ(reason("farm/site/soil-z1/telemetry", R"({"moisture": 30})"), "zone_mismatch")
      << "a zoned device may not hide under site";
}

TEST_F(JsonDecoderTest, NeverThrowsOnArbitraryBytes) {
  static constexpr char kAlphabet[] = "{}[]\":,0123456789.eE+-tfnaluse \\\x01\xff";
  std::string payload;
  unsigned seed = 12345;
  for (int i = 0; i < 2000; ++i) {
    payload.clear();
    const int len = static_cast<int>(seed % 64);
    for (int k = 0; k < len; ++k) {
      seed = seed * 1103515245 + 12345;
      payload.push_back(kAlphabet[(seed >> 16) % (sizeof kAlphabet - 1)]);
    }
    EXPECT_NO_THROW((void)decoder_.decode("farm/z1/soil-z1/telemetry", payload, now_, true));
  }
}

// soil-z2 carries a capacitive probe calibrated 520 dry, 260 wet, and a thermometer 0.4 °C high.
class CalibratedJsonDecoderTest : public ::testing::Test {
 protected:
  config::Config farm_ = [] {
    config::Config c = testing::reference_farm();
    config::MetricCalibration moisture;
    moisture.metric = "moisture";
    moisture.form = config::MetricCalibration::Form::two_point;
    moisture.scale = -100.0 / 260;  // 520 -> 0 %, 260 -> 100 %
    moisture.offset = 200;
    config::MetricCalibration temp;
    temp.metric = "temp_c";
    temp.offset = -0.4;
    c.devices[1].calibration.metrics = {moisture, temp};
    return c;
  }();
  JsonDecoder decoder_{farm_.mqtt_sources[0], farm_,
                       *TopicPattern::parse(farm_.mqtt_sources[0].topic)};
  const Timestamp now_ = from_epoch_ms(1'767'225'600'000);
};

TEST_F(CalibratedJsonDecoderTest, CalibratesBeforeTheRangeCheckAndKeepsTheRawValue) {
  auto r = decoder_.decode("farm/z2/soil-z2/telemetry", R"({"moisture": 400, "temp_c": 27.4})",
                           now_, true);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->readings.size(), 4u);
  EXPECT_EQ(r->readings[0].metric, "moisture");
  EXPECT_NEAR(r->readings[0].value, 46.15, 0.01);
  EXPECT_EQ(r->readings[0].unit, "%");
  EXPECT_NEAR(r->readings[1].value, 27.0, 1e-9);
  EXPECT_EQ(r->readings[2].metric, "moisture_raw");
  EXPECT_DOUBLE_EQ(r->readings[2].value, 400);
  EXPECT_EQ(r->readings[2].time, now_);
  EXPECT_EQ(r->readings[3].metric, "temp_c_raw");
}

TEST_F(CalibratedJsonDecoderTest, RefusesACalibratedValueOutOfRange) {
  // 200 counts is wetter than the probe's saturated point: 123 %.
  auto r = decoder_.decode("farm/z2/soil-z2/telemetry", R"({"moisture": 200})", now_, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "out_of_range");
  EXPECT_NE(r.error().message.find("raw 200"), std::string::npos) << r.error().message;
}

TEST_F(CalibratedJsonDecoderTest, OtherDevicesAreNotCalibrated) {
  auto r = decoder_.decode("farm/z1/soil-z1/telemetry", R"({"moisture": 40})", now_, true);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->readings.size(), 1u);
  EXPECT_DOUBLE_EQ(r->readings[0].value, 40);
  EXPECT_EQ(
      decoder_.decode("farm/z1/soil-z1/telemetry", R"({"moisture": 400})", now_, true).error().code,
      "out_of_range");
}

}  // namespace
}  // namespace farmgate::sensors

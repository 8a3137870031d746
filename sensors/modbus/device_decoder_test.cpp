// One poll of one device into one batch: units and kind from the config, one timestamp, the
// clock's quality, and the whole poll refused when one value is out of range.
#include "sensors/modbus/device_decoder.h"

#include <gtest/gtest.h>

namespace farmgate::sensors::modbus {
namespace {

using config::ModbusRegister;
using config::ModbusType;

config::Config farm() {
  config::Config c;
  c.kinds.push_back(
      {"soil", {{"moisture", "%", 0, 100}, {"temp_c", "°C", -10, 70}, {"ec", "mS/cm", 0, 20}}});
  c.devices.push_back({"soil-z1", "soil", "z1", {}});
  return c;
}

config::ModbusDevice probe() {
  config::ModbusDevice d;
  d.device = "soil-z1";
  d.slave = 1;
  d.registers = config::find_modbus_profile("soil-3in1")->registers;
  return d;
}

const Timestamp kAt = from_epoch_ms(1'767'225'600'000);

TEST(DeviceDecoderTest, OnePollBecomesOneBatchWithTheKindsUnits) {
  const auto config = farm();
  const auto device = probe();
  DeviceDecoder decoder(device, config);
  ASSERT_EQ(decoder.reads().size(), 1u);
  EXPECT_EQ(decoder.reads()[0], (ReadBlock{config::ModbusTable::holding, 0, 3}));

  // 31.5 %, -2.5 °C, 800 µS/cm.
  const std::vector<std::vector<std::uint16_t>> words{{315, 0xFFE7, 800}};
  auto batch = decoder.decode(words, kAt, true);
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  ASSERT_EQ(batch->size(), 3u);
  const auto expect = [&](std::size_t i, const char* metric, double value, const char* unit) {
    const Reading& r = (*batch)[i];
    EXPECT_EQ(r.device, "soil-z1");
    EXPECT_EQ(r.zone, "z1");
    EXPECT_EQ(r.kind, "soil");
    EXPECT_EQ(r.metric, metric);
    EXPECT_NEAR(r.value, value, 1e-9);
    EXPECT_EQ(r.unit, unit);
    EXPECT_EQ(r.time, kAt);
    EXPECT_EQ(r.quality, Quality::good);
  };
  expect(0, "moisture", 31.5, "%");
  expect(1, "temp_c", -2.5, "°C");
  expect(2, "ec", 0.8, "mS/cm");
}

TEST(DeviceDecoderTest, CalibratesAsEverySourceDoesAndKeepsTheRawValue) {
  auto config = farm();
  // A probe that reads 4 points high: 35.5 % on the wire is 31.5 % in the soil.
  config::MetricCalibration m;
  m.metric = "moisture";
  m.offset = -4;
  config.devices[0].calibration.metrics.push_back(m);
  const auto device = probe();
  DeviceDecoder decoder(device, config);
  const std::vector<std::vector<std::uint16_t>> words{{355, 250, 800}};
  auto batch = decoder.decode(words, kAt, true);
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  ASSERT_EQ(batch->size(), 4u);
  EXPECT_NEAR((*batch)[0].value, 31.5, 1e-9);
  EXPECT_EQ((*batch)[3].metric, "moisture_raw");
  EXPECT_NEAR((*batch)[3].value, 35.5, 1e-9);

  // The range applies to the calibrated value: 2.0 % on the wire is -2 % in the soil.
  const std::vector<std::vector<std::uint16_t>> low{{20, 250, 800}};
  auto refused = decoder.decode(low, kAt, true);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "out_of_range");
}

TEST(DeviceDecoderTest, MarksReadingsWhileTheClockIsUnsynchronised) {
  const auto config = farm();
  const auto device = probe();
  DeviceDecoder decoder(device, config);
  auto batch = decoder.decode(std::vector<std::vector<std::uint16_t>>{{315, 250, 800}},
                              from_epoch_ms(5000), false);
  ASSERT_TRUE(batch.ok());
  for (const Reading& r : *batch) EXPECT_EQ(r.quality, Quality::clock_unsynced);
}

TEST(DeviceDecoderTest, OneValueOutOfRangeRefusesThePoll) {
  const auto config = farm();
  const auto device = probe();
  DeviceDecoder decoder(device, config);
  // 150.0 % moisture.
  auto batch = decoder.decode(std::vector<std::vector<std::uint16_t>>{{1500, 250, 800}}, kAt, true);
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error().code, "out_of_range");
  EXPECT_NE(batch.error().message.find("moisture"), std::string::npos);
}

TEST(DeviceDecoderTest, RefusesNonFiniteFloatsAndShortReads) {
  auto config = farm();
  config::ModbusDevice device;
  device.device = "soil-z1";
  ModbusRegister ec;
  ec.metric = "ec";
  ec.address = 4;
  ec.type = ModbusType::float32;
  device.registers = {ec};
  DeviceDecoder decoder(device, config);
  auto nan = decoder.decode(std::vector<std::vector<std::uint16_t>>{{0x7FC0, 0}}, kAt, true);
  ASSERT_FALSE(nan.ok());
  EXPECT_EQ(nan.error().code, "not_finite");
  auto short_read = decoder.decode(std::vector<std::vector<std::uint16_t>>{{0x7FC0}}, kAt, true);
  ASSERT_FALSE(short_read.ok());
  EXPECT_EQ(short_read.error().code, "short_read");
}

TEST(DeviceDecoderTest, ADeviceMissingFromTheConfigIsRefusedNotACrash) {
  const auto config = farm();
  auto device = probe();
  device.device = "nobody";
  DeviceDecoder decoder(device, config);
  auto batch = decoder.decode(std::vector<std::vector<std::uint16_t>>{{1, 2, 3}}, kAt, true);
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error().code, "unknown_device");
}

}  // namespace
}  // namespace farmgate::sensors::modbus

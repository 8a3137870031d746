// Modbus sources (sources[] of type modbus): what is read, profiles and their overrides, and each
// mistake with the message `farmgate check` prints.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/test_util.h"

namespace farmgate::config {
namespace {

using namespace std::chrono_literals;
using namespace farmgate::config::testing;

// The farm takes lines 1-12 ("sources:" is line 12); `sources` follows from line 13.
std::string farm_text(std::string_view sources) {
  return yaml(R"(
zones:
  - id: z1
  - id: z2
kinds:
  soil:
    moisture: {unit: "%", min: 0, max: 100}
    temp_c: {unit: "°C", min: -10, max: 70}
    ec: {unit: "mS/cm", min: 0, max: 20}
devices:
  - {id: soil-z1, kind: soil, zone: z1}
  - {id: soil-z2, kind: soil, zone: z2}
sources:
)") + std::string(sources);
}

TEST(ModbusConfigTest, ReadsAnRtuBusWithAProfileAndARegisterMap) {
  const Config c = load_ok(farm_text(R"(
  - name: rs485
    type: modbus
    port: /dev/serial/by-id/usb-FTDI_FT232R-if00-port0
    baud: 4800
    parity: even
    data_bits: 8
    stop_bits: 2
    timeout: 800ms
    retries: 1
    frame_gap: 20ms
    offline_after: 5
    devices:
      - device: soil-z1
        slave: 1
        profile: soil-3in1
        interval: 30s
      - device: soil-z2
        slave: 2
        registers:
          - {metric: moisture, table: holding, address: 0x12, type: uint16, scale: 0.1, unit: "%"}
          - {metric: temp_c, table: input, address: 19, type: int16, scale: 0.1, offset: -0.5}
          - {metric: ec, address: 0x20, type: float32, word_order: little}
)"));
  ASSERT_EQ(c.modbus_sources.size(), 1u);
  const ModbusSource& s = c.modbus_sources[0];
  EXPECT_EQ(s.name, "rs485");
  EXPECT_FALSE(s.tcp());
  EXPECT_EQ(s.port, "/dev/serial/by-id/usb-FTDI_FT232R-if00-port0");
  EXPECT_EQ(s.baud, 4800);
  EXPECT_EQ(s.parity, 'E');
  EXPECT_EQ(s.data_bits, 8);
  EXPECT_EQ(s.stop_bits, 2);
  EXPECT_EQ(s.timeout, Millis{800ms});
  EXPECT_EQ(s.retries, 1);
  EXPECT_EQ(s.frame_gap, Millis{20ms});
  EXPECT_EQ(s.offline_after, 5u);
  ASSERT_EQ(s.devices.size(), 2u);

  const ModbusDevice& z1 = s.devices[0];
  EXPECT_EQ(z1.device, "soil-z1");
  EXPECT_EQ(z1.slave, 1);
  EXPECT_EQ(z1.profile, "soil-3in1");
  EXPECT_EQ(z1.interval, Millis{30s});
  EXPECT_EQ(z1.registers, find_modbus_profile("soil-3in1")->registers);

  const ModbusDevice& z2 = s.devices[1];
  EXPECT_EQ(z2.interval, Millis{10s});
  ASSERT_EQ(z2.registers.size(), 3u);
  EXPECT_EQ(z2.registers[0].address, 0x12u);
  EXPECT_EQ(z2.registers[0].scale, 0.1);
  EXPECT_EQ(z2.registers[0].unit, "%");
  EXPECT_EQ(z2.registers[1].table, ModbusTable::input);
  EXPECT_EQ(z2.registers[1].address, 19u);
  EXPECT_EQ(z2.registers[1].type, ModbusType::int16);
  EXPECT_EQ(z2.registers[1].offset, -0.5);
  EXPECT_EQ(z2.registers[2].table, ModbusTable::holding);
  EXPECT_EQ(z2.registers[2].type, ModbusType::float32);
  EXPECT_EQ(z2.registers[2].word_order, WordOrder::little);
  EXPECT_EQ(z2.registers[2].scale, 1);
}

TEST(ModbusConfigTest, ReadsATcpBusWithItsDefaults) {
  const Config c = load_ok(farm_text(R"(
  - name: gw
    type: modbus
    url: tcp://192.168.1.50
    devices:
      - {device: soil-z1, slave: 0, profile: soil-3in1}
)"));
  ASSERT_EQ(c.modbus_sources.size(), 1u);
  const ModbusSource& s = c.modbus_sources[0];
  EXPECT_TRUE(s.tcp());
  EXPECT_EQ(s.host, "192.168.1.50");
  EXPECT_EQ(s.tcp_port, 502);
  EXPECT_EQ(s.timeout, Millis{500ms});
  EXPECT_EQ(s.retries, 2);
  EXPECT_EQ(s.frame_gap, Millis{50ms});
  EXPECT_EQ(s.offline_after, 3u);
  EXPECT_EQ(s.devices[0].slave, 0);  // a TCP unit id may be 0

  const Config port = load_ok(farm_text(R"(
  - {name: gw, type: modbus, url: "tcp://[fe80::1]:1502", devices: [{device: soil-z1, slave: 1, profile: soil-3in1}]}
)"));
  EXPECT_EQ(port.modbus_sources[0].host, "fe80::1");
  EXPECT_EQ(port.modbus_sources[0].tcp_port, 1502);
}

TEST(ModbusConfigTest, RegistersOverrideAProfileAndMetricsPickFromIt) {
  const Config c = load_ok(farm_text(R"(
  - name: rs485
    type: modbus
    port: /dev/ttyUSB0
    devices:
      - device: soil-z1
        slave: 3
        profile: soil-7in1
        metrics: [moisture, ec]
        registers:
          - {metric: ec, address: 2, scale: 0.01, unit: mS/cm}
)"));
  const auto& regs = c.modbus_sources[0].devices[0].registers;
  ASSERT_EQ(regs.size(), 2u);
  EXPECT_EQ(regs[0].metric, "moisture");
  EXPECT_EQ(regs[0].scale, 0.1);
  EXPECT_EQ(regs[1].metric, "ec");
  EXPECT_EQ(regs[1].scale, 0.01);
}

TEST(ModbusConfigTest, EveryProfileFitsTheReferenceSoilUnits) {
  for (const auto& p : modbus_profiles()) {
    EXPECT_FALSE(p.registers.empty()) << p.name;
    for (const auto& r : p.registers) {
      if (r.metric == "moisture") {
        EXPECT_EQ(r.unit, "%") << p.name;
      }
      if (r.metric == "temp_c") {
        EXPECT_EQ(r.unit, "°C") << p.name;
        EXPECT_EQ(r.type, ModbusType::int16) << p.name << ": soil freezes";
      }
      if (r.metric == "ec") {
        EXPECT_EQ(r.unit, "mS/cm") << p.name;
      }
    }
  }
  EXPECT_EQ(find_modbus_profile("nope"), nullptr);
}

// One source (line 13) on `bus` (line 15) with one device whose mapping is `device` (line 17,
// column 9).
std::string one_device(std::string_view device, std::string_view bus = "port: /dev/ttyUSB0") {
  return farm_text("  - name: rs485\n    type: modbus\n    " + std::string(bus) +
                   "\n    devices:\n      - " + std::string(device) + "\n");
}

TEST(ModbusConfigTest, ReportsABadRegisterTypeAtItsValue) {
  EXPECT_EQ(only_error(one_device(
                "{device: soil-z1, slave: 1, registers: [{metric: ec, address: 1, type: int64}]}")),
            "farm.yaml:17:80: unknown register type 'int64'; expected one of: int16, uint16, "
            "int32, uint32, float32");
}

TEST(ModbusConfigTest, ReportsABadWordOrder) {
  EXPECT_EQ(only_error(one_device("{device: soil-z1, slave: 1, registers: [{metric: ec, address: "
                                  "1, type: int32, word_order: middle}]}")),
            "farm.yaml:17:99: unknown word_order 'middle'; expected big (high word first) or "
            "little (low word first)");
  EXPECT_EQ(only_error(one_device("{device: soil-z1, slave: 1, registers: [{metric: ec, address: "
                                  "1, word_order: little}]}")),
            "farm.yaml:17:86: word_order is for the 32-bit types; uint16 is one register");
}

TEST(ModbusConfigTest, ReportsAnUnknownProfileWithTheKnownOnes) {
  EXPECT_EQ(only_error(one_device("{device: soil-z1, slave: 1, profile: soil-9in1}")),
            "farm.yaml:17:46: unknown profile 'soil-9in1'; expected one of: soil-3in1, "
            "soil-7in1, jxct-3in1, jxct-7in1 (or give registers:)");
}

TEST(ModbusConfigTest, ReportsAnUnknownDevice) {
  EXPECT_EQ(only_error(one_device("{device: soil-z9, slave: 1, profile: soil-3in1}")),
            "farm.yaml:17:18: unknown device 'soil-z9'; a modbus device must be listed under "
            "devices:");
}

TEST(ModbusConfigTest, ReportsAMetricTheKindLacksWhereItCameFrom) {
  EXPECT_EQ(only_error(one_device(
                "{device: soil-z1, slave: 1, registers: [{metric: salinity, address: 1}]}")),
            "farm.yaml:17:58: metric 'salinity' is not a metric of kind 'soil' (moisture, "
            "temp_c, ec); add it to the kind, or pick metrics: [...]");
  const auto errors = errors_of(one_device("{device: soil-z1, slave: 1, profile: soil-7in1}"));
  ASSERT_EQ(errors.size(), 4u);  // ph, nitrogen, phosphorus, potassium
  EXPECT_EQ(errors[0],
            "farm.yaml:17:46: metric 'ph' (from profile 'soil-7in1') is not a metric of kind "
            "'soil' (moisture, temp_c, ec); add it to the kind, or pick metrics: [...]");
  // ... and the way out the message names.
  EXPECT_TRUE(errors_of(one_device("{device: soil-z1, slave: 1, profile: soil-7in1, metrics: "
                                   "[moisture, temp_c, ec]}"))
                  .empty());
}

TEST(ModbusConfigTest, ReportsAUnitThatDiffersFromTheKinds) {
  EXPECT_EQ(only_error(one_device("{device: soil-z1, slave: 1, registers: [{metric: ec, address: "
                                  "2, unit: uS/cm}]}")),
            "farm.yaml:17:58: metric 'ec' is read in uS/cm but kind 'soil' has it in mS/cm; give "
            "a register with the scale and unit that convert it");
}

TEST(ModbusConfigTest, NeedsExactlyOneOfPortAndUrl) {
  EXPECT_EQ(only_error(one_device("{device: soil-z1, slave: 1, profile: soil-3in1}",
                                  "port: /dev/ttyUSB0\n    url: tcp://10.0.0.2")),
            "farm.yaml:16:10: give either port (Modbus RTU) or url (Modbus TCP), not both");
  EXPECT_EQ(only_error(one_device("{device: soil-z1, slave: 1, profile: soil-3in1}", "baud: 9600")),
            "farm.yaml:13:5: a modbus source needs port (a serial device, Modbus RTU) or url "
            "(tcp://HOST[:PORT], Modbus TCP) in sources[0]");
  EXPECT_EQ(only_error(one_device("{device: soil-z1, slave: 1, profile: soil-3in1}",
                                  "url: tcp://10.0.0.2\n    baud: 9600")),
            "farm.yaml:16:11: baud is for a serial line (port); this source uses Modbus TCP");
}

TEST(ModbusConfigTest, ReportsBadPortsAndUrls) {
  EXPECT_EQ(
      only_error(one_device("{device: soil-z1, slave: 1, profile: soil-3in1}", "port: ttyUSB0")),
      "farm.yaml:15:11: port must be an absolute path, e.g. /dev/serial/by-id/usb-...");
  EXPECT_EQ(only_error(one_device("{device: soil-z1, slave: 1, profile: soil-3in1}",
                                  "url: http://10.0.0.2")),
            "farm.yaml:15:10: url 'http://10.0.0.2' is not a Modbus TCP url; expected "
            "tcp://HOST[:PORT]");
  EXPECT_EQ(only_error(one_device("{device: soil-z1, slave: 1, profile: soil-3in1}",
                                  "url: tcp://10.0.0.2:99999")),
            "farm.yaml:15:10: url 'tcp://10.0.0.2:99999' has a port outside 1..65535; expected "
            "tcp://HOST[:PORT]");
}

TEST(ModbusConfigTest, ReportsSerialSettingsOutOfRange) {
  EXPECT_EQ(only_error(one_device("{device: soil-z1, slave: 1, profile: soil-3in1}",
                                  "port: /dev/ttyUSB0\n    baud: 9601")),
            "farm.yaml:16:11: baud 9601 is not a serial rate; expected one of: 1200, 2400, 4800, "
            "9600, 19200, 38400, 57600, 115200");
  EXPECT_EQ(only_error(one_device("{device: soil-z1, slave: 1, profile: soil-3in1}",
                                  "port: /dev/ttyUSB0\n    parity: mark")),
            "farm.yaml:16:13: unknown parity 'mark'; expected none, even or odd");
  EXPECT_EQ(errors_of(one_device("{device: soil-z1, slave: 1, profile: soil-3in1}",
                                 "port: /dev/ttyUSB0\n    retries: 11\n    timeout: 1m"))
                .size(),
            2u);
}

TEST(ModbusConfigTest, ReportsSlaveAddressesTheBusCannotCarry) {
  EXPECT_EQ(only_error(one_device("{device: soil-z1, slave: 0, profile: soil-3in1}")),
            "farm.yaml:17:34: slave 0 is not a Modbus RTU address; expected 1..247");
  EXPECT_EQ(only_error(one_device("{device: soil-z1, slave: 256, profile: soil-3in1}",
                                  "url: tcp://10.0.0.2")),
            "farm.yaml:17:34: slave must be between 0 and 255, got 256");
  EXPECT_EQ(only_error(farm_text(R"(
  - name: rs485
    type: modbus
    port: /dev/ttyUSB0
    devices:
      - {device: soil-z1, slave: 1, profile: soil-3in1}
      - {device: soil-z2, slave: 1, profile: soil-3in1}
)")),
            "farm.yaml:19:34: slave 1 is already 'soil-z1' on this bus");
}

TEST(ModbusConfigTest, ReportsBadAddressesAndRegisterKeys) {
  EXPECT_EQ(only_error(one_device(
                "{device: soil-z1, slave: 1, registers: [{metric: ec, address: 0x1G}]}")),
            "farm.yaml:17:71: address '0x1G' is not a register address 0..65535 (decimal or 0x "
            "hex)");
  EXPECT_EQ(only_error(one_device("{device: soil-z1, slave: 1, registers: [{metric: ec, address: "
                                  "65535, type: uint32}]}")),
            "farm.yaml:17:71: a uint32 at 65535 would run past the last register");
  EXPECT_EQ(only_error(one_device(
                "{device: soil-z1, slave: 1, registers: [{metric: ec, address: 1, scale: 0}]}")),
            "farm.yaml:17:81: scale must not be 0");
  // A misspelt key is reported, and so is the required key it was meant to be.
  EXPECT_EQ(
      errors_of(one_device("{device: soil-z1, slave: 1, registers: [{metric: ec, adress: 1}]}")),
      (std::vector<std::string>{
          "farm.yaml:17:49: missing required key 'address' in "
          "sources[0].devices[0].registers[0]",
          "farm.yaml:17:62: unknown key 'adress' in sources[0].devices[0].registers[0]; "
          "expected one of: metric, table, address, type, word_order, scale, offset, unit"}));
}

TEST(ModbusConfigTest, ADeviceNeedsARegisterMap) {
  EXPECT_EQ(only_error(one_device("{device: soil-z1, slave: 1}")),
            "farm.yaml:17:9: a modbus device needs profile: or registers: in "
            "sources[0].devices[0]");
  EXPECT_EQ(only_error(one_device(
                "{device: soil-z1, slave: 1, profile: soil-3in1, metrics: [moisture, ph]}")),
            "farm.yaml:17:77: metric 'ph' is not in this device's register map (moisture, "
            "temp_c, ec)");
}

TEST(ModbusConfigTest, ADeviceIsPolledByOneBusOnly) {
  EXPECT_EQ(only_error(farm_text(R"(
  - {name: a, type: modbus, port: /dev/ttyUSB0, devices: [{device: soil-z1, slave: 1, profile: soil-3in1}]}
  - {name: b, type: modbus, port: /dev/ttyUSB1, devices: [{device: soil-z1, slave: 1, profile: soil-3in1}]}
)")),
            "farm.yaml:15:68: device 'soil-z1' is already polled by source 'a'");
}

TEST(ModbusConfigTest, ASerialLineIsNotSharedWithARelayBoard) {
  EXPECT_EQ(only_error(farm_text(R"(
  - {name: a, type: modbus, port: /dev/ttyUSB0, devices: [{device: soil-z1, slave: 1, profile: soil-3in1}]}
actuators:
  - id: pump
    type: pump
    line: main
    max_runtime: 30m
    driver: {type: modbus_coil, device: /dev/ttyUSB0, slave: 9, coil: 0}
lines:
  - id: main
)")),
            "farm.yaml:14:35: port /dev/ttyUSB0 is also the serial line of actuator 'pump' "
            "(modbus_coil); one line can have one owner: put the relay board on an adapter of "
            "its own");
}

}  // namespace
}  // namespace farmgate::config

// The actuators: and lines: sections: defaults, and every rule that keeps a pump from running
// dry or a valve from being left unsupervised, each checked with the message `farmgate check`
// prints.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/test_util.h"

namespace farmgate::config {
namespace {

using namespace std::chrono_literals;
using namespace farmgate::config::testing;

// kSmallFarm (lines 1-9) plus `more`, which starts on line 10.
std::string farm_with(std::string_view more) {
  return yaml(kSmallFarm) + yaml(more);
}

// A pump and two valves on line main; actuators start on line 10.
constexpr std::string_view kPlant = R"(
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, min_off: 2m, driver: {type: mqtt_relay}}
  - {id: valve-z1, type: valve, line: main, zone: z1, max_runtime: 40m, driver: {type: mqtt_relay}}
  - {id: valve-z2, type: valve, line: main, zone: z2, max_runtime: 40m, driver: {type: simulated}}
lines:
  - id: main
)";

TEST(ActuatorConfigTest, ReadsAPlantWithItsDefaults) {
  const Config c = load_ok(farm_with(kPlant));
  ASSERT_EQ(c.actuators.size(), 3u);
  const Actuator* pump = c.find_actuator("pump");
  ASSERT_NE(pump, nullptr);
  EXPECT_EQ(pump->type, ActuatorType::pump);
  EXPECT_EQ(pump->line, "main");
  EXPECT_EQ(pump->max_runtime, Millis{30min});
  EXPECT_EQ(pump->min_off, Millis{2min});
  EXPECT_EQ(pump->driver.type, DriverType::mqtt_relay);
  EXPECT_EQ(pump->driver.mqtt.command_topic, "cmnd/pump/POWER");
  EXPECT_EQ(pump->driver.mqtt.state_topic, "stat/pump/POWER");
  EXPECT_EQ(pump->driver.mqtt.pulse_time_topic, "cmnd/pump/PulseTime");
  EXPECT_EQ(pump->driver.mqtt.payload_on, "ON");
  EXPECT_EQ(pump->driver.mqtt.payload_off, "OFF");
  EXPECT_FALSE(pump->driver.mqtt.pulse_time);
  EXPECT_EQ(pump->driver.confirm_timeout, Millis{5s});
  const Actuator* v2 = c.find_actuator("valve-z2");
  ASSERT_NE(v2, nullptr);
  EXPECT_EQ(v2->zone, "z2");
  EXPECT_EQ(v2->min_off, Millis{0});
  EXPECT_EQ(v2->driver.type, DriverType::simulated);
  ASSERT_EQ(c.lines.size(), 1u);
  EXPECT_EQ(c.lines[0].pump_start_delay, Millis{3s});
  EXPECT_EQ(c.lines[0].valve_close_delay, Millis{3s});
  EXPECT_EQ(c.lines[0].max_open_valves, 1u);
}

TEST(ActuatorConfigTest, ReadsEveryMqttRelayKey) {
  const Config c = load_ok(farm_with(R"(
actuators:
  - id: pump
    type: pump
    line: main
    max_runtime: 1h
    driver:
      type: mqtt_relay
      command_topic: shellies/p1/relay/0/command
      state_topic: shellies/p1/relay/0
      payload_on: "on"
      payload_off: "off"
      confirm_timeout: 2s
      pulse_time: true
      pulse_time_topic: cmnd/p1/PulseTime1
lines:
  - {id: main, pump_start_delay: 5s, valve_close_delay: 0ms, max_open_valves: 2}
)"));
  ASSERT_EQ(c.actuators.size(), 1u);
  const auto& d = c.actuators[0].driver;
  EXPECT_EQ(d.mqtt.command_topic, "shellies/p1/relay/0/command");
  EXPECT_EQ(d.mqtt.state_topic, "shellies/p1/relay/0");
  EXPECT_EQ(d.mqtt.payload_on, "on");
  EXPECT_EQ(d.mqtt.payload_off, "off");
  EXPECT_EQ(d.confirm_timeout, Millis{2s});
  EXPECT_TRUE(d.mqtt.pulse_time);
  EXPECT_EQ(d.mqtt.pulse_time_topic, "cmnd/p1/PulseTime1");
  EXPECT_EQ(c.lines[0].pump_start_delay, Millis{5s});
  EXPECT_EQ(c.lines[0].valve_close_delay, Millis{0});
  EXPECT_EQ(c.lines[0].max_open_valves, 2u);
}

TEST(ActuatorConfigTest, MaxRuntimeIsRequiredAndAtMostADay) {
  EXPECT_EQ(only_error(farm_with(R"(
actuators:
  - {id: pump, type: pump, line: main, driver: {type: simulated}}
lines: [{id: main}]
)")),
            "farm.yaml:11:5: missing required key 'max_runtime' in actuators[0]");
  EXPECT_EQ(only_error(farm_with(R"(
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 25h, driver: {type: simulated}}
lines: [{id: main}]
)")),
            "farm.yaml:11:53: max_runtime must be between 1s and 1d, got 25h");
}

TEST(ActuatorConfigTest, ValveNeedsALineAndAZone) {
  const auto errors = errors_of(farm_with(R"(
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: simulated}}
  - {id: v1, type: valve, max_runtime: 30m, driver: {type: simulated}}
lines: [{id: main}]
)"));
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0], "farm.yaml:12:5: valve 'v1' needs a line (the water line it is on)");
  EXPECT_EQ(errors[1], "farm.yaml:12:5: valve 'v1' needs a zone (the zone it waters)");
}

TEST(ActuatorConfigTest, UnknownLineAndZoneAreNamed) {
  const auto errors = errors_of(farm_with(R"(
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: simulated}}
  - {id: v1, type: valve, line: mian, zone: z9, max_runtime: 30m, driver: {type: simulated}}
lines: [{id: main}]
)"));
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0], "farm.yaml:12:33: unknown line 'mian'; defined lines: main");
  EXPECT_EQ(errors[1], "farm.yaml:12:45: unknown zone 'z9'; defined zones: z1, z2");
}

TEST(ActuatorConfigTest, LineWithoutPumpIsRefused) {
  EXPECT_EQ(only_error(farm_with(R"(
actuators:
  - {id: v1, type: valve, line: main, zone: z1, max_runtime: 30m, driver: {type: simulated}}
lines: [{id: main}]
)")),
            "farm.yaml:12:14: line 'main' has no pump; add an actuator with type: pump and "
            "line: main");
}

TEST(ActuatorConfigTest, OnePumpPerLineAndOneValvePerZone) {
  const auto errors = errors_of(farm_with(R"(
actuators:
  - {id: p1, type: pump, line: main, max_runtime: 30m, driver: {type: simulated}}
  - {id: p2, type: pump, line: main, max_runtime: 30m, driver: {type: simulated}}
  - {id: v1, type: valve, line: main, zone: z1, max_runtime: 30m, driver: {type: simulated}}
  - {id: v2, type: valve, line: main, zone: z1, max_runtime: 30m, driver: {type: simulated}}
lines: [{id: main}]
)"));
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0], "farm.yaml:12:32: line 'main' already has pump 'p1'; one pump per line");
  EXPECT_EQ(errors[1], "farm.yaml:14:45: zone 'z1' already has valve 'v1'; one valve per zone");
}

TEST(ActuatorConfigTest, DuplicateTopicsAreRefused) {
  EXPECT_EQ(only_error(farm_with(R"(
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: mqtt_relay}}
  - id: v1
    type: valve
    line: main
    zone: z1
    max_runtime: 30m
    driver: {type: mqtt_relay, command_topic: cmnd/pump/POWER}
lines: [{id: main}]
)")),
            "farm.yaml:17:47: topic 'cmnd/pump/POWER' of actuator 'v1' is already used (first "
            "at line 11:66); every relay needs its own topics");
}

TEST(ActuatorConfigTest, UnknownDriverTypeIsNamed) {
  EXPECT_EQ(only_error(farm_with(R"(
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: relay}}
lines: [{id: main}]
)")),
            "farm.yaml:11:73: unknown driver type 'relay'; expected one of: mqtt_relay, "
            "simulated, gpio, modbus_coil");
}

// A pump on a GPIO line and a valve on a coil; the one key under test goes on line 12.
std::string hw_plant(std::string_view pump_driver, std::string_view valve_driver) {
  return farm_with(
      "actuators:\n  - id: pump\n    type: pump\n    line: main\n"
      "    max_runtime: 30m\n    driver: " +
      std::string(pump_driver) +
      "\n  - {id: valve-z1, type: valve, line: main, zone: z1, max_runtime: 40m, "
      "driver: " +
      std::string(valve_driver) + "}\nlines: [{id: main}]\n");
}

constexpr std::string_view kGpio = "{type: gpio, offset: 17}";
constexpr std::string_view kTcpCoil = "{type: modbus_coil, host: 10.0.0.5, slave: 1, coil: 0}";

TEST(ActuatorConfigTest, ReadsGpioDriversWithTheirDefaults) {
  const Config c = load_ok(hw_plant("{type: gpio, chip: gpiochip4, offset: 17, active_low: true}",
                                    "{type: gpio, line_name: VALVE_1}"));
  ASSERT_EQ(c.actuators.size(), 2u);
  const auto& pump = c.actuators[0].driver;
  EXPECT_EQ(pump.type, DriverType::gpio);
  EXPECT_EQ(pump.gpio.chip, "gpiochip4");
  EXPECT_EQ(pump.gpio.offset, 17u);
  EXPECT_TRUE(pump.gpio.active_low);
  const auto& valve = c.actuators[1].driver;
  EXPECT_EQ(valve.gpio.line_name, "VALVE_1");
  EXPECT_FALSE(valve.gpio.offset.has_value());
  EXPECT_FALSE(valve.gpio.active_low);
  EXPECT_EQ(load_ok(hw_plant(kGpio, kTcpCoil)).actuators[0].driver.gpio.chip, "gpiochip0");
}

TEST(ActuatorConfigTest, ReadsModbusTcpAndRtuDrivers) {
  const Config c = load_ok(hw_plant(
      "{type: modbus_coil, host: relay.lan, port: 1502, slave: 3, coil: 65535, timeout: 250ms, "
      "retries: 0}",
      "{type: modbus_coil, device: /dev/ttyUSB0, baud: 19200, parity: even, data_bits: 7, "
      "stop_bits: 2, slave: 247, coil: 4}"));
  ASSERT_EQ(c.actuators.size(), 2u);
  const auto& tcp = c.actuators[0].driver;
  EXPECT_EQ(tcp.type, DriverType::modbus_coil);
  EXPECT_TRUE(tcp.modbus.tcp());
  EXPECT_EQ(tcp.modbus.host, "relay.lan");
  EXPECT_EQ(tcp.modbus.port, 1502);
  EXPECT_EQ(tcp.modbus.slave, 3);
  EXPECT_EQ(tcp.modbus.coil, 65535u);
  EXPECT_EQ(tcp.modbus.timeout, Millis{250});
  EXPECT_EQ(tcp.modbus.retries, 0);
  const auto& rtu = c.actuators[1].driver;
  EXPECT_FALSE(rtu.modbus.tcp());
  EXPECT_EQ(rtu.modbus.device, "/dev/ttyUSB0");
  EXPECT_EQ(rtu.modbus.baud, 19200);
  EXPECT_EQ(rtu.modbus.parity, 'E');
  EXPECT_EQ(rtu.modbus.data_bits, 7);
  EXPECT_EQ(rtu.modbus.stop_bits, 2);
  EXPECT_EQ(rtu.modbus.slave, 247);
  EXPECT_EQ(rtu.modbus.coil, 4u);
  const Config d = load_ok(hw_plant(kGpio, kTcpCoil));
  const auto& m = d.actuators[1].driver.modbus;
  EXPECT_EQ(m.port, 502);
  EXPECT_EQ(m.baud, 9600);
  EXPECT_EQ(m.parity, 'N');
  EXPECT_EQ(m.timeout, Millis{1s});
  EXPECT_EQ(m.retries, 2);
  EXPECT_EQ(to_string(DriverType::modbus_coil), std::string("modbus_coil"));
  EXPECT_EQ(to_string(DriverType::gpio), std::string("gpio"));
}

TEST(ActuatorConfigTest, GpioNeedsExactlyOneWayToNameTheLine) {
  EXPECT_EQ(only_error(hw_plant("{type: gpio, active_low: true}", kTcpCoil)),
            "farm.yaml:15:13: a gpio driver needs offset (on chip) or line_name in "
            "actuators[0].driver");
  EXPECT_EQ(only_error(hw_plant("{type: gpio, offset: 3, line_name: PUMP}", kTcpCoil)),
            "farm.yaml:15:48: give either offset (on chip) or line_name, not both");
  EXPECT_EQ(only_error(hw_plant("{type: gpio, chip: gpiochip1, line_name: PUMP}", kTcpCoil)),
            "farm.yaml:15:32: chip is not used with line_name: the name is looked up on every "
            "chip");
}

TEST(ActuatorConfigTest, BadGpioValuesAreLocated) {
  EXPECT_EQ(only_error(hw_plant("{type: gpio, offset: -1}", kTcpCoil)),
            "farm.yaml:15:34: expected a whole number (0 or more), got '-1'");
  EXPECT_EQ(only_error(hw_plant("{type: gpio, offset: 2, active_low: maybe}", kTcpCoil)),
            "farm.yaml:15:49: expected true or false, got 'maybe'");
  EXPECT_EQ(only_error(hw_plant("{type: gpio, offset: 2, pin: 4}", kTcpCoil)),
            "farm.yaml:15:37: unknown key 'pin' in actuators[0].driver (gpio); expected one of: "
            "type, confirm_timeout, chip, offset, line_name, active_low");
}

TEST(ActuatorConfigTest, ModbusNeedsHostOrDeviceAndItsAddress) {
  EXPECT_EQ(only_error(hw_plant(kGpio, "{type: modbus_coil, slave: 1, coil: 2}")),
            "farm.yaml:16:81: a modbus_coil driver needs host (Modbus TCP) or device (Modbus "
            "RTU) in actuators[1].driver");
  EXPECT_EQ(only_error(hw_plant(kGpio,
                                "{type: modbus_coil, host: a, device: /dev/x, slave: 1, "
                                "coil: 2}")),
            "farm.yaml:16:118: give either host (Modbus TCP) or device (Modbus RTU), not both");
  EXPECT_EQ(only_error(hw_plant(kGpio, "{type: modbus_coil, host: a, slave: 1}")),
            "farm.yaml:16:81: missing required key 'coil' in actuators[1].driver (modbus_coil)");
}

TEST(ActuatorConfigTest, BadModbusValuesAreLocated) {
  const auto error_of = [](std::string_view extra) {
    return only_error(hw_plant(kGpio, "{type: modbus_coil, " + std::string(extra) + "}"));
  };
  EXPECT_EQ(error_of("host: a, coil: 0, slave: 0"),
            "farm.yaml:16:126: slave must be between 1 and 247, got 0");
  EXPECT_EQ(error_of("host: a, slave: 1, coil: 65536"),
            "farm.yaml:16:126: coil must be between 0 and 65535, got 65536");
  EXPECT_EQ(error_of("host: a, slave: 1, coil: 0, port: 0"),
            "farm.yaml:16:135: port must be between 1 and 65535, got 0");
  EXPECT_EQ(error_of("host: a, slave: 1, coil: 0, timeout: 5ms"),
            "farm.yaml:16:138: timeout must be between 10ms and 1m, got 5ms");
  EXPECT_EQ(error_of("host: a, slave: 1, coil: 0, retries: 11"),
            "farm.yaml:16:138: retries must be between 0 and 10, got 11");
  EXPECT_EQ(error_of("device: ttyUSB0, slave: 1, coil: 0"),
            "farm.yaml:16:109: device must be an absolute path, e.g. /dev/ttyUSB0");
  EXPECT_EQ(error_of("device: /dev/ttyUSB0, slave: 1, coil: 0, baud: 9000"),
            "farm.yaml:16:148: baud 9000 is not a serial rate; expected one of: 1200, 2400, "
            "4800, 9600, 19200, 38400, 57600, 115200, 230400");
  EXPECT_EQ(error_of("device: /dev/ttyUSB0, slave: 1, coil: 0, parity: mark"),
            "farm.yaml:16:150: unknown parity 'mark'; expected none, even or odd");
  EXPECT_EQ(error_of("device: /dev/ttyUSB0, slave: 1, coil: 0, data_bits: 9"),
            "farm.yaml:16:153: data_bits must be between 5 and 8, got 9");
  EXPECT_EQ(error_of("host: a, slave: 1, coil: 0, baud: 9600"),
            "farm.yaml:16:135: baud is for a serial line (device); this driver uses Modbus TCP "
            "(host)");
  EXPECT_EQ(error_of("device: /dev/ttyUSB0, slave: 1, coil: 0, port: 502"),
            "farm.yaml:16:148: port is for Modbus TCP (host); this driver uses a serial line "
            "(device)");
  EXPECT_EQ(error_of("host: a, slave: 1, coil: 0, unit: 1"),
            "farm.yaml:16:129: unknown key 'unit' in actuators[1].driver (modbus_coil); expected "
            "one of: type, confirm_timeout, host, port, device, baud, parity, data_bits, "
            "stop_bits, slave, coil, timeout, retries");
}

TEST(ActuatorConfigTest, TwoActuatorsOnOneLineOrCoilAreRefused) {
  EXPECT_EQ(only_error(hw_plant(kGpio, kGpio)),
            "farm.yaml:16:81: actuator 'valve-z1' uses GPIO 'gpiochip0' offset 17, already used "
            "(first at line 15:13)");
  EXPECT_EQ(only_error(hw_plant(kTcpCoil, kTcpCoil)),
            "farm.yaml:16:81: actuator 'valve-z1' uses coil 0 of Modbus slave 1 at "
            "10.0.0.5:502, already used (first at line 15:13)");
  EXPECT_TRUE(
      errors_of(hw_plant("{type: modbus_coil, host: 10.0.0.5, slave: 1, coil: 1}", kTcpCoil))
          .empty());
}

TEST(ActuatorConfigTest, UnknownKeysInADriverAreErrors) {
  EXPECT_EQ(only_error(farm_with(R"(
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: simulated, topic: x}}
lines: [{id: main}]
)")),
            "farm.yaml:11:84: unknown key 'topic' in actuators[0].driver (simulated); expected "
            "one of: type, confirm_timeout, latency");
}

TEST(ActuatorConfigTest, WildcardTopicsAreRefused) {
  EXPECT_EQ(only_error(farm_with(R"(
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: mqtt_relay, state_topic: stat/+/POWER}}
lines: [{id: main}]
)")),
            "farm.yaml:11:98: a relay topic names one device: no '+' or '#'");
}

TEST(ActuatorConfigTest, PulseTimeReachesAtMostEighteenHours) {
  EXPECT_EQ(only_error(farm_with(R"(
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 20h, driver: {type: mqtt_relay, pulse_time: true}}
lines: [{id: main}]
)")),
            "farm.yaml:11:53: max_runtime (20h) is longer than pulse_time can express (18h)");
}

TEST(ActuatorConfigTest, ValveRuntimeMustOutlastTheLineDelays) {
  EXPECT_EQ(only_error(farm_with(R"(
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: simulated}}
  - {id: v1, type: valve, line: main, zone: z1, max_runtime: 5s, driver: {type: simulated}}
lines: [{id: main}]
)")),
            "farm.yaml:12:62: max_runtime (5s) of valve 'v1' must be longer than "
            "pump_start_delay (3s) plus valve_close_delay (3s) of line 'main'");
}

TEST(ActuatorConfigTest, PumpHasNoZone) {
  EXPECT_EQ(only_error(farm_with(R"(
actuators:
  - {id: pump, type: pump, line: main, zone: z1, max_runtime: 30m, driver: {type: simulated}}
lines: [{id: main}]
)")),
            "farm.yaml:11:46: a pump has no zone; its valves name the zones it waters");
}

TEST(ActuatorConfigTest, UnknownActuatorTypeIsNamed) {
  EXPECT_EQ(only_error(farm_with(R"(
actuators:
  - {id: fan, type: fan, max_runtime: 30m, driver: {type: simulated}}
)")),
            "farm.yaml:11:21: unknown actuator type 'fan'; expected pump or valve");
}

}  // namespace
}  // namespace farmgate::config

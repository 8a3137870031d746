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

TEST(ActuatorConfigTest, GpioAndModbusAreNotSupportedYet) {
  EXPECT_EQ(only_error(farm_with(R"(
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: gpio}}
lines: [{id: main}]
)")),
            "farm.yaml:11:73: driver type 'gpio' is not supported yet; supported: mqtt_relay, "
            "simulated");
  EXPECT_EQ(only_error(farm_with(R"(
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: relay}}
lines: [{id: main}]
)")),
            "farm.yaml:11:73: unknown driver type 'relay'; expected one of: mqtt_relay, "
            "simulated");
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

// sources[] of type gpio_pulse: what is read, the defaults, and each mistake located.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/test_util.h"

namespace farmgate::config {
namespace {

using namespace std::chrono_literals;
using namespace farmgate::config::testing;

// A farm with a flow meter device; `source` is one sources[] item's keys after its type.
std::string farm_text(std::string_view source) {
  return yaml(R"(
site: demo-farm
sources:
  - name: flow-pulse
    type: gpio_pulse
)") + std::string(source) +
         yaml(R"(
kinds:
  flow:
    rate: {unit: L/min, min: 0, max: 500}
    total: {unit: L, min: 0, max: 1e12}
    lpm: {unit: L/min, min: 0, max: 500}
devices:
  - {id: flow-main, kind: flow}
)");
}

TEST(PulseConfigTest, ReadsAMeterWithItsDefaults) {
  const Config c = load_ok(farm_text("    device: flow-main\n    line: 17\n    k_factor: 450\n"));
  ASSERT_EQ(c.pulse_sources.size(), 1u);
  const PulseSource& p = c.pulse_sources[0];
  EXPECT_EQ(p.name, "flow-pulse");
  EXPECT_EQ(p.device, "flow-main");
  EXPECT_EQ(p.chip, "gpiochip0");
  EXPECT_FALSE(p.chip_given);
  EXPECT_EQ(p.offset, 17u);
  EXPECT_TRUE(p.line_name.empty());
  EXPECT_DOUBLE_EQ(p.k_factor, 450);
  EXPECT_EQ(p.interval, Millis{5s});
  EXPECT_EQ(p.debounce, Millis{1ms});
  EXPECT_EQ(p.idle_after, Millis{3s});
  EXPECT_EQ(p.save_interval, Millis{60s});
  EXPECT_EQ(p.bias, PulseBias::as_is);
  EXPECT_EQ(p.rate, "rate");
  EXPECT_EQ(p.total, "total");
}

TEST(PulseConfigTest, ReadsEveryKey) {
  const Config c = load_ok(
      farm_text("    device: flow-main\n    chip: /dev/gpiochip1\n    line: FLOW_IN\n"
                "    k_factor: 7.5\n    interval: 10s\n    debounce: 2ms\n    idle_after: 5s\n"
                "    save_interval: 5m\n    bias: pull_up\n    rate: lpm\n"));
  const PulseSource& p = c.pulse_sources.at(0);
  EXPECT_EQ(p.chip, "/dev/gpiochip1");
  EXPECT_TRUE(p.chip_given);
  EXPECT_FALSE(p.offset.has_value());
  EXPECT_EQ(p.line_name, "FLOW_IN");
  EXPECT_DOUBLE_EQ(p.k_factor, 7.5);
  EXPECT_EQ(p.interval, Millis{10s});
  EXPECT_EQ(p.debounce, Millis{2ms});
  EXPECT_EQ(p.idle_after, Millis{5s});
  EXPECT_EQ(p.save_interval, Millis{5min});
  EXPECT_EQ(p.bias, PulseBias::pull_up);
  EXPECT_EQ(p.rate, "lpm");
  EXPECT_EQ(to_string(PulseBias::pull_down), std::string("pull_down"));
}

TEST(PulseConfigTest, RefusesAnUnknownDeviceWhereItIsWritten) {
  const std::string e =
      only_error(farm_text("    device: flow-9\n    line: 17\n    k_factor: 450\n"));
  EXPECT_EQ(e.rfind("farm.yaml:5:13: ", 0), 0u) << e;
  EXPECT_NE(e.find("unknown device 'flow-9' for the pulse meter"), std::string::npos) << e;
}

TEST(PulseConfigTest, RefusesMetricsTheDeviceKindDoesNotHave) {
  std::string e = only_error(
      farm_text("    device: flow-main\n    line: 17\n    k_factor: 450\n    total: litres\n"));
  EXPECT_EQ(e.rfind("farm.yaml:8:12: ", 0), 0u) << e;
  EXPECT_NE(e.find("total 'litres' is not a metric of kind 'flow' (device 'flow-main'); it has: "
                   "rate, total, lpm"),
            std::string::npos)
      << e;
  // A device of a kind without `rate`: the default is blamed on the device key.
  std::string text = farm_text("    device: flow-main\n    line: 17\n    k_factor: 450\n");
  text.replace(text.find("    rate: {unit"), 4, "    flow_");
  e = only_error(text);
  EXPECT_EQ(e.rfind("farm.yaml:5:13: ", 0), 0u) << e;
  EXPECT_NE(e.find("rate 'rate' is not a metric of kind 'flow'"), std::string::npos) << e;
}

TEST(PulseConfigTest, RefusesBadValuesEachAtItsPlace) {
  const auto errors = errors_of(
      farm_text("    device: flow-main\n    line: 99999\n    k_factor: 0\n    interval: 0s\n"
                "    debounce: 5s\n    bias: floating\n    colour: blue\n"));
  ASSERT_EQ(errors.size(), 6u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("farm.yaml:6:11: line offset must be 0 - 65535, got 99999"),
            std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1].find("farm.yaml:7:15: k_factor (pulses per litre) must be more than 0"),
            std::string::npos)
      << errors[1];
  EXPECT_NE(errors[2].find("farm.yaml:8:15: interval"), std::string::npos) << errors[2];
  EXPECT_NE(errors[3].find("farm.yaml:9:15: debounce"), std::string::npos) << errors[3];
  EXPECT_NE(errors[4].find("farm.yaml:10:11: unknown bias 'floating'; expected one of: as_is, "
                           "disable, pull_up, pull_down"),
            std::string::npos)
      << errors[4];
  EXPECT_NE(errors[5].find("farm.yaml:11:5: unknown key 'colour'"), std::string::npos) << errors[5];
}

TEST(PulseConfigTest, RequiresDeviceLineAndKFactor) {
  const auto errors = errors_of(farm_text("    interval: 5s\n"));
  ASSERT_EQ(errors.size(), 3u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("missing required key 'device'"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("missing required key 'line'"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("missing required key 'k_factor'"), std::string::npos) << errors[2];
}

TEST(PulseConfigTest, RefusesDebounceNotShorterThanIdleAndOneMetricForBoth) {
  std::string e = only_error(
      farm_text("    device: flow-main\n    line: 17\n    k_factor: 450\n    debounce: 500ms\n"
                "    idle_after: 500ms\n"));
  EXPECT_NE(e.find("debounce must be shorter than idle_after (500ms)"), std::string::npos) << e;
  e = only_error(
      farm_text("    device: flow-main\n    line: 17\n    k_factor: 450\n    total: rate\n"));
  EXPECT_NE(e.find("rate and total must be different metrics"), std::string::npos) << e;
}

TEST(PulseConfigTest, TwoSourcesMayNotShareAName) {
  std::string text = farm_text("    device: flow-main\n    line: 17\n    k_factor: 450\n");
  text.replace(text.find("kinds:"), 0,
               "  - {name: flow-pulse, type: gpio_pulse, device: flow-main, line: 18, "
               "k_factor: 450}\n");
  const std::string e = only_error(text);
  EXPECT_NE(e.find("duplicate source name 'flow-pulse'"), std::string::npos) << e;
}

}  // namespace
}  // namespace farmgate::config

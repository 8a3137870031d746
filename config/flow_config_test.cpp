// A line's flow meter (lines[].flow) and the reserved zone id "site": what is read, and each
// mistake with the message `farmgate check` prints.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/test_util.h"

namespace farmgate::config {
namespace {

using namespace std::chrono_literals;
using namespace farmgate::config::testing;

// A farm with a flow meter on line main; `flow` is the line's flow: block (or nothing).
std::string farm_text(std::string_view flow) {
  return yaml(R"(
site: demo-farm
zones:
  - id: z1
kinds:
  flow:
    rate: {unit: L/min, min: 0, max: 500}
    total: {unit: L, min: 0, max: 1e12}
devices:
  - {id: flow-main, kind: flow}
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: simulated}}
lines:
  - id: main
)") + std::string(flow);
}

TEST(FlowConfigTest, ReadsAFlowMeterWithItsDefaults) {
  const Config c = load_ok(farm_text("    flow: {meter: flow-main, total: total}\n"));
  ASSERT_EQ(c.lines.size(), 1u);
  const FlowCheck& f = c.lines[0].flow;
  EXPECT_EQ(f.meter, "flow-main");
  EXPECT_EQ(f.rate, "rate");
  EXPECT_EQ(f.total, "total");
  EXPECT_EQ(f.verify_after, Millis{30s});
  EXPECT_EQ(f.leak_after, Millis{60s});
  EXPECT_EQ(f.lockout, Millis{30min});
  EXPECT_DOUBLE_EQ(f.min_lpm, 1.0);
  EXPECT_DOUBLE_EQ(f.max_lpm, 0.0);
}

TEST(FlowConfigTest, ALineWithoutFlowHasNoMeter) {
  const Config c = load_ok(farm_text(""));
  EXPECT_TRUE(c.lines[0].flow.meter.empty());
}

TEST(FlowConfigTest, RefusesAMeterThatIsNotADevice) {
  const std::string e = only_error(farm_text("    flow: {meter: flow-9}\n"));
  EXPECT_NE(e.find("unknown flow meter 'flow-9'"), std::string::npos) << e;
}

TEST(FlowConfigTest, RefusesAMetricTheMeterDoesNotReport) {
  const std::string e = only_error(farm_text("    flow: {meter: flow-main, rate: lpm}\n"));
  EXPECT_NE(e.find("rate 'lpm' is not a metric of kind 'flow'; it has: rate, total"),
            std::string::npos)
      << e;
}

TEST(FlowConfigTest, RefusesMaxBelowMinAndNegativeRates) {
  auto errors = errors_of(farm_text("    flow: {meter: flow-main, min_lpm: 5, max_lpm: 4}\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("max_lpm must be greater than min_lpm (5)"), std::string::npos);
  errors = errors_of(farm_text("    flow: {meter: flow-main, leak_lpm: -1}\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("leak_lpm must be between 0 and 100000 L/min"), std::string::npos);
}

TEST(FlowConfigTest, RefusesUnknownKeysWithTheirPlace) {
  const std::string e = only_error(farm_text("    flow: {meter: flow-main, verify: 30s}\n"));
  EXPECT_NE(e.find("verify"), std::string::npos) << e;
  EXPECT_EQ(e.rfind("farm.yaml:", 0), 0u) << e;
}

TEST(ZoneIdTest, SiteIsReservedForDevicesWithoutAZone) {
  std::string t = yaml(kSmallFarm);
  t.replace(t.find("  - id: z2"), 10, "  - id: site");
  const std::string e = only_error(t);
  EXPECT_NE(e.find("'site' is reserved"), std::string::npos) << e;
  EXPECT_EQ(e.rfind("farm.yaml:4:9:", 0), 0u) << e;
}

}  // namespace
}  // namespace farmgate::config

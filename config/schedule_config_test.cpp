// The programs:, watering_windows:, rain_delay: sections and zones[].fallback_program: what is
// read, and each mistake with the message `farmgate check` prints. (Cron lines and skip_if
// expressions are checked by rules/check.h.)
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/test_util.h"

namespace farmgate::config {
namespace {

using namespace farmgate::config::testing;

// kSmallFarm (lines 1-9), valves for z1 and z2 (lines 10-15), then `extra` from line 16.
std::string farm_with(std::string_view extra) {
  return yaml(kSmallFarm) + yaml(R"(
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: simulated}}
  - {id: valve-z1, type: valve, line: main, zone: z1, max_runtime: 40m, driver: {type: simulated}}
  - {id: valve-z2, type: valve, line: main, zone: z2, max_runtime: 40m, driver: {type: simulated}}
lines:
  - id: main
)") + yaml(extra);
}

TEST(ScheduleConfigTest, ReadsAProgramWithEveryKey) {
  const Config c = load_ok(farm_with(R"(
programs:
  - name: morning
    zones: [{zone: z1, for: 15m, skip_if: "z1.soil.moisture > 45"}, {zone: z2, for: 10m}]
    budget: 60%
    skip_if: "z1.soil.moisture > 40"
    start:
      - cron: "0 5 * * *"
      - sunrise: -30m
      - sunset: +15m
    windows: ["05:00-08:00", "22:00-02:00"]
watering_windows: ["04:00-09:00"]
rain_delay: {when: "z1.soil.moisture > 90", for: 48h}
)"));
  ASSERT_EQ(c.programs.size(), 1u);
  const Program& p = c.programs[0];
  EXPECT_EQ(p.name, "morning");
  ASSERT_EQ(p.zones.size(), 2u);
  EXPECT_EQ(p.zones[0].zone, "z1");
  EXPECT_EQ(p.zones[0].duration, Millis{15 * 60'000});
  EXPECT_EQ(p.zones[0].skip_if.text, "z1.soil.moisture > 45");
  EXPECT_TRUE(p.zones[1].skip_if.text.empty());
  EXPECT_FALSE(p.zones[0].fallback);
  EXPECT_EQ(p.budget_percent, 60);
  EXPECT_EQ(p.skip_if.text, "z1.soil.moisture > 40");
  EXPECT_EQ(p.skip_if.line, 20);
  EXPECT_EQ(p.skip_if.column, 15) << "one past the opening quote";
  ASSERT_EQ(p.starts.size(), 3u);
  EXPECT_EQ(p.starts[0].kind, ProgramStart::Kind::cron);
  EXPECT_EQ(p.starts[0].cron.text, "0 5 * * *");
  EXPECT_EQ(p.starts[0].cron.line, 22);
  EXPECT_EQ(p.starts[1].kind, ProgramStart::Kind::sunrise);
  EXPECT_EQ(p.starts[1].offset, Millis{-30 * 60'000});
  EXPECT_EQ(p.starts[2].kind, ProgramStart::Kind::sunset);
  EXPECT_EQ(p.starts[2].offset, Millis{15 * 60'000});
  ASSERT_EQ(p.windows.size(), 2u);
  EXPECT_EQ(p.windows[0].from_minute, 300);
  EXPECT_EQ(p.windows[0].to_minute, 480);
  EXPECT_TRUE(p.windows[1].contains(23 * 60));
  EXPECT_TRUE(p.windows[1].contains(60));
  EXPECT_FALSE(p.windows[1].contains(3 * 60));
  ASSERT_EQ(c.watering_windows.size(), 1u);
  EXPECT_EQ(c.watering_windows[0].from_minute, 240);
  EXPECT_EQ(c.rain_delay.when.text, "z1.soil.moisture > 90");
  EXPECT_EQ(c.rain_delay.hold, Millis{48 * 3'600'000});
}

TEST(ScheduleConfigTest, DefaultsAndASingleStart) {
  const Config c = load_ok(farm_with(R"(
programs:
  - name: evening
    zones: [{zone: z2, for: 5m}]
    start: {sunset: 10m}
)"));
  ASSERT_EQ(c.programs.size(), 1u);
  EXPECT_EQ(c.programs[0].budget_percent, 100);
  ASSERT_EQ(c.programs[0].starts.size(), 1u);
  EXPECT_EQ(c.programs[0].starts[0].offset, Millis{600'000});
  EXPECT_TRUE(c.programs[0].windows.empty());
  EXPECT_TRUE(c.watering_windows.empty());
  EXPECT_TRUE(c.rain_delay.when.text.empty());
}

TEST(ScheduleConfigTest, ZoneFallbackProgram) {
  const Config c = load_ok(yaml(R"(
zones:
  - {id: z1, fallback_program: backup}
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: simulated}}
  - {id: valve-z1, type: valve, line: main, zone: z1, max_runtime: 40m, driver: {type: simulated}}
lines:
  - id: main
programs:
  - {name: backup, zones: [{zone: z1, for: 10m}], start: {cron: "0 6 * * *"}}
)"));
  ASSERT_EQ(c.programs.size(), 1u);
  EXPECT_TRUE(c.programs[0].zones.at(0).fallback);
}

TEST(ScheduleConfigTest, ReportsEachMistakeWithItsPlace) {
  EXPECT_EQ(errors_of(farm_with(R"(
programs:
  - name: a
    zones: [{zone: z9, for: 5m}, {zone: z1, for: 0s}]
    budget: 500%
    start: [{cron: "0 5 * * *", sunrise: 1h}, {moonrise: 1h}, {sunset: -13h}]
    windows: ["5:00-8:00", "08:00-08:00"]
  - name: a
    zones: []
watering_windows: ["25:00-26:00"]
rain_delay: {for: 1h}
)")),
            (std::vector<std::string>{
                "farm.yaml:18:13: unknown zone 'z9' in program 'a'",
                "farm.yaml:18:50: for must be between 1s and 1d, got 0s",
                "farm.yaml:19:13: budget must be a percentage from 1% to 300%, got '500%'",
                "farm.yaml:20:13: programs[0].start[0] must hold exactly one of cron, sunrise or "
                "sunset",
                "farm.yaml:20:48: unknown start 'moonrise'; expected cron, sunrise or sunset",
                "farm.yaml:20:72: an offset from sunrise or sunset must be at most 12h either way",
                "farm.yaml:21:15: expected a window like \"05:00-08:00\", got '5:00-8:00'",
                "farm.yaml:21:28: window '08:00-08:00' is empty",
                "farm.yaml:22:11: duplicate program name 'a' (first at line 17:11)",
                "farm.yaml:23:12: programs[1].zones needs at least one zone",
                "farm.yaml:24:20: expected a window like \"05:00-08:00\", got '25:00-26:00'",
                "farm.yaml:25:13: missing required key 'when' in rain_delay",
            }));
}

TEST(ScheduleConfigTest, FallbackProgramMustExistAndWaterTheZone) {
  EXPECT_EQ(errors_of(yaml(R"(
zones:
  - {id: z1, fallback_program: nope}
  - {id: z2, fallback_program: only-z1}
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: simulated}}
  - {id: valve-z1, type: valve, line: main, zone: z1, max_runtime: 40m, driver: {type: simulated}}
  - {id: valve-z2, type: valve, line: main, zone: z2, max_runtime: 40m, driver: {type: simulated}}
lines:
  - id: main
programs:
  - {name: only-z1, zones: [{zone: z1, for: 10m}], start: {cron: "0 6 * * *"}}
)")),
            (std::vector<std::string>{
                "farm.yaml:2:32: zone 'z1': unknown fallback_program 'nope'; programs: only-z1",
                "farm.yaml:3:32: zone 'z2': fallback_program 'only-z1' does not water it; add "
                "{zone: z2, for: ...} to its zones",
            }));
}

}  // namespace
}  // namespace farmgate::config

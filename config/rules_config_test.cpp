// The rules: and location: sections: what is read, the hysteresis form, and each mistake with the
// message `farmgate check` prints. (Expressions themselves are checked by rules/check.h.)
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/test_util.h"

namespace farmgate::config {
namespace {

using namespace farmgate::config::testing;

// kSmallFarm (lines 1-9), a plant watering z1 (lines 10-14), then `rules` from line 15.
std::string farm_with_rules(std::string_view rules) {
  return yaml(kSmallFarm) + yaml(R"(
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: simulated}}
  - {id: valve-z1, type: valve, line: main, zone: z1, max_runtime: 40m, driver: {type: simulated}}
lines:
  - id: main
)") + yaml(rules);
}

TEST(RulesConfigTest, ReadsARuleWithEveryKindOfAction) {
  const Config c = load_ok(farm_with_rules(R"(
rules:
  - name: dry-z1
    when: z1.soil.moisture < 30
    for: 2m
    cooldown: 30m
    then:
      - irrigate: {zone: z1, for: 20m, until: "z1.soil.moisture >= 45"}
      - alarm: {message: "Vườn bưởi khô", severity: warning}
      - publish: {topic: farm/notice, payload: dry, retain: true}
      - stop: {zone: z1}
)"));
  ASSERT_EQ(c.rules.size(), 1u);
  const Rule& r = c.rules[0];
  EXPECT_EQ(r.name, "dry-z1");
  EXPECT_EQ(r.when.text, "z1.soil.moisture < 30");
  EXPECT_EQ(r.when.line, 17);
  EXPECT_EQ(r.when.column, 11);
  EXPECT_EQ(r.hold, Millis{120'000});
  EXPECT_EQ(r.cooldown, Millis{1'800'000});
  ASSERT_EQ(r.then.size(), 4u);
  EXPECT_EQ(r.then[0].kind, RuleAction::Kind::irrigate);
  EXPECT_EQ(r.then[0].duration, Millis{1'200'000});
  EXPECT_EQ(r.then[0].until.text, "z1.soil.moisture >= 45");
  EXPECT_EQ(r.then[0].until.column, 48) << "one past the opening quote";
  EXPECT_EQ(r.then[1].kind, RuleAction::Kind::alarm);
  EXPECT_EQ(r.then[1].message, "Vườn bưởi khô");
  EXPECT_EQ(r.then[1].severity, "warning");
  EXPECT_EQ(r.then[2].kind, RuleAction::Kind::publish);
  EXPECT_TRUE(r.then[2].retain);
  EXPECT_EQ(r.then[3].kind, RuleAction::Kind::stop);
}

TEST(RulesConfigTest, HysteresisBecomesWhenAndUntil) {
  const Config c = load_ok(farm_with_rules(R"(
rules:
  - name: dry-z1
    hysteresis: {value: z1.soil.moisture, start_below: 30, stop_above: 45.5}
    then: {irrigate: {zone: z1, for: 20m}}
)"));
  ASSERT_EQ(c.rules.size(), 1u);
  EXPECT_EQ(c.rules[0].when.text, "z1.soil.moisture < 30");
  EXPECT_EQ(c.rules[0].then[0].until.text, "z1.soil.moisture >= 45.5");
  EXPECT_EQ(c.rules[0].when.line, 17);
}

TEST(RulesConfigTest, EachMistakeIsReportedWhereItIs) {
  const auto errors = errors_of(farm_with_rules(R"(
rules:
  - name: a
    when: z1.soil.moisture < 30
    hysteresis: {value: z1.soil.moisture, start_below: 30, stop_above: 45}
    then: {irrigate: {zone: z1, for: 20m}}
  - name: b
    when: "  "
    then: {water: {zone: z1}}
  - name: c
    hysteresis: {value: z1.soil.moisture, start_below: 45, stop_above: 30}
    then: {irrigate: {zone: z2, for: 20m}}
  - name: d
    when: z1.soil.moisture < 30
    then: {irrigate: {zone: z9, for: 48h}}
  - name: e
    when: z1.soil.moisture < 30
    then: [{publish: {topic: "a/#", payload: x}}, {alarm: {message: m, severity: loud}}]
)"));
  const std::vector<std::string> expected{
      "farm.yaml:16:5: rules[0] needs either when: or hysteresis:, not both",
      "farm.yaml:21:11: the expression is empty",
      "farm.yaml:22:12: unknown action 'water'; expected irrigate, stop, alarm or publish",
      "farm.yaml:24:72: stop_above (30) must be greater than start_below (45)",
      // Zones are checked once the whole file is read: they may be written after the rules.
      "farm.yaml:25:11: zone 'z2' of rule 'c' has no valve; add an actuator with type: valve "
      "and zone: z2",
      "farm.yaml:28:11: unknown zone 'z9' in rule 'd'",
      "farm.yaml:28:38: for must be between 1s and 1d, got 2d",
      "farm.yaml:31:30: a topic to publish on cannot be empty or hold + or #",
      "farm.yaml:31:82: unknown severity 'loud'; expected info, warning or alarm",
  };
  EXPECT_EQ(errors, expected);
}

TEST(RulesConfigTest, ReadsTheLocationAndRefusesImpossibleDegrees) {
  const Config c = load_ok(yaml(kSmallFarm) + "location: {latitude: 10.03, longitude: 105.78}\n");
  EXPECT_TRUE(c.location.set);
  EXPECT_DOUBLE_EQ(c.location.latitude, 10.03);
  EXPECT_EQ(only_error(yaml(kSmallFarm) + "location: {latitude: 100, longitude: 105.78}\n"),
            "farm.yaml:10:22: latitude must be between -90 and 90 degrees");
}

}  // namespace
}  // namespace farmgate::config

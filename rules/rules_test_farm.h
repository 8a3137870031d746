// A small farm in YAML for the rule runtime's tests (check_test, engine_test): two zones with a
// soil probe each, a valve per zone on one line. Test code only.
#pragma once

#include <string>

namespace farmgate::rules::testing {

// Rules are appended after this text, starting with "rules:".
inline std::string farm_yaml(const std::string& extra, const std::string& timezone = "UTC") {
  return "site: demo-farm\ntimezone: " + timezone + R"(
zones:
  - id: z1
  - id: z2
kinds:
  soil:
    moisture: {unit: "%", min: 0, max: 100}
devices:
  - {id: soil-z1, kind: soil, zone: z1}
  - {id: soil-z2, kind: soil, zone: z2}
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 25m, driver: {type: simulated}}
  - {id: valve-z1, type: valve, line: main, zone: z1, max_runtime: 30m, driver: {type: simulated}}
  - {id: valve-z2, type: valve, line: main, zone: z2, max_runtime: 30m, driver: {type: simulated}}
lines:
  - {id: main}
)" + extra;
}

// The line the first line of `extra` is on.
inline constexpr int kFirstExtraLine = 18;

}  // namespace farmgate::rules::testing

// The reference farm's configuration, built in code for sensor unit tests.
#pragma once

#include "config/config.h"

namespace farmgate::sensors::testing {

inline config::Config reference_farm() {
  config::Config c;
  c.zones = {{"z1", "Vườn bưởi"}, {"z2", "Vườn cam"}};
  c.kinds = {
      {"soil", {{"moisture", "%", 0, 100}, {"temp_c", "°C", -10, 70}, {"ec", "mS/cm", 0, 20}}},
      {"flow", {{"rate", "L/min", 0, 1000}, {"total", "L", 0, 1e12}}}};
  // flow-main has no zone: it publishes on farm/site/flow-main/telemetry.
  c.devices = {{"soil-z1", "soil", "z1", {}}, {"soil-z2", "soil", "z2", {}}, {"flow-main", "flow", "", {}}};
  c.mqtt_sources = {{"field", "farm/{zone}/{device}/telemetry", 1, 16 * 1024}};
  return c;
}

}  // namespace farmgate::sensors::testing

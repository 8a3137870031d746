// Modbus sensor sources (config type `modbus`): RS485 (RTU) or TCP buses polled for registers.
// Documented in docs/sensors.md. Owned by the Modbus sensor work (issue 6).
#pragma once

#include <string>

namespace farmgate::config {

struct ModbusSource {
  std::string name;
};

}  // namespace farmgate::config

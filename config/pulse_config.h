// Pulse flow meters on a GPIO line (config type `gpio_pulse`): edges counted through libgpiod,
// turned into a flow rate and a litre total with the meter's K-factor. Documented in
// docs/sensors.md.
#pragma once

#include <string>

namespace farmgate::config {

struct PulseSource {
  std::string name;
};

}  // namespace farmgate::config

// Pulse flow meters on a GPIO line (config type `gpio_pulse`): rising edges counted through
// libgpiod, turned into a flow rate and a litre total with the meter's K-factor, and published as
// readings of a flow device. Run by sensors/pulse/pulse_source.h; documented in
// docs/sensors/pulse.md.
#pragma once

#include <optional>
#include <string>

#include "core/time.h"

namespace farmgate::config {

// How the line's internal resistor is set when it is requested (libgpiod 1.6 bias flags).
enum class PulseBias { as_is, disable, pull_up, pull_down };

const char* to_string(PulseBias b);

struct PulseSource {
  std::string name;
  std::string device;  // a Device whose kind has the `rate` and `total` metrics
  // The line is `offset` on `chip`, or the line called `line_name`: on `chip` when the file gives
  // one, else searched on every chip. `line:` in the file is either.
  std::string chip = "gpiochip0";  // name, /dev path, label or number, as gpiod_chip_open_lookup
  bool chip_given = false;
  std::optional<unsigned> offset;
  std::string line_name;
  double k_factor = 0;    // pulses per litre, > 0
  Millis interval{5000};  // a reading at least this often
  // An edge closer than this to the last one counted is a glitch (contact bounce, noise).
  Millis debounce{1};
  // No pulse for this long and the water has stopped: rate 0, published at once.
  Millis idle_after{3000};
  // The running total is saved beside the data at most this often (and at stop).
  Millis save_interval{60'000};
  PulseBias bias = PulseBias::as_is;
  std::string rate = "rate";    // the device kind's metric for L/min
  std::string total = "total";  // ... and for the litre counter
};

}  // namespace farmgate::config

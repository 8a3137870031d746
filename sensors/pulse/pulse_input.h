// PulseInput: one GPIO line requested for rising-edge events, the seam between the pulse source
// and libgpiod, so that tests feed timestamped edges through a fake (fake_pulse_input.h) and no
// GPIO chip is needed. Releasing the request is the destructor's job.
//
// Edge times are the kernel's own stamps, taken when the interrupt fired, on the steady clock's
// time base: what the rate and the debounce are computed from, so that a reader thread that runs
// late does not bend them.
//
// Thread contract: one thread at a time (the source's counting thread).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "core/time.h"

namespace farmgate::sensors::pulse {

class PulseInput {
 public:
  virtual ~PulseInput() = default;
  // Blocks for at most `timeout` until the line has edges, then appends the time of each rising
  // edge waiting (none when the timeout passed) to `edges`, oldest first. An error means the line
  // is no longer usable; the caller opens it again.
  virtual Result<void> wait(Millis timeout, std::vector<SteadyTime>& edges) = 0;
  // Where the edges come from, for messages: "gpiochip0 line 17".
  virtual std::string describe() const = 0;
};

// Opens the configured line and requests its rising edges with the configured bias, as
// `consumer` (the label `gpioinfo` shows). Errors (code gpio_open, gpio_request) carry the errno
// text.
using PulseOpener = std::function<Result<std::unique_ptr<PulseInput>>(const config::PulseSource&,
                                                                      std::string_view consumer)>;

// The real opener: libgpiod v1.
Result<std::unique_ptr<PulseInput>> open_gpio_pulse_input(const config::PulseSource& config,
                                                          std::string_view consumer);

// "gpiochip0 line 17" or "line 'FLOW_IN'": the configured line as people read it.
std::string describe_line(const config::PulseSource& config);

}  // namespace farmgate::sensors::pulse

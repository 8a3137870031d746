// GpioRelay: a relay on a GPIO line of the gateway itself (a Raspberry Pi relay HAT), through the
// kernel's GPIO character device (libgpiod v1). The line is requested as an output at start(),
// driven OFF from the first instant, and held until stop(). A command writes the line and reads
// it back: the read-back is the confirmation. Active-low boards are handled by the request flag,
// so every value here is logical (true = relay on).
//
// `auto_off` is ignored: a GPIO line has no timer of its own, so only the supervisor's timer (and
// `farmgate safe-state` after a crash) ends a run. Note that a released line keeps its last level
// on most chips: stop() does not switch the relay off, the supervisor's safe state does.
//
// Thread contract: an ActuatorDriver (driver.h) — owner thread only. The line operations are
// non-blocking ioctls, so they run inline; reports are posted, never delivered inside set().
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "actuators/driver.h"
#include "actuators/scheduler.h"
#include "config/config.h"

namespace farmgate::actuators {

// One requested output line: the seam between the driver and libgpiod, so tests can inject a
// fake. Releasing the request is the destructor's job.
class GpioLine {
 public:
  virtual ~GpioLine() = default;
  virtual Result<void> write(bool on) = 0;
  virtual Result<bool> read() = 0;
};

// Opens the configured line and requests it as an output at OFF, with `consumer` as the label
// `gpioinfo` shows. Errors carry the errno text.
using GpioOpener =
    std::function<Result<std::unique_ptr<GpioLine>>(const config::GpioConfig&, std::string_view)>;

// The real opener: libgpiod v1 (gpiod_chip_open_lookup + offset, or gpiod_line_find by name).
Result<std::unique_ptr<GpioLine>> open_gpio_line(const config::GpioConfig& config,
                                                 std::string_view consumer);

class GpioRelay final : public ActuatorDriver {
 public:
  GpioRelay(std::string id, const config::DriverConfig& config, Scheduler& scheduler,
            GpioOpener open = open_gpio_line);
  ~GpioRelay() override;

  Result<void> start(Listener listener) override;
  void set(bool on, Millis auto_off) override;
  void stop() override;

  // `farmgate safe-state`: requests the line at OFF (which drives it), reads it back and releases
  // it. Blocks only for the ioctls. Any thread.
  static Result<void> drive_off(const std::string& id, const config::GpioConfig& config,
                                const GpioOpener& open = open_gpio_line);

 private:
  void post(DriverReport report);

  const std::string id_;
  const config::GpioConfig config_;
  Scheduler& scheduler_;
  const GpioOpener open_;
  std::unique_ptr<GpioLine> line_;
  Listener listener_;
  // Posted reports check it, so none is delivered after stop() or destruction.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace farmgate::actuators

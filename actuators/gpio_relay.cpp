#include "actuators/gpio_relay.h"

#include <gpiod.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace farmgate::actuators {
namespace {

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

std::string describe(const config::GpioConfig& c) {
  if (!c.line_name.empty()) return "GPIO line '" + c.line_name + "'";
  return "GPIO " + c.chip + " offset " + std::to_string(c.offset.value_or(0));
}

struct ChipCloser {
  void operator()(gpiod_chip* chip) const { gpiod_chip_close(chip); }
};
using ChipPtr = std::unique_ptr<gpiod_chip, ChipCloser>;

// A requested line and the chip it belongs to. The line object is owned by the chip, so it is
// released before the chip closes.
class LibgpiodLine final : public GpioLine {
 public:
  LibgpiodLine(ChipPtr chip, gpiod_line* line) : chip_(std::move(chip)), line_(line) {}
  ~LibgpiodLine() override { gpiod_line_release(line_); }
  LibgpiodLine(const LibgpiodLine&) = delete;
  LibgpiodLine& operator=(const LibgpiodLine&) = delete;

  Result<void> write(bool on) override {
    if (gpiod_line_set_value(line_, on ? 1 : 0) != 0) {
      return make_error("gpio_write", "cannot set the line: " + errno_text(errno));
    }
    return {};
  }
  Result<bool> read() override {
    const int v = gpiod_line_get_value(line_);
    if (v < 0) return make_error("gpio_read", "cannot read the line back: " + errno_text(errno));
    return v == 1;
  }

 private:
  ChipPtr chip_;
  gpiod_line* line_;
};

}  // namespace

Result<std::unique_ptr<GpioLine>> open_gpio_line(const config::GpioConfig& config,
                                                 std::string_view consumer) {
  ChipPtr chip;
  gpiod_line* line = nullptr;
  if (!config.line_name.empty()) {
    // gpiod_line_find opens the chip that has the line; we own that chip from here on.
    errno = 0;
    line = gpiod_line_find(config.line_name.c_str());
    if (line == nullptr) {
      const int err = errno;
      return make_error("gpio_open", describe(config) + ": " +
                                         (err == ENOENT || err == 0 ? "no chip has such a line"
                                                                    : errno_text(err)));
    }
    chip.reset(gpiod_line_get_chip(line));
  } else {
    chip.reset(gpiod_chip_open_lookup(config.chip.c_str()));
    if (!chip) {
      return make_error("gpio_open",
                        "cannot open GPIO chip " + config.chip + ": " + errno_text(errno));
    }
    const unsigned lines = gpiod_chip_num_lines(chip.get());
    if (config.offset.value_or(0) >= lines) {
      return make_error("gpio_open", describe(config) + ": the chip has only " +
                                         std::to_string(lines) + " lines");
    }
    line = gpiod_chip_get_line(chip.get(), config.offset.value_or(0));
    if (line == nullptr) {
      return make_error("gpio_open", describe(config) + ": " + errno_text(errno));
    }
  }
  const int flags = config.active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
  const std::string label(consumer);
  if (gpiod_line_request_output_flags(line, label.c_str(), flags, 0) != 0) {
    return make_error("gpio_request",
                      "cannot request " + describe(config) + " as output: " + errno_text(errno));
  }
  return std::unique_ptr<GpioLine>(std::make_unique<LibgpiodLine>(std::move(chip), line));
}

GpioRelay::GpioRelay(std::string id, const config::DriverConfig& config, Scheduler& scheduler,
                     GpioOpener open)
    : id_(std::move(id)), config_(config.gpio), scheduler_(scheduler), open_(std::move(open)) {}

GpioRelay::~GpioRelay() {
  stop();
}

Result<void> GpioRelay::start(Listener listener) {
  auto line = open_(config_, "farmgate:" + id_);
  if (!line) return line.error();
  line_ = std::move(line).value();
  listener_ = std::move(listener);
  return {};
}

void GpioRelay::stop() {
  *alive_ = false;
  listener_ = nullptr;
  line_.reset();
}

void GpioRelay::post(DriverReport report) {
  std::weak_ptr<bool> alive = alive_;
  scheduler_.post([this, alive, report = std::move(report)] {
    if (auto a = alive.lock(); a && *a && listener_) listener_(report);
  });
}

void GpioRelay::set(bool on, Millis /*auto_off: a GPIO line has no timer*/) {
  if (!*alive_) return;
  const std::string what = describe(config_) + (on ? " ON" : " OFF") + ": ";
  if (!line_) return post({DriverReport::Kind::failed, on, what + "the line is not requested"});
  if (auto w = line_->write(on); !w) {
    return post({DriverReport::Kind::failed, on, what + w.error().message});
  }
  auto back = line_->read();
  if (!back) return post({DriverReport::Kind::failed, on, what + back.error().message});
  if (*back != on) {
    // Another process (or a kernel driver) holds the level; the relay is not what we asked.
    return post({DriverReport::Kind::failed, on,
                 what + "the line reads " + (*back ? "ON" : "OFF") + " after the write"});
  }
  post({DriverReport::Kind::confirmed, on, {}});
}

Result<void> GpioRelay::drive_off(const std::string& id, const config::GpioConfig& config,
                                  const GpioOpener& open) {
  auto line = open(config, "farmgate:" + id + ":safe-state");
  if (!line) return line.error();
  // The request itself drove the line OFF; writing again costs nothing and says so explicitly.
  if (auto w = (*line)->write(false); !w) return w;
  auto back = (*line)->read();
  if (!back) return back.error();
  if (*back) return make_error("gpio_readback", describe(config) + " still reads ON");
  return {};
}

}  // namespace farmgate::actuators

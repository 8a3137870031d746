#include "sensors/pulse/pulse_input.h"

#include <gpiod.h>
#include <time.h>

#include <cerrno>
#include <cstdint>
#include <system_error>
#include <utility>

namespace farmgate::sensors::pulse {
namespace {

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

struct ChipCloser {
  void operator()(gpiod_chip* chip) const { gpiod_chip_close(chip); }
};
using ChipPtr = std::unique_ptr<gpiod_chip, ChipCloser>;

std::int64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

int bias_flags(config::PulseBias b) {
  switch (b) {
    case config::PulseBias::as_is:
      return 0;
    case config::PulseBias::disable:
      return GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE;
    case config::PulseBias::pull_up:
      return GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP;
    case config::PulseBias::pull_down:
      return GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN;
  }
  return 0;
}

// A line requested for rising edges and the chip it belongs to. The line object is owned by the
// chip, so it is released before the chip closes.
class LibgpiodPulseInput final : public PulseInput {
 public:
  LibgpiodPulseInput(ChipPtr chip, gpiod_line* line, std::string what)
      : chip_(std::move(chip)), line_(line), what_(std::move(what)) {}
  ~LibgpiodPulseInput() override { gpiod_line_release(line_); }
  LibgpiodPulseInput(const LibgpiodPulseInput&) = delete;
  LibgpiodPulseInput& operator=(const LibgpiodPulseInput&) = delete;

  Result<void> wait(Millis timeout, std::vector<SteadyTime>& edges) override {
    const timespec ts{static_cast<time_t>(timeout.count() / 1000),
                      static_cast<long>(timeout.count() % 1000) * 1'000'000};
    const int ready = gpiod_line_event_wait(line_, &ts);
    if (ready < 0) {
      if (errno == EINTR) return {};
      return make_error("gpio_wait", what_ + ": " + errno_text(errno));
    }
    if (ready == 0) return {};
    // The kernel queues 16 events per line; read them all at once.
    gpiod_line_event events[16];
    const int n = gpiod_line_event_read_multiple(line_, events, 16);
    if (n < 0) return make_error("gpio_read", what_ + ": " + errno_text(errno));
    // Kernels before 5.7 stamp events with CLOCK_REALTIME, later ones with CLOCK_MONOTONIC (the
    // steady clock): whichever the stamp is nearer to now is the one it was taken on.
    const std::int64_t mono = clock_ns(CLOCK_MONOTONIC);
    const std::int64_t real = clock_ns(CLOCK_REALTIME);
    for (int i = 0; i < n; ++i) {
      if (events[i].event_type != GPIOD_LINE_EVENT_RISING_EDGE) continue;
      std::int64_t ns = std::int64_t{events[i].ts.tv_sec} * 1'000'000'000 + events[i].ts.tv_nsec;
      const auto distance = [ns](std::int64_t now) { return ns > now ? ns - now : now - ns; };
      if (distance(real) < distance(mono)) ns -= real - mono;
      edges.push_back(SteadyTime{
          std::chrono::duration_cast<SteadyTime::duration>(std::chrono::nanoseconds{ns})});
    }
    return {};
  }

  std::string describe() const override { return what_; }

 private:
  ChipPtr chip_;
  gpiod_line* line_;
  std::string what_;
};

}  // namespace

std::string describe_line(const config::PulseSource& c) {
  if (!c.line_name.empty()) {
    return (c.chip_given ? c.chip + " " : std::string()) + "line '" + c.line_name + "'";
  }
  return c.chip + " line " + std::to_string(c.offset.value_or(0));
}

Result<std::unique_ptr<PulseInput>> open_gpio_pulse_input(const config::PulseSource& config,
                                                          std::string_view consumer) {
  const std::string what = describe_line(config);
  ChipPtr chip;
  gpiod_line* line = nullptr;
  if (!config.line_name.empty() && !config.chip_given) {
    // gpiod_line_find opens the chip that has the line; we own that chip from here on.
    errno = 0;
    line = gpiod_line_find(config.line_name.c_str());
    if (line == nullptr) {
      const int err = errno;
      return make_error(
          "gpio_open",
          what + ": " + (err == ENOENT || err == 0 ? "no chip has such a line" : errno_text(err)));
    }
    chip.reset(gpiod_line_get_chip(line));
  } else {
    chip.reset(gpiod_chip_open_lookup(config.chip.c_str()));
    if (!chip) {
      return make_error("gpio_open",
                        "cannot open GPIO chip " + config.chip + ": " + errno_text(errno));
    }
    if (!config.line_name.empty()) {
      errno = 0;
      line = gpiod_chip_find_line(chip.get(), config.line_name.c_str());
      if (line == nullptr) {
        const int err = errno;
        return make_error("gpio_open", what + ": " +
                                           (err == ENOENT || err == 0 ? "the chip has no such line"
                                                                      : errno_text(err)));
      }
    } else {
      const unsigned lines = gpiod_chip_num_lines(chip.get());
      if (config.offset.value_or(0) >= lines) {
        return make_error("gpio_open",
                          what + ": the chip has only " + std::to_string(lines) + " lines");
      }
      line = gpiod_chip_get_line(chip.get(), config.offset.value_or(0));
      if (line == nullptr) return make_error("gpio_open", what + ": " + errno_text(errno));
    }
  }
  const std::string label(consumer);
  if (gpiod_line_request_rising_edge_events_flags(line, label.c_str(), bias_flags(config.bias)) !=
      0) {
    return make_error("gpio_request",
                      "cannot request " + what + " for edge events: " + errno_text(errno));
  }
  return std::unique_ptr<PulseInput>(
      std::make_unique<LibgpiodPulseInput>(std::move(chip), line, what));
}

}  // namespace farmgate::sensors::pulse

// DataView and TimeView: the two things an Expression reads when it is evaluated. The rule
// runtime implements them over its reading history and the site's clock, timezone and sun
// tables; tests use rules/expr_fakes.h. Both are called only from inside
// Expression::evaluate(), on the thread that evaluates, and must not block (no SQLite, no I/O):
// evaluation runs on the event-loop thread on every reading.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/time.h"
#include "rules/expr_catalogue.h"

namespace farmgate::rules {

enum class DataStatus : std::uint8_t {
  ok,
  no_data,    // nothing recorded (for a window: nothing inside it)
  unhealthy,  // the runtime does not trust this series now (sensor fault, stale, out of range)
};

struct Latest {
  DataStatus status = DataStatus::no_data;
  double value = 0;  // meaningful when status == ok
  Timestamp time{};  // when `value` was measured
};

// The readings of one series with from <= time <= to. Fields are meaningful when status == ok,
// which requires count >= 1.
struct WindowStats {
  DataStatus status = DataStatus::no_data;
  std::size_t count = 0;
  double avg = 0;  // arithmetic mean of the readings
  double min = 0;
  double max = 0;
  double first = 0;  // the earliest reading in the window
  double last = 0;   // the latest reading in the window
};

class DataView {
 public:
  virtual ~DataView() = default;
  virtual Latest latest(const SeriesKey& series) const = 0;
  virtual WindowStats window(const SeriesKey& series, Timestamp from, Timestamp to) const = 0;
};

// Local (site timezone) calendar facts about an instant. nullopt means "not known", e.g. the
// clock is not synchronised yet or the sun does not rise that day; the condition is then unknown.
class TimeView {
 public:
  virtual ~TimeView() = default;
  // Time since local midnight, in [0, 24h).
  virtual std::optional<Millis> time_of_day(Timestamp now) const = 0;
  virtual std::optional<std::chrono::weekday> weekday(Timestamp now) const = 0;
  // Today's sunrise and sunset as local times of day.
  virtual std::optional<Millis> sunrise(Timestamp now) const = 0;
  virtual std::optional<Millis> sunset(Timestamp now) const = 0;
};

}  // namespace farmgate::rules

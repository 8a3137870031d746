// Clock: the only way farmgate code reads the time, so that tests and the simulator can drive a
// fake one. SystemClock is thread-safe; FakeClock is thread-safe too (tests advance it from the
// test thread while the code under test reads it).
#pragma once

#include <atomic>
#include <chrono>

#include "core/time.h"

namespace farmgate {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, for stamps.
  virtual Timestamp now() const = 0;
  // Monotonic time, for intervals, timeouts and backoff.
  virtual SteadyTime steady_now() const = 0;
  // True once the wall clock can be trusted for stamps and calendars.
  bool synchronised() const { return to_epoch_ms(now()) >= kPlausibleEpochMs; }
};

class SystemClock final : public Clock {
 public:
  Timestamp now() const override {
    return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  }
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp start = from_epoch_ms(1'767'225'600'000))  // 2026-01-01T00:00Z
      : wall_ms_(to_epoch_ms(start)) {}

  Timestamp now() const override { return from_epoch_ms(wall_ms_.load()); }
  SteadyTime steady_now() const override { return SteadyTime{} + Millis{steady_ms_.load()}; }

  void advance(Millis d) {
    wall_ms_ += d.count();
    steady_ms_ += d.count();
  }
  // Jumps the wall clock only, as NTP does after boot.
  void set_wall(Timestamp t) { wall_ms_ = to_epoch_ms(t); }

 private:
  std::atomic<std::int64_t> wall_ms_;
  std::atomic<std::int64_t> steady_ms_{0};
};

}  // namespace farmgate

// Scheduler: the timers and the hand-off the actuator code runs on, so that the supervisor and the
// drivers run on a fake clock in tests and on the gateway's io_context in the daemon
// (gateway/actuation.cpp). Everything scheduled runs on the owner thread — the one thread that
// owns the supervisor and its drivers.
//
// Thread contract: after(), cancel() and now() on the owner thread only. post() from any thread:
// it is how a foreign thread (Paho's callback thread) hands work to the owner thread.
#pragma once

#include <cstdint>
#include <functional>

#include "core/time.h"

namespace farmgate::actuators {

class Scheduler {
 public:
  using TimerId = std::uint64_t;  // never 0, so 0 can mean "no timer"

  virtual ~Scheduler() = default;
  // Runs `fn` on the owner thread once `delay` has passed (delay <= 0: soon, never inline).
  virtual TimerId after(Millis delay, std::function<void()> fn) = 0;
  // The timer's `fn` will not run. Unknown, fired or cancelled ids are ignored.
  virtual void cancel(TimerId id) = 0;
  // Runs `fn` on the owner thread soon. Any thread.
  virtual void post(std::function<void()> fn) = 0;
  // The monotonic time timers are measured on.
  virtual SteadyTime now() const = 0;
};

}  // namespace farmgate::actuators

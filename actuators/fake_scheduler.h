// FakeScheduler: a Scheduler on a FakeClock for tests. Nothing runs until the test advances time;
// then timers fire in time order (ties in the order they were set), each with the clock set to
// its own instant, so a test sees exactly what happens at which millisecond. Test code only; one
// thread.
#pragma once

#include <functional>
#include <map>
#include <utility>

#include "actuators/scheduler.h"
#include "core/clock.h"

namespace farmgate::actuators::testing {

class FakeScheduler final : public Scheduler {
 public:
  explicit FakeScheduler(FakeClock& clock) : clock_(clock) {}

  TimerId after(Millis delay, std::function<void()> fn) override {
    const TimerId id = next_id_++;
    const SteadyTime at = clock_.steady_now() + std::max(delay, Millis{0});
    timers_.emplace(Key{at, id}, std::move(fn));
    return id;
  }
  void cancel(TimerId id) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        timers_.erase(it);
        return;
      }
    }
  }
  void post(std::function<void()> fn) override { (void)after(Millis{0}, std::move(fn)); }
  SteadyTime now() const override { return clock_.steady_now(); }

  // Runs every timer due within `d`, then leaves the clock at now + d.
  void advance(Millis d) {
    const SteadyTime end = clock_.steady_now() + d;
    while (!timers_.empty() && timers_.begin()->first.first <= end) {
      auto it = timers_.begin();
      const SteadyTime at = it->first.first;
      auto fn = std::move(it->second);
      timers_.erase(it);
      if (at > clock_.steady_now()) clock_.advance(std::chrono::duration_cast<Millis>(at - now()));
      fn();
      if (on_step) on_step();
    }
    if (end > clock_.steady_now()) clock_.advance(std::chrono::duration_cast<Millis>(end - now()));
  }
  // Runs one due-or-next timer; false when none is left.
  bool step() {
    if (timers_.empty()) return false;
    const SteadyTime at = timers_.begin()->first.first;
    advance(std::chrono::duration_cast<Millis>(std::max(at - now(), SteadyTime::duration{0})));
    return true;
  }
  std::size_t pending() const { return timers_.size(); }
  // Called after every timer that fires: tests check invariants here.
  std::function<void()> on_step;

 private:
  using Key = std::pair<SteadyTime, TimerId>;
  FakeClock& clock_;
  std::map<Key, std::function<void()>> timers_;
  TimerId next_id_ = 1;
};

}  // namespace farmgate::actuators::testing

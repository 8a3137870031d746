#include "actuators/simulated.h"

#include <utility>

namespace farmgate::actuators {

SimulatedRelay::SimulatedRelay(Scheduler& scheduler, Millis latency, Millis confirm_timeout)
    : scheduler_(scheduler), latency_(latency), confirm_timeout_(confirm_timeout) {}

SimulatedRelay::~SimulatedRelay() {
  stop();
}

Result<void> SimulatedRelay::start(Listener listener) {
  listener_ = std::move(listener);
  return {};
}

void SimulatedRelay::stop() {
  for (auto* t : {&act_timer_, &confirm_timer_, &auto_off_timer_}) {
    scheduler_.cancel(*t);
    *t = 0;
  }
  listener_ = nullptr;
}

void SimulatedRelay::report(DriverReport r) {
  if (listener_) listener_(r);
}

void SimulatedRelay::set(bool on, Millis auto_off) {
  ++commands_;
  scheduler_.cancel(act_timer_);
  scheduler_.cancel(confirm_timer_);
  // The same confirm timeout a real relay gets: a silent device is a failed command.
  confirm_timer_ = scheduler_.after(confirm_timeout_, [this, on] {
    confirm_timer_ = 0;
    scheduler_.cancel(act_timer_);
    act_timer_ = 0;
    report({DriverReport::Kind::failed, on, "actuator not responding"});
  });
  if (dead_) return;
  act_timer_ = scheduler_.after(latency_, [this, on, auto_off] {
    act_timer_ = 0;
    apply(on, auto_off);
    if (mute_) return;
    scheduler_.cancel(confirm_timer_);
    confirm_timer_ = 0;
    report({DriverReport::Kind::confirmed, on, {}});
  });
}

void SimulatedRelay::apply(bool on, Millis auto_off) {
  on_ = on;
  scheduler_.cancel(auto_off_timer_);
  auto_off_timer_ = 0;
  if (on && auto_off > Millis{0}) {
    auto_off_timer_ = scheduler_.after(auto_off, [this] {
      auto_off_timer_ = 0;
      on_ = false;
      if (!mute_) report({DriverReport::Kind::changed, false, {}});
    });
  }
}

void SimulatedRelay::press(bool on) {
  apply(on, Millis{0});
  if (!mute_) report({DriverReport::Kind::changed, on, {}});
}

}  // namespace farmgate::actuators

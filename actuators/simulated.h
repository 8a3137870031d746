// SimulatedRelay: an in-process relay for tests and demos. It answers a command after `latency`,
// keeps the device-level auto-off it is given, and lets a test break it the ways real relays
// break: not answering at all, acting without answering, being switched by hand.
//
// Thread contract: the owner (Scheduler) thread only, like every ActuatorDriver; the test knobs
// too.
#pragma once

#include <string>

#include "actuators/driver.h"
#include "actuators/scheduler.h"

namespace farmgate::actuators {

class SimulatedRelay final : public ActuatorDriver {
 public:
  SimulatedRelay(Scheduler& scheduler, Millis latency, Millis confirm_timeout);
  ~SimulatedRelay() override;

  Result<void> start(Listener listener) override;
  void set(bool on, Millis auto_off) override;
  void stop() override;

  // What the relay physically is (tests check interlocks against it).
  bool physically_on() const { return on_; }
  // A dead relay ignores commands; a mute one obeys but never says so.
  void set_dead(bool dead) { dead_ = dead; }
  void set_mute(bool mute) { mute_ = mute; }
  // Someone switches it at the device (or it reboots into a state).
  void press(bool on);
  int commands() const { return commands_; }

 private:
  void report(DriverReport r);
  void apply(bool on, Millis auto_off);

  Scheduler& scheduler_;
  const Millis latency_;
  const Millis confirm_timeout_;
  Listener listener_;
  bool on_ = false;
  bool dead_ = false;
  bool mute_ = false;
  int commands_ = 0;
  Scheduler::TimerId act_timer_ = 0;
  Scheduler::TimerId confirm_timer_ = 0;
  Scheduler::TimerId auto_off_timer_ = 0;
};

}  // namespace farmgate::actuators

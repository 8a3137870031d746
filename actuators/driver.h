// ActuatorDriver: one relay (a pump's or a valve's) as the safety supervisor sees it. Drivers only
// switch and report; every decision about when and for how long belongs to the supervisor
// (supervisor.h), which is the only caller of set().
//
// Thread contract: every method is called on the owner thread (the Scheduler's), and the listener
// is only ever called on that thread too, and never from inside set() — a driver that hears from
// a foreign thread (an MQTT callback) posts to the Scheduler first. After stop() returns the
// listener is not called again.
//
// Reports: every set() ends in exactly one `confirmed` (the device says it is in the commanded
// state) or one `failed` (it did not say so within the driver's confirm timeout), unless a later
// set() supersedes it first. A state the device reports on its own (a button, its own auto-off, a
// reboot) arrives as `changed`.
#pragma once

#include <functional>
#include <string>

#include "core/result.h"
#include "core/time.h"

namespace farmgate::actuators {

struct DriverReport {
  enum class Kind { confirmed, failed, changed };
  Kind kind = Kind::confirmed;
  bool on = false;      // confirmed/changed: the device's state; failed: the state commanded
  std::string message;  // failed: why, for the alarm
};

class ActuatorDriver {
 public:
  using Listener = std::function<void(const DriverReport&)>;

  virtual ~ActuatorDriver() = default;

  // Subscribes or opens what the driver needs. Called once, before any set().
  virtual Result<void> start(Listener listener) = 0;
  // Commands the relay. `auto_off` (on only; 0 = none) is how long the device itself may keep
  // the relay on, where the device can enforce that (Tasmota PulseTime): a second layer under
  // the supervisor's own timer. Never blocks.
  virtual void set(bool on, Millis auto_off) = 0;
  virtual void stop() = 0;
};

}  // namespace farmgate::actuators

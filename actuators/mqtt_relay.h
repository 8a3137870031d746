// MqttRelay: a relay switched over MQTT in the common Tasmota/Shelly style. A command goes to the
// command topic as payload_on/payload_off; the device reports its state on the state topic; a
// command counts as done only when that report matches within confirm_timeout, and as failed
// ("actuator not responding") otherwise. With pulse_time, every ON is preceded by the device's own
// auto-off (Tasmota PulseTime) for the lease, so the relay turns itself off even if farmgate dies.
// Retrying, alarms and "no second ON" are the supervisor's (supervisor.h); this stays small.
//
// Thread contract: an ActuatorDriver (driver.h) — owner thread only. The MQTT handler runs on the
// bus's thread and only posts the payload to the Scheduler.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "actuators/driver.h"
#include "actuators/scheduler.h"
#include "config/config.h"
#include "core/mqtt.h"

namespace farmgate::actuators {

// The value of Tasmota's PulseTime for a device-level auto-off of at most `d`: 1..111 are
// 0.1 s .. 11.1 s in 0.1 s steps, 112..64900 are value-100 seconds. Rounded down, so the device
// never keeps the relay on longer than asked; at least 1 for any d > 0, and 0 (no auto-off) for
// d <= 0. Capped at 64900 (18 h).
int tasmota_pulse_time(Millis d);

class MqttRelay final : public ActuatorDriver {
 public:
  MqttRelay(std::string id, const config::DriverConfig& config, MqttBus& bus, Scheduler& scheduler);
  ~MqttRelay() override;

  Result<void> start(Listener listener) override;
  void set(bool on, Millis auto_off) override;
  void stop() override;

 private:
  void on_state(const std::string& payload);

  const std::string id_;
  const config::DriverConfig config_;
  MqttBus& bus_;
  Scheduler& scheduler_;
  Listener listener_;
  std::optional<bool> pending_;  // the command waiting for its confirmation
  std::optional<bool> reported_;
  Scheduler::TimerId confirm_timer_ = 0;
  // Handlers posted from the bus thread check it, so none runs after stop() or destruction.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace farmgate::actuators

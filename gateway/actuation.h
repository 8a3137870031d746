// Actuation: the pumps and valves of a running gateway — the drivers built from the config, the
// safety supervisor over them, and the Asio scheduler they run on. Plus run_safe_state(), the
// whole of `farmgate safe-state`, which systemd runs after every stop or crash.
//
// Lifecycle in the daemon: create() after the MQTT bus exists; start() before the bus starts
// (the relays subscribe to their state topics); the supervisor takes control — every actuator
// OFF, then commands accepted — as soon as the bus is connected. stop() before the bus stops, so
// the OFFs of the safe state go out on a live connection.
//
// Threads: everything on the io_context thread. The supervisor must only be called there too.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <unordered_map>

#include "actuators/scheduler.h"
#include "actuators/supervisor.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/health.h"
#include "core/log.h"
#include "core/mqtt.h"
#include "core/result.h"

namespace farmgate::gateway {

// actuators::Scheduler on an io_context: one steady_timer per pending timer.
class AsioScheduler final : public actuators::Scheduler {
 public:
  explicit AsioScheduler(boost::asio::io_context& io) : io_(io) {}
  ~AsioScheduler() override;
  AsioScheduler(const AsioScheduler&) = delete;
  AsioScheduler& operator=(const AsioScheduler&) = delete;

  TimerId after(Millis delay, std::function<void()> fn) override;
  void cancel(TimerId id) override;
  void post(std::function<void()> fn) override;  // any thread
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }

 private:
  boost::asio::io_context& io_;
  std::unordered_map<TimerId, std::unique_ptr<boost::asio::steady_timer>> timers_;
  TimerId next_id_ = 1;
  // Posted work checks it, so nothing runs into a destroyed scheduler's owner.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The drivers for every configured actuator (mqtt_relay over `bus`, simulated in-process).
std::map<std::string, std::unique_ptr<actuators::ActuatorDriver>> make_drivers(
    const config::Config& config, MqttBus& bus, actuators::Scheduler& scheduler);

class Actuation {
 public:
  // `observer` receives runs and state changes (the store and MQTT publishing); may be null,
  // then runs are only logged. `health` is read to learn when the MQTT bus is connected.
  Actuation(const config::Config& config, boost::asio::io_context& io, MqttBus& bus, Health& health,
            Clock& clock, EventSink& events, Logger& log, actuators::SupervisorObserver* observer);
  ~Actuation();

  Result<void> start();
  void stop();

  actuators::Supervisor& supervisor() { return *supervisor_; }

 private:
  class Observer;
  void wait_for_bus();

  Health& health_;
  Logger& log_;
  const bool needs_bus_;
  AsioScheduler scheduler_;
  std::unique_ptr<Observer> observer_;
  std::unique_ptr<actuators::Supervisor> supervisor_;
  actuators::Scheduler::TimerId wait_timer_ = 0;
};

// `farmgate safe-state`: connects to the broker (as <client_id>-safe-state, so the daemon's
// session and its queued telemetry are left alone), commands every MQTT relay OFF — pumps
// first — and waits up to `deadline` for each to confirm, re-sending OFF to those that do not.
// The device-level auto-off (PulseTime) is left as it is: it only ever shortens an ON.
// Returns the exit code: 0 when every relay confirmed OFF (or none is configured), 1 otherwise.
int run_safe_state(const config::Config& config, Logger& log, Millis deadline = Millis{15'000});

}  // namespace farmgate::gateway

#include "gateway/actuation.h"

#include <boost/asio/post.hpp>
#include <utility>

#include "actuators/gpio_relay.h"
#include "actuators/modbus_coil.h"
#include "actuators/mqtt_relay.h"
#include "actuators/simulated.h"
#include "core/metrics.h"
#include "gateway/mqtt_client.h"

namespace farmgate::gateway {

using actuators::ActuatorDriver;
using actuators::DriverReport;

// ---- AsioScheduler -------------------------------------------------------------------------

AsioScheduler::~AsioScheduler() {
  *alive_ = false;
  for (auto& [id, t] : timers_) t->cancel();
}

actuators::Scheduler::TimerId AsioScheduler::after(Millis delay, std::function<void()> fn) {
  const TimerId id = next_id_++;
  auto timer = std::make_unique<boost::asio::steady_timer>(io_);
  timer->expires_after(std::max(delay, Millis{0}));
  std::weak_ptr<bool> alive = alive_;
  timer->async_wait([this, id, alive, fn = std::move(fn)](boost::system::error_code ec) {
    auto a = alive.lock();
    if (ec || !a || !*a) return;
    timers_.erase(id);  // before fn, which may set new timers
    fn();
  });
  timers_.emplace(id, std::move(timer));
  return id;
}

void AsioScheduler::cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  // Destroying the timer cancels its wait; the handler still runs, sees operation_aborted and
  // does nothing.
  timers_.erase(it);
}

void AsioScheduler::post(std::function<void()> fn) {
  std::weak_ptr<bool> alive = alive_;
  boost::asio::post(io_, [alive, fn = std::move(fn)] {
    if (auto a = alive.lock(); a && *a) fn();
  });
}

// ---- drivers -------------------------------------------------------------------------------

std::map<std::string, std::unique_ptr<ActuatorDriver>> make_drivers(
    const config::Config& config, MqttBus& bus, actuators::Scheduler& scheduler) {
  std::map<std::string, std::unique_ptr<ActuatorDriver>> drivers;
  for (const auto& a : config.actuators) {
    switch (a.driver.type) {
      case config::DriverType::mqtt_relay:
        drivers[a.id] = std::make_unique<actuators::MqttRelay>(a.id, a.driver, bus, scheduler);
        break;
      case config::DriverType::simulated:
        drivers[a.id] = std::make_unique<actuators::SimulatedRelay>(scheduler, a.driver.sim_latency,
                                                                    a.driver.confirm_timeout);
        break;
      case config::DriverType::gpio:
        drivers[a.id] = std::make_unique<actuators::GpioRelay>(a.id, a.driver, scheduler);
        break;
      case config::DriverType::modbus_coil:
        drivers[a.id] = std::make_unique<actuators::ModbusCoil>(a.id, a.driver, scheduler);
        break;
    }
  }
  return drivers;
}

// ---- Actuation -----------------------------------------------------------------------------

// Logs every run and state change, then hands it on to the gateway's observer.
class Actuation::Observer final : public actuators::SupervisorObserver {
 public:
  Observer(Logger& log, actuators::SupervisorObserver* next) : log_(log), next_(next) {}

  void run_started(const actuators::RunRecord& r) override {
    log_.info("actuators", "run " + std::to_string(r.id) + ": zone " + r.zone + " for " +
                               std::to_string(r.granted.count() / 1000) + " s (" +
                               actuators::to_string(r.reason) + ", " + r.who + ")");
    if (next_) next_->run_started(r);
  }
  void run_finished(const actuators::RunRecord& r) override {
    log_.info("actuators", "run " + std::to_string(r.id) + ": zone " + r.zone + " " + r.outcome +
                               (r.detail.empty() ? "" : " (" + r.detail + ")"));
    if (next_) next_->run_finished(r);
  }
  void actuator_changed(const actuators::ActuatorState& s) override {
    if (next_) next_->actuator_changed(s);
  }

 private:
  Logger& log_;
  actuators::SupervisorObserver* next_;
};

namespace {

bool any_mqtt_relay(const config::Config& config) {
  for (const auto& a : config.actuators) {
    if (a.driver.type == config::DriverType::mqtt_relay) return true;
  }
  return false;
}

bool bus_up(const Health& health) {
  for (const auto& c : health.snapshot()) {
    if (c.name == "mqtt") return c.status == Health::Status::up;
  }
  return false;
}

}  // namespace

Actuation::Actuation(const config::Config& config, boost::asio::io_context& io, MqttBus& bus,
                     Health& health, Clock& clock, EventSink& events, Logger& log,
                     actuators::SupervisorObserver* observer)
    : health_(health),
      log_(log),
      needs_bus_(any_mqtt_relay(config)),
      scheduler_(io),
      observer_(std::make_unique<Observer>(log, observer)) {
  supervisor_ = std::make_unique<actuators::Supervisor>(config.actuators, config.lines,
                                                        make_drivers(config, bus, scheduler_),
                                                        scheduler_, clock, events, *observer_);
}

Actuation::~Actuation() {
  stop();
}

Result<void> Actuation::start() {
  if (auto r = supervisor_->start(); !r) return r;
  wait_for_bus();
  return {};
}

// The bus says nothing when it connects; health does. A 100 ms look costs nothing.
void Actuation::wait_for_bus() {
  if (!needs_bus_ || bus_up(health_)) {
    supervisor_->take_control();
    log_.info("actuators", "every actuator commanded off; taking commands");
    return;
  }
  wait_timer_ = scheduler_.after(Millis{100}, [this] {
    wait_timer_ = 0;
    wait_for_bus();
  });
}

void Actuation::stop() {
  if (!supervisor_) return;
  scheduler_.cancel(wait_timer_);
  wait_timer_ = 0;
  supervisor_->stop();
  supervisor_.reset();
}

// ---- farmgate safe-state -------------------------------------------------------------------

namespace {

// Switches off, one after the other and on this thread, every GPIO and Modbus actuator of `type`.
// Returns how many did not confirm OFF.
int wired_off(const config::Config& config, config::ActuatorType type, Logger& log) {
  int failures = 0;
  for (const auto& a : config.actuators) {
    if (a.type != type) continue;
    Result<void> r;
    if (a.driver.type == config::DriverType::gpio) {
      r = actuators::GpioRelay::drive_off(a.id, a.driver.gpio);
    } else if (a.driver.type == config::DriverType::modbus_coil) {
      r = actuators::ModbusCoil::drive_off(a.driver.modbus);
    } else {
      continue;
    }
    if (r) {
      log.info("safe-state", a.id + " is off");
    } else {
      log.error("safe-state", a.id + " did not confirm OFF: " + r.error().message);
      ++failures;
    }
  }
  return failures;
}

int mqtt_safe_state(const config::Config& config, Logger& log, Millis deadline);

}  // namespace

// Pumps first, whatever switches them: a pump must not be the last thing running on its line. So
// the wired pumps, then the MQTT relays (pumps before valves, as they confirm), then the wired
// valves.
int run_safe_state(const config::Config& config, Logger& log, Millis deadline) {
  int failures = wired_off(config, config::ActuatorType::pump, log);
  const int mqtt = mqtt_safe_state(config, log, deadline);
  failures += wired_off(config, config::ActuatorType::valve, log);
  return (failures == 0 && mqtt == 0) ? 0 : 1;
}

namespace {

int mqtt_safe_state(const config::Config& config, Logger& log, Millis deadline) {
  if (!any_mqtt_relay(config)) {
    log.info("safe-state", "no MQTT relays configured");
    return 0;
  }
  boost::asio::io_context io;
  Metrics metrics;
  Health health;
  config::MqttConfig mqtt = config.mqtt;
  mqtt.client_id += "-safe-state";
  PahoBus bus(io, mqtt, config.site + "/safe-state", metrics, log, health);
  AsioScheduler scheduler(io);

  struct Relay {
    const config::Actuator* cfg;
    std::unique_ptr<actuators::MqttRelay> driver;
    bool confirmed = false;
  };
  std::vector<Relay> relays;
  // Pumps first: a pump must not be the last thing running on its line.
  for (auto type : {config::ActuatorType::pump, config::ActuatorType::valve}) {
    for (const auto& a : config.actuators) {
      if (a.type != type || a.driver.type != config::DriverType::mqtt_relay) continue;
      relays.push_back(
          {&a, std::make_unique<actuators::MqttRelay>(a.id, a.driver, bus, scheduler), false});
    }
  }
  std::size_t confirmed = 0;
  for (auto& r : relays) {
    Relay* relay = &r;
    (void)r.driver->start([&, relay](const DriverReport& rep) {
      if (relay->confirmed) return;
      if (!rep.on && rep.kind != DriverReport::Kind::failed) {
        relay->confirmed = true;
        log.info("safe-state", relay->cfg->id + " is off");
        if (++confirmed == relays.size()) io.stop();
      } else {
        relay->driver->set(false, Millis{0});  // not yet: ask again
      }
    });
  }
  if (auto r = bus.start(); !r) {
    log.error("safe-state", "cannot connect to MQTT: " + r.error().message);
    return 1;
  }
  std::function<void()> send_when_connected = [&] {
    if (!bus_up(health)) {
      (void)scheduler.after(Millis{50}, send_when_connected);
      return;
    }
    for (auto& r : relays) r.driver->set(false, Millis{0});
  };
  send_when_connected();
  (void)scheduler.after(deadline, [&] { io.stop(); });
  io.run();

  int code = 0;
  for (auto& r : relays) {
    r.driver->stop();
    if (!r.confirmed) {
      log.error("safe-state", r.cfg->id + " did not confirm OFF within " +
                                  std::to_string(deadline.count() / 1000) + " s");
      code = 1;
    }
  }
  bus.stop();
  return code;
}

}  // namespace

}  // namespace farmgate::gateway

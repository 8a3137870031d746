// A test rig for the supervisor: the reference plant (pump + two valves on line main) on
// simulated relays and a fake clock, with every command sent to a driver recorded in order.
// Test code only; one thread.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actuators/fake_scheduler.h"
#include "actuators/simulated.h"
#include "actuators/supervisor.h"

namespace farmgate::actuators::testing {

using namespace std::chrono_literals;

struct Command {
  Millis at;  // since the rig started
  std::string id;
  bool on;
  Millis lease;
};

// A SimulatedRelay that records what it is told and checks "no second ON without confirmation":
// after a failed command, the next ON must wait for a confirmed OFF. It outlives supervisors, as
// a real relay outlives a crashed gateway.
class RecordingRelay {
 public:
  RecordingRelay(std::string id, FakeScheduler& s, std::vector<Command>& trace, SteadyTime t0)
      : id_(std::move(id)), sched_(s), trace_(trace), t0_(t0), relay_(s, 100ms, 5s) {
    (void)relay_.start([this](const DriverReport& r) {
      if (r.kind == DriverReport::Kind::failed) blocked_ = true;
      if (r.kind == DriverReport::Kind::confirmed && !r.on) blocked_ = false;
      if (listener_) listener_(r);
    });
  }

  void attach(ActuatorDriver::Listener l) { listener_ = std::move(l); }
  // The supervisor died without a word (kill -9): its last commands stay in flight, nothing
  // reaches it any more.
  void detach() { listener_ = nullptr; }
  void set(bool on, Millis lease) {
    if (on && blocked_) ++second_on_without_confirmation;
    trace_.push_back({std::chrono::duration_cast<Millis>(sched_.now() - t0_), id_, on, lease});
    relay_.set(on, lease);
  }
  SimulatedRelay& relay() { return relay_; }
  int second_on_without_confirmation = 0;

 private:
  std::string id_;
  FakeScheduler& sched_;
  std::vector<Command>& trace_;
  SteadyTime t0_;
  SimulatedRelay relay_;
  ActuatorDriver::Listener listener_;
  bool blocked_ = false;
};

// What the supervisor owns: a handle on a RecordingRelay that goes dead when the rig crashes it.
class RelayHandle final : public ActuatorDriver {
 public:
  RelayHandle(RecordingRelay& r, const bool& crashed) : r_(r), crashed_(crashed) {}
  Result<void> start(Listener l) override {
    r_.attach(std::move(l));
    return {};
  }
  void set(bool on, Millis lease) override {
    if (!crashed_) r_.set(on, lease);
  }
  void stop() override {
    if (!crashed_) r_.detach();
  }

 private:
  RecordingRelay& r_;
  const bool& crashed_;
};

class RecordingEvents final : public EventSink {
 public:
  void raise(Event e) override { events.push_back(std::move(e)); }
  int count(const std::string& code) const {
    int n = 0;
    for (const auto& e : events) n += e.code == code ? 1 : 0;
    return n;
  }
  std::vector<Event> events;
};

class RecordingObserver final : public SupervisorObserver {
 public:
  void run_started(const RunRecord& r) override { started.push_back(r); }
  void run_finished(const RunRecord& r) override { finished.push_back(r); }
  std::vector<RunRecord> started;
  std::vector<RunRecord> finished;
};

inline config::Actuator actuator(std::string id, config::ActuatorType type, std::string zone,
                                 Millis max_runtime, Millis min_off = 0ms) {
  config::Actuator a;
  a.id = std::move(id);
  a.type = type;
  a.line = "main";
  a.zone = std::move(zone);
  a.max_runtime = max_runtime;
  a.min_off = min_off;
  a.driver.type = config::DriverType::simulated;
  a.driver.confirm_timeout = 5s;
  return a;
}

struct Rig {
  explicit Rig(std::size_t max_open_valves = 1, config::FlowCheck flow = {}) {
    acts = {actuator("pump", config::ActuatorType::pump, "", 25min, 2min),
            actuator("valve-z1", config::ActuatorType::valve, "z1", 30min),
            actuator("valve-z2", config::ActuatorType::valve, "z2", 30min)};
    config::Line line;
    line.id = "main";
    line.max_open_valves = max_open_valves;
    line.flow = std::move(flow);
    lines = {line};
    for (const auto& a : acts) {
      relays[a.id] = std::make_unique<RecordingRelay>(a.id, sched, trace, t0);
    }
    build();
  }
  ~Rig() {
    sup.reset();
    old.clear();
  }

  void build() {
    crashed = std::make_unique<bool>(false);
    std::map<std::string, std::unique_ptr<ActuatorDriver>> drivers;
    for (const auto& a : acts) {
      drivers[a.id] = std::make_unique<RelayHandle>(*relays[a.id], *crashed);
    }
    sup = std::make_unique<Supervisor>(acts, lines, std::move(drivers), sched, clock, events,
                                       observer);
  }
  void start() {
    ASSERT_TRUE(sup->start().ok());
    sup->take_control();
    sched.advance(1s);
    trace.clear();
  }
  // kill -9: the supervisor vanishes without switching anything; a new one starts later.
  void crash() {
    for (auto& [id, r] : relays) r->detach();
    *crashed = true;
    old.push_back(std::move(sup));
    old_crashed.push_back(std::move(crashed));
  }
  void restart() {
    build();
    ASSERT_TRUE(sup->start().ok());
    sup->take_control();
  }
  const ActuatorState& state(const std::string& id) {
    states = sup->actuators();
    for (const auto& s : states) {
      if (s.id == id) return s;
    }
    throw std::out_of_range(id);
  }
  bool on(const std::string& id) { return state(id).commanded_on; }
  SimulatedRelay& relay(const std::string& id) { return relays.at(id)->relay(); }
  Millis elapsed() const { return std::chrono::duration_cast<Millis>(sched.now() - t0); }

  FakeClock clock;
  FakeScheduler sched{clock};
  SteadyTime t0 = clock.steady_now();
  std::vector<Command> trace;
  RecordingEvents events;
  RecordingObserver observer;
  std::vector<config::Actuator> acts;
  std::vector<config::Line> lines;
  std::map<std::string, std::unique_ptr<RecordingRelay>> relays;
  std::unique_ptr<bool> crashed;
  std::unique_ptr<Supervisor> sup;
  // Crashed supervisors are kept (never destroyed while the rig runs, as a dead process runs no
  // destructor); their timers are still in the scheduler, so they are made harmless instead.
  std::vector<std::unique_ptr<Supervisor>> old;
  std::vector<std::unique_ptr<bool>> old_crashed;
  std::vector<ActuatorState> states;
};

}  // namespace farmgate::actuators::testing

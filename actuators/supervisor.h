// Supervisor: the safety supervisor, the only thing that switches actuator drivers. Every command
// source (rules, schedules, the phone, MQTT commands) asks it, and it says yes with a lease or no
// with a reason. What it guarantees (docs/actuators.md; modelled in supervisor.pml):
//   - nothing stays commanded ON past its max_runtime: each ON arms its own hard timer, and the
//     device's own auto-off (Tasmota PulseTime) is set to the lease as a second layer;
//   - a pump is commanded ON only while a valve on its line is confirmed open; the valve opens
//     first and the pump starts pump_start_delay later; the pump stops first and the valve closes
//     valve_close_delay after the pump confirmed OFF (or at the valve's own max_runtime);
//   - min_off between a pump's runs, max_open_valves per line, one run per zone;
//   - an OFF is never delayed; a relay that does not confirm is faulted: alarm, OFF retried with
//     backoff, no ON until it confirms an OFF;
//   - safe_state() commands every actuator OFF at once, pumps first;
//   - on a line with a flow meter (config::FlowCheck): no flow for verify_after while the pump
//     runs, or more than max_lpm, stops the line's runs with an alarm (no_flow, burst) and locks
//     the line for `lockout`; flow while everything is off raises a leak alarm; every run gets
//     the volume the meter counted during it.
//
// Thread contract: everything on the owner thread (the Scheduler's, the gateway's io_context).
// Drivers, observer and event sink are called from that thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actuators/driver.h"
#include "actuators/scheduler.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/reading.h"
#include "core/result.h"

namespace farmgate::actuators {

enum class RunReason { rule, schedule, manual, remote };
const char* to_string(RunReason r);
std::optional<RunReason> parse_run_reason(std::string_view s);

// One irrigation run of one zone, from the valve's ON command to its confirmed OFF.
struct RunRecord {
  std::uint64_t id = 0;
  std::string zone;
  std::string line;
  std::vector<std::string> actuators;  // the valve, then the pump
  Timestamp start{};
  Timestamp end{};  // unset while running
  RunReason reason = RunReason::manual;
  std::string who;
  Millis requested{0};
  Millis granted{0};  // the requested time cut to what max_runtime allows
  // "running", then one of: completed, stopped, max_runtime, failed, device_off, safe_state,
  // no_flow, burst.
  std::string outcome = "running";
  std::string detail;  // for a person: who stopped it and why, which relay failed
  // Litres the line's flow meter counted from the valve's ON to the end; unset without a meter.
  // When several zones of a line run at once, each run counts the whole line's flow.
  std::optional<double> volume_l;
};

struct RunGrant {
  std::uint64_t run_id = 0;
  Millis duration{0};  // pumping time granted
};

struct ActuatorState {
  std::string id;
  config::ActuatorType type = config::ActuatorType::valve;
  std::string line;
  std::string zone;
  bool commanded_on = false;     // what the supervisor last asked for
  bool pending = false;          // that command is not confirmed yet
  bool faulted = false;          // the relay stopped answering; no ON until it confirms an OFF
  std::optional<bool> reported;  // what the device last said
  SteadyTime on_since{};         // when the current ON was commanded
};

struct ZoneState {
  std::string zone;
  std::string valve;
  std::optional<RunRecord> run;  // the run in progress
};

// Where runs and state changes go (the gateway stores and publishes them). Owner thread.
class SupervisorObserver {
 public:
  virtual ~SupervisorObserver() = default;
  virtual void run_started(const RunRecord&) {}
  virtual void run_finished(const RunRecord&) {}
  virtual void actuator_changed(const ActuatorState&) {}
};

class Supervisor {
 public:
  // `drivers` holds one driver per configured actuator id. The config lists must outlive nothing:
  // they are copied.
  Supervisor(const std::vector<config::Actuator>& actuators, const std::vector<config::Line>& lines,
             std::map<std::string, std::unique_ptr<ActuatorDriver>> drivers, Scheduler& scheduler,
             Clock& clock, EventSink& events, SupervisorObserver& observer);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Starts the drivers (subscribes to their state topics). Commands are refused as not_ready
  // until take_control().
  Result<void> start();
  // Drives every actuator to its safe state (off) and starts taking commands. Called once the
  // drivers can reach their devices (the MQTT bus is connected), so that the OFFs are not lost.
  void take_control();
  // safe_state("stop") and stops the drivers; nothing is called after it returns.
  void stop();

  // Waters `zone` for `duration` of pumping, cut to what max_runtime allows. Refusals carry
  // their reason in Error::message, e.g. "min_off: pump rested 40 s of 120 s".
  Result<RunGrant> irrigate(const std::string& zone, Millis duration, RunReason reason,
                            const std::string& who);
  // Ends the zone's run now (pump first when it is the last open valve).
  Result<void> stop_zone(const std::string& zone, const std::string& reason,
                         const std::string& who);
  // Ends every run in the normal order (pumps first, valves after their delay).
  void stop_all(const std::string& reason);
  // Any reading; those of a line's flow meter drive the flow checks and run volumes.
  void on_reading(const Reading& r);
  // Every actuator OFF now, pumps first; runs end with outcome safe_state.
  void safe_state(const std::string& reason);

  std::vector<ActuatorState> actuators() const;
  std::vector<ZoneState> zones() const;
  // No run, nothing commanded on, no command waiting for its confirmation.
  bool quiescent() const;
  // The first run id this supervisor hands out (default 1); set before the first irrigate(), so
  // that ids keep counting across restarts of the gateway.
  void set_next_run_id(std::uint64_t id) { next_run_id_ = std::max(next_run_id_, id); }

 private:
  struct Act;
  struct LineState;
  struct Run;

  void on_report(Act& a, const DriverReport& r);
  void command(Act& a, bool on, Millis lease = Millis{0});
  void on_hard_limit(Act& a);
  void fault(Act& a, const std::string& why);
  void retry_off(Act& a);
  void end_run(Run& r, const std::string& outcome, const std::string& detail);
  void end_runs_on(LineState& l, const std::string& outcome, const std::string& detail);
  void reconcile();
  void reconcile(LineState& l, std::optional<SteadyTime>& wake);
  void arm_flow_check(LineState& l);
  void flow_fault(LineState& l, const std::string& code, const std::string& message);
  void finish_run(Run& r, Timestamp end);
  void raise(Severity s, const std::string& code, const std::string& message);
  ActuatorState snapshot(const Act& a) const;
  Run* run_of_zone(std::string_view zone);

  Scheduler& scheduler_;
  Clock& clock_;
  EventSink& events_;
  SupervisorObserver& observer_;
  std::vector<std::unique_ptr<Act>> acts_;
  std::vector<std::unique_ptr<LineState>> lines_;
  std::vector<std::unique_ptr<Run>> runs_;
  std::uint64_t next_run_id_ = 1;
  Scheduler::TimerId wake_timer_ = 0;
  bool reconciling_ = false;
  bool in_control_ = false;
  bool stopped_ = false;
};

}  // namespace farmgate::actuators

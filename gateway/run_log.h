// RunLog: the gateway's SupervisorObserver — where irrigation runs and actuator changes go.
//   - Every run goes to the store's run log: its row is inserted at the start and completed at
//     the end, and the store queues the `irrigation` line for the uplinks in the same transaction
//     (gateway/store/store.h).
//   - Every run start and end is published as JSON on farmgate/<site>/runs (QoS 1, not retained).
//   - Each zone's state is published retained on farmgate/<site>/zones/<zone>/state whenever its
//     valve, its line's pump or its run changes (and only when the JSON changes).
//
// The zone state also carries the zone's latest readings (on_reading(), from ingest); changes
// that only move readings are published at most every kReadingsEvery per zone, so a fast sensor
// does not flood the broker with retained messages. The last run from before a restart comes
// from the store (restore()).
//
// Threads: the observer calls come on the supervisor's owner thread (the io_context), and so must
// the other calls. The store and the bus take work from any thread without blocking for long.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "actuators/supervisor.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/mqtt.h"
#include "core/reading.h"
#include "core/run.h"
#include "gateway/store/store.h"

namespace farmgate::gateway {

class RunLog final : public actuators::SupervisorObserver {
 public:
  // `actuators` is the configured list: it names each zone's valve and the pump of its line.
  // `store` and `bus` must outlive the RunLog and stay usable until the supervisor stopped.
  static constexpr Millis kReadingsEvery{5'000};

  RunLog(std::string site, const std::vector<config::Actuator>& actuators, store::Store& store,
         MqttBus& bus, Clock& clock);

  // The zones' last runs from before this start (Store::recover_runs()), before any run starts.
  void restore(const std::vector<IrrigationRun>& last);
  // A reading that was accepted; those of a zone with a valve go into its state.
  void on_reading(const Reading& r);

  void run_started(const actuators::RunRecord& run) override;
  void run_finished(const actuators::RunRecord& run) override;
  void actuator_changed(const actuators::ActuatorState& state) override;

  // The JSON published on farmgate/<site>/runs, e.g.
  // {"site":"demo-farm","id":3,"zone":"z1","line":"main","actuators":["valve-z1","pump"],
  //  "start":1767225600000,"end":null,"reason":"rule","who":"rule:dry-z1","requested_ms":600000,
  //  "granted_ms":600000,"outcome":"running","detail":"","volume_l":null}
  // Times are epoch milliseconds; ids keep counting across restarts (the store's run log).
  std::string run_json(const actuators::RunRecord& run) const;
  // The JSON published retained for `zone` (empty for a zone with no valve), e.g.
  // {"site":"demo-farm","zone":"z1",
  //  "valve":{"id":"valve-z1","state":"on","commanded":"on","pending":false,"faulted":false},
  //  "pump":{"id":"pump","state":"off",...} or null,
  //  "run":{"id":3,"start":...,"reason":"rule","who":"...","granted_ms":600000} or null,
  //  "last_run":{"id":2,"start":...,"end":...,"reason":"manual","outcome":"completed",
  //              "volume_l":120.5 or null} or null,
  //  "readings":{"soil-z1":{"moisture":{"value":31.5,"unit":"%","ts":1767225600000},...},...}}
  // "state" is what the relay last reported: "on", "off" or "unknown".
  std::string zone_state_json(const std::string& zone) const;

  // The store's value for a supervisor record.
  static IrrigationRun to_store(const actuators::RunRecord& run);

  // A zone as the REST API shows it: what the relays last reported ("on", "off", "unknown";
  // pump "" when the zone's line has none), its run, its last run, its latest readings.
  struct ZoneView {
    std::string valve;
    std::string pump;
    std::optional<actuators::RunRecord> run;
    std::optional<actuators::RunRecord> last;
    std::map<std::string, std::map<std::string, Reading>> readings;  // device -> metric
  };
  std::optional<ZoneView> view(const std::string& zone) const;
  // Called whenever a zone's published state changed (the API's live stream).
  void on_zone_changed(std::function<void(const std::string& zone)> f) {
    zone_changed_ = std::move(f);
  }

 private:
  struct Zone {
    std::string valve;
    std::string pump;  // the pump of the valve's line; empty if none is configured
    std::optional<actuators::RunRecord> run;
    std::optional<actuators::RunRecord> last;
    // device -> metric -> its latest reading
    std::map<std::string, std::map<std::string, Reading>> readings;
    std::string published;  // the last state JSON sent
    SteadyTime published_at{};
  };

  void publish_zone(const std::string& zone);
  void append_actuator(std::string& out, const std::string& id) const;

  Clock& clock_;
  const std::string site_;
  const std::string runs_topic_;
  store::Store& store_;
  MqttBus& bus_;
  std::map<std::string, Zone> zones_;
  std::map<std::string, actuators::ActuatorState> actuators_;  // by id, as last reported
  std::function<void(const std::string&)> zone_changed_;
};

}  // namespace farmgate::gateway

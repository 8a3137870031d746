// The closed loop in fake time: the reference farm (config/examples/farm.yaml) watered for 14
// simulated days by the real rules engine through the real safety supervisor, with the
// simulator's farm model (sensors/sim/farm_model.h) as the soil, the pump line and the flow meter.
// Everything is in-process on a FakeClock: no MQTT, no processes, no sleeps.
//
// Each step of the loop (5 s of farm time):
//   - the scheduler runs the supervisor's and the relays' timers; after every timer the relays'
//     physical states go to the farm model, at the millisecond they changed;
//   - the flow meter reports rate and total every 5 s (the supervisor's flow checks need a
//     reading well within verify_after), the soil probes and the tank every minute, as the MQTT
//     decoder would hand them over (device, zone, kind, metric, unit, time), to the supervisor
//     then the engine, in the daemon's order (gateway/daemon.cpp on_live);
//   - the engine ticks.
//
// "In band" is the soil's true moisture (not the noisy probe) within [start_below − 2,
// stop_above + 2] of the zone's hysteresis rule, i.e. [28, 47] % for the reference farm, sampled
// every simulated minute. The model's default drying (0.3–1 %/h) needs a run per zone about every
// day, so the reference parameters are used as they are.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "actuators/fake_scheduler.h"
#include "actuators/simulated.h"
#include "actuators/supervisor.h"
#include "config/loader.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/log.h"
#include "gateway/rule_actions.h"
#include "rules/engine.h"
#include "sensors/sim/farm_model.h"

namespace farmgate {
namespace {

using namespace std::chrono_literals;
using actuators::RunRecord;
using actuators::Supervisor;
using actuators::testing::FakeScheduler;

constexpr Millis kStep = 5s;         // flow meter period and engine tick
constexpr Millis kSoilPeriod = 60s;  // soil probes and tank
constexpr Millis kDuration = std::chrono::days{14};
constexpr Millis kRelayLatency = 100ms;
constexpr double kBandMargin = 2.0;  // % either side of the hysteresis thresholds
constexpr std::uint64_t kSeed = 7;

config::Config load_reference_farm() {
  const config::EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "FARMGATE_DATA_DIR") return "/tmp/farmgate-closed-loop";
    return std::nullopt;  // everything else takes the file's defaults
  };
  config::LoadResult r =
      config::load_config(std::string(FARMGATE_SOURCE_DIR) + "/config/examples/farm.yaml", env);
  if (auto* errors = std::get_if<std::vector<config::ConfigError>>(&r)) {
    for (const auto& e : *errors) ADD_FAILURE() << e.to_string();
    throw std::runtime_error("config/examples/farm.yaml does not load");
  }
  return std::get<config::Config>(std::move(r));
}

class RecordingEvents final : public EventSink {
 public:
  void raise(Event e) override { events.push_back(std::move(e)); }
  std::vector<Event> events;
};

class QuietLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view, std::string_view) override {}
};

class RunObserver final : public actuators::SupervisorObserver {
 public:
  void run_started(const RunRecord& r) override { started.push_back(r); }
  void run_finished(const RunRecord& r) override { finished.push_back(r); }
  std::vector<RunRecord> started;
  std::vector<RunRecord> finished;
};

// The farm has no broker: rule `publish` actions go nowhere (the reference farm has none).
class NullBus final : public MqttBus {
 public:
  void subscribe(const std::string&, int, Handler) override {}
  void publish(const std::string&, const std::string&, int, bool) override {}
};

// What one zone saw over the run.
struct ZoneReport {
  std::string zone;
  double band_low = 0, band_high = 0;
  long minutes = 0, minutes_in_band = 0;  // sampled while the zone is still watched
  double min_moisture = 100, max_moisture = 0;
  int runs = 0;
  Millis longest_run{0};
  double litres = 0;     // from RunRecord::volume_l
  double delivered = 0;  // what the model's valve passed
  double in_band() const { return minutes ? 100.0 * minutes_in_band / minutes : 0; }
};

// The farm and farmgate's actuation and rules, wired in-process.
class ClosedLoopFarm {
 public:
  ClosedLoopFarm()
      : config_(load_reference_farm()),
        start_(clock_.now()),
        model_(sim::FarmParams{}, kSeed, start_) {
    std::map<std::string, std::unique_ptr<actuators::ActuatorDriver>> drivers;
    for (const config::Actuator& a : config_.actuators) {
      auto relay = std::make_unique<actuators::SimulatedRelay>(sched_, kRelayLatency,
                                                               a.driver.confirm_timeout);
      relays_[a.id] = {relay.get(), false};
      drivers[a.id] = std::move(relay);
    }
    supervisor_ = std::make_unique<Supervisor>(config_.actuators, config_.lines, std::move(drivers),
                                               sched_, clock_, events_, observer_);
    // The gateway's own glue between the rules and the supervisor.
    actions_ = std::make_unique<gateway::RuleActions>(*supervisor_, events_, bus_, clock_);
    engine_ = std::make_unique<rules::Engine>(config_, clock_, *actions_, log_);
    sched_.on_step = [this] { sync_relays(); };
    for (std::size_t k = 0; k < model_.zone_count(); ++k) {
      ZoneReport z;
      z.zone = model_.params().zones[k].zone;
      for (const config::Rule& rule : config_.rules) {
        // The hysteresis rule of the zone: `z1.soil.moisture < 30` with until `... >= 45`.
        if (rule.then.empty() || rule.then[0].zone != z.zone) continue;
        z.band_low = threshold(rule.when.text) - kBandMargin;
        z.band_high = threshold(rule.until_from_hysteresis.text) + kBandMargin;
      }
      zones_.push_back(z);
    }
  }
  ~ClosedLoopFarm() {
    engine_.reset();
    supervisor_->stop();
  }

  // soil-<zone> stops reporting once `when` says so (checked every step).
  std::function<bool(ClosedLoopFarm&)> kill_probe_when;
  std::string doomed_zone = "z1";

  void run(Millis duration) {
    ASSERT_TRUE(supervisor_->start().ok());
    supervisor_->take_control();
    const auto wall0 = std::chrono::steady_clock::now();
    Millis since_soil = kSoilPeriod;
    for (Millis t{0}; t < duration; t += kStep) {
      sched_.advance(kStep);
      const Timestamp now = clock_.now();
      model_.advance(now);
      if (!probe_dead_at_ && kill_probe_when && kill_probe_when(*this)) probe_dead_at_ = now;
      const sim::FlowSample flow = model_.flow();
      deliver(reading("flow-main", "rate", flow.rate_lpm, now));
      deliver(reading("flow-main", "total", flow.total_litres, now));
      since_soil += kStep;
      if (since_soil >= kSoilPeriod) {
        since_soil = Millis{0};
        soil_minute(now);
      }
      engine_->tick();
    }
    wall_ = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  wall0);
    for (ZoneReport& z : zones_) {
      for (const RunRecord& r : observer_.finished) {
        if (r.zone != z.zone) continue;
        ++z.runs;
        z.longest_run = std::max(z.longest_run, r.end - r.start);
        z.litres += r.volume_l.value_or(0);
      }
    }
    for (std::size_t k = 0; k < zones_.size(); ++k) {
      zones_[k].delivered = model_.delivered_litres(k);
    }
  }

  void print_report() const {
    std::printf("closed loop: %lld simulated days in %.2f s of wall time\n",
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::hours>(elapsed()).count() / 24),
                static_cast<double>(wall_.count()) / 1000.0);
    for (const ZoneReport& z : zones_) {
      std::printf(
          "  zone %s: in band [%.0f, %.0f] %% %.2f %% of %ld min (moisture %.1f..%.1f), %d runs, "
          "longest %.1f min, %.1f L metered (%.1f L through the valve)\n",
          z.zone.c_str(), z.band_low, z.band_high, z.in_band(), z.minutes, z.min_moisture,
          z.max_moisture, z.runs, static_cast<double>(z.longest_run.count()) / 60'000.0, z.litres,
          z.delivered);
    }
    std::printf("  water: %.1f L in runs, flow meter total %.1f L, longest pump run %.1f min\n",
                run_litres(), model_.flow().total_litres,
                static_cast<double>(longest_pump_on_.count()) / 60'000.0);
  }

  Millis elapsed() const { return clock_.now() - start_; }
  Millis wall() const { return wall_; }
  const ZoneReport& zone(const std::string& id) const {
    for (const auto& z : zones_) {
      if (z.zone == id) return z;
    }
    throw std::out_of_range(id);
  }
  double run_litres() const {
    double sum = 0;
    for (const auto& z : zones_) sum += z.litres;
    return sum;
  }
  double meter_litres() const { return model_.flow().total_litres; }
  Millis longest_pump_on() const { return longest_pump_on_; }
  std::optional<Timestamp> probe_dead_at() const { return probe_dead_at_; }
  Timestamp start() const { return start_; }
  const config::Config& config() const { return config_; }
  const std::vector<RunRecord>& runs_started() const { return observer_.started; }
  const std::vector<RunRecord>& runs_finished() const { return observer_.finished; }
  const std::vector<Event>& events() const { return events_.events; }
  std::vector<rules::SeriesHealth> series_health() const { return engine_->health(); }
  std::optional<RunRecord> running(const std::string& zone) const {
    for (const auto& z : supervisor_->zones()) {
      if (z.zone == zone) return z.run;
    }
    return std::nullopt;
  }

 private:
  struct RelayView {
    actuators::SimulatedRelay* relay;  // owned by the supervisor
    bool applied;                      // what the model was last told
  };

  static double threshold(const std::string& expr) {
    return std::stod(expr.substr(expr.find_last_of("<=>") + 1));
  }

  // After every timer: a relay that switched switches the model at that instant.
  void sync_relays() {
    for (auto& [id, v] : relays_) {
      const bool on = v.relay->physically_on();
      if (on == v.applied) continue;
      v.applied = on;
      model_.set_relay(id, on, clock_.now());
      if (id != "pump") continue;
      if (on) {
        pump_on_since_ = clock_.steady_now();
      } else {
        const auto ran = std::chrono::duration_cast<Millis>(clock_.steady_now() - pump_on_since_);
        longest_pump_on_ = std::max(longest_pump_on_, ran);
      }
    }
  }

  void soil_minute(Timestamp now) {
    for (std::size_t k = 0; k < zones_.size(); ++k) {
      ZoneReport& z = zones_[k];
      const bool dead = probe_dead_at_ && z.zone == doomed_zone;
      const sim::SoilSample s = model_.sample_soil(k, now);
      if (!dead) {
        const std::string device = "soil-" + z.zone;
        deliver(reading(device, "moisture", s.moisture, now));
        deliver(reading(device, "temp_c", s.temp_c, now));
        deliver(reading(device, "ec", s.ec, now));
        // A zone nobody waters any more is out of the statistic from then on.
        const double m = model_.true_moisture(k);
        ++z.minutes;
        if (m >= z.band_low && m <= z.band_high) ++z.minutes_in_band;
        z.min_moisture = std::min(z.min_moisture, m);
        z.max_moisture = std::max(z.max_moisture, m);
      }
    }
    deliver(reading("tank-main", "level", model_.tank_percent(), now));
  }

  // As the decoder makes it: zone and kind from the device, unit from the kind's metric.
  Reading reading(const std::string& device, const std::string& metric, double value,
                  Timestamp t) const {
    Reading r;
    r.device = device;
    r.metric = metric;
    r.value = value;
    r.time = t;
    for (const config::Device& d : config_.devices) {
      if (d.id != device) continue;
      r.zone = d.zone;
      r.kind = d.kind;
    }
    for (const config::DeviceKind& k : config_.kinds) {
      if (k.name != r.kind) continue;
      for (const config::MetricSpec& m : k.metrics) {
        if (m.name == metric) r.unit = m.unit;
      }
    }
    return r;
  }

  void deliver(const Reading& r) {
    supervisor_->on_reading(r);
    engine_->on_reading(r);
  }

  FakeClock clock_;
  FakeScheduler sched_{clock_};
  config::Config config_;
  Timestamp start_;
  sim::FarmModel model_;
  RecordingEvents events_;
  QuietLogger log_;
  RunObserver observer_;
  std::map<std::string, RelayView> relays_;
  std::unique_ptr<Supervisor> supervisor_;
  NullBus bus_;
  std::unique_ptr<gateway::RuleActions> actions_;
  std::unique_ptr<rules::Engine> engine_;
  std::vector<ZoneReport> zones_;
  std::optional<Timestamp> probe_dead_at_;
  SteadyTime pump_on_since_{};
  Millis longest_pump_on_{0};
  Millis wall_{0};
};

Millis max_runtime_of(const config::Config& c, const std::string& id) {
  for (const auto& a : c.actuators) {
    if (a.id == id) return a.max_runtime;
  }
  throw std::out_of_range(id);
}

int count_events(const std::vector<Event>& events, const std::string& code) {
  int n = 0;
  for (const auto& e : events) n += e.code == code ? 1 : 0;
  return n;
}

// rule_input_bad warnings about one rule.
std::vector<Event> input_bad(const std::vector<Event>& events, const std::string& rule) {
  std::vector<Event> out;
  for (const auto& e : events) {
    if (e.code == "rule_input_bad" && e.message.find("'" + rule + "'") != std::string::npos) {
      out.push_back(e);
    }
  }
  return out;
}

// What both scenarios must hold to: runs within their limits, water accounted for, fast enough.
void expect_safe_and_accounted(const ClosedLoopFarm& farm) {
  const Millis valve_limit = max_runtime_of(farm.config(), "valve-z1");
  for (const RunRecord& r : farm.runs_finished()) {
    EXPECT_LE(r.end - r.start, valve_limit) << "run " << r.id << " of " << r.zone;
    EXPECT_LE(r.granted, max_runtime_of(farm.config(), "pump")) << "run " << r.id;
    EXPECT_TRUE(r.outcome == "completed" || r.outcome == "stopped")
        << "run " << r.id << " of " << r.zone << ": " << r.outcome << " " << r.detail;
    EXPECT_TRUE(r.volume_l.has_value()) << "run " << r.id;
  }
  EXPECT_LE(farm.longest_pump_on(), max_runtime_of(farm.config(), "pump"));
  for (const char* code : {"no_flow", "burst", "leak", "max_runtime"}) {
    EXPECT_EQ(count_events(farm.events(), code), 0) << code;
  }
  EXPECT_GT(farm.run_litres(), 0);
  EXPECT_NEAR(farm.run_litres(), farm.meter_litres(), 0.01 * farm.meter_litres());
  // The target is 60 s; this only catches a loop gone quadratic (sanitizers are slow).
  EXPECT_LT(farm.wall(), 180s);
}

TEST(ClosedLoopTest, FourteenDaysKeepEveryZoneInItsBand) {
  ClosedLoopFarm farm;
  farm.run(kDuration);
  farm.print_report();

  EXPECT_EQ(farm.elapsed(), kDuration);
  for (const std::string zone : {"z1", "z2"}) {
    const ZoneReport& z = farm.zone(zone);
    EXPECT_EQ(z.band_low, 28) << zone;
    EXPECT_EQ(z.band_high, 47) << zone;
    EXPECT_GE(z.in_band(), 95.0) << zone;
    // About a run a day: the loop really closed.
    EXPECT_GE(z.runs, 7) << zone;
  }
  expect_safe_and_accounted(farm);
  EXPECT_TRUE(input_bad(farm.events(), "water-z1-when-dry").empty());
  EXPECT_TRUE(input_bad(farm.events(), "water-z2-when-dry").empty());
}

// Found by the closed loop: the tank is full most of the time (it refills faster than the farm
// draws from it), so its level reads exactly 100 % for hours. That is a legitimate constant, not
// a stuck sensor: History does not call a value at an end of the metric's range stuck.
TEST(ClosedLoopTest, FullTankIsNoBadInput) {
  ClosedLoopFarm farm;
  farm.run(std::chrono::days{3});
  for (const Event& e : farm.events()) {
    std::printf("  %.3f d %s %s\n",
                static_cast<double>((e.time - farm.start()).count()) / 86'400'000.0, e.code.c_str(),
                e.message.c_str());
  }
  for (const rules::SeriesHealth& h : farm.series_health()) {
    if (h.series.device == "tank-main") {
      std::printf("  tank-main.%s: %s %s (last %.2f)\n", h.series.metric.c_str(), h.state.c_str(),
                  h.reason.c_str(), h.last_value);
    }
  }
  EXPECT_EQ(input_bad(farm.events(), "tank-low").size(), 0u);
}

TEST(ClosedLoopTest, DeadProbeMidRunStopsThatZoneOnlyAndRaisesTheAlarm) {
  ClosedLoopFarm farm;
  std::optional<RunRecord> doomed_run;
  // Day 7, ten minutes into a z1 run: soil-z1 goes silent for good.
  farm.kill_probe_when = [&](ClosedLoopFarm& f) {
    if (f.elapsed() < std::chrono::days{6}) return false;
    const auto run = f.running("z1");
    if (!run) return false;
    if (f.start() + f.elapsed() - run->start < 10min) return false;
    doomed_run = run;
    return true;
  };
  farm.run(kDuration);
  farm.print_report();

  ASSERT_TRUE(farm.probe_dead_at().has_value()) << "no z1 run after day 6";
  const Timestamp dead = *farm.probe_dead_at();
  EXPECT_LT(dead - farm.start(), std::chrono::days{7}) << "the probe died after day 7";
  std::printf("  soil-z1 went silent %.2f days in, during run %llu\n",
              static_cast<double>((dead - farm.start()).count()) / 86'400'000.0,
              static_cast<unsigned long long>(doomed_run->id));

  // The run in progress ends by its own duration: nothing knows the soil is wet enough.
  bool found = false;
  for (const RunRecord& r : farm.runs_finished()) {
    if (r.id != doomed_run->id) continue;
    found = true;
    EXPECT_EQ(r.outcome, "completed") << r.detail;
    EXPECT_GE(r.end - r.start, 20min);
    EXPECT_LE(r.end - r.start, 21min);
  }
  EXPECT_TRUE(found) << "run " << doomed_run->id << " never finished";

  // No automatic run of z1 after that; z2 goes on being watered and kept in band.
  int z2_after = 0;
  for (const RunRecord& r : farm.runs_started()) {
    if (r.start < dead) continue;
    EXPECT_NE(r.zone, "z1") << "run " << r.id << " started on a dead probe";
    z2_after += r.zone == "z2" ? 1 : 0;
  }
  EXPECT_GE(z2_after, 5);
  EXPECT_GE(farm.zone("z2").in_band(), 95.0);
  EXPECT_GE(farm.zone("z1").in_band(), 95.0) << "before the probe died";

  // The alarm: once the series is stale (30 min), the rule's input is bad; once only.
  const std::vector<Event> bad = input_bad(farm.events(), "water-z1-when-dry");
  ASSERT_EQ(bad.size(), 1u);
  std::printf("  %s %s: %s\n", to_string(bad[0].severity), bad[0].code.c_str(),
              bad[0].message.c_str());
  // Stale 30 min after the last reading, which came up to a minute before `dead`.
  EXPECT_GE(bad[0].time, dead + 29min);
  EXPECT_LE(bad[0].time, dead + 30min + kStep);
  EXPECT_TRUE(input_bad(farm.events(), "water-z2-when-dry").empty());
  expect_safe_and_accounted(farm);
}

}  // namespace
}  // namespace farmgate

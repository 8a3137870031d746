// FarmModel: the physics of the simulated farm, so that the relays farmgate switches change what
// its sensors read. It owns one SoilModel per zone and the water system of one line: a pump, one
// valve per zone, a flow meter after the pump and the tank the pump draws from.
//
// Water flows only while the pump runs AND at least one valve is open; it ramps up and down over a
// few seconds and carries a little noise. What a valve passes raises its zone's moisture (litres
// spread over the zone's wetted area and root depth); the soil otherwise dries with SoilModel's
// daily cycle, with no "by hand" top-up. The tank drains by what is pumped and refills slowly.
// Faults (dry well, stuck valve, leak, burst) can be switched on now or scheduled at a simulated
// time, for tests of farmgate's alarms.
//
// Pure: no clock, no I/O, no threads; deterministic from the seed and the sequence of calls.
// Not thread-safe: one thread at a time (FarmLink shares it between threads).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "sensors/sim/soil_model.h"

namespace farmgate::sim {

enum class FaultKind : std::uint8_t {
  dry_well,     // the pump runs but draws nothing: no flow
  stuck_valve,  // a valve reports ON but passes no water
  leak,         // water runs past the meter while everything is off
  burst,        // a pipe after the meter bursts: flow far above normal, none reaches the zones
};

std::string_view fault_name(FaultKind kind);
std::optional<FaultKind> fault_from_name(std::string_view name);

struct ScheduledFault {
  FaultKind kind = FaultKind::dry_well;
  Millis after{0};    // simulated time from the model's start
  std::string valve;  // stuck_valve only: the valve's relay id; empty = the first zone's valve

  bool operator==(const ScheduledFault&) const = default;
};

struct FarmZone {
  std::string zone;      // e.g. z1
  std::string valve_id;  // the relay id of the zone's valve, e.g. valve-z1

  bool operator==(const FarmZone&) const = default;
};

struct FarmParams {
  SoilParams soil;  // hand_refill is ignored: the model always turns it off
  std::vector<FarmZone> zones{{"z1", "valve-z1"}, {"z2", "valve-z2"}};
  std::string pump_id = "pump";
  double flow_lpm = 20;      // what the pump delivers, split across the open valves
  double flow_noise = 0.02;  // relative standard deviation of the flow, per second
  double ramp_s = 3;         // time constant of the flow's rise and fall
  // The wetted soil of a zone (drip lines wet only part of a plot): 12 m² × 0.2 m holds 24 L per
  // moisture percent, so a 20-minute run (400 L) lifts a zone by ~16.5 %, e.g. from 28 % to 44.5 %.
  double zone_area_m2 = 12;
  double root_depth_m = 0.2;
  double field_capacity = 60;  // %; water beyond it drains away
  double tank_litres = 2000;
  double tank_start_percent = 90;
  double tank_refill_lpm = 2;  // the well or mains topping the tank up, all the time
  double leak_lpm = 3;         // fault `leak`
  double burst_factor = 4;     // fault `burst`: the flow is this many times flow_lpm
  std::vector<ScheduledFault> faults;
};

struct FlowSample {
  double rate_lpm = 0;      // over the last simulated second
  double total_litres = 0;  // since the start; never decreases
};

class FarmModel {
 public:
  // `seed` picks the soil of each zone (zone k as device k of MessageStream) and the flow noise.
  FarmModel(FarmParams params, std::uint64_t seed, Timestamp start);

  // Advances everything to `t`, then sets a relay. False for an id that is neither the pump nor
  // a zone's valve (nothing changes then). A `t` before now() applies the change at now().
  bool set_relay(std::string_view id, bool on, Timestamp t);
  // Switches a fault on or off from now(); `valve` as in ScheduledFault.
  void set_fault(FaultKind kind, bool active, std::string_view valve = {});
  // Integrates the water and the soil up to `t`; an earlier `t` does nothing.
  void advance(Timestamp t);

  // A noisy probe reading of zone `zone` at `t` (advancing to `t` first).
  SoilSample sample_soil(std::size_t zone, Timestamp t);

  Timestamp now() const { return now_; }
  bool pump_on() const { return pump_on_; }
  bool valve_open(std::size_t zone) const { return valve_on_[zone]; }
  FlowSample flow() const { return {rate_lpm_, metered_litres_}; }
  double tank_level_litres() const { return tank_; }
  double tank_percent() const;
  double refilled_litres() const { return refilled_; }  // into the tank since the start
  double delivered_litres(std::size_t zone) const { return delivered_[zone]; }
  double true_moisture(std::size_t zone) const { return soil_[zone].true_moisture(); }
  std::size_t zone_count() const { return soil_.size(); }
  double percent_per_litre() const;
  const FarmParams& params() const { return p_; }

 private:
  void apply_due_faults();
  Timestamp next_fault_time() const;
  bool quiet() const;
  void step(std::int64_t dt_ms);
  std::size_t valve_index(std::string_view valve) const;

  FarmParams p_;
  Gaussian rng_;
  Timestamp start_;
  Timestamp now_;
  std::vector<SoilModel> soil_;
  std::vector<bool> valve_on_;
  std::vector<bool> stuck_;
  std::vector<double> zone_flow_;  // L/min through each valve, before noise
  std::vector<double> delivered_;
  std::size_t next_fault_ = 0;  // into p_.faults, sorted by time
  bool pump_on_ = false;
  bool dry_well_ = false;
  bool leak_ = false;
  bool burst_ = false;
  double burst_flow_ = 0;  // L/min out of the burst, before noise
  double rate_lpm_ = 0;
  double metered_litres_ = 0;
  double tank_ = 0;
  double refilled_ = 0;
};

}  // namespace farmgate::sim

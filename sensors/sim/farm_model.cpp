#include "sensors/sim/farm_model.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace farmgate::sim {
namespace {

// While water moves the model integrates in simulated seconds: the ramp lasts a few of them and
// the meter reports the rate over the last one. With everything still, only the soil and the
// tank's refill change, both smoothly, so a minute per step is plenty.
constexpr std::int64_t kActiveStepMs = 1'000;
constexpr std::int64_t kQuietStepMs = 60'000;
// Below this a decaying flow counts as stopped, so "no flow" is an exact zero on the meter.
constexpr double kStoppedLpm = 1e-3;
// Keeps the flow noise apart from the soil's, which use the device seeds 0, 1, ...
constexpr std::uint64_t kFlowNoiseStream = 0xF10F10F10ull;

}  // namespace

std::string_view fault_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::dry_well:
      return "dry_well";
    case FaultKind::stuck_valve:
      return "stuck_valve";
    case FaultKind::leak:
      return "leak";
    case FaultKind::burst:
      return "burst";
  }
  return "unknown";
}

std::optional<FaultKind> fault_from_name(std::string_view name) {
  for (auto k : {FaultKind::dry_well, FaultKind::stuck_valve, FaultKind::leak, FaultKind::burst}) {
    if (fault_name(k) == name) return k;
  }
  return std::nullopt;
}

FarmModel::FarmModel(FarmParams params, std::uint64_t seed, Timestamp start)
    : p_(std::move(params)), rng_(device_seed(seed, kFlowNoiseStream)), start_(start), now_(start) {
  p_.soil.hand_refill = false;
  const std::size_t n = p_.zones.size();
  soil_.reserve(n);
  for (std::size_t k = 0; k < n; ++k) soil_.emplace_back(p_.soil, device_seed(seed, k), start);
  valve_on_.assign(n, false);
  stuck_.assign(n, false);
  zone_flow_.assign(n, 0.0);
  delivered_.assign(n, 0.0);
  std::stable_sort(
      p_.faults.begin(), p_.faults.end(),
      [](const ScheduledFault& a, const ScheduledFault& b) { return a.after < b.after; });
  tank_ = p_.tank_litres * std::clamp(p_.tank_start_percent, 0.0, 100.0) / 100.0;
  apply_due_faults();
}

double FarmModel::tank_percent() const {
  return p_.tank_litres > 0 ? 100.0 * tank_ / p_.tank_litres : 0.0;
}

double FarmModel::percent_per_litre() const {
  const double soil_litres = p_.zone_area_m2 * p_.root_depth_m * 1000.0;
  return soil_litres > 0 ? 100.0 / soil_litres : 0.0;
}

std::size_t FarmModel::valve_index(std::string_view valve) const {
  if (valve.empty()) return 0;  // the first zone's valve
  for (std::size_t k = 0; k < p_.zones.size(); ++k) {
    if (p_.zones[k].valve_id == valve) return k;
  }
  return p_.zones.size();
}

bool FarmModel::set_relay(std::string_view id, bool on, Timestamp t) {
  advance(t);
  if (id == p_.pump_id) {
    pump_on_ = on;
    return true;
  }
  const std::size_t k = id.empty() ? valve_on_.size() : valve_index(id);
  if (k >= valve_on_.size()) return false;
  valve_on_[k] = on;
  return true;
}

void FarmModel::set_fault(FaultKind kind, bool active, std::string_view valve) {
  switch (kind) {
    case FaultKind::dry_well:
      dry_well_ = active;
      break;
    case FaultKind::stuck_valve: {
      const std::size_t k = valve_index(valve);
      if (k < stuck_.size()) stuck_[k] = active;
      break;
    }
    case FaultKind::leak:
      leak_ = active;
      break;
    case FaultKind::burst:
      burst_ = active;
      break;
  }
}

void FarmModel::apply_due_faults() {
  while (next_fault_ < p_.faults.size() && start_ + p_.faults[next_fault_].after <= now_) {
    const ScheduledFault& f = p_.faults[next_fault_++];
    set_fault(f.kind, true, f.valve);
  }
}

Timestamp FarmModel::next_fault_time() const {
  if (next_fault_ >= p_.faults.size()) return Timestamp::max();
  return start_ + p_.faults[next_fault_].after;
}

bool FarmModel::quiet() const {
  if (pump_on_ || leak_ || burst_flow_ > 0) return false;
  return std::all_of(zone_flow_.begin(), zone_flow_.end(), [](double f) { return f == 0; });
}

void FarmModel::advance(Timestamp t) {
  while (now_ < t) {
    apply_due_faults();
    std::int64_t dt = quiet() ? kQuietStepMs : kActiveStepMs;
    dt = std::min(dt, (t - now_).count());
    const Timestamp fault_at = next_fault_time();
    if (fault_at > now_) dt = std::min(dt, (fault_at - now_).count());
    step(dt);
  }
  apply_due_faults();
}

void FarmModel::step(std::int64_t dt_ms) {
  const double dt_min = static_cast<double>(dt_ms) / 60'000.0;
  const double dt_s = static_cast<double>(dt_ms) / 1'000.0;
  const bool has_water = tank_ > 0;
  const bool pumping = pump_on_ && !dry_well_ && has_water;
  const auto open = static_cast<double>(std::count(valve_on_.begin(), valve_on_.end(), true));
  const double follow = p_.ramp_s > 0 ? 1.0 - std::exp(-dt_s / p_.ramp_s) : 1.0;
  auto ramp = [&](double& flow, double target) {
    flow += (target - flow) * follow;
    if (target == 0 && flow < kStoppedLpm) flow = 0;
  };

  // A burst lets the water out before the valves, so none reaches a zone and a pump running
  // against closed valves still moves water.
  for (std::size_t k = 0; k < zone_flow_.size(); ++k) {
    const bool passes = pumping && !burst_ && valve_on_[k] && !stuck_[k];
    ramp(zone_flow_[k], passes ? p_.flow_lpm / open : 0.0);
  }
  ramp(burst_flow_, pumping && burst_ ? p_.burst_factor * p_.flow_lpm : 0.0);

  double pumped_lpm = burst_flow_;
  for (double f : zone_flow_) pumped_lpm += f;
  // Noise only while water moves, so that a still line reads exactly zero.
  const double noise = pumped_lpm > 0 ? std::max(0.0, 1.0 + rng_.normal(0, p_.flow_noise)) : 1.0;

  std::vector<double> zone_litres(zone_flow_.size());
  double total = 0;
  for (std::size_t k = 0; k < zone_flow_.size(); ++k) {
    zone_litres[k] = zone_flow_[k] * noise * dt_min;
    total += zone_litres[k];
  }
  total += burst_flow_ * noise * dt_min;
  if (leak_ && has_water) total += p_.leak_lpm * dt_min;
  // The pump cannot move more than the tank holds.
  if (total > tank_) {
    const double scale = tank_ / total;
    for (double& l : zone_litres) l *= scale;
    total = tank_;
  }
  tank_ -= total;
  const double refill = std::min(p_.tank_refill_lpm * dt_min, p_.tank_litres - tank_);
  if (refill > 0) {
    tank_ += refill;
    refilled_ += refill;
  }
  metered_litres_ += total;
  rate_lpm_ = total / dt_min;

  now_ += Millis{dt_ms};
  const double per_litre = percent_per_litre();
  for (std::size_t k = 0; k < soil_.size(); ++k) {
    soil_[k].advance(now_);
    delivered_[k] += zone_litres[k];
    const double room = std::max(0.0, p_.field_capacity - soil_[k].true_moisture());
    soil_[k].water(std::min(room, zone_litres[k] * per_litre));
  }
}

SoilSample FarmModel::sample_soil(std::size_t zone, Timestamp t) {
  advance(t);
  return soil_[zone].sample(t);
}

}  // namespace farmgate::sim

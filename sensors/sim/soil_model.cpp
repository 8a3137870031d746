#include "sensors/sim/soil_model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>

namespace farmgate::sim {
namespace {

constexpr std::int64_t kMsPerHour = 3'600'000;
constexpr std::int64_t kMsPerDay = 24 * kMsPerHour;
// Integration step: short enough that the noon peak of the drying rate is followed closely.
constexpr std::int64_t kStepMs = 10 * 60'000;
// Soil left alone longer than this has cycled through its refills already; integrating more of
// a long gap (a simulator started years after its last sample) would only cost time.
constexpr std::int64_t kMaxCatchUpMs = 3 * kMsPerDay;

}  // namespace

double local_hour(Timestamp t, int offset_hours) {
  std::int64_t ms = (to_epoch_ms(t) + offset_hours * kMsPerHour) % kMsPerDay;
  if (ms < 0) ms += kMsPerDay;
  return static_cast<double>(ms) / kMsPerHour;
}

double drying_rate(const SoilParams& p, double hour) {
  double sun = std::max(0.0, std::cos(2 * std::numbers::pi * (hour - 12.0) / 24.0));
  return p.dry_rate_night + (p.dry_rate_noon - p.dry_rate_night) * sun;
}

double diurnal_temperature(const SoilParams& p, double hour) {
  double mid = (p.temp_max + p.temp_min) / 2;
  double amp = (p.temp_max - p.temp_min) / 2;
  return mid + amp * std::cos(2 * std::numbers::pi * (hour - 14.0) / 24.0);
}

std::uint64_t device_seed(std::uint64_t run_seed, std::uint64_t index) {
  auto mix = [](std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  };
  return mix(run_seed ^ mix(index));
}

double Gaussian::uniform() {
  // The top 53 bits make an exactly representable double in [0, 1).
  return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

double Gaussian::normal(double mean, double stddev) {
  if (has_spare_) {
    has_spare_ = false;
    return mean + stddev * spare_;
  }
  // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
  double u1 = 1.0 - uniform();
  double u2 = uniform();
  double r = std::sqrt(-2.0 * std::log(u1));
  double a = 2 * std::numbers::pi * u2;
  spare_ = r * std::sin(a);
  has_spare_ = true;
  return mean + stddev * r * std::cos(a);
}

SoilModel::SoilModel(const SoilParams& params, std::uint64_t seed, Timestamp start)
    : p_(params), rng_(seed), now_(start) {
  // Each probe sits in slightly different soil: its own start moisture, EC and temperature bias.
  moisture_ = std::clamp(p_.moisture_start + rng_.normal(0, 3), p_.refill_below + 1, 60.0);
  ec_ = std::max(0.2, p_.ec_mean + rng_.normal(0, 0.1));
  temp_offset_ = rng_.normal(0, 0.4);
}

void SoilModel::advance(Timestamp t) {
  std::int64_t from = to_epoch_ms(now_);
  std::int64_t to = to_epoch_ms(t);
  if (to <= from) return;
  from = std::max(from, to - kMaxCatchUpMs);
  while (from < to) {
    std::int64_t step = std::min(kStepMs, to - from);
    double dt_h = static_cast<double>(step) / kMsPerHour;
    double hour = local_hour(from_epoch_ms(from + step / 2), p_.utc_offset_hours);
    moisture_ -= drying_rate(p_, hour) * dt_h;
    if (p_.hand_refill && moisture_ < p_.refill_below) moisture_ = p_.refill_to;
    moisture_ = std::max(moisture_, 0.0);
    ec_ += p_.ec_reversion_per_h * (p_.ec_mean - ec_) * dt_h +
           p_.ec_drift_per_sqrt_h * std::sqrt(dt_h) * rng_.normal(0, 1);
    ec_ = std::clamp(ec_, 0.1, 3.0);
    from += step;
  }
  now_ = t;
}

SoilSample SoilModel::sample(Timestamp t) {
  advance(t);
  double hour = local_hour(t, p_.utc_offset_hours);
  SoilSample s;
  s.moisture = std::clamp(moisture_ + rng_.normal(0, p_.noise_moisture), 0.0, 100.0);
  s.temp_c = diurnal_temperature(p_, hour) + temp_offset_ + rng_.normal(0, p_.noise_temp);
  s.ec = std::max(0.01, ec_ + rng_.normal(0, p_.noise_ec));
  return s;
}

void SoilModel::water(double percent) {
  moisture_ = std::min(100.0, moisture_ + percent);
}

}  // namespace farmgate::sim

// SoilModel: a believable soil probe for the farm simulator. It turns simulated time into
// moisture (volumetric %), soil temperature (°C) and EC (mS/cm) readings: moisture dries faster
// around local noon and is topped up when it gets very dry (unless hand_refill is off: then only
// water() wets it), temperature follows a diurnal sine, EC drifts slowly, and every value carries
// a little gaussian noise. Everything comes from a seeded generator, so the same seed and the same
// times give the same readings on every machine.
// Pure: no clock, no I/O. One instance per device; not thread-safe (one thread drives it).
#pragma once

#include <cstdint>
#include <random>

#include "core/time.h"

namespace farmgate::sim {

struct SoilParams {
  // Asia/Ho_Chi_Minh is UTC+7 all year (no daylight saving), so a fixed offset is exact; it also
  // keeps the model free of the tz database, which libstdc++ 12 does not provide.
  int utc_offset_hours = 7;
  double moisture_start = 38.0;       // %, before the per-device offset
  double dry_rate_night = 0.3;        // %/h at midnight
  double dry_rate_noon = 1.0;         // %/h at local noon
  double refill_below = 18.0;         // % at which the plot gets watered (by hand or rain)
  double refill_to = 42.0;            // % right after that watering
  double temp_min = 24.0;             // °C, reached at 02:00 local
  double temp_max = 34.0;             // °C, reached at 14:00 local
  double ec_mean = 0.8;               // mS/cm the drift returns to
  double ec_reversion_per_h = 0.05;   // how fast EC returns to its mean
  double ec_drift_per_sqrt_h = 0.02;  // EC random-walk strength
  double noise_moisture = 0.15;       // standard deviations of the measurement noise
  double noise_temp = 0.1;
  double noise_ec = 0.01;
  // Off when the simulated pump and valves water the farm: the loop must be farmgate's to close.
  bool hand_refill = true;
};

struct SoilSample {
  double moisture = 0;  // %, 0..100
  double temp_c = 0;
  double ec = 0;  // mS/cm, > 0
};

// The hour of the day (0 <= h < 24, fractional) at `t` in a zone `offset_hours` east of UTC.
double local_hour(Timestamp t, int offset_hours);
// How fast the soil dries at a local hour, %/h: the night rate, rising to the noon rate at 12:00.
double drying_rate(const SoilParams& p, double hour);
// Noise-free soil temperature at a local hour.
double diurnal_temperature(const SoilParams& p, double hour);

// Spreads a run seed into independent per-device seeds (splitmix64), so adding a device does not
// change the readings of the others.
std::uint64_t device_seed(std::uint64_t run_seed, std::uint64_t index);

// A gaussian source built only on std::mt19937_64, whose output the standard fixes; the standard
// distributions are implementation-defined and would give other numbers with another library.
class Gaussian {
 public:
  explicit Gaussian(std::uint64_t seed) : engine_(seed) {}
  double uniform();  // in [0, 1)
  double normal(double mean, double stddev);

 private:
  std::mt19937_64 engine_;
  double spare_ = 0;
  bool has_spare_ = false;
};

class SoilModel {
 public:
  // `seed` picks this device's offsets and noise; `start` is the time the state refers to.
  SoilModel(const SoilParams& params, std::uint64_t seed, Timestamp start);

  // Advances the soil to `t` and returns a noisy reading taken then. A `t` earlier than the last
  // one does not rewind the soil; it only samples it.
  SoilSample sample(Timestamp t);

  // Advances the soil to `t` without taking a reading. Never rewinds.
  void advance(Timestamp t);

  // Adds water, e.g. when a valve of the zone opens; capped at saturation.
  void water(double percent);

  double true_moisture() const { return moisture_; }
  double true_ec() const { return ec_; }

 private:
  SoilParams p_;
  Gaussian rng_;
  Timestamp now_;
  double moisture_;
  double ec_;
  double temp_offset_;
};

}  // namespace farmgate::sim

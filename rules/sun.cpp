#include "rules/sun.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace farmgate::rules {
namespace {

constexpr double kPi = std::numbers::pi;
double rad(double deg) {
  return deg * kPi / 180.0;
}
double deg(double r) {
  return r * 180.0 / kPi;
}

struct SolarPosition {
  double declination;       // radians
  double equation_of_time;  // minutes, apparent minus mean solar time
};

// NOAA's low-precision solar coordinates at Julian centuries since J2000.0.
SolarPosition solar_position(double t) {
  const double l0 = std::fmod(280.46646 + t * (36000.76983 + t * 0.0003032), 360.0);
  const double m = 357.52911 + t * (35999.05029 - 0.0001537 * t);
  const double e = 0.016708634 - t * (0.000042037 + 0.0000001267 * t);
  const double c = std::sin(rad(m)) * (1.914602 - t * (0.004817 + 0.000014 * t)) +
                   std::sin(rad(2 * m)) * (0.019993 - 0.000101 * t) +
                   std::sin(rad(3 * m)) * 0.000289;
  const double omega = 125.04 - 1934.136 * t;
  const double lambda = l0 + c - 0.00569 - 0.00478 * std::sin(rad(omega));
  const double eps0 =
      23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60.0) / 60.0;
  const double eps = eps0 + 0.00256 * std::cos(rad(omega));
  const double declination = std::asin(std::sin(rad(eps)) * std::sin(rad(lambda)));
  const double y = std::pow(std::tan(rad(eps) / 2), 2);
  const double eot = y * std::sin(2 * rad(l0)) - 2 * e * std::sin(rad(m)) +
                     4 * e * y * std::sin(rad(m)) * std::cos(2 * rad(l0)) -
                     0.5 * y * y * std::sin(4 * rad(l0)) - 1.25 * e * e * std::sin(2 * rad(m));
  return {declination, 4.0 * deg(eot)};
}

// Julian centuries since J2000.0 at `minutes` after 00:00 UTC of the day `day0`.
double centuries(std::chrono::sys_days day0, double minutes) {
  const double jd =
      static_cast<double>(day0.time_since_epoch().count()) + minutes / 1440.0 + 2440587.5;
  return (jd - 2451545.0) / 36525.0;
}

// Cosine of the sunrise hour angle; outside [-1, 1] the sun does not cross the horizon.
double cos_hour_angle(double latitude, double declination) {
  return std::cos(rad(90.833)) / (std::cos(latitude) * std::cos(declination)) -
         std::tan(latitude) * std::tan(declination);
}

Timestamp at_minutes(std::chrono::sys_days day0, double minutes) {
  return std::chrono::time_point_cast<Millis>(day0) +
         Millis{static_cast<std::int64_t>(std::llround(minutes * 60'000.0))};
}

}  // namespace

SunTimes sun_times(std::chrono::year_month_day date, double latitude_deg, double longitude_deg) {
  const std::chrono::sys_days day0{date};
  // Keep clear of the poles' singular tan(latitude).
  const double lat = rad(std::clamp(latitude_deg, -89.999, 89.999));

  // Solar noon: 12:00 local mean time corrected by the equation of time, iterated so the
  // correction is taken at noon itself.
  double noon = 720.0 - 4.0 * longitude_deg;
  for (int i = 0; i < 3; ++i) {
    noon = 720.0 - 4.0 * longitude_deg - solar_position(centuries(day0, noon)).equation_of_time;
  }
  SunTimes out;
  out.solar_noon = at_minutes(day0, noon);

  const double c = cos_hour_angle(lat, solar_position(centuries(day0, noon)).declination);
  if (c > 1.0) {
    out.daylight = Daylight::kPolarNight;
    return out;
  }
  if (c < -1.0) {
    out.daylight = Daylight::kPolarDay;
    return out;
  }
  // Each event is refined with the sun's position at the event, not at noon.
  auto event = [&](double sign) {
    double minutes = noon;
    for (int i = 0; i < 3; ++i) {
      const SolarPosition p = solar_position(centuries(day0, minutes));
      const double ci = std::clamp(cos_hour_angle(lat, p.declination), -1.0, 1.0);
      minutes = 720.0 - 4.0 * (longitude_deg - sign * deg(std::acos(ci))) - p.equation_of_time;
    }
    return at_minutes(day0, minutes);
  };
  out.sunrise = event(-1.0);
  out.sunset = event(+1.0);
  return out;
}

}  // namespace farmgate::rules
